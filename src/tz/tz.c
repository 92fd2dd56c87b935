/*
 * tz: the registry (zones by name, read once) and the conversions.
 *
 * UTC to local is a lookup: the last transition at or before the instant
 * (binary search), the type before the first transition, or the footer's
 * rule after the last one.
 *
 * Local to UTC walks the stretches of constant offset that can matter: an
 * instant t shows local time L when t + offset(t) = L, and offsets are at
 * most TZ_OFF_MAX from zero, so t lies within TZ_OFF_MAX of L. In each
 * stretch [a, b) with offset o, t = L - o is a solution if it falls inside;
 * the first one found is the earliest (the first occurrence of a repeated
 * time). If none does, L was skipped: some transition b jumped the clocks
 * from b + o_old to b + o_new over it, and b, the end of the gap, is the
 * answer. The walk visits only the transitions within two days of L.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tz/tz_int.h"

#include "util/util.h"

enum { BUCKETS = 64 };

struct tz_registry {
	struct hash *zones;
	char *dir;
	uint32_t nzones;
};

static const struct tz_type utc_type = {0, false, "UTC"};


static void registry_destructor(void *arg)
{
	struct tz_registry *reg = arg;

	/* unlinks every zone; one still referenced elsewhere lives on */
	hash_flush(reg->zones);
	mem_deref(reg->zones);
	mem_deref(reg->dir);
}


int tz_registry_alloc(struct tz_registry **regp, const char *dir)
{
	struct tz_registry *reg;
	int err;

	if (!regp)
		return EINVAL;

	if (!dir || !*dir)
		dir = TZ_DIR_DEFAULT;

	reg = mem_zalloc(sizeof(*reg), registry_destructor);
	if (!reg)
		return ENOMEM;

	err = hash_alloc(&reg->zones, BUCKETS);
	if (err)
		goto out;

	err = str_dup(&reg->dir, dir);

 out:
	if (err)
		mem_deref(reg);
	else
		*regp = reg;

	return err;
}


/*
 * A name must stay inside the zoneinfo directory and look like the
 * names tzdata uses ("America/Argentina/Buenos_Aires", "Etc/GMT+5"),
 * since it may come from an API request.
 */
static bool name_valid(const char *name)
{
	size_t len, i;

	if (!name)
		return false;

	len = strlen(name);
	if (len == 0 || len > TZ_NAME_MAX || name[len - 1] == '/')
		return false;

	for (i = 0; i < len; i++) {
		char c = name[i];
		bool part_start = i == 0 || name[i - 1] == '/';

		if (part_start && (c == '/' || c == '.'))
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '/' || c == '_' ||
		      c == '+' || c == '-' || c == '.'))
			return false;
	}

	return !strstr(name, "..");
}


static int read_file(uint8_t **bufp, size_t *lenp, const char *path)
{
	uint8_t *buf = NULL;
	struct stat st;
	size_t len = 0;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return (errno == ENOENT || errno == ENOTDIR) ? ENOENT : errno;

	if (fstat(fd, &st)) {
		err = errno;
		goto out;
	}

	/* a directory ("America") or a device is not a zone */
	if (!S_ISREG(st.st_mode)) {
		err = ENOENT;
		goto out;
	}

	if (st.st_size > TZ_FILE_MAX) {
		err = EBADMSG;
		goto out;
	}

	/* one byte more than allowed, to notice a file that grew */
	buf = mem_alloc(TZ_FILE_MAX + 1, NULL);
	if (!buf) {
		err = ENOMEM;
		goto out;
	}

	for (;;) {
		ssize_t n = read(fd, buf + len, TZ_FILE_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > TZ_FILE_MAX) {
			err = EBADMSG;
			goto out;
		}
	}

 out:
	close(fd);
	if (err) {
		mem_deref(buf);
	}
	else {
		*bufp = buf;
		*lenp = len;
	}

	return err;
}


static bool zone_cmp(struct le *le, void *arg)
{
	const struct tz_zone *z = le->data;

	return !strcmp(z->name, arg);
}


int tz_get(struct tz_registry *reg, const char *name,
	   struct tz_zone **zonep)
{
	char path[PATH_MAX];
	struct tz_zone *z;
	uint8_t *buf = NULL;
	size_t len = 0;
	uint32_t key;
	int err;

	if (!reg || !zonep || !name_valid(name))
		return EINVAL;

	key = hash_joaat_str(name);
	z = list_ledata(hash_lookup(reg->zones, key, zone_cmp,
				    (void *)name));
	if (z) {
		*zonep = z;
		return 0;
	}

