/*
 * Tests of collector/analytics/standing.c on hand-built series with
 * exact expected figures: the linear-time quantile; thefts present from
 * the first day of the data, in a role big enough to be its own group,
 * in a small role judged in its department (its lift taken out, so its
 * ordinary members are not outliers) and in a small department judged
 * in the organisation - each caught on the fourth active day from its
 * peer standing alone, with rank, group, ratio, robust z, percentile and
 * days above the 95th percentile; and the cold start: a new irregular
 * worker whose peers routinely pull thousands of rows at odd hours
 * raises nothing under the default rules on their first days, while an
 * established one's pull ten times the routine still does; the peers'
 * hours: what they read at an hour of a kind of day, a routine only as a
 * habit of the group, and an analyst who never pulled at odd hours is
 * not off hours at the hour their peers pull, but is at an hour nobody
 * reads; a weekend's usual pulls are no team surge that would excuse
 * a dump far beyond them; the mix of reads (share of sensitive rows) and
 * the mix by table, where every table is sensitive: a thief of extra
 * rows of one table flagged on the fifth day, an honest heavy reader
 * and a low-volume reader not; and under the shipped rules, such a
 * theft from the first day alerted on the third (table_mix_outlier).
 */
#include <errno.h>
#include <math.h>

#include "harness.h"
#include "ana_helper.h"

static void
test_quantile(void)
{
	double v[] = { 5, 1, 4, 2, 3 }, w[] = { 7 }, z[4] = { 0 };
	double u[20];
	int i;

	CHECK(standing_quantile(v, 5, 0.5) == 3);
	CHECK(standing_quantile(v, 5, 0) == 1);
	CHECK(standing_quantile(v, 5, 1) == 5);
	/* 0.95 x 4 = 3.8: 4 + 0.8 x (5 - 4) */
	CHECK(fabs(standing_quantile(v, 5, 0.95) - 4.8) < 1e-9);
	CHECK(standing_quantile(w, 1, 0.95) == 7);
	CHECK(standing_quantile(z, 4, 0.5) == 0);
	CHECK(standing_quantile(z, 0, 0.5) == 0);
	/* 20 values 19..0 with ties: the median of 0,0,1,1,...,9,9 is 4.5 */
	for (i = 0; i < 20; i++)
		u[i] = (19 - i) / 2;
	CHECK(fabs(standing_quantile(u, 20, 0.5) - 4.5) < 1e-9);
}

/*
 * Ops: ten clerks (c0-c9) reading 100 customer rows a day and three
 * analysts (a0-a2) reading 2,000; Desk: five agents (d0-d4) reading
 * 100. From the first day, c0 reads 600, a0 14,000 and d0 800.
 */
static const char stand_directory[] =
    "employee,name,department,role,manager,db_users,ips,hostnames,start,"
    "leave\n"
    "c0,C0,Ops,clerk,,u_c0,10.0.1.0,,2024-01-01,\n"
    "c1,C1,Ops,clerk,,u_c1,10.0.1.1,,2024-01-01,\n"
    "c2,C2,Ops,clerk,,u_c2,10.0.1.2,,2024-01-01,\n"
    "c3,C3,Ops,clerk,,u_c3,10.0.1.3,,2024-01-01,\n"
    "c4,C4,Ops,clerk,,u_c4,10.0.1.4,,2024-01-01,\n"
    "c5,C5,Ops,clerk,,u_c5,10.0.1.5,,2024-01-01,\n"
    "c6,C6,Ops,clerk,,u_c6,10.0.1.6,,2024-01-01,\n"
    "c7,C7,Ops,clerk,,u_c7,10.0.1.7,,2024-01-01,\n"
    "c8,C8,Ops,clerk,,u_c8,10.0.1.8,,2024-01-01,\n"
    "c9,C9,Ops,clerk,,u_c9,10.0.1.9,,2024-01-01,\n"
    "a0,A0,Ops,analyst,,u_a0,10.0.2.0,,2024-01-01,\n"
    "a1,A1,Ops,analyst,,u_a1,10.0.2.1,,2024-01-01,\n"
    "a2,A2,Ops,analyst,,u_a2,10.0.2.2,,2024-01-01,\n"
    "d0,D0,Desk,agent,,u_d0,10.0.3.0,,2024-01-01,\n"
    "d1,D1,Desk,agent,,u_d1,10.0.3.1,,2024-01-01,\n"
    "d2,D2,Desk,agent,,u_d2,10.0.3.2,,2024-01-01,\n"
    "d3,D3,Desk,agent,,u_d3,10.0.3.3,,2024-01-01,\n"
    "d4,D4,Desk,agent,,u_d4,10.0.3.4,,2024-01-01,\n";

static const char stand_rules[] =
    "rule standing {\n"
    "  on day\n"
    "  when peer_mratio(rows.sensitive, 7d) >= 4 and\n"
    "      peer_days(rows.sensitive, 5) >= 4\n"
    "  severity high\n"
    "  summary \"rank={peer_rank(rows.sensitive, 7d)} "
    "n={peer_n(rows.sensitive, 7d)} group={peer_group(rows.sensitive, 7d)} "
    "mratio={peer_mratio(rows.sensitive, 7d)} "
    "rz={peer_rz(rows.sensitive, 7d)} pct={peer_pct(rows.sensitive, 7d)} "
    "median={peer_median(rows.sensitive, 7d)} "
    "days={peer_days(rows.sensitive, 5)} seen={days_seen()}\"\n"
    "  suppress 30d\n"
    "}\n"
    "rule probe {\n"
    "  on day\n"
    "  when employee == \"a1\"\n"
    "  severity low\n"
    "  summary \"group={peer_group(rows.sensitive, 30d)} "
    "mratio={peer_mratio(rows.sensitive, 30d)} "
    "rank={peer_rank(rows.sensitive, 30d)} "
    "days={peer_days(rows.sensitive, 5)}\"\n"
    "}\n";

/* Day i of the series: everyone's reads at 10:00. */
static void
stand_day(struct pipe *p, int i)
{
	char user[24], ip[24];
	int k;

	for (k = 0; k < 10; k++) {
		snprintf(user, sizeof(user), "u_c%d", k);
		snprintf(ip, sizeof(ip), "10.0.1.%d", k);
		pipe_query(p, user, ip, workday(i), 10, k, k == 0 ? 600 : 100,
		    "crm.customers");
	}
	for (k = 0; k < 3; k++) {
		snprintf(user, sizeof(user), "u_a%d", k);
		snprintf(ip, sizeof(ip), "10.0.2.%d", k);
		pipe_query(p, user, ip, workday(i), 10, 20 + k, k == 0 ?
		    14000 : 2000, "crm.customers");
	}
	for (k = 0; k < 5; k++) {
		snprintf(user, sizeof(user), "u_d%d", k);
		snprintf(ip, sizeof(ip), "10.0.3.%d", k);
		pipe_query(p, user, ip, workday(i), 10, 30 + k, k == 0 ? 800 :
		    100, "crm.customers");
	}
}

