/*
 * The report: rows grouped by (period, breakdown key) in a hash, then
 * sorted into an array for the writers (format.c). A group keeps every
 * connected callback's seconds, sorted at the end for the percentiles.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "util/util.h"
#include "form/form.h"
#include "tz/tz.h"
#include "report/report.h"
#include "report/report_int.h"

enum {
	DAY_MS = 86400000,
	GROUP_HASH = 256,
};

static const char *const by_names[] = {
	[REPORT_DAY] = "day",
	[REPORT_WEEK] = "week",
	[REPORT_MONTH] = "month",
	[REPORT_RANGE] = "range",
};

static const char *const breakdown_names[] = {
	[RB_NONE] = "",
	[RB_BUSINESS] = "business",
	[RB_AGENT] = "agent",
	[RB_KEY] = "key",
	[RB_PAGE] = "page",
	[RB_HOUR] = "hour",
};


const char *report_by_name(enum report_by by)
{
	return by <= REPORT_RANGE ? by_names[by] : "?";
}


const char *report_breakdown_name(enum report_breakdown b)
{
	return b <= RB_HOUR ? breakdown_names[b] : "?";
}


int report_date_parse(int64_t *dayp, const char *s)
{
	int y, m, d;

	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return EINVAL;
	for (y = 0; y < 10; y++)
		if (y != 4 && y != 7 && (s[y] < '0' || s[y] > '9'))
			return EINVAL;

	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 ||
	    d > tz_month_days(y, m))
		return EINVAL;

	*dayp = tz_days_from_civil(y, m, d);

	return 0;
}


static int bad(struct report_error *e, const char *field, const char *msg)
{
	e->code = "invalid_field";
	str_bcpy(e->field, field, sizeof(e->field));
	str_bcpy(e->message, msg, sizeof(e->message));

	return EINVAL;
}


/* The index of v in names[0..n), or -1. */
static int name_find(const char *const *names, size_t n, const char *v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (names[i][0] && !strcmp(names[i], v))
			return (int)i;

	return -1;
}


static int parse_names(struct report_query *q, const struct form *f,
		       struct report_error *e)
{
	const char *v;
	int i;

	v = form_get(f, "by", NULL);
	if (v) {
		i = name_find(by_names, ARRAY_SIZE(by_names), v);
		if (i < 0)
			return bad(e, "by", "day, week, month or range");
		q->by = (enum report_by)i;
	}

	v = form_get(f, "breakdown", NULL);
	if (v && *v) {
		i = name_find(breakdown_names, ARRAY_SIZE(breakdown_names),
			      v);
		if (i < 0)
			return bad(e, "breakdown", "business, agent, key, "
				   "page or hour");
		q->breakdown = (enum report_breakdown)i;
	}

	v = form_get(f, "format", NULL);
	if (v && strcmp(v, "json") && strcmp(v, "csv"))
		return bad(e, "format", "json or csv");
	q->csv = v && !strcmp(v, "csv");

	return 0;
}


int report_query_parse(struct report_query *q, const struct form *f,
		       int64_t today, struct report_error *e)
{
	static const char *const known[] = {"business", "from", "to", "by",
					    "breakdown", "format"};
	const char *v;
	size_t i;
	int err;

	if (!q || !f || !e)
		return EINVAL;

	memset(q, 0, sizeof(*q));
	for (i = 0; i < f->n; i++) {
		if (name_find(known, ARRAY_SIZE(known), f->v[i].key) >= 0)
			continue;
		bad(e, f->v[i].key, "not a report parameter");
		e->code = "unknown_field";
		return EINVAL;
	}

	v = form_get(f, "business", NULL);
	if (v && strlen(v) >= sizeof(q->business))
		return bad(e, "business", "no such business");
	str_bcpy(q->business, v ? v : "", sizeof(q->business));

	q->to = today;
	v = form_get(f, "to", NULL);
	if (v && report_date_parse(&q->to, v))
		return bad(e, "to", "a date, YYYY-MM-DD");
	q->from = q->to - 29;
	v = form_get(f, "from", NULL);
	if (v && report_date_parse(&q->from, v))
		return bad(e, "from", "a date, YYYY-MM-DD");
	if (q->to < q->from)
		return bad(e, "to", "not before from");
	if (q->to - q->from + 1 > REPORT_DAYS_MAX)
		return bad(e, "to", "at most 366 days from from");

	err = parse_names(q, f, e);
	if (err)
		return err;

	return 0;
}


