/*
 * A browser's leg (an endpoint written webrtc:LABEL), and the dialer's
 * rtpengine client (docs/webrtc.md).
 *
 * The leg is a leg like a phone's (leg.c): the same offer (PCMU, PCMA,
 * telephone-event, plain RTP/AVP), the same media stream, the same events
 * towards the call. Only its signalling differs: rtpengine turns our
 * offer into a browser's (ICE, DTLS-SRTP, rtcp-mux, PCMU), the call
 * sends it to the controller as "webrtc_offer", the controller gives back
 * the browser's answer (dialer_webrtc_answer), rtpengine turns that into
 * plain RTP/AVP, and the leg is answered:
 *
 *   CALLING --offer ok--> RINGING --webrtc_answer, answer ok--> ANSWERED
 *      |                     |                                    |
 *      +-- offer fails:      +-- ring timer: no_answer (leg.c)    |
 *          failed            +-- answer refused, no G.711:        |
 *                            |   incompatible                     |
 *                            +-- webrtc_hangup: its reason -------+
 *                                           no RTP: media_timeout-+
 *
 * A listener's leg (dialer_listen) is the same, offered sendonly: the
 * browser only hears.
 *
 * An answered leg is held and taken off hold by the page's word
 * (webrtc_hold), not by a new offer: rtpengine's streams stay as they
 * are, the call plays the hold audio to the other side as for a phone.
 *
 * One rtpengine call per leg, "<call id>.<leg>.<8 random hex>": a call
 * id may come again once its call ended, and rtpengine may keep a
 * deleted call a while. Whatever ends the leg (leg_end, or the leg freed
 * without it) sends one "delete" that nobody waits for: no ending leaks
 * a call in rtpengine. The dialer never sees a browser, only the
 * controller's label for it; no destination is ever taken from one.
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "dialer"
#include "util/util.h"
#include "cfg/cfg.h"
#include "rtpengine/rtpengine.h"
#include "dialer/dialer_int.h"

#define WEBRTC_PREFIX "webrtc:"

enum {
	RTPE_CALLID_MAX = DIALER_ID_MAX + 32,
};

/* rtpengine's tags for the two sides of a leg's call */
static const char tag_dialer[] = "dialer";
static const char tag_browser[] = "browser";

struct webrtc_leg {
	struct leg *l;              /* our owner */
	struct dialer *d;
	struct rtpengine_req *req;  /* the offer or the answer, in flight */
	char callid[RTPE_CALLID_MAX];
	char *offer;                /* rtpengine's SDP for the browser */
	bool deleted;
	bool held;                  /* the page holds the call */
};


static const char *lname(const struct leg *l)
{
	return dialer_leg_name(l->kind);
}


/* rtpengine forgets the leg's call; once, nobody waits for the reply */
static void wr_end(struct webrtc_leg *w)
{
	const struct rtpengine_call rc = {w->callid, NULL, NULL};
	int err;

	if (w->deleted)
		return;

	w->deleted = true;
	w->req = mem_deref(w->req);
	if (!w->d->rtpe)
		return;

	err = rtpengine_delete(NULL, w->d->rtpe, &rc, NULL, NULL);
	if (err)
		log_warn("%s leg: rtpengine delete %s: %s", lname(w->l),
			 w->callid, strerror(err));
}


static void wr_destructor(void *arg)
{
	struct webrtc_leg *w = arg;

	wr_end(w);
	mem_deref(w->offer);
}


void webrtc_leg_end(struct leg *l)
{
	if (l && l->wr)
		wr_end(l->wr);
}


bool webrtc_leg_held(const struct leg *l)
{
	return l && l->wr && l->wr->held;
}


const char *webrtc_leg_offer(const struct leg *l)
{
	return l && l->wr ? l->wr->offer : NULL;
}


bool webrtc_is_endpoint(const char *spec)
{
	return spec && !strncmp(spec, WEBRTC_PREFIX,
				sizeof(WEBRTC_PREFIX) - 1);
}


bool dialer_webrtc_endpoint(const char *spec)
{
	return webrtc_is_endpoint(spec);
}


int dialer_endpoint_check(const struct dialer *d, const char *spec,
			  enum dialer_leg kind)
{
	if (webrtc_is_endpoint(spec)) {
		if (!dialer_label_valid(spec + sizeof(WEBRTC_PREFIX) - 1))
			return EINVAL;
		return d->rtpe ? 0 : ENOTSUP;
	}

	if (kind == DIALER_LEG_CUSTOMER)
		return dialer_e164_valid(spec) ? 0 : EINVAL;

