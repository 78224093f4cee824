/*
 * Unit tests for lib/sqlnorm.c, the statement normaliser: exact input ->
 * output cases for PostgreSQL and MySQL (the statements pgbench, psql's
 * \d commands and mysqlslap send, COPY, cursors, prepared statements,
 * CTEs, quoting, comments), the command and tables found, sqlcommenter
 * end users, fail-closed cases, fingerprints that must (and must not)
 * agree, idempotence of every case, and a property test that random
 * literal values never reach the output. The last test prints a
 * throughput figure on a small mix; it is not a benchmark gate.
 */
#include "harness.h"
#include <time.h>

#include "leakwatch/sqlnorm.h"
#include "leakwatch/util.h"

struct ncase {
	const char	*in;
	const char	*out;		/* statement */
	const char	*cmd;
	const char	*tables;	/* space separated, "" for none */
};

static void
tables_str(const struct sqlnorm *n, char *buf, size_t len)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < n->ntables && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? " " : "",
		    n->tables[i]);
}

/* Normalises in, checks everything a case says, and that the output is
 * a fixed point (normalising it again changes nothing). */
static void
check_one(const struct sqlnorm_opts *o, const struct ncase *c)
{
	struct sqlnorm n, again;
	char tb[4096];

	if (sqlnorm(c->in, strlen(c->in), o, &n) != 0) {
		FAILF("sqlnorm(\"%s\") returned -1", c->in);
		return;
	}
	if (strcmp(n.statement, c->out) != 0)
		FAILF("in:  %s\n    got: %s\n    want: %s", c->in,
		    n.statement, c->out);
	if (c->cmd != NULL && strcmp(n.command, c->cmd) != 0)
		FAILF("in: %s: command %s, want %s", c->in, n.command, c->cmd);
	if (c->tables != NULL) {
		tables_str(&n, tb, sizeof(tb));
		if (strcmp(tb, c->tables) != 0)
			FAILF("in: %s: tables [%s], want [%s]", c->in, tb,
			    c->tables);
	}
	if (strlen(n.fingerprint) != 16)
		FAILF("in: %s: fingerprint \"%s\"", c->in, n.fingerprint);
	if (!n.unparsed) {
		if (sqlnorm(n.statement, strlen(n.statement), o, &again) != 0)
			FAILF("renormalising %s failed", n.statement);
		else {
			if (strcmp(again.statement, n.statement) != 0)
				FAILF("not idempotent: %s -> %s", n.statement,
				    again.statement);
			if (strcmp(again.fingerprint, n.fingerprint) != 0)
				FAILF("fingerprint moved: %s", n.statement);
			sqlnorm_clear(&again);
		}
	}
	sqlnorm_clear(&n);
}

static void
check_all(enum sql_dialect d, const char *schema, const struct ncase *c,
    size_t n)
{
	struct sqlnorm_opts o = { d, schema, NULL, 0 };
	size_t i;

	for (i = 0; i < n; i++)
		check_one(&o, &c[i]);
}

#define NCASES(a)	(sizeof(a) / sizeof((a)[0]))

static void
test_pg_pgbench(void)
{
	static const struct ncase c[] = {
		{ "UPDATE pgbench_accounts SET abalance = abalance + -4232 "
		  "WHERE aid = 77218;",
		  "UPDATE pgbench_accounts SET abalance = abalance + ? "
		  "WHERE aid = ?", "UPDATE", "public.pgbench_accounts" },
		{ "UPDATE pgbench_accounts SET abalance = abalance + $1 "
		  "WHERE aid = $2",
		  "UPDATE pgbench_accounts SET abalance = abalance + ? "
		  "WHERE aid = ?", "UPDATE", "public.pgbench_accounts" },
		{ "SELECT abalance FROM pgbench_accounts WHERE aid = 77218;",
		  "SELECT abalance FROM pgbench_accounts WHERE aid = ?",
		  "SELECT", "public.pgbench_accounts" },
		{ "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) "
		  "VALUES (7, 1, 77218, -4232, CURRENT_TIMESTAMP);",
		  "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) "
		  "VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP)", "INSERT",
		  "public.pgbench_history" },
		{ "copy pgbench_accounts from stdin with (freeze on)",
		  "COPY pgbench_accounts FROM STDIN WITH (FREEZE ON)", "COPY",
		  "public.pgbench_accounts" },
		{ "drop table if exists pgbench_accounts, pgbench_branches, "
		  "pgbench_history, pgbench_tellers",
		  "DROP TABLE IF EXISTS pgbench_accounts, pgbench_branches, "
		  "pgbench_history, pgbench_tellers", "DROP",
		  "public.pgbench_accounts public.pgbench_branches "
		  "public.pgbench_history public.pgbench_tellers" },
		{ "create table pgbench_history(tid int,bid int,aid    int,"
		  "delta int,mtime timestamp,filler char(22))",
		  "CREATE TABLE pgbench_history (tid INT, bid INT, aid INT, "
		  "delta INT, mtime TIMESTAMP, filler CHAR(?))", "CREATE",
		  "public.pgbench_history" },
		{ "insert into pgbench_branches(bid,bbalance) values(1,0)",
		  "INSERT INTO pgbench_branches (bid, bbalance) VALUES (?, ?)",
		  "INSERT", "public.pgbench_branches" },
		{ "alter table pgbench_branches add primary key (bid)",
		  "ALTER TABLE pgbench_branches ADD PRIMARY KEY (bid)", "ALTER",
		  "public.pgbench_branches" },
		{ "truncate table pgbench_accounts, pgbench_branches",
		  "TRUNCATE TABLE pgbench_accounts, pgbench_branches",
		  "TRUNCATE",
		  "public.pgbench_accounts public.pgbench_branches" },
		{ "select count(*) from pgbench_branches",
		  "SELECT count(*) FROM pgbench_branches", "SELECT",
		  "public.pgbench_branches" },
		{ "vacuum analyze pgbench_branches",
		  "VACUUM ANALYZE pgbench_branches", "VACUUM", "" },
		{ "begin", "BEGIN", "BEGIN", "" },
		{ "END;", "END", "END", "" },
	};

	check_all(SQL_POSTGRESQL, NULL, c, NCASES(c));
}

static void
test_pg_psql(void)
{
	static const struct ncase c[] = {
		/* \d customers, first query. */
		{ "SELECT c.oid,\n  n.nspname,\n  c.relname\n"
		  "FROM pg_catalog.pg_class c\n"
		  "     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = "
		  "c.relnamespace\n"
		  "WHERE c.relname OPERATOR(pg_catalog.~) '^(customers)$' "
		  "COLLATE pg_catalog.default\n"
		  "  AND pg_catalog.pg_table_is_visible(c.oid)\n"
		  "ORDER BY 2, 3;",
		  "SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class "
		  "c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = "
		  "c.relnamespace WHERE c.relname OPERATOR (pg_catalog.~) ? "
		  "COLLATE pg_catalog.default AND "
		  "pg_catalog.pg_table_is_visible(c.oid) ORDER BY ?, ?",
		  "SELECT", "pg_catalog.pg_class pg_catalog.pg_namespace" },
		/* \dt */
		{ "SELECT n.nspname as \"Schema\",\n  c.relname as \"Name\",\n"
		  "  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' "
		  "WHEN 'p' THEN 'partitioned table' END as \"Type\",\n"
		  "  pg_catalog.pg_get_userbyid(c.relowner) as \"Owner\"\n"
		  "FROM pg_catalog.pg_class c\n"
		  "     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = "
		  "c.relnamespace\n"
		  "     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam\n"
		  "WHERE c.relkind IN ('r','p','')\n"
		  "      AND n.nspname <> 'pg_catalog'\n"
		  "      AND n.nspname !~ '^pg_toast'\n"
		  "  AND pg_catalog.pg_table_is_visible(c.oid)\n"
		  "ORDER BY 1,2;",
		  "SELECT n.nspname AS \"Schema\", c.relname AS \"Name\", CASE "
		  "c.relkind WHEN ? THEN ? WHEN ? THEN ? WHEN ? THEN ? END AS "
		  "\"Type\", pg_catalog.pg_get_userbyid(c.relowner) AS "
		  "\"Owner\" FROM pg_catalog.pg_class c LEFT JOIN "
		  "pg_catalog.pg_namespace n ON n.oid = c.relnamespace LEFT "
		  "JOIN pg_catalog.pg_am am ON am.oid = c.relam WHERE "
		  "c.relkind IN (?+) AND n.nspname <> ? AND n.nspname !~ ? AND "
		  "pg_catalog.pg_table_is_visible(c.oid) ORDER BY ?, ?",
		  "SELECT",
		  "pg_catalog.pg_class pg_catalog.pg_namespace "
		  "pg_catalog.pg_am" },
		/* \d customers, column query (abridged). */
		{ "SELECT a.attname,\n"
		  "  pg_catalog.format_type(a.atttypid, a.atttypmod),\n"
		  "  (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid, true)\n"
		  "   FROM pg_catalog.pg_attrdef d\n"
		  "   WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND "
		  "a.atthasdef),\n"
		  "  a.attnotnull\n"
		  "FROM pg_catalog.pg_attribute a\n"
		  "WHERE a.attrelid = '16384' AND a.attnum > 0 AND NOT "
		  "a.attisdropped\nORDER BY a.attnum;",
		  "SELECT a.attname, pg_catalog.format_type(a.atttypid, "
		  "a.atttypmod), (SELECT pg_catalog.pg_get_expr(d.adbin, "
		  "d.adrelid, TRUE) FROM pg_catalog.pg_attrdef d WHERE "
		  "d.adrelid = a.attrelid AND d.adnum = a.attnum AND "
		  "a.atthasdef), a.attnotnull FROM pg_catalog.pg_attribute a "
		  "WHERE a.attrelid = ? AND a.attnum > ? AND NOT "
		  "a.attisdropped ORDER BY a.attnum", "SELECT",
		  "pg_catalog.pg_attrdef pg_catalog.pg_attribute" },
	};

	check_all(SQL_POSTGRESQL, NULL, c, NCASES(c));
}

