/*
 * Unit tests for lib/event-view.c, reading event fields without a DOM.
 * Each event is read twice, through a view of its bytes and through
 * lw_event_parse()'s DOM, and every schema field must come out the same;
 * the tests also pin the decoded values themselves (escapes, surrogate
 * pairs, lists, numbers, booleans, absent fields) and the fallbacks: a
 * view refuses what the validator leaves to the reference, and
 * lw_event_dom() rebuilds the DOM from a view.
 */
#include "harness.h"

#include <jansson.h>

#include "leakwatch/event.h"
#include "leakwatch/event-view.h"

#define TS_TEXT		"2026-11-22T10:00:00.123456Z"
#define TS_US		(1795341600LL * 1000000 + 123456)

static const char query[] =
    "{\"type\":\"db.query\",\"ts\":\"" TS_TEXT "\",\"agent\":\"db1\","
    "\"db_system\":\"postgresql\",\"client\":\"10.0.0.9:40000\","
    "\"db_user\":\"al\\u00e9x\",\"command\":\"SELECT\","
    "\"statement\":\"SELECT \\\"a\\\\b\\\" FROM t WHERE x = ? \\ud83d\\ude00"
    "\\t\\n\\/\","
    "\"tables\":[\"crm.customer\", \"crm.\\\"odd\\\"\" ,\"\\u0041\"],"
    "\"rows\":9007199254740991,\"rows_returned\":0,\"bytes\":4096,"
    "\"status\":\"ok\",\"partial\":true,\"source\":\"wire\"}";

static const char flow[] =
    "{ \"type\" : \"net.flow\" , \"ts\":\"" TS_TEXT "\",\"agent\":\"gw\","
    "\"flow_id\":\"f1\",\"src\":\"10.0.0.5\",\"sport\":50000,"
    "\"dst\":\"203.0.113.9\",\"dport\":443,\"l4\":\"tcp\","
    "\"bytes_out\":1000,\"bytes_in\":200,\"first_ts\":\"" TS_TEXT "\","
    "\"risks\":[],\"final\":false,\"scope\":\"outbound\"}";

/* Every schema field reads the same through the view and the DOM. */
static void
same_as_dom(const char *buf)
{
	struct lw_event_view view;
	struct lw_event vev, *dom;
	struct lw_view_value a, b;
	const struct event_field *f;
	const char *la[256], *lb[256];
	char err[256];
	size_t i, n, k;

	memset(&view, 0, sizeof(view));
	memset(&vev, 0, sizeof(vev));
	dom = lw_event_parse(buf, strlen(buf), err, sizeof(err));
	REQUIRE(dom != NULL);
	REQUIRE(lw_event_view_init(&view, &vev, buf, strlen(buf)) == 0);
	CHECK_INT(vev.type, dom->type);
	CHECK(vev.ts_us == dom->ts_us);
	f = lw_event_fields(dom->type);
	for (i = 0; f[i].name != NULL; i++) {
		lw_event_get(&vev, f[i].name, &a);
		lw_event_get(dom, f[i].name, &b);
		CHECK_INT(a.kind, b.kind);
		if (a.kind != b.kind)
			continue;
		if (a.kind == LW_STR)
			CHECK_STR(a.s, b.s);
		if (a.kind == LW_NUM || a.kind == LW_BOOL)
			CHECK(a.n == b.n);
		if (a.kind == LW_LIST) {
			n = lw_event_list(&vev, f[i].name, la, 256);
			CHECK_INT(n, lw_event_list(dom, f[i].name, lb, 256));
			for (k = 0; k < n; k++)
				CHECK_STR(la[k], lb[k]);
		}
	}
	CHECK(json_equal(lw_event_dom(&vev), dom->obj));
	lw_event_free(dom);
	lw_event_view_clear(&view);
}

static void
test_matches_dom(void)
{
	same_as_dom(query);
	same_as_dom(flow);
}

static void
test_decoded_values(void)
{
	struct lw_event_view view;
	struct lw_event ev;
	const char *l[8];
	double v = -1;

	memset(&view, 0, sizeof(view));
	memset(&ev, 0, sizeof(ev));
	REQUIRE(lw_event_view_init(&view, &ev, query, strlen(query)) == 0);
	CHECK_INT(ev.type, EVENT_DB_QUERY);
	CHECK(ev.ts_us == TS_US);
	CHECK(ev.obj == NULL && ev.view == &view);
	CHECK_STR(lw_event_str(&ev, "db_user"), "al\xc3\xa9x");
	CHECK_STR(lw_event_str(&ev, "statement"),
	    "SELECT \"a\\b\" FROM t WHERE x = ? \xf0\x9f\x98\x80\t\n/");
	CHECK_INT(lw_event_list(&ev, "tables", l, 8), 3);
	CHECK_STR(l[0], "crm.customer");
	CHECK_STR(l[1], "crm.\"odd\"");
	CHECK_STR(l[2], "A");
	/* max caps the copy, not the list */
	CHECK_INT(lw_event_list(&ev, "tables", l, 2), 2);
	CHECK(lw_event_num(&ev, "rows", &v) == 1 && v == 9007199254740991.0);
	CHECK(lw_event_num(&ev, "rows_returned", &v) == 1 && v == 0);
	CHECK(lw_event_num(&ev, "rows_affected", &v) == 0);
	CHECK(lw_event_num(&ev, "statement", &v) == 0);
	CHECK(lw_event_true(&ev, "partial") == 1);
	CHECK(lw_event_str(&ev, "database") == NULL);	/* absent */
	CHECK(lw_event_str(&ev, "rows") == NULL);	/* not a string */
	CHECK(lw_event_str(&ev, "no_such_field") == NULL);

	/* the same view, reused for the next event */
	REQUIRE(lw_event_view_init(&view, &ev, flow, strlen(flow)) == 0);
	CHECK_INT(ev.type, EVENT_NET_FLOW);
	CHECK_STR(lw_event_str(&ev, "scope"), "outbound");
	CHECK(lw_event_true(&ev, "final") == 0);
	CHECK_INT(lw_event_list(&ev, "risks", l, 8), 0);
	CHECK(lw_event_num(&ev, "dport", &v) == 1 && v == 443);
	CHECK(lw_event_str(&ev, "db_user") == NULL);
	lw_event_view_clear(&view);
}

/* What the validator leaves to the reference, a view leaves too. */
static void
test_refuses_deferred(void)
{
	static const char *const bad[] = {
		/* a real number: the reference's call */
		"{\"type\":\"db.query\",\"ts\":\"" TS_TEXT "\",\"db_system\":"
		"\"mysql\",\"db_user\":\"a\",\"command\":\"SELECT\","
		"\"status\":\"ok\",\"rows\":1.5}",
		/* invalid: a required field missing */
		"{\"type\":\"db.query\",\"ts\":\"" TS_TEXT "\"}",
		"not json",
	};
	struct lw_event_view view;
	struct lw_event ev;
	size_t i;

	memset(&view, 0, sizeof(view));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&ev, 0, sizeof(ev));
		CHECK(lw_event_view_init(&view, &ev, bad[i],
		    strlen(bad[i])) == -1);
		CHECK(ev.view == NULL);
	}
	lw_event_view_clear(&view);
}

static const struct test tests[] = {
	{ "matches_dom", test_matches_dom },
	{ "decoded_values", test_decoded_values },
	{ "refuses_deferred", test_refuses_deferred },
};

HARNESS_MAIN(tests)
