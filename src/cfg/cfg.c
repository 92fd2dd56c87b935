/*
 * The configuration table and its parsers.
 *
 * Values are kept as validated strings, one slot per key in the table, so
 * that printing the effective configuration and checking a new value share
 * one code path. Typed getters convert on read; a value can only reach a
 * slot through cfg_set(), which checks type and bounds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#define LOG_SUBSYS "cfg"
#include "util/util.h"
#include "cfg/cfg.h"
#include "store/store.h"

#define INT_MAXV INT64_MAX

static const struct cfg_key keys[] = {
	/* server */
	{"http_listen", CFG_ADDR, "127.0.0.1:8080", 0, 0,
	 "address and port of the HTTP API, desktop and widget"},
	{"https_listen", CFG_ADDR, "", 0, 0,
	 "address and port of HTTPS: the same routes and WebSockets as "
	 "http_listen, needed for the microphone away from localhost "
	 "(empty: none)"},
	{"tls_cert", CFG_STR, "", 0, 0,
	 "PEM certificate of https_listen, the server's first, then its "
	 "intermediates (e.g. fullchain.pem)"},
	{"tls_key", CFG_STR, "", 0, 0,
	 "PEM private key of tls_cert, not encrypted (read at start-up, "
	 "never logged)"},
	{"db", CFG_STR, "sqlite:var/beckon.db", 0, 0,
	 "store URL: sqlite:PATH, or postgres://... (any libpq URI; "
	 "docs/cluster.md)"},
	{"node_id", CFG_STR, "", 0, 0,
	 "this node's name in logs, /healthz and the supervisor view "
	 "(empty: the host name and http_listen's port, HOST:PORT)"},
	{"cluster_url", CFG_STR, "", 0, 0,
	 "where the other nodes of a cluster reach this node's HTTP, "
	 "http://ADDR:PORT (empty: http:// and http_listen, which must "
	 "then not be 0.0.0.0 or ::)"},
	{"relay_max_conns", CFG_INT, "1024", 0, 1000000,
	 "connections a follower relays to the leader at once (the desk, "
	 "admin changes; beyond: 503 relay_busy; 0: none, 503 not_leader)"},
	{"demo", CFG_BOOL, "no", 0, 0,
	 "load the demo business and agents (never in production)"},
	{"listen_backlog", CFG_INT, "1024", 1, 65535,
	 "backlog of the HTTP and SIP TCP listening sockets (the kernel "
	 "caps it at net.core.somaxconn)"},
	{"log_level", CFG_STR, "info", 0, 0,
	 "error, warn, info or debug"},
	{"log_timestamps", CFG_BOOL, "no", 0, 0,
	 "add a UTC timestamp to log lines, after subsystem and level"},
	{"log_format", CFG_STR, "text", 0, 0,
	 "text (subsys: level: message) or json (one object a line)"},
	{"log_full_numbers", CFG_BOOL, "no", 0, 0,
	 "log whole phone numbers at info level (default: masked)"},

	/* HTTP */
	{"http_max_body", CFG_INT, "16384", 1024, 1048576,
	 "largest request body accepted, in bytes (413 above)"},
	{"http_max_conns", CFG_INT, "4096", 16, 1000000,
	 "most concurrent HTTP connections"},
	{"http_idle_timeout", CFG_INT, "60", 1, 3600,
	 "seconds an idle keep-alive connection is kept"},
	{"trust_forwarded_for", CFG_BOOL, "no", 0, 0,
	 "take the client IP from X-Forwarded-For (behind a proxy only)"},
	{"max_missed_offers", CFG_INT, "2", 1, 100,
	 "offers an agent may miss in a row before being set away"},
	{"reoffer_after", CFG_INT, "20", 1, 3600,
	 "seconds before agents who had a callback may be offered it again"},
	{"www_dir", CFG_STR, "share/www", 0, 0,
	 "folder of the desktop, widget and demo site files"},
	{"demo_listen", CFG_ADDR, "127.0.0.1:8081", 0, 0,
	 "with --demo: the demo shop, on an origin of its own"},
	{"admin_token", CFG_STR, "", 0, 0,
	 "bearer token of the admin API and the command line "
	 "(empty: admin API off; \"demo\" in demo mode; never logged)"},
	{"metrics_token", CFG_STR, "", 0, 0,
	 "bearer token of GET /metrics (empty: /metrics is not served "
	 "on http_listen; never logged)"},
	{"webhook_allow_private", CFG_BOOL, "no", 0, 0,
	 "let webhooks reach loopback and private addresses (default: "
	 "refused, no SSRF from a business's settings)"},
	{"webhook_ca_file", CFG_STR, "", 0, 0,
	 "PEM file of CA certificates trusted for HTTPS webhook endpoints "
	 "besides the system's (a private CA; read at start-up)"},
	{"webhook_concurrency", CFG_INT, "8", 1, 256,
	 "webhook deliveries in flight at most"},
	{"webhook_timeout", CFG_INT, "10", 1, 120,
	 "seconds a webhook delivery may take, connection to answer"},
	{"webhook_retry_min", CFG_INT, "10", 1, 3600,
	 "seconds before a failed webhook delivery's first retry (then "
	 "doubling, to an hour, with jitter)"},
	{"webhook_retry_hours", CFG_INT, "24", 24, 720,
	 "hours a webhook event is retried before it is given up"},
	{"webhook_fail_max", CFG_INT, "100", 0, 100000,
	 "failed webhook attempts in a row (none delivered between) that "
	 "stop an endpoint, shown failing until an administrator enables "
	 "it again (0: never stopped)"},
	{"metrics_listen", CFG_ADDR, "", 0, 0,
	 "a listener of its own for GET /metrics, for a private address "
	 "(empty: none; the token is required there too when set)"},

	/* intake limits: defaults for businesses that set none */
	{"limit_phone_15min", CFG_INT, "5", 0, 1000000,
	 "requests per phone number per 15 minutes (0: no limit)"},
	{"limit_phone_day", CFG_INT, "15", 0, 1000000,
	 "requests per phone number per 24 hours (0: no limit)"},
	{"limit_ip_minute", CFG_INT, "10", 0, 1000000,
	 "requests per client IP per minute (0: no limit)"},
	{"max_schedule_days", CFG_INT, "30", 1, 365,
	 "how far ahead a callback may be scheduled, in days"},

	/* dialer (SIP B2BUA) and its call-control protocol */
	{"dialer", CFG_STR, "off", 0, 0,
	 "off, local (in process) or tcp://HOST:PORT of a remote dialer "
	 "(several: a comma-separated list)"},
	{"dialer_resume", CFG_INT, "30", 0, 3600,
	 "seconds calls wait for a lost dialer link to come back"},
	{"dns_servers", CFG_STR, "", 0, 0,
	 "name servers for a dialer tcp://NAME:PORT and for webhook "
	 "endpoints' names (\"\": resolv.conf)"},
	{"sip_listen", CFG_ADDR, "127.0.0.1:5060", 0, 0,
	 "SIP address of the dialer and agent registrar (UDP and TCP)"},
	{"sip_domain", CFG_STR, "", 0, 0,
	 "SIP domain agents register in (default: the sip_listen host)"},
	{"sip_user_agent", CFG_STR, "beckon", 0, 0,
	 "the SIP User-Agent and Server header (\"\": none); no version "
	 "by default"},
	{"sip_auth_fails", CFG_INT, "5", 0, 1000,
	 "failed SIP digests from one address for one user before a ban "
	 "(0: no limit)"},
	{"sip_auth_fails_ip", CFG_INT, "20", 0, 1000000,
	 "failed SIP digests from one address, any users, before the "
	 "address is banned (0: no limit)"},
	{"sip_auth_window", CFG_INT, "600", 1, 86400,
	 "seconds within which failed digests add up"},
	{"sip_ban_time", CFG_INT, "60", 1, 86400,
	 "seconds of a first ban; each next one of the same key doubles"},
	{"sip_ban_max", CFG_INT, "3600", 1, 604800,
	 "seconds of the longest ban"},
	{"sip_ban_table", CFG_INT, "4096", 16, 1048576,
	 "addresses and (address, user) pairs remembered (about 230 bytes "
	 "each; the least recently seen go first)"},
	{"trunk_proxy", CFG_STR, "", 0, 0,
	 "outbound proxy of the SIP trunk, e.g. sip:127.0.0.1:5090"},
	{"trunk_uri", CFG_STR, "sip:${e164}@127.0.0.1;user=phone", 0, 0,
	 "template turning an E.164 number into a request URI "
	 "(${e164}: +14155550100, ${digits}: 14155550100)"},
	{"trunk_user", CFG_STR, "", 0, 0, "digest user name for the trunk"},
	{"trunk_password", CFG_STR, "", 0, 0,
	 "digest password for the trunk (never logged)"},
	{"trunk_register", CFG_BOOL, "no", 0, 0,
	 "register to the trunk's registrar"},
	{"trunk_transport", CFG_STR, "udp", 0, 0, "udp or tcp"},
	{"rtp_ports", CFG_STR, "20000-29999", 0, 0,
	 "RTP port range, FIRST-LAST"},
	{"rtp_timeout", CFG_INT, "60", 1, 3600,
	 "seconds without RTP before a call is ended"},
	{"ring_timeout", CFG_INT, "30", 1, 600,
	 "seconds a leg may ring before it is canceled"},
	{"max_hold", CFG_INT, "300", 1, 7200,
	 "seconds a customer may wait on hold for an agent"},
	{"prompt_dir", CFG_STR, "share/prompts", 0, 0,
	 "folder of the prompt WAV files"},
	{"record_dir", CFG_STR, "var/recordings", 0, 0,
	 "folder of call recordings"},
	{"sounds_dir", CFG_STR, "/usr/share/asterisk/sounds", 0, 0,
	 "Debian's asterisk-core-sounds (one folder a voice): the hold "
	 "announcements"},
	{"moh", CFG_STR,
	 "/usr/share/asterisk/moh/macroform-cold_day.wav", 0, 0,
	 "music on hold of the calls whose business names no prompt_hold"},
	{"greeting_dir", CFG_STR, "var/greetings", 0, 0,
	 "folder of the businesses' own greetings (uploaded through the "
	 "admin API; the server writes, the dialer reads)"},
	{"control_listen", CFG_ADDR, "127.0.0.1:7070", 0, 0,
	 "call-control protocol listener (empty, or no control_secret: "
	 "off)"},
	{"control_secret", CFG_STR, "", 0, 0,
	 "shared secret of the call-control protocol (never logged)"},
	{"rtpengine", CFG_STR, "", 0, 0,
	 "rtpengine's ng control address for voice in the browser "
	 "(WebRTC), udp:IP:PORT (empty: no WebRTC)"},
	{"ice_servers", CFG_STR, "", 0, 0,
	 "STUN/TURN servers handed to browsers for voice, space-separated "
	 "stun:, stuns:, turn:, turns: URLs (at most 8)"},
	{"turn_secret", CFG_STR, "", 0, 0,
	 "the TURN server's shared secret (coturn static-auth-secret): "
	 "browsers get short-lived TURN credentials (never logged)"},

	/* store */
	{"commit_batch_max", CFG_INT, "2000", 1, 100000,
	 "most store operations committed in one transaction"},
};