/* The alert line of rule on employee emp, or NULL. */
static const char *
alert_of(const char *out, const char *rule, const char *emp)
{
	char r[64], e[64];
	const char *l;

	snprintf(r, sizeof(r), "\"rule\":\"%s\"", rule);
	snprintf(e, sizeof(e), "\"employee\":\"%s\"", emp);
	for (l = strstr(out, e); l != NULL; l = strstr(l + 1, e)) {
		const char *bol = l, *eol = strchr(l, '\n');

		while (bol > out && bol[-1] != '\n')
			bol--;
		if (memmem(bol, (size_t)((eol ? eol : l + strlen(l)) - bol),
		    r, strlen(r)) != NULL)
			return bol;
	}
	return NULL;
}

/*
 * Thefts present from the first day: on days 1-3 nobody alerts (fewer
 * than four days above the 95th percentile); on day 4 the three thieves
 * do, each in its group, and nobody else does - not the analysts, whose
 * role reads twenty times their department's median.
 *
 * c0 among the ten clerks: 6x their median 100; the MAD of the group is
 * 0, so the spread is the floor 0.5 and rz = (log 601 - log 101) / 0.5 =
 * 3.57; 9 below and 1 equal of 10 make the 95th percentile. a0's role
 * has three members (under 8 with data): its department Ops, where the
 * analysts' lift is 2,000 / 100 = 20, so a0 counts 700 against a median
 * of 100 (2,000 for an analyst): 7x, rz (log 701 - log 101) / 0.5 =
 * 3.87. d0's department has five: the organisation (18 people), median
 * 100, 8x, rz (log 801 - log 101) / 0.5 = 4.14. (Summaries round
 * figures of 10 and more to whole numbers.)
 */
static void
test_theft_from_day_zero(void)
{
	struct pipe p;
	const char *out, *l;
	int i;

	REQUIRE(pipe_open_with(&p, stand_rules, NULL, stand_directory) == 0);
	for (i = 0; i < 3; i++)
		stand_day(&p, i);
	out = pipe_output(&p);		/* closes day 2 */
	CHECK_INT(count_lines(out, "\"rule\":\"standing\""), 0);
	stand_day(&p, 3);
	out = pipe_output(&p);
	CHECK_INT(count_lines(out, "\"rule\":\"standing\""), 3);
	l = alert_of(out, "standing", "c0");
	CHECK(l != NULL);
	if (l != NULL) {
		CHECK_CONTAINS(l, "\"summary\":\"rank=1 n=10 group=Ops "
		    "(clerk) mratio=6 rz=3.6 pct=95 median=100 days=4 seen=4\"");
		CHECK_CONTAINS(l, "\"ts\":\"2026-01-08T23:59:59.999999Z\"");
		/* every alert says where the person stands, in numbers */
		CHECK_CONTAINS(l, "\"peer_standing\":\"rank 1 of 10 in Ops "
		    "(clerk) for sensitive rows read over 30 days, 6.0x the "
		    "peer median; over 7 days rank 1 of 10, 6.0x; 4 of the "
		    "last 4 days above the 95th percentile\"");
	}
	l = alert_of(out, "standing", "a0");
	CHECK(l != NULL);
	if (l != NULL)
		CHECK_CONTAINS(l, "\"summary\":\"rank=1 n=13 group=Ops "
		    "mratio=7 rz=3.9 pct=96 median=2,000 days=4 seen=4\"");
	l = alert_of(out, "standing", "d0");
	CHECK(l != NULL);
	if (l != NULL)
		CHECK_CONTAINS(l, "\"summary\":\"rank=1 n=18 group=the "
		    "organisation mratio=8 rz=4.1 pct=97 median=100 days=4 "
		    "seen=4\"");
	if (l != NULL)
		CHECK_CONTAINS(l, "\"peer_standing\":\"rank 1 of 18 in the "
		    "organisation for sensitive rows read over 30 days, 8.0x "
		    "the peer median; over 7 days rank 1 of 18, 8.0x; 4 of "
		    "the last 4 days above the 95th percentile\"");
	/* an ordinary analyst: the median of Ops once the lift is out */
	l = alert_of(out, "probe", "a1");
	CHECK(l != NULL);
	if (l != NULL)
		CHECK_CONTAINS(l, "\"summary\":\"group=Ops mratio=1 rank=3 "
		    "days=0\"");
	pipe_close(&p);
}

/*
 * Without the role's lift the analysts would be outliers of Ops, at 20x
 * its median every day: with a0's theft gone and all three reading
 * 2,000, nobody alerts, and an analyst stands at Ops's median.
 */
static void
test_mixed_group(void)
{
	struct pipe p;
	const char *out;
	char user[24], ip[24];
	int i, k;

	REQUIRE(pipe_open_with(&p, stand_rules, NULL, stand_directory) == 0);
	for (i = 0; i < 6; i++)
		for (k = 0; k < 13; k++) {
			snprintf(user, sizeof(user), k < 10 ? "u_c%d" :
			    "u_a%d", k < 10 ? k : k - 10);
			snprintf(ip, sizeof(ip), k < 10 ? "10.0.1.%d" :
			    "10.0.2.%d", k < 10 ? k : k - 10);
			pipe_query(&p, user, ip, workday(i), 10, k, k < 10 ?
			    100 : 2000, "crm.customers");
		}
	out = pipe_output(&p);
	CHECK_INT(count_lines(out, "\"rule\":\"standing\""), 0);
	CHECK_CONTAINS(out, "\"summary\":\"group=Ops mratio=1 rank=1 "
	    "days=0\"");
	pipe_close(&p);
}

/*
 * The cold start, under the shipped rules: ten warehouse analysts whose
 * days read no sensitive row but who, each on one day in four, pull
 * 6,000 customer rows at an odd hour of their own. A new analyst whose
 * first three days each hold a pull of 8,000 at 21:00 - "8,000x their
 * usual 0" - raises nothing: their peers do this routinely (the 95th
 * percentile of the role's off-hours days is 6,000). An established
 * analyst's pull of 60,000 at 02:00, ten times the routine, still does.
 */
