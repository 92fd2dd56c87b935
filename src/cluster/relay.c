/*
 * The desk across nodes (docs/cluster.md, "The desk across nodes"): a
 * follower relays a request that needs the ACD to the leader, whose
 * live memory the desk's state is, rather than mirror that state.
 *
 * A WebSocket's upgrade: the relay connects to the leader's cluster_url
 * (libre's tcp_connect, on the loop) while the request waits unanswered;
 * once connected it takes the client's connection over (httpd_raw_take),
 * sends the request's head rewritten (cluster_relay_head, below), then
 * copies bytes both ways until either side closes.
 *
 * A plain request goes on a kept connection to the leader if one is idle
 * (for the same url and epoch), else on a new one, with Connection:
 * keep-alive, and stays the API's: the relay reads the answer's head
 * (libre's http_msg_decode), gathers its body as its framing says
 * (Content-Length, chunked, or till close), and answers the request with
 * it (httpd_reply, so the client's connection is kept too, as for any
 * answer of this node). The leader's connection is then kept (struct
 * idle) unless it said close or its framing was "till close". Not
 * connected within CLUSTER_RELAY_CONNECT_MS, refused, or closed before
 * the whole answer: the request is handed back (fail) for the old 503
 * not_leader (a GET closed on a kept connection before any answer first
 * tries once more on a new one: leader_close).
 *
 * States: CONNECTING, WAITING (the request still the API's), RELAYING
 * (a WebSocket: the client's connection ours), ENDING (both closed on
 * the next loop turn: a relay is never freed inside one of its own
 * sockets' handlers).
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
	RELAY_CONNECTING = 0,  /* the request the API's, no connection */
	RELAY_WAITING,         /* sent; the answer gathered */
	RELAY_RELAYING,        /* a WebSocket: the client's connection
				  ours */
	RELAY_ENDING,
};

/* where a plain request's answer ends (RFC 9112, 6.3) */
enum frame_kind {
	FRAME_LENGTH = 0,      /* Content-Length (or none: HEAD, 204, 304) */
	FRAME_CHUNKED,
	FRAME_CLOSE,           /* till the leader closes: never reused */
};

enum chunk_state {
	CHUNK_SIZE = 0,        /* the size line, hex */
	CHUNK_EXT,             /* the rest of the size line */
	CHUNK_DATA,
	CHUNK_DATA_END,        /* the CRLF after the data */
	CHUNK_TRAILER,         /* at a trailer line's start */
	CHUNK_LINE,            /* in a trailer line */
	CHUNK_DONE,
};

struct frame {
	enum frame_kind kind;
	enum chunk_state chunk;
	uint64_t left;         /* LENGTH: body; CHUNKED: this chunk */
	bool keep;             /* the connection may carry another */
};

struct relay {
	struct le le;              /* in the cluster's relays */
	struct cluster *cl;
	struct httpd_req *req;     /* till answered, or the connection
				      taken (a WebSocket) */
	struct httpd_raw *raw;     /* RELAYING: the client's connection */
	struct tcp_conn *tc;       /* to the leader */
	struct mbuf *out;          /* the rewritten head and the body */
	struct mbuf *ans;          /* the answer's head, till complete */
	struct mbuf *hdrs;         /* its header lines for the client */
	struct mbuf *body;         /* its body, whole */
	char *ctype;               /* its Content-Type, or NULL */
	uint16_t status;
	uint32_t clen;             /* its Content-Length (HEAD's answer) */
	struct tmr tmr;            /* connect timeout; the end */
	enum relay_state state;
	struct frame fr;
	uint64_t epoch;            /* the leader's it was made for */
	char url[CLUSTER_URL_MAX];
	unsigned max;              /* relay_max_conns */
	bool upgrade;              /* a WebSocket: bytes both ways */
	bool head_req;             /* HEAD: an answer without a body */
	bool reused;               /* on a kept connection */
	bool safe;                 /* GET, HEAD, OPTIONS: may go twice */
	bool retried;
	cluster_relay_fail_h *failh;
	void *arg;
};

