/*
 * What the api's files share: the api object, the business view, reply
 * helpers and the validators (validate.c, unit tested on their own).
 */
#ifndef BECKON_API_INT_H
#define BECKON_API_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "api/api.h"
#include "bizdir/bizdir.h"

struct httpd_req;
struct cluster;
struct mbuf;
struct pl;
struct callback;

/* the rate limits' windows, and a day */
enum {
	MIN_MS = 60000,
	QUARTER_MS = 15 * 60000,
	DAY_MS = 86400000,
};

enum {
	API_MAX_IDEM_KEY = 255,
	API_MAX_URL = 2048,
	API_MAX_TITLE = 300,
	API_MAX_NAME = 100,
	API_MAX_NOTE = 1000,
	API_MAX_AGENT_KEY = 64,
	API_AGENT_ID_MAX = 64,
	API_MAX_WIDGET_LABEL = 60,
	API_MAX_ORIGIN = 256,
	API_ID_LEN = 37,          /* cb_ + 12 hex + 22 base64url */
	/* a business's own greeting: e.g. 30 s of 16 kHz 16-bit PCM */
	API_GREETING_MAX_S = 30,
	API_GREETING_MAX_BYTES = 1024 * 1024,
};

struct api {
	const struct cfg *cfg;
	struct store *st;
	struct httpd *httpd;
	struct httpd *https;      /* https_listen, or NULL */
	struct limit *limit_phone;     /* per business and phone, a day */
	struct limit *limit_ip;        /* per business and address, a minute */
	struct bizdir *dir;       /* the businesses, parsed (bizdir.h) */
	struct tmr sweep;
	int64_t max_schedule_ms;
	int64_t lim_phone_15min;  /* global defaults */
	int64_t lim_phone_day;
	int64_t lim_ip_minute;
	bool trust_xff;
	bool full_numbers;
	bool no_line;             /* no call can be placed (demo, no trunk) */
	char admin_hash[65];      /* SHA-256 of admin_token, "" when off */
	struct acd *acd;          /* told of every change; may be NULL (a
				     follower: no ACD on this node) */
	struct cluster *cluster;  /* this node's role, or NULL */
	unsigned relay_max;       /* relay_max_conns */
	struct agent_api *agent;  /* the desktop's sessions (agent.c) */
	struct tz_registry *tz;
	struct httpd *demo;       /* the demo shop's listener (--demo) */
	struct httpd *metrics;    /* metrics_listen, or NULL */
	char metrics_hash[65];    /* SHA-256 of metrics_token, "" when off */
	struct api_voice voice;   /* voice in the browser (voice.c) */
	struct hash *voices;      /* struct voice by callback id */
	struct list desk_calls;   /* agent legs offered to desks (desk.c) */
	struct list listens;      /* supervisors' listeners (listen.c) */
};

/* a business as the API sees it */
/* the desk's sessions watch api->acd (again, once it exists) */
void api_agent_watch(struct api *api);
/* A follower (no ACD here) relays what needs the ACD to the leader
 * (cluster_relay), or answers it 503 not_leader naming the leader,
 * Retry-After: 1 (leader unknown or unreachable), or 503 relay_busy:
 * true when it did one of these. */
bool api_not_leader(struct api *api, struct httpd_req *req);
/* the client's address: the peer's, or X-Forwarded-For's last hop
 * with trust_forwarded_for (a relayed request's peer is its client) */
void api_client_ip(const struct api *api, const struct httpd_req *req,
		   char *buf, size_t sz);
/* "node":"...","leader":"..." (this node, the leader as last seen) */
int  api_node_json(const struct api *api, struct mbuf *mb);

struct biz *api_biz_find(const struct api *api, const char *id,
			     size_t len);
bool api_origin_allowed_any(const struct api *api, const char *origin);

/* replies: every API answer is JSON and never cached */
int api_reply_json(struct httpd_req *req, uint16_t status,
		   const char *hdrs, const char *body, size_t len);
/* the same with the body in n pieces, written once into the answer */
int api_reply_json_pl(struct httpd_req *req, uint16_t status,
		      const char *hdrs, const struct pl *body, size_t n);
