/*
 * The API's validators: pure functions over bytes, so the unit tests can
 * hit every rule without a server. Each says yes or no; the messages are
 * written by the caller, and never echo what the visitor sent.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include "util/util.h"
#include "store/store.h"
#include "phone/phone.h"
#include "tz/tz.h"
#include "hours/hours.h"
#include "dialer/dialer.h"
#include "acd/acd.h"
#include "api/api_int.h"


/*
 * Does origin ("scheme://host[:port]") match pattern? A pattern is an
 * origin where the port may be "*" (any port, or none) and the host may
 * start with "*." (any subdomain, not the bare domain). Comparison is
 * case-insensitive for scheme and host, as origins are.
 */
bool api_origin_match(const char *pattern, const char *origin)
{
	const char *ps, *os, *pport, *oport, *phost, *ohost;
	size_t phlen, ohlen;

	if (!pattern || !origin)
		return false;

	ps = strstr(pattern, "://");
	os = strstr(origin, "://");
	if (!ps || !os || ps - pattern != os - origin ||
	    strncasecmp(pattern, origin, (size_t)(ps - pattern)))
		return false;

	phost = ps + 3;
	ohost = os + 3;

	/* the port starts at the last ':' after the host (no IPv6 here) */
	pport = strrchr(phost, ':');
	oport = strrchr(ohost, ':');
	if (pport && strchr(pport, ']'))
		pport = NULL;
	if (oport && strchr(oport, ']'))
		oport = NULL;

	phlen = pport ? (size_t)(pport - phost) : strlen(phost);
	ohlen = oport ? (size_t)(oport - ohost) : strlen(ohost);

	if (phlen >= 2 && phost[0] == '*' && phost[1] == '.') {
		size_t sfx = phlen - 1;   /* ".example.com" */

		if (ohlen <= sfx ||
		    strncasecmp(ohost + ohlen - sfx, phost + 1, sfx))
			return false;
	}
	else if (phlen != ohlen || strncasecmp(phost, ohost, phlen)) {
		return false;
	}

	if (pport && !strcmp(pport, ":*")) {
		const char *p;

		if (!oport)
			return true;
		if (!oport[1])
			return false;
		for (p = oport + 1; *p; p++)
			if (!isdigit((unsigned char)*p))
				return false;
		return true;
	}

	if (!pport || !oport)
		return !pport && !oport;

	return !strcmp(pport, oport);
}


bool api_origin_in_list(const char *list, const char *origin)
{
	char pat[API_MAX_ORIGIN];
	const char *item;
	size_t n;

	if (!origin)
		return false;

	while (str_list_next(&list, &item, &n)) {
		if (n >= sizeof(pat))
			continue;
		memcpy(pat, item, n);
		pat[n] = '\0';
		if (api_origin_match(pat, origin))
			return true;
	}

	return false;
}


bool api_key_in_list(const char *list, const char *key, size_t len)
{
	const char *item;
	size_t n;

	if (!key || !len)
		return false;

	while (str_list_next(&list, &item, &n)) {
		if (n == len && !memcmp(item, key, len))
			return true;
	}

	return false;
}


/*
 * An absolute http or https URL with a host, no whitespace or control
 * characters, at most API_MAX_URL bytes, valid UTF-8. Returns 0,
 * EMSGSIZE (too long) or EINVAL.
 */
int api_check_url(const char *s, size_t len)
{
	size_t i, start;

	if (len > API_MAX_URL)
		return EMSGSIZE;

	if (len > 7 && !strncasecmp(s, "http://", 7))
		start = 7;
	else if (len > 8 && !strncasecmp(s, "https://", 8))
		start = 8;
	else
		return EINVAL;

	/* a host must follow: not empty, not starting with / ? # */
	if (start >= len || strchr("/?#@:", s[start]))
		return EINVAL;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c == 0x7f)
			return EINVAL;
	}

	return utf8_valid_text(s, len, false) ? 0 : EINVAL;
}


/* "cb_", 12 hex digits and 22 base64url characters: what api_new_id makes */
bool api_id_valid(const char *s, size_t len)
{
	size_t i;

	if (len != API_ID_LEN || strncmp(s, "cb_", 3))
		return false;

	for (i = 3; i < 15; i++) {
		if (!isdigit((unsigned char)s[i]) &&
		    (s[i] < 'a' || s[i] > 'f'))
			return false;
	}

	for (; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_')
			return false;
	}

	return true;
}


bool api_idem_key_valid(const char *s, size_t len)
{
	size_t i;

	if (!len || len > API_MAX_IDEM_KEY)
		return false;

	for (i = 0; i < len; i++) {
		if (s[i] < 0x21 || s[i] > 0x7e)
			return false;
	}

	return true;
}


