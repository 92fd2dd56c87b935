/*
 * cli: the `beckon` commands that manage a running server through its
 * admin API (business, agent, rule, callbacks, webhook, report). Each command is
 * one or two HTTP requests made with libre's HTTP client on a short-lived
 * event loop; answers are printed as tables (lists) or "field: value"
 * lines (one record), and errors as the server's message with a non-zero
 * exit.
 *
 * The server and the token come from --server/--token, else from the
 * BECKON_SERVER/BECKON_TOKEN environment, else http://127.0.0.1:8080 and
 * no token (a demo server takes "demo").
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#define LOG_SUBSYS "cli"
#include "util/util.h"
#include "form/form.h"
#include "cli/cli.h"

enum {
	TIMEOUT_MS = 10000,
	MAX_BODY = 1 << 20,
};

struct cli {
	const char *server;
	const char *token;
	struct http_cli *http;
	struct dnsc *dnsc;
	struct http_req *req;
	struct tmr tmr;
	int err;
	uint16_t status;
	struct mbuf *body;        /* the answer's body */
};

/* which columns a list shows, per kind */
static const char *const cols_businesses[] = {
	"id", "name", "timezone", "country", "hours", "dial_mode", NULL};
static const char *const cols_agents[] = {
	"id", "name", "role", "state", "endpoint", "skills", "businesses",
	NULL};
static const char *const cols_rules[] = {
	"id", "business", "position", "match_url", "match_title",
	"match_agent", "skills", "priority", "agent_id", NULL};
static const char *const cols_webhooks[] = {
	"id", "url", "events", "enabled", "failing", "failures", NULL};
static const char *const cols_deliveries[] = {
	"seq", "event_id", "type", "callback_id", "state", "attempts",
	"last_status", "last_error", NULL};
/* a report's columns after its period (and breakdown key) */
static const char *const report_counts[] = {
	"requested", "connected", "connected_60s", "connected_sla",
	"median_connect_s", "p90_connect_s", "abandoned", "failed",
	"canceled", "sales"};
static const char *const report_options[] = {
	"business", "from", "to", "by", "breakdown", NULL};
static const char *const cols_callbacks[] = {
	"id", "business", "status", "position", "phone", "created_at",
	"scheduled_for", "agent_key", NULL};


static void usage(FILE *f)
{
	fprintf(f,
		"usage: beckon [--server URL] [--token T] COMMAND ...\n"
		"\n"
		"  business add ID [--KEY VALUE ...]   create a business\n"
		"  business set ID --KEY VALUE ...     change it\n"
		"  business list | show ID\n"
		"  business greeting set ID FILE.wav   its own greeting "
		"(a mono WAV)\n"
		"  business greeting get ID > FILE.wav | rm ID\n"
		"  agent add ID --password P [--KEY VALUE ...]\n"
		"  agent set ID --KEY VALUE ...        e.g. --endpoint "
		"sip:alice@127.0.0.1:5070\n"
		"                                      --skills billing,sales\n"
		"  agent list [--business ID] | show ID\n"
		"  agent rm ID [--force]               --force: even if "
		"logged in\n"
		"  agent state ID available|away|offline\n"
		"  rule add BUSINESS [--id ID] [--match_url URL*] "
		"[--match_title WORDS]\n"
		"           [--match_agent KEY] [--skills S] [--priority N] "
		"[--agent_id A]\n"
		"  rule list [BUSINESS] | show ID | set ID --KEY VALUE ... | "
		"rm ID\n"
		"  callbacks                           the live queue\n"
		"  report [--business ID] [--from YYYY-MM-DD] [--to ...] "
		"[--by day|week|month|range]\n"
		"         [--breakdown business|agent|key|page|hour] [--csv]"
		"\n"
		"  webhook add BUSINESS --url URL [--events E,E] "
		"[--secret S] [--enabled false]\n"
		"  webhook list BUSINESS | set BUSINESS ID --KEY VALUE ... | "
		"rm BUSINESS ID\n"
		"  webhook deliveries BUSINESS ID | replay BUSINESS ID SEQ\n"
		"  COMMAND --help                      this text\n"
		"\n"
		"KEYs are the fields the admin API shows (see README).\n"
		"--server defaults to $BECKON_SERVER or "
		"http://127.0.0.1:8080,\n"
		"--token to $BECKON_TOKEN (a --demo server takes \"demo\").\n");
}


