/*
 * What the phone subsystem's files share: the calling code table and the
 * few countries whose numbering beckon knows more about.
 */
#ifndef BECKON_PHONE_INT_H
#define BECKON_PHONE_INT_H

#include <stdbool.h>
#include <stddef.h>

/* E.164 allows at most 15 digits, calling code included */
enum { PHONE_MAX_DIGITS = 15 };

struct phone_rule {
	unsigned cc;
	unsigned nmin, nmax;  /* digits after the calling code; 0: generic */
	const char *trunk;    /* national trunk prefix, "" if none */
	const char *idd;      /* international prefix dialled from there */
	bool no0;             /* national numbers never start with 0 */
};

bool phone_cc_known(unsigned cc);
unsigned phone_cc_match(const char *d, size_t n, size_t *cclenp);
const struct phone_rule *phone_rule_find(unsigned cc);

#endif
