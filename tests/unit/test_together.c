/*
 * Tests of what several people do together, and of a state that lasts,
 * on hand-built series through the whole pipeline: an audit campaign
 * (three auditors of a department sampling a table new to them, for
 * days) raises no per-person volume alert - its first day is a cohort
 * (detect.c, day_cohorts()), its later days a surge of their role - and
 * its first-seen alerts make one low group case (cases.c); an auditor
 * who reads many times what the campaign does still alerts; one auditor
 * alone, or three agents among forty spiking on their usual table, are
 * no campaign. In a deployment's first week, three agents of forty
 * reading a table new to the whole department are a cohort too; three
 * reading the table it reads every day are not. A rule's suppression window runs from its latest firing
 * (alert.c), so a state that keeps firing stays one alert.
 */
#include <sys/stat.h>

#include "harness.h"
#include "ana_helper.h"

#define T0	1767571200000000LL	/* 2026-01-05T00:00:00Z, Monday */
#define DAY	86400000000LL

/* A day's volume, unless the team (or cohort, or role) is up. */
static const char campaign_rules[] =
    "rule bulk {\n"
    "  on day\n"
    "  when value(rows.customer_pii, day) >= 2000 and\n"
    "      baseline(rows.customer_pii, day) > 4 and\n"
    "      team(rows.customer_pii, day) < 0.25\n"
    "  severity high\n"
    "  summary \"rows={value(rows.customer_pii, day)} "
    "team={team(rows.customer_pii, day)}\"\n"
    "}\n"
    "rule streak {\n"
    "  on day\n"
    "  when streak(rows.customer_pii) >= 6\n"
    "  severity high\n"
    "  summary \"streak\"\n"
    "  suppress 7d\n"
    "}\n"
    "rule first {\n"
    "  on day\n"
    "  when first_seen(table) > 0 and value(rows.customer_pii, day) >= "
    "1000\n"
    "  severity medium\n"
    "  summary \"first\"\n"
    "}\n";

/*
 * A department of n_aud auditors (a0...) and n_ana risk analysts (r0...),
 * or with agents, a department of n_aud agents (g0...) and nothing else.
 */
static int
pipe_open_rules(struct pipe *p, const char *rules, const char *dbpath,
    int n_aud, int n_ana, int agents)
{
	char csv[8192];
	size_t off;
	int k;

	off = (size_t)snprintf(csv, sizeof(csv), "employee,name,department,"
	    "role,manager,db_users,ips,hostnames,start,leave\n");
	for (k = 0; k < n_aud; k++)
		off += (size_t)snprintf(csv + off, sizeof(csv) - off,
		    "%c%d,X%d,%s,%s,,u_%c%d,10.0.2.%d,,2024-01-01,\n",
		    agents ? 'g' : 'a', k, k, agents ? "Contact" : "Risk",
		    agents ? "agent" : "auditor", agents ? 'g' : 'a', k,
		    k + 1);
	for (k = 0; k < n_ana; k++)
		off += (size_t)snprintf(csv + off, sizeof(csv) - off,
		    "r%d,R%d,Risk,risk_analyst,,u_r%d,10.0.3.%d,,2024-01-01,\n",
		    k, k, k, k + 1);
	return pipe_open_with(p, rules, dbpath, csv);
}

static int
pipe_open_dept(struct pipe *p, const char *dbpath, int n_aud, int n_ana,
    int agents)
{
	return pipe_open_rules(p, campaign_rules, dbpath, n_aud, n_ana,
	    agents);
}

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

/*
 * Ten ordinary workdays (everyone reads 40-58 rows of crm.customers a
 * day, in the morning), then six of the campaign: the first n_camp of
 * the n_aud read 3,000-3,600 rows a day of crm.customer_kyc, a table
 * none of them read before, each the most of them on one day in three
 * (the next auditor reads standout rows a day instead, if not 0).
 * With agents, the table is their usual one: a surge, not a new thing.
 */
