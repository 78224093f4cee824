/*
 * Cases: what an analyst works on. Every new alert is filed into a case
 * (tables cases and case_alerts, docs/schema.md; the rules for them in
 * docs/analytics.md, "Cases"). A person has at most one open case: an
 * alert on someone whose case is open joins it as a timeline entry, the
 * case's severity becomes the worst of its alerts, its score rises with
 * each one (case_score_add(), bounded by 100), its last evidence time
 * moves, and its story is the summary of its worst, latest alert. A
 * closed case stays closed: the next alert on that person opens a new
 * one. A repeated firing merged into an alert moves its case's last
 * evidence time and, a day or more after it, raises the case's score as
 * a joining alert would: a state that lasts is one alert, and stronger
 * evidence each day.
 *
 * Group cases. When several people of one peer group do the same new
 * thing on the same day - first read one table, first upload to one
 * destination - that is one situation (a migration, an incident, a new
 * tool), not one investigation each. The alerts the day's close raises
 * are held here (cases_hold()) until the day's rules have all run; then
 * cases_release() sorts them: CASE_GROUP_MIN or more people of one group
 * sharing one first-seen name - or any number of the members of a cohort
 * (detect.c) of CASE_GROUP_MIN or more, whose table is a name of each of
 * their alerts - make one low-severity group case naming them all (the
 * cohort's quiet members too), with their held alerts as its timeline; a
 * member who stands out (of the group's volumes for that name, as
 * standing_apart() judges a cohort's; an alert earlier that day; a
 * critical alert; or left out of the cohort by detect.c) keeps their
 * alerts in a case of their own. On a group case's later days (open,
 * at most CASE_FOLLOW_SPAN old), CASE_FOLLOW_MIN or more of its members
 * alerting on one day's close join it (follow_groups()). Everything else
 * is filed person by person as above. Alerts raised outside a day's
 * close are never held.
 *
 * SIEM: with forwarding configured, each case sends one message when it
 * opens and one per update (an alert joined, severity raised, triage),
 * alert-shaped (type "case") so every format carries it; the daily
 * firings themselves are not sent (alert.c sends them only with
 * forward-alerts). Triage is written by the control socket on another
 * thread; cases_tick() forwards what it wrote, in order, from a cursor
 * kept in an_meta.
 *
 * Not here: the alerts themselves (alert.c calls in), triage (control.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "analytics.h"
#include "../schema.h"
#include "../siem/siem.h"
#include "leakwatch/log.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define CASE_GROUP_MIN	3	/* people sharing one first-seen name */
#define CASE_RISE	0.25	/* the share of an alert's score gained */
#define CASE_GROUP_SCORE 30	/* a group case's score */
#define CASE_NAMES_MAX	8	/* first-seen names kept per alert */
#define CASE_STATE_DAY	86400000000LL	/* a merged firing a day on: rises */
#define CASE_FOLLOW_MIN	2	/* members alerting again on one day */
#define CASE_FOLLOW_SPAN (30 * 86400000000LL) /* a group case gathers */
#define CASE_FOLLOW_MAX	64	/* open group cases looked at per day */

/* An alert raised during a day's close, waiting for cases_release(). */
struct held {
	char		 id[17];
	char		*employee;
	char		*rule;
	char		*severity;
	char		*summary;
	char		*group;		/* peer group, or "" */
	double		 score;
	int64_t		 ts;
	char		*names[CASE_NAMES_MAX]; /* "t:NAME", "d:NAME" */
	int		 nnames;
	double		 volume[2];	/* rows, bytes out; -1: none */
	int		 cohort;	/* its person's cohort (detect.c) on
					   names[cohort_name], people; 0: none */
	int		 cohort_name;
	int		 grouped;	/* index of its group case + 1 */
};

struct cases {
	int		 holding;
	struct held	*h;
	size_t		 n, cap;
};

struct cases *
cases_new(void)
{
	return xcalloc(1, sizeof(struct cases));
}

static void
held_clear(struct held *h)
{
	int i;

	free(h->employee);
	free(h->rule);
	free(h->severity);
	free(h->summary);
	free(h->group);
	for (i = 0; i < h->nnames; i++)
		free(h->names[i]);
	memset(h, 0, sizeof(*h));
}

void
cases_free(struct cases *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		held_clear(&c->h[i]);
	free(c->h);
	free(c);
}

/*
 * A case's score after an alert of score s joins it: it gains a quarter
 * of s percent of what it lacks to 100, and is never below s. It rises
 * with every alert, more for stronger ones, and stays within 0-100.
 */
