/*
 * The enums' name tables (store/names.c): every value's name parses back
 * to it, through its own functions and through a record's field; an
 * unknown name is refused; one read from the store falls back.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>
#include <re.h>
#include "store/store.h"
#include "test.h"


/* every value of t round trips through name(e) and parse; names are
 * distinct and none empty */
static int round_trip(const struct store_names *t,
		      const char *(*name)(int e), int (*parse)(const char *,
							       int *))
{
	size_t i;

	TEST_ASSERT(t->n > 1);
	for (i = 0; i < t->n; i++) {
		int e = -1;

		TEST_ASSERT(t->v[i] && *t->v[i]);
		TEST_EQ_STR(name((int)i), t->v[i]);
		TEST_EQ_INT(parse(t->v[i], &e), 0);
		TEST_EQ_INT(e, i);
		TEST_EQ_INT(store_name_parse(t, t->v[i], &e), 0);
		TEST_EQ_INT(e, i);
	}
	for (i = 0; i + 1 < t->n; i++) {
		size_t j;

		for (j = i + 1; j < t->n; j++)
			TEST_ASSERT(strcmp(t->v[i], t->v[j]));
	}

	return 0;
}


/* unknown names: refused, the enum left alone */
static int unknown(const struct store_names *t,
		   int (*parse)(const char *, int *))
{
	static const char *const bad[] = {"", "unknown", "Agent", " agent",
					  "queued ", "x"};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		int e = 12345;

		TEST_EQ_INT(parse(bad[i], &e), EINVAL);
		TEST_EQ_INT(e, 12345);
	}
	TEST_EQ_INT(parse(NULL, &(int){0}), EINVAL);
	TEST_EQ_INT(store_name_parse(t, "nope", &(int){0}), EINVAL);

	return 0;
}


static const char *role_name(int e)
{
	return agent_role_name((enum agent_role)e);
}


static int role_parse(const char *s, int *ep)
{
	enum agent_role r = (enum agent_role)*ep;
	int err = agent_role_parse(s, &r);

	*ep = (int)r;
	return err;
}


TEST(names_agent_role)
{
	int err = round_trip(&agent_role_names, role_name, role_parse);

	if (!err)
		err = unknown(&agent_role_names, role_parse);
	TEST_EQ_STR(agent_role_name(ROLE_ADMIN), "admin");
	TEST_EQ_STR(agent_role_name((enum agent_role)99), "unknown");

	return err;
}


TEST(names_list)
{
	char buf[64];

	TEST_EQ_INT(store_names_list(buf, sizeof(buf), &agent_role_names),
		    0);
	TEST_EQ_STR(buf, "agent, supervisor or admin");

	return 0;
}


/* a record's enum field: set and read by name, an unknown name refused
 * and the value kept; an unknown name from the store is the default */
TEST(names_record_field)
{
	struct agent *a = NULL;
	const struct store_field *f;
	int e = ROLE_ADMIN, err;

	TEST_EQ_INT(agent_alloc(&a), 0);
	f = store_field_find(&store_agents, "role");
	TEST_ASSERT(f && f->type == SF_ENUM);
	TEST_EQ_INT(a->role, ROLE_AGENT);
	TEST_EQ_INT(store_obj_set(a, &store_agents, "role", "supervisor"),
		    0);
	TEST_EQ_INT(a->role, ROLE_SUPERVISOR);
	TEST_EQ_STR(store_obj_str(a, f), "supervisor");
	TEST_EQ_INT(store_obj_set(a, &store_agents, "role", "root"), EINVAL);
	TEST_EQ_INT(a->role, ROLE_SUPERVISOR);

	err = store_name_read(&agent_role_names, "root", &e, "role");
	mem_deref(a);
	TEST_EQ_INT(err, EBADMSG);
	TEST_EQ_INT(e, ROLE_ADMIN);
	TEST_EQ_INT(store_name_read(&agent_role_names, "agent", &e, "role"),
		    0);
	TEST_EQ_INT(e, ROLE_AGENT);

	return 0;
}


