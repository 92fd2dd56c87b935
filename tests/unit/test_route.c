/*
 * Routing decisions, table-driven: which rule matches which request, which
 * agent is chosen among which, widening, and the ETA.
 */
#include <re.h>
#include "util/util.h"
#include "store/store.h"
#include "acd/acd_int.h"
#include "test.h"


static struct agent *mk_agent(const char *id, const char *state,
			      const char *biz, const char *skills,
			      const char *idle)
{
	struct agent *a = NULL;

	if (agent_alloc(&a))
		return NULL;
	store_obj_set(a, &store_agents, "id", id);
	store_obj_set(a, &store_agents, "state", state);
	store_obj_set(a, &store_agents, "businesses", biz);
	store_obj_set(a, &store_agents, "skills", skills);
	store_obj_set(a, &store_agents, "idle_since", idle);

	return a;
}


static struct rule *mk_rule(const char *id, const char *biz, const char *pos,
			    const char *url, const char *title,
			    const char *key, const char *skills,
			    const char *agent)
{
	struct rule *r = NULL;

	if (rule_alloc(&r))
		return NULL;
	store_obj_set(r, &store_rules, "id", id);
	store_obj_set(r, &store_rules, "business", biz);
	store_obj_set(r, &store_rules, "position", pos);
	store_obj_set(r, &store_rules, "match_url", url);
	store_obj_set(r, &store_rules, "match_title", title);
	store_obj_set(r, &store_rules, "match_agent", key);
	store_obj_set(r, &store_rules, "skills", skills);
	store_obj_set(r, &store_rules, "agent_id", agent);

	return r;
}


TEST(route_url_and_title)
{
	static const struct {
		const char *pat, *url;
		bool match;
	} u[] = {
		{"", "https://a.example/x", true},
		{"https://a.example/billing", "https://a.example/billing/q",
		 true},
		{"https://a.example/billing", "https://a.example/bill", false},
		{"https://a.example/billing", "http://a.example/billing",
		 false},
		{"https://*.example/billing*", "https://w.example/billing?x",
		 true},
		{"https://*.example/billing*", "https://w.example/pricing",
		 false},
		{"*/pricing", "https://a.example/pricing", true},
		{"*/pricing", "https://a.example/pricing/x", false},
		{"https://a.example/*", NULL, false},
	};
	static const struct {
		const char *words, *title;
		bool match;
	} t[] = {
		{"", "Anything", true},
		{"pricing plans", "Our Pricing", true},
		{"pricing plans", "Compare PLANS now", true},
		{"pricing", "Pricingtable", false},
		{"plan", "Our plans", false},
		{"billing", "Billing, invoices", true},
		{"billing", NULL, false},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(u); i++) {
		if (route_url_match(u[i].pat, u[i].url) != u[i].match) {
			fprintf(stderr, "  url %s vs %s\n", u[i].pat,
				u[i].url ? u[i].url : "(null)");
			return EINVAL;
		}
	}
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		if (route_title_match(t[i].words, t[i].title) != t[i].match) {
			fprintf(stderr, "  title %s vs %s\n", t[i].words,
				t[i].title ? t[i].title : "(null)");
			return EINVAL;
		}
	}

	return 0;
}


