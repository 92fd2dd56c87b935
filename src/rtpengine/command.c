/*
 * The ng commands beckon uses, as dictionaries for rtpengine_send().
 *
 * The flags of a peer kind are in one place, peer_flags(): what rtpengine
 * must turn an SDP into for a browser (ICE forced, DTLS-SRTP with
 * rtpengine passive when it can choose, no SDES keys, which browsers do
 * not use, RTP/SAVPF, RTCP multiplexed on the RTP port, an a=mid, and
 * only PCMU and telephone-event, which every WebRTC browser must accept,
 * RFC 7874) or for the dialer (plain RTP/AVP, no ICE, no DTLS, RTCP on
 * its own port).
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#include "rtpengine/rtpengine.h"

enum { CMD_HASH = 8 };


/* a list of strings under key */
static int add_list(struct odict *o, const char *key,
		    const char *const *items, size_t n)
{
	struct odict *l;
	size_t i;
	int err;

	err = odict_alloc(&l, CMD_HASH);
	for (i = 0; i < n && !err; i++) {
		char idx[16];

		re_snprintf(idx, sizeof(idx), "%zu", i);
		err = odict_entry_add(l, idx, ODICT_STRING, items[i]);
	}
	if (!err)
		err = odict_entry_add(o, key, ODICT_ARRAY, l);
	mem_deref(l);

	return err;
}


static int add_codecs(struct odict *o, const char *const *keep, size_t n)
{
	static const char *const all[] = {"all"};
	struct odict *c;
	int err;

	err = odict_alloc(&c, CMD_HASH);
	if (err)
		return err;
	err = add_list(c, "strip", all, ARRAY_SIZE(all));
	if (!err)
		err = add_list(c, "except", keep, n);
	if (!err)
		err = odict_entry_add(o, "codec", ODICT_OBJECT, c);
	mem_deref(c);

	return err;
}


static int peer_flags(struct odict *o, enum rtpengine_peer to)
{
	static const char *const mux_webrtc[] = {"offer", "require"};
	static const char *const mux_rtp[] = {"demux"};
	static const char *const codecs[] = {"PCMU", "telephone-event"};
	static const char *const sdes_off[] = {"off"};
	static const char *const mid[] = {"generate mid"};
	bool web = to == RTPENGINE_PEER_WEBRTC;
	int err;

	err = odict_entry_add(o, "ICE", ODICT_STRING, web ? "force" :
			      "remove");
	if (!err)
		err = odict_entry_add(o, "DTLS", ODICT_STRING,
				      web ? "passive" : "off");
	if (!err)
		err = odict_entry_add(o, "transport protocol", ODICT_STRING,
				      web ? "RTP/SAVPF" : "RTP/AVP");
	if (!err && web)
		err = add_list(o, "rtcp-mux", mux_webrtc,
			       ARRAY_SIZE(mux_webrtc));
	if (!err && !web)
		err = add_list(o, "rtcp-mux", mux_rtp, ARRAY_SIZE(mux_rtp));
	if (!err && web)
		err = add_list(o, "SDES", sdes_off, ARRAY_SIZE(sdes_off));
	if (!err && web)
		err = add_list(o, "flags", mid, ARRAY_SIZE(mid));
	if (!err && web)
		err = add_codecs(o, codecs, ARRAY_SIZE(codecs));

	return err;
}


/* "call-id" and the tags that are set */
static int add_call(struct odict *o, const struct rtpengine_call *call)
{
	int err;

	if (!call || !call->call_id)
		return EINVAL;

	err = odict_entry_add(o, "call-id", ODICT_STRING, call->call_id);
	if (!err && call->from_tag)
		err = odict_entry_add(o, "from-tag", ODICT_STRING,
				      call->from_tag);
	if (!err && call->to_tag)
		err = odict_entry_add(o, "to-tag", ODICT_STRING,
				      call->to_tag);

	return err;
}


/* build with the arguments given, send, and let the dictionary go */
static int send_cmd(struct rtpengine_req **reqp, struct rtpengine *r,
		    const char *command, const struct rtpengine_call *call,
		    const char *sdp, const enum rtpengine_peer *to,
		    rtpengine_h *h, void *arg)
{
	struct odict *o;
	int err;

	err = odict_alloc(&o, CMD_HASH);
	if (err)
		return err;

	err = odict_entry_add(o, "command", ODICT_STRING, command);
	if (!err && call)
		err = add_call(o, call);
	if (!err && sdp)
		err = odict_entry_add(o, "sdp", ODICT_STRING, sdp);
	if (!err && to)
		err = peer_flags(o, *to);
	if (!err)
		err = rtpengine_send(reqp, r, o, h, arg);

	mem_deref(o);
	return err;
}


int rtpengine_ping(struct rtpengine_req **reqp, struct rtpengine *r,
		   rtpengine_h *h, void *arg)
{
	return send_cmd(reqp, r, "ping", NULL, NULL, NULL, h, arg);
}


int rtpengine_offer(struct rtpengine_req **reqp, struct rtpengine *r,
		    const struct rtpengine_call *call, const char *sdp,
		    enum rtpengine_peer to, rtpengine_h *h, void *arg)
{
	if (!call || !call->from_tag || !sdp)
		return EINVAL;

	return send_cmd(reqp, r, "offer", call, sdp, &to, h, arg);
}


int rtpengine_answer(struct rtpengine_req **reqp, struct rtpengine *r,
		     const struct rtpengine_call *call, const char *sdp,
		     enum rtpengine_peer to, rtpengine_h *h, void *arg)
{
	if (!call || !call->from_tag || !call->to_tag || !sdp)
		return EINVAL;

	return send_cmd(reqp, r, "answer", call, sdp, &to, h, arg);
}


int rtpengine_delete(struct rtpengine_req **reqp, struct rtpengine *r,
		     const struct rtpengine_call *call, rtpengine_h *h,
		     void *arg)
{
	if (!call)
		return EINVAL;

	return send_cmd(reqp, r, "delete", call, NULL, NULL, h, arg);
}


int rtpengine_query(struct rtpengine_req **reqp, struct rtpengine *r,
		    const char *call_id, rtpengine_h *h, void *arg)
{
	const struct rtpengine_call call = {call_id, NULL, NULL};

	return send_cmd(reqp, r, "query", &call, NULL, NULL, h, arg);
}


int rtpengine_list(struct rtpengine_req **reqp, struct rtpengine *r,
		   rtpengine_h *h, void *arg)
{
	return send_cmd(reqp, r, "list", NULL, NULL, NULL, h, arg);
}
