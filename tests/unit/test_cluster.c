/*
 * The cluster module's parts that need no store: the role names, the
 * default node id, cluster_url and the relayed head. Leading on SQLite
 * is exercised by every integration test; on PostgreSQL by
 * tests/integration/cluster.sh (and the relay by cluster_relay.sh).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include "util/util.h"
#include "cluster/cluster.h"
#include "test.h"


TEST(cluster_role_names)
{
	TEST_EQ_STR(cluster_role_name(CLUSTER_LEADER), "leader");
	TEST_EQ_STR(cluster_role_name(CLUSTER_FOLLOWER), "follower");
	TEST_EQ_STR(cluster_role_name((enum cluster_role)7), "?");
	TEST_EQ_STR(cluster_role_name(cluster_role(NULL)), "follower");
	TEST_ASSERT(!cluster_leads(NULL));

	return 0;
}


TEST(cluster_node_default_host_port)
{
	char host[128], want[160], buf[CLUSTER_NODE_MAX];

	TEST_EQ_INT(gethostname(host, sizeof(host)), 0);
	host[sizeof(host) - 1] = '\0';
	re_snprintf(want, sizeof(want), "%s:8080", host);

	TEST_EQ_INT(cluster_node_default(buf, sizeof(buf),
					 "127.0.0.1:8080"), 0);
	TEST_EQ_STR(buf, want);
	re_snprintf(want, sizeof(want), "%s:9", host);
	TEST_EQ_INT(cluster_node_default(buf, sizeof(buf), "[::1]:9"), 0);
	TEST_EQ_STR(buf, want);
	TEST_EQ_INT(cluster_node_default(buf, sizeof(buf), "nonsense"),
		    EINVAL);
	TEST_EQ_INT(cluster_node_default(buf, 4, "127.0.0.1:8080"),
		    ENOSPC);

	return 0;
}


TEST(cluster_url_checked)
{
	char buf[CLUSTER_URL_MAX];
	struct sa sa;

	TEST_EQ_INT(cluster_url_parse("http://10.0.0.5:8080", &sa), 0);
	TEST_EQ_INT(sa_port(&sa), 8080);
	TEST_EQ_INT(cluster_url_parse("http://10.0.0.5:8080/", &sa), 0);
	TEST_EQ_INT(cluster_url_parse("http://[::1]:9/", &sa), 0);
	TEST_EQ_INT(sa_port(&sa), 9);
	/* nothing else: HTTPS, names, paths, no port, all interfaces */
	TEST_EQ_INT(cluster_url_parse("https://10.0.0.5:8080", &sa), EINVAL);
	TEST_EQ_INT(cluster_url_parse("http://web1:8080", &sa), EINVAL);
	TEST_EQ_INT(cluster_url_parse("http://10.0.0.5:8080/x", &sa),
		    EINVAL);
	TEST_EQ_INT(cluster_url_parse("http://10.0.0.5", &sa), EINVAL);
	TEST_EQ_INT(cluster_url_parse("http://10.0.0.5:0", &sa), EINVAL);
	TEST_EQ_INT(cluster_url_parse("http://0.0.0.0:8080", &sa), EINVAL);
	TEST_EQ_INT(cluster_url_parse("http://[::]:8080", &sa), EINVAL);
	TEST_EQ_INT(cluster_url_parse("http://", &sa), EINVAL);
	TEST_EQ_INT(cluster_url_parse("", &sa), EINVAL);

	/* the default: http_listen's, unless it is all interfaces */
	TEST_EQ_INT(cluster_url_resolve(buf, sizeof(buf), "",
					"127.0.0.1:8080"), 0);
	TEST_EQ_STR(buf, "http://127.0.0.1:8080");
	TEST_EQ_INT(cluster_url_resolve(buf, sizeof(buf), "",
					"0.0.0.0:8080"), EINVAL);
	TEST_EQ_INT(cluster_url_resolve(buf, sizeof(buf),
					"http://10.0.0.5:80",
					"0.0.0.0:8080"), 0);
	TEST_EQ_STR(buf, "http://10.0.0.5:80");
	TEST_EQ_INT(cluster_url_resolve(buf, 8, "http://10.0.0.5:80",
					"0.0.0.0:8080"), ENAMETOOLONG);

	return 0;
}


