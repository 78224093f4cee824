/*
 * Folding repeated statements into one db.query event (`aggregate`,
 * docs/aggregation.md). A busy application sends the same few statements
 * thousands of times a second; one event each would cost the agent, the
 * uplink and the collector far more than the statements cost the
 * database. So the statements of one session that agree on everything an
 * event says but its numbers - the session's identity, user, database,
 * application, end user, command, fingerprint, tables, status, error code
 * and source: the key - are added up into one event per aligned window
 * of `aggregate-interval`: `count`, the totals of rows, bytes and time,
 * `max_rows`, `first_ts` and `ts`. This file is not a decoder and does
 * not normalise: it gets the fields db.c has already worked out, and
 * when it flushes hands an aggregate's fields to its emit function, which
 * builds the event with db.c's one builder (so this file never calls
 * back into db.c).
 *
 * Windows are aligned, floor(ts / interval), and the interval divides 15
 * minutes, so a window never crosses an hour boundary in any time zone
 * (UTC offsets are whole quarter hours): per-employee per-hour figures
 * are the same with and without folding, whatever zone the collector
 * buckets in.
 *
 * A statement goes out on its own (agg_fold() returns 0) when it is the
 * first of its key in the session (so a new statement, or a new error,
 * is seen at once, with its own time), when it returned or affected more
 * than aggregate-max-rows rows, when the capture missed part of it
 * (partial), when it has no fingerprint, or when one of its tables
 * matches sensitive-tables. Later errors of the same key fold: an
 * aggregate of errors carries status error and their code.
 *
 * Flushing, in a deterministic order (the order in which each
 * aggregate's first statement came): when the event clock - statement
 * and packet times, and in live mode the wall clock - passes the end of
 * an aggregate's window; when its session ends (before the session's
 * disconnect event); and for everything at the end of a file or when the
 * agent stops. An aggregate of one statement is written as that
 * statement's own event.
 *
 * Memory is bounded: at most max_keys keys and AGG_MEMORY_MAX bytes.
 * At the cap the least recently used key is flushed and forgotten
 * (counted as evicted), so a client sending endless distinct statements
 * costs a fixed amount, and each of its statements simply goes out on
 * its own. The key's strings are stored once, in the key itself; the
 * hash is keyed with a random value so crafted statements cannot aim at
 * one bucket.
 */
#include <sys/queue.h>
#include <sys/random.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "leakwatch/event.h"
#include "leakwatch/hash.h"
#include "leakwatch/log.h"
#include "leakwatch/sqlnorm.h"
#include "leakwatch/xmalloc.h"

#define AGG_SESS_FIELDS		4	/* db_system, server, client, id */
#define AGG_FIELDS		13	/* strings before the tables */
#define AGG_QUARTER_US		(900 * 1000000LL)	/* 15 minutes */

/*
 * One key. key holds AGG_FIELDS NUL-terminated strings (see key_build())
 * and then the tables, each NUL-terminated; the first AGG_SESS_FIELDS
 * are the session. pending: statements folded in window `window` and
 * not flushed yet.
 */
struct agg_ent {
	uint64_t		 hash;
	char			*key;
	size_t			 keylen;
	size_t			 ntables;
	char			*statement;	/* NULL: none */
	struct agg_sess		*sess;
	struct agg_ent		*hnext;
	TAILQ_ENTRY(agg_ent)	 lru;		/* least recent first */
	TAILQ_ENTRY(agg_ent)	 pend;		/* pending, oldest first */
	TAILQ_ENTRY(agg_ent)	 sesslink;
	int			 pending;
	uint64_t		 pend_seq;
	int64_t			 window;
	int64_t			 first_us;
	int64_t			 last_us;
	uint64_t		 count;
	uint64_t		 rows_returned;
	uint64_t		 rows_affected;
	uint64_t		 max_rows;
	uint64_t		 bytes;
	uint64_t		 duration_us;
};

TAILQ_HEAD(agg_list, agg_ent);

/* The keys of one session, so that its end finds them. */
struct agg_sess {
	uint64_t		 hash;
	char			*key;		/* the session's fields */
	size_t			 keylen;
	struct agg_sess		*hnext;
	struct agg_list		 ents;
	size_t			 n;
};