static void
campaign_series(struct pipe *p, int n_aud, int n_ana, int n_camp,
    long standout, int agents)
{
	char u[16], ip[16];
	const char *table;
	long rows;
	int i, k;

	for (i = 0; i < 16; i++) {
		for (k = 0; k < n_aud; k++) {
			snprintf(u, sizeof(u), "u_%c%d", agents ? 'g' : 'a',
			    k);
			snprintf(ip, sizeof(ip), "10.0.2.%d", k + 1);
			pipe_query(p, u, ip, workday(i), 10, k % 60,
			    40 + (i * 7 + k * 3) % 19, "crm.customers");
			rows = i < 10 ? 0 : k < n_camp ? 3000 + 300 *
			    ((i + k) % 3) : k == n_camp && standout > 0 ?
			    standout : 0;
			table = agents ? "crm.customers" : "crm.customer_kyc";
			if (rows > 0)
				pipe_query(p, u, ip, workday(i), 10,
				    30 + k % 30, rows, table);
		}
		for (k = 0; k < n_ana; k++) {
			snprintf(u, sizeof(u), "u_r%d", k);
			snprintf(ip, sizeof(ip), "10.0.3.%d", k + 1);
			pipe_query(p, u, ip, workday(i), 11, k % 60,
			    40 + (i * 5 + k * 7) % 19, "crm.customers");
		}
	}
}

/* Lines of out on employee emp raised by rule. */
static int
alerts_of(const char *out, const char *emp, const char *rule)
{
	char needle[128];

	snprintf(needle, sizeof(needle), "\"employee\":\"%s\",\"rule\":"
	    "\"%s\"", emp, rule);
	return count_lines(out, needle);
}

static const char *
db_path(const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", harness_tmpdir(), name);
	return path;
}

/*
 * Three auditors of thirteen (and ten analysts) on a six-day campaign:
 * no volume alert and no streak for any of them - the first day they
 * are three new to one table (a cohort), later days two others of their
 * role of twelve spike with each (2/12, a tenth or more: their role's
 * surge) - and their first-seen alerts of the first day are one low
 * group case, no case of their own.
 */
static void
test_campaign_is_one_group_case(void)
{
	struct pipe p;
	const char *out;
	int k;
	char emp[16];

	REQUIRE(pipe_open_dept(&p, db_path("camp.db"), 13, 10, 0) == 0);
	campaign_series(&p, 13, 10, 3, 0, 0);
	out = pipe_output(&p);
	CHECK_INT(count_lines(out, "\"rule\":\"bulk\""), 0);
	CHECK_INT(count_lines(out, "\"rule\":\"streak\""), 0);
	for (k = 0; k < 3; k++) {
		snprintf(emp, sizeof(emp), "a%d", k);
		CHECK_INT(alerts_of(out, emp, "first"), 1);
	}
	CHECK_INT(count_lines(out, "\"type\":\"alert\""), 3);
	CHECK_INT(q_ll(p.db, "SELECT count(*) FROM cases"), 1);
	CHECK_STR(q_str(p.db, "SELECT kind || ' ' || severity || ' ' || "
	    "members FROM cases"), "group low a0,a1,a2");
	pipe_close(&p);
}

/*
 * The same campaign with a fourth auditor reading 40,000 rows a day of
 * the table (over 5 times the campaign's median of about 3,100): not
 * part of it - their volume alerts, in a case of their own - while the
 * three stay quiet but for their first-seen alerts.
 */
static void
test_campaign_standout(void)
{
	struct pipe p;
	const char *out;

	REQUIRE(pipe_open_dept(&p, db_path("stand.db"), 13, 10, 0) == 0);
	campaign_series(&p, 13, 10, 3, 40000, 0);
	out = pipe_output(&p);
	CHECK(alerts_of(out, "a3", "bulk") >= 1);
	CHECK_CONTAINS(out, "\"employee\":\"a3\",\"rule\":\"bulk\","
	    "\"severity\":\"high\",\"score\":75,\"summary\":\"rows=40,0");
	CHECK_INT(alerts_of(out, "a0", "bulk") + alerts_of(out, "a1", "bulk") +
	    alerts_of(out, "a2", "bulk"), 0);
	CHECK_INT(q_ll(p.db, "SELECT count(*) FROM cases WHERE subject = "
	    "'a3'"), 1);
	pipe_close(&p);
}

/*
 * The output of a campaign of the first n of thirteen auditors, beside
 * ten analysts; NULL when the pipeline does not open.
 */
