/*
 * The webhook outbox (schema.c): each event row of a callback puts one
 * delivery per matching, enabled endpoint of its business into the
 * outbox, in the same transaction as the change; a change that does not
 * apply leaves none; the payload is the event and the callback as they
 * were, without the phone number; one event has one id at every
 * endpoint. Read back from the real SQLite file.
 */
#include <stdlib.h>
#include <unistd.h>
#include <sqlite3.h>
#include <re.h>
#include "util/util.h"
#include "store/store.h"
#include "test.h"

struct done {
	int calls;
	int err;
};


static void done_h(int err, void *arg)
{
	struct done *d = arg;

	d->calls++;
	d->err = err;
}


static void create_h(int err, const struct callback_created *res, void *arg)
{
	struct done *d = arg;

	(void)res;
	d->calls++;
	d->err = err;
}


static int answer_fmt(char **answerp, int *statusp,
		      const struct callback_created *res, void *arg)
{
	(void)arg;
	*statusp = 202;

	return re_sdprintf(answerp, "{\"id\":\"%s\"}", res->id);
}


/* put a record from "field=value" pairs, committed */
static int put(struct store *st, const struct store_table *t, ...)
{
	struct done d = {0};
	const char *k, *v;
	void *obj;
	va_list ap;
	int err;

	err = store_obj_alloc(&obj, t);
	if (err)
		return err;
	va_start(ap, t);
	while (!err && (k = va_arg(ap, const char *))) {
		v = va_arg(ap, const char *);
		err = store_obj_set(obj, t, k, v);
	}
	va_end(ap);
	if (!err)
		err = store_put(st, t, obj, true, done_h, &d);
	mem_deref(obj);
	if (err)
		return err;
	store_flush(st);

	return d.calls == 1 ? d.err : EINVAL;
}


/* one text value of the database file (first row), or "" */
static void q1(char *buf, size_t sz, const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;

	buf[0] = '\0';
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		str_bcpy(buf, (const char *)sqlite3_column_text(s, 0), sz);
	sqlite3_finalize(s);
	sqlite3_close(db);
}


static int update(struct store *st, const char *from, const char *to,
		  const char *event, const char *event2, bool close)
{
	struct callback_change chg;
	struct done d = {0};
	int err;

	callback_change_init(&chg, "cb_w", time_now_ms());
	/* by name, as the store keeps them (NULL from: any) */
	callback_status_parse(from, &chg.from_status);
	callback_status_parse(to, &chg.status);
	chg.close = close;
	chg.event = event;
	chg.event_public = true;
	chg.event_data = "{\"k\":1}";
	chg.event2 = event2;
	err = store_callback_update(st, &chg, done_h, &d);
	if (err)
		return err;
	store_flush(st);

	return d.calls == 1 ? d.err : EINVAL;
}


TEST(webhook_outbox_same_transaction)
{
	char dir[] = "/tmp/beckon-outbox-XXXXXX", url[128], path[128];
	char v[512];
	struct store *st = NULL;
	struct callback_new r;
	struct done d = {0};

	if (getenv("BECKON_TEST_PG")) {
		printf("  skipped on postgres: it reads the SQLite file "
		       "itself (the outbox rows beside the callback's)\n");
		return 0;
	}

	TEST_ASSERT(mkdtemp(dir));
	re_snprintf(path, sizeof(path), "%s/t.db", dir);
	re_snprintf(url, sizeof(url), "sqlite:%s", path);
	TEST_EQ_INT(store_open(&st, url, 100), 0);

	TEST_EQ_INT(put(st, &store_businesses, "id", "acme", NULL), 0);
	TEST_EQ_INT(put(st, &store_businesses, "id", "other", NULL), 0);
	TEST_EQ_INT(put(st, &store_webhooks, "id", "w1", "business", "acme",
			"url", "https://crm.example/h", "secret", "s1",
			NULL), 0);
	TEST_EQ_INT(put(st, &store_webhooks, "id", "w2", "business", "acme",
			"url", "https://crm.example/h2", "secret", "s2",
			"events", "callback.created callback.ended", NULL),
		    0);
	TEST_EQ_INT(put(st, &store_webhooks, "id", "w3", "business", "acme",
			"url", "https://crm.example/h3", "secret", "s3",
			"enabled", "0", NULL), 0);
	TEST_EQ_INT(put(st, &store_webhooks, "id", "w4", "business", "other",
			"url", "https://crm.example/h4", "secret", "s4",
			NULL), 0);

	memset(&r, 0, sizeof(r));
	str_bcpy(r.id, "cb_w", sizeof(r.id));
	str_bcpy(r.cancel_hash, "h", sizeof(r.cancel_hash));
	r.business = "acme";
	r.phone = "+33123456789";
	r.page_url = "https://acme.example/bikes";
	r.page_title = "Bikes";
	r.client_ip = "127.0.0.1";
	r.answerh = answer_fmt;
	r.now = time_now_ms();
	TEST_EQ_INT(store_callback_create(st, &r, create_h, &d), 0);
	store_flush(st);
	TEST_EQ_INT(d.err, 0);

	/* created: w1 (all) and w2 (listed); not w3 (off), not w4 */
	q1(v, sizeof(v), path, "SELECT group_concat(webhook_id || ':' ||"
	   " type, ' ') FROM (SELECT * FROM webhook_outbox ORDER BY seq)");
	TEST_EQ_STR(v, "w1:created w2:created");
	q1(v, sizeof(v), path, "SELECT count(DISTINCT event_id) ||"
	   " count(*) FROM webhook_outbox");
	TEST_EQ_STR(v, "12");

	/* dialing with a private "offered": w1 only, in event order */
	TEST_EQ_INT(update(st, "queued", "dialing", "dialing", "offered",
			   false), 0);
	/* a change that does not apply (not from "queued"): nothing */
	TEST_EQ_INT(update(st, "queued", "on_hold", "answered", NULL, false),
		    EALREADY);
	TEST_EQ_INT(update(st, "dialing", "completed", "ended", NULL, true),
		    0);
	q1(v, sizeof(v), path, "SELECT group_concat(webhook_id || ':' ||"
	   " type, ' ') FROM (SELECT * FROM webhook_outbox ORDER BY seq)");
	TEST_EQ_STR(v, "w1:created w2:created w1:dialing w1:offered "
		    "w1:ended w2:ended");

	/* the callback as it was at each event, no phone number */
	q1(v, sizeof(v), path, "SELECT json_extract(payload,"
	   " '$.callback.status') FROM webhook_outbox WHERE type='dialing'");
	TEST_EQ_STR(v, "dialing");
	q1(v, sizeof(v), path, "SELECT json_extract(payload, '$.type') ||"
	   " ' ' || json_extract(payload, '$.data.k') || ' ' ||"
	   " json_extract(payload, '$.callback.page_title') || ' ' ||"
	   " json_extract(payload, '$.business')"
	   " FROM webhook_outbox WHERE type='ended' AND webhook_id='w2'");
	TEST_EQ_STR(v, "callback.ended 1 Bikes acme");
	q1(v, sizeof(v), path, "SELECT count(*) FROM webhook_outbox"
	   " WHERE payload LIKE '%123456789%' OR state != 'pending'");
	TEST_EQ_STR(v, "0");

	mem_deref(st);
	re_snprintf(v, sizeof(v), "%s-wal", path);
	unlink(v);
	re_snprintf(v, sizeof(v), "%s-shm", path);
	unlink(v);
	unlink(path);
	rmdir(dir);

	return 0;
}
