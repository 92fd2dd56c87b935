/*
 * The unit test runner: runs every registered test (or those whose names
 * contain argv[1]), checks that each leaves no libre memory behind, and
 * prints a summary line "N passed, N failed".
 */
#include <stdlib.h>
#include <re.h>
#include "test.h"

enum { MAX_TESTS = 512 };

static struct {
	const char *name;
	test_fn *fn;
} tests[MAX_TESTS];
static size_t ntests;


void test_register(const char *name, test_fn *fn)
{
	if (ntests < MAX_TESTS) {
		tests[ntests].name = name;
		tests[ntests].fn = fn;
		++ntests;
	}
}


static int cmp(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;

	return strcmp(*x, *y);
}


int main(int argc, char **argv)
{
	unsigned passed = 0, failed = 0;
	size_t i;
	int err;

	err = libre_init();
	if (err) {
		fprintf(stderr, "libre_init: %s\n", strerror(err));
		return 1;
	}

	/* run in name order whatever the link order */
	qsort(tests, ntests, sizeof(tests[0]), cmp);

	for (i = 0; i < ntests; i++) {
		struct memstat before, after;
		bool memok;

		if (argc > 1 && !strstr(tests[i].name, argv[1]))
			continue;

		memok = !mem_get_stat(&before);
		err = tests[i].fn();
		if (!err && memok && !mem_get_stat(&after) &&
		    after.blocks_cur != before.blocks_cur) {
			fprintf(stderr, "  leaked %zu libre memory blocks\n",
				after.blocks_cur - before.blocks_cur);
			err = ENOMEM;
		}

		printf("%-40s %s\n", tests[i].name, err ? "FAIL" : "ok");
		if (err)
			++failed;
		else
			++passed;
	}

	libre_close();

	printf("%u passed, %u failed\n", passed, failed);

	return failed ? 1 : 0;
}
