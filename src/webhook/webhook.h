/*
 * webhook: telling a business's own systems (a CRM) about its callbacks.
 *
 * Endpoints are records (store.h, struct webhook) managed through the
 * admin API; every event row of a callback puts one delivery per
 * matching endpoint into the store's outbox in the same transaction as
 * the change (store/schema.c). This subsystem holds what the admin API
 * and the sender share: the endpoint URL's rules and the catalogue of
 * event types.
 *
 * No SSRF from a business's settings: a destination on a loopback,
 * private, link-local, shared (CGNAT), multicast or unspecified address
 * is refused unless the administrator allows it (webhook_allow_private).
 */
#ifndef BECKON_WEBHOOK_H
#define BECKON_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sa;

enum {
	WEBHOOK_URL_MAX = 2048,
	WEBHOOK_HOST_MAX = 254,
	WEBHOOK_SECRET_MIN = 16,
	WEBHOOK_SECRET_MAX = 200,
	WEBHOOK_EVENTS_MAX = 1024,
};

/* an endpoint's URL, taken apart */
struct webhook_url {
	bool tls;                         /* https */
	char host[WEBHOOK_HOST_MAX];      /* a name, or an address without
					     brackets */
	bool host_is_addr;
	uint16_t port;
	const char *path;                 /* into the string parsed: "/..."
					     with the query, or "" */
};

/* Parse an http:// or https:// URL: no user info, no fragment, a host
 * name or address, an optional port. 0 or EINVAL with *whyp. */
int  webhook_url_parse(struct webhook_url *u, const char *s,
		       const char **whyp);

/* Whether an address is one a webhook may not reach by default. */
bool webhook_addr_private(const struct sa *sa);

/* Whether a name is an event type ("callback.created", ...). */
bool webhook_event_known(const char *name, size_t len);

/* Check a space-separated list of event types: 0 or EINVAL, the first
 * unknown one in *badp (len in *badlenp). */
int  webhook_events_check(const char *list, const char **badp,
			  size_t *badlenp);

/*
 * The sender (sender.c): delivers the outbox on the loop, each delivery
 * a POST of one JSON event signed with
 * "Beckon-Signature: t=UNIX_SECONDS,v1=HEX(HMAC-SHA256(secret, t.body))".
 * Freeing it leaves what is in flight pending in the outbox.
 *
 * A destination is checked against webhook_addr_private before each
 * attempt: an address as it is, a host name once resolved (its A
 * records; IPv4 only): one private address among them refuses the
 * attempt, else the first is the one connected to (no second lookup to
 * rebind). An https endpoint's certificate chain is verified against
 * the system's CA store plus ca_file, and its name (or address)
 * against the URL's host, before the event is sent.
 */
struct store;
struct webhook_sender;

struct webhook_sender_conf {
	bool allow_private;
	unsigned concurrency;     /* deliveries in flight at most */
	unsigned timeout_ms;      /* one attempt, connect to answer */
	int64_t retry_min_s;      /* the first retry's delay */
	int64_t retry_hours;      /* given up when the event is that old */
	int64_t fail_max;         /* failed attempts in a row that stop an
				     endpoint (0: never) */
	const char *ca_file;      /* more trusted CAs, PEM (NULL: none) */
	const struct sa *nsv;     /* name servers (NULL: resolv.conf) */
	uint32_t nsc;
};

int webhook_sender_alloc(struct webhook_sender **sp, struct store *st,
			 const struct webhook_sender_conf *conf);
/* read the outbox now rather than at the next tick (unless a read is
 * already out) */
void webhook_sender_poll(struct webhook_sender *s);

#endif
