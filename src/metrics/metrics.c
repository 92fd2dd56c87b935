/*
 * metrics: the registry (static arrays, one slot per label combination)
 * and the exposition writer. See metrics.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "store/store.h"
#include "dialer/dialer.h"
#include "metrics/metrics.h"

enum {
	CODE_MIN = 100,
	CODE_N = 500,            /* 100..599 */
	REASON_MAX = 32,         /* the dialer's reasons, then "other" */
	BUCKET_MAX = 16,
	DISTINCT_MAX = 32,       /* agent states */
};

static const char *const route_names[MR_COUNT] = {
	[MR_NONE]      = "none",
	[MR_OTHER]     = "other",
	[MR_HEALTHZ]   = "/healthz",
	[MR_METRICS]   = "/metrics",
	[MR_CALLBACKS] = "/v1/callbacks",
	[MR_CALLBACK]  = "/v1/callbacks/{id}",
	[MR_BUSINESS]  = "/v1/businesses/{id}/*",
	[MR_WIDGET]    = "/widget.js",
	[MR_AGENT]     = "/agent/*",
	[MR_ADMIN]     = "/v1/admin/*",
	[MR_DEMO]      = "demo",
};

/* "none": the call's end, when the dialer names no leg */
enum leg { LEG_CUSTOMER, LEG_AGENT, LEG_NONE, LEG_N };
static const char *const leg_names[LEG_N] = {"customer", "agent", "none"};

struct hist_def {
	const char *name;
	const char *help;
	double bounds[BUCKET_MAX];   /* ascending; +Inf is implied */
	size_t n;
};

/* fixed buckets: a scheduled-for-now callback is called within seconds
 * to minutes; a commit takes well under a millisecond to a few */
static const struct hist_def hist_defs[MH_COUNT] = {
	[MH_CLICK_TO_INVITE] = {"beckon_click_to_invite_seconds",
		"From a callback's request to its customer's first INVITE "
		"(callbacks asked for now).",
		{1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600}, 12},
	[MH_CLICK_TO_CONNECT] = {"beckon_click_to_connect_seconds",
		"From a callback's request to customer and agent bridged "
		"(callbacks asked for now).",
		{5, 10, 20, 30, 45, 60, 90, 120, 300, 600, 1800, 3600}, 12},
	[MH_STORE_COMMIT] = {"beckon_store_commit_seconds",
		"Time of a store batch, from BEGIN to COMMIT (with fsync).",
		{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
		 0.05, 0.1, 0.25, 0.5, 1}, 13},
	[MH_STORE_BATCH] = {"beckon_store_batch_size",
		"Operations committed together in one store transaction.",
		{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}, 11},
};

struct hist {
	uint64_t bucket[BUCKET_MAX + 1];   /* not cumulative; last: +Inf */
	uint64_t count;
	double sum;
};

static struct {
	uint64_t http[MR_COUNT][CODE_N];
	uint64_t http_odd;                 /* a status outside 100..599 */
	uint64_t legs[LEG_N][REASON_MAX + 1];
	struct hist hist[MH_COUNT];
	enum metrics_dialer dialer;
	metrics_link_h *linkh;
	void *linkarg;
	uint64_t webhook_ok, webhook_fail;
} reg;


void metrics_http(enum metrics_route route, uint16_t status)
{
	if ((unsigned)route >= MR_COUNT)
		route = MR_OTHER;

	if (status >= CODE_MIN && status < CODE_MIN + CODE_N)
		++reg.http[route][status - CODE_MIN];
	else
		++reg.http_odd;
}


/* the dialer's reason names are its own (dialer_reason_name); anything
 * else, e.g. from a remote dialer of another version, is "other" */
static size_t reason_index(const char *reason)
{
	size_t r;

	if (!reason)
		return REASON_MAX;

	for (r = 1; r < REASON_MAX; r++) {
		const char *n = dialer_reason_name((enum dialer_reason)r);

		if (!strcmp(n, "?"))
			break;
		if (!strcmp(n, reason))
			return r;
	}

	return REASON_MAX;
}


