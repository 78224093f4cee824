/*
 * Unit tests for lib/util.c: RFC 3339 timestamps (exact microsecond values
 * worked out by hand, calendar edges, strict refusal of anything that is
 * not UTC "Z"), host:port splitting, the strict number parsers, hex,
 * error messages, SHA-256, CRC-32C, the constant-time compare, the
 * comparator of doubles, the NULL-taking frees, the whole-file reader
 * and the padding of cut texts (str_vis() is tested
 * with lib/text.c in test_text.c). The clocks and random_bytes() are
 * only smoke-tested: their values are not ours to predict.
 */
#include "harness.h"
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

/* Parses s and formats it back, which must give s itself. */
static void
ts_same(const char *s, int64_t want)
{
	char buf[TS_STRLEN];
	int64_t us = 12345;

	if (ts_parse(s, &us) != 0) {
		FAILF("ts_parse(\"%s\") refused", s);
		return;
	}
	if (us != want)
		FAILF("ts_parse(\"%s\") == %" PRId64 ", expected %" PRId64,
		    s, us, want);
	if (ts_format(us, buf, sizeof(buf)) != 0) {
		FAILF("ts_format(%" PRId64 ") refused", us);
		return;
	}
	if (strcmp(buf, s) != 0)
		FAILF("ts_format(%" PRId64 ") == \"%s\", expected \"%s\"", us,
		    buf, s);
}

static void
ts_bad(const char *s)
{
	int64_t us = 777;

	if (ts_parse(s, &us) != -1)
		FAILF("ts_parse(\"%s\") accepted as %" PRId64, s, us);
	else if (us != 777)
		FAILF("ts_parse(\"%s\") refused but wrote %" PRId64, s, us);
}

static void
test_ts_known_values(void)
{
	/* 2026-11-22: 56 years (14 leap days) + 325 days = 20779 days. */
	ts_same("1970-01-01T00:00:00.000000Z", 0);
	ts_same("1970-01-01T00:00:00.000001Z", 1);
	ts_same("1970-01-02T00:00:00.000000Z", 86400000000LL);
	ts_same("2026-11-22T10:00:00.123456Z", 1795341600123456LL);
	ts_same("2000-02-29T12:34:56.000000Z", 951827696000000LL);
	ts_same("2024-02-29T00:00:00.000000Z", 1709164800000000LL);
	ts_same("2026-12-31T23:59:59.999999Z", 1798761599999999LL);
}

static void
test_ts_negative_and_extremes(void)
{
	char buf[TS_STRLEN];

	/* Floor division: -1 us is the last microsecond of 1969. */
	ts_same("1969-12-31T23:59:59.999999Z", -1);
	ts_same("1969-12-31T23:59:59.000000Z", -1000000);
	ts_same("1969-12-31T23:59:58.500000Z", -1500000);
	ts_same("1900-01-01T00:00:00.000000Z", -2208988800000000LL);
	ts_same("0000-01-01T00:00:00.000000Z", -62167219200000000LL);
	ts_same("9999-12-31T23:59:59.999999Z", 253402300799999999LL);

	/* One past either end of four-digit years cannot be formatted. */
	CHECK_INT(ts_format(253402300800000000LL, buf, sizeof(buf)), -1);
	CHECK_INT(ts_format(-62167219200000001LL, buf, sizeof(buf)), -1);
	CHECK_INT(ts_format(INT64_MAX, buf, sizeof(buf)), -1);
	CHECK_INT(ts_format(INT64_MIN, buf, sizeof(buf)), -1);
}

static void
test_ts_format_buffer(void)
{
	char buf[TS_STRLEN];

	CHECK_INT(ts_format(0, buf, TS_STRLEN - 1), -1);
	CHECK_INT(ts_format(0, buf, 0), -1);
	CHECK_INT(ts_format(0, buf, TS_STRLEN), 0);
	CHECK_STR(buf, "1970-01-01T00:00:00.000000Z");
	CHECK_INT(strlen(buf), TS_STRLEN - 1);
}

