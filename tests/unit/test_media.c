/*
 * media: G.711 against its definition, WAV parsing and writing, the
 * recorder's pairing, and real RTP on loopback: prompt pacing, the relay
 * (transcoding, telephone events, SSRC and timestamps), symmetric latching
 * against a stray sender, and the inactivity timeout.
 */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>
#include <re.h>
#include "media/media.h"
#include "media/media_int.h"
#include "test.h"


TEST(media_g711_known_values)
{
	TEST_EQ_INT(media_ulaw_enc(0), 0xff);
	TEST_EQ_INT(media_ulaw_enc(32767), 0x80);
	TEST_EQ_INT(media_ulaw_enc(-32768), 0x00);
	TEST_EQ_INT(media_alaw_enc(0), 0xd5);
	TEST_EQ_INT(media_alaw_enc(32767), 0xaa);
	TEST_EQ_INT(media_alaw_enc(-32768), 0x2a);
	TEST_EQ_INT(media_ulaw_dec(0xff), 0);
	TEST_EQ_INT(media_ulaw_dec(0x80), 32124);
	TEST_EQ_INT(media_ulaw_dec(0x00), -32124);
	TEST_EQ_INT(media_alaw_dec(0xd5), 8);
	TEST_EQ_INT(media_alaw_dec(0xaa), 32256);
	TEST_EQ_INT(media_alaw_dec(0x2a), -32256);

	return 0;
}


TEST(media_g711_round_trip)
{
	int i;

	/* every code decodes to a value that encodes back to it (mu-law
	 * has two zeros, 0x7f and 0xff) */
	for (i = 0; i < 256; i++) {
		if (i != 0x7f)
			TEST_EQ_INT(media_ulaw_enc(media_ulaw_dec((uint8_t)i)),
				    i);
		TEST_EQ_INT(media_alaw_enc(media_alaw_dec((uint8_t)i)), i);
	}

	/* and the error of a sample is within half a step or so: the
	 * steps grow with the segment, 1/16 of the magnitude at most */
	for (i = -32768; i <= 32767; i += 7) {
		int u = media_ulaw_dec(media_ulaw_enc((int16_t)i));
		int a = media_alaw_dec(media_alaw_enc((int16_t)i));
		int tol = abs(i) / 16 + 16;

		if (abs(i) > 32124)
			continue;   /* clipped */
		TEST_ASSERT(abs(u - i) <= tol);
		TEST_ASSERT(abs(a - i) <= tol);
	}

	return 0;
}


TEST(media_g711_transcode)
{
	uint8_t buf[256], orig[256];
	int16_t pcm[256];
	int i;

	for (i = 0; i < 256; i++)
		pcm[i] = (int16_t)((i - 128) * 250);

	media_encode(MEDIA_PCMU, orig, pcm, 256);
	memcpy(buf, orig, sizeof(buf));
	media_transcode(MEDIA_PCMU, MEDIA_PCMA, buf, 256);
	for (i = 0; i < 256; i++) {
		int a = media_alaw_dec(buf[i]), u = media_ulaw_dec(orig[i]);

		TEST_ASSERT(abs(a - u) <= abs(u) / 16 + 16);
	}

	media_transcode(MEDIA_PCMA, MEDIA_PCMU, buf, 256);
	for (i = 0; i < 256; i++) {
		int u2 = media_ulaw_dec(buf[i]), u = media_ulaw_dec(orig[i]);

		TEST_ASSERT(abs(u2 - u) <= abs(u) / 8 + 16);
	}

	/* same law: untouched */
	memcpy(buf, orig, sizeof(buf));
	media_transcode(MEDIA_PCMA, MEDIA_PCMA, buf, 256);
	TEST_ASSERT(!memcmp(buf, orig, sizeof(buf)));

	return 0;
}


static size_t make_wav(uint8_t *buf, uint16_t ch, uint32_t rate,
		       uint16_t bits, size_t nsamp, bool list)
{
	size_t pos = 12, i;

	memcpy(buf, "RIFF", 4);
	memcpy(buf + 8, "WAVE", 4);
	if (list) {
		memcpy(buf + pos, "LIST\x05\0\0\0abcde\0", 14);
		pos += 14;
	}
	memcpy(buf + pos, "fmt \x10\0\0\0", 8);
	buf[pos + 8] = 1;
	buf[pos + 9] = 0;
	buf[pos + 10] = (uint8_t)ch;
	buf[pos + 11] = 0;
	memcpy(buf + pos + 12, &rate, 4);
	memset(buf + pos + 16, 0, 6);
	buf[pos + 22] = (uint8_t)bits;
	buf[pos + 23] = 0;
	pos += 24;
	memcpy(buf + pos, "data", 4);
	buf[pos + 4] = (uint8_t)(nsamp * 2);
	buf[pos + 5] = (uint8_t)((nsamp * 2) >> 8);
	buf[pos + 6] = 0;
	buf[pos + 7] = 0;
	pos += 8;
	for (i = 0; i < nsamp; i++) {
		int16_t s = (int16_t)(i * 100 - 5000);

		buf[pos++] = (uint8_t)s;
		buf[pos++] = (uint8_t)((uint16_t)s >> 8);
	}

	return pos;
}


