/*
 * Unit tests for the log source's dedup timing (agent/source-log.c): a
 * followed log record is held for the wire before it is judged, so a
 * record read before the capture has handed its session's packets to the
 * decoders is still recognised as the wire's, and a record the wire never
 * saw is emitted once its hold is over. A real event loop, a real file
 * followed like `tail -F`, the real jsonlog format with pgaudit records,
 * and a wire decoder table alive in the agent (db_new()).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "harness.h"

#include "leakwatch/event.h"
#include "leakwatch/util.h"

#include "../../agent/agent.h"

/* A pgaudit SELECT of alice's session from 127.0.0.1:50892 (a real
 * PostgreSQL 15 jsonlog record, tests/data/dblog/pg.json), then another
 * record so that the first one is complete as soon as it is read. */
static const char log_text[] =
    "{\"timestamp\":\"2026-11-30 15:53:17.226 UTC\",\"user\":\"alice\","
    "\"dbname\":\"crm\",\"pid\":17955,\"remote_host\":\"127.0.0.1\","
    "\"remote_port\":50892,\"session_id\":\"6b0d9bed.4623\",\"line_num\":1,"
    "\"ps\":\"SELECT\",\"session_start\":\"2026-11-30 15:53:17 UTC\","
    "\"vxid\":\"3/6\",\"txid\":0,\"error_severity\":\"LOG\",\"message\":"
    "\"AUDIT: SESSION,1,1,READ,SELECT,,,SELECT * FROM crm.customers,"
    "<not logged>,3000\",\"application_name\":\"psql\",\"backend_type\":"
    "\"client backend\",\"query_id\":6182696877946248039}\n"
    "{\"timestamp\":\"2026-11-30 15:53:17.430 UTC\",\"pid\":17363,"
    "\"session_id\":\"6b0d9be7.43d3\",\"line_num\":4,\"session_start\":"
    "\"2026-11-30 15:53:11 UTC\",\"txid\":0,\"error_severity\":\"LOG\","
    "\"message\":\"database system is ready to accept connections\","
    "\"backend_type\":\"postmaster\",\"query_id\":0}\n";
#define LOG_TS_US	1796053997226000LL	/* the SELECT's time */

struct run {
	int64_t		 start_ms;
	int		 queries;	/* db.query events emitted */
	int64_t		 first_ms;	/* after start, of the first */
};

static int
sink_emit(void *arg, struct lw_event *ev, uint32_t src_id, uint64_t pos)
{
	struct run *r = arg;

	(void)src_id;
	(void)pos;
	if (ev->type == EVENT_DB_QUERY && r->queries++ == 0)
		r->first_ms = mono_ms() - r->start_ms;
	lw_event_free(ev);
	return 0;
}

static int
sink_full(void *arg)
{
	(void)arg;
	return 0;
}

static void
db_drop(void *arg, struct lw_event *ev)
{
	(void)arg;
	lw_event_free(ev);
}

/* The wire decodes alice's session now. */
static void
wire_cb(evutil_socket_t fd, short what, void *arg)
{
	struct db_session_info info;

	(void)fd;
	(void)what;
	(void)arg;
	memset(&info, 0, sizeof(info));
	info.db_system = "postgresql";
	snprintf(info.client, sizeof(info.client), "127.0.0.1:50892");
	db_wire_note(&info, LOG_TS_US);
}

/*
 * Follows a new log holding log_text for `ms` of loop time, with a wire
 * decoder table alive in the agent or not; with wire_at_ms >= 0 the wire
 * notes alice's session that long after start.
 */
static void
follow_log(int wire_table, int wire_at_ms, int ms, struct run *r)
{
	struct agent_config cfg;
	struct event_base *base;
	struct source_log *s;
	struct db_table *t = NULL;
	struct event *wire_ev;
	struct sink sink;
	struct timeval tv;
	char path[PATH_MAX], spec[PATH_MAX + 16], err[256];
	FILE *f;

	memset(r, 0, sizeof(*r));
	r->first_ms = -1;
	snprintf(path, sizeof(path), "%s/pg.json", harness_tmpdir());
	REQUIRE((f = fopen(path, "w")) != NULL);
	fputs(log_text, f);
	fclose(f);
	memset(&cfg, 0, sizeof(cfg));	/* the defaults set only some fields */
	agent_config_defaults(&cfg);
	REQUIRE((base = event_base_new()) != NULL);
	if (wire_table)
		REQUIRE((t = db_new(&cfg, db_drop, NULL, err,
		    sizeof(err))) != NULL);
	sink.emit = sink_emit;
	sink.full = sink_full;
	sink.arg = r;
	snprintf(spec, sizeof(spec), "pgjson:%s", path);
	s = source_log_new(base, spec, &cfg, 1, &sink, 0, 1, err,
	    sizeof(err));
	REQUIRE(s != NULL);
	wire_ev = evtimer_new(base, wire_cb, NULL);
	if (wire_at_ms >= 0) {
		tv.tv_sec = 0;
		tv.tv_usec = wire_at_ms * 1000;
		evtimer_add(wire_ev, &tv);
	}
	r->start_ms = mono_ms();
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	event_free(wire_ev);
	source_log_free(s);
	db_free(t);
	event_base_free(base);
}

/* Nobody decoded the session: the record goes out, after its hold. */
static void
test_unseen_after_hold(void)
{
	struct run r;

	follow_log(1, -1, 1500, &r);
	CHECK_INT(r.queries, 1);
	CHECK(r.first_ms >= 150);
}

/*
 * The wire decodes the session 60 ms after the record was read: the
 * record is still judged the wire's. Without the hold it went out when
 * read, and the statement was counted twice.
 */
static void
test_wire_late_still_deduped(void)
{
	struct run r;

	follow_log(1, 60, 1500, &r);
	CHECK_INT(r.queries, 0);
}

/* Without a wire source in the agent nothing waits. */
static void
test_no_wire_no_hold(void)
{
	struct run r;

	follow_log(0, -1, 1500, &r);
	CHECK_INT(r.queries, 1);
	CHECK(r.first_ms >= 0 && r.first_ms < 150);
}

/* In this order: the wire's note of alice's session outlives a test. */
static const struct test tests[] = {
	{ "no_wire_no_hold", test_no_wire_no_hold },
	{ "unseen_after_hold", test_unseen_after_hold },
	{ "wire_late_still_deduped", test_wire_late_still_deduped },
};

HARNESS_MAIN(tests)
