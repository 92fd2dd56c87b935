/*
 * The dialer's user agent: the SIP stack (UDP and TCP on sip_listen), the
 * trunk (request URIs from the template, the outbound route, digest
 * credentials, optional registration), the prompt cache, and the first
 * stop of every request that is not part of a call we placed.
 *
 * What we answer to whom. beckon only places calls; it never routes one.
 *
 *   malformed (check.c)   400 or 416, before anything below
 *   INVITE, new dialog    401 with a digest challenge; 403 once the
 *                         credentials are an agent's (agents cannot dial
 *                         through beckon either); wrong ones count
 *                         towards a ban as a REGISTER's do
 *   REGISTER              the registrar (registrar.c): 401, 403, 200
 *   OPTIONS               200 (trunks and phones ping us)
 *   UPDATE, in dialog     a new SDP offer for the leg (hold, unhold)
 *   CANCEL, no match      481
 *   anything else         405 with Allow
 *
 * sipsess sees requests first (INVITE, ACK, BYE, INFO, REFER of its
 * sessions); what it leaves comes to request_handler() below.
 */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include <re.h>
#define LOG_SUBSYS "dialer"
#include "util/util.h"
#include "cfg/cfg.h"
#include "dialer/dialer_int.h"

/*
 * Hash sizes. libre's SIP keeps a transaction in its table well after its
 * final response (a BYE's 5 s of timer K over UDP, an INVITE's 32 s of
 * ACK in sipsess), and every response is matched by walking one bucket
 * comparing branches with strlen: with libre's usual 32 buckets and
 * 4,000 BYEs in their timer K at 400 calls/s, that walk was 10% of the
 * dialer's CPU. Buckets cost 16 bytes; size them for a few thousand
 * calls a second.
 */
enum {
	HASH_CALLS = 4096,
	HASH_SIP_CTRANS = 16384,
	HASH_SIP_STRANS = 4096,
	HASH_SIP_TRANSP = 256,
	HASH_SIPSESS = 8192,
	HASH_AGENTS = 64,
	TRUNK_REG_EXPIRES = 600,
	SIP_UDP_RCVBUF = 4 * 1024 * 1024,
	FD_SCAN_MAX = 4096,
	USER_AGENT_MAX = 128,
};

struct pentry {
	struct le le;
	char *path;
	struct media_prompt *p;
};


static void pentry_destructor(void *arg)
{
	struct pentry *pe = arg;

	list_unlink(&pe->le);
	mem_deref(pe->p);
	mem_deref(pe->path);
}


static void dialer_destructor(void *arg)
{
	struct dialer *d = arg;

	d->stopping = true;
	d->ctl = mem_deref(d->ctl);
	dialer_calls_end_all(d, DIALER_R_SYSTEM_HANGUP);
	hash_flush(d->calls);
	tmr_cancel(&d->reap_tmr);
	list_flush(&d->dead);
	d->reg = mem_deref(d->reg);

	/* sessions still ending (BYE, CANCEL) go with the stack */
	if (d->sip)
		sip_close(d->sip, true);
	d->sock = mem_deref(d->sock);
	d->lsnr = mem_deref(d->lsnr);
	d->check = mem_deref(d->check);
	d->sip = mem_deref(d->sip);
	d->dnsc = mem_deref(d->dnsc);

	hash_flush(d->agents);
	mem_deref(d->agents);
	mem_deref(d->bans);
	mem_deref(d->calls);
	mem_deref(d->legs);
	list_flush(&d->prompts);

	mem_deref(d->user_agent);
	mem_deref(d->trunk_route);
	mem_deref(d->trunk_uri);
	mem_deref(d->trunk_user);
	mem_deref(d->trunk_password);
	mem_deref(d->prompt_dir);
	mem_deref(d->sounds_dir);
	mem_deref(d->moh);
	mem_deref(d->greeting_dir);
	mem_deref(d->record_dir);
}


bool dialer_configured(const struct cfg *cfg)
{
	const char *v = cfg_str(cfg, "dialer");
	bool b;

	if (!strcmp(v, "local"))
		return true;

	return !cfg_parse_bool(&b, v) && b;
}


