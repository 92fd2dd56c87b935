/*
 * The call-control protocol: newline-delimited JSON over TCP, one object
 * per line, documented in docs/call-control.md.
 *
 *   server: {"event":"hello","protocol":"beckon-call-control/1",
 *            "nonce":"..."}
 *   client: {"cmd":"auth","secret":"..."}     (or "hmac": HMAC-SHA256 of
 *                                               the nonce, hex)
 *   server: {"event":"ok","cmd":"auth","webrtc":false}
 *   client: {"cmd":"originate","id":"c1","customer":"+14155550100",...}
 *   server: {"event":"ok","cmd":"originate","id":"c1"}
 *   server: {"event":"invite","id":"c1","leg":"customer","t":...}
 *
 * Every command gets exactly one reply, "ok" (or "status"/"pong") or
 * "error", before any event it causes. A connection gets the events of
 * the calls it originated; when it closes, those calls go on without it
 * and become orphans: their events wait here (up to ORPHAN_LINES a call,
 * the last one, "ended", always), and another connection can take a call
 * over with {"cmd":"attach","id":...}: it gets the ok with the call's
 * state, then every event it missed, then the call's events as they come.
 * So a controller whose link broke (a network failure, a restart) loses
 * neither the calls in progress nor how they ended. The events of an
 * ended orphan are kept ORPHAN_KEEP, then dropped; so is the end of a
 * call whose controller was sent it, which may never have read it. All orphans' events
 * together are bounded by ORPHAN_BYTES: past it the oldest ended
 * orphans go first, then new events other than an end are dropped (and
 * counted), so a controller gone for good at a thousand calls a second
 * cannot make the dialer grow without bound.
 *
 * The leader's epoch (a cluster's fence, docs/cluster.md): auth may say
 * the client's epoch (absent: 0, a single node). The dialer keeps the
 * highest it has heard; an auth with a lower one (but 0) is refused
 * "stale", and so is every command but a read (ping, status,
 * agent_status) of a connection whose epoch is below it, so a leader
 * that slept through its replacement can never dial. An attach from a
 * higher epoch than the open connection that controls the call takes
 * the call from it, which is told "detached": a new leader always gets
 * the calls of one that is frozen with its link still open; so does an
 * attach of the same epoch (not 0): the same leader, back on a new link
 * while its old one is still open here (half-open after a blip).
 *
 * Untrusted input: lines are bounded (DIALER_LINE_MAX; line.c frames
 * them, for both ends of the link), the first line must authenticate
 * within AUTH_TIMEOUT or the connection is closed after an error line;
 * the secret is compared in constant time through SHA-256 of both sides;
 * connections are bounded (CONN_MAX). A connection we close is
 * half-closed first, so that its error line is not lost to a reset.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sodium.h>
#include <re.h>
#define LOG_SUBSYS "dialer"
#include "util/util.h"
#include "dialer/dialer_int.h"

enum {
	CONN_MAX = 64,
	AUTH_TIMEOUT = 10000,
	LINGER = 1000,
	NONCE_BYTES = 16,
	TXQ_MAX = 4 * 1024 * 1024,
	ORPHAN_LINES = 64,
	ORPHAN_KEEP = 60000,
	ORPHAN_HASH = 4096,         /* every end is kept ORPHAN_KEEP */
	ORPHAN_BYTES = 16 * 1024 * 1024,
	NODE_MAX = 128,             /* a node id and its NUL (node_id's) */
};

struct control {
	struct dialer *d;
	struct tcp_sock *ts;
	struct list conns;
	struct hash *orphans;       /* struct orphan, by call id */
	struct list ended;          /* ended orphans, oldest first */
	struct tmr ended_tmr;       /* the oldest's expiry */
	size_t orphan_bytes;        /* their lines, all together */
	bool orphans_full;          /* said once in the log */
	uint64_t epoch;             /* the highest a client's auth said */
	uint8_t secret_hash[crypto_hash_sha256_BYTES];
	char *secret;
};

struct cconn {
	struct le le;
	struct control *ctl;
	struct tcp_conn *tc;
	struct mbuf *rx;
	struct mbuf *tx;            /* lines not yet given to the socket */
	struct tmr tmr;
	struct tmr flush_tmr;
	struct sa peer;
	char nonce[2 * NONCE_BYTES + 1];
	bool authed;
	bool closing;
	bool watch;                 /* agent_watch: registrations told */
	uint64_t epoch;             /* its auth's (0: none said) */
	char node[NODE_MAX];        /* its auth's node id ("": none said) */
};


/* the events of a call whose connection is gone */
struct orphan {
	struct le he;
	struct le ele;              /* in ctl->ended */
	struct control *ctl;
	char *id;
	struct mbuf *lines;         /* each ending in '\n' */
	unsigned n;
	unsigned dropped;           /* past ORPHAN_LINES or ORPHAN_BYTES */
	bool ended;
	uint64_t expires;           /* ORPHAN_KEEP after ended (jiffies) */
};


static void event_handler(const struct dialer_event *ev, void *arg);
static void orphan_handler(const struct dialer_event *ev, void *arg);


static void orphan_destructor(void *arg)
{
	struct orphan *o = arg;

	hash_unlink(&o->he);
	list_unlink(&o->ele);
	if (o->ctl && o->lines)
		o->ctl->orphan_bytes -= o->lines->end;
	mem_deref(o->lines);
	mem_deref(o->id);
}


static bool orphan_cmp(struct le *le, void *arg)
{
	const struct orphan *o = le->data;

	return !strcmp(o->id, arg);
}


static struct orphan *orphan_find(const struct control *ctl, const char *id)
{
	struct le *le = hash_lookup(ctl->orphans, hash_joaat_str(id),
				    orphan_cmp, (void *)id);

	return le ? le->data : NULL;
}


/* Ended orphans go ORPHAN_KEEP after their end, oldest first: one
 * timer for them all (an end is kept for every call, and libre's timer
 * list is a sorted list). */
static void ended_expire(void *arg)
{
	struct control *ctl = arg;
	uint64_t now = tmr_jiffies();
	struct orphan *o;

	while (ctl->ended.head) {
		o = ctl->ended.head->data;
		if (o->expires > now) {
			tmr_start(&ctl->ended_tmr, o->expires - now,
				  ended_expire, ctl);
			return;
		}
		mem_deref(o);
	}
}


/*
 * An event of a call nobody watches: kept for the connection that
 * attaches. A call that keeps sending (DTMF) cannot grow this without
 * bound; its end is always kept, since it says how the call went.
 */
