/*
 * What httpd.c and ws.c share: the connection and request objects. A
 * connection that accepted a WebSocket upgrade hands its bytes to ws.c
 * instead of the HTTP parser.
 */
#ifndef BECKON_HTTPD_INT_H
#define BECKON_HTTPD_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <re.h>

struct httpd_ws;

enum {
	MAX_HEADERS = 64,
	MAX_PIPELINE = 64,       /* unanswered requests per connection */
	LINGER_MS = 2000,
};

struct hdr {
	struct pl name;
	struct pl val;
};

struct httpd {
	struct tcp_sock *ts;
	struct list conns;
	struct httpd_conf conf;
	httpd_req_h *reqh;
	void *arg;
	unsigned nconns;
	unsigned unanswered;
};

struct conn {
	struct le le;
	struct httpd *h;
	struct tcp_conn *tc;
	struct sa peer;
	struct tmr tmr;
	struct mbuf *rx;
	struct list reqs;        /* queue of struct httpd_req, in order */
	size_t skip;             /* body bytes still to discard */
	size_t big;              /* head + body of a request arriving
				    under a body_limit over max_body */
	bool closing;            /* no more requests: answer, then close */
	bool lingering;          /* write side shut, discarding input */
	bool in_req;             /* a request has started arriving */
	bool dead;               /* closed: its own reference is dropped;
				    only a caller's hold keeps it */
	struct httpd_ws *ws;     /* upgraded: frames, not requests */
};

struct httpd_req {
	struct le le;
	struct conn *conn;       /* NULL once the connection is gone */
	struct httpd *h;
	struct sa peer;
	char *buf;               /* header block + body */
	struct pl method, path, query, body;
	struct hdr hdrv[MAX_HEADERS];
	unsigned nhdr;
	struct mbuf *answer;
	bool close;              /* close the connection after the answer */
	bool answered;
};

/* httpd.c */
void httpd_conn_linger(struct conn *c);

/*
 * ws.c: bytes for an upgraded connection, parsed now (input) or on the
 * next loop turn (input_later: used while the upgrade is still on the
 * stack, so that no handler runs before httpd_ws_accept has returned);
 * the connection is going.
 */
void httpd_ws_input(struct httpd_ws *ws, struct mbuf *mb);
void httpd_ws_input_later(struct httpd_ws *ws, struct mbuf *mb);
void httpd_ws_conn_gone(struct httpd_ws *ws);

#endif
