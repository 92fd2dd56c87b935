/*
 * The desk across nodes (docs/cluster.md, "The desk across nodes"): a
 * follower relays a request that needs the ACD to the leader, whose
 * live memory the desk's state is, rather than mirror that state.
 *
 * A relay first connects to the leader's cluster_url (libre's
 * tcp_connect, on the loop) while the request waits unanswered; only
 * once connected does it take the client's connection over
 * (httpd_raw_take), send the request's head rewritten (relay_head, below)
 * and its body, then copy bytes both ways until either side closes. A
 * WebSocket's upgrade so becomes a byte relay after the leader's 101; a
 * plain request goes with "Connection: close" (one request per relayed
 * connection: the proof and the client's address are in each head, and
 * the relay never parses what follows). Not connected within
 * CLUSTER_RELAY_CONNECT_MS, or refused: the request is handed back (fail)
 * for the old 503 not_leader.
 *
 * States: CONNECTING (the request still the API's), RELAYING (the
 * connection ours), ENDING (both closed on the next loop turn: a relay is
 * never freed inside one of its own sockets' handlers).
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#define LOG_SUBSYS "cluster"
#include "util/util.h"
#include "httpd/httpd.h"
#include "cluster/cluster.h"
#include "cluster/cluster_int.h"

enum relay_state {
	RELAY_CONNECTING = 0,
	RELAY_RELAYING,
	RELAY_ENDING,
};

struct relay {
	struct le le;              /* in the cluster's relays */
	struct cluster *cl;
	struct httpd_req *req;     /* CONNECTING: the API's, not answered */
	struct httpd_raw *raw;     /* RELAYING: the client's connection */
	struct tcp_conn *tc;       /* to the leader */
	struct mbuf *out;          /* the rewritten head and the body */
	struct tmr tmr;            /* connect timeout; the end */
	enum relay_state state;
	uint64_t epoch;            /* the leader's it was made for */
	cluster_relay_fail_h *failh;
	void *arg;
};


static bool hdr_is(const struct pl *line, const char *name)
{
	size_t n = strlen(name);

	return line->l > n && line->p[n] == ':' &&
		!strncasecmp(line->p, name, n);
}


/* the line at p into *line, without its CRLF or LF; where the next
 * begins */
static const char *next_line(struct pl *line, const char *p,
			     const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	line->p = p;
	line->l = (size_t)((nl ? nl : end) - p);
	if (line->l && line->p[line->l - 1] == '\r')
		--line->l;

	return nl ? nl + 1 : end;
}


/*
 * The head the leader gets: the client's, less what only a node may say
 * (its X-Forwarded-For, a relay proof) and, unless it upgrades, its
 * connection options; then the client's address, the proof and, unless
 * it upgrades, Connection: close.
 */
int cluster_relay_head(struct mbuf *mb, const struct pl *head,
		       const char *client, const char *secret)
{
	const char *p, *end;
	bool upgrade = false, first = true;
	int err = 0;

	if (!mb || !head || !client || !secret)
		return EINVAL;
	p = head->p;
	end = head->p + head->l;

	/* a first pass for the upgrade, which decides Connection's fate */
	while (p < end) {
		struct pl line;

		p = next_line(&line, p, end);
		if (hdr_is(&line, "Upgrade"))
			upgrade = true;
	}

	for (p = head->p; p < end && !err;) {
		struct pl line;

		p = next_line(&line, p, end);
		if (!line.l)
			break;  /* the blank line: ours follow */
		if (!first && (hdr_is(&line, "X-Forwarded-For") ||
			       hdr_is(&line, CLUSTER_RELAY_HDR) ||
			       (!upgrade && (hdr_is(&line, "Connection") ||
					     hdr_is(&line, "Keep-Alive")))))
			continue;
		first = false;
		err = mbuf_printf(mb, "%r\r\n", &line);
	}
	if (first)
		return EBADMSG;

	err |= mbuf_printf(mb, "X-Forwarded-For: %s\r\n%s: %s\r\n", client,
			   CLUSTER_RELAY_HDR, secret);
	if (!upgrade)
		err |= mbuf_write_str(mb, "Connection: close\r\n");
	err |= mbuf_write_str(mb, "\r\n");

	return err;
}


static void relay_destructor(void *arg)
{
	struct relay *r = arg;

	tmr_cancel(&r->tmr);
	list_unlink(&r->le);
	if (r->cl)
		cluster_relay_gone(r->cl);
	mem_deref(r->tc);
	mem_deref(r->raw);
	mem_deref(r->out);
	/* only at shutdown: the server that held it is gone */
	mem_deref(r->req);
}


