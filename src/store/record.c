/*
 * The record tables: every field of a business, an agent and a routing
 * rule, with its type, default and bounds. The names are at once the SQL
 * column, the config-file key and the admin API's JSON name.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "store/store.h"

#define STR(st, f, def) {#f, SF_STR, offsetof(struct st, f), def, 0, 0}
#define INT(st, f, def, lo, hi) \
	{#f, SF_INT, offsetof(struct st, f), def, lo, hi}

static const struct store_field business_fieldv[] = {
	STR(business, id, ""),
	STR(business, name, ""),
	STR(business, timezone, "UTC"),
	INT(business, country, "1", 1, 999),
	STR(business, origins, ""),
	STR(business, allowed_countries, ""),
	STR(business, deny_prefixes, ""),
	STR(business, agent_keys, ""),
	INT(business, limit_phone_15min, "-1", -1, 1000000),
	INT(business, limit_phone_day, "-1", -1, 1000000),
	INT(business, limit_ip_minute, "-1", -1, 1000000),
	STR(business, hours, "daily 00:00-24:00"),
	STR(business, closed, ""),
	STR(business, caller_id, ""),
	STR(business, dial_mode, "customer_first"),
	INT(business, accept_timeout, "0", 0, 300),
	INT(business, retry_attempts, "3", 1, 20),
	STR(business, retry_delays, "120 600"),
	INT(business, max_hold, "300", 10, 7200),
	INT(business, widen_after, "120", 0, 86400),
	INT(business, max_wait_now, "900", 0, 86400),
	INT(business, recording, "0", 0, 1),
	STR(business, prompt_hold, ""),
	STR(business, prompt_whisper, "whisper"),
	STR(business, prompt_goodbye, "goodbye"),
	STR(business, dispositions,
	    "sale follow_up not_interested wrong_number no_answer"),
	STR(business, widget_label, ""),
	STR(business, widget_color, ""),
	STR(business, widget_position, "bottom-right"),
	STR(business, widget_language, ""),
	STR(business, language, "en"),
	INT(business, announce_every, "60", 0, 3600),
	INT(business, human_check, "0", 0, 60),
	STR(business, voice_in_browser, "offered"),
	INT(business, sla_seconds, "60", 1, 86400),
};

static const struct store_field agent_fieldv[] = {
	STR(agent, id, ""),
	STR(agent, name, ""),
	STR(agent, login, ""),
	STR(agent, password_hash, ""),
	STR(agent, role, "agent"),
	STR(agent, businesses, ""),
	STR(agent, endpoint, ""),
	STR(agent, sip_password, ""),
	STR(agent, skills, ""),
	INT(agent, wrap_up, "30", 0, 3600),
	INT(agent, auto_answer, "0", 0, 1),
	STR(agent, state, "offline"),
	INT(agent, state_since, "0", 0, INT64_MAX),
	STR(agent, state_reason, ""),
	INT(agent, idle_since, "0", 0, INT64_MAX),
};

static const struct store_field rule_fieldv[] = {
	STR(rule, id, ""),
	STR(rule, business, ""),
	INT(rule, position, "100", 0, 1000000),
	STR(rule, match_url, ""),
	STR(rule, match_title, ""),
	STR(rule, match_agent, ""),
	STR(rule, skills, ""),
	INT(rule, priority, "0", -1000, 1000),
	STR(rule, agent_id, ""),
};


static const struct store_field webhook_fieldv[] = {
	STR(webhook, id, ""),
	STR(webhook, business, ""),
	STR(webhook, url, ""),
	STR(webhook, secret, ""),
	STR(webhook, events, ""),
	INT(webhook, enabled, "1", 0, 1),
	INT(webhook, failures, "0", 0, INT64_MAX),
	INT(webhook, failing_since, "0", 0, INT64_MAX),
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
	const char *v = *(char *const *)((const char *)obj + f->off);

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

		if (f->type == SF_STR)
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
