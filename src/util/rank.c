/*
 * util: the percentiles of connect times (the median is p = 50), one
 * definition for every place that shows one: the reports, their CSV, the
 * admin API and the supervisor's "Today" figures. Two definitions made
 * the same day show two medians (the mean of the two middle values for
 * an even count against the nearest rank).
 *
 * Nearest rank, the smallest value with at least p% of the values at or
 * below it: the reports and their CSV already used it, the result is
 * always one of the seconds observed (a manager can find that call in
 * the rows, and whole seconds stay whole), and it needs no interpolation
 * rule to document.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "util/util.h"


int64_t rank_percentile(const int64_t *sorted, size_t n, unsigned p)
{
	size_t rank;

	if (!n)
		return -1;

	rank = ((size_t)p * n + 99) / 100;

	return sorted[rank ? rank - 1 : 0];
}
