/*
 * Opening hours: the text form (what is accepted, the message for what
 * is not, the canonical form read back), and the questions asked of it
 * against real zones: the next opening over a weekend, past closed dates
 * (more of them than the search window), across both 2026 DST changes in
 * New York and Paris, for a business in Tokyo asked at a UTC instant that
 * is another weekday there; the next closing; a night split at midnight;
 * ranges that DST shortens, lengthens or removes; slots across a DST
 * change. Local facts were checked with python3's zoneinfo; instants are
 * written in UTC.
 */
#include <time.h>
#include <re.h>
#include "tz/tz.h"
#include "hours/hours.h"
#include "util/util.h"
#include "test.h"

enum { MIN = 60000, HOUR = 3600000 };

static const char *const business =
	"mon-fri 09:00-17:30, sat 10:00-14:00";


/* An instant given in UTC, in ms (libc's timegm, not the code tested). */
static int64_t Z(int y, int mo, int d, int h, int mi)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;

	return (int64_t)timegm(&tm) * 1000;
}


static void print_ms(const char *what, int64_t ms)
{
	char buf[32];

	time_fmt_rfc3339(buf, sizeof(buf), ms);
	fprintf(stderr, "  %s %s\n", what, buf);
}


TEST(hours_parse_errors)
{
	static const struct {
		const char *text;
		const char *closed;
		const char *msg;        /* in the message; NULL: accepted */
	} cases[] = {
		{"mon-fri 09:00-17:30, sat 10:00-14:00", "", NULL},
		{"mon,wed 08:00-12:00 13:00-17:00", NULL, NULL},
		{"daily 00:00-24:00", NULL, NULL},
		{"Monday 9:00-10:00, SUN 10:00-11:00", NULL, NULL},
		{"fri-mon 10:00-11:00", NULL, NULL},
		{"mon 09:00-12:00 12:00-13:00", NULL, NULL},
		{"closed", "2026-12-25", NULL},
		{"  mon\t09:00-10:00 ,, ", "2026-12-25,2027-01-01", NULL},
		{"mun 09:00-10:00", NULL, "unknown day \"mun\""},
		{"mon-fry 09:00-10:00", NULL, "unknown day \"mon-fry\""},
		{"mon 17:00-09:00", NULL, "\"17:00-09:00\" ends before it "
		 "starts"},
		{"mon 09:00-09:00", NULL, "\"09:00-09:00\" is empty"},
		{"mon 24:00-24:00", NULL, "24:00 is only an end time"},
		{"mon 09:00-12:00 11:00-13:00", NULL,
		 "mon: 11:00-13:00 overlaps 09:00-12:00"},
		{"mon-fri 09:00-17:00, wed 16:00-18:00", NULL,
		 "wed: 16:00-18:00 overlaps 09:00-17:00"},
		{"09:00-17:00", NULL, "without days"},
		{"mon", NULL, "days without time ranges"},
		{"mon 09:00-12:00 tue", NULL, "days without time ranges"},
		{"mon 9-17", NULL, "bad time range \"9-17\""},
		{"mon 25:00-26:00", NULL, "bad time range"},
		{"mon 09:60-10:00", NULL, "bad time range"},
		{"mon 09:00-24:01", NULL, "bad time range"},
		{"mon 09:00-10:00-11:00", NULL, "bad time range"},
		{"mon 0a:00-10:00", NULL, "bad time range"},
		{"daily 00:00-01:00 02:00-03:00 03:00-04:00 05:00-06:00", NULL,
		 NULL},
		{"daily 00:00-01:00 02:00-03:00 03:00-04:00 05:00-06:00 "
		 "07:00-08:00", NULL, "more than 28 time ranges"},
		{"", NULL, "no opening hours"},
		{" , ", NULL, "no opening hours"},
		{"closed mon 09:00-10:00", NULL, "\"closed\" stands alone"},
		{"mon 09:00-10:00", "2026-02-30", "bad closed date "
		 "\"2026-02-30\""},
		{"mon 09:00-10:00", "2026-1-01", "bad closed date"},
		{"mon 09:00-10:00", "tomorrow", "bad closed date"},
		{"mon 09:00-10:00", "2026-12-25 2026-13-01", "\"2026-13-01\""},
		{"wednesday-friday 09:00-10:00", NULL, NULL},
		{"mon 09:00-10:00 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		 NULL, "unknown word \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaa...\""},
	};
	struct hours *h = NULL;
	char err[160];
	size_t i;
	int r;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		r = hours_parse(&h, cases[i].text, cases[i].closed, err,
				sizeof(err));
		h = mem_deref(h);

		if (cases[i].msg ? (r != EINVAL || !strstr(err,
							   cases[i].msg))
		    : (r != 0 || err[0])) {
			fprintf(stderr, "  \"%s\": %d \"%s\", expected "
				"\"%s\"\n", cases[i].text, r, err,
				cases[i].msg ? cases[i].msg : "");
			return EINVAL;
		}
	}

	TEST_EQ_INT(hours_parse(&h, NULL, NULL, NULL, 0), EINVAL);
	TEST_EQ_INT(hours_parse(NULL, "daily 00:00-24:00", NULL, NULL, 0),
		    EINVAL);

	return 0;
}


