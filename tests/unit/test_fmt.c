/*
 * Unit tests for the SIEM formats (collector/fmt*.c): exact messages for
 * one alert in each format, and the escaping traps the receivers taught
 * us - RFC 5424 SD values escape exactly `"`, `\` and `]`, SD names are
 * sanitised, bounded and unique; CEF escapes `|`/`\` in the header and
 * `=`/`\`/newlines in extensions; LEEF sanitises tabs and newlines; JSON
 * uses ECS names; a case message (analytics/cases.c) in each format; a
 * forwarded db.query aggregate's count, first_ts and max_rows - and
 * in every format control characters come out escaped (lib/text.c), so
 * no value can split a syslog message or drive a terminal. The real
 * receiver test is tests/integration/siem.sh.
 */
#include "harness.h"

#include <jansson.h>

#include "../../collector/siem/siem.h"
#include "../../collector/analytics/analytics.h"
#include "leakwatch/util.h"

static json_t *
alert(const char *summary, const char *employee)
{
	json_t *a = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:s, "
	    "s:{s:i, s:s, s:[s, s]}}",
	    "type", "alert", "ts", "2026-11-22T10:00:00.123456Z",
	    "id", "a1b2c3d4e5f60718", "employee", employee,
	    "rule", "bulk_read", "severity", "high", "score", 87.5,
	    "summary", summary,
	    "evidence", "rows", 2300, "table", "crm.customers",
	    "peers", "Support", "x\"y");

	if (a == NULL)
		abort();
	return a;
}

static char *
fmt(const char *name, json_t *a)
{
	const struct fwd_format *f = fmt_lookup(name);
	struct fmt_opts o;
	size_t len;
	char *s;

	fmt_opts_defaults(&o);
	o.hostname = "collector1";
	o.procid = 42;
	if (f == NULL)
		return NULL;
	s = f->format(a, &o, &len);
	if (s != NULL && strlen(s) != len)
		FAILF("%s: length %zu != strlen %zu", name, len, strlen(s));
	return s;
}

static void
test_rfc5424_exact(void)
{
	json_t *a = alert("Ana read 2,300 rows", "ana");
	char *s = fmt("rfc5424", a);

	CHECK_STR(s, "<107>1 2026-11-22T10:00:00.123456Z collector1 "
	    "leakwatch 42 ALERT [leakwatch@32473 id=\"a1b2c3d4e5f60718\" "
	    "employee=\"ana\" rule=\"bulk_read\" severity=\"high\" "
	    "summary=\"Ana read 2,300 rows\" score=\"87.5\" "
	    "ts=\"2026-11-22T10:00:00.123456Z\" ev.rows=\"2300\" "
	    "ev.table=\"crm.customers\" ev.peers=\"Support,x\\\"y\"] "
	    "\xef\xbb\xbf" "Ana read 2,300 rows");
	free(s);
	json_decref(a);
}

static void
test_rfc5424_escaping(void)
{
	json_t *a = alert("a\"b\\c]d|e=f\ng \xc3\xa9", "o'brien");
	char *s = fmt("rfc5424", a);

	/* The newline is escaped (\x0a), and that backslash in turn. */
	CHECK_CONTAINS(s, "summary=\"a\\\"b\\\\c\\]d|e=f\\\\x0ag \xc3\xa9\"");
	/* The MSG part is UTF-8 after the BOM, controls escaped. */
	CHECK_CONTAINS(s, "] \xef\xbb\xbf" "a\"b\\c]d|e=f\\x0ag \xc3\xa9");
	free(s);
	json_decref(a);
}

static void
test_rfc5424_names(void)
{
	json_t *a = alert("x", "ana");
	char *s;

	/* A long evidence key is cut to 32 bytes; bad bytes become '_';
	 * a second key that sanitises to the same name is dropped. */
	json_object_set_new(json_object_get(a, "evidence"),
	    "a very long key with = and ] in it, longer than 32",
	    json_string("v1"));
	json_object_set_new(json_object_get(a, "evidence"),
	    "a very long key with = and ] in it, longer than 33",
	    json_string("v2"));
	s = fmt("rfc5424", a);
	CHECK_CONTAINS(s, " ev.a_very_long_key_with___and___=\"v1\"]");
	CHECK(strstr(s, "\"v2\"") == NULL);
	free(s);
	json_decref(a);
}

