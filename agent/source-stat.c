/*
 * Statistics polling, the low-overhead db source that works whatever
 * the transport (TLS, Unix socket): the server's own cumulative counters
 * are read every stat-interval, and what grew since the previous poll
 * becomes db.query events with source "stats".
 *
 *   pgstat:FILE  PostgreSQL pg_stat_statements (per user, database and
 *                statement: calls, rows, execution time) through libpq;
 *                FILE holds a libpq connection string for a role with
 *                pg_monitor. One event per statement that ran since the
 *                last poll, its rows the difference (returned for
 *                reads, affected for writes), its statement normalised
 *                like the wire decoder's, so fingerprints agree.
 *   mystat:FILE  MySQL/MariaDB performance_schema
 *                events_statements_summary_by_user_by_event_name through
 *                libmariadb; FILE holds "key = value" lines (host, port,
 *                socket, user, password, ssl, ssl-ca) for an account
 *                with PROCESS and SELECT ON performance_schema.*. One
 *                event per user and statement kind, with no statement
 *                text (the summary has none), its command from the
 *                event name.
 *
 * The arithmetic is apart from the polling, in the stat_tab functions,
 * which take one poll's rows and so run in tests without a server. The
 * first poll is the baseline and emits nothing: history before the
 * agent started is not re-reported. A counter set first seen later
 * counts from zero (a new statement, or one evicted and re-created). A
 * counter that went down (a reset of that entry) counts from zero; when
 * pg_stat_statements_info.stats_reset moves, every counter does. Sets
 * the server no longer reports are forgotten. An event stands for every
 * call of its statement in the interval (docs/log-sources.md).
 *
 * Fill mode (stat-fill, and a PostgreSQL log source in the same agent):
 * the log counts most statements exactly, so pgstat reports only the
 * calls the log noted in the fill ledger (statfill.c) as needing it -
 * COPY of a table, FETCHes of a cursor without an auto_explain total -
 * and drops the calls the log counted. Growth the ledger says nothing
 * of yet is held: until the log decides (a cursor still open), or for
 * STAT_FILL_WAIT_US after which it was counted by the log.
 *
 * The credential file must be a regular file readable by its owner only.
 * Queries run synchronously with short timeouts; a failed poll is
 * logged (rate-limited) and the connection re-made on the next one.
 * Stats events carry no session, so they are not deduplicated against
 * the wire. The polling account's own statements are left out.
 */
#include <sys/stat.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <libpq-fe.h>
#include <mysql.h>

#include "agent.h"
#include "leakwatch/event.h"
#include "leakwatch/log.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define STAT_KEYS_MAX	200000		/* counters tracked */
#define STAT_CRED_MAX	4096
#define STAT_TIMEOUT_S	10
#define STAT_LOGGED	20
#define STAT_POLL_ROWS	(1 << 20)	/* rows read per poll, at most */
/* Fill mode: how long growth the log said nothing of is held before it
 * counts as the log's own; how long an undecided one is held at most. */
#define STAT_FILL_WAIT_US	(10 * 1000000LL)
#define STAT_FILL_MAX_US	(600 * 1000000LL)

/* One tracked counter set: a statement (pg) or user x kind (my). */
struct stat_ent {
	char		*key;
	uint64_t	 calls;
	uint64_t	 rows;		/* pg rows; my rows sent */
	uint64_t	 rows2;		/* my rows affected */
	double		 time_us;
	uint64_t	 gen;		/* poll that last saw it */
	/* Fill mode: growth not yet decided, since h_since. */
	uint64_t	 h_calls;
	uint64_t	 h_rows;
	double		 h_time;
	int64_t		 h_since;
	char		*fkey;		/* its fill-ledger key */
	struct stat_ent	*next;
};

struct stat_tab {
	const struct agent_config *cfg;
	int			 mysql;
	struct stat_ent		**hash;
	size_t			 nbuckets;
	size_t			 count;
	size_t			 max;
	uint64_t		 gen;		/* polls done */
	char			*epoch;
	struct stat_tab_stats	 st;
};

