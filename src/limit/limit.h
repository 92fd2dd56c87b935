/*
 * limit: sliding-window request counters, the defence against call bombing
 * and toll fraud. A key ("acme|+14155550100", "acme|ip|10.0.0.1") keeps
 * the times of its recent requests; a check asks whether one more request
 * now would exceed N in the last W milliseconds and, if so, when the
 * oldest counted request leaves the window (the Retry-After).
 *
 * Everything is in memory and rebuilt at start-up from the store's intake
 * log, so a restart neither forgets nor double-counts. Entries older than
 * the longest window (limit_alloc's horizon) are dropped as keys are
 * touched, and a sweep removes idle keys, so memory stays bounded by the
 * traffic of one horizon.
 */
#ifndef BECKON_LIMIT_H
#define BECKON_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct limit;

int  limit_alloc(struct limit **lp, int64_t horizon_ms);

/* Record one request for key at time t (ms). */
int  limit_add(struct limit *l, const char *key, int64_t t);

/* Forget one request for key at time t (a request that did not count). */
void limit_remove(struct limit *l, const char *key, int64_t t);

/*
 * Would one more request at now exceed max in the last window_ms? Returns
 * false when allowed; true when not, with *retry_ms the wait until it
 * would be allowed. max 0 means "no limit".
 */
bool limit_exceeded(struct limit *l, const char *key, int64_t now,
		    int64_t window_ms, int64_t max, int64_t *retry_ms);

/* Requests counted for key in the last window_ms before now. */
uint32_t limit_count(struct limit *l, const char *key, int64_t now,
		     int64_t window_ms);

/* Drop everything older than the horizon; returns the keys left. */
uint32_t limit_sweep(struct limit *l, int64_t now);

#endif
