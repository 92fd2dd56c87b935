/*
 * dialer: beckon's calling equipment, a SIP back-to-back user agent.
 *
 * Given a customer (an E.164 number, reached through the trunk) and an
 * agent (a softphone registered to beckon, a fixed SIP URI, or a number
 * through the trunk), either of which may instead be a browser
 * ("webrtc:LABEL", through rtpengine: webrtc.c), it places both calls,
 * plays prompts, bridges the media, and reports what happened on each
 * leg with a reason. The rest of
 * beckon and third-party programs drive it with the same commands and
 * receive the same events: in process through this header, or over TCP
 * with the call-control protocol (docs/call-control.md), whose JSON
 * objects carry exactly the fields of struct dialer_event.
 *
 * A call (customer first, the default):
 *
 *   originate -> INVITE customer --answered--> hold prompt, INVITE agent
 *      |             |                               |        |
 *      |        busy, no answer,           agent fails: report it,
 *      |        declined, ... : ended      keep holding; offer_agent
 *      |                                   tries another; max_hold plays
 *      |                                   goodbye and ends the call
 *      |                                              |
 *      |                                    agent answers: bridged
 *      |                                              |
 *      +-----------------------------------> either hangs up: ended
 *
 * Agent first: INVITE the agent, play the whisper prompt, INVITE the
 * customer, bridge; a failure of either leg ends the call.
 *
 * Every call ends with exactly one "ended" event carrying a reason. The
 * registrar (agents REGISTER with digest credentials set by
 * dialer_agent_set) and the refusal of every unauthenticated request live
 * here too: beckon never routes a call it did not originate.
 */
#ifndef BECKON_DIALER_H
#define BECKON_DIALER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg;
struct dialer;

enum dialer_mode {
	DIALER_CUSTOMER_FIRST = 0,
	DIALER_AGENT_FIRST,
};

enum dialer_leg {
	DIALER_LEG_NONE = 0,      /* an event of the whole call */
	DIALER_LEG_CUSTOMER,
	DIALER_LEG_AGENT,
	DIALER_LEG_LISTENER,      /* a browser listening to the call
				     (dialer_listen) */
};

enum dialer_ev {
	DIALER_EV_INVITE,         /* an INVITE went out on a leg (webrtc:
				     the offer went to rtpengine) */
	DIALER_EV_WEBRTC_OFFER,   /* the SDP offer for a browser's leg */
	DIALER_EV_RINGING,        /* 180/183 (early_media: with SDP) */
	DIALER_EV_ANSWERED,       /* 200 OK and ACK */
	DIALER_EV_BRIDGED,        /* customer and agent hear each other */
	DIALER_EV_HOLD,           /* a leg put the other on hold */
	DIALER_EV_UNHOLD,
	DIALER_EV_DTMF,           /* a telephone event crossed the bridge */
	DIALER_EV_LEG_ENDED,      /* a leg is over, the call goes on */
	DIALER_EV_ENDED,          /* the call is over: the last event */
};

enum dialer_reason {
	DIALER_R_NONE = 0,
	DIALER_R_CUSTOMER_HANGUP,
	DIALER_R_AGENT_HANGUP,
	DIALER_R_SYSTEM_HANGUP,   /* dialer_hangup(), shutdown */
	DIALER_R_BUSY,            /* 486, 600 */
	DIALER_R_NO_ANSWER,       /* ring timeout (CANCEL), 408, 480 */
	DIALER_R_DECLINED,        /* 603 */
	DIALER_R_UNREACHABLE,     /* no response, transport error, 404, 5xx */
	DIALER_R_CANCELED,        /* the other side ended first */
	DIALER_R_INCOMPATIBLE,    /* 488, 606, or an answer with no codec */
	DIALER_R_REJECTED,        /* any other final response */
	DIALER_R_MEDIA_TIMEOUT,   /* no RTP for rtp_timeout seconds */
	DIALER_R_MAX_HOLD,        /* no agent took the call in time */
	DIALER_R_NO_AGENT,        /* an agent that cannot be reached now */
	DIALER_R_MEDIA_FAILED,    /* a browser's ICE or DTLS failed */
	DIALER_R_FAILED,          /* a local error (no RTP port, ...) */
	DIALER_R_NO_HUMAN,        /* the guard's key was not pressed: an
				     answering machine, most likely */
	DIALER_R_LISTENER_HANGUP, /* the listener's browser left */
	DIALER_R_LAST = DIALER_R_LISTENER_HANGUP,  /* keep it the last */
};