static void
test_pg_copy_cursor_prepare(void)
{
	static const struct ncase c[] = {
		{ "COPY crm.customers TO STDOUT",
		  "COPY crm.customers TO STDOUT",
		  "COPY", "crm.customers" },
		{ "COPY crm.customers (id, name) TO STDOUT WITH (FORMAT csv, "
		  "HEADER)",
		  "COPY crm.customers (id, name) TO STDOUT WITH (FORMAT CSV, "
		  "HEADER)", "COPY", "crm.customers" },
		{ "COPY (SELECT id, name FROM crm.customers WHERE id < 100) "
		  "TO STDOUT",
		  "COPY (SELECT id, name FROM crm.customers WHERE id < ?) TO "
		  "STDOUT", "COPY", "crm.customers" },
		{ "COPY customers TO '/tmp/all-customers.csv'",
		  "COPY customers TO ?", "COPY", "public.customers" },
		{ "COPY customers FROM STDIN", "COPY customers FROM STDIN",
		  "COPY", "public.customers" },
		{ "DECLARE c1 CURSOR WITH HOLD FOR SELECT * FROM crm.customers "
		  "WHERE region = 'EU'",
		  "DECLARE c1 CURSOR WITH HOLD FOR SELECT * FROM crm.customers "
		  "WHERE region = ?", "DECLARE", "crm.customers" },
		{ "DECLARE \"cur\" NO SCROLL CURSOR FOR SELECT a FROM t",
		  "DECLARE \"cur\" NO SCROLL CURSOR FOR SELECT a FROM t",
		  "DECLARE", "public.t" },
		{ "FETCH 1000 FROM c1", "FETCH ? FROM c1", "FETCH", "" },
		{ "FETCH NEXT FROM c1", "FETCH NEXT FROM c1", "FETCH", "" },
		{ "MOVE FORWARD 10 IN c1", "MOVE FORWARD ? IN c1", "MOVE", "" },
		{ "CLOSE c1", "CLOSE c1", "CLOSE", "" },
		{ "PREPARE q(int, text) AS SELECT * FROM crm.customers WHERE "
		  "id = $1 AND name = $2",
		  "PREPARE q(INT, text) AS SELECT * FROM crm.customers WHERE "
		  "id = ? AND name = ?", "PREPARE", "crm.customers" },
		{ "PREPARE u AS UPDATE accounts SET balance = 0 WHERE id = $1",
		  "PREPARE u AS UPDATE accounts SET balance = ? WHERE id = ?",
		  "PREPARE", "public.accounts" },
		{ "EXECUTE q(42, 'Smith')", "EXECUTE q(?, ?)", "EXECUTE", "" },
		{ "DEALLOCATE q", "DEALLOCATE q", "DEALLOCATE", "" },
	};

	check_all(SQL_POSTGRESQL, NULL, c, NCASES(c));
}

static void
test_pg_cte_and_tables(void)
{
	static const struct ncase c[] = {
		{ "WITH big AS (SELECT * FROM orders WHERE total > 1000) "
		  "SELECT c.name FROM customers c JOIN big b ON b.cid = c.id",
		  "WITH big AS (SELECT * FROM orders WHERE total > ?) SELECT "
		  "c.name FROM customers c JOIN big b ON b.cid = c.id",
		  "SELECT", "public.orders public.customers" },
		{ "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 "
		  "FROM r WHERE n < 10) SELECT * FROM r",
		  "WITH RECURSIVE r(n) AS (SELECT ? UNION ALL SELECT n + ? "
		  "FROM r WHERE n < ?) SELECT * FROM r", "SELECT", "" },
		/* A CTE does not hide the table it is named after. */
		{ "WITH customers AS (SELECT * FROM customers) SELECT * FROM "
		  "customers",
		  "WITH customers AS (SELECT * FROM customers) SELECT * FROM "
		  "customers", "SELECT", "public.customers" },
		{ "WITH d AS (DELETE FROM q WHERE done RETURNING *) INSERT "
		  "INTO archive SELECT * FROM d",
		  "WITH d AS (DELETE FROM q WHERE done RETURNING *) INSERT "
		  "INTO archive SELECT * FROM d", "INSERT",
		  "public.q public.archive" },
		{ "WITH x AS MATERIALIZED (SELECT 1) UPDATE t SET a = 2 FROM x",
		  "WITH x AS MATERIALIZED (SELECT ?) UPDATE t SET a = ? FROM x",
		  "UPDATE", "public.t" },
		{ "SELECT * FROM (SELECT * FROM a) sub, (b JOIN c ON true), "
		  "d AS dd, generate_series(1, 3) g, LATERAL f(d.x)",
		  "SELECT * FROM (SELECT * FROM a) sub, (b JOIN c ON TRUE), d "
		  "AS dd, generate_series(?, ?) g, LATERAL f(d.x)", "SELECT",
		  "public.a public.b public.c public.d" },
		{ "SELECT extract(epoch FROM created), substring(s from 2 for "
		  "3), trim(both 'x' from s) FROM logs WHERE a IS DISTINCT "
		  "FROM b",
		  "SELECT extract(epoch FROM created), substring(s FROM ? FOR "
		  "?), trim(BOTH ? FROM s) FROM logs WHERE a IS DISTINCT FROM "
		  "b", "SELECT", "public.logs" },
		{ "SELECT \"Name\" FROM \"Crm\".\"Customers\" WHERE \"Id\" = 1",
		  "SELECT \"Name\" FROM \"Crm\".\"Customers\" WHERE \"Id\" = ?",
		  "SELECT", "Crm.Customers" },
		{ "select * from \"we\"\"ird\" join Sales.Orders using (id)",
		  "SELECT * FROM \"we\"\"ird\" JOIN Sales.Orders USING (id)",
		  "SELECT", "public.we\"ird sales.orders" },
		{ "SELECT * FROM db.crm.customers", "SELECT * FROM "
		  "db.crm.customers", "SELECT", "crm.customers" },
		{ "DELETE FROM t USING u, v WHERE t.id = u.id",
		  "DELETE FROM t USING u, v WHERE t.id = u.id", "DELETE",
		  "public.t public.u public.v" },
		{ "MERGE INTO tgt t USING src s ON t.id = s.id WHEN MATCHED "
		  "THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT VALUES "
		  "(s.id, s.v)",
		  "MERGE INTO tgt t USING src s ON t.id = s.id WHEN MATCHED "
		  "THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT VALUES "
		  "(s.id, s.v)", "MERGE", "public.tgt public.src" },
		{ "INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET "
		  "b = excluded.b",
		  "INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO UPDATE SET "
		  "b = excluded.b", "INSERT", "public.t" },
		{ "SELECT a FROM t FOR UPDATE OF t NOWAIT",
		  "SELECT a FROM t FOR UPDATE OF t NOWAIT", "SELECT",
		  "public.t" },
		{ "CREATE TABLE stash AS SELECT * FROM customers",
		  "CREATE TABLE stash AS SELECT * FROM customers", "CREATE",
		  "public.stash public.customers" },
		{ "SELECT * INTO TEMP stash FROM customers",
		  "SELECT * INTO TEMP stash FROM customers", "SELECT",
		  "public.stash public.customers" },
		{ "TABLE customers", "TABLE customers", "TABLE",
		  "public.customers" },
		{ "EXPLAIN ANALYZE UPDATE t SET a = 1",
		  "EXPLAIN ANALYZE UPDATE t SET a = ?", "EXPLAIN", "public.t" },
		{ "(SELECT a FROM x) UNION (SELECT a FROM y)",
		  "(SELECT a FROM x) UNION (SELECT a FROM y)", "SELECT",
		  "public.x public.y" },
		{ "SELECT 1", "SELECT ?", "SELECT", "" },
		{ "SHOW search_path", "SHOW search_path", "SHOW", "" },
		{ "SET application_name = 'alice-laptop'",
		  "SET application_name = ?", "SET", "" },
		{ "frobnicate the widgets", "frobnicate the widgets",
		  "UNKNOWN", "" },
		{ "", "", "UNKNOWN", "" },
		{ "  -- only a comment\n", "", "UNKNOWN", "" },
		{ "BEGIN; SELECT * FROM a; COMMIT;",
		  "BEGIN; SELECT * FROM a; COMMIT", "BEGIN", "public.a" },
	};

	check_all(SQL_POSTGRESQL, NULL, c, NCASES(c));
}

