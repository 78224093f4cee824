/*
 * The collector's SQLite store: one writer connection, WAL, statements
 * prepared once, events batched into transactions. It also owns the
 * per-(agent, instance) stream cursors that make delivery exactly-once:
 * an event is inserted only if its seq is above the stream's cursor, and
 * the cursor row is updated in the same transaction as the events, so a
 * crash can never keep one without the other. Acks are sent only for
 * committed cursors (stream_committed()). Live, the writes themselves run
 * on a writer thread (store_async(), below); --replay and the tests write
 * inline. The tables themselves are schema.c's: store_open() has it bring
 * the database to its version before anything else touches the file.
 */
#include <sys/stat.h>
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "collector.h"
#include "schema.h"
#include "leakwatch/event.h"
#include "leakwatch/log.h"
#include "leakwatch/proto.h"
#include "leakwatch/thread.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define ANALYSTS_GROUP	"leakwatch-analysts"

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
	struct worker	 w;		/* w.mu guards wanted */
	sqlite3		*db;
	int		 wanted;
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

/*
 * Live ingest (store_async()): SQLite's inserts and COMMITs run on a
 * writer thread of their own, so TLS, framing and validation of the next
 * batch (the event thread) overlap the SQLite work of the one before on a
 * second core. The event thread queues what it would have written - the
 * same statements, bytes and order - into the open batch, and
 * store_commit() hands that batch over, first waiting while the writer is
 * still busy with the previous one: two batches at most, and a slow disk
 * slows the reading of sockets instead of growing memory. The writer runs
 * BEGIN, the queued writes, the cursor updates and COMMIT, in its turn
 * (struct turn). stream->committed still moves on the event thread only,
 * when it reaps a written batch, so acks stay behind the COMMIT.
 */
enum op_kind {
	OP_EVENT,
	OP_GAP,
	OP_SEEN,
	OP_STATUS
};

#define NOSTR		SIZE_MAX	/* a NULL string in an op */
#define RETRY_SEC	1		/* after a failed batch */

/* One queued write; its strings are copies in the batch's buf. */
struct op {
	enum op_kind	 kind;
	struct stream	*st;
	uint64_t	 a, b;		/* seq; or a gap's first and last */
	int64_t		 t1, t2;	/* ts, recv_ts; now; skew, now */
	int		 n;		/* event type; connected */
	size_t		 off[3];
	size_t		 len[3];
};

struct cursor {
	struct stream	*st;
	uint64_t	 last;
};

struct batch {
	struct op	*ops;
	size_t		 nops, opscap;
	char		*buf;
	size_t		 len, cap;
	struct cursor	*cur;
	size_t		 ncur, curcap;
	uint64_t	 size;		/* store_pending() when it closed */
	uint64_t	 events;	/* of them, events */
	char		 err[160];	/* why the last try failed */
	int		 ok;
};

struct writer {
	pthread_t	 thread;
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cv;
	struct batch	 b[2];
	struct batch	*open;		/* filling, the event thread's */
	struct batch	*todo;		/* handed over: the writer is busy */
	struct batch	*done;		/* written, not yet reaped */
	int		 pipe[2];	/* a byte per batch written */
	int		 stop;
	int		 failed;	/* a batch was given up: write no more */
	char		 err[160];	/* the writer's last failure */
};

struct store {
	sqlite3		*db;
	sqlite3_stmt	*st[ST_COUNT];
	struct ckpt	 ckpt;
	struct turn	 turn;
	struct writer	*w;		/* NULL: writes run inline */
	struct stream	*streams;
	int		 in_txn;	/* or a batch is open */
	uint64_t	 pending;
	uint64_t	 events;
	uint64_t	 commits;
	uint64_t	 reaped;	/* commits store_reap() has to tell */
	uint64_t	 reaped_size;
	/* Batches given up (reaped not ok): never stored, never acked. */
	uint64_t	 lost_batches;
	uint64_t	 lost_events;
	char		 lost_err[160];
	/*
	 * Shutdown. Past deadline (when has_deadline), writer_idle() gives
	 * the writer's batches up; store_drain() sets it, and so does the
	 * first wait that finds quit set by store_quit() (a signal handler).
	 */
	long long	 shutdown_ms;
	atomic_int	 quit;
	int		 has_deadline;
	struct timespec	 deadline;
};

