/*
 * Prompt files: RIFF/WAVE, mono, 16-bit linear PCM or 8-bit G.711
 * (A-law or mu-law), at any rate from 8000 to 48000 Hz.
 *
 * The reader walks the chunks (skipping LIST, fact and anything else),
 * names what is wrong with a file it refuses, and converts what it
 * accepts to what the dialer plays: 8 kHz mono 16-bit (resample.c). The
 * Debian prompts and music beckon plays are 8 kHz already; a business's
 * own greeting (uploaded through the admin API) may be anything a sound
 * editor writes, so the conversion is here once rather than asked of
 * every user.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#define LOG_SUBSYS "media"
#include "util/util.h"
#include "media/media.h"
#include "media/media_int.h"

enum {
	WAV_FMT_PCM = 1,
	WAV_FMT_ALAW = 6,
	WAV_FMT_ULAW = 7,
	WAV_FMT_EXTENSIBLE = 0xfffe,
	WAV_RATE_MIN = 8000,
	WAV_RATE_MAX = 48000,
	PROMPT_MAX_BYTES = 16 * 1024 * 1024,   /* about 17 minutes */
};

struct media_prompt {
	int16_t *pcm;
	size_t n;
};

/* what the fmt chunk says */
struct wav_fmt {
	uint16_t tag;
	uint16_t ch;
	uint32_t rate;
	uint16_t bits;
};


static void prompt_destructor(void *arg)
{
	struct media_prompt *p = arg;

	mem_deref(p->pcm);
}


static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
		(uint32_t)b[3] << 24;
}


static uint16_t le16(const uint8_t *b)
{
	return (uint16_t)(b[0] | b[1] << 8);
}


/* Read the 'fmt ' chunk body: NULL, or what is wrong with it. */
static const char *fmt_read(struct wav_fmt *f, const uint8_t *b, size_t len)
{
	if (len < 16)
		return "short fmt chunk";

	f->tag  = le16(b);
	f->ch   = le16(b + 2);
	f->rate = le32(b + 4);
	f->bits = le16(b + 14);

	/* WAVE_FORMAT_EXTENSIBLE carries the real tag in its sub-format */
	if (f->tag == WAV_FMT_EXTENSIBLE && len >= 26)
		f->tag = le16(b + 24);

	if (f->ch != 1)
		return "not mono (1 channel)";
	if (f->rate < WAV_RATE_MIN || f->rate > WAV_RATE_MAX)
		return "a sample rate outside 8000 to 48000 Hz";
	if (f->tag == WAV_FMT_PCM && f->bits == 16)
		return NULL;
	if ((f->tag == WAV_FMT_ALAW || f->tag == WAV_FMT_ULAW) &&
	    f->bits == 8)
		return NULL;

	return "not 16-bit PCM, A-law or mu-law";
}


/* The data chunk's samples, decoded and converted to 8 kHz. */
static int data_read(int16_t **pcmp, size_t *np, const struct wav_fmt *f,
		     const uint8_t *b, size_t sz)
{
	size_t i, n = f->tag == WAV_FMT_PCM ? sz / 2 : sz;
	int16_t *pcm;
	int err;

	pcm = mem_alloc((n ? n : 1) * sizeof(*pcm), NULL);
	if (!pcm)
		return ENOMEM;

	if (f->tag == WAV_FMT_PCM) {
		for (i = 0; i < n; i++)
			pcm[i] = (int16_t)le16(b + 2 * i);
	}
	else {
		media_decode(f->tag == WAV_FMT_ALAW ? MEDIA_PCMA : MEDIA_PCMU,
			     pcm, b, n);
	}

	if (f->rate == MEDIA_SRATE) {
		*pcmp = pcm;
		*np = n;
		return 0;
	}

	err = media_resample(pcmp, np, pcm, n, f->rate);
	mem_deref(pcm);

	return err;
}


int media_wav_decode(int16_t **pcmp, size_t *np, const uint8_t *buf,
		     size_t len, const char **whyp)
{
	struct wav_fmt f = {0, 0, 0, 0};
	bool have_fmt = false;
	const char *why;
	size_t pos = 12;
	int err;

	if (len < 12 || memcmp(buf, "RIFF", 4) || memcmp(buf + 8, "WAVE", 4)) {
		*whyp = "not a RIFF/WAVE file";
		return EBADMSG;
	}

	while (pos + 8 <= len) {
		const uint8_t *id = buf + pos;
		size_t sz = le32(buf + pos + 4);

		pos += 8;
		if (sz > len - pos) {
			/* a writer that never fixed the header up: take
			 * what is there, as players do */
			if (memcmp(id, "data", 4)) {
				*whyp = "truncated chunk";
				return EBADMSG;
			}
			sz = len - pos;
		}

		if (!memcmp(id, "fmt ", 4)) {
			why = fmt_read(&f, buf + pos, sz);
			if (why) {
				*whyp = why;
				return EINVAL;
			}
			have_fmt = true;
		}
		else if (!memcmp(id, "data", 4)) {
			if (!have_fmt) {
				*whyp = "data before fmt";
				return EBADMSG;
			}
			if (sz < (f.tag == WAV_FMT_PCM ? 2u : 1u)) {
				*whyp = "no samples";
				return EBADMSG;
			}

			err = data_read(pcmp, np, &f, buf + pos, sz);
			if (err)
				*whyp = strerror(err);
			return err;
		}

		/* chunks are padded to an even size */
		pos += sz + (sz & 1);
	}

	*whyp = "no data chunk";

	return EBADMSG;
}


