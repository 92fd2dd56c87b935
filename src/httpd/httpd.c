/*
 * The HTTP/1.1 server.
 *
 * A connection reads into one receive buffer and cuts requests out of it:
 * the header block must end within max_header bytes, a Content-Length over
 * max_body is answered 413 at once (the body is never read) and the
 * connection closed. Each complete request is copied into its own struct
 * httpd_req (so the buffer can be reused) and appended to the
 * connection's queue before the handler runs. The parsing itself is
 * parse.c's, pure functions over bytes (the fuzz targets call them too).
 *
 * Answers leave in request order: httpd_reply() stores the answer in the
 * request, then the queue is drained from the head for as long as the head
 * has one. A request therefore has two references: the queue's, dropped
 * when its answer is sent or the connection dies, and the handler's,
 * dropped by httpd_reply().
 *
 * Closing: after an answer that closes the connection (the client asked,
 * HTTP/1.0 without keep-alive, or an error that leaves the stream unusable)
 * the write side is shut down and the connection lingers, discarding
 * input, until the client closes or a short timer fires. Closing at once
 * with unread input would make the kernel send a reset that can destroy
 * the answer before the client reads it.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <re.h>
#define LOG_SUBSYS "http"
#include "util/util.h"
#include "httpd/httpd.h"
#include "httpd/httpd_int.h"

static void conn_drain(struct conn *c);
static void conn_parse(struct conn *c);
static void conn_close(struct conn *c);
static void raw_conn_gone(struct httpd_raw *raw);

struct httpd_raw {
	struct conn *c;          /* NULL once the connection is gone */
	httpd_raw_recv_h *recvh;
	httpd_raw_close_h *closeh;
	void *arg;
	struct mbuf *rest;       /* read after the request, for recvh */
	struct tmr tmr;          /* hands rest over on the next turn */
};


void httpd_req_set_route(struct httpd_req *req, enum metrics_route route)
{
	if (req)
		req->route = route;
}


const char *httpd_reason(uint16_t status)
{
	switch (status) {

	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 426: return "Upgrade Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default:  return "Unknown";
	}
}


static void req_destructor(void *arg)
{
	struct httpd_req *req = arg;

	list_unlink(&req->le);
	mem_deref(req->buf);
	mem_deref(req->answer);
}


static void conn_destructor(void *arg)
{
	struct conn *c = arg;
	struct le *le;

	tmr_cancel(&c->tmr);
	list_unlink(&c->le);
	if (c->h)
		--c->h->nconns;
	if (c->ws)
		httpd_ws_conn_gone(c->ws);
	if (c->raw)
		raw_conn_gone(c->raw);

	/* requests still waiting for their handler outlive the connection */
	le = c->reqs.head;
	while (le) {
		struct httpd_req *req = le->data;

		le = le->next;
		list_unlink(&req->le);
		req->conn = NULL;
		mem_deref(req);
	}

	mem_deref(c->tls);
	mem_deref(c->tc);
	mem_deref(c->rx);
}


static void httpd_destructor(void *arg)
{
	struct httpd *h = arg;
	struct le *le;

	mem_deref(h->ts);
	mem_deref(h->conf.tls);

	le = h->conns.head;
	while (le) {
		struct conn *c = le->data;

		le = le->next;
		c->h = NULL;
		list_unlink(&c->le);
		conn_close(c);
	}
}


/*
 * Drop the connection's own reference, once. Code that runs handlers
 * (which may close the connection) holds a reference of its own across
 * them and checks c->dead afterwards; the destructor runs when the last
 * of these goes, never under a caller's feet.
 */
static void conn_close(struct conn *c)
{
	if (c->dead)
		return;

	c->dead = true;
	mem_deref(c);
}


static void linger_timeout(void *arg)
{
	conn_close(arg);
}


