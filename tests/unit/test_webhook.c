/*
 * webhook: the endpoint URL's rules, the addresses refused by default
 * (no SSRF from a business's settings), the event catalogue, and the
 * sender's shutdown.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include "store/store.h"
#include "webhook/webhook.h"
#include "test.h"


TEST(webhook_url_rules)
{
	static const char *const bad[] = {
		"ftp://crm.example/h", "crm.example/h", "https://",
		"https://user:pw@crm.example/h", "https://crm.example/h#x",
		"https://crm.example:0/h", "https://crm.example:65536/",
		"https://crm example/", "https://[::1/h", "https://[nope]/",
		"https://crm.example/h\x7f", "https://cr_m.example/",
	};
	struct webhook_url u;
	const char *why = NULL;
	size_t i;

	TEST_EQ_INT(webhook_url_parse(&u, "https://crm.example/hooks?a=1",
				      &why), 0);
	TEST_ASSERT(u.tls);
	TEST_EQ_STR(u.host, "crm.example");
	TEST_ASSERT(!u.host_is_addr);
	TEST_EQ_INT(u.port, 443);
	TEST_EQ_STR(u.path, "/hooks?a=1");

	TEST_EQ_INT(webhook_url_parse(&u, "http://127.0.0.1:8089", &why), 0);
	TEST_ASSERT(!u.tls);
	TEST_ASSERT(u.host_is_addr);
	TEST_EQ_INT(u.port, 8089);
	TEST_EQ_STR(u.path, "");

	TEST_EQ_INT(webhook_url_parse(&u, "HTTPS://[2001:db8::1]:8443/x",
				      &why), 0);
	TEST_EQ_STR(u.host, "2001:db8::1");
	TEST_ASSERT(u.host_is_addr);
	TEST_EQ_INT(u.port, 8443);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (!webhook_url_parse(&u, bad[i], &why)) {
			fprintf(stderr, "  accepted: %s\n", bad[i]);
			return EINVAL;
		}
		TEST_ASSERT(why && *why);
	}

	return 0;
}


TEST(webhook_private_addresses)
{
	static const char *const refused[] = {
		"127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1",
		"172.31.255.255", "192.168.1.1", "169.254.169.254",
		"100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255",
		"::1", "::", "fc00::1", "fd12::1", "fe80::1", "ff02::1",
		"::ffff:127.0.0.1", "::ffff:10.0.0.1",
	};
	static const char *const allowed[] = {
		"8.8.8.8", "172.15.255.255", "172.32.0.1", "100.128.0.1",
		"192.169.0.1", "2001:db8::1", "2a00:1450::1",
		"::ffff:8.8.8.8",
	};
	struct sa sa;
	size_t i;

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		TEST_EQ_INT(sa_set_str(&sa, refused[i], 80), 0);
		if (!webhook_addr_private(&sa)) {
			fprintf(stderr, "  not refused: %s\n", refused[i]);
			return EINVAL;
		}
	}
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		TEST_EQ_INT(sa_set_str(&sa, allowed[i], 80), 0);
		if (webhook_addr_private(&sa)) {
			fprintf(stderr, "  refused: %s\n", allowed[i]);
			return EINVAL;
		}
	}

	return 0;
}


TEST(webhook_event_catalogue)
{
	const char *bad = NULL;
	size_t n = 0;

	TEST_ASSERT(webhook_event_known("callback.created", 16));
	TEST_ASSERT(webhook_event_known("callback.ended", 14));
	TEST_ASSERT(!webhook_event_known("callback.", 9));
	TEST_ASSERT(!webhook_event_known("created", 7));
	TEST_ASSERT(!webhook_event_known("callback.createdx", 17));
	TEST_EQ_INT(webhook_events_check("", &bad, &n), 0);
	TEST_EQ_INT(webhook_events_check(" callback.created  callback.ended ",
					 &bad, &n), 0);
	TEST_EQ_INT(webhook_events_check("callback.created callback.nope",
					 &bad, &n), EINVAL);
	TEST_EQ_INT(n, 13);
	TEST_ASSERT(!strncmp(bad, "callback.nope", n));

	return 0;
}


static void flush_h(int err, void *arg)
{
	(void)err;
	++*(int *)arg;
}


/* The sender freed while its read of the outbox is queued in the store
 * (a shutdown: the store is flushed after the sender is gone): the read
 * comes back to nobody. Before, it wrote into the freed sender (ASan:
 * heap-use-after-free; a plain build: "corrupted size" at exit). */
TEST(webhook_sender_freed_with_a_read_out)
{
	char dir[] = "/tmp/beckon-sender-XXXXXX", url[128], p[160];
	struct webhook_sender_conf conf;
	struct webhook_sender *s = NULL;
	struct store *st = NULL;
	int pinged = 0;

	TEST_ASSERT(mkdtemp(dir));
	re_snprintf(url, sizeof(url), "sqlite:%s/t.db", dir);
	TEST_EQ_INT(store_open(&st, url, 100), 0);

	memset(&conf, 0, sizeof(conf));
	conf.concurrency = 2;
	conf.timeout_ms = 1000;
	conf.retry_min_s = 1;
	conf.retry_hours = 24;
	TEST_EQ_INT(webhook_sender_alloc(&s, st, &conf), 0);

	webhook_sender_poll(s);
	TEST_EQ_INT(store_ping(st, flush_h, &pinged), 0);
	s = mem_deref(s);
	TEST_EQ_INT(store_flush(st), 0);
	TEST_EQ_INT(pinged, 1);

	mem_deref(st);
	re_snprintf(p, sizeof(p), "%s/t.db", dir);
	unlink(p);
	re_snprintf(p, sizeof(p), "%s/t.db-wal", dir);
	unlink(p);
	re_snprintf(p, sizeof(p), "%s/t.db-shm", dir);
	unlink(p);
	rmdir(dir);

	return 0;
}
