/*
 * The TUI's model: what the analyst's screens need, read over a
 * read-only connection to the collector's database through the named
 * queries of the schema (collector/schema.c; the SQL and the tables are
 * its, the rows' meaning for the screens is here). WAL lets it read while
 * the collector writes; a busy timeout covers checkpoints. A database
 * newer than this program is refused at open. Tables a collector has not
 * made yet (an empty file, or one an older collector wrote and no new one
 * has opened) may be missing: a query on a missing table yields no rows,
 * not an error, so the TUI still shows what there is. Lists are bounded by
 * the caller's array and by indexed LIMIT queries, so a database of ten
 * million events opens as fast as an empty one. No drawing here.
 */
#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "tui.h"
#include "../schema.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define DAY_US		(86400LL * 1000000)
#define STALE_US	(120LL * 1000000)	/* agent silent this long */
#define HALF_LIFE_US	(7 * DAY_US)		/* risk decay default */
#define PERSON_ALERTS	200
#define PERSON_FIRSTS	50
#define PERSON_EVENTS	12

struct tui_model {
	sqlite3		*db;
	char		*path;
	char		 err[256];
};

static sqlite3_stmt *prep(struct tui_model *, enum schema_query);
static void	 latest_events(struct tui_model *, const char *,
		    struct tui_person *);

static const char *const sevs[] = { "low", "medium", "high", "critical" };

int
model_sev_rank(const char *s)
{
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(sevs[i], s) == 0)
			return i;
	return 0;
}

int64_t
model_day_start(int64_t us)
{
	int64_t d = us / DAY_US;

	if (us % DAY_US < 0)
		d--;
	return d * DAY_US;
}

