/*
 * libre's timers (tmr_start, tmr_cancel, tmr_poll, tmr_next_timeout),
 * kept in one list per delay instead of one sorted list.
 *
 * Why. libre 1.1.0 keeps every timer of the loop in one list sorted by
 * expiry, and tmr_start() finds a new timer's place by walking from the
 * tail over every timer that expires later. SIP keeps many long timers:
 * each answered outgoing leg holds its ACK 64*T1 (32 s) for 2xx
 * retransmissions, each transaction a 32 s timer B/F. At R calls a
 * second that is ~64 x R timers at the tail, walked by every shorter
 * timer started (T1 retransmissions, ring timeouts, the media clock):
 * at 300 calls/s the dialer spent over half its CPU in that walk
 * (perf: list_apply under tmr_start), and the cost per call grew with
 * the rate.
 *
 * How. Timers started with the same delay expire in the order they were
 * started (the clock only moves forward), so a list per delay stays
 * sorted by appending at its tail: O(1). The lists that hold timers are
 * in a binary heap by their first timer, so the next timer to run is the
 * heap's top and starting, cancelling or running one costs O(log D) for
 * D delays in use (a few dozen: T1 << n, T4, 64*T1, the ring and hold
 * times, the media clock). If the wall clock steps back, a new timer is
 * put in its place by walking back from the tail, as libre does.
 *
 * Exactly libre's order: by expiry, then by the order of tmr_start()
 * (a sequence number kept in the timer's le.data, which libre's own
 * tmr.c set to the timer itself and nobody reads). tmr_poll() reads the
 * clock once and runs every timer due by then, including zero-delay
 * timers started by a handler in the same millisecond; tmr_next_timeout()
 * answers 0 for none, 1 for a due timer, else the milliseconds to wait.
 *
 * How ours replace libre's. libre calls these four through its PLT (see
 * objdump -d libre.so.0), and a function the executable defines comes
 * before the shared library's, so libre's SIP stack, its sockets and its
 * loop all use these; libre's own list stays empty. tmr_init,
 * tmr_get_expire and tmr_jiffies are libre's: they only read the fields.
 * A libre that binds its own calls (-Bsymbolic, hidden visibility) would
 * keep its list: CMakeLists.txt refuses such a libre at configure time
 * (cmake/libre_interpose.c), and a unit test drives libre into these.
 *
 * One loop thread only, as libre's list without re_thread_init().
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "util/util.h"

enum {
	NCLASS = 256,           /* delays with a list of their own */
	NIDX = 1024,            /* open addressing: delay -> class */
};

struct tclass {
	struct list tl;         /* first: a timer's le.list leads here */
	uint64_t delay;
	uint32_t hidx;          /* place in the heap while it holds any */
	bool used;              /* assigned to delay */
};

static struct {
	struct tclass cls[NCLASS];
	struct tclass misc;     /* when every class is taken */
	uint16_t idx[NIDX];     /* class number + 1, 0 for free */
	unsigned nused;
	struct tclass *heap[NCLASS + 1];
	uint32_t nheap;
	uintptr_t seq;
	uint32_t ntimers;
} tq;


static inline struct tclass *class_of(const struct tmr *tmr)
{
	return (struct tclass *)(void *)tmr->le.list;
}


static inline struct tmr *first(const struct tclass *c)
{
	return (struct tmr *)(void *)c->tl.head;
}


static inline uintptr_t seq_of(const struct tmr *tmr)
{
	return (uintptr_t)tmr->le.data;
}


/* does a run before b: expiry first, then the order of starting */
static inline bool before(const struct tmr *a, const struct tmr *b)
{
	if (a->jfs != b->jfs)
		return a->jfs < b->jfs;

	return (intptr_t)(seq_of(a) - seq_of(b)) < 0;
}


static inline bool class_before(const struct tclass *a,
				const struct tclass *b)
{
	return before(first(a), first(b));
}


static void heap_set(uint32_t i, struct tclass *c)
{
	tq.heap[i] = c;
	c->hidx = i;
}


static void sift_up(uint32_t i)
{
	struct tclass *c = tq.heap[i];

	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (!class_before(c, tq.heap[p]))
			break;
		heap_set(i, tq.heap[p]);
		i = p;
	}
	heap_set(i, c);
}


static void sift_down(uint32_t i)
{
	struct tclass *c = tq.heap[i];

	for (;;) {
		uint32_t l = 2 * i + 1, m;

		if (l >= tq.nheap)
			break;
		m = l;
		if (l + 1 < tq.nheap &&
		    class_before(tq.heap[l + 1], tq.heap[l]))
			m = l + 1;
		if (!class_before(tq.heap[m], c))
			break;
		heap_set(i, tq.heap[m]);
		i = m;
	}
	heap_set(i, c);
}


