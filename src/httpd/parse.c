/*
 * The HTTP/1.1 request parser: pure functions over bytes, no connection
 * and no socket, so that httpd.c and the fuzz targets (fuzz/) run the
 * same code.
 *
 * A request is framed in three steps: blank lines before it are skipped
 * (RFC 9112 2.2), its head ends at the first empty line (LF or CRLF), and
 * the head says how long the body is (Content-Length only: chunked
 * request bodies are refused with 411). The head is parsed strictly,
 * because a lenient parser in front of another one is how requests are
 * smuggled: no obsolete line folding, no differing Content-Lengths, no
 * control characters in values, tokens where RFC 9110 wants tokens.
 */
#include <string.h>
#include <strings.h>
#include <re.h>
#include "httpd/httpd.h"
#include "httpd/httpd_int.h"

enum {
	CLEN_DIGITS_MAX = 12,
};


/*
 * A token character (RFC 9110 5.6.2). Not NUL: strchr finds the
 * terminator of its own string.
 */
static bool tchar(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}


static bool pl_is_ci(const struct pl *pl, const char *s)
{
	size_t n = strlen(s);

	return pl->l == n && !strncasecmp(pl->p, s, n);
}


/* true when the comma-separated header value list contains token */
static bool list_has(const struct pl *v, const char *token)
{
	const char *p = v->p, *end = v->p + v->l;

	while (p < end) {
		const char *q = memchr(p, ',', (size_t)(end - p));
		struct pl item;

		if (!q)
			q = end;
		item.p = p;
		item.l = (size_t)(q - p);
		while (item.l && (*item.p == ' ' || *item.p == '\t')) {
			++item.p;
			--item.l;
		}
		while (item.l && (item.p[item.l - 1] == ' ' ||
				  item.p[item.l - 1] == '\t'))
			--item.l;
		if (pl_is_ci(&item, token))
			return true;
		p = q + 1;
	}

	return false;
}


size_t httpd_skip_blank(const char *p, size_t len)
{
	size_t i = 0;

	while (i < len && (p[i] == '\r' || p[i] == '\n'))
		++i;

	return i;
}


size_t httpd_head_end(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
	}

	return 0;
}


/* request line: METHOD SP target SP HTTP/1.x; *http10p for 1.0 */
static uint16_t request_line(struct httpd_head *hd, const char *p,
			     const char *eol, bool *http10p)
{
	const char *sp1, *sp2, *q;
	struct pl ver;

	sp1 = memchr(p, ' ', (size_t)(eol - p));
	if (!sp1 || sp1 == p)
		return 400;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	if (!sp2 || sp2 == sp1 + 1)
		return 400;

	for (q = p; q < sp1; q++) {
		if (!tchar(*q))
			return 400;
	}

	hd->method.p = p;
	hd->method.l = (size_t)(sp1 - p);

	hd->path.p = sp1 + 1;
	hd->path.l = (size_t)(sp2 - sp1 - 1);
	if (hd->path.p[0] != '/' && !pl_is_ci(&hd->method, "OPTIONS"))
		return 400;
	for (q = sp1 + 1; q < sp2; q++) {
		if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f)
			return 400;
	}
	q = memchr(hd->path.p, '?', hd->path.l);
	if (q) {
		hd->query.p = q + 1;
		hd->query.l = (size_t)(sp2 - q - 1);
		hd->path.l = (size_t)(q - hd->path.p);
	}

	ver.p = sp2 + 1;
	ver.l = (size_t)(eol - sp2 - 1);
	if (ver.l && ver.p[ver.l - 1] == '\r')
		--ver.l;
	if (!pl_strcmp(&ver, "HTTP/1.1"))
		*http10p = false;
	else if (!pl_strcmp(&ver, "HTTP/1.0"))
		*http10p = true;
	else if (ver.l == 8 && !strncmp(ver.p, "HTTP/", 5))
		return 505;
	else
		return 400;

	return 0;
}


