/*
 * The collector database's one schema: the catalog of every table and
 * index, the version they make (PRAGMA user_version = SCHEMA_VERSION),
 * the forward migrations, and the named queries of the programs that
 * read the database. docs/schema.md describes what is here, and
 * tests/unit/test_schema.c holds the two to each other.
 *
 * Versions. 0 is a new, empty file. 1 was written by every collector
 * before this file: the store created its four tables and set version 1,
 * and the analytics, the forwarder, the control socket and the readers'
 * tables created theirs (CREATE TABLE IF NOT EXISTS) when they first
 * ran, so a version-1 database holds some of the other tables or none,
 * and its event_identity may still have the first layout (keyed by
 * event id, with an index on employee). 2 is every object of the
 * catalog below, whatever ran. A migration step turns one version into
 * the next where that needs more than creating what is missing; after
 * the steps, every object is created if absent, the version is set and
 * the whole catalog is checked against what the file now holds, all in
 * one transaction: a database is migrated entirely or not at all. The
 * databases that made each version are kept under tests/data/schema/.
 *
 * The catalog's SQL is the text SQLite stores (less IF NOT EXISTS): a
 * database this file creates holds the same definitions, byte for byte,
 * as one the earlier collectors made.
 *
 * Named queries: the TUI and leakwatch-ctl read through these, never with
 * SQL of their own, and only read (the vacuum's delete is a function of
 * its own below). A query that reads a table an older or partly switched
 * off collector did not make may carry a fallback with the same columns;
 * a reader shows no rows rather than an error when neither prepares.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "schema.h"
#include "leakwatch/log.h"
#include "leakwatch/util.h"

static const struct schema_object objects[] = {
	/* the store (store.c): events, delivery cursors, agents, gaps */
	{ "table", "events",
	    "CREATE TABLE IF NOT EXISTS events ("
	    " id INTEGER PRIMARY KEY,"
	    " type TEXT NOT NULL,"
	    " ts INTEGER NOT NULL,"
	    " recv_ts INTEGER NOT NULL,"
	    " agent TEXT NOT NULL,"
	    " instance TEXT NOT NULL,"
	    " seq INTEGER NOT NULL,"
	    " json TEXT NOT NULL)" },
	{ "index", "events_ts",
	    "CREATE INDEX IF NOT EXISTS events_ts ON events(ts)" },
	{ "table", "streams",
	    "CREATE TABLE IF NOT EXISTS streams ("
	    " agent TEXT NOT NULL,"
	    " instance TEXT NOT NULL,"
	    " last_seq INTEGER NOT NULL,"
	    " PRIMARY KEY (agent, instance)) WITHOUT ROWID" },
	{ "table", "agents",
	    "CREATE TABLE IF NOT EXISTS agents ("
	    " agent TEXT PRIMARY KEY,"
	    " instance TEXT,"
	    " addr TEXT,"
	    " connected INTEGER NOT NULL DEFAULT 0,"
	    " first_seen INTEGER NOT NULL,"
	    " last_seen INTEGER NOT NULL,"
	    " version TEXT,"
	    " clock_skew_ms INTEGER,"
	    " status TEXT)" },
	{ "table", "gaps",
	    "CREATE TABLE IF NOT EXISTS gaps ("
	    " id INTEGER PRIMARY KEY,"
	    " agent TEXT NOT NULL,"
	    " instance TEXT NOT NULL,"
	    " first_seq INTEGER NOT NULL,"
	    " last_seq INTEGER NOT NULL,"
	    " ts INTEGER NOT NULL)" },
	/* the analytics (analytics/): baselines, alerts, identity, risk */
	{ "table", "an_entities",
	    "CREATE TABLE IF NOT EXISTS an_entities ("
	    " entity TEXT PRIMARY KEY,"
	    " state BLOB NOT NULL)" },
	{ "table", "an_peers",
	    "CREATE TABLE IF NOT EXISTS an_peers ("
	    " grp TEXT PRIMARY KEY,"
	    " state BLOB NOT NULL)" },
	{ "table", "an_seen",
	    "CREATE TABLE IF NOT EXISTS an_seen ("
	    " entity TEXT NOT NULL,"
	    " key TEXT NOT NULL,"
	    " grp TEXT NOT NULL,"
	    " first_ts INTEGER NOT NULL,"
	    " PRIMARY KEY (entity, key)) WITHOUT ROWID" },
	{ "index", "an_seen_grp",
	    "CREATE INDEX IF NOT EXISTS an_seen_grp ON an_seen(grp)" },
	{ "table", "an_meta",
	    "CREATE TABLE IF NOT EXISTS an_meta ("
	    " key TEXT PRIMARY KEY,"
	    " value INTEGER NOT NULL)" },
	{ "table", "alerts",
	    "CREATE TABLE IF NOT EXISTS alerts ("
	    " id TEXT PRIMARY KEY,"
	    " ts INTEGER NOT NULL,"
	    " last_ts INTEGER NOT NULL,"
	    " until_ts INTEGER NOT NULL,"
	    " employee TEXT NOT NULL,"
	    " rule TEXT NOT NULL,"
	    " severity TEXT NOT NULL,"
	    " score REAL NOT NULL,"
	    " summary TEXT NOT NULL,"
	    " evidence TEXT NOT NULL,"
	    " count INTEGER NOT NULL,"
	    " status TEXT NOT NULL DEFAULT 'open',"
	    " json TEXT NOT NULL)" },
	{ "index", "alerts_emp",
	    "CREATE INDEX IF NOT EXISTS alerts_emp ON alerts(employee, rule, "
	    "ts)" },
	{ "index", "alerts_ts",
	    "CREATE INDEX IF NOT EXISTS alerts_ts ON alerts(ts)" },
	/*
	 * One b-tree, in the order readers want (an employee's events,
	 * newest last): an INTEGER PRIMARY KEY table plus an index on
	 * employee - the first layout - cost the scorer twice the inserts.
	 */
	{ "table", "event_identity",
	    "CREATE TABLE IF NOT EXISTS event_identity ("
	    " employee TEXT NOT NULL,"
	    " event_id INTEGER NOT NULL,"
	    " via TEXT NOT NULL,"
	    " mismatch INTEGER NOT NULL,"
	    " PRIMARY KEY (employee, event_id)) WITHOUT ROWID" },
	{ "table", "risk",
	    "CREATE TABLE IF NOT EXISTS risk ("
	    " employee TEXT NOT NULL,"
	    " rule TEXT NOT NULL,"
	    " value REAL NOT NULL,"
	    " ts INTEGER NOT NULL,"
	    " PRIMARY KEY (employee, rule)) WITHOUT ROWID" },
	/* the readers' tables (analytics/views.c) */
	{ "table", "employees",
	    "CREATE TABLE IF NOT EXISTS employees ("
	    " employee TEXT PRIMARY KEY,"
	    " name TEXT, department TEXT, role TEXT, manager TEXT,"
	    " start TEXT, leave TEXT, service INTEGER NOT NULL DEFAULT 0)" },
	{ "table", "an_daily",
	    "CREATE TABLE IF NOT EXISTS an_daily ("
	    " employee TEXT NOT NULL,"
	    " day INTEGER NOT NULL,"
	    " feature TEXT NOT NULL,"
	    " value REAL NOT NULL,"
	    " lo REAL NOT NULL,"
	    " hi REAL NOT NULL,"
	    " PRIMARY KEY (employee, feature, day)) WITHOUT ROWID" },
	/* SIEM forwarding (siem/fwd.c) */
	{ "table", "fwd_outbox",
	    "CREATE TABLE IF NOT EXISTS fwd_outbox ("
	    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	    " ts TEXT NOT NULL,"
	    " json TEXT NOT NULL)" },
	{ "table", "fwd_cursors",
	    "CREATE TABLE IF NOT EXISTS fwd_cursors ("
	    " dest TEXT PRIMARY KEY,"
	    " seq INTEGER NOT NULL)" },
	/* triage (control.c) */
	{ "table", "triage_audit",
	    "CREATE TABLE IF NOT EXISTS triage_audit ("
	    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	    " ts INTEGER NOT NULL,"
	    " alert_id TEXT NOT NULL,"
	    " analyst TEXT NOT NULL,"
	    " action TEXT NOT NULL,"
	    " status TEXT NOT NULL,"
	    " assignee TEXT,"
	    " note TEXT)" },
	{ "index", "triage_audit_alert",
	    "CREATE INDEX IF NOT EXISTS triage_audit_alert ON "
	    " triage_audit(alert_id, seq)" },
	/* cases (analytics/cases.c): what an analyst works on */
	{ "table", "cases",
	    "CREATE TABLE IF NOT EXISTS cases ("
	    " id TEXT PRIMARY KEY,"
	    " kind TEXT NOT NULL,"
	    " subject TEXT NOT NULL,"
	    " members TEXT NOT NULL,"
	    " department TEXT NOT NULL,"
	    " severity TEXT NOT NULL,"
	    " score REAL NOT NULL,"
	    " first_ts INTEGER NOT NULL,"
	    " last_ts INTEGER NOT NULL,"
	    " alerts INTEGER NOT NULL,"
	    " story TEXT NOT NULL,"
	    " status TEXT NOT NULL DEFAULT 'open',"
	    " assignee TEXT)" },
	{ "index", "cases_subject",
	    "CREATE INDEX IF NOT EXISTS cases_subject ON cases(subject, "
	    "status)" },
	{ "table", "case_alerts",
	    "CREATE TABLE IF NOT EXISTS case_alerts ("
	    " case_id TEXT NOT NULL,"
	    " alert_id TEXT NOT NULL,"
	    " ts INTEGER NOT NULL,"
	    " PRIMARY KEY (case_id, alert_id)) WITHOUT ROWID" },
	{ "index", "case_alerts_alert",
	    "CREATE INDEX IF NOT EXISTS case_alerts_alert ON "
	    "case_alerts(alert_id)" },
};

