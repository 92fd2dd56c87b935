/*
 * floor: the least an HTTP server on libre's receive and send path can
 * cost a request, as a reference for bench/intake (built by the bench
 * with cc, not part of beckon). It takes connections as beckon's httpd
 * does (tcp_sock_alloc, tcp_accept with a receive handler), finds each
 * request's end (the head's blank line, then Content-Length bytes) and
 * answers every request with the same static 202 through tcp_send. No
 * parser beyond that, no store, no JSON: what is left is libre's event
 * loop, its read (a buffer a read) and its send, the part of beckon's
 * cost that nginx does not pay in the same way.
 *
 *   floor ADDR:PORT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>

static struct tcp_sock *ts;  /* the listener, to accept on */

struct conn {
	struct tcp_conn *tc;
	struct mbuf *in;    /* what came, written at its end */
	size_t rd;          /* where the next request starts in it */
};

static const char answer[] =
	"HTTP/1.1 202 Accepted\r\n"
	"Content-Type: application/json\r\n"
	"Content-Length: 36\r\n"
	"\r\n"
	"{\"id\":\"cb_static\",\"status\":\"queued\"}";


static void conn_destructor(void *arg)
{
	struct conn *c = arg;

	mem_deref(c->tc);
	mem_deref(c->in);
}


/* The length of the first whole request in p, or 0 if there is none. */
static size_t request_len(const char *p, size_t n)
{
	const char *end = NULL, *cl;
	size_t i, head, body = 0;

	for (i = 3; i < n; i++) {
		if (p[i] == '\n' && p[i - 1] == '\r' && p[i - 2] == '\n' &&
		    p[i - 3] == '\r') {
			end = p + i + 1;
			break;
		}
	}
	if (!end)
		return 0;

	head = (size_t)(end - p);
	for (cl = p; cl + 16 < end; cl++) {
		if (!strncasecmp(cl, "\r\nContent-Length:", 17)) {
			body = strtoul(cl + 17, NULL, 10);
			break;
		}
	}

	return head + body <= n ? head + body : 0;
}


static void recv_handler(struct mbuf *mb, void *arg)
{
	struct conn *c = arg;
	struct mbuf *out;
	size_t len;

	if (mbuf_write_mem(c->in, mbuf_buf(mb), mbuf_get_left(mb)))
		goto close;

	while ((len = request_len((char *)c->in->buf + c->rd,
				  c->in->end - c->rd))) {
		c->rd += len;
		out = mbuf_alloc(sizeof(answer));
		if (!out || mbuf_write_mem(out, (const uint8_t *)answer,
					   sizeof(answer) - 1)) {
			mem_deref(out);
			goto close;
		}
		out->pos = 0;
		(void)tcp_send(c->tc, out);
		mem_deref(out);
	}

	if (c->rd == c->in->end) {
		c->rd = 0;
		mbuf_rewind(c->in);
	}
	return;

 close:
	mem_deref(c);
}


static void close_handler(int err, void *arg)
{
	(void)err;
	mem_deref(arg);
}


static void connect_handler(const struct sa *peer, void *arg)
{
	struct conn *c;

	(void)peer;
	(void)arg;
	c = mem_zalloc(sizeof(*c), conn_destructor);
	if (!c || !(c->in = mbuf_alloc(1024)) ||
	    tcp_accept(&c->tc, ts, NULL, recv_handler, close_handler, c)) {
		mem_deref(c);
		tcp_reject(ts);
	}
}


int main(int argc, char *argv[])
{
	struct sa laddr;
	int err;

	if (argc != 2 || sa_decode(&laddr, argv[1], strlen(argv[1]))) {
		fprintf(stderr, "usage: floor ADDR:PORT\n");
		return 2;
	}

	err = libre_init();
	if (!err)
		err = tcp_sock_alloc(&ts, &laddr, connect_handler, NULL);
	if (!err)
		err = tcp_sock_bind(ts, &laddr);
	if (!err)
		err = tcp_sock_listen(ts, 1024);
	if (err) {
		fprintf(stderr, "floor: %s\n", strerror(err));
		return 1;
	}

	re_main(NULL);

	mem_deref(ts);
	libre_close();

	return 0;
}
