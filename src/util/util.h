/*
 * util: the small things every subsystem uses: levelled logging with the
 * subsystem first on every line, wall-clock time, random tokens, and bounded
 * string helpers.
 *
 * Logging goes to stderr, one line per call, so that a person can grep for
 * "dialer:" or "store:". Each source file defines LOG_SUBSYS before
 * including this header (or gets "beckon").
 */
#ifndef BECKON_UTIL_H
#define BECKON_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef LOG_SUBSYS
#define LOG_SUBSYS "beckon"
#endif

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/* text: "subsys: level: message"; json: one object a line with time,
 * level, subsys and msg, for log shippers */
enum log_format {
	LOG_FMT_TEXT = 0,
	LOG_FMT_JSON,
};

void log_set_level(enum log_level lvl);
void log_set_timestamps(bool on);
void log_set_format(enum log_format fmt);
/* This node's name (NULL or "": none), a "node" field of every JSON
 * line; in text lines after the level only when in_text (several nodes
 * on one store: "store: info: host:8080: ..."). */
void log_set_node(const char *id, bool in_text);
enum log_level log_get_level(void);
int  log_level_parse(enum log_level *lvlp, const char *name);
int  log_format_parse(enum log_format *fmtp, const char *name);
/* libre's own messages (its dbg module) go through log_msg, subsystem
 * "libre", instead of to stderr in terminal colours */
void log_libre_attach(void);
void log_msg(enum log_level lvl, const char *subsys, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_error(...) log_msg(LOG_LVL_ERROR, LOG_SUBSYS, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, LOG_SUBSYS, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, LOG_SUBSYS, __VA_ARGS__)
#define log_debug(...) \
	do { \
		if (log_get_level() >= LOG_LVL_DEBUG) \
			log_msg(LOG_LVL_DEBUG, LOG_SUBSYS, __VA_ARGS__); \
	} while (0)

/* Milliseconds since the Unix epoch (wall clock), for stored timestamps. */
int64_t time_now_ms(void);

/*
 * Format a millisecond timestamp as RFC 3339 in UTC with milliseconds,
 * e.g. "2026-12-01T20:30:00.000Z". buf must hold at least 25 bytes.
 */
void time_fmt_rfc3339(char *buf, size_t sz, int64_t ms);

/*
 * Parse an RFC 3339 date-time ("2026-12-01T15:30:00-05:00", "...Z",
 * optional fraction). Returns 0 and the instant in ms, or EINVAL.
 */
int time_parse_rfc3339(int64_t *msp, const char *s, size_t len);

/*
 * tmr_start_now: start a zero-delay timer that runs in the next round of
 * the loop without the poll's 1 ms wait (see wake.c). wake_init, after
 * libre_init, makes it so; without it the timer still runs, later.
 * Loop thread only.
 */
struct tmr;
int  wake_init(void);
void wake_close(void);
void tmr_start_now(struct tmr *tmr, void (*th)(void *arg), void *arg);

/*
 * timer.c defines libre's tmr_start, tmr_cancel, tmr_poll and
 * tmr_next_timeout, which libre itself then calls: one list per delay
 * and a heap of lists instead of libre 1.1.0's one sorted list, whose
 * O(n) insertion made the SIP stack's thousands of 32 s timers cost
 * every new timer a walk. Same order, same answers. timer_count: timers
 * running.
 */
uint32_t timer_count(void);

/*
 * Grow a libre hash table (*hp, *bsizep buckets) that holds n elements:
 * above two a bucket, every element moves into a new table four times as
 * large (at most bmax buckets); keyh gives an element's hash key from its
 * le->data. Call it after adding an element; a failed allocation leaves
 * the table as it was (longer chains, still correct).
 */
struct hash;
typedef uint32_t (hash_key_h)(const void *data);
void hash_fit(struct hash **hp, uint32_t *bsizep, uint32_t n,
	      uint32_t bmax, hash_key_h *keyh);

/*
 * A random token of nbytes bytes from libsodium's CSPRNG, written as
 * unpadded base64url into buf (which must hold 4*nbytes/3 + 2 bytes).
 */
int token_random(char *buf, size_t sz, size_t nbytes);

/* Bytes this thread has drawn from that pool, libre's rand_* included. */
uint64_t token_drawn(void);

/* SHA-256 of s as 64 lower-case hex digits plus NUL into out[65]. */
void token_hash_hex(char out[65], const char *s, size_t len);

enum { PASSWORD_HASH_SIZE = 128 };

/*
 * Hash a password with argon2id (libsodium's crypto_pwhash_str, its
 * "interactive" cost) into out[PASSWORD_HASH_SIZE]; verify one against
 * such a hash. Slow on purpose: call them off the hot path.
 */
int  password_hash(char *out, size_t sz, const char *password);
bool password_verify(const char *hash, const char *password);

/* SHA-1 of data (for the WebSocket handshake only). */
void util_sha1(const void *data, size_t len, uint8_t out[20]);

/* Constant-time comparison of two equal-length strings. */
bool token_equal(const char *a, const char *b);

/*
 * Walk a list of words separated by spaces or commas ("a b,c"): returns
 * true with the next word in *itemp and *lenp, *pp moved past it, false at
 * the end. A NULL list is empty.
 */
bool str_list_next(const char **pp, const char **itemp, size_t *lenp);

/* Copy at most sz-1 bytes and always NUL-terminate; returns strlen(dst). */
size_t str_bcpy(char *dst, const char *src, size_t sz);

/* v in decimal at mb's position: mbuf_printf's "%lld" without libre's
 * formatter, a hot path's cost (an answer's numbers, every request). */
struct mbuf;
int util_write_int(struct mbuf *mb, int64_t v);

/* True when the len bytes at s are valid UTF-8 with no NUL or C0 control
 * other than tab, CR and LF (allow_nl) . */
bool utf8_valid_text(const char *s, size_t len, bool allow_nl);

/*
 * A field that came from the network, for a log line: its first bytes
 * (those past sz - 4 become "..."), each outside printable ASCII as '?',
 * so that a peer can neither flood the log nor write lines of its own.
 * buf has sz >= 8 bytes (LOG_FIELD_SZ: a Request-URI's worth).
 */
enum { LOG_FIELD_SZ = 128 };
const char *log_field(char *buf, size_t sz, const char *p, size_t len);

/* The nearest-rank percentile p (0..100; the median is 50) of n values
 * sorted in increasing order, -1 when n is 0 (util/rank.c says why this
 * definition). */
int64_t rank_percentile(const int64_t *sorted, size_t n, unsigned p);

struct sa;
/* "host:port" ("[v6]:port") of an address, for log lines; buf >= 64 */
const char *addr_str(char *buf, size_t sz, const struct sa *sa);

#endif