void metrics_leg_outcome(const char *leg, const char *reason)
{
	enum leg l = !leg ? LEG_NONE :
		!strcmp(leg, "agent") ? LEG_AGENT :
		!strcmp(leg, "customer") ? LEG_CUSTOMER : LEG_NONE;

	++reg.legs[l][reason_index(reason)];
}


void metrics_observe(enum metrics_hist h, double v)
{
	const struct hist_def *d;
	struct hist *x;
	size_t i;

	if ((unsigned)h >= MH_COUNT)
		return;

	d = &hist_defs[h];
	x = &reg.hist[h];

	for (i = 0; i < d->n && v > d->bounds[i]; i++)
		;
	++x->bucket[i];
	++x->count;
	x->sum += v;
}


void metrics_dialer(enum metrics_dialer state)
{
	reg.dialer = state;
}


void metrics_dialer_links(metrics_link_h *h, void *arg)
{
	reg.linkh = h;
	reg.linkarg = arg;
}


void metrics_webhook(bool delivered)
{
	if (delivered)
		++reg.webhook_ok;
	else
		++reg.webhook_fail;
}


void metrics_reset(void)
{
	memset(&reg, 0, sizeof(reg));
}


/* ---- the exposition ---- */

/* a label value, escaped as the format says (\\, \", \n) */
static int label_print(struct re_printf *pf, void *arg)
{
	const char *s = arg;
	int err = 0;

	for (; *s && !err; s++) {
		if (*s == '\\' || *s == '"')
			err = re_hprintf(pf, "\\%c", *s);
		else if (*s == '\n')
			err = re_hprintf(pf, "\\n");
		else
			err = re_hprintf(pf, "%c", *s);
	}

	return err;
}


static int family(struct mbuf *mb, const char *name, const char *type,
		  const char *help)
{
	return mbuf_printf(mb, "# HELP %s %s\n# TYPE %s %s\n", name, help,
			   name, type);
}


/* the local dialer, or each remote one by its address */
static int write_dialers(struct mbuf *mb)
{
	static const char up[] = "beckon_dialer_up";
	static const char calls[] = "beckon_dialer_calls";
	struct metrics_link l;
	unsigned i;
	int err;

	if (reg.dialer == MD_NONE && !reg.linkh)
		return 0;

	err = family(mb, up, "gauge", "1 when the dialer can take calls "
		     "(local; a remote one: its link is up).");
	if (reg.dialer == MD_LOCAL)
		err |= mbuf_printf(mb, "%s{dialer=\"local\"} 1\n", up);
	for (i = 0; reg.linkh && reg.linkh(i, &l, reg.linkarg); i++)
		err |= mbuf_printf(mb, "%s{dialer=\"%H\"} %d\n", up,
				   label_print, l.url, l.up);
	if (!reg.linkh)
		return err;

	err |= family(mb, calls, "gauge", "Calls in flight at each remote "
		      "dialer (sent, their end not back yet).");
	for (i = 0; reg.linkh(i, &l, reg.linkarg); i++)
		err |= mbuf_printf(mb, "%s{dialer=\"%H\"} %u\n", calls,
				   label_print, l.url, l.calls);

	return err;
}


static int write_http(struct mbuf *mb)
{
	static const char name[] = "beckon_http_requests_total";
	unsigned r, c;
	int err;

	err = family(mb, name, "counter",
		     "HTTP requests answered, by route pattern and status.");

	for (r = 0; r < MR_COUNT && !err; r++) {
		for (c = 0; c < CODE_N && !err; c++) {
			if (!reg.http[r][c])
				continue;
			err = mbuf_printf(mb, "%s{route=\"%s\",code=\"%u\"} "
					  "%llu\n", name, route_names[r],
					  c + CODE_MIN, (unsigned long long)
					  reg.http[r][c]);
		}
	}

	return err;
}


static int write_legs(struct mbuf *mb)
{
	static const char name[] = "beckon_leg_outcomes_total";
	unsigned l, r;
	int err;

	err = family(mb, name, "counter",
		     "Call legs ended, by leg and the dialer's reason.");

	for (l = 0; l < LEG_N && !err; l++) {
		for (r = 0; r <= REASON_MAX && !err; r++) {
			if (!reg.legs[l][r])
				continue;
			err = mbuf_printf(mb, "%s{leg=\"%s\",reason=\"%s\"} "
					  "%llu\n", name, leg_names[l],
					  r == REASON_MAX ? "other" :
					  dialer_reason_name(
						  (enum dialer_reason)r),
					  (unsigned long long)
					  reg.legs[l][r]);
		}
	}

	return err;
}


