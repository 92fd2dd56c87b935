/* PLACEHOLDER until lead merges: SQLite only, this node always leads
 * with epoch 1; dropped when branch lead is merged. */
#include <errno.h>
#include <re.h>
#include "util/util.h"
#include "store/store.h"

struct lead_ph {
	store_lead_h *h;
	store_leader_h *lh;
	void *arg;
	char *node;
};


static void lead_ph_destructor(void *arg)
{
	struct lead_ph *p = arg;

	mem_deref(p->node);
}


static void ping_done(int err, void *arg)
{
	struct lead_ph *p = arg;

	if (p->h)
		p->h(err, err ? 0 : 1, p->arg);
	else
		p->lh(err, err ? NULL : p->node, err ? 0 : 1, p->arg);
	mem_deref(p);
}


int store_lead_try(struct store *st, const char *node_id,
		   store_lead_h *h, void *arg)
{
	struct lead_ph *p;
	int err;

	if (!st || !node_id || !h)
		return EINVAL;
	p = mem_zalloc(sizeof(*p), lead_ph_destructor);
	if (!p)
		return ENOMEM;
	p->h = h;
	p->arg = arg;
	err = store_ping(st, ping_done, p);
	if (err)
		mem_deref(p);

	return err;
}


int store_leader_get(struct store *st, store_leader_h *h, void *arg)
{
	(void)st;
	(void)h;
	(void)arg;

	return ENOSYS;
}


void store_set_stale_h(struct store *st, store_stale_h *h, void *arg)
{
	(void)st;
	(void)h;
	(void)arg;
}