struct source_stat {
	const struct agent_config *cfg;
	int			 mysql;
	const char		*kind;		/* "pgstat" | "mystat" */
	char			*path;
	char			*cred;		/* file contents */
	struct sink		 sink;
	uint32_t		 src_id;
	PGconn			*pg;
	MYSQL			*my;
	struct stat_tab		*tab;
	int64_t			 now;
	struct event		*ev;
	struct source_stats	 st;
	uint64_t		 failures;
	int			 fill_said;
	int			 baseline_said;
};

/* The credential file: a regular file nobody but its owner can read. */
static char *
cred_load(const char *path, char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "%s: readable by others (mode %03o); "
		    "chmod 600 it", path, (unsigned)(st.st_mode & 0777));
		close(fd);
		return NULL;
	}
	buf = xmalloc(STAT_CRED_MAX + 1);
	n = read(fd, buf, STAT_CRED_MAX + 1);
	close(fd);
	if (n < 0 || n > STAT_CRED_MAX) {
		snprintf(err, errlen, "%s: unreadable or over %d bytes", path,
		    STAT_CRED_MAX);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* "statement/sql/select" -> "SELECT", "statement/sql/show_tables" ->
 * "SHOW TABLES" (cut to fit). */
static void
my_command(const char *event, char *buf, size_t len)
{
	const char *p = strrchr(event, '/');
	size_t i;

	p = p == NULL ? event : p + 1;
	for (i = 0; i + 1 < len && p[i] != '\0'; i++)
		buf[i] = p[i] == '_' ? ' ' : (char)toupper((unsigned char)p[i]);
	buf[i] = '\0';
}


struct stat_tab *
stat_tab_new(const struct agent_config *cfg, int mysql, size_t max_keys)
{
	struct stat_tab *t;

	t = xcalloc(1, sizeof(*t));
	t->cfg = cfg;
	t->mysql = mysql;
	t->max = max_keys;
	t->nbuckets = 4096;
	t->hash = xcalloc(t->nbuckets, sizeof(*t->hash));
	return t;
}

static void
ent_free(struct stat_ent *e)
{
	free(e->key);
	free(e->fkey);
	free(e);
}

void
stat_tab_free(struct stat_tab *t)
{
	struct stat_ent *e, *next;
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nbuckets; i++)
		for (e = t->hash[i]; e != NULL; e = next) {
			next = e->next;
			ent_free(e);
		}
	free(t->hash);
	free(t->epoch);
	free(t);
}

void
stat_tab_stats(const struct stat_tab *t, struct stat_tab_stats *st)
{
	struct stat_ent *e;
	size_t i;

	*st = t->st;
	st->tracked = t->count;
	st->held = 0;
	for (i = 0; i < t->nbuckets; i++)
		for (e = t->hash[i]; e != NULL; e = e->next)
			st->held += e->h_calls;
}

