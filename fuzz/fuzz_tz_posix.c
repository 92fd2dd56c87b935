/*
 * POSIX TZ strings (src/tz/posix.c), the rule a TZif file's footer gives
 * for the times after its last transition: the input's first 8 bytes are
 * an instant, the rest the string. A string that parses is evaluated
 * around the instant (the type in effect, the next transitions).
 */
#include <stdbool.h>
#include <stdlib.h>
#include "tz/tz_int.h"
#include "fuzz_tz.h"
#include "fuzz.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tz_posix p;
	int64_t t, next;
	int i;

	t = fuzz_instant(&data, &size);
	if (tz_posix_parse(&p, (const char *)data, size))
		return 0;

	for (i = 0; i < 4; i++) {
		const struct tz_type *type = tz_posix_type(&p, t);

		if (!type || type->utoff < -TZ_OFF_MAX ||
		    type->utoff > TZ_OFF_MAX)
			abort();
		if (!tz_posix_next(&p, t, &next))
			break;
		if (next <= t)
			abort();  /* the next transition is after t */
		t = next;
	}

	return 0;
}