	if (reg->nzones >= TZ_ZONES_MAX)
		return ENOSPC;

	if (re_snprintf(path, sizeof(path), "%s/%s", reg->dir, name) < 0 ||
	    strlen(path) + 1 >= sizeof(path))
		return EINVAL;

	err = read_file(&buf, &len, path);
	if (err)
		goto out;

	err = tz_zone_parse(&z, name, buf, len);
	if (err)
		goto out;

	hash_append(reg->zones, key, &z->he, z);
	++reg->nzones;
	*zonep = z;

 out:
	mem_deref(buf);

	return err;
}


const char *tz_name(const struct tz_zone *zone)
{
	return zone ? zone->name : "UTC";
}


/* The local time type in effect at second t. */
static const struct tz_type *zone_type(const struct tz_zone *z, int64_t t)
{
	uint32_t lo, hi;

	if (!z)
		return &utc_type;

	if (!z->ntrans)
		return z->has_posix ? tz_posix_type(&z->posix, t) :
			&z->types[0];

	if (t < z->trans[0])
		return &z->types[0];

	if (t > z->trans[z->ntrans - 1])
		return z->has_posix ? tz_posix_type(&z->posix, t) :
			&z->types[z->tidx[z->ntrans - 1]];

	/* the last transition at or before t */
	lo = 0;
	hi = z->ntrans - 1;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo + 1) / 2;

		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid - 1;
	}

	return &z->types[z->tidx[lo]];
}


/* The first transition strictly after second t, if any. */
static bool zone_next(const struct tz_zone *z, int64_t t, int64_t *nextp)
{
	uint32_t lo, hi;

	if (!z)
		return false;

	if (!z->ntrans || t >= z->trans[z->ntrans - 1])
		return z->has_posix && tz_posix_next(&z->posix, t, nextp);

	lo = 0;
	hi = z->ntrans - 1;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (z->trans[mid] > t)
			hi = mid;
		else
			lo = mid + 1;
	}

	*nextp = z->trans[lo];

	return true;
}


int32_t tz_utc_offset(const struct tz_zone *zone, int64_t utc_ms,
		      bool *is_dstp)
{
	const struct tz_type *type;

	type = zone_type(zone, tz_floor_div(utc_ms, 1000));
	if (is_dstp)
		*is_dstp = type->isdst;

	return type->utoff;
}


int tz_to_local(const struct tz_zone *zone, int64_t utc_ms,
		struct tz_local *out)
{
	const struct tz_type *type;
	int64_t t, local, days, secs, y;

	if (!out)
		return EINVAL;

	t = tz_floor_div(utc_ms, 1000);
	type = zone_type(zone, t);
	local = t + type->utoff;
	days = tz_floor_div(local, 86400);
	secs = local - days * 86400;

	tz_civil_from_days(days, &y, &out->month, &out->day);
	out->year = (int)y;
	out->hour = (int)(secs / 3600);
	out->min = (int)(secs / 60 % 60);
	out->sec = (int)(secs % 60);
	out->weekday = tz_weekday(days);
	out->offset = type->utoff;
	out->is_dst = type->isdst;
	str_bcpy(out->abbr, type->abbr, sizeof(out->abbr));

	return 0;
}


int tz_from_local(const struct tz_zone *zone, int y, int mo, int d, int h,
		  int mi, int s, int64_t *utc_msp)
{
	int64_t L, a, b, hi, gap = 0;
	bool has_gap = false;
	int32_t o;

	if (!utc_msp || y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
	    d > tz_month_days(y, mo) || h < 0 || h > 24 || mi < 0 ||
	    mi > 59 || s < 0 || s > 59 || (h == 24 && (mi || s)))
		return EINVAL;

	L = tz_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;

	a = L - TZ_OFF_MAX - 1;
	hi = L + TZ_OFF_MAX + 1;
	o = zone_type(zone, a)->utoff;

	for (;;) {
		int32_t o_new;

		/* the stretch [a, b) has offset o */
		if (!zone_next(zone, a, &b) || b > hi)
			b = hi + 1;

		if (L - o >= a && L - o < b) {
			*utc_msp = (L - o) * 1000;
			return 0;
		}

		if (b > hi)
			break;

		o_new = zone_type(zone, b)->utoff;
		if (!has_gap && L >= b + o && L < b + o_new) {
			has_gap = true;
			gap = b;
		}

		a = b;
		o = o_new;
	}

	/* with offsets bounded, L is either shown or skipped */
	if (!has_gap)
		return ERANGE;

	*utc_msp = gap * 1000;

	return 0;
}