static struct stat_ent *
ent_get(struct stat_tab *t, const char *key, int *fresh)
{
	struct stat_ent *e;
	uint32_t h = crc32c(0, key, strlen(key));

	*fresh = 0;
	for (e = t->hash[h % t->nbuckets]; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	if (t->count >= t->max)
		return NULL;
	e = xcalloc(1, sizeof(*e));
	e->key = xstrdup(key);
	e->next = t->hash[h % t->nbuckets];
	t->hash[h % t->nbuckets] = e;
	t->count++;
	*fresh = 1;
	return e;
}

/* Forgets counters the server no longer reports (evicted, reset). */
static void
ent_sweep(struct stat_tab *t)
{
	struct stat_ent **pp, *e;
	size_t i;

	for (i = 0; i < t->nbuckets; i++)
		for (pp = &t->hash[i]; (e = *pp) != NULL; ) {
			if (e->gen != t->gen) {
				*pp = e->next;
				t->st.vanished++;
				ent_free(e);
				t->count--;
			} else
				pp = &e->next;
		}
}

/* Reads return rows; writes affect them (pg_stat_statements has one
 * count for both). */
static int
is_read(const char *sql, size_t len)
{
	static const char *const reads[] = { "select", "with", "table",
	    "values", "fetch", "show", "execute", "copy", "explain", NULL };
	char w[16];
	size_t i = 0, j;
	int k, depth = 0;

	while (len > 0 && (*sql == '(' || isspace((unsigned char)*sql))) {
		sql++;
		len--;
	}
	while (i < sizeof(w) - 1 && i < len &&
	    isalpha((unsigned char)sql[i])) {
		w[i] = (char)tolower((unsigned char)sql[i]);
		i++;
	}
	w[i] = '\0';
	for (k = 0; reads[k] != NULL; k++) {
		if (strcmp(w, reads[k]) != 0)
			continue;
		if (strcmp(w, "copy") != 0)
			return 1;
		/* COPY table FROM writes; a FROM inside COPY (query) TO
		 * is the query's. */
		for (j = 0; j + 5 <= len; j++) {
			if (sql[j] == '(')
				depth++;
			else if (sql[j] == ')' && depth > 0)
				depth--;
			else if (depth == 0 &&
			    strncasecmp(sql + j, " from", 5) == 0 &&
			    (j + 5 == len || !isalnum((unsigned char)sql[j + 5])))
				return 0;
		}
		return 1;
	}
	return 0;
}

/* The event of one counter set's growth; 1 when emitted. */
static int
tab_emit(struct stat_tab *t, const struct stat_row *r, uint64_t calls,
    uint64_t rows, uint64_t rows2, double time_us, int64_t now,
    stat_emit_fn *fn, void *arg)
{
	struct db_session_info info;
	struct db_query q;
	struct lw_event *ev;
	char command[32], err[256];

	memset(&info, 0, sizeof(info));
	info.db_system = t->mysql ? "mysql" : "postgresql";
	snprintf(info.db_user, sizeof(info.db_user), "%s", r->user);
	snprintf(info.database, sizeof(info.database), "%s",
	    r->db != NULL ? r->db : "");
	memset(&q, 0, sizeof(q));
	q.end_us = now;
	q.start_us = now - (time_us > 0 && time_us < 1e15 ?
	    (int64_t)time_us : 0);
	/* It stands for every call in the interval (docs/events.md). */
	q.count = calls;
	if (t->mysql) {
		my_command(r->id, command, sizeof(command));
		q.command = command;
		q.rows_returned = rows;
		q.rows_affected = rows2;
		q.has_affected = 1;
	} else {
		q.sql = r->sql;
		q.sql_len = r->sql_len;
		if (r->sql != NULL && is_read(r->sql, r->sql_len))
			q.rows_returned = rows;
		else {
			q.rows_affected = rows;
			q.has_affected = 1;
		}
	}
	if ((ev = db_query_event(t->cfg, &info, &q, "stats",
	    &t->st.norm_errors, err, sizeof(err))) == NULL) {
		t->st.invalid++;
		return 0;
	}
	fn(arg, ev);
	return 1;
}

/* The fill-ledger key of a pg statement: user, database, fingerprint. */
static int
fill_key(struct stat_tab *t, struct stat_ent *e, const struct stat_row *r)
{
	struct db_session_info info;
	struct db_query q;
	struct lw_event *ev;
	char err[256], key[512], fp[17];

	if (e->fkey != NULL)
		return 0;
	memset(&info, 0, sizeof(info));
	info.db_system = "postgresql";
	snprintf(info.db_user, sizeof(info.db_user), "%s", r->user);
	snprintf(info.database, sizeof(info.database), "%s", r->db);
	memset(&q, 0, sizeof(q));
	q.sql = r->sql;
	q.sql_len = r->sql_len;
	if ((ev = db_query_event(t->cfg, &info, &q, "stats",
	    &t->st.norm_errors, err, sizeof(err))) == NULL)
		return -1;
	if (statfill_fingerprint(ev, fp, sizeof(fp)) == 0) {
		statfill_key("postgresql", info.db_user, info.database, fp,
		    key, sizeof(key));
		e->fkey = xstrdup(key);
	}
	lw_event_free(ev);
	return e->fkey != NULL ? 0 : -1;
}

/*
 * Fill mode: the held growth of e against the log's word. Calls the log
 * needs are reported (their share of the rows: exact when all held
 * calls need it, as the log's decisions come per statement and cursor),
 * calls it counted are dropped; the rest wait, unless the log has had
 * its time. Returns the events emitted.
 */
static int
tab_fill(struct stat_tab *t, struct stat_ent *e, const struct stat_row *r,
    int64_t now, stat_emit_fn *fn, void *arg)
{
	struct statfill_verdict v;
	uint64_t n, k, rows;
	int64_t age = now - e->h_since;
	int emitted = 0;

	if (e->h_calls == 0)
		return 0;
	if (r->sql == NULL || fill_key(t, e, r) != 0) {
		memset(&v, 0, sizeof(v));	/* no text: the log's own */
		age = STAT_FILL_MAX_US;
	} else
		statfill_get(e->fkey, now, &v);
	n = v.need < e->h_calls ? v.need : e->h_calls;
	k = v.counted < e->h_calls - n ? v.counted : e->h_calls - n;
	if (n + k < e->h_calls && age < STAT_FILL_MAX_US &&
	    (age < STAT_FILL_WAIT_US || v.pending > 0))
		return 0;	/* the log has not decided yet */
	if (n == e->h_calls)
		rows = e->h_rows;
	else
		rows = (uint64_t)((long double)e->h_rows * n / e->h_calls);
	if (n > 0)
		emitted = tab_emit(t, r, n, rows, 0,
		    e->h_time * n / e->h_calls, now, fn, arg);
	if (e->fkey != NULL)
		statfill_take(e->fkey, n, k, now);
	t->st.filled += n;
	t->st.skipped += e->h_calls - n;
	e->h_calls = e->h_rows = 0;
	e->h_time = 0;
	e->h_since = 0;
	return emitted;
}

/*
 * One poll's rows. Growth is the difference with the previous poll;
 * the first poll only records. Returns the events emitted.
 */
int
stat_tab_poll(struct stat_tab *t, const struct stat_row *rows, size_t n,
    const char *epoch, int64_t now, int fill, stat_emit_fn *fn, void *arg)
{
	const struct stat_row *r;
	struct stat_ent *e;
	char key[1024];
	uint64_t dc, dr, dr2;
	double dt;
	int fresh, all_fresh = 0, emitted = 0;
	size_t i;

	if (epoch != NULL) {
		if (t->epoch != NULL && strcmp(t->epoch, epoch) != 0)
			all_fresh = 1;	/* every counter restarted */
		free(t->epoch);
		t->epoch = xstrdup(epoch);
	}
	fill = fill && !t->mysql;
	t->gen++;
	for (i = 0; i < n; i++) {
		r = &rows[i];
		if (r->user == NULL || r->id == NULL)
			continue;
		if (t->mysql)
			snprintf(key, sizeof(key), "%s\n%s", r->user, r->id);
		else
			snprintf(key, sizeof(key), "%s\n%s\n%s", r->user,
			    r->db != NULL ? r->db : "", r->id);
		if ((e = ent_get(t, key, &fresh)) == NULL) {
			t->st.untracked++;
			continue;
		}
		if (e->gen == t->gen)
			continue;	/* the same key twice in one poll */
		e->gen = t->gen;
		/* A counter that went down was reset (that entry, or
		 * all): what it holds now is all new. */
		if (!fresh && !all_fresh && (r->calls < e->calls ||
		    r->rows < e->rows || r->rows2 < e->rows2)) {
			t->st.resets++;
			fresh = 1;
		}
		fresh = fresh || all_fresh;
		dc = fresh ? r->calls : r->calls - e->calls;
		dr = fresh ? r->rows : r->rows - e->rows;
		dr2 = fresh ? r->rows2 : r->rows2 - e->rows2;
		dt = fresh || r->time_us < e->time_us ? r->time_us :
		    r->time_us - e->time_us;
		e->calls = r->calls;
		e->rows = r->rows;
		e->rows2 = r->rows2;
		e->time_us = r->time_us;
		if (t->gen == 1)
			continue;	/* the baseline */
		if (!fill) {
			if (dc > 0 || dr > 0 || dr2 > 0)
				emitted += tab_emit(t, r, dc, dr, dr2, dt, now,
				    fn, arg);
			continue;
		}
		if (dc > 0 || dr > 0) {
			if (e->h_calls == 0)
				e->h_since = now;
			e->h_calls += dc > 0 ? dc : 1;
			e->h_rows += dr;
			e->h_time += dt;
		}
		emitted += tab_fill(t, e, r, now, fn, arg);
	}
	ent_sweep(t);
	return emitted;
}

static uint64_t
num(const char *v)
{
	return v == NULL ? 0 : strtoull(v, NULL, 10);
}

static void
fail_log(struct source_stat *s, const char *what, const char *why)
{
	s->st.errors++;
	if (s->failures++ < STAT_LOGGED)
		log_warnx("%s %s: %s: %s", s->kind, s->path, what, why);
}

/* The sink side of stat_tab_poll(). */
static void
stat_emit(void *arg, struct lw_event *ev)
{
	struct source_stat *s = arg;

	if (s->sink.emit(s->sink.arg, ev, s->src_id, 0) == 0)
		s->st.read++;
}

/* Fill mode: asked for, and a PostgreSQL log source runs here. */
static int
stat_fill_mode(struct source_stat *s)
{
	int fill = !s->mysql && s->cfg->stat_fill &&
	    statfill_enabled("postgresql");

	if (fill && !s->fill_said) {
		log_info("%s %s: with the log source: reporting only the "
		    "rows the log cannot count", s->kind, s->path);
		s->fill_said = 1;
	}
	return fill;
}

#define PG_QUERY \
	"SELECT r.rolname, d.datname, s.queryid::text || '/' || " \
	"s.toplevel::text, s.calls::text, s.rows::text, " \
	"s.total_exec_time::text, s.query " \
	"FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid " \
	"JOIN pg_database d ON d.oid = s.dbid " \
	"WHERE r.rolname <> current_user"	/* not our own polls */
#define PG_INFO \
	"SELECT coalesce(stats_reset::text, '') FROM pg_stat_statements_info"

static void
poll_pg(struct source_stat *s)
{
	PGresult *res, *info;
	struct stat_row *rows;
	const char *epoch = NULL;
	int i, n, emitted;

	if (s->pg == NULL || PQstatus(s->pg) != CONNECTION_OK) {
		PQfinish(s->pg);
		s->pg = PQconnectdb(s->cred);
		if (PQstatus(s->pg) != CONNECTION_OK) {
			fail_log(s, "connect", PQerrorMessage(s->pg));
			PQfinish(s->pg);
			s->pg = NULL;
			return;
		}
	}
	/* When every counter was reset (PostgreSQL 14 and later). */
	info = PQexec(s->pg, PG_INFO);
	if (PQresultStatus(info) == PGRES_TUPLES_OK && PQntuples(info) == 1)
		epoch = PQgetvalue(info, 0, 0);
	res = PQexec(s->pg, PG_QUERY);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fail_log(s, "pg_stat_statements", PQerrorMessage(s->pg));
		PQclear(res);
		PQclear(info);
		return;
	}
	n = PQntuples(res);
	if (n > STAT_POLL_ROWS)
		n = STAT_POLL_ROWS;
	rows = xcalloc((size_t)n + 1, sizeof(*rows));
	for (i = 0; i < n; i++) {
		rows[i].user = PQgetvalue(res, i, 0);
		rows[i].db = PQgetvalue(res, i, 1);
		rows[i].id = PQgetvalue(res, i, 2);
		rows[i].calls = num(PQgetvalue(res, i, 3));
		rows[i].rows = num(PQgetvalue(res, i, 4));
		rows[i].time_us = strtod(PQgetvalue(res, i, 5), NULL) * 1000.0;
		rows[i].sql = PQgetvalue(res, i, 6);
		rows[i].sql_len = (size_t)PQgetlength(res, i, 6);
	}
	emitted = stat_tab_poll(s->tab, rows, (size_t)n, epoch, s->now,
	    stat_fill_mode(s), stat_emit, s);
	free(rows);
	PQclear(res);
	PQclear(info);
	log_debug("pgstat %s: %d statements, %d events", s->path, n, emitted);
	if (!s->baseline_said) {
		log_info("pgstat %s: baseline of %d statements", s->path, n);
		s->baseline_said = 1;
	}
}

