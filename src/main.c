/*
 * beckon: the one executable. "beckon serve" runs the server, "beckon
 * dialer" a dialer alone for a server elsewhere to drive, "beckon check"
 * checks a configuration, "beckon man" prints the manual pages; business,
 * agent, rule and callbacks manage a running server.
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
		"  dialer [-f FILE] [--KEY VALUE ...]\n"
		"                 run a dialer alone, for a server's "
		"dialer tcp://...\n"
		"  check -f FILE [--KEY VALUE ...]\n"
		"                 check a configuration without starting "
		"anything\n"
		"  man beckon.8|beckon.conf.5\n"
		"                 print a manual page (roff), made from the "
		"table of keys\n"
		"  business, agent, rule, callbacks\n"
		"                 manage a running server (beckon business "
		"--help)\n"
		"  help           this text\n"
		"  version        print the version\n"
		"\n"
		"'beckon serve --help' lists every configuration key, "
		"'beckon dialer --help'\nthose of the dialer.\n",
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


/* the keys `beckon dialer` reads; the others are accepted and ignored,
 * so that one file can serve both commands */
static const char *const dialer_keys[] = {
	"sip_listen", "sip_domain", "trunk_proxy", "trunk_uri", "trunk_user",
	"trunk_password", "trunk_register", "trunk_transport", "rtp_ports",
	"rtp_timeout", "ring_timeout", "max_hold", "prompt_dir", "record_dir",
	"control_listen", "control_secret", "log_level", "log_timestamps",
	"log_format", "log_full_numbers", NULL,
};


static void dialer_usage(FILE *f)
{
	size_t i, n;
	const struct cfg_key *keys = cfg_keys(&n);
	const char *const *k;

	fprintf(f,
		"usage: beckon dialer [-f FILE] [--KEY VALUE ...]\n"
		"\n"
		"Runs a dialer alone: the SIP back-to-back user agent, its\n"
		"media and the call-control listener (docs/call-control.md),\n"
		"with no HTTP API and no store. A beckon serve started with\n"
		"--dialer tcp://HOST:PORT (the control_listen address here)\n"
		"and the same control_secret places its calls through it;\n"
		"so may any program that speaks the protocol. It needs\n"
		"control_listen and control_secret. SIGINT or SIGTERM hangs\n"
		"up its calls and stops it.\n"
		"\n"
		"Configuration comes from FILE (the file of a beckon serve\n"
		"will do: keys the dialer does not read are ignored) and\n"
		"from the command line, which wins.\n"
		"\n"
		"options:\n"
		"  -f FILE                  read the configuration from FILE\n"
		"  -h, --help               this text\n"
		"\n"
		"keys:\n");

	for (k = dialer_keys; *k; k++) {
		for (i = 0; i < n; i++) {
			if (strcmp(keys[i].name, *k))
				continue;
			fprintf(f, "  --%-22s %s (default: %s)\n",
				keys[i].name, keys[i].help,
				*keys[i].def ? keys[i].def : "none");
		}
	}
}


static void check_usage(FILE *f)
{
	fprintf(f,
		"usage: beckon check -f FILE [--KEY VALUE ...]\n"
		"\n"
		"Reads the configuration as beckon serve would, FILE and\n"
		"then the command line, and checks it: unknown keys, values\n"
		"of the wrong type or out of bounds (each named with the\n"
		"file, the line and the key), and the settings checked\n"
		"before a start (dialer, rtpengine, a trunk that leads back\n"
		"to beckon). Nothing is started: no listener, no store.\n"
		"Prints \"FILE: ok\" and exits 0 when it is good, exits 1\n"
		"otherwise. A business's time zone, and agents and rules\n"
		"that name a business, are checked at the start.\n"
		"\n"
		"options:\n"
		"  -f FILE                  the configuration to check\n"
		"  -h, --help               this text\n");
}


/*
 * Parse "serve" (or "dialer") arguments into cfg: command-line keys first,
 * then the file, so that cfg_load_file() can leave keys given on the
 * command line alone.
 */
