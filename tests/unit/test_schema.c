/*
 * Tests of collector/schema.c: a new file gets every object of the
 * catalog and version 3; each database an earlier collector made
 * (tests/data/schema/, README there) migrates to exactly the catalog
 * with every row kept - exact counts per table, and every row of every
 * table it held the same before and after, event_identity's included
 * though it is rebuilt; a newer version, a file with tables but no
 * version and a layout no collector wrote are refused and left as they
 * were; readers read a version-1 file read-only, through the named
 * queries and their fallbacks; every named query prepares with the
 * parameters and columns it documents; and docs/schema.md describes
 * every table, index and named query of the module, and no other.
 */
#include <sys/stat.h>
#include <sqlite3.h>

#include "harness.h"
#include "../../collector/schema.h"

/* The tables a fixture may hold, in the order of the counts below. */
static const char *const tables[] = {
	"events", "streams", "agents", "gaps", "alerts", "an_entities",
	"an_peers", "an_seen", "an_meta", "risk", "event_identity",
	"employees", "an_daily", "fwd_outbox", "fwd_cursors", "triage_audit",
	"cases", "case_alerts",
};
#define NTABLES	(sizeof(tables) / sizeof(tables[0]))
#define ABSENT	-1

/*
 * Each fixture and its rows per table, counted when it was made
 * (ABSENT: that collector did not make the table). The migration must
 * keep exactly these and add the absent tables empty.
 */
static const struct fixture {
	const char	*file;
	int		 version;
	int		 old_identity;	/* event_identity of the first layout */
	long long	 rows[NTABLES];
	long long	 cases;		/* cases the migration makes */
} fixtures[] = {
	{ "v1-4dba8ef-store.db", 1, 0,
	    { 25, 3, 0, 0, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT,
	      ABSENT, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT,
	      ABSENT }, 0 },
	{ "v1-cda2798-forward.db", 1, 0,
	    { 25, 3, 0, 0, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT,
	      ABSENT, ABSENT, ABSENT, 0, 1, ABSENT, ABSENT, ABSENT }, 0 },
	/* the alert of the v1 fixtures is closed: it opens no case */
	{ "v1-471e60a-analytics.db", 1, 1,
	    { 25, 3, 0, 0, 1, 3, 2, 4, 1, 1, 25, ABSENT, ABSENT, 0, 1, 3,
	      ABSENT, ABSENT }, 0 },
	{ "v1-24eb714-readers.db", 1, 1,
	    { 25, 3, 0, 0, 1, 3, 2, 4, 1, 1, 25, 10, 16, 0, 1, 3, ABSENT,
	      ABSENT }, 0 },
	{ "v1-ac72386-identity.db", 1, 0,
	    { 25, 3, 0, 0, 1, 3, 2, 4, 2, 1, 25, 10, 16, 1, 1, 3, ABSENT,
	      ABSENT }, 0 },
	{ "v1-1496160-last.db", 1, 0,
	    { 25, 3, 0, 0, 1, 3, 2, 4, 2, 1, 25, 10, 16, 1, 1, 3, ABSENT,
	      ABSENT }, 0 },
	/* version 2, its alert open: one case of one alert */
	{ "v2-f3160ea-open.db", 2, 0,
	    { 25, 3, 0, 0, 1, 3, 2, 4, 2, 1, 25, 10, 16, 1, 1, 0, ABSENT,
	      ABSENT }, 1 },
};

static char *
slurp(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (lenp != NULL)
		*lenp = (size_t)n;
	return buf;
}

static int
spew(const char *path, const char *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	int rc;

	if (f == NULL)
		return -1;
	rc = fwrite(buf, 1, len, f) == len ? 0 : -1;
	return fclose(f) == 0 ? rc : -1;
}

/* A fixture copied into a temporary directory (tests never write it). */
static const char *
fixture_copy(const char *name)
{
	static char path[512];
	char src[512], *buf;
	size_t len;

	snprintf(src, sizeof(src), "tests/data/schema/%s", name);
	snprintf(path, sizeof(path), "%s/%s", harness_tmpdir(), name);
	if ((buf = slurp(src, &len)) == NULL || spew(path, buf, len) != 0) {
		free(buf);
		return NULL;
	}
	free(buf);
	return path;
}

