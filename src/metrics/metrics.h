/*
 * metrics: what beckon counts, rendered for GET /metrics in the
 * Prometheus text exposition format (version 0.0.4).
 *
 * One registry for the process, a static table in metrics.c: counters,
 * gauges and histograms with fixed buckets, each label taking its value
 * from a bounded set (route patterns, status codes, the dialer's
 * reasons; business ids only where they come from the store). Counting
 * is an array increment: no allocation and no lock. Everything counts
 * on the loop thread (libre's one event loop), which is the only thread
 * that touches beckon's state.
 *
 * What is a state rather than an event (callbacks by status, the queue,
 * agents, calls in progress) is not counted here: it is read from the
 * store when scraped (struct metrics_now), so it cannot drift from what
 * the store holds. No customer data in labels: no phone number, callback
 * id, URL or address, ever.
 */
#ifndef BECKON_METRICS_H
#define BECKON_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* the route pattern a request matched, never its raw path */
enum metrics_route {
	MR_NONE = 0,      /* refused before routing (413, 431, ...) */
	MR_OTHER,         /* no route: 404 */
	MR_HEALTHZ,
	MR_METRICS,
	MR_CALLBACKS,
	MR_CALLBACK,
	MR_BUSINESS,
	MR_WIDGET,
	MR_AGENT,
	MR_ADMIN,
	MR_DEMO,          /* the demo shop (--demo) */
	MR_COUNT
};

void metrics_http(enum metrics_route route, uint16_t status);

/* a leg that ended, by the dialer's reason (leg "customer" or "agent") */
void metrics_leg_outcome(const char *leg, const char *reason);

enum metrics_hist {
	MH_CLICK_TO_INVITE,   /* seconds, created to the customer's INVITE */
	MH_CLICK_TO_CONNECT,  /* seconds, created to bridged */
	MH_STORE_COMMIT,      /* seconds, a batch's BEGIN to its COMMIT */
	MH_STORE_BATCH,       /* operations in a committed batch */
	MH_COUNT
};

void metrics_observe(enum metrics_hist h, double v);

/* the dialer: none, or local (always up); remote ones are links */
enum metrics_dialer {
	MD_NONE = 0,
	MD_LOCAL,
};

void metrics_dialer(enum metrics_dialer state);

/* Remote dialers (app's pool): h fills in link i (its address, whether
 * it is up, its calls in flight) and returns false past the last; one
 * line each. NULL: none. */
struct metrics_link {
	const char *url;
	bool up;
	unsigned calls;
};
typedef bool (metrics_link_h)(unsigned i, struct metrics_link *l,
			      void *arg);
void metrics_dialer_links(metrics_link_h *h, void *arg);

/* webhook deliveries: an attempt answered 2xx, or failed */
void metrics_webhook(bool delivered);

/* forget every count (tests) */
void metrics_reset(void);

/*
 * What the store holds now, read for a scrape. Rendered as gauges with
 * every business (a business with nothing open shows 0).
 */
struct callback;
struct agent;

struct metrics_now {
	int64_t now;                       /* ms */
	const char *const *businesses;     /* ids */
	size_t nbusinesses;
	struct callback *const *open;      /* open callbacks */
	size_t nopen;
	struct agent *const *agents;
	size_t nagents;
};

struct mbuf;
int metrics_write(struct mbuf *mb, const struct metrics_now *now);

#endif