static void
test_ts_leap_years(void)
{
	int64_t us = 0;

	CHECK_INT(ts_parse("2024-02-29T00:00:00Z", &us), 0);
	CHECK_INT(us, 1709164800000000LL);
	CHECK_INT(ts_parse("2000-02-29T00:00:00Z", &us), 0);
	CHECK_INT(us, 951782400000000LL);
	ts_bad("2026-02-29T00:00:00Z");
	ts_bad("1900-02-29T00:00:00Z");	/* century, not divisible by 400 */
	ts_bad("2100-02-29T00:00:00Z");
	ts_bad("2024-02-30T00:00:00Z");
	ts_bad("2026-04-31T00:00:00Z");
	ts_bad("2026-06-31T00:00:00Z");
	CHECK_INT(ts_parse("2026-02-28T00:00:00Z", &us), 0);
	CHECK_INT(ts_parse("2026-01-31T00:00:00Z", &us), 0);
	CHECK_INT(ts_parse("2026-12-31T00:00:00Z", &us), 0);
}

static void
test_ts_fraction_digits(void)
{
	static const struct {
		const char	*s;
		int64_t		 us;
	} t[] = {
		{ "2026-11-22T10:00:00Z",		1795341600000000LL },
		{ "2026-11-22T10:00:00.1Z",		1795341600100000LL },
		{ "2026-11-22T10:00:00.12Z",		1795341600120000LL },
		{ "2026-11-22T10:00:00.123Z",		1795341600123000LL },
		{ "2026-11-22T10:00:00.1234Z",		1795341600123400LL },
		{ "2026-11-22T10:00:00.12345Z",		1795341600123450LL },
		{ "2026-11-22T10:00:00.123456Z",	1795341600123456LL },
		/* Beyond six digits truncated, never rounded. */
		{ "2026-11-22T10:00:00.1234569Z",	1795341600123456LL },
		{ "2026-11-22T10:00:00.12345699Z",	1795341600123456LL },
		{ "2026-11-22T10:00:00.999999999Z",	1795341600999999LL },
		{ "2026-11-22T10:00:00.000000001Z",	1795341600000000LL },
	};
	size_t i;
	int64_t us;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		us = -1;
		if (ts_parse(t[i].s, &us) != 0 || us != t[i].us)
			FAILF("ts_parse(\"%s\") == %" PRId64 ", expected %"
			    PRId64, t[i].s, us, t[i].us);
	}
	ts_bad("2026-11-22T10:00:00.1234567891Z");	/* ten digits */
	ts_bad("2026-11-22T10:00:00.Z");		/* dot, no digits */
	ts_bad("2026-11-22T10:00:00,5Z");
}

static void
test_ts_leap_second(void)
{
	int64_t us = 0;

	/* :60 folds into the last microsecond of :59. */
	CHECK_INT(ts_parse("2016-12-31T23:59:60Z", &us), 0);
	CHECK_INT(us, 1483228799999999LL);
	CHECK_INT(ts_parse("2016-12-31T23:59:60.5Z", &us), 0);
	CHECK_INT(us, 1483228799999999LL);
	ts_bad("2016-12-31T23:59:61Z");
}

static void
test_ts_refused(void)
{
	ts_bad("");
	ts_bad("2026");
	ts_bad("2026-11-22");
	ts_bad("2026-11-22T10:00:00");		/* missing Z */
	ts_bad("2026-11-22T10:00:00.123456");
	ts_bad("2026-11-22T10:00:00+01:00");
	ts_bad("2026-11-22T10:00:00-00:00");
	ts_bad("2026-11-22T10:00:00.5+00:00");
	ts_bad("2026-11-22T10:00:00z");		/* lower-case zone */
	ts_bad("2026-11-22t10:00:00Z");
	ts_bad("2026-11-22 10:00:00Z");
	ts_bad("2026-13-01T00:00:00Z");
	ts_bad("2026-00-01T00:00:00Z");
	ts_bad("2026-11-32T00:00:00Z");
	ts_bad("2026-11-00T00:00:00Z");
	ts_bad("2026-11-22T24:00:00Z");
	ts_bad("2026-11-22T10:60:00Z");
	ts_bad("2026-11-22T10:00:00ZZ");	/* trailing junk */
	ts_bad("2026-11-22T10:00:00Z ");
	ts_bad("2026-11-22T10:00:00.5Zx");
	ts_bad(" 2026-11-22T10:00:00Z");
	ts_bad("+026-11-22T10:00:00Z");
	ts_bad("2026-1-22T10:00:00Z0");
	ts_bad("2026/11/22T10:00:00Z");
	ts_bad("20261122T100000Z");
}

