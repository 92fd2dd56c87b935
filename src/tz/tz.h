/*
 * tz: IANA time zones without the C library's global TZ. beckon serves
 * many businesses, each in its own zone, from one single-threaded loop, so
 * it cannot setenv("TZ") and tzset() per request. Instead a registry reads
 * each zone's compiled TZif file (RFC 8536, versions 1 to 4) from a
 * zoneinfo directory once, keeps it by name, and converts between UTC
 * instants and local wall-clock times with plain functions.
 *
 * A zone is its transition table (the 64-bit one in version 2+ files) plus
 * the POSIX TZ string of the file's footer ("EST5EDT,M3.2.0,M11.1.0"),
 * which gives the rule for every instant after the last transition; that
 * is what keeps 2038 and later right. Leap-second records are ignored: the
 * "right/" zones are not civil time.
 *
 * Local to UTC is not a function on the two days a year that clocks
 * change, so tz_from_local chooses, always the same way:
 *
 *  - a local time that does not exist (in the spring-forward gap) maps to
 *    the instant the gap ends: 02:30 on 2026-03-08 in New York, where
 *    clocks jump from 02:00 EST to 03:00 EDT, is 07:00Z (03:00 EDT). Then
 *    an opening at 02:30 opens when the clocks reach 03:00, and a range
 *    crossing the gap is shorter that day, as a person there lives it;
 *  - a local time that happens twice (in the fall-back overlap) maps to
 *    its first occurrence, the earlier instant: 01:30 on 2026-11-01 in New
 *    York is 05:30Z (01:30 EDT), not 06:30Z (01:30 EST).
 *
 * A NULL zone is UTC everywhere. Reading a zone file is a small blocking
 * read of a local file, done once per name; load zones when configuration
 * is read, not per request.
 */
#ifndef BECKON_TZ_H
#define BECKON_TZ_H

#include <stdbool.h>
#include <stdint.h>

#define TZ_DIR_DEFAULT "/usr/share/zoneinfo"

enum {
	TZ_NAME_MAX  = 128,     /* longest zone name accepted */
	TZ_ZONES_MAX = 1024,    /* zones one registry keeps */
	TZ_ABBR_SIZE = 16,      /* "EST", "+0530", NUL included */
};

struct tz_registry;
struct tz_zone;

/* A broken-down local time. */
struct tz_local {
	int year;
	int month;              /* 1..12 */
	int day;                /* 1..31 */
	int hour;               /* 0..23 */
	int min;                /* 0..59 */
	int sec;                /* 0..59 */
	int weekday;            /* 0 = Monday .. 6 = Sunday */
	int32_t offset;         /* seconds east of UTC */
	bool is_dst;
	char abbr[TZ_ABBR_SIZE];
};

/*
 * A registry of zones read from dir (NULL: TZ_DIR_DEFAULT). Nothing is
 * read until tz_get asks for a zone.
 */
int tz_registry_alloc(struct tz_registry **regp, const char *dir);

/*
 * The zone called name ("America/New_York", "UTC"), read on first use.
 * Returns 0 and sets *zonep, EINVAL for a name that is not a plain
 * relative zone name (empty, too long, a leading "/", "..", "//", a part
 * starting with ".", characters other than letters, digits and "/_+-."),
 * ENOENT when there is no such file, EBADMSG when the file is not a valid
 * TZif file, ENOSPC when the registry already holds TZ_ZONES_MAX zones.
 * Failures are not cached: a zone installed later is found.
 *
 * The zone belongs to the registry and lives as long as it does; mem_ref
 * it to keep it longer.
 */
int tz_get(struct tz_registry *reg, const char *name,
	   struct tz_zone **zonep);

/* The name the zone was asked for ("UTC" for NULL). */
const char *tz_name(const struct tz_zone *zone);

/*
 * The offset from UTC, in seconds east (New York in winter: -18000), in
 * effect at the instant utc_ms; *is_dstp (if not NULL) tells whether the
 * zone calls it daylight saving time.
 */
int32_t tz_utc_offset(const struct tz_zone *zone, int64_t utc_ms,
		      bool *is_dstp);

/* The local wall-clock time at utc_ms (sub-second part dropped). */
int tz_to_local(const struct tz_zone *zone, int64_t utc_ms,
		struct tz_local *out);

/*
 * The instant (ms, a whole second) at which the zone's clocks show the
 * local time y-mo-d h:mi:s, chosen as described above for times in a gap
 * or an overlap. h may be 24 with mi and s 0: midnight at the end of the
 * day. Returns EINVAL for a date or time that is out of range (year 1 to
 * 9999, a real day of the month).
 */
int tz_from_local(const struct tz_zone *zone, int y, int mo, int d, int h,
		  int mi, int s, int64_t *utc_msp);

/*
 * Proleptic Gregorian calendar arithmetic on days since 1970-01-01, for
 * callers that step through local dates.
 */
int64_t tz_days_from_civil(int64_t y, int mo, int d);
void    tz_civil_from_days(int64_t days, int64_t *yp, int *mop, int *dp);
int     tz_weekday(int64_t days);    /* 0 = Monday .. 6 = Sunday */
int     tz_month_days(int64_t y, int mo);

#endif
