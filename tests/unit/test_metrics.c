/*
 * The metrics registry and its exposition: histogram buckets (upper
 * bounds inclusive, cumulative on output), label values escaped, the
 * dialer's reasons kept and anything else "other", states per business
 * from the store's rows, and each family's samples together.
 */
#include <string.h>
#include <re.h>
#include "store/store.h"
#include "metrics/metrics.h"
#include "test.h"


/* the exposition of now (or of no state) as a string, in *mbp */
static int render(struct mbuf **mbp, const struct metrics_now *now)
{
	static const struct metrics_now none;
	struct mbuf *mb = mbuf_alloc(4096);
	int err;

	if (!mb)
		return ENOMEM;
	err = metrics_write(mb, now ? now : &none);
	if (!err)
		err = mbuf_write_u8(mb, 0);
	if (err) {
		mem_deref(mb);
		return err;
	}
	*mbp = mb;

	return 0;
}


static bool has_line(const struct mbuf *mb, const char *line)
{
	const char *s = (const char *)mb->buf;
	size_t n = strlen(line);

	for (; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : NULL) {
		if (!strncmp(s, line, n) && (s[n] == '\n' || !s[n]))
			return true;
	}

	return false;
}


TEST(metrics_histogram_buckets)
{
	struct mbuf *mb = NULL;
	int err;

	metrics_reset();
	metrics_observe(MH_CLICK_TO_INVITE, 0.5);
	metrics_observe(MH_CLICK_TO_INVITE, 1);        /* le is inclusive */
	metrics_observe(MH_CLICK_TO_INVITE, 1.001);
	metrics_observe(MH_CLICK_TO_INVITE, 5000);     /* above them all */

	err = render(&mb, NULL);
	TEST_EQ_INT(err, 0);
	TEST_ASSERT(has_line(mb, "# TYPE beckon_click_to_invite_seconds "
			     "histogram"));
	TEST_ASSERT(has_line(mb, "beckon_click_to_invite_seconds_bucket"
			     "{le=\"1\"} 2"));
	TEST_ASSERT(has_line(mb, "beckon_click_to_invite_seconds_bucket"
			     "{le=\"2\"} 3"));
	TEST_ASSERT(has_line(mb, "beckon_click_to_invite_seconds_bucket"
			     "{le=\"3600\"} 3"));
	TEST_ASSERT(has_line(mb, "beckon_click_to_invite_seconds_bucket"
			     "{le=\"+Inf\"} 4"));
	TEST_ASSERT(has_line(mb, "beckon_click_to_invite_seconds_count 4"));
	TEST_ASSERT(has_line(mb, "beckon_click_to_invite_seconds_sum "
			     "5002.501000"));
	/* small bounds are written as numbers Prometheus reads back */
	TEST_ASSERT(has_line(mb, "beckon_store_commit_seconds_bucket"
			     "{le=\"0.00025\"} 0"));
	mem_deref(mb);

	return 0;
}


/* two remote dialers: one up with 3 calls, one down */
static bool two_links(unsigned i, struct metrics_link *l, void *arg)
{
	static const struct metrics_link v[] = {
		{"tcp://10.0.0.1:5070", true, 3},
		{"tcp://[::1]:5070", false, 0},
	};
	(void)arg;

	if (i >= ARRAY_SIZE(v))
		return false;
	*l = v[i];

	return true;
}


TEST(metrics_counters_bounded)
{
	struct mbuf *mb = NULL;
	int err;

	metrics_reset();
	metrics_http(MR_CALLBACKS, 202);
	metrics_http(MR_CALLBACKS, 202);
	metrics_http((enum metrics_route)99, 404);     /* not a route */
	metrics_http(MR_ADMIN, 99);                     /* not a status */
	metrics_http(MR_ADMIN, 600);
	metrics_leg_outcome("customer", "busy");
	metrics_leg_outcome("agent", "no_answer");
	metrics_leg_outcome(NULL, "+14155550100");      /* never a label */
	metrics_leg_outcome("agent", NULL);
	metrics_webhook(true);
	metrics_webhook(false);
	metrics_webhook(false);

	err = render(&mb, NULL);
	TEST_EQ_INT(err, 0);
	TEST_ASSERT(has_line(mb, "beckon_http_requests_total"
			     "{route=\"/v1/callbacks\",code=\"202\"} 2"));
	TEST_ASSERT(has_line(mb, "beckon_http_requests_total"
			     "{route=\"other\",code=\"404\"} 1"));
	TEST_ASSERT(!strstr((char *)mb->buf, "code=\"99\""));
	TEST_ASSERT(!strstr((char *)mb->buf, "code=\"600\""));
	TEST_ASSERT(has_line(mb, "beckon_leg_outcomes_total"
			     "{leg=\"customer\",reason=\"busy\"} 1"));
	TEST_ASSERT(has_line(mb, "beckon_leg_outcomes_total"
			     "{leg=\"agent\",reason=\"no_answer\"} 1"));
	TEST_ASSERT(has_line(mb, "beckon_leg_outcomes_total"
			     "{leg=\"none\",reason=\"other\"} 1"));
	TEST_ASSERT(has_line(mb, "beckon_leg_outcomes_total"
			     "{leg=\"agent\",reason=\"other\"} 1"));
	TEST_ASSERT(!strstr((char *)mb->buf, "4155550100"));
	TEST_ASSERT(has_line(mb, "beckon_webhook_deliveries_total"
			     "{result=\"failed\"} 2"));
	/* no dialer: no dialer_up at all, rather than a false "down" */
	TEST_ASSERT(!strstr((char *)mb->buf, "beckon_dialer_up"));
	mem_deref(mb);

	/* remote dialers: one line each, by address */
	metrics_dialer_links(two_links, NULL);
	err = render(&mb, NULL);
	TEST_EQ_INT(err, 0);
	TEST_ASSERT(has_line(mb, "beckon_dialer_up{dialer=\"tcp://10.0.0.1:"
			     "5070\"} 1"));
	TEST_ASSERT(has_line(mb, "beckon_dialer_up{dialer=\"tcp://[::1]:"
			     "5070\"} 0"));
	TEST_ASSERT(has_line(mb, "beckon_dialer_calls{dialer=\"tcp://"
			     "10.0.0.1:5070\"} 3"));
	TEST_ASSERT(!strstr((char *)mb->buf, "dialer=\"local\""));
	mem_deref(mb);
	metrics_reset();

	return 0;
}