TEST(hours_format_round_trip)
{
	static const struct {
		const char *text;
		const char *closed;
		const char *canon;
		const char *canon_closed;
	} cases[] = {
		{"mon-fri 09:00-17:30, sat 10:00-14:00", "",
		 "mon-fri 09:00-17:30, sat 10:00-14:00", ""},
		{"mon,wed 08:00-12:00 13:00-17:00", NULL,
		 "mon,wed 08:00-12:00 13:00-17:00", ""},
		{"DAILY 0:00-24:00", NULL, "daily 00:00-24:00", ""},
		{"fri-mon 10:00-11:00", NULL, "mon,fri-sun 10:00-11:00", ""},
		{"tue 13:00-14:00 09:00-10:00, mon 09:00-10:00 13:00-14:00",
		 NULL, "mon-tue 09:00-10:00 13:00-14:00", ""},
		{"closed", "2027-01-01, 2026-12-25 2026-12-25",
		 "closed", "2026-12-25 2027-01-01"},
	};
	struct hours *h = NULL, *h2 = NULL;
	char buf[200], buf2[200], small[8];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		TEST_EQ_INT(hours_parse(&h, cases[i].text, cases[i].closed,
					NULL, 0), 0);
		TEST_EQ_INT(hours_format(h, buf, sizeof(buf)), 0);
		TEST_EQ_STR(buf, cases[i].canon);
		TEST_EQ_INT(hours_format_closed(h, buf2, sizeof(buf2)), 0);
		TEST_EQ_STR(buf2, cases[i].canon_closed);

		/* what is printed reads back to the same */
		TEST_EQ_INT(hours_parse(&h2, buf, buf2, NULL, 0), 0);
		TEST_EQ_INT(hours_format(h2, buf2, sizeof(buf2)), 0);
		TEST_EQ_STR(buf2, buf);

		h = mem_deref(h);
		h2 = mem_deref(h2);
	}

	TEST_EQ_INT(hours_parse(&h, business, NULL, NULL, 0), 0);
	TEST_EQ_INT(hours_format(h, small, sizeof(small)), ENOSPC);
	mem_deref(h);

	return 0;
}


struct query {
	int64_t at;
	bool open;
	int64_t next_open;      /* 0: ENOENT */
	int64_t next_close;     /* 0: ENOENT */
};