static void heap_remove(struct tclass *c)
{
	uint32_t i = c->hidx;
	struct tclass *last = tq.heap[--tq.nheap];

	if (last == c)
		return;

	heap_set(i, last);
	if (i > 0 && class_before(last, tq.heap[(i - 1) / 2]))
		sift_up(i);
	else
		sift_down(i);
}


static inline uint32_t idx_slot(uint64_t delay)
{
	return (uint32_t)((delay * 0x9e3779b97f4a7c15ULL) >> 54) &
		(NIDX - 1);
}


static void idx_add(struct tclass *c)
{
	uint32_t i = idx_slot(c->delay);

	while (tq.idx[i])
		i = (i + 1) & (NIDX - 1);
	tq.idx[i] = (uint16_t)(c - tq.cls + 1);
}


/* Forget the delays whose lists are empty, to make room for others. */
static void classes_compact(void)
{
	unsigned i;

	memset(tq.idx, 0, sizeof(tq.idx));
	tq.nused = 0;

	for (i = 0; i < NCLASS; i++) {
		struct tclass *c = &tq.cls[i];

		if (!c->used)
			continue;
		if (list_isempty(&c->tl)) {
			c->used = false;
			continue;
		}
		idx_add(c);
		++tq.nused;
	}
}


static struct tclass *class_get(uint64_t delay)
{
	uint32_t i = idx_slot(delay);
	unsigned k;

	while (tq.idx[i]) {
		struct tclass *c = &tq.cls[tq.idx[i] - 1];

		if (c->delay == delay)
			return c;
		i = (i + 1) & (NIDX - 1);
	}

	if (tq.nused >= NCLASS)
		classes_compact();
	if (tq.nused >= NCLASS)
		return &tq.misc;        /* a sorted list like libre's */

	for (k = 0; k < NCLASS; k++) {
		struct tclass *c = &tq.cls[k];

		if (c->used)
			continue;
		c->used = true;
		c->delay = delay;
		idx_add(c);
		++tq.nused;
		return c;
	}

	return &tq.misc;
}


static void timer_unlink(struct tmr *tmr)
{
	struct tclass *c = class_of(tmr);
	bool was_first;

	if (!c)
		return;

	was_first = c->tl.head == &tmr->le;
	list_unlink(&tmr->le);
	--tq.ntimers;

	if (list_isempty(&c->tl))
		heap_remove(c);
	else if (was_first)
		sift_down(c->hidx);
}


void tmr_start(struct tmr *tmr, uint64_t delay, tmr_h *th, void *arg)
{
	struct tclass *c;
	struct le *le;
	bool was_empty;

	if (!tmr)
		return;

	if (tmr->th)
		timer_unlink(tmr);

	tmr->th = th;
	tmr->arg = arg;

	if (!th)
		return;

	tmr->jfs = delay + tmr_jiffies();
	c = class_get(delay);
	was_empty = list_isempty(&c->tl);

	/* after the last that expires no later: the tail, unless the
	 * clock stepped back (or this is the mixed list) */
	for (le = c->tl.tail; le; le = le->prev) {
		if (((struct tmr *)(void *)le)->jfs <= tmr->jfs)
			break;
	}

	if (le)
		list_insert_after(&c->tl, le, &tmr->le,
				  (void *)tq.seq++);
	else
		list_prepend(&c->tl, &tmr->le, (void *)tq.seq++);
	++tq.ntimers;

	if (was_empty) {
		heap_set(tq.nheap++, c);
		sift_up(c->hidx);
	}
	else if (c->tl.head == &tmr->le) {
		sift_up(c->hidx);
	}
}


void tmr_cancel(struct tmr *tmr)
{
	tmr_start(tmr, 0, NULL, NULL);
}


void tmr_poll(struct list *tmrl)
{
	const uint64_t jfs = tmr_jiffies();

	(void)tmrl;

	while (tq.nheap) {
		struct tmr *tmr = first(tq.heap[0]);
		tmr_h *th;
		void *arg;

		if (tmr->jfs > jfs)
			break;

		th = tmr->th;
		arg = tmr->arg;
		tmr->th = NULL;
		timer_unlink(tmr);

		if (th)
			th(arg);
	}
}


uint64_t tmr_next_timeout(struct list *tmrl)
{
	const uint64_t jfs = tmr_jiffies();
	const struct tmr *tmr;

	(void)tmrl;

	if (!tq.nheap)
		return 0;

	tmr = first(tq.heap[0]);

	return tmr->jfs <= jfs ? 1 : tmr->jfs - jfs;
}


int tmr_status(struct re_printf *pf, void *unused)
{
	(void)unused;

	if (!tq.ntimers)
		return 0;

	return re_hprintf(pf, "Timers (%u, in %u lists by delay)\n",
			  tq.ntimers, tq.nheap);
}


void tmr_debug(void)
{
	if (tq.ntimers)
		(void)re_fprintf(stderr, "%H", tmr_status, NULL);
}


uint32_t timer_count(void)
{
	return tq.ntimers;
}
