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
struct sa;
struct pl;
struct mbuf;
struct httpd_req;

enum cluster_role {
	CLUSTER_FOLLOWER = 0,
	CLUSTER_LEADER,
};

const char *cluster_role_name(enum cluster_role role);

enum {
	CLUSTER_NODE_MAX = 128,       /* a node id and its NUL */
	CLUSTER_RETRY_MS = 1000,      /* a follower's try, the leader's tick */
	CLUSTER_URL_MAX = 256,        /* a cluster_url and its NUL */
	CLUSTER_SECRET_MAX = 64,      /* a relay proof and its NUL */
	CLUSTER_RELAY_CONNECT_MS = 2000,  /* a relay's connect to the
					     leader, at most */
	/* a kept connection to the leader closes after this long unused:
	 * under the leader's http_idle_timeout (60 s by default), so the
	 * follower closes it first */
	CLUSTER_RELAY_IDLE_MS = 15000,
	CLUSTER_RELAY_HEAD_MAX = 16384,   /* the leader's answer's head */
	CLUSTER_RELAY_ANSWER_MAX = 16 * 1024 * 1024,  /* and its body */
};

/* the header of a relayed request that proves a node sent it */
#define CLUSTER_RELAY_HDR "X-Beckon-Relay"

/* The default node id: the host name and http_listen's port, HOST:PORT */
int cluster_node_default(char *buf, size_t sz, const char *http_listen);

/*
 * cluster_url, where the other nodes reach this node's HTTP: parse checks
 * one (http://ADDR:PORT, ADDR an IP address other than 0.0.0.0 or ::,
 * an optional final '/'; EINVAL otherwise) into *sa. resolve: url, or
 * when empty http:// and http_listen, into buf, checked.
 */
int cluster_url_parse(const char *url, struct sa *sa);
int cluster_url_resolve(char *buf, size_t sz, const char *url,
			const char *http_listen);

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
		   const char *node_id, const char *url, bool shared,
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

/*
 * The desk across nodes (relay.c; docs/cluster.md). On a follower,
 * cluster_relay relays req to the leader: 0, the request is the relay's
 * (fail gets it back, unanswered, if the leader cannot be reached);
 * EBUSY, max relays already; ELOOP, req was relayed by a node already;
 * EAGAIN, the leader or its url is not known, or max is 0; EINVAL,
 * this node leads.
 * client is the client's address, sent on as X-Forwarded-For.
 * cluster_relay_head is its head rewriting, cluster_relay_answer_hdrs
 * the answer's header lines as the client gets them (pure, for the unit
 * tests).
 * On the leader, cluster_relay_proof tells a relayed request's proof
 * (the CLUSTER_RELAY_HDR header) from a forged one.
 */
typedef void (cluster_relay_fail_h)(struct httpd_req *req, void *arg);

int  cluster_relay(struct cluster *cl, struct httpd_req *req,
		   const char *client, unsigned max,
		   cluster_relay_fail_h *failh, void *arg);
int  cluster_relay_head(struct mbuf *mb, const struct pl *head,
			const char *client, const char *secret);
int  cluster_relay_answer_hdrs(struct mbuf *mb, const struct pl *head);
bool cluster_relay_proof(const struct cluster *cl, const struct pl *proof);

#endif
