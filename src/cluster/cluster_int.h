/*
 * What cluster.c and relay.c share: the relays of a follower, listed in
 * its struct cluster (counted against relay_max_conns, dropped when the
 * leader changes, freed with it).
 */
#ifndef BECKON_CLUSTER_INT_H
#define BECKON_CLUSTER_INT_H

#include <stdint.h>
#include <re.h>
#include "cluster/cluster.h"

struct httpd_req;

/* where and how a request is relayed: the leader as last read */
struct cluster_relay_to {
	const char *url;
	const char *secret;
	const char *client;      /* the client's address, for the leader */
	uint64_t epoch;
	unsigned max;            /* relay_max_conns */
};

/* relay.c */
int  cluster_relay_start(struct cluster *cl, struct httpd_req *req,
			 const struct cluster_relay_to *to,
			 cluster_relay_fail_h *failh, void *arg);
void cluster_relays_drop(struct list *relays, struct list *idle,
			 uint64_t epoch);
void cluster_relays_free(struct list *relays, struct list *idle);

/* cluster.c: a relay counted in and out; the kept connections */
void cluster_relay_add(struct cluster *cl, struct le *le, void *r);
void cluster_relay_gone(struct cluster *cl);
unsigned cluster_relay_count(const struct cluster *cl);
struct list *cluster_relay_idle(struct cluster *cl);

#endif