/* "key = value" lines; returns the value of key or NULL. */
static const char *
cred_get(const char *cred, const char *key, char *buf, size_t len)
{
	const char *p = cred, *e, *v;
	size_t k = strlen(key), n;

	while (*p != '\0') {
		e = p + strcspn(p, "\n");
		while (p < e && isspace((unsigned char)*p))
			p++;
		if ((size_t)(e - p) > k && strncmp(p, key, k) == 0 &&
		    (isspace((unsigned char)p[k]) || p[k] == '=')) {
			v = p + k;
			while (v < e && (isspace((unsigned char)*v) ||
			    *v == '='))
				v++;
			n = (size_t)(e - v);
			while (n > 0 && isspace((unsigned char)v[n - 1]))
				n--;
			if (n >= len)
				return NULL;
			memcpy(buf, v, n);
			buf[n] = '\0';
			return buf;
		}
		p = *e ? e + 1 : e;
	}
	return NULL;
}

static int
my_connect(struct source_stat *s)
{
	char host[256], sock[512], user[128], pw[256], port[16], ssl[8],
	    ca[512];
	const char *h, *so, *u, *pwd, *pt, *sl, *c;
	unsigned int to = STAT_TIMEOUT_S;
	my_bool yes = 1;
	long long portn = 0;

	h = cred_get(s->cred, "host", host, sizeof(host));
	so = cred_get(s->cred, "socket", sock, sizeof(sock));
	u = cred_get(s->cred, "user", user, sizeof(user));
	pwd = cred_get(s->cred, "password", pw, sizeof(pw));
	pt = cred_get(s->cred, "port", port, sizeof(port));
	sl = cred_get(s->cred, "ssl", ssl, sizeof(ssl));
	c = cred_get(s->cred, "ssl-ca", ca, sizeof(ca));
	if (pt != NULL && parse_ll(pt, 1, 65535, &portn) != 0)
		portn = 0;
	if ((s->my = mysql_init(NULL)) == NULL)
		return -1;
	mysql_options(s->my, MYSQL_OPT_CONNECT_TIMEOUT, &to);
	mysql_options(s->my, MYSQL_OPT_READ_TIMEOUT, &to);
	if (sl != NULL && (strcmp(sl, "yes") == 0 || strcmp(sl, "on") == 0 ||
	    strcmp(sl, "1") == 0)) {
		mysql_ssl_set(s->my, NULL, NULL, c, NULL, NULL);
		mysql_options(s->my, MYSQL_OPT_SSL_ENFORCE, &yes);
		if (c != NULL)
			mysql_options(s->my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT,
			    &yes);
	}
	if (mysql_real_connect(s->my, h, u, pwd, NULL, (unsigned)portn, so,
	    0) == NULL) {
		fail_log(s, "connect", mysql_error(s->my));
		mysql_close(s->my);
		s->my = NULL;
		return -1;
	}
	explicit_bzero(pw, sizeof(pw));
	return 0;
}