/*
 * The keys of the "[business ID]", "[agent ID]" and "[rule ID]" sections:
 * the record's fields that have a help text (their type, default, bounds
 * and help are written once, in store/record.c), and what only a config
 * file says: an agent's password, hashed when it is applied.
 */
static const struct cfg_key agent_only[] = {
	{"password", CFG_STR, "", 0, 0,
	 "password, 8 characters or more; stored as an argon2id hash"},
};

enum {
	SECTION_KEYS_MAX = 64,
};

struct section_keys {
	const char *kind;
	const struct store_table *t;
	const struct cfg_key *only;
	size_t nonly;
	const char *before;       /* only's place: before this field */
	struct cfg_key keys[SECTION_KEYS_MAX];
	size_t n;                 /* 0: not made yet */
};

static struct section_keys sections[] = {
	{"business", &store_businesses, NULL, 0, NULL, {{0}}, 0},
	{"agent", &store_agents, agent_only,
	 sizeof(agent_only) / sizeof(agent_only[0]), "password_hash",
	 {{0}}, 0},
	{"rule", &store_rules, NULL, 0, NULL, {{0}}, 0},
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

struct cfg {
	char *vals[NKEYS];
	bool set[NKEYS];
	struct cfg_section *secv;
	size_t secn;
};


static void section_reset(struct cfg_section *sec)
{
	size_t i;

	for (i = 0; i < sec->n; i++) {
		mem_deref((void *)sec->keys[i]);
		mem_deref((void *)sec->vals[i]);
	}
	mem_deref(sec->keys);
	mem_deref(sec->vals);
	mem_deref((void *)sec->kind);
	mem_deref((void *)sec->id);
}


static void destructor(void *arg)
{
	struct cfg *cfg = arg;
	size_t i;

	for (i = 0; i < NKEYS; i++)
		mem_deref(cfg->vals[i]);

	for (i = 0; i < cfg->secn; i++)
		section_reset(&cfg->secv[i]);
	mem_deref(cfg->secv);
}


const struct cfg_key *cfg_keys(size_t *np)
{
	if (np)
		*np = NKEYS;
	return keys;
}


static void key_of_field(struct cfg_key *k, const struct store_field *f)
{
	k->name = f->name;
	k->type = f->type == SF_INT ? CFG_INT : CFG_STR;
	k->def = f->def;
	k->min = f->min;
	k->max = f->max;
	k->help = f->help;
}


/* made on first use, from the record's table (one thread: start-up) */
static const struct cfg_key *section_keys(struct section_keys *s,
					  size_t *np)
{
	size_t i;

	if (s->n)
		goto out;

	/* room for every field and every extra key (checked by the unit
	 * test store_business_fields_are_config_keys) */
	for (i = 0; i < s->t->n && s->n + s->nonly < SECTION_KEYS_MAX; i++) {
		const struct store_field *f = &s->t->fields[i];
		size_t j;

		if (s->before && !strcmp(f->name, s->before)) {
			for (j = 0; j < s->nonly; j++)
				s->keys[s->n++] = s->only[j];
		}
		if (f->help)
			key_of_field(&s->keys[s->n++], f);
	}

 out:
	*np = s->n;

	return s->keys;
}


const struct cfg_key *cfg_section_keys(const char *kind, size_t *np)
{
	size_t i;

	for (i = 0; kind && i < sizeof(sections) / sizeof(sections[0]);
	     i++) {
		if (!strcmp(kind, sections[i].kind))
			return section_keys(&sections[i], np);
	}

	return NULL;
}


const struct cfg_key *cfg_business_keys(size_t *np)
{
	size_t n;
	const struct cfg_key *k = cfg_section_keys("business", &n);

	if (np)
		*np = n;

	return k;
}


static int key_index(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		if (!strcmp(keys[i].name, name))
			return (int)i;
	}