/*
 * "asap" (0) or an RFC 3339 time not in the past (a minute of clock skew
 * is forgiven: it becomes "now") and at most max_ahead_ms ahead.
 */
int api_parse_when(int64_t *msp, const char *s, size_t len, int64_t now,
		   int64_t max_ahead_ms, const char **whyp)
{
	int64_t t;

	if (!len || (len == 4 && !strncasecmp(s, "asap", 4))) {
		*msp = 0;
		return 0;
	}

	if (time_parse_rfc3339(&t, s, len)) {
		*whyp = "when must be \"asap\" or an RFC 3339 date-time "
			"with a time zone, e.g. 2026-12-01T15:30:00-05:00";
		return EINVAL;
	}

	if (t < now - 60000) {
		*whyp = "when is in the past";
		return ERANGE;
	}

	if (t > now + max_ahead_ms) {
		*whyp = "when is too far ahead";
		return ERANGE;
	}

	*msp = t <= now ? 0 : t;

	return 0;
}


/*
 * "cb_", the creation time in ms as 12 hex digits, then 128 random bits as
 * 22 base64url characters. The random part makes an id unguessable; the
 * time part makes ids created together sort together, so the store's
 * indexes on ids grow at their end instead of dirtying a random page per
 * insert (which is what bounds group commit: every dirty page is written
 * to the WAL at each commit).
 */
int api_new_id(char *buf, size_t sz, int64_t now)
{
	char tok[32];
	int err;

	if (sz < API_ID_LEN + 1)
		return EINVAL;

	err = token_random(tok, sizeof(tok), 16);
	if (err)
		return err;

	re_snprintf(buf, sz, "cb_%012llx%s",
		    (unsigned long long)now & 0xffffffffffffULL, tok);

	return 0;
}


/* A grouping or decimal mark at s (its length in *lenp), or 0. */
static char amount_mark(const char *s, size_t *lenp)
{
	*lenp = 1;
	if (*s == ',' || *s == '.' || *s == ' ' || *s == '\'')
		return *s;
	*lenp = 2;
	if (!strncmp(s, "\xc2\xa0", 2))           /* no-break space */
		return ' ';
	*lenp = 3;
	if (!strncmp(s, "\xe2\x80\xaf", 3))       /* narrow no-break */
		return ' ';

	return 0;
}


/*
 * An amount as people write it, in cents: "1499", "1,499.00", "1499.5",
 * "1.499,00", "1 499,00" (a space, a no-break or a narrow no-break
 * space), "1'499.00". A last "." or "," followed by one or two digits is
 * the decimal mark; the other marks group thousands: all the same, not
 * the decimal mark, groups of three after a first of one to three
 * digits. A mark followed by three digits groups: "1,499" and "1.499"
 * are 1499 (no currency's amounts are typed here with three decimals).
 * At most 12 digits before the decimals; spaces around are ignored.
 */
bool api_parse_amount(const char *s, int64_t *centsp)
{
	enum { RUNS = 8 };
	size_t run[RUNS], nr = 0, len = 0, ml, ng, nw = 0, fd = 0, i;
	char mark[RUNS], dec = 0, digits[32];
	size_t nd = 0;
	int64_t whole = 0, frac = 0;

	while (*s == ' ')
		s++;
	while (*s) {
		char m;

		if (*s >= '0' && *s <= '9') {
			if (nd >= sizeof(digits))
				return false;
			digits[nd++] = *s++;
			len++;
			continue;
		}
		m = amount_mark(s, &ml);
		if (m == ' ' && !s[strspn(s, " ")])
			break;             /* trailing spaces */
		if (!m || !len || nr >= RUNS - 1)
			return false;      /* other, leading or doubled */
		run[nr] = len;
		mark[nr++] = m;
		len = 0;
		s += ml;
	}
	if (!len)
		return false;              /* empty, or a trailing mark */
	run[nr++] = len;

	ng = nr;
	if (nr > 1 && run[nr - 1] <= 2 && (mark[nr - 2] == '.' ||
					    mark[nr - 2] == ',')) {
		dec = mark[nr - 2];
		fd = run[nr - 1];
		ng = nr - 1;
	}
	for (i = 1; i < ng; i++) {
		if (mark[i - 1] != mark[0] || mark[0] == dec || run[i] != 3)
			return false;
	}
	if (ng > 1 && run[0] > 3)
		return false;
	for (i = 0; i < ng; i++)
		nw += run[i];
	if (nw > 12)
		return false;

	for (i = 0; i < nw; i++)
		whole = whole * 10 + (digits[i] - '0');
	for (; i < nd; i++)
		frac = frac * 10 + (digits[i] - '0');
	*centsp = whole * 100 + (fd == 1 ? frac * 10 : frac);

	return true;
}


