/*
 * Tests of the rules language: collector/analytics/rules-parse.c reports
 * every kind of mistake as file:line:column with the right position, and
 * rules-eval.c gives event fields, lists, missing values, arithmetic,
 * templates, attribution, suppression and alert ids the meaning
 * docs/rules.md gives them, and read an agent's aggregated events (count,
 * max_rows) as the statements they stand for. Also alert.c's merging and
 * risk.
 */
#include <sys/stat.h>
#include <math.h>

#include "harness.h"
#include "ana_helper.h"
#include "leakwatch/event-view.h"

static struct sensitivity *
sens(void)
{
	struct sensitivity *s = sensitivity_new();
	char err[128];

	sensitivity_add(s, "crm.customer*=customer_pii", err, sizeof(err));
	return s;
}

/* Parses text as "t.rules"; returns the error ("" if it loaded). */
static const char *
parse(const char *text, size_t *nrules)
{
	static char err[512];
	struct sensitivity *s = sens();
	struct ruleset *rs = rules_new();

	err[0] = '\0';
	rules_load_buf(rs, "t.rules", text, strlen(text), s, err,
	    sizeof(err));
	if (nrules != NULL)
		*nrules = rules_count(rs);
	rules_free(rs);
	sensitivity_free(s);
	return err;
}

#define RULE(on, when) "rule x {\n  on " on "\n  when " when \
	"\n  severity low\n  summary \"s\"\n}\n"

static void
test_parse_ok(void)
{
	size_t n = 99;

	CHECK_STR(parse("", &n), "");
	CHECK_INT(n, 0);
	CHECK_STR(parse("# only a comment\n", &n), "");
	CHECK_STR(parse(RULE("day", "baseline(rows.customer_pii, day) > 6 "
	    "and value(rows.customer_pii, day) >= 1K or first_seen(table)"),
	    &n), "");
	CHECK_INT(n, 1);
	CHECK_STR(parse("rule a { on event db.query when command in "
	    "(\"COPY\", \"SELECT\") and not tables ~ \"crm.*\" severity high "
	    "summary \"{db_user} {rows_read | int}\" suppress 1h }\n"
	    "rule b { on event when count(10m where type == \"db.query\") > "
	    "-1 * 2 then distinct(server_name, 1h) > 3 within 2h severity "
	    "critical score 50 + 10 / 2 summary \"{{literal}} {employee}\" "
	    "attribute ip_owner }\n", &n), "");
	CHECK_INT(n, 2);
}

