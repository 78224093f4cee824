/*
 * Tests of the arithmetic of agent/source-stat.c (stat_tab_poll()), the
 * statistics sources, without a server: each poll is a table of rows as
 * pg_stat_statements or performance_schema would return them. The first
 * poll is a baseline; later ones emit exactly the growth, read or write
 * by statement kind, attributed to the row's user and database; a new
 * row counts from zero, a row whose counters went down (an entry reset)
 * counts from zero, and so does every row when stats_reset moves
 * (pg_stat_statements_reset()); a vanished row (dealloc) is forgotten
 * and counted afresh when it comes back; rows over the key cap are
 * counted, not tracked. Fill mode (log + pgstat in one agent) reports
 * only the calls the fill ledger (agent/statfill.c) says the log could
 * not count, drops the rest after the wait, and holds cursors' FETCHes
 * until the log decides.
 */
#include "harness.h"
#include "../../agent/agent.h"
#include "leakwatch/event.h"

#include <jansson.h>

#define MAXEV	64
#define SEC	1000000LL

static char	*evs[MAXEV];
static int	 nev;
static struct agent_config cfg;

static void
collect(void *arg, struct lw_event *ev)
{
	size_t len;

	(void)arg;
	if (nev < MAXEV)
		evs[nev++] = lw_event_encode(ev, &len);
	lw_event_free(ev);
}

static void
reset(void)
{
	while (nev > 0)
		free(evs[--nev]);
	agent_config_defaults(&cfg);
	statfill_reset();
}

/* A pg row: user, db, queryid, statement, calls, rows, time in ms. */
static struct stat_row
pg(const char *user, const char *db, const char *id, const char *sql,
    uint64_t calls, uint64_t rows, double ms)
{
	struct stat_row r;

	memset(&r, 0, sizeof(r));
	r.user = user;
	r.db = db;
	r.id = id;
	r.sql = sql;
	r.sql_len = strlen(sql);
	r.calls = calls;
	r.rows = rows;
	r.time_us = ms * 1000.0;
	return r;
}

/* The integer field key of event i, or -1. */
static long long
num_of(int i, const char *key)
{
	json_t *o, *v;
	json_error_t je;
	long long n = -1;

	if (i >= nev || (o = json_loads(evs[i], 0, &je)) == NULL)
		return -1;
	v = json_object_get(o, key);
	if (json_is_integer(v))
		n = json_integer_value(v);
	json_decref(o);
	return n;
}

static int
has(int i, const char *needle)
{
	return i < nev && strstr(evs[i], needle) != NULL;
}

/* The fill-ledger key of sql for user@db, as source-log.c makes it. */
static void
key_of(const char *user, const char *db, const char *sql, char *key,
    size_t len)
{
	struct db_session_info info;
	struct db_query q;
	struct lw_event *ev;
	uint64_t ne = 0;
	char err[256], fp[17] = "";

	memset(&info, 0, sizeof(info));
	info.db_system = "postgresql";
	snprintf(info.db_user, sizeof(info.db_user), "%s", user);
	snprintf(info.database, sizeof(info.database), "%s", db);
	memset(&q, 0, sizeof(q));
	q.sql = sql;
	q.sql_len = strlen(sql);
	ev = db_query_event(&cfg, &info, &q, "log", &ne, err, sizeof(err));
	if (ev == NULL || statfill_fingerprint(ev, fp, sizeof(fp)) != 0)
		FAILF("no fingerprint for %s", sql);
	statfill_key("postgresql", user, db, fp, key, len);
	lw_event_free(ev);
}

