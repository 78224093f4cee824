/*
 * Tests of agent/decode-pglog.c, the PostgreSQL log formats, through the
 * same path the log source uses (format -> db_query_event()): the
 * fixtures under tests/data/dblog/ were written by a real PostgreSQL 15
 * with pgaudit 1.7 (log_rows on) in stderr, csvlog and jsonlog at once,
 * so the three readers must agree event for event; statements come out
 * normalised (no literal of the fixtures survives), FETCH inherits its
 * DECLARE's command and tables, what pgaudit cannot count is partial,
 * failed statements carry their SQLSTATE, and restarting at any event's
 * position yields exactly the events after it. Hand-made lines cover
 * what the fixtures do not: quoted newlines, broken quoting, OBJECT
 * lines, log_statement_once and time zones.
 */
#include "harness.h"
#include "../../agent/agent.h"
#include "leakwatch/event.h"

#define MAXEV	256

#include "dblog_helper.h"

static char prefix_buf[256];

static void
set_prefix(const char *p)
{
	snprintf(prefix_buf, sizeof(prefix_buf), "%s", p);
	cfg.log_line_prefix = prefix_buf;
}

/* Sum of rows_returned over events holding every needle. */
static long long
rows_of(const char *a, const char *b)
{
	long long sum = 0;
	const char *p;
	int i;

	for (i = 0; i < nev; i++)
		if (strstr(ev[i], a) != NULL && (b == NULL ||
		    strstr(ev[i], b) != NULL) &&
		    (p = strstr(ev[i], "\"rows_returned\":")) != NULL)
			sum += strtoll(p + 16, NULL, 10);
	return sum;
}

/* What every reader must find in the fixtures of the same workload. */
static void
check_workload(int has_sqlstate)
{
	const char *e;

	CHECK_INT(count("\"db_user\":\"alice\""), 3);
	e = find("\"statement\":\"SELECT * FROM crm.customers\"");
	REQUIRE(e != NULL);
	CHECK_CONTAINS(e, "\"rows_returned\":3000");
	CHECK_CONTAINS(e, "\"client\":\"127.0.0.1:50892\"");
	CHECK_CONTAINS(e, "\"session_id\":\"17955\"");
	CHECK_CONTAINS(e, "\"database\":\"crm\"");
	CHECK_CONTAINS(e, "\"app_name\":\"psql\"");
	CHECK_CONTAINS(e, "\"ts\":\"2026-11-30T15:53:17.226000Z\"");
	CHECK_CONTAINS(e, "\"tables\":[\"crm.customers\"]");
	CHECK_CONTAINS(e, "\"partial\":false");
	CHECK_CONTAINS(e, "\"source\":\"log\"");
	/* The multi-line statement, normalised: no literal survives. */
	CHECK(find("\"statement\":\"SELECT id FROM crm.customers WHERE "
	    "email = ? AND id > ?\"") != NULL);
	/* The failed statement (pgaudit does not log it). */
	e = find("crm.nosuch");
	REQUIRE(e != NULL);
	CHECK_CONTAINS(e, "\"status\":\"error\"");
	if (has_sqlstate)
		CHECK_CONTAINS(e, "\"error_code\":\"42P01\"");
	/* bob over the Unix socket: no client address. */
	e = find("\"statement\":\"COPY crm.customers TO STDOUT\"");
	REQUIRE(e != NULL);
	CHECK(strstr(e, "\"client\"") == NULL);
	CHECK_CONTAINS(e, "\"partial\":true");	/* pgaudit counts none */
	/* COPY (query): the SELECT inside is counted. */
	CHECK_INT(rows_of("\"db_user\":\"bob\"", "COPY (SELECT"), 9);
	/* FETCHes read what their DECLARE reads; rows unknown. */
	CHECK_INT(count("\"statement\":\"FETCH ? FROM cur\",\"fingerprint\""),
	    4);
	e = find("\"statement\":\"FETCH ? FROM cur\"");
	REQUIRE(e != NULL);
	CHECK_CONTAINS(e, "\"command\":\"SELECT\"");
	CHECK_CONTAINS(e, "\"tables\":[\"crm.customers\"]");
	CHECK_CONTAINS(e, "\"partial\":true");
	CHECK_INT(count("FETCH FORWARD ? FROM _psql_cursor"), 4);
	/* Writes count as affected rows. */
	e = find("\"command\":\"UPDATE\"");
	REQUIRE(e != NULL);
	CHECK_CONTAINS(e, "\"rows_affected\":4");
	CHECK_CONTAINS(e, "\"rows_returned\":0");
	/* No literal of the workload anywhere. */
	CHECK_INT(count("x@y.org"), 0);
	CHECK_INT(count("'zz'"), 0);
	CHECK_INT(count("zz"), 0);
	CHECK_INT(count("example.org"), 0);
}

/*
 * For each event, a reader started at its position must produce exactly
 * the events after it: the spool's resume contract.
 */
/*
 * An event's identity for the resume check: time, session, statement
 * and counts. (A FETCH whose DECLARE is before the resume point loses
 * its inherited command and tables, a documented limit.)
 */
static void
ident(const char *e, char *out, size_t len)
{
	static const char *const keys[] = { "\"ts\":", "\"session_id\":",
	    "\"fingerprint\":", "\"rows_returned\":", "\"rows_affected\":",
	    "\"status\":" };
	size_t i, o = 0;
	const char *p;
	int n;

	out[0] = '\0';
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if ((p = strstr(e, keys[i])) == NULL)
			continue;
		n = (int)strcspn(p, ",}");
		o += (size_t)snprintf(out + o, len - o, "%.*s;", n, p);
		if (o >= len)
			return;
	}
}

