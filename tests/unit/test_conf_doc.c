/*
 * etc/beckon.conf is the documentation of every configuration key: these
 * tests fail, naming the key, when a key of cfg_keys() or
 * cfg_business_keys() is missing from it, when a commented-out global key
 * shows a value other than its default, and when the file does not load.
 *
 * A key is "in" the file when a line holds it as "key value" or, commented
 * out, as "# key value" (or the key alone, for an empty default). Global
 * keys must appear before the first "[business ID]" line, business keys
 * after it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "cfg/cfg.h"
#include "test.h"

enum { CONF_MAX = 1 << 20 };

struct conf_text {
	char *buf;
	size_t len;
	size_t sections;     /* offset of the first section line, or len */
};


static void conf_path(char *path, size_t sz)
{
	const char *src = getenv("BECKON_SRC");

	(void)snprintf(path, sz, "%s/etc/beckon.conf",
		       src && *src ? src : ".");
}


static int conf_read(struct conf_text *ct, const char *path)
{
	FILE *f;
	size_t n;
	int err = 0;

	memset(ct, 0, sizeof(*ct));

	f = fopen(path, "r");
	if (!f) {
		err = errno;
		fprintf(stderr, "  cannot open %s: %s\n", path, strerror(err));
		return err;
	}

	ct->buf = malloc(CONF_MAX + 1);
	if (!ct->buf) {
		err = ENOMEM;
		goto out;
	}

	n = fread(ct->buf, 1, CONF_MAX, f);
	if (ferror(f) || n == CONF_MAX) {
		fprintf(stderr, "  cannot read %s whole\n", path);
		err = EIO;
		goto out;
	}
	ct->buf[n] = '\0';
	ct->len = n;

 out:
	fclose(f);
	if (err) {
		free(ct->buf);
		ct->buf = NULL;
	}

	return err;
}


static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}


/*
 * Walk the lines of ct->buf from *posp: the next line as [*linep,
 * *linep + *lenp) without its newline. Returns false at the end.
 */
static bool next_line(const struct conf_text *ct, size_t *posp,
		      const char **linep, size_t *lenp)
{
	const char *p, *nl;

	if (*posp >= ct->len)
		return false;

	p = ct->buf + *posp;
	nl = memchr(p, '\n', ct->len - *posp);
	*linep = p;
	*lenp = nl ? (size_t)(nl - p) : ct->len - *posp;
	*posp += *lenp + (nl ? 1 : 0);

	while (*lenp && ((*linep)[*lenp - 1] == '\r' ||
			 is_blank((*linep)[*lenp - 1])))
		--*lenp;

	return true;
}


/* the offset of the first "[" line: where the sections start */
static size_t first_section(const struct conf_text *ct)
{
	const char *line;
	size_t pos = 0, len, at;

	for (at = 0; next_line(ct, &pos, &line, &len); at = pos) {
		while (len && is_blank(*line)) {
			++line;
			--len;
		}
		if (len && line[0] == '[')
			return at;
	}

	return ct->len;
}


/*
 * Find key in [from, to) of the text as "key value" or "# key value".
 * Returns true if found, with whether it is commented out and its value
 * (trimmed, possibly empty) from the first such line.
 */
static bool key_find(const struct conf_text *ct, size_t from, size_t to,
		     const char *key, bool *commentedp, const char **valp,
		     size_t *vlenp)
{
	size_t klen = strlen(key);
	const char *line;
	size_t pos = from, len;

	while (pos < to && next_line(ct, &pos, &line, &len)) {
		bool commented = false;

		while (len && is_blank(*line)) {
			++line;
			--len;
		}
		if (len && *line == '#') {
			commented = true;
			++line;
			--len;
			while (len && is_blank(*line)) {
				++line;
				--len;
			}
		}

		if (len < klen || strncmp(line, key, klen) ||
		    (len > klen && !is_blank(line[klen])))
			continue;

		line += klen;
		len -= klen;
		while (len && is_blank(*line)) {
			++line;
			--len;
		}

		*commentedp = commented;
		*valp = line;
		*vlenp = len;

		return true;
	}

	return false;
}


