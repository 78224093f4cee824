/*
 * The "log" source kind, log:FORMAT:PATH: a database server's log file
 * followed like `tail -F` and read by one of the formats of
 * decode-pglog.c / decode-mylog.c into db.query events with source
 * "log". `leakwatch-agent --read-log FORMAT:FILE` is the same source
 * reading a file once.
 *
 * Following (follow.c, shared with the jsonl source): the file may be
 * absent at start (it is waited for); a rename (new inode at the path)
 * is noticed at end of data, the rest of the old file is read first,
 * then the new one from its start; a file shorter than what was read
 * (copytruncate) is read again from its start. Each event is spooled
 * with the byte offset just after its record, so a restarted agent
 * resumes at the first record not yet spooled: nothing re-sent, nothing
 * skipped (docs/log-sources.md states the limits: lines written between
 * a copy and its truncate are gone, and a file replaced while the agent
 * was down is read from its start only if it is shorter than the saved
 * offset). Lines are bounded by DBLOG_RECORD_MAX; a longer line is
 * skipped whole and counted.
 *
 * A record that needs a following line to end (a stderr message with
 * continuation lines, a slow-log entry) is completed by the format when
 * the next one begins, or by flush() once the file has stopped growing
 * for a poll interval - the server writes an entry in one go, so a quiet
 * file holds no half entry.
 *
 * Dedup with the wire decoder (log-dedup, on by default): a statement
 * of a session that a "db" source of this agent decoded from the wire
 * is dropped here, since the wire source already reported it with exact
 * byte counts; see db_wire_seen() in db.c. A followed log can be read
 * before the capture has handed the same session's packets to the
 * decoders (the kernel hands them over in blocks, up to 10 ms late, and
 * a psql -c session lasts about as long), so while a wire source runs
 * every record is held LOG_HOLD_MS before it is judged, in order; the
 * hold is bounded in records and bytes, and a full hold judges its
 * oldest record at once.
 *
 * What a PostgreSQL log cannot count (COPY of a table, FETCHes of a
 * cursor without an auto_explain total) the format tells fill(), which
 * notes it in the fill ledger (statfill.c) under the statement's
 * fingerprint, for a pgstat source of this agent to report.
 */
#include <sys/queue.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "leakwatch/event.h"
#include "leakwatch/log.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#include <event2/event.h>

#define LOG_LOGGED	50		/* bad records logged one by one */
#define LOG_TICK_MS	1000		/* following: the aggregates' clock */
#define LOG_HOLD_MS	200		/* a record waits for the wire */
#define LOG_HOLD_MAX	65536		/* records held at most */
#define LOG_HOLD_BYTES	(64 << 20)	/* statement text held at most */
/* The wall clock flushes aggregates this late: the server writes a line
 * a moment after its time, and the file is polled. */
#define LOG_AGG_GRACE_US	(5 * 1000000LL)

static const struct dblog_format *const dblog_formats[] = {
	&dblog_pgaudit,
	&dblog_pgcsv,
	&dblog_pgjson,
	&dblog_mysql_slow,
	&dblog_mariadb_audit,
};

const struct dblog_format *
dblog_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(dblog_formats) / sizeof(dblog_formats[0]); i++)
		if (strcmp(dblog_formats[i]->name, name) == 0)
			return dblog_formats[i];
	return NULL;
}

/*
 * A record held for the wire: a statement (sql set) or a session event,
 * with copies of what the format's buffers held only for the call.
 */
struct held {
	TAILQ_ENTRY(held)	 entry;
	int64_t			 due_ms;
	uint64_t		 pos;
	size_t			 bytes;
	struct db_session_info	 info;
	int			 is_query;
	struct db_query		 q;		/* strings point below */
	char			*sql;
	char			*origin;
	char			*command;
	char			 action[16];
	int64_t			 ts_us;
	int64_t			 duration_us;
	char			 error_code[16];
	int			 has_error_code;
};
TAILQ_HEAD(held_list, held);

struct source_log {
	const struct agent_config *cfg;
	const struct dblog_format *fmt;
	void			*dec;
	struct sink		 sink;
	uint32_t		 src_id;
	char			*path;
	struct follow		*f;
	struct source_stats	 st;
	uint64_t		 norm_errors;
	uint64_t		 deduped;
	struct agg		*agg;		/* NULL: aggregate off */
	uint64_t		 pos;		/* after the latest record */
	struct event		*tick;		/* following: agg_clock() */
	int			 follow;	/* a live log: hold records */
	struct held_list	 held;		/* oldest first */
	size_t			 nheld;
	size_t			 held_bytes;
	struct event		*hold_ev;	/* the oldest record is due */
};