/* a listener hears both sides: 440 Hz + 880 Hz, each 20 ms frame */
TEST(media_mix_sum_saturate_one_side)
{
	static const enum media_codec codecs[] = {MEDIA_PCMU, MEDIA_PCMA};
	uint8_t a[MEDIA_FRAME], b[MEDIA_FRAME], m[MEDIA_FRAME];
	int16_t pa[MEDIA_FRAME], pb[MEDIA_FRAME], pm[MEDIA_FRAME];
	size_t k;
	int i;

	for (k = 0; k < ARRAY_SIZE(codecs); k++) {
		enum media_codec c = codecs[k];

		for (i = 0; i < MEDIA_FRAME; i++) {
			pa[i] = (int16_t)(8000 * sin(2 * M_PI * 440 * i /
						     MEDIA_SRATE));
			pb[i] = (int16_t)(8000 * sin(2 * M_PI * 880 * i /
						     MEDIA_SRATE));
		}
		media_encode(c, a, pa, MEDIA_FRAME);
		media_encode(c, b, pb, MEDIA_FRAME);
		media_decode(c, pa, a, MEDIA_FRAME);
		media_decode(c, pb, b, MEDIA_FRAME);

		/* the sum of what each side sent, within one step */
		media_mix(c, m, a, b, MEDIA_FRAME);
		media_decode(c, pm, m, MEDIA_FRAME);
		for (i = 0; i < MEDIA_FRAME; i++) {
			int sum = pa[i] + pb[i];

			TEST_ASSERT(abs(pm[i] - sum) <= abs(sum) / 16 + 16);
		}

		/* one side silent (no frame): the other's bytes as they
		 * came; none: silence */
		media_mix(c, m, a, NULL, MEDIA_FRAME);
		TEST_ASSERT(!memcmp(m, a, sizeof(m)));
		media_mix(c, m, NULL, b, MEDIA_FRAME);
		TEST_ASSERT(!memcmp(m, b, sizeof(m)));
		media_mix(c, m, NULL, NULL, MEDIA_FRAME);
		media_decode(c, pm, m, MEDIA_FRAME);
		for (i = 0; i < MEDIA_FRAME; i++)
			TEST_ASSERT(abs(pm[i]) <= 8);

		/* two loud sides clip at full scale, never wrap round */
		for (i = 0; i < MEDIA_FRAME; i++) {
			pa[i] = i % 2 ? 30000 : -30000;
			pb[i] = pa[i];
		}
		media_encode(c, a, pa, MEDIA_FRAME);
		media_mix(c, m, a, a, MEDIA_FRAME);
		media_decode(c, pm, m, MEDIA_FRAME);
		for (i = 0; i < MEDIA_FRAME; i++)
			TEST_ASSERT(i % 2 ? pm[i] > 30000 : pm[i] < -30000);
	}

	return 0;
}


TEST(media_wav_parse)
{
	uint8_t buf[1024];
	int16_t *pcm = NULL;
	size_t len, n = 0;
	int err;

	len = make_wav(buf, 1, 8000, 16, 100, true);
	err = media_wav_parse(&pcm, &n, buf, len, "t.wav");
	TEST_EQ_INT(err, 0);
	TEST_EQ_INT(n, 100);
	TEST_EQ_INT(pcm[0], -5000);
	TEST_EQ_INT(pcm[99], 4900);
	pcm = mem_deref(pcm);

	/* a data size larger than the file (a writer that died) */
	len = make_wav(buf, 1, 8000, 16, 100, false);
	err = media_wav_parse(&pcm, &n, buf, len - 20, "t.wav");
	TEST_EQ_INT(err, 0);
	TEST_EQ_INT(n, 90);
	pcm = mem_deref(pcm);

	/* another rate is converted to 8 kHz */
	len = make_wav(buf, 1, 16000, 16, 100, false);
	TEST_EQ_INT(media_wav_parse(&pcm, &n, buf, len, "t.wav"), 0);
	TEST_EQ_INT(n, 50);
	pcm = mem_deref(pcm);

	len = make_wav(buf, 2, 8000, 16, 100, false);
	TEST_EQ_INT(media_wav_parse(&pcm, &n, buf, len, "t.wav"), EINVAL);
	len = make_wav(buf, 1, 96000, 16, 100, false);
	TEST_EQ_INT(media_wav_parse(&pcm, &n, buf, len, "t.wav"), EINVAL);
	len = make_wav(buf, 1, 4000, 16, 100, false);
	TEST_EQ_INT(media_wav_parse(&pcm, &n, buf, len, "t.wav"), EINVAL);
	len = make_wav(buf, 1, 8000, 8, 100, false);
	TEST_EQ_INT(media_wav_parse(&pcm, &n, buf, len, "t.wav"), EINVAL);
	TEST_EQ_INT(media_wav_parse(&pcm, &n, (uint8_t *)"RIFX....WAVE",
				    12, "t.wav"), EBADMSG);
	/* no data chunk */
	len = make_wav(buf, 1, 8000, 16, 0, false);
	TEST_EQ_INT(media_wav_parse(&pcm, &n, buf, len - 8, "t.wav"),
		    EBADMSG);
	/* empty data */
	TEST_EQ_INT(media_wav_parse(&pcm, &n, buf, len, "t.wav"), EBADMSG);
	TEST_ASSERT(pcm == NULL);

	return 0;
}


static int read_file(uint8_t **bufp, size_t *lenp, const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (!f)
		return errno;
	buf = mem_alloc(1 << 20, NULL);
	n = buf ? fread(buf, 1, 1 << 20, f) : 0;
	fclose(f);
	if (!buf)
		return ENOMEM;
	*bufp = buf;
	*lenp = n;

	return 0;
}


TEST(media_rec_pairs_channels)
{
	char path[] = "/tmp/beckon-rec-XXXXXX";
	int16_t l[MEDIA_FRAME], r[MEDIA_FRAME];
	struct media_rec *rec = NULL;
	uint8_t *buf = NULL;
	size_t len = 0, i;
	uint32_t data;
	int fd, err, k;

	fd = mkstemp(path);
	TEST_ASSERT(fd >= 0);
	close(fd);

	for (i = 0; i < MEDIA_FRAME; i++) {
		l[i] = 1000;
		r[i] = -2000;
	}

	err = media_rec_open(&rec, path);
	TEST_EQ_INT(err, 0);

	/* 10 frames each, interleaved: written as pairs */
	for (k = 0; k < 10; k++) {
		media_rec_put(rec, 0, l, MEDIA_FRAME);
		media_rec_put(rec, 1, r, MEDIA_FRAME);
	}
	/* then the right side falls silent for 20 frames */
	for (k = 0; k < 20; k++)
		media_rec_put(rec, 0, l, MEDIA_FRAME);

	TEST_ASSERT(media_rec_duration(rec) >= 0.5);
	rec = mem_deref(rec);

	err = read_file(&buf, &len, path);
	unlink(path);
	TEST_EQ_INT(err, 0);

	TEST_EQ_INT(len, 44 + 30 * MEDIA_FRAME * 4);
	TEST_ASSERT(!memcmp(buf, "RIFF", 4));
	TEST_EQ_INT(buf[22], 2);                      /* channels */
	memcpy(&data, buf + 40, 4);
	TEST_EQ_INT(data, 30 * MEDIA_FRAME * 4);

	/* first pair: both voices; last pair: left and silence */
	TEST_EQ_INT((int16_t)(buf[44] | buf[45] << 8), 1000);
	TEST_EQ_INT((int16_t)(buf[46] | buf[47] << 8), -2000);
	TEST_EQ_INT((int16_t)(buf[len - 4] | buf[len - 3] << 8), 1000);
	TEST_EQ_INT((int16_t)(buf[len - 2] | buf[len - 1] << 8), 0);

	mem_deref(buf);

	return 0;
}


