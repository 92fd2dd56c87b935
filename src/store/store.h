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

/*
 * Names: an agent's role, a business's dial mode, an agent's presence and
 * a callback's status are enums in memory; their names (names.c, one
 * table each) exist only where a record is read from or written to the
 * store, JSON or the config file. _parse: 0, or EINVAL for a name not in
 * the table (the enum is left alone).
 */
struct store_names {
	const char *const *v;     /* v[e]: the name of value e (NULL: e is
				     no value with a name) */
	size_t n;
};

int store_name_parse(const struct store_names *t, const char *name,
		     int *ep);
/* A name read from the store: as store_name_parse, but an unknown one
 * (written by a newer version, or by hand) is logged once per table and
 * EBADMSG returned, *ep left as it was (the caller's default). */
int store_name_read(const struct store_names *t, const char *name,
		    int *ep, const char *what);
/* "a, b or c": the table's names, for a message */
int store_names_list(char *buf, size_t sz, const struct store_names *t);

enum agent_role {
	ROLE_AGENT = 0,
	ROLE_SUPERVISOR,
	ROLE_ADMIN,
};

extern const struct store_names agent_role_names;
const char *agent_role_name(enum agent_role r);
int agent_role_parse(const char *name, enum agent_role *rp);

/* who is called first: the customer (then held for an agent), or the
 * agent (then the customer, the whisper played to the agent) */
enum dial_mode {
	DIAL_CUSTOMER_FIRST = 0,
	DIAL_AGENT_FIRST,
};

extern const struct store_names dial_mode_names;
const char *dial_mode_name(enum dial_mode m);
int dial_mode_parse(const char *name, enum dial_mode *mp);

/* an agent's presence (the ACD's state machine, acd.h) */
enum agent_state {
	AGENT_OFFLINE = 0,
	AGENT_AVAILABLE,
	AGENT_AWAY,
	AGENT_OFFERED,            /* reserved for one callback */
	AGENT_ON_CALL,
	AGENT_WRAP_UP,
};

extern const struct store_names agent_state_names;
const char *agent_state_name(enum agent_state s);
int agent_state_parse(const char *name, enum agent_state *sp);

/* a callback's status (acd.h draws the machine); CBS_ANY, zero, is no
 * status: a callback_change's "whatever open status it has" */
enum callback_status {
	CBS_ANY = 0,
	CBS_SCHEDULED,
	CBS_QUEUED,
	CBS_DIALING,
	CBS_ON_HOLD,
	CBS_CONNECTED,
	CBS_COMPLETED,
	CBS_FAILED,
	CBS_ABANDONED,
	CBS_CANCELED,
	CBS_INTERRUPTED,
};

extern const struct store_names callback_status_names;
const char *callback_status_name(enum callback_status s);
/* waiting: nobody has started on it (queued, or scheduled for later) */
bool callback_status_waiting(enum callback_status s);
int callback_status_parse(const char *name, enum callback_status *sp);

/*
 * Records: businesses, agents and routing rules are rows the admin API,
 * the config file and the ACD read and write whole. One table of fields
 * per kind (record.c) drives allocation with defaults, copying, parsing a
 * field from text (config file, command line, admin API) and the SQL, so a
 * new setting is one line there plus a schema migration.
 */
enum store_ftype {
	SF_STR,   /* char *, mem-allocated, never NULL once allocated */
	SF_INT,   /* int64_t */
	SF_ENUM,  /* an enum, named by the field's names table */
};

struct store_field {
	const char *name;         /* column, config key and JSON name */
	enum store_ftype type;
	size_t off;               /* offsetof in the struct */
	const char *def;          /* default, as text */
	int64_t min, max;         /* SF_INT bounds */
	const char *help;         /* as a config key; NULL: not one */
	const struct store_names *names; /* SF_ENUM's */
};

struct store_table {
	const char *name;         /* SQL table; field 0 is the id */
	const struct store_field *fields;
	size_t n;
	size_t size;              /* sizeof the struct */
	void (*dh)(void *obj);    /* its mem destructor */
};

