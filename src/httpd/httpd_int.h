/*
 * What httpd.c and ws.c share: the connection and request objects. A
 * connection that accepted a WebSocket upgrade hands its bytes to ws.c
 * instead of the HTTP parser.
 */
#ifndef BECKON_HTTPD_INT_H
#define BECKON_HTTPD_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <re.h>
#include "httpd/httpd.h"

struct httpd_ws;
struct httpd_raw;

enum {
	MAX_HEADERS = 64,
	MAX_PIPELINE = 64,       /* unanswered requests per connection */
	LINGER_MS = 2000,
};

struct hdr {
	struct pl name;
	struct pl val;
};

/* a parsed request head; its pointers point into the bytes parsed */
struct httpd_head {
	struct pl method, path, query;  /* path without query, query
					   without '?' */
	struct hdr hdrv[MAX_HEADERS];
	unsigned nhdr;
	size_t clen;             /* Content-Length, 0 without one */
	bool close;              /* Connection: close, or HTTP/1.0 without
				    keep-alive */
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
	struct tls_conn *tls;    /* HTTPS: the TLS layer over tc */
	struct sa peer;
	char peer_str[64];       /* peer's address as text, at the first ask */
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
	struct httpd_raw *raw;   /* taken over: bytes, not requests */
};

struct httpd_req {
	struct le le;
	struct conn *conn;       /* NULL once the connection is gone */
	struct httpd *h;
	struct sa peer;
	char *buf;               /* header block + body */
	struct httpd_head head;  /* pointing into buf */
	struct pl body;
	struct mbuf *answer;
	enum metrics_route route;  /* counted by this pattern when answered */
	bool close;              /* close the connection after the answer */
	bool answered;
};

/*
 * parse.c: pure functions over bytes (no connection), for httpd.c and
 * the fuzz targets. skip_blank: the CR and LF bytes before a request.
 * head_end: the length of the head up to and including its blank line,
 * 0 while it has not ended. head_parse: the head (hlen bytes, ending in
 * the blank line) into *hd; 0, or the HTTP status to fail with (400,
 * 411, 431, 505; the body's bound is httpd.c's, since a route may
 * allow more than max_body). head_move:
 * the head's pointers follow its bytes moved by d. head_hdr: the first
 * header called name (case-insensitive).
 */
size_t   httpd_skip_blank(const char *p, size_t len);
size_t   httpd_head_end(const char *p, size_t len);
uint16_t httpd_head_parse(struct httpd_head *hd, const char *buf,
			  size_t hlen);
void     httpd_head_move(struct httpd_head *hd, ptrdiff_t d);
bool     httpd_head_hdr(const struct httpd_head *hd, const char *name,
			struct pl *val);

/*
 * wsframe.c: a client's WebSocket frame header from bytes alone. 0: the
 * whole frame is in p[0..avail): its payload of f->len bytes follows
 * f->hlen bytes of header (with the mask key); EAGAIN: not all there yet;
 * EPROTO: the connection must fail with f->code (f->why says why).
 * unmask: the payload in place.
 */
enum {
	WS_MAX_MSG = 65536,      /* bytes in a frame and in a message */
	WS_OP_CONT = 0x0,
	WS_OP_TEXT = 0x1,
	WS_OP_BIN = 0x2,
	WS_OP_CLOSE = 0x8,       /* this and above: control frames */
	WS_OP_PING = 0x9,
	WS_OP_PONG = 0xa,
};

struct ws_frame {
	bool fin;
	uint8_t op;
	uint64_t len;            /* payload bytes */
	size_t hlen;             /* header bytes, with the mask key */
	uint8_t key[4];
	uint16_t code;           /* EPROTO: the close status */
	const char *why;
};

int  httpd_ws_frame_decode(struct ws_frame *f, const uint8_t *p,
			   size_t avail);
void httpd_ws_unmask(uint8_t *p, size_t len, const uint8_t key[4]);

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
