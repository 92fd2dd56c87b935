/*
 * The manual pages beckon(8) and beckon.conf(5), in roff, written from the
 * tables of keys in cfg.c: the build makes them with `beckon man`, so a key
 * added, removed or changed there is right in the manual at once (the
 * pages hold no list of keys of their own).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "cfg/cfg.h"

#define MAN_DATE "2026"


/* text for a roff line: backslashes doubled, hyphens as \-, and a line
 * that would start with '.' or '\'' made plain */
static void roff(FILE *f, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);

	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
	}
}


static const char *type_name(enum cfg_type t)
{
	switch (t) {

	case CFG_INT:  return "integer";
	case CFG_BOOL: return "yes or no";
	case CFG_ADDR: return "host:port";
	default:       return "string";
	}
}


/* one key: .TP, its name (with "\-\-" before it: an option), its help,
 * type, bounds and default */
static void key_print(FILE *f, const struct cfg_key *k, bool option)
{
	fprintf(f, ".TP\n.B %s", option ? "\\-\\-" : "");
	roff(f, k->name);
	fputs("\n", f);
	roff(f, k->help);
	fprintf(f, ".\n.br\nType: %s", type_name(k->type));
	if (k->type == CFG_INT && (k->min || k->max))
		fprintf(f, ", %lld to %lld", (long long)k->min,
			(long long)k->max);
	fputs("; default: ", f);
	if (k->def && *k->def) {
		fputs("\\fB", f);
		roff(f, k->def);
		fputs("\\fR", f);
	}
	else {
		fputs("none", f);
	}
	fputs(".\n", f);
}


static void keys_print(FILE *f, const struct cfg_key *keys, size_t n,
		       bool option)
{
	size_t i;

	for (i = 0; i < n; i++)
		key_print(f, &keys[i], option);
}


static void man_beckon(FILE *f)
{
	size_t n;
	const struct cfg_key *keys = cfg_keys(&n);

	fprintf(f,
		".TH BECKON 8 \"" MAN_DATE "\" \"beckon\" "
		"\"System Manager's Manual\"\n"
		".SH NAME\nbeckon \\- a web\\-callback server\n"
		".SH SYNOPSIS\n"
		".B beckon serve\n[\\fB\\-f\\fR \\fIFILE\\fR] "
		"[\\fB\\-\\-\\fR\\fIKEY VALUE\\fR ...]\n.br\n"
		".B beckon dialer\n[\\fB\\-f\\fR \\fIFILE\\fR] "
		"[\\fB\\-\\-\\fR\\fIKEY VALUE\\fR ...]\n.br\n"
		".B beckon check\n\\fB\\-f\\fR \\fIFILE\\fR "
		"[\\fB\\-\\-\\fR\\fIKEY VALUE\\fR ...]\n.br\n"
		".B beckon\n\\fBbusiness\\fR|\\fBagent\\fR|\\fBrule\\fR|"
		"\\fBcallbacks\\fR|\\fBwebhook\\fR ...\n.br\n"
		".B beckon man\n\\fBbeckon.8\\fR|\\fBbeckon.conf.5\\fR\n"
		".SH DESCRIPTION\n"
		"A visitor of a web site asks to be called back; beckon "
		"stores the request, picks an agent, shows it on the agent's "
		"web desk, calls the customer through a SIP trunk, calls the "
		"agent and bridges the two calls.\n"
		".PP\n\\fBserve\\fR runs the server: the HTTP API, the "
		"store, the ACD and the dialer, in one process.\n"
		"\\fBdialer\\fR runs a dialer alone, for a server elsewhere "
		"to drive over the call\\-control protocol.\n"
		"\\fBcheck\\fR reads a configuration as \\fBserve\\fR would "
		"and reports every error with the file, the line and the "
		"key, without starting anything: exit status 0 when it is "
		"good, 1 otherwise.\n"
		"\\fBbusiness\\fR, \\fBagent\\fR, \\fBrule\\fR, "
		"\\fBcallbacks\\fR and \\fBwebhook\\fR manage a running "
		"server through its admin API (\\fBbeckon business "
		"\\-\\-help\\fR).\n"
		"\\fBman\\fR prints these manual pages.\n"
		".SH OPTIONS\n"
		".TP\n.BI \\-f \" FILE\"\n"
		"Read the configuration from \\fIFILE\\fR "
		"(see \\fBbeckon.conf\\fR(5)).\n"
		".TP\n.BR \\-h \", \" \\-\\-help\n"
		"Print the usage and every key.\n"
		".PP\nEvery key of \\fBbeckon.conf\\fR(5) is also an "
		"option, which wins over the file; a boolean given alone "
		"(\\fB\\-\\-demo\\fR) means yes:\n");
	keys_print(f, keys, n, true);
	fprintf(f,
		".SH SIGNALS\n"
		".TP\n.BR SIGTERM \", \" SIGINT\n"
		"Stop: no new request is taken, calls in progress are hung "
		"up (each ends with \\fBsystem_hangup\\fR), every write "
		"accepted is committed, then beckon exits 0. A second "
		"signal stops it at once.\n"
		".TP\n.B SIGHUP\n"
		"\\fBbeckon serve\\fR reads its configuration again "
		"(\\fBsystemctl reload beckon\\fR): the log and "
		"\\fBwebhook_*\\fR keys are applied, every other change "
		"is logged as needing a restart, a file with an error is "
		"refused and the running configuration kept.\n"
		".SH FILES\n"
		".TP\n.I /etc/beckon/beckon.conf\n"
		"The configuration (under the installation prefix: "
		"\\fIPREFIX/etc/beckon/beckon.conf\\fR).\n"
		".TP\n.I /var/lib/beckon\n"
		"The database, recordings and greetings of the systemd "
		"service.\n"
		".SH EXIT STATUS\n"
		"0 after a clean stop or a good \\fBcheck\\fR; 1 on an "
		"error (the log says which); 2 for a usage error.\n"
		".SH SEE ALSO\n"
		".BR beckon.conf (5),\n.BR systemctl (1)\n");
}


