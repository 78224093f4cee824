/*
 * PostgreSQL server logs as a source of db.query events, for the
 * connections the wire decoder cannot read (TLS, Unix sockets). The
 * statements come from pgaudit's session audit lines ("AUDIT: SESSION,
 * ..."), with pgaudit.log_rows giving the row count; the session (user,
 * database, application, client, backend pid) comes from the log's
 * container, in one of three formats:
 *
 *   pgaudit  the stderr log, each line led by log_line_prefix (the
 *            agent's log-line-prefix should equal the server's; a
 *            pgaudit line it does not decode is counted and has a
 *            prefix read from it, pglog-prefix.c, which is named in a
 *            note and kept while it decodes lines); lines of a
 *            multi-line message continue with a tab
 *   pgcsv    csvlog: one CSV row per message, quoted fields may span
 *            lines
 *   pgjson   jsonlog (PostgreSQL 15): one JSON object per line
 *
 * Failed statements, which pgaudit does not log, come from ERROR
 * messages with their statement (csv/json: the `query` field; stderr:
 * the STATEMENT line that follows) and their SQLSTATE. Raw statement
 * text never leaves this file but through db_query_event(), which
 * normalises it. What pgaudit cannot count (FETCH, COPY of a table, any
 * line without the rows field) is reported with rows 0 and partial true;
 * docs/log-sources.md has the table.
 *
 * Cursors: pgaudit counts no rows for FETCH, but auto_explain (with
 * log_analyze, log_format json) logs each cursor's plan when its
 * executor ends (CLOSE, or the end of its transaction), with the rows
 * its top node produced: for a cursor read forward only, exactly the
 * rows its FETCHes returned. That plan becomes one more event of the
 * cursor's DECLARE carrying the total. A cursor moved (MOVE), read
 * backward or absolutely, declared WITH HOLD (its rows are materialised
 * at commit), or ended without a plan (rolled back, no auto_explain)
 * has no usable total. Either way its FETCHes are told to out->fill as
 * counted elsewhere or needing the statistics (statfill.c), so a pgstat
 * source of the same agent fills exactly the gaps.
 *
 * Sessions: log_connections and log_disconnections lines (the latter
 * with the session's length) and authentication failures.
 *
 * It is not a general log parser: messages other than these are skipped
 * without a count, a malformed record is counted through out->bad().
 */
#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "agent.h"
#include "decode-pglog.h"
#include "leakwatch/sqllex.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define PGL_CURSORS	64	/* DECLAREs remembered, all sessions */
#define PGL_CUR_TEXTS	4	/* distinct FETCH texts per cursor */
#define PGL_SESSIONS	64	/* backends whose last statement is kept */
#define PGL_NAME_MAX	64
#define PGL_DEFAULT_PREFIX	"%m [%p] %q%u@%d "	/* Debian's */
#define PGL_INFERRED	4	/* prefixes inferred from one log */
#define PGL_NOTES	8	/* inferred prefixes announced one by one */


/*
 * A cursor's DECLARE, so its FETCHes inherit command and tables, and the
 * FETCH texts it ran (with their calls) until its total is known.
 */
struct pgl_cursor {
	char		 pid[16];
	char		 name[PGL_NAME_MAX];
	char		*declare;	/* its query */
	char		*decl_full;	/* the DECLARE itself */
	uint64_t	 used;
	int		 hold;		/* WITH HOLD */
	int		 bad;		/* moved or not read forward */
	int		 closing;	/* CLOSE, COMMIT, ROLLBACK seen */
	struct {
		char	*sql;
		uint64_t calls;
	}		 texts[PGL_CUR_TEXTS];
};

/*
 * A log_line_prefix read from the log. local_at: where in fmt the
 * client escape read from "[local]" is (%h and %r print it alike), -1
 * once a line's client address has told which it is.
 */
struct pgl_prefix {
	char		*fmt;
	int		 local_at;
};

/* A backend's last audited statement: COPY (query) is counted by its
 * SELECT sub-statement, logged just before it. */
struct pgl_sess {
	char		 pid[16];
	long long	 stmt_id;
	int		 select_rows;	/* that statement had a SELECT line */
	uint64_t	 used;
};

struct pglog {
	const struct agent_config *cfg;
	struct dblog_out	 out;
	int			 kind;		/* PGL_STDERR ... */
	const char		*prefix;	/* log-line-prefix, as set */
	/* stderr: prefixes read from the log itself (pglog-prefix.c) when
	 * the set one does not decode its session lines, most recently
	 * used first; the counts of pgaudit lines for the summary. */
	struct pgl_prefix	 inferred[PGL_INFERRED];
	int			 ninferred;
	int			 notes;		/* prefixes announced */
	uint64_t		 audit_lines;	/* pgaudit-looking lines */
	uint64_t		 mismatched;	/* of them, not by prefix */
	uint64_t		 by_inferred;	/* of those, decoded */
	uint64_t		 told;		/* mismatched at the summary */
	/* The record being assembled (stderr, csv). */
	char			*rec;
	size_t			 reclen;
	int			 overlong;
	int			 inquote;	/* csv: inside a quoted field */
	int			 pending;	/* a record is held */
	uint64_t		 rec_end;	/* offset after its last line */
	/* stderr: an ERROR waiting for its STATEMENT line. */
	char			 err_pid[16];
	char			 err_state[8];
	int64_t			 err_ts;
	struct pgl_cursor	 cur[PGL_CURSORS];
	struct pgl_sess		 sess[PGL_SESSIONS];
	uint64_t		 tick;
	char			 last_stmt_pid[16];
	char			*last_stmt;	/* for log_statement_once */
	size_t			 reccap;
	char			*scratch;	/* decoded fields */
	size_t			 scap;
	char			*abuf;		/* decoded pgaudit fields */
	size_t			 acap;
};