static void
check_resume(const struct dblog_format *f, const char *buf, size_t len)
{
	char a[512], b[512];
	char *all[MAXEV];
	uint64_t pos[MAXEV];
	int n, i, j;

	reset();
	feed(f, buf, len, 0);
	n = nev;
	for (i = 0; i < n; i++) {
		all[i] = ev[i];
		pos[i] = evpos[i];
		ev[i] = NULL;
	}
	nev = 0;
	for (i = 0; i < n; i++) {
		if (i > 0 && pos[i] < pos[i - 1])
			FAILF("positions go back at event %d", i);
		reset();
		feed(f, buf, len, (size_t)pos[i]);
		/* Events sharing a position (one record) go together. */
		for (j = i + 1; j < n && pos[j] == pos[i]; j++)
			;
		if (nev != n - j) {
			FAILF("resume at event %d (byte %" PRIu64 "): %d "
			    "events, expected %d", i, pos[i], nev, n - j);
			break;
		}
		for (; j < n; j++) {
			ident(ev[j - (n - nev)], a, sizeof(a));
			ident(all[j], b, sizeof(b));
			if (strcmp(a, b) != 0) {
				FAILF("resume at event %d: event %d differs",
				    i, j);
				break;
			}
		}
	}
	for (i = 0; i < n; i++)
		free(all[i]);
}

static void
test_json(void)
{
	size_t len;
	char *b = slurp("pg.json", &len);

	REQUIRE(b != NULL);
	reset();
	feed(&dblog_pgjson, b, len, 0);
	CHECK_INT(nbad, 0);
	CHECK_INT(nev, 23);
	check_workload(1);
	check_resume(&dblog_pgjson, b, len);
	reset();
	free(b);
}

/* csvlog and jsonlog of the same server: the same events, exactly. */
static void
test_csv(void)
{
	size_t len, jlen;
	char *b = slurp("pg.csv", &len), *j = slurp("pg.json", &jlen);
	char *jev[MAXEV];
	int n, i;

	REQUIRE(b != NULL && j != NULL);
	reset();
	feed(&dblog_pgjson, j, jlen, 0);
	n = nev;
	for (i = 0; i < n; i++) {
		jev[i] = ev[i];
		ev[i] = NULL;
	}
	nev = 0;
	reset();
	feed(&dblog_pgcsv, b, len, 0);
	CHECK_INT(nbad, 0);
	CHECK_INT(nev, n);
	for (i = 0; i < n && i < nev; i++)
		CHECK_STR(ev[i], jev[i]);
	check_workload(1);
	check_resume(&dblog_pgcsv, b, len);
	for (i = 0; i < n; i++)
		free(jev[i]);
	reset();
	free(b);
	free(j);
}

static void
feed_str(const struct dblog_format *f, const char *s)
{
	feed(f, s, strlen(s), 0);
}

static void
test_stderr(void)
{
	size_t len;
	char *b = slurp("pg-stderr.log", &len);
	const char *e;

	REQUIRE(b != NULL);
	reset();
	set_prefix("%m [%p] %q%u@%d %a %r ");
	feed(&dblog_pgaudit, b, len, 0);
	CHECK_INT(nbad, 0);
	CHECK_INT(nev, 23);
	check_workload(0);
	/* The multi-line record ends after its continuation line. */
	e = strstr(b, "\t  AND id > 5\",<not logged>,0\n");
	REQUIRE(e != NULL);
	CHECK_INT(evpos[1], (uint64_t)(e - b) + strlen("\t  AND id > 5\","
	    "<not logged>,0\n"));
	reset();
	set_prefix("%m [%p] %q%u@%d %a %r ");
	check_resume(&dblog_pgaudit, b, len);
	/* A prefix that does not match the server's: one is read from the
	 * first pgaudit line, said, and gives the same events. */
	reset();
	set_prefix("%t [%p]: user=%u,db=%d ");
	feed(&dblog_pgaudit, b, len, 0);
	CHECK_INT(nbad, 0);
	CHECK_INT(nev, 23);
	check_workload(0);
	REQUIRE(nnote == 2);
	CHECK_STR(notes[0], "log lines do not match log-line-prefix "
	    "'%t [%p]: user=%u,db=%d ': decoding them with "
	    "'%m [%p] %u@%d %a %r ', read from the log; set log-line-prefix "
	    "to the server's log_line_prefix");
	CHECK_STR(notes[1], "22 of 22 pgaudit lines do not match "
	    "log-line-prefix '%t [%p]: user=%u,db=%d ': 22 decoded with "
	    "'%m [%p] %u@%d %a %r ', read from the log, 0 not decoded; set "
	    "log-line-prefix to the server's log_line_prefix");
	reset();
	free(b);
}

/*
 * tests/data/dblog/pg-prefix.log: a real PostgreSQL 15 with pgaudit 1.7
 * and log_line_prefix = '%m [%p] %u@%d %a %h ', nine lines, three of
 * them pgaudit SELECTs of 4,321, 4,221 and 2,160 rows. The agent's
 * prefix (Debian's default here) does not match: the lines are counted,
 * the prefix is read from them and named, and the events are exact.
 */
