/*
 * Levelled logging to stderr. Every line starts with the subsystem and the
 * level, so that "grep ^dialer:" finds a subsystem's story; with
 * log_format json, every line is instead one JSON object, for log
 * shippers. libre's own messages come through here too (subsystem
 * "libre"), so that none reaches stderr in libre's terminal colours.
 *
 * A line is one fact: whatever a message carries (a SIP peer's header, a
 * visitor's text) is written with its control characters escaped, so no
 * line can be split, forged or turned into a terminal escape sequence.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/time.h>
#include <re.h>
#define DEBUG_MODULE "beckon"
#define DEBUG_LEVEL 0
#include <re_dbg.h>
#include "util/util.h"

enum {
	LOG_MSG_MAX = 2048,          /* a message, before escaping */
	LOG_LINE_MAX = 4 * LOG_MSG_MAX,
};

static enum log_level cur_level = LOG_LVL_INFO;
static enum log_format cur_format = LOG_FMT_TEXT;
static bool with_time;
/* this node's name (log_set_node): in every JSON line, and in text
 * lines only where several nodes share one store */
static char node[128];
static bool node_in_text;

static const char *level_names[] = {"error", "warn", "info", "debug"};
static const char *format_names[] = {"text", "json"};


void log_set_level(enum log_level lvl)
{
	cur_level = lvl;
}


void log_set_timestamps(bool on)
{
	with_time = on;
}


void log_set_format(enum log_format fmt)
{
	cur_format = fmt;
}


void log_set_node(const char *id, bool in_text)
{
	str_bcpy(node, id ? id : "", sizeof(node));
	node_in_text = in_text && *node;
}


enum log_level log_get_level(void)
{
	return cur_level;
}


static int name_parse(unsigned *ip, const char *const *names, size_t n,
		      const char *name)
{
	size_t i;

	if (!name)
		return EINVAL;

	for (i = 0; i < n; i++) {
		if (!strcasecmp(name, names[i])) {
			*ip = (unsigned)i;
			return 0;
		}
	}

	return EINVAL;
}


int log_level_parse(enum log_level *lvlp, const char *name)
{
	unsigned i;

	if (!lvlp || name_parse(&i, level_names, ARRAY_SIZE(level_names),
				name))
		return EINVAL;

	*lvlp = (enum log_level)i;

	return 0;
}


int log_format_parse(enum log_format *fmtp, const char *name)
{
	unsigned i;

	if (!fmtp || name_parse(&i, format_names, ARRAY_SIZE(format_names),
				name))
		return EINVAL;

	*fmtp = (enum log_format)i;

	return 0;
}


/* the length of the UTF-8 sequence a lead byte announces (1 for bytes
 * that lead none: they are then escaped alone) */
static size_t seq_len(unsigned char c)
{
	if ((c & 0xe0) == 0xc0)
		return 2;
	if ((c & 0xf0) == 0xe0)
		return 3;
	if ((c & 0xf8) == 0xf0)
		return 4;

	return 1;
}


/*
 * Append s to out[*np..sz) escaped for the format: printable UTF-8 as it
 * is; in JSON '"' and '\' escaped, controls as \u00XX and bytes that are
 * not UTF-8 as U+FFFD; in text, controls and such bytes as \xXX.
 */
static void put_escaped(char *out, size_t sz, size_t *np, const char *s,
			bool json)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = *np, i = 0, len = strlen(s);

	while (i < len && n + 8 < sz) {
		size_t k = seq_len(p[i]);

		/* a tab is text, but JSON strings take no raw control */
		if (json && p[i] == '\t')
			k = 0;
		if (k && i + k <= len &&
		    utf8_valid_text((const char *)p + i, k, false)) {
			if (json && (p[i] == '"' || p[i] == '\\'))
				out[n++] = '\\';
			memcpy(out + n, p + i, k);
			n += k;
			i += k;
			continue;
		}

		if (!json)
			n += (size_t)snprintf(out + n, sz - n, "\\x%02x",
					      p[i]);
		else if (p[i] < 0x80)
			n += (size_t)snprintf(out + n, sz - n, "\\u%04x",
					      p[i]);
		else
			n += (size_t)snprintf(out + n, sz - n, "\\ufffd");
		++i;
	}

	out[n] = '\0';
	*np = n;
}


static void put_str(char *out, size_t sz, size_t *np, const char *s)
{
	*np += str_bcpy(out + *np, s, sz - *np);
}