static const char cold_directory[] =
    "employee,name,department,role,manager,db_users,ips,hostnames,start,"
    "leave\n"
    "w0,W0,Warehouse,analyst,,u_w0,10.0.4.0,,2024-01-01,\n"
    "w1,W1,Warehouse,analyst,,u_w1,10.0.4.1,,2024-01-01,\n"
    "w2,W2,Warehouse,analyst,,u_w2,10.0.4.2,,2024-01-01,\n"
    "w3,W3,Warehouse,analyst,,u_w3,10.0.4.3,,2024-01-01,\n"
    "w4,W4,Warehouse,analyst,,u_w4,10.0.4.4,,2024-01-01,\n"
    "w5,W5,Warehouse,analyst,,u_w5,10.0.4.5,,2024-01-01,\n"
    "w6,W6,Warehouse,analyst,,u_w6,10.0.4.6,,2024-01-01,\n"
    "w7,W7,Warehouse,analyst,,u_w7,10.0.4.7,,2024-01-01,\n"
    "w8,W8,Warehouse,analyst,,u_w8,10.0.4.8,,2024-01-01,\n"
    "w9,W9,Warehouse,analyst,,u_w9,10.0.4.9,,2024-01-01,\n"
    "nw,NW,Warehouse,analyst,,u_nw,10.0.4.10,,2026-01-19,\n";

/* The shipped rules, read from the source tree (LW_TOP, else "."). */
static char *
default_rules(void)
{
	const char *top = getenv("LW_TOP");
	char path[512], *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/rules/default.rules", top != NULL ?
	    top : ".");
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* Analyst k's day i: aggregates all day, their pull one day in four. */
static void
cold_day(struct pipe *p, int k, int i)
{
	char user[24], ip[24];
	int h;

	snprintf(user, sizeof(user), "u_w%d", k);
	snprintf(ip, sizeof(ip), "10.0.4.%d", k);
	for (h = 9; h < 17; h++)
		pipe_query(p, user, ip, workday(i), h, k, 500, "dwh.sales");
	if ((i + k) % 4 == 0)
		pipe_query(p, user, ip, workday(i), 18 + k % 5, 30, 6000,
		    "crm.customers");
}

static void
test_cold_start(void)
{
	struct pipe p;
	const char *out;
	char *rules = default_rules();
	int i, k, h;

	REQUIRE(rules != NULL);
	REQUIRE(pipe_open_with(&p, rules, NULL, cold_directory) == 0);
	free(rules);
	for (i = 0; i < 13; i++) {
		for (k = 0; k < 10; k++)
			cold_day(&p, k, i);
		if (i < 10)
			continue;
		/* the new analyst's first three days (from the 19th) */
		for (h = 9; h < 17; h++)
			pipe_query(&p, "u_nw", "10.0.4.10", workday(i), h, 50,
			    500, "dwh.sales");
		pipe_query(&p, "u_nw", "10.0.4.10", workday(i), 21, 10, 8000,
		    "crm.customers");
	}
	/* w9's pull ten times the routine, at 02:00 on the 14th day */
	pipe_query(&p, "u_w9", "10.0.4.9", workday(13), 2, 0, 60000,
	    "crm.customers");
	for (k = 0; k < 10; k++)
		cold_day(&p, k, 14);
	out = pipe_output(&p);
	CHECK_INT(count_lines(out, "\"employee\":\"nw\""), 0);
	CHECK(count_lines(out, "\"employee\":\"w9\"") >= 1);
	CHECK_INT(count_lines(out, "\"type\":\"alert\""),
	    count_lines(out, "\"employee\":\"w9\""));
	pipe_close(&p);
}

/*
 * The peers' routine at an hour, on a hand-built group: nothing without
 * a habit (fewer than 3 member-hours, or fewer than 1 member-day in
 * 100), else the log-normal 95th percentile of what was read.
 */
static void
test_hour_routine(void)
{
	struct peer *pg = calloc(1, sizeof(*pg));
	double want;
	int i;

	REQUIRE(pg != NULL);
	CHECK(standing_hour_routine(pg, 0, 20) == 0);
	CHECK(standing_hour_routine(NULL, 0, 20) == 0);
	CHECK(standing_hour_routine(pg, 2, 20) == 0);
	CHECK(standing_hour_routine(pg, 0, 24) == 0);
	/* three reads of 6,000: the spread is the floor, 0.5 */
	for (i = 0; i < 3; i++)
		slot_learn(&pg->hpull[0][20], 6000, 0.05, 0.5);
	pg->hpull_k[0][20] = 2.9;
	pg->hpull_n[0] = 100;
	CHECK(standing_hour_routine(pg, 0, 20) == 0);	/* not 3 yet */
	pg->hpull_k[0][20] = 3;
	want = expm1(log1p(6000) + 1.645 * 0.5);
	CHECK(fabs(standing_hour_routine(pg, 0, 20) - want) < 1e-6);
	CHECK(fabs(want - 13658.5) < 1);
	/* 3 member-hours in 400 member-days: under 1 in 100 */
	pg->hpull_n[0] = 400;
	CHECK(standing_hour_routine(pg, 0, 20) == 0);
	pg->hpull_n[0] = 300;
	CHECK(standing_hour_routine(pg, 0, 20) > 0);
	/* the weekend's hours are their own */
	CHECK(standing_hour_routine(pg, 1, 20) == 0);
	/* decay: 0.97 a day, so the habit fades below 3 */
	standing_hour_decay(pg);
	CHECK(fabs(pg->hpull_k[0][20] - 2.91) < 1e-9);
	CHECK(standing_hour_routine(pg, 0, 20) == 0);
	free(pg);
}

/* Lines of text holding both needles. */
static int
count_both(const char *text, const char *a, const char *b)
{
	const char *l = text, *nl;
	int n = 0;

	while (*l != '\0') {
		nl = strchr(l, '\n');
		if (nl == NULL)
			nl = l + strlen(l);
		if (memmem(l, (size_t)(nl - l), a, strlen(a)) != NULL &&
		    memmem(l, (size_t)(nl - l), b, strlen(b)) != NULL)
			n++;
		l = *nl ? nl + 1 : nl;
	}
	return n;
}

/* Analyst k's day i: aggregates all day, a pull at 20:00 one day in 25. */
static void
rare_pull_day(struct pipe *p, int k, int i)
{
	char user[24], ip[24];
	int h;

	snprintf(user, sizeof(user), "u_w%d", k);
	snprintf(ip, sizeof(ip), "10.0.4.%d", k);
	for (h = 9; h < 17; h++)
		pipe_query(p, user, ip, workday(i), h, k, 500, "dwh.sales");
	if ((i + 3 * k) % 25 == 0)
		pipe_query(p, user, ip, workday(i), 20, 30, 6000,
		    "crm.customers");
}

