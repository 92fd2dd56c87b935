/*
 * app: start-up, the event loop and shutdown.
 *
 * Start-up runs the store synchronously (store_flush) until the server is
 * ready: businesses from the config file and the demo are written, read
 * back into the API's view, the rate limits are rebuilt from the intake
 * log, and only then does the HTTP listener open.
 *
 * Shutdown order matters for durability: on SIGINT/SIGTERM the HTTP
 * listener stops accepting, the dialer hangs up its calls (a remote one is
 * asked to, and their ends are awaited a moment), the store commits
 * whatever was queued and the waiting clients get their answers, then the
 * loop ends.
 *
 * `beckon dialer` (app_dialer) runs the dialer alone: SIP, media and the
 * call-control listener, for a `beckon serve` elsewhere to drive with
 * `dialer = tcp://...`; no store, no HTTP. SIGHUP there applies the log
 * keys and names the others as needing a restart.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <re.h>
#define LOG_SUBSYS "app"
#include "util/util.h"
#include "cfg/cfg.h"
#include "store/store.h"
#include "api/api.h"
#include "acd/acd.h"
#include "dialer/dialer.h"
#include "rtpengine/rtpengine.h"
#include "metrics/metrics.h"
#include "webhook/webhook.h"
#include "cluster/cluster.h"
#include "app/app.h"
#include "app/app_int.h"

enum {
	DAY_MS = 86400000,
	DRAIN_MS = 100,
	DRAIN_MAX = 30,
	DIALER_DRAIN_MS = 500,
	APP_MAX_FDS = 65536,       /* fds_raise(): at most 2 MiB of table */
	APP_EXIT_LOST = 75,        /* the lead lost (EX_TEMPFAIL): restart */
};

struct app {
	struct cfg *cfg;
	struct cfg *secs;          /* the sections in force: the last file */
	struct store *st;
	struct api *api;
	struct acd *acd;
	struct dialer *dialer;
	struct port port;
	struct pool *remote;       /* the links to remote dialers */
	struct webhook_sender *webhooks;
	struct app_reload *reload;
	struct cluster *cluster;
	struct store_listener *listener;  /* the leader's, shared store */
	struct store_listener *biz_listener;  /* every node's, shared */
	char node[CLUSTER_NODE_MAX];  /* node_id, or its default */
	char url[CLUSTER_URL_MAX];    /* cluster_url, or its default */
	app_load_h *loadh;
	struct tmr drain;
	unsigned drain_ticks;
	bool stopping;
	int err;
};

static struct app app;


/* a first set-up record on its way to the store, named for the log */
struct first_put {
	int *errp;
	const char *kind;          /* business, agent, rule */
	char *id;
};


static void first_put_destructor(void *arg)
{
	struct first_put *fp = arg;

	mem_deref(fp->id);
}


static void done_h(int err, void *arg)
{
	struct first_put *fp = arg;

	/* a first set-up record that exists is left as it is */
	if (err == EALREADY)
		log_info("%s %s exists already: left as it is (change it "
			 "with beckon %s set %s)", fp->kind, fp->id,
			 fp->kind, fp->id);
	else if (err)
		*fp->errp = err;

	mem_deref(fp);
}


/* Store obj (of table t, a "kind" for people) unless its id exists. */
static int first_put(const struct store_table *t, const char *kind,
		     const void *obj, int *errp)
{
	struct first_put *fp;
	int err;

	fp = mem_zalloc(sizeof(*fp), first_put_destructor);
	if (!fp)
		return ENOMEM;

	fp->errp = errp;
	fp->kind = kind;
	err = str_dup(&fp->id, store_obj_str(obj, &t->fields[0]));
	if (!err)
		err = store_put(app.st, t, obj, false, done_h, fp);
	if (err)
		mem_deref(fp);

	return err;
}


static void list_h(int err, void *const *v, size_t n, void *arg)
{
	size_t i;

	(void)arg;
	if (err) {
		app.err = err;
		return;
	}

	for (i = 0; i < n; i++) {
		int e = api_business_set(app.api, v[i]);

		if (e)
			app.err = e;
	}

	log_info("%zu business%s", n, n == 1 ? "" : "es");
}


static void intake_h(int err, const struct intake_row *v, size_t n,
		     void *arg)
{
	(void)arg;
	if (err) {
		app.err = err;
		return;
	}

	api_limits_restore(app.api, v, n);
}


/* A "[business ID]" section of the config file as a business: every key
 * of the section is a field of the business (cfg checked the names). */
static int business_from_section(struct business *b,
				 const struct cfg_section *sec)
{
	size_t i;
	int err;

	err = store_obj_set(b, &store_businesses, "id", sec->id);
	if (!err)
		err = store_obj_set(b, &store_businesses, "name", sec->id);

	for (i = 0; !err && i < sec->n; i++) {
		err = store_obj_set(b, &store_businesses, sec->keys[i],
				    sec->vals[i]);
		if (err)
			log_error("business %s: %s: %s", sec->id,
				  sec->keys[i], err == ERANGE ?
				  "out of range" : err == ENOENT ?
				  "unknown key" : "not a valid value");
	}

	return err;
}


