/*
 * The WebSocket frame decoder (src/httpd/wsframe.c) over a stream of
 * client frames, with what ws.c does to each: unmask the payload,
 * gather fragments into messages bounded by WS_MAX_MSG, check a
 * message's UTF-8. Stops where the connection would fail or wait.
 */
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "util/util.h"
#include "httpd/httpd.h"
#include "httpd/httpd_int.h"
#include "fuzz.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *in = malloc(size ? size : 1);
	struct mbuf *msg = NULL;
	size_t pos = 0;

	if (!in)
		return 0;
	memcpy(in, data, size);

	while (size - pos >= 2) {
		struct ws_frame f;
		uint8_t *pl;

		if (httpd_ws_frame_decode(&f, in + pos, size - pos))
			break;  /* waiting, or failed */

		pl = in + pos + f.hlen;
		httpd_ws_unmask(pl, (size_t)f.len, f.key);
		pos += f.hlen + (size_t)f.len;

		if (f.op >= WS_OP_CLOSE)
			continue;  /* ping, pong, close: no message */
		if (f.op != WS_OP_TEXT && f.op != WS_OP_CONT)
			break;
		if ((f.op == WS_OP_TEXT) == (msg != NULL))
			break;  /* bad continuation */

		if (!msg)
			msg = mbuf_alloc(1024);
		if (!msg || msg->end + f.len > WS_MAX_MSG)
			break;
		(void)mbuf_write_mem(msg, pl, (size_t)f.len);
		if (f.fin) {
			if (!utf8_valid_text((const char *)msg->buf, msg->end,
					     true))
				break;
			msg = mem_deref(msg);
		}
	}

	mem_deref(msg);
	free(in);

	return 0;
}