/* the same, with another content type (CSV) */
int api_reply_body(struct httpd_req *req, uint16_t status, const char *ctype,
		   const char *hdrs, const char *body, size_t len);
int api_reply_error(struct httpd_req *req, uint16_t status,
		    const char *hdrs, const char *code, const char *field,
		    const char *message);
int api_reply_errno(struct httpd_req *req, int err, const char *hdrs);
/*
 * A body built in mb: the JSON, or "unavailable" (ENOMEM) when building
 * it failed (err, which may be several errors or-ed, or no mb).
 */
int api_reply_mb(struct httpd_req *req, uint16_t status, const char *hdrs,
		 const struct mbuf *mb, int err);

/*
 * CORS: the headers for an answer to a request from this origin, or ""
 * (origin absent or not allowed). buf >= API_MAX_ORIGIN + 128.
 */
const char *api_cors_hdrs(char *buf, size_t sz, const char *origin,
			  bool allowed);
/* the Origin header as a string; false when absent */
bool api_req_origin(const struct httpd_req *req, char *buf, size_t sz);

/* routes (callbacks.c) */
void api_callbacks_post(struct api *api, struct httpd_req *req);
void api_callbacks_preflight(struct api *api, struct httpd_req *req);
void api_callback_get(struct api *api, struct httpd_req *req,
		      const struct pl *id);
void api_callback_delete(struct api *api, struct httpd_req *req,
			 const struct pl *id);

/*
 * ice.c: the STUN/TURN servers of ice_servers for a browser's
 * RTCPeerConnection. api_ice_check: the list (space-separated stun:,
 * stuns:, turn:, turns: URLs, bounded) is valid, TURN only with
 * turn_secret; logs what is wrong. api_ice_json: the JSON array for
 * RTCPeerConnection's iceServers, with TURN credentials minted for user
 * (a callback's id, an agent's): the visitor's offer carries it, and the
 * desk's phone can hand the same to its page.
 */
struct mbuf;
int api_ice_check(const char *list, bool have_secret);
int api_ice_json(const struct api *api, struct mbuf *mb, const char *user);

/* voice.c: the visitors' calls in the browser */
bool api_voice_available(const struct api *api);
const char *api_voice_mode(const struct api *api, const struct business *b);
int  api_voice_add(struct api *api, const char *id, const char *business,
		   const char *hash, const char *cancel_hash);
void api_voice_open(struct api *api, struct httpd_req *req,
		    const struct pl *id);
void api_voice_close_all(struct api *api);

/*
 * desk.c: the desk as a phone. api_desk_msg: a desk page's answer or
 * hang-up (type "answer" with sdp, "hangup" with reason) for call id,
 * from agent's socket sock: 0, ENOENT (no such call of theirs),
 * EALREADY (answered already), EPERM (taken by another page), EINVAL.
 * api_desk_sock_gone: a ready socket of agent closed, phones_left of
 * theirs remain.
 */
bool api_desk_available(const struct api *api);
int  api_desk_msg(struct api *api, const char *agent, const void *sock,
		  const char *type, const char *id, const char *sdp,
		  const char *reason);
void api_desk_sock_gone(struct api *api, const char *agent,
			const void *sock, unsigned phones_left);
void api_desk_close_all(struct api *api);
void api_reply_phone_unreachable(const struct api *api,
				 struct httpd_req *req, const char *agent);

/*
 * listen.c: a supervisor listens to a call. api_listen_start: ENOTSUP
 * (no WebRTC), EALREADY (someone listens), or the dialer's refusal
 * (ENOENT, EBUSY: not bridged). api_listen_stop: ENOENT (none of sup's).
 * api_listen_msg: a page's "listen_answer" (sdp) or "listen_stop" from
 * sup's socket sock: 0, ENOENT, EALREADY, EPERM (another page's).
 * api_listen_sock_gone: a socket of sup closed, pages_left remain.
 */
