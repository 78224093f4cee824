/*
 * Tests of collector/analytics/detect.c (and the features and baselines
 * under it) on hand-built series with exact expected outcomes: the CUSUM
 * step, the 30-day total with gaps, a day spike against own and peer
 * baselines, a slow drift with learning frozen, first-seen tables with
 * the peer exception, off-hours reads, team-wide surges, a theft that
 * starts in a team surge (the team-relative reference) and the
 * read-then-upload sequence with its window; and a day whose close
 * fails for want of memory: it stays open live and is closed at the next
 * hour, and a replay stops with an error.
 *
 * This binary is linked with -Wl,--wrap=calloc,--wrap=detect_day_close
 * (Makefile): the two wrappers below pass every call through unless a
 * test arms them to fail once.
 */
#include <sys/stat.h>
#include <errno.h>
#include <math.h>

#include "harness.h"
#include "ana_helper.h"
#include "../../collector/collector.h"

void	*__real_calloc(size_t, size_t);
void	*__wrap_calloc(size_t, size_t);
int	 __real_detect_day_close(struct analytics *, struct entity **, size_t,
	    int64_t);
int	 __wrap_detect_day_close(struct analytics *, struct entity **, size_t,
	    int64_t);

static int	 fail_calloc;		/* the next calloc() returns NULL */
static int	 fail_day_close;	/* ... detect_day_close() fails */

void *
__wrap_calloc(size_t n, size_t size)
{
	if (fail_calloc) {
		fail_calloc = 0;
		errno = ENOMEM;
		return NULL;
	}
	return __real_calloc(n, size);
}

int
__wrap_detect_day_close(struct analytics *an, struct entity **ents,
    size_t n, int64_t day)
{
	if (fail_day_close) {
		fail_day_close = 0;
		return -1;
	}
	return __real_detect_day_close(an, ents, n, day);
}

static void
test_cusum_steps(void)
{
	static const double z[] = { 0, 0.5, 3, 3, 3, -1, -4, 2.5 };
	static const double want[] = { 0, 0, 2, 4, 6, 4, 0, 1.5 };
	double s = 0;
	size_t i;

	for (i = 0; i < sizeof(z) / sizeof(z[0]); i++) {
		s = detect_cusum_step(s, z[i], 1.0);
		if (s != want[i])
			FAILF("step %zu: %g, expected %g", i, s, want[i]);
	}
}

static void
test_cum30(void)
{
	struct entity e;
	int d;

	memset(&e, 0, sizeof(e));
	e.s.last_day = -1;
	CHECK_INT(detect_cum30(&e, FT_ROWS, 100), 0);
	/* 10 rows a day on days 71..100 */
	for (d = 71; d <= 100; d++)
		e.s.f[FT_ROWS].ring[d % CUM_DAYS] = 10;
	e.s.last_day = 100;
	CHECK_INT(detect_cum30(&e, FT_ROWS, 100), 300);
	/* ten quiet days later, ten of those days have left the window */
	CHECK_INT(detect_cum30(&e, FT_ROWS, 110), 200);
	CHECK_INT(detect_cum30(&e, FT_ROWS, 129), 10);
	CHECK_INT(detect_cum30(&e, FT_ROWS, 130), 0);
}

static const char spike_rules[] =
    "rule spike {\n"
    "  on day\n"
    "  when value(rows.customer_pii, day) >= 1000\n"
    "  severity high\n"
    "  summary \"z={baseline(rows.customer_pii, day)} "
    "typical={median(rows.customer_pii, day)} "
    "peer={peer(rows.customer_pii, day)} "
    "ratio={ratio(rows.customer_pii, day)} "
    "peer_z={peer_z(rows.customer_pii, day)} "
    "conv={converged(rows.customer_pii)}\"\n"
    "}\n";

static const char *const users[4] = { "u_ana", "u_ben", "u_cat", "u_dan" };
static const char *const ips[4] = {
	"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"
};

/* Ten weekdays of `rows` a day at 10:00 for each of the four. */
static void
history(struct pipe *p, long rows, int days)
{
	int i, k;

	for (i = 0; i < days; i++)
		for (k = 0; k < 4; k++)
			pipe_query(p, users[k], ips[k], workday(i), 10, k,
			    rows, "crm.customers");
}

static void
test_day_spike(void)
{
	struct pipe p;
	const char *out;

	REQUIRE(pipe_open(&p, spike_rules, NULL) == 0);
	history(&p, 100, 10);
	pipe_query(&p, "u_ana", "10.0.0.1", workday(10), 10, 0, 5000,
	    "crm.customers");
	pipe_query(&p, "u_ben", "10.0.0.2", workday(10), 10, 0, 150,
	    "crm.customers");
	out = pipe_output(&p);
	CHECK_INT(count_lines(out, "\"rule\":\"spike\""), 1);
	/*
	 * A constant 100 a day: the mean log is log(101) exactly and the
	 * spread is below the floor (0.30), so z = (log 5001 - log 101) /
	 * 0.30 = 13.0; the peers learnt the same 100.
	 */
	CHECK_CONTAINS(out, "\"employee\":\"ana\"");
	CHECK_CONTAINS(out, "\"summary\":\"z=13 typical=100 peer=100 "
	    "ratio=50 peer_z=13 conv=1\"");
	CHECK_CONTAINS(out, "\"ts\":\"2026-01-19T23:59:59.999999Z\"");
	pipe_close(&p);
}

