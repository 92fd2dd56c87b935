/*
 * Opening hours and closed dates (src/hours/): the input is the weekly
 * hours, a newline, then the closed dates, as a business's settings give
 * them. What parses must format back to text that parses to the same
 * text (hours.h promises the round trip), and answer the scheduler's
 * questions in UTC and in New York (DST) around its clock changes.
 */
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "tz/tz.h"
#include "hours/hours.h"
#include "fuzz.h"

enum {
	TEXT_MAX = 4096,
	SLOTS_MAX = 64,
};

static struct tz_registry *reg;
static struct tz_zone *ny;      /* NULL without tzdata: UTC only */

/* 2026-03-08 06:30Z (New York springs forward), 2026-11-01 05:30Z
 * (falls back), 2026-12-24 23:00Z, 2028-02-29 12:00Z */
static const int64_t instants[] = {1772951400000LL, 1793511000000LL,
	1798153200000LL, 1835438400000LL};


int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;

	if (!tz_registry_alloc(&reg, NULL))
		(void)tz_get(reg, "America/New_York", &ny);

	return 0;
}


static void roundtrip(const struct hours *h)
{
	char a[TEXT_MAX], b[TEXT_MAX], c[TEXT_MAX];
	struct hours *h2 = NULL;

	if (hours_format(h, a, sizeof(a)) ||
	    hours_format_closed(h, b, sizeof(b)))
		return;
	if (hours_parse(&h2, a, b, NULL, 0))
		abort();  /* our own text must read back */
	if (hours_format(h2, c, sizeof(c)) || strcmp(a, c))
		abort();
	if (hours_format_closed(h2, c, sizeof(c)) || strcmp(b, c))
		abort();
	mem_deref(h2);
}


static void ask(const struct hours *h, const struct tz_zone *z, int64_t t)
{
	int64_t next, slots[SLOTS_MAX];
	size_t n;

	(void)hours_is_open(h, z, t);
	if (!hours_next_open(h, z, t, &next) && next < t)
		abort();
	if (!hours_next_close(h, z, t, &next) && next < t)
		abort();
	(void)hours_slots(h, z, t, t + 3 * 86400000LL, 30, slots, SLOTS_MAX,
			  &n);
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hours *h = NULL;
	char err[200], *text, *closed;
	size_t i;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	closed = strchr(text, '\n');
	if (closed)
		*closed++ = '\0';

	if (!hours_parse(&h, text, closed, err, sizeof(err))) {
		roundtrip(h);
		for (i = 0; i < sizeof(instants) / sizeof(instants[0]); i++) {
			ask(h, NULL, instants[i]);
			if (ny)
				ask(h, ny, instants[i]);
		}
		mem_deref(h);
	}

	free(text);

	return 0;
}
