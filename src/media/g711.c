/*
 * G.711 mu-law and A-law (ITU-T G.711), written from the standard's
 * segment tables: 8 segments of 16 steps each, mu-law on a biased 14-bit
 * magnitude, A-law on a 13-bit one with every other bit inverted.
 *
 * The decoders are 256-entry tables built on first use; the encoders are
 * a few shifts per sample. Transcoding goes through linear, which is what
 * G.711 Appendix tables do too, give or take the rounding of one step.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "media/media.h"

enum {
	ULAW_BIAS = 0x84,
	ULAW_CLIP = 32635,
};

static int16_t ulaw_tab[256];
static int16_t alaw_tab[256];
static bool tabs_ready;


static int16_t ulaw_dec_calc(uint8_t u)
{
	int t;

	u = (uint8_t)~u;
	t = ((u & 0x0f) << 3) + ULAW_BIAS;
	t <<= (u & 0x70) >> 4;

	return (int16_t)((u & 0x80) ? (ULAW_BIAS - t) : (t - ULAW_BIAS));
}


static int16_t alaw_dec_calc(uint8_t a)
{
	int t, seg;

	a ^= 0x55;
	t = (a & 0x0f) << 4;
	seg = (a & 0x70) >> 4;

	switch (seg) {

	case 0:
		t += 8;
		break;

	case 1:
		t += 0x108;
		break;

	default:
		t += 0x108;
		t <<= seg - 1;
		break;
	}

	return (int16_t)((a & 0x80) ? t : -t);
}


static void tabs_init(void)
{
	int i;

	for (i = 0; i < 256; i++) {
		ulaw_tab[i] = ulaw_dec_calc((uint8_t)i);
		alaw_tab[i] = alaw_dec_calc((uint8_t)i);
	}

	tabs_ready = true;
}


uint8_t media_ulaw_enc(int16_t s)
{
	int v = s, sign = 0, exp, mant;

	if (v < 0) {
		v = -v;
		sign = 0x80;
	}
	if (v > ULAW_CLIP)
		v = ULAW_CLIP;
	v += ULAW_BIAS;

	/* the segment is the position of the highest set bit above 7 */
	for (exp = 7; exp > 0 && !(v & (0x4000 >> (7 - exp))); exp--)
		;
	mant = (v >> (exp + 3)) & 0x0f;

	return (uint8_t)~(sign | (exp << 4) | mant);
}


int16_t media_ulaw_dec(uint8_t u)
{
	if (!tabs_ready)
		tabs_init();

	return ulaw_tab[u];
}


uint8_t media_alaw_enc(int16_t s)
{
	int v = s, sign = 0x80, exp, mant;

	if (v < 0) {
		v = -v - 1;
		sign = 0;
	}
	v >>= 3;    /* 13-bit magnitude */
	if (v > 0xfff)
		v = 0xfff;

	if (v < 32) {
		exp = 0;
		mant = v >> 1;
	}
	else {
		for (exp = 7; !(v & (0x800 >> (7 - exp))); exp--)
			;
		mant = (v >> exp) & 0x0f;
	}

	return (uint8_t)((sign | (exp << 4) | mant) ^ 0x55);
}


int16_t media_alaw_dec(uint8_t a)
{
	if (!tabs_ready)
		tabs_init();

	return alaw_tab[a];
}


void media_encode(enum media_codec c, uint8_t *dst, const int16_t *src,
		  size_t n)
{
	size_t i;

	if (c == MEDIA_PCMA) {
		for (i = 0; i < n; i++)
			dst[i] = media_alaw_enc(src[i]);
	}
	else {
		for (i = 0; i < n; i++)
			dst[i] = media_ulaw_enc(src[i]);
	}
}


void media_decode(enum media_codec c, int16_t *dst, const uint8_t *src,
		  size_t n)
{
	const int16_t *tab;
	size_t i;

	if (!tabs_ready)
		tabs_init();

	tab = c == MEDIA_PCMA ? alaw_tab : ulaw_tab;
	for (i = 0; i < n; i++)
		dst[i] = tab[src[i]];
}


void media_transcode(enum media_codec from, enum media_codec to,
		     uint8_t *buf, size_t n)
{
	size_t i;

	if (from == to)
		return;

	if (!tabs_ready)
		tabs_init();

	if (from == MEDIA_PCMU) {
		for (i = 0; i < n; i++)
			buf[i] = media_alaw_enc(ulaw_tab[buf[i]]);
	}
	else {
		for (i = 0; i < n; i++)
			buf[i] = media_ulaw_enc(alaw_tab[buf[i]]);
	}
}


static int16_t dec(enum media_codec c, uint8_t v)
{
	return c == MEDIA_PCMA ? alaw_tab[v] : ulaw_tab[v];
}


static uint8_t enc(enum media_codec c, int16_t s)
{
	return c == MEDIA_PCMA ? media_alaw_enc(s) : media_ulaw_enc(s);
}


void media_mix(enum media_codec c, uint8_t *dst, const uint8_t *a,
	       const uint8_t *b, size_t n)
{
	size_t i;
	int s;

	/* one side only: its bytes unchanged, no second rounding */
	if (!a || !b) {
		if (!a && !b) {
			memset(dst, enc(c, 0), n);
			return;
		}
		memmove(dst, a ? a : b, n);
		return;
	}

	if (!tabs_ready)
		tabs_init();

	for (i = 0; i < n; i++) {
		s = dec(c, a[i]) + dec(c, b[i]);
		if (s > INT16_MAX)
			s = INT16_MAX;
		else if (s < INT16_MIN)
			s = INT16_MIN;
		dst[i] = enc(c, (int16_t)s);
	}
}
