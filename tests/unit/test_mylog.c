/*
 * Tests of agent/decode-mylog.c through the log source's path (format ->
 * db_query_event()): the slow log and server_audit fixtures under
 * tests/data/dblog/ were written by a real MariaDB 10.11 (slow log at
 * long_query_time=0, server_audit with CONNECT,QUERY,TABLE) for the same
 * TLS workload, so both readers must name the same user, session,
 * statement and fingerprint; the slow log gives rows, bytes and
 * duration, the audit log status and error numbers. Restarting at any
 * event's position yields exactly the events after it. Hand-made lines
 * cover MySQL 8's layout ("Id:" in User@Host, ISO "# Time:", "use db;"),
 * the file header written at each log reopen, multi-line statements and
 * broken input.
 */
#include "harness.h"
#include "../../agent/agent.h"
#include "leakwatch/event.h"

#define MAXEV	64

#include "dblog_helper.h"

/* Restarting at each event's position gives exactly the later ones. */
static void
check_resume(const struct dblog_format *f, const char *buf, size_t len)
{
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
		reset();
		feed(f, buf, len, (size_t)pos[i]);
		if (nev != n - i - 1) {
			FAILF("resume at event %d: %d events, expected %d", i,
			    nev, n - i - 1);
			break;
		}
		for (j = 0; j < nev; j++)
			if (strcmp(ev[j], all[i + 1 + j]) != 0)
				FAILF("resume at event %d: event %d differs",
				    i, i + 1 + j);
	}
	for (i = 0; i < n; i++)
		free(all[i]);
	reset();
}

static void
test_slow(void)
{
	size_t len;
	char *b = slurp("my-slow.log", &len);
	const char *e;

	REQUIRE(b != NULL);
	reset();
	feed(&dblog_mysql_slow, b, len, 0);
	CHECK_INT(nbad, 0);
	CHECK_INT(nev, 4);
	e = find("\"statement\":\"SELECT * FROM customers\"");
	REQUIRE(e != NULL);
	CHECK_CONTAINS(e, "\"db_user\":\"alice\"");
	CHECK_CONTAINS(e, "\"client\":\"127.0.0.1\"");
	CHECK_CONTAINS(e, "\"session_id\":\"9\"");
	CHECK_CONTAINS(e, "\"database\":\"crm\"");
	CHECK_CONTAINS(e, "\"tables\":[\"crm.customers\"]");
	CHECK_CONTAINS(e, "\"rows_returned\":3000");
	CHECK_CONTAINS(e, "\"bytes\":116869");
	CHECK_CONTAINS(e, "\"duration_us\":2749");
	/* SET timestamp=1796054080 is the start; ts is the end. */
	CHECK_CONTAINS(e, "\"ts\":\"2026-11-30T15:54:40.002749Z\"");
	CHECK_CONTAINS(e, "\"partial\":false");
	/* A statement over two lines, normalised. */
	CHECK(find("\"statement\":\"SELECT id FROM customers WHERE email = ? "
	    "AND id > ?\"") != NULL);
	e = find("\"command\":\"UPDATE\"");
	REQUIRE(e != NULL);
	CHECK_CONTAINS(e, "\"rows_affected\":3");
	CHECK_INT(count("x@y.org"), 0);
	CHECK_INT(count("'q'"), 0);
	check_resume(&dblog_mysql_slow, b, len);
	free(b);
}