static void
test_ts_now_roundtrip(void)
{
	char buf[TS_STRLEN];
	int64_t now = now_us(), back = 0, m1, m2;

	/* After 2024, before 2100: the clock is at least plausible. */
	CHECK(now > 1704067200000000LL && now < 4102444800000000LL);
	CHECK_INT(ts_format(now, buf, sizeof(buf)), 0);
	CHECK_INT(ts_parse(buf, &back), 0);
	CHECK_INT(back, now);
	m1 = mono_ms();
	m2 = mono_ms();
	CHECK(m2 >= m1);
}

static void
test_hostport(void)
{
	char host[64], port[8];

	CHECK_INT(hostport_split("127.0.0.1:7800", host, sizeof(host), port,
	    sizeof(port)), 0);
	CHECK_STR(host, "127.0.0.1");
	CHECK_STR(port, "7800");
	CHECK_INT(hostport_split("collector.example:443", host, sizeof(host),
	    port, sizeof(port)), 0);
	CHECK_STR(host, "collector.example");
	CHECK_INT(hostport_split("[::1]:7800", host, sizeof(host), port,
	    sizeof(port)), 0);
	CHECK_STR(host, "::1");
	CHECK_STR(port, "7800");
	CHECK_INT(hostport_split("[fe80::1%lo]:9", host, sizeof(host), port,
	    sizeof(port)), 0);
	CHECK_STR(host, "fe80::1%lo");
	CHECK_STR(port, "9");
	CHECK_INT(hostport_split("*:7800", host, sizeof(host), port,
	    sizeof(port)), 0);
	CHECK_STR(host, "*");
	CHECK_INT(hostport_split(":7800", host, sizeof(host), port,
	    sizeof(port)), 0);
	CHECK_STR(host, "");
	CHECK_STR(port, "7800");
}

static void
test_hostport_refused(void)
{
	char host[16], port[8];

	snprintf(host, sizeof(host), "untouched");
	CHECK_INT(hostport_split("::1:7800", host, sizeof(host), port,
	    sizeof(port)), -1);			/* bare v6 */
	CHECK_INT(hostport_split("fe80::1", host, sizeof(host), port,
	    sizeof(port)), -1);
	CHECK_INT(hostport_split("localhost", host, sizeof(host), port,
	    sizeof(port)), -1);			/* no port */
	CHECK_INT(hostport_split("localhost:", host, sizeof(host), port,
	    sizeof(port)), -1);			/* empty port */
	CHECK_INT(hostport_split("[::1]:", host, sizeof(host), port,
	    sizeof(port)), -1);
	CHECK_INT(hostport_split("[::1]", host, sizeof(host), port,
	    sizeof(port)), -1);
	CHECK_INT(hostport_split("[::1]7800", host, sizeof(host), port,
	    sizeof(port)), -1);
	CHECK_INT(hostport_split("[::1:7800", host, sizeof(host), port,
	    sizeof(port)), -1);
	CHECK_INT(hostport_split("", host, sizeof(host), port,
	    sizeof(port)), -1);
	/* 16 bytes of host do not fit 16 bytes with the NUL; 15 do. */
	CHECK_INT(hostport_split("abcdefghijklmnop:1", host, sizeof(host),
	    port, sizeof(port)), -1);
	CHECK_INT(hostport_split("[0123456789abcdef]:1", host, sizeof(host),
	    port, sizeof(port)), -1);
	CHECK_INT(hostport_split("a:12345678", host, sizeof(host), port,
	    sizeof(port)), -1);			/* port too long */
	CHECK_STR(host, "untouched");
	CHECK_INT(hostport_split("abcdefghijklmno:1234567", host,
	    sizeof(host), port, sizeof(port)), 0);
	CHECK_STR(host, "abcdefghijklmno");
	CHECK_STR(port, "1234567");
}