static const char *mode_name(int e)
{
	return dial_mode_name((enum dial_mode)e);
}


static int mode_parse(const char *s, int *ep)
{
	enum dial_mode m = (enum dial_mode)*ep;
	int err = dial_mode_parse(s, &m);

	*ep = (int)m;
	return err;
}


TEST(names_dial_mode)
{
	char buf[64];
	int err = round_trip(&dial_mode_names, mode_name, mode_parse);

	if (!err)
		err = unknown(&dial_mode_names, mode_parse);
	TEST_EQ_STR(dial_mode_name(DIAL_AGENT_FIRST), "agent_first");
	TEST_EQ_INT(store_names_list(buf, sizeof(buf), &dial_mode_names),
		    0);
	TEST_EQ_STR(buf, "customer_first or agent_first");

	return err;
}


static const char *state_name(int e)
{
	return agent_state_name((enum agent_state)e);
}


static int state_parse(const char *s, int *ep)
{
	enum agent_state st = (enum agent_state)*ep;
	int err = agent_state_parse(s, &st);

	*ep = (int)st;
	return err;
}


TEST(names_agent_state)
{
	int err = round_trip(&agent_state_names, state_name, state_parse);

	if (!err)
		err = unknown(&agent_state_names, state_parse);
	TEST_EQ_INT(agent_state_names.n, 6);
	TEST_EQ_STR(agent_state_name(AGENT_WRAP_UP), "wrap_up");
	TEST_EQ_STR(agent_state_name(AGENT_OFFLINE), "offline");

	return err;
}


static const char *status_name(int e)
{
	return callback_status_name((enum callback_status)e);
}


static int status_parse(const char *s, int *ep)
{
	enum callback_status st = (enum callback_status)*ep;
	int err = callback_status_parse(s, &st);

	*ep = (int)st;
	return err;
}


/* CBS_ANY, zero, has no name: every other value round trips */
TEST(names_callback_status)
{
	const struct store_names *t = &callback_status_names;
	char buf[160];
	size_t i;
	int e = CBS_QUEUED, err;

	TEST_ASSERT(!t->v[CBS_ANY]);
	TEST_EQ_STR(callback_status_name(CBS_ANY), "unknown");
	for (i = 1; i < t->n; i++) {
		e = -1;
		TEST_EQ_STR(status_name((int)i), t->v[i]);
		TEST_EQ_INT(status_parse(t->v[i], &e), 0);
		TEST_EQ_INT(e, i);
	}
	TEST_EQ_INT(t->n, CBS_INTERRUPTED + 1);
	err = unknown(t, status_parse);
	TEST_EQ_INT(store_names_list(buf, sizeof(buf), t), 0);
	TEST_EQ_STR(buf, "scheduled, queued, dialing, on_hold, connected, "
		    "completed, failed, abandoned, canceled or interrupted");

	e = CBS_QUEUED;
	TEST_EQ_INT(store_name_read(t, "offered", &e, "callback status"),
		    EBADMSG);
	TEST_EQ_INT(e, CBS_QUEUED);

	return err;
}


struct got {
	int err;
	bool found;
	int e;                    /* the field's enum, as read */
};


static void put_h(int err, void *arg)
{
	((struct got *)arg)->err = err;
}


static void agent_got(int err, const void *obj, void *arg)
{
	struct got *g = arg;

	g->err = err;
	g->found = obj != NULL;
	if (obj)
		g->e = ((const struct agent *)obj)->state;
}


static void biz_got(int err, const void *obj, void *arg)
{
	struct got *g = arg;

	g->err = err;
	g->found = obj != NULL;
	if (obj)
		g->e = ((const struct business *)obj)->dial_mode;
}


static void cb_got(int err, const struct callback *cb, void *arg)
{
	struct got *g = arg;

	g->err = err;
	g->found = cb != NULL;
	if (cb)
		g->e = cb->status;
}