extern const struct store_table store_businesses;
extern const struct store_table store_agents;
extern const struct store_table store_rules;
extern const struct store_table store_webhooks;

int  store_obj_alloc(void **objp, const struct store_table *t);
int  store_obj_dup(void **objp, const struct store_table *t,
		   const void *src);
const struct store_field *store_field_find(const struct store_table *t,
					   const char *name);
/* Set a field from text: 0, ENOENT (no such field), EINVAL (not a number,
 * not one of an enum's names) or ERANGE (out of bounds). store_obj_str:
 * an SF_STR's text or an SF_ENUM's name. */
int  store_obj_set(void *obj, const struct store_table *t, const char *name,
		   const char *val);
const char *store_obj_str(const void *obj, const struct store_field *f);
int64_t     store_obj_int(const void *obj, const struct store_field *f);

/* A business (tenant). */
struct business {
	char *id;
	char *name;
	char *timezone;           /* IANA name */
	int64_t country;          /* default calling code, e.g. 1 */
	char *origins;            /* space-separated */
	char *allowed_countries;  /* space-separated calling codes */
	char *deny_prefixes;      /* space-separated E.164 prefixes */
	char *agent_keys;         /* space-separated published keys */
	int64_t limit_phone_15min; /* -1: the global default */
	int64_t limit_phone_day;
	int64_t limit_ip_minute;
	char *hours;              /* weekly opening hours */
	char *closed;             /* closed dates, YYYY-MM-DD */
	char *caller_id;          /* E.164 shown to the customer */
	enum dial_mode dial_mode;
	int64_t accept_timeout;   /* agent first: seconds to accept an
				   * offer on the desk before dialing,
				   * 0: dial at once */
	int64_t retry_attempts;   /* calls to the customer at most */
	char *retry_delays;       /* seconds between attempts */
	int64_t max_hold;         /* seconds on hold before giving up */
	int64_t widen_after;      /* seconds before any agent will do */
	int64_t max_wait_now;     /* the longest expected wait a "now"
				   * request is offered with; 0: any */
	int64_t recording;        /* 1: record calls */
	char *prompt_hold;        /* "": the dialer's moh */
	char *prompt_whisper;
	char *prompt_goodbye;
	char *dispositions;       /* outcomes an agent can record */
	/* the "Call me" widget, where the page's data attributes say
	 * nothing: "" is the widget's own default */
	char *widget_label;
	char *widget_color;       /* #rgb or #rrggbb */
	char *widget_position;    /* bottom-right, bottom-left, top-... */
	char *widget_language;    /* en, fr; "": the page's or browser's */
	char *language;           /* of the hold announcements: en, fr */
	int64_t announce_every;   /* seconds between them (0: once) */
	int64_t human_check;      /* seconds to press 1 (0: no guard) */
	char *voice_in_browser;   /* off, offered, only (with rtpengine) */
	int64_t sla_seconds;      /* reports: connected within this is
				   * within the service level */
};

int business_alloc(struct business **bp);
int business_dup(struct business **bp, const struct business *src);

/*
 * An agent. password_hash is argon2id (libsodium's crypto_pwhash_str
 * format); the password is never kept. state and its times are the
 * persisted presence (the ACD's state machine owns them).
 */
struct agent {
	char *id;
	char *name;
	char *login;
	char *password_hash;
	enum agent_role role;
	char *businesses;         /* space-separated business ids */
	char *endpoint;           /* sip: URI, E.164 number, "registered"
				     (a softphone) or "desk" (the desk
				     page, through rtpengine) */
	char *sip_password;       /* digest secret of a registering phone */
	char *skills;             /* space-separated tags */
	int64_t wrap_up;          /* seconds after a call */
	int64_t auto_answer;      /* 1: the desk answers its calls itself */
	enum agent_state state;
	int64_t state_since;      /* ms */
	char *state_reason;
	int64_t idle_since;       /* ms: when the agent last became free */
};

int agent_alloc(struct agent **ap);

/* A routing rule of a business; rules are tried in position order. */
struct rule {
	char *id;
	char *business;
	int64_t position;
	char *match_url;          /* URL prefix, or a glob with * */
	char *match_title;        /* words, any of which in the title */
	char *match_agent;        /* the request's agent key */
	char *skills;             /* required skills */
	int64_t priority;         /* higher goes first */
	char *agent_id;           /* a specific agent */
};