static void
log_bad(void *arg, const char *why)
{
	struct source_log *s = arg;

	s->st.errors++;
	if (s->st.errors <= LOG_LOGGED)
		log_warnx("%s: %s; record skipped", s->path, why);
	if (s->st.errors == LOG_LOGGED)
		log_warnx("%s: further bad records are counted, not logged",
		    s->path);
}

static void
log_query_now(struct source_log *s, const struct db_session_info *info,
    const struct db_query *q, uint64_t pos)
{
	struct lw_event *ev;
	char err[256];

	if (s->cfg->log_dedup && db_wire_seen(info->db_system,
	    info->session_id, info->client, q->end_us)) {
		s->deduped++;
		return;
	}
	/* Before the fold, which may flush: an aggregate is spooled at
	 * the latest record's position (it goes back to 0 only when the
	 * file was rotated, and so must the resume position). */
	s->pos = pos;
	if (db_query_report(s->cfg, info, q, "log", s->agg, &s->norm_errors,
	    &ev, err, sizeof(err)) != 0) {
		log_bad(s, err);
		return;
	}
	if (ev == NULL) {
		s->st.aggregated++;
		return;
	}
	/* A spool I/O error is logged by the agent; the event is lost,
	 * since the format cannot take its record back. */
	if (s->sink.emit(s->sink.arg, ev, s->src_id, pos) == 0)
		s->st.read++;
}

/*
 * A flushed aggregate, spooled at the latest record's position: a
 * restart resumes after every statement it stands for. (After a SIGKILL,
 * statements folded but not yet flushed are not read again; a stop
 * flushes them, docs/aggregation.md.)
 */
static void
log_agg_emit(void *arg, const struct db_qfields *f)
{
	struct source_log *s = arg;
	struct lw_event *ev;
	char err[256];

	if ((ev = db_query_build(f, err, sizeof(err))) == NULL) {
		log_bad(s, err);
		return;
	}
	if (s->sink.emit(s->sink.arg, ev, s->src_id, s->pos) == 0)
		s->st.read++;
}

/* Following: quiet periods end windows by the wall clock. */
static void
log_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct source_log *s = arg;

	(void)fd;
	(void)what;
	agg_clock(s->agg, now_us() - LOG_AGG_GRACE_US);
}

/* The format's word on the log itself (a log-line-prefix that does
 * not fit it): the operator's to read. */
static void
log_note(void *arg, const char *msg)
{
	struct source_log *s = arg;

	log_warnx("%s: %s", s->path, msg);
}

/*
 * The format's word on rows it could not count: the fill ledger keys it
 * by user, database and the fingerprint db_query_event() gives the text,
 * the same a pgstat event of that statement gets.
 */
static void
log_fill(void *arg, const struct db_session_info *info, const char *sql,
    int op, uint64_t calls)
{
	struct source_log *s = arg;
	struct lw_event *ev;
	struct db_query q;
	char err[256], key[512], fp[17];
	int64_t now = now_us();

	/* A session the wire decoded was counted there (live: the line is
	 * read within moments of its time). */
	if (!s->cfg->stat_fill || (s->cfg->log_dedup &&
	    db_wire_seen(info->db_system, info->session_id, info->client,
	    now)))
		return;
	memset(&q, 0, sizeof(q));
	q.sql = sql;
	q.sql_len = strlen(sql);
	q.start_us = q.end_us = now;
	if ((ev = db_query_event(s->cfg, info, &q, "log", &s->norm_errors,
	    err, sizeof(err))) == NULL)
		return;
	if (statfill_fingerprint(ev, fp, sizeof(fp)) == 0) {
		statfill_key(info->db_system, info->db_user, info->database,
		    fp, key, sizeof(key));
		statfill_note(key, op, calls, now);
	}
	lw_event_free(ev);
}

static void
log_session_now(struct source_log *s, const struct db_session_info *info,
    const char *action, int64_t ts_us, int64_t duration_us,
    const char *error_code, uint64_t pos)
{
	struct lw_event *ev;
	char err[256];

	if (s->cfg->log_dedup && db_wire_seen(info->db_system,
	    info->session_id, info->client, ts_us)) {
		s->deduped++;
		return;
	}
	s->pos = pos;
	/* The session's aggregates come before its disconnect. */
	if (strcmp(action, "disconnect") == 0)
		agg_session_end(s->agg, info->db_system, info->server,
		    info->client, info->session_id);
	if ((ev = db_session_event(info, action, ts_us, duration_us,
	    error_code, "log", err, sizeof(err))) == NULL) {
		log_bad(s, err);
		return;
	}
	if (s->sink.emit(s->sink.arg, ev, s->src_id, pos) == 0)
		s->st.read++;
}

