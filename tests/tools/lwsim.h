/*
 * Helpers of the organisation simulator (lwsim.c), kept in a header so
 * tests/unit/test_lwsim.c can check them: a seeded PRNG of our own
 * (xoshiro256** seeded through splitmix64, never rand(), so a seed gives
 * the same bytes on every libc), the few distributions the simulator
 * draws from, and proleptic Gregorian day arithmetic (days since
 * 1970-01-01), which the simulator uses for weekends, month ends and
 * holidays. Nothing here allocates or touches global state.
 */
#ifndef LEAKWATCH_LWSIM_H
#define LEAKWATCH_LWSIM_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include "leakwatch/util.h"

struct rng {
	uint64_t	s[4];
};

/* splitmix64: the recommended seeder for xoshiro; advances *x. */
static inline uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z;

	z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * A well-mixed 64-bit key from up to four parts, so independent streams
 * (one per employee and day, one per scenario) are seeded without
 * depending on how many numbers another stream consumed.
 */
static inline uint64_t
mix4(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	uint64_t x = a;

	x = splitmix64(&x) ^ b;
	x = splitmix64(&x) ^ c;
	x = splitmix64(&x) ^ d;
	return splitmix64(&x);
}

static inline void
rng_seed(struct rng *r, uint64_t seed)
{
	uint64_t x = seed;
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static inline uint64_t
rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** 1.0 (Blackman and Vigna). */
static inline uint64_t
rng_next(struct rng *r)
{
	uint64_t *s = r->s, result, t;

	result = rng_rotl(s[1] * 5, 7) * 9;
	t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rng_rotl(s[3], 45);
	return result;
}

/* Uniform in [0, n), without modulo bias; 0 when n is 0. */
static inline uint64_t
rng_below(struct rng *r, uint64_t n)
{
	uint64_t x, lim;

	if (n == 0)
		return 0;
	lim = UINT64_MAX - UINT64_MAX % n;
	do
		x = rng_next(r);
	while (x >= lim);
	return x % n;
}

/* Uniform integer in [lo, hi] (inclusive); lo when hi < lo. */
static inline int64_t
rng_int(struct rng *r, int64_t lo, int64_t hi)
{
	if (hi <= lo)
		return lo;
	return lo + (int64_t)rng_below(r, (uint64_t)(hi - lo) + 1);
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double
rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

static inline double
rng_range(struct rng *r, double lo, double hi)
{
	return lo + (hi - lo) * rng_unit(r);
}

/* 1 with probability p. */
static inline int
rng_chance(struct rng *r, double p)
{
	return rng_unit(r) < p;
}

/* Standard normal (Box-Muller, one value per call). */
static inline double
rng_normal(struct rng *r)
{
	double u1, u2;

	do
		u1 = rng_unit(r);
	while (u1 <= 0.0);
	u2 = rng_unit(r);
	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* Log-normal with median m and log-scale sigma. */
static inline double
rng_lognormal(struct rng *r, double m, double sigma)
{
	return m * exp(sigma * rng_normal(r));
}

/*
 * Poisson counts: Knuth's product method for small means, a rounded
 * normal for large ones (the simulator only needs plausible counts).
 */
static inline uint64_t
rng_poisson(struct rng *r, double lambda)
{
	double l, p, x;
	uint64_t k;

	if (!(lambda > 0.0))
		return 0;
	if (lambda < 30.0) {
		l = exp(-lambda);
		k = 0;
		p = rng_unit(r);
		while (p > l) {
			k++;
			p *= rng_unit(r);
		}
		return k;
	}
	x = lambda + sqrt(lambda) * rng_normal(r) + 0.5;
	return x < 0.0 ? 0 : (uint64_t)x;
}

static inline void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* 0 = Monday ... 6 = Sunday (1970-01-01 was a Thursday). */
static inline int
weekday(int64_t days)
{
	int64_t w = (days + 3) % 7;

	return (int)(w < 0 ? w + 7 : w);
}

/* Strict "YYYY-MM-DD" of len bytes into days since the epoch; 0 if ok. */
static inline int
sim_date_parse(const char *s, size_t len, int64_t *days)
{
	size_t i;
	int y, m, d;
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };

	if (len != 10)
		return -1;
	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			if (s[i] != '-')
				return -1;
		} else if (s[i] < '0' || s[i] > '9')
			return -1;
	}
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -1;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) ||
	    y % 400 == 0))
		return -1;
	*days = days_from_civil(y, m, d);
	return 0;
}

/* "YYYY-MM-DD" of a day number; buf holds at least 11 bytes. */
static inline void
sim_date_format(int64_t days, char *buf)
{
	int64_t y;
	int m, d, i;

	civil_from_days(days, &y, &m, &d);
	for (i = 3; i >= 0; i--) {
		buf[i] = (char)('0' + (y % 10 + 10) % 10);
		y /= 10;
	}
	buf[4] = '-';
	buf[5] = (char)('0' + m / 10);
	buf[6] = (char)('0' + m % 10);
	buf[7] = '-';
	buf[8] = (char)('0' + d / 10);
	buf[9] = (char)('0' + d % 10);
	buf[10] = '\0';
}

/* 1 when the day is the last or second-to-last weekday of its month. */
static inline int
month_end_workday(int64_t days)
{
	int64_t y, y2;
	int m, d, m2, d2, left = 0;
	int64_t x;

	if (weekday(days) >= 5)
		return 0;
	civil_from_days(days, &y, &m, &d);
	for (x = days + 1;; x++) {
		civil_from_days(x, &y2, &m2, &d2);
		if (m2 != m)
			break;
		if (weekday(x) < 5)
			left++;
	}
	(void)d;
	return left <= 1;
}

/* Shannon entropy in bits per character of a string of n bytes. */
static inline double
str_entropy(const char *s, size_t n)
{
	unsigned cnt[256] = { 0 };
	double h = 0.0, p;
	size_t i;

	if (n == 0)
		return 0.0;
	for (i = 0; i < n; i++)
		cnt[(unsigned char)s[i]]++;
	for (i = 0; i < 256; i++) {
		if (cnt[i] == 0)
			continue;
		p = (double)cnt[i] / (double)n;
		h -= p * log2(p);
	}
	return h;
}

#endif
