/*
 * Voice in the browser: a visitor's call over a WebSocket of its own,
 * /v1/callbacks/ID/voice?secret=S. The POST that created the callback
 * with "voice":"browser" got S, once; only its hash is kept here, in
 * memory, for as long as the call may still come (so the ACD never
 * retries such a callback, and fails one still waiting at a restart:
 * acd.c, in_browser). With the secret, the socket receives the dialer's
 * offer for the customer's webrtc leg ({"type":"offer","sdp":...,
 * "ice_servers":[...]}, the STUN/TURN servers for its RTCPeerConnection,
 * ice.c) and sends back the browser's
 * {"type":"answer","sdp":...} or {"type":"hangup"}; a socket that
 * closes hangs the leg up at once. Nothing else comes from the browser:
 * never a destination. A call whose agent side failed while the page
 * is still here goes back to the queue (acd_set_page_keep): the page is
 * told {"type":"requeued"} instead of "ended" and gets the next offer.
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "api"
#include "util/util.h"
#include "store/store.h"
#include "httpd/httpd.h"
#include "form/form.h"
#include "api/api.h"
#include "api/api_int.h"
#include "acd/acd.h"

/* one visitor's call */
struct voice {
	struct le he;
	struct api *api;
	char id[ID_LEN];
	char hash[HASH_HEX_LEN];  /* SHA-256 of the secret */
	char cancel_hash[HASH_HEX_LEN];  /* and of the request's cancel
					    token: the page gone, it is
					    withdrawn */
	char business[API_MAX_AGENT_KEY + 1];
	struct httpd_ws *ws;      /* the browser's socket, or NULL */
	char *offer;              /* the offer that came before the socket */
	bool answered;            /* the browser sent its answer */
	bool requeued;            /* the ACD keeps the page for the next
				     agent (acd_set_page_keep) */
	struct tmr later;         /* the early offer, after the 101 */
};


static void voice_destructor(void *arg)
{
	struct voice *v = arg;

	tmr_cancel(&v->later);
	hash_unlink(&v->he);
	v->ws = mem_deref(v->ws);
	mem_deref(v->offer);
}


static bool id_eq(struct le *le, void *arg)
{
	const struct voice *v = le->data;

	return !strcmp(v->id, arg);
}


static struct voice *voice_find(const struct api *api, const char *id)
{
	struct le *le;

	if (!api->voices)
		return NULL;
	le = hash_lookup(api->voices, hash_joaat_str(id), id_eq,
			 (void *)id);

	return le ? le->data : NULL;
}


/* the agent side failed: is the page still on its socket? Then it
 * stays for the next offer (api_voice_ended, which comes next) */
static bool page_keep(void *arg, const char *id)
{
	struct voice *v = voice_find(arg, id);

	if (!v || !v->ws)
		return false;
	v->requeued = true;

	return true;
}


void api_set_voice(struct api *api, const struct api_voice *ops)
{
	if (!api || !ops)
		return;
	api->voice = *ops;
	if (!api->voices && hash_alloc(&api->voices, 64))
		api->voice.answer = NULL;
	acd_set_page_keep(api->acd, page_keep, api);
}


bool api_voice_available(const struct api *api)
{
	return api->voices && api->voice.answer && api->voice.hangup;
}


/*
 * The business's voice_in_browser as the widget should apply it: with
 * voice in the browser and no phone line (the demo with rtpengine and
 * no trunk), "offered" becomes "only", as a number could not be called.
 */
const char *api_voice_mode(const struct api *api, const struct business *b)
{
	if (api->no_line && api_voice_available(api) &&
	    !strcmp(b->voice_in_browser, "offered"))
		return "only";

	return b->voice_in_browser;
}


int api_voice_add(struct api *api, const char *id, const char *business,
		  const char *hash, const char *cancel_hash)
{
	struct voice *v = voice_find(api, id);

	if (!api_voice_available(api))
		return ENOTSUP;

	/* a replay of the create: its fresh secret replaces the first */
	if (!v) {
		v = mem_zalloc(sizeof(*v), voice_destructor);
		if (!v)
			return ENOMEM;
		v->api = api;
		str_bcpy(v->id, id, sizeof(v->id));
		str_bcpy(v->business, business, sizeof(v->business));
		hash_append(api->voices, hash_joaat_str(v->id), &v->he, v);
	}
	str_bcpy(v->hash, hash, sizeof(v->hash));
	str_bcpy(v->cancel_hash, cancel_hash, sizeof(v->cancel_hash));

	return 0;
}


static int send_offer(struct voice *v, const char *sdp)
{
	struct mbuf *mb = mbuf_alloc(strlen(sdp) + 512);
	int err;

	if (!mb)
		return ENOMEM;
	err = mbuf_write_str(mb, "{\"type\":\"offer\",\"sdp\":");
	err |= form_json_str(mb, sdp);
	/* the page makes its RTCPeerConnection with them, now */
	err |= mbuf_write_str(mb, ",\"ice_servers\":");
	err |= api_ice_json(v->api, mb, v->id);
	err |= mbuf_write_str(mb, "}");
	if (!err)
		err = httpd_ws_send(v->ws, (const char *)mb->buf, mb->end);
	mem_deref(mb);

	return err;
}


void api_voice_offer(struct api *api, const char *id, const char *sdp)
{
	struct voice *v = voice_find(api, id);

	if (!v || !sdp)
		return;

	if (v->ws) {
		(void)send_offer(v, sdp);
		return;
	}

	/* the page is not connected yet: it gets the offer when it is */
	v->offer = mem_deref(v->offer);
	(void)str_dup(&v->offer, sdp);
}