static void
test_rfc5424_pri(void)
{
	static const char *const sev[] = { "low", "medium", "high",
	    "critical" };
	static const char *const pri[] = { "<109>", "<108>", "<107>",
	    "<106>" };
	json_t *a;
	char *s;
	int i;

	for (i = 0; i < 4; i++) {
		a = alert("x", "ana");
		json_object_set_new(a, "severity", json_string(sev[i]));
		s = fmt("rfc5424", a);
		CHECK(s != NULL && strncmp(s, pri[i], 5) == 0);
		free(s);
		json_decref(a);
	}
}

static void
test_cef(void)
{
	json_t *a = alert("rows|read\\now=yes\nnext", "ana");
	char *s;

	json_object_set_new(a, "rule", json_string("bulk|read"));
	s = fmt("cef", a);
	CHECK_STR(s, "CEF:0|leakwatch|leakwatch|" LEAKWATCH_VERSION
	    "|bulk\\|read|rows\\|read\\\\now=yes\\\\x0anext|8|rt=1795341600123 "
	    "externalId=a1b2c3d4e5f60718 suser=ana "
	    "cat=insider/data-exfiltration "
	    "msg=rows|read\\\\now\\=yes\\\\x0anext cn1Label=score cn1=87.5 "
	    "cs1Label=rule cs1=bulk|read cs2Label=severity cs2=high "
	    "cs3Label=evidence cs3=rows: 2300; table: crm.customers; "
	    "peers: Support,x\"y");
	free(s);
	json_decref(a);
}

static void
test_leef(void)
{
	json_t *a = alert("tab\there\nnewline", "ana");
	char *s;

	json_object_set_new(a, "rule", json_string("bulk|read"));
	s = fmt("leef", a);
	CHECK_STR(s, "LEEF:2.0|leakwatch|leakwatch|" LEAKWATCH_VERSION
	    "|bulk/read|x09|devTime=1795341600123\tsev=8\tcat=insider\t"
	    "usrName=ana\talertId=a1b2c3d4e5f60718\tseverity=high\t"
	    "score=87.5\tmsg=tab\\x09here\\x0anewline\tev_rows=2300\t"
	    "ev_table=crm.customers\tev_peers=Support,x\"y");
	free(s);
	json_decref(a);
}

/*
 * Hostile names in every string an alert carries - ESC sequences, CR LF
 * with a forged syslog header after it, DEL, C1 controls, invalid UTF-8
 * is impossible in jansson strings - and in evidence keys and values:
 * no format lets a byte below 0x20 through (LEEF's tab delimiter
 * aside), the text formats none of DEL or C1 either, and each message
 * is still one message. JSON escapes controls itself and must keep the
 * values exact.
 */
#define FORGE	"\r\n<13>1 2026-11-22T10:00:00Z evil leakwatch - ALERT - x"

static void
test_hostile_strings(void)
{
	static const char *const names[] = { "rfc5424", "cef", "leef",
	    "json" };
	json_t *a = alert("sum\x1b[2J" FORGE, "emp\x1b]0;t\x07" FORGE);
	json_t *ev = json_object_get(a, "evidence"), *back;
	const unsigned char *p;
	char *s;
	size_t i;

	json_object_set_new(a, "rule", json_string("r\x7f\xc2\x9b" "2J"));
	json_object_set_new(ev, "db_user", json_string("u\n<13>1 x" FORGE));
	json_object_set_new(ev, "k\x1b" "ey", json_string("v\xc2\x85v"));
	json_object_set_new(ev, "tables", json_pack("[s, s]", "a\rb",
	    "c\td"));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		s = fmt(names[i], a);
		REQUIRE(s != NULL);
		for (p = (const unsigned char *)s; *p != '\0'; p++) {
			if (*p == '\t' && strcmp(names[i], "leef") == 0)
				continue;
			if (*p < 0x20)
				FAILF("%s: byte 0x%02x at %zu", names[i], *p,
				    (size_t)(p - (const unsigned char *)s));
			if (strcmp(names[i], "json") != 0 && (*p == 0x7f ||
			    (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)))
				FAILF("%s: DEL or C1 at %zu", names[i],
				    (size_t)(p - (const unsigned char *)s));
		}
		if (strcmp(names[i], "json") == 0) {
			back = json_loads(s, 0, NULL);
			CHECK(back != NULL);
			CHECK_STR(json_string_value(json_object_get(
			    json_object_get(back, "user"), "name")),
			    "emp\x1b]0;t\x07" FORGE);
			json_decref(back);
		} else {
			/* The escapes the analyst reads instead. */
			CHECK_CONTAINS(s, "x1b[2J");
			CHECK_CONTAINS(s, "x0d");
			CHECK_CONTAINS(s, "u009b2J");
		}
		free(s);
	}
	json_decref(a);
}