enum { PGL_STDERR, PGL_CSV, PGL_JSON };

/*
 * One field of pgaudit's CSV (its own quoting: a field with a comma,
 * quote or newline is quoted, quotes doubled). Decodes into *w (which
 * has room: never longer than the input) and advances *p; -1 when the
 * quoting is broken.
 */
static int
audit_field(const char **p, const char *end, char **w, char **out)
{
	const char *s = *p;
	char *o = *w;

	*out = o;
	if (s < end && *s == '"') {
		s++;
		for (;;) {
			if (s >= end)
				return -1;
			if (*s == '"') {
				if (s + 1 < end && s[1] == '"') {
					*o++ = '"';
					s += 2;
					continue;
				}
				s++;
				break;
			}
			*o++ = *s++;
		}
		if (s < end && *s != ',')
			return -1;
	} else
		while (s < end && *s != ',')
			*o++ = *s++;
	*o++ = '\0';
	if (s < end)
		s++;	/* the comma */
	*p = s;
	*w = o;
	return 0;
}

/*
 * [p, end) as at most max fields (audit_field()), decoded into w; the
 * number of fields, or -1 when the quoting is broken or there are fewer
 * than min, which is reported as "<what>: ...".
 */
static int
csv_split(struct pglog *g, const char *what, const char *p, const char *end,
    char *w, char **f, int max, int min)
{
	char why[64];
	int n;

	for (n = 0; n < max && p < end; n++)
		if (audit_field(&p, end, &w, &f[n]) != 0) {
			snprintf(why, sizeof(why), "%s: broken quoting", what);
			g->out.bad(g->out.arg, why);
			return -1;
		}
	if (n < min) {
		snprintf(why, sizeof(why), "%s: too few fields", what);
		g->out.bad(g->out.arg, why);
		return -1;
	}
	return n;
}

static void
pgl_session(const struct pgl_rec *r, struct db_session_info *info)
{
	memset(info, 0, sizeof(*info));
	info->db_system = "postgresql";
	str_copyn(info->db_user, sizeof(info->db_user), r->user,
	    strlen(r->user));
	str_copyn(info->database, sizeof(info->database), r->db, strlen(r->db));
	/* %a before the start-up packet is read: "[unknown]" (csv and
	 * json leave it empty). */
	if (strcmp(r->app, "[unknown]") != 0)
		str_copyn(info->app_name, sizeof(info->app_name), r->app,
		    strlen(r->app));
	str_copyn(info->client, sizeof(info->client), r->client,
	    strlen(r->client));
	/* The backend pid, as the wire decoder reports it. */
	str_copyn(info->session_id, sizeof(info->session_id), r->pid,
	    strlen(r->pid));
}

/*
 * Statement texts are read with lib/sqllex.c, the lexer the wire decoder
 * and the normaliser use, so a cursor is named, and its query found, the
 * same way from the log as from the wire.
 */

/* A lenient lexer over stmt; 1 and its first token in t, else 0. */
static int
first_token(struct sqllex *lx, const char *stmt, struct sqltok *t)
{
	sqllex_init(lx, stmt, strlen(stmt), SQL_POSTGRESQL, SQLLEX_LENIENT);
	return sqllex_next(lx, t) == 1;
}

/* The cursor a FETCH/MOVE/CLOSE names: its last word, folded unless
 * quoted. */
static int
cursor_of(const char *stmt, char *name, size_t len)
{
	struct sqllex lx;
	struct sqltok t;

	if (!first_token(&lx, stmt, &t))
		return -1;
	return sqlhead_last_ident(stmt, strlen(stmt), lx.pos, name, len);
}

/* "DECLARE name ... CURSOR ... FOR ...": the name, folded unless quoted. */
static int
declared_name(const char *stmt, char *name, size_t len)
{
	size_t query;
	int has_query, hold;

	return sqlhead_declare(stmt, strlen(stmt), name, len, &query,
	    &has_query, &hold);
}

/*
 * The query a DECLARE runs (after "CURSOR ... FOR"), as the wire
 * decoder keeps it, so a FETCH's command and tables are the same from
 * the wire and from the log. The whole text when the words are missing.
 */
static const char *
cursor_query(const char *stmt, int *hold)
{
	char name[PGL_NAME_MAX];
	size_t query;
	int has_query;

	*hold = 0;
	if (sqlhead_declare(stmt, strlen(stmt), name, sizeof(name), &query,
	    &has_query, hold) == -1 || !has_query)
		return stmt;
	while (isspace((unsigned char)stmt[query]))
		query++;
	return stmt + query;
}

/* CLOSE ALL. */
static int
close_all(const char *stmt)
{
	struct sqllex lx;
	struct sqltok t;

	return first_token(&lx, stmt, &t) && sqllex_next(&lx, &t) == 1 &&
	    sqltok_is(&t, "all");
}

static struct pgl_cursor *
cursor_find(struct pglog *g, const char *pid, const char *name)
{
	size_t i;

	for (i = 0; i < PGL_CURSORS; i++)
		if (g->cur[i].declare != NULL &&
		    strcmp(g->cur[i].pid, pid) == 0 &&
		    strcmp(g->cur[i].name, name) == 0)
			return &g->cur[i];
	return NULL;
}

/* Tells out->fill about calls of sql in r's session (op: statfill_op). */
static void
pgl_fill(struct pglog *g, const struct pgl_rec *r, const char *sql, int op,
    uint64_t calls)
{
	struct db_session_info info;

	if (g->out.fill == NULL || calls == 0)
		return;
	pgl_session(r, &info);
	g->out.fill(g->out.arg, &info, sql, op, calls);
}