/* Baseline, then exact growth; unchanged rows emit nothing. */
static void
test_delta(void)
{
	struct stat_tab *t;
	struct stat_row r[3];
	struct stat_tab_stats st;

	reset();
	t = stat_tab_new(&cfg, 0, 100);
	r[0] = pg("alice", "crm", "11/t", "SELECT * FROM crm.customers", 2,
	    140000, 50);
	r[1] = pg("frank", "crm", "12/t",
	    "INSERT INTO crm.notes VALUES ($1, $2)", 10, 10, 1);
	r[2] = pg("bob", "crm", "13/t", "SELECT 1", 5, 5, 1);
	CHECK_INT(stat_tab_poll(t, r, 3, "e1", 1 * SEC, 0, collect, NULL), 0);
	CHECK_INT(nev, 0);	/* the baseline */
	r[0].calls = 3;
	r[0].rows = 210000;
	r[0].time_us = 75000;
	r[1].calls = 12;
	r[1].rows = 14;
	CHECK_INT(stat_tab_poll(t, r, 3, "e1", 2 * SEC, 0, collect, NULL), 2);
	REQUIRE(nev == 2);
	CHECK(has(0, "\"db_user\":\"alice\""));
	CHECK(has(0, "\"database\":\"crm\""));
	CHECK(has(0, "\"statement\":\"SELECT * FROM crm.customers\""));
	CHECK(has(0, "\"source\":\"stats\""));
	CHECK(has(0, "\"tables\":[\"crm.customers\"]"));
	CHECK_INT(num_of(0, "rows_returned"), 70000);
	CHECK_INT(num_of(0, "rows_affected"), 0);
	CHECK_INT(num_of(0, "duration_us"), 25000);
	CHECK(has(1, "\"db_user\":\"frank\""));
	CHECK(has(1, "\"statement\":\"INSERT INTO crm.notes VALUES (?, ?)\""));
	CHECK_INT(num_of(1, "rows_returned"), 0);
	CHECK_INT(num_of(1, "rows_affected"), 4);
	/* Nothing grew: nothing. */
	CHECK_INT(stat_tab_poll(t, r, 3, "e1", 3 * SEC, 0, collect, NULL), 0);
	CHECK_INT(nev, 2);
	stat_tab_stats(t, &st);
	CHECK_INT(st.tracked, 3);
	CHECK_INT(st.resets, 0);
	CHECK_INT(st.vanished, 0);
	stat_tab_free(t);
	reset();
}

/* Which statements return rows and which affect them. */
static void
test_kinds(void)
{
	static const struct {
		const char	*sql;
		int		 read;
	} k[] = {
		{ "COPY crm.customers TO STDOUT", 1 },
		{ "COPY crm.customers FROM STDIN", 0 },
		{ "copy crm.notes (id, body) from stdin", 0 },
		{ "COPY (SELECT id FROM crm.customers) TO STDOUT", 1 },
		{ "FETCH 1000 FROM cur", 1 },
		{ "WITH x AS (SELECT 1) SELECT * FROM x", 1 },
		{ "(SELECT 1) UNION (SELECT 2)", 1 },
		{ "UPDATE crm.notes SET body = $1", 0 },
		{ "DELETE FROM crm.notes", 0 },
		{ "CREATE TABLE x AS SELECT 1", 0 },
	};
	struct stat_tab *t;
	struct stat_row r[10];
	char id[8];
	size_t i;

	reset();
	t = stat_tab_new(&cfg, 0, 100);
	for (i = 0; i < 10; i++)
		r[i] = pg("u", "d", "", k[i].sql, 1, 1, 0);
	for (i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "%zu", i);
		r[i].id = strdup(id);
	}
	stat_tab_poll(t, r, 10, NULL, SEC, 0, collect, NULL);
	for (i = 0; i < 10; i++) {
		r[i].calls = 2;
		r[i].rows = 8;
	}
	CHECK_INT(stat_tab_poll(t, r, 10, NULL, 2 * SEC, 0, collect, NULL),
	    10);
	REQUIRE(nev == 10);
	for (i = 0; i < 10; i++) {
		if (num_of((int)i, k[i].read ? "rows_returned" :
		    "rows_affected") != 7)
			FAILF("%s: not a %s", k[i].sql, k[i].read ? "read" :
			    "write");
		free((char *)(uintptr_t)r[i].id);
	}
	stat_tab_free(t);
	reset();
}

/* New rows count from zero; so do reset entries and, when stats_reset
 * moves, all entries (even one that grew past its old count). */