TEST(metrics_states_from_rows)
{
	static const char *const biz[] = {"acme", "b\"z\\", "idle"};
	struct callback c[5];
	struct callback *v[5];
	struct agent a[3];
	struct agent *av[3];
	struct metrics_now now;
	struct mbuf *mb = NULL;
	const char *p, *q;
	int err, i;

	metrics_reset();
	memset(c, 0, sizeof(c));
	memset(a, 0, sizeof(a));
	/* acme: two queued (one due later than asked), one on hold;
	 * b"z\: one connected, one scheduled */
	c[0].business = "acme"; c[0].status = CBS_QUEUED;
	c[0].created_at = 100000;
	c[1].business = "acme"; c[1].status = CBS_QUEUED;
	c[1].created_at = 10000; c[1].scheduled_for = 50000;
	c[2].business = "acme"; c[2].status = CBS_ON_HOLD;
	c[2].created_at = 1000;
	c[3].business = "b\"z\\"; c[3].status = CBS_CONNECTED;
	c[4].business = "b\"z\\"; c[4].status = CBS_SCHEDULED;
	for (i = 0; i < 5; i++)
		v[4 - i] = &c[i];   /* in no particular order */
	a[0].state = AGENT_AVAILABLE;
	a[1].state = AGENT_ON_CALL;
	a[2].state = AGENT_AVAILABLE;
	for (i = 0; i < 3; i++)
		av[i] = &a[i];

	memset(&now, 0, sizeof(now));
	now.now = 110000;
	now.businesses = biz;
	now.nbusinesses = 3;
	now.open = v;
	now.nopen = 5;
	now.agents = av;
	now.nagents = 3;

	err = render(&mb, &now);
	TEST_EQ_INT(err, 0);
	TEST_ASSERT(has_line(mb, "beckon_callbacks{business=\"acme\","
			     "status=\"queued\"} 2"));
	TEST_ASSERT(has_line(mb, "beckon_callbacks{business=\"acme\","
			     "status=\"on_hold\"} 1"));
	TEST_ASSERT(has_line(mb, "beckon_callbacks{business=\"b\\\"z\\\\\","
			     "status=\"scheduled\"} 1"));
	TEST_ASSERT(has_line(mb, "beckon_queue_length{business=\"acme\"} 2"));
	TEST_ASSERT(has_line(mb, "beckon_queue_length{business=\"idle\"} 0"));
	/* the oldest: due at 50 s (scheduled), not asked at 10 s */
	TEST_ASSERT(has_line(mb, "beckon_queue_oldest_wait_seconds"
			     "{business=\"acme\"} 60.000"));
	TEST_ASSERT(has_line(mb, "beckon_queue_oldest_wait_seconds"
			     "{business=\"idle\"} 0.000"));
	TEST_ASSERT(has_line(mb, "beckon_calls_in_progress"
			     "{business=\"acme\"} 1"));
	TEST_ASSERT(has_line(mb, "beckon_calls_in_progress"
			     "{business=\"b\\\"z\\\\\"} 1"));
	TEST_ASSERT(has_line(mb, "beckon_agents{state=\"available\"} 2"));
	TEST_ASSERT(has_line(mb, "beckon_agents{state=\"on_call\"} 1"));

	/* each family's samples follow its TYPE, none elsewhere */
	p = strstr((char *)mb->buf, "# TYPE beckon_queue_length gauge");
	q = strstr((char *)mb->buf, "# TYPE beckon_queue_oldest_wait");
	TEST_ASSERT(p && q && p < q);
	TEST_ASSERT(!strstr(q, "beckon_queue_length{"));
	mem_deref(mb);

	return 0;
}