static int
db_open(struct tui_model *m)
{
	if (sqlite3_open_v2(m->path, &m->db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		snprintf(m->err, sizeof(m->err), "%s: %s", m->path,
		    sqlite3_errmsg(m->db));
		sqlite3_close(m->db);
		m->db = NULL;
		return -1;
	}
	sqlite3_busy_timeout(m->db, 1000);
	return 0;
}

struct tui_model *
model_open(const char *path, char *err, size_t errlen)
{
	struct tui_model *m = xcalloc(1, sizeof(*m));
	char why[256];

	m->path = xstrdup(path);
	if (db_open(m) != 0) {
		snprintf(err, errlen, "%s", m->err);
		model_close(m);
		return NULL;
	}
	/* Opening is lazy in SQLite: the version makes it read the file. */
	if (schema_read_version(m->db, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		model_close(m);
		return NULL;
	}
	return m;
}

void
model_close(struct tui_model *m)
{
	if (m == NULL)
		return;
	sqlite3_close(m->db);
	free(m->path);
	free(m);
}

/*
 * The collector restarting keeps the same file, which a reader simply
 * goes on reading; a file that was replaced needs a new connection.
 */
int
model_refresh(struct tui_model *m)
{
	sqlite3_close(m->db);
	m->db = NULL;
	return db_open(m);
}

/*
 * "Now" for charts and risk decay: the wall clock, or the time of the
 * newest data when that is older - a database built by --replay from
 * last quarter's events is shown as of its own last day, not as thirty
 * empty days.
 */
int64_t
model_asof(struct tui_model *m, int64_t wall)
{
	static const enum schema_query q[] = {
		SQ_NEWEST_ALERT, SQ_NEWEST_EVENT
	};
	sqlite3_stmt *st;
	int64_t newest = 0, v;
	size_t i;

	for (i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		if ((st = prep(m, q[i])) == NULL)
			continue;
		if (sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_type(st, 0) == SQLITE_INTEGER &&
		    (v = sqlite3_column_int64(st, 0)) > newest)
			newest = v;
		sqlite3_finalize(st);
	}
	if (newest == 0 || newest > wall)
		return wall;
	return newest;
}

const char *
model_error(const struct tui_model *m)
{
	return m->err;
}

/* A named query, or NULL when a table it needs does not exist. */
static sqlite3_stmt *
prep(struct tui_model *m, enum schema_query q)
{
	return schema_prepare(m->db, q, m->err, sizeof(m->err));
}

/* Query q prepared with ?1 bound to id (the caller finalizes), or NULL. */
static sqlite3_stmt *
by_id(struct tui_model *m, enum schema_query q, const char *id)
{
	sqlite3_stmt *st;

	if ((st = prep(m, q)) != NULL)
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	return st;
}

/* One result column of a row and the member of a struct it fills. */
struct column {
	enum { COL_TEXT, COL_INT64, COL_REAL } type;
	size_t		 off;
	size_t		 len;		/* the member's size */
};

#define MEMBER(t, s, m)	{ t, offsetof(struct s, m), \
			    sizeof(((struct s *)NULL)->m) }
#define TEXT(s, m)	MEMBER(COL_TEXT, s, m)
#define INT64(s, m)	MEMBER(COL_INT64, s, m)
#define REAL(s, m)	MEMBER(COL_REAL, s, m)

/* An "alert row" of the schema's queries (schema.h), in its order. */
static const struct column alert_cols[] = {
	TEXT(tui_alert, id), INT64(tui_alert, ts), INT64(tui_alert, last_ts),
	TEXT(tui_alert, employee), TEXT(tui_alert, rule),
	TEXT(tui_alert, severity), REAL(tui_alert, score),
	TEXT(tui_alert, status), TEXT(tui_alert, summary),
	INT64(tui_alert, count), TEXT(tui_alert, department)
};

/* A "case row" of the schema's queries (schema.h), in its order. */
static const struct column case_cols[] = {
	TEXT(tui_case, id), TEXT(tui_case, kind), TEXT(tui_case, subject),
	TEXT(tui_case, members), TEXT(tui_case, department),
	TEXT(tui_case, severity), REAL(tui_case, score),
	INT64(tui_case, first_ts), INT64(tui_case, last_ts),
	INT64(tui_case, alerts), TEXT(tui_case, story),
	TEXT(tui_case, status), TEXT(tui_case, assignee)
};

#define NCOLS(c)	(sizeof(c) / sizeof((c)[0]))

/*
 * Fills the struct at out, zeroed first, from the row's first n columns
 * as cols says. Every integer member is 64 bits wide (int64_t or long
 * long), so one is copied as sqlite3_int64.
 */
static void
row_read(sqlite3_stmt *st, const struct column *cols, size_t n, void *out,
    size_t size)
{
	char *base = out;
	sqlite3_int64 i64;
	double d;
	size_t i;

	memset(out, 0, size);
	for (i = 0; i < n; i++) {
		switch (cols[i].type) {
		case COL_TEXT:
			schema_text(st, (int)i, base + cols[i].off, cols[i].len);
			break;
		case COL_INT64:
			assert(cols[i].len == sizeof(i64));
			i64 = sqlite3_column_int64(st, (int)i);
			memcpy(base + cols[i].off, &i64, sizeof(i64));
			break;
		case COL_REAL:
			assert(cols[i].len == sizeof(d));
			d = sqlite3_column_double(st, (int)i);
			memcpy(base + cols[i].off, &d, sizeof(d));
			break;
		}
	}
}

static void
alert_row(sqlite3_stmt *st, struct tui_alert *a)
{
	row_read(st, alert_cols, NCOLS(alert_cols), a, sizeof(*a));
}

static void
case_row(sqlite3_stmt *st, struct tui_case *c)
{
	row_read(st, case_cols, NCOLS(case_cols), c, sizeof(*c));
}

/*
 * A list query (alert_list, case_list) with the filter bound (open only,
 * the lowest severity, the search text and the row limit, in that order):
 * its rows into out, max elements of size bytes read by cols; how many.
 */
static int
list_read(struct tui_model *m, enum schema_query q,
    const struct tui_filter *f, const struct column *cols, size_t ncols,
    void *out, size_t size, size_t max)
{
	sqlite3_stmt *st;
	size_t n = 0;

	if ((st = prep(m, q)) == NULL)
		return 0;
	sqlite3_bind_int(st, 1, f->open_only);
	sqlite3_bind_int(st, 2, f->min_sev);
	sqlite3_bind_text(st, 3, f->text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)max);
	while (n < max && sqlite3_step(st) == SQLITE_ROW)
		row_read(st, cols, ncols, (char *)out + n++ * size, size);
	sqlite3_finalize(st);
	return (int)n;
}