static const char *
auditors_output(struct pipe *p, int n)
{
	if (pipe_open_dept(p, NULL, 13, 10, 0) != 0)
		return NULL;
	campaign_series(p, 13, 10, n, 0, 0);
	return pipe_output(p);
}

/*
 * A campaign of two: two auditors of thirteen sampling the new table
 * together - not a cohort (three are), but two of the role's thirteen
 * spiking, a tenth or more of it: their role's surge from the first
 * day. No volume alert and no streak; their first-seen alerts only.
 */
static void
test_campaign_of_two(void)
{
	struct pipe p;
	const char *out = auditors_output(&p, 2);

	REQUIRE(out != NULL);
	CHECK_INT(count_lines(out, "\"rule\":\"bulk\""), 0);
	CHECK_INT(count_lines(out, "\"rule\":\"streak\""), 0);
	CHECK_INT(alerts_of(out, "a0", "first") + alerts_of(out, "a1",
	    "first"), 2);
	pipe_close(&p);
}

/* One auditor alone: no campaign, their volume alerts. */
static void
test_one_auditor_alerts(void)
{
	struct pipe p;
	const char *out = auditors_output(&p, 1);

	REQUIRE(out != NULL);
	CHECK(alerts_of(out, "a0", "bulk") >= 1);
	CHECK_CONTAINS(out, "team=0\"");
	pipe_close(&p);
}

/*
 * Three agents of forty spiking on their usual table: two others of 39
 * is chance in a role that large, not a surge (under a tenth), and no
 * new table makes them a cohort: each alerts.
 */
static void
test_three_of_forty_alert(void)
{
	struct pipe p;
	const char *out;

	REQUIRE(pipe_open_dept(&p, NULL, 40, 0, 1) == 0);
	campaign_series(&p, 40, 0, 3, 0, 1);
	out = pipe_output(&p);
	CHECK(alerts_of(out, "g0", "bulk") >= 1);
	CHECK(alerts_of(out, "g1", "bulk") >= 1);
	CHECK(alerts_of(out, "g2", "bulk") >= 1);
	pipe_close(&p);
}

/*
 * Under the shipped rules: the campaign of three raises their
 * first_seen_table alerts (medium) in one group case and nothing high;
 * one auditor doing the same alone raises high alerts of their own.
 */
static void
test_campaign_default_rules(void)
{
	struct pipe p;
	const char *out;
	char *rules = default_rules();

	REQUIRE(rules != NULL);
	REQUIRE(pipe_open_rules(&p, rules, db_path("dflt.db"), 13, 10,
	    0) == 0);
	campaign_series(&p, 13, 10, 3, 0, 0);
	out = pipe_output(&p);
	CHECK_INT(count_lines(out, "\"severity\":\"high\""), 0);
	CHECK_INT(count_lines(out, "\"type\":\"alert\""),
	    count_lines(out, "\"rule\":\"first_seen_table\""));
	CHECK_INT(q_ll(p.db, "SELECT count(*) FROM cases"), 1);
	CHECK_STR(q_str(p.db, "SELECT kind || ' ' || members FROM cases"),
	    "group a0,a1,a2");
	pipe_close(&p);
	REQUIRE(pipe_open_rules(&p, rules, NULL, 13, 10, 0) == 0);
	campaign_series(&p, 13, 10, 1, 0, 0);
	out = pipe_output(&p);
	CHECK(count_lines(out, "\"severity\":\"high\"") >= 1);
	pipe_close(&p);
	free(rules);
}

/*
 * A deployment's first week in a department of forty agents: five
 * ordinary workdays, then on the sixth - everyone still before
 * baseline-min-days (7), when every table is new to each of them - the
 * first n_new agents read rows of table. Twelve others read a few
 * customer notes every day. On the seventh, everyone's ordinary day
 * again. Three of forty is no surge of their role (two
 * others of 39, under a tenth).
 */