/* Before convergence an employee is measured against the peers. */
static void
test_new_joiner_peer_prior(void)
{
	struct pipe p;
	const char *out;
	int i, k;

	REQUIRE(pipe_open(&p, spike_rules, NULL) == 0);
	for (i = 0; i < 10; i++)
		for (k = 1; k < 4; k++)
			pipe_query(&p, users[k], ips[k], workday(i), 10, k,
			    200, "crm.customers");
	/* ana's first day at work */
	pipe_query(&p, "u_ana", "10.0.0.1", workday(10), 10, 0, 2000,
	    "crm.customers");
	out = pipe_output(&p);
	CHECK_INT(count_lines(out, "\"rule\":\"spike\""), 1);
	/* (log 2001 - log 201) / 0.30 = 7.66 against the peers */
	CHECK_CONTAINS(out, "\"summary\":\"z=7.7 typical=200 peer=200 "
	    "ratio=10 peer_z=7.7 conv=0\"");
	pipe_close(&p);
}

static const char drift_rules[] =
    "rule drift {\n"
    "  on day\n"
    "  when cusum(rows.customer_pii) > 5\n"
    "  severity high\n"
    "  summary \"cusum={cusum(rows.customer_pii)} "
    "typical={median(rows.customer_pii, day)}\"\n"
    "  suppress 1s\n"
    "}\n";

static void
test_slow_drift(void)
{
	struct pipe p;
	const char *out;
	int i, k;

	REQUIRE(pipe_open(&p, drift_rules, NULL) == 0);
	history(&p, 300, 10);
	for (i = 10; i < 13; i++)
		for (k = 0; k < 4; k++)
			pipe_query(&p, users[k], ips[k], workday(i), 10, k,
			    k == 0 ? 900 : 300, "crm.customers");
	out = pipe_output(&p);
	/*
	 * z = (log 901 - log 301) / 0.30 = 3.65 a day, k = 1: the CUSUM is
	 * 2.65, 5.31, 7.96. Learning froze at 2.65, so the typical value
	 * stays 300 and the steps stay equal.
	 */
	CHECK_INT(count_lines(out, "\"rule\":\"drift\""), 2);
	CHECK_CONTAINS(out, "\"ts\":\"2026-01-20T23:59:59.999999Z\"");
	CHECK_CONTAINS(out, "\"summary\":\"cusum=5.3 typical=300\"");
	CHECK_CONTAINS(out, "\"summary\":\"cusum=8 typical=300\"");
	CHECK_INT(count_lines(out, "\"employee\":\"ana\""), 2);
	pipe_close(&p);
}

/* The whole team drifting together is not one person's drift. */
static void
test_team_drift_is_not_drift(void)
{
	struct pipe p;
	const char *out;
	int i, k;

	REQUIRE(pipe_open(&p, drift_rules, NULL) == 0);
	history(&p, 300, 10);
	for (i = 10; i < 15; i++)
		for (k = 0; k < 4; k++)
			pipe_query(&p, users[k], ips[k], workday(i), 10, k,
			    900, "crm.customers");
	out = pipe_output(&p);
	CHECK_INT(count_lines(out, "\"rule\":\"drift\""), 0);
	pipe_close(&p);
}

/* The streak statistic's two pieces, on numbers worked by hand. */
static void
test_streak_math(void)
{
	/* nothing learnt: the prior share, 1 day in 20 */
	CHECK(fabs(detect_streak_p(0, 0, 0, 0) - 0.05) < 1e-12);
	/* own 1 in 10 pulled to the group's (0 + 1) / (80 + 20) */
	CHECK(fabs(detect_streak_p(1, 10, 0, 80) - 1.1 / 20) < 1e-12);
	/* a quiet person is never rarer than the group: 3 / 200 */
	CHECK(fabs(detect_streak_p(0, 20, 2, 180) - 0.015) < 1e-12);
	/* nor than 1 in 100 */
	CHECK(fabs(detect_streak_p(0, 100, 0, 1000) - 0.01) < 1e-12);
	CHECK(fabs(detect_streak_step(0, 1, 0.05) + log(0.05)) < 1e-12);
	CHECK(fabs(detect_streak_step(2, 1, 0.5) - (2 + log(2))) < 1e-12);
	CHECK(fabs(detect_streak_step(0, 1, 0.001) + log(0.01)) < 1e-12);
	CHECK(detect_streak_step(3.5, -1, 0.05) == 3.5);	/* team day */
	CHECK(detect_streak_step(3.5, 0, 0.05) == 0);	/* ordinary */
}