/*
 * Open alerts first, then by severity, then newest: what needs a decision
 * is at the top (the order is the alert_list query's). The department
 * comes from the employees table, which a database may lack: the query
 * then falls back to alerts alone.
 */
int
model_alerts(struct tui_model *m, const struct tui_filter *f,
    struct tui_alert *out, size_t max)
{
	return list_read(m, SQ_ALERT_LIST, f, alert_cols, NCOLS(alert_cols),
	    out, sizeof(*out), max);
}

/*
 * Open cases first, then by severity, score and latest evidence (the
 * case_list query's order); on a database from before cases, each alert
 * stands as a case of its own.
 */
int
model_cases(struct tui_model *m, const struct tui_filter *f,
    struct tui_case *out, size_t max)
{
	return list_read(m, SQ_CASE_LIST, f, case_cols, NCOLS(case_cols),
	    out, sizeof(*out), max);
}

static double
decayed(double value, int64_t ts, int64_t now)
{
	if (now <= ts)
		return value;
	return value * pow(0.5, (double)(now - ts) / (double)HALF_LIFE_US);
}

/*
 * Daily series for one employee from an_daily (written by the analytics
 * when a day closes): `feature` rows, plus its baseline band when lo/hi
 * are given. Day i of the result is TUI_DAYS-1-i days before today.
 */
static void
series(struct tui_model *m, const char *employee, const char *feature,
    int64_t now, double *v, double *lo, double *hi)
{
	int64_t today = model_day_start(now), day;
	sqlite3_stmt *st;
	long long i;

	memset(v, 0, sizeof(double) * TUI_DAYS);
	if (lo != NULL)
		memset(lo, 0, sizeof(double) * TUI_DAYS);
	if (hi != NULL)
		memset(hi, 0, sizeof(double) * TUI_DAYS);
	if ((st = by_id(m, SQ_EMPLOYEE_DAILY, employee)) == NULL)
		return;
	sqlite3_bind_text(st, 2, feature, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, today - TUI_DAYS * DAY_US);
	while (sqlite3_step(st) == SQLITE_ROW) {
		day = sqlite3_column_int64(st, 0);
		i = (long long)((day - today) / DAY_US) + TUI_DAYS - 1;
		if (i < 0 || i >= TUI_DAYS)
			continue;
		v[i] = sqlite3_column_double(st, 1);
		if (lo != NULL)
			lo[i] = sqlite3_column_double(st, 2);
		if (hi != NULL)
			hi[i] = sqlite3_column_double(st, 3);
	}
	sqlite3_finalize(st);
}

static int
trend(const double *v)
{
	double a = 0, b = 0;
	int i;

	for (i = TUI_DAYS - 7; i < TUI_DAYS; i++)
		a += v[i];
	for (i = TUI_DAYS - 28; i < TUI_DAYS - 7; i++)
		b += v[i];
	a /= 7;
	b /= 21;
	if (a > b * 1.5 + 1)
		return 1;
	if (a < b / 1.5 - 1)
		return -1;
	return 0;
}

static int
emp_cmp(const void *x, const void *y)
{
	const struct tui_employee *a = x, *b = y;

	if (a->risk != b->risk)
		return a->risk < b->risk ? 1 : -1;
	return strcmp(a->employee, b->employee);
}

/*
 * Employees ranked by their decayed risk: every employee with risk or
 * alerts, highest first. The risk table holds one row per employee and
 * rule (value at ts); the decay is applied here, at `now`.
 */