static int put_business(const struct business *b, int *errp)
{
	const char *field = NULL;
	char msg[160];
	int err;

	/* a typo in a time zone or a deny list must stop the start-up
	 * with a line that says which, not quietly weaken a limit */
	err = api_business_check(app.api, b, &field, msg, sizeof(msg));
	if (err) {
		log_error("business %s: %s: %s", b->id, field, msg);
		return err;
	}

	/* a first set-up: an existing business is left as it is, so that
	 * what the admin API changed survives a restart */
	err = first_put(&store_businesses, "business", b, errp);
	if (err)
		log_error("business %s: %s", b->id, strerror(err));

	return err;
}


/*
 * A demo agent with password "demo"; an existing one is left alone. Its
 * phone is the desk when the browsers have voice (rtpengine set: `make
 * run` needs no other phone), else a softphone that registers as
 * ID@sip_listen with the password "demo-sip".
 */
static int load_demo_agent(const char *id, const char *name,
			   const char *role, const char *skills, int *errp)
{
	bool desk = *cfg_str(app.cfg, "rtpengine") != '\0';
	char hash[PASSWORD_HASH_SIZE];
	struct agent *a;
	int err;

	err = password_hash(hash, sizeof(hash), "demo");
	if (!err)
		err = agent_alloc(&a);
	if (err)
		return err;

	err |= store_obj_set(a, &store_agents, "id", id);
	err |= store_obj_set(a, &store_agents, "name", name);
	err |= store_obj_set(a, &store_agents, "login", id);
	err |= store_obj_set(a, &store_agents, "password_hash", hash);
	err |= store_obj_set(a, &store_agents, "role", role);
	err |= store_obj_set(a, &store_agents, "businesses", "demo");
	err |= store_obj_set(a, &store_agents, "skills", skills);
	err |= store_obj_set(a, &store_agents, "endpoint",
			     desk ? "desk" : "registered");
	err |= store_obj_set(a, &store_agents, "sip_password", "demo-sip");
	if (!err)
		err = first_put(&store_agents, "agent", a, errp);

	mem_deref(a);

	return err;
}


/* The demo data `make run` shows: one business anyone on this machine
 * can try from a page served on loopback, open every day all day. */
static int load_demo(int *errp)
{
	static const char *const demo[][2] = {
		{"id", "demo"},
		{"name", "Demo Shop"},
		{"timezone", "America/New_York"},
		{"country", "1"},
		{"origins", "http://127.0.0.1:* http://localhost:*"},
		{"agent_keys", "sales support agent:alice agent:bob"},
		{"hours", "daily 00:00-24:00"},
	};
	struct business *b;
	size_t i;
	int err;

	log_warn("DEMO MODE: the demo business and agents alice and bob "
		 "(password \"demo\", %s, admin token \"demo\" unless "
		 "admin_token is set): never run --demo on a server others "
		 "can reach", *cfg_str(app.cfg, "rtpengine") ?
		 "their phone the desk" : "softphones \"demo-sip\"");

	err = business_alloc(&b);
	if (err)
		return err;

	for (i = 0; i < ARRAY_SIZE(demo) && !err; i++)
		err = store_obj_set(b, &store_businesses, demo[i][0],
				    demo[i][1]);
	if (!err)
		err = put_business(b, errp);

	mem_deref(b);
	if (err)
		return err;

	err = load_demo_agent("alice", "Alice Archer", "agent",
			      "sales billing", errp);
	if (!err)
		err = load_demo_agent("bob", "Bob Baker", "supervisor",
				      "sales support", errp);

	return err;
}


static void demo_check_h(int err, const void *obj, void *arg)
{
	const struct agent *a = obj;

	(void)arg;
	if (err || !a || !password_verify(a->password_hash, "demo"))
		return;

	log_warn("agent %s still has the demo password \"demo\": this "
		 "database was used with --demo. Change it (beckon agent "
		 "set %s --password ...) or use another database.", a->id,
		 a->id);
}


/*
 * "[agent ID]" and "[rule ID]" sections: a first set-up, like businesses
 * (created when missing, never overwriting), checked like the admin API
 * checks them.
 */
static int record_from_section(void **objp, const struct store_table *t,
			       const struct cfg_section *sec)
{
	const char *field = NULL;
	char msg[160];
	void *obj;
	size_t i;
	int err;

	err = store_obj_alloc(&obj, t);
	if (err)
		return err;

	err = store_obj_set(obj, t, "id", sec->id);
	if (!err && t == &store_agents) {
		err = store_obj_set(obj, t, "login", sec->id);
		err |= store_obj_set(obj, t, "name", sec->id);
	}

	for (i = 0; !err && i < sec->n; i++) {
		const char *k = sec->keys[i], *v = sec->vals[i];

		if (t == &store_agents && !strcmp(k, "password")) {
			char hash[PASSWORD_HASH_SIZE];

			if (strlen(v) < 8) {
				log_error("agent %s: password: 8 characters "
					  "or more", sec->id);
				err = EINVAL;
				break;
			}
			err = password_hash(hash, sizeof(hash), v);
			if (!err)
				err = store_obj_set(obj, t, "password_hash",
						    hash);
			continue;
		}

		err = store_obj_set(obj, t, k, v);
		if (err)
			log_error("%s %s: %s: not a valid value", sec->kind,
				  sec->id, k);
	}

	if (!err && api_record_check(app.api, t, obj, &field, msg,
				     sizeof(msg))) {
		log_error("%s %s: %s: %s", sec->kind, sec->id, field, msg);
		err = EINVAL;
	}

	if (err)
		mem_deref(obj);
	else
		*objp = obj;

	return err;
}


