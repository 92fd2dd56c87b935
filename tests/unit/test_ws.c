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
	struct httpd_conf conf = {16384, 16384, 16, 5000, 5000, 16, NULL,
				  NULL};
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


/*
 * Ownership: the owner's close handler drops the owner, and the owner's
 * destructor drops the WebSocket, as the agent desk does. Each case sends
 * frames that make the server close (or a message handler that drops its
 * owner) while the parser or the accept is still on the stack; ASan turns
 * any use after free into a failure, and the counts must be exact.
 */
struct owner {
	struct httpd_ws *ws;
	struct own_t *t;
};

struct own_t {
	struct httpd *h;
	struct tcp_conn *tc;
	struct mbuf *rx;
	struct owner *o;
	const uint8_t *pre;      /* sent in the handshake's own write */
	size_t pre_len;
	const uint8_t *post;     /* sent once the 101 has arrived */
	size_t post_len;
	bool drop_on_msg;        /* the message handler drops the owner */
	bool got101;
	bool owner_had_ws;       /* when the close handler ran */
	int msgs, closes, freed;
	int close_code;
};


static void owner_destructor(void *arg)
{
	struct owner *o = arg;

	o->t->freed++;
	mem_deref(o->ws);
}


static void own_msg(struct httpd_ws *ws, const char *text, size_t len,
		    void *arg)
{
	struct owner *o = arg;
	struct own_t *t = o->t;

	(void)ws;
	(void)text;
	(void)len;
	t->msgs++;
	if (t->drop_on_msg) {
		t->o = NULL;
		mem_deref(o);
	}
}


static void own_close(struct httpd_ws *ws, int err, void *arg)
{
	struct owner *o = arg;
	struct own_t *t = o->t;

	(void)ws;
	(void)err;
	t->closes++;
	t->owner_had_ws = o->ws != NULL;
	t->o = NULL;
	mem_deref(o);
}


static void own_req(struct httpd_req *req, void *arg)
{
	struct own_t *t = arg;
	struct owner *o = mem_zalloc(sizeof(*o), owner_destructor);

	o->t = t;
	t->o = o;
	if (httpd_ws_accept(&o->ws, req, own_msg, own_close, o)) {
		t->o = NULL;
		mem_deref(o);
	}
}


static void own_send(struct own_t *t, const char *head, const uint8_t *p,
		     size_t len)
{
	struct mbuf *mb = mbuf_alloc(512);

	if (head)
		mbuf_write_str(mb, head);
	if (len)
		mbuf_write_mem(mb, p, len);
	mb->pos = 0;
	tcp_send(t->tc, mb);
	mem_deref(mb);
}


static void own_estab(void *arg)
{
	struct own_t *t = arg;

	own_send(t, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
		 "Connection: Upgrade\r\n"
		 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		 "Sec-WebSocket-Version: 13\r\n\r\n", t->pre, t->pre_len);
}


/* the end of the 101's header block in rx, or NULL */
static const char *head_end_of(const struct mbuf *rx)
{
	size_t i;

	for (i = 0; i + 4 <= rx->end; i++) {
		if (!memcmp(rx->buf + i, "\r\n\r\n", 4))
			return (const char *)rx->buf + i;
	}

	return NULL;
}


static void own_recv(struct mbuf *mb, void *arg)
{
	struct own_t *t = arg;
	const char *e;

	if (!t->rx)
		t->rx = mbuf_alloc(1024);
	t->rx->pos = t->rx->end;
	mbuf_write_mem(t->rx, mbuf_buf(mb), mbuf_get_left(mb));
	t->rx->pos = 0;

	if (!t->got101) {
		e = head_end_of(t->rx);
		if (!e)
			return;
		t->got101 = !strncmp((const char *)t->rx->buf,
				     "HTTP/1.1 101", 12);
		t->rx->pos = (size_t)(e - (const char *)t->rx->buf) + 4;
		if (t->post_len)
			own_send(t, NULL, t->post, t->post_len);
	}

	/* the server's close frame: 0x88, length, code */
	while (mbuf_get_left(t->rx) >= 2) {
		const uint8_t *f = mbuf_buf(t->rx);
		size_t len = f[1] & 0x7f;

		if (mbuf_get_left(t->rx) < 2 + len)
			break;
		if ((f[0] & 0x0f) == 0x8 && len >= 2) {
			t->close_code = f[2] << 8 | f[3];
			re_cancel();
		}
		t->rx->pos += 2 + len;
	}

	/* keep only what is not read yet */
	memmove(t->rx->buf, mbuf_buf(t->rx), mbuf_get_left(t->rx));
	t->rx->end -= t->rx->pos;
	t->rx->pos = 0;
}


