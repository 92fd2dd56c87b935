/*
 * Normalisation reads the input once, keeping the digits and noting a
 * leading "+" and a "(0)" group; everything else allowed is decoration.
 * Whether the digits are international (after "+" or the international
 * prefix dialled from the default country) or national decides where the
 * calling code comes from; then the trunk prefix is dropped and lengths
 * and the few national rules known are checked.
 *
 * The checks err on the side of accepting what a person would write, as
 * long as the meaning is unambiguous: "+44 (0)20 ..." and even
 * "+44 020 ..." mean +4420 because UK numbers never start with 0.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "util/util.h"
#include "phone/phone.h"
#include "phone/phone_int.h"

/* digits kept while reading; anything longer is too long anyway */
enum { MAX_SCAN = 32 };

struct scan {
	char d[MAX_SCAN];
	size_t n;          /* digits seen, may exceed MAX_SCAN */
	bool plus;
	size_t paren0;     /* index in d of the 0 of "(0)", or SIZE_MAX */
};

/*
 * The built-in denied prefixes: ranges where a call costs the caller far
 * more than a call should, or pays the callee, which is what toll fraud
 * through a click-to-call form wants. Businesses can replace the list.
 */
static const char default_deny[] =
	/* NANP: 900 pay-per-call; 976 was the pay-per-call exchange in
	 * each area code (and area code 976 is kept out as well) */
	"+1900 +1976 +1XXX976 "
	/* UK: 09 premium rate, 087 revenue sharing, 070 personal
	 * numbers (charged like premium rate, a favourite of fraud) */
	"+449 +4487 +4470 "
	/* France: 081 and 082 shared and raised cost, 089 premium */
	"+3381 +3382 +3389 "
	/* Germany: 0900 premium rate, 0137 mass calling (televoting),
	 * 118xy directory enquiries at premium prices */
	"+49900 +49137 +49118 "
	/* Spain: 803, 806, 807 premium rate, 905 mass calling */
	"+34803 +34806 +34807 +34905 "
	/* Italy: 892 and 899 premium rate services */
	"+39892 +39899 "
	/* Netherlands 0900, 0906, 0909 and Switzerland 0900, 0901, 0906:
	 * premium rate */
	"+31900 +31906 +31909 +41900 +41901 +41906 "
	/* Austria: 0900 premium rate, 0930 and 0939 adult services */
	"+43900 +43930 +43939 "
	/* Australia: 190 premium rate */
	"+61190 "
	/* codes of no country: 808 international shared cost, 870
	 * Inmarsat, 881 mobile satellite systems, 882 and 883
	 * international networks, 979 international premium rate */
	"+808 +870 +881 +882 +883 +979";


static enum phone_err scan(struct scan *s, const char *in, size_t len)
{
	bool open = false, other = false;
	size_t i;

	memset(s, 0, sizeof(*s));
	s->paren0 = SIZE_MAX;

	for (i = 0; i < len; i++) {
		char c = in[i];

		if (c >= '0' && c <= '9') {
			if (s->n < MAX_SCAN)
				s->d[s->n] = c;
			++s->n;
			continue;
		}

		switch (c) {

		case ' ':
			continue;

		case '+':
			/* once, before any digit; "(+44) 20 ..." is common */
			if (s->plus || s->n)
				return PHONE_CHARS;
			s->plus = true;
			break;

		case '(':
			if (open)
				return PHONE_CHARS;
			open = true;
			break;

		case ')':
			if (!open)
				return PHONE_CHARS;
			open = false;
			if (i >= 2 && in[i - 1] == '0' && in[i - 2] == '(' &&
			    s->paren0 == SIZE_MAX)
				s->paren0 = s->n - 1;
			break;

		case '-':
		case '.':
		case '/':
			break;

		default:
			return PHONE_CHARS;
		}

		other = true;
	}

	if (open)
		return PHONE_CHARS;
	if (s->n == 0)
		return other ? PHONE_LENGTH : PHONE_EMPTY;
	if (s->n > MAX_SCAN)
		return PHONE_LENGTH;

	return PHONE_OK;
}


static size_t ndigits(unsigned v)
{
	size_t n = 1;

	while (v >= 10) {
		v /= 10;
		++n;
	}

	return n;
}


/* NPA-NXX-XXXX: both NPA and NXX start with 2-9; N11 are service codes */
static bool nanp_valid(const char *d)
{
	if (d[0] < '2' || d[3] < '2')
		return false;
	if (d[1] == '1' && d[2] == '1')
		return false;

	return true;
}


