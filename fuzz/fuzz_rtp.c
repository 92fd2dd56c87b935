/*
 * The RTP header reader (src/media/stream.c, media_rtp_parse): the input
 * is one datagram as recvmmsg delivers it. A packet that reads must have
 * its payload inside the datagram, after at least the fixed header (the
 * relay writes its own header there).
 */
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "media/media_int.h"
#include "fuzz.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtp_in in;
	uint8_t *p = malloc(size ? size : 1);

	if (!p)
		return 0;
	memcpy(p, data, size);

	if (media_rtp_parse(&in, p, size)) {
		if (in.pl < p + RTP_HEADER_SIZE || in.pl > p + size ||
		    in.len > (size_t)(p + size - in.pl))
			abort();
		if (in.len)
			(void)in.pl[in.len - 1];
	}

	free(p);

	return 0;
}
