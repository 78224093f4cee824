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
 * The first poll is the baseline and emits nothing: history before the
 * agent started is not re-reported. A counter that went down (a reset,
 * or an entry evicted and re-created) counts from zero. An event stands
 * for every call of its statement in the interval (docs/log-sources.md).
 * The credential file must be a regular file readable by its owner only.
 * Queries run synchronously with short timeouts; a failed poll is
 * logged (rate-limited) and the connection re-made on the next one.
 * Stats events carry no session, so they are not deduplicated against
 * the wire: run one of wire+log or stats per server (docs/log-sources.md).
 * The polling account's own statements are left out.
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

/* One tracked counter set: a statement (pg) or user x kind (my). */
struct stat_ent {
	char		*key;
	uint64_t	 calls;
	uint64_t	 rows;		/* pg rows; my rows sent */
	uint64_t	 rows2;		/* my rows affected */
	double		 time_us;
	uint64_t	 gen;		/* poll that last saw it */
	struct stat_ent	*next;
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
	struct stat_ent		**hash;
	size_t			 nbuckets;
	size_t			 count;
	uint64_t		 gen;		/* polls done */
	int64_t			 now;
	struct event		*ev;
	struct source_stats	 st;
	uint64_t		 norm_errors;
	uint64_t		 failures;
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

static struct stat_ent *
ent_get(struct source_stat *s, const char *key, int *fresh)
{
	struct stat_ent *e;
	uint32_t h = crc32c(0, key, strlen(key));

	*fresh = 0;
	for (e = s->hash[h % s->nbuckets]; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	if (s->count >= STAT_KEYS_MAX)
		return NULL;
	e = xcalloc(1, sizeof(*e));
	e->key = xstrdup(key);
	e->next = s->hash[h % s->nbuckets];
	s->hash[h % s->nbuckets] = e;
	s->count++;
	*fresh = 1;
	return e;
}

/* Forgets counters the server no longer reports (evicted, reset). */
static void
ent_sweep(struct source_stat *s)
{
	struct stat_ent **pp, *e;
	size_t i;

	for (i = 0; i < s->nbuckets; i++)
		for (pp = &s->hash[i]; (e = *pp) != NULL; ) {
			if (e->gen != s->gen) {
				*pp = e->next;
				free(e->key);
				free(e);
				s->count--;
			} else
				pp = &e->next;
		}
}

static uint64_t
delta(uint64_t now, uint64_t before)
{
	return now >= before ? now - before : now;	/* reset: from 0 */
}

static uint64_t
num(const char *v)
{
	return v == NULL ? 0 : strtoull(v, NULL, 10);
}

static void
emit(struct source_stat *s, const struct db_session_info *info,
    const struct db_query *q)
{
	struct lw_event *ev;
	char err[256];

	if ((ev = db_query_event(s->cfg, info, q, "stats", &s->norm_errors,
	    err, sizeof(err))) == NULL) {
		s->st.errors++;
		return;
	}
	if (s->sink.emit(s->sink.arg, ev, s->src_id, 0) == 0)
		s->st.read++;
}

/* Reads return rows; writes affect them (pg_stat_statements has one
 * count for both). */
static int
is_read(const char *sql)
{
	static const char *const reads[] = { "select", "with", "table",
	    "values", "fetch", "show", "execute", "copy", "explain", NULL };
	char w[16];
	size_t i = 0;
	int k;

	while (*sql == '(' || isspace((unsigned char)*sql))
		sql++;
	while (i < sizeof(w) - 1 && isalpha((unsigned char)sql[i])) {
		w[i] = (char)tolower((unsigned char)sql[i]);
		i++;
	}
	w[i] = '\0';
	for (k = 0; reads[k] != NULL; k++)
		if (strcmp(w, reads[k]) == 0)
			return strcmp(w, "copy") != 0 ||
			    strcasestr(sql, " from stdin") == NULL;
	return 0;
}

static void
fail_log(struct source_stat *s, const char *what, const char *why)
{
	s->st.errors++;
	if (s->failures++ < STAT_LOGGED)
		log_warnx("%s %s: %s: %s", s->kind, s->path, what, why);
}

#define PG_QUERY \
	"SELECT r.rolname, d.datname, s.queryid::text, s.toplevel::text, " \
	"s.calls::text, s.rows::text, s.total_exec_time::text, s.query " \
	"FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid " \
	"JOIN pg_database d ON d.oid = s.dbid " \
	"WHERE r.rolname <> current_user"	/* not our own polls */

static void
poll_pg(struct source_stat *s)
{
	PGresult *res;
	struct stat_ent *e;
	struct db_session_info info;
	struct db_query q;
	char key[512];
	uint64_t calls, rows;
	double t;
	int i, n, fresh, emitted = 0;

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
	res = PQexec(s->pg, PG_QUERY);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fail_log(s, "pg_stat_statements", PQerrorMessage(s->pg));
		PQclear(res);
		return;
	}
	s->gen++;
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "%s\n%s\n%s\n%s",
		    PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
		    PQgetvalue(res, i, 2), PQgetvalue(res, i, 3));
		if ((e = ent_get(s, key, &fresh)) == NULL)
			continue;
		e->gen = s->gen;
		calls = num(PQgetvalue(res, i, 4));
		rows = num(PQgetvalue(res, i, 5));
		t = strtod(PQgetvalue(res, i, 6), NULL) * 1000.0;
		if (s->gen > 1 && (fresh || calls != e->calls)) {
			memset(&info, 0, sizeof(info));
			info.db_system = "postgresql";
			snprintf(info.db_user, sizeof(info.db_user), "%s",
			    PQgetvalue(res, i, 0));
			snprintf(info.database, sizeof(info.database), "%s",
			    PQgetvalue(res, i, 1));
			memset(&q, 0, sizeof(q));
			q.sql = PQgetvalue(res, i, 7);
			q.sql_len = (size_t)PQgetlength(res, i, 7);
			q.end_us = s->now;
			q.start_us = s->now - (int64_t)(fresh || t < e->time_us ?
			    t : t - e->time_us);
			if (is_read(q.sql))
				q.rows_returned = fresh ? rows :
				    delta(rows, e->rows);
			else {
				q.rows_affected = fresh ? rows :
				    delta(rows, e->rows);
				q.has_affected = 1;
			}
			emit(s, &info, &q);
			emitted++;
		}
		e->calls = calls;
		e->rows = rows;
		e->time_us = t;
	}
	PQclear(res);
	ent_sweep(s);
	if (s->gen == 1)
		log_info("pgstat %s: baseline of %d statements", s->path, n);
	else
		log_debug("pgstat %s: %d statements changed", s->path,
		    emitted);
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
	struct stat_ent *e;
	struct db_session_info info;
	struct db_query q;
	char key[512], command[32];
	uint64_t calls, sent, aff;
	double t;
	int fresh, n = 0;

	if (s->my == NULL && my_connect(s) != 0)
		return;
	if (mysql_query(s->my, MY_QUERY) != 0 ||
	    (res = mysql_store_result(s->my)) == NULL) {
		fail_log(s, "performance_schema", mysql_error(s->my));
		mysql_close(s->my);
		s->my = NULL;
		return;
	}
	s->gen++;
	while ((row = mysql_fetch_row(res)) != NULL) {
		n++;
		if (row[0] == NULL || row[1] == NULL)
			continue;
		snprintf(key, sizeof(key), "%s\n%s", row[0], row[1]);
		if ((e = ent_get(s, key, &fresh)) == NULL)
			continue;
		e->gen = s->gen;
		calls = num(row[2]);
		sent = num(row[3]);
		aff = num(row[4]);
		t = (double)num(row[5]) / 1e6;	/* picoseconds */
		if (s->gen > 1 && (fresh || calls != e->calls)) {
			memset(&info, 0, sizeof(info));
			info.db_system = "mysql";
			snprintf(info.db_user, sizeof(info.db_user), "%s",
			    row[0]);
			my_command(row[1], command, sizeof(command));
			memset(&q, 0, sizeof(q));
			q.command = command;
			q.end_us = s->now;
			q.start_us = s->now - (int64_t)(fresh ||
			    t < e->time_us ? t : t - e->time_us);
			q.rows_returned = fresh ? sent : delta(sent, e->rows);
			q.rows_affected = fresh ? aff : delta(aff, e->rows2);
			q.has_affected = 1;
			emit(s, &info, &q);
		}
		e->calls = calls;
		e->rows = sent;
		e->rows2 = aff;
		e->time_us = t;
	}
	mysql_free_result(res);
	ent_sweep(s);
	if (s->gen == 1)
		log_info("mystat %s: baseline of %d counters", s->path, n);
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
	s->nbuckets = 4096;
	s->hash = xcalloc(s->nbuckets, sizeof(*s->hash));
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
	*st = s->st;
}

void
source_stat_free(struct source_stat *s)
{
	struct stat_ent *e, *next;
	size_t i;

	if (s == NULL)
		return;
	if (s->ev != NULL)
		event_free(s->ev);
	PQfinish(s->pg);
	if (s->my != NULL)
		mysql_close(s->my);
	for (i = 0; i < s->nbuckets; i++)
		for (e = s->hash[i]; e != NULL; e = next) {
			next = e->next;
			free(e->key);
			free(e);
		}
	free(s->hash);
	if (s->cred != NULL) {
		explicit_bzero(s->cred, strlen(s->cred));
		free(s->cred);
	}
	free(s->path);
	free(s);
}
