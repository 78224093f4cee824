/*
 * The ceiling for `make bench`: how fast this machine's SQLite takes the
 * very rows the collector stores, with the collector's schema, pragmas and
 * batch size, and nothing else - no network, no TLS, no JSON parsing. The
 * ingest figure is reported as a ratio of this.
 *
 *   lwbench FILE.jsonl DB BATCH AGENT
 *	prints "<rows> <seconds> <rows/s> <inline rows/s> <background rows/s>
 *	<CPU us per row>", the last of the faster run, all threads
 *
 * Same rows: each line is turned, before the clock starts, into the bytes
 * an agent named AGENT ships (lw_event_parse, lw_event_set_agent,
 * lw_event_encode: the agent's own calls), with the type, `ts` and seq
 * the collector stores; tests/bench/run.sh checks that both databases end
 * up with identical rows. Same SQLite: the timed loop is the collector's
 * INSERT, run twice into fresh databases made by store_open() - once with
 * SQLite's inline autocheckpoint, once with a checkpoint thread like the
 * collector's (collector/store.c) - and the faster run is the ceiling.
 */
#include <sys/resource.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../../collector/collector.h"
#include "leakwatch/event.h"
#include "leakwatch/util.h"

#define INSTANCE	"0123456789abcdef0123456789abcdef"

struct row {
	char		*json;
	size_t		 len;
	const char	*type;
	int64_t		 ts;
};

struct ckpt {
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cv;
	sqlite3		*db;
	int		 wanted;
	int		 stop;
};

static void *
ckpt_main(void *arg)
{
	struct ckpt *c = arg;

	pthread_mutex_lock(&c->mtx);
	for (;;) {
		while (!c->wanted && !c->stop)
			pthread_cond_wait(&c->cv, &c->mtx);
		if (c->stop)
			break;
		c->wanted = 0;
		pthread_mutex_unlock(&c->mtx);
		sqlite3_wal_checkpoint_v2(c->db, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&c->mtx);
	}
	pthread_mutex_unlock(&c->mtx);
	return NULL;
}

/* The same thresholds as collector/store.c. */
static int
wal_hook_cb(void *arg, sqlite3 *db, const char *name, int nframes)
{
	struct ckpt *c = arg;

	if (nframes >= 65536)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE,
		    NULL, NULL);
	else if (nframes >= 1000) {
		pthread_mutex_lock(&c->mtx);
		c->wanted = 1;
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mtx);
	}
	return SQLITE_OK;
}

static int64_t
cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	    ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

/* One timed run into a fresh database; rows/s, or -1. */
static double
run(const char *path, struct row *rows, size_t n, size_t batch,
    const char *agent, int background, double *cpu_row)
{
	struct store *s;
	struct ckpt c;
	pthread_t thr;
	sqlite3 *db;
	sqlite3_stmt *st;
	char err[256], wal[4096];
	const char *pragmas = "PRAGMA journal_mode = WAL; PRAGMA synchronous "
	    "= NORMAL";
	size_t i;
	int64_t t0, t1, c0;

	*cpu_row = 0;
	snprintf(wal, sizeof(wal), "%s-wal", path);
	unlink(path);
	unlink(wal);
	/* The collector's own schema and pragmas. */
	if ((s = store_open(path, 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	store_close(s);
	/* Opened as the collector's writer is: one thread, no mutex. */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, pragmas, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO events (type, ts, recv_ts, "
	    "agent, instance, seq, json) VALUES (?, ?, ?, ?, ?, ?, ?)", -1,
	    &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", path, sqlite3_errmsg(db));
		return -1;
	}
	memset(&c, 0, sizeof(c));
	if (background) {
		pthread_mutex_init(&c.mtx, NULL);
		pthread_cond_init(&c.cv, NULL);
		if (sqlite3_open(path, &c.db) != SQLITE_OK ||
		    sqlite3_exec(c.db, pragmas, NULL, NULL, NULL) !=
		    SQLITE_OK || pthread_create(&thr, NULL, ckpt_main,
		    &c) != 0) {
			fprintf(stderr, "%s: no checkpoint thread\n", path);
			return -1;
		}
		sqlite3_wal_autocheckpoint(c.db, 0);
		sqlite3_wal_hook(db, wal_hook_cb, &c);
	}
	c0 = cpu_us();
	t0 = now_us();
	for (i = 0; i < n; i++) {
		if (i % batch == 0)
			sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		sqlite3_bind_text(st, 1, rows[i].type, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, rows[i].ts);
		sqlite3_bind_int64(st, 3, t0);
		sqlite3_bind_text(st, 4, agent, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, INSTANCE, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)i + 1);
		sqlite3_bind_text(st, 7, rows[i].json, (int)rows[i].len,
		    SQLITE_STATIC);
		sqlite3_step(st);
		sqlite3_reset(st);
		if (i % batch == batch - 1 || i == n - 1)
			sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	}
	t1 = now_us();
	if (background) {
		/* The thread's work so far counts; what is left does not. */
		*cpu_row = (double)(cpu_us() - c0) / (double)n;
		pthread_mutex_lock(&c.mtx);
		c.stop = 1;
		pthread_cond_signal(&c.cv);
		pthread_mutex_unlock(&c.mtx);
		pthread_join(thr, NULL);
		sqlite3_close(c.db);
		pthread_cond_destroy(&c.cv);
		pthread_mutex_destroy(&c.mtx);
	}
	if (!background)
		*cpu_row = (double)(cpu_us() - c0) / (double)n;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return (double)n * 1e6 / (double)(t1 - t0);
}

int
main(int argc, char **argv)
{
	FILE *f;
	struct row *rows = NULL;
	struct lw_event *ev;
	char *line = NULL, err[256];
	size_t cap = 0, n = 0, alloc = 0, i, batch;
	ssize_t len;
	double inl, bg, best, cpu_inl, cpu_bg;
	int rc = 1;

	if (argc != 5)
		return 2;
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);	/* as the collector */
	batch = (size_t)strtoul(argv[3], NULL, 10);
	if (batch == 0 || (f = fopen(argv[1], "r")) == NULL)
		return 1;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (n == alloc) {
			struct row *more;

			alloc = alloc ? alloc * 2 : 1024;
			if ((more = realloc(rows, alloc * sizeof(*rows))) ==
			    NULL)
				goto out;
			rows = more;
		}
		if ((ev = lw_event_parse(line, (size_t)len - 1, err,
		    sizeof(err))) == NULL) {
			fprintf(stderr, "%s:%zu: %s\n", argv[1], n + 1, err);
			goto out;
		}
		if (lw_event_set_agent(ev, argv[4]) != 0 ||
		    (rows[n].json = lw_event_encode(ev, &rows[n].len)) ==
		    NULL) {
			lw_event_free(ev);
			goto out;
		}
		rows[n].type = lw_event_type_name(ev->type);
		rows[n].ts = ev->ts_us;
		lw_event_free(ev);
		n++;
	}
	if (n == 0)
		goto out;
	if ((inl = run(argv[2], rows, n, batch, argv[4], 0, &cpu_inl)) < 0 ||
	    (bg = run(argv[2], rows, n, batch, argv[4], 1, &cpu_bg)) < 0)
		goto out;
	best = inl > bg ? inl : bg;
	printf("%zu %.3f %.0f %.0f %.0f %.2f\n", n, (double)n / best, best,
	    inl, bg, inl > bg ? cpu_inl : cpu_bg);
	rc = 0;
out:
	fclose(f);
	free(line);
	for (i = 0; i < n; i++)
		free(rows[i].json);
	free(rows);
	return rc;
}