static int load_people(void)
{
	int put_err = 0;
	size_t i;
	int err = 0;

	for (i = 0; !err && i < cfg_section_count(app.cfg); i++) {
		const struct cfg_section *sec = cfg_section_get(app.cfg, i);
		const struct store_table *t;
		void *obj = NULL;

		if (!strcmp(sec->kind, "agent"))
			t = &store_agents;
		else if (!strcmp(sec->kind, "rule"))
			t = &store_rules;
		else
			continue;

		err = record_from_section(&obj, t, sec);
		if (!err)
			err = first_put(t, sec->kind, obj, &put_err);
		mem_deref(obj);
	}

	store_flush(app.st);

	return err ? err : put_err;
}


static int load_businesses(void)
{
	int put_err = 0;
	size_t i;
	int err = 0;

	if (cfg_bool(app.cfg, "demo")) {
		err = load_demo(&put_err);
	}
	else {
		store_get(app.st, &store_agents, "id", "alice", demo_check_h,
			  NULL);
		store_get(app.st, &store_agents, "id", "bob", demo_check_h,
			  NULL);
	}

	for (i = 0; !err && i < cfg_section_count(app.cfg); i++) {
		const struct cfg_section *sec = cfg_section_get(app.cfg, i);
		struct business *b;

		if (strcmp(sec->kind, "business"))
			continue;

		err = business_alloc(&b);
		if (err)
			break;
		err = business_from_section(b, sec);
		if (!err)
			err = put_business(b, &put_err);
		mem_deref(b);
	}

	store_flush(app.st);
	if (err || put_err)
		return err ? err : put_err;

	err = store_list(app.st, &store_businesses, list_h, NULL);
	if (!err)
		err = store_intake_since(app.st, time_now_ms() - DAY_MS,
					 intake_h, NULL);
	store_flush(app.st);
	if (err || app.err)
		return err ? err : app.err;

	/* agents and rules name businesses: they come after them */
	return load_people();
}


/* ---- SIGHUP: the [business], [agent] and [rule] sections ---- */

/*
 * A section new or changed since the running file, on its way to the
 * store: built from the section alone and checked like at start-up
 * (obj) before anything is written, then laid over the stored record
 * (only the section's keys: what the admin API changed in other fields
 * stays) or created, stored, and handed to the API and the ACD as the
 * admin API hands its changes.
 */
struct sec_put {
	struct le le;
	const struct store_table *t;
	const struct cfg_section *sec;
	struct cfg *cfg;              /* holds sec */
	void *obj;
	void *rec;
};


static void sec_put_destructor(void *arg)
{
	struct sec_put *sp = arg;

	list_unlink(&sp->le);
	mem_deref(sp->obj);
	mem_deref(sp->rec);
	mem_deref(sp->cfg);
}


static const struct store_table *section_table(const char *kind)
{
	if (!strcmp(kind, "business"))
		return &store_businesses;
	if (!strcmp(kind, "agent"))
		return &store_agents;
	if (!strcmp(kind, "rule"))
		return &store_rules;

	return NULL;
}


static int section_build(struct sec_put *sp)
{
	const char *field = NULL;
	struct business *b;
	char msg[160];
	int err;

	if (sp->t != &store_businesses)
		return record_from_section(&sp->obj, sp->t, sp->sec);

	err = business_alloc(&b);
	if (err)
		return err;
	err = business_from_section(b, sp->sec);
	if (!err && api_business_check(app.api, b, &field, msg,
				       sizeof(msg))) {
		log_error("business %s: %s: %s", b->id, field, msg);
		err = EINVAL;
	}
	if (err)
		mem_deref(b);
	else
		sp->obj = b;

	return err;
}


/* the stored record with the section's keys over it, checked */
static int section_merge(struct sec_put *sp, const void *found)
{
	const char *field = NULL;
	char msg[160];
	size_t i;
	int err;

	err = store_obj_dup(&sp->rec, sp->t, found);
	for (i = 0; !err && i < sp->sec->n; i++) {
		const char *k = sp->sec->keys[i], *v = sp->sec->vals[i];

		/* hashed once, when the section was built */
		if (sp->t == &store_agents && !strcmp(k, "password")) {
			k = "password_hash";
			v = store_obj_str(sp->obj, store_field_find(sp->t, k));
		}
		err = store_obj_set(sp->rec, sp->t, k, v);
	}
	if (!err && api_record_check(app.api, sp->t, sp->rec, &field, msg,
				     sizeof(msg))) {
		log_error("reload: %s %s: %s: %s", sp->sec->kind, sp->sec->id,
			  field, msg);
		err = EINVAL;
	}

	return err;
}


static void sec_stored(int err, void *arg)
{
	struct sec_put *sp = arg;

	if (err) {
		log_error("reload: %s %s: not applied (%s)", sp->sec->kind,
			  sp->sec->id, err == EEXIST ? "another agent has "
			  "this login" : strerror(err));
		goto out;
	}

	if (sp->t == &store_businesses) {
		api_business_set(app.api, sp->rec);
		acd_business_set(app.acd, sp->rec);
	}
	else if (sp->t == &store_agents) {
		acd_agent_set(app.acd, sp->rec);
	}
	else {
		acd_rule_set(app.acd, sp->rec);
	}
	log_info("reload: %s %s applied", sp->sec->kind, sp->sec->id);

 out:
	mem_deref(sp);
}


