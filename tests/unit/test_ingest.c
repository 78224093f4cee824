/*
 * Tests of collector/ingest.c, the collector's per-frame rules, on plain
 * buffers: who is let in (certificate CN, secret, insecure), that the
 * stored `agent` is the authenticated one, duplicate and gap handling,
 * and that a bad event costs only itself.
 */
#include <sqlite3.h>

#include "harness.h"
#include "../../collector/collector.h"
#include "leakwatch/proto.h"
#include "leakwatch/util.h"

#define INST	"0123456789abcdef0123456789abcdef"
#define SECRET	"correct horse battery staple"

static char dbpath[512];
static struct store *store;
static struct secrets *secrets;
static struct ingest_ctx ctx;
static struct ingest_peer peer;

static void
setup(int with_secrets, int insecure)
{
	char err[256], path[600], hash[65];
	const char *dir = harness_tmpdir();
	FILE *f;

	snprintf(dbpath, sizeof(dbpath), "%s/c.db", dir);
	store = store_open(dbpath, 0, err, sizeof(err));
	secrets = NULL;
	if (with_secrets) {
		snprintf(path, sizeof(path), "%s/secrets", dir);
		sha256_hex(SECRET, strlen(SECRET), hash);
		f = fopen(path, "w");
		fprintf(f, "# agents\ndb1 %s\n", hash);
		fclose(f);
		secrets = secrets_load(path, err, sizeof(err));
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.store = store;
	ctx.secrets = secrets;
	ctx.insecure = insecure;
	ctx.clock_skew = 30000;
	memset(&peer, 0, sizeof(peer));
	snprintf(peer.addr, sizeof(peer.addr), "127.0.0.1:4242");
}

static void
teardown(void)
{
	store_close(store);
	secrets_free(secrets);
}

static enum ingest_result
hello(const char *json, char *reply, char *err)
{
	return ingest_hello(&ctx, &peer, (const uint8_t *)json, strlen(json),
	    reply, 512, err, 256);
}

static enum ingest_result
send_event(uint64_t seq, const char *json)
{
	uint8_t buf[4096];
	char err[256];
	size_t n = strlen(json);

	proto_put_u64(buf, seq);
	memcpy(buf + 8, json, n);
	return ingest_event(&ctx, &peer, buf, 8 + n, err, sizeof(err));
}

static long long
count(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	store_commit(store);
	sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

static const char *
ev(const char *user)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "{\"type\":\"db.query\",\"ts\":"
	    "\"2026-11-22T10:00:00.000000Z\",\"agent\":\"evil\","
	    "\"db_system\":\"postgresql\",\"db_user\":\"%s\",\"command\":"
	    "\"SELECT\",\"status\":\"ok\"}", user);
	return buf;
}

static void
test_insecure_without_secrets_admits(void)
{
	char reply[512], err[256];

	setup(0, 1);
	CHECK_INT(hello("{\"proto\":1,\"agent\":\"db1\",\"instance\":\""
	    INST "\"}", reply, err), INGEST_OK);
	CHECK_STR(reply, "{\"proto\":1,\"agent\":\"db1\",\"acked\":0}");
	CHECK_INT(peer.authenticated, 1);
	teardown();
}

static void
test_secret_right_wrong_missing(void)
{
	char reply[512], err[256];

	setup(1, 0);
	CHECK_INT(hello("{\"proto\":1,\"agent\":\"db1\",\"instance\":\"" INST
	    "\",\"secret\":\"wrong wrong wrong wrong\"}", reply, err),
	    INGEST_CLOSE);
	CHECK_STR(err, "wrong secret for agent \"db1\"");
	CHECK_INT(peer.authenticated, 0);
	CHECK_INT(hello("{\"proto\":1,\"agent\":\"db1\",\"instance\":\"" INST
	    "\"}", reply, err), INGEST_CLOSE);
	CHECK_STR(err, "agent \"db1\" sent no certificate and no secret");
	CHECK_INT(hello("{\"proto\":1,\"agent\":\"db2\",\"instance\":\"" INST
	    "\",\"secret\":\"" SECRET "\"}", reply, err), INGEST_CLOSE);
	CHECK_STR(err, "wrong secret for agent \"db2\"");
	CHECK_INT(hello("{\"proto\":1,\"agent\":\"db1\",\"instance\":\"" INST
	    "\",\"secret\":\"" SECRET "\"}", reply, err), INGEST_OK);
	CHECK_INT(peer.authenticated, 1);
	CHECK_STR(peer.agent, "db1");
	teardown();
}

