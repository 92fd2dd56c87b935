/*
 * The ITU-T E.164 country calling codes in service, and the numbering
 * rules of the few countries where a simple rule is known to hold.
 *
 * Calling codes form a prefix code (no code is the start of another), so
 * the first of the 1, 2 and 3 digit prefixes found is the only match.
 * Reserved, spare and withdrawn codes (e.g. 259, 388, 671, 684, 878, 991,
 * 999) are left out: a number under them cannot be reached.
 */
#include <stdlib.h>
#include "phone/phone_int.h"

static const unsigned short cc_tab[] = {
	1, 7,
	20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48,
	49, 51, 52, 53, 54, 55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81,
	82, 84, 86, 90, 91, 92, 93, 94, 95, 98,
	/* Africa and the North Atlantic */
	211, 212, 213, 216, 218,
	220, 221, 222, 223, 224, 225, 226, 227, 228, 229,
	230, 231, 232, 233, 234, 235, 236, 237, 238, 239,
	240, 241, 242, 243, 244, 245, 246, 247, 248, 249,
	250, 251, 252, 253, 254, 255, 256, 257, 258,
	260, 261, 262, 263, 264, 265, 266, 267, 268, 269,
	290, 291, 297, 298, 299,
	/* Europe */
	350, 351, 352, 353, 354, 355, 356, 357, 358, 359,
	370, 371, 372, 373, 374, 375, 376, 377, 378, 379,
	380, 381, 382, 383, 385, 386, 387, 389,
	420, 421, 423,
	/* the Americas */
	500, 501, 502, 503, 504, 505, 506, 507, 508, 509,
	590, 591, 592, 593, 594, 595, 596, 597, 598, 599,
	/* Oceania */
	670, 672, 673, 674, 675, 676, 677, 678, 679,
	680, 681, 682, 683, 685, 686, 687, 688, 689,
	690, 691, 692,
	/* global services (800 freephone, 808 shared cost, 870 Inmarsat,
	 * 881 satellite, 882/883 international networks, 888 disaster
	 * relief) and East Asia */
	800, 808, 850, 852, 853, 855, 856, 870, 880, 881, 882, 883, 886,
	888,
	/* Middle East and Central Asia (979: international premium rate) */
	960, 961, 962, 963, 964, 965, 966, 967, 968,
	970, 971, 972, 973, 974, 975, 976, 977, 979,
	992, 993, 994, 995, 996, 998,
};

/*
 * Countries with rules beyond the generic ones (8 to 15 digits in all,
 * trunk prefix "0", international prefix "00"). Sorted by calling code.
 * Italy and its enclaves keep the leading 0 of fixed lines in
 * international form, so they have no trunk prefix to drop.
 */
static const struct phone_rule rules[] = {
	/* NANP: NPA-NXX-XXXX, "1" before it when dialled nationally */
	{1,    10, 10, "1",  "011",  false},
	/* Russia and Kazakhstan: 8 as trunk, 8~10 to go abroad */
	{7,    10, 10, "8",  "810",  false},
	{33,    9,  9, "0",  "00",   true},
	{36,    0,  0, "06", "00",   false},
	{39,    0,  0, "",   "00",   false},
	/* the UK has a few 9 digit national numbers left */
	{44,    9, 10, "0",  "00",   true},
	{49,    6, 13, "0",  "00",   true},
	{61,    0,  0, "0",  "0011", true},
	{81,    0,  0, "0",  "010",  true},
	{378,   0,  0, "",   "00",   false},
	{379,   0,  0, "",   "00",   false},
};

static const struct phone_rule generic = {0, 0, 0, "0", "00", false};


static int cmp_cc(const void *a, const void *b)
{
	const unsigned short *x = a, *y = b;

	return (int)*x - (int)*y;
}


bool phone_cc_known(unsigned cc)
{
	unsigned short key;

	if (cc == 0 || cc > 999)
		return false;

	key = (unsigned short)cc;

	return bsearch(&key, cc_tab, sizeof(cc_tab) / sizeof(cc_tab[0]),
		       sizeof(cc_tab[0]), cmp_cc) != NULL;
}


/*
 * The calling code at the start of the n digits at d, with its length in
 * *cclenp; 0 if none is known.
 */
unsigned phone_cc_match(const char *d, size_t n, size_t *cclenp)
{
	unsigned cc = 0;
	size_t i;

	/* no code starts with 0: "01" is not code 1 */
	if (n == 0 || d[0] == '0')
		return 0;

	for (i = 0; i < n && i < 3; i++) {
		if (d[i] < '0' || d[i] > '9')
			break;

		cc = cc * 10 + (unsigned)(d[i] - '0');
		if (phone_cc_known(cc)) {
			if (cclenp)
				*cclenp = i + 1;
			return cc;
		}
	}

	return 0;
}


/* The rule for a known calling code: its own or the generic one. */
const struct phone_rule *phone_rule_find(unsigned cc)
{
	size_t i;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		if (rules[i].cc == cc)
			return &rules[i];
	}

	return &generic;
}