static void
test_audit(void)
{
	size_t len, slen;
	char *b = slurp("my-audit.log", &len), *s = slurp("my-slow.log",
	    &slen);
	char fp[4][40];
	const char *e, *p;
	int i;

	REQUIRE(b != NULL && s != NULL);
	/* The slow log's fingerprints, in order. */
	reset();
	feed(&dblog_mysql_slow, s, slen, 0);
	REQUIRE(nev == 4);
	for (i = 0; i < 4; i++) {
		p = strstr(ev[i], "\"fingerprint\":");
		REQUIRE(p != NULL);
		snprintf(fp[i], sizeof(fp[i]), "%.32s", p);
	}
	reset();
	feed(&dblog_mariadb_audit, b, len, 0);
	CHECK_INT(nbad, 0);
	CHECK_INT(nev, 4);	/* QUERY lines; CONNECT, READ... are not */
	REQUIRE(nev == 4);
	for (i = 0; i < 4; i++)
		CHECK_CONTAINS(ev[i], fp[i]);
	e = find("crm.nosuch");
	REQUIRE(e != NULL);
	CHECK_CONTAINS(e, "\"status\":\"error\"");
	CHECK_CONTAINS(e, "\"error_code\":\"1146\"");
	CHECK_CONTAINS(ev[0], "\"session_id\":\"9\"");
	CHECK_CONTAINS(ev[0], "\"partial\":true");	/* no row counts */
	CHECK_CONTAINS(ev[0], "\"ts\":\"2026-11-30T15:54:40.000000Z\"");
	CHECK_INT(count("x@y.org"), 0);
	/* CONNECT, DISCONNECT, FAILED_CONNECT (a wrong password) and its
	 * DISCONNECT. */
	CHECK_INT(nsess, 6);
	if (nsess == 6) {
		CHECK_CONTAINS(sess[0], "\"action\":\"connect\"");
		CHECK_CONTAINS(sess[0], "\"session_id\":\"9\"");
		CHECK_CONTAINS(sess[0], "\"db_user\":\"alice\"");
		CHECK_CONTAINS(sess[0], "\"source\":\"log\"");
		CHECK_CONTAINS(sess[1], "\"action\":\"disconnect\"");
		CHECK_CONTAINS(sess[4], "\"action\":\"auth_failed\"");
		CHECK_CONTAINS(sess[4], "\"error_code\":\"1045\"");
		CHECK_CONTAINS(sess[4], "\"session_id\":\"11\"");
		/* Same second: 0 s; a DISCONNECT with no CONNECT read
		 * (a failed one) has no duration. */
		CHECK_CONTAINS(sess[1], "\"duration_us\":0");
		CHECK_CONTAINS(sess[3], "\"duration_us\":0");
		CHECK(strstr(sess[0], "duration_us") == NULL);
		CHECK(strstr(sess[5], "duration_us") == NULL);
	}
	check_resume(&dblog_mariadb_audit, b, len);
	free(b);
	free(s);
}

static void
feed_str(const struct dblog_format *f, const char *s)
{
	feed(f, s, strlen(s), 0);
}

static void
test_mysql8(void)
{
	const char *e;

	reset();
	feed_str(&dblog_mysql_slow,
	    "/usr/sbin/mysqld, Version: 8.0.36 (MySQL Community Server - "
	    "GPL). started with:\n"
	    "Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock\n"
	    "Time                 Id Command    Argument\n"
	    "# Time: 2026-11-30T10:00:01.250000Z\n"
	    "# User@Host: report[report] @ app1 [10.0.0.9]  Id:    42\n"
	    "# Query_time: 0.250000  Lock_time: 0.000010 Rows_sent: 12  "
	    "Rows_examined: 900\n"
	    "use shop;\n"
	    "SET timestamp=1796032801;\n"
	    "SELECT name, phone\n  FROM orders\n WHERE card = '4111';\n"
	    "# Time: 2026-11-30T10:00:02.000000Z\n"
	    "# User@Host: root[root] @ localhost []  Id:    43\n"
	    "# Query_time: 0.000100  Lock_time: 0.000000 Rows_sent: 1  "
	    "Rows_examined: 0\n"
	    "SET timestamp=1796032802;\n"
	    "SELECT 1;\n");
	CHECK_INT(nbad, 0);
	CHECK_INT(nev, 2);
	e = find("\"session_id\":\"42\"");
	REQUIRE(e != NULL);
	CHECK_CONTAINS(e, "\"db_user\":\"report\"");
	CHECK_CONTAINS(e, "\"client\":\"10.0.0.9\"");
	CHECK_CONTAINS(e, "\"database\":\"shop\"");
	CHECK_CONTAINS(e, "\"statement\":\"SELECT name, phone FROM orders "
	    "WHERE card = ?\"");
	CHECK_CONTAINS(e, "\"tables\":[\"shop.orders\"]");
	CHECK_CONTAINS(e, "\"rows_returned\":12");
	CHECK_CONTAINS(e, "\"duration_us\":250000");
	CHECK_CONTAINS(e, "\"ts\":\"2026-11-30T10:00:01.250000Z\"");
	/* root over the socket: no client; the schema carries over. */
	e = find("\"session_id\":\"43\"");
	REQUIRE(e != NULL);
	CHECK(strstr(e, "\"client\"") == NULL);
	CHECK_INT(count("4111"), 0);
	reset();
}

