/*
 * TZif zone files (src/tz/tzif.c, RFC 8536), versions 1 to 4 with their
 * POSIX footers: the input's first 8 bytes are an instant, the rest the
 * file. A file that parses answers the conversions tz.h offers at that
 * instant and at each of its transitions, both ways.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <re.h>
#include "tz/tz.h"
#include "tz/tz_int.h"
#include "fuzz_tz.h"
#include "fuzz.h"


static void convert(const struct tz_zone *z, int64_t t)
{
	struct tz_local lt;
	int64_t back;
	bool dst;

	(void)tz_utc_offset(z, t * 1000, &dst);
	if (tz_to_local(z, t * 1000, &lt))
		return;
	if (lt.offset < -TZ_OFF_MAX || lt.offset > TZ_OFF_MAX)
		abort();
	(void)tz_from_local(z, lt.year, lt.month, lt.day, lt.hour, lt.min,
			    lt.sec, &back);
	(void)tz_from_local(z, lt.year, lt.month, lt.day, 24, 0, 0, &back);
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tz_zone *z = NULL;
	int64_t t;
	uint32_t i;

	t = fuzz_instant(&data, &size);
	if (tz_zone_parse(&z, "Fuzz/Zone", data, size))
		return 0;

	convert(z, t);
	for (i = 0; i < z->ntrans && i < 64; i++) {
		if (z->trans[i] < FUZZ_T_MIN || z->trans[i] > FUZZ_T_MAX)
			continue;
		convert(z, z->trans[i] - 1);
		convert(z, z->trans[i]);
	}

	mem_deref(z);

	return 0;
}