struct agg {
	const struct agent_config *cfg;
	agg_emit_fn		*emit;
	void			*arg;
	int64_t			 iv_us;
	uint64_t		 max_rows;
	size_t			 max_keys;
	size_t			 nbuckets;	/* power of two */
	struct agg_ent		**hash;
	struct agg_sess		**shash;
	uint64_t		 hkey;
	struct agg_list		 lru;
	struct agg_list		 pend;
	uint64_t		 pend_seq;
	int64_t			 next_edge;	/* clock: next window end */
	char			*kbuf;		/* the key being looked up */
	size_t			 kcap;
	struct agg_stats	 st;
};

static void	ent_flush(struct agg *, struct agg_ent *);

/*
 * The interval must divide 15 minutes (see above) and aggregate-max-rows
 * be sane; sensitive-tables patterns are shell globs, checked here so a
 * typo is a configuration error rather than a pattern that never
 * matches.
 */
int
agg_check_config(const struct agent_config *cfg, char *err, size_t errlen)
{
	size_t i;

	if (cfg->aggregate_interval <= 0 ||
	    AGG_QUARTER_US / 1000 % cfg->aggregate_interval != 0)
		return conf_fail(err, errlen, "aggregate-interval: %lldms "
		    "does not divide 15 minutes (1s, 2s, 5s, 10s, 15s, 30s, "
		    "1m, 5m, 15m ...): an aggregate must not cross an hour",
		    cfg->aggregate_interval);
	for (i = 0; i < cfg->sensitive_tables.n; i++) {
		const char *p = cfg->sensitive_tables.v[i];

		if (strlen(p) > 256)
			return conf_fail(err, errlen, "sensitive-tables: "
			    "pattern longer than 256 bytes");
		if (strchr(p, '=') != NULL)
			return conf_fail(err, errlen, "sensitive-tables: "
			    "\"%s\": a table pattern, without a class (the "
			    "collector's sensitive key has the classes)", p);
	}
	return 0;
}

struct agg *
agg_new(const struct agent_config *cfg, size_t max_keys, agg_emit_fn *emit,
    void *arg)
{
	struct agg *a;

	if (!cfg->aggregate || cfg->aggregate_interval <= 0)
		return NULL;
	a = xcalloc(1, sizeof(*a));
	a->cfg = cfg;
	a->emit = emit;
	a->arg = arg;
	a->iv_us = cfg->aggregate_interval * 1000;
	a->max_rows = (uint64_t)cfg->aggregate_max_rows;
	a->max_keys = max_keys > 0 ? max_keys : AGG_KEYS_MAX;
	a->nbuckets = 64;
	while (a->nbuckets < a->max_keys)
		a->nbuckets *= 2;
	a->hash = xcalloc(a->nbuckets, sizeof(*a->hash));
	a->shash = xcalloc(a->nbuckets, sizeof(*a->shash));
	if (getrandom(&a->hkey, sizeof(a->hkey), 0) != sizeof(a->hkey))
		fatal("getrandom");
	TAILQ_INIT(&a->lru);
	TAILQ_INIT(&a->pend);
	a->next_edge = INT64_MIN;
	return a;
}

/* Appends s and its NUL to a->kbuf at *off (NULL as ""). */
static void
key_put(struct agg *a, size_t *off, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (*off + n + 1 > a->kcap) {
		a->kcap = (*off + n + 1) * 2 + 256;
		a->kbuf = xreallocarray(a->kbuf, 1, a->kcap);
	}
	if (n > 0)
		memcpy(a->kbuf + *off, s, n);
	a->kbuf[*off + n] = '\0';
	*off += n + 1;
}

/*
 * The key of a statement in a->kbuf: every field the event carries but
 * its numbers and times. The session's four come first; *slen is their
 * length.
 */
static size_t
key_build(struct agg *a, const struct db_qfields *f, size_t *slen)
{
	size_t off = 0, i;

	key_put(a, &off, f->db_system);
	key_put(a, &off, f->server);
	key_put(a, &off, f->client);
	key_put(a, &off, f->session_id);
	*slen = off;
	key_put(a, &off, f->db_user);
	key_put(a, &off, f->database);
	key_put(a, &off, f->app_name);
	key_put(a, &off, f->end_user);
	key_put(a, &off, f->command);
	key_put(a, &off, f->fingerprint);
	key_put(a, &off, f->error ? "error" : "ok");
	key_put(a, &off, f->error ? f->error_code : NULL);
	key_put(a, &off, f->source);
	for (i = 0; i < f->ntables; i++)
		key_put(a, &off, f->tables[i]);
	return off;
}

