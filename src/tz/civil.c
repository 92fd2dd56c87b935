/*
 * tz: proleptic Gregorian calendar arithmetic on day numbers (days since
 * 1970-01-01), exact for any year an int64_t of milliseconds can reach.
 *
 * The trick that keeps it short: count years from March, so that the
 * leap day is the last day of the counted year and month lengths from
 * March on repeat in a 153-day, five-month pattern (31 30 31 30 31), and
 * count whole 400-year eras (146097 days each) separately so the
 * division is always on non-negative numbers.
 */
#include <errno.h>
#include "tz/tz_int.h"

enum {
	ERA_DAYS  = 146097,     /* days in 400 Gregorian years */
	MAR1_0000 = 719468,     /* days from 0000-03-01 to 1970-01-01 */
};


static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}


int tz_month_days(int64_t y, int mo)
{
	static const int8_t days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30,
					31, 30, 31};

	if (mo < 1 || mo > 12)
		return 0;

	return days[mo - 1] + (mo == 2 && is_leap(y));
}


int64_t tz_days_from_civil(int64_t y, int mo, int d)
{
	int64_t era, yoe, doy, doe;

	/* January and February belong to the previous March-based year */
	if (mo <= 2)
		--y;

	era = tz_floor_div(y, 400);
	yoe = y - era * 400;                          /* 0..399 */
	doy = (153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;  /* 0..146096 */

	return era * ERA_DAYS + doe - MAR1_0000;
}


void tz_civil_from_days(int64_t days, int64_t *yp, int *mop, int *dp)
{
	int64_t z = days + MAR1_0000;
	int64_t era = tz_floor_div(z, ERA_DAYS);
	int64_t doe = z - era * ERA_DAYS;             /* 0..146096 */
	int64_t yoe, doy, mp;

	/* years of era: remove the leap days the era has had so far */
	yoe = (doe - doe / 1460 + doe / 36524 - doe / (ERA_DAYS - 1)) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;                     /* 0 = March */

	*dp = (int)(doy - (153 * mp + 2) / 5 + 1);
	*mop = (int)(mp < 10 ? mp + 3 : mp - 9);
	*yp = yoe + era * 400 + (*mop <= 2);
}


int tz_weekday(int64_t days)
{
	/* 1970-01-01 was a Thursday (3 when Monday is 0) */
	return (int)(((days % 7) + 7 + 3) % 7);
}
