/*
 * What every fuzz target defines (libFuzzer's entry points). A target
 * is one file, fuzz/fuzz_<name>.c, and its seeds are fuzz/corpus/<name>/.
 * Built with clang and -fsanitize=fuzzer (BECKON_FUZZ=ON) libFuzzer calls
 * these; built with anything else, replay.c's main() feeds them the files
 * named on its command line (how `make test` replays every corpus).
 */
#ifndef BECKON_FUZZ_H
#define BECKON_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* every target: one input; return 0 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* optional: once, before the first input */
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
