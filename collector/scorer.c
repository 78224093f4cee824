/*
 * Live scoring, on a thread of its own. The ingest path stores and acks
 * events as fast as SQLite takes them; this thread reads what the store
 * committed, in events.id order, and runs each event through the
 * analytics pipeline (analytics.c), whose alerts go to the SIEM forwarder
 * (fwd.c), which lives here too. Data flows one way: server -> store ->
 * scorer -> alerts -> SIEM; the ingest thread only tells this one that
 * something was committed (a byte on a pipe), never waits for it.
 *
 * Why a thread: scoring costs several times what storing does, and inline
 * it held ingest to a fraction of SQLite's rate (docs/benchmarks.md). On
 * a second core the two overlap, and a burst that scoring cannot follow
 * is stored and acked anyway: the backlog waits in the events table, not
 * in agents' spools, and is scored as soon as the thread catches up.
 * During a burst scoring steps aside (scorer_defer()) for at most
 * score-delay, so a reconnecting agent's backlog is stored at the store's
 * pace, not at the pace of a store that shares its CPUs with scoring.
 *
 * The thread has its own SQLite connection and event base. Its cursor (the
 * last events.id scored) is in an_meta, written in the same transaction
 * as the scoring it covers, so after a crash or restart every committed
 * event is scored exactly once. The two connections take turns to write
 * (store_writer_enter()). SIGHUP reaches here as a flag: the directory
 * and rules reload between batches.
 */
#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "collector.h"
#include "analytics/analytics.h"
#include "siem/siem.h"
#include "leakwatch/event.h"
#include "leakwatch/event-view.h"
#include "leakwatch/log.h"
#include "leakwatch/thread.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define SCORE_BATCH	1000	/* events per transaction */
#define SCORE_DRAIN_US	(10LL * 1000000)	/* at exit, at most */
#define LAG_WARN	100000	/* events behind: say so */
#define SCORER_NICE	10	/* below the ingest thread */
#define BURST_GAP_US	(100 * 1000)	/* full batches closer: a burst */

struct scorer {
	pthread_t		 thread;
	int			 started;
	int			 pipe[2];	/* ingest -> scorer wake-ups */
	struct event_base	*base;
	struct event		*wake;
	struct event		*more;		/* the next batch */
	struct event		*tick;		/* analytics_tick(), 1/min */
	struct sqlite3		*db;
	struct sqlite3_stmt	*next_st;	/* events after the cursor */
	struct sqlite3_stmt	*cur_st;	/* saves the cursor */
	struct store		*store;		/* whose turn it is to write */
	const struct collector_config *cfg;
	struct analytics	*an;
	struct fwd		*fwd;
	struct row		*rows;		/* SCORE_BATCH of them */
	char			*buf;		/* their JSON */
	size_t			 used, cap;
	struct lw_event_view	 view;		/* reused per event */
	int64_t			 cursor;	/* last events.id scored */
	int64_t			 lag_warned;
	int64_t			 last_full;	/* us, the latest full batch */
	int64_t			 pending_since;	/* us, first wake-up not scored */
	atomic_int		 reload;
	atomic_int		 stop;
};

static int
prepare(struct scorer *sc, const char *sql, struct sqlite3_stmt **st,
    char *err, size_t errlen)
{
	if (sqlite3_prepare_v3(sc->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
	    NULL) == SQLITE_OK)
		return 0;
	snprintf(err, errlen, "scorer: %s", sqlite3_errmsg(sc->db));
	return -1;
}

static int64_t
query_int(struct sqlite3 *db, const char *sql, int *found)
{
	struct sqlite3_stmt *st;
	int64_t v = 0;

	*found = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL) {
		v = sqlite3_column_int64(st, 0);
		*found = 1;
	}
	sqlite3_finalize(st);
	return v;
}

/*
 * Where to start. A database that was scored by an earlier collector
 * without this cursor (inline scoring, or a --replay) has its events
 * scored already: start after them. A database never scored: from the
 * first event.
 */
static int64_t
cursor_load(struct scorer *sc)
{
	int found;
	int64_t v;

	v = query_int(sc->db, "SELECT value FROM an_meta WHERE key = "
	    "'scored'", &found);
	if (found)
		return v;
	(void)query_int(sc->db, "SELECT value FROM an_meta WHERE key = "
	    "'clock'", &found);
	if (!found)
		return 0;
	v = query_int(sc->db, "SELECT max(id) FROM events", &found);
	return found ? v : 0;
}

