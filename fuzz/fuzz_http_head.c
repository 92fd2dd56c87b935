/*
 * The HTTP request framing and head parser (src/httpd/parse.c): the input
 * is what a client sent on one connection, cut into pipelined requests
 * as httpd.c's conn_parse cuts it (blank lines skipped, the head bounded
 * by max_header, each head copied into a buffer of its own size, parsed,
 * the body framed by its Content-Length), then every header looked up.
 * A parsed head must hold no NUL in its method or header names (they
 * are tokens; a NUL is where a C-string reader would see another name).
 */
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "httpd/httpd.h"
#include "httpd/httpd_int.h"
#include "fuzz.h"

enum {
	MAX_HEADER = 16384,    /* as the API's listener (src/api/api.c) */
	MAX_BODY = 16384,      /* http_max_body's default */
};


static void look(const struct httpd_head *hd)
{
	static const char *names[] = {"Host", "Content-Type", "Upgrade",
		"Connection", "Sec-WebSocket-Key", "Authorization",
		"X-Forwarded-For", "Origin"};
	struct pl v;
	size_t i;

	if (memchr(hd->method.p, '\0', hd->method.l))
		abort();
	for (i = 0; i < hd->nhdr; i++) {
		if (memchr(hd->hdrv[i].name.p, '\0', hd->hdrv[i].name.l))
			abort();
	}

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (httpd_head_hdr(hd, names[i], &v) && v.l)
			(void)v.p[v.l - 1];
	}
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t len = size;

	for (;;) {
		struct httpd_head hd;
		size_t skip, hlen;
		uint16_t status;
		char *buf;

		skip = httpd_skip_blank(p, len);
		p += skip;
		len -= skip;
		if (!len)
			break;

		hlen = httpd_head_end(p, len < MAX_HEADER ? len : MAX_HEADER);
		if (!hlen)
			break;  /* incomplete, or 431 */

		/* the head alone, as the server copies it */
		buf = malloc(hlen + 1);
		if (!buf)
			break;
		memcpy(buf, p, hlen);
		buf[hlen] = '\0';

		status = httpd_head_parse(&hd, buf, hlen);
		if (!status) {
			look(&hd);
			if (hd.query.p && hd.query.l)
				(void)hd.query.p[hd.query.l - 1];
		}
		free(buf);
		/* over the bound the server answers 413 (httpd.c) */
		if (status || hd.clen > MAX_BODY || len < hlen + hd.clen)
			break;  /* answered, then closed; or waiting */

		p += hlen + hd.clen;
		len -= hlen + hd.clen;
		if (hd.close)
			break;
	}

	return 0;
}