static void
test_pg_literals(void)
{
	static const struct ncase c[] = {
		{ "SELECT $$it's$$, $fn$ a $$ b $fn$, $_$x$_$ FROM t",
		  "SELECT ?, ?, ? FROM t", "SELECT", "public.t" },
		{ "DO $$BEGIN RAISE NOTICE 'x'; END$$",
		  "DO ?", "DO", "" },
		{ "SELECT E'it\\'s', e'\\\\', 'a''b', '', N'x', B'101', "
		  "X'1F', U&'d\\0061t', u&\"d\\0061t\"",
		  "SELECT ?, ?, ?, ?, ?, ?, ?, ?, u&\"d\\0061t\"", "SELECT",
		  "" },
		{ "SELECT 1, 1.5, .5, 1e10, 1.5E-3, 0x1F, 0o17, 0b101, 1_000",
		  "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?", "SELECT", "" },
		{ "SELECT -5, - 5, 3-2, 3 - -2, a-1, -a, (-3), +4, f(- - 3)",
		  "SELECT ?, ?, ? - ?, ? - ?, a - ?, - a, (?), ?, f(?)",
		  "SELECT", "" },
		{ "SELECT NULL, TRUE, FALSE, DEFAULT, NULL - 1",
		  "SELECT NULL, TRUE, FALSE, DEFAULT, NULL - ?", "SELECT", "" },
		{ "SELECT '{1,2}'::int[], x::text, a[1], a[1:2], "
		  "CAST('5' AS int), interval '1 day', date '2020-01-01'",
		  "SELECT ?::INT[], x::text, a[?], a[? : ?], CAST(? AS INT), "
		  "INTERVAL ?, date ?", "SELECT", "" },
		{ "SELECT * FROM t WHERE id IN (1, 2, 3) AND b NOT IN ('x') "
		  "AND c IN ($1, $2) AND d IN (1, e) AND f = ANY($3)",
		  "SELECT * FROM t WHERE id IN (?+) AND b NOT IN (?+) AND c IN "
		  "(?+) AND d IN (?, e) AND f = ANY (?)", "SELECT",
		  "public.t" },
		{ "SELECT * FROM t WHERE id IN (-1, +2) AND x IN ((1, 2), (3, "
		  "4))",
		  "SELECT * FROM t WHERE id IN (?+) AND x IN ((?, ?), (?, ?))",
		  "SELECT", "public.t" },
		{ "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')",
		  "INSERT INTO t VALUES (?, ?)", "INSERT", "public.t" },
		{ "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS v(n, s), w",
		  "SELECT * FROM (VALUES (?, ?)) AS v(n, s), w", "SELECT",
		  "public.w" },
		{ "INSERT INTO t VALUES (1, (SELECT x FROM s)), (2, (SELECT y "
		  "FROM u))",
		  "INSERT INTO t VALUES (?, (SELECT x FROM s))", "INSERT",
		  "public.t public.s public.u" },
		{ "SELECT a FROM t WHERE x = :id AND y = ? AND z = $12",
		  "SELECT a FROM t WHERE x = ? AND y = ? AND z = ?", "SELECT",
		  "public.t" },
		{ "SELECT data ? 'k', data ?| array['a'], data @> '{}' FROM j",
		  "SELECT data ? ?, data ?| ARRAY[?], data @> ? FROM j",
		  "SELECT", "public.j" },
		/* A ? cut from its operator run by a comment is a
		 * placeholder, as it is when the output is read again. */
		{ "S++\v?--/", "S + ?", "UNKNOWN", "" },
		{ "SELECT a FROM t WHERE a IN (?/*c*/) AND b = ?/**/ + 1",
		  "SELECT a FROM t WHERE a IN (?+) AND b = ? + ?", "SELECT",
		  "public.t" },
		{ "SELECT a<-5, b<=-1, c!=-2 FROM t",
		  "SELECT a < ?, b <= ?, c !=- ? FROM t", "SELECT",
		  "public.t" },
		{ "SELECT /* it's a 'quote' */ 1 -- don't\n FROM t /* /* "
		  "nested */ \" */",
		  "SELECT ? FROM t", "SELECT", "public.t" },
		{ "SELECT user.name, t.select, Sales.\"Q\" FROM t",
		  "SELECT user.name, t.select, Sales.\"Q\" FROM t", "SELECT",
		  "public.t" },
		{ "SELECT caf\xc3\xa9 FROM \xe6\x97\xa5\xe6\x9c\xac",
		  "SELECT caf\xc3\xa9 FROM \xe6\x97\xa5\xe6\x9c\xac", "SELECT",
		  "public.\xe6\x97\xa5\xe6\x9c\xac" },
	};

	check_all(SQL_POSTGRESQL, NULL, c, NCASES(c));
}