static void
test_json(void)
{
	json_t *a = alert("line1\nline2", "ana"), *m;
	json_error_t e;
	char *s = fmt("json", a);

	REQUIRE(s != NULL);
	m = json_loads(s, 0, &e);
	REQUIRE(m != NULL);
	CHECK_STR(json_string_value(json_object_get(m, "@timestamp")),
	    "2026-11-22T10:00:00.123456Z");
	CHECK_STR(json_string_value(json_object_get(json_object_get(m,
	    "user"), "name")), "ana");
	CHECK_STR(json_string_value(json_object_get(json_object_get(m,
	    "rule"), "name")), "bulk_read");
	CHECK_STR(json_string_value(json_object_get(json_object_get(m,
	    "event"), "kind")), "alert");
	CHECK_INT(json_integer_value(json_object_get(json_object_get(m,
	    "event"), "severity")), 73);
	CHECK_STR(json_string_value(json_object_get(m, "message")),
	    "line1\nline2");
	CHECK_INT(json_integer_value(json_object_get(json_object_get(
	    json_object_get(m, "leakwatch"), "evidence"), "rows")), 2300);
	CHECK(strchr(s, '\n') == NULL);
	json_decref(m);
	free(s);
	json_decref(a);
}

/*
 * Evidence of every shape an alert can carry: an empty array (which once
 * sent heap bytes to the SIEM: an empty buffer was handed out without its
 * terminator), an empty object, nested arrays and non-ASCII text. Each
 * format must give exactly these bytes.
 */
static json_t *
odd_alert(void)
{
	json_t *a = alert("x", "ana"), *ev;
	json_error_t e;

	ev = json_loads("{\"fingerprints\": [], \"none\": {}, "
	    "\"nested\": [[1, 2], [], [\"a\"]], "
	    "\"name\": \"J\u00fcrgen \u6771\u4eac\", "
	    "\"deep\": {\"x\": {\"y\": []}}}", JSON_PRESERVE_ORDER, &e);
	if (ev == NULL)
		abort();
	json_object_set_new(a, "evidence", ev);
	return a;
}

static void
test_odd_evidence(void)
{
	json_t *a = odd_alert(), *m, *back;
	json_error_t e;
	char *s;

	s = fmt("rfc5424", a);
	CHECK_CONTAINS(s, "ts=\"2026-11-22T10:00:00.123456Z\" "
	    "ev.fingerprints=\"\" ev.nested=\"[1,2\\],[\\],[\\\"a\\\"\\]\" "
	    "ev.name=\"J\xc3\xbcrgen \xe6\x9d\xb1\xe4\xba\xac\" "
	    "ev.deep.x.y=\"\"] ");
	free(s);

	s = fmt("cef", a);
	CHECK_CONTAINS(s, "cs2=high cs3Label=evidence cs3=fingerprints: ; "
	    "nested: [1,2],[],[\"a\"]; name: J\xc3\xbcrgen "
	    "\xe6\x9d\xb1\xe4\xba\xac; deep.x.y: ");
	CHECK(s != NULL && s[strlen(s) - 1] == ' ');
	free(s);

	s = fmt("leef", a);
	/* LEEF leaves out an attribute with no value. */
	CHECK_CONTAINS(s, "msg=x\tev_nested=[1,2],[],[\"a\"]\t"
	    "ev_name=J\xc3\xbcrgen \xe6\x9d\xb1\xe4\xba\xac");
	CHECK(s != NULL && strcmp(s + strlen(s) - 3, "\xe4\xba\xac") == 0);
	free(s);

	s = fmt("json", a);
	REQUIRE(s != NULL);
	m = json_loads(s, 0, &e);
	REQUIRE(m != NULL);
	back = json_object_get(json_object_get(m, "leakwatch"), "evidence");
	CHECK(json_equal(back, json_object_get(a, "evidence")));
	json_decref(m);
	free(s);
	json_decref(a);
}

static void
test_buf_empty_release(void)
{
	struct buf b = { NULL, 0, 0 };
	size_t len = 99;
	char *s;

	s = buf_release(&b, &len);
	REQUIRE(s != NULL);
	CHECK_INT(len, 0);
	CHECK_STR(s, "");
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
	free(s);
	buf_reserve(&b, 10);
	CHECK_STR(b.data, "");
	free(b.data);
}

static void
test_lookup(void)
{
	CHECK(fmt_lookup("rfc5424") == &fmt_rfc5424);
	CHECK(fmt_lookup("cef") == &fmt_cef);
	CHECK(fmt_lookup("leef") == &fmt_leef);
	CHECK(fmt_lookup("json") == &fmt_json);
	CHECK(fmt_lookup("xml") == NULL);
}

