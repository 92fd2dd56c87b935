/*
 * A listener on PostgreSQL (store_listen): a connection of its own, on
 * the loop, asynchronous libpq with fd_listen on its socket; no thread
 * (pg.c's worker runs sequential ops, this only waits for the server).
 *
 *   waiting --timer--> connecting --ok--> listening --every LISTEN
 *      ^                    |                 |      acknowledged--> ready
 *      +---- lost ----------+-----------------+--------------------- +
 *
 * connecting: PQconnectStartParams, then PQconnectPoll whenever the
 * socket is ready the way it asked. PQconnectStartParams resolves a host
 * name with getaddrinfo, blocking the loop: over TCP the listener is
 * given the IP address the store's own connection reached at start-up
 * (hostaddr, with the host for TLS and pg_hba), so it resolves nothing;
 * a socket path needs no resolving. (The store's worker resolves the name
 * again on each reconnect, on its thread; a listener keeps the start-up
 * address: a database moved to another address needs a restart.)
 * listening: one query, "LISTEN a; LISTEN b", its names quoted
 * (PQescapeIdentifier). ready: on readable, PQconsumeInput, then
 * PQnotifies until none. Once every LISTEN is
 * acknowledged the user's resync handler runs (the first time too):
 * whatever changed while nobody listened is read again from the rows.
 * Lost (the server restarted or killed, the network cut: keepalives and
 * tcp_user_timeout from pg.c's options find that out): the socket
 * closed (fd_close before PQfinish), then connected again after a
 * backoff, pg.c's (100 ms doubling to 5 s), reset once ready. An
 * attempt not ready within connect_timeout is lost too (libpq leaves
 * that timeout to whoever calls PQconnectPoll).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>
#include <re.h>
#define LOG_SUBSYS "store"
#include "util/util.h"
#include "store/store_int.h"

enum lsn_state {
	LS_WAITING,
	LS_CONNECTING,
	LS_LISTENING,
	LS_READY,
	LS_COUNT
};

static const char *const lsn_state_names[LS_COUNT] = {
	[LS_WAITING] = "waiting",
	[LS_CONNECTING] = "connecting",
	[LS_LISTENING] = "listening",
	[LS_READY] = "ready",
};

struct pg_lsn {
	struct store_listener *l;   /* its owner */
	char *uri;
	char *host, *hostaddr, *port;  /* store_pg_addr's, or NULL */
	char *listen;              /* "LISTEN a;LISTEN b" */
	PGconn *conn;
	int fd;                    /* watched; -1: none */
	enum lsn_state state;
	struct tmr tmr;            /* the next attempt, or its deadline */
	int64_t backoff;           /* ms */
};

static void attempt(void *arg);


static void conn_close(struct pg_lsn *p)
{
	if (p->fd >= 0)
		fd_close(p->fd);
	p->fd = -1;
	if (p->conn)
		PQfinish(p->conn);
	p->conn = NULL;
}


/* Why, in the log (the connection's first line: no values in it): a
 * warning when a connection is lost, the failed retries in debug; then
 * the next attempt after the backoff. */
static void lost(struct pg_lsn *p, const char *why)
{
	const char *m = p->conn ? PQerrorMessage(p->conn) : "";
	int n = (int)strcspn(m, "\n");

	if (p->backoff)
		log_debug("listener: %s (%s): %.*s", why,
			  lsn_state_names[p->state], n, m);
	else
		log_warn("listener: %s (%s): %.*s", why,
			 lsn_state_names[p->state], n, m);
	conn_close(p);
	p->state = LS_WAITING;
	p->backoff = store_pg_backoff(p->backoff);
	tmr_start(&p->tmr, (uint64_t)p->backoff, attempt, p);
}


static void sock_h(int flags, void *arg);


/* Watch the connection's socket for flags. While connecting libpq may
 * close one socket and open another (the next address), perhaps with
 * the same number: then it is watched anew. */
static int watch(struct pg_lsn *p, int flags)
{
	int fd = PQsocket(p->conn);

	if (fd < 0)
		return EBADF;
	if (p->fd >= 0 && (p->fd != fd || p->state == LS_CONNECTING))
		fd_close(p->fd);
	p->fd = fd;

	return fd_listen(fd, flags, sock_h, p);
}


/* Send what libpq holds; then wait to read (and to write, if more). */
static int flush_out(struct pg_lsn *p)
{
	int r = PQflush(p->conn);

	if (r < 0)
		return EIO;

	return watch(p, r ? FD_READ | FD_WRITE : FD_READ);
}


/* "LISTEN a;LISTEN b", each name quoted by PQescapeIdentifier, which
 * needs the connection (its encoding): made once connected */
static int listen_sql(struct pg_lsn *p)
{
	struct mbuf *mb = mbuf_alloc(128);
	const struct store_listener *l = p->l;
	size_t i;
	int err = mb ? 0 : ENOMEM;

	for (i = 0; i < l->n && !err; i++) {
		char *q = PQescapeIdentifier(p->conn, l->channels[i],
					     strlen(l->channels[i]));

		err = q ? mbuf_printf(mb, "%sLISTEN %s", i ? ";" : "", q)
			: EINVAL;
		PQfreemem(q);
	}
	if (!err) {
		mb->pos = 0;
		p->listen = mem_deref(p->listen);
		err = mbuf_strdup(mb, &p->listen, mb->end);
	}
	mem_deref(mb);

	return err;
}