/*
 * The codes of the protocol's error lines ("code"; docs/call-control.md,
 * "Errors", lists them and what each means). One name table (event.c):
 * the dialer writes them, the server's link (app/remote.c) reads them.
 */
enum dialer_err {
	DIALER_E_UNKNOWN = 0,     /* a code this side does not know */
	DIALER_E_AUTH_REQUIRED,
	DIALER_E_AUTH_FAILED,
	DIALER_E_BAD_JSON,
	DIALER_E_LINE_TOO_LONG,
	DIALER_E_UNKNOWN_COMMAND,
	DIALER_E_BAD_REQUEST,
	DIALER_E_DUPLICATE_ID,
	DIALER_E_NOT_FOUND,
	DIALER_E_BUSY,
	DIALER_E_STALE,
	DIALER_E_WEBRTC_UNAVAILABLE,
	DIALER_E_SHUTTING_DOWN,
	DIALER_E_FAILED,
	DIALER_E_COUNT            /* keep it the last */
};

/* the JSON object of an event has these fields, with these names */
struct dialer_event {
	enum dialer_ev type;      /* "event" */
	const char *id;           /* "id" of the call */
	enum dialer_leg leg;      /* "leg" (omitted when NONE) */
	enum dialer_reason reason;/* "reason" (ended, leg_ended) */
	uint16_t sip;             /* "sip": the leg's SIP status (0: none) */
	int64_t t;                /* "t": milliseconds since the epoch */
	const char *agent;        /* "agent": agent events, as given */
	bool early_media;         /* "early_media" (ringing) */
	char digit;               /* "digit" (dtmf) */
	const char *recording;    /* "recording": file name (ended) */
	const char *endpoint;     /* "endpoint": webrtc:LABEL (webrtc_offer) */
	const char *sdp;          /* "sdp": for the browser (webrtc_offer) */
	/* "answered_t", "bridged_t" (ended, leg_ended): when the customer
	 * answered and when the call was first bridged; 0 (absent): never.
	 * A controller that took the call over learns from them what the
	 * one before heard and may not have stored */
	int64_t answered_t;
	int64_t bridged_t;
};

typedef void (dialer_event_h)(const struct dialer_event *ev, void *arg);

struct dialer_call_params {
	const char *id;           /* 1..64 of [A-Za-z0-9._:-], unique */
	const char *customer;     /* E.164: '+' and 8..15 digits, or
				     webrtc:LABEL */
	const char *agent;        /* sip:/sips: URI, agent id, E.164 or
				     webrtc:LABEL; NULL: hold until
				     dialer_offer_agent */
	enum dialer_mode mode;
	const char *prompt;       /* hold music, a prompt_dir name (NULL,
				     "": the configured moh) */
	const char *whisper;      /* agent-first whisper (NULL: none) */
	const char *goodbye;      /* after max_hold (default "goodbye") */
	const char *caller_id;    /* E.164 shown to the customer */
	uint32_t customer_ring;   /* seconds; 0: ring_timeout */
	uint32_t agent_ring;      /* seconds; 0: ring_timeout */
	uint32_t max_hold;        /* seconds; 0: max_hold */
	bool record;              /* stereo WAV in record_dir */
	/* on hold (customer first): the greeting_dir file GREETING.wav
	 * if there is one (a business id), then the place in line and the
	 * expected wait in language's voice, again every announce_every
	 * seconds (0: once), music between (dialer_announce updates) */
	const char *language;     /* "en" (NULL, "") or "fr" */
	const char *greeting;     /* NULL: none */
	uint32_t announce_every;  /* seconds, 0 or 10..3600 */
	int64_t position;         /* 0: unknown, not said */
	int64_t eta;              /* seconds, -1: unknown, not said */
	/* the answering-machine guard (customer first): when the customer
	 * answers they hear "press 1" (language's voice) and must press it
	 * (RFC 4733 or in-band) within human_check seconds before they hold
	 * and an agent is called; else the call ends with no_human */
	uint32_t human_check;     /* seconds, 0 (no guard) or 3..60 */
};

/* the bounds of announce_every (0: once), seconds */
enum {
	DIALER_ANNOUNCE_MIN = 10,
	DIALER_ANNOUNCE_MAX = 3600,
};

/* the bounds of human_check (0: no guard), seconds, and its key */
enum {
	DIALER_HUMAN_CHECK_MIN = 3,
	DIALER_HUMAN_CHECK_MAX = 60,
	DIALER_HUMAN_KEY = '1',
};

