/*
 * The collector's SQLite store: one writer connection, WAL, statements
 * prepared once, events batched into transactions. It also owns the
 * per-(agent, instance) stream cursors that make delivery exactly-once:
 * an event is inserted only if its seq is above the stream's cursor, and
 * the cursor row is updated in the same transaction as the events, so a
 * crash can never keep one without the other. Acks are sent only for
 * committed cursors (stream_committed()). docs/schema.md is the schema's
 * documentation; SCHEMA_VERSION and the migration list below are its code.
 */
#include <sys/stat.h>
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "collector.h"
#include "leakwatch/event.h"
#include "leakwatch/log.h"
#include "leakwatch/proto.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define ANALYSTS_GROUP	"leakwatch-analysts"
#define SCHEMA_VERSION	1

static const char *const schema_v1 =
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY,"
	" type TEXT NOT NULL,"
	" ts INTEGER NOT NULL,"
	" recv_ts INTEGER NOT NULL,"
	" agent TEXT NOT NULL,"
	" instance TEXT NOT NULL,"
	" seq INTEGER NOT NULL,"
	" json TEXT NOT NULL);"
	"CREATE INDEX events_ts ON events(ts);"
	"CREATE TABLE streams ("
	" agent TEXT NOT NULL,"
	" instance TEXT NOT NULL,"
	" last_seq INTEGER NOT NULL,"
	" PRIMARY KEY (agent, instance)) WITHOUT ROWID;"
	"CREATE TABLE agents ("
	" agent TEXT PRIMARY KEY,"
	" instance TEXT,"
	" addr TEXT,"
	" connected INTEGER NOT NULL DEFAULT 0,"
	" first_seen INTEGER NOT NULL,"
	" last_seen INTEGER NOT NULL,"
	" version TEXT,"
	" clock_skew_ms INTEGER,"
	" status TEXT);"
	"CREATE TABLE gaps ("
	" id INTEGER PRIMARY KEY,"
	" agent TEXT NOT NULL,"
	" instance TEXT NOT NULL,"
	" first_seq INTEGER NOT NULL,"
	" last_seq INTEGER NOT NULL,"
	" ts INTEGER NOT NULL);";

enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_INSERT,
	ST_STREAM_GET,
	ST_STREAM_PUT,
	ST_GAP,
	ST_AGENT_SEEN,
	ST_AGENT_TOUCH,
	ST_AGENT_STATUS,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN",
	[ST_COMMIT] = "COMMIT",
	[ST_INSERT] = "INSERT INTO events (type, ts, recv_ts, agent, "
	    "instance, seq, json) VALUES (?, ?, ?, ?, ?, ?, ?)",
	[ST_STREAM_GET] = "SELECT last_seq FROM streams WHERE agent = ? AND "
	    "instance = ?",
	[ST_STREAM_PUT] = "INSERT INTO streams (agent, instance, last_seq) "
	    "VALUES (?, ?, ?) ON CONFLICT (agent, instance) DO UPDATE SET "
	    "last_seq = excluded.last_seq",
	[ST_GAP] = "INSERT INTO gaps (agent, instance, first_seq, last_seq, "
	    "ts) VALUES (?, ?, ?, ?, ?)",
	[ST_AGENT_SEEN] = "INSERT INTO agents (agent, instance, addr, "
	    "connected, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?5) "
	    "ON CONFLICT (agent) DO UPDATE SET instance = excluded.instance, "
	    "addr = excluded.addr, connected = excluded.connected, "
	    "last_seen = excluded.last_seen",
	[ST_AGENT_TOUCH] = "UPDATE agents SET last_seen = ? WHERE agent = ?",
	[ST_AGENT_STATUS] = "UPDATE agents SET last_seen = ?, version = ?, "
	    "clock_skew_ms = ?, status = ? WHERE agent = ?",
};

/*
 * One agent instance's delivery cursor. Invariant: committed <= last;
 * last covers events inserted in the open transaction, committed only
 * what COMMIT made durable.
 */
struct stream {
	struct stream	*next;
	char		 agent[PROTO_MAX_NAME + 1];
	char		 instance[PROTO_INSTANCE_LEN + 1];
	uint64_t	 last;
	uint64_t	 committed;
	int		 dirty;
};

