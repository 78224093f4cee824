/*
 * Unit tests for lib/event-scan.c, the DOM-free fast path of event
 * validation. The promise under test: lw_event_scan() says "valid" only
 * when lw_event_parse() (the reference) accepts the same bytes, with the
 * same type, timestamp and agent. Each test checks that promise on its
 * inputs (diff()), and also what the fast path decides by itself: the
 * shapes agents send are taken without the reference, invalid ones never.
 */
#include "harness.h"

#include <jansson.h>

#include "leakwatch/event.h"
#include "leakwatch/event-scan.h"

#define TS_TEXT		"2026-11-22T10:00:00.123456Z"
#define TS_US		(1795341600LL * 1000000 + 123456)

#define Q_HEAD	"{\"type\":\"db.query\",\"ts\":\"" TS_TEXT "\","
#define Q_TAIL	"\"db_system\":\"postgresql\",\"db_user\":\"alice\"," \
		"\"command\":\"SELECT\",\"status\":\"ok\"}"

/* An event as the agent ships it: every kind of db.query field. */
static const char full_query[] =
    "{\"type\":\"db.query\",\"ts\":\"" TS_TEXT "\",\"agent\":\"db1\","
    "\"db_system\":\"postgresql\",\"server\":\"10.0.0.1:5432\","
    "\"client\":\"10.0.0.9:40000\",\"db_user\":\"alice\","
    "\"database\":\"crm\",\"app_name\":\"psql\",\"command\":\"SELECT\","
    "\"statement\":\"SELECT * FROM crm.customer WHERE id = ?\","
    "\"fingerprint\":\"0123456789abcdef\",\"tables\":[\"crm.customer\","
    "\"crm.orders\"],\"rows\":10,\"rows_returned\":10,\"rows_affected\":0,"
    "\"bytes\":4096,\"duration_us\":1500,\"status\":\"ok\","
    "\"partial\":false,\"source\":\"wire\"}";

static const char flow[] =
    "{\"type\":\"net.flow\",\"ts\":\"" TS_TEXT "\",\"agent\":\"gw\","
    "\"flow_id\":\"f1\",\"src\":\"10.0.0.5\",\"sport\":50000,"
    "\"dst\":\"203.0.113.9\",\"dport\":443,\"l4\":\"tcp\","
    "\"bytes_out\":1000,\"bytes_in\":200,\"first_ts\":\"" TS_TEXT "\","
    "\"risks\":[],\"final\":true,\"scope\":\"outbound\"}";

static const char session[] =
    "{\"type\":\"db.session\",\"ts\":\"" TS_TEXT "\",\"db_system\":"
    "\"mysql\",\"action\":\"connect\"}";

/*
 * The invariant on one input; returns what the scanner said (0 or -1) and
 * records a failure if it vouched for something the reference refuses or
 * reads differently.
 */
static int
diff(const char *buf, size_t len)
{
	struct lw_event_scan sc;
	struct lw_event *ev;
	const char *agent;
	char err[256];
	int rc;

	rc = lw_event_scan(buf, len, &sc);
	if (rc != 0)
		return rc;
	ev = lw_event_parse(buf, len, err, sizeof(err));
	if (ev == NULL) {
		FAILF("scanner took what the reference refuses (%s): %.*s",
		    err, (int)len, buf);
		return rc;
	}
	CHECK_INT(sc.type, ev->type);
	CHECK_INT(sc.ts_us, ev->ts_us);
	agent = json_string_value(json_object_get(ev->obj, "agent"));
	if (sc.agent != NULL) {
		CHECK(agent != NULL);
		CHECK(agent != NULL && strlen(agent) == sc.agent_len &&
		    memcmp(agent, sc.agent, sc.agent_len) == 0);
	}
	lw_event_free(ev);
	return rc;
}

static int
diffs(const char *s)
{
	return diff(s, strlen(s));
}

