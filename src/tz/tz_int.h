/*
 * tz: what the subsystem's files share. tzif.c turns the bytes of a zone
 * file into a struct tz_zone, posix.c parses and evaluates the footer's
 * POSIX TZ string, tz.c keeps the registry and answers the conversions.
 */
#ifndef BECKON_TZ_INT_H
#define BECKON_TZ_INT_H

#include <stddef.h>
#include <re.h>
#include "tz/tz.h"

enum {
	/* No zone is more than 26 hours from UTC (RFC 8536 allows
	 * -89999..93599 seconds): this bounds every search for a local
	 * time. */
	TZ_OFF_MAX = 26 * 3600,

	/* The largest real zone file is a few KiB; anything much bigger is
	 * not one, and reading it would only cost memory. */
	TZ_FILE_MAX = 256 * 1024,

	TZ_FOOTER_MAX = 256,
};

/* A local time type: an offset, whether it is DST, its abbreviation. */
struct tz_type {
	int32_t utoff;          /* seconds east of UTC */
	bool isdst;
	char abbr[TZ_ABBR_SIZE];
};

/* A day of a POSIX rule: Jn, n or Mm.w.d, and the local time on it. */
struct tz_rule_date {
	char kind;              /* 'J' (1..365, no Feb 29), 'n' (0..365),
				 * 'M' (month, week 1..5, day 0=Sunday) */
	int16_t m, w, d;        /* d is also the day for J and n */
	int32_t secs;           /* -167h..167h (RFC 8536 extension) */
};

/* A POSIX TZ string: "std offset [dst [offset] ,start[/time],end[/time]]" */
struct tz_posix {
	struct tz_type std;
	struct tz_type dst;
	bool has_dst;
	struct tz_rule_date start;   /* in standard time */
	struct tz_rule_date end;     /* in daylight time */
};

struct tz_zone {
	struct le he;           /* in the registry */
	char *name;
	int64_t *trans;         /* transition instants, strictly ascending */
	uint8_t *tidx;          /* the type each transition starts */
	uint32_t ntrans;
	struct tz_type *types;
	uint32_t ntypes;        /* at least 1; types[0] is before trans[0] */
	struct tz_posix posix;
	bool has_posix;         /* the rule after trans[ntrans - 1] */
};

/* tzif.c */
int tz_zone_parse(struct tz_zone **zonep, const char *name,
		  const uint8_t *buf, size_t len);

/* posix.c */
int  tz_posix_parse(struct tz_posix *p, const char *s, size_t len);
const struct tz_type *tz_posix_type(const struct tz_posix *p, int64_t t);
bool tz_posix_next(const struct tz_posix *p, int64_t t, int64_t *nextp);

/* civil arithmetic, in seconds: floor division that is right for
 * negative instants */
static inline int64_t tz_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

#endif
