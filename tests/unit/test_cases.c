/*
 * Tests of collector/analytics/cases.c through alert_raise(), the way
 * the rules reach it: alerts on one person join their one open case
 * (severity the worst, score rising by case_score_add(), first and last
 * evidence, story of the worst alert, merged firings moving only the
 * last evidence); a closed case stays closed and the next alert opens a
 * new one; alerts of a day's close shared by three or more people of a
 * group become one low group case naming them all, while a standout
 * (many times the group's median, or an alert earlier that day) keeps a
 * case of their own; fewer than three stay person cases; on a group
 * case's later days, two or more of its members alerting together join
 * it, while one alone, a standout, a critical alert or a case closed or
 * over 30 days old do not.
 */
#include <sys/stat.h>

#include "harness.h"
#include "ana_helper.h"

#define T0	1767571200000000LL	/* 2026-01-05T00:00:00Z, Monday */
#define DAY	86400000000LL
#define HOUR	3600000000LL

static int
raise_at(struct pipe *p, const char *emp, const char *rule,
    const char *sev, double score, int64_t ts, const char *summary,
    json_t *evidence)
{
	struct alert_in in;

	memset(&in, 0, sizeof(in));
	in.employee = emp;
	in.rule = rule;
	in.severity = sev;
	in.score = score;
	in.ts_us = ts;
	in.bucket_us = ts;
	in.suppress_us = DAY;
	in.summary = summary;
	in.evidence = evidence;
	return alert_raise(p->an, &in);
}

static int
open_db(struct pipe *p, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", harness_tmpdir(), name);
	return pipe_open(p, NULL, path);
}

static void
test_score_bounded(void)
{
	double s = 0;
	int i;

	CHECK(case_score_add(0, 40) == 40);
	CHECK(case_score_add(50, 70) == 70);	/* never below the alert */
	CHECK(case_score_add(70, 30) == 72.3);	/* 70 + 30 x 0.3 / 4 */
	for (i = 0; i < 1000; i++) {
		double t = case_score_add(s, 60);

		CHECK(t >= s);
		s = t;
	}
	CHECK(s <= 100);
	CHECK(s >= 99.5);	/* rounding to 0.1 stops it short */
}

static void
test_person_case_merges(void)
{
	struct pipe p;
	const char *id;

	REQUIRE(open_db(&p, "merge.db") == 0);
	CHECK_INT(raise_at(&p, "ana", "r_a", "medium", 50, T0 + 10 * HOUR,
	    "first thing", NULL), 1);
	CHECK_INT(raise_at(&p, "ana", "r_b", "high", 70, T0 + DAY,
	    "worse thing", NULL), 1);
	CHECK_INT(raise_at(&p, "ana", "r_c", "low", 30, T0 + 2 * DAY,
	    "small thing", NULL), 1);
	CHECK_INT(q_ll(p.db, "SELECT count(*) FROM cases"), 1);
	CHECK_STR(q_str(p.db, "SELECT severity FROM cases"), "high");
	CHECK_STR(q_str(p.db, "SELECT story FROM cases"), "worse thing");
	CHECK_STR(q_str(p.db, "SELECT printf('%.1f', score) FROM cases"),
	    "72.3");
	CHECK_INT(q_ll(p.db, "SELECT alerts FROM cases"), 3);
	CHECK_INT(q_ll(p.db, "SELECT first_ts FROM cases"),
	    T0 + 10 * 3600000000LL);
	CHECK_INT(q_ll(p.db, "SELECT last_ts FROM cases"), T0 + 2 * DAY);
	CHECK_INT(q_ll(p.db, "SELECT count(*) FROM case_alerts"), 3);
	/* a repeated firing merges into r_c: last evidence moves, no more */
	CHECK_INT(raise_at(&p, "ana", "r_c", "low", 35, T0 + 2 * DAY + HOUR,
	    "small thing", NULL), 0);
	CHECK_INT(q_ll(p.db, "SELECT last_ts FROM cases"),
	    T0 + 2 * DAY + 3600000000LL);
	CHECK_INT(q_ll(p.db, "SELECT alerts FROM cases"), 3);
	/* a second person: a case of their own */
	CHECK_INT(raise_at(&p, "ben", "r_a", "medium", 50, T0 + DAY, "x",
	    NULL), 1);
	CHECK_INT(q_ll(p.db, "SELECT count(*) FROM cases"), 2);
	/* equal severity later: the story follows the latest */
	CHECK_INT(raise_at(&p, "ana", "r_d", "high", 60, T0 + 3 * DAY,
	    "latest high", NULL), 1);
	CHECK_STR(q_str(p.db, "SELECT story FROM cases WHERE subject = "
	    "'ana'"), "latest high");
	id = q_str(p.db, "SELECT id FROM cases WHERE subject = 'ana'");
	CHECK_INT(strlen(id), 16);
	pipe_close(&p);
}

