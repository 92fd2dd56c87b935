#define _GNU_SOURCE
#include <string.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sodium.h>
#include <re.h>
#include "util/util.h"
#include "test.h"


TEST(time_rfc3339_parse)
{
	static const struct {
		const char *s;
		int err;
		int64_t ms;
	} v[] = {
		{"2026-12-01T15:30:00-05:00", 0, 1796157000000LL},
		{"2026-12-01T20:30:00Z", 0, 1796157000000LL},
		{"2026-12-01T20:30:00.250Z", 0, 1796157000250LL},
		{"2026-12-01t20:30:00z", 0, 1796157000000LL},
		{"2024-02-29T00:00:00Z", 0, 1709164800000LL},
		{"2026-02-29T00:00:00Z", EINVAL, 0},
		{"2026-12-01T20:30:00", EINVAL, 0},
		{"2026-13-01T20:30:00Z", EINVAL, 0},
		{"2026-12-01T24:00:00Z", EINVAL, 0},
		{"2026-12-01T20:30:00+25:00", EINVAL, 0},
		{"2026-12-01T20:30:00Zjunk", EINVAL, 0},
		{"asap", EINVAL, 0},
		{"", EINVAL, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int64_t ms = 0;
		int err = time_parse_rfc3339(&ms, v[i].s, strlen(v[i].s));

		if (err != v[i].err || (!err && ms != v[i].ms)) {
			fprintf(stderr, "  '%s': err %d ms %lld\n", v[i].s,
				err, (long long)ms);
			return EINVAL;
		}
	}

	return 0;
}


TEST(time_rfc3339_roundtrip)
{
	char buf[32];
	int64_t ms;

	time_fmt_rfc3339(buf, sizeof(buf), 1796157000250LL);
	TEST_EQ_STR(buf, "2026-12-01T20:30:00.250Z");
	TEST_EQ_INT(time_parse_rfc3339(&ms, buf, strlen(buf)), 0);
	TEST_EQ_INT(ms, 1796157000250LL);

	return 0;
}


/* the hand-made digits against what snprintf made before, at the ends
 * of the range and across a day, a year and the epoch */
TEST(time_rfc3339_digits)
{
	static const struct {
		int64_t ms;
		const char *s;
	} v[] = {
		{0, "1970-01-01T00:00:00.000Z"},
		{-1, "1969-12-31T23:59:59.999Z"},
		{1709164800007LL, "2024-02-29T00:00:00.007Z"},
		{1798761599999LL, "2026-12-31T23:59:59.999Z"},
		{-62135596800000LL, "0001-01-01T00:00:00.000Z"},
		{253402300799999LL, "9999-12-31T23:59:59.999Z"},
		{253402300800000LL, "10000-01-01T00:00:00.000Z"},
	};
	char buf[40];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		time_fmt_rfc3339(buf, sizeof(buf), v[i].ms);
		TEST_EQ_STR(buf, v[i].s);
	}
	/* a short buffer gets the start, terminated */
	time_fmt_rfc3339(buf, 11, 1796157000250LL);
	TEST_EQ_STR(buf, "2026-12-01");

	return 0;
}


TEST(util_write_int_decimal)
{
	struct mbuf *mb = mbuf_alloc(64);

	TEST_ASSERT(mb != NULL);
	TEST_EQ_INT(util_write_int(mb, 0), 0);
	mbuf_write_u8(mb, ' ');
	util_write_int(mb, -42);
	mbuf_write_u8(mb, ' ');
	util_write_int(mb, INT64_MAX);
	mbuf_write_u8(mb, ' ');
	util_write_int(mb, INT64_MIN);
	mbuf_write_u8(mb, '\0');
	TEST_EQ_STR((char *)mb->buf, "0 -42 9223372036854775807 "
		    "-9223372036854775808");
	mem_deref(mb);

	return 0;
}


TEST(token_random_unique)
{
	char a[64], b[64];

	TEST_EQ_INT(token_random(a, sizeof(a), 16), 0);
	TEST_EQ_INT(token_random(b, sizeof(b), 16), 0);
	/* 16 bytes = 128 bits, 22 base64url characters, no padding */
	TEST_EQ_INT(strlen(a), 22);
	TEST_ASSERT(strcmp(a, b) != 0);
	TEST_ASSERT(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
			   "qrstuvwxyz0123456789-_") == 22);
	TEST_EQ_INT(token_random(a, 10, 16), EINVAL);

	return 0;
}


/* Across many pool refills: no token repeats, and the bits are balanced
 * (48,000 tokens of 16 bytes: each of the 128 bit positions is set in
 * about half of them; 5 standard deviations is +-548). */