static void
test_mysql(void)
{
	static const struct ncase c[] = {
		/* mysqlslap --auto-generate-sql */
		{ "CREATE SCHEMA `mysqlslap`", "CREATE SCHEMA `mysqlslap`",
		  "CREATE", "" },
		{ "CREATE TABLE `t1` (id serial,intcol1 INT(32) ,charcol1 "
		  "VARCHAR(128))",
		  "CREATE TABLE `t1` (id serial, intcol1 INT(?), charcol1 "
		  "VARCHAR(?))", "CREATE", "shop.t1" },
		{ "INSERT INTO t1 VALUES (NULL,1804289383,'mxvtvmC9127qJNm06"
		  "sGB8R92q2j7vTiiITRDGXM9ZLzkdekbWtmXKwZ2qG1llkRw5m9DHOFil')",
		  "INSERT INTO t1 VALUES (NULL, ?, ?)", "INSERT", "shop.t1" },
		{ "SELECT intcol1,charcol1 FROM t1 WHERE id =  '3'",
		  "SELECT intcol1, charcol1 FROM t1 WHERE id = ?", "SELECT",
		  "shop.t1" },
		{ "UPDATE t1 SET intcol1 = 1804289383,charcol1 = 'mxvtvmC9' "
		  "WHERE id =  '45'",
		  "UPDATE t1 SET intcol1 = ?, charcol1 = ? WHERE id = ?",
		  "UPDATE", "shop.t1" },
		{ "DROP SCHEMA IF EXISTS `mysqlslap`",
		  "DROP SCHEMA IF EXISTS `mysqlslap`", "DROP", "" },
		{ "use mysqlslap", "USE mysqlslap", "USE", "" },
		{ "SELECT 1 FROM dual", "SELECT ? FROM DUAL", "SELECT", "" },
		/* Quoting and comments. */
		{ "SELECT \"it's\", 'it\\'s', 'a''b', \"x\\\"y\", `we``ird` "
		  "FROM `crm`.`customers` # trailing",
		  "SELECT ?, ?, ?, ?, `we``ird` FROM `crm`.`customers`",
		  "SELECT", "crm.customers" },
		/* Escaped quotes that no other reading can make code of. */
		{ "INSERT INTO people (first, last) VALUES ('Conan', "
		  "'O\\'Brien'), ('D\\'Arcy', 'Smith')",
		  "INSERT INTO people (FIRST, LAST) VALUES (?, ?)", "INSERT",
		  "shop.people" },
		{ "SELECT * FROM t WHERE a = 'O\\'Brien' AND b = 'D\\'Arcy'",
		  "SELECT * FROM t WHERE a = ? AND b = ?", "SELECT",
		  "shop.t" },
		{ "SELECT 1 -- comment\n, 2--1, 3 - -1",
		  "SELECT ?, ? - ?, ? - ?", "SELECT", "" },
		{ "SELECT _utf8mb4'caf\xc3\xa9', _binary 'x', X'4142', x'00', "
		  "0x1F, b'01', 0b01, N'n'",
		  "SELECT ?, _binary ?, ?, ?, ?, ?, ?, ?", "SELECT", "" },
		/* As MySQL's lexer: 1e5abc is 1e5 and abc, 0b12 a (bad)
		 * number, 1eabc, 0x1Fzz and 12abc names. */
		{ "SELECT 1e5abc, 1eabc, 0b12, 0x1Fzz, 12abc, 1e+5x FROM t",
		  "SELECT ? abc, 1eabc, ?, 0x1Fzz, 12abc, ? x FROM t", "SELECT",
		  "shop.t" },
		{ "SELECT * FROM 2fa_codes WHERE x=1e5 AND y = 1e-3 AND z=.5",
		  "SELECT * FROM 2fa_codes WHERE x = ? AND y = ? AND z = ?",
		  "SELECT", "shop.2fa_codes" },
		{ "/*!40101 SET @OLD_CHARACTER_SET_CLIENT="
		  "@@CHARACTER_SET_CLIENT */",
		  "SET @OLD_CHARACTER_SET_CLIENT = @@CHARACTER_SET_CLIENT",
		  "SET", "" },
		{ "SELECT /*!40001 SQL_NO_CACHE */ * FROM `orders` /*+ "
		  "BKA(orders) */",
		  "SELECT SQL_NO_CACHE * FROM `orders`", "SELECT",
		  "shop.orders" },
		{ "SET @x := 5, @@session.sql_mode = 'ANSI'",
		  "SET @x := ?, @@session.sql_mode = ?", "SET", "" },
		{ "SELECT a->'$.b', a->>'$.c' FROM j",
		  "SELECT a -> ?, a ->> ? FROM j", "SELECT", "shop.j" },
		/* INSERT without INTO, REPLACE, ON DUPLICATE KEY UPDATE. */
		{ "INSERT IGNORE t (a, b) VALUES (1, 2), (3, 4) ON DUPLICATE "
		  "KEY UPDATE b = VALUES(b), a = a + 1",
		  "INSERT IGNORE t (a, b) VALUES (?, ?) ON DUPLICATE KEY "
		  "UPDATE b = VALUES (b), a = a + ?", "INSERT", "shop.t" },
		{ "REPLACE INTO crm.t SELECT * FROM crm.s",
		  "REPLACE INTO crm.t SELECT * FROM crm.s", "REPLACE",
		  "crm.t crm.s" },
		{ "SELECT replace(name, 'a', 'b') FROM t",
		  "SELECT REPLACE(name, ?, ?) FROM t", "SELECT", "shop.t" },
		{ "UPDATE a JOIN b ON a.id = b.id SET a.x = b.x",
		  "UPDATE a JOIN b ON a.id = b.id SET a.x = b.x", "UPDATE",
		  "shop.a shop.b" },
		{ "DELETE t1 FROM t1 LEFT JOIN t2 ON t1.id = t2.id WHERE t2.id "
		  "IS NULL",
		  "DELETE t1 FROM t1 LEFT JOIN t2 ON t1.id = t2.id WHERE t2.id "
		  "IS NULL", "DELETE", "shop.t1 shop.t2" },
		{ "LOAD DATA LOCAL INFILE '/tmp/x.csv' INTO TABLE crm.t FIELDS "
		  "TERMINATED BY ','",
		  "LOAD DATA LOCAL INFILE ? INTO TABLE crm.t FIELDS TERMINATED "
		  "BY ?", "LOAD", "crm.t" },
		{ "SELECT * FROM customers INTO OUTFILE '/tmp/c.txt'",
		  "SELECT * FROM customers INTO OUTFILE ?", "SELECT",
		  "shop.customers" },
		{ "SELECT id INTO @v FROM t LIMIT 1",
		  "SELECT id INTO @v FROM t LIMIT ?", "SELECT", "shop.t" },
		{ "PREPARE s FROM 'SELECT * FROM crm.customers WHERE id = ?'",
		  "PREPARE s FROM ?", "PREPARE", "crm.customers" },
		{ "PREPARE s FROM \"SELECT * FROM x WHERE n = 'it\\\\'s'\"",
		  "PREPARE s FROM ?", "PREPARE", "shop.x" },
		{ "EXECUTE s USING @a, @b", "EXECUTE s USING @a, @b", "EXECUTE",
		  "" },
		{ "SHOW COLUMNS FROM customers FROM crm",
		  "SHOW COLUMNS FROM customers FROM crm", "SHOW", "" },
		{ "HANDLER customers READ FIRST",
		  "HANDLER customers READ FIRST", "HANDLER",
		  "shop.customers" },
		{ "LOCK TABLES t READ", "LOCK TABLES t READ", "LOCK",
		  "shop.t" },
		{ "SELECT * FROM t WHERE a IN (1,2,3) LIMIT 10, 20",
		  "SELECT * FROM t WHERE a IN (?+) LIMIT ?, ?", "SELECT",
		  "shop.t" },
	};

	check_all(SQL_MYSQL, "shop", c, NCASES(c));
}

static void
test_default_schema(void)
{
	static const struct ncase my[] = {
		{ "SELECT * FROM customers, crm.orders",
		  "SELECT * FROM customers, crm.orders", "SELECT",
		  "customers crm.orders" },
	};
	static const struct ncase pg[] = {
		{ "SELECT * FROM customers, crm.orders",
		  "SELECT * FROM customers, crm.orders", "SELECT",
		  "sales.customers crm.orders" },
	};
	static const struct ncase pgnull[] = {
		{ "SELECT * FROM Customers, customers, PUBLIC.customers",
		  "SELECT * FROM Customers, customers, PUBLIC.customers",
		  "SELECT", "public.customers" },
	};

	check_all(SQL_MYSQL, NULL, my, NCASES(my));
	check_all(SQL_POSTGRESQL, "sales", pg, NCASES(pg));
	check_all(SQL_POSTGRESQL, NULL, pgnull, NCASES(pgnull));
}

