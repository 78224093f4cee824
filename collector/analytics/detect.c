/*
 * Detectors: turn an employee's buckets and baselines into figures the
 * rules compare with thresholds. A spike is a z-score of the hour or day
 * against the employee's own baseline for that time of week (or the peer
 * group's, until the own one has converged). Slow drift is a one-sided
 * CUSUM of the daily residual - measured against the larger of the
 * current and a lagged baseline (14-28 days old), so a theft that creeps
 * up cannot teach the baseline to accept it, and net of the peer group's
 * median residual that day, so a team-wide ticket surge does not look
 * like drift (a day five times the level of the surge is not part of
 * it) - plus a 30-day cumulative total compared with the peers'
 * median. A streak catches the same theft within days: the surprise
 * (-log p) of consecutive days well above the lower of the current and
 * lagged baselines, where p is how often such a day comes for this
 * person and their peers, so two in a row from a steady reader outweigh
 * five from a heavy-tailed one. For two weeks after the own baseline
 * learnt a team surge, a day is also judged against a team-relative
 * reference - the person's usual share of what their group reads that
 * very day - which a department-wide surge moves with it and a theft
 * started in the surge does not. Where a person stands among their
 * peers, without their own history, is standing.c's, run last here.
 * The combined daily score folds every feature into one number with
 * absolute minimums as well as ratios, counting a feature only beyond
 * twice what the peers of the person's role do on their busiest days.
 * Learning happens here too,
 * after the rules ran: not from alerted buckets, not from holidays, and
 * not for a feature whose drift statistic or streak is raised (frozen),
 * so the baseline never learns the theft it is meant to catch.
 * docs/analytics.md has the maths in prose.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analytics.h"
#include "leakwatch/log.h"
#include "leakwatch/util.h"

#define FLOOR_DAY	0.30	/* log units: about +-35% */
#define FLOOR_HOUR	0.50
#define ALPHA_DAY	0.07	/* about 30 updates of memory */
#define ALPHA_HOUR	0.05
#define CUSUM_K		1.0	/* slack, in z units */
#define CUSUM_FREEZE	2.0	/* no learning above this */
#define SPIKE_RATIO	8.0	/* above: a spike, not drift */
#define ACT_DECAY	0.97
#define LAG_DAYS	14
#define PEER_MIN_N	10	/* member-buckets before peers are a prior */
#define PEER_MIN_DAYS	3	/* ... and about this many days of members */
#define TEAM_SURGE	0.25	/* share of the team spiking: not one person */
#define SURGE_STANDOUT	5.0	/* times the surge's level: not part of it */
#define ROLE_SURGE_MIN	2	/* members of a role spiking together ... */
#define ROLE_SURGE_SHARE 0.10	/* ... and this share of its active: a surge */
#define COHORT_OTHERS	2	/* others new to one table with one: a cohort */
#define COHORT_YOUNG_DAYS 2	/* member-days a member before a young cohort */
/* The streak detector (elevated days in a row, docs/analytics.md). */
#define STREAK_RATIO	1.8	/* elevated: this many times the reference */
#define STREAK_Z	2.0	/* ... and this many sd above it, net of team */
#define STREAK_P0	0.05	/* a group's share of elevated days, a priori */
#define STREAK_M0	20.0	/* ... worth this many member-days */
#define STREAK_PRIOR	10.0	/* the group's share, worth this many own days */
#define STREAK_PMIN	0.01	/* no day is rarer than 1 in 100 */
#define STREAK_DECAY	0.05	/* counts forget: a memory of about 20 days */
#define STREAK_FREEZE	2.0	/* an elevated day in a streak is not learnt */
#define REL_MIN_ACTIVE	8	/* members active for a team level that day */
#define REL_TEAM_Z	1.0	/* team median z off by this: share not learnt */
#define REL_RATIO	1.5	/* elevated: this many times the team reference */
#define REL_FLOOR	0.20	/* floor of the share's spread (log units) */
#define REL_MIN_DAYS	4	/* share updates before it is a reference */
#define REL_YOUNG_FLOOR	0.30	/* ... its floor until baseline-min-days */
#define RAMP_DAYS	28	/* a joiner's share still grows: no reference */
#define ROUTINE_X	2.0	/* the day score: beyond twice the peers' p95 */

static double
abs_min(int f)
{
	return feature_min(f, MK_SPIKE);
}

static double
streak_min(int f)
{
	return feature_min(f, MK_STREAK);
}

static double
drift_min(int f)
{
	return feature_min(f, MK_DRIFT);
}

static const struct slot *
busiest(const struct slot *s)
{
	int i, b = 0;

	for (i = 1; i < 4; i++)
		if (s[i].n > s[b].n)
			b = i;
	return &s[b];
}

/*
 * The figures of feature f in the open hour or day bucket: value, z
 * against the own baseline (or the peers' before convergence), z against
 * the peers, and the typical values behind them.
 */
void
detect_figure(struct analytics *an, struct entity *e, int f, enum period per,
    struct figure *fig)
{
	double v = 0;

	if (f >= 0 && f < FT_MAX)
		v = per == PER_HOUR ? e->hv[f] : e->dv[f];
	detect_figure_at(an, e, f, per, v, fig);
}

/*
 * The same figures for another value measured against f's baselines:
 * how an off-hours volume compares with the person's whole usual day.
 */
void
detect_figure_at(struct analytics *an, struct entity *e, int f,
    enum period per, double value, struct figure *fig)
{
	struct peer *pg = peer_get(an, e->group);
	const struct slot *own, *alt = NULL, *ps = NULL;
	int64_t day = an->day_open;
	int hol = calendar_holiday(an, day), wd = calendar_wday(day), k;
	double floor;

