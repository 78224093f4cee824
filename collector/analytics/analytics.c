/*
 * The analytics pipeline and its clock. Every stored db.query, db.session
 * and net.flow event comes here (live, scorer.c reads them back from the
 * store on its own thread and calls analytics_event_row(); in --replay,
 * ingest.c calls analytics_event() right after storing): it is resolved
 * to an employee (identity.c) and that employee's entity (entities.c),
 * its features are added to the entity's open hour and day (features.c),
 * and the event rules run (rules-eval.c). Time is event time, in the
 * local days and hours of calendar.c: the newest event's hour is the
 * open hour, and when an event of a later hour arrives every open hour
 * bucket closes (hour rules, hour learning), and at a new local day every
 * day bucket closes (detectors, day rules, day learning, state saved).
 * An event older than the open hour - an agent catching up after an
 * outage - counts in the open buckets. --replay feeds events in time
 * order (replay_sorted() sorts a file that is not) and analytics_flush()
 * closes the last hour and day at the end.
 *
 * The state lives in the collector's SQLite database, in tables of its
 * schema (collector/schema.c, docs/schema.md, created by the store before
 * the analytics start): an_entities and an_peers (baselines), an_seen
 * (first-seen names), an_meta (the clock), alerts and risk. Writes join
 * the open transaction - the scorer's batch live, the store's in a
 * replay - so they commit with what they account for.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "analytics.h"
#include "../config.h"
#include "../schema.h"
#include "../siem/siem.h"
#include "leakwatch/event.h"
#include "leakwatch/event-view.h"
#include "leakwatch/log.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define ANALYTICS_GRACE_US (5LL * 60 * 1000000)	/* for late events */

/* Loads what the config names; shared by -t and start-up. */
static int
load_parts(const struct collector_config *cfg, struct directory **dir,
    struct sensitivity **sens, struct ruleset **rules, struct hmap **hol,
    long long *offset, int strict, char *err, size_t errlen)
{
	size_t i;
	int bad;

	*dir = NULL;
	*sens = sensitivity_new();
	*rules = NULL;
	*hol = hmap_new();
	if (calendar_offset(cfg->utc_offset, offset) != 0) {
		snprintf(err, errlen, "utc-offset: expected +HH:MM or -HH:MM");
		return -1;
	}
	for (i = 0; i < cfg->sensitive.n; i++)
		if (sensitivity_add(*sens, cfg->sensitive.v[i], err,
		    errlen) != 0)
			return -1;
	if (calendar_holidays(*hol, &cfg->holidays, err, errlen) != 0)
		return -1;
	if (cfg->directory != NULL) {
		*dir = directory_new();
		if ((bad = directory_load(*dir, cfg->directory, err,
		    errlen)) < 0)
			return -1;
		if (bad > 0 && strict) {
			snprintf(err, errlen, "%s: %d bad lines (see above)",
			    cfg->directory, bad);
			return -1;
		}
		for (i = 0; i < cfg->dhcp_leases.n; i++)
			if (directory_add_leases(*dir, cfg->dhcp_leases.v[i],
			    err, errlen) != 0)
				return -1;
	} else if (cfg->dhcp_leases.n > 0) {
		snprintf(err, errlen, "dhcp-leases needs directory");
		return -1;
	}
	if (cfg->rules != NULL) {
		*rules = rules_new();
		if (rules_load_dir(*rules, cfg->rules, *sens, err,
		    errlen) != 0)
			return -1;
	}
	return 0;
}

/*
 * Start-up and -t: every analytics file loads. strict (-t): a directory
 * with bad lines fails too; at start-up they are logged and skipped.
 */
int
analytics_check(const struct collector_config *cfg, int strict, char *err,
    size_t errlen)
{
	struct directory *dir;
	struct sensitivity *sens;
	struct ruleset *rules;
	struct hmap *hol;
	long long off;
	int rc;

	rc = load_parts(cfg, &dir, &sens, &rules, &hol, &off, strict, err,
	    errlen);
	if (rc == 0 && strict && (cfg->directory != NULL ||
	    cfg->rules != NULL))
		fprintf(stderr, "leakwatch-collector: analytics: %zu "
		    "directory entries, %d sensitivity classes, %zu rules"
		    "%s%s\n",
		    directory_count(dir), sensitivity_nclasses(sens),
		    rules_count(rules), cfg->rules != NULL ? " from " : "",
		    cfg->rules != NULL ? cfg->rules : "");
	directory_free(dir);
	sensitivity_free(sens);
	rules_free(rules);
	hmap_free(hol, NULL);
	return rc;
}

