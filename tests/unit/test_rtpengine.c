/*
 * rtpengine: the ng codec on bytes (round trips, malformed input refused
 * with bounded depth and length), the address syntax, and the client's
 * retransmission, cookie matching and cancellation against a UDP socket
 * of the test's own on loopback. tests/integration/rtpengine_ng.sh drives
 * a real rtpengine.
 */
#include <stdlib.h>
#include <re.h>
#include "rtpengine/rtpengine.h"
#include "test.h"


static int decode_str(struct odict **dp, const char *s)
{
	return rtpengine_bencode_decode(dp, (const uint8_t *)s, strlen(s));
}


TEST(rtpengine_bencode_roundtrip)
{
	static const char msg[] =
		"d6:result2:ok3:sdp12:v=0\r\no=- 1\r\n"
		"5:counti-42e4:listl1:ai0ed1:xi7eee"
		"4:dictd5:emptyleee";
	const struct odict_entry *e;
	struct odict *d = NULL;
	struct mbuf *mb = mbuf_alloc(64);
	int err = 0;

	TEST_ASSERT(mb != NULL);
	err = decode_str(&d, msg);
	if (err)
		goto out;

	TEST_EQ_STR(odict_string(d, "result"), "ok");
	TEST_EQ_STR(odict_string(d, "sdp"), "v=0\r\no=- 1\r\n");
	e = odict_get_type(d, ODICT_INT, "count");
	TEST_ASSERT(e && e->u.integer == -42);
	e = odict_get_type(d, ODICT_ARRAY, "list");
	TEST_ASSERT(e && odict_count(e->u.odict, false) == 3);
	TEST_EQ_STR(odict_string(e->u.odict, "0"), "a");
	e = odict_get_type(e->u.odict, ODICT_OBJECT, "2");
	TEST_ASSERT(e && odict_get_type(e->u.odict, ODICT_INT, "x"));
	e = odict_get_type(d, ODICT_OBJECT, "dict");
	TEST_ASSERT(e && odict_get_type(e->u.odict, ODICT_ARRAY, "empty"));

	/* and back, byte for byte (keys keep their order) */
	err = rtpengine_bencode_encode(mb, d);
	if (err)
		goto out;
	TEST_EQ_INT(mb->end, strlen(msg));
	TEST_ASSERT(!memcmp(mb->buf, msg, mb->end));

 out:
	mem_deref(d);
	mem_deref(mb);
	return err;
}


TEST(rtpengine_bencode_malformed)
{
	static const struct {
		const char *in;
		const char *why;
	} bad[] = {
		{"", "empty"},
		{"le", "not a dictionary"},
		{"i1e", "not a dictionary"},
		{"d", "unterminated"},
		{"d1:a", "key without value"},
		{"d1:al", "unterminated list"},
		{"dee", "bytes after the dictionary"},
		{"di1ei2ee", "integer key"},
		{"d1:ai-0ee", "-0"},
		{"d1:ai03ee", "leading zero"},
		{"d1:aie", "no digits"},
		{"d1:ai1", "unterminated integer"},
		{"d1:ai9223372036854775808ee", "integer overflow"},
		{"d1:a03:abce", "length with a leading zero"},
		{"d1:a5:abce", "string past the end"},
		{"d1:a99999999999999999999:ae", "length overflow"},
		{"d1:a1:b1:a1:ce", "a key twice"},
		{"d1:ax1e", "unknown type"},
	};
	struct odict *d = NULL;
	size_t i;
	char *deep;
	size_t n;
	int err;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err = decode_str(&d, bad[i].in);
		if (err != EBADMSG) {
			fprintf(stderr, "  '%s' (%s): %d\n", bad[i].in,
				bad[i].why, err);
			mem_deref(d);
			return EINVAL;
		}
	}

	/* a NUL inside a string cannot be held by an odict */
	err = rtpengine_bencode_decode(&d, (const uint8_t *)"d1:a1:\0e", 8);
	TEST_EQ_INT(err, EBADMSG);

	/* RTPENGINE_DEPTH_MAX levels are fine, one more is not */
	deep = malloc(2 * RTPENGINE_DEPTH_MAX + 8);
	TEST_ASSERT(deep != NULL);
	for (n = 1; n <= 2; n++) {
		size_t lv = RTPENGINE_DEPTH_MAX - 1 + n - 1, k, p = 0;

		p += (size_t)sprintf(deep, "d1:a");
		for (k = 0; k < lv; k++)
			deep[p++] = 'l';
		for (k = 0; k < lv; k++)
			deep[p++] = 'e';
		deep[p++] = 'e';
		err = rtpengine_bencode_decode(&d, (uint8_t *)deep, p);
		if (n == 1 && !err)
			d = mem_deref(d);
		if ((n == 1 && err) || (n == 2 && err != EBADMSG)) {
			fprintf(stderr, "  depth %zu: %d\n", lv + 1, err);
			free(deep);
			return EINVAL;
		}
	}
	free(deep);

	/* no message is longer than a datagram */
	deep = calloc(1, RTPENGINE_MSG_MAX + 1);
	TEST_ASSERT(deep != NULL);
	deep[0] = 'd';
	err = rtpengine_bencode_decode(&d, (uint8_t *)deep,
				       RTPENGINE_MSG_MAX + 1);
	free(deep);
	TEST_EQ_INT(err, EMSGSIZE);

	return 0;
}


