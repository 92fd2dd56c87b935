/*
 * The statements of the ops (ops*.c), by id: one text for every dialect,
 * parameters ?N, and PostgreSQL's own text only where its SQL differs
 * (the rule is in store_int.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "store/store_int.h"

const char store_sql_unwritten[] = "";

/* a callback's columns, as store_read_callback reads them; p: the
 * table's alias and a dot, or "" */
#define CALLBACK_COLS(p) \
	p "id, " p "business_id, " p "phone, " p "status, " p "open, " \
	p "created_at, " p "updated_at, " p "scheduled_for, " \
	p "page_url, " p "page_title, " p "name, " p "note, " \
	p "agent_key, " p "priority, " p "attempts, " p "agent_id, " \
	p "rule_id, " p "lease_until, " p "ended_reason"

/* what the agent recorded on callback id, as JSON (get, history,
 * search); fn: the dialect's JSON object function */
#define OUTCOME_JSON(fn, cast, id) \
	" (SELECT " fn "('disposition', o.disposition, 'agent'," \
	"  o.agent_id, 'product', o.product, 'quantity', o.quantity," \
	"  'amount_cents', o.amount_cents, 'currency', o.currency," \
	"  'order_ref', o.order_ref, 'notes', o.notes, 't', o.t)" cast \
	"  FROM outcomes AS o WHERE o.callback_id = " id ")"
#define OUTCOME_SQLITE(id) OUTCOME_JSON("json_object", "", id)
#define OUTCOME_PG(id) OUTCOME_JSON("json_build_object", "::text", id)

/* callback ?1's "created" event when its row implies it (schema
 * migration 21; the data ops_create.c writes in an event row), as the
 * events' columns, before every row (seq 0); cond: more of the WHERE */
#define CREATED_EVENT(cond) \
	" SELECT 0 AS seq, created_at AS t, 'created' AS type," \
	"  1 AS public, '{\"status\":\"' || created_status || '\"}'" \
	"  AS data FROM callbacks" \
	"  WHERE id = ?1 AND created_status IS NOT NULL" cond

#define CALLBACK_GET(outcome) \
	"SELECT " CALLBACK_COLS("") ", assigned," outcome \
	" FROM callbacks WHERE id = ?1"

#define HISTORY(outcome) \
	"SELECT " CALLBACK_COLS("c.") ", c.assigned," outcome \
	" FROM phone_history AS h" \
	" JOIN callbacks AS c ON c.id = h.callback_id" \
	" WHERE h.business_id = ?1 AND h.phone = ?2" \
	" ORDER BY h.t DESC LIMIT ?3"

/* ranges (search, reports): ?1, ?2 the ids that bound it (ids start
 * with their creation time: the primary key reads it), ?3, ?4 the times,
 * ?5 the businesses in scope (separated by spaces; NULL: all) */
#define IN_SCOPE_SQLITE \
	"(?5 IS NULL OR instr(' ' || ?5 || ' ', ' ' || c.business_id || ' ')" \
	" > 0)"
#define IN_SCOPE_PG \
	"($5::text IS NULL OR strpos(' ' || $5 || ' '," \
	" ' ' || c.business_id || ' ') > 0)"

/* the search: SQ_CALLBACK_GET's columns */
#define SEARCH(outcome, below, in_scope, txt) \
	"SELECT " CALLBACK_COLS("") ", assigned," outcome \
	" FROM callbacks AS c" \
	" WHERE c.id >= ?1 AND c.id < " below \
	" AND c.created_at >= ?3 AND c.created_at < ?4" \
	" AND " in_scope \
	" AND (?6" txt " IS NULL OR c.business_id = ?6)" \
	" AND (?7" txt " IS NULL OR c.phone LIKE '%' || ?7)" \
	" AND (?8" txt " IS NULL OR c.status = ?8)" \
	" AND (?9" txt " IS NULL OR c.agent_id = ?9 OR EXISTS (SELECT 1" \
	"  FROM outcomes AS o WHERE o.callback_id = c.id" \
	"  AND o.agent_id = ?9))" \
	" ORDER BY c.id DESC LIMIT ?11"