static void
test_certificate_name_must_match(void)
{
	char reply[512], err[256];

	setup(0, 0);
	snprintf(peer.cn, sizeof(peer.cn), "db7");
	CHECK_INT(hello("{\"proto\":1,\"agent\":\"db1\",\"instance\":\"" INST
	    "\"}", reply, err), INGEST_CLOSE);
	CHECK_STR(err, "certificate is for \"db7\", not agent \"db1\"");
	CHECK_INT(hello("{\"proto\":1,\"agent\":\"db7\",\"instance\":\"" INST
	    "\"}", reply, err), INGEST_OK);
	teardown();
}

static void
test_no_credential_refused(void)
{
	char reply[512], err[256];

	setup(0, 0);
	CHECK_INT(hello("{\"proto\":1,\"agent\":\"db1\",\"instance\":\"" INST
	    "\"}", reply, err), INGEST_CLOSE);
	CHECK_STR(err, "agent \"db1\" sent no certificate");
	teardown();
}

static void
test_bad_hellos(void)
{
	char reply[512], err[256];

	setup(0, 1);
	CHECK_INT(hello("{\"proto\":2,\"agent\":\"db1\",\"instance\":\"" INST
	    "\"}", reply, err), INGEST_CLOSE);
	CHECK_CONTAINS(err, "protocol version 2 not supported");
	CHECK_INT(hello("{\"proto\":1,\"agent\":\"d b\",\"instance\":\"" INST
	    "\"}", reply, err), INGEST_CLOSE);
	CHECK_CONTAINS(err, "malformed agent name");
	CHECK_INT(hello("{\"proto\":1,\"agent\":\"db1\",\"instance\":\"XYZ\"}",
	    reply, err), INGEST_CLOSE);
	CHECK_CONTAINS(err, "instance");
	CHECK_INT(hello("not json", reply, err), INGEST_CLOSE);
	CHECK_STR(err, "HELLO is not a JSON object");
	CHECK_INT(hello("{\"proto\":1}", reply, err), INGEST_CLOSE);
	CHECK_STR(err, "HELLO lacks proto, agent or instance");
	CHECK_INT(peer.authenticated, 0);
	teardown();
}

static void
test_event_before_hello(void)
{
	setup(0, 1);
	CHECK_INT(send_event(1, ev("ana")), INGEST_CLOSE);
	CHECK_INT(count("SELECT count(*) FROM events"), 0);
	teardown();
}

static void
test_events_dedup_gap_reject(void)
{
	char reply[512], err[256];

	setup(0, 1);
	REQUIRE(hello("{\"proto\":1,\"agent\":\"db1\",\"instance\":\"" INST
	    "\"}", reply, err) == INGEST_OK);
	CHECK_INT(send_event(1, ev("u1")), INGEST_OK);
	CHECK_INT(send_event(2, ev("u2")), INGEST_OK);
	CHECK_INT(send_event(3, ev("u3")), INGEST_OK);
	CHECK_INT(send_event(2, ev("u2")), INGEST_OK);	/* resend */
	CHECK_INT(peer.duplicates, 1);
	CHECK_INT(send_event(5, ev("u5")), INGEST_OK);	/* 4 never came */
	CHECK_INT(send_event(6, "{\"type\":\"db.query\"}"), INGEST_OK);
	CHECK_INT(peer.rejected, 1);
	CHECK_INT(send_event(7, ev("u7")), INGEST_OK);
	CHECK_INT(stream_last(peer.stream), 7);
	CHECK_INT(count("SELECT count(*) FROM events"), 5);
	CHECK_INT(count("SELECT count(DISTINCT seq) FROM events"), 5);
	CHECK_INT(count("SELECT count(*) FROM gaps WHERE first_seq = 4 AND "
	    "last_seq = 4"), 1);
	CHECK_INT(count("SELECT count(*) FROM events WHERE agent = 'db1' AND "
	    "json LIKE '%\"agent\":\"db1\"%'"), 5);
	CHECK_INT(count("SELECT count(*) FROM events WHERE json LIKE "
	    "'%evil%'"), 0);
	CHECK_INT(count("SELECT last_seq FROM streams"), 7);
	teardown();
}

