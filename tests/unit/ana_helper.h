/*
 * Helpers for the analytics unit tests (test_baseline.c, test_detect.c,
 * test_rules.c): a pipeline built from a rules text and a directory text
 * in a temporary directory, events fed one JSON line at a time, and the
 * alert lines it printed collected in memory. Header-only, like
 * harness.h; include it after harness.h.
 */
#ifndef LEAKWATCH_ANA_HELPER_H
#define LEAKWATCH_ANA_HELPER_H

#include <sqlite3.h>

#include "../../collector/config.h"
#include "../../collector/schema.h"
#include "../../collector/analytics/analytics.h"
#include "leakwatch/event.h"
#include "leakwatch/util.h"

struct pipe {
	struct collector_config	 cfg;
	struct analytics	*an;
	sqlite3			*db;
	FILE			*out;
	char			*buf;
	size_t			 len;
	char			 err[512];
	char			 dir[256];
};

static const char ana_directory[] =
    "employee,name,department,role,manager,db_users,ips,hostnames,start,"
    "leave\n"
    "ana,Ana,Support,agent,,u_ana,10.0.0.1,,2024-01-01,\n"
    "ben,Ben,Support,agent,,u_ben,10.0.0.2,,2024-01-01,\n"
    "cat,Cat,Support,agent,,u_cat,10.0.0.3,,2024-01-01,\n"
    "dan,Dan,Support,agent,,u_dan,10.0.0.4,,2024-01-01,2026-01-30\n"
    "etl,ETL,IT,service,,etl,,,2020-01-01,\n";

static inline void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		abort();
	fputs(text, f);
	fclose(f);
}

/*
 * A pipeline with the given rules (NULL: none), a database at dbpath
 * (NULL: none) and the employee directory CSV text directory, and one
 * more configuration key set to value (key NULL: none). 0 on success; -1
 * with p->err set.
 */
static inline int
pipe_open_kv(struct pipe *p, const char *rules, const char *dbpath,
    const char *directory, int replay, const char *key, const char *value)
{
	char path[512];

	memset(p, 0, sizeof(*p));
	snprintf(p->dir, sizeof(p->dir), "%s", harness_tmpdir());
	config_defaults(&p->cfg);
	snprintf(path, sizeof(path), "%s/dir.csv", p->dir);
	write_file(path, directory);
	conf_set(collector_keys, &p->cfg, "directory", path, p->err,
	    sizeof(p->err));
	conf_set(collector_keys, &p->cfg, "sensitive",
	    "crm.customer*=customer_pii", p->err, sizeof(p->err));
	conf_set(collector_keys, &p->cfg, "sensitive", "pay.*=payment",
	    p->err, sizeof(p->err));
	if (rules != NULL) {
		snprintf(path, sizeof(path), "%s/rules", p->dir);
		mkdir(path, 0700);
		snprintf(path, sizeof(path), "%s/rules/t.rules", p->dir);
		write_file(path, rules);
		snprintf(path, sizeof(path), "%s/rules", p->dir);
		conf_set(collector_keys, &p->cfg, "rules", path, p->err,
		    sizeof(p->err));
	}
	if (key != NULL && conf_set(collector_keys, &p->cfg, key, value,
	    p->err, sizeof(p->err)) != 0)
		return -1;
	if (dbpath != NULL && (sqlite3_open(dbpath, &p->db) != SQLITE_OK ||
	    schema_migrate(p->db, p->err, sizeof(p->err)) != 0))
		return -1;
	p->out = open_memstream(&p->buf, &p->len);
	p->an = analytics_new(&p->cfg, p->db, p->out, replay, p->err,
	    sizeof(p->err));
	return p->an == NULL ? -1 : 0;
}

/* The pipeline, replaying (replay 1) or live. */
static inline int
pipe_open_mode(struct pipe *p, const char *rules, const char *dbpath,
    const char *directory, int replay)
{
	return pipe_open_kv(p, rules, dbpath, directory, replay, NULL, NULL);
}

/* A replay's pipeline (the usual case of these tests). */
static inline int
pipe_open_with(struct pipe *p, const char *rules, const char *dbpath,
    const char *directory)
{
	return pipe_open_mode(p, rules, dbpath, directory, 1);
}