#define MY_QUERY \
	"SELECT USER, EVENT_NAME, COUNT_STAR, SUM_ROWS_SENT, " \
	"SUM_ROWS_AFFECTED, SUM_TIMER_WAIT " \
	"FROM performance_schema.events_statements_summary_by_user_by_event_name " \
	"WHERE USER IS NOT NULL AND COUNT_STAR > 0 " \
	"AND USER <> SUBSTRING_INDEX(CURRENT_USER(), '@', 1)"

static void
poll_my(struct source_stat *s)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	struct stat_row *rows;
	size_t n = 0, cap;

	if (s->my == NULL && my_connect(s) != 0)
		return;
	if (mysql_query(s->my, MY_QUERY) != 0 ||
	    (res = mysql_store_result(s->my)) == NULL) {
		fail_log(s, "performance_schema", mysql_error(s->my));
		mysql_close(s->my);
		s->my = NULL;
		return;
	}
	cap = (size_t)mysql_num_rows(res);
	if (cap > STAT_POLL_ROWS)
		cap = STAT_POLL_ROWS;
	rows = xcalloc(cap + 1, sizeof(*rows));
	while (n < cap && (row = mysql_fetch_row(res)) != NULL) {
		if (row[0] == NULL || row[1] == NULL)
			continue;
		rows[n].user = row[0];
		rows[n].db = "";
		rows[n].id = row[1];
		rows[n].calls = num(row[2]);
		rows[n].rows = num(row[3]);
		rows[n].rows2 = num(row[4]);
		rows[n].time_us = (double)num(row[5]) / 1e6;	/* ps */
		n++;
	}
	(void)stat_tab_poll(s->tab, rows, n, NULL, s->now, 0, stat_emit, s);
	free(rows);
	mysql_free_result(res);
	if (!s->baseline_said) {
		log_info("mystat %s: baseline of %zu counters", s->path, n);
		s->baseline_said = 1;
	}
}