static void
test_resets(void)
{
	struct stat_tab *t;
	struct stat_row r[2];
	struct stat_tab_stats st;

	reset();
	t = stat_tab_new(&cfg, 0, 100);
	r[0] = pg("alice", "crm", "1/t", "SELECT a FROM t", 5, 500, 10);
	r[1] = pg("bob", "crm", "2/t", "SELECT b FROM t", 4, 40, 10);
	stat_tab_poll(t, r, 1, "e1", 1 * SEC, 0, collect, NULL);
	/* bob's statement is new after the baseline: all of it counts. */
	CHECK_INT(stat_tab_poll(t, r, 2, "e1", 2 * SEC, 0, collect, NULL), 1);
	REQUIRE(nev == 1);
	CHECK(has(0, "\"db_user\":\"bob\""));
	CHECK_INT(num_of(0, "rows_returned"), 40);
	/* alice's entry reset alone (its calls went down): from zero. */
	r[0].calls = 2;
	r[0].rows = 30;
	r[0].time_us = 4000;
	CHECK_INT(stat_tab_poll(t, r, 2, "e1", 3 * SEC, 0, collect, NULL), 1);
	REQUIRE(nev == 2);
	CHECK_INT(num_of(1, "rows_returned"), 30);
	CHECK_INT(num_of(1, "duration_us"), 4000);
	/* pg_stat_statements_reset(): stats_reset moved; alice then ran
	 * 7 calls (more than before) and bob 4 again (the same count):
	 * both are whole intervals of new work. */
	r[0].calls = 7;
	r[0].rows = 700;
	CHECK_INT(stat_tab_poll(t, r, 2, "e2", 4 * SEC, 0, collect, NULL), 2);
	REQUIRE(nev == 4);
	CHECK_INT(num_of(2, "rows_returned"), 700);
	CHECK_INT(num_of(3, "rows_returned"), 40);
	stat_tab_stats(t, &st);
	CHECK_INT(st.resets, 1);
	stat_tab_free(t);
	reset();
}

/* A row the server dropped (pg_stat_statements.max dealloc) is
 * forgotten; when it is back it is a new entry. */
static void
test_vanished(void)
{
	struct stat_tab *t;
	struct stat_row r[2];
	struct stat_tab_stats st;

	reset();
	t = stat_tab_new(&cfg, 0, 100);
	r[0] = pg("alice", "crm", "1/t", "SELECT a FROM t", 5, 500, 1);
	r[1] = pg("bob", "crm", "2/t", "SELECT b FROM t", 4, 40, 1);
	stat_tab_poll(t, r, 2, NULL, 1 * SEC, 0, collect, NULL);
	CHECK_INT(stat_tab_poll(t, r, 1, NULL, 2 * SEC, 0, collect, NULL), 0);
	stat_tab_stats(t, &st);
	CHECK_INT(st.vanished, 1);
	CHECK_INT(st.tracked, 1);
	/* Re-created with 6 calls (more than the 4 it had): 6 new. */
	r[1].calls = 6;
	r[1].rows = 60;
	CHECK_INT(stat_tab_poll(t, r, 2, NULL, 3 * SEC, 0, collect, NULL), 1);
	REQUIRE(nev == 1);
	CHECK(has(0, "\"db_user\":\"bob\""));
	CHECK_INT(num_of(0, "rows_returned"), 60);
	stat_tab_free(t);
	reset();
}

/* The same statement (queryid) under two users and two databases is
 * four counters, each event with its own user and database. */