TEST(token_random_many)
{
	enum { N = 48000 };
	static char tok[N][24];
	unsigned ones[128] = {0};
	size_t i, j;

	for (i = 0; i < N; i++) {
		unsigned char raw[16];
		size_t len = 0;

		TEST_EQ_INT(token_random(tok[i], sizeof(tok[i]), 16), 0);
		TEST_EQ_INT(sodium_base642bin(raw, sizeof(raw), tok[i], 22,
				NULL, &len, NULL,
				sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
		TEST_EQ_INT(len, 16);
		for (j = 0; j < 128; j++)
			ones[j] += (raw[j / 8] >> (j % 8)) & 1;
	}
	qsort(tok, N, sizeof(tok[0]), (int (*)(const void *,
					     const void *))strcmp);
	for (i = 1; i < N; i++)
		TEST_ASSERT(strcmp(tok[i - 1], tok[i]) != 0);
	for (j = 0; j < 128; j++)
		TEST_ASSERT(ones[j] > N / 2 - 548 && ones[j] < N / 2 + 548);

	return 0;
}


TEST(token_hash_equal)
{
	char h[65];

	token_hash_hex(h, "abc", 3);
	TEST_EQ_STR(h, "ba7816bf8f01cfea414140de5dae2223"
		       "b00361a396177a9cb410ff61f20015ad");
	TEST_ASSERT(token_equal("abc", "abc"));
	TEST_ASSERT(!token_equal("abc", "abd"));
	TEST_ASSERT(!token_equal("abc", "abcd"));

	return 0;
}


TEST(utf8_text)
{
	TEST_ASSERT(utf8_valid_text("plain", 5, false));
	TEST_ASSERT(utf8_valid_text("caf\xc3\xa9", 5, false));
	TEST_ASSERT(utf8_valid_text("\xe2\x82\xac", 3, false));
	TEST_ASSERT(utf8_valid_text("\xf0\x9f\x93\x9e", 4, false));
	TEST_ASSERT(!utf8_valid_text("\xc3", 1, false));
	TEST_ASSERT(!utf8_valid_text("\xc0\xaf", 2, false));
	TEST_ASSERT(!utf8_valid_text("\xed\xa0\x80", 3, false));
	TEST_ASSERT(!utf8_valid_text("a\nb", 3, false));
	TEST_ASSERT(utf8_valid_text("a\nb", 3, true));
	TEST_ASSERT(!utf8_valid_text("a\0b", 3, true));
	TEST_ASSERT(!utf8_valid_text("\xc2\x85", 2, true));

	return 0;
}


/* RFC 3174 and RFC 6455's handshake example */
TEST(log_field_bounds)
{
	char buf[8], big[LOG_FIELD_SZ];
	char ruri[300];

	TEST_ASSERT(!strcmp(log_field(buf, sizeof(buf), "sip:a", 5),
			    "sip:a"));
	/* exactly sz - 1 bytes fit; one more is cut */
	TEST_ASSERT(!strcmp(log_field(buf, sizeof(buf), "1234567", 7),
			    "1234567"));
	TEST_ASSERT(!strcmp(log_field(buf, sizeof(buf), "12345678", 8),
			    "1234..."));
	/* no line of its own, no escape sequence; NULL and empty */
	TEST_ASSERT(!strcmp(log_field(buf, sizeof(buf), "a\r\nb\033", 5),
			    "a??b?"));
	TEST_ASSERT(!strcmp(log_field(buf, sizeof(buf), "\xc3\xa9", 2),
			    "??"));
	TEST_ASSERT(!strcmp(log_field(buf, sizeof(buf), NULL, 0), ""));

	memset(ruri, 'u', sizeof(ruri));
	TEST_EQ_INT(strlen(log_field(big, sizeof(big), ruri, sizeof(ruri))),
		    LOG_FIELD_SZ - 1);

	return 0;
}


TEST(sha1_vectors)
{
	static const struct {
		const char *in;
		const char *hex;
	} v[] = {
		{"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
		{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		 "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
		{"dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
		 "b37a4f2cc0624f1690f64606cf385945b2bec4ea"},
	};
	uint8_t md[20];
	char hex[41];
	size_t i, j;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		util_sha1(v[i].in, strlen(v[i].in), md);
		for (j = 0; j < 20; j++)
			re_snprintf(hex + 2 * j, 3, "%02x", md[j]);
		TEST_EQ_STR(hex, v[i].hex);
	}

	/* a million 'a': many blocks */
	{
		static char a[1000000];

		memset(a, 'a', sizeof(a));
		util_sha1(a, sizeof(a), md);
		for (j = 0; j < 20; j++)
			re_snprintf(hex + 2 * j, 3, "%02x", md[j]);
		TEST_EQ_STR(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
	}

	return 0;
}


struct hval {
	struct le he;
	uint32_t v;
};


static uint32_t hval_key(const void *data)
{
	const struct hval *h = data;

	return h->v * 2654435761u;
}


static bool hval_eq(struct le *le, void *arg)
{
	const struct hval *h = le->data;

	return h->v == *(uint32_t *)arg;
}


/* A table that grows keeps every element findable, and its chains short:
 * 10,000 elements in a table of 16 buckets end in one of 16 * 4^n with
 * no more than two elements a bucket; the largest size is a ceiling. */
TEST(hash_fit_grows)
{
	struct hash *h = NULL;
	struct hval *v;
	uint32_t bsize = 16, i, n = 10000, longest = 0;

	v = mem_zalloc(n * sizeof(*v), NULL);
	TEST_ASSERT(v != NULL);
	TEST_EQ_INT(hash_alloc(&h, bsize), 0);

	for (i = 0; i < n; i++) {
		v[i].v = i;
		hash_append(h, hval_key(&v[i]), &v[i].he, &v[i]);
		hash_fit(&h, &bsize, i + 1, 1u << 20, hval_key);
	}
	TEST_EQ_INT(bsize, 16384);
	for (i = 0; i < n; i++) {
		struct le *le = hash_lookup(h, hval_key(&v[i]), hval_eq, &i);

		TEST_ASSERT(le != NULL && le->data == &v[i]);
	}
	for (i = 0; i < bsize; i++) {
		uint32_t c = list_count(hash_list(h, i));

		longest = c > longest ? c : longest;
	}
	TEST_ASSERT(longest <= 8);

	/* at its ceiling it stays, still correct */
	hash_fit(&h, &bsize, 3 * bsize, bsize, hval_key);
	TEST_EQ_INT(bsize, 16384);

	TEST_EQ_INT(hash_bsize(h), bsize);

	/* the elements are one array, not objects of their own */
	hash_clear(h);
	mem_deref(h);
	mem_deref(v);

	return 0;
}


struct chain {
	struct tmr tmr;
	unsigned left;
	bool now;
};


/* Each step waits for the loop's millisecond clock to move on, then
 * starts the next: libre leaves such a timer for the next round */
static void chain_step(void *arg)
{
	struct chain *ch = arg;
	uint64_t t0 = tmr_jiffies();

	while (tmr_jiffies() == t0)
		;

	if (!ch->left--) {
		re_cancel();
		return;
	}

	if (ch->now)
		tmr_start_now(&ch->tmr, chain_step, ch);
	else
		tmr_start(&ch->tmr, 0, chain_step, ch);
}


static long chain_sleeps(bool now, unsigned steps)
{
	struct chain ch = {.left = steps, .now = now};
	struct rusage r0, r1;

	tmr_init(&ch.tmr);
	getrusage(RUSAGE_THREAD, &r0);
	tmr_start(&ch.tmr, 0, chain_step, &ch);
	(void)re_main(NULL);
	getrusage(RUSAGE_THREAD, &r1);
	tmr_cancel(&ch.tmr);

	return r1.ru_nvcsw - r0.ru_nvcsw;
}


/* tmr_start_now: a timer started by a timer in a later millisecond runs
 * in the next round without the poll sleeping first. Counted as the
 * thread's voluntary context switches (each sleep in epoll_wait is one),
 * not timed: with tmr_start nearly every step sleeps, with tmr_start_now
 * none should. */
TEST(wake_timer_chain_does_not_sleep)
{
	long plain, now;

	TEST_EQ_INT(wake_init(), 0);
	plain = chain_sleeps(false, 40);
	now = chain_sleeps(true, 40);
	wake_close();
	fprintf(stderr, "  40 chained timers: %ld sleeps with tmr_start, "
		"%ld with tmr_start_now\n", plain, now);

	TEST_ASSERT(plain >= 30);
	TEST_ASSERT(now <= 5);

	return 0;
}


/* the median of an even count is the lower middle value (nearest rank),
 * as the reports have it, not the mean of the two */
TEST(rank_percentile_nearest)
{
	static const int64_t two[] = {10, 31};
	static const int64_t ten[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

	TEST_EQ_INT(rank_percentile(two, 2, 50), 10);
	TEST_EQ_INT(rank_percentile(two, 1, 50), 10);
	TEST_EQ_INT(rank_percentile(two, 0, 50), -1);
	TEST_EQ_INT(rank_percentile(ten, 10, 50), 5);
	TEST_EQ_INT(rank_percentile(ten, 10, 90), 9);
	TEST_EQ_INT(rank_percentile(ten, 10, 91), 10);
	TEST_EQ_INT(rank_percentile(ten, 10, 0), 1);

	return 0;
}