struct dialer_status {
	const char *state;        /* "calling", "holding", "bridged", ... */
	enum dialer_mode mode;
	const char *customer_state;   /* "calling", "ringing", "answered",
					 "ended", or "" */
	const char *agent_state;
	const char *agent;
	int64_t created;          /* ms since the epoch */
	int64_t answered_t;       /* the customer answered; 0: not */
	int64_t bridged_t;        /* first bridged; 0: never */
	dialer_event_h *eh;       /* who gets its events (NULL: nobody) */
	const void *eh_arg;
};

int  dialer_alloc(struct dialer **dp, const struct cfg *cfg);
/* true when cfg asks for a dialer in this process ("dialer local") */
bool dialer_configured(const struct cfg *cfg);

/*
 * Check params without placing a call: 0, or EINVAL (ENOTSUP: a webrtc
 * endpoint and no rtpengine) with *fieldp naming the field at fault
 * ("id", "customer", "agent", "prompt", ...).
 */
int dialer_call_check(const struct dialer *d,
		      const struct dialer_call_params *p,
		      const char **fieldp);

/* EINVAL (bad params), EEXIST (id in use), or 0: h gets every event */
int dialer_originate(struct dialer *d, const struct dialer_call_params *p,
		     dialer_event_h *h, void *arg);
/* ENOENT: no such call */
int dialer_hangup(struct dialer *d, const char *id);
/*
 * Offer a held customer to an agent. ENOENT: no such call; EINVAL: a bad
 * agent; EBUSY: the call is not waiting for an agent (still calling the
 * customer, already ringing an agent, bridged, or agent first).
 */
int dialer_offer_agent(struct dialer *d, const char *id, const char *agent,
		       uint32_t ring);
/*
 * The customer's place in line and expected wait changed: said at the
 * next announcement. ENOENT: no such call; EINVAL: bad numbers.
 */
int dialer_announce(struct dialer *d, const char *id, int64_t position,
		    int64_t eta);
/*
 * A browser's side of a webrtc leg (webrtc.c), as the controller relays
 * it. The answer: its SDP, which rtpengine turns into plain RTP/AVP, then
 * the leg is answered (or ends "incompatible"). ENOENT: no such call;
 * ENODEV: that leg is not a webrtc leg; EBUSY: it is not waiting for an
 * answer; EINVAL: no SDP, or longer than DIALER_WEBRTC_SDP_MAX.
 */
enum { DIALER_WEBRTC_SDP_MAX = 6144 };
int dialer_webrtc_answer(struct dialer *d, const char *id,
			 enum dialer_leg leg, const char *sdp);
/*
 * The browser's side ended the leg: reason CUSTOMER_HANGUP or
 * AGENT_HANGUP (the leg's own, whichever is given), DECLINED,
 * UNREACHABLE or MEDIA_FAILED (EINVAL otherwise). ENOENT, ENODEV: as
 * above; EALREADY: the leg has ended.
 */
int dialer_webrtc_hangup(struct dialer *d, const char *id,
			 enum dialer_leg leg, enum dialer_reason reason);
/*
 * The browser's side holds the leg (on) or takes it off hold: as a
 * phone's re-INVITE with a=sendonly does, without renegotiating with
 * rtpengine: the other side hears the hold audio (events hold,
 * unhold). ENOENT, ENODEV: as above; EBUSY: the leg is not answered;
 * EALREADY: it is held (not held) already.
 */
int dialer_webrtc_hold(struct dialer *d, const char *id,
		       enum dialer_leg leg, bool on);
/*
 * A browser listens to a bridged call (endpoint webrtc:LABEL): a
 * listener leg, receive-only, through rtpengine like any webrtc leg
 * (webrtc_offer, then webrtc_answer and webrtc_hangup with leg
 * DIALER_LEG_LISTENER), that hears the customer and the agent mixed
 * (media_listen) and that nobody hears. Its end (leg_ended, leg
 * "listener") leaves the call as it is; the call's end ends it.
 * ENOENT: no such call; EBUSY: not bridged; EALREADY: someone listens
 * already; EINVAL: not webrtc:LABEL; ENOTSUP: no rtpengine.
 */
int dialer_listen_check(const struct dialer *d, const char *id,
			const char *endpoint);