static void orphan_handler(const struct dialer_event *ev, void *arg)
{
	struct control *ctl = arg;
	struct orphan *o = orphan_find(ctl, ev->id);
	bool ended = ev->type == DIALER_EV_ENDED;
	size_t end, add;

	if (!o) {
		o = mem_zalloc(sizeof(*o), orphan_destructor);
		if (!o)
			return;
		o->ctl = ctl;
		o->lines = mbuf_alloc(256);  /* most keep one line */
		if (!o->lines || str_dup(&o->id, ev->id)) {
			mem_deref(o);
			return;
		}
		hash_append(ctl->orphans, hash_joaat_str(o->id), &o->he, o);
	}

	if (o->n >= ORPHAN_LINES && !ended) {
		++o->dropped;
		return;
	}

	end = o->lines->end;
	o->lines->pos = end;
	if (mbuf_printf(o->lines, "%H\n", dialer_event_print, ev)) {
		o->lines->end = end;
		++o->dropped;
		return;
	}

	/* over the bound: the oldest ended orphans make room; an end is
	 * kept whatever it costs (a few hundred bytes a call) */
	add = o->lines->end - end;
	while (ctl->orphan_bytes + add > ORPHAN_BYTES && ctl->ended.head)
		mem_deref(ctl->ended.head->data);
	if (ctl->orphan_bytes + add > ORPHAN_BYTES && !ended) {
		if (!ctl->orphans_full)
			log_warn("events of calls nobody controls: over %u "
				 "MiB kept, dropping more",
				 ORPHAN_BYTES / (1024 * 1024));
		ctl->orphans_full = true;
		o->lines->end = end;
		++o->dropped;
		return;
	}
	if (ctl->orphan_bytes < ORPHAN_BYTES / 2)
		ctl->orphans_full = false;
	ctl->orphan_bytes += add;
	++o->n;

	if (ended) {
		o->ended = true;
		list_append(&ctl->ended, &o->ele, o);
		o->expires = tmr_jiffies() + ORPHAN_KEEP;
		if (!tmr_isrunning(&ctl->ended_tmr))
			tmr_start(&ctl->ended_tmr, ORPHAN_KEEP, ended_expire,
				  ctl);
	}
}


static void cconn_destructor(void *arg)
{
	struct cconn *cc = arg;

	list_unlink(&cc->le);
	tmr_cancel(&cc->tmr);
	tmr_cancel(&cc->flush_tmr);
	/* its calls go on; their events wait for an attach */
	if (cc->ctl)
		dialer_move_handler(cc->ctl->d, event_handler, cc,
				    orphan_handler, cc->ctl);
	cc->tc = mem_deref(cc->tc);
	mem_deref(cc->rx);
	mem_deref(cc->tx);
}


static void control_destructor(void *arg)
{
	struct control *ctl = arg;

	/* the connections' calls become orphans, and then nobody's */
	list_flush(&ctl->conns);
	dialer_move_handler(ctl->d, orphan_handler, ctl, NULL, NULL);
	tmr_cancel(&ctl->ended_tmr);
	hash_flush(ctl->orphans);
	ctl->orphans = mem_deref(ctl->orphans);
	ctl->ts = mem_deref(ctl->ts);
	if (ctl->secret)
		sodium_memzero(ctl->secret, strlen(ctl->secret));
	mem_deref(ctl->secret);
}


static void cconn_free(void *arg)
{
	mem_deref(arg);
}


static void send_failed(struct cconn *cc, int err)
{
	char a[64];

	if (cc->closing)
		return;

	log_warn("control client %s: %s: dropped",
		 addr_str(a, sizeof(a), &cc->peer), strerror(err));
	cc->closing = true;
	tmr_start(&cc->tmr, 0, cconn_free, cc);
}


/* Give the socket every line queued since the last flush. */
static void flush(struct cconn *cc)
{
	int err;

	tmr_cancel(&cc->flush_tmr);
	if (!cc->tc || !cc->tx || !cc->tx->end)
		return;

	cc->tx->pos = 0;
	err = tcp_send(cc->tc, cc->tx);
	mbuf_rewind(cc->tx);

	if (err)
		send_failed(cc, err);
}


static void flush_handler(void *arg)
{
	flush(arg);
}


/*
 * The queue of lines for the socket, made on first use (NULL: no
 * connection, or no memory). Lines are queued and written together once
 * the loop has run what is ready: a call's events come in bursts (a round
 * of the loop may answer, bridge and end several calls), and one send()
 * per line was 8% of the dialer's CPU at 400 calls/s. The flush runs in
 * the same round (tmr_start_now), so no line waits for a later one.
 */
static struct mbuf *txq(struct cconn *cc, size_t len)
{
	if (!cc->tc)
		return NULL;

	if (!cc->tx) {
		cc->tx = mbuf_alloc(len > 4096 ? len : 4096);
		if (!cc->tx)
			return NULL;
	}

	if (!tmr_isrunning(&cc->flush_tmr))
		tmr_start_now(&cc->flush_tmr, flush_handler, cc);

	cc->tx->pos = cc->tx->end;

	return cc->tx;
}


/* Send a line; a client that does not read is dropped. */
static void send_line(struct cconn *cc, const char *fmt, ...)
{
	struct mbuf *mb = txq(cc, 0);
	va_list ap;
	size_t end;
	int err;

	if (!mb)
		return;

	end = mb->end;
	va_start(ap, fmt);
	err = mbuf_vprintf(mb, fmt, ap);
	va_end(ap);
	err |= mbuf_write_u8(mb, '\n');
	if (err) {
		/* not half a line */
		mb->end = end;
		send_failed(cc, err);
	}
}


/* Send lines already made (each ending in '\n'). */
static void send_lines(struct cconn *cc, const uint8_t *buf, size_t len)
{
	struct mbuf *mb = len ? txq(cc, len) : NULL;

	if (mb && mbuf_write_mem(mb, buf, len))
		send_failed(cc, ENOMEM);
}


/* Close after the last line: half-close, then free when the peer closes
 * or after LINGER. */
static void close_soon(struct cconn *cc)
{
	int fd;

	if (cc->closing)
		return;

	flush(cc);
	if (cc->closing)
		return;

	cc->closing = true;
	fd = cc->tc ? tcp_conn_fd(cc->tc) : -1;
	if (fd >= 0)
		(void)shutdown(fd, SHUT_WR);
	tmr_start(&cc->tmr, LINGER, cconn_free, cc);
}


/* ,"name":"value" when there is a value */
struct opt {
	const char *name;
	const char *val;
};


static int opt_print(struct re_printf *pf, const struct opt *o)
{
	if (!o->val)
		return 0;

	return re_hprintf(pf, ",\"%s\":%H", o->name, json_str_print,
			  o->val);
}


static void send_error(struct cconn *cc, const char *cmd, const char *id,
		       enum dialer_err code, const char *field,
		       const char *message)
{
	struct opt ocmd = {"cmd", cmd}, oid = {"id", id};
	struct opt ofield = {"field", field};

	send_line(cc, "{\"event\":\"error\"%H%H,\"code\":\"%s\"%H"
		  ",\"message\":%H}", opt_print, &ocmd, opt_print, &oid,
		  dialer_err_name(code), opt_print, &ofield, json_str_print,
		  message);
}


static void send_ok(struct cconn *cc, const char *cmd, const char *id)
{
	struct opt oid = {"id", id};

	send_line(cc, "{\"event\":\"ok\",\"cmd\":\"%s\"%H}", cmd,
		  opt_print, &oid);
}


static void event_handler(const struct dialer_event *ev, void *arg)
{
	struct cconn *cc = arg;

	if (!cc->closing)
		send_line(cc, "%H", dialer_event_print, ev);

	/*
	 * The end stays too, as an ended orphan's: sent is not read. A
	 * controller killed as the call ends (a cluster's leader) leaves
	 * the line in its socket's buffer, and the next leader's attach
	 * must hear how the call went, not not_found, which it takes for
	 * a call never placed and dials the customer again. The
	 * controller that read the end never attaches the call; a new
	 * originate of the id drops what is kept (cmd_originate).
	 */
	if (ev->type == DIALER_EV_ENDED)
		orphan_handler(ev, cc->ctl);
}


/* ---- fields */