TEST(media_parse_ports)
{
	uint16_t lo, hi;

	TEST_EQ_INT(media_parse_ports(&lo, &hi, "20000-29999"), 0);
	TEST_EQ_INT(lo, 20000);
	TEST_EQ_INT(hi, 29999);
	TEST_EQ_INT(media_parse_ports(&lo, &hi, "20001-20010"), 0);
	TEST_EQ_INT(lo, 20002);
	TEST_EQ_INT(media_parse_ports(&lo, &hi, "20000"), EINVAL);
	TEST_EQ_INT(media_parse_ports(&lo, &hi, "a-b"), EINVAL);
	TEST_EQ_INT(media_parse_ports(&lo, &hi, "100-200"), ERANGE);
	TEST_EQ_INT(media_parse_ports(&lo, &hi, "20000-70000"), ERANGE);
	TEST_EQ_INT(media_parse_ports(&lo, &hi, "20000-20001"), ERANGE);

	return 0;
}


/* ---- RTP on loopback */

/* a raw RTP peer: a UDP socket that records what it gets */
struct peer {
	struct udp_sock *us;
	struct sa addr;
	unsigned n;
	struct rtp_header first, last;
	uint8_t payload[200];
	size_t plen;
	unsigned telev;
	uint8_t telev_pt;
	uint32_t telev_ts;
	unsigned markers;
	bool ts_ok;
};


static void peer_recv(const struct sa *src, struct mbuf *mb, void *arg)
{
	struct peer *p = arg;
	struct rtp_header hdr;

	(void)src;
	if (rtp_hdr_decode(&hdr, mb))
		return;

	if (hdr.pt == p->telev_pt && p->telev_pt) {
		if (!p->telev || hdr.ts == p->telev_ts)
			++p->telev;
		p->telev_ts = hdr.ts;
		return;
	}

	if (p->n == 0) {
		p->first = hdr;
		p->ts_ok = true;
	}
	else if (hdr.ts != p->last.ts + MEDIA_FRAME ||
		 hdr.seq != (uint16_t)(p->last.seq + 1) ||
		 hdr.ssrc != p->first.ssrc) {
		p->ts_ok = false;
	}
	if (hdr.m)
		++p->markers;
	p->last = hdr;
	p->plen = mbuf_get_left(mb) < sizeof(p->payload) ?
		mbuf_get_left(mb) : sizeof(p->payload);
	memcpy(p->payload, mbuf_buf(mb), p->plen);
	++p->n;
}


static int peer_open_at(struct peer *p, const char *ip)
{
	int err;

	memset(p, 0, sizeof(*p));
	sa_set_str(&p->addr, ip, 0);
	err = udp_listen(&p->us, &p->addr, peer_recv, p);
	if (!err)
		err = udp_local_get(p->us, &p->addr);

	return err;
}


static int peer_open(struct peer *p)
{
	return peer_open_at(p, "127.0.0.1");
}


static int peer_send(struct peer *p, const struct sa *dst, uint8_t pt,
		     uint16_t seq, uint32_t ts, const uint8_t *pl, size_t n,
		     bool marker)
{
	struct rtp_header hdr;
	struct mbuf *mb = mbuf_alloc(RTP_HEADER_SIZE + n);
	int err;

	if (!mb)
		return ENOMEM;

	memset(&hdr, 0, sizeof(hdr));
	hdr.ver = RTP_VERSION;
	hdr.pt = pt;
	hdr.m = marker;
	hdr.seq = seq;
	hdr.ts = ts;
	hdr.ssrc = 0x1234 + pt;
	err = rtp_hdr_encode(mb, &hdr);
	err |= mbuf_write_mem(mb, pl, n);
	mb->pos = 0;
	if (!err)
		err = udp_send(p->us, dst, mb);
	mem_deref(mb);

	return err;
}


static void stop_loop(void *arg)
{
	(void)arg;
	re_cancel();
}


static void run_for(uint32_t ms)
{
	struct tmr t;

	tmr_init(&t);
	tmr_start(&t, ms, stop_loop, NULL);
	(void)re_main(NULL);
	tmr_cancel(&t);
}


struct evcount {
	unsigned timeout;
	unsigned prompt_end;
	unsigned dtmf;
	int digit;
	uint64_t t_timeout;
};


static void ev_h(struct media_stream *ms, enum media_event ev, int digit,
		 void *arg)
{
	struct evcount *ec = arg;

	(void)ms;
	switch (ev) {

	case MEDIA_EV_TIMEOUT:
		++ec->timeout;
		ec->t_timeout = tmr_jiffies();
		break;

	case MEDIA_EV_PROMPT_END:
		++ec->prompt_end;
		break;

	case MEDIA_EV_DTMF:
		++ec->dtmf;
		ec->digit = digit;
		break;
	}
}


static void conf_init(struct media_conf *mc, struct sa *laddr)
{
	sa_set_str(laddr, "127.0.0.1", 0);
	memset(mc, 0, sizeof(*mc));
	mc->laddr = laddr;
	mc->port_min = 40000;
	mc->port_max = 49999;
}


