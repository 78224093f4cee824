/*
 * Unit tests for lib/proto.c, the frame layer of the agent <-> collector
 * protocol: header encoding, proto_decode() on whole frames, on every
 * short prefix and on back-to-back frames, and each way a stream is
 * refused (unknown type, zero or oversized length, payload under the
 * type's minimum) with the exact message the collector will log. The
 * payload helpers, type names and the agent-name rule are covered too.
 * No I/O: plain buffers.
 */
#include "harness.h"

#include "leakwatch/proto.h"

#define MAXLEN	65536

/* Builds header + payload into buf; returns the frame's total length. */
static size_t
mkframe(uint8_t *buf, enum proto_type t, const void *payload, size_t len)
{
	proto_header(buf, t, len);
	if (len > 0)
		memcpy(buf + PROTO_HDRLEN, payload, len);
	return PROTO_HDRLEN + len;
}

/* A raw header with any length field and type byte. */
static void
rawhdr(uint8_t *buf, uint32_t n, uint8_t type)
{
	buf[0] = (uint8_t)(n >> 24);
	buf[1] = (uint8_t)(n >> 16);
	buf[2] = (uint8_t)(n >> 8);
	buf[3] = (uint8_t)n;
	buf[4] = type;
}

/* Decodes buf, expecting refusal with exactly msg. */
static void
refused(const uint8_t *buf, size_t len, size_t maxlen, const char *msg)
{
	struct proto_frame f;
	size_t used = 999;
	char err[256];
	int rc;

	snprintf(err, sizeof(err), "(unset)");
	rc = proto_decode(buf, len, maxlen, &f, &used, err, sizeof(err));
	if (rc != -1)
		FAILF("decode returned %d, expected -1 (\"%s\")", rc, msg);
	else if (strcmp(err, msg) != 0)
		FAILF("decode error \"%s\", expected \"%s\"", err, msg);
	if (used != 999)
		FAILF("refused decode wrote used = %zu", used);
}

static void
test_header(void)
{
	uint8_t h[PROTO_HDRLEN];

	proto_header(h, PROTO_EVENT, 10);
	CHECK(memcmp(h, "\x00\x00\x00\x0b\x03", 5) == 0);
	proto_header(h, PROTO_ERROR, 0);
	CHECK(memcmp(h, "\x00\x00\x00\x01\x07", 5) == 0);
	proto_header(h, PROTO_HELLO, 0x01020304);
	CHECK(memcmp(h, "\x01\x02\x03\x05\x01", 5) == 0);
	proto_header(h, PROTO_GAP, 0xfffffe);
	CHECK(memcmp(h, "\x00\xff\xff\xff\x06", 5) == 0);
	proto_header(h, PROTO_ACK, 255);
	CHECK(memcmp(h, "\x00\x00\x01\x00\x04", 5) == 0);
}

static void
test_header_roundtrip(void)
{
	static const enum proto_type types[] = { PROTO_HELLO, PROTO_WELCOME,
	    PROTO_EVENT, PROTO_ACK, PROTO_STATUS, PROTO_GAP, PROTO_ERROR };
	static const size_t lens[] = { 16, 17, 255, 256, 1000, MAXLEN };
	static uint8_t buf[PROTO_HDRLEN + MAXLEN];
	struct proto_frame f;
	size_t i, j, used, n;
	char err[128];

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		for (j = 0; j < sizeof(lens) / sizeof(lens[0]); j++) {
			proto_header(buf, types[i], lens[j]);
			memset(buf + PROTO_HDRLEN, (int)(i * 16 + j), lens[j]);
			n = PROTO_HDRLEN + lens[j];
			used = 0;
			if (proto_decode(buf, n, MAXLEN, &f, &used, err,
			    sizeof(err)) != 1) {
				FAILF("%s of %zu bytes: %s",
				    proto_type_name(types[i]), lens[j], err);
				continue;
			}
			CHECK_INT(f.type, types[i]);
			CHECK_INT(f.len, lens[j]);
			CHECK(f.payload == buf + PROTO_HDRLEN);
			CHECK_INT(used, n);
		}
	}
}

