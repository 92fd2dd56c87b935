/*
 * What the media files share, and the pieces unit tests reach into.
 */
#ifndef BECKON_MEDIA_INT_H
#define BECKON_MEDIA_INT_H

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

#endif
