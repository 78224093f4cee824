/*
 * The analytics' calendar: which local day and hour a time falls in (the
 * configured utc-offset, never the host's time zone), the weekday, and
 * the holidays that are not learnt from. Days are counted from
 * 1970-01-01 in local time, so a day index is the same number for every
 * entity and in the saved state (entity_state.last_day, an_meta.day_open).
 *
 * This file is the bottom of the analytics: the features, the detectors,
 * the rules and the pipeline ask it, and it asks nothing of them.
 */
#include <stdio.h>
#include <string.h>

#include "analytics.h"
#include "leakwatch/conf.h"
#include "leakwatch/util.h"

/* The offset in microseconds: local = UTC + offset. */
static int64_t
offset_us(const struct analytics *an)
{
	return an->p.utc_offset_min * 60000000LL;
}

/* Division rounding towards minus infinity: days before 1970 too. */
static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* "+07:00", "-05:30", "Z" or "" -> minutes. */
int
calendar_offset(const char *s, long long *min)
{
	long long h, m;
	char buf[8];

	*min = 0;
	if (s == NULL || *s == '\0' || strcmp(s, "Z") == 0)
		return 0;
	if (strlen(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':')
		return -1;
	memcpy(buf, s + 1, 2);
	buf[2] = '\0';
	if (parse_ll(buf, 0, 14, &h) != 0 || parse_ll(s + 4, 0, 59, &m) != 0)
		return -1;
	*min = (h * 60 + m) * (s[0] == '-' ? -1 : 1);
	return 0;
}

/*
 * The configured holidays (YYYY-MM-DD each) into hol, keyed by the
 * date's day number, which calendar_holiday() compares with local day
 * indexes: a holiday is that date in local time.
 */
int
calendar_holidays(struct hmap *hol, const struct conf_list *days, char *err,
    size_t errlen)
{
	char buf[40], key[32];
	int64_t us;
	size_t i;

	for (i = 0; i < days->n; i++) {
		snprintf(buf, sizeof(buf), "%sT00:00:00Z", days->v[i]);
		if (strlen(days->v[i]) != 10 || ts_parse(buf, &us) != 0) {
			snprintf(err, errlen, "holiday: \"%s\" is not "
			    "YYYY-MM-DD", days->v[i]);
			return -1;
		}
		snprintf(key, sizeof(key), "%lld", (long long)(us / DAY_US));
		hmap_put(hol, key, (void *)1);
	}
	return 0;
}

/* The local day index of a time. */
int64_t
calendar_day(const struct analytics *an, int64_t ts)
{
	return floor_div(ts + offset_us(an), DAY_US);
}

/* When local day `day` starts, in UTC microseconds. */
int64_t
calendar_day_start(const struct analytics *an, int64_t day)
{
	return day * DAY_US - offset_us(an);
}

/* The start of the UTC hour ts is in (hour buckets are UTC hours). */
int64_t
calendar_hour_start(int64_t ts)
{
	return floor_div(ts, HOUR_US) * HOUR_US;
}

int
calendar_holiday(const struct analytics *an, int64_t day)
{
	char key[32];

	if (an->holidays == NULL)
		return 0;
	snprintf(key, sizeof(key), "%lld", (long long)day);
	return hmap_get(an->holidays, key) != NULL;
}

/* The local hour of day (0-23) of an event's time. */
int
calendar_hour(const struct analytics *an, int64_t us)
{
	int64_t h = floor_div(us + offset_us(an), HOUR_US);

	return (int)(((h % 24) + 24) % 24);
}

/*
 * The local hour of day of a bucket's start, as the detectors and the
 * rules have always taken it: with C's division, which rounds towards
 * zero. From 1970 on (local time) it is calendar_hour(); before, with an
 * offset of whole hours, too, since a bucket starts on the hour. Only a
 * bucket before 1970 under an offset such as +05:30 gets another hour
 * here; kept apart so that moving the calendar here changed no output.
 */
int
calendar_bucket_hour(const struct analytics *an, int64_t us)
{
	int64_t h = (us + offset_us(an)) / HOUR_US;

	return (int)(((h % 24) + 24) % 24);
}

/* 0 = Sunday; day 0, 1970-01-01, was a Thursday. */
int
calendar_wday(int64_t day)
{
	return (int)((((day + 4) % 7) + 7) % 7);
}