static long long
query_ll(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v = ABSENT;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return ABSENT;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static long long
rows(sqlite3 *db, const char *table)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	return query_ll(db, sql);
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Every row of a table as text, columns by name (so a rebuilt table with
 * its columns in another order compares equal), rows sorted; NULL when
 * the table does not exist.
 */
static char *
table_text(sqlite3 *db, const char *table)
{
	char sql[2048], *cols[32], **lines = NULL, *out;
	size_t ncols = 0, n = 0, cap = 0, len = 0, i, o;
	sqlite3_stmt *st;
	int w;

	snprintf(sql, sizeof(sql), "SELECT name FROM pragma_table_info('%s')",
	    table);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	while (ncols < 32 && sqlite3_step(st) == SQLITE_ROW)
		cols[ncols++] = strdup((const char *)sqlite3_column_text(st,
		    0));
	sqlite3_finalize(st);
	if (ncols == 0)
		return NULL;
	qsort(cols, ncols, sizeof(cols[0]), str_cmp);
	w = snprintf(sql, sizeof(sql), "SELECT ''");
	for (i = 0; i < ncols; i++)
		w += snprintf(sql + w, sizeof(sql) - (size_t)w,
		    " || quote(%s) || '|'", cols[i]);
	snprintf(sql + w, sizeof(sql) - (size_t)w, " FROM %s", table);
	for (i = 0; i < ncols; i++)
		free(cols[i]);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			lines = realloc(lines, cap * sizeof(*lines));
		}
		lines[n] = strdup((const char *)sqlite3_column_text(st, 0));
		len += strlen(lines[n++]) + 1;
	}
	sqlite3_finalize(st);
	if (n > 0)
		qsort(lines, n, sizeof(*lines), str_cmp);
	out = calloc(1, len + 1);
	for (i = 0, o = 0; i < n; i++) {
		memcpy(out + o, lines[i], strlen(lines[i]));
		o += strlen(lines[i]);
		out[o++] = '\n';
		free(lines[i]);
	}
	free(lines);
	return out;
}

