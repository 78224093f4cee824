/*
 * Unit tests for lib/jsonw.c, the agent's DOM-free JSON writer, and for
 * the encoded form of struct lw_event it feeds (lw_event_from_encoded).
 * The promise under test is jansson's bytes: every object is built twice,
 * once with jsonw and once as a jansson DOM with json_object_set_new()
 * per member, dumped with JSON_COMPACT as lib/event.c does, and the two
 * texts must be identical - for every byte value, for UTF-8 valid and
 * not, for integers at their edges, for timestamps around the writer's
 * per-second cache, and for a few thousand pseudo-random strings.
 */
#include "harness.h"

#include <jansson.h>

#include "leakwatch/event.h"
#include "leakwatch/jsonw.h"
#include "leakwatch/util.h"

/* One object built both ways, member by member. */
struct pair {
	struct jsonw	 w;
	json_t		*o;
};

static void
pair_begin(struct pair *p)
{
	jsonw_init(&p->w);
	jsonw_begin(&p->w);
	p->o = json_object();
}

static void
pair_strn(struct pair *p, const char *key, const char *s, size_t len)
{
	int rw, rj;

	rw = jsonw_strn(&p->w, key, s, len);
	rj = json_object_set_new(p->o, key, json_stringn(s, len));
	CHECK_INT(rw, rj);
}

static void
pair_uint(struct pair *p, const char *key, uint64_t v)
{
	jsonw_uint(&p->w, key, v);
	json_object_set_new(p->o, key, json_integer((json_int_t)v));
}

/* As source-net.c's set_ts() did: left out where ts_format() fails. */
static void
pair_ts(struct pair *p, const char *key, int64_t us)
{
	char ts[TS_STRLEN];
	int rw, rj = -1;

	rw = jsonw_ts(&p->w, key, us);
	if (ts_format(us, ts, sizeof(ts)) == 0)
		rj = json_object_set_new(p->o, key, json_string(ts));
	CHECK_INT(rw, rj);
}

/* Both texts, compared; frees both sides. */
static void
pair_end(struct pair *p)
{
	char *a, *b;
	size_t len = 0;

	a = jsonw_end(&p->w, &len);
	b = json_dumps(p->o, JSON_COMPACT);
	json_decref(p->o);
	jsonw_free(&p->w);
	if (a == NULL || b == NULL) {
		FAILF("no text: jsonw %p, jansson %p", (void *)a, (void *)b);
		free(a);
		free(b);
		return;
	}
	CHECK_INT(len, strlen(b));
	if (strcmp(a, b) != 0)
		FAILF("jsonw wrote %s, jansson %s", a, b);
	free(a);
	free(b);
}

/* Every byte 0x00-0x7f alone, then all of them in one string. */
static void
test_ascii_bytes(void)
{
	struct pair p;
	char all[128];
	int c;

	for (c = 0; c < 128; c++) {
		char s[3] = { 'a', (char)c, 'z' };

		pair_begin(&p);
		pair_strn(&p, "k", s + 1, 1);
		pair_strn(&p, "m", s, 3);
		pair_end(&p);
		all[c] = (char)c;
	}
	pair_begin(&p);
	pair_strn(&p, "all", all, sizeof(all));
	pair_strn(&p, "tail", all + 1, sizeof(all) - 1);
	pair_end(&p);
	/* The writer's spelling, checked by hand once. */
	jsonw_init(&p.w);
	jsonw_begin(&p.w);
	jsonw_strn(&p.w, "s", "\"\\/\b\f\n\r\t\x01\x1f\x7f", 11);
	{
		char *t;
		size_t len;

		t = jsonw_end(&p.w, &len);
		CHECK_STR(t, "{\"s\":\"\\\"\\\\/\\b\\f\\n\\r\\t\\u0001\\u001F"
		    "\x7f\"}");
		free(t);
	}
}

static const char *const good_utf8[] = {
	"caf\xc3\xa9", "\xe2\x82\xac 5", "\xf0\x9d\x84\x9e", "\xc2\x80",
	"\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80",
	"\xef\xbf\xbf", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf",
	"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \"quoted\" \\ \x01",
};

