/*
 * One leg's RTP: the socket pair, symmetric latching, the prompt player,
 * the relay to a bridged stream, and the inactivity timer.
 *
 * The outgoing timestamp line. Whatever a stream sends (prompt frames or
 * relayed packets) continues one timeline: tx_ts is the timestamp the next
 * 20 ms frame would carry, advanced by the wall-clock time between sends.
 * Relayed packets keep the spacing of their source (out = in + offset);
 * the offset is chosen again whenever the source changes (a new SSRC, the
 * relay starting after a prompt) so that the first packet lands where the
 * timeline says, with the marker bit set. Telephone events keep their own
 * timestamps through the same offset, so an event's packets still share
 * one timestamp on the far side.
 *
 * The relay is zero-copy: a packet received on one stream is transcoded in
 * place (G.711 laws have the same size), gets a new RTP header written
 * over the old one and is sent from the other stream's socket with that
 * stream's SSRC and sequence number.
 *
 * The sockets are our own, not libre's rtp_sock: at thousands of bridged
 * calls the relay is the dialer's hottest path, and libre's receive path
 * allocates an 8 KB mbuf for every datagram, decodes the header into a
 * struct and walks its helper lists before we see a byte. Here one
 * recvmmsg() takes whatever a socket holds into static buffers (the event
 * loop is one thread), the header is read in place, and one sendto()
 * sends it on. The RTCP port (P + 1) is bound, so that nothing else takes
 * it, and never read: we send no RTCP and act on none, and its receive
 * buffer is as small as the kernel allows, so what arrives there is
 * dropped by the kernel without waking us.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <re.h>
#define LOG_SUBSYS "media"
#include "util/util.h"
#include "media/media.h"
#include "media/media_int.h"

enum {
	RELATCH_MS = 2000,      /* latched peer silent this long: re-latch */
	PROMPT_CATCHUP = 5,     /* most frames sent at once after a stall */
	/* a listener waits for a silent side this many frames (60 ms) */
	LISTEN_DEPTH = 3,
	PT_CN = 13,             /* comfort noise: accepted, not relayed */
	TELEV_SIZE = 4,
	CLOCK_MS = 10,          /* the prompt clock's tick */
	RX_BATCH = 8,           /* datagrams taken by one recvmmsg() */
	RX_SIZE = 2048,         /* more than any G.711 packet we accept */
};

struct media_stream {
	int fd;                     /* RTP, on an even port */
	int fd_rtcp;                /* the odd port above: held, never read */
	struct sa laddr;
	media_event_h *eh;
	void *arg;

	/* the peer, from SDP and latching */
	struct sa sdp_addr;
	struct sa dst;
	bool have_remote;
	bool latched;
	enum media_codec codec;
	int telev_pt;
	bool peer_sends;
	bool peer_recvs;
	uint64_t last_rx;

	/* what we send */
	uint32_t ssrc;
	uint16_t seq;
	uint32_t tx_ts;
	uint64_t tx_time;           /* jiffies of tx_ts */
	bool tx_marker;

	/* relay: packets from the bridged stream's peer */
	struct media_stream *peer;
	bool map_valid;
	uint32_t map_ssrc;
	uint32_t map_offset;

	/* prompt */
	struct le ple;              /* in playing */
	struct media_prompt *prompt;
	size_t ppos;
	bool loop;
	bool pdone;                 /* over, the handler not told yet */
	uint64_t pstart;
	uint64_t psent;

	/* inactivity */
	uint32_t timeout_ms;
	bool active;
	bool timed_out;
	struct tmr itmr;

	/* recording of what the peer says */
	struct media_rec *rec;
	unsigned rec_ch;

	/* listening (media_listen): a source feeds its tap, side tap_side;
	 * a listener keeps each side's frames not yet mixed, oldest first,
	 * in its own codec */
	struct media_stream *tap;
	unsigned tap_side;
	struct media_stream *heard[2];
	uint8_t mix[2][LISTEN_DEPTH][MEDIA_FRAME];
	unsigned mix_n[2];