int rule_alloc(struct rule **rp);

/*
 * A business's webhook endpoint. Every event row of one of its callbacks
 * whose type is in events ("" for all) is put in the webhook outbox in
 * the same transaction (schema.c), while enabled.
 */
struct webhook {
	char *id;
	char *business;
	char *url;                /* https://..., or http:// */
	char *secret;             /* the HMAC-SHA256 key of its signatures */
	char *events;             /* space-separated event types, "": all */
	int64_t enabled;          /* 1 or 0 */
	/* failed attempts in a row (the sender's, store_outbox_done); at
	 * webhook_fail_max the endpoint is stopped: failing_since (ms) is
	 * set and nothing is sent to it until an administrator enables it
	 * again (its deliveries wait in the outbox meanwhile) */
	int64_t failures;
	int64_t failing_since;    /* 0: not failing */
};

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
	const char *referrer;
	const char *client_ip;
	const char *idem_key;     /* Idempotency-Key or NULL */
	const char *idem_fp;      /* fingerprint of the request body */
	/* formats the answer (kept with idem_key), inside the store's
	 * transaction: possibly on a backend's own thread (pg.c), so it
	 * reads only answer_arg's own memory, no loop state */
	store_answer_h *answerh;
	void *answer_arg;
	int64_t now;              /* ms */
	/* the per-phone limits, counted in the transaction from the
	 * callbacks and joined requests of this business and phone (every
	 * node's): at most max in the last window_ms; max 0: none. Not
	 * for a browser's call (no phone). */
	struct store_limit {
		int64_t max;
		int64_t window_ms;
	} limits[2];
};

enum callback_outcome {
	CB_CREATED = 0,   /* a new callback */
	CB_JOINED,        /* an open callback for this phone serves it: a
			     request of its own, joined to that call */
	CB_REPLAY,        /* same Idempotency-Key: the first answer */
	CB_KEY_MISMATCH,  /* same Idempotency-Key, different request */
	CB_LIMITED,       /* a per-phone limit reached: nothing written,
			     retry_ms says when one more would count */
};

struct callback_created {
	enum callback_outcome outcome;
	char id[ID_LEN];
	char status[16];
	int64_t created_at;
	int64_t scheduled_for;
	int64_t position;         /* 0 when not queued */
	char call_id[ID_LEN];     /* CB_JOINED: the callback that serves it */
	char last_agent[64];      /* who last spoke with this number */
	char *answer;             /* the answer (the stored one for a replay);
				     not for CB_KEY_MISMATCH */
	int answer_status;        /* its HTTP status */
	int64_t retry_ms;         /* CB_LIMITED: the wait (>= 1) */
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
	enum callback_status status;
	bool open;                /* not yet in a final status */
	int64_t created_at;
	int64_t updated_at;
	int64_t scheduled_for;
	int64_t position;         /* the open list's; 0 elsewhere */
	char *page_url;
	char *page_title;
	char *name;
	char *note;
	char *agent_key;
	int64_t priority;
	int64_t attempts;         /* calls to the customer so far */
	char *agent_id;           /* the agent it is offered to or with */
	char *rule_id;
	int64_t lease_until;      /* a claim holds until then (ms) */
	char *ended_reason;
	char *assigned;           /* a supervisor's choice: "agent:ID" or a
				     team key, over the routing rules; "" */
	char *outcome;            /* JSON object of the wrap-up, or NULL (read
				   by store_callback_get and _history only) */
	size_t nevents;
	struct callback_event *events;
};

/*
 * A change of a callback's state, applied only if its status is still
 * from_status (compare and set: two workers can never both claim it),
 * with the event that records it. NULL/negative fields are left alone.
 * earlier: events of earlier changes the store could not take, written
 * before the change's own, each once (skipped where the callback has
 * one of that type at that ms: a write whose commit's answer was lost);
 * with them the change's own event may be NULL.
 */