bool dialer_prompt_name_valid(const char *name)
{
	size_t n = 0;

	if (!name)
		return false;

	for (; name[n]; n++) {
		char c = name[n];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}

	return n >= 1 && n <= DIALER_PROMPT_NAME_MAX;
}


/* A prompt by name, a file of prompt_dir. */
int dialer_prompt_get(struct dialer *d, struct media_prompt **pp,
		      const char *name)
{
	char path[1024];

	if (!d || !pp || !dialer_prompt_name_valid(name))
		return EINVAL;

	if (re_snprintf(path, sizeof(path), "%s/%s.wav", d->prompt_dir,
			name) < 0)
		return ENAMETOOLONG;

	return dialer_prompt_path(d, pp, path);
}


/*
 * A prompt by path, loaded on first use and kept: the paths are ours
 * (prompt_dir and a checked name, the configured music, the sounds of a
 * voice), never a client's, so the cache is bounded by the files there.
 */
int dialer_prompt_path(struct dialer *d, struct media_prompt **pp,
		       const char *path)
{
	struct pentry *pe;
	struct le *le;
	int err;

	if (!d || !pp || !path)
		return EINVAL;

	for (le = d->prompts.head; le; le = le->next) {
		pe = le->data;
		if (!strcmp(pe->path, path)) {
			*pp = pe->p;
			return 0;
		}
	}

	pe = mem_zalloc(sizeof(*pe), pentry_destructor);
	if (!pe)
		return ENOMEM;

	err = str_dup(&pe->path, path);
	if (!err)
		err = media_prompt_load(&pe->p, path);
	if (err) {
		mem_deref(pe);
		return err;
	}

	list_append(&d->prompts, &pe->le, pe);
	*pp = pe->p;

	return 0;
}


/*
 * The trunk's request URI for a number: ${e164} becomes "+14155550100",
 * ${digits} "14155550100".
 */
int dialer_trunk_uri(const struct dialer *d, char *buf, size_t sz,
		     const char *e164)
{
	const char *t = d->trunk_uri;
	size_t n = 0;

	if (!dialer_e164_valid(e164))
		return EINVAL;

	while (*t) {
		const char *v = NULL;
		size_t vl, adv = 1;

		if (!strncmp(t, "${e164}", 7)) {
			v = e164;
			adv = 7;
		}
		else if (!strncmp(t, "${digits}", 9)) {
			v = e164 + 1;
			adv = 9;
		}

		vl = v ? strlen(v) : 1;
		if (n + vl + 1 > sz)
			return ENAMETOOLONG;
		memcpy(buf + n, v ? v : t, vl);
		n += vl;
		t += adv;
	}
	buf[n] = '\0';

	return 0;
}


int dialer_reply_allow(struct dialer *d, const struct sip_msg *msg,
		       uint16_t scode, const char *reason)
{
	return sip_treplyf(NULL, NULL, d->sip, msg, false, scode, reason,
			   "Allow: " DIALER_ALLOW "\r\n"
			   "Content-Length: 0\r\n"
			   "\r\n");
}


/* sipsess: an INVITE outside any dialog of ours */
static void connect_handler(const struct sip_msg *msg, void *arg)
{
	struct dialer *d = arg;
	const char *user = NULL;
	char a[64], f[LOG_FIELD_SZ];

	addr_str(a, sizeof(a), &msg->src);

	/* its failed digests count with the REGISTERs' (registrar_auth) */
	switch (registrar_auth(d, msg, &user)) {

	case REG_AUTH_OK:
		log_info("INVITE from agent %s (%s) to %s refused: beckon "
			 "places calls, it takes none", user, a,
			 LOG_PL(f, msg->ruri));
		(void)sip_treply(NULL, d->sip, msg, 403, "Forbidden");
		break;

	case REG_AUTH_STALE:
		registrar_challenge(d, msg, true);
		break;

	default:
		log_debug("INVITE from %s to %s: not authenticated (401)",
			  a, LOG_PL(f, msg->ruri));
		registrar_challenge(d, msg, false);
		break;
	}
}


static bool check_handler(const struct sip_msg *msg, void *arg)
{
	return dialer_check_request(arg, msg);
}


