/*
 * The HTTP connection's ownership, with a raw TCP client on loopback: a
 * handler that closes the connection mid-pipeline, answers given after
 * the client has reset the connection, and a connection taken over as
 * raw bytes (httpd_raw_take, the cluster's relay). Under ASan, any use of a
 * freed connection or request fails the run.
 */
#include <sys/socket.h>
#include <re.h>
#include "util/util.h"
#include "httpd/httpd.h"
#include "test.h"

enum { HELD_MAX = 4 };

struct ht {
	struct httpd *h;
	struct tcp_conn *tc;
	struct mbuf *rx;
	struct tmr tmr;
	const char *send;        /* what the client writes at once */
	bool hold;               /* keep the requests, answer them later */
	bool take;               /* take the connection over (raw) */
	struct httpd_raw *raw;
	int take_err;            /* httpd_raw_take's, for the last one */
	char got[512];           /* what the client received */
	size_t ngot;
	bool reset;              /* the client resets once all arrived */
	struct httpd_req *held[HELD_MAX];
	int nreq;
	int answers;             /* "HTTP/1.1 " seen by the client */
	bool closed;
};


/* the raw connection: echo what comes after the request, then close */
static void raw_recv_h(struct mbuf *mb, void *arg)
{
	struct ht *t = arg;
	struct mbuf *out = mbuf_alloc(64 + mbuf_get_left(mb));

	mbuf_write_str(out, "ECHO:");
	mbuf_write_mem(out, mbuf_buf(mb), mbuf_get_left(mb));
	out->pos = 0;
	(void)httpd_raw_send(t->raw, out);
	mem_deref(out);
	t->raw = mem_deref(t->raw);
}


static void raw_close_h(int err, void *arg)
{
	(void)err;
	(void)arg;
}


static void req_h(struct httpd_req *req, void *arg)
{
	struct ht *t = arg;

	if (t->take && (!t->hold || t->nreq)) {
		t->take_err = httpd_raw_take(&t->raw, req, raw_recv_h,
					     raw_close_h, t);
		if (!t->take_err) {
			t->nreq++;
			return;
		}
	}

	if (t->hold && t->nreq < HELD_MAX) {
		t->held[t->nreq++] = req;
		return;
	}

	t->nreq++;
	httpd_reply(req, 200, "text/plain", NULL, "hi", 2);
}


static void estab_h(void *arg)
{
	struct ht *t = arg;
	struct mbuf *mb = mbuf_alloc(512);

	mbuf_write_str(mb, t->send);
	mb->pos = 0;
	tcp_send(t->tc, mb);
	mem_deref(mb);
}


static void recv_h(struct mbuf *mb, void *arg)
{
	struct ht *t = arg;
	size_t i;

	for (i = 0; i + 9 <= mbuf_get_left(mb); i++) {
		if (!memcmp(mbuf_buf(mb) + i, "HTTP/1.1 ", 9))
			t->answers++;
	}
	for (i = 0; i < mbuf_get_left(mb) && t->ngot + 1 < sizeof(t->got);
	     i++)
		t->got[t->ngot++] = (char)mbuf_buf(mb)[i];
}


static void close_h(int err, void *arg)
{
	struct ht *t = arg;

	(void)err;
	t->closed = true;
	re_cancel();
}


static void stop_h(void *arg)
{
	(void)arg;
	re_cancel();
}


/* every 10 ms: once the server holds them all, reset the connection */
static void poll_h(void *arg)
{
	struct ht *t = arg;

	if (t->take && t->hold && t->nreq == 2) {
		re_cancel();
		return;
	}
	if (t->reset && t->nreq == 2 && t->tc) {
		struct linger lg = {1, 0};

		(void)setsockopt(tcp_conn_fd(t->tc), SOL_SOCKET, SO_LINGER,
				 &lg, sizeof(lg));
		t->tc = mem_deref(t->tc);   /* RST */
		tmr_start(&t->tmr, 200, stop_h, t);
		return;
	}

	tmr_start(&t->tmr, 10, poll_h, t);
}


