/*
 * The ng client: one UDP socket towards one rtpengine, its outstanding
 * requests in a hash by cookie.
 *
 * A cookie is the client's random 64-bit prefix and a sequence number:
 * rtpengine answers a cookie it has seen from its cache for a while, so a
 * beckon restarted within that while must not reuse the previous one's
 * cookies. Replies are taken only from the ng address itself; a reply
 * for no outstanding cookie (a late answer to a retransmission) or one
 * that does not parse is dropped, and the request goes on trying.
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "rtpengine"
#include "util/util.h"
#include "rtpengine/rtpengine.h"

enum { REQ_HASH = 64 };

struct rtpengine {
	struct udp_sock *us;
	struct sa ng;
	char name[64];              /* ng, printed once for the log */
	struct hash *reqs;          /* outstanding rtpengine_req, by cookie */
	uint64_t prefix;
	uint32_t seq;
};

struct rtpengine_req {
	struct le he;
	struct rtpengine *r;        /* set while outstanding */
	char cookie[RTPENGINE_COOKIE_MAX + 1];
	char command[16];           /* for the log */
	struct mbuf *mb;            /* the datagram, sent again as is */
	struct tmr tmr;
	unsigned tries;
	bool owned;                 /* by the client: nobody holds it */
	rtpengine_h *h;
	void *arg;
};


static void req_destructor(void *arg)
{
	struct rtpengine_req *req = arg;

	hash_unlink(&req->he);
	tmr_cancel(&req->tmr);
	mem_deref(req->mb);
}


/* take req out of the client: no more tries, no reply matched */
static void req_detach(struct rtpengine_req *req)
{
	hash_unlink(&req->he);
	tmr_cancel(&req->tmr);
	req->r = NULL;
}


/* the request's end: its handler is its last act, and may free it */
static void req_complete(struct rtpengine_req *req, int err,
			 const struct odict *reply)
{
	rtpengine_h *h = req->h;
	void *arg = req->arg;

	req_detach(req);
	if (req->owned) {
		if (h)
			h(err, reply, arg);
		mem_deref(req);
		return;
	}
	if (h)
		h(err, reply, arg);
}


static void req_transmit(struct rtpengine_req *req);

static void req_timeout(void *arg)
{
	struct rtpengine_req *req = arg;

	if (req->tries >= RTPENGINE_TRIES) {
		log_warn("%s: no reply from %s after %u tries",
			 req->command, req->r->name, req->tries);
		req_complete(req, ETIMEDOUT, NULL);
		return;
	}
	req_transmit(req);
}


static void req_transmit(struct rtpengine_req *req)
{
	int err;

	++req->tries;
	req->mb->pos = 0;
	err = udp_send(req->r->us, &req->r->ng, req->mb);
	if (err)   /* as a lost datagram: the next try may get through */
		log_debug("%s: sending to %s: %s", req->command,
			  req->r->name, strerror(err));
	tmr_start(&req->tmr, RTPENGINE_RETRY_MS, req_timeout, req);
}


static bool cookie_cmp(struct le *le, void *arg)
{
	const struct rtpengine_req *req = le->data;

	return !pl_strcmp(arg, req->cookie);
}


/* "ok" and "pong" are success; "error" says why in "error-reason" */
static int reply_err(const struct rtpengine_req *req,
		     const struct odict *reply)
{
	const char *res = odict_string(reply, "result");
	const char *why;

	if (res && (!strcmp(res, "ok") || !strcmp(res, "pong")))
		return 0;
	if (res && !strcmp(res, "error")) {
		why = odict_string(reply, "error-reason");
		log_warn("%s: error: %s", req->command, why ? why : "?");
		return EPROTO;
	}
	log_warn("%s: reply with result '%s'", req->command,
		 res ? res : "(none)");
	return EBADMSG;
}


