/*
 * The statements of the ops (ops.c), one text per dialect, by id. A
 * dialect's text is NULL until its backend is written: running it is
 * ENOSYS. Parameters are ?N in SQLite's text and $N in PostgreSQL's.
 */
#include <re.h>
#include "store/store_int.h"

const struct store_stmt store_stmts[SQ_COUNT] = {
	[SQ_PING] = {"ping", {
		[SD_SQLITE] = "SELECT count(*) FROM businesses",
	}},
	[SQ_PHONE_AGENT_SET] = {"phone_agent_set", {
		[SD_SQLITE] =
		"INSERT INTO phone_agents (business_id, phone, agent_id, t)"
		" VALUES (?1, ?2, ?3, ?4) ON CONFLICT(business_id, phone)"
		" DO UPDATE SET agent_id = ?3, t = ?4",
	}},
	[SQ_PHONE_AGENT_GET] = {"phone_agent_get", {
		[SD_SQLITE] =
		"SELECT agent_id FROM phone_agents"
		" WHERE business_id = ?1 AND phone = ?2",
	}},
	[SQ_OUTBOX_REPLAY] = {"outbox_replay", {
		[SD_SQLITE] =
		"UPDATE webhook_outbox SET state = 'pending', next_at = 0"
		" WHERE webhook_id = ?1 AND seq = ?2",
	}},
};
