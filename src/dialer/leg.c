/*
 * A leg: one outgoing SIP call (libre sipsess) with its SDP session and
 * its media stream. A browser's leg (webrtc:LABEL) is the same leg with
 * the same offer and stream, whose signalling goes through rtpengine and
 * the controller instead of a SIP session (webrtc.c): it calls
 * leg_remote_answer(), leg_answered() and leg_ended() where libre's
 * handlers would.
 *
 *   CALLING --18x--> RINGING --2xx+ACK--> ANSWERED --BYE--> ENDED
 *      |                |                     |
 *      +----------------+--- 3xx-6xx, timeout, ring timeout (CANCEL),
 *                            transport error, our hangup ---> ENDED
 *
 * We always send the offer in the INVITE: PCMU, PCMA and telephone-event.
 * An answer, in a 183 (early media) or in the 2xx, sets where the media
 * goes and which law it uses; one with neither PCMU nor PCMA ends the leg
 * as "incompatible" (libre ACKs the 2xx and sends BYE). Later offers from
 * the peer (re-INVITE or UPDATE) are answered from the same session, and a
 * peer that stops receiving ("a=sendonly", "a=inactive", or the old
 * c=0.0.0.0) holds us: the call is told, to play hold audio to the other
 * side.
 *
 * Every way a leg can end reaches the call once, as LEG_EV_ENDED with a
 * reason and a SIP status, except leg_hangup(): then the call itself
 * decided and already knows.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#define LOG_SUBSYS "dialer"
#include "util/util.h"
#include "dialer/dialer_int.h"

enum {
	TELEV_PT = 101,
};


static void leg_destructor(void *arg)
{
	struct leg *l = arg;

	hash_unlink(&l->he);
	tmr_cancel(&l->ring_tmr);
	tmr_cancel(&l->abort_tmr);

	/* BYE when established, CANCEL when still ringing */
	l->sess = mem_deref(l->sess);
	l->wr = mem_deref(l->wr);
	l->ms = mem_deref(l->ms);
	l->sdp = mem_deref(l->sdp);
	mem_deref(l->uri);
	mem_deref(l->callid);
}


const char *leg_state_name(const struct leg *l)
{
	if (!l)
		return "";

	switch (l->state) {

	case LEG_CALLING:  return "calling";
	case LEG_RINGING:  return "ringing";
	case LEG_ANSWERED: return "answered";
	case LEG_ENDED:    return "ended";
	}

	return "?";
}


static const char *kind(const struct leg *l)
{
	return dialer_leg_name(l->kind);
}


/* End the leg; the call hears of it when notify. */
static void leg_end(struct leg *l, enum dialer_reason reason,
		    uint16_t scode, bool notify)
{
	if (l->state == LEG_ENDED)
		return;

	l->state = LEG_ENDED;
	l->reason = reason;
	l->scode = scode;

	tmr_cancel(&l->ring_tmr);
	tmr_cancel(&l->abort_tmr);
	hash_unlink(&l->he);
	media_unbridge(l->ms);
	media_unlisten(l->ms);
	media_stream_stop(l->ms);
	media_stream_record(l->ms, NULL, 0);
	webrtc_leg_end(l);

	if (notify)
		call_leg_event(l->call, l, LEG_EV_ENDED);
}


void leg_hangup(struct leg *l, enum dialer_reason reason, uint16_t scode)
{
	if (!l || l->state == LEG_ENDED)
		return;

	leg_end(l, reason, scode, false);

	/* libre sends the BYE or CANCEL and sees the transaction through */
	l->sess = mem_deref(l->sess);
}


/*
 * Take the peer's SDP (already decoded into l->sdp) into the media
 * stream. EPROTO: no G.711 in it, or the audio was refused (port 0).
 */