static void
first_week_series(struct pipe *p, int n_new, long rows, const char *table)
{
	char u[16], ip[16];
	int i, k;

	for (i = 0; i < 7; i++)
		for (k = 0; k < 40; k++) {
			snprintf(u, sizeof(u), "u_g%d", k);
			snprintf(ip, sizeof(ip), "10.0.2.%d", k + 1);
			pipe_query(p, u, ip, workday(i), 10, k % 60,
			    40 + (i * 7 + k * 3) % 19, "crm.customers");
			if (k >= 10 && k < 22)
				pipe_query(p, u, ip, workday(i), 11, k % 60,
				    20 + k, "crm.customer_notes");
			if (i == 5 && k < n_new)
				pipe_query(p, u, ip, workday(i), 10,
				    30 + k % 30, rows, table);
		}
}

/*
 * An incident in the first week: three agents, six days in, read a
 * table none of the department had read. They are too new for a
 * first-seen name (everything is new to them), but the table is new to
 * the whole group: a cohort all the same, no volume alert for any of
 * them, while a fourth at 40,000 rows (over 5 times their median)
 * stands out and alerts.
 */
static void
test_first_week_cohort(void)
{
	struct pipe p;
	const char *out;

	REQUIRE(pipe_open_dept(&p, NULL, 40, 0, 1) == 0);
	first_week_series(&p, 3, 3000, "crm.customer_kyc");
	pipe_query(&p, "u_g3", "10.0.2.4", workday(5), 10, 33, 40000,
	    "crm.customer_kyc");
	out = pipe_output(&p);
	CHECK_INT(alerts_of(out, "g0", "bulk") + alerts_of(out, "g1", "bulk") +
	    alerts_of(out, "g2", "bulk"), 0);
	CHECK_INT(alerts_of(out, "g3", "bulk"), 1);
	CHECK_INT(count_lines(out, "\"rule\":\"first\""), 0);
	pipe_close(&p);
}

/*
 * The same three six days in, reading for the first time the notes
 * twelve of their forty colleagues read every day (over a quarter):
 * new to each of them, not to the group, so no cohort - in the first days a table new to each reader
 * is not enough - and each alerts.
 */
static void
test_first_week_known_table(void)
{
	struct pipe p;
	const char *out;

	REQUIRE(pipe_open_dept(&p, NULL, 40, 0, 1) == 0);
	first_week_series(&p, 3, 3000, "crm.customer_notes");
	out = pipe_output(&p);
	CHECK_INT(alerts_of(out, "g0", "bulk"), 1);
	CHECK_INT(alerts_of(out, "g1", "bulk"), 1);
	CHECK_INT(alerts_of(out, "g2", "bulk"), 1);
	pipe_close(&p);
}

/*
 * Ten ordinary workdays of the department of thirteen auditors and ten
 * analysts (as campaign_series()), then on the eleventh the first n
 * auditors read rows[k] rows of crm.customer_kyc, new to all of them -
 * an incident day - and a twelfth ordinary day.
 */
static void
incident_series(struct pipe *p, const long *rows, int n)
{
	char u[16], ip[16];
	int i, k;

	for (i = 0; i < 12; i++) {
		for (k = 0; k < 13; k++) {
			snprintf(u, sizeof(u), "u_a%d", k);
			snprintf(ip, sizeof(ip), "10.0.2.%d", k + 1);
			pipe_query(p, u, ip, workday(i), 10, k % 60,
			    40 + (i * 7 + k * 3) % 19, "crm.customers");
			if (i == 10 && k < n)
				pipe_query(p, u, ip, workday(i), 10,
				    30 + k % 30, rows[k], "crm.customer_kyc");
		}
		for (k = 0; k < 10; k++) {
			snprintf(u, sizeof(u), "u_r%d", k);
			snprintf(ip, sizeof(ip), "10.0.3.%d", k + 1);
			pipe_query(p, u, ip, workday(i), 11, k % 60,
			    40 + (i * 5 + k * 7) % 19, "crm.customers");
		}
	}
}

/*
 * The output of an incident day of the first n auditors (rows[k] rows
 * each, incident_series()), on the database named db; NULL when the
 * pipeline does not open.
 */
static const char *
incident_output(struct pipe *p, const char *db, const long *rows, int n)
{
	if (pipe_open_dept(p, db_path(db), 13, 10, 0) != 0)
		return NULL;
	incident_series(p, rows, n);
	return pipe_output(p);
}

/*
 * An incident team of four: two read enough for a first-seen alert,
 * two only a few hundred rows. The four are one cohort (detect.c), so
 * the two alerts make one group case naming all four - not a case each,
 * as when the group case needed three alerts.
 */
