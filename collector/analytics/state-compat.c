/*
 * The state older versions saved: before the tagged images of state.c,
 * a person's state (an_entities.state) and a peer group's
 * (an_peers.state) were the C structs themselves, dumped raw, with a
 * magic and the struct's size at the front. Every layout that was ever
 * on main is frozen here, named by the commit and the day it shipped,
 * and converted into today's structs: what exists in both keeps its
 * value, the rest keeps baseline_init()'s. The layouts are those of the
 * x86-64 builds that wrote them (the raw dumps were never portable); a
 * blob of any other magic or size is not converted.
 *
 * Features were indexed, not named, in these layouts, so each layout
 * also says which features it had, in order: its first nbase are the
 * storage keys of state.c in that order, then the sensitivity classes
 * by their index (out.rare, 12, came in with LWB2/LWP2); each old
 * feature goes to today's of the same key, wherever it is now. Nothing here
 * changes once written; a new layout never comes, as the images of
 * state.c carry their own description.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics.h"
#include "leakwatch/xmalloc.h"

#define O_HOUR_SLOTS	8
#define O_DAY_SLOTS	2
#define O_CUM_DAYS	30
#define O_CLASSES	8
#define O_TOP_TABLES	6

struct o_slot {
	double		 m;
	double		 v;
	uint32_t	 n;
};

/* LWB1/LWP1: 471e60a, 2026-11-30, the first analytics (20 features). */
#define V1_FT		20
struct o_fstate1 {
	struct o_slot	 hour[O_HOUR_SLOTS];
	struct o_slot	 day[O_DAY_SLOTS];
	struct o_slot	 snap[O_DAY_SLOTS];
	struct o_slot	 lag[O_DAY_SLOTS];
	double		 cusum;
	float		 ring[O_CUM_DAYS];
};
struct o_entity1 {
	uint32_t	 magic;
	uint32_t	 size;
	int64_t		 last_day;
	double		 act[24];
	double		 act_days;
	struct o_fstate1 f[V1_FT];
};

/* LWB2/LWP2: ac72386, 2026-11-30, the streak state (21 features). */
#define V2_FT		21
struct o_fstate2 {
	struct o_fstate1 a;
	double		 streak;
	int32_t		 streak_days;
	double		 el_k, el_n;
};
struct o_entity2 {
	uint32_t	 magic;
	uint32_t	 size;
	int64_t		 last_day;
	double		 act[24];
	double		 act_days;
	struct o_fstate2 f[V2_FT];
};

/* LWB3: 470b703, 2026-11-30, the team-relative slot. */
struct o_fstate3 {
	struct o_fstate2 b;
	struct o_slot	 rel[O_DAY_SLOTS];
	int64_t		 surge_day;
};
struct o_entity3 {
	uint32_t	 magic;
	uint32_t	 size;
	int64_t		 last_day;
	double		 act[24];
	double		 act_days;
	struct o_fstate3 f[V2_FT];
};

/* LWB4: 7d2cb76, 2026-12-07, the active-day masks (also 8b99ae1). */
struct o_fstate4 {
	struct o_fstate3 c;
	uint32_t	 above;
	uint32_t	 pad;
};
struct o_entity4 {
	uint32_t	 magic;
	uint32_t	 size;
	int64_t		 last_day;
	double		 act[24];
	double		 act_days;
	uint32_t	 days_mask;
	uint32_t	 days_seen;
	struct o_fstate4 f[V2_FT];
};

/* LWB4 with the tables: 2eecf7c, 2026-12-07, the mix by table. */
struct o_tabring {
	uint32_t	 hash;
	uint32_t	 pad;
	float		 ring[O_CUM_DAYS];
};
struct o_entity5 {
	struct o_entity4 d;
	struct o_tabring tab[O_TOP_TABLES];
};

/*
 * The sizes the old builds wrote (the nesting above lays out as their
 * flat structs did), and today's arrays these layouts are copied into:
 * a change of those needs a conversion written here, not a memcpy.
 */
