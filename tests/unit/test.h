/*
 * The unit test runner's interface. A test is a function returning 0 on
 * success or an errno; TEST(name) defines and registers one (a constructor
 * adds it to the runner's table, so test files never edit a shared list).
 * TEST_ASSERT* report the file, line and values, then fail the test.
 */
#ifndef BECKON_TEST_H
#define BECKON_TEST_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

typedef int (test_fn)(void);

void test_register(const char *name, test_fn *fn);

#define TEST(name) \
	static int test_##name(void); \
	__attribute__((constructor)) static void reg_##name(void) \
	{ \
		test_register(#name, test_##name); \
	} \
	static int test_##name(void)

#define TEST_ASSERT(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "  %s:%d: assertion failed: %s\n", \
				__FILE__, __LINE__, #cond); \
			return EINVAL; \
		} \
	} while (0)

#define TEST_EQ_INT(a, b) \
	do { \
		long long a_ = (long long)(a), b_ = (long long)(b); \
		if (a_ != b_) { \
			fprintf(stderr, "  %s:%d: %s == %lld, expected %s " \
				"== %lld\n", __FILE__, __LINE__, #a, a_, #b, \
				b_); \
			return EINVAL; \
		} \
	} while (0)

#define TEST_EQ_STR(a, b) \
	do { \
		const char *a_ = (a), *b_ = (b); \
		if (!a_ || !b_ || strcmp(a_, b_)) { \
			fprintf(stderr, "  %s:%d: %s is \"%s\", expected " \
				"\"%s\"\n", __FILE__, __LINE__, #a, \
				a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
			return EINVAL; \
		} \
	} while (0)

#endif