/* a connection to the leader kept for the next request (docs/cluster.md,
 * "Kept connections") */
struct idle {
	struct le le;              /* in the cluster's idle connections */
	struct tcp_conn *tc;
	struct tmr tmr;            /* closed after CLUSTER_RELAY_IDLE_MS */
	uint64_t epoch;
	char url[CLUSTER_URL_MAX];
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
					     hdr_is(&line, "Keep-Alive") ||
					     hdr_is(&line, "Expect")))))
			continue;
		first = false;
		err = mbuf_printf(mb, "%r\r\n", &line);
	}
	if (first)
		return EBADMSG;

	err |= mbuf_printf(mb, "X-Forwarded-For: %s\r\n%s: %s\r\n", client,
			   CLUSTER_RELAY_HDR, secret);
	if (!upgrade)
		err |= mbuf_write_str(mb, "Connection: keep-alive\r\n");
	err |= mbuf_write_str(mb, "\r\n");

	return err;
}


static void idle_destructor(void *arg)
{
	struct idle *id = arg;

	tmr_cancel(&id->tmr);
	list_unlink(&id->le);
	mem_deref(id->tc);
}


static void idle_expire(void *arg)
{
	mem_deref(arg);
}


/* a byte from the leader while nothing was asked: out of step, closed
 * (on the next loop turn: never inside the socket's own handler) */
static void idle_recv(struct mbuf *mb, void *arg)
{
	struct idle *id = arg;

	(void)mb;
	tmr_start(&id->tmr, 0, idle_expire, id);
}


/* the leader closed it (its idle timeout, a restart) */
static void idle_close(int err, void *arg)
{
	(void)err;
	mem_deref(arg);
}


/* a kept connection for url and epoch, or NULL; the caller's now */
static struct tcp_conn *idle_take(struct cluster *cl, const char *url,
				  uint64_t epoch)
{
	struct le *le;

	for (le = list_tail(cluster_relay_idle(cl)); le; le = le->prev) {
		struct idle *id = le->data;
		struct tcp_conn *tc;

		if (id->epoch != epoch || strcmp(id->url, url))
			continue;
		tc = id->tc;
		id->tc = NULL;
		mem_deref(id);

		return tc;
	}

	return NULL;
}


/* r's connection kept for the next request, if relay_max_conns has room
 * (the idle ones count with the relays) */
