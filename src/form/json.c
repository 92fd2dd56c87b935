/*
 * A JSON reader for exactly one shape, an object whose values are strings
 * or null, and the string writer for answers.
 *
 * The reader is hand-written rather than libre's so that it can be strict
 * (RFC 8259 with no extensions, no duplicate names, no lone surrogates)
 * and say precisely what is wrong. A value of another type is reported as
 * soon as its first character is seen, without reading it further: the
 * answer is the same whatever follows.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <re.h>
#include "form/form.h"
#include "form/form_int.h"

struct jp {
	const char *s;
	size_t len;
	size_t pos;
	const char *field;      /* the field whose value is being read */
	struct form_error *err;
};


static int fail(struct jp *p, size_t at, const char *what)
{
	if (p->field)
		return form_fail(p->err, "invalid_json", p->field, "Invalid "
				 "JSON at offset %zu: %s in the field "
				 "\"%s\".", at, what, p->field);

	return form_fail(p->err, "invalid_json", "", "Invalid JSON at offset "
			 "%zu: %s.", at, what);
}


static void skip_ws(struct jp *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		++p->pos;
	}
}


static int hex4(const char *s, uint32_t *vp)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return EINVAL;
	}

	*vp = v;

	return 0;
}


static size_t utf8_put(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}

	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));

	return 4;
}


static int bad_text(struct jp *p, const char *what)
{
	if (p->field)
		return form_fail(p->err, "invalid_utf8", p->field, "The "
				 "field \"%s\" %s.", p->field, what);

	return form_fail(p->err, "invalid_utf8", "", "A field name %s.",
			 what);
}


/* Read the string starting at the quote at p->pos into a new buffer. */
static int read_string(struct jp *p, char **outp, size_t *lenp)
{
	const unsigned char *u = (const unsigned char *)p->s;
	size_t i = p->pos + 1, end, o = 0, n;
	char *buf;
	int err;

	/* find the closing quote first: decoding never makes text longer,
	 * so its distance bounds the buffer */
	for (end = i; end < p->len; end++) {
		if (p->s[end] == '\\')
			++end;
		else if (p->s[end] == '"')
			break;
	}
	if (end >= p->len)
		return fail(p, p->pos, "a string is not terminated");

	buf = mem_alloc(end - i + 1, NULL);
	if (!buf)
		return ENOMEM;

	while (i < end) {
		uint32_t cp, lo;

		if (u[i] == '\\') {
			switch (p->s[i + 1]) {

			case '"':  buf[o++] = '"';  i += 2; continue;
			case '\\': buf[o++] = '\\'; i += 2; continue;
			case '/':  buf[o++] = '/';  i += 2; continue;
			case 'b':  buf[o++] = '\b'; i += 2; continue;
			case 'f':  buf[o++] = '\f'; i += 2; continue;
			case 'n':  buf[o++] = '\n'; i += 2; continue;
			case 'r':  buf[o++] = '\r'; i += 2; continue;
			case 't':  buf[o++] = '\t'; i += 2; continue;
			case 'u':  break;
			default:
				err = fail(p, i, "unknown escape in a string");
				goto out;
			}

			if (end - i < 6 || hex4(p->s + i + 2, &cp)) {
				err = fail(p, i, "bad \\u escape");
				goto out;
			}
			i += 6;

			if (cp >= 0xd800 && cp <= 0xdbff) {
				/* a high surrogate needs a low one next */
				if (end - i >= 2 && p->s[i] == '\\' &&
				    p->s[i + 1] == 'u') {
					if (end - i < 6 ||
					    hex4(p->s + i + 2, &lo)) {
						err = fail(p, i,
							   "bad \\u escape");
						goto out;
					}
				}
				else {
					lo = 0;
				}

				if (lo < 0xdc00 || lo > 0xdfff) {
					err = bad_text(p, "holds an unpaired "
						       "surrogate");
					goto out;
				}
				i += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
					(lo - 0xdc00);
			}
			else if (cp >= 0xdc00 && cp <= 0xdfff) {
				err = bad_text(p, "holds an unpaired "
					       "surrogate");
				goto out;
			}
			else if (cp == 0) {
				err = bad_text(p, "holds a NUL character");
				goto out;
			}

			o += utf8_put(buf + o, cp);
			continue;
		}

		if (u[i] < 0x20) {
			err = fail(p, i, "control character in a string");
			goto out;
		}

		n = form_utf8_seq(u + i, end - i);
		if (!n) {
			err = bad_text(p, "is not valid UTF-8");
			goto out;
		}
		memcpy(buf + o, p->s + i, n);
		o += n;
		i += n;
	}

	buf[o] = '\0';
	p->pos = end + 1;
	*outp = buf;
	*lenp = o;
	buf = NULL;
	err = 0;

 out:
	mem_deref(buf);

	return err;
}


/*
 * A JSON number (RFC 8259 grammar) or true/false at p, copied as text:
 * for the admin API, where a count may come as 3 or "3" alike.
 */
static int read_scalar(struct jp *p, char **valp, size_t *lenp)
{
	const char *s = p->s;
	size_t i = p->pos, n = p->len;

	if (n - i >= 4 && !memcmp(s + i, "true", 4))
		i += 4;
	else if (n - i >= 5 && !memcmp(s + i, "false", 5))
		i += 5;
	else {
		if (i < n && s[i] == '-')
			i++;
		if (i < n && s[i] == '0')
			i++;
		else if (i < n && s[i] >= '1' && s[i] <= '9')
			while (i < n && s[i] >= '0' && s[i] <= '9')
				i++;
		else
			return fail(p, i, "bad number");
		if (i < n && s[i] == '.') {
			if (++i >= n || s[i] < '0' || s[i] > '9')
				return fail(p, i, "bad number");
			while (i < n && s[i] >= '0' && s[i] <= '9')
				i++;
		}
		if (i < n && (s[i] == 'e' || s[i] == 'E')) {
			i++;
			if (i < n && (s[i] == '+' || s[i] == '-'))
				i++;
			if (i >= n || s[i] < '0' || s[i] > '9')
				return fail(p, i, "bad number");
			while (i < n && s[i] >= '0' && s[i] <= '9')
				i++;
		}
	}

	*valp = mem_alloc(i - p->pos + 1, NULL);
	if (!*valp)
		return ENOMEM;
	memcpy(*valp, s + p->pos, i - p->pos);
	(*valp)[i - p->pos] = '\0';
	*lenp = i - p->pos;
	p->pos = i;

	return 0;
}