/*
 * A cursor is gone. counted: its auto_explain total was reported, so
 * its FETCHes are counted; else their rows need the statistics.
 */
static void
cursor_drop(struct pglog *g, const struct pgl_rec *r, struct pgl_cursor *c,
    int counted)
{
	size_t i;

	for (i = 0; i < PGL_CUR_TEXTS; i++) {
		if (c->texts[i].sql == NULL)
			continue;
		pgl_fill(g, r, c->texts[i].sql, counted ?
		    STATFILL_PENDING_COUNTED : STATFILL_PENDING_NEED,
		    c->texts[i].calls);
		free(c->texts[i].sql);
	}
	free(c->declare);
	free(c->decl_full);
	memset(c, 0, sizeof(*c));
}

/*
 * A record of backend pid that is not a plan: a cursor that was closing
 * (CLOSE, end of its transaction) got no plan before it, so none will
 * come. all: the session ended, every cursor of it is gone.
 */
static void
cursors_settle(struct pglog *g, const struct pgl_rec *r, int all)
{
	size_t i;

	for (i = 0; i < PGL_CURSORS; i++)
		if (g->cur[i].declare != NULL &&
		    (all || g->cur[i].closing) &&
		    strcmp(g->cur[i].pid, r->pid) == 0)
			cursor_drop(g, r, &g->cur[i], 0);
}

/* CLOSE name, CLOSE ALL, COMMIT, ROLLBACK: which cursors end here. */
static void
cursors_closing(struct pglog *g, const char *pid, const char *name,
    int txend)
{
	size_t i;

	for (i = 0; i < PGL_CURSORS; i++) {
		if (g->cur[i].declare == NULL ||
		    strcmp(g->cur[i].pid, pid) != 0)
			continue;
		if (txend && g->cur[i].hold)
			continue;	/* outlives its transaction */
		if (name == NULL || strcmp(g->cur[i].name, name) == 0)
			g->cur[i].closing = 1;
	}
}

/*
 * Does this FETCH read forward only (NEXT, FORWARD n, n, ALL), so the
 * cursor's executor count is what the FETCHes returned? Not with a
 * backward or absolute direction or a negative count.
 */
static int
fetch_forward(const char *stmt)
{
	static const char *const back[] = { "backward", "prior", "absolute",
	    "relative", "last", "first", NULL };
	struct sqllex lx;
	struct sqltok t;
	int k;

	if (!first_token(&lx, stmt, &t))
		return 1;
	while (sqllex_next(&lx, &t) == 1) {
		if (t.type == SQLTOK_OP && memchr(t.p, '-', t.len) != NULL)
			return 0;
		for (k = 0; back[k] != NULL; k++)
			if (sqltok_is(&t, back[k]))
				return 0;
	}
	return 1;
}

static void
cursor_remember(struct pglog *g, const struct pgl_rec *r, const char *stmt)
{
	struct pgl_cursor *c;
	char name[PGL_NAME_MAX];
	size_t i;

	if (declared_name(stmt, name, sizeof(name)) != 0)
		return;
	if ((c = cursor_find(g, r->pid, name)) == NULL) {
		c = &g->cur[0];
		for (i = 1; i < PGL_CURSORS; i++)
			if (g->cur[i].used < c->used)
				c = &g->cur[i];
	}
	if (c->declare != NULL)
		cursor_drop(g, r, c, 0);	/* its total is lost */
	str_copyn(c->pid, sizeof(c->pid), r->pid, strlen(r->pid));
	str_copyn(c->name, sizeof(c->name), name, strlen(name));
	c->declare = xstrdup(cursor_query(stmt, &c->hold));
	c->decl_full = xstrdup(stmt);
	c->used = ++g->tick;
}

/*
 * A FETCH or MOVE of cursor c (NULL: unknown, its DECLARE was before our
 * start or forgotten): its rows are not in the line; remember the call
 * until the cursor's fate is known.
 */
static void
cursor_fetch(struct pglog *g, const struct pgl_rec *r, struct pgl_cursor *c,
    const char *stmt, int move)
{
	size_t i, freei = PGL_CUR_TEXTS;

	if (c == NULL) {
		pgl_fill(g, r, stmt, STATFILL_NEED, 1);
		return;
	}
	if (move || !fetch_forward(stmt))
		c->bad = 1;
	for (i = 0; i < PGL_CUR_TEXTS; i++) {
		if (c->texts[i].sql == NULL) {
			if (freei == PGL_CUR_TEXTS)
				freei = i;
		} else if (strcmp(c->texts[i].sql, stmt) == 0)
			break;
	}
	if (i == PGL_CUR_TEXTS) {
		if (freei == PGL_CUR_TEXTS) {
			/* No room: this call needs the statistics, and so
			 * the others, or the total would count it twice. */
			c->bad = 1;
			pgl_fill(g, r, stmt, STATFILL_NEED, 1);
			return;
		}
		i = freei;
		c->texts[i].sql = xstrdup(stmt);
	}
	c->texts[i].calls++;
	pgl_fill(g, r, stmt, STATFILL_PENDING, 1);
}

static struct pgl_sess *
sess_get(struct pglog *g, const char *pid)
{
	struct pgl_sess *e = &g->sess[0];
	size_t i;

	for (i = 0; i < PGL_SESSIONS; i++) {
		if (strcmp(g->sess[i].pid, pid) == 0) {
			g->sess[i].used = ++g->tick;
			return &g->sess[i];
		}
		if (g->sess[i].used < e->used)
			e = &g->sess[i];
	}
	memset(e, 0, sizeof(*e));
	str_copyn(e->pid, sizeof(e->pid), pid, strlen(pid));
	e->stmt_id = -1;
	e->used = ++g->tick;
	return e;
}