/*
 * WAL checkpoints run on a thread of their own, with their own connection
 * that does nothing else. Inline, SQLite's autocheckpoint made every
 * thousandth commit wait for the copy of the WAL into the database and
 * for its fsyncs; on a second core the writer goes on meanwhile. The
 * writer still commits (and so acks) exactly as before: a checkpoint only
 * moves committed pages from the WAL to the database file. The writer's
 * commit hook asks for a pass once the WAL holds CKPT_FRAMES pages (the
 * autocheckpoint's own default), and checkpoints inline past CKPT_HARD, so
 * the WAL stays bounded if the thread ever falls behind.
 */
#define CKPT_FRAMES	1000
#define CKPT_HARD	65536

struct ckpt {
	pthread_t	 thread;
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cv;
	sqlite3		*db;
	int		 wanted;
	int		 stop;
	int		 running;
};

/*
 * Whose turn it is to write. The scorer thread (scorer.c) writes the same
 * database through a connection of its own. SQLite would make the two
 * writers poll for its lock, and the ingest writer, which begins its next
 * batch a moment after each commit, would starve the other; a ticket lock
 * hands the database out in the order it was asked for. Re-entrant for
 * the thread that holds it.
 */
struct turn {
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cv;
	uint64_t	 next;		/* tickets handed out */
	uint64_t	 serving;	/* the ticket that may write */
	pthread_t	 owner;
	int		 depth;
};

struct store {
	sqlite3		*db;
	sqlite3_stmt	*st[ST_COUNT];
	struct ckpt	 ckpt;
	struct turn	 turn;
	struct stream	*streams;
	int		 in_txn;
	uint64_t	 pending;
	uint64_t	 events;
	uint64_t	 commits;
};

static int
fail(struct store *s, const char *what)
{
	log_warnx("store: %s: %s", what, sqlite3_errmsg(s->db));
	return -1;
}

static int
exec(struct store *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_warnx("store: %s", msg ? msg : "exec failed");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
migrate(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int version = -1;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st,
	    NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version == SCHEMA_VERSION)
		return 0;
	if (version > SCHEMA_VERSION) {
		snprintf(err, errlen, "database schema version %d is newer "
		    "than this collector (%d)", version, SCHEMA_VERSION);
		return -1;
	}
	if (version != 0) {
		snprintf(err, errlen, "database schema version %d has no "
		    "migration path", version);
		return -1;
	}
	if (exec(s, "BEGIN") != 0 || exec(s, schema_v1) != 0 ||
	    exec(s, "PRAGMA user_version = 1") != 0 || exec(s, "COMMIT") != 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "creating schema: %s", sqlite3_errmsg(s->db));
	return -1;
}

static void *
ckpt_main(void *arg)
{
	struct ckpt *c = arg;

	pthread_setname_np(pthread_self(), "lw-checkpoint");
	pthread_mutex_lock(&c->mtx);
	for (;;) {
		while (!c->wanted && !c->stop)
			pthread_cond_wait(&c->cv, &c->mtx);
		if (c->stop)
			break;
		c->wanted = 0;
		pthread_mutex_unlock(&c->mtx);
		/* BUSY (another checkpoint runs) is fine: it does the work. */
		sqlite3_wal_checkpoint_v2(c->db, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&c->mtx);
	}
	pthread_mutex_unlock(&c->mtx);
	return NULL;
}

/* Called by SQLite on the writer's thread after each commit. */
static int
wal_hook_cb(void *arg, sqlite3 *db, const char *name, int nframes)
{
	struct ckpt *c = arg;

	if (nframes >= CKPT_HARD)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE,
		    NULL, NULL);
	else if (nframes >= CKPT_FRAMES) {
		pthread_mutex_lock(&c->mtx);
		c->wanted = 1;
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mtx);
	}
	return SQLITE_OK;
}

/*
 * Starts the checkpoint thread; on any failure the writer keeps SQLite's
 * inline autocheckpoint, which is slower but just as correct.
 */