static const char *const bad_utf8[] = {
	"\x80", "\xbf", "a\xc0\x80", "\xc1\xbf", "\xe0\x80\x80",
	"\xe0\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf", "\xf0\x80\x80\x80",
	"\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff",
	"\xfe", "\xc3", "\xe2\x82", "\xf0\x9d\x84", "\xc3(", "ok\xe2\x28\xa1",
	"\xf8\x88\x80\x80\x80",
};

/*
 * Valid multi-byte text is copied; invalid text is left out with its key
 * on both sides (json_stringn() refuses it, so the set fails), and the
 * members around it are untouched.
 */
static void
test_utf8(void)
{
	struct pair p;
	size_t i;

	for (i = 0; i < sizeof(good_utf8) / sizeof(good_utf8[0]); i++) {
		CHECK(jsonw_utf8_valid(good_utf8[i], strlen(good_utf8[i])));
		pair_begin(&p);
		pair_strn(&p, "a", "x", 1);
		pair_strn(&p, "s", good_utf8[i], strlen(good_utf8[i]));
		pair_uint(&p, "n", i);
		pair_end(&p);
	}
	for (i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++) {
		CHECK(!jsonw_utf8_valid(bad_utf8[i], strlen(bad_utf8[i])));
		pair_begin(&p);
		pair_strn(&p, "a", "x", 1);
		pair_strn(&p, "s", bad_utf8[i], strlen(bad_utf8[i]));
		pair_uint(&p, "n", i);
		pair_end(&p);
		/* As the first member too: no stray comma. */
		pair_begin(&p);
		pair_strn(&p, "s", bad_utf8[i], strlen(bad_utf8[i]));
		pair_uint(&p, "n", i);
		pair_end(&p);
	}
	/* A NUL inside a counted string is legal JSON: \u0000. */
	pair_begin(&p);
	pair_strn(&p, "z", "a\0b", 3);
	pair_end(&p);
}

/* Keys take the string path: escaped, and refused keys drop the member. */
static void
test_keys(void)
{
	struct pair p;

	pair_begin(&p);
	pair_strn(&p, "we\"ird\\key\n", "v", 1);
	pair_strn(&p, "caf\xc3\xa9", "v", 1);
	pair_strn(&p, "bad\xff", "v", 1);
	pair_uint(&p, "bad\xc0", 7);
	pair_strn(&p, "", "empty key", 9);
	pair_end(&p);
}

static void
test_uints(void)
{
	static const uint64_t v[] = {
		0, 1, 9, 10, 99, 100, 65535, 4294967295ULL,
		9007199254740991ULL, 9007199254740992ULL,
		9223372036854775807ULL, 1000000000000000000ULL
	};
	struct pair p;
	size_t i;

	pair_begin(&p);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char key[8] = { 'n', (char)('a' + i), 0 };

		pair_uint(&p, key, v[i]);
	}
	pair_end(&p);
}

