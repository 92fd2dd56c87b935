/*
 * The node's role: a follower tries the lead every CLUSTER_RETRY_MS
 * (store_lead_try) and, while another holds it, reads who does
 * (store_leader_get) for the API's 503 not_leader and the supervisor
 * view. Taking the lead calls lead once; from then on the node is the
 * leader until the store says otherwise (store_set_stale_h: a fenced
 * write refused, or the leader's own store_leader_get every second
 * finding another epoch), which is final: lost is called once and no
 * try follows.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#define LOG_SUBSYS "cluster"
#include "util/util.h"
#include "store/store.h"
#include "httpd/httpd.h"
#include "cluster/cluster.h"
#include "cluster/cluster_int.h"

struct cluster {
	struct store *st;
	struct cluster_handlers h;
	struct tmr tmr;
	char node[CLUSTER_NODE_MAX];
	char leader[CLUSTER_NODE_MAX];
	char url[CLUSTER_URL_MAX];        /* this node's cluster_url */
	char secret[CLUSTER_SECRET_MAX];  /* its relay proof, as leader */
	char leader_url[CLUSTER_URL_MAX];     /* "": not known */
	char leader_secret[CLUSTER_SECRET_MAX];
	uint64_t leader_epoch;
	struct list relays;        /* relay.c: connections relayed now */
	unsigned nrelays;
	struct list relay_idle;    /* relay.c: kept connections */
	enum cluster_role role;
	bool shared;
	bool started;              /* after cluster_start's first try */
	bool trying;               /* a store_lead_try on its way */
	bool reading;              /* a store_leader_get on its way */
	bool lost;
	int err;                   /* the first try's */
};

static const char *const role_names[] = {
	[CLUSTER_FOLLOWER] = "follower",
	[CLUSTER_LEADER]   = "leader",
};


const char *cluster_role_name(enum cluster_role role)
{
	return (size_t)role < ARRAY_SIZE(role_names) ? role_names[role] : "?";
}


int cluster_node_default(char *buf, size_t sz, const char *http_listen)
{
	char host[CLUSTER_NODE_MAX - 8];
	struct sa sa;

	if (!buf || !sz || !http_listen)
		return EINVAL;
	if (gethostname(host, sizeof(host)))
		return errno;
	host[sizeof(host) - 1] = '\0';
	if (sa_decode(&sa, http_listen, strlen(http_listen)))
		return EINVAL;
	if (re_snprintf(buf, sz, "%s:%u", host, sa_port(&sa)) < 0)
		return ENOSPC;

	return 0;
}


int cluster_url_parse(const char *url, struct sa *sa)
{
	struct pl hp;
	size_t n;

	if (!url || !sa || strncmp(url, "http://", 7))
		return EINVAL;

	hp.p = url + 7;
	n = strlen(hp.p);
	if (n && hp.p[n - 1] == '/')
		--n;
	hp.l = n;
	/* an address others can reach: not 0.0.0.0 nor :: */
	if (!hp.l || sa_decode(sa, hp.p, hp.l) || !sa_port(sa) ||
	    sa_is_any(sa))
		return EINVAL;

	return 0;
}


int cluster_url_resolve(char *buf, size_t sz, const char *url,
			const char *http_listen)
{
	struct sa sa;

	if (!buf || !sz || !url || !http_listen)
		return EINVAL;

	if (*url && strlen(url) >= sz)
		return ENAMETOOLONG;
	if (*url)
		str_bcpy(buf, url, sz);
	else if (re_snprintf(buf, sz, "http://%s", http_listen) < 0)
		return ENOSPC;

	return cluster_url_parse(buf, &sa);
}


static void lose(struct cluster *cl, const char *why)
{
	if (cl->lost)
		return;
	cl->lost = true;
	tmr_cancel(&cl->tmr);
	log_error("node %s no longer leads: %s", cl->node, why);
	cl->h.lost(why, cl->h.arg);
}


void cluster_lose(struct cluster *cl, const char *why)
{
	if (cl)
		lose(cl, why);
}