int
model_employees(struct tui_model *m, int64_t now, struct tui_employee *out,
    size_t max)
{
	struct tui_employee *all = NULL, *e;
	size_t n = 0, cap = 0, i;
	sqlite3_stmt *st;
	char emp[256];

	if ((st = prep(m, SQ_RISK_BY_EMPLOYEE)) == NULL)
		return 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		schema_text(st, 0, emp, sizeof(emp));
		if (n == 0 || strcmp(all[n - 1].employee, emp) != 0) {
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				all = xreallocarray(all, cap, sizeof(*all));
			}
			e = &all[n++];
			memset(e, 0, sizeof(*e));
			snprintf(e->employee, sizeof(e->employee), "%s", emp);
		}
		e = &all[n - 1];
		e->risk += decayed(sqlite3_column_double(st, 1),
		    sqlite3_column_int64(st, 2), now);
		e->open_alerts += sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	if (n > 1)	/* qsort's base must not be NULL, even for 0 */
		qsort(all, n, sizeof(*all), emp_cmp);
	if (n > max)
		n = max;
	for (i = 0; i < n; i++) {
		out[i] = all[i];
		series(m, out[i].employee, "rows.sensitive", now,
		    out[i].rows, NULL, NULL);
		series(m, out[i].employee, "out.exfil", now,
		    out[i].bytes_out, NULL, NULL);
		out[i].trend = trend(out[i].rows);
		if ((st = by_id(m, SQ_EMPLOYEE, out[i].employee)) != NULL) {
			if (sqlite3_step(st) == SQLITE_ROW) {
				schema_text(st, 0, out[i].name,
				    sizeof(out[i].name));
				schema_text(st, 1, out[i].department,
				    sizeof(out[i].department));
				schema_text(st, 2, out[i].role,
				    sizeof(out[i].role));
			}
			sqlite3_finalize(st);
		}
	}
	free(all);
	return (int)n;
}