#define NOBJECTS	(sizeof(objects) / sizeof(objects[0]))

/* The first layout of event_identity, as version-1 databases hold it. */
static const char event_identity_v1[] =
	"CREATE TABLE event_identity ("
	" event_id INTEGER PRIMARY KEY,"
	" employee TEXT NOT NULL,"
	" via TEXT NOT NULL,"
	" mismatch INTEGER NOT NULL)";

/* The columns of an alert row, and the TUI's alert list's filter. */
#define ALERT_COLS \
	"a.id, a.ts, a.last_ts, a.employee, a.rule, a.severity, a.score, " \
	"a.status, a.summary, a.count, "
#define ALERT_ROW \
	"id, ts, last_ts, employee, rule, severity, score, status, " \
	"summary, count, department"
/* schema_sev_rank() in SQL, for the severity column of table alias t */
#define SEV_RANK(t) \
	"(CASE " t ".severity WHEN 'critical' THEN 3 WHEN 'high' THEN 2 " \
	"WHEN 'medium' THEN 1 ELSE 0 END)"
#define ALERT_LIST_WHERE \
	"WHERE (?1 = 0 OR a.status NOT LIKE 'closed%') AND " \
	SEV_RANK("a") " >= ?2 AND (?3 = '' OR " \
	"instr(lower(a.employee || ' ' || a.rule || ' ' || a.summary || " \
	"' ' || a.status), lower(?3)) > 0) ORDER BY " \
	"(a.status NOT LIKE 'closed%') DESC, " \
	SEV_RANK("a") " DESC, a.last_ts DESC LIMIT ?4"