_Static_assert(sizeof(struct o_entity1) == 9496, "LWB1");
_Static_assert(sizeof(struct o_entity2) == 10632, "LWB2");
_Static_assert(sizeof(struct o_entity3) == 11808, "LWB3");
_Static_assert(sizeof(struct o_entity4) == 11984, "LWB4");
_Static_assert(sizeof(struct o_entity5) == 12752, "LWB4 with tables");
_Static_assert(HOUR_SLOTS == O_HOUR_SLOTS && DAY_SLOTS == O_DAY_SLOTS &&
    CUM_DAYS == O_CUM_DAYS && TOP_TABLES >= O_TOP_TABLES,
    "the old layouts' arrays need converting");

/* LWP1..3: the peer groups. */
struct o_peer1 {
	uint32_t	 magic;
	uint32_t	 size;
	struct o_slot	 hour[V1_FT][O_HOUR_SLOTS];
	struct o_slot	 day[V1_FT][O_DAY_SLOTS];
	double		 act[24];
	double		 act_days;
};
struct o_peer2 {
	uint32_t	 magic;
	uint32_t	 size;
	struct o_slot	 hour[V2_FT][O_HOUR_SLOTS];
	struct o_slot	 day[V2_FT][O_DAY_SLOTS];
	double		 act[24];
	double		 act_days;
	double		 el_k[V2_FT];
	double		 el_n[V2_FT];
};
/* LWP3: 8b99ae1, 2026-12-07, the hours' reads. */
struct o_peer3 {
	struct o_peer2	 b;
	struct o_slot	 hpull[O_DAY_SLOTS][24];
	double		 hpull_k[O_DAY_SLOTS][24];
	double		 hpull_n[O_DAY_SLOTS];
};
_Static_assert(sizeof(struct o_peer1) == 5008, "LWP1");
_Static_assert(sizeof(struct o_peer2) == 5584, "LWP2");
_Static_assert(sizeof(struct o_peer3) == 7136, "LWP3");

#define MAGIC(s)	(((uint32_t)(s)[0] << 24) | ((uint32_t)(s)[1] << 16) | \
			 ((uint32_t)(s)[2] << 8) | (uint32_t)(s)[3])

/* A layout: its magic and size, its features, its name in the logs. */
struct layout {
	uint32_t	 magic;
	size_t		 size;
	int		 version;	/* people 1..5, groups 1..3 */
	int		 nbase;		/* features before classes */
	const char	*name;
};

static const struct layout entity_layouts[] = {
	{ MAGIC("LWB1"), sizeof(struct o_entity1), 1, 12,
	    "LWB1 of 471e60a, 2026-11-30" },
	{ MAGIC("LWB2"), sizeof(struct o_entity2), 2, 13,
	    "LWB2 of ac72386, 2026-11-30" },
	{ MAGIC("LWB3"), sizeof(struct o_entity3), 3, 13,
	    "LWB3 of 470b703, 2026-11-30" },
	{ MAGIC("LWB4"), sizeof(struct o_entity4), 4, 13,
	    "LWB4 of 7d2cb76, 2026-12-07" },
	{ MAGIC("LWB4"), sizeof(struct o_entity5), 5, 13,
	    "LWB4 of 2eecf7c, 2026-12-07" },
};

static const struct layout peer_layouts[] = {
	{ MAGIC("LWP1"), sizeof(struct o_peer1), 1, 12,
	    "LWP1 of 471e60a, 2026-11-30" },
	{ MAGIC("LWP2"), sizeof(struct o_peer2), 2, 13,
	    "LWP2 of ac72386, 2026-11-30" },
	{ MAGIC("LWP3"), sizeof(struct o_peer3), 3, 13,
	    "LWP3 of 8b99ae1, 2026-12-07" },
};

/* The layout of a raw blob (magic and size as the x86-64 wrote them). */
static const struct layout *
find_layout(const struct layout *l, size_t n, const uint8_t *buf,
    size_t len)
{
	uint32_t magic, size;
	size_t i;

	if (len < 8)
		return NULL;
	memcpy(&magic, buf, 4);
	memcpy(&size, buf + 4, 4);
	for (i = 0; i < n; i++)
		if (l[i].magic == magic && l[i].size == size && len == size)
			return &l[i];
	return NULL;
}

