/*
 * dialer: the parts that need no peer. E.164 checks, the trunk URI
 * template, reason mapping, the JSON of events, the checks of originate
 * and offer_agent, and the agent table. Calls with real peers are in
 * tests/integration/dialer_*.sh.
 */
#include <stdlib.h>
#include <re.h>
#include "cfg/cfg.h"
#include "dialer/dialer.h"
#include "dialer/dialer_int.h"
#include "test.h"


TEST(dialer_e164)
{
	TEST_ASSERT(dialer_e164_valid("+14155550100"));
	TEST_ASSERT(dialer_e164_valid("+12345678"));           /* 8 */
	TEST_ASSERT(dialer_e164_valid("+123456789012345"));    /* 15 */
	TEST_ASSERT(!dialer_e164_valid("+1234567"));
	TEST_ASSERT(!dialer_e164_valid("+1234567890123456"));
	TEST_ASSERT(!dialer_e164_valid("14155550100"));
	TEST_ASSERT(!dialer_e164_valid("+04155550100"));
	TEST_ASSERT(!dialer_e164_valid("+1415555010a"));
	TEST_ASSERT(!dialer_e164_valid("+1 415 555 0100"));
	TEST_ASSERT(!dialer_e164_valid(""));
	TEST_ASSERT(!dialer_e164_valid(NULL));

	return 0;
}


TEST(dialer_reason_from_sip)
{
	TEST_EQ_STR(dialer_reason_name(dialer_reason_from_sip(486)), "busy");
	TEST_EQ_STR(dialer_reason_name(dialer_reason_from_sip(600)), "busy");
	TEST_EQ_STR(dialer_reason_name(dialer_reason_from_sip(603)),
		    "declined");
	TEST_EQ_STR(dialer_reason_name(dialer_reason_from_sip(480)),
		    "no_answer");
	TEST_EQ_STR(dialer_reason_name(dialer_reason_from_sip(408)),
		    "no_answer");
	TEST_EQ_STR(dialer_reason_name(dialer_reason_from_sip(488)),
		    "incompatible");
	TEST_EQ_STR(dialer_reason_name(dialer_reason_from_sip(404)),
		    "unreachable");
	TEST_EQ_STR(dialer_reason_name(dialer_reason_from_sip(503)),
		    "unreachable");
	TEST_EQ_STR(dialer_reason_name(dialer_reason_from_sip(487)),
		    "canceled");
	TEST_EQ_STR(dialer_reason_name(dialer_reason_from_sip(403)),
		    "rejected");

	return 0;
}


TEST(dialer_event_json)
{
	struct dialer_event ev;
	char buf[512];

	memset(&ev, 0, sizeof(ev));
	ev.type = DIALER_EV_ENDED;
	ev.id = "c\"1";
	ev.leg = DIALER_LEG_CUSTOMER;
	ev.reason = DIALER_R_CUSTOMER_HANGUP;
	ev.sip = 200;
	ev.t = 1700000000123LL;
	(void)re_snprintf(buf, sizeof(buf), "%H", dialer_event_print, &ev);
	TEST_EQ_STR(buf, "{\"event\":\"ended\",\"id\":\"c\\\"1\","
		    "\"leg\":\"customer\",\"reason\":\"customer_hangup\","
		    "\"sip\":200,\"t\":1700000000123}");

	/* an end says when the customer answered and when bridged */
	ev.answered_t = 1700000000001LL;
	ev.bridged_t = 1700000000002LL;
	(void)re_snprintf(buf, sizeof(buf), "%H", dialer_event_print, &ev);
	TEST_EQ_STR(buf, "{\"event\":\"ended\",\"id\":\"c\\\"1\","
		    "\"leg\":\"customer\",\"reason\":\"customer_hangup\","
		    "\"sip\":200,\"answered_t\":1700000000001,"
		    "\"bridged_t\":1700000000002,\"t\":1700000000123}");

	memset(&ev, 0, sizeof(ev));
	ev.type = DIALER_EV_RINGING;
	ev.id = "c1";
	ev.leg = DIALER_LEG_AGENT;
	ev.agent = "alice";
	ev.early_media = true;
	ev.t = 5;
	(void)re_snprintf(buf, sizeof(buf), "%H", dialer_event_print, &ev);
	TEST_EQ_STR(buf, "{\"event\":\"ringing\",\"id\":\"c1\","
		    "\"leg\":\"agent\",\"agent\":\"alice\","
		    "\"early_media\":true,\"t\":5}");

	memset(&ev, 0, sizeof(ev));
	ev.type = DIALER_EV_BRIDGED;
	ev.id = "x\n";
	ev.t = 7;
	(void)re_snprintf(buf, sizeof(buf), "%H", dialer_event_print, &ev);
	TEST_EQ_STR(buf, "{\"event\":\"bridged\",\"id\":\"x\\n\",\"t\":7}");

	return 0;
}