static void
test_broken(void)
{
	reset();
	/* An entry without a statement, then a good one. */
	feed_str(&dblog_mysql_slow,
	    "# User@Host: a[a] @  [10.0.0.1]\n"
	    "# Thread_id: 1  Schema:   QC_hit: No\n"
	    "# User@Host: b[b] @  [10.0.0.2]\n"
	    "# Thread_id: 2  Schema: x  QC_hit: No\n"
	    "# Query_time: x  Rows_sent: 99999999999999999999999\n"
	    "SELECT 2;\n");
	CHECK_INT(nbad, 1);
	CHECK_INT(nev, 1);
	REQUIRE(nev == 1);
	CHECK_CONTAINS(ev[0], "\"db_user\":\"b\"");
	CHECK_CONTAINS(ev[0], "\"rows_returned\":0");
	/*
	 * Times past what an event can carry (year 9999): a SET timestamp
	 * or a Query_time out of range is reported and not used (a's time
	 * is its # Time:); b's start in 9999 plus 359 days ends in 10000,
	 * so b is reported and dropped; c is whole.
	 */
	reset();
	feed_str(&dblog_mysql_slow,
	    "# Time: 2026-11-30T10:00:00.000000Z\n"
	    "# User@Host: a[a] @  [10.0.0.1]\n"
	    "# Query_time: 99999999999  Rows_sent: 1\n"
	    "SET timestamp=1796054054080;\n"
	    "SELECT 1;\n"
	    "# User@Host: b[b] @  [10.0.0.2]\n"
	    "# Query_time: 31000000  Rows_sent: 1\n"
	    "SET timestamp=253402300000;\n"
	    "SELECT 2;\n"
	    "# User@Host: c[c] @  [10.0.0.3]\n"
	    "# Query_time: 1.5  Rows_sent: 1\n"
	    "SET timestamp=1796054080;\n"
	    "SELECT 3;\n");
	CHECK_INT(nbad, 3);
	CHECK_INT(nev, 2);
	REQUIRE(nev == 2);
	CHECK_CONTAINS(ev[0], "\"db_user\":\"a\"");
	CHECK_CONTAINS(ev[0], "\"ts\":\"2026-11-30T10:00:00.000000Z\"");
	CHECK_CONTAINS(ev[1], "\"db_user\":\"c\"");
	CHECK_CONTAINS(ev[1], "\"ts\":\"2026-11-30T15:54:41.500000Z\"");
	reset();
	feed_str(&dblog_mariadb_audit,
	    "20261130 10:00:00,h,u,10.0.0.1,5,1,QUERY,db,'SELECT 1',0\n"
	    "20261130 10:00:00,h,u,10.0.0.1,5,1,QUERY,db,SELECT 1,0\n"
	    "20261130 10:00:00,h,u,10.0.0.1,5,1,QUERY,db,'SELECT 1\n"
	    "20261130 10:00:00,h,u,10.0.0.1,5,1,QUERY,db,'SELECT 1',x\n"
	    "garbage\n"
	    "2026113 10:00:00,h,u,10.0.0.1,5,1,QUERY,db,'SELECT \\'it\\'s\\'',"
	    "0\n"
	    "20261130 10:00:00,h,u,localhost,6,1,QUERY,db,'SELECT \\'a\\\\b\\'"
	    "',0\n");
	CHECK_INT(nev, 2);
	CHECK_INT(nbad, 5);
	REQUIRE(nev == 2);
	CHECK_CONTAINS(ev[1], "\"statement\":\"SELECT ?\"");
	CHECK(strstr(ev[1], "\"client\"") == NULL);
	reset();
}

