/*
 * What the dialer's files share: the dialer itself (ua.c), calls
 * (call.c), legs (leg.c), browsers' legs through rtpengine (webrtc.c),
 * the registrar (registrar.c), events (event.c) and the call-control
 * listener (control.c).
 *
 * Ownership: the dialer owns its calls (a hash by id) and its rtpengine
 * client; a call owns its legs; a leg owns its SIP session (or, for a
 * browser, its webrtc part), its SDP session and its media stream.
 * Calls and legs that end are unlinked at once (so an id can be used
 * again) and freed from a zero-delay timer, never inside a handler of
 * their own.
 */
#ifndef BECKON_DIALER_INT_H
#define BECKON_DIALER_INT_H

#include <re.h>
#include "limit/limit.h"
#include "media/media.h"
#include "dialer/dialer.h"

/* a field of a SIP message for a log line, bounded (log_field) */
#define LOG_PL(buf, pl) log_field(buf, sizeof(buf), (pl).p, (pl).l)

#define DIALER_ALLOW "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, REGISTER"

enum {
	DIALER_ID_MAX = 64,
	DIALER_URI_MAX = 512,
	DIALER_PROMPT_NAME_MAX = 32,
};

struct control;
struct dcall;
struct leg;
struct rtpengine;
struct rtpengine_req;
struct webrtc_leg;

struct dialer {
	struct sip *sip;
	struct sipsess_sock *sock;
	struct sip_lsnr *check;     /* first in line: dialer_check_request */
	struct sip_lsnr *lsnr;
	struct dnsc *dnsc;
	struct sipreg *reg;
	struct control *ctl;
	struct rtpengine *rtpe;     /* NULL: no webrtc legs (webrtc.c) */
	struct rtpengine_req *rtpe_ping;
	struct sa rtpe_ng;

	struct sa sip_laddr;        /* as configured (port may be 0) */
	struct sa rtp_laddr;        /* the address in our SDP */
	char domain[256];           /* registrar realm, From host */
	char *user_agent;           /* User-Agent, Server (NULL: none) */

	char *trunk_route;          /* "sip:host:port[;transport=tcp]" */
	char *trunk_uri;            /* template with ${e164} / ${digits} */
	char *trunk_user;
	char *trunk_password;

	struct media_conf mconf;
	uint16_t port_min, port_max;
	uint32_t ring_timeout_ms;
	uint32_t max_hold_ms;
	int backlog;                /* of the SIP TCP listening socket */
	char *prompt_dir;
	char *sounds_dir;           /* Debian's asterisk-core-sounds */
	char *moh;                  /* the music of calls that name none */
	char *greeting_dir;         /* businesses' greetings, by id */
	char *record_dir;

	struct hash *calls;         /* struct dcall by id */
	struct hash *legs;          /* struct leg by SIP Call-ID */
	struct hash *agents;        /* struct agent by id */
	struct list prompts;        /* loaded prompts, by name */
	struct list dead;           /* ended calls and legs, to free */
	struct tmr reap_tmr;
	unsigned ncalls;

	uint8_t nonce_key[32];      /* for stateless digest nonces */
	struct limit_ban *bans;     /* failed digests, by source (+ user) */
	struct limit_ban_conf ban_user;  /* per (source, user) */
	struct limit_ban_conf ban_ip;    /* per source */
	bool stopping;
	dialer_reg_h *regh;         /* an agent (un)registered */
	void *reg_arg;
};

/* ---- ua.c */
int  dialer_trunk_uri(const struct dialer *d, char *buf, size_t sz,
		      const char *e164);
int  dialer_prompt_get(struct dialer *d, struct media_prompt **pp,
		       const char *name);
/* a prompt by file path, loaded on first use and kept */
int  dialer_prompt_path(struct dialer *d, struct media_prompt **pp,
			const char *path);
bool dialer_prompt_name_valid(const char *name);
int  dialer_reply_allow(struct dialer *d, const struct sip_msg *msg,
			uint16_t scode, const char *reason);

/* ---- check.c: true when msg was invalid (and answered, unless ACK) */
bool dialer_check_request(struct dialer *d, const struct sip_msg *msg);

/* ---- registrar.c */
struct agent;

/* what an agent spec resolves to */
struct agent_target {
	char uri[DIALER_URI_MAX];
	char route[DIALER_URI_MAX];     /* "" or "sip:src;transport=x" */
	bool via_trunk;
};