static int write_prompt(const char *path, size_t nsamp)
{
	uint8_t *buf = mem_alloc(64 + nsamp * 2, NULL);
	size_t i, pos;
	FILE *f;
	int err = 0;

	if (!buf)
		return ENOMEM;
	media_wav_header(buf, 1, (uint32_t)nsamp);
	buf[22] = 1;
	pos = 44;
	for (i = 0; i < nsamp; i++) {
		int16_t s = (int16_t)(i % 2 ? 8000 : -8000);

		buf[pos++] = (uint8_t)s;
		buf[pos++] = (uint8_t)((uint16_t)s >> 8);
	}
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, pos, f) != pos)
		err = EIO;
	if (f)
		fclose(f);
	mem_deref(buf);

	return err;
}


TEST(media_prompt_paced)
{
	char path[] = "/tmp/beckon-prompt-XXXXXX";
	struct media_prompt *p = NULL;
	struct media_stream *ms = NULL;
	struct media_conf mc;
	struct media_stream *other = NULL;
	struct evcount ec, ec2;
	struct sa laddr;
	struct peer peer;
	int fd, err;

	memset(&ec, 0, sizeof(ec));
	memset(&ec2, 0, sizeof(ec2));
	fd = mkstemp(path);
	TEST_ASSERT(fd >= 0);
	close(fd);
	err = write_prompt(path, MEDIA_SRATE / 5);     /* 200 ms */
	if (!err)
		err = media_prompt_load(&p, path);
	unlink(path);
	TEST_EQ_INT(err, 0);
	TEST_EQ_INT(media_prompt_samples(p), 1600);

	conf_init(&mc, &laddr);
	err = peer_open(&peer);
	if (!err)
		err = media_stream_alloc(&ms, &mc, ev_h, &ec);
	TEST_EQ_INT(err, 0);
	TEST_ASSERT(media_stream_lport(ms) >= 40000);
	TEST_ASSERT(media_stream_lport(ms) % 2 == 0);

	media_stream_set_remote(ms, &peer.addr, MEDIA_PCMA, -1, true, true);

	/* Another stream's prompt starts the shared 10 ms clock 5 ms
	 * after ours was made, and ours starts 12 ms later: its frames
	 * leave 8 ms after their slots, and it is 17 ms old. They must
	 * still carry consecutive timestamps (the timeline follows the
	 * prompt's grid, not the stream's age or the clock's phase). */
	run_for(5);
	err = media_stream_alloc(&other, &mc, ev_h, &ec2);
	if (!err)
		err = media_stream_play(other, p, true);
	TEST_EQ_INT(err, 0);
	run_for(12);

	/* once: 10 frames, then the end event */
	err = media_stream_play(ms, p, false);
	TEST_EQ_INT(err, 0);
	TEST_ASSERT(media_stream_playing(ms));
	run_for(400);
	TEST_EQ_INT(peer.n, 10);
	TEST_EQ_INT(ec.prompt_end, 1);
	TEST_ASSERT(!media_stream_playing(ms));
	TEST_ASSERT(peer.ts_ok);
	TEST_EQ_INT(peer.first.pt, MEDIA_PCMA);
	TEST_EQ_INT(peer.first.m, 1);
	TEST_EQ_INT(peer.markers, 1);
	TEST_EQ_INT(peer.plen, MEDIA_FRAME);
	TEST_EQ_INT(peer.payload[0], media_alaw_enc(-8000));
	TEST_EQ_INT(peer.payload[1], media_alaw_enc(8000));

	/* looped: about one frame per 20 ms for as long as it plays */
	peer.n = 0;
	err = media_stream_play(ms, p, true);
	TEST_EQ_INT(err, 0);
	run_for(500);
	media_stream_stop(ms);
	TEST_ASSERT(peer.n >= 22 && peer.n <= 28);
	TEST_EQ_INT(ec.prompt_end, 1);

	mem_deref(other);
	mem_deref(ms);
	mem_deref(p);
	mem_deref(peer.us);

	return 0;
}


TEST(media_relay_transcode_telev_latch)
{
	struct media_stream *a = NULL, *b = NULL;
	struct peer cust, agent, stray;
	struct evcount eca, ecb;
	struct media_conf mc;
	struct media_stats st;
	struct sa laddr, sdp_addr;
	uint8_t pl[MEDIA_FRAME], ev[4] = {5, 0x0a, 0, 160};
	int16_t pcm[MEDIA_FRAME];
	unsigned i;
	int err;

	memset(&eca, 0, sizeof(eca));
	memset(&ecb, 0, sizeof(ecb));
	conf_init(&mc, &laddr);
	err  = peer_open(&cust);
	err |= peer_open(&agent);
	err |= peer_open(&stray);
	TEST_EQ_INT(err, 0);
	agent.telev_pt = 96;

	err = media_stream_alloc(&a, &mc, ev_h, &eca);
	if (!err)
		err = media_stream_alloc(&b, &mc, ev_h, &ecb);
	TEST_EQ_INT(err, 0);

	/* the customer's SDP names a port nobody listens on: symmetric RTP
	 * must answer where its packets come from */
	sa_set_str(&sdp_addr, "127.0.0.1", 9);
	media_stream_set_remote(a, &sdp_addr, MEDIA_PCMU, 101, true, true);
	media_stream_set_remote(b, &agent.addr, MEDIA_PCMA, 96, true, true);
	TEST_EQ_INT(media_bridge(a, b), 0);

	for (i = 0; i < MEDIA_FRAME; i++)
		pcm[i] = (int16_t)(i * 150);
	media_encode(MEDIA_PCMU, pl, pcm, MEDIA_FRAME);

	for (i = 0; i < 5; i++) {
		err = peer_send(&cust, media_stream_laddr(a), MEDIA_PCMU,
				(uint16_t)(100 + i), 1000 + i * MEDIA_FRAME,
				pl, sizeof(pl), i == 0);
		TEST_EQ_INT(err, 0);
	}
	/* a stray sender after latching: dropped, never relayed */
	err = peer_send(&stray, media_stream_laddr(a), MEDIA_PCMU, 7, 7, pl,
			sizeof(pl), false);
	TEST_EQ_INT(err, 0);
	/* a telephone event: digit 5, three packets of one event */
	for (i = 0; i < 3; i++) {
		err = peer_send(&cust, media_stream_laddr(a), 101,
				(uint16_t)(105 + i), 5000, ev, sizeof(ev),
				i == 0);
		TEST_EQ_INT(err, 0);
	}
	/* a payload type the SDP did not agree: dropped */
	err = peer_send(&cust, media_stream_laddr(a), 18, 200, 9000, pl, 20,
			false);
	TEST_EQ_INT(err, 0);

	run_for(150);

	TEST_EQ_INT(agent.n, 5);
	TEST_EQ_INT(agent.first.pt, MEDIA_PCMA);
	TEST_ASSERT(agent.ts_ok);
	TEST_EQ_INT(agent.markers, 1);
	for (i = 0; i < MEDIA_FRAME; i++) {
		int s = media_alaw_dec(agent.payload[i]);
		int u = media_ulaw_dec(pl[i]);

		TEST_ASSERT(abs(s - u) <= abs(u) / 16 + 16);
	}
	TEST_EQ_INT(agent.telev, 3);
	TEST_EQ_INT(eca.dtmf, 1);
	TEST_EQ_INT(eca.digit, '5');

	media_stream_stats(a, &st);
	TEST_ASSERT(st.latched);
	TEST_EQ_INT(st.rx_packets, 8);
	TEST_EQ_INT(st.rx_dropped, 2);

	/* the other way: agent to customer, to the latched address */
	media_encode(MEDIA_PCMA, pl, pcm, MEDIA_FRAME);
	for (i = 0; i < 3; i++) {
		err = peer_send(&agent, media_stream_laddr(b), MEDIA_PCMA,
				(uint16_t)i, i * MEDIA_FRAME, pl, sizeof(pl),
				false);
		TEST_EQ_INT(err, 0);
	}
	run_for(100);
	TEST_EQ_INT(cust.n, 3);
	TEST_EQ_INT(cust.first.pt, MEDIA_PCMU);
	TEST_EQ_INT(stray.n, 0);

	/* counted by the stream that sends */
	media_stream_stats(b, &st);
	TEST_EQ_INT(st.relayed, 8);
	media_stream_stats(a, &st);
	TEST_EQ_INT(st.relayed, 3);

	mem_deref(a);      /* unbridges b */
	mem_deref(b);
	mem_deref(cust.us);
	mem_deref(agent.us);
	mem_deref(stray.us);

	return 0;
}