/* Inputs the normaliser must refuse: "<unparsed>", never raw text. */
static void
test_fail_closed(void)
{
	static const struct {
		enum sql_dialect	 d;
		const char		*in;
		size_t			 len;	/* 0: strlen */
	} c[] = {
		{ SQL_POSTGRESQL, "SELECT 'abc", 0 },
		{ SQL_POSTGRESQL, "SELECT \"abc", 0 },
		{ SQL_POSTGRESQL, "SELECT 1 /* abc", 0 },
		{ SQL_POSTGRESQL, "SELECT 1 /* a /* b */", 0 },
		{ SQL_POSTGRESQL, "SELECT $$abc", 0 },
		{ SQL_POSTGRESQL, "SELECT $a$ abc $b$", 0 },
		{ SQL_POSTGRESQL, "SELECT E'abc\\'", 0 },
		{ SQL_POSTGRESQL, "SELECT 1abc", 0 },
		{ SQL_POSTGRESQL, "SELECT 1.5x", 0 },
		{ SQL_POSTGRESQL, "SELECT $1abc", 0 },
		{ SQL_POSTGRESQL, "SELECT \\x", 0 },
		{ SQL_POSTGRESQL, "SELECT {fn now()}", 0 },
		{ SQL_POSTGRESQL, "SELECT $foo", 0 },
		{ SQL_POSTGRESQL, "SELECT 'a' \x01", 0 },
		{ SQL_POSTGRESQL, "SELECT 'caf\xe9'", 0 },	/* Latin-1 */
		{ SQL_POSTGRESQL, "SELECT \xc0\xaf", 0 },	/* overlong */
		{ SQL_POSTGRESQL, "SELECT \xed\xa0\x80", 0 },	/* D800 */
		{ SQL_POSTGRESQL, "SELECT 'a\0b'", 11 },
		{ SQL_MYSQL, "SELECT 'abc\\'", 0 },
		{ SQL_MYSQL, "SELECT \"abc", 0 },
		{ SQL_MYSQL, "SELECT `abc", 0 },
		{ SQL_MYSQL, "SELECT 1 /* a", 0 },
		{ SQL_MYSQL, "/*!40101 SET x = 1", 0 },
		{ SQL_MYSQL, "/*!40101 /*!40101 SET x = 1 */ */", 0 },
		{ SQL_MYSQL, "SELECT 1.5abc", 0 },
		{ SQL_MYSQL, "SELECT \\N", 0 },
		/* NO_BACKSLASH_ESCAPES text read with escapes: the stray
		 * backslash outside any string gives it away. */
		{ SQL_MYSQL, "SELECT a FROM t WHERE s = 'C:\\' AND n = 'John' "
		  "AND p = 'D:\\' AND q = 'x'", 0 },
		/* Valid both with and without backslash escapes, and the
		 * readings disagree on what is code: disputed. */
		{ SQL_MYSQL, "UPDATE t SET note = 'it\\'s -- fine', who = 'x' "
		  "WHERE id = 3", 0 },
		{ SQL_MYSQL, "SELECT a FROM t WHERE c1 = 'x\\' AND c2 = 'John "
		  "Smith' # '", 0 },
		{ SQL_POSTGRESQL, "SELECT 'it\\'s -- x', 'John Smith'", 0 },
	};
	struct sqlnorm_opts o = { SQL_POSTGRESQL, NULL, NULL, 0 };
	struct sqlnorm n;
	size_t i, len;

	for (i = 0; i < NCASES(c); i++) {
		o.dialect = c[i].d;
		len = c[i].len ? c[i].len : strlen(c[i].in);
		if (sqlnorm(c[i].in, len, &o, &n) != 0) {
			FAILF("case %zu returned -1", i);
			continue;
		}
		if (!n.unparsed || strcmp(n.statement, SQLNORM_UNPARSED) != 0)
			FAILF("case %zu (%s) parsed as \"%s\"", i, c[i].in,
			    n.statement);
		if (strlen(n.fingerprint) != 16)
			FAILF("case %zu: fingerprint \"%s\"", i, n.fingerprint);
		if (strcmp(n.command, "SELECT") != 0 &&
		    strcmp(n.command, "SET") != 0 &&
		    strcmp(n.command, "UPDATE") != 0 &&
		    strcmp(n.command, "UNKNOWN") != 0)
			FAILF("case %zu: command %s", i, n.command);
		sqlnorm_clear(&n);
	}
}

/* Over max_len: unparsed, and the fingerprint ignores the literals. */
static void
test_limits(void)
{
	struct sqlnorm_opts o = { SQL_POSTGRESQL, NULL, NULL, 16 };
	struct sqlnorm a, b;
	char *big;
	size_t i, n = 3 * 1024 * 1024;

	REQUIRE(sqlnorm("SELECT * FROM t WHERE a = 1", 27, &o, &a) == 0);
	REQUIRE(sqlnorm("SELECT * FROM t WHERE a = 2", 27, &o, &b) == 0);
	CHECK(a.unparsed && b.unparsed);
	CHECK_STR(a.statement, SQLNORM_UNPARSED);
	CHECK_STR(a.fingerprint, b.fingerprint);
	CHECK_STR(a.command, "SELECT");
	sqlnorm_clear(&a);
	sqlnorm_clear(&b);

	/* Default bound 1 MiB; a trailing NUL is framing, not text. */
	o.max_len = 0;
	REQUIRE((big = malloc(n)) != NULL);
	memcpy(big, "SELECT ", 7);
	for (i = 7; i < n; i++)
		big[i] = i % 2 ? '1' : '+';
	REQUIRE(sqlnorm(big, n, &o, &a) == 0);
	CHECK(a.unparsed);
	sqlnorm_clear(&a);
	REQUIRE(sqlnorm("SELECT 1\0", 9, &o, &a) == 0);
	CHECK_STR(a.statement, "SELECT ?");
	sqlnorm_clear(&a);

	/* Deep nesting is bounded; so are unary signs. */
	memset(big, '(', 600);
	REQUIRE(sqlnorm(big, 600, &o, &a) == 0);
	CHECK(a.unparsed);
	sqlnorm_clear(&a);
	memset(big, '-', 200);
	big[200] = '1';
	REQUIRE(sqlnorm(big, 201, &o, &a) == 0);
	CHECK_STR(a.statement, "");	/* PostgreSQL: all a comment */
	sqlnorm_clear(&a);
	o.dialect = SQL_MYSQL;
	for (i = 0; i < 200; i++)
		memcpy(big + 2 * i, "- ", 2);
	big[400] = '1';
	REQUIRE(sqlnorm(big, 401, &o, &a) == 0);
	CHECK(a.unparsed);
	sqlnorm_clear(&a);
	free(big);

	CHECK(sqlnorm(NULL, 5, &o, &a) == -1);
	REQUIRE(sqlnorm(NULL, 0, NULL, &a) == 0);
	CHECK_STR(a.statement, "");
	CHECK_STR(a.command, "UNKNOWN");
	sqlnorm_clear(&a);
	sqlnorm_clear(NULL);
}

static void
fp_of(enum sql_dialect d, const char *sql, char fp[17])
{
	struct sqlnorm_opts o = { d, NULL, NULL, 0 };
	struct sqlnorm n;

	fp[0] = '\0';
	if (sqlnorm(sql, strlen(sql), &o, &n) != 0) {
		FAILF("sqlnorm(%s) failed", sql);
		return;
	}
	memcpy(fp, n.fingerprint, 17);
	sqlnorm_clear(&n);
}

/*
 * The same statement as the wire decoder and a log reader see it (simple
 * and extended protocol, other literals, other spacing, comments, a
 * trailing semicolon, keyword case) has one fingerprint; different
 * statements do not share it.
 */
static void
test_fingerprints(void)
{
	static const char *const same_pg[] = {
		"SELECT name FROM customers WHERE id = 42",
		"select name from customers where id = $1",
		"SELECT  name\n\tFROM customers\n WHERE id=-7;",
		"/* app */ SELECT name FROM customers -- x\n WHERE id = '42'",
		"SELECT name FROM customers WHERE id = 42 "
		"/*user='alice',action='view'*/",
		"SELECT name FROM customers WHERE id = :id",
	};
	static const char *const same_in[] = {
		"SELECT a FROM t WHERE b IN (1)",
		"SELECT a FROM t WHERE b IN (1, 2, 3, 4, 5, 6)",
		"SELECT a FROM t WHERE b IN ($1,$2)",
		"SELECT a FROM t WHERE b IN ('x', 'y')",
	};
	static const char *const same_values[] = {
		"INSERT INTO t (a, b) VALUES (1, 'x')",
		"INSERT INTO t(a,b) VALUES (1,'x'),(2,'y'),(3,'z')",
		"insert into t (a, b) values ($1, $2)",
	};
	char fp0[17], fp[17];
	size_t i;

	fp_of(SQL_POSTGRESQL, same_pg[0], fp0);
	for (i = 1; i < NCASES(same_pg); i++) {
		fp_of(SQL_POSTGRESQL, same_pg[i], fp);
		if (strcmp(fp, fp0) != 0)
			FAILF("fingerprint of \"%s\" differs", same_pg[i]);
	}
	/* MySQL's ? placeholder and literals agree with PostgreSQL. */
	fp_of(SQL_MYSQL, "SELECT name FROM customers WHERE id = ?", fp);
	CHECK_STR(fp, fp0);
	fp_of(SQL_MYSQL, "SELECT name FROM customers WHERE id = '42' # x",
	    fp);
	CHECK_STR(fp, fp0);
	fp_of(SQL_POSTGRESQL, same_in[0], fp0);
	for (i = 1; i < NCASES(same_in); i++) {
		fp_of(SQL_POSTGRESQL, same_in[i], fp);
		if (strcmp(fp, fp0) != 0)
			FAILF("fingerprint of \"%s\" differs", same_in[i]);
	}
	fp_of(SQL_POSTGRESQL, same_values[0], fp0);
	for (i = 1; i < NCASES(same_values); i++) {
		fp_of(SQL_POSTGRESQL, same_values[i], fp);
		if (strcmp(fp, fp0) != 0)
			FAILF("fingerprint of \"%s\" differs", same_values[i]);
	}
	/* The fingerprint is of the statement text, as documented. */
	fp_of(SQL_POSTGRESQL, "SELECT 1", fp);
	{
		char hex[65];

		sha256_hex("SELECT ?", 8, hex);
		hex[16] = '\0';
		CHECK_STR(fp, hex);
	}
	/* Different statements, different fingerprints. */
	fp_of(SQL_POSTGRESQL, "SELECT name FROM customers WHERE id = 1", fp0);
	fp_of(SQL_POSTGRESQL, "SELECT name FROM customers WHERE id > 1", fp);
	CHECK(strcmp(fp0, fp) != 0);
	fp_of(SQL_POSTGRESQL, "SELECT phone FROM customers WHERE id = 1", fp);
	CHECK(strcmp(fp0, fp) != 0);
	/* Unparsed: equal for other literals after the doubt point too,
	 * and never equal to a parsed statement's. */
	fp_of(SQL_POSTGRESQL, "SELECT a FROM t WHERE b = 1 AND c = 'x", fp0);
	fp_of(SQL_POSTGRESQL, "SELECT a FROM t WHERE b = 2 AND c = 'yz", fp);
	CHECK_STR(fp, fp0);
	fp_of(SQL_POSTGRESQL, "SELECT a FROM t WHERE b = 1 AND c = ", fp);
	CHECK(strcmp(fp, fp0) != 0);
}