/* "beckon: agent rm: missing the agent ID", then the usage: exit 2 */
static int usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("beckon: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n\n", stderr);
	usage(stderr);

	return 2;
}


static void timeout_h(void *arg)
{
	struct cli *c = arg;

	c->err = ETIMEDOUT;
	re_cancel();
}


static void resp_h(int err, const struct http_msg *msg, void *arg)
{
	struct cli *c = arg;

	c->err = err;
	if (!err && msg) {
		c->status = msg->scode;
		if (msg->mb && mbuf_get_left(msg->mb) <= MAX_BODY) {
			c->body = mbuf_alloc(mbuf_get_left(msg->mb) + 1);
			if (c->body)
				mbuf_write_mem(c->body, mbuf_buf(msg->mb),
					       mbuf_get_left(msg->mb));
		}
	}

	re_cancel();
}


/* One request; on return c->status and c->body hold the answer. body
 * is len bytes of ctype (NULL: none) */
static int request_raw(struct cli *c, const char *method, const char *path,
		       const char *ctype, const void *body, size_t len,
		       const char *hdrs)
{
	char *uri = NULL;
	int err;

	c->body = mem_deref(c->body);
	c->status = 0;
	c->err = 0;

	err = re_sdprintf(&uri, "%s%s", c->server, path);
	if (err)
		return err;

	err = http_request(&c->req, c->http, method, uri, resp_h, NULL, c,
			   "Authorization: Bearer %s\r\n"
			   "%s%s%s%s"
			   "Content-Length: %zu\r\n"
			   "\r\n"
			   "%b",
			   c->token ? c->token : "",
			   ctype ? "Content-Type: " : "", ctype ? ctype : "",
			   ctype ? "\r\n" : "", hdrs ? hdrs : "",
			   body ? len : (size_t)0,
			   body ? (const char *)body : "", body ? len : 0);
	mem_deref(uri);
	if (err) {
		fprintf(stderr, "beckon: %s %s%s: %s\n", method, c->server,
			path, strerror(err));
		return err;
	}

	tmr_start(&c->tmr, TIMEOUT_MS, timeout_h, c);
	re_main(NULL);
	tmr_cancel(&c->tmr);
	c->req = mem_deref(c->req);

	if (c->err) {
		fprintf(stderr, "beckon: cannot reach %s: %s\n", c->server,
			strerror(c->err));
		return c->err;
	}

	return 0;
}


static int request(struct cli *c, const char *method, const char *path,
		   const char *body, const char *hdrs)
{
	return request_raw(c, method, path, body ? "application/json" : NULL,
			   body, body ? strlen(body) : 0, hdrs);
}


static int decode(struct odict **odp, const struct cli *c)
{
	if (!c->body || !c->body->end)
		return ENOENT;

	return json_decode_odict(odp, 32, (const char *)c->body->buf,
				 c->body->end, 8);
}


/* Print the server's error answer; returns 1 (the exit status). */
static int print_error(const struct cli *c)
{
	struct odict *od = NULL;
	const struct odict_entry *e;

	if (!decode(&od, c) &&
	    (e = odict_get_type(od, ODICT_OBJECT, "error"))) {
		const char *code = odict_string(e->u.odict, "code");
		const char *field = odict_string(e->u.odict, "field");
		const char *msg = odict_string(e->u.odict, "message");

		fprintf(stderr, "beckon: %u %s%s%s%s: %s\n", c->status,
			code ? code : "error", field ? " (" : "",
			field ? field : "", field ? ")" : "",
			msg ? msg : "");
	}
	else {
		fprintf(stderr, "beckon: HTTP %u\n", c->status);
	}

	mem_deref(od);

	return 1;
}


/* the admin API's instants in milliseconds since the epoch (0: never) */
static bool time_field(const char *name)
{
	return !strcmp(name, "state_since") || !strcmp(name, "idle_since");
}


static void print_value(FILE *f, const struct odict_entry *e)
{
	char ts[32];

	switch (e->type) {

	case ODICT_STRING:
		fputs(e->u.str, f);
		break;
	case ODICT_INT:
		if (!time_field(e->key)) {
			fprintf(f, "%lld", (long long)e->u.integer);
		}
		else if (e->u.integer > 0) {
			time_fmt_rfc3339(ts, sizeof(ts), e->u.integer);
			fputs(ts, f);
		}
		break;
	case ODICT_BOOL:
		fputs(e->u.boolean ? "true" : "false", f);
		break;
	case ODICT_DOUBLE:
		fprintf(f, "%g", e->u.dbl);
		break;
	default:
		break;
	}
}


