/*
 * The registrar for agents' softphones, digest authentication (RFC 2617
 * MD5 with qop=auth), and what an agent spec in a command resolves to.
 *
 * Credentials come from dialer_agent_set() (the routing code feeds them
 * from the store; the control protocol has agent_set). Passwords are kept
 * only to verify digests: SIP digest needs the password or its HA1, not a
 * slow hash, so these are separate from the desktop passwords.
 *
 * Nonces are stateless: "<16 hex of a monotonic ms time><32 hex of
 * HMAC-SHA256(key, time)>", valid for NONCE_TTL; an older one gets a new
 * challenge with stale=true so the phone retries without asking its user.
 * Within its lifetime a nonce may be replayed; the TTL bounds that.
 * Guessing is what bounds it better: failed digests ban their source
 * (see registrar_auth).
 *
 * One binding per agent: the last REGISTER wins. A binding remembers the
 * address the REGISTER came from, and calls go there (a Route to the
 * source) when the Contact names another address, the usual NAT case.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sodium.h>
#include <re.h>
#define LOG_SUBSYS "dialer"
#include "util/util.h"
#include "cfg/cfg.h"
#include "dialer/dialer_int.h"

enum {
	NONCE_TTL = 300000,          /* ms */
	EXPIRES_DEFAULT = 3600,
	EXPIRES_MIN = 60,
	EXPIRES_MAX = 3600,
	PASSWORD_MAX = 128,
};

struct agent {
	struct le he;
	char *id;
	char *password;
	char *endpoint;

	/* the registration */
	char contact[DIALER_URI_MAX];
	struct sa src;
	enum sip_transp tp;
	uint64_t expires;            /* jiffies; 0: none */
};


static void agent_destructor(void *arg)
{
	struct agent *a = arg;

	hash_unlink(&a->he);
	mem_deref(a->id);
	if (a->password)
		sodium_memzero(a->password, strlen(a->password));
	mem_deref(a->password);
	mem_deref(a->endpoint);
}


static bool agent_id_valid(const char *id)
{
	size_t n;

	if (!id)
		return false;

	for (n = 0; id[n]; n++) {
		char c = id[n];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		      c == '.'))
			return false;
	}

	return n >= 1 && n <= DIALER_ID_MAX;
}


static bool id_cmp(struct le *le, void *arg)
{
	const struct agent *a = le->data;

	return !strcmp(a->id, arg);
}


static struct agent *agent_find(const struct dialer *d, const char *id)
{
	return list_ledata(hash_lookup(d->agents, hash_joaat_str(id), id_cmp,
				       (void *)id));
}


static bool pl_cmp_handler(struct le *le, void *arg)
{
	const struct agent *a = le->data;

	return !pl_strcmp(arg, a->id);
}


static struct agent *agent_find_pl(const struct dialer *d,
				   const struct pl *id)
{
	return list_ledata(hash_lookup(d->agents, hash_joaat_pl(id),
				       pl_cmp_handler, (void *)id));
}


int registrar_alloc(struct dialer *d, const struct cfg *cfg)
{
	struct limit_ban_conf c;
	int err;

	memset(&c, 0, sizeof(c));
	c.window_ms = cfg_int(cfg, "sip_auth_window") * 1000;
	c.ban_ms = cfg_int(cfg, "sip_ban_time") * 1000;
	c.ban_max_ms = cfg_int(cfg, "sip_ban_max") * 1000;
	if (c.ban_max_ms < c.ban_ms) {
		log_error("sip_ban_max (%lld s) is shorter than sip_ban_time "
			  "(%lld s)", (long long)c.ban_max_ms / 1000,
			  (long long)c.ban_ms / 1000);
		return EINVAL;
	}

	d->ban_user = c;
	d->ban_user.fails = (uint32_t)cfg_int(cfg, "sip_auth_fails");
	d->ban_ip = c;
	d->ban_ip.fails = (uint32_t)cfg_int(cfg, "sip_auth_fails_ip");

	err = limit_ban_alloc(&d->bans,
			      (uint32_t)cfg_int(cfg, "sip_ban_table"));
	if (err)
		return err;

	return hash_alloc(&d->agents, 64);
}