/*
 * A case message as the analytics make it (case_message(), cases.c):
 * each format carries it with the case's id, subject, severity, score,
 * story and what changed, and says it is a case, not an alert.
 */
static json_t *
case_msg(const char *update)
{
	json_t *m = case_message("2026-11-22T10:00:00.123456Z",
	    "0dceab09e6933c66", "person", "e0108", "e0108", "Sales",
	    "critical", 97.4, 3, 1795341600123456LL, 1795345200000000LL,
	    "read 407,161 sensitive rows, then sent 517.9 MB", "open",
	    update);

	if (m == NULL)
		abort();
	return m;
}

static void
test_case_rfc5424(void)
{
	json_t *m = case_msg("opened");
	char *s = fmt("rfc5424", m);

	CHECK_STR(s, "<106>1 2026-11-22T10:00:00.123456Z collector1 "
	    "leakwatch 42 CASE [leakwatch@32473 id=\"0dceab09e6933c66\" "
	    "employee=\"e0108\" rule=\"case_opened\" "
	    "severity=\"critical\" summary=\"read 407,161 sensitive rows, "
	    "then sent 517.9 MB\" score=\"97\" "
	    "ts=\"2026-11-22T10:00:00.123456Z\" ev.update=\"opened\" "
	    "ev.kind=\"person\" ev.members=\"e0108\" "
	    "ev.department=\"Sales\" ev.alerts=\"3\" "
	    "ev.first_evidence=\"2026-11-22T10:00:00.123456Z\" "
	    "ev.last_evidence=\"2026-11-22T11:00:00.000000Z\" "
	    "ev.status=\"open\"] \xef\xbb\xbf"
	    "read 407,161 sensitive rows, then sent 517.9 MB");
	free(s);
	json_decref(m);
}

static void
test_case_cef(void)
{
	json_t *m = case_msg("severity_raised");
	char *s = fmt("cef", m);

	CHECK_STR(s, "CEF:0|leakwatch|leakwatch|" LEAKWATCH_VERSION
	    "|case_updated|read 407,161 sensitive rows, then sent 517.9 MB|"
	    "10|rt=1795341600123 externalId=0dceab09e6933c66 suser=e0108 "
	    "cat=insider/data-exfiltration msg=read 407,161 sensitive rows, "
	    "then sent 517.9 MB cn1Label=score cn1=97 cs1Label=rule "
	    "cs1=case_updated cs2Label=severity cs2=critical "
	    "cs3Label=evidence cs3=update: severity_raised; kind: person; "
	    "members: e0108; department: Sales; alerts: 3; first_evidence: "
	    "2026-11-22T10:00:00.123456Z; last_evidence: "
	    "2026-11-22T11:00:00.000000Z; status: open");
	free(s);
	json_decref(m);
}

static void
test_case_leef(void)
{
	json_t *m = case_msg("alert_joined");
	char *s = fmt("leef", m);

	CHECK_STR(s, "LEEF:2.0|leakwatch|leakwatch|" LEAKWATCH_VERSION
	    "|case_updated|x09|devTime=1795341600123\tsev=10\tcat=insider\t"
	    "usrName=e0108\talertId=0dceab09e6933c66\tseverity=critical\t"
	    "score=97\tmsg=read 407,161 sensitive rows, then sent 517.9 MB\t"
	    "ev_update=alert_joined\tev_kind=person\tev_members=e0108\t"
	    "ev_department=Sales\tev_alerts=3\t"
	    "ev_first_evidence=2026-11-22T10:00:00.123456Z\t"
	    "ev_last_evidence=2026-11-22T11:00:00.000000Z\tev_status=open");
	free(s);
	json_decref(m);
}

static void
test_case_json(void)
{
	json_t *a = case_msg("opened"), *m, *ev;
	json_error_t e;
	char *s = fmt("json", a);

	REQUIRE(s != NULL);
	REQUIRE((m = json_loads(s, 0, &e)) != NULL);
	CHECK_STR(json_string_value(json_object_get(json_object_get(m,
	    "event"), "dataset")), "leakwatch.case");
	CHECK_STR(json_string_value(json_object_get(json_object_get(m,
	    "event"), "kind")), "alert");
	CHECK_STR(json_string_value(json_object_get(json_object_get(m,
	    "event"), "id")), "0dceab09e6933c66");
	CHECK_STR(json_string_value(json_object_get(json_object_get(m,
	    "rule"), "name")), "case_opened");
	CHECK_INT(json_integer_value(json_object_get(json_object_get(m,
	    "event"), "severity")), 99);
	ev = json_object_get(json_object_get(m, "leakwatch"), "evidence");
	CHECK_STR(json_string_value(json_object_get(ev, "update")),
	    "opened");
	CHECK_INT(json_integer_value(json_object_get(ev, "alerts")), 3);
	CHECK_STR(json_string_value(json_object_get(m, "message")),
	    "read 407,161 sensitive rows, then sent 517.9 MB");
	json_decref(m);
	free(s);
	json_decref(a);
}

