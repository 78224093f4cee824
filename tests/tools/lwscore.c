/*
 * lwscore: scores alerts against what lwsim or lworg injected, the way
 * an analyst lives it (docs/simulator.md). For each labelled scenario:
 * caught or not, days from its start (or from the first day of data, for
 * a theft already running then) to the first alert on that employee, the
 * rank of that employee by summed alert score up to a given day, and
 * whether it was caught within a fixed daily alert budget (the K
 * highest-scored alerts of each day). Overall: false alerts per 1,000
 * employee-days and alerts per day; with --db (the replay's database),
 * cases per analyst-day: new cases (docs/analytics.md, "Cases") per day,
 * and scaled to 10,000 employees. The same figures for a naive
 * detector that lwscore runs itself over the simulator's events: a fixed
 * rows-read-per-day and bytes-out-per-day threshold per employee.
 *
 *   lwscore --sim DIR --alerts FILE [--db PATH] [--events FILE] [--budget K]
 *           [--grace DAYS] [--by-day D] [--naive-rows N] [--naive-bytes N]
 *           [--no-naive] [--require-top N] [--max-false N]
 *           [--max-false-rate R] [--require-caught]
 *           [--require-beats-naive SCENARIO]...
 *
 * Output is key=value lines (scenario=..., summary ..., gate ...), one
 * fact per line, for people and for awk. Exit status: 0 when every
 * --require/--max gate holds, 1 when one fails, 2 on bad input.
 *
 * It is a test tool: it trusts the side files (meta.json, labels.jsonl,
 * directory.csv) to be what lwsim or lworg writes, and reads alert lines
 * leniently (anything that is not an alert is skipped). Days are counted
 * in the organisation's local time when meta.json gives its offset
 * (lworg), else in UTC (lwsim).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "../../collector/schema.h"
#include "leakwatch/util.h"
#include "lwsim.h"

#define DAY_US		86400000000LL
#define MAXLABEL	256

static void
die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("lwscore: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void *
xrealloc_or_die(void *p, size_t n, size_t sz)
{
	if (sz != 0 && n > SIZE_MAX / sz)
		die("out of memory");
	if ((p = realloc(p, n * sz)) == NULL)
		die("out of memory");
	return p;
}

static char *
xstrdup_or_die(const char *s)
{
	char *d;

	if ((d = strdup(s)) == NULL)
		die("out of memory");
	return d;
}

/* ---------------------------------------------------------------------
 * A string -> int map (open addressing, FNV-1a), for employee names,
 * database users and IP addresses.
 */

struct smap {
	char	**key;
	int	 *val;
	size_t	  n, cap;
};

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int
smap_get(const struct smap *m, const char *k)
{
	size_t i;

	if (m->cap == 0)
		return -1;
	for (i = fnv1a(k) & (m->cap - 1); m->key[i] != NULL;
	    i = (i + 1) & (m->cap - 1))
		if (strcmp(m->key[i], k) == 0)
			return m->val[i];
	return -1;
}

static void smap_put(struct smap *, const char *, int);

static void
smap_grow(struct smap *m)
{
	struct smap old = *m;
	size_t i;

	m->cap = old.cap ? old.cap * 2 : 1024;
	m->n = 0;
	m->key = calloc(m->cap, sizeof(*m->key));
	m->val = calloc(m->cap, sizeof(*m->val));
	if (m->key == NULL || m->val == NULL)
		die("out of memory");
	for (i = 0; i < old.cap; i++)
		if (old.key[i] != NULL) {
			smap_put(m, old.key[i], old.val[i]);
			free(old.key[i]);
		}
	free(old.key);
	free(old.val);
}

/* Keeps the first value put for a key. */
static void
smap_put(struct smap *m, const char *k, int v)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap)
		smap_grow(m);
	for (i = fnv1a(k) & (m->cap - 1); m->key[i] != NULL;
	    i = (i + 1) & (m->cap - 1))
		if (strcmp(m->key[i], k) == 0)
			return;
	m->key[i] = xstrdup_or_die(k);
	m->val[i] = v;
	m->n++;
}

static void
smap_free(struct smap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->key[i]);
	free(m->key);
	free(m->val);
}

/* ---------------------------------------------------------------------
 * Inputs.
 */

struct emp {
	char	*id;
	int	 service, indir;
};

struct label {
	char	 scenario[32];
	int	 who, owner;		/* employee indices; owner -1 */
	int	 start, end;
};

struct alert {
	int	 day, who, rule;	/* rule: index in rule_names, -1 */
	double	 score;
	size_t	 order;
};