static void idle_put(struct relay *r)
{
	struct list *l = cluster_relay_idle(r->cl);
	struct idle *id;

	if (list_count(l) + cluster_relay_count(r->cl) > r->max)
		return;
	id = mem_zalloc(sizeof(*id), idle_destructor);
	if (!id)
		return;
	id->tc = r->tc;
	r->tc = NULL;
	id->epoch = r->epoch;
	str_bcpy(id->url, r->url, sizeof(id->url));
	tcp_set_handlers(id->tc, NULL, idle_recv, idle_close, id);
	tmr_start(&id->tmr, CLUSTER_RELAY_IDLE_MS, idle_expire, id);
	list_append(l, &id->le, id);
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
	mem_deref(r->ans);
	mem_deref(r->hdrs);
	mem_deref(r->body);
	mem_deref(r->ctype);
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


/* no answer: the request goes back to the API (503 not_leader) */
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


/* a plain request out, kept for a retry till the answer comes */
static int request_send(struct relay *r)
{
	r->out->pos = 0;
	r->state = RELAY_WAITING;

	return tcp_send(r->tc, r->out);
}


static void leader_estab(void *arg)
{
	struct relay *r = arg;
	struct httpd_req *req = r->req;
	int err;

	tmr_cancel(&r->tmr);
	if (!r->upgrade) {
		err = request_send(r);
		if (err)
			relay_fail(r, err);
		return;
	}

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


static int hex_digit(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;

	return -1;
}


/* a chunked body's bytes: how many of n belong to it; its data into
 * body */
static size_t chunked_scan(struct frame *fr, const uint8_t *p, size_t n,
			   struct mbuf *body)
{
	size_t i = 0;

	while (i < n && fr->chunk != CHUNK_DONE) {
		uint8_t c = p[i];
		int d;

		if (fr->chunk == CHUNK_DATA) {
			size_t k = (size_t)min(fr->left, (uint64_t)(n - i));

			if (mbuf_write_mem(body, p + i, k))
				fr->keep = false;
			fr->left -= k;
			i += k;
			if (!fr->left)
				fr->chunk = CHUNK_DATA_END;
			continue;
		}
		++i;
		switch (fr->chunk) {

		case CHUNK_SIZE:
			d = hex_digit(c);
			if (d >= 0 && fr->left >> 56) {
				fr->keep = false;  /* absurd: till close */
				fr->kind = FRAME_CLOSE;
				return n;
			}
			if (d >= 0) {
				fr->left = fr->left * 16 + (uint64_t)d;
				break;
			}
			/* the size ends */
			fr->chunk = CHUNK_EXT;
			/* fall through */
		case CHUNK_EXT:
			if (c == '\n')
				fr->chunk = fr->left ? CHUNK_DATA :
					CHUNK_TRAILER;
			break;

		case CHUNK_DATA_END:
			if (c == '\n')
				fr->chunk = CHUNK_SIZE;
			break;

		case CHUNK_TRAILER:
			if (c == '\n')
				fr->chunk = CHUNK_DONE;
			else if (c != '\r')
				fr->chunk = CHUNK_LINE;
			break;

		default:  /* CHUNK_LINE */
			if (c == '\n')
				fr->chunk = CHUNK_TRAILER;
			break;
		}
	}

	return i;
}


/* how many of n bytes belong to the answer's body, which they go to;
 * *done once it ended */
static size_t frame_scan(struct frame *fr, const uint8_t *p, size_t n,
			 struct mbuf *body, bool *done)
{
	size_t k;

	switch (fr->kind) {

	case FRAME_LENGTH:
		k = (size_t)min(fr->left, (uint64_t)n);
		fr->left -= k;
		*done = !fr->left;
		break;

	case FRAME_CHUNKED:
		k = chunked_scan(fr, p, n, body);
		*done = fr->chunk == CHUNK_DONE;
		return k;

	default:
		k = n;
		*done = false;
		break;
	}
	if (mbuf_write_mem(body, p, k))
		fr->keep = false;

	return k;
}


/* from the answer's head: where it ends, and whether the connection
 * may carry another request */
static void frame_set(struct frame *fr, const struct http_msg *msg,
		      bool head_req)
{
	memset(fr, 0, sizeof(*fr));
	fr->keep = !pl_strcmp(&msg->ver, "1.1") &&
		!http_msg_hdr_has_value(msg, HTTP_HDR_CONNECTION, "close");

	if (head_req || msg->scode == 204 || msg->scode == 304) {
		fr->kind = FRAME_LENGTH;
	}
	else if (http_msg_hdr_has_value(msg, HTTP_HDR_TRANSFER_ENCODING,
					"chunked")) {
		fr->kind = FRAME_CHUNKED;
	}
	else if (http_msg_hdr(msg, HTTP_HDR_CONTENT_LENGTH)) {
		fr->kind = FRAME_LENGTH;
		fr->left = msg->clen;
	}
	else {
		fr->kind = FRAME_CLOSE;
		fr->keep = false;
	}
}


/*
 * The answer's header lines as httpd_reply takes them: all but the
 * status line, the connection's options and the framing (Content-Type,
 * Content-Length, Transfer-Encoding), which httpd_reply writes itself
 * for the client's own connection.
 */
int cluster_relay_answer_hdrs(struct mbuf *mb, const struct pl *head)
{
	static const char *const own[] = {
		"Connection", "Keep-Alive", "Content-Type", "Content-Length",
		"Transfer-Encoding",
	};
	const char *p = head->p, *end = head->p + head->l;
	struct pl line;
	int err = 0;
	size_t i;

	p = next_line(&line, p, end);  /* the status line */
	while (p < end && !err) {
		p = next_line(&line, p, end);
		if (!line.l)
			break;
		for (i = 0; i < ARRAY_SIZE(own); i++) {
			if (hdr_is(&line, own[i]))
				break;
		}
		if (i == ARRAY_SIZE(own))
			err = mbuf_printf(mb, "%r\r\n", &line);
	}

	return err;
}


/* the whole answer: to the client, the connection kept if it may be */
static void answer_done(struct relay *r)
{
	struct httpd_req *req = r->req;
	size_t len = r->head_req ? r->clen : r->body->end;

	r->req = NULL;
	if (r->fr.keep)
		idle_put(r);
	relay_end(r);
	if (mbuf_write_u8(r->hdrs, 0))
		(void)httpd_reply(req, 500, NULL, NULL, NULL, 0);
	else
		(void)httpd_reply(req, r->status, r->ctype,
				  (const char *)r->hdrs->buf, r->body->buf,
				  len);
}


static void body_recv(struct relay *r, const uint8_t *p, size_t n)
{
	bool done;
	size_t k;

	k = frame_scan(&r->fr, p, n, r->body, &done);
	if (k < n)
		r->fr.keep = false;  /* bytes past the answer: out of step */
	if (r->body->end > CLUSTER_RELAY_ANSWER_MAX)
		relay_fail(r, EFBIG);
	else if (done)
		answer_done(r);
}


/* the answer's head, gathered till complete, then its body's start */
static void head_recv(struct relay *r, struct mbuf *mb)
{
	struct http_msg *msg = NULL;
	const struct http_hdr *ct;
	struct pl head;
	int err;

	err = mbuf_write_mem(r->ans, mbuf_buf(mb), mbuf_get_left(mb));
	if (!err && r->ans->end > CLUSTER_RELAY_HEAD_MAX)
		err = EFBIG;
	if (err)
		goto out;
	r->ans->pos = 0;
	err = http_msg_decode(&msg, r->ans, false);
	if (err == ENODATA)
		return;
	/* an interim answer is none the request asked for (its Expect was
	 * not sent): not one to relay */
	if (!err && msg->scode < 200)
		err = EPROTO;
	if (err)
		goto out;

	frame_set(&r->fr, msg, r->head_req);
	r->status = msg->scode;
	r->clen = msg->clen;
	ct = http_msg_hdr(msg, HTTP_HDR_CONTENT_TYPE);
	if (ct)
		err = pl_strdup(&r->ctype, &ct->val);
	head.p = (const char *)r->ans->buf;
	head.l = r->ans->pos;
	r->hdrs = mbuf_alloc(head.l + 1);
	/* its Content-Length, bounded, and never 0 */
	r->body = mbuf_alloc(r->fr.kind != FRAME_LENGTH ? 1024 :
			     (size_t)min(r->fr.left,
					 (uint64_t)CLUSTER_RELAY_ANSWER_MAX) + 1);
	if (!err && (!r->hdrs || !r->body))
		err = ENOMEM;
	if (!err)
		err = cluster_relay_answer_hdrs(r->hdrs, &head);
	if (!err)
		body_recv(r, mbuf_buf(r->ans), mbuf_get_left(r->ans));

 out:
	mem_deref(msg);
	if (err)
		relay_fail(r, err);
}


static void leader_recv(struct mbuf *mb, void *arg)
{
	struct relay *r = arg;

	if (r->state == RELAY_RELAYING) {
		if (httpd_raw_send(r->raw, mb))
			relay_end(r);
		return;
	}
	if (r->state != RELAY_WAITING)
		return;

	if (!r->ans) {
		r->ans = mbuf_alloc(1024);
		if (!r->ans) {
			relay_fail(r, ENOMEM);
			return;
		}
	}
	if (!r->body)
		head_recv(r, mb);
	else
		body_recv(r, mbuf_buf(mb), mbuf_get_left(mb));
}


static void leader_close(int err, void *arg);


static int relay_connect(struct relay *r)
{
	struct sa sa;
	int err;

	err = cluster_url_parse(r->url, &sa);
	if (!err)
		err = tcp_connect(&r->tc, &sa, leader_estab, leader_recv,
				  leader_close, r);
	if (err)
		return err;

	r->reused = false;
	r->state = RELAY_CONNECTING;
	tmr_start(&r->tmr, CLUSTER_RELAY_CONNECT_MS, connect_timeout, r);

	return 0;
}


static void leader_close(int err, void *arg)
{
	struct relay *r = arg;

	/*
	 * A kept connection that closed before any byte of answer: the
	 * leader closed it idle as the request went, or it died with the
	 * request. A GET, HEAD or OPTIONS goes once more on a new one;
	 * anything else gets 503 not_leader, as a request cut by a dying
	 * leader did before: it may have been done, so it is never sent
	 * twice. (The follower closes kept connections before the
	 * leader's idle timeout, so the first case is rare.)
	 */
	if (r->state == RELAY_WAITING && !r->ans && r->reused && r->safe &&
	    !r->retried) {
		r->retried = true;
		r->tc = mem_deref(r->tc);
		err = relay_connect(r);
		if (!err)
			return;
	}
	/* an answer that ends with the connection */
	if (r->state == RELAY_WAITING && r->body &&
	    r->fr.kind == FRAME_CLOSE) {
		answer_done(r);
		return;
	}
	if (r->state == RELAY_CONNECTING || r->state == RELAY_WAITING) {
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


/* GET, HEAD and OPTIONS may be sent twice (RFC 9110, 9.2.1) */
static bool method_safe(const struct httpd_req *req)
{
	return httpd_req_method_is(req, "GET") ||
		httpd_req_method_is(req, "HEAD") ||
		httpd_req_method_is(req, "OPTIONS");
}


int cluster_relay_start(struct cluster *cl, struct httpd_req *req,
			const struct cluster_relay_to *to,
			cluster_relay_fail_h *failh, void *arg)
{
	struct relay *r;
	struct pl pl;
	int err;

	r = mem_zalloc(sizeof(*r), relay_destructor);
	if (!r)
		return ENOMEM;
	r->failh = failh;
	r->arg = arg;
	r->epoch = to->epoch;
	r->max = to->max;
	str_bcpy(r->url, to->url, sizeof(r->url));
	r->upgrade = httpd_req_hdr(req, "Upgrade", &pl);
	r->head_req = httpd_req_method_is(req, "HEAD");
	r->safe = method_safe(req);
	tmr_init(&r->tmr);

	err = relay_out(r, req, to->client, to->secret);
	if (!err && !r->upgrade)
		r->tc = idle_take(cl, r->url, r->epoch);
	if (!err && r->tc) {
		r->reused = true;
		tcp_set_handlers(r->tc, leader_estab, leader_recv,
				 leader_close, r);
		if (request_send(r))
			r->tc = mem_deref(r->tc);
	}
	if (!err && !r->tc)
		err = relay_connect(r);
	if (err) {
		mem_deref(r);
		return err;
	}

	r->cl = cl;
	r->req = req;
	cluster_relay_add(cl, &r->le, r);

	return 0;
}


/* relays and kept connections made for another leader than epoch's:
 * they end */
void cluster_relays_drop(struct list *relays, struct list *idle,
			 uint64_t epoch)
{
	struct le *le;
	unsigned n = 0;

	for (le = relays->head; le; le = le->next) {
		struct relay *r = le->data;

		if (r->epoch == epoch)
			continue;
		if (r->state == RELAY_CONNECTING ||
		    r->state == RELAY_WAITING)
			relay_fail(r, ECONNABORTED);
		else
			relay_end(r);
	}

	le = idle->head;
	while (le) {
		struct idle *id = le->data;

		le = le->next;
		if (id->epoch == epoch)
			continue;
		mem_deref(id);
		++n;
	}
	if (n)
		log_info("the leader changed: %u kept connection(s) to the "
			 "old one closed", n);
}


void cluster_relays_free(struct list *relays, struct list *idle)
{
	struct le *le = relays->head;

	while (le) {
		struct relay *r = le->data;

		le = le->next;
		r->cl = NULL;
		mem_deref(r);
	}
	list_flush(idle);
}
