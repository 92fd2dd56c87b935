#include <re.h>
#include "form/form.h"
#include "test.h"

struct kv {
	const char *k;
	const char *v;      /* NULL: JSON null */
};

struct ok_case {
	const char *body;
	size_t n;
	struct kv f[4];
};

struct bad_case {
	const char *body;
	size_t len;         /* 0: strlen(body) */
	const char *code;
	const char *field;
};


static int check_ok(enum form_kind kind, const struct ok_case *c)
{
	struct form_error fe;
	struct form *f = NULL;
	size_t i, len;
	int err;

	err = form_parse(&f, kind, c->body, strlen(c->body), &fe);
	if (err) {
		fprintf(stderr, "  '%s': %d %s (%s)\n", c->body, err,
			fe.code ? fe.code : "", fe.message);
		return EINVAL;
	}
	if (f->n != c->n) {
		fprintf(stderr, "  '%s': %zu fields, expected %zu\n", c->body,
			f->n, c->n);
		err = EINVAL;
		goto out;
	}
	if (fe.code) {
		fprintf(stderr, "  '%s': error code set on success\n",
			c->body);
		err = EINVAL;
		goto out;
	}

	for (i = 0; i < c->n; i++) {
		const char *v = form_get(f, c->f[i].k, &len);

		/* in order, and form_get finds the same */
		if (strcmp(f->v[i].key, c->f[i].k) || v != f->v[i].val) {
			fprintf(stderr, "  '%s': field %zu is '%s'\n",
				c->body, i, f->v[i].key);
			err = EINVAL;
			goto out;
		}

		if (!c->f[i].v ? (v != NULL || len != 0) :
		    (!v || strcmp(v, c->f[i].v) || len != strlen(v))) {
			fprintf(stderr, "  '%s': %s is '%s' (%zu)\n",
				c->body, c->f[i].k, v ? v : "(null)", len);
			err = EINVAL;
			goto out;
		}
	}

 out:
	mem_deref(f);

	return err;
}


static int check_bad(enum form_kind kind, const struct bad_case *c)
{
	struct form_error fe;
	struct form *f = NULL;
	size_t len = c->len ? c->len : strlen(c->body);
	int err;

	memset(&fe, 0xa5, sizeof(fe));

	err = form_parse(&f, kind, c->body, len, &fe);
	if (err != EBADMSG || f || !fe.code || strcmp(fe.code, c->code) ||
	    strcmp(fe.field, c->field) || strlen(fe.message) < 10) {
		fprintf(stderr, "  '%s': %d %s field '%s' (%s), expected "
			"%s field '%s'\n", c->body, err,
			fe.code ? fe.code : "(null)", fe.field, fe.message,
			c->code, c->field);
		mem_deref(f);
		return EINVAL;
	}

	/* the message names the field it is about */
	if (*c->field && !strstr(fe.message, c->field)) {
		fprintf(stderr, "  '%s': message '%s'\n", c->body,
			fe.message);
		return EINVAL;
	}

	/* an error is the same without anywhere to report it */
	if (form_parse(&f, kind, c->body, len, NULL) != EBADMSG || f)
		return EINVAL;

	return 0;
}


/* n fields a0..a(n-1), values v0.., as JSON or urlencoded, into mb */
static int many_fields(struct mbuf *mb, enum form_kind kind, unsigned n)
{
	unsigned i;
	int err = 0;

	mbuf_reset(mb);
	if (kind == FORM_JSON)
		err |= mbuf_write_str(mb, "{");
	for (i = 0; i < n; i++) {
		if (kind == FORM_JSON)
			err |= mbuf_printf(mb, "%s\"a%u\":\"v%u\"",
					   i ? "," : "", i, i);
		else
			err |= mbuf_printf(mb, "%sa%u=v%u", i ? "&" : "",
					   i, i);
	}
	if (kind == FORM_JSON)
		err |= mbuf_write_str(mb, "}");
	err |= mbuf_write_u8(mb, 0);

	return err;
}