static void
test_decode_exact(void)
{
	uint8_t buf[64], pl[10];
	struct proto_frame f;
	size_t n, used = 0;
	char err[128];

	proto_put_u64(pl, 42);
	memcpy(pl + 8, "{}", 2);
	n = mkframe(buf, PROTO_EVENT, pl, sizeof(pl));
	CHECK_INT(n, 15);
	REQUIRE(proto_decode(buf, n, MAXLEN, &f, &used, err,
	    sizeof(err)) == 1);
	CHECK_INT(f.type, PROTO_EVENT);
	CHECK_INT(f.len, 10);
	CHECK(f.payload == buf + 5);
	CHECK_INT(used, 15);
	CHECK_INT(proto_get_u64(f.payload), 42);
	CHECK(memcmp(f.payload + 8, "{}", 2) == 0);

	/* Bytes after the frame belong to the next one. */
	memset(buf + n, 0xee, 20);
	used = 0;
	REQUIRE(proto_decode(buf, n + 20, MAXLEN, &f, &used, err,
	    sizeof(err)) == 1);
	CHECK_INT(used, 15);
	CHECK_INT(f.len, 10);
}

static void
test_decode_prefixes(void)
{
	static const char json[] = "{\"proto\":1,\"agent\":\"a\"}";
	uint8_t buf[64];
	struct proto_frame f;
	size_t n, k, used;
	char err[128];
	int rc;

	n = mkframe(buf, PROTO_HELLO, json, sizeof(json) - 1);
	for (k = 0; k < n; k++) {
		used = 999;
		err[0] = '\0';
		rc = proto_decode(buf, k, MAXLEN, &f, &used, err,
		    sizeof(err));
		if (rc != 0 || used != 999)
			FAILF("prefix of %zu/%zu bytes: rc %d used %zu err "
			    "\"%s\"", k, n, rc, used, err);
	}
	used = 0;
	CHECK_INT(proto_decode(buf, n, MAXLEN, &f, &used, err, sizeof(err)),
	    1);
	CHECK_INT(used, n);
	CHECK_INT(f.len, sizeof(json) - 1);
	CHECK(memcmp(f.payload, json, f.len) == 0);

	/* NULL buffer with no bytes: nothing to read, nothing read. */
	CHECK_INT(proto_decode(NULL, 0, MAXLEN, &f, &used, err, sizeof(err)),
	    0);
}

static void
test_decode_back_to_back(void)
{
	uint8_t buf[128], pl[16];
	struct proto_frame f;
	size_t n = 0, off = 0, used;
	char err[128];

	proto_put_u64(pl, 7);
	n += mkframe(buf + n, PROTO_ACK, pl, 8);
	proto_put_u64(pl, 3);
	proto_put_u64(pl + 8, 5);
	n += mkframe(buf + n, PROTO_GAP, pl, 16);
	n += mkframe(buf + n, PROTO_ERROR, "bye", 3);
	n += mkframe(buf + n, PROTO_ERROR, "", 0);
	CHECK_INT(n, 13 + 21 + 8 + 5);

	REQUIRE(proto_decode(buf, n, MAXLEN, &f, &used, err, sizeof(err)) ==
	    1);
	CHECK_INT(f.type, PROTO_ACK);
	CHECK_INT(used, 13);
	CHECK_INT(proto_get_u64(f.payload), 7);
	off += used;
	REQUIRE(proto_decode(buf + off, n - off, MAXLEN, &f, &used, err,
	    sizeof(err)) == 1);
	CHECK_INT(f.type, PROTO_GAP);
	CHECK_INT(used, 21);
	CHECK_INT(proto_get_u64(f.payload), 3);
	CHECK_INT(proto_get_u64(f.payload + 8), 5);
	off += used;
	REQUIRE(proto_decode(buf + off, n - off, MAXLEN, &f, &used, err,
	    sizeof(err)) == 1);
	CHECK_INT(f.type, PROTO_ERROR);
	CHECK_INT(f.len, 3);
	CHECK(memcmp(f.payload, "bye", 3) == 0);
	off += used;
	/* An ERROR may carry no reason at all. */
	REQUIRE(proto_decode(buf + off, n - off, MAXLEN, &f, &used, err,
	    sizeof(err)) == 1);
	CHECK_INT(f.type, PROTO_ERROR);
	CHECK_INT(f.len, 0);
	CHECK_INT(used, 5);
	off += used;
	CHECK_INT(off, n);
	CHECK_INT(proto_decode(buf + off, n - off, MAXLEN, &f, &used, err,
	    sizeof(err)), 0);

	/* The second frame cut short: the first still decodes alone. */
	REQUIRE(proto_decode(buf, 13 + 20, MAXLEN, &f, &used, err,
	    sizeof(err)) == 1);
	CHECK_INT(used, 13);
	CHECK_INT(proto_decode(buf + 13, 20, MAXLEN, &f, &used, err,
	    sizeof(err)), 0);
}

