/*
 * report: the query's checks, CSV cells (RFC 4180 and formula-safe),
 * percentiles, and days that follow the business's zone across a DST
 * change. The whole report against the store's events is checked by
 * tests/integration/reports.sh.
 */
#include <re.h>
#include "form/form.h"
#include "tz/tz.h"
#include "report/report.h"
#include "test.h"

static int query(struct report_query *q, const char *qs,
		 struct report_error *e)
{
	struct form *f = NULL;
	int err = form_parse(&f, FORM_URLENCODED, qs, strlen(qs), NULL);

	if (!err)
		err = report_query_parse(q, f, 20000, e);
	mem_deref(f);

	return err;
}


TEST(report_query)
{
	static const struct {
		const char *qs;
		const char *field;     /* NULL: accepted */
	} v[] = {
		{"from=2026-03-01&to=2026-03-31&by=week&breakdown=hour", NULL},
		{"", NULL},
		{"from=2026-02-30", "from"},
		{"from=2026-3-01", "from"},
		{"to=2026-03-01&from=2026-03-02", "to"},
		{"from=2025-01-01&to=2026-01-01", NULL},      /* 366 days */
		{"from=2025-01-01&to=2026-01-02", "to"},
		{"by=year", "by"},
		{"breakdown=phone", "breakdown"},
		{"format=xml", "format"},
		{"color=red", "color"},
	};
	struct report_query q;
	struct report_error e;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		int err = query(&q, v[i].qs, &e);

		if (!v[i].field) {
			TEST_EQ_INT(err, 0);
			continue;
		}
		TEST_EQ_INT(err, EINVAL);
		TEST_EQ_STR(e.field, v[i].field);
	}

	TEST_EQ_INT(query(&q, "", &e), 0);
	TEST_EQ_INT(q.to, 20000);
	TEST_EQ_INT(q.from, 20000 - 29);
	TEST_EQ_INT(query(&q, "from=2026-03-01&to=2026-03-31&by=month"
			  "&breakdown=page&format=csv", &e), 0);
	TEST_EQ_INT(q.to - q.from, 30);
	TEST_EQ_INT(q.by, REPORT_MONTH);
	TEST_EQ_INT(q.breakdown, RB_PAGE);
	TEST_ASSERT(q.csv);

	return 0;
}


TEST(report_csv_cell)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{"plain", "plain"},
		{"a,b", "\"a,b\""},
		{"say \"hi\"", "\"say \"\"hi\"\"\""},
		{"two\r\nlines", "\"two\r\nlines\""},
		{"=1+2", "'=1+2"},
		{"+33 1", "'+33 1"},
		{"-2", "'-2"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "\"'\rx\""},
		{"=HYPERLINK(\"x\",\"y\")", "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\""},
		{"", ""},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		struct mbuf *mb = mbuf_alloc(64);
		char *s = NULL;
		int err;

		TEST_ASSERT(mb);
		err = report_csv_cell(mb, v[i].in);
		mb->pos = 0;
		if (!err)
			err = mbuf_strdup(mb, &s, mb->end);
		mem_deref(mb);
		TEST_EQ_INT(err, 0);
		err = strcmp(s, v[i].out);
		if (err)
			fprintf(stderr, "  %zu: got [%s]\n", i, s);
		mem_deref(s);
		TEST_EQ_INT(err, 0);
	}

	return 0;
}


static struct tz_zone *ny;

static void biz_h(const char *business, struct tz_zone **zonep,
		  int64_t *slap, void *arg)
{
	(void)business;
	(void)arg;
	*zonep = ny;
	*slap = 30;
}


/* 2026-03-08 is 23 hours long in New York: 04:30 UTC on the 8th is
 * still the 7th there (23:30 EST), 04:30 UTC on the 9th is 00:30 EDT. */
TEST(report_dst_days)
{
	struct report_row rows[4] = {
		{.business = "b", .created_at = 1772944200000LL,
		 .connect_ms = 20000, .status = CBS_COMPLETED},
		{.business = "b", .created_at = 1773030600000LL,
		 .connect_ms = 61999, .status = CBS_COMPLETED, .sale = true,
		 .currency = "USD", .amount_cents = 1250},
		{.business = "b", .created_at = 1773030700000LL,
		 .connect_ms = 45000, .status = CBS_COMPLETED, .sale = true},
		{.business = "b", .created_at = 1773030800000LL,
		 .connect_ms = -1, .status = CBS_ABANDONED},
	};
	struct report_row *v[4] = {&rows[0], &rows[1], &rows[2], &rows[3]};
	struct tz_registry *reg = NULL;
	struct report_query q;
	struct report_error e;
	struct report *r = NULL;
	struct mbuf *mb = mbuf_alloc(1024);
	char *s = NULL;
	int err;

	TEST_ASSERT(mb);
	err = tz_registry_alloc(&reg, NULL);
	if (!err)
		err = tz_get(reg, "America/New_York", &ny);
	if (!err)
		err = query(&q, "from=2026-03-07&to=2026-03-09&format=csv", &e);
	if (!err)
		err = report_build(&r, &q, v, 4, biz_h, NULL);
	if (!err)
		err = report_csv(mb, r);
	mb->pos = 0;
	if (!err)
		err = mbuf_strdup(mb, &s, mb->end);
	if (!err && strcmp(s, "period,requested,connected,connected_60s,"
			   "connected_sla,abandoned,failed,canceled,sales,"
			   "median_connect_s,p90_connect_s,USD_sales,"
			   "USD_amount_cents\r\n"
			   "2026-03-07,1,1,1,1,0,0,0,0,20,20,0,0\r\n"
			   "2026-03-08,0,0,0,0,0,0,0,0,,,0,0\r\n"
			   "2026-03-09,3,2,1,0,1,0,0,2,45,61,1,1250\r\n")) {
		fprintf(stderr, "  got:\n%s", s);
		err = EINVAL;
	}

	mem_deref(s);
	mem_deref(r);
	mem_deref(mb);
	mem_deref(reg);

	return err;
}
