/*
 * /v1/callbacks: the public intake API.
 *
 * A POST is checked in the order that leaks least and costs least: media
 * type, body syntax, known fields, business, origin, each field, then the
 * limits, and only then the store. Nothing is written before every check
 * has passed, and the answer is sent only after the store has committed.
 *
 * Limits are counted when a request is handed to the store (so that a
 * burst inside one loop turn cannot slip past them) and un-counted if the
 * store says it was a replay or failed. That count is this node's: the
 * store counts the per-phone limits again in the create's transaction,
 * every node's requests (CB_LIMITED: the same 429), so they hold for a
 * cluster; the per-address limit is each node's own.
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "api"
#include "util/util.h"
#include "httpd/httpd.h"
#include "limit/limit.h"
#include "store/store.h"
#include "phone/phone.h"
#include "form/form.h"
#include "hours/hours.h"
#include "acd/acd.h"
#include "api/api_int.h"

enum {
	CORS_SZ = API_MAX_ORIGIN + 160,
	TOKEN_BYTES = 32,
	KEY_SZ = 256,
};

/* fields a POST may carry; anything else is a client bug worth a 400 */
static const char *const known_fields[] = {
	"business", "phone", "when", "page_url", "page_title", "name",
	"note", "agent", "referrer", "voice",
};

/* a POST in flight between the checks and the store's answer */
struct post {
	struct api *api;
	struct httpd_req *req;
	struct form *form;
	char cors[CORS_SZ];
	char token[64];
	char voice_secret[64];    /* "voice":"browser": the call's secret */
	char phone_key[KEY_SZ];   /* "": no phone limit on, not counted */
	char ip_key[KEY_SZ];      /* "": no address limit on */
	char masked[PHONE_E164_SIZE + 8];
	char business[API_MAX_AGENT_KEY + 1];
	char e164[PHONE_E164_SIZE];
	struct callback_new cn;   /* what went to the store */
	/* taken before: answer_h may run on the store's thread */
	struct acd_eta_basis eta;
	int64_t now;
};


static void post_destructor(void *arg)
{
	struct post *p = arg;

	mem_deref(p->form);
}


static int64_t biz_limit(int64_t own, int64_t global)
{
	return own >= 0 ? own : global;
}


static int field_error(struct post *p, const char *code, const char *field,
		       const char *message)
{
	return api_reply_error(p->req, 400, p->cors, code, field, message);
}


/* An optional text field: valid UTF-8, no control characters (newlines
 * only where allow_nl), at most max bytes. */
static bool text_ok(struct post *p, const char *field, size_t max,
		    bool allow_nl)
{
	char msg[96];
	size_t len;
	const char *v = form_get(p->form, field, &len);

	if (!v)
		return true;

	if (len > max) {
		re_snprintf(msg, sizeof(msg), "%s is longer than %zu bytes",
			    field, max);
		field_error(p, "too_long", field, msg);
		return false;
	}

	if (!utf8_valid_text(v, len, allow_nl)) {
		re_snprintf(msg, sizeof(msg), "%s holds control characters "
			    "or invalid UTF-8", field);
		field_error(p, "invalid_text", field, msg);
		return false;
	}

	return true;
}


static bool url_ok(struct post *p, const char *field)
{
	char msg[96];
	size_t len;
	const char *v = form_get(p->form, field, &len);
	int err;

	if (!v || !len)
		return true;

	err = api_check_url(v, len);
	if (err == EMSGSIZE) {
		re_snprintf(msg, sizeof(msg), "%s is longer than %d bytes",
			    field, API_MAX_URL);
		field_error(p, "too_long", field, msg);
		return false;
	}
	if (err) {
		re_snprintf(msg, sizeof(msg), "%s must be an http or https "
			    "URL", field);
		field_error(p, "invalid_url", field, msg);
		return false;
	}

	return true;
}


void api_client_ip(const struct api *api, const struct httpd_req *req,
		      char *buf, size_t sz)
{
	struct pl xff;

	/* behind a proxy the last X-Forwarded-For hop is the one the
	 * proxy saw; the ones before it are whatever the client wrote */
	if (api->trust_xff && httpd_req_hdr(req, "X-Forwarded-For", &xff) &&
	    xff.l) {
		const char *c = xff.p + xff.l;
		struct pl last;
		struct sa sa;

		while (c > xff.p && c[-1] != ',')
			c--;
		last.p = c;
		last.l = (size_t)(xff.p + xff.l - c);
		while (last.l && last.p[0] == ' ') {
			last.p++;
			last.l--;
		}
		while (last.l && last.p[last.l - 1] == ' ')
			last.l--;
		if (!sa_set(&sa, &last, 0) && !sa_ntop(&sa, buf, (int)sz))
			return;
	}

	if (httpd_req_peer_str(req, buf, sz))
		str_bcpy(buf, "unknown", sz);
}


