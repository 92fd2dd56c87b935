/*
 * The call recorder: one stereo WAV (8 kHz, 16-bit) per call.
 *
 * Each channel has a small queue of decoded samples. A frame is written
 * when both channels have one; when one side runs more than
 * REC_SKEW_MAX samples ahead (the other is on hold, muted with DTX, or
 * lost packets), the late side is written as silence. So the two voices
 * stay aligned to within a few packets without a clock of our own, and a
 * recording is as long as the conversation.
 *
 * The header is written with zero sizes when the file opens and fixed up
 * when the recorder is freed; a crash leaves a file whose data chunk size
 * is zero, which sox and most players read anyway.
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
	REC_SKEW_MAX = 5 * MEDIA_FRAME,      /* 100 ms */
	REC_QUEUE = 2 * REC_SKEW_MAX,
};

struct media_rec {
	FILE *f;
	char *path;
	int16_t q[2][REC_QUEUE];
	size_t qn[2];
	uint64_t frames;            /* stereo sample pairs written */
	bool failed;
};


static void put_le16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}


static void put_le32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}


void media_wav_header(uint8_t hdr[44], unsigned channels, uint32_t frames)
{
	uint32_t data = frames * channels * 2;

	memcpy(hdr, "RIFF", 4);
	put_le32(hdr + 4, 36 + data);
	memcpy(hdr + 8, "WAVEfmt ", 8);
	put_le32(hdr + 16, 16);
	put_le16(hdr + 20, 1);                         /* PCM */
	put_le16(hdr + 22, (uint16_t)channels);
	put_le32(hdr + 24, MEDIA_SRATE);
	put_le32(hdr + 28, MEDIA_SRATE * channels * 2);  /* bytes/s */
	put_le16(hdr + 32, (uint16_t)(channels * 2));    /* block align */
	put_le16(hdr + 34, 16);
	memcpy(hdr + 36, "data", 4);
	put_le32(hdr + 40, data);
}


static void write_pairs(struct media_rec *rec, const int16_t *l,
			const int16_t *r, size_t n)
{
	uint8_t buf[4 * REC_QUEUE];
	size_t i;

	if (rec->failed)
		return;

	for (i = 0; i < n; i++) {
		put_le16(buf + 4 * i, (uint16_t)(l ? l[i] : 0));
		put_le16(buf + 4 * i + 2, (uint16_t)(r ? r[i] : 0));
	}

	if (fwrite(buf, 4, n, rec->f) != n) {
		log_error("recording %s: %s", rec->path, strerror(errno));
		rec->failed = true;
		return;
	}

	rec->frames += n;
}


static void rec_destructor(void *arg)
{
	struct media_rec *rec = arg;
	uint8_t hdr[44];
	size_t n;

	if (rec->f) {
		/* the rest of the longer side, against silence */
		n = rec->qn[0] > rec->qn[1] ? rec->qn[0] : rec->qn[1];
		if (n) {
			memset(rec->q[0] + rec->qn[0], 0,
			       (n - rec->qn[0]) * sizeof(int16_t));
			memset(rec->q[1] + rec->qn[1], 0,
			       (n - rec->qn[1]) * sizeof(int16_t));
			write_pairs(rec, rec->q[0], rec->q[1], n);
		}

		media_wav_header(hdr, 2, (uint32_t)rec->frames);
		if (fseek(rec->f, 0, SEEK_SET) ||
		    fwrite(hdr, sizeof(hdr), 1, rec->f) != 1)
			rec->failed = true;
		if (fclose(rec->f))
			rec->failed = true;
		if (rec->failed)
			log_error("recording %s: incomplete", rec->path);
	}

	mem_deref(rec->path);
}


int media_rec_open(struct media_rec **recp, const char *path)
{
	struct media_rec *rec;
	uint8_t hdr[44];
	int err = 0;

	if (!recp || !path)
		return EINVAL;

	rec = mem_zalloc(sizeof(*rec), rec_destructor);
	if (!rec)
		return ENOMEM;

	err = str_dup(&rec->path, path);
	if (err)
		goto out;

	rec->f = fopen(path, "wb");
	if (!rec->f) {
		err = errno;
		log_error("recording %s: %s", path, strerror(err));
		goto out;
	}

	media_wav_header(hdr, 2, 0);
	if (fwrite(hdr, sizeof(hdr), 1, rec->f) != 1) {
		err = errno ? errno : EIO;
		goto out;
	}

 out:
	if (err)
		mem_deref(rec);
	else
		*recp = rec;

	return err;
}


/* Write what both channels have; then let neither run too far ahead. */
static void rec_flush(struct media_rec *rec)
{
	size_t n = rec->qn[0] < rec->qn[1] ? rec->qn[0] : rec->qn[1];
	unsigned ch;

	if (n) {
		write_pairs(rec, rec->q[0], rec->q[1], n);
		for (ch = 0; ch < 2; ch++) {
			memmove(rec->q[ch], rec->q[ch] + n,
				(rec->qn[ch] - n) * sizeof(int16_t));
			rec->qn[ch] -= n;
		}
	}

	for (ch = 0; ch < 2; ch++) {
		size_t over;

		if (rec->qn[ch] <= REC_SKEW_MAX)
			continue;

		/* the other side is silent: write the excess alone */
		over = rec->qn[ch] - REC_SKEW_MAX;
		write_pairs(rec, ch == 0 ? rec->q[0] : NULL,
			    ch == 1 ? rec->q[1] : NULL, over);
		memmove(rec->q[ch], rec->q[ch] + over,
			(rec->qn[ch] - over) * sizeof(int16_t));
		rec->qn[ch] -= over;
	}
}


void media_rec_put(struct media_rec *rec, unsigned ch, const int16_t *pcm,
		   size_t n)
{
	if (!rec || ch > 1 || !pcm)
		return;

	while (n) {
		size_t room = REC_QUEUE - rec->qn[ch];
		size_t k = n < room ? n : room;

		memcpy(rec->q[ch] + rec->qn[ch], pcm, k * sizeof(int16_t));
		rec->qn[ch] += k;
		pcm += k;
		n -= k;

		rec_flush(rec);
	}
}


double media_rec_duration(const struct media_rec *rec)
{
	return rec ? (double)rec->frames / MEDIA_SRATE : 0.0;
}