static enum phone_err national_valid(unsigned cc, const struct phone_rule *r,
				     const char *nsn)
{
	if (r->no0 && nsn[0] == '0')
		return PHONE_NATIONAL;

	switch (cc) {

	case 1:
		return nanp_valid(nsn) ? PHONE_OK : PHONE_NATIONAL;

	case 44:
		/* 04 and 06 are not in use */
		return (nsn[0] == '4' || nsn[0] == '6') ? PHONE_NATIONAL :
			PHONE_OK;

	default:
		return PHONE_OK;
	}
}


int phone_normalize(char *e164, size_t sz, const char *in, size_t len,
		    unsigned default_cc, enum phone_err *whyp)
{
	const struct phone_rule *rule;
	enum phone_err why;
	struct scan s;
	const char *nsn;
	size_t off = 0, cclen = 0, nlen, tl;
	unsigned cc;
	bool intl = false;

	if (!e164 || sz < PHONE_E164_SIZE) {
		why = PHONE_LENGTH;
		goto out;
	}

	why = scan(&s, in ? in : "", in ? len : 0);
	if (why)
		goto out;

	rule = phone_rule_find(default_cc);
	tl = strlen(rule->idd);

	if (s.plus) {
		intl = true;
	}
	else if (!phone_cc_known(default_cc)) {
		why = PHONE_COUNTRY;
		goto out;
	}
	else if (s.n > tl && !memcmp(s.d, rule->idd, tl)) {
		intl = true;
		off = tl;
	}

	if (intl) {
		cc = phone_cc_match(s.d + off, s.n - off, &cclen);
		if (!cc) {
			why = s.n - off > PHONE_MAX_DIGITS ? PHONE_LENGTH :
				PHONE_COUNTRY;
			goto out;
		}

		rule = phone_rule_find(cc);
		nsn = s.d + off + cclen;
		nlen = s.n - off - cclen;

		/* the trunk prefix written in brackets as "+44 (0)20", or
		 * bare by mistake where it cannot be part of the number */
		if (nlen && nsn[0] == '0' && !strcmp(rule->trunk, "0") &&
		    (s.paren0 == off + cclen || rule->no0)) {
			++nsn;
			--nlen;
		}
	}
	else {
		cc = default_cc;
		cclen = ndigits(cc);
		nsn = s.d;
		nlen = s.n;

		/* where the national length is fixed the trunk prefix may
		 * also start a number (NANP 1, Russian 8): drop it only
		 * when the length says it is there */
		tl = strlen(rule->trunk);
		if (tl && nlen > tl && !memcmp(nsn, rule->trunk, tl) &&
		    (!rule->nmax || rule->nmin != rule->nmax ||
		     nlen == rule->nmax + tl)) {
			nsn += tl;
			nlen -= tl;
		}
	}

	if (cclen + nlen > PHONE_MAX_DIGITS) {
		why = PHONE_LENGTH;
		goto out;
	}

	if (rule->nmax) {
		if (nlen < rule->nmin || nlen > rule->nmax)
			why = PHONE_LENGTH;
	}
	else if (cclen + nlen < 8) {
		why = PHONE_LENGTH;
	}
	if (why)
		goto out;

	why = national_valid(cc, rule, nsn);
	if (why)
		goto out;

	(void)snprintf(e164, sz, "+%u%.*s", cc, (int)nlen, nsn);

 out:
	if (why && e164 && sz)
		e164[0] = '\0';
	if (whyp)
		*whyp = why;

	return why ? EINVAL : 0;
}


/* digits of "+<1 to 15 digits>", 0 if e164 is not of that form */
static size_t e164_len(const char *e164)
{
	size_t n;

	if (!e164 || e164[0] != '+')
		return 0;

	n = strspn(e164 + 1, "0123456789");
	if (e164[1 + n] != '\0' || n > PHONE_MAX_DIGITS)
		return 0;

	return n;
}


unsigned phone_calling_code(const char *e164)
{
	size_t n = e164_len(e164);

	if (!n)
		return 0;

	return phone_cc_match(e164 + 1, n, NULL);
}


/*
 * The next token of a list separated by spaces, tabs or commas into
 * [*tp, *tp + *tlp), advancing *sp; false at the end.
 */
static bool list_next(const char **sp, const char **tp, size_t *tlp)
{
	const char *p = *sp;
	size_t n;

	p += strspn(p, " \t,");
	n = strcspn(p, " \t,");
	if (!n)
		return false;

	*tp = p;
	*tlp = n;
	*sp = p + n;

	return true;
}


