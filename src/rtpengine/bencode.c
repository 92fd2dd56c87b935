/*
 * The ng protocol's framing: "COOKIE SP DICT", DICT in bencode.
 *
 * bencode: "i42e" an integer, "5:hello" a string of 5 bytes, "l...e" a
 * list, "d...e" a dictionary of string keys and values. The decoder is a
 * parser of bytes from the network: it reads nothing past len, refuses
 * nesting deeper than RTPENGINE_DEPTH_MAX and messages above
 * RTPENGINE_MSG_MAX, refuses what libre's odict cannot hold faithfully (a
 * NUL inside a string, a key twice), integers that overflow and the
 * non-canonical "-0", "i03e" or "03:abc"; it takes keys in any order
 * (rtpengine does not sort them). All errors are EBADMSG, except
 * EMSGSIZE for a message too long and ENOMEM.
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#include "rtpengine/rtpengine.h"

enum { DICT_HASH = 8 };

struct cur {
	const uint8_t *p, *end;
};

static int decode_value(struct odict *o, const char *key, struct cur *c,
			unsigned depth);


/* digits of a length or an integer, none with a leading zero but "0" */
static int decode_digits(uint64_t *vp, struct cur *c, uint64_t max)
{
	const uint8_t *start = c->p;
	uint64_t v = 0;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		unsigned d = *c->p - '0';

		if (v > (max - d) / 10)
			return EBADMSG;
		v = v * 10 + d;
		++c->p;
	}
	if (c->p == start || (*start == '0' && c->p - start > 1))
		return EBADMSG;

	*vp = v;
	return 0;
}


static int expect(struct cur *c, uint8_t ch)
{
	if (c->p >= c->end || *c->p != ch)
		return EBADMSG;
	++c->p;
	return 0;
}


/* a string, as a NUL-terminated copy (no NUL inside) */
static int decode_str(char **sp, struct cur *c)
{
	uint64_t len;
	struct pl pl;
	int err;

	err = decode_digits(&len, c, RTPENGINE_MSG_MAX);
	if (!err)
		err = expect(c, ':');
	if (err)
		return err;
	if (len > (uint64_t)(c->end - c->p) || memchr(c->p, 0, len))
		return EBADMSG;

	pl.p = (const char *)c->p;
	pl.l = (size_t)len;
	c->p += len;

	return pl_strdup(sp, &pl);
}


static int decode_int(int64_t *vp, struct cur *c)
{
	bool neg = false;
	uint64_t v;
	int err;

	err = expect(c, 'i');
	if (err)
		return err;
	if (c->p < c->end && *c->p == '-') {
		neg = true;
		++c->p;
	}
	err = decode_digits(&v, c, INT64_MAX);
	if (!err)
		err = expect(c, 'e');
	if (err || (neg && v == 0))
		return EBADMSG;

	*vp = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}


/* the members of a list or a dictionary, up to and with its 'e' */
static int decode_members(struct odict *o, bool dict, struct cur *c,
			  unsigned depth)
{
	unsigned i = 0;
	int err = 0;

	while (!err) {
		char idx[16], *key = NULL;

		if (c->p >= c->end)
			return EBADMSG;
		if (*c->p == 'e') {
			++c->p;
			return 0;
		}
		if (dict) {
			err = decode_str(&key, c);
			if (!err && odict_lookup(o, key))
				err = EBADMSG;
		}
		else {
			re_snprintf(idx, sizeof(idx), "%u", i++);
		}
		if (!err)
			err = decode_value(o, dict ? key : idx, c, depth);
		mem_deref(key);
	}

	return err;
}


static int decode_container(struct odict **op, struct cur *c,
			    unsigned depth)
{
	struct odict *o;
	bool dict;
	int err;

	if (depth > RTPENGINE_DEPTH_MAX || c->p >= c->end ||
	    (*c->p != 'd' && *c->p != 'l'))
		return EBADMSG;
	dict = *c->p++ == 'd';

	err = odict_alloc(&o, DICT_HASH);
	if (err)
		return err;

	err = decode_members(o, dict, c, depth);
	if (err)
		mem_deref(o);
	else
		*op = o;

	return err;
}