struct det {
	const char	*name;
	struct alert	*a;
	size_t		 n, cap;
	/* results per label */
	int		 caught[MAXLABEL], days[MAXLABEL], rank[MAXLABEL],
			 budget[MAXLABEL];
	size_t		 nfalse;
};

static struct emp *emps;
static int nemps;
static struct smap emp_by_id, emp_by_dbu, emp_by_ip, emp_by_alias;
static struct label labels[MAXLABEL];
static int nlabels;
static int64_t t0_us;		/* local midnight of the first day */
static int64_t day0;		/* the first day, days since 1970 */
static int ndays;
static long long empdays;

static int
emp_index(const char *id)
{
	int i = smap_get(&emp_by_id, id);

	if (i >= 0)
		return i;
	emps = xrealloc_or_die(emps, (size_t)nemps + 1, sizeof(*emps));
	emps[nemps].id = xstrdup_or_die(id);
	emps[nemps].service = 0;
	emps[nemps].indir = 0;
	smap_put(&emp_by_id, id, nemps);
	return nemps++;
}

static json_t *
load_json_line(const char *line, const char *path, unsigned long lineno)
{
	json_error_t err;
	json_t *o;

	if ((o = json_loads(line, 0, &err)) == NULL || !json_is_object(o))
		die("%s:%lu: not a JSON object", path, lineno);
	return o;
}

static void
read_meta(const char *dir)
{
	char path[4096];
	json_error_t err;
	json_t *o;
	const char *start;
	int64_t d;

	snprintf(path, sizeof(path), "%s/meta.json", dir);
	if ((o = json_load_file(path, 0, &err)) == NULL)
		die("%s: %s", path, err.text);
	start = json_string_value(json_object_get(o, "start"));
	if (start == NULL || sim_date_parse(start, strlen(start), &d) != 0)
		die("%s: no start", path);
	day0 = d;
	/* minutes east of UTC; absent (lwsim) means the days are UTC days */
	t0_us = d * DAY_US - json_integer_value(json_object_get(o,
	    "utc_offset_min")) * 60000000LL;
	ndays = (int)json_integer_value(json_object_get(o, "days"));
	if (ndays <= 0)
		die("%s: no days", path);
	json_decref(o);
}

/* Splits a `;` list and maps each item to employee i. */
static void
map_list(struct smap *m, char *list, int i)
{
	char *s = list, *e;

	while (s != NULL && *s != '\0') {
		e = strchr(s, ';');
		if (e != NULL)
			*e = '\0';
		if (*s != '\0')
			smap_put(m, s, i);
		s = e ? e + 1 : NULL;
	}
}

/*
 * directory.csv as lwsim and lworg write it: no quoting, columns
 * employee, name, department, role, manager, db_users, ips, hostnames,
 * start, leave, and lworg's eleventh, aliases (the logins applications
 * put in end_user), found by its header. Employee-days count every
 * non-service employee's employed days.
 */
