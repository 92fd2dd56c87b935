/*
 * util/timer.c: libre's timers in lists by delay. The order must be
 * libre's own (expiry, then the order of tmr_start), whatever the mix
 * of delays, cancels and restarts; and libre's calls must reach ours.
 */
#include <stdlib.h>
#include <unistd.h>
#include <re.h>
#include "util/util.h"
#include "test.h"

enum {
	NT = 600,
	OPS = 4000,
};

struct rec {
	struct tmr tmr;
	int id;
	uintptr_t order;        /* when it was last started */
	int *log;
	int *nlog;
};


static void rec_h(void *arg)
{
	struct rec *r = arg;

	r->log[(*r->nlog)++] = r->id;
}


static void spin_until(uint64_t jfs)
{
	while (tmr_jiffies() < jfs)
		;
}


/* libre's own calls reach ours: a DNS query (to the discard port on
 * loopback) starts its retransmission timer in our lists and cancels it
 * there when freed */
TEST(timer_libre_starts_and_cancels_ours)
{
	struct dnsc *dnsc = NULL;
	struct dns_query *q = NULL;
	struct sa sa;
	uint32_t n0 = timer_count();
	int err;

	sa_set_str(&sa, "127.0.0.1", 9);
	err = dnsc_alloc(&dnsc, NULL, &sa, 1);
	if (!err)
		err = dnsc_query(&q, dnsc, "beckon.invalid", DNS_TYPE_A,
				 DNS_CLASS_IN, true, NULL, NULL);
	if (!err && timer_count() != n0 + 1) {
		fprintf(stderr, "  %u timers, expected %u\n", timer_count(),
			n0 + 1);
		err = EINVAL;
	}
	mem_deref(q);
	if (!err && timer_count() != n0)
		err = EINVAL;
	mem_deref(dnsc);

	return err;
}


struct loop_probe {
	struct tmr tmr;
	bool fired;
	int rounds;
};


static void probe_tmr_h(void *arg)
{
	struct loop_probe *p = arg;

	p->fired = true;
	re_cancel();
}


/* a pipe that stays readable: a round of the loop each, so that the
 * test ends even if the loop never reaches our timers */
static void probe_fd_h(int flags, void *arg)
{
	struct loop_probe *p = arg;

	(void)flags;
	if (++p->rounds >= 3)
		re_cancel();
}


/* re_main polls our timers: ours runs in the loop's first round */
TEST(timer_libre_loop_polls_ours)
{
	struct loop_probe p;
	int fds[2], err;

	memset(&p, 0, sizeof(p));
	if (pipe(fds))
		return errno;
	if (write(fds[1], "x", 1) != 1) {
		err = errno;
		goto out;
	}
	err = fd_listen(fds[0], FD_READ, probe_fd_h, &p);
	if (err)
		goto out;

	tmr_start(&p.tmr, 0, probe_tmr_h, &p);
	err = re_main(NULL);
	fd_close(fds[0]);
	tmr_cancel(&p.tmr);
	if (!err && (!p.fired || p.rounds != 1)) {
		fprintf(stderr, "  fired %d after %d rounds\n", p.fired,
			p.rounds);
		err = EINVAL;
	}

 out:
	close(fds[0]);
	close(fds[1]);

	return err;
}


TEST(timer_order_by_expiry_then_start)
{
	struct rec r[8];
	int log[8], nlog = 0, i;
	uint64_t t0, t1;
	uint32_t n0 = timer_count();

	memset(r, 0, sizeof(r));
	for (i = 0; i < 8; i++) {
		r[i].id = i;
		r[i].log = log;
		r[i].nlog = &nlog;
	}

	t0 = tmr_jiffies();
	tmr_start(&r[0].tmr, 30, rec_h, &r[0]);
	tmr_start(&r[1].tmr, 10, rec_h, &r[1]);
	tmr_start(&r[2].tmr, 30, rec_h, &r[2]);
	tmr_start(&r[3].tmr, 0, rec_h, &r[3]);
	tmr_start(&r[4].tmr, 10, rec_h, &r[4]);
	TEST_EQ_INT(timer_count(), n0 + 5);
	TEST_ASSERT(tmr_next_timeout(NULL) <= 1);

	/* the same expiry from another delay, started later: after */
	t1 = tmr_jiffies();
	tmr_start(&r[5].tmr, 20, rec_h, &r[5]);
	spin_until(t1 + 10);
	tmr_start(&r[6].tmr, r[5].tmr.jfs - tmr_jiffies(), rec_h, &r[6]);
	TEST_EQ_INT(r[6].tmr.jfs, r[5].tmr.jfs);
	/* an earlier expiry from a shorter delay, started later: before */
	tmr_start(&r[7].tmr, r[5].tmr.jfs - 1 - tmr_jiffies(), rec_h,
		  &r[7]);

	spin_until(t0 + 40);
	spin_until(r[6].tmr.jfs + 1);
	tmr_poll(NULL);

	TEST_EQ_INT(nlog, 8);
	TEST_EQ_INT(log[0], 3);
	TEST_EQ_INT(log[1], 1);
	TEST_EQ_INT(log[2], 4);
	TEST_EQ_INT(log[3], 7);
	TEST_EQ_INT(log[4], 5);
	TEST_EQ_INT(log[5], 6);
	TEST_EQ_INT(log[6], 0);
	TEST_EQ_INT(log[7], 2);
	TEST_EQ_INT(timer_count(), n0);
	for (i = 0; i < 8; i++)
		TEST_ASSERT(!tmr_isrunning(&r[i].tmr));

	return 0;
}


