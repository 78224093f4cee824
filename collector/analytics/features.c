/*
 * Features: what one stored event adds to its employee's open hour and
 * day buckets. db.query gives rows read (split by sensitivity class, with
 * the read-like rules of docs/events.md), queries, distinct tables and
 * result bytes, and marks sensitive tables read for the first time;
 * net.flow gives bytes out per exfiltration category (summing deltas, so a
 * long upload reported many times counts once), the part of it that goes
 * to destinations few of the peer group use (out.rare), and marks
 * destinations - by registrable domain - first contacted with more than
 * a byte floor.
 * Activity in hours the employee does not usually work is counted again
 * as off-hours. The baselines and detectors read these buckets when they
 * close; nothing here compares or scores.
 */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics.h"
#include "leakwatch/event.h"
#include "leakwatch/event-view.h"
#include "leakwatch/hash.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define TABLES_MAX	256	/* the schema's bound on `tables` (event.c) */

#define RL_RETURNED	0x1
#define RL_AFFECTED	0x2
#define FLOWS_MAX	200000	/* flows tracked without deltas */
#define DESTS_MAX	4096	/* destinations per employee and day */

static const char *const base_names[FT_CLASS0] = {
	"rows", "rows.sensitive", "queries", "tables", "result_bytes",
	"out.cloud_storage", "out.webmail", "out.file_transfer",
	"out.unknown_encrypted", "out.exfil", "offhours.rows",
	"offhours.out", "out.rare"
};

static const char *const exfil_cats[4] = {
	"cloud_storage", "webmail", "file_transfer", "unknown_encrypted"
};

const char *
feature_name(const struct analytics *an, int f, char *buf, size_t len)
{
	if (f >= 0 && f < FT_CLASS0)
		return base_names[f];
	if (f >= FT_CLASS0 && f < FT_MAX && an != NULL &&
	    sensitivity_class_name(an->sens, f - FT_CLASS0) != NULL) {
		snprintf(buf, len, "rows.%s",
		    sensitivity_class_name(an->sens, f - FT_CLASS0));
		return buf;
	}
	return NULL;
}

/*
 * Absolute minimums, by what a feature counts: below MK_SPIKE a day is
 * never called a spike; MK_STREAK is the excess over the reference that
 * makes a day elevated (streaks, and a day above the peers' 95th
 * percentile, standing.c); MK_DRIFT the excess over typical that may
 * feed the drift statistic.
 */
double
feature_min(int f, enum min_kind k)
{
	static const double queries[] = { 500, 100, 50 };
	static const double tables[] = { 20, 5, 5 };
	static const double bytes[] = { 100e6, 50e6, 20e6 };
	static const double rows[] = { 500, 250, 100 };

	switch (f) {
	case FT_QUERIES:
		return queries[k];
	case FT_TABLES:
		return tables[k];
	case FT_RESULT_BYTES:
	case FT_OUT_CLOUD:
	case FT_OUT_WEBMAIL:
	case FT_OUT_FILE_TRANSFER:
	case FT_OUT_UNKNOWN:
	case FT_OUT_EXFIL:
	case FT_OFFHOURS_OUT:
	case FT_OUT_RARE:
		return bytes[k];
	default:
		return rows[k];
	}
}

/* A feature by name, -1 if there is none (an unknown class included). */
int
feature_lookup(const struct sensitivity *s, const char *name)
{
	int i;

	for (i = 0; i < FT_CLASS0; i++)
		if (strcmp(base_names[i], name) == 0)
			return i;
	if (strncmp(name, "rows.", 5) == 0 &&
	    (i = sensitivity_lookup(s, name + 5)) >= 0)
		return FT_CLASS0 + i;
	return -1;
}

/*
 * Which row counts of a statement are reads (docs/events.md, "Rows").
 * An `<unparsed>` statement counts as a read: the reader fails closed.
 */