static void
test_prefix_inferred(void)
{
	static const long long rows[] = { 4321, 4221, 2160 };
	static const char *const pids[] = { "9338", "9340", "9342" };
	char want[64];
	size_t len;
	char *b = slurp("pg-prefix.log", &len);
	int i;

	REQUIRE(b != NULL);
	reset();
	cfg.log_line_prefix = NULL;	/* the default */
	feed(&dblog_pgaudit, b, len, 0);
	CHECK_INT(nbad, 0);
	CHECK_INT(nev, 3);
	for (i = 0; i < nev && i < 3; i++) {
		snprintf(want, sizeof(want), "\"rows_returned\":%lld,",
		    rows[i]);
		CHECK_CONTAINS(ev[i], want);
		snprintf(want, sizeof(want), "\"session_id\":\"%s\"",
		    pids[i]);
		CHECK_CONTAINS(ev[i], want);
		CHECK_CONTAINS(ev[i], "\"db_user\":\"alice\"");
		CHECK_CONTAINS(ev[i], "\"database\":\"crm\"");
		CHECK_CONTAINS(ev[i], "\"app_name\":\"psql\"");
		CHECK_CONTAINS(ev[i], "\"client\":\"127.0.0.1\"");
		CHECK_CONTAINS(ev[i], "\"tables\":[\"crm.customers\"]");
		CHECK_CONTAINS(ev[i], "\"partial\":false");
	}
	CHECK(find("\"ts\":\"2026-12-07T01:33:20.835000Z\"") != NULL);
	CHECK_INT(count("4779"), 0);	/* literals normalised away */
	REQUIRE(nnote == 2);
	CHECK_STR(notes[0], "log lines do not match log-line-prefix "
	    "'%m [%p] %q%u@%d ': decoding them with '%m [%p] %u@%d %a %h ', "
	    "read from the log; set log-line-prefix to the server's "
	    "log_line_prefix");
	CHECK_STR(notes[1], "3 of 3 pgaudit lines do not match "
	    "log-line-prefix '%m [%p] %q%u@%d ': 3 decoded with "
	    "'%m [%p] %u@%d %a %h ', read from the log, 0 not decoded; set "
	    "log-line-prefix to the server's log_line_prefix");
	check_resume(&dblog_pgaudit, b, len);
	/* The server's prefix set: the same events, nothing to say. */
	reset();
	set_prefix("%m [%p] %u@%d %a %h ");
	feed(&dblog_pgaudit, b, len, 0);
	CHECK_INT(nev, 3);
	CHECK_INT(rows_of("\"db_user\":\"alice\"", NULL), 4321 + 4221 + 2160);
	CHECK_INT(nnote, 0);
	/* "[local]" reads as %h; a later address with a port makes it %r,
	 * the name the summary gives. */
	reset();
	cfg.log_line_prefix = NULL;
	feed_str(&dblog_pgaudit,
	    "2026-12-07 01:33:20.835 UTC [9338] bob@crm psql [local] LOG:  "
	    "AUDIT: SESSION,1,1,READ,SELECT,,,SELECT 1,<not logged>,1\n"
	    "2026-12-07 01:33:21.835 UTC [9339] bob@crm psql 10.0.0.9(5000) "
	    "LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,SELECT 2,<not logged>,2\n");
	CHECK_INT(nev, 2);
	CHECK(find("\"client\":\"10.0.0.9:5000\"") != NULL);
	REQUIRE(nnote == 2);
	CHECK_STR(notes[0], "log lines do not match log-line-prefix "
	    "'%m [%p] %q%u@%d ': decoding them with '%m [%p] %u@%d %a %h ', "
	    "read from the log; set log-line-prefix to the server's "
	    "log_line_prefix");
	CHECK_STR(notes[1], "2 of 2 pgaudit lines do not match "
	    "log-line-prefix '%m [%p] %q%u@%d ': 2 decoded with "
	    "'%m [%p] %u@%d %a %r ', read from the log, 0 not decoded; set "
	    "log-line-prefix to the server's log_line_prefix");
	reset();
	free(b);
}

/*
 * pgaudit lines whose prefix cannot be read (no time stamp, a character
 * no log_line_prefix escape writes): counted, each bad with the reason
 * and the setting to change, the summary says none was decoded, and no
 * event comes out.
 */
static void
test_prefix_garbage(void)
{
	reset();
	cfg.log_line_prefix = NULL;	/* the default */
	feed_str(&dblog_pgaudit,
	    "garbage [9338] alice@crm LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,"
	    "SELECT * FROM crm.customers,<not logged>,4321\n"
	    "2026-12-07 01:33:20.9 UTC (garbage) LOG:  statement: SELECT 1\n"
	    "@@ 2026-12-07 01:33:21.034 UTC [9342] LOG:  AUDIT: SESSION,1,1,"
	    "READ,SELECT,,,SELECT 1,<not logged>,2160\n");
	CHECK_INT(nev, 0);
	CHECK_INT(nbad, 2);
	CHECK_STR(lastbad, "a pgaudit line does not match log-line-prefix "
	    "'%m [%p] %q%u@%d ' and no prefix can be read from it (a "
	    "character the prefix cannot hold): set log-line-prefix to the "
	    "server's log_line_prefix (SHOW log_line_prefix)");
	REQUIRE(nnote == 1);
	CHECK_STR(notes[0], "2 of 2 pgaudit lines do not match "
	    "log-line-prefix '%m [%p] %q%u@%d ' and none could be decoded: "
	    "set log-line-prefix to the server's log_line_prefix (SHOW "
	    "log_line_prefix)");
	reset();
	cfg.log_line_prefix = NULL;
	feed_str(&dblog_pgaudit,
	    "garbage [9338] alice@crm LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,"
	    "SELECT 1,<not logged>,4321\n");
	CHECK_STR(lastbad, "a pgaudit line does not match log-line-prefix "
	    "'%m [%p] %q%u@%d ' and no prefix can be read from it (no time "
	    "stamp (%m, %t or %n) before the severity): set log-line-prefix "
	    "to the server's log_line_prefix (SHOW log_line_prefix)");
	CHECK_INT(nev, 0);
	reset();
}