static void
test_gap_frame(void)
{
	char reply[512], err[256];
	uint8_t b[16];

	setup(0, 1);
	REQUIRE(hello("{\"proto\":1,\"agent\":\"db1\",\"instance\":\"" INST
	    "\"}", reply, err) == INGEST_OK);
	send_event(1, ev("u1"));
	proto_put_u64(b, 2);
	proto_put_u64(b + 8, 1000);
	CHECK_INT(ingest_gap(&ctx, &peer, b, 16, err, sizeof(err)),
	    INGEST_OK);
	CHECK_INT(stream_last(peer.stream), 1000);
	CHECK_INT(send_event(1001, ev("u1001")), INGEST_OK);
	CHECK_INT(count("SELECT count(*) FROM events"), 2);
	CHECK_INT(count("SELECT last_seq - first_seq + 1 FROM gaps"), 999);
	proto_put_u64(b, 9);
	proto_put_u64(b + 8, 3);
	CHECK_INT(ingest_gap(&ctx, &peer, b, 16, err, sizeof(err)),
	    INGEST_CLOSE);
	CHECK_STR(err, "GAP with an empty or reversed range");
	teardown();
}

static void
test_status_recorded(void)
{
	char reply[512], err[256];
	const char *st = "{\"type\":\"agent.status\",\"ts\":"
	    "\"2026-11-22T10:00:00.000000Z\",\"version\":\"0.1.0\","
	    "\"spool_events\":3}";

	setup(0, 1);
	REQUIRE(hello("{\"proto\":1,\"agent\":\"db1\",\"instance\":\"" INST
	    "\"}", reply, err) == INGEST_OK);
	CHECK_INT(ingest_status(&ctx, &peer, (const uint8_t *)st, strlen(st),
	    err, sizeof(err)), INGEST_OK);
	CHECK_INT(count("SELECT count(*) FROM agents WHERE agent = 'db1' AND "
	    "version = '0.1.0' AND connected = 1"), 1);
	/* The fixed timestamp is far from now: the skew is recorded. */
	CHECK(count("SELECT abs(clock_skew_ms) FROM agents") > 30000);
	CHECK_INT(count("SELECT count(*) FROM events"), 0);
	teardown();
}

static void
test_welcome_reports_committed(void)
{
	char reply[512], err[256];
	int i;

	setup(0, 1);
	REQUIRE(hello("{\"proto\":1,\"agent\":\"db1\",\"instance\":\"" INST
	    "\"}", reply, err) == INGEST_OK);
	for (i = 1; i <= 4; i++)
		send_event((uint64_t)i, ev("u"));
	store_commit(store);
	send_event(5, ev("u"));		/* batched, not committed */
	memset(&peer, 0, sizeof(peer));
	REQUIRE(hello("{\"proto\":1,\"agent\":\"db1\",\"instance\":\"" INST
	    "\"}", reply, err) == INGEST_OK);
	CHECK_STR(reply, "{\"proto\":1,\"agent\":\"db1\",\"acked\":4}");
	/* The resend of 5 is a duplicate of the batched copy. */
	CHECK_INT(send_event(5, ev("u")), INGEST_OK);
	CHECK_INT(peer.duplicates, 1);
	CHECK_INT(count("SELECT count(*) FROM events"), 5);
	teardown();
}

/*
 * An event naming the authenticated agent is stored byte for byte as
 * sent, whether lib/event-scan.c vouched for it (seq 1) or it took the
 * DOM path (seq 2: an escaped key is left to the reference); one without
 * `agent` gets the name added (seq 3). Type and time are the event's.
 */