int
features_read_like(const char *cmd, const char *stmt)
{
	int unparsed = stmt == NULL || strcmp(stmt, "<unparsed>") == 0;

	if (cmd == NULL)
		return 0;
	if (strcasecmp(cmd, "SELECT") == 0 || strcasecmp(cmd, "WITH") == 0 ||
	    strcasecmp(cmd, "TABLE") == 0 || strcasecmp(cmd, "VALUES") == 0 ||
	    strcasecmp(cmd, "FETCH") == 0 || strcasecmp(cmd, "HANDLER") == 0)
		return RL_RETURNED | RL_AFFECTED;
	if (strcasecmp(cmd, "CREATE") == 0)
		return (unparsed || strcasestr(stmt, " AS ") != NULL) ?
		    RL_AFFECTED : 0;
	if (strcasecmp(cmd, "INSERT") == 0)
		return RL_RETURNED | ((unparsed ||
		    strcasestr(stmt, "SELECT") != NULL) ? RL_AFFECTED : 0);
	if (strcasecmp(cmd, "COPY") == 0)
		return (unparsed || strcasestr(stmt, " TO ") != NULL) ?
		    RL_RETURNED | RL_AFFECTED : 0;
	if (strcasecmp(cmd, "UPDATE") == 0 || strcasecmp(cmd, "DELETE") == 0 ||
	    strcasecmp(cmd, "MERGE") == 0)
		return RL_RETURNED;
	return 0;
}

/*
 * The registrable domain of a host name, lower case: the last two labels,
 * or three under the common second-level registries of country domains
 * (co.uk, com.au, co.id, co.jp, com.my, ...). Not the Public Suffix List,
 * but right for the destinations an exfiltration uses. An address is
 * returned as it is.
 */
void
features_registrable(const char *host, char *out, size_t len)
{
	static const char *const sld[] = {
		"co", "com", "net", "org", "gov", "ac", "edu", "or", "ne",
		"go", "gob", "mil", "web", "my", "biz", NULL
	};
	const char *p;
	char buf[256];
	size_t n, i;
	int keep;

	n = strlen(host);
	while (n > 0 && host[n - 1] == '.')
		n--;
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	for (i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)host[i]);
	buf[n] = '\0';
	if (strspn(buf, "0123456789.") == n || strchr(buf, ':') != NULL) {
		snprintf(out, len, "%s", buf);
		return;
	}
	/* the last three dots, from the right */
	{
		const char *d[3] = { NULL, NULL, NULL };
		int nd = 0;

		for (p = buf + n - 1; p >= buf && nd < 3; p--)
			if (*p == '.')
				d[nd++] = p;	/* d[0] is the last dot */
		keep = 2;
		if (nd >= 2 && strlen(d[0] + 1) == 2) {
			size_t sl = (size_t)(d[0] - d[1] - 1);

			for (i = 0; sld[i] != NULL; i++)
				if (strlen(sld[i]) == sl &&
				    memcmp(d[1] + 1, sld[i], sl) == 0)
					keep = 3;
		}
		if (nd < keep)
			snprintf(out, len, "%s", buf);
		else
			snprintf(out, len, "%s", d[keep - 1] + 1);
	}
}

static const char *
jstr(const struct lw_event *ev, const char *k)
{
	return lw_event_str(ev, k);
}

static double
jnum(const struct lw_event *ev, const char *k, int *present)
{
	double v = 0;
	int got = lw_event_num(ev, k, &v);

	if (present != NULL)
		*present = got;
	return got ? v : 0;
}

static uint32_t
hash32(const char *s)
{
	return hash_fnv1a(s) | 1;	/* 0 never occurs: it means "empty" */
}

static int
set_add(uint32_t *set, int *n, int cap, uint32_t h)
{
	int i;

	for (i = 0; i < *n; i++)
		if (set[i] == h)
			return 0;
	if (*n == cap)
		return 0;	/* saturates: documented */
	set[(*n)++] = h;
	return 1;
}

static void
name_keep(char **names, int *n, const char *name)
{
	if (*n < NAMES_KEPT)
		names[*n] = xstrdup(name);
	(*n)++;
}

