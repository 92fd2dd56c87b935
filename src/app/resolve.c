/*
 * Host names for the links beckon opens itself (a remote dialer): their
 * syntax, /etc/hosts, and lists of name servers. The DNS queries are
 * libre's (asynchronous, in remote.c); these parts never block on the
 * network.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#include "app/app_int.h"


bool app_hostname_valid(const char *p, size_t len)
{
	size_t label = 0, i;

	if (!p || !len || len > APP_HOST_MAX - 1)
		return false;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '.') {
			/* an empty label, or one ending in a hyphen */
			if (!label || p[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isalnum(c) && !(c == '-' && label))
			return false;
		if (++label > 63)
			return false;
	}

	/* a trailing dot (the root) is allowed, a trailing hyphen is not */
	return p[len - 1] != '-';
}


int app_hosts_lookup(struct sa *sa, const char *name, const char *path)
{
	char line[512];
	FILE *f;
	int err = ENOENT;

	if (!sa || !name || !path)
		return EINVAL;

	f = fopen(path, "r");
	if (!f)
		return errno;

	while (err == ENOENT && fgets(line, sizeof(line), f)) {
		char *save = NULL, *addr, *h;

		line[strcspn(line, "#\n")] = '\0';
		addr = strtok_r(line, " \t", &save);
		if (!addr)
			continue;

		while ((h = strtok_r(NULL, " \t", &save))) {
			if (strcasecmp(h, name))
				continue;
			if (!sa_set_str(sa, addr, 0))
				err = 0;
			break;
		}
	}

	fclose(f);

	return err;
}


int app_addr_list(struct sa *v, uint32_t *np, const char *list,
		  uint16_t defport)
{
	uint32_t n = 0;
	const char *p = list;

	if (!v || !np || !list)
		return EINVAL;

	while (*p) {
		size_t len;
		char one[64];

		p += strspn(p, ", \t");
		len = strcspn(p, ", \t");
		if (!len)
			break;
		if (len >= sizeof(one) || n >= *np)
			return EINVAL;

		memcpy(one, p, len);
		one[len] = '\0';
		p += len;

		/* with a port (1.2.3.4:53, [::1]:53), or without */
		if (sa_decode(&v[n], one, len) &&
		    sa_set_str(&v[n], one, defport))
			return EINVAL;
		if (!sa_port(&v[n]))
			sa_set_port(&v[n], defport);
		n++;
	}

	if (!n)
		return EINVAL;

	*np = n;

	return 0;
}