static void
test_closed_stays_closed(void)
{
	struct pipe p;

	REQUIRE(open_db(&p, "closed.db") == 0);
	CHECK_INT(raise_at(&p, "ana", "r_a", "high", 70, T0, "one", NULL), 1);
	REQUIRE(sqlite3_exec(p.db, "UPDATE cases SET status = "
	    "'closed_false_positive'", NULL, NULL, NULL) == SQLITE_OK);
	CHECK_INT(raise_at(&p, "ana", "r_b", "medium", 40, T0 + DAY, "two",
	    NULL), 1);
	CHECK_INT(q_ll(p.db, "SELECT count(*) FROM cases"), 2);
	CHECK_INT(q_ll(p.db, "SELECT alerts FROM cases WHERE status = "
	    "'closed_false_positive'"), 1);
	CHECK_STR(q_str(p.db, "SELECT severity FROM cases WHERE status = "
	    "'open'"), "medium");
	CHECK_INT(q_ll(p.db, "SELECT alerts FROM cases WHERE status = "
	    "'open'"), 1);
	pipe_close(&p);
}

/* The evidence of a first_seen_table alert on crm.customers. */
static json_t *
first_seen_evidence(const char *group, double rows)
{
	return json_pack("{s:s, s:s, s:{s:i, s:f}, s:[s]}",
	    "rule_kind", "day", "peer_group", group, "figures",
	    "first_seen(table)", 1, "value(rows.sensitive, day)", rows,
	    "first_seen_tables", "crm.customers");
}

static void
test_group_case(void)
{
	static const struct {
		const char	*emp;
		const char	*group;
		double		 rows;
	} people[] = {
		{ "ana", "Support", 1200 },
		{ "ben", "Support", 1500 },
		{ "cat", "Support", 1300 },	/* alerted earlier today */
		{ "dan", "Support", 9000 },	/* 6x the median */
		{ "etl", "IT", 1400 },		/* another group */
	};
	int64_t day = T0 + 2 * DAY, at = day + DAY - 1;
	struct pipe p;
	json_t *ev;
	size_t i;

	REQUIRE(open_db(&p, "group.db") == 0);
	CHECK_INT(raise_at(&p, "cat", "r_hour", "medium", 50, day + HOUR *
	    15, "an hour's alert", NULL), 1);
	cases_hold(p.an);
	for (i = 0; i < sizeof(people) / sizeof(people[0]); i++) {
		ev = first_seen_evidence(people[i].group, people[i].rows);
		CHECK_INT(raise_at(&p, people[i].emp, "first_seen_table",
		    "medium", 50, at, "first time reading", ev), 1);
		json_decref(ev);
	}
	/* held: nothing filed until the day's close ends */
	CHECK_INT(q_ll(p.db, "SELECT count(*) FROM cases"), 1);
	CHECK_INT(cases_release(p.an, day), 0);
	CHECK_INT(q_ll(p.db, "SELECT count(*) FROM cases WHERE kind = "
	    "'group'"), 1);
	CHECK_STR(q_str(p.db, "SELECT members FROM cases WHERE kind = "
	    "'group'"), "ana,ben,cat,dan");
	CHECK_STR(q_str(p.db, "SELECT severity || ' ' || alerts || ' ' || "
	    "subject || ' ' || department FROM cases WHERE kind = 'group'"),
	    "low 2 group:Support Support");
	CHECK_STR(q_str(p.db, "SELECT story FROM cases WHERE kind = "
	    "'group'"), "4 people in Support read crm.customers for the "
	    "first time on 2026-01-07; standing out: cat, dan");
	/* the group's timeline: ana's and ben's alerts */
	CHECK_INT(q_ll(p.db, "SELECT count(*) FROM case_alerts l JOIN cases "
	    "c ON c.id = l.case_id JOIN alerts a ON a.id = l.alert_id WHERE "
	    "c.kind = 'group' AND a.employee IN ('ana', 'ben')"), 2);
	/* the standouts and the other group's one: person cases */
	CHECK_INT(q_ll(p.db, "SELECT alerts FROM cases WHERE subject = "
	    "'cat'"), 2);
	CHECK_INT(q_ll(p.db, "SELECT alerts FROM cases WHERE subject = "
	    "'dan'"), 1);
	CHECK_INT(q_ll(p.db, "SELECT alerts FROM cases WHERE subject = "
	    "'etl'"), 1);
	CHECK_INT(q_ll(p.db, "SELECT count(*) FROM cases WHERE subject IN "
	    "('ana', 'ben')"), 0);
	CHECK_INT(q_ll(p.db, "SELECT count(*) FROM cases"), 4);
	pipe_close(&p);
}

