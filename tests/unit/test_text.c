/*
 * Unit tests for lib/text.c, the routine that makes untrusted text safe
 * to show: a table of inputs and their exact escaped forms (printable
 * UTF-8 kept; ESC, CR, LF, NUL, DEL, C1 and bad or truncated UTF-8
 * escaped), the TEXT_BACKSLASH variant, idempotence, cuts into small
 * buffers, the length and copy helpers, and text_is_clean() agreeing
 * with text_vis() on every case; and str_vis(), the same rules for log
 * lines with a backslash escaped too.
 */
#include "harness.h"

#include "leakwatch/text.h"
#include "leakwatch/util.h"

struct vis_case {
	const char	*in;
	size_t		 inlen;
	const char	*out;		/* flags 0 */
	const char	*out_bs;	/* TEXT_BACKSLASH */
};

#define C(s, o, ob)	{ s, sizeof(s) - 1, o, ob }

static const struct vis_case cases[] = {
	C("", "", ""),
	C("alice", "alice", "alice"),
	C("psql -h db", "psql -h db", "psql -h db"),
	/* Names in any script are kept, byte for byte. */
	C("Zo\xc3\xab", "Zo\xc3\xab", "Zo\xc3\xab"),
	C("\xc3\x98rsted", "\xc3\x98rsted", "\xc3\x98rsted"),
	C("\xe7\x94\xb0\xe4\xb8\xad", "\xe7\x94\xb0\xe4\xb8\xad",
	    "\xe7\x94\xb0\xe4\xb8\xad"),
	C("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"),
	C("\xc2\xa0nbsp", "\xc2\xa0nbsp", "\xc2\xa0nbsp"),
	/* A terminal's clear-screen, a syslog line break, a forged header. */
	C("\x1b[2J", "\\x1b[2J", "\\x1b[2J"),
	C("a\r\nb", "a\\x0d\\x0ab", "a\\x0d\\x0ab"),
	C("x\r\n<13>1 2026-01-01T00:00:00Z h forged",
	    "x\\x0d\\x0a<13>1 2026-01-01T00:00:00Z h forged",
	    "x\\x0d\\x0a<13>1 2026-01-01T00:00:00Z h forged"),
	C("a\tb", "a\\x09b", "a\\x09b"),
	C("ab\0cd", "ab\\x00cd", "ab\\x00cd"),
	C("\x7f", "\\x7f", "\\x7f"),
	C("\x01\x1f", "\\x01\\x1f", "\\x01\\x1f"),
	/* C1 controls written as UTF-8: CSI, NEL, the first and the last. */
	C("\xc2\x9b" "2J", "\\u009b2J", "\\u009b2J"),
	C("\xc2\x85", "\\u0085", "\\u0085"),
	C("\xc2\x80\xc2\x9f", "\\u0080\\u009f", "\\u0080\\u009f"),
	/* Raw 0x80-0x9f and other bytes that are not UTF-8. */
	C("\x9b" "2J", "\\x9b2J", "\\x9b2J"),
	C("\x80\xff", "\\x80\\xff", "\\x80\\xff"),
	C("\xc0\xaf", "\\xc0\\xaf", "\\xc0\\xaf"),		/* overlong */
	C("\xed\xa0\x80", "\\xed\\xa0\\x80", "\\xed\\xa0\\x80"),/* surrogate */
	C("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80",
	    "\\xf4\\x90\\x80\\x80"),				/* > U+10FFFF */
	/* Truncated sequences: at the end, and followed by ASCII. */
	C("Zo\xc3", "Zo\\xc3", "Zo\\xc3"),
	C("\xe7\x94", "\\xe7\\x94", "\\xe7\\x94"),
	C("\xe7\x94" "a", "\\xe7\\x94a", "\\xe7\\x94a"),
	C("\xf0\x9f\x98", "\\xf0\\x9f\\x98", "\\xf0\\x9f\\x98"),
	/* A backslash is kept unless the output must read back exactly. */
	C("dom\\user", "dom\\user", "dom\\x5cuser"),
	C("\\x1b", "\\x1b", "\\x5cx1b"),
};

static void
test_table(void)
{
	char out[256];
	size_t i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct vis_case *c = &cases[i];

		n = text_vis(c->in, c->inlen, out, sizeof(out), 0);
		if (strcmp(out, c->out) != 0 || n != strlen(c->out))
			FAILF("case %zu: text_vis gave \"%s\" (%zu), expected "
			    "\"%s\"", i, out, n, c->out);
		if (text_vis_len(c->in, c->inlen, 0) != strlen(c->out))
			FAILF("case %zu: text_vis_len %zu, expected %zu", i,
			    text_vis_len(c->in, c->inlen, 0), strlen(c->out));
		text_vis(c->in, c->inlen, out, sizeof(out), TEXT_BACKSLASH);
		if (strcmp(out, c->out_bs) != 0)
			FAILF("case %zu: with TEXT_BACKSLASH \"%s\", expected "
			    "\"%s\"", i, out, c->out_bs);
		/* Clean exactly when nothing changes. */
		if (text_is_clean(c->in, c->inlen) !=
		    (c->inlen == strlen(c->out) &&
		    memcmp(c->in, c->out, c->inlen) == 0))
			FAILF("case %zu: text_is_clean says %d", i,
			    text_is_clean(c->in, c->inlen));
	}
}