/* Every error code has a name that parses back to it; an unknown name
 * (a newer dialer's) is UNKNOWN, never a code of ours. */
TEST(dialer_err_names)
{
	int i;

	for (i = DIALER_E_UNKNOWN + 1; i < DIALER_E_COUNT; i++) {
		const char *n = dialer_err_name((enum dialer_err)i);

		TEST_ASSERT(strcmp(n, "?"));
		TEST_EQ_INT(dialer_err_parse(n), i);
	}
	TEST_EQ_STR(dialer_err_name(DIALER_E_STALE), "stale");
	TEST_EQ_INT(dialer_err_parse("?"), DIALER_E_UNKNOWN);
	TEST_EQ_INT(dialer_err_parse("Stale"), DIALER_E_UNKNOWN);
	TEST_EQ_INT(dialer_err_parse(""), DIALER_E_UNKNOWN);
	TEST_EQ_INT(dialer_err_parse(NULL), DIALER_E_UNKNOWN);
	TEST_EQ_STR(dialer_err_name(DIALER_E_COUNT), "?");

	return 0;
}


/*
 * docs/call-control.md's "Errors" table is where the codes are written
 * for people: each code of the table once, in its order, and nothing
 * else ("| `code` | meaning |" rows up to the next heading).
 */
TEST(dialer_err_doc)
{
	const char *src = getenv("BECKON_SRC");
	char path[512], line[1024];
	bool in = false;
	int next = DIALER_E_UNKNOWN + 1;
	FILE *f;

	(void)re_snprintf(path, sizeof(path), "%s/docs/call-control.md",
			  src && *src ? src : ".");
	f = fopen(path, "r");
	TEST_ASSERT(f);

	while (fgets(line, sizeof(line), f)) {
		char *end;

		if (!strncmp(line, "## ", 3)) {
			in = !strcmp(line, "## Errors\n");
			continue;
		}
		if (!in || strncmp(line, "| `", 3))
			continue;
		end = strchr(line + 3, '`');
		if (!end)
			continue;
		*end = '\0';
		if (next >= DIALER_E_COUNT ||
		    strcmp(line + 3, dialer_err_name((enum dialer_err)next))) {
			fprintf(stderr, "  docs/call-control.md, Errors: `%s`, "
				"expected %s\n", line + 3,
				next < DIALER_E_COUNT ? dialer_err_name(
					(enum dialer_err)next) : "no more");
			fclose(f);
			return EINVAL;
		}
		++next;
	}
	fclose(f);
	TEST_EQ_INT(next, DIALER_E_COUNT);

	return 0;
}


/* A dialer on loopback with random ports and no control listener. */
static int dialer_make(struct dialer **dp, struct cfg **cfgp)
{
	const char *src = getenv("BECKON_SRC");
	char dir[512];
	struct cfg *cfg;
	int err;

	(void)re_snprintf(dir, sizeof(dir), "%s/share/prompts",
			  src && *src ? src : ".");

	err = cfg_alloc(&cfg);
	if (err)
		return err;

	err |= cfg_set(cfg, "sip_listen", "127.0.0.1:0");
	err |= cfg_set(cfg, "control_listen", "");
	err |= cfg_set(cfg, "rtp_ports", "41000-41999");
	err |= cfg_set(cfg, "trunk_uri", "sip:${digits}@trunk.test;user=phone");
	err |= cfg_set(cfg, "trunk_proxy", "sip:127.0.0.1:9;lr");
	err |= cfg_set(cfg, "prompt_dir", dir);
	if (!err)
		err = dialer_alloc(dp, cfg);
	if (err)
		mem_deref(cfg);
	else
		*cfgp = cfg;

	return err;
}


