/*
 * A fuzz target without libFuzzer: runs LLVMFuzzerTestOneInput once on
 * each file named, or on each file in each directory named (one level).
 * `make test` builds every target with this and replays its corpus, under
 * ASan and UBSan in the SANITIZE=1 build: a corpus input that crashes,
 * leaks or trips UB fails the test. Exits 1 when nothing was replayed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "fuzz.h"

/* a target may do without LLVMFuzzerInitialize */
#pragma weak LLVMFuzzerInitialize

enum {
	REPLAY_MAX = 1024 * 1024,      /* bytes in one input */
};


/* one input, read into a buffer of its exact size (ASan sees overruns) */
static int replay_file(const char *path)
{
	uint8_t *buf;
	size_t n;
	FILE *f;

	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}

	buf = malloc(REPLAY_MAX);
	n = buf ? fread(buf, 1, REPLAY_MAX, f) : 0;
	fclose(f);
	if (!buf)
		return -1;

	buf = realloc(buf, n ? n : 1);
	(void)LLVMFuzzerTestOneInput(buf, n);
	free(buf);

	return 0;
}


/* a file, or every regular file of a directory; the number replayed */
static int replay_path(const char *path)
{
	struct dirent *de;
	struct stat st;
	int n = 0;
	DIR *d;

	if (stat(path, &st)) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path) ? -1 : 1;

	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char p[4096];

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
		if (stat(p, &st) || !S_ISREG(st.st_mode))
			continue;
		if (replay_file(p)) {
			n = -1;
			break;
		}
		++n;
	}
	closedir(d);

	return n;
}


int main(int argc, char **argv)
{
	int i, n, total = 0;

	if (LLVMFuzzerInitialize)
		(void)LLVMFuzzerInitialize(&argc, &argv);

	for (i = 1; i < argc; i++) {
		n = replay_path(argv[i]);
		if (n < 0)
			return 1;
		total += n;
	}

	printf("replay: %d inputs, no crash\n", total);

	return total ? 0 : 1;
}
