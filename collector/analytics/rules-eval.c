/*
 * The rules language, evaluator side. Event rules run on every scored
 * event of their type, after its features were added: their aggregates
 * (count, sum, distinct over a sliding window per employee) take the
 * event in first, then `when` is evaluated, and for a sequence `then` is
 * checked against the last time `when` held. Hour and day rules run when
 * their bucket closes, on the figures of the detectors (detect.c). A rule
 * that fires becomes an alert (alert.c) whose summary is the rule's
 * template filled with readable numbers and whose evidence holds every
 * figure the rule looked at, the employee's peer group and, for event
 * rules, the identifying fields of the event (never row contents: events
 * carry none).
 *
 * Values are numbers, strings, lists (an event's `tables`) or "missing";
 * a comparison with a missing value is false, so a rule about `rows` does
 * not fire on a net.flow.
 */
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics.h"
#include "../schema.h"
#include "leakwatch/event.h"
#include "leakwatch/event-view.h"
#include "leakwatch/hash.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define AGG_BUCKETS	60
#define SET_MAX		256

enum { V_NONE, V_NUM, V_STR, V_ARR };

struct rval {
	int		 t;
	double		 n;
	const char	*s;
	json_t		*arr;
};

struct agg_ring {
	int64_t		 idx[AGG_BUCKETS];
	double		 v[AGG_BUCKETS];
};

struct agg_set {
	int		 n;
	uint32_t	 h[SET_MAX];
	int64_t		 t[SET_MAX];
};

struct rstate {
	int64_t		 seq_a;		/* when `when` last became true */
	int		 seq_on;	/* `when` held at the last event */
	void		*agg[];
};

struct ectx {
	struct analytics *an;
	struct entity	*e;
	struct evctx	*c;		/* NULL in hour/day rules */
	const struct rule *r;
	int		 per;
	int64_t		 ts;
	int		 hour, wday;
	struct rstate	*rs;
	char		 leave_when[48];	/* RF_LEAVE_WHEN's text */
};

static struct rval
num(double n)
{
	struct rval v = { V_NUM, n, NULL, NULL };

	return v;
}

static struct rval
str(const char *s)
{
	struct rval v = { V_STR, 0, s, NULL };

	if (s == NULL)
		v.t = V_NONE;
	return v;
}

static const struct rval none = { V_NONE, 0, NULL, NULL };

static int
truthy(struct rval v)
{
	switch (v.t) {
	case V_NUM:
		return v.n != 0 && !isnan(v.n);
	case V_STR:
		return v.s[0] != '\0';
	case V_ARR:
		return json_array_size(v.arr) > 0;
	default:
		return 0;
	}
}

static int64_t
agg_width(const struct rnode *n)
{
	int64_t w = n->window_us / AGG_BUCKETS;

	return w > 0 ? w : 1;
}

static void
ring_add(struct agg_ring *r, const struct rnode *n, int64_t ts, double v)
{
	int64_t b = ts / agg_width(n);
	int k = (int)(b % AGG_BUCKETS);

	if (r->idx[k] != b) {
		r->idx[k] = b;
		r->v[k] = 0;
	}
	r->v[k] += v;
}

static double
ring_sum(const struct agg_ring *r, const struct rnode *n, int64_t ts)
{
	int64_t b = ts / agg_width(n);
	double s = 0;
	int k;

	for (k = 0; k < AGG_BUCKETS; k++)
		if (r->idx[k] <= b && r->idx[k] > b - AGG_BUCKETS &&
		    (r->idx[k] != 0 || r->v[k] != 0))
			s += r->v[k];
	return s;
}

static void
set_add(struct agg_set *s, uint32_t h, int64_t ts)
{
	int i, old = 0;

	for (i = 0; i < s->n; i++)
		if (s->h[i] == h) {
			s->t[i] = ts;
			return;
		}
	if (s->n < SET_MAX) {
		s->h[s->n] = h;
		s->t[s->n++] = ts;
		return;
	}
	for (i = 1; i < s->n; i++)
		if (s->t[i] < s->t[old])
			old = i;
	s->h[old] = h;
	s->t[old] = ts;
}

/* A number as distinct() keeps it: equal values (-0 is 0), equal hashes. */
static uint32_t
num_hash(double v)
{
	uint64_t bits;

	if (v == 0)
		v = 0;
	memcpy(&bits, &v, sizeof(bits));
	return (uint32_t)hash_mix64(bits);
}

static double
set_count(const struct agg_set *s, const struct rnode *n, int64_t ts)
{
	int i, c = 0;

	for (i = 0; i < s->n; i++)
		if (s->t[i] > ts - n->window_us)
			c++;
	return c;
}

/*
 * The person one identity source names, or NULL: 1 the client address's
 * owner, 2 the database account's, 3 the end user's. The rules' attribute
 * clause counts so, and RF_IP_OWNER.. RF_END_USER_OWNER are in that order.
 */
static const struct person *
owner(const struct identity *id, int which)
{
	return which == 1 ? id->by_ip : which == 2 ? id->by_db_user :
	    id->by_end_user;
}

static const char *const owner_names[] = {
	NULL, "ip_owner", "db_user_owner", "end_user_owner"
};