static int print_record(const struct cli *c)
{
	struct odict *od = NULL;
	struct le *le;

	if (decode(&od, c)) {
		fprintf(stderr, "beckon: the server's answer is not JSON\n");
		return 1;
	}

	for (le = od->lst.head; le; le = le->next) {
		const struct odict_entry *e = le->data;

		printf("%-18s ", e->key);
		print_value(stdout, e);
		putchar('\n');
	}

	mem_deref(od);

	return 0;
}


static int print_list(const struct cli *c, const char *key,
		      const char *const *cols)
{
	const struct odict_entry *arr;
	struct odict *od = NULL;
	struct le *le;
	size_t i;

	if (decode(&od, c) ||
	    !(arr = odict_get_type(od, ODICT_ARRAY, key))) {
		fprintf(stderr, "beckon: the server's answer is not a list\n");
		mem_deref(od);
		return 1;
	}

	for (i = 0; cols[i]; i++)
		printf("%s%s", i ? "\t" : "", cols[i]);
	putchar('\n');

	for (le = arr->u.odict->lst.head; le; le = le->next) {
		const struct odict_entry *row = le->data;

		if (row->type != ODICT_OBJECT)
			continue;
		for (i = 0; cols[i]; i++) {
			const struct odict_entry *e =
				odict_lookup(row->u.odict, cols[i]);

			if (i)
				putchar('\t');
			if (e)
				print_value(stdout, e);
		}
		putchar('\n');
	}

	mem_deref(od);

	return 0;
}


/* fields that hold space-separated lists, where a comma will do too */
static bool list_field(const char *name)
{
	static const char *const lists[] = {
		"skills", "businesses", "origins", "agent_keys",
		"allowed_countries", "deny_prefixes", "dispositions",
		"retry_delays", "closed", "events",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(lists); i++)
		if (!strcmp(name, lists[i]))
			return true;

	return false;
}


/*
 * "--key value" pairs into a JSON object. A comma list (--skills a,b) is
 * stored space-separated, as the server keeps lists.
 */
static int fields_json(char **jsonp, int argc, char **argv, int *used)
{
	struct mbuf *mb = mbuf_alloc(256);
	int i, err = 0, n = 0;

	if (!mb)
		return ENOMEM;

	err |= mbuf_write_str(mb, "{");
	for (i = 0; i + 1 < argc && !strncmp(argv[i], "--", 2); i += 2) {
		char *v = NULL, *p;

		err |= str_dup(&v, argv[i + 1]);
		if (err)
			break;
		if (list_field(argv[i] + 2))
			for (p = v; *p; p++)
				if (*p == ',')
					*p = ' ';
		err |= mbuf_write_str(mb, n++ ? "," : "");
		err |= form_json_str(mb, argv[i] + 2);
		err |= mbuf_write_str(mb, ":");
		err |= form_json_str(mb, v);
		mem_deref(v);
	}
	err |= mbuf_write_str(mb, "}");

	if (i < argc) {
		fprintf(stderr, "beckon: expected --KEY VALUE pairs, "
			"got '%s'\n", argv[i]);
		err = EINVAL;
	}

	if (!err) {
		mb->pos = 0;
		err = mbuf_strdup(mb, jsonp, mb->end);
	}
	mem_deref(mb);
	*used = i;

	return err;
}


/* PUT a record; precond is an If-Match/If-None-Match header line. */
static int put(struct cli *c, const char *kind, const char *id,
	       const char *precond, int argc, char **argv)
{
	char path[256], *json = NULL;
	int used, err;

	err = fields_json(&json, argc, argv, &used);
	if (err)
		return 2;

	re_snprintf(path, sizeof(path), "/v1/admin/%s/%s", kind, id);
	err = request(c, "PUT", path, json, precond);
	mem_deref(json);
	if (err)
		return 1;

	if (c->status >= 300)
		return print_error(c);

	return print_record(c);
}


static int get(struct cli *c, const char *path, const char *listkey,
	       const char *const *cols)
{
	if (request(c, "GET", path, NULL, NULL))
		return 1;

	if (c->status >= 300)
		return print_error(c);

	return listkey ? print_list(c, listkey, cols) : print_record(c);
}