/* log_line_prefix settings found in the field, read back from a line. */
static void
test_prefix_infer(void)
{
	static const struct {
		const char	*line;
		const char	*prefix;	/* NULL: none */
	} t[] = {
		{ "2026-12-07 01:33:20.835 UTC [9338] alice@crm ",
		    "%m [%p] %u@%d " },
		{ "2026-11-30 15:53:17.226 UTC [17955] alice@crm psql "
		    "127.0.0.1(50892) 00000 ", "%m [%p] %u@%d %a %r %e " },
		{ "2026-11-30 15:53:17.226 UTC [18025] bob@crm psql [local] ",
		    "%m [%p] %u@%d %a %h " },
		/* pgbadger's recommendations */
		{ "2026-12-07 01:33:20 UTC [9338]: user=alice,db=crm,app=psql,"
		    "client=10.1.2.3 ", "%t [%p]: user=%u,db=%d,app=%a,"
		    "client=%h " },
		{ "2026-12-07 01:33:20 UTC [9338]: [3-1] user=alice,db=crm ",
		    "%t [%p]: [%l-1] user=%u,db=%d " },
		{ "2026-12-07 01:33:20.835 +07 [9338] ::1(40000) alice crm ",
		    "%m [%p] %r %u %d " },
		{ "1764580400.835 6567a1b2.4a2c 3/17 alice@[unknown] ",
		    "%n %c %v %u@%d " },
		{ "2026-12-07 01:33:20 CET 2026-12-07 01:30:00 CET 9338 42 "
		    "17 % ", "%t %s %p %l %x %% " },
		/* No time: the events need one. */
		{ "[9338] alice@crm psql ", NULL },
		{ "garbage ", NULL },
		{ "2026-12-07 01:33:20.835 UTC \x01 ", NULL },
		{ "2026-12-07 01:33:20.835 UTC [9338] a b c d e ", NULL },
		{ "", NULL },
	};
	char out[PGLOG_PREFIX_MAX + 1], small[8];
	const char *why;
	long local_at;
	size_t i;
	int rc, audit;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		why = NULL;
		rc = pglog_prefix_infer(t[i].line, strlen(t[i].line), out,
		    sizeof(out), &local_at, &why);
		if (t[i].prefix == NULL) {
			CHECK_INT(rc, -1);
			CHECK(why != NULL);
			CHECK_STR(out, "");
		} else {
			CHECK_INT(rc, 0);
			CHECK_STR(out, t[i].prefix);
		}
	}
	/* The output is bounded. */
	rc = pglog_prefix_infer(t[1].line, strlen(t[1].line), small,
	    sizeof(small), &local_at, &why);
	CHECK_INT(rc, -1);
	CHECK_STR(why, "the prefix is too long");
	/* "[local]": %h, or %r, which prints it alike; where it is. */
	rc = pglog_prefix_infer(t[2].line, strlen(t[2].line), out,
	    sizeof(out), &local_at, &why);
	CHECK_INT(rc, 0);
	CHECK_INT(local_at, 18);
	CHECK(out[local_at] == 'h');
	rc = pglog_prefix_infer(t[1].line, strlen(t[1].line), out,
	    sizeof(out), &local_at, &why);
	CHECK_INT(local_at, -1);
	/* Where the severity of a session's line starts, if any. */
	CHECK_INT(pglog_anchor_at("x LOG:  AUDIT: SESSION,1", 24, &audit), 2);
	CHECK_INT(audit, 1);
	CHECK_INT(pglog_anchor_at("x LOG:  AUDIT: OBJECT,1", 23, &audit), 2);
	CHECK_INT(audit, 1);
	CHECK_INT(pglog_anchor_at("x y LOG:  connection authorized: user=u",
	    39, &audit), 4);
	CHECK_INT(audit, 0);
	CHECK_INT(pglog_anchor_at("x LOG:  disconnection: session time: 0",
	    38, &audit), 2);
	CHECK_INT(audit, 0);
	CHECK_INT(pglog_anchor_at("x LOG:  AUDIT: other", 20, &audit), -1);
	CHECK_INT(pglog_anchor_at("x :  AUDIT: SESSION,1", 21, &audit), -1);
	CHECK_INT(pglog_anchor_at("x LOG:  AUDIT: SESSION,1", 10, &audit),
	    -1);
}

static void
test_stderr_edges(void)
{
	const char *e;

	reset();
	set_prefix("%m [%p] %q%u@%d %a %r %e ");
	/* ERROR with %e, then its STATEMENT line (with a continuation). */
	feed_str(&dblog_pgaudit,
	    "2026-11-30 10:00:00.5 UTC [42] u@db app 10.0.0.1(5000) 42501 "
	    "ERROR:  permission denied for table secret\n"
	    "2026-11-30 10:00:00.5 UTC [42] u@db app 10.0.0.1(5000) 42501 "
	    "STATEMENT:  SELECT * FROM s.secret\n\t WHERE k = 'v'\n"
	    "2026-11-30 10:00:01 UTC [42] u@db app 10.0.0.1(5000) 00000 "
	    "LOG:  AUDIT: OBJECT,1,1,READ,SELECT,TABLE,s.t,SELECT 1,"
	    "<not logged>,1\n"
	    "2026-11-30 10:00:02 UTC [42] u@db app 10.0.0.1(5000) 00000 "
	    "LOG:  AUDIT: SESSION,2,1,READ,SELECT,,,SELECT 'lit',"
	    "<not logged>\n"
	    "2026-11-30 10:00:03 UTC [42] u@db app 10.0.0.1(5000) 00000 "
	    "LOG:  AUDIT: SESSION,2,2,READ,SELECT,,,<previously logged>,"
	    "<not logged>,7\n"
	    "2026-11-30 10:00:04 UTC [43] u@db app 10.0.0.1(5001) 00000 "
	    "LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,\"SELECT \"\"a,b\"\" "
	    "FROM t\",<not logged>,2\n"
	    "2026-11-30 10:00:05 UTC [43] u@db app 10.0.0.1(5001) 00000 "
	    "LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,\"SELECT broken,"
	    "<not logged>,2\n"
	    "2026-11-30 10:00:06 UTC [43] u@db app 10.0.0.1(5001) 00000 "
	    "LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,SELECT 1,<not logged>,"
	    "notanumber\n"
	    "2026-11-30 10:00:07 UTC [44] u@db app ::1(5002) 00000 "
	    "LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,SELECT 2,<not logged>,"
	    "1\n");
	CHECK_INT(nev, 5);
	CHECK(find("\"client\":\"[::1]:5002\"") != NULL);
	CHECK_INT(nbad, 2);
	e = find("\"status\":\"error\"");
	REQUIRE(e != NULL);
	CHECK_CONTAINS(e, "\"error_code\":\"42501\"");
	CHECK_CONTAINS(e, "\"statement\":\"SELECT * FROM s.secret WHERE "
	    "k = ?\"");
	CHECK_CONTAINS(e, "\"client\":\"10.0.0.1:5000\"");
	CHECK_CONTAINS(e, "\"ts\":\"2026-11-30T10:00:00.500000Z\"");
	/* No rows field (log_rows off): partial. */
	e = find("\"ts\":\"2026-11-30T10:00:02.000000Z\"");
	REQUIRE(e != NULL);
	CHECK_CONTAINS(e, "\"partial\":true");
	CHECK_CONTAINS(e, "\"statement\":\"SELECT ?\"");
	/* log_statement_once: the text of the statement's first line. */
	e = find("\"ts\":\"2026-11-30T10:00:03.000000Z\"");
	REQUIRE(e != NULL);
	CHECK_CONTAINS(e, "\"statement\":\"SELECT ?\"");
	CHECK_CONTAINS(e, "\"rows_returned\":7");
	CHECK(find("\"statement\":\"SELECT \\\"a,b\\\" FROM public.t\"") !=
	    NULL || find("a,b") != NULL);
	CHECK_INT(count("lit"), 0);
	CHECK_INT(count("'v'"), 0);
	reset();
}