static void
ckpt_start(struct store *s, const char *path, const char *pragmas)
{
	struct ckpt *c = &s->ckpt;

	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_exec(c->db, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
		log_warnx("store: no checkpoint connection: %s", c->db ?
		    sqlite3_errmsg(c->db) : "cannot open");
		goto fail;
	}
	/* Its own commits (none) must not start checkpoints of their own. */
	sqlite3_wal_autocheckpoint(c->db, 0);
	pthread_mutex_init(&c->mtx, NULL);
	pthread_cond_init(&c->cv, NULL);
	if ((errno = pthread_create(&c->thread, NULL, ckpt_main, c)) != 0) {
		log_warn("store: checkpoint thread");
		pthread_cond_destroy(&c->cv);
		pthread_mutex_destroy(&c->mtx);
		goto fail;
	}
	c->running = 1;
	sqlite3_wal_hook(s->db, wal_hook_cb, c);
	return;
fail:
	sqlite3_close(c->db);
	c->db = NULL;
}

static void
ckpt_stop(struct ckpt *c)
{
	if (c->running) {
		pthread_mutex_lock(&c->mtx);
		c->stop = 1;
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mtx);
		pthread_join(c->thread, NULL);
		pthread_cond_destroy(&c->cv);
		pthread_mutex_destroy(&c->mtx);
		c->running = 0;
	}
	sqlite3_close(c->db);
	c->db = NULL;
}

/*
 * Creates the file ourselves before SQLite opens it: mode 0640 and, when
 * the group exists, group leakwatch-analysts, so analysts read it (the
 * TUI) and nobody else does. SQLite would create it 0644 (less the
 * umask); its -wal and -shm files copy the database file's mode, and
 * db_sidecars_chgrp() gives them the group.
 */
static int
db_file_create(const char *path, char *err, size_t errlen)
{
	struct group *gr;
	int fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* The collector runs with umask 077: set the mode explicitly. */
	if ((gr = getgrnam(ANALYSTS_GROUP)) != NULL &&
	    fchown(fd, (uid_t)-1, gr->gr_gid) != 0)
		log_warn("%s: chgrp %s", path, ANALYSTS_GROUP);
	if (fchmod(fd, 0640) != 0) {
		snprintf(err, errlen, "%s: chmod: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * SQLite creates -wal and -shm with the database's mode but the process's
 * group; give them the analysts' group as well, once they exist (after
 * WAL is on), so a reader in that group can open the database.
 */
static void
db_sidecars_chgrp(const char *path)
{
	static const char *const suffix[] = { "-wal", "-shm" };
	struct group *gr = getgrnam(ANALYSTS_GROUP);
	char p[4096];
	size_t i;

	if (gr == NULL)
		return;
	for (i = 0; i < 2; i++) {
		if (snprintf(p, sizeof(p), "%s%s", path, suffix[i]) >=
		    (int)sizeof(p))
			return;
		if (chown(p, (uid_t)-1, gr->gr_gid) != 0 && errno != ENOENT)
			log_warn("%s: chgrp %s", p, ANALYSTS_GROUP);
	}
}

struct store *
store_open(const char *path, int sync_full, char *err, size_t errlen)
{
	struct store *s;
	int i;
	char pragmas[256];

	if (db_file_create(path, err, errlen) != 0)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->turn.mtx, NULL);
	pthread_cond_init(&s->turn.cv, NULL);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, s->db ?
		    sqlite3_errmsg(s->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);
	snprintf(pragmas, sizeof(pragmas), "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = %s;", sync_full ? "FULL" : "NORMAL");
	if (exec(s, pragmas) != 0) {
		snprintf(err, errlen, "%s: cannot enable WAL: %s", path,
		    sqlite3_errmsg(s->db));
		goto fail;
	}
	if (migrate(s, err, errlen) != 0)
		goto fail;
	db_sidecars_chgrp(path);
	for (i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) != SQLITE_OK) {
			snprintf(err, errlen, "%s: preparing statement %d: %s",
			    path, i, sqlite3_errmsg(s->db));
			goto fail;
		}
	}
	ckpt_start(s, path, pragmas);
	return s;
fail:
	store_close(s);
	return NULL;
}

