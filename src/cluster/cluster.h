/*
 * cluster: this node's part among several `beckon serve` on one store
 * (docs/cluster.md, "One ACD brain, many edges"). Exactly one node leads:
 * the one whose store holds the leader lock (store_lead_try); it runs
 * the ACD and drives the dialers. The others follow: they take intake
 * and try the lock again every second, so that one of them leads within
 * a second or two of the leader's death. On SQLite the one process is
 * the whole system and leads at once.
 *
 * A node that loses the lead (its fenced writes refused, or its lock
 * gone with its connection) is told once (lost): it must stop acting at
 * once. app.c exits then, for its supervisor to start it again as a
 * follower: a half-demoted ACD with calls and timers of its own is not
 * something to reason about.
 */
#ifndef BECKON_CLUSTER_H
#define BECKON_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct cluster;

enum cluster_role {
	CLUSTER_FOLLOWER = 0,
	CLUSTER_LEADER,
};

const char *cluster_role_name(enum cluster_role role);

enum {
	CLUSTER_NODE_MAX = 128,       /* a node id and its NUL */
	CLUSTER_RETRY_MS = 1000,      /* a follower's try, the leader's tick */
};

/* The default node id: the host name and http_listen's port, HOST:PORT */
int cluster_node_default(char *buf, size_t sz, const char *http_listen);

/*
 * What the node does as its role changes, on the loop:
 *   lead:  this node leads now (epoch): start what a leader runs; an
 *          error at start-up is cluster_start's, later it is lost;
 *   lost:  the lead is lost (why): stop acting, at once;
 *   tick:  every CLUSTER_RETRY_MS while leading a shared store (NULL:
 *          none), and once at once after taking the lead.
 */
struct cluster_handlers {
	int  (*lead)(uint64_t epoch, void *arg);
	void (*lost)(const char *why, void *arg);
	void (*tick)(void *arg);
	void *arg;
};

/* shared: several nodes may use st (PostgreSQL): followers retry and the
 * leader ticks; otherwise the node leads at its first try */
int  cluster_alloc(struct cluster **clp, struct store *st,
		   const char *node_id, bool shared,
		   const struct cluster_handlers *h);
/* The first try, synchronously (the store flushed): 0 when this node
 * leads or follows, else lead's error or the store's. */
int  cluster_start(struct cluster *cl);

/* the lead is lost, as another than the store found (a dialer heard a
 * newer leader): lost is called, once */
void cluster_lose(struct cluster *cl, const char *why);

enum cluster_role cluster_role(const struct cluster *cl);
bool cluster_leads(const struct cluster *cl);
const char *cluster_node(const struct cluster *cl);
/* the leader's node id as last seen ("" not known yet) */
const char *cluster_leader(const struct cluster *cl);

#endif