static int apply_remote(struct leg *l, bool *hold_changed)
{
	const struct sdp_media *m = l->sdpm;
	const struct sa *raddr;
	enum sdp_dir rdir;
	int codec = -1, telev = -1;
	bool peer_sends, peer_recvs, held;
	struct le *le;

	if (!sdp_media_rport(m))
		return EPROTO;

	for (le = list_head(sdp_media_format_lst(m, false)); le;
	     le = le->next) {
		const struct sdp_format *fmt = le->data;

		/* static types may come without an rtpmap line */
		if (!fmt->name) {
			if (codec < 0 && (fmt->pt == MEDIA_PCMU ||
					  fmt->pt == MEDIA_PCMA))
				codec = fmt->pt;
			continue;
		}

		if (fmt->srate != MEDIA_SRATE)
			continue;

		if (codec < 0 && !strcasecmp(fmt->name, "PCMU"))
			codec = MEDIA_PCMU;
		else if (codec < 0 && !strcasecmp(fmt->name, "PCMA"))
			codec = MEDIA_PCMA;
		else if (telev < 0 &&
			 !strcasecmp(fmt->name, "telephone-event"))
			telev = fmt->pt;
	}

	if (codec < 0)
		return EPROTO;

	/* libre stores the peer's direction as ours: RECVONLY is a peer
	 * that only sends */
	rdir = sdp_media_rdir(m);
	peer_sends = (rdir & SDP_RECVONLY) != 0;
	peer_recvs = (rdir & SDP_SENDONLY) != 0;

	raddr = sdp_media_raddr(m);
	if (sa_is_any(raddr))
		peer_recvs = false;     /* RFC 2543 hold: c=0.0.0.0 */
	else
		l->raddr = *raddr;

	held = !peer_recvs;
	if (hold_changed)
		*hold_changed = held != l->held;
	l->held = held;

	media_stream_set_remote(l->ms, sa_isset(&l->raddr, SA_ALL) ?
				&l->raddr : raddr, (enum media_codec)codec,
				telev, peer_sends, peer_recvs);

	return 0;
}


static bool has_sdp(const struct sip_msg *msg)
{
	return mbuf_get_left(msg->mb) > 0 &&
		msg_ctype_cmp(&msg->ctyp, "application", "sdp");
}


static void progress_handler(const struct sip_msg *msg, void *arg)
{
	struct leg *l = arg;
	bool first = l->state == LEG_CALLING;
	bool early = false;
	char f[LOG_FIELD_SZ];

	if (l->state == LEG_ENDED || msg->scode <= 100)
		return;

	l->state = LEG_RINGING;

	if (has_sdp(msg) && !sdp_decode(l->sdp, msg->mb, false) &&
	    !apply_remote(l, NULL)) {
		early = !l->early_media;
		l->early_media = true;
	}

	log_debug("%s leg: %u %s%s", kind(l), msg->scode,
		  LOG_PL(f, msg->reason),
		  l->early_media ? " (early media)" : "");

	if (first)
		call_leg_event(l->call, l, LEG_EV_RINGING);
	else if (early)
		call_leg_event(l->call, l, LEG_EV_EARLY_MEDIA);
}


/* The answer to our offer: in the 2xx, or in the ACK to our 2xx. */
static int answer_handler(const struct sip_msg *msg, void *arg)
{
	struct leg *l = arg;
	bool hold_changed = false;
	int err;

	if (!has_sdp(msg)) {
		/* the answer came in a 183 already */
		return l->early_media ? 0 : EPROTO;
	}

	err = sdp_decode(l->sdp, msg->mb, false);
	if (err)
		return EPROTO;

	err = apply_remote(l, &hold_changed);
	if (err) {
		log_info("%s leg: no common codec in the answer", kind(l));
		return err;
	}

	if (hold_changed && l->state == LEG_ANSWERED)
		call_leg_event(l->call, l, l->held ? LEG_EV_HOLD :
			       LEG_EV_UNHOLD);

	return 0;
}


void leg_answered(struct leg *l)
{
	if (l->state == LEG_ENDED)
		return;

	tmr_cancel(&l->ring_tmr);
	l->state = LEG_ANSWERED;
	l->scode = 200;
	media_stream_activate(l->ms);

	call_leg_event(l->call, l, LEG_EV_ANSWERED);
}


static void establish_handler(const struct sip_msg *msg, void *arg)
{
	(void)msg;
	leg_answered(arg);
}


int leg_remote_answer(struct leg *l, struct mbuf *sdp)
{
	if (sdp_decode(l->sdp, sdp, false))
		return EPROTO;

	return apply_remote(l, NULL);
}


void leg_ended(struct leg *l, enum dialer_reason reason, uint16_t scode)
{
	leg_end(l, reason, scode, true);
}


/* A new offer from the peer (re-INVITE); *descp is our answer. */
static int offer_handler(struct mbuf **descp, const struct sip_msg *msg,
			 void *arg)
{
	struct leg *l = arg;
	bool hold_changed = false;
	int err;

	if (!has_sdp(msg)) {
		/* an offerless re-INVITE: we offer, the ACK answers */
		return sdp_encode(descp, l->sdp, true);
	}

	err = sdp_decode(l->sdp, msg->mb, true);
	if (!err)
		err = apply_remote(l, &hold_changed);
	if (err) {
		log_info("%s leg: re-INVITE without G.711: 488", kind(l));
		return EPROTO;
	}

	err = sdp_encode(descp, l->sdp, false);
	if (err)
		return err;

	if (hold_changed)
		call_leg_event(l->call, l, l->held ? LEG_EV_HOLD :
			       LEG_EV_UNHOLD);

	return 0;
}