#define OPEN_ALERTS_BY_EMPLOYEE \
	"SELECT employee, 0, 0, count(*) FROM alerts WHERE status NOT LIKE " \
	"'closed%' GROUP BY employee"

/* The columns of a case row, and the case list's filter and order. */
#define CASE_COLS \
	"c.id, c.kind, c.subject, c.members, c.department, c.severity, " \
	"c.score, c.first_ts, c.last_ts, c.alerts, c.story, c.status, " \
	"coalesce(c.assignee, '')"
#define CASE_ROW \
	"id, kind, subject, members, department, severity, score, " \
	"first_ts, last_ts, alerts, story, status, assignee"
#define CASE_LIST_WHERE \
	"WHERE (?1 = 0 OR c.status NOT LIKE 'closed%') AND " \
	SEV_RANK("c") " >= ?2 AND (?3 = '' OR " \
	"instr(lower(c.members || ' ' || c.department || ' ' || c.story || " \
	"' ' || c.status), lower(?3)) > 0) ORDER BY " \
	"(c.status NOT LIKE 'closed%') DESC, " \
	SEV_RANK("c") " DESC, c.score DESC, c.last_ts DESC LIMIT ?4"
/*
 * The audit trail of an alert or a case (the control socket writes a
 * case's under its id in alert_id), oldest first.
 */
#define AUDIT_OF \
	"SELECT ts, analyst, action, status, coalesce(assignee, ''), " \
	"coalesce(note, '') FROM triage_audit WHERE alert_id = ?1 ORDER " \
	"BY seq"
#define AUDIT_ROW	"ts, analyst, action, status, assignee, note"
/* A database without cases: each alert stands as a case of its own. */
#define ALERT_AS_CASE \
	"SELECT id, 'alert' AS kind, employee AS subject, employee AS " \
	"members, '' AS department, severity, score, ts AS first_ts, " \
	"last_ts, 1 AS alerts, summary AS story, status, '' AS assignee " \
	"FROM alerts"

