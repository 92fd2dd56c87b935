/*
 * What the dialer's files share: the dialer itself (ua.c), calls
 * (call.c), legs (leg.c), the registrar (registrar.c), events (event.c)
 * and the call-control listener (control.c).
 *
 * Ownership: the dialer owns its calls (a hash by id); a call owns its
 * legs; a leg owns its SIP session, its SDP session and its media stream.
 * Calls and legs that end are unlinked at once (so an id can be used
 * again) and freed from a zero-delay timer, never inside a handler of
 * their own.
 */
#ifndef BECKON_DIALER_INT_H
#define BECKON_DIALER_INT_H

#include <re.h>
#include "media/media.h"
#include "dialer/dialer.h"

#define DIALER_ALLOW "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, REGISTER"

enum {
	DIALER_ID_MAX = 64,
	DIALER_URI_MAX = 512,
	DIALER_PROMPT_NAME_MAX = 32,
};

struct control;
struct dcall;
struct leg;

struct dialer {
	struct sip *sip;
	struct sipsess_sock *sock;
	struct sip_lsnr *lsnr;
	struct dnsc *dnsc;
	struct sipreg *reg;
	struct control *ctl;

	struct sa sip_laddr;        /* as configured (port may be 0) */
	struct sa rtp_laddr;        /* the address in our SDP */
	char domain[256];           /* registrar realm, From host */

	char *trunk_route;          /* "sip:host:port[;transport=tcp]" */
	char *trunk_uri;            /* template with ${e164} / ${digits} */
	char *trunk_user;
	char *trunk_password;

	struct media_conf mconf;
	uint16_t port_min, port_max;
	uint32_t ring_timeout_ms;
	uint32_t max_hold_ms;
	char *prompt_dir;
	char *record_dir;

	struct hash *calls;         /* struct dcall by id */
	struct hash *legs;          /* struct leg by SIP Call-ID */
	struct hash *agents;        /* struct agent by id */
	struct list prompts;        /* loaded prompts, by name */
	struct list dead;           /* ended calls and legs, to free */
	struct tmr reap_tmr;
	unsigned ncalls;

	uint8_t nonce_key[32];      /* for stateless digest nonces */
	bool stopping;
};

/* ---- ua.c */
int  dialer_trunk_uri(const struct dialer *d, char *buf, size_t sz,
		      const char *e164);
int  dialer_prompt_get(struct dialer *d, struct media_prompt **pp,
		       const char *name);
bool dialer_prompt_name_valid(const char *name);
int  dialer_reply_allow(struct dialer *d, const struct sip_msg *msg,
			uint16_t scode, const char *reason);

/* ---- registrar.c */
struct agent;

/* what an agent spec resolves to */
struct agent_target {
	char uri[DIALER_URI_MAX];
	char route[DIALER_URI_MAX];     /* "" or "sip:src;transport=x" */
	bool via_trunk;
};

int  registrar_alloc(struct dialer *d);
bool registrar_request(struct dialer *d, const struct sip_msg *msg);
void registrar_challenge(struct dialer *d, const struct sip_msg *msg,
			 bool stale);
bool registrar_authorized(struct dialer *d, const struct sip_msg *msg,
			  const char **userp, bool *stalep);
void registrar_nonce(const struct dialer *d, char out[49]);
/* EINVAL: not an agent spec; ENOENT: unknown agent id */
int  agent_spec_check(const struct dialer *d, const char *spec);
/* ENODEV: a known agent with no registration and no endpoint */
int  agent_resolve(const struct dialer *d, const char *spec,
		   struct agent_target *t);

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
};

struct leg {
	struct le he;               /* d->legs, by Call-ID */
	struct dialer *d;
	struct dcall *call;
	enum dialer_leg kind;
	enum leg_state state;

	struct sipsess *sess;
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
	const char *uri;
	const char *route;          /* NULL or "" for none */
	bool via_trunk;
	const char *from_uri;
	const char *from_name;
	uint32_t ring_ms;
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

/* ---- call.c */
void call_leg_event(struct dcall *c, struct leg *l, enum leg_ev ev);
/* free obj (linked by le) from a zero-delay timer */
void dialer_reap(struct dialer *d, struct le *le, void *obj);
void dialer_calls_end_all(struct dialer *d, enum dialer_reason reason);

/* ---- event.c */
int  dialer_event_print(struct re_printf *pf, const struct dialer_event *ev);
int  json_str_print(struct re_printf *pf, const char *s);
enum dialer_reason dialer_reason_from_sip(uint16_t scode);

/* ---- control.c */
int  control_alloc(struct control **ctlp, struct dialer *d,
		   const struct sa *laddr, const char *secret);
void control_stop(struct control *ctl);

#endif