static void
test_end_user(void)
{
	static const struct {
		const char	*in;
		const char	*tag;
		const char	*want;	/* NULL: none */
	} c[] = {
		{ "SELECT 1 /*user='alice'*/", NULL, "alice" },
		{ "SELECT 1 /*action='list',user='bob%40corp.example',"
		  "route='%2Fa'*/", NULL, "bob@corp.example" },
		{ "/*controller='index',framework='django%3A2.2'*/ SELECT 1",
		  NULL, NULL },
		{ "SELECT 1 /*end_user='carol',user='svc'*/", "end_user",
		  "carol" },
		{ "SELECT 1 /*user='o\\'brien'*/", NULL, "o'brien" },
		{ "SELECT 1 /*user='caf%C3%A9'*/", NULL, "caf\xc3\xa9" },
		{ "SELECT 1 /*user='a%0Ab'*/", NULL, NULL },	/* NL */
		{ "SELECT 1 /*user='%FF'*/", NULL, NULL },	/* bad */
		{ "SELECT 1 /*user='%4'*/", NULL, NULL },
		{ "SELECT 1 /*user=''*/", NULL, NULL },
		{ "SELECT 1 /*user='alice' garbage*/", NULL, NULL },
		{ "SELECT 1 /* user = 'alice' */", NULL, NULL },
		{ "SELECT 1 -- user='alice'", NULL, NULL },
		{ "SELECT 1 /*user='alice'*/ /*user='mallory'*/", NULL,
		  "alice" },
		{ "SELECT '/*user=''alice''*/'", NULL, NULL },
	};
	struct sqlnorm_opts o = { SQL_POSTGRESQL, NULL, NULL, 0 };
	struct sqlnorm n;
	size_t i;

	for (i = 0; i < NCASES(c); i++) {
		o.end_user_tag = c[i].tag;
		if (sqlnorm(c[i].in, strlen(c[i].in), &o, &n) != 0) {
			FAILF("case %zu failed", i);
			continue;
		}
		if (c[i].want == NULL && n.end_user != NULL)
			FAILF("case %zu: end_user \"%s\", want none", i,
			    n.end_user);
		if (c[i].want != NULL && (n.end_user == NULL ||
		    strcmp(n.end_user, c[i].want) != 0))
			FAILF("case %zu: end_user \"%s\", want \"%s\"", i,
			    n.end_user ? n.end_user : "(null)", c[i].want);
		/* The comment itself is never in the statement. */
		if (strstr(n.statement, "user") != NULL ||
		    strstr(n.statement, "alice") != NULL)
			FAILF("case %zu: statement \"%s\"", i, n.statement);
		sqlnorm_clear(&n);
	}
}

/* xorshift64*: deterministic, so a failure reproduces. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/*
 * Writes a random literal of the given kind for dialect d into buf and
 * the distinctive part that must not survive into mark. Strings carry
 * quotes, backslashes, comment starters and UTF-8 around the mark.
 */
static void
rnd_literal(uint64_t *s, enum sql_dialect d, char *buf, size_t len,
    char *mark, size_t marklen)
{
	static const char *const junk[] = {
		"''", " ", "--", "/*", "*/", "\"", "$", "?", "\xc3\xa9", ";",
		"(", ")", ",", "IN (", "e''", "#"
	};
	size_t i, o = 0, k;
	int kind = (int)(rnd(s) % 6);

	snprintf(mark, marklen, "%c%c%c%c%c%c%c",
	    'a' + (int)(rnd(s) % 26), 'a' + (int)(rnd(s) % 26),
	    'a' + (int)(rnd(s) % 26), 'A' + (int)(rnd(s) % 26),
	    'a' + (int)(rnd(s) % 26), 'a' + (int)(rnd(s) % 26),
	    '0' + (int)(rnd(s) % 10));
	switch (kind) {
	case 0:		/* number; the mark is its digits */
		snprintf(mark, marklen, "%llu", (unsigned long long)
		    (rnd(s) % 900000000ULL + 100000000ULL));
		snprintf(buf, len, "%s%s", rnd(s) % 2 ? "-" : "", mark);
		return;
	case 1:		/* decimal with exponent */
		snprintf(mark, marklen, "%llu", (unsigned long long)
		    (rnd(s) % 900000ULL + 100000ULL));
		snprintf(buf, len, "%s.%lluE-%d", mark,
		    (unsigned long long)(rnd(s) % 1000), (int)(rnd(s) % 9));
		return;
	case 2:
		if (d == SQL_POSTGRESQL) {	/* dollar quoted */
			snprintf(buf, len, "$q$ it's %s $$ $q$", mark);
			return;
		}
		/* MySQL: a double-quoted string with escapes */
		snprintf(buf, len, "\"\\\"%s\\\\\"", mark);
		return;
	case 3:
		if (d == SQL_POSTGRESQL) {	/* escape string */
			snprintf(buf, len, "E'\\'%s\\\\'", mark);
			return;
		}
		snprintf(buf, len, "_utf8mb4'%s\\''", mark);
		return;
	default:	/* single quoted with junk around the mark */
		buf[o++] = '\'';
		for (i = 0; i < 3; i++) {
			k = rnd(s) % NCASES(junk);
			if (o + 8 < len) {
				memcpy(buf + o, junk[k], strlen(junk[k]));
				o += strlen(junk[k]);
			}
			if (i == 1 && o + strlen(mark) + 4 < len) {
				memcpy(buf + o, mark, strlen(mark));
				o += strlen(mark);
			}
		}
		buf[o++] = '\'';
		buf[o] = '\0';
		return;
	}
}

/*
 * The property the product stands on: whatever literal values a
 * statement carries, none of them appears in the normalised text, and
 * all variants of one template share one fingerprint.
 */
static void
test_property_no_literals(void)
{
	static const char *const tpl[] = {
		"SELECT name, phone FROM crm.customers WHERE id = @ AND "
		"region IN (@, @, @)",
		"INSERT INTO t (a, b, c) VALUES (@, @, @), (@, @, @)",
		"UPDATE accounts SET balance = balance + @ WHERE owner = @ "
		"/*user='alice'*/",
		"SELECT * FROM t WHERE a BETWEEN @ AND @ OR b LIKE @ -- @\n",
		"DELETE FROM s WHERE x = @ AND y <> @;",
		"SELECT f(@, - @), @ || @ FROM t WHERE (a, b) = (@, @)",
		"WITH q AS (SELECT @ AS v) SELECT v FROM q WHERE v > @",
		"COPY (SELECT * FROM c WHERE k = @) TO STDOUT",
		"SELECT CASE WHEN a = @ THEN @ ELSE @ END FROM t LIMIT @",
	};
	enum sql_dialect ds[2] = { SQL_POSTGRESQL, SQL_MYSQL };
	char sql[4096], lit[256], marks[16][32], fp0[17];
	struct sqlnorm_opts o = { SQL_POSTGRESQL, NULL, NULL, 0 };
	struct sqlnorm n;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	size_t t, it, i, o_len, nm, total[2] = { 0, 0 };
	int di, unparsed[2] = { 0, 0 };
	const char *p;

	for (di = 0; di < 2; di++) {
		o.dialect = ds[di];
		for (t = 0; t < NCASES(tpl); t++) {
			fp0[0] = '\0';
			for (it = 0; it < 150; it++) {
				o_len = 0;
				nm = 0;
				for (p = tpl[t]; *p != '\0' &&
				    o_len + 300 < sizeof(sql); p++) {
					if (*p != '@') {
						sql[o_len++] = *p;
						continue;
					}
					rnd_literal(&seed, ds[di], lit,
					    sizeof(lit), marks[nm],
					    sizeof(marks[0]));
					if (nm < 15)
						nm++;
					memcpy(sql + o_len, lit, strlen(lit));
					o_len += strlen(lit);
				}
				sql[o_len] = '\0';
				if (sqlnorm(sql, o_len, &o, &n) != 0) {
					FAILF("sqlnorm failed on %s", sql);
					return;
				}
				for (i = 0; i < nm; i++)
					if (strstr(n.statement, marks[i]) !=
					    NULL)
						FAILF("literal %s leaked: "
						    "%s -> %s", marks[i],
						    sql, n.statement);
				total[di]++;
				if (n.unparsed)
					unparsed[di]++;
				else if (fp0[0] == '\0')
					memcpy(fp0, n.fingerprint, 17);
				else if (strcmp(fp0, n.fingerprint) != 0)
					FAILF("fingerprint differs: %s -> %s",
					    sql, n.statement);
				sqlnorm_clear(&n);
			}
		}
	}
	/*
	 * The generator writes valid literals: all PostgreSQL ones parse.
	 * A MySQL string with \' and a comment starter in it reads another
	 * way under NO_BACKSLASH_ESCAPES, so a few are (rightly) disputed.
	 */
	CHECK_INT(unparsed[0], 0);
	CHECK(unparsed[1] * 10 < (int)total[1]);
}