static void
stat_cb(evutil_socket_t fd, short what, void *arg)
{
	struct source_stat *s = arg;
	struct timeval tv;

	(void)fd;
	(void)what;
	s->now = now_us();
	if (s->mysql)
		poll_my(s);
	else
		poll_pg(s);
	tv.tv_sec = s->cfg->stat_interval / 1000;
	tv.tv_usec = (s->cfg->stat_interval % 1000) * 1000;
	evtimer_add(s->ev, &tv);
}

struct source_stat *
source_stat_new(struct event_base *base, const char *kind, const char *arg,
    const struct agent_config *cfg, uint32_t src_id,
    const struct sink *sink, char *err, size_t errlen)
{
	struct source_stat *s;
	struct timeval tv = { 0, 0 };
	char *cred, *p;
	size_t n;

	if (*arg == '\0') {
		snprintf(err, errlen, "source %s: expected %s:CREDENTIAL-FILE",
		    kind, kind);
		return NULL;
	}
	if ((cred = cred_load(arg, err, errlen)) == NULL)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->cfg = cfg;
	s->mysql = strcmp(kind, "mystat") == 0;
	s->kind = s->mysql ? "mystat" : "pgstat";
	s->path = xstrdup(arg);
	s->sink = *sink;
	s->src_id = src_id;
	if (!s->mysql) {
		/* One line of conninfo; a timeout unless it has one. */
		cred[strcspn(cred, "\n")] = '\0';
		n = strlen(cred) + 32;
		p = xmalloc(n);
		snprintf(p, n, "%s%s", cred, strstr(cred, "://") == NULL &&
		    strstr(cred, "connect_timeout") == NULL ?
		    " connect_timeout=10" : "");
		explicit_bzero(cred, strlen(cred));
		free(cred);
		cred = p;
	}
	s->cred = cred;
	s->tab = stat_tab_new(cfg, s->mysql, STAT_KEYS_MAX);
	s->ev = evtimer_new(base, stat_cb, s);
	evtimer_add(s->ev, &tv);
	return s;
}

int
source_stat_done(const struct source_stat *s)
{
	(void)s;
	return 0;	/* polls until stopped */
}

void
source_stat_stats(const struct source_stat *s, struct source_stats *st)
{
	struct stat_tab_stats ts;

	*st = s->st;
	stat_tab_stats(s->tab, &ts);
	st->errors += ts.invalid;
}

void
source_stat_free(struct source_stat *s)
{
	if (s == NULL)
		return;
	ev_free(s->ev);
	PQfinish(s->pg);
	if (s->my != NULL)
		mysql_close(s->my);
	stat_tab_free(s->tab);
	if (s->cred != NULL) {
		explicit_bzero(s->cred, strlen(s->cred));
		free(s->cred);
	}
	free(s->path);
	free(s);
}