	/* telephone events seen (to report each once) */
	bool dtmf_seen;
	uint32_t dtmf_ts;
	struct media_dtmf *inband;  /* keys heard in the audio, or NULL */

	struct media_stats st;
};


/*
 * The prompt clock: one timer for every stream that plays a prompt,
 * rather than one each. libre 1.1.0 keeps its timers in one sorted list
 * and inserts by walking it, and SIP keeps a timer per answered leg for
 * 32 s (the ACK kept for 2xx retransmissions), so at hundreds of calls a
 * second each timer started costs a walk over tens of thousands: fifty
 * a second per playing stream was most of the dialer's CPU. A stream's
 * frames stay on its own 20 ms grid (pstart); the tick only decides when
 * they leave, up to CLOCK_MS late. The event loop is one thread.
 */
static struct list playing;
static struct tmr clock_tmr;


/*
 * The ports of this process's streams, so that choosing a pair skips
 * those without a failed bind() each. Others' ports are found by bind().
 */
static uint8_t ports_ours[65536 / 8];


static bool port_ours(uint16_t port)
{
	return ports_ours[port / 8] & (1u << (port % 8));
}


static void port_mark(uint16_t port, bool ours)
{
	if (ours)
		ports_ours[port / 8] |= (uint8_t)(1u << (port % 8));
	else
		ports_ours[port / 8] &= (uint8_t)~(1u << (port % 8));
}


static void inactivity_check(void *arg);
static void clock_sync(void);


static void stream_destructor(void *arg)
{
	struct media_stream *ms = arg;

	media_unbridge(ms);
	media_unlisten(ms);
	if (ms->tap)
		ms->tap->heard[ms->tap_side] = NULL;
	list_unlink(&ms->ple);
	clock_sync();
	tmr_cancel(&ms->itmr);
	mem_deref(ms->prompt);
	mem_deref(ms->rec);
	mem_deref(ms->inband);
	if (ms->fd >= 0) {
		fd_close(ms->fd);
		(void)close(ms->fd);
	}
	if (ms->fd_rtcp >= 0) {
		(void)close(ms->fd_rtcp);
		port_mark(sa_port(&ms->laddr), false);
	}
}


/* Advance the timeline to now: the timestamp a frame sent now carries. */
static uint32_t timeline_now(struct media_stream *ms)
{
	uint64_t now = tmr_jiffies();
	uint64_t frames;

	if (now <= ms->tx_time)
		return ms->tx_ts;

	frames = (now - ms->tx_time) / MEDIA_PTIME;
	ms->tx_ts += (uint32_t)(frames * MEDIA_FRAME);
	ms->tx_time += frames * MEDIA_PTIME;

	return ms->tx_ts;
}


static bool can_send(const struct media_stream *ms)
{
	return ms->have_remote && ms->peer_recvs && sa_isset(&ms->dst, SA_ALL);
}


/*
 * Write an RTP header into the RTP_HEADER_SIZE bytes at pkt (the payload
 * follows them) and send the packet to the peer. The sequence number
 * advances even when sending fails: to the peer that is a lost packet,
 * which is what it was.
 */