static void
test_stored_as_sent(void)
{
	static const char fast[] = "{ \"type\":\"db.query\", \"agent\":"
	    "\"db1\", \"ts\":\"2026-11-22T10:00:01.500000Z\",\"db_system\":"
	    "\"mysql\",\"db_user\":\"u\",\"command\":\"SELECT\","
	    "\"status\":\"ok\" }";
	static const char slow[] = "{\"type\":\"db.query\",\"ts\":"
	    "\"2026-11-22T10:00:02.000000Z\",\"agent\":\"db1\","
	    "\"db_system\":\"mysql\",\"db_us\\u0065r\":\"u\","
	    "\"command\":\"SELECT\",\"status\":\"ok\"}";
	static const char bare[] = "{\"type\":\"db.session\",\"ts\":"
	    "\"2026-11-22T10:00:03.000000Z\",\"db_system\":\"mysql\","
	    "\"action\":\"tls\"}";
	char reply[512], err[256], sql[1024];

	setup(0, 1);
	REQUIRE(hello("{\"proto\":1,\"agent\":\"db1\",\"instance\":\"" INST
	    "\"}", reply, err) == INGEST_OK);
	CHECK_INT(send_event(1, fast), INGEST_OK);
	CHECK_INT(send_event(2, slow), INGEST_OK);
	CHECK_INT(send_event(3, bare), INGEST_OK);
	CHECK_INT(peer.rejected, 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE seq = 1 "
	    "AND type = 'db.query' AND agent = 'db1' AND json = '%s'", fast);
	CHECK_INT(count(sql), 1);
	CHECK_INT(count("SELECT ts FROM events WHERE seq = 1"),
	    1795341601500000LL);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE seq = 2 "
	    "AND type = 'db.query' AND json = '%s'", slow);
	CHECK_INT(count(sql), 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE seq = 3 "
	    "AND type = 'db.session' AND json = '%.*s,\"agent\":\"db1\"}'",
	    (int)strlen(bare) - 1, bare);
	CHECK_INT(count(sql), 1);
	CHECK_INT(count("SELECT ts FROM events WHERE seq = 3"),
	    1795341603000000LL);
	teardown();
}

/*
 * An alert is the collector's conclusion and agent.status has its own
 * frame: an agent sending either as an EVENT, on the scanner's path or
 * the reference's, has it dropped and counted, its sequence moving on.
 */
static void
test_agent_types_only(void)
{
	static const char alert[] = "{\"type\":\"alert\",\"ts\":"
	    "\"2026-11-22T10:00:02.000000Z\",\"agent\":\"db1\",\"id\":\"a1\","
	    "\"employee\":\"bob\",\"rule\":\"r\",\"severity\":\"critical\","
	    "\"score\":99,\"summary\":\"s\",\"evidence\":{\"k\":[1,2]}}";
	static const char alert_fast[] = "{\"type\":\"alert\",\"ts\":"
	    "\"2026-11-22T10:00:03.000000Z\",\"agent\":\"db1\",\"id\":\"a2\","
	    "\"employee\":\"bob\",\"rule\":\"r\",\"severity\":\"low\","
	    "\"score\":1,\"summary\":\"s\"}";
	static const char status[] = "{\"type\":\"agent.status\",\"ts\":"
	    "\"2026-11-22T10:00:04.000000Z\",\"agent\":\"db1\"}";
	char reply[512], err[256];

	setup(0, 1);
	REQUIRE(hello("{\"proto\":1,\"agent\":\"db1\",\"instance\":\"" INST
	    "\"}", reply, err) == INGEST_OK);
	CHECK_INT(send_event(1, alert), INGEST_OK);
	CHECK_INT(send_event(2, alert_fast), INGEST_OK);
	CHECK_INT(send_event(3, status), INGEST_OK);
	CHECK_INT(send_event(4, ev("u4")), INGEST_OK);
	CHECK_INT(peer.rejected, 3);
	CHECK_INT(ctx.events_rejected, 3);
	CHECK_INT(stream_last(peer.stream), 4);
	CHECK_INT(count("SELECT count(*) FROM events"), 1);
	CHECK_INT(count("SELECT count(*) FROM events WHERE type = 'alert'"),
	    0);
	teardown();
}

static const struct test tests[] = {
	{ "insecure_without_secrets_admits",
	    test_insecure_without_secrets_admits },
	{ "secret_right_wrong_missing", test_secret_right_wrong_missing },
	{ "certificate_name_must_match", test_certificate_name_must_match },
	{ "no_credential_refused", test_no_credential_refused },
	{ "bad_hellos", test_bad_hellos },
	{ "event_before_hello", test_event_before_hello },
	{ "events_dedup_gap_reject", test_events_dedup_gap_reject },
	{ "gap_frame", test_gap_frame },
	{ "status_recorded", test_status_recorded },
	{ "welcome_reports_committed", test_welcome_reports_committed },
	{ "stored_as_sent", test_stored_as_sent },
	{ "agent_types_only", test_agent_types_only },
};

HARNESS_MAIN(tests)