enum store_report_key report_store_key(const struct report_query *q)
{
	switch (q->breakdown) {

	case RB_AGENT: return SRK_AGENT;
	case RB_KEY:   return SRK_KEY;
	case RB_PAGE:  return SRK_PAGE;
	default:       return SRK_NONE;
	}
}


/* ---- building ---- */

static void group_destructor(void *arg)
{
	struct report_group *g = arg;

	hash_unlink(&g->he);
	mem_deref(g->key);
	mem_deref(g->connect_s);
}


static void report_destructor(void *arg)
{
	struct report *r = arg;

	mem_deref(r->groupv);
	hash_flush(r->groups);
	mem_deref(r->groups);
}


/* The first day of the period that holds day. */
static int64_t period_of(const struct report_query *q, int64_t day)
{
	int64_t y;
	int m, d;

	switch (q->by) {

	case REPORT_WEEK:
		return day - tz_weekday(day);

	case REPORT_MONTH:
		tz_civil_from_days(day, &y, &m, &d);
		return tz_days_from_civil(y, m, 1);

	case REPORT_RANGE:
		return q->from;

	default:
		return day;
	}
}


struct gkey {
	int64_t period;
	const char *key;
};


static bool group_eq(struct le *le, void *arg)
{
	const struct report_group *g = le->data;
	const struct gkey *k = arg;

	return g->period == k->period && !strcmp(g->key, k->key);
}


static int group_get(struct report *r, struct report_group **gp,
		     int64_t period, const char *key)
{
	struct gkey k = {period, key};
	uint32_t h = hash_joaat_str(key) ^ (uint32_t)period;
	struct le *le = hash_lookup(r->groups, h, group_eq, &k);
	struct report_group *g;
	int err;

	if (le) {
		*gp = le->data;
		return 0;
	}

	g = mem_zalloc(sizeof(*g), group_destructor);
	if (!g)
		return ENOMEM;
	g->period = period;
	err = str_dup(&g->key, key);
	if (err) {
		mem_deref(g);
		return err;
	}
	hash_append(r->groups, h, &g->he, g);
	r->ngroups++;
	*gp = g;

	return 0;
}


static int group_connect(struct report_group *g, int64_t s)
{
	if (g->nconn == g->capconn) {
		size_t cap = g->capconn ? g->capconn * 2 : 16;
		int64_t *v = mem_reallocarray(g->connect_s, cap, sizeof(*v),
					      NULL);
		if (!v)
			return ENOMEM;
		g->connect_s = v;
		g->capconn = cap;
	}
	g->connect_s[g->nconn++] = s;

	return 0;
}


static void group_sale(struct report *r, struct report_group *g,
		       const struct report_row *row)
{
	size_t i;

	g->sales++;
	if (!row->currency[0])
		return;   /* a sale with no amount: counted, no total */

	for (i = 0; i < g->totaln; i++)
		if (!strcmp(g->totalv[i].currency, row->currency))
			break;
	if (i == g->totaln) {
		if (g->totaln == REPORT_CURRENCIES_MAX) {
			r->totals_cut = true;
			return;
		}
		str_bcpy(g->totalv[g->totaln++].currency, row->currency,
			 sizeof(g->totalv[0].currency));
	}
	g->totalv[i].sales++;
	g->totalv[i].cents += row->amount_cents;
}


/* The breakdown's key of a row, into buf when it is made here. */
static const char *row_key(const struct report_query *q,
			   const struct report_row *row,
			   const struct tz_local *l, char *buf, size_t sz)
{
	const char *s = row->key ? row->key : "";
	size_t n;

	switch (q->breakdown) {

	case RB_BUSINESS:
		return row->business;

	case RB_HOUR:
		re_snprintf(buf, sz, "%02d", l->hour);
		return buf;

	case RB_PAGE:
		/* the page, not each visit's query or anchor */
		n = strcspn(s, "?#");
		if (n >= sz)
			n = sz - 1;
		memcpy(buf, s, n);
		buf[n] = '\0';
		return buf;

	case RB_NONE:
		return "";

	default:
		return s;
	}
}


