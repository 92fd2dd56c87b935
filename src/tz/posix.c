/*
 * tz: POSIX TZ strings, as found in the footer of TZif files, with the
 * RFC 8536 extensions (rule times from -167 to 167 hours, DST all year).
 *
 *   EST5EDT,M3.2.0,M11.1.0
 *   <+1030>-10:30<+11>-11,M10.1.0,M4.1.0
 *   IST-5:30
 *
 * The offsets in the string count hours west of Greenwich (EST5 is UTC-5);
 * here they are turned around into seconds east, like the TZif types. A
 * rule's start time is in standard time and its end time in daylight
 * time, so each transition's UTC instant subtracts a different offset.
 *
 * To find the type at an instant, list the transitions of the years
 * around it in order and take the last one at or before it. That one
 * approach covers both hemispheres (DST across New Year), transition
 * times that spill into the next or previous year (M9.1.6/24, 26:00) and
 * DST all year, where a year's end and the next year's start fall on the
 * same instant: ends sort before starts so that DST wins.
 */
#include <errno.h>
#include <string.h>
#include "tz/tz_int.h"

enum {
	DEFAULT_RULE_TIME = 2 * 3600,
	YEARS_AROUND = 2,       /* rule times reach at most 7 days across a
				 * year's end; two years either side is
				 * more than enough */
	NTRANS = 2 * (2 * YEARS_AROUND + 1),
};

struct rule_trans {
	int64_t t;
	bool dst;               /* DST starts here (else it ends) */
};


static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}


static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}


/* A zone abbreviation: three or more letters, or <...> of letters, digits,
 * '+' and '-' ("<+0530>", "<-03>"). */
static int parse_abbr(const char **pp, const char *e, char *out)
{
	const char *p = *pp, *start;
	size_t n;

	if (p < e && *p == '<') {
		start = ++p;
		while (p < e && (is_alpha(*p) || is_digit(*p) || *p == '+' ||
				 *p == '-'))
			++p;
		if (p >= e || *p != '>')
			return EBADMSG;
		n = (size_t)(p - start);
		++p;
	}
	else {
		start = p;
		while (p < e && is_alpha(*p))
			++p;
		n = (size_t)(p - start);
	}

	if (n < 3 || n >= TZ_ABBR_SIZE)
		return EBADMSG;

	memcpy(out, start, n);
	out[n] = '\0';
	*pp = p;

	return 0;
}


static bool parse_num(const char **pp, const char *e, int maxdigits,
		      int32_t *np)
{
	const char *p = *pp;
	int32_t n = 0;
	int k = 0;

	while (p < e && is_digit(*p) && k < maxdigits) {
		n = n * 10 + (*p - '0');
		++p;
		++k;
	}
	if (!k || (p < e && is_digit(*p)))
		return false;

	*np = n;
	*pp = p;

	return true;
}


/* [+-]hh[:mm[:ss]] in seconds, |hh| <= maxh */
static int parse_hms(const char **pp, const char *e, int maxh,
		     int32_t *secsp)
{
	const char *p = *pp;
	int32_t h, m = 0, s = 0;
	int sign = 1;

	if (p < e && (*p == '+' || *p == '-')) {
		sign = *p == '-' ? -1 : 1;
		++p;
	}

	if (!parse_num(&p, e, 3, &h) || h > maxh)
		return EBADMSG;

	if (p < e && *p == ':') {
		++p;
		if (!parse_num(&p, e, 2, &m) || m > 59)
			return EBADMSG;
		if (p < e && *p == ':') {
			++p;
			if (!parse_num(&p, e, 2, &s) || s > 59)
				return EBADMSG;
		}
	}

	*secsp = sign * (h * 3600 + m * 60 + s);
	*pp = p;

	return 0;
}


static int parse_date(const char **pp, const char *e,
		      struct tz_rule_date *r)
{
	const char *p = *pp;
	int32_t a, b, c;

	if (p >= e)
		return EBADMSG;

	if (*p == 'J') {
		++p;
		if (!parse_num(&p, e, 3, &a) || a < 1 || a > 365)
			return EBADMSG;
		r->kind = 'J';
		r->d = (int16_t)a;
	}
	else if (is_digit(*p)) {
		if (!parse_num(&p, e, 3, &a) || a > 365)
			return EBADMSG;
		r->kind = 'n';
		r->d = (int16_t)a;
	}
	else if (*p == 'M') {
		++p;
		if (!parse_num(&p, e, 2, &a) || a < 1 || a > 12)
			return EBADMSG;
		if (p >= e || *p++ != '.')
			return EBADMSG;
		if (!parse_num(&p, e, 1, &b) || b < 1 || b > 5)
			return EBADMSG;
		if (p >= e || *p++ != '.')
			return EBADMSG;
		if (!parse_num(&p, e, 1, &c) || c > 6)
			return EBADMSG;
		r->kind = 'M';
		r->m = (int16_t)a;
		r->w = (int16_t)b;
		r->d = (int16_t)c;
	}
	else {
		return EBADMSG;
	}

