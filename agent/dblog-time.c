/*
 * Timestamps of database server logs, shared by the PostgreSQL and the
 * MySQL log decoders (decode-pglog.c, decode-mylog.c): PostgreSQL's
 * log_line_prefix %m/%t, MariaDB server_audit's and MySQL 8's formats,
 * to microseconds since the epoch. Nothing else: the decoders own their
 * lines.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "leakwatch/util.h"

static int
digits(const char *s, size_t len, size_t *i, int n, int *out)
{
	int v = 0, k;

	for (k = 0; k < n; k++) {
		if (*i >= len || !isdigit((unsigned char)s[*i]))
			return -1;
		v = v * 10 + (s[(*i)++] - '0');
	}
	*out = v;
	return 0;
}

/*
 * "2026-11-30 15:53:17.226 UTC" (PostgreSQL), "20261130 15:54:40"
 * (server_audit), "2026-11-30T15:54:35.123456Z" (MySQL 8): a date, a
 * time with optional fraction, an optional zone. Zones: Z, UTC, GMT,
 * +HH[:MM], -HH[:MM]; other names and none mean the host's local time
 * when `local`, else UTC (docs/log-sources.md asks for log_timezone UTC).
 */
int
dblog_ts(const char *s, size_t len, int local, int64_t *us)
{
	size_t i = 0, z;
	int y, mo, d, h, mi, sec, frac = 0, fd = 0, oh = 0, om = 0, sign = 0;
	int64_t t;
	struct tm tm;

	if (digits(s, len, &i, 4, &y) != 0)
		return -1;
	if (i < len && s[i] == '-')
		i++;
	if (digits(s, len, &i, 2, &mo) != 0)
		return -1;
	if (i < len && s[i] == '-')
		i++;
	if (digits(s, len, &i, 2, &d) != 0 || i >= len ||
	    (s[i] != ' ' && s[i] != 'T'))
		return -1;
	i++;
	while (i < len && s[i] == ' ')
		i++;
	if (i + 1 < len && s[i + 1] == ':') {	/* " 9:05:01" */
		if (digits(s, len, &i, 1, &h) != 0)
			return -1;
	} else if (digits(s, len, &i, 2, &h) != 0)
		return -1;
	if (i >= len || s[i++] != ':' || digits(s, len, &i, 2, &mi) != 0 ||
	    i >= len || s[i++] != ':' || digits(s, len, &i, 2, &sec) != 0)
		return -1;
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && isdigit((unsigned char)s[i])) {
			if (fd < 6) {
				frac = frac * 10 + (s[i] - '0');
				fd++;
			}
			i++;
		}
		while (fd < 6) {
			frac *= 10;
			fd++;
		}
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return -1;
	while (i < len && s[i] == ' ')
		i++;
	z = len - i;
	if (z > 0 && (s[i] == '+' || s[i] == '-')) {
		sign = s[i++] == '-' ? -1 : 1;
		if (digits(s, len, &i, 2, &oh) != 0)
			return -1;
		if (i < len && s[i] == ':')
			i++;
		if (i + 1 < len && isdigit((unsigned char)s[i]) &&
		    digits(s, len, &i, 2, &om) != 0)
			return -1;
	} else if ((z == 1 && s[i] == 'Z') || (z >= 3 &&
	    (strncmp(s + i, "UTC", 3) == 0 || strncmp(s + i, "GMT", 3) == 0)))
		sign = 1;
	if (sign == 0 && local) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
		tm.tm_hour = h;
		tm.tm_min = mi;
		tm.tm_sec = sec;
		tm.tm_isdst = -1;
		if ((t = (int64_t)mktime(&tm)) == -1)
			return -1;
	} else {
		t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
		    sec;
		if (sign != 0)
			t -= sign * (oh * 3600 + om * 60);
	}
	if (t < 0)
		return -1;
	*us = t * 1000000 + frac;
	return 0;
}