static int sql(const char *path, const char *text)
{
	sqlite3 *db = NULL;
	int err = sqlite3_open(path, &db) == SQLITE_OK &&
		  sqlite3_exec(db, text, NULL, NULL, NULL) == SQLITE_OK ?
		  0 : EIO;

	sqlite3_close(db);
	return err;
}


/* names the store holds that this version does not know (a newer
 * version wrote them, or a person): the record still reads, the field
 * at its default; known ones read as their enum */
TEST(names_unknown_in_the_store)
{
	char dir[] = "/tmp/beckon-names-XXXXXX", url[256], path[256];
	struct store *st = NULL;
	struct agent *a = NULL;
	struct business *b = NULL;
	struct got p1 = {-1, 0, 0}, p2 = {-1, 0, 0}, g1 = {-1, 0, 0};
	struct got g2 = {-1, 0, 0}, g3 = {-1, 0, 0}, g4 = {-1, 0, 0};
	struct got g5 = {-1, 0, 0};
	int err = 0;

	TEST_ASSERT(mkdtemp(dir) != NULL);
	re_snprintf(path, sizeof(path), "%s/t.db", dir);
	re_snprintf(url, sizeof(url), "sqlite:%s", path);
	TEST_EQ_INT(store_open(&st, url, 100), 0);
	err |= agent_alloc(&a) || business_alloc(&b);
	err |= store_obj_set(a, &store_agents, "id", "alice");
	err |= store_obj_set(a, &store_agents, "login", "alice");
	err |= store_obj_set(a, &store_agents, "state", "away");
	err |= store_obj_set(b, &store_businesses, "id", "acme");
	err |= store_obj_set(b, &store_businesses, "dial_mode",
			     "agent_first");
	if (!err)
		err = store_put(st, &store_agents, a, false, put_h, &p1) ||
		      store_put(st, &store_businesses, b, false, put_h, &p2);
	store_flush(st);
	if (!err)
		err = store_get(st, &store_agents, "id", "alice", agent_got,
				&g1) ||
		      store_get(st, &store_businesses, "id", "acme", biz_got,
				&g2);
	store_flush(st);
	if (!err)
		err = sql(path, "UPDATE agents SET state = 'lunch';"
			  "UPDATE businesses SET dial_mode = 'robot_first';"
			  "INSERT INTO callbacks (id, business_id, phone,"
			  " status, open, created_at, updated_at) VALUES"
			  " ('cb_x', 'acme', '+33123456789', 'offered', 1,"
			  " 1, 1);");
	if (!err)
		err = store_get(st, &store_agents, "id", "alice", agent_got,
				&g3) ||
		      store_get(st, &store_businesses, "id", "acme", biz_got,
				&g4) ||
		      store_callback_get(st, "cb_x", false, cb_got, &g5);
	store_flush(st);
	mem_deref(st);
	mem_deref(a);
	mem_deref(b);
	unlink(path);
	re_snprintf(url, sizeof(url), "%s-wal", path);
	unlink(url);
	re_snprintf(url, sizeof(url), "%s-shm", path);
	unlink(url);
	rmdir(dir);

	TEST_EQ_INT(err, 0);
	TEST_EQ_INT(p1.err, 0);
	TEST_EQ_INT(p2.err, 0);
	TEST_ASSERT(g1.found && g2.found && g3.found && g4.found);
	TEST_EQ_INT(g1.e, AGENT_AWAY);
	TEST_EQ_INT(g2.e, DIAL_AGENT_FIRST);
	TEST_EQ_INT(g3.err, 0);
	TEST_EQ_INT(g3.e, AGENT_OFFLINE);
	TEST_EQ_INT(g4.err, 0);
	TEST_EQ_INT(g4.e, DIAL_CUSTOMER_FIRST);
	TEST_EQ_INT(g5.err, 0);
	TEST_ASSERT(g5.found);
	TEST_EQ_INT(g5.e, CBS_ANY);
	TEST_EQ_STR(callback_status_name(g5.e), "unknown");

	return 0;
}