/*
 * "SESSION,1,1,READ,SELECT,,,SELECT ...,<not logged>,3000": one audited
 * statement. OBJECT lines repeat what SESSION lines say (per object) and
 * are skipped, so a statement counts once.
 */
static void
pgl_audit(struct pglog *g, const struct pgl_rec *r, const char *msg,
    uint64_t pos)
{
	const char *p = msg, *end = msg + strlen(msg);
	char *f[10];
	struct db_session_info info;
	struct db_query q;
	struct pgl_cursor *c = NULL;
	struct pgl_sess *se;
	char *w, name[PGL_NAME_MAX];
	const char *stmt;
	int n, read_class, has_rows = 0, fetch, copy_counted = 0;
	long long rows = 0, stmt_id;

	xgrow(&g->abuf, &g->acap, strlen(msg) + 16);
	w = g->abuf;	/* r's strings live in scratch */
	if ((n = csv_split(g, "pgaudit", p, end, w, f, 10, 9)) < 0)
		return;
	if (strcmp(f[0], "SESSION") != 0)
		return;
	if (n == 10) {
		if (parse_ll(f[9], 0, LLONG_MAX, &rows) != 0) {
			g->out.bad(g->out.arg, "pgaudit: bad row count");
			return;
		}
		has_rows = 1;
	}
	if (parse_ll(f[1], 0, LLONG_MAX, &stmt_id) != 0)
		stmt_id = -1;
	stmt = f[7];
	if (strcmp(stmt, "<previously logged>") == 0) {
		if (g->last_stmt == NULL ||
		    strcmp(g->last_stmt_pid, r->pid) != 0)
			return;	/* its first line was before our start */
		stmt = g->last_stmt;
	} else {
		free(g->last_stmt);
		g->last_stmt = xstrdup(stmt);
		str_copyn(g->last_stmt_pid, sizeof(g->last_stmt_pid), r->pid,
		    strlen(r->pid));
		stmt = g->last_stmt;
	}
	/* COPY (query) TO: its SELECT sub-statement, same statement id,
	 * was logged just before with the rows. */
	se = sess_get(g, r->pid);
	if (stmt_id >= 0 && se->stmt_id == stmt_id && se->select_rows &&
	    strcmp(f[4], "COPY") == 0)
		copy_counted = 1;
	if (stmt_id != se->stmt_id)
		se->select_rows = 0;
	se->stmt_id = stmt_id;
	if (strcmp(f[4], "SELECT") == 0 && has_rows)
		se->select_rows = 1;

	pgl_session(r, &info);
	memset(&q, 0, sizeof(q));
	q.sql = stmt;
	q.sql_len = strlen(stmt);
	q.start_us = q.end_us = r->ts_us;
	read_class = strcmp(f[3], "READ") == 0;
	fetch = strcmp(f[4], "FETCH") == 0 || strcmp(f[4], "MOVE") == 0;
	if (strcmp(f[4], "DECLARE CURSOR") == 0)
		cursor_remember(g, r, stmt);
	else if (fetch && cursor_of(stmt, name, sizeof(name)) == 0 &&
	    (c = cursor_find(g, r->pid, name)) != NULL) {
		/* As on the wire: a FETCH reads what its DECLARE reads. */
		q.origin_sql = c->declare;
		q.origin_len = strlen(c->declare);
		c->used = ++g->tick;
		read_class = 1;
	} else if (strcmp(f[4], "CLOSE CURSOR") == 0) {
		if (close_all(stmt))
			cursors_closing(g, r->pid, NULL, 0);
		else if (cursor_of(stmt, name, sizeof(name)) == 0)
			cursors_closing(g, r->pid, name, 0);
	} else if (strcmp(f[4], "COMMIT") == 0 ||
	    strcmp(f[4], "ROLLBACK") == 0 ||
	    strcmp(f[4], "PREPARE TRANSACTION") == 0)
		cursors_closing(g, r->pid, NULL, 1);
	/* pgaudit counts executor rows: FETCH and COPY of a table have
	 * none, so their count is unknown, not zero. */
	if (!has_rows || fetch || (strcmp(f[4], "COPY") == 0 &&
	    rows == 0 && !copy_counted))
		q.partial = 1;
	if (read_class)
		q.rows_returned = (uint64_t)rows;
	else {
		q.rows_affected = (uint64_t)rows;
		q.has_affected = 1;
	}
	g->out.query(g->out.arg, &info, &q, pos);
	if (fetch)
		cursor_fetch(g, r, c, stmt, strcmp(f[4], "MOVE") == 0);
	else if (q.partial)
		pgl_fill(g, r, stmt, STATFILL_NEED, 1);
}

/*
 * auto_explain's "duration: 0.230 ms  plan:" and the plan in JSON: for
 * a cursor's DECLARE, with log_analyze on, the top node's actual rows
 * are what the cursor's FETCHes read. Other plans repeat what pgaudit
 * counted and are not used.
 */