static void
test_bools_and_lists(void)
{
	struct pair p;
	json_t *a;
	size_t i;

	/* Empty list, list with members, a refused element skipped. */
	pair_begin(&p);
	jsonw_bool(&p.w, "t", 1);
	json_object_set_new(p.o, "t", json_true());
	jsonw_list_begin(&p.w, "empty");
	jsonw_list_end(&p.w);
	json_object_set_new(p.o, "empty", json_array());
	jsonw_list_begin(&p.w, "l");
	a = json_array();
	for (i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++) {
		CHECK_INT(jsonw_list_str(&p.w, good_utf8[i % 4]), 0);
		json_array_append_new(a, json_string(good_utf8[i % 4]));
		CHECK_INT(jsonw_list_str(&p.w, bad_utf8[i]), -1);
		CHECK(json_array_append_new(a, json_string(bad_utf8[i])) != 0);
	}
	CHECK_INT(jsonw_list_str(&p.w, NULL), -1);
	jsonw_list_end(&p.w);
	json_object_set_new(p.o, "l", a);
	/* A list under a refused key is dropped whole. */
	jsonw_list_begin(&p.w, "\xff");
	CHECK_INT(jsonw_list_str(&p.w, "x"), -1);
	jsonw_list_end(&p.w);
	CHECK(json_object_set_new(p.o, "\xff", json_array()) != 0);
	jsonw_bool(&p.w, "f", 0);
	json_object_set_new(p.o, "f", json_false());
	/* An object member, empty and with members. */
	jsonw_obj_begin(&p.w, "eo");
	jsonw_obj_end(&p.w);
	json_object_set_new(p.o, "eo", json_object());
	jsonw_obj_begin(&p.w, "errors");
	jsonw_uint(&p.w, "42501", 12);
	jsonw_uint(&p.w, "57014", 1);
	jsonw_obj_end(&p.w);
	json_object_set_new(p.o, "errors", json_pack("{s:i, s:i}", "42501",
	    12, "57014", 1));
	pair_strn(&p, "after", "x", 1);
	/* NULL strings: left out, as json_string(NULL) makes the set fail. */
	CHECK_INT(jsonw_str(&p.w, "nul", NULL), -1);
	CHECK(json_object_set_new(p.o, "nul", json_string(NULL)) != 0);
	pair_end(&p);
}

/*
 * Timestamps: the same second twice (cache hit), a new second, going
 * back, before 1970 (floor division), exact seconds, and the years
 * ts_format() refuses, which leave the member out.
 */
static void
test_timestamps(void)
{
	static const int64_t us[] = {
		1700000000123456LL, 1700000000999999LL, 1700000001000000LL,
		1700000000000000LL, 1700000000000001LL, 0, 1, -1, -999999,
		-1000000, -1000001, -86400000000LL * 365, 253402300799999999LL,
		253402300800000000LL, 1795341600123456LL, 1795341600123456LL,
		INT64_MAX, INT64_MIN, 951782400000000LL, 951868800000000LL
	};
	struct pair p;
	size_t i;

	pair_begin(&p);
	for (i = 0; i < sizeof(us) / sizeof(us[0]); i++) {
		char key[8] = { 't', (char)('a' + i), 0 };

		pair_ts(&p, key, us[i]);
	}
	pair_end(&p);
	/* Six seconds, minutes apart, in turn and out of turn: more than
	 * the writer remembers (JSONW_TS_CACHE), hits and replacements. */
	pair_begin(&p);
	for (i = 0; i < 60; i++) {
		char key[8] = { 'u', (char)('A' + i % 26), (char)('a' + i / 26),
		    0 };

		pair_ts(&p, key, 1700000000000000LL + (int64_t)((i * 7 +
		    i / 9) % 6) * 61000000LL + (int64_t)i * 1001);
	}
	pair_end(&p);
	/* A fresh writer per value: no cache at all. */
	for (i = 0; i < sizeof(us) / sizeof(us[0]); i++) {
		pair_begin(&p);
		pair_ts(&p, "ts", us[i]);
		pair_end(&p);
	}
}

/* A small LCG: the same strings on every run. */
static uint32_t
rnd(uint32_t *st)
{
	*st = *st * 1103515245u + 12345u;
	return *st >> 8;
}

/*
 * Pseudo-random strings over an alphabet biased to what matters: ASCII
 * specials, control bytes, valid sequences and stray high bytes.
 */