static int decode_value(struct odict *o, const char *key, struct cur *c,
			unsigned depth)
{
	struct odict *sub = NULL;
	char *s = NULL;
	int64_t v;
	int type, err;

	if (c->p >= c->end)
		return EBADMSG;

	switch (*c->p) {

	case 'i':
		err = decode_int(&v, c);
		if (!err)
			err = odict_entry_add(o, key, ODICT_INT, v);
		break;

	case 'd':
	case 'l':
		type = *c->p == 'd' ? ODICT_OBJECT : ODICT_ARRAY;
		err = decode_container(&sub, c, depth + 1);
		if (!err)
			err = odict_entry_add(o, key, type, sub);
		break;

	default:
		err = decode_str(&s, c);
		if (!err)
			err = odict_entry_add(o, key, ODICT_STRING, s);
		break;
	}

	mem_deref(sub);
	mem_deref(s);
	return err;
}


int rtpengine_bencode_decode(struct odict **dp, const uint8_t *buf,
			     size_t len)
{
	struct cur c;
	struct odict *d = NULL;
	int err;

	if (!dp || !buf)
		return EINVAL;
	if (len > RTPENGINE_MSG_MAX)
		return EMSGSIZE;

	c.p = buf;
	c.end = buf + len;
	if (c.p >= c.end || *c.p != 'd')
		return EBADMSG;

	err = decode_container(&d, &c, 1);
	if (!err && c.p != c.end)
		err = EBADMSG;
	if (err) {
		mem_deref(d);
		return err;
	}

	*dp = d;
	return 0;
}


static int encode_str(struct mbuf *mb, const char *s)
{
	return mbuf_printf(mb, "%zu:%s", strlen(s), s);
}


static int encode_odict(struct mbuf *mb, const struct odict *o, bool dict,
			unsigned depth);

static int encode_value(struct mbuf *mb, const struct odict_entry *e,
			unsigned depth)
{
	switch (e->type) {

	case ODICT_STRING:
		return encode_str(mb, e->u.str);

	case ODICT_INT:
		return mbuf_printf(mb, "i%llde", (long long)e->u.integer);

	case ODICT_OBJECT:
	case ODICT_ARRAY:
		return encode_odict(mb, e->u.odict, e->type == ODICT_OBJECT,
				    depth + 1);

	default:
		return EINVAL;   /* bencode has no booleans, reals, null */
	}
}


static int encode_odict(struct mbuf *mb, const struct odict *o, bool dict,
			unsigned depth)
{
	struct le *le;
	int err;

	if (depth > RTPENGINE_DEPTH_MAX)
		return EINVAL;

	err = mbuf_write_u8(mb, dict ? 'd' : 'l');
	for (le = o->lst.head; le && !err; le = le->next) {
		const struct odict_entry *e = le->data;

		if (dict)
			err = encode_str(mb, e->key);
		if (!err)
			err = encode_value(mb, e, depth);
	}
	if (!err)
		err = mbuf_write_u8(mb, 'e');

	return err;
}


int rtpengine_bencode_encode(struct mbuf *mb, const struct odict *d)
{
	if (!mb || !d)
		return EINVAL;

	return encode_odict(mb, d, true, 1);
}


/* a cookie: printable, no space, bounded */
static bool cookie_valid(const uint8_t *p, size_t n)
{
	size_t i;

	if (n == 0 || n > RTPENGINE_COOKIE_MAX)
		return false;
	for (i = 0; i < n; i++) {
		if (p[i] <= ' ' || p[i] > '~')
			return false;
	}

	return true;
}


int rtpengine_msg_decode(struct pl *cookie, struct odict **dp,
			 const uint8_t *buf, size_t len)
{
	const uint8_t *sp;
	size_t n;
	int err;

	if (!cookie || !dp || !buf)
		return EINVAL;

	n = len < RTPENGINE_COOKIE_MAX + 1 ? len : RTPENGINE_COOKIE_MAX + 1;
	sp = memchr(buf, ' ', n);
	if (!sp || !cookie_valid(buf, (size_t)(sp - buf)))
		return EBADMSG;

	err = rtpengine_bencode_decode(dp, sp + 1, len - (size_t)(sp - buf)
				       - 1);
	if (err)
		return err;

	cookie->p = (const char *)buf;
	cookie->l = (size_t)(sp - buf);
	return 0;
}


int rtpengine_msg_encode(struct mbuf *mb, const char *cookie,
			 const struct odict *d)
{
	size_t start;
	int err;

	if (!mb || !cookie || !d ||
	    !cookie_valid((const uint8_t *)cookie, strlen(cookie)))
		return EINVAL;

	start = mb->pos;
	err = mbuf_printf(mb, "%s ", cookie);
	if (!err)
		err = rtpengine_bencode_encode(mb, d);
	if (!err && mb->pos - start > RTPENGINE_MSG_MAX)
		err = EMSGSIZE;

	return err;
}