static int run_queries(const char *zone_name, const char *text,
		       const char *closed, const struct query *q, size_t n)
{
	struct tz_registry *reg = NULL;
	struct tz_zone *zone = NULL;
	struct hours *h = NULL;
	char msg[128];
	int64_t next;
	size_t i;
	int err, r;

	err = hours_parse(&h, text, closed, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "  %s\n", msg);
		return err;
	}

	if (zone_name) {
		err = tz_registry_alloc(&reg, NULL);
		if (!err)
			err = tz_get(reg, zone_name, &zone);
		if (err)
			goto out;
	}

	for (i = 0; i < n; i++) {
		bool open = hours_is_open(h, zone, q[i].at);

		if (open != q[i].open) {
			print_ms("at", q[i].at);
			fprintf(stderr, "  %s: open %d, expected %d\n",
				text, open, q[i].open);
			err = EINVAL;
			goto out;
		}

		next = 0;
		r = hours_next_open(h, zone, q[i].at, &next);
		if (q[i].next_open ? (r || next != q[i].next_open) :
		    r != ENOENT) {
			print_ms("at", q[i].at);
			print_ms("next open", next);
			print_ms("expected", q[i].next_open);
			err = EINVAL;
			goto out;
		}

		next = 0;
		r = hours_next_close(h, zone, q[i].at, &next);
		if (q[i].next_close ? (r || next != q[i].next_close) :
		    r != ENOENT) {
			print_ms("at", q[i].at);
			print_ms("next close", next);
			print_ms("expected", q[i].next_close);
			err = EINVAL;
			goto out;
		}
	}

 out:
	mem_deref(h);
	mem_deref(reg);

	return err;
}


/*
 * New York, "mon-fri 09:00-17:30, sat 10:00-14:00". 09:00 stays 09:00
 * local: 14:00Z in winter, 13:00Z from Monday 2026-03-09, 14:00Z again
 * from Monday 2026-11-02.
 */
TEST(hours_new_york_weekends_and_dst)
{
	static struct query q[12];

	/* Friday 17:30 EST: closed; Saturday 10:00 EST */
	q[0] = (struct query){Z(2026, 3, 6, 22, 30), false,
			      Z(2026, 3, 7, 15, 0), Z(2026, 3, 6, 22, 30)};
	/* Friday 17:29 EST: open until 17:30 */
	q[1] = (struct query){Z(2026, 3, 6, 22, 29), true,
			      Z(2026, 3, 6, 22, 29), Z(2026, 3, 6, 22, 30)};
	/* Saturday 14:00 EST, clocks spring forward Sunday: Monday 09:00
	 * EDT is 13:00Z, closing 17:30 EDT 21:30Z */
	q[2] = (struct query){Z(2026, 3, 7, 19, 0), false,
			      Z(2026, 3, 9, 13, 0), Z(2026, 3, 7, 19, 0)};
	q[3] = (struct query){Z(2026, 3, 9, 12, 59), false,
			      Z(2026, 3, 9, 13, 0), Z(2026, 3, 9, 12, 59)};
	q[4] = (struct query){Z(2026, 3, 9, 13, 0), true,
			      Z(2026, 3, 9, 13, 0), Z(2026, 3, 9, 21, 30)};
	/* the Monday before, 09:00 EST is 14:00Z: 13:00Z is 08:00 */
	q[5] = (struct query){Z(2026, 3, 2, 13, 0), false,
			      Z(2026, 3, 2, 14, 0), Z(2026, 3, 2, 13, 0)};
	/* Friday 18:00 EDT: Saturday 10:00 EDT */
	q[6] = (struct query){Z(2026, 10, 30, 22, 0), false,
			      Z(2026, 10, 31, 14, 0), Z(2026, 10, 30, 22, 0)};
	/* Saturday 15:00 EDT, clocks fall back Sunday: Monday 09:00 EST */
	q[7] = (struct query){Z(2026, 10, 31, 19, 0), false,
			      Z(2026, 11, 2, 14, 0), Z(2026, 10, 31, 19, 0)};
	/* Sunday during the repeated hour */
	q[8] = (struct query){Z(2026, 11, 1, 6, 30), false,
			      Z(2026, 11, 2, 14, 0), Z(2026, 11, 1, 6, 30)};
	/* Saturday 12:00 EDT: open until 14:00 EDT */
	q[9] = (struct query){Z(2026, 10, 31, 16, 0), true,
			      Z(2026, 10, 31, 16, 0), Z(2026, 10, 31, 18, 0)};
	/* a Saturday after 2037 */
	q[10] = (struct query){Z(2041, 3, 16, 16, 0), true,
			       Z(2041, 3, 16, 16, 0), Z(2041, 3, 16, 18, 0)};
	q[11] = (struct query){Z(2041, 3, 16, 18, 0), false,
			       Z(2041, 3, 18, 13, 0), Z(2041, 3, 16, 18, 0)};

	return run_queries("America/New_York", business, NULL, q,
			   ARRAY_SIZE(q));
}