/* A string field: absent (NULL, 0), a string (0) or wrong (EINVAL). */
static int field_str(const struct odict *od, const char *name,
		     const char **vp)
{
	const struct odict_entry *e = odict_lookup(od, name);

	*vp = NULL;
	if (!e || e->type == ODICT_NULL)
		return 0;
	if (e->type != ODICT_STRING)
		return EINVAL;

	*vp = e->u.str;
	return 0;
}


static int field_uint(const struct odict *od, const char *name,
		      uint32_t *vp)
{
	const struct odict_entry *e = odict_lookup(od, name);

	*vp = 0;
	if (!e || e->type == ODICT_NULL)
		return 0;
	if (e->type != ODICT_INT || e->u.integer < 0 ||
	    e->u.integer > 100000)
		return EINVAL;

	*vp = (uint32_t)e->u.integer;
	return 0;
}


/* an expected wait: seconds, or -1 (unknown; also when absent) */
static int field_eta(const struct odict *od, int64_t *vp)
{
	const struct odict_entry *e = odict_lookup(od, "eta");

	*vp = -1;
	if (!e || e->type == ODICT_NULL)
		return 0;
	if (e->type != ODICT_INT || e->u.integer < -1 ||
	    e->u.integer > 30 * 86400)
		return EINVAL;

	*vp = e->u.integer;
	return 0;
}


static int field_bool(const struct odict *od, const char *name, bool *vp)
{
	const struct odict_entry *e = odict_lookup(od, name);

	*vp = false;
	if (!e || e->type == ODICT_NULL)
		return 0;
	if (e->type != ODICT_BOOL)
		return EINVAL;

	*vp = e->u.boolean;
	return 0;
}


/* a leader's epoch: absent 0, else an integer of 0 or more */
static int field_epoch(const struct odict *od, uint64_t *vp)
{
	const struct odict_entry *e = odict_lookup(od, "epoch");

	*vp = 0;
	if (!e || e->type == ODICT_NULL)
		return 0;
	if (e->type != ODICT_INT || e->u.integer < 0)
		return EINVAL;

	*vp = (uint64_t)e->u.integer;
	return 0;
}


static const char *field_message(const char *field)
{
	static const struct {
		const char *field;
		const char *msg;
	} msgs[] = {
		{"id", "id must be 1 to 64 of A-Z a-z 0-9 . _ : -"},
		{"customer", "customer must be E.164: + and 8 to 15 digits, "
		 "or webrtc:LABEL"},
		{"agent", "agent must be a sip: URI, a known agent id, an "
		 "E.164 number or webrtc:LABEL (and is required in "
		 "agent_first mode)"},
		{"leg", "leg must be customer, agent or listener"},
		{"sdp", "sdp must be the browser's SDP answer, at most 6144 "
		 "bytes"},
		{"reason", "reason must be hangup, declined, unreachable or "
		 "media_failed"},
		{"mode", "mode must be customer_first or agent_first"},
		{"caller_id", "caller_id must be E.164"},
		{"customer_ring", "customer_ring must be 1 to 600 seconds"},
		{"agent_ring", "agent_ring must be 1 to 600 seconds"},
		{"max_hold", "max_hold must be 1 to 7200 seconds"},
		{"prompt", "no such prompt (a name of letters, digits, _ "
		 "and - with a WAV file in prompt_dir)"},
		{"whisper", "no such prompt"},
		{"goodbye", "no such prompt"},
		{"record", "record must be true or false"},
		{"language", "language must be en or fr"},
		{"greeting", "greeting must be 1 to 64 of A-Z a-z 0-9 . _ - "
		 "(a business id)"},
		{"announce_every", "announce_every must be 0 or 10 to 3600 "
		 "seconds"},
		{"position", "position must be 0 (unknown) to 100000"},
		{"eta", "eta must be -1 (unknown) to 2592000 seconds"},
		{"human_check", "human_check must be 0 or 3 to 60 seconds, "
		 "customer first only (and the voice's sounds installed)"},
		{"password", "password must be 1 to 128 characters"},
		{"endpoint", "endpoint must be a sip: URI"},
		{"epoch", "epoch must be an integer of 0 or more"},
		{"node", "node must be a string of 1 to 127 bytes"},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(msgs); i++) {
		if (!strcmp(msgs[i].field, field))
			return msgs[i].msg;
	}

	return "invalid value";
}


/* ---- commands */

/* a webrtc:LABEL endpoint, and this dialer has no rtpengine */
static void send_webrtc_off(struct cconn *cc, const char *cmd,
			    const char *id, const char *field)
{
	send_error(cc, cmd, id && strlen(id) <= DIALER_ID_MAX ? id : NULL,
		   DIALER_E_WEBRTC_UNAVAILABLE, field, "webrtc endpoints need "
		   "rtpengine, and this dialer has none (the rtpengine "
		   "key)");
}


static void cmd_originate(struct cconn *cc, const struct odict *od)
{
	struct dialer_call_params p;
	const char *mode = NULL, *field = NULL;
	uint32_t position = 0;
	int err = 0;

	memset(&p, 0, sizeof(p));

	if (field_str(od, "id", &p.id))
		field = "id";
	else if (field_str(od, "customer", &p.customer))
		field = "customer";
	else if (field_str(od, "agent", &p.agent))
		field = "agent";
	else if (field_str(od, "mode", &mode) ||
		 (mode && strcmp(mode, "customer_first") &&
		  strcmp(mode, "agent_first")))
		field = "mode";
	else if (field_str(od, "prompt", &p.prompt))
		field = "prompt";
	else if (field_str(od, "whisper", &p.whisper))
		field = "whisper";
	else if (field_str(od, "goodbye", &p.goodbye))
		field = "goodbye";
	else if (field_str(od, "caller_id", &p.caller_id))
		field = "caller_id";
	else if (field_uint(od, "customer_ring", &p.customer_ring))
		field = "customer_ring";
	else if (field_uint(od, "agent_ring", &p.agent_ring))
		field = "agent_ring";
	else if (field_uint(od, "max_hold", &p.max_hold))
		field = "max_hold";
	else if (field_bool(od, "record", &p.record))
		field = "record";
	else if (field_str(od, "language", &p.language))
		field = "language";
	else if (field_str(od, "greeting", &p.greeting))
		field = "greeting";
	else if (field_uint(od, "announce_every", &p.announce_every))
		field = "announce_every";
	else if (field_uint(od, "human_check", &p.human_check))
		field = "human_check";
	else if (field_uint(od, "position", &position))
		field = "position";
	else if (field_eta(od, &p.eta))
		field = "eta";

	p.position = position;

	if (mode && !strcmp(mode, "agent_first"))
		p.mode = DIALER_AGENT_FIRST;

	if (!field)
		err = dialer_call_check(cc->ctl->d, &p, &field);
	if (!field && err)
		field = "id";

	if (err == ENOTSUP) {
		send_webrtc_off(cc, "originate", p.id, field);
		return;
	}

	if (field) {
		send_error(cc, "originate", p.id && strlen(p.id) <= 64 ?
			   p.id : NULL, DIALER_E_BAD_REQUEST, field,
			   field_message(field));
		return;
	}

	err = dialer_originate(cc->ctl->d, &p, event_handler, cc);
	switch (err) {

	case 0:
		/* an ended orphan of the same id is history now */
		mem_deref(orphan_find(cc->ctl, p.id));
		send_ok(cc, "originate", p.id);
		break;

	case EEXIST:
		send_error(cc, "originate", p.id, DIALER_E_DUPLICATE_ID, "id",
			   "a call with this id is in progress");
		break;

	case ESHUTDOWN:
		send_error(cc, "originate", p.id, DIALER_E_SHUTTING_DOWN, NULL,
			   "the dialer is shutting down");
		break;

	default:
		send_error(cc, "originate", p.id, DIALER_E_FAILED, NULL,
			   strerror(err));
		break;
	}
}


