/*
 * What the acd's files share, and what the unit tests reach: the routing
 * decisions (route.c) as pure functions.
 */
#ifndef BECKON_ACD_INT_H
#define BECKON_ACD_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct agent;
struct rule;

enum {
	ROUTE_DEFAULT_HANDLE_S = 180,   /* before any call was handled */
};

/* what routing looks at in a callback */
struct route_req {
	const char *business;
	const char *page_url;
	const char *page_title;
	const char *agent_key;
	const char *last_agent;   /* who last spoke with this phone */
	int64_t waited_s;         /* since the customer first asked */
	int64_t widen_after_s;    /* the business's widen_after */
	const char *assigned;     /* a supervisor's "agent:ID" or team */
};

/* what a callback needs of an agent (strings borrowed) */
struct route_need {
	const char *skills;       /* all of these; NULL: any */
	const char *agent_id;     /* only this agent; NULL: any */
	int64_t priority;
	const char *rule_id;      /* the rule that matched, or NULL */
	bool strict;              /* a supervisor's assignment: never
				     widened to any agent */
};

bool route_url_match(const char *pattern, const char *url);
bool route_title_match(const char *words, const char *title);
bool route_serves(const struct agent *a, const char *business);

/* Could agent a take the request, were they available? (serving the
 * business, and the skills or the agent asked for unless widened) */
bool route_fits(const struct agent *a, const struct route_req *rq,
		const struct route_need *need, bool widened);

/* Is the request widened to any agent of the business by now? */
bool route_widened(const struct route_req *rq,
		   const struct route_need *need);

/* the first matching rule of rq's business (by position), or NULL */
const struct rule *route_rule(const struct route_req *rq,
			      struct rule *const *rules, size_t nrules);
void route_needs(struct route_need *need, const struct route_req *rq,
		 const struct rule *rule);

/* the agent to offer the callback to now, or NULL */
const struct agent *route_choose(const struct route_req *rq,
				 const struct route_need *need,
				 struct agent *const *agents, size_t nagents,
				 bool *widenedp);

/*
 * Estimated seconds until the callback at position is called: -1 when
 * no agent is working (unknown), 0 when an agent is free for it now.
 */
int64_t route_eta_s(int64_t position, unsigned agents_working,
		    unsigned agents_available, int64_t handle_s);

/*
 * rank.c: an order-statistic tree (a treap with subtree sizes) of nodes
 * embedded in their owners. cmp orders two nodes (keys unique);
 * rank_before counts the nodes for which probe says "before" (< 0),
 * which must be a prefix of cmp's order. O(log n) expected each.
 */
struct rank_node {
	struct rank_node *l, *r;
	uint32_t prio;
	uint32_t size;             /* of the subtree; 0: not in a tree */
};

typedef int (rank_cmp_h)(const struct rank_node *a,
			 const struct rank_node *b);
typedef int (rank_probe_h)(const struct rank_node *n, const void *arg);

struct rank_tree {
	struct rank_node *root;
	rank_cmp_h *cmp;
	uint32_t seed;
};

void rank_insert(struct rank_tree *t, struct rank_node *x);
void rank_remove(struct rank_tree *t, struct rank_node *x);
uint32_t rank_before(const struct rank_tree *t, rank_probe_h *probe,
		     const void *arg);
uint32_t rank_count(const struct rank_tree *t);

#endif
