/*
 * Host names for a remote dialer: the URL, a name's syntax, a hosts file
 * and lists of name servers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <re.h>
#include "app/app_int.h"
#include "test.h"


TEST(resolve_hostname_syntax)
{
	static const struct {
		const char *name;
		bool ok;
	} v[] = {
		{"dialer", true},
		{"dialer-1.prod.example.com", true},
		{"dialer.example.com.", true},
		{"1.example", true},
		{"", false},
		{"-dialer", false},
		{"dialer-", false},
		{"dialer-.example", false},
		{"a..b", false},
		{".a", false},
		{"dial_er", false},
		{"dialer example", false},
		{"xn--bcher-kva.example", true},
		{"a0123456789012345678901234567890123456789012345678901234567"
		 "890123.b", false},   /* a label of 64 */
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		if (app_hostname_valid(v[i].name, strlen(v[i].name)) !=
		    v[i].ok) {
			fprintf(stderr, "  '%s'\n", v[i].name);
			TEST_ASSERT(false);
		}
	}

	return 0;
}


TEST(resolve_url)
{
	char host[APP_HOST_MAX];
	struct sa sa;

	TEST_EQ_INT(app_remote_parse(&sa, host, sizeof(host),
				     "tcp://127.0.0.1:5080"), 0);
	TEST_EQ_STR(host, "");
	TEST_EQ_INT(sa_port(&sa), 5080);
	TEST_ASSERT(sa_isset(&sa, SA_ADDR));

	TEST_EQ_INT(app_remote_parse(&sa, host, sizeof(host),
				     "tcp://[::1]:5080"), 0);
	TEST_EQ_INT(sa_af(&sa), AF_INET6);

	TEST_EQ_INT(app_remote_parse(&sa, host, sizeof(host),
				     "tcp://dialer.prod.example:5080"), 0);
	TEST_EQ_STR(host, "dialer.prod.example");
	TEST_EQ_INT(sa_port(&sa), 5080);

	TEST_EQ_INT(app_remote_parse(&sa, host, sizeof(host),
				     "tcp://dialer:0"), EINVAL);
	TEST_EQ_INT(app_remote_parse(&sa, host, sizeof(host),
				     "tcp://dialer:70000"), EINVAL);
	TEST_EQ_INT(app_remote_parse(&sa, host, sizeof(host),
				     "tcp://dialer"), EINVAL);
	TEST_EQ_INT(app_remote_parse(&sa, host, sizeof(host),
				     "tcp://dia ler:5080"), EINVAL);
	TEST_EQ_INT(app_remote_parse(&sa, host, sizeof(host),
				     "tcp://dialer:5080x"), EINVAL);
	TEST_EQ_INT(app_remote_parse(&sa, host, sizeof(host),
				     "udp://dialer:5080"), EINVAL);

	return 0;
}


TEST(resolve_hosts_file)
{
	char path[] = "/tmp/beckon-hosts-XXXXXX";
	struct sa sa;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	TEST_ASSERT(fd >= 0);
	f = fdopen(fd, "w");
	TEST_ASSERT(f != NULL);
	fputs("# a comment dialer\n"
	      "127.0.0.1\tlocalhost\n"
	      "10.1.2.3  dialer  dialer.prod.example # the dialer\n"
	      "10.9.9.9  dialer\n"
	      "fd00::5   dialer6\n"
	      "not-an-ip broken\n", f);
	fclose(f);

	TEST_EQ_INT(app_hosts_lookup(&sa, "dialer", path), 0);
	TEST_ASSERT(sa_in(&sa) == 0x0a010203);   /* the first line wins */
	TEST_EQ_INT(app_hosts_lookup(&sa, "DIALER.prod.example", path), 0);
	TEST_ASSERT(sa_in(&sa) == 0x0a010203);
	TEST_EQ_INT(app_hosts_lookup(&sa, "dialer6", path), 0);
	TEST_EQ_INT(sa_af(&sa), AF_INET6);
	TEST_EQ_INT(app_hosts_lookup(&sa, "comment", path), ENOENT);
	TEST_EQ_INT(app_hosts_lookup(&sa, "the", path), ENOENT);
	TEST_EQ_INT(app_hosts_lookup(&sa, "broken", path), ENOENT);
	TEST_EQ_INT(app_hosts_lookup(&sa, "dialer", "/nonexistent/hosts"),
		    ENOENT);

	unlink(path);

	return 0;
}


TEST(resolve_server_list)
{
	struct sa v[3];
	uint32_t n = ARRAY_SIZE(v);

	TEST_EQ_INT(app_addr_list(v, &n, "10.0.0.2, 10.0.0.3:5353 [::1]:54",
				  53), 0);
	TEST_EQ_INT(n, 3);
	TEST_EQ_INT(sa_port(&v[0]), 53);
	TEST_EQ_INT(sa_port(&v[1]), 5353);
	TEST_EQ_INT(sa_af(&v[2]), AF_INET6);
	TEST_EQ_INT(sa_port(&v[2]), 54);

	n = ARRAY_SIZE(v);
	TEST_EQ_INT(app_addr_list(v, &n, "::1", 53), 0);
	TEST_EQ_INT(n, 1);
	TEST_EQ_INT(sa_af(&v[0]), AF_INET6);
	TEST_EQ_INT(sa_port(&v[0]), 53);

	n = ARRAY_SIZE(v);
	TEST_EQ_INT(app_addr_list(v, &n, "ns.example", 53), EINVAL);
	n = ARRAY_SIZE(v);
	TEST_EQ_INT(app_addr_list(v, &n, " , ", 53), EINVAL);
	n = 2;
	TEST_EQ_INT(app_addr_list(v, &n, "1.1.1.1 2.2.2.2 3.3.3.3", 53),
		    EINVAL);

	return 0;
}
