/*
 * Public business settings, for the widget:
 *
 *   GET /v1/businesses/ID          name, calling code, the calling
 *                                  codes called, time zone, the team
 *                                  keys it publishes, opening hours,
 *                                  open now or when next, whether a
 *                                  phone line is there at all, and
 *                                  whether a call "now" can be served
 *   GET /v1/businesses/ID/slots    start times of "call me later" slots
 *                                  (?days=1..14, ?minutes=15..240)
 *
 * Nothing here is secret (no limits, no policy lists, no agent's name
 * or count: only whether someone can call now and the expected wait);
 * CORS follows the business's own origins like the rest of the public
 * API.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "api"
#include "util/util.h"
#include "httpd/httpd.h"
#include "store/store.h"
#include "form/form.h"
#include "hours/hours.h"
#include "acd/acd.h"
#include "api/api_int.h"

enum {
	SLOTS_MAX = 200,
	/* a call needs a little time before the closing, past its wait */
	CLOSING_MARGIN_MS = 5 * 60 * 1000,
};


static int time_json(struct mbuf *mb, int64_t ms)
{
	char t[40];

	time_fmt_rfc3339(t, sizeof(t), ms);

	return mbuf_printf(mb, "\"%s\"", t);
}


/* ?name=N within [lo, hi], else def */
static int64_t query_int(const struct httpd_req *req, const char *name,
			 int64_t def, int64_t lo, int64_t hi)
{
	const struct pl *q = httpd_req_query(req);
	char buf[256], key[40];
	const char *p;
	int64_t v;

	if (!q->l || q->l >= sizeof(buf))
		return def;
	pl_strcpy(q, buf, sizeof(buf));
	re_snprintf(key, sizeof(key), "%s=", name);

	for (p = buf; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
		if (!strncmp(p, key, strlen(key))) {
			v = strtoll(p + strlen(key), NULL, 10);
			return v < lo ? lo : v > hi ? hi : v;
		}
	}

	return def;
}


/* A JSON string, or null when empty. */
static int opt_str(struct mbuf *mb, const char *s)
{
	return *s ? form_json_str(mb, s) : mbuf_write_str(mb, "null");
}


/*
 * [1,44]: the calling codes the widget may offer, as phone_check() reads
 * allowed_countries (empty: the business's own country only).
 */
static int countries_json(struct mbuf *mb, const struct business *b)
{
	const char *p = b->allowed_countries, *item;
	size_t n, k = 0;
	int err = 0;

	err |= mbuf_write_str(mb, "[");
	while (str_list_next(&p, &item, &n)) {
		/* validated when set: known codes, maybe with a "+" */
		if (*item == '+') {
			++item;
			--n;
		}
		if (!n || n > 3 || strspn(item, "0123456789") < n)
			continue;
		err |= mbuf_printf(mb, "%s%b", k++ ? "," : "", item, n);
	}
	if (!k)
		err |= mbuf_printf(mb, "%lld", (long long)b->country);
	err |= mbuf_write_str(mb, "]");

	return err;
}


/*
 * "now": can a request made now be served? Not when closed, when nobody
 * is working (no agent logged in with a phone that can be called), when
 * the expected wait is over the business's max_wait_now, or when it
 * closes before then: the widget then offers times later, which the
 * visitor chooses (a "when"), instead of a silent wait. null without an
 * ACD in this process (unknown).
 */
static int now_json(struct mbuf *mb, struct api *api,
		    const struct biz *ab, bool open, int64_t now)
{
	const struct business *b = ab->b;
	const char *why = NULL;
	unsigned avail = 0;
	int64_t wait, close = 0;
	int err;

	if (!api->acd)
		return mbuf_write_str(mb, "null");

	wait = acd_wait_now_s(api->acd, b->id);
	acd_business_staff(api->acd, b->id, &avail, NULL);

	if (!open)
		why = "closed";
	else if (wait < 0)
		why = "no_agent";
	else if (b->max_wait_now > 0 && wait > b->max_wait_now)
		why = "wait";
	else if (ab->hours &&
		 !hours_next_close(ab->hours, ab->zone, now, &close) &&
		 close < now + wait * 1000 + CLOSING_MARGIN_MS)
		why = "closing";

	err = mbuf_printf(mb, "{\"ok\":%s,\"reason\":", why ? "false"
			  : "true");
	err |= why ? form_json_str(mb, why) : mbuf_write_str(mb, "null");
	err |= mbuf_printf(mb, ",\"agents_available\":%s,\"wait_s\":",
			   avail ? "true" : "false");
	err |= wait < 0 ? mbuf_write_str(mb, "null") :
		mbuf_printf(mb, "%lld", (long long)wait);
	err |= mbuf_printf(mb, ",\"max_wait_s\":%lld}",
			   (long long)b->max_wait_now);

	return err;
}


