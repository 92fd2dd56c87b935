/*
 * rtpengine: a client of rtpengine's "ng" control protocol, on libre's
 * loop. rtpengine is the media engine between browsers and the dialer: it
 * terminates ICE, DTLS-SRTP and rtcp-mux towards a browser and gives the
 * dialer plain RTP/AVP, so beckon never implements WebRTC's media itself
 * (see docs/webrtc.md).
 *
 * The protocol. Each request is one UDP datagram "COOKIE SP DICT" where
 * DICT is a bencode dictionary with at least "command"; the reply is
 * "COOKIE SP DICT" with the same cookie and a "result" ("ok", "pong" or
 * "error" with "error-reason"). rtpengine 10.5 also takes JSON after the
 * cookie; bencode is the protocol's own format, binary-safe with no
 * escaping, and small enough to parse here with hard bounds (bencode.c).
 * UDP loses datagrams: a request is sent again with the same cookie every
 * RTPENGINE_RETRY_MS, RTPENGINE_TRIES times in all, and rtpengine answers
 * a cookie it has seen from its cache without running the command twice.
 * After the last try the request ends with ETIMEDOUT.
 *
 * Messages are libre odicts both ways: strings, integers, lists (ODICT_
 * ARRAY) and dictionaries (ODICT_OBJECT). bencode has no booleans, reals
 * or null; encoding one is EINVAL.
 *
 * Ownership. A request belongs to whoever asked for it (reqp): freeing it
 * cancels it and its handler is never called. With reqp NULL the client
 * keeps it until it ends (a "delete" at a call's end has nobody left to
 * care). The handler runs once, as the request's last act, and may free
 * the request, its own object, or the client.
 */
#ifndef BECKON_RTPENGINE_H
#define BECKON_RTPENGINE_H

#include <stddef.h>
#include <stdint.h>

struct mbuf;
struct odict;
struct pl;
struct sa;

enum {
	RTPENGINE_RETRY_MS = 500,     /* between tries of one request */
	RTPENGINE_TRIES = 4,          /* then ETIMEDOUT (after 2 s) */
	RTPENGINE_MSG_MAX = 65535,    /* a UDP datagram's payload, at most */
	RTPENGINE_DEPTH_MAX = 16,     /* nested lists and dicts, at most */
	RTPENGINE_COOKIE_MAX = 32,    /* bytes of a cookie we accept */
};

/* ---- the codec (bencode.c): bytes in, bytes out, no socket */

/* one bencode dictionary, all of buf (nothing after it) */
int rtpengine_bencode_decode(struct odict **dp, const uint8_t *buf,
			     size_t len);
int rtpengine_bencode_encode(struct mbuf *mb, const struct odict *d);

/* a whole message, "COOKIE SP DICT"; cookie points into buf */
int rtpengine_msg_decode(struct pl *cookie, struct odict **dp,
			 const uint8_t *buf, size_t len);
int rtpengine_msg_encode(struct mbuf *mb, const char *cookie,
			 const struct odict *d);

/* ---- the client (client.c) */

/* "udp:HOST:PORT" (HOST an IP address, [IPv6] in brackets) */
int rtpengine_addr_parse(struct sa *sa, const char *s);

struct rtpengine;
struct rtpengine_req;

/*
 * err: 0 (result "ok" or "pong"), EPROTO (result "error": the reply's
 * "error-reason" says why), EBADMSG (no result or an unknown one), or
 * ETIMEDOUT (no reply after every try). reply: the whole reply, NULL on
 * ETIMEDOUT; valid only during the call.
 */
typedef void (rtpengine_h)(int err, const struct odict *reply, void *arg);

/* freeing the client cancels every request: no handler runs */
int rtpengine_alloc(struct rtpengine **rp, const struct sa *ng);

/* send any command: cmd holds "command" and its arguments */
int rtpengine_send(struct rtpengine_req **reqp, struct rtpengine *r,
		   const struct odict *cmd, rtpengine_h *h, void *arg);

/* ---- commands (command.c) */

/* a call as rtpengine names it: the offerer's tag, the answerer's tag */
struct rtpengine_call {
	const char *call_id;
	const char *from_tag;
	const char *to_tag;      /* answer and delete of one side only */
};

/* the kind of peer that receives the SDP rtpengine returns */
enum rtpengine_peer {
	RTPENGINE_PEER_RTP,      /* plain RTP/AVP, no ICE (the dialer) */
	RTPENGINE_PEER_WEBRTC,   /* a browser: ICE, DTLS-SRTP, rtcp-mux */
};

int rtpengine_ping(struct rtpengine_req **reqp, struct rtpengine *r,
		   rtpengine_h *h, void *arg);
int rtpengine_offer(struct rtpengine_req **reqp, struct rtpengine *r,
		    const struct rtpengine_call *call, const char *sdp,
		    enum rtpengine_peer to, rtpengine_h *h, void *arg);
int rtpengine_answer(struct rtpengine_req **reqp, struct rtpengine *r,
		     const struct rtpengine_call *call, const char *sdp,
		     enum rtpengine_peer to, rtpengine_h *h, void *arg);
int rtpengine_delete(struct rtpengine_req **reqp, struct rtpengine *r,
		     const struct rtpengine_call *call, rtpengine_h *h,
		     void *arg);
int rtpengine_query(struct rtpengine_req **reqp, struct rtpengine *r,
		    const char *call_id, rtpengine_h *h, void *arg);
int rtpengine_list(struct rtpengine_req **reqp, struct rtpengine *r,
		   rtpengine_h *h, void *arg);

#endif
