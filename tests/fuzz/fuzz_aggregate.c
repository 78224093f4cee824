/*
 * libFuzzer target for the folding of statements (agent/aggregate.c),
 * through db_query_report() as the db sources call it. The input is a
 * stream of statements, each a 4-byte header - session (low 3 bits) and
 * flags (error 0x08, partial 0x10, a second error code 0x20, a session's
 * end 0x40, a clock tick 0x80), a time step in 10 ms units, a row count
 * byte (255: a huge count) - and a statement text up to a NUL. The table
 * is small (8 keys) and the window 1 s, so evictions, window ends and
 * session ends all happen. Beyond "no crash, no leak, bounded memory" it
 * checks the property aggregation promises: every statement offered comes
 * out exactly once - the sum of `count` (absent: 1) over the events equals
 * the statements - and the rows add up, and every event is one the schema
 * accepts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../agent/agent.h"
#include "leakwatch/event.h"
#include "leakwatch/event-schema.h"

#define FZ_KEYS		8
#define FZ_HUGE		(1ULL << 60)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint64_t	 out_count, out_rows;
static int	 saturated;

/* Every event, alone or flushed: what it stands for is added up. */
static void
take(struct lw_event *ev)
{
	json_t *o, *c, *r;
	char *s;
	size_t len;

	if ((s = lw_event_encode(ev, &len)) == NULL)
		abort();
	lw_event_free(ev);
	if ((o = json_loadb(s, len, 0, NULL)) == NULL)
		abort();
	free(s);
	c = json_object_get(o, "count");
	r = json_object_get(o, "rows_returned");
	if (c != NULL && (!json_is_integer(c) || json_integer_value(c) < 2))
		abort();
	if (!json_is_integer(r))
		abort();
	out_count += c != NULL ? (uint64_t)json_integer_value(c) : 1;
	if ((uint64_t)json_integer_value(r) == EVENT_UINT_MAX)
		saturated = 1;
	out_rows += (uint64_t)json_integer_value(r);
	json_decref(o);
}

static void
on_flush(void *arg, const struct db_qfields *f)
{
	struct lw_event *ev;
	char err[256];

	(void)arg;
	if ((ev = db_query_build(f, err, sizeof(err))) == NULL)
		abort();
	take(ev);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_config cfg;
	struct db_session_info info[8];
	struct db_query q;
	struct lw_event *ev;
	struct agg *a;
	struct agg_stats st;
	const uint8_t *p = data, *end = data + size, *nul;
	uint64_t in_count = 0, in_rows = 0, ne = 0;
	int64_t ts = 1000000000LL * 1000000;
	char err[256];
	int i;

	memset(&cfg, 0, sizeof(cfg));
	agent_config_defaults(&cfg);
	cfg.aggregate_interval = 1000;
	memset(info, 0, sizeof(info));
	for (i = 0; i < 8; i++) {
		info[i].db_system = (i & 1) ? "mysql" : "postgresql";
		snprintf(info[i].server, sizeof(info[i].server),
		    "10.0.0.1:5432");
		snprintf(info[i].client, sizeof(info[i].client),
		    "10.0.0.2:%d", 40000 + i);
		snprintf(info[i].session_id, sizeof(info[i].session_id),
		    "%d", i);
		snprintf(info[i].db_user, sizeof(info[i].db_user), "u%d",
		    i % 3);
	}
	out_count = out_rows = 0;
	saturated = 0;
	if ((a = agg_new(&cfg, FZ_KEYS, on_flush, NULL)) == NULL)
		abort();
	while (end - p >= 4) {
		uint8_t h = p[0], step = p[1], rows = p[2];

		p += 4;
		nul = memchr(p, '\0', (size_t)(end - p));
		memset(&q, 0, sizeof(q));
		q.sql = (const char *)p;
		q.sql_len = nul != NULL ? (size_t)(nul - p) : (size_t)(end - p);
		p += q.sql_len + (nul != NULL);
		ts += (int64_t)step * 10000;
		q.start_us = ts - step;
		q.end_us = ts;
		q.rows_returned = rows == 255 ? FZ_HUGE : rows;
		q.bytes = rows;
		q.error = (h & 0x08) != 0;
		if (q.error)
			snprintf(q.error_code, sizeof(q.error_code), "%s",
			    (h & 0x20) ? "57014" : "42501");
		q.partial = (h & 0x10) != 0;
		if (db_query_report(&cfg, &info[h & 7], &q, "wire", a, &ne,
		    &ev, err, sizeof(err)) != 0)
			abort();
		in_count++;
		in_rows += q.rows_returned > EVENT_UINT_MAX ? EVENT_UINT_MAX :
		    q.rows_returned;
		if (ev != NULL)
			take(ev);
		if (h & 0x40)
			agg_session_end(a, info[h & 7].db_system,
			    info[h & 7].server, info[h & 7].client,
			    info[h & 7].session_id);
		if (h & 0x80)
			agg_clock(a, ts + 1000000);
		agg_stats(a, &st);
		if (st.keys > FZ_KEYS || st.bytes > AGG_MEMORY_MAX)
			abort();
	}
	agg_free(a);
	if (out_count != in_count)
		abort();
	if (!saturated && out_rows != in_rows)
		abort();
	return 0;
}