static bool request_handler(const struct sip_msg *msg, void *arg)
{
	struct dialer *d = arg;
	struct leg *l;

	if (!pl_strcmp(&msg->met, "REGISTER"))
		return registrar_request(d, msg);

	if (!pl_strcmp(&msg->met, "OPTIONS")) {
		(void)sip_treplyf(NULL, NULL, d->sip, msg, false, 200, "OK",
				  "Allow: " DIALER_ALLOW "\r\n"
				  "Accept: application/sdp\r\n"
				  "Content-Length: 0\r\n"
				  "\r\n");
		return true;
	}

	if (!pl_strcmp(&msg->met, "UPDATE")) {
		l = leg_find(d, msg);
		if (!l)
			(void)sip_treply(NULL, d->sip, msg, 481,
					 "Call/Transaction Does Not Exist");
		else
			leg_update(l, msg);
		return true;
	}

	if (!pl_strcmp(&msg->met, "CANCEL")) {
		(void)sip_reply(d->sip, msg, 481,
				"Call/Transaction Does Not Exist");
		return true;
	}

	if (!pl_strcmp(&msg->met, "ACK"))
		return true;

	(void)dialer_reply_allow(d, msg, 405, "Method Not Allowed");

	return true;
}


/* Find "Call-ID:" (or "i:") in a raw message: p is within pkt. */
static bool raw_callid(struct pl *pl, const uint8_t *pkt, size_t len)
{
	const char *p = (const char *)pkt, *end = p + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *v = NULL;
		size_t ll;

		if (!eol)
			return false;
		++eol;
		ll = (size_t)(eol - p);

		if (ll > 8 && !strncasecmp(p, "Call-ID:", 8))
			v = p + 8;
		else if (ll > 2 && !strncasecmp(p, "i:", 2))
			v = p + 2;
		else if (ll <= 2)
			return false;   /* the end of the headers */

		if (v) {
			while (v < eol && (*v == ' ' || *v == '\t'))
				++v;
			pl->p = v;
			pl->l = 0;
			while (v + pl->l < eol && v[pl->l] != '\r' &&
			       v[pl->l] != '\n' && v[pl->l] != ' ')
				++pl->l;
			return pl->l > 0;
		}

		p = eol;
	}

	return false;
}


/*
 * libre's sipsess follows every 3xx by itself. We want to follow one:
 * the trace hook sees each response before the session does, so the leg
 * can count its redirects and give up at the second.
 */
static void trace_handler(bool tx, enum sip_transp tp, const struct sa *src,
			  const struct sa *dst, const uint8_t *pkt,
			  size_t len, void *arg)
{
	struct dialer *d = arg;
	struct pl callid;
	uint16_t scode;

	(void)tp;
	(void)src;
	(void)dst;

	if (tx || len < 12 || memcmp(pkt, "SIP/2.0 3", 9))
		return;

	scode = (uint16_t)(300 + (pkt[9] - '0') * 10 + (pkt[10] - '0'));
	if (raw_callid(&callid, pkt, len))
		leg_redirected(d, &callid, scode);
}


static void sip_exit_handler(void *arg)
{
	(void)arg;
}


static int trunk_auth_handler(char **user, char **pass, const char *realm,
			      void *arg)
{
	struct dialer *d = arg;
	int err;

	(void)realm;
	if (!d->trunk_user || !d->trunk_password)
		return EAUTH;

	err = str_dup(user, d->trunk_user);
	if (!err)
		err = str_dup(pass, d->trunk_password);

	return err;
}


static void trunk_reg_handler(int err, const struct sip_msg *msg, void *arg)
{
	char f[LOG_FIELD_SZ];

	(void)arg;

	if (err)
		log_warn("trunk registration: %s", strerror(err));
	else if (msg->scode >= 300)
		log_warn("trunk registration: %u %s", msg->scode,
			 LOG_PL(f, msg->reason));
	else
		log_info("registered to the trunk");
}


/*
 * The outbound route to the trunk, as libre wants it: a bare URI to which
 * it adds ";lr" and the brackets ("sip:host:port[;transport=tcp]").
 */
