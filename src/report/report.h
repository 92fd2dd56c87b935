/*
 * report: the figures a manager looks back over (GET /v1/admin/reports,
 * the supervisor's Reports, `beckon report`), computed from the store's
 * rows for the callbacks created in a range of days.
 *
 * Everything is counted by the day the callback was requested, in its
 * business's own time zone (a DST day is 23 or 25 hours long, and a
 * period is whole local days): requested, connected (ever bridged),
 * connected within 60 s and within the business's sla_seconds, the
 * median and 90th percentile of the seconds from the request to the
 * first bridge (nearest rank over whole seconds), abandoned, failed,
 * canceled, the sales recorded on them and their amounts per currency
 * (never added across currencies). One row per period (day, ISO week
 * from Monday, month, or the whole range) and, with a breakdown, per
 * business, agent, agent key, page (its address without the query and
 * fragment) or local hour of the request.
 *
 * The query is parsed and checked here, and the report is written here
 * as JSON and as CSV (RFC 4180, safe to open in a spreadsheet), from
 * one struct report: the same numbers in both.
 */
#ifndef BECKON_REPORT_H
#define BECKON_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include "store/store.h"

struct form;
struct mbuf;
struct tz_zone;

enum {
	REPORT_DAYS_MAX = 366,        /* from..to, both included */
	REPORT_ROWS_MAX = 500000,     /* callbacks one report reads */
	REPORT_CURRENCIES_MAX = 16,
	REPORT_FAST_S = 60,           /* the "within 60 s" column */
};

enum report_by {
	REPORT_DAY = 0,
	REPORT_WEEK,
	REPORT_MONTH,
	REPORT_RANGE,                 /* the whole range: one period */
};

enum report_breakdown {
	RB_NONE = 0,
	RB_BUSINESS,
	RB_AGENT,
	RB_KEY,
	RB_PAGE,
	RB_HOUR,
};

struct report_query {
	char business[65];        /* "": every business in scope */
	int64_t from, to;         /* local dates as days since 1970-01-01 */
	enum report_by by;
	enum report_breakdown breakdown;
	bool csv;
};

/* what is wrong with a query: the parameter and why */
struct report_error {
	const char *code;         /* invalid_field or unknown_field */
	char field[65];           /* a copy: the query may be gone */
	char message[160];
};

const char *report_by_name(enum report_by by);
const char *report_breakdown_name(enum report_breakdown b);

/*
 * A query from its parameters (business, from, to as YYYY-MM-DD, by,
 * breakdown, format); today (days since 1970-01-01) is the default
 * "to", and thirty days before it the default "from". EINVAL with *e
 * naming the parameter.
 */
int report_query_parse(struct report_query *q, const struct form *f,
		       int64_t today, struct report_error *e);

/* A YYYY-MM-DD date as days since 1970-01-01; EINVAL if it is none. */
int report_date_parse(int64_t *dayp, const char *s);

/* The store column the breakdown needs. */
enum store_report_key report_store_key(const struct report_query *q);

/* A business's time zone (NULL: UTC) and service level in seconds. */
typedef void (report_biz_h)(const char *business, struct tz_zone **zonep,
			    int64_t *slap, void *arg);

struct report;

/*
 * The report of rows (store_report_rows over [q->from - 1 day,
 * q->to + 2 days) in UTC: every zone's local days are inside); rows
 * outside q's local days are left out.
 */
int report_build(struct report **rp, const struct report_query *q,
		 struct report_row *const *v, size_t n, report_biz_h *bizh,
		 void *arg);

int report_json(struct mbuf *mb, const struct report *r);
int report_csv(struct mbuf *mb, const struct report *r);

/*
 * One CSV field: quoted when it holds a comma, quote, CR or LF (quotes
 * doubled), and a text that a spreadsheet would take for a formula (its
 * first character = + - @ tab or CR) is written with a ' before it.
 */
int report_csv_cell(struct mbuf *mb, const char *s);

#endif
