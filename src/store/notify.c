/*
 * LISTEN/NOTIFY, whatever the backend (store.h says the contract,
 * docs/cluster.md why): the checks of a channel and a payload, written
 * once; the listener object, which a backend keeps heard (SQLite: its
 * own list, sqlite.c; PostgreSQL: a connection of its own, pg_listen.c);
 * and the fire-and-forget op store_notify.
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "store"
#include "util/util.h"
#include "store/store_int.h"

const char store_ch_callbacks[] = "beckon_callbacks";
const char store_ch_businesses[] = "beckon_businesses";


static int channel_check(const char *channel)
{
	size_t n = channel ? strlen(channel) : 0;

	return n && n <= STORE_CHANNEL_MAX ? 0 : EINVAL;
}


static int notify_check(const char *channel, const char *payload)
{
	if (channel_check(channel))
		return EINVAL;

	return payload && strlen(payload) > STORE_PAYLOAD_MAX ? EMSGSIZE : 0;
}


int store_run_notify(struct store_tx *tx, const char *channel,
		     const char *payload)
{
	int err = notify_check(channel, payload);

	if (err)
		return err;

	return tx->ops->notify(tx, channel, payload ? payload : "");
}


int store_run_notify_callback(struct store_tx *tx, const char *id,
			      enum callback_status st)
{
	char payload[ID_LEN + 32];

	if (!id)
		return EINVAL;
	if (re_snprintf(payload, sizeof(payload), "%s%s%s", id,
			st == CBS_ANY ? "" : " ",
			st == CBS_ANY ? "" : callback_status_name(st)) < 0)
		return EMSGSIZE;

	return store_run_notify(tx, store_ch_callbacks, payload);
}


void store_callback_payload(const char *payload, char *id, size_t sz,
			    enum callback_status *hint)
{
	const char *sp = payload ? strchr(payload, ' ') : NULL;
	size_t n = payload ? (sp ? (size_t)(sp - payload) : strlen(payload))
			   : 0;

	*hint = CBS_ANY;
	if (!sz)
		return;
	*id = '\0';
	if (n >= sz)
		return;
	memcpy(id, payload, n);
	id[n] = '\0';
	if (sp && callback_status_parse(sp + 1, hint))
		*hint = CBS_ANY;
}


/* ---- the listener ---- */

static void listener_destructor(void *arg)
{
	struct store_listener *l = arg;
	size_t i;

	list_unlink(&l->le);
	tmr_cancel(&l->tmr);
	mem_deref(l->pg);
	for (i = 0; i < l->n; i++)
		mem_deref(l->channels[i]);
	mem_deref(l->channels);
}


void store_listener_heard(struct store_listener *l, const char *channel,
			  const char *payload)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (!strcmp(l->channels[i], channel)) {
			l->notifyh(channel, payload, l->arg);
			return;
		}
	}
}


static void resync_tmr(void *arg)
{
	struct store_listener *l = arg;

	l->resynch(l->arg);
}


void store_listener_local(struct store_listener *l, struct list *lst)
{
	list_append(lst, &l->le, l);
	tmr_start(&l->tmr, 0, resync_tmr, l);
}


int store_listen(struct store_listener **lp, struct store *st,
		 const char *const *channels, size_t n,
		 store_notify_h *notifyh, store_resync_h *resynch, void *arg)
{
	struct store_listener *l;
	size_t i;
	int err = 0;

	if (!lp || !st || !channels || !n || !notifyh || !resynch)
		return EINVAL;
	for (i = 0; i < n; i++) {
		if (channel_check(channels[i]))
			return EINVAL;
	}

	l = mem_zalloc(sizeof(*l), listener_destructor);
	if (!l)
		return ENOMEM;
	tmr_init(&l->tmr);
	l->notifyh = notifyh;
	l->resynch = resynch;
	l->arg = arg;

	l->channels = mem_zalloc(n * sizeof(*l->channels), NULL);
	if (!l->channels) {
		err = ENOMEM;
		goto out;
	}
	for (i = 0; i < n && !err; i++, l->n++)
		err = str_dup(&l->channels[i], channels[i]);
	if (!err)
		err = store_backend_listen(st, l);

 out:
	if (err)
		mem_deref(l);
	else
		*lp = l;

	return err;
}


/* ---- store_notify: the fire-and-forget op ---- */

struct op_notify {
	struct store_op op;
	char *channel;
	char *payload;
};


static int notify_run(struct store_tx *tx, struct store_op *op)
{
	struct op_notify *o = (struct op_notify *)op;

	return store_run_notify(tx, o->channel, o->payload);
}


/* nobody waits for it: a failure is only logged */
static void notify_done(struct store_op *op)
{
	struct op_notify *o = (struct op_notify *)op;

	if (op->err)
		log_warn("notify %s: %s", o->channel, strerror(op->err));
}


static void notify_dh(struct store_op *op)
{
	struct op_notify *o = (struct op_notify *)op;

	mem_deref(o->channel);
	mem_deref(o->payload);
}


static const struct store_op_desc notify_desc = {
	.name = "notify",
	.writes = true,
	.run = notify_run,
	.done = notify_done,
	.dh = notify_dh,
};


int store_notify(struct store *st, const char *channel, const char *payload)
{
	struct op_notify *o;
	int err;

	if (!st)
		return EINVAL;
	err = notify_check(channel, payload);
	if (err)
		return err;

	o = store_op_alloc(sizeof(*o), &notify_desc, NULL);
	if (!o)
		return ENOMEM;
	err = str_dup(&o->channel, channel);
	if (!err)
		err = str_dup(&o->payload, payload ? payload : "");

	return store_op_queue(st, o, err);
}
