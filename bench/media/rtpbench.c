/*
 * rtpbench: the two ends of bench/media.
 *
 *   rtpbench gen [-l PORT] PORTFILE WARM SECONDS [PID...]
 *       RTP to every port of PORTFILE (127.0.0.1, one port a line) at
 *       50 packets a second each (20 ms of PCMU), from one socket (bound
 *       to PORT, else to any), and count what comes back to it. A relay
 *       latches onto this socket for both legs of each call, so every
 *       packet relayed comes back here. WARM seconds first (latching,
 *       not counted), then SECONDS measured: prints "sent N received M
 *       cpu_ticks T..." where each T is the CPU (user + system clock
 *       ticks, all threads) of one PID during the measured seconds.
 *
 *   rtpbench relay PAIRS PORTFILE
 *       The bare relay: PAIRS pairs of UDP sockets on 127.0.0.1; what one
 *       socket of a pair receives is sent from the other to the address
 *       that last sent to it (symmetric latching), nothing else: epoll,
 *       recvfrom, sendto. Writes its ports to PORTFILE, runs until
 *       SIGTERM, then prints "relayed N".
 *
 * Packets carry a phase byte (0: warm-up, 1: measured) that a relay
 * passes through untouched, so a packet is counted by when it was sent.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

enum {
	PKT = 12 + 160,         /* RTP header and 20 ms of PCMU */
	PPS = 50,
	BATCH = 256,
	MAXPORTS = 65536,
	MAXPIDS = 8,
	SOCKBUF = 64 * 1024 * 1024,
};

static volatile sig_atomic_t stop;


static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}


static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}


static long cpu_ticks(const char *pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;
	int i;

	if (!pid)
		return 0;
	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);

	/* after the command's ")", fields 3.. are space separated */
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	for (i = 2; i < 14 && p; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%lu %lu", &ut, &st) != 2)
		return -1;

	return (long)(ut + st);
}


static int udp_socket(uint16_t port)
{
	struct sockaddr_in sin;
	int fd, sz = SOCKBUF;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)))
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		close(fd);
		return -1;
	}

	return fd;
}


static uint16_t sock_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (getsockname(fd, (struct sockaddr *)&sin, &len))
		return 0;
	return ntohs(sin.sin_port);
}


/* ---- the generator */

struct stream {
	struct sockaddr_in dst;
	uint16_t seq;
	uint32_t ts;
};


static size_t read_ports(const char *path, struct stream **sp)
{
	struct stream *s;
	size_t n = 0;
	unsigned port;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return 0;
	s = calloc(MAXPORTS, sizeof(*s));
	if (!s) {
		fclose(f);
		return 0;
	}
	while (n < MAXPORTS && fscanf(f, "%u", &port) == 1) {
		if (!port || port > 65535)
			continue;
		s[n].dst.sin_family = AF_INET;
		s[n].dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		s[n].dst.sin_port = htons((uint16_t)port);
		s[n].seq = (uint16_t)rand();
		s[n].ts = (uint32_t)rand();
		n++;
	}
	fclose(f);
	*sp = s;

	return n;
}


static void rtp_fill(uint8_t *pkt, struct stream *s, uint32_t ssrc,
		     uint8_t phase)
{
	pkt[0] = 0x80;
	pkt[1] = 0;                     /* PCMU */
	pkt[2] = (uint8_t)(s->seq >> 8);
	pkt[3] = (uint8_t)s->seq;
	pkt[4] = (uint8_t)(s->ts >> 24);
	pkt[5] = (uint8_t)(s->ts >> 16);
	pkt[6] = (uint8_t)(s->ts >> 8);
	pkt[7] = (uint8_t)s->ts;
	pkt[8] = (uint8_t)(ssrc >> 24);
	pkt[9] = (uint8_t)(ssrc >> 16);
	pkt[10] = (uint8_t)(ssrc >> 8);
	pkt[11] = (uint8_t)ssrc;
	memset(pkt + 12, 0xff, PKT - 12);   /* PCMU silence */
	pkt[12] = phase;
	++s->seq;
	s->ts += 160;
}


static unsigned long drain(int fd, uint8_t bufs[][PKT + 64],
			   struct mmsghdr *msgs, struct iovec *iov)
{
	unsigned long got = 0;
	int i, n;

	for (;;) {
		for (i = 0; i < BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = PKT + 64;
			memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			if (msgs[i].msg_len > 12 && bufs[i][12] == 1)
				++got;
		}
	}

	return got;
}


static void pids_ticks(long *t, char **pids, int npids)
{
	int i;

	for (i = 0; i < npids; i++)
		t[i] = cpu_ticks(pids[i]);
}


