/*
 * application/x-www-form-urlencoded, as browsers send it: "&" between
 * pairs, "=" between name and value (a pair without one has an empty
 * value), "+" for space and %XX for any byte. Browsers escape everything
 * else, so raw control characters are refused rather than guessed at.
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#include "form/form.h"
#include "form/form_int.h"


static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;

	return -1;
}


/*
 * Decode s[0..n) into a new string; on a syntax error return EBADMSG
 * with *whatp saying what is wrong and *atp its offset in s.
 */
static int decode(char **outp, size_t *lenp, const char *s, size_t n,
		  const char **whatp, size_t *atp)
{
	char *buf;
	size_t i, o = 0;

	buf = mem_alloc(n + 1, NULL);
	if (!buf)
		return ENOMEM;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int hi, lo;

		if (c == '+') {
			buf[o++] = ' ';
		}
		else if (c == '%') {
			hi = i + 2 < n ? hexval(s[i + 1]) : -1;
			lo = hi >= 0 ? hexval(s[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				*whatp = "bad percent escape";
				*atp = i;
				goto bad;
			}
			buf[o++] = (char)(hi << 4 | lo);
			i += 2;
		}
		else if (c < 0x20 || c == 0x7f) {
			*whatp = "control character";
			*atp = i;
			goto bad;
		}
		else {
			buf[o++] = (char)c;
		}
	}

	buf[o] = '\0';
	*outp = buf;
	*lenp = o;

	return 0;

 bad:
	mem_deref(buf);

	return EBADMSG;
}


int form_parse_urlenc(struct form *f, const char *s, size_t len,
		      struct form_error *err)
{
	char *key = NULL, *val = NULL;
	size_t pos = 0, klen, vlen, at;
	const char *what;
	int e = 0;

	while (pos < len) {
		const char *amp, *eq;
		size_t end, mid;

		amp = memchr(s + pos, '&', len - pos);
		end = amp ? (size_t)(amp - s) : len;

		/* "a=1&&b=2": empty pairs are harmless */
		if (end == pos) {
			++pos;
			continue;
		}

		eq = memchr(s + pos, '=', end - pos);
		mid = eq ? (size_t)(eq - s) : end;

		e = decode(&key, &klen, s + pos, mid - pos, &what, &at);
		if (e == EBADMSG) {
			e = form_fail(err, "invalid_form", "", "Invalid form "
				      "data at offset %zu: %s in a field "
				      "name.", pos + at, what);
		}
		if (e)
			goto out;

		what = form_text_check(key, klen);
		if (*what) {
			e = form_fail(err, "invalid_utf8", "", "A field name "
				      "%s.", what);
			goto out;
		}

		e = form_key_check(f, key, klen, "invalid_form", err);
		if (e)
			goto out;

		if (eq) {
			e = decode(&val, &vlen, s + mid + 1, end - mid - 1,
				   &what, &at);
		}
		else {
			e = decode(&val, &vlen, "", 0, &what, &at);
		}
		if (e == EBADMSG) {
			e = form_fail(err, "invalid_form", key, "Invalid form "
				      "data at offset %zu: %s in the field "
				      "\"%s\".", mid + 1 + at, what, key);
		}
		if (e)
			goto out;

		what = form_text_check(val, vlen);
		if (*what) {
			e = form_fail(err, "invalid_utf8", key, "The field "
				      "\"%s\" %s.", key, what);
			goto out;
		}

		form_push(f, key, val, vlen);
		key = val = NULL;

		pos = end + 1;
	}

 out:
	mem_deref(key);
	mem_deref(val);

	return e;
}