static void
pgl_plan(struct pglog *g, const struct pgl_rec *r, uint64_t pos)
{
	const char *m = r->message, *j;
	json_t *o, *plan, *jr, *jl;
	json_error_t je;
	struct pgl_cursor *c;
	struct db_session_info info;
	struct db_query q;
	const char *text;
	char name[PGL_NAME_MAX];
	double ms, rows, loops = 1;

	if ((j = strstr(m, " plan:\n")) == NULL)
		return;
	ms = strtod(m + 10, NULL);	/* "duration: 0.230 ms" */
	if ((o = json_loads(j + 7, 0, &je)) == NULL) {
		g->out.bad(g->out.arg, "auto_explain: plan not in JSON");
		return;
	}
	text = json_string_value(json_object_get(o, "Query Text"));
	plan = json_object_get(o, "Plan");
	jr = json_object_get(plan, "Actual Rows");
	jl = json_object_get(plan, "Actual Loops");
	if (text == NULL || !json_is_number(jr) ||
	    declared_name(text, name, sizeof(name)) != 0 ||
	    (c = cursor_find(g, r->pid, name)) == NULL) {
		json_decref(o);		/* not a cursor we follow */
		return;
	}
	rows = json_number_value(jr);
	if (json_is_number(jl))
		loops = json_number_value(jl);
	if (c->bad || c->hold || rows < 0 || loops < 0 ||
	    rows * loops > 1e18) {
		/* Moved, read backward, or materialised at commit: the
		 * count is not what was returned. */
		if (c->closing || !c->hold)
			cursor_drop(g, r, c, 0);
		json_decref(o);
		return;
	}
	pgl_session(r, &info);
	memset(&q, 0, sizeof(q));
	q.sql = c->decl_full;
	q.sql_len = strlen(c->decl_full);
	q.origin_sql = c->declare;
	q.origin_len = strlen(c->declare);
	q.end_us = r->ts_us;
	q.start_us = r->ts_us - (ms > 0 && ms < 1e12 ? (int64_t)(ms * 1000) :
	    0);
	q.rows_returned = (uint64_t)(rows * loops + 0.5);
	g->out.query(g->out.arg, &info, &q, pos);
	cursor_drop(g, r, c, 1);
	json_decref(o);
}

/* A statement that failed: its text and SQLSTATE, no rows. */
static void
pgl_error(struct pglog *g, const struct pgl_rec *r, const char *stmt,
    const char *state, int64_t ts, uint64_t pos)
{
	struct db_session_info info;
	struct db_query q;

	pgl_session(r, &info);
	memset(&q, 0, sizeof(q));
	q.sql = stmt;
	q.sql_len = strlen(stmt);
	q.start_us = q.end_us = ts;
	q.error = 1;
	str_copyn(q.error_code, sizeof(q.error_code), state, strlen(state));
	g->out.query(g->out.arg, &info, &q, pos);
}

/*
 * "disconnection: session time: 1:02:03.456 user=...": the session's
 * length in microseconds, or -1.
 */
static int64_t
session_time(const char *m)
{
	const char *p = strstr(m, "session time: ");
	long long h = 0, mi = 0, us = 0;
	int k = 0;

	if (p == NULL)
		return -1;
	p += 14;
	while (isdigit((unsigned char)*p) && h < 100000000)
		h = h * 10 + (*p++ - '0');
	if (*p++ != ':' || !isdigit((unsigned char)p[0]) ||
	    !isdigit((unsigned char)p[1]) || p[2] != ':' ||
	    !isdigit((unsigned char)p[3]) || !isdigit((unsigned char)p[4]))
		return -1;
	mi = (p[0] - '0') * 10 + (p[1] - '0');
	us = ((p[3] - '0') * 10 + (p[4] - '0')) * 1000000LL;
	p += 5;
	if (*p == '.')
		for (p++; k < 6; k++) {
			us += (isdigit((unsigned char)*p) ? *p - '0' : 0) *
			    (k == 0 ? 100000 : k == 1 ? 10000 : k == 2 ? 1000 :
			    k == 3 ? 100 : k == 4 ? 10 : 1);
			if (isdigit((unsigned char)*p))
				p++;
		}
	if (mi > 59 || us >= 61000000LL)
		return -1;
	return (h * 3600 + mi * 60) * 1000000LL + us;
}

/*
 * Sessions, when the server logs them: log_connections ("connection
 * authorized: ..."), log_disconnections ("disconnection: ...", with the
 * session time), and a FATAL authentication failure (28P01, 28000) as
 * auth_failed.
 */
static int
pgl_session_msg(struct pglog *g, const struct pgl_rec *r, uint64_t pos)
{
	struct db_session_info info;
	const char *state = r->sqlstate;

	if (strcmp(r->severity, "LOG") == 0 &&
	    strncmp(r->message, "connection authorized: ", 23) == 0) {
		pgl_session(r, &info);
		g->out.session(g->out.arg, &info, "connect", r->ts_us, -1,
		    NULL, pos);
		return 1;
	}
	if (strcmp(r->severity, "LOG") == 0 &&
	    strncmp(r->message, "disconnection: ", 15) == 0) {
		cursors_settle(g, r, 1);
		pgl_session(r, &info);
		g->out.session(g->out.arg, &info, "disconnect", r->ts_us,
		    session_time(r->message), NULL, pos);
		return 1;
	}
	if (strcmp(r->severity, "FATAL") != 0)
		return 0;
	if (*state == '\0' && strncmp(r->message,
	    "password authentication failed", 30) == 0)
		state = "28P01";	/* stderr without %e */
	if (strcmp(state, "28P01") != 0 && strcmp(state, "28000") != 0)
		return 0;
	pgl_session(r, &info);
	g->out.session(g->out.arg, &info, "auth_failed", r->ts_us, -1, state,
	    pos);
	return 1;
}