/* A table the operator named sensitive: the collector's matching rule
 * (a pattern without a '.' matches the table part in any schema). */
static int
sensitive(const struct agent_config *cfg, const struct db_qfields *f)
{
	const char *t, *part;
	size_t i, j;

	for (i = 0; i < f->ntables; i++) {
		t = f->tables[i];
		part = strrchr(t, '.');
		part = part != NULL ? part + 1 : t;
		for (j = 0; j < cfg->sensitive_tables.n; j++) {
			const char *p = cfg->sensitive_tables.v[j];

			if (fnmatch(p, strchr(p, '.') != NULL ? t : part,
			    FNM_CASEFOLD) == 0)
				return 1;
		}
	}
	return 0;
}

static size_t
ent_size(const struct agg_ent *e)
{
	return sizeof(*e) + e->keylen + (e->statement != NULL ?
	    strlen(e->statement) + 1 : 0);
}

static struct agg_sess *
sess_get(struct agg *a, const char *key, size_t len)
{
	struct agg_sess *s, **b;
	uint64_t h = hash_mix64_bytes(a->hkey, key, len);

	b = &a->shash[h & (a->nbuckets - 1)];
	for (s = *b; s != NULL; s = s->hnext)
		if (s->hash == h && s->keylen == len &&
		    memcmp(s->key, key, len) == 0)
			return s;
	s = xcalloc(1, sizeof(*s));
	s->hash = h;
	s->keylen = len;
	s->key = xmalloc(len);
	memcpy(s->key, key, len);
	TAILQ_INIT(&s->ents);
	s->hnext = *b;
	*b = s;
	a->st.bytes += sizeof(*s) + len;
	return s;
}

static void
sess_drop(struct agg *a, struct agg_sess *s)
{
	struct agg_sess **pp;

	for (pp = &a->shash[s->hash & (a->nbuckets - 1)]; *pp != s;
	    pp = &(*pp)->hnext)
		;
	*pp = s->hnext;
	a->st.bytes -= sizeof(*s) + s->keylen;
	free(s->key);
	free(s);
}

/* Flushes e if pending, then forgets it (and its session if empty). */
static void
ent_drop(struct agg *a, struct agg_ent *e)
{
	struct agg_ent **pp;
	struct agg_sess *s = e->sess;

	if (e->pending)
		ent_flush(a, e);
	for (pp = &a->hash[e->hash & (a->nbuckets - 1)]; *pp != e;
	    pp = &(*pp)->hnext)
		;
	*pp = e->hnext;
	TAILQ_REMOVE(&a->lru, e, lru);
	TAILQ_REMOVE(&s->ents, e, sesslink);
	a->st.bytes -= ent_size(e);
	a->st.keys--;
	if (--s->n == 0)
		sess_drop(a, s);
	free(e->key);
	free(e->statement);
	free(e);
}

/* A new key for the statement in a->kbuf, making room first. */
static struct agg_ent *
ent_new(struct agg *a, const struct db_qfields *f, uint64_t h, size_t klen,
    size_t slen)
{
	struct agg_ent *e, **b;
	size_t need;

	need = sizeof(*e) + klen + (f->statement != NULL ?
	    strnlen(f->statement, DB_STATEMENT_MAX + 1) + 1 : 0) +
	    sizeof(struct agg_sess) + slen;
	while (a->st.keys > 0 && (a->st.keys >= a->max_keys ||
	    a->st.bytes + need > AGG_MEMORY_MAX)) {
		a->st.evicted++;
		ent_drop(a, TAILQ_FIRST(&a->lru));
	}
	e = xcalloc(1, sizeof(*e));
	e->hash = h;
	e->keylen = klen;
	e->key = xmalloc(klen);
	memcpy(e->key, a->kbuf, klen);
	e->ntables = f->ntables;
	/* One byte past the bound: the builder cuts where it always does. */
	if (f->statement != NULL)
		e->statement = xstrndup(f->statement, DB_STATEMENT_MAX + 1);
	e->sess = sess_get(a, e->key, slen);
	TAILQ_INSERT_TAIL(&e->sess->ents, e, sesslink);
	e->sess->n++;
	b = &a->hash[h & (a->nbuckets - 1)];
	e->hnext = *b;
	*b = e;
	TAILQ_INSERT_TAIL(&a->lru, e, lru);
	a->st.keys++;
	a->st.bytes += ent_size(e);
	return e;
}