static void sec_found(int err, const void *found, void *arg)
{
	struct sec_put *sp = arg;

	if (err && err != ENOENT)
		goto fail;

	err = 0;
	if (found)
		err = section_merge(sp, found);
	else
		sp->rec = mem_ref(sp->obj);
	if (!err)
		err = store_put(app.st, sp->t, sp->rec, true, sec_stored, sp);
	if (!err)
		return;

 fail:
	log_error("reload: %s %s: not applied (%s)", sp->sec->kind,
		  sp->sec->id, strerror(err));
	mem_deref(sp);
}


/*
 * The sections of cfg that are new or changed since the running file,
 * built and checked into putl; 0, or the first error (logged) and an
 * empty putl: a bad section refuses the whole file. Sections gone from
 * the file are logged and kept: nothing is removed on SIGHUP (an agent
 * on a call must not vanish under it; removal is the admin API's, which
 * refuses a busy agent).
 */
static int reload_sections_check(struct list *putl, struct cfg *cfg)
{
	size_t i;
	int err = 0;

	for (i = 0; i < cfg_section_count(app.secs); i++) {
		const struct cfg_section *sec = cfg_section_get(app.secs, i);

		if (!app_section_find(cfg, sec->kind, sec->id))
			log_warn("reload: %s %s is no longer in the file: it "
				 "is kept (beckon %s rm %s removes it)",
				 sec->kind, sec->id, sec->kind, sec->id);
	}

	for (i = 0; !err && i < cfg_section_count(cfg); i++) {
		const struct cfg_section *sec = cfg_section_get(cfg, i);
		struct sec_put *sp;

		if (app_section_same(app.secs, sec))
			continue;

		sp = mem_zalloc(sizeof(*sp), sec_put_destructor);
		if (!sp) {
			err = ENOMEM;
			break;
		}
		list_append(putl, &sp->le, sp);
		sp->t = section_table(sec->kind);
		sp->sec = sec;
		sp->cfg = mem_ref(cfg);
		err = sp->t ? section_build(sp) : EINVAL;
	}

	if (err)
		list_flush(putl);

	return err;
}


/* each section of putl to the store, in file order (businesses before
 * the agents and rules that name them, when the file has them so) */
static void reload_sections_apply(struct list *putl)
{
	struct le *le;

	while ((le = list_head(putl))) {
		struct sec_put *sp = le->data;
		int err;

		list_unlink(le);
		err = store_get(app.st, sp->t, "id", sp->sec->id, sec_found,
				sp);
		if (err) {
			log_error("reload: %s %s: not applied (%s)",
				  sp->sec->kind, sp->sec->id, strerror(err));
			mem_deref(sp);
		}
	}
}

static void drain_timeout(void *arg)
{
	(void)arg;

	/* answers are queued on their sockets, the ends of a remote
	 * dialer's calls are on their way: give slow ones a moment */
	if ((api_unanswered(app.api) || app_pool_calls(app.remote)) &&
	    ++app.drain_ticks < DRAIN_MAX) {
		store_flush(app.st);
		tmr_start(&app.drain, DRAIN_MS, drain_timeout, NULL);
		return;
	}

	re_cancel();
}


static void signal_handler(int sig)
{
	if (app.stopping) {
		log_warn("signal %d again: stopping now", sig);
		re_cancel();
		return;
	}

	log_info("signal %d: shutting down", sig);
	app.stopping = true;

	api_stop_listening(app.api);

	/* calls are hung up while the loop can still send the BYEs */
	dialer_shutdown(app.dialer);
	app_pool_shutdown(app.remote);

	/* every write accepted so far is committed and answered */
	store_flush(app.st);

	tmr_start(&app.drain, DRAIN_MS, drain_timeout, NULL);
}


/* "dialer": off, local or tcp://ADDRESS:PORT, or a list of these,
 * checked before anything starts */
static int dialer_check(const struct cfg *cfg)
{
	const char *v = cfg_str(cfg, "dialer");
	bool b;

	if (!strncmp(v, "tcp://", 6)) {
		struct app_dialers *d = mem_zalloc(sizeof(*d), NULL);
		struct sa srvv[APP_DNS_MAX];
		uint32_t n = ARRAY_SIZE(srvv);
		const char *dns = cfg_str(cfg, "dns_servers");
		int err = d ? app_dialers_parse(d, v) : ENOMEM;

		if (err == EINVAL)
			log_error("dialer %s: not tcp://HOST:PORT (an IP "
				  "address, [IPv6] or a host name, and a "
				  "port)", d->bad);
		else if (err == EEXIST)
			log_error("dialer %s: listed twice", d->bad);
		else if (err == E2BIG)
			log_error("dialer: more than %d dialers",
				  APP_DIALERS_MAX);
		mem_deref(d);
		if (err)
			return err;
		if (*dns && app_addr_list(srvv, &n, dns, 53)) {
			log_error("dns_servers %s: not a list of addresses "
				  "(IP[:PORT], [IPv6]:PORT, at most %zu)", dns,
				  ARRAY_SIZE(srvv));
			return EINVAL;
		}
		if (!*cfg_str(cfg, "control_secret")) {
			log_error("dialer %s: control_secret is empty: set "
				  "it to the dialer's control_secret", v);
			return EINVAL;
		}
		return 0;
	}

	if (strcmp(v, "local") && cfg_parse_bool(&b, v)) {
		log_error("dialer: '%s' is not off, local or tcp://HOST:PORT",
			  v);
		return EINVAL;
	}

	/* only the leader dials, and any node may become it */
	if (dialer_configured(cfg) &&
	    !strncmp(cfg_str(cfg, "db"), "postgres://", 11)) {
		log_error("dialer %s: not with db postgres://: a cluster's "
			  "dialers are processes of their own (beckon dialer; "
			  "dialer tcp://HOST:PORT)", v);
		return EINVAL;
	}

	return 0;
}