static void conn_linger(struct conn *c)
{
	int fd = tcp_conn_fd(c->tc);

	c->lingering = true;
	c->rx = mem_deref(c->rx);
	/* HTTPS: its close_notify goes out before the write side shuts;
	 * what arrives after it is discarded undecrypted */
	c->tls = mem_deref(c->tls);
	if (fd >= 0)
		(void)shutdown(fd, SHUT_WR);
	tmr_start(&c->tmr, LINGER_MS, linger_timeout, c);
}


void httpd_conn_linger(struct conn *c)
{
	tmr_cancel(&c->tmr);
	conn_linger(c);
}


/* tcp send handler: the send queue is empty */
static void sent_handler(void *arg)
{
	struct conn *c = arg;

	(void)tcp_set_send(c->tc, NULL);
	conn_linger(c);
}


static void idle_timeout(void *arg)
{
	struct conn *c = arg;
	char a[64];

	if (c->reqs.head)
		return;  /* waiting for our answers is not idling */

	log_debug("closing idle or slow connection from %s",
		  addr_str(a, sizeof(a), &c->peer));
	conn_close(c);
}


static void conn_timer(struct conn *c)
{
	if (!c->h)
		return;

	if (c->reqs.head && !c->in_req)
		tmr_cancel(&c->tmr);
	else if (c->in_req)
		;  /* the request timer keeps running across reads */
	else
		tmr_start(&c->tmr, c->h->conf.idle_timeout_ms, idle_timeout,
			  c);
}


/*
 * A 204 has neither body nor Content-Length (RFC 9110, 8.6); an answer to
 * HEAD has the headers a GET would get and no body.
 */
static size_t pl_sum(const struct pl *v, size_t n)
{
	size_t i, len = 0;

	for (i = 0; i < n; i++)
		len += v[i].l;

	return len;
}


/* The head and the body (hdrs and body in nh and nb pieces), once. */
static int write_answer(struct mbuf *mb, uint16_t status, const char *ctype,
			const struct pl *hdrs, size_t nh,
			const struct pl *body, size_t nb, bool close,
			bool head)
{
	size_t i, len = pl_sum(body, nb);
	int err;

	/* no libre formatter: it cost more than the rest of the head */
	err = mbuf_write_str(mb, "HTTP/1.1 ");
	err |= util_write_int(mb, status);
	err |= mbuf_write_u8(mb, ' ');
	err |= mbuf_write_str(mb, httpd_reason(status));
	err |= mbuf_write_str(mb, "\r\n");
	if (ctype) {
		err |= mbuf_write_str(mb, "Content-Type: ");
		err |= mbuf_write_str(mb, ctype);
		err |= mbuf_write_str(mb, "\r\n");
	}
	if (status != 204 && status >= 200) {
		err |= mbuf_write_str(mb, "Content-Length: ");
		err |= util_write_int(mb, (int64_t)len);
		err |= mbuf_write_str(mb, "\r\n");
	}
	/* an empty piece may have no pointer, which mbuf_write_pl refuses */
	for (i = 0; i < nh; i++)
		err |= hdrs[i].l ? mbuf_write_pl(mb, &hdrs[i]) : 0;
	if (close)
		err |= mbuf_write_str(mb, "Connection: close\r\n");
	err |= mbuf_write_str(mb, "\r\n");
	for (i = 0; len && status != 204 && !head && i < nb; i++)
		err |= body[i].l ? mbuf_write_pl(mb, &body[i]) : 0;

	return err;
}


/*
 * Answer a request that never reached the handler (bad framing, too large)
 * and close the connection after it: the stream cannot be trusted past it.
 */
static void conn_fail(struct conn *c, uint16_t status, const char *code,
		      const char *msg)
{
	struct mbuf *mb;
	struct pl pb;
	char body[256];
	int n;

	c->closing = true;
	c->rx = mem_deref(c->rx);

	/* answers to earlier requests go first; this one waits behind them */
	if (c->reqs.head) {
		struct le *le = c->reqs.tail;
		struct httpd_req *last = le->data;

		last->close = true;
		return;
	}

	metrics_http(MR_NONE, status);
	n = snprintf(body, sizeof(body),
		     "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}\n",
		     code, msg);

	pb.p = body;
	pb.l = (size_t)n;
	mb = mbuf_alloc(512);
	if (!mb || write_answer(mb, status, "application/json", NULL, 0,
				&pb, 1, true, false)) {
		mem_deref(mb);
		conn_close(c);
		return;
	}

	mb->pos = 0;
	(void)tcp_send(c->tc, mb);
	mem_deref(mb);

	if (tcp_set_send(c->tc, sent_handler))
		conn_close(c);
}