TEST(form_json_ok)
{
	static const struct ok_case v[] = {
		{"{}", 0, {{NULL, NULL}}},
		{" \t\r\n{ \n} \r\n", 0, {{NULL, NULL}}},
		{"{\"name\":\"Ann\"}", 1, {{"name", "Ann"}}},
		{"{ \"a\" : \"1\" , \"b\" : null }", 2,
		 {{"a", "1"}, {"b", NULL}}},
		{"{\"a\":\"\",\"b\":\"x y\",\"c\":null}", 3,
		 {{"a", ""}, {"b", "x y"}, {"c", NULL}}},
		{"{\"a\":\"q\\\"b\\\\s\\/n\\nt\\tr\\rb\\bf\\f\"}", 1,
		 {{"a", "q\"b\\s/n\nt\tr\rb\bf\f"}}},
		{"{\"a\":\"\\u0041\\u00e9\\u20AC\\u0001\"}", 1,
		 {{"a", "A\xc3\xa9\xe2\x82\xac\x01"}}},
		{"{\"a\":\"\\ud83d\\udcde\"}", 1, {{"a", "\xf0\x9f\x93\x9e"}}},
		{"{\"a\":\"\\uD83D\\uDE00!\"}", 1,
		 {{"a", "\xf0\x9f\x98\x80!"}}},
		{"{\"a\":\"\\ud800\\udc00\\udbff\\udfff\"}", 1,
		 {{"a", "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf"}}},
		{"{\"a\":\"caf\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x93\x9e\"}", 1,
		 {{"a", "caf\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x93\x9e"}}},
		{"{\"a\":\"<script>&'\\u003c\"}", 1,
		 {{"a", "<script>&'<"}}},
		{"{\"n\\u0061me\":\"x\",\"caf\xc3\xa9\":\"y\"}", 2,
		 {{"name", "x"}, {"caf\xc3\xa9", "y"}}},
		{"{\"a b\":\"null\",\"c\":\"true\"}", 2,
		 {{"a b", "null"}, {"c", "true"}}},
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (check_ok(FORM_JSON, &v[i]))
			return EINVAL;
	}

	return 0;
}