static void
test_unknown_type(void)
{
	uint8_t h[PROTO_HDRLEN];

	rawhdr(h, 3, 0);
	refused(h, 5, MAXLEN, "unknown frame type 0");
	rawhdr(h, 3, 8);
	refused(h, 5, MAXLEN, "unknown frame type 8");
	rawhdr(h, 3, 255);
	refused(h, 5, MAXLEN, "unknown frame type 255");
	/* The type is judged before the length. */
	rawhdr(h, 0, 9);
	refused(h, 5, MAXLEN, "unknown frame type 9");
	rawhdr(h, 0xffffffff, 128);
	refused(h, 5, MAXLEN, "unknown frame type 128");
	/* "GET /" and a TLS handshake record die on the first 5 bytes. */
	refused((const uint8_t *)"GET / HTTP/1.1\r\n", 16, MAXLEN,
	    "unknown frame type 47");
	refused((const uint8_t *)"\x16\x03\x01\x02\x00\x01", 6, MAXLEN,
	    "unknown frame type 0");
}

static void
test_zero_length(void)
{
	uint8_t h[PROTO_HDRLEN];
	struct proto_frame f;
	size_t used = 999;
	char err[256];

	/* length counts the type byte, so 0 is never valid. */
	rawhdr(h, 0, PROTO_ERROR);
	err[0] = '\0';
	CHECK_INT(proto_decode(h, 5, MAXLEN, &f, &used, err, sizeof(err)),
	    -1);
	CHECK_INT(used, 999);
	CHECK_CONTAINS(err, "ERROR frame");
	/*
	 * A zero length is not over any limit; a log line saying so sends
	 * whoever reads it the wrong way (lib/proto.c:96-98).
	 */
	if (strstr(err, "over the") != NULL)
		FAILF("zero-length frame reported as \"%s\"", err);
	rawhdr(h, 0, PROTO_HELLO);
	CHECK_INT(proto_decode(h, 5, MAXLEN, &f, &used, err, sizeof(err)),
	    -1);
	CHECK_CONTAINS(err, "HELLO frame");
}

static void
test_over_maxlen(void)
{
	uint8_t h[PROTO_HDRLEN];

	/* Refused from the header alone: no waiting for the payload. */
	rawhdr(h, MAXLEN + 2, PROTO_EVENT);
	refused(h, 5, MAXLEN,
	    "EVENT frame of 65537 bytes over the 65536-byte limit");
	rawhdr(h, 0xffffffff, PROTO_HELLO);
	refused(h, 5, MAXLEN,
	    "HELLO frame of 4294967294 bytes over the 65536-byte limit");
	rawhdr(h, 1025 + 1, PROTO_STATUS);
	refused(h, 5, PROTO_MIN_FRAME,
	    "STATUS frame of 1025 bytes over the 1024-byte limit");
	rawhdr(h, PROTO_MAX_FRAME + 2, PROTO_ERROR);
	refused(h, 5, PROTO_MAX_FRAME,
	    "ERROR frame of 1048577 bytes over the 1048576-byte limit");
}

static void
test_at_maxlen(void)
{
	static uint8_t buf[PROTO_HDRLEN + 1024];
	struct proto_frame f;
	size_t used = 0;
	char err[128];

	/* Exactly maxlen is allowed; the header alone asks for more. */
	memset(buf, '{', sizeof(buf));
	proto_header(buf, PROTO_STATUS, 1024);
	CHECK_INT(proto_decode(buf, 5, 1024, &f, &used, err, sizeof(err)), 0);
	CHECK_INT(proto_decode(buf, sizeof(buf), 1024, &f, &used, err,
	    sizeof(err)), 1);
	CHECK_INT(used, sizeof(buf));
	CHECK_INT(f.len, 1024);
	refused(buf, sizeof(buf), 1023,
	    "STATUS frame of 1024 bytes over the 1023-byte limit");
}