TEST(dialer_trunk_template)
{
	struct dialer *d = NULL;
	struct cfg *cfg = NULL;
	char uri[128];
	int err;

	err = dialer_make(&d, &cfg);
	TEST_EQ_INT(err, 0);

	err = dialer_trunk_uri(d, uri, sizeof(uri), "+14155550100");
	TEST_EQ_INT(err, 0);
	TEST_EQ_STR(uri, "sip:14155550100@trunk.test;user=phone");
	TEST_EQ_INT(dialer_trunk_uri(d, uri, sizeof(uri), "4155550100"),
		    EINVAL);
	TEST_EQ_INT(dialer_trunk_uri(d, uri, 10, "+14155550100"),
		    ENAMETOOLONG);
	/* ";lr" is libre's to add */
	TEST_EQ_STR(d->trunk_route, "sip:127.0.0.1:9");

	mem_deref(d);
	mem_deref(cfg);

	return 0;
}


TEST(dialer_call_check_fields)
{
	struct dialer_call_params p;
	struct dialer *d = NULL;
	struct cfg *cfg = NULL;
	const char *field = NULL;
	int err;

	err = dialer_make(&d, &cfg);
	TEST_EQ_INT(err, 0);

	memset(&p, 0, sizeof(p));
	p.id = "c1";
	p.customer = "+14155550100";
	p.agent = "sip:alice@127.0.0.1:5070";
	TEST_EQ_INT(dialer_call_check(d, &p, &field), 0);
	TEST_ASSERT(field == NULL);

#define BAD(what, f) \
	do { \
		struct dialer_call_params q = p; \
		what; \
		TEST_EQ_INT(dialer_call_check(d, &q, &field), EINVAL); \
		TEST_EQ_STR(field, f); \
	} while (0)

	BAD(q.id = "", "id");
	BAD(q.id = "a/b", "id");
	BAD(q.id = "x123456789x123456789x123456789x123456789x123456789"
	    "x123456789x1234", "id");
	BAD(q.customer = "4155550100", "customer");
	BAD(q.customer = NULL, "customer");
	BAD(q.agent = "sip:alice@host?Route=evil", "agent");
	BAD(q.agent = "sip:", "agent");
	BAD(q.agent = "bob", "agent");                /* unknown id */
	BAD(q.agent = "+1", "agent");
	BAD(q.agent = NULL; q.mode = DIALER_AGENT_FIRST, "agent");
	BAD(q.caller_id = "12", "caller_id");
	BAD(q.customer_ring = 601, "customer_ring");
	BAD(q.max_hold = 7201, "max_hold");
	BAD(q.prompt = "../etc/passwd", "prompt");
	BAD(q.prompt = "nosuchprompt", "prompt");
	BAD(q.whisper = "nosuch", "whisper");
	BAD(q.language = "de", "language");
	BAD(q.greeting = "../acme", "greeting");
	BAD(q.greeting = ".acme", "greeting");
	BAD(q.announce_every = 9, "announce_every");
	BAD(q.announce_every = 3601, "announce_every");
	BAD(q.position = -1, "position");
	BAD(q.eta = -2, "position");
	BAD(q.human_check = DIALER_HUMAN_CHECK_MIN - 1, "human_check");
	BAD(q.human_check = DIALER_HUMAN_CHECK_MAX + 1, "human_check");
	BAD(q.human_check = 10; q.mode = DIALER_AGENT_FIRST, "human_check");
#undef BAD

	/* the guard's prompt is composed from the voice's sounds */
	p.human_check = 10;
	TEST_EQ_INT(dialer_call_check(d, &p, &field), 0);
	p.language = "fr";
	TEST_EQ_INT(dialer_call_check(d, &p, &field), 0);
	p.human_check = 0;
	p.language = NULL;

	/* an agent id becomes valid once the dialer knows it */
	TEST_EQ_INT(dialer_agent_set(d, "bob", "pw", NULL), 0);
	p.agent = "bob";
	TEST_EQ_INT(dialer_call_check(d, &p, &field), 0);
	p.agent = "+442071838750";
	TEST_EQ_INT(dialer_call_check(d, &p, &field), 0);
	p.agent = NULL;
	TEST_EQ_INT(dialer_call_check(d, &p, &field), 0);

	mem_deref(d);
	mem_deref(cfg);

	return 0;
}


static void count_handler(const struct dialer_event *ev, void *arg)
{
	unsigned *n = arg;

	(void)ev;
	++*n;
}


