/*
 * The log's lines as written to stderr: captured through a temporary
 * file put in place of descriptor 2, then read back. JSON lines are
 * decoded with libre's own JSON parser.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <re.h>
#define DEBUG_MODULE "test"
#define DEBUG_LEVEL 0
#include <re_dbg.h>
#include "util/util.h"
#include "test.h"

struct capture {
	char path[64];
	int fd, saved;
	char buf[4096];
};


static int capture_start(struct capture *c)
{
	str_bcpy(c->path, "/tmp/beckon-test-log.XXXXXX", sizeof(c->path));
	c->fd = mkstemp(c->path);
	if (c->fd < 0)
		return errno;
	fflush(stderr);
	c->saved = dup(2);
	if (c->saved < 0 || dup2(c->fd, 2) < 0)
		return errno;

	return 0;
}


/* puts stderr back; c->buf holds what was written */
static void capture_end(struct capture *c)
{
	ssize_t n;

	fflush(stderr);
	(void)dup2(c->saved, 2);
	close(c->saved);
	n = pread(c->fd, c->buf, sizeof(c->buf) - 1, 0);
	c->buf[n > 0 ? n : 0] = '\0';
	close(c->fd);
	unlink(c->path);
}


static const char hostile[] =
	"say \"hi\" \\ tab\tnl\nesc\x1b[31mred\x7f bad\xff caf\xc3\xa9";


TEST(log_text_escapes_controls)
{
	struct capture c;

	log_set_format(LOG_FMT_TEXT);
	TEST_EQ_INT(capture_start(&c), 0);
	log_msg(LOG_LVL_WARN, "test", "%s", hostile);
	capture_end(&c);

	/* one line, no escape byte, UTF-8 kept, the rest spelled out */
	TEST_EQ_STR(c.buf, "test: warn: say \"hi\" \\ tab\tnl\\x0aesc"
		    "\\x1b[31mred\\x7f bad\\xff caf\xc3\xa9\n");

	return 0;
}


TEST(log_json_one_object_a_line)
{
	struct capture c;
	struct odict *od = NULL;
	const char *t;
	int err;

	log_set_format(LOG_FMT_JSON);
	TEST_EQ_INT(capture_start(&c), 0);
	log_msg(LOG_LVL_ERROR, "te\"st", "%s", hostile);
	capture_end(&c);
	log_set_format(LOG_FMT_TEXT);

	TEST_ASSERT(strchr(c.buf, '\n') == c.buf + strlen(c.buf) - 1);
	TEST_ASSERT(!strchr(c.buf, '\x1b') && !strchr(c.buf, '\t'));
	err = json_decode_odict(&od, 8, c.buf, strlen(c.buf), 4);
	TEST_EQ_INT(err, 0);
	TEST_EQ_STR(odict_string(od, "level"), "error");
	TEST_EQ_STR(odict_string(od, "subsys"), "te\"st");
	TEST_EQ_STR(odict_string(od, "msg"), "say \"hi\" \\ tab\tnl\nesc"
		    "\x1b[31mred\x7f bad\xef\xbf\xbd caf\xc3\xa9");
	t = odict_string(od, "time");
	TEST_ASSERT(t && strlen(t) == 24 && t[23] == 'Z');
	TEST_EQ_INT(odict_count(od, false), 4);
	mem_deref(od);

	return 0;
}


/* a node's name: a field of every JSON line; in text only when asked */
TEST(log_node_in_lines)
{
	struct capture c;
	struct odict *od = NULL;
	int err;

	log_set_node("host\":8080", false);
	TEST_EQ_INT(capture_start(&c), 0);
	log_msg(LOG_LVL_WARN, "test", "one");
	capture_end(&c);
	TEST_EQ_STR(c.buf, "test: warn: one\n");

	log_set_node("host\x1b:8080", true);
	TEST_EQ_INT(capture_start(&c), 0);
	log_msg(LOG_LVL_WARN, "test", "two");
	capture_end(&c);
	TEST_EQ_STR(c.buf, "test: warn: host\\x1b:8080: two\n");

	log_set_node("host\":8080", false);
	log_set_format(LOG_FMT_JSON);
	TEST_EQ_INT(capture_start(&c), 0);
	log_msg(LOG_LVL_INFO, "test", "three");
	capture_end(&c);
	log_set_format(LOG_FMT_TEXT);
	log_set_node(NULL, false);

	err = json_decode_odict(&od, 8, c.buf, strlen(c.buf), 4);
	TEST_EQ_INT(err, 0);
	TEST_EQ_STR(odict_string(od, "node"), "host\":8080");
	TEST_EQ_STR(odict_string(od, "msg"), "three");
	TEST_EQ_INT(odict_count(od, false), 5);
	mem_deref(od);

	return 0;
}


TEST(log_format_parse_names)
{
	enum log_format f;

	TEST_EQ_INT(log_format_parse(&f, "json"), 0);
	TEST_EQ_INT(f, LOG_FMT_JSON);
	TEST_EQ_INT(log_format_parse(&f, "TEXT"), 0);
	TEST_EQ_INT(f, LOG_FMT_TEXT);
	TEST_EQ_INT(log_format_parse(&f, "xml"), EINVAL);

	return 0;
}


/* libre's messages: through the log, levels mapped, benign ones at debug,
 * no colours; what libre writes to stderr itself too */
TEST(log_libre_messages)
{
	enum log_level lvl = log_get_level();
	struct capture c;

	log_libre_attach();
	log_set_level(LOG_LVL_INFO);
	TEST_EQ_INT(capture_start(&c), 0);
	dbg_printf(DBG_WARNING, "sip: unhandeled response (OPTIONS)\n");
	dbg_printf(DBG_WARNING, "tcp: conn: %m\n", ECONNREFUSED);
	dbg_printf(DBG_INFO, "sip: some detail\n");
	(void)re_fprintf(stderr, "sip: msg decode err: %m\n", EBADMSG);
	(void)re_fprintf(stderr, "sip: %s\n", "not benign");
	capture_end(&c);
	log_set_level(lvl);

	TEST_EQ_STR(c.buf, "libre: warn: tcp: conn: Connection refused\n"
		    "libre: warn: sip: not benign\n");

	log_set_level(LOG_LVL_DEBUG);
	TEST_EQ_INT(capture_start(&c), 0);
	dbg_printf(DBG_WARNING, "sip: unhandeled response (OPTIONS)\n");
	capture_end(&c);
	log_set_level(lvl);
	TEST_EQ_STR(c.buf, "libre: debug: sip: unhandeled response "
		    "(OPTIONS)\n");

	return 0;
}
