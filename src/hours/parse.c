/*
 * hours: the text form. The weekly text is a stream of words of two
 * kinds, days ("mon-fri", "sat", "daily") and time ranges ("09:00-17:30");
 * a group is some days followed by some ranges, and a day word after a
 * range starts the next group. Separators carry no meaning, so "mon,wed
 * 08:00-12:00 13:00-17:00" and "mon wed, 08:00-12:00, 13:00-17:00" are the
 * same. Errors quote the word at fault, for a person fixing a config.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#include "tz/tz.h"
#include "hours/hours_int.h"

enum {
	WORD_SHOWN = 40,        /* at most this much of a word in errors */
	DATE_LEN = 10,          /* YYYY-MM-DD */
};

static const char *const day_names[7] = {
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
	"sunday",
};


static int fail(char *errbuf, size_t errsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *errbuf, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (errbuf && errsz) {
		va_start(ap, fmt);
		vsnprintf(errbuf, errsz, fmt, ap);
		va_end(ap);
	}

	return EINVAL;
}


static bool is_sep(char c)
{
	return c == ' ' || c == '\t' || c == ',' || c == '\r' || c == '\n';
}


/*
 * The next word, its length capped at WORD_SHOWN + 1: nothing valid is
 * that long, and an error quotes at most WORD_SHOWN characters of it.
 */
static bool next_word(const char **pp, const char **wp, int *np)
{
	const char *p = *pp, *w;

	while (*p && is_sep(*p))
		++p;
	w = p;
	while (*p && !is_sep(*p))
		++p;
	*pp = p;

	*wp = w;
	*np = p - w > WORD_SHOWN ? WORD_SHOWN + 1 : (int)(p - w);

	return p > w;
}


/* 0..6 for "mon" or "monday" (any case), -1 otherwise */
static int day_index(const char *s, size_t n)
{
	int i;

	for (i = 0; i < 7; i++) {
		if ((n == 3 || n == strlen(day_names[i])) &&
		    !strncasecmp(s, day_names[i], n))
			return i;
	}

	return -1;
}


/* "mon", "mon-fri", "fri-mon" (across the week's end), "daily" */
static bool days_parse(const char *s, size_t n, uint8_t *maskp)
{
	const char *dash;
	int a, b, d;

	if (n == 5 && !strncasecmp(s, "daily", 5)) {
		*maskp = 0x7f;
		return true;
	}

	dash = memchr(s, '-', n);
	if (!dash) {
		a = b = day_index(s, n);
	}
	else {
		a = day_index(s, (size_t)(dash - s));
		b = day_index(dash + 1, n - (size_t)(dash - s) - 1);
	}
	if (a < 0 || b < 0)
		return false;

	*maskp = 0;
	for (d = a;; d = (d + 1) % 7) {
		*maskp |= (uint8_t)(1u << d);
		if (d == b)
			break;
	}

	return true;
}


/* "H:MM" or "HH:MM" with hour 0..24 and minute 0..59, in minutes */
static int time_parse(const char *s, size_t n)
{
	int h = 0, m = 0;
	size_t i, colon = n - 3;

	if ((n != 4 && n != 5) || s[colon] != ':')
		return -1;

	for (i = 0; i < n; i++) {
		if (i == colon)
			continue;
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (i < colon)
			h = h * 10 + (s[i] - '0');
		else
			m = m * 10 + (s[i] - '0');
	}

	if (h > 24 || m > 59 || (h == 24 && m))
		return -1;

	return h * 60 + m;
}


static int range_parse(struct hours_range *r, const char *w, int n,
		       char *errbuf, size_t errsz)
{
	const char *dash = memchr(w, '-', (size_t)n);
	int a, b;

	if (!dash)
		goto bad;

	a = time_parse(w, (size_t)(dash - w));
	b = time_parse(dash + 1, (size_t)(n - (dash - w) - 1));
	if (a < 0 || b < 0)
		goto bad;

	if (a == MINUTES_DAY)
		return fail(errbuf, errsz, "\"%.*s\": 24:00 is only an end "
			    "time (the day starts at 00:00)", n, w);
	if (b == a)
		return fail(errbuf, errsz, "\"%.*s\" is empty", n, w);
	if (b < a)
		return fail(errbuf, errsz, "\"%.*s\" ends before it starts "
			    "(split a night in two: \"fri 22:00-24:00, sat "
			    "00:00-02:00\")", n, w);

	r->start = (uint16_t)a;
	r->end = (uint16_t)b;

	return 0;

 bad:
	return fail(errbuf, errsz, "bad time range \"%.*s\" (expected "
		    "HH:MM-HH:MM)", n, w);
}