/* "rtpengine": empty (no WebRTC) or udp:IP:PORT, checked before
 * anything starts */
static int rtpengine_check(const struct cfg *cfg)
{
	const char *v = cfg_str(cfg, "rtpengine");
	struct sa sa;

	if (*v && rtpengine_addr_parse(&sa, v)) {
		log_error("rtpengine: '%s' is not udp:IP:PORT (IPv6 as "
			  "udp:[::1]:PORT)", v);
		return EINVAL;
	}

	return 0;
}


/*
 * libre's event loop takes descriptors below a bound fixed on first use,
 * FD_SETSIZE (1024) by default: the dialer's four sockets a call would
 * stop it near 250 calls. Raise the soft limit to the hard one and size
 * the loop to it, before anything listens.
 */
static void fds_raise(void)
{
	struct rlimit rl;
	rlim_t n = 1024;

	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		if (rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			(void)setrlimit(RLIMIT_NOFILE, &rl);
			(void)getrlimit(RLIMIT_NOFILE, &rl);
		}
		n = rl.rlim_cur;
	}
	if (n > APP_MAX_FDS || n == RLIM_INFINITY)
		n = APP_MAX_FDS;
	if (n > 1024)
		(void)fd_setsize((int)n);
}


/*
 * The demo with no trunk set: its default trunk is this machine's port
 * 5060, beckon itself, where each call to a number would fail. Rather
 * than fail them, the demo calls no number and says why. With rtpengine
 * its dialer still runs, for the calls that need no line (the visitor
 * and the agent in their browsers: `make run`); without, it has none.
 */
static bool demo_without_line(const struct cfg *cfg)
{
	return cfg_bool(cfg, "demo") && !app_trunk_configured(cfg);
}


static bool demo_without_dialer(const struct cfg *cfg)
{
	return demo_without_line(cfg) && !*cfg_str(cfg, "rtpengine");
}


/* the webhook sender, with its keys */
static int webhooks_start(struct webhook_sender **sp, const struct cfg *cfg)
{
	struct webhook_sender_conf wc;
	struct sa nsv[APP_DNS_MAX];
	uint32_t nsc = ARRAY_SIZE(nsv);
	const char *dns = cfg_str(cfg, "dns_servers");
	int err;

	memset(&wc, 0, sizeof(wc));
	if (*dns && app_addr_list(nsv, &nsc, dns, 53)) {
		log_error("dns_servers %s: not a list of addresses", dns);
		return EINVAL;
	}
	wc.nsv = *dns ? nsv : NULL;
	wc.nsc = *dns ? nsc : 0;
	wc.fail_max = cfg_int(cfg, "webhook_fail_max");
	wc.allow_private = cfg_bool(cfg, "webhook_allow_private");
	wc.ca_file = cfg_str(cfg, "webhook_ca_file");
	wc.concurrency = (unsigned)cfg_int(cfg, "webhook_concurrency");
	wc.timeout_ms = (unsigned)cfg_int(cfg, "webhook_timeout") * 1000;
	wc.retry_min_s = cfg_int(cfg, "webhook_retry_min");
	wc.retry_hours = cfg_int(cfg, "webhook_retry_hours");

	err = webhook_sender_alloc(sp, app.st, &wc);
	if (err)
		log_error("starting the webhook sender: %s", strerror(err));

	return err;
}


void app_log_setup(const struct cfg *cfg)
{
	enum log_level lvl = LOG_LVL_INFO;
	enum log_format fmt = LOG_FMT_TEXT;

	/* cfg checked them */
	(void)log_level_parse(&lvl, cfg_str(cfg, "log_level"));
	(void)log_format_parse(&fmt, cfg_str(cfg, "log_format"));
	log_set_level(lvl);
	log_set_format(fmt);
	log_set_timestamps(cfg_bool(cfg, "log_timestamps"));
}


/* the keys of cfg that differ from the running ones: the live ones
 * copied into the running configuration (named, never their values:
 * some are secrets), the others named as needing a restart */
static bool reload_apply_keys(const struct cfg *cfg, bool dialer)
{
	const struct cfg_key *keys;
	size_t i, n;
	bool hooks = false;

	keys = cfg_keys(&n);
	for (i = 0; i < n; i++) {
		const char *k = keys[i].name;
		const char *v = cfg_str(cfg, k);

		if (!strcmp(cfg_str(app.cfg, k), v))
			continue;
		if (!app_reload_live(k, dialer)) {
			log_warn("reload: %s changed: needs a restart (the "
				 "running value is kept)", k);
			continue;
		}
		if (cfg_set(app.cfg, k, v)) {
			log_warn("reload: %s changed: not applied", k);
			continue;
		}
		log_info("reload: %s changed: applied", k);
		hooks |= !strncmp(k, "webhook_", 8);
	}

	return hooks;
}


/* a reloaded file refused: the running configuration and its log keys
 * stay */
static void reload_refused(int err)
{
	log_error("reload: the configuration was refused (%s): "
		  "nothing changed, the running one is kept", strerror(err));
	app_log_setup(app.cfg);
}