static const char streak_rules[] =
    "rule streak {\n"
    "  on day\n"
    "  when streak(rows.customer_pii) > 0\n"
    "  severity high\n"
    "  summary \"streak={streak(rows.customer_pii) * 1000 | int} "
    "days={streak_days(rows.customer_pii)}\"\n"
    "  suppress 1s\n"
    "}\n";

/*
 * Two days in a row of 900 rows from a person (and group) that always
 * read 300: each day is elevated (3x, 600 rows more, z = (log 901 -
 * log 301) / 0.30 = 3.65), and its surprise is -log p. Worked by hand:
 * the group learnt 4 members x 3 converged days (counts decayed by 0.95
 * at each day's close: 10.84 member-days, none elevated), so on day 10
 * p = 1 / (10.84 + 20) = 0.0324 (ana's own 2.85 days pull towards it
 * from below) and the streak is 3.429; day 10 alerted, so ana's day is
 * not learnt and the group adds 3 ordinary member-days: p = 1 / (13.15 +
 * 20) = 0.0302, streak 3.429 + 3.501 = 6.930.
 */
static void
test_streak(void)
{
	struct pipe p;
	const char *out;
	int i, k;

	REQUIRE(pipe_open(&p, streak_rules, NULL) == 0);
	history(&p, 300, 10);
	for (i = 10; i < 12; i++)
		for (k = 0; k < 4; k++)
			pipe_query(&p, users[k], ips[k], workday(i), 10, k,
			    k == 0 ? 900 : 300, "crm.customers");
	out = pipe_output(&p);
	CHECK_INT(count_lines(out, "\"rule\":\"streak\""), 2);
	CHECK_INT(count_lines(out, "\"employee\":\"ana\""), 2);
	CHECK_CONTAINS(out, "\"summary\":\"streak=3,429 days=1\"");
	CHECK_CONTAINS(out, "\"summary\":\"streak=6,930 days=2\"");
	pipe_close(&p);
}

/* An ordinary day ends a streak; a day the whole team is up is neutral. */
static void
test_streak_breaks(void)
{
	struct pipe p;
	const char *out;
	int k;

	REQUIRE(pipe_open(&p, streak_rules, NULL) == 0);
	history(&p, 300, 10);
	/* ana: up, back to normal; everyone: up together */
	for (k = 0; k < 4; k++)
		pipe_query(&p, users[k], ips[k], workday(10), 10, k,
		    k == 0 ? 900 : 300, "crm.customers");
	for (k = 0; k < 4; k++)
		pipe_query(&p, users[k], ips[k], workday(11), 10, k, 300,
		    "crm.customers");
	for (k = 0; k < 4; k++)
		pipe_query(&p, users[k], ips[k], workday(12), 10, k, 900,
		    "crm.customers");
	out = pipe_output(&p);
	CHECK_INT(count_lines(out, "\"rule\":\"streak\""), 1);
	CHECK_CONTAINS(out, "\"summary\":\"streak=3,429 days=1\"");
	CHECK_CONTAINS(out, "\"ts\":\"2026-01-19T23:59:59.999999Z\"");
	pipe_close(&p);
}

/*
 * A team of ten: t0 and nine agents who read 225-425 rows a day. Needs
 * its own directory: the team level needs at least REL_MIN_ACTIVE (8)
 * members active. With joiner, t9 started on the first day of the
 * series (2026-01-05); the others in 2024.
 */
static int
pipe_open_team(struct pipe *p, const char *rules, int joiner)
{
	char csv[2048];
	size_t off;
	int k;

	off = (size_t)snprintf(csv, sizeof(csv), "employee,name,department,"
	    "role,manager,db_users,ips,hostnames,start,leave\n");
	for (k = 0; k < 10; k++)
		off += (size_t)snprintf(csv + off, sizeof(csv) - off,
		    "t%d,T%d,Support,agent,,u_t%d,10.0.1.%d,,%s,\n",
		    k, k, k, k + 1, joiner && k == 9 ? "2026-01-05" :
		    "2024-01-01");
	return pipe_open_with(p, rules, NULL, csv);
}

static const char team_streak_rules[] =
    "rule streak {\n"
    "  on day\n"
    "  when streak(rows.customer_pii) >= 6\n"
    "  severity high\n"
    "  summary \"days={streak_days(rows.customer_pii)} "
    "team_usual={team_usual(rows.customer_pii) | int} "
    "team_ratio={team_ratio(rows.customer_pii)} "
    "team_z={team_z(rows.customer_pii)}\"\n"
    "  suppress 1s\n"
    "}\n";

/*
 * Twenty workdays of a team of ten: ten of history, a week, then an
 * ordinary week. With surge, the middle week is a surge of the whole
 * team (3x every member's usual: a third of the team spiking, so t0's
 * own baseline cannot judge those days, and learns them). With theft, t0
 * reads 600 rows a day more from the third day of the surge on. With
 * joiner, t9 reads 600 rows on a full day, and ramps up: a third of that
 * the first week, two thirds the second. t0 is away (on leave) until
 * workday t0_from.
 */