/* The features of these layouts before the classes, in their order. */
static const char *const old_keys[] = {
	"rows", "rows.sensitive", "queries", "tables", "result_bytes",
	"out.cloud_storage", "out.webmail", "out.file_transfer",
	"out.unknown_encrypted", "out.exfil", "offhours.rows",
	"offhours.out", "out.rare"
};

/* Today's feature of an old layout's index i, or -1 if none. */
static int
feature_now(const struct layout *l, int i)
{
	if (i >= l->nbase)
		return i - l->nbase < O_CLASSES &&
		    i - l->nbase < SENS_MAX_CLASSES ?
		    FT_CLASS0 + (i - l->nbase) : -1;
	return state_feature_by_key(old_keys[i]);
}

static void
slots_in(struct slot *d, const struct o_slot *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		d[i].m = s[i].m;
		d[i].v = s[i].v;
		d[i].n = s[i].n;
	}
}

static void
fstate_in1(struct fstate *d, const struct o_fstate1 *s)
{
	slots_in(d->hour, s->hour, O_HOUR_SLOTS);
	slots_in(d->day, s->day, O_DAY_SLOTS);
	slots_in(d->snap, s->snap, O_DAY_SLOTS);
	slots_in(d->lag, s->lag, O_DAY_SLOTS);
	d->cusum = s->cusum;
	memcpy(d->ring, s->ring, sizeof(s->ring));
}

static void
fstate_in2(struct fstate *d, const struct o_fstate2 *s)
{
	fstate_in1(d, &s->a);
	d->streak = s->streak;
	d->streak_days = s->streak_days;
	d->el_k = s->el_k;
	d->el_n = s->el_n;
}

static void
fstate_in3(struct fstate *d, const struct o_fstate3 *s)
{
	fstate_in2(d, &s->b);
	slots_in(d->rel, s->rel, O_DAY_SLOTS);
	d->surge_day = s->surge_day;
}

static void
fstate_in4(struct fstate *d, const struct o_fstate4 *s)
{
	fstate_in3(d, &s->c);
	d->above = s->above;
}

/* The header fields all entity layouts share (the same offsets). */
static void
entity_head(struct entity_state *d, const struct o_entity1 *s)
{
	d->last_day = s->last_day;
	memcpy(d->act, s->act, sizeof(s->act));
	d->act_days = s->act_days;
}

/* Feature i of layout l's fstate array at fs, into d. */
static void
entity_feature(struct entity_state *d, const struct layout *l,
    const uint8_t *buf, int i)
{
	struct o_fstate1 f1;
	struct o_fstate2 f2;
	struct o_fstate3 f3;
	struct o_fstate4 f4;
	int now = feature_now(l, i);

	if (now < 0)
		return;
	switch (l->version) {
	case 1:
		memcpy(&f1, buf + offsetof(struct o_entity1, f) +
		    (size_t)i * sizeof(f1), sizeof(f1));
		fstate_in1(&d->f[now], &f1);
		break;
	case 2:
		memcpy(&f2, buf + offsetof(struct o_entity2, f) +
		    (size_t)i * sizeof(f2), sizeof(f2));
		fstate_in2(&d->f[now], &f2);
		break;
	case 3:
		memcpy(&f3, buf + offsetof(struct o_entity3, f) +
		    (size_t)i * sizeof(f3), sizeof(f3));
		fstate_in3(&d->f[now], &f3);
		break;
	default:
		memcpy(&f4, buf + offsetof(struct o_entity4, f) +
		    (size_t)i * sizeof(f4), sizeof(f4));
		fstate_in4(&d->f[now], &f4);
		break;
	}
}

/*
 * A raw person's state of a layout above into *s (baseline_init()'s
 * values): 0 with r->layout set, or -1 when buf is none of them (*s is
 * then untouched).
 */
int
compat_entity(struct entity_state *s, const uint8_t *buf, size_t len,
    struct state_result *r)
{
	const struct layout *l;
	struct entity_state *d;
	struct o_entity1 h;
	struct o_entity4 h4;
	struct o_tabring t;
	const char *why;
	int i, n;