TEST(hours_closed_dates)
{
	static struct query q[3];
	static struct query q2[2];
	int err;

	/* Christmas 2026 is a Friday: from Thursday 18:00 EST to Saturday
	 * 10:00 EST */
	q[0] = (struct query){Z(2026, 12, 24, 23, 0), false,
			      Z(2026, 12, 26, 15, 0), Z(2026, 12, 24, 23, 0)};
	q[1] = (struct query){Z(2026, 12, 25, 15, 0), false,
			      Z(2026, 12, 26, 15, 0), Z(2026, 12, 25, 15, 0)};
	/* Thursday 12:00 EST: open until 17:30 */
	q[2] = (struct query){Z(2026, 12, 24, 17, 0), true,
			      Z(2026, 12, 24, 17, 0), Z(2026, 12, 24, 22, 30)};

	err = run_queries("America/New_York", business, "2026-12-25", q,
			  ARRAY_SIZE(q));
	if (err)
		return err;

	/* twenty closed days, more than the search window, which closed
	 * dates do not use up: from Saturday 2026-12-19 15:00 EST to
	 * Saturday 2027-01-09 10:00 EST */
	q2[0] = (struct query){Z(2026, 12, 19, 20, 0), false,
			       Z(2027, 1, 9, 15, 0), Z(2026, 12, 19, 20, 0)};
	q2[1] = (struct query){Z(2026, 12, 19, 17, 0), true,
			       Z(2026, 12, 19, 17, 0), Z(2026, 12, 19, 19, 0)};

	return run_queries("America/New_York", business,
			   "2026-12-20 2026-12-21 2026-12-22 2026-12-23 "
			   "2026-12-24 2026-12-25 2026-12-26 2026-12-27 "
			   "2026-12-28 2026-12-29 2026-12-30 2026-12-31 "
			   "2027-01-01 2027-01-02 2027-01-03 2027-01-04 "
			   "2027-01-05 2027-01-06 2027-01-07 2027-01-08",
			   q2, ARRAY_SIZE(q2));
}


/* Paris "mon-fri 09:00-18:00": 08:00Z in winter, 07:00Z in summer. */
TEST(hours_paris_dst)
{
	static struct query q[4];

	/* Friday 18:00 CET, DST starts Sunday: Monday 09:00 CEST */
	q[0] = (struct query){Z(2026, 3, 27, 17, 0), false,
			      Z(2026, 3, 30, 7, 0), Z(2026, 3, 27, 17, 0)};
	q[1] = (struct query){Z(2026, 3, 30, 7, 0), true,
			      Z(2026, 3, 30, 7, 0), Z(2026, 3, 30, 16, 0)};
	/* Friday 18:00 CEST, DST ends Sunday: Monday 09:00 CET */
	q[2] = (struct query){Z(2026, 10, 23, 16, 0), false,
			      Z(2026, 10, 26, 8, 0), Z(2026, 10, 23, 16, 0)};
	q[3] = (struct query){Z(2026, 10, 26, 7, 30), false,
			      Z(2026, 10, 26, 8, 0), Z(2026, 10, 26, 7, 30)};

	return run_queries("Europe/Paris", "mon-fri 09:00-18:00", NULL, q,
			   ARRAY_SIZE(q));
}


/*
 * A business in Tokyo (UTC+9) is on another weekday than UTC for nine
 * hours a day: Friday 20:00Z is Saturday 05:00 there (closed until Monday
 * 09:00 JST, Monday 00:00Z), Sunday 23:30Z is Monday 08:30 there. The same
 * hours in UTC (a NULL zone) answer by the UTC weekday.
 */