static int range_add(struct hours *h, int d, const struct hours_range *r,
		     char *errbuf, size_t errsz)
{
	struct hours_range *v = h->day[d];
	unsigned i, total = 0;

	for (i = 0; i < 7; i++)
		total += h->n[i];
	if (total >= HOURS_MAX_RANGES)
		return fail(errbuf, errsz, "more than %d time ranges in a "
			    "week", HOURS_MAX_RANGES);

	for (i = 0; i < h->n[d]; i++) {
		if (r->start < v[i].end && v[i].start < r->end)
			return fail(errbuf, errsz, "%.3s: %02u:%02u-%02u:%02u"
				    " overlaps %02u:%02u-%02u:%02u",
				    day_names[d], r->start / 60u,
				    r->start % 60u, r->end / 60u,
				    r->end % 60u, v[i].start / 60u,
				    v[i].start % 60u, v[i].end / 60u,
				    v[i].end % 60u);
	}

	/* keep the day's ranges in order of start */
	for (i = h->n[d]; i > 0 && v[i - 1].start > r->start; i--)
		v[i] = v[i - 1];
	v[i] = *r;
	++h->n[d];

	return 0;
}


static int weekly_parse(struct hours *h, const char *text, char *errbuf,
			size_t errsz)
{
	const char *p = text, *w;
	uint8_t group = 0, mask;
	bool group_timed = false, any = false, closed = false;
	int n, d, err;

	while (next_word(&p, &w, &n)) {
		struct hours_range r;

		if (n > WORD_SHOWN)
			return fail(errbuf, errsz, "unknown word \"%.*s...\"",
				    WORD_SHOWN, w);
		any = true;

		if (n == 6 && !strncasecmp(w, "closed", 6)) {
			closed = true;
			continue;
		}

		if (w[0] >= '0' && w[0] <= '9') {
			if (!group)
				return fail(errbuf, errsz, "time range "
					    "\"%.*s\" without days before "
					    "it", n, w);

			err = range_parse(&r, w, n, errbuf, errsz);
			if (err)
				return err;

			for (d = 0; d < 7; d++) {
				if (!(group & (1u << d)))
					continue;
				err = range_add(h, d, &r, errbuf, errsz);
				if (err)
					return err;
			}
			group_timed = true;
			continue;
		}

		if (!days_parse(w, (size_t)n, &mask))
			return fail(errbuf, errsz, "unknown day \"%.*s\" "
				    "(mon..sun, mon-fri, daily)", n, w);

		if (group_timed) {
			group = 0;
			group_timed = false;
		}
		group |= mask;
	}

	if (closed && (group || h->n[0] + h->n[1] + h->n[2] + h->n[3] +
		       h->n[4] + h->n[5] + h->n[6]))
		return fail(errbuf, errsz, "\"closed\" stands alone: it "
			    "means never open");
	if (!any)
		return fail(errbuf, errsz, "no opening hours (\"daily "
			    "00:00-24:00\" is always open, \"closed\" "
			    "never)");
	if (group && !group_timed)
		return fail(errbuf, errsz, "days without time ranges at the "
			    "end");

	return 0;
}


static int date_parse(int64_t *dayp, const char *w, int n)
{
	int y = 0, mo, d, i;

	if (n != DATE_LEN || w[4] != '-' || w[7] != '-')
		return EINVAL;
	for (i = 0; i < DATE_LEN; i++) {
		if (i != 4 && i != 7 && (w[i] < '0' || w[i] > '9'))
			return EINVAL;
	}

	for (i = 0; i < 4; i++)
		y = y * 10 + (w[i] - '0');
	mo = (w[5] - '0') * 10 + (w[6] - '0');
	d = (w[8] - '0') * 10 + (w[9] - '0');

	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > tz_month_days(y, mo))
		return EINVAL;

	*dayp = tz_days_from_civil(y, mo, d);

	return 0;
}