	memset(fig, 0, sizeof(*fig));
	if (f < 0 || f >= FT_MAX)
		return;
	if (per == PER_HOUR) {
		k = baseline_hour_slot(wd, calendar_bucket_hour(an,
		    an->hour_open), hol);
		own = &e->s.f[f].hour[k];
		/*
		 * A band without history (the first evening at work)
		 * borrows the person's busiest weekday band: "an hour of
		 * yours", which is what a stranger hour is measured against.
		 */
		alt = busiest(e->s.f[f].hour);
		if (pg != NULL) {
			ps = &pg->hour[f][k];
			if (ps->n < PEER_MIN_N)
				ps = busiest(pg->hour[f]);
		}
		fig->value = value;
		floor = FLOOR_HOUR;
	} else {
		k = baseline_day_slot(wd, hol);
		own = &e->s.f[f].day[k];
		if (k == 1)
			alt = &e->s.f[f].day[0];
		if (pg != NULL)
			ps = &pg->day[f][k];
		fig->value = value;
		floor = FLOOR_DAY;
	}
	/*
	 * The peers are a prior once they have seen about three days of
	 * their members (n counts member-buckets), so the first days of a
	 * deployment, when everything is new for everyone, stay quiet.
	 */
	if (ps != NULL && pg != NULL && ps->n < (uint32_t)(PEER_MIN_DAYS *
	    pg->members))
		ps = NULL;
	/* a weekend without its own history borrows the weekday's */
	if (own->n < (uint32_t)an->p.min_days && alt != NULL &&
	    alt->n >= (uint32_t)an->p.min_days)
		own = alt;
	if (ps != NULL && ps->n < PEER_MIN_N)
		ps = NULL;
	fig->converged = own->n >= (uint32_t)an->p.min_days;
	if (ps != NULL) {
		fig->zpeer = slot_z(ps, fig->value, floor);
		fig->peer_typical = slot_typical(ps);
	}
	if (fig->converged) {
		fig->z = slot_z(own, fig->value, floor);
		fig->typical = slot_typical(own);
		slot_band(own, floor, &fig->band_lo, &fig->band_hi);
		fig->sd = sqrt(own->v) > floor ? sqrt(own->v) : floor;
	} else {
		fig->z = fig->zpeer;
		fig->typical = fig->peer_typical;
		if (ps != NULL)
			slot_band(ps, floor, &fig->band_lo, &fig->band_hi);
	}
}

double
detect_cusum_step(double s, double z, double k)
{
	s += z - k;
	return s > 0 ? s : 0;
}

/*
 * How often an elevated day comes for this person: their own decayed
 * share of elevated days, pulled towards their group's (worth
 * STREAK_PRIOR days of their own), and never below the group's share -
 * a streak must be rare for the person and for the peers - nor below
 * STREAK_PMIN. The group's share starts from STREAK_P0 (worth STREAK_M0
 * member-days) so a new deployment is not surprised by everything.
 */
double
detect_streak_p(double own_k, double own_n, double peer_k, double peer_n)
{
	double pp, po;

	pp = (peer_k + STREAK_P0 * STREAK_M0) / (peer_n + STREAK_M0);
	po = (own_k + STREAK_PRIOR * pp) / (own_n + STREAK_PRIOR);
	if (po < pp)
		po = pp;
	return po < STREAK_PMIN ? STREAK_PMIN : po;
}

/*
 * One day of the streak statistic: an elevated day adds its surprise,
 * -log p (so n elevated days in a row, each with chance p, sum to
 * -log p^n); an ordinary day ends the streak; a day the whole team was
 * up (elevated < 0) leaves it as it was.
 */
double
detect_streak_step(double s, int elevated, double p)
{
	if (elevated < 0)
		return s;
	if (elevated == 0)
		return 0;
	if (p < STREAK_PMIN)
		p = STREAK_PMIN;
	return s - log(p);
}

/* The sum of the last 30 days' values of f as of day. */
double
detect_cum30(const struct entity *e, int f, int64_t day)
{
	int64_t d, from;
	double sum = 0;

	if (e->s.last_day < 0 || e->s.last_day < day - (CUM_DAYS - 1))
		return 0;
	from = day - (CUM_DAYS - 1);
	if (from < e->s.last_day - (CUM_DAYS - 1))
		from = e->s.last_day - (CUM_DAYS - 1);
	for (d = from; d <= e->s.last_day; d++)
		sum += e->s.f[f].ring[d % CUM_DAYS];
	return sum;
}