/*
 * Ten warehouse analysts each pull 6,000 customer rows at 20:00 on one
 * day in 25 - too rare for the role's off-hours days to have a 95th
 * percentile above 0, often enough to be the team's habit at that hour
 * (seven pulls in 18 days): once three pulls are in its memory, the
 * analysts' own pulls are no longer off hours. w9, known for 18 days,
 * has never pulled. On day 18 w9 pulls 8,000 at 20:00: not off hours -
 * their peers read that much then - so offhours_bulk does not fire. On
 * day 19 (30 January) they pull 8,000 at 03:00, when nobody reads:
 * offhours_bulk does. No alert text says "usual 0".
 */
static void
test_offhours_peer_hour(void)
{
	struct pipe p;
	const char *out;
	char *rules = default_rules();
	int i, k;

	REQUIRE(rules != NULL);
	REQUIRE(pipe_open_with(&p, rules, NULL, cold_directory) == 0);
	free(rules);
	for (i = 0; i < 20; i++) {
		if (i == 19)
			pipe_query(&p, "u_w9", "10.0.4.9", workday(i), 3, 0,
			    8000, "crm.customers");
		for (k = 0; k < 10; k++)
			rare_pull_day(&p, k, i);
		if (i == 18)
			pipe_query(&p, "u_w9", "10.0.4.9", workday(i), 20, 40,
			    8000, "crm.customers");
	}
	/* a Saturday event closes the Friday */
	pipe_query(&p, "u_w0", "10.0.4.0", 31, 10, 0, 10, "dwh.sales");
	out = pipe_output(&p);
	CHECK_INT(count_both(out, "\"rule\":\"offhours_bulk\"",
	    "\"employee\":\"w9\""), 1);
	CHECK_INT(count_both(out, "\"rule\":\"offhours_bulk\"",
	    "\"bucket\":\"2026-01-30"), 1);
	/* the pulls after the habit formed (days 10, 13, 16, 19) neither */
	CHECK_INT(count_both(out, "\"rule\":\"offhours_bulk\"",
	    "\"employee\":\"w5\""), 0);
	CHECK_INT(count_both(out, "\"rule\":\"offhours_bulk\"",
	    "\"employee\":\"w4\""), 0);
	CHECK_INT(count_both(out, "\"rule\":\"offhours_bulk\"",
	    "\"employee\":\"w3\""), 0);
	CHECK_INT(count_both(out, "\"rule\":\"offhours_bulk\"",
	    "\"employee\":\"w2\""), 0);
	CHECK(strstr(out, "usual 0") == NULL);
	CHECK(strstr(out, "usually 0") == NULL);
	pipe_close(&p);
}

/* A query of user's at month/day hour:min 2026 (pipe_query() is January's). */
static void
query_on(struct pipe *p, const char *user, const char *ip, int mon, int day,
    int hour, long rows, const char *table)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "{\"type\":\"db.query\",\"ts\":"
	    "\"2026-%02d-%02dT%02d:00:00.000000Z\",\"db_system\":"
	    "\"postgresql\",\"client\":\"%s:4000\",\"db_user\":\"%s\","
	    "\"command\":\"SELECT\",\"statement\":\"SELECT * FROM %s\","
	    "\"fingerprint\":\"00000000000000aa\",\"tables\":[\"%s\"],"
	    "\"rows_returned\":%ld,\"rows_affected\":0,\"status\":\"ok\"}",
	    mon, day, hour, ip, user, table, table, rows);
	pipe_event(p, buf);
}

/*
 * The weekend dump: analysts w0-w7 read no sensitive row on weekdays;
 * on every weekend day four of them, in turn, pull 5,000 customer rows
 * at 14:00 - each on too few weekend days for a weekend baseline of
 * their own, so each spikes against their weekday self. On Saturday 7
 * February w0-w3 pull as usual and w8 dumps 80,000. Four others
 * spiking of four is a team surge by share; but w8's day is 16 times
 * the surge's level (the median of the spiking days, 5,000), so the
 * team does not excuse it: bulk_read_spike fires on w8, and on none of
 * the four whose pulls are the routine.
 */
static void
test_weekend_standout(void)
{
	static const int wk[][2] = { { 1, 10 }, { 1, 11 }, { 1, 17 },
	    { 1, 18 }, { 1, 24 }, { 1, 25 }, { 1, 31 }, { 2, 1 } };
	struct pipe p;
	const char *out;
	char *rules = default_rules();
	char user[24], ip[24];
	int d, k, h, j, mon, day;

	REQUIRE(rules != NULL);
	REQUIRE(pipe_open_with(&p, rules, NULL, cold_directory) == 0);
	free(rules);
	/* 5 January to 7 February, day by day */
	for (d = 0; d < 34; d++) {
		mon = d < 27 ? 1 : 2;
		day = d < 27 ? 5 + d : d - 26;
		for (j = 0; j < 8; j++)
			if (wk[j][0] == mon && wk[j][1] == day)
				break;
		for (k = 0; k < 9; k++) {
			snprintf(user, sizeof(user), "u_w%d", k);
			snprintf(ip, sizeof(ip), "10.0.4.%d", k);
			if (d % 7 < 5) {
				for (h = 9; h < 17; h++)
					query_on(&p, user, ip, mon, day, h,
					    500, "dwh.sales");
			} else if (j < 8 && (k - 4 * (j % 2) + 8) % 8 < 4)
				query_on(&p, user, ip, mon, day, 14, 5000,
				    "crm.customers");
			else if (mon == 2 && day == 7 && k < 4)
				query_on(&p, user, ip, mon, day, 14, 5000,
				    "crm.customers");
			else if (mon == 2 && day == 7 && k == 8)
				query_on(&p, user, ip, mon, day, 15, 80000,
				    "crm.customers");
		}
	}
	query_on(&p, "u_w0", "10.0.4.0", 2, 8, 10, 10, "dwh.sales");
	out = pipe_output(&p);
	CHECK_INT(count_both(out, "\"rule\":\"bulk_read_spike\"",
	    "\"employee\":\"w8\""), 1);
	CHECK_INT(count_both(out, "\"rule\":\"bulk_read_spike\"",
	    "\"bucket\":\"2026-02-07"), 1);
	pipe_close(&p);
}

/* Loads a rule whose `when` is when; returns the error ("" if none). */
static const char *
parse_when(const char *when)
{
	static char err[512];
	char text[1024];
	struct sensitivity *sv = sensitivity_new();
	struct ruleset *rs = rules_new();

	err[0] = '\0';
	snprintf(text, sizeof(text), "rule x {\n  on day\n  when %s\n"
	    "  severity low\n  summary \"s\"\n}\n", when);
	rules_load_buf(rs, "t.rules", text, strlen(text), sv, err,
	    sizeof(err));
	rules_free(rs);
	sensitivity_free(sv);
	return err;
}