static const struct schema_query_def queries[SQ_COUNT] = {
	[SQ_NEWEST_ALERT] = { "newest_alert",
	    "SELECT max(last_ts) FROM alerts", NULL,
	    "", "newest" },
	[SQ_NEWEST_EVENT] = { "newest_event",
	    "SELECT max(ts) FROM events", NULL,
	    "", "newest" },
	/* open first, then by severity, then newest */
	[SQ_ALERT_LIST] = { "alert_list",
	    "SELECT " ALERT_COLS "e.department FROM alerts a LEFT JOIN "
	    "employees e ON e.employee = a.employee " ALERT_LIST_WHERE,
	    "SELECT " ALERT_COLS "'' FROM alerts a " ALERT_LIST_WHERE,
	    "open_only, min_severity, text, limit", ALERT_ROW },
	[SQ_ALERT] = { "alert",
	    "SELECT " ALERT_COLS "'', a.evidence FROM alerts a WHERE "
	    "a.id = ?1", NULL,
	    "id", ALERT_ROW ", evidence" },
	[SQ_ALERT_AUDIT] = { "alert_audit", AUDIT_OF, NULL, "id", AUDIT_ROW },
	/* one row per employee with risk, one per employee with open alerts */
	[SQ_RISK_BY_EMPLOYEE] = { "risk_by_employee",
	    "SELECT employee, sum(value), max(ts), 0 FROM risk GROUP BY "
	    "employee UNION ALL " OPEN_ALERTS_BY_EMPLOYEE " ORDER BY 1",
	    OPEN_ALERTS_BY_EMPLOYEE " ORDER BY 1",
	    "", "employee, value, ts, open_alerts" },
	[SQ_EMPLOYEE] = { "employee",
	    "SELECT name, department, role, manager, leave FROM employees "
	    "WHERE employee = ?1", NULL,
	    "employee", "name, department, role, manager, leave" },
	[SQ_EMPLOYEE_RISK] = { "employee_risk",
	    "SELECT value, ts FROM risk WHERE employee = ?1", NULL,
	    "employee", "value, ts" },
	[SQ_EMPLOYEE_DAILY] = { "employee_daily",
	    "SELECT day, value, lo, hi FROM an_daily WHERE employee = ?1 AND "
	    "feature = ?2 AND day > ?3", NULL,
	    "employee, feature, after", "day, value, lo, hi" },
	[SQ_EMPLOYEE_ALERTS] = { "employee_alerts",
	    "SELECT " ALERT_COLS "'' FROM alerts a WHERE a.employee = ?1 "
	    "ORDER BY a.last_ts DESC LIMIT ?2", NULL,
	    "employee, limit", ALERT_ROW },
	[SQ_EMPLOYEE_FIRSTS] = { "employee_firsts",
	    "SELECT key, first_ts FROM an_seen WHERE entity = ?1 ORDER BY "
	    "first_ts DESC LIMIT ?2", NULL,
	    "employee, limit", "key, first_ts" },
	[SQ_EMPLOYEE_EVENTS] = { "employee_events",
	    "SELECT e.ts, e.json FROM event_identity i JOIN events e ON "
	    "e.id = i.event_id WHERE i.employee = ?1 AND e.type IN "
	    "('db.query', 'net.flow') ORDER BY i.event_id DESC LIMIT ?2", NULL,
	    "employee, limit", "ts, json" },
	[SQ_AGENTS] = { "agents",
	    "SELECT agent, addr, connected, last_seen, version, clock_skew_ms, "
	    "status FROM agents ORDER BY agent", NULL,
	    "", "agent, addr, connected, last_seen, version, clock_skew_ms, "
	    "status" },
	[SQ_AGENT_HEALTH] = { "agent_health",
	    "SELECT a.agent, a.addr, a.connected, a.last_seen, a.version, "
	    "a.clock_skew_ms, a.status, (SELECT count(*) FROM gaps g WHERE "
	    "g.agent = a.agent), (SELECT count(*) FROM events e WHERE "
	    "e.agent = a.agent) FROM agents a ORDER BY a.agent", NULL,
	    "", "agent, addr, connected, last_seen, version, clock_skew_ms, "
	    "status, gaps, events" },
	/* no row on a database no live collector has scored */
	[SQ_SCORING_BACKLOG] = { "scoring_backlog",
	    "SELECT coalesce((SELECT max(id) FROM events), 0) - value FROM "
	    "an_meta WHERE key = 'scored'", NULL,
	    "", "events" },
	/* open first, then by severity, score, newest evidence */
	[SQ_CASE_LIST] = { "case_list",
	    "SELECT " CASE_COLS " FROM cases c " CASE_LIST_WHERE,
	    "SELECT * FROM (" ALERT_AS_CASE ") c " CASE_LIST_WHERE,
	    "open_only, min_severity, text, limit", CASE_ROW },
	[SQ_CASE] = { "case",
	    "SELECT " CASE_COLS " FROM cases c WHERE c.id = ?1",
	    "SELECT * FROM (" ALERT_AS_CASE ") c WHERE c.id = ?1",
	    "id", CASE_ROW },
	/* the timeline: the case's alerts, oldest first */
	[SQ_CASE_ALERTS] = { "case_alerts",
	    "SELECT " ALERT_COLS "'', a.evidence FROM case_alerts l JOIN "
	    "alerts a ON a.id = l.alert_id WHERE l.case_id = ?1 ORDER BY "
	    "a.ts, a.id",
	    "SELECT " ALERT_COLS "'', a.evidence FROM alerts a WHERE a.id = "
	    "?1",
	    "id", ALERT_ROW ", evidence" },
	[SQ_CASE_AUDIT] = { "case_audit", AUDIT_OF, NULL, "id", AUDIT_ROW },
	/* new cases per UTC day (leakwatch-ctl cases, lwscore) */
	[SQ_CASES_PER_DAY] = { "cases_per_day",
	    "SELECT first_ts / 86400000000, count(*) FROM cases GROUP BY 1 "
	    "ORDER BY 1", NULL,
	    "", "day, cases" },
	[SQ_ALERT_SPANS] = { "alert_spans",
	    "SELECT ts, max(ts, last_ts) FROM alerts", NULL,
	    "", "from, to" },
};

