/*
 * The trunk must lead away from beckon. A trunk_proxy (or, without one,
 * the host of trunk_uri) that reaches beckon's own sip_listen sends every
 * call to a customer back into beckon, whose registrar answers 401: the
 * calls fail and each one costs the visitor an attempt. That is refused
 * at start-up, with the address both resolve to.
 *
 * Addresses are compared, not strings: "localhost" and 127.0.0.1 are the
 * same host, and a listener on 0.0.0.0 or [::] takes what is sent to any
 * address of this machine. A name is resolved through /etc/hosts only:
 * start-up never waits on DNS, and a name only DNS knows is a provider's,
 * not this machine's.
 */
#include <errno.h>
#include <string.h>
#include <ifaddrs.h>
#include <re.h>
#define LOG_SUBSYS "app"
#include "util/util.h"
#include "cfg/cfg.h"
#include "app/app_int.h"

enum {
	DEF_SIP_PORT = 5060,
	DEF_SIPS_PORT = 5061,
};


/* One of this machine's interface addresses (the port aside)? */
static bool addr_is_local(const struct sa *a)
{
	struct ifaddrs *ifa, *i;
	bool found = false;

	/* all of 127/8 is this machine's (sa_is_loopback: 127.0.0.1) */
	if (sa_is_loopback(a) || sa_is_any(a) ||
	    (sa_af(a) == AF_INET && sa_in(a) >> 24 == 127))
		return true;
	if (getifaddrs(&ifa))
		return false;

	for (i = ifa; i && !found; i = i->ifa_next) {
		struct sa s;

		if (!i->ifa_addr || sa_set_sa(&s, i->ifa_addr))
			continue;
		found = sa_cmp(&s, a, SA_ADDR);
	}
	freeifaddrs(ifa);

	return found;
}


bool app_trunk_is_self(const struct sa *listen, const struct sa *trunk)
{
	if (sa_port(listen) != sa_port(trunk))
		return false;
	if (sa_is_any(listen))
		return addr_is_local(trunk);
	if (sa_is_any(trunk))
		return addr_is_local(listen);

	return sa_cmp(listen, trunk, SA_ADDR);
}


/*
 * Where a SIP URI leads: its host (an address, or a name in hosts)
 * and port (5060, 5061 for sips:). ENOENT when the name is not in hosts.
 */
int app_trunk_target(struct sa *sa, const char *uri_str, const char *hosts)
{
	char host[APP_HOST_MAX];
	struct pl pl;
	struct uri uri;
	uint16_t port;

	pl_set_str(&pl, uri_str);
	if (uri_decode(&uri, &pl) || !uri.host.l)
		return EINVAL;

	port = uri.port ? uri.port :
		!pl_strcasecmp(&uri.scheme, "sips") ? DEF_SIPS_PORT : DEF_SIP_PORT;
	if (!sa_set(sa, &uri.host, port))
		return 0;

	if (uri.host.l >= sizeof(host))
		return EINVAL;
	pl_strcpy(&uri.host, host, sizeof(host));
	if (!app_hostname_valid(host, strlen(host)))
		return EINVAL;
	if (app_hosts_lookup(sa, host, hosts))
		return ENOENT;
	sa_set_port(sa, port);

	return 0;
}


/* trunk_uri with a number in place of ${e164} and ${digits} */
static void uri_sample(char *buf, size_t sz, const char *tmpl)
{
	size_t n = 0;

	while (*tmpl && n + 1 < sz) {
		const char *v = NULL;

		if (!strncmp(tmpl, "${e164}", 7))
			v = "+10000000000";
		else if (!strncmp(tmpl, "${digits}", 9))
			v = "10000000000";
		if (!v) {
			buf[n++] = *tmpl++;
			continue;
		}
		n += (size_t)re_snprintf(buf + n, sz - n, "%s", v);
		tmpl += v[0] == '+' ? 7 : 9;
	}
	buf[n < sz ? n : sz - 1] = '\0';
}


int app_trunk_check(const struct cfg *cfg)
{
	const char *proxy = cfg_str(cfg, "trunk_proxy");
	const char *key = *proxy ? "trunk_proxy" : "trunk_uri";
	char uri[512], addr[64];
	struct sa listen, trunk;

	if (sa_decode(&listen, cfg_str(cfg, "sip_listen"),
		      strlen(cfg_str(cfg, "sip_listen"))))
		return 0;   /* the dialer says what is wrong with it */

	if (*proxy)
		str_bcpy(uri, proxy, sizeof(uri));
	else
		uri_sample(uri, sizeof(uri), cfg_str(cfg, "trunk_uri"));

	if (app_trunk_target(&trunk, uri, "/etc/hosts") ||
	    !app_trunk_is_self(&listen, &trunk))
		return 0;

	re_snprintf(addr, sizeof(addr), "%J", &trunk);
	log_error("%s %s leads to %s, beckon's own SIP listener "
		  "(sip_listen %s): every call to a customer would come back "
		  "to beckon and fail. Set trunk_uri (and trunk_proxy) to "
		  "your SIP provider's (README \"Real phones\")", key,
		  *proxy ? proxy : cfg_str(cfg, "trunk_uri"), addr,
		  cfg_str(cfg, "sip_listen"));

	return EINVAL;
}


bool app_trunk_configured(const struct cfg *cfg)
{
	return cfg_is_set(cfg, "trunk_proxy") || cfg_is_set(cfg, "trunk_uri");
}