static void
team_series(struct pipe *p, int surge, int theft, int joiner, int t0_from)
{
	char u[16], ip[16];
	long base, rows;
	int i, k;

	for (i = 0; i < 20; i++)
		for (k = 0; k < 10; k++) {
			if (k == 0 && i < t0_from)
				continue;
			base = k == 0 ? 300 : 200 + 25 * k;
			if (joiner && k == 9)
				base = i < 5 ? 200 : i < 10 ? 400 : 600;
			rows = surge && i >= 10 && i < 15 ? 3 * base : base;
			if (theft && k == 0 && i >= 12)
				rows += 600;
			snprintf(u, sizeof(u), "u_t%d", k);
			snprintf(ip, sizeof(ip), "10.0.1.%d", k + 1);
			pipe_query(p, u, ip, workday(i), 10, k, rows,
			    "crm.customers");
		}
}

/*
 * The theft that starts in the middle of a team surge: the own baseline
 * learnt the surge week, so t0's days are not elevated against it (the
 * team is up, and afterwards the baseline has taken the surge in).
 * Against the team's level that day - the median of the ten members'
 * log1p - times t0's usual share of it (learnt on the team's ordinary
 * days only), they are. In the surge: the level is the mean of 975 and
 * 1,050 in log, 1,012, t0's share is 300 against the ordinary days'
 * 312, so 972 is t0's usual; 1,500 rows are 1.54x (at least 1.5x),
 * z = (log 1501 - log 973) / 0.20 = 2.2 (at least 2): elevated from the
 * first day of the theft, and the streak alerts on the second, the
 * 22nd, in the surge. After it: 900 rows against 324, 2.8x.
 */
static void
test_theft_in_team_surge(void)
{
	struct pipe p;
	const char *out;

	REQUIRE(pipe_open_team(&p, team_streak_rules, 0) == 0);
	team_series(&p, 1, 1, 0, 0);
	out = pipe_output(&p);
	CHECK_CONTAINS(out, "\"employee\":\"t0\"");
	CHECK_INT(count_lines(out, "\"employee\":\"t0\""),
	    count_lines(out, "\"rule\":\"streak\""));
	CHECK(strstr(out, "2026-01-21T") == NULL);
	CHECK_CONTAINS(out, "\"ts\":\"2026-01-22T23:59:59.999999Z\"");
	CHECK_CONTAINS(out, "days=2 team_usual=972 team_ratio=1.5 "
	    "team_z=2.2");
	CHECK_CONTAINS(out, "days=4 team_usual=324 team_ratio=2.8 "
	    "team_z=5.1");
	pipe_close(&p);
}

/* The same surge without the theft: nobody's streak. */
static void
test_team_surge_alone(void)
{
	struct pipe p;
	const char *out;

	REQUIRE(pipe_open_team(&p, team_streak_rules, 0) == 0);
	team_series(&p, 1, 0, 0, 0);
	out = pipe_output(&p);
	CHECK_INT(count_lines(out, "\"rule\":\"streak\""), 0);
	pipe_close(&p);
}

/*
 * t0 back from leave four workdays before the surge: their own baseline
 * has not converged when the theft starts, and then it learns the surge
 * and the theft's first days. The share of the team's level has four
 * ordinary days, enough for a reference (at the own baseline's floor,
 * 0.30, until it has seven): in the surge 1,500 rows are 1.54x but only
 * z 1.4; after it, 900 rows are 2.8x and z 3.4 - elevated, and the
 * streak alerts on the second ordinary day.
 */
static void
test_theft_after_leave(void)
{
	struct pipe p;
	const char *out;

	REQUIRE(pipe_open_team(&p, team_streak_rules, 0) == 0);
	team_series(&p, 1, 1, 0, 6);
	out = pipe_output(&p);
	CHECK_INT(count_lines(out, "\"employee\":\"t0\""),
	    count_lines(out, "\"rule\":\"streak\""));
	CHECK(strstr(out, "2026-01-26T") == NULL);
	CHECK_CONTAINS(out, "\"ts\":\"2026-01-27T23:59:59.999999Z\"");
	CHECK_CONTAINS(out, "days=2 team_usual=324 team_ratio=2.8 "
	    "team_z=3.4");
	pipe_close(&p);
}

/*
 * A joiner ramping up through the surge: the share of the team t9
 * learnt in the first two weeks (200 and 400 rows) is half or less of
 * the full day's 600 that follows, which against it would be about
 * 2.2x, z above 3: a streak from the surge's second day on. Until 28
 * days after the start date there is no team-relative reference for
 * them, and their own baseline took the surge in: nobody's streak.
 */
static void
test_joiner_in_team_surge(void)
{
	struct pipe p;
	const char *out;

	REQUIRE(pipe_open_team(&p, team_streak_rules, 1) == 0);
	team_series(&p, 1, 0, 1, 0);
	out = pipe_output(&p);
	CHECK_INT(count_lines(out, "\"rule\":\"streak\""), 0);
	pipe_close(&p);
}