/* Format a timestamp as a JSON value: a quoted RFC 3339 string or null. */
static int json_time(struct mbuf *mb, int64_t ms)
{
	char t[40];

	if (!ms)
		return mbuf_write_str(mb, "null");

	t[0] = '"';
	time_fmt_rfc3339(t + 1, sizeof(t) - 2, ms);
	strcat(t, "\"");

	return mbuf_write_str(mb, t);
}


/*
 * The answer to a create, without the cancel token (see store.h): made
 * inside the store's transaction so an Idempotency-Key replay returns
 * exactly this. A request joined to an open callback gets the answer a
 * first request would get, field for field: whoever knows a number must
 * not learn from it that someone else asked ("existing" stays false; it
 * is kept for clients that read it).
 */
static int answer_h(char **answerp, int *statusp,
		    const struct callback_created *res, void *arg)
{
	struct mbuf *mb = mbuf_alloc(256);
	const struct post *p = arg;
	int64_t eta;
	int err = 0;

	if (!mb)
		return ENOMEM;

	*statusp = 202;

	/* written piece by piece: libre's formatter was the most of it */
	err |= mbuf_write_str(mb, "{\"id\":\"");
	err |= mbuf_write_str(mb, res->id);
	err |= mbuf_write_str(mb, "\",\"status\":\"");
	err |= mbuf_write_str(mb, res->status);
	err |= mbuf_write_str(mb, "\",\"status_url\":\"/v1/callbacks/");
	err |= mbuf_write_str(mb, res->id);
	err |= mbuf_write_str(mb, "\",\"created_at\":");
	err |= json_time(mb, res->created_at);
	err |= mbuf_write_str(mb, ",\"scheduled_for\":");
	err |= json_time(mb, res->scheduled_for);
	err |= mbuf_write_str(mb, ",\"position\":");
	err |= util_write_int(mb, res->position);
	err |= mbuf_write_str(mb, ",\"eta_seconds\":");
	eta = res->position > 0 ? acd_eta_at(&p->eta, res->position) : -1;
	if (eta < 0)
		err |= mbuf_write_str(mb, "null");
	else
		err |= util_write_int(mb, eta);
	err |= mbuf_write_str(mb, ",\"existing\":false}\n");
	if (!err) {
		mb->pos = 0;
		err = mbuf_strdup(mb, answerp, mb->end);
	}

	mem_deref(mb);

	return err;
}


static void limited_reply(struct post *p, bool address, int64_t retry)
{
	char hdrs[CORS_SZ + 32];

	log_info("rate limit: %s (%s)", p->masked,
		 address ? "client address" : "phone number");

	re_snprintf(hdrs, sizeof(hdrs), "%sRetry-After: %lld\r\n", p->cors,
		    (long long)((retry + 999) / 1000));
	api_reply_error(p->req, 429, hdrs, "rate_limited", NULL, address ?
			"too many requests from this address; try again later"
			: "too many requests for this phone number; "
			"try again later");
}


/* Count the request in the limits that are on (an empty key: off). */
static void post_count(struct post *p)
{
	if (*p->phone_key)
		limit_add(p->api->limit_phone, p->phone_key, p->now);
	if (*p->ip_key)
		limit_add(p->api->limit_ip, p->ip_key, p->now);
}


static void post_uncount(struct post *p)
{
	if (*p->phone_key)
		limit_remove(p->api->limit_phone, p->phone_key, p->now);
	if (*p->ip_key)
		limit_remove(p->api->limit_ip, p->ip_key, p->now);
}


static int voice_add(struct post *p, const struct callback_created *res)
{
	char hash[HASH_HEX_LEN];

	token_hash_hex(hash, p->voice_secret, strlen(p->voice_secret));

	return api_voice_add(p->api, res->id, p->business, hash,
			     p->cn.cancel_hash);
}