/* How many of the group pg (none: NULL) have met the name key so far. */
static intptr_t
peers_met(struct peer *pg, const char *key)
{
	return pg != NULL ? (intptr_t)hmap_get(pg->tables, key) : 0;
}

/* The count under which a name is "few" of group pg: one in `part` of
 * its members, and never under two. */
static int
peers_few(const struct peer *pg, int part)
{
	int lim = pg != NULL ? pg->members / part : 0;

	return lim < 2 ? 2 : lim;
}

/*
 * Is this a name few of the employee's peers have met (so far)? A table
 * the whole team reads for the first time (a migration) is not a signal;
 * the count includes this reader from now on. The day close asks again
 * (detect_peer_unusual()) when the whole day's readers are known.
 */
static int
unusual_for_peers(struct peer *pg, const char *key)
{
	intptr_t c = peers_met(pg, key);

	if (pg != NULL)
		hmap_put(pg->tables, key, (void *)(c + 1));
	return c < peers_few(pg, 4);
}

/*
 * Destinations: how many of the group have sent exfil-category bytes to
 * this one (e among them once it has). Fewer than a tenth of the group,
 * and at most one other, is rare: a team's tool (the agency's transfer
 * site, the team's cloud drive) is used by more than that within days.
 */
static int
dest_rare(struct peer *pg, const char *key)
{
	return peers_met(pg, key) - 1 < peers_few(pg, 10);
}

/*
 * Half the group or more sends there: the company's drive, the team's
 * tool - sanctioned by use, not by a list. Personal webmail, used by a
 * tenth of a department, is not. Until the group has about a week of
 * its members' days (half of them on baseline-min-days days), and in a
 * group too small for "half" to mean anything, every place counts as
 * shared: on the first days the company's drive is not known as such.
 */
static int
dest_shared(const struct analytics *an, struct peer *pg, const char *key)
{
	if (pg == NULL || pg->members < 4 ||
	    pg->act_days < an->p.min_days * pg->members / 2.0)
		return 1;
	return 2 * peers_met(pg, key) >= pg->members;
}

static void
add(struct entity *e, int f, double v)
{
	e->hv[f] += v;
	e->dv[f] += v;
}

/*
 * How many statements a db.query stands for: its `count`, 1 when absent
 * (the schema refuses 0).
 */
double
features_count(const struct lw_event *ev)
{
	double n;

	return lw_event_num(ev, "count", &n) && n >= 1 ? n : 1;
}

/*
 * The most rows one statement of the event read. A single statement:
 * all it read. An aggregate whose reads are all returned rows: its
 * `max_rows` (the largest result one statement returned), never more
 * than the total. Otherwise - reads counted by rows_affected (INSERT ...
 * SELECT), or no `max_rows` - the average, rounded up, or `max_rows`
 * when that is more. The agent sends any statement over its
 * aggregate-max-rows on its own, so an aggregate's figure stays under it.
 */
double
features_max_rows(const struct lw_event *ev, double rows_read)
{
	double n = features_count(ev), m = 0, aff = 0, avg;
	int rl, has_m;

	if (n <= 1)
		return rows_read;
	rl = features_read_like(lw_event_str(ev, "command"),
	    lw_event_str(ev, "statement"));
	has_m = (rl & RL_RETURNED) && lw_event_num(ev, "max_rows", &m);
	if (m > rows_read)
		m = rows_read;
	lw_event_num(ev, "rows_affected", &aff);
	if (has_m && (!(rl & RL_AFFECTED) || aff == 0))
		return m;
	avg = ceil(rows_read / n);
	return has_m && m > avg ? m : avg;
}

/* The 30-day rows of tabring t, with today's. */
static double
table_total(const struct entity *e, int t)
{
	double sum = e->tdv[t];
	int d;

	for (d = 0; d < CUM_DAYS; d++)
		sum += e->s.tab[t].ring[d];
	return sum;
}