TEST(form_json_bad)
{
	static const struct bad_case v[] = {
		/* not one object */
		{"", 0, "invalid_json", ""},
		{" \r\n\t", 0, "invalid_json", ""},
		{"[]", 0, "invalid_json", ""},
		{"\"a\"", 0, "invalid_json", ""},
		{"null", 0, "invalid_json", ""},
		{"\xef\xbb\xbf{}", 0, "invalid_json", ""},
		{"{}{}", 0, "invalid_json", ""},
		{"{\"a\":\"x\"} x", 0, "invalid_json", ""},
		{"{\"a\":\"x\"}}", 0, "invalid_json", ""},
		{"{\"a\":\"x\"}\0", 10, "invalid_json", ""},
		/* structure */
		{"{", 0, "invalid_json", ""},
		{"{\"a\"", 0, "invalid_json", ""},
		{"{\"a\":", 0, "invalid_json", "a"},
		{"{\"a\":\"x\"", 0, "invalid_json", ""},
		{"{\"a\":\"x\",", 0, "invalid_json", ""},
		{"{\"a\":\"x\",}", 0, "invalid_json", ""},
		{"{,}", 0, "invalid_json", ""},
		{"{,\"a\":\"x\"}", 0, "invalid_json", ""},
		{"{\"a\" \"x\"}", 0, "invalid_json", ""},
		{"{\"a\"::\"x\"}", 0, "invalid_json", "a"},
		{"{\"a\":\"x\" \"b\":\"y\"}", 0, "invalid_json", ""},
		{"{\"a\":\"x\";\"b\":\"y\"}", 0, "invalid_json", ""},
		{"{a:\"x\"}", 0, "invalid_json", ""},
		{"{'a':'x'}", 0, "invalid_json", ""},
		{"{\"a\":'x'}", 0, "invalid_json", "a"},
		{"{\"a\":nul}", 0, "invalid_json", "a"},
		{"{\"a\":None}", 0, "invalid_json", "a"},
		{"{\"a\":nullx}", 0, "invalid_json", ""},
		{"{\"a\":\"open}", 0, "invalid_json", "a"},
		{"{\"a\":\"open\\\"}", 0, "invalid_json", "a"},
		{"{\"open:\"x\"}", 0, "invalid_json", ""},
		/* strings */
		{"{\"a\":\"bad\\x\"}", 0, "invalid_json", "a"},
		{"{\"a\":\"bad\\U0041\"}", 0, "invalid_json", "a"},
		{"{\"a\":\"\\u12\"}", 0, "invalid_json", "a"},
		{"{\"a\":\"\\u12G4\"}", 0, "invalid_json", "a"},
		{"{\"a\":\"\\ud83d\\u12\"}", 0, "invalid_json", "a"},
		{"{\"a\":\"tab\there\"}", 0, "invalid_json", "a"},
		{"{\"a\":\"x\ny\"}", 0, "invalid_json", "a"},
		{"{\"a\":\"x\x1fy\"}", 0, "invalid_json", "a"},
		{"{\"a\":\"x\0y\"}", 11, "invalid_json", "a"},
		{"{\"a\\nb\":\"x\"}", 0, "invalid_json", ""},
		{"{\"\":\"x\"}", 0, "invalid_json", ""},
		/* types */
		{"{\"a\":1}", 0, "invalid_type", "a"},
		{"{\"a\":-1}", 0, "invalid_type", "a"},
		{"{\"a\":0.5e3}", 0, "invalid_type", "a"},
		{"{\"a\":true}", 0, "invalid_type", "a"},
		{"{\"a\":false}", 0, "invalid_type", "a"},
		{"{\"a\":[]}", 0, "invalid_type", "a"},
		{"{\"a\":[\"x\"]}", 0, "invalid_type", "a"},
		{"{\"a\":{}}", 0, "invalid_type", "a"},
		{"{\"b\":\"x\",\"phone\":14155550100}", 0, "invalid_type",
		 "phone"},
		/* duplicates */
		{"{\"a\":\"x\",\"a\":\"y\"}", 0, "duplicate_field", "a"},
		{"{\"a\":null,\"a\":\"y\"}", 0, "duplicate_field", "a"},
		{"{\"a\":\"x\",\"\\u0061\":\"y\"}", 0, "duplicate_field", "a"},
		{"{\"a\":\"x\",\"a\":1}", 0, "duplicate_field", "a"},
		/* text */
		{"{\"a\":\"\\ud83d\"}", 0, "invalid_utf8", "a"},
		{"{\"a\":\"\\ud83dx\"}", 0, "invalid_utf8", "a"},
		{"{\"a\":\"\\ud83d\\u0041\"}", 0, "invalid_utf8", "a"},
		{"{\"a\":\"\\ud83d\\ud83d\"}", 0, "invalid_utf8", "a"},
		{"{\"a\":\"\\ud83d\\ue000\"}", 0, "invalid_utf8", "a"},
		{"{\"a\":\"\\ud83d\\udbff\"}", 0, "invalid_utf8", "a"},
		{"{\"a\":\"\\ude00\"}", 0, "invalid_utf8", "a"},
		{"{\"a\":\"\\ude00\\ud83d\"}", 0, "invalid_utf8", "a"},
		{"{\"a\":\"\\u0000\"}", 0, "invalid_utf8", "a"},
		{"{\"a\":\"\xff\"}", 0, "invalid_utf8", "a"},
		{"{\"a\":\"\xc3\"}", 0, "invalid_utf8", "a"},
		{"{\"a\":\"\xc3(\"}", 0, "invalid_utf8", "a"},
		{"{\"a\":\"\xc0\xaf\"}", 0, "invalid_utf8", "a"},
		{"{\"a\":\"\xe0\x80\xaf\"}", 0, "invalid_utf8", "a"},
		{"{\"a\":\"\xe0\x9f\xbf\"}", 0, "invalid_utf8", "a"},
		{"{\"a\":\"\xf0\x8f\xbf\xbf\"}", 0, "invalid_utf8", "a"},
		{"{\"a\":\"\xed\xa0\x80\"}", 0, "invalid_utf8", "a"},
		{"{\"a\":\"\xf4\x90\x80\x80\"}", 0, "invalid_utf8", "a"},
		{"{\"a\":\"\xf8\x88\x80\x80\x80\"}", 0, "invalid_utf8", "a"},
		{"{\"\xff\":\"x\"}", 0, "invalid_utf8", ""},
		{"{\"\\u0000\":\"x\"}", 0, "invalid_utf8", ""},
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (check_bad(FORM_JSON, &v[i]))
			return EINVAL;
	}

	return 0;
}


