/*
 * The API's validators, rule by rule: origin patterns, URLs, ids,
 * Idempotency-Keys, "when", and that ids carry 128 random bits.
 */
#include <re.h>
#include "util/util.h"
#include "api/api_int.h"
#include "test.h"


TEST(api_origin_patterns)
{
	static const struct {
		const char *pat;
		const char *origin;
		bool match;
	} v[] = {
		{"http://127.0.0.1:*", "http://127.0.0.1:8000", true},
		{"http://127.0.0.1:*", "http://127.0.0.1", true},
		{"http://127.0.0.1:*", "https://127.0.0.1:8000", false},
		{"http://127.0.0.1:*", "http://127.0.0.1.evil.example:80",
		 false},
		{"http://127.0.0.1:*", "http://127.0.0.1:80x", false},
		{"http://127.0.0.1:*", "http://127.0.0.1:", false},
		{"http://localhost:*", "http://LOCALHOST:3000", true},
		{"https://shop.example", "https://shop.example", true},
		{"https://shop.example", "https://shop.example:443", false},
		{"https://shop.example", "https://shop.example.evil", false},
		{"https://shop.example", "https://evilshop.example", false},
		{"https://*.shop.example", "https://www.shop.example", true},
		{"https://*.shop.example", "https://a.b.shop.example", true},
		{"https://*.shop.example", "https://shop.example", false},
		{"https://*.shop.example", "https://evilshop.example", false},
		{"https://*.shop.example", "https://x.evilshop.example",
		 false},
		{"https://shop.example:8443", "https://shop.example:8443",
		 true},
		{"https://shop.example:8443", "https://shop.example:8444",
		 false},
		{"https://shop.example", "null", false},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		if (api_origin_match(v[i].pat, v[i].origin) != v[i].match) {
			fprintf(stderr, "  %s vs %s: expected %d\n", v[i].pat,
				v[i].origin, v[i].match);
			return EINVAL;
		}
	}

	TEST_ASSERT(api_origin_in_list("https://a.example "
				       "http://localhost:*",
				       "http://localhost:9"));
	TEST_ASSERT(!api_origin_in_list("", "http://localhost:9"));
	TEST_ASSERT(!api_origin_in_list(NULL, "http://localhost:9"));

	return 0;
}


TEST(api_urls)
{
	char big[API_MAX_URL + 20];

	TEST_EQ_INT(api_check_url("https://shop.example/p?q=1#x", 28), 0);
	TEST_EQ_INT(api_check_url("http://a", 8), 0);
	TEST_EQ_INT(api_check_url("javascript:alert(1)", 19), EINVAL);
	TEST_EQ_INT(api_check_url("data:text/html,x", 16), EINVAL);
	TEST_EQ_INT(api_check_url("https://", 8), EINVAL);
	TEST_EQ_INT(api_check_url("https:///path", 13), EINVAL);
	TEST_EQ_INT(api_check_url("https://a b", 11), EINVAL);
	TEST_EQ_INT(api_check_url("https://a\nb", 11), EINVAL);
	TEST_EQ_INT(api_check_url("https://\xc3\x28", 10), EINVAL);
	TEST_EQ_INT(api_check_url("https://caf\xc3\xa9.example", 21), 0);

	memset(big, 'a', sizeof(big));
	memcpy(big, "https://", 8);
	TEST_EQ_INT(api_check_url(big, API_MAX_URL), 0);
	TEST_EQ_INT(api_check_url(big, API_MAX_URL + 1), EMSGSIZE);

	return 0;
}


TEST(api_ids_and_keys)
{
	char a[40], b[40];
	int i;

	const int64_t now = 0x19a0b1c2d3eLL;

	TEST_EQ_INT(api_new_id(a, sizeof(a), now), 0);
	TEST_EQ_INT(api_new_id(b, sizeof(b), now), 0);
	TEST_EQ_INT(strlen(a), API_ID_LEN);
	TEST_ASSERT(api_id_valid(a, strlen(a)));
	TEST_ASSERT(!strncmp(a, "cb_019a0b1c2d3e", 15));
	TEST_ASSERT(strcmp(a, b));
	TEST_EQ_INT(api_new_id(a, 20, now), EINVAL);

	/* the same millisecond still gives distinct ids: 128 random bits */
	for (i = 0; i < 1000; i++) {
		TEST_EQ_INT(api_new_id(b, sizeof(b), now), 0);
		TEST_ASSERT(strcmp(a, b));
	}

	/* later ids sort after earlier ones */
	TEST_EQ_INT(api_new_id(b, sizeof(b), now + 1), 0);
	TEST_ASSERT(strncmp(a, b, 15) < 0);

	TEST_ASSERT(!api_id_valid("cb_short", 8));
	TEST_ASSERT(!api_id_valid("xx_019a0b1c2d3eaaaaaaaaaaaaaaaaaaaaaa", 37));
	TEST_ASSERT(!api_id_valid("cb_019a0b1c2d3Eaaaaaaaaaaaaaaaaaaaaaa", 37));
	TEST_ASSERT(!api_id_valid("cb_019a0b1c2d3eaaaaaaaaaaaaaaaaaaaa/a", 37));
	TEST_ASSERT(!api_id_valid("cb_019a0b1c2d3eaaaaaaaaaaaaaaaaaaaa.a", 37));

	TEST_ASSERT(api_idem_key_valid("a", 1));
	TEST_ASSERT(!api_idem_key_valid("", 0));
	TEST_ASSERT(!api_idem_key_valid("a b", 3));
	TEST_ASSERT(!api_idem_key_valid("\xc3\xa9", 2));

	TEST_ASSERT(api_key_in_list("sales support agent:alice", "sales",
				    5));
	TEST_ASSERT(api_key_in_list("sales support agent:alice",
				    "agent:alice", 11));
	TEST_ASSERT(!api_key_in_list("sales support", "sale", 4));
	TEST_ASSERT(!api_key_in_list("sales support", "sales support",
				     13));
	TEST_ASSERT(!api_key_in_list(NULL, "x", 1));

	return 0;
}