/*
 * Adds rows read of the sensitive table of hash h to today's count of
 * its tabring: a table not yet tracked takes a free one, else the one
 * with the fewest rows in 30 days (its history is dropped). A table
 * named twice in one statement is counted once (lw_event_list() gives
 * the names as written; a self-join is rare and its rows are the
 * statement's either way).
 */
static void
table_rows(struct entity *e, uint32_t h, double rows)
{
	int t, low = 0;
	double lt = -1, v;

	for (t = 0; t < TOP_TABLES; t++)
		if (e->s.tab[t].hash == h) {
			e->tdv[t] += rows;
			return;
		}
	for (t = 0; t < TOP_TABLES; t++) {
		if (e->s.tab[t].hash == 0) {
			low = t;
			break;
		}
		v = table_total(e, t);
		if (lt < 0 || v < lt) {
			lt = v;
			low = t;
		}
	}
	memset(&e->s.tab[low], 0, sizeof(e->s.tab[low]));
	e->s.tab[low].hash = h;
	e->tdv[low] = rows;
}

static void
query_features(struct analytics *an, struct evctx *c)
{
	struct entity *e = c->ent;
	const struct lw_event *ev = c->ev;
	const char *tables[TABLES_MAX], *name, *fp;
	char key[300];
	double ret, aff;
	int rl, cls, seen_cls[SENS_MAX_CLASSES], f, mature;
	size_t i, ntables;
	uint32_t h;

	memset(seen_cls, 0, sizeof(seen_cls));
	ret = jnum(ev, "rows_returned", &f);
	if (!f)
		ret = jnum(ev, "rows", NULL);
	aff = jnum(ev, "rows_affected", NULL);
	rl = features_read_like(jstr(ev, "command"), jstr(ev, "statement"));
	c->rows_read = ((rl & RL_RETURNED) ? ret : 0) +
	    ((rl & RL_AFFECTED) ? aff : 0);
	/*
	 * An event may stand for `count` statements an agent folded
	 * together (docs/events.md); its rows and bytes are already their
	 * totals, so only the number of queries needs it.
	 */
	add(e, FT_QUERIES, features_count(ev));
	add(e, FT_RESULT_BYTES, jnum(ev, "bytes", NULL));
	add(e, FT_ROWS, c->rows_read);
	mature = e->s.act_days >= (double)an->p.min_days;
	ntables = lw_event_list(ev, "tables", tables, TABLES_MAX);
	for (i = 0; i < ntables; i++) {
		name = tables[i];
		h = hash32(name);	/* once: three uses on a hot path */
		set_add(e->htab, &e->nhtab, 64, h);
		set_add(e->dtab, &e->ndtab, 256, h);
		if ((cls = sensitivity_class(an->sens, name)) < 0)
			continue;
		table_rows(e, h, c->rows_read);
		if (!seen_cls[cls]) {
			seen_cls[cls] = 1;
			c->rows_class[cls] = c->rows_read;
			add(e, FT_CLASS0 + cls, c->rows_read);
			if (c->first_class == NULL)
				c->first_class =
				    sensitivity_class_name(an->sens, cls);
		}
		snprintf(key, sizeof(key), "t:%s", name);
		if (hmap_get(e->seen, key) == NULL) {
			hmap_put(e->seen, key, (void *)1);
			entity_seen_add(an, e, key, ev->ts_us);
			if (unusual_for_peers(peer_get(an, e->group),
			    key) && mature)
				c->first_table = 1;
			if (mature)
				name_keep(e->new_tables, &e->n_new_tables,
				    name);
			else
				name_keep(e->young_tables,
				    &e->n_young_tables, name);
		}
	}
	e->hv[FT_TABLES] = e->nhtab;
	e->dv[FT_TABLES] = e->ndtab;
	if (c->first_class != NULL) {
		c->rows_sensitive = c->rows_read;
		add(e, FT_ROWS_SENSITIVE, c->rows_read);
		if (c->offhours)
			add(e, FT_OFFHOURS_ROWS, c->rows_read);
		if ((fp = jstr(ev, "fingerprint")) != NULL &&
		    c->rows_read > 0) {
			int k;

			for (k = 0; k < e->nfps; k++)
				if (strcmp(e->fps[k], fp) == 0)
					break;
			if (k == e->nfps && e->nfps < NAMES_KEPT)
				snprintf(e->fps[e->nfps++], sizeof(e->fps[0]),
				    "%s", fp);
		}
	}
}