struct chain {
	struct tmr a, b;
	int runs;
};


static void chain_b(void *arg)
{
	struct chain *ch = arg;

	ch->runs += 10;
}


static void chain_a(void *arg)
{
	struct chain *ch = arg;

	++ch->runs;
	/* restart itself and start another from the handler */
	tmr_start(&ch->a, 1000, chain_a, ch);
	tmr_start(&ch->b, 0, chain_b, ch);
}


TEST(timer_cancel_restart_and_handlers)
{
	struct chain ch;
	uint64_t t0;
	uint32_t n0 = timer_count();

	memset(&ch, 0, sizeof(ch));
	tmr_init(&ch.a);
	tmr_init(&ch.b);

	/* cancel the first of a list, and one that never ran */
	tmr_start(&ch.a, 5, chain_a, &ch);
	tmr_start(&ch.b, 5, chain_b, &ch);
	tmr_cancel(&ch.a);
	tmr_cancel(&ch.a);
	TEST_ASSERT(!tmr_isrunning(&ch.a));
	TEST_EQ_INT(timer_count(), n0 + 1);
	tmr_cancel(&ch.b);
	TEST_EQ_INT(timer_count(), n0);

	t0 = tmr_jiffies();
	tmr_start(&ch.a, 2, chain_a, &ch);
	spin_until(t0 + 3);
	tmr_poll(NULL);
	/* b's jfs may be past the round's clock: then it runs next round */
	spin_until(tmr_jiffies() + 1);
	tmr_poll(NULL);
	TEST_EQ_INT(ch.runs, 11);
	TEST_ASSERT(tmr_isrunning(&ch.a));
	TEST_ASSERT(tmr_get_expire(&ch.a) > 900);
	TEST_EQ_INT(timer_count(), n0 + 1);

	tmr_cancel(&ch.a);
	TEST_EQ_INT(timer_count(), n0);

	return 0;
}


static int rec_cmp(const void *a, const void *b)
{
	const struct rec *x = *(const struct rec * const *)a;
	const struct rec *y = *(const struct rec * const *)b;

	if (x->tmr.jfs != y->tmr.jfs)
		return x->tmr.jfs < y->tmr.jfs ? -1 : 1;

	return x->order < y->order ? -1 : x->order > y->order;
}


/* Random starts, restarts and cancels over more delays than there are
 * lists (the mixed list and the clean-up of unused delays), against
 * the order libre would give. */
TEST(timer_random_against_sorted_order)
{
	struct rec *r = calloc(NT, sizeof(*r));
	struct rec **exp = calloc(NT, sizeof(*exp));
	int *log = calloc(NT, sizeof(*log));
	int nlog = 0, nexp = 0, i, err = 0;
	uintptr_t order = 0;
	uint64_t maxjfs = 0;
	uint32_t n0 = timer_count();

	if (!r || !exp || !log) {
		err = ENOMEM;
		goto out;
	}

	srand(7);
	for (i = 0; i < NT; i++) {
		r[i].id = i;
		r[i].log = log;
		r[i].nlog = &nlog;
	}

	for (i = 0; i < OPS; i++) {
		struct rec *x = &r[rand() % NT];

		if (rand() % 5 == 0) {
			tmr_cancel(&x->tmr);
			continue;
		}
		/* 400 delays, a few of them common */
		tmr_start(&x->tmr, rand() % 3 ? (uint64_t)(rand() % 400) :
			  (uint64_t)(rand() % 4) * 5, rec_h, x);
		x->order = ++order;
		if (i % 500 == 0)
			spin_until(tmr_jiffies() + 1);
	}

	for (i = 0; i < NT; i++) {
		if (!tmr_isrunning(&r[i].tmr))
			continue;
		exp[nexp++] = &r[i];
		if (r[i].tmr.jfs > maxjfs)
			maxjfs = r[i].tmr.jfs;
	}
	qsort(exp, (size_t)nexp, sizeof(*exp), rec_cmp);
	if (timer_count() != n0 + (uint32_t)nexp) {
		fprintf(stderr, "  %u timers, expected %u\n", timer_count(),
			n0 + (uint32_t)nexp);
		err = EINVAL;
		goto out;
	}

	spin_until(maxjfs + 1);
	tmr_poll(NULL);

	if (nlog != nexp) {
		fprintf(stderr, "  %d ran, expected %d\n", nlog, nexp);
		err = EINVAL;
		goto out;
	}
	for (i = 0; i < nexp; i++) {
		if (log[i] != exp[i]->id) {
			fprintf(stderr, "  #%d: %d ran, expected %d\n", i,
				log[i], exp[i]->id);
			err = EINVAL;
			goto out;
		}
	}
	if (timer_count() != n0)
		err = EINVAL;

 out:
	if (r) {
		for (i = 0; i < NT; i++)
			tmr_cancel(&r[i].tmr);
	}
	free(r);
	free(exp);
	free(log);

	return err;
}