/* The scanner mirrors the position of `ts` and `agent` in event.c. */
static void
test_schema_positions(void)
{
	const struct event_field *tab;
	int t, n;

	for (t = 0; t < EVENT_NTYPES; t++) {
		tab = lw_event_fields((enum event_type)t);
		REQUIRE(tab != NULL);
		CHECK_STR(tab[0].name, "type");
		CHECK_STR(tab[1].name, "ts");
		CHECK_STR(tab[2].name, "agent");
		for (n = 0; tab[n].name != NULL; n++)
			;
		CHECK(n < 64);
	}
}

/* What agents send is decided without the reference. */
static void
test_accepts_agent_shapes(void)
{
	struct lw_event_scan sc;

	CHECK_INT(diffs(full_query), 0);
	CHECK_INT(lw_event_scan(full_query, strlen(full_query), &sc), 0);
	CHECK_INT(sc.type, EVENT_DB_QUERY);
	CHECK_INT(sc.ts_us, TS_US);
	REQUIRE(sc.agent != NULL);
	CHECK_INT(sc.agent_len, 3);
	CHECK(memcmp(sc.agent, "db1", 3) == 0);
	CHECK_INT(diffs(flow), 0);
	CHECK_INT(lw_event_scan(flow, strlen(flow), &sc), 0);
	CHECK_INT(sc.type, EVENT_NET_FLOW);
	CHECK_INT(diffs(session), 0);
	CHECK_INT(lw_event_scan(session, strlen(session), &sc), 0);
	CHECK(sc.agent == NULL);
	CHECK_INT(diffs("{\"type\":\"agent.status\",\"ts\":\"" TS_TEXT
	    "\",\"version\":\"0.1.0\",\"uptime_s\":5}"), 0);
	/* White space anywhere jansson allows it. */
	CHECK_INT(diffs(" \t\r\n{ \"type\" : \"db.session\" ,\n\"ts\":\""
	    TS_TEXT "\" , \"db_system\":\"mysql\",\"action\":\"tls\" } \n"),
	    0);
	/* `type` need not come first. */
	CHECK_INT(diffs("{\"db_system\":\"mysql\",\"server\":\"a\","
	    "\"ts\":\"" TS_TEXT "\",\"action\":\"connect\",\"type\":"
	    "\"db.session\"}"), 0);
	CHECK_INT(diffs("{\"rows\":5,\"tables\":[\"x\"],\"partial\":true,"
	    "\"type\":\"db.query\",\"ts\":\"" TS_TEXT "\","
	    "\"db_system\":\"mysql\",\"db_user\":\"u\",\"command\":\"C\","
	    "\"status\":\"error\"}"), 0);
}

/* Escapes decode to their byte count, which the bound applies to. */
static void
test_escapes(void)
{
	char buf[1024];
	const char *e9 = "\\u00e9";		/* 2 bytes decoded */
	int i;

	/* command is at most 32 bytes: 16 x U+00E9 fits, 17 do not. */
	for (i = 16; i <= 17; i++) {
		char cmd[256];
		int k;

		for (k = 0; k < i; k++)
			memcpy(cmd + 6 * k, e9, 6);
		cmd[6 * i] = '\0';
		snprintf(buf, sizeof(buf), Q_HEAD "\"db_system\":\"mysql\","
		    "\"db_user\":\"u\",\"command\":\"%s\",\"status\":\"ok\"}",
		    cmd);
		CHECK_INT(diffs(buf), i == 16 ? 0 : -1);
	}
	/* A surrogate pair is one 4-byte character. */
	CHECK_INT(diffs(Q_HEAD "\"statement\":\"\\ud83d\\ude00 \\\" \\\\ "
	    "\\/ \\b\\f\\n\\r\\t\\u20AC\"," Q_TAIL), 0);
	/* Raw UTF-8 is fine when well formed. */
	CHECK_INT(diffs(Q_HEAD "\"statement\":\"caf\xc3\xa9 \xe2\x82\xac "
	    "\xf0\x9f\x98\x80\"," Q_TAIL), 0);
	/* An escaped agent is valid but not handed back for comparison. */
	{
		struct lw_event_scan sc;
		const char *s = Q_HEAD "\"agent\":\"d\\u0062\"," Q_TAIL;

		CHECK_INT(diffs(s), 0);
		CHECK_INT(lw_event_scan(s, strlen(s), &sc), 0);
		CHECK(sc.agent == NULL);
	}
}