static void
test_attribution(void)
{
	struct stat_tab *t;
	struct stat_row r[4];
	int i, seen = 0;

	reset();
	t = stat_tab_new(&cfg, 0, 100);
	r[0] = pg("alice", "crm", "9/t", "SELECT * FROM t", 1, 10, 1);
	r[1] = pg("bob", "crm", "9/t", "SELECT * FROM t", 1, 20, 1);
	r[2] = pg("alice", "hr", "9/t", "SELECT * FROM t", 1, 30, 1);
	r[3] = pg("bob", "hr", "9/t", "SELECT * FROM t", 1, 40, 1);
	stat_tab_poll(t, r, 4, NULL, 1 * SEC, 0, collect, NULL);
	for (i = 0; i < 4; i++) {
		r[i].calls = 2;
		r[i].rows *= 2;
	}
	CHECK_INT(stat_tab_poll(t, r, 4, NULL, 2 * SEC, 0, collect, NULL), 4);
	REQUIRE(nev == 4);
	for (i = 0; i < 4; i++) {
		if (has(i, "\"db_user\":\"alice\"") &&
		    has(i, "\"database\":\"crm\"") &&
		    num_of(i, "rows_returned") == 10)
			seen |= 1;
		if (has(i, "\"db_user\":\"bob\"") &&
		    has(i, "\"database\":\"crm\"") &&
		    num_of(i, "rows_returned") == 20)
			seen |= 2;
		if (has(i, "\"db_user\":\"alice\"") &&
		    has(i, "\"database\":\"hr\"") &&
		    num_of(i, "rows_returned") == 30)
			seen |= 4;
		if (has(i, "\"db_user\":\"bob\"") &&
		    has(i, "\"database\":\"hr\"") &&
		    num_of(i, "rows_returned") == 40)
			seen |= 8;
	}
	CHECK_INT(seen, 15);
	stat_tab_free(t);
	reset();
}

/* Over the key cap rows are counted and ignored; a key twice in one
 * poll counts once; huge counters stay exact. */
static void
test_overflow(void)
{
	struct stat_tab *t;
	struct stat_row r[4];
	struct stat_tab_stats st;

	reset();
	t = stat_tab_new(&cfg, 0, 2);
	r[0] = pg("a", "d", "1/t", "SELECT 1", 1, 1, 0);
	r[1] = pg("b", "d", "2/t", "SELECT 2", 1, 1, 0);
	r[2] = pg("c", "d", "3/t", "SELECT 3", 1, 1, 0);
	r[3] = pg("a", "d", "1/t", "SELECT 1", 1, 1, 0);
	stat_tab_poll(t, r, 4, NULL, 1 * SEC, 0, collect, NULL);
	stat_tab_stats(t, &st);
	CHECK_INT(st.tracked, 2);
	CHECK_INT(st.untracked, 1);
	r[0].calls = r[1].calls = r[2].calls = r[3].calls = 2;
	r[0].rows = 1ULL << 52;		/* exact in JSON up to 2^53 */
	r[3].rows = 5;
	r[1].rows = r[2].rows = 3;
	CHECK_INT(stat_tab_poll(t, r, 4, NULL, 2 * SEC, 0, collect, NULL), 2);
	REQUIRE(nev == 2);
	CHECK_INT(num_of(0, "rows_returned"), (1LL << 52) - 1);
	CHECK_INT(num_of(1, "rows_returned"), 2);
	stat_tab_stats(t, &st);
	CHECK_INT(st.untracked, 2);
	/* A growth past what an event can hold (2^53) saturates, never
	 * wraps. */
	r[0].calls = 3;
	r[0].rows = 9223372036854775000ULL;
	CHECK_INT(stat_tab_poll(t, r, 4, NULL, 3 * SEC, 0, collect, NULL), 1);
	CHECK_INT(num_of(2, "rows_returned"), (1LL << 53) - 1);
	/* Then a counter at the top going on normally. */
	r[0].calls = 4;
	r[0].rows = 9223372036854775007ULL;
	CHECK_INT(stat_tab_poll(t, r, 4, NULL, 4 * SEC, 0, collect, NULL), 1);
	CHECK_INT(num_of(3, "rows_returned"), 7);
	stat_tab_free(t);
	reset();
}

/* performance_schema by user and event name: no text, the command from
 * the event name, rows sent and affected. */