TEST(api_when)
{
	const int64_t now = 1795000000000LL;   /* 2026-11-18 */
	const int64_t day = 86400000;
	const char *why = NULL;
	char s[40];
	int64_t t = -1;

	TEST_EQ_INT(api_parse_when(&t, "asap", 4, now, 30 * day, &why), 0);
	TEST_EQ_INT(t, 0);
	TEST_EQ_INT(api_parse_when(&t, "", 0, now, 30 * day, &why), 0);
	TEST_EQ_INT(t, 0);

	time_fmt_rfc3339(s, sizeof(s), now + 2 * day);
	TEST_EQ_INT(api_parse_when(&t, s, strlen(s), now, 30 * day, &why),
		    0);
	TEST_EQ_INT(t, now + 2 * day);

	/* a little clock skew is "now", more is the past */
	time_fmt_rfc3339(s, sizeof(s), now - 30000);
	TEST_EQ_INT(api_parse_when(&t, s, strlen(s), now, 30 * day, &why),
		    0);
	TEST_EQ_INT(t, 0);
	time_fmt_rfc3339(s, sizeof(s), now - 120000);
	TEST_EQ_INT(api_parse_when(&t, s, strlen(s), now, 30 * day, &why),
		    ERANGE);

	time_fmt_rfc3339(s, sizeof(s), now + 31 * day);
	TEST_EQ_INT(api_parse_when(&t, s, strlen(s), now, 30 * day, &why),
		    ERANGE);

	TEST_EQ_INT(api_parse_when(&t, "2026-12-01T15:30:00", 19, now,
				   30 * day, &why), EINVAL);
	TEST_EQ_INT(api_parse_when(&t, "tomorrow", 8, now, 30 * day, &why),
		    EINVAL);
	TEST_ASSERT(why != NULL);

	/* an offset is honoured: 15:30-05:00 is 20:30Z */
	TEST_EQ_INT(api_parse_when(&t, "2026-12-01T15:30:00-05:00", 25,
				   now, 30 * day, &why), 0);
	time_fmt_rfc3339(s, sizeof(s), t);
	TEST_EQ_STR(s, "2026-12-01T20:30:00.000Z");

	return 0;
}


/* The wrap-up's amount, as people write it. */
TEST(api_amounts)
{
	static const struct {
		const char *s;
		int64_t cents;        /* -1: refused */
	} v[] = {
		{"1499", 149900}, {"1499.00", 149900}, {"1,499.00", 149900},
		{"1,499", 149900}, {"1.499", 149900}, {"1.499,00", 149900},
		{"1 499,00", 149900}, {"1\xc2\xa0" "499,5", 149950},
		{"1\xe2\x80\xaf" "499,05", 149905}, {"1'499.90", 149990},
		{"49.9", 4990}, {"0,99", 99}, {" 12 ", 1200},
		{"1,234,567.89", 123456789}, {"1.234.567,89", 123456789},
		{"999999999999.99", 99999999999999},
		{"", -1}, {"abc", -1}, {"1,49,900.00", -1}, {"1.499.00", -1},
		{"1,499,00", -1}, {"14,99.00", -1}, {"1499.999", -1},
		{".50", -1}, {"5.", -1}, {"1,,499", -1}, {"-5", -1},
		{"1 49", -1}, {"1000000000000", -1}, {"$5", -1},
		{"1,499.00 ", 149900}, {"1.499 ,00", -1}, {"1499,.00", -1},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		int64_t c = -1;
		bool ok = api_parse_amount(v[i].s, &c);

		if (ok != (v[i].cents >= 0) || (ok && c != v[i].cents)) {
			fprintf(stderr, "  '%s': %s %lld\n", v[i].s,
				ok ? "read" : "refused", (long long)c);
			return 1;
		}
	}

	return 0;
}