static int	writer_stop(struct store *);

static int
fail(struct store *s, const char *what)
{
	log_warnx("store: %s: %s", what, sqlite3_errmsg(s->db));
	/* Only the thread that runs the writes: the writer's own. */
	if (s->w != NULL)
		snprintf(s->w->err, sizeof(s->w->err), "%s: %s", what,
		    sqlite3_errmsg(s->db));
	return -1;
}

/* Runs a prepared write and makes it ready for the next: 0 or fail(). */
static int
step_done(struct store *s, sqlite3_stmt *q, const char *what)
{
	int rc = sqlite3_step(q);

	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return rc == SQLITE_DONE ? 0 : fail(s, what);
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

static void *
ckpt_main(void *arg)
{
	struct ckpt *c = arg;

	pthread_setname_np(pthread_self(), "lw-checkpoint");
	pthread_mutex_lock(&c->w.mu);
	for (;;) {
		while (!c->wanted && !c->w.stop)
			pthread_cond_wait(&c->w.cv, &c->w.mu);
		if (c->w.stop)
			break;
		c->wanted = 0;
		pthread_mutex_unlock(&c->w.mu);
		/* BUSY (another checkpoint runs) is fine: it does the work. */
		sqlite3_wal_checkpoint_v2(c->db, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&c->w.mu);
	}
	pthread_mutex_unlock(&c->w.mu);
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
		pthread_mutex_lock(&c->w.mu);
		c->wanted = 1;
		pthread_cond_signal(&c->w.cv);
		pthread_mutex_unlock(&c->w.mu);
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
	    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK ||
	    sqlite3_exec(c->db, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
		log_warnx("store: no checkpoint connection: %s", c->db ?
		    sqlite3_errmsg(c->db) : "cannot open");
		goto fail;
	}
	/* Its own commits (none) must not start checkpoints of their own. */
	sqlite3_wal_autocheckpoint(c->db, 0);
	if ((errno = worker_start(&c->w, ckpt_main, c)) != 0) {
		log_warn("store: checkpoint thread");
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
		worker_stop(&c->w);
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

	/* A symlink planted at the path would have its target chmod'ed. */
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0640)) == -1) {
		snprintf(err, errlen, "%s: %s", path, errno == ELOOP ?
		    "is a symbolic link; give the database's real path" :
		    strerror(errno));
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
	s->shutdown_ms = 5000;
	atomic_init(&s->quit, 0);
	pthread_mutex_init(&s->turn.mtx, NULL);
	pthread_cond_init(&s->turn.cv, NULL);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
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
	if (schema_migrate(s->db, err, errlen) != 0)
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
	writer_stop(s);
	if (s->in_txn && s->db != NULL)
		store_commit(s);
	if (s->in_txn)
		store_writer_leave(s);
	/* Only a writer told to stop or to give up loses batches. */
	if (s->lost_batches > 0)
		log_warnx("store: gave up at shutdown (shutdown-timeout %lld "
		    "ms): %llu events in %llu batch(es) not stored, last "
		    "error: %s; they were never acked, so the agents will "
		    "send them again", s->shutdown_ms,
		    (unsigned long long)s->lost_events,
		    (unsigned long long)s->lost_batches,
		    s->lost_err[0] != '\0' ? s->lost_err :
		    "an earlier batch failed");
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

/* Takes the turn and begins a transaction; keeps the turn on success. */
static int
sql_begin(struct store *s)
{
	store_writer_enter(s);
	if (step_done(s, s->st[ST_BEGIN], "begin") != 0) {
		store_writer_leave(s);
		return -1;
	}
	return 0;
}

/* Commits and gives the turn back; on failure the transaction stays. */
static int
sql_commit(struct store *s)
{
	if (step_done(s, s->st[ST_COMMIT], "commit") != 0)
		return -1;
	store_writer_leave(s);
	return 0;
}

/* Opens the transaction inline, or only the batch with a writer. */
static int
begin(struct store *s)
{
	if (s->in_txn)
		return 0;
	if (s->w == NULL && sql_begin(s) != 0)
		return -1;
	s->in_txn = 1;
	return 0;
}

static int
sql_event(struct store *s, const struct stream *st, uint64_t seq, int type,
    int64_t ts, int64_t recv_us, const char *json, size_t len)
{
	sqlite3_stmt *q = s->st[ST_INSERT];

	/*
	 * The bytes are bound in place (SQLITE_STATIC): they outlive the
	 * step below, and the bindings are cleared before returning.
	 */
	sqlite3_bind_text(q, 1, lw_event_type_name(type), -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, ts);
	sqlite3_bind_int64(q, 3, recv_us);
	sqlite3_bind_text(q, 4, st->agent, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, st->instance, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 6, (sqlite3_int64)seq);
	sqlite3_bind_text(q, 7, json, (int)len, SQLITE_STATIC);
	return step_done(s, q, "insert event");
}

static int
sql_gap(struct store *s, const struct stream *st, uint64_t first,
    uint64_t last, int64_t now)
{
	sqlite3_stmt *q = s->st[ST_GAP];

	sqlite3_bind_text(q, 1, st->agent, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, st->instance, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)first);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)last);
	sqlite3_bind_int64(q, 5, now);
	return step_done(s, q, "insert gap");
}