static void
test_random(void)
{
	static const char *const pieces[] = {
		"a", "Z", "0", " ", "\"", "\\", "/", "\x7f", "\x01", "\n",
		"\t", "\x1f", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
		"\xed\x9f\xbf", "\x80", "\xc3", "\xff", "\xed\xa0\x80",
		"abcdefgh", "\0"
	};
	struct pair p;
	char s[96];
	uint32_t st = 42;
	size_t len, n, k;
	int i, valid = 0, invalid = 0;

	for (i = 0; i < 4000; i++) {
		len = 0;
		n = rnd(&st) % 16;
		while (n-- > 0) {
			k = rnd(&st) % (sizeof(pieces) / sizeof(pieces[0]));
			if (k == sizeof(pieces) / sizeof(pieces[0]) - 1) {
				s[len++] = '\0';
				continue;
			}
			if (len + strlen(pieces[k]) > sizeof(s))
				break;
			memcpy(s + len, pieces[k], strlen(pieces[k]));
			len += strlen(pieces[k]);
		}
		if (jsonw_utf8_valid(s, len))
			valid++;
		else
			invalid++;
		pair_begin(&p);
		pair_uint(&p, "i", (uint64_t)i);
		pair_strn(&p, "s", s, len);
		jsonw_list_begin(&p.w, "l");
		jsonw_list_strn(&p.w, s, len);
		jsonw_list_end(&p.w);
		{
			json_t *a = json_array();

			json_array_append_new(a, json_stringn(s, len));
			json_object_set_new(p.o, "l", a);
		}
		pair_end(&p);
		if (harness_failed)
			return;
	}
	/* Both kinds were exercised in numbers. */
	CHECK(valid > 500);
	CHECK(invalid > 500);
}

/* One writer, many objects: buffers hand over, the hint grows. */
static void
test_reuse(void)
{
	struct jsonw w;
	char *t, big[3000];
	size_t len;
	int i;

	memset(big, 'x', sizeof(big));
	jsonw_init(&w);
	for (i = 0; i < 3; i++) {
		jsonw_begin(&w);
		jsonw_strn(&w, "b", big, sizeof(big));
		t = jsonw_end(&w, &len);
		REQUIRE(t != NULL);
		CHECK_INT(len, sizeof(big) + 8);
		CHECK_INT(t[len], '\0');
		free(t);
	}
	/* Begun, never ended: jsonw_free() releases it. */
	jsonw_begin(&w);
	jsonw_str(&w, "a", "b");
	jsonw_free(&w);
	/* An empty object is still one. */
	jsonw_init(&w);
	jsonw_begin(&w);
	t = jsonw_end(&w, &len);
	CHECK_STR(t, "{}");
	free(t);
	jsonw_free(&w);
}

#define TS_TEXT	"2026-11-22T10:00:00.123456Z"

static char *
dup_text(const char *s, size_t *len)
{
	*len = strlen(s);
	return strdup(s);
}

/*
 * lw_event_set_agent() + lw_event_encode() on the encoded form give the
 * bytes the DOM form gives for the same text.
 */
static void
same_as_dom(const char *text, const char *agent)
{
	struct lw_event *a, *b;
	char err[256], *ea, *eb, *buf;
	size_t la, lb, len;

	buf = dup_text(text, &len);
	a = lw_event_from_encoded(buf, len, err, sizeof(err));
	b = lw_event_parse(text, strlen(text), err, sizeof(err));
	REQUIRE(a != NULL);
	REQUIRE(b != NULL);
	CHECK_INT(a->type, b->type);
	CHECK_INT(a->ts_us, b->ts_us);
	if (agent != NULL) {
		CHECK_INT(lw_event_set_agent(a, agent), 0);
		CHECK_INT(lw_event_set_agent(b, agent), 0);
	}
	ea = lw_event_encode(a, &la);
	eb = lw_event_encode(b, &lb);
	REQUIRE(ea != NULL && eb != NULL);
	CHECK_INT(la, lb);
	CHECK_STR(ea, eb);
	free(ea);
	free(eb);
	lw_event_free(a);
	lw_event_free(b);
}

static const char flow[] =
    "{\"type\":\"net.flow\",\"ts\":\"" TS_TEXT "\",\"flow_id\":"
    "\"00000000000000f1\",\"src\":\"10.0.0.5\",\"sport\":50000,"
    "\"dst\":\"203.0.113.9\",\"dport\":443,\"l4\":\"tcp\",\"app\":"
    "\"TLS.Google\",\"server_name\":\"www.google.com\",\"bytes_out\":1000,"
    "\"bytes_in\":200,\"first_ts\":\"" TS_TEXT "\",\"risks\":"
    "[\"Known Proto on Non Std Port\"],\"final\":true,\"scope\":"
    "\"outbound\"}";

