#include <re.h>
#include "phone/phone.h"
#include "phone/phone_int.h"
#include "test.h"


static const char *err_name(enum phone_err e)
{
	static const char *names[] = {
		"OK", "EMPTY", "CHARS", "LENGTH", "COUNTRY", "NATIONAL",
		"NOT_ALLOWED", "DENIED",
	};

	return (unsigned)e < sizeof(names) / sizeof(names[0]) ?
		names[e] : "?";
}


TEST(phone_normalize_valid)
{
	static const struct {
		const char *in;
		unsigned cc;
		const char *out;
	} v[] = {
		/* NANP national forms */
		{"(415) 555-0100", 1, "+14155550100"},
		{"1-415-555-0100", 1, "+14155550100"},
		{"1 (415) 555-0100", 1, "+14155550100"},
		{"415.555.0100", 1, "+14155550100"},
		{"4155550100", 1, "+14155550100"},
		{"  415 555 0100  ", 1, "+14155550100"},
		{"212/555/0199", 1, "+12125550199"},
		/* international forms, whatever the default */
		{"+1 415 555 0100", 44, "+14155550100"},
		{"+1 (415) 555-0100", 1, "+14155550100"},
		{"+14155550100", 0, "+14155550100"},
		{"+44 20 7946 0958", 1, "+442079460958"},
		{"+44 (0)20 7946 0958", 1, "+442079460958"},
		{"+44 020 7946 0958", 1, "+442079460958"},
		{"(+44) 20 7946 0958", 1, "+442079460958"},
		{"+33 (0)1 23 45 67 89", 1, "+33123456789"},
		{"+49 (0)171 1234567", 1, "+491711234567"},
		{"+31 (0)20 123 4567", 1, "+31201234567"},
		{"+31 20 123 4567", 1, "+31201234567"},
		{"+39 02 1234 5678", 1, "+390212345678"},
		{"+376 812 345", 1, "+376812345"},
		{"+852 2123 4567", 1, "+85221234567"},
		{"+800 1234 5678", 1, "+80012345678"},
		{"+49 1234 567890123", 1, "+491234567890123"},
		/* international prefixes of the default country */
		{"011 44 20 7946 0958", 1, "+442079460958"},
		{"0033 1 23 45 67 89", 44, "+33123456789"},
		{"00 1 415 555 0100", 49, "+14155550100"},
		{"810 44 20 7946 0958", 7, "+442079460958"},
		{"0011 44 20 7946 0958", 61, "+442079460958"},
		{"010 1 415 555 0100", 81, "+14155550100"},
		/* national forms and their trunk prefixes */
		{"020 7946 0958", 44, "+442079460958"},
		{"(020) 7946-0958", 44, "+442079460958"},
		{"20 7946 0958", 44, "+442079460958"},
		{"01 23 45 67 89", 33, "+33123456789"},
		{"06.12.34.56.78", 33, "+33612345678"},
		{"030 123456", 49, "+4930123456"},
		{"0171/1234567", 49, "+491711234567"},
		{"02 1234 5678", 39, "+390212345678"},
		{"06 1 234 5678", 36, "+3612345678"},
		{"8 (495) 123-45-67", 7, "+74951234567"},
		/* 10 digits starting with 8: an area code, not a trunk */
		{"(812) 123-45-67", 7, "+78121234567"},
		{"02 9876 5432", 61, "+61298765432"},
		{"03-1234-5678", 81, "+81312345678"},
		{"020 123 4567", 31, "+31201234567"},
		/* fictional numbers are numbers */
		{"+1 212 555 0100", 1, "+12125550100"},
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char e164[PHONE_E164_SIZE], again[PHONE_E164_SIZE];
		enum phone_err why = PHONE_DENIED;
		int err;

		err = phone_normalize(e164, sizeof(e164), v[i].in,
				      strlen(v[i].in), v[i].cc, &why);
		if (err || why != PHONE_OK || strcmp(e164, v[i].out)) {
			fprintf(stderr, "  '%s' (cc %u): err %d why %s "
				"'%s', expected '%s'\n", v[i].in, v[i].cc,
				err, err_name(why), e164, v[i].out);
			return EINVAL;
		}

		/* the result is a fixed point whatever the default */
		err = phone_normalize(again, sizeof(again), e164,
				      strlen(e164), 33, &why);
		if (err || strcmp(again, e164)) {
			fprintf(stderr, "  '%s' renormalised: err %d '%s'\n",
				e164, err, again);
			return EINVAL;
		}
	}

	return 0;
}