static int
sql_seen(struct store *s, const char *agent, const char *instance,
    const char *addr, int connected, int64_t now)
{
	sqlite3_stmt *q = s->st[ST_AGENT_SEEN];

	sqlite3_bind_text(q, 1, agent, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, instance, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, addr, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 4, connected);
	sqlite3_bind_int64(q, 5, now);
	return step_done(s, q, "update agent");
}

static int
sql_status(struct store *s, const char *agent, const char *version,
    const char *json, size_t len, int64_t skew_ms, int64_t now)
{
	sqlite3_stmt *q = s->st[ST_AGENT_STATUS];

	sqlite3_bind_int64(q, 1, now);
	sqlite3_bind_text(q, 2, version, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, skew_ms);
	sqlite3_bind_text(q, 4, json, (int)len, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, agent, -1, SQLITE_STATIC);
	return step_done(s, q, "agent status");
}

/* A stream's cursor row, and its agent's last_seen, in the transaction. */
static int
sql_cursor(struct store *s, const struct stream *st, uint64_t last,
    int64_t now)
{
	sqlite3_stmt *q = s->st[ST_STREAM_PUT], *t = s->st[ST_AGENT_TOUCH];

	sqlite3_bind_text(q, 1, st->agent, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, st->instance, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)last);
	if (step_done(s, q, "update stream") != 0)
		return -1;
	sqlite3_bind_int64(t, 1, now);
	sqlite3_bind_text(t, 2, st->agent, -1, SQLITE_STATIC);
	return step_done(s, t, "touch agent");
}

/* Copies a string into the batch; NOSTR stands for NULL. */
static size_t
batch_str(struct batch *b, const char *p, size_t len)
{
	size_t off = b->len;

	if (p == NULL)
		return NOSTR;
	if (b->cap - b->len < len + 1) {
		while (b->cap - b->len < len + 1)
			b->cap = b->cap == 0 ? 65536 : b->cap * 2;
		b->buf = xreallocarray(b->buf, b->cap, 1);
	}
	memcpy(b->buf + off, p, len);
	b->buf[off + len] = '\0';
	b->len += len + 1;
	return off;
}

static const char *
op_str(const struct batch *b, const struct op *op, int i)
{
	return op->off[i] == NOSTR ? NULL : b->buf + op->off[i];
}

static struct op *
batch_op(struct batch *b, enum op_kind kind)
{
	struct op *op;

	if (b->nops == b->opscap) {
		b->opscap = b->opscap == 0 ? 1024 : b->opscap * 2;
		b->ops = xreallocarray(b->ops, b->opscap, sizeof(*b->ops));
	}
	op = &b->ops[b->nops++];
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	return op;
}