/* One message, whatever the container. */
static void
pgl_message(struct pglog *g, const struct pgl_rec *r, uint64_t pos)
{
	if (strcmp(r->severity, "LOG") == 0 &&
	    strncmp(r->message, "duration: ", 10) == 0 &&
	    strstr(r->message, " plan:\n") != NULL) {
		pgl_plan(g, r, pos);
		return;
	}
	/* Any other record of the backend: a closing cursor's plan, if
	 * any, came before it. */
	if (*r->pid != '\0')
		cursors_settle(g, r, 0);
	if (pgl_session_msg(g, r, pos))
		return;
	if (strcmp(r->severity, "LOG") == 0 &&
	    strncmp(r->message, "AUDIT: ", 7) == 0) {
		pgl_audit(g, r, r->message + 7, pos);
		return;
	}
	if (strcmp(r->severity, "ERROR") == 0) {
		if (r->query != NULL && *r->query != '\0')
			pgl_error(g, r, r->query, r->sqlstate, r->ts_us, pos);
		else if (g->kind == PGL_STDERR) {
			/* Its statement follows on a STATEMENT line. */
			str_copyn(g->err_pid, sizeof(g->err_pid), r->pid,
			    strlen(r->pid));
			str_copyn(g->err_state, sizeof(g->err_state),
			    r->sqlstate, strlen(r->sqlstate));
			g->err_ts = r->ts_us;
		}
		return;
	}
	if (strcmp(r->severity, "STATEMENT") == 0 && g->err_pid[0] != '\0' &&
	    strcmp(g->err_pid, r->pid) == 0)
		pgl_error(g, r, r->message, g->err_state, g->err_ts, pos);
	if (strcmp(r->severity, "DETAIL") != 0 &&
	    strcmp(r->severity, "HINT") != 0 &&
	    strcmp(r->severity, "CONTEXT") != 0)
		g->err_pid[0] = '\0';
}

/* Prefix k: -1 the one set, else one read from the log. */
static const char *
prefix_of(const struct pglog *g, int k)
{
	return k < 0 ? g->prefix : g->inferred[k].fmt;
}

/*
 * Does prefix k decode the held record: a severity starts where its
 * values end, and for a line that is surely a session's (anchor >= 0:
 * a pgaudit record, a connection) exactly where that line's severity
 * is? The message's offset, or -1.
 */
static long
prefix_try(struct pglog *g, int k, struct pgl_rec *r, char *w, long anchor)
{
	long off;

	pglog_rec_defaults(r);
	if ((off = pglog_match_prefix(prefix_of(g, k), g->rec, g->reclen, r,
	    w)) < 0 || pglog_severity_len(g->rec + off) == 0 ||
	    (anchor >= 0 && off != anchor))
		return -1;
	return off;
}

/*
 * Prefix k (read from the log) decoded a record: it moves to the front,
 * and a client escape read from "[local]" (which %h and %r print alike)
 * becomes the one the record's address shows.
 */
static void
prefix_used(struct pglog *g, int k, const struct pgl_rec *r)
{
	struct pgl_prefix p = g->inferred[k];

	if (p.local_at >= 0 && *r->client != '\0' &&
	    strcmp(r->client, "[local]") != 0) {
		p.fmt[p.local_at] = strchr(r->client, '(') != NULL ? 'r' : 'h';
		p.local_at = -1;
	}
	memmove(g->inferred + 1, g->inferred, (size_t)k *
	    sizeof(g->inferred[0]));
	g->inferred[0] = p;
}

static void
pgl_note(struct pglog *g, const char *msg)
{
	if (g->out.note != NULL)
		g->out.note(g->out.arg, msg);
}

/*
 * A session's line that no prefix decodes: a prefix is read from the
 * line itself (pglog-prefix.c) and kept, most recently used first, when
 * it decodes the line; the first few are announced, naming the prefix.
 * A pgaudit line it fails for is bad, with the setting to change.
 * Returns the message's offset or -1.
 */
static long
prefix_infer(struct pglog *g, struct pgl_rec *r, char *w, long anchor,
    int audit)
{
	char p[PGLOG_PREFIX_MAX + 1], msg[3 * PGLOG_PREFIX_MAX];
	const char *why = NULL;
	long local_at = -1, off;

	if (pglog_prefix_infer(g->rec, (size_t)anchor, p, sizeof(p),
	    &local_at, &why) == 0) {
		pglog_rec_defaults(r);
		if (pglog_match_prefix(p, g->rec, g->reclen, r, w) != anchor)
			why = "the prefix read from it does not decode it";
	}
	if (why != NULL) {
		if (!audit)
			return -1;
		snprintf(msg, sizeof(msg), "a pgaudit line does not match "
		    "log-line-prefix '%s' and no prefix can be read from it "
		    "(%s): set log-line-prefix to the server's log_line_prefix "
		    "(SHOW log_line_prefix)", g->prefix, why);
		g->out.bad(g->out.arg, msg);
		return -1;
	}
	if (g->ninferred == PGL_INFERRED)
		free(g->inferred[--g->ninferred].fmt);
	memmove(g->inferred + 1, g->inferred, (size_t)g->ninferred *
	    sizeof(g->inferred[0]));
	g->inferred[0].fmt = xstrdup(p);
	g->inferred[0].local_at = (int)local_at;
	g->ninferred++;
	if (g->notes < PGL_NOTES) {
		snprintf(msg, sizeof(msg), "log lines do not match "
		    "log-line-prefix '%s': decoding them with '%s', read from "
		    "the log; set log-line-prefix to the server's "
		    "log_line_prefix", g->prefix, p);
		pgl_note(g, msg);
	} else if (g->notes == PGL_NOTES)
		pgl_note(g, "more prefixes read from the log: not announced "
		    "one by one");
	g->notes++;
	if ((off = prefix_try(g, 0, r, w, anchor)) >= 0)
		prefix_used(g, 0, r);
	return off;
}

/*
 * The prefix that decodes the held record: the one set, else the ones
 * read from the log, most recently used first. A pgaudit line that the
 * one set does not decode is counted; when no prefix decodes a line
 * that is surely a session's (pgaudit, a connection), one is read from
 * it. -1: not a session line, or an undecoded one.
 */