/* the open connection other than cc that controls call id, or NULL (a
 * claim of a call to the handler it has already changes nothing: it only
 * asks whose it is) */
static struct cconn *controller_other(const struct cconn *cc,
				      const char *id)
{
	struct le *le;

	for (le = cc->ctl->conns.head; le; le = le->next) {
		struct cconn *other = le->data;

		if (other != cc && !dialer_claim(cc->ctl->d, id,
						 event_handler, other,
						 event_handler, other))
			return other;
	}

	return NULL;
}


/*
 * A call another open connection controls: taken from it (which is told
 * "detached") when this connection's epoch is higher, or the same and
 * not 0, else EBUSY. One node at a time holds an epoch (the store's
 * lock), so a second connection of the same epoch with the secret is
 * that leader again: its first link died without a word (a network blip
 * leaves it half-open here, until TCP gives up on it) and the newest link
 * is the one it reads. Epoch 0 names nobody (a single node, or any
 * client that knows nothing of epochs): its calls stay its own.
 */
/*
 * Whether a and b are one controller on two links: one leader holds an
 * epoch at a time, and without one (a single node, epoch 0) the node id
 * its auth said names it (none said: nobody, never the same).
 */
static bool same_controller(const struct cconn *a, const struct cconn *b)
{
	if (a->epoch != b->epoch)
		return false;
	if (a->epoch)
		return true;

	return a->node[0] && !strcmp(a->node, b->node);
}


static int take_over(struct cconn *cc, const char *id)
{
	struct cconn *other = controller_other(cc, id);
	char a[64];

	if (!other || other->epoch > cc->epoch ||
	    (other->epoch == cc->epoch && !same_controller(cc, other)))
		return EBUSY;

	if (dialer_claim(cc->ctl->d, id, event_handler, other,
			 event_handler, cc))
		return EBUSY;

	log_info("call %s: taken from control client %s (epoch %llu) by "
		 "epoch %llu", id, addr_str(a, sizeof(a), &other->peer),
		 (unsigned long long)other->epoch,
		 (unsigned long long)cc->epoch);
	if (!other->closing)
		send_line(other, "{\"event\":\"detached\",\"id\":%H,"
			  "\"epoch\":%llu,\"node\":%H,\"t\":%lld}",
			  json_str_print, id, (unsigned long long)cc->epoch,
			  json_str_print, cc->node, (long long)time_now_ms());

	return 0;
}


/*
 * Take over a call whose connection is gone: the ok (with the call's
 * state, "ended" if it ended meanwhile, and how many of its events were
 * dropped past the bounds), then the events it missed, then the rest as
 * they come. A call another open connection controls is taken only by a
 * higher epoch, or the same leader's (take_over).
 */
static void cmd_attach(struct cconn *cc, const struct odict *od)
{
	struct control *ctl = cc->ctl;
	struct dialer_status st;
	const char *id = NULL;
	struct orphan *o;
	char times[64] = "";
	int n = 0;
	int err;

	if (field_str(od, "id", &id) || !id) {
		send_error(cc, "attach", NULL, DIALER_E_BAD_REQUEST, "id",
			   "id is required");
		return;
	}

	o = orphan_find(ctl, id);
	err = dialer_claim(ctl->d, id, orphan_handler, ctl, event_handler,
			   cc);
	if (err == EBUSY) {
		/* already this connection's: nothing to take */
		err = dialer_claim(ctl->d, id, event_handler, cc,
				   event_handler, cc);
		if (err)
			err = take_over(cc, id);
		if (err) {
			send_error(cc, "attach", id, DIALER_E_BUSY, "id",
				   "another connection controls this call");
			return;
		}
	}
	if (err == ENOENT && !o) {
		send_error(cc, "attach", id, DIALER_E_NOT_FOUND, "id",
			   "no call with this id, and no events kept for one");
		return;
	}

	/* a live call's times of answer and bridge: the controller before
	 * heard them, and may have died before it recorded them (an ended
	 * one's are in its replayed end) */
	if (err || dialer_status(ctl->d, id, &st)) {
		memset(&st, 0, sizeof(st));
		st.state = "ended";
	}
	if (st.answered_t)
		n = re_snprintf(times, sizeof(times), ",\"answered_t\":%lld",
				(long long)st.answered_t);
	if (st.bridged_t)
		re_snprintf(times + n, sizeof(times) - n,
			    ",\"bridged_t\":%lld", (long long)st.bridged_t);
	send_line(cc, "{\"event\":\"ok\",\"cmd\":\"attach\",\"id\":%H,"
		  "\"state\":\"%s\",\"dropped\":%u%s}", json_str_print, id,
		  st.state, o ? o->dropped : 0, times);

	if (o) {
		send_lines(cc, o->lines->buf, o->lines->end);
		mem_deref(o);
	}
}


static void cmd_hangup(struct cconn *cc, const struct odict *od)
{
	struct dialer_status st;
	const char *id = NULL;

	if (field_str(od, "id", &id) || !id) {
		send_error(cc, "hangup", NULL, DIALER_E_BAD_REQUEST, "id",
			   "id is required");
		return;
	}

	/* the answer first, then the events the hangup causes */
	if (dialer_status(cc->ctl->d, id, &st)) {
		send_error(cc, "hangup", id, DIALER_E_NOT_FOUND, "id",
			   "no call with this id");
		return;
	}

	send_ok(cc, "hangup", id);
	(void)dialer_hangup(cc->ctl->d, id);
}


/* A held customer whom no agent can take: the ok first, then the
 * goodbye prompt and the end (no_agent). */
static void cmd_release(struct cconn *cc, const struct odict *od)
{
	const char *id = NULL;
	int err;

	if (field_str(od, "id", &id) || !id) {
		send_error(cc, "release", NULL, DIALER_E_BAD_REQUEST, "id",
			   "id is required");
		return;
	}

	err = dialer_release_check(cc->ctl->d, id);
	if (err == ENOENT) {
		send_error(cc, "release", id, DIALER_E_NOT_FOUND, "id",
			   "no call with this id");
		return;
	}
	if (err) {
		send_error(cc, "release", id, DIALER_E_BUSY, "id",
			   "the call is not holding for an agent");
		return;
	}

	send_ok(cc, "release", id);
	(void)dialer_release(cc->ctl->d, id);
}