/* SIGHUP: the file read again and checked; a bad one changes nothing */
static void reload_h(void *arg)
{
	struct webhook_sender *hooks = NULL;
	struct cfg *cfg = NULL;
	struct list putl = LIST_INIT;
	int err;

	(void)arg;
	if (app.stopping)
		return;
	log_info("SIGHUP: reading the configuration again");

	err = app.loadh(&cfg);
	if (!err)
		err = app_check(cfg);
	/* the webhook keys as the file has them: a sender that cannot be
	 * made (an unreadable webhook_ca_file) refuses the file */
	if (!err)
		err = webhooks_start(&hooks, cfg);
	if (!err)
		err = reload_sections_check(&putl, cfg);
	if (err) {
		reload_refused(err);
		goto out;
	}

	if (reload_apply_keys(cfg, false)) {
		mem_deref(app.webhooks);
		app.webhooks = hooks;
		hooks = NULL;
		log_info("reload: the webhook sender was started again");
	}
	reload_sections_apply(&putl);
	mem_deref(app.secs);
	app.secs = mem_ref(cfg);
	log_info("reload: done");

 out:
	mem_deref(hooks);
	mem_deref(cfg);
}


int app_check(const struct cfg *cfg)
{
	int err;

	err = dialer_check(cfg);
	if (!err)
		err = rtpengine_check(cfg);
	if (!err && dialer_configured(cfg) && !demo_without_line(cfg))
		err = app_trunk_check(cfg);

	return err;
}


/*
 * This node leads (at once on SQLite; on PostgreSQL once it holds the
 * lock): the ACD and the dialer links start here, not at start-up. A
 * new leader asks its dialers back for the calls in flight (attach),
 * as at a restart: the old leader's bridged calls go on.
 */
static int dialers_start(const struct cfg *cfg, uint64_t epoch);

/* A callback made, joined, withdrawn or changed on any node: the
 * leader reads that callback (the payload is its id) at once rather
 * than wait for its next tick. The notification is a hint; the read is
 * the truth, and the read of every open callback (acd_resync) still runs
 * after every reconnect of the listener and every second. */
static void callbacks_notify_h(const char *channel, const char *payload,
			       void *arg)
{
	enum callback_status hint;
	char id[ID_LEN];

	(void)channel;
	(void)arg;
	store_callback_payload(payload, id, sizeof(id), &hint);
	acd_resync_one(app.acd, id, hint);
}


static void callbacks_resync_h(void *arg)
{
	(void)arg;
	acd_resync(app.acd);
}


static void biz_reread_h(int err, void *const *v, size_t n, void *arg)
{
	size_t i;

	(void)arg;
	if (err) {
		log_warn("reading the businesses again: %s", strerror(err));
		return;
	}
	for (i = 0; i < n; i++)
		(void)api_business_set(app.api, v[i]);
	log_info("%zu business%s read again", n, n == 1 ? "" : "es");
}


/* A business changed through the leader's admin API (a follower
 * relays those too): a follower's directory reads them all again, on
 * the hint and after every reconnect of the listener. The leader's own
 * admin API has set its directory already. */
static void biz_resync_h(void *arg)
{
	int err;

	(void)arg;
	if (cluster_leads(app.cluster))
		return;
	err = store_list(app.st, &store_businesses, biz_reread_h, NULL);
	if (err)
		log_warn("reading the businesses again: %s", strerror(err));
}


static void biz_notify_h(const char *channel, const char *payload,
			 void *arg)
{
	(void)channel;
	(void)payload;
	biz_resync_h(arg);
}


static int biz_listen(void)
{
	static const char *const chans[] = {store_ch_businesses};
	int err;

	if (strcmp(store_backend(app.st), "postgres"))
		return 0;

	err = store_listen(&app.biz_listener, app.st, chans, 1,
			   biz_notify_h, biz_resync_h, NULL);
	if (err)
		log_error("listening to %s: %s", store_ch_businesses,
			  strerror(err));

	return err;
}


/* the leader of a shared store hears other nodes' intake (LISTEN) */
static int listen_start(void)
{
	static const char *const chans[] = {store_ch_callbacks};
	int err;

	if (strcmp(store_backend(app.st), "postgres"))
		return 0;

	err = store_listen(&app.listener, app.st, chans, 1,
			   callbacks_notify_h, callbacks_resync_h, NULL);
	if (err)
		log_error("listening to %s: %s", store_ch_callbacks,
			  strerror(err));

	return err;
}


static int lead_h(uint64_t epoch, void *arg)
{
	const struct cfg *cfg = app.cfg;
	int err;

	(void)arg;

	/* a shared store's businesses may have changed through the old
	 * leader's admin API since this node read them: read them again */
	if (!strcmp(store_backend(app.st), "postgres")) {
		err = store_list(app.st, &store_businesses, list_h, NULL);
		store_flush(app.st);
		if (err || app.err)
			return err ? err : app.err;
	}

	err = acd_alloc(&app.acd, cfg, app.st);
	/* the businesses the API loaded, parsed once for both */
	if (!err)
		acd_set_bizdir(app.acd, api_bizdir(app.api));
	/* a dialer in another process outlives this one, and so may the
	 * calls it holds: they are asked back, not interrupted */
	if (!err && !strncmp(cfg_str(cfg, "dialer"), "tcp://", 6))
		acd_keep_calls(app.acd);
	if (!err)
		err = acd_start(app.acd);
	if (err) {
		log_error("starting the ACD: %s", strerror(err));
		return err;
	}
	err = api_set_acd(app.api, app.acd);
	if (err)
		return err;

	err = listen_start();
	if (err)
		return err;

	/* the dialers fence by the epoch of a shared store's leader */
	return dialers_start(cfg, strcmp(store_backend(app.st), "postgres") ?
			     0 : epoch);
}


