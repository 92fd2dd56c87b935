/*
 * app's private parts: the ports that connect the ACD to a dialer, in
 * this process (port.c) or in another over the call-control protocol
 * (remote.c).
 */
#ifndef BECKON_APP_INT_H
#define BECKON_APP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "store/store.h"

struct acd;
struct dialer;

struct api;

struct port {
	struct acd *acd;
	struct dialer *d;
	struct api *api;          /* voice in the browser, or NULL */
};

void app_port_connect(struct port *p, struct acd *acd, struct dialer *d);
/* the visitors' browsers talk through this dialer's rtpengine */
void app_port_voice(struct port *p, struct api *api);
/* The end of call id for its browsers (api may be NULL): the visitor's
 * page and the agent's desk, told reason. The ACD learns of the end
 * first: it may keep the visitor's page. A supervisor's listener is a
 * leg of its own, which the dialer ends with the call. */
void app_call_ended(struct api *api, const char *id, const char *reason);

/* An agent's endpoint as the dialer takes it ("registered": its id;
 * "desk": APP_DESK_LABEL and its id, written in buf). */
#define APP_DESK_LABEL "webrtc:desk."
enum { APP_DESK_MAX = sizeof(APP_DESK_LABEL) + 64 };
const char *app_agent_target(char *buf, size_t sz, const char *endpoint,
			     const char *agent_id);
/* the agent whose desk a webrtc endpoint names, or NULL */
const char *app_desk_agent(const char *endpoint);

/*
 * A dialer in another process, `dialer = tcp://HOST:PORT` (HOST an IPv4
 * or [IPv6] address, or a name looked up before each connection in
 * /etc/hosts, then with the name servers of dns_servers or
 * /etc/resolv.conf): one link (remote.c) connects, authenticates with an
 * HMAC of control_secret, and keeps connecting back, forever, with a
 * backoff. Calls in flight when the link breaks wait resume_s seconds
 * for the next link to take them back (attach) before they are
 * interrupted.
 *
 * Several dialers, `dialer = tcp://A:P1, tcp://B:P2` (pool.c): one link
 * to each, shown to the ACD as one dialer (routing and failures: the top
 * of pool.c). app_pool_shutdown hangs up the calls in flight and stops
 * reconnecting; app_pool_calls counts the calls whose end has not come
 * back yet, on every link.
 */
struct remote;
struct pool;
struct sa;
struct acd_dialer;
struct api_voice;

enum {
	APP_HOST_MAX = 254,    /* a DNS name's 253 characters and NUL */
	APP_URL_MAX = APP_HOST_MAX + 16,   /* tcp://HOST:PORT */
	APP_DNS_MAX = 8,       /* name servers in dns_servers */
	APP_DIALERS_MAX = 16,  /* entries in dialer */
};

int  app_remote_parse(struct sa *addr, char *host, size_t hsz,
		      const char *url);

/* The entries of "tcp://A:P1, tcp://B:P2" (blanks around the commas
 * ignored), each checked with app_remote_parse: EINVAL (bad names the
 * entry), EEXIST (bad names the second of two with the same address),
 * E2BIG (more than APP_DIALERS_MAX). */
struct app_dialers {
	size_t n;
	char url[APP_DIALERS_MAX][APP_URL_MAX];
	char bad[APP_URL_MAX];
};
int  app_dialers_parse(struct app_dialers *d, const char *list);

/* What the choice of a dialer for a new call knows of each link; the
 * index of the one to use, or -1 if none can take it (see pool.c). */
struct app_dialer_load {
	bool up;
	bool webrtc;               /* the dialer has an rtpengine */
	bool registered;           /* the agent's softphone is there */
	unsigned calls;            /* in flight */
};
int  app_dialer_pick(const struct app_dialer_load *v, size_t n,
		     bool webrtc);

/* what every link to a dialer says and does, the same for all */
struct app_link_cfg {
	const char *secret;       /* control_secret */
	const char *dns_servers;
	const char *node;         /* this node's id, said in auth */
	uint32_t resume_s;        /* dialer_resume */
	uint64_t epoch;           /* the leader's fencing epoch (0: a
				     single node, none) */
};

