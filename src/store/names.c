/*
 * The name tables of the enums records and callbacks hold (store.h): one
 * table each, indexed by the enum, so a name is written once and the
 * conversion is the same at every edge (store, JSON, config).
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "store"
#include "store/store.h"
#include "util/util.h"

#define NAMES(sym, v) \
	const struct store_names sym = {v, sizeof(v) / sizeof(v[0])}


int store_name_parse(const struct store_names *t, const char *name,
		     int *ep)
{
	size_t i;

	if (!t || !name || !ep)
		return EINVAL;

	for (i = 0; i < t->n; i++) {
		if (t->v[i] && !strcmp(t->v[i], name)) {
			*ep = (int)i;
			return 0;
		}
	}

	return EINVAL;
}


static const char *name_of(const struct store_names *t, int e)
{
	return e >= 0 && (size_t)e < t->n && t->v[e] ? t->v[e] : "unknown";
}


/* Several tables may meet a bad name; each says so once (then the log
 * would repeat it at every read of the same row). */
static const struct store_names *said[8];


int store_name_read(const struct store_names *t, const char *name,
		    int *ep, const char *what)
{
	size_t i;
	int err = store_name_parse(t, name, ep);

	if (!err || !t || !ep)
		return err;

	for (i = 0; i < sizeof(said) / sizeof(said[0]); i++) {
		if (said[i] == t)
			break;
		if (said[i])
			continue;
		said[i] = t;
		log_error("unknown %s \"%s\" in the store (a newer "
			  "version's?): taken as \"%s\"", what,
			  name ? name : "", name_of(t, *ep));
		break;
	}

	return EBADMSG;
}


int store_names_list(char *buf, size_t sz, const struct store_names *t)
{
	size_t i;
	int n = 0;

	if (!buf || !sz || !t)
		return EINVAL;

	buf[0] = '\0';
	for (i = 0; i < t->n && n >= 0; i++) {
		const char *sep = !*buf ? "" : i + 1 < t->n ? ", " : " or ";

		if (!t->v[i])
			continue;

		n = re_snprintf(buf + strlen(buf), sz - strlen(buf), "%s%s",
				sep, t->v[i]);
	}

	return n < 0 ? ENOMEM : 0;
}


static const char *const agent_role_v[] = {
	[ROLE_AGENT] = "agent",
	[ROLE_SUPERVISOR] = "supervisor",
	[ROLE_ADMIN] = "admin",
};
NAMES(agent_role_names, agent_role_v);


const char *agent_role_name(enum agent_role r)
{
	return name_of(&agent_role_names, (int)r);
}


int agent_role_parse(const char *name, enum agent_role *rp)
{
	int e, err = store_name_parse(&agent_role_names, name, &e);

	if (!err && rp)
		*rp = (enum agent_role)e;

	return err;
}


static const char *const dial_mode_v[] = {
	[DIAL_CUSTOMER_FIRST] = "customer_first",
	[DIAL_AGENT_FIRST] = "agent_first",
};
NAMES(dial_mode_names, dial_mode_v);


const char *dial_mode_name(enum dial_mode m)
{
	return name_of(&dial_mode_names, (int)m);
}


int dial_mode_parse(const char *name, enum dial_mode *mp)
{
	int e, err = store_name_parse(&dial_mode_names, name, &e);

	if (!err && mp)
		*mp = (enum dial_mode)e;

	return err;
}


static const char *const agent_state_v[] = {
	[AGENT_OFFLINE] = "offline",
	[AGENT_AVAILABLE] = "available",
	[AGENT_AWAY] = "away",
	[AGENT_OFFERED] = "offered",
	[AGENT_ON_CALL] = "on_call",
	[AGENT_WRAP_UP] = "wrap_up",
};
NAMES(agent_state_names, agent_state_v);


const char *agent_state_name(enum agent_state s)
{
	return name_of(&agent_state_names, (int)s);
}


int agent_state_parse(const char *name, enum agent_state *sp)
{
	int e, err = store_name_parse(&agent_state_names, name, &e);

	if (!err && sp)
		*sp = (enum agent_state)e;

	return err;
}


static const char *const callback_status_v[] = {
	[CBS_ANY] = NULL,
	[CBS_SCHEDULED] = "scheduled",
	[CBS_QUEUED] = "queued",
	[CBS_DIALING] = "dialing",
	[CBS_ON_HOLD] = "on_hold",
	[CBS_CONNECTED] = "connected",
	[CBS_COMPLETED] = "completed",
	[CBS_FAILED] = "failed",
	[CBS_ABANDONED] = "abandoned",
	[CBS_CANCELED] = "canceled",
	[CBS_INTERRUPTED] = "interrupted",
};
NAMES(callback_status_names, callback_status_v);


const char *callback_status_name(enum callback_status s)
{
	return name_of(&callback_status_names, (int)s);
}


bool callback_status_waiting(enum callback_status s)
{
	return s == CBS_QUEUED || s == CBS_SCHEDULED;
}


int callback_status_parse(const char *name, enum callback_status *sp)
{
	int e, err = store_name_parse(&callback_status_names, name, &e);

	if (!err && sp)
		*sp = (enum callback_status)e;

	return err;
}