TEST(phone_normalize_invalid)
{
	static const struct {
		const char *in;
		unsigned cc;
		enum phone_err why;
	} v[] = {
		{"", 1, PHONE_EMPTY},
		{"    ", 1, PHONE_EMPTY},
		{"+", 1, PHONE_LENGTH},
		{"( ) -", 1, PHONE_LENGTH},
		/* characters */
		{"415-555-CALL", 1, PHONE_CHARS},
		{"+1 415 555 0100 ext 12", 1, PHONE_CHARS},
		{"+1 415 555 0100 x12", 1, PHONE_CHARS},
		{"++1 415 555 0100", 1, PHONE_CHARS},
		{"1+415 555 0100", 1, PHONE_CHARS},
		{"(415 555 0100", 1, PHONE_CHARS},
		{"415) 555 0100", 1, PHONE_CHARS},
		{"((415)) 555 0100", 1, PHONE_CHARS},
		{"415_555_0100", 1, PHONE_CHARS},
		{"415\t555\t0100", 1, PHONE_CHARS},
		{"415,555,0100", 1, PHONE_CHARS},
		{"\xef\xbc\x94\xef\xbc\x91\xef\xbc\x95", 1, PHONE_CHARS},
		/* lengths */
		{"+1234567890123456", 1, PHONE_LENGTH},
		{"+44 1234 5678 9012 3456 7890 1234 5678 9012", 1,
		 PHONE_LENGTH},
		{"555 0100", 1, PHONE_LENGTH},
		{"415 555 01000", 1, PHONE_LENGTH},
		{"1 415 555 01000", 1, PHONE_LENGTH},
		{"+1 415 555 010", 1, PHONE_LENGTH},
		{"+1 011 44 20 7946 0958", 1, PHONE_LENGTH},
		{"+44 20 7946 09", 1, PHONE_LENGTH},
		{"+44 20 7946 09581", 1, PHONE_LENGTH},
		{"+33 1 23 45 67 8", 1, PHONE_LENGTH},
		{"+33 1 23 45 67 899", 1, PHONE_LENGTH},
		{"+49 12345", 1, PHONE_LENGTH},
		{"+49 12345678901234", 1, PHONE_LENGTH},
		{"+31 20 123", 1, PHONE_LENGTH},
		{"+7 495 123 45 6", 1, PHONE_LENGTH},
		/* from NANP 00 is not the way abroad */
		{"0033 1 23 45 67 89", 1, PHONE_LENGTH},
		/* countries */
		{"+999 1234 5678", 1, PHONE_COUNTRY},
		{"+28 1234 5678", 1, PHONE_COUNTRY},
		{"+259 123 4567", 1, PHONE_COUNTRY},
		{"+0 415 555 0100", 1, PHONE_COUNTRY},
		{"+011 44 20 7946 0958", 1, PHONE_COUNTRY},
		{"020 7946 0958", 0, PHONE_COUNTRY},
		{"020 7946 0958", 999, PHONE_COUNTRY},
		{"0099 1234 5678", 44, PHONE_COUNTRY},
		/* national rules */
		{"+1 011 555 0100", 1, PHONE_NATIONAL},
		{"(115) 555-0100", 1, PHONE_NATIONAL},
		{"(015) 555-0100", 1, PHONE_NATIONAL},
		{"(211) 555-0100", 1, PHONE_NATIONAL},
		{"(411) 555-0100", 1, PHONE_NATIONAL},
		{"(911) 555-0100", 1, PHONE_NATIONAL},
		{"(415) 155-0100", 1, PHONE_NATIONAL},
		{"(415) 055-0100", 1, PHONE_NATIONAL},
		{"+44 40 7946 0958", 1, PHONE_NATIONAL},
		{"+44 60 7946 0958", 1, PHONE_NATIONAL},
		{"+44 00 7946 0958", 1, PHONE_NATIONAL},
		{"0 23 45 67 89", 33, PHONE_NATIONAL},
		{"+49 0 0171 1234567", 1, PHONE_NATIONAL},
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char e164[PHONE_E164_SIZE] = "junk";
		enum phone_err why = PHONE_OK;
		int err;

		err = phone_normalize(e164, sizeof(e164), v[i].in,
				      strlen(v[i].in), v[i].cc, &why);
		if (err != EINVAL || why != v[i].why || e164[0]) {
			fprintf(stderr, "  '%s' (cc %u): err %d why %s "
				"'%s', expected %s\n", v[i].in, v[i].cc,
				err, err_name(why), e164,
				err_name(v[i].why));
			return EINVAL;
		}
	}

	return 0;
}


