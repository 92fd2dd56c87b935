/*
 * Prompt files: RIFF/WAVE, PCM, 8000 Hz, mono, 16-bit little endian.
 *
 * The reader walks the chunks (skipping LIST, fact and anything else) and
 * insists on the one format the dialer plays, naming what is wrong
 * otherwise: a prompt in the wrong format is a deployment mistake, and
 * resampling on the fly is not worth its code here. share/prompts/make.sh
 * shows how to make a file that fits.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "media"
#include "util/util.h"
#include "media/media.h"
#include "media/media_int.h"

enum {
	WAV_FMT_PCM = 1,
	WAV_FMT_EXTENSIBLE = 0xfffe,
	PROMPT_MAX_BYTES = 16 * 1024 * 1024,   /* about 17 minutes */
};

struct media_prompt {
	int16_t *pcm;
	size_t n;
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


/* Check the 'fmt ' chunk body: the one format prompts may have. */
static int check_fmt(const uint8_t *b, size_t len, const char *path)
{
	uint16_t tag, ch, bits;
	uint32_t rate;

	if (len < 16) {
		log_error("%s: short fmt chunk", path);
		return EBADMSG;
	}

	tag  = le16(b);
	ch   = le16(b + 2);
	rate = le32(b + 4);
	bits = le16(b + 14);

	/* WAVE_FORMAT_EXTENSIBLE carries the real tag in its sub-format */
	if (tag == WAV_FMT_EXTENSIBLE && len >= 26)
		tag = le16(b + 24);

	if (tag != WAV_FMT_PCM || ch != 1 || rate != MEDIA_SRATE ||
	    bits != 16) {
		log_error("%s: format %u, %u channel(s), %u Hz, %u bits; a "
			  "prompt must be PCM, mono, 8000 Hz, 16 bits (sox "
			  "IN -r 8000 -c 1 -b 16 OUT.wav)", path, tag, ch,
			  rate, bits);
		return EINVAL;
	}

	return 0;
}


int media_wav_parse(int16_t **pcmp, size_t *np, const uint8_t *buf,
		    size_t len, const char *path)
{
	bool have_fmt = false;
	size_t pos = 12;
	int err;

	if (len < 12 || memcmp(buf, "RIFF", 4) || memcmp(buf + 8, "WAVE", 4)) {
		log_error("%s: not a RIFF/WAVE file", path);
		return EBADMSG;
	}

	while (pos + 8 <= len) {
		const uint8_t *id = buf + pos;
		size_t sz = le32(buf + pos + 4);
		size_t i, n;
		int16_t *pcm;

		pos += 8;
		if (sz > len - pos) {
			/* a writer that never fixed the header up: take
			 * what is there, as players do */
			if (memcmp(id, "data", 4)) {
				log_error("%s: truncated chunk", path);
				return EBADMSG;
			}
			sz = len - pos;
		}

		if (!memcmp(id, "fmt ", 4)) {
			err = check_fmt(buf + pos, sz, path);
			if (err)
				return err;
			have_fmt = true;
		}
		else if (!memcmp(id, "data", 4)) {
			if (!have_fmt) {
				log_error("%s: data before fmt", path);
				return EBADMSG;
			}

			n = sz / 2;
			if (!n) {
				log_error("%s: no samples", path);
				return EBADMSG;
			}

			pcm = mem_alloc(n * sizeof(*pcm), NULL);
			if (!pcm)
				return ENOMEM;
			for (i = 0; i < n; i++)
				pcm[i] = (int16_t)le16(buf + pos + 2 * i);

			*pcmp = pcm;
			*np = n;
			return 0;
		}

		/* chunks are padded to an even size */
		pos += sz + (sz & 1);
	}

	log_error("%s: no data chunk", path);

	return EBADMSG;
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
