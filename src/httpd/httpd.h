/*
 * httpd: beckon's HTTP/1.1 server, on libre's TCP and event loop.
 *
 * Why not libre's http_listen: beckon answers a POST only once the callback
 * is committed (group commit, a loop turn or more later), so replies are
 * asynchronous; pipelined requests must still be answered in order; an
 * oversized body must get a 413 from its Content-Length before it is read;
 * "Connection: close" must be honoured with a lingering close so that the
 * answer is not lost to a reset; and slow or idle clients must be timed
 * out. libre 1.1.0's server does none of these (see README, "Why").
 *
 * A request handler gets a struct httpd_req and must call httpd_reply()
 * exactly once, now or later; the request stays valid until then even if
 * the client has gone (the reply is then dropped).
 */
#ifndef BECKON_HTTPD_H
#define BECKON_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "metrics/metrics.h"

struct sa;
struct pl;
struct mbuf;
struct tls;
struct httpd;
struct httpd_req;

/*
 * A larger body for some requests (an authenticated upload): called with
 * a request whose head is parsed (method, path, headers; no body yet),
 * returns the limit for its body, or 0 for max_body. Everything else
 * keeps max_body, so a large body is held in memory only for the
 * requests that earn it.
 */
typedef size_t (httpd_body_limit_h)(const struct httpd_req *req, void *arg);

struct httpd_conf {
	size_t max_body;          /* larger Content-Length: 413 */
	size_t max_header;        /* request line + headers, bytes */
	unsigned max_conns;
	unsigned idle_timeout_ms; /* keep-alive connection with no request */
	unsigned req_timeout_ms;  /* from a request's first byte to its end */
	int backlog;              /* of the listening socket (listen(2)) */
	httpd_body_limit_h *body_limit;  /* NULL: max_body for all; its
					    arg is the handler's */
	struct tls *tls;          /* HTTPS with this context (held by the
				     server); NULL: plain HTTP */
};

typedef void (httpd_req_h)(struct httpd_req *req, void *arg);

/*
 * A TLS server context (tls.c) from a PEM certificate chain and a PEM
 * private key, for httpd_conf.tls. A file that is missing, unreadable,
 * not PEM or encrypted, or a key that is not the certificate's, is
 * refused with a log line naming the key and the file (never its
 * contents). Only TLS 1.2 and later are offered.
 */
int  httpd_tls_alloc(struct tls **tlsp, const char *cert_file,
		     const char *key_file);

int  httpd_alloc(struct httpd **hp, const struct sa *laddr,
		 const struct httpd_conf *conf, httpd_req_h *reqh, void *arg);
int  httpd_local(const struct httpd *h, struct sa *laddr);
/* stop accepting new connections (shutdown) */
void httpd_stop_listening(struct httpd *h);
/* requests handed to the handler and not yet answered */
unsigned httpd_unanswered(const struct httpd *h);

/* the request: path (no query), query (no '?'), body */
const struct pl *httpd_req_path(const struct httpd_req *req);
const struct pl *httpd_req_query(const struct httpd_req *req);
const struct pl *httpd_req_body(const struct httpd_req *req);
const struct sa *httpd_req_peer(const struct httpd_req *req);
/* its address as text (sa_ntop), formatted once a connection while the
 * request's peer is the connection's: keep-alive requests reuse it */
int httpd_req_peer_str(const struct httpd_req *req, char *buf, size_t sz);
/* the client a trusted relay names (cluster/relay.c) stands for the peer */
void httpd_req_set_peer(struct httpd_req *req, const struct sa *peer);
bool httpd_req_method_is(const struct httpd_req *req, const char *m);
/* the request came over HTTPS (a cookie for it may be Secure) */
bool httpd_req_secure(const struct httpd_req *req);
/* the value of the first header called name (case-insensitive) */
bool httpd_req_hdr(const struct httpd_req *req, const char *name,
		   struct pl *val);

/* the route pattern the request is counted under in metrics.h (none
 * until set: MR_NONE) */
void httpd_req_set_route(struct httpd_req *req, enum metrics_route route);

/*
 * Answer a request. hdrs is NULL or extra header lines, each ending in
 * CRLF. ctype NULL means no Content-Type. Consumes the request.
 */
int httpd_reply(struct httpd_req *req, uint16_t status, const char *ctype,
		const char *hdrs, const void *body, size_t len);

/* The same with the header lines and the body each in pieces (nh and
 * nb of them, written in order): an answer made of parts is built once,
 * in the buffer that is sent. */
int httpd_reply_pl(struct httpd_req *req, uint16_t status,
		   const char *ctype, const struct pl *hdrs, size_t nh,
		   const struct pl *body, size_t nb);

const char *httpd_reason(uint16_t status);

/*
 * WebSocket (ws.c). httpd_ws_accept() answers the request 101 and turns
 * its connection into a WebSocket, or answers it 400/426 and returns an
 * error. The caller owns the returned object: mem_deref() closes it.
 * msgh gets each text message; closeh is called once, when the peer
 * closes or goes, or on a protocol error (never after a mem_deref).
 */
struct httpd_ws;

typedef void (httpd_ws_msg_h)(struct httpd_ws *ws, const char *text,
			      size_t len, void *arg);
typedef void (httpd_ws_close_h)(struct httpd_ws *ws, int err, void *arg);

int  httpd_ws_accept(struct httpd_ws **wsp, struct httpd_req *req,
		     httpd_ws_msg_h *msgh, httpd_ws_close_h *closeh,
		     void *arg);
int  httpd_ws_send(struct httpd_ws *ws, const char *text, size_t len);

/*
 * Raw bytes (a relay: cluster/relay.c). httpd_req_head: the request's
 * head as received, request line to blank line (with its CRLFs).
 * httpd_raw_take() takes the request's connection over: the request is
 * consumed and never answered here; from then on every byte the client
 * sends goes to recvh, unparsed, starting with any it sent after the
 * request (on the next loop turn), and httpd_raw_send() writes bytes to
 * the client. closeh is called once when the client goes (never after a
 * mem_deref). mem_deref() of the object closes the connection once what
 * was sent has left. Only a request with no other request before it on
 * its connection can be taken (else EBUSY); the connection is then free
 * of the server's timers: whoever relays it bounds it.
 */
struct httpd_raw;

typedef void (httpd_raw_recv_h)(struct mbuf *mb, void *arg);
typedef void (httpd_raw_close_h)(int err, void *arg);

void httpd_req_head(const struct httpd_req *req, struct pl *head);
int  httpd_raw_take(struct httpd_raw **rawp, struct httpd_req *req,
		    httpd_raw_recv_h *recvh, httpd_raw_close_h *closeh,
		    void *arg);
int  httpd_raw_send(struct httpd_raw *raw, struct mbuf *mb);

#endif