/*
 * Whether the event is a first: 0 a sensitive table, 1 a destination, 2
 * a service account's client (first_seen()'s argument; RF_FIRST_TABLE..
 * RF_FIRST_HOST are in that order).
 */
static int
first_of(const struct evctx *c, int what)
{
	return what == 2 ? c->first_host : what ? c->first_dest :
	    c->first_table;
}

/*
 * Days from the local day of ts to the person's leave date: 0 on their
 * last working day, negative once it has passed. The leave date is a
 * date of the organisation's calendar (docs/directory.md), as holidays
 * are, so it is compared with the local day of ts, never with a UTC
 * time: a day rule's time is the last instant of its local day, and
 * taken as a time against the date's UTC midnight it made the last
 * working day "-1 days" east of Greenwich and the day before it "0".
 */
static int64_t
days_to_leave(const struct ectx *x)
{
	return x->e->leave_us / DAY_US - calendar_day(x->an, x->ts);
}

/*
 * The leave date said as the person's state for a summary: "leaves in 3
 * days", "leaves tomorrow", "leaves today", "left 1 day ago" (a leaver
 * still at work, or their account, after the date).
 */
static struct rval
leave_when(struct ectx *x)
{
	int64_t d = days_to_leave(x);

	if (d > 1)
		snprintf(x->leave_when, sizeof(x->leave_when),
		    "leaves in %lld days", (long long)d);
	else if (d == 1)
		snprintf(x->leave_when, sizeof(x->leave_when),
		    "leaves tomorrow");
	else if (d == 0)
		snprintf(x->leave_when, sizeof(x->leave_when), "leaves today");
	else
		snprintf(x->leave_when, sizeof(x->leave_when),
		    "left %lld day%s ago", (long long)-d, d == -1 ? "" : "s");
	return str(x->leave_when);
}

/* A field every rule sees: the employee's and the bucket's time. */
static struct rval
common_field(struct ectx *x, int f)
{
	const struct entity *e = x->e;

	switch (f) {
	case RF_EMPLOYEE:
		return str(e->id);
	case RF_NAME:
		return str(e->name);
	case RF_DEPARTMENT:
		return str(e->department);
	case RF_ROLE:
		return str(e->role);
	case RF_GROUP:
		return str(e->group);
	case RF_SERVICE:
		return num(e->service);
	case RF_KNOWN:
		return num(e->known);
	case RF_LEAVER:
		return num(e->leave_us != 0 && days_to_leave(x) <= 30);
	case RF_DAYS_TO_LEAVE:
		return e->leave_us != 0 ? num((double)days_to_leave(x)) : none;
	case RF_LEAVE_WHEN:
		return e->leave_us != 0 ? leave_when(x) : none;
	case RF_HOUR:
		return num(x->hour);
	case RF_WEEKDAY:
		return num(x->wday);
	case RF_WEEKEND:
		return num(x->wday == 0 || x->wday == 6);
	default:
		return num(calendar_holiday(x->an, calendar_day(x->an,
		    x->ts)));
	}
}

/* A field of the event's own, by its name; arrays from the DOM. */
static struct rval
own_field(const struct evctx *c, const char *name)
{
	struct lw_view_value fv;
	json_t *v;

	lw_event_get(c->ev, name, &fv);
	switch (fv.kind) {
	case LW_STR:
		return str(fv.s);
	case LW_NUM:
	case LW_BOOL:
		return num(fv.n);
	case LW_LIST:
	case LW_OTHER:
		v = json_object_get(lw_event_dom(c->ev), name);
		if (v != NULL && json_is_array(v)) {
			struct rval a = { V_ARR, 0, NULL, v };

			return a;
		}
		return none;
	case LW_NONE:
		break;
	}
	return none;
}

/*
 * A field of an event rule: what scoring found about the event, then the
 * event's own fields. A figure that belongs to one event type is missing
 * on the others.
 */
static struct rval
event_field(const struct evctx *c, const struct rnode *n)
{
	const struct person *p;
	int q = c->ev->type == EVENT_DB_QUERY;

	switch (n->field) {
	case RF_TYPE:
		return str(lw_event_type_name(c->ev->type));
	case RF_ROWS_READ:
		return q ? num(c->rows_read) : none;
	case RF_ROWS_SENSITIVE:
		return q ? num(c->rows_sensitive) : none;
	case RF_COUNT:
		return q ? num(features_count(c->ev)) : none;
	case RF_MAX_ROWS:
		return q ? num(features_max_rows(c->ev, c->rows_read)) : none;
	case RF_SENSITIVE:
		return num(c->first_class != NULL);
	case RF_CLASS:
		return str(c->first_class);
	case RF_OUT_BYTES:
		return c->ev->type == EVENT_NET_FLOW ? num(c->out_bytes) : none;
	case RF_EXFIL:
		return num(c->exfil);
	case RF_OFFHOURS:
		return num(c->offhours);
	case RF_MISMATCH:
		return num(c->id.mismatch);
	case RF_END_USER_CLAIM:
		return num(c->id.end_user_claim);
	case RF_VIA:
		return str(c->id.via);
	case RF_IP_OWNER:
	case RF_DB_USER_OWNER:
	case RF_END_USER_OWNER:
		p = owner(&c->id, n->field - RF_IP_OWNER + 1);
		return str(p != NULL ? p->id : NULL);
	case RF_FIRST_TABLE:
	case RF_FIRST_DESTINATION:
	case RF_FIRST_HOST:
		return num(first_of(c, n->field - RF_FIRST_TABLE));
	case RF_SHARED:
		return c->ev->type == EVENT_NET_FLOW ? num(c->shared) : none;
	case RF_RARE:
		return c->ev->type == EVENT_NET_FLOW ? num(c->rare) : none;
	default:
		return own_field(c, n->str);
	}
}