static int del(struct cli *c, const char *kind, const char *id, bool force)
{
	char path[256];

	re_snprintf(path, sizeof(path), "/v1/admin/%s/%s%s", kind, id,
		    force ? "?force=true" : "");
	if (request(c, "DELETE", path, NULL, NULL))
		return 1;

	if (c->status >= 300)
		return print_error(c);

	printf("deleted %s\n", id);

	return 0;
}


static const char create_only[] = "If-None-Match: *\r\n";
static const char update_only[] = "If-Match: *\r\n";


static int cmd_state(struct cli *c, int argc, char **argv)
{
	char path[256], body[64];

	if (argc < 3)
		return usage_error("agent state: missing the state "
				   "(available, away or offline)");
	if (argc > 3)
		return usage_error("agent state: unexpected '%s'", argv[3]);
	if (strspn(argv[2], "abcdefghijklmnopqrstuvwxyz") != strlen(argv[2]))
		return usage_error("agent state: '%s' is not available, away "
				   "or offline", argv[2]);

	re_snprintf(path, sizeof(path), "/v1/admin/agents/%s/state",
		    argv[1]);
	re_snprintf(body, sizeof(body), "{\"state\":\"%s\"}", argv[2]);
	if (request(c, "POST", path, body, NULL))
		return 1;
	if (c->status >= 300)
		return print_error(c);

	return print_record(c);
}


static int cmd_list(struct cli *c, const char *kind, const char *noun,
		    const char *const *cols, int argc, char **argv)
{
	char path[256];

	if (argc == 3 && !strcmp(argv[1], "--business") &&
	    strcmp(kind, "businesses"))
		re_snprintf(path, sizeof(path), "/v1/admin/%s?business=%s",
			    kind, argv[2]);
	else if (argc == 1)
		re_snprintf(path, sizeof(path), "/v1/admin/%s", kind);
	else
		return usage_error("%s list: unexpected '%s'", noun,
				   argv[1]);

	return get(c, path, kind, cols);
}


/* KIND (a table of the admin API) VERB ...; noun is how people say it */
static int cmd_record(struct cli *c, const char *kind, const char *noun,
		      const char *const *cols, int argc, char **argv)
{
	static const char *const verbs[] = {
		"add", "set", "list", "show", "rm", "state"};
	const char *verb = argc ? argv[0] : "";
	bool is_agent = !strcmp(kind, "agents");
	bool known = false;
	char path[256];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(verbs); i++)
		if (!strcmp(verb, verbs[i]))
			known = true;
	/* businesses cannot be removed; presence is an agent's */
	if ((!strcmp(verb, "rm") && !strcmp(kind, "businesses")) ||
	    (!strcmp(verb, "state") && !is_agent))
		known = false;

	if (!argc)
		return usage_error("%s: missing the command (add, set, list, "
				   "show%s)", noun, is_agent ? ", rm, state" :
				   strcmp(kind, "businesses") ? ", rm" : "");
	if (!known)
		return usage_error("%s %s: unknown command", noun, verb);
	if (!strcmp(verb, "list"))
		return cmd_list(c, kind, noun, cols, argc, argv);
	if (argc < 2)
		return usage_error("%s %s: missing the %s ID", noun, verb,
				   noun);

	if (!strcmp(verb, "show")) {
		if (argc > 2)
			return usage_error("%s show: unexpected '%s'", noun,
					   argv[2]);
		re_snprintf(path, sizeof(path), "/v1/admin/%s/%s", kind,
			    argv[1]);
		return get(c, path, NULL, NULL);
	}
	if (!strcmp(verb, "add"))
		return put(c, kind, argv[1], create_only, argc - 2, argv + 2);
	if (!strcmp(verb, "set")) {
		if (argc == 2)
			return usage_error("%s set: missing the --KEY VALUE "
					   "pairs to change", noun);
		return put(c, kind, argv[1], update_only, argc - 2, argv + 2);
	}
	if (!strcmp(verb, "rm")) {
		bool force = is_agent && argc == 3 &&
			!strcmp(argv[2], "--force");

		if (argc > 2 && !force)
			return usage_error("%s rm: unexpected '%s'", noun,
					   argv[2]);
		return del(c, kind, argv[1], force);
	}

	return cmd_state(c, argc, argv);
}


