/*
 * What the form parsers share: building the field list, reporting errors
 * and checking UTF-8.
 */
#ifndef BECKON_FORM_INT_H
#define BECKON_FORM_INT_H

#include <stdbool.h>
#include <stddef.h>

struct form;
struct form_error;

int form_fail(struct form_error *err, const char *code, const char *field,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Check a new field name against the form so far: present, short, free of
 * control characters, not a duplicate and room left. code is the syntax
 * error of the caller's format. Returns 0 or EBADMSG.
 */
int form_key_check(const struct form *f, const char *key, size_t klen,
		   const char *code, struct form_error *err);

/* Append a field checked by form_key_check(); the form takes key, val. */
void form_push(struct form *f, char *key, char *val, size_t len);

/* length of the valid UTF-8 sequence at p[0..n), 0 if invalid */
size_t form_utf8_seq(const unsigned char *p, size_t n);

/*
 * Check decoded text: "" if valid UTF-8 without NUL, else what is wrong
 * with it, to follow its subject in a sentence ("holds a NUL character").
 */
const char *form_text_check(const char *s, size_t len);

int form_parse_json(struct form *f, const char *s, size_t len, bool scalars,
		    struct form_error *err);
int form_parse_urlenc(struct form *f, const char *s, size_t len,
		      struct form_error *err);

#endif