/* The stored answer with the tokens put first inside its braces, in
 * pieces written once, into the answer that is sent. */
static void reply_created(struct post *p, const struct callback_created *res)
{
	struct pl v[7];
	size_t n = 0;

	pl_set_str(&v[n++], "{\"cancel_token\":\"");
	pl_set_str(&v[n++], p->token);
	pl_set_str(&v[n++], "\",");
	if (*p->voice_secret) {
		pl_set_str(&v[n++], "\"voice_secret\":\"");
		pl_set_str(&v[n++], p->voice_secret);
		pl_set_str(&v[n++], "\",");
	}
	pl_set_str(&v[n++], res->answer + 1);

	api_reply_json_pl(p->req, (uint16_t)res->answer_status, p->cors, v,
			  n);
}


static void create_h(int err, const struct callback_created *res, void *arg)
{
	struct post *p = arg;

	if (err) {
		post_uncount(p);
		if (err == ENOENT) {
			/* the business vanished between check and commit */
			api_reply_error(p->req, 404, p->cors,
					"unknown_business", "business",
					"no such business");
		}
		else {
			log_error("storing a callback failed: %s",
				  strerror(err));
			api_reply_errno(p->req, err, p->cors);
		}
		goto out;
	}

	switch (res->outcome) {

	case CB_KEY_MISMATCH:
		post_uncount(p);
		api_reply_error(p->req, 422, p->cors, "idempotency_key_reused",
				"Idempotency-Key", "this Idempotency-Key was "
				"used for a different request");
		goto out;

	case CB_LIMITED:
		/* every node's requests for the number, counted in the
		 * transaction: the same answer as this node's own count */
		post_uncount(p);
		limited_reply(p, false, res->retry_ms);
		goto out;

	case CB_REPLAY:
		post_uncount(p);
		log_info("%s: replayed for its Idempotency-Key", res->id);
		break;

	case CB_JOINED:
		log_info("%s: %s already waiting in %s: joined to it",
			 res->id, p->masked, res->call_id);
		break;

	case CB_CREATED:
		log_info("%s: new callback for %s, %s", res->id, p->masked,
			 res->status);
		{
			struct callback *cb = NULL;

			/* the ACD takes it from here, without a read */
			if (!callback_from_new(&cb, &p->cn, res))
				acd_callback_new(p->api->acd, cb,
						 res->last_agent);
			else
				acd_callback_added(p->api->acd, res->id);
			mem_deref(cb);
		}
		break;
	}

	/* a browser's call: only this answer carries its secret (a replay
	 * gets a fresh one, as for the cancel token) */
	if (*p->voice_secret && voice_add(p, res)) {
		api_reply_errno(p->req, ENOMEM, p->cors);
		goto out;
	}

	/* the tokens go first, inside the stored answer's braces */
	if (!res->answer || res->answer[0] != '{') {
		api_reply_errno(p->req, ENOMEM, p->cors);
		goto out;
	}
	reply_created(p, res);

 out:
	mem_deref(p);
}


/* The per-phone limits of business b: its own, else the server's. The
 * store counts them again in the create's transaction (every node's
 * requests); memory here is a node's own first filter. */
static void phone_limits(const struct api *api, const struct business *b,
			 struct store_limit *lim)
{
	lim[0].max = biz_limit(b->limit_phone_15min, api->lim_phone_15min);
	lim[0].window_ms = QUARTER_MS;
	lim[1].max = biz_limit(b->limit_phone_day, api->lim_phone_day);
	lim[1].window_ms = DAY_MS;
}


static bool limits_ok(struct post *p, const struct business *b,
		      const struct callback_new *cn)
{
	const struct store_limit *lim = cn->limits;
	struct api *api = p->api;
	int64_t retry = 0;
	size_t i;

	if (limit_exceeded(api->limit_ip, p->ip_key, p->now, MIN_MS,
			   biz_limit(b->limit_ip_minute, api->lim_ip_minute),
			   &retry)) {
		limited_reply(p, true, retry);
		return false;
	}

	for (i = 0; i < ARRAY_SIZE(cn->limits); i++) {
		if (limit_exceeded(api->limit_phone, p->phone_key, p->now,
				   lim[i].window_ms, lim[i].max, &retry)) {
			limited_reply(p, false, retry);
			return false;
		}
	}

	return true;
}