/* a supervisor's stream hears the customer's 440 Hz and the agent's
 * 880 Hz mixed; neither side hears the supervisor */
/* got is pa (u-law) + pb (A-law) within the roundings: the agent's side
 * is transcoded, then the sum encoded, two roundings of a step each */
static bool mixed_ok(const uint8_t *got, const uint8_t *pa,
		     const uint8_t *pb)
{
	unsigned i;

	for (i = 0; i < MEDIA_FRAME; i++) {
		int u = media_ulaw_dec(pa[i]), v = media_alaw_dec(pb[i]);
		int g = media_ulaw_dec(got[i]);

		if (abs(g - (u + v)) > (abs(u) + abs(v)) / 8 + 32)
			return false;
	}

	return true;
}


TEST(media_listen_mixes_both_sides)
{
	struct media_stream *a = NULL, *b = NULL, *o = NULL;
	struct peer cust, agent, sup;
	struct media_conf mc;
	struct sa laddr;
	uint8_t pa[MEDIA_FRAME], pb[MEDIA_FRAME];
	int16_t ca[MEDIA_FRAME], cb[MEDIA_FRAME];
	unsigned i;
	int err;

	conf_init(&mc, &laddr);
	err  = peer_open(&cust);
	err |= peer_open(&agent);
	err |= peer_open(&sup);
	TEST_EQ_INT(err, 0);
	err  = media_stream_alloc(&a, &mc, NULL, NULL);
	err |= media_stream_alloc(&b, &mc, NULL, NULL);
	err |= media_stream_alloc(&o, &mc, NULL, NULL);
	TEST_EQ_INT(err, 0);
	media_stream_set_remote(a, &cust.addr, MEDIA_PCMU, -1, true, true);
	media_stream_set_remote(b, &agent.addr, MEDIA_PCMA, -1, true, true);
	media_stream_set_remote(o, &sup.addr, MEDIA_PCMU, -1, true, true);
	TEST_EQ_INT(media_bridge(a, b), 0);
	TEST_EQ_INT(media_listen(o, a, b), 0);
	TEST_EQ_INT(media_listen(o, a, b), EBUSY);

	for (i = 0; i < MEDIA_FRAME; i++) {
		ca[i] = (int16_t)(8000 * sin(2 * M_PI * 440 * i /
					     MEDIA_SRATE));
		cb[i] = (int16_t)(8000 * sin(2 * M_PI * 880 * i /
					     MEDIA_SRATE));
	}
	media_encode(MEDIA_PCMU, pa, ca, MEDIA_FRAME);
	media_encode(MEDIA_PCMA, pb, cb, MEDIA_FRAME);

	/* five frames each way: each pair is sent mixed */
	for (i = 0; i < 5; i++) {
		err  = peer_send(&cust, media_stream_laddr(a), MEDIA_PCMU,
				 (uint16_t)i, i * MEDIA_FRAME, pa, sizeof(pa),
				 !i);
		run_for(10);
		err |= peer_send(&agent, media_stream_laddr(b), MEDIA_PCMA,
				 (uint16_t)i, i * MEDIA_FRAME, pb, sizeof(pb),
				 !i);
		run_for(10);
		TEST_EQ_INT(err, 0);
	}
	TEST_EQ_INT(sup.n, 5);
	TEST_EQ_INT(sup.first.pt, MEDIA_PCMU);
	TEST_ASSERT(sup.ts_ok);
	TEST_EQ_INT(sup.markers, 1);
	TEST_ASSERT(mixed_ok(sup.payload, pa, pb));

	/* bursts, two of the customer's then two of the agent's: still
	 * frame with frame, each sent mixed */
	for (i = 5; i < 9; i++) {
		bool c = i < 7;

		err = peer_send(c ? &cust : &agent,
				media_stream_laddr(c ? a : b),
				c ? MEDIA_PCMU : MEDIA_PCMA, (uint16_t)i,
				i * MEDIA_FRAME, c ? pa : pb, sizeof(pa),
				false);
		TEST_EQ_INT(err, 0);
		run_for(10);
		TEST_EQ_INT(sup.n, i < 7 ? 5 : i - 1);
	}
	TEST_ASSERT(mixed_ok(sup.payload, pa, pb));
	/* the relay is as it was, and nobody hears the supervisor */
	TEST_EQ_INT(cust.n, 7);
	TEST_EQ_INT(agent.n, 7);

	/* the agent silent: the customer's frames as they came, once
	 * three wait */
	for (i = 9; i < 12; i++) {
		err = peer_send(&cust, media_stream_laddr(a), MEDIA_PCMU,
				(uint16_t)i, i * MEDIA_FRAME, pa, sizeof(pa),
				false);
		TEST_EQ_INT(err, 0);
		run_for(10);
		TEST_EQ_INT(sup.n, i < 11 ? 7 : 8);
	}
	TEST_ASSERT(!memcmp(sup.payload, pa, sizeof(pa)));

	/* the listener gone, the call goes on */
	o = mem_deref(o);
	err = peer_send(&agent, media_stream_laddr(b), MEDIA_PCMA, 12,
			12 * MEDIA_FRAME, pb, sizeof(pb), false);
	TEST_EQ_INT(err, 0);
	run_for(20);
	TEST_EQ_INT(cust.n, 8);
	TEST_EQ_INT(sup.n, 8);

	mem_deref(a);
	mem_deref(b);
	mem_deref(cust.us);
	mem_deref(agent.us);
	mem_deref(sup.us);

	return 0;
}