/*
 * A forwarded db.query that an agent folded from 412 statements: every
 * format carries its count, first_ts and max_rows where it puts the
 * event's fields, and the summary says how many queries it stands for;
 * a single statement's message has neither.
 */
static json_t *
agg_event(int folded)
{
	json_error_t e;
	json_t *ev = json_loads("{\"type\":\"db.query\",\"ts\":"
	    "\"2026-11-22T10:00:09.500000Z\",\"db_system\":\"postgresql\","
	    "\"db_user\":\"ana\",\"command\":\"SELECT\",\"rows\":1200,"
	    "\"status\":\"ok\"}", JSON_PRESERVE_ORDER, &e);

	if (ev == NULL)
		abort();
	if (folded) {
		json_object_set_new(ev, "count", json_integer(412));
		json_object_set_new(ev, "first_ts",
		    json_string("2026-11-22T10:00:00.004112Z"));
		json_object_set_new(ev, "max_rows", json_integer(3));
	}
	return ev;
}

static void
test_event_aggregate(void)
{
	json_t *ev = agg_event(1), *m, *j, *x;
	json_error_t e;
	char *s;

	REQUIRE((m = fwd_event_message(ev, "ana")) != NULL);
	CHECK_STR(json_string_value(json_object_get(m, "summary")),
	    "db.query event, 412 queries");
	s = fmt("rfc5424", m);
	CHECK_CONTAINS(s, " EVENT [");
	CHECK_CONTAINS(s, " ev.count=\"412\" "
	    "ev.first_ts=\"2026-11-22T10:00:00.004112Z\" ev.max_rows=\"3\"]");
	free(s);
	s = fmt("cef", m);
	CHECK_CONTAINS(s, "; count: 412; first_ts: "
	    "2026-11-22T10:00:00.004112Z; max_rows: 3");
	CHECK_CONTAINS(s, "msg=db.query event, 412 queries ");
	free(s);
	s = fmt("leef", m);
	CHECK_CONTAINS(s, "\tev_count=412\tev_first_ts="
	    "2026-11-22T10:00:00.004112Z\tev_max_rows=3");
	free(s);
	s = fmt("json", m);
	REQUIRE((j = json_loads(s, 0, &e)) != NULL);
	x = json_object_get(json_object_get(j, "leakwatch"), "evidence");
	CHECK_INT(json_integer_value(json_object_get(x, "count")), 412);
	CHECK_INT(json_integer_value(json_object_get(x, "max_rows")), 3);
	CHECK_INT(json_integer_value(json_object_get(x, "rows")), 1200);
	CHECK_STR(json_string_value(json_object_get(x, "first_ts")),
	    "2026-11-22T10:00:00.004112Z");
	json_decref(j);
	free(s);
	json_decref(m);
	json_decref(ev);
	/* one statement: no count, the plain summary */
	ev = agg_event(0);
	REQUIRE((m = fwd_event_message(ev, "ana")) != NULL);
	CHECK_STR(json_string_value(json_object_get(m, "summary")),
	    "db.query event");
	s = fmt("rfc5424", m);
	CHECK(strstr(s, "ev.count") == NULL);
	free(s);
	json_decref(m);
	json_decref(ev);
}

static const struct test tests[] = {
	{ "event_aggregate", test_event_aggregate },
	{ "hostile_strings", test_hostile_strings },
	{ "case_rfc5424", test_case_rfc5424 },
	{ "case_cef", test_case_cef },
	{ "case_leef", test_case_leef },
	{ "case_json", test_case_json },
	{ "rfc5424_exact", test_rfc5424_exact },
	{ "rfc5424_escaping", test_rfc5424_escaping },
	{ "rfc5424_names", test_rfc5424_names },
	{ "rfc5424_pri", test_rfc5424_pri },
	{ "cef", test_cef },
	{ "leef", test_leef },
	{ "json", test_json },
	{ "odd_evidence", test_odd_evidence },
	{ "buf_empty_release", test_buf_empty_release },
	{ "lookup", test_lookup },
};

HARNESS_MAIN(tests)