	return -1;
}


const struct cfg_key *cfg_key_find(const char *name)
{
	int i = name ? key_index(name) : -1;

	return i < 0 ? NULL : &keys[i];
}


int cfg_parse_bool(bool *bp, const char *s)
{
	if (!s)
		return EINVAL;

	if (!strcasecmp(s, "yes") || !strcasecmp(s, "true") ||
	    !strcmp(s, "1") || !strcasecmp(s, "on")) {
		*bp = true;
		return 0;
	}
	if (!strcasecmp(s, "no") || !strcasecmp(s, "false") ||
	    !strcmp(s, "0") || !strcasecmp(s, "off")) {
		*bp = false;
		return 0;
	}

	return EINVAL;
}


static int parse_int(int64_t *vp, const char *s)
{
	char *end;
	long long v;

	if (!s || !*s)
		return EINVAL;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return EINVAL;

	*vp = v;
	return 0;
}


/* Check a value against a key's type and bounds; log why it is refused. */
static int check_value(const struct cfg_key *k, const char *val,
		       const char *where)
{
	int64_t v;
	bool b;
	struct sa sa;

	switch (k->type) {

	case CFG_INT:
		if (*val == '\0' && *k->def == '\0')
			return 0;  /* an optional override left empty */
		if (parse_int(&v, val)) {
			log_error("%s%s: '%s' is not a whole number", where,
				  k->name, val);
			return EINVAL;
		}
		if (v < k->min || v > k->max) {
			log_error("%s%s: %lld is outside %lld..%lld", where,
				  k->name, (long long)v, (long long)k->min,
				  (long long)k->max);
			return ERANGE;
		}
		break;

	case CFG_BOOL:
		if (cfg_parse_bool(&b, val)) {
			log_error("%s%s: '%s' is not yes or no", where,
				  k->name, val);
			return EINVAL;
		}
		break;

	case CFG_ADDR:
		if (*val == '\0')
			break;  /* empty: the listener is off */
		if (sa_decode(&sa, val, strlen(val))) {
			log_error("%s%s: '%s' is not host:port (IPv6 as "
				  "[::1]:port)", where, k->name, val);
			return EINVAL;
		}
		break;

	case CFG_STR:
		if (strlen(val) > 4096) {
			log_error("%s%s: value too long", where, k->name);
			return EINVAL;
		}
		break;
	}

	return 0;
}


