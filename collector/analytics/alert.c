/*
 * Alerts and risk. A rule that fires hands an alert_in here; the alert's
 * id is the first 16 hex digits of SHA-256 of employee, rule and time
 * bucket, so a replay gives the same ids every time and a finding is not
 * raised twice. Repeated firings merge into the open alert: while the
 * rule's suppression window lasts and no analyst has closed it, or when
 * the id is already stored, the stored alert's count, last time and
 * maximum score move and nothing new is printed or forwarded. The window
 * runs from the latest firing, not the first: a state that persists -
 * a streak, a standing - is one alert for as long as it keeps firing,
 * and a new one only after it has been quiet for the window. A new
 * alert is
 * stored (table alerts, docs/schema.md), printed as one JSON line when
 * replaying, filed into a case (cases.c, which tells the SIEMs), and,
 * with forward-alerts, handed to the SIEM forwarder itself.
 *
 * Risk per employee accumulates alert scores with exponential decay
 * (half-life risk-half-life, default 7 days), capped per rule
 * (risk-rule-cap) so one noisy rule cannot make a person the riskiest in
 * the company on its own.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "analytics.h"
#include "../schema.h"
#include "../siem/siem.h"
#include "leakwatch/event.h"
#include "leakwatch/log.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define RISK_RULES	32

struct open_alert {
	char		 id[17];
	int64_t		 until;
};

struct risk_emp {
	int		 n;
	struct {
		char	*rule;
		double	 v;
		int64_t	 ts;
	} r[RISK_RULES];
};

struct alerts {
	struct hmap	*open;		/* "employee\trule" -> open_alert */
	struct hmap	*risk;		/* employee -> risk_emp */
};

static void
risk_emp_free(void *v)
{
	struct risk_emp *re = v;
	int i;

	for (i = 0; i < re->n; i++)
		free(re->r[i].rule);
	free(re);
}

struct alerts *
alerts_new(struct analytics *an)
{
	struct alerts *a = xcalloc(1, sizeof(*a));
	struct risk_emp *re;
	sqlite3_stmt *st;
	const char *emp;

	a->open = hmap_new();
	a->risk = hmap_new();
	if (an->db != NULL && sqlite3_prepare_v2(an->db, "SELECT employee, "
	    "rule, value, ts FROM risk ORDER BY employee, rule", -1, &st,
	    NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			emp = (const char *)sqlite3_column_text(st, 0);
			if ((re = hmap_get(a->risk, emp)) == NULL) {
				re = xcalloc(1, sizeof(*re));
				hmap_put(a->risk, emp, re);
			}
			if (re->n == RISK_RULES)
				continue;
			re->r[re->n].rule = xstrdup((const char *)
			    sqlite3_column_text(st, 1));
			re->r[re->n].v = sqlite3_column_double(st, 2);
			re->r[re->n].ts = sqlite3_column_int64(st, 3);
			re->n++;
		}
		sqlite3_finalize(st);
	}
	return a;
}

void
alerts_free(struct alerts *a)
{
	if (a == NULL)
		return;
	hmap_free(a->open, free);
	hmap_free(a->risk, risk_emp_free);
	free(a);
}

void
alert_id(const char *employee, const char *rule, int64_t bucket_us,
    char out[17])
{
	char buf[1024], hex[65];
	int n;

	n = snprintf(buf, sizeof(buf), "%s\n%s\n%lld", employee, rule,
	    (long long)bucket_us);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	sha256_hex(buf, (size_t)n, hex);
	memcpy(out, hex, 16);
	out[16] = '\0';
}

static double
decay(const struct analytics *an, double v, int64_t from, int64_t to)
{
	double hl = (double)an->p.half_life_ms * 1000.0;

	if (to <= from || hl <= 0)
		return v;
	return v * pow(0.5, (double)(to - from) / hl);
}

/* The employee's risk at ts: the decayed, capped sum over rules. */
double
risk_get(struct analytics *an, const char *employee, int64_t ts)
{
	struct risk_emp *re = hmap_get(an->alerts->risk, employee);
	double sum = 0;
	int i;

	for (i = 0; re != NULL && i < re->n; i++)
		sum += decay(an, re->r[i].v, re->r[i].ts, ts);
	return round(sum * 10) / 10;
}

