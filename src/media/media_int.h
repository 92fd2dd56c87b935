/*
 * What the media files share, and the pieces unit tests reach into.
 */
#ifndef BECKON_MEDIA_INT_H
#define BECKON_MEDIA_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* parse a whole WAV file in memory (path only names it in log lines) */
int media_wav_parse(int16_t **pcmp, size_t *np, const uint8_t *buf,
		    size_t len, const char *path);

/* the same, saying what is wrong in *whyp instead of a log line */
int media_wav_decode(int16_t **pcmp, size_t *np, const uint8_t *buf,
		     size_t len, const char **whyp);

/* a canonical 44-byte PCM WAV header for frames sample frames */
void media_wav_header(uint8_t hdr[44], unsigned channels, uint32_t frames);

/*
 * A received RTP packet, read in place. Its payload is preceded by at
 * least RTP_HEADER_SIZE bytes of the buffer (the header it came with),
 * where the relay writes the header it sends.
 */
struct rtp_in {
	bool m;
	uint8_t pt;
	uint32_t ts;
	uint32_t ssrc;
	uint8_t *pl;
	size_t len;
};

/* stream.c: read the header of p[0..n); false: not RTP we can read */
bool media_rtp_parse(struct rtp_in *in, uint8_t *p, size_t n);

#endif
