/*
 * Time zones, against the system's tzdata. Every expected value was
 * checked outside beckon (python3's zoneinfo, `TZ=... date`) and is
 * written here as a plain fact: the 2026 DST changes in New York, Paris
 * and Lord Howe (a 30-minute change), instants after 2037 that only the
 * POSIX footer answers (with negative DST, negative and >24h rule times),
 * before the first transition, a zone without DST, UTC; the gap and
 * overlap rules of tz_from_local, also as a round trip over a whole
 * year; zone names; the J and n rules in files made here; and files that
 * are truncated, corrupt or garbage, which must give EBADMSG and nothing
 * worse.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <re.h>
#include "tz/tz.h"
#include "tz/tz_int.h"
#include "test.h"

enum { H = 3600 };

struct local_case {
	const char *zone;
	int64_t t;              /* seconds since the epoch, UTC */
	const char *local;      /* what the zone's clocks show */
	int offset;
	bool dst;
	int weekday;            /* 0 = Monday */
	const char *abbr;
};

static const struct local_case local_cases[] = {
	/* New York springs forward 2026-03-08 07:00Z: 02:00 EST->03:00 EDT */
	{"America/New_York", 1772953199, "2026-03-08 01:59:59", -5 * H,
	 false, 6, "EST"},
	{"America/New_York", 1772953200, "2026-03-08 03:00:00", -4 * H,
	 true, 6, "EDT"},
	/* and falls back 2026-11-01 06:00Z: 02:00 EDT->01:00 EST */
	{"America/New_York", 1793512799, "2026-11-01 01:59:59", -4 * H,
	 true, 6, "EDT"},
	{"America/New_York", 1793512800, "2026-11-01 01:00:00", -5 * H,
	 false, 6, "EST"},
	/* Paris: 2026-03-29 01:00Z and 2026-10-25 01:00Z */
	{"Europe/Paris", 1774745999, "2026-03-29 01:59:59", 1 * H, false, 6,
	 "CET"},
	{"Europe/Paris", 1774746000, "2026-03-29 03:00:00", 2 * H, true, 6,
	 "CEST"},
	{"Europe/Paris", 1792889999, "2026-10-25 02:59:59", 2 * H, true, 6,
	 "CEST"},
	{"Europe/Paris", 1792890000, "2026-10-25 02:00:00", 1 * H, false, 6,
	 "CET"},
	/* Lord Howe moves by 30 minutes: +11 -> +10:30 on 2026-04-05,
	 * +10:30 -> +11 on 2026-10-04 */
	{"Australia/Lord_Howe", 1775314799, "2026-04-05 01:59:59", 11 * H,
	 true, 6, "+11"},
	{"Australia/Lord_Howe", 1775314800, "2026-04-05 01:30:00",
	 10 * H + 1800, false, 6, "+1030"},
	{"Australia/Lord_Howe", 1791041399, "2026-10-04 01:59:59",
	 10 * H + 1800, false, 6, "+1030"},
	{"Australia/Lord_Howe", 1791041400, "2026-10-04 02:30:00", 11 * H,
	 true, 6, "+11"},
	/* after 2037: the footer's rule */
	{"Australia/Lord_Howe", 2557353600, "2051-01-15 11:00:00", 11 * H,
	 true, 6, "+11"},
	{"Australia/Lord_Howe", 2572992000, "2051-07-15 10:30:00",
	 10 * H + 1800, false, 5, "+1030"},
	{"America/New_York", 2215061999, "2040-03-11 01:59:59", -5 * H,
	 false, 6, "EST"},
	{"America/New_York", 2215062000, "2040-03-11 03:00:00", -4 * H,
	 true, 6, "EDT"},
	{"America/New_York", 2235621599, "2040-11-04 01:59:59", -4 * H,
	 true, 6, "EDT"},
	{"America/New_York", 2235621600, "2040-11-04 01:00:00", -5 * H,
	 false, 6, "EST"},
	{"America/New_York", 4118400000, "2100-07-04 12:00:00", -4 * H,
	 true, 6, "EDT"},
	/* Dublin's DST is in winter ("IST-1GMT0,M10.5.0,M3.5.0/1") */
	{"Europe/Dublin", 2367662400, "2045-01-10 12:00:00", 0, true, 1,
	 "GMT"},
	{"Europe/Dublin", 2383300800, "2045-07-10 13:00:00", 1 * H, false, 0,
	 "IST"},
	/* Nuuk changes at -1:00 local ("M3.5.0/-1"), Jerusalem at 26:00
	 * ("M3.4.4/26", the Friday 02:00 after the fourth Thursday) */
	{"America/Nuuk", 2248304399, "2041-03-30 22:59:59", -2 * H, false, 5,
	 "-02"},
	{"America/Nuuk", 2248304400, "2041-03-31 00:00:00", -1 * H, true, 6,
	 "-01"},
	{"Asia/Jerusalem", 2248127999, "2041-03-29 01:59:59", 2 * H, false, 4,
	 "IST"},
	{"Asia/Jerusalem", 2248128000, "2041-03-29 03:00:00", 3 * H, true, 4,
	 "IDT"},
	/* before New York's first transition: local mean time */
	{"America/New_York", -5364662400LL, "1799-12-31 19:03:58",
	 -(4 * H + 56 * 60 + 2), false, 1, "LMT"},
	{"America/New_York", -1, "1969-12-31 18:59:59", -5 * H, false, 2,
	 "EST"},
	/* no DST at all */
	{"Asia/Kolkata", 1782907200, "2026-07-01 17:30:00", 5 * H + 1800,
	 false, 2, "IST"},
	{"Asia/Kolkata", 1767225600, "2026-01-01 05:30:00", 5 * H + 1800,
	 false, 3, "IST"},
	{"Asia/Tokyo", 1772827200, "2026-03-07 05:00:00", 9 * H, false, 5,
	 "JST"},
	{"UTC", 1772953200, "2026-03-08 07:00:00", 0, false, 6, "UTC"},
};