static int bad(const char **fieldp, const char *field, char *msg, size_t sz,
	       const char *text)
{
	*fieldp = field;
	str_bcpy(msg, text, sz);

	return EINVAL;
}


/* The widget's settings reach every visitor's page: a colour is only
 * ever #rgb or #rrggbb, the label plain text of a button's length. */
static int check_widget(const struct business *b, const char **fieldp,
			char *msg, size_t sz)
{
	static const char *const positions[] = {
		"bottom-right", "bottom-left", "top-right", "top-left",
	};
	size_t i, n = strlen(b->widget_color);
	size_t nl = strlen(b->widget_label);

	if (nl > API_MAX_WIDGET_LABEL ||
	    !utf8_valid_text(b->widget_label, nl, false))
		return bad(fieldp, "widget_label", msg, sz,
			   "plain text, 60 bytes at most");

	if (n) {
		bool ok = b->widget_color[0] == '#' && (n == 4 || n == 7);

		for (i = 1; ok && i < n; i++)
			ok = isxdigit((unsigned char)b->widget_color[i]);
		if (!ok)
			return bad(fieldp, "widget_color", msg, sz,
				   "#rgb or #rrggbb, e.g. #0b57d0");
	}

	for (i = 0; i < ARRAY_SIZE(positions); i++)
		if (!strcmp(b->widget_position, positions[i]))
			break;
	if (i == ARRAY_SIZE(positions))
		return bad(fieldp, "widget_position", msg, sz,
			   "bottom-right, bottom-left, top-right or "
			   "top-left");

	if (*b->widget_language && strcmp(b->widget_language, "en") &&
	    strcmp(b->widget_language, "fr"))
		return bad(fieldp, "widget_language", msg, sz,
			   "en, fr, or empty for the page's language");

	if (!dialer_language_valid(b->language))
		return bad(fieldp, "language", msg, sz, "en or fr");

	if (b->announce_every && b->announce_every < DIALER_ANNOUNCE_MIN)
		return bad(fieldp, "announce_every", msg, sz,
			   "0 (once) or 10 to 3600 seconds");

	if (b->human_check && b->human_check < DIALER_HUMAN_CHECK_MIN)
		return bad(fieldp, "human_check", msg, sz,
			   "0 (no check) or 3 to 60 seconds");
	if (b->human_check && b->dial_mode == DIAL_AGENT_FIRST)
		return bad(fieldp, "human_check", msg, sz,
			   "customer_first only (in agent_first the agent "
			   "hears who answers)");

	return 0;
}


int api_business_check(const struct api *api, const struct business *b,
		       const char **fieldp, char *msg, size_t sz)
{
	struct tz_zone *zone = NULL;
	struct hours *h = NULL;
	char buf[256];
	const char *p, *item;
	size_t n;

	if (!b || !fieldp || !msg)
		return EINVAL;

	p = b->id;
	if (!p || !*p || strlen(p) > 64)
		return bad(fieldp, "id", msg, sz, "1 to 64 characters");
	for (; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return bad(fieldp, "id", msg, sz, "letters, digits, "
				   "- and _ only");
	}

	p = b->timezone;
	if (!p || !*p || strstr(p, "..") || p[0] == '/' ||
	    strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		   "0123456789/_-+") != strlen(p))
		return bad(fieldp, "timezone", msg, sz,
			   "not an IANA time zone name");
	if (!api || tz_get(bizdir_tz(api->dir), p, &zone))
		return bad(fieldp, "timezone", msg, sz, "unknown time zone "
			   "(is tzdata installed?)");

	if (hours_parse(&h, b->hours, b->closed, buf, sizeof(buf))) {
		/* the parser says which of the two and why */
		return bad(fieldp, strstr(buf, "closed") ? "closed" : "hours",
			   msg, sz, buf);
	}
	mem_deref(h);

	re_snprintf(buf, sizeof(buf), "%lld", (long long)b->country);
	if (phone_policy_validate(buf, NULL))
		return bad(fieldp, "country", msg, sz,
			   "not a calling code");

	if (phone_policy_validate(b->allowed_countries, NULL))
		return bad(fieldp, "allowed_countries", msg, sz,
			   "expected calling codes, e.g. \"1 44\"");

	if (b->deny_prefixes && strcmp(b->deny_prefixes, "none") &&
	    phone_policy_validate(NULL, b->deny_prefixes))
		return bad(fieldp, "deny_prefixes", msg, sz,
			   "expected E.164 prefixes, e.g. \"+1900 +44909\"");

	p = b->origins;
	while (str_list_next(&p, &item, &n)) {
		if (n >= API_MAX_ORIGIN ||
		    !((n > 7 && !strncmp(item, "http://", 7)) ||
		      (n > 8 && !strncmp(item, "https://", 8))))
			return bad(fieldp, "origins", msg, sz,
				   "each origin must be http:// or https://");
	}

	p = b->agent_keys;
	while (str_list_next(&p, &item, &n)) {
		if (n > API_MAX_AGENT_KEY)
			return bad(fieldp, "agent_keys", msg, sz,
				   "keys are at most 64 bytes");
	}

	p = b->retry_delays;
	n = 0;
	while (str_list_next(&p, &item, &n)) {
		size_t i;

		for (i = 0; i < n; i++)
			if (!isdigit((unsigned char)item[i]))
				break;
		if (i < n || n > 6)
			return bad(fieldp, "retry_delays", msg, sz,
				   "seconds, e.g. \"120 600\"");
	}

	if (*b->caller_id) {
		char e164[PHONE_E164_SIZE];
		enum phone_err why;

		if (b->caller_id[0] != '+' ||
		    phone_normalize(e164, sizeof(e164), b->caller_id,
				    strlen(b->caller_id), 1, &why) ||
		    strcmp(e164, b->caller_id))
			return bad(fieldp, "caller_id", msg, sz,
				   "an E.164 number, e.g. +14155550100");
	}

	if (strcmp(b->voice_in_browser, "off") &&
	    strcmp(b->voice_in_browser, "offered") &&
	    strcmp(b->voice_in_browser, "only"))
		return bad(fieldp, "voice_in_browser", msg, sz,
			   "off, offered or only");

	/* a countdown shorter than a glance and a click is a trap */
	if (b->accept_timeout && b->accept_timeout < 5)
		return bad(fieldp, "accept_timeout", msg, sz,
			   "0 (off) or 5 to 300 seconds");

	return check_widget(b, fieldp, msg, sz);
}