static char *
held_copy(struct held *h, const char *p, size_t n)
{
	char *c;

	if (p == NULL)
		return NULL;
	c = xmalloc(n + 1);
	memcpy(c, p, n);
	c[n] = '\0';
	h->bytes += n;
	return c;
}

static void
held_free(struct held *h)
{
	free(h->sql);
	free(h->origin);
	free(h->command);
	free(h);
}

/* The oldest held record judged and emitted (or dropped as the wire's). */
static void
hold_release1(struct source_log *s)
{
	struct held *h = TAILQ_FIRST(&s->held);

	TAILQ_REMOVE(&s->held, h, entry);
	s->nheld--;
	s->held_bytes -= h->bytes;
	if (h->is_query)
		log_query_now(s, &h->info, &h->q, h->pos);
	else
		log_session_now(s, &h->info, h->action, h->ts_us,
		    h->duration_us, h->has_error_code ? h->error_code : NULL,
		    h->pos);
	held_free(h);
}

/* Every record that is due (all: every one), then the next one's timer. */
static void
hold_release(struct source_log *s, int all)
{
	struct timeval tv;
	int64_t now = mono_ms(), wait;
	struct held *h;

	while ((h = TAILQ_FIRST(&s->held)) != NULL &&
	    (all || h->due_ms <= now))
		hold_release1(s);
	if (h == NULL || all)
		return;
	wait = h->due_ms - now;
	tv.tv_sec = (time_t)(wait / 1000);
	tv.tv_usec = (suseconds_t)(wait % 1000) * 1000;
	evtimer_add(s->hold_ev, &tv);
}

static void
hold_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	hold_release(arg, 0);
}

/* Whether a record must wait for the wire before it is judged. */
static int
hold_wanted(const struct source_log *s)
{
	return s->follow && s->cfg->log_dedup && db_wire_active();
}

static void
hold_push(struct source_log *s, struct held *h, uint64_t pos)
{
	h->pos = pos;
	h->due_ms = mono_ms() + LOG_HOLD_MS;
	TAILQ_INSERT_TAIL(&s->held, h, entry);
	s->nheld++;
	s->held_bytes += h->bytes;
	while (s->nheld > LOG_HOLD_MAX || s->held_bytes > LOG_HOLD_BYTES)
		hold_release1(s);
	if (!evtimer_pending(s->hold_ev, NULL))
		hold_release(s, 0);
}

/*
 * The format's callbacks: held while a wire source runs (and behind
 * anything still held, so the order stays), else judged now.
 */
static void
log_query(void *arg, const struct db_session_info *info,
    const struct db_query *q, uint64_t pos)
{
	struct source_log *s = arg;
	struct held *h;

	if (!hold_wanted(s) && TAILQ_EMPTY(&s->held)) {
		log_query_now(s, info, q, pos);
		return;
	}
	h = xcalloc(1, sizeof(*h));
	h->is_query = 1;
	h->info = *info;
	h->q = *q;
	h->sql = held_copy(h, q->sql, q->sql_len);
	h->origin = held_copy(h, q->origin_sql, q->origin_len);
	h->command = held_copy(h, q->command,
	    q->command != NULL ? strlen(q->command) : 0);
	h->q.sql = h->sql;
	h->q.origin_sql = h->origin;
	h->q.command = h->command;
	hold_push(s, h, pos);
}

static void
log_session(void *arg, const struct db_session_info *info,
    const char *action, int64_t ts_us, int64_t duration_us,
    const char *error_code, uint64_t pos)
{
	struct source_log *s = arg;
	struct held *h;

	if (!hold_wanted(s) && TAILQ_EMPTY(&s->held)) {
		log_session_now(s, info, action, ts_us, duration_us,
		    error_code, pos);
		return;
	}
	h = xcalloc(1, sizeof(*h));
	h->info = *info;
	snprintf(h->action, sizeof(h->action), "%s", action);
	h->ts_us = ts_us;
	h->duration_us = duration_us;
	if (error_code != NULL) {
		snprintf(h->error_code, sizeof(h->error_code), "%s",
		    error_code);
		h->has_error_code = 1;
	}
	hold_push(s, h, pos);
}