static void
test_encoded_event(void)
{
	struct lw_event *ev;
	char err[256], *buf, *enc;
	size_t len, elen;

	/* Taken as bytes, no DOM. */
	buf = dup_text(flow, &len);
	ev = lw_event_from_encoded(buf, len, err, sizeof(err));
	REQUIRE(ev != NULL);
	CHECK(ev->obj == NULL);
	CHECK(ev->enc == buf);
	CHECK_INT(ev->type, EVENT_NET_FLOW);
	CHECK_INT(ev->ts_us, 1795341600LL * 1000000 + 123456);
	enc = lw_event_encode(ev, &elen);
	CHECK_STR(enc, flow);
	CHECK_INT(elen, strlen(flow));
	free(enc);
	/* The agent goes last, escaped as jansson escapes it. */
	CHECK_INT(lw_event_set_agent(ev, "gw \"1\" \\ x"), 0);
	CHECK(ev->obj == NULL);
	enc = lw_event_encode(ev, NULL);
	CHECK_CONTAINS(enc, "\"scope\":\"outbound\",\"agent\":"
	    "\"gw \\\"1\\\" \\\\ x\"}");
	free(enc);
	/* Refused names leave the event as it was. */
	CHECK_INT(lw_event_set_agent(ev, ""), -1);
	CHECK_INT(lw_event_set_agent(ev, "tab\there"), -1);
	lw_event_free(ev);

	/* Same bytes as the DOM path, with and without a name. */
	same_as_dom(flow, NULL);
	same_as_dom(flow, "gw-01");
	same_as_dom(flow, "gw \"q\" \\");
	/* An agent already there: replaced in place (via the DOM). */
	same_as_dom("{\"type\":\"db.session\",\"ts\":\"" TS_TEXT "\","
	    "\"agent\":\"old\",\"db_system\":\"mysql\",\"action\":"
	    "\"connect\"}", "new");
	/* "agent" as a value only: still correct. */
	same_as_dom("{\"type\":\"db.session\",\"ts\":\"" TS_TEXT "\","
	    "\"db_system\":\"mysql\",\"action\":\"connect\",\"db_user\":"
	    "\"agent\"}", "n");
	/* White space other than line breaks is kept... */
	buf = dup_text("{\"type\": \"db.session\", \"ts\":\"" TS_TEXT "\","
	    "\"db_system\":\"mysql\",\"action\":\"connect\"} ", &len);
	ev = lw_event_from_encoded(buf, len, err, sizeof(err));
	REQUIRE(ev != NULL);
	CHECK(ev->obj == NULL);
	CHECK_INT(lw_event_set_agent(ev, "a"), 0);
	enc = lw_event_encode(ev, NULL);
	CHECK_STR(enc, "{\"type\": \"db.session\", \"ts\":\"" TS_TEXT "\","
	    "\"db_system\":\"mysql\",\"action\":\"connect\",\"agent\":\"a\"}");
	free(enc);
	lw_event_free(ev);
	/* ...a line break sends it the DOM way: one line out. */
	buf = dup_text("{\"type\":\"db.session\",\n\"ts\":\"" TS_TEXT "\","
	    "\"db_system\":\"mysql\",\"action\":\"connect\"}", &len);
	ev = lw_event_from_encoded(buf, len, err, sizeof(err));
	REQUIRE(ev != NULL);
	CHECK(ev->obj != NULL);
	CHECK(ev->enc == NULL);
	lw_event_free(ev);
	/* Shapes the scanner defers (a real): the reference decides. */
	buf = dup_text("{\"type\":\"alert\",\"ts\":\"" TS_TEXT "\",\"id\":"
	    "\"a1\",\"employee\":\"e\",\"rule\":\"r\",\"severity\":\"low\","
	    "\"score\":12.5,\"summary\":\"s\"}", &len);
	ev = lw_event_from_encoded(buf, len, err, sizeof(err));
	REQUIRE(ev != NULL);
	CHECK(ev->obj != NULL);
	lw_event_free(ev);
	/* Invalid: NULL with lw_event_parse()'s words; buf freed either way. */
	buf = dup_text("{\"type\":\"net.flow\",\"ts\":\"" TS_TEXT "\"}",
	    &len);
	CHECK(lw_event_from_encoded(buf, len, err, sizeof(err)) == NULL);
	CHECK_STR(err, "missing required field \"flow_id\" for net.flow");
	buf = dup_text("{\"type\":\"net.flow\",\"rows\":1}", &len);
	CHECK(lw_event_from_encoded(buf, len, err, sizeof(err)) == NULL);
	CHECK(lw_event_from_encoded(NULL, 0, err, sizeof(err)) == NULL);
}