TEST(form_urlenc_ok)
{
	static const struct ok_case v[] = {
		{"", 0, {{NULL, NULL}}},
		{"&", 0, {{NULL, NULL}}},
		{"&&&", 0, {{NULL, NULL}}},
		{"a=1&&b=2", 2, {{"a", "1"}, {"b", "2"}}},
		{"&a=1&", 1, {{"a", "1"}}},
		{"name=Ann+Lee&phone=%2B1+415", 2,
		 {{"name", "Ann Lee"}, {"phone", "+1 415"}}},
		{"a=%41%42%63&b=%c3%a9%C3%A9", 2,
		 {{"a", "ABc"}, {"b", "\xc3\xa9\xc3\xa9"}}},
		{"a&b=", 2, {{"a", ""}, {"b", ""}}},
		{"a=b=c", 1, {{"a", "b=c"}}},
		{"msg=line1%0D%0Aline2%09", 1, {{"msg", "line1\r\nline2\t"}}},
		{"a=%2526&b=%2B", 2, {{"a", "%26"}, {"b", "+"}}},
		{"k%20ey=v&k+e=w", 2, {{"k ey", "v"}, {"k e", "w"}}},
		{"a=caf\xc3\xa9&b=%E2%82%AC%F0%9F%93%9E", 2,
		 {{"a", "caf\xc3\xa9"},
		  {"b", "\xe2\x82\xac\xf0\x9f\x93\x9e"}}},
		{"a=<b>\"'", 1, {{"a", "<b>\"'"}}},
		{"%E2%82%AC=1", 1, {{"\xe2\x82\xac", "1"}}},
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (check_ok(FORM_URLENCODED, &v[i]))
			return EINVAL;
	}

	return 0;
}


TEST(form_urlenc_bad)
{
	static const struct bad_case v[] = {
		{"a=%", 0, "invalid_form", "a"},
		{"a=%4", 0, "invalid_form", "a"},
		{"a=%4&b=1", 0, "invalid_form", "a"},
		{"a=%G1", 0, "invalid_form", "a"},
		{"a=%%41", 0, "invalid_form", "a"},
		{"a=x\ny", 0, "invalid_form", "a"},
		{"a=x\x7fy", 0, "invalid_form", "a"},
		{"a=x\0y", 5, "invalid_form", "a"},
		{"%ZZ=1", 0, "invalid_form", ""},
		{"a\tb=1", 0, "invalid_form", ""},
		{"%0A=1", 0, "invalid_form", ""},
		{"=x", 0, "invalid_form", ""},
		{"=", 0, "invalid_form", ""},
		{"a=1&=2", 0, "invalid_form", ""},
		{"a=1&a=2", 0, "duplicate_field", "a"},
		{"a=1&a", 0, "duplicate_field", "a"},
		{"a+b=1&a%20b=2", 0, "duplicate_field", "a b"},
		{"a=%00", 0, "invalid_utf8", "a"},
		{"a=x%00", 0, "invalid_utf8", "a"},
		{"a=%FF", 0, "invalid_utf8", "a"},
		{"a=%C3", 0, "invalid_utf8", "a"},
		{"a=%C0%AF", 0, "invalid_utf8", "a"},
		{"a=%E0%9F%BF", 0, "invalid_utf8", "a"},
		{"a=%ED%A0%80", 0, "invalid_utf8", "a"},
		{"a=\xff", 0, "invalid_utf8", "a"},
		{"%FF=1", 0, "invalid_utf8", ""},
		{"a%00=1", 0, "invalid_utf8", ""},
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (check_bad(FORM_URLENCODED, &v[i]))
			return EINVAL;
	}

	return 0;
}


