/*
 * Unit tests for agent/aggregate.c through db_query_report(), the way the
 * db sources use it: statements fold into one db.query with count and
 * totals equal to the statements' own sums; every rule that sends a
 * statement on its own; aligned windows and the event clock; a session's
 * end flushing its aggregates only, in order; the bounded table under
 * endless distinct statements; the configuration checks; and the
 * statistics source's events carrying count.
 */
#include <jansson.h>

#include "harness.h"

#include "leakwatch/event.h"
#include "leakwatch/event-schema.h"

#include "../../agent/agent.h"

#define SEC	1000000LL
#define MAXEV	64

/* Events out, in order: the statements' own and the flushed ones. */
static json_t	*evs[MAXEV];
static size_t	 nevs;
static uint64_t	 nlost;

static void
reset(void)
{
	size_t i;

	for (i = 0; i < nevs; i++)
		json_decref(evs[i]);
	nevs = 0;
	nlost = 0;
}

static void
keep(struct lw_event *ev)
{
	char *s;
	size_t len;

	s = lw_event_encode(ev, &len);
	lw_event_free(ev);
	if (s == NULL || nevs == MAXEV) {
		nlost++;
		free(s);
		return;
	}
	evs[nevs++] = json_loadb(s, len, 0, NULL);
	free(s);
}

static void
agg_emit(void *arg, const struct db_qfields *f)
{
	struct lw_event *ev;
	char err[256];

	(void)arg;
	if ((ev = db_query_build(f, err, sizeof(err))) == NULL) {
		FAILF("db_query_build: %s", err);
		return;
	}
	keep(ev);
}

static void
cfg_init(struct agent_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	agent_config_defaults(cfg);
}

static void
info_init(struct db_session_info *info, const char *client, const char *sid)
{
	memset(info, 0, sizeof(*info));
	info->db_system = "postgresql";
	snprintf(info->server, sizeof(info->server), "10.0.0.1:5432");
	snprintf(info->client, sizeof(info->client), "%s", client);
	snprintf(info->session_id, sizeof(info->session_id), "%s", sid);
	snprintf(info->db_user, sizeof(info->db_user), "ann");
	snprintf(info->database, sizeof(info->database), "crm");
}

/* One statement ending at end_us after dur_us, rows returned. */
static void
stmt(struct agg *a, const struct agent_config *cfg,
    const struct db_session_info *info, const char *sql, int64_t end_us,
    int64_t dur_us, uint64_t rows, uint64_t bytes)
{
	struct db_query q;
	struct lw_event *ev;
	uint64_t ne = 0;
	char err[256];

	memset(&q, 0, sizeof(q));
	q.sql = sql;
	q.sql_len = sql != NULL ? strlen(sql) : 0;
	q.start_us = end_us - dur_us;
	q.end_us = end_us;
	q.rows_returned = rows;
	q.bytes = bytes;
	if (db_query_report(cfg, info, &q, "wire", a, &ne, &ev, err,
	    sizeof(err)) != 0) {
		FAILF("db_query_report: %s", err);
		return;
	}
	if (ev != NULL)
		keep(ev);
}

static void
stmt_q(struct agg *a, const struct agent_config *cfg,
    const struct db_session_info *info, struct db_query *q)
{
	struct lw_event *ev;
	uint64_t ne = 0;
	char err[256];

	if (db_query_report(cfg, info, q, "wire", a, &ne, &ev, err,
	    sizeof(err)) != 0) {
		FAILF("db_query_report: %s", err);
		return;
	}
	if (ev != NULL)
		keep(ev);
}