	return agent_spec_check(d, spec) ? EINVAL : 0;
}


static void offer_handler(int err, const struct odict *reply, void *arg)
{
	struct webrtc_leg *w = arg;
	struct leg *l = w->l;
	const char *sdp = reply ? odict_string(reply, "sdp") : NULL;

	w->req = mem_deref(w->req);

	if (!err && !sdp)
		err = EBADMSG;
	if (!err)
		err = str_dup(&w->offer, sdp);
	if (err) {
		log_warn("%s leg: rtpengine refused or did not answer the "
			 "offer (%s)", lname(l), err == ETIMEDOUT ?
			 "no reply: is rtpengine running?" : strerror(err));
		leg_ended(l, DIALER_R_FAILED, 0);
		return;
	}

	l->state = LEG_RINGING;
	call_leg_event(l->call, l, LEG_EV_WEBRTC_OFFER);
	if (l->state == LEG_RINGING)
		call_leg_event(l->call, l, LEG_EV_RINGING);
}


int webrtc_leg_start(struct leg *l, const char *call_id)
{
	struct rtpengine_call rc;
	struct webrtc_leg *w;
	struct mbuf *desc = NULL;
	char *sdp = NULL;
	int err;

	if (!l->d->rtpe)
		return ENOTSUP;

	w = mem_zalloc(sizeof(*w), wr_destructor);
	if (!w)
		return ENOMEM;

	w->l = l;
	w->d = l->d;
	w->deleted = true;          /* until the offer goes */
	(void)re_snprintf(w->callid, sizeof(w->callid), "%s.%s.%08x",
			  call_id, lname(l), rand_u32());

	err = sdp_encode(&desc, l->sdp, true);
	if (!err)
		err = mbuf_strdup(desc, &sdp, mbuf_get_left(desc));
	if (err)
		goto out;

	rc.call_id = w->callid;
	rc.from_tag = tag_dialer;
	rc.to_tag = NULL;
	err = rtpengine_offer(&w->req, l->d->rtpe, &rc, sdp,
			      RTPENGINE_PEER_WEBRTC, offer_handler, w);
	if (err)
		goto out;

	w->deleted = false;
	log_debug("%s leg: offer to rtpengine as %s", lname(l), w->callid);

 out:
	mem_deref(desc);
	mem_deref(sdp);
	if (err)
		mem_deref(w);
	else
		l->wr = w;

	return err;
}


static void answer_handler(int err, const struct odict *reply, void *arg)
{
	struct webrtc_leg *w = arg;
	struct leg *l = w->l;
	const char *sdp = reply ? odict_string(reply, "sdp") : NULL;
	struct mbuf *mb = NULL;

	w->req = mem_deref(w->req);

	if (err == ETIMEDOUT) {
		log_warn("%s leg: rtpengine did not answer the answer",
			 lname(l));
		leg_ended(l, DIALER_R_FAILED, 0);
		return;
	}

	if (!err && sdp) {
		mb = mbuf_alloc(strlen(sdp));
		err = mb ? mbuf_write_str(mb, sdp) : ENOMEM;
		if (mb)
			mb->pos = 0;
		if (!err)
			err = leg_remote_answer(l, mb);
		mem_deref(mb);
	}
	if (err || !sdp) {
		log_info("%s leg: the browser's answer is unusable (%s)",
			 lname(l), err == EPROTO ? "refused, or no PCMU" :
			 err ? strerror(err) : "no SDP from rtpengine");
		leg_ended(l, DIALER_R_INCOMPATIBLE, 488);
		return;
	}

	leg_answered(l);
}


static int webrtc_leg_find(struct dialer *d, const char *id,
			   enum dialer_leg kind, struct leg **lp)
{
	int err = dialer_call_leg(d, id, kind, lp);

	if (!err && !(*lp)->wr)
		err = ENODEV;

	return err;
}


int dialer_webrtc_answer(struct dialer *d, const char *id,
			 enum dialer_leg kind, const char *sdp)
{
	struct rtpengine_call rc;
	struct webrtc_leg *w;
	struct leg *l;
	int err;

	err = webrtc_leg_find(d, id, kind, &l);
	if (err)
		return err;

	if (!sdp || !*sdp || strlen(sdp) > DIALER_WEBRTC_SDP_MAX)
		return EINVAL;

	w = l->wr;
	if (l->state != LEG_RINGING || w->req)
		return EBUSY;

	rc.call_id = w->callid;
	rc.from_tag = tag_dialer;
	rc.to_tag = tag_browser;