static void settings(struct api *api, struct httpd_req *req,
		     const struct biz *ab, const char *cors)
{
	const struct business *b = ab->b;
	struct mbuf *mb = mbuf_alloc(512);
	const char *p = b->agent_keys, *item;
	int64_t now = time_now_ms(), next = 0;
	size_t n, k = 0;
	bool open;
	int err;

	if (!mb) {
		api_reply_errno(req, ENOMEM, cors);
		return;
	}

	open = !ab->hours || hours_is_open(ab->hours, ab->zone, now);

	err = mbuf_write_str(mb, "{\"id\":");
	err |= form_json_str(mb, b->id);
	err |= mbuf_write_str(mb, ",\"name\":");
	err |= form_json_str(mb, b->name);
	err |= mbuf_printf(mb, ",\"country\":%lld,\"timezone\":",
			   (long long)b->country);
	err |= form_json_str(mb, b->timezone);
	err |= mbuf_write_str(mb, ",\"agent_keys\":[");
	while (str_list_next(&p, &item, &n)) {
		char key[API_MAX_AGENT_KEY + 1];

		re_snprintf(key, sizeof(key), "%b", item, n);
		err |= mbuf_write_str(mb, k++ ? "," : "");
		err |= form_json_str(mb, key);
	}
	err |= mbuf_write_str(mb, "],\"countries\":");
	err |= countries_json(mb, b);
	err |= mbuf_printf(mb, ",\"phone_line\":%s,\"webrtc\":%s,"
			   "\"voice_in_browser\":", api->no_line ? "false"
			   : "true", api_voice_available(api) ? "true"
			   : "false");
	err |= form_json_str(mb, api_voice_mode(api, b));
	err |= mbuf_write_str(mb, ",\"hours\":");
	err |= form_json_str(mb, b->hours);
	err |= mbuf_write_str(mb, ",\"closed\":");
	err |= form_json_str(mb, b->closed);
	err |= mbuf_printf(mb, ",\"open_now\":%s,\"next_open\":",
			   open ? "true" : "false");
	if (!open && ab->hours &&
	    !hours_next_open(ab->hours, ab->zone, now, &next))
		err |= time_json(mb, next);
	else
		err |= mbuf_write_str(mb, "null");
	err |= mbuf_write_str(mb, ",\"now\":");
	err |= now_json(mb, api, ab, open, now);
	/* the widget's look where the page sets none (null: its own) */
	err |= mbuf_write_str(mb, ",\"widget\":{\"label\":");
	err |= opt_str(mb, b->widget_label);
	err |= mbuf_write_str(mb, ",\"color\":");
	err |= opt_str(mb, b->widget_color);
	err |= mbuf_write_str(mb, ",\"position\":");
	err |= form_json_str(mb, b->widget_position);
	err |= mbuf_write_str(mb, ",\"language\":");
	err |= opt_str(mb, b->widget_language);
	err |= mbuf_write_str(mb, "}}\n");

	api_reply_mb(req, 200, cors, mb, err);

	mem_deref(mb);
}


static void slots(struct api *api, struct httpd_req *req,
		  const struct biz *ab, const char *cors)
{
	int64_t days = query_int(req, "days", 7, 1, 14);
	int64_t minutes = query_int(req, "minutes", 30, 15, 240);
	int64_t now = time_now_ms(), v[SLOTS_MAX];
	struct mbuf *mb = NULL;
	size_t n = 0, i, k = 0;
	int err;

	(void)api;
	if (!ab->hours) {
		api_reply_error(req, 503, cors, "no_hours", NULL,
				"this business's hours are not known");
		return;
	}

	err = hours_slots(ab->hours, ab->zone, now, now + days * DAY_MS,
			  (unsigned)minutes, v, SLOTS_MAX, &n);
	if (err && err != ENOSPC) {
		api_reply_errno(req, err, cors);
		return;
	}

	mb = mbuf_alloc(64 + n * 32);
	if (!mb) {
		api_reply_errno(req, ENOMEM, cors);
		return;
	}

	err = mbuf_write_str(mb, "{\"timezone\":");
	err |= form_json_str(mb, ab->b->timezone);
	err |= mbuf_printf(mb, ",\"minutes\":%lld,\"slots\":[",
			   (long long)minutes);
	for (i = 0; i < n; i++) {
		/* a slot that has begun is not offered */
		if (v[i] <= now)
			continue;
		err |= mbuf_write_str(mb, k++ ? "," : "");
		err |= time_json(mb, v[i]);
	}
	err |= mbuf_write_str(mb, "]}\n");

	api_reply_mb(req, 200, cors, mb, err);

	mem_deref(mb);
}


void api_business_public(struct api *api, struct httpd_req *req,
			 const struct pl *rest)
{
	char origin[API_MAX_ORIGIN], cors[API_MAX_ORIGIN + 160];
	const struct biz *ab;
	struct pl id = *rest, sub = PL_INIT;
	const char *slash = pl_strchr(rest, '/');
	bool has_origin;

	if (slash) {
		id.l = (size_t)(slash - rest->p);
		sub.p = slash + 1;
		sub.l = (size_t)(rest->p + rest->l - sub.p);
	}

	has_origin = api_req_origin(req, origin, sizeof(origin));
	ab = id.l && id.l <= 64 ? api_biz_find(api, id.p, id.l) : NULL;
	api_cors_hdrs(cors, sizeof(cors), has_origin ? origin : NULL,
		      has_origin && ab &&
		      api_origin_in_list(ab->b->origins, origin));

	if (httpd_req_method_is(req, "OPTIONS")) {
		api_callbacks_preflight(api, req);
		return;
	}
	if (!httpd_req_method_is(req, "GET")) {
		api_reply_error(req, 405, "Allow: GET, OPTIONS\r\n",
				"method_not_allowed", NULL,
				"this method is not allowed here");
		return;
	}
	if (!ab) {
		api_reply_error(req, 404, cors, "unknown_business", NULL,
				"no such business");
		return;
	}

	if (!slash)
		settings(api, req, ab, cors);
	else if (!pl_strcmp(&sub, "slots"))
		slots(api, req, ab, cors);
	else
		api_reply_error(req, 404, cors, "not_found", NULL,
				"no such resource");
}