TEST(conf_doc_global_keys)
{
	struct conf_text ct;
	char path[512];
	const struct cfg_key *keys;
	size_t n, i;
	int err, bad = 0;

	keys = cfg_keys(&n);
	TEST_ASSERT(n > 0);

	conf_path(path, sizeof(path));
	err = conf_read(&ct, path);
	if (err)
		return err;
	ct.sections = first_section(&ct);

	for (i = 0; i < n; i++) {
		const struct cfg_key *k = &keys[i];
		const char *val;
		size_t vlen;
		bool commented;

		if (!key_find(&ct, 0, ct.sections, k->name, &commented, &val,
			      &vlen)) {
			fprintf(stderr, "  %s: key '%s' is not documented "
				"(before the first [business] section)\n",
				path, k->name);
			++bad;
			continue;
		}

		/* "# key value" shows the default the code really has */
		if (commented && (vlen != strlen(k->def) ||
				  strncmp(val, k->def, vlen))) {
			fprintf(stderr, "  %s: '# %s %.*s' should show the "
				"default '%s'\n", path, k->name, (int)vlen,
				val, k->def);
			++bad;
		}
	}

	free(ct.buf);

	return bad ? EINVAL : 0;
}


TEST(conf_doc_business_keys)
{
	struct conf_text ct;
	char path[512];
	const struct cfg_key *keys;
	size_t n, i;
	int err, bad = 0;

	keys = cfg_business_keys(&n);
	TEST_ASSERT(n > 0);

	conf_path(path, sizeof(path));
	err = conf_read(&ct, path);
	if (err)
		return err;
	ct.sections = first_section(&ct);

	if (ct.sections == ct.len) {
		fprintf(stderr, "  %s: no example [business ID] section\n",
			path);
		free(ct.buf);
		return EINVAL;
	}

	for (i = 0; i < n; i++) {
		const char *val;
		size_t vlen;
		bool commented;

		if (!key_find(&ct, ct.sections, ct.len, keys[i].name,
			      &commented, &val, &vlen)) {
			fprintf(stderr, "  %s: business key '%s' is not "
				"documented (in the [business] section)\n",
				path, keys[i].name);
			++bad;
		}
	}

	free(ct.buf);

	return bad ? EINVAL : 0;
}


TEST(conf_doc_loads)
{
	const struct cfg_section *sec;
	const struct cfg_key *keys;
	struct cfg *cfg = NULL;
	char path[512];
	size_t n, i;
	int err;

	conf_path(path, sizeof(path));

	err = cfg_alloc(&cfg);
	if (err)
		return err;

	err = cfg_load_file(cfg, path);
	if (err) {
		fprintf(stderr, "  %s does not load: %s\n", path,
			strerror(err));
		goto out;
	}

	/* as shipped it starts on the defaults: no global key is set */
	keys = cfg_keys(&n);
	for (i = 0; i < n; i++) {
		if (strcmp(cfg_str(cfg, keys[i].name), keys[i].def)) {
			fprintf(stderr, "  %s: %s is set to '%s'; the example "
				"should leave it at its default '%s'\n", path,
				keys[i].name, cfg_str(cfg, keys[i].name),
				keys[i].def);
			err = EINVAL;
		}
	}
	if (err)
		goto out;

	/* and holds one example business, with a name */
	if (cfg_section_count(cfg) < 1) {
		fprintf(stderr, "  %s: no business section\n", path);
		err = EINVAL;
		goto out;
	}
	sec = cfg_section_get(cfg, 0);
	if (!sec || strcmp(sec->kind, "business") ||
	    !cfg_section_val(sec, "name")) {
		fprintf(stderr, "  %s: the first section should be an "
			"example [business ID] with a name\n", path);
		err = EINVAL;
	}

 out:
	mem_deref(cfg);

	return err;
}


/* [agent] and [rule] keys are documented after their example header. */
static int section_doc(const char *kind)
{
	struct conf_text ct;
	char path[512], header[32];
	const struct cfg_key *keys;
	const char *at;
	size_t n, i, from;
	int err, bad = 0;

	keys = cfg_section_keys(kind, &n);
	TEST_ASSERT(keys && n > 0);

	conf_path(path, sizeof(path));
	err = conf_read(&ct, path);
	if (err)
		return err;

	snprintf(header, sizeof(header), "# [%s ", kind);
	at = strstr(ct.buf, header);
	if (!at) {
		fprintf(stderr, "  %s: no example %s section\n", path, kind);
		free(ct.buf);
		return EINVAL;
	}
	from = (size_t)(at - ct.buf);

	for (i = 0; i < n; i++) {
		const char *val;
		size_t vlen;
		bool commented;

		if (!key_find(&ct, from, ct.len, keys[i].name, &commented,
			      &val, &vlen)) {
			fprintf(stderr, "  %s: %s key '%s' is not "
				"documented\n", path, kind, keys[i].name);
			++bad;
		}
	}

	free(ct.buf);

	return bad ? EINVAL : 0;
}


TEST(conf_doc_agent_and_rule_keys)
{
	int err = section_doc("agent");

	return err ? err : section_doc("rule");
}