TEST(route_rules_and_choice)
{
	struct rule *rules[4];
	struct agent *agents[5];
	struct route_req rq;
	struct route_need need;
	const struct rule *r;
	const struct agent *a;
	bool widened;
	size_t i;
	int err = 0;

	rules[0] = mk_rule("billing", "acme", "10",
			   "https://acme.example/billing", "", "", "billing",
			   "");
	rules[1] = mk_rule("vip", "acme", "5", "", "", "vip", "", "carol");
	rules[2] = mk_rule("plans", "acme", "20", "", "pricing plans", "",
			   "sales", "");
	rules[3] = mk_rule("other", "zeta", "1", "", "", "", "x", "");
	agents[0] = mk_agent("alice", "available", "acme", "billing sales",
			     "3000");
	agents[1] = mk_agent("bob", "available", "acme", "sales", "1000");
	agents[2] = mk_agent("carol", "away", "acme", "billing", "500");
	agents[3] = mk_agent("dave", "available", "zeta acme", "billing",
			     "2000");
	agents[4] = mk_agent("erin", "available", "zeta", "billing sales",
			     "100");
	for (i = 0; i < 4; i++)
		TEST_ASSERT(rules[i]);
	for (i = 0; i < 5; i++)
		TEST_ASSERT(agents[i]);

	memset(&rq, 0, sizeof(rq));
	rq.business = "acme";
	rq.widen_after_s = 120;

	/* page URL → billing skill → longest idle of alice and dave: dave */
	rq.page_url = "https://acme.example/billing/invoice?id=3";
	r = route_rule(&rq, rules, 4);
	TEST_ASSERT(r);
	TEST_EQ_STR(r->id, "billing");
	route_needs(&need, &rq, r);
	a = route_choose(&rq, &need, agents, 5, &widened);
	TEST_ASSERT(a);
	TEST_EQ_STR(a->id, "dave");
	TEST_ASSERT(!widened);

	/* the last agent of this number wins over the longest idle */
	rq.last_agent = "alice";
	a = route_choose(&rq, &need, agents, 5, NULL);
	TEST_EQ_STR(a->id, "alice");

	/* ... but only if eligible (bob lacks billing) */
	rq.last_agent = "bob";
	a = route_choose(&rq, &need, agents, 5, NULL);
	TEST_EQ_STR(a->id, "dave");
	rq.last_agent = NULL;

	/* the lowest position wins when several rules match */
	rq.agent_key = "vip";
	r = route_rule(&rq, rules, 4);
	TEST_EQ_STR(r->id, "vip");
	route_needs(&need, &rq, r);
	TEST_EQ_STR(need.agent_id, "carol");
	/* carol is away: nobody until widening, then the longest idle */
	TEST_ASSERT(route_choose(&rq, &need, agents, 5, &widened) == NULL);
	TEST_ASSERT(!widened);
	rq.waited_s = 120;
	a = route_choose(&rq, &need, agents, 5, &widened);
	TEST_ASSERT(widened);
	TEST_EQ_STR(a->id, "bob");
	rq.waited_s = 0;
	rq.agent_key = NULL;

	/* title words → sales: bob (1000) idles longer than alice */
	rq.page_url = "https://acme.example/";
	rq.page_title = "Pricing | Acme";
	r = route_rule(&rq, rules, 4);
	TEST_EQ_STR(r->id, "plans");
	route_needs(&need, &rq, r);
	a = route_choose(&rq, &need, agents, 5, NULL);
	TEST_EQ_STR(a->id, "bob");

	/* no rule: an "agent:" key names the agent; another key is a team */
	rq.page_title = "Home";
	rq.agent_key = "agent:alice";
	r = route_rule(&rq, rules, 4);
	TEST_ASSERT(r == NULL);
	route_needs(&need, &rq, NULL);
	TEST_EQ_STR(need.agent_id, "alice");
	TEST_EQ_STR(route_choose(&rq, &need, agents, 5, NULL)->id, "alice");
	rq.agent_key = "billing";
	route_needs(&need, &rq, NULL);
	TEST_EQ_STR(need.skills, "billing");
	TEST_EQ_STR(route_choose(&rq, &need, agents, 5, NULL)->id, "dave");

	/* a supervisor's assignment wins over the rule (keeping its
	 * priority) and is never widened: carol, away, even after 120 s */
	rq.page_url = "https://acme.example/billing/x";
	rq.agent_key = "vip";
	rq.assigned = "agent:carol";
	rq.waited_s = 600;
	r = route_rule(&rq, rules, 4);
	TEST_EQ_STR(r->id, "vip");
	route_needs(&need, &rq, r);
	TEST_EQ_STR(need.agent_id, "carol");
	TEST_ASSERT(need.strict);
	TEST_ASSERT(route_choose(&rq, &need, agents, 5, &widened) == NULL);
	TEST_ASSERT(!widened);
	TEST_ASSERT(route_fits(agents[2], &rq, &need, false));
	TEST_ASSERT(!route_fits(agents[0], &rq, &need, false));
	/* a team: its skill, not the rule's agent */
	rq.assigned = "sales";
	route_needs(&need, &rq, r);
	TEST_ASSERT(need.agent_id == NULL);
	TEST_EQ_STR(need.skills, "sales");
	TEST_EQ_STR(route_choose(&rq, &need, agents, 5, NULL)->id, "bob");
	rq.assigned = NULL;
	rq.waited_s = 0;
	rq.page_url = "https://acme.example/";

	/* nothing asked: any available agent of the business, never one
	 * of another business (erin idles longest but serves zeta only) */
	rq.agent_key = NULL;
	route_needs(&need, &rq, NULL);
	TEST_EQ_STR(route_choose(&rq, &need, agents, 5, NULL)->id, "bob");

	/* another business's rules never apply */
	rq.business = "zeta";
	r = route_rule(&rq, rules, 4);
	TEST_EQ_STR(r->id, "other");
	rq.business = "nobody";
	TEST_ASSERT(route_rule(&rq, rules, 4) == NULL);
	route_needs(&need, &rq, NULL);
	TEST_ASSERT(route_choose(&rq, &need, agents, 5, NULL) == NULL);

	for (i = 0; i < 4; i++)
		mem_deref(rules[i]);
	for (i = 0; i < 5; i++)
		mem_deref(agents[i]);

	return err;
}


TEST(route_eta)
{
	static const struct {
		int64_t pos;
		unsigned working, avail;
		int64_t handle, eta;
	} v[] = {
		{0, 3, 1, 100, 0},       /* not queued */
		{1, 0, 0, 100, -1},      /* nobody working: unknown */
		{1, 2, 1, 100, 0},       /* a free agent takes it now */
		{2, 2, 2, 100, 0},
		{3, 2, 2, 100, 100},     /* one round behind two agents */
		{1, 2, 0, 100, 50},      /* all busy: half a handle time */
		{5, 2, 0, 100, 250},
		{4, 1, 0, 0, 3 * 180 + 90},  /* default handle time */
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		int64_t eta = route_eta_s(v[i].pos, v[i].working, v[i].avail,
					  v[i].handle);

		if (eta != v[i].eta) {
			fprintf(stderr, "  case %zu: eta %lld, expected %lld\n",
				i, (long long)eta, (long long)v[i].eta);
			return EINVAL;
		}
	}

	return 0;
}