const struct schema_object *
schema_objects(size_t *n)
{
	*n = NOBJECTS;
	return objects;
}

const struct schema_query_def *
schema_query(enum schema_query q)
{
	if ((unsigned)q >= SQ_COUNT)
		return NULL;
	return &queries[q];
}

int
schema_sev_rank(const char *s)
{
	if (s == NULL)
		return 0;
	if (strcmp(s, "critical") == 0)
		return 3;
	if (strcmp(s, "high") == 0)
		return 2;
	if (strcmp(s, "medium") == 0)
		return 1;
	return 0;
}

static const struct schema_object *
object_named(const char *name)
{
	size_t i;

	for (i = 0; i < NOBJECTS; i++)
		if (strcmp(objects[i].name, name) == 0)
			return &objects[i];
	return NULL;
}

/* The catalog's SQL as SQLite stores it: without " IF NOT EXISTS". */
static int
stored_sql(const char *sql, char *buf, size_t len)
{
	static const char ine[] = " IF NOT EXISTS";
	const char *p = strstr(sql, ine);
	int n;

	if (p == NULL)
		n = snprintf(buf, len, "%s", sql);
	else
		n = snprintf(buf, len, "%.*s%s", (int)(p - sql), sql,
		    p + sizeof(ine) - 1);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int
exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	snprintf(err, errlen, "%s", msg != NULL ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return -1;
}

/* PRAGMA user_version, or -1 (err set) when the file cannot be read. */
static int
version_get(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int v = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	else
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return v;
}

static int
version_newer(int v, char *err, size_t errlen)
{
	if (v <= SCHEMA_VERSION)
		return 0;
	snprintf(err, errlen, "database schema version %d is newer than "
	    "this program (%d)", v, SCHEMA_VERSION);
	return -1;
}

/* The stored SQL of one object, "" when absent (or automatic: none). */
static int
stored_of(sqlite3 *db, const char *name, char *buf, size_t len)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *s;
	int rc = -1;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_master WHERE "
	    "name = ?1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		s = sqlite3_column_text(st, 0);
		rc = snprintf(buf, len, "%s", s != NULL ? (const char *)s :
		    "") >= (int)len ? -1 : 0;
		break;
	case SQLITE_DONE:
		rc = 0;
		break;
	default:
		break;
	}
	sqlite3_finalize(st);
	return rc;
}

static int
object_count(sqlite3 *db)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE "
	    "name NOT LIKE 'sqlite\\_%' ESCAPE '\\'", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	return (int)schema_int64(st, -1);
}

/*
 * Version 1 to 2: an event_identity of the first layout becomes the
 * current one, rows kept. The old table is renamed first so that the new
 * one is created under its own name, with the catalog's text (a table
 * renamed into place would be stored with its name quoted); its index
 * goes with it.
 */
static int
v1_event_identity(sqlite3 *db, char *err, size_t errlen)
{
	const struct schema_object *now = object_named("event_identity");
	char sql[1024];

	if (now == NULL || stored_of(db, "event_identity", sql,
	    sizeof(sql)) != 0) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		return -1;
	}
	if (strcmp(sql, event_identity_v1) != 0)
		return 0;
	if (exec(db, "ALTER TABLE event_identity RENAME TO "
	    "event_identity_v1", err, errlen) != 0 ||
	    exec(db, now->sql, err, errlen) != 0 ||
	    exec(db, "INSERT INTO event_identity (employee, event_id, via, "
	    "mismatch) SELECT employee, event_id, via, mismatch FROM "
	    "event_identity_v1", err, errlen) != 0 ||
	    exec(db, "DROP TABLE event_identity_v1", err, errlen) != 0)
		return -1;
	return 0;
}