struct from_case {
	const char *zone;
	int y, mo, d, h, mi, s;
	int64_t t;
};

static const struct from_case from_cases[] = {
	/* the spring-forward gap maps to its end, 03:00 EDT = 07:00Z */
	{"America/New_York", 2026, 3, 8, 2, 0, 0, 1772953200},
	{"America/New_York", 2026, 3, 8, 2, 30, 0, 1772953200},
	{"America/New_York", 2026, 3, 8, 2, 59, 59, 1772953200},
	{"America/New_York", 2026, 3, 8, 3, 0, 0, 1772953200},
	{"America/New_York", 2026, 3, 8, 1, 59, 59, 1772953199},
	{"America/New_York", 2026, 3, 8, 9, 0, 0, 1772974800},
	/* a repeated time maps to its first occurrence (EDT) */
	{"America/New_York", 2026, 11, 1, 1, 0, 0, 1793509200},
	{"America/New_York", 2026, 11, 1, 1, 30, 0, 1793511000},
	{"America/New_York", 2026, 11, 1, 0, 59, 59, 1793509199},
	{"America/New_York", 2026, 11, 1, 2, 0, 0, 1793516400},
	/* Paris: gap 02:00-03:00 on 03-29, 02:00-03:00 twice on 10-25 */
	{"Europe/Paris", 2026, 3, 29, 2, 30, 0, 1774746000},
	{"Europe/Paris", 2026, 10, 25, 2, 30, 0, 1792888200},
	{"Europe/Paris", 2026, 10, 25, 3, 0, 0, 1792893600},
	/* Lord Howe: 01:30-02:00 twice on 04-05, gap 02:00-02:30 on
	 * 10-04 */
	{"Australia/Lord_Howe", 2026, 4, 5, 1, 45, 0, 1775313900},
	{"Australia/Lord_Howe", 2026, 10, 4, 2, 15, 0, 1791041400},
	/* the footer's gap and overlap */
	{"America/New_York", 2040, 3, 11, 2, 30, 0, 2215062000},
	{"America/New_York", 2040, 11, 4, 1, 30, 0, 2235619800},
	/* 24:00 ends a day */
	{"America/New_York", 2026, 3, 7, 24, 0, 0, 1772946000},
	{"Asia/Kolkata", 2026, 7, 1, 17, 30, 0, 1782907200},
	{"UTC", 2000, 2, 29, 12, 0, 0, 951825600},
};


static int reg_zone(struct tz_registry **regp, struct tz_zone **zp,
		    const char *name)
{
	int err;

	if (!*regp) {
		err = tz_registry_alloc(regp, NULL);
		if (err)
			return err;
	}

	err = tz_get(*regp, name, zp);
	if (err)
		fprintf(stderr, "  tz_get %s: %s (is tzdata installed?)\n",
			name, strerror(err));

	return err;
}


