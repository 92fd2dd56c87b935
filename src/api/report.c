/*
 * Reports and the callback search, for the admin API (the admin token)
 * and for supervisors on the desk (their session; only their
 * businesses):
 *
 *   GET /v1/admin/reports?business=&from=&to=&by=&breakdown=&format=
 *   GET /v1/admin/callbacks/search?business=&number=&from=&to=&status=
 *                                  &agent=&before=&limit=
 *   GET /agent/api/reports, GET /agent/api/search   the same
 *
 * The report's figures are src/report's; this file checks what only the
 * API knows (which businesses exist and may be seen), asks the store and
 * answers JSON or CSV. Dates are the business's local days: those of
 * the business asked for, else (several businesses) each callback's own
 * business's for reports and UTC for the search.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "report"
#include "util/util.h"
#include "httpd/httpd.h"
#include "store/store.h"
#include "form/form.h"
#include "tz/tz.h"
#include "report/report.h"
#include "api/api_int.h"

enum {
	SEARCH_LIMIT_DEFAULT = 25,
	SEARCH_LIMIT_MAX = 100,
	SEARCH_DIGITS_MIN = 4,
	SEARCH_DIGITS_MAX = 15,   /* E.164 */
	STATUS_MAX = 15,
};

struct report_op {
	struct api *api;
	struct httpd_req *req;
	struct form *form;
	struct report_query q;
	struct callback_search s;
	char digits[SEARCH_DIGITS_MAX + 1];
	char *scope;
};


static void op_destructor(void *arg)
{
	struct report_op *op = arg;

	mem_deref(op->form);
	mem_deref(op->scope);
}


static bool in_scope(const char *scope, const char *business)
{
	const char *item;
	size_t len;

	if (!scope)
		return true;

	while (str_list_next(&scope, &item, &len))
		if (len == strlen(business) && !memcmp(item, business, len))
			return true;

	return false;
}


/* The query's parameters as a form; replies itself on failure. */
static struct report_op *op_start(struct api *api, struct httpd_req *req,
				  const char *scope)
{
	const struct pl *qs = httpd_req_query(req);
	struct form_error fe;
	struct report_op *op;
	int err;

	if (!httpd_req_method_is(req, "GET")) {
		api_reply_error(req, 405, "Allow: GET\r\n",
				"method_not_allowed", NULL,
				"this method is not allowed here");
		return NULL;
	}

	op = mem_zalloc(sizeof(*op), op_destructor);
	if (!op || (scope && str_dup(&op->scope, scope))) {
		api_reply_errno(req, ENOMEM, NULL);
		return mem_deref(op);
	}
	op->api = api;
	op->req = req;

	err = form_parse(&op->form, FORM_URLENCODED, qs->p, qs->l, &fe);
	if (err) {
		api_reply_error(req, 400, NULL, fe.code ? fe.code :
				"invalid_query", fe.field[0] ? fe.field : NULL,
				fe.code ? fe.message : "a malformed query");
		return mem_deref(op);
	}

	return op;
}


/* The business asked for, if any: known and in scope, or a 400. */
static bool business_ok(struct report_op *op, const struct biz **abp)
{
	const char *b = form_get(op->form, "business", NULL);

	*abp = NULL;
	if (!b || !*b)
		return true;

	*abp = api_biz_find(op->api, b, strlen(b));
	if (*abp && in_scope(op->scope, b))
		return true;

	api_reply_error(op->req, 400, NULL, "invalid_field", "business",
			"no such business");

	return false;
}


/* Today in the business's zone (UTC without one), days since 1970. */
static int64_t today_in(const struct biz *ab)
{
	int64_t now = time_now_ms();
	struct tz_local l;

	if (ab && ab->zone && !tz_to_local(ab->zone, now, &l))
		return tz_days_from_civil(l.year, l.month, l.day);

	return now / DAY_MS;
}