static long
stderr_prefix(struct pglog *g, struct pgl_rec *r, char *w)
{
	int audit, k;
	long anchor = pglog_anchor_at(g->rec, strcspn(g->rec, "\n"), &audit),
	    off;

	audit = anchor >= 0 && audit;
	if (audit)
		g->audit_lines++;
	if ((off = prefix_try(g, -1, r, w, anchor)) >= 0)
		return off;
	if (audit)
		g->mismatched++;
	for (k = 0; k < g->ninferred; k++)
		if ((off = prefix_try(g, k, r, w, anchor)) >= 0) {
			prefix_used(g, k, r);
			break;
		}
	if (off < 0 && anchor >= 0)
		off = prefix_infer(g, r, w, anchor, audit);
	if (off >= 0 && audit)
		g->by_inferred++;
	return off;
}

/*
 * How many pgaudit lines the prefix set did not decode and what became
 * of them, said at the end of the input read so far when that count has
 * at least doubled since it was last said (a live log is not flooded).
 */
static void
prefix_summary(struct pglog *g)
{
	char msg[3 * PGLOG_PREFIX_MAX];

	if (g->mismatched == 0 || (g->told > 0 &&
	    g->mismatched < 2 * g->told))
		return;
	g->told = g->mismatched;
	if (g->by_inferred > 0)
		snprintf(msg, sizeof(msg), "%" PRIu64 " of %" PRIu64
		    " pgaudit lines do not match log-line-prefix '%s': %"
		    PRIu64 " decoded with '%s', read from the log, %" PRIu64
		    " not decoded; set log-line-prefix to the server's "
		    "log_line_prefix", g->mismatched, g->audit_lines,
		    g->prefix, g->by_inferred, g->inferred[0].fmt,
		    g->mismatched - g->by_inferred);
	else
		snprintf(msg, sizeof(msg), "%" PRIu64 " of %" PRIu64
		    " pgaudit lines do not match log-line-prefix '%s' and "
		    "none could be decoded: set log-line-prefix to the "
		    "server's log_line_prefix (SHOW log_line_prefix)",
		    g->mismatched, g->audit_lines, g->prefix);
	pgl_note(g, msg);
}

/* stderr: the held record (first line + continuations) is complete. */
static void
stderr_record(struct pglog *g)
{
	struct pgl_rec r;
	char *w, *m, *sev;
	long off;
	size_t n;

	/* The prefix's values (at most the line plus a NUL per escape of
	 * a prefix of 256 bytes), then the client and the severity. */
	xgrow(&g->scratch, &g->scap, 2 * g->reclen + 4096);
	w = g->scratch;
	if ((off = stderr_prefix(g, &r, w)) < 0)
		return;		/* not a session line */
	w = g->scratch + g->reclen + 1024;	/* after match's */
	if (*r.client != '\0') {	/* never NULL: pglog_rec_defaults() */
		pglog_fix_client(r.client, w, 64);
		r.client = w;
		w += strlen(w) + 1;
	}
	/* "LOG:  message" */
	m = g->rec + off;
	if ((n = pglog_severity_len(m)) == 0)
		return;
	sev = w;
	memcpy(sev, m, n);
	sev[n] = '\0';
	r.severity = sev;
	m += n + 1;
	while (*m == ' ')
		m++;
	r.message = m;
	pgl_message(g, &r, g->rec_end);
}

static void
hold_reset(struct pglog *g)
{
	g->reclen = 0;
	g->pending = 0;
	g->overlong = 0;
	g->inquote = 0;
}

/* Appends a line (and a newline before it when not first) to the record. */
static int
hold_append(struct pglog *g, const char *s, size_t n)
{
	size_t need = g->reclen + (g->reclen ? 1 : 0) + n;

	if (g->overlong || need >= DBLOG_RECORD_MAX) {
		g->overlong = 1;
		return -1;
	}
	xgrow(&g->rec, &g->reccap, need + 1);
	if (g->reclen)
		g->rec[g->reclen++] = '\n';
	memcpy(g->rec + g->reclen, s, n);
	g->reclen += n;
	g->rec[g->reclen] = '\0';
	return 0;
}

/* The record held is whole: record() decodes it, unless it grew over
 * the limit, which is reported instead. */
static void
hold_end(struct pglog *g, void (*record)(struct pglog *))
{
	if (g->overlong)
		g->out.bad(g->out.arg, "record over the 1 MB limit");
	else
		record(g);
	hold_reset(g);
}

static void
stderr_flush(void *arg)
{
	struct pglog *g = arg;

	if (!g->pending)
		return;
	hold_end(g, stderr_record);
}

/* No more lines for now: the record held is whole, and the counts of
 * pgaudit lines the prefix set did not decode are said. */
static void
stderr_flush_all(void *arg)
{
	stderr_flush(arg);
	prefix_summary(arg);
}

static void
stderr_line(void *arg, const char *s, size_t n, uint64_t end)
{
	struct pglog *g = arg;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (n > 0 && s[0] == '\t' && g->pending) {
		hold_append(g, s + 1, n - 1);
		g->rec_end = end;
		return;
	}
	stderr_flush(g);
	g->pending = 1;
	hold_append(g, s, n);
	g->rec_end = end;
}

/*
 * csvlog: the fields of one row, decoded into scratch. PostgreSQL quotes
 * every text field; numbers and timestamps are bare.
 */
#define CSV_FIELDS	26

static void
csv_record(struct pglog *g)
{
	const char *p = g->rec, *end = g->rec + g->reclen;
	char *f[CSV_FIELDS];
	char *w, client[64];
	struct pgl_rec r;
	int n;

	xgrow(&g->scratch, &g->scap, g->reclen + CSV_FIELDS + 16);
	w = g->scratch;
	if ((n = csv_split(g, "csvlog", p, end, w, f, CSV_FIELDS, 23)) < 0)
		return;
	pglog_rec_defaults(&r);
	if (dblog_ts(f[0], strlen(f[0]), 0, &r.ts_us) != 0) {
		g->out.bad(g->out.arg, "csvlog: bad timestamp");
		return;
	}
	r.user = f[1];
	r.db = f[2];
	r.pid = f[3];
	pglog_fix_client(f[4], client, sizeof(client));
	r.client = client;
	r.severity = f[11];
	r.sqlstate = f[12];
	r.message = f[13];
	r.query = f[19];
	r.app = f[22];
	pgl_message(g, &r, g->rec_end);
}

