/*
 * media: the dialer's audio. RTP sockets from a configured port range,
 * G.711 (PCMU and PCMA) with transcoding between them, WAV prompts played
 * with 20 ms pacing, a relay that joins two streams (symmetric RTP,
 * RFC 4733 telephone events passed through), an RTP inactivity timer, a
 * stereo WAV recorder, and an in-band DTMF detector.
 *
 * A media_stream is the RTP side of one SIP leg. It owns a socket pair
 * (RTP and RTCP on port P, P+1) and at any time sends one of three things
 * to its peer: nothing, a prompt, or the packets received by the stream it
 * is bridged with. Whatever it sends carries its own SSRC, sequence numbers
 * and a timestamp line that never jumps backwards, so a peer hears one
 * continuous source even when the prompt stops and the relay begins.
 *
 *                 media_stream_play()
 *      idle  ------------------------------>  prompt
 *        ^  \                                   |
 *        |   \ media_bridge()                   | media_bridge()
 *        |    v                                 v
 *        +-- relay  <---------------------------+
 *      media_unbridge() / peer stream freed
 *
 * Symmetric RTP: the first acceptable packet (RTP version 2, a payload type
 * the SDP negotiated, the same address family as the SDP address) fixes
 * the address media is sent to. Later packets from any other address are
 * dropped, so a stray or hostile packet cannot steal the stream; only a new
 * SDP (media_stream_set_remote) or two seconds of silence from the latched
 * address let another address take over.
 *
 * Nothing here knows SIP: the dialer reads the SDP and calls
 * media_stream_set_remote() with what was agreed.
 */
#ifndef BECKON_MEDIA_H
#define BECKON_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sa;

/* ---- G.711 (g711.c) */

/* the static RTP payload types of the two codecs, used as their names */
enum media_codec {
	MEDIA_PCMU = 0,
	MEDIA_PCMA = 8,
};

enum {
	MEDIA_SRATE = 8000,
	MEDIA_PTIME = 20,                               /* ms per packet */
	MEDIA_FRAME = MEDIA_SRATE * MEDIA_PTIME / 1000, /* samples */
};

uint8_t media_ulaw_enc(int16_t s);
int16_t media_ulaw_dec(uint8_t u);
uint8_t media_alaw_enc(int16_t s);
int16_t media_alaw_dec(uint8_t a);

void media_encode(enum media_codec c, uint8_t *dst, const int16_t *src,
		  size_t n);
void media_decode(enum media_codec c, int16_t *dst, const uint8_t *src,
		  size_t n);
/* convert n G.711 bytes in place from one law to the other */
void media_transcode(enum media_codec from, enum media_codec to,
		     uint8_t *buf, size_t n);
/* n samples of codec c, the sum of a and b with saturation (for a third
 * party who hears both sides of a call); a side with no frame (NULL:
 * silent, nothing came) counts as silence and the other passes as is */
void media_mix(enum media_codec c, uint8_t *dst, const uint8_t *a,
	       const uint8_t *b, size_t n);

/* ---- prompts (wav.c) */

/*
 * A WAV file read whole into memory and converted to what streams play,
 * 8 kHz mono 16-bit (from mono 16-bit PCM, A-law or mu-law at 8 to
 * 48 kHz). Prompts are loaded once and shared (mem_ref) by every stream
 * that plays them.
 */
struct media_prompt;

int media_prompt_load(struct media_prompt **pp, const char *path);
/* a WAV file in memory (untrusted: an upload); *whyp says what is wrong
 * (EBADMSG: not a WAV file; EINVAL: a format we do not take) */
int media_prompt_decode(struct media_prompt **pp, const uint8_t *buf,
			size_t len, const char **whyp);
/* the prompts of v one after the other, each followed by gap_ms of
 * silence (NULL entries are skipped); ENOENT when that is nothing */
int media_prompt_concat(struct media_prompt **pp,
			struct media_prompt *const *v, size_t n,
			uint32_t gap_ms);
/* write p as an 8 kHz mono 16-bit WAV file */
int media_prompt_save(const struct media_prompt *p, const char *path);
size_t media_prompt_samples(const struct media_prompt *p);
const int16_t *media_prompt_pcm(const struct media_prompt *p);

/* n samples at rate Hz to 8 kHz (resample.c): *dstp is mem-allocated */
int media_resample(int16_t **dstp, size_t *np, const int16_t *src, size_t n,
		   uint32_t rate);

/* ---- in-band DTMF (dtmf.c) */

/* A Goertzel detector of the sixteen keys in 8 kHz audio (see dtmf.c for
 * its checks and timing). */