TEST(rtpengine_msg_cookie)
{
	static const char *const bad[] = {
		"d6:result4:ponge",              /* no cookie */
		" d6:result4:ponge",             /* empty cookie */
		"a\tb d6:result4:ponge",         /* a control character */
		"0123456789abcdef0123456789abcdef0 de",   /* too long */
		"abc d6:result4:pong",           /* bad dictionary */
	};
	struct odict *d = NULL, *o = NULL;
	struct mbuf *mb = NULL;
	struct pl cookie;
	const char *ok = "5f3a d6:result4:ponge";
	size_t i;
	int err;

	err = rtpengine_msg_decode(&cookie, &d, (const uint8_t *)ok,
				   strlen(ok));
	TEST_EQ_INT(err, 0);
	TEST_ASSERT(!pl_strcmp(&cookie, "5f3a"));
	TEST_EQ_STR(odict_string(d, "result"), "pong");
	d = mem_deref(d);

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err = rtpengine_msg_decode(&cookie, &d,
					   (const uint8_t *)bad[i],
					   strlen(bad[i]));
		if (err != EBADMSG) {
			fprintf(stderr, "  '%s': %d\n", bad[i], err);
			mem_deref(d);
			return EINVAL;
		}
	}

	/* bencode has no booleans: refused, not sent as something else */
	mb = mbuf_alloc(64);
	err = odict_alloc(&o, 8);
	TEST_ASSERT(mb && !err);
	err = odict_entry_add(o, "command", ODICT_STRING, "ping");
	if (!err)
		err = rtpengine_msg_encode(mb, "c1", o);
	TEST_EQ_INT(err, 0);
	TEST_EQ_INT(mb->end, strlen("c1 d7:command4:pinge"));
	TEST_ASSERT(!memcmp(mb->buf, "c1 d7:command4:pinge", mb->end));
	err = rtpengine_msg_encode(mb, "bad cookie", o);
	TEST_EQ_INT(err, EINVAL);
	err = odict_entry_add(o, "flag", ODICT_BOOL, true);
	TEST_EQ_INT(err, 0);
	mb->pos = mb->end = 0;
	TEST_EQ_INT(rtpengine_msg_encode(mb, "c2", o), EINVAL);

	mem_deref(o);
	mem_deref(mb);
	return 0;
}


TEST(rtpengine_addr)
{
	static const char *const bad[] = {
		"127.0.0.1:2223", "udp:", "udp:127.0.0.1", "udp:127.0.0.1:0",
		"udp:localhost:2223", "tcp:127.0.0.1:2223", "udp:::1:2223",
	};
	struct sa sa;
	size_t i;

	TEST_EQ_INT(rtpengine_addr_parse(&sa, "udp:127.0.0.1:2223"), 0);
	TEST_EQ_INT(sa_port(&sa), 2223);
	TEST_EQ_INT(rtpengine_addr_parse(&sa, "udp:[::1]:2224"), 0);
	TEST_EQ_INT(sa_af(&sa), AF_INET6);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (rtpengine_addr_parse(&sa, bad[i]) != EINVAL) {
			fprintf(stderr, "  '%s' accepted\n", bad[i]);
			return EINVAL;
		}
	}

	return 0;
}


