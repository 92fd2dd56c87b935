/*
 * The registrar's handling of REGISTER (src/dialer/registrar.c): the
 * input is one SIP message, decoded by libre's sip_msg_decode as the
 * SIP stack does, checked as every request is first (check.c, RFC
 * 4475's invalid requests), then handed to registrar_request twice: as it came
 * (no or forged credentials: challenged or refused), and with a valid
 * digest for agent "alice" added, so that what follows authentication
 * (the AOR check, the Contact and expires handling) is reached too.
 * Replies go nowhere: the SIP stack has no transport.
 *
 * Guessing bans (the configuration's defaults) count per source
 * address: each run of SRC_SHARE inputs comes from an address of its
 * own, so that bans start (a few bad digests from one address) and end
 * (the next address), and a banned source is not all the target sees.
 * The ban table's state carries over between inputs, as in the server.
 */
#include <string.h>
#include <re.h>
#include "util/util.h"
#include "cfg/cfg.h"
#include "dialer/dialer_int.h"
#include "fuzz.h"

static struct dialer *d;
static uint32_t inputs;

enum {
	MSG_MAX = 16384,
	SRC_SHARE = 8,          /* inputs from one source address */
};


int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct cfg *cfg = NULL;
	int err;

	(void)argc;
	(void)argv;

	log_set_level(LOG_LVL_ERROR);
	if (libre_init())
		return 1;

	d = mem_zalloc(sizeof(*d), NULL);
	if (!d)
		return 1;
	str_bcpy(d->domain, "beckon.test", sizeof(d->domain));
	err  = cfg_alloc(&cfg);
	err |= sip_alloc(&d->sip, NULL, 32, 32, 32, "beckon-fuzz", NULL,
			 NULL);
	if (!err)
		err = registrar_alloc(d, cfg);
	if (!err)
		err = dialer_agent_set(d, "alice", "alice-secret", NULL);
	mem_deref(cfg);

	return err ? 1 : 0;
}


static void handle(const uint8_t *data, size_t size)
{
	struct mbuf *mb = mbuf_alloc(size ? size : 1);
	struct sip_msg *msg = NULL;

	if (!mb)
		return;
	(void)mbuf_write_mem(mb, data, size);
	mb->pos = 0;

	if (!sip_msg_decode(&msg, mb) && msg->req &&
	    !pl_strcmp(&msg->met, "REGISTER")) {
		/* as the SIP stack fills them in */
		sa_set_in(&msg->src, 0x0a000000 + inputs / SRC_SHARE, 5070);
		msg->tp = SIP_TRANSP_UDP;
		if (!dialer_check_request(d, msg))
			(void)registrar_request(d, msg);
	}

	mem_deref(msg);
	mem_deref(mb);
}


/* the message with alice's Authorization after its request line */
static int authorized(struct mbuf *out, const uint8_t *data, size_t size)
{
	struct sip_msg *msg = NULL;
	struct mbuf *mb = mbuf_alloc(size ? size : 1);
	uint8_t ha1[16], ha2[16], resp[16];
	const char *eol;
	char nonce[49];
	int err;

	if (!mb)
		return ENOMEM;
	(void)mbuf_write_mem(mb, data, size);
	mb->pos = 0;
	err = sip_msg_decode(&msg, mb);
	eol = memchr(data, '\n', size);
	if (err || !msg->req || !eol)
		goto out;

	registrar_nonce(d, nonce);
	err  = md5_printf(ha1, "alice:%s:alice-secret", d->domain);
	err |= md5_printf(ha2, "%r:%r", &msg->met, &msg->ruri);
	err |= md5_printf(resp, "%w:%s:00000001:fuzz:auth:%w", ha1,
			  sizeof(ha1), nonce, ha2, sizeof(ha2));
	if (err)
		goto out;

	err  = mbuf_write_mem(out, data, (size_t)(eol - (char *)data) + 1);
	err |= mbuf_printf(out, "Authorization: Digest username=\"alice\", "
			   "realm=\"%s\", nonce=\"%s\", uri=\"%r\", "
			   "response=\"%w\", qop=auth, nc=00000001, "
			   "cnonce=\"fuzz\", algorithm=MD5\r\n", d->domain,
			   nonce, &msg->ruri, resp, sizeof(resp));
	err |= mbuf_write_mem(out, (const uint8_t *)eol + 1,
			      size - (size_t)(eol + 1 - (char *)data));
 out:
	mem_deref(msg);
	mem_deref(mb);

	return err ? err : (out->end ? 0 : ENOENT);
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mbuf *mb;

	if (!d || size > MSG_MAX)
		return 0;
	++inputs;

	handle(data, size);

	mb = mbuf_alloc(size + 512);
	if (mb && !authorized(mb, data, size))
		handle(mb->buf, mb->end);
	mem_deref(mb);

	return 0;
}
