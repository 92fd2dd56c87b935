/*
 * beckon: the one executable. "beckon serve" runs the server; the other
 * commands (business, agent, rule, callbacks, dialer) come with the issues
 * that need them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "beckon"
#include "util/util.h"
#include "cfg/cfg.h"
#include "app/app.h"
#include "cli/cli.h"


static void usage(FILE *f)
{
	fprintf(f,
		"beckon %s: a web-callback server\n"
		"\n"
		"usage: beckon COMMAND [OPTIONS]\n"
		"\n"
		"commands:\n"
		"  serve [-f FILE] [--KEY VALUE ...]\n"
		"                 run the server (HTTP API, store, dialer)\n"
		"  business, agent, rule, callbacks\n"
		"                 manage a running server (beckon business "
		"--help)\n"
		"  help           this text\n"
		"  version        print the version\n"
		"\n"
		"'beckon serve --help' lists every configuration key.\n",
		BECKON_VERSION);
}


static void serve_usage(FILE *f)
{
	fprintf(f,
		"usage: beckon serve [-f FILE] [--KEY VALUE ...]\n"
		"\n"
		"Runs the beckon server: the public callback API, the store\n"
		"and the dialer, in one event loop. Configuration comes from\n"
		"FILE (see etc/beckon.conf) and from the command line, which\n"
		"wins; with neither, every key has its default. A boolean key\n"
		"given alone (--demo) means yes.\n"
		"\n"
		"options:\n"
		"  -f FILE                  read the configuration from FILE\n"
		"  -h, --help               this text\n"
		"\n"
		"keys:\n");
	cfg_print_help(f);
}


/*
 * Parse "serve" arguments into cfg: command-line keys first, then the file,
 * so that cfg_load_file() can leave keys given on the command line alone.
 */
static int serve_args(struct cfg *cfg, int argc, char **argv)
{
	const char *file = NULL;
	bool b;
	int i, err;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		const struct cfg_key *k;
		const char *val;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			serve_usage(stdout);
			return -1;
		}

		if (!strcmp(a, "-f")) {
			if (i + 1 >= argc) {
				log_error("-f needs a file name");
				return EINVAL;
			}
			file = argv[++i];
			continue;
		}

		if (strncmp(a, "--", 2)) {
			log_error("unexpected argument '%s' (see beckon serve "
				  "--help)", a);
			return EINVAL;
		}

		k = cfg_key_find(a + 2);
		if (!k) {
			log_error("unknown option '%s' (see beckon serve "
				  "--help)", a);
			return EINVAL;
		}

		/* "--demo" alone means yes; "--demo no" is a value */
		if (k->type == CFG_BOOL &&
		    (i + 1 >= argc || cfg_parse_bool(&b, argv[i + 1]))) {
			val = "yes";
		}
		else {
			if (i + 1 >= argc) {
				log_error("%s needs a value", a);
				return EINVAL;
			}
			val = argv[++i];
		}

		err = cfg_set(cfg, k->name, val);
		if (err)
			return err;
	}

	if (file) {
		err = cfg_load_file(cfg, file);
		if (err)
			return err;
	}

	return 0;
}


static int cmd_serve(int argc, char **argv)
{
	struct cfg *cfg = NULL;
	enum log_level lvl = LOG_LVL_INFO;
	int err;

	err = cfg_alloc(&cfg);
	if (err)
		goto out;

	err = serve_args(cfg, argc, argv);
	if (err)
		goto out;

	(void)log_level_parse(&lvl, cfg_str(cfg, "log_level"));
	log_set_level(lvl);
	log_set_timestamps(cfg_bool(cfg, "log_timestamps"));

	err = app_serve(cfg);

 out:
	mem_deref(cfg);

	if (err == -1)
		return 0;   /* --help */

	return err ? 1 : 0;
}


int main(int argc, char **argv)
{
	int ret;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}

	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}

	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("beckon %s\n", BECKON_VERSION);
		return 0;
	}

	if (!strcmp(argv[1], "serve")) {
		ret = cmd_serve(argc - 2, argv + 2);
	}
	else if (cli_is_command(argv[1])) {
		ret = cli_main(argc - 1, argv + 1);
	}
	else {
		fprintf(stderr, "beckon: unknown command '%s'\n\n", argv[1]);
		usage(stderr);
		ret = 2;
	}

	return ret;
}