static void
test_parse_ll(void)
{
	long long v = 99;

	CHECK_INT(parse_ll("0", 0, 10, &v), 0);
	CHECK_INT(v, 0);
	CHECK_INT(parse_ll("-5", -10, 10, &v), 0);
	CHECK_INT(v, -5);
	CHECK_INT(parse_ll("10", 0, 10, &v), 0);
	CHECK_INT(v, 10);
	CHECK_INT(parse_ll("9223372036854775807", 0, LLONG_MAX, &v), 0);
	CHECK_INT(v, LLONG_MAX);
	CHECK_INT(parse_ll("-9223372036854775808", LLONG_MIN, 0, &v), 0);
	CHECK(v == LLONG_MIN);

	v = 99;
	CHECK_INT(parse_ll("11", 0, 10, &v), -1);	/* range */
	CHECK_INT(parse_ll("-1", 0, 10, &v), -1);
	CHECK_INT(parse_ll("9223372036854775808", 0, LLONG_MAX, &v), -1);
	CHECK_INT(parse_ll("-9223372036854775809", LLONG_MIN, 0, &v), -1);
	CHECK_INT(parse_ll("", 0, 10, &v), -1);
	CHECK_INT(parse_ll(NULL, 0, 10, &v), -1);
	CHECK_INT(parse_ll("5x", 0, 10, &v), -1);	/* junk */
	CHECK_INT(parse_ll("5 ", 0, 10, &v), -1);
	CHECK_INT(parse_ll("0x5", 0, 10, &v), -1);
	CHECK_INT(parse_ll("1e3", 0, 10000, &v), -1);
	CHECK_INT(parse_ll("-", 0, 10, &v), -1);
	CHECK_INT(parse_ll("abc", 0, 10, &v), -1);
	CHECK_INT(v, 99);
}

