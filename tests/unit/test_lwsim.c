/*
 * Unit tests for the simulator's helpers (tests/tools/lwsim.h): the PRNG
 * against the published xoshiro256** and splitmix64 outputs (so a seed
 * means the same stream everywhere), the bounded and distribution draws
 * on loose statistical bounds with fixed seeds (so they cannot flake),
 * and the calendar arithmetic on dates worked out by hand.
 */
#include "harness.h"

#include "../tools/lwsim.h"

static void
test_splitmix_reference(void)
{
	uint64_t x = 0;

	/* splitmix64 seeded with 0 (Vigna's reference implementation). */
	CHECK(splitmix64(&x) == 0xe220a8397b1dcdafULL);
	CHECK(splitmix64(&x) == 0x6e789e6aa1b965f4ULL);
	CHECK(splitmix64(&x) == 0x06c45d188009454fULL);
}

static void
test_xoshiro_reference(void)
{
	struct rng r = { { 1, 2, 3, 4 } };

	/* xoshiro256** 1.0 from state {1, 2, 3, 4}. */
	CHECK(rng_next(&r) == 11520ULL);
	CHECK(rng_next(&r) == 0ULL);
	CHECK(rng_next(&r) == 1509978240ULL);
	CHECK(rng_next(&r) == 1215971899390074240ULL);
}

static void
test_seed_streams(void)
{
	struct rng a, b, c;
	int i, same = 1, differ = 0;

	rng_seed(&a, 42);
	rng_seed(&b, 42);
	rng_seed(&c, 43);
	for (i = 0; i < 1000; i++) {
		uint64_t x = rng_next(&a), y = rng_next(&b), z = rng_next(&c);

		if (x != y)
			same = 0;
		if (x != z)
			differ++;
	}
	CHECK(same);
	CHECK(differ == 1000);
	/* Keys that differ in any one part give different streams. */
	CHECK(mix4(1, 2, 3, 4) != mix4(1, 2, 3, 5));
	CHECK(mix4(1, 2, 3, 4) != mix4(1, 2, 4, 3));
	CHECK(mix4(1, 2, 3, 4) != mix4(2, 2, 3, 4));
	CHECK(mix4(1, 2, 3, 4) == mix4(1, 2, 3, 4));
}

static void
test_bounded(void)
{
	struct rng r;
	unsigned cnt[6] = { 0 };
	int i, lo = 0, hi = 0;
	int64_t v;
	double u;

	rng_seed(&r, 7);
	for (i = 0; i < 600000; i++)
		cnt[rng_below(&r, 6)]++;
	for (i = 0; i < 6; i++)
		CHECK(cnt[i] > 97000 && cnt[i] < 103000);
	CHECK(rng_below(&r, 0) == 0);
	CHECK(rng_below(&r, 1) == 0);
	for (i = 0; i < 10000; i++) {
		v = rng_int(&r, -3, 3);
		CHECK(v >= -3 && v <= 3);
		lo += v == -3;
		hi += v == 3;
		u = rng_unit(&r);
		CHECK(u >= 0.0 && u < 1.0);
	}
	CHECK(lo > 0 && hi > 0);	/* both ends inclusive */
	CHECK(rng_int(&r, 5, 5) == 5);
	CHECK(rng_int(&r, 5, 4) == 5);
}

static void
test_distributions(void)
{
	struct rng r;
	double s = 0, s2 = 0, x;
	int i, n = 200000;

	rng_seed(&r, 11);
	for (i = 0; i < n; i++)
		s += (double)rng_poisson(&r, 5.0);
	CHECK(fabs(s / n - 5.0) < 0.05);
	s = 0;
	for (i = 0; i < n; i++)
		s += (double)rng_poisson(&r, 200.0);
	CHECK(fabs(s / n - 200.0) < 0.5);
	CHECK(rng_poisson(&r, 0.0) == 0);
	CHECK(rng_poisson(&r, -1.0) == 0);
	s = 0;
	for (i = 0; i < n; i++) {
		x = rng_normal(&r);
		s += x;
		s2 += x * x;
	}
	CHECK(fabs(s / n) < 0.01);
	CHECK(fabs(s2 / n - 1.0) < 0.02);
	/* Log-normal: half the draws fall under the median. */
	for (i = 0, s = 0; i < n; i++)
		s += rng_lognormal(&r, 100.0, 1.0) < 100.0;
	CHECK(fabs(s / n - 0.5) < 0.01);
}