static void
test_csv_edges(void)
{
	reset();
	/* A quoted message over two lines; a row with broken quoting; a
	 * row with too few fields. */
	feed_str(&dblog_pgcsv,
	    "2026-11-30 10:00:00.000 UTC,\"u\",\"d\",7,\"[local]\",s.1,1,"
	    "\"SELECT\",2026-11-30 10:00:00 UTC,3/1,0,LOG,00000,\"AUDIT: "
	    "SESSION,1,1,READ,SELECT,,,\"\"SELECT a\n  FROM t WHERE b = "
	    "'q'\"\",<not logged>,5\",,,,,,,,,\"app\",\"client backend\",,0\n"
	    "2026-11-30 10:00:00.000 UTC,\"u\",\"d\",7,\"[local]\",s.1,1,"
	    "\"SELECT\",2026-11-30 10:00:00 UTC,3/1,0,LOG,00000,\"AUDIT\"x,"
	    ",,,,,,,,,\"app\",\"client backend\",,0\n"
	    "2026-11-30 10:00:00.000 UTC,\"u\",\"d\"\n");
	CHECK_INT(nev, 1);
	CHECK_INT(nbad, 2);
	REQUIRE(nev == 1);
	CHECK_CONTAINS(ev[0], "\"statement\":\"SELECT a FROM t WHERE b = ?\"");
	CHECK_CONTAINS(ev[0], "\"tables\":[\"public.t\"]");
	CHECK_CONTAINS(ev[0], "\"rows_returned\":5");
	CHECK_CONTAINS(ev[0], "\"app_name\":\"app\"");
	reset();
}

/* A record over DBLOG_RECORD_MAX is skipped whole and counted; the
 * next one is read. */
/* log_connections, log_disconnections, failed logins (csv). */
static void
test_sessions(void)
{
	reset();
	feed_str(&dblog_pgcsv,
	    "2026-11-30 10:00:00.000 UTC,\"u\",\"crm\",7,\"10.0.0.1:5000\","
	    "s.1,1,\"authentication\",2026-11-30 10:00:00 UTC,3/1,0,LOG,"
	    "00000,\"connection authorized: user=u database=crm "
	    "application_name=psql SSL enabled (protocol=TLSv1.3)\",,,,,,,,,"
	    "\"psql\",\"client backend\",,0\n"
	    "2026-11-30 10:00:01.000 UTC,\"u\",\"crm\",7,\"10.0.0.1:5000\","
	    "s.1,2,\"idle\",2026-11-30 10:00:00 UTC,,0,LOG,00000,"
	    "\"disconnection: session time: 0:00:01.000 user=u database=crm "
	    "host=10.0.0.1 port=5000\",,,,,,,,,\"psql\",\"client backend\","
	    ",0\n"
	    "2026-11-30 10:00:02.000 UTC,\"m\",\"crm\",8,\"10.0.0.1:5001\","
	    "s.2,1,\"authentication\",2026-11-30 10:00:02 UTC,3/2,0,FATAL,"
	    "28P01,\"password authentication failed for user \"\"m\"\"\","
	    "\"Connection matched pg_hba.conf line 3\",,,,,,,,\"\",\"client "
	    "backend\",,0\n"
	    "2026-11-30 10:00:03.000 UTC,\"m\",\"crm\",9,\"10.0.0.1:5002\","
	    "s.3,1,\"SELECT\",2026-11-30 10:00:03 UTC,3/2,0,FATAL,57P01,"
	    "\"terminating connection due to administrator command\",,,,,,,,,"
	    "\"\",\"client backend\",,0\n"
	    "2026-11-30 10:00:04.000 UTC,\"u\",\"crm\",10,\"::1:5003\","
	    "s.4,1,\"authentication\",2026-11-30 10:00:04 UTC,3/1,0,LOG,"
	    "00000,\"connection authorized: user=u database=crm\",,,,,,,,,"
	    "\"\",\"client backend\",,0\n");
	CHECK_INT(nbad, 0);
	CHECK_INT(nev, 0);
	CHECK_INT(nsess, 4);
	REQUIRE(nsess == 4);
	CHECK_CONTAINS(sess[3], "\"client\":\"[::1]:5003\"");
	CHECK_CONTAINS(sess[0], "\"action\":\"connect\"");
	CHECK_CONTAINS(sess[0], "\"client\":\"10.0.0.1:5000\"");
	CHECK_CONTAINS(sess[0], "\"session_id\":\"7\"");
	CHECK_CONTAINS(sess[1], "\"action\":\"disconnect\"");
	CHECK_CONTAINS(sess[2], "\"action\":\"auth_failed\"");
	CHECK_CONTAINS(sess[2], "\"error_code\":\"28P01\"");
	CHECK(strstr(sess[2], "matched") == NULL);
	reset();
}

/*
 * A failed login's user name is the client's to choose: ESC, CR LF and
 * a forged syslog header in it reach the auth_failed event escaped
 * (lib/text.c), in all three log formats, and the event is kept.
 */
#define EVIL_ESC	"m\\\\x1b[2J"
#define EVIL_CRLF	"\\\\x0d\\\\x0a<13>1 2026-11-30T10:00:02Z h x - - " \
	"forged"

