/*
 * The cluster module's parts that need no store: the role names and the
 * default node id. Leading on SQLite is exercised by every integration
 * test; on PostgreSQL by tests/integration/cluster.sh.
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