static void
test_under_minimum(void)
{
	uint8_t buf[64];

	memset(buf, 0, sizeof(buf));
	rawhdr(buf, 8, PROTO_ACK);
	refused(buf, 5, MAXLEN, "ACK frame of 7 bytes is too short");
	refused(buf, 12, MAXLEN, "ACK frame of 7 bytes is too short");
	rawhdr(buf, 1, PROTO_ACK);
	refused(buf, 5, MAXLEN, "ACK frame of 0 bytes is too short");
	rawhdr(buf, 16, PROTO_GAP);
	refused(buf, 5, MAXLEN, "GAP frame of 15 bytes is too short");
	rawhdr(buf, 9, PROTO_GAP);
	refused(buf, 5, MAXLEN, "GAP frame of 8 bytes is too short");
	rawhdr(buf, 10, PROTO_EVENT);
	refused(buf, 5, MAXLEN, "EVENT frame of 9 bytes is too short");
	rawhdr(buf, 9, PROTO_EVENT);
	refused(buf, 5, MAXLEN, "EVENT frame of 8 bytes is too short");
	rawhdr(buf, 2, PROTO_HELLO);
	refused(buf, 5, MAXLEN, "HELLO frame of 1 bytes is too short");
	rawhdr(buf, 2, PROTO_WELCOME);
	refused(buf, 5, MAXLEN, "WELCOME frame of 1 bytes is too short");
	rawhdr(buf, 1, PROTO_STATUS);
	refused(buf, 5, MAXLEN, "STATUS frame of 0 bytes is too short");
}

static void
test_at_minimum(void)
{
	static const struct {
		enum proto_type	t;
		size_t		min;
	} m[] = {
		{ PROTO_HELLO, 2 }, { PROTO_WELCOME, 2 }, { PROTO_EVENT, 10 },
		{ PROTO_ACK, 8 }, { PROTO_STATUS, 2 }, { PROTO_GAP, 16 },
		{ PROTO_ERROR, 0 },
	};
	uint8_t buf[64];
	struct proto_frame f;
	size_t i, used;
	char err[128];

	memset(buf, 0, sizeof(buf));
	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		proto_header(buf, m[i].t, m[i].min);
		used = 0;
		if (proto_decode(buf, PROTO_HDRLEN + m[i].min, MAXLEN, &f,
		    &used, err, sizeof(err)) != 1 || f.len != m[i].min ||
		    used != PROTO_HDRLEN + m[i].min || f.type != m[i].t)
			FAILF("%s of %zu bytes refused: %s",
			    proto_type_name(m[i].t), m[i].min, err);
	}
}

static void
test_u64(void)
{
	static const uint64_t v[] = { 0, 1, 255, 256, 0x0102030405060708ULL,
	    0x8000000000000000ULL, UINT64_MAX - 1, UINT64_MAX };
	uint8_t b[8];
	size_t i;

	proto_put_u64(b, 0x0102030405060708ULL);
	CHECK(memcmp(b, "\x01\x02\x03\x04\x05\x06\x07\x08", 8) == 0);
	proto_put_u64(b, 0);
	CHECK(memcmp(b, "\0\0\0\0\0\0\0\0", 8) == 0);
	proto_put_u64(b, UINT64_MAX);
	CHECK(memcmp(b, "\xff\xff\xff\xff\xff\xff\xff\xff", 8) == 0);
	CHECK(proto_get_u64((const uint8_t *)"\xff\0\0\0\0\0\0\x01") ==
	    0xff00000000000001ULL);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		proto_put_u64(b, v[i]);
		if (proto_get_u64(b) != v[i])
			FAILF("u64 %" PRIu64 " came back as %" PRIu64, v[i],
			    proto_get_u64(b));
	}
}

static void
test_type_names(void)
{
	CHECK_STR(proto_type_name(PROTO_HELLO), "HELLO");
	CHECK_STR(proto_type_name(PROTO_WELCOME), "WELCOME");
	CHECK_STR(proto_type_name(PROTO_EVENT), "EVENT");
	CHECK_STR(proto_type_name(PROTO_ACK), "ACK");
	CHECK_STR(proto_type_name(PROTO_STATUS), "STATUS");
	CHECK_STR(proto_type_name(PROTO_GAP), "GAP");
	CHECK_STR(proto_type_name(PROTO_ERROR), "ERROR");
	CHECK_STR(proto_type_name((enum proto_type)0), "UNKNOWN");
	CHECK_STR(proto_type_name((enum proto_type)8), "UNKNOWN");
	CHECK_STR(proto_type_name((enum proto_type)255), "UNKNOWN");
	CHECK_STR(proto_type_name((enum proto_type)-1), "UNKNOWN");
}