/* the bounds: FORM_MAX_FIELDS fields and FORM_KEY_MAX byte names */
TEST(form_limits)
{
	static const enum form_kind kinds[] = {FORM_JSON, FORM_URLENCODED};
	struct mbuf *mb = mbuf_alloc(1024);
	struct form_error fe;
	struct form *f = NULL;
	char key[FORM_KEY_MAX + 2];
	size_t i;
	int err = 0;

	if (!mb)
		return ENOMEM;

	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';

	for (i = 0; i < 2; i++) {
		enum form_kind kind = kinds[i];
		const char *code = kind == FORM_JSON ? "invalid_json" :
			"invalid_form";

		err = many_fields(mb, kind, FORM_MAX_FIELDS);
		if (err)
			goto out;
		err = form_parse(&f, kind, (char *)mb->buf, mb->end - 1, &fe);
		if (err)
			goto out;
		if (f->n != FORM_MAX_FIELDS ||
		    strcmp(form_get(f, "a31", NULL), "v31")) {
			err = EINVAL;
			goto out;
		}
		f = mem_deref(f);

		err = many_fields(mb, kind, FORM_MAX_FIELDS + 1);
		if (err)
			goto out;
		if (form_parse(&f, kind, (char *)mb->buf, mb->end - 1, &fe)
		    != EBADMSG || strcmp(fe.code, "too_many_fields") ||
		    strcmp(fe.field, "")) {
			err = EINVAL;
			goto out;
		}

		/* a name of FORM_KEY_MAX bytes is fine, one more is not */
		key[FORM_KEY_MAX] = '\0';
		mbuf_reset(mb);
		err = mbuf_printf(mb, kind == FORM_JSON ? "{\"%s\":\"x\"}" :
				  "%s=x", key);
		if (err)
			goto out;
		err = form_parse(&f, kind, (char *)mb->buf, mb->end, &fe);
		if (err)
			goto out;
		if (!form_get(f, key, NULL) || strcmp(f->v[0].key, key)) {
			err = EINVAL;
			goto out;
		}
		f = mem_deref(f);

		key[FORM_KEY_MAX] = 'k';
		mbuf_reset(mb);
		err = mbuf_printf(mb, kind == FORM_JSON ? "{\"%s\":\"x\"}" :
				  "%s=x", key);
		if (err)
			goto out;
		if (form_parse(&f, kind, (char *)mb->buf, mb->end, &fe) !=
		    EBADMSG || strcmp(fe.code, code) || fe.field[0]) {
			fprintf(stderr, "  long name: %s\n", fe.message);
			err = EINVAL;
			goto out;
		}
	}

 out:
	mem_deref(f);
	mem_deref(mb);

	return err;
}


/* errors name the field but never repeat the value */
TEST(form_error_no_echo)
{
	static const struct {
		enum form_kind kind;
		const char *body;
	} v[] = {
		{FORM_JSON, "{\"phone\":\"SECRET\x01\"}"},
		{FORM_JSON, "{\"phone\":\"SECRET\\q\"}"},
		{FORM_JSON, "{\"phone\":\"SECRET\xff\"}"},
		{FORM_JSON, "{\"phone\":SECRET}"},
		{FORM_JSON, "{\"phone\":\"SECRET\",\"phone\":\"SECRET\"}"},
		{FORM_URLENCODED, "phone=SECRET%ZZ"},
		{FORM_URLENCODED, "phone=SECRET%FF"},
		{FORM_URLENCODED, "phone=SECRET&phone=SECRET"},
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct form_error fe;
		struct form *f = NULL;

		TEST_EQ_INT(form_parse(&f, v[i].kind, v[i].body,
				       strlen(v[i].body), &fe), EBADMSG);
		TEST_EQ_STR(fe.field, "phone");
		TEST_ASSERT(strstr(fe.message, "phone") != NULL);
		if (strstr(fe.message, "SECRET")) {
			fprintf(stderr, "  '%s' echoed: %s\n", v[i].body,
				fe.message);
			return EINVAL;
		}
	}

	return 0;
}


