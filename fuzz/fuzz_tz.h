/*
 * What the time-zone targets share: an instant taken from the input,
 * kept within the years 1 to 9999 (what tz.h's callers can pass: dates
 * a person could type, clocks of this era).
 */
#ifndef BECKON_FUZZ_TZ_H
#define BECKON_FUZZ_TZ_H

#include <stdint.h>
#include <string.h>

#define FUZZ_T_MIN (-62135596800LL)     /* 0001-01-01T00:00:00Z */
#define FUZZ_T_MAX (253402300799LL)     /* 9999-12-31T23:59:59Z */

/* seconds from the input's first 8 bytes, in range; consumes them */
static inline int64_t fuzz_instant(const uint8_t **pp, size_t *np)
{
	uint64_t u = 0;
	int64_t span = FUZZ_T_MAX - FUZZ_T_MIN + 1;

	if (*np >= 8) {
		memcpy(&u, *pp, 8);
		*pp += 8;
		*np -= 8;
	}

	return FUZZ_T_MIN + (int64_t)(u % (uint64_t)span);
}

#endif