/* the whole of a file, for an upload (the server bounds it again) */
static int file_read(uint8_t **bufp, size_t *lenp, const char *path)
{
	uint8_t *buf = NULL;
	long n;
	FILE *f = fopen(path, "rb");
	int err = 0;

	if (!f)
		return errno;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET))
		err = errno ? errno : EIO;
	else if (n > MAX_BODY)
		err = EFBIG;
	else if (!(buf = mem_alloc((size_t)n + 1, NULL)))
		err = ENOMEM;
	else if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		err = EIO;
	fclose(f);

	if (err) {
		mem_deref(buf);
		return err;
	}
	*bufp = buf;
	*lenp = (size_t)n;

	return 0;
}


/* business greeting set ID FILE | get ID | rm ID */
static int cmd_greeting(struct cli *c, int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : "";
	char path[256];
	uint8_t *buf = NULL;
	size_t len = 0;
	int err;

	if (argc < 2)
		return usage_error("business greeting: missing the command "
				   "(set, get, rm)");
	if (strcmp(verb, "set") && strcmp(verb, "get") && strcmp(verb, "rm"))
		return usage_error("business greeting %s: unknown command",
				   verb);
	if (argc < 3)
		return usage_error("business greeting %s: missing the "
				   "business ID", verb);
	if (!strcmp(verb, "set") && argc < 4)
		return usage_error("business greeting set: missing the WAV "
				   "FILE");
	if (argc > (!strcmp(verb, "set") ? 4 : 3))
		return usage_error("business greeting %s: unexpected '%s'",
				   verb, argv[!strcmp(verb, "set") ? 4 : 3]);
	if (!strcmp(verb, "get") && isatty(STDOUT_FILENO))
		return usage_error("business greeting get: the greeting is "
				   "a WAV file: redirect it (> FILE)");

	re_snprintf(path, sizeof(path), "/v1/admin/businesses/%s/greeting",
		    argv[2]);

	if (!strcmp(verb, "set")) {
		err = file_read(&buf, &len, argv[3]);
		if (err) {
			fprintf(stderr, "beckon: %s: %s\n", argv[3],
				strerror(err));
			return 1;
		}
		err = request_raw(c, "PUT", path, "audio/wav", buf, len,
				  NULL);
		mem_deref(buf);
	}
	else {
		err = request(c, !strcmp(verb, "get") ? "GET" : "DELETE",
			      path, NULL, NULL);
	}
	if (err)
		return 1;
	if (c->status >= 300)
		return print_error(c);

	if (!strcmp(verb, "set"))
		return print_record(c);
	if (!strcmp(verb, "rm")) {
		printf("deleted the greeting of %s\n", argv[2]);
		return 0;
	}
	if (!c->body || fwrite(c->body->buf, 1, c->body->end, stdout) !=
	    c->body->end) {
		fprintf(stderr, "beckon: the greeting could not be "
			"written\n");
		return 1;
	}

	return 0;
}


/* rule add BUSINESS [--id ID] [...]: the id defaults to a random one */
static int cmd_rule(struct cli *c, int argc, char **argv)
{
	char path[256], id[32] = "", *args[64];
	int i, n = 0;

	if (argc >= 1 && !strcmp(argv[0], "list")) {
		if (argc > 2)
			return usage_error("rule list: unexpected '%s'",
					   argv[2]);
		if (argc == 2)
			re_snprintf(path, sizeof(path),
				    "/v1/admin/rules?business=%s", argv[1]);
		else
			re_snprintf(path, sizeof(path), "/v1/admin/rules");
		return get(c, path, "rules", cols_rules);
	}

	if (argc == 1 && !strcmp(argv[0], "add"))
		return usage_error("rule add: missing the business ID");
	if (argc < 2 || strcmp(argv[0], "add"))
		return cmd_record(c, "rules", "rule", cols_rules, argc, argv);

	if (argc > 60)
		return usage_error("rule add: too many arguments");

	args[n++] = "--business";
	args[n++] = argv[1];
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--id") && i + 1 < argc) {
			str_bcpy(id, argv[++i], sizeof(id));
			continue;
		}
		args[n++] = argv[i];
	}
	if (!id[0]) {
		char tok[16];

		if (token_random(tok, sizeof(tok), 6))
			return 1;
		re_snprintf(id, sizeof(id), "r_%s", tok);
	}

	return put(c, "rules", id, create_only, n, args);
}


/*
 * beckon report [--KEY VALUE ...] [--csv]: GET /v1/admin/reports, as a
 * table (one line per row, tab-separated) or the server's CSV as is.
 */