TEST(form_get_and_args)
{
	struct form_error fe;
	struct form *f = NULL;
	size_t len = 99;
	const char *body = "{\"a\":\"xyz\",\"n\":null}";

	TEST_EQ_INT(form_parse(&f, FORM_JSON, body, strlen(body), &fe), 0);
	TEST_EQ_STR(form_get(f, "a", &len), "xyz");
	TEST_EQ_INT(len, 3);
	TEST_ASSERT(form_get(f, "n", &len) == NULL);
	TEST_EQ_INT(len, 0);
	len = 99;
	TEST_ASSERT(form_get(f, "missing", &len) == NULL);
	TEST_EQ_INT(len, 0);
	TEST_ASSERT(form_get(f, "A", NULL) == NULL);
	TEST_ASSERT(form_get(f, NULL, NULL) == NULL);
	TEST_ASSERT(form_get(NULL, "a", NULL) == NULL);
	f = mem_deref(f);

	TEST_EQ_INT(form_parse(NULL, FORM_JSON, "{}", 2, &fe), EINVAL);
	TEST_EQ_INT(form_parse(&f, FORM_JSON, NULL, 2, &fe), EINVAL);
	TEST_EQ_INT(form_parse(&f, (enum form_kind)7, "{}", 2, &fe), EINVAL);
	TEST_ASSERT(f == NULL);

	/* no body: an empty form, but not an empty JSON object */
	TEST_EQ_INT(form_parse(&f, FORM_URLENCODED, NULL, 0, &fe), 0);
	TEST_EQ_INT(f->n, 0);
	f = mem_deref(f);
	TEST_EQ_INT(form_parse(&f, FORM_JSON, NULL, 0, &fe), EBADMSG);
	TEST_EQ_STR(fe.code, "invalid_json");

	/* only len bytes are read */
	TEST_EQ_INT(form_parse(&f, FORM_URLENCODED, "a=1&b=2", 3, &fe), 0);
	TEST_EQ_INT(f->n, 1);
	TEST_EQ_STR(form_get(f, "a", NULL), "1");
	f = mem_deref(f);

	return 0;
}


TEST(form_json_str_escape)
{
	static const struct {
		const char *in;
		const char *out;
	} v[] = {
		{"", "\"\""},
		{"abc", "\"abc\""},
		{"a\"b\\c/d", "\"a\\\"b\\\\c/d\""},
		{"\n\r\t\b\f", "\"\\n\\r\\t\\b\\f\""},
		{"\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\""},
		{"</script>", "\"\\u003c/script\\u003e\""},
		{"a&b'c", "\"a\\u0026b\\u0027c\""},
		{"caf\xc3\xa9", "\"caf\xc3\xa9\""},
		{"\xe2\x80\xa8|\xe2\x80\xa9", "\"\\u2028|\\u2029\""},
		{"\xe2\x80\xa7\xe2\x82\xac", "\"\xe2\x80\xa7\xe2\x82\xac\""},
		{"\xf0\x9f\x93\x9e", "\"\xf0\x9f\x93\x9e\""},
		{"\xff", "\"\\ufffd\""},
		{"a\xc3", "\"a\\ufffd\""},
		{"\xed\xa0\x80!", "\"\\ufffd\\ufffd\\ufffd!\""},
		{"\xe2\x80", "\"\\ufffd\\ufffd\""},
	};
	struct mbuf *mb = mbuf_alloc(64);
	size_t i;
	int err = 0;

	if (!mb)
		return ENOMEM;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		mbuf_reset(mb);
		err = mbuf_write_str(mb, "x=");
		err |= form_json_str(mb, v[i].in);
		if (err)
			goto out;

		if (mb->end != 2 + strlen(v[i].out) ||
		    memcmp(mb->buf, "x=", 2) ||
		    memcmp(mb->buf + 2, v[i].out, mb->end - 2)) {
			fprintf(stderr, "  '%s': '%.*s', expected '%s'\n",
				v[i].in, (int)mb->end, mb->buf, v[i].out);
			err = EINVAL;
			goto out;
		}
	}

	mbuf_reset(mb);
	err = form_json_str(mb, NULL);
	if (err)
		goto out;
	if (mb->end != 4 || memcmp(mb->buf, "null", 4))
		err = EINVAL;

	if (form_json_str(NULL, "x") != EINVAL)
		err = EINVAL;

 out:
	mem_deref(mb);

	return err;
}


