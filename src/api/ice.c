/*
 * The STUN and TURN servers handed to browsers (ice_servers), in the
 * form RTCPeerConnection takes: [{"urls":"stun:..."}, {"urls":"turn:...",
 * "username":U,"credential":C}].
 *
 * A browser behind a NAT reaches rtpengine's public address by itself
 * (rtpengine's --interface advertises it); STUN helps it learn its own,
 * TURN relays its media when UDP cannot get through. TURN needs
 * credentials, and a fixed pair handed to every page would be anyone's:
 * so beckon mints short-lived ones with the TURN server's shared secret
 * (turn_secret; coturn's static-auth-secret, the "TURN REST API"
 * scheme): username "EXPIRY:USER", credential base64(HMAC-SHA1(secret,
 * username)). A browser refuses a turn: URL without them, so turn: and
 * turns: URLs need turn_secret; all is checked at start-up.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "api"
#include "util/util.h"
#include "cfg/cfg.h"
#include "form/form.h"
#include "api/api.h"
#include "api/api_int.h"

enum {
	ICE_MAX_URLS = 8,
	ICE_MAX_URL = 256,
	ICE_TTL_S = 12 * 3600,    /* a call plus its wait, with room */
};

static const char *const schemes[] = {"stun:", "stuns:", "turn:", "turns:"};


/* host[:port] of a STUN/TURN URI (RFC 7064, 7065): a name, an IPv4
 * address or a bracketed IPv6 one; a port 1-65535 */
static bool hostport_ok(const char *p, size_t len)
{
	size_t i = 0, h;

	if (len && p[0] == '[') {
		for (i = 1; i < len && p[i] != ']'; i++)
			if (!strchr("0123456789abcdefABCDEF:.", p[i]))
				return false;
		if (i >= len || i < 3)
			return false;
		++i;
	}
	else {
		for (; i < len && p[i] != ':'; i++)
			if (!(isalnum((unsigned char)p[i]) || p[i] == '.' ||
			      p[i] == '-'))
				return false;
		if (!i || p[0] == '.' || p[0] == '-')
			return false;
	}

	if (i == len)
		return true;
	if (p[i] != ':' || len - i < 2 || len - i > 6)
		return false;
	for (h = i + 1; h < len; h++)
		if (!isdigit((unsigned char)p[h]))
			return false;

	h = (size_t)pl_u32(&(struct pl){p + i + 1, len - i - 1});

	return h >= 1 && h <= 65535;
}


/* one URL: its scheme's index, or -1 */
static int url_check(const char *p, size_t len)
{
	const char *q;
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(schemes); i++) {
		n = strlen(schemes[i]);
		if (len > n && !strncmp(p, schemes[i], n))
			break;
	}
	if (i == ARRAY_SIZE(schemes))
		return -1;
	p += n;
	len -= n;

	/* turn: and turns: may name the transport; stun: has no query */
	q = memchr(p, '?', len);
	if (q) {
		size_t ql = len - (size_t)(q - p) - 1;

		if (i < 2 || !((ql == 13 && !strncmp(q + 1,
						      "transport=udp", 13)) ||
			       (ql == 13 && !strncmp(q + 1,
						      "transport=tcp", 13))))
			return -1;
		len = (size_t)(q - p);
	}

	return hostport_ok(p, len) ? (int)i : -1;
}


int api_ice_check(const char *list, bool have_secret)
{
	const char *p = list, *e;
	unsigned n = 0;

	while (p && *p) {
		int s;

		p += strspn(p, " \t");
		if (!*p)
			break;
		e = p + strcspn(p, " \t");

		if (++n > ICE_MAX_URLS) {
			log_error("ice_servers: more than %u URLs",
				  ICE_MAX_URLS);
			return EINVAL;
		}
		s = (size_t)(e - p) <= ICE_MAX_URL ?
			url_check(p, (size_t)(e - p)) : -1;
		if (s < 0) {
			log_error("ice_servers: '%.*s' is not a stun:, stuns:, "
				  "turn: or turns: URL (HOST[:PORT], turn "
				  "with ?transport=udp|tcp; %u characters "
				  "at most)", (int)(e - p > 80 ? 80 : e - p),
				  p, ICE_MAX_URL);
			return EINVAL;
		}
		if (s >= 2 && !have_secret) {
			log_error("ice_servers: '%.*s' needs turn_secret (the "
				  "TURN server's shared secret): browsers "
				  "refuse TURN without credentials",
				  (int)(e - p), p);
			return EINVAL;
		}
		p = e;
	}

	return 0;
}


/* the TURN REST credential of user: "EXPIRY:USER" and its HMAC */
static int turn_credential(struct mbuf *mb, const char *secret,
			   const char *user, int64_t now_ms)
{
	char name[96], cred[40];
	uint8_t mac[20];
	size_t clen = sizeof(cred) - 1;
	int err;

	re_snprintf(name, sizeof(name), "%lld:%s",
		    (long long)(now_ms / 1000 + ICE_TTL_S), user);
	hmac_sha1((const uint8_t *)secret, strlen(secret),
		  (const uint8_t *)name, strlen(name), mac, sizeof(mac));
	err = base64_encode(mac, sizeof(mac), cred, &clen);
	if (err)
		return err;
	cred[clen] = '\0';

	err = mbuf_write_str(mb, ",\"username\":");
	err |= form_json_str(mb, name);
	err |= mbuf_write_str(mb, ",\"credential\":");
	err |= form_json_str(mb, cred);

	return err;
}


int api_ice_json(const struct api *api, struct mbuf *mb, const char *user)
{
	const char *p = cfg_str(api->cfg, "ice_servers");
	const char *secret = cfg_str(api->cfg, "turn_secret");
	bool first = true;
	int err;

	err = mbuf_write_str(mb, "[");
	while (!err && *p) {
		const char *e;
		char url[ICE_MAX_URL + 1];

		p += strspn(p, " \t");
		if (!*p)
			break;
		e = p + strcspn(p, " \t");
		/* checked at start-up: a URL of at most ICE_MAX_URL */
		str_bcpy(url, p, (size_t)(e - p) + 1 < sizeof(url) ?
			 (size_t)(e - p) + 1 : sizeof(url));

		err = mbuf_printf(mb, "%s{\"urls\":", first ? "" : ",");
		err |= form_json_str(mb, url);
		if (!strncmp(url, "turn", 4))
			err |= turn_credential(mb, secret, user,
					       time_now_ms());
		err |= mbuf_write_str(mb, "}");
		first = false;
		p = e;
	}

	return err ? err : mbuf_write_str(mb, "]");
}