/*
 * The customer's side: a phone number (normalized and checked against
 * the business's countries into e164), or "voice":"browser", the
 * visitor's own browser (no number, e164 ""), when the server has voice
 * in the browser and the business offers it. false: answered already.
 */
static bool phone_or_voice(struct post *p, const struct business *b,
			   char *e164, size_t sz)
{
	struct api *api = p->api;
	enum phone_err why = PHONE_OK;
	const char *v, *deny;
	size_t len;

	v = form_get(p->form, "voice", &len);
	if (v && strcmp(v, "browser") && strcmp(v, "phone")) {
		field_error(p, "invalid_voice", "voice",
			    "voice is browser or phone");
		return false;
	}
	if (v && !strcmp(v, "browser")) {
		if (!api_voice_available(api) ||
		    !strcmp(b->voice_in_browser, "off")) {
			api_reply_error(p->req, 409, p->cors,
					"voice_unavailable", "voice",
					"voice in the browser is not "
					"available here; ask for a call");
			return false;
		}
		if (form_get(p->form, "phone", NULL)) {
			field_error(p, "invalid_phone", "phone", "no phone "
				    "number with voice in the browser");
			return false;
		}
		/* a secret is drawn later; non-empty marks the request */
		str_bcpy(p->voice_secret, "-", sizeof(p->voice_secret));
		str_bcpy(p->masked, "browser", sizeof(p->masked));
		*e164 = '\0';
		return true;
	}
	/* a dialer with no line would burn the visitor's attempts on a
	 * call that cannot go out */
	if (api->no_line && api_voice_available(api)) {
		api_reply_error(p->req, 503, p->cors, "no_phone_line", "phone",
				"this server has no phone line to call a "
				"number: talk in the browser instead "
				"(voice: browser)");
		return false;
	}
	if (!strcmp(b->voice_in_browser, "only") &&
	    api_voice_available(api)) {
		field_error(p, "voice_browser_only", "voice", "this business "
			    "talks in the browser only: voice is browser");
		return false;
	}

	v = form_get(p->form, "phone", &len);
	if (!v || !len) {
		field_error(p, "missing_field", "phone", "phone is required");
		return false;
	}
	if (phone_normalize(e164, sz, v, len, b->country, &why)) {
		field_error(p, phone_err_code(why), "phone",
			    phone_err_message(why));
		return false;
	}
	deny = b->deny_prefixes && *b->deny_prefixes ?
		(strcmp(b->deny_prefixes, "none") ? b->deny_prefixes : "")
		: NULL;
	why = phone_check(e164, b->country, b->allowed_countries, deny);
	if (why != PHONE_OK) {
		field_error(p, phone_err_code(why), "phone",
			    phone_err_message(why));
		return false;
	}
	if (api->full_numbers)
		str_bcpy(p->masked, e164, sizeof(p->masked));
	else
		phone_mask(p->masked, sizeof(p->masked), e164);

	return true;
}


