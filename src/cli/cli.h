/*
 * cli: `beckon business|agent|rule|callbacks ...`, the command line that
 * manages a running server through its admin API (/v1/admin).
 */
#ifndef BECKON_CLI_H
#define BECKON_CLI_H

#include <stdbool.h>

/* Is argv[1] one of the admin commands (or a global option)? */
bool cli_is_command(const char *cmd);

/* Run one; returns the process exit status (0, 1 error, 2 usage). */
int  cli_main(int argc, char **argv);

#endif