TEST(hours_tokyo_other_weekday)
{
	static struct query q[3];
	static struct query u[1];
	int err;

	q[0] = (struct query){Z(2026, 3, 6, 20, 0), false,
			      Z(2026, 3, 9, 0, 0), Z(2026, 3, 6, 20, 0)};
	q[1] = (struct query){Z(2026, 3, 8, 23, 30), false,
			      Z(2026, 3, 9, 0, 0), Z(2026, 3, 8, 23, 30)};
	/* Friday 08:30Z is Friday 17:30 JST: open until 18:00 */
	q[2] = (struct query){Z(2026, 3, 6, 8, 30), true,
			      Z(2026, 3, 6, 8, 30), Z(2026, 3, 6, 9, 0)};

	err = run_queries("Asia/Tokyo", "mon-fri 09:00-18:00", NULL, q,
			  ARRAY_SIZE(q));
	if (err)
		return err;

	u[0] = (struct query){Z(2026, 3, 6, 20, 0), false,
			      Z(2026, 3, 9, 9, 0), Z(2026, 3, 6, 20, 0)};

	return run_queries(NULL, "mon-fri 09:00-18:00", NULL, u,
			   ARRAY_SIZE(u));
}


/*
 * Ranges across the changes: "daily 01:00-04:00" in New York lasts two
 * hours on 2026-03-08 (01:00 EST 06:00Z to 04:00 EDT 08:00Z) and four on
 * 2026-11-01 (01:00 EDT 05:00Z to 04:00 EST 09:00Z); in Paris 2026-03-29
 * 00:00Z-02:00Z and 2026-10-24 23:00Z to 2026-10-25 03:00Z.
 */
TEST(hours_ranges_across_dst)
{
	static struct query ny[5], paris[2];
	int err;

	ny[0] = (struct query){Z(2026, 3, 8, 5, 0), false,
			       Z(2026, 3, 8, 6, 0), Z(2026, 3, 8, 5, 0)};
	ny[1] = (struct query){Z(2026, 3, 8, 6, 0), true,
			       Z(2026, 3, 8, 6, 0), Z(2026, 3, 8, 8, 0)};
	ny[2] = (struct query){Z(2026, 3, 8, 8, 0), false,
			       Z(2026, 3, 9, 5, 0), Z(2026, 3, 8, 8, 0)};
	ny[3] = (struct query){Z(2026, 11, 1, 4, 59), false,
			       Z(2026, 11, 1, 5, 0), Z(2026, 11, 1, 4, 59)};
	ny[4] = (struct query){Z(2026, 11, 1, 5, 0), true,
			       Z(2026, 11, 1, 5, 0), Z(2026, 11, 1, 9, 0)};

	err = run_queries("America/New_York", "daily 01:00-04:00", NULL, ny,
			  ARRAY_SIZE(ny));
	if (err)
		return err;

	paris[0] = (struct query){Z(2026, 3, 29, 0, 0), true,
				  Z(2026, 3, 29, 0, 0), Z(2026, 3, 29, 2, 0)};
	paris[1] = (struct query){Z(2026, 10, 24, 22, 0), false,
				  Z(2026, 10, 24, 23, 0),
				  Z(2026, 10, 24, 22, 0)};
	err = run_queries("Europe/Paris", "daily 01:00-04:00", NULL, paris,
			  ARRAY_SIZE(paris));
	if (err)
		return err;

	paris[0] = (struct query){Z(2026, 10, 24, 23, 0), true,
				  Z(2026, 10, 24, 23, 0),
				  Z(2026, 10, 25, 3, 0)};

	return run_queries("Europe/Paris", "daily 01:00-04:00", NULL, paris,
			   1);
}


/*
 * A range wholly in the spring-forward gap does not open that day
 * ("sun 02:00-02:30": next Sunday 02:00 EDT); one starting in it opens at
 * the gap's end ("sun 02:30-05:00": 03:00 EDT, 07:00Z).
 */