struct callback_change {
	const char *id;
	enum callback_status from_status; /* CBS_ANY: any open one */
	enum callback_status status;      /* the new status */
	bool close;               /* a final status */
	int64_t scheduled_for;    /* -1: unchanged */
	int64_t attempts;         /* -1: unchanged */
	int64_t priority;         /* INT64_MIN: unchanged */
	const char *agent_id;
	const char *rule_id;
	int64_t lease_until;      /* -1: unchanged */
	const char *ended_reason;
	const char *assigned;     /* "agent:ID", a team key, or "" */
	const char *event;        /* event type, e.g. "offered" */
	bool event_public;
	const char *event_data;   /* JSON object text or NULL */
	const char *event2;       /* a second, private event, or NULL */
	const char *event2_data;
	const struct callback_event *earlier;
	size_t n_earlier;
	int64_t now;
};

void callback_change_init(struct callback_change *chg, const char *id,
			  int64_t now);

/* The new callback a create made, as the store would read it back. */
int callback_from_new(struct callback **cbp, const struct callback_new *r,
		      const struct callback_created *res);

typedef void (store_done_h)(int err, void *arg);
typedef void (store_obj_h)(int err, const void *obj, void *arg);
typedef void (store_list_h)(int err, void *const *v, size_t n, void *arg);
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

/*
 * A cluster's leader (several nodes on one PostgreSQL; docs/cluster.md).
 * One node at a time runs the ACD: the one whose store connection holds
 * PostgreSQL's session advisory lock. Taking it bumps the epoch (table
 * cluster, one row) and records the node, in one transaction; from then
 * on every fenced op (the ACD's writes: callback_update, the phone-agent
 * link, records put) first reads the epoch, FOR SHARE, and fails ESTALE
 * once another node has taken over: a stale leader can never claim a
 * callback, so never dial. A connection lost and made again takes the
 * lock again first; if another node has it, every fenced op is ESTALE.
 *
 * store_lead_try: h gets 0 and the new epoch (this node leads now),
 * EAGAIN (another node holds the lock) or the store's error; the node
 * records with it where the others reach its HTTP (url) and the secret
 * their relayed requests prove themselves with (migration 22). On SQLite
 * one process is the whole system: it always leads. store_leader_get:
 * who leads now (node NULL: nobody yet), the epoch, its url and secret
 * (NULL: none recorded). The stale
 * handler is told once, on the loop, when a fenced op came back ESTALE
 * or store_leader_get found another epoch than this node's (a leader
 * with nothing to write polls it to find out).
 */
typedef void (store_lead_h)(int err, uint64_t epoch, void *arg);
struct store_leader {
	const char *node;        /* NULL: nobody leads yet */
	const char *url;         /* NULL: none recorded */
	const char *secret;      /* NULL: none recorded */
	uint64_t epoch;
};

typedef void (store_leader_h)(int err, const struct store_leader *ld,
			      void *arg);
typedef void (store_stale_h)(void *arg);

int  store_lead_try(struct store *st, const struct store_leader *me,
		    store_lead_h *h, void *arg);
int  store_leader_get(struct store *st, store_leader_h *h, void *arg);
void store_set_stale_h(struct store *st, store_stale_h *h, void *arg);

/*
 * LISTEN/NOTIFY: how the nodes of a cluster tell each other of a change
 * (notify.c, pg_listen.c; docs/cluster.md, "LISTEN/NOTIFY"). A
 * notification is sent only if and when its transaction commits, and it
 * is a hint, never trusted alone: resynch is called after every
 * (re)connect, once every channel is listened to ("from now on you hear
 * every change; read the state now"), the first one included. On
 * PostgreSQL the listener has a connection of its own, on the loop,
 * connected again with a backoff when lost; on SQLite it hears what the
 * same store handle of this process commits. Handlers run on the loop
 * and must not destroy the listener (defer it).
 */
enum {
	STORE_CHANNEL_MAX = 63,    /* bytes: PostgreSQL's identifiers */
	STORE_PAYLOAD_MAX = 7999,  /* bytes: PostgreSQL's, "< 8000" */
};