static void stale_h(void *arg)
{
	struct cluster *cl = arg;

	lose(cl, "another node has taken over (a fenced write was "
	     "refused, or the lock went with the store's connection)");
}


static void timeout(void *arg);
static void lead_h(int err, uint64_t epoch, void *arg);


/* the lock, and what the others need to relay to this node */
static int try_lead(struct cluster *cl)
{
	const struct store_leader me = {
		.node = cl->node,
		.url = cl->url,
		.secret = cl->secret,
	};

	return store_lead_try(cl->st, &me, lead_h, cl);
}

static void schedule(struct cluster *cl)
{
	if (cl->shared && !cl->lost)
		tmr_start(&cl->tmr, CLUSTER_RETRY_MS, timeout, cl);
}


static void leader_h(int err, const struct store_leader *ld, void *arg)
{
	struct cluster *cl = arg;

	cl->reading = false;
	if (err || cl->role != CLUSTER_FOLLOWER || !ld->node ||
	    ld->epoch == cl->leader_epoch)
		return;

	/* a new leader (a node restarted under the same id is one): what
	 * was relayed to the old one ends, the desks reconnect */
	cl->leader_epoch = ld->epoch;
	str_bcpy(cl->leader_url, ld->url ? ld->url : "",
		 sizeof(cl->leader_url));
	str_bcpy(cl->leader_secret, ld->secret ? ld->secret : "",
		 sizeof(cl->leader_secret));
	cluster_relays_drop(&cl->relays, &cl->relay_idle, cl->leader_epoch);
	if (!strcmp(cl->leader, ld->node))
		return;

	str_bcpy(cl->leader, ld->node, sizeof(cl->leader));
	log_info("node %s follows: the leader is %s (epoch %llu)", cl->node,
		 cl->leader, (unsigned long long)ld->epoch);
}


static void led(struct cluster *cl, uint64_t epoch)
{
	int err;

	cl->role = CLUSTER_LEADER;
	str_bcpy(cl->leader, cl->node, sizeof(cl->leader));
	cluster_relays_drop(&cl->relays, &cl->relay_idle, epoch);
	if (cl->shared)
		log_info("node %s leads now (epoch %llu)", cl->node,
			 (unsigned long long)epoch);

	err = cl->h.lead(epoch, cl->h.arg);
	if (err && !cl->started) {
		cl->err = err;
		return;
	}
	if (err) {
		lose(cl, "what a leader runs could not start");
		return;
	}
	if (cl->shared && cl->h.tick)
		cl->h.tick(cl->h.arg);
}


static void lead_h(int err, uint64_t epoch, void *arg)
{
	struct cluster *cl = arg;

	cl->trying = false;
	if (cl->lost)
		return;

	if (!err) {
		led(cl, epoch);
	}
	else if (err == EAGAIN) {
		if (!cl->reading && !store_leader_get(cl->st, leader_h, cl))
			cl->reading = true;
	}
	else {
		log_warn("trying to lead: %s", strerror(err));
		if (!cl->started)
			cl->err = err;
	}

	schedule(cl);
}


static void timeout(void *arg)
{
	struct cluster *cl = arg;
	int err;

	if (cl->role == CLUSTER_LEADER) {
		/* a leader with nothing to write learns it was replaced
		 * here (the store's stale handler) */
		if (!cl->reading && !store_leader_get(cl->st, leader_h, cl))
			cl->reading = true;
		if (cl->h.tick)
			cl->h.tick(cl->h.arg);
		schedule(cl);
		return;
	}

	/* the last one has not come back: the store is slow, wait */
	if (cl->trying || cl->reading) {
		schedule(cl);
		return;
	}

	err = try_lead(cl);
	if (err) {
		log_warn("trying to lead: %s", strerror(err));
		schedule(cl);
		return;
	}
	cl->trying = true;
}


