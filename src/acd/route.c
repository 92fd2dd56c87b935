/*
 * Routing decisions, as pure functions over the request, the business's
 * rules and its agents, so that a table of cases can test every one.
 *
 * 1. The first rule (by position) whose every non-empty match holds
 *    decides: required skills, a priority, or one named agent. Without a
 *    matching rule, the request's agent key decides: "agent:ID" names an
 *    agent, any other key is a required skill (a team).
 * 2. Eligible: available, serving the business, holding every required
 *    skill (or being the named agent). After the business's widen_after
 *    seconds of waiting, any available agent of the business will do.
 *    A supervisor's assignment ("agent:ID" or a team key) replaces the
 *    rule's or the key's choice (not its priority) and is never widened.
 * 3. Among the eligible: the agent who last spoke with this phone number
 *    first, then the one idle the longest.
 */
#include <ctype.h>
#include <string.h>
#include <re.h>
#include "util/util.h"
#include "store/store.h"
#include "acd/acd_int.h"


/* Does s match the glob p ('*' is any run of characters)? */
static bool glob_match(const char *p, const char *s)
{
	const char *star = NULL, *mark = NULL;

	while (*s) {
		if (*p == '*') {
			star = p++;
			mark = s;
		}
		else if (*p == *s) {
			p++;
			s++;
		}
		else if (star) {
			p = star + 1;
			s = ++mark;
		}
		else {
			return false;
		}
	}

	while (*p == '*')
		p++;

	return *p == '\0';
}


bool route_url_match(const char *pattern, const char *url)
{
	if (!pattern || !*pattern)
		return true;
	if (!url)
		return false;

	/* a pattern with no '*' is a prefix */
	if (!strchr(pattern, '*'))
		return !strncmp(url, pattern, strlen(pattern));

	return glob_match(pattern, url);
}


/* Is word (len bytes) a whole word of text, ignoring case? */
static bool has_word(const char *text, const char *word, size_t len)
{
	const char *p;

	for (p = text; *p; p++) {
		if (p != text && isalnum((unsigned char)p[-1]))
			continue;
		if (strncasecmp(p, word, len))
			continue;
		if (!isalnum((unsigned char)p[len]))
			return true;
	}

	return false;
}


bool route_title_match(const char *words, const char *title)
{
	const char *item;
	size_t n;

	if (!words || !*words)
		return true;
	if (!title)
		return false;

	while (str_list_next(&words, &item, &n)) {
		if (has_word(title, item, n))
			return true;
	}

	return false;
}


static bool list_has(const char *list, const char *word, size_t len)
{
	const char *item;
	size_t n;

	while (str_list_next(&list, &item, &n)) {
		if (n == len && !memcmp(item, word, len))
			return true;
	}

	return false;
}


/* every word of need is in have */
static bool list_covers(const char *have, const char *need)
{
	const char *item;
	size_t n;

	while (str_list_next(&need, &item, &n)) {
		if (!list_has(have, item, n))
			return false;
	}

	return true;
}


const struct rule *route_rule(const struct route_req *rq,
			      struct rule *const *rules, size_t nrules)
{
	const struct rule *best = NULL;
	size_t i;

	/* rules are few: a scan in position order, ties by id */
	for (i = 0; i < nrules; i++) {
		const struct rule *r = rules[i];

		if (strcmp(r->business, rq->business))
			continue;
		if (!route_url_match(r->match_url, rq->page_url))
			continue;
		if (!route_title_match(r->match_title, rq->page_title))
			continue;
		if (*r->match_agent && (!rq->agent_key ||
					strcmp(r->match_agent, rq->agent_key)))
			continue;

		if (!best || r->position < best->position ||
		    (r->position == best->position &&
		     strcmp(r->id, best->id) < 0))
			best = r;
	}

	return best;
}


void route_needs(struct route_need *need, const struct route_req *rq,
		 const struct rule *rule)
{
	memset(need, 0, sizeof(*need));

	if (rule) {
		need->skills = rule->skills;
		need->agent_id = *rule->agent_id ? rule->agent_id : NULL;
		need->priority = rule->priority;
		need->rule_id = rule->id;
	}
	else if (rq->agent_key && *rq->agent_key) {
		if (!strncmp(rq->agent_key, "agent:", 6))
			need->agent_id = rq->agent_key + 6;
		else
			need->skills = rq->agent_key;
	}

	if (rq->assigned && *rq->assigned) {
		need->strict = true;
		need->agent_id = NULL;
		need->skills = NULL;
		if (!strncmp(rq->assigned, "agent:", 6))
			need->agent_id = rq->assigned + 6;
		else
			need->skills = rq->assigned;
	}
}


bool route_serves(const struct agent *a, const char *business)
{
	return list_has(a->businesses, business, strlen(business));
}


bool route_fits(const struct agent *a, const struct route_req *rq,
		const struct route_need *need, bool widened)
{
	if (!route_serves(a, rq->business))
		return false;

	if (widened)
		return true;

	if (need->agent_id && strcmp(a->id, need->agent_id))
		return false;

	return !need->skills || list_covers(a->skills, need->skills);
}


bool route_widened(const struct route_req *rq,
		   const struct route_need *need)
{
	return !need->strict && rq->waited_s >= rq->widen_after_s;
}


static bool eligible(const struct agent *a, const struct route_req *rq,
		     const struct route_need *need, bool widened)
{
	return a->state == AGENT_AVAILABLE &&
	       route_fits(a, rq, need, widened);
}


const struct agent *route_choose(const struct route_req *rq,
				 const struct route_need *need,
				 struct agent *const *agents, size_t nagents,
				 bool *widenedp)
{
	const struct agent *best = NULL;
	bool widened = route_widened(rq, need);
	size_t i;

	for (i = 0; i < nagents; i++) {
		const struct agent *a = agents[i];

		if (!eligible(a, rq, need, widened))
			continue;

		/* the agent who spoke with this number last comes first */
		if (rq->last_agent && !strcmp(a->id, rq->last_agent)) {
			best = a;
			break;
		}

		if (!best || a->idle_since < best->idle_since ||
		    (a->idle_since == best->idle_since &&
		     strcmp(a->id, best->id) < 0))
			best = a;
	}

	if (widenedp)
		*widenedp = widened;

	return best;
}


int64_t route_eta_s(int64_t position, unsigned agents_working,
		    unsigned agents_available, int64_t handle_s)
{
	int64_t ahead;

	if (position <= 0)
		return 0;
	if (!agents_working)
		return -1;   /* nobody to call: unknown */

	if (handle_s <= 0)
		handle_s = ROUTE_DEFAULT_HANDLE_S;

	/*
	 * The callbacks ahead are shared among the working agents; each
	 * round takes one handle time. A free agent takes the first one at
	 * once; otherwise the first agent frees up on average half a
	 * handle time from now.
	 */
	ahead = position - 1;
	if (agents_available > 0 && ahead < (int64_t)agents_available)
		return 0;

	return (ahead / agents_working) * handle_s +
	       (agents_available ? 0 : handle_s / 2);
}