/*
 * Statements that are valid under the string rule the lexer does not
 * assume (MySQL NO_BACKSLASH_ESCAPES: a backslash is data; PostgreSQL
 * standard_conforming_strings off: it escapes), with comment starters,
 * doubled quotes and marker words in the values. Read with the default
 * rule, none may let a marker through: either both readings agree on
 * what is code, or the statement is disputed and fails closed.
 */
static void
test_property_other_string_rule(void)
{
	static const char *const piece[] = {
		"''", " -- ", " # ", "\"", " AND y = ", "/* ", " */", "@"
	};
	struct sqlnorm_opts o = { SQL_MYSQL, NULL, NULL, 0 };
	struct sqlnorm n;
	char sql[2048], marks[8][16];
	uint64_t seed = 0x2545f4914f6cdd1dULL;
	size_t len, k, nv, i, parsed = 0;
	int mode, it;

	for (mode = 0; mode < 2; mode++) {
		o.dialect = mode ? SQL_POSTGRESQL : SQL_MYSQL;
		for (it = 0; it < 4000; it++) {
			len = (size_t)snprintf(sql, sizeof(sql),
			    "SELECT a FROM t WHERE x = 1");
			nv = 1 + rnd(&seed) % 6;
			for (k = 0; k < nv; k++) {
				snprintf(marks[k], sizeof(marks[k]),
				    "mk%c%c%c%c", 'a' + (int)(rnd(&seed) % 26),
				    'a' + (int)(rnd(&seed) % 26),
				    'a' + (int)(rnd(&seed) % 26),
				    'a' + (int)(rnd(&seed) % 26));
				len += (size_t)snprintf(sql + len,
				    sizeof(sql) - len, " %s c%zu = '",
				    rnd(&seed) % 2 ? "AND" : "OR", k);
				for (i = 0; i < 4; i++) {
					const char *p;
					static const char follow[] = "'\\n";
					char esc[3] = { '\\', 0, 0 };

					switch (rnd(&seed) % 4) {
					case 0:
						/* MySQL NBE: \ alone is data;
						 * PG scs off: \ escapes one. */
						if (mode)
							esc[1] = follow[rnd(
							    &seed) % 3];
						p = esc;
						break;
					case 1:
						p = marks[k];
						break;
					default:
						p = piece[rnd(&seed) %
						    NCASES(piece)];
						break;
					}
					len += (size_t)snprintf(sql + len,
					    sizeof(sql) - len, "%s", p);
				}
				len += (size_t)snprintf(sql + len,
				    sizeof(sql) - len, "'");
			}
			REQUIRE(len < sizeof(sql));
			REQUIRE(sqlnorm(sql, len, &o, &n) == 0);
			for (k = 0; k < nv; k++)
				if (strstr(n.statement, marks[k]) != NULL)
					FAILF("marker %s leaked: %s -> %s",
					    marks[k], sql, n.statement);
			parsed += (size_t)!n.unparsed;
			sqlnorm_clear(&n);
		}
	}
	/* Not all of them fail closed: the check is not a blanket ban. */
	CHECK(parsed > 1000);
}

/* A rough throughput figure on a typical mix, in CPU time so a busy
 * machine does not halve it (printed, not asserted). */