/* A field node; the parser named it (resolve_field() in rules-parse.c). */
static struct rval
field(struct ectx *x, const struct rnode *n)
{
	if (n->field < RF_TYPE)
		return common_field(x, n->field);
	if (x->c == NULL)
		return none;
	return event_field(x->c, n);
}

static struct rval eval(struct ectx *, const struct rnode *);

/* The name of the group a standing was taken in; "" when there is none. */
static struct rval
group_label(const struct ectx *x, int level)
{
	return str(level == SL_NONE || x->e->glabel[level] == NULL ? "" :
	    x->e->glabel[level]);
}

/* A standing's value over the group's median, the role's lift taken out. */
static double
median_ratio(const struct standing *st)
{
	return st->value / st->lift / (st->median > 1 ? st->median : 1);
}

/*
 * The peer standing figures of the last day close (standing.c): 0, and
 * the empty group, where the person has none (no group with enough
 * members with data, not seen in the window, not a person).
 */
static struct rval
standing(struct ectx *x, const struct rnode *n)
{
	const struct standing *st = &x->e->st[n->feature][n->what];

	if (n->fn == FN_PEER_GROUP)
		return group_label(x, st->level);
	/* no standing: nobody's chance, so a rule's bar on it does not hold */
	if (st->level == SL_NONE)
		return n->fn == FN_PEER_CHANCE ? none : num(0);
	switch (n->fn) {
	case FN_PEER_RANK:
		return num(st->rank);
	case FN_PEER_N:
		return num(st->n);
	case FN_PEER_PCT:
		return num(st->pct);
	case FN_PEER_MRATIO:
		return num(median_ratio(st));
	case FN_PEER_RZ:
		return num(st->rz);
	case FN_PEER_CHANCE:
		return num(standing_chance(st));
	default:
		return num(st->median * st->lift);
	}
}

/*
 * The mix standing of the last day close (standing.c): 0, and the empty
 * group, where the person has none.
 */
static struct rval
mix(struct ectx *x, const struct rnode *n)
{
	const struct mixstand *ms = &x->e->mix[n->feature][n->what];

	if (n->fn == FN_MIX_GROUP)
		return group_label(x, ms->level);
	if (ms->level == SL_NONE)
		return num(0);
	switch (n->fn) {
	case FN_MIX:
		return num(ms->value);
	case FN_MIX_MEDIAN:
		return num(ms->median);
	case FN_MIX_RZ:
		return num(ms->rz);
	case FN_MIX_RANK:
		return num(ms->rank);
	case FN_MIX_N:
		return num(ms->n);
	default:
		return num(ms->rows);
	}
}

/*
 * The trend of the last day close (standing.c): the person's and the
 * group's median as per cent a week (exp(7 x slope) - 1), the robust z;
 * 0, and the empty group, where the person has none.
 */
static struct rval
trend(struct ectx *x, const struct rnode *n)
{
	const struct trendstand *tr = &x->e->tr[n->feature];

	if (n->fn == FN_TREND_GROUP)
		return group_label(x, tr->level);
	if (tr->level == SL_NONE)
		return num(0);
	switch (n->fn) {
	case FN_TREND:
		return num(100 * expm1(7 * tr->slope));
	case FN_TREND_MEDIAN:
		return num(100 * expm1(7 * tr->median));
	case FN_TREND_RZ:
		return num(tr->rz);
	default:
		return num(tr->n);
	}
}

/*
 * How many kinds of evidence the combined daily score is made of: the
 * features with evidence, the drift, first-seen tables and destinations
 * (the parts its evidence lists). A score of one feature alone is that
 * feature's spike, which the spike rules judge by their own bars. Out of
 * memory, 0: the score's rule does not fire on a count it cannot make.
 */
static double
day_parts(struct ectx *x)
{
	json_t *parts = json_object();
	double n;

	if (parts == NULL)
		return 0;
	detect_day_score(x->an, x->e, parts);
	n = (double)json_object_size(parts);
	json_decref(parts);
	return n;
}

