/*
 * form: strict parsing of a callback request's body into a flat list of
 * string fields, whether it came as JSON or as an HTML form
 * (application/x-www-form-urlencoded), and the JSON string writer used to
 * answer.
 *
 * Strict because the body comes from anyone: one object of strings (or
 * null), no duplicate or overlong names, valid UTF-8 without NUL, at most
 * FORM_MAX_FIELDS fields, and an error that names the field at fault but
 * never repeats what was sent.
 */
#ifndef BECKON_FORM_H
#define BECKON_FORM_H

#include <stddef.h>

struct mbuf;

enum form_kind {
	FORM_JSON,
	FORM_URLENCODED,
	FORM_JSON_SCALARS,   /* JSON, numbers and booleans kept as text */
};

enum {
	FORM_MAX_FIELDS = 32,
	FORM_KEY_MAX = 64,       /* bytes in a field name */
};

struct form_field {
	char *key;
	char *val;       /* NUL-terminated; NULL for a JSON null */
	size_t len;      /* strlen(val) */
};

/* mem_deref() frees the fields too */
struct form {
	size_t n;
	struct form_field v[FORM_MAX_FIELDS];
};

struct form_error {
	char field[FORM_KEY_MAX + 1];  /* field at fault, "" for the body */
	const char *code;              /* NULL when there is no error */
	char message[200];             /* never holds the value sent */
};

/*
 * Parse body[0..len) into a new form. Returns 0, EBADMSG with *err (if
 * not NULL) saying what is wrong, EINVAL or ENOMEM. Error codes:
 * "invalid_json", "invalid_form", "invalid_type", "duplicate_field",
 * "too_many_fields", "invalid_utf8".
 */
int form_parse(struct form **fp, enum form_kind kind, const char *body,
	       size_t len, struct form_error *err);

/*
 * The value of key, or NULL when absent or JSON null; its length in
 * *lenp (0 when NULL is returned) if lenp is not NULL.
 */
const char *form_get(const struct form *f, const char *key, size_t *lenp);

/*
 * Append s as a JSON string literal, quotes included, to mb. Besides what
 * JSON needs (", \ and control characters) < > & ' and U+2028/U+2029 are
 * written as \u escapes, so the output is also safe inside an HTML
 * <script>. Bytes that are not UTF-8 become U+FFFD; NULL gives null.
 */
int form_json_str(struct mbuf *mb, const char *s);

/*
 * The kind of body a Content-Type value announces: the media type is
 * matched without regard to case, parameters may follow, and a charset
 * parameter must say utf-8. Returns 0, ENOTSUP for anything else or
 * EINVAL.
 */
int form_kind_from_ctype(enum form_kind *kindp, const char *ctype,
			 size_t len);

#endif