static void
check_evil_login(const char *what, const char *want_user)
{
	const char *u;
	size_t i;

	if (nsess != 1) {
		FAILF("%s: %d session events, expected 1", what, nsess);
		return;
	}
	CHECK_CONTAINS(sess[0], "\"action\":\"auth_failed\"");
	if ((u = strstr(sess[0], "\"db_user\":\"")) == NULL) {
		FAILF("%s: no db_user in %s", what, sess[0]);
		return;
	}
	u += strlen("\"db_user\":\"");
	if (strncmp(u, want_user, strlen(want_user)) != 0 ||
	    u[strlen(want_user)] != '"')
		FAILF("%s: db_user %.80s, expected %s", what, u, want_user);
	/* Nothing a terminal or a syslog parser obeys, raw or escaped. */
	for (i = 0; sess[0][i] != '\0'; i++)
		if ((unsigned char)sess[0][i] < 0x20 ||
		    (unsigned char)sess[0][i] == 0x7f)
			FAILF("%s: byte 0x%02x in the event", what,
			    (unsigned char)sess[0][i]);
	CHECK(strstr(sess[0], "\\u001b") == NULL);
	CHECK(strstr(sess[0], "\\r\\n") == NULL);
}

static void
test_login_user_escaped(void)
{
	reset();
	feed_str(&dblog_pgcsv,
	    "2026-11-30 10:00:02.000 UTC,\"m\x1b[2J\r\n<13>1 "
	    "2026-11-30T10:00:02Z h x - - forged\",\"crm\",8,"
	    "\"10.0.0.1:5001\",s.2,1,\"authentication\","
	    "2026-11-30 10:00:02 UTC,3/2,0,FATAL,28P01,\"password "
	    "authentication failed for user \"\"m\"\"\",,,,,,,,,\"\","
	    "\"client backend\",,0\n");
	CHECK_INT(nbad, 0);
	check_evil_login("csvlog", EVIL_ESC EVIL_CRLF);
	reset();
	feed_str(&dblog_pgjson,
	    "{\"timestamp\":\"2026-11-30 10:00:02.000 UTC\",\"user\":"
	    "\"m\\u001b[2J\\r\\n<13>1 2026-11-30T10:00:02Z h x - - forged\","
	    "\"dbname\":\"crm\",\"pid\":8,\"remote_host\":\"10.0.0.1\","
	    "\"remote_port\":5001,\"session_id\":\"s.2\",\"line_num\":1,"
	    "\"ps\":\"authentication\",\"session_start\":\"2026-11-30 "
	    "10:00:02 UTC\",\"vxid\":\"3/2\",\"txid\":0,\"error_severity\":"
	    "\"FATAL\",\"state_code\":\"28P01\",\"message\":\"password "
	    "authentication failed for user \\\"m\\\"\",\"backend_type\":"
	    "\"client backend\",\"query_id\":0}\n");
	CHECK_INT(nbad, 0);
	check_evil_login("jsonlog", EVIL_ESC EVIL_CRLF);
	/* stderr: a line ends the record, so ESC and a C1 CSI in it. */
	reset();
	set_prefix("%m [%p] %q%u@%d %a %r ");
	feed_str(&dblog_pgaudit,
	    "2026-11-30 10:00:02.000 UTC [8] m\x1b[2J\xc2\x9b" "31m@crm "
	    "[unknown] 10.0.0.1(5001) FATAL:  password authentication "
	    "failed for user \"m\"\n");
	CHECK_INT(nbad, 0);
	check_evil_login("stderr", EVIL_ESC "\\\\u009b31m");
	reset();
}

static void
test_overlong(void)
{
	static const char head[] = "2026-11-30 10:00:00.000 UTC,\"u\",\"d\",7,"
	    "\"[local]\",s.1,1,\"SELECT\",2026-11-30 10:00:00 UTC,3/1,0,LOG,"
	    "00000,\"AUDIT: SESSION,1,1,READ,SELECT,,,\"\"SELECT ";
	static const char tail[] = "\"\",<not logged>,5\",,,,,,,,,\"app\","
	    "\"client backend\",,0\n";
	size_t big = DBLOG_RECORD_MAX + 100, len = 0, i;
	char *b = malloc(2 * (sizeof(head) + sizeof(tail)) + big + 16);

	REQUIRE(b != NULL);
	memcpy(b + len, head, sizeof(head) - 1);
	len += sizeof(head) - 1;
	/* A long statement over many lines (a quoted field goes on). */
	for (i = 0; i < big; i++)
		b[len++] = i % 100 == 99 ? '\n' : 'x';
	memcpy(b + len, tail, sizeof(tail) - 1);
	len += sizeof(tail) - 1;
	memcpy(b + len, head, sizeof(head) - 1);
	len += sizeof(head) - 1;
	memcpy(b + len, "1", 1);
	len += 1;
	memcpy(b + len, tail, sizeof(tail) - 1);
	len += sizeof(tail) - 1;
	reset();
	feed(&dblog_pgcsv, b, len, 0);
	CHECK_INT(nbad, 1);
	CHECK_INT(nev, 1);
	if (nev == 1) {
		CHECK_CONTAINS(ev[0], "\"statement\":\"SELECT ?\"");
		CHECK_INT(evpos[0], len);
	}
	reset();
	free(b);
}

static void
test_ts(void)
{
	int64_t us;

	CHECK_INT(dblog_ts("2026-11-30 15:53:17.226 UTC", 27, 0, &us), 0);
	CHECK_INT(us, 1796053997226000LL);
	CHECK_INT(dblog_ts("2026-11-30 17:53:17.226 +02", 27, 0, &us), 0);
	CHECK_INT(us, 1796053997226000LL);
	CHECK_INT(dblog_ts("2026-11-30T15:53:17.226000Z", 27, 0, &us), 0);
	CHECK_INT(us, 1796053997226000LL);
	CHECK_INT(dblog_ts("2026-11-30 10:23:17.226 -05:30", 30, 0, &us), 0);
	CHECK_INT(us, 1796053997226000LL);
	CHECK_INT(dblog_ts("20261130 15:53:17", 17, 0, &us), 0);
	CHECK_INT(us, 1796053997000000LL);
	CHECK_INT(dblog_ts("2026-13-30 15:53:17", 19, 0, &us), -1);
	CHECK_INT(dblog_ts("2026-11-30", 10, 0, &us), -1);
	CHECK_INT(dblog_ts("", 0, 0, &us), -1);
	CHECK_INT(dblog_ts("2026-11-30 15:5", 15, 0, &us), -1);
}