/* a callback was made, joined, withdrawn or changed; payload: its id,
 * then a space and its status after the change where the change says it
 * (a hint for the leader: which notifications need a read;
 * store_callback_payload) */
extern const char store_ch_callbacks[];
/* a business was changed through the admin API; payload: none */
extern const char store_ch_businesses[];

/* a store_ch_callbacks payload: the callback's id (sz bytes, "" when
 * there is none or it does not fit) and its status, CBS_ANY when the
 * payload does not say it */
void store_callback_payload(const char *payload, char *id, size_t sz,
			    enum callback_status *hint);

struct store_listener;
typedef void (store_notify_h)(const char *channel, const char *payload,
			      void *arg);
typedef void (store_resync_h)(void *arg);

int  store_listen(struct store_listener **lp, struct store *st,
		  const char *const *channels, size_t n,
		  store_notify_h *notifyh, store_resync_h *resynch,
		  void *arg);
/* Tell channel's listeners payload once committed, nothing else
 * (EINVAL: no channel or too long; EMSGSIZE: payload too long). */
int  store_notify(struct store *st, const char *channel,
		  const char *payload);

/*
 * Records (see store_table): put inserts or, with replace, updates a row
 * whole (without replace an existing id is left alone and the handler
 * gets EALREADY, so start-up data never overwrites what an administrator
 * changed); a login already taken is EEXIST; get finds the first
 * row whose field equals value (ENOENT if none); list returns every row
 * in id order; delete removes a row (ENOENT if none).
 */
int  store_put(struct store *st, const struct store_table *t,
	       const void *obj, bool replace, store_done_h *h, void *arg);
int  store_get(struct store *st, const struct store_table *t,
	       const char *field, const char *value, store_obj_h *h,
	       void *arg);
int  store_list(struct store *st, const struct store_table *t,
		store_list_h *h, void *arg);
int  store_delete(struct store *st, const struct store_table *t,
		  const char *id, store_done_h *h, void *arg);

/*
 * Create a callback, in one transaction: replay an earlier answer for the
 * same Idempotency-Key (with a fresh cancel token for the request it
 * answered), else, when the business and phone have an open callback,
 * store the request as one of its own joined to that callback (CB_JOINED:
 * its own id and token; one call serves both), else insert the callback,
 * its cancel token and its "created" event. Either way the request is
 * logged for the rate limits.
 *
 * What a joined request is told never comes from the open callback: its
 * answer is the one a first request made at that moment would get (its
 * status from its own "when", its place among the business's queued
 * callbacks), and what its requester later sees (store_request_get) is
 * its own data and the shared call's progress after it was made.
 */
int  store_callback_create(struct store *st, const struct callback_new *req,
			   store_create_h *h, void *arg);

/* Open callbacks (struct callback, without events), in queue order
 * (priority, then oldest first), at most max of them; STORE_ALL: every
 * one. */
enum { STORE_ALL = 0 };
int  store_callbacks_open(struct store *st, size_t max, store_list_h *h,
			  void *arg);

/*
 * Apply a change (see struct callback_change): 0, ENOENT, or EALREADY when
 * the status was not from_status (someone else changed it first).
 */
int  store_callback_update(struct store *st,
			   const struct callback_change *chg,
			   store_done_h *h, void *arg);

/* What an agent recorded after a call. */
struct outcome {
	const char *callback_id;
	const char *business;
	const char *agent_id;
	const char *disposition;
	const char *product;
	int64_t quantity;
	int64_t amount_cents;
	const char *currency;     /* ISO 4217, e.g. "USD" */
	const char *order_ref;
	const char *notes;
	int64_t t;
};

/* Store it with a "wrap_up" event: EEXIST if one was recorded already. */
int  store_outcome_put(struct store *st, const struct outcome *o,
		       store_done_h *h, void *arg);

