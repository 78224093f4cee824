/*
 * Baselines: what is normal for one employee (and for their peer group),
 * per feature, learnt online in O(1) state. Each "slot" is an EWMA of
 * log1p(value) with its variance: log scale because volumes are heavy
 * tailed (a report of 10,000 rows is not 100 times stranger than one of
 * 100); robust because an update further than 3 standard deviations from
 * the mean is clipped to that distance, so one bulk job moves the
 * baseline a little, not a lot; and scored with a variance floor, so an
 * employee who does exactly the same every day does not turn a small
 * wobble into a huge z. Slots are per time of week: weekday or weekend x
 * four six-hour bands for hours, weekday or weekend for days (a holiday
 * counts as a weekend). The state persists in SQLite (an_entities,
 * an_peers) as a tagged image (state.c), so a restart - or a second
 * replay into the same database, or an upgrade - carries on where the
 * last one stopped; the raw structs older versions saved are converted
 * (state-compat.c).
 *
 * Deciding when to learn (not from alerted buckets, not while drift is
 * raised) is detect.c's and analytics.c's business; this file does the
 * arithmetic and the storage.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "analytics.h"
#include "leakwatch/log.h"
#include "leakwatch/xmalloc.h"

#define CLIP_SD		3.0

/* The typical value: exp of the mean log, about the median. */
double
slot_typical(const struct slot *s)
{
	return s->n > 0 ? expm1(s->m) : 0;
}

/* The values 2 sd below and above the slot's mean, back on the raw scale. */
void
slot_band(const struct slot *s, double floor, double *lo, double *hi)
{
	double sd = sqrt(s->v);

	if (sd < floor)
		sd = floor;
	*lo = s->n > 0 ? expm1(s->m - 2 * sd) : 0;
	*hi = s->n > 0 ? expm1(s->m + 2 * sd) : 0;
	if (*lo < 0)
		*lo = 0;
}

double
slot_z(const struct slot *s, double x, double floor)
{
	double sd = sqrt(s->v);

	if (sd < floor)
		sd = floor;
	if (x < 0)
		x = 0;
	return (log1p(x) - s->m) / sd;
}

/*
 * One update. The first few updates average (1/(n+1)) so the mean does
 * not start biased towards the first value; after that alpha rules, an
 * effective memory of about 2/alpha updates.
 */
void
slot_learn(struct slot *s, double x, double alpha, double floor)
{
	slot_learn_log(s, log1p(x < 0 ? 0 : x), alpha, floor);
}

/* The same for a value already on the log scale (a log ratio). */
void
slot_learn_log(struct slot *s, double lx, double alpha, double floor)
{
	double sd, a, d;

	if (s->n == 0) {
		s->m = lx;
		s->v = floor * floor;
		s->n = 1;
		return;
	}
	sd = sqrt(s->v);
	if (sd < floor)
		sd = floor;
	if (s->n >= 3) {
		if (lx > s->m + CLIP_SD * sd)
			lx = s->m + CLIP_SD * sd;
		else if (lx < s->m - CLIP_SD * sd)
			lx = s->m - CLIP_SD * sd;
	}
	a = 1.0 / (double)(s->n + 1);
	if (a < alpha)
		a = alpha;
	d = lx - s->m;
	s->m += a * d;
	s->v = (1 - a) * (s->v + a * d * d);
	if (s->n < UINT32_MAX)
		s->n++;
}

int
baseline_hour_slot(int wday, int hour, int holiday)
{
	int weekend = holiday || wday == 0 || wday == 6;

	return (weekend ? 4 : 0) + (hour / 6) % 4;
}

int
baseline_day_slot(int wday, int holiday)
{
	return (holiday || wday == 0 || wday == 6) ? 1 : 0;
}

void
baseline_init(struct entity_state *s)
{
	memset(s, 0, sizeof(*s));
	s->last_day = -1;
}

