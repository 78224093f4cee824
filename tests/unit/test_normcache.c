/*
 * Unit tests for agent/normcache.c: a cached result is exactly what
 * sqlnorm() gives; a text is kept only the second time it is seen (the
 * doorkeeper), so texts that never repeat cost no entry; the options are
 * part of the key (another schema, another dialect: another result); the
 * cache stays at NORMCACHE_ENTRIES, evicting the least recently used
 * entry, and the two most recent results stay valid; texts over
 * NORMCACHE_TEXT_MAX are normalised every time and never kept; plain
 * texts that differ only in bare numbers share one entry, and texts
 * whose digits are part of something else do not.
 */
#include "harness.h"

#include "leakwatch/sqlnorm.h"
#include "leakwatch/xmalloc.h"

#include "../../agent/agent.h"

static void
opts_pg(struct sqlnorm_opts *o, const char *schema)
{
	memset(o, 0, sizeof(*o));
	o->dialect = SQL_POSTGRESQL;
	o->default_schema = schema;
}

/* The cached result equals a fresh sqlnorm() field by field. */
static void
same_as_sqlnorm(const struct sqlnorm *got, const char *sql,
    const struct sqlnorm_opts *o)
{
	struct sqlnorm want;
	size_t i;

	memset(&want, 0, sizeof(want));
	REQUIRE(sqlnorm(sql, strlen(sql), o, &want) == 0);
	REQUIRE(got != NULL);
	CHECK_STR(got->statement, want.statement);
	CHECK_STR(got->fingerprint, want.fingerprint);
	CHECK_STR(got->command, want.command);
	CHECK_INT(got->ntables, want.ntables);
	for (i = 0; i < want.ntables && i < got->ntables; i++)
		CHECK_STR(got->tables[i], want.tables[i]);
	CHECK((got->end_user == NULL) == (want.end_user == NULL));
	sqlnorm_clear(&want);
}

static void
test_second_sight_is_cached(void)
{
	const char *sql = "SELECT name FROM customers WHERE id = 7 "
	    "/* user='ann' */";
	struct normcache *c = normcache_new();
	struct normcache_stats st;
	struct sqlnorm_opts o;
	struct sqlnorm s1, s2, s3;
	const struct sqlnorm *r1, *r2, *r3;

	memset(&s1, 0, sizeof(s1));
	memset(&s2, 0, sizeof(s2));
	memset(&s3, 0, sizeof(s3));
	opts_pg(&o, "crm");
	/* First sight: normalised into the caller's scratch, not kept. */
	r1 = normcache_get(c, sql, strlen(sql), &o, &s1);
	CHECK(r1 == &s1);
	same_as_sqlnorm(r1, sql, &o);
	/* Second: kept; third: the same entry, a hit. */
	r2 = normcache_get(c, sql, strlen(sql), &o, &s2);
	CHECK(r2 != &s2);
	same_as_sqlnorm(r2, sql, &o);
	r3 = normcache_get(c, sql, strlen(sql), &o, &s3);
	CHECK(r3 == r2);
	CHECK(s3.statement == NULL);
	normcache_stats(c, &st);
	CHECK_INT(st.hits, 1);
	CHECK_INT(st.misses, 2);
	CHECK_INT(st.entries, 1);
	CHECK_STR(r3->tables[0], "crm.customers");
	sqlnorm_clear(&s1);
	sqlnorm_clear(&s2);
	sqlnorm_clear(&s3);
	normcache_free(c);
}

/* The same text under other options is another entry, not a false hit. */
static void
test_options_are_key(void)
{
	const char *sql = "SELECT * FROM orders";
	struct normcache *c = normcache_new();
	struct sqlnorm_opts a, b, m;
	struct sqlnorm s;
	const struct sqlnorm *r;
	int i;

	memset(&s, 0, sizeof(s));
	opts_pg(&a, "sales");
	opts_pg(&b, "archive");
	opts_pg(&m, "sales");
	m.dialect = SQL_MYSQL;
	for (i = 0; i < 3; i++) {
		r = normcache_get(c, sql, strlen(sql), &a, &s);
		CHECK_STR(r->tables[0], "sales.orders");
		sqlnorm_clear(&s);
		r = normcache_get(c, sql, strlen(sql), &b, &s);
		CHECK_STR(r->tables[0], "archive.orders");
		same_as_sqlnorm(r, sql, &b);
		sqlnorm_clear(&s);
		r = normcache_get(c, sql, strlen(sql), &m, &s);
		same_as_sqlnorm(r, sql, &m);
		sqlnorm_clear(&s);
		/* NULL schema: PostgreSQL's public, a key of its own. */
		a.default_schema = NULL;
		r = normcache_get(c, sql, strlen(sql), &a, &s);
		CHECK_STR(r->tables[0], "public.orders");
		sqlnorm_clear(&s);
		a.default_schema = "sales";
	}
	normcache_free(c);
}

/*
 * Bounded: NORMCACHE_ENTRIES + 100 texts, each seen twice, keep exactly
 * NORMCACHE_ENTRIES; the oldest went first, the latest are still there;
 * a long text is never kept.
 */