int  app_pool_alloc(struct pool **pp, struct acd *acd, const char *list,
		    const struct app_link_cfg *lc);
/* a dialer said a newer leader controls it: this node stops (app.c) */
void app_lead_lost(const char *why);
/* who leads, as the store says now (store_leader_get): a leader's link
 * to a dialer is up only if it is still this node's epoch (remote.c) */
int  app_lead_confirm(store_leader_h *h, void *arg);
/* the browsers (visitors', desks') talk through a dialer's rtpengine,
 * once a link says its dialer has one */
void app_pool_voice(struct pool *p, struct api *api);
void app_pool_shutdown(struct pool *p);
unsigned app_pool_calls(const struct pool *p);

/* what a link tells the pool: it is up (or down); whether any link
 * holds call id; call id is r's (its dialer took it back: the others
 * forget it); a link's dialer has WebRTC */
void app_pool_link(struct pool *p, struct remote *r, bool up);
bool app_pool_held(const struct pool *p, const char *id);
void app_pool_claim(struct pool *p, const struct remote *r,
		    const char *id);
void app_pool_voice_on(struct pool *p);

/* one link (remote.c) */
int  app_remote_alloc(struct remote **rp, struct pool *pool,
		      struct acd *acd, const char *url,
		      const struct app_link_cfg *lc);
void app_remote_ops_get(struct remote *r, struct acd_dialer *ops,
			struct api_voice *vops);
int  app_remote_keep(struct remote *r, const char *id);
void app_remote_forget(struct remote *r, const char *id);
void app_remote_start(struct remote *r);
void app_remote_voice(struct remote *r, struct api *api);
void app_remote_shutdown(struct remote *r);
unsigned app_remote_calls(const struct remote *r);
bool app_remote_up(const struct remote *r);
bool app_remote_webrtc(const struct remote *r);
bool app_remote_holds(const struct remote *r, const char *id);
bool app_remote_registered(const struct remote *r, const char *agent_id);
const char *app_remote_url(const struct remote *r);

/*
 * Names (resolve.c): app_hostname_valid checks a DNS name's syntax
 * (letters, digits and hyphens in dot-separated labels of 1 to 63);
 * app_hosts_lookup finds name in a hosts file (the first line that
 * lists it, ENOENT if none); app_addr_list reads "ADDR[:PORT], ..." (IPv6
 * in brackets when a port follows) into at most *np addresses, defport
 * where none is given.
 */
bool app_hostname_valid(const char *p, size_t len);
int  app_hosts_lookup(struct sa *sa, const char *name, const char *path);
int  app_addr_list(struct sa *v, uint32_t *np, const char *list,
		   uint16_t defport);

/*
 * The trunk (trunk.c): app_trunk_check refuses (EINVAL, logged) a
 * trunk_proxy, or a trunk_uri host, that leads to beckon's own
 * sip_listen; app_trunk_target resolves a SIP URI's host (an address,
 * or a name in the hosts file; ENOENT if not there) and port;
 * app_trunk_is_self compares it with the listener (0.0.0.0 and [::]
 * take every address of this machine); app_trunk_configured says whether
 * either key was set at all.
 */
struct cfg;
int  app_trunk_check(const struct cfg *cfg);
int  app_trunk_target(struct sa *sa, const char *uri, const char *hosts);
bool app_trunk_is_self(const struct sa *listen, const struct sa *trunk);
bool app_trunk_configured(const struct cfg *cfg);

/*
 * SIGHUP (reload.c): h runs on the loop after each SIGHUP (several at
 * once: once). One at a time in a process; freeing it ignores SIGHUP.
 */
struct app_reload;
typedef void (app_reload_h)(void *arg);
int  app_reload_alloc(struct app_reload **rp, app_reload_h *h, void *arg);
/* whether a key is applied on SIGHUP (the others need a restart), in
 * serve or in `beckon dialer` */
bool app_reload_live(const char *key, bool dialer);
/* a section (business, agent, rule) of cfg by kind and id, or NULL;
 * whether cfg has sec with the same keys and values */
struct cfg_section;
const struct cfg_section *app_section_find(const struct cfg *cfg,
					   const char *kind, const char *id);
bool app_section_same(const struct cfg *cfg, const struct cfg_section *sec);

#endif