static int raw_send(struct peer *p, const struct sa *dst, const uint8_t *pkt,
		    size_t n)
{
	struct mbuf *mb = mbuf_alloc(n);
	int err;

	if (!mb)
		return ENOMEM;
	err = mbuf_write_mem(mb, pkt, n);
	mb->pos = 0;
	if (!err)
		err = udp_send(p->us, dst, mb);
	mem_deref(mb);

	return err;
}


/* what a DTMF handler that ends the call does: frees its stream */
static void free_on_dtmf(struct media_stream *ms, enum media_event ev,
			 int digit, void *arg)
{
	struct media_stream **msp = arg;

	(void)digit;
	if (ev == MEDIA_EV_DTMF && *msp == ms)
		*msp = mem_deref(ms);
}


TEST(media_rtp_header_forms)
{
	struct media_stream *a = NULL, *b = NULL;
	struct peer cust, agent;
	struct evcount ecb;
	struct media_conf mc;
	struct media_stats st;
	struct sa laddr, rtcp;
	struct udp_sock *us = NULL;
	uint8_t pkt[12 + 8 + 8 + 160 + 4];
	size_t n;
	unsigned i;
	int err;

	memset(&ecb, 0, sizeof(ecb));
	conf_init(&mc, &laddr);
	err  = peer_open(&cust);
	err |= peer_open(&agent);
	TEST_EQ_INT(err, 0);

	err = media_stream_alloc(&a, &mc, NULL, NULL);
	if (!err)
		err = media_stream_alloc(&b, &mc, ev_h, &ecb);
	TEST_EQ_INT(err, 0);
	TEST_EQ_INT(media_stream_lport(a) % 2, 0);

	/* the RTCP port above is held: nobody else can take it */
	rtcp = *media_stream_laddr(a);
	sa_set_port(&rtcp, (uint16_t)(media_stream_lport(a) + 1));
	TEST_EQ_INT(udp_listen(&us, &rtcp, NULL, NULL), EADDRINUSE);

	media_stream_set_remote(a, &cust.addr, MEDIA_PCMU, -1, true, true);
	media_stream_set_remote(b, &agent.addr, MEDIA_PCMU, -1, true, true);
	TEST_EQ_INT(media_bridge(a, b), 0);

	/* two CSRCs, a one-word extension, 160 bytes of audio, 4 of
	 * padding: the agent gets the 160 bytes behind a plain header */
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x80 | 0x20 | 0x10 | 2;
	pkt[1] = MEDIA_PCMU;
	pkt[3] = 1;
	pkt[7] = 160;
	pkt[11] = 9;
	pkt[12 + 8 + 3] = 1;            /* extension: one 32-bit word */
	for (i = 0; i < 160; i++)
		pkt[12 + 8 + 8 + i] = (uint8_t)(i + 1);
	pkt[sizeof(pkt) - 1] = 4;
	TEST_EQ_INT(raw_send(&cust, media_stream_laddr(a), pkt, sizeof(pkt)),
		    0);

	/* not RTP we can read: each dropped, none relayed */
	n = sizeof(pkt);
	pkt[n - 1] = 200;               /* padding longer than the payload */
	err  = raw_send(&cust, media_stream_laddr(a), pkt, n);
	pkt[n - 1] = 4;
	pkt[12 + 8 + 3] = 60;           /* extension beyond the end */
	err |= raw_send(&cust, media_stream_laddr(a), pkt, n);
	pkt[12 + 8 + 3] = 1;
	pkt[0] = 0x40 | 0x20 | 0x10 | 2;  /* version 1 */
	err |= raw_send(&cust, media_stream_laddr(a), pkt, n);
	err |= raw_send(&cust, media_stream_laddr(a), pkt, 11);
	TEST_EQ_INT(err, 0);

	run_for(100);

	TEST_EQ_INT(agent.n, 1);
	TEST_EQ_INT(agent.plen, 160);
	TEST_EQ_INT(agent.payload[0], 1);
	TEST_EQ_INT(agent.payload[159], 160);
	TEST_EQ_INT(agent.first.cc, 0);
	TEST_ASSERT(!agent.first.ext && !agent.first.pad);
	media_stream_stats(a, &st);
	TEST_EQ_INT(st.rx_packets, 1);
	TEST_EQ_INT(st.rx_dropped, 4);

	/* a handler that ends the call on a digit frees the stream while
	 * the rest of a burst waits to be read: nothing reads freed
	 * memory (the sanitizer build watches) */
	mem_deref(a);
	a = NULL;
	err = media_stream_alloc(&a, &mc, free_on_dtmf, &a);
	TEST_EQ_INT(err, 0);
	media_stream_set_remote(a, &cust.addr, MEDIA_PCMU, 101, true, true);
	TEST_EQ_INT(media_bridge(a, b), 0);
	for (i = 0; i < 6; i++) {
		uint8_t ev[4] = {(uint8_t)i, 0x0a, 0, 160};

		err = peer_send(&cust, media_stream_laddr(a), 101,
				(uint16_t)(10 + i), 100 + i * 800, ev,
				sizeof(ev), true);
		TEST_EQ_INT(err, 0);
	}
	run_for(100);
	TEST_ASSERT(a == NULL);

	mem_deref(b);
	mem_deref(cust.us);
	mem_deref(agent.us);

	return 0;
}