/* The instant a local day begins (UTC without a zone). */
static int64_t local_midnight(const struct biz *ab, int64_t day)
{
	int64_t y, t;
	int m, d;

	tz_civil_from_days(day, &y, &m, &d);
	if (ab && ab->zone &&
	    !tz_from_local(ab->zone, (int)y, m, d, 0, 0, 0, &t))
		return t;

	return day * DAY_MS;
}


/* ---- the report ---- */

static void biz_h(const char *business, struct tz_zone **zonep,
		  int64_t *slap, void *arg)
{
	struct report_op *op = arg;
	const struct biz *ab = api_biz_find(op->api, business,
						strlen(business));

	*zonep = ab ? ab->zone : NULL;
	if (ab)
		*slap = ab->b->sla_seconds;
}


static void rows_h(int err, void *const *v, size_t n, void *arg)
{
	struct report_op *op = arg;
	struct report *r = NULL;
	struct mbuf *mb = NULL;
	char hdrs[128];

	if (err == E2BIG) {
		api_reply_error(op->req, 400, NULL, "invalid_field", "from",
				"more callbacks in the range than a report "
				"reads (500000): narrow it");
		goto out;
	}
	if (!err)
		err = report_build(&r, &op->q, (struct report_row *const *)v,
				   n, biz_h, op);
	mb = mbuf_alloc(4096);
	if (!err && !mb)
		err = ENOMEM;
	if (!err)
		err = op->q.csv ? report_csv(mb, r) : report_json(mb, r);
	if (err) {
		api_reply_errno(op->req, err, NULL);
		goto out;
	}

	if (op->q.csv) {
		re_snprintf(hdrs, sizeof(hdrs), "Content-Disposition: "
			    "attachment; filename=\"beckon-report.csv\"\r\n");
		api_reply_body(op->req, 200, "text/csv; charset=utf-8; "
			       "header=present", hdrs, (const char *)mb->buf,
			       mb->end);
	}
	else {
		api_reply_mb(op->req, 200, NULL, mb, 0);
	}

 out:
	mem_deref(mb);
	mem_deref(r);
	mem_deref(op);
}


void api_report(struct api *api, struct httpd_req *req, const char *scope)
{
	struct report_op *op = op_start(api, req, scope);
	const struct biz *ab;
	struct report_error e;
	int err;

	if (!op)
		return;
	if (!business_ok(op, &ab))
		goto fail;

	if (report_query_parse(&op->q, op->form, today_in(ab), &e)) {
		api_reply_error(req, 400, NULL, e.code, e.field, e.message);
		goto fail;
	}

	/* a day either side: every zone's local days are inside */
	err = store_report_rows(api->st, ab ? ab->b->id : op->scope,
				(op->q.from - 1) * DAY_MS,
				(op->q.to + 2) * DAY_MS,
				report_store_key(&op->q), REPORT_ROWS_MAX,
				rows_h, op);
	if (!err)
		return;
	api_reply_errno(req, err, NULL);

 fail:
	mem_deref(op);
}


/* ---- the search ---- */

static void found_h(int err, void *const *v, size_t n, void *arg)
{
	struct report_op *op = arg;
	struct mbuf *mb = NULL;
	size_t i, shown = n > op->s.max - 1 ? op->s.max - 1 : n;

	if (err)
		goto fail;

	mb = mbuf_alloc(8192);
	if (!mb) {
		err = ENOMEM;
		goto fail;
	}

	err = mbuf_write_str(mb, "{\"callbacks\":[");
	for (i = 0; i < shown; i++) {
		err |= mbuf_write_str(mb, i ? "," : "");
		err |= api_cb_json(mb, v[i], true);
	}
	/* one more than a page was read: there is a next one */
	err |= mbuf_write_str(mb, "],\"next\":");
	err |= n > shown ? form_json_str(mb, ((struct callback *)
					      v[shown - 1])->id)
			 : mbuf_write_str(mb, "null");
	err |= mbuf_write_str(mb, "}\n");
	if (err)
		goto fail;

	api_reply_mb(op->req, 200, NULL, mb, 0);
	goto out;

 fail:
	api_reply_errno(op->req, err, NULL);
 out:
	mem_deref(mb);
	mem_deref(op);
}