	r->secs = DEFAULT_RULE_TIME;
	if (p < e && *p == '/') {
		++p;
		if (parse_hms(&p, e, 167, &r->secs))
			return EBADMSG;
	}

	*pp = p;

	return 0;
}


int tz_posix_parse(struct tz_posix *tzp, const char *s, size_t len)
{
	const char *p = s, *e;
	int32_t off;

	if (!tzp || !s)
		return EINVAL;

	e = s + len;
	memset(tzp, 0, sizeof(*tzp));

	if (parse_abbr(&p, e, tzp->std.abbr) ||
	    parse_hms(&p, e, 24, &off))
		return EBADMSG;
	tzp->std.utoff = -off;

	if (p == e)
		return 0;

	if (parse_abbr(&p, e, tzp->dst.abbr))
		return EBADMSG;
	tzp->dst.isdst = true;
	tzp->has_dst = true;

	/* without an offset, daylight time is one hour ahead */
	if (p < e && *p != ',') {
		if (parse_hms(&p, e, 24, &off))
			return EBADMSG;
		tzp->dst.utoff = -off;
	}
	else {
		tzp->dst.utoff = tzp->std.utoff + 3600;
	}

	/* POSIX leaves DST without a rule to the implementation; zic always
	 * writes one, so a footer without one is not from a real zone */
	if (p >= e || *p++ != ',' || parse_date(&p, e, &tzp->start) ||
	    p >= e || *p++ != ',' || parse_date(&p, e, &tzp->end) || p != e)
		return EBADMSG;

	return 0;
}


/* The local wall-clock second (as if it were UTC) at which r falls in y */
static int64_t rule_local(const struct tz_rule_date *r, int64_t y)
{
	int64_t jan1 = tz_days_from_civil(y, 1, 1), first, days;
	int mdays, wd;

	switch (r->kind) {

	case 'J':
		/* Feb 29 is never counted: J60 is always March 1 */
		days = jan1 + r->d - 1 +
			(r->d >= 60 && tz_month_days(y, 2) == 29);
		break;

	case 'n':
		days = jan1 + r->d;
		break;

	default:
		first = tz_days_from_civil(y, r->m, 1);
		mdays = tz_month_days(y, r->m);
		wd = (tz_weekday(first) + 1) % 7;       /* 0 = Sunday */
		days = first + (r->d - wd + 7) % 7 + 7 * (r->w - 1);

		/* week 5 is "the last", which may be the fourth */
		while (days >= first + mdays)
			days -= 7;
		break;
	}

	return days * 86400 + r->secs;
}


static size_t transitions_around(const struct tz_posix *p, int64_t t,
				 struct rule_trans *out)
{
	int64_t y, y0;
	size_t n = 0, i, j;
	int mo, d;

	tz_civil_from_days(tz_floor_div(t, 86400), &y0, &mo, &d);

	for (y = y0 - YEARS_AROUND; y <= y0 + YEARS_AROUND; y++) {
		out[n].t = rule_local(&p->start, y) - p->std.utoff;
		out[n++].dst = true;
		out[n].t = rule_local(&p->end, y) - p->dst.utoff;
		out[n++].dst = false;
	}

	/* insertion sort of ten: by instant, an end before a start */
	for (i = 1; i < n; i++) {
		struct rule_trans x = out[i];

		for (j = i; j > 0; j--) {
			const struct rule_trans *prev = &out[j - 1];

			if (prev->t < x.t ||
			    (prev->t == x.t && (!prev->dst || x.dst)))
				break;
			out[j] = out[j - 1];
		}
		out[j] = x;
	}

	return n;
}


const struct tz_type *tz_posix_type(const struct tz_posix *p, int64_t t)
{
	struct rule_trans tr[NTRANS];
	const struct tz_type *type = &p->std;
	size_t n, i;

	if (!p->has_dst)
		return type;

	n = transitions_around(p, t, tr);
	for (i = 0; i < n && tr[i].t <= t; i++)
		type = tr[i].dst ? &p->dst : &p->std;

	return type;
}


bool tz_posix_next(const struct tz_posix *p, int64_t t, int64_t *nextp)
{
	struct rule_trans tr[NTRANS];
	size_t n, i;

	if (!p->has_dst)
		return false;

	n = transitions_around(p, t, tr);
	for (i = 0; i < n; i++) {
		if (tr[i].t > t) {
			*nextp = tr[i].t;
			return true;
		}
	}

	return false;
}