static void
test_parse_size(void)
{
	static const struct {
		const char	*s;
		long long	 v;
	} ok[] = {
		{ "0", 0 }, { "4096", 4096 }, { "1K", 1024 },
		{ "64M", 64LL << 20 }, { "1G", 1LL << 30 },
		{ "2T", 2LL << 40 }, { "007K", 7168 },
		{ "9223372036854775807", LLONG_MAX },
		{ "8388607T", 8388607LL << 40 },
	};
	static const char *const bad[] = {
		"", "K", "-1", "-1K", "+1", "1k", "1m", "1KB", "1 K", " 1",
		"1.5M", "1P", "8388608T", "8796093022208M",
		"9223372036854775808", "99999999999999999999999999999999999",
		"0x10",
	};
	long long v;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = -1;
		if (parse_size(ok[i].s, &v) != 0 || v != ok[i].v)
			FAILF("parse_size(\"%s\") == %lld, expected %lld",
			    ok[i].s, v, ok[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = -1;
		if (parse_size(bad[i], &v) != -1 || v != -1)
			FAILF("parse_size(\"%s\") accepted as %lld", bad[i], v);
	}
}

static void
test_parse_duration(void)
{
	static const struct {
		const char	*s;
		long long	 v;
	} ok[] = {
		{ "0ms", 0 }, { "500ms", 500 }, { "0s", 0 }, { "10s", 10000 },
		{ "5m", 300000 }, { "1h", 3600000 }, { "24h", 86400000 },
		{ "2562047788015h", 2562047788015LL * 3600000 },
		{ "9223372036854775807ms", LLONG_MAX },
	};
	static const char *const bad[] = {
		"", "10", "0", "ms", "-1s", "+1s", "1S", "1sec", "1d", "1 s",
		"1.5s", "10mss", "1hm", "2562047788016h",
		"9223372036854775808ms", "153722867280913m",
	};
	long long v;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = -1;
		if (parse_duration(ok[i].s, &v) != 0 || v != ok[i].v)
			FAILF("parse_duration(\"%s\") == %lld, expected %lld",
			    ok[i].s, v, ok[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = -1;
		if (parse_duration(bad[i], &v) != -1 || v != -1)
			FAILF("parse_duration(\"%s\") accepted as %lld", bad[i],
			    v);
	}
}

static void
test_hex(void)
{
	static const uint8_t in[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
	uint8_t out[6], one[1];
	char hex[13];

	hex_encode(in, sizeof(in), hex);
	CHECK_STR(hex, "00017f80abff");
	hex_encode(in, 0, hex);
	CHECK_STR(hex, "");

	memset(out, 0, sizeof(out));
	CHECK_INT(hex_decode("00017f80abff", out, sizeof(out)), 0);
	CHECK(memcmp(out, in, sizeof(in)) == 0);
	CHECK_INT(hex_decode("00017F80ABFF", out, sizeof(out)), 0);
	CHECK(memcmp(out, in, sizeof(in)) == 0);
	CHECK_INT(hex_decode("", out, 0), 0);

	CHECK_INT(hex_decode("00017f80abf", out, sizeof(out)), -1); /* odd */
	CHECK_INT(hex_decode("00017f80abff00", out, sizeof(out)), -1);
	CHECK_INT(hex_decode("0g", one, 1), -1);
	CHECK_INT(hex_decode("g0", one, 1), -1);
	CHECK_INT(hex_decode(" 0", one, 1), -1);
	CHECK_INT(hex_decode("0x", one, 1), -1);
	CHECK_INT(hex_decode("", one, 1), -1);
}

/* Every byte value: only 0-9, a-f and A-F have one. */
static void
test_hexval(void)
{
	int c, want;

	for (c = 0; c < 256; c++) {
		want = c >= '0' && c <= '9' ? c - '0' :
		    c >= 'a' && c <= 'f' ? c - 'a' + 10 :
		    c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (hexval(c) != want)
			FAILF("hexval(0x%02x) == %d, expected %d", c,
			    hexval(c), want);
	}
	CHECK_INT(hexval(-1), -1);
}

static void
test_seterr(void)
{
	char err[8];

	seterr(err, sizeof(err), "%s %d", "field", 42);
	CHECK_STR(err, "field 4");		/* cut, and terminated */
	seterr(err, sizeof(err), "ok");
	CHECK_STR(err, "ok");
	memcpy(err, "keep", 5);
	seterr(err, 0, "%s", "ignored");	/* errlen 0: untouched */
	CHECK_STR(err, "keep");
	seterr(NULL, 64, "%s", "ignored");	/* no buffer: no crash */
}

static void
test_sha256(void)
{
	char out[65];

	sha256_hex("abc", 3, out);
	CHECK_STR(out,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_hex("", 0, out);
	CHECK_STR(out,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_hex("hello", 5, out);
	CHECK_STR(out,
	    "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
}

static void
test_crc32c(void)
{
	static const uint8_t zeros[32];

	CHECK_INT(crc32c(0, "123456789", 9), 0xe3069283u);
	CHECK_INT(crc32c(0, "", 0), 0);
	/* Incremental use gives the same answer as one call. */
	CHECK_INT(crc32c(crc32c(0, "1234", 4), "56789", 5), 0xe3069283u);
	/* RFC 3720 B.4 test vector: 32 bytes of zeros. */
	CHECK_INT(crc32c(0, zeros, sizeof(zeros)), 0x8a9136aau);
	CHECK_INT(crc32c_soft(0, "123456789", 9), 0xe3069283u);
	CHECK_INT(crc32c_soft(0, zeros, sizeof(zeros)), 0x8a9136aau);
}

/* Bit at a time, straight from the definition: the reference. */
static uint32_t
crc32c_bitwise(uint32_t crc, const uint8_t *p, size_t len)
{
	int k;

	crc = ~crc;
	while (len-- > 0) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = crc & 1 ? 0x82f63b78u ^ (crc >> 1) : crc >> 1;
	}
	return ~crc;
}

/*
 * Both fast paths (the CPU's instruction where it has one, and slice-by-8)
 * against the reference: every length to 70 at every alignment to 7, and
 * chained calls split at every point, so the 8-byte steps and the tails
 * are all covered.
 */
static void
test_crc32c_paths(void)
{
	uint8_t buf[80];
	uint32_t want, x = 12345;
	size_t off, len, cut;
	int bad = 0, badsplit = 0;

	for (off = 0; off < sizeof(buf); off++) {
		x = x * 1103515245u + 12345u;
		buf[off] = (uint8_t)(x >> 16);
	}
	for (off = 0; off < 8; off++)
		for (len = 0; len <= 70; len++) {
			want = crc32c_bitwise(0, buf + off, len);
			if (crc32c(0, buf + off, len) != want ||
			    crc32c_soft(0, buf + off, len) != want)
				bad++;
			for (cut = 0; cut <= len; cut++)
				if (crc32c(crc32c(0, buf + off, cut),
				    buf + off + cut, len - cut) != want ||
				    crc32c_soft(crc32c_soft(0, buf + off, cut),
				    buf + off + cut, len - cut) != want)
					badsplit++;
		}
	CHECK_INT(bad, 0);
	CHECK_INT(badsplit, 0);
	CHECK_INT(crc32c_bitwise(0, (const uint8_t *)"123456789", 9),
	    0xe3069283u);
}

static void
test_ct_streq(void)
{
	CHECK_INT(ct_streq("", ""), 1);
	CHECK_INT(ct_streq("secret", "secret"), 1);
	CHECK_INT(ct_streq("secret", "secreT"), 0);
	CHECK_INT(ct_streq("secret", "Secret"), 0);
	CHECK_INT(ct_streq("secret", "secret2"), 0);
	CHECK_INT(ct_streq("secret2", "secret"), 0);
	CHECK_INT(ct_streq("a", ""), 0);
	CHECK_INT(ct_streq("", "a"), 0);
}

static void
test_random_bytes(void)
{
	uint8_t a[32], b[32];

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	CHECK_INT(random_bytes(a, sizeof(a)), 0);
	CHECK_INT(random_bytes(b, sizeof(b)), 0);
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	CHECK_INT(random_bytes(a, 0), 0);
}

/* Ascending, equal as equal, NaN equal to anything: qsort gets a
 * consistent order and the medians of the analytics their values. */
static void
test_cmp_double(void)
{
	double v[] = { 3, -1, 2.5, 0, -1 }, nan = NAN, one = 1;

	qsort(v, 5, sizeof(v[0]), cmp_double);
	CHECK(v[0] == -1 && v[1] == -1 && v[2] == 0 && v[3] == 2.5 &&
	    v[4] == 3);
	CHECK_INT(cmp_double(&v[0], &v[1]), 0);
	CHECK_INT(cmp_double(&v[2], &v[3]), -1);
	CHECK_INT(cmp_double(&v[4], &v[3]), 1);
	CHECK_INT(cmp_double(&nan, &one), 0);
}

/* Both free what they are given (ASan would report a leak) and take
 * NULL as free(3) does. */
static void
test_strv_ev_free(void)
{
	char **v = xcalloc(2, sizeof(*v));
	struct event_base *base = event_base_new();

	v[0] = xstrdup("a");
	v[1] = xstrdup("b");
	strv_free(v, 2);
	strv_free(NULL, 0);
	ev_free(evtimer_new(base, NULL, NULL));
	ev_free(NULL);
	event_base_free(base);
}

/*
 * A cut text reads as longer than max: its first max bytes, then blanks
 * to max + 1, in one buffer kept across calls; the text may already be
 * in that buffer.
 */
static void
test_str_cut_pad(void)
{
	char *pad = NULL;
	const char *s = "SELECT 1";
	size_t len = 8;

	REQUIRE(str_cut_pad(&pad, 10, &s, &len) == 0);
	CHECK(s == pad);
	CHECK_INT(len, 11);
	CHECK(memcmp(s, "SELECT 1   ", 11) == 0);
	s = "SELECT * FROM t";
	len = 15;
	REQUIRE(str_cut_pad(&pad, 10, &s, &len) == 0);
	CHECK_INT(len, 11);
	CHECK(memcmp(s, "SELECT * F ", 11) == 0);
	s = pad + 7;
	len = 3;
	REQUIRE(str_cut_pad(&pad, 10, &s, &len) == 0);
	CHECK(memcmp(s, "* F        ", 11) == 0);
	free(pad);
}

/* Writes len bytes of c into the test directory's file name. */
static void
put_file(const char *path, int c, size_t len)
{
	FILE *f = fopen(path, "w");

	REQUIRE(f != NULL);
	while (len-- > 0)
		fputc(c, f);
	fclose(f);
}

/*
 * A file of exactly max bytes is read whole and NUL-terminated, across
 * the reader's 8 KiB first step; one byte more, a missing file or a
 * directory is an error naming the path, with nothing allocated.
 */
static void
test_file_read_alloc(void)
{
	char path[512], dir[512], err[256];
	size_t len = 7;
	char *buf;

	snprintf(path, sizeof(path), "%s/read.txt", harness_tmpdir());
	put_file(path, 'x', 20000);
	buf = file_read_alloc(path, 20000, &len, err, sizeof(err));
	REQUIRE(buf != NULL);
	CHECK_INT(len, 20000);
	CHECK(buf[0] == 'x' && buf[19999] == 'x' && buf[20000] == '\0');
	free(buf);
	put_file(path, 'x', 0);
	buf = file_read_alloc(path, 20000, &len, err, sizeof(err));
	REQUIRE(buf != NULL);
	CHECK_INT(len, 0);
	CHECK_STR(buf, "");
	free(buf);
	put_file(path, 'x', 20001);
	len = 7;
	CHECK(file_read_alloc(path, 20000, &len, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "read.txt: larger than 20000 bytes") != NULL);
	CHECK_INT(len, 7);
	snprintf(dir, sizeof(dir), "%s/absent.txt", harness_tmpdir());
	CHECK(file_read_alloc(dir, 100, &len, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "absent.txt: No such file or directory") != NULL);
	CHECK(file_read_alloc(harness_tmpdir(), 100, &len, err,
	    sizeof(err)) == NULL);
	CHECK(strstr(err, ": read error") != NULL);
	unlink(path);
}

static const struct test tests[] = {
	{ "ts_known_values", test_ts_known_values },
	{ "ts_negative_and_extremes", test_ts_negative_and_extremes },
	{ "ts_format_buffer", test_ts_format_buffer },
	{ "ts_leap_years", test_ts_leap_years },
	{ "ts_fraction_digits", test_ts_fraction_digits },
	{ "ts_leap_second", test_ts_leap_second },
	{ "ts_refused", test_ts_refused },
	{ "ts_now_roundtrip", test_ts_now_roundtrip },
	{ "hostport", test_hostport },
	{ "hostport_refused", test_hostport_refused },
	{ "parse_ll", test_parse_ll },
	{ "parse_size", test_parse_size },
	{ "parse_duration", test_parse_duration },
	{ "hex", test_hex },
	{ "hexval", test_hexval },
	{ "seterr", test_seterr },
	{ "sha256", test_sha256 },
	{ "crc32c", test_crc32c },
	{ "crc32c_paths", test_crc32c_paths },
	{ "ct_streq", test_ct_streq },
	{ "random_bytes", test_random_bytes },
	{ "cmp_double", test_cmp_double },
	{ "strv_ev_free", test_strv_ev_free },
	{ "file_read_alloc", test_file_read_alloc },
	{ "str_cut_pad", test_str_cut_pad },
};

HARNESS_MAIN(tests)