static int own_run(struct own_t *t)
{
	struct httpd_conf conf = {16384, 16384, 16, 5000, 5000, 16, NULL,
				  NULL};
	struct sa laddr;
	struct tmr tmr;

	TEST_EQ_INT(sa_set_str(&laddr, "127.0.0.1", 0), 0);
	TEST_EQ_INT(httpd_alloc(&t->h, &laddr, &conf, own_req, t), 0);
	TEST_EQ_INT(httpd_local(t->h, &laddr), 0);
	TEST_EQ_INT(tcp_connect(&t->tc, &laddr, own_estab, own_recv,
				tclose_h, t), 0);

	tmr_init(&tmr);
	tmr_start(&tmr, 5000, guard, NULL);
	re_main(NULL);
	tmr_cancel(&tmr);

	t->tc = mem_deref(t->tc);
	t->o = mem_deref(t->o);
	t->h = mem_deref(t->h);
	t->rx = mem_deref(t->rx);

	return 0;
}


/* a masked client frame into a buffer: its length */
static size_t frame(uint8_t *buf, uint8_t b0, const char *p, size_t len,
		    bool mask)
{
	static const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
	size_t i, n = 0;

	buf[n++] = b0;
	buf[n++] = (uint8_t)((mask ? 0x80 : 0) | len);
	if (mask) {
		memcpy(buf + n, key, 4);
		n += 4;
	}
	for (i = 0; i < len; i++)
		buf[n++] = (uint8_t)(p[i] ^ (mask ? key[i & 3] : 0));

	return n;
}


TEST(ws_closing_frame_with_the_handshake)
{
	/* each makes the server close; sent in the handshake's write */
	static const struct {
		uint8_t b0;
		const char *payload;
		bool mask;
		int code;
	} casev[] = {
		{0x88, "\x03\xe8", true, 1000},   /* close */
		{0x81, "hi", false, 1002},        /* unmasked */
		{0xc1, "hi", true, 1002},         /* reserved bit */
		{0x81, "\xff\xfe", true, 1007},   /* invalid UTF-8 */
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(casev); i++) {
		uint8_t buf[64];
		struct own_t t;
		int err;

		memset(&t, 0, sizeof(t));
		t.pre = buf;
		t.pre_len = frame(buf, casev[i].b0, casev[i].payload,
				  strlen(casev[i].payload), casev[i].mask);
		err = own_run(&t);
		if (err)
			return err;
		TEST_ASSERT(t.got101);
		TEST_EQ_INT(t.close_code, casev[i].code);
		TEST_EQ_INT(t.closes, 1);
		TEST_EQ_INT(t.freed, 1);
		/* the close came after the accept gave the owner its ws */
		TEST_ASSERT(t.owner_had_ws);
		TEST_EQ_INT(t.msgs, 0);
	}

	return 0;
}


TEST(ws_failing_frame_then_more)
{
	uint8_t buf[64];
	size_t n;
	struct own_t t;
	int err;

	/* bad UTF-8 fails the connection; the frame behind it is unread */
	n = frame(buf, 0x81, "\xc3\x28", 2, true);
	n += frame(buf + n, 0x81, "after", 5, true);

	memset(&t, 0, sizeof(t));
	t.post = buf;
	t.post_len = n;
	err = own_run(&t);
	if (err)
		return err;
	TEST_ASSERT(t.got101);
	TEST_EQ_INT(t.close_code, 1007);
	TEST_EQ_INT(t.msgs, 0);
	TEST_EQ_INT(t.closes, 1);
	TEST_EQ_INT(t.freed, 1);

	return 0;
}


TEST(ws_message_handler_drops_its_owner)
{
	uint8_t buf[64];
	size_t n;
	struct own_t t;
	int err;

	/* three messages in one write; the first one's handler drops the
	 * owner and so the WebSocket: the server says "going away" */
	n = frame(buf, 0x81, "one", 3, true);
	n += frame(buf + n, 0x81, "two", 3, true);
	n += frame(buf + n, 0x81, "three", 5, true);

	memset(&t, 0, sizeof(t));
	t.post = buf;
	t.post_len = n;
	t.drop_on_msg = true;
	err = own_run(&t);
	if (err)
		return err;
	TEST_ASSERT(t.got101);
	TEST_EQ_INT(t.msgs, 1);
	TEST_EQ_INT(t.close_code, 1001);
	TEST_EQ_INT(t.closes, 0);
	TEST_EQ_INT(t.freed, 1);

	return 0;
}