/* A business's figures since an instant (the supervisor's "today"). */
enum { FIGURES_CURRENCIES_MAX = 16 };
struct figures {
	int64_t requested;        /* every request, the canceled too */
	int64_t canceled;         /* by the customer */
	int64_t connected;
	int64_t connected_60s;    /* connected within 60 s of asking */
	int64_t median_connect_s; /* -1: none connected */
	int64_t abandoned;
	int64_t failed;
	int64_t no_human;         /* attempts ended by the guard: no key */
	int64_t sales;            /* every sale, with or without an amount */
	/* the amounts per currency, by code: amounts in different
	 * currencies cannot be added up; a sale with no amount is in the
	 * count above only */
	struct figures_total {
		char currency[4];
		int64_t sales;
		int64_t cents;
	} totalv[FIGURES_CURRENCIES_MAX];
	size_t totaln;
	bool totals_cut;          /* more currencies than totalv holds */
};
typedef void (store_figures_h)(int err, const struct figures *f, void *arg);
int  store_figures(struct store *st, const char *business, int64_t since,
		   store_figures_h *h, void *arg);

/*
 * Reports (src/report): one row per callback created in [lo, hi) ms, of
 * the businesses in scope (space-separated ids; NULL: every one), with
 * the one text column the report breaks down by. At most max rows:
 * E2BIG beyond (the caller narrows the range). Callback ids start with
 * their creation time, so the range is read from the primary key.
 */
enum store_report_key {
	SRK_NONE = 0,
	SRK_AGENT,
	SRK_KEY,                  /* the page's agent key (a team) */
	SRK_PAGE,                 /* page_url */
};

struct report_row {
	char *business;
	char *key;                /* the column asked for, or NULL */
	int64_t created_at;       /* ms */
	int64_t connect_ms;       /* request to first bridge; -1: never */
	enum callback_status status;
	bool sale;                /* its wrap-up says sale */
	char currency[4];         /* of the sale's amount, "" none */
	int64_t amount_cents;
};

int  store_report_rows(struct store *st, const char *scope, int64_t lo,
		       int64_t hi, enum store_report_key key, size_t max,
		       store_list_h *h, void *arg);

/*
 * The supervisors' search: callbacks (whole, with every event and the
 * wrap-up) created in [lo, hi) ms, newest first, at most max, each
 * filter applied when not NULL; before: only ids below it (the next
 * page).
 */
struct callback_search {
	const char *scope;        /* space-separated business ids */
	const char *business;
	const char *digits;       /* the phone number ends with these */
	const char *status;
	const char *agent;        /* had it, or recorded its wrap-up */
	const char *before;
	int64_t lo, hi;
	size_t max;
};

int  store_callbacks_search(struct store *st,
			    const struct callback_search *q,
			    store_list_h *h, void *arg);

/* A customer's earlier (closed) callbacks, newest first, without events. */
int  store_callback_history(struct store *st, const char *business,
			    const char *phone, size_t max, store_list_h *h,
			    void *arg);

/*
 * Store agent a's presence (state, state_since, state_reason,
 * idle_since) and nothing else of its record: ENOENT when no agent has
 * its id (removed meanwhile: not made again). A fenced write, the ACD's.
 */
int  store_agent_presence(struct store *st, const struct agent *a,
			  store_done_h *h, void *arg);

/* Remember, and look up, the agent who last spoke with a number. */
int  store_phone_agent_set(struct store *st, const char *business,
			   const char *phone, const char *agent_id,
			   store_done_h *h, void *arg);
typedef void (store_str_h)(int err, const char *value, void *arg);
int  store_phone_agent_get(struct store *st, const char *business,
			   const char *phone, store_str_h *h, void *arg);

/*
 * The desk's sessions (migration 23; src/api/agent.c keeps them in
 * memory too, the fast path): what a new leader or a restarted node
 * restores. hash is the cookie token's hash, never the token. Every
 * write is the leader's (fenced). store_session_put: a new one; the rows
 * that expired before `before` (and those of agents removed) deleted in
 * the same transaction: the caller leaves a margin for sessions whose
 * stored expiry lags the one in its memory. store_session_touch:
 * its expiry moved. store_session_end: one session (hash) or all of an
 * agent's (agent_id; the other NULL). store_sessions_live: the expired
 * ones and those of agents that no longer exist removed, then the rest
 * (struct store_session each) for the handler.
 */