/* what form_json_str writes, form_parse reads back unchanged */
TEST(form_json_str_roundtrip)
{
	char all[160];
	const char *v[] = {
		all,
		"",
		"Ann \"the dialler\" O'Brien <ann@example.com> & co",
		"line 1\nline 2\r\n\ttabbed \\ back/slash",
		"\xc3\xa9\xe2\x82\xac\xf0\x9f\x93\x9e\xe2\x80\xa8\xe2\x80\xa9",
	};
	struct mbuf *mb = mbuf_alloc(256);
	struct form *f = NULL;
	size_t i, len;
	int err = 0;

	if (!mb)
		return ENOMEM;

	/* every ASCII character but NUL, then some beyond */
	for (i = 1; i < 128; i++)
		all[i - 1] = (char)i;
	strcpy(all + 127, "\xc3\xa9\xf4\x8f\xbf\xbf");

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct form_error fe;
		const char *got;

		mbuf_reset(mb);
		err = mbuf_write_str(mb, "{\"k\":");
		err |= form_json_str(mb, v[i]);
		err |= mbuf_write_str(mb, "}");
		if (err)
			goto out;

		/* nothing that could end a <script> survives */
		if (memchr(mb->buf, '<', mb->end) ||
		    memchr(mb->buf, '>', mb->end)) {
			err = EINVAL;
			goto out;
		}

		err = form_parse(&f, FORM_JSON, (char *)mb->buf, mb->end,
				 &fe);
		if (err) {
			fprintf(stderr, "  %zu: %s\n", i, fe.message);
			goto out;
		}

		got = form_get(f, "k", &len);
		if (!got || len != strlen(v[i]) || strcmp(got, v[i])) {
			fprintf(stderr, "  %zu: round trip differs\n", i);
			err = EINVAL;
			goto out;
		}
		f = mem_deref(f);
	}

 out:
	mem_deref(f);
	mem_deref(mb);

	return err;
}


