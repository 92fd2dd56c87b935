/*
 * beckon-ng: one ng command to an rtpengine through beckon's own client
 * (src/rtpengine/), its reply printed as JSON. For the tests that drive a
 * real rtpengine (tests/integration/rtpengine_ng.sh) and for a person
 * checking one by hand.
 *
 *   beckon-ng udp:IP:PORT ping
 *   beckon-ng udp:IP:PORT offer  CALL FROM_TAG webrtc|rtp SDP_FILE
 *   beckon-ng udp:IP:PORT answer CALL FROM_TAG TO_TAG webrtc|rtp SDP_FILE
 *   beckon-ng udp:IP:PORT delete CALL [FROM_TAG]
 *   beckon-ng udp:IP:PORT query  CALL
 *   beckon-ng udp:IP:PORT list
 *
 * Exit status: 0 result ok or pong, 1 result error (the reply is printed
 * too), 2 anything else (ETIMEDOUT after the retries, bad usage), said
 * on stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "rtpengine/rtpengine.h"

enum { SDP_MAX = 16384 };

static int status = 2;


static void reply_h(int err, const struct odict *reply, void *arg)
{
	(void)arg;

	if (reply)
		re_printf("%H\n", json_encode_odict, reply);
	if (err && err != EPROTO)
		re_fprintf(stderr, "beckon-ng: %s\n", strerror(err));
	status = !err ? 0 : err == EPROTO ? 1 : 2;
	re_cancel();
}


static char *read_sdp(const char *path)
{
	static char buf[SDP_MAX + 1];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, SDP_MAX + 1, f);
	fclose(f);
	if (n > SDP_MAX)
		return NULL;
	buf[n] = '\0';

	return buf;
}


static int peer(enum rtpengine_peer *pp, const char *s)
{
	if (!strcmp(s, "webrtc"))
		*pp = RTPENGINE_PEER_WEBRTC;
	else if (!strcmp(s, "rtp"))
		*pp = RTPENGINE_PEER_RTP;
	else
		return EINVAL;

	return 0;
}


/* argv from the command on */
static int command(struct rtpengine *r, int argc, char **argv)
{
	struct rtpengine_call call = {argc > 1 ? argv[1] : NULL, NULL, NULL};
	const char *cmd = argv[0];
	enum rtpengine_peer to;
	const char *sdp;

	if (!strcmp(cmd, "ping") && argc == 1)
		return rtpengine_ping(NULL, r, reply_h, NULL);
	if (!strcmp(cmd, "list") && argc == 1)
		return rtpengine_list(NULL, r, reply_h, NULL);
	if (!strcmp(cmd, "query") && argc == 2)
		return rtpengine_query(NULL, r, argv[1], reply_h, NULL);
	if (!strcmp(cmd, "delete") && (argc == 2 || argc == 3)) {
		call.from_tag = argc == 3 ? argv[2] : NULL;
		return rtpengine_delete(NULL, r, &call, reply_h, NULL);
	}
	if (!strcmp(cmd, "offer") && argc == 5) {
		call.from_tag = argv[2];
		sdp = read_sdp(argv[4]);
		if (!sdp || peer(&to, argv[3]))
			return EINVAL;
		return rtpengine_offer(NULL, r, &call, sdp, to, reply_h,
				       NULL);
	}
	if (!strcmp(cmd, "answer") && argc == 6) {
		call.from_tag = argv[2];
		call.to_tag = argv[3];
		sdp = read_sdp(argv[5]);
		if (!sdp || peer(&to, argv[4]))
			return EINVAL;
		return rtpengine_answer(NULL, r, &call, sdp, to, reply_h,
					NULL);
	}

	return EINVAL;
}


int main(int argc, char **argv)
{
	struct rtpengine *r = NULL;
	struct sa ng;
	int err;

	if (argc < 3 || rtpengine_addr_parse(&ng, argv[1])) {
		fprintf(stderr, "usage: beckon-ng udp:IP:PORT COMMAND ...\n");
		return 2;
	}

	err = libre_init();
	if (err)
		return 2;

	err = rtpengine_alloc(&r, &ng);
	if (!err)
		err = command(r, argc - 2, argv + 2);
	if (err)
		fprintf(stderr, "beckon-ng: %s: %s\n", argv[2],
			err == EINVAL ? "bad arguments" : strerror(err));
	else
		(void)re_main(NULL);

	mem_deref(r);
	libre_close();

	return err ? 2 : status;
}
