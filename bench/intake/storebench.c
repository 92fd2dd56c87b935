/*
 * storebench: the store's share of an intake request, alone, as a
 * reference for bench/intake. It makes the calls the API makes for each
 * accepted request (a new callback id, a cancel token and its SHA-256,
 * store_callback_create with a distinct phone) and commits them CONNS at a
 * time, as the server's group commit does when CONNS requests arrive in
 * one loop turn. No HTTP, no JSON, no ACD: what is left is SQLite (WAL,
 * synchronous=FULL: every batch is on disk before the next one starts)
 * and the store's own code.
 *
 *   beckon-storebench DIR [REQUESTS] [CONNS]
 *
 * BENCH_PHONE_LIMITS=N15,NDAY: each create counts the per-phone limits
 * in its transaction (at most N15 in 15 minutes, NDAY in a day), as the
 * API asks when they are on; unset: off, as bench/intake's server.
 *
 * prints "requests N seconds S per_s R us_per_request U"; the database
 * (DIR/storebench.db) is left for the caller to look at and remove.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <re.h>
#include "util/util.h"
#include "store/store.h"
#include "api/api_int.h"

enum {
	TOKEN_BYTES = 16,
	CONNS_MAX = 4096,
};

struct count {
	unsigned created;
	unsigned failed;
};


static int answer_fmt(char **answerp, int *statusp,
		      const struct callback_created *res, void *arg)
{
	(void)arg;
	*statusp = res->outcome == CB_CREATED ? 202 : 200;

	return re_sdprintf(answerp, "{\"id\":\"%s\",\"status\":\"%s\"}",
			   res->id, res->status);
}


static void create_h(int err, const struct callback_created *res, void *arg)
{
	struct count *c = arg;

	if (!err && res && res->outcome == CB_CREATED)
		++c->created;
	else
		++c->failed;
}


static void done_h(int err, void *arg)
{
	*(int *)arg = err;
}


static int put_business(struct store *st)
{
	struct business *b;
	int result = EINVAL;
	int err;

	err = business_alloc(&b);
	if (err)
		return err;
	err = store_obj_set(b, &store_businesses, "id", "bench");
	err |= store_obj_set(b, &store_businesses, "timezone", "UTC");
	err |= store_obj_set(b, &store_businesses, "country", "1");
	if (!err)
		err = store_put(st, &store_businesses, b, true, done_h,
				&result);
	mem_deref(b);
	if (err)
		return err;
	store_flush(st);

	return result;
}


static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}


int main(int argc, char *argv[])
{
	static char phones[CONNS_MAX][20];
	struct store_limit limits[2] = {
		{0, 15 * 60 * 1000}, {0, 24 * 3600 * 1000},
	};
	const char *lim;
	struct store *st = NULL;
	struct count c = {0, 0};
	unsigned long n, conns, i;
	char url[512];
	double t0, secs;
	int err;

	if (argc < 2) {
		fprintf(stderr, "usage: beckon-storebench DIR [REQUESTS] "
			"[CONNS]\n");
		return 2;
	}
	n = argc > 2 ? strtoul(argv[2], NULL, 10) : 100000;
	conns = argc > 3 ? strtoul(argv[3], NULL, 10) : 64;
	if (!n || !conns || conns > CONNS_MAX) {
		fprintf(stderr, "storebench: REQUESTS > 0, CONNS 1..%d\n",
			CONNS_MAX);
		return 2;
	}

	err = libre_init();
	if (err)
		return 1;
	log_set_level(LOG_LVL_WARN);

	re_snprintf(url, sizeof(url), "sqlite:%s/storebench.db", argv[1]);
	err = store_open(&st, url, conns);
	if (!err)
		err = put_business(st);
	if (err) {
		fprintf(stderr, "storebench: %s: %s\n", url, strerror(err));
		goto out;
	}

	lim = getenv("BENCH_PHONE_LIMITS");
	if (lim) {
		limits[0].max = strtol(lim, NULL, 10);
		limits[1].max = strchr(lim, ',') ?
			strtol(strchr(lim, ',') + 1, NULL, 10) : 0;
	}

	t0 = now_s();
	for (i = 0; i < n; i++) {
		struct callback_new req;
		char tok[2 * TOKEN_BYTES + 1];
		size_t k = i % conns;

		memset(&req, 0, sizeof(req));
		req.now = time_now_ms();
		if (api_new_id(req.id, sizeof(req.id), req.now) ||
		    token_random(tok, sizeof(tok), TOKEN_BYTES)) {
			err = EIO;
			goto out;
		}
		token_hash_hex(req.cancel_hash, tok, strlen(tok));
		re_snprintf(phones[k], sizeof(phones[k]), "+1415%07lu",
			    i % 10000000);
		req.business = "bench";
		req.phone = phones[k];
		req.client_ip = "127.0.0.1";
		req.page_url = "https://shop.example/product/42";
		req.page_title = "Product 42";
		req.name = "Ann";
		req.answerh = answer_fmt;
		memcpy(req.limits, limits, sizeof(req.limits));

		err = store_callback_create(st, &req, create_h, &c);
		if (err)
			goto out;

		/* a loop turn's worth of requests: one commit */
		if (k == conns - 1 || i == n - 1)
			store_flush(st);
	}
	secs = now_s() - t0;

	printf("requests %u seconds %.2f per_s %.0f us_per_request %.1f\n",
	       c.created, secs, c.created / secs,
	       c.created ? secs * 1e6 / c.created : 0);
	if (c.failed || c.created != n) {
		fprintf(stderr, "storebench: %u of %lu not created\n",
			c.failed, n);
		err = EIO;
	}

 out:
	mem_deref(st);
	libre_close();

	return err ? 1 : 0;
}