int  registrar_alloc(struct dialer *d, const struct cfg *cfg);
bool registrar_request(struct dialer *d, const struct sip_msg *msg);
void registrar_challenge(struct dialer *d, const struct sip_msg *msg,
			 bool stale);
/* what a request's credentials are worth */
enum reg_auth {
	REG_AUTH_NONE,          /* none given */
	REG_AUTH_OK,            /* an agent's: *userp is its id */
	REG_AUTH_STALE,         /* good, but for an expired nonce */
	REG_AUTH_FAILED,        /* wrong, unknown, or from a banned source */
};

enum reg_auth registrar_auth(struct dialer *d, const struct sip_msg *msg,
			     const char **userp);
void registrar_nonce(const struct dialer *d, char out[49]);
/* EINVAL: not an agent spec; ENOENT: unknown agent id */
int  agent_spec_check(const struct dialer *d, const char *spec);
/* ENODEV: a known agent with no registration and no endpoint */
int  agent_resolve(const struct dialer *d, const char *spec,
		   struct agent_target *t);
/* every agent, with the seconds its registration has left (0: none) */
typedef void (registrar_agent_h)(const char *id, uint32_t left_s,
				 void *arg);
void registrar_agents(const struct dialer *d, registrar_agent_h *h,
		      void *arg);

/* ---- leg.c */
enum leg_state {
	LEG_CALLING,
	LEG_RINGING,
	LEG_ANSWERED,
	LEG_ENDED,
};

enum leg_ev {
	LEG_EV_RINGING,
	LEG_EV_EARLY_MEDIA,
	LEG_EV_ANSWERED,
	LEG_EV_HOLD,
	LEG_EV_UNHOLD,
	LEG_EV_ENDED,           /* by the peer or the network */
	LEG_EV_MEDIA_TIMEOUT,
	LEG_EV_PROMPT_END,
	LEG_EV_DTMF,
	LEG_EV_WEBRTC_OFFER,    /* webrtc_leg_offer() has the browser's SDP */
};

struct leg {
	struct le he;               /* d->legs, by Call-ID */
	struct dialer *d;
	struct dcall *call;
	enum dialer_leg kind;
	enum leg_state state;

	struct sipsess *sess;
	struct webrtc_leg *wr;      /* a browser's leg: instead of sess */
	struct sdp_session *sdp;
	struct sdp_media *sdpm;
	struct media_stream *ms;

	char *uri;
	char *callid;
	struct sa raddr;            /* the peer's last real SDP address */
	bool via_trunk;
	bool early_media;
	bool held;                  /* the peer holds us */
	unsigned redirects;
	uint32_t ring_ms;
	struct tmr ring_tmr;
	struct tmr abort_tmr;

	enum dialer_reason reason;  /* why it ended */
	uint16_t scode;             /* final response, 200 once answered */
	char digit;                 /* last DTMF */
};

struct leg_params {
	enum dialer_leg kind;
	const char *uri;            /* or webrtc:LABEL: a browser */
	const char *call_id;        /* the call's id (a browser's leg) */
	const char *route;          /* NULL or "" for none */
	bool via_trunk;
	const char *from_uri;
	const char *from_name;
	uint32_t ring_ms;
	bool sendonly;              /* we only send (a listener) */
};

int  leg_alloc(struct leg **lp, struct dcall *call, struct dialer *d,
	       const struct leg_params *p);
/* end a leg from our side: CANCEL or BYE; no leg event follows */
void leg_hangup(struct leg *l, enum dialer_reason reason, uint16_t scode);
const char *leg_state_name(const struct leg *l);
struct leg *leg_find(struct dialer *d, const struct sip_msg *msg);
/* an in-dialog UPDATE: a new offer */
void leg_update(struct leg *l, const struct sip_msg *msg);
void leg_redirected(struct dialer *d, const struct pl *callid,
		    uint16_t scode);
/* for webrtc.c, which has no SIP session to do these for it: */
/* the peer's SDP answer; EPROTO: unusable (no G.711, port 0) */
int  leg_remote_answer(struct leg *l, struct mbuf *sdp);
void leg_answered(struct leg *l);
/* the leg ended from the peer's side or failed; the call hears of it */
void leg_ended(struct leg *l, enum dialer_reason reason, uint16_t scode);