/* Agents and rules, checked whole (after a merge). */

static int check_agent(const struct api *api, const struct agent *a,
		       const char **fieldp, char *msg, size_t sz)
{
	const char *p, *item;
	size_t n;

	if (!*a->login) {
		*fieldp = "login";
		str_bcpy(msg, "a login is required", sz);
		return EINVAL;
	}

	if (!*a->password_hash) {
		*fieldp = "password";
		str_bcpy(msg, "a new agent needs a password", sz);
		return EINVAL;
	}

	/* an endpoint is a SIP URI, an E.164 number, "registered" (the
	 * agent's softphone registers to beckon) or "desk" (the desk page
	 * is the phone, through rtpengine) */
	p = a->endpoint;
	if (*p && strcmp(p, "registered") && strcmp(p, ACD_ENDPOINT_DESK) &&
	    strncmp(p, "sip:", 4)) {
		char e164[PHONE_E164_SIZE];
		enum phone_err why;

		if (p[0] != '+' || phone_normalize(e164, sizeof(e164), p,
						   strlen(p), 1, &why)) {
			*fieldp = "endpoint";
			str_bcpy(msg, "a sip: URI, an E.164 number, "
				 "\"registered\" or \"desk\"", sz);
			return EINVAL;
		}
	}

	if (!strcmp(a->endpoint, "registered") && strlen(a->sip_password) < 8) {
		*fieldp = "sip_password";
		str_bcpy(msg, "a phone that registers needs a sip_password "
			 "of 8 characters or more", sz);
		return EINVAL;
	}

	p = a->businesses;
	while (str_list_next(&p, &item, &n)) {
		if (!api_biz_find(api, item, n)) {
			*fieldp = "businesses";
			str_bcpy(msg, "names a business that does not exist",
				 sz);
			return EINVAL;
		}
	}

	return 0;
}


static int check_rule(const struct api *api, const struct rule *r,
		      const char **fieldp, char *msg, size_t sz)
{

	if (!api_biz_find(api, r->business, strlen(r->business))) {
		*fieldp = "business";
		str_bcpy(msg, "no such business", sz);
		return EINVAL;
	}

	if (*r->match_url && api_check_url(r->match_url,
					   strlen(r->match_url))) {
		*fieldp = "match_url";
		str_bcpy(msg, "an http(s) URL prefix, * for any characters",
			 sz);
		return EINVAL;
	}

	return 0;
}


int api_record_check(const struct api *api, const struct store_table *t,
		     const void *obj, const char **fieldp, char *msg,
		     size_t sz)
{
	if (t == &store_businesses)
		return api_business_check(api, obj, fieldp, msg, sz);
	if (t == &store_agents)
		return check_agent(api, obj, fieldp, msg, sz);
	if (t == &store_rules)
		return check_rule(api, obj, fieldp, msg, sz);

	return 0;
}