	return rtpengine_answer(&w->req, d->rtpe, &rc, sdp,
				RTPENGINE_PEER_RTP, answer_handler, w);
}


bool dialer_has_webrtc(const struct dialer *d)
{
	return d && d->rtpe;
}


enum dialer_reason dialer_webrtc_reason(const char *name)
{
	static const struct {
		const char *name;
		enum dialer_reason reason;
	} reasons[] = {
		{"hangup",       DIALER_R_CUSTOMER_HANGUP},
		{"declined",     DIALER_R_DECLINED},
		{"unreachable",  DIALER_R_UNREACHABLE},
		{"media_failed", DIALER_R_MEDIA_FAILED},
	};
	size_t i;

	for (i = 0; name && i < ARRAY_SIZE(reasons); i++) {
		if (!strcmp(reasons[i].name, name))
			return reasons[i].reason;
	}

	return DIALER_R_NONE;
}


int dialer_webrtc_hangup(struct dialer *d, const char *id,
			 enum dialer_leg kind, enum dialer_reason reason)
{
	struct leg *l;
	int err;

	switch (reason) {

	case DIALER_R_CUSTOMER_HANGUP:
	case DIALER_R_AGENT_HANGUP:
		/* the leg's own hang-up, whichever the controller said */
		reason = kind == DIALER_LEG_CUSTOMER ?
			DIALER_R_CUSTOMER_HANGUP :
			kind == DIALER_LEG_LISTENER ?
			DIALER_R_LISTENER_HANGUP : DIALER_R_AGENT_HANGUP;
		break;

	case DIALER_R_DECLINED:
	case DIALER_R_UNREACHABLE:
	case DIALER_R_MEDIA_FAILED:
	case DIALER_R_LISTENER_HANGUP:
		break;

	default:
		return EINVAL;
	}

	err = webrtc_leg_find(d, id, kind, &l);
	if (err)
		return err;
	if (l->state == LEG_ENDED)
		return EALREADY;

	log_info("%s leg: the browser's side ended it: %s", lname(l),
		 dialer_reason_name(reason));
	leg_ended(l, reason, l->state == LEG_ANSWERED ? 200 : 0);

	return 0;
}


int dialer_webrtc_hold(struct dialer *d, const char *id,
		       enum dialer_leg kind, bool on)
{
	struct leg *l;
	int err;

	/* a listener is heard by nobody: nothing to hold */
	if (kind == DIALER_LEG_LISTENER)
		return ENODEV;

	err = webrtc_leg_find(d, id, kind, &l);
	if (err)
		return err;
	if (l->state != LEG_ANSWERED)
		return EBUSY;
	if (l->wr->held == on)
		return EALREADY;

	/* the page stops sending its microphone itself; what we send it
	 * changes nothing for the other side. Not l->held: that is what
	 * rtpengine's SDP says, which a page's hold does not change */
	l->wr->held = on;
	log_info("%s leg: the browser %s", lname(l),
		 on ? "holds" : "takes the call off hold");
	call_leg_event(l->call, l, on ? LEG_EV_HOLD : LEG_EV_UNHOLD);

	return 0;
}


/* ---- the client */

static void ping_handler(int err, const struct odict *reply, void *arg)
{
	struct dialer *d = arg;
	char a[64];

	(void)reply;
	d->rtpe_ping = mem_deref(d->rtpe_ping);
	addr_str(a, sizeof(a), &d->rtpe_ng);

	if (err)
		log_warn("rtpengine at %s does not answer a ping (%s): "
			 "webrtc legs fail until it does", a, strerror(err));
	else
		log_info("rtpengine at %s answers: webrtc endpoints on", a);
}


int webrtc_init(struct dialer *d, const struct cfg *cfg)
{
	const char *s = cfg_str(cfg, "rtpengine");
	int err;

	if (!*s) {
		log_debug("no rtpengine: webrtc endpoints are refused");
		return 0;
	}

	if (rtpengine_addr_parse(&d->rtpe_ng, s)) {
		log_error("rtpengine: '%s' is not udp:IP:PORT", s);
		return EINVAL;
	}

	err = rtpengine_alloc(&d->rtpe, &d->rtpe_ng);
	if (!err)
		err = rtpengine_ping(&d->rtpe_ping, d->rtpe, ping_handler, d);
	if (err)
		log_error("rtpengine %s: %s", s, strerror(err));

	return err;
}


void webrtc_close(struct dialer *d)
{
	d->rtpe_ping = mem_deref(d->rtpe_ping);
	d->rtpe = mem_deref(d->rtpe);
}
