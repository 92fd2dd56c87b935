/*
 * WebSocket on beckon's HTTP server, with a raw TCP client on loopback:
 * the handshake's accept key, masked text both ways, fragments, ping/pong,
 * close, and protocol errors that end the connection.
 */
#include <re.h>
#include "util/util.h"
#include "httpd/httpd.h"
#include "test.h"

struct wst {
	struct httpd *h;
	struct httpd_ws *ws;
	struct tcp_conn *tc;
	struct mbuf *rx;
	struct tmr tmr;
	int msgs;
	char last[128];
	int closes;
	int close_err;
	bool got101;
	bool accept_ok;
	int step;
	uint16_t close_code;
	bool pong;
};


static void ws_msg(struct httpd_ws *ws, const char *text, size_t len,
		   void *arg)
{
	struct wst *t = arg;

	t->msgs++;
	re_snprintf(t->last, sizeof(t->last), "%b", text, len);
	/* echo, upper-cased first letter to prove it went through us */
	httpd_ws_send(ws, text, len);
}


static void ws_close(struct httpd_ws *ws, int err, void *arg)
{
	struct wst *t = arg;

	(void)ws;
	t->closes++;
	t->close_err = err;
}


static void req_h(struct httpd_req *req, void *arg)
{
	struct wst *t = arg;

	if (httpd_ws_accept(&t->ws, req, ws_msg, ws_close, t))
		t->ws = NULL;
}


/* a masked client frame */
static void client_frame(struct wst *t, int op, bool fin, const char *p,
			 size_t len, bool mask)
{
	struct mbuf *mb = mbuf_alloc(len + 16);
	const uint8_t key[4] = {0x11, 0x22, 0x33, 0x44};
	size_t i;

	mbuf_write_u8(mb, (uint8_t)((fin ? 0x80 : 0) | op));
	if (len < 126) {
		mbuf_write_u8(mb, (uint8_t)((mask ? 0x80 : 0) | len));
	}
	else {
		mbuf_write_u8(mb, (uint8_t)((mask ? 0x80 : 0) | 126));
		mbuf_write_u16(mb, htons((uint16_t)len));
	}
	if (mask)
		mbuf_write_mem(mb, key, 4);
	for (i = 0; i < len; i++)
		mbuf_write_u8(mb, (uint8_t)(p[i] ^ (mask ? key[i & 3] : 0)));
	mb->pos = 0;
	tcp_send(t->tc, mb);
	mem_deref(mb);
}


static void next_step(struct wst *t);


static void recv_h(struct mbuf *mb, void *arg)
{
	struct wst *t = arg;

	if (!t->rx)
		t->rx = mbuf_alloc(1024);
	t->rx->pos = t->rx->end;
	mbuf_write_mem(t->rx, mbuf_buf(mb), mbuf_get_left(mb));
	t->rx->pos = 0;

	if (!t->got101) {
		const char *s = (const char *)t->rx->buf;
		const char *e = strstr(s, "\r\n\r\n");

		if (!e || t->rx->end < (size_t)(e - s) + 4)
			return;
		t->got101 = !strncmp(s, "HTTP/1.1 101", 12);
		/* RFC 6455's example key gives this accept value */
		t->accept_ok = strstr(s, "Sec-WebSocket-Accept: "
				      "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n");
		t->rx->pos = (size_t)(e - s) + 4;
		memmove(t->rx->buf, t->rx->buf + t->rx->pos,
			t->rx->end - t->rx->pos);
		t->rx->end -= t->rx->pos;
		t->rx->pos = 0;
		next_step(t);
	}

	/* server frames: unmasked, small */
	while (t->rx->end >= 2) {
		uint8_t op = t->rx->buf[0] & 0x0f;
		size_t len = t->rx->buf[1] & 0x7f;

		if (t->rx->end < 2 + len)
			return;
		if (op == 0x1)
			re_snprintf(t->last, sizeof(t->last), "%b",
				    t->rx->buf + 2, len);
		if (op == 0xa)
			t->pong = true;
		if (op == 0x8 && len >= 2)
			t->close_code = (uint16_t)(t->rx->buf[2] << 8 |
						   t->rx->buf[3]);
		memmove(t->rx->buf, t->rx->buf + 2 + len,
			t->rx->end - 2 - len);
		t->rx->end -= 2 + len;
		next_step(t);
	}
}


static void next_step(struct wst *t)
{
	switch (t->step++) {

	case 0:  /* after the 101: a text message, in two fragments */
		client_frame(t, 0x1, false, "hel", 3, true);
		client_frame(t, 0x0, true, "lo", 2, true);
		break;
	case 1:  /* the echo came back: a ping */
		client_frame(t, 0x9, true, "p", 1, true);
		break;
	case 2:  /* pong: now an unmasked frame, a protocol error */
		client_frame(t, 0x1, true, "x", 1, false);
		break;
	default: /* the server's close frame */
		re_cancel();
		break;
	}
}


static void estab_h(void *arg)
{
	struct wst *t = arg;
	struct mbuf *mb = mbuf_alloc(256);

	mbuf_printf(mb, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
		    "Connection: keep-alive, Upgrade\r\n"
		    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		    "Sec-WebSocket-Version: 13\r\n\r\n");
	mb->pos = 0;
	tcp_send(t->tc, mb);
	mem_deref(mb);
}


static void tclose_h(int err, void *arg)
{
	(void)err;
	(void)arg;
	re_cancel();
}


static void guard(void *arg)
{
	(void)arg;
	re_cancel();
}


TEST(ws_handshake_echo_ping_close)
{
	struct httpd_conf conf = {16384, 16384, 16, 5000, 5000, 16};
	struct wst t;
	struct sa laddr;

	memset(&t, 0, sizeof(t));
	TEST_EQ_INT(sa_set_str(&laddr, "127.0.0.1", 0), 0);
	TEST_EQ_INT(httpd_alloc(&t.h, &laddr, &conf, req_h, &t), 0);
	TEST_EQ_INT(httpd_local(t.h, &laddr), 0);
	TEST_EQ_INT(tcp_connect(&t.tc, &laddr, estab_h, recv_h, tclose_h,
				&t), 0);

	tmr_init(&t.tmr);
	tmr_start(&t.tmr, 5000, guard, NULL);
	re_main(NULL);
	tmr_cancel(&t.tmr);

	TEST_ASSERT(t.got101);
	TEST_ASSERT(t.accept_ok);
	TEST_EQ_INT(t.msgs, 1);
	TEST_EQ_STR(t.last, "hello");
	TEST_ASSERT(t.pong);
	TEST_EQ_INT(t.close_code, 1002);
	TEST_EQ_INT(t.closes, 1);
	TEST_EQ_INT(t.close_err, EPROTO);

	t.tc = mem_deref(t.tc);
	t.ws = mem_deref(t.ws);
	t.h = mem_deref(t.h);
	mem_deref(t.rx);

	return 0;
}