void api_callbacks_post(struct api *api, struct httpd_req *req)
{
	struct callback_new cn;
	struct form_error ferr;
	enum form_kind kind;
	const struct business *b;
	const struct pl *body = httpd_req_body(req);
	struct biz *ab;
	struct post *p;
	struct pl ctype, idem;
	char origin[API_MAX_ORIGIN], e164[PHONE_E164_SIZE];
	char ip[64], fp[HASH_HEX_LEN], idem_key[API_MAX_IDEM_KEY + 1];
	const char *v, *whymsg = NULL;
	bool has_origin, has_idem;
	size_t len, i, j;
	int err;

	p = mem_zalloc(sizeof(*p), post_destructor);
	if (!p) {
		api_reply_errno(req, ENOMEM, NULL);
		return;
	}
	p->api = api;
	p->req = req;
	p->now = time_now_ms();

	has_origin = api_req_origin(req, origin, sizeof(origin));
	api_cors_hdrs(p->cors, sizeof(p->cors), has_origin ? origin : NULL,
		      has_origin && api_origin_allowed_any(api, origin));

	if (!httpd_req_hdr(req, "Content-Type", &ctype) ||
	    form_kind_from_ctype(&kind, ctype.p, ctype.l)) {
		api_reply_error(req, 415, p->cors, "unsupported_media_type",
				NULL, "send application/json or "
				"application/x-www-form-urlencoded (UTF-8)");
		goto fail;
	}

	memset(&ferr, 0, sizeof(ferr));
	err = form_parse(&p->form, kind, body->p, body->l, &ferr);
	if (err) {
		api_reply_error(req, 400, p->cors, ferr.code ? ferr.code
				: "invalid_body", ferr.field[0] ? ferr.field
				: NULL, ferr.message);
		goto fail;
	}

	for (i = 0; i < p->form->n; i++) {
		const char *k = p->form->v[i].key;
		char msg[128];

		for (j = 0; j < ARRAY_SIZE(known_fields); j++)
			if (!strcmp(k, known_fields[j]))
				break;
		if (j == ARRAY_SIZE(known_fields)) {
			/* the name is echoed only if it is short and tame */
			bool tame = strlen(k) <= 32;
			const char *c;

			for (c = k; tame && *c; c++)
				tame = (*c >= 'a' && *c <= 'z') || *c == '_' ||
				       (*c >= '0' && *c <= '9');
			re_snprintf(msg, sizeof(msg), "unknown field%s%s",
				    tame ? " " : "", tame ? k : "");
			field_error(p, "unknown_field", tame ? k : NULL, msg);
			goto fail;
		}
	}

	v = form_get(p->form, "business", &len);
	if (!v || !len) {
		field_error(p, "missing_field", "business",
			    "business is required");
		goto fail;
	}
	ab = api_biz_find(api, v, len);
	if (!ab) {
		api_reply_error(req, 404, p->cors, "unknown_business",
				"business", "no such business");
		goto fail;
	}
	b = ab->b;
	str_bcpy(p->business, b->id, sizeof(p->business));

	/* a page may only ask for the business that lists its origin */
	if (has_origin && !api_origin_in_list(b->origins, origin)) {
		api_cors_hdrs(p->cors, sizeof(p->cors), origin, false);
		api_reply_error(req, 403, p->cors, "origin_not_allowed",
				NULL, "this site may not send callback "
				"requests for this business");
		goto fail;
	}

	if (!phone_or_voice(p, b, e164, sizeof(e164)))
		goto fail;

	memset(&cn, 0, sizeof(cn));

	v = form_get(p->form, "when", &len);
	if (v && api_parse_when(&cn.scheduled_for, v, len, p->now,
				api->max_schedule_ms, &whymsg)) {
		field_error(p, "invalid_when", "when", whymsg);
		goto fail;
	}

	/* outside opening hours: the next opening, and the 202 says so */
	if (ab->hours) {
		int64_t t = cn.scheduled_for ? cn.scheduled_for : p->now;
		int64_t next = 0;

		if (!hours_is_open(ab->hours, ab->zone, t)) {
			if (hours_next_open(ab->hours, ab->zone, t, &next)) {
				api_reply_error(req, 409, p->cors,
						"business_closed", NULL,
						"this business takes no calls "
						"in the next two weeks");
				goto fail;
			}
			cn.scheduled_for = next;
		}
	}

	if (!url_ok(p, "page_url") || !url_ok(p, "referrer") ||
	    !text_ok(p, "page_title", API_MAX_TITLE, false) ||
	    !text_ok(p, "name", API_MAX_NAME, false) ||
	    !text_ok(p, "note", API_MAX_NOTE, true))
		goto fail;

	v = form_get(p->form, "agent", &len);
	if (v && len && (len > API_MAX_AGENT_KEY ||
			 !api_key_in_list(b->agent_keys, v, len))) {
		field_error(p, "unknown_agent", "agent", "agent is not a "
			    "team or agent key this business publishes");
		goto fail;
	}

	has_idem = httpd_req_hdr(req, "Idempotency-Key", &idem);
	if (has_idem) {
		if (!api_idem_key_valid(idem.p, idem.l)) {
			field_error(p, "invalid_idempotency_key",
				    "Idempotency-Key", "Idempotency-Key must "
				    "be 1 to 255 visible ASCII characters");
			goto fail;
		}
		pl_strcpy(&idem, idem_key, sizeof(idem_key));
	}

	api_client_ip(api, req, ip, sizeof(ip));
	phone_limits(api, b, cn.limits);
	/*
	 * A table counts a request only while one of its limits is on for
	 * the business: with all off (0) nothing is hashed or kept. One
	 * turned on later counts from then; the store still counts the
	 * phone limits in the create's transaction (every earlier request
	 * of the number), so only the address's minute starts empty.
	 */
	if (cn.limits[0].max > 0 || cn.limits[1].max > 0) {
		/* a browser's call has no number: its address stands for
		 * one */
		re_snprintf(p->phone_key, sizeof(p->phone_key), "%s|%s%s",
			    b->id, *p->voice_secret ? "voice|" : "",
			    *p->voice_secret ? ip : e164);
	}
	if (biz_limit(b->limit_ip_minute, api->lim_ip_minute) > 0)
		re_snprintf(p->ip_key, sizeof(p->ip_key), "%s|ip|%s", b->id,
			    ip);

	if (!limits_ok(p, b, &cn))
		goto fail;
	/* a browser's call has no number for the store to count */
	if (*p->voice_secret)
		memset(cn.limits, 0, sizeof(cn.limits));

	/* everything checked: hand it to the store */
	err = api_new_id(cn.id, sizeof(cn.id), p->now);
	if (!err)
		err = token_random(p->token, sizeof(p->token), TOKEN_BYTES);
	if (err) {
		api_reply_errno(req, err, p->cors);
		goto fail;
	}
	token_hash_hex(cn.cancel_hash, p->token, strlen(p->token));
	if (*p->voice_secret)
		err = token_random(p->voice_secret, sizeof(p->voice_secret),
				   TOKEN_BYTES);
	if (err) {
		api_reply_errno(req, err, p->cors);
		goto fail;
	}
	/* the fingerprint tells a replay from a reuse of the key */
	if (has_idem)
		token_hash_hex(fp, body->p, body->l);

	cn.business = b->id;
	cn.phone = e164;
	cn.page_url = form_get(p->form, "page_url", NULL);
	cn.page_title = form_get(p->form, "page_title", NULL);
	cn.name = form_get(p->form, "name", NULL);
	cn.note = form_get(p->form, "note", NULL);
	cn.agent_key = form_get(p->form, "agent", NULL);
	cn.referrer = form_get(p->form, "referrer", NULL);
	cn.client_ip = ip;
	cn.idem_key = has_idem ? idem_key : NULL;
	cn.idem_fp = fp;
	cn.answerh = answer_h;
	cn.answer_arg = p;
	acd_eta_basis(api->acd, b->id, &p->eta);
	cn.now = p->now;
	str_bcpy(p->e164, e164, sizeof(p->e164));
	p->cn = cn;
	/* p's own copies: b may be gone by the answer (a follower reads
	 * the businesses again on a notification and frees the old) */
	p->cn.business = p->business;
	p->cn.phone = p->e164;
	p->cn.client_ip = NULL;
	p->cn.idem_key = NULL;
	p->cn.idem_fp = NULL;

	post_count(p);

	err = store_callback_create(api->st, &cn, create_h, p);
	if (err) {
		post_uncount(p);
		api_reply_errno(req, err, p->cors);
		goto fail;
	}

	return;

 fail:
	mem_deref(p);
}