TEST(hours_range_in_gap)
{
	static struct query q[1], q2[1];
	int err;

	q[0] = (struct query){Z(2026, 3, 8, 5, 0), false,
			      Z(2026, 3, 15, 6, 0), Z(2026, 3, 8, 5, 0)};
	err = run_queries("America/New_York", "sun 02:00-02:30", NULL, q,
			  ARRAY_SIZE(q));
	if (err)
		return err;

	q2[0] = (struct query){Z(2026, 3, 8, 5, 0), false,
			       Z(2026, 3, 8, 7, 0), Z(2026, 3, 8, 5, 0)};

	return run_queries("America/New_York", "sun 02:30-05:00", NULL, q2,
			   ARRAY_SIZE(q2));
}


/* Always open, never open, and a night split at midnight. */
TEST(hours_always_never_night)
{
	static struct query always[3], never[1], night[3];
	int err;

	/* open through both New York changes; never closes */
	always[0] = (struct query){Z(2026, 3, 8, 7, 0), true,
				   Z(2026, 3, 8, 7, 0), 0};
	always[1] = (struct query){Z(2026, 11, 1, 6, 30), true,
				   Z(2026, 11, 1, 6, 30), 0};
	always[2] = (struct query){Z(2026, 11, 1, 5, 30), true,
				   Z(2026, 11, 1, 5, 30), 0};
	err = run_queries("America/New_York", "daily 00:00-24:00", NULL,
			  always, ARRAY_SIZE(always));
	if (err)
		return err;

	never[0] = (struct query){Z(2026, 3, 8, 7, 0), false, 0,
				  Z(2026, 3, 8, 7, 0)};
	err = run_queries("America/New_York", "closed", NULL, never,
			  ARRAY_SIZE(never));
	if (err)
		return err;

	/* Friday 22:00 to Saturday 02:00 EST is one period; the next
	 * Friday 22:00 is EDT */
	night[0] = (struct query){Z(2026, 3, 7, 4, 0), true,
				  Z(2026, 3, 7, 4, 0), Z(2026, 3, 7, 7, 0)};
	night[1] = (struct query){Z(2026, 3, 7, 6, 0), true,
				  Z(2026, 3, 7, 6, 0), Z(2026, 3, 7, 7, 0)};
	night[2] = (struct query){Z(2026, 3, 7, 7, 0), false,
				  Z(2026, 3, 14, 2, 0), Z(2026, 3, 7, 7, 0)};

	return run_queries("America/New_York",
			   "fri 22:00-24:00, sat 00:00-02:00", NULL, night,
			   ARRAY_SIZE(night));
}


static int check_slots(const char *zone_name, const char *text,
		       int64_t from, int64_t to, unsigned minutes,
		       const int64_t *want, size_t nwant, size_t max)
{
	struct tz_registry *reg = NULL;
	struct tz_zone *zone = NULL;
	struct hours *h = NULL;
	int64_t out[64];
	size_t n = 0, i;
	int err;

	err = hours_parse(&h, text, NULL, NULL, 0);
	if (!err)
		err = tz_registry_alloc(&reg, NULL);
	if (!err)
		err = tz_get(reg, zone_name, &zone);
	if (!err)
		err = hours_slots(h, zone, from, to, minutes, out, max, &n);
	if (err)
		goto out;

	for (i = 0; i < n && i < nwant && out[i] == want[i]; i++)
		;
	if (n != nwant || i != n) {
		fprintf(stderr, "  %s: %zu slots, expected %zu\n", text, n,
			nwant);
		for (i = 0; i < n; i++)
			print_ms(i < nwant && out[i] == want[i] ? "ok" :
				 "got", out[i]);
		err = EINVAL;
	}

 out:
	mem_deref(h);
	mem_deref(reg);

	return err;
}