/* a calling code token ("44", "+44") as a number, 0 if malformed */
static unsigned cc_token(const char *t, size_t tl)
{
	unsigned v = 0;
	size_t i;

	if (tl && t[0] == '+') {
		++t;
		--tl;
	}
	if (tl == 0 || tl > 3)
		return 0;

	for (i = 0; i < tl; i++) {
		if (t[i] < '0' || t[i] > '9')
			return 0;
		v = v * 10 + (unsigned)(t[i] - '0');
	}

	return v;
}


/* prefix token: '+' then 1 to 15 digits or X (any digit) */
static bool prefix_token_valid(const char *t, size_t tl)
{
	size_t i;

	if (tl < 2 || tl > 1 + PHONE_MAX_DIGITS || t[0] != '+')
		return false;

	for (i = 1; i < tl; i++) {
		if (!(t[i] >= '0' && t[i] <= '9') && t[i] != 'X' &&
		    t[i] != 'x')
			return false;
	}

	return true;
}


/*
 * Does e164 start with the prefix token? A token without its '+' still
 * matches (a denial is not dropped for a typo); other malformed tokens
 * never do.
 */
static bool prefix_match(const char *e164, const char *t, size_t tl)
{
	const char *d = e164 + 1;
	size_t i;

	if (tl && t[0] == '+') {
		++t;
		--tl;
	}
	if (!tl)
		return false;

	for (i = 0; i < tl; i++) {
		if (d[i] == '\0')
			return false;
		if (t[i] == 'X' || t[i] == 'x')
			continue;
		if (t[i] != d[i])
			return false;
	}

	return true;
}


enum phone_err phone_check(const char *e164, unsigned default_cc,
			   const char *allowed, const char *deny)
{
	const char *p, *t;
	unsigned cc;
	size_t tl;
	bool listed = false, any = false;

	cc = phone_calling_code(e164);
	if (!cc)
		return PHONE_NOT_ALLOWED;

	p = allowed;
	while (p && list_next(&p, &t, &tl)) {
		any = true;
		if (cc_token(t, tl) == cc) {
			listed = true;
			break;
		}
	}
	if (!any)
		listed = cc == default_cc;
	if (!listed)
		return PHONE_NOT_ALLOWED;

	p = deny ? deny : default_deny;
	while (list_next(&p, &t, &tl)) {
		if (prefix_match(e164, t, tl))
			return PHONE_DENIED;
	}

	return PHONE_OK;
}


int phone_policy_validate(const char *allowed, const char *deny)
{
	const char *p, *t;
	size_t tl;

	p = allowed;
	while (p && list_next(&p, &t, &tl)) {
		if (!phone_cc_known(cc_token(t, tl)))
			return EINVAL;
	}

	p = deny;
	while (p && list_next(&p, &t, &tl)) {
		if (!prefix_token_valid(t, tl))
			return EINVAL;
	}

	return 0;
}


const char *phone_default_deny(void)
{
	return default_deny;
}


const char *phone_mask(char *buf, size_t sz, const char *e164)
{
	char tmp[PHONE_E164_SIZE];
	size_t n, cclen = 0, i;

	if (!buf || !sz)
		return buf;

	n = e164_len(e164);
	if (!n) {
		str_bcpy(buf, "(invalid)", sz);
		return buf;
	}

	(void)phone_cc_match(e164 + 1, n, &cclen);

	tmp[0] = '+';
	for (i = 0; i < n; i++) {
		bool keep = i < cclen || (i >= n - 2 && n - cclen > 2);

		tmp[1 + i] = keep ? e164[1 + i] : '*';
	}
	tmp[1 + n] = '\0';

	str_bcpy(buf, tmp, sz);

	return buf;
}


const char *phone_err_code(enum phone_err e)
{
	switch (e) {

	case PHONE_OK:          return "ok";
	case PHONE_EMPTY:       return "phone_required";
	case PHONE_NOT_ALLOWED: return "phone_country_not_allowed";
	case PHONE_DENIED:      return "phone_denied";
	default:                return "invalid_phone";
	}
}


const char *phone_err_message(enum phone_err e)
{
	switch (e) {

	case PHONE_OK:
		return "The phone number is valid.";
	case PHONE_EMPTY:
		return "Please enter a phone number.";
	case PHONE_CHARS:
		return "A phone number may only hold digits, spaces, "
			"brackets, dashes, dots, slashes and a leading +.";
	case PHONE_LENGTH:
		return "The phone number has too few or too many digits.";
	case PHONE_COUNTRY:
		return "The country code of the phone number is unknown.";
	case PHONE_NATIONAL:
		return "This is not a valid phone number in its country.";
	case PHONE_NOT_ALLOWED:
		return "Calls to this country are not offered.";
	case PHONE_DENIED:
		return "Calls to this kind of number are not allowed.";
	default:
		return "The phone number is not valid.";
	}
}