void api_callbacks_preflight(struct api *api, struct httpd_req *req)
{
	static const char *const ok_hdrs[] = {
		"content-type", "idempotency-key", "authorization",
	};
	char origin[API_MAX_ORIGIN], hdrs[CORS_SZ + 256], m[16];
	struct pl method, reqh;
	bool allowed;

	if (!api_req_origin(req, origin, sizeof(origin))) {
		/* a plain OPTIONS: say what the resource supports */
		api_reply_json(req, 204, "Allow: GET, POST, DELETE, "
			       "OPTIONS\r\n", NULL, 0);
		return;
	}

	allowed = api_origin_allowed_any(api, origin);

	if (!httpd_req_hdr(req, "Access-Control-Request-Method", &method) ||
	    pl_strcpy(&method, m, sizeof(m)) ||
	    (strcmp(m, "POST") && strcmp(m, "GET") && strcmp(m, "DELETE")))
		allowed = false;

	/* every requested header must be one we accept */
	if (allowed && httpd_req_hdr(req, "Access-Control-Request-Headers",
				     &reqh)) {
		const char *c = reqh.p, *end = reqh.p + reqh.l;

		while (allowed && c < end) {
			const char *s;
			size_t n, k;

			while (c < end && (*c == ' ' || *c == ','))
				c++;
			s = c;
			while (c < end && *c != ',' && *c != ' ')
				c++;
			n = (size_t)(c - s);
			if (!n)
				continue;
			allowed = false;
			for (k = 0; k < ARRAY_SIZE(ok_hdrs); k++)
				if (n == strlen(ok_hdrs[k]) &&
				    !strncasecmp(s, ok_hdrs[k], n))
					allowed = true;
		}
	}

	if (!allowed) {
		api_reply_error(req, 403, "Vary: Origin\r\n",
				"cors_refused", NULL, "this origin, method "
				"or header is not allowed");
		return;
	}

	re_snprintf(hdrs, sizeof(hdrs),
		    "Access-Control-Allow-Origin: %s\r\n"
		    "Access-Control-Allow-Methods: GET, POST, DELETE\r\n"
		    "Access-Control-Allow-Headers: Content-Type, "
		    "Idempotency-Key, Authorization\r\n"
		    "Access-Control-Max-Age: 600\r\n"
		    "Vary: Origin\r\n", origin);

	api_reply_json(req, 204, hdrs, NULL, 0);
}