static void man_conf(FILE *f)
{
	static const char *const kinds[] = {"business", "agent", "rule"};
	size_t n, i;
	const struct cfg_key *keys = cfg_keys(&n);

	fprintf(f,
		".TH BECKON.CONF 5 \"" MAN_DATE "\" \"beckon\" "
		"\"File Formats Manual\"\n"
		".SH NAME\nbeckon.conf \\- configuration of "
		"\\fBbeckon\\fR(8)\n"
		".SH SYNTAX\n"
		"One \\(lqkey value\\(rq a line: the key, blanks, then the "
		"value, the rest of the line with the blanks around it "
		"trimmed (no quoting, no comment after a value). A line "
		"whose first non\\-blank character is \\(oq#\\(cq is a "
		"comment. Booleans are yes/no, true/false, on/off or 1/0. "
		"A key given twice: the last one wins.\n"
		".PP\n\\(lq[business ID]\\(rq, \\(lq[agent ID]\\(rq and "
		"\\(lq[rule ID]\\(rq start a section: every line after it, "
		"up to the next section, is one of that section's keys, so "
		"the global keys come first. A section creates its record "
		"at the first start only; the admin API changes it later.\n"
		".PP\nAn unknown key, a value of the wrong type or a number "
		"out of bounds stops the start\\-up with a line that names "
		"the file, the line and the key; \\fBbeckon check \\-f "
		"FILE\\fR finds them without starting anything.\n"
		".SH GLOBAL KEYS\n");
	keys_print(f, keys, n, false);

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const struct cfg_key *sk = cfg_section_keys(kinds[i], &n);

		fprintf(f, ".SH [%s ID] KEYS\n", kinds[i]);
		keys_print(f, sk, n, false);
	}

	fprintf(f, ".SH SEE ALSO\n.BR beckon (8)\n");
}


int cfg_print_man(FILE *f, const char *page)
{
	if (!f || !page)
		return EINVAL;

	if (!strcmp(page, "beckon.8") || !strcmp(page, "8"))
		man_beckon(f);
	else if (!strcmp(page, "beckon.conf.5") || !strcmp(page, "5"))
		man_conf(f);
	else
		return ENOENT;

	return ferror(f) ? EIO : 0;
}