/* Set a key; a refusal is logged after where ("FILE:LINE: " or "") */
static int set_at(struct cfg *cfg, const char *key, const char *value,
		  const char *where)
{
	char *dup = NULL;
	int i, err;

	i = key_index(key);
	if (i < 0) {
		log_error("%sunknown key '%s' (beckon serve --help lists "
			  "them)", where, key);
		return ENOENT;
	}

	if (!strcmp(key, "log_level")) {
		enum log_level lvl;

		if (log_level_parse(&lvl, value)) {
			log_error("%slog_level: '%s' is not error, warn, "
				  "info or debug", where, value);
			return EINVAL;
		}
	}

	if (!strcmp(key, "log_format")) {
		enum log_format fmt;

		if (log_format_parse(&fmt, value)) {
			log_error("%slog_format: '%s' is not text or json",
				  where, value);
			return EINVAL;
		}
	}

	err = check_value(&keys[i], value, where);
	if (err)
		return err;

	err = str_dup(&dup, value);
	if (err)
		return err;

	mem_deref(cfg->vals[i]);
	cfg->vals[i] = dup;
	cfg->set[i] = true;

	return 0;
}


int cfg_set(struct cfg *cfg, const char *key, const char *value)
{
	if (!cfg || !key || !value)
		return EINVAL;

	return set_at(cfg, key, value, "");
}