int cluster_start(struct cluster *cl)
{
	int err;

	if (!cl || cl->started)
		return EINVAL;

	err = try_lead(cl);
	if (err)
		return err;
	cl->trying = true;

	/* start-up errors stay start-up errors: the first answer now (and
	 * who leads, if another node does) */
	store_flush(cl->st);
	cl->started = true;
	if (cl->trying)
		return ETIMEDOUT;

	return cl->err;
}


static void cluster_destructor(void *arg)
{
	struct cluster *cl = arg;

	tmr_cancel(&cl->tmr);
	store_set_stale_h(cl->st, NULL, NULL);
	cluster_relays_free(&cl->relays, &cl->relay_idle);
}


int cluster_alloc(struct cluster **clp, struct store *st,
		  const char *node_id, const char *url, bool shared,
		  const struct cluster_handlers *h)
{
	struct cluster *cl;
	int err;

	if (!clp || !st || !node_id || !*node_id || !url || !h ||
	    !h->lead || !h->lost)
		return EINVAL;
	if (strlen(node_id) >= CLUSTER_NODE_MAX ||
	    strlen(url) >= CLUSTER_URL_MAX)
		return ENAMETOOLONG;

	cl = mem_zalloc(sizeof(*cl), cluster_destructor);
	if (!cl)
		return ENOMEM;

	cl->st = st;
	cl->h = *h;
	cl->shared = shared;
	tmr_init(&cl->tmr);
	str_bcpy(cl->node, node_id, sizeof(cl->node));
	str_bcpy(cl->url, url, sizeof(cl->url));
	/* fresh each start: a relayed request proves it came from a node
	 * that read the store since this node took the lead */
	err = token_random(cl->secret, sizeof(cl->secret), 24);
	if (err) {
		mem_deref(cl);
		return err;
	}
	store_set_stale_h(st, stale_h, cl);

	*clp = cl;

	return 0;
}


enum cluster_role cluster_role(const struct cluster *cl)
{
	return cl ? cl->role : CLUSTER_FOLLOWER;
}


bool cluster_leads(const struct cluster *cl)
{
	return cl && cl->role == CLUSTER_LEADER && !cl->lost;
}


const char *cluster_node(const struct cluster *cl)
{
	return cl ? cl->node : "";
}


const char *cluster_leader(const struct cluster *cl)
{
	return cl ? cl->leader : "";
}


void cluster_relay_add(struct cluster *cl, struct le *le, void *r)
{
	list_append(&cl->relays, le, r);
	++cl->nrelays;
}


void cluster_relay_gone(struct cluster *cl)
{
	--cl->nrelays;
}


unsigned cluster_relay_count(const struct cluster *cl)
{
	return cl->nrelays;
}


struct list *cluster_relay_idle(struct cluster *cl)
{
	return &cl->relay_idle;
}


int cluster_relay(struct cluster *cl, struct httpd_req *req,
		  const char *client, unsigned max,
		  cluster_relay_fail_h *failh, void *arg)
{
	struct cluster_relay_to to;
	struct pl proof;

	if (!cl || !req || !client || !failh)
		return EINVAL;
	if (cluster_leads(cl))
		return EINVAL;
	/* a node's leader was stale: never a second hop (nor a loop) */
	if (httpd_req_hdr(req, CLUSTER_RELAY_HDR, &proof))
		return ELOOP;
	if (!*cl->leader_url || !*cl->leader_secret || !max)
		return EAGAIN;
	if (cl->nrelays >= max)
		return EBUSY;

	to.url = cl->leader_url;
	to.secret = cl->leader_secret;
	to.client = client;
	to.epoch = cl->leader_epoch;
	to.max = max;

	return cluster_relay_start(cl, req, &to, failh, arg);
}


bool cluster_relay_proof(const struct cluster *cl, const struct pl *proof)
{
	char buf[CLUSTER_SECRET_MAX];

	if (!cluster_leads(cl) || !proof || proof->l != strlen(cl->secret))
		return false;
	pl_strcpy(proof, buf, sizeof(buf));

	return token_equal(buf, cl->secret);
}