/*
 * The ramp of someone who has worked there since 2024 (back from a long
 * leave, say) is a streak: their own baseline learnt the light weeks and
 * 600 rows are over 1.8x and 250 rows above it, days in a row. The same
 * days of a joiner who started on the first day of the series are the
 * job growing: no streak until 28 days after the start date (the
 * series' twenty workdays end on the 26th day).
 */
static void
test_joiner_ramp(void)
{
	struct pipe p;
	const char *out;

	REQUIRE(pipe_open_team(&p, team_streak_rules, 0) == 0);
	team_series(&p, 0, 0, 1, 0);
	out = pipe_output(&p);
	CHECK_INT(count_lines(out, "\"employee\":\"t9\""), 9);
	CHECK_INT(count_lines(out, "\"employee\":\"t9\""),
	    count_lines(out, "\"rule\":\"streak\""));
	pipe_close(&p);

	REQUIRE(pipe_open_team(&p, team_streak_rules, 1) == 0);
	team_series(&p, 0, 0, 1, 0);
	out = pipe_output(&p);
	CHECK_INT(count_lines(out, "\"rule\":\"streak\""), 0);
	pipe_close(&p);
}

static const char rare_rules[] =
    "rule rare {\n"
    "  on day\n"
    "  when value(out.rare, day) >= 100M\n"
    "  severity medium\n"
    "  summary \"rare={value(out.rare, day) | int} "
    "all={value(out.exfil, day) | int}\"\n"
    "}\n";

/*
 * out.rare: the bytes to destinations fewer than a tenth of the group
 * (and at most one other member) have sent to. Three of ana's peers use
 * the team's drive (for the first two of them, on their first day, it
 * was rare too: 5 MB, under the rule's floor); nobody uses her mega.nz.
 */
static void
test_rare_destinations(void)
{
	struct pipe p;
	const char *out;
	int k;

	REQUIRE(pipe_open(&p, rare_rules, NULL) == 0);
	for (k = 1; k < 4; k++)
		pipe_flow(&p, ips[k], 5, 10, k, 5000000, "drive.google.com",
		    "cloud_storage");
	pipe_flow(&p, ips[0], 6, 10, 0, 300000000, "drive.google.com",
	    "cloud_storage");
	pipe_flow(&p, ips[0], 6, 11, 0, 200000000, "g.api.mega.co.nz",
	    "cloud_storage");
	pipe_flow(&p, ips[0], 6, 12, 0, 900000000, "www.example.com",
	    "other");
	out = pipe_output(&p);
	CHECK_INT(count_lines(out, "\"rule\":\"rare\""), 1);
	CHECK_CONTAINS(out, "\"employee\":\"ana\"");
	CHECK_CONTAINS(out, "\"summary\":\"rare=200,000,000 "
	    "all=500,000,000\"");
	pipe_close(&p);
}

static const char seen_rules[] =
    "rule seen {\n"
    "  on day\n"
    "  when first_seen(table) > 0\n"
    "  severity medium\n"
    "  summary \"{first_seen(table)} new\"\n"
    "}\n";

static void
test_first_seen_table(void)
{
	struct pipe p;
	const char *out;
	int k;

	REQUIRE(pipe_open(&p, seen_rules, NULL) == 0);
	history(&p, 100, 10);
	/* ana alone reads a payment table for the first time */
	pipe_query(&p, "u_ana", "10.0.0.1", workday(10), 11, 0, 2000,
	    "pay.cards");
	/* the next day all four read a new table: a migration */
	for (k = 0; k < 4; k++)
		pipe_query(&p, users[k], ips[k], workday(11), 11, k, 2000,
		    "pay.ledger");
	/* a non-sensitive new table is not first-seen */
	pipe_query(&p, "u_ben", "10.0.0.2", workday(12), 11, 0, 2000,
	    "crm.notes");
	out = pipe_output(&p);
	CHECK_INT(count_lines(out, "\"rule\":\"seen\""), 1);
	CHECK_CONTAINS(out, "\"employee\":\"ana\"");
	CHECK_CONTAINS(out, "\"first_seen_tables\":[\"pay.cards\"]");
	CHECK_CONTAINS(out, "\"ts\":\"2026-01-19T23:59:59.999999Z\"");
	pipe_close(&p);
}

static const char offhours_rules[] =
    "rule night {\n"
    "  on day\n"
    "  when value(offhours.rows, day) > 0\n"
    "  severity high\n"
    "  summary \"{value(offhours.rows, day)} rows off hours\"\n"
    "}\n";

static void
test_offhours(void)
{
	struct pipe p;
	const char *out;

	REQUIRE(pipe_open(&p, offhours_rules, NULL) == 0);
	history(&p, 100, 10);
	pipe_query(&p, "u_ana", "10.0.0.1", workday(10), 22, 0, 3000,
	    "crm.customers");
	pipe_query(&p, "u_ben", "10.0.0.2", workday(10), 10, 30, 3000,
	    "crm.customers");
	out = pipe_output(&p);
	CHECK_INT(count_lines(out, "\"rule\":\"night\""), 1);
	CHECK_CONTAINS(out, "\"summary\":\"3,000 rows off hours\"");
	CHECK_CONTAINS(out, "\"employee\":\"ana\"");
	pipe_close(&p);
}