static struct rval
call(struct ectx *x, const struct rnode *n)
{
	struct figure fig;
	struct peer *pg;
	struct rval a, b;
	double t;

	switch (n->fn) {
	case FN_VALUE: case FN_BASELINE: case FN_PEER_Z: case FN_RATIO:
	case FN_MEDIAN: case FN_PEER: case FN_PEER_RATIO: case FN_CONVERGED:
		detect_figure(x->an, x->e, n->feature, n->fn == FN_CONVERGED ?
		    PER_DAY : (enum period)n->period, &fig);
		switch (n->fn) {
		case FN_VALUE:
			return num(fig.value);
		case FN_BASELINE:
			return num(fig.z);
		case FN_PEER_Z:
			return num(fig.zpeer);
		case FN_RATIO:
			return num(fig.value / (fig.typical > 1 ?
			    fig.typical : 1));
		case FN_MEDIAN:
			return num(fig.typical);
		case FN_PEER:
			return num(fig.peer_typical);
		case FN_PEER_RATIO:
			return num(fig.value / (fig.peer_typical > 1 ?
			    fig.peer_typical : 1));
		default:
			return num(fig.converged);
		}
	case FN_TEAM:
		return num(detect_team(x->an, x->e, n->feature,
		    (enum period)n->period));
	case FN_CUSUM:
		return num(x->e->s.f[n->feature].cusum);
	case FN_STREAK:
		return num(x->e->s.f[n->feature].streak);
	case FN_STREAK_DAYS:
		return num(x->e->s.f[n->feature].streak_days);
	/*
	 * The team-relative figures of the last day close (detect_rel()):
	 * 0 where the team's level or the person's share of it is unknown.
	 */
	case FN_TEAM_USUAL:
		return num(x->e->rexp[n->feature] > 0 ?
		    x->e->rexp[n->feature] : 0);
	case FN_TEAM_RATIO:
		t = x->e->rexp[n->feature];
		return num(t < 0 ? 0 : x->e->dv[n->feature] / (t > 1 ? t : 1));
	case FN_TEAM_Z:
		return num(x->e->rz[n->feature]);
	case FN_CUM30:
		return num(x->e->cum30[n->feature]);
	case FN_OWN_MAX:
		return num(detect_own_max(x->e, n->feature,
		    calendar_day(x->an, x->ts)));
	case FN_PEER_CUM30:
	case FN_CUM30_RATIO:
		pg = peer_get(x->an, x->e->group);
		t = pg != NULL ? pg->cum30_med[n->feature] : 0;
		if (n->fn == FN_PEER_CUM30)
			return num(t);
		return num(x->e->cum30[n->feature] / (t > 1 ? t : 1));
	case FN_PEER_RANK: case FN_PEER_N: case FN_PEER_PCT:
	case FN_PEER_MRATIO: case FN_PEER_RZ: case FN_PEER_MEDIAN:
	case FN_PEER_GROUP: case FN_PEER_CHANCE:
		return standing(x, n);
	case FN_PEER_DAYS:
		return num(standing_days_above(x->e, n->feature, n->what));
	case FN_TREND: case FN_TREND_MEDIAN: case FN_TREND_RZ: case FN_TREND_N:
	case FN_TREND_GROUP:
		return trend(x, n);
	case FN_TREND_DAYS:
		return num(standing_trend_days(x->e, n->feature, n->what));
	case FN_MIX: case FN_MIX_MEDIAN: case FN_MIX_RZ: case FN_MIX_RANK:
	case FN_MIX_N: case FN_MIX_ROWS: case FN_MIX_GROUP:
		return mix(x, n);
	case FN_PEER_ROUTINE:
		/* no routine yet: a rule that needs one waits for it */
		return x->e->routine[n->feature] >= 0 ?
		    num(x->e->routine[n->feature]) : none;
	case FN_DAYS_SEEN:
		return num(x->e->s.days_seen);
	case FN_ALERTED:
		/* an earlier rule fired on this person in this bucket */
		return num(x->per == PER_HOUR ? x->e->alerted_hour :
		    x->e->alerted_day);
	case FN_FIRST_SEEN:
		if (x->c != NULL)
			return num(first_of(x->c, n->what));
		return num(n->what == 2 ? x->e->n_new_hosts : n->what ?
		    x->e->unusual_dests : x->e->unusual_tables);
	case FN_DAY_SCORE:
		return num(detect_day_score(x->an, x->e, NULL));
	case FN_DAY_PARTS:
		return num(day_parts(x));
	case FN_RISK:
		return num(risk_get(x->an, x->e->id, x->ts));
	case FN_COUNT:
	case FN_SUM:
		if (x->rs == NULL || x->rs->agg[n->agg] == NULL)
			return num(0);
		return num(ring_sum(x->rs->agg[n->agg], n, x->ts));
	case FN_DISTINCT:
		if (x->rs == NULL || x->rs->agg[n->agg] == NULL)
			return num(0);
		return num(set_count(x->rs->agg[n->agg], n, x->ts));
	case FN_MAX:
	case FN_MIN:
		a = eval(x, n->a);
		b = eval(x, n->b);
		if (a.t != V_NUM)
			return b;
		if (b.t != V_NUM)
			return a;
		return num(n->fn == FN_MAX ? fmax(a.n, b.n) : fmin(a.n, b.n));
	case FN_IF:
		/* only the branch taken is evaluated */
		return eval(x, truthy(eval(x, n->where)) ? n->a : n->b);
	}
	return none;
}