static void log_vmsg(enum log_level lvl, const char *subsys,
		     const char *fmt, va_list ap)
{
	char msg[LOG_MSG_MAX], line[LOG_LINE_MAX], ts[32];
	size_t n = 0;

	(void)vsnprintf(msg, sizeof(msg), fmt, ap);

	if (cur_format == LOG_FMT_JSON) {
		/* a shipper needs the time: JSON lines always carry it */
		time_fmt_rfc3339(ts, sizeof(ts), time_now_ms());
		put_str(line, sizeof(line), &n, "{\"time\":\"");
		put_str(line, sizeof(line), &n, ts);
		put_str(line, sizeof(line), &n, "\",\"level\":\"");
		put_str(line, sizeof(line), &n, level_names[lvl]);
		put_str(line, sizeof(line), &n, "\",\"subsys\":\"");
		put_escaped(line, sizeof(line), &n, subsys, true);
		if (*node) {
			put_str(line, sizeof(line), &n, "\",\"node\":\"");
			put_escaped(line, sizeof(line), &n, node, true);
		}
		put_str(line, sizeof(line), &n, "\",\"msg\":\"");
		put_escaped(line, sizeof(line), &n, msg, true);
		put_str(line, sizeof(line), &n, "\"}");
	}
	else {
		/* the subsystem comes first so that "grep ^dialer:" works;
		 * a timestamp only on request (journald adds its own) */
		put_str(line, sizeof(line), &n, subsys);
		put_str(line, sizeof(line), &n, ": ");
		put_str(line, sizeof(line), &n, level_names[lvl]);
		put_str(line, sizeof(line), &n, ": ");
		if (node_in_text) {
			put_escaped(line, sizeof(line), &n, node, false);
			put_str(line, sizeof(line), &n, ": ");
		}
		if (with_time) {
			time_fmt_rfc3339(ts, sizeof(ts), time_now_ms());
			put_str(line, sizeof(line), &n, ts);
			put_str(line, sizeof(line), &n, " ");
		}
		put_escaped(line, sizeof(line), &n, msg, false);
	}

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


void log_msg(enum log_level lvl, const char *subsys, const char *fmt, ...)
{
	va_list ap;

	if (lvl > cur_level)
		return;

	va_start(ap, fmt);
	log_vmsg(lvl, subsys, fmt, ap);
	va_end(ap);
}


/*
 * libre's messages that report nothing wrong, logged at debug only. Each
 * is matched as a substring of libre's text ("sip: unhandeled response
 * (OPTIONS)").
 */
static const char *const libre_benign[] = {
	/* a SIP response no transaction waits for any more: a peer's
	 * retransmitted 200 (over UDP it repeats the answer until our
	 * next request or ACK arrives), or a late answer to a request
	 * already given up; libre drops it, as RFC 3261 17.1.3 says */
	"unhandeled response",
	/* a datagram on the SIP port that is not a SIP message: phones'
	 * NAT keep-alives (a bare CRLF, four zero bytes) or stray
	 * traffic; libre drops it and answers nothing */
	"msg decode err",
};


static enum log_level libre_level(int dbg_level, const char *text)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(libre_benign); i++)
		if (strstr(text, libre_benign[i]))
			return LOG_LVL_DEBUG;

	/* libre's "warning" is what a module could not do; its notices
	 * are what an operator may want to know; the rest is detail */
	if (dbg_level <= DBG_ERR)
		return LOG_LVL_ERROR;
	if (dbg_level == DBG_WARNING)
		return LOG_LVL_WARN;
	if (dbg_level == DBG_NOTICE)
		return LOG_LVL_INFO;

	return LOG_LVL_DEBUG;
}


static void libre_h(int dbg_level, const char *p, size_t len, void *arg)
{
	char text[512];
	enum log_level lvl;

	(void)arg;

	/* libre hands over its formatted text with the line's end */
	while (len && (p[len - 1] == '\n' || p[len - 1] == '\r'))
		--len;
	if (len >= sizeof(text))
		len = sizeof(text) - 1;
	memcpy(text, p, len);
	text[len] = '\0';

	lvl = libre_level(dbg_level, text);
	if (lvl <= cur_level)
		log_msg(lvl, "libre", "%s", text);
}


/*
 * libre 1.1.0 writes a few messages straight to stderr with re_fprintf
 * instead of its dbg module ("sip: msg decode err: ..." in its SIP
 * transport). As with timer.c's tmr_*, a function the executable defines
 * comes before the shared library's and libre calls this one through its
 * PLT: what it meant for stderr becomes a log line like its other
 * messages; other streams are written as libre would.
 */
int re_fprintf(FILE *stream, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	if (stream == stderr) {
		n = re_vsnprintf(buf, sizeof(buf), fmt, ap);
		if (n >= 0)
			libre_h(DBG_WARNING, buf, strlen(buf), NULL);
	}
	else {
		n = re_vfprintf(stream, fmt, ap);
	}
	va_end(ap);

	return n;
}


void log_libre_attach(void)
{
	/* no time prefix and no colours: the handler gets the bare text */
	dbg_init(DBG_INFO, DBG_NONE);
	dbg_handler_set(libre_h, NULL);
}