/* the leader's links to its dialers, or the dialer in this process */
static int dialers_start(const struct cfg *cfg, uint64_t epoch)
{
	int err;

	if (!strncmp(cfg_str(cfg, "dialer"), "tcp://", 6)) {
		/* the ACD places its calls through a dialer elsewhere; the
		 * link comes up (and back) by itself */
		const struct app_link_cfg lc = {
			.secret = cfg_str(cfg, "control_secret"),
			.dns_servers = cfg_str(cfg, "dns_servers"),
			.node = app.node,
			.resume_s = (uint32_t)cfg_int(cfg, "dialer_resume"),
			.epoch = epoch,
		};

		err = app_pool_alloc(&app.remote, app.acd,
				     cfg_str(cfg, "dialer"), &lc);
		if (err) {
			log_error("dialer %s: %s", cfg_str(cfg, "dialer"),
				  strerror(err));
			return err;
		}
		app_pool_voice(app.remote, app.api);
	}
	else if (dialer_configured(cfg) && demo_without_dialer(cfg)) {
		log_warn("demo: no phone line is configured: set trunk_proxy "
			 "(see README \"Real phones\"); until then requests "
			 "wait in the queue and no call is placed");
		api_set_no_line(app.api);
	}
	else if (dialer_configured(cfg)) {
		if (demo_without_line(cfg)) {
			log_warn("demo: no phone line is configured: only "
				 "calls in the browser are placed (\"Talk "
				 "now\"); set trunk_proxy to call numbers "
				 "(see README \"Real phones\")");
			api_set_no_line(app.api);
			acd_set_no_line(app.acd);
		}
		err = dialer_alloc(&app.dialer, cfg);
		if (err) {
			log_error("starting the dialer: %s", strerror(err));
			return err;
		}

		/* the ACD now places its calls through it */
		app_port_connect(&app.port, app.acd, app.dialer);
		metrics_dialer(MD_LOCAL);
		if (*cfg_str(cfg, "rtpengine"))
			app_port_voice(&app.port, app.api);
	}

	return 0;
}


/* the lead is lost: stop acting at once, for the supervisor (systemd
 * Restart=always) to start this node again, as a follower */
static void lost_h(const char *why, void *arg)
{
	(void)arg;

	log_error("the lead is lost (%s): exiting (status %d) to start "
		  "again as a follower", why, APP_EXIT_LOST);
	_exit(APP_EXIT_LOST);
}


void app_lead_lost(const char *why)
{
	cluster_lose(app.cluster, why);
}


int app_lead_confirm(store_leader_h *h, void *arg)
{
	return store_leader_get(app.st, h, arg);
}


/* node_id (or its default), in every log line from now on */
static int node_setup(void)
{
	const char *id = cfg_str(app.cfg, "node_id");
	int err = 0;

	if (*id && strlen(id) >= sizeof(app.node))
		err = ENAMETOOLONG;
	else if (*id)
		str_bcpy(app.node, id, sizeof(app.node));
	else
		err = cluster_node_default(app.node, sizeof(app.node),
					   cfg_str(app.cfg, "http_listen"));
	if (err) {
		log_error("node_id: %s", strerror(err));
		return err;
	}
	log_set_node(app.node, !strncmp(cfg_str(app.cfg, "db"),
					"postgres://", 11));

	return 0;
}


/* cluster_url (or its default): told to the others when leading a
 * shared store; a single node's, even unusable (0.0.0.0), is no error */
static int url_setup(bool shared)
{
	const char *url = cfg_str(app.cfg, "cluster_url");
	int err;

	err = cluster_url_resolve(app.url, sizeof(app.url), url,
				  cfg_str(app.cfg, "http_listen"));
	if (err && (shared || *url)) {
		log_error("cluster_url: '%s' is not http://ADDR:PORT with an "
			  "address other nodes reach%s", *url ? url : app.url,
			  *url ? "" : " (http_listen's: set cluster_url)");
		return err;
	}
	if (err)
		app.url[0] = '\0';

	return 0;
}


/* the leader of a shared store, every second and at once on taking
 * over: what other nodes took in or canceled (acd_resync) */
static void tick_h(void *arg)
{
	(void)arg;
	acd_resync(app.acd);
}


/* the first try to lead: leading, the ACD starts now */
static int cluster_start_node(void)
{
	static const struct cluster_handlers h = {
		.lead = lead_h,
		.lost = lost_h,
		.tick = tick_h,
	};
	bool shared = !strcmp(store_backend(app.st), "postgres");
	int err;

	err = url_setup(shared);
	if (err)
		return err;

	/* the desk's sessions exist before any ACD does */
	err = api_set_acd(app.api, NULL);
	if (!err)
		err = cluster_alloc(&app.cluster, app.st, app.node, app.url,
				    shared, &h);
	if (err) {
		log_error("cluster: %s", strerror(err));
		return err;
	}
	api_set_cluster(app.api, app.cluster);

	return cluster_start(app.cluster);
}


/* libre's loop, the descriptors' limit raised, the wake-up eventfd:
 * what serve and the dialer alone both start with */