/* Adds a to *sum without passing the schema's bound. */
static void
add_sat(uint64_t *sum, uint64_t v)
{
	*sum = v > EVENT_UINT_MAX - *sum ? EVENT_UINT_MAX : *sum + v;
}

int
agg_fold(struct agg *a, const struct db_qfields *f)
{
	struct agg_ent *e;
	size_t klen, slen;
	uint64_t h;
	int64_t w;

	if (a == NULL)
		return 0;
	a->st.offered++;
	agg_clock(a, f->ts_us);
	if (f->partial || f->fingerprint == NULL || f->count > 1 ||
	    f->rows_returned > a->max_rows || f->rows_affected > a->max_rows ||
	    (a->cfg->sensitive_tables.n > 0 && sensitive(a->cfg, f)))
		return 0;
	klen = key_build(a, f, &slen);
	h = hash_mix64_bytes(a->hkey, a->kbuf, klen);
	for (e = a->hash[h & (a->nbuckets - 1)]; e != NULL; e = e->hnext)
		if (e->hash == h && e->keylen == klen &&
		    memcmp(e->key, a->kbuf, klen) == 0)
			break;
	if (e == NULL) {
		/* The first of its key in the session: on its own. */
		ent_new(a, f, h, klen, slen);
		return 0;
	}
	TAILQ_REMOVE(&a->lru, e, lru);
	TAILQ_INSERT_TAIL(&a->lru, e, lru);
	w = (f->ts_us > 0 ? f->ts_us : 0) / a->iv_us;
	if (e->pending && e->window != w)
		ent_flush(a, e);
	if (!e->pending) {
		e->pending = 1;
		e->pend_seq = a->pend_seq++;
		e->window = w;
		e->first_us = e->last_us = f->ts_us;
		e->count = e->rows_returned = e->rows_affected = 0;
		e->max_rows = e->bytes = e->duration_us = 0;
		TAILQ_INSERT_TAIL(&a->pend, e, pend);
	}
	e->count++;
	add_sat(&e->rows_returned, f->rows_returned);
	add_sat(&e->rows_affected, f->rows_affected);
	add_sat(&e->bytes, f->bytes);
	add_sat(&e->duration_us, f->duration_us);
	if (f->rows_returned > e->max_rows)
		e->max_rows = f->rows_returned;
	if (f->ts_us < e->first_us)
		e->first_us = f->ts_us;
	if (f->ts_us > e->last_us)
		e->last_us = f->ts_us;
	a->st.folded++;
	return 1;
}

/* The next string of a key, from *p. */
static const char *
key_next(const char **p)
{
	const char *s = *p;

	*p += strlen(s) + 1;
	return s;
}

/* e's aggregate handed to the emit function as an event's fields (it
 * builds the event with db.c's builder); e is no longer pending. */
static void
ent_flush(struct agg *a, struct agg_ent *e)
{
	struct db_qfields f;
	const char *p = e->key, *tables[SQLNORM_MAX_TABLES];
	size_t i;

	TAILQ_REMOVE(&a->pend, e, pend);
	e->pending = 0;
	memset(&f, 0, sizeof(f));
	f.db_system = key_next(&p);
	f.server = key_next(&p);
	f.client = key_next(&p);
	f.session_id = key_next(&p);
	f.db_user = key_next(&p);
	f.database = key_next(&p);
	f.app_name = key_next(&p);
	f.end_user = key_next(&p);
	f.command = key_next(&p);
	f.fingerprint = key_next(&p);
	f.error = strcmp(key_next(&p), "error") == 0;
	f.error_code = key_next(&p);
	f.source = key_next(&p);
	for (i = 0; i < e->ntables && i < SQLNORM_MAX_TABLES; i++)
		tables[i] = key_next(&p);
	f.tables = (char *const *)(void *)tables;
	f.ntables = i;
	f.statement = e->statement;
	if (f.statement == NULL)
		f.fingerprint = NULL;
	f.ts_us = e->last_us;
	f.first_us = e->first_us;
	/* One statement is written as its own event: no count. */
	f.count = e->count > 1 ? e->count : 0;
	f.rows_returned = e->rows_returned;
	f.rows_affected = e->rows_affected;
	f.max_rows = e->max_rows;
	f.bytes = e->bytes;
	f.duration_us = e->duration_us;
	a->st.events++;
	a->emit(a->arg, &f);
}

