/*
 * cfg: beckon's configuration. One table in cfg.c lists every key with its
 * type, default, bounds and a line of help; the same keys come from the
 * config file ("key value" lines, redis style) and from the command line
 * ("--key value"), the command line winning. etc/beckon.conf documents every
 * key and a unit test checks that it does.
 *
 * Sections ("[business acme]") hold per-tenant settings; their keys are
 * checked against a table of their own.
 */
#ifndef BECKON_CFG_H
#define BECKON_CFG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum cfg_type {
	CFG_STR,
	CFG_INT,
	CFG_BOOL,
	CFG_ADDR,   /* host:port */
};

struct cfg_key {
	const char *name;
	enum cfg_type type;
	const char *def;
	int64_t min, max;   /* CFG_INT bounds */
	const char *help;
};

struct cfg;

/* one "[kind id]" section and its "key value" lines, in file order */
struct cfg_section {
	const char *kind;
	const char *id;
	size_t n;
	const char **keys;
	const char **vals;
};

int  cfg_alloc(struct cfg **cfgp);
int  cfg_load_file(struct cfg *cfg, const char *path);
int  cfg_set(struct cfg *cfg, const char *key, const char *value);
bool cfg_is_set(const struct cfg *cfg, const char *key);

const char *cfg_str(const struct cfg *cfg, const char *key);
int64_t     cfg_int(const struct cfg *cfg, const char *key);
bool        cfg_bool(const struct cfg *cfg, const char *key);

size_t cfg_section_count(const struct cfg *cfg);
const struct cfg_section *cfg_section_get(const struct cfg *cfg, size_t i);
const char *cfg_section_val(const struct cfg_section *sec, const char *key);

/* the tables, for --help and for the test that checks etc/beckon.conf */
const struct cfg_key *cfg_keys(size_t *np);
const struct cfg_key *cfg_business_keys(size_t *np);
/* the keys of a section kind: business, agent or rule */
const struct cfg_key *cfg_section_keys(const char *kind, size_t *np);
const struct cfg_key *cfg_key_find(const char *name);

int  cfg_parse_bool(bool *bp, const char *s);
void cfg_print_help(FILE *f);
/*
 * The manual page "beckon.8" or "beckon.conf.5" (or "8", "5") in roff,
 * written from the tables (man.c): ENOENT for another name.
 */
int  cfg_print_man(FILE *f, const char *page);

#endif