static int cmd_report(struct cli *c, int argc, char **argv)
{
	const char *cols[16] = {"period"};
	char path[1024];
	size_t n = 1, i;
	bool csv = false;
	int a, len;

	len = re_snprintf(path, sizeof(path), "/v1/admin/reports?");
	for (a = 0; a < argc; a++) {
		const char *o = argv[a] + 2;
		struct pl v;

		if (!strcmp(argv[a], "--csv")) {
			csv = true;
			continue;
		}
		for (i = 0; report_options[i] && (strncmp(argv[a], "--", 2) ||
			     strcmp(o, report_options[i])); i++)
			;
		if (!report_options[i] || a + 1 == argc)
			return usage_error("report: unexpected '%s'", argv[a]);
		pl_set_str(&v, argv[++a]);
		len += re_snprintf(path + len, sizeof(path) - (size_t)len,
				   "%s=%H&", o, uri_param_escape, &v);
		if (!strcmp(o, "breakdown")) {
			cols[1] = argv[a];
			n = 2;
		}
	}
	if (csv)
		re_snprintf(path + len, sizeof(path) - (size_t)len,
			    "format=csv");

	if (request(c, "GET", path, NULL, NULL))
		return 1;
	if (c->status >= 300)
		return print_error(c);
	if (csv) {
		fwrite(c->body->buf, 1, c->body->end, stdout);
		return 0;
	}

	for (i = 0; i < ARRAY_SIZE(report_counts); i++)
		cols[n++] = report_counts[i];
	cols[n] = NULL;

	return print_list(c, "rows", cols);
}


/* beckon webhook add|list|set|rm BUSINESS ...: the business's webhooks */
static int cmd_webhook(struct cli *c, int argc, char **argv)
{
	const char *verb = argc ? argv[0] : "";
	char path[256], *json = NULL;
	int used, err;

	if (argc < 2)
		return usage_error("webhook: expected add, list, set, rm, "
				   "deliveries or replay and the business ID");
	re_snprintf(path, sizeof(path), "/v1/admin/businesses/%s/webhooks",
		    argv[1]);

	if (!strcmp(verb, "list") && argc == 2)
		return get(c, path, "webhooks", cols_webhooks);

	if (!strcmp(verb, "deliveries") && argc == 3) {
		re_snprintf(path + strlen(path), sizeof(path) - strlen(path),
			    "/%s/deliveries", argv[2]);
		return get(c, path, "deliveries", cols_deliveries);
	}

	if (!strcmp(verb, "replay") && argc == 4) {
		re_snprintf(path + strlen(path), sizeof(path) - strlen(path),
			    "/%s/deliveries/%s/replay", argv[2], argv[3]);
		if (request(c, "POST", path, NULL, NULL))
			return 1;
		if (c->status >= 300)
			return print_error(c);
		printf("delivery %s of %s: to be sent again\n", argv[3],
		       argv[2]);
		return 0;
	}

	if (!strcmp(verb, "rm") && argc == 3) {
		re_snprintf(path + strlen(path), sizeof(path) - strlen(path),
			    "/%s", argv[2]);
		if (request(c, "DELETE", path, NULL, NULL))
			return 1;
		if (c->status >= 300)
			return print_error(c);
		printf("deleted %s\n", argv[2]);
		return 0;
	}

	if (!strcmp(verb, "add") || (!strcmp(verb, "set") && argc >= 3)) {
		bool add = !strcmp(verb, "add");

		if (!add)
			re_snprintf(path + strlen(path),
				    sizeof(path) - strlen(path), "/%s",
				    argv[2]);
		err = fields_json(&json, argc - (add ? 2 : 3),
				  argv + (add ? 2 : 3), &used);
		if (err)
			return 2;
		err = request(c, add ? "POST" : "PATCH", path, json, NULL);
		mem_deref(json);
		if (err)
			return 1;
		if (c->status >= 300)
			return print_error(c);
		return print_record(c);
	}

	return usage_error("webhook %s: unexpected arguments", verb);
}


