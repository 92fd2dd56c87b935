/*
 * Unguessable tokens (callback ids, cancel tokens, session ids) come from
 * libsodium's CSPRNG. Secrets are only ever stored as their SHA-256, and
 * compared in constant time.
 */
#include <errno.h>
#include <string.h>
#include <sodium.h>
#include <re.h>
#include "util/util.h"


int token_random(char *buf, size_t sz, size_t nbytes)
{
	unsigned char raw[64];

	if (!buf || nbytes == 0 || nbytes > sizeof(raw))
		return EINVAL;
	if (sz < sodium_base64_ENCODED_LEN(nbytes,
				sodium_base64_VARIANT_URLSAFE_NO_PADDING))
		return EINVAL;

	randombytes_buf(raw, nbytes);
	sodium_bin2base64(buf, sz, raw, nbytes,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));

	return 0;
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
