/*
 * The first look at every request beckon's SIP port receives, before
 * sipsess, the registrar or a challenge: what RFC 4475 (SIP torture
 * tests) calls invalid gets the answer it suggests, statelessly.
 *
 *   Request-URI of a scheme other than sip, sips, tel      416
 *   no Call-ID, From, To or CSeq                           400
 *   Content-Length twice, negative or not a number         400
 *   (UDP) Content-Length beyond the datagram               400
 *   CSeq past 2^32 - 1, or of another method               400
 *
 * An ACK is never answered: a bad one is dropped. What libre 1.1.0 drops
 * before we see it (an unknown SIP version, a request line or header it
 * cannot parse) and how it frames TCP is in docs/sip-input.md.
 */
#include <string.h>
#include <strings.h>
#include <re.h>
#define LOG_SUBSYS "dialer"
#include "util/util.h"
#include "dialer/dialer_int.h"

enum {
	DIGITS_U32 = 10,     /* 4294967295 */
};


/* A decimal number of up to 10 digits, at most max: *vp. */
static bool pl_num(const struct pl *pl, uint64_t max, uint64_t *vp)
{
	uint64_t v = 0;
	size_t i;

	if (!pl->l || pl->l > DIGITS_U32)
		return false;

	for (i = 0; i < pl->l; i++) {
		if (pl->p[i] < '0' || pl->p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(pl->p[i] - '0');
	}

	*vp = v;

	return v <= max;
}


static bool scheme_known(const struct pl *ruri)
{
	static const char *schemes[] = {"sip:", "sips:", "tel:"};
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(schemes); i++) {
		n = strlen(schemes[i]);
		if (ruri->l > n && !strncasecmp(ruri->p, schemes[i], n))
			return true;
	}

	return false;
}


/* The CSeq number and method as written (libre's parse wraps at 2^32). */
static const char *cseq_error(const struct sip_msg *msg)
{
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_CSEQ);
	struct pl num, met;
	uint64_t v;

	if (re_regex(h->val.p, h->val.l, "[^ \t\r\n]+[ \t\r\n]+[^ \t\r\n]+",
		     &num, NULL, &met) ||
	    !pl_num(&num, UINT32_MAX, &v))
		return "Bad CSeq";

	if (pl_cmp(&met, &msg->met))
		return "CSeq Method Mismatch";

	return NULL;
}


static const char *clen_error(const struct sip_msg *msg)
{
	uint64_t v;

	if (!pl_isset(&msg->clen))
		return NULL;

	if (sip_msg_hdr_count(msg, SIP_HDR_CONTENT_LENGTH) > 1)
		return "Conflicting Content-Length";

	if (!pl_num(&msg->clen, UINT32_MAX, &v))
		return "Bad Content-Length";

	/* a stream is framed by it; a datagram must hold all it claims */
	if (msg->tp == SIP_TRANSP_UDP && v > mbuf_get_left(msg->mb))
		return "Content-Length Beyond Datagram";

	return NULL;
}


static const char *headers_error(const struct sip_msg *msg)
{
	if (!sip_msg_hdr(msg, SIP_HDR_CALL_ID))
		return "Missing Call-ID";
	if (!sip_msg_hdr(msg, SIP_HDR_FROM))
		return "Missing From";
	if (!sip_msg_hdr(msg, SIP_HDR_TO))
		return "Missing To";
	if (!sip_msg_hdr(msg, SIP_HDR_CSEQ))
		return "Missing CSeq";

	return NULL;
}


bool dialer_check_request(struct dialer *d, const struct sip_msg *msg)
{
	const char *reason = NULL;
	uint16_t scode = 400;
	char a[64], f[LOG_FIELD_SZ];

	if (!scheme_known(&msg->ruri)) {
		scode = 416;
		reason = "Unsupported URI Scheme";
	}
	if (!reason)
		reason = headers_error(msg);
	if (!reason)
		reason = clen_error(msg);
	if (!reason)
		reason = cseq_error(msg);
	if (!reason)
		return false;

	log_debug("%s from %s (%s): %u %s", LOG_PL(f, msg->met),
		  addr_str(a, sizeof(a), &msg->src),
		  sip_transp_name(msg->tp), scode, reason);

	if (pl_strcmp(&msg->met, "ACK"))
		(void)sip_reply(d->sip, msg, scode, reason);

	return true;
}