static int serve_args(struct cfg *cfg, int argc, char **argv,
		      const char *cmd, void (*usagef)(FILE *f))
{
	const char *file = NULL;
	bool b;
	int i, err;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		const struct cfg_key *k;
		const char *val;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usagef(stdout);
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
			log_error("unexpected argument '%s' (see beckon %s "
				  "--help)", a, cmd);
			return EINVAL;
		}

		k = cfg_key_find(a + 2);
		if (!k) {
			log_error("unknown option '%s' (see beckon %s "
				  "--help)", a, cmd);
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

	/* the file's errors are logged as the command line asked */
	app_log_setup(cfg);

	if (file) {
		err = cfg_load_file(cfg, file);
		if (err)
			return err;
		app_log_setup(cfg);
	}

	return 0;
}


/* serve's (or the dialer's) arguments, kept for SIGHUP */
static int serve_argc;
static char **serve_argv;
static bool serve_dialer;


static int serve_reload(struct cfg **cfgp)
{
	struct cfg *cfg = NULL;
	int err;

	err = cfg_alloc(&cfg);
	if (!err)
		err = serve_args(cfg, serve_argc, serve_argv,
				 serve_dialer ? "dialer" : "serve",
				 serve_dialer ? dialer_usage : serve_usage);
	if (err)
		mem_deref(cfg);
	else
		*cfgp = cfg;

	return err;
}


static int cmd_serve(int argc, char **argv, bool dialer)
{
	struct cfg *cfg = NULL;
	int err;

	serve_argc = argc;
	serve_argv = argv;
	serve_dialer = dialer;

	err = cfg_alloc(&cfg);
	if (err)
		goto out;

	err = serve_args(cfg, argc, argv, dialer ? "dialer" : "serve",
			 dialer ? dialer_usage : serve_usage);
	if (err)
		goto out;

	err = dialer ? app_dialer(cfg, serve_reload)
		     : app_serve(cfg, serve_reload);

 out:
	mem_deref(cfg);

	if (err == -1)
		return 0;   /* --help */

	return err ? 1 : 0;
}


/* serve_args checks the file as serve reads it; then app's own checks */
static int cmd_check(int argc, char **argv)
{
	struct cfg *cfg = NULL;
	const char *file = NULL;
	int i, err;

	for (i = 0; i + 1 < argc; i++) {
		if (!strcmp(argv[i], "-f"))
			file = argv[i + 1];
	}

	err = cfg_alloc(&cfg);
	if (!err)
		err = serve_args(cfg, argc, argv, "check", check_usage);
	if (err == -1) {
		mem_deref(cfg);
		return 0;   /* --help */
	}
	if (!err && !file) {
		log_error("check: -f FILE is required (see beckon check "
			  "--help)");
		err = EINVAL;
	}
	if (!err)
		err = app_check(cfg);
	if (!err)
		printf("%s: ok\n", file);

	mem_deref(cfg);

	return err ? 1 : 0;
}


static int cmd_man(int argc, char **argv)
{
	int err;

	if (argc != 1) {
		fprintf(stderr, "usage: beckon man beckon.8|beckon.conf.5\n");
		return 2;
	}

	err = cfg_print_man(stdout, argv[0]);
	if (err == ENOENT) {
		fprintf(stderr, "beckon man: no page '%s': beckon.8 or "
			"beckon.conf.5\n", argv[0]);
		return 2;
	}

	return err || fflush(stdout) ? 1 : 0;
}


int main(int argc, char **argv)
{
	int ret;

	/* libre's messages, from any command, go through our log */
	log_libre_attach();

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
		ret = cmd_serve(argc - 2, argv + 2, false);
	}
	else if (!strcmp(argv[1], "dialer")) {
		ret = cmd_serve(argc - 2, argv + 2, true);
	}
	else if (!strcmp(argv[1], "check")) {
		ret = cmd_check(argc - 2, argv + 2);
	}
	else if (!strcmp(argv[1], "man")) {
		ret = cmd_man(argc - 2, argv + 2);
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