static void
test_two_are_no_group(void)
{
	int64_t day = T0, at = day + DAY - 1;
	struct pipe p;
	json_t *ev;

	REQUIRE(open_db(&p, "two.db") == 0);
	cases_hold(p.an);
	ev = first_seen_evidence("Support", 1000);
	CHECK_INT(raise_at(&p, "ana", "first_seen_table", "medium", 50, at,
	    "x", ev), 1);
	CHECK_INT(raise_at(&p, "ben", "first_seen_table", "medium", 50, at,
	    "x", ev), 1);
	json_decref(ev);
	CHECK_INT(cases_release(p.an, day), 0);
	CHECK_INT(q_ll(p.db, "SELECT count(*) FROM cases WHERE kind = "
	    "'person'"), 2);
	CHECK_INT(q_ll(p.db, "SELECT count(*) FROM cases WHERE kind = "
	    "'group'"), 0);
	pipe_close(&p);
}

/* The evidence of a volume alert: the day's sensitive rows. */
static json_t *
volume_evidence(const char *group, double rows)
{
	return json_pack("{s:s, s:s, s:{s:f}}", "rule_kind", "day",
	    "peer_group", group, "figures", "value(rows.sensitive, day)",
	    rows);
}

/* The day's close of day d: each of emps[] raises rule with rows[]. */
static void
close_day(struct pipe *p, int64_t d, const char *rule, const char *sev,
    const char *const *emps, const double *rows, size_t n)
{
	json_t *ev;
	size_t i;

	cases_hold(p->an);
	for (i = 0; i < n; i++) {
		ev = strcmp(rule, "first_seen_table") == 0 ?
		    first_seen_evidence("Audit", rows[i]) :
		    volume_evidence("Audit", rows[i]);
		CHECK_INT(raise_at(p, emps[i], rule, sev, 70, d + DAY - 1,
		    "a day's alert", ev), 1);
		json_decref(ev);
	}
	CHECK_INT(cases_release(p->an, d), 0);
}

/*
 * A group case's later days: the auditors keep reading the table they
 * were new to, and their streaks fire days later, together. Two or
 * more members alerting on one day join the group case; one alone, a
 * non-member, a standout of the day's volumes, a critical alert and a
 * group case more than 30 days old do not.
 */