/* ---- the client against a UDP peer of the test's own */

enum peer_mode {
	PEER_SILENT,        /* never answers */
	PEER_SECOND,        /* answers the second try, twice, after a
			     * stranger's reply with the same cookie */
	PEER_ERROR,         /* answers "error" */
};

struct peer {
	struct udp_sock *us, *stranger;
	struct sa addr;
	enum peer_mode mode;
	unsigned n;         /* datagrams received */
	bool same;          /* every try the same bytes */
	struct mbuf *first;
};

struct result {
	unsigned calls;
	int err;
	char reason[32];
	struct rtpengine **freep;   /* the handler frees the client */
};


static void peer_reply(struct udp_sock *us, const struct sa *dst,
		       const struct pl *cookie, const char *dict)
{
	struct mbuf *mb = mbuf_alloc(64);

	if (!mb)
		return;
	(void)mbuf_printf(mb, "%r %s", cookie, dict);
	mb->pos = 0;
	(void)udp_send(us, dst, mb);
	mem_deref(mb);
}


static void peer_recv(const struct sa *src, struct mbuf *mb, void *arg)
{
	struct peer *p = arg;
	struct pl cookie;
	const char *sp;

	++p->n;
	if (!p->first) {
		p->first = mbuf_alloc(mbuf_get_left(mb));
		if (p->first)
			(void)mbuf_write_mem(p->first, mbuf_buf(mb),
					     mbuf_get_left(mb));
	}
	else if (p->first->end != mbuf_get_left(mb) ||
		 memcmp(p->first->buf, mbuf_buf(mb), p->first->end)) {
		p->same = false;
	}

	sp = memchr(mbuf_buf(mb), ' ', mbuf_get_left(mb));
	if (!sp)
		return;
	cookie.p = (const char *)mbuf_buf(mb);
	cookie.l = (size_t)(sp - cookie.p);

	if (p->mode == PEER_SECOND && p->n == 2) {
		peer_reply(p->stranger, src, &cookie,
			   "d6:result5:errore");
		peer_reply(p->us, src, &cookie, "d6:result4:ponge");
		peer_reply(p->us, src, &cookie, "d6:result4:ponge");
	}
	else if (p->mode == PEER_ERROR) {
		peer_reply(p->us, src, &cookie,
			   "d6:result5:error12:error-reason7:no calle");
	}
}


static int peer_open(struct peer *p, enum peer_mode mode)
{
	struct sa any;
	int err;

	memset(p, 0, sizeof(*p));
	p->mode = mode;
	p->same = true;
	sa_set_str(&any, "127.0.0.1", 0);
	err = udp_listen(&p->us, &any, peer_recv, p);
	if (!err)
		err = udp_listen(&p->stranger, &any, NULL, NULL);
	if (!err)
		err = udp_local_get(p->us, &p->addr);

	return err;
}


static void peer_close(struct peer *p)
{
	p->us = mem_deref(p->us);
	p->stranger = mem_deref(p->stranger);
	p->first = mem_deref(p->first);
}


static void result_h(int err, const struct odict *reply, void *arg)
{
	struct result *res = arg;
	const char *why = reply ? odict_string(reply, "error-reason") : NULL;

	++res->calls;
	res->err = err;
	if (why)
		str_ncpy(res->reason, why, sizeof(res->reason));
	if (res->freep)
		*res->freep = mem_deref(*res->freep);
	re_cancel();
}


static void stop_loop(void *arg)
{
	(void)arg;
	re_cancel();
}


/* run the loop until a handler stops it or ms pass */
static void run_until(uint32_t ms)
{
	struct tmr t;

	tmr_init(&t);
	tmr_start(&t, ms, stop_loop, NULL);
	(void)re_main(NULL);
	tmr_cancel(&t);
}