/*
 * Cursors and COPY, from a real PostgreSQL 15 with pgaudit 1.7 and
 * auto_explain (log_analyze, log_timing off, log_format json, every
 * statement) writing the three formats at once (pg-cursors.*): a cursor
 * read forward and closed (4 FETCH 1000 of 3002 rows), one ended by
 * COMMIT (1 FETCH 1000), one rolled back (FETCH 500), one WITH HOLD
 * (FETCH 10, 20, CLOSE), one moved and read backward, COPY of a table
 * to the client, COPY (query), COPY FROM STDIN, then a disconnection
 * after 0.266 s. The first two get their totals from their plans, as
 * events of their DECLARE; the other cursors' FETCHes and the COPYs of a
 * table are told to fill() as needing the statistics.
 */
static const char *const cursor_fills[] = {
	"pending 1 carol FETCH 1000 FROM cur;",
	"pending 1 carol FETCH 1000 FROM cur;",
	"pending 1 carol FETCH 1000 FROM cur;",
	"pending 1 carol FETCH 1000 FROM cur;",
	"pending-counted 4 carol FETCH 1000 FROM cur;",
	"pending 1 carol FETCH 1000 FROM c1;",
	"pending-counted 1 carol FETCH 1000 FROM c1;",
	"pending 1 carol FETCH 500 FROM c2;",
	"pending-need 1 carol FETCH 500 FROM c2;",
	"pending 1 carol FETCH 10 FROM c4;",
	"pending 1 carol FETCH 20 FROM c4;",
	"pending-need 1 carol FETCH 10 FROM c4;",
	"pending-need 1 carol FETCH 20 FROM c4;",
	"pending 1 carol FETCH 100 FROM c5;",
	"pending 1 carol MOVE 200 IN c5;",
	"pending 1 carol FETCH BACKWARD 50 FROM c5;",
	"pending-need 1 carol FETCH 100 FROM c5;",
	"pending-need 1 carol MOVE 200 IN c5;",
	"pending-need 1 carol FETCH BACKWARD 50 FROM c5;",
	"need 1 carol COPY crm.customers TO STDOUT;",
	"need 1 carol COPY crm.customers (id, name) FROM STDIN;",
};

static void
check_cursors(const struct dblog_format *f, const char *file)
{
	size_t len, i, nf = sizeof(cursor_fills) / sizeof(cursor_fills[0]);
	char *b = slurp(file, &len);
	const char *e;

	REQUIRE(b != NULL);
	reset();
	set_prefix("%m [%p] %q%u@%d %a %r %e ");
	feed(f, b, len, 0);
	CHECK_INT(nbad, 0);
	/* The totals: 3002 and 1000 from the plans, 99 from COPY (query)'s
	 * SELECT line, 1 from the pg_sleep; nothing else counted. */
	CHECK_INT(rows_of("\"db_user\":\"carol\"", NULL), 4102);
	CHECK_INT(count("\"statement\":\"DECLARE cur NO SCROLL CURSOR"), 2);
	CHECK_INT(rows_of("\"statement\":\"DECLARE cur NO SCROLL", NULL),
	    3002);
	CHECK_INT(count("\"rows_returned\":3002"), 1);
	e = find("\"rows_returned\":3002");
	CHECK_CONTAINS(e, "\"command\":\"SELECT\"");
	CHECK_CONTAINS(e, "\"tables\":[\"crm.customers\"]");
	CHECK_CONTAINS(e, "\"partial\":false");
	CHECK_CONTAINS(e, "\"duration_us\":");
	CHECK_INT(rows_of("\"statement\":\"DECLARE c1 CURSOR", NULL), 1000);
	/* No total for the rolled back, held and moved cursors. */
	CHECK_INT(count("\"statement\":\"DECLARE c2 CURSOR"), 1);
	CHECK_INT(count("\"statement\":\"DECLARE c4 CURSOR"), 1);
	CHECK_INT(count("\"statement\":\"DECLARE c5 SCROLL"), 1);
	/* COPY (query): counted by its SELECT line, the COPY line not
	 * partial; COPY of a table: partial. */
	CHECK_INT(rows_of("\"statement\":\"COPY (SELECT", NULL), 99);
	CHECK_INT(count("\"statement\":\"COPY (SELECT"), 2);
	CHECK_INT(count("\"partial\":true,\"source\":\"log\""), 13);
	CHECK_INT(count("\"statement\":\"COPY crm.customers TO STDOUT\""), 1);
	e = find("\"statement\":\"COPY crm.customers TO STDOUT\"");
	CHECK_CONTAINS(e, "\"partial\":true");
	for (i = 0; i < nf && i < (size_t)nfill; i++)
		CHECK_STR(fills[i], cursor_fills[i]);
	CHECK_INT(nfill, nf);
	/* The disconnection: "session time: 0:00:00.266". */
	CHECK_INT(nsess, 2);
	if (nsess == 2) {
		CHECK_CONTAINS(sess[1], "\"action\":\"disconnect\"");
		CHECK_CONTAINS(sess[1], "\"duration_us\":266000");
		CHECK(strstr(sess[0], "duration_us") == NULL);
	}
	reset();
	free(b);
}

static void
test_cursors(void)
{
	check_cursors(&dblog_pgjson, "pg-cursors.json");
	check_cursors(&dblog_pgcsv, "pg-cursors.csv");
	check_cursors(&dblog_pgaudit, "pg-cursors.log");
}