static double
score_rise(double old, double s)
{
	double v = old + (100.0 - old) * (s / 100.0) * CASE_RISE;

	return v > 100 ? 100 : round(v * 10) / 10;
}

double
case_score_add(double old, double s)
{
	double v = score_rise(old, s);

	if (s > v)
		v = s;
	if (v > 100)
		v = 100;
	return round(v * 10) / 10;
}

/* ---- the case rows ---- */

struct case_row {
	char		 id[17];
	char		 kind[16];
	char		 subject[256];
	char		 members[1024];
	char		 department[128];
	char		 severity[16];
	char		 story[1024];
	char		 status[32];
	double		 score;
	int64_t		 first_ts, last_ts;
	int		 alerts;
};

#define CASE_COLUMNS "SELECT id, kind, subject, members, department, " \
	"severity, story, status, score, first_ts, last_ts, alerts FROM cases "

/* The first case row the query (CASE_COLUMNS ...) finds for key, 1 if one. */
static int
case_select(struct analytics *an, const char *sql, const char *key,
    struct case_row *c)
{
	sqlite3_stmt *st;
	int found = 0;

	if (sqlite3_prepare_v2(an->db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		schema_text(st, 0, c->id, sizeof(c->id));
		schema_text(st, 1, c->kind, sizeof(c->kind));
		schema_text(st, 2, c->subject, sizeof(c->subject));
		schema_text(st, 3, c->members, sizeof(c->members));
		schema_text(st, 4, c->department, sizeof(c->department));
		schema_text(st, 5, c->severity, sizeof(c->severity));
		schema_text(st, 6, c->story, sizeof(c->story));
		schema_text(st, 7, c->status, sizeof(c->status));
		c->score = sqlite3_column_double(st, 8);
		c->first_ts = sqlite3_column_int64(st, 9);
		c->last_ts = sqlite3_column_int64(st, 10);
		c->alerts = sqlite3_column_int(st, 11);
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

/* The open case of a person, 1 if there is one. */
static int
case_open_of(struct analytics *an, const char *subject, struct case_row *c)
{
	return case_select(an, CASE_COLUMNS "WHERE subject = ? AND kind = "
	    "'person' AND status NOT LIKE 'closed%' ORDER BY first_ts DESC "
	    "LIMIT 1", subject, c);
}

/* INSERT (new) or UPDATE one case row. */
static int
case_write(struct analytics *an, const struct case_row *c, int new)
{
	const struct schema_case sc = { c->id, c->kind, c->subject,
	    c->members, c->department, c->severity, c->story, c->score,
	    c->first_ts, c->last_ts, c->alerts };

	if (schema_case_put(an->db, &sc, new) == 0)
		return 0;
	log_warnx("cases: %s", sqlite3_errmsg(an->db));
	return -1;
}

static int
case_link(struct analytics *an, const char *case_id, const char *alert_id,
    int64_t ts)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(an->db, "INSERT OR IGNORE INTO case_alerts "
	    "(case_id, alert_id, ts) VALUES (?, ?, ?)", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, case_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, alert_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, ts);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(st);
	return rc;
}

/* ---- SIEM messages ---- */

/*
 * One case message, alert-shaped so that every SIEM format carries it:
 * type "case", id the case's, employee its subject, rule case_opened or
 * case_updated, severity and score the case's, summary its story, and
 * the evidence what changed (docs/siem.md, "Cases").
 */
json_t *
case_message(const char *ts, const char *case_id, const char *kind,
    const char *subject, const char *members, const char *department,
    const char *severity, double score, int alerts, int64_t first_ts,
    int64_t last_ts, const char *story, const char *status,
    const char *update)
{
	char a[TS_STRLEN], b[TS_STRLEN];
	json_t *ev, *m;

	if (ts_format(first_ts, a, sizeof(a)) != 0)
		a[0] = '\0';
	if (ts_format(last_ts, b, sizeof(b)) != 0)
		b[0] = '\0';
	ev = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s}",
	    "update", update, "kind", kind, "members", members,
	    "department", department, "alerts", alerts, "first_evidence", a,
	    "last_evidence", b, "status", status);
	if (ev == NULL)
		return NULL;
	m = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:o}",
	    "type", "case", "ts", ts, "id", case_id, "employee", subject,
	    "rule", strcmp(update, "opened") == 0 ? "case_opened" :
	    "case_updated", "severity", severity,
	    "score", (json_int_t)llround(score), "summary", story,
	    "evidence", ev);
	return m;
}

/*
 * The alert's peer standing (rules-eval.c puts it in every alert's
 * evidence) into a case message's evidence: a SIEM reader sees where
 * the person stands without the alert itself.
 */