/* ---- webrtc.c */
/* the rtpengine client, when cfg's rtpengine is set (pinged, logged) */
int  webrtc_init(struct dialer *d, const struct cfg *cfg);
void webrtc_close(struct dialer *d);
bool webrtc_is_endpoint(const char *spec);
/*
 * A customer (E.164) or an agent spec, either possibly webrtc:LABEL: 0,
 * EINVAL, or ENOTSUP (a webrtc endpoint, and this dialer has no
 * rtpengine).
 */
int  dialer_endpoint_check(const struct dialer *d, const char *spec,
			   enum dialer_leg kind);
/* send the leg's offer (l->sdp) through rtpengine; l->wr is set */
int  webrtc_leg_start(struct leg *l, const char *call_id);
/* every end of the leg: rtpengine forgets it (once) */
void webrtc_leg_end(struct leg *l);
const char *webrtc_leg_offer(const struct leg *l);
/* the page holds its answered leg (webrtc_hold) */
bool webrtc_leg_held(const struct leg *l);

/* ---- call.c */
/* could dialer_release end this call now? ENOENT, EBUSY or 0 */
int  dialer_release_check(const struct dialer *d, const char *id);
void call_leg_event(struct dcall *c, struct leg *l, enum leg_ev ev);
/* 1 to 64 of A-Z a-z 0-9 . _ : - (a call id, a browser's label) */
bool dialer_label_valid(const char *s);
/* ENOENT: no such call; ENODEV: the call has no such leg (now) */
int  dialer_call_leg(struct dialer *d, const char *id,
		     enum dialer_leg kind, struct leg **lp);
/* free obj (linked by le) from a zero-delay timer */
void dialer_reap(struct dialer *d, struct le *le, void *obj);
void dialer_calls_end_all(struct dialer *d, enum dialer_reason reason);

/* ---- hold.c: what a customer on hold hears */
struct hold;

struct hold_params {
	const char *lang;           /* "en" (NULL, "") or "fr" */
	struct media_prompt *music; /* looped between announcements */
	struct media_prompt *greeting;  /* the business's own, or NULL */
	uint32_t every_ms;          /* announce again (0: at the start) */
	int64_t position;           /* place in line (0: unknown) */
	int64_t eta_s;              /* expected wait (-1: unknown) */
};

int  hold_alloc(struct hold **hp, struct dialer *d, const char *call_id,
		const struct hold_params *p);
/* the greeting and announcement on ms, then the music */
void hold_start(struct hold *h, struct media_stream *ms);
/* ms's prompt ended: true when it was ours (the music goes on) */
bool hold_prompt_end(struct hold *h);
/* the customer leaves hold (bridged, goodbye): no more announcements */
void hold_stop(struct hold *h);
void hold_numbers(struct hold *h, int64_t position, int64_t eta_s);
/* the folder of sounds_dir with the voice of lang, or NULL */
const char *dialer_voice(const char *lang);

/* ---- guard.c: "press 1" before the customer holds */
struct guard;

typedef void (guard_timeout_h)(void *arg);

/* "Hello. Press 1." in lang's voice, then a pause (played looped) */
int  guard_prompt(struct dialer *d, struct media_prompt **pp,
		  const char *lang);
int  guard_alloc(struct guard **gp, struct dialer *d, const char *lang,
		 uint32_t timeout_ms, guard_timeout_h *th, void *arg);
/* the prompt on ms, in-band keys listened for, the timer running */
int  guard_start(struct guard *g, struct media_stream *ms);
/* a key from the customer: true when it is the one (the guard stops) */
bool guard_key(struct guard *g, int digit);
/* no more prompt, listening or timer (the call ended meanwhile) */
void guard_stop(struct guard *g);

/* ---- event.c */
int  dialer_event_print(struct re_printf *pf, const struct dialer_event *ev);
int  json_str_print(struct re_printf *pf, const char *s);
enum dialer_reason dialer_reason_from_sip(uint16_t scode);

/* ---- control.c */
int  control_alloc(struct control **ctlp, struct dialer *d,
		   const struct sa *laddr, const char *secret);
void control_stop(struct control *ctl);
/* an agent (un)registered: told to the connections that watch agents */
void control_registration(struct control *ctl, const char *id,
			  uint32_t left_s);

#endif
