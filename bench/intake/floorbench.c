/*
 * floorbench: the floor under the store alone (storebench.c), for
 * bench/intake. The least a durable create can cost on this SQLite: the
 * callback's row inserted into the same schema, with the same statement
 * text, the same connection settings and the same commit (BEGIN
 * IMMEDIATE, CONNS rows, COMMIT: the WAL fsync'd), and nothing else: no
 * beckon code, no reads, no queue count, no answer, no idempotency, no
 * ids or tokens drawn (the row's strings are formatted from a counter,
 * of the same lengths).
 *
 *   beckon-floorbench TEMPLATE.db DIR [REQUESTS] [CONNS]
 *
 * TEMPLATE.db: a database beckon made (storebench's): its tables,
 * indexes and triggers are made again in DIR/floor.db from its
 * sqlite_master, its businesses copied (the callbacks' foreign key).
 * Prints what storebench prints: "requests N seconds S per_s R
 * us_per_request U".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>

enum { CONNS_MAX = 4096 };

/* as src/store/sqlite.c sets them on its writing connection */
static const char *const setup[] = {
	"PRAGMA journal_mode = WAL",
	"PRAGMA cache_size = -65536",
	"PRAGMA synchronous = FULL",
	"PRAGMA foreign_keys = ON",
	"PRAGMA temp_store = MEMORY",
};

/* src/store/sql.c's SQ_CALLBACK_INSERT */
static const char insert_sql[] =
	"INSERT INTO callbacks (id, business_id, phone, status, open,"
	" created_at, updated_at, scheduled_for, page_url, page_title,"
	" name, note, agent_key, client_ip, referrer, cancel_hash,"
	" created_status)"
	" VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
	" ?12, ?13, ?14, ?15)";

/* the template's schema: tables first, then what refers to them */
static const char copy_sql[] =
	"SELECT sql FROM tmpl.sqlite_master"
	" WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
	" ORDER BY type <> 'table', type = 'trigger', rowid";


static int exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	fprintf(stderr, "floorbench: %s: %s\n", sql, msg);
	sqlite3_free(msg);

	return 1;
}


static int schema_copy(sqlite3 *db, const char *tmpl)
{
	char *attach = sqlite3_mprintf("ATTACH %Q AS tmpl", tmpl);
	sqlite3_stmt *s = NULL;
	int rc, err;

	err = exec(db, attach);
	sqlite3_free(attach);
	if (err)
		return err;
	if (sqlite3_prepare_v2(db, copy_sql, -1, &s, NULL) != SQLITE_OK)
		return exec(db, copy_sql);
	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW)
		err = exec(db, (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	if (!err)
		err = exec(db, "INSERT INTO businesses"
			   " SELECT * FROM tmpl.businesses");

	return err ? err : exec(db, "DETACH tmpl");
}


static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}


static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


/* one callback, bound as storebench's request is */
static int insert(sqlite3_stmt *s, unsigned long i)
{
	char id[40], phone[20], hash[65];
	long long now = now_ms();

	/* a new id's shape: its time, then 22 characters */
	snprintf(id, sizeof(id), "cb_%012llx%022lu",
		 now & 0xffffffffffffLL, i);
	snprintf(phone, sizeof(phone), "+1415%07lu", i % 10000000);
	snprintf(hash, sizeof(hash), "%064lx", i * 2654435761UL);

	sqlite3_reset(s);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, "bench", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, phone, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, "queued", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, now);
	sqlite3_bind_int64(s, 6, 0);
	sqlite3_bind_text(s, 7, "https://shop.example/product/42", -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(s, 8, "Product 42", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 9, "Ann", -1, SQLITE_STATIC);
	sqlite3_bind_null(s, 10);
	sqlite3_bind_null(s, 11);
	sqlite3_bind_text(s, 12, "127.0.0.1", -1, SQLITE_STATIC);
	sqlite3_bind_null(s, 13);
	sqlite3_bind_text(s, 14, hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 15, "queued", -1, SQLITE_STATIC);

	return sqlite3_step(s) == SQLITE_DONE ? 0 : 1;
}


static int run(sqlite3 *db, unsigned long n, unsigned long conns)
{
	sqlite3_stmt *s = NULL, *begin = NULL, *commit = NULL;
	unsigned long i;
	double t0, secs;
	int err = 0;

	if (sqlite3_prepare_v3(db, insert_sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &s, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL) != SQLITE_OK)
		err = 1;

	t0 = now_s();
	for (i = 0; !err && i < n; i++) {
		if (i % conns == 0) {
			sqlite3_reset(begin);
			err = sqlite3_step(begin) != SQLITE_DONE;
		}
		err = err || insert(s, i);
		/* a loop turn's worth of requests: one commit */
		if (!err && (i % conns == conns - 1 || i == n - 1)) {
			sqlite3_reset(commit);
			err = sqlite3_step(commit) != SQLITE_DONE;
		}
	}
	secs = now_s() - t0;
	if (err)
		fprintf(stderr, "floorbench: %s\n", sqlite3_errmsg(db));
	else
		printf("requests %lu seconds %.2f per_s %.0f "
		       "us_per_request %.1f\n", n, secs, n / secs,
		       secs * 1e6 / n);

	sqlite3_finalize(s);
	sqlite3_finalize(begin);
	sqlite3_finalize(commit);

	return err;
}


int main(int argc, char *argv[])
{
	unsigned long n, conns;
	sqlite3 *db = NULL;
	char path[512];
	size_t i;
	int err = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: beckon-floorbench TEMPLATE.db DIR "
			"[REQUESTS] [CONNS]\n");
		return 2;
	}
	n = argc > 3 ? strtoul(argv[3], NULL, 10) : 100000;
	conns = argc > 4 ? strtoul(argv[4], NULL, 10) : 64;
	if (!n || !conns || conns > CONNS_MAX) {
		fprintf(stderr, "floorbench: REQUESTS > 0, CONNS 1..%d\n",
			CONNS_MAX);
		return 2;
	}

	snprintf(path, sizeof(path), "%s/floor.db", argv[2]);
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		fprintf(stderr, "floorbench: %s: %s\n", path,
			sqlite3_errmsg(db));
		err = 1;
	}
	for (i = 0; !err && i < sizeof(setup) / sizeof(setup[0]); i++)
		err = exec(db, setup[i]);
	if (!err)
		err = schema_copy(db, argv[1]);
	if (!err)
		err = run(db, n, conns);
	sqlite3_close(db);

	return err ? 1 : 0;
}