static long long
json_ll(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

int
model_agents(struct tui_model *m, int64_t now, struct tui_agent *out,
    size_t max)
{
	sqlite3_stmt *st;
	json_error_t je;
	json_t *s, *c;
	int n = 0;

	if ((st = prep(m, SQ_AGENTS)) == NULL)
		return 0;
	while ((size_t)n < max && sqlite3_step(st) == SQLITE_ROW) {
		struct tui_agent *a = &out[n++];

		memset(a, 0, sizeof(*a));
		schema_text(st, 0, a->agent, sizeof(a->agent));
		schema_text(st, 1, a->addr, sizeof(a->addr));
		a->connected = sqlite3_column_int(st, 2);
		a->last_seen = sqlite3_column_int64(st, 3);
		schema_text(st, 4, a->version, sizeof(a->version));
		a->skew_ms = sqlite3_column_int64(st, 5);
		a->stale = !a->connected || now - a->last_seen > STALE_US;
		if (sqlite3_column_text(st, 6) != NULL && (s = json_loads(
		    (const char *)sqlite3_column_text(st, 6), 0, &je)) !=
		    NULL) {
			a->spool_events = json_ll(s, "spool_events");
			a->dropped = json_ll(s, "spool_dropped");
			a->errors = json_ll(s, "parse_errors");
			if ((c = json_object_get(s, "counters")) != NULL)
				a->errors += json_ll(c, "decode_errors") +
				    json_ll(c, "kernel_drops");
			json_decref(s);
		}
	}
	sqlite3_finalize(st);
	return n;
}

int
model_person(struct tui_model *m, const char *employee, int64_t now,
    struct tui_person *p)
{
	struct tui_alert a;
	sqlite3_stmt *st;
	int64_t ts;
	char ts_s[TS_STRLEN];

	memset(p, 0, sizeof(*p));
	snprintf(p->employee, sizeof(p->employee), "%s", employee);
	if ((st = by_id(m, SQ_EMPLOYEE, employee)) != NULL) {
		if (sqlite3_step(st) == SQLITE_ROW) {
			schema_text(st, 0, p->name, sizeof(p->name));
			schema_text(st, 1, p->department, sizeof(p->department));
			schema_text(st, 2, p->role, sizeof(p->role));
			schema_text(st, 3, p->manager, sizeof(p->manager));
			schema_text(st, 4, p->leave, sizeof(p->leave));
		}
		sqlite3_finalize(st);
	}
	if ((st = by_id(m, SQ_EMPLOYEE_RISK, employee)) != NULL) {
		while (sqlite3_step(st) == SQLITE_ROW)
			p->risk += decayed(sqlite3_column_double(st, 0),
			    sqlite3_column_int64(st, 1), now);
		sqlite3_finalize(st);
	}
	series(m, employee, "rows.sensitive", now, p->rows, p->rows_lo,
	    p->rows_hi);
	series(m, employee, "out.exfil", now, p->bytes_out, NULL, NULL);
	if ((st = by_id(m, SQ_EMPLOYEE_ALERTS, employee)) != NULL) {
		sqlite3_bind_int(st, 2, PERSON_ALERTS);
		p->alerts = xcalloc(PERSON_ALERTS, sizeof(*p->alerts));
		while (p->nalerts < PERSON_ALERTS &&
		    sqlite3_step(st) == SQLITE_ROW) {
			alert_row(st, &a);
			p->alerts[p->nalerts++] = a;
		}
		sqlite3_finalize(st);
	}
	latest_events(m, employee, p);
	if ((st = by_id(m, SQ_EMPLOYEE_FIRSTS, employee)) != NULL) {
		sqlite3_bind_int(st, 2, PERSON_FIRSTS);
		p->firsts = xcalloc(PERSON_FIRSTS, sizeof(*p->firsts));
		while (p->nfirsts < PERSON_FIRSTS &&
		    sqlite3_step(st) == SQLITE_ROW) {
			ts = sqlite3_column_int64(st, 1);
			ts_format(ts, ts_s, sizeof(ts_s));
			snprintf(p->firsts[p->nfirsts++], sizeof(p->firsts[0]),
			    "%.10s  %s", ts_s,
			    (const char *)sqlite3_column_text(st, 0));
		}
		sqlite3_finalize(st);
	}
	return 0;
}

/* Thousands separators, so 70000 reads as 70,000. */
static void
num(double v, char *buf, size_t len)
{
	char raw[32];
	size_t n, i, o = 0;

	snprintf(raw, sizeof(raw), "%.0f", v);
	n = strlen(raw);
	for (i = 0; i < n && o + 2 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = raw[i];
	}
	buf[o] = '\0';
}

/*
 * One event as a line an analyst reads: what, on which table or to
 * which destination, how much; "x412" after the rows of an event that
 * stands for 412 queries (their total). Only normalised fields are
 * shown; events carry no row contents to begin with.
 */
static void
event_line(const char *json, int64_t ts, char *out, size_t len)
{
	char t[TS_STRLEN], a[32], b[32];
	json_error_t je;
	json_t *o, *tables;
	const char *type, *s1, *s2;

	ts_format(ts, t, sizeof(t));
	if ((o = json_loads(json, 0, &je)) == NULL) {
		snprintf(out, len, "%.16s  (unreadable event)", t);
		return;
	}
	type = json_string_value(json_object_get(o, "type"));
	if (type != NULL && strcmp(type, "db.query") == 0) {
		tables = json_object_get(o, "tables");
		s1 = json_string_value(json_object_get(o, "command"));
		s2 = json_string_value(json_array_get(tables, 0));
		num(json_number_value(json_object_get(o, "rows_returned")) +
		    json_number_value(json_object_get(o, "rows_affected")) +
		    (json_object_get(o, "rows_returned") == NULL ?
		    json_number_value(json_object_get(o, "rows")) : 0), a,
		    sizeof(a));
		/* an aggregate: its rows are a total over `count` queries */
		b[0] = '\0';
		if (json_is_integer(json_object_get(o, "count")))
			snprintf(b, sizeof(b), " x%lld", (long long)
			    json_integer_value(json_object_get(o, "count")));
		snprintf(out, len, "%.10s %.5s  %-6.6s %-24.24s %10s rows%s  "
		    "%s", t, t + 11, s1 ? s1 : "?", s2 ? s2 : "-", a, b,
		    json_string_value(json_object_get(o, "db_user")) ?
		    json_string_value(json_object_get(o, "db_user")) : "");
	} else if (type != NULL && strcmp(type, "net.flow") == 0) {
		s1 = json_string_value(json_object_get(o, "server_name"));
		s2 = json_string_value(json_object_get(o, "category"));
		num(json_number_value(json_object_get(o, "delta_bytes_out") ?
		    json_object_get(o, "delta_bytes_out") : json_object_get(o,
		    "bytes_out")), a, sizeof(a));
		snprintf(b, sizeof(b), "%s", s2 ? s2 : "other");
		snprintf(out, len, "%.10s %.5s  flow   %-24.24s %10s bytes out  "
		    "%s", t, t + 11, s1 ? s1 : json_string_value(
		    json_object_get(o, "dst")) ? json_string_value(
		    json_object_get(o, "dst")) : "-", a, b);
	} else
		snprintf(out, len, "%.10s %.5s  %s", t, t + 11,
		    type ? type : "?");
	json_decref(o);
}

static void
latest_events(struct tui_model *m, const char *employee,
    struct tui_person *p)
{
	sqlite3_stmt *st;

	if ((st = by_id(m, SQ_EMPLOYEE_EVENTS, employee)) == NULL)
		return;
	sqlite3_bind_int(st, 2, PERSON_EVENTS);
	p->events = xcalloc(PERSON_EVENTS, sizeof(*p->events));
	while (p->nevents < PERSON_EVENTS && sqlite3_step(st) == SQLITE_ROW)
		event_line((const char *)sqlite3_column_text(st, 1),
		    sqlite3_column_int64(st, 0), p->events[p->nevents++],
		    sizeof(p->events[0]));
	sqlite3_finalize(st);
}

void
model_person_clear(struct tui_person *p)
{
	free(p->alerts);
	free(p->events);
	free(p->firsts);
	memset(p, 0, sizeof(*p));
}

/* The evidence object as "key: value" lines, nested keys dotted. */
static void
flatten(json_t *v, const char *prefix, struct tui_alert_page *pg)
{
	char key[256], *s;
	const char *k;
	json_t *c;

	if (json_is_object(v)) {
		json_object_foreach(v, k, c) {
			snprintf(key, sizeof(key), "%s%s%s", prefix,
			    *prefix ? "." : "", k);
			flatten(c, key, pg);
		}
		return;
	}
	if (pg->nevidence % 32 == 0)
		pg->evidence = xreallocarray(pg->evidence, pg->nevidence + 32,
		    sizeof(*pg->evidence));
	if (json_is_string(v))
		snprintf(pg->evidence[pg->nevidence++], TUI_TEXT_MAX,
		    "%s: %s", prefix, json_string_value(v));
	else if ((s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT)) !=
	    NULL) {
		snprintf(pg->evidence[pg->nevidence++], TUI_TEXT_MAX,
		    "%s: %s", prefix, s);
		free(s);
	}
}

