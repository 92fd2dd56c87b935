/*
 * What the webhook's files share: one POST on the wire (post.c), which
 * the sender (sender.c) uses for every delivery.
 */
#ifndef BECKON_WEBHOOK_INT_H
#define BECKON_WEBHOOK_INT_H

#include <stdint.h>

struct mbuf;
struct sa;
struct webhook_trust;
struct webhook_post;

/* The certificates HTTPS endpoints are verified against: OpenSSL's
 * default store (the system's, /etc/ssl/certs) plus ca_file (NULL or
 * "": none). Loaded once, shared by every post. */
int  webhook_trust_alloc(struct webhook_trust **tp, const char *ca_file);

/* status: the answer's HTTP status, 0 when there was none; why: a
 * short reason for a person when there was no answer, else NULL */
typedef void (webhook_post_h)(uint16_t status, const char *why, void *arg);

/* Send msg (a whole HTTP request, "Connection: close") to addr; with a
 * trust store, over TLS to a server whose chain and name (host) are
 * verified before any byte of msg is written. h is called once, from
 * the loop, never after *pp is freed; there is no timeout here. */
int  webhook_post_send(struct webhook_post **pp, struct webhook_trust *trust,
		       const struct sa *addr, const char *host,
		       struct mbuf *msg, webhook_post_h *h, void *arg);

#endif