/* No byte below 0x20, no DEL, no C1 in any output; and twice is once. */
static void
test_output_safe_and_idempotent(void)
{
	char out[256], again[256];
	size_t i, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct vis_case *c = &cases[i];

		text_vis(c->in, c->inlen, out, sizeof(out), 0);
		for (j = 0; out[j] != '\0'; j++) {
			unsigned char b = (unsigned char)out[j];

			if (b < 0x20 || b == 0x7f)
				FAILF("case %zu: byte 0x%02x in output", i, b);
		}
		CHECK(text_is_clean(out, strlen(out)));
		text_vis(out, strlen(out), again, sizeof(again), 0);
		if (strcmp(out, again) != 0)
			FAILF("case %zu: \"%s\" escaped again is \"%s\"", i,
			    out, again);
	}
}

/* Every byte value alone: kept exactly when printable ASCII. */
static void
test_every_byte(void)
{
	char in[1], out[16];
	int b;

	for (b = 0; b < 256; b++) {
		in[0] = (char)b;
		text_vis(in, 1, out, sizeof(out), 0);
		if (b >= 0x20 && b < 0x7f) {
			if (out[0] != (char)b || out[1] != '\0')
				FAILF("byte 0x%02x became \"%s\"", b, out);
		} else if (strlen(out) != 4 || out[0] != '\\' ||
		    out[1] != 'x' || hexval(out[2]) != b >> 4 ||
		    hexval(out[3]) != (b & 0xf))
			FAILF("byte 0x%02x became \"%s\"", b, out);
		CHECK_INT(text_is_clean(in, 1), b >= 0x20 && b < 0x7f);
	}
}

/*
 * Cuts: the output fits, ends in "...", and neither an escape nor a
 * UTF-8 sequence is split.
 */
static void
test_cuts(void)
{
	char out[64];

	CHECK_INT(text_vis("\x1b[2J!", 5, out, 8, 0), 7);
	CHECK_STR(out, "\\x1b...");
	text_vis("\x1b[2J!", 5, out, 7, 0);
	CHECK_STR(out, "...");
	/* The whole text fits without room for "...", and needs none. */
	text_vis("\x1b[2J", 4, out, 8, 0);
	CHECK_STR(out, "\\x1b[2J");
	/* "Zoë Ørsted": the cut falls before a 2-byte character. */
	text_vis("Zo\xc3\xab \xc3\x98rsted", 12, out, 8, 0);
	CHECK_STR(out, "Zo\xc3\xab...");
	text_vis("Zo\xc3\xab \xc3\x98rsted", 12, out, 7, 0);
	CHECK_STR(out, "Zo...");
	text_vis("\xe7\x94\xb0\xe4\xb8\xad\xe7\x94\xb0", 9, out, 7, 0);
	CHECK_STR(out, "\xe7\x94\xb0...");
	text_vis("\xc2\x9b\xc2\x9b", 4, out, 10, 0);
	CHECK_STR(out, "\\u009b...");
	/* Exactly fitting needs no marker. */
	text_vis("\xc2\x9b\xc2\x9b", 4, out, 13, 0);
	CHECK_STR(out, "\\u009b\\u009b");
	/* Tiny buffers: nothing, or "" when there is room only for NUL. */
	memset(out, 'X', sizeof(out));
	CHECK_INT(text_vis("abc", 3, out, 0, 0), 0);
	CHECK_INT(out[0], 'X');
	text_vis("abc", 3, out, 1, 0);
	CHECK_STR(out, "");
	text_vis("abcdef", 6, out, 4, 0);
	CHECK_STR(out, "...");
	text_vis("abcdef", 6, out, 5, 0);
	CHECK_STR(out, "a...");
}

static void
test_dup(void)
{
	char *s;

	s = text_vis_dup("db\x1b]0;pwned\x07user", 0);
	CHECK_STR(s, "db\\x1b]0;pwned\\x07user");
	free(s);
	s = text_vis_dup("Zo\xc3\xab", 0);
	CHECK_STR(s, "Zo\xc3\xab");
	free(s);
	s = text_vis_dup("", 0);
	CHECK_STR(s, "");
	free(s);
	/* Short whole copies are not mistaken for cuts. */
	s = text_vis_dup("ab", 0);
	CHECK_STR(s, "ab");
	free(s);
	s = text_vis_dup("\\", TEXT_BACKSLASH);
	CHECK_STR(s, "\\x5c");
	free(s);
}