static bool sip_uri_valid(const char *s)
{
	struct uri uri;
	struct pl pl;

	if (!s || strncmp(s, "sip:", 4) || strlen(s) >= DIALER_URI_MAX)
		return false;

	/* no header parameters, no blanks: it goes into a request line */
	if (strpbrk(s, " \t\r\n<>\"?"))
		return false;

	pl_set_str(&pl, s);

	return !uri_decode(&uri, &pl) && pl_isset(&uri.host);
}


int dialer_agent_set(struct dialer *d, const char *id, const char *password,
		     const char *endpoint)
{
	struct agent *a;
	char *pw = NULL, *ep = NULL;
	int err = 0;

	if (!d || !agent_id_valid(id))
		return EINVAL;
	if (password && (!*password || strlen(password) > PASSWORD_MAX))
		return EINVAL;
	if (endpoint && *endpoint && !sip_uri_valid(endpoint))
		return EINVAL;

	if (password)
		err |= str_dup(&pw, password);
	if (endpoint && *endpoint)
		err |= str_dup(&ep, endpoint);
	if (err) {
		mem_deref(pw);
		mem_deref(ep);
		return ENOMEM;
	}

	a = agent_find(d, id);
	if (!a) {
		a = mem_zalloc(sizeof(*a), agent_destructor);
		if (!a || str_dup(&a->id, id)) {
			mem_deref(a);
			mem_deref(pw);
			mem_deref(ep);
			return ENOMEM;
		}
		hash_append(d->agents, hash_joaat_str(id), &a->he, a);
	}

	if (a->password)
		sodium_memzero(a->password, strlen(a->password));
	mem_deref(a->password);
	mem_deref(a->endpoint);
	a->password = pw;
	a->endpoint = ep;

	/* a phone holding old credentials registers again or lapses */
	if (!pw)
		a->expires = 0;

	return 0;
}


int dialer_agent_del(struct dialer *d, const char *id)
{
	struct agent *a;

	if (!d || !id)
		return EINVAL;

	a = agent_find(d, id);
	if (!a)
		return ENOENT;

	mem_deref(a);

	return 0;
}


static bool bound(const struct agent *a)
{
	return a->expires && a->expires > tmr_jiffies();
}


const char *dialer_agent_contact(const struct dialer *d, const char *id)
{
	const struct agent *a = d && id ? agent_find(d, id) : NULL;

	return a && bound(a) ? a->contact : NULL;
}


static uint32_t left_s(const struct agent *a)
{
	return bound(a) ? (uint32_t)((a->expires - tmr_jiffies()) / 1000)
			: 0;
}


struct agents_walk {
	registrar_agent_h *h;
	void *arg;
};


static bool agents_walk_h(struct le *le, void *arg)
{
	const struct agent *a = le->data;
	struct agents_walk *w = arg;

	w->h(a->id, left_s(a), w->arg);

	return false;
}


void registrar_agents(const struct dialer *d, registrar_agent_h *h,
		      void *arg)
{
	struct agents_walk w = {h, arg};

	if (d && h)
		(void)hash_apply(d->agents, agents_walk_h, &w);
}


/* a registration came or went: the ACD in this process, and the
 * control connections that watch agents, learn it at once */
static void reg_told(struct dialer *d, const struct agent *a)
{
	if (d->regh)
		d->regh(a->id, d->reg_arg);
	control_registration(d->ctl, a->id, left_s(a));
}


void dialer_set_reg_handler(struct dialer *d, dialer_reg_h *h, void *arg)
{
	if (!d)
		return;

	d->regh = h;
	d->reg_arg = arg;
}


/* ---- digest */

static void nonce_mac(const struct dialer *d, char out[33], uint64_t t)
{
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	uint8_t msg[8];
	int i;

	for (i = 0; i < 8; i++)
		msg[i] = (uint8_t)(t >> (56 - 8 * i));

	crypto_auth_hmacsha256(mac, msg, sizeof(msg), d->nonce_key);
	for (i = 0; i < 16; i++)
		(void)re_snprintf(out + 2 * i, 3, "%02x", mac[i]);
}


static void nonce_make(const struct dialer *d, char out[49])
{
	uint64_t t = tmr_jiffies();
	char mac[33];

	nonce_mac(d, mac, t);
	(void)re_snprintf(out, 49, "%016llx%s", (unsigned long long)t, mac);
}