TEST(phone_normalize_args)
{
	char e164[PHONE_E164_SIZE];
	enum phone_err why = PHONE_OK;

	/* only len bytes are read */
	TEST_EQ_INT(phone_normalize(e164, sizeof(e164), "+14155550100XYZ",
				    12, 1, &why), 0);
	TEST_EQ_STR(e164, "+14155550100");
	TEST_EQ_INT(why, PHONE_OK);

	/* a NUL inside is not a separator */
	TEST_EQ_INT(phone_normalize(e164, sizeof(e164), "415\0555 0100",
				    12, 1, &why), EINVAL);
	TEST_EQ_INT(why, PHONE_CHARS);

	TEST_EQ_INT(phone_normalize(e164, sizeof(e164), NULL, 0, 1, &why),
		    EINVAL);
	TEST_EQ_INT(why, PHONE_EMPTY);

	/* whyp may be NULL */
	TEST_EQ_INT(phone_normalize(e164, sizeof(e164), "x", 1, 1, NULL),
		    EINVAL);
	TEST_EQ_INT(phone_normalize(e164, sizeof(e164), "4155550100", 10, 1,
				    NULL), 0);
	TEST_EQ_STR(e164, "+14155550100");

	/* the buffer must hold the longest number */
	TEST_EQ_INT(phone_normalize(e164, PHONE_E164_SIZE - 1, "4155550100",
				    10, 1, &why), EINVAL);
	TEST_EQ_INT(why, PHONE_LENGTH);
	TEST_EQ_INT(phone_normalize(NULL, 17, "4155550100", 10, 1, &why),
		    EINVAL);

	return 0;
}