int media_wav_parse(int16_t **pcmp, size_t *np, const uint8_t *buf,
		    size_t len, const char *path)
{
	const char *why = NULL;
	int err;

	err = media_wav_decode(pcmp, np, buf, len, &why);
	if (err == EINVAL)
		log_error("%s: %s; a prompt must be mono 16-bit PCM, A-law "
			  "or mu-law, 8000 to 48000 Hz (sox IN -r 8000 -c 1 "
			  "-b 16 OUT.wav)", path, why);
	else if (err)
		log_error("%s: %s", path, why);

	return err;
}


int media_prompt_decode(struct media_prompt **pp, const uint8_t *buf,
			size_t len, const char **whyp)
{
	struct media_prompt *p;
	const char *why = NULL;
	int err;

	if (!pp || !buf)
		return EINVAL;

	p = mem_zalloc(sizeof(*p), prompt_destructor);
	if (!p)
		return ENOMEM;

	err = media_wav_decode(&p->pcm, &p->n, buf, len, &why);
	if (err) {
		if (whyp)
			*whyp = why;
		mem_deref(p);
		return err;
	}

	*pp = p;

	return 0;
}


int media_prompt_concat(struct media_prompt **pp,
			struct media_prompt *const *v, size_t n,
			uint32_t gap_ms)
{
	size_t gap = (size_t)gap_ms * MEDIA_SRATE / 1000;
	struct media_prompt *p;
	size_t i, total = 0, at = 0;

	if (!pp || (n && !v))
		return EINVAL;

	for (i = 0; i < n; i++)
		total += v[i] ? media_prompt_samples(v[i]) + gap : 0;
	if (!total)
		return ENOENT;

	p = mem_zalloc(sizeof(*p), prompt_destructor);
	if (!p)
		return ENOMEM;

	p->pcm = mem_zalloc(total * sizeof(*p->pcm), NULL);
	if (!p->pcm) {
		mem_deref(p);
		return ENOMEM;
	}

	/* each piece, then gap samples of silence (the zeroed buffer) */
	for (i = 0; i < n; i++) {
		size_t k = media_prompt_samples(v[i]);

		if (!v[i])
			continue;
		if (k)
			memcpy(p->pcm + at, v[i]->pcm, k * sizeof(*p->pcm));
		at += k + gap;
	}
	p->n = total;
	*pp = p;

	return 0;
}


int media_prompt_save(const struct media_prompt *p, const char *path)
{
	uint8_t hdr[44];
	size_t i;
	FILE *f;
	int err = 0;

	if (!p || !path || p->n > UINT32_MAX / 2)
		return EINVAL;

	f = fopen(path, "wb");
	if (!f)
		return errno;

	media_wav_header(hdr, 1, (uint32_t)p->n);
	if (fwrite(hdr, sizeof(hdr), 1, f) != 1)
		err = EIO;
	for (i = 0; !err && i < p->n; i++) {
		uint8_t b[2] = {(uint8_t)(p->pcm[i] & 0xff),
				(uint8_t)((uint16_t)p->pcm[i] >> 8)};

		if (fwrite(b, 2, 1, f) != 1)
			err = EIO;
	}
	/* on disk before a rename makes it the file others read */
	if (!err && (fflush(f) || fsync(fileno(f))))
		err = EIO;
	if (fclose(f) && !err)
		err = EIO;

	return err;
}


int media_prompt_load(struct media_prompt **pp, const char *path)
{
	struct media_prompt *p = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	long flen;
	FILE *f;
	int err = 0;

	if (!pp || !path)
		return EINVAL;

	f = fopen(path, "rb");
	if (!f) {
		err = errno;
		log_error("%s: %s", path, strerror(err));
		return err;
	}

	if (fseek(f, 0, SEEK_END) || (flen = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		err = errno ? errno : EIO;
		goto out;
	}
	if (flen > PROMPT_MAX_BYTES) {
		log_error("%s: larger than %d bytes", path, PROMPT_MAX_BYTES);
		err = EFBIG;
		goto out;
	}

	buf = mem_alloc((size_t)flen + 1, NULL);
	if (!buf) {
		err = ENOMEM;
		goto out;
	}
	len = fread(buf, 1, (size_t)flen, f);
	if (len != (size_t)flen) {
		err = EIO;
		goto out;
	}

	p = mem_zalloc(sizeof(*p), prompt_destructor);
	if (!p) {
		err = ENOMEM;
		goto out;
	}

	err = media_wav_parse(&p->pcm, &p->n, buf, len, path);

 out:
	fclose(f);
	mem_deref(buf);
	if (err)
		mem_deref(p);
	else
		*pp = p;

	return err;
}


size_t media_prompt_samples(const struct media_prompt *p)
{
	return p ? p->n : 0;
}


const int16_t *media_prompt_pcm(const struct media_prompt *p)
{
	return p ? p->pcm : NULL;
}