void
store_close(struct store *s)
{
	struct stream *st, *next;
	int i;

	if (s == NULL)
		return;
	if (s->in_txn && s->db != NULL)
		store_commit(s);
	if (s->in_txn)
		store_writer_leave(s);
	ckpt_stop(&s->ckpt);
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	for (st = s->streams; st != NULL; st = next) {
		next = st->next;
		free(st);
	}
	sqlite3_close(s->db);
	pthread_cond_destroy(&s->turn.cv);
	pthread_mutex_destroy(&s->turn.mtx);
	free(s);
}

void
store_writer_enter(struct store *s)
{
	struct turn *t = &s->turn;
	uint64_t me;

	pthread_mutex_lock(&t->mtx);
	if (t->depth > 0 && pthread_equal(t->owner, pthread_self())) {
		t->depth++;
		pthread_mutex_unlock(&t->mtx);
		return;
	}
	me = t->next++;
	while (me != t->serving)
		pthread_cond_wait(&t->cv, &t->mtx);
	t->owner = pthread_self();
	t->depth = 1;
	pthread_mutex_unlock(&t->mtx);
}

void
store_writer_leave(struct store *s)
{
	struct turn *t = &s->turn;

	pthread_mutex_lock(&t->mtx);
	if (t->depth > 0 && --t->depth == 0) {
		t->serving++;
		pthread_cond_broadcast(&t->cv);
	}
	pthread_mutex_unlock(&t->mtx);
}

static int
begin(struct store *s)
{
	sqlite3_stmt *st = s->st[ST_BEGIN];

	if (s->in_txn)
		return 0;
	store_writer_enter(s);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		store_writer_leave(s);
		return fail(s, "begin");
	}
	sqlite3_reset(st);
	s->in_txn = 1;
	return 0;
}

/*
 * Finds or loads the cursor of (agent, instance). Streams live as long as
 * the store: there is one per agent instance ever seen since start, a
 * handful per agent, so the list stays short.
 */
struct stream *
store_stream(struct store *s, const char *agent, const char *instance)
{
	struct stream *st;
	sqlite3_stmt *q = s->st[ST_STREAM_GET];

	for (st = s->streams; st != NULL; st = st->next)
		if (strcmp(st->agent, agent) == 0 &&
		    strcmp(st->instance, instance) == 0)
			return st;
	st = xcalloc(1, sizeof(*st));
	snprintf(st->agent, sizeof(st->agent), "%s", agent);
	snprintf(st->instance, sizeof(st->instance), "%s", instance);
	sqlite3_bind_text(q, 1, agent, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, instance, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW)
		st->last = st->committed =
		    (uint64_t)sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	st->next = s->streams;
	s->streams = st;
	return st;
}

uint64_t
stream_last(const struct stream *st)
{
	return st->last;
}

uint64_t
stream_committed(const struct stream *st)
{
	return st->committed;
}

/*
 * Inserts one validated event and advances the cursor. The caller has
 * checked seq > stream_last(); the event's own `agent` is already the
 * authenticated name. json, when not NULL, is the text ev was parsed from
 * (stored as is, saving an encode); otherwise ev is encoded here.
 */
int
store_event(struct store *s, struct stream *st, uint64_t seq,
    const struct lw_event *ev, const char *raw, size_t rawlen,
    int64_t recv_us)
{
	sqlite3_stmt *q = s->st[ST_INSERT];
	char *json;
	size_t len;
	int rc;

	if (begin(s) != 0)
		return -1;
	/*
	 * The sent bytes are bound in place (SQLITE_STATIC): they outlive
	 * the step below, and the bindings are cleared before returning.
	 */
	json = NULL;
	if (raw == NULL && (json = lw_event_encode(ev, &len)) == NULL)
		return -1;
	sqlite3_bind_text(q, 1, lw_event_type_name(ev->type), -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, ev->ts_us);
	sqlite3_bind_int64(q, 3, recv_us);
	sqlite3_bind_text(q, 4, st->agent, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, st->instance, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 6, (sqlite3_int64)seq);
	if (json != NULL)
		sqlite3_bind_text(q, 7, json, (int)len, free);
	else
		sqlite3_bind_text(q, 7, raw, (int)rawlen, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (rc != SQLITE_DONE)
		return fail(s, "insert event");
	st->last = seq;
	st->dirty = 1;
	s->pending++;
	s->events++;
	return 0;
}

/* Advances the cursor over an event that was refused, so it is acked. */
int
store_skip(struct store *s, struct stream *st, uint64_t seq)
{
	if (begin(s) != 0)
		return -1;
	if (seq > st->last) {
		st->last = seq;
		st->dirty = 1;
	}
	return 0;
}

int
store_gap(struct store *s, struct stream *st, uint64_t first, uint64_t last,
    int64_t now)
{
	sqlite3_stmt *q = s->st[ST_GAP];
	int rc;

	if (begin(s) != 0)
		return -1;
	sqlite3_bind_text(q, 1, st->agent, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, st->instance, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)first);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)last);
	sqlite3_bind_int64(q, 5, now);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return fail(s, "insert gap");
	if (last > st->last) {
		st->last = last;
		st->dirty = 1;
	}
	return 0;
}