static void close_handler(int err, const struct sip_msg *msg, void *arg)
{
	struct leg *l = arg;
	enum dialer_reason reason;
	uint16_t scode;

	if (l->state == LEG_ENDED)
		return;

	if (err == ECONNRESET) {
		/* BYE from the peer */
		reason = l->kind == DIALER_LEG_CUSTOMER ?
			DIALER_R_CUSTOMER_HANGUP : DIALER_R_AGENT_HANGUP;
		scode = 200;
	}
	else if (msg && msg->scode >= 300) {
		reason = dialer_reason_from_sip(msg->scode);
		scode = msg->scode;
	}
	else if (msg && err) {
		/* a 2xx whose answer we could not use */
		reason = DIALER_R_INCOMPATIBLE;
		scode = 488;
	}
	else if (err == ETIMEDOUT) {
		reason = DIALER_R_UNREACHABLE;
		scode = 408;
	}
	else {
		reason = DIALER_R_UNREACHABLE;
		scode = 503;
	}

	/* libre reports the peer's BYE as ECONNRESET: say what it was */
	log_info("%s leg: %s (%u%s%s)", kind(l), dialer_reason_name(reason),
		 scode, err ? ", " : "", err == ECONNRESET ? "BYE" :
		 err ? strerror(err) : "");

	leg_end(l, reason, scode, true);
}


static void ring_timeout(void *arg)
{
	struct leg *l = arg;

	log_info("%s leg: no answer in %u s%s", kind(l),
		 l->ring_ms / 1000, l->wr ? "" : ": CANCEL");

	leg_end(l, DIALER_R_NO_ANSWER, 487, false);
	l->sess = mem_deref(l->sess);
	call_leg_event(l->call, l, LEG_EV_ENDED);
}


static void abort_redirect(void *arg)
{
	struct leg *l = arg;

	log_info("%s leg: redirected again (%u): not followed", kind(l),
		 l->scode);

	leg_end(l, DIALER_R_UNREACHABLE, l->scode, false);
	l->sess = mem_deref(l->sess);
	call_leg_event(l->call, l, LEG_EV_ENDED);
}


static bool callid_cmp(struct le *le, void *arg)
{
	const struct leg *l = le->data;

	return !pl_strcmp(arg, l->callid);
}


void leg_redirected(struct dialer *d, const struct pl *callid,
		    uint16_t scode)
{
	struct leg *l = list_ledata(hash_lookup(d->legs,
						hash_joaat_pl(callid),
						callid_cmp, (void *)callid));

	if (!l || l->state == LEG_ENDED)
		return;

	if (++l->redirects == 1) {
		log_info("%s leg: %u redirect: following it", kind(l), scode);
		return;
	}

	/* libre is about to follow this one too: stop it right after */
	l->scode = scode;
	tmr_start(&l->abort_tmr, 0, abort_redirect, l);
}


struct leg *leg_find(struct dialer *d, const struct sip_msg *msg)
{
	struct leg *l = list_ledata(hash_lookup(d->legs,
						hash_joaat_pl(&msg->callid),
						callid_cmp,
						(void *)&msg->callid));
	struct sip_dialog *dlg;

	if (!l || !l->sess)
		return NULL;

	dlg = sipsess_dialog(l->sess);
	if (sip_dialog_established(dlg) ? !sip_dialog_cmp(dlg, msg) :
	    !sip_dialog_cmp_half(dlg, msg))
		return NULL;

	return l;
}


/* An UPDATE in the dialog: answer its offer like a re-INVITE's. */
void leg_update(struct leg *l, const struct sip_msg *msg)
{
	struct sip *sip = l->d->sip;
	struct mbuf *desc = NULL;
	bool hold_changed = false;
	int err;

	if (!sip_dialog_rseq_valid(sipsess_dialog(l->sess), msg)) {
		(void)sip_treply(NULL, sip, msg, 500, "Server Internal Error");
		return;
	}

	if (!has_sdp(msg)) {
		(void)sip_treplyf(NULL, NULL, sip, msg, true, 200, "OK",
				  "Content-Length: 0\r\n\r\n");
		return;
	}

	err = sdp_decode(l->sdp, msg->mb, true);
	if (!err)
		err = apply_remote(l, &hold_changed);
	if (!err)
		err = sdp_encode(&desc, l->sdp, false);
	if (err) {
		(void)sip_treply(NULL, sip, msg, 488, "Not Acceptable Here");
		return;
	}

	(void)sip_treplyf(NULL, NULL, sip, msg, true, 200, "OK",
			  "Content-Type: application/sdp\r\n"
			  "Content-Length: %zu\r\n"
			  "\r\n"
			  "%b",
			  mbuf_get_left(desc), mbuf_buf(desc),
			  mbuf_get_left(desc));
	mem_deref(desc);

	if (hold_changed && l->state == LEG_ANSWERED)
		call_leg_event(l->call, l, l->held ? LEG_EV_HOLD :
			       LEG_EV_UNHOLD);
}


