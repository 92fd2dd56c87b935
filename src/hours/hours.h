/*
 * hours: a business's weekly opening hours and closed dates, in the
 * local wall-clock time of its zone.
 *
 * The text form, for configuration and the API:
 *
 *   "mon-fri 09:00-17:30, sat 10:00-14:00"
 *   "mon,wed 08:00-12:00 13:00-17:00"
 *   "daily 00:00-24:00"                  always open
 *   "closed"                             never open
 *
 * Days (mon tue wed thu fri sat sun, or full names, any case; a range
 * such as mon-fri or fri-mon; "daily") are followed by one or more time
 * ranges HH:MM-HH:MM; words are separated by spaces, tabs or commas, and
 * the next day after a time range starts a new group. A range ends after
 * it starts on the same day; 24:00 is the end of the day, and a night
 * shift is written as two ranges ("fri 22:00-24:00, sat 00:00-02:00"),
 * which count as one open period. Ranges of a day may touch but not
 * overlap; a week has at most HOURS_MAX_RANGES of them.
 *
 * Closed dates are local dates "YYYY-MM-DD", separated the same way; on
 * one, the ranges of that day do not open.
 *
 * Opening times are wall-clock times: 09:00 is 09:00 local on both sides
 * of a DST change, so its UTC instant moves by the change. On the days
 * clocks change, local times map to instants as tz_from_local says: a
 * time in the spring-forward gap is the end of the gap, a repeated time
 * its first occurrence. So 01:00-04:00 lasts two hours on the day New
 * York springs forward and four the day it falls back, and a range that
 * lies wholly in the gap does not open that day.
 *
 * The searches look at most HOURS_SEARCH_DAYS local days ahead, closed
 * dates not counted: the weekly pattern repeats well within that.
 */
#ifndef BECKON_HOURS_H
#define BECKON_HOURS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tz_zone;
struct hours;

enum {
	HOURS_MAX_RANGES  = 7 * 4,      /* time ranges in a week */
	HOURS_MAX_CLOSED  = 366,        /* closed dates */
	HOURS_SEARCH_DAYS = 14,
	HOURS_SLOTS_DAYS  = 62,         /* widest span hours_slots lists */
};

/*
 * Parse weekly hours (text) and closed dates (closed, NULL or "" for
 * none). Returns 0 and a new object in *hp, or EINVAL with a message for
 * a person in errbuf (if not NULL): what was wrong and where.
 */
int hours_parse(struct hours **hp, const char *text, const char *closed,
		char *errbuf, size_t errsz);

/* Is the business open at utc_ms? A NULL zone is UTC. */
bool hours_is_open(const struct hours *h, const struct tz_zone *zone,
		   int64_t utc_ms);

/*
 * The first instant at or after utc_ms when the business is open:
 * utc_ms itself when open then. ENOENT when it does not open within the
 * search window.
 */
int hours_next_open(const struct hours *h, const struct tz_zone *zone,
		    int64_t utc_ms, int64_t *next_msp);

/*
 * The first instant at or after utc_ms when the business is closed:
 * utc_ms itself when closed then, else the end of the open period (ranges
 * that touch, also across midnight, are one period). ENOENT when it stays
 * open through the search window ("daily 00:00-24:00").
 */
int hours_next_close(const struct hours *h, const struct tz_zone *zone,
		     int64_t utc_ms, int64_t *next_msp);

/*
 * Start instants of the call-back slots offered in [from_ms, to_ms): in
 * each open range, its opening and every slot_minutes of wall-clock time
 * after it while before its end (the last slot may be shorter). Times
 * that DST makes fall together are listed once. Writes at most max
 * instants, ascending, to out and their number to *np. EINVAL for
 * slot_minutes outside 1..1440, to_ms < from_ms, or a span longer than
 * HOURS_SLOTS_DAYS days.
 */
int hours_slots(const struct hours *h, const struct tz_zone *zone,
		int64_t from_ms, int64_t to_ms, unsigned slot_minutes,
		int64_t *out, size_t max, size_t *np);

/*
 * The canonical text of the weekly hours ("mon-fri 09:00-17:30, sat
 * 10:00-14:00") and of the closed dates ("2026-12-25 2027-01-01"), which
 * hours_parse reads back to the same hours. ENOSPC when buf is too small.
 */
int hours_format(const struct hours *h, char *buf, size_t sz);
int hours_format_closed(const struct hours *h, char *buf, size_t sz);

#endif