static int trunk_route(struct dialer *d, const char *proxy, bool tcp)
{
	struct uri uri;
	struct pl pl;
	char *p;
	int err;

	pl_set_str(&pl, proxy);
	if (uri_decode(&uri, &pl) || strpbrk(proxy, "<> ")) {
		log_error("trunk_proxy: '%s' is not a SIP URI", proxy);
		return EINVAL;
	}

	err = re_sdprintf(&d->trunk_route, "%s%s", proxy,
			  tcp && !strstr(proxy, "transport=") ?
			  ";transport=tcp" : "");
	if (err)
		return err;

	/* libre adds its own */
	p = strstr(d->trunk_route, ";lr");
	if (p && (p[3] == '\0' || p[3] == ';'))
		memmove(p, p + 3, strlen(p + 3) + 1);

	return 0;
}


static int trunk_register(struct dialer *d, const char *proxy)
{
	const char *routev[1];
	char *from = NULL;
	struct uri uri;
	struct pl pl;
	int err;

	if (!d->trunk_user) {
		log_error("trunk_register needs trunk_user");
		return EINVAL;
	}

	pl_set_str(&pl, proxy);
	err = uri_decode(&uri, &pl);
	if (err)
		return err;

	err = re_sdprintf(&from, "sip:%s@%r", d->trunk_user, &uri.host);
	if (err)
		return err;

	routev[0] = d->trunk_route;
	err = sipreg_register(&d->reg, d->sip, proxy, from, NULL, from,
			      TRUNK_REG_EXPIRES, "beckon", routev, 1, 0,
			      trunk_auth_handler, d, false,
			      trunk_reg_handler, d, NULL, NULL);
	mem_deref(from);

	return err;
}


/* It goes into a header line as it is: no CR, LF or other controls. */
static bool ua_valid(const char *s)
{
	size_t n;

	for (n = 0; s[n]; n++) {
		if (s[n] < 0x20 || s[n] > 0x7e)
			return false;
	}

	return n <= USER_AGENT_MAX;
}


static int config_read(struct dialer *d, const struct cfg *cfg)
{
	const char *s;
	int err;

	s = cfg_str(cfg, "sip_listen");
	if (sa_decode(&d->sip_laddr, s, strlen(s))) {
		log_error("sip_listen: '%s' is not host:port", s);
		return EINVAL;
	}

	/* the SDP must carry an address peers can send to */
	d->rtp_laddr = d->sip_laddr;
	sa_set_port(&d->rtp_laddr, 0);
	if (sa_is_any(&d->rtp_laddr)) {
		err = net_default_source_addr_get(sa_af(&d->rtp_laddr),
						  &d->rtp_laddr);
		if (err) {
			log_error("sip_listen %s: no address to put in SDP",
				  s);
			return err;
		}
	}

	s = cfg_str(cfg, "sip_domain");
	if (*s)
		str_bcpy(d->domain, s, sizeof(d->domain));
	else
		(void)re_snprintf(d->domain, sizeof(d->domain), "%j",
				  &d->rtp_laddr);

	s = cfg_str(cfg, "sip_user_agent");
	if (!ua_valid(s)) {
		log_error("sip_user_agent: printable ASCII, at most %u "
			  "characters", USER_AGENT_MAX);
		return EINVAL;
	}
	if (*s && str_dup(&d->user_agent, s))
		return ENOMEM;

	s = cfg_str(cfg, "rtp_ports");
	err = media_parse_ports(&d->port_min, &d->port_max, s);
	if (err) {
		log_error("rtp_ports: '%s' is not FIRST-LAST within "
			  "1024-65535", s);
		return err;
	}

	d->mconf.laddr = &d->rtp_laddr;
	d->mconf.port_min = d->port_min;
	d->mconf.port_max = d->port_max;
	d->mconf.timeout_ms = (uint32_t)cfg_int(cfg, "rtp_timeout") * 1000;
	d->ring_timeout_ms = (uint32_t)cfg_int(cfg, "ring_timeout") * 1000;
	d->max_hold_ms = (uint32_t)cfg_int(cfg, "max_hold") * 1000;
	d->backlog = (int)cfg_int(cfg, "listen_backlog");

	s = cfg_str(cfg, "trunk_transport");
	if (strcmp(s, "udp") && strcmp(s, "tcp")) {
		log_error("trunk_transport: '%s' is not udp or tcp", s);
		return EINVAL;
	}

	if (*cfg_str(cfg, "trunk_proxy")) {
		err = trunk_route(d, cfg_str(cfg, "trunk_proxy"),
				  !strcmp(s, "tcp"));
		if (err)
			return err;
	}

	s = cfg_str(cfg, "trunk_uri");
	if (!strstr(s, "${e164}") && !strstr(s, "${digits}")) {
		log_error("trunk_uri: '%s' has neither ${e164} nor ${digits}",
			  s);
		return EINVAL;
	}

	err  = str_dup(&d->trunk_uri, s);
	if (*cfg_str(cfg, "trunk_user"))
		err |= str_dup(&d->trunk_user, cfg_str(cfg, "trunk_user"));
	if (*cfg_str(cfg, "trunk_password"))
		err |= str_dup(&d->trunk_password,
			       cfg_str(cfg, "trunk_password"));
	err |= str_dup(&d->prompt_dir, cfg_str(cfg, "prompt_dir"));
	err |= str_dup(&d->record_dir, cfg_str(cfg, "record_dir"));
	err |= str_dup(&d->sounds_dir, cfg_str(cfg, "sounds_dir"));
	err |= str_dup(&d->moh, cfg_str(cfg, "moh"));
	err |= str_dup(&d->greeting_dir, cfg_str(cfg, "greeting_dir"));

	return err ? ENOMEM : 0;
}