static void conn_parse(struct conn *c)
{
	struct httpd *h = c->h;

	while (h && c->rx && !c->closing && !c->lingering && !c->ws &&
	       !c->raw) {
		struct httpd_req *req;
		const char *p;
		size_t len, hlen, clen;
		uint16_t status;

		if (list_count(&c->reqs) >= MAX_PIPELINE)
			return;  /* resume when answers drain */

		/* skip empty lines between requests (RFC 9112 2.2) */
		c->rx->pos += httpd_skip_blank((const char *)mbuf_buf(c->rx),
					       mbuf_get_left(c->rx));

		p = (const char *)mbuf_buf(c->rx);
		len = mbuf_get_left(c->rx);
		if (!len) {
			c->rx = mem_deref(c->rx);
			c->in_req = false;
			break;
		}

		if (!c->in_req) {
			c->in_req = true;
			tmr_start(&c->tmr, h->conf.req_timeout_ms,
				  idle_timeout, c);
		}

		hlen = httpd_head_end(p, len < h->conf.max_header ?
				      len : h->conf.max_header);
		if (!hlen) {
			if (len >= h->conf.max_header)
				conn_fail(c, 431, "header_too_large",
					  "request header fields too large");
			return;
		}

		req = mem_zalloc(sizeof(*req), req_destructor);
		if (!req) {
			conn_close(c);
			return;
		}
		req->buf = mem_alloc(hlen + 1, NULL);
		if (!req->buf) {
			mem_deref(req);
			conn_close(c);
			return;
		}
		memcpy(req->buf, p, hlen);
		req->buf[hlen] = '\0';

		/* the body's bound is checked below: a route may allow more */
		status = httpd_head_parse(&req->head, req->buf, hlen);
		if (status) {
			mem_deref(req);
			conn_fail(c, status,
				  status == 411 ? "length_required" :
				  status == 431 ? "header_too_large" :
				  status == 505 ? "http_version" :
				  "bad_request",
				  status == 411 ?
				  "send the body with a Content-Length" :
				  httpd_reason(status));
			return;
		}
		clen = req->head.clen;

		/* asked once a request, not again for each piece of it */
		if (clen > h->conf.max_body && c->big != hlen + clen) {
			size_t lim = h->conf.body_limit ?
				h->conf.body_limit(req, h->arg) : 0;
			char msg[80];

			if (clen <= lim) {
				c->big = hlen + clen;
			}
			else {
				mem_deref(req);
				re_snprintf(msg, sizeof(msg), "the request "
					    "body is larger than %zu bytes",
					    lim > h->conf.max_body ? lim :
					    h->conf.max_body);
				conn_fail(c, 413, "body_too_large", msg);
				return;
			}
		}

		if (len < hlen + clen) {
			mem_deref(req);
			return;  /* wait for the whole body */
		}

		if (clen) {
			char *nb = mem_realloc(req->buf, hlen + clen + 1);

			if (!nb) {
				mem_deref(req);
				conn_close(c);
				return;
			}
			/* the head's pointers must follow the buffer */
			if (nb != req->buf) {
				httpd_head_move(&req->head, nb - req->buf);
				req->buf = nb;
			}
			memcpy(req->buf + hlen, p + hlen, clen);
			req->buf[hlen + clen] = '\0';
		}
		req->body.p = req->buf + hlen;
		req->body.l = clen;

		c->rx->pos += hlen + clen;
		c->in_req = false;
		c->big = 0;

		req->conn = c;
		req->h = h;
		req->peer = c->peer;
		req->close = req->head.close;
		if (req->close)
			c->closing = true;

		/* the queue's reference, and the handler's */
		list_append(&c->reqs, &req->le, req);
		mem_ref(req);
		++h->unanswered;

		tmr_cancel(&c->tmr);

		/* the handler may answer at once and even close c: hold it */
		mem_ref(c);
		h->reqh(req, h->arg);
		if (c->dead) {
			mem_deref(c);
			return;
		}
		mem_deref(c);
	}

	if (c->h && !c->dead && !c->closing && !c->lingering && !c->ws &&
	    !c->raw)
		conn_timer(c);
}