/* The same statement, with the same values, as inline: on the writer. */
static int
op_run(struct store *s, const struct batch *b, const struct op *op)
{
	switch (op->kind) {
	case OP_EVENT:
		return sql_event(s, op->st, op->a, op->n, op->t1, op->t2,
		    op_str(b, op, 0), op->len[0]);
	case OP_GAP:
		return sql_gap(s, op->st, op->a, op->b, op->t1);
	case OP_SEEN:
		return sql_seen(s, op_str(b, op, 0), op_str(b, op, 1),
		    op_str(b, op, 2), op->n, op->t1);
	case OP_STATUS:
		return sql_status(s, op_str(b, op, 0), op_str(b, op, 1),
		    op_str(b, op, 2), op->len[2], op->t1, op->t2);
	}
	return -1;
}

/*
 * One batch as one transaction. A failure rolls all of it back, cursors
 * included, so the database never holds part of a batch.
 */
static int
batch_write(struct store *s, const struct batch *b)
{
	int64_t now = now_us();
	size_t i;

	if (sql_begin(s) != 0)
		return -1;
	for (i = 0; i < b->nops; i++)
		if (op_run(s, b, &b->ops[i]) != 0)
			goto rollback;
	for (i = 0; i < b->ncur; i++)
		if (sql_cursor(s, b->cur[i].st, b->cur[i].last, now) != 0)
			goto rollback;
	if (sql_commit(s) != 0)
		goto rollback;
	return 0;
rollback:
	if (!sqlite3_get_autocommit(s->db))
		exec(s, "ROLLBACK");
	store_writer_leave(s);
	return -1;
}

/*
 * A failed batch is tried again every RETRY_SEC, as a failed inline
 * commit is retried at the next flush: nothing is acked meanwhile, and the
 * event thread waits at its next hand-over. The writer gives up only when
 * told to: by store_close() (stop), or by store_drain() once its bound has
 * passed (failed). The agents resend what was not acked. w->failed is
 * read and written under w->mtx only; the SQLite work runs without it.
 */
static void *
writer_main(void *arg)
{
	struct store *s = arg;
	struct writer *w = s->w;
	struct batch *b;
	struct timespec ts;
	int rc;

	pthread_setname_np(pthread_self(), "lw-writer");
	pthread_mutex_lock(&w->mtx);
	for (;;) {
		while (w->todo == NULL && !w->stop)
			pthread_cond_wait(&w->cv, &w->mtx);
		if ((b = w->todo) == NULL)
			break;
		b->err[0] = '\0';
		for (;;) {
			/* After a lost batch, later cursors would skip it. */
			if (w->failed) {
				rc = -1;
				break;
			}
			pthread_mutex_unlock(&w->mtx);
			rc = batch_write(s, b);
			pthread_mutex_lock(&w->mtx);
			if (rc == 0)
				break;
			snprintf(b->err, sizeof(b->err), "%s", w->err);
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += RETRY_SEC;
			if (!w->stop && !w->failed)
				pthread_cond_timedwait(&w->cv, &w->mtx, &ts);
			if (w->stop)
				w->failed = 1;
		}
		b->ok = rc == 0;
		w->todo = NULL;
		w->done = b;
		pthread_cond_broadcast(&w->cv);
		/* EAGAIN: bytes the event thread has yet to read wake it */
		(void)!write(w->pipe[1], "c", 1);
	}
	pthread_mutex_unlock(&w->mtx);
	return NULL;
}

/* On the event thread: a written batch's cursors become committed. */
static void
reap(struct store *s, struct batch *b)
{
	size_t i;

	if (b->ok) {
		for (i = 0; i < b->ncur; i++)
			if (b->cur[i].last > b->cur[i].st->committed)
				b->cur[i].st->committed = b->cur[i].last;
		s->commits++;
		s->reaped++;
		if (b->size > s->reaped_size)
			s->reaped_size = b->size;
	} else {
		/*
		 * Its cursors stay where they were: nothing of it is acked,
		 * and the agents send it again from their spools.
		 */
		log_warnx("store: a batch of %zu writes was not stored; "
		    "it was not acked", b->nops);
		s->lost_batches++;
		s->lost_events += b->events;
		if (b->err[0] != '\0')
			snprintf(s->lost_err, sizeof(s->lost_err), "%s",
			    b->err);
	}
	b->nops = b->len = b->ncur = 0;
	b->events = 0;
	b->ok = 0;
}