/* The rows of an audit query, one line each, appended to *lines. */
static void
audit_lines(sqlite3_stmt *st, char (**lines)[TUI_TEXT_MAX], size_t *n)
{
	char ts[TS_STRLEN], *l;
	const char *who, *note;

	while (sqlite3_step(st) == SQLITE_ROW) {
		if (*n % 16 == 0)
			*lines = xreallocarray(*lines, *n + 16,
			    sizeof(**lines));
		l = (*lines)[(*n)++];
		ts_format(sqlite3_column_int64(st, 0), ts, sizeof(ts));
		who = (const char *)sqlite3_column_text(st, 4);
		note = (const char *)sqlite3_column_text(st, 5);
		snprintf(l, TUI_TEXT_MAX, "%.19s  %s  %s -> %s%s%s%s", ts,
		    sqlite3_column_text(st, 1), sqlite3_column_text(st, 2),
		    sqlite3_column_text(st, 3), who != NULL && *who ? " (" :
		    "", who != NULL ? who : "", who != NULL && *who ? ")" :
		    "");
		if (note != NULL && *note)
			snprintf(l + strlen(l), TUI_TEXT_MAX - strlen(l),
			    "  \"%s\"", note);
	}
}

/*
 * An alert's evidence in one line for a case's timeline: the figures
 * its rule computed, the first-seen names, "name value" apart, and the
 * person's peer standing.
 */
