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
 * an_peers) as a versioned binary image, so a restart - or a second
 * replay into the same database - carries on where the last one stopped;
 * an image of another layout is ignored and the baseline starts again.
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

#define STATE_MAGIC	0x4c574234u	/* "LWB4": with the active-day masks */
#define PEER_MAGIC	0x4c575033u	/* "LWP3": with the hours' reads */
#define CLIP_SD		3.0

/* The state image of a peer group (an_peers.state). */
struct peer_image {
	uint32_t	 magic;
	uint32_t	 size;
	struct slot	 hour[FT_MAX][HOUR_SLOTS];
	struct slot	 day[FT_MAX][DAY_SLOTS];
	double		 act[24];
	double		 act_days;
	double		 el_k[FT_MAX];
	double		 el_n[FT_MAX];
	struct slot	 hpull[DAY_SLOTS][24];
	double		 hpull_k[DAY_SLOTS][24];
	double		 hpull_n[DAY_SLOTS];
};

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
	s->magic = STATE_MAGIC;
	s->size = sizeof(*s);
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

/* Reads a blob of exactly len bytes; 0 found, -1 not (or other size). */
static int
load_blob(struct analytics *an, const char *sql, const char *key, void *out,
    size_t len)
{
	sqlite3_stmt *st;
	int rc = -1;

	if (an->db == NULL || sqlite3_prepare_v2(an->db, sql, -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    (size_t)sqlite3_column_bytes(st, 0) == len) {
		memcpy(out, sqlite3_column_blob(st, 0), len);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

int
baseline_save(struct analytics *an, struct entity *e)
{
	e->dirty = 0;
	return exec_blob(an, "INSERT OR REPLACE INTO an_entities (entity, "
	    "state) VALUES (?, ?)", e->id, &e->s, sizeof(e->s));
}

/* The saved state of e and the names it has seen; 0 if there was one. */
int
baseline_load(struct analytics *an, struct entity *e)
{
	struct entity_state s;
	sqlite3_stmt *st;

	if (an->db != NULL && sqlite3_prepare_v2(an->db, "SELECT key FROM "
	    "an_seen WHERE entity = ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, e->id, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW)
			hmap_put(e->seen, (const char *)sqlite3_column_text(st,
			    0), (void *)1);
		sqlite3_finalize(st);
	}
	if (load_blob(an, "SELECT state FROM an_entities WHERE entity = ?",
	    e->id, &s, sizeof(s)) != 0 || s.magic != STATE_MAGIC ||
	    s.size != sizeof(s))
		return -1;
	e->s = s;
	return 0;
}

int
baseline_save_peer(struct analytics *an, struct peer *p)
{
	struct peer_image *im = calloc(1, sizeof(*im));
	int rc;

	if (im == NULL)
		return -1;
	im->magic = PEER_MAGIC;
	im->size = sizeof(*im);
	memcpy(im->hour, p->hour, sizeof(im->hour));
	memcpy(im->day, p->day, sizeof(im->day));
	memcpy(im->act, p->act, sizeof(im->act));
	im->act_days = p->act_days;
	memcpy(im->el_k, p->el_k, sizeof(im->el_k));
	memcpy(im->el_n, p->el_n, sizeof(im->el_n));
	memcpy(im->hpull, p->hpull, sizeof(im->hpull));
	memcpy(im->hpull_k, p->hpull_k, sizeof(im->hpull_k));
	memcpy(im->hpull_n, p->hpull_n, sizeof(im->hpull_n));
	rc = exec_blob(an, "INSERT OR REPLACE INTO an_peers (grp, state) "
	    "VALUES (?, ?)", p->name, im, sizeof(*im));
	free(im);
	return rc;
}

int
baseline_load_peer(struct analytics *an, struct peer *p)
{
	struct peer_image *im = calloc(1, sizeof(*im));
	sqlite3_stmt *st;
	int rc = -1;

	if (im == NULL)
		return -1;
	if (load_blob(an, "SELECT state FROM an_peers WHERE grp = ?",
	    p->name, im, sizeof(*im)) == 0 && im->magic == PEER_MAGIC &&
	    im->size == sizeof(*im)) {
		memcpy(p->hour, im->hour, sizeof(im->hour));
		memcpy(p->day, im->day, sizeof(im->day));
		memcpy(p->act, im->act, sizeof(im->act));
		p->act_days = im->act_days;
		memcpy(p->el_k, im->el_k, sizeof(im->el_k));
		memcpy(p->el_n, im->el_n, sizeof(im->el_n));
		memcpy(p->hpull, im->hpull, sizeof(im->hpull));
		memcpy(p->hpull_k, im->hpull_k, sizeof(im->hpull_k));
		memcpy(p->hpull_n, im->hpull_n, sizeof(im->hpull_n));
		rc = 0;
	}
	free(im);
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
