/*
 * pgopsbench: what the PostgreSQL backend's design costs (src/store/pg.c:
 * one connection on a worker thread, ops handed over and back through
 * the loop), next to the bare limit measured in the same run: the same
 * prepared statement (phone_agent_set, an upsert) sent with libpq's
 * blocking calls from one thread, BATCH to a transaction, no ops, no
 * thread. Each writes REQUESTS new rows per round; they take turns for
 * ROUNDS rounds and the best round of each counts (the machine is
 * shared: the best is the least disturbed).
 *
 *   beckon-pgopsbench URI [REQUESTS] [BATCH]
 *
 * prints "batch B backend R/s bare R/s ratio X" (backend / bare).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libpq-fe.h>
#include <re.h>
#include "util/util.h"
#include "store/store_int.h"

enum { ROUNDS = 3 };

struct count {
	unsigned ok;
	unsigned failed;
};


static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);

	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}


static void done_h(int err, void *arg)
{
	struct count *c = arg;

	if (err)
		c->failed++;
	else
		c->ok++;
}


static int run_backend(const char *uri, unsigned round, unsigned n,
		       unsigned batch, double *secs)
{
	struct store *st = NULL;
	struct count c = {0, 0};
	char phone[32];
	unsigned i, j;
	double t0;
	int err;

	err = store_open(&st, uri, batch);
	if (err)
		return err;

	t0 = now_s();
	for (i = 0; i < n; i += batch) {
		for (j = i; j < i + batch && j < n; j++) {
			re_snprintf(phone, sizeof(phone), "+1%u%09u",
				    round, j);
			store_phone_agent_set(st, "bench", phone, "alice",
					      done_h, &c);
		}
		store_flush(st);
	}
	*secs = now_s() - t0;
	mem_deref(st);

	return c.ok == n && !c.failed ? 0 : EIO;
}


static int exec(PGconn *c, const char *sql)
{
	PGresult *res = PQexec(c, sql);
	int err = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : EIO;

	PQclear(res);

	return err;
}


static int run_bare(const char *uri, unsigned round, unsigned n,
		    unsigned batch, double *secs)
{
	PGconn *c = PQconnectdb(uri);
	PGresult *res;
	char *sql = NULL, phone[32], t[24];
	const char *vals[4];
	unsigned i, j;
	double t0;
	int np, err;

	err = store_sql_dollar(&sql, &np,
			       store_stmt_sql(SQ_PHONE_AGENT_SET, SD_POSTGRES));
	if (err || PQstatus(c) != CONNECTION_OK)
		goto out;
	res = PQprepare(c, "s", sql, np, NULL);
	err = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : EIO;
	PQclear(res);

	vals[0] = "bench";
	vals[1] = phone;
	vals[2] = "alice";
	vals[3] = t;
	t0 = now_s();
	for (i = 0; i < n && !err; i += batch) {
		err = exec(c, "BEGIN");
		for (j = i; j < i + batch && j < n && !err; j++) {
			re_snprintf(phone, sizeof(phone), "+2%u%09u",
				    round, j);
			re_snprintf(t, sizeof(t), "%lld",
				    (long long)time_now_ms());
			res = PQexecPrepared(c, "s", np, vals, NULL, NULL, 0);
			if (PQresultStatus(res) != PGRES_COMMAND_OK)
				err = EIO;
			PQclear(res);
		}
		if (!err)
			err = exec(c, "COMMIT");
	}
	*secs = now_s() - t0;

 out:
	if (!err && PQstatus(c) != CONNECTION_OK)
		err = ENOTCONN;
	mem_deref(sql);
	PQfinish(c);

	return err;
}


int main(int argc, char **argv)
{
	unsigned n = argc > 2 ? (unsigned)atoi(argv[2]) : 10000;
	unsigned batch = argc > 3 ? (unsigned)atoi(argv[3]) : 64;
	double sb = 1e9, sr = 1e9, s = 0;
	unsigned r;
	int err = 0;

	if (argc < 2 || !n || !batch) {
		fprintf(stderr, "usage: beckon-pgopsbench URI [REQUESTS] "
			"[BATCH]\n");
		return 2;
	}
	if (libre_init())
		return 1;
	log_set_level(LOG_LVL_WARN);

	for (r = 0; r < ROUNDS && !err; r++) {
		err = run_backend(argv[1], r, n, batch, &s);
		sb = s < sb ? s : sb;
		if (!err)
			err = run_bare(argv[1], r, n, batch, &s);
		sr = s < sr ? s : sr;
	}
	if (err) {
		fprintf(stderr, "pgopsbench: %s\n", strerror(err));
		libre_close();
		return 1;
	}

	printf("batch %u backend %.0f/s bare %.0f/s ratio %.2f\n", batch,
	       n / sb, n / sr, sr / sb);
	libre_close();

	return 0;
}