bool cfg_is_set(const struct cfg *cfg, const char *key)
{
	int i = cfg && key ? key_index(key) : -1;

	return i >= 0 && cfg->set[i];
}


int cfg_alloc(struct cfg **cfgp)
{
	struct cfg *cfg;
	size_t i;
	int err = 0;

	if (!cfgp)
		return EINVAL;

	cfg = mem_zalloc(sizeof(*cfg), destructor);
	if (!cfg)
		return ENOMEM;

	for (i = 0; i < NKEYS; i++) {
		err = str_dup(&cfg->vals[i], keys[i].def);
		if (err)
			goto out;
	}

 out:
	if (err)
		mem_deref(cfg);
	else
		*cfgp = cfg;

	return err;
}


const char *cfg_str(const struct cfg *cfg, const char *key)
{
	int i = cfg && key ? key_index(key) : -1;

	if (i < 0) {
		log_error("BUG: cfg_str of unknown key '%s'", key);
		return "";
	}

	return cfg->vals[i];
}


int64_t cfg_int(const struct cfg *cfg, const char *key)
{
	int64_t v = 0;

	(void)parse_int(&v, cfg_str(cfg, key));

	return v;
}


bool cfg_bool(const struct cfg *cfg, const char *key)
{
	bool b = false;

	(void)cfg_parse_bool(&b, cfg_str(cfg, key));

	return b;
}


size_t cfg_section_count(const struct cfg *cfg)
{
	return cfg ? cfg->secn : 0;
}


const struct cfg_section *cfg_section_get(const struct cfg *cfg, size_t i)
{
	return cfg && i < cfg->secn ? &cfg->secv[i] : NULL;
}


const char *cfg_section_val(const struct cfg_section *sec, const char *key)
{
	size_t i;

	if (!sec || !key)
		return NULL;

	/* the last assignment wins, as for top-level keys */
	for (i = sec->n; i > 0; i--) {
		if (!strcmp(sec->keys[i - 1], key))
			return sec->vals[i - 1];
	}

	return NULL;
}


static void trim(struct pl *pl)
{
	while (pl->l && (pl->p[0] == ' ' || pl->p[0] == '\t')) {
		++pl->p;
		--pl->l;
	}
	while (pl->l && (pl->p[pl->l - 1] == ' ' ||
			 pl->p[pl->l - 1] == '\t' ||
			 pl->p[pl->l - 1] == '\r' ||
			 pl->p[pl->l - 1] == '\n'))
		--pl->l;
}


static const struct cfg_key *section_key(const char *kind, const char *name)
{
	const struct cfg_key *t;
	size_t i, n;

	t = cfg_section_keys(kind, &n);
	for (i = 0; t && i < n; i++) {
		if (!strcmp(t[i].name, name))
			return &t[i];
	}

	return NULL;
}


static int section_add(struct cfg *cfg, const struct pl *kind,
		       const struct pl *id)
{
	struct cfg_section *v, *sec;
	int err;

	v = mem_reallocarray(cfg->secv, cfg->secn + 1, sizeof(*v), NULL);
	if (!v)
		return ENOMEM;
	cfg->secv = v;

	sec = &cfg->secv[cfg->secn];
	memset(sec, 0, sizeof(*sec));

	err  = pl_strdup((char **)&sec->kind, kind);
	err |= pl_strdup((char **)&sec->id, id);
	if (err) {
		section_reset(sec);
		return ENOMEM;
	}

	++cfg->secn;

	return 0;
}