static void
test_parse_errors(void)
{
	CHECK_CONTAINS(parse(RULE("day", "value(rows.nope, day) > 1"), NULL),
	    "t.rules:3:14: unknown feature 'rows.nope'");
	CHECK_STR(parse("rule x {\n  on day\n  when 1\n  summary \"s\"\n}\n",
	    NULL), "t.rules:1:1: rule 'x' has no 'severity'");
	CHECK_STR(parse(RULE("day", "command == \"COPY\""), NULL),
	    "t.rules:3:8: field 'command' is an event field: only in "
	    "'on event' rules");
	CHECK_STR(parse(RULE("event", "comand == \"COPY\""), NULL),
	    "t.rules:3:8: unknown field 'comand'");
	CHECK_STR(parse("rule x {\n  on day\n  when 1\n  severity low\n"
	    "  summary \"abc\n}\n", NULL), "t.rules:5:11: unterminated string");
	CHECK_STR(parse(RULE("event", "db_user = \"x\""), NULL),
	    "t.rules:3:16: '=' is not an operator; did you mean '=='?");
	CHECK_STR(parse(RULE("event", "foo(1) > 2"), NULL),
	    "t.rules:3:8: unknown function 'foo'");
	CHECK_CONTAINS(parse("rule x {\n  on day\n  when 1\n  severity low\n"
	    "  summary \"read {value(rows.bad, day)}\"\n}\n", NULL),
	    "t.rules:5:24: unknown feature 'rows.bad'");
	CHECK_STR(parse(RULE("day", "count(1h) > 1"), NULL),
	    "t.rules:3:8: aggregates (count, sum, distinct) are only for "
	    "'on event' rules");
	CHECK_CONTAINS(parse(RULE("event", "count(5x) > 1"), NULL),
	    "t.rules:3:15: unknown unit after a number");
	CHECK_STR(parse(RULE("event", "count(db_user) > 1"), NULL),
	    "t.rules:3:14: expected a time window such as 1h, found "
	    "'db_user'");
	CHECK_STR(parse("rule x {\n  on day\n  when 1\n  severty low\n}\n",
	    NULL), "t.rules:4:3: unknown clause 'severty'");
	CHECK_STR(parse("rule x {\n  on day\n  when 1\n  severity huge\n}\n",
	    NULL), "t.rules:4:12: severity is low, medium, high or critical, "
	    "not 'huge'");
	CHECK_STR(parse("rule x {\n  on day\n  when 1\n  then 1 within 1h\n"
	    "  severity low\n  summary \"s\"\n}\n", NULL),
	    "t.rules:4:8: sequences ('then') are only for 'on event' rules");
	CHECK_STR(parse(RULE("day", "1") "junk\n", NULL),
	    "t.rules:7:1: expected 'rule', found 'junk'");
	CHECK_STR(parse(RULE("day", "1") RULE("day", "2"), NULL),
	    "t.rules:7:6: rule 'x' already defined in t.rules:1");
	CHECK_STR(parse("rule Bad { }", NULL), "t.rules:1:6: expected a rule "
	    "name (a-z, 0-9, _; up to 64), found 'Bad'");
	CHECK_STR(parse("rule x {\n  on day\n  when 1 +\n", NULL),
	    "t.rules:4:1: expected an expression, found end of file");
	CHECK_STR(parse("rule x {\n  on week\n", NULL),
	    "t.rules:2:6: expected event, hour or day after 'on', found "
	    "'week'");
	CHECK_STR(parse("rule x {\n  on day\n  when 1\n  when 2\n}\n", NULL),
	    "t.rules:4:3: 'when' given twice");
	CHECK_STR(parse(RULE("event", "sum(1, 1h where count(1h) > 1) > 1"),
	    NULL), "t.rules:3:24: an aggregate inside an aggregate");
	CHECK_STR(parse(RULE("day", "1 $ 2"), NULL),
	    "t.rules:3:10: unexpected character '$'");
	CHECK_STR(parse("rule x {\n  on day\n  when 1\n  severity low\n"
	    "  summary \"{value(rows, day) | hex}\"\n}\n", NULL),
	    "t.rules:5:31: unknown format 'hex' (bytes, int)");
	CHECK_STR(parse("rule x {\n  on event agent.status\n", NULL),
	    "t.rules:2:12: rules see db.query, db.session and net.flow "
	    "events only");
}

static void
test_parse_depth(void)
{
	char buf[512];
	size_t i, o = 0;

	o += (size_t)snprintf(buf, sizeof(buf), "rule x { on day when ");
	for (i = 0; i < 70; i++)
		buf[o++] = '(';
	buf[o++] = '1';
	for (i = 0; i < 70; i++)
		buf[o++] = ')';
	snprintf(buf + o, sizeof(buf) - o, " severity low summary \"s\" }");
	CHECK_CONTAINS(parse(buf, NULL), "expression nested too deeply");
}

/*
 * Chains with no parentheses: thousands of unary minus signs (a fuzzer's
 * find that overflowed the evaluator's stack), of `not`, of `+`. Each is
 * refused where it gets too deep, with the file, line and column; a
 * long but reasonable chain still loads.
 */
static char *
chain(const char *head, const char *unit, int n, const char *tail)
{
	size_t ul = strlen(unit), hl = strlen(head), tl = strlen(tail);
	char *b = malloc(hl + ul * (size_t)n + tl + 1), *o = b;
	int i;

	if (b == NULL)
		abort();
	memcpy(o, head, hl);
	o += hl;
	for (i = 0; i < n; i++, o += ul)
		memcpy(o, unit, ul);
	memcpy(o, tail, tl + 1);
	return b;
}