/* The bound on waiting for a failing writer starts now. */
static void
set_deadline(struct store *s)
{
	struct timespec *d = &s->deadline;

	clock_gettime(CLOCK_MONOTONIC, d);
	d->tv_sec += s->shutdown_ms / 1000;
	d->tv_nsec += (s->shutdown_ms % 1000) * 1000000;
	if (d->tv_nsec >= 1000000000) {
		d->tv_sec++;
		d->tv_nsec -= 1000000000;
	}
	s->has_deadline = 1;
}

/*
 * Waits while the writer is busy; reaps what it wrote. Unbounded while
 * the collector runs: a failing store holds the event thread here, so
 * the sockets are not read and the agents keep their data. Bounded at
 * shutdown (s->deadline): past it, the batch being tried and every later
 * one are given up (w->failed), an attempt still running in SQLite is
 * interrupted, and the writer hands the batch back not ok. A healthy
 * writer commits a batch in milliseconds, well within the bound, and one
 * that commits after it is still reaped as committed.
 *
 * A signal handler cannot wake a condition variable, so while no bound
 * applies the wait wakes every QUIT_POLL_MS to look at s->quit
 * (store_quit()): a SIGTERM that arrives while this thread waits on a
 * failing writer starts the bound here, instead of waiting for a loop the
 * thread would never get back to.
 */
#define QUIT_POLL_MS	200

static void
writer_idle(struct store *s)
{
	struct writer *w = s->w;
	struct batch *b;
	struct timespec ts;

	pthread_mutex_lock(&w->mtx);
	while (w->todo != NULL) {
		if (w->failed) {
			pthread_cond_wait(&w->cv, &w->mtx);
			continue;
		}
		if (!s->has_deadline && atomic_load(&s->quit))
			set_deadline(s);
		if (!s->has_deadline) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_nsec += QUIT_POLL_MS * 1000000L;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&w->cv, &w->mtx, &ts);
		} else if (pthread_cond_timedwait(&w->cv, &w->mtx,
		    &s->deadline) == ETIMEDOUT && w->todo != NULL) {
			w->failed = 1;
			pthread_cond_broadcast(&w->cv);
			/* Thread-safe; only the writer closes s->db, later. */
			sqlite3_interrupt(s->db);
		}
	}
	b = w->done;
	w->done = NULL;
	pthread_mutex_unlock(&w->mtx);
	if (b != NULL)
		reap(s, b);
}

/*
 * Closes the open batch: the cursors it moved go with it, and the writer
 * gets it once it is done with the one before.
 */
static void
handoff(struct store *s)
{
	struct writer *w = s->w;
	struct batch *b = w->open;
	struct stream *st;

	b->size = store_pending(s);
	b->events = s->pending;
	for (st = s->streams; st != NULL; st = st->next) {
		if (!st->dirty)
			continue;
		if (b->ncur == b->curcap) {
			b->curcap = b->curcap == 0 ? 16 : b->curcap * 2;
			b->cur = xreallocarray(b->cur, b->curcap,
			    sizeof(*b->cur));
		}
		b->cur[b->ncur].st = st;
		b->cur[b->ncur++].last = st->last;
		st->dirty = 0;
	}
	writer_idle(s);
	pthread_mutex_lock(&w->mtx);
	w->todo = b;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mtx);
	w->open = b == &w->b[0] ? &w->b[1] : &w->b[0];
	s->in_txn = 0;
	s->pending = 0;
}