static void connected(struct pg_lsn *p)
{
	p->state = LS_LISTENING;
	if (listen_sql(p) || PQsetnonblocking(p->conn, 1) ||
	    !PQsendQuery(p->conn, p->listen) || flush_out(p))
		lost(p, "cannot send LISTEN");
}


static void connect_poll(struct pg_lsn *p)
{
	switch (PQconnectPoll(p->conn)) {

	case PGRES_POLLING_READING:
		if (watch(p, FD_READ))
			lost(p, "cannot watch its socket");
		break;

	case PGRES_POLLING_WRITING:
		if (watch(p, FD_WRITE))
			lost(p, "cannot watch its socket");
		break;

	case PGRES_POLLING_OK:
		connected(p);
		break;

	default:
		lost(p, "cannot connect");
		break;
	}
}


/* The LISTEN query's results, as far as they came; true once all did
 * (then the user resyncs). */
static int listen_results(struct pg_lsn *p, bool *donep)
{
	PGresult *res;
	bool ok;

	*donep = false;
	while (!PQisBusy(p->conn)) {
		res = PQgetResult(p->conn);
		if (!res) {
			*donep = true;
			return 0;
		}
		ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		PQclear(res);
		if (!ok)
			return EPROTO;
	}

	return 0;
}


static void readable(struct pg_lsn *p)
{
	struct store_listener *l = p->l;
	PGnotify *n;
	bool done;

	if (!PQconsumeInput(p->conn) || PQstatus(p->conn) != CONNECTION_OK) {
		lost(p, "connection lost");
		return;
	}

	if (p->state == LS_LISTENING) {
		if (listen_results(p, &done)) {
			lost(p, "LISTEN refused");
			return;
		}
		if (!done)
			return;
		if (p->backoff)
			log_info("listener: connected again");
		p->state = LS_READY;
		p->backoff = 0;
		tmr_cancel(&p->tmr);
		l->resynch(l->arg);
	}

	while ((n = PQnotifies(p->conn))) {
		store_listener_heard(l, n->relname, n->extra);
		PQfreemem(n);
	}
}


static void sock_h(int flags, void *arg)
{
	struct pg_lsn *p = arg;

	if (p->state == LS_CONNECTING) {
		connect_poll(p);
		return;
	}

	if ((flags & FD_WRITE) && flush_out(p)) {
		lost(p, "cannot send");
		return;
	}
	if (flags & (FD_READ | FD_EXCEPT))
		readable(p);
}


static void deadline_h(void *arg)
{
	lost(arg, "timed out");
}


/* libpq leaves connect_timeout to the caller of PQconnectPoll: the
 * connection's own (the URI's, else pg.c's), in ms; 0: none */
static uint64_t connect_timeout(PGconn *conn)
{
	PQconninfoOption *o = PQconninfo(conn), *i;
	uint64_t ms = 0;

	for (i = o; i && i->keyword; i++) {
		if (!strcmp(i->keyword, "connect_timeout") && i->val)
			ms = 1000 * strtoull(i->val, NULL, 10);
	}
	PQconninfoFree(o);

	return ms;
}


static void attempt(void *arg)
{
	struct pg_lsn *p = arg;
	struct store_pg_addr addr = {p->host, p->hostaddr, p->port};
	const char *vals[STORE_PG_KEYS];
	const char *const *keys = store_pg_conn_params(vals, p->uri,
						       p->hostaddr ? &addr :
						       NULL);
	uint64_t ms;

	p->state = LS_CONNECTING;
	p->conn = PQconnectStartParams(keys, vals, 1);
	if (!p->conn || PQstatus(p->conn) == CONNECTION_BAD) {
		lost(p, "cannot connect");
		return;
	}

	/* connected and listening by then, or it starts again */
	ms = connect_timeout(p->conn);
	if (ms)
		tmr_start(&p->tmr, ms, deadline_h, p);

	/* libpq's start: as if the poll had asked to write */
	if (watch(p, FD_WRITE))
		lost(p, "cannot watch its socket");
}


static void lsn_destructor(void *arg)
{
	struct pg_lsn *p = arg;

	tmr_cancel(&p->tmr);
	conn_close(p);
	mem_deref(p->listen);
	mem_deref(p->uri);
	mem_deref(p->host);
	mem_deref(p->hostaddr);
	mem_deref(p->port);
}


int store_pg_listen(struct store_listener *l, const char *uri,
		    const struct store_pg_addr *addr)
{
	struct pg_lsn *p;
	int err;

	p = mem_zalloc(sizeof(*p), lsn_destructor);
	if (!p)
		return ENOMEM;
	p->l = l;
	p->fd = -1;
	tmr_init(&p->tmr);

	err = str_dup(&p->uri, uri);
	if (!err && addr && addr->hostaddr) {
		err = str_dup(&p->host, addr->host);
		if (!err)
			err = str_dup(&p->hostaddr, addr->hostaddr);
		if (!err)
			err = str_dup(&p->port, addr->port);
	}
	if (err) {
		mem_deref(p);
		return err;
	}

	/* on the loop, not here (it is the caller's turn) */
	tmr_start(&p->tmr, 0, attempt, p);
	l->pg = p;

	return 0;
}
