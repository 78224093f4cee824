/*
 * MySQL and MariaDB server logs as a source of db.query events, for the
 * connections the wire decoder cannot read (TLS, Unix sockets):
 *
 *   mysql-slow     the slow query log, run at long_query_time=0 so every
 *                  statement is in it: "# User@Host:", "# Thread_id:",
 *                  "# Query_time: ... Rows_sent: ... Rows_examined:",
 *                  MariaDB's "# Rows_affected: ... Bytes_sent:", then
 *                  "use db;", "SET timestamp=N;" and the statement,
 *                  which may span lines. An entry ends where the next
 *                  begins (or at flush()), MariaDB and MySQL 8 layouts.
 *   mariadb-audit  the server_audit plugin's file: one line per event,
 *                  "time,host,user,client,connid,queryid,OP,db,object,
 *                  retcode"; QUERY lines become events (the plugin logs
 *                  no row counts, so they carry rows 0 and partial true:
 *                  who ran what, and what failed).
 *
 *                  CONNECT / DISCONNECT / FAILED_CONNECT lines become
 *                  db.session events, a DISCONNECT with the time since
 *                  its CONNECT (whole seconds, the plugin's resolution).
 *
 * session_id is the connection (thread) id, as the wire decoder reports
 * it. Statements are normalised by db_query_event(); nothing here
 * outputs their text.
 */
#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define MYL_CONNS	1024	/* audit: connections timed, by id hash */
/* Events carry years 0000-9999: the last microsecond of 9999, in us. */
#define MYL_TS_MAX	(TS_LAST_SEC * 1000000 + 999999)
#define MYL_QUERY_MAX	(366LL * 86400 * 1000000)	/* a year, in us */

struct mylog {
	const struct agent_config *cfg;
	struct dblog_out	 out;
	/* mysql-slow: the entry being assembled. */
	int			 pending;	/* header or text seen */
	int			 overlong;
	uint64_t		 rec_end;
	char			 user[128];
	char			 client[64];
	char			 thread[24];
	char			 schema[128];	/* from Schema: or use */
	int64_t			 time_us;	/* from # Time: */
	int64_t			 set_ts_us;	/* from SET timestamp */
	uint64_t		 query_us;
	uint64_t		 rows_sent;
	uint64_t		 rows_affected;
	int			 has_affected;
	uint64_t		 bytes_sent;
	char			*sql;
	size_t			 sqllen;
	size_t			 sqlcap;
	char			*buf;		/* audit: decoded statement */
	size_t			 bufcap;
	/* audit: when each open connection began, for its duration. */
	struct {
		char		 id[24];
		int64_t		 ts_us;
	}			 conn[MYL_CONNS];
};

/* The value after "key" in s[0..n): digits, optionally with a fraction
 * (scaled by 1e6 when frac). -1 when absent or malformed. */
static int
kv_num(const char *s, size_t n, const char *key, int frac, uint64_t *out)
{
	const char *p = memmem(s, n, key, strlen(key)), *e = s + n;
	uint64_t v = 0, f = 0;
	int fd = 0;

	if (p == NULL)
		return -1;
	p += strlen(key);
	while (p < e && *p == ' ')
		p++;
	if (p >= e || !isdigit((unsigned char)*p))
		return -1;
	while (p < e && isdigit((unsigned char)*p)) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p++ - '0');
	}
	if (frac) {
		if (p < e && *p == '.')
			for (p++; p < e && isdigit((unsigned char)*p); p++)
				if (fd < 6) {
					f = f * 10 + (uint64_t)(*p - '0');
					fd++;
				}
		while (fd++ < 6)
			f *= 10;
		if (v > UINT64_MAX / 1000000 - 1)
			return -1;
		v = v * 1000000 + f;
	}
	*out = v;
	return 0;
}

/* The word after "key" (up to a space) into dst. */
static int
kv_word(const char *s, size_t n, const char *key, char *dst, size_t dlen)
{
	const char *p = memmem(s, n, key, strlen(key)), *e = s + n, *b;

	if (p == NULL)
		return -1;
	p += strlen(key);
	if (p < e && *p == ' ')
		p++;	/* one: a second means the value is empty */
	b = p;
	while (p < e && *p != ' ')
		p++;
	str_copyn(dst, dlen, b, (size_t)(p - b));
	return 0;
}

static void
slow_reset(struct mylog *m)
{
	m->pending = 0;
	m->overlong = 0;
	m->user[0] = m->client[0] = m->thread[0] = '\0';
	m->time_us = m->set_ts_us = -1;
	m->query_us = m->rows_sent = m->rows_affected = m->bytes_sent = 0;
	m->has_affected = 0;
	m->sqllen = 0;
}