int
store_agent_seen(struct store *s, const char *agent, const char *instance,
    const char *addr, int connected, int64_t now)
{
	sqlite3_stmt *q = s->st[ST_AGENT_SEEN];
	int rc;

	if (begin(s) != 0)
		return -1;
	sqlite3_bind_text(q, 1, agent, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, instance, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, addr, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 4, connected);
	sqlite3_bind_int64(q, 5, now);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return fail(s, "update agent");
	return 0;
}

int
store_agent_status(struct store *s, const char *agent,
    const struct lw_event *ev, int64_t skew_ms, int64_t now)
{
	sqlite3_stmt *q = s->st[ST_AGENT_STATUS];
	json_t *v = json_object_get(ev->obj, "version");
	char *json;
	size_t len;
	int rc;

	if (begin(s) != 0)
		return -1;
	if ((json = lw_event_encode(ev, &len)) == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, now);
	sqlite3_bind_text(q, 2, json_string_value(v), -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 3, skew_ms);
	sqlite3_bind_text(q, 4, json, (int)len, free);
	sqlite3_bind_text(q, 5, agent, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (rc != SQLITE_DONE)
		return fail(s, "agent status");
	return 0;
}

/*
 * Writes the dirty cursors and commits. Only after this returns 0 may the
 * server ack: stream->committed moves here and nowhere else.
 */
int
store_commit(struct store *s)
{
	struct stream *st;
	sqlite3_stmt *q = s->st[ST_STREAM_PUT], *t = s->st[ST_AGENT_TOUCH];
	int64_t now = now_us();
	int rc;

	if (!s->in_txn)
		return 0;
	for (st = s->streams; st != NULL; st = st->next) {
		if (!st->dirty)
			continue;
		sqlite3_bind_text(q, 1, st->agent, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, st->instance, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, (sqlite3_int64)st->last);
		rc = sqlite3_step(q);
		sqlite3_reset(q);
		if (rc != SQLITE_DONE)
			return fail(s, "update stream");
		sqlite3_bind_int64(t, 1, now);
		sqlite3_bind_text(t, 2, st->agent, -1, SQLITE_STATIC);
		rc = sqlite3_step(t);
		sqlite3_reset(t);
		if (rc != SQLITE_DONE)
			return fail(s, "touch agent");
	}
	rc = sqlite3_step(s->st[ST_COMMIT]);
	sqlite3_reset(s->st[ST_COMMIT]);
	if (rc != SQLITE_DONE)
		return fail(s, "commit");
	s->in_txn = 0;
	store_writer_leave(s);
	s->pending = 0;
	s->commits++;
	for (st = s->streams; st != NULL; st = st->next) {
		st->committed = st->last;
		st->dirty = 0;
	}
	return 0;
}

uint64_t
store_pending(const struct store *s)
{
	return s->in_txn ? s->pending + 1 : 0;
}

void
store_stats(const struct store *s, struct store_stats *out)
{
	out->events = s->events;
	out->commits = s->commits;
	out->pending = s->pending;
}

/*
 * The writer connection, for the analytics' own tables (analytics.c
 * creates them; their writes join the open transaction).
 */
struct sqlite3 *
store_db(struct store *s)
{
	return s->db;
}