/*
 * The functions' arguments: windows of 1, 7 or 30 days, 1-32 days; the
 * mix functions' share or rpq and a window of 7 or 30 days.
 */
static void
test_parse(void)
{
	CHECK_STR(parse_when("peer_rank(rows.sensitive) <= 1 and "
	    "peer_rz(out.exfil, 7d) > 3 and peer_mratio(rows, 30d) > 4 and "
	    "peer_days(rows.sensitive, 32) > 1 and days_seen() > 3 and "
	    "peer_group(rows, 1d) == \"x\" and peer_routine(rows) > 0"), "");
	CHECK_STR(parse_when("peer_rank(rows.sensitive, 2d) < 3"),
	    "t.rules:3:34: the window must be 1d, 7d or 30d");
	CHECK_STR(parse_when("peer_pct(rows.sensitive, day) < 3"),
	    "t.rules:3:33: expected a window of 1d, 7d or 30d, found 'day'");
	CHECK_STR(parse_when("peer_days(rows.sensitive, 33) > 1"),
	    "t.rules:3:34: the number of days must be a whole number from 1 "
	    "to 32");
	CHECK_STR(parse_when("peer_days(rows.sensitive) > 1"),
	    "t.rules:3:32: expected ',', found ')'");
	CHECK_STR(parse_when("peer_routine(rows.sensitive, 7d) > 1"),
	    "t.rules:3:35: expected ')', found ','");
	CHECK_STR(parse_when("mix_rz(share, 30d) > 4 and mix(rpq, 7d) > 1 "
	    "and mix_group(share, 7d) == \"x\" and mix_rows(rpq, 30d) > 1 "
	    "and mix_n(share, 7d) > 1 and mix_rank(share, 7d) < 2 and "
	    "mix_median(rpq, 30d) > 0 and mix_rz(top, 7d) > 1"), "");
	CHECK_STR(parse_when("mix_rz(rows, 30d) > 4"),
	    "t.rules:3:15: expected share, rpq or top, found 'rows'");
	CHECK_STR(parse_when("mix_rz(share, 1d) > 4"),
	    "t.rules:3:22: the window must be 7d or 30d");
	CHECK_STR(parse_when("mix_rz(share, day) > 4"),
	    "t.rules:3:22: expected a window of 7d or 30d, found 'day'");
	CHECK_STR(parse_when("mix_rz(share) > 4"),
	    "t.rules:3:20: expected ',', found ')'");
}

/*
 * The mix of reads: ten agents of Help. h3-h9 each make 40 look-ups of
 * 10 customer rows and 40 of 10 ticket rows a day (80 queries, a share
 * of sensitive rows of 50%); h0, the thief, 40 more customer look-ups
 * from the first day (120 queries, 67%); h1, an honest heavy reader,
 * twice the ordinary day (160 queries, 50%); h2 reads little: 3
 * look-ups of 40 customer rows and one of 40 ticket rows (4 queries,
 * 75%).
 */
static const char mix_directory[] =
    "employee,name,department,role,manager,db_users,ips,hostnames,start,"
    "leave\n"
    "h0,H0,Help,agent,,u_h0,10.0.4.0,,2024-01-01,\n"
    "h1,H1,Help,agent,,u_h1,10.0.4.1,,2024-01-01,\n"
    "h2,H2,Help,agent,,u_h2,10.0.4.2,,2024-01-01,\n"
    "h3,H3,Help,agent,,u_h3,10.0.4.3,,2024-01-01,\n"
    "h4,H4,Help,agent,,u_h4,10.0.4.4,,2024-01-01,\n"
    "h5,H5,Help,agent,,u_h5,10.0.4.5,,2024-01-01,\n"
    "h6,H6,Help,agent,,u_h6,10.0.4.6,,2024-01-01,\n"
    "h7,H7,Help,agent,,u_h7,10.0.4.7,,2024-01-01,\n"
    "h8,H8,Help,agent,,u_h8,10.0.4.8,,2024-01-01,\n"
    "h9,H9,Help,agent,,u_h9,10.0.4.9,,2024-01-01,\n";

/* mix_outlier's conditions (rules/default.rules), and a probe. */
static const char mix_rules[] =
    "rule mix {\n"
    "  on day\n"
    "  when value(rows.sensitive, day) >= 300 and\n"
    "      mix_n(share, 30d) >= 8 and mix_rz(share, 30d) >= 4.5 and\n"
    "      mix_rz(share, 7d) >= 2.5 and days_seen() >= 5\n"
    "  severity high\n"
    "  summary \"share={mix(share, 30d)} median={mix_median(share, 30d)} "
    "rows={mix_rows(share, 30d)} rank={mix_rank(share, 30d)} "
    "n={mix_n(share, 30d)} group={mix_group(share, 30d)} "
    "rz={mix_rz(share, 30d)} rz7={mix_rz(share, 7d)}\"\n"
    "  suppress 30d\n"
    "}\n"
    "rule probe {\n"
    "  on day\n"
    "  when employee == \"h1\" or employee == \"h2\"\n"
    "  severity low\n"
    "  summary \"n={mix_n(share, 30d)} share={mix(share, 30d)} "
    "rz={mix_rz(share, 30d)} rank={mix_rank(share, 30d)}\"\n"
    "}\n";

/* n look-ups of rows rows of table by agent k on day i. */
static void
mix_reads(struct pipe *p, int k, int i, int n, long rows,
    const char *table)
{
	char user[24], ip[24];
	int j;

	snprintf(user, sizeof(user), "u_h%d", k);
	snprintf(ip, sizeof(ip), "10.0.4.%d", k);
	for (j = 0; j < n; j++)
		pipe_query(p, user, ip, workday(i), 10, j % 60, rows, table);
}

static void
mix_day(struct pipe *p, int i)
{
	int k;

	for (k = 0; k < 10; k++) {
		if (k == 2) {
			mix_reads(p, k, i, 3, 40, "crm.customers");
			mix_reads(p, k, i, 1, 40, "crm.tickets");
			continue;
		}
		mix_reads(p, k, i, k == 1 ? 80 : k == 0 ? 80 : 40, 10,
		    "crm.customers");
		mix_reads(p, k, i, k == 1 ? 80 : 40, 10, "crm.tickets");
	}
}

/*
 * Days 0 .. quiet - 1 of `day` raise no `rule`; day `quiet` raises one:
 * h0's line, NULL if it is someone else's (owned by p).
 */