static int rtp_out(struct media_stream *ms, uint8_t *pkt, size_t len,
		   bool marker, uint8_t pt, uint32_t ts)
{
	uint16_t seq = ms->seq++;

	pkt[0] = RTP_VERSION << 6;
	pkt[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
	pkt[2] = (uint8_t)(seq >> 8);
	pkt[3] = (uint8_t)seq;
	pkt[4] = (uint8_t)(ts >> 24);
	pkt[5] = (uint8_t)(ts >> 16);
	pkt[6] = (uint8_t)(ts >> 8);
	pkt[7] = (uint8_t)ts;
	pkt[8] = (uint8_t)(ms->ssrc >> 24);
	pkt[9] = (uint8_t)(ms->ssrc >> 16);
	pkt[10] = (uint8_t)(ms->ssrc >> 8);
	pkt[11] = (uint8_t)ms->ssrc;

	if (sendto(ms->fd, pkt, len, MSG_DONTWAIT, &ms->dst.u.sa,
		   ms->dst.len) < 0)
		return errno;

	return 0;
}


static void send_frame(struct media_stream *ms, const int16_t *pcm)
{
	uint8_t pkt[RTP_HEADER_SIZE + MEDIA_FRAME];

	media_encode(ms->codec, pkt + RTP_HEADER_SIZE, pcm, MEDIA_FRAME);

	if (rtp_out(ms, pkt, sizeof(pkt), ms->tx_marker, ms->codec,
		    ms->tx_ts))
		return;

	ms->tx_marker = false;
	++ms->st.tx_packets;
}


/* the oldest frame waiting of a side, or NULL */
static const uint8_t *listen_head(const struct media_stream *out,
				  unsigned side)
{
	return out->mix_n[side] ? out->mix[side][0] : NULL;
}


static void listen_pop(struct media_stream *out, unsigned side)
{
	if (!out->mix_n[side])
		return;
	--out->mix_n[side];
	memmove(out->mix[side][0], out->mix[side][1],
		out->mix_n[side] * MEDIA_FRAME);
}


/*
 * A listener's frame: the oldest frame of each side, mixed. No timer:
 * a frame is sent when both sides have one, so two sides whose packets
 * come in bursts (a browser's, a loaded host's) still pair frame with
 * frame; a side that is silent or stopped is waited for LISTEN_DEPTH
 * frames, then the other is heard alone, that much behind.
 */
static void listen_flush(struct media_stream *out)
{
	uint8_t pkt[RTP_HEADER_SIZE + MEDIA_FRAME];

	media_mix(out->codec, pkt + RTP_HEADER_SIZE, listen_head(out, 0),
		  listen_head(out, 1), MEDIA_FRAME);
	listen_pop(out, 0);
	listen_pop(out, 1);

	if (can_send(out) && !rtp_out(out, pkt, sizeof(pkt),
				      out->tx_marker, out->codec,
				      out->tx_ts)) {
		out->tx_marker = false;
		++out->st.relayed;
	}
	out->tx_ts += MEDIA_FRAME;
}


/* frames of another length than 20 ms are not heard (every peer of
 * ours, phones and rtpengine, sends 20 ms) */
static void listen_put(struct media_stream *out, unsigned side,
		       enum media_codec codec, const uint8_t *pl, size_t n)
{
	uint8_t *dst;

	if (n != MEDIA_FRAME)
		return;
	dst = out->mix[side][out->mix_n[side]++];
	memcpy(dst, pl, n);
	media_transcode(codec, out->codec, dst, n);
	if (out->mix_n[!side] || out->mix_n[side] == LISTEN_DEPTH)
		listen_flush(out);
}


/*
 * Send the frames of the prompt that are due by now. true: a prompt
 * without loop is over (the caller tells the handler).
 */
static bool prompt_send(struct media_stream *ms, uint64_t now)
{
	const int16_t *pcm = media_prompt_pcm(ms->prompt);
	size_t n = media_prompt_samples(ms->prompt);
	uint64_t due = (now - ms->pstart) / MEDIA_PTIME + 1;
	unsigned burst = 0;
	int16_t frame[MEDIA_FRAME];

	/* after a stall, skip ahead rather than burst the backlog; the
	 * timestamps skip with it, so the far end hears a gap, not a
	 * hurried prompt */
	if (due > ms->psent + PROMPT_CATCHUP) {
		uint64_t skip = due - PROMPT_CATCHUP - ms->psent;

		ms->psent += skip;
		ms->tx_ts += (uint32_t)(skip * MEDIA_FRAME);
		ms->tx_time += skip * MEDIA_PTIME;
	}

	while (ms->psent < due && burst++ < PROMPT_CATCHUP) {
		size_t k = 0;

		while (k < MEDIA_FRAME) {
			size_t take;

			if (ms->ppos >= n) {
				if (!ms->loop)
					break;
				ms->ppos = 0;
			}
			take = n - ms->ppos;
			if (take > MEDIA_FRAME - k)
				take = MEDIA_FRAME - k;
			memcpy(frame + k, pcm + ms->ppos,
			       take * sizeof(int16_t));
			ms->ppos += take;
			k += take;
		}

		if (!k)
			return true;
		memset(frame + k, 0, (MEDIA_FRAME - k) * sizeof(int16_t));

		/* frame k of the prompt carries the timestamp of its slot
		 * on the prompt's 20 ms grid, however late the clock's tick
		 * sends it (the timeline was put on that grid at play) */
		if (can_send(ms))
			send_frame(ms, frame);
		ms->tx_ts += MEDIA_FRAME;
		ms->tx_time += MEDIA_PTIME;
		++ms->psent;
	}

	return false;
}


static void clock_tick(void *arg);


static void clock_sync(void)
{
	if (list_isempty(&playing))
		tmr_cancel(&clock_tmr);
	else if (!tmr_isrunning(&clock_tmr))
		tmr_start(&clock_tmr, CLOCK_MS, clock_tick, NULL);
}


static void play_end(struct media_stream *ms)
{
	list_unlink(&ms->ple);
	ms->pdone = false;
	ms->prompt = mem_deref(ms->prompt);
}


static void clock_tick(void *arg)
{
	uint64_t now = tmr_jiffies();
	struct media_stream *ms;
	struct le *le;

	(void)arg;

	/* sending calls no handler: the list stays as it is */
	for (le = playing.head; le; le = le->next) {
		ms = le->data;
		if (!ms->pdone && prompt_send(ms, now))
			ms->pdone = true;
	}

	/* a handler may stop or free any stream: look again each time */
	for (;;) {
		for (le = playing.head; le; le = le->next) {
			if (((struct media_stream *)le->data)->pdone)
				break;
		}
		if (!le)
			break;

		ms = le->data;
		play_end(ms);
		if (ms->eh)
			ms->eh(ms, MEDIA_EV_PROMPT_END, 0, ms->arg);
	}

	if (!list_isempty(&playing))
		tmr_start(&clock_tmr, CLOCK_MS, clock_tick, NULL);
}


int media_stream_play(struct media_stream *ms, struct media_prompt *p,
		      bool loop)
{
	return media_stream_play_from(ms, p, loop, 0);
}


size_t media_stream_play_pos(const struct media_stream *ms)
{
	return ms && ms->prompt ? ms->ppos : 0;
}


int media_stream_play_from(struct media_stream *ms, struct media_prompt *p,
			   bool loop, size_t from)
{
	if (!ms || !p || !media_prompt_samples(p))
		return EINVAL;

	mem_ref(p);
	mem_deref(ms->prompt);
	ms->prompt = p;
	ms->ppos = from < media_prompt_samples(p) ? from : 0;
	ms->loop = loop;
	ms->pstart = tmr_jiffies();
	ms->psent = 0;
	/* the timeline continues from what was sent before, then follows
	 * the prompt's own grid from pstart */
	(void)timeline_now(ms);
	ms->tx_time = ms->pstart;
	ms->tx_marker = true;
	ms->pdone = false;
	if (!ms->ple.list)
		list_append(&playing, &ms->ple, ms);

	/* the first frame now, the next on the clock's ticks */
	if (prompt_send(ms, ms->pstart))
		ms->pdone = true;
	clock_sync();

	return 0;
}


void media_stream_stop(struct media_stream *ms)
{
	if (!ms)
		return;

	play_end(ms);
	clock_sync();
	ms->map_valid = false;
}


bool media_stream_playing(const struct media_stream *ms)
{
	return ms && ms->prompt;
}


/*
 * RFC 3550 section 5.1: the fixed header, CSRCs, an optional extension
 * and optional padding (its length in the last byte). false: not RTP we
 * can read.
 */
bool media_rtp_parse(struct rtp_in *in, uint8_t *p, size_t n)
{
	size_t off = RTP_HEADER_SIZE;

	if (n < RTP_HEADER_SIZE || p[0] >> 6 != RTP_VERSION)
		return false;

	off += 4 * (size_t)(p[0] & 0x0f);
	if (p[0] & 0x10) {
		if (n < off + 4)
			return false;
		off += 4 + 4 * (size_t)(p[off + 2] << 8 | p[off + 3]);
	}
	if (n < off)
		return false;

	if (p[0] & 0x20) {
		uint8_t pad = p[n - 1];

		if (!pad || pad > n - off)
			return false;
		n -= pad;
	}

	in->m = p[1] >> 7;
	in->pt = p[1] & 0x7f;
	in->ts = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 |
		(uint32_t)p[6] << 8 | p[7];
	in->ssrc = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 |
		(uint32_t)p[10] << 8 | p[11];
	in->pl = p + off;
	in->len = n - off;

	return true;
}


/* Send a packet of the bridged stream's peer on to ours. */
static void relay(struct media_stream *ms, const struct rtp_in *in,
		  bool telev, enum media_codec from)
{
	uint8_t pt;
	bool marker = in->m;

	if (ms->prompt || !can_send(ms))
		return;

	if (telev) {
		if (ms->telev_pt < 0)
			return;
		pt = (uint8_t)ms->telev_pt;
	}
	else {
		media_transcode(from, ms->codec, in->pl, in->len);
		pt = (uint8_t)ms->codec;
	}

	/* a new source: put its first packet where our timeline is */
	if (!ms->map_valid || ms->map_ssrc != in->ssrc) {
		ms->map_offset = timeline_now(ms) - in->ts;
		ms->map_ssrc = in->ssrc;
		ms->map_valid = true;
		marker = true;
	}

	if (ms->tx_marker) {
		marker = true;
		ms->tx_marker = false;
	}

	if (rtp_out(ms, in->pl - RTP_HEADER_SIZE, in->len + RTP_HEADER_SIZE,
		    marker, pt, in->ts + ms->map_offset))
		return;

	++ms->st.tx_packets;
	++ms->st.relayed;

	if (!telev) {
		/* keep the timeline where the relay put it */
		ms->tx_ts = in->ts + ms->map_offset + MEDIA_FRAME;
		ms->tx_time = tmr_jiffies() + MEDIA_PTIME;
	}
}


static int telev_digit(uint8_t ev)
{
	static const char map[] = "0123456789*#ABCD";

	return ev < 16 ? map[ev] : -1;
}


/*
 * Decide whether a packet is our peer's. The first acceptable one latches;
 * after that only the latched address counts, unless it has been silent
 * for RELATCH_MS (the peer moved, e.g. a media server handed over).
 */
static bool accept_src(struct media_stream *ms, const struct sa *src)
{
	uint64_t now = tmr_jiffies();
	char a[64], b[64];

	if (sa_af(src) != sa_af(&ms->sdp_addr))
		return false;

	if (ms->latched && !sa_cmp(src, &ms->dst, SA_ALL)) {
		if (now - ms->last_rx < RELATCH_MS)
			return false;
		log_info("RTP from %s after %llu ms of silence from %s: "
			 "re-latched", addr_str(a, sizeof(a), src),
			 (unsigned long long)(now - ms->last_rx),
			 addr_str(b, sizeof(b), &ms->dst));
		ms->latched = false;
	}

	if (!ms->latched) {
		if (!sa_cmp(src, &ms->dst, SA_ALL))
			log_debug("RTP latched to %s (SDP said %s)",
				  addr_str(a, sizeof(a), src),
				  addr_str(b, sizeof(b), &ms->sdp_addr));
		ms->dst = *src;
		ms->latched = true;
	}

	ms->last_rx = now;

	return true;
}


/*
 * One datagram from src. Returns the digit of a telephone event that
 * began (the caller tells the handler), or -1.
 */
static int rtp_recv(struct media_stream *ms, const struct sa *src,
		    uint8_t *p, size_t n)
{
	struct rtp_in in;
	bool telev = false;
	int digit = -1;

	if (!ms->have_remote || !media_rtp_parse(&in, p, n))
		goto drop;

	if (in.pt == ms->codec) {
		if (!in.len || in.len > 8 * MEDIA_FRAME)
			goto drop;
	}
	else if (ms->telev_pt >= 0 && in.pt == ms->telev_pt) {
		if (in.len < TELEV_SIZE)
			goto drop;
		telev = true;
	}
	else if (in.pt != PT_CN) {
		goto drop;
	}

	if (!accept_src(ms, src))
		goto drop;

	++ms->st.rx_packets;

	if (in.pt == PT_CN)
		return -1;

	if (telev) {
		/* a new event: a new timestamp, or the marker */
		if (!ms->dtmf_seen || in.ts != ms->dtmf_ts || in.m) {
			if (!ms->dtmf_seen || in.ts != ms->dtmf_ts) {
				digit = telev_digit(in.pl[0]);
				++ms->st.dtmf;
			}
			ms->dtmf_seen = true;
			ms->dtmf_ts = in.ts;
		}
	}
	else if (ms->rec || ms->inband) {
		int16_t pcm[8 * MEDIA_FRAME];

		media_decode(ms->codec, pcm, in.pl, in.len);
		if (ms->rec)
			media_rec_put(ms->rec, ms->rec_ch, pcm, in.len);
		if (ms->inband)
			digit = media_dtmf_put(ms->inband, pcm, in.len);
		if (digit >= 0)
			++ms->st.dtmf;
	}

	/* before the relay, which transcodes in place */
	if (ms->tap && !telev)
		listen_put(ms->tap, ms->tap_side, ms->codec, in.pl, in.len);
	if (ms->peer)
		relay(ms->peer, &in, telev, ms->codec);

	return digit;

 drop:
	++ms->st.rx_dropped;
	return -1;
}


/*
 * The RTP socket is readable: take up to RX_BATCH datagrams at once (the
 * loop's level-triggered poll calls again for any more). A handler told
 * of a digit may end the call and free the stream, so we hold a
 * reference and stop once ours is the only one left.
 *
 * The buffers and message headers are static and set up once; only the
 * address lengths, which each call overwrites, are set again.
 */
static void rtp_readable(int flags, void *arg)
{
	static uint8_t buf[RX_BATCH][RX_SIZE];
	static struct sa src[RX_BATCH];
	static struct mmsghdr msg[RX_BATCH];
	static struct iovec iov[RX_BATCH];
	static bool ready;
	struct media_stream *ms = arg;
	int i, n;

	(void)flags;

	for (i = 0; !ready && i < RX_BATCH; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = RX_SIZE;
		msg[i].msg_hdr.msg_name = &src[i].u;
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	ready = true;

	for (i = 0; i < RX_BATCH; i++)
		msg[i].msg_hdr.msg_namelen = sizeof(src[i].u);

	n = recvmmsg(ms->fd, msg, RX_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return;

	mem_ref(ms);

	for (i = 0; i < n; i++) {
		int digit;

		/* truncated: larger than anything we accept */
		if (msg[i].msg_hdr.msg_flags & MSG_TRUNC) {
			++ms->st.rx_dropped;
			continue;
		}

		src[i].len = msg[i].msg_hdr.msg_namelen;
		digit = rtp_recv(ms, &src[i], buf[i], msg[i].msg_len);
		if (digit < 0 || !ms->eh)
			continue;

		ms->eh(ms, MEDIA_EV_DTMF, digit, ms->arg);
		if (mem_nrefs(ms) == 1)
			break;
	}

	mem_deref(ms);
}


static void inactivity_arm(struct media_stream *ms, uint64_t last)
{
	uint64_t now = tmr_jiffies();
	uint64_t idle = now - last;

	if (!ms->active || !ms->timeout_ms || ms->timed_out) {
		tmr_cancel(&ms->itmr);
		return;
	}

	tmr_start(&ms->itmr, idle >= ms->timeout_ms ? 1 :
		  ms->timeout_ms - idle, inactivity_check, ms);
}


static void inactivity_check(void *arg)
{
	struct media_stream *ms = arg;
	uint64_t now = tmr_jiffies();

	/* a peer on hold that sends nothing is not gone */
	if (!ms->peer_sends) {
		ms->last_rx = now;
		inactivity_arm(ms, now);
		return;
	}

	if (now - ms->last_rx < ms->timeout_ms) {
		inactivity_arm(ms, ms->last_rx);
		return;
	}

	ms->timed_out = true;
	log_info("no RTP on port %u for %llu ms", sa_port(&ms->laddr),
		 (unsigned long long)(now - ms->last_rx));

	if (ms->eh)
		ms->eh(ms, MEDIA_EV_TIMEOUT, 0, ms->arg);
}


void media_stream_activate(struct media_stream *ms)
{
	if (!ms || ms->active)
		return;

	ms->active = true;

	/* the clock starts now, not at the last early-media packet */
	ms->last_rx = tmr_jiffies();
	inactivity_arm(ms, ms->last_rx);
}


static int udp_bind(int *fdp, const struct sa *laddr, uint16_t port,
		    bool rtp)
{
	struct sa a = *laddr;
	int fd, v;

	fd = socket(sa_af(&a), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    IPPROTO_UDP);
	if (fd < 0)
		return errno;

	if (sa_af(&a) == AF_INET6) {
		v = 1;
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v,
				 sizeof(v));
	}

	if (rtp) {
		/* DSCP EF (RFC 3246, 4594): voice, expedited forwarding */
		v = 46 << 2;
		if (sa_af(&a) == AF_INET6)
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &v,
					 sizeof(v));
		else
			(void)setsockopt(fd, IPPROTO_IP, IP_TOS, &v,
					 sizeof(v));
	}
	else {
		/* the kernel's smallest buffer: RTCP is dropped unread */
		v = 0;
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	}

	sa_set_port(&a, port);
	if (bind(fd, &a.u.sa, a.len) < 0) {
		int err = errno;

		(void)close(fd);
		return err;
	}

	*fdp = fd;

	return 0;
}


/*
 * An even port P for RTP and P + 1 for RTCP, both free. The search starts
 * at a random pair (a new call's port is not guessable from the last
 * one's) and walks the whole range once.
 */
static int ports_bind(struct media_stream *ms, const struct media_conf *c)
{
	uint32_t first = (c->port_min + 1u) & ~1u;
	uint32_t pairs, i, start;
	int err = EADDRINUSE;

	if (c->port_max < first + 1)
		return EINVAL;

	pairs = (c->port_max - first + 1) / 2;
	start = rand_u32() % pairs;

	for (i = 0; i < pairs; i++) {
		uint16_t port = (uint16_t)(first + 2 * ((start + i) % pairs));
		int e;

		if (port_ours(port))
			continue;

		e = udp_bind(&ms->fd, c->laddr, port, true);
		if (e) {
			if (e != EADDRINUSE)
				err = e;
			continue;
		}

		e = udp_bind(&ms->fd_rtcp, c->laddr, port + 1, false);
		if (e) {
			(void)close(ms->fd);
			ms->fd = -1;
			if (e != EADDRINUSE)
				err = e;
			continue;
		}

		ms->laddr = *c->laddr;
		sa_set_port(&ms->laddr, port);
		port_mark(port, true);

		return 0;
	}

	return err;
}


int media_stream_alloc(struct media_stream **msp,
		       const struct media_conf *conf, media_event_h *eh,
		       void *arg)
{
	struct media_stream *ms;
	int err;

	if (!msp || !conf || !conf->laddr)
		return EINVAL;

	ms = mem_zalloc(sizeof(*ms), stream_destructor);
	if (!ms)
		return ENOMEM;

	tmr_init(&ms->itmr);
	ms->eh = eh;
	ms->arg = arg;
	ms->telev_pt = -1;
	ms->codec = MEDIA_PCMU;
	ms->timeout_ms = conf->timeout_ms;
	ms->tx_ts = rand_u32();
	ms->tx_time = tmr_jiffies();
	ms->tx_marker = true;

	ms->ssrc = rand_u32();
	ms->seq = rand_u16();
	ms->fd = -1;
	ms->fd_rtcp = -1;

	err = ports_bind(ms, conf);
	if (err) {
		log_error("no free RTP port pair in %u-%u: %s",
			  conf->port_min, conf->port_max, strerror(err));
		goto out;
	}

	err = fd_listen(ms->fd, FD_READ, rtp_readable, ms);
	if (err)
		goto out;

 out:
	if (err)
		mem_deref(ms);
	else
		*msp = ms;

	return err;
}


uint16_t media_stream_lport(const struct media_stream *ms)
{
	return ms ? sa_port(&ms->laddr) : 0;
}


const struct sa *media_stream_laddr(const struct media_stream *ms)
{
	return ms ? &ms->laddr : NULL;
}


void media_stream_set_remote(struct media_stream *ms, const struct sa *raddr,
			     enum media_codec codec, int telev_pt,
			     bool peer_sends, bool peer_recvs)
{
	if (!ms || !raddr)
		return;

	/* a new address in the SDP: latch again */
	if (!ms->have_remote || !sa_cmp(raddr, &ms->sdp_addr, SA_ALL)) {
		ms->sdp_addr = *raddr;
		ms->dst = *raddr;
		ms->latched = false;
	}

	if (ms->have_remote && codec != ms->codec)
		ms->tx_marker = true;

	ms->codec = codec;
	ms->telev_pt = telev_pt;
	ms->peer_sends = peer_sends;
	ms->peer_recvs = peer_recvs;
	ms->have_remote = true;

	if (ms->active)
		inactivity_arm(ms, ms->last_rx);
}


int media_bridge(struct media_stream *a, struct media_stream *b)
{
	if (!a || !b || a == b)
		return EINVAL;

	media_unbridge(a);
	media_unbridge(b);
	media_stream_stop(a);
	media_stream_stop(b);

	a->peer = b;
	b->peer = a;
	a->map_valid = b->map_valid = false;

	return 0;
}


void media_unbridge(struct media_stream *ms)
{
	if (!ms || !ms->peer)
		return;

	ms->peer->peer = NULL;
	ms->peer = NULL;
}


int media_listen(struct media_stream *out, struct media_stream *a,
		 struct media_stream *b)
{
	struct media_stream *src[2] = {a, b};
	unsigned i;

	if (!out || !a || !b || a == b || out == a || out == b)
		return EINVAL;
	if (a->tap || b->tap || out->tap || a->heard[0] || b->heard[0])
		return EBUSY;

	media_unlisten(out);
	media_unbridge(out);
	media_stream_stop(out);
	for (i = 0; i < 2; i++) {
		out->heard[i] = src[i];
		src[i]->tap = out;
		src[i]->tap_side = i;
	}
	out->tx_marker = true;

	return 0;
}


void media_unlisten(struct media_stream *out)
{
	unsigned i;

	if (!out)
		return;

	for (i = 0; i < 2; i++) {
		if (out->heard[i])
			out->heard[i]->tap = NULL;
		out->heard[i] = NULL;
		out->mix_n[i] = 0;
	}
}


void media_stream_record(struct media_stream *ms, struct media_rec *rec,
			 unsigned ch)
{
	if (!ms)
		return;

	mem_deref(ms->rec);
	ms->rec = mem_ref(rec);
	ms->rec_ch = ch;
}


int media_stream_detect_dtmf(struct media_stream *ms, bool on)
{
	if (!ms)
		return EINVAL;

	if (!on) {
		ms->inband = mem_deref(ms->inband);
		return 0;
	}

	return ms->inband ? 0 : media_dtmf_alloc(&ms->inband);
}


void media_stream_stats(const struct media_stream *ms,
			struct media_stats *st)
{
	if (!ms || !st)
		return;

	*st = ms->st;
	st->latched = ms->latched;
}


int media_parse_ports(uint16_t *minp, uint16_t *maxp, const char *s)
{
	unsigned long lo, hi;
	char *end;

	if (!minp || !maxp || !s)
		return EINVAL;

	if (*s < '0' || *s > '9')
		return EINVAL;
	lo = strtoul(s, &end, 10);
	if (*end != '-' || end[1] < '0' || end[1] > '9')
		return EINVAL;
	hi = strtoul(end + 1, &end, 10);
	if (*end)
		return EINVAL;

	if (lo < 1024 || hi > 65535 || lo + 3 > hi)
		return ERANGE;

	/* RTP on even ports, RTCP on the odd one above */
	*minp = (uint16_t)((lo + 1) & ~1ul);
	*maxp = (uint16_t)hi;

	return 0;
}
