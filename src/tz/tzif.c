/*
 * tz: the TZif format (RFC 8536). A file is a 44-byte header with six
 * counts, a data block of 32-bit times, and, from version 2 on, a second
 * header and data block with 64-bit times followed by a footer line with
 * a POSIX TZ string. A version 1 file is read from its only block; a
 * later one from its second block, the first being skipped whole.
 *
 * Every count comes from the file, so every count is checked against the
 * bytes actually there (in 64-bit arithmetic, which cannot overflow with
 * 32-bit counts) before anything is allocated or read. A file that is
 * short, inconsistent or out of range is EBADMSG, never a crash or an
 * allocation larger than the file.
 */
#include <errno.h>
#include <string.h>
#include "tz/tz_int.h"

enum {
	HDR_SIZE = 44,
	MAX_TYPES = 256,        /* transition indices are one byte */
};

struct hdr {
	char version;           /* '\0', '2', '3', '4' */
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

/* A cursor over the file's bytes: reads fail past the end. */
struct rd {
	const uint8_t *p;
	size_t left;
};


static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		(uint32_t)p[2] << 8 | (uint32_t)p[3];
}


static int64_t be64(const uint8_t *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}


static const uint8_t *rd_take(struct rd *rd, uint64_t n)
{
	const uint8_t *p = rd->p;

	if (n > rd->left)
		return NULL;

	rd->p += n;
	rd->left -= (size_t)n;

	return p;
}


static int read_hdr(struct rd *rd, struct hdr *h)
{
	const uint8_t *p = rd_take(rd, HDR_SIZE);

	if (!p || memcmp(p, "TZif", 4))
		return EBADMSG;

	h->version = (char)p[4];
	if (h->version != '\0' && (h->version < '2' || h->version > '4'))
		return EBADMSG;

	h->isutcnt  = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt  = be32(p + 28);
	h->timecnt  = be32(p + 32);
	h->typecnt  = be32(p + 36);
	h->charcnt  = be32(p + 40);

	/* RFC 8536 3.1: at least one type and one abbreviation byte; the
	 * std/wall and UT/local indicators are all or nothing */
	if (h->typecnt == 0 || h->typecnt > MAX_TYPES || h->charcnt == 0 ||
	    (h->isutcnt != 0 && h->isutcnt != h->typecnt) ||
	    (h->isstdcnt != 0 && h->isstdcnt != h->typecnt))
		return EBADMSG;

	return 0;
}


static uint64_t block_size(const struct hdr *h, unsigned tsize)
{
	return (uint64_t)h->timecnt * tsize + h->timecnt +
		(uint64_t)h->typecnt * 6 + h->charcnt +
		(uint64_t)h->leapcnt * (tsize + 4) + h->isstdcnt +
		h->isutcnt;
}


static void zone_destructor(void *arg)
{
	struct tz_zone *z = arg;

	hash_unlink(&z->he);
	mem_deref(z->name);
	mem_deref(z->trans);
	mem_deref(z->tidx);
	mem_deref(z->types);
}


/* The data block of h, with times of tsize bytes, into z. */
static int read_block(struct tz_zone *z, struct rd *rd, const struct hdr *h,
		      unsigned tsize)
{
	const uint8_t *times, *idx, *ttinfo, *chars;
	uint32_t i;

	if (block_size(h, tsize) > rd->left)
		return EBADMSG;

	times  = rd_take(rd, (uint64_t)h->timecnt * tsize);
	idx    = rd_take(rd, h->timecnt);
	ttinfo = rd_take(rd, (uint64_t)h->typecnt * 6);
	chars  = rd_take(rd, h->charcnt);

	/* leap seconds and the indicators are not needed for civil time */
	(void)rd_take(rd, (uint64_t)h->leapcnt * (tsize + 4) + h->isstdcnt +
		      h->isutcnt);

	if (h->timecnt) {
		z->trans = mem_alloc(h->timecnt * sizeof(*z->trans), NULL);
		z->tidx = mem_alloc(h->timecnt, NULL);
		if (!z->trans || !z->tidx)
			return ENOMEM;
	}
	z->types = mem_zalloc(h->typecnt * sizeof(*z->types), NULL);
	if (!z->types)
		return ENOMEM;

	for (i = 0; i < h->timecnt; i++) {
		const uint8_t *t = times + (size_t)i * tsize;

		z->trans[i] = tsize == 8 ? be64(t) : (int32_t)be32(t);
		z->tidx[i] = idx[i];

		if (idx[i] >= h->typecnt)
			return EBADMSG;
		if (i > 0 && z->trans[i] <= z->trans[i - 1])
			return EBADMSG;
	}
	z->ntrans = h->timecnt;

	for (i = 0; i < h->typecnt; i++) {
		const uint8_t *ti = ttinfo + (size_t)i * 6;
		int32_t utoff = (int32_t)be32(ti);
		struct tz_type *type = &z->types[i];
		size_t n;

		if (utoff < -TZ_OFF_MAX || utoff > TZ_OFF_MAX || ti[4] > 1 ||
		    ti[5] >= h->charcnt)
			return EBADMSG;

		/* the abbreviation must end inside the character block */
		n = strnlen((const char *)chars + ti[5], h->charcnt - ti[5]);
		if (ti[5] + n >= h->charcnt)
			return EBADMSG;

		type->utoff = utoff;
		type->isdst = ti[4];
		if (n >= TZ_ABBR_SIZE)
			n = TZ_ABBR_SIZE - 1;
		memcpy(type->abbr, chars + ti[5], n);
		type->abbr[n] = '\0';
	}
	z->ntypes = h->typecnt;

	return 0;
}


/* "\nTZ string\n" after a version 2+ block; empty means no rule */
static int read_footer(struct tz_zone *z, struct rd *rd)
{
	const uint8_t *nl;
	size_t n;

	if (!rd->left || rd->p[0] != '\n')
		return EBADMSG;
	++rd->p;
	--rd->left;

	n = rd->left < TZ_FOOTER_MAX ? rd->left : TZ_FOOTER_MAX;
	nl = memchr(rd->p, '\n', n);
	if (!nl)
		return EBADMSG;

	n = (size_t)(nl - rd->p);
	if (!n)
		return 0;

	if (tz_posix_parse(&z->posix, (const char *)rd->p, n))
		return EBADMSG;
	z->has_posix = true;

	return 0;
}


int tz_zone_parse(struct tz_zone **zonep, const char *name,
		  const uint8_t *buf, size_t len)
{
	struct rd rd = {buf, len};
	struct tz_zone *z;
	struct hdr h;
	int err;

	if (!zonep || !name || (!buf && len))
		return EINVAL;

	err = read_hdr(&rd, &h);
	if (err)
		return err;

	z = mem_zalloc(sizeof(*z), zone_destructor);
	if (!z)
		return ENOMEM;

	err = str_dup(&z->name, name);
	if (err)
		goto out;

	if (h.version == '\0') {
		err = read_block(z, &rd, &h, 4);
		goto out;
	}

	/* skip the 32-bit block: the 64-bit one says everything it does */
	if (!rd_take(&rd, block_size(&h, 4))) {
		err = EBADMSG;
		goto out;
	}

	err = read_hdr(&rd, &h);
	if (err)
		goto out;
	if (h.version == '\0') {
		err = EBADMSG;
		goto out;
	}

	err = read_block(z, &rd, &h, 8);
	if (err)
		goto out;

	err = read_footer(z, &rd);

 out:
	if (err)
		mem_deref(z);
	else
		*zonep = z;

	return err;
}
