/*
 * Growing libre hash tables. libre's hash has a fixed number of buckets
 * chosen at allocation; a table whose size follows the traffic (the
 * ACD's open callbacks, the limiter's keys) would see its chains, and
 * every lookup on the hot path, grow with it. These tables start small
 * and move into one four times as large whenever they hold more than
 * two elements a bucket.
 */
#include <re.h>
#include "util/util.h"

struct move {
	struct hash *to;
	hash_key_h *keyh;
};


static bool move_handler(struct le *le, void *arg)
{
	struct move *mv = arg;
	void *data = le->data;

	/* safe: list_apply has already stepped past this element */
	hash_unlink(le);
	hash_append(mv->to, mv->keyh(data), le, data);

	return false;
}


void hash_fit(struct hash **hp, uint32_t *bsizep, uint32_t n,
	      uint32_t bmax, hash_key_h *keyh)
{
	struct move mv;
	uint32_t bsize;

	if (!hp || !*hp || !bsizep || !keyh || n <= 2 * *bsizep)
		return;

	bsize = *bsizep * 4;
	if (bsize > bmax || hash_alloc(&mv.to, bsize))
		return;

	mv.keyh = keyh;
	hash_apply(*hp, move_handler, &mv);
	mem_deref(*hp);
	*hp = mv.to;
	*bsizep = bsize;
}
