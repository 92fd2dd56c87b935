/*
 * WebSocket (RFC 6455) on an httpd connection, for the agent desktop's
 * live updates. libre's websock server needs libre's HTTP server, which
 * beckon does not use (see httpd.h), so the handshake and the framing
 * live here, on the same connection objects.
 *
 * Only what a browser needs: text messages (UTF-8, at most WS_MAX_MSG
 * bytes, fragmented or not), ping/pong, close. Client frames must be
 * masked; anything else ends the connection with the status the RFC
 * names (1002 protocol error, 1007 bad UTF-8, 1009 too big); the frame
 * header is decoded by wsframe.c, from bytes alone. The server
 * pings every WS_PING_MS; a peer that has not answered the previous ping
 * by then is gone.
 *
 * Ownership: the owner's close handler usually drops the owner, and with
 * it the WebSocket, while the parser is still running. The parser holds a
 * reference of its own across every handler and stops at once when the
 * connection is gone; frames that arrived with the handshake are parsed a
 * loop turn after the accept, once the owner holds the object.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#define LOG_SUBSYS "http"
#include "util/util.h"
#include "httpd/httpd.h"
#include "httpd/httpd_int.h"

enum {
	WS_PING_MS = 30000,
};

struct httpd_ws {
	struct conn *conn;        /* NULL once the connection is gone */
	struct sa peer;
	struct mbuf *in;          /* unparsed input */
	struct mbuf *msg;         /* a fragmented message so far */
	struct tmr ping;
	struct tmr later;         /* input_later's turn */
	bool ping_out;            /* a ping is waiting for its pong */
	bool closed;              /* closeh was called, or we closed */
	httpd_ws_msg_h *msgh;
	httpd_ws_close_h *closeh;
	void *arg;
};


static void ws_closed(struct httpd_ws *ws, int err)
{
	httpd_ws_close_h *h = ws->closeh;

	if (ws->closed)
		return;

	ws->closed = true;
	tmr_cancel(&ws->ping);
	ws->closeh = NULL;
	ws->msgh = NULL;

	if (h)
		h(ws, err, ws->arg);
}


static int send_frame(struct httpd_ws *ws, int op, const void *p, size_t len)
{
	struct mbuf *mb;
	int err;

	if (!ws->conn || !ws->conn->tc)
		return ENOTCONN;

	mb = mbuf_alloc(len + 10);
	if (!mb)
		return ENOMEM;

	err = mbuf_write_u8(mb, (uint8_t)(0x80 | op));
	if (len < 126) {
		err |= mbuf_write_u8(mb, (uint8_t)len);
	}
	else if (len < 65536) {
		err |= mbuf_write_u8(mb, 126);
		err |= mbuf_write_u16(mb, htons((uint16_t)len));
	}
	else {
		err |= mbuf_write_u8(mb, 127);
		err |= mbuf_write_u32(mb, htonl((uint32_t)((uint64_t)len >> 32)));
		err |= mbuf_write_u32(mb, htonl((uint32_t)len));
	}
	if (len)
		err |= mbuf_write_mem(mb, p, len);

	if (!err) {
		mb->pos = 0;
		err = tcp_send(ws->conn->tc, mb);
	}

	mem_deref(mb);

	return err;
}


/* Close with a status: say it, then let the connection linger out. */
static void ws_fail(struct httpd_ws *ws, uint16_t code, const char *why)
{
	uint8_t buf[2] = {(uint8_t)(code >> 8), (uint8_t)code};
	char a[64];

	log_debug("websocket %s: closing %u (%s)",
		  addr_str(a, sizeof(a), &ws->peer), code, why);

	if (ws->conn) {
		struct conn *c = ws->conn;

		(void)send_frame(ws, WS_OP_CLOSE, buf, sizeof(buf));
		c->ws = NULL;
		ws->conn = NULL;
		httpd_conn_linger(c);
	}

	ws_closed(ws, code == 1000 ? 0 : EPROTO);
}


static void ping_timeout(void *arg)
{
	struct httpd_ws *ws = arg;

	if (ws->ping_out) {
		ws_fail(ws, 1001, "no pong");
		return;
	}

	ws->ping_out = true;
	(void)send_frame(ws, WS_OP_PING, "beckon", 6);
	tmr_start(&ws->ping, WS_PING_MS, ping_timeout, ws);
}


/*
 * A whole message has arrived. False when parsing must stop: the
 * connection failed, or the handler dropped the owner's reference (only
 * the parser's hold is left: its owner is gone, nothing may reach it).
 */