/* Whether op holds between two values that compare as c (as strcmp). */
static int
order_holds(int op, int c)
{
	switch (op) {
	case OP_EQ: return c == 0;
	case OP_NE: return c != 0;
	case OP_LT: return c < 0;
	case OP_LE: return c <= 0;
	case OP_GT: return c > 0;
	case OP_GE: return c >= 0;
	}
	return 0;
}

/* One scalar comparison; strings compare as strings, ~ is a glob. */
static int
cmp1(int op, struct rval a, struct rval b)
{
	int c;

	if (a.t == V_NONE || b.t == V_NONE)
		return 0;
	if (op == OP_MATCH || op == OP_NMATCH) {
		if (a.t != V_STR || b.t != V_STR)
			return 0;
		c = fnmatch(b.s, a.s, FNM_CASEFOLD) == 0;
		return op == OP_MATCH ? c : !c;
	}
	if (a.t == V_NUM && b.t == V_NUM) {
		/* NaN is unordered: only != holds, as in C. */
		if (isnan(a.n) || isnan(b.n))
			return op == OP_NE;
		return order_holds(op, (a.n > b.n) - (a.n < b.n));
	}
	if (a.t == V_STR && b.t == V_STR)
		return order_holds(op, strcmp(a.s, b.s));
	return op == OP_NE;
}

/*
 * A list on the left (an event's tables) matches when any element does;
 * for != and !~ when no element matches the positive form.
 */
static int
compare(int op, struct rval a, struct rval b)
{
	json_t *e;
	size_t i;
	int pos = op == OP_NE ? OP_EQ : op == OP_NMATCH ? OP_MATCH : op;

	if (a.t != V_ARR)
		return cmp1(op, a, b);
	json_array_foreach(a.arr, i, e) {
		if (cmp1(pos, str(json_string_value(e)), b))
			return pos == op;
	}
	return pos != op;
}

static struct rval
eval(struct ectx *x, const struct rnode *n)
{
	struct rval a, b;
	int i;

	switch (n->kind) {
	case RN_NUM:
		return num(n->num);
	case RN_STR:
		return str(n->str);
	case RN_FIELD:
		return field(x, n);
	case RN_FEATURE:
		return num(x->per == PER_HOUR ? x->e->hv[n->feature] :
		    x->e->dv[n->feature]);
	case RN_CALL:
		return call(x, n);
	case RN_NOT:
		return num(!truthy(eval(x, n->a)));
	case RN_NEG:
		a = eval(x, n->a);
		return a.t == V_NUM ? num(-a.n) : none;
	case RN_LIST:
		return none;
	case RN_BIN:
		break;
	}
	if (n->op == OP_AND)
		return num(truthy(eval(x, n->a)) && truthy(eval(x, n->b)));
	if (n->op == OP_OR)
		return num(truthy(eval(x, n->a)) || truthy(eval(x, n->b)));
	a = eval(x, n->a);
	if (n->op == OP_IN) {
		for (i = 0; i < n->b->nlist; i++)
			if (compare(OP_EQ, a, eval(x, n->b->list[i])))
				return num(1);
		return num(0);
	}
	b = eval(x, n->b);
	switch (n->op) {
	case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV:
		if (a.t != V_NUM || b.t != V_NUM)
			return none;
		if (n->op == OP_ADD)
			return num(a.n + b.n);
		if (n->op == OP_SUB)
			return num(a.n - b.n);
		if (n->op == OP_MUL)
			return num(a.n * b.n);
		return b.n != 0 ? num(a.n / b.n) : none;
	default:
		return num(compare(n->op, a, b));
	}
}

/* Numbers for people: 2,300 / 41 / 4.2 . */
static void
fmt_number(double v, char *out, size_t len)
{
	char tmp[64], *o = out;
	long long iv;
	size_t n, i;
	int neg;

	if (!isfinite(v)) {
		snprintf(out, len, "?");
		return;
	}
	if (fabs(v) < 10 && fabs(v - round(v)) > 0.05) {
		snprintf(out, len, "%.1f", v);
		return;
	}
	iv = llround(v);
	neg = iv < 0;
	snprintf(tmp, sizeof(tmp), "%lld", neg ? -iv : iv);
	n = strlen(tmp);
	if (len < n + n / 3 + 2) {
		snprintf(out, len, "%s", tmp);
		return;
	}
	if (neg)
		*o++ = '-';
	for (i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			*o++ = ',';
		*o++ = tmp[i];
	}
	*o = '\0';
}

static void
fmt_bytes(double v, char *out, size_t len)
{
	static const char *const u[] = { "B", "KB", "MB", "GB", "TB", "PB" };
	int i = 0;

	while (fabs(v) >= 1000 && i < 5) {
		v /= 1000;
		i++;
	}
	if (i == 0)
		snprintf(out, len, "%.0f B", v);
	else
		snprintf(out, len, "%.1f %s", v, u[i]);
}