static int closed_parse(struct hours *h, const char *text, char *errbuf,
			size_t errsz)
{
	const char *p = text, *w;
	int64_t day;
	uint32_t i;
	int n;

	while (text && next_word(&p, &w, &n)) {
		if (date_parse(&day, w, n))
			return fail(errbuf, errsz, "bad closed date \"%.*s\" "
				    "(expected YYYY-MM-DD)", n, w);

		if (hours_closed_on(h, day))
			continue;

		if (h->nclosed >= HOURS_MAX_CLOSED)
			return fail(errbuf, errsz, "more than %d closed "
				    "dates", HOURS_MAX_CLOSED);

		for (i = h->nclosed; i > 0 && h->closed[i - 1] > day; i--)
			h->closed[i] = h->closed[i - 1];
		h->closed[i] = (int32_t)day;
		++h->nclosed;
	}

	return 0;
}


int hours_parse(struct hours **hp, const char *text, const char *closed,
		char *errbuf, size_t errsz)
{
	struct hours *h;
	int err;

	if (errbuf && errsz)
		errbuf[0] = '\0';

	if (!hp)
		return EINVAL;
	if (!text)
		return fail(errbuf, errsz, "no opening hours");

	h = mem_zalloc(sizeof(*h), NULL);
	if (!h)
		return ENOMEM;

	err = weekly_parse(h, text, errbuf, errsz);
	if (err)
		goto out;

	err = closed_parse(h, closed, errbuf, errsz);

 out:
	if (err)
		mem_deref(h);
	else
		*hp = h;

	return err;
}


bool hours_closed_on(const struct hours *h, int64_t day)
{
	uint32_t lo = 0, hi = h->nclosed;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (h->closed[mid] == day)
			return true;
		if (h->closed[mid] < day)
			lo = mid + 1;
		else
			hi = mid;
	}

	return false;
}


/* Appends to buf at *offp, keeping count of what did not fit. */
static void put(char *buf, size_t sz, size_t *offp, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void put(char *buf, size_t sz, size_t *offp, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(*offp < sz ? buf + *offp : NULL,
		      *offp < sz ? sz - *offp : 0, fmt, ap);
	va_end(ap);

	if (n > 0)
		*offp += (size_t)n;
}


static bool same_ranges(const struct hours *h, int a, int b)
{
	return h->n[a] == h->n[b] &&
		!memcmp(h->day[a], h->day[b], h->n[a] * sizeof(h->day[a][0]));
}


/* "daily", or runs of days: "mon-wed,fri" */
static void put_days(char *buf, size_t sz, size_t *offp, unsigned mask)
{
	bool first = true;
	int d = 0, e;

	if (mask == 0x7f) {
		put(buf, sz, offp, "daily");
		return;
	}

	while (d < 7) {
		if (!(mask & (1u << d))) {
			++d;
			continue;
		}
		for (e = d; e + 1 < 7 && (mask & (1u << (e + 1))); e++)
			;
		put(buf, sz, offp, "%s%.3s", first ? "" : ",",
		    day_names[d]);
		if (e > d)
			put(buf, sz, offp, "-%.3s", day_names[e]);
		first = false;
		d = e + 1;
	}
}


int hours_format(const struct hours *h, char *buf, size_t sz)
{
	unsigned done = 0, mask;
	size_t off = 0;
	int d, e, i;

	if (!h || !buf || !sz)
		return EINVAL;

	buf[0] = '\0';

	/* days with the same ranges share a group, in order of their first
	 * day */
	for (d = 0; d < 7; d++) {
		if ((done & (1u << d)) || !h->n[d])
			continue;

		mask = 0;
		for (e = d; e < 7; e++) {
			if (same_ranges(h, d, e))
				mask |= 1u << e;
		}
		done |= mask;

		if (off)
			put(buf, sz, &off, ", ");
		put_days(buf, sz, &off, mask);

		for (i = 0; i < h->n[d]; i++) {
			const struct hours_range *r = &h->day[d][i];

			put(buf, sz, &off, " %02u:%02u-%02u:%02u",
			    r->start / 60u, r->start % 60u, r->end / 60u,
			    r->end % 60u);
		}
	}

	if (!off)
		put(buf, sz, &off, "closed");

	return off < sz ? 0 : ENOSPC;
}


int hours_format_closed(const struct hours *h, char *buf, size_t sz)
{
	size_t off = 0;
	uint32_t i;

	if (!h || !buf || !sz)
		return EINVAL;

	buf[0] = '\0';

	for (i = 0; i < h->nclosed; i++) {
		int64_t y;
		int mo, d;

		tz_civil_from_days(h->closed[i], &y, &mo, &d);
		put(buf, sz, &off, "%s%04lld-%02d-%02d", i ? " " : "",
		    (long long)y, mo, d);
	}

	return off < sz ? 0 : ENOSPC;
}