int
store_async(struct store *s, char *err, size_t errlen)
{
	pthread_condattr_t ca;
	struct writer *w;

	if (s->w != NULL)
		return s->w->pipe[0];
	if (s->in_txn && store_commit(s) != 0) {
		snprintf(err, errlen, "store: cannot commit");
		return -1;
	}
	w = xcalloc(1, sizeof(*w));
	if (pipe2(w->pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		free(w);
		return -1;
	}
	pthread_mutex_init(&w->mtx, NULL);
	/* Its timed waits measure intervals: immune to clock steps. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	w->open = &w->b[0];
	s->w = w;
	if ((errno = thread_start(&w->thread, writer_main, s)) != 0) {
		snprintf(err, errlen, "writer thread: %s", strerror(errno));
		s->w = NULL;
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mtx);
		close(w->pipe[0]);
		close(w->pipe[1]);
		free(w);
		return -1;
	}
	return w->pipe[0];
}

int
store_reap(struct store *s, uint64_t *size)
{
	struct writer *w = s->w;
	struct batch *b;
	char buf[64];
	int n;

	if (w != NULL) {
		while (read(w->pipe[0], buf, sizeof(buf)) > 0)
			continue;
		pthread_mutex_lock(&w->mtx);
		b = w->done;
		w->done = NULL;
		pthread_mutex_unlock(&w->mtx);
		if (b != NULL)
			reap(s, b);
	}
	n = (int)s->reaped;
	*size = s->reaped_size;
	s->reaped = s->reaped_size = 0;
	return n;
}

/*
 * Shutdown: hands the open batch over and waits until the writer is idle,
 * as long as it takes a healthy writer, but no longer than shutdown_ms
 * for one whose batches keep failing (disk full, I/O errors, a read-only
 * file), which would otherwise retry for ever and hang the exit. What it
 * gives up was never acked: its cursors do not move, and the agents resend
 * it from their spools. Returns -1 if anything went unstored (then
 * store_close() says how much, and why, in one warning).
 */
int
store_drain(struct store *s)
{
	int own, rc;

	if (s->w == NULL)
		return store_commit(s);
	if ((own = !s->has_deadline))
		set_deadline(s);
	rc = store_commit(s);
	writer_idle(s);
	if (own && !atomic_load(&s->quit))
		s->has_deadline = 0;
	return s->lost_batches > 0 ? -1 : rc;
}

void
store_set_shutdown_timeout(struct store *s, long long ms)
{
	s->shutdown_ms = ms;
}

/*
 * Async-signal-safe (a lock-free atomic store): the collector's SIGTERM
 * handler calls it, on whatever thread the signal lands.
 */
void
store_quit(struct store *s)
{
	if (s != NULL)
		atomic_store(&s->quit, 1);
}

/* Writes what is queued and ends the thread: writes run inline again. */
static int
writer_stop(struct store *s)
{
	struct writer *w = s->w;
	struct batch *b;
	int i;

	if (w == NULL)
		return 0;
	/*
	 * stop first: a batch that fails now is given up at once, so the
	 * hand-over below does not wait for ever. The thread may end before
	 * it sees the last batch; that one is then written here.
	 */
	pthread_mutex_lock(&w->mtx);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mtx);
	store_commit(s);
	pthread_join(w->thread, NULL);
	if (w->done != NULL)
		reap(s, w->done);
	if ((b = w->todo) != NULL) {
		b->ok = !w->failed && batch_write(s, b) == 0;
		reap(s, b);
	}
	s->w = NULL;
	for (i = 0; i < 2; i++) {
		free(w->b[i].ops);
		free(w->b[i].buf);
		free(w->b[i].cur);
	}
	close(w->pipe[0]);
	close(w->pipe[1]);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mtx);
	free(w);
	return 0;
}

/*
 * Finds or loads the cursor of (agent, instance). Streams live as long as
 * the store: there is one per agent instance ever seen since start, a
 * handful per agent, so the list stays short. Loading one reads the
 * writer's connection, so it waits until the writer is idle.
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
	if (s->w != NULL)
		writer_idle(s);
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
 * (stored as is, saving an encode); otherwise ev is encoded here. With a
 * writer the bytes are copied into the batch, to be inserted there.
 */