static const char *
first_alert_on(struct pipe *p, void (*day)(struct pipe *, int),
    const char *rule, int quiet)
{
	const char *out;
	char want[64];
	int i;

	snprintf(want, sizeof(want), "\"rule\":\"%s\"", rule);
	for (i = 0; i < quiet; i++)
		day(p, i);
	out = pipe_output(p);
	CHECK_INT(count_lines(out, want), 0);
	day(p, quiet);
	out = pipe_output(p);
	CHECK_INT(count_lines(out, want), 1);
	return alert_of(out, rule, "h0");
}

/*
 * A thief at a high share from the first day is flagged on the fifth,
 * the first the rule allows (five active days: a share of a few days
 * is no habit). Ten agents have a mix (h2's has 480 customer rows in
 * the four days left when the heaviest of five is left out); the
 * median of their queries is 80, so the centre and spread come from
 * all but h2: their logit shares are 0 but h0's log 2 = 0.693, the
 * centre 0, the MAD 0 and the spread the floor 0.1. h0's sampling
 * variance over 4 days of 120 queries is 1 / (480 x 2/9) = 0.0094: z =
 * 0.693 / sqrt(0.01 + 0.0094) = 4.98. h2 has the highest share, 75%
 * (rank 1 of 10, h0 rank 2), but its 16 queries make a variance of
 * 1 / (16 x 0.1875) = 0.333 and z = 1.099 / 0.586 = 1.87; the heavy
 * reader h1, at the median share with twice the volume, is z 0.
 */
static void
test_mix_theft(void)
{
	struct pipe p;
	const char *out, *l;

	REQUIRE(pipe_open_with(&p, mix_rules, NULL, mix_directory) == 0);
	l = first_alert_on(&p, mix_day, "mix", 4);
	out = pipe_output(&p);
	CHECK(l != NULL);
	if (l != NULL)
		CHECK_CONTAINS(l, "\"summary\":\"share=67 median=50 rows=800 "
		    "rank=2 n=10 group=Help (agent) rz=5 rz7=5\"");
	CHECK_CONTAINS(out, "\"employee\":\"h1\",\"rule\":\"probe\","
	    "\"severity\":\"low\",\"score\":25,\"summary\":\"n=10 share=50 "
	    "rz=0 rank=3\"");
	CHECK_CONTAINS(out, "\"employee\":\"h2\",\"rule\":\"probe\","
	    "\"severity\":\"low\",\"score\":25,\"summary\":\"n=10 share=75 "
	    "rz=1.9 rank=1\"");
	pipe_close(&p);
}

/*
 * The mix by table, where every table the role reads is sensitive (the
 * share of sensitive rows is 100% for everyone and says nothing): ten
 * agents of Help. h3-h9 each make 40 look-ups of 10 customer rows and
 * 40 of 10 customer-address rows a day (80 queries, crm.customers 50%
 * of their rows); h0, the thief, 60 more customer look-ups from the
 * first day (140 queries, 71%, 1.75x the peers' median volume); h1, an
 * honest heavy reader, twice the ordinary day in the usual proportions
 * (160 queries, 50%); h2 reads little: 3 look-ups of 40 customer rows
 * and one of 40 address rows (4 queries, 75%).
 */
static const char table_rules[] =
    "rule tmix {\n"
    "  on day\n"
    "  when value(rows.sensitive, day) >= 300 and mix_n(top, 30d) >= 8 and\n"
    "      ((mix_rz(top, 30d) >= 4.5 and mix_rz(top, 7d) >= 2.5) or\n"
    "      (mix_rz(top, 7d) >= 5 and mix_rz(top, 30d) >= 2.5)) and\n"
    "      peer_mratio(rows.sensitive, 7d) >= 1.5 and days_seen() >= 5\n"
    "  severity high\n"
    "  summary \"top={mix(top, 30d)} median={mix_median(top, 30d)} "
    "rank={mix_rank(top, 30d)} n={mix_n(top, 30d)} "
    "group={mix_group(top, 30d)} rz={mix_rz(top, 30d)} "
    "rz7={mix_rz(top, 7d)} share_rz={mix_rz(share, 30d)} "
    "mratio={peer_mratio(rows.sensitive, 7d)}\"\n"
    "  suppress 30d\n"
    "}\n"
    "rule probe {\n"
    "  on day\n"
    "  when employee == \"h1\" or employee == \"h2\"\n"
    "  severity low\n"
    "  summary \"top={mix(top, 30d)} rz={mix_rz(top, 30d)} "
    "rank={mix_rank(top, 30d)}\"\n"
    "}\n";

static void
table_day(struct pipe *p, int i)
{
	int k;

	for (k = 0; k < 10; k++) {
		if (k == 2) {
			mix_reads(p, k, i, 3, 40, "crm.customers");
			mix_reads(p, k, i, 1, 40, "crm.customer_addresses");
			continue;
		}
		mix_reads(p, k, i, k == 1 ? 80 : k == 0 ? 100 : 40, 10,
		    "crm.customers");
		mix_reads(p, k, i, k == 1 ? 80 : 40, 10,
		    "crm.customer_addresses");
	}
}

/*
 * A thief from the first day is flagged on the fifth, the first the
 * rule allows. Every share of sensitive rows is 100% (taken as 98%):
 * mix_rz(share) is 0 for all. Per table, the centre and spread come
 * from the agents with at least the median 80 queries (all but h2):
 * their logit share of crm.customers is 0 but h0's log(1000 / 400) =
 * 0.916, the MAD 0 and the spread the floor 0.1; h0's sampling
 * variance over the 4 days left (the heaviest of five left out) of 140
 * queries is 1 / (560 x 0.714 x 0.286) = 0.00875: z = 0.916 /
 * sqrt(0.01 + 0.00875) = 6.7 (crm.customer_addresses, below the
 * centre, is not their figure). h2 has the highest share of customers,
 * 75%, but over 16 queries (variance 0.333): z 1.9 - and too little
 * volume for the rule; the heavy reader h1 is at the centre, z 0.
 */
static void
test_table_mix_theft(void)
{
	struct pipe p;
	const char *out, *l;

	REQUIRE(pipe_open_with(&p, table_rules, NULL, mix_directory) == 0);
	l = first_alert_on(&p, table_day, "tmix", 4);
	out = pipe_output(&p);
	CHECK(l != NULL);
	if (l != NULL)
		CHECK_CONTAINS(l, "\"summary\":\"top=71 median=50 rank=2 "
		    "n=10 group=Help (agent) rz=6.7 rz7=6.7 share_rz=0 "
		    "mratio=1.8\"");
	CHECK_CONTAINS(out, "\"employee\":\"h1\",\"rule\":\"probe\","
	    "\"severity\":\"low\",\"score\":25,\"summary\":\"top=50 "
	    "rz=0 rank=3\"");
	CHECK_CONTAINS(out, "\"employee\":\"h2\",\"rule\":\"probe\","
	    "\"severity\":\"low\",\"score\":25,\"summary\":\"top=75 "
	    "rz=1.9 rank=1\"");
	pipe_close(&p);
}

