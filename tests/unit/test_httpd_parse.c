/*
 * httpd's request parser (src/httpd/parse.c) on bytes alone: framing,
 * the head's fields, and the refusals that keep requests from being
 * smuggled. tests/integration/httpd_wire.sh checks the same on sockets.
 */
#include <string.h>
#include <re.h>
#include "httpd/httpd.h"
#include "httpd/httpd_int.h"
#include "test.h"


static uint16_t parse_mem(struct httpd_head *hd, const char *s, size_t n)
{
	size_t hlen = httpd_head_end(s, n);

	if (!hlen)
		return 1;  /* not a whole head */

	return httpd_head_parse(hd, s, hlen);
}


static uint16_t parse(struct httpd_head *hd, const char *s)
{
	return parse_mem(hd, s, strlen(s));
}


TEST(httpd_parse_head)
{
	static const char req[] = "\r\nPOST /v1/callbacks?x=1 HTTP/1.1\r\n"
		"Host: a\r\nContent-Length: 5\r\n"
		"Connection: keep-alive , Close\r\n\r\nhello";
	struct httpd_head hd;
	struct pl v;
	size_t skip;

	skip = httpd_skip_blank(req, sizeof(req) - 1);
	TEST_EQ_INT(skip, 2);
	TEST_EQ_INT(httpd_head_end(req + skip, sizeof(req) - 1 - skip),
		    sizeof(req) - 1 - skip - 5);
	TEST_EQ_INT(parse(&hd, req + skip), 0);
	TEST_EQ_INT(pl_strcmp(&hd.method, "POST"), 0);
	TEST_EQ_INT(pl_strcmp(&hd.path, "/v1/callbacks"), 0);
	TEST_EQ_INT(pl_strcmp(&hd.query, "x=1"), 0);
	TEST_EQ_INT(hd.clen, 5);
	TEST_ASSERT(hd.close);
	TEST_ASSERT(httpd_head_hdr(&hd, "host", &v));
	TEST_EQ_INT(pl_strcmp(&v, "a"), 0);

	TEST_EQ_INT(parse(&hd, "GET / HTTP/1.0\n\n"), 0);
	TEST_ASSERT(hd.close);
	TEST_EQ_INT(parse(&hd, "GET / HTTP/1.0\nConnection: keep-alive\n\n"),
		    0);
	TEST_ASSERT(!hd.close);

	return 0;
}


TEST(httpd_parse_refusals)
{
	static const struct {
		const char *req;
		uint16_t status;
	} cases[] = {
		{"GET / HTTP/2.0\r\n\r\n", 505},
		{"GET / FTP/1.1\r\n\r\n", 400},
		{"GET x HTTP/1.1\r\n\r\n", 400},
		{"G(T / HTTP/1.1\r\n\r\n", 400},
		{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 411},
		{"POST / HTTP/1.1\r\nContent-Length: 1\r\n"
		 "Content-Length: 2\r\n\r\n", 400},
		{"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
		/* a large body is httpd.c's to refuse (413), by route */
		{"POST / HTTP/1.1\r\nContent-Length: 16385\r\n\r\n", 0},
		{"GET / HTTP/1.1\r\nX: 1\r\n 2\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\nX: a\001b\r\n\r\n", 400},
	};
	struct httpd_head hd;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint16_t st = parse(&hd, cases[i].req);

		if (st != cases[i].status) {
			fprintf(stderr, "  %s: %u, expected %u\n",
				cases[i].req, st, cases[i].status);
			return EINVAL;
		}
	}

	return 0;
}


/*
 * A NUL is not a token character: a method or a header name holding one
 * is refused, so that no peer that stops at the NUL reads a different
 * header ("Content-Length\0x: 5" is not a Content-Length here, but is
 * one to a C-string parser).
 */
TEST(httpd_parse_nul_in_token)
{
	static const char name[] = "POST / HTTP/1.1\r\n"
		"Content-Length\0x: 5\r\n\r\nhello";
	static const char method[] = "GE\0T / HTTP/1.1\r\n\r\n";
	struct httpd_head hd;

	TEST_EQ_INT(parse_mem(&hd, name, sizeof(name) - 1), 400);
	TEST_EQ_INT(parse_mem(&hd, method, sizeof(method) - 1), 400);

	return 0;
}
