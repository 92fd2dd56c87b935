/*
 * Wall-clock time and RFC 3339. Stored timestamps are integer milliseconds
 * since the Unix epoch; the API speaks RFC 3339.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/time.h>
#include "util/util.h"


int64_t time_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);

	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


enum { RFC3339_LEN = 24 };

/* v in n digits at p, zero-padded (v below 10^n) */
static char *put_digits(char *p, int v, int n)
{
	int i;

	for (i = n; i-- > 0; v /= 10)
		p[i] = (char)('0' + v % 10);

	return p + n;
}


/* "YYYY-MM-DDTHH:MM:SS.mmmZ" of tm and the milliseconds, by hand: it is
 * in every answer to a create, where snprintf cost thirty times this. */
static void fmt_fields(char *buf, size_t sz, const struct tm *tm, int ms)
{
	char t[RFC3339_LEN + 1], *p = t;
	int year = tm->tm_year + 1900;

	if (year < 0 || year > 9999) {
		(void)snprintf(buf, sz, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
			       year, tm->tm_mon + 1, tm->tm_mday,
			       tm->tm_hour, tm->tm_min, tm->tm_sec, ms);
		return;
	}
	p = put_digits(p, year, 4);
	*p++ = '-';
	p = put_digits(p, tm->tm_mon + 1, 2);
	*p++ = '-';
	p = put_digits(p, tm->tm_mday, 2);
	*p++ = 'T';
	p = put_digits(p, tm->tm_hour, 2);
	*p++ = ':';
	p = put_digits(p, tm->tm_min, 2);
	*p++ = ':';
	p = put_digits(p, tm->tm_sec, 2);
	*p++ = '.';
	p = put_digits(p, ms, 3);
	*p++ = 'Z';
	*p = '\0';
	str_bcpy(buf, t, sz);
}


void time_fmt_rfc3339(char *buf, size_t sz, int64_t ms)
{
	time_t secs;
	struct tm tm;
	int64_t frac;

	if (!buf || !sz)
		return;

	secs = (time_t)(ms / 1000);
	frac = ms % 1000;
	if (frac < 0) {
		frac += 1000;
		--secs;
	}

	if (!gmtime_r(&secs, &tm)) {
		buf[0] = '\0';
		return;
	}

	fmt_fields(buf, sz, &tm, (int)frac);
}


static bool digits(const char *s, size_t n, int *v)
{
	int x = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (s[i] - '0');
	}

	*v = x;
	return true;
}


static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}


/* days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant) */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}


int time_parse_rfc3339(int64_t *msp, const char *s, size_t len)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, sec, oh = 0, om = 0, ms = 0;
	size_t p;
	int64_t t;
	int sign = 0;

	if (!msp || !s || len < 20 || len > 40)
		return EINVAL;

	/* YYYY-MM-DDTHH:MM:SS */
	if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
	    s[7] != '-' || !digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    !digits(s + 11, 2, &h) || s[13] != ':' ||
	    !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &sec))
		return EINVAL;

	if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 60)
		return EINVAL;
	if (d > mdays[mo - 1] + (mo == 2 && leap(y)))
		return EINVAL;
	if (sec == 60)
		sec = 59; /* a leap second is the instant before the next */

	p = 19;

	/* optional fraction: keep milliseconds, ignore finer digits */
	if (p < len && s[p] == '.') {
		size_t n = 0;

		++p;
		while (p < len && s[p] >= '0' && s[p] <= '9') {
			if (n < 3)
				ms = ms * 10 + (s[p] - '0');
			++n;
			++p;
		}
		if (n == 0 || n > 9)
			return EINVAL;
		for (; n < 3; n++)
			ms *= 10;
	}

	if (p >= len)
		return EINVAL;  /* the offset is required */

	if (s[p] == 'Z' || s[p] == 'z') {
		++p;
	}
	else if (s[p] == '+' || s[p] == '-') {
		sign = s[p] == '+' ? 1 : -1;
		if (len - p != 6 || !digits(s + p + 1, 2, &oh) ||
		    s[p + 3] != ':' || !digits(s + p + 4, 2, &om) ||
		    oh > 23 || om > 59)
			return EINVAL;
		p += 6;
	}
	else {
		return EINVAL;
	}

	if (p != len)
		return EINVAL;

	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= sign * (oh * 3600 + om * 60);

	*msp = t * 1000 + ms;

	return 0;
}
