/*
 * The call-control protocol's framing (see dialer.h): cutting lines out
 * of a byte stream and reading each as one JSON object. Pure functions
 * over bytes, for control.c, app/remote.c and the fuzz target.
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#include "dialer/dialer.h"

enum {
	JSON_HASH_SIZE = 16,
	JSON_MAX_DEPTH = 4,
};


int dialer_line_next(const uint8_t *buf, size_t len, struct pl *linep,
		     size_t *usedp)
{
	const uint8_t *nl = memchr(buf, '\n', len);
	size_t n;

	if (!nl)
		return len > DIALER_LINE_MAX ? EMSGSIZE : EAGAIN;

	n = (size_t)(nl - buf);
	*usedp = n + 1;
	if (n && buf[n - 1] == '\r')
		--n;
	if (n > DIALER_LINE_MAX)
		return EMSGSIZE;

	linep->p = (const char *)buf;
	linep->l = n;

	return 0;
}


int dialer_line_decode(struct odict **odp, const struct pl *line)
{
	const char *p = line->p;
	size_t n = line->l;

	/* libre's decoder forgives much: insist on one object */
	while (n && (*p == ' ' || *p == '\t')) {
		++p;
		--n;
	}
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		--n;

	if (n < 2 || p[0] != '{' || p[n - 1] != '}' ||
	    json_decode_odict(odp, JSON_HASH_SIZE, p, n, JSON_MAX_DEPTH))
		return EBADMSG;

	return 0;
}