static void
test_throughput(void)
{
	static const char *const mix[] = {
		"SELECT name, phone, email FROM crm.customers WHERE id = 42",
		"UPDATE pgbench_accounts SET abalance = abalance + -4232 "
		"WHERE aid = 77218",
		"INSERT INTO t1 VALUES (1804289383,'mxvtvmC9127qJNm06sGB8R92q2"
		"j7vTiiITRDGXM9ZLzkdekbWtmXKwZ2qG1llkRw5m9DHOFilEREk3q7oc')",
		"SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c "
		"LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
		"WHERE c.relname OPERATOR(pg_catalog.~) '^(customers)$' AND "
		"pg_catalog.pg_table_is_visible(c.oid) ORDER BY 2, 3",
		"SELECT * FROM orders WHERE customer_id IN (1, 2, 3, 4, 5, 6, "
		"7, 8) AND created > '2026-01-01' /*user='alice'*/",
	};
	struct sqlnorm_opts o = { SQL_POSTGRESQL, NULL, NULL, 0 };
	struct sqlnorm n;
	struct timespec a, b;
	size_t i, bytes = 0, count = 0;
	double s;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	do {
		for (i = 0; i < NCASES(mix); i++) {
			REQUIRE(sqlnorm(mix[i], strlen(mix[i]), &o, &n) == 0);
			sqlnorm_clear(&n);
			bytes += strlen(mix[i]);
			count++;
		}
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
		s = (double)(b.tv_sec - a.tv_sec) +
		    (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	} while (s < 0.2);
	printf("sqlnorm: %zu statements, %.1f MB in %.2f s CPU = %.1f MB/s, "
	    "%.0f statements/s (this build)\n", count, (double)bytes / 1e6, s,
	    (double)bytes / 1e6 / s, (double)count / s);
}

/* sqlnorm_memo(sql) field by field against sqlnorm(sql). */
static int
memo_agrees(struct sqlnorm_fpmemo *m, const char *sql)
{
	struct sqlnorm a, b;
	size_t i;
	int same;

	if (sqlnorm(sql, strlen(sql), NULL, &a) != 0)
		return 0;
	if (sqlnorm_memo(sql, strlen(sql), NULL, m, &b) != 0) {
		sqlnorm_clear(&a);
		return 0;
	}
	same = strcmp(a.statement, b.statement) == 0 &&
	    strcmp(a.fingerprint, b.fingerprint) == 0 &&
	    strcmp(a.command, b.command) == 0 && a.unparsed == b.unparsed &&
	    a.ntables == b.ntables;
	for (i = 0; same && i < a.ntables; i++)
		same = strcmp(a.tables[i], b.tables[i]) == 0;
	sqlnorm_clear(&a);
	sqlnorm_clear(&b);
	return same;
}

/*
 * The fingerprint memo: one hash per shape while it stays, the same
 * results as without it through hits, slot collisions and replacements
 * (5,000 shapes in 1,024 slots), long texts and unparsed ones past it.
 */
static void
test_fingerprint_memo(void)
{
	struct sqlnorm_fpmemo *m;
	struct sqlnorm n;
	char sql[2200], hex[65];
	uint64_t hits, misses;
	size_t i;

	sqlnorm_fpmemo_free(NULL);
	sqlnorm_fpmemo_stats(NULL, &hits, &misses);
	CHECK_INT(hits, 0);
	CHECK_INT(misses, 0);
	REQUIRE((m = sqlnorm_fpmemo_new(7)) != NULL);
	for (i = 0; i < 1000; i++) {
		snprintf(sql, sizeof(sql), "SELECT abalance FROM "
		    "pgbench_accounts WHERE aid = %zu;", i);
		REQUIRE(sqlnorm_memo(sql, strlen(sql), NULL, m, &n) == 0);
		sha256_hex("SELECT abalance FROM pgbench_accounts WHERE "
		    "aid = ?", 51, hex);
		hex[16] = '\0';
		CHECK_STR(n.fingerprint, hex);
		sqlnorm_clear(&n);
	}
	sqlnorm_fpmemo_stats(m, &hits, &misses);
	CHECK_INT(hits, 999);
	CHECK_INT(misses, 1);

	/* Each shape twice (memo_agrees normalises once with the memo),
	 * against the plain result. */
	for (i = 0; i < 5000; i++) {
		snprintf(sql, sizeof(sql), "SELECT c%zu FROM t%zu WHERE x = "
		    "%zu", i, i % 7, i);
		if (!memo_agrees(m, sql) || !memo_agrees(m, sql))
			FAILF("memo differs on %s", sql);
		if (!memo_agrees(m, "SELECT 1"))
			FAILF("memo differs on SELECT 1 after %s", sql);
	}
	sqlnorm_fpmemo_stats(m, &hits, &misses);
	CHECK_INT(hits + misses, 1000 + 3 * 5000);
	CHECK(misses >= 5000);

	/* Over 1,024 bytes normalised and unparsed texts: not memoised. */
	memcpy(sql, "SELECT ", 7);
	memset(sql + 7, 'a', 2000);
	memcpy(sql + 2007, " FROM t", 8);
	CHECK(memo_agrees(m, sql));
	CHECK(memo_agrees(m, "SELECT 'unterminated"));
	CHECK(memo_agrees(m, "SELECT a FROM t WHERE b = 1 AND c = 'x"));
	sqlnorm_fpmemo_stats(m, &hits, &misses);
	CHECK_INT(hits + misses, 1000 + 3 * 5000);
	sqlnorm_fpmemo_free(m);
}

/* The shape of in ("-" when it has none). */
static void
shape_of(enum sql_dialect d, size_t max_len, const char *in, char *out,
    size_t outlen)
{
	struct sqlnorm_opts o = { d, NULL, NULL, max_len };
	size_t n;

	if (strlen(in) >= outlen || sqlnorm_shape(in, strlen(in), &o, out,
	    &n) != 0)
		n = (size_t)snprintf(out, outlen, "-");
	out[n] = '\0';
}

/* Both texts normalise to the same result, field by field. */
static int
same_result(enum sql_dialect d, const char *a, const char *b)
{
	struct sqlnorm_opts o = { d, NULL, NULL, 0 };
	struct sqlnorm x, y;
	size_t i;
	int same;

	if (sqlnorm(a, strlen(a), &o, &x) != 0)
		return 0;
	if (sqlnorm(b, strlen(b), &o, &y) != 0) {
		sqlnorm_clear(&x);
		return 0;
	}
	same = strcmp(x.statement, y.statement) == 0 &&
	    strcmp(x.fingerprint, y.fingerprint) == 0 &&
	    strcmp(x.command, y.command) == 0 && x.unparsed == y.unparsed &&
	    x.ntables == y.ntables && (x.end_user == NULL) ==
	    (y.end_user == NULL);
	for (i = 0; same && i < x.ntables; i++)
		same = strcmp(x.tables[i], y.tables[i]) == 0;
	sqlnorm_clear(&x);
	sqlnorm_clear(&y);
	return same;
}

/*
 * Shapes: bare numbers masked where they start and end a token, nothing
 * else touched; no shape for text with quotes, comments, dollar quotes,
 * backslashes, control characters, or over the length bound. Texts of
 * one shape normalise alike.
 */
static void
test_shape(void)
{
	static const struct {
		enum sql_dialect d;
		const char	*in;
		const char	*shape;
	} c[] = {
		{ SQL_POSTGRESQL, "SELECT abalance FROM pgbench_accounts "
		  "WHERE aid = 146352;", "SELECT abalance FROM "
		  "pgbench_accounts WHERE aid = 0;" },
		{ SQL_POSTGRESQL, "SELECT a FROM t1 WHERE x IN (1,22, 333) "
		  "AND y=4 AND z<5 AND w>6 LIMIT 10",
		  "SELECT a FROM t1 WHERE x IN (0,0, 0) AND y=0 AND z<0 AND "
		  "w>0 LIMIT 0" },
		{ SQL_POSTGRESQL, "SELECT 1.5, .5, 1e5, 0x1F, 1_000, 12a, "
		  "t.12, :1, ?1, +1, a[1]", "SELECT 1.5, .5, 1e5, 0x1F, "
		  "1_000, 12a, t.12, :1, ?1, +1, a[0]" },
		{ SQL_MYSQL, "SELECT @1, @@x1, 2", "SELECT @1, @@x1, 0" },
		{ SQL_POSTGRESQL, "SELECT 1 -- c", "-" },
		{ SQL_POSTGRESQL, "SELECT 1 /* c */", "-" },
		{ SQL_POSTGRESQL, "SELECT '1'", "-" },
		{ SQL_POSTGRESQL, "SELECT \"c1\" FROM t", "-" },
		{ SQL_POSTGRESQL, "SELECT $1", "-" },
		{ SQL_POSTGRESQL, "SELECT $$1$$", "-" },
		{ SQL_POSTGRESQL, "SELECT a - 1", "-" },
		{ SQL_POSTGRESQL, "SELECT 1\f", "-" },
		{ SQL_MYSQL, "SELECT 1 # c", "-" },
		{ SQL_MYSQL, "SELECT `1`", "-" },
	};
	static const char *alike[][2] = {
		{ "SELECT abalance FROM pgbench_accounts WHERE aid = 1;",
		  "SELECT abalance FROM pgbench_accounts WHERE aid = "
		  "99999999999999999999999999;" },
		{ "SELECT * FROM t WHERE a IN (1, 2, 3) LIMIT 5",
		  "SELECT * FROM t WHERE a IN (7, 8, 9) LIMIT 50" },
		{ "UPDATE t SET a=1 WHERE b<2", "UPDATE t SET a=0 WHERE b<0" },
		{ "INSERT INTO t (a,b) VALUES (1,2), (3,4)",
		  "INSERT INTO t (a,b) VALUES (5,6), (7,8)" },
	};
	char got[256], sa[256], sb[256];
	size_t i, k;

	for (i = 0; i < NCASES(c); i++) {
		shape_of(c[i].d, 0, c[i].in, got, sizeof(got));
		if (strcmp(got, c[i].shape) != 0)
			FAILF("%s\n    got:  %s\n    want: %s", c[i].in, got,
			    c[i].shape);
	}
	/* A C string's terminators are not text; a NUL inside is. */
	{
		struct sqlnorm_opts o = { SQL_MYSQL, NULL, NULL, 0 };

		CHECK_INT(sqlnorm_shape("SELECT 12\0\0", 11, &o, got, &k), 0);
		CHECK_INT(k, 8);
		CHECK(memcmp(got, "SELECT 0", 8) == 0);
		CHECK_INT(sqlnorm_shape("SELECT\0 1", 9, &o, got, &k), -1);
	}
	/* Over the length bound: no shape (sqlnorm fails closed on it). */
	shape_of(SQL_POSTGRESQL, 10, "SELECT 1 FROM t", got, sizeof(got));
	CHECK_STR(got, "-");
	shape_of(SQL_POSTGRESQL, 15, "SELECT 1 FROM t", got, sizeof(got));
	CHECK_STR(got, "SELECT 0 FROM t");
	for (i = 0; i < NCASES(alike); i++) {
		for (k = 0; k < 2; k++) {
			enum sql_dialect d = k ? SQL_MYSQL : SQL_POSTGRESQL;

			shape_of(d, 0, alike[i][0], sa, sizeof(sa));
			shape_of(d, 0, alike[i][1], sb, sizeof(sb));
			CHECK(strcmp(sa, "-") != 0);
			CHECK_STR(sa, sb);
			if (!same_result(d, alike[i][0], alike[i][1]))
				FAILF("%s and %s normalise apart", alike[i][0],
				    alike[i][1]);
		}
	}
}

static const struct test tests[] = {
	{ "pg_pgbench", test_pg_pgbench },
	{ "pg_psql", test_pg_psql },
	{ "pg_copy_cursor_prepare", test_pg_copy_cursor_prepare },
	{ "pg_cte_and_tables", test_pg_cte_and_tables },
	{ "pg_literals", test_pg_literals },
	{ "mysql", test_mysql },
	{ "default_schema", test_default_schema },
	{ "fail_closed", test_fail_closed },
	{ "limits", test_limits },
	{ "fingerprints", test_fingerprints },
	{ "fingerprint_memo", test_fingerprint_memo },
	{ "shape", test_shape },
	{ "end_user", test_end_user },
	{ "property_no_literals", test_property_no_literals },
	{ "property_other_string_rule", test_property_other_string_rule },
	{ "throughput", test_throughput },
};

HARNESS_MAIN(tests)