static double
median(double *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * Whether day is within RAMP_DAYS of the person's start date (the
 * directory's `start`): a joiner's first weeks, in which their work grows
 * week by week, so that neither their share of the team's day nor their
 * own usual day learnt then is a measure of the days after.
 */
static int
joiner_ramp(struct analytics *an, const struct entity *e, int64_t day)
{
	return e->start_us != 0 && day - calendar_day(an, e->start_us) <
	    RAMP_DAYS;
}

/*
 * The team-relative figure of feature f today (value v, day slot k):
 * the value the person's usual share of their team's level predicts -
 * exp of the team's median log value today plus the person's usual log
 * ratio to it - or -1 where there is no team level (fewer than
 * REL_MIN_ACTIVE members active) or no converged ratio yet; e->rz[f]
 * gets the z of v against it, in the ratio's own spread. A surge of the
 * whole team moves the prediction with it; a theft does not.
 */
static double
detect_rel(struct analytics *an, struct entity *e, const struct peer *pg,
    int f, int k, double v)
{
	const struct slot *rs = &e->s.f[f].rel[k];
	double sd, floor;
	uint32_t minn;

	e->rz[f] = 0;
	e->rexp[f] = -1;
	if (pg == NULL || pg->nlmed == 0)
		return -1;
	/*
	 * A new joiner takes on more work week by week: the share learnt
	 * in their first weeks is no measure of the next.
	 */
	if (joiner_ramp(an, e, an->day_open))
		return -1;
	/*
	 * The share is steadier than the person's own days (the team's
	 * day is taken out), so it is a reference sooner: after a few
	 * ordinary days, with the own baseline's floor until it has as
	 * many as the own one needs. Someone back from leave just before a
	 * surge has no converged baseline of their own to compare with.
	 */
	minn = an->p.min_days < REL_MIN_DAYS ? (uint32_t)an->p.min_days :
	    REL_MIN_DAYS;
	if (rs->n < minn && k == 1)
		rs = &e->s.f[f].rel[0];
	if (rs->n < minn)
		return -1;
	floor = rs->n < (uint32_t)an->p.min_days ? REL_YOUNG_FLOOR :
	    REL_FLOOR;
	sd = sqrt(rs->v) > floor ? sqrt(rs->v) : floor;
	e->rz[f] = (log1p(v > 0 ? v : 0) - pg->lmed[f] - rs->m) / sd;
	e->rexp[f] = expm1(pg->lmed[f] + rs->m);
	if (e->rexp[f] < 0)
		e->rexp[f] = 0;
	return e->rexp[f];
}

/*
 * The day's close, in the order detect_day_close() runs the steps. Each
 * step reads what the ones before it wrote; nothing is learnt here: the
 * day rules run on these figures first, and detect_day_learn() after.
 */

/* The groups' elevated-day counts forget a little every day. */
static void
day_decay_peers(struct analytics *an)
{
	struct peer *pg;
	size_t it = 0;
	void *val;
	int f;

	while (hmap_next(an->peers, &it, NULL, &val)) {
		pg = val;
		for (f = 0; f < FT_MAX; f++) {
			pg->el_k[f] *= 1 - STREAK_DECAY;
			pg->el_n[f] *= 1 - STREAK_DECAY;
		}
		standing_hour_decay(pg);
	}
}

/* The own z of every active member per feature (0 until converged). */
static void
day_own_z(struct analytics *an, struct entity **ents, size_t n)
{
	struct figure fig;
	size_t i;
	int f;

	for (i = 0; i < n; i++)
		for (f = 0; f < FT_MAX; f++) {
			detect_figure(an, ents[i], f, PER_DAY, &fig);
			ents[i]->dz[f] = fig.converged ? fig.z : 0;
		}
}

/*
 * Each group's day: how many members were active, their median own z
 * per feature (from three members on), and the team's level, the median
 * log1p of their values, which is a reference for the team-relative
 * figures from REL_MIN_ACTIVE members on. vals has room for every
 * entity.
 */
static void
day_team_levels(struct analytics *an, struct entity **ents, size_t n,
    double *vals)
{
	struct peer *pg;
	size_t it = 0, i, nv;
	void *val;
	int f;

	while (hmap_next(an->peers, &it, NULL, &val)) {
		pg = val;
		pg->active = 0;
		for (f = 0; f < FT_MAX; f++) {
			for (i = 0, nv = 0; i < n; i++)
				if (strcmp(ents[i]->group, pg->name) == 0)
					vals[nv++] = ents[i]->dz[f];
			pg->active = (int)nv;
			pg->zmed[f] = nv >= 3 ? median(vals, nv) : 0;
			for (i = 0, nv = 0; i < n; i++)
				if (strcmp(ents[i]->group, pg->name) == 0)
					vals[nv++] = log1p(ents[i]->dv[f] > 0 ?
					    ents[i]->dv[f] : 0);
			pg->lmed[f] = median(vals, nv);
		}
		pg->nlmed = pg->active >= REL_MIN_ACTIVE ? pg->active : 0;
	}
}

/* First-seen names: unusual now that the day's readers are known. */
static void
day_first_seen(struct analytics *an, struct entity **ents, size_t n)
{
	struct entity *e;
	char nk[300];
	size_t i;
	int j;

	for (i = 0; i < n; i++) {
		e = ents[i];
		for (j = 0; j < e->n_new_tables && j < NAMES_KEPT; j++) {
			snprintf(nk, sizeof(nk), "t:%s", e->new_tables[j]);
			e->unusual_tables += detect_peer_unusual(an, e, nk);
		}
		for (j = 0; j < e->n_new_dests && j < NAMES_KEPT; j++) {
			snprintf(nk, sizeof(nk), "d:%s", e->new_dests[j]);
			e->unusual_dests += detect_peer_unusual(an, e, nk);
		}
	}
}

/* One person's first read of a sensitive table today (day_cohorts()). */
struct newread {
	const char	*group;
	const char	*table;
	size_t		 i;	/* in the day's entities */
	int		 young;	/* before baseline-min-days */
};

static int
cmp_newread(const void *a, const void *b)
{
	const struct newread *x = a, *y = b;
	int c;

	if ((c = strcmp(x->group, y->group)) != 0)
		return c;
	if ((c = strcmp(x->table, y->table)) != 0)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Adds e's first reads of the day (names, n of them) to r. */
static size_t
newreads_add(struct newread *r, size_t nr, const struct entity *e,
    size_t i, char *const *names, int n, int young)
{
	int t;

	for (t = 0; t < n && t < NAMES_KEPT; t++) {
		r[nr].group = e->group;
		r[nr].table = names[t];
		r[nr].young = young;
		r[nr++].i = i;
	}
	return nr;
}

/*
 * May the readers r[0..n) of one table make a cohort? Yes when all of
 * them have a baseline (their first-seen names). A reader in their
 * first days reads everything for the first time, so with one among
 * them the table must be new to the group as well: few of its members
 * (under a quarter, or under two in a small group, as for a first-seen
 * name) had read it before today, in a group seen at work for COHORT_YOUNG_DAYS days a
 * member - an incident team's table in a deployment's first week, not
 * one the team reads every day.
 */
static int
cohort_new(struct analytics *an, const struct newread *r, size_t n)
{
	struct peer *pg;
	char key[300];
	size_t k;
	intptr_t before;
	int young = 0, few;

	for (k = 0; k < n; k++)
		young |= r[k].young;
	if (!young)
		return 1;
	if ((pg = peer_get(an, r[0].group)) == NULL || pg->members <= 0 ||
	    pg->act_days < COHORT_YOUNG_DAYS * (double)pg->members)
		return 0;
	snprintf(key, sizeof(key), "t:%s", r[0].table);
	before = (intptr_t)hmap_get(pg->tables, key) - (intptr_t)n;
	few = pg->members / 4 < 2 ? 2 : pg->members / 4;
	return before < few;
}

/*
 * Whether a member whose sensitive rows today are v stands out of a
 * cohort whose median is med and whose largest figures are top and
 * second (standing_apart()).
 */
static int
cohort_standout(double v, double med, double top, double second)
{
	return standing_apart(v, med, v >= top ? second : top);
}

/*
 * Cohorts: three or more people of one peer group reading a sensitive
 * table for the first time on the same day do one new thing together -
 * an incident team looking into a table, an audit campaign's first day,
 * a migration - which is one situation (cases.c makes it one group
 * case, with every member the cohort names), not a spike of each. Each
 * member's cohort is the number of others new to one of their tables
 * with them, and cohort_table that table, unless they stand out of it
 * (cohort_standout()): one who stands out is judged alone. Members in
 * their first days count when the table is new to the group
 * (cohort_new()). vals has room for n values.
 */
static void
day_cohorts(struct analytics *an, struct entity **ents, size_t n,
    double *vals)
{
	struct newread *r;
	struct entity *e;
	size_t nr = 0, i, j, k, cap = 0;
	double med, top, second, v;

	for (i = 0; i < n; i++) {
		ents[i]->cohort = 0;
		ents[i]->cohort_table = NULL;
		cap += (size_t)(ents[i]->n_new_tables < NAMES_KEPT ?
		    ents[i]->n_new_tables : NAMES_KEPT);
		cap += (size_t)(ents[i]->n_young_tables < NAMES_KEPT ?
		    ents[i]->n_young_tables : NAMES_KEPT);
	}
	if (cap == 0 || (r = calloc(cap, sizeof(*r))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (ents[i]->service || !ents[i]->known)
			continue;
		nr = newreads_add(r, nr, ents[i], i, ents[i]->new_tables,
		    ents[i]->n_new_tables, 0);
		nr = newreads_add(r, nr, ents[i], i, ents[i]->young_tables,
		    ents[i]->n_young_tables, 1);
	}
	if (nr > 1)
		qsort(r, nr, sizeof(*r), cmp_newread);
	for (i = 0; i < nr; i = j) {
		for (j = i + 1; j < nr && strcmp(r[i].group, r[j].group) == 0 &&
		    strcmp(r[i].table, r[j].table) == 0; j++)
			;
		if (j - i < COHORT_OTHERS + 1 || !cohort_new(an, r + i, j - i))
			continue;
		top = second = 0;
		for (k = i; k < j; k++) {
			v = vals[k - i] = ents[r[k].i]->dv[FT_ROWS_SENSITIVE];
			if (v > top) {
				second = top;
				top = v;
			} else if (v > second)
				second = v;
		}
		med = median(vals, j - i);
		for (k = i; k < j; k++) {
			e = ents[r[k].i];
			if (cohort_standout(e->dv[FT_ROWS_SENSITIVE], med, top,
			    second) || e->cohort >= (int)(j - i - 1))
				continue;
			e->cohort = (int)(j - i - 1);
			e->cohort_table = r[k].table;
		}
	}
	free(r);
}

/* What a cohort does together: reads (not uploads). */
static int
read_feature(int f)
{
	return f < FT_OUT_CLOUD || f == FT_OFFHOURS_ROWS || f >= FT_CLASS0;
}

/*
 * The drift residual of feature f today (fig: its figures, k: the day
 * slot): the own z or, when larger, the z against the lagged snapshot,
 * net of the group's median z. *tref gets the lower of the current and
 * lagged typical values, the reference the streaks are measured from.
 */
static double
drift_residual(struct analytics *an, const struct peer *pg,
    const struct fstate *fs, int f, int k, const struct figure *fig,
    double *tref)
{
	double r = fig->z, zlag;

	*tref = fig->typical;
	if (fig->converged && fs->lag[k].n >= (uint32_t)an->p.min_days) {
		/*
		 * The lagged snapshot has its mean from the past but the
		 * spread the current baseline learnt since: an old snapshot
		 * of a few quiet days must not make every heavy day of a
		 * heavy-tailed reader look like drift.
		 */
		zlag = slot_z(&fs->lag[k], fig->value, fig->sd);
		if (zlag > r)
			r = zlag;
		if (slot_typical(&fs->lag[k]) < *tref)
			*tref = slot_typical(&fs->lag[k]);
	}
	if (pg != NULL && pg->zmed[f] > 0)
		r -= pg->zmed[f];
	return r;
}

/*
 * Streak: an elevated day is well above the lower of the current and the
 * lagged reference (tref), in absolute terms and in the person's own
 * spread, net of the team's median (r). Moves the streak statistic and
 * returns whether today was elevated: 1, 0, or -1 while the baseline has
 * not converged (the streak then starts again from nothing).
 */
static int
day_streak(struct analytics *an, struct entity *e, const struct peer *pg,
    int f, int64_t day, const struct figure *fig, double tref, double r,
    double rel)
{
	struct fstate *fs = &e->s.f[f];
	int el;

	/*
	 * A joiner's own baseline is learnt on their training weeks, light
	 * by design: against it every full day of the work that follows is
	 * elevated, and a streak of them is the job growing, not a theft
	 * (docs/analytics.md, "Streak"). Their peers judge them meanwhile
	 * (peer standing, from the first day they are seen).
	 */
	if (!fig->converged || joiner_ramp(an, e, day)) {
		fs->streak = 0;
		fs->streak_days = 0;
		return -1;
	}
	el = fig->value - tref >= streak_min(f) && fig->value >=
	    STREAK_RATIO * (tref > 1 ? tref : 1) && r >= STREAK_Z;
	/*
	 * A day the whole team is up counts neither way. For LAG_DAYS after
	 * the own baseline learnt a day of a team surge, the surge's later
	 * days included, a day is also elevated against the person's usual
	 * share of the team's level that day (rel): the raised baseline
	 * would otherwise hide a theft that began in the surge. Its bar is
	 * REL_RATIO, not 1.8x: a few hundred rows on top of a surge are less
	 * in ratio. (Always, it would count too many ordinary busy weeks.)
	 */
	if (el && detect_team(an, e, f, PER_DAY) >= TEAM_SURGE) {
		fs->streak = detect_streak_step(fs->streak, -1, 1);
		return 0;
	}
	if (!el && rel >= 0 && day - fs->surge_day <= LAG_DAYS)
		el = fig->value - rel >= streak_min(f) && fig->value >=
		    REL_RATIO * (rel > 1 ? rel : 1) && e->rz[f] >= STREAK_Z;
	fs->streak = detect_streak_step(fs->streak, el, detect_streak_p(
	    fs->el_k, fs->el_n, pg != NULL ? pg->el_k[f] : 0, pg != NULL ?
	    pg->el_n[f] : 0));
	fs->streak_days = el ? fs->streak_days + 1 : 0;
	return el;
}

/*
 * What of the residual r the drift statistic may take: nothing below the
 * feature's drift minimum, nothing from a spike, and at most 4 (at least
 * -3) z units a day.
 */
static double
drift_clip(int f, const struct figure *fig, double r)
{
	if (fig->value - fig->typical < drift_min(f) && r > 0)
		r = 0;
	/*
	 * A day far above normal (8x) is a spike: the spike detectors judge
	 * it. Drift is the moderate excess that repeats; letting a
	 * heavy-tailed reporting job feed it would make every analyst a
	 * slow thief.
	 */
	if (fig->value > SPIKE_RATIO * (fig->typical > drift_min(f) ?
	    fig->typical : drift_min(f)))
		r = 0;
	if (r > 4)
		r = 4;
	if (r < -3)
		r = -3;
	return r;
}

/*
 * The most the person did of f on one day in the 29 days before day (0
 * without such days): their own busiest day of the last four weeks,
 * whatever their usual day - an irregular worker's pulls are their
 * routine, a usual day of nothing notwithstanding.
 */
double
detect_own_max(const struct entity *e, int f, int64_t day)
{
	int64_t d, from;
	double m = 0;

	if (e->s.last_day < 0)
		return 0;
	from = day - (CUM_DAYS - 1);
	if (from < e->s.last_day - (CUM_DAYS - 1))
		from = e->s.last_day - (CUM_DAYS - 1);
	for (d = from; d <= e->s.last_day && d < day; d++)
		if (e->s.f[f].ring[d % CUM_DAYS] > m)
			m = e->s.f[f].ring[d % CUM_DAYS];
	return m;
}

/* The 30-day ring: today's value, and 0 for the days without activity. */
static void
day_ring(struct entity *e, int f, int64_t day)
{
	struct fstate *fs = &e->s.f[f];
	int64_t d;

	if (e->s.last_day >= 0)
		for (d = e->s.last_day + 1; d < day &&
		    d < e->s.last_day + 1 + CUM_DAYS; d++)
			fs->ring[d % CUM_DAYS] = 0;
	fs->ring[day % CUM_DAYS] = (float)e->dv[f];
}

/*
 * One feature of one active employee: the drift residual, the streak,
 * the CUSUM and the 30-day ring.
 */
static void
day_feature(struct analytics *an, struct entity *e, struct peer *pg, int f,
    int k, int64_t day)
{
	struct fstate *fs = &e->s.f[f];
	struct figure fig;
	double r, tref, rel;
	int el;

	detect_figure(an, e, f, PER_DAY, &fig);
	r = drift_residual(an, pg, fs, f, k, &fig, &tref);
	rel = detect_rel(an, e, pg, f, k, fig.value);
	el = day_streak(an, e, pg, f, day, &fig, tref, r, rel);
	e->elev[f] = (signed char)el;
	r = drift_clip(f, &fig, r);
	/*
	 * Drift is measured against the person's own past: before their
	 * baseline converged there is none, and the statistic stays at 0
	 * (the spike detectors and the peers cover the newcomer).
	 */
	if (fig.converged)
		fs->cusum = detect_cusum_step(fs->cusum, r, CUSUM_K);
	else
		fs->cusum = 0;
	if (f == FT_ROWS_SENSITIVE && fig.value > 0)
		log_debug("day %lld %s rows.sensitive %.0f typical %.0f z %.2f "
		    "r %.2f zmed %.2f cusum %.2f converged %d rel %.0f rz %.2f "
		    "team %.2f el %d streak %.2f", (long long)day, e->id,
		    fig.value, fig.typical, fig.z, r, pg != NULL ?
		    pg->zmed[f] : 0, fs->cusum, fig.converged, rel, e->rz[f],
		    detect_team(an, e, f, PER_DAY), el, fs->streak);
	day_ring(e, f, day);
}

/* Drift and streaks of one active employee, every feature (slot k). */
static void
day_drift(struct analytics *an, struct entity *e, int k, int64_t day)
{
	struct peer *pg = peer_get(an, e->group);
	int f;

	for (f = 0; f < FT_MAX; f++)
		day_feature(an, e, pg, f, k, day);
	features_day_tables(e, day);
	standing_seen(e, day);
	e->s.last_day = day;
}

/*
 * Every entity's 30-day totals, active today or not, and each group's
 * median of them over its members seen in the last 30 days. vals has
 * room for cap values.
 */
static void
day_cum30(struct analytics *an, int64_t day, double *vals, size_t cap)
{
	struct entity *e;
	struct peer *pg;
	size_t it = 0, it2, nv;
	void *val, *v2;
	int f;

	while (hmap_next(an->entities, &it, NULL, &val)) {
		e = val;
		for (f = 0; f < FT_MAX; f++)
			e->cum30[f] = detect_cum30(e, f, day);
	}
	it = 0;
	while (hmap_next(an->peers, &it, NULL, &val)) {
		pg = val;
		for (f = 0; f < FT_MAX; f++) {
			nv = 0;
			it2 = 0;
			while (hmap_next(an->entities, &it2, NULL, &v2) &&
			    nv < cap) {
				e = v2;
				if (strcmp(e->group, pg->name) == 0 &&
				    e->s.last_day >= day - (CUM_DAYS - 1))
					vals[nv++] = e->cum30[f];
			}
			pg->cum30_med[f] = median(vals, nv);
		}
	}
}

/*
 * A day ends: for every employee active today (ents, sorted by id) the
 * own z per feature, the peer groups' median z and level, the first-seen
 * names' rarity, the team surges, the drift residuals, streaks and
 * CUSUMs, the 30-day totals and the peers' medians of them - the steps
 * above, in that order - and last every person's peer standing
 * (standing.c), from the 30-day rings just written. Nothing is learnt
 * yet: the rules run on these figures first.
 *
 * The one allocation, the scratch array for the groups' medians, comes
 * before any step, so when it fails nothing has changed: the failure is
 * logged and -1 returned, and the day is not closed - never closed
 * without its detectors. The caller keeps the day open (close_day() in
 * analytics.c): live, the close is tried again at the next hour and the
 * hours in between count in the open day, as a late event does; a
 * replay stops with an error instead, since its output would no longer
 * be that of the same events.
 */
int
detect_day_close(struct analytics *an, struct entity **ents, size_t n,
    int64_t day)
{
	size_t cap = hmap_count(an->entities) + 1, i;
	double *vals;
	int k;

	if ((vals = calloc(cap, sizeof(*vals))) == NULL) {
		log_warn("detect: closing day %lld", (long long)day);
		return -1;
	}
	day_decay_peers(an);
	/* out of memory, the routine stays the last one made */
	(void)standing_routine(an, day);
	day_own_z(an, ents, n);
	day_team_levels(an, ents, n, vals);
	day_first_seen(an, ents, n);
	day_cohorts(an, ents, n, vals);
	detect_surge(an, ents, n, PER_DAY);
	/* drift: residuals against the lower of current and lagged */
	k = baseline_day_slot(calendar_wday(day), calendar_holiday(an, day));
	for (i = 0; i < n; i++)
		day_drift(an, ents[i], k, day);
	day_cum30(an, day, vals, cap);
	free(vals);
	/*
	 * Out of memory, the standing keeps the day before's figures: the
	 * day still closes, its other detectors ran.
	 */
	(void)standing_day(an, day);
	return 0;
}

static int
is_rows(int f)
{
	return f == FT_ROWS_SENSITIVE || f == FT_OFFHOURS_ROWS ||
	    f >= FT_CLASS0;
}

/*
 * A service account's day of f that repeats its day of a week ago (at
 * most twice what it read then): a scheduled job - the Sunday backup, a
 * weekly extract - is its own routine, though the account's baseline
 * for the kind of day is made mostly of days it does not run. A
 * person's week is not a schedule: this is for service accounts only.
 */
static int
weekly_job(const struct entity *e, int f)
{
	int64_t d = e->s.last_day;
	double last;

	if (!e->service || d < 7)
		return 0;
	last = e->s.f[f].ring[(d - 7) % CUM_DAYS];
	return last > 0 && e->dv[f] <= 2 * last;
}

/*
 * The combined daily score, 0-100: the strongest feature's evidence plus
 * half of the others', the drift statistic, and first-seen sensitive
 * tables and destinations. A feature counts only above its absolute
 * minimum and at 3x its typical value, and only as far as both the own
 * and the peer comparison find it unusual (min of the two z), so neither
 * a heavy but habitual reader nor a newcomer doing what the team does
 * scores. why (may be NULL) receives the parts.
 */
double
detect_day_score(struct analytics *an, struct entity *e, json_t *why)
{
	int feats[4 + SENS_MAX_CLASSES], nf = 0;
	struct figure fig;
	double ev, best = 0, sum = 0, drift = 0, s, t, ratio;
	char nb[64];
	int i, f;

	/* per class when there are classes, else all sensitive rows */
	for (i = 0; i < sensitivity_nclasses(an->sens); i++)
		feats[nf++] = FT_CLASS0 + i;
	if (nf == 0)
		feats[nf++] = FT_ROWS_SENSITIVE;
	feats[nf++] = FT_OUT_EXFIL;
	feats[nf++] = FT_OFFHOURS_ROWS;
	feats[nf++] = FT_OFFHOURS_OUT;
	feats[nf++] = FT_TABLES;
	for (i = 0; i < nf; i++) {
		f = feats[i];
		/*
		 * Off-hours volumes are measured against the person's whole
		 * usual day (and the peers'): most people's off-hours
		 * baseline is nothing, against which an analyst's evening
		 * report is infinitely unusual; against their usual day it
		 * is what it is, while a night's bulk read by someone who
		 * reads a few hundred rows a day still stands out.
		 */
		if (f == FT_OFFHOURS_ROWS || f == FT_OFFHOURS_OUT)
			detect_figure_at(an, e, f == FT_OFFHOURS_ROWS ?
			    FT_ROWS_SENSITIVE : FT_OUT_EXFIL, PER_DAY, e->dv[f],
			    &fig);
		else
			detect_figure(an, e, f, PER_DAY, &fig);
		ev = 0;
		t = fig.typical > abs_min(f) / 10 ? fig.typical :
		    abs_min(f) / 10;
		ratio = fig.value / t;
		/*
		 * A team-wide surge (migration, month end) is not one
		 * person, nor is what the peers of the role do on their
		 * busiest days (twice their 95th percentile): an irregular
		 * worker whose own usual is nothing scores only beyond it,
		 * and beyond twice their own busiest day of the last four
		 * weeks; nor a service account's weekly job.
		 */
		if (fig.value >= abs_min(f) && ratio >= 3 &&
		    detect_team(an, e, f, PER_DAY) < TEAM_SURGE &&
		    fig.value > ROUTINE_X * e->routine[f] &&
		    fig.value > ROUTINE_X * detect_own_max(e, f,
		    e->s.last_day) && !weekly_job(e, f)) {
			ev = fig.zpeer != 0 && fig.zpeer < fig.z ? fig.zpeer :
			    fig.z;
			if (ev < 0)
				ev = 0;
			if (ev > 10)
				ev = 10;
		}
		if (ev > best) {
			sum += best;
			best = ev;
		} else
			sum += ev;
		if (is_rows(f) || f == FT_OUT_EXFIL) {
			double d = e->s.f[f].cusum / 4;

			if (d > 3)
				d = 3;
			if (d > drift)
				drift = d;
		}
		if (why != NULL && ev > 0)
			json_object_set_new(why, feature_name(an, f, nb,
			    sizeof(nb)), json_real(round(ev * 100) / 100));
	}
	s = best + sum / 2 + drift + 2 * (e->unusual_tables > 2 ? 2 :
	    e->unusual_tables) + 1.5 * (e->unusual_dests > 2 ? 2 :
	    e->unusual_dests);
	if (why != NULL) {
		if (drift > 0)
			json_object_set_new(why, "drift",
			    json_real(round(drift * 100) / 100));
		if (e->unusual_tables > 0)
			json_object_set_new(why, "first_seen_tables",
			    json_integer(e->unusual_tables));
		if (e->unusual_dests > 0)
			json_object_set_new(why, "first_seen_destinations",
			    json_integer(e->unusual_dests));
	}
	return round(100 * (1 - exp(-s / 6)));
}

/*
 * After the day's rules: learn the day (own and peer baselines, the
 * active-hour profile, the lagged snapshots) unless the day alerted or is
 * a holiday; a feature whose CUSUM is raised is frozen.
 */
void
detect_day_learn(struct analytics *an, struct entity *e, int64_t day)
{
	struct peer *pg = peer_get(an, e->group);
	int hol = calendar_holiday(an, day), k, f, h;
	double pa;

	if (e->alerted_day || hol)
		return;
	k = baseline_day_slot(calendar_wday(day), hol);
	pa = ALPHA_DAY / (pg != NULL && pg->active > 1 ? pg->active : 1);
	for (f = 0; f < FT_MAX; f++) {
		struct fstate *fs = &e->s.f[f];

		/*
		 * How often this person (and group) has elevated days is
		 * learnt every day, streak or not: it is what makes a
		 * heavy-tailed reader's streaks unsurprising.
		 */
		if (e->elev[f] >= 0) {
			fs->el_k = fs->el_k * (1 - STREAK_DECAY) + e->elev[f];
			fs->el_n = fs->el_n * (1 - STREAK_DECAY) + 1;
			if (pg != NULL) {
				pg->el_k[f] += e->elev[f];
				pg->el_n[f] += 1;
			}
		}
		if (fs->cusum >= CUSUM_FREEZE || (e->elev[f] == 1 &&
		    fs->streak >= STREAK_FREEZE))
			continue;
		slot_learn(&fs->day[k], e->dv[f], ALPHA_DAY, FLOOR_DAY);
		if (pg != NULL && pg->zmed[f] >= REL_TEAM_Z)
			fs->surge_day = day;
		/*
		 * The share of the team's level is learnt on the team's
		 * ordinary days only: on a surge (or a lull) each member
		 * follows it to a different degree, and a member who did
		 * not join a surge week would learn a share too small.
		 */
		if (pg != NULL && pg->nlmed > 0 && fabs(pg->zmed[f]) <
		    REL_TEAM_Z)
			slot_learn_log(&fs->rel[k], log1p(e->dv[f]) -
			    pg->lmed[f], ALPHA_DAY, FLOOR_DAY);
		if (pg != NULL)
			slot_learn(&pg->day[f][k], e->dv[f], pa, FLOOR_DAY);
		/*
		 * A frozen feature keeps its snapshot, from before the
		 * drift: the lagged reference does not take in the theft.
		 */
		if (day % LAG_DAYS == 0) {
			memcpy(fs->lag, fs->snap, sizeof(fs->lag));
			memcpy(fs->snap, fs->day, sizeof(fs->snap));
		}
	}
	/*
	 * The own profile counts active days per hour (decayed); the
	 * peers' holds the fraction of member-days active in each hour.
	 */
	if (pg != NULL && pa < 1 / (pg->act_days + 1))
		pa = 1 / (pg->act_days + 1);
	for (h = 0; h < 24; h++) {
		e->s.act[h] = e->s.act[h] * ACT_DECAY +
		    ((e->day_hours >> h) & 1);
		if (pg != NULL)
			pg->act[h] += pa * ((double)((e->day_hours >> h) & 1) -
			    pg->act[h]);
	}
	e->s.act_days = e->s.act_days * ACT_DECAY + 1;
	if (pg != NULL)
		pg->act_days += 1;
	standing_hour_day(an, e, k);
	e->dirty = 1;
}

/* The same for an hour bucket. */
void
detect_hour_learn(struct analytics *an, struct entity *e)
{
	struct peer *pg = peer_get(an, e->group);
	int64_t day = an->day_open;
	int hol = calendar_holiday(an, day), k, f;

	if (hol)
		return;
	standing_hour_learn(an, e);
	if (e->alerted_hour)
		return;
	k = baseline_hour_slot(calendar_wday(day),
	    calendar_bucket_hour(an, an->hour_open), hol);
	for (f = 0; f < FT_MAX; f++) {
		if (e->s.f[f].cusum >= CUSUM_FREEZE)
			continue;
		slot_learn(&e->s.f[f].hour[k], e->hv[f], ALPHA_HOUR,
		    FLOOR_HOUR);
		if (pg != NULL)
			slot_learn(&pg->hour[f][k], e->hv[f], ALPHA_HOUR /
			    (pg->members > 1 ? pg->members : 1), FLOOR_HOUR);
	}
}

/*
 * Few peers have read this name (a count that includes e itself)? Fewer
 * than a quarter of the group, and at most one other, is "few"; for a
 * destination, fewer than a tenth (features.c, dest_rare()).
 */
int
detect_peer_unusual(struct analytics *an, struct entity *e, const char *key)
{
	struct peer *pg = peer_get(an, e->group);
	intptr_t c = (intptr_t)hmap_get(pg->tables, key);
	int lim = pg->members / (strncmp(key, "d:", 2) == 0 ? 10 : 4);

	if (lim < 2)
		lim = 2;
	return c - 1 < lim;
}

static int
spiking(struct analytics *an, struct entity *e, int f, enum period per)
{
	struct figure fig;

	detect_figure(an, e, f, per, &fig);
	return fig.z > 3 && fig.value >= abs_min(f);
}

/*
 * Each group's median day value of f over its members spiking on it
 * (surge_med; 0 with none): the level of a team surge, against which
 * detect_team() tells a standout. flag[i * FT_MAX + f] says whether
 * ents[i] spikes on f; vals has room for n values.
 */
static void
surge_levels(struct analytics *an, struct entity **ents, size_t n,
    const unsigned char *flag, double *vals)
{
	struct peer *pg;
	size_t it = 0, i, nv;
	void *val;
	int f;

	while (hmap_next(an->peers, &it, NULL, &val)) {
		pg = val;
		for (f = 0; f < FT_MAX; f++) {
			pg->surge_med[f] = 0;
			if (pg->surge[PER_DAY][f] == 0)
				continue;
			for (i = 0, nv = 0; i < n; i++)
				if (flag[i * FT_MAX + (size_t)f] &&
				    strcmp(ents[i]->group, pg->name) == 0)
					vals[nv++] = ents[i]->dv[f];
			pg->surge_med[f] = median(vals, nv);
		}
	}
}

/* An active entity and its index in the bucket's list, by role. */
struct role_ix {
	struct entity	*e;
	size_t		 i;
};

static int
cmp_role(const void *a, const void *b)
{
	const struct role_ix *x = a, *y = b;
	int c;

	if ((c = strcmp(x->e->department, y->e->department)) != 0)
		return c;
	if ((c = strcmp(x->e->role, y->e->role)) != 0)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Whether two sorted entries are of one role of one department. */
static int
same_role(const struct role_ix *x, const struct role_ix *y)
{
	return strcmp(x->e->department, y->e->department) == 0 &&
	    strcmp(x->e->role, y->e->role) == 0;
}

/*
 * The members of each role of a department active in the bucket, and of
 * them how many spike on each feature, stored at every member (rsurge,
 * ract): an audit campaign is a few auditors of a large department
 * sampling the same records for days - a surge of their role, too few
 * of the department to be one of the team. flag as for surge_levels().
 */
static void
role_surges(struct entity **ents, size_t n, int per,
    const unsigned char *flag)
{
	struct role_ix *s;
	size_t i, j, k;
	float up;
	int f;

	if (n == 0 || (s = calloc(n, sizeof(*s))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		s[i].e = ents[i];
		s[i].i = i;
		memset(ents[i]->rsurge[per], 0, sizeof(ents[i]->rsurge[per]));
		ents[i]->ract[per] = 0;
	}
	qsort(s, n, sizeof(*s), cmp_role);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && same_role(&s[i], &s[j]); j++)
			;
		if (!s[i].e->known || s[i].e->service ||
		    s[i].e->role[0] == '\0')
			continue;
		for (f = 0; f < FT_MAX; f++) {
			up = 0;
			for (k = i; k < j; k++)
				up += flag[s[k].i * FT_MAX + (size_t)f];
			for (k = i; k < j; k++)
				s[k].e->rsurge[per][f] = up;
		}
		for (k = i; k < j; k++)
			s[k].e->ract[per] = (int)(j - i);
	}
	free(s);
}

/*
 * For each peer group and feature, how many of the members active in the
 * bucket spike (own z above 3, value above the feature's absolute
 * minimum): a month end or a migration lifts many at once, a theft one.
 * For a day, also the level of each group's surge (surge_levels()); when
 * the memory for it is lacking, every group's level is 0 and no one
 * stands out of a surge that day.
 */
void
detect_surge(struct analytics *an, struct entity **ents, size_t n,
    enum period per)
{
	struct peer *pg;
	unsigned char *flag = NULL;
	double *vals = NULL;
	size_t it = 0, i;
	void *val;
	int f;

	while (hmap_next(an->peers, &it, NULL, &val)) {
		pg = val;
		pg->nact[per] = 0;
		memset(pg->surge[per], 0, sizeof(pg->surge[per]));
		if (per == PER_DAY)
			memset(pg->surge_med, 0, sizeof(pg->surge_med));
	}
	if (n > 0) {
		flag = calloc(n, FT_MAX);
		if (per == PER_DAY)
			vals = calloc(n, sizeof(*vals));
	}
	for (i = 0; i < n; i++) {
		pg = peer_get(an, ents[i]->group);
		pg->nact[per]++;
		for (f = 0; f < FT_MAX; f++)
			if (spiking(an, ents[i], f, per)) {
				pg->surge[per][f] += 1;
				if (flag != NULL)
					flag[i * FT_MAX + (size_t)f] = 1;
			}
	}
	if (flag != NULL && vals != NULL)
		surge_levels(an, ents, n, flag, vals);
	if (flag != NULL)
		role_surges(ents, n, per, flag);
	free(flag);
	free(vals);
}

/*
 * An hour closes, before its rules: off-hours reads within the peers'
 * routine for that hour are set aside (standing.c), then the team
 * surges are counted on what is left.
 */
void
detect_hour_close(struct analytics *an, struct entity **ents, size_t n)
{
	standing_hour(an, ents, n);
	detect_surge(an, ents, n, PER_HOUR);
}

/*
 * The share of e's other active peers who spiked on f in this bucket
 * (0 with fewer than three others: too few to call it a team), or of the
 * active members of their role in their department when higher and at
 * least ROLE_SURGE_MIN of them spiked: a campaign of a few auditors is a
 * surge of their role, not one auditor's. A day
 * that is SURGE_STANDOUT times the level of the group's surge or more
 * is not part of it (0): the few analysts who come in on a Saturday
 * each spike against their weekday selves with their usual weekend
 * pulls, and must not make a team surge of a dump ten times theirs -
 * as a member who stands out of a group case gets a case of their own.
 */
double
detect_team(struct analytics *an, struct entity *e, int f, enum period per)
{
	struct peer *pg = peer_get(an, e->group);
	double up = pg->surge[per][f], share, rup, rshare;
	int others = pg->nact[per] - 1, ract, self;

	/* a cohort's first reads of one table are one situation */
	if (per == PER_DAY && e->cohort >= COHORT_OTHERS && read_feature(f))
		return TEAM_SURGE;
	if (others < 3)
		return 0;
	if (per == PER_DAY && pg->surge_med[f] > 0 &&
	    e->dv[f] >= SURGE_STANDOUT * pg->surge_med[f])
		return 0;
	self = spiking(an, e, f, per);
	if (self)
		up -= 1;
	share = up > 0 ? up / others : 0;
	/*
	 * The role's surge, when at least two of its active members spike
	 * and they are a tenth of them: two auditors of twelve sampling
	 * records together are a campaign of their role however few of
	 * the role that is (as three are), while in a role of two hundred
	 * agents two or three spiking on one day is chance, not a surge.
	 * It is the role's day, the same for each of its members. A role's
	 * surge counts as a team's (TEAM_SURGE at least).
	 */
	rup = e->rsurge[per][f];
	ract = e->ract[per];
	if (rup >= ROLE_SURGE_MIN && ract >= 4 &&
	    rup / ract >= ROLE_SURGE_SHARE) {
		rshare = rup / ract > TEAM_SURGE ? rup / ract : TEAM_SURGE;
		if (rshare > share)
			share = rshare;
	}
	return share;
}