void
schema_case_id(const char *subject, const char *first_alert, char out[17])
{
	char buf[1024], hex[65];
	int n;

	n = snprintf(buf, sizeof(buf), "case\n%s\n%s", subject, first_alert);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	sha256_hex(buf, (size_t)n, hex);
	memcpy(out, hex, 16);
	out[16] = '\0';
}

/* The case being built from one person's alerts by the migration. */
struct v2_case {
	char		 subject[256];
	char		 id[17];
	char		 severity[16];
	char		 story[1024];
	int		 rank;
	double		 score;
	int64_t		 first_ts, last_ts;
	int		 alerts;
};

int
schema_case_put(sqlite3 *db, const struct schema_case *c, int new)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, new ?
	    "INSERT INTO cases (id, kind, subject, members, department, "
	    "severity, score, first_ts, last_ts, alerts, story, status) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'open')" :
	    "UPDATE cases SET kind = ?2, subject = ?3, members = ?4, "
	    "department = ?5, severity = ?6, score = ?7, first_ts = ?8, "
	    "last_ts = ?9, alerts = ?10, story = ?11 WHERE id = ?1", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->members, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, c->department, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, c->severity, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 7, c->score);
	sqlite3_bind_int64(st, 8, c->first_ts);
	sqlite3_bind_int64(st, 9, c->last_ts);
	sqlite3_bind_int(st, 10, c->alerts);
	sqlite3_bind_text(st, 11, c->story, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(st);
	return rc;
}

/* A migrated case: a person's, open, in the department given. */
static int
v2_case_put(sqlite3 *db, const struct v2_case *c, const char *department)
{
	const struct schema_case sc = { c->id, "person", c->subject,
	    c->subject, department, c->severity, c->story, c->score,
	    c->first_ts, c->last_ts, c->alerts };

	return schema_case_put(db, &sc, 1);
}

/*
 * A migrated case, in the person's department when the directory knows
 * it (the statement that reads it owns the text until finalized).
 */