static void
test_new_file(void)
{
	char path[512], err[256];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/new.db", harness_tmpdir());
	REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK_INT(schema_read_version(db, err, sizeof(err)), 0);
	REQUIRE(schema_migrate(db, err, sizeof(err)) == 0);
	CHECK_INT(query_ll(db, "PRAGMA user_version"), SCHEMA_VERSION);
	CHECK_INT(schema_check(db, err, sizeof(err)), 0);
	CHECK_INT(schema_read_version(db, err, sizeof(err)), SCHEMA_VERSION);
	/* again: nothing to do, nothing changes */
	CHECK_INT(schema_migrate(db, err, sizeof(err)), 0);
	CHECK_INT(schema_check(db, err, sizeof(err)), 0);
	/* the check sees an object the catalog does not have */
	REQUIRE(sqlite3_exec(db, "CREATE INDEX extra ON events(type)", NULL,
	    NULL, NULL) == SQLITE_OK);
	CHECK_INT(schema_check(db, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "objects, the schema has");
	sqlite3_close(db);
}

static void
migrate_fixture(const struct fixture *fx)
{
	char err[256], *before[NTABLES], *after;
	const char *path = fixture_copy(fx->file);
	sqlite3 *db;
	size_t i;

	REQUIRE(path != NULL);
	REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK_INT(query_ll(db, "PRAGMA user_version"), fx->version);
	CHECK_INT(query_ll(db, "SELECT count(*) FROM sqlite_master WHERE "
	    "name = 'event_identity_emp'"), fx->old_identity);
	for (i = 0; i < NTABLES; i++) {
		if (rows(db, tables[i]) != fx->rows[i])
			FAILF("%s: %s has %lld rows before, expected %lld",
			    fx->file, tables[i], rows(db, tables[i]),
			    fx->rows[i]);
		before[i] = table_text(db, tables[i]);
	}
	if (schema_migrate(db, err, sizeof(err)) != 0)
		FAILF("%s: %s", fx->file, err);
	if (schema_check(db, err, sizeof(err)) != 0)
		FAILF("%s: after migrating: %s", fx->file, err);
	for (i = 0; i < NTABLES; i++) {
		long long want = fx->rows[i] == ABSENT ? 0 : fx->rows[i];

		if (strncmp(tables[i], "case", 4) == 0)
			want = fx->cases;

		if (rows(db, tables[i]) != want)
			FAILF("%s: %s has %lld rows after, expected %lld",
			    fx->file, tables[i], rows(db, tables[i]), want);
		after = table_text(db, tables[i]);
		if (before[i] != NULL && (after == NULL ||
		    strcmp(before[i], after) != 0))
			FAILF("%s: the rows of %s changed", fx->file,
			    tables[i]);
		free(before[i]);
		free(after);
	}
	sqlite3_close(db);
}

static void
test_fixtures_migrate(void)
{
	size_t i;

	for (i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++)
		migrate_fixture(&fixtures[i]);
}

/*
 * Version 2 to 3: the open alert becomes an open case of its person,
 * with the alert's figures, linked to it; the case reads back through
 * the named queries the TUI and leakwatch-ctl use.
 */
static void
test_v2_cases_made(void)
{
	const char *path = fixture_copy("v2-f3160ea-open.db");
	char err[256], id[17];
	sqlite3_stmt *st;
	sqlite3 *db;

	REQUIRE(path != NULL);
	REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
	REQUIRE(schema_migrate(db, err, sizeof(err)) == 0);
	schema_case_id("s1", "e1c4e80e58c506bb", id);
	REQUIRE((st = schema_prepare(db, SQ_CASE_LIST, err,
	    sizeof(err))) != NULL);
	sqlite3_bind_int(st, 1, 1);
	sqlite3_bind_int(st, 2, 0);
	sqlite3_bind_text(st, 3, "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, 10);
	REQUIRE(sqlite3_step(st) == SQLITE_ROW);
	CHECK_STR((const char *)sqlite3_column_text(st, 0), id);
	CHECK_STR((const char *)sqlite3_column_text(st, 1), "person");
	CHECK_STR((const char *)sqlite3_column_text(st, 2), "s1");
	CHECK_STR((const char *)sqlite3_column_text(st, 4), "Support");
	CHECK_STR((const char *)sqlite3_column_text(st, 5), "high");
	CHECK_INT(sqlite3_column_int(st, 9), 1);
	CHECK_STR((const char *)sqlite3_column_text(st, 11), "open");
	CHECK_INT(sqlite3_column_int64(st, 7), query_ll(db, "SELECT ts FROM "
	    "alerts"));
	CHECK(sqlite3_column_double(st, 6) == (double)query_ll(db,
	    "SELECT score FROM alerts"));
	CHECK(sqlite3_step(st) == SQLITE_DONE);
	sqlite3_finalize(st);
	CHECK_INT(query_ll(db, "SELECT count(*) FROM cases c JOIN alerts a "
	    "ON a.summary = c.story"), 1);
	REQUIRE((st = schema_prepare(db, SQ_CASE_ALERTS, err,
	    sizeof(err))) != NULL);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	REQUIRE(sqlite3_step(st) == SQLITE_ROW);
	CHECK_STR((const char *)sqlite3_column_text(st, 0),
	    "e1c4e80e58c506bb");
	CHECK_STR((const char *)sqlite3_column_text(st, 4),
	    "borrowed_account");
	CHECK(sqlite3_step(st) == SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* The rebuilt event_identity answers as the old one did. */
static void
test_event_identity_rebuilt(void)
{
	const char *path = fixture_copy("v1-471e60a-analytics.db");
	char err[256], *a, *b;
	sqlite3 *db;

	REQUIRE(path != NULL);
	REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
	a = table_text(db, "event_identity");
	REQUIRE(schema_migrate(db, err, sizeof(err)) == 0);
	b = table_text(db, "event_identity");
	REQUIRE(a != NULL && b != NULL);
	CHECK_STR(a, b);
	/* 25 events, each one row, keyed by employee then event */
	CHECK_INT(query_ll(db, "SELECT count(DISTINCT event_id) FROM "
	    "event_identity"), 25);
	CHECK_INT(query_ll(db, "SELECT count(*) FROM pragma_index_list("
	    "'event_identity')"), 1);
	CHECK_INT(query_ll(db, "SELECT count(*) FROM sqlite_master WHERE "
	    "name LIKE 'event_identity%'"), 1);
	free(a);
	free(b);
	sqlite3_close(db);
}

static void
test_newer_refused(void)
{
	const char *path = fixture_copy("v1-1496160-last.db");
	char err[256];
	sqlite3 *db;

	REQUIRE(path != NULL);
	REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
	REQUIRE(sqlite3_exec(db, "PRAGMA user_version = 4", NULL, NULL,
	    NULL) == SQLITE_OK);
	CHECK_INT(schema_migrate(db, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "schema version 4 is newer than this program (3)");
	err[0] = '\0';
	CHECK_INT(schema_read_version(db, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "schema version 4 is newer");
	CHECK_INT(query_ll(db, "PRAGMA user_version"), 4);
	sqlite3_close(db);
}

static void
test_foreign_refused(void)
{
	char path[512], err[256];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/other.db", harness_tmpdir());
	REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
	REQUIRE(sqlite3_exec(db, "CREATE TABLE events (x)", NULL, NULL,
	    NULL) == SQLITE_OK);
	CHECK_INT(schema_migrate(db, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "not a collector database");
	CHECK_INT(query_ll(db, "PRAGMA user_version"), 0);
	CHECK_INT(query_ll(db, "SELECT count(*) FROM sqlite_master"), 1);
	/* a version-1 file whose layout no collector wrote: left as it was */
	REQUIRE(sqlite3_exec(db, "PRAGMA user_version = 1", NULL, NULL,
	    NULL) == SQLITE_OK);
	CHECK_INT(schema_migrate(db, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "table events: a layout this program does not "
	    "know");
	CHECK_INT(query_ll(db, "PRAGMA user_version"), 1);
	CHECK_INT(query_ll(db, "SELECT count(*) FROM sqlite_master"), 1);
	sqlite3_close(db);
}

/*
 * A reader on a version-1 file it may not write: the version, the named
 * queries (alert_list through its fallback, the file having no employees
 * table) and the old event_identity layout all read; the file's bytes do
 * not change.
 */
static void
test_reader_read_only(void)
{
	const char *path = fixture_copy("v1-471e60a-analytics.db");
	char err[256], *a, *b;
	sqlite3_stmt *st;
	sqlite3 *db;
	size_t alen, blen;
	int n;

	REQUIRE(path != NULL);
	a = slurp(path, &alen);
	REQUIRE(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK);
	CHECK_INT(schema_read_version(db, err, sizeof(err)), 1);
	REQUIRE((st = schema_prepare(db, SQ_ALERT_LIST, err,
	    sizeof(err))) != NULL);
	sqlite3_bind_int(st, 1, 0);
	sqlite3_bind_int(st, 2, 0);
	sqlite3_bind_text(st, 3, "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, 10);
	for (n = 0; sqlite3_step(st) == SQLITE_ROW; n++) {
		CHECK_STR((const char *)sqlite3_column_text(st, 3), "s1");
		CHECK_STR((const char *)sqlite3_column_text(st, 7),
		    "closed_true_positive");
		CHECK_STR((const char *)sqlite3_column_text(st, 10), "");
	}
	CHECK_INT(n, 1);
	sqlite3_finalize(st);
	REQUIRE((st = schema_prepare(db, SQ_EMPLOYEE_EVENTS, err,
	    sizeof(err))) != NULL);
	sqlite3_bind_text(st, 1, "s2", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, 100);
	for (n = 0; sqlite3_step(st) == SQLITE_ROW; n++)
		;
	CHECK_INT(n, 14);
	sqlite3_finalize(st);
	/* no employees table in this version: no rows, an error to show */
	err[0] = '\0';
	CHECK(schema_prepare(db, SQ_EMPLOYEE, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "no such table: employees");
	/* and a migration needs writing: refused, nothing written */
	CHECK_INT(schema_migrate(db, err, sizeof(err)), -1);
	sqlite3_close(db);
	b = slurp(path, &blen);
	REQUIRE(a != NULL && b != NULL);
	CHECK(alen == blen && memcmp(a, b, alen) == 0);
	free(a);
	free(b);
}

static int
count_list(const char *s)
{
	int n = *s != '\0';

	for (; *s != '\0'; s++)
		n += *s == ',';
	return n;
}

/* Every query, and its fallback, as documented, on a new database. */
static void
test_queries_as_documented(void)
{
	char path[512], err[256];
	const struct schema_query_def *d, *e;
	const char *sql[2];
	sqlite3_stmt *st;
	sqlite3 *db;
	int q, r, i;

	snprintf(path, sizeof(path), "%s/q.db", harness_tmpdir());
	REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
	REQUIRE(schema_migrate(db, err, sizeof(err)) == 0);
	for (q = 0; q < SQ_COUNT; q++) {
		REQUIRE((d = schema_query((enum schema_query)q)) != NULL);
		for (r = 0; r < q; r++)
			if (strcmp(schema_query((enum schema_query)r)->name,
			    d->name) == 0)
				FAILF("two queries named %s", d->name);
		sql[0] = d->sql;
		sql[1] = d->fallback;
		for (i = 0; i < 2 && sql[i] != NULL; i++) {
			if (sqlite3_prepare_v2(db, sql[i], -1, &st, NULL) !=
			    SQLITE_OK) {
				FAILF("%s: %s", d->name, sqlite3_errmsg(db));
				continue;
			}
			if (sqlite3_column_count(st) != count_list(d->columns))
				FAILF("%s: %d columns, documented %d", d->name,
				    sqlite3_column_count(st),
				    count_list(d->columns));
			if (sqlite3_bind_parameter_count(st) !=
			    count_list(d->params))
				FAILF("%s: %d parameters, documented %d",
				    d->name, sqlite3_bind_parameter_count(st),
				    count_list(d->params));
			CHECK(sqlite3_stmt_readonly(st));
			sqlite3_finalize(st);
		}
	}
	CHECK(schema_query(SQ_COUNT) == NULL);
	e = schema_query(SQ_ALERT_LIST);
	CHECK(e->fallback != NULL);
	sqlite3_close(db);
}

/* Names in docs/schema.md: "### `name`" headings, or "| `name` |" rows
   of the named queries' table. */
static int
doc_names(const char *doc, const char *section, const char *prefix,
    char names[][64], int max)
{
	const char *p = section ? strstr(doc, section) : doc, *end, *q;
	size_t plen = strlen(prefix);
	int n = 0;

	if (p == NULL)
		return 0;
	end = section ? strstr(p + 1, "\n## ") : NULL;
	for (; p != NULL && *p != '\0' && (end == NULL || p < end);
	    p = strchr(p, '\n')) {
		p += *p == '\n';
		if (strncmp(p, prefix, plen) != 0 || n == max)
			continue;
		q = strchr(p + plen, '`');
		if (q != NULL && q - p - (long)plen < 64)
			snprintf(names[n++], 64, "%.*s", (int)(q - p - plen),
			    p + plen);
	}
	return n;
}

static int
in_names(char names[][64], int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

static void
test_documented(void)
{
	char *doc = slurp("docs/schema.md", NULL), pat[96];
	char heads[64][64], qs[64][64];
	const struct schema_object *o;
	size_t n, i;
	int nh, nq, j, q;

	REQUIRE(doc != NULL);
	o = schema_objects(&n);
	nh = doc_names(doc, NULL, "### `", heads, 64);
	nq = doc_names(doc, "\n## Named queries", "| `", qs, 64);
	CHECK(nh >= 15);
	for (i = 0; i < n; i++) {
		snprintf(pat, sizeof(pat), "`%s`", o[i].name);
		if (strcmp(o[i].type, "table") == 0 &&
		    !in_names(heads, nh, o[i].name))
			FAILF("table %s has no \"### `%s`\" in "
			    "docs/schema.md", o[i].name, o[i].name);
		if (strcmp(o[i].type, "index") == 0 && strstr(doc, pat) ==
		    NULL)
			FAILF("index %s is not in docs/schema.md", o[i].name);
	}
	for (j = 0; j < nh; j++) {
		for (i = 0; i < n; i++)
			if (strcmp(o[i].type, "table") == 0 &&
			    strcmp(o[i].name, heads[j]) == 0)
				break;
		if (i == n)
			FAILF("docs/schema.md describes %s, which the schema "
			    "does not create", heads[j]);
	}
	for (q = 0; q < SQ_COUNT; q++)
		if (!in_names(qs, nq, schema_query((enum schema_query)q)->name))
			FAILF("query %s has no row in docs/schema.md's named "
			    "queries", schema_query((enum schema_query)q)->name);
	for (j = 0; j < nq; j++) {
		for (q = 0; q < SQ_COUNT; q++)
			if (strcmp(schema_query((enum schema_query)q)->name,
			    qs[j]) == 0)
				break;
		if (q == SQ_COUNT)
			FAILF("docs/schema.md names a query %s the schema "
			    "does not have", qs[j]);
	}
	snprintf(pat, sizeof(pat), "PRAGMA user_version` is %d",
	    SCHEMA_VERSION);
	CHECK_CONTAINS(doc, pat);
	free(doc);
}

static const struct test tests[] = {
	{ "new_file", test_new_file },
	{ "fixtures_migrate", test_fixtures_migrate },
	{ "v2_cases_made", test_v2_cases_made },
	{ "event_identity_rebuilt", test_event_identity_rebuilt },
	{ "newer_refused", test_newer_refused },
	{ "foreign_refused", test_foreign_refused },
	{ "reader_read_only", test_reader_read_only },
	{ "queries_as_documented", test_queries_as_documented },
	{ "documented", test_documented },
};

HARNESS_MAIN(tests)
