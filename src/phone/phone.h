/*
 * phone: turning what a visitor typed into an E.164 number, and deciding
 * whether beckon may call it.
 *
 * phone_normalize() accepts the forms people write ("(415) 555-0100",
 * "+44 (0)20 7946 0958", "0033 1 23 45 67 89") and yields "+<cc><nsn>".
 * phone_check() then applies the business's policy: which calling codes
 * are served and which prefixes (premium rate, satellite, ...) are never
 * dialled, whatever the business says, unless it overrides the list.
 */
#ifndef BECKON_PHONE_H
#define BECKON_PHONE_H

#include <stddef.h>

/* '+', at most 15 digits and a NUL */
enum { PHONE_E164_SIZE = 17 };

enum phone_err {
	PHONE_OK = 0,
	PHONE_EMPTY,        /* nothing given */
	PHONE_CHARS,        /* characters other than digits, spaces,
			     * ( ) - . / and a leading + */
	PHONE_LENGTH,       /* too short or too long for E.164 or the
			     * country */
	PHONE_COUNTRY,      /* unknown calling code */
	PHONE_NATIONAL,     /* not a valid number in that country */
	PHONE_NOT_ALLOWED,  /* calling code not in the allowed list */
	PHONE_DENIED,       /* matches a denied prefix */
};

/*
 * Normalise in[0..len) to E.164 ("+14155550100") into e164, which must
 * hold PHONE_E164_SIZE bytes. National forms are read in the country with
 * calling code default_cc (1, 44, 33, 49, ...), dropping its trunk prefix
 * ("0" mostly, "1" for NANP when 11 digits are given). International forms
 * start with "+" or the international prefix dialled from default_cc
 * ("011" for NANP, "00" mostly).
 * Returns 0, or EINVAL with *whyp (if whyp is not NULL) saying why and
 * e164 set to "".
 */
int phone_normalize(char *e164, size_t sz, const char *in, size_t len,
		    unsigned default_cc, enum phone_err *whyp);

/* Calling code of an E.164 number (longest match), 0 if unknown. */
unsigned phone_calling_code(const char *e164);

/*
 * Check a normalised number against policy. allowed is a list of calling
 * codes separated by spaces ("1 44"), NULL or empty meaning only
 * default_cc. deny is a list of E.164 prefixes ("+1900 +1976"), where X
 * stands for any digit; NULL means phone_default_deny(), "" denies
 * nothing. Returns PHONE_OK, PHONE_NOT_ALLOWED (checked first) or
 * PHONE_DENIED.
 */
enum phone_err phone_check(const char *e164, unsigned default_cc,
			   const char *allowed, const char *deny);

/*
 * Check the syntax of policy lists (for configuration): allowed must hold
 * known calling codes, deny "+" followed by digits or X. NULL is fine.
 * Returns 0 or EINVAL.
 */
int phone_policy_validate(const char *allowed, const char *deny);

/* The built-in denied prefixes (premium rate, satellite, ...). */
const char *phone_default_deny(void);

/*
 * Mask for logs, keeping the calling code and the last 2 digits:
 * "+14155550100" gives "+1********00". buf should hold PHONE_E164_SIZE
 * bytes. Returns buf.
 */
const char *phone_mask(char *buf, size_t sz, const char *e164);

/* Stable API error code: "invalid_phone", "phone_denied", ... */
const char *phone_err_code(enum phone_err e);

/* A sentence for a person. */
const char *phone_err_message(enum phone_err e);

#endif