static void
standing_of(struct analytics *an, const char *alert_id, json_t *ev)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(an->db, "SELECT json_extract(evidence, "
	    "'$.peer_standing') FROM alerts WHERE id = ?", -1, &st, NULL) !=
	    SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, alert_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) == SQLITE_TEXT)
		json_object_set_new(ev, "peer_standing", json_string((const
		    char *)sqlite3_column_text(st, 0)));
	sqlite3_finalize(st);
}

static void
case_forward(struct analytics *an, const struct case_row *c, int64_t ts_us,
    const char *update, const char *alert_id, const char *rule)
{
	char ts[TS_STRLEN];
	json_t *m, *ev;

	if (an->fwd == NULL || ts_format(ts_us, ts, sizeof(ts)) != 0)
		return;
	m = case_message(ts, c->id, c->kind, c->subject, c->members,
	    c->department, c->severity, c->score, c->alerts, c->first_ts,
	    c->last_ts, c->story, "open", update);
	if (m == NULL)
		return;
	ev = json_object_get(m, "evidence");
	if (alert_id != NULL) {
		json_object_set_new(ev, "alert", json_string(alert_id));
		standing_of(an, alert_id, ev);
	}
	if (rule != NULL)
		json_object_set_new(ev, "alert_rule", json_string(rule));
	fwd_submit(an->fwd, m);
	json_decref(m);
}

/* ---- filing ---- */

static const char *
department_of(struct analytics *an, const char *employee)
{
	struct entity *e = hmap_get(an->entities, employee);

	return e != NULL && e->department != NULL ? e->department : "";
}

/*
 * One alert into its person's open case, or a new case. Returns 0, or
 * -1 when the database refused.
 */
static int
file_person(struct analytics *an, const char *alert_id, const char *employee,
    const char *rule, const char *severity, double score, int64_t ts,
    const char *summary)
{
	struct case_row c;
	const char *update = "alert_joined";
	int new = 0;

	memset(&c, 0, sizeof(c));
	if (!case_open_of(an, employee, &c)) {
		new = 1;
		update = "opened";
		schema_case_id(employee, alert_id, c.id);
		snprintf(c.kind, sizeof(c.kind), "person");
		snprintf(c.subject, sizeof(c.subject), "%s", employee);
		snprintf(c.members, sizeof(c.members), "%s", employee);
		snprintf(c.department, sizeof(c.department), "%s",
		    department_of(an, employee));
		snprintf(c.severity, sizeof(c.severity), "%s", severity);
		snprintf(c.story, sizeof(c.story), "%s", summary);
		c.score = round(score * 10) / 10;
		c.first_ts = c.last_ts = ts;
	} else {
		if (schema_sev_rank(severity) > schema_sev_rank(c.severity))
			update = "severity_raised";
		/* the story follows the worst alert, the latest of equals */
		if (schema_sev_rank(severity) >= schema_sev_rank(c.severity)) {
			snprintf(c.severity, sizeof(c.severity), "%s",
			    severity);
			snprintf(c.story, sizeof(c.story), "%s", summary);
		}
		c.score = case_score_add(c.score, score);
		if (ts < c.first_ts)
			c.first_ts = ts;
		if (ts > c.last_ts)
			c.last_ts = ts;
	}
	c.alerts++;
	if (case_write(an, &c, new) != 0 ||
	    case_link(an, c.id, alert_id, ts) != 0)
		return -1;
	case_forward(an, &c, ts, update, alert_id, rule);
	return 0;
}

/* The first-seen names an alert's rule is about, from its evidence. */
static void
held_names(struct held *h, const json_t *evidence)
{
	static const struct {
		const char	*call;	/* the rule used it ... */
		const char	*list;	/* ... these are its names */
		const char	*volume; /* the day's figure */
		const char	*prefix;
	} kinds[] = {
		{ "first_seen(table)", "first_seen_tables",
		    "value(rows.sensitive, day)", "t:" },
		{ "first_seen(destination)", "first_seen_destinations",
		    "value(out.exfil, day)", "d:" },
	};
	const json_t *fig = json_object_get(evidence, "figures"), *v;
	char buf[600];
	size_t k, i;

	for (k = 0; k < 2; k++) {
		v = json_object_get(fig, kinds[k].volume);
		h->volume[k] = json_is_number(v) ? json_number_value(v) : -1;
		if (json_object_get(fig, kinds[k].call) == NULL)
			continue;
		json_array_foreach(json_object_get(evidence, kinds[k].list),
		    i, v) {
			if (!json_is_string(v) || h->nnames == CASE_NAMES_MAX)
				continue;
			snprintf(buf, sizeof(buf), "%s%s", kinds[k].prefix,
			    json_string_value(v));
			h->names[h->nnames++] = xstrdup(buf);
		}
	}
}