/*
 * libre does not give out the sockets sip_transp_add() opened: we find
 * them among our descriptors by type and local address (a listening TCP
 * socket, not a connection with the same address).
 */
static int sock_find(int type, const struct sa *laddr)
{
	int fd;

	for (fd = 0; fd < FD_SCAN_MAX; fd++) {
		struct sa sa;
		int v = 0;
		socklen_t vl = sizeof(v);

		sa_init(&sa, AF_UNSPEC);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &vl) ||
		    v != type ||
		    getsockname(fd, &sa.u.sa, &sa.len) ||
		    !sa_cmp(&sa, laddr, SA_ALL))
			continue;

		vl = sizeof(v);
		if (type == SOCK_STREAM &&
		    (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl) ||
		     !v))
			continue;

		return fd;
	}

	return -1;
}


/*
 * The SIP UDP socket's receive buffer. The kernel's default
 * (net.core.rmem_default, 208 KiB) holds only about 90 datagrams, and a
 * burst of calls ending together (a BYE and its 200 for each leg, the
 * next calls' responses) overflows it: a lost 180 or 200 means an INVITE
 * retransmitted half a second later and, with some peers, a failed call.
 * We enlarge it as far as net.core.rmem_max allows (or beyond it with
 * CAP_NET_ADMIN).
 */
static void sip_udp_rcvbuf(const struct sa *laddr, int size)
{
	int fd = sock_find(SOCK_DGRAM, laddr);

	if (fd < 0) {
		log_debug("SIP UDP socket not found: default receive buffer");
		return;
	}

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size,
				 sizeof(size));
}


/*
 * libre's SIP listens on TCP with a backlog of 5: a burst of connecting
 * phones would lose SYNs and wait a second each. Linux lets listen() be
 * called again on a listening socket to change its backlog.
 */
static int sip_tcp_backlog(const struct sa *laddr, int backlog)
{
	int fd = sock_find(SOCK_STREAM, laddr);

	if (fd < 0) {
		log_error("SIP TCP listening socket not found");
		return ENOENT;
	}

	return listen(fd, backlog) ? errno : 0;
}


