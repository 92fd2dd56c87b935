/*
 * application/x-www-form-urlencoded bodies (src/form/urlenc.c), the
 * widget's form posts: the input is a body; every field is read back and
 * the error, when there is one, must name a code. The Content-Type
 * matcher gets the same bytes.
 */
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "form/form.h"
#include "fuzz.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct form_error fe;
	struct form *f = NULL;
	enum form_kind kind;
	size_t i, len;

	(void)form_kind_from_ctype(&kind, (const char *)data, size);

	if (form_parse(&f, FORM_URLENCODED, (const char *)data, size, &fe)) {
		if (!fe.code)
			abort();  /* every failure names its error */
		return 0;
	}

	for (i = 0; i < f->n; i++) {
		const char *v = form_get(f, f->v[i].key, &len);

		if (v && strlen(v) != len)
			abort();
	}
	mem_deref(f);

	return 0;
}