struct dest {
	double	 bytes;
	int	 new_today;
	int	 reported;
};

static void
dest_free(void *v)
{
	free(v);
}

static void
flow_features(struct analytics *an, struct evctx *c)
{
	struct entity *e = c->ent;
	const struct lw_event *ev = c->ev;
	const char *cat = jstr(ev, "category"), *sn, *fid, *scope;
	char dom[256], key[300], fkey[200];
	double out, prev, total, *pp;
	struct dest *d;
	struct peer *pg;
	int has_delta, i, k = -1, final;

	scope = jstr(ev, "scope");
	if (scope != NULL && (strcmp(scope, "internal") == 0))
		return;
	out = jnum(ev, "delta_bytes_out", &has_delta);
	if (!has_delta) {
		/*
		 * Totals only: the difference with the previous record of
		 * the flow. A flow not tracked (table full) counts nothing
		 * until its final record, which then counts its total.
		 */
		fid = jstr(ev, "flow_id");
		snprintf(fkey, sizeof(fkey), "%s/%s", jstr(ev, "agent") ?
		    jstr(ev, "agent") : "", fid ? fid : "");
		total = jnum(ev, "bytes_out", NULL);
		final = lw_event_true(ev, "final");
		pp = hmap_get(an->flows, fkey);
		prev = pp != NULL ? *pp : 0;
		out = total >= prev ? total - prev : total;
		if (final) {
			if (pp != NULL)
				*pp = 0;
		} else if (pp != NULL)
			*pp = total;
		else if (hmap_count(an->flows) < FLOWS_MAX) {
			pp = xmalloc(sizeof(*pp));
			*pp = total;
			hmap_put(an->flows, fkey, pp);
		} else
			out = 0;
	}
	c->out_bytes = out;
	for (i = 0; cat != NULL && i < 4; i++)
		if (strcmp(cat, exfil_cats[i]) == 0)
			k = i;
	if (k < 0 || out <= 0)
		return;
	c->exfil = 1;
	add(e, FT_OUT_CLOUD + k, out);
	add(e, FT_OUT_EXFIL, out);
	if (c->offhours)
		add(e, FT_OFFHOURS_OUT, out);
	sn = jstr(ev, "server_name");
	features_registrable(sn != NULL && *sn != '\0' ? sn :
	    jstr(ev, "dst"), dom, sizeof(dom));
	if (e->dest_bytes == NULL)
		e->dest_bytes = hmap_new();
	snprintf(key, sizeof(key), "d:%s", dom);
	pg = peer_get(an, e->group);
	c->shared = dest_shared(an, pg, key);
	if ((d = hmap_get(e->dest_bytes, dom)) == NULL) {
		if (hmap_count(e->dest_bytes) >= DESTS_MAX)
			return;
		d = xcalloc(1, sizeof(*d));
		if (hmap_get(e->seen, key) == NULL) {
			/*
			 * The group's count of users of a destination grows
			 * at each member's first contact (as an_seen holds
			 * it after a restart), whatever the size.
			 */
			d->new_today = 1;
			hmap_put(e->seen, key, (void *)1);
			entity_seen_add(an, e, key, ev->ts_us);
			unusual_for_peers(pg, key);
		}
		hmap_put(e->dest_bytes, dom, d);
	}
	d->bytes += out;
	if ((c->rare = dest_rare(pg, key)) != 0)
		add(e, FT_OUT_RARE, out);
	if (d->new_today && !d->reported &&
	    d->bytes >= (double)an->p.first_seen_bytes &&
	    e->s.act_days >= (double)an->p.min_days) {
		d->reported = 1;
		if (dest_rare(pg, key))
			c->first_dest = 1;
		name_keep(e->new_dests, &e->n_new_dests, dom);
	}
}