static int loop_init(void)
{
	int err = libre_init();

	if (err) {
		log_error("libre_init: %s", strerror(err));
		return err;
	}
	fds_raise();
	tmr_init(&app.drain);
	err = wake_init();
	if (err) {
		log_error("wake-up eventfd: %s", strerror(err));
		libre_close();
	}

	return err;
}


int app_serve(struct cfg *cfg, app_load_h *loadh)
{
	int err;

	memset(&app, 0, sizeof(app));
	app.cfg = cfg;
	app.secs = mem_ref(cfg);

	err = app_check(cfg);
	if (!err)
		err = node_setup();
	if (err)
		return err;

	err = loop_init();
	if (err)
		return err;

	log_info("beckon %s starting", BECKON_VERSION);

	err = store_open(&app.st, cfg_str(cfg, "db"),
			 (size_t)cfg_int(cfg, "commit_batch_max"));
	if (err)
		goto out;

	err = api_alloc(&app.api, cfg, app.st);
	if (err)
		goto out;

	err = load_businesses();
	if (err) {
		log_error("loading businesses: %s", strerror(err));
		goto out;
	}

	err = cluster_start_node();
	if (!err)
		err = biz_listen();
	if (err)
		goto out;

	err = webhooks_start(&app.webhooks, cfg);
	if (err)
		goto out;

	app.loadh = loadh;
	if (loadh)
		err = app_reload_alloc(&app.reload, reload_h, NULL);
	if (err) {
		log_error("SIGHUP: %s", strerror(err));
		goto out;
	}

	err = api_listen(app.api);
	if (!err && cfg_bool(cfg, "demo"))
		err = api_demo_listen(app.api);
	if (err)
		goto out;

	log_info("ready");

	err = re_main(signal_handler);

	log_info("stopped");

 out:
	tmr_cancel(&app.drain);
	app.reload = mem_deref(app.reload);
	app.webhooks = mem_deref(app.webhooks);
	if (app.st)
		store_flush(app.st);
	app.dialer = mem_deref(app.dialer);
	app.remote = mem_deref(app.remote);
	app.api = mem_deref(app.api);
	app.acd = mem_deref(app.acd);
	app.listener = mem_deref(app.listener);
	app.biz_listener = mem_deref(app.biz_listener);
	app.cluster = mem_deref(app.cluster);
	app.st = mem_deref(app.st);
	app.secs = mem_deref(app.secs);

	wake_close();
	libre_close();

	return err;
}


/* ---- beckon dialer ---- */

static void dialer_stop_timeout(void *arg)
{
	(void)arg;
	re_cancel();
}


static void dialer_signal_handler(int sig)
{
	if (app.stopping) {
		log_warn("signal %d again: stopping now", sig);
		re_cancel();
		return;
	}

	log_info("signal %d: shutting down", sig);
	app.stopping = true;

	/* the calls end (their events reach the clients) and the BYEs
	 * leave while the loop runs a moment more */
	dialer_shutdown(app.dialer);
	tmr_start(&app.drain, DIALER_DRAIN_MS, dialer_stop_timeout, NULL);
}


/* the checks of `beckon dialer`'s configuration, at start and on SIGHUP */
static int dialer_cfg_check(const struct cfg *cfg)
{
	int err;

	/* a dialer nobody can drive is a mistake, not a default */
	if (!*cfg_str(cfg, "control_listen") ||
	    !*cfg_str(cfg, "control_secret")) {
		log_error("beckon dialer needs control_listen and "
			  "control_secret: they are how beckon serve (dialer "
			  "tcp://...) drives it");
		return EINVAL;
	}
	err = rtpengine_check(cfg);
	if (!err)
		err = app_trunk_check(cfg);

	return err;
}


/* SIGHUP in the dialer: the log keys applied, the others named as
 * needing a restart (its SIP, media and control sockets are open); the
 * calls go on; a bad file changes nothing */
static void dialer_reload_h(void *arg)
{
	struct cfg *cfg = NULL;
	int err;

	(void)arg;
	if (app.stopping)
		return;
	log_info("SIGHUP: reading the configuration again");

	err = app.loadh(&cfg);
	if (!err)
		err = dialer_cfg_check(cfg);
	if (err) {
		reload_refused(err);
		goto out;
	}

	(void)reload_apply_keys(cfg, true);
	log_info("reload: done");

 out:
	mem_deref(cfg);
}


int app_dialer(struct cfg *cfg, app_load_h *loadh)
{
	int err;

	memset(&app, 0, sizeof(app));
	app.cfg = cfg;

	err = dialer_cfg_check(cfg);
	if (err)
		return err;

	err = loop_init();
	if (err)
		return err;

	log_info("beckon %s dialer starting", BECKON_VERSION);

	err = dialer_alloc(&app.dialer, cfg);
	if (err) {
		log_error("starting the dialer: %s", strerror(err));
		goto out;
	}

	app.loadh = loadh;
	if (loadh)
		err = app_reload_alloc(&app.reload, dialer_reload_h, NULL);
	if (err) {
		log_error("SIGHUP: %s", strerror(err));
		goto out;
	}

	log_info("ready");

	err = re_main(dialer_signal_handler);

	log_info("stopped");

 out:
	tmr_cancel(&app.drain);
	app.reload = mem_deref(app.reload);
	app.dialer = mem_deref(app.dialer);

	wake_close();
	libre_close();

	return err;
}