/*
 * A whole net.flow as source-net.c writes it, against the jansson DOM
 * the file used to build, then through the encoded event path.
 */
static void
test_flow_record(void)
{
	struct pair p;
	struct lw_event *ev;
	char err[256], *buf, *enc;
	size_t len;
	json_t *r;

	pair_begin(&p);
	pair_strn(&p, "type", "net.flow", 8);
	pair_ts(&p, "ts", 1700000000123456LL);
	pair_strn(&p, "flow_id", "5692161d100b05e5", 16);
	pair_strn(&p, "src", "224.0.0.252", 11);
	pair_uint(&p, "sport", 5355);
	pair_strn(&p, "dst", "192.168.5.44", 12);
	pair_uint(&p, "dport", 59571);
	pair_strn(&p, "l4", "udp", 3);
	pair_strn(&p, "app", "LLMNR", 5);
	pair_strn(&p, "category", "other", 5);
	pair_strn(&p, "ndpi_category", "Network", 7);
	pair_strn(&p, "server_name", "jason-pc", 8);
	pair_uint(&p, "bytes_out", 0);
	pair_uint(&p, "bytes_in", 324);
	pair_uint(&p, "pkts_out", 0);
	pair_uint(&p, "pkts_in", 6);
	pair_uint(&p, "delta_bytes_out", 0);
	pair_uint(&p, "delta_bytes_in", 324);
	pair_ts(&p, "first_ts", 1700000000000000LL);
	pair_ts(&p, "last_ts", 1700000001218549LL);
	jsonw_list_begin(&p.w, "risks");
	jsonw_list_str(&p.w, "Unsafe Protocol");
	jsonw_list_str(&p.w, "Known Proto on Non Std Port");
	jsonw_list_end(&p.w);
	r = json_array();
	json_array_append_new(r, json_string("Unsafe Protocol"));
	json_array_append_new(r, json_string("Known Proto on Non Std Port"));
	json_object_set_new(p.o, "risks", r);
	jsonw_bool(&p.w, "final", 1);
	json_object_set_new(p.o, "final", json_true());
	pair_strn(&p, "scope", "inbound", 7);
	/* Keep the writer's text for the event below. */
	buf = json_dumps(p.o, JSON_COMPACT);
	pair_end(&p);
	REQUIRE(buf != NULL);
	ev = lw_event_from_encoded(buf, strlen(buf), err, sizeof(err));
	REQUIRE(ev != NULL);
	CHECK(ev->obj == NULL);
	CHECK_INT(lw_event_set_agent(ev, "vm"), 0);
	enc = lw_event_encode(ev, &len);
	CHECK_CONTAINS(enc, "\"final\":true,\"scope\":\"inbound\","
	    "\"agent\":\"vm\"}");
	free(enc);
	lw_event_free(ev);
}

static const struct test tests[] = {
	{ "ascii_bytes", test_ascii_bytes },
	{ "utf8", test_utf8 },
	{ "keys", test_keys },
	{ "uints", test_uints },
	{ "bools_and_lists", test_bools_and_lists },
	{ "timestamps", test_timestamps },
	{ "random", test_random },
	{ "reuse", test_reuse },
	{ "encoded_event", test_encoded_event },
	{ "flow_record", test_flow_record },
};

HARNESS_MAIN(tests)
