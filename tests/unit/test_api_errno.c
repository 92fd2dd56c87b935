/*
 * The one place an errno becomes an HTTP answer (api_reply_errno), seen
 * by a raw TCP client on loopback: the store away (ENOTCONN, PostgreSQL
 * gone) and an overloaded server are 503 with Retry-After, a failed
 * write 500 without it, an unknown id 404.
 */
#include <re.h>
#include "util/util.h"
#include "httpd/httpd.h"
#include "api/api_int.h"
#include "test.h"

struct et {
	struct httpd *h;
	struct tcp_conn *tc;
	struct tmr guard;
	int err;                 /* what the handler answers with */
	char rx[2048];
	size_t n;
};


static void req_h(struct httpd_req *req, void *arg)
{
	struct et *t = arg;

	api_reply_errno(req, t->err, NULL);
}


static void estab_h(void *arg)
{
	static const char get[] = "GET / HTTP/1.1\r\nHost: x\r\n"
		"Connection: close\r\n\r\n";
	struct et *t = arg;
	struct mbuf *mb = mbuf_alloc(sizeof(get));

	mbuf_write_str(mb, get);
	mb->pos = 0;
	tcp_send(t->tc, mb);
	mem_deref(mb);
}


static void recv_h(struct mbuf *mb, void *arg)
{
	struct et *t = arg;
	size_t n = min(mbuf_get_left(mb), sizeof(t->rx) - 1 - t->n);

	memcpy(t->rx + t->n, mbuf_buf(mb), n);
	t->n += n;
	t->rx[t->n] = '\0';
}


static void close_h(int err, void *arg)
{
	(void)err;
	(void)arg;
	re_cancel();
}


static void stop_h(void *arg)
{
	(void)arg;
	re_cancel();
}


/* the answer to one request whose handler replies with err */
static int answer(struct et *t, int err)
{
	struct httpd_conf conf = {16384, 16384, 16, 5000, 5000, 16, NULL,
				  NULL};
	struct sa laddr;

	memset(t, 0, sizeof(*t));
	t->err = err;
	TEST_EQ_INT(sa_set_str(&laddr, "127.0.0.1", 0), 0);
	TEST_EQ_INT(httpd_alloc(&t->h, &laddr, &conf, req_h, t), 0);
	TEST_EQ_INT(httpd_local(t->h, &laddr), 0);
	TEST_EQ_INT(tcp_connect(&t->tc, &laddr, estab_h, recv_h, close_h,
				t), 0);
	tmr_init(&t->guard);
	tmr_start(&t->guard, 5000, stop_h, NULL);
	re_main(NULL);
	tmr_cancel(&t->guard);
	t->tc = mem_deref(t->tc);
	t->h = mem_deref(t->h);

	return 0;
}


TEST(api_errno_replies)
{
	struct et t;

	TEST_EQ_INT(answer(&t, ENOTCONN), 0);
	TEST_ASSERT(!strncmp(t.rx, "HTTP/1.1 503 ", 13));
	TEST_ASSERT(strstr(t.rx, "\r\nRetry-After: 1\r\n"));
	TEST_ASSERT(strstr(t.rx, "\"store_unavailable\""));

	TEST_EQ_INT(answer(&t, EBUSY), 0);
	TEST_ASSERT(!strncmp(t.rx, "HTTP/1.1 503 ", 13));
	TEST_ASSERT(strstr(t.rx, "\r\nRetry-After: 1\r\n"));

	TEST_EQ_INT(answer(&t, EIO), 0);
	TEST_ASSERT(!strncmp(t.rx, "HTTP/1.1 500 ", 13));
	TEST_ASSERT(!strstr(t.rx, "Retry-After"));

	TEST_EQ_INT(answer(&t, ENOENT), 0);
	TEST_ASSERT(!strncmp(t.rx, "HTTP/1.1 404 ", 13));

	return 0;
}
