/*
 * The schema, as numbered migrations, in SQLite's dialect and in
 * PostgreSQL's (below) with the same numbers. PRAGMA user_version holds the
 * number applied; at start-up the missing ones run, each in its own
 * transaction. Never edit a migration that has shipped: add the next one.
 *
 * Times are integer milliseconds since the epoch (UTC). Callback ids start
 * with their creation time, so every index keyed by a callback id grows at
 * its end: a batch of inserts dirties a few pages, not one per row. A
 * callback row is "open" until it reaches a final status; a partial
 * unique index makes a second open callback for the same business and
 * phone impossible, whatever the code above it does.
 */
#include <stddef.h>
#include <re.h>
#include "store/store_int.h"

/*
 * 20: what a callback costs at intake. A new callback's cancel token is
 *     a column of its row (cancel_tokens keeps a replay's fresh ones
 *     and those made before); the limits count the callbacks and the
 *     joined requests themselves, so the intake log, a copy of what
 *     they hold (time, business, phone, address), is gone. The same in
 *     both dialects.
 */
#define MIGRATION_20 \
	"ALTER TABLE callbacks ADD COLUMN cancel_hash TEXT;" \
	"DROP TABLE intake_log;"

/*
 * 21: the per-phone limits count in the create's transaction, every
 *     node's requests (SQ_PHONE_RECENT): the open callback and the
 *     closed ones (phone_history) have their indexes already; the
 *     requests joined to them get this one (the partial index
 *     joined_requests_live leaves the withdrawn out). A joined request
 *     is rare: intake's common path pays for no new index.
 *     A callback's "created" event is implied by its row: its time is
 *     created_at, its status created_status (queued or scheduled), set
 *     when no event row holds it; a business with an endpoint that
 *     takes callback.created still gets the row (the outbox's trigger
 *     and its evt_N id). Older callbacks keep their rows (NULL). The
 *     same in both dialects.
 */
#define MIGRATION_21 \
	"CREATE INDEX joined_requests_callback" \
	"  ON joined_requests(callback_id, created_at);" \
	"ALTER TABLE callbacks ADD COLUMN created_status TEXT;"

/*
 * 22: the desk across nodes (docs/cluster.md): the leader records where
 *     the other nodes reach its HTTP (cluster_url) and the secret their
 *     relayed requests prove themselves with, a fresh one each time a
 *     node takes the lead. The same in both dialects.
 */
#define MIGRATION_22 \
	"ALTER TABLE cluster ADD COLUMN url TEXT;" \
	"ALTER TABLE cluster ADD COLUMN secret TEXT;"

/*
 * 23: the desk's sessions, so that an agent stays logged in across a
 *     restart and a change of leader (src/api/agent.c). The cookie
 *     token's hash, never the token; the CSRF token itself (it proves
 *     nothing without the cookie, and the page needs it back); the
 *     role and businesses as they were at log-in, as in memory. BIGINT
 *     is PostgreSQL's 64-bit integer and SQLite's INTEGER affinity: the
 *     same text in both dialects. Expiry is indexed: the expired are
 *     removed by it at every log-in and restore.
 */
#define MIGRATION_23 \
	"CREATE TABLE agent_sessions (" \
	"  hash TEXT PRIMARY KEY," \
	"  csrf TEXT NOT NULL," \
	"  agent_id TEXT NOT NULL," \
	"  role TEXT NOT NULL," \
	"  businesses TEXT NOT NULL," \
	"  expires BIGINT NOT NULL);" \
	"CREATE INDEX agent_sessions_agent ON agent_sessions(agent_id);" \
	"CREATE INDEX agent_sessions_expires ON agent_sessions(expires);"

/*
 * 24: PostgreSQL's queue counts, a row per business and connection.
 *     Every create counts its callback in its business's queue_counts
 *     row and every change of status through the trigger, so with one
 *     row a business each node's batch held that row's lock to its
 *     commit and the nodes' batches ran one after the other
 *     (pg_stat_statements, three nodes at 240 callbacks a second: 6 ms
 *     of waiting a create). Now each connection counts in a shard of
 *     its own (its backend's pid modulo QUEUE_SHARDS); a shard's count
 *     may go below zero (a callback counted on one, uncounted on
 *     another), their sum is the queue. SQLite has one writer and
 *     keeps its one row: nothing to do there.
 */
#define MIGRATION_24_SQLITE \
	"SELECT 24;"
#define MIGRATION_24_PG \
	"ALTER TABLE queue_counts ADD COLUMN shard bigint NOT NULL" \
	"  DEFAULT 0;" \
	"ALTER TABLE queue_counts DROP CONSTRAINT queue_counts_pkey;" \
	"ALTER TABLE queue_counts ADD PRIMARY KEY (business_id, shard);" \
	"CREATE OR REPLACE FUNCTION callbacks_count_upd() RETURNS trigger" \
	"  LANGUAGE plpgsql AS $$ BEGIN" \
	"  INSERT INTO queue_counts(business_id, shard, queued)" \
	"    VALUES (NEW.business_id, pg_backend_pid() % " QUEUE_SHARDS \
	"      , 0)" \
	"    ON CONFLICT(business_id, shard) DO NOTHING;" \
	"  UPDATE queue_counts SET queued = queued" \
	"    - (OLD.open = 1 AND OLD.status = 'queued')::int" \
	"    + (NEW.open = 1 AND NEW.status = 'queued')::int" \
	"    WHERE business_id = NEW.business_id" \
	"      AND shard = pg_backend_pid() % " QUEUE_SHARDS ";" \
	"  RETURN NULL; END $$;"