/*
 * The cohort its person is in today (detect.c, day_cohorts()): several
 * of their group new to one table with them. The table is one of the
 * alert's names whatever its rule - a member's volume alert of the day
 * is the same situation - so the cohort's members who alerted make its
 * group case even when fewer than CASE_GROUP_MIN did: an incident team
 * of eight, two of whom read enough for an alert, is one situation too.
 */
static void
held_cohort(struct analytics *an, struct held *h)
{
	struct entity *e = hmap_get(an->entities, h->employee);
	char buf[600];
	int i;

	if (e == NULL || e->cohort <= 0 || e->cohort_table == NULL)
		return;
	snprintf(buf, sizeof(buf), "t:%s", e->cohort_table);
	for (i = 0; i < h->nnames; i++)
		if (strcmp(h->names[i], buf) == 0)
			break;
	if (i == h->nnames) {
		if (h->nnames == CASE_NAMES_MAX)
			return;
		h->names[h->nnames++] = xstrdup(buf);
	}
	h->cohort = e->cohort + 1;
	h->cohort_name = i;
}

/*
 * Files a new alert (alert.c calls this once per alert it stores): into
 * the holding pen during a day's close, else into its person's case.
 */
int
cases_alert(struct analytics *an, const char *alert_id,
    const struct alert_in *in)
{
	struct cases *c = an->cases;
	const json_t *g;
	struct held *h;

	if (an->db == NULL || c == NULL)
		return 0;
	if (!c->holding)
		return file_person(an, alert_id, in->employee, in->rule,
		    in->severity, in->score, in->ts_us, in->summary);
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 32;
		c->h = xreallocarray(c->h, c->cap, sizeof(*c->h));
	}
	h = &c->h[c->n++];
	memset(h, 0, sizeof(*h));
	snprintf(h->id, sizeof(h->id), "%s", alert_id);
	h->employee = xstrdup(in->employee);
	h->rule = xstrdup(in->rule);
	h->severity = xstrdup(in->severity);
	h->summary = xstrdup(in->summary);
	g = json_object_get(in->evidence, "peer_group");
	h->group = xstrdup(json_is_string(g) ? json_string_value(g) : "");
	h->score = in->score;
	h->ts = in->ts_us;
	held_names(h, in->evidence);
	held_cohort(an, h);
	return 0;
}

/*
 * A merged firing: the case that holds the alert saw evidence at ts. A
 * day or more after the case's last evidence, it also raises the case's
 * score as a joining alert of that score would: a state that lasts - a
 * streak, a drift - is one alert, and stronger evidence each day it
 * does.
 */
