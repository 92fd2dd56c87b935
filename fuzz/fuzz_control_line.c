/*
 * The call-control protocol's lines (src/dialer/line.c), as both ends
 * read them: the input is what arrived on one link (commands from a
 * controller, or events from a dialer), cut into lines and each decoded
 * as one JSON object; the fields both ends look at are read, an error's
 * code through the name table the server parses it with.
 */
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "dialer/dialer.h"
#include "fuzz.h"


static void fields(const struct odict *od)
{
	static const char *keys[] = {"cmd", "event", "id", "leg", "reason",
		"customer", "agent", "secret", "hmac", "nonce", "code"};
	enum dialer_err code;
	uint64_t n;
	bool b;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *s = odict_string(od, keys[i]);

		if (s)
			(void)strlen(s);
	}
	/* an error's code as the server reads it: a known code is its
	 * own name, anything else UNKNOWN */
	code = dialer_err_parse(odict_string(od, "code"));
	if (code != DIALER_E_UNKNOWN &&
	    strcmp(dialer_err_name(code), odict_string(od, "code")))
		abort();
	(void)odict_get_number(od, &n, "max_hold");
	(void)odict_get_number(od, &n, "epoch");
	(void)odict_get_boolean(od, &b, "record");
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	for (;;) {
		struct odict *od = NULL;
		struct pl line;
		size_t used;

		if (dialer_line_next(data + off, size - off, &line, &used))
			break;
		if (used > size - off || line.l > used)
			abort();
		off += used;

		if (line.l && !dialer_line_decode(&od, &line))
			fields(od);
		mem_deref(od);
	}

	return 0;
}