static bool deliver(struct httpd_ws *ws, const uint8_t *p, size_t len)
{
	if (!utf8_valid_text((const char *)p, len, true)) {
		ws_fail(ws, 1007, "invalid UTF-8");
		return false;
	}

	if (ws->msgh)
		ws->msgh(ws, (const char *)p, len, ws->arg);

	return mem_nrefs(ws) > 1 && ws->conn;
}


/*
 * Parse what is in ws->in; false when the connection was closed or the
 * owner let go. Called only with the parser's hold on ws (parse_held).
 */
static bool parse(struct httpd_ws *ws)
{
	while (ws->in && mbuf_get_left(ws->in) >= 2 && ws->conn) {
		struct ws_frame f;
		uint8_t *pl;
		int err;

		err = httpd_ws_frame_decode(&f, mbuf_buf(ws->in),
					    mbuf_get_left(ws->in));
		if (err == EAGAIN)
			return true;  /* wait for the rest */
		if (err) {
			ws_fail(ws, f.code, f.why);
			return false;
		}

		pl = mbuf_buf(ws->in) + f.hlen;
		httpd_ws_unmask(pl, (size_t)f.len, f.key);
		ws->in->pos += f.hlen + (size_t)f.len;

		switch (f.op) {

		case WS_OP_TEXT:
		case WS_OP_CONT:
			if ((f.op == WS_OP_TEXT) == (ws->msg != NULL)) {
				ws_fail(ws, 1002, "bad continuation");
				return false;
			}
			if (f.fin && f.op == WS_OP_TEXT) {
				if (!deliver(ws, pl, (size_t)f.len))
					return false;
				break;
			}
			if (!ws->msg) {
				ws->msg = mbuf_alloc(1024);
				if (!ws->msg) {
					ws_fail(ws, 1011, "no memory");
					return false;
				}
			}
			if (ws->msg->end + f.len > WS_MAX_MSG) {
				ws_fail(ws, 1009, "message too big");
				return false;
			}
			(void)mbuf_write_mem(ws->msg, pl, (size_t)f.len);
			if (f.fin) {
				struct mbuf *m = ws->msg;
				bool on;

				ws->msg = NULL;
				on = deliver(ws, m->buf, m->end);
				mem_deref(m);
				if (!on)
					return false;
			}
			break;

		case WS_OP_BIN:
			ws_fail(ws, 1003, "binary messages are not used");
			return false;

		case WS_OP_PING:
			(void)send_frame(ws, WS_OP_PONG, pl, (size_t)f.len);
			break;

		case WS_OP_PONG:
			ws->ping_out = false;
			break;

		case WS_OP_CLOSE:
			ws_fail(ws, 1000, "closed by the peer");
			return false;

		default:
			ws_fail(ws, 1002, "unknown opcode");
			return false;
		}
	}

	return ws->conn != NULL;
}


/* Parse, holding ws: a handler may drop the owner's reference. */
static void parse_held(struct httpd_ws *ws)
{
	mem_ref(ws);
	(void)parse(ws);
	mem_deref(ws);
}


/* Append what arrived to the unparsed input; false when ws failed. */
static bool ws_append(struct httpd_ws *ws, struct mbuf *mb)
{
	size_t pos;

	if (!ws || ws->closed)
		return false;

	if (!ws->in) {
		ws->in = mbuf_alloc(mbuf_get_left(mb) + 64);
		if (!ws->in) {
			ws_fail(ws, 1011, "no memory");
			return false;
		}
	}
	else if (ws->in->pos == ws->in->end) {
		mbuf_rewind(ws->in);
	}

	/* unparsed input runs from pos to end: append after it */
	pos = ws->in->pos;
	ws->in->pos = ws->in->end;
	if (mbuf_write_mem(ws->in, mbuf_buf(mb), mbuf_get_left(mb))) {
		ws_fail(ws, 1011, "no memory");
		return false;
	}
	ws->in->pos = pos;

	return true;
}


void httpd_ws_input(struct httpd_ws *ws, struct mbuf *mb)
{
	if (ws_append(ws, mb))
		parse_held(ws);
}


static void later_h(void *arg)
{
	struct httpd_ws *ws = arg;

	if (!ws->closed)
		parse_held(ws);
}


void httpd_ws_input_later(struct httpd_ws *ws, struct mbuf *mb)
{
	if (ws_append(ws, mb))
		tmr_start(&ws->later, 0, later_h, ws);
}


void httpd_ws_conn_gone(struct httpd_ws *ws)
{
	if (!ws)
		return;

	ws->conn = NULL;
	ws_closed(ws, ECONNRESET);
}