static void udp_recv(const struct sa *src, struct mbuf *mb, void *arg)
{
	struct rtpengine *r = arg;
	struct odict *reply = NULL;
	struct rtpengine_req *req;
	struct pl cookie;
	struct le *le;
	int err;

	if (!sa_cmp(src, &r->ng, SA_ALL))
		return;   /* only rtpengine answers */

	err = rtpengine_msg_decode(&cookie, &reply, mbuf_buf(mb),
				   mbuf_get_left(mb));
	if (err) {
		log_warn("dropped a reply that does not parse (%s)",
			 strerror(err));
		return;
	}

	le = hash_lookup(r->reqs, hash_joaat_pl(&cookie), cookie_cmp,
			 &cookie);
	if (!le) {
		log_debug("dropped a reply to cookie %.*s (answered before)",
			  (int)cookie.l, cookie.p);
		goto out;
	}
	req = le->data;
	req_complete(req, reply_err(req, reply), reply);

 out:
	mem_deref(reply);
}


static void destructor(void *arg)
{
	struct rtpengine *r = arg;
	uint32_t i;
	struct le *le;

	/* cancel every request; those nobody holds go with the client */
	for (i = 0; r->reqs && i < hash_bsize(r->reqs); i++) {
		while ((le = list_head(hash_list(r->reqs, i)))) {
			struct rtpengine_req *req = le->data;

			req_detach(req);
			if (req->owned)
				mem_deref(req);
		}
	}
	mem_deref(r->reqs);
	mem_deref(r->us);
}


int rtpengine_alloc(struct rtpengine **rp, const struct sa *ng)
{
	struct rtpengine *r;
	struct sa local;
	int err;

	if (!rp || !ng || !sa_isset(ng, SA_ALL))
		return EINVAL;

	r = mem_zalloc(sizeof(*r), destructor);
	if (!r)
		return ENOMEM;

	r->ng = *ng;
	re_snprintf(r->name, sizeof(r->name), "%J", ng);
	r->prefix = rand_u64();
	sa_init(&local, sa_af(ng));

	err = hash_alloc(&r->reqs, REQ_HASH);
	if (!err)
		err = udp_listen(&r->us, &local, udp_recv, r);
	if (err)
		goto out;
	/* libre reads 8 KB by default; a query's reply can be longer */
	udp_rxsz_set(r->us, RTPENGINE_MSG_MAX);

 out:
	if (err)
		mem_deref(r);
	else
		*rp = r;

	return err;
}


int rtpengine_send(struct rtpengine_req **reqp, struct rtpengine *r,
		   const struct odict *cmd, rtpengine_h *h, void *arg)
{
	struct rtpengine_req *req;
	const char *command;
	int err;

	if (!r || !cmd)
		return EINVAL;
	command = odict_string(cmd, "command");
	if (!command)
		return EINVAL;

	req = mem_zalloc(sizeof(*req), req_destructor);
	if (!req)
		return ENOMEM;

	str_ncpy(req->command, command, sizeof(req->command));
	re_snprintf(req->cookie, sizeof(req->cookie), "%016llx%08x",
		    (unsigned long long)r->prefix, ++r->seq);
	req->mb = mbuf_alloc(512);
	if (!req->mb) {
		err = ENOMEM;
		goto out;
	}
	err = rtpengine_msg_encode(req->mb, req->cookie, cmd);
	if (err)
		goto out;

	req->r = r;
	req->h = h;
	req->arg = arg;
	req->owned = reqp == NULL;
	hash_append(r->reqs, hash_joaat_str(req->cookie), &req->he, req);
	req_transmit(req);

 out:
	if (err)
		mem_deref(req);
	else if (reqp)
		*reqp = req;

	return err;
}


int rtpengine_addr_parse(struct sa *sa, const char *s)
{
	if (!sa || !s || strncmp(s, "udp:", 4))
		return EINVAL;
	if (sa_decode(sa, s + 4, strlen(s + 4)) || !sa_port(sa))
		return EINVAL;

	return 0;
}