TEST(tz_to_local_facts)
{
	struct tz_registry *reg = NULL;
	struct tz_zone *z;
	struct tz_local l;
	char buf[32];
	bool dst;
	size_t i;
	int err = 0;

	for (i = 0; i < ARRAY_SIZE(local_cases); i++) {
		const struct local_case *c = &local_cases[i];

		err = reg_zone(&reg, &z, c->zone);
		if (err)
			goto out;

		err = tz_to_local(z, c->t * 1000 + 999, &l);
		if (err)
			goto out;
		snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d",
			 l.year, l.month, l.day, l.hour, l.min, l.sec);

		if (strcmp(buf, c->local) || l.offset != c->offset ||
		    l.is_dst != c->dst || l.weekday != c->weekday ||
		    strcmp(l.abbr, c->abbr) ||
		    tz_utc_offset(z, c->t * 1000, &dst) != c->offset ||
		    dst != c->dst) {
			fprintf(stderr, "  %s at %lld: %s %d %d %d %s, "
				"expected %s %d %d %d %s\n", c->zone,
				(long long)c->t, buf, l.offset, l.is_dst,
				l.weekday, l.abbr, c->local, c->offset,
				c->dst, c->weekday, c->abbr);
			err = EINVAL;
			goto out;
		}
	}

	/* a NULL zone is UTC */
	TEST_EQ_INT(tz_utc_offset(NULL, 1772953200000LL, NULL), 0);
	TEST_EQ_INT(tz_to_local(NULL, 1772953200000LL, &l), 0);
	TEST_EQ_INT(l.hour, 7);
	TEST_EQ_STR(tz_name(NULL), "UTC");

 out:
	mem_deref(reg);

	return err;
}


TEST(tz_from_local_gap_and_overlap)
{
	struct tz_registry *reg = NULL;
	struct tz_zone *z;
	int64_t ms;
	size_t i;
	int err = 0;

	for (i = 0; i < ARRAY_SIZE(from_cases); i++) {
		const struct from_case *c = &from_cases[i];

		err = reg_zone(&reg, &z, c->zone);
		if (err)
			goto out;

		err = tz_from_local(z, c->y, c->mo, c->d, c->h, c->mi, c->s,
				    &ms);
		if (err || ms != c->t * 1000) {
			fprintf(stderr, "  %s %04d-%02d-%02d %02d:%02d:%02d: "
				"%d %lld, expected %lld\n", c->zone, c->y,
				c->mo, c->d, c->h, c->mi, c->s, err,
				(long long)ms / 1000, (long long)c->t);
			err = EINVAL;
			goto out;
		}
	}

	/* out of range */
	err = reg_zone(&reg, &z, "America/New_York");
	if (err)
		goto out;
	TEST_EQ_INT(tz_from_local(z, 2026, 2, 29, 12, 0, 0, &ms), EINVAL);
	TEST_EQ_INT(tz_from_local(z, 2026, 13, 1, 12, 0, 0, &ms), EINVAL);
	TEST_EQ_INT(tz_from_local(z, 2026, 1, 1, 24, 0, 1, &ms), EINVAL);
	TEST_EQ_INT(tz_from_local(z, 2026, 1, 1, 12, 60, 0, &ms), EINVAL);
	TEST_EQ_INT(tz_from_local(z, 0, 1, 1, 12, 0, 0, &ms), EINVAL);
	TEST_EQ_INT(tz_from_local(z, 2026, 1, 1, 12, 0, 0, NULL), EINVAL);
	TEST_EQ_INT(tz_from_local(NULL, 1970, 1, 1, 0, 0, 0, &ms), 0);
	TEST_EQ_INT(ms, 0);
	err = 0;

 out:
	mem_deref(reg);

	return err;
}


/*
 * Every ten minutes of 2026 (and of 2045, past the table) in three
 * zones: local time and back is the same instant, except in the second
 * pass of a repeated hour, which goes back to the first; and the only
 * local times never shown are those of the gaps.
 */
