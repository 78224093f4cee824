/*
 * The collector database's one schema (docs/schema.md): every table and
 * index, the one PRAGMA user_version, the forward migrations from every
 * version a collector ever wrote, and the named queries through which
 * leakwatch-tui and leakwatch-ctl read it. The store (store.c) brings a
 * database up to SCHEMA_VERSION when it opens it, before any other part
 * touches it; the analytics, the forwarder and the control socket then
 * write tables that exist. Readers never migrate: they open read-only,
 * check the version with schema_read_version() and prepare named
 * queries, nothing else.
 *
 * Layering: below the daemon, the analytics, the SIEM forwarder, the TUI
 * and leakwatch-ctl, above lib/; it calls nothing of the collector.
 */
#ifndef LEAKWATCH_SCHEMA_H
#define LEAKWATCH_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#define SCHEMA_VERSION	3

struct sqlite3;
struct sqlite3_stmt;

/* Every table and index, in the order they are created. */
struct schema_object {
	const char	*type;		/* "table" or "index" */
	const char	*name;
	const char	*sql;		/* CREATE ... IF NOT EXISTS ... */
};

const struct schema_object *schema_objects(size_t *n);

/*
 * Writers: brings a database of any earlier version (0: a new file) to
 * SCHEMA_VERSION in one transaction, or refuses it (a newer version, a
 * file with tables but no version, a layout no collector wrote).
 */
int		 schema_migrate(struct sqlite3 *, char *err, size_t errlen);
/*
 * Readers: the database's version (0.. SCHEMA_VERSION), or -1 with err
 * set when it is not a database or newer than this program. Reads only.
 */
int		 schema_read_version(struct sqlite3 *, char *err,
		    size_t errlen);
/* Tests: every object exactly as the catalog says, and nothing else. */
int		 schema_check(struct sqlite3 *, char *err, size_t errlen);

/*
 * Named queries. Each has documented parameters (bound ?1, ?2, ...) and
 * result columns, listed in schema.c's table and in docs/schema.md.
 * "alert row" stands for the columns id, ts, last_ts, employee, rule,
 * severity, score, status, summary, count, department.
 */
enum schema_query {
	/* leakwatch-tui (collector/tui/model.c) */
	SQ_NEWEST_ALERT,	/* -> newest */
	SQ_NEWEST_EVENT,	/* -> newest */
	SQ_ALERT_LIST,		/* open_only, min_severity, text, limit ->
				   alert row */
	SQ_ALERT,		/* id -> alert row, evidence */
	SQ_ALERT_AUDIT,		/* id -> ts, analyst, action, status,
				   assignee, note */
	SQ_RISK_BY_EMPLOYEE,	/* -> employee, value, ts, open_alerts */
	SQ_EMPLOYEE,		/* employee -> name, department, role,
				   manager, leave */
	SQ_EMPLOYEE_RISK,	/* employee -> value, ts */
	SQ_EMPLOYEE_DAILY,	/* employee, feature, after -> day, value,
				   lo, hi */
	SQ_EMPLOYEE_ALERTS,	/* employee, limit -> alert row */
	SQ_EMPLOYEE_FIRSTS,	/* employee, limit -> key, first_ts */
	SQ_EMPLOYEE_EVENTS,	/* employee, limit -> ts, json */
	SQ_AGENTS,		/* -> agent, addr, connected, last_seen,
				   version, clock_skew_ms, status */
	/* both: cases ("case row": id, kind, subject, members, department,
	   severity, score, first_ts, last_ts, alerts, story, status,
	   assignee) */
	SQ_CASE_LIST,		/* open_only, min_severity, text, limit ->
				   case row */
	SQ_CASE,		/* id -> case row */
	SQ_CASE_ALERTS,		/* id -> alert row, evidence */
	SQ_CASE_AUDIT,		/* id -> ts, analyst, action, status,
				   assignee, note */
	SQ_CASES_PER_DAY,	/* -> day, cases */
	/* leakwatch-ctl (collector/ctl/main.c) */
	SQ_AGENT_HEALTH,	/* -> the SQ_AGENTS columns, gaps, events */
	SQ_SCORING_BACKLOG,	/* -> events */
	SQ_ALERT_SPANS,		/* -> from, to */
	SQ_COUNT
};

struct schema_query_def {
	const char	*name;		/* as in docs/schema.md */
	const char	*sql;
	const char	*fallback;	/* the same columns from fewer tables,
					   for a database that lacks one */
	const char	*params;	/* "a, b": what ?1, ?2 are */
	const char	*columns;	/* "x, y": the result, in order */
};

const struct schema_query_def *schema_query(enum schema_query);
/*
 * The query prepared on db (the caller finalizes it), or NULL with err
 * set when a table it reads is missing - a reader shows no rows then.
 */
struct sqlite3_stmt *schema_prepare(struct sqlite3 *, enum schema_query,
		    char *err, size_t errlen);
/* Steps st once and finalizes it: the first column of the row it gives,
 * or none when it gives no row. */
int64_t		 schema_int64(struct sqlite3_stmt *st, int64_t none);
/* Column i of the current row as text into out (len bytes, cut to
 * fit); NULL reads as "". */
void		 schema_text(struct sqlite3_stmt *st, int i, char *out,
		    size_t len);
/* Steps a write once and finalizes it; a failure is logged as
 * "what: why". */
void		 schema_write(struct sqlite3 *, struct sqlite3_stmt *st,
		    const char *what);

/*
 * A case's id: the first 16 hex digits of SHA-256 of "case", its
 * subject (an employee, or group:<peer group>) and the id of the alert
 * that opened it, so a replay gives the same ids every time.
 */
void		 schema_case_id(const char *subject,
		    const char *first_alert, char out[17]);
/*
 * One row of cases as the analytics writes it (the status of a new case
 * is 'open'; an update keeps status and assignee, the analyst's).
 */
struct schema_case {
	const char	*id, *kind, *subject, *members, *department;
	const char	*severity, *story;
	double		 score;
	int64_t		 first_ts, last_ts;
	int		 alerts;
};

/* INSERT (new) or UPDATE one case; -1 with the db's error on failure. */
int		 schema_case_put(struct sqlite3 *, const struct schema_case *,
		    int new);
/* low 0, medium 1, high 2, critical 3 (anything else: 0) */
int		 schema_sev_rank(const char *severity);

/*
 * leakwatch-ctl vacuum: deletes (or with dry set, counts) the events of
 * [from, to) but alert events, in transactions of at most batch rows;
 * adds them to *total. schema_compact() then rewrites the file.
 */
int		 schema_purge_events(struct sqlite3 *, int64_t from,
		    int64_t to, int batch, int dry, long long *total);
int		 schema_compact(struct sqlite3 *);

#endif