static const char *const migrations[] = {
	/* 1: businesses, callbacks, their events, cancel tokens,
	 *    idempotency keys and the intake log behind the rate limits */
	"CREATE TABLE businesses ("
	"  id TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  timezone TEXT NOT NULL,"
	"  country INTEGER NOT NULL,"
	"  origins TEXT NOT NULL DEFAULT '',"
	"  allowed_countries TEXT NOT NULL DEFAULT '',"
	"  deny_prefixes TEXT NOT NULL DEFAULT '',"
	"  agent_keys TEXT NOT NULL DEFAULT '',"
	"  limit_phone_15min INTEGER NOT NULL DEFAULT -1,"
	"  limit_phone_day INTEGER NOT NULL DEFAULT -1,"
	"  limit_ip_minute INTEGER NOT NULL DEFAULT -1,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE TABLE callbacks ("
	"  id TEXT PRIMARY KEY,"
	"  business_id TEXT NOT NULL REFERENCES businesses(id),"
	"  phone TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  open INTEGER NOT NULL DEFAULT 1,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  scheduled_for INTEGER NOT NULL DEFAULT 0,"
	"  page_url TEXT, page_title TEXT, name TEXT, note TEXT,"
	"  agent_key TEXT, client_ip TEXT);"
	"CREATE UNIQUE INDEX callbacks_open_phone"
	"  ON callbacks(business_id, phone) WHERE open = 1;"
	"CREATE INDEX callbacks_open_status"
	"  ON callbacks(business_id, status) WHERE open = 1;"
	"CREATE TABLE queue_counts ("
	"  business_id TEXT PRIMARY KEY,"
	"  queued INTEGER NOT NULL DEFAULT 0);"
	"CREATE TRIGGER callbacks_count_ins AFTER INSERT ON callbacks"
	"  WHEN NEW.open = 1 AND NEW.status = 'queued' BEGIN"
	"  INSERT INTO queue_counts(business_id, queued)"
	"    VALUES (NEW.business_id, 1)"
	"    ON CONFLICT(business_id) DO UPDATE SET queued = queued + 1;"
	"  END;"
	"CREATE TRIGGER callbacks_count_upd"
	"  AFTER UPDATE OF status, open ON callbacks BEGIN"
	"  INSERT INTO queue_counts(business_id, queued)"
	"    VALUES (NEW.business_id, 0)"
	"    ON CONFLICT(business_id) DO NOTHING;"
	"  UPDATE queue_counts SET queued = queued"
	"    - (OLD.open = 1 AND OLD.status = 'queued')"
	"    + (NEW.open = 1 AND NEW.status = 'queued')"
	"    WHERE business_id = NEW.business_id;"
	"  END;"
	"CREATE TABLE cancel_tokens ("
	"  callback_id TEXT NOT NULL REFERENCES callbacks(id),"
	"  token_hash TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  PRIMARY KEY (callback_id, token_hash)) WITHOUT ROWID;"
	"CREATE TABLE events ("
	"  seq INTEGER PRIMARY KEY,"
	"  callback_id TEXT NOT NULL REFERENCES callbacks(id),"
	"  t INTEGER NOT NULL,"
	"  type TEXT NOT NULL,"
	"  public INTEGER NOT NULL,"
	"  data TEXT);"
	"CREATE INDEX events_callback ON events(callback_id, seq);"
	"CREATE TABLE idempotency ("
	"  business_id TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  fingerprint TEXT NOT NULL,"
	"  callback_id TEXT NOT NULL REFERENCES callbacks(id),"
	"  status INTEGER NOT NULL,"
	"  answer TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  PRIMARY KEY (business_id, key));"
	"CREATE TABLE intake_log ("
	"  t INTEGER NOT NULL,"
	"  business_id TEXT NOT NULL,"
	"  phone TEXT NOT NULL,"
	"  ip TEXT NOT NULL);"
	"CREATE INDEX intake_log_t ON intake_log(t);",

	/* 2: agents (log-in and role; routing adds its columns later) */
	"CREATE TABLE agents ("
	"  id TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  login TEXT NOT NULL UNIQUE,"
	"  password_hash TEXT NOT NULL,"
	"  role TEXT NOT NULL DEFAULT 'agent'"
	"    CHECK (role IN ('agent', 'supervisor', 'admin')),"
	"  businesses TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);",

	/* 3: what routing needs: business hours and policies, agent
	 *    endpoints, skills and presence, and routing rules */
	"ALTER TABLE businesses ADD COLUMN hours TEXT NOT NULL"
	"  DEFAULT 'daily 00:00-24:00';"
	"ALTER TABLE businesses ADD COLUMN closed TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE businesses ADD COLUMN caller_id TEXT NOT NULL"
	"  DEFAULT '';"
	"ALTER TABLE businesses ADD COLUMN dial_mode TEXT NOT NULL"
	"  DEFAULT 'customer_first';"
	"ALTER TABLE businesses ADD COLUMN retry_attempts INTEGER NOT NULL"
	"  DEFAULT 3;"
	"ALTER TABLE businesses ADD COLUMN retry_delays TEXT NOT NULL"
	"  DEFAULT '120 600';"
	"ALTER TABLE businesses ADD COLUMN max_hold INTEGER NOT NULL"
	"  DEFAULT 300;"
	"ALTER TABLE businesses ADD COLUMN widen_after INTEGER NOT NULL"
	"  DEFAULT 120;"
	"ALTER TABLE businesses ADD COLUMN recording INTEGER NOT NULL"
	"  DEFAULT 0;"
	"ALTER TABLE businesses ADD COLUMN prompt_hold TEXT NOT NULL"
	"  DEFAULT 'hold';"
	"ALTER TABLE businesses ADD COLUMN prompt_whisper TEXT NOT NULL"
	"  DEFAULT 'whisper';"
	"ALTER TABLE businesses ADD COLUMN prompt_goodbye TEXT NOT NULL"
	"  DEFAULT 'goodbye';"
	"ALTER TABLE businesses ADD COLUMN dispositions TEXT NOT NULL"
	"  DEFAULT 'sale follow_up not_interested wrong_number no_answer';"
	"ALTER TABLE agents ADD COLUMN endpoint TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE agents ADD COLUMN skills TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE agents ADD COLUMN wrap_up INTEGER NOT NULL DEFAULT 30;"
	"ALTER TABLE agents ADD COLUMN state TEXT NOT NULL"
	"  DEFAULT 'offline';"
	"ALTER TABLE agents ADD COLUMN state_since INTEGER NOT NULL"
	"  DEFAULT 0;"
	"ALTER TABLE agents ADD COLUMN state_reason TEXT NOT NULL"
	"  DEFAULT '';"
	"ALTER TABLE agents ADD COLUMN idle_since INTEGER NOT NULL"
	"  DEFAULT 0;"
	"CREATE TABLE rules ("
	"  id TEXT PRIMARY KEY,"
	"  business TEXT NOT NULL REFERENCES businesses(id)"
	"    ON DELETE CASCADE,"
	"  position INTEGER NOT NULL DEFAULT 100,"
	"  match_url TEXT NOT NULL DEFAULT '',"
	"  match_title TEXT NOT NULL DEFAULT '',"
	"  match_agent TEXT NOT NULL DEFAULT '',"
	"  skills TEXT NOT NULL DEFAULT '',"
	"  priority INTEGER NOT NULL DEFAULT 0,"
	"  agent_id TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE INDEX rules_business ON rules(business, position);",

	/* 4: what the ACD keeps per callback (priority, attempts, the
	 *    agent, the lease that makes a claim exclusive, why it ended),
	 *    and who last spoke with each number */
	"ALTER TABLE callbacks ADD COLUMN priority INTEGER NOT NULL"
	"  DEFAULT 0;"
	"ALTER TABLE callbacks ADD COLUMN attempts INTEGER NOT NULL"
	"  DEFAULT 0;"
	"ALTER TABLE callbacks ADD COLUMN agent_id TEXT NOT NULL"
	"  DEFAULT '';"
	"ALTER TABLE callbacks ADD COLUMN rule_id TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE callbacks ADD COLUMN lease_until INTEGER NOT NULL"
	"  DEFAULT 0;"
	"ALTER TABLE callbacks ADD COLUMN ended_reason TEXT NOT NULL"
	"  DEFAULT '';"
	"ALTER TABLE callbacks ADD COLUMN referrer TEXT;"
	"CREATE TABLE phone_agents ("
	"  business_id TEXT NOT NULL,"
	"  phone TEXT NOT NULL,"
	"  agent_id TEXT NOT NULL,"
	"  t INTEGER NOT NULL,"
	"  PRIMARY KEY (business_id, phone)) WITHOUT ROWID;",

	/* 5: the secret a softphone registers with (SIP digest needs it;
	 *    the log-in password is kept only as a hash) */
	"ALTER TABLE agents ADD COLUMN sip_password TEXT NOT NULL"
	"  DEFAULT '';"
	/* a customer's earlier callbacks, for the screen pop: indexed when
	 * a callback closes, so that intake pays for no extra index */
	"CREATE TABLE phone_history ("
	"  business_id TEXT NOT NULL,"
	"  phone TEXT NOT NULL,"
	"  t INTEGER NOT NULL,"
	"  callback_id TEXT NOT NULL,"
	"  PRIMARY KEY (business_id, phone, t, callback_id)) WITHOUT ROWID;"
	"CREATE TRIGGER callbacks_history AFTER UPDATE OF open ON callbacks"
	"  WHEN OLD.open = 1 AND NEW.open = 0 BEGIN"
	"  INSERT OR IGNORE INTO phone_history"
	"    VALUES (NEW.business_id, NEW.phone, NEW.created_at, NEW.id);"
	"  END;",

	/* 6: what the agent recorded after the call (one per callback) */
	"CREATE TABLE outcomes ("
	"  callback_id TEXT PRIMARY KEY REFERENCES callbacks(id),"
	"  business_id TEXT NOT NULL,"
	"  agent_id TEXT NOT NULL,"
	"  disposition TEXT NOT NULL,"
	"  product TEXT NOT NULL DEFAULT '',"
	"  quantity INTEGER NOT NULL DEFAULT 0,"
	"  amount_cents INTEGER NOT NULL DEFAULT 0,"
	"  currency TEXT NOT NULL DEFAULT '',"
	"  order_ref TEXT NOT NULL DEFAULT '',"
	"  notes TEXT NOT NULL DEFAULT '',"
	"  t INTEGER NOT NULL);"
	"CREATE INDEX outcomes_business_t ON outcomes(business_id, t);",

	/* 7: agent first, an offer the agent accepts on the desk before
	 *    their phone rings (0: none, dial at once) */
	"ALTER TABLE businesses ADD COLUMN accept_timeout INTEGER NOT NULL"
	"  DEFAULT 0;",

	/* 8: a new callback's count in queue_counts comes from the insert's
	 *    own statement (store/sqlite.c, S_QUEUE_COUNT), which also
	 *    returns it; status changes keep their trigger */
	"DROP TRIGGER callbacks_count_ins;",

	/* 9: the widget's look, for pages that set no data attributes */
	"ALTER TABLE businesses ADD COLUMN widget_label TEXT NOT NULL"
	"  DEFAULT '';"
	"ALTER TABLE businesses ADD COLUMN widget_color TEXT NOT NULL"
	"  DEFAULT '';"
	"ALTER TABLE businesses ADD COLUMN widget_position TEXT NOT NULL"
	"  DEFAULT 'bottom-right';"
	"ALTER TABLE businesses ADD COLUMN widget_language TEXT NOT NULL"
	"  DEFAULT '';",

	/* 10: each request is its own. A request for a number that already
	 *     has an open callback joins it (one call serves both) with an
	 *     id and cancel tokens of its own; since_seq and mark say what
	 *     it may see (events after it; callbacks queued before it). A
	 *     request withdrawn while others still wait for the call keeps
	 *     withdrawn_seq, the private event that records it. An
	 *     Idempotency-Key of a joined request names it (request_id).
	 *     Tokens that older code handed to duplicates of an open
	 *     callback are revoked (a replay asks again for a fresh one). */
	"CREATE TABLE joined_requests ("
	"  id TEXT PRIMARY KEY,"
	"  callback_id TEXT NOT NULL REFERENCES callbacks(id),"
	"  created_at INTEGER NOT NULL,"
	"  scheduled_for INTEGER NOT NULL DEFAULT 0,"
	"  since_seq INTEGER NOT NULL,"
	"  mark INTEGER NOT NULL,"
	"  withdrawn_at INTEGER NOT NULL DEFAULT 0,"
	"  withdrawn_seq INTEGER NOT NULL DEFAULT 0,"
	"  page_url TEXT, page_title TEXT, name TEXT, note TEXT,"
	"  agent_key TEXT, client_ip TEXT, referrer TEXT);"
	"CREATE INDEX joined_requests_live ON joined_requests(callback_id)"
	"  WHERE withdrawn_seq = 0;"
	"CREATE TABLE request_tokens ("
	"  request_id TEXT NOT NULL REFERENCES joined_requests(id),"
	"  token_hash TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  PRIMARY KEY (request_id, token_hash)) WITHOUT ROWID;"
	"ALTER TABLE callbacks ADD COLUMN withdrawn_at INTEGER NOT NULL"
	"  DEFAULT 0;"
	"ALTER TABLE callbacks ADD COLUMN withdrawn_seq INTEGER NOT NULL"
	"  DEFAULT 0;"
	"ALTER TABLE idempotency ADD COLUMN request_id TEXT;"
	"DELETE FROM cancel_tokens WHERE created_at > (SELECT c.created_at"
	"  FROM callbacks AS c WHERE c.id = cancel_tokens.callback_id"
	"  AND c.open = 1);",

	/* 11: the hold experience. The hold music is Debian's music on
	 *     hold unless a business names its own prompt (the synthetic
	 *     "hold" prompt is gone); the customer on hold hears their
	 *     place and wait in the business's language, again every
	 *     announce_every seconds */
	"UPDATE businesses SET prompt_hold = '' WHERE prompt_hold = 'hold';"
	"ALTER TABLE businesses ADD COLUMN language TEXT NOT NULL"
	"  DEFAULT 'en';"
	"ALTER TABLE businesses ADD COLUMN announce_every INTEGER NOT NULL"
	"  DEFAULT 60;",

	/* 12: the longest expected wait the widget offers "now" with */
	"ALTER TABLE businesses ADD COLUMN max_wait_now INTEGER NOT NULL"
	"  DEFAULT 900;",

	/*
	 * 13: webhooks: a business's endpoints, and the outbox of what each is
	 * still to be told. An outbox row is made by a trigger on the event
	 * row that records a callback's change, so it is committed in the
	 * same transaction as the change itself, by construction: a change
	 * is never on disk without its deliveries, nor a delivery without
	 * its change. It holds the event and the callback as they were then
	 * (a JSON snapshot, without the phone number: a delivery is built
	 * from it, not from what the callback has become since). Event
	 * types are "callback." and the event row's type, in events as in
	 * the payload. event_id is the same at every endpoint (one event);
	 * seq orders the deliveries of one callback.
	 */
	"CREATE TABLE webhooks ("
	"  id TEXT PRIMARY KEY,"
	"  business TEXT NOT NULL REFERENCES businesses(id)"
	"    ON DELETE CASCADE,"
	"  url TEXT NOT NULL,"
	"  secret TEXT NOT NULL,"
	"  events TEXT NOT NULL DEFAULT '',"
	"  enabled INTEGER NOT NULL DEFAULT 1,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE INDEX webhooks_business ON webhooks(business);"
	"CREATE TABLE webhook_outbox ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  webhook_id TEXT NOT NULL,"
	"  event_id TEXT NOT NULL,"
	"  callback_id TEXT NOT NULL,"
	"  type TEXT NOT NULL,"
	"  t INTEGER NOT NULL,"
	"  payload TEXT NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'pending',"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_at INTEGER NOT NULL DEFAULT 0,"
	"  last_status INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT NOT NULL DEFAULT '',"
	"  delivered_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX webhook_outbox_pending ON webhook_outbox(next_at)"
	"  WHERE state = 'pending';"
	"CREATE INDEX webhook_outbox_order"
	"  ON webhook_outbox(webhook_id, callback_id, seq);"
	"CREATE TRIGGER events_webhook_outbox AFTER INSERT ON events BEGIN"
	"  INSERT INTO webhook_outbox(webhook_id, event_id, callback_id,"
	"    type, t, payload)"
	"  SELECT w.id, 'evt_' || NEW.seq, NEW.callback_id, NEW.type, NEW.t,"
	"    json_object("
	"      'type', 'callback.' || NEW.type,"
	"      'business', c.business_id,"
	"      'data', json(coalesce(NEW.data, '{}')),"
	"      'callback', json_object("
	"        'id', c.id, 'status', c.status,"
	"        'created_at', c.created_at, 'updated_at', c.updated_at,"
	"        'scheduled_for', c.scheduled_for,"
	"        'attempts', c.attempts, 'agent_id', c.agent_id,"
	"        'ended_reason', c.ended_reason,"
	"        'page_url', c.page_url, 'page_title', c.page_title))"
	"  FROM callbacks AS c JOIN webhooks AS w"
	"    ON w.business = c.business_id"
	"  WHERE c.id = NEW.callback_id AND w.enabled = 1"
	"    AND (w.events = '' OR instr(' ' || w.events || ' ',"
	"      ' callback.' || NEW.type || ' ') > 0);"
	"  END;",

	/* 14: the answering-machine guard: seconds the customer has to
	 *     press 1 before they hold (0: none) */
	"ALTER TABLE businesses ADD COLUMN human_check INTEGER NOT NULL"
	"  DEFAULT 0;",

	/* 15: voice in the browser: whether a business's widget offers it
	 *     (off, offered, only); a browser's callback has no phone */
	"ALTER TABLE businesses ADD COLUMN voice_in_browser TEXT NOT NULL"
	"  DEFAULT 'offered';",

	/* 16: the desk as a phone: an agent's desk answers its calls by
	 *     itself (endpoint "desk" needs no column) */
	"ALTER TABLE agents ADD COLUMN auto_answer INTEGER NOT NULL"
	"  DEFAULT 0;",

	/* 17: the service level reports count connections within */
	"ALTER TABLE businesses ADD COLUMN sla_seconds INTEGER NOT NULL"
	"  DEFAULT 60;",

	/*
	 * 18: a supervisor who acts, and webhooks that stop and tell.
	 * - callbacks.assigned: a supervisor's "to this agent" ("agent:ID")
	 *   or "to this team" (a key), over the routing rules.
	 * - webhooks.failures, failing_since: failed attempts in a row; an
	 *   endpoint stopped at the bound is failing (failing_since, ms)
	 *   until an administrator enables it again, which makes what
	 *   waited for it due at once.
	 * - agent.presence: a change of an agent's state puts one delivery
	 *   per endpoint of each of the agent's businesses into the outbox,
	 *   in the same transaction (the ACD stores presence as an update
	 *   of the agent's row). Ordered per agent ("agent:ID" in the
	 *   callback_id column); the id is the agent's and the change's.
	 */
	"ALTER TABLE callbacks ADD COLUMN assigned TEXT NOT NULL"
	"  DEFAULT '';"
	"ALTER TABLE webhooks ADD COLUMN failures INTEGER NOT NULL"
	"  DEFAULT 0;"
	"ALTER TABLE webhooks ADD COLUMN failing_since INTEGER NOT NULL"
	"  DEFAULT 0;"
	"CREATE TRIGGER webhooks_enabled_again AFTER UPDATE OF failing_since"
	"  ON webhooks WHEN OLD.failing_since > 0"
	"  AND NEW.failing_since = 0 BEGIN"
	"  UPDATE webhook_outbox SET next_at = 0"
	"    WHERE webhook_id = NEW.id AND state = 'pending';"
	"  END;"
	"CREATE TRIGGER agents_webhook_outbox AFTER UPDATE OF state ON agents"
	"  WHEN OLD.state IS NOT NEW.state BEGIN"
	"  INSERT INTO webhook_outbox(webhook_id, event_id, callback_id,"
	"    type, t, payload)"
	"  SELECT w.id, 'evt_' || NEW.id || '_' || NEW.state_since || '_' ||"
	"    NEW.state, 'agent:' || NEW.id, 'agent.presence',"
	"    NEW.state_since,"
	"    json_object("
	"      'type', 'agent.presence',"
	"      'business', w.business,"
	"      'data', json_object("
	"        'agent', json_object('id', NEW.id, 'name', NEW.name),"
	"        'state', NEW.state, 'previous', OLD.state,"
	"        'reason', NEW.state_reason, 'since', NEW.state_since))"
	"  FROM webhooks AS w"
	"  WHERE w.enabled = 1"
	"    AND instr(' ' || NEW.businesses || ' ', ' ' || w.business || ' ')"
	"      > 0"
	"    AND (w.events = '' OR instr(' ' || w.events || ' ',"
	"      ' agent.presence ') > 0);"
	"  END;",

	/* 19: who leads a cluster (docs/cluster.md): one row, the epoch
	 * every ACD write checks (the fence) and the node that bumped it */
	"CREATE TABLE cluster ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  epoch INTEGER NOT NULL,"
	"  leader TEXT,"
	"  since INTEGER"
	");"
	"INSERT INTO cluster (id, epoch) VALUES (1, 0);",
	/* 20: (see MIGRATION_20) */
	MIGRATION_20,
	/* 21: (see MIGRATION_21) */
	MIGRATION_21,
	/* 22: (see MIGRATION_22) */
	MIGRATION_22,
	/* 23: (see MIGRATION_23) */
	MIGRATION_23,
	/* 24: (see MIGRATION_24_PG) */
	MIGRATION_24_SQLITE,
};