static void
test_cohort_of_quiet_members(void)
{
	static const long rows[] = { 3000, 2600, 400, 300 };
	struct pipe p;
	const char *out;

	out = incident_output(&p, "quiet.db", rows, 4);
	REQUIRE(out != NULL);
	CHECK_INT(count_lines(out, "\"rule\":\"first\""), 2);
	CHECK_INT(count_lines(out, "\"type\":\"alert\""), 2);
	CHECK_INT(q_ll(p.db, "SELECT count(*) FROM cases"), 1);
	CHECK_STR(q_str(p.db, "SELECT kind || ' ' || severity || ' ' || "
	    "members || ' ' || alerts FROM cases"), "group low a0,a1,a2,a3 2");
	CHECK_STR(q_str(p.db, "SELECT story FROM cases"), "4 people in Risk "
	    "read crm.customer_kyc for the first time on 2026-01-19");
	pipe_close(&p);
}

/*
 * An incident team of five whose two diggers read ten times what its
 * lookers do (3,000 and 3,500 rows against 300-400): over 5 times the
 * team's median, but not apart from each other - the team's own
 * spread, not one who stands out of it. No volume alert for anyone;
 * one group case. With two more, one at 40,000 rows - over twice
 * anyone else - that one stands out and alerts; seven of the
 * department's 23 reading the table, it is no first-seen name of
 * anyone's any more (test_campaign_standout() for a campaign).
 */
static void
test_cohort_diggers(void)
{
	static const long rows[] = { 3000, 3500, 300, 350, 400, 380, 40000 };
	struct pipe p;
	const char *out;

	out = incident_output(&p, "dig.db", rows, 5);
	REQUIRE(out != NULL);
	CHECK_INT(count_lines(out, "\"rule\":\"bulk\""), 0);
	CHECK_INT(count_lines(out, "\"rule\":\"first\""), 2);
	CHECK_INT(q_ll(p.db, "SELECT count(*) FROM cases"), 1);
	CHECK_STR(q_str(p.db, "SELECT kind || ' ' || members FROM cases"),
	    "group a0,a1,a2,a3,a4");
	pipe_close(&p);
	out = incident_output(&p, "dig7.db", rows, 7);
	REQUIRE(out != NULL);
	CHECK_INT(count_lines(out, "\"rule\":\"bulk\""), 1);
	CHECK_INT(alerts_of(out, "a6", "bulk"), 1);
	CHECK_INT(q_ll(p.db, "SELECT count(*) FROM cases WHERE subject = "
	    "'a6'"), 1);
	pipe_close(&p);
}

/*
 * Under the shipped rules, a developer of twelve - a role that reads no
 * sensitive rows - reading 5,000 customer rows: the peers' routine is
 * nothing, so "twice their busiest day" asks nothing, and the alert
 * must not give "peers read 0 on their busiest days" as its reason; it
 * says how seldom the role reads such rows, and how far above the
 * peers' usual day this one is.
 */
static void
test_spike_where_peers_read_none(void)
{
	char csv[4096], u[16], ip[16];
	struct pipe p;
	const char *out;
	char *rules = default_rules();
	size_t off;
	int i, k;

	REQUIRE(rules != NULL);
	off = (size_t)snprintf(csv, sizeof(csv), "employee,name,department,"
	    "role,manager,db_users,ips,hostnames,start,leave\n");
	for (k = 0; k < 12; k++)
		off += (size_t)snprintf(csv + off, sizeof(csv) - off,
		    "d%d,D%d,Dev,developer,,u_d%d,10.0.4.%d,,2024-01-01,\n",
		    k, k, k, k + 1);
	REQUIRE(pipe_open_with(&p, rules, NULL, csv) == 0);
	for (i = 0; i < 12; i++)
		for (k = 0; k < 12; k++) {
			snprintf(u, sizeof(u), "u_d%d", k);
			snprintf(ip, sizeof(ip), "10.0.4.%d", k + 1);
			pipe_query(&p, u, ip, workday(i), 10, k % 60,
			    300 + (i * 7 + k * 3) % 50, "app.logs");
			if (i == 11 && k == 0)
				pipe_query(&p, u, ip, workday(i), 11, 0, 5000,
				    "crm.customers");
		}
	out = pipe_output(&p);
	CHECK_INT(alerts_of(out, "d0", "bulk_read_spike"), 1);
	CHECK_CONTAINS(out, "\"summary\":\"read 5,000 sensitive rows today; "
	    "peers in Dev (developer) read sensitive rows on fewer than 1 day "
	    "in 20, and today is ");
	CHECK_CONTAINS(out, " standard deviations above the usual day of "
	    "peers in Dev\"");
	CHECK_INT(count_lines(out, "read 0 on"), 0);
	pipe_close(&p);
	free(rules);
}