static int write_hist(struct mbuf *mb, enum metrics_hist h)
{
	const struct hist_def *d = &hist_defs[h];
	const struct hist *x = &reg.hist[h];
	uint64_t cum = 0;
	char num[32];
	size_t i;
	int err;

	err = family(mb, d->name, "histogram", d->help);

	/* numbers through the C library's printf: libre's has no %g */
	for (i = 0; i < d->n && !err; i++) {
		cum += x->bucket[i];
		snprintf(num, sizeof(num), "%g", d->bounds[i]);
		err = mbuf_printf(mb, "%s_bucket{le=\"%s\"} %llu\n", d->name,
				  num, (unsigned long long)cum);
	}
	cum += x->bucket[d->n];
	snprintf(num, sizeof(num), "%.6f", x->sum);
	err |= mbuf_printf(mb, "%s_bucket{le=\"+Inf\"} %llu\n"
			   "%s_sum %s\n%s_count %llu\n", d->name,
			   (unsigned long long)cum, d->name, num, d->name,
			   (unsigned long long)x->count);

	return err;
}


static int write_events(struct mbuf *mb)
{
	static const char wh[] = "beckon_webhook_deliveries_total";
	int err = 0;
	int i;

	err |= write_http(mb);
	err |= write_legs(mb);
	for (i = 0; i < MH_COUNT; i++)
		err |= write_hist(mb, (enum metrics_hist)i);

	err |= family(mb, wh, "counter",
		      "Webhook delivery attempts, by result.");
	err |= mbuf_printf(mb, "%s{result=\"delivered\"} %llu\n"
			   "%s{result=\"failed\"} %llu\n",
			   wh, (unsigned long long)reg.webhook_ok,
			   wh, (unsigned long long)reg.webhook_fail);

	err |= write_dialers(mb);

	return err;
}


/* ---- states, read from the store ---- */

static int cb_cmp(const void *a, const void *b)
{
	const struct callback *x = *(struct callback *const *)a;
	const struct callback *y = *(struct callback *const *)b;
	int d = strcmp(x->business, y->business);

	/* by name, as the labels read */
	return d ? d : strcmp(callback_status_name(x->status),
			      callback_status_name(y->status));
}


/* The statuses of a call in progress (acd.h's state machine). */
static bool in_call(enum callback_status status)
{
	return status == CBS_DIALING || status == CBS_ON_HOLD ||
		status == CBS_CONNECTED;
}


/* one business's open callbacks, v sorted by business */
struct biz_range {
	struct callback *const *v;
	size_t n;
};