static int relay_head(char *out, size_t sz, const char *head)
{
	struct mbuf *mb = mbuf_alloc(512);
	struct pl pl;
	int err;

	if (!mb)
		return ENOMEM;
	pl_set_str(&pl, head);
	err = cluster_relay_head(mb, &pl, "192.0.2.7", "s3cret");
	if (!err && mb->end >= sz)
		err = ENOSPC;
	if (!err) {
		memcpy(out, mb->buf, mb->end);
		out[mb->end] = '\0';
	}
	mem_deref(mb);

	return err;
}


TEST(cluster_relay_head_rewritten)
{
	char out[512];

	/* what only a node may say goes; the client's address and the
	 * proof come; a plain request keeps the connection (the relay
	 * reuses it) and waits for no 100 Continue */
	TEST_EQ_INT(relay_head(out, sizeof(out),
			       "POST /agent/api/state HTTP/1.1\r\n"
			       "Host: n2\r\n"
			       "x-forwarded-for: 203.0.113.9\r\n"
			       "X-Beckon-Relay: forged\r\n"
			       "Connection: keep-alive\r\n"
			       "Keep-Alive: timeout=5\r\n"
			       "Expect: 100-continue\r\n"
			       "Content-Length: 2\r\n\r\n"), 0);
	TEST_EQ_STR(out, "POST /agent/api/state HTTP/1.1\r\n"
		    "Host: n2\r\n"
		    "Content-Length: 2\r\n"
		    "X-Forwarded-For: 192.0.2.7\r\n"
		    "X-Beckon-Relay: s3cret\r\n"
		    "Connection: keep-alive\r\n\r\n");

	/* a WebSocket keeps its Connection: Upgrade; bare LFs are read */
	TEST_EQ_INT(relay_head(out, sizeof(out),
			       "GET /agent/ws HTTP/1.1\n"
			       "Upgrade: websocket\n"
			       "Connection: Upgrade\n"
			       "X-Forwarded-For-Not: kept\n\n"), 0);
	TEST_EQ_STR(out, "GET /agent/ws HTTP/1.1\r\n"
		    "Upgrade: websocket\r\n"
		    "Connection: Upgrade\r\n"
		    "X-Forwarded-For-Not: kept\r\n"
		    "X-Forwarded-For: 192.0.2.7\r\n"
		    "X-Beckon-Relay: s3cret\r\n\r\n");

	TEST_EQ_INT(relay_head(out, sizeof(out), "\r\n"), EBADMSG);

	return 0;
}


TEST(cluster_relay_answer_hdrs)
{
	struct mbuf *mb = mbuf_alloc(256);
	struct pl pl, out;
	int err;

	TEST_ASSERT(mb != NULL);
	/* what httpd_reply writes for the client's own connection goes:
	 * the status line, the leader's connection options, the framing */
	pl_set_str(&pl, "HTTP/1.1 200 OK\r\n"
		   "Content-Length: 2\r\n"
		   "Content-Type: application/json\r\n"
		   "connection: keep-alive\r\n"
		   "Keep-Alive: timeout=60\r\n"
		   "Transfer-Encoding: chunked\r\n"
		   "Set-Cookie: a=b\r\n"
		   "Retry-After: 1\r\n\r\n");
	err = cluster_relay_answer_hdrs(mb, &pl);
	TEST_EQ_INT(err, 0);
	out.p = (const char *)mb->buf;
	out.l = mb->end;
	TEST_EQ_INT(pl_strcmp(&out, "Set-Cookie: a=b\r\n"
			      "Retry-After: 1\r\n"), 0);
	mem_deref(mb);

	return 0;
}