/*
 * server_audit session lengths: DISCONNECT less its CONNECT, by
 * connection id, across interleaved connections and midnight; a
 * DISCONNECT whose CONNECT came before the start has none; a reused id
 * is timed from its own CONNECT.
 */
static void
test_audit_duration(void)
{
	reset();
	feed_str(&dblog_mariadb_audit,
	    "20261130 23:59:50,vm,alice,127.0.0.1,21,0,CONNECT,crm,,0\n"
	    "20261130 23:59:55,vm,bob,localhost,22,0,CONNECT,crm,,0\n"
	    "20261130 23:59:58,vm,carol,127.0.0.1,23,0,DISCONNECT,crm,,0\n"
	    "20261201 00:01:05,vm,alice,127.0.0.1,21,0,DISCONNECT,crm,,0\n"
	    "20261201 00:02:00,vm,bob,localhost,22,0,DISCONNECT,crm,,0\n"
	    "20261201 00:03:00,vm,bob,localhost,22,0,CONNECT,crm,,0\n"
	    "20261201 00:03:02,vm,bob,localhost,22,0,DISCONNECT,crm,,0\n"
	    "20261201 00:03:03,vm,bob,localhost,22,0,DISCONNECT,crm,,0\n");
	CHECK_INT(nbad, 0);
	REQUIRE(nsess == 8);
	CHECK(strstr(sess[2], "duration_us") == NULL);
	CHECK_CONTAINS(sess[3], "\"db_user\":\"alice\"");
	CHECK_CONTAINS(sess[3], "\"duration_us\":75000000");
	CHECK_CONTAINS(sess[4], "\"duration_us\":125000000");
	CHECK_CONTAINS(sess[6], "\"duration_us\":2000000");
	CHECK(strstr(sess[7], "duration_us") == NULL);	/* used up */
	reset();
}

/*
 * A failed login's user name in the MariaDB audit log is the client's
 * to choose: ESC and a C1 CSI reach the auth_failed event escaped
 * (lib/text.c), and the event is kept.
 */
static void
test_audit_user_escaped(void)
{
	static const char line[] = "20261130 15:54:40,vm,m\x1b[2J\xc2\x9b"
	    "31m,127.0.0.1,11,0,FAILED_CONNECT,,,1045\n";
	size_t i;

	reset();
	feed(&dblog_mariadb_audit, line, sizeof(line) - 1, 0);
	CHECK_INT(nbad, 0);
	CHECK_INT(nsess, 1);
	REQUIRE(nsess == 1);
	CHECK_CONTAINS(sess[0], "\"action\":\"auth_failed\"");
	CHECK_CONTAINS(sess[0], "\"db_user\":\"m\\\\x1b[2J\\\\u009b31m\"");
	for (i = 0; sess[0][i] != '\0'; i++)
		CHECK((unsigned char)sess[0][i] >= 0x20);
	CHECK(strstr(sess[0], "\\u001b") == NULL);
	reset();
}

static const struct test tests[] = {
	{ "slow", test_slow },
	{ "audit", test_audit },
	{ "mysql8", test_mysql8 },
	{ "broken", test_broken },
	{ "audit_duration", test_audit_duration },
	{ "audit_user_escaped", test_audit_user_escaped },
};

HARNESS_MAIN(tests)
