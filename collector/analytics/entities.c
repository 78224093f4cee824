/*
 * The scored entities and their peer groups, in memory: one struct
 * entity per employee (or unknown:<key>, or service account), created at
 * its first event with its directory attributes and the baselines saved
 * for it, and one struct peer per group, with the members counted as
 * entities join and move. The names an entity has ever read or sent to
 * (first-seen tables, destinations, client hosts) are recorded here in
 * an_seen, the table the peers' "how many of us have seen it" counts and
 * the TUI read.
 *
 * This file is below the features, the detectors and the rules: they ask
 * it for an entity's peer group and record first-seen names through it,
 * and it calls only down, into the baselines (baseline.c) and the map
 * (hmap.c). Freeing what the features and the rules hang on an entity is
 * the pipeline's (analytics.c) business, before entity_free().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "analytics.h"
#include "../schema.h"
#include "leakwatch/log.h"
#include "leakwatch/xmalloc.h"

#define UNKNOWN_MAX	10000	/* beyond: unknowns pool in one entity */

/*
 * The names of e's standing groups (standing.c) as the evidence says
 * them: "Support (agent)", "Support", "the organisation".
 */
static void
entity_labels(struct entity *e)
{
	size_t len = strlen(e->role) + strlen(e->department) + 8;
	int i;

	for (i = 0; i < 3; i++)
		free(e->glabel[i]);
	e->glabel[0] = xmalloc(len);
	if (e->department[0] != '\0')
		snprintf(e->glabel[0], len, "%s (%s)", e->department,
		    e->role);
	else
		snprintf(e->glabel[0], len, "%s", e->role);
	e->glabel[1] = xstrdup(e->department[0] != '\0' ? e->department :
	    e->role);
	e->glabel[2] = xstrdup("the organisation");
}

/*
 * A known entity's directory attributes: at its creation, and again at
 * each SIGHUP, so a leave date HR just entered or a move to another team
 * counts at once. The baselines stay; a move changes the peers.
 */
void
entity_set_person(struct analytics *an, struct entity *e,
    const struct person *p)
{
	if (e->group != NULL && strcmp(e->group, p->group) != 0) {
		log_info("%s: peer group %s -> %s", e->id, e->group,
		    p->group);
		peer_get(an, e->group)->members--;
		peer_get(an, p->group)->members++;
	}
	free(e->name);
	free(e->group);
	free(e->department);
	free(e->role);
	e->known = 1;
	e->name = xstrdup(p->name);
	e->group = xstrdup(p->group);
	e->department = xstrdup(p->department);
	e->role = xstrdup(p->role);
	e->service = p->service;
	e->start_us = p->start_us;
	e->leave_us = p->leave_us;
	entity_labels(e);
}

/* A peer group, made (with its saved baselines) at first mention. */
struct peer *
peer_get(struct analytics *an, const char *group)
{
	struct peer *p;

	if ((p = hmap_get(an->peers, group)) != NULL)
		return p;
	p = xcalloc(1, sizeof(*p));
	p->name = xstrdup(group);
	p->tables = hmap_new();
	baseline_load_peer(an, p);
	hmap_put(an->peers, group, p);
	return p;
}

/* For hmap_free(an->peers, peer_free). */
void
peer_free(void *v)
{
	struct peer *p = v;

	free(p->name);
	hmap_free(p->tables, NULL);
	free(p);
}

/*
 * The entity of id (p: its directory entry, NULL for an unknown), made
 * at its first event with the baselines saved for it.
 */
struct entity *
entity_get(struct analytics *an, const char *id, const struct person *p)
{
	struct entity *e;
	struct peer *pg;
	int f;

	if ((e = hmap_get(an->entities, id)) != NULL)
		return e;
	/*
	 * Every entity holds its baselines (about 12 KB): a scan from many
	 * unknown addresses must not grow memory without bound, so past
	 * UNKNOWN_MAX the unknowns share one entity.
	 */
	if (p == NULL && an->unknowns >= UNKNOWN_MAX) {
		id = "unknown:overflow";
		if ((e = hmap_get(an->entities, id)) != NULL)
			return e;
	}
	if (p == NULL)
		an->unknowns++;
	e = xcalloc(1, sizeof(*e));
	e->id = xstrdup(id);
	if (p != NULL)
		entity_set_person(an, e, p);
	else {
		e->name = xstrdup("");
		e->group = xstrdup("unknown");
		e->department = xstrdup("");
		e->role = xstrdup("");
	}
	e->seen = hmap_new();
	for (f = 0; f < FT_MAX; f++) {
		e->rexp[f] = -1;	/* no team-relative figure yet */
		e->routine[f] = -1;	/* nor a standing */
		e->st[f][0].level = e->st[f][1].level = e->st[f][2].level =
		    SL_NONE;
		e->tr[f].level = SL_NONE;	/* nor a trend */
	}
	for (f = 0; f < MIX_MAX; f++)
		e->mix[f][0].level = e->mix[f][1].level = SL_NONE;
	baseline_init(&e->s);
	baseline_load(an, e);
	pg = peer_get(an, e->group);
	pg->members++;
	hmap_put(an->entities, id, e);
	return e;
}

/*
 * The entity itself; the day's names (features_day_reset()) and the rule
 * state (rules_entity_free()) must be gone already.
 */
void
entity_free(struct entity *e)
{
	hmap_free(e->seen, NULL);
	free(e->glabel[0]);
	free(e->glabel[1]);
	free(e->glabel[2]);
	free(e->id);
	free(e->name);
	free(e->group);
	free(e->department);
	free(e->role);
	free(e);
}

/* A name e has seen for the first time ("t:table", "d:domain", ...). */
void
entity_seen_add(struct analytics *an, struct entity *e, const char *key,
    int64_t ts)
{
	sqlite3_stmt *st;

	if (an->db == NULL || sqlite3_prepare_v2(an->db, "INSERT OR IGNORE "
	    "INTO an_seen (entity, key, grp, first_ts) VALUES (?, ?, ?, ?)",
	    -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, e->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, e->group, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, ts);
	schema_write(an->db, st, "analytics");
}

static int
cmp_entity(const void *a, const void *b)
{
	return strcmp((*(struct entity *const *)a)->id,
	    (*(struct entity *const *)b)->id);
}

/*
 * The entities with activity in the open hour (day 0) or day (day 1),
 * sorted by id so that every bucket closes in the same order; the caller
 * frees the array.
 */
struct entity **
entities_active(struct analytics *an, int day, size_t *n)
{
	struct entity **v, *e;
	size_t it = 0;
	void *val;

	v = xcalloc(hmap_count(an->entities) + 1, sizeof(*v));
	*n = 0;
	while (hmap_next(an->entities, &it, NULL, &val)) {
		e = val;
		if (day ? e->active_day : e->active_hour)
			v[(*n)++] = e;
	}
	qsort(v, *n, sizeof(*v), cmp_entity);
	return v;
}
