/*
 * rtpengine's ng messages (src/rtpengine/bencode.c): the input is one
 * datagram as the client receives it, "COOKIE SP DICT". A message that
 * decodes must encode again, and that encoding must decode to a message
 * that encodes to the very same bytes (bencode is canonical: one way to
 * write each value), so nothing is lost or invented on the way.
 */
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "rtpengine/rtpengine.h"
#include "fuzz.h"


/* the dictionary encoded, or NULL */
static struct mbuf *encoded(const struct odict *d)
{
	struct mbuf *mb = mbuf_alloc(256);

	if (mb && rtpengine_bencode_encode(mb, d))
		mb = mem_deref(mb);

	return mb;
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct odict *d = NULL, *d2 = NULL;
	struct mbuf *a = NULL, *b = NULL;
	struct pl cookie;

	if (rtpengine_msg_decode(&cookie, &d, data, size))
		return 0;

	if (!cookie.p || cookie.p < (const char *)data ||
	    cookie.p + cookie.l > (const char *)data + size)
		abort();

	/* values bencode cannot carry never come out of the decoder */
	a = encoded(d);
	if (!a)
		abort();
	if (rtpengine_bencode_decode(&d2, a->buf, a->end))
		abort();
	b = encoded(d2);
	if (!b || b->end != a->end || memcmp(a->buf, b->buf, a->end))
		abort();

	mem_deref(b);
	mem_deref(a);
	mem_deref(d2);
	mem_deref(d);

	return 0;
}