/* 0: good; ETIMEDOUT: ours but old; EAUTH: not ours */
static int nonce_check(const struct dialer *d, const struct pl *nonce)
{
	char mac[33];
	uint64_t t;

	if (nonce->l != 48)
		return EAUTH;

	t = pl_x64(&(struct pl){nonce->p, 16});
	nonce_mac(d, mac, t);
	if (sodium_memcmp(mac, nonce->p + 16, 32))
		return EAUTH;

	if (t > tmr_jiffies() || tmr_jiffies() - t > NONCE_TTL)
		return ETIMEDOUT;

	return 0;
}


void registrar_challenge(struct dialer *d, const struct sip_msg *msg,
			 bool stale)
{
	char nonce[49];

	nonce_make(d, nonce);

	(void)sip_treplyf(NULL, NULL, d->sip, msg, false, 401,
			  "Unauthorized",
			  "WWW-Authenticate: Digest realm=\"%s\", "
			  "nonce=\"%s\", algorithm=MD5, qop=\"auth\"%s\r\n"
			  "Content-Length: 0\r\n"
			  "\r\n",
			  d->domain, nonce, stale ? ", stale=true" : "");
}


/*
 * ---- guessing: failed digests are counted per source address and per
 * (source, user name) in one bounded table (limit_ban); past
 * sip_auth_fails (for one user) or sip_auth_fails_ip (for any) the key is
 * banned. A banned key's credentials are not even checked: they get the
 * answer to wrong ones, so neither a guess, nor the right password, nor a
 * user name that does not exist tells anything during a ban. The source
 * is the address without its port; the same user from another address
 * is not locked out.
 */

static void guard_keys(const struct sip_msg *msg, const struct pl *user,
		       char *ip, char *pair)
{
	size_t ul = user->l < DIALER_ID_MAX ? user->l : DIALER_ID_MAX;

	(void)re_snprintf(ip, LIMIT_BAN_KEY_MAX, "%j", &msg->src);
	(void)re_snprintf(pair, LIMIT_BAN_KEY_MAX, "%j|%b", &msg->src,
			  user->p, ul);
}


/* One failure more for both keys; a ban that starts is logged, once. */
static void guard_fail(struct dialer *d, const char *ip, const char *pair,
		       const struct pl *user)
{
	int64_t now = (int64_t)tmr_jiffies(), ms;
	char f[LOG_FIELD_SZ];

	ms = limit_ban_fail(d->bans, pair, now, &d->ban_user);
	if (ms)
		log_warn("SIP digest: %u failures from %s for user %s: "
			 "banned for %lld s", d->ban_user.fails, ip,
			 LOG_PL(f, *user), (long long)(ms + 999) / 1000);

	ms = limit_ban_fail(d->bans, ip, now, &d->ban_ip);
	if (ms)
		log_warn("SIP digest: %u failures from %s: the address is "
			 "banned for %lld s", d->ban_ip.fails, ip,
			 (long long)(ms + 999) / 1000);
}


/* The digest itself, for credentials of a key not banned. */
static enum reg_auth digest_check(struct dialer *d, const struct sip_msg *msg,
				  const struct httpauth_digest_resp *resp,
				  const char **userp)
{
	uint8_t ha1[16];
	struct agent *a;
	int err;

	if (pl_strcmp(&resp->realm, d->domain))
		return REG_AUTH_FAILED;

	if (pl_isset(&resp->qop) && pl_strcmp(&resp->qop, "auth"))
		return REG_AUTH_FAILED;

	a = agent_find_pl(d, &resp->username);
	if (!a || !a->password)
		return REG_AUTH_FAILED;

	err = nonce_check(d, &resp->nonce);
	if (err == EAUTH)
		return REG_AUTH_FAILED;

	if (md5_printf(ha1, "%s:%s:%s", a->id, d->domain, a->password))
		return REG_AUTH_FAILED;

	if (httpauth_digest_response_auth(resp, &msg->met, ha1))
		return REG_AUTH_FAILED;

	if (err == ETIMEDOUT)
		return REG_AUTH_STALE;

	*userp = a->id;

	return REG_AUTH_OK;
}