static void cmd_offer_agent(struct cconn *cc, const struct odict *od,
			    const char *cmd)
{
	const char *id = NULL, *agent = NULL;
	uint32_t ring = 0;
	int err;

	if (field_str(od, "id", &id) || !id) {
		send_error(cc, cmd, NULL, DIALER_E_BAD_REQUEST, "id",
			   "id is required");
		return;
	}
	if (field_str(od, "agent", &agent) || !agent) {
		send_error(cc, cmd, id, DIALER_E_BAD_REQUEST, "agent",
			   field_message("agent"));
		return;
	}
	if (field_uint(od, "agent_ring", &ring)) {
		send_error(cc, cmd, id, DIALER_E_BAD_REQUEST, "agent_ring",
			   field_message("agent_ring"));
		return;
	}

	err = dialer_offer_agent(cc->ctl->d, id, agent, ring);
	switch (err) {

	case 0:
		send_ok(cc, cmd, id);
		break;

	case ENOENT:
		send_error(cc, cmd, id, DIALER_E_NOT_FOUND, "id",
			   "no call with this id");
		break;

	case EBUSY:
		send_error(cc, cmd, id, DIALER_E_BUSY, NULL,
			   "the call is not waiting for an agent");
		break;

	case ENOTSUP:
		send_webrtc_off(cc, cmd, id, "agent");
		break;

	default:
		send_error(cc, cmd, id, DIALER_E_BAD_REQUEST, "agent",
			   field_message("agent"));
		break;
	}
}


/* "id" and "leg" of a webrtc command; false: the error is sent */
static bool webrtc_target(struct cconn *cc, const struct odict *od,
			  const char *cmd, const char **idp,
			  enum dialer_leg *legp)
{
	const char *leg = NULL;

	if (field_str(od, "id", idp) || !*idp) {
		send_error(cc, cmd, NULL, DIALER_E_BAD_REQUEST, "id",
			   "id is required");
		return false;
	}

	if (field_str(od, "leg", &leg) || !leg ||
	    (strcmp(leg, "customer") && strcmp(leg, "agent") &&
	     strcmp(leg, "listener"))) {
		send_error(cc, cmd, *idp, DIALER_E_BAD_REQUEST, "leg",
			   field_message("leg"));
		return false;
	}

	*legp = !strcmp(leg, "agent") ? DIALER_LEG_AGENT :
		!strcmp(leg, "listener") ? DIALER_LEG_LISTENER :
		DIALER_LEG_CUSTOMER;
	return true;
}


/* what dialer_webrtc_answer and _hangup say, as the reply */
static void webrtc_reply(struct cconn *cc, const char *cmd, const char *id,
			 int err, const char *field)
{
	switch (err) {

	case 0:
		send_ok(cc, cmd, id);
		break;

	case ENOENT:
		send_error(cc, cmd, id, DIALER_E_NOT_FOUND, "id",
			   "no call with this id");
		break;

	case ENODEV:
		send_error(cc, cmd, id, DIALER_E_NOT_FOUND, "leg",
			   "the call has no webrtc leg there");
		break;

	case EBUSY:
		send_error(cc, cmd, id, DIALER_E_BUSY, "leg",
			   "the leg is not waiting for an answer");
		break;

	case EALREADY:
		send_error(cc, cmd, id, DIALER_E_BUSY, "leg",
			   "the leg has ended");
		break;

	case EINVAL:
		send_error(cc, cmd, id, DIALER_E_BAD_REQUEST, field,
			   field ? field_message(field) : "invalid value");
		break;

	default:
		send_error(cc, cmd, id, DIALER_E_FAILED, NULL, strerror(err));
		break;
	}
}


/*
 * The browser's answer. The ok comes before the events it causes; a
 * check first, so that a refusal never follows an ok.
 */
static void cmd_webrtc_answer(struct cconn *cc, const struct odict *od)
{
	const char *id = NULL, *sdp = NULL;
	enum dialer_leg leg;
	int err;

	if (!webrtc_target(cc, od, "webrtc_answer", &id, &leg))
		return;

	if (field_str(od, "sdp", &sdp) || !sdp || !*sdp ||
	    strlen(sdp) > DIALER_WEBRTC_SDP_MAX) {
		webrtc_reply(cc, "webrtc_answer", id, EINVAL, "sdp");
		return;
	}

	err = dialer_webrtc_answer(cc->ctl->d, id, leg, sdp);
	webrtc_reply(cc, "webrtc_answer", id, err, "sdp");
}


static void cmd_webrtc_hangup(struct cconn *cc, const struct odict *od)
{
	enum dialer_reason reason = DIALER_R_NONE;
	const char *id = NULL, *name = NULL;
	struct leg *l;
	enum dialer_leg leg;
	int err;

	if (!webrtc_target(cc, od, "webrtc_hangup", &id, &leg))
		return;

	if (!field_str(od, "reason", &name) && name)
		reason = dialer_webrtc_reason(name);
	if (reason == DIALER_R_NONE) {
		webrtc_reply(cc, "webrtc_hangup", id, EINVAL, "reason");
		return;
	}

	/* the answer first, then the events the hang-up causes */
	err = dialer_call_leg(cc->ctl->d, id, leg, &l);
	if (!err && !l->wr)
		err = ENODEV;
	if (!err && l->state == LEG_ENDED)
		err = EALREADY;
	if (err) {
		webrtc_reply(cc, "webrtc_hangup", id, err, NULL);
		return;
	}

	send_ok(cc, "webrtc_hangup", id);
	(void)dialer_webrtc_hangup(cc->ctl->d, id, leg, reason);
}


/* webrtc_hold, webrtc_unhold: the page holds its answered leg */
static void cmd_webrtc_hold(struct cconn *cc, const struct odict *od,
			    const char *cmd)
{
	const char *id = NULL;
	enum dialer_leg leg;
	bool on = !strcmp(cmd, "webrtc_hold");
	struct leg *l;
	int err;

	if (!webrtc_target(cc, od, cmd, &id, &leg))
		return;

	/* checked first: the ok comes before the event it causes */
	err = dialer_call_leg(cc->ctl->d, id, leg, &l);
	if (!err && (!l->wr || leg == DIALER_LEG_LISTENER))
		err = ENODEV;
	if (err) {
		webrtc_reply(cc, cmd, id, err, NULL);
		return;
	}
	if (l->state != LEG_ANSWERED) {
		send_error(cc, cmd, id, DIALER_E_BUSY, "leg",
			   "the leg is not answered");
		return;
	}
	if (webrtc_leg_held(l) == on) {
		send_error(cc, cmd, id, DIALER_E_BUSY, "leg", on ?
			   "the leg is held already" : "the leg is not held");
		return;
	}

	send_ok(cc, cmd, id);
	(void)dialer_webrtc_hold(cc->ctl->d, id, leg, on);
}


/* listen: a browser hears the bridged call (dialer_listen); checked
 * first, so that the ok comes before the listener's events */
static void cmd_listen(struct cconn *cc, const struct odict *od)
{
	const char *id = NULL, *endpoint = NULL;
	int err;

	if (field_str(od, "id", &id) || !id) {
		send_error(cc, "listen", NULL, DIALER_E_BAD_REQUEST, "id",
			   "id is required");
		return;
	}
	if (field_str(od, "endpoint", &endpoint))
		endpoint = NULL;

	err = dialer_listen_check(cc->ctl->d, id, endpoint);
	switch (err) {

	case 0:
		send_ok(cc, "listen", id);
		err = dialer_listen(cc->ctl->d, id, endpoint);
		if (err)
			log_warn("call %s: listen: %s", id, strerror(err));
		break;

	case ENOENT:
		send_error(cc, "listen", id, DIALER_E_NOT_FOUND, "id",
			   "no call with this id");
		break;

	case EBUSY:
		send_error(cc, "listen", id, DIALER_E_BUSY, "id",
			   "the call is not bridged");
		break;

	case EALREADY:
		send_error(cc, "listen", id, DIALER_E_BUSY, "endpoint",
			   "someone listens to the call already");
		break;

	case ENOTSUP:
		send_webrtc_off(cc, "listen", id, "endpoint");
		break;

	default:
		send_error(cc, "listen", id, DIALER_E_BAD_REQUEST, "endpoint",
			   "endpoint must be webrtc:LABEL (LABEL 1 to 64 of "
			   "A-Z a-z 0-9 . _ : -)");
		break;
	}
}