TEST(tz_round_trip_year)
{
	static const char *zones[] = {"America/New_York", "Europe/Paris",
				      "Australia/Lord_Howe"};
	static const int64_t years[][2] = {
		{1767225600, 1798761600},       /* 2026 */
		{2366841600, 2398377600},       /* 2045 */
	};
	struct tz_registry *reg = NULL;
	struct tz_zone *z;
	size_t i, j;
	int err = 0;

	for (i = 0; i < ARRAY_SIZE(zones); i++) {
		unsigned seconds = 0;

		err = reg_zone(&reg, &z, zones[i]);
		if (err)
			goto out;

		for (j = 0; j < ARRAY_SIZE(years); j++) {
			int64_t t;

			for (t = years[j][0]; t < years[j][1]; t += 600) {
				struct tz_local l, l2;
				int64_t back;

				tz_to_local(z, t * 1000, &l);
				err = tz_from_local(z, l.year, l.month, l.day,
						    l.hour, l.min, l.sec,
						    &back);
				if (err)
					goto out;
				if (back == t * 1000)
					continue;

				/* the first pass, an hour (half an hour at
				 * Lord Howe) before */
				tz_to_local(z, back, &l2);
				if (back > t * 1000 ||
				    t * 1000 - back > H * 1000 ||
				    l2.hour != l.hour || l2.min != l.min ||
				    l2.offset <= l.offset) {
					fprintf(stderr, "  %s %lld -> %lld\n",
						zones[i], (long long)t,
						(long long)back / 1000);
					err = EINVAL;
					goto out;
				}
				seconds += 600;
			}
		}

		/* two fall-backs by an hour (Lord Howe: half an hour) */
		TEST_EQ_INT(seconds, i == 2 ? 2 * 1800 : 2 * H);
	}

 out:
	mem_deref(reg);

	return err;
}


TEST(tz_registry_names)
{
	static const char *bad[] = {
		"", "/etc/passwd", "../etc/passwd", "America/../../etc/passwd",
		"America//New_York", "America/", ".hidden", "America/.x",
		"America/New York", "America/New_York\n", "Europe/Paris;rm",
		"%s", "..",
	};
	struct tz_registry *reg = NULL;
	struct tz_zone *z = NULL, *z2 = NULL;
	char longname[TZ_NAME_MAX + 2];
	size_t i;
	int err;

	err = tz_registry_alloc(&reg, NULL);
	if (err)
		return err;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (tz_get(reg, bad[i], &z) != EINVAL) {
			fprintf(stderr, "  \"%s\" accepted\n", bad[i]);
			err = EINVAL;
			goto out;
		}
	}
	memset(longname, 'A', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	TEST_EQ_INT(tz_get(reg, longname, &z), EINVAL);
	TEST_EQ_INT(tz_get(reg, NULL, &z), EINVAL);

	/* unknown names, a directory, a file that is not TZif */
	TEST_EQ_INT(tz_get(reg, "Mars/Olympus_Mons", &z), ENOENT);
	TEST_EQ_INT(tz_get(reg, "America", &z), ENOENT);
	TEST_EQ_INT(tz_get(reg, "Europe/Paris/x", &z), ENOENT);
	TEST_EQ_INT(tz_get(reg, "zone1970.tab", &z), EBADMSG);

	/* loaded once, then the same zone; links work */
	TEST_EQ_INT(tz_get(reg, "Europe/Paris", &z), 0);
	TEST_EQ_INT(tz_get(reg, "Europe/Paris", &z2), 0);
	TEST_ASSERT(z == z2);
	TEST_EQ_STR(tz_name(z), "Europe/Paris");
	TEST_EQ_INT(tz_get(reg, "Etc/GMT+5", &z2), 0);
	TEST_EQ_INT(tz_utc_offset(z2, 0, NULL), -5 * H);

	/* a zone kept with mem_ref outlives its registry */
	mem_ref(z);
	reg = mem_deref(reg);
	TEST_EQ_INT(tz_utc_offset(z, 1774746000000LL, NULL), 2 * H);
	mem_deref(z);

	TEST_EQ_INT(tz_registry_alloc(NULL, NULL), EINVAL);

 out:
	mem_deref(reg);

	return err;
}


/* A scratch zoneinfo directory, emptied and removed by tmpdir_done. */
struct tmpdir {
	char path[64];
	char files[8][32];
	unsigned n;
};


static int tmpdir_init(struct tmpdir *td)
{
	memset(td, 0, sizeof(*td));
	snprintf(td->path, sizeof(td->path), "/tmp/beckon-tz-XXXXXX");

	return mkdtemp(td->path) ? 0 : errno;
}