static int add_row(struct report *r, const struct report_row *row,
		   report_biz_h *bizh, void *arg)
{
	const struct report_query *q = &r->q;
	struct tz_zone *zone = NULL;
	struct report_group *g;
	struct tz_local l;
	int64_t sla = REPORT_FAST_S, day;
	char buf[2100];
	int err;

	bizh(row->business, &zone, &sla, arg);
	if (zone) {
		err = tz_to_local(zone, row->created_at, &l);
		if (err)
			return err;
		day = tz_days_from_civil(l.year, l.month, l.day);
	}
	else {
		day = row->created_at / DAY_MS;
		memset(&l, 0, sizeof(l));
		l.hour = (int)(row->created_at % DAY_MS / 3600000);
	}
	if (day < q->from || day > q->to)
		return 0;

	err = group_get(r, &g, period_of(q, day),
			row_key(q, row, &l, buf, sizeof(buf)));
	if (err)
		return err;

	g->requested++;
	g->abandoned += row->status == CBS_ABANDONED;
	g->failed += row->status == CBS_FAILED;
	g->canceled += row->status == CBS_CANCELED;
	if (row->sale)
		group_sale(r, g, row);
	if (row->connect_ms < 0)
		return 0;

	g->connected++;
	g->fast += row->connect_ms / 1000 <= REPORT_FAST_S;
	g->sla += row->connect_ms / 1000 <= sla;

	return group_connect(g, row->connect_ms / 1000);
}


static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}


/* by period, then the busiest first (hours in their order), then key */
static int cmp_group(const void *a, const void *b)
{
	const struct report_group *x = *(struct report_group *const *)a;
	const struct report_group *y = *(struct report_group *const *)b;

	if (x->period != y->period)
		return x->period < y->period ? -1 : 1;
	if (x->requested != y->requested && x->hour_order == 0)
		return x->requested > y->requested ? -1 : 1;

	return strcmp(x->key, y->key);
}


static bool group_collect(struct le *le, void *arg)
{
	struct report *r = arg;
	struct report_group *g = le->data;

	g->hour_order = r->q.breakdown == RB_HOUR;
	if (g->nconn)
		qsort(g->connect_s, g->nconn, sizeof(*g->connect_s),
		      cmp_i64);
	r->groupv[r->ngroupv++] = g;

	return false;
}


/* Without a breakdown every period shows, the empty ones too. */
static int periods_all(struct report *r)
{
	struct report_group *g;
	int64_t day;
	int err = 0;

	if (r->q.breakdown != RB_NONE)
		return 0;

	for (day = r->q.from; !err && day <= r->q.to; day++)
		err = group_get(r, &g, period_of(&r->q, day), "");

	return err;
}


int report_build(struct report **rp, const struct report_query *q,
		 struct report_row *const *v, size_t n, report_biz_h *bizh,
		 void *arg)
{
	struct report *r;
	size_t i;
	int err;

	if (!rp || !q || (n && !v) || !bizh)
		return EINVAL;

	r = mem_zalloc(sizeof(*r), report_destructor);
	if (!r)
		return ENOMEM;
	r->q = *q;

	err = hash_alloc(&r->groups, GROUP_HASH);
	if (!err)
		err = periods_all(r);
	for (i = 0; !err && i < n; i++)
		err = add_row(r, v[i], bizh, arg);
	if (err)
		goto out;

	r->groupv = mem_zalloc((r->ngroups + 1) * sizeof(*r->groupv), NULL);
	if (!r->groupv) {
		err = ENOMEM;
		goto out;
	}
	hash_apply(r->groups, group_collect, r);
	qsort(r->groupv, r->ngroupv, sizeof(*r->groupv), cmp_group);

 out:
	if (err)
		mem_deref(r);
	else
		*rp = r;

	return err;
}