TEST(phone_calling_code)
{
	static const struct {
		const char *e164;
		unsigned cc;
	} v[] = {
		{"+14155550100", 1},
		{"+74951234567", 7},
		{"+442079460958", 44},
		{"+33123456789", 33},
		{"+491711234567", 49},
		{"+35312345678", 353},
		{"+4202123456789", 420},
		{"+80012345678", 800},
		{"+88161234567", 881},
		{"+9989012345678", 998},
		{"+2112345678", 211},
		{"+9991234567", 0},
		{"+3881234567", 0},
		{"+3841234567", 0},
		{"+4221234567", 0},
		{"+6711234567", 0},
		{"+6841234567", 0},
		{"+8781234567", 0},
		{"+9691234567", 0},
		{"+9971234567", 0},
		{"+0123456789", 0},
		{"14155550100", 0},
		{"+1415555abcd", 0},
		{"+1 4155550100", 0},
		{"+1234567890123456", 0},
		{"+", 0},
		{"", 0},
		{NULL, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		unsigned cc = phone_calling_code(v[i].e164);

		if (cc != v[i].cc) {
			fprintf(stderr, "  '%s': %u, expected %u\n",
				v[i].e164 ? v[i].e164 : "(null)", cc,
				v[i].cc);
			return EINVAL;
		}
	}

	return 0;
}


TEST(phone_check_policy)
{
	static const struct {
		const char *e164;
		unsigned cc;
		const char *allowed;
		const char *deny;
		enum phone_err want;
	} v[] = {
		{"+14155550100", 1, NULL, NULL, PHONE_OK},
		/* allowed countries */
		{"+442079460958", 1, NULL, NULL, PHONE_NOT_ALLOWED},
		{"+442079460958", 1, "", NULL, PHONE_NOT_ALLOWED},
		{"+442079460958", 44, " \t", NULL, PHONE_OK},
		{"+442079460958", 1, "1", NULL, PHONE_NOT_ALLOWED},
		{"+442079460958", 1, "1 44", NULL, PHONE_OK},
		{"+442079460958", 1, "1,44", NULL, PHONE_OK},
		{"+442079460958", 1, "+1 +44", NULL, PHONE_OK},
		{"+442079460958", 1, "4", NULL, PHONE_NOT_ALLOWED},
		{"+442079460958", 1, "444 1", NULL, PHONE_NOT_ALLOWED},
		{"+442079460958", 1, "x44", NULL, PHONE_NOT_ALLOWED},
		{"+14155550100", 44, "44", NULL, PHONE_NOT_ALLOWED},
		{"+9991234567", 999, "999", NULL, PHONE_NOT_ALLOWED},
		{"+1 415 555 0100", 1, NULL, NULL, PHONE_NOT_ALLOWED},
		{"bogus", 1, NULL, NULL, PHONE_NOT_ALLOWED},
		{NULL, 1, NULL, NULL, PHONE_NOT_ALLOWED},
		/* the default denials */
		{"+19005550100", 1, NULL, NULL, PHONE_DENIED},
		{"+19765550100", 1, NULL, NULL, PHONE_DENIED},
		{"+12129765555", 1, NULL, NULL, PHONE_DENIED},
		{"+12125550976", 1, NULL, NULL, PHONE_OK},
		{"+18005550100", 1, NULL, NULL, PHONE_OK},
		{"+449098765432", 44, NULL, NULL, PHONE_DENIED},
		{"+448712345678", 44, NULL, NULL, PHONE_DENIED},
		{"+447012345678", 44, NULL, NULL, PHONE_DENIED},
		{"+447712345678", 44, NULL, NULL, PHONE_OK},
		{"+442079460958", 44, NULL, NULL, PHONE_OK},
		{"+33891234567", 33, NULL, NULL, PHONE_DENIED},
		{"+33612345678", 33, NULL, NULL, PHONE_OK},
		{"+499001234567", 49, NULL, NULL, PHONE_DENIED},
		{"+491371234567", 49, NULL, NULL, PHONE_DENIED},
		{"+4930123456", 49, NULL, NULL, PHONE_OK},
		{"+870123456789", 1, "870", NULL, PHONE_DENIED},
		{"+88161234567", 1, "881", NULL, PHONE_DENIED},
		{"+88212345678", 1, "882", NULL, PHONE_DENIED},
		{"+88312345678", 1, "883", NULL, PHONE_DENIED},
		{"+97912345678", 1, "979", NULL, PHONE_DENIED},
		{"+80812345678", 1, "808", NULL, PHONE_DENIED},
		{"+80012345678", 1, "800", NULL, PHONE_OK},
		/* not allowed wins over denied */
		{"+449098765432", 1, NULL, NULL, PHONE_NOT_ALLOWED},
		/* a business's own list replaces the default */
		{"+19005550100", 1, NULL, "", PHONE_OK},
		{"+19005550100", 1, NULL, "+1976", PHONE_OK},
		{"+14155550100", 1, NULL, "+1415", PHONE_DENIED},
		{"+14155550100", 1, NULL, "+1416 +1415555", PHONE_DENIED},
		{"+14155550100", 1, NULL, "+1XXX555", PHONE_DENIED},
		{"+14155550100", 1, NULL, "+1XXX556", PHONE_OK},
		{"+14155550100", 1, NULL, "1415", PHONE_DENIED},
		{"+14155550100", 1, NULL, "+ + ,", PHONE_OK},
		{"+14155550100", 1, NULL, "+141555501009", PHONE_OK},
		{"+14155550100", 1, NULL, "+14155550100", PHONE_DENIED},
		{"+14155550100", 1, NULL, "+141a", PHONE_OK},
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		enum phone_err e = phone_check(v[i].e164, v[i].cc,
					       v[i].allowed, v[i].deny);

		if (e != v[i].want) {
			fprintf(stderr, "  '%s' allowed '%s' deny '%s': %s, "
				"expected %s\n",
				v[i].e164 ? v[i].e164 : "(null)",
				v[i].allowed ? v[i].allowed : "(null)",
				v[i].deny ? v[i].deny : "(null)",
				err_name(e), err_name(v[i].want));
			return EINVAL;
		}
	}

	return 0;
}


/* every prefix of the built-in list is well formed and takes effect */
TEST(phone_default_deny_list)
{
	const char *p = phone_default_deny();
	size_t count = 0;

	TEST_EQ_INT(phone_policy_validate(NULL, p), 0);

	while (*p) {
		char e164[PHONE_E164_SIZE], cc[8];
		size_t n = strcspn(p, " "), i;

		TEST_ASSERT(n >= 4 && n < 12);

		/* the prefix, X as 5, then 2s to twelve digits */
		for (i = 0; i < 13; i++) {
			char c = i < n ? p[i] : '2';

			e164[i] = c == 'X' ? '5' : c;
		}
		e164[13] = '\0';

		TEST_ASSERT(phone_calling_code(e164) != 0);
		snprintf(cc, sizeof(cc), "%u", phone_calling_code(e164));
		if (phone_check(e164, 0, cc, NULL) != PHONE_DENIED) {
			fprintf(stderr, "  %s not denied\n", e164);
			return EINVAL;
		}
		TEST_EQ_INT(phone_check(e164, 0, cc, ""), PHONE_OK);

		++count;
		p += n;
		p += strspn(p, " ");
	}

	TEST_ASSERT(count >= 20);

	return 0;
}


TEST(phone_policy_validate)
{
	static const struct {
		const char *allowed;
		const char *deny;
		int err;
	} v[] = {
		{NULL, NULL, 0},
		{"", "", 0},
		{"1 44", NULL, 0},
		{"1,44, 353", "+1900 +1XXX976", 0},
		{"+44", NULL, 0},
		{"1 999", NULL, EINVAL},
		{"abc", NULL, EINVAL},
		{"1234", NULL, EINVAL},
		{"0", NULL, EINVAL},
		{NULL, "1900", EINVAL},
		{NULL, "+19a0", EINVAL},
		{NULL, "+", EINVAL},
		{NULL, "+1234567890123456", EINVAL},
		{NULL, "+123456789012345", 0},
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int err = phone_policy_validate(v[i].allowed, v[i].deny);

		if (err != v[i].err) {
			fprintf(stderr, "  '%s' '%s': %d, expected %d\n",
				v[i].allowed ? v[i].allowed : "(null)",
				v[i].deny ? v[i].deny : "(null)", err,
				v[i].err);
			return EINVAL;
		}
	}

	return 0;
}


TEST(phone_mask)
{
	static const struct {
		const char *e164;
		size_t sz;
		const char *out;
	} v[] = {
		{"+14155550100", 17, "+1********00"},
		{"+442079460958", 17, "+44********58"},
		{"+35312345678", 17, "+353******78"},
		{"+491234567890123", 17, "+49***********23"},
		{"+9991234567", 17, "+********67"},
		{"+37612", 17, "+376**"},
		{"+14155550100", 5, "+1**"},
		{"+1415 5550100", 17, "(invalid)"},
		{"14155550100", 17, "(invalid)"},
		{NULL, 17, "(invalid)"},
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char buf[PHONE_E164_SIZE] = "";

		TEST_ASSERT(phone_mask(buf, v[i].sz, v[i].e164) == buf);
		if (strcmp(buf, v[i].out)) {
			fprintf(stderr, "  '%s': '%s', expected '%s'\n",
				v[i].e164 ? v[i].e164 : "(null)", buf,
				v[i].out);
			return EINVAL;
		}
	}

	return 0;
}


TEST(phone_err_strings)
{
	static const struct {
		enum phone_err e;
		const char *code;
	} v[] = {
		{PHONE_OK, "ok"},
		{PHONE_EMPTY, "phone_required"},
		{PHONE_CHARS, "invalid_phone"},
		{PHONE_LENGTH, "invalid_phone"},
		{PHONE_COUNTRY, "invalid_phone"},
		{PHONE_NATIONAL, "invalid_phone"},
		{PHONE_NOT_ALLOWED, "phone_country_not_allowed"},
		{PHONE_DENIED, "phone_denied"},
	};
	size_t i, j;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const char *m = phone_err_message(v[i].e);

		TEST_EQ_STR(phone_err_code(v[i].e), v[i].code);
		TEST_ASSERT(strlen(m) > 10 && m[strlen(m) - 1] == '.');

		/* each reason reads differently */
		for (j = 0; j < i; j++)
			TEST_ASSERT(strcmp(m, phone_err_message(v[j].e)));
	}

	TEST_EQ_STR(phone_err_code((enum phone_err)99), "invalid_phone");

	return 0;
}


/* the table: how many codes, and every one found by the binary search */
TEST(phone_cc_table)
{
	static const unsigned some[] = {
		1, 7, 20, 27, 30, 36, 39, 49, 58, 66, 98, 211, 299, 350, 389,
		420, 423, 500, 599, 670, 692, 800, 888, 960, 979, 992, 998,
	};
	unsigned cc, count = 0;
	size_t i, cclen;
	char d[4];

	for (cc = 0; cc < 1000; cc++) {
		if (!phone_cc_known(cc))
			continue;

		++count;

		/* no code is the start of another */
		snprintf(d, sizeof(d), "%u", cc);
		TEST_EQ_INT(phone_cc_match(d, strlen(d), &cclen), cc);
		TEST_EQ_INT(cclen, strlen(d));
	}
	TEST_EQ_INT(count, 215);

	for (i = 0; i < sizeof(some) / sizeof(some[0]); i++)
		TEST_ASSERT(phone_cc_known(some[i]));

	TEST_ASSERT(!phone_cc_known(0));
	TEST_ASSERT(!phone_cc_known(1000));
	TEST_ASSERT(!phone_cc_known(35));

	return 0;
}