static void
test_mystat(void)
{
	struct stat_tab *t;
	struct stat_row r[2];

	reset();
	t = stat_tab_new(&cfg, 1, 100);
	memset(r, 0, sizeof(r));
	r[0].user = "alice";
	r[0].db = "";
	r[0].id = "statement/sql/select";
	r[0].calls = 3;
	r[0].rows = 100;
	r[1].user = "frank";
	r[1].db = "";
	r[1].id = "statement/sql/insert_select";
	r[1].calls = 1;
	r[1].rows2 = 5;
	r[1].time_us = 1000;
	stat_tab_poll(t, r, 2, NULL, 1 * SEC, 0, collect, NULL);
	r[0].calls = 4;
	r[0].rows = 70100;
	r[1].calls = 2;
	r[1].rows2 = 255;
	r[1].time_us = 3500;
	CHECK_INT(stat_tab_poll(t, r, 2, NULL, 2 * SEC, 1, collect, NULL), 2);
	REQUIRE(nev == 2);
	CHECK(has(0, "\"db_system\":\"mysql\""));
	CHECK(has(0, "\"command\":\"SELECT\""));
	CHECK(!has(0, "\"statement\""));
	CHECK_INT(num_of(0, "rows_returned"), 70000);
	CHECK(has(1, "\"command\":\"INSERT SELECT\""));
	CHECK_INT(num_of(1, "rows_affected"), 250);
	CHECK_INT(num_of(1, "duration_us"), 2500);
	/* TRUNCATE of the summary: counters went down, from zero. */
	r[0].calls = 1;
	r[0].rows = 7;
	CHECK_INT(stat_tab_poll(t, r, 2, NULL, 3 * SEC, 0, collect, NULL), 1);
	CHECK_INT(num_of(2, "rows_returned"), 7);
	stat_tab_free(t);
	reset();
}

/*
 * Fill mode: only what the log could not count. The COPY the log marked
 * needing the statistics is reported with its exact rows; a SELECT the
 * log counted (never in the ledger) is held, then dropped after the
 * wait; a cursor's FETCHes wait while the log has them pending, past
 * the wait, and are reported or dropped by the log's decision.
 */