static int64_t
meta_get(struct analytics *an, const char *key)
{
	sqlite3_stmt *st;

	if (an->db == NULL || sqlite3_prepare_v2(an->db, "SELECT value FROM "
	    "an_meta WHERE key = ?", -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	return schema_int64(st, 0);
}

static void
meta_put(struct analytics *an, const char *key, int64_t v)
{
	sqlite3_stmt *st;

	if (an->db == NULL || sqlite3_prepare_v2(an->db, "INSERT OR REPLACE "
	    "INTO an_meta (key, value) VALUES (?, ?)", -1, &st,
	    NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	schema_write(an->db, st, "analytics");
}

struct analytics *
analytics_new(const struct collector_config *cfg, struct sqlite3 *db,
    FILE *out, int replay, char *err, size_t errlen)
{
	struct analytics *an = xcalloc(1, sizeof(*an));
	long long off;

	an->db = db;
	an->out = out;
	an->p.replay = replay;
	an->p.half_life_ms = cfg->risk_half_life;
	an->p.rule_cap = cfg->risk_rule_cap;
	an->p.min_days = cfg->baseline_min_days;
	an->p.first_seen_bytes = cfg->first_seen_bytes;
	an->entities = hmap_new();
	an->peers = hmap_new();
	an->flows = hmap_new();
	if (load_parts(cfg, &an->dir, &an->sens, &an->rules, &an->holidays,
	    &off, 0, err, errlen) != 0) {
		analytics_free(an);
		return NULL;
	}
	an->p.utc_offset_min = off;
	if (an->rules == NULL)
		log_warnx("analytics: no rules (set rules or --rules DIR): "
		    "nothing will alert");
	views_employees(db, an->dir);
	an->alerts = alerts_new(an);
	an->cases = cases_new();
	an->p.forward_alerts = cfg->forward_alerts;
	an->clock = meta_get(an, "clock");
	return an;
}

/*
 * SIGHUP: re-read the directory, the lease files and the rules (the
 * same paths as at start). On any error everything old stays. Rule
 * state (aggregate windows, sequences) starts afresh; baselines are
 * kept; the people's names, teams, roles and dates are the new file's.
 * Sensitivity classes and holidays need a restart: baselines are
 * indexed by class.
 */
int
analytics_reload(struct analytics *an, const struct collector_config *cfg)
{
	struct directory *dir;
	struct sensitivity *sens;
	struct ruleset *rules = NULL;
	const struct person *p;
	struct entity *e;
	struct hmap *hol;
	size_t it = 0;
	void *val;
	char err[512];
	long long off;

	if (load_parts(cfg, &dir, &sens, &rules, &hol, &off, 0, err,
	    sizeof(err)) != 0)
		goto fail;
	if (cfg->rules != NULL) {
		/* the features are the running classes', not the file's */
		rules_free(rules);
		rules = rules_new();
		if (rules_load_dir(rules, cfg->rules, an->sens, err,
		    sizeof(err)) != 0)
			goto fail;
	}
	sensitivity_free(sens);
	hmap_free(hol, NULL);
	while (hmap_next(an->entities, &it, NULL, &val)) {
		e = val;
		rules_entity_free(an->rules, e);
		/* one no longer listed keeps what it had */
		if (e->known && (p = directory_find(dir, e->id)) != NULL)
			entity_set_person(an, e, p);
	}
	directory_free(an->dir);
	an->dir = dir;
	views_employees(an->db, an->dir);
	rules_free(an->rules);
	an->rules = rules;
	log_info("SIGHUP: %zu directory entries, %zu rules",
	    directory_count(an->dir), rules_count(an->rules));
	return 0;
fail:
	log_warnx("SIGHUP: keeping the old directory and rules: %s", err);
	directory_free(dir);
	sensitivity_free(sens);
	rules_free(rules);
	hmap_free(hol, NULL);
	return -1;
}

static void
close_hour(struct analytics *an)
{
	struct entity **v, *e;
	size_t n, i;

	v = entities_active(an, 0, &n);
	detect_hour_close(an, v, n);
	for (i = 0; i < n; i++) {
		e = v[i];
		rules_bucket(an, e, PER_HOUR, an->hour_open);
		detect_hour_learn(an, e);
		memset(e->hv, 0, sizeof(e->hv));
		e->nhtab = 0;
		e->active_hour = 0;
		e->alerted_hour = 0;
	}
	free(v);
}

/*
 * The open day ends: detectors, day rules, readers' tables, learning,
 * state saved. -1 when the detectors could not run (detect_day_close()
 * logged why): nothing of the day has been touched then, and it stays
 * open to be closed again.
 */
static int
close_day(struct analytics *an)
{
	struct entity **v, *e;
	size_t n, i, it = 0;
	int64_t start = calendar_day_start(an, an->day_open);
	void *val;

	v = entities_active(an, 1, &n);
	if (detect_day_close(an, v, n, an->day_open) != 0) {
		free(v);
		return -1;
	}
	cases_hold(an);		/* the day's alerts, for group cases */
	for (i = 0; i < n; i++)
		rules_bucket(an, v[i], PER_DAY, start);
	cases_release(an, start);
	for (i = 0; i < n; i++) {
		e = v[i];
		views_day(an, an->db, e, start);
		detect_day_learn(an, e, an->day_open);
		baseline_save(an, e);
		features_day_reset(e);
		e->day_hours = 0;
	}
	while (hmap_next(an->peers, &it, NULL, &val))
		baseline_save_peer(an, val);
	meta_put(an, "clock", an->clock);
	free(v);
	return 0;
}

/*
 * Every stored event's employee (event_identity, keyed by events.id):
 * one insert per event on a statement prepared once.
 */
static void
record_identity(struct analytics *an, int64_t rowid,
    const struct identity *id)
{
	sqlite3_stmt *st = an->ident_st;

	if (st == NULL && sqlite3_prepare_v3(an->db, "INSERT OR REPLACE "
	    "INTO event_identity (event_id, employee, via, mismatch) VALUES "
	    "(?, ?, ?, ?)", -1, SQLITE_PREPARE_PERSISTENT, &an->ident_st,
	    NULL) != SQLITE_OK) {
		log_warnx("analytics: %s", sqlite3_errmsg(an->db));
		return;
	}
	st = an->ident_st;
	sqlite3_bind_int64(st, 1, rowid);
	sqlite3_bind_text(st, 2, id->employee, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, id->via, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, id->mismatch);
	if (sqlite3_step(st) != SQLITE_DONE)
		log_warnx("analytics: event_identity: %s",
		    sqlite3_errmsg(an->db));
	sqlite3_reset(st);
}

/*
 * Moves the clock to ts, closing the buckets it leaves behind. -1 when
 * the open day could not be closed: the hour moves on but the day stays
 * open, its close tried again when the next hour ends; the events in
 * between count in it, as late events count in the open buckets. A
 * replay stops at the error instead (ingest.c).
 */
static int
advance(struct analytics *an, int64_t ts)
{
	int64_t h = calendar_hour_start(ts), d;

	if (ts > an->clock)
		an->clock = ts;
	if (an->hour_open == 0) {
		an->hour_open = h;
		an->day_open = calendar_day(an, ts);
		meta_put(an, "day_open", an->day_open);
		return 0;
	}
	if (h <= an->hour_open)
		return 0;
	close_hour(an);
	d = calendar_day(an, ts);
	if (d != an->day_open) {
		if (close_day(an) != 0) {
			if (!an->p.replay)
				log_warnx("analytics: day %lld stays open; "
				    "closing it is tried again at the next "
				    "hour", (long long)an->day_open);
			an->hour_open = h;
			return -1;
		}
		an->day_open = d;
		meta_put(an, "day_open", an->day_open);
	}
	an->hour_open = h;
	return 0;
}

/*
 * After a live restart the open day's counts are gone with the process;
 * scorer.c feeds that day's already scored events through again with
 * this on: features, baselines and the rules' state (windows, open
 * sequences, which buckets alerted) as before, but no alerts, no
 * identity rows and nothing forwarded - those were done the first time.
 * Returns the start of the day to re-count (0: none, a fresh database).
 */
int64_t
analytics_warm(struct analytics *an, int on)
{
	int64_t d;

	an->warming = on;
	if (!on || (d = meta_get(an, "day_open")) == 0)
		return 0;
	return calendar_day_start(an, d);
}

/*
 * Scores one stored event. ev->obj may be NULL when the store took the
 * validated bytes without a DOM (ingest.c's fast path); raw then holds
 * them. Only db.query, db.session and net.flow are scored. -1 when the
 * event cannot be read (it is not scored), or when the day it ended
 * could not be closed (the event still counts, in the open day; see
 * advance()).
 */
int
analytics_event(struct analytics *an, const struct lw_event *ev,
    const char *raw, size_t rawlen)
{
	/* the store just inserted the event: this is its id */
	return analytics_event_row(an, ev, raw, rawlen, an != NULL &&
	    an->db != NULL ? sqlite3_last_insert_rowid(an->db) : 0);
}

/* The same for an event read back from the store (scorer.c). */
int
analytics_event_row(struct analytics *an, const struct lw_event *ev,
    const char *raw, size_t rawlen, int64_t rowid)
{
	struct lw_event tmp;
	struct evctx c;
	json_t *own = NULL;
	int64_t ts = ev->ts_us;
	int rc = 0;

	if (an == NULL || (ev->type != EVENT_DB_QUERY &&
	    ev->type != EVENT_DB_SESSION && ev->type != EVENT_NET_FLOW))
		return 0;
	if (ev->obj == NULL && ev->view == NULL) {
		if (raw == NULL || (own = json_loadb(raw, rawlen, 0,
		    NULL)) == NULL)
			return -1;
		tmp = *ev;
		tmp.obj = own;
		ev = &tmp;
	}
	/*
	 * Live, an agent whose clock runs ahead must not close everyone's
	 * buckets early: its event counts in the open ones.
	 */
	if (an->p.replay || ts <= now_us() + HOUR_US)
		rc = advance(an, ts);
	directory_refresh(an->dir);
	memset(&c, 0, sizeof(c));
	c.ev = ev;
	identity_resolve(an->dir, ev, &c.id);
	c.ent = entity_get(an, c.id.employee, c.id.person);
	if (rowid > 0 && !an->warming)
		record_identity(an, rowid, &c.id);
	if (!an->warming &&
	    fwd_event_wanted(an->fwd, lw_event_type_name(ev->type)))
		fwd_event(an->fwd, lw_event_dom(ev), c.id.employee);
	c.hour = calendar_hour(an, ts);
	c.wday = calendar_wday(calendar_day(an, ts));
	if (features_event(an, &c) == 0) {
		c.ent->day_hours |= 1u << c.hour;
		rules_event(an, &c);
	}
	an->events++;
	json_decref(own);
	return rc;
}

/*
 * Live only, from a timer: when the wall clock has passed the open hour
 * by the grace period and no event moved the clock, close the buckets
 * anyway, so a quiet night does not hold back the day's alerts until
 * morning. An event that arrives later for a closed hour counts in the
 * open one, as any late event does. A day that cannot be closed stays
 * open (advance() says so) and the next tick tries again. Not while
 * events stored are waiting to be scored (backlog): they move the clock
 * themselves, and a backlog of past days - a collector given a month of
 * history, agents draining their spools after an outage - must close its
 * own days as it is scored, not be swept into today's buckets, where its
 * day rules would never see it.
 */
void
analytics_tick(struct analytics *an, int64_t now, int backlog)
{
	int began;

	if (an != NULL && !an->p.replay)
		cases_tick(an);
	if (an == NULL || an->p.replay || an->hour_open == 0 || backlog ||
	    now - ANALYTICS_GRACE_US < an->hour_open + HOUR_US)
		return;
	began = analytics_db_begin(an);
	advance(an, now - ANALYTICS_GRACE_US);
	analytics_db_end(an, began);
}

/* BEGIN unless a transaction (the store's) is open; 1 if we began. */
int
analytics_db_begin(struct analytics *an)
{
	if (an->db == NULL || !sqlite3_get_autocommit(an->db))
		return 0;
	return sqlite3_exec(an->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
}

int
analytics_db_end(struct analytics *an, int began)
{
	if (!began)
		return 0;
	if (sqlite3_exec(an->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		log_warnx("analytics: commit: %s", sqlite3_errmsg(an->db));
		return -1;
	}
	return 0;
}

/* End of a replay (or shutdown): close the open hour and day, save. */
int
analytics_flush(struct analytics *an)
{
	int began;

	if (an == NULL)
		return 0;
	began = analytics_db_begin(an);
	if (an->hour_open != 0) {
		close_hour(an);
		if (close_day(an) != 0) {
			/* the day stays open: day_open is not cleared */
			analytics_db_end(an, began);
			return -1;
		}
		an->hour_open = 0;
	}
	meta_put(an, "day_open", 0);	/* closed: nothing to count again */
	meta_put(an, "clock", an->clock);
	return analytics_db_end(an, began);
}

void
analytics_free(struct analytics *an)
{
	size_t it = 0;
	void *val;

	if (an == NULL)
		return;
	sqlite3_finalize(an->ident_st);
	while (hmap_next(an->entities, &it, NULL, &val)) {
		/* what the features and the rules hang on it, then itself */
		features_day_reset(val);
		rules_entity_free(an->rules, val);
		entity_free(val);
	}
	hmap_free(an->entities, NULL);
	hmap_free(an->peers, peer_free);
	hmap_free(an->flows, free);
	hmap_free(an->holidays, NULL);
	directory_free(an->dir);
	sensitivity_free(an->sens);
	rules_free(an->rules);
	alerts_free(an->alerts);
	cases_free(an->cases);
	free(an);
}

/* ---- replay in time order ---- */

/* The `ts` of one JSON line, found without a full parse. */
static int64_t
line_ts(const char *s, size_t len)
{
	const char *p = s, *end = s + len, *q;
	char buf[40];
	int64_t us;

	while ((p = memmem(p, (size_t)(end - p), "\"ts\"", 4)) != NULL) {
		q = p + 4;
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (q < end && *q == ':') {
			q++;
			while (q < end && (*q == ' ' || *q == '\t'))
				q++;
			if (q < end && *q == '"') {
				const char *e = memchr(q + 1, '"',
				    (size_t)(end - q - 1));

				if (e != NULL && (size_t)(e - q - 1) <
				    sizeof(buf)) {
					memcpy(buf, q + 1, (size_t)(e - q - 1));
					buf[e - q - 1] = '\0';
					if (ts_parse(buf, &us) == 0)
						return us;
				}
			}
			break;
		}
		p += 4;
	}
	return INT64_MIN;
}

struct line_ix {
	int64_t		 ts;
	off_t		 off;
	size_t		 len;
};

static int
cmp_line(const void *a, const void *b)
{
	const struct line_ix *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

static FILE *
tmpfile_named(char *tmp, size_t tmplen)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(tmp, tmplen, "%s/lwreplay.XXXXXX", dir && *dir ? dir :
	    "/tmp");
	if ((fd = mkstemp(tmp)) == -1)
		return NULL;
	return fdopen(fd, "w+");
}

/*
 * Returns a path whose events are in time order (ties keep file order):
 * path itself when it already is, else a sorted copy in a temporary file
 * named in tmp (the caller unlinks it; tmp is "" when none was made).
 * Memory: one index entry (24 bytes) per line, only when sorting.
 */
const char *
replay_sorted(const char *path, char *tmp, size_t tmplen, char *err,
    size_t errlen)
{
	FILE *in, *out;
	char *line = NULL;
	size_t cap = 0, n = 0, ncap = 0, i;
	ssize_t len;
	int64_t ts, last = INT64_MIN;
	int sorted = 1;
	struct line_ix *ix = NULL;
	off_t off = 0;

	tmp[0] = '\0';
	if (strcmp(path, "-") == 0) {
		/* stdin: keep a copy, so it can be read twice */
		if ((in = tmpfile_named(tmp, tmplen)) == NULL) {
			snprintf(err, errlen, "temporary file: %s",
			    strerror(errno));
			tmp[0] = '\0';
			return NULL;
		}
		while ((len = getline(&line, &cap, stdin)) != -1)
			fwrite(line, 1, (size_t)len, in);
		rewind(in);
	} else if ((in = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	while (sorted && (len = getline(&line, &cap, in)) != -1) {
		ts = line_ts(line, (size_t)len);
		if (ts < last)
			sorted = 0;
		last = ts;
	}
	if (sorted) {
		free(line);
		fclose(in);
		return tmp[0] != '\0' ? tmp : path;
	}
	rewind(in);
	while ((len = getline(&line, &cap, in)) != -1) {
		if (n == ncap) {
			ncap = ncap ? ncap * 2 : 65536;
			ix = xreallocarray(ix, ncap, sizeof(*ix));
		}
		ix[n].ts = line_ts(line, (size_t)len);
		ix[n].off = off;
		ix[n].len = (size_t)len;
		n++;
		off += len;
	}
	if (n > 1)	/* qsort's base must not be NULL, even for 0 */
		qsort(ix, n, sizeof(*ix), cmp_line);
	if (tmp[0] != '\0')
		unlink(tmp);	/* the stdin copy stays open */
	if ((out = tmpfile_named(tmp, tmplen)) == NULL) {
		snprintf(err, errlen, "temporary file: %s", strerror(errno));
		free(ix);
		free(line);
		fclose(in);
		tmp[0] = '\0';
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (ix[i].len > cap) {
			cap = ix[i].len;
			line = xreallocarray(line, cap, 1);
		}
		if (fseeko(in, ix[i].off, SEEK_SET) != 0 ||
		    fread(line, 1, ix[i].len, in) != ix[i].len)
			break;
		fwrite(line, 1, ix[i].len, out);
		if (line[ix[i].len - 1] != '\n')
			fputc('\n', out);
	}
	free(ix);
	free(line);
	fclose(in);
	if (fclose(out) != 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		unlink(tmp);
		tmp[0] = '\0';
		return NULL;
	}
	return tmp;
}