void
cases_touch(struct analytics *an, const char *alert_id, int64_t ts,
    double score)
{
	sqlite3_stmt *st;
	char id[17];
	double old;
	int64_t last;
	int found = 0;

	if (an->db == NULL || sqlite3_prepare_v2(an->db, "SELECT id, score, "
	    "last_ts FROM cases WHERE status NOT LIKE 'closed%' AND id IN "
	    "(SELECT case_id FROM case_alerts WHERE alert_id = ?1)", -1, &st,
	    NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, alert_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(id, sizeof(id), "%s",
		    (const char *)sqlite3_column_text(st, 0));
		old = sqlite3_column_double(st, 1);
		last = sqlite3_column_int64(st, 2);
		found = 1;
	}
	sqlite3_finalize(st);
	if (!found || sqlite3_prepare_v2(an->db, "UPDATE cases SET last_ts = "
	    "max(last_ts, ?2), score = ?3 WHERE id = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, ts);
	sqlite3_bind_double(st, 3, ts - last >= CASE_STATE_DAY ?
	    case_score_add(old, score) : old);
	schema_write(an->db, st, "cases");
}

void
cases_hold(struct analytics *an)
{
	if (an->cases != NULL)
		an->cases->holding = 1;
}

/* ---- group cases ---- */

/* The held alerts' people, each once, in the order first held. */
static int
person_index(struct cases *c, size_t upto, const char *employee)
{
	size_t i;

	for (i = 0; i < upto; i++)
		if (strcmp(c->h[i].employee, employee) == 0)
			return (int)i;
	return (int)upto;
}

/* Whether any held alert of the person is about name. */
static int
has_name(const struct cases *c, const char *employee, const char *name)
{
	size_t j;
	int i;

	for (j = 0; j < c->n; j++) {
		if (strcmp(c->h[j].employee, employee) != 0)
			continue;
		for (i = 0; i < c->h[j].nnames; i++)
			if (strcmp(c->h[j].names[i], name) == 0)
				return 1;
	}
	return 0;
}

/*
 * The people of group g who share name (first held alert of each, by
 * index into c->h) and are in no group case yet; returns how many.
 */
static size_t
sharers(struct cases *c, const char *g, const char *name, size_t *who,
    size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < c->n && n < max; i++) {
		if (c->h[i].grouped || strcmp(c->h[i].group, g) != 0 ||
		    !has_name(c, c->h[i].employee, name) ||
		    (size_t)person_index(c, i, c->h[i].employee) != i)
			continue;
		who[n++] = i;
	}
	return n;
}

/*
 * The size of the cohort (detect.c) the people who[0..n) are in on
 * name, 0 when none of them is in one on it.
 */
static int
cohort_on(const struct cases *c, const char *name, const size_t *who,
    size_t n)
{
	const struct held *h;
	size_t k, j;
	int most = 0;

	for (k = 0; k < n; k++)
		for (j = 0; j < c->n; j++) {
			h = &c->h[j];
			if (h->cohort > most && strcmp(h->employee,
			    c->h[who[k]].employee) == 0 &&
			    strcmp(h->names[h->cohort_name], name) == 0)
				most = h->cohort;
		}
	return most;
}

/*
 * Whether a person is in the cohort (detect.c) of group g on table (a
 * name without its "t:").
 */
static int
in_cohort(struct analytics *an, const char *employee, const char *g,
    const char *table)
{
	struct entity *e = hmap_get(an->entities, employee);

	return e != NULL && e->cohort > 0 && e->cohort_table != NULL &&
	    strcmp(e->group, g) == 0 && strcmp(e->cohort_table, table) == 0;
}

/* One person's largest figure for the name's kind over their held alerts. */
static double
person_volume(struct cases *c, const char *employee, int kind)
{
	double v = -1;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->h[i].employee, employee) == 0 &&
		    c->h[i].volume[kind] > v)
			v = c->h[i].volume[kind];
	return v;
}

/* Whether the person's own case already saw evidence today. */
static int
alerted_today(struct analytics *an, const char *employee, int64_t day_start)
{
	struct case_row r;

	return case_open_of(an, employee, &r) && r.last_ts >= day_start;
}

static int
critical_held(struct cases *c, const char *employee)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->h[i].employee, employee) == 0 &&
		    strcmp(c->h[i].severity, "critical") == 0)
			return 1;
	return 0;
}

/*
 * Whether the k-th of the vals[0..nv) figures (-1: none) stands out of
 * them (standing_apart(), as detect.c judges a cohort's members). Fewer
 * than CASE_GROUP_MIN figures single no one out.
 */