/* the customer's place in line and expected wait, for the announcements */
static void cmd_announce(struct cconn *cc, const struct odict *od)
{
	const char *id = NULL;
	uint32_t position = 0;
	int64_t eta = -1;

	if (field_str(od, "id", &id) || !id) {
		send_error(cc, "announce", NULL, DIALER_E_BAD_REQUEST, "id",
			   "id is required");
		return;
	}
	if (field_uint(od, "position", &position)) {
		send_error(cc, "announce", id, DIALER_E_BAD_REQUEST,
			   "position", field_message("position"));
		return;
	}
	if (field_eta(od, &eta)) {
		send_error(cc, "announce", id, DIALER_E_BAD_REQUEST, "eta",
			   field_message("eta"));
		return;
	}

	if (dialer_announce(cc->ctl->d, id, position, eta))
		send_error(cc, "announce", id, DIALER_E_NOT_FOUND, "id",
			   "no call with this id");
	else
		send_ok(cc, "announce", id);
}


struct status_item {
	const char *id;
	const struct dialer_status *st;
	const struct cconn *cc;     /* who asks */
};


/* whose the call's events are: the asker's, another's, or nobody's (an
 * orphan, which attach can take) */
static const char *controller(const struct status_item *it)
{
	if (it->st->eh == event_handler && it->st->eh_arg == it->cc)
		return "this";
	if (!it->st->eh || it->st->eh == orphan_handler)
		return "none";

	return "other";
}


static int status_print(struct re_printf *pf, const struct status_item *it)
{
	const struct dialer_status *st = it->st;
	struct opt oagent = {"agent_uri", st->agent};

	return re_hprintf(pf, "\"id\":%H,\"state\":\"%s\",\"mode\":\"%s\","
			  "\"customer\":\"%s\",\"agent\":\"%s\"%H,"
			  "\"created\":%lld,\"controller\":\"%s\"",
			  json_str_print, it->id, st->state,
			  st->mode == DIALER_AGENT_FIRST ? "agent_first" :
			  "customer_first", st->customer_state,
			  st->agent_state, opt_print, &oagent,
			  (long long)st->created, controller(it));
}


struct status_list {
	struct mbuf *mb;
	unsigned n;
	const struct cconn *cc;
};


static void status_list_handler(const char *id, const struct dialer_status *st,
				void *arg)
{
	struct status_list *sl = arg;

	struct status_item it = {id, st, sl->cc};

	(void)mbuf_printf(sl->mb, "%s{%H}", sl->n++ ? "," : "", status_print,
			  &it);
}


static void cmd_status(struct cconn *cc, const struct odict *od)
{
	struct dialer_status st;
	struct status_list sl;
	const char *id = NULL;

	if (field_str(od, "id", &id)) {
		send_error(cc, "status", NULL, DIALER_E_BAD_REQUEST, "id",
			   "id must be a string");
		return;
	}

	if (id) {
		if (dialer_status(cc->ctl->d, id, &st)) {
			send_error(cc, "status", id, DIALER_E_NOT_FOUND, "id",
				   "no call with this id");
			return;
		}
		struct status_item it = {id, &st, cc};

		send_line(cc, "{\"event\":\"status\",%H}", status_print,
			  &it);
		return;
	}

	sl.mb = mbuf_alloc(1024);
	sl.n = 0;
	sl.cc = cc;
	if (!sl.mb)
		return;

	dialer_status_all(cc->ctl->d, status_list_handler, &sl);
	send_line(cc, "{\"event\":\"status\",\"count\":%u,\"heap\":%zu,"
		  "\"calls\":[%b]}", dialer_call_count(cc->ctl->d),
		  dialer_heap_used(), sl.mb->buf, sl.mb->end);
	mem_deref(sl.mb);
}


static void cmd_agent_set(struct cconn *cc, const struct odict *od)
{
	const char *agent = NULL, *password = NULL, *endpoint = NULL;
	const char *field = NULL;

	if (field_str(od, "agent", &agent) || !agent)
		field = "agent";
	else if (field_str(od, "password", &password))
		field = "password";
	else if (field_str(od, "endpoint", &endpoint))
		field = "endpoint";

	if (!field && dialer_agent_set(cc->ctl->d, agent, password,
				       endpoint)) {
		field = password && (!*password || strlen(password) > 128) ?
			"password" : endpoint && *endpoint &&
			strncmp(endpoint, "sip:", 4) ? "endpoint" : "agent";
	}

	if (field) {
		send_error(cc, "agent_set", NULL, DIALER_E_BAD_REQUEST, field,
			   !strcmp(field, "agent") ?
			   "agent must be 1 to 64 of A-Z a-z 0-9 . _ -" :
			   field_message(field));
		return;
	}

	send_ok(cc, "agent_set", NULL);
}


static void cmd_agent_del(struct cconn *cc, const struct odict *od)
{
	const char *agent = NULL;

	if (field_str(od, "agent", &agent) || !agent) {
		send_error(cc, "agent_del", NULL, DIALER_E_BAD_REQUEST,
			   "agent", "agent is required");
		return;
	}

	if (dialer_agent_del(cc->ctl->d, agent))
		send_error(cc, "agent_del", NULL, DIALER_E_NOT_FOUND, "agent",
			   "no such agent");
	else
		send_ok(cc, "agent_del", NULL);
}


static void cmd_agent_status(struct cconn *cc, const struct odict *od)
{
	const char *agent = NULL, *contact;
	struct opt ocontact = {"contact", NULL};

	if (field_str(od, "agent", &agent) || !agent ||
	    agent[0] == '+' || !strncmp(agent, "sip:", 4) ||
	    agent_spec_check(cc->ctl->d, agent)) {
		send_error(cc, "agent_status", NULL, DIALER_E_NOT_FOUND,
			   "agent", "no such agent");
		return;
	}

	contact = dialer_agent_contact(cc->ctl->d, agent);
	ocontact.val = contact;
	send_line(cc, "{\"event\":\"agent\",\"agent\":%H,"
		  "\"registered\":%s%H}", json_str_print, agent,
		  contact ? "true" : "false", opt_print, &ocontact);
}


static void registration_send(struct cconn *cc, const char *id,
			      uint32_t left_s)
{
	if (left_s)
		send_line(cc, "{\"event\":\"registration\",\"agent\":%H,"
			  "\"registered\":true,\"expires\":%u,\"t\":%lld}",
			  json_str_print, id, left_s,
			  (long long)time_now_ms());
	else
		send_line(cc, "{\"event\":\"registration\",\"agent\":%H,"
			  "\"registered\":false,\"t\":%lld}",
			  json_str_print, id, (long long)time_now_ms());
}


static void registration_h(const char *id, uint32_t left_s, void *arg)
{
	registration_send(arg, id, left_s);
}


/* the ok, every known agent's registration now, then every change */
static void cmd_agent_watch(struct cconn *cc)
{
	send_ok(cc, "agent_watch", NULL);
	cc->watch = true;
	registrar_agents(cc->ctl->d, registration_h, cc);
}