/* Hand-made: what auto_explain lines may hold and what to do then. */
static void
test_plans(void)
{
	static const char pre[] = "2026-11-30 18:00:00.000 UTC [7] "
	    "carol@crm psql [local] 00000 ";
	char buf[4096];
	int n;

	reset();
	set_prefix("%m [%p] %q%u@%d %a %r %e ");
	/* A plan not in JSON (log_format text) and one without actual rows
	 * (log_analyze off): the cursor stays without total, its FETCH
	 * needs the statistics; a plan for an unknown cursor is ignored;
	 * a broken JSON plan is counted bad. */
	n = snprintf(buf, sizeof(buf),
	    "%sLOG:  AUDIT: SESSION,1,1,READ,DECLARE CURSOR,,,"
	    "DECLARE k CURSOR FOR SELECT 1,<not logged>,0\n"
	    "%sLOG:  AUDIT: SESSION,2,1,MISC,FETCH,,,FETCH ALL IN k,"
	    "<not logged>,0\n"
	    "%sLOG:  AUDIT: SESSION,3,1,MISC,CLOSE CURSOR,,,CLOSE k,"
	    "<not logged>,0\n"
	    "%sLOG:  duration: 0.1 ms  plan:\n"
	    "\t{\"Query Text\": \"DECLARE k CURSOR FOR SELECT 1\", "
	    "\"Plan\": {\"Plan Rows\": 1}}\n"
	    "%sLOG:  duration: 0.1 ms  plan:\n"
	    "\t{\"Query Text\": \"DECLARE zz CURSOR FOR SELECT 1\", "
	    "\"Plan\": {\"Actual Rows\": 5, \"Actual Loops\": 1}}\n"
	    "%sLOG:  duration: 0.1 ms  plan:\n"
	    "\tQuery Text: DECLARE k CURSOR FOR SELECT 1\n"
	    "%sLOG:  AUDIT: SESSION,4,1,READ,SELECT,,,SELECT 2,"
	    "<not logged>,1\n", pre, pre, pre, pre, pre, pre, pre);
	feed(&dblog_pgaudit, buf, (size_t)n, 0);
	CHECK_INT(nbad, 1);
	CHECK_INT(nev, 4);
	CHECK_INT(rows_of("\"db_user\":\"carol\"", NULL), 1);
	REQUIRE(nfill == 2);
	CHECK_STR(fills[0], "pending 1 carol FETCH ALL IN k");
	CHECK_STR(fills[1], "pending-need 1 carol FETCH ALL IN k");
	/* A quoted cursor name, CLOSE ALL, a plan with loops, more FETCH
	 * texts than a cursor keeps (the total is then not used: every
	 * call needs the statistics). */
	reset();
	set_prefix("%m [%p] %q%u@%d %a %r %e ");
	n = snprintf(buf, sizeof(buf),
	    "%sLOG:  AUDIT: SESSION,1,1,READ,DECLARE CURSOR,,,"
	    "\"DECLARE \"\"My C\"\" CURSOR FOR SELECT 1\",<not logged>,0\n"
	    "%sLOG:  AUDIT: SESSION,2,1,MISC,FETCH,,,"
	    "\"FETCH 2 FROM \"\"My C\"\"\",<not logged>,0\n"
	    "%sLOG:  AUDIT: SESSION,3,1,MISC,CLOSE CURSOR,,,CLOSE ALL,"
	    "<not logged>,0\n"
	    "%sLOG:  duration: 0.5 ms  plan:\n"
	    "\t{\"Query Text\": \"DECLARE \\\"My C\\\" CURSOR FOR SELECT 1\","
	    " \"Plan\": {\"Actual Rows\": 2, \"Actual Loops\": 1}}\n"
	    "%sLOG:  AUDIT: SESSION,4,1,READ,DECLARE CURSOR,,,"
	    "DECLARE m CURSOR FOR SELECT 1,<not logged>,0\n"
	    "%sLOG:  AUDIT: SESSION,5,1,MISC,FETCH,,,FETCH 1 FROM m,"
	    "<not logged>,0\n"
	    "%sLOG:  AUDIT: SESSION,6,1,MISC,FETCH,,,FETCH 2 FROM m,"
	    "<not logged>,0\n"
	    "%sLOG:  AUDIT: SESSION,7,1,MISC,FETCH,,,FETCH 3 FROM m,"
	    "<not logged>,0\n"
	    "%sLOG:  AUDIT: SESSION,8,1,MISC,FETCH,,,FETCH 4 FROM m,"
	    "<not logged>,0\n"
	    "%sLOG:  AUDIT: SESSION,9,1,MISC,FETCH,,,FETCH 5 FROM m,"
	    "<not logged>,0\n"
	    "%sLOG:  AUDIT: SESSION,10,1,MISC,CLOSE CURSOR,,,CLOSE m,"
	    "<not logged>,0\n"
	    "%sLOG:  duration: 0.5 ms  plan:\n"
	    "\t{\"Query Text\": \"DECLARE m CURSOR FOR SELECT 1\","
	    " \"Plan\": {\"Actual Rows\": 15, \"Actual Loops\": 1}}\n"
	    "%sLOG:  disconnection: session time: 1:02:03.5 user=carol\n",
	    pre, pre, pre, pre, pre, pre, pre, pre, pre, pre, pre, pre, pre);
	REQUIRE(n > 0 && (size_t)n < sizeof(buf));
	feed(&dblog_pgaudit, buf, (size_t)n, 0);
	CHECK_INT(nbad, 0);
	CHECK_INT(rows_of("\"db_user\":\"carol\"", NULL), 2);
	CHECK_INT(count("\"rows_returned\":15"), 0);
	REQUIRE(nfill == 11);
	CHECK_STR(fills[0], "pending 1 carol FETCH 2 FROM \"My C\"");
	CHECK_STR(fills[1], "pending-counted 1 carol FETCH 2 FROM \"My C\"");
	CHECK_STR(fills[6], "need 1 carol FETCH 5 FROM m");
	CHECK_STR(fills[7], "pending-need 1 carol FETCH 1 FROM m");
	CHECK_STR(fills[10], "pending-need 1 carol FETCH 4 FROM m");
	REQUIRE(nsess == 1);
	CHECK_CONTAINS(sess[0], "\"duration_us\":3723500000");
	reset();
}

static const struct test tests[] = {
	{ "json", test_json },
	{ "csv", test_csv },
	{ "stderr", test_stderr },
	{ "prefix_inferred", test_prefix_inferred },
	{ "prefix_garbage", test_prefix_garbage },
	{ "prefix_infer", test_prefix_infer },
	{ "stderr_edges", test_stderr_edges },
	{ "csv_edges", test_csv_edges },
	{ "overlong", test_overlong },
	{ "sessions", test_sessions },
	{ "login_user_escaped", test_login_user_escaped },
	{ "ts", test_ts },
	{ "cursors", test_cursors },
	{ "plans", test_plans },
};

HARNESS_MAIN(tests)
