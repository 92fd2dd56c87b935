/*
 * The form object, field look-up, Content-Type matching and the checks
 * both parsers apply to every field. json.c and urlenc.c only decode.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#include "util/util.h"
#include "form/form.h"
#include "form/form_int.h"


static void form_destructor(void *arg)
{
	struct form *f = arg;
	size_t i;

	for (i = 0; i < f->n; i++) {
		mem_deref(f->v[i].key);
		mem_deref(f->v[i].val);
	}
}


int form_fail(struct form_error *err, const char *code, const char *field,
	      const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return EBADMSG;

	err->code = code;
	str_bcpy(err->field, field ? field : "", sizeof(err->field));

	va_start(ap, fmt);
	(void)vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);

	return EBADMSG;
}


int form_key_check(const struct form *f, const char *key, size_t klen,
		   const char *code, struct form_error *err)
{
	size_t i;

	if (klen == 0)
		return form_fail(err, code, "", "A field name is empty.");

	if (klen > FORM_KEY_MAX)
		return form_fail(err, code, "", "A field name is longer "
				 "than %d bytes.", FORM_KEY_MAX);

	/* names end up in error messages and logs: keep them printable */
	for (i = 0; i < klen; i++) {
		unsigned char c = (unsigned char)key[i];

		if (c < 0x20 || c == 0x7f)
			return form_fail(err, code, "", "A field name holds "
					 "a control character.");
	}

	for (i = 0; i < f->n; i++) {
		if (!strcmp(f->v[i].key, key))
			return form_fail(err, "duplicate_field", key,
					 "The field \"%s\" is given more "
					 "than once.", key);
	}

	if (f->n >= FORM_MAX_FIELDS)
		return form_fail(err, "too_many_fields", "", "The body has "
				 "more than %d fields.", FORM_MAX_FIELDS);

	return 0;
}


void form_push(struct form *f, char *key, char *val, size_t len)
{
	f->v[f->n].key = key;
	f->v[f->n].val = val;
	f->v[f->n].len = val ? len : 0;
	++f->n;
}


size_t form_utf8_seq(const unsigned char *p, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (n == 0)
		return 0;

	if (p[0] < 0x80)
		return 1;
	else if ((p[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = p[0] & 0x1f;
	}
	else if ((p[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = p[0] & 0x0f;
	}
	else if ((p[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = p[0] & 0x07;
	}
	else {
		return 0;
	}

	if (n < len)
		return 0;

	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}

	/* overlong forms, surrogates and what lies past U+10FFFF */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;

	return len;
}


const char *form_text_check(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	if (memchr(s, '\0', len))
		return "holds a NUL character";

	while (i < len) {
		n = form_utf8_seq(p + i, len - i);
		if (!n)
			return "is not valid UTF-8";
		i += n;
	}

	return "";
}


int form_parse(struct form **fp, enum form_kind kind, const char *body,
	       size_t len, struct form_error *err)
{
	struct form *f;
	int e;

	if (err)
		memset(err, 0, sizeof(*err));

	if (!fp || (!body && len))
		return EINVAL;
	if (!body)
		body = "";

	f = mem_zalloc(sizeof(*f), form_destructor);
	if (!f)
		return ENOMEM;

	switch (kind) {

	case FORM_JSON:
	case FORM_JSON_SCALARS:
		e = form_parse_json(f, body, len, kind == FORM_JSON_SCALARS,
				    err);
		break;

	case FORM_URLENCODED:
		e = form_parse_urlenc(f, body, len, err);
		break;

	default:
		e = EINVAL;
		break;
	}

	if (e)
		goto out;

	*fp = f;

 out:
	if (e)
		mem_deref(f);

	return e;
}


const char *form_get(const struct form *f, const char *key, size_t *lenp)
{
	size_t i;

	if (lenp)
		*lenp = 0;
	if (!f || !key)
		return NULL;

	for (i = 0; i < f->n; i++) {
		if (strcmp(f->v[i].key, key))
			continue;

		if (lenp)
			*lenp = f->v[i].len;

		return f->v[i].val;
	}

	return NULL;
}


/* RFC 9110 token characters */
static bool tchar(char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return true;

	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}


static bool pl_ieq(const char *p, size_t n, const char *s)
{
	return strlen(s) == n && !strncasecmp(p, s, n);
}


/*
 * Content-Type = type "/" subtype *( OWS ";" [ OWS name "=" value ] ),
 * the value a token or a quoted string (RFC 9110 section 8.3).
 */
int form_kind_from_ctype(enum form_kind *kindp, const char *ctype,
			 size_t len)
{
	const char *p, *e, *t;
	enum form_kind kind;
	char val[16];
	size_t vn;

	if (!kindp || (!ctype && len))
		return EINVAL;
	if (!ctype)
		return ENOTSUP;

	p = ctype;
	e = ctype + len;

	while (p < e && (*p == ' ' || *p == '\t'))
		++p;
	for (t = p; p < e && (tchar(*p) || *p == '/'); p++)
		;

	if (pl_ieq(t, (size_t)(p - t), "application/json"))
		kind = FORM_JSON;
	else if (pl_ieq(t, (size_t)(p - t),
			"application/x-www-form-urlencoded"))
		kind = FORM_URLENCODED;
	else
		return ENOTSUP;

	for (;;) {
		const char *name;
		size_t nn;
		bool quoted = false;

		while (p < e && (*p == ' ' || *p == '\t'))
			++p;
		if (p == e)
			break;
		if (*p++ != ';')
			return ENOTSUP;
		while (p < e && (*p == ' ' || *p == '\t'))
			++p;
		if (p == e || *p == ';')
			continue;

		for (name = p; p < e && tchar(*p); p++)
			;
		nn = (size_t)(p - name);
		if (!nn || p == e || *p++ != '=')
			return ENOTSUP;

		/* the value, unquoted into val as far as it fits */
		vn = 0;
		if (p < e && *p == '"') {
			quoted = true;
			for (++p; p < e && *p != '"'; p++) {
				if (*p == '\\' && ++p == e)
					return ENOTSUP;
				if (vn < sizeof(val))
					val[vn] = *p;
				++vn;
			}
			if (p == e)
				return ENOTSUP;
			++p;
		}
		else {
			for (; p < e && tchar(*p); p++) {
				if (vn < sizeof(val))
					val[vn] = *p;
				++vn;
			}
		}
		if (!vn && !quoted)
			return ENOTSUP;

		if (pl_ieq(name, nn, "charset") &&
		    (vn > sizeof(val) || !pl_ieq(val, vn, "utf-8")))
			return ENOTSUP;
	}

	*kindp = kind;

	return 0;
}
