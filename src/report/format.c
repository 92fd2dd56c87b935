/*
 * The report written out: JSON for programs and the supervisor's page,
 * CSV (RFC 4180: CRLF, quoted fields, a header row) for spreadsheets.
 * Both write the same fields from the same groups.
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#include "util/util.h"
#include "form/form.h"
#include "tz/tz.h"
#include "report/report.h"
#include "report/report_int.h"

/* the counted columns, in order, named as in JSON and the CSV header */
#define COUNTS(X) \
	X(requested) X(connected) X(fast) X(sla) X(abandoned) X(failed) \
	X(canceled) X(sales)

static const char *const count_names[] = {
	"requested", "connected", "connected_60s", "connected_sla",
	"abandoned", "failed", "canceled", "sales",
};

enum { NCOUNTS = ARRAY_SIZE(count_names) };


static void counts_of(const struct report_group *g, int64_t *v)
{
	size_t i = 0;

#define X(f) v[i++] = g->f;
	COUNTS(X)
#undef X
}


int64_t report_percentile(const struct report_group *g, int p)
{
	return rank_percentile(g->connect_s, g->nconn, (unsigned)p);
}


static int date_print(struct mbuf *mb, int64_t day)
{
	int64_t y;
	int m, d;

	tz_civil_from_days(day, &y, &m, &d);

	return mbuf_printf(mb, "%04lld-%02d-%02d", (long long)y, m, d);
}


static int json_opt(struct mbuf *mb, int64_t v)
{
	return v < 0 ? mbuf_write_str(mb, "null")
		     : mbuf_printf(mb, "%lld", (long long)v);
}


static int json_group(struct mbuf *mb, const struct report *r,
		      const struct report_group *g)
{
	int64_t v[NCOUNTS];
	size_t i;
	int err = mbuf_write_str(mb, "{\"period\":\"");

	err |= date_print(mb, g->period);
	err |= mbuf_write_str(mb, "\"");
	if (r->q.breakdown != RB_NONE) {
		err |= mbuf_printf(mb, ",\"%s\":",
				   report_breakdown_name(r->q.breakdown));
		err |= form_json_str(mb, g->key);
	}

	counts_of(g, v);
	for (i = 0; i < NCOUNTS; i++)
		err |= mbuf_printf(mb, ",\"%s\":%lld", count_names[i],
				   (long long)v[i]);
	err |= mbuf_write_str(mb, ",\"median_connect_s\":");
	err |= json_opt(mb, report_percentile(g, 50));
	err |= mbuf_write_str(mb, ",\"p90_connect_s\":");
	err |= json_opt(mb, report_percentile(g, 90));

	err |= mbuf_write_str(mb, ",\"totals\":[");
	for (i = 0; i < g->totaln; i++) {
		const struct report_total *t = &g->totalv[i];

		err |= mbuf_printf(mb, "%s{\"currency\":", i ? "," : "");
		err |= form_json_str(mb, t->currency);
		err |= mbuf_printf(mb, ",\"sales\":%lld,\"amount_cents\":%lld}",
				   (long long)t->sales, (long long)t->cents);
	}
	err |= mbuf_write_str(mb, "]}");

	return err;
}


int report_json(struct mbuf *mb, const struct report *r)
{
	size_t i;
	int err;

	if (!mb || !r)
		return EINVAL;

	err = mbuf_write_str(mb, "{\"business\":");
	err |= r->q.business[0] ? form_json_str(mb, r->q.business)
				: mbuf_write_str(mb, "null");
	err |= mbuf_write_str(mb, ",\"from\":\"");
	err |= date_print(mb, r->q.from);
	err |= mbuf_write_str(mb, "\",\"to\":\"");
	err |= date_print(mb, r->q.to);
	err |= mbuf_printf(mb, "\",\"by\":\"%s\",\"breakdown\":",
			   report_by_name(r->q.by));
	err |= r->q.breakdown != RB_NONE ?
		mbuf_printf(mb, "\"%s\"",
			    report_breakdown_name(r->q.breakdown)) :
		mbuf_write_str(mb, "null");
	err |= mbuf_printf(mb, ",\"totals_cut\":%s,\"rows\":[",
			   r->totals_cut ? "true" : "false");
	for (i = 0; i < r->ngroupv; i++) {
		err |= mbuf_write_str(mb, i ? "," : "");
		err |= json_group(mb, r, r->groupv[i]);
	}
	err |= mbuf_write_str(mb, "]}\n");

	return err;
}