	memset(r, 0, sizeof(*r));
	l = find_layout(entity_layouts, sizeof(entity_layouts) /
	    sizeof(entity_layouts[0]), buf, len);
	if (l == NULL) {
		snprintf(r->error, sizeof(r->error), "an unknown layout");
		return -1;
	}
	d = xmalloc(sizeof(*d));
	*d = *s;
	memcpy(&h, buf, offsetof(struct o_entity1, f));
	entity_head(d, &h);
	if (l->version >= 4) {
		memcpy(&h4, buf, offsetof(struct o_entity4, f));
		d->days_mask = h4.days_mask;
		d->days_seen = h4.days_seen;
	}
	n = l->version == 1 ? V1_FT : V2_FT;
	for (i = 0; i < n; i++)
		entity_feature(d, l, buf, i);
	for (i = 0; l->version == 5 && i < O_TOP_TABLES; i++) {
		memcpy(&t, buf + offsetof(struct o_entity5, tab) +
		    (size_t)i * sizeof(t), sizeof(t));
		d->tab[i].hash = t.hash;
		memcpy(d->tab[i].ring, t.ring, sizeof(t.ring));
	}
	if ((why = state_entity_check(d)) != NULL) {
		snprintf(r->error, sizeof(r->error), "%s", why);
		free(d);
		return -1;
	}
	*s = *d;
	free(d);
	r->layout = l->name;
	return 0;
}

/* One feature's slots and elevated-day counts of a raw peer image. */
static void
peer_feature(struct peer *p, const struct layout *l, const uint8_t *buf,
    int i)
{
	struct o_slot hour[O_HOUR_SLOTS], day[O_DAY_SLOTS];
	size_t oh, od;
	int now = feature_now(l, i);

	if (now < 0)
		return;
	oh = l->version == 1 ? offsetof(struct o_peer1, hour) :
	    offsetof(struct o_peer2, hour);
	od = l->version == 1 ? offsetof(struct o_peer1, day) :
	    offsetof(struct o_peer2, day);
	memcpy(hour, buf + oh + (size_t)i * sizeof(hour), sizeof(hour));
	memcpy(day, buf + od + (size_t)i * sizeof(day), sizeof(day));
	slots_in(p->hour[now], hour, O_HOUR_SLOTS);
	slots_in(p->day[now], day, O_DAY_SLOTS);
	if (l->version >= 2) {
		memcpy(&p->el_k[now], buf + offsetof(struct o_peer2, el_k) +
		    (size_t)i * sizeof(double), sizeof(double));
		memcpy(&p->el_n[now], buf + offsetof(struct o_peer2, el_n) +
		    (size_t)i * sizeof(double), sizeof(double));
	}
}

/* A raw peer group's state into *p, as compat_entity(). */
int
compat_peer(struct peer *p, const uint8_t *buf, size_t len,
    struct state_result *r)
{
	const struct layout *l;
	struct o_slot hp[O_DAY_SLOTS * 24];
	size_t oa, od;
	int i;

	memset(r, 0, sizeof(*r));
	l = find_layout(peer_layouts, sizeof(peer_layouts) /
	    sizeof(peer_layouts[0]), buf, len);
	if (l == NULL) {
		snprintf(r->error, sizeof(r->error), "an unknown layout");
		return -1;
	}
	for (i = 0; i < (l->version == 1 ? V1_FT : V2_FT); i++)
		peer_feature(p, l, buf, i);
	oa = l->version == 1 ? offsetof(struct o_peer1, act) :
	    offsetof(struct o_peer2, act);
	od = l->version == 1 ? offsetof(struct o_peer1, act_days) :
	    offsetof(struct o_peer2, act_days);
	memcpy(p->act, buf + oa, sizeof(p->act));
	memcpy(&p->act_days, buf + od, sizeof(p->act_days));
	if (l->version == 3) {
		memcpy(hp, buf + offsetof(struct o_peer3, hpull), sizeof(hp));
		for (i = 0; i < O_DAY_SLOTS; i++)
			slots_in(p->hpull[i], hp + i * 24, 24);
		memcpy(p->hpull_k, buf + offsetof(struct o_peer3, hpull_k),
		    sizeof(p->hpull_k));
		memcpy(p->hpull_n, buf + offsetof(struct o_peer3, hpull_n),
		    sizeof(p->hpull_n));
	}
	r->layout = l->name;
	return 0;
}