static void
test_bounded_lru(void)
{
	struct normcache *c = normcache_new();
	struct normcache_stats st;
	struct sqlnorm_opts o;
	struct sqlnorm s;
	const struct sqlnorm *r, *prev = NULL;
	char sql[64], *big;
	int i, k, n = NORMCACHE_ENTRIES + 100;

	memset(&s, 0, sizeof(s));
	opts_pg(&o, NULL);
	for (i = 0; i < n; i++) {
		snprintf(sql, sizeof(sql), "SELECT * FROM t%d", i);
		for (k = 0; k < 2; k++) {
			r = normcache_get(c, sql, strlen(sql), &o, &s);
			REQUIRE(r != NULL);
			sqlnorm_clear(&s);
		}
		/* The result before this one is still intact. */
		if (prev != NULL)
			CHECK_CONTAINS(prev->statement, "FROM t");
		prev = r;
	}
	normcache_stats(c, &st);
	CHECK_INT(st.entries, NORMCACHE_ENTRIES);
	CHECK_INT(st.evicted, 100);
	CHECK_INT(st.hits, 0);
	/* The latest text hits; the first was evicted: a miss, and a
	 * right answer all the same. */
	snprintf(sql, sizeof(sql), "SELECT * FROM t%d", n - 1);
	normcache_get(c, sql, strlen(sql), &o, &s);
	sqlnorm_clear(&s);
	snprintf(sql, sizeof(sql), "SELECT * FROM t%d", 0);
	r = normcache_get(c, sql, strlen(sql), &o, &s);
	CHECK_STR(r->tables[0], "public.t0");
	sqlnorm_clear(&s);
	normcache_stats(c, &st);
	CHECK_INT(st.hits, 1);
	CHECK_INT(st.entries, NORMCACHE_ENTRIES);
	/* Longer than NORMCACHE_TEXT_MAX: normalised, never kept. */
	big = xmalloc(NORMCACHE_TEXT_MAX + 64);
	memset(big, ' ', NORMCACHE_TEXT_MAX + 63);
	memcpy(big, "SELECT * FROM big", 17);
	big[NORMCACHE_TEXT_MAX + 63] = '\0';
	for (k = 0; k < 3; k++) {
		r = normcache_get(c, big, strlen(big), &o, &s);
		CHECK(r == &s);
		CHECK_STR(r->tables[0], "public.big");
		sqlnorm_clear(&s);
	}
	normcache_stats(c, &st);
	CHECK_INT(st.uncached, 3);
	free(big);
	normcache_free(c);
	normcache_free(NULL);
}

/*
 * Plain texts that differ only in their bare numbers share one entry
 * (their shape is the key) and get exactly what sqlnorm() gives each;
 * texts whose digits are part of a name, a variable or a decimal do not
 * share, and neither do texts with strings.
 */
static void
test_numbers_share_an_entry(void)
{
	static const char *apart[] = {
		"SELECT @v1", "SELECT @v2", "SELECT a FROM t1",
		"SELECT a FROM t2", "SELECT 1.5", "SELECT 2.5",
		"SELECT a FROM t WHERE b = '1'",
		"SELECT a FROM t WHERE b = '2'",
	};
	struct normcache *c = normcache_new();
	struct normcache_stats st;
	struct sqlnorm_opts o, m;
	struct sqlnorm s;
	const struct sqlnorm *r;
	char sql[128];
	size_t i, k;

	memset(&s, 0, sizeof(s));
	opts_pg(&o, NULL);
	for (i = 0; i < 1000; i++) {
		snprintf(sql, sizeof(sql), "SELECT abalance FROM "
		    "pgbench_accounts WHERE aid = %zu;", i * 7919 % 500000);
		r = normcache_get(c, sql, strlen(sql), &o, &s);
		same_as_sqlnorm(r, sql, &o);
		sqlnorm_clear(&s);
	}
	normcache_stats(c, &st);
	CHECK_INT(st.hits, 998);
	CHECK_INT(st.misses, 2);
	CHECK_INT(st.entries, 1);
	/* Each twice: kept on the second sight, never a hit across. */
	opts_pg(&m, NULL);
	m.dialect = SQL_MYSQL;
	for (k = 0; k < 2; k++)
		for (i = 0; i < sizeof(apart) / sizeof(apart[0]); i++) {
			r = normcache_get(c, apart[i], strlen(apart[i]),
			    i < 2 ? &m : &o, &s);
			same_as_sqlnorm(r, apart[i], i < 2 ? &m : &o);
			sqlnorm_clear(&s);
		}
	normcache_stats(c, &st);
	CHECK_INT(st.hits, 998);
	CHECK_INT(st.entries, 1 + 8);
	normcache_free(c);
}

static const struct test tests[] = {
	{ "second_sight_is_cached", test_second_sight_is_cached },
	{ "options_are_key", test_options_are_key },
	{ "bounded_lru", test_bounded_lru },
	{ "numbers_share_an_entry", test_numbers_share_an_entry },
};

HARNESS_MAIN(tests)