static void
read_directory(const char *dir)
{
	char path[4096], *line = NULL, *col[16], *s;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	int n, i, d, aliases = -1;
	int64_t start, leave, day;
	unsigned long lineno = 0;

	snprintf(path, sizeof(path), "%s/directory.csv", dir);
	if ((f = fopen(path, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	while ((len = getline(&line, &cap, f)) > 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		n = 0;
		for (s = line; n < 16; ) {
			col[n++] = s;
			if ((s = strchr(s, ',')) == NULL)
				break;
			*s++ = '\0';
		}
		if (lineno == 1) {
			for (i = 10; i < n; i++)
				if (strcmp(col[i], "aliases") == 0)
					aliases = i;
			continue;
		}
		if (n < 10)
			die("%s:%lu: expected 10 columns", path, lineno);
		i = emp_index(col[0]);
		emps[i].indir = 1;
		emps[i].service = strcmp(col[3], "service") == 0;
		map_list(&emp_by_dbu, col[5], i);
		map_list(&emp_by_ip, col[6], i);
		if (aliases >= 0 && aliases < n)
			map_list(&emp_by_alias, col[aliases], i);
		if (emps[i].service)
			continue;
		if (sim_date_parse(col[8], strlen(col[8]), &start) != 0)
			start = 0;
		if (col[9][0] == '\0' || sim_date_parse(col[9],
		    strlen(col[9]), &leave) != 0)
			leave = INT64_MAX;
		for (d = 0; d < ndays; d++) {
			day = day0 + d;
			if (day >= start && day < leave)
				empdays++;
		}
	}
	free(line);
	fclose(f);
}

static void
read_labels(const char *dir)
{
	char path[4096], *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	json_t *o;
	const char *s;
	struct label *l;
	unsigned long lineno = 0;

	snprintf(path, sizeof(path), "%s/labels.jsonl", dir);
	if ((f = fopen(path, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	while ((len = getline(&line, &cap, f)) > 0) {
		lineno++;
		if (len <= 1)
			continue;
		if (nlabels == MAXLABEL)
			die("%s: more than %d labels", path, MAXLABEL);
		o = load_json_line(line, path, lineno);
		l = &labels[nlabels++];
		s = json_string_value(json_object_get(o, "scenario"));
		snprintf(l->scenario, sizeof(l->scenario), "%s", s ? s : "?");
		s = json_string_value(json_object_get(o, "employee"));
		if (s == NULL)
			die("%s:%lu: no employee", path, lineno);
		l->who = emp_index(s);
		s = json_string_value(json_object_get(o, "account_owner"));
		l->owner = s ? emp_index(s) : -1;
		l->start = (int)json_integer_value(json_object_get(o,
		    "start_day"));
		l->end = (int)json_integer_value(json_object_get(o,
		    "end_day"));
		json_decref(o);
	}
	free(line);
	fclose(f);
}

/* Rule names seen in alerts, for the false alerts per rule. */
static struct smap rule_by_name;
static char **rule_names;
static int nrules;

static int
rule_index(const char *name)
{
	int i = smap_get(&rule_by_name, name);

	if (i >= 0)
		return i;
	rule_names = xrealloc_or_die(rule_names, (size_t)nrules + 1,
	    sizeof(*rule_names));
	rule_names[nrules] = xstrdup_or_die(name);
	smap_put(&rule_by_name, name, nrules);
	return nrules++;
}

static void
add_alert(struct det *d, int day, int who, double score, int rule)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 256;
		d->a = xrealloc_or_die(d->a, d->cap, sizeof(*d->a));
	}
	d->a[d->n].day = day;
	d->a[d->n].who = who;
	d->a[d->n].score = score;
	d->a[d->n].rule = rule;
	d->a[d->n].order = d->n;
	d->n++;
}

static int
day_of(int64_t us)
{
	int64_t x = us - t0_us;

	return (int)(x >= 0 ? x / DAY_US : -1 - (-x - 1) / DAY_US);
}

static void
read_alerts(struct det *d, const char *path)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	json_t *o;
	json_error_t err;
	const char *type, *ts, *emp, *rule;
	int64_t us;

	if ((f = fopen(path, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	while ((len = getline(&line, &cap, f)) > 0) {
		if ((o = json_loads(line, 0, &err)) == NULL)
			continue;
		type = json_string_value(json_object_get(o, "type"));
		ts = json_string_value(json_object_get(o, "ts"));
		emp = json_string_value(json_object_get(o, "employee"));
		rule = json_string_value(json_object_get(o, "rule"));
		if (type != NULL && strcmp(type, "alert") == 0 && ts != NULL &&
		    emp != NULL && ts_parse(ts, &us) == 0)
			add_alert(d, day_of(us), emp_index(emp),
			    json_number_value(json_object_get(o, "score")),
			    rule_index(rule != NULL ? rule : "?"));
		json_decref(o);
	}
	free(line);
	fclose(f);
}

/* ---------------------------------------------------------------------
 * The naive detector: rows read and bytes sent per employee per day,
 * one fixed threshold each, service accounts left out (an operator would
 * whitelist the backup job first thing).
 */

/* The few fields the naive detector needs from one event. */
struct rec {
	char	 type[16], ts[40], user[136], client[72], cmd[40], src[72],
		 end_user[264];
	int	 select;		/* statement holds " SELECT " */
	double	 rows, bytes;		/* rows read; bytes out (delta) */
};

enum { F_TYPE, F_TS, F_USER, F_CLIENT, F_CMD, F_STMT, F_RET, F_AFF, F_SRC,
    F_DOUT, F_BOUT, F_EUSER, NF };
static const char *const fnames[NF] = { "type", "ts", "db_user", "client",
    "command", "statement", "rows_returned", "rows_affected", "src",
    "delta_bytes_out", "bytes_out", "end_user" };

/* Skips one JSON string starting at s[i] == '"'; index after it, or -1. */
static long
skip_str(const char *s, size_t len, size_t i, int *escaped)
{
	for (i++; i < len; i++) {
		if (s[i] == '\\') {
			*escaped = 1;
			i++;
		} else if (s[i] == '"')
			return (long)i + 1;
	}
	return -1;
}

/*
 * A fast path for the flat, compact objects leakwatch writes: records the
 * raw span of each wanted top-level value. Returns -1 when the line is
 * not of that simple shape (a wanted string with an escape, nesting it
 * does not expect), and the caller falls back to jansson.
 */
static int
scan_flat(const char *s, size_t len, const char *v[NF], size_t vn[NF])
{
	size_t i = 0, ks, kn, vs;
	long j;
	int k, esc, depth, want;

	memset(vn, 0, NF * sizeof(*vn));
	for (k = 0; k < NF; k++)
		v[k] = NULL;
	if (len == 0 || s[0] != '{')
		return -1;
	for (i = 1; i < len;) {
		if (s[i] != '"')
			return -1;
		esc = 0;
		ks = i + 1;
		if ((j = skip_str(s, len, i, &esc)) < 0 || esc)
			return -1;
		kn = (size_t)j - 1 - ks;
		i = (size_t)j;
		if (i >= len || s[i] != ':')
			return -1;
		i++;
		want = -1;
		for (k = 0; k < NF; k++)
			if (strlen(fnames[k]) == kn &&
			    memcmp(fnames[k], s + ks, kn) == 0)
				want = k;
		vs = i;
		if (i < len && s[i] == '"') {
			esc = 0;
			if ((j = skip_str(s, len, i, &esc)) < 0)
				return -1;
			if (esc && want >= 0 && want != F_STMT)
				return -1;
			i = (size_t)j;
			if (want >= 0) {
				v[want] = s + vs + 1;
				vn[want] = i - vs - 2;
			}
		} else if (i < len && (s[i] == '[' || s[i] == '{')) {
			for (depth = 0; i < len;) {
				if (s[i] == '"') {
					esc = 0;
					if ((j = skip_str(s, len, i, &esc)) < 0)
						return -1;
					i = (size_t)j;
					continue;
				}
				if (s[i] == '[' || s[i] == '{')
					depth++;
				else if (s[i] == ']' || s[i] == '}')
					depth--;
				i++;
				if (depth == 0)
					break;
			}
		} else {
			while (i < len && s[i] != ',' && s[i] != '}')
				i++;
			if (want >= 0) {
				v[want] = s + vs;
				vn[want] = i - vs;
			}
		}
		if (i >= len)
			return -1;
		if (s[i] == '}')
			return 0;
		if (s[i] != ',')
			return -1;
		i++;
	}
	return -1;
}

static void
copy_span(char *dst, size_t dlen, const char *v, size_t n)
{
	if (v == NULL || n >= dlen)
		n = 0;
	if (n > 0)
		memcpy(dst, v, n);
	dst[n] = '\0';
}

static double
span_num(const char *v, size_t n)
{
	char buf[32];

	if (v == NULL || n == 0 || n >= sizeof(buf))
		return 0.0;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return strtod(buf, NULL);
}

static int
span_has(const char *v, size_t n, const char *needle)
{
	size_t m = strlen(needle), i;

	for (i = 0; v != NULL && i + m <= n; i++)
		if (memcmp(v + i, needle, m) == 0)
			return 1;
	return 0;
}

static void
jstr(char *dst, size_t dlen, json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	snprintf(dst, dlen, "%s", s ? s : "");
}

/* Fills r from one event line; -1 when it is not a JSON object. */
static int
read_rec(const char *line, size_t len, struct rec *r)
{
	const char *v[NF];
	size_t vn[NF];
	json_t *o, *dv;
	json_error_t err;
	const char *st;

	memset(r, 0, sizeof(*r));
	if (scan_flat(line, len, v, vn) == 0) {
		copy_span(r->type, sizeof(r->type), v[F_TYPE], vn[F_TYPE]);
		copy_span(r->ts, sizeof(r->ts), v[F_TS], vn[F_TS]);
		copy_span(r->user, sizeof(r->user), v[F_USER], vn[F_USER]);
		copy_span(r->client, sizeof(r->client), v[F_CLIENT],
		    vn[F_CLIENT]);
		copy_span(r->cmd, sizeof(r->cmd), v[F_CMD], vn[F_CMD]);
		copy_span(r->src, sizeof(r->src), v[F_SRC], vn[F_SRC]);
		copy_span(r->end_user, sizeof(r->end_user), v[F_EUSER],
		    vn[F_EUSER]);
		r->select = span_has(v[F_STMT], vn[F_STMT], " SELECT ");
		r->rows = span_num(v[F_RET], vn[F_RET]) +
		    span_num(v[F_AFF], vn[F_AFF]);
		r->bytes = v[F_DOUT] != NULL ? span_num(v[F_DOUT], vn[F_DOUT]) :
		    span_num(v[F_BOUT], vn[F_BOUT]);
		return 0;
	}
	if ((o = json_loadb(line, len, 0, &err)) == NULL ||
	    !json_is_object(o)) {
		json_decref(o);
		return -1;
	}
	jstr(r->type, sizeof(r->type), o, "type");
	jstr(r->ts, sizeof(r->ts), o, "ts");
	jstr(r->user, sizeof(r->user), o, "db_user");
	jstr(r->client, sizeof(r->client), o, "client");
	jstr(r->cmd, sizeof(r->cmd), o, "command");
	jstr(r->src, sizeof(r->src), o, "src");
	jstr(r->end_user, sizeof(r->end_user), o, "end_user");
	st = json_string_value(json_object_get(o, "statement"));
	r->select = st != NULL && strstr(st, " SELECT ") != NULL;
	r->rows = (double)json_integer_value(json_object_get(o,
	    "rows_returned")) + (double)json_integer_value(json_object_get(o,
	    "rows_affected"));
	dv = json_object_get(o, "delta_bytes_out");
	r->bytes = (double)json_integer_value(dv ? dv : json_object_get(o,
	    "bytes_out"));
	json_decref(o);
	return 0;
}

/*
 * Read-like statements (docs/events.md): their rows read are
 * rows_returned + rows_affected. A simplification of the table there,
 * enough for what lwsim emits.
 */
static int
read_like(const struct rec *r)
{
	static const char *const reads[] = { "SELECT", "COPY", "WITH",
	    "TABLE", "VALUES", "FETCH", "HANDLER", NULL };
	int i;

	for (i = 0; reads[i] != NULL; i++)
		if (strcmp(r->cmd, reads[i]) == 0)
			return 1;
	return (strcmp(r->cmd, "CREATE") == 0 ||
	    strcmp(r->cmd, "INSERT") == 0) && r->select;
}

static void
naive(struct det *d, const char *path, double rows_lim, double bytes_lim)
{
	char *line = NULL, *c;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	struct rec r;
	int64_t us;
	int day, who, i;
	double *rows, *bytes, sc;
	size_t cells, k;
	unsigned long lineno = 0;

	cells = (size_t)nemps * (size_t)ndays;
	rows = calloc(cells, sizeof(*rows));
	bytes = calloc(cells, sizeof(*bytes));
	if (rows == NULL || bytes == NULL)
		die("out of memory");
	if ((f = fopen(path, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	while ((len = getline(&line, &cap, f)) > 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		if (read_rec(line, (size_t)len, &r) != 0)
			die("%s:%lu: not a JSON object", path, lineno);
		if (ts_parse(r.ts, &us) != 0 || (day = day_of(us)) < 0 ||
		    day >= ndays)
			continue;
		who = -1;
		if (strcmp(r.type, "db.query") == 0) {
			/* the collector's order: end_user, db_user, address */
			if (r.end_user[0] != '\0' && (who = smap_get(&emp_by_alias,
			    r.end_user)) < 0)
				if ((who = smap_get(&emp_by_id, r.end_user)) >= 0 &&
				    !emps[who].indir)
					who = -1;
			if (who < 0)
				who = smap_get(&emp_by_dbu, r.user);
			if (who < 0 && (c = strrchr(r.client, ':')) != NULL) {
				*c = '\0';
				who = smap_get(&emp_by_ip, r.client);
			}
			if (who >= 0 && !emps[who].service && read_like(&r))
				rows[(size_t)who * (size_t)ndays +
				    (size_t)day] += r.rows;
		} else if (strcmp(r.type, "net.flow") == 0) {
			who = smap_get(&emp_by_ip, r.src);
			if (who >= 0 && !emps[who].service)
				bytes[(size_t)who * (size_t)ndays +
				    (size_t)day] += r.bytes;
		}
	}
	free(line);
	fclose(f);
	for (i = 0; i < nemps; i++)
		for (day = 0; day < ndays; day++) {
			k = (size_t)i * (size_t)ndays + (size_t)day;
			if (rows[k] <= rows_lim && bytes[k] <= bytes_lim)
				continue;
			sc = fmax(rows[k] / rows_lim, bytes[k] / bytes_lim);
			add_alert(d, day, i, fmin(100.0, 50.0 * sc), -1);
		}
	free(rows);
	free(bytes);
}

/* ---------------------------------------------------------------------
 * Scoring.
 */

/* The label an alert belongs to, or -1 (a false alert). */
static int
label_of(const struct alert *a, int grace)
{
	int i;

	for (i = 0; i < nlabels; i++)
		if ((a->who == labels[i].who || a->who == labels[i].owner) &&
		    a->day >= labels[i].start &&
		    a->day <= labels[i].end + grace)
			return i;
	return -1;
}

static int
by_day_score(const void *x, const void *y)
{
	const struct alert *a = x, *b = y;

	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

static void
score(struct det *d, int grace, int budget, int by_day)
{
	double *sum;
	size_t i, j;
	int l, r, e, inday = 0, prevday = INT_MIN;

	memset(d->caught, 0, sizeof(d->caught));
	memset(d->budget, 0, sizeof(d->budget));
	for (l = 0; l < nlabels; l++) {
		d->days[l] = -1;
		d->rank[l] = -1;
	}
	d->nfalse = 0;
	if (d->n > 1)
		qsort(d->a, d->n, sizeof(*d->a), by_day_score);
	sum = calloc((size_t)nemps + 1, sizeof(*sum));
	if (sum == NULL)
		die("out of memory");
	for (i = 0; i < d->n; i++) {
		if (d->a[i].day != prevday) {
			prevday = d->a[i].day;
			inday = 0;
		}
		inday++;
		if (d->a[i].day <= by_day)
			sum[d->a[i].who] += d->a[i].score;
		if ((l = label_of(&d->a[i], grace)) < 0) {
			d->nfalse++;
			continue;
		}
		if (!d->caught[l]) {
			/* from the first day the theft could be seen */
			d->caught[l] = 1;
			d->days[l] = d->a[i].day - (labels[l].start > 0 ?
			    labels[l].start : 0);
		}
		if (inday <= budget)
			d->budget[l] = 1;
	}
	for (l = 0; l < nlabels; l++) {
		for (r = 0; r < 2; r++) {
			e = r == 0 ? labels[l].who : labels[l].owner;
			if (e < 0 || sum[e] <= 0.0)
				continue;
			for (j = 0, i = 0; i < (size_t)nemps; i++)
				if (sum[i] > sum[e])
					j++;
			if (d->rank[l] < 0 || (int)j + 1 < d->rank[l])
				d->rank[l] = (int)j + 1;
		}
	}
	free(sum);
}

static void
print_summary(const struct det *d, int budget)
{
	int l, caught = 0, inbudget = 0;

	for (l = 0; l < nlabels; l++) {
		caught += d->caught[l];
		inbudget += d->budget[l];
	}
	printf("summary detector=%s scenarios=%d caught=%d recall=%.3f "
	    "alerts=%zu false_alerts=%zu employee_days=%lld "
	    "false_per_1000=%.3f alerts_per_day=%.3f budget=%d "
	    "recall_at_budget=%.3f\n", d->name, nlabels, caught,
	    nlabels ? (double)caught / nlabels : 0.0, d->n, d->nfalse,
	    empdays, empdays ? (double)d->nfalse * 1000.0 / (double)empdays :
	    0.0, (double)d->n / ndays, budget,
	    nlabels ? (double)inbudget / nlabels : 0.0);
}

/* False alerts per rule, to see where they come from. */
static void
print_false(const struct det *d, int grace)
{
	int *cnt, r, any = 0;
	size_t i;

	cnt = calloc((size_t)nrules + 1, sizeof(*cnt));
	if (cnt == NULL)
		die("out of memory");
	for (i = 0; i < d->n; i++)
		if (d->a[i].rule >= 0 && label_of(&d->a[i], grace) < 0)
			cnt[d->a[i].rule]++;
	printf("false_by_rule detector=%s", d->name);
	for (r = 0; r < nrules; r++)
		if (cnt[r] > 0) {
			printf(" %s=%d", rule_names[r], cnt[r]);
			any = 1;
		}
	printf("%s\n", any ? "" : " none");
	free(cnt);
}

static void
fmt_int(char *buf, size_t len, int v)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%d", v);
}

/* 1 when a did strictly better than b on label l (see the header). */
static int
better(const struct det *a, const struct det *b, int l)
{
	int ad, bd, ar, br;

	if (a->budget[l] != b->budget[l])
		return a->budget[l] > b->budget[l];
	if (a->caught[l] != b->caught[l])
		return a->caught[l] > b->caught[l];
	if (!a->caught[l])
		return 0;
	ad = a->days[l];
	bd = b->days[l];
	if (ad != bd)
		return ad < bd;
	ar = a->rank[l] < 0 ? INT_MAX : a->rank[l];
	br = b->rank[l] < 0 ? INT_MAX : b->rank[l];
	return ar < br;
}

/*
 * The analyst's load in cases: new cases per day over the simulated
 * days (cases_per_day, the named query of collector/schema.c, counts
 * them by their first evidence), the busiest day, and the rate for
 * 10,000 employees. A database without cases is bad input.
 */
static void
print_cases(const char *db_path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st;
	long long total = 0, most = 0, n;
	char err[256];

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK || (st = schema_prepare(db, SQ_CASES_PER_DAY, err,
	    sizeof(err))) == NULL) {
		sqlite3_close(db);
		die("%s: no cases in this database", db_path);
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		n = sqlite3_column_int64(st, 1);
		total += n;
		if (n > most)
			most = n;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	printf("cases detector=leakwatch cases=%lld days=%d employees=%d "
	    "cases_per_day=%.3f cases_per_day_10k=%.2f max_cases_day=%lld\n",
	    total, ndays, nemps, ndays ? (double)total / ndays : 0.0,
	    ndays && nemps ? (double)total / ndays * 10000.0 / nemps : 0.0,
	    most);
}

static void
usage(void)
{
	fprintf(stderr, "usage: lwscore --sim DIR --alerts FILE [--db PATH] "
	    "[--events FILE] [--budget K] [--grace DAYS]\n"
	    "               [--by-day D] [--naive-rows N] [--naive-bytes N] "
	    "[--no-naive]\n"
	    "               [--require-top N] [--max-false N] "
	    "[--max-false-rate R] [--require-caught]\n"
	    "               [--require-beats-naive SCENARIO]...\n");
	exit(2);
}

static long long
num(const char *opt, const char *s)
{
	long long v;

	if (parse_ll(s, -1, LLONG_MAX / 2, &v) != 0)
		die("%s: bad number", opt);
	return v;
}

int
main(int argc, char **argv)
{
	const char *dir = NULL, *alerts = NULL, *events = NULL, *db = NULL;
	const char *beat[16];
	char path[4096], b1[16], b2[16], b3[16], b4[16], b5[16], b6[16];
	struct det lw, nv;
	int i, l, budget = 5, grace = 2, by_day = -1, no_naive = 0;
	int require_top = -1, require_caught = 0, nbeat = 0, failed = 0;
	long long max_false = -1;
	double max_rate = -1, rows_lim = 10000, bytes_lim = 1073741824.0;
	char *end;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--no-naive") == 0) {
			no_naive = 1;
			continue;
		}
		if (strcmp(argv[i], "--require-caught") == 0) {
			require_caught = 1;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--sim") == 0)
			dir = argv[++i];
		else if (strcmp(argv[i], "--alerts") == 0)
			alerts = argv[++i];
		else if (strcmp(argv[i], "--events") == 0)
			events = argv[++i];
		else if (strcmp(argv[i], "--db") == 0)
			db = argv[++i];
		else if (strcmp(argv[i], "--budget") == 0)
			budget = (int)num(argv[i], argv[i + 1]), i++;
		else if (strcmp(argv[i], "--grace") == 0)
			grace = (int)num(argv[i], argv[i + 1]), i++;
		else if (strcmp(argv[i], "--by-day") == 0)
			by_day = (int)num(argv[i], argv[i + 1]), i++;
		else if (strcmp(argv[i], "--naive-rows") == 0)
			rows_lim = (double)num(argv[i], argv[i + 1]), i++;
		else if (strcmp(argv[i], "--naive-bytes") == 0)
			bytes_lim = (double)num(argv[i], argv[i + 1]), i++;
		else if (strcmp(argv[i], "--require-top") == 0)
			require_top = (int)num(argv[i], argv[i + 1]), i++;
		else if (strcmp(argv[i], "--max-false") == 0)
			max_false = num(argv[i], argv[i + 1]), i++;
		else if (strcmp(argv[i], "--max-false-rate") == 0) {
			errno = 0;
			max_rate = strtod(argv[++i], &end);
			if (errno != 0 || *end != '\0' || max_rate < 0)
				die("--max-false-rate: bad number");
		} else if (strcmp(argv[i], "--require-beats-naive") == 0) {
			if (nbeat == 16)
				die("too many --require-beats-naive");
			beat[nbeat++] = argv[++i];
		} else
			usage();
	}
	if (dir == NULL || alerts == NULL || rows_lim <= 0 || bytes_lim <= 0)
		usage();
	read_meta(dir);
	read_directory(dir);
	read_labels(dir);
	if (by_day < 0)
		by_day = ndays - 1;
	memset(&lw, 0, sizeof(lw));
	memset(&nv, 0, sizeof(nv));
	lw.name = "leakwatch";
	nv.name = "naive";
	read_alerts(&lw, alerts);
	score(&lw, grace, budget, by_day);
	if (!no_naive) {
		if (events == NULL) {
			snprintf(path, sizeof(path), "%s/events.jsonl", dir);
			events = path;
		}
		naive(&nv, events, rows_lim, bytes_lim);
		score(&nv, grace, budget, by_day);
	}
	for (l = 0; l < nlabels; l++) {
		fmt_int(b1, sizeof(b1), lw.days[l]);
		fmt_int(b2, sizeof(b2), lw.rank[l]);
		fmt_int(b3, sizeof(b3), nv.days[l]);
		fmt_int(b4, sizeof(b4), nv.rank[l]);
		/* a theft running before the data began starts before 0 */
		snprintf(b5, sizeof(b5), "%d", labels[l].start);
		snprintf(b6, sizeof(b6), "%d", labels[l].end);
		printf("scenario=%s employee=%s start_day=%s end_day=%s "
		    "lw_caught=%d lw_days=%s lw_rank=%s lw_in_budget=%d",
		    labels[l].scenario, emps[labels[l].who].id, b5, b6,
		    lw.caught[l], b1, b2, lw.budget[l]);
		if (!no_naive)
			printf(" naive_caught=%d naive_days=%s naive_rank=%s "
			    "naive_in_budget=%d", nv.caught[l], b3, b4,
			    nv.budget[l]);
		printf("\n");
	}
	print_summary(&lw, budget);
	print_false(&lw, grace);
	if (db != NULL)
		print_cases(db);
	if (!no_naive) {
		printf("naive thresholds rows_per_day=%.0f bytes_out_per_day="
		    "%.0f\n", rows_lim, bytes_lim);
		print_summary(&nv, budget);
	}
	printf("ranked by_day=%d grace_days=%d\n", by_day, grace);
	/* Gates. */
	for (l = 0; l < nlabels; l++) {
		if (require_top >= 0 && labels[l].start <= by_day &&
		    (lw.rank[l] < 0 || lw.rank[l] > require_top)) {
			fmt_int(b1, sizeof(b1), lw.rank[l]);
			printf("gate FAIL: scenario %s (%s) is ranked %s by "
			    "day %d, not in the top %d\n", labels[l].scenario,
			    emps[labels[l].who].id, lw.rank[l] < 0 ? "nowhere"
			    : b1, by_day, require_top);
			failed = 1;
		}
		if (require_caught && !lw.caught[l]) {
			printf("gate FAIL: scenario %s (%s) not caught\n",
			    labels[l].scenario, emps[labels[l].who].id);
			failed = 1;
		}
	}
	if (max_false >= 0 && (long long)lw.nfalse > max_false) {
		printf("gate FAIL: %zu false alerts, at most %lld allowed\n",
		    lw.nfalse, max_false);
		failed = 1;
	}
	if (max_rate >= 0 && empdays > 0 &&
	    (double)lw.nfalse * 1000.0 / (double)empdays > max_rate) {
		printf("gate FAIL: %.3f false alerts per 1,000 employee-days, "
		    "at most %.3f allowed\n", (double)lw.nfalse * 1000.0 /
		    (double)empdays, max_rate);
		failed = 1;
	}
	for (i = 0; i < nbeat; i++) {
		if (no_naive)
			die("--require-beats-naive needs the naive detector");
		for (l = 0; l < nlabels; l++) {
			if (strcmp(labels[l].scenario, beat[i]) != 0)
				continue;
			if (!better(&lw, &nv, l)) {
				printf("gate FAIL: on scenario %s the naive "
				    "detector does as well as leakwatch\n",
				    beat[i]);
				failed = 1;
			}
		}
	}
	printf("gate %s\n", failed ? "FAILED" : "ok");
	free(lw.a);
	free(nv.a);
	for (i = 0; i < nemps; i++)
		free(emps[i].id);
	free(emps);
	smap_free(&emp_by_id);
	smap_free(&emp_by_dbu);
	smap_free(&emp_by_ip);
	smap_free(&emp_by_alias);
	smap_free(&rule_by_name);
	for (i = 0; i < nrules; i++)
		free(rule_names[i]);
	free(rule_names);
	return failed ? 1 : 0;
}
