/*
 * The record tables: every field of a business, an agent and a routing
 * rule, with its type, default, bounds and help, written here once. The
 * names are at once the SQL column, the config-file key and the admin
 * API's JSON name; the config file's sections take their keys from here
 * (cfg.c, cfg_section_keys).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "store/store.h"

/* help: the field's line in the configuration's documentation (beckon
 * --help-config, the man page); NULL: not a key of a config section */
#define STR(st, f, def, help) \
	{#f, SF_STR, offsetof(struct st, f), def, 0, 0, help, NULL}
#define INT(st, f, def, lo, hi, help) \
	{#f, SF_INT, offsetof(struct st, f), def, lo, hi, help, NULL}
#define ENUM(st, f, def, names, help) \
	{#f, SF_ENUM, offsetof(struct st, f), def, 0, 0, help, &names}

static const struct store_field business_fieldv[] = {
	STR(business, id, "", NULL),
	STR(business, name, "",
	    "display name"),
	STR(business, timezone, "UTC",
	    "IANA time zone"),
	INT(business, country, "1", 1, 999,
	    "default calling code for national numbers"),
	STR(business, origins, "",
	    "space-separated origins the widget may run on; a port of * "
	    "matches any port"),
	STR(business, allowed_countries, "",
	    "space-separated calling codes that may be dialed (default: the "
	    "business's own)"),
	STR(business, deny_prefixes, "",
	    "space-separated E.164 prefixes never dialed, X any digit; "
	    "empty: the built-in premium-rate list; \"none\": nothing"),
	STR(business, agent_keys, "",
	    "space-separated team or agent keys the widget may ask for"),
	INT(business, limit_phone_15min, "-1", -1, 1000000,
	    "override of the global limit (-1: the global value, 0: none)"),
	INT(business, limit_phone_day, "-1", -1, 1000000,
	    "override of the global limit (-1: the global value, 0: none)"),
	INT(business, limit_ip_minute, "-1", -1, 1000000,
	    "override of the global limit (-1: the global value, 0: none)"),
	STR(business, hours, "daily 00:00-24:00",
	    "weekly opening hours in the business's time zone, e.g. "
	    "\"mon-fri 09:00-17:30, sat 10:00-14:00\""),
	STR(business, closed, "",
	    "closed dates, YYYY-MM-DD, space-separated"),
	STR(business, caller_id, "",
	    "E.164 number shown to the customer"),
	ENUM(business, dial_mode, "customer_first", dial_mode_names,
	    "customer_first or agent_first"),
	INT(business, accept_timeout, "0", 0, 300,
	    "agent first: seconds to accept an offer on the desk before the "
	    "agent's phone rings; 0: no Accept, dial at once"),
	INT(business, retry_attempts, "3", 1, 20,
	    "calls to the customer at most"),
	STR(business, retry_delays, "120 600",
	    "seconds to wait before each retry, space-separated"),
	INT(business, max_hold, "300", 10, 7200,
	    "seconds a customer waits on hold for an agent"),
	INT(business, widen_after, "120", 0, 86400,
	    "seconds before a callback may go to any agent of the business"),
	INT(business, max_wait_now, "900", 0, 86400,
	    "the widget offers \"now\" only when the expected wait is at "
	    "most this many seconds (else times later); 0: whatever the wait"),
	INT(business, recording, "0", 0, 1,
	    "1: record calls (stereo WAV)"),
	STR(business, prompt_hold, "",
	    "hold music, a prompt name (\"\": the dialer's moh)"),
	STR(business, prompt_whisper, "whisper",
	    "whisper prompt name (agent first)"),
	STR(business, prompt_goodbye, "goodbye",
	    "goodbye prompt name"),
	STR(business, dispositions,
	    "sale follow_up not_interested wrong_number no_answer",
	    "outcomes an agent can record"),
	STR(business, widget_label, "",
	    "the widget button's text (\"\": \"Call me\" in its language)"),
	STR(business, widget_color, "",
	    "the widget's colour, #rgb or #rrggbb (\"\": its blue)"),
	STR(business, widget_position, "bottom-right",
	    "bottom-right, bottom-left, top-right or top-left"),
	STR(business, widget_language, "",
	    "en or fr (\"\": the page's, then the browser's)"),
	STR(business, language, "en",
	    "language of the hold announcements: en or fr"),
	INT(business, announce_every, "60", 0, 3600,
	    "seconds between announcements of the place in line and the wait "
	    "to a customer on hold (0: once; else at least 10)"),
	INT(business, human_check, "0", 0, 60,
	    "seconds a customer has to press 1 before they hold (an "
	    "answering machine does not: no_human); 0: no check, else at "
	    "least 3"),
	STR(business, voice_in_browser, "offered",
	    "the widget's Talk now in the browser: off, offered or only "
	    "(with rtpengine)"),
	INT(business, sla_seconds, "60", 1, 86400,
	    "reports count a callback connected within this many seconds of "
	    "the request as within the service level"),
};

static const struct store_field agent_fieldv[] = {
	STR(agent, id, "", NULL),
	STR(agent, name, "",
	    "display name (default: the id)"),
	STR(agent, login, "",
	    "log-in name (default: the id)"),
	STR(agent, password_hash, "",
	    "or the argon2id hash itself, so the file holds no password"),
	ENUM(agent, role, "agent", agent_role_names,
	    "agent, supervisor or admin"),
	STR(agent, businesses, "",
	    "space-separated ids of the businesses served"),
	STR(agent, endpoint, "",
	    "sip: URI, E.164 number or \"registered\""),
	STR(agent, sip_password, "",
	    "the secret a registering softphone uses (SIP digest)"),
	STR(agent, skills, "",
	    "space-separated skills"),
	INT(agent, wrap_up, "30", 0, 3600,
	    "seconds after a call before the next offer"),
	INT(agent, auto_answer, "0", 0, 1, NULL),
	ENUM(agent, state, "offline", agent_state_names, NULL),
	INT(agent, state_since, "0", 0, INT64_MAX, NULL),
	STR(agent, state_reason, "", NULL),
	INT(agent, idle_since, "0", 0, INT64_MAX, NULL),
};

static const struct store_field rule_fieldv[] = {
	STR(rule, id, "", NULL),
	STR(rule, business, "",
	    "the business the rule is for"),
	INT(rule, position, "100", 0, 1000000,
	    "rules are tried in position order"),
	STR(rule, match_url, "",
	    "page URL prefix, or a pattern with * (empty: any)"),
	STR(rule, match_title, "",
	    "words, any of which in the page title (empty: any)"),
	STR(rule, match_agent, "",
	    "the request's agent key (empty: any)"),
	STR(rule, skills, "",
	    "skills the agent must have"),
	INT(rule, priority, "0", -1000, 1000,
	    "higher goes first"),
	STR(rule, agent_id, "",
	    "a specific agent"),
};


static const struct store_field webhook_fieldv[] = {
	STR(webhook, id, "", NULL),
	STR(webhook, business, "", NULL),
	STR(webhook, url, "", NULL),
	STR(webhook, secret, "", NULL),
	STR(webhook, events, "", NULL),
	INT(webhook, enabled, "1", 0, 1, NULL),
	INT(webhook, failures, "0", 0, INT64_MAX, NULL),
	INT(webhook, failing_since, "0", 0, INT64_MAX, NULL),
};


static void obj_free(void *obj, const struct store_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		if (t->fields[i].type == SF_STR)
			mem_deref(*(char **)((char *)obj + t->fields[i].off));
	}
}


static void business_destructor(void *arg)
{
	obj_free(arg, &store_businesses);
}


static void agent_destructor(void *arg)
{
	obj_free(arg, &store_agents);
}


static void rule_destructor(void *arg)
{
	obj_free(arg, &store_rules);
}


static void webhook_destructor(void *arg)
{
	obj_free(arg, &store_webhooks);
}


#define TABLE(sym, sqlname, st, fv, dh) \
	const struct store_table sym = { \
		sqlname, fv, sizeof(fv) / sizeof(fv[0]), \
		sizeof(struct st), dh \
	}

TABLE(store_businesses, "businesses", business, business_fieldv,
      business_destructor);
TABLE(store_agents, "agents", agent, agent_fieldv, agent_destructor);
TABLE(store_rules, "rules", rule, rule_fieldv, rule_destructor);
TABLE(store_webhooks, "webhooks", webhook, webhook_fieldv,
      webhook_destructor);


const struct store_field *store_field_find(const struct store_table *t,
					   const char *name)
{
	size_t i;

	if (!t || !name)
		return NULL;

	for (i = 0; i < t->n; i++) {
		if (!strcmp(t->fields[i].name, name))
			return &t->fields[i];
	}

	return NULL;
}


const char *store_obj_str(const void *obj, const struct store_field *f)
{
	const char *v;

	if (f->type == SF_ENUM) {
		int e = *(const int *)((const char *)obj + f->off);

		return e >= 0 && (size_t)e < f->names->n &&
		       f->names->v[e] ? f->names->v[e] : "";
	}

	v = *(char *const *)((const char *)obj + f->off);

	return v ? v : "";
}


int64_t store_obj_int(const void *obj, const struct store_field *f)
{
	return *(const int64_t *)((const char *)obj + f->off);
}


static int field_set(void *obj, const struct store_field *f, const char *val)
{
	char *p = (char *)obj + f->off;

	if (f->type == SF_STR) {
		char *d = NULL;
		int err = str_dup(&d, val ? val : "");

		if (err)
			return err;
		mem_deref(*(char **)p);
		*(char **)p = d;
		return 0;
	}
	else if (f->type == SF_ENUM) {
		return store_name_parse(f->names, val ? val : "", (int *)p);
	}
	else {
		char *end = NULL;
		long long v;

		if (!val || !*val)
			return EINVAL;
		errno = 0;
		v = strtoll(val, &end, 10);
		if (errno || *end)
			return EINVAL;
		if (v < f->min || v > f->max)
			return ERANGE;
		*(int64_t *)p = v;
		return 0;
	}
}


int store_obj_set(void *obj, const struct store_table *t, const char *name,
		  const char *val)
{
	const struct store_field *f = store_field_find(t, name);

	if (!obj || !f)
		return ENOENT;

	return field_set(obj, f, val);
}


int store_obj_alloc(void **objp, const struct store_table *t)
{
	void *obj;
	size_t i;
	int err = 0;

	if (!objp || !t)
		return EINVAL;

	obj = mem_zalloc(t->size, t->dh);
	if (!obj)
		return ENOMEM;

	for (i = 0; i < t->n && !err; i++)
		err = field_set(obj, &t->fields[i], t->fields[i].def);

	if (err)
		mem_deref(obj);
	else
		*objp = obj;

	return err;
}


int store_obj_dup(void **objp, const struct store_table *t, const void *src)
{
	void *obj;
	size_t i;
	int err = 0;

	if (!objp || !t || !src)
		return EINVAL;

	obj = mem_zalloc(t->size, t->dh);
	if (!obj)
		return ENOMEM;

	for (i = 0; i < t->n && !err; i++) {
		const struct store_field *f = &t->fields[i];

		if (f->type != SF_INT)
			err = field_set(obj, f, store_obj_str(src, f));
		else
			*(int64_t *)((char *)obj + f->off) =
				store_obj_int(src, f);
	}

	if (err)
		mem_deref(obj);
	else
		*objp = obj;

	return err;
}


int business_alloc(struct business **bp)
{
	return store_obj_alloc((void **)bp, &store_businesses);
}


int business_dup(struct business **bp, const struct business *src)
{
	return store_obj_dup((void **)bp, &store_businesses, src);
}


int agent_alloc(struct agent **ap)
{
	return store_obj_alloc((void **)ap, &store_agents);
}


int rule_alloc(struct rule **rp)
{
	return store_obj_alloc((void **)rp, &store_rules);
}