/* Every one of these is invalid: the scanner must pass it on. */
static void
test_refuses_invalid(void)
{
	static const char *const bad[] = {
		"",
		"{}",
		"[]",
		"\"db.query\"",
		"\xef\xbb\xbf" Q_HEAD Q_TAIL,
		Q_HEAD Q_TAIL "x",
		Q_HEAD Q_TAIL "\0",
		Q_HEAD "\"rows\":01," Q_TAIL,
		Q_HEAD "\"rows\":-1," Q_TAIL,
		Q_HEAD "\"rows\":1.0," Q_TAIL,
		Q_HEAD "\"rows\":1e3," Q_TAIL,
		Q_HEAD "\"rows\":9007199254740992," Q_TAIL,
		Q_HEAD "\"rows\":12345678901234567890123," Q_TAIL,
		Q_HEAD "\"rows\":\"1\"," Q_TAIL,
		Q_HEAD "\"rows\":null," Q_TAIL,
		Q_HEAD "\"rows\":1x," Q_TAIL,
		Q_HEAD "\"partial\":truex," Q_TAIL,
		Q_HEAD "\"partial\":tru," Q_TAIL,
		Q_HEAD "\"partial\":1," Q_TAIL,
		Q_HEAD "\"rows\":1,\"rows\":1," Q_TAIL,
		Q_HEAD "\"type\":\"db.query\"," Q_TAIL,
		Q_HEAD "\"typ\\u0065\":\"db.query\"," Q_TAIL,
		Q_HEAD "\"nope\":1," Q_TAIL,
		Q_HEAD "\"\":1," Q_TAIL,
		Q_HEAD "\"statement\":\"a\\u0000b\"," Q_TAIL,
		Q_HEAD "\"statement\":\"a\\ud800b\"," Q_TAIL,
		Q_HEAD "\"statement\":\"a\\udc00b\"," Q_TAIL,
		Q_HEAD "\"statement\":\"a\\ud800\\u0041\"," Q_TAIL,
		Q_HEAD "\"statement\":\"a\\x\"," Q_TAIL,
		Q_HEAD "\"statement\":\"a\\u12\"," Q_TAIL,
		Q_HEAD "\"statement\":\"a\tb\"," Q_TAIL,
		Q_HEAD "\"statement\":\"\xc0\xaf\"," Q_TAIL,
		Q_HEAD "\"statement\":\"\xed\xa0\x80\"," Q_TAIL,
		Q_HEAD "\"statement\":\"\xf4\x90\x80\x80\"," Q_TAIL,
		Q_HEAD "\"statement\":\"\xe2\x82\"," Q_TAIL,
		Q_HEAD "\"statement\":\"\x80\"," Q_TAIL,
		Q_HEAD "\"fingerprint\":\"0123456789ABCDEF\"," Q_TAIL,
		Q_HEAD "\"fingerprint\":\"0123456789abcde\"," Q_TAIL,
		Q_HEAD "\"tables\":[\"a\",]," Q_TAIL,
		Q_HEAD "\"tables\":[1]," Q_TAIL,
		Q_HEAD "\"tables\":\"a\"," Q_TAIL,
		Q_HEAD "\"status\":\"OK\"," "\"db_system\":\"mysql\","
		    "\"db_user\":\"u\",\"command\":\"C\"}",
		"{\"type\":\"db.query\",\"ts\":\"2026-11-22 10:00:00Z\","
		    Q_TAIL,
		"{\"type\":\"db.query\",\"ts\":\"" TS_TEXT "\"}",
		"{\"type\":\"db.nope\",\"ts\":\"" TS_TEXT "\"}",
		Q_HEAD Q_TAIL Q_HEAD Q_TAIL,
		Q_HEAD "\"rows\":1 ," "\"db_system\":\"postgresql\"",
		"{\"type\":\"db.query\",,\"ts\":\"" TS_TEXT "\"," Q_TAIL,
		"{\"type\" \"db.query\",\"ts\":\"" TS_TEXT "\"," Q_TAIL,
	};
	char buf[1024];
	size_t i, len;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = strlen(bad[i]);
		if (i == 6)
			len++;	/* the trailing NUL byte is input */
		if (diff(bad[i], len) == 0)
			FAILF("scanner took invalid input %zu", i);
		CHECK(lw_event_parse(bad[i], len, buf, sizeof(buf)) == NULL);
	}
	/* Over the size bound, however valid. */
	{
		static char huge[EVENT_MAX_LEN + 64];

		memset(huge, ' ', sizeof(huge));
		memcpy(huge, full_query, strlen(full_query));
		CHECK_INT(lw_event_scan(huge, sizeof(huge), NULL), -1);
		CHECK_INT(diff(huge, EVENT_MAX_LEN), 0);
	}
}