/* follow.c's callbacks: lines go to the format. */
static int
log_line(void *arg, const char *line, size_t n, uint64_t end,
    uint64_t lineno)
{
	struct source_log *s = arg;

	(void)lineno;
	s->fmt->line(s->dec, line, n, end);
	return 0;	/* a format cannot take a line back: never retried */
}

static void
log_too_long(void *arg, uint64_t lineno)
{
	(void)lineno;
	log_bad(arg, "line over the 1 MB limit");
}

static void
log_flush(void *arg)
{
	struct source_log *s = arg;

	s->fmt->flush(s->dec);
}

static int
log_full(void *arg)
{
	struct source_log *s = arg;

	return s->sink.full(s->sink.arg);
}

/* arg: "FORMAT:PATH" */
struct source_log *
source_log_new(struct event_base *base, const char *arg,
    const struct agent_config *cfg, uint32_t src_id,
    const struct sink *sink, uint64_t resume, int follow, char *err,
    size_t errlen)
{
	const struct dblog_format *fmt;
	struct source_log *s;
	struct dblog_out out;
	struct follow_cb cb;
	const char *colon = strchr(arg, ':');
	char name[32];

	if (colon == NULL || colon == arg || colon[1] == '\0' ||
	    (size_t)(colon - arg) >= sizeof(name)) {
		snprintf(err, errlen, "source log: expected log:FORMAT:PATH "
		    "(FORMAT pgaudit, pgcsv, pgjson, mysql-slow or "
		    "mariadb-audit)");
		return NULL;
	}
	memcpy(name, arg, (size_t)(colon - arg));
	name[colon - arg] = '\0';
	if ((fmt = dblog_lookup(name)) == NULL) {
		snprintf(err, errlen, "source log: unknown format \"%s\" "
		    "(pgaudit, pgcsv, pgjson, mysql-slow, mariadb-audit)",
		    name);
		return NULL;
	}
	if (cfg->log_line_prefix != NULL &&
	    strlen(cfg->log_line_prefix) > PGLOG_PREFIX_MAX) {
		snprintf(err, errlen, "log-line-prefix: over 256 bytes");
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->cfg = cfg;
	s->fmt = fmt;
	s->sink = *sink;
	s->src_id = src_id;
	s->path = xstrdup(colon + 1);
	s->follow = follow;
	TAILQ_INIT(&s->held);
	if ((s->hold_ev = evtimer_new(base, hold_cb, s)) == NULL)
		fatalx("evtimer_new");
	out.query = log_query;
	out.session = log_session;
	out.bad = log_bad;
	out.fill = log_fill;
	out.note = log_note;
	out.arg = s;
	if (strcmp(fmt->db_system, "postgresql") == 0)
		statfill_enable(fmt->db_system);
	s->dec = fmt->new(cfg, &out);
	s->agg = agg_new(cfg, 0, log_agg_emit, s);
	if (s->agg != NULL && follow) {
		struct timeval tv = { LOG_TICK_MS / 1000,
		    (LOG_TICK_MS % 1000) * 1000 };

		if ((s->tick = event_new(base, -1, EV_PERSIST, log_tick_cb,
		    s)) == NULL)
			fatalx("event_new");
		event_add(s->tick, &tv);
	}
	cb.line = log_line;
	cb.bad = log_too_long;
	cb.flush = log_flush;
	cb.full = log_full;
	cb.arg = s;
	if ((s->f = follow_new(base, s->path, resume, follow,
	    DBLOG_RECORD_MAX, &cb, err, errlen)) == NULL) {
		source_log_free(s);
		return NULL;
	}
	return s;
}

int
source_log_done(const struct source_log *s)
{
	return follow_done(s->f) && TAILQ_EMPTY(&s->held);
}

void
source_log_stats(const struct source_log *s, struct source_stats *st)
{
	struct agg_stats as;

	*st = s->st;
	agg_stats(s->agg, &as);
	st->agg_evicted = as.evicted;
}

void
source_log_free(struct source_log *s)
{
	if (s == NULL)
		return;
	ev_free(s->tick);
	follow_free(s->f);
	if (s->dec != NULL)
		s->fmt->free(s->dec);
	/* The end of the agent: what is held is judged now. */
	hold_release(s, 1);
	ev_free(s->hold_ev);
	/* End of file or of the agent: what is folded goes out now. */
	agg_free(s->agg);
	free(s->path);
	free(s);
}