/*
 * Under the shipped rules, a theft present from the first day is
 * alerted on the third active day - not the fifth: a deployment begins
 * in the middle of someone's theft, and "within five days" is a week of
 * workdays only if the first two days count. table_mix_outlier: h0 (the
 * mix by table's thief above, 71% of their rows of crm.customers
 * against the role's 50%, 1.75x the peers' volume) on day 2; nobody
 * before; not h1, the honest heavy reader (the usual proportions at
 * twice the volume), nor h2. Over three days nothing is left out: h0's
 * sampling variance of 420 queries is 1 / (420 x 0.714 x 0.286) =
 * 0.0117, z = 0.916 / sqrt(0.01 + 0.0117) = 6.2.
 */
static void
test_table_mix_third_day(void)
{
	struct pipe p;
	const char *out, *l;
	char *rules = default_rules();

	REQUIRE(rules != NULL);
	REQUIRE(pipe_open_with(&p, rules, NULL, mix_directory) == 0);
	l = first_alert_on(&p, table_day, "table_mix_outlier", 2);
	out = pipe_output(&p);
	CHECK(l != NULL);
	if (l != NULL) {
		CHECK_CONTAINS(l, "\"ts\":\"2026-01-07T23:59:59.999999Z\"");
		CHECK_CONTAINS(l, "\"summary\":\"71% of the rows you read in 30 "
		    "days were of one sensitive table, against 50% of it for "
		    "peers in Help (agent): rank 2 of 10, robust z 6.2 over 30 "
		    "days and 6.2 over 7; 1.8x the peers' median of sensitive "
		    "rows over 7 days\"");
	}
	CHECK(alert_of(out, "table_mix_outlier", "h1") == NULL);
	CHECK(alert_of(out, "table_mix_outlier", "h2") == NULL);
	pipe_close(&p);
	free(rules);
}

/*
 * A contact centre of 200 agents who read only sensitive tables (the
 * share of sensitive rows says nothing), at paces spread log-normally
 * (sigma 0.6): agent k reads 100 x exp(0.6 z) customer rows a day, z
 * the normal quantile of (k + 0.5) / 200, every day the same. The
 * fastest, at z 2.81, reads 539: 5.4x the median 100, robust z (log 540
 * - log 101) / (1.4826 x MAD 0.409 = 0.606) = 2.77, above the 95th
 * percentile every day - a peer outlier by a fixed bar of 2.5, and what
 * the highest of 200 honest agents is by chance: 201 x P(Z >= 2.77) =
 * 0.57 of them would stand as far out. A thief reading 1,500 a day from
 * the first day (15x, robust z 4.45: 0.0009 of 201, "0.1%") is alerted
 * on the fourth day under the shipped rules; the fastest agent is not,
 * on any of six days.
 */
#define DESK_N	200