/* the same relay over IPv6 (the streams' sockets are v6-only) */
TEST(media_relay_ipv6)
{
	struct media_stream *a = NULL, *b = NULL;
	struct peer cust, agent;
	struct media_conf mc;
	struct media_stats st;
	struct sa laddr;
	uint8_t pl[MEDIA_FRAME];
	unsigned i;
	int err;

	conf_init(&mc, &laddr);
	sa_set_str(&laddr, "::1", 0);
	err  = peer_open_at(&cust, "::1");
	err |= peer_open_at(&agent, "::1");
	TEST_EQ_INT(err, 0);

	err = media_stream_alloc(&a, &mc, NULL, NULL);
	if (!err)
		err = media_stream_alloc(&b, &mc, NULL, NULL);
	TEST_EQ_INT(err, 0);
	TEST_EQ_INT(sa_af(media_stream_laddr(a)), AF_INET6);

	media_stream_set_remote(a, &cust.addr, MEDIA_PCMU, -1, true, true);
	media_stream_set_remote(b, &agent.addr, MEDIA_PCMA, -1, true, true);
	TEST_EQ_INT(media_bridge(a, b), 0);

	memset(pl, 0x55, sizeof(pl));
	for (i = 0; i < 3; i++) {
		err = peer_send(&cust, media_stream_laddr(a), MEDIA_PCMU,
				(uint16_t)i, i * MEDIA_FRAME, pl, sizeof(pl),
				false);
		TEST_EQ_INT(err, 0);
	}
	for (i = 0; i < 2; i++) {
		err = peer_send(&agent, media_stream_laddr(b), MEDIA_PCMA,
				(uint16_t)i, i * MEDIA_FRAME, pl, sizeof(pl),
				false);
		TEST_EQ_INT(err, 0);
	}
	run_for(100);

	TEST_EQ_INT(agent.n, 3);
	TEST_EQ_INT(agent.first.pt, MEDIA_PCMA);
	TEST_ASSERT(agent.ts_ok);
	TEST_EQ_INT(cust.n, 2);
	TEST_EQ_INT(cust.first.pt, MEDIA_PCMU);
	media_stream_stats(a, &st);
	TEST_ASSERT(st.latched);
	TEST_EQ_INT(st.rx_packets, 3);
	TEST_EQ_INT(st.relayed, 2);

	mem_deref(a);
	mem_deref(b);
	mem_deref(cust.us);
	mem_deref(agent.us);

	return 0;
}


TEST(media_inactivity_timeout)
{
	struct media_stream *ms = NULL;
	struct media_conf mc;
	struct evcount ec;
	struct peer peer;
	struct sa laddr;
	uint8_t pl[MEDIA_FRAME];
	uint64_t t0;
	int err;

	memset(&ec, 0, sizeof(ec));
	memset(pl, 0xff, sizeof(pl));
	conf_init(&mc, &laddr);
	/* a second, with margins wide enough that a loaded machine (the
	 * tests run side by side, some under ASan) cannot fake an answer */
	mc.timeout_ms = 1000;
	err = peer_open(&peer);
	if (!err)
		err = media_stream_alloc(&ms, &mc, ev_h, &ec);
	TEST_EQ_INT(err, 0);

	/* on hold, the peer sends nothing: no timeout */
	media_stream_set_remote(ms, &peer.addr, MEDIA_PCMU, -1, false, true);
	media_stream_activate(ms);
	run_for(1300);
	TEST_EQ_INT(ec.timeout, 0);

	/* off hold: packets keep it alive, then silence ends it a second
	 * after the last one (not the first: that would be 700 ms after
	 * t0) */
	media_stream_set_remote(ms, &peer.addr, MEDIA_PCMU, -1, true, true);
	(void)peer_send(&peer, media_stream_laddr(ms), 0, 1, 160, pl,
			sizeof(pl), false);
	run_for(300);
	(void)peer_send(&peer, media_stream_laddr(ms), 0, 2, 320, pl,
			sizeof(pl), false);
	t0 = tmr_jiffies();
	run_for(300);
	TEST_EQ_INT(ec.timeout, 0);
	run_for(2200);
	TEST_EQ_INT(ec.timeout, 1);
	/* not early (the lower bound is the point); the upper bound only
	 * says it came, with room for a loop turn late under ASan and load */
	TEST_ASSERT(ec.t_timeout - t0 >= 950 && ec.t_timeout - t0 <= 2450);

	mem_deref(ms);
	mem_deref(peer.us);

	return 0;
}


TEST(media_shipped_prompts_load)
{
	static const char *const names[] = {"goodbye", "whisper"};
	const char *src = getenv("BECKON_SRC");
	char path[512];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct media_prompt *p = NULL;
		int err;

		(void)snprintf(path, sizeof(path), "%s/share/prompts/%s.wav",
			       src && *src ? src : ".", names[i]);
		err = media_prompt_load(&p, path);
		TEST_EQ_INT(err, 0);
		/* at least a second, at most a minute */
		TEST_ASSERT(media_prompt_samples(p) >= MEDIA_SRATE);
		TEST_ASSERT(media_prompt_samples(p) <= 60 * MEDIA_SRATE);
		mem_deref(p);
	}

	return 0;
}