static void media_handler(struct media_stream *ms, enum media_event ev,
			  int digit, void *arg)
{
	struct leg *l = arg;

	(void)ms;
	if (l->state == LEG_ENDED)
		return;

	switch (ev) {

	case MEDIA_EV_TIMEOUT:
		call_leg_event(l->call, l, LEG_EV_MEDIA_TIMEOUT);
		break;

	case MEDIA_EV_PROMPT_END:
		call_leg_event(l->call, l, LEG_EV_PROMPT_END);
		break;

	case MEDIA_EV_DTMF:
		l->digit = (char)digit;
		call_leg_event(l->call, l, LEG_EV_DTMF);
		break;
	}
}


static int auth_handler(char **user, char **pass, const char *realm,
			void *arg)
{
	struct leg *l = arg;

	(void)realm;
	if (!l->via_trunk || !l->d->trunk_user || !l->d->trunk_password)
		return EAUTH;

	if (str_dup(user, l->d->trunk_user) ||
	    str_dup(pass, l->d->trunk_password))
		return ENOMEM;

	return 0;
}


static int sdp_offer_init(struct leg *l)
{
	int err;

	err = sdp_session_alloc(&l->sdp, &l->d->rtp_laddr);
	if (err)
		return err;

	err = sdp_media_add(&l->sdpm, l->sdp, "audio",
			    media_stream_lport(l->ms), "RTP/AVP");
	if (err)
		return err;

	err  = sdp_format_add(NULL, l->sdpm, false, "0", "PCMU", MEDIA_SRATE,
			      1, NULL, NULL, NULL, false, NULL);
	err |= sdp_format_add(NULL, l->sdpm, false, "8", "PCMA", MEDIA_SRATE,
			      1, NULL, NULL, NULL, false, NULL);
	err |= sdp_format_add(NULL, l->sdpm, false, "101", "telephone-event",
			      MEDIA_SRATE, 1, NULL, NULL, NULL, false,
			      "0-15");
	if (err)
		return err;

	/* ptime=20: what we send and what we would like back */
	return sdp_media_set_lattr(l->sdpm, true, "ptime", "%u", MEDIA_PTIME);
}


int leg_alloc(struct leg **lp, struct dcall *call, struct dialer *d,
	      const struct leg_params *p)
{
	const char *routev[1];
	struct mbuf *desc = NULL;
	struct leg *l;
	int err;

	if (!lp || !call || !d || !p || !p->uri)
		return EINVAL;

	l = mem_zalloc(sizeof(*l), leg_destructor);
	if (!l)
		return ENOMEM;

	tmr_init(&l->ring_tmr);
	tmr_init(&l->abort_tmr);
	l->d = d;
	l->call = call;
	l->kind = p->kind;
	l->via_trunk = p->via_trunk;
	l->ring_ms = p->ring_ms;
	l->state = LEG_CALLING;

	err = str_dup(&l->uri, p->uri);
	if (err)
		goto out;

	err = media_stream_alloc(&l->ms, &d->mconf, media_handler, l);
	if (err)
		goto out;

	err = sdp_offer_init(l);
	if (err)
		goto out;
	/* a listener's browser hears and is never heard: it sends nothing,
	 * so its silence is no inactivity (media_stream_set_remote) */
	if (p->sendonly)
		sdp_media_set_ldir(l->sdpm, SDP_SENDONLY);

	if (webrtc_is_endpoint(p->uri)) {
		err = webrtc_leg_start(l, p->call_id);
		if (err)
			goto out;
		goto ring;
	}

	err = sdp_encode(&desc, l->sdp, true);
	if (err)
		goto out;

	routev[0] = p->route;
	err = sipsess_connect(&l->sess, d->sock, p->uri, p->from_name,
			      p->from_uri, "beckon", routev,
			      p->route && *p->route ? 1 : 0,
			      "application/sdp", desc, auth_handler, l, false,
			      offer_handler, answer_handler, progress_handler,
			      establish_handler, NULL, NULL, close_handler, l,
			      "Allow: " DIALER_ALLOW "\r\n");
	if (err) {
		log_warn("%s leg: INVITE: %s", kind(l), strerror(err));
		goto out;
	}

	err = str_dup(&l->callid, sip_dialog_callid(sipsess_dialog(l->sess)));
	if (err)
		goto out;
	hash_append(d->legs, hash_joaat_str(l->callid), &l->he, l);

 ring:
	tmr_start(&l->ring_tmr, l->ring_ms, ring_timeout, l);

 out:
	mem_deref(desc);
	if (err)
		mem_deref(l);
	else
		*lp = l;

	return err;
}
