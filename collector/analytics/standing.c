/*
 * Peer standing: where a person stands among their peers over the last
 * 1, 7 and 30 days - rank, percentile, ratio to the peers' median, a
 * robust z against the peers' distribution - and on how many of their
 * last active days they were above the peers' 95th percentile. None of it
 * needs the person's own history, so a theft already running when the
 * data begins, or a newcomer's, stands out from the first days they are
 * seen, while their own baseline would learn it as normal. Also the
 * peers' routine: the 95th percentile of the group's member-days of the
 * same kind of day (weekday, weekend) in the last 30 days, what "the
 * peers do this routinely" means when a person's own usual is nothing;
 * and its hourly form, the peers' reads at each hour of the day of each
 * kind of day, which decides whether a person's reads at an hour they
 * do not usually work are off-hours at all. And the mix of a person's
 * reads among their peers (standing_day()'s mix_window()): the share of
 * sensitive rows in all the rows they read, and their sensitive rows per
 * query, over 7 and 30 days - a theft of extra look-ups moves the mix
 * where the volume stays within what honest heavy readers do. And a
 * person's trend among their peers' (trend_window()): the slope of their
 * daily reads over three weeks, against the slopes of their role - a
 * ramp that only the person's own change reveals, while a whole team's
 * growth moves everyone's slope and is not one.
 *
 * The group is the person's role in their department, when it has at
 * least STAND_MIN members with data in the window; else the department,
 * else the organisation. Judged in a wider group, a person's values are
 * first divided by their role's lift - how far the role's median is
 * above the wider group's - so a role that reads more than its
 * department (analysts among clerks) is not a group of outliers: a
 * person is measured against people of their own role first. Service
 * accounts and unknown addresses have no standing.
 *
 * Runs at each day's close after detect.c's steps (the 30-day rings and
 * active-day masks are up to date), before the day rules read the
 * figures. docs/analytics.md, "Peer standing", has the maths in prose.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analytics.h"
#include "leakwatch/log.h"
#include "leakwatch/util.h"

#define STAND_MIN	8	/* members with data: a group of its own */
#define STAND_ORG_MIN	4	/* ... the organisation, as the last resort */
#define LIFT_MIN	3	/* role members with data to know its lift */
#define MAD_SD		1.4826	/* MAD to standard deviation (normal) */
#define RZ_FLOOR	0.50	/* log units: a spread of at least +-65% */
#define ROUTINE_Q	0.95	/* the peers' routine: their 95th percentile */
#define ROUTINE_MIN	30	/* member-days for a group's routine */
#define ROUTINE_X	2.0	/* within twice the peers' routine: theirs */
/* The peers' hours (standing_hour()). */
#define HOUR_ALPHA	0.05	/* about 20 member-hours of memory */
#define HOUR_FLOOR	0.50	/* log units, as the hour baselines */
#define HOUR_DECAY	0.97	/* the counts forget in about a month */
#define HOUR_MIN_K	3.0	/* member-hours with reads: a habit ... */
#define HOUR_MIN_SHARE	0.01	/* ... on 1 member-day in 100 at least */
#define HOUR_MIN_N	3	/* reads learnt before a routine has a size */
#define Z95		1.645	/* the normal's 95th percentile */
#define APART_MEDIAN	5.0	/* times a group's median: standing out ... */
#define APART_OTHERS	2.0	/* ... and times anyone else in it */
/* The mix of reads (standing_mix()). */
#define MIX_MIN_ROWS	300	/* sensitive rows in the window: a mix */
#define MIX_SD_FLOOR	0.10	/* the peers' spread at least (logit, log) */
#define MIX_P_MIN	0.02	/* shares taken within [0.02, 0.98] */
#define MIX_TRIM_DAYS	4	/* from 4 active days, the largest left out */
#define TOP_HASHES	64	/* distinct tables compared in a group */
#define TOP_COMMON	0.5	/* a table half the group reads: the role's */
/* The trend (trend_window()). */
#define TREND_MIN_DAYS	10	/* active days of the TREND_DAYS: a trend */
#define TREND_SD_FLOOR	0.005	/* the peers' spread at least: 3.5% a week */
#define TREND_Z		2.5	/* a day with a trend far out (trend_days) */
#define TREND_JOINER	49	/* days from a start: the ramp (28) and a
				   window after it */

static const int windows[STAND_WINDOWS] = { 1, 7, 30 };
static const int mix_windows[MIX_WINDOWS] = { 7, 30 };

/* One table's share in a person's rows (the mix by table). */
struct tshare {
	uint32_t	 hash;		/* 0: none */
	double		 x;		/* logit of the share */
	double		 var;		/* its sampling variance */
};

/* The day's scratch: values, flags and the groups of the candidates. */
struct stand_scratch {
	struct entity	**c;		/* candidates, by department, role */
	size_t		  nc;
	size_t		 *role_end;	/* per candidate: end of its role */
	size_t		 *dept_end;	/* ... and of its department */
	size_t		 *role_beg;
	size_t		 *dept_beg;
	double		 *x;		/* value per candidate, NAN: no data */
	double		 *adj;		/* divided by the lift of the level */
	double		 *rmed, *dmed;	/* medians of the role, department */
	size_t		 *rn, *dn;	/* ... and their members with data */
	double		  omed;		/* everyone's */
	size_t		  on;
	double		 *var;		/* mix: sampling variance of x */
	double		 *vol;		/* ... queries behind it */
	double		 *rows;		/* ... sensitive rows per active day */
	struct tshare	 *ts;		/* mix by table: TOP_TABLES each */
	double		 *buf;		/* a group's values, pooled days */
	double		 *tmp;
	size_t		  cap;		/* of buf and tmp */
	int		 *level;
};

/* A group's distribution: sorted values, median, spread, p95. */
struct gstat {
	const double	*v;
	size_t		 n;
	double		 med;
	double		 sd;		/* of log1p, from the MAD, unfloored */
	double		 p95;
};

static int
cmp_cand(const void *a, const void *b)
{
	const struct entity *x = *(struct entity *const *)a;
	const struct entity *y = *(struct entity *const *)b;
	int c;

	if ((c = strcmp(x->department, y->department)) != 0)
		return c;
	if ((c = strcmp(x->role, y->role)) != 0)
		return c;
	return strcmp(x->id, y->id);
}

/* The q-quantile of the sorted v[0..n-1], interpolated; 0 when empty. */
static double
quantile_sorted(const double *v, size_t n, double q)
{
	double pos, fr;
	size_t lo;

	if (n == 0)
		return 0;
	pos = q * (double)(n - 1);
	lo = (size_t)pos;
	fr = pos - (double)lo;
	return lo + 1 < n ? v[lo] + fr * (v[lo + 1] - v[lo]) : v[lo];
}