void control_registration(struct control *ctl, const char *id,
			  uint32_t left_s)
{
	struct le *le;

	for (le = ctl ? ctl->conns.head : NULL; le; le = le->next) {
		struct cconn *cc = le->data;

		if (cc->watch && !cc->closing)
			registration_send(cc, id, left_s);
	}
}


/* ---- authentication */

static bool hex_decode(uint8_t *out, size_t n, const char *hex)
{
	size_t i;

	if (!hex || strlen(hex) != 2 * n)
		return false;

	for (i = 0; i < 2 * n; i++) {
		if (!((hex[i] >= '0' && hex[i] <= '9') ||
		      (hex[i] >= 'a' && hex[i] <= 'f') ||
		      (hex[i] >= 'A' && hex[i] <= 'F')))
			return false;
	}

	for (i = 0; i < n; i++)
		out[i] = (uint8_t)(ch_hex(hex[2 * i]) << 4 |
				   ch_hex(hex[2 * i + 1]));

	return true;
}


static bool auth_check(struct cconn *cc, const struct odict *od)
{
	const char *secret = NULL, *hmac = NULL;
	uint8_t h[crypto_hash_sha256_BYTES];
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	uint8_t want[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;

	if (!field_str(od, "secret", &secret) && secret) {
		crypto_hash_sha256(h, (const uint8_t *)secret,
				   strlen(secret));
		return !sodium_memcmp(h, cc->ctl->secret_hash, sizeof(h));
	}

	if (!field_str(od, "hmac", &hmac) && hmac &&
	    hex_decode(mac, sizeof(mac), hmac)) {
		crypto_auth_hmacsha256_init(&st,
					    (const uint8_t *)cc->ctl->secret,
					    strlen(cc->ctl->secret));
		crypto_auth_hmacsha256_update(&st, (const uint8_t *)cc->nonce,
					      strlen(cc->nonce));
		crypto_auth_hmacsha256_final(&st, want);
		return !sodium_memcmp(mac, want, sizeof(mac));
	}

	return false;
}


/* the commands that act on one call, by "id" */
static bool acts_on_a_call(const char *cmd)
{
	static const char *const v[] = {
		"hangup", "release", "offer_agent", "transfer_agent",
		"announce", "webrtc_answer", "webrtc_hangup", "webrtc_hold",
		"webrtc_unhold", "listen",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(v); i++)
		if (!strcmp(cmd, v[i]))
			return true;

	return false;
}


/*
 * A call another open connection controls (it originated or attached
 * it) is not this connection's to command: a controller replaced, such
 * as a cluster's leader another node took over from, can neither hang up
 * nor offer what the new one holds. An orphan may be (a lost link's
 * call, hung up once its resume time is over), and so may the server's
 * own ACD's calls (an operator's hang-up). True when refused, with busy.
 */
static bool another_controls(struct cconn *cc, const struct odict *od,
			     const char *cmd)
{
	const char *id = NULL;

	/* no id: the command itself says so */
	if (field_str(od, "id", &id) || !id || !controller_other(cc, id))
		return false;

	send_error(cc, cmd, id, DIALER_E_BUSY, "id",
		   "another connection controls this call");
	return true;
}


static const char stale_message[] = "a leader of a higher epoch controls "
	"this dialer";


/* the first command: auth, with the client's epoch (0: none said) */
static void cmd_auth(struct cconn *cc, const struct odict *od,
		     const char *cmd)
{
	struct control *ctl = cc->ctl;
	const char *node = NULL;
	uint64_t epoch;
	char a[64];

	if (strcmp(cmd, "auth")) {
		send_error(cc, cmd, NULL, DIALER_E_AUTH_REQUIRED, NULL,
			   "the first command must be auth");
		close_soon(cc);
		return;
	}
	if (!auth_check(cc, od)) {
		log_warn("control client %s: authentication failed",
			 addr_str(a, sizeof(a), &cc->peer));
		send_error(cc, cmd, NULL, DIALER_E_AUTH_FAILED, NULL,
			   "wrong secret");
		close_soon(cc);
		return;
	}
	if (field_epoch(od, &epoch)) {
		send_error(cc, cmd, NULL, DIALER_E_BAD_REQUEST, "epoch",
			   field_message("epoch"));
		close_soon(cc);
		return;
	}
	if (field_str(od, "node", &node) ||
	    (node && (!*node || strlen(node) >= sizeof(cc->node)))) {
		send_error(cc, cmd, NULL, DIALER_E_BAD_REQUEST, "node",
			   field_message("node"));
		close_soon(cc);
		return;
	}
	if (epoch && epoch < ctl->epoch) {
		log_warn("control client %s: epoch %llu refused, a leader of "
			 "epoch %llu has come", addr_str(a, sizeof(a),
							 &cc->peer),
			 (unsigned long long)epoch,
			 (unsigned long long)ctl->epoch);
		send_error(cc, cmd, NULL, DIALER_E_STALE, "epoch",
			   stale_message);
		close_soon(cc);
		return;
	}

	cc->authed = true;
	cc->epoch = epoch;
	if (node)
		str_bcpy(cc->node, node, sizeof(cc->node));
	tmr_cancel(&cc->tmr);
	if (epoch > ctl->epoch)
		ctl->epoch = epoch;
	log_info("control client %s authenticated (epoch %llu%s%s)",
		 addr_str(a, sizeof(a), &cc->peer), (unsigned long long)epoch,
		 cc->node[0] ? ", node " : "", cc->node);
	/* what the client may ask of this dialer */
	send_line(cc, "{\"event\":\"ok\",\"cmd\":\"auth\",\"webrtc\":%s}",
		  dialer_has_webrtc(ctl->d) ? "true" : "false");
}


/* A command of a connection whose epoch is below the highest heard: a
 * replaced leader's, refused stale but for the reads. True when refused. */
static bool is_stale(struct cconn *cc, const struct odict *od,
		     const char *cmd)
{
	const char *id = NULL;

	if (cc->epoch >= cc->ctl->epoch || !strcmp(cmd, "ping") ||
	    !strcmp(cmd, "status") || !strcmp(cmd, "agent_status"))
		return false;

	if (field_str(od, "id", &id) || (id && strlen(id) > DIALER_ID_MAX))
		id = NULL;
	send_error(cc, cmd, id, DIALER_E_STALE, "epoch", stale_message);

	return true;
}


static void handle_line(struct cconn *cc, const struct pl *line)
{
	struct odict *od = NULL;
	const char *cmd = NULL;

	if (dialer_line_decode(&od, line)) {
		send_error(cc, NULL, NULL, DIALER_E_BAD_JSON, NULL,
			   "each line must be one JSON object");
		if (!cc->authed)
			close_soon(cc);
		goto out;
	}

	if (field_str(od, "cmd", &cmd) || !cmd) {
		send_error(cc, NULL, NULL, DIALER_E_BAD_REQUEST, "cmd",
			   "cmd is required");
		if (!cc->authed)
			close_soon(cc);
		goto out;
	}

	if (!cc->authed) {
		cmd_auth(cc, od, cmd);
		goto out;
	}

	if (is_stale(cc, od, cmd))
		goto out;

	if (acts_on_a_call(cmd) && another_controls(cc, od, cmd))
		goto out;

	if (!strcmp(cmd, "originate"))
		cmd_originate(cc, od);
	else if (!strcmp(cmd, "hangup"))
		cmd_hangup(cc, od);
	else if (!strcmp(cmd, "attach"))
		cmd_attach(cc, od);
	else if (!strcmp(cmd, "offer_agent") ||
		 !strcmp(cmd, "transfer_agent"))
		cmd_offer_agent(cc, od, cmd);
	else if (!strcmp(cmd, "announce"))
		cmd_announce(cc, od);
	else if (!strcmp(cmd, "status"))
		cmd_status(cc, od);
	else if (!strcmp(cmd, "ping"))
		send_line(cc, "{\"event\":\"pong\",\"t\":%lld}",
			  (long long)time_now_ms());
	else if (!strcmp(cmd, "agent_set"))
		cmd_agent_set(cc, od);
	else if (!strcmp(cmd, "agent_del"))
		cmd_agent_del(cc, od);
	else if (!strcmp(cmd, "agent_status"))
		cmd_agent_status(cc, od);
	else if (!strcmp(cmd, "agent_watch"))
		cmd_agent_watch(cc);
	else if (!strcmp(cmd, "release"))
		cmd_release(cc, od);
	else if (!strcmp(cmd, "webrtc_answer"))
		cmd_webrtc_answer(cc, od);
	else if (!strcmp(cmd, "webrtc_hangup"))
		cmd_webrtc_hangup(cc, od);
	else if (!strcmp(cmd, "webrtc_hold") ||
		 !strcmp(cmd, "webrtc_unhold"))
		cmd_webrtc_hold(cc, od, cmd);
	else if (!strcmp(cmd, "listen"))
		cmd_listen(cc, od);
	else if (!strcmp(cmd, "auth"))
		send_ok(cc, "auth", NULL);
	else
		send_error(cc, cmd, NULL, DIALER_E_UNKNOWN_COMMAND, "cmd",
			   "commands: originate, hangup, release, attach, "
			   "offer_agent, announce, status, ping, "
			   "agent_set, agent_del, agent_status, "
			   "agent_watch, webrtc_answer, webrtc_hangup, "
			   "webrtc_hold, webrtc_unhold, listen");

 out:
	mem_deref(od);
}


static void recv_handler(struct mbuf *mb, void *arg)
{
	struct cconn *cc = arg;
	struct mbuf *rx = cc->rx;
	size_t off = 0;

	if (cc->closing)
		return;

	/* rx holds an unfinished line at buf[0..end) */
	rx->pos = rx->end;
	if (mbuf_write_mem(rx, mbuf_buf(mb), mbuf_get_left(mb)))
		return;

	for (;;) {
		struct pl line;
		size_t used;
		int err;

		err = dialer_line_next(rx->buf + off, rx->end - off, &line,
				       &used);
		if (err == EMSGSIZE) {
			send_error(cc, NULL, NULL, DIALER_E_LINE_TOO_LONG,
				   NULL, "lines are at most 8192 bytes");
			close_soon(cc);
		}
		if (err)
			break;

		off += used;
		if (line.l)
			handle_line(cc, &line);

		if (cc->closing)
			break;
	}

	if (cc->closing) {
		mbuf_rewind(rx);
		return;
	}

	memmove(rx->buf, rx->buf + off, rx->end - off);
	rx->end -= off;
	rx->pos = 0;
}


static void close_handler(int err, void *arg)
{
	struct cconn *cc = arg;
	char a[64];

	log_debug("control client %s left (%s)",
		  addr_str(a, sizeof(a), &cc->peer),
		  err ? strerror(err) : "closed");

	cc->closing = true;
	cc->tc = mem_deref(cc->tc);
	tmr_start(&cc->tmr, 0, cconn_free, cc);
}


static void auth_timeout(void *arg)
{
	struct cconn *cc = arg;

	send_error(cc, NULL, NULL, DIALER_E_AUTH_REQUIRED, NULL,
		   "no auth within 10 seconds");
	close_soon(cc);
}


static void connect_handler(const struct sa *peer, void *arg)
{
	struct control *ctl = arg;
	uint8_t nonce[NONCE_BYTES];
	struct cconn *cc;
	int one = 1;
	size_t i;
	int err;

	if (list_count(&ctl->conns) >= CONN_MAX) {
		tcp_reject(ctl->ts);
		return;
	}

	cc = mem_zalloc(sizeof(*cc), cconn_destructor);
	if (!cc) {
		tcp_reject(ctl->ts);
		return;
	}

	tmr_init(&cc->tmr);
	tmr_init(&cc->flush_tmr);
	cc->peer = *peer;
	cc->rx = mbuf_alloc(1024);
	if (!cc->rx) {
		mem_deref(cc);
		tcp_reject(ctl->ts);
		return;
	}
	cc->rx->pos = 0;

	err = tcp_accept(&cc->tc, ctl->ts, NULL, recv_handler, close_handler,
			 cc);
	if (err) {
		mem_deref(cc);
		tcp_reject(ctl->ts);
		return;
	}

	tcp_conn_txqsz_set(cc->tc, TXQ_MAX);
	/* events are small lines in bursts: Nagle would hold each second
	 * one for the client's delayed ACK (40 ms) */
	(void)setsockopt(tcp_conn_fd(cc->tc), IPPROTO_TCP, TCP_NODELAY,
			 &one, sizeof(one));
	cc->ctl = ctl;
	list_append(&ctl->conns, &cc->le, cc);

	randombytes_buf(nonce, sizeof(nonce));
	for (i = 0; i < sizeof(nonce); i++)
		(void)re_snprintf(cc->nonce + 2 * i, 3, "%02x", nonce[i]);

	tmr_start(&cc->tmr, AUTH_TIMEOUT, auth_timeout, cc);

	send_line(cc, "{\"event\":\"hello\",\"protocol\":"
		  "\"beckon-call-control/1\",\"nonce\":\"%s\"}", cc->nonce);
}


int control_alloc(struct control **ctlp, struct dialer *d,
		  const struct sa *laddr, const char *secret)
{
	struct control *ctl;
	char a[64];
	int err;

	if (!ctlp || !d || !laddr || !secret || !*secret)
		return EINVAL;

	ctl = mem_zalloc(sizeof(*ctl), control_destructor);
	if (!ctl)
		return ENOMEM;

	ctl->d = d;
	tmr_init(&ctl->ended_tmr);
	err = hash_alloc(&ctl->orphans, ORPHAN_HASH);
	if (err)
		goto out;
	crypto_hash_sha256(ctl->secret_hash, (const uint8_t *)secret,
			   strlen(secret));
	err = str_dup(&ctl->secret, secret);
	if (err)
		goto out;

	err = tcp_listen(&ctl->ts, laddr, connect_handler, ctl);
	if (err) {
		log_error("control_listen %s: %s",
			  addr_str(a, sizeof(a), laddr), strerror(err));
		goto out;
	}

	if (!sa_is_loopback(laddr))
		log_warn("the call-control listener %s is not on loopback: "
			 "the secret crosses the network unless clients use "
			 "hmac; prefer a tunnel", addr_str(a, sizeof(a),
							   laddr));

	log_info("call control on %s", addr_str(a, sizeof(a), laddr));

 out:
	if (err)
		mem_deref(ctl);
	else
		*ctlp = ctl;

	return err;
}


void control_stop(struct control *ctl)
{
	if (!ctl)
		return;

	ctl->ts = mem_deref(ctl->ts);
}