bool api_listen_available(const struct api *api);
int  api_listen_start(struct api *api, const char *id, const char *sup);
int  api_listen_stop(struct api *api, const char *id, const char *sup);
int  api_listen_msg(struct api *api, const char *sup, const void *sock,
		    const char *type, const char *id, const char *sdp);
void api_listen_sock_gone(struct api *api, const char *sup,
			  const void *sock, unsigned pages_left);
void api_listen_close_all(struct api *api);

/* admin.c: rest is the path after "/v1/admin/" */
void api_admin(struct api *api, struct httpd_req *req, const struct pl *rest);
/* the request carries the admin token (nothing is answered) */
bool api_admin_token_ok(const struct api *api, const struct httpd_req *req);

/* greeting.c: /v1/admin/businesses/ID/greeting (id checked by admin.c) */
void api_greeting(struct api *api, struct httpd_req *req, const char *id);
/* httpd's body_limit: larger for an authenticated greeting upload */
size_t api_greeting_body_limit(const struct api *api,
			       const struct httpd_req *req);

/* agent.c: rest is the path after "/agent/" */
int  api_agent_alloc(struct api *api);
void api_agent(struct api *api, struct httpd_req *req, const struct pl *rest);
/* a callback as the desk shows it, with every event if events */
int  api_cb_json(struct mbuf *mb, const struct callback *cb, bool events);
bool api_agent_logged_in(const struct api *api, const char *agent_id);
void api_agent_logout(struct api *api, const char *agent_id);
/* this node leads: the desk's sessions loaded from the store */
void api_agent_restore(struct api *api);
/* the agent's desk sockets that are a phone: how many; send to them */
unsigned api_agent_phones(const struct api *api, const char *agent_id);
void api_agent_send(struct api *api, const char *agent_id, const char *msg,
		    size_t len);
/* every desk socket of the agent (a supervisor's listen): how many; send */
unsigned api_agent_pages(const struct api *api, const char *agent_id);
void api_agent_send_pages(struct api *api, const char *agent_id,
			  const char *msg, size_t len);

/* supervise.c: a supervisor's actions, under /agent/api/supervisor/
 * (rest: what follows it), for a supervisor's session already checked
 * (by: their agent id; businesses: those they serve) */
void api_supervise(struct api *api, struct httpd_req *req, const char *by,
		   const char *businesses, const struct pl *rest);

/* business.c: rest is the path after "/v1/businesses/" */
void api_business_public(struct api *api, struct httpd_req *req,
			 const struct pl *rest);

/* webhooks.c: biz the business id, rest "webhooks[/WID]" */
void api_webhooks(struct api *api, struct httpd_req *req,
		  const struct pl *biz, const struct pl *rest);

/*
 * report.c: GET /v1/admin/reports and /v1/admin/callbacks/search, and
 * the supervisors' /agent/api/reports and /agent/api/search; scope: the
 * businesses they may see (space-separated; NULL: every one).
 */
void api_report(struct api *api, struct httpd_req *req, const char *scope);
void api_search(struct api *api, struct httpd_req *req, const char *scope);

/* metrics.c: GET /metrics; own: on metrics_listen */
void api_metrics(struct api *api, struct httpd_req *req, bool own);
int  api_metrics_listen(struct api *api);

/* static.c */
bool api_static_path_ok(const char *p, size_t len);
int  api_static_send(struct api *api, struct httpd_req *req, const char *dir,
		     const char *rel, const char *hdrs);
void api_static_agent(struct api *api, struct httpd_req *req,
		      const struct pl *rest);

/* validate.c */
bool api_origin_match(const char *pattern, const char *origin);
bool api_origin_in_list(const char *list, const char *origin);
bool api_key_in_list(const char *list, const char *key, size_t len);
int  api_check_url(const char *s, size_t len);
bool api_id_valid(const char *s, size_t len);
bool api_idem_key_valid(const char *s, size_t len);
int  api_parse_when(int64_t *msp, const char *s, size_t len, int64_t now,
		    int64_t max_ahead_ms, const char **whyp);
int  api_new_id(char *buf, size_t sz, int64_t now);
bool api_parse_amount(const char *s, int64_t *centsp);

#endif