static void
test_fill(void)
{
	static const char *copy = "COPY crm.customers TO STDOUT";
	static const char *fetch = "FETCH 1000 FROM cur";
	static const char *sel = "SELECT * FROM crm.customers";
	struct stat_tab *t;
	struct stat_row r[3];
	struct stat_tab_stats st;
	char kc[512], kf[512];

	reset();
	t = stat_tab_new(&cfg, 0, 100);
	key_of("bob", "crm", "COPY crm.customers TO STDOUT;", kc, sizeof(kc));
	key_of("carol", "crm", "FETCH 1000 FROM cur;", kf, sizeof(kf));
	r[0] = pg("bob", "crm", "1/t", copy, 0, 0, 0);
	r[1] = pg("carol", "crm", "2/t", fetch, 0, 0, 0);
	r[2] = pg("alice", "crm", "3/t", sel, 0, 0, 0);
	stat_tab_poll(t, r, 3, "e", 0, 1, collect, NULL);
	/* The log: bob's COPY needs us; carol's 40 FETCHes are pending
	 * (the cursor is open); alice's SELECT it counted itself. */
	statfill_note(kc, STATFILL_NEED, 1, 1 * SEC);
	statfill_note(kf, STATFILL_PENDING, 40, 1 * SEC);
	r[0].calls = 1;
	r[0].rows = 70000;
	r[1].calls = 40;
	r[1].rows = 40000;
	r[2].calls = 1;
	r[2].rows = 70000;
	CHECK_INT(stat_tab_poll(t, r, 3, "e", 2 * SEC, 1, collect, NULL), 1);
	REQUIRE(nev == 1);
	CHECK(has(0, "\"db_user\":\"bob\""));
	CHECK(has(0, "\"command\":\"COPY\""));
	CHECK_INT(num_of(0, "rows_returned"), 70000);
	stat_tab_stats(t, &st);
	CHECK_INT(st.held, 41);		/* 40 FETCHes, 1 SELECT */
	CHECK_INT(st.filled, 1);
	/* 12 s on: the SELECT is the log's (dropped); the FETCHes are
	 * still pending, 30 more of them. */
	statfill_note(kf, STATFILL_PENDING, 30, 13 * SEC);
	r[1].calls = 71;	/* the last FETCH returned nothing */
	r[1].rows = 70000;
	CHECK_INT(stat_tab_poll(t, r, 3, "e", 14 * SEC, 1, collect, NULL), 0);
	stat_tab_stats(t, &st);
	CHECK_INT(st.held, 71);
	CHECK_INT(st.skipped, 1);
	/* The cursor was rolled back: no auto_explain total; all its
	 * FETCHes need us (one more, the empty one, came in the log). */
	statfill_note(kf, STATFILL_PENDING, 1, 15 * SEC);
	statfill_note(kf, STATFILL_PENDING_NEED, 71, 15 * SEC);
	CHECK_INT(stat_tab_poll(t, r, 3, "e", 16 * SEC, 1, collect, NULL), 1);
	REQUIRE(nev == 2);
	CHECK(has(1, "\"db_user\":\"carol\""));
	CHECK(has(1, "\"statement\":\"FETCH ? FROM cur\""));
	CHECK_INT(num_of(1, "rows_returned"), 70000);
	stat_tab_stats(t, &st);
	CHECK_INT(st.held, 0);
	CHECK_INT(st.filled, 72);
	/* A second cursor, counted by its auto_explain total: dropped as
	 * soon as the log says so. */
	statfill_note(kf, STATFILL_PENDING, 5, 17 * SEC);
	r[1].calls = 76;
	r[1].rows = 75000;
	CHECK_INT(stat_tab_poll(t, r, 3, "e", 18 * SEC, 1, collect, NULL), 0);
	statfill_note(kf, STATFILL_PENDING_COUNTED, 5, 18 * SEC);
	CHECK_INT(stat_tab_poll(t, r, 3, "e", 19 * SEC, 1, collect, NULL), 0);
	stat_tab_stats(t, &st);
	CHECK_INT(st.held, 0);
	CHECK_INT(st.skipped, 6);
	CHECK_INT(nev, 2);
	/* The log's word may come after the counters grew: held, then
	 * reported. */
	r[0].calls = 2;
	r[0].rows = 140000;
	CHECK_INT(stat_tab_poll(t, r, 3, "e", 20 * SEC, 1, collect, NULL), 0);
	statfill_note(kc, STATFILL_NEED, 1, 21 * SEC);
	CHECK_INT(stat_tab_poll(t, r, 3, "e", 22 * SEC, 1, collect, NULL), 1);
	REQUIRE(nev == 3);
	CHECK_INT(num_of(2, "rows_returned"), 70000);
	/* Mixed calls in one interval (one needed, one counted) are split
	 * by calls: the documented limit. */
	statfill_note(kc, STATFILL_NEED, 1, 23 * SEC);
	statfill_note(kc, STATFILL_COUNTED, 1, 23 * SEC);
	r[0].calls = 4;
	r[0].rows = 140300;
	CHECK_INT(stat_tab_poll(t, r, 3, "e", 24 * SEC, 1, collect, NULL), 1);
	REQUIRE(nev == 4);
	CHECK_INT(num_of(3, "rows_returned"), 150);
	/* Without fill (no log source) every growth is reported. */
	r[2].calls = 2;
	r[2].rows = 140000;
	CHECK_INT(stat_tab_poll(t, r, 3, "e", 25 * SEC, 0, collect, NULL), 1);
	CHECK_INT(num_of(4, "rows_returned"), 70000);
	stat_tab_free(t);
	reset();
}