static const char team_rules[] =
    "rule big {\n"
    "  on day\n"
    "  when value(rows.customer_pii, day) >= 1000 and "
    "team(rows.customer_pii, day) < 0.25\n"
    "  severity high\n"
    "  summary \"team={team(rows.customer_pii, day) * 100}%\"\n"
    "}\n";

static void
test_team_surge(void)
{
	struct pipe p;
	const char *out;
	int k;

	REQUIRE(pipe_open(&p, team_rules, NULL) == 0);
	history(&p, 100, 10);
	for (k = 0; k < 4; k++)	/* month end: everybody */
		pipe_query(&p, users[k], ips[k], workday(10), 10, k, 5000,
		    "crm.customers");
	for (k = 0; k < 4; k++)	/* one person */
		pipe_query(&p, users[k], ips[k], workday(11), 10, k,
		    k == 2 ? 5000 : 100, "crm.customers");
	for (k = 0; k < 4; k++)	/* two of four: one of three others */
		pipe_query(&p, users[k], ips[k], workday(12), 10, k,
		    k >= 2 ? 5000 : 100, "crm.customers");
	out = pipe_output(&p);
	CHECK_INT(count_lines(out, "\"rule\":\"big\""), 1);
	CHECK_CONTAINS(out, "\"employee\":\"cat\"");
	CHECK_CONTAINS(out, "\"summary\":\"team=0%\"");
	pipe_close(&p);
}

static const char seq_rules[] =
    "rule steal {\n"
    "  on event\n"
    "  when sum(rows_sensitive, 6h) >= 10000\n"
    "  then exfil and sum(out_bytes, 6h where exfil) >= 500M within 6h\n"
    "  severity critical\n"
    "  summary \"{sum(rows_sensitive, 6h)} rows then "
    "{sum(out_bytes, 6h where exfil) | bytes} to {server_name}\"\n"
    "}\n";

static void
test_sequence(void)
{
	struct pipe p;
	const char *out;

	REQUIRE(pipe_open(&p, seq_rules, NULL) == 0);
	/* ana: read, upload three hours later */
	pipe_query(&p, "u_ana", "10.0.0.1", 19, 10, 0, 12000,
	    "crm.customers");
	pipe_flow(&p, "10.0.0.1", 19, 11, 0, 100000000, "www.example.com",
	    "other");
	pipe_flow(&p, "10.0.0.1", 19, 13, 0, 600000000, "drive.google.com",
	    "cloud_storage");
	/* ben: the same, but the upload comes seven hours later */
	pipe_query(&p, "u_ben", "10.0.0.2", 20, 10, 0, 12000,
	    "crm.customers");
	pipe_flow(&p, "10.0.0.2", 20, 17, 0, 600000000, "drive.google.com",
	    "cloud_storage");
	/* cat: upload first, read after: not the sequence */
	pipe_flow(&p, "10.0.0.3", 21, 9, 0, 600000000, "drive.google.com",
	    "cloud_storage");
	pipe_query(&p, "u_cat", "10.0.0.3", 21, 10, 0, 12000,
	    "crm.customers");
	out = pipe_output(&p);
	CHECK_INT(count_lines(out, "\"rule\":\"steal\""), 1);
	CHECK_CONTAINS(out, "\"ts\":\"2026-01-19T13:00:00.000000Z\"");
	CHECK_CONTAINS(out, "\"summary\":\"12,000 rows then 600.0 MB to "
	    "drive.google.com\"");
	CHECK_CONTAINS(out, "\"sequence_start\":\"2026-01-19T10:00:00."
	    "000000Z\"");
	pipe_close(&p);
}

/* Read-like rules of docs/events.md and the registrable domain. */
static void
test_read_like_and_domains(void)
{
	char d[256];

	CHECK_INT(features_read_like("SELECT", "SELECT * FROM t"), 3);
	CHECK_INT(features_read_like("INSERT", "INSERT INTO t VALUES (?)"), 1);
	CHECK_INT(features_read_like("INSERT", "INSERT INTO t SELECT * FROM "
	    "c"), 3);
	CHECK_INT(features_read_like("INSERT", "<unparsed>"), 3);
	CHECK_INT(features_read_like("COPY", "COPY t TO STDOUT"), 3);
	CHECK_INT(features_read_like("COPY", "COPY t FROM STDIN"), 0);
	CHECK_INT(features_read_like("CREATE", "CREATE TABLE x AS SELECT * "
	    "FROM c"), 2);
	CHECK_INT(features_read_like("CREATE", "CREATE TABLE x (a int)"), 0);
	CHECK_INT(features_read_like("UPDATE", "UPDATE t SET a = ?"), 1);
	CHECK_INT(features_read_like("SET", "SET a = ?"), 0);
	features_registrable("content.dropboxapi.com", d, sizeof(d));
	CHECK_STR(d, "dropboxapi.com");
	features_registrable("www.bbc.co.uk.", d, sizeof(d));
	CHECK_STR(d, "bbc.co.uk");
	features_registrable("Mail.Google.COM", d, sizeof(d));
	CHECK_STR(d, "google.com");
	features_registrable("localhost", d, sizeof(d));
	CHECK_STR(d, "localhost");
	features_registrable("198.51.100.7", d, sizeof(d));
	CHECK_STR(d, "198.51.100.7");
	features_registrable("x.tokopedia.co.id", d, sizeof(d));
	CHECK_STR(d, "tokopedia.co.id");
}