enum reg_auth registrar_auth(struct dialer *d, const struct sip_msg *msg,
			     const char **userp)
{
	char ip[LIMIT_BAN_KEY_MAX], pair[LIMIT_BAN_KEY_MAX];
	char f[LOG_FIELD_SZ], f2[LOG_FIELD_SZ];
	struct httpauth_digest_resp resp;
	const struct sip_hdr *hdr;
	int64_t now = (int64_t)tmr_jiffies();
	enum reg_auth r;

	hdr = sip_msg_hdr(msg, SIP_HDR_AUTHORIZATION);
	if (!hdr)
		hdr = sip_msg_hdr(msg, SIP_HDR_PROXY_AUTHORIZATION);
	if (!hdr)
		return REG_AUTH_NONE;

	memset(&resp, 0, sizeof(resp));
	if (httpauth_digest_response_decode(&resp, &hdr->val))
		memset(&resp, 0, sizeof(resp));

	guard_keys(msg, &resp.username, ip, pair);
	if (limit_ban_active(d->bans, ip, now, NULL) ||
	    limit_ban_active(d->bans, pair, now, NULL)) {
		log_debug("%s from %s: banned, credentials not checked",
			  LOG_PL(f, msg->met), ip);
		return REG_AUTH_FAILED;
	}

	r = pl_isset(&resp.response) ?
		digest_check(d, msg, &resp, userp) : REG_AUTH_FAILED;

	if (r == REG_AUTH_FAILED) {
		log_info("%s from %s: bad credentials for user %s",
			 LOG_PL(f, msg->met), ip, LOG_PL(f2, resp.username));
		guard_fail(d, ip, pair, &resp.username);
	}
	else if (r == REG_AUTH_OK) {
		limit_ban_clear(d->bans, pair);
	}

	return r;
}


/* ---- REGISTER */

struct contact_scan {
	struct pl uri;
	struct pl expires;
	bool star;
	unsigned n;
};


static bool contact_handler(const struct sip_hdr *hdr,
			    const struct sip_msg *msg, void *arg)
{
	struct contact_scan *cs = arg;
	struct sip_addr addr;

	(void)msg;

	++cs->n;
	if (!pl_strcmp(&hdr->val, "*")) {
		cs->star = true;
		return false;
	}

	if (sip_addr_decode(&addr, &hdr->val))
		return false;

	/* the first one counts: one binding per agent */
	if (cs->n == 1) {
		cs->uri = addr.auri;
		(void)msg_param_decode(&addr.params, "expires", &cs->expires);
	}

	return false;
}


/* Send calls to the source address when the Contact names another. */
static void binding_route(const struct agent *a, char *buf, size_t sz)
{
	struct uri uri;
	struct pl pl;
	struct sa sa;
	uint16_t port;

	buf[0] = '\0';

	pl_set_str(&pl, a->contact);
	if (!uri_decode(&uri, &pl) && !sa_set(&sa, &uri.host, 0)) {
		port = uri.port ? uri.port : 5060;
		if (sa_cmp(&sa, &a->src, SA_ADDR) &&
		    port == sa_port(&a->src))
			return;
	}

	/* libre adds ";lr" and the brackets */
	(void)re_snprintf(buf, sz, "sip:%J;transport=%s", &a->src,
			  sip_transp_param(a->tp));
}