static int
raise_at(struct pipe *p, const char *rule, int64_t ts, int64_t suppress)
{
	struct alert_in in;

	memset(&in, 0, sizeof(in));
	in.employee = "ana";
	in.rule = rule;
	in.severity = "high";
	in.score = 60;
	in.ts_us = ts;
	in.bucket_us = ts;
	in.suppress_us = suppress;
	in.summary = "state";
	return alert_raise(p->an, &in);
}

/*
 * A suppression window of three days runs from the latest firing: a
 * state that fires every other day stays one alert while it keeps
 * firing (a window from the first firing would have raised the third
 * firing, four days on, anew); three days without one, and the next is
 * a new alert - which is why a streak's rule, whose firings are three
 * days apart over a weekend, has a window of a week. The person's case
 * holds the one alert, and its score rises with each day's firing.
 */
static void
test_window_from_latest_firing(void)
{
	struct pipe p;

	REQUIRE(pipe_open(&p, NULL, db_path("window.db")) == 0);
	CHECK_INT(raise_at(&p, "s", T0 + 4 * DAY, 3 * DAY), 1);
	CHECK_INT(raise_at(&p, "s", T0 + 6 * DAY, 3 * DAY), 0);
	CHECK_INT(raise_at(&p, "s", T0 + 8 * DAY, 3 * DAY), 0);
	CHECK_INT(raise_at(&p, "s", T0 + 10 * DAY, 3 * DAY), 0);
	CHECK_INT(q_ll(p.db, "SELECT count FROM alerts WHERE rule = 's'"), 4);
	CHECK_INT(q_ll(p.db, "SELECT until_ts FROM alerts WHERE rule = 's'"),
	    T0 + 13 * DAY);
	/* each day's merged firing raised the case: 60, 66, 71.1, 75.4 */
	CHECK_STR(q_str(p.db, "SELECT printf('%.1f', score) FROM cases"),
	    "75.4");
	/* a firing within a day of the last evidence does not */
	CHECK_INT(raise_at(&p, "s", T0 + 10 * DAY - 3600000000LL, 3 * DAY),
	    0);
	CHECK_STR(q_str(p.db, "SELECT printf('%.1f', score) FROM cases"),
	    "75.4");
	CHECK_INT(q_ll(p.db, "SELECT alerts FROM cases"), 1);
	/* a window of three days ends where the next firing begins */
	CHECK_INT(raise_at(&p, "s", T0 + 13 * DAY, 3 * DAY), 1);
	CHECK_INT(q_ll(p.db, "SELECT count(*) FROM alerts"), 2);
	/* another rule's window is its own */
	CHECK_INT(raise_at(&p, "t", T0 + 13 * DAY, 3 * DAY), 1);
	pipe_close(&p);
}

static const struct test tests[] = {
	{ "campaign_is_one_group_case", test_campaign_is_one_group_case },
	{ "campaign_standout", test_campaign_standout },
	{ "campaign_default_rules", test_campaign_default_rules },
	{ "spike_where_peers_read_none", test_spike_where_peers_read_none },
	{ "cohort_of_quiet_members", test_cohort_of_quiet_members },
	{ "cohort_diggers", test_cohort_diggers },
	{ "campaign_of_two", test_campaign_of_two },
	{ "one_auditor_alerts", test_one_auditor_alerts },
	{ "three_of_forty_alert", test_three_of_forty_alert },
	{ "first_week_cohort", test_first_week_cohort },
	{ "first_week_known_table", test_first_week_known_table },
	{ "window_from_latest_firing", test_window_from_latest_firing },
};

HARNESS_MAIN(tests)