static int gen(uint16_t lport, const char *portfile, double warm,
	       double secs, char **pids, int npids)
{
	static uint8_t tx[BATCH][PKT + 64], rx[BATCH][PKT + 64];
	static struct mmsghdr tmsg[BATCH], rmsg[BATCH];
	static struct iovec tiov[BATCH], riov[BATCH];
	unsigned long sent = 0, recvd = 0;
	struct stream *s = NULL;
	uint64_t t0, tw, tend, done = 0;
	long c0[MAXPIDS], c1[MAXPIDS];
	int measuring = 0;
	size_t n, next = 0;
	int fd, i;

	n = read_ports(portfile, &s);
	if (!n) {
		fprintf(stderr, "rtpbench: no ports in %s\n", portfile);
		return 1;
	}

	fd = udp_socket(lport);
	if (fd < 0) {
		perror("rtpbench: socket");
		return 1;
	}

	t0 = now_ns();
	tw = t0 + (uint64_t)(warm * 1e9);
	tend = tw + (uint64_t)(secs * 1e9);

	for (;;) {
		uint64_t t = now_ns();
		uint64_t due;
		int k = 0;

		if (!measuring && t >= tw) {
			measuring = 1;
			pids_ticks(c0, pids, npids);
		}
		if (t >= tend)
			break;

		/* packets due since the start: n streams at PPS each */
		due = (t - t0) / 1000 * n * PPS / 1000000;
		while (done < due) {
			struct stream *st = &s[next];

			rtp_fill(tx[k], st, (uint32_t)next + 1,
				 (uint8_t)measuring);
			tiov[k].iov_base = tx[k];
			tiov[k].iov_len = PKT;
			memset(&tmsg[k].msg_hdr, 0, sizeof(tmsg[k].msg_hdr));
			tmsg[k].msg_hdr.msg_name = &st->dst;
			tmsg[k].msg_hdr.msg_namelen = sizeof(st->dst);
			tmsg[k].msg_hdr.msg_iov = &tiov[k];
			tmsg[k].msg_hdr.msg_iovlen = 1;
			++done;
			next = (next + 1) % n;
			if (++k == BATCH)
				break;
		}
		if (k) {
			int m = sendmmsg(fd, tmsg, (unsigned)k, 0);

			if (m > 0 && measuring)
				sent += (unsigned long)m;
		}

		recvd += drain(fd, rx, rmsg, riov);
		if (!k)
			usleep(200);
	}

	pids_ticks(c1, pids, npids);

	/* what is still on its way */
	{
		uint64_t until = now_ns() + 300000000ull;

		while (now_ns() < until) {
			recvd += drain(fd, rx, rmsg, riov);
			usleep(1000);
		}
	}

	printf("sent %lu received %lu cpu_ticks", sent, recvd);
	for (i = 0; i < npids; i++)
		printf(" %ld", c1[i] - c0[i]);
	printf("%s\n", npids ? "" : " 0");
	free(s);
	close(fd);

	return 0;
}


/* ---- the bare relay */

struct rsock {
	int fd;
	int other;                  /* index of the pair's other socket */
	struct sockaddr_in peer;
	int latched;
};


static int relay(int pairs, const char *portfile)
{
	struct epoll_event evs[256];
	unsigned long relayed = 0;
	struct rsock *rs;
	uint8_t buf[2048];
	FILE *f;
	int ep, i;

	rs = calloc((size_t)pairs * 2, sizeof(*rs));
	ep = epoll_create1(0);
	f = fopen(portfile, "w");
	if (!rs || ep < 0 || !f) {
		perror("rtpbench: relay");
		return 1;
	}

	for (i = 0; i < pairs * 2; i++) {
		struct epoll_event ev;

		rs[i].fd = udp_socket(0);
		if (rs[i].fd < 0) {
			perror("rtpbench: socket");
			return 1;
		}
		rs[i].other = i ^ 1;
		ev.events = EPOLLIN;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, rs[i].fd, &ev)) {
			perror("rtpbench: epoll_ctl");
			return 1;
		}
		fprintf(f, "%u\n", sock_port(rs[i].fd));
	}
	fclose(f);

	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);

	while (!stop) {
		int n = epoll_wait(ep, evs, 256, 100);

		for (i = 0; i < n; i++) {
			struct rsock *a = &rs[evs[i].data.u32];
			struct rsock *b = &rs[a->other];

			for (;;) {
				struct sockaddr_in src;
				socklen_t sl = sizeof(src);
				ssize_t len;

				len = recvfrom(a->fd, buf, sizeof(buf),
					       MSG_DONTWAIT,
					       (struct sockaddr *)&src, &sl);
				if (len < 0)
					break;
				a->peer = src;
				a->latched = 1;
				if (!b->latched)
					continue;
				if (sendto(b->fd, buf, (size_t)len, 0,
					   (struct sockaddr *)&b->peer,
					   sizeof(b->peer)) == len)
					++relayed;
			}
		}
	}

	printf("relayed %lu\n", relayed);

	return 0;
}


static int gen_main(int argc, char *argv[])
{
	uint16_t lport = 0;

	if (argc >= 2 && !strcmp(argv[0], "-l")) {
		lport = (uint16_t)atoi(argv[1]);
		argc -= 2;
		argv += 2;
	}
	if (argc < 3 || argc > 3 + MAXPIDS)
		return -1;

	return gen(lport, argv[0], atof(argv[1]), atof(argv[2]), argv + 3,
		   argc - 3);
}


int main(int argc, char *argv[])
{
	int err;

	if (argc >= 2 && !strcmp(argv[1], "gen")) {
		err = gen_main(argc - 2, argv + 2);
		if (err >= 0)
			return err;
	}

	if (argc == 4 && !strcmp(argv[1], "relay"))
		return relay(atoi(argv[2]), argv[3]);

	fprintf(stderr, "usage: rtpbench gen [-l PORT] PORTFILE WARM SECONDS "
		"[PID...]\n"
		"       rtpbench relay PAIRS PORTFILE\n");
	return 2;
}
