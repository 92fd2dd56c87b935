/*
 * store's private interface: the function table each backend implements.
 * store.c checks arguments and dispatches; a backend queues the operation
 * and calls the handler once it is done (committed, for a write).
 */
#ifndef BECKON_STORE_INT_H
#define BECKON_STORE_INT_H

#include "store/store.h"

struct store_backend {
	const char *name;
	const char *scheme;   /* URL prefix, e.g. "sqlite:" */
	int  (*open)(void **bep, const char *path, size_t batch_max);
	void (*close)(void *be);
	int  (*flush)(void *be);
	int  (*ping)(void *be, store_done_h *h, void *arg);
	int  (*put)(void *be, const struct store_table *t, const void *obj,
		    bool replace, store_done_h *h, void *arg);
	int  (*get)(void *be, const struct store_table *t, const char *field,
		    const char *value, store_obj_h *h, void *arg);
	int  (*list)(void *be, const struct store_table *t, store_list_h *h,
		     void *arg);
	int  (*del)(void *be, const struct store_table *t, const char *id,
		    store_done_h *h, void *arg);
	int  (*callbacks_open)(void *be, size_t max, store_list_h *h,
				void *arg);
	int  (*callback_update)(void *be, const struct callback_change *chg,
				 store_done_h *h, void *arg);
	int  (*outcome_put)(void *be, const struct outcome *o,
			     store_done_h *h, void *arg);
	int  (*figures)(void *be, const char *business, int64_t since,
			store_figures_h *h, void *arg);
	int  (*report_rows)(void *be, const char *scope, int64_t lo,
			    int64_t hi, enum store_report_key key,
			    size_t max, store_list_h *h, void *arg);
	int  (*callbacks_search)(void *be, const struct callback_search *q,
				 store_list_h *h, void *arg);
	int  (*callback_history)(void *be, const char *business,
				  const char *phone, size_t max,
				  store_list_h *h, void *arg);
	int  (*phone_agent_set)(void *be, const char *business,
				 const char *phone, const char *agent_id,
				 store_done_h *h, void *arg);
	int  (*phone_agent_get)(void *be, const char *business,
				 const char *phone, store_str_h *h,
				 void *arg);
	int  (*callback_create)(void *be, const struct callback_new *req,
				store_create_h *h, void *arg);
	int  (*callback_get)(void *be, const char *id, bool public_only,
			     store_callback_h *h, void *arg);
	int  (*request_get)(void *be, const char *id, store_callback_h *h,
			    void *arg);
	int  (*callback_cancel)(void *be, const char *id,
				const char *token_hash, store_cancel_h *h,
				void *arg);
	int  (*intake_since)(void *be, int64_t since, store_intake_h *h,
			     void *arg);
	int  (*outbox_due)(void *be, int64_t now, size_t max,
			   store_list_h *h, void *arg);
	int  (*outbox_done)(void *be, const struct outbox_result *r,
			    store_done_h *h, void *arg);
	int  (*outbox_list)(void *be, const char *webhook_id, size_t max,
			    store_list_h *h, void *arg);
	int  (*outbox_replay)(void *be, const char *webhook_id, int64_t seq,
			      store_done_h *h, void *arg);
};

extern const struct store_backend store_sqlite;

/* frees what a struct callback holds (its mem destructor) */
void store_callback_destructor(void *arg);

/* the schema migrations, oldest first (schema.c) */
const char *const *store_sqlite_migrations(size_t *np);

#endif