/* a GET or DELETE in flight */
struct lookup {
	struct api *api;
	struct httpd_req *req;
	char origin[API_MAX_ORIGIN];
	bool has_origin;
};


/* CORS for an answer about a callback: its business decides. */
static const char *lookup_cors(const struct lookup *lk, const char *biz,
			       char *buf, size_t sz)
{
	struct biz *ab = NULL;

	if (lk->has_origin && biz)
		ab = api_biz_find(lk->api, biz, strlen(biz));

	return api_cors_hdrs(buf, sz, lk->has_origin ? lk->origin : NULL,
			     ab && api_origin_in_list(ab->b->origins,
						      lk->origin));
}


static int callback_json(struct mbuf *mb, const struct callback *cb,
			 int64_t position, int64_t eta)
{
	char masked[PHONE_E164_SIZE + 8];
	size_t i;
	int err = 0;

	err |= mbuf_printf(mb, "{\"id\":\"%s\",\"business\":", cb->id);
	err |= form_json_str(mb, cb->business);
	err |= mbuf_printf(mb, ",\"status\":\"%s\",\"phone\":\"%s\","
			   "\"created_at\":", callback_status_name(cb->status),
			   phone_mask(masked, sizeof(masked), cb->phone));
	err |= json_time(mb, cb->created_at);
	err |= mbuf_write_str(mb, ",\"updated_at\":");
	err |= json_time(mb, cb->updated_at);
	err |= mbuf_write_str(mb, ",\"scheduled_for\":");
	err |= json_time(mb, cb->scheduled_for);
	err |= mbuf_printf(mb, ",\"position\":%lld,\"eta_seconds\":",
			   (long long)position);
	if (eta < 0)
		err |= mbuf_write_str(mb, "null");
	else
		err |= mbuf_printf(mb, "%lld", (long long)eta);
	err |= mbuf_write_str(mb, ",\"events\":[");

	for (i = 0; i < cb->nevents; i++) {
		const struct callback_event *e = &cb->events[i];

		err |= mbuf_printf(mb, "%s{\"type\":\"%s\",\"t\":",
				   i ? "," : "", e->type);
		err |= json_time(mb, e->t);
		/* event data is JSON that beckon itself wrote */
		if (e->data)
			err |= mbuf_printf(mb, ",\"data\":%s", e->data);
		err |= mbuf_write_str(mb, "}");
	}

	err |= mbuf_write_str(mb, "]}\n");

	return err ? ENOMEM : 0;
}


static void lookup_reply(struct lookup *lk, uint16_t status,
			 const struct callback *cb, const char *cors)
{
	struct mbuf *mb = mbuf_alloc(512);
	int64_t pos = cb->position;
	int err;

	/*
	 * A joined request's place comes with its view (the store counts
	 * what was queued before it); a callback's from the ACD, which keeps
	 * the queue's order: no count of the queue ahead.
	 */
	if (!pos && cb->open && cb->status == CBS_QUEUED) {
		pos = acd_position(lk->api->acd, cb->id);
		if (pos < 0)
			pos = 0;
	}

	err = !mb || callback_json(mb, cb, pos, pos > 0 ?
				   acd_eta_s(lk->api->acd, cb->business, pos)
				   : -1);
	api_reply_mb(lk->req, status, cors, mb, err);
	mem_deref(mb);
}