static int sip_start(struct dialer *d)
{
	struct sa srvv[4], laddr;
	uint32_t srvc = ARRAY_SIZE(srvv);
	char domain[64] = "";
	char a[64];
	int err;

	/* names in URIs need DNS; numeric addresses do not */
	if (!dns_srv_get(domain, sizeof(domain), srvv, &srvc) && srvc)
		(void)dnsc_alloc(&d->dnsc, NULL, srvv, srvc);

	err = sip_alloc(&d->sip, d->dnsc, HASH_SIP_CTRANS, HASH_SIP_STRANS,
			HASH_SIP_TRANSP,
			d->user_agent, sip_exit_handler, d);
	if (err)
		return err;

	err = sip_transp_add(d->sip, SIP_TRANSP_UDP, &d->sip_laddr);
	if (!err && !sip_transp_laddr(d->sip, &laddr, SIP_TRANSP_UDP, NULL))
		sip_udp_rcvbuf(&laddr, SIP_UDP_RCVBUF);
	if (!err)
		err = sip_transp_add(d->sip, SIP_TRANSP_TCP, &d->sip_laddr);
	if (!err)
		err = sip_transp_laddr(d->sip, &laddr, SIP_TRANSP_TCP, NULL);
	if (!err)
		err = sip_tcp_backlog(&laddr, d->backlog);
	if (err) {
		log_error("sip_listen %s: %s",
			  addr_str(a, sizeof(a), &d->sip_laddr),
			  strerror(err));
		return err;
	}

	/* libre asks its listeners in the order they came: this one first */
	err = sip_listen(&d->check, d->sip, true, check_handler, d);
	if (err)
		return err;

	err = sipsess_listen(&d->sock, d->sip, HASH_SIPSESS,
			     connect_handler, d);
	if (err)
		return err;

	err = sip_listen(&d->lsnr, d->sip, true, request_handler, d);
	if (err)
		return err;

	sip_set_trace_handler(d->sip, trace_handler);

	return 0;
}


int dialer_alloc(struct dialer **dp, const struct cfg *cfg)
{
	struct dialer *d;
	struct sa csa;
	const char *s;
	char a[64];
	int err;

	if (!dp || !cfg)
		return EINVAL;

	d = mem_zalloc(sizeof(*d), dialer_destructor);
	if (!d)
		return ENOMEM;

	tmr_init(&d->reap_tmr);
	randombytes_buf(d->nonce_key, sizeof(d->nonce_key));

	err  = hash_alloc(&d->calls, HASH_CALLS);
	err |= hash_alloc(&d->legs, HASH_CALLS);
	if (err)
		goto out;

	err = config_read(d, cfg);
	if (err)
		goto out;

	err = registrar_alloc(d, cfg);
	if (err)
		goto out;

	err = sip_start(d);
	if (err)
		goto out;

	if (cfg_bool(cfg, "trunk_register") && d->trunk_route) {
		err = trunk_register(d, cfg_str(cfg, "trunk_proxy"));
		if (err)
			goto out;
	}

	if (sip_transp_laddr(d->sip, &csa, SIP_TRANSP_UDP, NULL))
		csa = d->sip_laddr;
	log_info("SIP on %s (udp, tcp), domain %s, RTP %u-%u",
		 addr_str(a, sizeof(a), &csa), d->domain, d->port_min,
		 d->port_max);

	s = cfg_str(cfg, "control_listen");
	if (*s) {
		if (!*cfg_str(cfg, "control_secret")) {
			/* control_listen has a default: only an operator
			 * who asked for the listener needs to hear why
			 * there is none */
			log_msg(cfg_is_set(cfg, "control_listen") ?
				LOG_LVL_WARN : LOG_LVL_DEBUG, LOG_SUBSYS,
				"control_listen is set but control_secret "
				"is empty: the call-control listener stays "
				"off");
		}
		else {
			(void)sa_decode(&csa, s, strlen(s));
			err = control_alloc(&d->ctl, d, &csa,
					    cfg_str(cfg, "control_secret"));
			if (err)
				goto out;
		}
	}

 out:
	if (err)
		mem_deref(d);
	else
		*dp = d;

	return err;
}


size_t dialer_heap_used(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
	struct mallinfo2 mi = mallinfo2();

	/* in use from the arenas, and in blocks of their own (mmap) */
	return mi.uordblks + mi.hblkhd;
#else
	return 0;
#endif
}


void dialer_shutdown(struct dialer *d)
{
	if (!d || d->stopping)
		return;

	d->stopping = true;
	control_stop(d->ctl);
	dialer_calls_end_all(d, DIALER_R_SYSTEM_HANGUP);
	d->reg = mem_deref(d->reg);
}