static int tmpdir_write(struct tmpdir *td, const char *name,
			const uint8_t *buf, size_t len)
{
	char path[128];
	unsigned i;
	ssize_t n;
	int fd;

	for (i = 0; i < td->n && strcmp(td->files[i], name); i++)
		;
	if (i == td->n && td->n < ARRAY_SIZE(td->files))
		snprintf(td->files[td->n++], sizeof(td->files[0]), "%s",
			 name);

	snprintf(path, sizeof(path), "%s/%s", td->path, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return errno;
	n = len ? write(fd, buf, len) : 0;
	close(fd);

	return n == (ssize_t)len ? 0 : EIO;
}


static void tmpdir_done(struct tmpdir *td)
{
	char path[128];
	unsigned i;

	for (i = 0; i < td->n; i++) {
		snprintf(path, sizeof(path), "%s/%s", td->path, td->files[i]);
		unlink(path);
	}
	rmdir(td->path);
}


static size_t put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;

	return 4;
}


/*
 * A TZif file of the given version with one type (utoff, "ZZZ") and the
 * given transitions to it, then footer (NULL: none, for version 1).
 */
static size_t tzif_make(uint8_t *buf, char version, int32_t utoff,
			const int64_t *trans, uint32_t ntrans,
			const char *footer)
{
	size_t n = 0;
	int pass, tsize;
	uint32_t i;

	for (pass = 0; pass < (version ? 2 : 1); pass++) {
		tsize = pass ? 8 : 4;

		memcpy(buf + n, "TZif", 4);
		buf[n + 4] = (uint8_t)version;
		memset(buf + n + 5, 0, 15);
		n += 20;
		n += put32(buf + n, 0);         /* isutcnt */
		n += put32(buf + n, 0);         /* isstdcnt */
		n += put32(buf + n, 0);         /* leapcnt */
		n += put32(buf + n, ntrans);
		n += put32(buf + n, 1);         /* typecnt */
		n += put32(buf + n, 4);         /* charcnt */

		for (i = 0; i < ntrans; i++) {
			if (tsize == 8)
				n += put32(buf + n,
					   (uint32_t)(trans[i] >> 32));
			n += put32(buf + n, (uint32_t)trans[i]);
		}
		for (i = 0; i < ntrans; i++)
			buf[n++] = 0;

		n += put32(buf + n, (uint32_t)utoff);
		buf[n++] = 0;
		buf[n++] = 0;
		memcpy(buf + n, "ZZZ", 4);
		n += 4;
	}

	if (footer)
		n += (size_t)sprintf((char *)buf + n, "\n%s\n", footer);

	return n;
}


/*
 * The Jn and n rules, which no tzdata zone uses, in a footer-only file:
 * J60 is March 1 in every year; day 300 (from 0) is October 27 in a leap
 * year and 28 otherwise; day 59 is February 29 or March 1; J365/23 is
 * December 31 at 23:00. Checked against glibc's reading of the same TZ
 * strings. Also a version 1 file, and an overridden directory.
 */