static void
test_str_vis(void)
{
	char out[64];

	str_vis("plain text", 10, out, sizeof(out));
	CHECK_STR(out, "plain text");
	str_vis("a\\b\n\r\t", 6, out, sizeof(out));
	CHECK_STR(out, "a\\x5cb\\x0a\\x0d\\x09");
	str_vis("\x00\x1f\x7f\x80\xff~ ", 7, out, sizeof(out));
	CHECK_STR(out, "\\x00\\x1f\\x7f\\x80\\xff~ ");
	/* Only inlen bytes are read, NULs included. */
	str_vis("ab\0cd", 5, out, sizeof(out));
	CHECK_STR(out, "ab\\x00cd");
	str_vis("", 0, out, sizeof(out));
	CHECK_STR(out, "");

	memset(out, 'X', sizeof(out));
	str_vis("abc", 3, out, 0);		/* nothing written */
	CHECK_INT(out[0], 'X');
	str_vis("abc", 3, out, 1);
	CHECK_STR(out, "");
}

/*
 * A cut copy must fit, must not split an escape, and must end in "..." so
 * whoever reads the log knows there was more. How much of the input fits
 * before the "..." is left to the implementation, within reason.
 */
static int
vis_cut(const char *in, size_t inlen, size_t outlen, const char *whole,
    size_t minkeep)
{
	char out[128];
	size_t n, i;

	memset(out, 'X', sizeof(out));
	str_vis(in, inlen, out, outlen);
	n = strnlen(out, sizeof(out));
	if (n >= outlen) {
		FAILF("str_vis into %zu bytes wrote %zu", outlen, n);
		return -1;
	}
	if (strcmp(out, whole) == 0)
		return 0;
	if (n < 3 || strcmp(out + n - 3, "...") != 0) {
		FAILF("str_vis into %zu bytes: \"%s\" is cut without "
		    "\"...\"", outlen, out);
		return -1;
	}
	n -= 3;
	if (n < minkeep || strncmp(out, whole, n) != 0) {
		FAILF("str_vis into %zu bytes: \"%s\" keeps too little of "
		    "\"%s\"", outlen, out, whole);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (out[i] == '\\' && (n - i < 4 || out[i + 1] != 'x')) {
			FAILF("str_vis into %zu bytes: \"%s\" splits an "
			    "escape", outlen, out);
			return -1;
		}
	}
	return 0;
}

static void
test_str_vis_truncates(void)
{
	char big[300], whole[301], out[64];
	size_t i;

	memset(big, 'a', sizeof(big));
	memcpy(whole, big, sizeof(big));
	whole[300] = '\0';
	str_vis(big, sizeof(big), out, sizeof(out));
	CHECK(strlen(out) >= 62 && strlen(out) <= 63);
	CHECK(strspn(out, "a") == strlen(out) - 3);
	CHECK_STR(out + strlen(out) - 3, "...");
	vis_cut(big, sizeof(big), 64, whole, 59);

	/* Printable text: exactly fits, and over. */
	str_vis("abcde", 5, out, 10);
	CHECK_STR(out, "abcde");
	vis_cut("abcdefghij", 10, 10, "abcdefghij", 5);
	str_vis("abcdefghij", 10, out, 20);
	CHECK_STR(out, "abcdefghij");

	/*
	 * Escapes are never cut in half, and the cut is always marked; the
	 * first failure of each sweep is enough to read.
	 */
	for (i = 5; i <= 26; i++)
		if (vis_cut("\x01\x02\x03\x04\x05\x06", 6, i,
		    "\\x01\\x02\\x03\\x04\\x05\\x06", 0) != 0)
			break;
	for (i = 5; i <= 30; i++)
		if (vis_cut("ab\ncd\\ef", 8, i, "ab\\x0acd\\x5cef",
		    0) != 0)
			break;
	str_vis("\x01\x02\x03", 3, out, 10);
	CHECK_STR(out, "\\x01...");
	str_vis("\x01\x02\x03", 3, out, 14);
	CHECK_STR(out, "\\x01\\x02\\x03");
}

static const struct test tests[] = {
	{ "table", test_table },
	{ "output_safe_and_idempotent", test_output_safe_and_idempotent },
	{ "every_byte", test_every_byte },
	{ "cuts", test_cuts },
	{ "dup", test_dup },
	{ "str_vis", test_str_vis },
	{ "str_vis_truncates", test_str_vis_truncates },
};

HARNESS_MAIN(tests)