static void
test_parse_long_chains(void)
{
	char *r;

	r = chain("rule x {\n  on day\n  when ", "-", 20000,
	    "1 > 0\n  severity low\n  summary \"s\"\n}\n");
	CHECK_STR(parse(r, NULL), "t.rules:3:71: expression nested too "
	    "deeply");
	free(r);
	r = chain("rule x {\n  on day\n  when ", "not ", 20000,
	    "1 > 0\n  severity low\n  summary \"s\"\n}\n");
	CHECK_STR(parse(r, NULL), "t.rules:3:260: expression nested too "
	    "deeply");
	free(r);
	r = chain("rule x {\n  on day\n  when 1", " + 1", 20000,
	    " > 0\n  severity low\n  summary \"s\"\n}\n");
	CHECK_STR(parse(r, NULL), "t.rules:3:518: expression nested too "
	    "deeply (more than 128 levels)");
	free(r);
	r = chain("rule x {\n  on day\n  when 1", " + 1", 100,
	    " > 0\n  severity low\n  summary \"s\"\n}\n");
	CHECK_STR(parse(r, NULL), "");
	free(r);
}

/* A directory: *.rules in name order, other files ignored, errors named. */
static void
test_load_dir(void)
{
	const char *dir = harness_tmpdir();
	char path[512], err[512];
	struct sensitivity *s = sens();
	struct ruleset *rs = rules_new();

	snprintf(path, sizeof(path), "%s/b.rules", dir);
	write_file(path, RULE("day", "1"));
	snprintf(path, sizeof(path), "%s/a.rules", dir);
	write_file(path, "rule y { on day when 1 severity low summary "
	    "\"s\" }\n");
	snprintf(path, sizeof(path), "%s/notes.txt", dir);
	write_file(path, "not rules");
	CHECK_INT(rules_load_dir(rs, dir, s, err, sizeof(err)), 0);
	REQUIRE(rules_count(rs) == 2);
	CHECK_STR(rs->r[0]->name, "y");
	CHECK_STR(rs->r[1]->name, "x");
	rules_free(rs);
	rs = rules_new();
	snprintf(path, sizeof(path), "%s/c.rules", dir);
	write_file(path, "rule z { on day when 1 severity low summary \"s\" "
	    "}\nrule x { on day when 1 severity low summary \"s\" }\n");
	CHECK_INT(rules_load_dir(rs, dir, s, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "/c.rules:2:6: rule 'x' already defined in ");
	CHECK_CONTAINS(err, "/b.rules:1");
	rules_free(rs);
	rs = rules_new();
	CHECK_INT(rules_load_dir(rs, "/nonexistent", s, err, sizeof(err)),
	    -1);
	CHECK_STR(err, "rules directory /nonexistent: No such file or "
	    "directory");
	rules_free(rs);
	sensitivity_free(s);
}

/* A directory that defines no rule is refused, whatever else it holds. */
static void
test_load_dir_empty(void)
{
	const char *dir = harness_tmpdir();
	char path[512], err[512], want[600];
	struct sensitivity *s = sens();
	struct ruleset *rs = rules_new();

	CHECK_INT(rules_load_dir(rs, dir, s, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "rules directory %s: no *.rules file in "
	    "it", dir);
	CHECK_STR(err, want);
	snprintf(path, sizeof(path), "%s/README", dir);
	write_file(path, "rule x { on day when 1 severity low summary "
	    "\"s\" }\n");
	CHECK_INT(rules_load_dir(rs, dir, s, err, sizeof(err)), -1);
	CHECK_STR(err, want);
	snprintf(path, sizeof(path), "%s/site.rules", dir);
	write_file(path, "# nothing yet\n\n");
	CHECK_INT(rules_load_dir(rs, dir, s, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "rules directory %s: its *.rules files "
	    "define no rule", dir);
	CHECK_STR(err, want);
	CHECK_INT((int)rules_count(rs), 0);
	rules_free(rs);
	sensitivity_free(s);
}

static const char eval_rules[] =
    "rule lists {\n"
    "  on event db.query\n"
    "  when tables ~ \"crm.cust*\" and tables != \"pay.cards\" and "
    "command in (\"COPY\", \"SELECT\") and not (rows_read < 100)\n"
    "  severity low\n"
    "  summary \"{employee} ({department}) {rows_read} rows of {tables} "
    "via {via}; {rows_read * 2 - 1} {rows_read / 0} {class}\"\n"
    "  suppress 1s\n"
    "}\n"
    "rule missing {\n"
    "  on event\n"
    "  when rows_read >= 0 and type == \"net.flow\"\n"
    "  severity low\n"
    "  summary \"never: a net.flow has no rows_read\"\n"
    "}\n"
    "rule flows {\n"
    "  on event net.flow\n"
    "  when out_bytes > 1G and exfil and server_name ~ \"*.google.com\"\n"
    "  severity medium\n"
    "  score out_bytes / 100M\n"
    "  summary \"{out_bytes | bytes} to {server_name} ({category})\"\n"
    "}\n";

static void
test_eval(void)
{
	struct pipe p;
	const char *out;

	REQUIRE(pipe_open(&p, eval_rules, NULL) == 0);
	pipe_query(&p, "u_ana", "10.0.0.1", 5, 10, 0, 2300,
	    "crm.customers");
	pipe_query(&p, "u_ben", "10.0.0.2", 5, 10, 1, 50, "crm.customers");
	pipe_query(&p, "u_cat", "10.0.0.3", 5, 10, 2, 500, "pay.cards");
	pipe_flow(&p, "10.0.0.4", 5, 11, 0, 1500000000, "drive.google.com",
	    "cloud_storage");
	pipe_flow(&p, "10.0.0.4", 5, 11, 1, 1500000000, "www.google.com",
	    "other");
	out = pipe_output(&p);
	CHECK_INT(count_lines(out, "\"rule\":\"lists\""), 1);
	CHECK_CONTAINS(out, "\"summary\":\"ana (Support) 2,300 rows of "
	    "crm.customers via db_user; 4,599 ? customer_pii\"");
	CHECK_INT(count_lines(out, "\"rule\":\"missing\""), 0);
	CHECK_INT(count_lines(out, "\"rule\":\"flows\""), 1);
	CHECK_CONTAINS(out, "\"employee\":\"dan\",\"rule\":\"flows\","
	    "\"severity\":\"medium\",\"score\":15,\"summary\":\"1.5 GB to "
	    "drive.google.com (cloud_storage)\"");
	pipe_close(&p);
}

static const char who_rules[] =
    "rule who {\n"
    "  on event db.query\n"
    "  when rows_read > 0\n"
    "  severity low\n"
    "  summary \"{employee} {name} {department} {group} leaver={leaver} "
    "days_to_leave={days_to_leave}\"\n"
    "  suppress 1s\n"
    "}\n";

/*
 * SIGHUP re-reads the directory: people already seen take the new file's
 * attributes at once - ana's move to Sales and the leave date HR entered
 * (the leaver rules depend on it) - while the rest keep theirs.
 */
static void
test_reload_updates_people(void)
{
	static const char moved[] =
	    "employee,name,department,role,manager,db_users,ips,hostnames,"
	    "start,leave\n"
	    "ana,Ana B,Sales,account_manager,,u_ana,10.0.0.1,,2024-01-01,"
	    "2026-01-20\n"
	    "ben,Ben,Support,agent,,u_ben,10.0.0.2,,2024-01-01,\n";
	struct pipe p;
	const char *out;
	char path[512];

	REQUIRE(pipe_open(&p, who_rules, NULL) == 0);
	pipe_query(&p, "u_ana", "10.0.0.1", 5, 10, 0, 10, "crm.customers");
	pipe_query(&p, "u_ben", "10.0.0.2", 5, 10, 1, 10, "crm.customers");
	snprintf(path, sizeof(path), "%s/dir.csv", p.dir);
	write_file(path, moved);
	REQUIRE(analytics_reload(p.an, &p.cfg) == 0);
	pipe_query(&p, "u_ana", "10.0.0.1", 6, 10, 0, 10, "crm.customers");
	pipe_query(&p, "u_ben", "10.0.0.2", 6, 10, 1, 10, "crm.customers");
	out = pipe_output(&p);
	CHECK_CONTAINS(out, "\"summary\":\"ana Ana Support Support leaver=0 "
	    "days_to_leave=?\"");
	CHECK_CONTAINS(out, "\"summary\":\"ana Ana B Sales Sales leaver=1 "
	    "days_to_leave=14\"");
	CHECK_INT(count_lines(out, "\"summary\":\"ben Ben Support Support "
	    "leaver=0 days_to_leave=?\""), 2);
	pipe_close(&p);
}

static const char leave_rules[] =
    "rule when_event {\n"
    "  on event db.query\n"
    "  when leaver\n"
    "  severity low\n"
    "  summary \"event {leave_when} ({days_to_leave})\"\n"
    "  suppress 1s\n"
    "}\n"
    "rule when_day {\n"
    "  on day\n"
    "  when leaver and value(rows, day) > 0\n"
    "  severity low\n"
    "  summary \"day {leave_when} ({days_to_leave})\"\n"
    "}\n";

/*
 * A leave date is a date of the organisation's calendar: days_to_leave
 * and leave_when count local days to it, 0 on the last working day and
 * negative after it, said as the person's state. At +08:00, a day
 * rule's time is the last instant of the local day: measured as a time
 * against the date's UTC midnight, the last working day was "-1" and
 * the day before it "0"; an event at 04:00 local on the last day was
 * "-1" too (still 20:00 UTC the day before the date).
 */
static void
test_leave_when(void)
{
	static const char dir[] =
	    "employee,name,department,role,manager,db_users,ips,hostnames,"
	    "start,leave\n"
	    "ana,Ana,Support,agent,,u_ana,10.0.0.1,,2024-01-01,2026-01-20\n";
	struct pipe p;
	const char *out;

	REQUIRE(pipe_open_kv(&p, leave_rules, NULL, dir, 1, "utc-offset",
	    "+08:00") == 0);
	/* local 2026-01-06 18:00; 01-19 18:00; 01-20 04:00; 01-21; 01-23 */
	pipe_query(&p, "u_ana", "10.0.0.1", 6, 10, 0, 10, "crm.customers");
	pipe_query(&p, "u_ana", "10.0.0.1", 19, 10, 0, 10, "crm.customers");
	pipe_query(&p, "u_ana", "10.0.0.1", 19, 20, 0, 10, "crm.customers");
	pipe_query(&p, "u_ana", "10.0.0.1", 20, 20, 0, 10, "crm.customers");
	pipe_query(&p, "u_ana", "10.0.0.1", 23, 10, 0, 10, "crm.customers");
	pipe_query(&p, "u_ana", "10.0.0.1", 25, 10, 0, 10, "crm.customers");
	out = pipe_output(&p);
	CHECK_INT(count_lines(out, "\"summary\":\"event leaves in 14 days "
	    "(14)\""), 1);
	CHECK_INT(count_lines(out, "\"summary\":\"event leaves tomorrow "
	    "(1)\""), 1);
	CHECK_INT(count_lines(out, "\"summary\":\"event leaves today "
	    "(0)\""), 1);
	CHECK_INT(count_lines(out, "\"summary\":\"event left 1 day ago "
	    "(-1)\""), 1);
	CHECK_INT(count_lines(out, "\"summary\":\"event left 3 days ago "
	    "(-3)\""), 1);
	CHECK_INT(count_lines(out, "\"summary\":\"day leaves tomorrow "
	    "(1)\""), 1);
	CHECK_INT(count_lines(out, "\"summary\":\"day leaves today "
	    "(0)\""), 1);
	CHECK_INT(count_lines(out, "\"summary\":\"day left 1 day ago "
	    "(-1)\""), 1);
	CHECK_INT(count_lines(out, "\"summary\":\"day left 3 days ago "
	    "(-3)\""), 1);
	CHECK_INT(count_lines(out, "-2)"), 0);
	pipe_close(&p);
}

static const char if_rules[] =
    "rule pick {\n"
    "  on event db.query\n"
    "  when rows_read > 0\n"
    "  severity low\n"
    "  summary \"{if(rows_read > 100, \\\"many\\\", \\\"few\\\")} "
    "{if(rows_read > 100, rows_read, 0 - rows_read)}\"\n"
    "  suppress 1s\n"
    "}\n";

/* if(c, a, b): a when c holds, else b, a string or a number. */
static void
test_if(void)
{
	struct pipe p;
	const char *out;

	REQUIRE(pipe_open(&p, if_rules, NULL) == 0);
	pipe_query(&p, "u_ana", "10.0.0.1", 5, 10, 0, 2300, "crm.customers");
	pipe_query(&p, "u_ana", "10.0.0.1", 5, 11, 0, 40, "crm.customers");
	out = pipe_output(&p);
	CHECK_INT(count_lines(out, "\"summary\":\"many 2,300\""), 1);
	CHECK_INT(count_lines(out, "\"summary\":\"few -40\""), 1);
	pipe_close(&p);
	CHECK_CONTAINS(parse("rule x {\n  on day\n  when if(1, 2)\n"
	    "  severity low\n  summary \"s\"\n}\n", NULL), "expected ','");
}

static const char merge_rules[] =
    "rule big {\n"
    "  on event db.query\n"
    "  when rows_read >= 1000\n"
    "  severity high\n"
    "  score rows_read / 100\n"
    "  summary \"{rows_read}\"\n"
    "  suppress 6h\n"
    "}\n"
    "rule borrowed {\n"
    "  on event db.query\n"
    "  when mismatch\n"
    "  attribute ip_owner\n"
    "  severity high\n"
    "  summary \"{db_user_owner}'s account from {ip_owner}'s machine\"\n"
    "}\n";

/* Firings within the window merge into the stored alert. */
static void
test_merge_and_risk(void)
{
	struct pipe p;
	const char *out;
	char db[512], id[17];
	sqlite3_stmt *st;

	snprintf(db, sizeof(db), "%s/m.db", harness_tmpdir());
	REQUIRE(pipe_open(&p, merge_rules, db) == 0);
	pipe_query(&p, "u_ana", "10.0.0.1", 19, 9, 0, 2000, "crm.customers");
	pipe_query(&p, "u_ana", "10.0.0.1", 19, 10, 0, 5000, "crm.customers");
	pipe_query(&p, "u_ana", "10.0.0.1", 19, 14, 59, 3000,
	    "crm.customers");
	/*
	 * 15:00 is within 6 h of the 14:59 firing, which moved the window
	 * on: it merges. 21:00 is 6 h after it: a new alert, a new bucket.
	 */
	pipe_query(&p, "u_ana", "10.0.0.1", 19, 15, 0, 1000, "crm.customers");
	pipe_query(&p, "u_ana", "10.0.0.1", 19, 21, 0, 1000, "crm.customers");
	/* ben's account from cat's desk: the alert goes to cat */
	pipe_query(&p, "u_ben", "10.0.0.3", 19, 16, 0, 10, "crm.customers");
	out = pipe_output(&p);
	CHECK_INT(count_lines(out, "\"rule\":\"big\""), 2);
	/* the bucket of an event rule: its suppress window, 06:00-12:00 */
	alert_id("ana", "big", 1768780800000000LL + 6 * 3600000000LL, id);
	CHECK_STR(id, "cc3fafee40480cbf");
	CHECK_CONTAINS(out, "\"id\":\"cc3fafee40480cbf\"");
	CHECK_CONTAINS(out, "\"employee\":\"cat\",\"rule\":\"borrowed\"");
	CHECK_CONTAINS(out, "\"summary\":\"ben's account from cat's machine\"");
	REQUIRE(sqlite3_prepare_v2(p.db, "SELECT count, score FROM alerts "
	    "WHERE id = 'cc3fafee40480cbf'", -1, &st, NULL) == SQLITE_OK);
	REQUIRE(sqlite3_step(st) == SQLITE_ROW);
	CHECK_INT(sqlite3_column_int(st, 0), 4);
	CHECK_INT(sqlite3_column_int(st, 1), 50);
	sqlite3_finalize(st);
	/*
	 * Risk: 20 at 09:00 (merges add nothing), decayed over 12 hours on
	 * a half-life of 7 days (19.03), plus 10 at 21:00: 29.0; a week
	 * later half of that.
	 */
	CHECK_INT(llround(risk_get(p.an, "ana", 1768780800000000LL +
	    21 * 3600000000LL) * 10), 290);
	CHECK_INT(llround(risk_get(p.an, "ana", 1768780800000000LL +
	    21 * 3600000000LL + 7 * 86400000000LL) * 10), 145);
	pipe_close(&p);
}

/*
 * An alert an analyst closed takes no firings from later buckets: 09:00
 * raises the 06:00-12:00 alert, which is closed as a false positive;
 * 10:00 is the same finding and merges into it (still closed); 13:00 is
 * within the 6 h window of 09:00 but in the 12:00 bucket: a new alert,
 * printed, not folded into the closed one.
 */
static void
test_closed_not_merged(void)
{
	struct pipe p;
	const char *out;
	char db[512], first[17], later[17];
	sqlite3_stmt *st;
	int64_t day = 1768780800000000LL;

	snprintf(db, sizeof(db), "%s/c.db", harness_tmpdir());
	REQUIRE(pipe_open(&p, merge_rules, db) == 0);
	alert_id("ana", "big", day + 6 * 3600000000LL, first);
	alert_id("ana", "big", day + 12 * 3600000000LL, later);
	pipe_query(&p, "u_ana", "10.0.0.1", 19, 9, 0, 2000, "crm.customers");
	REQUIRE(sqlite3_exec(p.db, "UPDATE alerts SET status = "
	    "'closed_false_positive'", NULL, NULL, NULL) == SQLITE_OK);
	pipe_query(&p, "u_ana", "10.0.0.1", 19, 10, 0, 5000, "crm.customers");
	pipe_query(&p, "u_ana", "10.0.0.1", 19, 13, 0, 3000, "crm.customers");
	out = pipe_output(&p);
	CHECK_INT(count_lines(out, "\"rule\":\"big\""), 2);
	CHECK_CONTAINS(out, later);
	REQUIRE(sqlite3_prepare_v2(p.db, "SELECT id, count, status FROM "
	    "alerts ORDER BY ts", -1, &st, NULL) == SQLITE_OK);
	REQUIRE(sqlite3_step(st) == SQLITE_ROW);
	CHECK_STR((const char *)sqlite3_column_text(st, 0), first);
	CHECK_INT(sqlite3_column_int(st, 1), 2);
	CHECK_STR((const char *)sqlite3_column_text(st, 2),
	    "closed_false_positive");
	REQUIRE(sqlite3_step(st) == SQLITE_ROW);
	CHECK_STR((const char *)sqlite3_column_text(st, 0), later);
	CHECK_INT(sqlite3_column_int(st, 1), 1);
	CHECK_STR((const char *)sqlite3_column_text(st, 2), "open");
	CHECK(sqlite3_step(st) == SQLITE_DONE);
	sqlite3_finalize(st);
	pipe_close(&p);
}

/*
 * Events an agent folded (docs/events.md, `count`). The hour's features
 * of three statements sent one by one (ana) and of the same three folded
 * into one event (ben) are the same - queries counts statements, rows
 * and bytes are totals; `count` and `max_rows` are fields of event rules
 * (1 and the rows read for a single statement); count() counts
 * statements; and a "one huge query" rule on max_rows does not fire on
 * 500 statements of at most 1,000 rows each (cat) but does on one of
 * 6,000 (dan).
 */
static const char agg_rules[] =
    "rule hourly {\n  on hour\n  when 1\n  severity low\n"
    "  summary \"{employee} q={value(queries, hour)} "
    "rows={value(rows, hour)} bytes={value(result_bytes, hour)} "
    "sens={value(rows.sensitive, hour)}\"\n  suppress 1s\n}\n"
    "rule one_huge {\n  on event db.query\n  when max_rows >= 5000\n"
    "  severity low\n  summary \"{employee} count={count} "
    "max_rows={max_rows} rows_read={rows_read}\"\n  suppress 1s\n}\n"
    "rule many {\n  on event db.query\n  when count(1h) >= 500\n"
    "  severity low\n  summary \"{employee} {count(1h)} statements\"\n"
    "  suppress 1h\n}\n";

static int
agg_query(struct pipe *p, const char *user, const char *ip, int sec,
    const char *extra)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "{\"type\":\"db.query\",\"ts\":"
	    "\"2026-01-05T10:00:%02d.000000Z\",\"db_system\":\"postgresql\","
	    "\"client\":\"%s:4000\",\"db_user\":\"%s\",\"command\":"
	    "\"SELECT\",\"statement\":\"SELECT * FROM crm.customers WHERE "
	    "id = ?\",\"fingerprint\":\"00000000000000ab\",\"tables\":"
	    "[\"crm.customers\"],%s,\"status\":\"ok\"}", sec, ip, user,
	    extra);
	return pipe_event(p, buf);
}

static void
test_aggregate(void)
{
	struct pipe p;
	const char *out;

	REQUIRE(pipe_open(&p, agg_rules, NULL) == 0);
	CHECK_INT(agg_query(&p, "u_ana", "10.0.0.1", 1,
	    "\"rows_returned\":2,\"bytes\":200"), 0);
	CHECK_INT(agg_query(&p, "u_ana", "10.0.0.1", 4,
	    "\"rows_returned\":3,\"bytes\":300"), 0);
	CHECK_INT(agg_query(&p, "u_ana", "10.0.0.1", 8,
	    "\"rows_returned\":1,\"bytes\":100"), 0);
	CHECK_INT(agg_query(&p, "u_ben", "10.0.0.2", 8,
	    "\"rows_returned\":6,\"bytes\":600,\"count\":3,"
	    "\"first_ts\":\"2026-01-05T10:00:01.000000Z\",\"max_rows\":3"), 0);
	CHECK_INT(agg_query(&p, "u_cat", "10.0.0.3", 9,
	    "\"rows_returned\":400000,\"bytes\":4000000,\"count\":500,"
	    "\"first_ts\":\"2026-01-05T10:00:00.000000Z\",\"max_rows\":1000"),
	    0);
	CHECK_INT(agg_query(&p, "u_dan", "10.0.0.4", 9,
	    "\"rows_returned\":6000,\"bytes\":60000"), 0);
	out = pipe_output(&p);
	CHECK_CONTAINS(out, "\"summary\":\"ana q=3 rows=6 bytes=600 "
	    "sens=6\"");
	CHECK_CONTAINS(out, "\"summary\":\"ben q=3 rows=6 bytes=600 "
	    "sens=6\"");
	CHECK_CONTAINS(out, "\"summary\":\"cat q=500 rows=400,000 "
	    "bytes=4,000,000 sens=400,000\"");
	CHECK_INT(count_lines(out, "\"rule\":\"one_huge\""), 1);
	CHECK_CONTAINS(out, "\"summary\":\"dan count=1 max_rows=6,000 "
	    "rows_read=6,000\"");
	CHECK_INT(count_lines(out, "\"rule\":\"many\""), 1);
	CHECK_CONTAINS(out, "\"summary\":\"cat 500 statements\"");
	pipe_close(&p);
}

/*
 * The most rows one statement of an event read: all of a single
 * statement's; an aggregate's max_rows when its reads are returned rows
 * (never above the total); else the average, rounded up.
 */
static void
test_max_rows(void)
{
	static const char *const ev[] = {
		"\"command\":\"SELECT\",\"rows_returned\":7",
		"\"command\":\"SELECT\",\"rows_returned\":70,\"count\":10,"
		    "\"max_rows\":9",
		"\"command\":\"SELECT\",\"rows_returned\":5,\"count\":10,"
		    "\"max_rows\":9",
		"\"command\":\"SELECT\",\"rows_returned\":71,\"count\":10",
		"\"command\":\"INSERT\",\"statement\":\"INSERT INTO t SELECT * "
		    "FROM crm.customers\",\"rows_affected\":400,\"count\":4,"
		    "\"max_rows\":0",
	};
	static const double want[][2] = {
		{ 1, 7 }, { 10, 9 }, { 10, 5 }, { 10, 8 }, { 4, 100 },
	};
	char buf[512], why[256];
	struct lw_event *e;
	double rows;
	size_t i;

	for (i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
		snprintf(buf, sizeof(buf), "{\"type\":\"db.query\",\"ts\":"
		    "\"2026-01-05T10:00:00.000000Z\",\"db_system\":"
		    "\"postgresql\",\"db_user\":\"u\",%s,\"status\":\"ok\"}",
		    ev[i]);
		REQUIRE((e = lw_event_parse(buf, strlen(buf), why,
		    sizeof(why))) != NULL);
		rows = 0;
		lw_event_num(e, "rows_returned", &rows);
		if (i == 4)
			rows = 400;
		CHECK(features_count(e) == want[i][0]);
		if (features_max_rows(e, rows) != want[i][1])
			FAILF("event %zu: max_rows %g, want %g", i,
			    features_max_rows(e, rows), want[i][1]);
		lw_event_free(e);
	}
}

static const struct test tests[] = {
	{ "aggregate", test_aggregate },
	{ "max_rows", test_max_rows },
	{ "parse_ok", test_parse_ok },
	{ "parse_errors", test_parse_errors },
	{ "parse_depth", test_parse_depth },
	{ "parse_long_chains", test_parse_long_chains },
	{ "load_dir", test_load_dir },
	{ "load_dir_empty", test_load_dir_empty },
	{ "eval", test_eval },
	{ "merge_and_risk", test_merge_and_risk },
	{ "closed_not_merged", test_closed_not_merged },
	{ "reload_updates_people", test_reload_updates_people },
	{ "leave_when", test_leave_when },
	{ "if", test_if },
};

HARNESS_MAIN(tests)
