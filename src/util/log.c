/*
 * Levelled logging to stderr. Every line starts with the subsystem and the
 * level, so that "grep ^dialer:" finds a subsystem's story.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/time.h>
#include "util/util.h"

static enum log_level cur_level = LOG_LVL_INFO;
static bool with_time;

static const char *level_names[] = {"error", "warn", "info", "debug"};


void log_set_level(enum log_level lvl)
{
	cur_level = lvl;
}


void log_set_timestamps(bool on)
{
	with_time = on;
}


enum log_level log_get_level(void)
{
	return cur_level;
}


int log_level_parse(enum log_level *lvlp, const char *name)
{
	size_t i;

	if (!lvlp || !name)
		return EINVAL;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (!strcasecmp(name, level_names[i])) {
			*lvlp = (enum log_level)i;
			return 0;
		}
	}

	return EINVAL;
}


void log_msg(enum log_level lvl, const char *subsys, const char *fmt, ...)
{
	char line[2048];
	char ts[32];
	va_list ap;
	int n;

	if (lvl > cur_level)
		return;

	/* the subsystem comes first so that "grep ^dialer:" works; a
	 * timestamp is only added on request (journald adds its own) */
	if (with_time) {
		time_fmt_rfc3339(ts, sizeof(ts), time_now_ms());
		n = snprintf(line, sizeof(line), "%s: %s: %s ", subsys,
			     level_names[lvl], ts);
	}
	else {
		n = snprintf(line, sizeof(line), "%s: %s: ", subsys,
			     level_names[lvl]);
	}
	if (n < 0)
		return;

	va_start(ap, fmt);
	(void)vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);

	/* one write per line so that lines from threads never interleave */
	fprintf(stderr, "%s\n", line);
}


const char *log_field(char *buf, size_t sz, const char *p, size_t len)
{
	size_t i, n = len < sz ? len : sz - 4;

	for (i = 0; i < n; i++)
		buf[i] = p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '?';

	if (n < len) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';

	return buf;
}