static void
test_err_buffer(void)
{
	uint8_t h[PROTO_HDRLEN];
	struct proto_frame f;
	size_t used;
	char err[8];

	/* A short error buffer gets a truncated, terminated message. */
	memset(err, 'X', sizeof(err));
	rawhdr(h, 3, 200);
	CHECK_INT(proto_decode(h, 5, MAXLEN, &f, &used, err, sizeof(err)),
	    -1);
	CHECK_STR(err, "unknown");
	/* No error buffer at all is allowed too. */
	CHECK_INT(proto_decode(h, 5, MAXLEN, &f, &used, NULL, 0), -1);
}

static void
test_maxlen_zero(void)
{
	uint8_t buf[PROTO_HDRLEN];
	struct proto_frame f;
	size_t used = 0;
	char err[128];

	/* With maxlen 0 only an empty ERROR passes. */
	proto_header(buf, PROTO_ERROR, 0);
	CHECK_INT(proto_decode(buf, 5, 0, &f, &used, err, sizeof(err)), 1);
	CHECK_INT(used, 5);
	rawhdr(buf, 3, PROTO_HELLO);
	refused(buf, 5, 0, "HELLO frame of 2 bytes over the 0-byte limit");
}

/*
 * The agent-name rule at its edges. Bytes above 0x7f are refused whatever
 * the locale: isalnum() in a Latin-1 locale would have taken "\xe9".
 */
static void
test_agent_name(void)
{
	static const char *const good[] = {
		"a", "Z", "0", "db-crm-1", "db_1.example.org", "agent@site",
		"-", "_", ".", "@", "..", "A-Z.a_z@0-9"
	};
	static const char *const bad[] = {
		"", " ", "db 1", "db/1", "../x", "db:1", "db\\1", "db\"1",
		"db'1", "db,1", "db;1", "db=1", "db+1", "db#1", "db%1", "db~1",
		"db\t1", "db\n", "\x7f", "\x01", "caf\xe9", "caf\xc3\xa9",
		"\xff"
	};
	char name[PROTO_MAX_NAME + 2];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!proto_valid_agent_name(good[i]))
			FAILF("\"%s\" refused", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (proto_valid_agent_name(bad[i]))
			FAILF("bad name %zu accepted", i);
	memset(name, 'a', sizeof(name));
	name[PROTO_MAX_NAME] = '\0';
	CHECK_INT(proto_valid_agent_name(name), 1);
	name[PROTO_MAX_NAME] = 'a';
	name[PROTO_MAX_NAME + 1] = '\0';
	CHECK_INT(proto_valid_agent_name(name), 0);
	/* Every byte value: only the 66 listed ones pass. */
	for (i = 1; i < 256; i++) {
		int want = (i >= 'a' && i <= 'z') || (i >= 'A' && i <= 'Z') ||
		    (i >= '0' && i <= '9') || i == '-' || i == '_' ||
		    i == '.' || i == '@';

		name[0] = (char)i;
		name[1] = '\0';
		if (proto_valid_agent_name(name) != want)
			FAILF("byte 0x%02zx: expected %d", i, want);
	}
}

static const struct test tests[] = {
	{ "header", test_header },
	{ "header_roundtrip", test_header_roundtrip },
	{ "decode_exact", test_decode_exact },
	{ "decode_prefixes", test_decode_prefixes },
	{ "decode_back_to_back", test_decode_back_to_back },
	{ "unknown_type", test_unknown_type },
	{ "zero_length", test_zero_length },
	{ "over_maxlen", test_over_maxlen },
	{ "at_maxlen", test_at_maxlen },
	{ "under_minimum", test_under_minimum },
	{ "at_minimum", test_at_minimum },
	{ "u64", test_u64 },
	{ "type_names", test_type_names },
	{ "err_buffer", test_err_buffer },
	{ "maxlen_zero", test_maxlen_zero },
	{ "agent_name", test_agent_name },
};

HARNESS_MAIN(tests)