/*
 * Today's rows per tracked table into their 30-day rings (0 for the
 * days without activity since the last close), as detect.c's day_ring()
 * does for the features; before e->s.last_day moves to day.
 */
void
features_day_tables(struct entity *e, int64_t day)
{
	int64_t d;
	int t;

	for (t = 0; t < TOP_TABLES; t++) {
		if (e->s.last_day >= 0)
			for (d = e->s.last_day + 1; d < day &&
			    d < e->s.last_day + 1 + CUM_DAYS; d++)
				e->s.tab[t].ring[d % CUM_DAYS] = 0;
		e->s.tab[t].ring[day % CUM_DAYS] = (float)e->tdv[t];
		e->tdv[t] = 0;
	}
}

/* Forgets the per-day parts of an entity after its day closed. */
void
features_day_reset(struct entity *e)
{
	int i;

	for (i = 0; i < NAMES_KEPT; i++) {
		free(e->new_tables[i]);
		free(e->young_tables[i]);
		free(e->new_dests[i]);
		free(e->new_hosts[i]);
		e->new_tables[i] = e->new_dests[i] = e->new_hosts[i] = NULL;
		e->young_tables[i] = NULL;
	}
	e->n_new_tables = e->n_new_dests = e->n_new_hosts = 0;
	e->n_young_tables = 0;
	e->cohort_table = NULL;	/* it named one of them */
	e->unusual_tables = e->unusual_dests = 0;
	hmap_free(e->dest_bytes, dest_free);
	e->dest_bytes = NULL;
	memset(e->dv, 0, sizeof(e->dv));
	e->ndtab = 0;
	e->nfps = 0;
	e->active_day = 0;
	e->alerted_day = 0;
}

/*
 * Is hour h usual for this employee? From their own profile once it has
 * a week of days, else from their peer group's, else yes (no evidence).
 */
static int
usual_hour(struct analytics *an, struct entity *e, int h)
{
	struct peer *pg;

	if (e->s.act_days >= 5)
		return e->s.act[h] / e->s.act_days >= 0.1;
	pg = peer_get(an, e->group);
	if (pg != NULL && pg->act_days >= 5)
		return pg->act[h] >= 0.1;
	return 1;
}

/*
 * A service account is scored on its hosts too: the client addresses it
 * connects from are remembered ("h:ADDRESS"), and a new one after its
 * first baseline-min-days is first-seen. (People move between desks and
 * DHCP addresses; for them this would be noise.)
 */
static void
host_feature(struct analytics *an, struct evctx *c)
{
	struct entity *e = c->ent;
	const char *client = jstr(c->ev, "client");
	char host[64], port[16], key[80];

	if (!e->service || client == NULL || hostport_split(client, host,
	    sizeof(host), port, sizeof(port)) != 0)
		return;
	snprintf(key, sizeof(key), "h:%s", host);
	if (hmap_get(e->seen, key) != NULL)
		return;
	hmap_put(e->seen, key, (void *)1);
	entity_seen_add(an, e, key, c->ev->ts_us);
	if (e->s.act_days >= (double)an->p.min_days) {
		c->first_host = 1;
		name_keep(e->new_hosts, &e->n_new_hosts, host);
	}
}

/* Adds the event's features. 0 when it counted, -1 when ignored. */
int
features_event(struct analytics *an, struct evctx *c)
{
	struct entity *e = c->ent;

	c->offhours = !usual_hour(an, e, c->hour);
	switch (c->ev->type) {
	case EVENT_DB_QUERY:
		query_features(an, c);
		host_feature(an, c);
		break;
	case EVENT_NET_FLOW:
		flow_features(an, c);
		break;
	case EVENT_DB_SESSION:
		break;
	default:
		return -1;
	}
	e->active_hour = e->active_day = 1;
	return 0;
}