/* One event read back, waiting for its turn to be scored. */
struct row {
	int64_t		 id;
	size_t		 off;		/* its JSON in the batch buffer */
	size_t		 len;
	int		 scored;	/* a type scoring reads */
};

/*
 * Reads up to SCORE_BATCH committed events after the cursor, copying
 * their JSON (SQLite's copy lasts only until the next step). Done without
 * the write turn, and leaving no read transaction open.
 */
static size_t
fetch(struct scorer *sc)
{
	struct sqlite3_stmt *st = sc->next_st;
	const char *type, *json;
	enum event_type t;
	size_t n = 0, len;
	int rc = SQLITE_DONE;

	sc->used = 0;
	sqlite3_bind_int64(st, 1, sc->cursor);
	sqlite3_bind_int(st, 2, SCORE_BATCH);
	while (n < SCORE_BATCH && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct row *r = &sc->rows[n++];

		memset(r, 0, sizeof(*r));
		r->id = sqlite3_column_int64(st, 0);
		type = (const char *)sqlite3_column_text(st, 1);
		json = (const char *)sqlite3_column_text(st, 2);
		len = (size_t)sqlite3_column_bytes(st, 2);
		if (type == NULL || json == NULL ||
		    lw_event_type_lookup(type, &t) != 0 ||
		    (t != EVENT_DB_QUERY && t != EVENT_DB_SESSION &&
		    t != EVENT_NET_FLOW))
			continue;
		if (sc->used + len > sc->cap) {
			sc->cap = (sc->used + len) * 2;
			sc->buf = xreallocarray(sc->buf, sc->cap, 1);
		}
		memcpy(sc->buf + sc->used, json, len);
		r->off = sc->used;
		r->len = len;
		r->scored = 1;
		sc->used += len;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		log_warnx("scorer: reading events: %s",
		    sqlite3_errmsg(sc->db));
	sqlite3_reset(st);
	return n;
}

/*
 * One event: read through a view of its bytes (no DOM), or, for the
 * rare event the validator leaves to the reference, through a DOM.
 */
static void
score_row(struct scorer *sc, const struct row *r)
{
	struct lw_event ev;
	const char *raw = sc->buf + r->off;
	char why[256];
	struct lw_event *dom;

	memset(&ev, 0, sizeof(ev));
	if (lw_event_view_init(&sc->view, &ev, raw, r->len) == 0) {
		analytics_event_row(sc->an, &ev, NULL, 0, r->id);
		return;
	}
	if ((dom = lw_event_parse(raw, r->len, why, sizeof(why))) == NULL) {
		log_warnx("scorer: event %lld: %s; skipped", (long long)r->id,
		    why);
		return;
	}
	analytics_event_row(sc->an, dom, NULL, 0, r->id);
	lw_event_free(dom);
}

/*
 * One batch: fetch, then, in the database's write turn, score the events
 * and move the cursor past them in one transaction. Returns how many rows
 * it read.
 */
static size_t
score_batch(struct scorer *sc)
{
	size_t n, i;
	int64_t id;
	int ok;

	if ((n = fetch(sc)) == 0)
		return 0;
	id = sc->rows[n - 1].id;
	store_writer_enter(sc->store);
	ok = sqlite3_exec(sc->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
	    SQLITE_OK;
	for (i = 0; ok && i < n; i++)
		if (sc->rows[i].scored)
			score_row(sc, &sc->rows[i]);
	if (ok) {
		sqlite3_bind_int64(sc->cur_st, 1, id);
		if (sqlite3_step(sc->cur_st) != SQLITE_DONE)
			ok = 0;
		sqlite3_reset(sc->cur_st);
	}
	if (!ok || sqlite3_exec(sc->db, "COMMIT", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		/* the events stay after the cursor and are scored again */
		log_warnx("scorer: %s; retrying", sqlite3_errmsg(sc->db));
		sqlite3_exec(sc->db, "ROLLBACK", NULL, NULL, NULL);
		store_writer_leave(sc->store);
		return 0;
	}
	store_writer_leave(sc->store);
	sc->cursor = id;
	return n;
}

/*
 * After a restart: the open day's events up to the cursor were scored by
 * the previous process, whose counts died with it. They go through the
 * features and rules again, alerts muted (analytics_warm()), so the day
 * closes with its whole totals and open sequences survive. Before the
 * thread starts; memory as for a batch.
 */
static void
warm_up(struct scorer *sc)
{
	struct sqlite3_stmt *st;
	struct lw_event ev;
	int64_t start;
	uint64_t n = 0;

	if (sc->cursor == 0 || (start = analytics_warm(sc->an, 1)) == 0) {
		analytics_warm(sc->an, 0);
		return;
	}
	if (sqlite3_prepare_v2(sc->db, "SELECT json FROM events WHERE id <= ? "
	    "AND ts >= ? AND ts < ? AND type IN ('db.query', 'db.session', "
	    "'net.flow') ORDER BY id", -1, &st, NULL) != SQLITE_OK) {
		log_warnx("scorer: %s", sqlite3_errmsg(sc->db));
		analytics_warm(sc->an, 0);
		return;
	}
	sqlite3_bind_int64(st, 1, sc->cursor);
	sqlite3_bind_int64(st, 2, start);
	sqlite3_bind_int64(st, 3, start + 86400LL * 1000000);
	sqlite3_exec(sc->db, "BEGIN", NULL, NULL, NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *raw = (const char *)sqlite3_column_text(st, 0);
		size_t len = (size_t)sqlite3_column_bytes(st, 0);
		struct lw_event *dom;

		memset(&ev, 0, sizeof(ev));
		if (raw != NULL && lw_event_view_init(&sc->view, &ev, raw,
		    len) == 0)
			analytics_event_row(sc->an, &ev, NULL, 0, 0);
		else if (raw != NULL && (dom = lw_event_parse(raw, len, NULL,
		    0)) != NULL) {
			analytics_event_row(sc->an, dom, NULL, 0, 0);
			lw_event_free(dom);
		} else
			continue;
		n++;
	}
	sqlite3_finalize(st);
	if (sqlite3_exec(sc->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		log_warnx("scorer: %s", sqlite3_errmsg(sc->db));
	analytics_warm(sc->an, 0);
	log_info("scorer: %llu events of the open day counted again after the "
	    "restart", (unsigned long long)n);
}

/* A backlog this large means alerts are late: worth a line, now and then. */
static void
check_lag(struct scorer *sc)
{
	int found;
	int64_t last, lag;

	last = query_int(sc->db, "SELECT max(id) FROM events", &found);
	lag = found ? last - sc->cursor : 0;
	if (lag >= LAG_WARN && lag >= 2 * sc->lag_warned) {
		log_warnx("scorer: %lld events stored but not yet scored",
		    (long long)lag);
		sc->lag_warned = lag;
	} else if (lag < LAG_WARN / 2)
		sc->lag_warned = 0;
}

static void
do_reload(struct scorer *sc)
{
	store_writer_enter(sc->store);
	analytics_reload(sc->an, sc->cfg);
	store_writer_leave(sc->store);
}

/* At exit: score what is committed, within a bound; the rest waits. */
static void
drain(struct scorer *sc)
{
	int64_t until = now_us() + SCORE_DRAIN_US;

	while (score_batch(sc) == SCORE_BATCH)
		if (now_us() > until) {
			log_warnx("scorer: stopping with a backlog; scoring "
			    "resumes after event %lld at the next start",
			    (long long)sc->cursor);
			break;
		}
	event_base_loopbreak(sc->base);
}

/*
 * How long to wait out a burst before the next batch, in microseconds (0:
 * score now). While the store commits full batches back to back, scoring
 * would take CPU and write turns from the ingest thread, and agents would
 * drain their spools at scoring's pace; so it waits until the burst ends
 * - a batch the commit timer closes, or BURST_GAP_US without a full one -
 * but never past score-delay after the first event not yet scored: then
 * it scores whatever the load, and alerts are at most that late. A
 * trickle (only timer-closed batches) is scored at once. Pure, for the
 * tests: full_us is when the newest full batch was committed (0: the
 * newest commit was not a full batch), pending_us when the first unscored
 * one was (0: none).
 */
int64_t
scorer_defer(int64_t delay_ms, int64_t now, int64_t full_us,
    int64_t pending_us)
{
	int64_t quiet, left;

	if (delay_ms <= 0 || pending_us == 0 || full_us == 0)
		return 0;
	quiet = BURST_GAP_US - (now - full_us);
	left = delay_ms * 1000 - (now - pending_us);
	if (quiet <= 0 || left <= 0)
		return 0;
	return quiet < left ? quiet : left;
}

static void
more_cb(evutil_socket_t fd, short what, void *arg)
{
	struct scorer *sc = arg;
	struct timeval tv;
	int64_t wait;

	(void)fd;
	(void)what;
	if (atomic_load(&sc->stop)) {
		drain(sc);
		return;
	}
	if (atomic_exchange(&sc->reload, 0))
		do_reload(sc);
	if ((wait = scorer_defer(sc->cfg->score_delay, now_us(), sc->last_full,
	    sc->pending_since)) > 0) {
		tv.tv_sec = (time_t)(wait / 1000000);
		tv.tv_usec = (suseconds_t)(wait % 1000000);
		evtimer_add(sc->more, &tv);
		return;
	}
	/* Yield between batches, so the pipe and fwd's sockets get a turn. */
	if (score_batch(sc) == SCORE_BATCH)
		event_active(sc->more, EV_TIMEOUT, 0);
	else {
		sc->pending_since = 0;	/* caught up */
		check_lag(sc);
	}
}

static void
wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct scorer *sc = arg;
	char buf[256];
	ssize_t n, i;
	int64_t now = now_us();

	(void)what;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++)
			sc->last_full = buf[i] == 'b' ? now : 0;
	if (sc->pending_since == 0)
		sc->pending_since = now;
	/* A stop, a reload or the burst's end does not wait for the timer. */
	if (sc->last_full == 0 || atomic_load(&sc->stop) ||
	    atomic_load(&sc->reload))
		event_del(sc->more);
	if (!event_pending(sc->more, EV_TIMEOUT, NULL))
		event_active(sc->more, EV_TIMEOUT, 0);
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct scorer *sc = arg;
	int64_t last;
	int found;

	(void)fd;
	(void)what;
	last = query_int(sc->db, "SELECT max(id) FROM events", &found);
	store_writer_enter(sc->store);
	analytics_tick(sc->an, now_us(), found && last > sc->cursor);
	store_writer_leave(sc->store);
}

static void *
scorer_main(void *arg)
{
	struct scorer *sc = arg;

	pthread_setname_np(pthread_self(), "lw-scorer");	/* for top, bench */
	/*
	 * Ingest first: when both want the CPU, storing and acking wins and
	 * scoring follows (the backlog is durable and logged); agents then
	 * drain their spools at the store's pace, not scoring's.
	 */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), SCORER_NICE) != 0)
		log_warn("scorer: setpriority");
	event_base_dispatch(sc->base);
	return NULL;
}