/*
 * The q-quantile of v[0..n-1] (reordered), interpolated like
 * quantile_sorted() but in linear time: a quickselect for the lower
 * neighbour, the minimum of what lies above it for the upper one.
 */
double
standing_quantile(double *v, size_t n, double q)
{
	size_t lo = 0, hi, k, i, j;
	double pos, fr, piv, t, up;

	if (n == 0)
		return 0;
	pos = q * (double)(n - 1);
	k = (size_t)pos;
	fr = pos - (double)k;
	hi = n - 1;
	while (lo < hi) {
		piv = v[lo + (hi - lo) / 2];
		i = lo;
		j = hi;
		while (i <= j) {
			while (v[i] < piv)
				i++;
			while (v[j] > piv)
				j--;
			if (i <= j) {
				t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	if (k + 1 >= n || fr == 0)
		return v[k];
	up = v[k + 1];
	for (i = k + 1; i < n; i++)
		if (v[i] < up)
			up = v[i];
	return v[k] + fr * (up - v[k]);
}

/*
 * A new active day closes for e: the mask of active days moves on (bit
 * i is the day last_day - i) and counts today. Called before last_day
 * is set to day.
 */
void
standing_seen(struct entity *e, int64_t day)
{
	struct entity_state *s = &e->s;
	int64_t gap = s->last_day >= 0 ? day - s->last_day : 32;

	if (gap <= 0)
		return;
	s->days_mask = gap >= 32 ? 0 : s->days_mask << gap;
	s->days_mask |= 1;
	if (s->days_seen < 32)
		s->days_seen++;
}

/* Days e was active in the w days up to day. */
static int
active_in(const struct entity *e, int64_t day, int w)
{
	int64_t top = e->s.last_day - (day - w + 1);
	uint32_t m;

	if (e->s.last_day < 0 || top < 0)
		return 0;
	m = top >= 31 ? 0xffffffffu : (2u << top) - 1;
	return __builtin_popcount(e->s.days_mask & m);
}

/* Whether e was active on day d (within the 32 days of the mask). */
static int
active_on(const struct entity *e, int64_t d)
{
	int64_t bit = e->s.last_day - d;

	return e->s.last_day >= 0 && bit >= 0 && bit < 32 &&
	    ((e->s.days_mask >> bit) & 1);
}

/* e's value of f per active day in the w days up to day; NAN: none. */
static double
window_value(const struct entity *e, int f, int64_t day, int w)
{
	int64_t d, from;
	double sum = 0;
	int n;

	if (w == 1)
		return e->s.last_day == day ? e->dv[f] : NAN;
	if ((n = active_in(e, day, w)) == 0)
		return NAN;
	from = day - w + 1;
	if (from < e->s.last_day - (CUM_DAYS - 1))
		from = e->s.last_day - (CUM_DAYS - 1);
	for (d = from; d <= e->s.last_day; d++)
		sum += e->s.f[f].ring[d % CUM_DAYS];
	return sum / n;
}

/*
 * The distribution of vals[a..b) where known (not NAN), copied into buf
 * and sorted; tmp has room for as many.
 */
static void
gstat_make(struct gstat *g, const double *vals, size_t a, size_t b,
    double *buf, double *tmp)
{
	size_t i, n = 0;
	double lm;

	for (i = a; i < b; i++)
		if (!isnan(vals[i]))
			buf[n++] = vals[i];
	qsort(buf, n, sizeof(*buf), cmp_double);
	g->v = buf;
	g->n = n;
	g->med = quantile_sorted(buf, n, 0.5);
	g->p95 = quantile_sorted(buf, n, ROUTINE_Q);
	lm = log1p(g->med > 0 ? g->med : 0);
	for (i = 0; i < n; i++)
		tmp[i] = fabs(log1p(buf[i] > 0 ? buf[i] : 0) - lm);
	qsort(tmp, n, sizeof(*tmp), cmp_double);
	g->sd = MAD_SD * quantile_sorted(tmp, n, 0.5);
}

/*
 * Where x stands in g: rank (1 the highest; ties share the better),
 * mid-rank percentile, and the robust z of log1p(x) against the median,
 * which is taken as at least floor_ref (so among peers who read nothing
 * a person's few rows are not a huge z) in the MAD's spread, floored at
 * RZ_FLOOR (so a group of identical readers does not make a small
 * difference one).
 */
static void
gstat_place(const struct gstat *g, double x, double floor_ref,
    struct standing *st)
{
	size_t lo = 0, hi = g->n, below, upto;
	double ref, sd;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (g->v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	below = lo;
	hi = g->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (g->v[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	upto = lo;
	st->n = (float)g->n;
	st->rank = (float)(g->n - upto + 1);
	st->pct = g->n > 0 ? (float)(100 * ((double)below + 0.5 *
	    (double)(upto - below)) / (double)g->n) : 0;
	st->median = g->med;
	ref = log1p(g->med > floor_ref ? g->med : floor_ref);
	sd = g->sd > RZ_FLOOR ? g->sd : RZ_FLOOR;
	st->rz = (float)((log1p(x > 0 ? x : 0) - ref) / sd);
}

/* A role's lift over a wider group's median: never below 1. */
static double
lift_of(double role_med, size_t role_n, double wide_med)
{
	double l;

	if (role_n < LIFT_MIN)
		return 1;
	l = role_med / (wide_med > 1 ? wide_med : 1);
	return l > 1 ? l : 1;
}

/* The median of the values of candidates [from, to) that have one; *n
 * gets how many do. */
static double
median_of(struct stand_scratch *sc, size_t from, size_t to, size_t *n)
{
	size_t j;

	*n = 0;
	for (j = from; j < to; j++)
		if (!isnan(sc->x[j]))
			sc->buf[(*n)++] = sc->x[j];
	return standing_quantile(sc->buf, *n, 0.5);
}

/* Per group (end[i]: where candidate i's group ends), its median and
 * members with data, stored at every candidate of the group. */
static void
group_medians(struct stand_scratch *sc, const size_t *end, double *med,
    size_t *n)
{
	size_t i, j;

	for (i = 0; i < sc->nc; i = end[i]) {
		med[i] = median_of(sc, i, end[i], &n[i]);
		for (j = i + 1; j < end[i]; j++) {
			med[j] = med[i];
			n[j] = n[i];
		}
	}
}

/*
 * The median and number of the known values of each role's and each
 * department's members and of everyone, once per feature and window.
 */
static void
range_medians(struct stand_scratch *sc)
{
	group_medians(sc, sc->role_end, sc->rmed, sc->rn);
	group_medians(sc, sc->dept_end, sc->dmed, sc->dn);
	sc->omed = median_of(sc, 0, sc->nc, &sc->on);
}

/*
 * The lift of candidate j's role at level lv: over the department's
 * median, or over everyone's (the department's lift when the role has
 * too few members with data to have one of its own).
 */
static double
lift_at(const struct stand_scratch *sc, size_t j, int lv)
{
	if (lv == SL_ROLE)
		return 1;
	if (lv == SL_DEPT)
		return lift_of(sc->rmed[j], sc->rn[j], sc->dmed[j]);
	if (sc->rn[j] >= LIFT_MIN)
		return lift_of(sc->rmed[j], sc->rn[j], sc->omed);
	return lift_of(sc->dmed[j], sc->dn[j], sc->omed);
}

/*
 * The level each candidate with data is judged at: their role in the
 * department with STAND_MIN members with data, else the department, else
 * the organisation with STAND_ORG_MIN, else none.
 */
static void
choose_levels(struct stand_scratch *sc)
{
	size_t i;

	for (i = 0; i < sc->nc; i++) {
		sc->level[i] = SL_NONE;
		if (isnan(sc->x[i]))
			continue;
		if (sc->rn[i] >= STAND_MIN)
			sc->level[i] = SL_ROLE;
		else if (sc->dn[i] >= STAND_MIN)
			sc->level[i] = SL_DEPT;
		else if (sc->on >= STAND_ORG_MIN)
			sc->level[i] = SL_ORG;
	}
}

/* The range of the group of level lv around candidate i. */
static void
level_range(const struct stand_scratch *sc, size_t i, int lv, size_t *a,
    size_t *b)
{
	if (lv == SL_ROLE) {
		*a = sc->role_beg[i];
		*b = sc->role_end[i];
	} else if (lv == SL_DEPT) {
		*a = sc->dept_beg[i];
		*b = sc->dept_end[i];
	} else {
		*a = 0;
		*b = sc->nc;
	}
}

/* Each member's value of [a, b) divided by their role's lift at lv. */
static void
adjust(struct stand_scratch *sc, size_t a, size_t b, int lv)
{
	size_t j;

	for (j = a; j < b; j++)
		sc->adj[j] = isnan(sc->x[j]) ? NAN : sc->x[j] /
		    lift_at(sc, j, lv);
}

/* Candidate i's standing in the group g (level lv) for window wi. */
static void
place(struct stand_scratch *sc, size_t i, int f, int wi, int lv,
    const struct gstat *g)
{
	struct entity *e = sc->c[i];
	struct standing *st = &e->st[f][wi];

	gstat_place(g, sc->adj[i], feature_min(f, MK_DRIFT), st);
	st->value = sc->x[i];
	st->lift = lift_at(sc, i, lv);
	st->level = lv;
	/* the day window: today above the group's 95th percentile? */
	if (wi == 0)
		e->s.f[f].above = (e->s.f[f].above << 1) | (sc->x[i] >=
		    feature_min(f, MK_STREAK) && sc->adj[i] > g->p95);
}

/* Candidate i has no standing for window wi (not today, no group). */
static void
no_place(struct stand_scratch *sc, size_t i, int f, int wi, int64_t day)
{
	struct entity *e = sc->c[i];

	memset(&e->st[f][wi], 0, sizeof(e->st[f][wi]));
	e->st[f][wi].level = SL_NONE;
	if (wi == 0 && e->s.last_day == day)
		e->s.f[f].above <<= 1;
}

/*
 * One feature and window: every candidate's standing in their group.
 * The candidates of one group at one level share its distribution,
 * made once.
 */
static void
stand_window(struct stand_scratch *sc, int f, int wi, int64_t day)
{
	struct gstat g;
	size_t i, a, b, pa = (size_t)-1, pb = 0;
	int lv, plv = SL_NONE;

	for (i = 0; i < sc->nc; i++)
		sc->x[i] = window_value(sc->c[i], f, day, windows[wi]);
	range_medians(sc);
	choose_levels(sc);
	memset(&g, 0, sizeof(g));
	for (lv = SL_ROLE; lv <= SL_ORG; lv++)
		for (i = 0; i < sc->nc; i++) {
			if (sc->level[i] != lv)
				continue;
			level_range(sc, i, lv, &a, &b);
			if (a != pa || b != pb || lv != plv) {
				adjust(sc, a, b, lv);
				gstat_make(&g, sc->adj, a, b, sc->buf,
				    sc->tmp);
				pa = a;
				pb = b;
				plv = lv;
			}
			place(sc, i, f, wi, lv, &g);
		}
	for (i = 0; i < sc->nc; i++)
		if (sc->level[i] == SL_NONE)
			no_place(sc, i, f, wi, day);
}

/*
 * The member-days of candidates [a, b) of the same kind of day (slot) as
 * today in the last 30 days, into sc->buf; their number.
 */
static size_t
pool_days(struct stand_scratch *sc, const int *slot, int k, int f,
    int64_t day, size_t a, size_t b)
{
	const struct entity *e;
	size_t i, n = 0;
	int j;

	for (i = a; i < b && n + CUM_DAYS <= sc->cap; i++) {
		e = sc->c[i];
		for (j = 0; j < CUM_DAYS; j++)
			if (slot[j] == k && active_on(e, day - j))
				sc->buf[n++] = e->s.f[f].ring[(day - j) %
				    CUM_DAYS];
	}
	return n;
}

/*
 * The peers' routine of f for every candidate: the ROUTINE_Q quantile of
 * the member-days of their role (else department, else organisation)
 * with at least ROUTINE_MIN of them, of today's kind of day, times the
 * role's lift at that level (of the 30-day window, the last one
 * stand_window() measured); -1 where no group has enough days.
 */
static void
routine(struct stand_scratch *sc, const int *slot, int k, int f,
    int64_t day)
{
	size_t i, a, b, n, pa = (size_t)-1, pb = 0;
	double q = -1, org = -1;
	int lv;

	n = pool_days(sc, slot, k, f, day, 0, sc->nc);
	if (n >= ROUTINE_MIN)
		org = standing_quantile(sc->buf, n, ROUTINE_Q);
	for (i = 0; i < sc->nc; i++) {
		sc->c[i]->routine[f] = -1;
		for (lv = SL_ROLE; lv < SL_ORG; lv++) {
			level_range(sc, i, lv, &a, &b);
			if (a != pa || b != pb) {
				n = pool_days(sc, slot, k, f, day, a, b);
				q = n >= ROUTINE_MIN ? standing_quantile(
				    sc->buf, n, ROUTINE_Q) : -1;
				pa = a;
				pb = b;
			}
			if (q >= 0)
				break;
		}
		if (lv == SL_ORG)
			q = org;
		if (q < 0)
			continue;
		sc->c[i]->routine[f] = q * lift_at(sc, i, lv);
	}
}

/* e has no mix in any window (not a person, too few rows, no group). */
static void
mix_none(struct entity *e)
{
	int k, w;

	memset(e->mix, 0, sizeof(e->mix));
	for (k = 0; k < MIX_MAX; k++)
		for (w = 0; w < MIX_WINDOWS; w++)
			e->mix[k][w].level = SL_NONE;
}

/* The candidates: people (not service accounts, not unknown addresses). */
static int
candidates(struct analytics *an, struct stand_scratch *sc)
{
	struct entity *e;
	size_t it = 0, i, n = hmap_count(an->entities);
	void *val;

	memset(sc, 0, sizeof(*sc));
	sc->cap = (n + 1) * CUM_DAYS;
	sc->c = calloc(n + 1, sizeof(*sc->c));
	sc->role_beg = calloc(n + 1, sizeof(size_t));
	sc->role_end = calloc(n + 1, sizeof(size_t));
	sc->dept_beg = calloc(n + 1, sizeof(size_t));
	sc->dept_end = calloc(n + 1, sizeof(size_t));
	sc->x = calloc(n + 1, sizeof(double));
	sc->adj = calloc(n + 1, sizeof(double));
	sc->rmed = calloc(n + 1, sizeof(double));
	sc->dmed = calloc(n + 1, sizeof(double));
	sc->rn = calloc(n + 1, sizeof(size_t));
	sc->dn = calloc(n + 1, sizeof(size_t));
	sc->level = calloc(n + 1, sizeof(int));
	sc->var = calloc(n + 1, sizeof(double));
	sc->vol = calloc(n + 1, sizeof(double));
	sc->rows = calloc(n + 1, sizeof(double));
	sc->ts = calloc((n + 1) * TOP_TABLES, sizeof(*sc->ts));
	sc->buf = calloc(sc->cap, sizeof(double));
	sc->tmp = calloc(sc->cap, sizeof(double));
	if (sc->c == NULL || sc->role_beg == NULL || sc->role_end == NULL ||
	    sc->dept_beg == NULL || sc->dept_end == NULL || sc->x == NULL ||
	    sc->adj == NULL || sc->rmed == NULL || sc->dmed == NULL ||
	    sc->rn == NULL || sc->dn == NULL || sc->level == NULL ||
	    sc->var == NULL || sc->vol == NULL || sc->rows == NULL ||
	    sc->ts == NULL ||
	    sc->buf == NULL || sc->tmp == NULL)
		return -1;
	while (hmap_next(an->entities, &it, NULL, &val)) {
		e = val;
		if (e->known && !e->service)
			sc->c[sc->nc++] = e;
		else
			for (i = 0; i < FT_MAX; i++) {
				memset(e->st[i], 0, sizeof(e->st[i]));
				e->st[i][0].level = e->st[i][1].level =
				    e->st[i][2].level = SL_NONE;
				e->routine[i] = -1;
			}
		if (!e->known || e->service) {
			mix_none(e);
			for (i = 0; i < FT_MAX; i++) {
				memset(&e->tr[i], 0, sizeof(e->tr[i]));
				e->tr[i].level = SL_NONE;
			}
		}
	}
	qsort(sc->c, sc->nc, sizeof(*sc->c), cmp_cand);
	return 0;
}

/*
 * The department and role ranges of the sorted candidates: each
 * candidate's group is [beg, end) of its kind.
 */
static void
ranges(struct stand_scratch *sc)
{
	size_t i, j, k;

	for (i = 0; i < sc->nc; i = j) {
		for (j = i; j < sc->nc && strcmp(sc->c[j]->department,
		    sc->c[i]->department) == 0; j++)
			;
		for (k = i; k < j; k++) {
			sc->dept_beg[k] = i;
			sc->dept_end[k] = j;
		}
	}
	for (i = 0; i < sc->nc; i = j) {
		for (j = i; j < sc->dept_end[i] && strcmp(sc->c[j]->role,
		    sc->c[i]->role) == 0; j++)
			;
		for (k = i; k < j; k++) {
			sc->role_beg[k] = i;
			sc->role_end[k] = j;
		}
	}
}

static void
scratch_free(struct stand_scratch *sc)
{
	free(sc->c);
	free(sc->role_beg);
	free(sc->role_end);
	free(sc->dept_beg);
	free(sc->dept_end);
	free(sc->x);
	free(sc->adj);
	free(sc->rmed);
	free(sc->dmed);
	free(sc->rn);
	free(sc->dn);
	free(sc->level);
	free(sc->var);
	free(sc->vol);
	free(sc->rows);
	free(sc->ts);
	free(sc->buf);
	free(sc->tmp);
}

/* The kinds of day (baseline_day_slot()) of day and the 29 before it. */
static void
day_kinds(struct analytics *an, int64_t day, int *slot)
{
	int j;

	for (j = 0; j < CUM_DAYS; j++)
		slot[j] = baseline_day_slot(calendar_wday(day - j),
		    calendar_holiday(an, day - j));
}

/*
 * The peers' routine for today's kind of day, from the days before it:
 * run at the start of the day's close, before the team surges are
 * counted (a member within it is not spiking) and before today's values
 * enter the rings, so a day the whole team reads something new does not
 * make itself routine. The role lifts are those of the 30-day standing
 * as of the day before. -1 when out of memory (the routine stays the
 * last one made).
 */
int
standing_routine(struct analytics *an, int64_t day)
{
	struct stand_scratch sc;
	int slot[CUM_DAYS], f;

	if (candidates(an, &sc) != 0) {
		scratch_free(&sc);
		log_warn("standing: routine of day %lld", (long long)day);
		return -1;
	}
	ranges(&sc);
	day_kinds(an, day, slot);
	for (f = 0; f < FT_MAX; f++) {
		stand_window(&sc, f, STAND_WINDOWS - 1, day - 1);
		routine(&sc, slot, slot[0], f, day);
	}
	scratch_free(&sc);
	return 0;
}

/* A share as a logit, within [MIX_P_MIN, 1 - MIX_P_MIN]. */
static double
logit_of(double p)
{
	p = p < MIX_P_MIN ? MIX_P_MIN : p > 1 - MIX_P_MIN ? 1 - MIX_P_MIN : p;
	return log(p / (1 - p));
}

/*
 * The share in r (all rows read in the window, less the day left out)
 * of each sensitive table e reads, over the active days from `from` to
 * their last day, day `skip` left out (-1: none), with its sampling
 * variance over q queries, into ts[TOP_TABLES]. The number of tables
 * with rows.
 */
static int
table_shares(const struct entity *e, int64_t from, int64_t skip, double r,
    double q, struct tshare *ts)
{
	double sum, p;
	int64_t d;
	int t, n = 0;

	for (t = 0; t < TOP_TABLES; t++) {
		ts[t].hash = 0;
		if (e->s.tab[t].hash == 0 || r <= 0)
			continue;
		sum = 0;
		for (d = from; d <= e->s.last_day; d++)
			if (d != skip && active_on(e, d))
				sum += e->s.tab[t].ring[d % CUM_DAYS];
		if (sum <= 0)
			continue;
		p = sum > r ? 1 : sum / r;
		ts[t].hash = e->s.tab[t].hash;
		ts[t].x = logit_of(p);
		p = 1 / (1 + exp(-ts[t].x));
		ts[t].var = 1 / (q * p * (1 - p));
		n++;
	}
	return n;
}

/*
 * The mix of e's reads over the w days up to day, from the rings: rows
 * read, sensitive rows and queries of the active days, the day with the
 * most sensitive rows left out once there are MIX_TRIM_DAYS of them - a
 * one-off export, an incident day, is not a mix - into *x (logit of the
 * share, or log of sensitive rows per query) and *var, its sampling
 * variance: a share of few queries is mostly chance, so each person is
 * judged with their own uncertainty added to the peers' spread. 0, or
 * -1 when there is no mix (fewer than MIX_MIN_ROWS sensitive rows).
 */
static int
mix_of(const struct entity *e, int kind, int64_t day, int w, double *x,
    double *var, double *vol, double *rows, struct tshare *ts)
{
	int64_t d, from = day - w + 1, top = -1, skip = -1;
	double r = 0, sr = 0, q = 0, v, p;
	int nd = 0;

	if (e->s.last_day < 0)
		return -1;
	if (from < e->s.last_day - (CUM_DAYS - 1))
		from = e->s.last_day - (CUM_DAYS - 1);
	for (d = from; d <= e->s.last_day; d++) {
		if (!active_on(e, d))
			continue;
		v = e->s.f[FT_ROWS_SENSITIVE].ring[d % CUM_DAYS];
		if (top < 0 || v > e->s.f[FT_ROWS_SENSITIVE].ring[top %
		    CUM_DAYS])
			top = d;
		r += e->s.f[FT_ROWS].ring[d % CUM_DAYS];
		sr += v;
		q += e->s.f[FT_QUERIES].ring[d % CUM_DAYS];
		nd++;
	}
	if (nd >= MIX_TRIM_DAYS) {
		r -= e->s.f[FT_ROWS].ring[top % CUM_DAYS];
		sr -= e->s.f[FT_ROWS_SENSITIVE].ring[top % CUM_DAYS];
		q -= e->s.f[FT_QUERIES].ring[top % CUM_DAYS];
		skip = top;
		nd--;
	}
	if (nd == 0 || sr < MIX_MIN_ROWS || r < sr || q < 1)
		return -1;
	*vol = q;
	*rows = sr / nd;
	if (kind == MIX_TOP) {
		/* The figures are per table: x only says "has a mix". */
		*x = 0;
		*var = 0;
		return table_shares(e, from, skip, r, q, ts) > 0 ? 0 : -1;
	}
	if (kind == MIX_SHARE) {
		p = sr / r;
		p = p < MIX_P_MIN ? MIX_P_MIN : p > 1 - MIX_P_MIN ?
		    1 - MIX_P_MIN : p;
		*x = log(p / (1 - p));
		*var = 1 / (q * p * (1 - p));
	} else {
		*x = log(sr / q);
		*var = 1 / q;
	}
	return 0;
}

/*
 * A role's offset over a wider group's median mix (the lift of
 * lift_at(), on the logit or log scale): never below 0.
 */
static double
mix_offset(const struct stand_scratch *sc, size_t j, int lv)
{
	double o = 0;

	if (lv == SL_DEPT && sc->rn[j] >= LIFT_MIN)
		o = sc->rmed[j] - sc->dmed[j];
	else if (lv == SL_ORG && sc->rn[j] >= LIFT_MIN)
		o = sc->rmed[j] - sc->omed;
	else if (lv == SL_ORG && sc->dn[j] >= LIFT_MIN)
		o = sc->dmed[j] - sc->omed;
	return o > 0 ? o : 0;
}

/* The mix back from the logit or log scale: a share in per cent. */
static double
mix_unscale(int kind, double x)
{
	return kind == MIX_SHARE ? 100 / (1 + exp(-x)) : exp(x);
}

/*
 * The centre and spread of a group's mixes [a, b) (offsets taken out
 * into sc->adj): the median and MAD of the members with at least the
 * group's median number of queries - the heavier half, whose mixes are
 * their habits rather than chance.
 */
static void
mix_group(struct stand_scratch *sc, size_t a, size_t b, double *centre,
    double *sd)
{
	size_t j, n = 0, m = 0;
	double qmed;

	for (j = a; j < b; j++)
		if (!isnan(sc->adj[j]))
			sc->buf[n++] = sc->vol[j];
	qmed = standing_quantile(sc->buf, n, 0.5);
	for (j = a; j < b; j++)
		if (!isnan(sc->adj[j]) && sc->vol[j] >= qmed)
			sc->buf[m++] = sc->adj[j];
	*centre = standing_quantile(sc->buf, m, 0.5);
	for (j = 0; j < m; j++)
		sc->buf[j] = fabs(sc->buf[j] - *centre);
	*sd = MAD_SD * standing_quantile(sc->buf, m, 0.5);
}

/* Candidate i's mix standing in [a, b) of level lv. */
static void
mix_place(struct stand_scratch *sc, size_t i, int kind, int wi, int lv,
    size_t a, size_t b, double centre, double sd)
{
	struct mixstand *ms = &sc->c[i]->mix[kind][wi];
	double off = mix_offset(sc, i, lv);
	size_t j, n = 0, above = 0;

	for (j = a; j < b; j++) {
		if (isnan(sc->adj[j]))
			continue;
		n++;
		if (sc->adj[j] > sc->adj[i])
			above++;
	}
	if (sd < MIX_SD_FLOOR)
		sd = MIX_SD_FLOOR;
	ms->value = mix_unscale(kind, sc->x[i]);
	ms->median = mix_unscale(kind, centre + off);
	ms->rows = sc->rows[i];
	ms->rz = (float)((sc->adj[i] - centre) / sqrt(sd * sd +
	    sc->var[i]));
	ms->rank = (float)(above + 1);
	ms->n = (float)n;
	ms->level = lv;
}

/* Member j's share of the table of hash h, as a logit (floor: none). */
static double
top_x(const struct stand_scratch *sc, size_t j, uint32_t h, double *var)
{
	const struct tshare *ts = &sc->ts[j * TOP_TABLES];
	int t;

	for (t = 0; t < TOP_TABLES; t++)
		if (ts[t].hash == h) {
			if (var != NULL)
				*var = ts[t].var;
			return ts[t].x;
		}
	if (var != NULL)
		*var = 0;
	return logit_of(0);
}

/*
 * The distinct tables the members of [a, b) with a mix read, into
 * h[TOP_HASHES]: their number.
 */
static int
top_hashes(const struct stand_scratch *sc, size_t a, size_t b, uint32_t *h)
{
	size_t j;
	int t, k, n = 0;

	for (j = a; j < b; j++) {
		if (isnan(sc->x[j]))
			continue;
		for (t = 0; t < TOP_TABLES; t++) {
			uint32_t v = sc->ts[j * TOP_TABLES + t].hash;

			if (v == 0)
				continue;
			for (k = 0; k < n && h[k] != v; k++)
				;
			if (k == n && n < TOP_HASHES)
				h[n++] = v;
		}
	}
	return n;
}

/*
 * The group's centre and spread of the share of table h: the median
 * and MAD of the heavier half of its members with a mix (as
 * mix_group()), a member who does not read it at the floor. 0 when
 * fewer than TOP_COMMON of them read it: a table few of the role read
 * is not the role's, and a share of it is not a mix (first_seen_table
 * judges it).
 */
static int
top_centre(struct stand_scratch *sc, size_t a, size_t b, double qmed,
    uint32_t h, double *centre, double *sd)
{
	size_t j, m = 0, reads = 0;
	double x;

	for (j = a; j < b; j++) {
		if (isnan(sc->x[j]) || sc->vol[j] < qmed)
			continue;
		x = top_x(sc, j, h, NULL);
		reads += x > logit_of(0);
		sc->buf[m++] = x;
	}
	if (m == 0 || (double)reads < TOP_COMMON * (double)m)
		return 0;
	*centre = standing_quantile(sc->buf, m, 0.5);
	for (j = 0; j < m; j++)
		sc->buf[j] = fabs(sc->buf[j] - *centre);
	*sd = MAD_SD * standing_quantile(sc->buf, m, 0.5);
	if (*sd < MIX_SD_FLOOR)
		*sd = MIX_SD_FLOOR;
	return 1;
}

/*
 * The mix by table of the members of [a, b) judged at level lv: for
 * each table the group reads, each member's share of it against the
 * group's, their own sampling noise added; a member's figure is the
 * table where they stand out most - the one a theft of extra rows of
 * one table raises above what the role reads of it, where an honest
 * heavy reader does more of the whole job in the usual proportions.
 */
static void
top_range(struct stand_scratch *sc, int wi, int lv, size_t a, size_t b)
{
	uint32_t h[TOP_HASHES];
	double cen[TOP_HASHES], sd[TOP_HASHES], qmed, x, var, z;
	int ok[TOP_HASHES], nh, k, best;
	size_t i, j, n = 0, above;
	struct mixstand *ms;

	for (j = a; j < b; j++)
		if (!isnan(sc->x[j]))
			sc->buf[n++] = sc->vol[j];
	qmed = standing_quantile(sc->buf, n, 0.5);
	nh = top_hashes(sc, a, b, h);
	for (k = 0; k < nh; k++)
		ok[k] = top_centre(sc, a, b, qmed, h[k], &cen[k], &sd[k]);
	for (i = a; i < b; i++) {
		if (sc->level[i] != lv)
			continue;
		ms = &sc->c[i]->mix[MIX_TOP][wi];
		memset(ms, 0, sizeof(*ms));
		ms->level = SL_NONE;
		if (isnan(sc->x[i]))
			continue;
		best = -1;
		z = 0;
		for (k = 0; k < nh; k++) {
			if (!ok[k])
				continue;
			x = top_x(sc, i, h[k], &var);
			x = (x - cen[k]) / sqrt(sd[k] * sd[k] + var);
			if (best < 0 || x > z) {
				best = k;
				z = x;
			}
		}
		if (best < 0)
			continue;
		x = top_x(sc, i, h[best], NULL);
		for (j = a, above = 0; j < b; j++)
			if (!isnan(sc->x[j]) && top_x(sc, j, h[best], NULL) > x)
				above++;
		ms->value = mix_unscale(MIX_SHARE, x);
		ms->median = mix_unscale(MIX_SHARE, cen[best]);
		ms->rows = sc->rows[i];
		ms->rz = (float)z;
		ms->rank = (float)(above + 1);
		ms->n = (float)n;
		ms->level = lv;
	}
}

/*
 * One mix and window: every candidate's standing in their group, the
 * group chosen as for the features (their role, else department, else
 * the organisation) among the members who have a mix.
 */
static void
mix_window(struct stand_scratch *sc, int kind, int wi, int64_t day)
{
	size_t i, j, a, b, pa = (size_t)-1, pb = 0;
	double centre = 0, sd = 0;
	int lv, plv = SL_NONE;

	for (i = 0; i < sc->nc; i++)
		if (mix_of(sc->c[i], kind, day, mix_windows[wi], &sc->x[i],
		    &sc->var[i], &sc->vol[i], &sc->rows[i],
		    &sc->ts[i * TOP_TABLES]) != 0)
			sc->x[i] = NAN;
	range_medians(sc);
	choose_levels(sc);
	/*
	 * A table's share means something among people who do the same
	 * work: the mix by table is judged in the role or the department,
	 * never across the organisation's unrelated jobs.
	 */
	for (i = 0; kind == MIX_TOP && i < sc->nc; i++)
		if (sc->level[i] == SL_ORG)
			sc->level[i] = SL_NONE;
	for (lv = SL_ROLE; lv <= SL_ORG; lv++)
		for (i = 0; i < sc->nc; i++) {
			if (sc->level[i] != lv)
				continue;
			level_range(sc, i, lv, &a, &b);
			if (kind == MIX_TOP) {
				if (a != pa || b != pb || lv != plv)
					top_range(sc, wi, lv, a, b);
				pa = a;
				pb = b;
				plv = lv;
				continue;
			}
			if (a != pa || b != pb || lv != plv) {
				for (j = a; j < b; j++)
					sc->adj[j] = isnan(sc->x[j]) ? NAN :
					    sc->x[j] - mix_offset(sc, j, lv);
				mix_group(sc, a, b, &centre, &sd);
				pa = a;
				pb = b;
				plv = lv;
			}
			mix_place(sc, i, kind, wi, lv, a, b, centre, sd);
		}
	for (i = 0; i < sc->nc; i++)
		if (sc->level[i] == SL_NONE) {
			memset(&sc->c[i]->mix[kind][wi], 0,
			    sizeof(sc->c[i]->mix[kind][wi]));
			sc->c[i]->mix[kind][wi].level = SL_NONE;
		}
}

/*
 * e's trend of f over the TREND_DAYS up to day: the least-squares slope
 * of log(1 + value) on the day over their active days in the window
 * (a day without activity is no day of theirs, not a day of nothing),
 * and its standard error from the scatter of those days about the line
 * - the person's own noise, large for a reader of irregular pulls,
 * small for a steady one. 0 with fewer than TREND_MIN_DAYS active days.
 */
static int
trend_of(const struct entity *e, int f, int64_t day, double *slope,
    double *se)
{
	double x[TREND_DAYS], y[TREND_DAYS], mx = 0, my = 0, sxx = 0, sxy = 0;
	double ssr = 0, r;
	int64_t d;
	int n = 0, i;

	for (d = day - (TREND_DAYS - 1); d <= day; d++) {
		if (d < e->s.last_day - (CUM_DAYS - 1) || !active_on(e, d))
			continue;
		x[n] = (double)(d - day);
		y[n] = log1p(e->s.f[f].ring[d % CUM_DAYS] > 0 ?
		    e->s.f[f].ring[d % CUM_DAYS] : 0);
		mx += x[n];
		my += y[n];
		n++;
	}
	if (n < TREND_MIN_DAYS)
		return 0;
	mx /= n;
	my /= n;
	for (i = 0; i < n; i++) {
		sxx += (x[i] - mx) * (x[i] - mx);
		sxy += (x[i] - mx) * (y[i] - my);
	}
	if (sxx <= 0)
		return 0;
	*slope = sxy / sxx;
	for (i = 0; i < n; i++) {
		r = y[i] - my - *slope * (x[i] - mx);
		ssr += r * r;
	}
	*se = sqrt(ssr / (n - 2) / sxx);
	return 1;
}

/* The median and robust spread of the slopes of candidates [a, b). */
static void
trend_group(struct stand_scratch *sc, size_t a, size_t b, double *centre,
    double *sd)
{
	size_t j, n = 0;

	for (j = a; j < b; j++)
		if (!isnan(sc->x[j]))
			sc->buf[n++] = sc->x[j];
	*centre = standing_quantile(sc->buf, n, 0.5);
	for (j = 0; j < n; j++)
		sc->buf[j] = fabs(sc->buf[j] - *centre);
	*sd = MAD_SD * standing_quantile(sc->buf, n, 0.5);
	if (*sd < TREND_SD_FLOOR)
		*sd = TREND_SD_FLOOR;
}

/*
 * One feature: every candidate's trend among the trends of their role
 * (STAND_MIN members with a trend), else of their department, never the
 * organisation (how fast unrelated jobs change says nothing of one
 * another). The robust z is (slope - the group's median) over the
 * group's spread and the person's own standard error together, as the
 * mix's: the trend of an irregular reader's pulls is mostly chance and
 * counts for little. Joiners have none for their first TREND_JOINER
 * days, and count in nobody's group meanwhile: their work grows week by
 * week for four weeks (detect.c's RAMP_DAYS), and so would their trend.
 * A day's trend far out (TREND_Z) marks the day in trend_above, for
 * standing_trend_days().
 */
static void
trend_window(struct analytics *an, struct stand_scratch *sc, int f,
    int64_t day)
{
	struct entity *e;
	struct trendstand *tr;
	double slope, se, centre = 0, sd = 1;
	size_t i, a, b, pa = (size_t)-1, pb = 0;
	int lv;

	for (i = 0; i < sc->nc; i++) {
		e = sc->c[i];
		sc->x[i] = NAN;
		if (e->start_us != 0 && day - calendar_day(an, e->start_us) <
		    TREND_JOINER)
			continue;
		if (trend_of(e, f, day, &slope, &se)) {
			sc->x[i] = slope;
			sc->var[i] = se;
		}
	}
	range_medians(sc);
	for (i = 0; i < sc->nc; i++) {
		e = sc->c[i];
		tr = &e->tr[f];
		memset(tr, 0, sizeof(*tr));
		tr->level = SL_NONE;
		if (!isnan(sc->x[i]) && sc->rn[i] >= STAND_MIN)
			lv = SL_ROLE;
		else if (!isnan(sc->x[i]) && sc->dn[i] >= STAND_MIN)
			lv = SL_DEPT;
		else
			lv = SL_NONE;
		if (lv != SL_NONE) {
			level_range(sc, i, lv, &a, &b);
			if (a != pa || b != pb) {
				trend_group(sc, a, b, &centre, &sd);
				pa = a;
				pb = b;
			}
			tr->slope = sc->x[i];
			tr->se = sc->var[i];
			tr->median = centre;
			tr->n = (float)(lv == SL_ROLE ? sc->rn[i] : sc->dn[i]);
			tr->rz = (float)((tr->slope - centre) /
			    sqrt(sd * sd + tr->se * tr->se));
			tr->level = lv;
		}
		if (e->s.last_day == day)
			e->s.f[f].trend_above = (e->s.f[f].trend_above << 1) |
			    (tr->level != SL_NONE && tr->rz >= TREND_Z);
	}
}

/*
 * The day's standing of every person, every feature and window. -1 when
 * out of memory (the figures stay those of the day before).
 */
int
standing_day(struct analytics *an, int64_t day)
{
	struct stand_scratch sc;
	int f, wi;

	if (candidates(an, &sc) != 0) {
		scratch_free(&sc);
		log_warn("standing: closing day %lld", (long long)day);
		return -1;
	}
	ranges(&sc);
	for (f = 0; f < FT_MAX; f++)
		for (wi = 0; wi < STAND_WINDOWS; wi++)
			stand_window(&sc, f, wi, day);
	for (f = 0; f < MIX_MAX; f++)
		for (wi = 0; wi < MIX_WINDOWS; wi++)
			mix_window(&sc, f, wi, day);
	for (f = 0; f < FT_MAX; f++)
		trend_window(an, &sc, f, day);
	scratch_free(&sc);
	return 0;
}

/* Of e's last n active days (at most 32), those above the peers' p95. */
int
standing_days_above(const struct entity *e, int f, int n)
{
	uint32_t m;

	if (f < 0 || f >= FT_MAX || n <= 0)
		return 0;
	m = n >= 32 ? 0xffffffffu : (1u << n) - 1;
	return __builtin_popcount(e->s.f[f].above & m);
}

/* Of e's last n active days (at most 32), those with a trend far out. */
int
standing_trend_days(const struct entity *e, int f, int n)
{
	uint32_t m;

	if (f < 0 || f >= FT_MAX || n <= 0)
		return 0;
	m = n >= 32 ? 0xffffffffu : (1u << n) - 1;
	return __builtin_popcount(e->s.f[f].trend_above & m);
}

/*
 * How many of the group's members would stand at least as far out as
 * this by chance: n x P(Z >= rz), the robust z taken as a normal one
 * (log scale). A fixed bar on the z is a bar on one member's chance; a
 * group has n of them, and the highest of 400 honest agents whose pace
 * spreads log-normally stands about 3 robust z out every week of the
 * year (docs/analytics.md, "Peer standing"). 0 without a group.
 */
double
standing_chance(const struct standing *st)
{
	if (st->level == SL_NONE || st->n <= 0)
		return 0;
	return (double)st->n * 0.5 * erfc((double)st->rz / M_SQRT2);
}

/*
 * Whether v stands out of a group of people doing one thing together
 * (a cohort, detect.c; a group case, cases.c) whose median is med and
 * whose largest other figure is other: APART_MEDIAN times the median
 * and APART_OTHERS times anyone else. An incident team's members read
 * what their part needs - a few hundred rows for one, a few thousand
 * for the two who dig - so the median alone would single out the
 * diggers of every incident; one who stands out is apart from all of
 * them (a dump of 40,000 rows beside the team's 3,000 each).
 */
int
standing_apart(double v, double med, double other)
{
	return v >= APART_MEDIAN * med && v >= APART_OTHERS * other;
}

/*
 * The peers' routine at a local hour of a kind of day: the 95th
 * percentile of what members read in that hour (and the hours either
 * side) when they read sensitive rows in it - log-normal, from the
 * slot's mean and spread - provided they do so as a habit: at least
 * HOUR_MIN_K member-hours in the decayed memory, on at least
 * HOUR_MIN_SHARE of member-days of that kind. 0 when not: nobody reads
 * then, and nothing is routine.
 */
double
standing_hour_routine(const struct peer *pg, int kind, int hour)
{
	const struct slot *s;
	double k, sd;

	if (pg == NULL || kind < 0 || kind >= DAY_SLOTS || hour < 0 ||
	    hour > 23)
		return 0;
	s = &pg->hpull[kind][hour];
	k = pg->hpull_k[kind][hour];
	if (s->n < HOUR_MIN_N || k < HOUR_MIN_K ||
	    k < HOUR_MIN_SHARE * pg->hpull_n[kind])
		return 0;
	sd = sqrt(s->v) > HOUR_FLOOR ? sqrt(s->v) : HOUR_FLOOR;
	return expm1(s->m + Z95 * sd);
}

/* The kind of day (baseline_day_slot()) and local hour of the open hour. */
static void
open_hour(const struct analytics *an, int *kind, int *hour)
{
	int64_t day = an->day_open;

	*kind = baseline_day_slot(calendar_wday(day), calendar_holiday(an,
	    day));
	*hour = calendar_bucket_hour(an, an->hour_open);
}

/*
 * The hour closes, before its rules run: a person's sensitive reads in
 * an hour they do not usually work are not off-hours when their peers
 * routinely read that much at that hour of that kind of day - within
 * twice the peers' routine there - whether or not the person's own
 * hours have converged. A data analyst whose team pulls thousands of
 * rows in the evening, or a new night worker, is judged by what the
 * team does at that hour, not by an empty or day-shaped history of
 * their own; a pull at an hour when the peers read nothing, or far
 * more than they do then, stays off-hours.
 */
void
standing_hour(struct analytics *an, struct entity **ents, size_t n)
{
	struct entity *e;
	double x, r;
	size_t i;
	int kind, hour;

	open_hour(an, &kind, &hour);
	for (i = 0; i < n; i++) {
		e = ents[i];
		x = e->hv[FT_OFFHOURS_ROWS];
		if (x <= 0 || !e->known || e->service)
			continue;
		r = standing_hour_routine(peer_get(an, e->group), kind, hour);
		if (r <= 0 || x > ROUTINE_X * r)
			continue;
		e->hv[FT_OFFHOURS_ROWS] = 0;
		e->dv[FT_OFFHOURS_ROWS] -= x;
		if (e->dv[FT_OFFHOURS_ROWS] < 0)
			e->dv[FT_OFFHOURS_ROWS] = 0;
	}
}

/*
 * After the hour's rules: a person's sensitive reads in the hour, when
 * there were any, teach their group what is read at that hour - in its
 * slot and its neighbours', so a habit of 21:00 covers 20:00 and 22:00
 * too. Not from an alerted hour, a service account or an unknown
 * address.
 */
void
standing_hour_learn(struct analytics *an, struct entity *e)
{
	struct peer *pg;
	double x = e->hv[FT_ROWS_SENSITIVE];
	int kind, hour, d, h;

	if (x <= 0 || e->alerted_hour || !e->known || e->service ||
	    (pg = peer_get(an, e->group)) == NULL)
		return;
	open_hour(an, &kind, &hour);
	for (d = -1; d <= 1; d++) {
		h = (hour + d + 24) % 24;
		slot_learn(&pg->hpull[kind][h], x, HOUR_ALPHA, HOUR_FLOOR);
		pg->hpull_k[kind][h] += 1;
	}
}

/* A member's day of this kind counts in the share's denominator. */
void
standing_hour_day(struct analytics *an, struct entity *e, int kind)
{
	struct peer *pg;

	if (!e->known || e->service || kind < 0 || kind >= DAY_SLOTS ||
	    (pg = peer_get(an, e->group)) == NULL)
		return;
	pg->hpull_n[kind] += 1;
}

/* At each day's close, the hours' counts forget a little. */
void
standing_hour_decay(struct peer *pg)
{
	int k, h;

	for (k = 0; k < DAY_SLOTS; k++) {
		pg->hpull_n[k] *= HOUR_DECAY;
		for (h = 0; h < 24; h++)
			pg->hpull_k[k][h] *= HOUR_DECAY;
	}
}