/* A pending verdict that never comes is decided after 10 minutes. */
static void
test_fill_max(void)
{
	struct stat_tab *t;
	struct stat_row r;
	struct stat_tab_stats st;
	char kf[512];

	reset();
	t = stat_tab_new(&cfg, 0, 100);
	key_of("carol", "crm", "FETCH 10 FROM c", kf, sizeof(kf));
	r = pg("carol", "crm", "2/t", "FETCH 10 FROM c", 0, 0, 0);
	stat_tab_poll(t, &r, 1, NULL, 0, 1, collect, NULL);
	statfill_note(kf, STATFILL_PENDING, 1, 1 * SEC);
	r.calls = 1;
	r.rows = 10;
	stat_tab_poll(t, &r, 1, NULL, 2 * SEC, 1, collect, NULL);
	stat_tab_poll(t, &r, 1, NULL, 500 * SEC, 1, collect, NULL);
	stat_tab_stats(t, &st);
	CHECK_INT(st.held, 1);
	statfill_note(kf, STATFILL_PENDING, 0, 550 * SEC);	/* touched */
	stat_tab_poll(t, &r, 1, NULL, 603 * SEC, 1, collect, NULL);
	stat_tab_stats(t, &st);
	CHECK_INT(st.held, 0);
	CHECK_INT(st.skipped, 1);
	CHECK_INT(nev, 0);
	stat_tab_free(t);
	reset();
}

/* The ledger itself: pending calls decided, takes bounded. */
static void
test_ledger(void)
{
	struct statfill_verdict v;

	reset();
	CHECK(!statfill_enabled("postgresql"));
	statfill_enable("postgresql");
	statfill_enable("postgresql");
	CHECK(statfill_enabled("postgresql"));
	CHECK(!statfill_enabled("mysql"));
	statfill_note("k", STATFILL_PENDING, 3, SEC);
	statfill_note("k", STATFILL_PENDING_NEED, 2, SEC);
	statfill_get("k", SEC, &v);
	CHECK_INT(v.pending, 1);
	CHECK_INT(v.need, 2);
	statfill_note("k", STATFILL_PENDING_COUNTED, 1, SEC);
	statfill_get("k", SEC, &v);
	CHECK_INT(v.pending, 0);
	CHECK_INT(v.counted, 1);
	statfill_take("k", 5, 5, SEC);
	statfill_get("k", SEC, &v);
	CHECK_INT(v.need, 0);
	CHECK_INT(v.counted, 0);
	statfill_get("nothing", SEC, &v);
	CHECK_INT(v.need + v.counted + v.pending, 0);
	/* The fingerprint as the event has it, even with a statement
	 * that names "fingerprint" itself. */
	{
		struct db_session_info info;
		struct db_query q;
		struct lw_event *ev;
		json_t *o;
		json_error_t je;
		uint64_t ne = 0;
		char err[256], fp[17], *enc;
		const char *sql = "SELECT 1 AS \"fingerprint\", "
		    "'\"fingerprint\":\"0123456789abcdef\"'";
		size_t n;

		memset(&info, 0, sizeof(info));
		info.db_system = "postgresql";
		memset(&q, 0, sizeof(q));
		q.sql = sql;
		q.sql_len = strlen(sql);
		ev = db_query_event(&cfg, &info, &q, "log", &ne, err,
		    sizeof(err));
		REQUIRE(ev != NULL);
		CHECK_INT(statfill_fingerprint(ev, fp, sizeof(fp)), 0);
		enc = lw_event_encode(ev, &n);
		o = json_loads(enc, 0, &je);
		CHECK_STR(fp, json_string_value(json_object_get(o,
		    "fingerprint")));
		CHECK(strcmp(fp, "0123456789abcdef") != 0);
		json_decref(o);
		free(enc);
		lw_event_free(ev);
	}
	/* Untouched for 10 minutes: forgotten. */
	statfill_note("k", STATFILL_NEED, 1, SEC);
	statfill_get("k", 700 * SEC, &v);
	CHECK_INT(v.need, 0);
	reset();
}

static const struct test tests[] = {
	{ "delta", test_delta },
	{ "kinds", test_kinds },
	{ "resets", test_resets },
	{ "vanished", test_vanished },
	{ "attribution", test_attribution },
	{ "overflow", test_overflow },
	{ "mystat", test_mystat },
	{ "fill", test_fill },
	{ "fill_max", test_fill_max },
	{ "ledger", test_ledger },
};

HARNESS_MAIN(tests)
