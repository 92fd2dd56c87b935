/*
 * hours: the questions asked of parsed hours, answered from the local
 * calendar. Each (local day, range) pair becomes an interval of instants
 * [open, close) through tz_from_local, so DST is the time zone's business
 * alone. tz_from_local never goes backwards as local time goes forwards,
 * so these intervals come out in order, day after day and range after
 * range. That makes every search a forward walk that can stop at the
 * first interval that answers, starting the day before the local date of
 * the instant asked about (a range of the previous day can still be
 * open, in a zone whose clocks went back).
 *
 * An interval that DST makes empty (a range wholly inside the
 * spring-forward gap) is skipped, as is every range on a closed date.
 */
#include <errno.h>
#include <re.h>
#include "tz/tz.h"
#include "hours/hours_int.h"

enum { DAY_MS = 86400000 };


/* The local day number of the instant t in zone. */
static int64_t local_day(const struct tz_zone *zone, int64_t t)
{
	struct tz_local lt;

	tz_to_local(zone, t, &lt);

	return tz_days_from_civil(lt.year, lt.month, lt.day);
}


static int local_instant(const struct tz_zone *zone, int64_t day,
			 unsigned minutes, int64_t *tp)
{
	int64_t y;
	int mo, d;

	tz_civil_from_days(day, &y, &mo, &d);
	if (y < 1 || y > 9999)
		return EINVAL;

	return tz_from_local(zone, (int)y, mo, d, (int)(minutes / 60),
			     (int)(minutes % 60), 0, tp);
}


/*
 * The intervals of one local day, in order, empty ones left out: none on
 * a closed date. Returns their number, or -errno.
 */
static int day_intervals(const struct hours *h, const struct tz_zone *zone,
			 int64_t day, int64_t *opens, int64_t *closes)
{
	const struct hours_range *r;
	int wd = tz_weekday(day), n = 0, i, err;

	if (hours_closed_on(h, day))
		return 0;

	for (i = 0; i < h->n[wd]; i++) {
		r = &h->day[wd][i];

		err = local_instant(zone, day, r->start, &opens[n]);
		if (!err)
			err = local_instant(zone, day, r->end, &closes[n]);
		if (err)
			return -err;

		if (opens[n] < closes[n])
			++n;
	}

	return n;
}


bool hours_is_open(const struct hours *h, const struct tz_zone *zone,
		   int64_t utc_ms)
{
	int64_t opens[HOURS_MAX_RANGES], closes[HOURS_MAX_RANGES], day, d0;
	int n, i;

	if (!h)
		return false;

	d0 = local_day(zone, utc_ms);
	for (day = d0 - 1; day <= d0 + 1; day++) {

		n = day_intervals(h, zone, day, opens, closes);
		for (i = 0; i < n; i++) {
			if (opens[i] <= utc_ms && utc_ms < closes[i])
				return true;
		}
	}

	return false;
}


int hours_next_open(const struct hours *h, const struct tz_zone *zone,
		    int64_t utc_ms, int64_t *next_msp)
{
	int64_t opens[HOURS_MAX_RANGES], closes[HOURS_MAX_RANGES], day;
	unsigned searched = 0;
	int n, i;

	if (!h || !next_msp)
		return EINVAL;

	/* closed dates do not count against the window; there are at most
	 * HOURS_MAX_CLOSED of them, so the walk ends */
	for (day = local_day(zone, utc_ms) - 1;
	     searched <= HOURS_SEARCH_DAYS + 1; day++) {

		if (hours_closed_on(h, day))
			continue;
		++searched;

		n = day_intervals(h, zone, day, opens, closes);
		if (n < 0)
			return -n;

		/* the first interval not over yet: open now, or next */
		for (i = 0; i < n; i++) {
			if (closes[i] > utc_ms) {
				*next_msp = opens[i] > utc_ms ? opens[i] :
					utc_ms;
				return 0;
			}
		}
	}

	return ENOENT;
}


int hours_next_close(const struct hours *h, const struct tz_zone *zone,
		     int64_t utc_ms, int64_t *next_msp)
{
	int64_t opens[HOURS_MAX_RANGES], closes[HOURS_MAX_RANGES], day, first;
	int64_t end = utc_ms, stop;
	int n, i, err;

	if (!h || !next_msp)
		return EINVAL;

	/* end is the earliest instant not yet known to be open; intervals
	 * that start by then extend it (touching ones too, so a night
	 * split at midnight is one period), the first that starts after it
	 * leaves it closed */
	first = local_day(zone, utc_ms) - 1;
	for (day = first; day <= first + 1 + HOURS_SEARCH_DAYS; day++) {

		n = day_intervals(h, zone, day, opens, closes);
		if (n < 0)
			return -n;

		for (i = 0; i < n; i++) {
			if (closes[i] <= end)
				continue;
			if (opens[i] > end) {
				*next_msp = end;
				return 0;
			}
			end = closes[i];
		}
	}

	/* no opening after end in the window: closed from end on, unless
	 * end is the window's own end (open all through it) */
	err = local_instant(zone, day, 0, &stop);
	if (err)
		return err;

	if (end < stop) {
		*next_msp = end;
		return 0;
	}

	return ENOENT;
}


int hours_slots(const struct hours *h, const struct tz_zone *zone,
		int64_t from_ms, int64_t to_ms, unsigned slot_minutes,
		int64_t *out, size_t max, size_t *np)
{
	int64_t day, day_end, last;
	size_t k = 0;
	int i, err = 0;

	if (!h || !np || (max && !out) || slot_minutes < 1 ||
	    slot_minutes > MINUTES_DAY || to_ms < from_ms ||
	    (uint64_t)to_ms - (uint64_t)from_ms >
	    (uint64_t)HOURS_SLOTS_DAYS * DAY_MS)
		return EINVAL;

	last = from_ms;
	day_end = local_day(zone, to_ms) + 1;

	for (day = local_day(zone, from_ms) - 1; day <= day_end; day++) {
		int wd = tz_weekday(day);

		if (hours_closed_on(h, day))
			continue;

		for (i = 0; i < h->n[wd]; i++) {
			const struct hours_range *r = &h->day[wd][i];
			int64_t shut, t;
			unsigned m;

			err = local_instant(zone, day, r->end, &shut);
			if (err)
				goto out;

			for (m = r->start; m < r->end; m += slot_minutes) {
				err = local_instant(zone, day, m, &t);
				if (err)
					goto out;

				/* a slot time skipped by DST lands on the
				 * gap's end, maybe the range's close (and
				 * a range inside the gap has none) */
				if (t >= shut)
					break;
				if (t >= to_ms)
					goto out;
				if (t < from_ms || (k && t <= last))
					continue;
				if (k == max)
					goto out;

				out[k++] = t;
				last = t;
			}
		}
	}

 out:
	*np = k;

	return err;
}