static void
render(struct ectx *x, char *out, size_t len)
{
	const struct rule *r = x->r;
	struct rval v;
	char buf[128];
	size_t o = 0, n;
	int i;

	out[0] = '\0';
	for (i = 0; i < r->nsummary; i++) {
		const char *s;

		if (r->summary[i].lit != NULL)
			s = r->summary[i].lit;
		else {
			v = eval(x, r->summary[i].expr);
			if (v.t == V_NUM) {
				if (r->summary[i].fmt == 1)
					fmt_bytes(v.n, buf, sizeof(buf));
				else if (r->summary[i].fmt == 2)
					fmt_number(round(v.n), buf,
					    sizeof(buf));
				else
					fmt_number(v.n, buf, sizeof(buf));
				s = buf;
			} else if (v.t == V_STR)
				s = v.s;
			else if (v.t == V_ARR) {
				json_t *el;
				size_t k, bo = 0;

				buf[0] = '\0';
				json_array_foreach(v.arr, k, el) {
					int w = snprintf(buf + bo,
					    sizeof(buf) - bo, "%s%s",
					    k ? ", " : "",
					    json_string_value(el) ?
					    json_string_value(el) : "?");

					if (w < 0 || (size_t)w >=
					    sizeof(buf) - bo)
						break;
					bo += (size_t)w;
				}
				s = buf;
			} else
				s = "?";
		}
		n = strlen(s);
		if (o + n >= len)
			n = len - o - 1;
		memcpy(out + o, s, n);
		o += n;
		out[o] = '\0';
	}
	/* no control characters in a summary line */
	for (o = 0; out[o] != '\0'; o++)
		if ((unsigned char)out[o] < 0x20)
			out[o] = ' ';
}

/*
 * A readable JSON number: an integer from 100 up, below that a multiple
 * of 1/8 (exact in binary, so it prints as 6.125, not 6.1200000000000001).
 */
static json_t *
nice(double v)
{
	double r;

	if (!isfinite(v))
		return json_null();
	r = fabs(v) >= 100 ? round(v) : round(v * 8) / 8;
	if (r == round(r))
		return json_integer((json_int_t)llround(r));
	return json_real(r);
}

static json_t *
names_json(char *const *names, int n)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < n && i < NAMES_KEPT; i++)
		json_array_append_new(a, json_string(names[i]));
	return a;
}

/*
 * Where the person stands among their peers, in numbers, for the
 * feature the rule is about (bytes sent out for a rule that reads an
 * out.* feature, else sensitive rows): every alert says it, whatever
 * its rule looked at, so that an analyst can weigh a streak of the
 * person's own against what their peers do. From the last day close
 * (standing.c), over 30 and 7 days.
 */
static void
standing_text(const struct ectx *x, char *buf, size_t len)
{
	const struct standing *m, *w;
	const char *what = "sensitive rows read";
	int i, f = FT_ROWS_SENSITIVE, days;
	size_t o;

	for (i = 0; i < x->r->ncalls; i++)
		if (strstr(x->r->calls[i]->text, "(out.") != NULL) {
			f = FT_OUT_EXFIL;
			what = "bytes sent out";
			break;
		}
	m = &x->e->st[f][2];
	w = &x->e->st[f][1];
	if (m->level == SL_NONE || x->e->glabel[m->level] == NULL) {
		snprintf(buf, len, "no peer standing for %s over 30 days (no "
		    "group with enough members with data, or not active)",
		    what);
		return;
	}
	o = (size_t)snprintf(buf, len, "rank %.0f of %.0f in %s for %s over "
	    "30 days, %.1fx the peer median", m->rank, m->n,
	    x->e->glabel[m->level], what, median_ratio(m));
	if (w->level != SL_NONE && o < len)
		o += (size_t)snprintf(buf + o, len - o, "; over 7 days rank "
		    "%.0f of %.0f, %.1fx", w->rank, w->n, median_ratio(w));
	days = x->e->s.days_seen < 21 ? (int)x->e->s.days_seen : 21;
	if (o < len)
		snprintf(buf + o, len - o, "; %d of the last %d days above "
		    "the 95th percentile", standing_days_above(x->e, f, 21),
		    days);
}

