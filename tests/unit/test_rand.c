/*
 * util/token.c: libre's rand_* from beckon's ChaCha20 pool. libre's own
 * calls must reach ours, and the values keep libre's shapes.
 */
#include <string.h>
#include <re.h>
#include "util/util.h"
#include "test.h"


/* libre's own calls draw from our pool: an RTP socket's sequence number
 * and SSRC, an SDP session's id and version, a digest nonce */
TEST(rand_libre_draws_from_our_pool)
{
	struct http_auth auth = {"beckon", false};
	struct rtp_sock *rs = NULL;
	struct sdp_session *sess = NULL;
	char buf[256];
	struct sa sa;
	uint64_t n;
	int err;

	n = token_drawn();
	err = rtp_alloc(&rs);
	TEST_ASSERT(!err);
	TEST_ASSERT(token_drawn() > n);
	mem_deref(rs);

	n = token_drawn();
	sa_set_str(&sa, "127.0.0.1", 0);
	err = sdp_session_alloc(&sess, &sa);
	TEST_ASSERT(!err);
	TEST_ASSERT(token_drawn() > n);
	mem_deref(sess);

	n = token_drawn();
	TEST_ASSERT(re_snprintf(buf, sizeof(buf), "%H",
				http_auth_print_challenge, &auth) > 0);
	TEST_ASSERT(token_drawn() > n);

	return 0;
}


TEST(rand_shapes)
{
	char s[33];
	uint32_t a, b;
	uint64_t x;
	uint8_t buf[64], zero[64];
	size_t i;

	a = rand_u32();
	b = rand_u32();
	x = rand_u64();
	TEST_ASSERT(a != b || x != 0);

	memset(buf, 0, sizeof(buf));
	memset(zero, 0, sizeof(zero));
	rand_bytes(buf, sizeof(buf));
	TEST_ASSERT(memcmp(buf, zero, sizeof(buf)));

	memset(s, 'x', sizeof(s));
	rand_str(s, sizeof(s));
	TEST_EQ_INT(strlen(s), sizeof(s) - 1);
	for (i = 0; i < sizeof(s) - 1; i++) {
		char c = s[i];

		TEST_ASSERT((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9'));
	}
	TEST_ASSERT(rand_char() != '\0');

	/* nothing written for nothing asked */
	rand_str(s, 0);
	rand_bytes(NULL, 8);

	return 0;
}