static int
exec_blob(struct analytics *an, const char *sql, const char *key,
    const void *blob, size_t len)
{
	sqlite3_stmt *st;
	int rc;

	if (an->db == NULL)
		return 0;
	if (sqlite3_prepare_v2(an->db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("baseline: %s", sqlite3_errmsg(an->db));
		return -1;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, blob, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_warnx("baseline: saving %s: %s", key,
		    sqlite3_errmsg(an->db));
		return -1;
	}
	return 0;
}

/* A copy of the blob saved under key (xmalloc'd), or NULL if none. */
static uint8_t *
fetch_blob(struct analytics *an, const char *sql, const char *key,
    size_t *len)
{
	sqlite3_stmt *st;
	uint8_t *blob = NULL;
	int n;

	if (an->db == NULL || sqlite3_prepare_v2(an->db, sql, -1, &st,
	    NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    (n = sqlite3_column_bytes(st, 0)) > 0) {
		blob = xmalloc((size_t)n);
		memcpy(blob, sqlite3_column_blob(st, 0), (size_t)n);
		*len = (size_t)n;
	}
	sqlite3_finalize(st);
	return blob;
}

/*
 * What loading one image found, told once per pipeline for what is the
 * same for every person (an older layout, sections this version does not
 * know) and once per person for a refused image (it is loaded once).
 */
#define LOGGED_OLD_E	0x1
#define LOGGED_OLD_P	0x2
#define LOGGED_UNKNOWN	0x4

static void
load_told(struct analytics *an, const char *what, const char *key, int rc,
    const struct state_result *r)
{
	unsigned bit = strcmp(what, "person") == 0 ? LOGGED_OLD_E :
	    LOGGED_OLD_P;

	if (rc != 0) {
		log_warnx("baseline: the saved state of %s %s is refused "
		    "(%s): it starts again", what, key, r->error);
		return;
	}
	if (r->layout != NULL && !(an->state_logged & bit)) {
		an->state_logged |= bit;
		log_info("baseline: %s state of an older layout (%s): "
		    "converted, kept", what, r->layout);
	}
	if (r->unknown > 0 && !(an->state_logged & LOGGED_UNKNOWN)) {
		an->state_logged |= LOGGED_UNKNOWN;
		log_info("baseline: the saved state of %s %s has %u sections "
		    "this version does not know (a newer version's, or a "
		    "class no longer configured): skipped", what, key,
		    r->unknown);
	}
}

int
baseline_save(struct analytics *an, struct entity *e)
{
	uint8_t *im;
	size_t len;
	int rc;

	e->dirty = 0;
	if (an->db == NULL)
		return 0;
	im = state_entity_encode(&e->s, an->sens, &len);
	rc = exec_blob(an, "INSERT OR REPLACE INTO an_entities (entity, "
	    "state) VALUES (?, ?)", e->id, im, len);
	free(im);
	return rc;
}

/* The saved state of e and the names it has seen; 0 if there was one. */
int
baseline_load(struct analytics *an, struct entity *e)
{
	struct state_result r;
	sqlite3_stmt *st;
	uint8_t *im;
	size_t len = 0;
	int rc;

	if (an->db != NULL && sqlite3_prepare_v2(an->db, "SELECT key FROM "
	    "an_seen WHERE entity = ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, e->id, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW)
			hmap_put(e->seen, (const char *)sqlite3_column_text(st,
			    0), (void *)1);
		sqlite3_finalize(st);
	}
	if ((im = fetch_blob(an, "SELECT state FROM an_entities WHERE "
	    "entity = ?", e->id, &len)) == NULL)
		return -1;
	if (state_is_image(im, len))
		rc = state_entity_decode(&e->s, an->sens, im, len, &r);
	else
		rc = compat_entity(&e->s, im, len, &r);
	free(im);
	load_told(an, "person", e->id, rc, &r);
	return rc;
}

int
baseline_save_peer(struct analytics *an, struct peer *p)
{
	uint8_t *im;
	size_t len;
	int rc;

	if (an->db == NULL)
		return 0;
	im = state_peer_encode(p, an->sens, &len);
	rc = exec_blob(an, "INSERT OR REPLACE INTO an_peers (grp, state) "
	    "VALUES (?, ?)", p->name, im, len);
	free(im);
	return rc;
}

int
baseline_load_peer(struct analytics *an, struct peer *p)
{
	struct state_result r;
	sqlite3_stmt *st;
	uint8_t *im;
	size_t len = 0;
	int rc = -1;

	if ((im = fetch_blob(an, "SELECT state FROM an_peers WHERE grp = ?",
	    p->name, &len)) != NULL) {
		if (state_is_image(im, len))
			rc = state_peer_decode(p, an->sens, im, len, &r);
		else
			rc = compat_peer(p, im, len, &r);
		free(im);
		load_told(an, "peer group", p->name, rc, &r);
	}
	if (an->db != NULL && sqlite3_prepare_v2(an->db, "SELECT key, "
	    "count(*) FROM an_seen WHERE grp = ? GROUP BY key", -1, &st,
	    NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW)
			hmap_put(p->tables, (const char *)
			    sqlite3_column_text(st, 0), (void *)(intptr_t)
			    sqlite3_column_int(st, 1));
		sqlite3_finalize(st);
	}
	return rc;
}