const char *const *store_sqlite_migrations(size_t *np)
{
	*np = sizeof(migrations) / sizeof(migrations[0]);

	return migrations;
}


/*
 * PostgreSQL's migrations (pg.c), numbered as SQLite's: each entry
 * brings the schema to its version. The first is SQLite's schema as
 * migrations 1 to 18 left it, at once; from 19 on, a migration is
 * written in both dialects, with the same number (a unit test checks
 * that both lists end at the same version).
 *
 * What SQLite's statements rely on is there too, so that one text serves
 * both: callbacks.rowid (SQLite's implicit rowid orders the queue), and
 * instr(). Types: bigint where SQLite has INTEGER, text for TEXT. The 0/1
 * flags (callbacks.open, events.public, webhooks.enabled, ...) stay bigint
 * rather than boolean so that one statement text serves both dialects
 * (open = 1, SUM(open), integer binds and reads) and records read the
 * same values. Triggers are PL/pgSQL functions doing what SQLite's do;
 * payloads are built with json_build_object (keys in SQLite's order).
 */
static const struct store_migration pg_migrations[] = {
	{18,
	"CREATE TABLE businesses ("
	"  id text PRIMARY KEY,"
	"  name text NOT NULL,"
	"  timezone text NOT NULL,"
	"  country bigint NOT NULL,"
	"  origins text NOT NULL DEFAULT '',"
	"  allowed_countries text NOT NULL DEFAULT '',"
	"  deny_prefixes text NOT NULL DEFAULT '',"
	"  agent_keys text NOT NULL DEFAULT '',"
	"  limit_phone_15min bigint NOT NULL DEFAULT -1,"
	"  limit_phone_day bigint NOT NULL DEFAULT -1,"
	"  limit_ip_minute bigint NOT NULL DEFAULT -1,"
	"  created_at bigint NOT NULL,"
	"  updated_at bigint NOT NULL,"
	"  hours text NOT NULL DEFAULT 'daily 00:00-24:00',"
	"  closed text NOT NULL DEFAULT '',"
	"  caller_id text NOT NULL DEFAULT '',"
	"  dial_mode text NOT NULL DEFAULT 'customer_first',"
	"  retry_attempts bigint NOT NULL DEFAULT 3,"
	"  retry_delays text NOT NULL DEFAULT '120 600',"
	"  max_hold bigint NOT NULL DEFAULT 300,"
	"  widen_after bigint NOT NULL DEFAULT 120,"
	"  recording bigint NOT NULL DEFAULT 0,"
	"  prompt_hold text NOT NULL DEFAULT 'hold',"
	"  prompt_whisper text NOT NULL DEFAULT 'whisper',"
	"  prompt_goodbye text NOT NULL DEFAULT 'goodbye',"
	"  dispositions text NOT NULL"
	"    DEFAULT 'sale follow_up not_interested wrong_number no_answer',"
	"  accept_timeout bigint NOT NULL DEFAULT 0,"
	"  widget_label text NOT NULL DEFAULT '',"
	"  widget_color text NOT NULL DEFAULT '',"
	"  widget_position text NOT NULL DEFAULT 'bottom-right',"
	"  widget_language text NOT NULL DEFAULT '',"
	"  language text NOT NULL DEFAULT 'en',"
	"  announce_every bigint NOT NULL DEFAULT 60,"
	"  max_wait_now bigint NOT NULL DEFAULT 900,"
	"  human_check bigint NOT NULL DEFAULT 0,"
	"  voice_in_browser text NOT NULL DEFAULT 'offered',"
	"  sla_seconds bigint NOT NULL DEFAULT 60);"
	"CREATE TABLE callbacks ("
	"  id text PRIMARY KEY,"
	"  rowid bigint GENERATED BY DEFAULT AS IDENTITY UNIQUE,"
	"  business_id text NOT NULL REFERENCES businesses(id),"
	"  phone text NOT NULL,"
	"  status text NOT NULL,"
	"  open bigint NOT NULL DEFAULT 1,"
	"  created_at bigint NOT NULL,"
	"  updated_at bigint NOT NULL,"
	"  scheduled_for bigint NOT NULL DEFAULT 0,"
	"  page_url text, page_title text, name text, note text,"
	"  agent_key text, client_ip text,"
	"  priority bigint NOT NULL DEFAULT 0,"
	"  attempts bigint NOT NULL DEFAULT 0,"
	"  agent_id text NOT NULL DEFAULT '',"
	"  rule_id text NOT NULL DEFAULT '',"
	"  lease_until bigint NOT NULL DEFAULT 0,"
	"  ended_reason text NOT NULL DEFAULT '',"
	"  referrer text,"
	"  withdrawn_at bigint NOT NULL DEFAULT 0,"
	"  withdrawn_seq bigint NOT NULL DEFAULT 0,"
	"  assigned text NOT NULL DEFAULT '');"
	"CREATE UNIQUE INDEX callbacks_open_phone"
	"  ON callbacks(business_id, phone) WHERE open = 1;"
	"CREATE INDEX callbacks_open_status"
	"  ON callbacks(business_id, status, rowid) WHERE open = 1;"
	"CREATE FUNCTION instr(a text, b text) RETURNS integer"
	"  LANGUAGE sql IMMUTABLE AS $$ SELECT strpos(a, b) $$;"
	"CREATE TABLE queue_counts ("
	"  business_id text PRIMARY KEY,"
	"  queued bigint NOT NULL DEFAULT 0);"
	"CREATE FUNCTION callbacks_count_upd() RETURNS trigger"
	"  LANGUAGE plpgsql AS $$ BEGIN"
	"  INSERT INTO queue_counts(business_id, queued)"
	"    VALUES (NEW.business_id, 0)"
	"    ON CONFLICT(business_id) DO NOTHING;"
	"  UPDATE queue_counts SET queued = queued"
	"    - (OLD.open = 1 AND OLD.status = 'queued')::int"
	"    + (NEW.open = 1 AND NEW.status = 'queued')::int"
	"    WHERE business_id = NEW.business_id;"
	"  RETURN NULL; END $$;"
	"CREATE TRIGGER callbacks_count_upd"
	"  AFTER UPDATE OF status, open ON callbacks FOR EACH ROW"
	"  EXECUTE FUNCTION callbacks_count_upd();"
	"CREATE TABLE cancel_tokens ("
	"  callback_id text NOT NULL REFERENCES callbacks(id),"
	"  token_hash text NOT NULL,"
	"  created_at bigint NOT NULL,"
	"  PRIMARY KEY (callback_id, token_hash));"
	"CREATE TABLE events ("
	"  seq bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	"  callback_id text NOT NULL REFERENCES callbacks(id),"
	"  t bigint NOT NULL,"
	"  type text NOT NULL,"
	"  public bigint NOT NULL,"
	"  data text);"
	"CREATE INDEX events_callback ON events(callback_id, seq);"
	"CREATE TABLE idempotency ("
	"  business_id text NOT NULL,"
	"  key text NOT NULL,"
	"  fingerprint text NOT NULL,"
	"  callback_id text NOT NULL REFERENCES callbacks(id),"
	"  status bigint NOT NULL,"
	"  answer text NOT NULL,"
	"  created_at bigint NOT NULL,"
	"  request_id text,"
	"  PRIMARY KEY (business_id, key));"
	"CREATE TABLE intake_log ("
	"  t bigint NOT NULL,"
	"  business_id text NOT NULL,"
	"  phone text NOT NULL,"
	"  ip text NOT NULL);"
	"CREATE INDEX intake_log_t ON intake_log(t);"
	"CREATE TABLE agents ("
	"  id text PRIMARY KEY,"
	"  name text NOT NULL,"
	"  login text NOT NULL UNIQUE,"
	"  password_hash text NOT NULL,"
	"  role text NOT NULL DEFAULT 'agent'"
	"    CHECK (role IN ('agent', 'supervisor', 'admin')),"
	"  businesses text NOT NULL DEFAULT '',"
	"  created_at bigint NOT NULL,"
	"  updated_at bigint NOT NULL,"
	"  endpoint text NOT NULL DEFAULT '',"
	"  skills text NOT NULL DEFAULT '',"
	"  wrap_up bigint NOT NULL DEFAULT 30,"
	"  state text NOT NULL DEFAULT 'offline',"
	"  state_since bigint NOT NULL DEFAULT 0,"
	"  state_reason text NOT NULL DEFAULT '',"
	"  idle_since bigint NOT NULL DEFAULT 0,"
	"  sip_password text NOT NULL DEFAULT '',"
	"  auto_answer bigint NOT NULL DEFAULT 0);"
	"CREATE TABLE rules ("
	"  id text PRIMARY KEY,"
	"  business text NOT NULL REFERENCES businesses(id)"
	"    ON DELETE CASCADE,"
	"  position bigint NOT NULL DEFAULT 100,"
	"  match_url text NOT NULL DEFAULT '',"
	"  match_title text NOT NULL DEFAULT '',"
	"  match_agent text NOT NULL DEFAULT '',"
	"  skills text NOT NULL DEFAULT '',"
	"  priority bigint NOT NULL DEFAULT 0,"
	"  agent_id text NOT NULL DEFAULT '',"
	"  created_at bigint NOT NULL,"
	"  updated_at bigint NOT NULL);"
	"CREATE INDEX rules_business ON rules(business, position);"
	"CREATE TABLE phone_agents ("
	"  business_id text NOT NULL,"
	"  phone text NOT NULL,"
	"  agent_id text NOT NULL,"
	"  t bigint NOT NULL,"
	"  PRIMARY KEY (business_id, phone));"
	"CREATE TABLE phone_history ("
	"  business_id text NOT NULL,"
	"  phone text NOT NULL,"
	"  t bigint NOT NULL,"
	"  callback_id text NOT NULL,"
	"  PRIMARY KEY (business_id, phone, t, callback_id));"
	"CREATE FUNCTION callbacks_history() RETURNS trigger"
	"  LANGUAGE plpgsql AS $$ BEGIN"
	"  INSERT INTO phone_history(business_id, phone, t, callback_id)"
	"    VALUES (NEW.business_id, NEW.phone, NEW.created_at, NEW.id)"
	"    ON CONFLICT DO NOTHING;"
	"  RETURN NULL; END $$;"
	"CREATE TRIGGER callbacks_history AFTER UPDATE OF open ON callbacks"
	"  FOR EACH ROW WHEN (OLD.open = 1 AND NEW.open = 0)"
	"  EXECUTE FUNCTION callbacks_history();"
	"CREATE TABLE outcomes ("
	"  callback_id text PRIMARY KEY REFERENCES callbacks(id),"
	"  business_id text NOT NULL,"
	"  agent_id text NOT NULL,"
	"  disposition text NOT NULL,"
	"  product text NOT NULL DEFAULT '',"
	"  quantity bigint NOT NULL DEFAULT 0,"
	"  amount_cents bigint NOT NULL DEFAULT 0,"
	"  currency text NOT NULL DEFAULT '',"
	"  order_ref text NOT NULL DEFAULT '',"
	"  notes text NOT NULL DEFAULT '',"
	"  t bigint NOT NULL);"
	"CREATE INDEX outcomes_business_t ON outcomes(business_id, t);"
	"CREATE TABLE joined_requests ("
	"  id text PRIMARY KEY,"
	"  callback_id text NOT NULL REFERENCES callbacks(id),"
	"  created_at bigint NOT NULL,"
	"  scheduled_for bigint NOT NULL DEFAULT 0,"
	"  since_seq bigint NOT NULL,"
	"  mark bigint NOT NULL,"
	"  withdrawn_at bigint NOT NULL DEFAULT 0,"
	"  withdrawn_seq bigint NOT NULL DEFAULT 0,"
	"  page_url text, page_title text, name text, note text,"
	"  agent_key text, client_ip text, referrer text);"
	"CREATE INDEX joined_requests_live ON joined_requests(callback_id)"
	"  WHERE withdrawn_seq = 0;"
	"CREATE TABLE request_tokens ("
	"  request_id text NOT NULL REFERENCES joined_requests(id),"
	"  token_hash text NOT NULL,"
	"  created_at bigint NOT NULL,"
	"  PRIMARY KEY (request_id, token_hash));"
	"CREATE TABLE webhooks ("
	"  id text PRIMARY KEY,"
	"  business text NOT NULL REFERENCES businesses(id)"
	"    ON DELETE CASCADE,"
	"  url text NOT NULL,"
	"  secret text NOT NULL,"
	"  events text NOT NULL DEFAULT '',"
	"  enabled bigint NOT NULL DEFAULT 1,"
	"  created_at bigint NOT NULL,"
	"  updated_at bigint NOT NULL,"
	"  failures bigint NOT NULL DEFAULT 0,"
	"  failing_since bigint NOT NULL DEFAULT 0);"
	"CREATE INDEX webhooks_business ON webhooks(business);"
	"CREATE TABLE webhook_outbox ("
	"  seq bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	"  webhook_id text NOT NULL,"
	"  event_id text NOT NULL,"
	"  callback_id text NOT NULL,"
	"  type text NOT NULL,"
	"  t bigint NOT NULL,"
	"  payload text NOT NULL,"
	"  state text NOT NULL DEFAULT 'pending',"
	"  attempts bigint NOT NULL DEFAULT 0,"
	"  next_at bigint NOT NULL DEFAULT 0,"
	"  last_status bigint NOT NULL DEFAULT 0,"
	"  last_error text NOT NULL DEFAULT '',"
	"  delivered_at bigint NOT NULL DEFAULT 0);"
	"CREATE INDEX webhook_outbox_pending ON webhook_outbox(next_at)"
	"  WHERE state = 'pending';"
	"CREATE INDEX webhook_outbox_order"
	"  ON webhook_outbox(webhook_id, callback_id, seq);"
	"CREATE FUNCTION events_webhook_outbox() RETURNS trigger"
	"  LANGUAGE plpgsql AS $$ BEGIN"
	"  INSERT INTO webhook_outbox(webhook_id, event_id, callback_id,"
	"    type, t, payload)"
	"  SELECT w.id, 'evt_' || NEW.seq, NEW.callback_id, NEW.type, NEW.t,"
	"    json_build_object("
	"      'type', 'callback.' || NEW.type,"
	"      'business', c.business_id,"
	"      'data', coalesce(NEW.data, '{}')::json,"
	"      'callback', json_build_object("
	"        'id', c.id, 'status', c.status,"
	"        'created_at', c.created_at, 'updated_at', c.updated_at,"
	"        'scheduled_for', c.scheduled_for,"
	"        'attempts', c.attempts, 'agent_id', c.agent_id,"
	"        'ended_reason', c.ended_reason,"
	"        'page_url', c.page_url, 'page_title', c.page_title))::text"
	"  FROM callbacks AS c JOIN webhooks AS w"
	"    ON w.business = c.business_id"
	"  WHERE c.id = NEW.callback_id AND w.enabled = 1"
	"    AND (w.events = '' OR strpos(' ' || w.events || ' ',"
	"      ' callback.' || NEW.type || ' ') > 0)"
	"  ORDER BY w.id;"
	"  RETURN NULL; END $$;"
	"CREATE TRIGGER events_webhook_outbox AFTER INSERT ON events"
	"  FOR EACH ROW EXECUTE FUNCTION events_webhook_outbox();"
	"CREATE FUNCTION webhooks_enabled_again() RETURNS trigger"
	"  LANGUAGE plpgsql AS $$ BEGIN"
	"  UPDATE webhook_outbox SET next_at = 0"
	"    WHERE webhook_id = NEW.id AND state = 'pending';"
	"  RETURN NULL; END $$;"
	"CREATE TRIGGER webhooks_enabled_again"
	"  AFTER UPDATE OF failing_since ON webhooks FOR EACH ROW"
	"  WHEN (OLD.failing_since > 0 AND NEW.failing_since = 0)"
	"  EXECUTE FUNCTION webhooks_enabled_again();"
	"CREATE FUNCTION agents_webhook_outbox() RETURNS trigger"
	"  LANGUAGE plpgsql AS $$ BEGIN"
	"  INSERT INTO webhook_outbox(webhook_id, event_id, callback_id,"
	"    type, t, payload)"
	"  SELECT w.id, 'evt_' || NEW.id || '_' || NEW.state_since || '_' ||"
	"    NEW.state, 'agent:' || NEW.id, 'agent.presence',"
	"    NEW.state_since,"
	"    json_build_object("
	"      'type', 'agent.presence',"
	"      'business', w.business,"
	"      'data', json_build_object("
	"        'agent', json_build_object('id', NEW.id, 'name', NEW.name),"
	"        'state', NEW.state, 'previous', OLD.state,"
	"        'reason', NEW.state_reason,"
	"        'since', NEW.state_since))::text"
	"  FROM webhooks AS w"
	"  WHERE w.enabled = 1"
	"    AND strpos(' ' || NEW.businesses || ' ',"
	"      ' ' || w.business || ' ') > 0"
	"    AND (w.events = '' OR strpos(' ' || w.events || ' ',"
	"      ' agent.presence ') > 0)"
	"  ORDER BY w.id;"
	"  RETURN NULL; END $$;"
	"CREATE TRIGGER agents_webhook_outbox AFTER UPDATE OF state ON agents"
	"  FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)"
	"  EXECUTE FUNCTION agents_webhook_outbox();"},
	{19,
	"CREATE TABLE cluster ("
	"  id bigint PRIMARY KEY CHECK (id = 1),"
	"  epoch bigint NOT NULL,"
	"  leader text,"
	"  since bigint"
	");"
	"INSERT INTO cluster (id, epoch) VALUES (1, 0);"},
	{20, MIGRATION_20},
	{21, MIGRATION_21},
	{22, MIGRATION_22},
	{23, MIGRATION_23},
	{24, MIGRATION_24_PG},
};


const struct store_migration *store_pg_migrations(size_t *np)
{
	*np = sizeof(pg_migrations) / sizeof(pg_migrations[0]);

	return pg_migrations;
}