static void ws_destructor(void *arg)
{
	struct httpd_ws *ws = arg;

	tmr_cancel(&ws->ping);
	tmr_cancel(&ws->later);
	ws->closeh = NULL;
	ws->msgh = NULL;
	if (ws->conn)
		ws_fail(ws, 1001, "going away");
	mem_deref(ws->in);
	mem_deref(ws->msg);
}


static bool token_in(const struct pl *v, const char *tok)
{
	size_t n = strlen(tok), i;

	/* a comma-separated list of tokens, any case */
	for (i = 0; i + n <= v->l; i++) {
		if (strncasecmp(v->p + i, tok, n))
			continue;
		if ((i == 0 || v->p[i - 1] == ',' || v->p[i - 1] == ' ') &&
		    (i + n == v->l || v->p[i + n] == ',' ||
		     v->p[i + n] == ' '))
			return true;
	}

	return false;
}


int httpd_ws_accept(struct httpd_ws **wsp, struct httpd_req *req,
		    httpd_ws_msg_h *msgh, httpd_ws_close_h *closeh,
		    void *arg)
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	struct pl upg, con, ver, key;
	struct httpd_ws *ws;
	struct conn *c;
	char buf[64], accept[32], hdrs[160];
	uint8_t md[20];
	size_t alen = sizeof(accept) - 1;
	int err;

	if (!wsp || !req)
		return EINVAL;

	c = req->conn;
	if (!c || c->reqs.head != &req->le || req->le.next ||
	    !httpd_req_method_is(req, "GET") ||
	    !httpd_req_hdr(req, "Upgrade", &upg) ||
	    !token_in(&upg, "websocket") ||
	    !httpd_req_hdr(req, "Connection", &con) ||
	    !token_in(&con, "upgrade") ||
	    !httpd_req_hdr(req, "Sec-WebSocket-Key", &key) || key.l != 24) {
		static const char body[] = "{\"error\":{\"code\":"
			"\"bad_upgrade\",\"message\":\"expected a WebSocket "
			"handshake\"}}\n";

		httpd_reply(req, 400, "application/json", NULL, body,
			    sizeof(body) - 1);
		return EBADMSG;
	}
	if (!httpd_req_hdr(req, "Sec-WebSocket-Version", &ver) ||
	    pl_strcmp(&ver, "13")) {
		httpd_reply(req, 426, NULL, "Sec-WebSocket-Version: 13\r\n",
			    NULL, 0);
		return EPROTONOSUPPORT;
	}

	ws = mem_zalloc(sizeof(*ws), ws_destructor);
	if (!ws) {
		httpd_reply(req, 503, NULL, NULL, NULL, 0);
		return ENOMEM;
	}

	/* Sec-WebSocket-Accept: base64(SHA-1(key + GUID)) */
	re_snprintf(buf, sizeof(buf), "%r%s", &key, guid);
	util_sha1(buf, strlen(buf), md);
	err = base64_encode(md, sizeof(md), accept, &alen);
	if (err) {
		mem_deref(ws);
		httpd_reply(req, 500, NULL, NULL, NULL, 0);
		return err;
	}
	accept[alen] = '\0';

	ws->conn = c;
	ws->peer = c->peer;

	/* from here on, c's bytes are frames (see httpd.c) */
	c->ws = ws;

	/*
	 * The 101 goes out now, and the connection may die with it: the
	 * handlers are set only afterwards, so that none runs before the
	 * owner has the object (frames sent with the handshake wait a
	 * loop turn, see httpd_ws_input_later).
	 */
	re_snprintf(hdrs, sizeof(hdrs), "Upgrade: websocket\r\n"
		    "Connection: Upgrade\r\n"
		    "Sec-WebSocket-Accept: %s\r\n", accept);
	err = httpd_reply(req, 101, NULL, hdrs, NULL, 0);
	if (!err && !ws->conn)
		err = ECONNRESET;
	if (err) {
		if (ws->conn)
			ws->conn->ws = NULL;
		ws->conn = NULL;
		mem_deref(ws);
		return err;
	}

	ws->msgh = msgh;
	ws->closeh = closeh;
	ws->arg = arg;
	tmr_start(&ws->ping, WS_PING_MS, ping_timeout, ws);

	*wsp = ws;

	return 0;
}


int httpd_ws_send(struct httpd_ws *ws, const char *text, size_t len)
{
	if (!ws || !text)
		return EINVAL;
	if (ws->closed || !ws->conn)
		return ENOTCONN;

	return send_frame(ws, WS_OP_TEXT, text, len);
}
