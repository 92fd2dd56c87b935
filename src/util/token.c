/*
 * Unguessable tokens (callback ids, cancel tokens, session ids) come from
 * a keystream keyed by libsodium's CSPRNG (see rng_bytes). Secrets are
 * only ever stored as their SHA-256, and compared in constant time.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sodium.h>
#include <re.h>
#include "util/util.h"


/*
 * The bytes of tokens come from a ChaCha20 keystream with fast key
 * erasure, not from a system call each: an intake answer makes two
 * tokens, and getrandom() was a measurable part of it. Each refill
 * draws POOL bytes under the current key, takes the first 32 as the next
 * key and erases them, so that no state left in memory can reproduce a
 * token already handed out; every byte handed out is erased from the
 * pool as well. The key is drawn from the kernel (libsodium's
 * randombytes) at first use and after every RESEED bytes. One pool per
 * thread; beckon never forks after start-up, which would copy it.
 */
enum {
	POOL = 512,
	RESEED = 1 << 20,
};

static _Thread_local struct {
	unsigned char key[crypto_stream_chacha20_KEYBYTES];
	unsigned char buf[POOL];
	size_t avail;             /* unread bytes, at the end of buf */
	size_t since_seed;
	uint64_t drawn;           /* ever, for token_drawn */
	bool seeded;
} rng;


static void rng_refill(void)
{
	static const unsigned char nonce[crypto_stream_chacha20_NONCEBYTES];

	if (!rng.seeded || rng.since_seed >= RESEED) {
		randombytes_buf(rng.key, sizeof(rng.key));
		rng.seeded = true;
		rng.since_seed = 0;
	}

	/* a fresh key every block: the all-zero nonce is never reused */
	crypto_stream_chacha20(rng.buf, sizeof(rng.buf), nonce, rng.key);
	memcpy(rng.key, rng.buf, sizeof(rng.key));
	sodium_memzero(rng.buf, sizeof(rng.key));
	rng.avail = sizeof(rng.buf) - sizeof(rng.key);
}


static void rng_bytes(unsigned char *out, size_t n)
{
	while (n) {
		unsigned char *src;
		size_t k;

		if (!rng.avail)
			rng_refill();

		k = n < rng.avail ? n : rng.avail;
		src = rng.buf + sizeof(rng.buf) - rng.avail;
		memcpy(out, src, k);
		sodium_memzero(src, k);
		rng.avail -= k;
		rng.since_seed += k;
		rng.drawn += k;
		out += k;
		n -= k;
	}
}


int token_random(char *buf, size_t sz, size_t nbytes)
{
	unsigned char raw[64];

	if (!buf || nbytes == 0 || nbytes > sizeof(raw))
		return EINVAL;
	if (sz < sodium_base64_ENCODED_LEN(nbytes,
				sodium_base64_VARIANT_URLSAFE_NO_PADDING))
		return EINVAL;

	rng_bytes(raw, nbytes);
	sodium_bin2base64(buf, sz, raw, nbytes,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));

	return 0;
}


uint64_t token_drawn(void)
{
	return rng.drawn;
}


/*
 * libre's random numbers, from the same pool. libre 1.1.0 built with
 * OpenSSL asks RAND_bytes() for every number: SIP branches, tags and
 * Call-IDs, RTP ports, SSRCs and sequence numbers, about thirty calls a
 * callback, 4.6% of the dialer's CPU at 600 calls/s (OpenSSL 3 finds its
 * context and takes a lock each time). libre calls these through its
 * PLT, so the executable's definitions are the ones it uses (as with the
 * timers, util/timer.c, and checked the same way); rand_init stays
 * libre's. The values keep
 * libre's meaning: rand_u16 and rand_u32 uniform, rand_str letters and
 * digits with a NUL at str[size - 1].
 */
uint32_t rand_u32(void)
{
	uint32_t v;

	rng_bytes((unsigned char *)&v, sizeof(v));

	return v;
}


