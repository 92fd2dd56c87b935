/*
 * JSON request bodies (src/form/json.c): the input is a body, parsed as
 * the API parses it (FORM_JSON) and as the admin API does (numbers and
 * booleans kept as text, FORM_JSON_SCALARS); every field is read back
 * and the error, when there is one, must name a code.
 */
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "form/form.h"
#include "fuzz.h"


static void parse(enum form_kind kind, const uint8_t *data, size_t size)
{
	struct form_error fe;
	struct form *f = NULL;
	size_t i, len;

	if (form_parse(&f, kind, (const char *)data, size, &fe)) {
		if (!fe.code)
			abort();  /* every failure names its error */
		return;
	}

	for (i = 0; i < f->n; i++) {
		const char *v = form_get(f, f->v[i].key, &len);

		if (v && strlen(v) != len)
			abort();
	}
	mem_deref(f);
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse(FORM_JSON, data, size);
	parse(FORM_JSON_SCALARS, data, size);

	return 0;
}