static void
evidence_line(const char *json, char *out, size_t len)
{
	static const char *const lists[] = {
		"first_seen_tables", "first_seen_destinations",
		"first_seen_hosts", NULL
	};
	json_error_t je;
	json_t *ev, *v, *x;
	const char *k;
	size_t o = 0, i, j;
	char *s;

	out[0] = '\0';
	if (json == NULL || (ev = json_loads(json, 0, &je)) == NULL)
		return;
	json_object_foreach(json_object_get(ev, "figures"), k, v) {
		if ((s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT)) ==
		    NULL)
			continue;
		if (o < len)
			o += (size_t)snprintf(out + o, len - o, "%s%s %s",
			    o ? "; " : "", k, s);
		free(s);
	}
	for (i = 0; lists[i] != NULL; i++)
		json_array_foreach(json_object_get(ev, lists[i]), j, x)
			if (json_is_string(x) && o < len)
				o += (size_t)snprintf(out + o, len - o,
				    "%s%s %s", o ? "; " : "", lists[i],
				    json_string_value(x));
	x = json_object_get(ev, "peer_standing");
	if (json_is_string(x) && o < len)
		snprintf(out + o, len - o, "%s%s", o ? "; " : "",
		    json_string_value(x));
	json_decref(ev);
}

/* A page's first row: query q's for id, stepped to; NULL when none. */
static sqlite3_stmt *
page_head(struct tui_model *m, enum schema_query q, const char *id)
{
	sqlite3_stmt *st = by_id(m, q, id);

	if (st != NULL && sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		st = NULL;
	}
	return st;
}

/* A page's audit trail (query q for id), none when it cannot be read. */
static void
page_audit(struct tui_model *m, enum schema_query q, const char *id,
    char (**lines)[TUI_TEXT_MAX], size_t *n)
{
	sqlite3_stmt *st;

	if ((st = by_id(m, q, id)) == NULL)
		return;
	audit_lines(st, lines, n);
	sqlite3_finalize(st);
}

/*
 * A case's page, read again; id may be the page's own. The page keeps
 * the id when the case cannot be read, so the next reload tries again.
 */
int
model_case_page(struct tui_model *m, const char *id,
    struct tui_case_page *pg)
{
	sqlite3_stmt *st;
	char key[TUI_ID_MAX];

	snprintf(key, sizeof(key), "%s", id);
	model_case_page_clear(pg);
	snprintf(pg->c.id, sizeof(pg->c.id), "%s", key);
	if ((st = page_head(m, SQ_CASE, key)) == NULL)
		return -1;
	case_row(st, &pg->c);
	sqlite3_finalize(st);
	if ((st = by_id(m, SQ_CASE_ALERTS, key)) != NULL) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			if (pg->nalerts % 16 == 0) {
				pg->alerts = xreallocarray(pg->alerts,
				    pg->nalerts + 16, sizeof(*pg->alerts));
				pg->evidence = xreallocarray(pg->evidence,
				    pg->nalerts + 16, sizeof(*pg->evidence));
			}
			alert_row(st, &pg->alerts[pg->nalerts]);
			evidence_line((const char *)sqlite3_column_text(st,
			    11), pg->evidence[pg->nalerts], TUI_TEXT_MAX);
			pg->nalerts++;
		}
		sqlite3_finalize(st);
	}
	page_audit(m, SQ_CASE_AUDIT, key, &pg->audit, &pg->naudit);
	return 0;
}

void
model_case_page_clear(struct tui_case_page *pg)
{
	free(pg->alerts);
	free(pg->evidence);
	free(pg->audit);
	memset(pg, 0, sizeof(*pg));
}

/* An alert's page, read again; as model_case_page() for the id. */
int
model_alert_page(struct tui_model *m, const char *id,
    struct tui_alert_page *pg)
{
	sqlite3_stmt *st;
	json_error_t je;
	json_t *ev;
	char key[TUI_ID_MAX];

	snprintf(key, sizeof(key), "%s", id);
	model_alert_page_clear(pg);
	snprintf(pg->a.id, sizeof(pg->a.id), "%s", key);
	if ((st = page_head(m, SQ_ALERT, key)) == NULL)
		return -1;
	alert_row(st, &pg->a);
	if (sqlite3_column_text(st, 11) != NULL && (ev = json_loads(
	    (const char *)sqlite3_column_text(st, 11), 0, &je)) != NULL) {
		flatten(ev, "", pg);
		json_decref(ev);
	}
	sqlite3_finalize(st);
	page_audit(m, SQ_ALERT_AUDIT, key, &pg->audit, &pg->naudit);
	return 0;
}

void
model_alert_page_clear(struct tui_alert_page *pg)
{
	free(pg->evidence);
	free(pg->audit);
	memset(pg, 0, sizeof(*pg));
}