uint16_t rand_u16(void)
{
	uint16_t v;

	rng_bytes((unsigned char *)&v, sizeof(v));

	return v;
}


uint64_t rand_u64(void)
{
	uint64_t v;

	rng_bytes((unsigned char *)&v, sizeof(v));

	return v;
}


void rand_bytes(uint8_t *p, size_t size)
{
	if (p)
		rng_bytes(p, size);
}


void rand_str(char *str, size_t size)
{
	static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"abcdefghijklmnopqrstuvwxyz0123456789";
	size_t i;

	if (!str || !size)
		return;

	--size;
	rng_bytes((unsigned char *)str, size);
	for (i = 0; i < size; i++)
		str[i] = alnum[(uint8_t)str[i] % (sizeof(alnum) - 1)];
	str[size] = '\0';
}


char rand_char(void)
{
	char s[2];

	rand_str(s, sizeof(s));

	return s[0];
}


int password_hash(char *out, size_t sz, const char *password)
{
	if (!out || sz < crypto_pwhash_STRBYTES || !password)
		return EINVAL;

	if (crypto_pwhash_str_alg(out, password, strlen(password),
				  crypto_pwhash_OPSLIMIT_INTERACTIVE,
				  crypto_pwhash_MEMLIMIT_INTERACTIVE,
				  crypto_pwhash_ALG_ARGON2ID13))
		return ENOMEM;

	return 0;
}


bool password_verify(const char *hash, const char *password)
{
	if (!hash || !password)
		return false;

	return crypto_pwhash_str_verify(hash, password,
					strlen(password)) == 0;
}


void token_hash_hex(char out[65], const char *s, size_t len)
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)s, len);
	sodium_bin2hex(out, 65, h, sizeof(h));
}


bool token_equal(const char *a, const char *b)
{
	size_t la, lb;

	if (!a || !b)
		return false;

	la = strlen(a);
	lb = strlen(b);
	if (la != lb)
		return false;

	return sodium_memcmp(a, b, la) == 0;
}


bool str_list_next(const char **pp, const char **itemp, size_t *lenp)
{
	const char *p = pp ? *pp : NULL;
	size_t n;

	if (!p)
		return false;

	while (*p == ' ' || *p == ',')
		p++;
	n = strcspn(p, " ,");
	*pp = p + n;
	if (!n)
		return false;

	*itemp = p;
	*lenp = n;

	return true;
}


int util_write_int(struct mbuf *mb, int64_t v)
{
	char d[20];
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		d[--i] = '-';

	return mbuf_write_mem(mb, (const uint8_t *)d + i, sizeof(d) - i);
}


size_t str_bcpy(char *dst, const char *src, size_t sz)
{
	size_t n;

	if (!dst || !sz)
		return 0;
	if (!src) {
		dst[0] = '\0';
		return 0;
	}

	n = strnlen(src, sz - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';

	return n;
}


bool utf8_valid_text(const char *s, size_t len, bool allow_nl)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned c = p[i];
		uint32_t cp;
		size_t n, k;

		if (c < 0x80) {
			if (c == 0x7f)
				return false;
			if (c < 0x20) {
				if (c == '\t')
					;
				else if (allow_nl && (c == '\n' || c == '\r'))
					;
				else
					return false;
			}
			++i;
			continue;
		}

		if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		}
		else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		}
		else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		}
		else {
			return false;
		}

		if (len - i <= n)
			return false;

		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}

		/* no overlong forms, no surrogates, nothing past U+10FFFF */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;

		/* C1 controls are as unwelcome as C0 ones */
		if (cp >= 0x80 && cp <= 0x9f)
			return false;

		i += n + 1;
	}

	return true;
}


const char *addr_str(char *buf, size_t sz, const struct sa *sa)
{
	if (re_snprintf(buf, sz, "%J", sa) < 0)
		str_bcpy(buf, "?", sz);

	return buf;
}