static json_t *
evidence(struct ectx *x, int64_t bucket, int64_t seq_a)
{
	const struct rule *r = x->r;
	json_t *o = json_object(), *fig = json_object(), *ev, *id, *t;
	const json_t *dom;
	const struct person *p;
	struct rval v;
	char ts[TS_STRLEN], buf[512];
	static const char *const keep[] = {
		"db_user", "database", "client", "command", "fingerprint",
		"flow_id", "dst", "dport", "server_name", "category", "app",
		"count", "max_rows", NULL
	};
	int i;

	json_object_set_new(o, "rule_kind", json_string(r->on == ON_EVENT ?
	    "event" : r->on == ON_HOUR ? "hour" : "day"));
	if (r->on != ON_EVENT && ts_format(bucket, ts, sizeof(ts)) == 0)
		json_object_set_new(o, "bucket", json_string(ts));
	for (i = 0; i < r->ncalls; i++) {
		v = eval(x, r->calls[i]);
		if (v.t == V_NUM)
			json_object_set_new(fig, r->calls[i]->text, nice(v.n));
		else if (v.t == V_STR)
			json_object_set_new(fig, r->calls[i]->text,
			    json_string(v.s));
	}
	json_object_set_new(o, "figures", fig);
	json_object_set_new(o, "peer_group", json_string(x->e->group));
	standing_text(x, buf, sizeof(buf));
	json_object_set_new(o, "peer_standing", json_string(buf));
	if (x->e->n_new_tables > 0)
		json_object_set_new(o, "first_seen_tables",
		    names_json(x->e->new_tables, x->e->n_new_tables));
	if (x->e->n_new_dests > 0)
		json_object_set_new(o, "first_seen_destinations",
		    names_json(x->e->new_dests, x->e->n_new_dests));
	if (x->e->n_new_hosts > 0)
		json_object_set_new(o, "first_seen_hosts",
		    names_json(x->e->new_hosts, x->e->n_new_hosts));
	if (r->on == ON_DAY) {
		json_t *parts = json_object(), *fps = json_array();

		detect_day_score(x->an, x->e, parts);
		json_object_set_new(o, "day_score_parts", parts);
		for (i = 0; i < x->e->nfps; i++)
			json_array_append_new(fps, json_string(x->e->fps[i]));
		json_object_set_new(o, "fingerprints", fps);
	}
	if (x->c != NULL) {
		ev = json_object();
		json_object_set_new(ev, "type",
		    json_string(lw_event_type_name(x->c->ev->type)));
		if (ts_format(x->c->ev->ts_us, ts, sizeof(ts)) == 0)
			json_object_set_new(ev, "ts", json_string(ts));
		dom = lw_event_dom(x->c->ev);
		for (i = 0; keep[i] != NULL; i++)
			if ((t = json_object_get(dom, keep[i])) != NULL)
				json_object_set(ev, keep[i], t);
		if ((t = json_object_get(dom, "tables")) != NULL &&
		    json_array_size(t) <= 16)
			json_object_set(ev, "tables", t);
		if (x->c->ev->type == EVENT_DB_QUERY)
			json_object_set_new(ev, "rows_read",
			    nice(x->c->rows_read));
		/* an aggregate's span (a flow's first_ts is not shown) */
		if (x->c->ev->type == EVENT_DB_QUERY &&
		    (t = json_object_get(dom, "first_ts")) != NULL)
			json_object_set(ev, "first_ts", t);
		if (x->c->ev->type == EVENT_NET_FLOW)
			json_object_set_new(ev, "out_bytes",
			    nice(x->c->out_bytes));
		json_object_set_new(o, "event", ev);
		id = json_object();
		json_object_set_new(id, "via", json_string(x->c->id.via));
		if (x->c->id.mismatch)
			json_object_set_new(id, "mismatch", json_true());
		if (x->c->id.end_user_claim)
			json_object_set_new(id, "end_user_claim",
			    json_true());
		for (i = 3; i >= 1; i--)
			if ((p = owner(&x->c->id, i)) != NULL)
				json_object_set_new(id, owner_names[i],
				    json_string(p->id));
		json_object_set_new(o, "identity", id);
	}
	if (seq_a != 0 && ts_format(seq_a, ts, sizeof(ts)) == 0)
		json_object_set_new(o, "sequence_start", json_string(ts));
	json_object_set_new(o, "risk_before", nice(risk_get(x->an, x->e->id,
	    x->ts)));
	return o;
}

/* By rank (schema_sev_rank(): low, medium, high, critical). */
static double
default_score(const char *sev)
{
	static const double score[] = { 25, 50, 75, 90 };

	return score[schema_sev_rank(sev)];
}

static void
fire(struct ectx *x, int64_t bucket, int64_t seq_a)
{
	const struct rule *r = x->r;
	struct alert_in in;
	struct entity *target = x->e;
	struct rval v;
	char summary[1024];
	const char *emp = x->e->id;
	json_t *evj;

	if (x->c != NULL && r->attribute != 0) {
		const struct person *p = owner(&x->c->id, r->attribute);

		if (p != NULL) {
			emp = p->id;
			target = hmap_get(x->an->entities, emp);
		}
	}
	/*
	 * Counting again after a restart (analytics_warm()): this alert was
	 * raised the first time; only what it marked is restored, so the
	 * bucket is still not learnt from.
	 */
	if (x->an->warming) {
		if (target != NULL)
			target->alerted_hour = target->alerted_day = 1;
		return;
	}
	memset(&in, 0, sizeof(in));
	in.employee = emp;
	in.rule = r->name;
	in.severity = r->severity;
	in.score = default_score(r->severity);
	if (r->score != NULL) {
		v = eval(x, r->score);
		if (v.t == V_NUM && isfinite(v.n))
			in.score = v.n;
	}
	if (in.score < 0)
		in.score = 0;
	if (in.score > 100)
		in.score = 100;
	in.ts_us = x->ts;
	in.bucket_us = bucket;
	in.suppress_us = r->suppress_us;
	render(x, summary, sizeof(summary));
	in.summary = summary;
	evj = evidence(x, bucket, seq_a);
	in.evidence = evj;
	alert_raise(x->an, &in);
	json_decref(evj);
	if (target != NULL) {
		target->alerted_hour = 1;
		target->alerted_day = 1;
	}
}