static struct biz_range biz_find(struct callback *const *v, size_t n,
				 const char *id)
{
	struct biz_range r = {NULL, 0};
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (strcmp(v[mid]->business, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}

	r.v = v + lo;
	while (lo + r.n < n && !strcmp(v[lo + r.n]->business, id))
		r.n++;

	return r;
}


static int write_by_status(struct mbuf *mb, struct callback *const *v,
			   size_t n)
{
	static const char name[] = "beckon_callbacks";
	size_t i, run;
	int err;

	err = family(mb, name, "gauge",
		     "Open callbacks, by business and status.");

	for (i = 0; i < n && !err; i += run) {
		run = 1;
		while (i + run < n && !cb_cmp(&v[i], &v[i + run]))
			run++;
		err = mbuf_printf(mb, "%s{business=\"%H\",status=\"%H\"} "
				  "%zu\n", name, label_print, v[i]->business,
				  label_print,
				  callback_status_name(v[i]->status), run);
	}

	return err;
}


/* a business's queue and calls, counted once for three families */
struct biz_now {
	size_t queued, calls;
	int64_t oldest;          /* ms; now when nothing is queued */
};


static void biz_count(struct biz_now *bn, struct biz_range r, int64_t now)
{
	size_t j;

	memset(bn, 0, sizeof(*bn));
	bn->oldest = now;

	for (j = 0; j < r.n; j++) {
		const struct callback *cb = r.v[j];
		int64_t since = cb->scheduled_for > cb->created_at ?
			cb->scheduled_for : cb->created_at;

		if (in_call(cb->status))
			bn->calls++;
		if (cb->status != CBS_QUEUED)
			continue;
		bn->queued++;
		if (since < bn->oldest)
			bn->oldest = since;
	}
}


/* the format wants each family's samples together: one pass each */
static int write_queues(struct mbuf *mb, const struct metrics_now *now,
			const struct biz_now *bv)
{
	static const char q[] = "beckon_queue_length";
	static const char w[] = "beckon_queue_oldest_wait_seconds";
	static const char c[] = "beckon_calls_in_progress";
	char wait[32];
	size_t i;
	int err;

	err = family(mb, q, "gauge", "Callbacks queued, by business.");
	for (i = 0; i < now->nbusinesses && !err; i++)
		err = mbuf_printf(mb, "%s{business=\"%H\"} %zu\n", q,
				  label_print, now->businesses[i],
				  bv[i].queued);

	err |= family(mb, w, "gauge", "How long the longest-waiting queued "
		      "callback has waited (since asked, or since due when "
		      "scheduled), by business; 0 when none waits.");
	for (i = 0; i < now->nbusinesses && !err; i++) {
		snprintf(wait, sizeof(wait), "%.3f",
			 (double)(now->now - bv[i].oldest) / 1000.0);
		err = mbuf_printf(mb, "%s{business=\"%H\"} %s\n", w,
				  label_print, now->businesses[i], wait);
	}

	err |= family(mb, c, "gauge", "Calls in progress (dialing, on hold "
		      "or connected), by business.");
	for (i = 0; i < now->nbusinesses && !err; i++)
		err = mbuf_printf(mb, "%s{business=\"%H\"} %zu\n", c,
				  label_print, now->businesses[i],
				  bv[i].calls);

	return err;
}


static int write_agents(struct mbuf *mb, const struct metrics_now *now)
{
	static const char name[] = "beckon_agents";
	const char *state[DISTINCT_MAX];
	size_t count[DISTINCT_MAX];
	size_t ns = 0, i, k;
	int err;

	for (i = 0; i < now->nagents; i++) {
		const char *s = agent_state_name(now->agents[i]->state);

		for (k = 0; k < ns && strcmp(state[k], s); k++)
			;
		if (k == ns) {
			if (ns == DISTINCT_MAX)
				continue;   /* more states than beckon has */
			state[ns] = s;
			count[ns++] = 0;
		}
		count[k]++;
	}

	err = family(mb, name, "gauge", "Agents, by presence state.");
	for (k = 0; k < ns && !err; k++)
		err = mbuf_printf(mb, "%s{state=\"%H\"} %zu\n", name,
				  label_print, state[k], count[k]);

	return err;
}


int metrics_write(struct mbuf *mb, const struct metrics_now *now)
{
	struct callback **v = NULL;
	struct biz_now *bv = NULL;
	size_t i;
	int err = 0;

	if (!mb || !now)
		return EINVAL;

	/* a scrape, not the hot path: sorted copies are fine here */
	v = mem_alloc((now->nopen + 1) * sizeof(*v), NULL);
	bv = mem_alloc((now->nbusinesses + 1) * sizeof(*bv), NULL);
	if (!v || !bv) {
		err = ENOMEM;
		goto out;
	}
	if (now->nopen)
		memcpy(v, now->open, now->nopen * sizeof(*v));
	qsort(v, now->nopen, sizeof(*v), cb_cmp);

	for (i = 0; i < now->nbusinesses; i++)
		biz_count(&bv[i], biz_find(v, now->nopen,
					   now->businesses[i]), now->now);

	err = write_by_status(mb, v, now->nopen);
	err |= write_queues(mb, now, bv);
	err |= write_agents(mb, now);
	err |= write_events(mb);

 out:
	mem_deref(v);
	mem_deref(bv);

	return err ? ENOMEM : 0;
}