TEST(rtpengine_client_timeout)
{
	struct rtpengine *r = NULL;
	struct rtpengine_req *req = NULL;
	struct result res = {0};
	struct peer p;
	uint64_t t0;
	int err;

	err = peer_open(&p, PEER_SILENT);
	if (!err)
		err = rtpengine_alloc(&r, &p.addr);
	if (!err)
		err = rtpengine_ping(&req, r, result_h, &res);
	if (err)
		goto out;

	t0 = tmr_jiffies();
	run_until(RTPENGINE_TRIES * RTPENGINE_RETRY_MS + 2000);

	/* every try sent, the same datagram each time, then ETIMEDOUT */
	TEST_EQ_INT(res.calls, 1);
	TEST_EQ_INT(res.err, ETIMEDOUT);
	TEST_EQ_INT(p.n, RTPENGINE_TRIES);
	TEST_ASSERT(p.same);
	TEST_ASSERT(tmr_jiffies() - t0 >=
		    RTPENGINE_TRIES * RTPENGINE_RETRY_MS - 50);

 out:
	mem_deref(req);
	mem_deref(r);
	peer_close(&p);
	return err;
}


TEST(rtpengine_client_retry_and_cookie)
{
	struct rtpengine *r = NULL;
	struct rtpengine_req *req = NULL;
	struct result res = {0};
	struct peer p;
	int err;

	err = peer_open(&p, PEER_SECOND);
	if (!err)
		err = rtpengine_alloc(&r, &p.addr);
	if (!err)
		err = rtpengine_ping(&req, r, result_h, &res);
	if (err)
		goto out;

	run_until(RTPENGINE_RETRY_MS * 3);
	/* let the duplicate reply arrive too */
	run_until(100);

	/* the stranger's "error" is ignored, the duplicate too */
	TEST_EQ_INT(res.calls, 1);
	TEST_EQ_INT(res.err, 0);
	TEST_EQ_INT(p.n, 2);
	TEST_ASSERT(p.same);

 out:
	mem_deref(req);
	mem_deref(r);
	peer_close(&p);
	return err;
}


TEST(rtpengine_client_error_result)
{
	struct rtpengine *r = NULL;
	struct result res = {0};
	const struct rtpengine_call call = {"c1", "t1", NULL};
	struct peer p;
	int err;

	err = peer_open(&p, PEER_ERROR);
	if (!err)
		err = rtpengine_alloc(&r, &p.addr);
	if (err)
		goto out;

	/* nobody holds the request; the handler frees the client */
	res.freep = &r;
	err = rtpengine_delete(NULL, r, &call, result_h, &res);
	if (err)
		goto out;
	run_until(RTPENGINE_RETRY_MS * 3);

	TEST_EQ_INT(res.calls, 1);
	TEST_EQ_INT(res.err, EPROTO);
	TEST_EQ_STR(res.reason, "no call");
	TEST_ASSERT(r == NULL);

 out:
	mem_deref(r);
	peer_close(&p);
	return err;
}


TEST(rtpengine_client_cancel)
{
	struct rtpengine *r = NULL;
	struct rtpengine_req *req = NULL;
	struct result res = {0};
	const struct rtpengine_call call = {"c1", "t1", NULL};
	struct peer p;
	int err;

	err = peer_open(&p, PEER_SILENT);
	if (!err)
		err = rtpengine_alloc(&r, &p.addr);
	if (!err)
		err = rtpengine_ping(&req, r, result_h, &res);
	if (!err)
		err = rtpengine_delete(NULL, r, &call, result_h, &res);
	if (err)
		goto out;

	/* the request freed, then the client with one nobody holds:
	 * neither handler runs, nothing is left (the runner checks) */
	req = mem_deref(req);
	run_until(RTPENGINE_RETRY_MS + 100);
	r = mem_deref(r);
	run_until(RTPENGINE_RETRY_MS * 2);
	TEST_EQ_INT(res.calls, 0);

 out:
	mem_deref(req);
	mem_deref(r);
	peer_close(&p);
	return err;
}