static struct rstate *
rstate_get(struct analytics *an, struct entity *e, size_t ri)
{
	const struct rule *r = an->rules->r[ri];
	struct rstate *rs;
	int i;

	if (e->rstate == NULL)
		e->rstate = xcalloc(an->rules->n, sizeof(*e->rstate));
	if ((rs = e->rstate[ri]) != NULL)
		return rs;
	rs = xcalloc(1, sizeof(*rs) + (size_t)r->naggs * sizeof(void *));
	for (i = 0; i < r->naggs; i++)
		rs->agg[i] = r->aggs[i]->fn == FN_DISTINCT ?
		    xcalloc(1, sizeof(struct agg_set)) :
		    xcalloc(1, sizeof(struct agg_ring));
	e->rstate[ri] = rs;
	return rs;
}

void
rules_entity_free(const struct ruleset *rs, struct entity *e)
{
	struct rstate *st;
	size_t i;
	int k;

	if (e->rstate == NULL || rs == NULL)
		return;
	for (i = 0; i < rs->n; i++) {
		if ((st = e->rstate[i]) == NULL)
			continue;
		for (k = 0; k < rs->r[i]->naggs; k++)
			free(st->agg[k]);
		free(st);
	}
	free(e->rstate);
	e->rstate = NULL;
}

static void
agg_feed(struct ectx *x)
{
	const struct rule *r = x->r;
	const struct rnode *n;
	struct rval v;
	json_t *el;
	size_t k;
	int i;

	for (i = 0; i < r->naggs; i++) {
		n = r->aggs[i];
		if (n->where != NULL && !truthy(eval(x, n->where)))
			continue;
		switch (n->fn) {
		case FN_COUNT:
			/* statements, not events: an aggregate is many */
			ring_add(x->rs->agg[i], n, x->ts,
			    x->c->ev->type == EVENT_DB_QUERY ?
			    features_count(x->c->ev) : 1);
			break;
		case FN_SUM:
			v = eval(x, n->a);
			if (v.t == V_NUM && isfinite(v.n) && v.n != 0)
				ring_add(x->rs->agg[i], n, x->ts, v.n);
			break;
		case FN_DISTINCT:
			v = eval(x, n->a);
			if (v.t == V_NUM && isfinite(v.n))
				set_add(x->rs->agg[i], num_hash(v.n), x->ts);
			else if (v.t == V_STR)
				set_add(x->rs->agg[i], hash_fnv1a(v.s), x->ts);
			else if (v.t == V_ARR)
				json_array_foreach(v.arr, k, el)
					if (json_is_string(el))
						set_add(x->rs->agg[i],
						    hash_fnv1a(
						    json_string_value(el)),
						    x->ts);
			break;
		}
	}
}

/* The event rules, for one scored event. */
void
rules_event(struct analytics *an, struct evctx *c)
{
	struct ectx x;
	const struct rule *r;
	int64_t bucket;
	size_t i;

	if (an->rules == NULL)
		return;
	memset(&x, 0, sizeof(x));
	x.an = an;
	x.e = c->ent;
	x.c = c;
	x.per = PER_DAY;
	x.ts = c->ev->ts_us;
	x.hour = c->hour;
	x.wday = c->wday;
	for (i = 0; i < an->rules->n; i++) {
		r = an->rules->r[i];
		if (r->on != ON_EVENT || (r->evtype >= 0 &&
		    r->evtype != (int)c->ev->type))
			continue;
		x.r = r;
		x.rs = rstate_get(an, c->ent, i);
		agg_feed(&x);
		bucket = r->suppress_us > 0 ? x.ts - (x.ts % r->suppress_us) :
		    x.ts;
		if (r->then == NULL) {
			if (truthy(eval(&x, r->when)))
				fire(&x, bucket, 0);
			continue;
		}
		/*
		 * The first step's time is when its condition became true,
		 * not every later event while a windowed sum stays high:
		 * "within 6h" counts from the bulk read itself.
		 */
		if (truthy(eval(&x, r->when))) {
			if (!x.rs->seq_on)
				x.rs->seq_a = x.ts;
			x.rs->seq_on = 1;
		} else
			x.rs->seq_on = 0;
		if (x.rs->seq_a != 0 && x.ts - x.rs->seq_a <= r->within_us &&
		    truthy(eval(&x, r->then)))
			fire(&x, bucket, x.rs->seq_a);
	}
}

/*
 * The hour or day rules of one employee whose bucket (starting at
 * start_us) just closed.
 */
void
rules_bucket(struct analytics *an, struct entity *e, enum period per,
    int64_t start_us)
{
	struct ectx x;
	const struct rule *r;
	int64_t len = per == PER_HOUR ? HOUR_US : DAY_US;
	size_t i;

	if (an->rules == NULL)
		return;
	memset(&x, 0, sizeof(x));
	x.an = an;
	x.e = e;
	x.per = per;
	x.ts = start_us + len - 1;
	x.hour = calendar_bucket_hour(an, start_us);
	x.wday = calendar_wday(calendar_day(an, start_us));
	for (i = 0; i < an->rules->n; i++) {
		r = an->rules->r[i];
		if ((per == PER_HOUR && r->on != ON_HOUR) ||
		    (per == PER_DAY && r->on != ON_DAY))
			continue;
		x.r = r;
		x.rs = NULL;
		if (truthy(eval(&x, r->when)))
			fire(&x, start_us, 0);
	}
}