/* Flows with totals only count the difference between records. */
static void
test_flow_totals(void)
{
	static const char rules[] =
	    "rule up {\n  on day\n  when value(out.cloud_storage, day) > 0\n"
	    "  severity low\n  summary \"{value(out.cloud_storage, day)}\"\n"
	    "}\n";
	struct pipe p;
	const char *out;
	char buf[512];
	static const long long totals[] = { 1000, 5000, 5000, 12000 };
	int i;

	REQUIRE(pipe_open(&p, rules, NULL) == 0);
	for (i = 0; i < 4; i++) {
		snprintf(buf, sizeof(buf), "{\"type\":\"net.flow\",\"ts\":"
		    "\"2026-01-05T10:0%d:00.000000Z\",\"flow_id\":\"L1\","
		    "\"src\":\"10.0.0.1\",\"dst\":\"198.51.100.7\",\"l4\":"
		    "\"tcp\",\"category\":\"cloud_storage\",\"bytes_out\":%lld,"
		    "\"bytes_in\":0,\"final\":%s}", i, totals[i],
		    i == 3 ? "true" : "false");
		CHECK_INT(pipe_event(&p, buf), 0);
	}
	out = pipe_output(&p);
	CHECK_CONTAINS(out, "\"summary\":\"12,000\"");
	pipe_close(&p);
}

/*
 * The day's close allocates before it changes anything: when that fails
 * it says so and leaves the day as it was, so closing it again later
 * gives the figures a first close would have.
 */
static void
test_day_close_no_memory(void)
{
	struct pipe p;
	struct entity **v, *e;
	struct peer *pg;
	size_t n;
	int64_t day;

	REQUIRE(pipe_open(&p, NULL, NULL) == 0);
	REQUIRE(pipe_query(&p, "u_ana", "10.0.0.1", 5, 10, 0, 100,
	    "crm.customers") == 0);
	REQUIRE(pipe_query(&p, "u_ben", "10.0.0.2", 5, 11, 0, 200,
	    "crm.customers") == 0);
	day = p.an->day_open;
	v = entities_active(p.an, 1, &n);
	REQUIRE(n == 2);
	e = v[0];
	pg = peer_get(p.an, e->group);
	CHECK_STR(e->id, "ana");
	CHECK_INT(e->s.last_day, -1);
	CHECK_INT(pg->active, 0);

	fail_calloc = 1;
	CHECK_INT(detect_day_close(p.an, v, n, day), -1);
	CHECK_INT(fail_calloc, 0);		/* the failure did happen */
	CHECK_INT(e->s.last_day, -1);		/* and nothing moved */
	CHECK_INT(pg->active, 0);
	CHECK_INT(e->s.f[FT_ROWS].ring[day % CUM_DAYS], 0);

	CHECK_INT(detect_day_close(p.an, v, n, day), 0);
	CHECK_INT(e->s.last_day, day);
	CHECK_INT(pg->active, 2);
	CHECK_INT(e->s.f[FT_ROWS].ring[day % CUM_DAYS], 100);
	free(v);
	pipe_close(&p);
}

/*
 * Live, a day that cannot be closed stays open: the event that ended it
 * reports the error, the hours until the next close count in the open
 * day, and the close is tried again when the next hour ends.
 */
static void
test_day_stays_open(void)
{
	struct pipe p;
	struct entity *e;
	int64_t day;

	REQUIRE(pipe_open(&p, NULL, NULL) == 0);
	REQUIRE(pipe_query(&p, "u_ana", "10.0.0.1", 5, 10, 0, 100,
	    "crm.customers") == 0);
	day = p.an->day_open;
	e = hmap_get(p.an->entities, "ana");
	REQUIRE(e != NULL);

	fail_day_close = 1;
	CHECK_INT(pipe_query(&p, "u_ana", "10.0.0.1", 6, 9, 0, 10,
	    "crm.customers"), -1);
	CHECK_INT(fail_day_close, 0);
	CHECK_INT(p.an->day_open, day);		/* still open */
	CHECK_INT(e->s.last_day, -1);
	CHECK_INT(pipe_query(&p, "u_ana", "10.0.0.1", 6, 9, 30, 20,
	    "crm.customers"), 0);		/* same hour: no retry */
	CHECK_INT(p.an->day_open, day);

	/* the next hour closes it, with the hour in between counted */
	CHECK_INT(pipe_query(&p, "u_ana", "10.0.0.1", 6, 10, 0, 5,
	    "crm.customers"), 0);
	CHECK_INT(p.an->day_open, day + 1);
	CHECK_INT(e->s.last_day, day);
	CHECK_INT(e->s.f[FT_ROWS].ring[day % CUM_DAYS], 130);
	CHECK_INT(e->dv[FT_ROWS], 5);
	pipe_close(&p);
}

