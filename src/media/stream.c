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
 * place (G.711 laws have the same size) and sent from the other stream's
 * socket with that stream's SSRC and sequence number.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "media"
#include "util/util.h"
#include "media/media.h"
#include "media/media_int.h"

enum {
	RELATCH_MS = 2000,      /* latched peer silent this long: re-latch */
	PROMPT_CATCHUP = 5,     /* most frames sent at once after a stall */
	PT_CN = 13,             /* comfort noise: accepted, not relayed */
	TELEV_SIZE = 4,
	CLOCK_MS = 10,          /* the prompt clock's tick */
};

struct media_stream {
	struct rtp_sock *rtp;
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
	uint32_t tx_ts;
	uint64_t tx_time;           /* jiffies of tx_ts */
	bool tx_marker;
	struct mbuf *txmb;

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

	/* telephone events seen (to report each once) */
	bool dtmf_seen;
	uint32_t dtmf_ts;

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


static void inactivity_check(void *arg);
static void clock_sync(void);


static void stream_destructor(void *arg)
{
	struct media_stream *ms = arg;

	media_unbridge(ms);
	list_unlink(&ms->ple);
	clock_sync();
	tmr_cancel(&ms->itmr);
	mem_deref(ms->prompt);
	mem_deref(ms->rec);
	mem_deref(ms->txmb);
	mem_deref(ms->rtp);
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


static void send_frame(struct media_stream *ms, const int16_t *pcm)
{
	struct mbuf *mb = ms->txmb;
	int err;

	mb->pos = RTP_HEADER_SIZE;
	mb->end = RTP_HEADER_SIZE + MEDIA_FRAME;
	media_encode(ms->codec, mb->buf + RTP_HEADER_SIZE, pcm, MEDIA_FRAME);

	err = rtp_send(ms->rtp, &ms->dst, false, ms->tx_marker, ms->codec,
		       ms->tx_ts, mb);
	if (err)
		return;

	ms->tx_marker = false;
	++ms->st.tx_packets;
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
	if (!ms || !p || !media_prompt_samples(p))
		return EINVAL;

	mem_deref(ms->prompt);
	ms->prompt = mem_ref(p);
	ms->ppos = 0;
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


/* Send a packet of the bridged stream's peer (payload at mb->pos). */
static void relay(struct media_stream *ms, const struct rtp_header *hdr,
		  bool telev, enum media_codec from, struct mbuf *mb)
{
	uint8_t pt;
	bool marker = hdr->m;

	if (ms->prompt || !can_send(ms))
		return;

	if (telev) {
		if (ms->telev_pt < 0)
			return;
		pt = (uint8_t)ms->telev_pt;
	}
	else {
		media_transcode(from, ms->codec, mbuf_buf(mb),
				mbuf_get_left(mb));
		pt = (uint8_t)ms->codec;
	}

	/* a new source: put its first packet where our timeline is */
	if (!ms->map_valid || ms->map_ssrc != hdr->ssrc) {
		ms->map_offset = timeline_now(ms) - hdr->ts;
		ms->map_ssrc = hdr->ssrc;
		ms->map_valid = true;
		marker = true;
	}

	if (ms->tx_marker) {
		marker = true;
		ms->tx_marker = false;
	}

	if (rtp_send(ms->rtp, &ms->dst, false, marker, pt,
		     hdr->ts + ms->map_offset, mb))
		return;

	++ms->st.tx_packets;
	++ms->st.relayed;

	if (!telev) {
		/* keep the timeline where the relay put it */
		ms->tx_ts = hdr->ts + ms->map_offset + MEDIA_FRAME;
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


static void rtp_recv(const struct sa *src, const struct rtp_header *hdr,
		     struct mbuf *mb, void *arg)
{
	struct media_stream *ms = arg;
	size_t len = mbuf_get_left(mb);
	bool telev = false;
	int digit = -1;

	if (!ms->have_remote || hdr->ver != RTP_VERSION)
		goto drop;

	if (hdr->pt == ms->codec) {
		if (!len || len > 8 * MEDIA_FRAME)
			goto drop;
	}
	else if (ms->telev_pt >= 0 && hdr->pt == ms->telev_pt) {
		if (len < TELEV_SIZE)
			goto drop;
		telev = true;
	}
	else if (hdr->pt != PT_CN) {
		goto drop;
	}

	if (!accept_src(ms, src))
		goto drop;

	++ms->st.rx_packets;

	if (hdr->pt == PT_CN)
		return;

	if (telev) {
		/* a new event: a new timestamp, or the marker */
		if (!ms->dtmf_seen || hdr->ts != ms->dtmf_ts || hdr->m) {
			if (!ms->dtmf_seen || hdr->ts != ms->dtmf_ts) {
				digit = telev_digit(mbuf_buf(mb)[0]);
				++ms->st.dtmf;
			}
			ms->dtmf_seen = true;
			ms->dtmf_ts = hdr->ts;
		}
	}
	else if (ms->rec) {
		int16_t pcm[8 * MEDIA_FRAME];

		media_decode(ms->codec, pcm, mbuf_buf(mb), len);
		media_rec_put(ms->rec, ms->rec_ch, pcm, len);
	}

	if (ms->peer)
		relay(ms->peer, hdr, telev, ms->codec, mb);

	/* last: the handler may end the call */
	if (digit >= 0 && ms->eh)
		ms->eh(ms, MEDIA_EV_DTMF, digit, ms->arg);

	return;

 drop:
	++ms->st.rx_dropped;
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

	ms->txmb = mbuf_alloc(RTP_HEADER_SIZE + MEDIA_FRAME);
	if (!ms->txmb) {
		err = ENOMEM;
		goto out;
	}

	err = rtp_listen(&ms->rtp, IPPROTO_UDP, conf->laddr, conf->port_min,
			 conf->port_max, false, rtp_recv, NULL, ms);
	if (err) {
		log_error("no free RTP port pair in %u-%u: %s",
			  conf->port_min, conf->port_max, strerror(err));
		goto out;
	}

	ms->laddr = *rtp_local(ms->rtp);

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


void media_stream_record(struct media_stream *ms, struct media_rec *rec,
			 unsigned ch)
{
	if (!ms)
		return;

	mem_deref(ms->rec);
	ms->rec = mem_ref(rec);
	ms->rec_ch = ch;
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