/* The normal quantile of p, by bisection on erfc. */
static double
norm_quantile(double p)
{
	double lo = -10, hi = 10, mid;
	int i;

	for (i = 0; i < 100; i++) {
		mid = (lo + hi) / 2;
		if (0.5 * erfc(-mid / M_SQRT2) < p)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

/* The directory: agents g0-g199 and the thief t0, all of Desk. */
static char *
desk_directory(void)
{
	size_t cap = 80 * (DESK_N + 2), len;
	char *d = malloc(cap);
	int k;

	if (d == NULL)
		return NULL;
	len = (size_t)snprintf(d, cap, "employee,name,department,role,"
	    "manager,db_users,ips,hostnames,start,leave\n"
	    "t0,T0,Desk,agent,,u_t0,10.0.9.250,,2024-01-01,\n");
	for (k = 0; k < DESK_N; k++)
		len += (size_t)snprintf(d + len, cap - len, "g%d,G%d,Desk,"
		    "agent,,u_g%d,10.0.%d.%d,,2024-01-01,\n", k, k, k,
		    10 + k / 200, k % 200);
	return d;
}

static void
desk_day(struct pipe *p, int i)
{
	char user[24], ip[24];
	int k;

	for (k = 0; k < DESK_N; k++) {
		snprintf(user, sizeof(user), "u_g%d", k);
		snprintf(ip, sizeof(ip), "10.0.%d.%d", 10 + k / 200, k % 200);
		pipe_query(p, user, ip, workday(i), 10, k % 60, lround(100 *
		    exp(0.6 * norm_quantile((k + 0.5) / DESK_N))),
		    "crm.customers");
	}
	pipe_query(p, "u_t0", "10.0.9.250", workday(i), 11, 0, 1500,
	    "crm.customers");
}

static void
test_big_group_chance(void)
{
	struct pipe p;
	const char *out, *l;
	char *rules = default_rules(), *dir = desk_directory();
	int i;

	REQUIRE(rules != NULL && dir != NULL);
	REQUIRE(pipe_open_with(&p, rules, NULL, dir) == 0);
	for (i = 0; i < 3; i++)
		desk_day(&p, i);
	out = pipe_output(&p);
	CHECK_INT(count_lines(out, "\"rule\":\"peer_outlier\""), 0);
	desk_day(&p, 3);
	out = pipe_output(&p);
	l = alert_of(out, "peer_outlier", "t0");
	CHECK(l != NULL);
	if (l != NULL)
		CHECK_CONTAINS(l, "\"summary\":\"rank 1 of 201 in Desk "
		    "(agent) for sensitive rows read; 15x the peer median over "
		    "30 days, 15x over 7, robust z 4.5 (one so far out by chance in "
		    "0.1% of honest groups of 201); 4 of the last 4 days seen "
		    "above the 95th percentile\"");
	for (i = 4; i < 6; i++)
		desk_day(&p, i);
	out = pipe_output(&p);
	/* (without a store every day's firing is printed: all t0's) */
	CHECK_INT(count_lines(out, "\"rule\":\"peer_outlier\""),
	    count_both(out, "\"rule\":\"peer_outlier\"",
	    "\"employee\":\"t0\""));
	CHECK(alert_of(out, "peer_outlier", "g199") == NULL);
	pipe_close(&p);
	free(rules);
	free(dir);
}

/*
 * The trend (standing.c, trend_window()): Desk's twelve agents (t0-t11)
 * read about 400 customer rows a day, every day of January, each with a
 * wobble of their own; j0 joined on the 1st and grows into the job.
 */
static char *
trend_directory(void)
{
	char *d = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&d, &len);
	int k;

	if (f == NULL)
		return NULL;
	fputs("employee,name,department,role,manager,db_users,ips,"
	    "hostnames,start,leave\n", f);
	for (k = 0; k < 12; k++)
		fprintf(f, "t%d,T%d,Desk,agent,,u_t%d,10.0.5.%d,,2024-01-01,\n",
		    k, k, k, k);
	fputs("j0,J0,Desk,agent,,u_j0,10.0.5.99,,2026-01-01,\n", f);
	fclose(f);
	return d;
}

/* The bars of read_trend (docs/analytics.md, "Trend"), and a probe. */
static const char trend_rules[] =
    "rule trend {\n"
    "  on day\n"
    "  when value(rows.sensitive, day) >= 300 and\n"
    "      trend(rows.sensitive) >= 15 and\n"
    "      trend_rz(rows.sensitive) >= 2.5 and\n"
    "      trend_days(rows.sensitive, 2) >= 2\n"
    "  severity high\n"
    "  summary \"trend={trend(rows.sensitive)} "
    "median={trend_median(rows.sensitive)} "
    "rz={trend_rz(rows.sensitive)} n={trend_n(rows.sensitive)} "
    "group={trend_group(rows.sensitive)} "
    "days={trend_days(rows.sensitive, 5)}\"\n"
    "  suppress 30d\n"
    "}\n";

/*
 * Day i (January i + 1) of the series: agent k's rows. A wobble of
 * +-15% of their own; with team_ramp, everyone from the 11th grows 10%
 * a day; t0 (thief) grows so from the 11th whatever the team does; t1
 * (irregular) reads 150 with a pull of 3,000 every fifth day, every
 * third from the 16th - more pulls later, a rising line through days
 * far from it; j0, a joiner, from 100 on their first day to 400 on the
 * 31st, 4.7% a day.
 */
static void
trend_day(struct pipe *p, int i, int team_ramp, int thief)
{
	char user[24], ip[24];
	double v;
	int k;

	for (k = 0; k < 12; k++) {
		v = 400 * (1 + 0.15 * sin(k * 1.3 + i * 2.1));
		if ((team_ramp || (thief && k == 0)) && i >= 10)
			v *= pow(1.1, i - 9);
		if (k == 1)
			v = (i < 15 ? i % 5 == 0 : i % 3 == 0) ? 3000 : 150;
		snprintf(user, sizeof(user), "u_t%d", k);
		snprintf(ip, sizeof(ip), "10.0.5.%d", k);
		pipe_query(p, user, ip, i + 1, 10, k, lround(v),
		    "crm.customers");
	}
	pipe_query(p, "u_j0", "10.0.5.99", i + 1, 10, 30,
	    lround(100 * pow(1.047, i)), "crm.customers");
}

/* The first line of out with rule on emp, or NULL. */
static const char *
first_of(const char *out, const char *rule, const char *emp)
{
	return alert_of(out, rule, emp);
}

/*
 * A ramp only the person's own change reveals: t0 reads what the team
 * reads until the 10th, then 10% more each day. Alerted on the 17th -
 * the 16th is the first day whose trend is far out (2.5 robust z, with
 * t0's own scatter about their line in it), the 17th the second in a
 * row - and on each day after (no store here to merge them); nobody
 * else: not the irregular reader whose pulls come more often, whose
 * rising line is through days far from it, nor the joiner, whose first
 * 49 days have no trend.
 */
static void
test_trend_ramp(void)
{
	struct pipe p;
	const char *out, *l;
	char *dir = trend_directory();
	int i;

	REQUIRE(dir != NULL);
	REQUIRE(pipe_open_with(&p, trend_rules, NULL, dir) == 0);
	for (i = 0; i < 16; i++)
		trend_day(&p, i, 0, 1);
	out = pipe_output(&p);		/* closes the 16th */
	CHECK_INT(count_lines(out, "\"rule\":\"trend\""), 0);
	trend_day(&p, 16, 0, 1);
	out = pipe_output(&p);		/* closes the 17th */
	CHECK_INT(count_lines(out, "\"rule\":\"trend\""), 1);
	l = first_of(out, "trend", "t0");
	CHECK(l != NULL);
	if (l != NULL) {
		CHECK_CONTAINS(l, "\"ts\":\"2026-01-17T23:59:59.999999Z\"");
		CHECK_CONTAINS(l, "\"summary\":\"trend=32 median=0.2 rz=4 "
		    "n=12 group=Desk (agent) days=2\"");
	}
	for (i = 17; i < 31; i++)
		trend_day(&p, i, 0, 1);
	out = pipe_output(&p);
	CHECK_INT(count_lines(out, "\"rule\":\"trend\""),
	    count_both(out, "\"rule\":\"trend\"", "\"employee\":\"t0\""));
	CHECK(first_of(out, "trend", "t1") == NULL);
	CHECK(first_of(out, "trend", "j0") == NULL);
	pipe_close(&p);
	free(dir);
}

/*
 * The whole team grows together, 10% a day from the 11th, t0 with it:
 * every slope is the group's median, and nobody is alerted.
 */
static void
test_trend_team(void)
{
	struct pipe p;
	const char *out;
	char *dir = trend_directory();
	int i;

	REQUIRE(dir != NULL);
	REQUIRE(pipe_open_with(&p, trend_rules, NULL, dir) == 0);
	for (i = 0; i < 31; i++)
		trend_day(&p, i, 1, 1);
	out = pipe_output(&p);
	CHECK_INT(count_lines(out, "\"rule\":\"trend\""), 0);
	pipe_close(&p);
	free(dir);
}

static const struct test tests[] = {
	{ "quantile", test_quantile },
	{ "parse", test_parse },
	{ "theft_from_day_zero", test_theft_from_day_zero },
	{ "mixed_group", test_mixed_group },
	{ "cold_start", test_cold_start },
	{ "hour_routine", test_hour_routine },
	{ "offhours_peer_hour", test_offhours_peer_hour },
	{ "weekend_standout", test_weekend_standout },
	{ "mix_theft", test_mix_theft },
	{ "table_mix_theft", test_table_mix_theft },
	{ "table_mix_third_day", test_table_mix_third_day },
	{ "big_group_chance", test_big_group_chance },
	{ "trend_ramp", test_trend_ramp },
	{ "trend_team", test_trend_team },
};

HARNESS_MAIN(tests)