static void get_h(int err, const struct callback *cb, void *arg)
{
	struct lookup *lk = arg;
	char cors[CORS_SZ];

	lookup_cors(lk, cb ? cb->business : NULL, cors, sizeof(cors));

	if (err)
		api_reply_errno(lk->req, err, cors);
	else
		lookup_reply(lk, 200, cb, cors);

	mem_deref(lk);
}


static struct lookup *lookup_new(struct api *api, struct httpd_req *req,
				 const struct pl *id)
{
	struct lookup *lk;

	if (!api_id_valid(id->p, id->l)) {
		char origin[API_MAX_ORIGIN], cors[CORS_SZ];
		bool has = api_req_origin(req, origin, sizeof(origin));

		/* no business to ask: any that lists the origin will do,
		 * so that the page can read why */
		api_cors_hdrs(cors, sizeof(cors), has ? origin : NULL,
			      has && api_origin_allowed_any(api, origin));
		api_reply_error(req, 404, cors, "not_found", NULL,
				"no such callback");
		return NULL;
	}

	lk = mem_zalloc(sizeof(*lk), NULL);
	if (!lk) {
		api_reply_errno(req, ENOMEM, NULL);
		return NULL;
	}

	lk->api = api;
	lk->req = req;
	lk->has_origin = api_req_origin(req, lk->origin, sizeof(lk->origin));

	return lk;
}


void api_callback_get(struct api *api, struct httpd_req *req,
		      const struct pl *id)
{
	struct lookup *lk = lookup_new(api, req, id);
	char idbuf[ID_LEN];
	int err;

	if (!lk)
		return;

	pl_strcpy(id, idbuf, sizeof(idbuf));
	err = store_request_get(api->st, idbuf, get_h, lk);
	if (err) {
		api_reply_errno(req, err, NULL);
		mem_deref(lk);
	}
}


static void cancel_h(int err, const struct callback *cb,
		     const char *canceled, void *arg)
{
	struct lookup *lk = arg;
	char cors[CORS_SZ + 64];

	lookup_cors(lk, cb ? cb->business : NULL, cors, sizeof(cors));

	switch (err) {

	case 0:
		/* the call is off only when its last request withdrew */
		if (canceled) {
			log_info("%s: canceled by the customer", canceled);
			acd_callback_canceled(lk->api->acd, canceled);
		}
		else {
			log_info("%s: withdrawn by the customer; the call "
				 "goes on for other requests", cb->id);
		}
		lookup_reply(lk, 200, cb, cors);
		break;

	case EALREADY:
		api_reply_error(lk->req, 409, cors, "not_cancelable", NULL,
				"this callback can no longer be canceled");
		break;

	case EPERM:
		/* the same answer as a missing token: nothing to probe */
		re_snprintf(cors + strlen(cors), sizeof(cors) - strlen(cors),
			    "WWW-Authenticate: Bearer\r\n");
		api_reply_error(lk->req, 401, cors, "invalid_token", NULL,
				"the cancel token is not valid for this "
				"callback");
		break;

	default:
		api_reply_errno(lk->req, err, cors);
		break;
	}

	mem_deref(lk);
}


void api_callback_delete(struct api *api, struct httpd_req *req,
			 const struct pl *id)
{
	struct lookup *lk;
	struct pl auth;
	char idbuf[ID_LEN], hash[HASH_HEX_LEN];
	int err;

	lk = lookup_new(api, req, id);
	if (!lk)
		return;

	if (!httpd_req_hdr(req, "Authorization", &auth) || auth.l < 8 ||
	    strncasecmp(auth.p, "Bearer ", 7)) {
		char cors[CORS_SZ + 64];

		api_cors_hdrs(cors, sizeof(cors), lk->has_origin ? lk->origin
			      : NULL, lk->has_origin &&
			      api_origin_allowed_any(api, lk->origin));
		re_snprintf(cors + strlen(cors), sizeof(cors) - strlen(cors),
			    "WWW-Authenticate: Bearer\r\n");
		api_reply_error(req, 401, cors, "missing_token", NULL,
				"send Authorization: Bearer CANCEL_TOKEN");
		mem_deref(lk);
		return;
	}

	/* only the hash is compared, in the store: never the token */
	token_hash_hex(hash, auth.p + 7, auth.l - 7);
	pl_strcpy(id, idbuf, sizeof(idbuf));

	err = store_callback_cancel(api->st, idbuf, hash, cancel_h, lk);
	if (err) {
		api_reply_errno(req, err, NULL);
		mem_deref(lk);
	}
}
