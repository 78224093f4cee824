/*
 * Unit tests for lib/event.c: the schema tables, every rejection the
 * validator promises (each must name the field and must not repeat the
 * bad value), the byte-exact encode/parse round trip, `agent` overwrite,
 * input bounds, and two tests that hold docs/events.md to the code: every
 * type and field is documented, and every example line in it is valid.
 * Run from the top of the tree (tests/run.sh does) so docs/ is found.
 */
#include "harness.h"

#include <jansson.h>

#include "leakwatch/event.h"
#include "leakwatch/event-scan.h"

#define TS_TEXT		"2026-11-22T10:00:00.123456Z"
/* 2026-11-22 is day 20779 after 1970-01-01: 20779 * 86400 + 10 * 3600. */
#define TS_US		(1795341600LL * 1000000 + 123456)
#define SECRET		"SECRET-4711-CUSTOMER"
#define UINT53		9007199254740991LL
#define DOCS		"docs/events.md"

/* The smallest valid event of each type, indexed by enum event_type. */
static const char *const min_lines[EVENT_NTYPES] = {
	"{\"type\":\"db.query\",\"ts\":\"" TS_TEXT "\",\"db_system\":"
	    "\"postgresql\",\"db_user\":\"alice\",\"command\":\"SELECT\","
	    "\"status\":\"ok\"}",
	"{\"type\":\"db.session\",\"ts\":\"" TS_TEXT "\",\"db_system\":"
	    "\"mysql\",\"action\":\"connect\"}",
	"{\"type\":\"net.flow\",\"ts\":\"" TS_TEXT "\",\"flow_id\":\"f1\","
	    "\"src\":\"10.0.0.5\",\"dst\":\"203.0.113.9\",\"l4\":\"tcp\","
	    "\"bytes_out\":1000,\"bytes_in\":200}",
	"{\"type\":\"alert\",\"ts\":\"" TS_TEXT "\",\"id\":\"a1\","
	    "\"employee\":\"alice\",\"rule\":\"bulk_read\",\"severity\":"
	    "\"high\",\"score\":87.5,\"summary\":\"38x median\"}",
	"{\"type\":\"agent.status\",\"ts\":\"" TS_TEXT "\",\"version\":"
	    "\"0.1.0\"}"
};

static char	 big[70000];	/* 'a' * n for long strings */

static const char *
fill(size_t n)
{
	memset(big, 'a', sizeof(big));
	if (n >= sizeof(big))
		abort();
	big[n] = '\0';
	return big;
}

static struct lw_event *
parse_str(const char *s, char *err, size_t errlen)
{
	err[0] = '\0';
	return lw_event_parse(s, strlen(s), err, errlen);
}

static json_t *
min_obj(enum event_type t)
{
	json_t *o = json_loads(min_lines[t], 0, NULL);

	if (o == NULL)
		abort();
	return o;
}

/* Validates o, consumed; 0 if it was accepted, -1 with err if not. */
static int
try_obj(json_t *o, char *err, size_t errlen)
{
	struct lw_event *ev;

	err[0] = '\0';
	if ((ev = lw_event_from_json(o, err, errlen)) == NULL)
		return -1;
	lw_event_free(ev);
	return 0;
}

/* The minimal event of type t with field name set to v (consumed). */
static int
try_with(enum event_type t, const char *name, json_t *v, char *err,
    size_t errlen)
{
	json_t *o = min_obj(t);

	if (v == NULL || json_object_set_new(o, name, v) != 0)
		abort();
	return try_obj(o, err, errlen);
}

static const char *
quoted(const char *name)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "\"%s\"", name);
	return buf;
}