TEST(tz_posix_rules_in_made_files)
{
	static const struct {
		const char *name;
		int64_t t;
		int offset;
	} cases[] = {
		{"JN", 1835499599, -3 * H},     /* 2028-03-01 01:59:59 AAA */
		{"JN", 1835499600, -2 * H},     /* 2028-03-01 03:00 BBB */
		{"JN", 1856235599, -2 * H},     /* 2028-10-27 02:59:59 BBB */
		{"JN", 1856235600, -3 * H},     /* 2028-10-27 02:00 AAA */
		{"JN", 1824699599, -2 * H},     /* 2027-10-28 02:59:59 BBB */
		{"JN", 1824699600, -3 * H},     /* 2027-10-28 02:00 AAA */
		{"N59", 1835391599, 1 * H},     /* 2028-02-28 23:59:59 CCC */
		{"N59", 1835391600, 2 * H},     /* 2028-02-29 01:00 DDD */
		{"N59", 1803855600, 2 * H},     /* 2027-03-01 01:00 DDD */
		{"N59", 1861909199, 2 * H},     /* 2028-12-31 22:59:59 DDD */
		{"N59", 1861909200, 1 * H},     /* 2028-12-31 22:00 CCC */
		{"V1", -1, 3 * H},              /* before the transition */
		{"V1", 0, 3 * H},               /* at it */
		{"V1", 4000000000LL, 3 * H},    /* no footer: stays */
	};
	static const int64_t v1trans[] = {0};
	struct tz_registry *reg = NULL;
	struct tz_zone *z;
	struct tmpdir td;
	uint8_t buf[512];
	size_t i, n;
	int err;

	err = tmpdir_init(&td);
	if (err)
		return err;

	n = tzif_make(buf, '2', -3 * H, NULL, 0, "AAA3BBB,J60/2,300/3");
	err = tmpdir_write(&td, "JN", buf, n);
	n = tzif_make(buf, '3', 1 * H, NULL, 0, "CCC-1DDD,59/0,J365/23");
	err |= tmpdir_write(&td, "N59", buf, n);
	n = tzif_make(buf, '\0', 3 * H, v1trans, 1, NULL);
	err |= tmpdir_write(&td, "V1", buf, n);
	if (err)
		goto out;

	err = tz_registry_alloc(&reg, td.path);
	if (err)
		goto out;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		int32_t off;

		err = tz_get(reg, cases[i].name, &z);
		if (err)
			goto out;

		off = tz_utc_offset(z, cases[i].t * 1000, NULL);
		if (off != cases[i].offset) {
			fprintf(stderr, "  %s at %lld: %d, expected %d\n",
				cases[i].name, (long long)cases[i].t, off,
				cases[i].offset);
			err = EINVAL;
			goto out;
		}
	}

	/* the overridden directory is the only one looked at */
	TEST_EQ_INT(tz_get(reg, "Europe/Paris", &z), ENOENT);

 out:
	mem_deref(reg);
	tmpdir_done(&td);

	return err;
}


/* Read a real zone file into buf. */
static int zone_bytes(const char *name, uint8_t *buf, size_t sz,
		      size_t *lenp)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", TZ_DIR_DEFAULT, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return errno;
	n = read(fd, buf, sz);
	close(fd);
	if (n <= 0 || (size_t)n == sz)
		return EIO;

	*lenp = (size_t)n;

	return 0;
}


/* Whatever a zone says, using it must be safe. */
static void zone_exercise(const struct tz_zone *z)
{
	static const int64_t ts[] = {INT64_MIN, -1, 0, 1772953200000LL,
				     4118400000000LL, INT64_MAX};
	struct tz_local l;
	int64_t ms;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ts); i++)
		tz_to_local(z, ts[i], &l);
	(void)tz_from_local(z, 2026, 3, 8, 2, 30, 0, &ms);
	(void)tz_from_local(z, 9999, 12, 31, 24, 0, 0, &ms);
	(void)tz_from_local(z, 1, 1, 1, 0, 0, 0, &ms);
}


/* A POSIX TZ string: bad arguments refused before any byte is read. */
TEST(tz_posix_parse_arguments)
{
	struct tz_posix p;

	TEST_EQ_INT(tz_posix_parse(&p, NULL, 4), EINVAL);
	TEST_EQ_INT(tz_posix_parse(NULL, "EST5", 4), EINVAL);
	TEST_EQ_INT(tz_posix_parse(&p, "EST5", 4), 0);
	TEST_EQ_INT(p.std.utoff, -5 * H);

	return 0;
}


/*
 * Every truncation of a real file is EBADMSG. Every byte of it changed
 * (and the counts set to huge values) gives EBADMSG or a zone that
 * answers without crashing; so does random garbage behind a TZif
 * header. Run under the sanitizers, this is the "never a crash".
 */