static void recv_handler(struct mbuf *mb, void *arg)
{
	struct conn *c = arg;
	size_t limit;
	int err;

	if (c->lingering || c->closing)
		return;  /* discard */

	if (c->ws) {
		httpd_ws_input(c->ws, mb);
		return;
	}
	if (c->raw) {
		c->raw->recvh(mb, c->raw->arg);
		return;
	}

	if (!c->rx) {
		c->rx = mem_ref(mb);
	}
	else {
		size_t pos = c->rx->pos;

		/* compact before growing */
		if (pos == c->rx->end) {
			mem_deref(c->rx);
			c->rx = mem_ref(mb);
		}
		else {
			c->rx->pos = c->rx->end;
			err = mbuf_write_mem(c->rx, mbuf_buf(mb),
					     mbuf_get_left(mb));
			c->rx->pos = pos;
			if (err) {
				conn_close(c);
				return;
			}
		}
	}

	/* a client that pipelines faster than we answer is held back here */
	limit = (c->h->conf.max_header + c->h->conf.max_body) * 4;
	if (c->big > limit)
		limit = c->big;
	if (mbuf_get_left(c->rx) > limit) {
		char a[64];

		log_warn("%s: too much unread input, closing",
			 addr_str(a, sizeof(a), &c->peer));
		conn_close(c);
		return;
	}

	conn_parse(c);
}


static void close_handler(int err, void *arg)
{
	struct conn *c = arg;
	(void)err;

	conn_close(c);
}


static void connect_handler(const struct sa *peer, void *arg)
{
	struct httpd *h = arg;
	struct conn *c;
	int err;

	if (h->nconns >= h->conf.max_conns) {
		char a[64];

		log_warn("%u connections: refusing %s", h->nconns,
			 addr_str(a, sizeof(a), peer));
		tcp_reject(h->ts);
		return;
	}

	c = mem_zalloc(sizeof(*c), conn_destructor);
	if (!c) {
		tcp_reject(h->ts);
		return;
	}

	c->h = h;
	c->peer = *peer;
	++h->nconns;
	list_append(&h->conns, &c->le, c);

	err = tcp_accept(&c->tc, h->ts, NULL, recv_handler, close_handler,
			 c);
	if (err) {
		tcp_reject(h->ts);
		mem_deref(c);
		return;
	}

	/* HTTPS: the handshake is read like a request, under the idle
	 * timer; a failed one closes the connection (close_handler) */
	if (h->conf.tls) {
		err = tls_start_tcp(&c->tls, h->conf.tls, c->tc, 0);
		if (err) {
			conn_close(c);
			return;
		}
	}

	tcp_conn_txqsz_set(c->tc, 4 * 1024 * 1024);
	conn_timer(c);
}


