/*
 * app: SIGHUP, "re-read the configuration". The signal only writes a
 * byte to a pipe (all a handler may safely do); the loop reads it and
 * calls the app's reload handler, which re-reads the file, checks it,
 * and applies the keys that can change while running (app_reload_live);
 * the others are reported as needing a restart; serve also applies the
 * sections that are new or changed (app.c). Without this, SIGHUP's
 * default action would end the process.
 */
#define _GNU_SOURCE 1   /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#define LOG_SUBSYS "app"
#include "util/util.h"
#include "cfg/cfg.h"
#include "app/app_int.h"

/* the keys applied on SIGHUP: the logs (both processes), and serve's
 * webhook sender (made anew; a delivery in flight then is sent again,
 * with the same id) */
static const struct {
	const char *name;
	bool dialer;              /* live in `beckon dialer` too */
} live_keys[] = {
	{"log_level", true}, {"log_format", true}, {"log_timestamps", true},
	{"webhook_allow_private", false}, {"webhook_ca_file", false},
	{"webhook_concurrency", false}, {"webhook_timeout", false},
	{"webhook_retry_min", false}, {"webhook_retry_hours", false},
	{"webhook_fail_max", false},
};

static int hup_pipe[2] = {-1, -1};

struct app_reload {
	app_reload_h *h;
	void *arg;
};


bool app_reload_live(const char *key, bool dialer)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(live_keys); i++) {
		if (!strcmp(live_keys[i].name, key))
			return !dialer || live_keys[i].dialer;
	}

	return false;
}


static bool section_equal(const struct cfg_section *a,
			  const struct cfg_section *b)
{
	size_t i;

	if (strcmp(a->kind, b->kind) || strcmp(a->id, b->id) || a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++) {
		if (strcmp(a->keys[i], b->keys[i]) ||
		    strcmp(a->vals[i], b->vals[i]))
			return false;
	}

	return true;
}


const struct cfg_section *app_section_find(const struct cfg *cfg,
					   const char *kind, const char *id)
{
	size_t i;

	for (i = 0; i < cfg_section_count(cfg); i++) {
		const struct cfg_section *sec = cfg_section_get(cfg, i);

		if (!strcmp(sec->kind, kind) && !strcmp(sec->id, id))
			return sec;
	}

	return NULL;
}


bool app_section_same(const struct cfg *cfg, const struct cfg_section *sec)
{
	const struct cfg_section *s = app_section_find(cfg, sec->kind,
						       sec->id);

	return s && section_equal(s, sec);
}


static void hup_signal(int sig)
{
	int e = errno;
	char c = 1;

	(void)sig;
	if (write(hup_pipe[1], &c, 1) < 0) {
		/* full: a reload is already on its way */
	}
	errno = e;
}


static void hup_readable(int flags, void *arg)
{
	struct app_reload *r = arg;
	char buf[64];

	(void)flags;
	while (read(hup_pipe[0], buf, sizeof(buf)) > 0)
		;
	r->h(r->arg);
}


static void reload_destructor(void *arg)
{
	(void)arg;

	(void)signal(SIGHUP, SIG_IGN);
	fd_close(hup_pipe[0]);
	(void)close(hup_pipe[0]);
	(void)close(hup_pipe[1]);
	hup_pipe[0] = hup_pipe[1] = -1;
}


int app_reload_alloc(struct app_reload **rp, app_reload_h *h, void *arg)
{
	struct sigaction sa;
	struct app_reload *r;
	int err;

	if (!rp || !h || hup_pipe[0] >= 0)
		return EINVAL;
	if (pipe2(hup_pipe, O_NONBLOCK | O_CLOEXEC))
		return errno;

	r = mem_zalloc(sizeof(*r), reload_destructor);
	if (!r) {
		(void)close(hup_pipe[0]);
		(void)close(hup_pipe[1]);
		hup_pipe[0] = hup_pipe[1] = -1;
		return ENOMEM;
	}
	r->h = h;
	r->arg = arg;

	err = fd_listen(hup_pipe[0], FD_READ, hup_readable, r);
	if (err)
		goto out;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = hup_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGHUP, &sa, NULL))
		err = errno;

 out:
	if (err)
		mem_deref(r);
	else
		*rp = r;

	return err;
}