/* a report's rows (the range as the search's) */
#define REPORT_ROWS(key, sale, in_scope) \
	"SELECT c.business_id, CASE " key " WHEN 1 THEN c.agent_id" \
	"  WHEN 2 THEN c.agent_key WHEN 3 THEN c.page_url END," \
	" c.created_at, c.status," \
	" (SELECT min(e.t) FROM events AS e WHERE e.callback_id = c.id" \
	"  AND e.type = 'bridged') - c.created_at," \
	" " sale ", o.currency, o.amount_cents" \
	" FROM callbacks AS c" \
	" LEFT JOIN outcomes AS o ON o.callback_id = c.id" \
	" WHERE c.id >= ?1 AND c.id < ?2" \
	" AND c.created_at >= ?3 AND c.created_at < ?4" \
	" AND " in_scope

const struct store_stmt store_stmts[SQ_COUNT] = {
	[SQ_PING] = {"ping",
		"SELECT count(*) FROM businesses", NULL},
	/* PostgreSQL's only: SQLite keeps a notification itself, with
	 * the batch (sqlite.c); its text just names the parameters */
	[SQ_NOTIFY] = {"notify",
		"SELECT ?1, ?2",
		"SELECT pg_notify(?1, ?2)"},
	[SQ_PHONE_AGENT_SET] = {"phone_agent_set",
		"INSERT INTO phone_agents (business_id, phone, agent_id, t)"
		" VALUES (?1, ?2, ?3, ?4) ON CONFLICT(business_id, phone)"
		" DO UPDATE SET agent_id = ?3, t = ?4", NULL},
	[SQ_PHONE_AGENT_GET] = {"phone_agent_get",
		"SELECT agent_id FROM phone_agents"
		" WHERE business_id = ?1 AND phone = ?2", NULL},
	/* an agent's presence alone: its other columns are the admin's */
	[SQ_AGENT_PRESENCE] = {"agent_presence",
		"UPDATE agents SET state = ?2, state_since = ?3,"
		" state_reason = ?4, idle_since = ?5 WHERE id = ?1", NULL},
	[SQ_OUTBOX_REPLAY] = {"outbox_replay",
		"UPDATE webhook_outbox SET state = 'pending', next_at = 0"
		" WHERE webhook_id = ?1 AND seq = ?2", NULL},
	/* the first pending delivery of each callback at each endpoint */
	[SQ_OUTBOX_DUE] = {"outbox_due",
		"SELECT o.seq, o.webhook_id, w.url, w.secret, o.event_id,"
		" o.callback_id, o.payload, o.t, o.attempts"
		" FROM webhook_outbox AS o JOIN webhooks AS w"
		" ON w.id = o.webhook_id"
		" WHERE o.state = 'pending' AND o.next_at <= ?1"
		" AND w.failing_since = 0"
		" AND NOT EXISTS (SELECT 1 FROM webhook_outbox AS p"
		"  WHERE p.webhook_id = o.webhook_id"
		"  AND p.callback_id = o.callback_id"
		"  AND p.state = 'pending' AND p.seq < o.seq)"
		" ORDER BY o.seq LIMIT ?2", NULL},
	[SQ_OUTBOX_DONE] = {"outbox_done",
		"UPDATE webhook_outbox SET state = ?2, attempts = ?3,"
		" next_at = ?4, last_status = ?5, last_error = ?6,"
		" delivered_at = ?7 WHERE seq = ?1", NULL},
	/* failed attempts in a row, and the stop at the bound */
	[SQ_WEBHOOK_RESULT] = {"webhook_result",
		"UPDATE webhooks SET"
		" failures = CASE WHEN ?2 THEN 0 ELSE failures + 1 END,"
		" failing_since = CASE WHEN NOT ?2 AND ?3 > 0"
		"   AND failures + 1 >= ?3 AND failing_since = 0 THEN ?4"
		"   ELSE failing_since END"
		" WHERE id = (SELECT webhook_id FROM webhook_outbox"
		"  WHERE seq = ?1)",
		"UPDATE webhooks SET"
		" failures = CASE WHEN $2 <> 0 THEN 0 ELSE failures + 1 END,"
		" failing_since = CASE WHEN $2 = 0 AND $3 > 0"
		"   AND failures + 1 >= $3 AND failing_since = 0 THEN $4"
		"   ELSE failing_since END"
		" WHERE id = (SELECT webhook_id FROM webhook_outbox"
		"  WHERE seq = $1)"},
	[SQ_OUTBOX_LIST] = {"outbox_list",
		"SELECT seq, webhook_id, event_id, callback_id, type, t,"
		" attempts, state, next_at, last_status, last_error,"
		" delivered_at FROM webhook_outbox WHERE webhook_id = ?1"
		" ORDER BY seq DESC LIMIT ?2", NULL},
	/* the requests answered with a callback since ?1: the callbacks
	 * and the requests joined to them (schema migration 20); ?2 the
	 * smallest id made at ?1 (ids start with their creation time: the
	 * primary keys read the range) */
	[SQ_INTAKE_SINCE] = {"intake_since",
		"SELECT created_at, business_id, phone,"
		" coalesce(client_ip, '') FROM callbacks"
		" WHERE id >= ?2 AND created_at >= ?1"
		" UNION ALL"
		" SELECT j.created_at, c.business_id, c.phone,"
		" coalesce(j.client_ip, '') FROM joined_requests AS j"
		" JOIN callbacks AS c ON c.id = j.callback_id"
		" WHERE j.id >= ?2 AND j.created_at >= ?1"
		" ORDER BY 1", NULL},

	/* ---- a callback's creation ---- */
	[SQ_IDEM_GET] = {"idem_get",
		"SELECT fingerprint, callback_id, status, answer, request_id"
		" FROM idempotency WHERE business_id = ?1 AND key = ?2", NULL},
	[SQ_IDEM_PUT] = {"idem_put",
		"INSERT INTO idempotency (business_id, key, fingerprint,"
		" callback_id, status, answer, created_at, request_id)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", NULL},
	/* what a create reads before it writes, in one statement (one
	 * step instead of four): the open callback of number ?2, whether
	 * an endpoint of business ?1 takes callback.created (then the
	 * event is a row, for the outbox's trigger: schema migration 21),
	 * the queued count before this request, who last spoke with the
	 * number */
	[SQ_CREATE_READS] = {"create_reads",
		"SELECT (SELECT id FROM callbacks"
		"  WHERE business_id = ?1 AND phone = ?2 AND open = 1"
		"  AND phone <> ''),"
		" EXISTS (SELECT 1 FROM webhooks WHERE business = ?1"
		"  AND enabled = 1 AND (events = '' OR instr(' ' || events"
		"  || ' ', ' callback.created ') > 0)),"
		" (SELECT queued FROM queue_counts WHERE business_id = ?1),"
		" (SELECT agent_id FROM phone_agents"
		"  WHERE business_id = ?1 AND phone = ?2)",
		"SELECT (SELECT id FROM callbacks"
		"  WHERE business_id = $1 AND phone = $2 AND open = 1"
		"  AND phone <> ''),"
		" (EXISTS (SELECT 1 FROM webhooks WHERE business = $1"
		"  AND enabled = 1 AND (events = '' OR strpos(' ' || events"
		"  || ' ', ' callback.created ') > 0)))::int,"
		" (SELECT coalesce(sum(queued), 0)::bigint FROM queue_counts"
		"  WHERE business_id = $1),"
		" (SELECT agent_id FROM phone_agents"
		"  WHERE business_id = $1 AND phone = $2)"},
	/* ?15: the status its "created" event would say, when no event
	 * row says it (schema migration 21) */
	[SQ_CALLBACK_INSERT] = {"callback_insert",
		"INSERT INTO callbacks (id, business_id, phone, status, open,"
		" created_at, updated_at, scheduled_for, page_url, page_title,"
		" name, note, agent_key, client_ip, referrer, cancel_hash,"
		" created_status)"
		" VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
		" ?12, ?13, ?14, ?15)", NULL},
	/* a replay's fresh token (the first is the callback's own) */
	[SQ_TOKEN_INSERT] = {"token_insert",
		"INSERT OR IGNORE INTO cancel_tokens (token_hash, callback_id,"
		" created_at) VALUES (?1, ?2, ?3)",
		"INSERT INTO cancel_tokens (token_hash, callback_id,"
		" created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"},
	[SQ_EVENT_INSERT] = {"event_insert",
		"INSERT INTO events (callback_id, t, type, public, data)"
		" VALUES (?1, ?2, ?3, ?4, ?5)", NULL},
	/* the same, saying the event's seq */
	[SQ_EVENT_INSERT_SEQ] = {"event_insert_seq",
		"INSERT INTO events (callback_id, t, type, public, data)"
		" VALUES (?1, ?2, ?3, ?4, ?5) RETURNING seq", NULL},
	/* the same unless the callback has one of that type at that ms
	 * (an earlier change's event written again, ops_callback.c) */
	[SQ_EVENT_INSERT_ONCE] = {"event_insert_once",
		"INSERT INTO events (callback_id, t, type, public, data)"
		" SELECT ?1, ?2, ?3, ?4, ?5 WHERE NOT EXISTS (SELECT 1"
		"  FROM events WHERE callback_id = ?1 AND t = ?2"
		"  AND type = ?3)",
		"INSERT INTO events (callback_id, t, type, public, data)"
		" SELECT $1::text, $2::bigint, $3::text, $4::bigint, $5::text"
		" WHERE NOT EXISTS (SELECT 1 FROM events WHERE"
		"  callback_id = $1::text AND t = $2::bigint"
		"  AND type = $3::text)"},
	/* a new queued callback: counted, and its place is the count.
	 * PostgreSQL returns it, its connection's shard (schema migration
	 * 24) plus the others as this statement sees them (a create on
	 * another node committing meanwhile is not counted: a place, not a
	 * rank); SQLite's RETURNING builds a temporary table for it, which
	 * cost more than the insert of the callback: there the place is
	 * the count SQ_CREATE_READS read, plus one (one writer: nothing
	 * changed it in between) */
	[SQ_QUEUE_COUNT] = {"queue_count",
		"INSERT INTO queue_counts (business_id, queued) VALUES (?1, 1)"
		" ON CONFLICT(business_id)"
		" DO UPDATE SET queued = queue_counts.queued + 1",
		"WITH up AS (INSERT INTO queue_counts (business_id, shard,"
		"  queued) VALUES ($1, pg_backend_pid() % " QUEUE_SHARDS ", 1)"
		" ON CONFLICT(business_id, shard)"
		" DO UPDATE SET queued = queue_counts.queued + 1"
		" RETURNING shard, queued)"
		" SELECT (up.queued + coalesce((SELECT sum(c.queued)"
		"  FROM queue_counts AS c WHERE c.business_id = $1"
		"  AND c.shard <> up.shard), 0))::bigint FROM up"},
	/* joined requests (schema migration 10) */
	/* the callbacks inserted so far, in insertion order: SQLite's
	 * rowid; PostgreSQL's schema has a column of that name for it (an
	 * identity, schema.c) */
	[SQ_CALLBACKS_MARK] = {"callbacks_mark",
		"SELECT max(rowid) FROM callbacks", NULL},
	[SQ_JOIN_INSERT] = {"join_insert",
		"INSERT INTO joined_requests (id, callback_id, created_at,"
		" scheduled_for, since_seq, mark, page_url, page_title, name,"
		" note, agent_key, client_ip, referrer)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
		" ?13)", NULL},
	[SQ_REQ_TOKEN_INSERT] = {"req_token_insert",
		"INSERT OR IGNORE INTO request_tokens (token_hash, request_id,"
		" created_at) VALUES (?1, ?2, ?3)",
		"INSERT INTO request_tokens (token_hash, request_id,"
		" created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"},
	/* the per-phone limits (schema migration 21). Two nodes counting
	 * one number at once would both see room: on PostgreSQL the count
	 * waits for a lock on the business and number, held until the
	 * transaction ends (the two-key advisory locks: 21, the migration
	 * that made this, keeps them apart from any other of beckon's).
	 * SQLite's writer is alone already; its text only names the
	 * parameters */
	[SQ_PHONE_LOCK] = {"phone_lock",
		"SELECT ?1, ?2",
		"SELECT pg_advisory_xact_lock(21,"
		" hashtext($1::text || ' ' || $2::text))"},
	/* the times of the ?4 newest requests answered with a callback
	 * for business ?1 and number ?2 after ?3: the open callback (the
	 * partial index callbacks_open_phone), the closed ones
	 * (phone_history: business, phone, created_at) and the requests
	 * joined to either (joined_requests_callback) */
	[SQ_PHONE_RECENT] = {"phone_recent",
		"SELECT t FROM ("
		" SELECT created_at AS t FROM callbacks"
		"  WHERE business_id = ?1 AND phone = ?2 AND open = 1"
		"  AND phone <> '' AND created_at > ?3"
		" UNION ALL SELECT t FROM phone_history"
		"  WHERE business_id = ?1 AND phone = ?2 AND t > ?3"
		" UNION ALL SELECT j.created_at FROM ("
		"  SELECT id FROM callbacks WHERE business_id = ?1"
		"  AND phone = ?2 AND open = 1 AND phone <> ''"
		"  UNION ALL SELECT callback_id FROM phone_history"
		"  WHERE business_id = ?1 AND phone = ?2) AS c"
		"  JOIN joined_requests AS j ON j.callback_id = c.id"
		"  AND j.created_at > ?3"
		") AS r ORDER BY t DESC LIMIT ?4", NULL},

	/* ---- callbacks and requests ---- */
	[SQ_CALLBACK_GET] = {"callback_get",
		CALLBACK_GET(OUTCOME_SQLITE("callbacks.id")),
		CALLBACK_GET(OUTCOME_PG("callbacks.id"))},
	/* a callback's history: its "created" event, from its row when no
	 * event row holds it (schema migration 21; the same text as
	 * ops_create.c's), first, then its event rows */
	[SQ_EVENTS_GET] = {"events_get",
		"SELECT t, type, public, data FROM ("
		CREATED_EVENT("")
		" UNION ALL SELECT seq, t, type, public, data FROM events"
		"  WHERE callback_id = ?1 AND (public = 1 OR ?2 = 0)"
		") AS h ORDER BY seq", NULL},
	/* the callback's own token, or a replay's (schema migration 20) */
	[SQ_TOKEN_CHECK] = {"token_check",
		"SELECT 1 FROM callbacks WHERE id = ?2 AND cancel_hash = ?1"
		" UNION ALL SELECT 1 FROM cancel_tokens"
		" WHERE callback_id = ?2 AND token_hash = ?1", NULL},
	[SQ_REQ_TOKEN_CHECK] = {"req_token_check",
		"SELECT 1 FROM request_tokens"
		" WHERE request_id = ?2 AND token_hash = ?1", NULL},
	[SQ_CALLBACK_CANCEL] = {"callback_cancel",
		"UPDATE callbacks SET status = 'canceled', open = 0,"
		" updated_at = ?2 WHERE id = ?1", NULL},
	[SQ_JOINED_GET] = {"joined_get",
		"SELECT j.id, c.business_id, c.phone, j.created_at,"
		" j.scheduled_for, c.id, c.status, c.open, j.since_seq,"
		" j.mark,"
		" j.withdrawn_at, j.withdrawn_seq"
		" FROM joined_requests AS j JOIN callbacks AS c"
		" ON c.id = j.callback_id WHERE j.id = ?1", NULL},
	[SQ_JOINED_LIVE] = {"joined_live",
		"SELECT EXISTS (SELECT 1 FROM joined_requests"
		" WHERE callback_id = ?1 AND withdrawn_seq = 0)",
		"SELECT (EXISTS (SELECT 1 FROM joined_requests"
		" WHERE callback_id = $1 AND withdrawn_seq = 0))::int"},
	/* the implied "created" is before every row: in from the start */
	[SQ_EVENTS_RANGE] = {"events_range",
		"SELECT t, type, public, data FROM ("
		CREATED_EVENT(" AND ?2 <= 0")
		" UNION ALL SELECT seq, t, type, public, data FROM events"
		"  WHERE callback_id = ?1 AND public = 1 AND seq > ?2"
		"  AND seq < ?3"
		") AS h ORDER BY seq", NULL},
	/* callbacks_open_status holds the rowid: a range of that index
	 * (PostgreSQL: see SQ_CALLBACKS_MARK) */
	[SQ_AHEAD] = {"ahead",
		"SELECT count(*) FROM callbacks WHERE business_id = ?1"
		" AND open = 1 AND status = 'queued' AND rowid <= ?2", NULL},
	[SQ_WITHDRAWN] = {"withdrawn",
		"SELECT withdrawn_at, withdrawn_seq FROM callbacks"
		" WHERE id = ?1", NULL},
	[SQ_WITHDRAW_CB] = {"withdraw_cb",
		"UPDATE callbacks SET withdrawn_at = ?2, withdrawn_seq = ?3"
		" WHERE id = ?1", NULL},
	[SQ_WITHDRAW_JOINED] = {"withdraw_joined",
		"UPDATE joined_requests SET withdrawn_at = ?2,"
		" withdrawn_seq = ?3 WHERE id = ?1", NULL},
	/* ?1: at most that many; SQLite's -1 is no limit, PostgreSQL's
	 * NULL */
	[SQ_OPEN_LIST] = {"open_list",
		"SELECT " CALLBACK_COLS("") ", assigned FROM callbacks"
		" WHERE open = 1"
		" ORDER BY priority DESC, created_at LIMIT ?1",
		"SELECT " CALLBACK_COLS("") ", assigned FROM callbacks"
		" WHERE open = 1"
		" ORDER BY priority DESC, created_at"
		" LIMIT NULLIF($1::bigint, -1)"},
	/* a change the caller expects (?12: from that status only) */
	[SQ_UPDATE] = {"update",
		"UPDATE callbacks SET status = ?2,"
		" open = CASE WHEN ?3 THEN 0 ELSE open END, updated_at = ?4,"
		" scheduled_for = CASE WHEN ?5 >= 0 THEN ?5"
		"   ELSE scheduled_for END,"
		" attempts = CASE WHEN ?6 >= 0 THEN ?6 ELSE attempts END,"
		" priority = COALESCE(?7, priority),"
		" agent_id = COALESCE(?8, agent_id),"
		" rule_id = COALESCE(?9, rule_id),"
		" lease_until = CASE WHEN ?10 >= 0 THEN ?10"
		"   ELSE lease_until END,"
		" ended_reason = COALESCE(?11, ended_reason),"
		" assigned = COALESCE(?13, assigned)"
		" WHERE id = ?1 AND open = 1"
		" AND (?12 IS NULL OR status = ?12)",
		"UPDATE callbacks SET status = $2,"
		" open = CASE WHEN $3::bigint <> 0 THEN 0 ELSE open END,"
		" updated_at = $4,"
		" scheduled_for = CASE WHEN $5::bigint >= 0 THEN $5"
		"   ELSE scheduled_for END,"
		" attempts = CASE WHEN $6::bigint >= 0 THEN $6"
		"   ELSE attempts END,"
		" priority = COALESCE($7, priority),"
		" agent_id = COALESCE($8, agent_id),"
		" rule_id = COALESCE($9, rule_id),"
		" lease_until = CASE WHEN $10::bigint >= 0 THEN $10"
		"   ELSE lease_until END,"
		" ended_reason = COALESCE($11, ended_reason),"
		" assigned = COALESCE($13, assigned)"
		" WHERE id = $1 AND open = 1"
		" AND ($12::text IS NULL OR status = $12)"},
	[SQ_EXISTS] = {"exists",
		"SELECT 1 FROM callbacks WHERE id = ?1", NULL},
	[SQ_HISTORY] = {"history",
		HISTORY(OUTCOME_SQLITE("c.id")),
		HISTORY(OUTCOME_PG("c.id"))},
	[SQ_SEARCH] = {"search",
		SEARCH(OUTCOME_SQLITE("c.id"), "min(?2, coalesce(?10, ?2))",
		       IN_SCOPE_SQLITE, ""),
		SEARCH(OUTCOME_PG("c.id"), "LEAST(?2, coalesce(?10, ?2))",
		       IN_SCOPE_PG, "::text")},

	/* ---- outcomes, figures, reports ---- */
	[SQ_OUTCOME_PUT] = {"outcome_put",
		"INSERT INTO outcomes (callback_id, business_id, agent_id,"
		" disposition, product, quantity, amount_cents, currency,"
		" order_ref, notes, t)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
		NULL},
	[SQ_FIG_COUNTS] = {"fig_counts",
		"SELECT count(*),"
		" coalesce(sum(status = 'completed'), 0),"
		" coalesce(sum(status = 'abandoned'), 0),"
		" coalesce(sum(status = 'failed'), 0),"
		" coalesce(sum(status = 'canceled'), 0),"
		/* attempts an answering machine took (human_check) */
		" (SELECT count(*) FROM callbacks AS c JOIN events AS e"
		"  ON e.callback_id = c.id WHERE c.business_id = ?1"
		"  AND c.created_at >= ?2"
		"  AND e.type IN ('retry_scheduled', 'failed')"
		"  AND json_extract(e.data, '$.reason') = 'no_human')"
		" FROM callbacks WHERE business_id = ?1 AND created_at >= ?2",
		"SELECT count(*),"
		" count(*) FILTER (WHERE status = 'completed'),"
		" count(*) FILTER (WHERE status = 'abandoned'),"
		" count(*) FILTER (WHERE status = 'failed'),"
		" count(*) FILTER (WHERE status = 'canceled'),"
		" (SELECT count(*) FROM callbacks AS c JOIN events AS e"
		"  ON e.callback_id = c.id WHERE c.business_id = $1"
		"  AND c.created_at >= $2"
		"  AND e.type IN ('retry_scheduled', 'failed')"
		"  AND e.data::json->>'reason' = 'no_human')"
		" FROM callbacks WHERE business_id = $1 AND created_at >= $2"},
	/* seconds from asking to the first bridge, per connected call */
	[SQ_FIG_CONNECT] = {"fig_connect",
		"SELECT (min(e.t) - c.created_at) / 1000 AS s"
		" FROM callbacks AS c JOIN events AS e ON e.callback_id = c.id"
		" WHERE c.business_id = ?1 AND c.created_at >= ?2"
		" AND e.type = 'bridged' GROUP BY c.id ORDER BY s", NULL},
	[SQ_FIG_SALES] = {"fig_sales",
		"SELECT currency, count(*), coalesce(sum(amount_cents), 0)"
		" FROM outcomes"
		" WHERE business_id = ?1 AND t >= ?2 AND disposition = 'sale'"
		" GROUP BY currency ORDER BY currency", NULL},
	[SQ_REPORT_ROWS] = {"report_rows",
		REPORT_ROWS("?6", "o.disposition = 'sale'", IN_SCOPE_SQLITE),
		REPORT_ROWS("$6::bigint", "(o.disposition = 'sale')::int",
			    IN_SCOPE_PG)},
	/* A cluster's leader: a session advisory lock on the store's
	 * connection (key "bkleader" in ASCII; SQLite: one process is the
	 * whole system, it always has it), then the epoch bumped and the
	 * node recorded; every fenced op reads the epoch first, FOR SHARE
	 * so that a takeover's bump waits for a stale leader's writes in
	 * flight and every later one sees the new epoch. */
	[SQ_LEAD_LOCK] = {"lead_lock",
		"SELECT 1",
		"SELECT pg_try_advisory_lock(7091881220906444146)::int"},
	[SQ_LEAD_BUMP] = {"lead_bump",
		"UPDATE cluster SET epoch = epoch + 1, leader = ?1,"
		" since = ?2, url = ?3, secret = ?4 WHERE id = 1"
		" RETURNING epoch", NULL},
	[SQ_LEADER_GET] = {"leader_get",
		"SELECT leader, epoch, url, secret FROM cluster WHERE id = 1",
		NULL},
	[SQ_FENCE] = {"fence",
		"SELECT epoch FROM cluster WHERE id = 1",
		"SELECT epoch FROM cluster WHERE id = 1 FOR SHARE"},
	/* the desk's sessions (ops_session.c) */
	[SQ_SESSION_PUT] = {"session_put",
		"INSERT INTO agent_sessions (hash, csrf, agent_id, role,"
		" businesses, expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", NULL},
	[SQ_SESSION_TOUCH] = {"session_touch",
		"UPDATE agent_sessions SET expires = ?2 WHERE hash = ?1",
		NULL},
	[SQ_SESSION_END] = {"session_end",
		"DELETE FROM agent_sessions WHERE hash = ?1", NULL},
	[SQ_SESSION_END_AGENT] = {"session_end_agent",
		"DELETE FROM agent_sessions WHERE agent_id = ?1", NULL},
	/* the expired, and those whose agent is gone (a few rows: one
	 * per logged-in agent) */
	[SQ_SESSIONS_PURGE] = {"sessions_purge",
		"DELETE FROM agent_sessions WHERE expires < ?1"
		" OR agent_id NOT IN (SELECT id FROM agents)", NULL},
	[SQ_SESSIONS_LIVE] = {"sessions_live",
		"SELECT hash, csrf, agent_id, role, businesses, expires"
		" FROM agent_sessions ORDER BY expires", NULL},
};