/* send every answer at the head of the queue that is ready */
static void conn_drain(struct conn *c)
{
	while (c->reqs.head) {
		struct httpd_req *req = c->reqs.head->data;
		bool close = req->close;
		int err;

		if (!req->answered)
			break;

		req->answer->pos = 0;
		err = tcp_send(c->tc, req->answer);

		list_unlink(&req->le);
		req->conn = NULL;
		mem_deref(req);

		if (err) {
			conn_close(c);
			return;
		}

		if (close) {
			c->closing = true;
			if (tcp_set_send(c->tc, sent_handler))
				conn_close(c);
			return;
		}
	}

	if (c->closing)
		return;

	/*
	 * Upgraded: what the client sent after its handshake is frames.
	 * This runs inside httpd_ws_accept's 101, so they wait a loop turn:
	 * a frame that closes the WebSocket must not reach its handlers
	 * before the accept has returned the object to its owner.
	 */
	if (c->ws) {
		tmr_cancel(&c->tmr);
		if (c->rx && mbuf_get_left(c->rx)) {
			struct mbuf *rest = c->rx;

			c->rx = NULL;
			httpd_ws_input_later(c->ws, rest);
			mem_deref(rest);
		}
		return;
	}

	/* answers drained: read on where pipelining stopped */
	mem_ref(c);
	conn_parse(c);
	if (!c->dead)
		conn_timer(c);
	mem_deref(c);
}


int httpd_reply_pl(struct httpd_req *req, uint16_t status,
		   const char *ctype, const struct pl *hdrs, size_t nh,
		   const struct pl *body, size_t nb)
{
	struct conn *c;
	int err = 0;

	if (!req || req->answered)
		return EINVAL;

	req->answered = true;
	if (req->h)
		--req->h->unanswered;
	metrics_http(req->route, status);

	c = req->conn;
	if (c && !c->lingering) {
		req->answer = mbuf_alloc(256 + pl_sum(hdrs, nh) +
					 pl_sum(body, nb));
		if (!req->answer ||
		    write_answer(req->answer, status, ctype, hdrs, nh, body,
				 nb, req->close,
				 httpd_req_method_is(req, "HEAD"))) {
			err = ENOMEM;
			req->close = true;
		}

		if (!err && c->reqs.head == &req->le)
			conn_drain(c);
	}

	/* the handler's reference */
	mem_deref(req);

	return err;
}


int httpd_reply(struct httpd_req *req, uint16_t status, const char *ctype,
		const char *hdrs, const void *body, size_t len)
{
	struct pl h, b;

	pl_set_str(&h, hdrs ? hdrs : "");
	b.p = body;
	b.l = body ? len : 0;

	return httpd_reply_pl(req, status, ctype, &h, 1, &b, 1);
}


int httpd_alloc(struct httpd **hp, const struct sa *laddr,
		const struct httpd_conf *conf, httpd_req_h *reqh, void *arg)
{
	struct httpd *h;
	int err;

	if (!hp || !laddr || !conf || !reqh)
		return EINVAL;

	h = mem_zalloc(sizeof(*h), httpd_destructor);
	if (!h)
		return ENOMEM;

	h->conf = *conf;
	h->conf.tls = mem_ref(conf->tls);
	h->reqh = reqh;
	h->arg = arg;

	/* tcp_listen() would listen with a backlog of 5: a burst of
	 * connects would lose SYNs and wait a second for each */
	err = tcp_sock_alloc(&h->ts, laddr, connect_handler, h);
	if (!err)
		err = tcp_sock_bind(h->ts, laddr);
	if (!err)
		err = tcp_sock_listen(h->ts, conf->backlog);

	if (err)
		mem_deref(h);
	else
		*hp = h;

	return err;
}


int httpd_local(const struct httpd *h, struct sa *laddr)
{
	if (!h || !h->ts)
		return EINVAL;

	return tcp_sock_local_get(h->ts, laddr);
}


void httpd_stop_listening(struct httpd *h)
{
	if (h)
		h->ts = mem_deref(h->ts);
}


unsigned httpd_unanswered(const struct httpd *h)
{
	return h ? h->unanswered : 0;
}


const struct pl *httpd_req_path(const struct httpd_req *req)
{
	return &req->head.path;
}


const struct pl *httpd_req_query(const struct httpd_req *req)
{
	return &req->head.query;
}


const struct pl *httpd_req_body(const struct httpd_req *req)
{
	return &req->body;
}


const struct sa *httpd_req_peer(const struct httpd_req *req)
{
	return &req->peer;
}