static void
test_group_follows(void)
{
	static const char *const team[] = { "ana", "ben", "cat", "dan" };
	static const double first[] = { 400, 450, 500, 420 };
	static const char *const five[] = { "ana", "ben", "eve" };
	static const double five_rows[] = { 900, 1000, 950 };
	static const char *const six[] = { "ana", "ben", "dan" };
	static const double six_rows[] = { 800, 900, 9000 };
	static const char *const cat[] = { "cat" };
	static const double cat_rows[] = { 700 };
	struct pipe p;

	REQUIRE(open_db(&p, "follow.db") == 0);
	close_day(&p, T0, "first_seen_table", "medium", team, first, 4);
	CHECK_STR(q_str(p.db, "SELECT members || ' ' || alerts || ' ' || "
	    "printf('%.1f', score) FROM cases WHERE kind = 'group'"),
	    "ana,ben,cat,dan 4 30.0");
	/* day 5: two members, and eve of the same group but not the case */
	close_day(&p, T0 + 5 * DAY, "sustained_read", "high", five,
	    five_rows, 3);
	CHECK_STR(q_str(p.db, "SELECT severity || ' ' || alerts || ' ' || "
	    "printf('%.1f', score) || ' ' || last_ts FROM cases WHERE "
	    "kind = 'group'"), "low 6 52.4 1768089599999999");
	CHECK_INT(q_ll(p.db, "SELECT count(*) FROM case_alerts l JOIN "
	    "alerts a ON a.id = l.alert_id JOIN cases c ON c.id = l.case_id "
	    "WHERE c.kind = 'group' AND a.rule = 'sustained_read'"), 2);
	CHECK_STR(q_str(p.db, "SELECT group_concat(subject) FROM cases "
	    "WHERE kind = 'person'"), "eve");
	/* day 6: dan reads ten times the others: his own case */
	close_day(&p, T0 + 6 * DAY, "sustained_read", "high", six, six_rows,
	    3);
	CHECK_INT(q_ll(p.db, "SELECT alerts FROM cases WHERE kind = "
	    "'group'"), 8);
	CHECK_STR(q_str(p.db, "SELECT group_concat(subject) FROM (SELECT "
	    "subject FROM cases WHERE kind = 'person' ORDER BY subject)"),
	    "dan,eve");
	/* day 7: one member alone is not the group */
	close_day(&p, T0 + 7 * DAY, "sustained_read", "high", cat, cat_rows,
	    1);
	CHECK_INT(q_ll(p.db, "SELECT alerts FROM cases WHERE subject = "
	    "'cat'"), 1);
	CHECK_INT(q_ll(p.db, "SELECT alerts FROM cases WHERE kind = "
	    "'group'"), 8);
	/* day 40: the group case is older than 30 days */
	close_day(&p, T0 + 40 * DAY, "peer_outlier", "high", five, five_rows,
	    2);
	CHECK_INT(q_ll(p.db, "SELECT alerts FROM cases WHERE kind = "
	    "'group'"), 8);
	CHECK_INT(q_ll(p.db, "SELECT count(*) FROM cases WHERE kind = "
	    "'person' AND subject IN ('ana', 'ben')"), 2);
	pipe_close(&p);
}

/* A critical alert is never folded into a group case's later days. */
static void
test_group_follow_critical(void)
{
	static const char *const team[] = { "ana", "ben", "cat" };
	static const double first[] = { 400, 450, 500 };
	struct pipe p;
	json_t *ev;

	REQUIRE(open_db(&p, "follow-crit.db") == 0);
	close_day(&p, T0, "first_seen_table", "medium", team, first, 3);
	cases_hold(p.an);
	ev = volume_evidence("Audit", 900);
	CHECK_INT(raise_at(&p, "ana", "sustained_read", "high", 70,
	    T0 + 3 * DAY - 1, "x", ev), 1);
	CHECK_INT(raise_at(&p, "ben", "sustained_read", "high", 70,
	    T0 + 3 * DAY - 1, "x", ev), 1);
	CHECK_INT(raise_at(&p, "cat", "bulk_read_spike", "critical", 90,
	    T0 + 3 * DAY - 1, "x", ev), 1);
	json_decref(ev);
	CHECK_INT(cases_release(p.an, T0 + 2 * DAY), 0);
	CHECK_INT(q_ll(p.db, "SELECT alerts FROM cases WHERE kind = "
	    "'group'"), 5);
	CHECK_STR(q_str(p.db, "SELECT severity FROM cases WHERE subject = "
	    "'cat'"), "critical");
	/* a closed group case gathers nothing */
	REQUIRE(sqlite3_exec(p.db, "UPDATE cases SET status = "
	    "'closed_benign' WHERE kind = 'group'", NULL, NULL, NULL) ==
	    SQLITE_OK);
	close_day(&p, T0 + 4 * DAY, "sustained_read", "high", team, first, 2);
	CHECK_INT(q_ll(p.db, "SELECT count(*) FROM cases WHERE kind = "
	    "'person' AND subject IN ('ana', 'ben')"), 2);
	pipe_close(&p);
}

static const struct test tests[] = {
	{ "score_bounded", test_score_bounded },
	{ "person_case_merges", test_person_case_merges },
	{ "closed_stays_closed", test_closed_stays_closed },
	{ "group_case", test_group_case },
	{ "two_are_no_group", test_two_are_no_group },
	{ "group_follows", test_group_follows },
	{ "group_follow_critical", test_group_follow_critical },
};

HARNESS_MAIN(tests)