TEST(dialer_originate_and_hangup_without_peers)
{
	struct dialer_call_params p;
	struct dialer_status st;
	struct dialer *d = NULL;
	struct cfg *cfg = NULL;
	unsigned n = 0;
	int err;

	err = dialer_make(&d, &cfg);
	TEST_EQ_INT(err, 0);

	memset(&p, 0, sizeof(p));
	p.id = "c1";
	p.customer = "+14155550100";

	err = dialer_originate(d, &p, count_handler, &n);
	TEST_EQ_INT(err, 0);
	TEST_EQ_INT(dialer_originate(d, &p, count_handler, &n), EEXIST);
	TEST_EQ_INT(dialer_call_count(d), 1);
	/* no event before the caller had its answer */
	TEST_EQ_INT(n, 0);

	err = dialer_status(d, "c1", &st);
	TEST_EQ_INT(err, 0);
	TEST_EQ_STR(st.state, "calling");
	TEST_EQ_INT(dialer_status(d, "c2", &st), ENOENT);

	/* not holding yet: no agent can be offered */
	TEST_EQ_INT(dialer_offer_agent(d, "c1", "sip:a@127.0.0.1", 0),
		    EBUSY);
	TEST_EQ_INT(dialer_offer_agent(d, "c2", "sip:a@127.0.0.1", 0),
		    ENOENT);
	TEST_EQ_INT(dialer_offer_agent(d, "c1", "nobody", 0), EINVAL);

	/* hang up before the first leg started: one ended event */
	TEST_EQ_INT(dialer_hangup(d, "c1"), 0);
	TEST_EQ_INT(n, 1);
	TEST_EQ_INT(dialer_hangup(d, "c1"), ENOENT);
	TEST_EQ_INT(dialer_call_count(d), 0);

	/* the id is free again at once */
	err = dialer_originate(d, &p, NULL, NULL);
	TEST_EQ_INT(err, 0);

	/* freeing the dialer ends what is left */
	mem_deref(d);
	mem_deref(cfg);

	return 0;
}


TEST(dialer_agents)
{
	struct dialer *d = NULL;
	struct cfg *cfg = NULL;
	struct agent_target t;
	int err;

	err = dialer_make(&d, &cfg);
	TEST_EQ_INT(err, 0);

	TEST_EQ_INT(dialer_agent_set(d, "alice", "secret", NULL), 0);
	TEST_EQ_INT(dialer_agent_set(d, "desk", NULL,
				     "sip:200@10.0.0.5:5060"), 0);
	TEST_EQ_INT(dialer_agent_set(d, "bad id", "x", NULL), EINVAL);
	TEST_EQ_INT(dialer_agent_set(d, "x", "", NULL), EINVAL);
	TEST_EQ_INT(dialer_agent_set(d, "x", "pw", "tel:+1234"), EINVAL);

	/* no registration, no endpoint: nowhere to call */
	TEST_EQ_INT(agent_resolve(d, "alice", &t), ENODEV);
	TEST_ASSERT(dialer_agent_contact(d, "alice") == NULL);

	err = agent_resolve(d, "desk", &t);
	TEST_EQ_INT(err, 0);
	TEST_EQ_STR(t.uri, "sip:200@10.0.0.5:5060");
	TEST_ASSERT(!t.via_trunk);

	err = agent_resolve(d, "+14155550199", &t);
	TEST_EQ_INT(err, 0);
	TEST_EQ_STR(t.uri, "sip:14155550199@trunk.test;user=phone");
	TEST_ASSERT(t.via_trunk);

	TEST_EQ_INT(agent_resolve(d, "nobody", &t), ENOENT);
	TEST_EQ_INT(dialer_agent_del(d, "desk"), 0);
	TEST_EQ_INT(dialer_agent_del(d, "desk"), ENOENT);
	TEST_EQ_INT(agent_resolve(d, "desk", &t), ENOENT);

	mem_deref(d);
	mem_deref(cfg);

	return 0;
}