static void end_now(void *arg)
{
	mem_deref(arg);
}


/* close both sides, on the next loop turn */
static void relay_end(struct relay *r)
{
	if (r->state == RELAY_ENDING)
		return;
	r->state = RELAY_ENDING;
	tmr_start(&r->tmr, 0, end_now, r);
}


/* not connected: the request goes back to the API (503 not_leader) */
static void relay_fail(struct relay *r, int err)
{
	struct httpd_req *req = r->req;

	log_warn("relay to the leader %s: %s", cluster_leader(r->cl),
		 strerror(err));
	r->req = NULL;
	r->tc = mem_deref(r->tc);
	relay_end(r);
	if (req)
		r->failh(req, r->arg);
}


static void connect_timeout(void *arg)
{
	relay_fail(arg, ETIMEDOUT);
}


static void client_recv(struct mbuf *mb, void *arg)
{
	struct relay *r = arg;

	if (r->state == RELAY_RELAYING && tcp_send(r->tc, mb))
		relay_end(r);
}


static void client_close(int err, void *arg)
{
	(void)err;
	relay_end(arg);
}


static void leader_estab(void *arg)
{
	struct relay *r = arg;
	struct httpd_req *req = r->req;
	int err;

	tmr_cancel(&r->tmr);
	err = httpd_raw_take(&r->raw, req, client_recv, client_close, r);
	if (err) {
		relay_fail(r, err);
		return;
	}
	r->req = NULL;
	r->state = RELAY_RELAYING;

	r->out->pos = 0;
	if (tcp_send(r->tc, r->out))
		relay_end(r);
	r->out = mem_deref(r->out);
}


static void leader_recv(struct mbuf *mb, void *arg)
{
	struct relay *r = arg;

	if (r->state == RELAY_RELAYING && httpd_raw_send(r->raw, mb))
		relay_end(r);
}


static void leader_close(int err, void *arg)
{
	struct relay *r = arg;

	if (r->state == RELAY_CONNECTING) {
		relay_fail(r, err ? err : ECONNRESET);
		return;
	}
	relay_end(r);
}


/* the request's head and body as the leader gets them, into r->out */
static int relay_out(struct relay *r, struct httpd_req *req,
		     const char *client, const char *secret)
{
	const struct pl *body = httpd_req_body(req);
	struct pl head;
	int err;

	httpd_req_head(req, &head);
	r->out = mbuf_alloc(head.l + body->l + 256);
	if (!r->out)
		return ENOMEM;
	err = cluster_relay_head(r->out, &head, client, secret);
	if (!err && body->l)
		err = mbuf_write_pl(r->out, body);

	return err;
}


int cluster_relay_start(struct cluster *cl, struct httpd_req *req,
			const struct cluster_relay_to *to,
			cluster_relay_fail_h *failh, void *arg)
{
	struct relay *r;
	struct sa sa;
	int err;

	if (cluster_url_parse(to->url, &sa))
		return EAGAIN;

	r = mem_zalloc(sizeof(*r), relay_destructor);
	if (!r)
		return ENOMEM;
	r->cl = cl;
	r->failh = failh;
	r->arg = arg;
	r->epoch = to->epoch;
	tmr_init(&r->tmr);

	err = relay_out(r, req, to->client, to->secret);
	if (!err)
		err = tcp_connect(&r->tc, &sa, leader_estab, leader_recv,
				  leader_close, r);
	if (err) {
		r->cl = NULL;
		mem_deref(r);
		return err;
	}

	r->req = req;
	tmr_start(&r->tmr, CLUSTER_RELAY_CONNECT_MS, connect_timeout, r);
	cluster_relay_add(cl, &r->le, r);

	return 0;
}


/* relays made for another leader than epoch's: they end */
void cluster_relays_drop(struct list *relays, uint64_t epoch)
{
	struct le *le;

	for (le = relays->head; le; le = le->next) {
		struct relay *r = le->data;

		if (r->epoch == epoch)
			continue;
		if (r->state == RELAY_CONNECTING)
			relay_fail(r, ECONNABORTED);
		else
			relay_end(r);
	}
}


void cluster_relays_free(struct list *relays)
{
	struct le *le = relays->head;

	while (le) {
		struct relay *r = le->data;

		le = le->next;
		r->cl = NULL;
		mem_deref(r);
	}
}