static int
volume_standout(const double *vals, int nv, int k)
{
	double sorted[256], med, other = 0;
	int i, ns = 0;

	if (vals[k] < 0)
		return 0;
	for (i = 0; i < nv && i < 256; i++) {
		if (vals[i] < 0)
			continue;	/* no figure of that kind */
		sorted[ns++] = vals[i];
		if (i != k && vals[i] > other)
			other = vals[i];
	}
	if (ns < CASE_GROUP_MIN)
		return 0;
	qsort(sorted, (size_t)ns, sizeof(sorted[0]), cmp_double);
	med = sorted[ns / 2];
	return med > 0 && standing_apart(vals[k], med, other);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Appends emp to a comma-separated list of size len (at o); new o. */
static size_t
members_add(char *list, size_t len, size_t o, const char *emp)
{
	o += (size_t)snprintf(list + o, o < len ? len - o : 0, "%s%s",
	    o > 0 ? "," : "", emp);
	return o >= len ? len - 1 : o;
}

/*
 * The members of a cohort on table in group g who raised no alert held
 * today (detect.c named them; they are part of the situation all the
 * same), appended to the group case's members; returns how many.
 */
static size_t
cohort_quiet(struct analytics *an, const char *g, const char *table,
    struct case_row *gc, size_t *o)
{
	struct cases *c = an->cases;
	struct entity *e;
	const char **ids;
	size_t it = 0, n = 0, i;
	void *val;

	ids = xcalloc(hmap_count(an->entities) + 1, sizeof(*ids));
	while (hmap_next(an->entities, &it, NULL, &val)) {
		e = val;
		if (in_cohort(an, e->id, g, table) &&
		    person_index(c, c->n, e->id) == (int)c->n)
			ids[n++] = e->id;
	}
	qsort(ids, n, sizeof(*ids), cmp_str);	/* in a stable order */
	for (i = 0; i < n; i++)
		*o = members_add(gc->members, sizeof(gc->members), *o, ids[i]);
	free(ids);
	return n;
}

/*
 * A group case for the n people of who[] (indexes of their first held
 * alert) sharing name, with the cohort's members who raised nothing
 * when a cohort (cohort > 0) made it: standouts keep their alerts
 * (marked grouped -1, filed per person later) - those apart from the
 * group's volume, alerted earlier that day or critical, and, where a
 * cohort made it, those detect.c left out of the cohort (it judged them
 * apart already); everyone else's held alerts join the group case,
 * which is written and forwarded.
 */
static int
file_group(struct analytics *an, int64_t day_start, const char *name,
    size_t *who, size_t n, int gnum, int cohort)
{
	struct cases *c = an->cases;
	struct case_row g;
	double vol[256];
	int kind = name[0] == 'd', nv = 0, nstand = 0;
	size_t k, j, w, o = 0, members = n;
	char day[TS_STRLEN], stand[512] = "";
	const char *grp = c->h[who[0]].group;
	int *standout = xcalloc(n, sizeof(int));

	for (k = 0; k < n && nv < 256; k++)
		vol[nv++] = person_volume(c, c->h[who[k]].employee, kind);
	memset(&g, 0, sizeof(g));
	for (k = 0; k < n; k++) {
		const char *emp = c->h[who[k]].employee;

		standout[k] = (k < 256 && volume_standout(vol, nv, (int)k)) ||
		    alerted_today(an, emp, day_start) ||
		    critical_held(c, emp) ||
		    (cohort > 0 && !in_cohort(an, emp, grp, name + 2));
		if (standout[k] && (w = strlen(stand)) + strlen(emp) + 3 <
		    sizeof(stand))
			snprintf(stand + w, sizeof(stand) - w, "%s%s",
			    nstand++ > 0 ? ", " : "", emp);
		o = members_add(g.members, sizeof(g.members), o, emp);
	}
	if (cohort > 0 && !kind)
		members += cohort_quiet(an, grp, name + 2, &g, &o);
	snprintf(g.kind, sizeof(g.kind), "group");
	snprintf(g.subject, sizeof(g.subject), "group:%s", grp);
	schema_case_id(g.subject, c->h[who[0]].id, g.id);
	snprintf(g.department, sizeof(g.department), "%s", grp);
	snprintf(g.severity, sizeof(g.severity), "low");
	g.score = CASE_GROUP_SCORE;
	if (ts_format(day_start, day, sizeof(day)) != 0)
		day[0] = '\0';
	day[10] = '\0';		/* the date of an RFC 3339 time */
	snprintf(g.story, sizeof(g.story), "%zu people in %s %s %s for the "
	    "first time on %s%s%s", members, g.department, kind ?
	    "uploaded to" : "read", name + 2, day, nstand > 0 ?
	    "; standing out: " : "", stand);
	for (j = 0; j < c->n; j++) {
		for (k = 0; k < n; k++)
			if (strcmp(c->h[j].employee, c->h[who[k]].employee) ==
			    0)
				break;
		if (k == n || c->h[j].grouped)
			continue;
		c->h[j].grouped = standout[k] ? -1 : gnum;
		if (standout[k])
			continue;
		if (g.alerts == 0 || c->h[j].ts < g.first_ts)
			g.first_ts = c->h[j].ts;
		if (c->h[j].ts > g.last_ts)
			g.last_ts = c->h[j].ts;
		g.alerts++;
	}
	free(standout);
	if (g.alerts == 0)
		return 0;		/* everyone stood out */
	if (case_write(an, &g, 1) != 0)
		return -1;
	for (j = 0; j < c->n; j++)
		if (c->h[j].grouped == gnum &&
		    case_link(an, g.id, c->h[j].id, c->h[j].ts) != 0)
			return -1;
	case_forward(an, &g, g.last_ts, "opened", NULL, NULL);
	return 0;
}

/* ---- a group case's later days ---- */

/* Whether emp is one of the comma-separated members. */
static int
member_of(const char *members, const char *emp)
{
	size_t n = strlen(emp);
	const char *p = members;

	while ((p = strstr(p, emp)) != NULL) {
		if ((p == members || p[-1] == ',') &&
		    (p[n] == ',' || p[n] == '\0'))
			return 1;
		p++;
	}
	return 0;
}

/*
 * The ids of the open group cases opened since since, newest first, at
 * most max; returns how many.
 */
static size_t
open_groups(struct analytics *an, int64_t since, char (*ids)[17],
    size_t max)
{
	sqlite3_stmt *st;
	size_t n = 0;

	if (sqlite3_prepare_v2(an->db, "SELECT id FROM cases WHERE kind = "
	    "'group' AND status NOT LIKE 'closed%' AND first_ts >= ? ORDER "
	    "BY first_ts DESC LIMIT ?", -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int(st, 2, (int)max);
	while (n < max && sqlite3_step(st) == SQLITE_ROW)
		schema_text(st, 0, ids[n++], sizeof(ids[0]));
	sqlite3_finalize(st);
	return n;
}

/* A case row by id, 1 if found. */
static int
case_by_id(struct analytics *an, const char *id, struct case_row *c)
{
	return case_select(an, CASE_COLUMNS "WHERE id = ?", id, c);
}

/*
 * The people with held alerts not yet filed who are members of group
 * case g and may follow it (first held alert of each, into who[]): not
 * one with a critical alert, nor one whose own case is open (their
 * evidence goes on there); returns how many.
 */
static size_t
followers(struct analytics *an, const struct case_row *g, size_t *who,
    size_t max)
{
	struct cases *c = an->cases;
	struct case_row own;
	size_t i, n = 0;

	for (i = 0; i < c->n && n < max; i++) {
		const char *emp = c->h[i].employee;

		if (c->h[i].grouped ||
		    (size_t)person_index(c, i, emp) != i ||
		    !member_of(g->members, emp) || critical_held(c, emp) ||
		    case_open_of(an, emp, &own))
			continue;
		who[n++] = i;
	}
	return n;
}

/*
 * The held alerts of the people who[0..n) join group case g as its
 * timeline, but those of a member whose day's volume stands out of
 * theirs (volume_standout(), rows or bytes out); returns 0, or -1 when
 * the database refused.
 */
static int
follow_group(struct analytics *an, struct case_row *g, const size_t *who,
    size_t n)
{
	struct cases *c = an->cases;
	double vol[2][256];
	size_t k, j;
	int kind, out, joined = 0;

	for (kind = 0; kind < 2; kind++)
		for (k = 0; k < n && k < 256; k++)
			vol[kind][k] = person_volume(c,
			    c->h[who[k]].employee, kind);
	for (k = 0; k < n && k < 256; k++) {
		out = volume_standout(vol[0], (int)n, (int)k) ||
		    volume_standout(vol[1], (int)n, (int)k);
		for (j = 0; j < c->n; j++) {
			struct held *h = &c->h[j];

			if (h->grouped || strcmp(h->employee,
			    c->h[who[k]].employee) != 0)
				continue;
			h->grouped = -1;
			if (out)
				continue;	/* filed as their own */
			/* it rises, but stays the situation's score: a
			   member's alert is not a suspicion of its own */
			g->score = score_rise(g->score, h->score);
			if (h->ts > g->last_ts)
				g->last_ts = h->ts;
			g->alerts++;
			if (case_link(an, g->id, h->id, h->ts) != 0)
				return -1;
			h->grouped = 1;
			joined++;
			case_forward(an, g, h->ts, "alert_joined", h->id,
			    h->rule);
		}
	}
	return joined > 0 ? case_write(an, g, 0) : 0;
}

/*
 * A group case's situation goes on after its day: the team keeps
 * reading the table it was new to, and its members' volume rules fire
 * days later, together. When CASE_FOLLOW_MIN or more members of an open
 * group case opened in the last CASE_FOLLOW_SPAN have held alerts not
 * filed today, those alerts join the group case rather than opening a
 * case each. One member alerting alone is not the group, and gets their
 * own case; so does one who stands out (followers(), follow_group()).
 */
static int
follow_groups(struct analytics *an, int64_t day_start)
{
	char ids[CASE_FOLLOW_MAX][17];
	struct case_row g;
	size_t who[256], ng, n, i;
	int rc = 0;

	ng = open_groups(an, day_start - CASE_FOLLOW_SPAN, ids,
	    CASE_FOLLOW_MAX);
	for (i = 0; i < ng; i++) {
		memset(&g, 0, sizeof(g));
		if (!case_by_id(an, ids[i], &g))
			continue;
		n = followers(an, &g, who, sizeof(who) / sizeof(who[0]));
		if (n >= CASE_FOLLOW_MIN && follow_group(an, &g, who, n) != 0)
			rc = -1;
	}
	return rc;
}

/*
 * The day's close is over: held alerts sharing a first-seen name with
 * enough people of their group become group cases, alerts of members of
 * an open group case alerting together join it, the rest go to their
 * people's cases, in the order they were raised.
 */
int
cases_release(struct analytics *an, int64_t day_start)
{
	struct cases *c = an->cases;
	size_t who[256], n, i;
	int k, gnum = 0, rc = 0, cohort;

	if (c == NULL)
		return 0;
	c->holding = 0;
	for (i = 0; i < c->n; i++) {
		for (k = 0; k < c->h[i].nnames && !c->h[i].grouped; k++) {
			n = sharers(c, c->h[i].group, c->h[i].names[k], who,
			    sizeof(who) / sizeof(who[0]));
			if (c->h[i].group[0] == '\0' || n == 0)
				continue;
			cohort = cohort_on(c, c->h[i].names[k], who, n);
			if (n < CASE_GROUP_MIN && cohort < CASE_GROUP_MIN)
				continue;
			if (file_group(an, day_start, c->h[i].names[k], who,
			    n, ++gnum, cohort) != 0)
				rc = -1;
		}
	}
	if (follow_groups(an, day_start) != 0)
		rc = -1;
	for (i = 0; i < c->n; i++) {
		if (c->h[i].grouped <= 0 && file_person(an, c->h[i].id,
		    c->h[i].employee, c->h[i].rule, c->h[i].severity,
		    c->h[i].score, c->h[i].ts, c->h[i].summary) != 0)
			rc = -1;
		held_clear(&c->h[i]);
	}
	c->n = 0;
	return rc;
}

/* ---- triage, forwarded ---- */

/*
 * Live: the triage the control socket wrote on cases since the last
 * call, each forwarded as a case update. The cursor (an_meta
 * case_triage_seq) moves in the same statement order, so a restart
 * forwards nothing twice and loses nothing.
 */
void
cases_tick(struct analytics *an)
{
	sqlite3_stmt *st, *cur;
	char ts[TS_STRLEN];
	int64_t seq = 0, last = -1;
	json_t *m;

	if (an->db == NULL || an->fwd == NULL)
		return;
	if (sqlite3_prepare_v2(an->db, "SELECT value FROM an_meta WHERE "
	    "key = 'case_triage_seq'", -1, &cur, NULL) == SQLITE_OK) {
		if (sqlite3_step(cur) == SQLITE_ROW)
			seq = sqlite3_column_int64(cur, 0);
		sqlite3_finalize(cur);
	}
	if (sqlite3_prepare_v2(an->db, "SELECT t.seq, t.ts, c.id, c.kind, "
	    "c.subject, c.members, c.department, c.severity, c.score, "
	    "c.alerts, c.first_ts, c.last_ts, c.story, t.status, t.action "
	    "FROM triage_audit t JOIN cases c ON c.id = t.alert_id WHERE "
	    "t.seq > ? ORDER BY t.seq LIMIT 1000", -1, &st, NULL) !=
	    SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, seq);
	while (sqlite3_step(st) == SQLITE_ROW) {
		last = sqlite3_column_int64(st, 0);
		if (ts_format(sqlite3_column_int64(st, 1), ts, sizeof(ts)) != 0)
			continue;
		m = case_message(ts, (const char *)sqlite3_column_text(st, 2),
		    (const char *)sqlite3_column_text(st, 3),
		    (const char *)sqlite3_column_text(st, 4),
		    (const char *)sqlite3_column_text(st, 5),
		    (const char *)sqlite3_column_text(st, 6),
		    (const char *)sqlite3_column_text(st, 7),
		    sqlite3_column_double(st, 8), sqlite3_column_int(st, 9),
		    sqlite3_column_int64(st, 10), sqlite3_column_int64(st, 11),
		    (const char *)sqlite3_column_text(st, 12),
		    (const char *)sqlite3_column_text(st, 13), "triaged");
		if (m == NULL)
			continue;
		json_object_set_new(json_object_get(m, "evidence"), "action",
		    json_string((const char *)sqlite3_column_text(st, 14)));
		fwd_submit(an->fwd, m);
		json_decref(m);
	}
	sqlite3_finalize(st);
	if (last < 0 || sqlite3_prepare_v2(an->db, "INSERT OR REPLACE INTO "
	    "an_meta (key, value) VALUES ('case_triage_seq', ?)", -1, &cur,
	    NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(cur, 1, last);
	if (sqlite3_step(cur) != SQLITE_DONE)
		log_warnx("cases: %s", sqlite3_errmsg(an->db));
	sqlite3_finalize(cur);
}