/* the call-control framing both ends share (line.c) */
TEST(dialer_line_codec)
{
	static const char in[] = "{\"cmd\":\"ping\"}\r\n\n  {\"a\":1}\t\n{\"b";
	const uint8_t *p = (const uint8_t *)in;
	size_t len = sizeof(in) - 1, used;
	struct odict *od = NULL;
	uint8_t *big;
	struct pl line;

	TEST_EQ_INT(dialer_line_next(p, len, &line, &used), 0);
	TEST_EQ_INT(used, 16);
	TEST_EQ_INT(pl_strcmp(&line, "{\"cmd\":\"ping\"}"), 0);
	TEST_EQ_INT(dialer_line_decode(&od, &line), 0);
	TEST_EQ_STR(odict_string(od, "cmd"), "ping");
	od = mem_deref(od);
	p += used;
	len -= used;

	/* an empty line, then one with blanks around its object */
	TEST_EQ_INT(dialer_line_next(p, len, &line, &used), 0);
	TEST_EQ_INT(line.l, 0);
	p += used;
	len -= used;
	TEST_EQ_INT(dialer_line_next(p, len, &line, &used), 0);
	TEST_EQ_INT(dialer_line_decode(&od, &line), 0);
	od = mem_deref(od);
	p += used;
	len -= used;

	/* unfinished: wait */
	TEST_EQ_INT(dialer_line_next(p, len, &line, &used), EAGAIN);

	/* not one object */
	pl_set_str(&line, "[1]");
	TEST_EQ_INT(dialer_line_decode(&od, &line), EBADMSG);
	pl_set_str(&line, "{\"a\":1} x");
	TEST_EQ_INT(dialer_line_decode(&od, &line), EBADMSG);
	pl_set_str(&line, "");
	TEST_EQ_INT(dialer_line_decode(&od, &line), EBADMSG);
	TEST_ASSERT(od == NULL);

	/* the bound: DIALER_LINE_MAX bytes pass, one more does not, with
	 * or without its end of line yet */
	big = mem_alloc(DIALER_LINE_MAX + 3, NULL);
	TEST_ASSERT(big != NULL);
	memset(big, ' ', DIALER_LINE_MAX + 3);
	big[DIALER_LINE_MAX] = '\r';
	big[DIALER_LINE_MAX + 1] = '\n';
	TEST_EQ_INT(dialer_line_next(big, DIALER_LINE_MAX + 2, &line, &used),
		    0);
	TEST_EQ_INT(line.l, DIALER_LINE_MAX);
	TEST_EQ_INT(dialer_line_next(big, DIALER_LINE_MAX, &line, &used),
		    EAGAIN);
	big[DIALER_LINE_MAX] = ' ';
	TEST_EQ_INT(dialer_line_next(big, DIALER_LINE_MAX + 1, &line, &used),
		    EMSGSIZE);
	big[DIALER_LINE_MAX + 1] = ' ';
	big[DIALER_LINE_MAX + 2] = '\n';
	TEST_EQ_INT(dialer_line_next(big, DIALER_LINE_MAX + 3, &line, &used),
		    EMSGSIZE);
	mem_deref(big);

	return 0;
}


/*
 * A controller that acts on a call from inside the call's own event: it
 * hangs up at the INVITE (the leg just sent, its INVITE on the stack of
 * the step that started it) and hangs up again at the end. The call must
 * end once, with each event once, and free itself later, not under the
 * handler (ASan sees any use after free).
 */
struct reentry {
	struct dialer *d;
	unsigned invite, leg_ended, ended, again;
	int hangup_err;
};


static void reentry_handler(const struct dialer_event *ev, void *arg)
{
	struct reentry *r = arg;

	switch (ev->type) {

	case DIALER_EV_INVITE:
		r->invite++;
		r->hangup_err = dialer_hangup(r->d, ev->id);
		break;

	case DIALER_EV_LEG_ENDED:
		r->leg_ended++;
		break;

	case DIALER_EV_ENDED:
		r->ended++;
		/* already ended: gone from the table */
		if (dialer_hangup(r->d, ev->id) == ENOENT)
			r->again++;
		re_cancel();
		break;

	default:
		break;
	}
}


static void reentry_stop(void *arg)
{
	(void)arg;
	re_cancel();
}


TEST(dialer_handler_ends_its_call)
{
	struct dialer_call_params p;
	struct reentry r;
	struct cfg *cfg = NULL;
	struct tmr tmr;
	int err;

	memset(&r, 0, sizeof(r));
	err = dialer_make(&r.d, &cfg);
	TEST_EQ_INT(err, 0);

	memset(&p, 0, sizeof(p));
	p.id = "re1";
	p.customer = "+14155550100";
	TEST_EQ_INT(dialer_originate(r.d, &p, reentry_handler, &r), 0);

	tmr_init(&tmr);
	tmr_start(&tmr, 2000, reentry_stop, NULL);
	re_main(NULL);
	tmr_cancel(&tmr);

	TEST_EQ_INT(r.invite, 1);
	TEST_EQ_INT(r.hangup_err, 0);
	TEST_EQ_INT(r.leg_ended, 1);
	TEST_EQ_INT(r.ended, 1);
	TEST_EQ_INT(r.again, 1);
	TEST_EQ_INT(dialer_call_count(r.d), 0);

	mem_deref(r.d);
	mem_deref(cfg);

	return 0;
}