static char *
slurp(const char *path)
{
	FILE *f;
	char *buf;
	long n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 ||
	    (buf = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
test_type_names(void)
{
	enum event_type t;
	int i;

	CHECK_STR(lw_event_type_name(EVENT_DB_QUERY), "db.query");
	CHECK_STR(lw_event_type_name(EVENT_DB_SESSION), "db.session");
	CHECK_STR(lw_event_type_name(EVENT_NET_FLOW), "net.flow");
	CHECK_STR(lw_event_type_name(EVENT_ALERT), "alert");
	CHECK_STR(lw_event_type_name(EVENT_AGENT_STATUS), "agent.status");
	CHECK_STR(lw_event_type_name(EVENT_NTYPES), "unknown");
	for (i = 0; i < EVENT_NTYPES; i++) {
		t = EVENT_NTYPES;
		CHECK_INT(lw_event_type_lookup(lw_event_type_name(i), &t), 0);
		CHECK_INT(t, i);
	}
	CHECK_INT(lw_event_type_lookup("db.Query", &t), -1);
	CHECK_INT(lw_event_type_lookup("unknown", &t), -1);
	CHECK_INT(lw_event_type_lookup(NULL, &t), -1);
}

static void
test_field_tables(void)
{
	const struct event_field *f;
	int t, i, j;

	CHECK(lw_event_fields(EVENT_NTYPES) == NULL);
	for (t = 0; t < EVENT_NTYPES; t++) {
		f = lw_event_fields(t);
		REQUIRE(f != NULL);
		CHECK_STR(f[0].name, "type");
		CHECK_INT(f[0].kind, FIELD_ENUM);
		CHECK_INT(f[0].flags & FIELD_REQUIRED, FIELD_REQUIRED);
		CHECK_STR(f[1].name, "ts");
		CHECK_INT(f[1].kind, FIELD_TS);
		CHECK_INT(f[1].flags & FIELD_REQUIRED, FIELD_REQUIRED);
		CHECK_STR(f[2].name, "agent");
		CHECK_INT(f[2].flags & FIELD_REQUIRED, 0);
		CHECK_INT(f[2].maxlen, EVENT_AGENT_MAX);
		for (i = 0; f[i].name != NULL; i++) {
			for (j = 0; j < i; j++)
				CHECK(strcmp(f[i].name, f[j].name) != 0);
			if (f[i].kind == FIELD_ENUM)
				CHECK(f[i].values != NULL &&
				    f[i].values[0] != NULL);
			if (f[i].kind == FIELD_STR || f[i].kind == FIELD_HEX ||
			    f[i].kind == FIELD_STRLIST ||
			    f[i].kind == FIELD_OBJECT)
				CHECK(f[i].maxlen > 0);
		}
		/* event.c marks seen fields in one uint64_t. */
		CHECK(i < 64);
	}
	/* Spot checks against the brief. */
	f = lw_event_fields(EVENT_NET_FLOW);
	for (i = 0; f[i].name != NULL; i++) {
		if (strcmp(f[i].name, "sport") == 0)
			CHECK_INT(f[i].max, 65535);
		if (strcmp(f[i].name, "vlan") == 0)
			CHECK_INT(f[i].max, 4095);
		if (strcmp(f[i].name, "bytes_out") == 0)
			CHECK_INT(f[i].max, UINT53);
	}
}

static void
check_min(enum event_type t)
{
	char err[256];
	struct lw_event *ev;

	ev = parse_str(min_lines[t], err, sizeof(err));
	if (ev == NULL)
		FAILF("%s: %s", lw_event_type_name(t), err);
	REQUIRE(ev != NULL);
	CHECK_INT(ev->type, t);
	CHECK_INT(ev->ts_us, TS_US);
	CHECK_STR(json_string_value(json_object_get(ev->obj, "type")),
	    lw_event_type_name(t));
	lw_event_free(ev);
}

static void
test_min_db_query(void)
{
	check_min(EVENT_DB_QUERY);
}

static void
test_min_db_session(void)
{
	check_min(EVENT_DB_SESSION);
}

static void
test_min_net_flow(void)
{
	check_min(EVENT_NET_FLOW);
}

static void
test_min_alert(void)
{
	check_min(EVENT_ALERT);
}

static void
test_min_agent_status(void)
{
	check_min(EVENT_AGENT_STATUS);
}

static void
test_validate_direct(void)
{
	char err[256];
	enum event_type t = EVENT_NTYPES;
	int64_t us = 0;
	json_t *o = min_obj(EVENT_NET_FLOW);

	CHECK_INT(lw_event_validate(o, &t, &us, err, sizeof(err)), 0);
	CHECK_INT(t, EVENT_NET_FLOW);
	CHECK_INT(us, TS_US);
	/* Outputs are optional, and a failure leaves them alone. */
	CHECK_INT(lw_event_validate(o, NULL, NULL, NULL, 0), 0);
	json_object_set_new(o, "ts", json_string("1970-01-01T00:00:01Z"));
	CHECK_INT(lw_event_validate(o, &t, &us, err, sizeof(err)), 0);
	CHECK_INT(us, 1000000);
	json_object_set_new(o, "sport", json_integer(70000));
	us = 42;
	CHECK_INT(lw_event_validate(o, &t, &us, err, sizeof(err)), -1);
	CHECK_INT(us, 42);
	CHECK_CONTAINS(err, "\"sport\"");
	json_decref(o);
}

static void
test_not_object(void)
{
	static const char *const in[] = {
		"[]", "[{\"type\":\"alert\"}]", "42", "\"db.query\"", "null",
		"true"
	};
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		CHECK(parse_str(in[i], err, sizeof(err)) == NULL);
		CHECK_STR(err, "event is not a JSON object");
	}
	CHECK(parse_str("", err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "invalid JSON");
	CHECK(lw_event_parse(NULL, 0, err, sizeof(err)) == NULL);
	CHECK(lw_event_from_json(NULL, err, sizeof(err)) == NULL);
}

static void
test_missing_type(void)
{
	char err[256];
	json_t *o = min_obj(EVENT_DB_QUERY);

	json_object_del(o, "type");
	CHECK_INT(try_obj(o, err, sizeof(err)), -1);
	CHECK_STR(err, "missing field \"type\"");
	CHECK(parse_str("{}", err, sizeof(err)) == NULL);
	CHECK_STR(err, "missing field \"type\"");
	CHECK_INT(try_with(EVENT_DB_QUERY, "type", json_integer(1), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "field \"type\": expected string");
}

static void
test_unknown_type(void)
{
	char err[256];

	CHECK_INT(try_with(EVENT_DB_QUERY, "type", json_string("db.querx"),
	    err, sizeof(err)), -1);
	CHECK_STR(err, "unknown event type \"db.querx\"");
	/* A name that does not look like one is not repeated. */
	CHECK_INT(try_with(EVENT_DB_QUERY, "type",
	    json_string("x\" injected=1 " SECRET), err, sizeof(err)), -1);
	CHECK_STR(err, "unknown event type");
	CHECK_INT(try_with(EVENT_DB_QUERY, "type", json_string(fill(200)),
	    err, sizeof(err)), -1);
	CHECK_STR(err, "unknown event type");
	CHECK_INT(try_with(EVENT_DB_QUERY, "type", json_stringn("alert\0x", 7),
	    err, sizeof(err)), -1);
	CHECK_STR(err, "unknown event type");
}

/* Every required field of every type, removed one at a time. */
static void
test_missing_required(void)
{
	const struct event_field *f;
	char err[256], want[128];
	json_t *o;
	int t, i, n = 0;

	for (t = 0; t < EVENT_NTYPES; t++) {
		f = lw_event_fields(t);
		for (i = 0; f[i].name != NULL; i++) {
			if (!(f[i].flags & FIELD_REQUIRED))
				continue;
			o = min_obj(t);
			REQUIRE(json_object_del(o, f[i].name) == 0);
			CHECK_INT(try_obj(o, err, sizeof(err)), -1);
			if (i == 0)
				snprintf(want, sizeof(want),
				    "missing field \"type\"");
			else
				snprintf(want, sizeof(want), "missing required "
				    "field \"%s\" for %s", f[i].name,
				    lw_event_type_name(t));
			CHECK_STR(err, want);
			n++;
		}
	}
	CHECK_INT(n, 5 * 2 + 4 + 2 + 6 + 6 + 1);
}

static json_t *
wrong_value(enum event_kind k)
{
	switch (k) {
	case FIELD_STR:
	case FIELD_ENUM:
	case FIELD_HEX:
	case FIELD_TS:
	case FIELD_BOOL:
		return json_integer(1);
	case FIELD_UINT:
	case FIELD_NUM:
		return json_string("1");
	case FIELD_STRLIST:
		return json_string("x");
	case FIELD_UINTMAP:
	case FIELD_OBJECT:
		return json_array();
	}
	return json_null();
}

/* Every field of every type given a value of the wrong JSON type. */
static void
test_wrong_json_type(void)
{
	const struct event_field *f;
	char err[256];
	int t, i;

	for (t = 0; t < EVENT_NTYPES; t++) {
		f = lw_event_fields(t);
		for (i = 0; f[i].name != NULL; i++) {
			CHECK_INT(try_with(t, f[i].name, wrong_value(f[i].kind),
			    err, sizeof(err)), -1);
			CHECK_CONTAINS(err, quoted(f[i].name));
			CHECK_CONTAINS(err, "expected");
		}
	}
	CHECK_INT(try_with(EVENT_DB_QUERY, "rows", json_real(5.0), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "field \"rows\": expected unsigned integer");
	CHECK_INT(try_with(EVENT_DB_QUERY, "partial", json_null(), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "field \"partial\": expected boolean");
	CHECK_INT(try_with(EVENT_DB_QUERY, "server", json_null(), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "field \"server\": expected string");
}

/* Every string field: maxlen bytes pass, one more is refused. */
static void
test_string_bounds(void)
{
	const struct event_field *f;
	char err[256];
	int t, i, n = 0;

	for (t = 0; t < EVENT_NTYPES; t++) {
		f = lw_event_fields(t);
		for (i = 0; f[i].name != NULL; i++) {
			if (f[i].kind != FIELD_STR)
				continue;
			if (try_with(t, f[i].name, json_string(fill(
			    f[i].maxlen)), err, sizeof(err)) != 0)
				FAILF("%s.%s at bound: %s", lw_event_type_name(t),
				    f[i].name, err);
			CHECK_INT(try_with(t, f[i].name, json_string(fill(
			    f[i].maxlen + 1)), err, sizeof(err)), -1);
			CHECK_CONTAINS(err, quoted(f[i].name));
			CHECK_CONTAINS(err, "longer than");
			n++;
		}
	}
	CHECK_INT(n, 11 + 8 + 8 + 5 + 2);
	/* The empty string is a value like any other. */
	CHECK_INT(try_with(EVENT_DB_QUERY, "app_name", json_string(""), err,
	    sizeof(err)), 0);
}

/* Bounds are bytes, not characters; any valid UTF-8 passes. */
static void
test_unicode(void)
{
	char err[256], s[200];
	struct lw_event *ev, *ev2;
	char *enc, *enc2;
	size_t len, len2, i;

	for (i = 0; i < 32; i++)
		memcpy(s + 2 * i, "\xc3\xa9", 2);	/* U+00E9, 2 bytes */
	CHECK_INT(try_with(EVENT_DB_QUERY, "server", json_stringn(s, 64), err,
	    sizeof(err)), 0);
	memcpy(s + 64, "e", 1);
	CHECK_INT(try_with(EVENT_DB_QUERY, "server", json_stringn(s, 65), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "field \"server\": longer than 64 bytes");

	/* Escapes decode to UTF-8 and encode raw; the second trip is exact. */
	ev = parse_str("{\"type\":\"db.query\",\"ts\":\"" TS_TEXT "\","
	    "\"db_system\":\"postgresql\",\"db_user\":\"\\u00e9\\u4e2d"
	    "\\ud83d\\ude00\",\"command\":\"SELECT\",\"status\":\"ok\","
	    "\"statement\":\"SELECT \\\"na\\/me\\\" FROM t\\n\"}", err,
	    sizeof(err));
	REQUIRE(ev != NULL);
	CHECK_STR(json_string_value(json_object_get(ev->obj, "db_user")),
	    "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80");
	enc = lw_event_encode(ev, &len);
	REQUIRE(enc != NULL);
	CHECK_CONTAINS(enc, "\"db_user\":\"\xc3\xa9\xe4\xb8\xad"
	    "\xf0\x9f\x98\x80\"");
	CHECK_CONTAINS(enc, "\"statement\":\"SELECT \\\"na/me\\\" FROM t\\n\"");
	ev2 = lw_event_parse(enc, len, err, sizeof(err));
	REQUIRE(ev2 != NULL);
	enc2 = lw_event_encode(ev2, &len2);
	CHECK_INT(len2, len);
	CHECK_STR(enc2, enc);
	free(enc);
	free(enc2);
	lw_event_free(ev);
	lw_event_free(ev2);
}

static void
test_nul_in_string(void)
{
	char err[256];
	json_t *l, *m;

	CHECK(parse_str("{\"type\":\"db.query\",\"ts\":\"" TS_TEXT "\","
	    "\"db_system\":\"postgresql\",\"db_user\":\"al\\u0000ice\","
	    "\"command\":\"SELECT\",\"status\":\"ok\"}", err,
	    sizeof(err)) == NULL);
	CHECK_STR(err, "field \"db_user\": contains a NUL byte");
	CHECK_INT(try_with(EVENT_DB_QUERY, "statement",
	    json_stringn("SELECT\0x", 8), err, sizeof(err)), -1);
	CHECK_STR(err, "field \"statement\": contains a NUL byte");
	/* A NUL must not hide a suffix from the enum or timestamp check. */
	CHECK_INT(try_with(EVENT_DB_QUERY, "status", json_stringn("ok\0x", 4),
	    err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "\"status\"");
	CHECK_INT(try_with(EVENT_DB_QUERY, "ts",
	    json_stringn(TS_TEXT "\0x", sizeof(TS_TEXT) + 1), err,
	    sizeof(err)), -1);
	CHECK_CONTAINS(err, "\"ts\"");
	l = json_array();
	json_array_append_new(l, json_string("public.t"));
	json_array_append_new(l, json_stringn("a\0b", 3));
	CHECK_INT(try_with(EVENT_DB_QUERY, "tables", l, err, sizeof(err)), -1);
	CHECK_STR(err, "field \"tables\": entry 1 contains a NUL byte");
	m = json_object();
	json_object_set_new(m, "k", json_stringn("a\0b", 3));
	CHECK_INT(try_with(EVENT_ALERT, "evidence", m, err, sizeof(err)), -1);
	CHECK_STR(err, "field \"evidence\": string contains a NUL byte");
	/* A key with a NUL is not the field its prefix names. */
	m = min_obj(EVENT_DB_QUERY);
	json_object_setn_new(m, "rows\0x", 6, json_integer(1));
	CHECK_INT(try_obj(m, err, sizeof(err)), -1);
	CHECK_STR(err, "unknown field for db.query");
}

/*
 * Names (FIELD_TEXT) refuse control characters - ESC, CR LF, DEL, C1 -
 * escaped in the JSON or raw, through the DOM validator and the scanner
 * alike; other strings (the statement) and printable UTF-8 names pass.
 */
static int
text_verdict(const char *type_fields, const char *name, const char *json_val,
    char *err, size_t errlen)
{
	struct lw_event_scan sc;
	struct lw_event *ev;
	char buf[1024];
	int dom, scan;

	snprintf(buf, sizeof(buf), "{\"type\":%s,\"%s\":\"%s\"}",
	    type_fields, name, json_val);
	err[0] = '\0';
	ev = lw_event_parse(buf, strlen(buf), err, errlen);
	dom = ev != NULL ? 0 : -1;
	lw_event_free(ev);
	scan = lw_event_scan(buf, strlen(buf), &sc);
	/* The scanner may only say yes where the DOM does. */
	if (scan == 0 && dom != 0)
		FAILF("scanner accepts %s=\"%s\", the validator does not",
		    name, json_val);
	return dom;
}

#define Q_FIELDS	"\"db.query\",\"ts\":\"" TS_TEXT "\"," \
	"\"db_system\":\"postgresql\",\"command\":\"SELECT\"," \
	"\"status\":\"ok\",\"db_user\":\"u\""
#define S_FIELDS	"\"agent.status\",\"ts\":\"" TS_TEXT "\""
#define F_FIELDS	"\"net.flow\",\"ts\":\"" TS_TEXT "\"," \
	"\"flow_id\":\"f\",\"src\":\"10.0.0.1\",\"dst\":\"10.0.0.2\"," \
	"\"l4\":\"tcp\",\"bytes_out\":1,\"bytes_in\":1"

static void
test_text_fields(void)
{
	static const char *const bad[] = {
		"\\u001b[2J", "a\\r\\nb", "\\t", "\\b", "\\f",
		"x\\n<13>1 - forged", "\\u007f", "\x7f", "\\u009b",
		"\xc2\x9b", "\xc2\x85", "\\u0085"
	};
	static const char *const names[] = {
		"app_name", "database", "end_user", "server", "client",
		"session_id", "error_code"
	};
	char err[256];
	size_t i, k;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			if (text_verdict(Q_FIELDS, names[k], bad[i], err,
			    sizeof(err)) == 0)
				FAILF("%s=\"%s\" accepted", names[k], bad[i]);
		}
		CHECK_INT(text_verdict(S_FIELDS, "version", bad[i], err,
		    sizeof(err)), -1);
		CHECK_STR(err, "field \"version\": contains a control "
		    "character");
		CHECK_INT(text_verdict(F_FIELDS, "server_name", bad[i], err,
		    sizeof(err)), -1);
		CHECK_STR(err, "field \"server_name\": contains a control "
		    "character");
	}
	/* db_user comes first in Q_FIELDS: the second one is a duplicate. */
	CHECK_INT(try_with(EVENT_DB_QUERY, "db_user",
	    json_string("\x1b]0;x\x07"), err, sizeof(err)), -1);
	CHECK_STR(err, "field \"db_user\": contains a control character");
	CHECK_INT(try_with(EVENT_DB_SESSION, "app_name",
	    json_string("a\r\nb"), err, sizeof(err)), -1);
	CHECK_STR(err, "field \"app_name\": contains a control character");
	/* Names in any script, and what the agent's escaping writes. */
	CHECK_INT(text_verdict(Q_FIELDS, "app_name", "Zo\xc3\xab \xc3\x98rsted "
	    "\xe7\x94\xb0\xe4\xb8\xad", err, sizeof(err)), 0);
	CHECK_INT(text_verdict(Q_FIELDS, "app_name", "\\u00eb\\u00a0", err,
	    sizeof(err)), 0);
	CHECK_INT(text_verdict(Q_FIELDS, "app_name", "\\\\x1b[2J", err,
	    sizeof(err)), 0);
	/* Not a name: a statement keeps its tab and newline. */
	CHECK_INT(text_verdict(Q_FIELDS, "statement", "SELECT\\n\\t1", err,
	    sizeof(err)), 0);
}

/* Objects built with jansson's _nocheck calls are not trusted either. */
static void
test_invalid_utf8(void)
{
	static const char *const bad[] = {
		"\xff", "a\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
		"\xe0\x80\xaf", "abc\xc3", "\xf0\x8f\xbf\xbf", "abcdefgh\x80"
	};
	char err[256];
	json_t *m;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(try_with(EVENT_DB_QUERY, "end_user",
		    json_string_nocheck(bad[i]), err, sizeof(err)), -1);
		CHECK_STR(err, "field \"end_user\": not valid UTF-8");
	}
	CHECK_INT(try_with(EVENT_DB_QUERY, "end_user",
	    json_string_nocheck("\xf4\x8f\xbf\xbf \xef\xbf\xbf"), err,
	    sizeof(err)), 0);
	m = json_object();
	json_object_set_new_nocheck(m, "\xff", json_integer(1));
	CHECK_INT(try_with(EVENT_AGENT_STATUS, "counters", m, err,
	    sizeof(err)), -1);
	CHECK_CONTAINS(err, "\"counters\"");
	/* Raw bad bytes on the wire stop at jansson. */
	CHECK(parse_str("{\"type\":\"db.query\",\"db_user\":\"\xff\"}", err,
	    sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "invalid UTF-8");
}

/*
 * Every UINT field: 0 (1 for a nonzero count) and max pass; -1, max + 1
 * and 1.0 are refused, and 0 where the field is a nonzero count.
 */
static void
test_uint_range(void)
{
	const struct event_field *f;
	char err[256], want[160];
	int t, i;

	for (t = 0; t < EVENT_NTYPES; t++) {
		f = lw_event_fields(t);
		for (i = 0; f[i].name != NULL; i++) {
			if (f[i].kind != FIELD_UINT)
				continue;
			if (f[i].flags & FIELD_NONZERO) {
				CHECK_INT(try_with(t, f[i].name, json_integer(0),
				    err, sizeof(err)), -1);
				snprintf(want, sizeof(want), "field \"%s\": zero",
				    f[i].name);
				CHECK_STR(err, want);
				CHECK_INT(try_with(t, f[i].name, json_integer(1),
				    err, sizeof(err)), 0);
			} else
				CHECK_INT(try_with(t, f[i].name, json_integer(0),
				    err, sizeof(err)), 0);
			CHECK_INT(try_with(t, f[i].name, json_integer(f[i].max),
			    err, sizeof(err)), 0);
			CHECK_INT(try_with(t, f[i].name, json_integer(-1), err,
			    sizeof(err)), -1);
			snprintf(want, sizeof(want), "field \"%s\": negative",
			    f[i].name);
			CHECK_STR(err, want);
			CHECK_INT(try_with(t, f[i].name,
			    json_integer(f[i].max + 1), err, sizeof(err)), -1);
			snprintf(want, sizeof(want), "field \"%s\": above "
			    "maximum %lld", f[i].name, f[i].max);
			CHECK_STR(err, want);
			CHECK_INT(try_with(t, f[i].name, json_real(1.0), err,
			    sizeof(err)), -1);
			snprintf(want, sizeof(want), "field \"%s\": expected "
			    "unsigned integer", f[i].name);
			CHECK_STR(err, want);
		}
	}
	/* The scanner refuses a zero count too, and takes one. */
	{
		struct lw_event_scan sc;
		const char *z = "{\"type\":" Q_FIELDS ",\"count\":0}";
		const char *one = "{\"type\":" Q_FIELDS ",\"count\":1}";

		CHECK_INT(lw_event_scan(z, strlen(z), &sc), -1);
		CHECK_INT(lw_event_scan(one, strlen(one), &sc), 0);
	}
	/* Beyond 64 bits jansson itself refuses the number. */
	CHECK(parse_str("{\"type\":\"db.query\",\"rows\":"
	    "99999999999999999999}", err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "number out of range");
}

static void
test_num_range(void)
{
	char err[256];

	CHECK_INT(try_with(EVENT_ALERT, "score", json_integer(0), err,
	    sizeof(err)), 0);
	CHECK_INT(try_with(EVENT_ALERT, "score", json_integer(100), err,
	    sizeof(err)), 0);
	CHECK_INT(try_with(EVENT_ALERT, "score", json_real(99.999), err,
	    sizeof(err)), 0);
	CHECK_INT(try_with(EVENT_ALERT, "score", json_real(100.001), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "field \"score\": out of range 0..100");
	CHECK_INT(try_with(EVENT_ALERT, "score", json_integer(-1), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "field \"score\": out of range 0..100");
	CHECK_INT(try_with(EVENT_ALERT, "score", json_real(-0.5), err,
	    sizeof(err)), -1);
	CHECK_INT(try_with(EVENT_ALERT, "score", json_true(), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "field \"score\": expected number");
}

static void
test_bool(void)
{
	char err[256];

	CHECK_INT(try_with(EVENT_NET_FLOW, "final", json_true(), err,
	    sizeof(err)), 0);
	CHECK_INT(try_with(EVENT_NET_FLOW, "final", json_false(), err,
	    sizeof(err)), 0);
	CHECK_INT(try_with(EVENT_NET_FLOW, "final", json_string("true"), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "field \"final\": expected boolean");
	CHECK_INT(try_with(EVENT_NET_FLOW, "final", json_integer(0), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "field \"final\": expected boolean");
}

/* Every ENUM field: each listed value passes, anything else is refused. */
static void
test_enum_values(void)
{
	const struct event_field *f;
	char err[256];
	int t, i, v;

	for (t = 0; t < EVENT_NTYPES; t++) {
		f = lw_event_fields(t);
		for (i = 1; f[i].name != NULL; i++) {
			if (f[i].kind != FIELD_ENUM)
				continue;
			for (v = 0; f[i].values[v] != NULL; v++)
				CHECK_INT(try_with(t, f[i].name,
				    json_string(f[i].values[v]), err,
				    sizeof(err)), 0);
			CHECK_INT(try_with(t, f[i].name, json_string(SECRET),
			    err, sizeof(err)), -1);
			CHECK_CONTAINS(err, quoted(f[i].name));
			CHECK_CONTAINS(err, "expected one of ");
			CHECK(strstr(err, SECRET) == NULL);
			/* Case matters: values are lower-case. */
			CHECK_INT(try_with(t, f[i].name, json_string(""), err,
			    sizeof(err)), -1);
		}
	}
	CHECK_INT(try_with(EVENT_DB_QUERY, "status", json_string("OK"), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "field \"status\": expected one of ok|error");
	CHECK_INT(try_with(EVENT_NET_FLOW, "l4", json_string("sctp"), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "field \"l4\": expected one of "
	    "tcp|udp|icmp|icmp6|other");
}

static void
test_timestamps(void)
{
	static const char *const bad[] = {
		"", "2026-11-22", "2026-11-22 10:00:00Z",
		"2026-11-22T10:00:00+01:00", "2026-11-22T10:00:00.123456",
		"2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
		"2026-11-22T24:00:00Z", "2026-11-22T10:00:00.Z",
		"2026-11-22T10:00:00.1234567890Z", "2026-11-22t10:00:00z",
		"1763805600", SECRET
	};
	static const char *const ts_fields[] = { "first_ts", "last_ts" };
	char err[256], want[128];
	struct lw_event *ev;
	size_t i, j;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(try_with(EVENT_DB_SESSION, "ts", json_string(bad[i]),
		    err, sizeof(err)), -1);
		CHECK_STR(err, "field \"ts\": expected RFC 3339 UTC timestamp");
		for (j = 0; j < 2; j++) {
			CHECK_INT(try_with(EVENT_NET_FLOW, ts_fields[j],
			    json_string(bad[i]), err, sizeof(err)), -1);
			snprintf(want, sizeof(want), "field \"%s\": expected "
			    "RFC 3339 UTC timestamp", ts_fields[j]);
			CHECK_STR(err, want);
		}
	}
	CHECK_INT(try_with(EVENT_NET_FLOW, "ts", json_integer(1), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "field \"ts\": expected string");
	/* Fewer fraction digits, none, and a leap day. */
	ev = parse_str("{\"type\":\"agent.status\",\"ts\":"
	    "\"2024-02-29T23:59:59.5Z\",\"version\":\"1\"}", err,
	    sizeof(err));
	REQUIRE(ev != NULL);
	CHECK_INT(ev->ts_us, 1709251199500000LL);
	lw_event_free(ev);
	ev = parse_str("{\"type\":\"agent.status\",\"ts\":"
	    "\"1970-01-01T00:00:00Z\",\"version\":\"1\"}", err,
	    sizeof(err));
	REQUIRE(ev != NULL);
	CHECK_INT(ev->ts_us, 0);
	lw_event_free(ev);
}

static void
test_hex(void)
{
	char err[256];

	CHECK_INT(try_with(EVENT_DB_QUERY, "fingerprint",
	    json_string("0123456789abcdef"), err, sizeof(err)), 0);
	CHECK_INT(try_with(EVENT_DB_QUERY, "fingerprint",
	    json_string("0123456789ABCDEF"), err, sizeof(err)), -1);
	CHECK_STR(err, "field \"fingerprint\": expected 16 lower-case hex "
	    "digits");
	CHECK_INT(try_with(EVENT_DB_QUERY, "fingerprint",
	    json_string("0123456789abcde"), err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "\"fingerprint\"");
	CHECK_INT(try_with(EVENT_DB_QUERY, "fingerprint",
	    json_string("0123456789abcdef0"), err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "\"fingerprint\"");
	CHECK_INT(try_with(EVENT_DB_QUERY, "fingerprint",
	    json_string("0123456789abcdeg"), err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "\"fingerprint\"");
	CHECK_INT(try_with(EVENT_AGENT_STATUS, "instance",
	    json_string("00112233445566778899aabbccddeeff"), err,
	    sizeof(err)), 0);
	CHECK_INT(try_with(EVENT_AGENT_STATUS, "instance",
	    json_string("0123456789abcdef"), err, sizeof(err)), -1);
	CHECK_STR(err, "field \"instance\": expected 32 lower-case hex digits");
}

static json_t *
str_list(size_t n, size_t len)
{
	json_t *l = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(l, json_string(fill(len)));
	return l;
}

static void
test_strlist(void)
{
	char err[256];
	json_t *l;

	/* Both bounds at once: 256 names of 256 bytes (64 KiB). */
	CHECK_INT(try_with(EVENT_DB_QUERY, "tables", str_list(256, 256), err,
	    sizeof(err)), 0);
	CHECK_INT(try_with(EVENT_DB_QUERY, "tables", json_array(), err,
	    sizeof(err)), 0);
	CHECK_INT(try_with(EVENT_DB_QUERY, "tables", str_list(257, 1), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "field \"tables\": more than 256 entries");
	l = str_list(3, 256);
	json_array_append_new(l, json_string(fill(257)));
	CHECK_INT(try_with(EVENT_DB_QUERY, "tables", l, err, sizeof(err)), -1);
	CHECK_STR(err, "field \"tables\": entry 3 longer than 256 bytes");
	l = str_list(1, 5);
	json_array_append_new(l, json_integer(5));
	CHECK_INT(try_with(EVENT_DB_QUERY, "tables", l, err, sizeof(err)), -1);
	CHECK_STR(err, "field \"tables\": entry 1 not a string");
	CHECK_INT(try_with(EVENT_NET_FLOW, "risks", str_list(64, 64), err,
	    sizeof(err)), 0);
	CHECK_INT(try_with(EVENT_NET_FLOW, "risks", str_list(65, 4), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "field \"risks\": more than 64 entries");
	CHECK_INT(try_with(EVENT_NET_FLOW, "risks", str_list(1, 65), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "field \"risks\": entry 0 longer than 64 bytes");
	CHECK_INT(try_with(EVENT_AGENT_STATUS, "sources", str_list(32, 256),
	    err, sizeof(err)), 0);
	CHECK_INT(try_with(EVENT_AGENT_STATUS, "sources", str_list(33, 1),
	    err, sizeof(err)), -1);
	CHECK_STR(err, "field \"sources\": more than 32 entries");
}

static void
test_uintmap(void)
{
	char err[256], key[80];
	json_t *m;
	int i;

	m = json_object();
	for (i = 0; i < 64; i++) {
		snprintf(key, sizeof(key), "%.60s%03d", fill(60), i);
		json_object_set_new(m, key, json_integer(i ? UINT53 : 0));
	}
	CHECK_INT(try_with(EVENT_AGENT_STATUS, "counters", m, err,
	    sizeof(err)), 0);
	m = json_object();
	for (i = 0; i < 65; i++) {
		snprintf(key, sizeof(key), "c%d", i);
		json_object_set_new(m, key, json_integer(1));
	}
	CHECK_INT(try_with(EVENT_AGENT_STATUS, "counters", m, err,
	    sizeof(err)), -1);
	CHECK_STR(err, "field \"counters\": more than 64 keys");
	m = json_object();
	json_object_set_new(m, "ok", json_integer(1));
	json_object_set_new(m, "bad", json_integer(-1));
	CHECK_INT(try_with(EVENT_AGENT_STATUS, "counters", m, err,
	    sizeof(err)), -1);
	CHECK_STR(err, "field \"counters\": value negative");
	m = json_object();
	json_object_set_new(m, "bad", json_real(1.5));
	CHECK_INT(try_with(EVENT_AGENT_STATUS, "counters", m, err,
	    sizeof(err)), -1);
	CHECK_STR(err, "field \"counters\": value expected unsigned integer");
	m = json_object();
	json_object_set_new(m, "bad", json_string(SECRET));
	CHECK_INT(try_with(EVENT_AGENT_STATUS, "counters", m, err,
	    sizeof(err)), -1);
	CHECK_STR(err, "field \"counters\": value expected unsigned integer");
	m = json_object();
	json_object_set_new(m, "big", json_integer(UINT53 + 1));
	CHECK_INT(try_with(EVENT_AGENT_STATUS, "counters", m, err,
	    sizeof(err)), -1);
	CHECK_CONTAINS(err, "\"counters\"");
	m = json_object();
	json_object_set_new(m, fill(65), json_integer(1));
	CHECK_INT(try_with(EVENT_AGENT_STATUS, "counters", m, err,
	    sizeof(err)), -1);
	CHECK_STR(err, "field \"counters\": key length not in 1..64");
	m = json_object();
	json_object_set_new(m, "", json_integer(1));
	CHECK_INT(try_with(EVENT_AGENT_STATUS, "counters", m, err,
	    sizeof(err)), -1);
	CHECK_STR(err, "field \"counters\": key length not in 1..64");
}

/* "{"d":" * n, then 1, then "}" * n: n + 1 levels counting evidence. */
static char *
nested(size_t n, int arrays)
{
	size_t i, len = 6 * n + 2, off = 0;
	char *s = malloc(len);

	if (s == NULL)
		abort();
	for (i = 0; i < n; i++) {
		memcpy(s + off, arrays ? "[" : "{\"d\":", arrays ? 1 : 5);
		off += arrays ? 1 : 5;
	}
	s[off++] = '1';
	for (i = 0; i < n; i++)
		s[off++] = arrays ? ']' : '}';
	s[off] = '\0';
	return s;
}

static void
test_evidence(void)
{
	char err[256];
	json_t *e;
	char *s;
	size_t n;

	for (n = 0; n < EVENT_MAX_DEPTH + 2; n++) {
		s = nested(n, 0);
		e = json_loads(s, JSON_DECODE_ANY, NULL);
		REQUIRE(e != NULL);
		if (n < EVENT_MAX_DEPTH) {
			/* n nested objects under evidence: depth n + 1. */
			e = json_pack("{so}", "d", e);
			CHECK_INT(try_with(EVENT_ALERT, "evidence", e, err,
			    sizeof(err)), 0);
		} else {
			e = json_pack("{so}", "d", e);
			CHECK_INT(try_with(EVENT_ALERT, "evidence", e, err,
			    sizeof(err)), -1);
			CHECK_STR(err, "field \"evidence\": nested deeper "
			    "than 8 levels");
		}
		free(s);
	}
	/* Arrays count as levels too. */
	s = nested(EVENT_MAX_DEPTH, 1);
	e = json_pack("{so}", "a", json_loads(s, JSON_DECODE_ANY, NULL));
	CHECK_INT(try_with(EVENT_ALERT, "evidence", e, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "\"evidence\"");
	free(s);
	/* {"k":"..."} is 8 bytes plus the string: 32768 exactly, then 32769. */
	e = json_pack("{ss}", "k", fill(32760));
	CHECK_INT(try_with(EVENT_ALERT, "evidence", e, err, sizeof(err)), 0);
	e = json_pack("{ss}", "k", fill(32761));
	CHECK_INT(try_with(EVENT_ALERT, "evidence", e, err, sizeof(err)), -1);
	CHECK_STR(err, "field \"evidence\": encoded size over 32768 bytes");
	/* The bound is on the encoding: escapes count. */
	memset(big, '"', 20000);
	big[20000] = '\0';
	e = json_pack("{ss}", "k", big);
	CHECK_INT(try_with(EVENT_ALERT, "evidence", e, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "\"evidence\"");
	CHECK_INT(try_with(EVENT_ALERT, "evidence", json_string("x"), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "field \"evidence\": expected object");
	CHECK_INT(try_with(EVENT_ALERT, "evidence", json_object(), err,
	    sizeof(err)), 0);
}

static void
test_unknown_field(void)
{
	char err[256];

	CHECK_INT(try_with(EVENT_DB_QUERY, "foo", json_integer(1), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "unknown field \"foo\" for db.query");
	/* A field of another type is unknown here. */
	CHECK_INT(try_with(EVENT_DB_QUERY, "bytes_out", json_integer(1), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "unknown field \"bytes_out\" for db.query");
	CHECK_INT(try_with(EVENT_ALERT, "rows", json_integer(1), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "unknown field \"rows\" for alert");
	/* Names are case-sensitive. */
	CHECK_INT(try_with(EVENT_NET_FLOW, "Src", json_string("x"), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "unknown field \"Src\" for net.flow");
	/* A key that could be data is not repeated. */
	CHECK_INT(try_with(EVENT_NET_FLOW, SECRET " 555-0100",
	    json_string("x"), err, sizeof(err)), -1);
	CHECK_STR(err, "unknown field for net.flow");
	CHECK_INT(try_with(EVENT_NET_FLOW, fill(65), json_string("x"), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "unknown field for net.flow");
}

static void
test_input_bound(void)
{
	char err[256], *buf;
	struct lw_event *ev;
	size_t n = strlen(min_lines[EVENT_ALERT]);

	/* Trailing whitespace is legal JSON: pad to the exact limit. */
	buf = malloc(EVENT_MAX_LEN + 1);
	REQUIRE(buf != NULL);
	memset(buf, ' ', EVENT_MAX_LEN + 1);
	memcpy(buf, min_lines[EVENT_ALERT], n);
	ev = lw_event_parse(buf, EVENT_MAX_LEN, err, sizeof(err));
	CHECK(ev != NULL);
	lw_event_free(ev);
	err[0] = '\0';
	CHECK(lw_event_parse(buf, EVENT_MAX_LEN + 1, err, sizeof(err)) == NULL);
	CHECK_STR(err, "event longer than 65536 bytes");
	free(buf);
}

static void
test_duplicate_keys(void)
{
	char err[256];

	CHECK(parse_str("{\"type\":\"db.session\",\"ts\":\"" TS_TEXT "\","
	    "\"db_system\":\"mysql\",\"action\":\"connect\",\"db_user\":\"a\","
	    "\"db_user\":\"b\"}", err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "duplicate key");
	CHECK(parse_str("{\"type\":\"alert\",\"type\":\"alert\"}", err,
	    sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "duplicate key");
	CHECK(parse_str("{\"type\":\"alert\",\"ts\":\"" TS_TEXT "\",\"id\":"
	    "\"a1\",\"employee\":\"e\",\"rule\":\"r\",\"severity\":\"low\","
	    "\"score\":1,\"summary\":\"s\",\"evidence\":{\"x\":{\"k\":1,"
	    "\"k\":2}}}", err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "duplicate key");
}

static void
test_trailing_data(void)
{
	char err[256], buf[512];
	struct lw_event *ev;

	snprintf(buf, sizeof(buf), "%s\n", min_lines[EVENT_DB_QUERY]);
	ev = parse_str(buf, err, sizeof(err));
	CHECK(ev != NULL);
	lw_event_free(ev);
	snprintf(buf, sizeof(buf), "%sx", min_lines[EVENT_DB_QUERY]);
	CHECK(parse_str(buf, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "trailing data");
	snprintf(buf, sizeof(buf), "%s%s", min_lines[EVENT_DB_QUERY],
	    min_lines[EVENT_DB_QUERY]);
	CHECK(parse_str(buf, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "trailing data");
	/* A length shorter than the text cuts the object. */
	CHECK(lw_event_parse(min_lines[EVENT_DB_QUERY],
	    strlen(min_lines[EVENT_DB_QUERY]) - 1, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "invalid JSON");
}

static const char full_query[] =
    "{\"type\":\"db.query\",\"ts\":\"" TS_TEXT "\",\"agent\":\"db1\","
    "\"db_system\":\"postgresql\",\"server\":\"10.0.0.2:5432\","
    "\"client\":\"10.0.1.7:50412\",\"session_id\":\"65f1a2b3.1f40\","
    "\"db_user\":\"support_ro\",\"database\":\"crm\",\"app_name\":\"psql\","
    "\"end_user\":\"alice\",\"command\":\"SELECT\",\"statement\":\"SELECT "
    "name, phone FROM public.customers WHERE id IN (?+)\",\"fingerprint\":"
    "\"3f2a9c0d4e5b6a71\",\"tables\":[\"crm.customers\"],\"rows\":500,"
    "\"rows_returned\":500,\"rows_affected\":0,\"bytes\":48213,"
    "\"duration_us\":1830,\"status\":\"ok\",\"partial\":false,\"source\":"
    "\"wire\"}";

static void
test_roundtrip_exact(void)
{
	char err[256], *enc;
	struct lw_event *ev;
	size_t len = 0;

	ev = parse_str(full_query, err, sizeof(err));
	if (ev == NULL)
		FAILF("%s", err);
	REQUIRE(ev != NULL);
	enc = lw_event_encode(ev, &len);
	REQUIRE(enc != NULL);
	CHECK_STR(enc, full_query);
	CHECK_INT(len, strlen(full_query));
	free(enc);
	CHECK((enc = lw_event_encode(ev, NULL)) != NULL);
	free(enc);
	lw_event_free(ev);
	CHECK(lw_event_encode(NULL, &len) == NULL);
}

/* Spaced input comes out compact, in the order the sender used. */
static void
test_encode_compact_order(void)
{
	char err[256], *enc;
	struct lw_event *ev;

	ev = parse_str(" { \"ts\" : \"" TS_TEXT "\" ,\n\t\"version\": \"2\","
	    " \"counters\": { \"b\": 2, \"a\": 1 }, \"type\": \"agent.status\""
	    " }\r\n", err, sizeof(err));
	REQUIRE(ev != NULL);
	enc = lw_event_encode(ev, NULL);
	CHECK_STR(enc, "{\"ts\":\"" TS_TEXT "\",\"version\":\"2\",\"counters\":"
	    "{\"b\":2,\"a\":1},\"type\":\"agent.status\"}");
	free(enc);
	lw_event_free(ev);
}

static void
test_set_agent(void)
{
	char err[256], *enc;
	struct lw_event *ev;

	ev = parse_str(full_query, err, sizeof(err));
	REQUIRE(ev != NULL);
	CHECK_INT(lw_event_set_agent(ev, "gw-01.example"), 0);
	enc = lw_event_encode(ev, NULL);
	/* Overwritten in place: same position, new value. */
	CHECK_CONTAINS(enc, "\"ts\":\"" TS_TEXT "\","
	    "\"agent\":\"gw-01.example\",\"db_system\"");
	CHECK(strstr(enc, "\"db1\"") == NULL);
	free(enc);
	CHECK_INT(lw_event_set_agent(ev, ""), -1);
	CHECK_INT(lw_event_set_agent(ev, fill(EVENT_AGENT_MAX + 1)), -1);
	CHECK_INT(lw_event_set_agent(ev, "tab\there"), -1);
	CHECK_INT(lw_event_set_agent(ev, "caf\xc3\xa9"), -1);
	CHECK_INT(lw_event_set_agent(ev, "\x7f"), -1);
	CHECK_INT(lw_event_set_agent(NULL, "x"), -1);
	CHECK_INT(lw_event_set_agent(ev, NULL), -1);
	/* A refused name leaves the old one. */
	CHECK_STR(json_string_value(json_object_get(ev->obj, "agent")),
	    "gw-01.example");
	CHECK_INT(lw_event_set_agent(ev, fill(EVENT_AGENT_MAX)), 0);
	CHECK_STR(json_string_value(json_object_get(ev->obj, "agent")),
	    fill(EVENT_AGENT_MAX));
	lw_event_free(ev);

	/* Absent: appended, and the result still validates. */
	ev = parse_str(min_lines[EVENT_NET_FLOW], err, sizeof(err));
	REQUIRE(ev != NULL);
	CHECK_INT(lw_event_set_agent(ev, "gw 2 ~!"), 0);
	CHECK_INT(lw_event_validate(ev->obj, NULL, NULL, err, sizeof(err)), 0);
	enc = lw_event_encode(ev, NULL);
	CHECK_CONTAINS(enc, "\"bytes_in\":200,\"agent\":\"gw 2 ~!\"}");
	free(enc);
	lw_event_free(ev);
}

/* No rejection may quote the value: it could be a customer's data. */
static void
test_errors_hide_values(void)
{
	char err[256], buf[1024], s[300];
	json_t *l;
	size_t i;

	for (i = 0; i + sizeof(SECRET) <= sizeof(s); i += sizeof(SECRET) - 1)
		memcpy(s + i, SECRET, sizeof(SECRET));
	CHECK_INT(try_with(EVENT_DB_QUERY, "end_user", json_string(s), err,
	    sizeof(err)), -1);
	CHECK(strstr(err, "SECRET") == NULL);
	CHECK_INT(try_with(EVENT_DB_QUERY, "fingerprint", json_string(SECRET),
	    err, sizeof(err)), -1);
	CHECK(strstr(err, "SECRET") == NULL);
	CHECK_INT(try_with(EVENT_DB_QUERY, "ts", json_string(SECRET), err,
	    sizeof(err)), -1);
	CHECK(strstr(err, "SECRET") == NULL);
	CHECK_INT(try_with(EVENT_DB_QUERY, "rows", json_string(SECRET), err,
	    sizeof(err)), -1);
	CHECK(strstr(err, "SECRET") == NULL);
	CHECK_INT(try_with(EVENT_DB_QUERY, "db_user",
	    json_stringn(SECRET "\0", sizeof(SECRET)), err, sizeof(err)), -1);
	CHECK(strstr(err, "SECRET") == NULL);
	l = json_array();
	json_array_append_new(l, json_string(s));
	CHECK_INT(try_with(EVENT_DB_QUERY, "tables", l, err, sizeof(err)), -1);
	CHECK(strstr(err, "SECRET") == NULL);
	CHECK_INT(try_with(EVENT_ALERT, "evidence",
	    json_pack("{s{s{s{s{s{s{s{s[s]}}}}}}}}", "a", "b", "c", "d", "e",
	    "f", "g", "h", SECRET), err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "\"evidence\"");
	CHECK(strstr(err, "SECRET") == NULL);
	/* jansson's syntax messages quote the input; ours must not. */
	snprintf(buf, sizeof(buf), "{\"type\":\"db.query\",\"statement\":"
	    "\"x\" " SECRET "}");
	CHECK(parse_str(buf, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "invalid JSON");
	CHECK(strstr(err, "SECRET") == NULL);
	snprintf(buf, sizeof(buf), "{\"type\":\"db.query\",\"x\":" SECRET "}");
	CHECK(parse_str(buf, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "SECRET") == NULL);
	snprintf(buf, sizeof(buf), "{\"type\":\"db.query\",\"" SECRET "\":1,"
	    "\"" SECRET "\":2}");
	CHECK(parse_str(buf, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "duplicate key");
	CHECK(strstr(err, "SECRET") == NULL);
}

static void
test_error_buffer_bounds(void)
{
	char err[8];
	json_t *o;

	memset(err, 'x', sizeof(err));
	CHECK_INT(try_with(EVENT_NET_FLOW, "l4", json_string("sctp"), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "field \"");
	memset(err, 'x', sizeof(err));
	CHECK_INT(try_with(EVENT_NET_FLOW, "sport", json_integer(-1), err, 1),
	    -1);
	CHECK_INT(err[0], '\0');
	CHECK_INT(err[1], 'x');
	/* No buffer at all is allowed. */
	o = min_obj(EVENT_NET_FLOW);
	json_object_set_new(o, "l4", json_string("sctp"));
	CHECK(lw_event_from_json(o, NULL, 0) == NULL);
	CHECK(lw_event_parse("[", 1, NULL, 0) == NULL);
}

static void
test_ownership(void)
{
	char err[256];
	struct lw_event *ev;
	json_t *o;

	o = min_obj(EVENT_DB_SESSION);
	json_incref(o);
	ev = lw_event_from_json(o, err, sizeof(err));
	REQUIRE(ev != NULL);
	CHECK(ev->obj == o);
	CHECK_INT(o->refcount, 2);
	lw_event_free(ev);
	CHECK_INT(o->refcount, 1);
	json_object_set_new(o, "action", json_string("reconnect"));
	json_incref(o);
	CHECK(lw_event_from_json(o, err, sizeof(err)) == NULL);
	CHECK_INT(o->refcount, 1);
	json_decref(o);
	lw_event_free(NULL);
}

/* Every type and every field of the tables is named in docs/events.md. */
static void
test_docs_in_step(void)
{
	const struct event_field *f;
	char *doc, want[128];
	int t, i;

	doc = slurp(DOCS);
	if (doc == NULL)
		FAILF("cannot read %s (run from the top of the tree)", DOCS);
	REQUIRE(doc != NULL);
	for (t = 0; t < EVENT_NTYPES; t++) {
		snprintf(want, sizeof(want), "`%s`", lw_event_type_name(t));
		CHECK_CONTAINS(doc, want);
		f = lw_event_fields(t);
		for (i = 0; f[i].name != NULL; i++) {
			snprintf(want, sizeof(want), "`%s`", f[i].name);
			if (strstr(doc, want) == NULL)
				FAILF("%s: %s field %s undocumented", DOCS,
				    lw_event_type_name(t), want);
		}
	}
	free(doc);
}

/* Every example line in the doc is a valid event in canonical form. */
static void
test_docs_examples(void)
{
	char *doc, *line, *nl, *enc, err[256];
	struct lw_event *ev;
	int seen[EVENT_NTYPES] = { 0 }, t;
	size_t len;

	doc = slurp(DOCS);
	REQUIRE(doc != NULL);
	for (line = doc; line != NULL && *line != '\0'; line = nl) {
		nl = strchr(line, '\n');
		len = nl ? (size_t)(nl - line) : strlen(line);
		if (nl != NULL)
			nl++;
		if (strncmp(line, "{\"type\":", 8) != 0)
			continue;
		ev = lw_event_parse(line, len, err, sizeof(err));
		if (ev == NULL) {
			FAILF("%s: example \"%.40s...\": %s", DOCS, line, err);
			continue;
		}
		seen[ev->type]++;
		enc = lw_event_encode(ev, NULL);
		if (enc == NULL || strlen(enc) != len ||
		    memcmp(enc, line, len) != 0)
			FAILF("%s: example \"%.40s...\" not canonical", DOCS,
			    line);
		free(enc);
		lw_event_free(ev);
	}
	for (t = 0; t < EVENT_NTYPES; t++)
		if (seen[t] == 0)
			FAILF("%s: no example line for %s", DOCS,
			    lw_event_type_name(t));
	free(doc);
}

#define T(x)	{ #x, x }
static const struct test tests[] = {
	T(test_type_names),
	T(test_field_tables),
	T(test_min_db_query),
	T(test_min_db_session),
	T(test_min_net_flow),
	T(test_min_alert),
	T(test_min_agent_status),
	T(test_validate_direct),
	T(test_not_object),
	T(test_missing_type),
	T(test_unknown_type),
	T(test_missing_required),
	T(test_wrong_json_type),
	T(test_string_bounds),
	T(test_unicode),
	T(test_nul_in_string),
	T(test_invalid_utf8),
	T(test_text_fields),
	T(test_uint_range),
	T(test_num_range),
	T(test_bool),
	T(test_enum_values),
	T(test_timestamps),
	T(test_hex),
	T(test_strlist),
	T(test_uintmap),
	T(test_evidence),
	T(test_unknown_field),
	T(test_input_bound),
	T(test_duplicate_keys),
	T(test_trailing_data),
	T(test_roundtrip_exact),
	T(test_encode_compact_order),
	T(test_set_agent),
	T(test_errors_hide_values),
	T(test_error_buffer_bounds),
	T(test_ownership),
	T(test_docs_in_step),
	T(test_docs_examples),
};

HARNESS_MAIN(tests)
