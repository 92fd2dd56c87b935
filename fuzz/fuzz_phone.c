/*
 * Phone normalisation (src/phone/): the input's first byte picks the
 * country it is read in, the rest is the number as a visitor typed it.
 * A number that normalises must be E.164 ("+" and at most 15 digits) and
 * go through the policy check and the log mask; the same bytes are also
 * read as the configuration's allowed and denied lists.
 */
#include <stdlib.h>
#include <string.h>
#include "phone/phone.h"
#include "fuzz.h"


static void e164_check(const char *e164)
{
	size_t i, n = strlen(e164);

	if (n < 2 || n > 16 || e164[0] != '+')
		abort();
	for (i = 1; i < n; i++) {
		if (e164[i] < '0' || e164[i] > '9')
			abort();
	}
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned ccs[] = {1, 44, 33, 49, 91, 61, 7, 86, 353,
		0, 999};
	char e164[PHONE_E164_SIZE], mask[PHONE_E164_SIZE];
	enum phone_err why;
	unsigned cc;
	char *s;

	if (!size)
		return 0;
	cc = ccs[data[0] % (sizeof(ccs) / sizeof(ccs[0]))];

	if (!phone_normalize(e164, sizeof(e164), (const char *)data + 1,
			     size - 1, cc, &why)) {
		e164_check(e164);
		(void)phone_calling_code(e164);
		(void)phone_check(e164, cc, NULL, NULL);
		(void)phone_check(e164, cc, "1 44", "+1900 +44XX");
		(void)phone_mask(mask, sizeof(mask), e164);
	}
	else {
		(void)phone_err_code(why);
		(void)phone_err_message(why);
	}

	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	(void)phone_policy_validate(s, NULL);
	(void)phone_policy_validate(NULL, s);
	if (!phone_normalize(e164, sizeof(e164), "+14155550100", 12, 1,
			     NULL))
		(void)phone_check(e164, 1, s, s);
	free(s);

	return 0;
}
