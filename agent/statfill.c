/*
 * The fill ledger: which statements a log source could not count, so a
 * statistics source of the same agent reports their rows and nothing
 * else (docs/log-sources.md, "Exact rows: log plus pgstat").
 *
 * A PostgreSQL log source knows exactly the rows of most statements
 * (pgaudit's log_rows) but not of a few shapes: COPY of a table, and
 * FETCH from a cursor whose executor total auto_explain did not log. It
 * notes those here by (db_system, user, database, fingerprint), as a
 * number of calls:
 *
 *   need      calls whose rows only the statistics can give
 *   counted   calls whose rows the log reported in another event (a
 *             cursor's FETCHes, counted by its auto_explain total)
 *   pending   calls not decided yet (FETCHes of a cursor still open)
 *
 * pg_stat_statements counts the same calls under the same statement, so
 * source-stat.c takes, for each counter that grew, need calls (reports
 * their rows) and counted calls (drops them); calls the ledger never
 * heard of were counted exactly by the log and are dropped once the log
 * has had time to speak (stat_tab_poll()).
 *
 * One table per agent, like the wire-dedup table in db.c: the agent is
 * single-threaded. Bounded: at the cap a note is dropped and counted;
 * an entry untouched for STATFILL_IDLE_US is forgotten.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "leakwatch/event.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define STATFILL_BUCKETS	4096
#define STATFILL_MAX		65536
#define STATFILL_IDLE_US	(600 * 1000000LL)

struct statfill_ent {
	char			*key;
	uint64_t		 need;
	uint64_t		 counted;
	uint64_t		 pending;
	int64_t			 touched_us;
	struct statfill_ent	*next;
};

static struct statfill_ent	*fill_tab[STATFILL_BUCKETS];
static size_t			 fill_count;
static uint64_t			 fill_dropped;
static char			 fill_systems[64];	/* "postgresql," */

/* A log source of db_system runs in this agent: its gaps can be filled. */
void
statfill_enable(const char *db_system)
{
	size_t n = strlen(fill_systems);

	if (statfill_enabled(db_system))
		return;
	snprintf(fill_systems + n, sizeof(fill_systems) - n, "%s,",
	    db_system);
}

int
statfill_enabled(const char *db_system)
{
	char w[32];

	snprintf(w, sizeof(w), "%s,", db_system);
	return strstr(fill_systems, w) != NULL;
}

/* "postgresql\nuser\ndb\nfingerprint" */
void
statfill_key(const char *db_system, const char *user, const char *db,
    const char *fingerprint, char *key, size_t len)
{
	snprintf(key, len, "%s\n%s\n%s\n%s", db_system, user, db,
	    fingerprint);
}

static struct statfill_ent *
fill_find(const char *key, int create, int64_t now)
{
	struct statfill_ent *e, **pp;
	uint32_t h = crc32c(0, key, strlen(key)) % STATFILL_BUCKETS;

	for (pp = &fill_tab[h]; (e = *pp) != NULL; ) {
		if (strcmp(e->key, key) == 0 &&
		    now - e->touched_us <= STATFILL_IDLE_US)
			return e;
		if (now - e->touched_us > STATFILL_IDLE_US) {
			/* Stale: nobody took it in time, nobody will. */
			*pp = e->next;
			free(e->key);
			free(e);
			fill_count--;
			continue;
		}
		pp = &e->next;
	}
	if (!create)
		return NULL;
	if (fill_count >= STATFILL_MAX) {
		fill_dropped++;
		return NULL;
	}
	e = xcalloc(1, sizeof(*e));
	e->key = xstrdup(key);
	e->touched_us = now;
	e->next = fill_tab[h];
	fill_tab[h] = e;
	fill_count++;
	return e;
}

/*
 * The fingerprint of a db.query event (16 hex digits), whatever way the
 * event holds its fields: read from its compact encoding, where the key
 * with its quotes cannot occur inside a string value (a quote there is
 * escaped). -1 when it has none (an unparsed statement still has one).
 */
int
statfill_fingerprint(const struct lw_event *ev, char *out, size_t len)
{
	static const char key[] = "\"fingerprint\":\"";
	char *enc, *p;
	size_t n, i;
	int rc = -1;

	if (len < 17 || (enc = lw_event_encode(ev, &n)) == NULL)
		return -1;
	if ((p = strstr(enc, key)) != NULL) {
		p += sizeof(key) - 1;
		for (i = 0; i < 16 && isxdigit((unsigned char)p[i]); i++)
			out[i] = p[i];
		if (i == 16 && p[16] == '"') {
			out[16] = '\0';
			rc = 0;
		}
	}
	free(enc);
	return rc;
}

/* The log's word on calls of a statement (enum statfill_op). */
void
statfill_note(const char *key, int op, uint64_t calls, int64_t now)
{
	struct statfill_ent *e;
	uint64_t n;

	if ((e = fill_find(key, 1, now)) == NULL)
		return;
	e->touched_us = now;
	switch (op) {
	case STATFILL_PENDING:
		e->pending += calls;
		break;
	case STATFILL_NEED:
		e->need += calls;
		break;
	case STATFILL_COUNTED:
		e->counted += calls;
		break;
	case STATFILL_PENDING_NEED:
	case STATFILL_PENDING_COUNTED:
		n = calls < e->pending ? calls : e->pending;
		e->pending -= n;
		if (op == STATFILL_PENDING_NEED)
			e->need += calls;
		else
			e->counted += calls;
		break;
	default:
		break;
	}
}

/* What the log said of key, not yet taken: zeros when nothing. */
void
statfill_get(const char *key, int64_t now, struct statfill_verdict *v)
{
	struct statfill_ent *e;

	memset(v, 0, sizeof(*v));
	if ((e = fill_find(key, 0, now)) == NULL)
		return;
	v->need = e->need;
	v->counted = e->counted;
	v->pending = e->pending;
}

/* A statistics source used need and counted calls of key. */
void
statfill_take(const char *key, uint64_t need, uint64_t counted, int64_t now)
{
	struct statfill_ent *e;

	if ((e = fill_find(key, 0, now)) == NULL)
		return;
	e->need -= need < e->need ? need : e->need;
	e->counted -= counted < e->counted ? counted : e->counted;
	e->touched_us = now;
}

uint64_t
statfill_dropped(void)
{
	return fill_dropped;
}

/* Forgets everything (tests; an agent never needs it). */
void
statfill_reset(void)
{
	struct statfill_ent *e, *next;
	size_t i;

	for (i = 0; i < STATFILL_BUCKETS; i++) {
		for (e = fill_tab[i]; e != NULL; e = next) {
			next = e->next;
			free(e->key);
			free(e);
		}
		fill_tab[i] = NULL;
	}
	fill_count = 0;
	fill_dropped = 0;
	fill_systems[0] = '\0';
}