/* Shapes left to the reference: valid, yet not decided here. */
static void
test_defers_rare_shapes(void)
{
	struct lw_event_scan sc;
	static const char *const rare[] = {
		"{\"type\":\"alert\",\"ts\":\"" TS_TEXT "\",\"id\":\"a1\","
		    "\"employee\":\"alice\",\"rule\":\"r\",\"severity\":"
		    "\"high\",\"score\":87.5,\"summary\":\"s\"}",
		"{\"type\":\"agent.status\",\"ts\":\"" TS_TEXT "\","
		    "\"version\":\"1\",\"counters\":{\"a\":1}}",
		Q_HEAD "\"rows\":-0," Q_TAIL,
		Q_HEAD "\"st\\u0061tus\":\"ok\",\"db_system\":\"mysql\","
		    "\"db_user\":\"u\",\"command\":\"C\"}",
	};
	char err[256];
	struct lw_event *ev;
	size_t i;

	for (i = 0; i < sizeof(rare) / sizeof(rare[0]); i++) {
		ev = lw_event_parse(rare[i], strlen(rare[i]), err,
		    sizeof(err));
		CHECK(ev != NULL);
		lw_event_free(ev);
		CHECK_INT(lw_event_scan(rare[i], strlen(rare[i]), &sc), -1);
	}
	/* An integer score is decided here. */
	CHECK_INT(diffs("{\"type\":\"alert\",\"ts\":\"" TS_TEXT "\","
	    "\"id\":\"a1\",\"employee\":\"alice\",\"rule\":\"r\","
	    "\"severity\":\"high\",\"score\":87,\"summary\":\"s\"}"), 0);
	CHECK_INT(diffs("{\"type\":\"alert\",\"ts\":\"" TS_TEXT "\","
	    "\"id\":\"a1\",\"employee\":\"alice\",\"rule\":\"r\","
	    "\"severity\":\"high\",\"score\":101,\"summary\":\"s\"}"), -1);
}

/*
 * Every one-byte deletion and replacement of valid events, held to the
 * invariant: a deterministic miniature of the fuzz target, run on each
 * `make check`.
 */
static void
test_mutations(void)
{
	static const char *const seeds[] = { full_query, flow, session };
	static const char repl[] = "\"\\0 },:[]e.-x\x80\xc3\x01";
	char buf[1024];
	size_t s, i, r, len;
	int accepted = 0;

	for (s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
		len = strlen(seeds[s]);
		REQUIRE(len < sizeof(buf));
		for (i = 0; i < len; i++) {
			memcpy(buf, seeds[s], i);
			memcpy(buf + i, seeds[s] + i + 1, len - i - 1);
			if (diff(buf, len - 1) == 0)
				accepted++;
			for (r = 0; r < sizeof(repl) - 1; r++) {
				memcpy(buf, seeds[s], len);
				buf[i] = repl[r];
				if (diff(buf, len) == 0)
					accepted++;
			}
		}
	}
	/* Many mutants stay valid (a digit or a letter changed). */
	CHECK(accepted > 100);
}

static const struct test tests[] = {
	{ "schema_positions", test_schema_positions },
	{ "accepts_agent_shapes", test_accepts_agent_shapes },
	{ "escapes", test_escapes },
	{ "refuses_invalid", test_refuses_invalid },
	{ "defers_rare_shapes", test_defers_rare_shapes },
	{ "mutations", test_mutations },
};

HARNESS_MAIN(tests)
