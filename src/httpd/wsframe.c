/*
 * The WebSocket frame header (RFC 6455 5.2), decoded from bytes alone: no
 * connection, so that ws.c and the fuzz targets run the same code.
 *
 * What a client may send a browser's server: a masked frame, no
 * reserved bits (no extension is negotiated), a payload of at most
 * WS_MAX_MSG bytes, control frames of at most 125 bytes and never
 * fragmented. The checks run as soon as their bytes are there, before
 * the payload has arrived, so that a frame too big is refused from its
 * header.
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#include "httpd/httpd.h"
#include "httpd/httpd_int.h"


static int fail(struct ws_frame *f, uint16_t code, const char *why)
{
	f->code = code;
	f->why = why;

	return EPROTO;
}


int httpd_ws_frame_decode(struct ws_frame *f, const uint8_t *p,
			  size_t avail)
{
	size_t hlen = 2, i;

	memset(f, 0, sizeof(*f));

	if (avail < 2)
		return EAGAIN;

	f->fin = p[0] & 0x80;
	f->op = p[0] & 0x0f;

	if (p[0] & 0x70)
		return fail(f, 1002, "reserved bits");
	if (!(p[1] & 0x80))
		return fail(f, 1002, "unmasked client frame");

	f->len = p[1] & 0x7f;
	if (f->len == 126) {
		if (avail < 4)
			return EAGAIN;
		f->len = (uint64_t)p[2] << 8 | p[3];
		hlen = 4;
	}
	else if (f->len == 127) {
		if (avail < 10)
			return EAGAIN;
		for (f->len = 0, i = 0; i < 8; i++)
			f->len = f->len << 8 | p[2 + i];
		hlen = 10;
	}

	if (f->len > WS_MAX_MSG)
		return fail(f, 1009, "frame too big");
	if (f->op >= WS_OP_CLOSE && (f->len > 125 || !f->fin))
		return fail(f, 1002, "bad control frame");
	if (avail < hlen + 4 + f->len)
		return EAGAIN;  /* wait for the rest */

	memcpy(f->key, p + hlen, 4);
	f->hlen = hlen + 4;

	return 0;
}


void httpd_ws_unmask(uint8_t *p, size_t len, const uint8_t key[4])
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] ^= key[i & 3];
}