int form_parse_json(struct form *f, const char *s, size_t len, bool scalars,
		    struct form_error *err)
{
	struct jp p = {s, len, 0, NULL, err};
	char *key = NULL, *val = NULL;
	size_t klen, vlen;
	int e;

	skip_ws(&p);
	if (p.pos == len)
		return fail(&p, p.pos, "the body is empty");
	if (s[p.pos] != '{')
		return fail(&p, p.pos, "the body must be an object");
	++p.pos;

	skip_ws(&p);
	if (p.pos < len && s[p.pos] == '}') {
		++p.pos;
		goto tail;
	}

	for (;;) {
		char c;

		skip_ws(&p);
		/* also what a trailing comma meets */
		if (p.pos == len || s[p.pos] != '"') {
			e = fail(&p, p.pos, "expected a field name");
			goto out;
		}

		e = read_string(&p, &key, &klen);
		if (e)
			goto out;

		e = form_key_check(f, key, klen, "invalid_json", err);
		if (e)
			goto out;

		skip_ws(&p);
		if (p.pos == len || s[p.pos] != ':') {
			e = fail(&p, p.pos, "expected ':' after a field name");
			goto out;
		}
		++p.pos;
		skip_ws(&p);

		p.field = key;
		c = p.pos < len ? s[p.pos] : '\0';
		if (c == '"') {
			e = read_string(&p, &val, &vlen);
			if (e)
				goto out;
		}
		else if (len - p.pos >= 4 && !memcmp(s + p.pos, "null", 4)) {
			p.pos += 4;
			vlen = 0;
		}
		else if (scalars && c && strchr("-0123456789tf", c)) {
			e = read_scalar(&p, &val, &vlen);
			if (e)
				goto out;
		}
		else if (c && strchr("-0123456789tf[{", c)) {
			e = form_fail(err, "invalid_type", key, "The field "
				      "\"%s\" must be a string or null.",
				      key);
			goto out;
		}
		else {
			e = fail(&p, p.pos, "expected a value");
			goto out;
		}

		form_push(f, key, val, vlen);
		key = val = NULL;
		p.field = NULL;

		skip_ws(&p);
		if (p.pos < len && s[p.pos] == ',') {
			++p.pos;
			continue;
		}
		if (p.pos < len && s[p.pos] == '}') {
			++p.pos;
			break;
		}

		e = fail(&p, p.pos, "expected ',' or '}'");
		goto out;
	}

 tail:
	skip_ws(&p);
	if (p.pos != len)
		return fail(&p, p.pos, "data after the object");

	return 0;

 out:
	mem_deref(key);
	mem_deref(val);

	return e;
}


/*
 * Which bytes below 0x80 need an escape: JSON's own, and the characters
 * that could end a <script> or a quoted attribute around it.
 */
static bool needs_escape(unsigned char c)
{
	return c < 0x20 || c == 0x7f || c == '"' || c == '\\' || c == '<' ||
		c == '>' || c == '&' || c == '\'';
}


int form_json_str(struct mbuf *mb, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run, n;
	int err;

	if (!mb)
		return EINVAL;
	if (!s)
		return mbuf_write_str(mb, "null");

	err = mbuf_write_u8(mb, '"');

	while (!err && u[i]) {
		/* copy plain text in runs */
		for (run = i; u[i] && u[i] < 0x80 && !needs_escape(u[i]); i++)
			;
		if (i > run)
			err = mbuf_write_mem(mb, u + run, i - run);
		if (err || !u[i])
			break;

		if (u[i] < 0x80) {
			switch (u[i]) {

			case '"':  err = mbuf_write_str(mb, "\\\""); break;
			case '\\': err = mbuf_write_str(mb, "\\\\"); break;
			case '\b': err = mbuf_write_str(mb, "\\b");  break;
			case '\f': err = mbuf_write_str(mb, "\\f");  break;
			case '\n': err = mbuf_write_str(mb, "\\n");  break;
			case '\r': err = mbuf_write_str(mb, "\\r");  break;
			case '\t': err = mbuf_write_str(mb, "\\t");  break;
			default:
				err = mbuf_printf(mb, "\\u%04x",
						  (unsigned)u[i]);
				break;
			}
			++i;
			continue;
		}

		n = form_utf8_seq(u + i, strnlen(s + i, 4));
		if (!n) {
			err = mbuf_write_str(mb, "\\ufffd");
			++i;
		}
		else if (n == 3 && u[i] == 0xe2 && u[i + 1] == 0x80 &&
			 (u[i + 2] == 0xa8 || u[i + 2] == 0xa9)) {
			/* line and paragraph separators end a line, and
			 * a string with it, in JavaScript before ES2019 */
			err = mbuf_printf(mb, "\\u%04x", u[i + 2] == 0xa8 ?
					  0x2028u : 0x2029u);
			i += 3;
		}
		else {
			err = mbuf_write_mem(mb, u + i, n);
			i += n;
		}
	}

	if (!err)
		err = mbuf_write_u8(mb, '"');

	return err;
}