static long long
num(size_t i, const char *k)
{
	json_t *v;

	if (i >= nevs)
		return -1;
	v = json_object_get(evs[i], k);
	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

static const char *
str(size_t i, const char *k)
{
	if (i >= nevs)
		return NULL;
	return json_string_value(json_object_get(evs[i], k));
}

static int
has(size_t i, const char *k)
{
	return i < nevs && json_object_get(evs[i], k) != NULL;
}

/* The first of its fingerprint goes alone; the next four fold into one
 * event whose numbers are their sums. */
static void
test_fold_totals(void)
{
	struct agent_config cfg;
	struct db_session_info info;
	struct agg *a;
	struct agg_stats st;
	char sql[128];
	int i;

	reset();
	cfg_init(&cfg);
	info_init(&info, "10.0.0.9:40000", "101");
	REQUIRE((a = agg_new(&cfg, 0, agg_emit, NULL)) != NULL);
	for (i = 0; i < 5; i++) {
		snprintf(sql, sizeof(sql), "SELECT name FROM customers WHERE "
		    "id = %d", i);
		stmt(a, &cfg, &info, sql, 100 * SEC + i * 1000, 100 + i,
		    (uint64_t)i + 1, 10 * ((uint64_t)i + 1));
	}
	CHECK_INT(nevs, 1);		/* the first, on its own */
	CHECK(!has(0, "count"));
	CHECK_INT(num(0, "rows_returned"), 1);
	agg_stats(a, &st);
	CHECK_INT(st.offered, 5);
	CHECK_INT(st.folded, 4);
	CHECK_INT(st.keys, 1);
	agg_flush(a);
	REQUIRE(nevs == 2);
	CHECK_INT(num(1, "count"), 4);
	CHECK_INT(num(1, "rows_returned"), 2 + 3 + 4 + 5);
	CHECK_INT(num(1, "rows"), 2 + 3 + 4 + 5);
	CHECK_INT(num(1, "rows_affected"), 0);
	CHECK_INT(num(1, "bytes"), 20 + 30 + 40 + 50);
	CHECK_INT(num(1, "duration_us"), 101 + 102 + 103 + 104);
	CHECK_INT(num(1, "max_rows"), 5);
	CHECK_STR(str(1, "first_ts"), "1970-01-01T00:01:40.001000Z");
	CHECK_STR(str(1, "ts"), "1970-01-01T00:01:40.004000Z");
	CHECK_STR(str(1, "statement"), str(0, "statement"));
	CHECK_STR(str(1, "fingerprint"), str(0, "fingerprint"));
	CHECK_STR(str(1, "session_id"), "101");
	CHECK_STR(str(1, "status"), "ok");
	CHECK_STR(str(1, "source"), "wire");
	CHECK(json_equal(json_object_get(evs[0], "tables"),
	    json_object_get(evs[1], "tables")));
	agg_stats(a, &st);
	CHECK_INT(st.events, 1);
	agg_free(a);
	CHECK_INT(nlost, 0);
	reset();
}

/* An aggregate of one statement is that statement's own event. */
static void
test_single_is_plain(void)
{
	struct agent_config cfg;
	struct db_session_info info;
	struct agg *a;

	reset();
	cfg_init(&cfg);
	info_init(&info, "10.0.0.9:40000", "101");
	REQUIRE((a = agg_new(&cfg, 0, agg_emit, NULL)) != NULL);
	stmt(a, &cfg, &info, "SELECT 1", 100 * SEC, 5, 1, 9);
	stmt(a, &cfg, &info, "SELECT 2", 101 * SEC, 7, 1, 9);
	agg_free(a);
	REQUIRE(nevs == 2);
	CHECK(!has(1, "count"));
	CHECK(!has(1, "first_ts"));
	CHECK(!has(1, "max_rows"));
	CHECK_INT(num(1, "duration_us"), 7);
	CHECK_STR(str(1, "ts"), "1970-01-01T00:01:41.000000Z");
	reset();
}

/* Every rule that sends a statement on its own. */
static void
test_alone_rules(void)
{
	struct agent_config cfg;
	struct db_session_info info;
	struct db_query q;
	struct agg *a;
	struct agg_stats st;
	char patbuf[] = "crm.card*", *pat = patbuf;

	reset();
	cfg_init(&cfg);
	cfg.sensitive_tables.v = &pat;
	cfg.sensitive_tables.n = 1;
	info_init(&info, "10.0.0.9:40000", "101");
	REQUIRE((a = agg_new(&cfg, 0, agg_emit, NULL)) != NULL);
	stmt(a, &cfg, &info, "SELECT * FROM t WHERE a = 1", SEC, 1, 1, 1);
	/* more than aggregate-max-rows (1000); exactly 1000 folds */
	stmt(a, &cfg, &info, "SELECT * FROM t WHERE a = 2", SEC, 1, 1001, 1);
	stmt(a, &cfg, &info, "SELECT * FROM t WHERE a = 3", SEC, 1, 1000, 1);
	CHECK_INT(nevs, 2);
	/* affected rows too */
	memset(&q, 0, sizeof(q));
	q.sql = "UPDATE t SET a = 1";
	q.sql_len = strlen(q.sql);
	q.start_us = q.end_us = SEC;
	q.has_affected = 1;
	stmt_q(a, &cfg, &info, &q);		/* first of its key */
	q.rows_affected = 5000;
	stmt_q(a, &cfg, &info, &q);
	q.rows_affected = 3;
	stmt_q(a, &cfg, &info, &q);		/* folds */
	CHECK_INT(nevs, 4);
	CHECK_INT(num(3, "rows_affected"), 5000);
	/* partial: the capture missed part of it */
	memset(&q, 0, sizeof(q));
	q.sql = "SELECT * FROM t WHERE a = 4";
	q.sql_len = strlen(q.sql);
	q.start_us = q.end_us = SEC;
	q.partial = 1;
	stmt_q(a, &cfg, &info, &q);
	CHECK_INT(nevs, 5);
	CHECK(json_is_true(json_object_get(evs[4], "partial")));
	/* no fingerprint: no statement text */
	stmt(a, &cfg, &info, NULL, SEC, 1, 1, 1);
	stmt(a, &cfg, &info, NULL, SEC, 1, 1, 1);
	CHECK_INT(nevs, 7);
	CHECK(!has(6, "fingerprint"));
	/* a sensitive table, every time */
	stmt(a, &cfg, &info, "SELECT * FROM crm.cards WHERE id = 1", SEC, 1,
	    1, 1);
	stmt(a, &cfg, &info, "SELECT * FROM crm.cards WHERE id = 2", SEC, 1,
	    1, 1);
	stmt(a, &cfg, &info, "SELECT * FROM CRM.CARDS_OLD WHERE id = 2", SEC,
	    1, 1, 1);
	CHECK_INT(nevs, 10);
	agg_stats(a, &st);
	CHECK_INT(st.folded, 2);	/* a = 3, the second UPDATE */
	agg_flush(a);
	CHECK_INT(nevs, 12);
	CHECK(!has(10, "count"));	/* one statement each */
	CHECK(!has(11, "count"));
	agg_free(a);
	reset();
}

/* The first error of a (fingerprint, code) goes alone, later ones fold
 * into an aggregate of errors; another code is another key. */
static void
test_errors(void)
{
	struct agent_config cfg;
	struct db_session_info info;
	struct db_query q;
	struct agg *a;
	int i;

	reset();
	cfg_init(&cfg);
	info_init(&info, "10.0.0.9:40000", "101");
	REQUIRE((a = agg_new(&cfg, 0, agg_emit, NULL)) != NULL);
	stmt(a, &cfg, &info, "SELECT * FROM secret WHERE a = 1", SEC, 1, 1, 1);
	memset(&q, 0, sizeof(q));
	q.sql = "SELECT * FROM secret WHERE a = 2";
	q.sql_len = strlen(q.sql);
	q.error = 1;
	snprintf(q.error_code, sizeof(q.error_code), "42501");
	for (i = 0; i < 3; i++) {
		q.start_us = q.end_us = SEC + i;
		stmt_q(a, &cfg, &info, &q);
	}
	snprintf(q.error_code, sizeof(q.error_code), "57014");
	stmt_q(a, &cfg, &info, &q);
	CHECK_INT(nevs, 3);		/* ok, first 42501, first 57014 */
	CHECK_STR(str(1, "error_code"), "42501");
	CHECK_STR(str(2, "error_code"), "57014");
	agg_flush(a);
	REQUIRE(nevs == 4);
	CHECK_INT(num(3, "count"), 2);
	CHECK_STR(str(3, "status"), "error");
	CHECK_STR(str(3, "error_code"), "42501");
	/* The contract's map of error code to count, one code. */
	CHECK_INT((long long)json_integer_value(json_object_get(
	    json_object_get(evs[3], "errors"), "42501")), 2);
	CHECK_INT((long long)json_object_size(json_object_get(evs[3],
	    "errors")), 1);
	CHECK(json_object_get(evs[1], "errors") == NULL);
	agg_free(a);
	reset();
}

/* Aligned windows: an aggregate never spans floor(ts / interval); the
 * clock flushes a window once it has passed its end, not before. */
static void
test_windows(void)
{
	struct agent_config cfg;
	struct db_session_info info;
	struct agg *a;

	reset();
	cfg_init(&cfg);
	info_init(&info, "10.0.0.9:40000", "101");
	REQUIRE((a = agg_new(&cfg, 0, agg_emit, NULL)) != NULL);
	stmt(a, &cfg, &info, "SELECT 1", 1000 * SEC, 1, 1, 1);	/* alone */
	stmt(a, &cfg, &info, "SELECT 2", 1008 * SEC, 1, 1, 1);
	stmt(a, &cfg, &info, "SELECT 3", 1009 * SEC, 1, 1, 1);
	agg_clock(a, 1009 * SEC + 999999);
	CHECK_INT(nevs, 1);			/* window 1000..1010 open */
	/* 1010 s starts the next window: the first one goes out. */
	stmt(a, &cfg, &info, "SELECT 4", 1010 * SEC, 1, 1, 1);
	REQUIRE(nevs == 2);
	CHECK_INT(num(1, "count"), 2);
	CHECK_STR(str(1, "first_ts"), "1970-01-01T00:16:48.000000Z");
	CHECK_STR(str(1, "ts"), "1970-01-01T00:16:49.000000Z");
	stmt(a, &cfg, &info, "SELECT 5", 1019 * SEC, 1, 1, 1);
	agg_clock(a, 1019 * SEC);
	CHECK_INT(nevs, 2);
	agg_clock(a, 1020 * SEC);		/* the clock alone */
	REQUIRE(nevs == 3);
	CHECK_INT(num(2, "count"), 2);
	CHECK_STR(str(2, "first_ts"), "1970-01-01T00:16:50.000000Z");
	agg_free(a);
	CHECK_INT(nevs, 3);
	reset();
}

/* A session's end flushes its aggregates, in the order they began, and
 * forgets its keys; another session's wait for their window. */
static void
test_session_end(void)
{
	struct agent_config cfg;
	struct db_session_info s1, s2;
	struct agg *a;
	struct agg_stats st;

	reset();
	cfg_init(&cfg);
	info_init(&s1, "10.0.0.9:40000", "101");
	info_init(&s2, "10.0.0.9:40001", "102");
	REQUIRE((a = agg_new(&cfg, 0, agg_emit, NULL)) != NULL);
	stmt(a, &cfg, &s1, "SELECT * FROM b WHERE x = 1", SEC, 1, 1, 1);
	stmt(a, &cfg, &s1, "SELECT * FROM a WHERE x = 1", SEC, 1, 1, 1);
	stmt(a, &cfg, &s2, "SELECT * FROM a WHERE x = 1", SEC, 1, 1, 1);
	CHECK_INT(nevs, 3);
	stmt(a, &cfg, &s1, "SELECT * FROM a WHERE x = 2", 2 * SEC, 1, 7, 1);
	stmt(a, &cfg, &s2, "SELECT * FROM a WHERE x = 2", 2 * SEC, 1, 5, 1);
	stmt(a, &cfg, &s1, "SELECT * FROM b WHERE x = 2", 2 * SEC, 1, 3, 1);
	stmt(a, &cfg, &s1, "SELECT * FROM a WHERE x = 3", 2 * SEC, 1, 7, 1);
	stmt(a, &cfg, &s1, "SELECT * FROM b WHERE x = 3", 2 * SEC, 1, 3, 1);
	CHECK_INT(nevs, 3);
	agg_session_end(a, "postgresql", "10.0.0.1:5432", "10.0.0.9:40000",
	    "101");
	REQUIRE(nevs == 5);
	CHECK_STR(str(3, "session_id"), "101");
	CHECK_INT(num(3, "rows_returned"), 14);	/* a began first */
	CHECK_INT(num(4, "rows_returned"), 6);
	agg_stats(a, &st);
	CHECK_INT(st.keys, 1);			/* s2's only */
	/* s1's keys are forgotten: its next statement goes alone. */
	stmt(a, &cfg, &s1, "SELECT * FROM a WHERE x = 4", 3 * SEC, 1, 1, 1);
	CHECK_INT(nevs, 6);
	agg_flush(a);
	REQUIRE(nevs == 7);
	CHECK_STR(str(6, "session_id"), "102");
	CHECK_INT(num(6, "rows_returned"), 5);
	agg_free(a);
	reset();
}

/*
 * A hostile client sends endless distinct statements: the table stays
 * at its key cap, each eviction counted, an evicted key's pending
 * aggregate flushed first (so the totals stay exact), and memory stays
 * under AGG_MEMORY_MAX.
 */
static void
test_full_table(void)
{
	struct agent_config cfg;
	struct db_session_info info;
	struct agg *a;
	struct agg_stats st;
	char sql[128];
	size_t i;
	long long rows = 0;

	reset();
	cfg_init(&cfg);
	info_init(&info, "10.0.0.9:40000", "101");
	REQUIRE((a = agg_new(&cfg, 4, agg_emit, NULL)) != NULL);
	/* t0 twice: its second statement pending when t0 is evicted. */
	stmt(a, &cfg, &info, "SELECT * FROM t0 WHERE a = 1", SEC, 1, 2, 1);
	stmt(a, &cfg, &info, "SELECT * FROM t0 WHERE a = 2", SEC, 1, 3, 1);
	for (i = 1; i < 10; i++) {
		snprintf(sql, sizeof(sql), "SELECT * FROM t%zu", i);
		stmt(a, &cfg, &info, sql, SEC, 1, 1, 1);
	}
	agg_stats(a, &st);
	CHECK_INT(st.keys, 4);
	CHECK_INT(st.evicted, 6);
	agg_free(a);
	for (i = 0; i < nevs; i++)
		rows += num(i, "rows_returned");
	CHECK_INT(nevs, 11);
	CHECK_INT(rows, 2 + 3 + 9);
	reset();

	/* At the default cap, 100,000 distinct statements. */
	REQUIRE((a = agg_new(&cfg, 0, agg_emit, NULL)) != NULL);
	for (i = 0; i < 100000; i++) {
		snprintf(sql, sizeof(sql), "SELECT * FROM t%zu", i);
		stmt(a, &cfg, &info, sql, SEC, 1, 1, 1);
		if (nevs > MAXEV / 2)
			reset();
	}
	agg_stats(a, &st);
	CHECK_INT(st.keys, AGG_KEYS_MAX);
	CHECK_INT(st.evicted, 100000 - AGG_KEYS_MAX);
	CHECK(st.bytes <= AGG_MEMORY_MAX);
	CHECK(st.bytes > 0);
	agg_free(a);
	reset();
}

/* Huge numbers saturate at the schema's bound: the event stays valid. */
static void
test_huge_counts(void)
{
	struct agent_config cfg;
	struct db_session_info info;
	struct agg *a;
	int i;

	reset();
	cfg_init(&cfg);
	cfg.aggregate_max_rows = 1000000000000LL;
	info_init(&info, "10.0.0.9:40000", "101");
	REQUIRE((a = agg_new(&cfg, 0, agg_emit, NULL)) != NULL);
	for (i = 0; i < 5; i++)
		stmt(a, &cfg, &info, "SELECT 1", SEC, 1, 1000000000000ULL,
		    1ULL << 62);
	agg_free(a);
	REQUIRE(nevs == 2);
	CHECK_INT(num(1, "count"), 4);
	CHECK_INT(num(1, "rows_returned"), 4000000000000LL);
	CHECK_INT(num(1, "bytes"), EVENT_UINT_MAX);
	CHECK_INT(nlost, 0);
	reset();
}

/* aggregate off: no aggregator, every statement its own event. */
static void
test_off(void)
{
	struct agent_config cfg;
	struct db_session_info info;
	int i;

	reset();
	cfg_init(&cfg);
	cfg.aggregate = 0;
	CHECK(agg_new(&cfg, 0, agg_emit, NULL) == NULL);
	info_init(&info, "10.0.0.9:40000", "101");
	for (i = 0; i < 5; i++)
		stmt(NULL, &cfg, &info, "SELECT 1", SEC, 1, 1, 1);
	CHECK_INT(nevs, 5);
	reset();
}

/* aggregate-interval must divide 15 minutes; sensitive-tables takes
 * patterns, not the collector's PATTERN=CLASS. */
static void
test_config(void)
{
	static const long long good[] = { 1000, 2000, 5000, 10000, 15000,
	    30000, 60000, 300000, 900000 };
	static const long long bad[] = { 7000, 11000, 120000 + 1000, 3500 };
	struct agent_config cfg;
	char err[256], patbuf[] = "crm.cards=pii", *pat = patbuf;
	size_t i;

	cfg_init(&cfg);
	CHECK_INT(cfg.aggregate, 1);
	CHECK_INT(cfg.aggregate_interval, 10000);
	CHECK_INT(cfg.aggregate_max_rows, 1000);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cfg.aggregate_interval = good[i];
		CHECK_INT(agent_config_check_decode(&cfg, err, sizeof(err)),
		    0);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.aggregate_interval = bad[i];
		err[0] = '\0';
		CHECK_INT(agent_config_check_decode(&cfg, err, sizeof(err)),
		    -1);
		CHECK_CONTAINS(err, "does not divide 15 minutes");
	}
	cfg.aggregate_interval = 10000;
	CHECK_INT(conf_set(agent_keys, &cfg, "aggregate-interval", "7s", err,
	    sizeof(err)), 0);
	CHECK_INT(agent_config_check_decode(&cfg, err, sizeof(err)), -1);
	CHECK_INT(conf_set(agent_keys, &cfg, "aggregate-interval", "30m",
	    err, sizeof(err)), -1);		/* over 15 minutes */
	CHECK_INT(conf_set(agent_keys, &cfg, "aggregate-interval", "15s",
	    err, sizeof(err)), 0);
	CHECK_INT(conf_set(agent_keys, &cfg, "aggregate", "off", err,
	    sizeof(err)), 0);
	CHECK_INT(cfg.aggregate, 0);
	CHECK_INT(agent_config_check_decode(&cfg, err, sizeof(err)), 0);
	cfg.sensitive_tables.v = &pat;
	cfg.sensitive_tables.n = 1;
	CHECK_INT(agent_config_check_decode(&cfg, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "without a class");
}

static void
stat_emit(void *arg, struct lw_event *ev)
{
	(void)arg;
	keep(ev);
}

/* pgstat: one event stands for the calls of its interval: count. */
static void
test_stats_count(void)
{
	struct agent_config cfg;
	struct stat_tab *t;
	struct stat_row r;

	reset();
	cfg_init(&cfg);
	t = stat_tab_new(&cfg, 0, 100);
	memset(&r, 0, sizeof(r));
	r.user = "ann";
	r.db = "crm";
	r.id = "42/t";
	r.sql = "SELECT * FROM customers WHERE id = $1";
	r.sql_len = strlen(r.sql);
	r.calls = 10;
	r.rows = 10;
	CHECK_INT(stat_tab_poll(t, &r, 1, NULL, 60 * SEC, 0, stat_emit,
	    NULL), 0);
	r.calls = 17;
	r.rows = 31;
	CHECK_INT(stat_tab_poll(t, &r, 1, NULL, 120 * SEC, 0, stat_emit,
	    NULL), 1);
	r.calls = 18;
	r.rows = 32;
	CHECK_INT(stat_tab_poll(t, &r, 1, NULL, 180 * SEC, 0, stat_emit,
	    NULL), 1);
	REQUIRE(nevs == 2);
	CHECK_INT(num(0, "count"), 7);
	CHECK_INT(num(0, "rows_returned"), 21);
	CHECK_STR(str(0, "first_ts"), str(0, "ts"));
	CHECK(!has(0, "max_rows"));	/* the server does not say */
	CHECK_STR(str(0, "source"), "stats");
	CHECK(!has(1, "count"));	/* one call */
	CHECK_INT(num(1, "rows_returned"), 1);
	stat_tab_free(t);
	reset();
}

static const struct test tests[] = {
	{ "fold_totals", test_fold_totals },
	{ "single_is_plain", test_single_is_plain },
	{ "alone_rules", test_alone_rules },
	{ "errors", test_errors },
	{ "windows", test_windows },
	{ "session_end", test_session_end },
	{ "full_table", test_full_table },
	{ "huge_counts", test_huge_counts },
	{ "off", test_off },
	{ "config", test_config },
	{ "stats_count", test_stats_count },
};

HARNESS_MAIN(tests)