TEST(tz_corrupt_files)
{
	static const char *const footers[] = {
		"", "EST", "EST5EDT", "EST5EDT,M3.2.0",
		"EST5EDT,M13.2.0,M1.1.0", "EST5EDT,M3.6.0,M11.1.0",
		"EST5EDT,J0,J100", "EST5EDT,366,1", "<EST5", "<>5", "EST99",
		"EST5EDT,M3.2.0/168,M11.1.0", "EST5EDT,M3.2.0,M11.1.0,",
		"EST5:60", "E5", "ESTTTTTTTTTTTTTTTTT5",
	};
	static uint8_t real[8192], buf[8192];
	struct tz_registry *reg = NULL;
	struct tz_zone *z;
	struct tmpdir td;
	uint32_t rnd = 12345;
	size_t len = 0, i, j;
	int err;

	err = zone_bytes("America/New_York", real, sizeof(real), &len);
	if (err)
		return err;

	err = tmpdir_init(&td);
	if (err)
		return err;

	err = tz_registry_alloc(&reg, td.path);
	if (err)
		goto out;

	/* the whole file is fine */
	err = tmpdir_write(&td, "Whole", real, len);
	if (err)
		goto out;
	TEST_EQ_INT(tz_get(reg, "Whole", &z), 0);
	TEST_EQ_INT(tz_utc_offset(z, 1772953200000LL, NULL), -4 * H);

	/* every strict prefix is not (failures are not cached, so the
	 * same name can be read again) */
	for (i = 0; i < len; i++) {
		err = tmpdir_write(&td, "Trunc", real, i);
		if (err)
			goto out;
		err = tz_get(reg, "Trunc", &z);
		if (err != EBADMSG) {
			fprintf(stderr, "  cut at %zu: %d\n", i, err);
			err = EINVAL;
			goto out;
		}
	}

	/* every byte flipped, counts of the first header huge */
	for (i = 0; i < len + 6; i++) {
		struct tz_registry *r1 = NULL;

		memcpy(buf, real, len);
		if (i < len)
			buf[i] ^= 0xff;
		else
			memset(buf + 20 + 4 * (i - len), 0xff, 4);

		err = tmpdir_write(&td, "Flip", buf, len);
		if (!err)
			err = tz_registry_alloc(&r1, td.path);
		if (err)
			goto out;

		err = tz_get(r1, "Flip", &z);
		if (!err)
			zone_exercise(z);
		mem_deref(r1);
		if (err && err != EBADMSG) {
			fprintf(stderr, "  flip at %zu: %d\n", i, err);
			err = EINVAL;
			goto out;
		}
	}

	/* footers that are not POSIX TZ strings */
	for (i = 0; i < ARRAY_SIZE(footers); i++) {
		struct tz_registry *r1 = NULL;

		len = tzif_make(buf, '2', 0, NULL, 0, footers[i]);
		err = tmpdir_write(&td, "Foot", buf, len);
		if (!err)
			err = tz_registry_alloc(&r1, td.path);
		if (err)
			goto out;
		err = tz_get(r1, "Foot", &z);
		mem_deref(r1);
		if (err != (i == 0 ? 0 : EBADMSG)) {
			fprintf(stderr, "  footer \"%s\": %d\n", footers[i],
				err);
			err = EINVAL;
			goto out;
		}
	}

	/* a footer without its final newline */
	len = tzif_make(buf, '2', 0, NULL, 0, "UTC0");
	err = tmpdir_write(&td, "Foot", buf, len - 1);
	if (err)
		goto out;
	TEST_EQ_INT(tz_get(reg, "Foot", &z), EBADMSG);

	/* garbage after a valid header and small counts */
	for (i = 0; i < 300; i++) {
		struct tz_registry *r1 = NULL;

		len = tzif_make(buf, '2', 0, NULL, 0, "UTC0");
		for (j = 20; j < 44; j++) {
			rnd = rnd * 1103515245 + 12345;
			buf[j] = (j % 4 == 3) ? (uint8_t)(rnd >> 16) % 8 : 0;
		}
		len = 44 + i * 7 % 400;
		for (j = 44; j < len; j++) {
			rnd = rnd * 1103515245 + 12345;
			buf[j] = (uint8_t)(rnd >> 16);
		}

		err = tmpdir_write(&td, "Junk", buf, len);
		if (!err)
			err = tz_registry_alloc(&r1, td.path);
		if (err)
			goto out;
		err = tz_get(r1, "Junk", &z);
		if (!err)
			zone_exercise(z);
		mem_deref(r1);
		if (err && err != EBADMSG) {
			err = EINVAL;
			goto out;
		}
	}

	/* not TZif at all; an empty file */
	err = tmpdir_write(&td, "Text", (const uint8_t *)"hello, world\n",
			   13);
	if (!err)
		err = tmpdir_write(&td, "Empty", NULL, 0);
	if (err)
		goto out;
	TEST_EQ_INT(tz_get(reg, "Text", &z), EBADMSG);
	TEST_EQ_INT(tz_get(reg, "Empty", &z), EBADMSG);
	err = 0;

 out:
	mem_deref(reg);
	tmpdir_done(&td);

	return err;
}
