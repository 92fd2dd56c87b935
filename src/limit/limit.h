/*
 * limit: sliding-window request counters, the defence against call bombing
 * and toll fraud. A key ("acme|+14155550100", "acme|ip|10.0.0.1") keeps
 * the times of its recent requests; a check asks whether one more request
 * now would exceed N in the last W milliseconds and, if so, when the
 * oldest counted request leaves the window (the Retry-After).
 *
 * Everything is in memory and rebuilt at start-up from the store (the
 * callbacks and joined requests), so a restart neither forgets nor
 * double-counts. It is one node's count: the per-phone limits are
 * counted again in the store's create transaction, for every node.
 * Entries older than the longest window (limit_alloc's horizon) are
 * dropped as keys are touched, and a sweep removes idle keys, so memory
 * stays bounded by the traffic of one horizon.
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

/*
 * limit_ban: failure counters with a growing ban, the defence against
 * password guessing (SIP digest). A key ("10.0.0.1", "10.0.0.1|alice")
 * that fails conf.fails times within conf.window_ms of its first counted
 * failure is banned for conf.ban_ms; each next ban of the key lasts twice
 * the one before, up to conf.ban_max_ms. A key quiet for ban_max_ms after
 * its last ban starts afresh.
 *
 * The table has a fixed number of entries, allocated once: attackers
 * choose their addresses, so a new key takes a free entry or evicts the
 * least recently used one (an unbanned one when one of the oldest few is
 * unbanned). Keys are cut at LIMIT_BAN_KEY_MAX - 1 bytes.
 */
enum { LIMIT_BAN_KEY_MAX = 128 };

struct limit_ban;

struct limit_ban_conf {
	uint32_t fails;           /* failures before a ban (0: never) */
	int64_t window_ms;
	int64_t ban_ms;           /* the first ban */
	int64_t ban_max_ms;       /* the longest */
};

int  limit_ban_alloc(struct limit_ban **bp, uint32_t size);

/* Is key banned at now? Then *left_ms (when given) is the time left. */
bool limit_ban_active(struct limit_ban *b, const char *key, int64_t now,
		      int64_t *left_ms);

/*
 * One failure for key at now. Returns the length of the ban it started
 * (ms), or 0: not yet, or already banned (a failure during a ban neither
 * counts nor lengthens it).
 */
int64_t limit_ban_fail(struct limit_ban *b, const char *key, int64_t now,
		       const struct limit_ban_conf *conf);

/*
 * A success: forget key's failures. Its past bans still lengthen the next
 * (a guesser who found the password is not forgiven the guessing); they
 * are forgotten as any, after ban_max_ms of quiet.
 */
void limit_ban_clear(struct limit_ban *b, const char *key);

/* Keys in the table (at most its size). */
uint32_t limit_ban_keys(const struct limit_ban *b);

#endif