int httpd_req_peer_str(const struct httpd_req *req, char *buf, size_t sz)
{
	struct conn *c = req ? req->conn : NULL;

	if (!req || !buf || !sz)
		return EINVAL;

	if (c && sa_cmp(&req->peer, &c->peer, SA_ALL)) {
		if (!c->peer_str[0] &&
		    sa_ntop(&c->peer, c->peer_str, sizeof(c->peer_str)))
			c->peer_str[0] = '\0';
		if (c->peer_str[0] && strlen(c->peer_str) < sz) {
			str_bcpy(buf, c->peer_str, sz);
			return 0;
		}
	}

	return sa_ntop(&req->peer, buf, (int)sz);
}


void httpd_req_set_peer(struct httpd_req *req, const struct sa *peer)
{
	if (req && peer)
		req->peer = *peer;
}


bool httpd_req_method_is(const struct httpd_req *req, const char *m)
{
	return req && !pl_strcmp(&req->head.method, m);
}


bool httpd_req_secure(const struct httpd_req *req)
{
	return req && req->h && req->h->conf.tls;
}


bool httpd_req_hdr(const struct httpd_req *req, const char *name,
		   struct pl *val)
{
	return req && httpd_head_hdr(&req->head, name, val);
}


void httpd_req_head(const struct httpd_req *req, struct pl *head)
{
	head->p = req->buf;
	head->l = (size_t)(req->body.p - req->buf);
}


static void raw_destructor(void *arg)
{
	struct httpd_raw *raw = arg;
	struct conn *c = raw->c;

	tmr_cancel(&raw->tmr);
	mem_deref(raw->rest);
	if (!c)
		return;

	/* what was sent leaves first, then the write side shuts and the
	 * connection lingers, as after a "Connection: close" */
	c->raw = NULL;
	c->closing = true;
	if (tcp_set_send(c->tc, sent_handler))
		conn_close(c);
}


static void raw_conn_gone(struct httpd_raw *raw)
{
	raw->c = NULL;
	tmr_cancel(&raw->tmr);
	raw->closeh(0, raw->arg);
}


static void raw_rest(void *arg)
{
	struct httpd_raw *raw = arg;
	struct mbuf *rest = raw->rest;

	raw->rest = NULL;
	if (rest && raw->c)
		raw->recvh(rest, raw->arg);
	mem_deref(rest);
}


int httpd_raw_take(struct httpd_raw **rawp, struct httpd_req *req,
		   httpd_raw_recv_h *recvh, httpd_raw_close_h *closeh,
		   void *arg)
{
	struct httpd_raw *raw;
	struct conn *c;

	if (!rawp || !req || req->answered || !recvh || !closeh)
		return EINVAL;
	c = req->conn;
	if (!c || c->dead || c->lingering || c->ws || c->raw)
		return ENOTCONN;
	if (c->reqs.head != &req->le || c->reqs.tail != &req->le)
		return EBUSY;

	raw = mem_zalloc(sizeof(*raw), raw_destructor);
	if (!raw)
		return ENOMEM;
	raw->c = c;
	raw->recvh = recvh;
	raw->closeh = closeh;
	raw->arg = arg;
	tmr_init(&raw->tmr);
	if (c->rx && mbuf_get_left(c->rx)) {
		raw->rest = c->rx;
		c->rx = NULL;
		tmr_start(&raw->tmr, 0, raw_rest, raw);
	}
	c->rx = mem_deref(c->rx);
	c->raw = raw;
	c->in_req = false;
	tmr_cancel(&c->tmr);

	/* consumed: the queue's reference and the handler's */
	req->answered = true;
	if (req->h)
		--req->h->unanswered;
	list_unlink(&req->le);
	req->conn = NULL;
	mem_deref(req);
	mem_deref(req);

	*rawp = raw;

	return 0;
}


int httpd_raw_send(struct httpd_raw *raw, struct mbuf *mb)
{
	if (!raw || !mb)
		return EINVAL;
	if (!raw->c)
		return ENOTCONN;

	return tcp_send(raw->c->tc, mb);
}