static int
v2_case_store(sqlite3 *db, const struct v2_case *c, int have_employees)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *dept = NULL;
	int rc;

	if (have_employees) {
		if (sqlite3_prepare_v2(db, "SELECT department FROM employees "
		    "WHERE employee = ?1", -1, &st, NULL) != SQLITE_OK)
			return -1;
		sqlite3_bind_text(st, 1, c->subject, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			dept = sqlite3_column_text(st, 0);
		else if (rc != SQLITE_DONE) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	rc = v2_case_put(db, c, dept != NULL ? (const char *)dept : "");
	sqlite3_finalize(st);
	return rc;
}

/* One alert of the person whose case is being built. */
static void
v2_case_add(struct v2_case *c, sqlite3_stmt *st)
{
	const char *sev = (const char *)sqlite3_column_text(st, 4);
	const char *sum = (const char *)sqlite3_column_text(st, 6);
	int rank = schema_sev_rank(sev);

	if (c->alerts == 0)
		c->first_ts = sqlite3_column_int64(st, 2);
	if (c->alerts == 0 || rank >= c->rank) {
		c->rank = rank;
		snprintf(c->severity, sizeof(c->severity), "%s",
		    sev != NULL ? sev : "low");
		snprintf(c->story, sizeof(c->story), "%s",
		    sum != NULL ? sum : "");
	}
	if (sqlite3_column_double(st, 5) > c->score)
		c->score = sqlite3_column_double(st, 5);
	if (sqlite3_column_int64(st, 3) > c->last_ts)
		c->last_ts = sqlite3_column_int64(st, 3);
	c->alerts++;
}

/*
 * Version 2 to 3: cases. Each person's alerts that no analyst has
 * closed become one open case (its id from the first of them, its
 * severity the worst, its score the highest, its story the worst and
 * latest alert's summary), so the TUI's first view is not empty after
 * an upgrade; closed alerts stay without a case. The tables are created
 * here, before the catalog adds what else is missing.
 */
static int
v2_cases(sqlite3 *db, char *err, size_t errlen)
{
	struct v2_case c;
	sqlite3_stmt *st = NULL, *link = NULL;
	const char *emp;
	char have[1024];
	int have_employees, rc = -1;
	size_t i;

	for (i = 0; i < NOBJECTS; i++)
		if ((strncmp(objects[i].name, "case", 4) == 0) &&
		    exec(db, objects[i].sql, err, errlen) != 0)
			return -1;
	if (stored_of(db, "alerts", have, sizeof(have)) != 0 ||
	    have[0] == '\0')
		return 0;
	if (stored_of(db, "employees", have, sizeof(have)) != 0)
		return -1;
	have_employees = have[0] != '\0';
	if (sqlite3_prepare_v2(db, "SELECT employee, id, ts, last_ts, "
	    "severity, score, summary FROM alerts WHERE status NOT LIKE "
	    "'closed%' AND id NOT IN (SELECT alert_id FROM case_alerts) "
	    "ORDER BY employee, ts, id", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO case_alerts (case_id, "
	    "alert_id, ts) VALUES (?, ?, ?)", -1, &link, NULL) != SQLITE_OK)
		goto done;
	memset(&c, 0, sizeof(c));
	while (sqlite3_step(st) == SQLITE_ROW) {
		emp = (const char *)sqlite3_column_text(st, 0);
		if (emp == NULL)
			continue;
		if (c.alerts > 0 && strcmp(c.subject, emp) != 0) {
			if (v2_case_store(db, &c, have_employees) != 0)
				goto done;
			memset(&c, 0, sizeof(c));
		}
		if (c.alerts == 0) {
			snprintf(c.subject, sizeof(c.subject), "%s", emp);
			schema_case_id(emp, (const char *)
			    sqlite3_column_text(st, 1), c.id);
		}
		v2_case_add(&c, st);
		sqlite3_bind_text(link, 1, c.id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_value(link, 2, sqlite3_column_value(st, 1));
		sqlite3_bind_int64(link, 3, sqlite3_column_int64(st, 2));
		if (sqlite3_step(link) != SQLITE_DONE)
			goto done;
		sqlite3_reset(link);
	}
	if (c.alerts > 0 && v2_case_store(db, &c, have_employees) != 0)
		goto done;
	rc = 0;
done:
	if (rc != 0)
		snprintf(err, errlen, "cases: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_finalize(link);
	return rc;
}

/*
 * The steps from each version to the next, run from the file's version
 * on; creating what is missing comes after them and needs no step.
 */
static const struct migration {
	int		 from;
	int		(*run)(sqlite3 *, char *, size_t);
} migrations[] = {
	{ 1, v1_event_identity },
	{ 2, v2_cases },
};

/* How much of the catalog a file must hold. */
enum match {
	MATCH_PRESENT,		/* the objects it has are the catalog's */
	MATCH_ALL,		/* and it has every one of them */
	MATCH_ONLY		/* and nothing else */
};

/*
 * The catalog against the file: each object present with its stored SQL
 * (automatic indexes have none); with MATCH_ALL none missing, with
 * MATCH_ONLY nothing else either.
 */
static int
catalog_matches(sqlite3 *db, enum match m, char *err, size_t errlen)
{
	char want[1024], have[1024];
	size_t i;
	int n;

	for (i = 0; i < NOBJECTS; i++) {
		if (stored_sql(objects[i].sql, want, sizeof(want)) != 0 ||
		    stored_of(db, objects[i].name, have, sizeof(have)) != 0) {
			snprintf(err, errlen, "%s: %s", objects[i].name,
			    sqlite3_errmsg(db));
			return -1;
		}
		if (have[0] == '\0' && m == MATCH_PRESENT)
			continue;
		if (strcmp(want, have) != 0) {
			snprintf(err, errlen, "%s %s: %s", objects[i].type,
			    objects[i].name, have[0] == '\0' ? "missing" :
			    "a layout this program does not know");
			return -1;
		}
	}
	if (m == MATCH_ONLY && (n = object_count(db)) != (int)NOBJECTS) {
		snprintf(err, errlen, "%d objects, the schema has %zu", n,
		    NOBJECTS);
		return -1;
	}
	return 0;
}

/* The migration proper, inside the caller's write transaction. */
static int
migrate_from(sqlite3 *db, int v, char *err, size_t errlen)
{
	char sql[64];
	size_t i;

	if (v == 0 && object_count(db) != 0) {
		snprintf(err, errlen, "not a collector database: tables but "
		    "no schema version");
		return -1;
	}
	for (i = 0; i < sizeof(migrations) / sizeof(migrations[0]); i++)
		if (migrations[i].from >= v && v > 0 &&
		    migrations[i].run(db, err, errlen) != 0)
			return -1;
	/* what the steps left must be the catalog's, before adding to it */
	if (catalog_matches(db, MATCH_PRESENT, err, errlen) != 0)
		return -1;
	for (i = 0; i < NOBJECTS; i++)
		if (exec(db, objects[i].sql, err, errlen) != 0)
			return -1;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", SCHEMA_VERSION);
	if (exec(db, sql, err, errlen) != 0)
		return -1;
	return catalog_matches(db, MATCH_ALL, err, errlen);
}

int
schema_migrate(sqlite3 *db, char *err, size_t errlen)
{
	char why[512];
	int v;

	if ((v = version_get(db, err, errlen)) < 0 ||
	    version_newer(v, err, errlen) != 0)
		return -1;
	if (v == SCHEMA_VERSION)
		return 0;
	/* Another writer may have migrated since: read again, locked. */
	if (exec(db, "BEGIN IMMEDIATE", err, errlen) != 0)
		return -1;
	if ((v = version_get(db, err, errlen)) < 0 ||
	    version_newer(v, err, errlen) != 0)
		goto fail;
	if (v < SCHEMA_VERSION && migrate_from(db, v, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "database schema version %d to %d: %s",
		    v, SCHEMA_VERSION, why);
		goto fail;
	}
	if (exec(db, "COMMIT", err, errlen) != 0)
		goto fail;
	return 0;
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int
schema_read_version(sqlite3 *db, char *err, size_t errlen)
{
	int v;

	if ((v = version_get(db, err, errlen)) < 0 ||
	    version_newer(v, err, errlen) != 0)
		return -1;
	return v;
}

int
schema_check(sqlite3 *db, char *err, size_t errlen)
{
	int v;

	if ((v = version_get(db, err, errlen)) < 0)
		return -1;
	if (v != SCHEMA_VERSION) {
		snprintf(err, errlen, "version %d, not %d", v, SCHEMA_VERSION);
		return -1;
	}
	return catalog_matches(db, MATCH_ONLY, err, errlen);
}

sqlite3_stmt *
schema_prepare(sqlite3 *db, enum schema_query q, char *err, size_t errlen)
{
	const struct schema_query_def *d = schema_query(q);
	sqlite3_stmt *st = NULL;

	if (d == NULL || db == NULL)
		return NULL;
	if (sqlite3_prepare_v2(db, d->sql, -1, &st, NULL) == SQLITE_OK)
		return st;
	sqlite3_finalize(st);
	st = NULL;
	if (d->fallback != NULL && sqlite3_prepare_v2(db, d->fallback, -1,
	    &st, NULL) == SQLITE_OK)
		return st;
	snprintf(err, errlen, "%s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return NULL;
}

int64_t
schema_int64(sqlite3_stmt *st, int64_t none)
{
	int64_t v = none;

	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

void
schema_text(sqlite3_stmt *st, int i, char *out, size_t len)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	snprintf(out, len, "%s", s == NULL ? "" : (const char *)s);
}

void
schema_write(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		log_warnx("%s: %s", what, sqlite3_errmsg(db));
	sqlite3_finalize(st);
}

/*
 * Alert events stay: they are what the alerts point back to. Each batch
 * is its own short transaction, so a running collector waits at most
 * one batch for the write lock.
 */
int
schema_purge_events(sqlite3 *db, int64_t from, int64_t to, int batch,
    int dry, long long *total)
{
	static const char *del = "DELETE FROM events WHERE id IN (SELECT id "
	    "FROM events WHERE ts >= ? AND ts < ? AND type <> 'alert' "
	    "LIMIT ?)";
	static const char *cnt = "SELECT count(*) FROM events WHERE ts >= ? "
	    "AND ts < ? AND type <> 'alert'";
	sqlite3_stmt *st;
	int changed = -1;

	if (from >= to)
		return 0;
	if (sqlite3_prepare_v2(db, dry ? cnt : del, -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	do {
		sqlite3_bind_int64(st, 1, from);
		sqlite3_bind_int64(st, 2, to);
		if (!dry)
			sqlite3_bind_int(st, 3, batch);
		if (!dry && sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL,
		    NULL) != SQLITE_OK)
			break;
		switch (sqlite3_step(st)) {
		case SQLITE_ROW:
			*total += sqlite3_column_int64(st, 0);
			changed = 0;
			break;
		case SQLITE_DONE:
			changed = sqlite3_changes(db);
			*total += changed;
			break;
		default:
			changed = -1;
			break;
		}
		sqlite3_reset(st);
		if (!dry && sqlite3_exec(db, changed >= 0 ? "COMMIT" :
		    "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
			changed = -1;
	} while (!dry && changed == batch);
	sqlite3_finalize(st);
	return changed < 0 ? -1 : 0;
}

/* VACUUM needs the write lock for the whole rewrite. */
int
schema_compact(sqlite3 *db)
{
	if (sqlite3_exec(db, "VACUUM", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL,
	    NULL) != SQLITE_OK)
		return -1;
	return 0;
}