TEST(form_kind_from_ctype)
{
	static const struct {
		const char *ct;
		size_t len;          /* 0: strlen(ct) */
		int err;
		enum form_kind kind;
	} v[] = {
		{"application/json", 0, 0, FORM_JSON},
		{"Application/JSON", 0, 0, FORM_JSON},
		{"application/json; charset=utf-8", 0, 0, FORM_JSON},
		{"application/json;charset=UTF-8", 0, 0, FORM_JSON},
		{"application/json ; charset=\"utf-8\"", 0, 0, FORM_JSON},
		{"  application/json  ", 0, 0, FORM_JSON},
		{"application/json;", 0, 0, FORM_JSON},
		{"application/json;;", 0, 0, FORM_JSON},
		{"application/json; foo=bar", 0, 0, FORM_JSON},
		{"application/json; foo=\"a;b\\\"c\"; charset=utf-8", 0, 0,
		 FORM_JSON},
		{"application/x-www-form-urlencoded", 0, 0, FORM_URLENCODED},
		{"application/x-www-form-urlencoded; charset=UTF-8", 0, 0,
		 FORM_URLENCODED},
		{"APPLICATION/X-WWW-FORM-URLENCODED", 0, 0, FORM_URLENCODED},
		{"application/json; charset=latin1", 16, 0, FORM_JSON},
		{"application/json; charset=iso-8859-1", 0, ENOTSUP, 0},
		{"application/json; charset=utf8", 0, ENOTSUP, 0},
		{"application/json; charset=utf-8x", 0, ENOTSUP, 0},
		{"application/json; charset=\"utf-8", 0, ENOTSUP, 0},
		{"application/json; charset=\"utf-8-and-then-a-lot\"", 0,
		 ENOTSUP, 0},
		{"application/json; charset=", 0, ENOTSUP, 0},
		{"application/json; charset", 0, ENOTSUP, 0},
		{"application/json; =utf-8", 0, ENOTSUP, 0},
		{"application/json; charset=utf-8; charset=latin1", 0,
		 ENOTSUP, 0},
		{"application/jsonx", 0, ENOTSUP, 0},
		{"application/json x", 0, ENOTSUP, 0},
		{"application/json, text/plain", 0, ENOTSUP, 0},
		{"application/merge-patch+json", 0, ENOTSUP, 0},
		{"text/plain", 0, ENOTSUP, 0},
		{"text/json", 0, ENOTSUP, 0},
		{"multipart/form-data; boundary=x", 0, ENOTSUP, 0},
		{"", 0, ENOTSUP, 0},
	};
	enum form_kind kind;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len = v[i].len ? v[i].len : strlen(v[i].ct);
		int err;

		kind = (enum form_kind)-1;
		err = form_kind_from_ctype(&kind, v[i].ct, len);
		if (err != v[i].err || (!err && kind != v[i].kind) ||
		    (err && kind != (enum form_kind)-1)) {
			fprintf(stderr, "  '%s': %d kind %d\n", v[i].ct, err,
				(int)kind);
			return EINVAL;
		}
	}

	TEST_EQ_INT(form_kind_from_ctype(&kind, NULL, 0), ENOTSUP);
	TEST_EQ_INT(form_kind_from_ctype(NULL, "application/json", 16),
		    EINVAL);

	return 0;
}


/* The admin API's flavour: numbers and booleans arrive as their text. */
TEST(form_json_scalars)
{
	struct form *f = NULL;
	struct form_error e;
	const char *body = "{\"a\":3,\"b\":-1.5e3,\"c\":true,\"d\":false,"
			   "\"e\":\"x\",\"f\":null}";
	size_t len;

	TEST_EQ_INT(form_parse(&f, FORM_JSON_SCALARS, body, strlen(body),
			       &e), 0);
	TEST_EQ_STR(form_get(f, "a", &len), "3");
	TEST_EQ_STR(form_get(f, "b", &len), "-1.5e3");
	TEST_EQ_STR(form_get(f, "c", &len), "true");
	TEST_EQ_STR(form_get(f, "d", &len), "false");
	TEST_EQ_STR(form_get(f, "e", &len), "x");
	TEST_ASSERT(form_get(f, "f", &len) == NULL);
	f = mem_deref(f);

	/* the strict flavour still refuses them; bad numbers, arrays and
	 * objects are refused by both */
	TEST_EQ_INT(form_parse(&f, FORM_JSON, body, strlen(body), &e),
		    EBADMSG);
	TEST_EQ_STR(e.code, "invalid_type");
	TEST_EQ_INT(form_parse(&f, FORM_JSON_SCALARS, "{\"a\":01}", 8, &e),
		    EBADMSG);
	TEST_EQ_INT(form_parse(&f, FORM_JSON_SCALARS, "{\"a\":1.}", 8, &e),
		    EBADMSG);
	TEST_EQ_INT(form_parse(&f, FORM_JSON_SCALARS, "{\"a\":tru}", 9, &e),
		    EBADMSG);
	TEST_EQ_INT(form_parse(&f, FORM_JSON_SCALARS, "{\"a\":[1]}", 9, &e),
		    EBADMSG);
	TEST_EQ_STR(e.code, "invalid_type");
	TEST_ASSERT(f == NULL);

	return 0;
}