static int section_put(struct cfg_section *sec, const char *key,
		       const char *val)
{
	const char **kv, **vv;
	int err;

	kv = mem_reallocarray(sec->keys, sec->n + 1, sizeof(*kv), NULL);
	if (!kv)
		return ENOMEM;
	sec->keys = kv;

	vv = mem_reallocarray(sec->vals, sec->n + 1, sizeof(*vv), NULL);
	if (!vv)
		return ENOMEM;
	sec->vals = vv;

	sec->keys[sec->n] = NULL;
	sec->vals[sec->n] = NULL;

	err  = str_dup((char **)&sec->keys[sec->n], key);
	err |= str_dup((char **)&sec->vals[sec->n], val);
	if (err) {
		mem_deref((void *)sec->keys[sec->n]);
		mem_deref((void *)sec->vals[sec->n]);
		return ENOMEM;
	}

	++sec->n;

	return 0;
}


/*
 * The file format: "key value" per line, '#' starts a comment line, blank
 * lines are ignored, the value is the rest of the line with surrounding
 * blanks trimmed. "[business ID]" starts a business section.
 */
int cfg_load_file(struct cfg *cfg, const char *path)
{
	char line[8192], where[300];
	unsigned lineno = 0;
	FILE *f;
	int err = 0;

	if (!cfg || !path)
		return EINVAL;

	f = fopen(path, "r");
	if (!f) {
		err = errno;
		log_error("cannot open %s: %s", path, strerror(err));
		return err;
	}

	while (fgets(line, sizeof(line), f)) {
		struct pl l, key, val, kind, id;
		size_t len = strlen(line);
		char k[128], v[4097];

		++lineno;
		(void)snprintf(where, sizeof(where), "%s:%u: ", path, lineno);

		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			log_error("%sline too long", where);
			err = EINVAL;
			break;
		}

		pl_set_str(&l, line);
		trim(&l);
		if (!l.l || l.p[0] == '#')
			continue;

		if (l.p[0] == '[') {
			if (re_regex(l.p, l.l, "\\[[a-z_]+[ \t]+[a-zA-Z0-9_-]+\\]",
				     &kind, NULL, &id) || l.p[l.l - 1] != ']') {
				log_error("%sexpected [business|agent|rule ID] "
					  "with an id "
					  "of letters, digits, - and _", where);
				err = EINVAL;
				break;
			}
			if (pl_strcmp(&kind, "business") &&
			    pl_strcmp(&kind, "agent") &&
			    pl_strcmp(&kind, "rule")) {
				log_error("%sunknown section kind '%.*s'",
					  where, (int)kind.l, kind.p);
				err = EINVAL;
				break;
			}
			err = section_add(cfg, &kind, &id);
			if (err)
				break;
			continue;
		}

		if (re_regex(l.p, l.l, "[^ \t]+[ \t]*[^]*", &key, NULL, &val)) {
			log_error("%sexpected: key value", where);
			err = EINVAL;
			break;
		}
		trim(&val);

		if (key.l >= sizeof(k) || val.l >= sizeof(v)) {
			log_error("%skey or value too long", where);
			err = EINVAL;
			break;
		}
		(void)pl_strcpy(&key, k, sizeof(k));
		(void)pl_strcpy(&val, v, sizeof(v));

		if (cfg->secn) {
			struct cfg_section *sec = &cfg->secv[cfg->secn - 1];
			const struct cfg_key *bk = section_key(sec->kind, k);

			if (!bk) {
				log_error("%sunknown %s key '%s'", where,
					  sec->kind, k);
				err = ENOENT;
				break;
			}
			err = check_value(bk, v, where);
			if (err)
				break;
			err = section_put(sec, k, v);
			if (err)
				break;
			continue;
		}

		/* the command line wins over the file */
		if (cfg_is_set(cfg, k) && key_index(k) >= 0)
			continue;

		err = set_at(cfg, k, v, where);
		if (err)
			break;
		/* a file value is not a command-line value */
		cfg->set[key_index(k)] = false;
	}

	fclose(f);

	return err;
}


void cfg_print_help(FILE *f)
{
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		fprintf(f, "  --%-22s %s (default: %s)\n", keys[i].name,
			keys[i].help, *keys[i].def ? keys[i].def : "none");
	}
}