static void
risk_add(struct analytics *an, const struct alert_in *in)
{
	struct risk_emp *re = hmap_get(an->alerts->risk, in->employee);
	sqlite3_stmt *st;
	int i;

	if (re == NULL) {
		re = xcalloc(1, sizeof(*re));
		hmap_put(an->alerts->risk, in->employee, re);
	}
	for (i = 0; i < re->n; i++)
		if (strcmp(re->r[i].rule, in->rule) == 0)
			break;
	if (i == re->n) {
		if (re->n == RISK_RULES)
			i = RISK_RULES - 1;	/* the last slot pools the rest */
		else {
			re->r[i].rule = xstrdup(in->rule);
			re->r[i].v = 0;
			re->r[i].ts = in->ts_us;
			re->n++;
		}
	}
	re->r[i].v = decay(an, re->r[i].v, re->r[i].ts, in->ts_us) +
	    in->score;
	if (re->r[i].v > (double)an->p.rule_cap)
		re->r[i].v = (double)an->p.rule_cap;
	if (in->ts_us > re->r[i].ts)
		re->r[i].ts = in->ts_us;
	if (an->db == NULL || sqlite3_prepare_v2(an->db, "INSERT OR REPLACE "
	    "INTO risk (employee, rule, value, ts) VALUES (?, ?, ?, ?)", -1,
	    &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, in->employee, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, re->r[i].rule, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, re->r[i].v);
	sqlite3_bind_int64(st, 4, re->r[i].ts);
	schema_write(an->db, st, "risk");
}

/*
 * Merges a firing into stored alert id; 1 if there was one. With
 * open_only, not into an alert an analyst has closed: the suppression
 * window must not hide a later finding inside a verdict given before it.
 * The window is moved on to end suppress after this firing.
 */
static int
merge(struct analytics *an, const char *id, const struct alert_in *in,
    int open_only)
{
	sqlite3_stmt *st;
	int changed = 0;

	if (an->db == NULL || sqlite3_prepare_v2(an->db, open_only ?
	    "UPDATE alerts SET count = count + 1, last_ts = max(last_ts, ?2), "
	    "until_ts = max(until_ts, ?4), score = max(score, ?3) "
	    "WHERE id = ?1 AND status NOT LIKE 'closed%'" :
	    "UPDATE alerts SET count = count + 1, last_ts = max(last_ts, ?2), "
	    "until_ts = max(until_ts, ?4), score = max(score, ?3) "
	    "WHERE id = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, in->ts_us);
	sqlite3_bind_double(st, 3, in->score);
	sqlite3_bind_int64(st, 4, in->ts_us + in->suppress_us);
	if (sqlite3_step(st) == SQLITE_DONE)
		changed = sqlite3_changes(an->db) > 0;
	sqlite3_finalize(st);
	return changed;
}

static int
store_alert(struct analytics *an, const char *id, const struct alert_in *in,
    const char *json, const char *evidence)
{
	sqlite3_stmt *st;
	int rc;

	if (an->db == NULL)
		return 0;
	if (sqlite3_prepare_v2(an->db, "INSERT INTO alerts (id, ts, last_ts, "
	    "until_ts, employee, rule, severity, score, summary, evidence, "
	    "count, status, json) VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
	    "?9, 1, 'open', ?10)", -1, &st, NULL) != SQLITE_OK) {
		log_warnx("alerts: %s", sqlite3_errmsg(an->db));
		return -1;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, in->ts_us);
	sqlite3_bind_int64(st, 3, in->ts_us + in->suppress_us);
	sqlite3_bind_text(st, 4, in->employee, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, in->rule, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, in->severity, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 7, in->score);
	sqlite3_bind_text(st, 8, in->summary, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, evidence, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, json, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_warnx("alerts: %s", sqlite3_errmsg(an->db));
		return -1;
	}
	return 0;
}

/* The open alert of (employee, rule) from an earlier run, if any. */
static struct open_alert *
load_open(struct analytics *an, const char *key, const struct alert_in *in)
{
	struct open_alert *oa;
	sqlite3_stmt *st;

	oa = xcalloc(1, sizeof(*oa));
	if (an->db != NULL && sqlite3_prepare_v2(an->db, "SELECT id, "
	    "until_ts FROM alerts WHERE employee = ? AND rule = ? ORDER BY "
	    "ts DESC LIMIT 1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, in->employee, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, in->rule, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(oa->id, sizeof(oa->id), "%s",
			    (const char *)sqlite3_column_text(st, 0));
			oa->until = sqlite3_column_int64(st, 1);
		}
		sqlite3_finalize(st);
	}
	hmap_put(an->alerts->open, key, oa);
	return oa;
}

/*
 * Raises (or merges) one alert. Returns 1 for a new alert, 0 for a
 * merge, -1 on error.
 */
int
alert_raise(struct analytics *an, const struct alert_in *in)
{
	struct open_alert *oa;
	struct lw_event *ev;
	json_t *o;
	char key[512], id[17], ts[TS_STRLEN], why[256], *json, *evs;
	size_t len;
	int rc;

	snprintf(key, sizeof(key), "%s\t%s", in->employee, in->rule);
	if ((oa = hmap_get(an->alerts->open, key)) == NULL)
		oa = load_open(an, key, in);
	if (oa->id[0] != '\0' && in->ts_us < oa->until &&
	    merge(an, oa->id, in, 1)) {
		if (in->ts_us + in->suppress_us > oa->until)
			oa->until = in->ts_us + in->suppress_us;
		cases_touch(an, oa->id, in->ts_us, in->score);
		an->alerts_merged++;
		return 0;
	}
	/*
	 * The same finding (same bucket) merges even when closed: the
	 * verdict was on it. A firing in a later bucket is a new alert.
	 */
	alert_id(in->employee, in->rule, in->bucket_us, id);
	if (merge(an, id, in, 0)) {
		cases_touch(an, id, in->ts_us, in->score);
		an->alerts_merged++;
		return 0;
	}
	ts_format(in->ts_us, ts, sizeof(ts));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s}",
	    "type", "alert", "ts", ts, "id", id, "employee", in->employee,
	    "rule", in->rule, "severity", in->severity,
	    "score", (json_int_t)llround(in->score), "summary", in->summary);
	if (o == NULL)
		return -1;
	if (in->evidence != NULL)
		json_object_set(o, "evidence", in->evidence);
	if ((ev = lw_event_from_json(json_incref(o), why,
	    sizeof(why))) == NULL) {
		/* evidence too large or odd: the alert goes out without */
		log_warnx("alert %s: %s; evidence dropped", id, why);
		json_object_del(o, "evidence");
		if ((ev = lw_event_from_json(json_incref(o), why,
		    sizeof(why))) == NULL) {
			log_warnx("alert %s: %s; not raised", id, why);
			json_decref(o);
			return -1;
		}
	}
	json = lw_event_encode(ev, &len);
	evs = json_object_get(o, "evidence") != NULL ?
	    json_dumps(json_object_get(o, "evidence"), JSON_COMPACT) : NULL;
	rc = store_alert(an, id, in, json ? json : "", evs ? evs : "{}");
	free(evs);
	if (rc == 0) {
		memcpy(oa->id, id, sizeof(oa->id));
		oa->until = in->ts_us + in->suppress_us;
		risk_add(an, in);
		an->alerts_raised++;
		if (an->out != NULL && json != NULL) {
			fwrite(json, 1, len, an->out);
			fputc('\n', an->out);
		}
		cases_alert(an, id, in);
		if (an->fwd != NULL && an->p.forward_alerts)
			fwd_submit(an->fwd, ev->obj);
		if (!an->p.replay)
			log_info("alert %s: %s %s (%s, %d): %s", id,
			    in->employee, in->rule, in->severity,
			    (int)llround(in->score), in->summary);
	}
	free(json);
	lw_event_free(ev);
	json_decref(o);
	return rc == 0 ? 1 : -1;
}