struct media_dtmf;

int media_dtmf_alloc(struct media_dtmf **dp);
/* feed n samples; returns the key recognised in them ('0'-'9', '*', '#',
 * 'A'-'D'), once a press, or -1 */
int media_dtmf_put(struct media_dtmf *d, const int16_t *pcm, size_t n);

/* ---- recorder (rec.c) */

/*
 * One stereo 8 kHz 16-bit WAV per call: channel 0 (left) is what the
 * customer said, channel 1 (right) what the agent said. Frames are paired
 * as they arrive; a channel that falls silent (hold, packet loss) is padded
 * with silence so the two stay within 100 ms of each other.
 */
struct media_rec;

int  media_rec_open(struct media_rec **recp, const char *path);
void media_rec_put(struct media_rec *rec, unsigned ch, const int16_t *pcm,
		   size_t n);
/* seconds written so far */
double media_rec_duration(const struct media_rec *rec);

/* ---- streams (stream.c) */

struct media_conf {
	const struct sa *laddr;     /* address to bind and announce */
	uint16_t port_min;          /* RTP port range, inclusive */
	uint16_t port_max;
	uint32_t timeout_ms;        /* RTP inactivity timeout (0: none) */
};

enum media_event {
	MEDIA_EV_TIMEOUT,       /* no RTP for timeout_ms while active */
	MEDIA_EV_PROMPT_END,    /* a prompt played without loop ended */
	MEDIA_EV_DTMF,          /* an RFC 4733 event began, or an in-band
				   key was heard (digit in arg) */
};

struct media_stream;

typedef void (media_event_h)(struct media_stream *ms, enum media_event ev,
			     int digit, void *arg);

struct media_stats {
	uint64_t rx_packets;    /* accepted from the latched peer */
	uint64_t rx_dropped;    /* wrong source, type or version */
	uint64_t tx_packets;
	uint64_t relayed;       /* sent on behalf of the bridged stream */
	uint64_t dtmf;          /* telephone events started */
	bool latched;
};

int  media_stream_alloc(struct media_stream **msp,
			const struct media_conf *conf, media_event_h *eh,
			void *arg);
uint16_t media_stream_lport(const struct media_stream *ms);
const struct sa *media_stream_laddr(const struct media_stream *ms);

/*
 * What the SDP agreed: where the peer's RTP goes, the codec, the payload
 * type of telephone-event (-1: none), and whether the peer sends and
 * receives (an "a=sendonly" peer on hold receives nothing from us, an
 * "a=recvonly" or "inactive" one sends nothing, so its silence is not an
 * inactivity timeout). A changed address re-opens latching.
 */
void media_stream_set_remote(struct media_stream *ms, const struct sa *raddr,
			     enum media_codec codec, int telev_pt,
			     bool peer_sends, bool peer_recvs);
/* arm the inactivity timer (the call is answered) */
void media_stream_activate(struct media_stream *ms);

int  media_stream_play(struct media_stream *ms, struct media_prompt *p,
		       bool loop);
/* the same from sample from (music resumed where it was left) */
int  media_stream_play_from(struct media_stream *ms, struct media_prompt *p,
			    bool loop, size_t from);
/* the next sample the current prompt would send (0: none playing) */
size_t media_stream_play_pos(const struct media_stream *ms);
void media_stream_stop(struct media_stream *ms);
bool media_stream_playing(const struct media_stream *ms);

/* relay a's received packets to b's peer and b's to a's */
int  media_bridge(struct media_stream *a, struct media_stream *b);
void media_unbridge(struct media_stream *ms);

/* out's peer hears what a's and b's peers send, mixed (media_mix): a
 * third party listening to a bridged call, who nobody hears. One
 * listener per stream (EBUSY); freeing any of the three ends it */
int  media_listen(struct media_stream *out, struct media_stream *a,
		  struct media_stream *b);
void media_unlisten(struct media_stream *out);

/* copy the decoded audio ms receives into channel ch of rec (NULL: stop) */
void media_stream_record(struct media_stream *ms, struct media_rec *rec,
			 unsigned ch);

/* also report keys heard in the peer's audio (in-band DTMF) as
 * MEDIA_EV_DTMF, besides its RFC 4733 events; decoding costs, so only
 * while someone listens for a key */
int  media_stream_detect_dtmf(struct media_stream *ms, bool on);

void media_stream_stats(const struct media_stream *ms,
			struct media_stats *st);

/* "FIRST-LAST" into a port range (even FIRST, LAST > FIRST + 1) */
int media_parse_ports(uint16_t *minp, uint16_t *maxp, const char *s);

#endif