static void
test_calendar(void)
{
	int64_t d, y;
	int m, dd, ok = 1;
	char buf[11];

	CHECK(days_from_civil(1970, 1, 1) == 0);
	CHECK(days_from_civil(2000, 3, 1) == 11017);
	CHECK(days_from_civil(1969, 12, 31) == -1);
	CHECK(weekday(0) == 3);			/* Thursday */
	REQUIRE(sim_date_parse("2026-01-05", strlen("2026-01-05"), &d) == 0);
	CHECK(weekday(d) == 0);			/* Monday */
	CHECK(weekday(d + 5) == 5);		/* Saturday */
	for (d = -800000; d < 800000; d += 37) {
		civil_from_days(d, &y, &m, &dd);
		if (days_from_civil(y, m, dd) != d)
			ok = 0;
	}
	CHECK(ok);
	CHECK(sim_date_parse("2026-02-29", strlen("2026-02-29"), &d) == -1);
	CHECK(sim_date_parse("2024-02-29", strlen("2024-02-29"), &d) == 0);
	CHECK(sim_date_parse("2100-02-29", strlen("2100-02-29"), &d) == -1);
	CHECK(sim_date_parse("2000-02-29", strlen("2000-02-29"), &d) == 0);
	CHECK(sim_date_parse("2026-13-01", strlen("2026-13-01"), &d) == -1);
	CHECK(sim_date_parse("2026-04-31", strlen("2026-04-31"), &d) == -1);
	CHECK(sim_date_parse("2026-1-05", strlen("2026-1-05"), &d) == -1);
	CHECK(sim_date_parse("2026-01-05x", strlen("2026-01-05x"), &d) == -1);
	CHECK(sim_date_parse("", strlen(""), &d) == -1);
	REQUIRE(sim_date_parse("2026-12-31", strlen("2026-12-31"), &d) == 0);
	sim_date_format(d, buf);
	CHECK_STR(buf, "2026-12-31");
	sim_date_format(0, buf);
	CHECK_STR(buf, "1970-01-01");
}

static void
test_month_end(void)
{
	static const struct {
		const char	*date;
		int		 want;
	} c[] = {
		{ "2026-01-28", 0 }, { "2026-01-29", 1 }, { "2026-01-30", 1 },
		{ "2026-01-31", 0 },	/* Saturday */
		{ "2026-02-26", 1 }, { "2026-02-27", 1 }, { "2026-02-25", 0 },
		{ "2026-05-28", 1 },	/* Thursday; 29 Fri is the last */
		{ "2026-05-29", 1 }, { "2026-05-27", 0 },
	};
	size_t i;
	int64_t d;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		REQUIRE(sim_date_parse(c[i].date, strlen(c[i].date), &d) == 0);
		if (month_end_workday(d) != c[i].want)
			FAILF("month_end_workday(%s) != %d", c[i].date,
			    c[i].want);
	}
}

static void
test_entropy(void)
{
	CHECK(str_entropy("", 0) == 0.0);
	CHECK(str_entropy("aaaa", 4) == 0.0);
	CHECK(fabs(str_entropy("abcd", 4) - 2.0) < 1e-12);
	CHECK(fabs(str_entropy("aabb", 4) - 1.0) < 1e-12);
	CHECK(str_entropy("mxq2vz7kd4hr6n3wbt5yj", 21) > 4.0);
}

static const struct test tests[] = {
	{ "splitmix_reference", test_splitmix_reference },
	{ "xoshiro_reference", test_xoshiro_reference },
	{ "seed_streams", test_seed_streams },
	{ "bounded", test_bounded },
	{ "distributions", test_distributions },
	{ "calendar", test_calendar },
	{ "month_end", test_month_end },
	{ "entropy", test_entropy },
};

HARNESS_MAIN(tests)