static int run(struct cli *c, int argc, char **argv)
{
	const char *cmd = argv[0];

	if (!strcmp(cmd, "business") && argc > 1 &&
	    !strcmp(argv[1], "greeting"))
		return cmd_greeting(c, argc - 1, argv + 1);
	if (!strcmp(cmd, "business"))
		return cmd_record(c, "businesses", "business",
				  cols_businesses, argc - 1, argv + 1);
	if (!strcmp(cmd, "agent"))
		return cmd_record(c, "agents", "agent", cols_agents, argc - 1,
				  argv + 1);
	if (!strcmp(cmd, "rule"))
		return cmd_rule(c, argc - 1, argv + 1);
	if (!strcmp(cmd, "webhook"))
		return cmd_webhook(c, argc - 1, argv + 1);
	if (!strcmp(cmd, "report"))
		return cmd_report(c, argc - 1, argv + 1);
	if (!strcmp(cmd, "callbacks") && argc == 1)
		return get(c, "/v1/admin/callbacks", "callbacks",
			   cols_callbacks);
	if (!strcmp(cmd, "callbacks"))
		return usage_error("callbacks: unexpected '%s'", argv[1]);

	return usage_error("unknown command '%s'", cmd);
}


/*
 * http://HOST[:PORT][/...] with HOST a name: the same with the name's
 * first address, from the system's resolver (/etc/hosts, DNS). libre's
 * client is used without a resolver of its own; a command may block.
 */
static int server_resolve(char *out, size_t sz, const char *url)
{
	const struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
	const char *host = url + 7, *end = host + strcspn(host, ":/");
	struct addrinfo *ai = NULL;
	char name[256];
	struct sa sa;
	int err;

	if (*host == '[' || (size_t)(end - host) >= sizeof(name)) {
		str_bcpy(out, url, sz);
		return 0;
	}
	memcpy(name, host, (size_t)(end - host));
	name[end - host] = '\0';
	if (!sa_set_str(&sa, name, 0)) {
		str_bcpy(out, url, sz);
		return 0;
	}

	err = getaddrinfo(name, NULL, &hints, &ai);
	if (err || !ai) {
		fprintf(stderr, "beckon: --server %s: %s\n", name,
			gai_strerror(err));
		return EINVAL;
	}
	sa_set_sa(&sa, ai->ai_addr);
	freeaddrinfo(ai);
	re_snprintf(out, sz, sa_af(&sa) == AF_INET6 ? "http://[%j]%s" :
		    "http://%j%s", &sa, end);

	return 0;
}


bool cli_is_command(const char *cmd)
{
	return cmd && (!strcmp(cmd, "business") || !strcmp(cmd, "agent") ||
		       !strcmp(cmd, "rule") || !strcmp(cmd, "callbacks") ||
		       !strcmp(cmd, "webhook") || !strcmp(cmd, "report") ||
		       !strcmp(cmd, "--server") || !strcmp(cmd, "--token"));
}


int cli_main(int argc, char **argv)
{
	struct cli c;
	char *args[128], server[256];
	int i, n = 0, ret = 1;

	memset(&c, 0, sizeof(c));
	c.server = getenv("BECKON_SERVER");
	c.token = getenv("BECKON_TOKEN");

	/* --help anywhere asks for the usage, which is not an error */
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
	}

	/* --server and --token may stand anywhere */
	for (i = 0; i < argc && n < (int)ARRAY_SIZE(args); i++) {
		if (!strcmp(argv[i], "--server") && i + 1 < argc)
			c.server = argv[++i];
		else if (!strcmp(argv[i], "--token") && i + 1 < argc)
			c.token = argv[++i];
		else
			args[n++] = argv[i];
	}
	if (!c.server || !*c.server)
		c.server = "http://127.0.0.1:8080";
	if (strncmp(c.server, "http://", 7)) {
		fprintf(stderr, "beckon: --server must be http://HOST:PORT\n");
		return 2;
	}
	if (server_resolve(server, sizeof(server), c.server))
		return 1;
	c.server = server;
	if (!n)
		return usage_error("missing the command");

	if (libre_init())
		return 1;
	tmr_init(&c.tmr);

	/* addresses only: a name server is needed by libre's client but
	 * never asked, since the server is given as an IP address */
	if (dnsc_alloc(&c.dnsc, NULL, NULL, 0) ||
	    http_client_alloc(&c.http, c.dnsc)) {
		fprintf(stderr, "beckon: cannot set up the HTTP client\n");
		goto out;
	}

	ret = run(&c, n, args);

 out:
	c.body = mem_deref(c.body);
	c.http = mem_deref(c.http);
	c.dnsc = mem_deref(c.dnsc);
	libre_close();

	return ret;
}