int dialer_listen(struct dialer *d, const char *id, const char *endpoint);
/* a browser's reason by its protocol name: "hangup" (the leg's own),
 * "declined", "unreachable", "media_failed"; DIALER_R_NONE otherwise */
enum dialer_reason dialer_webrtc_reason(const char *name);
/* can this dialer place webrtc legs (it has an rtpengine)? */
bool dialer_has_webrtc(const struct dialer *d);
/* is spec a browser's leg, webrtc:LABEL? */
bool dialer_webrtc_endpoint(const char *spec);

int dialer_status(const struct dialer *d, const char *id,
		  struct dialer_status *st);
unsigned dialer_call_count(const struct dialer *d);
typedef void (dialer_status_h)(const char *id, const struct dialer_status *st,
			       void *arg);
void dialer_status_all(const struct dialer *d, dialer_status_h *h,
		       void *arg);
/*
 * Bytes of heap in use in this process (glibc's mallinfo2; 0 where it is
 * missing): the status command reports it, so that a test can tell a
 * leak from memory the allocator keeps.
 */
size_t dialer_heap_used(void);
/*
 * Send the events of every call that goes to (h, arg) to (nh, narg)
 * instead (nh NULL: to nobody), e.g. when a client left.
 */
void dialer_move_handler(struct dialer *d, dialer_event_h *h, void *arg,
			 dialer_event_h *nh, void *narg);
/*
 * The same for one call, only if its events go to (h, arg) now: ENOENT,
 * no such call; EBUSY, they go elsewhere.
 */
int  dialer_claim(struct dialer *d, const char *id, dialer_event_h *h,
		  void *arg, dialer_event_h *nh, void *narg);

/*
 * SIP credentials of an agent (its id is the user part of its AOR) and,
 * optionally, a fixed endpoint (a desk phone's URI) used when it has no
 * registration. NULL password: the agent cannot register.
 */
int  dialer_agent_set(struct dialer *d, const char *id, const char *password,
		      const char *endpoint);
int  dialer_agent_del(struct dialer *d, const char *id);
/* the contact of a live registration, or NULL */
const char *dialer_agent_contact(const struct dialer *d, const char *id);
/*
 * Told when an agent's softphone registers or unregisters, so that the
 * ACD may route to it at once; a registration that lapses is not told
 * (dialer_agent_contact says so when asked).
 */
typedef void (dialer_reg_h)(const char *agent_id, void *arg);
void dialer_set_reg_handler(struct dialer *d, dialer_reg_h *h, void *arg);

/*
 * End a customer-first call on hold for which no agent is left: the
 * goodbye prompt, then "ended" with reason no_agent, as max_hold does
 * with max_hold. ENOENT: no such call; EBUSY: not holding, or an agent
 * leg is ringing.
 */
int dialer_release(struct dialer *d, const char *id);

/* hang up every call (the events are sent) and stop listening */
void dialer_shutdown(struct dialer *d);

const char *dialer_ev_name(enum dialer_ev ev);
const char *dialer_reason_name(enum dialer_reason r);
const char *dialer_leg_name(enum dialer_leg leg);
/* an error code's name ("?" for UNKNOWN), and back (UNKNOWN: none) */
const char *dialer_err_name(enum dialer_err e);
enum dialer_err dialer_err_parse(const char *name);

/* a language the hold announcements speak: "en" or "fr" */
bool dialer_language_valid(const char *lang);

/* '+' then 8..15 digits, the first not 0 */
bool dialer_e164_valid(const char *s);

/*
 * The call-control protocol's lines (line.c), one codec for both ends:
 * the dialer's listener (control.c) and the server's remote dialer
 * (app/remote.c). A line is one JSON object ending in LF (a CR before
 * it is dropped), at most DIALER_LINE_MAX bytes.
 *
 * dialer_line_next: the next line in buf[0..len): 0 with the line in
 * *linep (without its end, maybe empty) and the bytes it took in *usedp;
 * EAGAIN while no whole line is there; EMSGSIZE for a line longer than
 * DIALER_LINE_MAX, whole or not yet (the peer is broken or hostile).
 * dialer_line_decode: the line as one JSON object (blanks around it
 * allowed), at most 16 keys deep 4: 0 and *odp, or EBADMSG.
 */
enum { DIALER_LINE_MAX = 8192 };

struct pl;
struct odict;

int dialer_line_next(const uint8_t *buf, size_t len, struct pl *linep,
		     size_t *usedp);
int dialer_line_decode(struct odict **odp, const struct pl *line);

#endif