void api_voice_ended(struct api *api, const char *id, const char *reason)
{
	struct voice *v = voice_find(api, id);
	char msg[128];
	int n;

	if (!v)
		return;
	/* back in the queue (the ACD decided, just before): the page
	 * drops this call's connection and waits for the next offer */
	if (v->requeued && v->ws) {
		v->requeued = false;
		v->answered = false;
		(void)httpd_ws_send(v->ws, "{\"type\":\"requeued\"}", 19);
		return;
	}
	/* the page learns it first; the socket closes with v (its close
	 * handler is not called then: nothing to hang up) */
	/* reason: a dialer's reason name, of [a-z_] */
	n = re_snprintf(msg, sizeof(msg), "{\"type\":\"ended\","
			"\"reason\":\"%s\"}", reason && *reason ? reason :
			"ended");
	if (v->ws && n > 0)
		(void)httpd_ws_send(v->ws, msg, (size_t)n);
	mem_deref(v);
}


static void ws_msg(struct httpd_ws *ws, const char *text, size_t len,
		   void *arg)
{
	struct voice *v = arg;
	struct odict *od = NULL;
	const char *type, *sdp;
	int err = 0;

	if (json_decode_odict(&od, 8, text, len, 4)) {
		(void)httpd_ws_send(ws, "{\"type\":\"error\",\"error\":"
				    "\"invalid_json\"}", 38);
		return;
	}
	type = odict_string(od, "type");
	sdp = odict_string(od, "sdp");

	if (type && !strcmp(type, "answer") && sdp && !v->answered) {
		err = v->api->voice.answer(v->api->voice.arg, v->id, sdp);
		v->answered = !err;
	}
	else if (type && !strcmp(type, "hangup")) {
		log_info("%s: the visitor's page: hang-up", v->id);
		err = v->api->voice.hangup(v->api->voice.arg, v->id);
	}
	else if (!type || strcmp(type, "ping")) {
		err = EPROTO;
	}

	if (err)
		(void)httpd_ws_send(ws, "{\"type\":\"error\",\"error\":"
				    "\"refused\"}", 33);
	else if (type && !strcmp(type, "ping"))
		(void)httpd_ws_send(ws, "{\"type\":\"pong\"}", 15);
	mem_deref(od);
}


static void withdrawn_h(int err, const struct callback *cb,
			const char *canceled, void *arg)
{
	struct api *api = arg;

	(void)cb;
	if (!err && canceled) {
		log_info("%s: the visitor's page left: withdrawn", canceled);
		acd_callback_canceled(api->acd, canceled);
	}
}


/* the tab closed or the network went: the leg ends now, not after the
 * RTP timeout; before the call, the request is withdrawn (no agent's
 * time for a page that is gone) */
static void ws_close(struct httpd_ws *ws, int err, void *arg)
{
	struct voice *v = arg;
	struct api *api = v->api;

	(void)ws;
	v->ws = mem_deref(v->ws);
	err = api->voice.hangup(api->voice.arg, v->id);
	if (err != ENOENT)
		return;

	(void)store_callback_cancel(api->st, v->id, v->cancel_hash,
				    withdrawn_h, api);
	mem_deref(v);
}


static void offer_later(void *arg)
{
	struct voice *v = arg;

	if (v->offer && v->ws)
		(void)send_offer(v, v->offer);
	v->offer = mem_deref(v->offer);
}


/* ?secret=S among the query's parameters */
static bool query_secret(const struct httpd_req *req, struct pl *secret)
{
	const struct pl *q = httpd_req_query(req);

	return q && !re_regex(q->p, q->l, "secret=[^&]+", secret);
}


void api_voice_open(struct api *api, struct httpd_req *req,
		    const struct pl *id)
{
	char sid[ID_LEN], hash[HASH_HEX_LEN], origin[API_MAX_ORIGIN];
	struct voice *v = NULL;
	const struct biz *ab;
	struct pl secret;

	if (id->l < sizeof(sid) && !pl_strcpy(id, sid, sizeof(sid)))
		v = voice_find(api, sid);

	/* no such call and a wrong secret look the same */
	if (!query_secret(req, &secret) || !v) {
		api_reply_error(req, 401, NULL, "invalid_secret", "secret",
				"the voice secret is not valid for this call");
		return;
	}
	token_hash_hex(hash, secret.p, secret.l);
	if (strcmp(hash, v->hash)) {
		log_info("%s: voice socket refused: not its secret", v->id);
		api_reply_error(req, 401, NULL, "invalid_secret", "secret",
				"the voice secret is not valid for this call");
		return;
	}

	/* a page of the business's own sites, as for the POST */
	ab = api_biz_find(api, v->business, strlen(v->business));
	if (!ab || (api_req_origin(req, origin, sizeof(origin)) &&
		    !api_origin_in_list(ab->b->origins, origin))) {
		api_reply_error(req, 403, NULL, "origin_not_allowed", NULL,
				"this site may not talk for this business");
		return;
	}
	if (v->ws) {
		api_reply_error(req, 409, NULL, "voice_busy", NULL,
				"this call already has a browser");
		return;
	}

	if (httpd_ws_accept(&v->ws, req, ws_msg, ws_close, v))
		return;

	/* the 101 is on its way; a frame must not overtake it */
	if (v->offer)
		tmr_start(&v->later, 0, offer_later, v);
}


void api_voice_close_all(struct api *api)
{
	if (!api->voices)
		return;
	hash_flush(api->voices);
	api->voices = mem_deref(api->voices);
}