/*
 * A replay stops at the event whose day could not be closed, with an
 * error: its alerts would no longer be those of its events.
 */
static void
test_replay_stops(void)
{
	struct pipe p;
	struct store *s;
	struct ingest_ctx ctx;
	uint64_t stored = 0, rejected = 0;
	char path[512], err[256];
	FILE *f;
	int i;

	REQUIRE(pipe_open(&p, NULL, NULL) == 0);
	snprintf(path, sizeof(path), "%s/store.db", p.dir);
	s = store_open(path, 0, err, sizeof(err));
	REQUIRE(s != NULL);
	memset(&ctx, 0, sizeof(ctx));
	ctx.store = s;
	ctx.analytics = analytics_new(&p.cfg, store_db(s), p.out, 1, err,
	    sizeof(err));
	REQUIRE(ctx.analytics != NULL);
	snprintf(path, sizeof(path), "%s/events.jsonl", p.dir);
	REQUIRE((f = fopen(path, "w")) != NULL);
	for (i = 0; i < 3; i++)
		fprintf(f, "{\"type\":\"db.query\",\"ts\":"
		    "\"2026-01-%02dT10:00:00.000000Z\",\"agent\":\"db1\","
		    "\"db_system\":\"postgresql\",\"client\":"
		    "\"10.0.0.1:4000\",\"db_user\":\"u_ana\",\"command\":"
		    "\"SELECT\",\"statement\":\"SELECT 1\",\"fingerprint\":"
		    "\"00000000000000aa\",\"tables\":[\"crm.customers\"],"
		    "\"rows_returned\":10,\"rows_affected\":0,\"status\":"
		    "\"ok\"}\n", 5 + i);
	fclose(f);

	fail_day_close = 1;
	CHECK_INT(ingest_replay(&ctx, path, &stored, &rejected), -1);
	CHECK_INT(stored, 2);		/* the second event ended the day */
	CHECK_INT(rejected, 0);
	analytics_free(ctx.analytics);
	store_close(s);
	pipe_close(&p);
}

/*
 * Live, the wall clock closes a quiet hour - but not while events wait to
 * be scored: a backlog of last January closes its own days as it is
 * scored, not today's.
 */
static void
test_tick_waits_for_backlog(void)
{
	struct pipe p;
	int64_t open;

	if (pipe_open_mode(&p, NULL, NULL, ana_directory, 0) != 0)
		FAILF("%s", p.err);
	CHECK_INT(pipe_event(&p, "{\"type\":\"db.query\",\"ts\":"
	    "\"2026-01-05T10:00:00.000000Z\",\"agent\":\"db1\","
	    "\"db_system\":\"postgresql\",\"client\":\"10.0.0.1:4000\","
	    "\"db_user\":\"u_ana\",\"command\":\"SELECT\",\"statement\":"
	    "\"SELECT 1\",\"fingerprint\":\"00000000000000aa\",\"tables\":"
	    "[\"crm.customers\"],\"rows_returned\":10,\"rows_affected\":0,"
	    "\"status\":\"ok\"}"), 0);
	open = p.an->hour_open;
	CHECK(open == 1767607200LL * 1000000);
	analytics_tick(p.an, now_us(), 1);
	CHECK(p.an->hour_open == open);
	analytics_tick(p.an, now_us(), 0);
	CHECK(p.an->hour_open > open + 300LL * 86400 * 1000000);
	pipe_close(&p);
}

static const struct test tests[] = {
	{ "cusum_steps", test_cusum_steps },
	{ "cum30", test_cum30 },
	{ "day_spike", test_day_spike },
	{ "new_joiner_peer_prior", test_new_joiner_peer_prior },
	{ "slow_drift", test_slow_drift },
	{ "team_drift_is_not_drift", test_team_drift_is_not_drift },
	{ "streak_math", test_streak_math },
	{ "streak", test_streak },
	{ "streak_breaks", test_streak_breaks },
	{ "theft_in_team_surge", test_theft_in_team_surge },
	{ "team_surge_alone", test_team_surge_alone },
	{ "joiner_in_team_surge", test_joiner_in_team_surge },
	{ "joiner_ramp", test_joiner_ramp },
	{ "theft_after_leave", test_theft_after_leave },
	{ "rare_destinations", test_rare_destinations },
	{ "first_seen_table", test_first_seen_table },
	{ "offhours", test_offhours },
	{ "team_surge", test_team_surge },
	{ "sequence", test_sequence },
	{ "read_like_and_domains", test_read_like_and_domains },
	{ "flow_totals", test_flow_totals },
	{ "day_close_no_memory", test_day_close_no_memory },
	{ "day_stays_open", test_day_stays_open },
	{ "replay_stops", test_replay_stops },
	{ "tick_waits_for_backlog", test_tick_waits_for_backlog },
};

HARNESS_MAIN(tests)