static void
csv_line(void *arg, const char *s, size_t n, uint64_t end)
{
	struct pglog *g = arg;
	size_t i;

	if (!g->pending && n == 0)
		return;
	g->pending = 1;
	hold_append(g, s, n);
	g->rec_end = end;
	for (i = 0; i < n; i++)
		if (s[i] == '"')
			g->inquote = !g->inquote;
	if (g->inquote)
		return;		/* a quoted field goes on */
	hold_end(g, csv_record);
}

static void
csv_flush(void *arg)
{
	(void)arg;	/* a row ends with its newline: nothing held */
}

static const char *
jstr(json_t *o, const char *key, char **w)
{
	json_t *v = json_object_get(o, key);
	const char *s;
	size_t n;

	if (json_is_string(v)) {
		s = json_string_value(v);
		n = json_string_length(v);
	} else if (json_is_integer(v)) {
		n = (size_t)snprintf(*w, 24, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		s = *w;
		*w += n + 1;
		return s;
	} else
		return "";
	memcpy(*w, s, n);
	(*w)[n] = '\0';	/* a \u0000 inside ends the text here */
	s = *w;
	*w += n + 1;
	return s;
}

static void
json_line(void *arg, const char *s, size_t n, uint64_t end)
{
	struct pglog *g = arg;
	json_error_t je;
	json_t *o;
	struct pgl_rec r;
	char *w;
	const char *ts, *host, *port;
	char client[64];

	if (n == 0)
		return;
	if (n >= DBLOG_RECORD_MAX) {
		g->out.bad(g->out.arg, "record over the 1 MB limit");
		return;
	}
	/* Each key once (duplicates refused): its strings fit in the line's
	 * length, plus room for the numbers printed here. */
	xgrow(&g->scratch, &g->scap, n + 16 * 32);
	w = g->scratch;
	if ((o = json_loadb(s, n, JSON_REJECT_DUPLICATES, &je)) == NULL ||
	    !json_is_object(o)) {
		json_decref(o);
		g->out.bad(g->out.arg, "jsonlog: not a JSON object");
		return;
	}
	pglog_rec_defaults(&r);
	ts = jstr(o, "timestamp", &w);
	if (dblog_ts(ts, strlen(ts), 0, &r.ts_us) != 0) {
		json_decref(o);
		g->out.bad(g->out.arg, "jsonlog: bad timestamp");
		return;
	}
	r.user = jstr(o, "user", &w);
	r.db = jstr(o, "dbname", &w);
	r.pid = jstr(o, "pid", &w);
	r.app = jstr(o, "application_name", &w);
	r.severity = jstr(o, "error_severity", &w);
	r.sqlstate = jstr(o, "state_code", &w);
	r.message = jstr(o, "message", &w);
	r.query = jstr(o, "statement", &w);
	host = jstr(o, "remote_host", &w);
	port = jstr(o, "remote_port", &w);
	client[0] = '\0';
	if (*host != '\0' && strcmp(host, "[local]") != 0)
		snprintf(client, sizeof(client), strchr(host, ':') != NULL ?
		    "[%s]:%s" : "%s:%s", host, port);
	r.client = client;
	pgl_message(g, &r, end);
	json_decref(o);
}

static void
json_flush(void *arg)
{
	(void)arg;
}

static void *
pglog_new(const struct agent_config *cfg, const struct dblog_out *out,
    int kind)
{
	struct pglog *g;

	g = xcalloc(1, sizeof(*g));
	g->cfg = cfg;
	g->out = *out;
	g->kind = kind;
	g->prefix = cfg->log_line_prefix != NULL ? cfg->log_line_prefix :
	    PGL_DEFAULT_PREFIX;
	hold_reset(g);
	return g;
}

static void *
stderr_new(const struct agent_config *cfg, const struct dblog_out *out)
{
	return pglog_new(cfg, out, PGL_STDERR);
}

static void *
csv_new(const struct agent_config *cfg, const struct dblog_out *out)
{
	return pglog_new(cfg, out, PGL_CSV);
}

static void *
json_new(const struct agent_config *cfg, const struct dblog_out *out)
{
	return pglog_new(cfg, out, PGL_JSON);
}

static void
pglog_free(void *arg)
{
	struct pglog *g = arg;
	size_t i, k;

	if (g == NULL)
		return;
	for (i = 0; i < PGL_CURSORS; i++) {
		free(g->cur[i].declare);
		free(g->cur[i].decl_full);
		for (k = 0; k < PGL_CUR_TEXTS; k++)
			free(g->cur[i].texts[k].sql);
	}
	for (i = 0; i < PGL_INFERRED; i++)
		free(g->inferred[i].fmt);
	free(g->last_stmt);
	free(g->rec);
	free(g->scratch);
	free(g->abuf);
	free(g);
}

const struct dblog_format dblog_pgaudit = {
	"pgaudit", "postgresql", stderr_new, stderr_line, stderr_flush_all,
	pglog_free
};
const struct dblog_format dblog_pgcsv = {
	"pgcsv", "postgresql", csv_new, csv_line, csv_flush, pglog_free
};
const struct dblog_format dblog_pgjson = {
	"pgjson", "postgresql", json_new, json_line, json_flush, pglog_free
};