/* The same with the usual directory (ana_directory). */
static inline int
pipe_open(struct pipe *p, const char *rules, const char *dbpath)
{
	return pipe_open_with(p, rules, dbpath, ana_directory);
}

/* Feeds one event line; -1 if it does not validate. */
static inline int
pipe_event(struct pipe *p, const char *json)
{
	char why[256];
	struct lw_event *ev = lw_event_parse(json, strlen(json), why,
	    sizeof(why));
	int rc;

	if (ev == NULL) {
		printf("  bad event: %s\n", why);
		return -1;
	}
	rc = analytics_event(p->an, ev, NULL, 0);
	lw_event_free(ev);
	return rc;
}

/* Flushes and returns what was printed so far (owned by p). */
static inline const char *
pipe_output(struct pipe *p)
{
	analytics_flush(p->an);
	fflush(p->out);
	return p->buf != NULL ? p->buf : "";
}

static inline void
pipe_close(struct pipe *p)
{
	analytics_free(p->an);
	p->an = NULL;
	if (p->out != NULL)
		fclose(p->out);
	p->out = NULL;
	free(p->buf);
	p->buf = NULL;
	if (p->db != NULL)
		sqlite3_close(p->db);
	p->db = NULL;
	conf_clear(collector_keys, &p->cfg);
}

/* A db.query reading rows from table, by db user u at day/hour:min. */
static inline int
pipe_query(struct pipe *p, const char *user, const char *ip, int day,
    int hour, int min, long rows, const char *table)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "{\"type\":\"db.query\",\"ts\":"
	    "\"2026-01-%02dT%02d:%02d:00.000000Z\",\"db_system\":"
	    "\"postgresql\",\"client\":\"%s:4000\",\"db_user\":\"%s\","
	    "\"command\":\"SELECT\",\"statement\":\"SELECT * FROM %s\","
	    "\"fingerprint\":\"00000000000000aa\",\"tables\":[\"%s\"],"
	    "\"rows_returned\":%ld,\"rows_affected\":0,\"status\":\"ok\"}",
	    day, hour, min, ip, user, table, table, rows);
	return pipe_event(p, buf);
}

/* An outbound flow of out bytes from ip (one record, final). */
static inline int
pipe_flow(struct pipe *p, const char *ip, int day, int hour, int min,
    long long out, const char *name, const char *cat)
{
	static int fid;
	char buf[1024];

	snprintf(buf, sizeof(buf), "{\"type\":\"net.flow\",\"ts\":"
	    "\"2026-01-%02dT%02d:%02d:00.000000Z\",\"flow_id\":\"t%d\","
	    "\"src\":\"%s\",\"dst\":\"198.51.100.7\",\"dport\":443,\"l4\":"
	    "\"tcp\",\"category\":\"%s\",\"server_name\":\"%s\","
	    "\"bytes_out\":%lld,\"bytes_in\":1000,\"delta_bytes_out\":%lld,"
	    "\"final\":true}", day, hour, min, ++fid, ip, cat, name, out, out);
	return pipe_event(p, buf);
}

/* Weekdays of January 2026 from the 5th (a Monday). */
static inline int
workday(int i)
{
	return 5 + (i / 5) * 7 + i % 5;
}

/* Counts lines of text containing needle. */
static inline int
count_lines(const char *text, const char *needle)
{
	const char *l = text, *nl;
	int n = 0;

	while (*l != '\0') {
		nl = strchr(l, '\n');
		if (nl == NULL)
			nl = l + strlen(l);
		if (memmem(l, (size_t)(nl - l), needle, strlen(needle)) !=
		    NULL)
			n++;
		l = *nl ? nl + 1 : nl;
	}
	return n;
}

/* The first column of the first row as an integer; -2 on bad SQL. */
static inline long long
q_ll(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* One text column of the first row, copied to a static buffer. */
static inline const char *
q_str(sqlite3 *db, const char *sql)
{
	static char buf[2048];
	sqlite3_stmt *st;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return "(error)";
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, sizeof(buf), "%s",
		    (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return buf;
}

#endif