struct store_session {
	char *hash;
	char *csrf;
	char *agent_id;
	enum agent_role role;
	char *businesses;
	int64_t expires;          /* ms */
};

int  store_session_put(struct store *st, const struct store_session *s,
		       int64_t before, store_done_h *h, void *arg);
int  store_session_touch(struct store *st, const char *hash,
			 int64_t expires, store_done_h *h, void *arg);
int  store_session_end(struct store *st, const char *hash,
		       const char *agent_id, store_done_h *h, void *arg);
int  store_sessions_live(struct store *st, int64_t now, store_list_h *h,
			 void *arg);

int  store_callback_get(struct store *st, const char *id, bool public_only,
			store_callback_h *h, void *arg);

/*
 * A request as its requester may see it, by the id its answer gave: a
 * callback's creator sees the callback (until it withdraws: then its
 * status is "canceled" and its events end there); a joined request sees
 * a view of its own (its id, times and "when"; the call's public events
 * after it joined; its status is its own waiting status until the call
 * moves on; position counts the business's callbacks queued before it).
 * Public events only; ENOENT if no request has that id.
 */
int  store_request_get(struct store *st, const char *id,
		       store_callback_h *h, void *arg);

/*
 * Withdraw a request with a cancel token's hash: 0, ENOENT (no such id),
 * EPERM (wrong token) or EALREADY (no longer cancelable: withdrawn
 * already, or the call has started). The callback is canceled when its
 * last request is withdrawn; until then the call goes on for the others.
 * The handler gets the request's view (store_request_get) after the
 * operation, and canceled: the id of the callback canceled, or NULL when
 * the call goes on (or on error).
 */
typedef void (store_cancel_h)(int err, const struct callback *view,
			      const char *canceled, void *arg);
int  store_callback_cancel(struct store *st, const char *id,
			   const char *token_hash, store_cancel_h *h,
			   void *arg);

/*
 * Requests seen since "since" (ms), oldest first, to rebuild the limits
 * after a restart; older rows are deleted.
 */
int  store_intake_since(struct store *st, int64_t since, store_intake_h *h,
			void *arg);

/*
 * The webhook outbox (schema.c fills it). store_outbox_due lists, oldest
 * first, at most max deliveries due at now, each the first pending one of
 * its callback at its endpoint (so that one callback's are sent in
 * order), as struct outbox_row objects; store_outbox_done records an
 * attempt's result.
 */
struct outbox_row {
	int64_t seq;
	char *webhook_id;
	char *url;
	char *secret;
	char *event_id;
	char *callback_id;
	char *payload;            /* JSON object: type, business, data,
				     callback */
	int64_t t;                /* the event's time, ms */
	int64_t attempts;
	/* store_outbox_list only */
	char *type;
	char *state;              /* pending, delivered or failed */
	int64_t next_at;
	int64_t last_status;
	char *last_error;
	int64_t delivered_at;
};

int  store_outbox_due(struct store *st, int64_t now, size_t max,
		      store_list_h *h, void *arg);

enum outbox_state {
	OUTBOX_PENDING = 0,       /* tried again at next_at */
	OUTBOX_DELIVERED,
	OUTBOX_FAILED,            /* given up */
};

struct outbox_result {
	int64_t seq;
	enum outbox_state state;
	int64_t attempts;
	int64_t next_at;          /* ms, for OUTBOX_PENDING */
	int64_t now;              /* ms */
	int status;               /* the HTTP status, 0: none */
	const char *error;        /* why it failed, or NULL */
	int64_t fail_max;         /* failed attempts in a row that stop the
				     endpoint (0: never) */
};

int  store_outbox_done(struct store *st, const struct outbox_result *r,
		       store_done_h *h, void *arg);

/*
 * An endpoint's deliveries, newest first, at most max (url and secret
 * left NULL); a replay makes delivery seq of that endpoint pending and
 * due now, whatever its state (ENOENT: no such delivery there).
 */
int  store_outbox_list(struct store *st, const char *webhook_id, size_t max,
		       store_list_h *h, void *arg);
int  store_outbox_replay(struct store *st, const char *webhook_id,
			 int64_t seq, store_done_h *h, void *arg);

#endif