static int run(struct ht *t)
{
	struct httpd_conf conf = {16384, 16384, 16, 5000, 5000, 16, NULL,
				  NULL};
	struct sa laddr;
	struct tmr guard;

	TEST_EQ_INT(sa_set_str(&laddr, "127.0.0.1", 0), 0);
	TEST_EQ_INT(httpd_alloc(&t->h, &laddr, &conf, req_h, t), 0);
	TEST_EQ_INT(httpd_local(t->h, &laddr), 0);
	TEST_EQ_INT(tcp_connect(&t->tc, &laddr, estab_h, recv_h, close_h,
				t), 0);

	tmr_init(&guard);
	tmr_start(&guard, 5000, stop_h, NULL);
	tmr_start(&t->tmr, 10, poll_h, t);
	re_main(NULL);
	tmr_cancel(&guard);
	tmr_cancel(&t->tmr);

	return 0;
}


#define GET "GET / HTTP/1.1\r\nHost: x\r\n"

TEST(httpd_close_mid_pipeline)
{
	struct ht t;
	int err;

	/* the first asks to close: the two behind it are never read */
	memset(&t, 0, sizeof(t));
	t.send = GET "Connection: close\r\n\r\n" GET "\r\n" GET "\r\n";
	err = run(&t);
	if (err)
		return err;

	TEST_EQ_INT(t.nreq, 1);
	TEST_EQ_INT(t.answers, 1);
	TEST_ASSERT(t.closed);
	TEST_EQ_INT(httpd_unanswered(t.h), 0);

	t.tc = mem_deref(t.tc);
	t.h = mem_deref(t.h);

	return 0;
}


TEST(httpd_answers_after_a_reset)
{
	struct ht t;
	int err, i;

	/* two requests wait for their answers while the client resets */
	memset(&t, 0, sizeof(t));
	t.send = GET "\r\n" GET "\r\n";
	t.hold = true;
	t.reset = true;
	err = run(&t);
	if (err)
		return err;

	TEST_EQ_INT(t.nreq, 2);
	TEST_EQ_INT(httpd_unanswered(t.h), 2);

	/* the connection is gone: the answers are dropped, not sent */
	for (i = 1; i >= 0; i--)
		TEST_EQ_INT(httpd_reply(t.held[i], 200, NULL, NULL, NULL, 0),
			    0);
	TEST_EQ_INT(httpd_unanswered(t.h), 0);
	TEST_EQ_INT(t.answers, 0);

	t.h = mem_deref(t.h);

	return 0;
}


TEST(httpd_raw_takes_the_connection)
{
	struct ht t;
	int err;

	/* taken at the first request: what follows it is the raw side's,
	 * unparsed, and its close ends the connection */
	memset(&t, 0, sizeof(t));
	t.send = GET "\r\n" "not HTTP at all";
	t.take = true;
	err = run(&t);
	if (err)
		return err;

	TEST_EQ_INT(t.take_err, 0);
	TEST_EQ_INT(t.nreq, 1);
	TEST_EQ_INT(t.answers, 0);
	TEST_EQ_STR(t.got, "ECHO:not HTTP at all");
	TEST_ASSERT(t.closed);
	TEST_EQ_INT(httpd_unanswered(t.h), 0);

	t.tc = mem_deref(t.tc);
	t.h = mem_deref(t.h);

	return 0;
}


TEST(httpd_raw_not_behind_an_unanswered_request)
{
	struct ht t;
	int err;

	/* the first is held unanswered: the second cannot take over, and
	 * is answered as usual after the first */
	memset(&t, 0, sizeof(t));
	t.send = GET "\r\n" GET "\r\n";
	t.take = true;
	t.hold = true;
	err = run(&t);
	if (err)
		return err;

	TEST_EQ_INT(t.take_err, EBUSY);
	TEST_EQ_INT(t.nreq, 2);
	TEST_ASSERT(t.raw == NULL);
	TEST_EQ_INT(httpd_reply(t.held[0], 200, NULL, NULL, NULL, 0), 0);
	TEST_EQ_INT(httpd_reply(t.held[1], 200, NULL, NULL, NULL, 0), 0);
	TEST_EQ_INT(httpd_unanswered(t.h), 0);

	t.tc = mem_deref(t.tc);
	t.h = mem_deref(t.h);

	return 0;
}