/* the power of frequency hz in pcm (Goertzel), per sample squared */
static double goertzel(const int16_t *pcm, size_t n, double hz)
{
	double w = 2.0 * M_PI * hz / MEDIA_SRATE, k = 2.0 * cos(w);
	double s1 = 0.0, s2 = 0.0;
	size_t i;

	for (i = 0; i < n; i++) {
		double s0 = pcm[i] + k * s1 - s2;

		s2 = s1;
		s1 = s0;
	}

	return (s1 * s1 + s2 * s2 - k * s1 * s2) / ((double)n * n);
}


static int16_t *sine(size_t n, uint32_t rate, double hz, double amp)
{
	int16_t *v = mem_alloc(n * sizeof(*v), NULL);
	size_t i;

	for (i = 0; v && i < n; i++)
		v[i] = (int16_t)(amp * sin(2.0 * M_PI * hz * i / rate));

	return v;
}


/*
 * The resampler keeps a tone of the telephone band at its frequency and
 * level, whatever the source rate, and removes one above 4 kHz instead
 * of folding it into the band (6 kHz at 48 kHz would alias to 2 kHz).
 */
TEST(media_resample_band)
{
	static const uint32_t rates[] = {11025, 16000, 22050, 44100, 48000};
	size_t i;

	for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		int16_t *in = sine(rates[i], rates[i], 1000.0, 10000.0);
		int16_t *out = NULL, *alias = NULL;
		double p1k, p2k, pa;
		size_t n = 0, na = 0, k;

		TEST_ASSERT(in != NULL);
		TEST_EQ_INT(media_resample(&out, &n, in, rates[i], rates[i]),
			    0);
		/* one second in, one second out */
		TEST_ASSERT(n >= MEDIA_SRATE - 1 && n <= MEDIA_SRATE);
		p1k = goertzel(out + 400, n - 800, 1000.0);
		p2k = goertzel(out + 400, n - 800, 2000.0);
		/* amplitude 10000: power (A/2)^2 = 2.5e7, within 1 dB */
		TEST_ASSERT(p1k > 2.5e7 * 0.79 && p1k < 2.5e7 * 1.26);
		TEST_ASSERT(p2k < p1k * 1e-4);
		mem_deref(in);

		/* a tone above the telephone band is gone, not folded
		 * (into 2 or 3 kHz) */
		in = sine(rates[i], rates[i], rates[i] >= 16000 ? 6000.0 :
			  5000.0, 10000.0);
		TEST_ASSERT(in != NULL);
		TEST_EQ_INT(media_resample(&alias, &na, in, rates[i],
					   rates[i]), 0);
		pa = 0;
		for (k = 400; k < na - 400; k++)
			pa += (double)alias[k] * alias[k];
		pa /= (double)(na - 800);
		/* the input's power is 5e7: at least 40 dB down */
		TEST_ASSERT(pa < 5e7 * 1e-4);
		mem_deref(in);
		mem_deref(out);
		mem_deref(alias);
	}

	return 0;
}


/* A G.711 WAV (format 7, mu-law) decodes to its linear samples, and an
 * upload that is not a WAV file or not mono says why. */
TEST(media_prompt_decode_g711)
{
	uint8_t buf[64 + 160];
	struct media_prompt *p = NULL;
	const char *why = NULL;
	size_t len;

	len = make_wav(buf, 1, 8000, 16, 80, false);
	buf[20] = 7;                 /* mu-law */
	buf[34] = 8;                 /* 8 bits */
	memset(buf + 44, media_ulaw_enc(1000), 160);
	buf[40] = 160;
	buf[41] = 0;
	len = 44 + 160;
	TEST_EQ_INT(media_prompt_decode(&p, buf, len, &why), 0);
	TEST_EQ_INT(media_prompt_samples(p), 160);
	TEST_EQ_INT(media_prompt_pcm(p)[5], media_ulaw_dec(
			    media_ulaw_enc(1000)));
	p = mem_deref(p);

	TEST_EQ_INT(media_prompt_decode(&p, (const uint8_t *)"hello", 5,
					&why), EBADMSG);
	TEST_EQ_STR(why, "not a RIFF/WAVE file");
	len = make_wav(buf, 2, 8000, 16, 40, false);
	TEST_EQ_INT(media_prompt_decode(&p, buf, len, &why), EINVAL);
	TEST_EQ_STR(why, "not mono (1 channel)");
	TEST_ASSERT(p == NULL);

	return 0;
}


/* Prompts one after the other with silence between, and back to a file. */
TEST(media_prompt_concat_save)
{
	char path[] = "/tmp/beckon-concat-XXXXXX";
	struct media_prompt *a = NULL, *b = NULL, *c = NULL, *r = NULL;
	struct media_prompt *v[3];
	uint8_t buf[1024];
	size_t len;
	int fd;

	len = make_wav(buf, 1, 8000, 16, 100, false);
	TEST_EQ_INT(media_prompt_decode(&a, buf, len, NULL), 0);
	TEST_EQ_INT(media_prompt_decode(&b, buf, len, NULL), 0);
	v[0] = a;
	v[1] = NULL;
	v[2] = b;
	TEST_EQ_INT(media_prompt_concat(&c, v, 3, 10), 0);
	/* 100 and 80 of gap, the NULL skipped, 100 and 80 */
	TEST_EQ_INT(media_prompt_samples(c), 360);
	TEST_EQ_INT(media_prompt_pcm(c)[0], -5000);
	TEST_EQ_INT(media_prompt_pcm(c)[150], 0);
	TEST_EQ_INT(media_prompt_pcm(c)[180], -5000);
	TEST_EQ_INT(media_prompt_concat(&r, v + 1, 1, 0), ENOENT);

	fd = mkstemp(path);
	TEST_ASSERT(fd >= 0);
	close(fd);
	TEST_EQ_INT(media_prompt_save(c, path), 0);
	TEST_EQ_INT(media_prompt_load(&r, path), 0);
	unlink(path);
	TEST_EQ_INT(media_prompt_samples(r), 360);
	TEST_EQ_INT(media_prompt_pcm(r)[99], 4900);

	mem_deref(a);
	mem_deref(b);
	mem_deref(c);
	mem_deref(r);

	return 0;
}
