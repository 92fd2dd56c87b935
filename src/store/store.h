/*
 * store: everything beckon keeps, behind one asynchronous interface.
 *
 * A backend is chosen by URL ("sqlite:var/beckon.db"; "postgres://..." can
 * be added without touching callers) and implements the function table in
 * store_int.h. Every operation is asynchronous: the caller passes a handler
 * that runs on the event loop once the operation is done, and for a write
 * "done" means committed and durable. That is what lets the SQLite backend
 * group-commit (all operations queued during one loop turn share one
 * transaction and one fsync) and what lets a PostgreSQL backend use libpq's
 * asynchronous API on the same loop.
 *
 * Handlers are never called from inside the function that queued the
 * operation, and operations complete in the order they were queued.
 *
 * Every state change of a callback is an event row (created first); the
 * event log is the history the agent sees and the way a restarted process
 * knows where each callback stood.
 */
#ifndef BECKON_STORE_H
#define BECKON_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

enum {
	ID_LEN = 40,      /* buffer size for ids ("cb_" + 22 base64url) */
	HASH_HEX_LEN = 65,
};

/* A business (tenant). Strings are mem-allocated; NULL means unset. */
struct business {
	char *id;
	char *name;
	char *timezone;           /* IANA name */
	unsigned country;         /* default calling code, e.g. 1 */
	char *origins;            /* space-separated */
	char *allowed_countries;  /* space-separated calling codes */
	char *deny_prefixes;      /* space-separated E.164 prefixes */
	char *agent_keys;         /* space-separated published keys */
	int64_t limit_phone_15min; /* -1: the global default */
	int64_t limit_phone_day;
	int64_t limit_ip_minute;
};

int business_alloc(struct business **bp);
/* a deep copy */
int business_dup(struct business **bp, const struct business *src);

/* An agent, as far as logging in goes. password_hash is argon2id
 * (libsodium's crypto_pwhash_str format); the password is never kept. */
struct agent {
	char *id;
	char *name;
	char *login;
	char *password_hash;
	char *role;               /* agent, supervisor or admin */
	char *businesses;         /* space-separated business ids */
};

int agent_alloc(struct agent **ap);

struct callback_created;

/*
 * Formats the HTTP answer for a create from its result, inside the
 * transaction, so that the answer stored for an Idempotency-Key replay is
 * committed together with the callback it describes. The answer must be a
 * JSON object without the cancel token: tokens are stored only as hashes,
 * so a replay gets a fresh token (its hash is req->cancel_hash) that the
 * caller adds to the stored answer.
 */
typedef int (store_answer_h)(char **answerp, int *statusp,
			     const struct callback_created *res, void *arg);

/* A callback request that the API has validated. */
struct callback_new {
	char id[ID_LEN];
	char cancel_hash[HASH_HEX_LEN];  /* SHA-256 of the cancel token */
	const char *business;
	const char *phone;        /* E.164 */
	int64_t scheduled_for;    /* ms; 0 = as soon as possible */
	const char *page_url;
	const char *page_title;
	const char *name;
	const char *note;
	const char *agent_key;
	const char *client_ip;
	const char *idem_key;     /* Idempotency-Key or NULL */
	const char *idem_fp;      /* fingerprint of the request body */
	store_answer_h *answerh;  /* formats the answer (with idem_key) */
	void *answer_arg;
	int64_t now;              /* ms */
};

enum callback_outcome {
	CB_CREATED = 0,   /* a new callback */
	CB_EXISTING,      /* an open callback for this phone was found */
	CB_REPLAY,        /* same Idempotency-Key: the first answer */
	CB_KEY_MISMATCH,  /* same Idempotency-Key, different request */
};

struct callback_created {
	enum callback_outcome outcome;
	char id[ID_LEN];
	char status[16];
	int64_t created_at;
	int64_t scheduled_for;
	int64_t position;         /* 0 when not queued */
	char *answer;             /* the answer (the stored one for a replay);
				     not for CB_KEY_MISMATCH */
	int answer_status;        /* its HTTP status */
};

struct callback_event {
	int64_t t;
	char *type;
	char *data;               /* JSON object text or NULL */
	bool public;
};

struct callback {
	char id[ID_LEN];
	char *business;
	char *phone;
	char *status;
	bool open;                /* not yet in a final status */
	int64_t created_at;
	int64_t updated_at;
	int64_t scheduled_for;
	int64_t position;
	char *page_url;
	char *page_title;
	char *name;
	char *note;
	char *agent_key;
	size_t nevents;
	struct callback_event *events;
};

typedef void (store_done_h)(int err, void *arg);
typedef void (store_business_list_h)(int err, struct business **v, size_t n,
				     void *arg);
typedef void (store_agent_h)(int err, const struct agent *a, void *arg);
typedef void (store_create_h)(int err, const struct callback_created *res,
			      void *arg);
typedef void (store_callback_h)(int err, const struct callback *cb,
				void *arg);
/* one request counted by the rate limits */
struct intake_row {
	int64_t t;
	char *business;
	char *phone;
	char *ip;
};

typedef void (store_intake_h)(int err, const struct intake_row *v,
			      size_t n, void *arg);

int  store_open(struct store **stp, const char *url, size_t batch_max);
const char *store_backend(const struct store *st);

/* Run every queued operation now (start-up and shutdown). */
int  store_flush(struct store *st);

int  store_ping(struct store *st, store_done_h *h, void *arg);

int  store_business_put(struct store *st, const struct business *b,
			store_done_h *h, void *arg);
int  store_business_list(struct store *st, store_business_list_h *h,
			 void *arg);

/*
 * Add an agent; with replace false an existing id is left as it is (0),
 * so start-up data never overwrites what an administrator changed.
 */
int  store_agent_put(struct store *st, const struct agent *a, bool replace,
		     store_done_h *h, void *arg);
/* The agent with this login; ENOENT if none. */
int  store_agent_get(struct store *st, const char *login, store_agent_h *h,
		     void *arg);

/*
 * Create a callback, in one transaction: replay an earlier answer for the
 * same Idempotency-Key, else return the open callback of the same business
 * and phone (adding a fresh cancel token for this requester), else insert
 * the callback, its cancel token and its "created" event. Either way the
 * request is logged for the rate limits.
 */
int  store_callback_create(struct store *st, const struct callback_new *req,
			   store_create_h *h, void *arg);

int  store_callback_get(struct store *st, const char *id, bool public_only,
			store_callback_h *h, void *arg);

/*
 * Cancel a callback with a cancel token's hash: 0, ENOENT (no such id),
 * EPERM (wrong token) or EALREADY (no longer cancelable); the handler gets
 * the callback as it is after the operation.
 */
int  store_callback_cancel(struct store *st, const char *id,
			   const char *token_hash, store_callback_h *h,
			   void *arg);

/*
 * Requests seen since "since" (ms), oldest first, to rebuild the limits
 * after a restart; older rows are deleted.
 */
int  store_intake_since(struct store *st, int64_t since, store_intake_h *h,
			void *arg);

#endif
