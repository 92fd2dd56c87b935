/*
 * util/token.c: libre's rand_* from beckon's ChaCha20 pool. libre's own
 * calls must reach ours, and the values keep libre's shapes.
 */
#define _GNU_SOURCE 1
#include <dlfcn.h>
#include <string.h>
#include <re.h>
#include "util/util.h"
#include "test.h"


TEST(rand_replaces_libre)
{
	char s[33];
	uint32_t a, b;
	uint64_t x;
	uint8_t buf[64], zero[64];
	size_t i;

	TEST_ASSERT(dlsym(RTLD_DEFAULT, "rand_u32") == (void *)rand_u32);
	TEST_ASSERT(dlsym(RTLD_DEFAULT, "rand_bytes") == (void *)rand_bytes);
	TEST_ASSERT(dlsym(RTLD_DEFAULT, "rand_str") == (void *)rand_str);

	a = rand_u32();
	b = rand_u32();
	x = rand_u64();
	TEST_ASSERT(a != b || x != 0);

	memset(buf, 0, sizeof(buf));
	memset(zero, 0, sizeof(zero));
	rand_bytes(buf, sizeof(buf));
	TEST_ASSERT(memcmp(buf, zero, sizeof(buf)));

	memset(s, 'x', sizeof(s));
	rand_str(s, sizeof(s));
	TEST_EQ_INT(strlen(s), sizeof(s) - 1);
	for (i = 0; i < sizeof(s) - 1; i++) {
		char c = s[i];

		TEST_ASSERT((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9'));
	}
	TEST_ASSERT(rand_char() != '\0');

	/* nothing written for nothing asked */
	rand_str(s, 0);
	rand_bytes(NULL, 8);

	return 0;
}