/* The entry is complete: one statement, one event. */
static void
slow_flush(void *arg)
{
	struct mylog *m = arg;
	struct db_session_info info;
	struct db_query q;
	size_t n = m->sqllen;

	if (!m->pending)
		return;
	if (m->overlong) {
		m->out.bad(m->out.arg, "record over the 1 MB limit");
		slow_reset(m);
		return;
	}
	while (n > 0 && isspace((unsigned char)m->sql[n - 1]))
		n--;
	if (n > 0 && m->sql[n - 1] == ';')
		n--;
	if (n == 0) {
		if (m->user[0] != '\0')
			m->out.bad(m->out.arg, "slow log: entry without a "
			    "statement");
		slow_reset(m);
		return;
	}
	memset(&info, 0, sizeof(info));
	info.db_system = "mysql";
	str_copyn(info.db_user, sizeof(info.db_user), m->user, strlen(m->user));
	str_copyn(info.database, sizeof(info.database), m->schema,
	    strlen(m->schema));
	str_copyn(info.client, sizeof(info.client), m->client,
	    strlen(m->client));
	str_copyn(info.session_id, sizeof(info.session_id), m->thread,
	    strlen(m->thread));
	memset(&q, 0, sizeof(q));
	q.sql = m->sql;
	q.sql_len = n;
	/* SET timestamp is the statement's start; # Time: its end. */
	if (m->set_ts_us >= 0) {
		q.start_us = m->set_ts_us;
		q.end_us = m->set_ts_us + (int64_t)m->query_us;
	} else if (m->time_us >= 0) {
		q.end_us = m->time_us;
		q.start_us = q.end_us - (int64_t)m->query_us;
	}
	/* a start in year 9999 plus its Query_time can pass the last day */
	if (q.end_us > MYL_TS_MAX) {
		m->out.bad(m->out.arg, "slow log: statement time out of range");
		slow_reset(m);
		return;
	}
	q.rows_returned = m->rows_sent;
	q.rows_affected = m->rows_affected;
	q.has_affected = m->has_affected;
	q.bytes = m->bytes_sent;
	m->out.query(m->out.arg, &info, &q, m->rec_end);
	slow_reset(m);
}

/* "# User@Host: alice[alice] @ host [127.0.0.1]  Id: 8" */
static void
slow_user_host(struct mylog *m, const char *s, size_t n)
{
	const char *e = s + n, *p, *b;
	uint64_t id;

	p = s;
	b = p;
	while (p < e && *p != '[' && *p != ' ')
		p++;
	str_copyn(m->user, sizeof(m->user), b, (size_t)(p - b));
	if ((p = memmem(s, n, " @ ", 3)) != NULL) {
		p += 3;
		while (p < e && *p != '[')
			p++;
		if (p < e) {
			b = ++p;
			while (p < e && *p != ']')
				p++;
			/* An IP: TCP; empty (localhost): the Unix socket. */
			str_copyn(m->client, sizeof(m->client), b,
			    (size_t)(p - b));
		}
	}
	if (kv_num(s, n, "Id:", 0, &id) == 0)
		snprintf(m->thread, sizeof(m->thread), "%" PRIu64, id);
}

/* "# Time: 261130 15:54:35" (MariaDB) or "2026-11-30T15:54:35.1Z". */
static void
slow_time(struct mylog *m, const char *s, size_t n)
{
	char t[40];
	int64_t us;

	while (n > 0 && *s == ' ') {
		s++;
		n--;
	}
	if (n > 6 && n < 30 && isdigit((unsigned char)s[0]) &&
	    s[6] == ' ') {
		/* YYMMDD: this century. */
		snprintf(t, sizeof(t), "20%.*s", (int)n, s);
		if (dblog_ts(t, strlen(t), 1, &us) == 0)
			m->time_us = us;
	} else if (dblog_ts(s, n, 1, &us) == 0)
		m->time_us = us;
}

static int
starts(const char *s, size_t n, const char *pfx)
{
	size_t k = strlen(pfx);

	return n >= k && memcmp(s, pfx, k) == 0;
}