static int
open_db(struct scorer *sc, const char *path, int sync_full, char *err,
    size_t errlen)
{
	if (sqlite3_open_v2(path, &sc->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "scorer: %s: %s", path, sc->db ?
		    sqlite3_errmsg(sc->db) : "cannot open");
		return -1;
	}
	sqlite3_busy_timeout(sc->db, 5000);
	if (sqlite3_exec(sc->db, sync_full ? "PRAGMA synchronous = FULL" :
	    "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "scorer: %s", sqlite3_errmsg(sc->db));
		return -1;
	}
	return 0;
}

struct scorer *
scorer_new(const struct collector_config *cfg, struct store *store,
    char *err, size_t errlen)
{
	struct scorer *sc = xcalloc(1, sizeof(*sc));

	sc->cfg = cfg;
	sc->store = store;
	sc->rows = xcalloc(SCORE_BATCH, sizeof(*sc->rows));
	sc->pipe[0] = sc->pipe[1] = -1;
	if (open_db(sc, cfg->db, cfg->db_sync_full, err, errlen) != 0)
		goto fail;
	if ((sc->an = analytics_new(cfg, sc->db, NULL, 0, err,
	    errlen)) == NULL)
		goto fail;
	if (prepare(sc, "SELECT id, type, json FROM events WHERE id > ? "
	    "ORDER BY id LIMIT ?", &sc->next_st, err, errlen) != 0 ||
	    prepare(sc, "INSERT OR REPLACE INTO an_meta (key, value) VALUES "
	    "('scored', ?)", &sc->cur_st, err, errlen) != 0)
		goto fail;
	sc->cursor = cursor_load(sc);
	warm_up(sc);
	if (pipe(sc->pipe) != 0 || fcntl(sc->pipe[0], F_SETFL,
	    O_NONBLOCK) != 0 || fcntl(sc->pipe[1], F_SETFL, O_NONBLOCK) != 0) {
		snprintf(err, errlen, "scorer: pipe: %s", strerror(errno));
		goto fail;
	}
	if ((sc->base = event_base_new()) == NULL) {
		snprintf(err, errlen, "scorer: event_base_new failed");
		goto fail;
	}
	sc->wake = event_new(sc->base, sc->pipe[0], EV_READ | EV_PERSIST,
	    wake_cb, sc);
	sc->more = event_new(sc->base, -1, 0, more_cb, sc);
	sc->tick = event_new(sc->base, -1, EV_PERSIST, tick_cb, sc);
	if (sc->wake == NULL || sc->more == NULL || sc->tick == NULL) {
		snprintf(err, errlen, "scorer: event_new failed");
		goto fail;
	}
	return sc;
fail:
	scorer_free(sc);
	return NULL;
}

struct event_base *
scorer_base(struct scorer *sc)
{
	return sc->base;
}

struct sqlite3 *
scorer_db(struct scorer *sc)
{
	return sc->db;
}

/*
 * fwd, when not NULL, was made on scorer_base() and scorer_db(); the
 * scorer owns it from here on.
 */
/* The forwarder's cursor writes take their turn with the store's. */
static void
turn_enter(void *store)
{
	store_writer_enter(store);
}

static void
turn_leave(void *store)
{
	store_writer_leave(store);
}

int
scorer_start(struct scorer *sc, struct fwd *fwd, char *err, size_t errlen)
{
	struct fwd_turn turn = { turn_enter, turn_leave, NULL };
	struct timeval minute = { 60, 0 };
	int64_t from;
	int rc;

	sc->fwd = fwd;
	sc->an->fwd = fwd;
	turn.arg = sc->store;
	fwd_set_turn(fwd, &turn);
	event_add(sc->wake, NULL);
	evtimer_add(sc->tick, &minute);
	event_active(sc->more, EV_TIMEOUT, 0);	/* the backlog, if any */
	from = sc->cursor;	/* the thread moves it at once */
	if ((rc = thread_start(&sc->thread, scorer_main, sc)) != 0) {
		snprintf(err, errlen, "scorer: thread: %s", strerror(rc));
		return -1;
	}
	sc->started = 1;
	log_info("scorer: scoring after event %lld", (long long)from);
	return 0;
}

/*
 * Called by the ingest thread after each commit (burst: the batch was
 * full, not closed by the commit timer); never blocks.
 */
void
scorer_kick(struct scorer *sc, int burst)
{
	char c = burst ? 'b' : 'k';

	if (sc == NULL || sc->pipe[1] == -1)
		return;
	/* EAGAIN: the pipe is full of wake-ups the thread has yet to read */
	(void)!write(sc->pipe[1], &c, 1);
}

void
scorer_reload(struct scorer *sc)
{
	if (sc == NULL)
		return;
	atomic_store(&sc->reload, 1);
	scorer_kick(sc, 0);
}

/*
 * Scores what the store committed (for at most SCORE_DRAIN_US), stops the
 * thread and frees everything, the forwarder given to scorer_start() too.
 */
void
scorer_free(struct scorer *sc)
{
	if (sc == NULL)
		return;
	if (sc->started) {
		atomic_store(&sc->stop, 1);
		scorer_kick(sc, 0);
		pthread_join(sc->thread, NULL);
	}
	fwd_free(sc->fwd);
	analytics_free(sc->an);
	ev_free(sc->wake);
	ev_free(sc->more);
	ev_free(sc->tick);
	if (sc->base != NULL)
		event_base_free(sc->base);
	if (sc->pipe[0] != -1)
		close(sc->pipe[0]);
	if (sc->pipe[1] != -1)
		close(sc->pipe[1]);
	sqlite3_finalize(sc->next_st);
	sqlite3_finalize(sc->cur_st);
	sqlite3_close(sc->db);
	free(sc->rows);
	free(sc->buf);
	lw_event_view_clear(&sc->view);
	free(sc);
}
