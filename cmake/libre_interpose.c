/*
 * Does the libre found call its timer and random functions through its
 * PLT, so that an executable's own definitions replace them for libre's
 * internal calls too? beckon relies on it (util/timer.c, util/token.c),
 * and libre 1.1.0 as Debian builds it does; a libre linked with
 * -Bsymbolic or hidden visibility, or a newer one that renamed the
 * functions, would silently keep its own. CMakeLists.txt builds and runs
 * this at configure time: it defines the same functions, counting their
 * calls, drives libre code that calls each, and exits 0 only if every
 * one was reached. Each is driven from where beckon's traffic calls it:
 * RTP, SDP and DNS set-up, HTTP digest challenges, the main loop.
 */
#define _GNU_SOURCE 1
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <dlfcn.h>
#include <re.h>

enum fn {
	TMR_START, TMR_CANCEL, TMR_POLL, TMR_NEXT_TIMEOUT,
	RAND_U16, RAND_U32, RAND_U64, RAND_BYTES, RAND_STR,
	NFN
};

static const char *const fn_name[NFN] = {
	"tmr_start", "tmr_cancel", "tmr_poll", "tmr_next_timeout",
	"rand_u16", "rand_u32", "rand_u64", "rand_bytes", "rand_str",
};

static unsigned calls[NFN];


void tmr_start(struct tmr *tmr, uint64_t delay, tmr_h *th, void *arg)
{
	(void)delay;
	++calls[TMR_START];
	if (tmr) {
		tmr->th = th;
		tmr->arg = arg;
	}
}


void tmr_cancel(struct tmr *tmr)
{
	++calls[TMR_CANCEL];
	if (tmr)
		tmr->th = NULL;
}


uint64_t tmr_next_timeout(struct list *tmrl)
{
	(void)tmrl;
	++calls[TMR_NEXT_TIMEOUT];

	return 1;
}


/* re_main's loop reached it: stop the loop */
void tmr_poll(struct list *tmrl)
{
	(void)tmrl;
	++calls[TMR_POLL];
	re_cancel();
}


uint16_t rand_u16(void)
{
	++calls[RAND_U16];

	return 4;
}


uint32_t rand_u32(void)
{
	++calls[RAND_U32];

	return 4;
}


uint64_t rand_u64(void)
{
	++calls[RAND_U64];

	return 4;
}


void rand_bytes(uint8_t *p, size_t size)
{
	++calls[RAND_BYTES];
	if (p)
		memset(p, 4, size);
}


void rand_str(char *str, size_t size)
{
	++calls[RAND_STR];
	if (str && size) {
		memset(str, 'a', size - 1);
		str[size - 1] = '\0';
	}
}


static void alarm_h(int sig)
{
	(void)sig;
	re_cancel();
}


static int drive_libre(void)
{
	struct http_auth auth = {"beckon", false};
	struct rtp_sock *rs = NULL;
	struct sdp_session *sess = NULL;
	struct dnsc *dnsc = NULL;
	struct dns_query *q = NULL;
	struct sigaction sa_alarm = {0};
	void (*re_rand_str)(char *, size_t);
	char buf[256];
	struct sa sa;
	int err;

	err = rtp_alloc(&rs);                   /* seq, SSRC */
	if (!err)
		err = sa_set_str(&sa, "127.0.0.1", 0);
	if (!err)
		err = sdp_session_alloc(&sess, &sa);    /* session id */
	if (!err && re_snprintf(buf, sizeof(buf), "%H",
				http_auth_print_challenge, &auth) < 0)
		err = ENOMEM;                   /* the nonce */
	if (err)
		goto out;

	(void)rand_char();                      /* libre's, into rand_str */
	re_rand_str = (void (*)(char *, size_t))dlsym(RTLD_NEXT, "rand_str");
	if (re_rand_str)
		re_rand_str(buf, 9);            /* libre's, into rand_bytes */

	/* a query to a closed loopback port: its retransmission timer */
	err = sa_set_str(&sa, "127.0.0.1", 9);
	if (!err)
		err = dnsc_alloc(&dnsc, NULL, &sa, 1);
	if (!err)
		err = dnsc_query(&q, dnsc, "beckon.invalid", DNS_TYPE_A,
				 DNS_CLASS_IN, true, NULL, NULL);
	q = mem_deref(q);                       /* cancels it */
	if (err)
		goto out;

	/* the loop asks for the next timeout and polls the timers; if
	 * those calls do not reach ours it would wait for ever: bounded */
	sigemptyset(&sa_alarm.sa_mask);
	sa_alarm.sa_handler = alarm_h;
	sigaction(SIGALRM, &sa_alarm, NULL);
	alarm(2);
	err = re_main(NULL);
	alarm(0);

 out:
	mem_deref(q);
	mem_deref(dnsc);
	mem_deref(sess);
	mem_deref(rs);

	return err;
}


int main(void)
{
	int err, i, missed = 0;

	err = libre_init();
	if (err) {
		printf("libre_init: %s\n", strerror(err));
		return 1;
	}

	err = drive_libre();
	if (err)
		printf("driving libre failed: %s\n", strerror(err));

	for (i = 0; i < NFN; i++) {
		if (calls[i])
			continue;
		printf("%s%s", missed ? ", " : "libre's calls never reached: ",
		       fn_name[i]);
		++missed;
	}
	if (missed)
		printf("\n");

	libre_close();

	return err || missed ? 1 : 0;
}
