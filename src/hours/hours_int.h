/*
 * hours: what parse.c (the text form) and hours.c (the questions asked of
 * it) share.
 */
#ifndef BECKON_HOURS_INT_H
#define BECKON_HOURS_INT_H

#include "hours/hours.h"

enum { MINUTES_DAY = 24 * 60 };

/* [start, end) in minutes after local midnight; end may be 1440 */
struct hours_range {
	uint16_t start;
	uint16_t end;
};

/*
 * Fixed arrays: the limits are small and a parsed object never grows,
 * so one allocation holds everything.
 */
struct hours {
	struct hours_range day[7][HOURS_MAX_RANGES];  /* 0 = Monday;
							* by start */
	uint8_t n[7];
	int32_t closed[HOURS_MAX_CLOSED];   /* local day numbers (days since
					     * 1970-01-01), ascending */
	uint32_t nclosed;
};

bool hours_closed_on(const struct hours *h, int64_t day);

#endif