/*
 * The clock moved to now: every aggregate of a window that ended by now
 * goes out, in the order their first statements came. Cheap when the
 * clock stays within the window it was in.
 */
void
agg_clock(struct agg *a, int64_t now_us)
{
	struct agg_ent *e, *next;
	int64_t w;

	if (a == NULL || now_us < a->next_edge)
		return;
	w = (now_us > 0 ? now_us : 0) / a->iv_us;
	a->next_edge = (w + 1) * a->iv_us;
	for (e = TAILQ_FIRST(&a->pend); e != NULL; e = next) {
		next = TAILQ_NEXT(e, pend);
		if (e->window < w)
			ent_flush(a, e);
	}
}

static int
by_pend_seq(const void *x, const void *y)
{
	const struct agg_ent *a = *(const struct agg_ent *const *)x;
	const struct agg_ent *b = *(const struct agg_ent *const *)y;

	return a->pend_seq < b->pend_seq ? -1 : a->pend_seq > b->pend_seq;
}

void
agg_session_end(struct agg *a, const char *db_system, const char *server,
    const char *client, const char *session_id)
{
	struct db_qfields f;
	struct agg_sess *s;
	struct agg_ent *e, **v;
	size_t slen, n = 0, i;
	uint64_t h;

	if (a == NULL)
		return;
	memset(&f, 0, sizeof(f));
	f.db_system = db_system;
	f.server = server;
	f.client = client;
	f.session_id = session_id;
	(void)key_build(a, &f, &slen);
	h = hash_mix64_bytes(a->hkey, a->kbuf, slen);
	for (s = a->shash[h & (a->nbuckets - 1)]; s != NULL; s = s->hnext)
		if (s->hash == h && s->keylen == slen &&
		    memcmp(s->key, a->kbuf, slen) == 0)
			break;
	if (s == NULL)
		return;
	/* Its pending aggregates in the order they began, then the rest. */
	v = xreallocarray(NULL, s->n, sizeof(*v));
	TAILQ_FOREACH(e, &s->ents, sesslink)
		if (e->pending)
			v[n++] = e;
	qsort(v, n, sizeof(*v), by_pend_seq);
	for (i = 0; i < n; i++)
		ent_flush(a, v[i]);
	free(v);
	/* ent_drop() frees s with its last key. */
	while (s->n > 1)
		ent_drop(a, TAILQ_FIRST(&s->ents));
	ent_drop(a, TAILQ_FIRST(&s->ents));
}

void
agg_flush(struct agg *a)
{
	if (a == NULL)
		return;
	while (!TAILQ_EMPTY(&a->pend))
		ent_flush(a, TAILQ_FIRST(&a->pend));
}

void
agg_stats(const struct agg *a, struct agg_stats *st)
{
	if (a == NULL) {
		memset(st, 0, sizeof(*st));
		return;
	}
	*st = a->st;
}

void
agg_free(struct agg *a)
{
	if (a == NULL)
		return;
	agg_flush(a);
	/*
	 * ent_drop() frees the head after TAILQ_REMOVE, which moves the
	 * head through its tqe_prev; clang's analyzer does not follow that
	 * and reports a use after free here, a false positive (as in
	 * db_close_all(), agent/db.c).
	 */
	/* NOLINTBEGIN(clang-analyzer-unix.Malloc) */
	while (!TAILQ_EMPTY(&a->lru))
		ent_drop(a, TAILQ_FIRST(&a->lru));
	/* NOLINTEND(clang-analyzer-unix.Malloc) */
	free(a->hash);
	free(a->shash);
	free(a->kbuf);
	free(a);
}