/* one header field line p..eol (eol at its LF) into a new hdrv entry */
static uint16_t header_line(struct httpd_head *hd, const char *p,
			    const char *eol)
{
	const char *colon, *q;
	struct hdr *h;

	/* obsolete line folding is a smuggling vector: refuse it */
	if (*p == ' ' || *p == '\t')
		return 400;

	colon = memchr(p, ':', (size_t)(eol - p));
	if (!colon || colon == p)
		return 400;
	for (q = p; q < colon; q++) {
		if (!tchar(*q))
			return 400;
	}

	if (hd->nhdr >= MAX_HEADERS)
		return 431;
	h = &hd->hdrv[hd->nhdr++];
	h->name.p = p;
	h->name.l = (size_t)(colon - p);
	h->val.p = colon + 1;
	h->val.l = (size_t)(eol - colon - 1);
	while (h->val.l && (*h->val.p == ' ' || *h->val.p == '\t')) {
		++h->val.p;
		--h->val.l;
	}
	while (h->val.l && (h->val.p[h->val.l - 1] == ' ' ||
			    h->val.p[h->val.l - 1] == '\t' ||
			    h->val.p[h->val.l - 1] == '\r'))
		--h->val.l;
	for (q = h->val.p; q < h->val.p + h->val.l; q++) {
		if ((unsigned char)*q < 0x20 && *q != '\t')
			return 400;
	}

	return 0;
}


/* a Content-Length value; *haveclenp: one was seen before */
static uint16_t content_length(struct httpd_head *hd, const struct pl *v,
			       bool *haveclenp)
{
	size_t n = 0, i;

	if (!v->l || v->l > CLEN_DIGITS_MAX)
		return 400;
	for (i = 0; i < v->l; i++) {
		if (v->p[i] < '0' || v->p[i] > '9')
			return 400;
		n = n * 10 + (size_t)(v->p[i] - '0');
	}

	/* differing lengths are a smuggling attempt */
	if (*haveclenp && n != hd->clen)
		return 400;
	*haveclenp = true;
	hd->clen = n;

	return 0;
}


uint16_t httpd_head_parse(struct httpd_head *hd, const char *buf,
			  size_t hlen)
{
	const char *p = buf, *end = buf + hlen, *eol;
	bool http10 = false, have_clen = false, keepalive = false;
	uint16_t status;

	memset(hd, 0, sizeof(*hd));

	eol = memchr(p, '\n', hlen);
	if (!eol)
		return 400;

	status = request_line(hd, p, eol, &http10);
	if (status)
		return status;

	for (p = eol + 1; p < end; p = eol + 1) {
		const struct hdr *h;

		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			return 400;
		if (eol == p || (eol == p + 1 && *p == '\r'))
			break;  /* the blank line */

		status = header_line(hd, p, eol);
		if (status)
			return status;

		h = &hd->hdrv[hd->nhdr - 1];
		if (pl_is_ci(&h->name, "Content-Length")) {
			status = content_length(hd, &h->val, &have_clen);
			if (status)
				return status;
		}
		else if (pl_is_ci(&h->name, "Transfer-Encoding")) {
			/* chunked request bodies are not accepted */
			return 411;
		}
		else if (pl_is_ci(&h->name, "Connection")) {
			if (list_has(&h->val, "close"))
				hd->close = true;
			if (list_has(&h->val, "keep-alive"))
				keepalive = true;
		}
	}

	if (http10 && !keepalive)
		hd->close = true;

	return 0;
}


void httpd_head_move(struct httpd_head *hd, ptrdiff_t d)
{
	unsigned i;

	hd->method.p += d;
	hd->path.p += d;
	if (hd->query.p)
		hd->query.p += d;
	for (i = 0; i < hd->nhdr; i++) {
		hd->hdrv[i].name.p += d;
		hd->hdrv[i].val.p += d;
	}
}


bool httpd_head_hdr(const struct httpd_head *hd, const char *name,
		    struct pl *val)
{
	unsigned i;

	for (i = 0; i < hd->nhdr; i++) {
		if (pl_is_ci(&hd->hdrv[i].name, name)) {
			if (val)
				*val = hd->hdrv[i].val;
			return true;
		}
	}

	return false;
}