int
store_event(struct store *s, struct stream *st, uint64_t seq,
    const struct lw_event *ev, const char *raw, size_t rawlen,
    int64_t recv_us)
{
	struct batch *b;
	struct op *op;
	char *json = NULL;
	int rc = 0;

	if (begin(s) != 0)
		return -1;
	if (raw == NULL) {
		if ((json = lw_event_encode(ev, &rawlen)) == NULL)
			return -1;
		raw = json;
	}
	if (s->w != NULL) {
		b = s->w->open;
		op = batch_op(b, OP_EVENT);
		op->st = st;
		op->a = seq;
		op->n = (int)ev->type;
		op->t1 = ev->ts_us;
		op->t2 = recv_us;
		op->off[0] = batch_str(b, raw, rawlen);
		op->len[0] = rawlen;
	} else
		rc = sql_event(s, st, seq, (int)ev->type, ev->ts_us, recv_us,
		    raw, rawlen);
	free(json);
	if (rc != 0)
		return -1;
	st->last = seq;
	st->dirty = 1;
	s->pending++;
	s->events++;
	return 0;
}

/* Moves the stream's cursor up to seq, never back, to be written. */
static void
cursor_advance(struct stream *st, uint64_t seq)
{
	if (seq > st->last) {
		st->last = seq;
		st->dirty = 1;
	}
}

/* Advances the cursor over an event that was refused, so it is acked. */
int
store_skip(struct store *s, struct stream *st, uint64_t seq)
{
	if (begin(s) != 0)
		return -1;
	cursor_advance(st, seq);
	return 0;
}

int
store_gap(struct store *s, struct stream *st, uint64_t first, uint64_t last,
    int64_t now)
{
	struct op *op;

	if (begin(s) != 0)
		return -1;
	if (s->w != NULL) {
		op = batch_op(s->w->open, OP_GAP);
		op->st = st;
		op->a = first;
		op->b = last;
		op->t1 = now;
	} else if (sql_gap(s, st, first, last, now) != 0)
		return -1;
	cursor_advance(st, last);
	return 0;
}

int
store_agent_seen(struct store *s, const char *agent, const char *instance,
    const char *addr, int connected, int64_t now)
{
	struct batch *b;
	struct op *op;

	if (begin(s) != 0)
		return -1;
	if (s->w == NULL)
		return sql_seen(s, agent, instance, addr, connected, now);
	b = s->w->open;
	op = batch_op(b, OP_SEEN);
	op->n = connected;
	op->t1 = now;
	op->off[0] = batch_str(b, agent, strlen(agent));
	op->off[1] = batch_str(b, instance, strlen(instance));
	op->off[2] = batch_str(b, addr, strlen(addr));
	return 0;
}

int
store_agent_status(struct store *s, const char *agent,
    const struct lw_event *ev, int64_t skew_ms, int64_t now)
{
	const char *version;
	struct batch *b;
	struct op *op;
	char *json;
	size_t len;
	int rc = 0;

	if (begin(s) != 0)
		return -1;
	if ((json = lw_event_encode(ev, &len)) == NULL)
		return -1;
	version = json_string_value(json_object_get(ev->obj, "version"));
	if (s->w != NULL) {
		b = s->w->open;
		op = batch_op(b, OP_STATUS);
		op->t1 = skew_ms;
		op->t2 = now;
		op->off[0] = batch_str(b, agent, strlen(agent));
		op->off[1] = batch_str(b, version,
		    version ? strlen(version) : 0);
		op->off[2] = batch_str(b, json, len);
		op->len[2] = len;
	} else
		rc = sql_status(s, agent, version, json, len, skew_ms, now);
	free(json);
	return rc;
}

/*
 * Writes the dirty cursors and commits. Only after this returns 0 may the
 * server ack: stream->committed moves here and nowhere else. With a
 * writer it hands the batch over instead and returns at once (after the
 * batch before, if still being written, is done); committed moves when
 * store_reap() or store_drain() finds the batch written.
 */
int
store_commit(struct store *s)
{
	struct stream *st;
	int64_t now = now_us();

	if (!s->in_txn)
		return 0;
	if (s->w != NULL) {
		handoff(s);
		return 0;
	}
	for (st = s->streams; st != NULL; st = st->next)
		if (st->dirty && sql_cursor(s, st, st->last, now) != 0)
			return -1;
	if (sql_commit(s) != 0)
		return -1;
	s->in_txn = 0;
	s->reaped++;
	if (s->pending + 1 > s->reaped_size)
		s->reaped_size = s->pending + 1;
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
