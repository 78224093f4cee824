/*
 * The one routine that makes untrusted text safe to show (leakwatch/
 * text.h). A terminal obeys ESC sequences, a syslog receiver splits a
 * message at CR or LF, and a SIEM parser cuts a field at a tab, so none of
 * those bytes may leave the project raw; a name in any script must still
 * read as written. The rules, byte by byte:
 *
 *   - printable ASCII (0x20-0x7e) is kept; '\' too unless TEXT_BACKSLASH;
 *   - C0 controls (0x00-0x1f) and DEL (0x7f) become \xNN;
 *   - a well-formed UTF-8 sequence (utf8_seq(): no overlong forms, no
 *     surrogates, nothing above U+10FFFF) is kept, except the C1 controls
 *     U+0080-U+009F, which become \u00NN (8-bit terminals read them as
 *     CSI, OSC and friends);
 *   - any other byte (a stray continuation byte, a raw 0x80-0x9f, a
 *     truncated sequence) becomes \xNN, and the next byte starts afresh.
 *
 * Without TEXT_BACKSLASH the output holds only bytes that are kept as
 * they are, so escaping twice changes nothing: an agent cleans a name
 * once and every output after it shows the same text. Nothing here keeps
 * state; only text_vis_dup() allocates.
 */
#include <string.h>

#include "leakwatch/text.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

/* The longest form of one unit: "\u0085" or a 4-byte sequence. */
#define UNIT_MAX	6

static const char hexdig[] = "0123456789abcdef";

static size_t
esc_byte(char *esc, unsigned char c)
{
	esc[0] = '\\';
	esc[1] = 'x';
	esc[2] = hexdig[c >> 4];
	esc[3] = hexdig[c & 0xf];
	return 4;
}

/*
 * The unit at p: *used gets the input bytes it covers (at least one), esc
 * its output; returns the output's length.
 */
static size_t
unit(const unsigned char *p, const unsigned char *end, int flags,
    char esc[UNIT_MAX], size_t *used)
{
	size_t n;

	*used = 1;
	if (*p < 0x80) {
		if (*p < 0x20 || *p == 0x7f ||
		    (*p == '\\' && (flags & TEXT_BACKSLASH)))
			return esc_byte(esc, *p);
		esc[0] = (char)*p;
		return 1;
	}
	if ((n = utf8_seq(p, end)) == 0)
		return esc_byte(esc, *p);
	*used = n;
	if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0) {
		esc[0] = '\\';
		esc[1] = 'u';
		esc[2] = '0';
		esc[3] = '0';
		esc[4] = hexdig[p[1] >> 4];
		esc[5] = hexdig[p[1] & 0xf];
		return 6;
	}
	memcpy(esc, p, n);
	return n;
}

/*
 * Invariant: the output always ends in NUL, and a cut is always marked by
 * "...". Units are written while they fit; mark is the longest written
 * prefix that still leaves room for "...", where a cut goes back to.
 */
size_t
text_vis(const void *in, size_t inlen, char *out, size_t outlen, int flags)
{
	const unsigned char *p = in, *end = p + inlen;
	char esc[UNIT_MAX];
	size_t i, o = 0, w, used, mark = 0;

	if (outlen == 0)
		return 0;
	for (i = 0; i < inlen; i += used) {
		w = unit(p + i, end, flags, esc, &used);
		if (o + w >= outlen)
			break;
		memcpy(out + o, esc, w);
		o += w;
		if (o + 3 < outlen)
			mark = o;
	}
	if (i < inlen) {
		o = mark;
		if (o + 3 < outlen) {
			memcpy(out + o, "...", 3);
			o += 3;
		}
	}
	out[o] = '\0';
	return o;
}

size_t
text_vis_len(const void *in, size_t inlen, int flags)
{
	const unsigned char *p = in, *end = p + inlen;
	char esc[UNIT_MAX];
	size_t i, o = 0, used;

	for (i = 0; i < inlen; i += used)
		o += unit(p + i, end, flags, esc, &used);
	return o;
}

char *
text_vis_dup(const char *s, int flags)
{
	size_t len = strlen(s), n = text_vis_len(s, len, flags);
	char *out;

	out = xmalloc(n + 1);
	text_vis(s, len, out, n + 1, flags);
	return out;
}

int
text_is_clean(const void *in, size_t inlen)
{
	const unsigned char *p = in, *end = p + inlen;
	size_t n;

	while (p < end) {
		if (*p < 0x80) {
			if (*p < 0x20 || *p == 0x7f)
				return 0;
			p++;
			continue;
		}
		if ((n = utf8_seq(p, end)) == 0 ||
		    (n == 2 && p[0] == 0xc2 && p[1] < 0xa0))
			return 0;
		p += n;
	}
	return 1;
}

/*
 * Log lines keep their own short name for the same rules, with a
 * backslash escaped too so a line reads back unambiguously.
 */
void
str_vis(const void *in, size_t inlen, char *out, size_t outlen)
{
	text_vis(in, inlen, out, outlen, TEXT_BACKSLASH);
}