static void
slow_line(void *arg, const char *s, size_t n, uint64_t end)
{
	struct mylog *m = arg;
	uint64_t v;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	/* The header the server writes when it opens the file. */
	if ((n > 0 && memmem(s, n, ", Version: ", 11) != NULL &&
	    memmem(s, n, "started with:", 13) != NULL) ||
	    starts(s, n, "Tcp port: ") || (starts(s, n, "Time ") &&
	    memmem(s, n, "Id Command", 10) != NULL)) {
		slow_flush(m);
		return;
	}
	if (starts(s, n, "# ") && (m->sqllen == 0 || starts(s, n, "# Time:") ||
	    starts(s, n, "# User@Host:"))) {
		if (m->sqllen > 0 || (m->pending && (starts(s, n, "# Time:") ||
		    (starts(s, n, "# User@Host:") && m->user[0] != '\0'))))
			slow_flush(m);
		m->pending = 1;
		m->rec_end = end;
		if (starts(s, n, "# Time:"))
			slow_time(m, s + 7, n - 7);
		else if (starts(s, n, "# User@Host:"))
			slow_user_host(m, s + 13 > s + n ? s + n : s + 13,
			    n > 13 ? n - 13 : 0);
		else {
			if (kv_num(s, n, "Thread_id:", 0, &v) == 0)
				snprintf(m->thread, sizeof(m->thread),
				    "%" PRIu64, v);
			if (memmem(s, n, "Schema:", 7) != NULL)
				kv_word(s, n, "Schema:", m->schema,
				    sizeof(m->schema));
			if (kv_num(s, n, "Query_time:", 1, &v) == 0) {
				if (v <= (uint64_t)MYL_QUERY_MAX)
					m->query_us = v;
				else
					m->out.bad(m->out.arg, "slow log: "
					    "Query_time over a year");
			}
			if (kv_num(s, n, "Rows_sent:", 0, &v) == 0)
				m->rows_sent = v;
			if (kv_num(s, n, "Rows_affected:", 0, &v) == 0) {
				m->rows_affected = v;
				m->has_affected = 1;
			}
			if (kv_num(s, n, "Bytes_sent:", 0, &v) == 0)
				m->bytes_sent = v;
		}
		return;
	}
	if (!m->pending)
		return;		/* text before the first entry */
	m->rec_end = end;
	if (m->sqllen == 0 && starts(s, n, "SET timestamp=")) {
		if (kv_num(s, n, "SET timestamp=", 1, &v) != 0 ||
		    v > (uint64_t)MYL_TS_MAX)
			m->out.bad(m->out.arg, "slow log: bad SET timestamp");
		else
			m->set_ts_us = (int64_t)v;
		return;
	}
	if (m->sqllen == 0 && starts(s, n, "use ") && n > 5 &&
	    s[n - 1] == ';') {
		const char *b = s + 4;
		size_t k = n - 5;

		if (k >= 2 && b[0] == '`' && b[k - 1] == '`') {
			b++;
			k -= 2;
		}
		str_copyn(m->schema, sizeof(m->schema), b, k);
		return;
	}
	if (m->overlong || m->sqllen + n + 1 >= DBLOG_RECORD_MAX) {
		m->overlong = 1;
		return;
	}
	xgrow(&m->sql, &m->sqlcap, m->sqllen + n + 2);
	if (m->sqllen > 0)
		m->sql[m->sqllen++] = '\n';
	memcpy(m->sql + m->sqllen, s, n);
	m->sqllen += n;
}

/* server_audit's fields, as audit_line splits them, into a session. */
static void
audit_info(const char **f, const size_t *fl, struct db_session_info *info)
{
	memset(info, 0, sizeof(*info));
	info->db_system = "mysql";
	str_copyn(info->db_user, sizeof(info->db_user), f[2], fl[2]);
	/* "localhost" is the Unix socket: no client address. */
	if (!(fl[3] == 9 && memcmp(f[3], "localhost", 9) == 0))
		str_copyn(info->client, sizeof(info->client), f[3], fl[3]);
	str_copyn(info->session_id, sizeof(info->session_id), f[4], fl[4]);
	str_copyn(info->database, sizeof(info->database), f[7], fl[7]);
}

/*
 * CONNECT, DISCONNECT, FAILED_CONNECT: db.session connect, disconnect,
 * auth_failed (with the error number). The object field is empty; the
 * return code follows it.
 */
static void
audit_session(struct mylog *m, const char **f, const size_t *fl,
    const char *e, const char *p, uint64_t end)
{
	struct db_session_info info;
	const char *action;
	char code[16];
	long long rc;
	int64_t ts, dur = -1;
	uint32_t slot;

	if (fl[6] == 7 && memcmp(f[6], "CONNECT", 7) == 0)
		action = "connect";
	else if (fl[6] == 10 && memcmp(f[6], "DISCONNECT", 10) == 0)
		action = "disconnect";
	else if (fl[6] == 14 && memcmp(f[6], "FAILED_CONNECT", 14) == 0)
		action = "auth_failed";
	else
		return;
	if (p >= e || *p != ',') {
		m->out.bad(m->out.arg, "server_audit: bad session line");
		return;
	}
	str_copyn(code, sizeof(code), p + 1, (size_t)(e - p - 1));
	if (parse_ll(code, INT_MIN, INT_MAX, &rc) != 0 ||
	    dblog_ts(f[0], fl[0], 1, &ts) != 0) {
		m->out.bad(m->out.arg, "server_audit: bad session line");
		return;
	}
	audit_info(f, fl, &info);
	/* The connection's length: DISCONNECT less its CONNECT (both to
	 * the second), when the CONNECT was read. */
	slot = crc32c(0, f[4], fl[4]) % MYL_CONNS;
	if (strcmp(action, "connect") == 0) {
		str_copyn(m->conn[slot].id, sizeof(m->conn[slot].id), f[4],
		    fl[4]);
		m->conn[slot].ts_us = ts;
	} else if (strcmp(action, "disconnect") == 0 &&
	    strcmp(m->conn[slot].id, info.session_id) == 0) {
		if (ts >= m->conn[slot].ts_us)
			dur = ts - m->conn[slot].ts_us;
		m->conn[slot].id[0] = '\0';
	}
	m->out.session(m->out.arg, &info, action, ts, dur,
	    strcmp(action, "auth_failed") == 0 ? code : NULL, end);
}