/* The digits of a number as people write it; false if it is not one. */
static bool number_digits(char *out, const char *s)
{
	size_t n = 0;

	for (; *s; s++) {
		if (isdigit((unsigned char)*s)) {
			if (n == SEARCH_DIGITS_MAX)
				return false;
			out[n++] = *s;
		}
		else if (!strchr("+ -().", *s)) {
			return false;
		}
	}
	out[n] = '\0';

	return n >= SEARCH_DIGITS_MIN;
}


static bool word_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (!n || n > max)
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && *s != '_')
			return false;

	return true;
}


static int bad(struct report_op *op, const char *field, const char *msg)
{
	api_reply_error(op->req, 400, NULL, "invalid_field", field, msg);

	return EINVAL;
}


static int search_dates(struct report_op *op, const struct biz *ab)
{
	const char *v;
	int64_t from, to = today_in(ab);

	v = form_get(op->form, "to", NULL);
	if (v && report_date_parse(&to, v))
		return bad(op, "to", "a date, YYYY-MM-DD");
	from = to - 29;
	v = form_get(op->form, "from", NULL);
	if (v && report_date_parse(&from, v))
		return bad(op, "from", "a date, YYYY-MM-DD");
	if (to < from)
		return bad(op, "to", "not before from");
	if (to - from + 1 > REPORT_DAYS_MAX)
		return bad(op, "to", "at most 366 days from from");

	op->s.lo = local_midnight(ab, from);
	op->s.hi = local_midnight(ab, to + 1);

	return 0;
}


static int search_fields(struct report_op *op)
{
	static const char *const known[] = {"business", "number", "from",
		"to", "status", "agent", "before", "limit"};
	const char *v;
	size_t i, j;

	for (i = 0; i < op->form->n; i++) {
		for (j = 0; j < ARRAY_SIZE(known); j++)
			if (!strcmp(op->form->v[i].key, known[j]))
				break;
		if (j == ARRAY_SIZE(known)) {
			api_reply_error(op->req, 400, NULL, "unknown_field",
					op->form->v[i].key,
					"not a search parameter");
			return EINVAL;
		}
	}

	v = form_get(op->form, "number", NULL);
	if (v && *v && !number_digits(op->digits, v))
		return bad(op, "number", "4 to 15 digits");
	op->s.digits = op->digits[0] ? op->digits : NULL;

	v = form_get(op->form, "status", NULL);
	if (v && *v && !word_ok(v, STATUS_MAX))
		return bad(op, "status", "a status, e.g. completed");
	op->s.status = v && *v ? v : NULL;

	v = form_get(op->form, "agent", NULL);
	if (v && *v && strlen(v) > 64)
		return bad(op, "agent", "an agent id");
	op->s.agent = v && *v ? v : NULL;

	v = form_get(op->form, "before", NULL);
	if (v && *v && !api_id_valid(v, strlen(v)))
		return bad(op, "before", "the next page's id");
	op->s.before = v && *v ? v : NULL;

	op->s.max = SEARCH_LIMIT_DEFAULT;
	v = form_get(op->form, "limit", NULL);
	if (v) {
		long n = strspn(v, "0123456789") == strlen(v) && *v &&
			 strlen(v) < 4 ? atol(v) : 0;

		if (n < 1 || n > SEARCH_LIMIT_MAX)
			return bad(op, "limit", "1 to 100");
		op->s.max = (size_t)n;
	}
	op->s.max++;   /* one more: is there a next page? */

	return 0;
}


void api_search(struct api *api, struct httpd_req *req, const char *scope)
{
	struct report_op *op = op_start(api, req, scope);
	const struct biz *ab;
	int err;

	if (!op)
		return;
	if (!business_ok(op, &ab) || search_fields(op) ||
	    search_dates(op, ab))
		goto fail;

	op->s.scope = op->scope;
	op->s.business = ab ? ab->b->id : NULL;
	err = store_callbacks_search(api->st, &op->s, found_h, op);
	if (!err)
		return;
	api_reply_errno(req, err, NULL);

 fail:
	mem_deref(op);
}