bool registrar_request(struct dialer *d, const struct sip_msg *msg)
{
	struct contact_scan cs;
	const char *user = NULL;
	struct agent *a;
	uint32_t expires;
	char src[64], f[LOG_FIELD_SZ];

	addr_str(src, sizeof(src), &msg->src);

	switch (registrar_auth(d, msg, &user)) {

	case REG_AUTH_NONE:
		registrar_challenge(d, msg, false);
		return true;

	case REG_AUTH_STALE:
		registrar_challenge(d, msg, true);
		return true;

	case REG_AUTH_FAILED:
		/* an unknown user, a wrong password, a ban: the same */
		(void)sip_treply(NULL, d->sip, msg, 403, "Forbidden");
		return true;

	case REG_AUTH_OK:
		break;
	}

	/* the credentials must be those of the AOR being registered */
	if (pl_strcmp(&msg->to.uri.user, user)) {
		log_info("REGISTER from %s: agent %s may not register %s",
			 src, user, LOG_PL(f, msg->to.uri.user));
		(void)sip_treply(NULL, d->sip, msg, 403, "Forbidden");
		return true;
	}

	a = agent_find(d, user);
	memset(&cs, 0, sizeof(cs));
	(void)sip_msg_hdr_apply(msg, true, SIP_HDR_CONTACT, contact_handler,
				&cs);

	expires = EXPIRES_DEFAULT;
	if (pl_isset(&cs.expires))
		expires = pl_u32(&cs.expires);
	else if (pl_isset(&msg->expires))
		expires = pl_u32(&msg->expires);

	if (cs.n == 0) {
		/* a query: the current binding */
		if (bound(a))
			(void)sip_treplyf(NULL, NULL, d->sip, msg, false, 200,
					  "OK", "Contact: <%s>;expires=%llu\r\n"
					  "Content-Length: 0\r\n\r\n",
					  a->contact, (unsigned long long)
					  ((a->expires - tmr_jiffies()) /
					   1000));
		else
			(void)sip_treply(NULL, d->sip, msg, 200, "OK");
		return true;
	}

	if (cs.star || expires == 0) {
		if (cs.star && (cs.n > 1 || expires != 0)) {
			(void)sip_treply(NULL, d->sip, msg, 400,
					 "Bad Request");
			return true;
		}
		a->expires = 0;
		log_info("agent %s unregistered", a->id);
		(void)sip_treply(NULL, d->sip, msg, 200, "OK");
		reg_told(d, a);
		return true;
	}

	if (!pl_isset(&cs.uri) || cs.uri.l >= sizeof(a->contact) ||
	    cs.uri.l < 4 || strncasecmp(cs.uri.p, "sip:", 4)) {
		(void)sip_treply(NULL, d->sip, msg, 400, "Bad Contact");
		return true;
	}

	if (expires < EXPIRES_MIN) {
		(void)sip_treplyf(NULL, NULL, d->sip, msg, false, 423,
				  "Interval Too Brief",
				  "Min-Expires: %u\r\n"
				  "Content-Length: 0\r\n\r\n", EXPIRES_MIN);
		return true;
	}
	if (expires > EXPIRES_MAX)
		expires = EXPIRES_MAX;

	(void)pl_strcpy(&cs.uri, a->contact, sizeof(a->contact));
	a->src = msg->src;
	a->tp = msg->tp;
	a->expires = tmr_jiffies() + (uint64_t)expires * 1000;

	log_info("agent %s registered from %s (%s) for %u s", a->id, src,
		 sip_transp_name(msg->tp), expires);

	(void)sip_treplyf(NULL, NULL, d->sip, msg, false, 200, "OK",
			  "Contact: <%s>;expires=%u\r\n"
			  "Content-Length: 0\r\n\r\n", a->contact, expires);
	reg_told(d, a);

	return true;
}


/* ---- agent specs: "sip:...", "+E164" or an agent id */

int agent_spec_check(const struct dialer *d, const char *spec)
{
	if (!spec || !*spec)
		return EINVAL;

	if (!strncmp(spec, "sip:", 4))
		return sip_uri_valid(spec) ? 0 : EINVAL;

	if (spec[0] == '+')
		return dialer_e164_valid(spec) ? 0 : EINVAL;

	if (!agent_id_valid(spec))
		return EINVAL;

	return agent_find(d, spec) ? 0 : ENOENT;
}


int agent_resolve(const struct dialer *d, const char *spec,
		  struct agent_target *t)
{
	const struct agent *a;
	int err;

	memset(t, 0, sizeof(*t));

	err = agent_spec_check(d, spec);
	if (err)
		return err;

	if (!strncmp(spec, "sip:", 4)) {
		str_bcpy(t->uri, spec, sizeof(t->uri));
		return 0;
	}

	if (spec[0] == '+') {
		t->via_trunk = true;
		return dialer_trunk_uri(d, t->uri, sizeof(t->uri), spec);
	}

	a = agent_find(d, spec);
	if (bound(a)) {
		str_bcpy(t->uri, a->contact, sizeof(t->uri));
		binding_route(a, t->route, sizeof(t->route));
		return 0;
	}

	if (a->endpoint) {
		str_bcpy(t->uri, a->endpoint, sizeof(t->uri));
		return 0;
	}

	return ENODEV;
}


/* a nonce as a challenge carries it now (for fuzz/fuzz_register.c) */
void registrar_nonce(const struct dialer *d, char out[49])
{
	nonce_make(d, out);
}