/*
 * server_audit: "20261130 15:54:40,vm,alice,127.0.0.1,10,13,QUERY,crm,
 * 'SELECT ...',0". The object of a QUERY is quoted with backslash
 * escapes; the other fields hold no commas.
 */
static void
audit_line(void *arg, const char *s, size_t n, uint64_t end)
{
	struct mylog *m = arg;
	const char *f[8], *e = s + n, *p = s;
	size_t fl[8];
	struct db_session_info info;
	struct db_query q;
	char *o;
	long long rc;
	char code[16];
	int i;

	if (n > 0 && s[n - 1] == '\r')
		n--, e--;
	if (n == 0)
		return;
	if (n >= DBLOG_RECORD_MAX) {
		m->out.bad(m->out.arg, "record over the 1 MB limit");
		return;
	}
	xgrow(&m->buf, &m->bufcap, n + 1);
	o = m->buf;
	for (i = 0; i < 8; i++) {
		f[i] = p;
		while (p < e && *p != ',')
			p++;
		if (p >= e) {
			m->out.bad(m->out.arg, "server_audit: too few fields");
			return;
		}
		fl[i] = (size_t)(p - f[i]);
		p++;
	}
	if (fl[6] != 5 || memcmp(f[6], "QUERY", 5) != 0) {
		audit_session(m, f, fl, e, p, end);
		return;		/* TABLE, ...: not a statement */
	}
	if (p >= e || *p != '\'') {
		m->out.bad(m->out.arg, "server_audit: unquoted query");
		return;
	}
	for (p++; p < e && *p != '\''; p++) {
		if (*p == '\\' && p + 1 < e) {
			p++;
			*o++ = *p == 'n' ? '\n' : *p == 'r' ? '\r' :
			    *p == 't' ? '\t' : *p == '0' ? ' ' : *p;
		} else
			*o++ = *p;
	}
	if (p >= e || p + 1 >= e || p[1] != ',') {
		m->out.bad(m->out.arg, "server_audit: broken quoting");
		return;
	}
	p += 2;
	str_copyn(code, sizeof(code), p, (size_t)(e - p));
	if (parse_ll(code, INT_MIN, INT_MAX, &rc) != 0) {
		m->out.bad(m->out.arg, "server_audit: bad return code");
		return;
	}
	audit_info(f, fl, &info);
	memset(&q, 0, sizeof(q));
	q.sql = m->buf;
	q.sql_len = (size_t)(o - m->buf);
	if (dblog_ts(f[0], fl[0], 1, &q.end_us) != 0) {
		m->out.bad(m->out.arg, "server_audit: bad timestamp");
		return;
	}
	q.start_us = q.end_us;
	q.partial = 1;		/* the plugin counts no rows */
	if (rc != 0) {
		q.error = 1;
		snprintf(q.error_code, sizeof(q.error_code), "%lld", rc);
	}
	m->out.query(m->out.arg, &info, &q, end);
}

static void
audit_flush(void *arg)
{
	(void)arg;
}

static void *
mylog_new(const struct agent_config *cfg, const struct dblog_out *out)
{
	struct mylog *m;

	m = xcalloc(1, sizeof(*m));
	m->cfg = cfg;
	m->out = *out;
	slow_reset(m);
	return m;
}

static void
mylog_free(void *arg)
{
	struct mylog *m = arg;

	if (m == NULL)
		return;
	free(m->sql);
	free(m->buf);
	free(m);
}

const struct dblog_format dblog_mysql_slow = {
	"mysql-slow", "mysql", mylog_new, slow_line, slow_flush, mylog_free
};
const struct dblog_format dblog_mariadb_audit = {
	"mariadb-audit", "mysql", mylog_new, audit_line, audit_flush,
	mylog_free
};