const char *store_stmt_sql(enum store_stmt_id id, enum store_dialect d)
{
	const struct store_stmt *st = &store_stmts[id];
	const char *own = d == SD_POSTGRES ? st->pg : NULL;

	if (own == store_sql_unwritten)
		return NULL;

	return own ? own : st->sql;
}


/* the end of the quoted run that starts at s (quote q, doubled inside) */
static const char *skip_quoted(const char *s, char q)
{
	for (++s; *s; ++s) {
		if (*s == q && s[1] == q)
			++s;
		else if (*s == q)
			return s + 1;
	}

	return s;
}


static const char *skip_comment(const char *s)
{
	const char *e;

	if (s[0] == '-' && s[1] == '-') {
		e = strchr(s, '\n');
		return e ? e : s + strlen(s);
	}
	e = strstr(s + 2, "*/");

	return e ? e + 2 : s + strlen(s);
}


/* the parameter at s (?N or $N) into *vp, its end into *endp */
static int param_at(const char *s, long *vp, const char **endp)
{
	char *end;
	long v;

	/* a bare ? is not the rule's: refused, not guessed */
	if (!isdigit((unsigned char)s[1]))
		return EINVAL;
	v = strtol(s + 1, &end, 10);
	if (v < 1 || v > STORE_PARAMS_MAX)
		return EINVAL;
	*vp = v;
	*endp = end;

	return 0;
}


int store_sql_dollar(char **dstp, int *np, const char *sql)
{
	struct mbuf *mb;
	const char *s, *e;
	int n = 0, err = 0;

	if (!dstp || !sql)
		return EINVAL;

	mb = mbuf_alloc(strlen(sql) + 16);
	if (!mb)
		return ENOMEM;

	for (s = sql; *s && !err; s = e) {
		long v;

		if (*s == '\'' || *s == '"') {
			e = skip_quoted(s, *s);
		}
		else if ((s[0] == '-' && s[1] == '-') ||
			 (s[0] == '/' && s[1] == '*')) {
			e = skip_comment(s);
		}
		else if (*s == '?' ||
			 (*s == '$' && isdigit((unsigned char)s[1]))) {
			err = param_at(s, &v, &e);
			if (err)
				break;
			n = v > n ? (int)v : n;
			err = mbuf_printf(mb, "$%ld", v);
			continue;
		}
		else {
			e = s + 1;
		}
		err = mbuf_write_mem(mb, (const uint8_t *)s, e - s);
	}

	if (!err) {
		mb->pos = 0;
		err = mbuf_strdup(mb, dstp, mb->end);
	}
	if (!err && np)
		*np = n;
	mem_deref(mb);

	return err;
}