TEST(hours_slots_across_dst)
{
	struct hours *h = NULL;
	int64_t out[4];
	size_t n;
	int err;

	/* hourly wall-clock slots on the spring-forward night: 02:00 does
	 * not exist and falls on 03:00 EDT, listed once */
	const int64_t spring[] = {
		Z(2026, 3, 8, 5, 0), Z(2026, 3, 8, 6, 0), Z(2026, 3, 8, 7, 0),
		Z(2026, 3, 8, 8, 0), Z(2026, 3, 8, 9, 0),
	};
	/* the fall-back night: 01:00 is its first pass (EDT); 01:00 EST is
	 * not a wall-clock slot of its own */
	const int64_t fall[] = {
		Z(2026, 11, 1, 4, 0), Z(2026, 11, 1, 5, 0),
		Z(2026, 11, 1, 7, 0), Z(2026, 11, 1, 8, 0),
	};
	/* Friday afternoon to Monday morning over the spring change:
	 * Friday 16:00 and 17:00 EST (the last a half hour), Saturday
	 * 10:00-13:00 EST, Monday 09:00 and 10:00 EDT */
	const int64_t weekend[] = {
		Z(2026, 3, 6, 21, 0), Z(2026, 3, 6, 22, 0),
		Z(2026, 3, 7, 15, 0), Z(2026, 3, 7, 16, 0),
		Z(2026, 3, 7, 17, 0), Z(2026, 3, 7, 18, 0),
		Z(2026, 3, 9, 13, 0), Z(2026, 3, 9, 14, 0),
	};
	/* Paris, half-hour slots from 01:00 on the spring night: 01:00,
	 * 01:30 CET, then 02:00, 02:30 and 03:00 are all 03:00 CEST */
	const int64_t paris[] = {
		Z(2026, 3, 29, 0, 0), Z(2026, 3, 29, 0, 30),
		Z(2026, 3, 29, 1, 0), Z(2026, 3, 29, 1, 30),
	};

	err = check_slots("America/New_York", "daily 00:00-24:00",
			  Z(2026, 3, 8, 5, 0), Z(2026, 3, 8, 10, 0), 60,
			  spring, ARRAY_SIZE(spring), 64);
	if (!err)
		err = check_slots("America/New_York", "daily 00:00-24:00",
				  Z(2026, 11, 1, 4, 0), Z(2026, 11, 1, 9, 0),
				  60, fall, ARRAY_SIZE(fall), 64);
	if (!err)
		err = check_slots("America/New_York", business,
				  Z(2026, 3, 6, 21, 0), Z(2026, 3, 9, 15, 0),
				  60, weekend, ARRAY_SIZE(weekend), 64);
	/* at most max, the first ones */
	if (!err)
		err = check_slots("America/New_York", business,
				  Z(2026, 3, 6, 21, 0), Z(2026, 3, 9, 15, 0),
				  60, weekend, 3, 3);
	/* from inside a slot: the next one */
	if (!err)
		err = check_slots("America/New_York", business,
				  Z(2026, 3, 6, 20, 30), Z(2026, 3, 6, 23, 0),
				  60, weekend, 2, 64);
	if (!err)
		err = check_slots("Europe/Paris", "sun 01:00-04:00",
				  Z(2026, 3, 29, 0, 0), Z(2026, 3, 29, 2, 0),
				  30, paris, ARRAY_SIZE(paris), 64);
	if (err)
		return err;

	/* bad arguments */
	TEST_EQ_INT(hours_parse(&h, business, NULL, NULL, 0), 0);
	TEST_EQ_INT(hours_slots(h, NULL, 0, HOUR, 0, out, 4, &n), EINVAL);
	TEST_EQ_INT(hours_slots(h, NULL, 0, HOUR, 1441, out, 4, &n), EINVAL);
	TEST_EQ_INT(hours_slots(h, NULL, HOUR, 0, 60, out, 4, &n), EINVAL);
	TEST_EQ_INT(hours_slots(h, NULL, 0, 63LL * 24 * HOUR, 60, out, 4,
				&n), EINVAL);
	TEST_EQ_INT(hours_slots(h, NULL, 0, HOUR, 60, NULL, 4, &n), EINVAL);
	TEST_EQ_INT(hours_slots(h, NULL, 0, 7LL * 24 * HOUR, 60, NULL, 0,
				&n), 0);
	TEST_EQ_INT(n, 0);
	mem_deref(h);

	return 0;
}