/* ---- CSV ---- */

int report_csv_cell(struct mbuf *mb, const char *s)
{
	bool formula, quote;
	int err = 0;

	if (!mb)
		return EINVAL;
	if (!s)
		s = "";

	/* a spreadsheet runs a cell that starts so as a formula */
	formula = s[0] && strchr("=+-@\t\r", s[0]);
	quote = strpbrk(s, ",\"\r\n") != NULL;

	if (quote)
		err |= mbuf_write_u8(mb, '"');
	if (formula)
		err |= mbuf_write_u8(mb, '\'');
	for (; *s; s++) {
		if (*s == '"')
			err |= mbuf_write_u8(mb, '"');
		err |= mbuf_write_u8(mb, (uint8_t)*s);
	}
	if (quote)
		err |= mbuf_write_u8(mb, '"');

	return err;
}


/* Every currency of the report, in order, into v (at most max). */
static size_t currencies(const struct report *r, char (*v)[4], size_t max)
{
	size_t n = 0, i, j, k;

	for (i = 0; i < r->ngroupv; i++) {
		const struct report_group *g = r->groupv[i];

		for (j = 0; j < g->totaln; j++) {
			const char *c = g->totalv[j].currency;

			for (k = 0; k < n && strcmp(v[k], c) < 0; k++)
				;
			if ((k < n && !strcmp(v[k], c)) || n == max)
				continue;
			memmove(v + k + 1, v + k, (n - k) * sizeof(*v));
			str_bcpy(v[k], c, sizeof(*v));
			n++;
		}
	}

	return n;
}


static int csv_header(struct mbuf *mb, const struct report *r,
		      char (*curv)[4], size_t ncur)
{
	size_t i;
	int err = mbuf_write_str(mb, "period");

	if (r->q.breakdown != RB_NONE)
		err |= mbuf_printf(mb, ",%s",
				   report_breakdown_name(r->q.breakdown));
	for (i = 0; i < NCOUNTS; i++)
		err |= mbuf_printf(mb, ",%s", count_names[i]);
	err |= mbuf_write_str(mb, ",median_connect_s,p90_connect_s");
	for (i = 0; i < ncur; i++) {
		char name[32];

		re_snprintf(name, sizeof(name), "%s_sales", curv[i]);
		err |= mbuf_write_str(mb, ",");
		err |= report_csv_cell(mb, name);
		re_snprintf(name, sizeof(name), "%s_amount_cents", curv[i]);
		err |= mbuf_write_str(mb, ",");
		err |= report_csv_cell(mb, name);
	}

	return err | mbuf_write_str(mb, "\r\n");
}


static int csv_opt(struct mbuf *mb, int64_t v)
{
	return v < 0 ? mbuf_write_str(mb, ",")
		     : mbuf_printf(mb, ",%lld", (long long)v);
}


static int csv_group(struct mbuf *mb, const struct report *r,
		     const struct report_group *g, char (*curv)[4],
		     size_t ncur)
{
	int64_t v[NCOUNTS];
	size_t i, j;
	int err = date_print(mb, g->period);

	if (r->q.breakdown != RB_NONE) {
		err |= mbuf_write_str(mb, ",");
		err |= report_csv_cell(mb, g->key);
	}
	counts_of(g, v);
	for (i = 0; i < NCOUNTS; i++)
		err |= mbuf_printf(mb, ",%lld", (long long)v[i]);
	err |= csv_opt(mb, report_percentile(g, 50));
	err |= csv_opt(mb, report_percentile(g, 90));

	for (i = 0; i < ncur; i++) {
		int64_t sales = 0, cents = 0;

		for (j = 0; j < g->totaln; j++) {
			if (strcmp(g->totalv[j].currency, curv[i]))
				continue;
			sales = g->totalv[j].sales;
			cents = g->totalv[j].cents;
		}
		err |= mbuf_printf(mb, ",%lld,%lld", (long long)sales,
				   (long long)cents);
	}

	return err | mbuf_write_str(mb, "\r\n");
}


int report_csv(struct mbuf *mb, const struct report *r)
{
	char curv[REPORT_CURRENCIES_MAX * 4][4];
	size_t i, ncur;
	int err;

	if (!mb || !r)
		return EINVAL;

	ncur = currencies(r, curv, ARRAY_SIZE(curv));
	err = csv_header(mb, r, curv, ncur);
	for (i = 0; i < r->ngroupv; i++)
		err |= csv_group(mb, r, r->groupv[i], curv, ncur);

	return err;
}
