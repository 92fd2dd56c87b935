/*
 * webhook: the endpoint URL's rules, the private-address check and the
 * catalogue of event types (see webhook.h).
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#include "webhook/webhook.h"

/*
 * The event types, "callback." and the type of the event row that records
 * the change (acd.c, store/sqlite.c; docs/webhooks.md describes each).
 */
static const char *const event_names[] = {
	"created", "joined", "withdrawn", "canceled", "queued", "routed",
	"offered", "dialing", "accepted", "declined", "offer_timeout",
	"ringing", "answered", "agent_ringing", "agent_answered",
	"agent_failed", "bridged", "ended", "wrap_up", "retry_scheduled",
	"rescheduled", "requeued", "outside_hours", "failed", "abandoned",
	"interrupted", "supervised",
};

static const char prefix[] = "callback.";

/* an agent's state changed (schema.c, migration 16) */
static const char presence[] = "agent.presence";


bool webhook_event_known(const char *name, size_t len)
{
	const size_t pl = sizeof(prefix) - 1;
	size_t i;

	if (name && len == sizeof(presence) - 1 &&
	    !strncmp(name, presence, len))
		return true;
	if (!name || len <= pl || strncmp(name, prefix, pl))
		return false;

	for (i = 0; i < sizeof(event_names) / sizeof(event_names[0]); i++) {
		if (strlen(event_names[i]) == len - pl &&
		    !strncmp(event_names[i], name + pl, len - pl))
			return true;
	}

	return false;
}


int webhook_events_check(const char *list, const char **badp,
			 size_t *badlenp)
{
	const char *p = list;

	if (!list)
		return 0;
	if (strlen(list) > WEBHOOK_EVENTS_MAX)
		return EINVAL;

	while (*p) {
		size_t n;

		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n && !webhook_event_known(p, n)) {
			if (badp)
				*badp = p;
			if (badlenp)
				*badlenp = n;
			return EINVAL;
		}
		p += n;
	}

	return 0;
}


static bool v4_private(uint32_t a)
{
	return (a >> 24) == 0 ||                    /* 0.0.0.0/8 */
		(a >> 24) == 10 ||                  /* 10/8 */
		(a >> 24) == 127 ||                 /* loopback */
		(a >> 22) == (100u << 2 | 1) ||     /* 100.64/10 */
		(a >> 16) == (169u << 8 | 254) ||   /* link-local */
		(a >> 20) == (172u << 4 | 1) ||     /* 172.16/12 */
		(a >> 16) == (192u << 8 | 168) ||   /* 192.168/16 */
		(a >> 28) >= 14;                    /* multicast, 240/4 */
}


bool webhook_addr_private(const struct sa *sa)
{
	uint8_t a[16];
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					   0xff, 0xff};

	if (!sa)
		return true;

	switch (sa_af(sa)) {

	case AF_INET:
		return v4_private(sa_in(sa));

	case AF_INET6:
		sa_in6(sa, a);
		/* ::ffff:a.b.c.d is that IPv4 address */
		if (!memcmp(a, mapped, sizeof(mapped)))
			return v4_private((uint32_t)a[12] << 24 |
					  (uint32_t)a[13] << 16 |
					  (uint32_t)a[14] << 8 | a[15]);
		return sa_is_any(sa) || sa_is_loopback(sa) ||
			(a[0] & 0xfe) == 0xfc ||            /* fc00::/7 */
			(a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||
			a[0] == 0xff;                       /* multicast */

	default:
		return true;
	}
}


static bool host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '.';
}


static int parse_port(uint16_t *portp, const char *p, size_t n)
{
	uint32_t v = 0;
	size_t i;

	if (!n || n > 5)
		return EINVAL;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return EINVAL;
		v = v * 10 + (uint32_t)(p[i] - '0');
	}
	if (!v || v > 65535)
		return EINVAL;
	*portp = (uint16_t)v;

	return 0;
}


/* the authority [host]:port or host:port, n bytes at p */
static int parse_authority(struct webhook_url *u, const char *p, size_t n,
			   const char **whyp)
{
	const char *host = p, *colon = NULL;
	size_t hl = n, i;
	struct sa sa;

	if (memchr(p, '@', n)) {
		*whyp = "no user name or password in the URL";
		return EINVAL;
	}

	if (n && *p == '[') {
		const char *end = memchr(p, ']', n);

		if (!end) {
			*whyp = "an IPv6 address without its ']'";
			return EINVAL;
		}
		host = p + 1;
		hl = (size_t)(end - host);
		if (end + 1 < p + n) {
			if (end[1] != ':')
				goto bad;
			colon = end + 1;
		}
	}
	else {
		colon = memchr(p, ':', n);
		if (colon)
			hl = (size_t)(colon - p);
	}

	if (!hl || hl >= sizeof(u->host))
		goto bad;
	memcpy(u->host, host, hl);
	u->host[hl] = '\0';

	if (colon && parse_port(&u->port, colon + 1,
				(size_t)(p + n - colon - 1))) {
		*whyp = "the port must be 1 to 65535";
		return EINVAL;
	}

	u->host_is_addr = !sa_set_str(&sa, u->host, 0);
	if (*p == '[' && !u->host_is_addr)
		goto bad;
	if (!u->host_is_addr) {
		for (i = 0; i < hl; i++) {
			if (!host_char(u->host[i]))
				goto bad;
		}
	}

	return 0;

 bad:
	*whyp = "the host must be a name or an address";
	return EINVAL;
}


int webhook_url_parse(struct webhook_url *u, const char *s,
		      const char **whyp)
{
	const char *why = "must be an http:// or https:// URL";
	const char *p;
	size_t n, i;
	int err;

	if (!u || !s)
		return EINVAL;
	memset(u, 0, sizeof(*u));

	n = strlen(s);
	if (n > WEBHOOK_URL_MAX) {
		why = "too long";
		goto bad;
	}
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 127)
			goto bad;
	}
	if (strchr(s, '#')) {
		why = "no fragment (#) in the URL";
		goto bad;
	}

	if (!strncasecmp(s, "https://", 8)) {
		u->tls = true;
		u->port = 443;
		p = s + 8;
	}
	else if (!strncasecmp(s, "http://", 7)) {
		u->port = 80;
		p = s + 7;
	}
	else {
		goto bad;
	}

	n = strcspn(p, "/?");
	err = parse_authority(u, p, n, &why);
	if (err)
		goto bad;
	u->path = p + n;

	return 0;

 bad:
	if (whyp)
		*whyp = why;
	return EINVAL;
}
