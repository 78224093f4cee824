/*
 * The JSON writer of jsonw.h: what the agent's event builders use instead
 * of a jansson DOM on the per-flow and per-query path. Building a DOM
 * only to validate and dump it again cost more than decoding the packets
 * (docs/benchmarks.md); this appends the compact text straight away.
 *
 * Its one promise is jansson's bytes: json_dumps(JSON_COMPACT) of the
 * same members in the same order. So the escaping below is jansson's
 * (dump.c: '"', '\\' and code points below 0x20 escaped, \u with four
 * upper-case hex digits, '/' and DEL not), its UTF-8 rules are those of
 * json_stringn() (utf.c: no overlong forms, no surrogates, nothing above
 * U+10FFFF), and integers are plain decimal as "%lld" writes them.
 * tests/unit/test_jsonw.c compares the two on every byte value.
 *
 * Errors: a value that jansson would refuse to build is left out with its
 * key, the buffer rewound to where the member began; running out of
 * memory marks the object lost and jsonw_end() says so. Nothing aborts.
 */
#include <stdlib.h>
#include <string.h>

#include "leakwatch/jsonw.h"
#include "leakwatch/util.h"

#define JSONW_MIN_CAP	256

/*
 * Room for n more bytes. Grows to at least double, so an object costs
 * O(log size) reallocations, usually none (the hint remembers the last
 * object's size).
 */
static int
reserve(struct jsonw *w, size_t n)
{
	size_t cap;
	char *p;

	if (w->err)
		return -1;
	if (w->cap - w->len >= n)
		return 0;
	if (n > SIZE_MAX / 4 - w->len) {
		w->err = 1;
		return -1;
	}
	cap = w->cap < JSONW_MIN_CAP ? JSONW_MIN_CAP : w->cap;
	while (cap - w->len < n)
		cap *= 2;
	if ((p = realloc(w->buf, cap)) == NULL) {
		w->err = 1;
		return -1;
	}
	w->buf = p;
	w->cap = cap;
	return 0;
}

static void
put(struct jsonw *w, const void *s, size_t n)
{
	if (n == 0 || reserve(w, n) != 0)
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void
putc1(struct jsonw *w, char c)
{
	if (reserve(w, 1) != 0)
		return;
	w->buf[w->len++] = c;
}

void
jsonw_init(struct jsonw *w)
{
	memset(w, 0, sizeof(*w));
}

void
jsonw_free(struct jsonw *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

void
jsonw_begin(struct jsonw *w)
{
	w->len = 0;
	w->err = 0;
	w->comma = 0;
	w->skip = 0;
	if (w->buf == NULL && w->hint > 0)
		reserve(w, w->hint);
	putc1(w, '{');
}

char *
jsonw_end(struct jsonw *w, size_t *len)
{
	char *s;

	putc1(w, '}');
	putc1(w, '\0');
	if (w->err) {
		jsonw_free(w);
		w->err = 0;
		return NULL;
	}
	s = w->buf;
	*len = w->len - 1;
	/*
	 * The next object starts with this one's size and some room: the
	 * agent appends its name to most events it ships.
	 */
	w->hint = w->len + 96;
	w->buf = NULL;
	w->len = w->cap = 0;
	return s;
}

/*
 * Whether any of the eight bytes of w needs a look: below 0x20, '"',
 * '\\' or 0x80 and above. The tests err only towards the byte loop.
 */
static int
word_special(uint64_t w)
{
	uint64_t q = w ^ 0x2222222222222222ULL;
	uint64_t b = w ^ 0x5c5c5c5c5c5c5c5cULL;

	return ((((w - 0x2020202020202020ULL) & ~w) |
	    ((q - 0x0101010101010101ULL) & ~q) |
	    ((b - 0x0101010101010101ULL) & ~b) | w) &
	    0x8080808080808080ULL) != 0;
}

int
jsonw_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t n;

	while (p < end) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((n = utf8_seq(p, end)) == 0)
			return 0;
		p += n;
	}
	return 1;
}

static void
put_escape(struct jsonw *w, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";
	static const char from[] = "\"\\\b\f\n\r\t", to[] = "\"\\bfnrt";
	const char *q;
	char e[6];

	e[0] = '\\';
	/* jansson's short escapes; every other byte below 0x20 as \u00XX */
	if ((q = memchr(from, c, sizeof(from) - 1)) != NULL) {
		e[1] = to[q - from];
		put(w, e, 2);
		return;
	}
	e[1] = 'u';
	e[2] = '0';
	e[3] = '0';
	e[4] = hex[c >> 4];
	e[5] = hex[c & 0xf];
	put(w, e, 6);
}

/*
 * A quoted, escaped string. Runs of bytes that need nothing are copied
 * in one go; -1 (with part of the string written: the caller rewinds)
 * when the bytes are not UTF-8 jansson accepts.
 */
static int
put_string(struct jsonw *w, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	const unsigned char *run = p;
	uint64_t word;
	size_t n;

	putc1(w, '"');
	while (p < end) {
		while (end - p >= 8) {
			memcpy(&word, p, 8);
			if (word_special(word))
				break;
			p += 8;
		}
		if (p >= end)
			break;
		if (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') {
			p++;
			continue;
		}
		if (*p >= 0x80) {
			if ((n = utf8_seq(p, end)) == 0)
				return -1;
			p += n;
			continue;
		}
		put(w, run, (size_t)(p - run));
		put_escape(w, *p);
		run = ++p;
	}
	put(w, run, (size_t)(p - run));
	putc1(w, '"');
	return 0;
}

/* `,"key":` - or -1 with nothing written when the key is refused. */
static int
put_key(struct jsonw *w, const char *key)
{
	size_t mark = w->len;

	if (w->comma)
		putc1(w, ',');
	if (key == NULL || put_string(w, key, strlen(key)) != 0) {
		w->len = mark;
		return -1;
	}
	putc1(w, ':');
	return 0;
}

/* A string value of a member begun at mark: all of it rewound if refused. */
static int
put_value(struct jsonw *w, const char *s, size_t len, size_t mark)
{
	if (put_string(w, s, len) != 0) {
		w->len = mark;
		return -1;
	}
	w->comma = 1;
	return 0;
}

int
jsonw_strn(struct jsonw *w, const char *key, const char *s, size_t len)
{
	size_t mark = w->len;

	if (s == NULL || put_key(w, key) != 0)
		return -1;
	return put_value(w, s, len, mark);
}

int
jsonw_str(struct jsonw *w, const char *key, const char *s)
{
	if (s == NULL)
		return -1;
	return jsonw_strn(w, key, s, strlen(s));
}

/* Decimal, as jansson's "%" JSON_INTEGER_FORMAT writes a value >= 0. */
static void
put_uint(struct jsonw *w, uint64_t v)
{
	char d[20];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	put(w, d + i, sizeof(d) - i);
}

void
jsonw_uint(struct jsonw *w, const char *key, uint64_t v)
{
	if (put_key(w, key) != 0)
		return;
	put_uint(w, v);
	w->comma = 1;
}

void
jsonw_bool(struct jsonw *w, const char *key, int v)
{
	if (put_key(w, key) != 0)
		return;
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
	w->comma = 1;
}

/*
 * "YYYY-MM-DDTHH:MM:SS" of second sec (us is within it), from the last
 * few seconds formatted or by ts_format(); NULL where ts_format() fails.
 * A record carries up to three times (ts, first_ts, last_ts) that are
 * seconds or minutes apart, so one remembered second was not enough:
 * a flow record formatted two of its three times anew.
 */
static const char *
ts_head(struct jsonw *w, int64_t sec, int64_t us)
{
	char tmp[TS_STRLEN];
	int i;

	for (i = 0; i < w->ts_n; i++)
		if (w->ts_sec[i] == sec)
			return w->ts_head[i];
	if (ts_format(us, tmp, sizeof(tmp)) != 0)
		return NULL;
	i = w->ts_next;
	w->ts_next = (w->ts_next + 1) % JSONW_TS_CACHE;
	if (w->ts_n < JSONW_TS_CACHE)
		w->ts_n++;
	memcpy(w->ts_head[i], tmp, 19);
	w->ts_sec[i] = sec;
	return w->ts_head[i];
}

/*
 * ts_format()'s text without its cost on every call: records of one
 * second share "YYYY-MM-DDTHH:MM:SS", so ts_format() runs once per new
 * second (ts_head()) and the microseconds are written here. Same floor
 * division as ts_format(), so times before 1970 agree too.
 */
int
jsonw_ts(struct jsonw *w, const char *key, int64_t us)
{
	int64_t sec = us / 1000000, frac = us % 1000000;
	const char *head;
	char t[29];
	int i;

	if (frac < 0) {
		frac += 1000000;
		sec--;
	}
	if ((head = ts_head(w, sec, us)) == NULL)
		return -1;
	if (put_key(w, key) != 0)
		return -1;
	t[0] = '"';
	memcpy(t + 1, head, 19);
	t[20] = '.';
	for (i = 26; i >= 21; i--) {
		t[i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	t[27] = 'Z';
	t[28] = '"';
	put(w, t, sizeof(t));
	w->comma = 1;
	return 0;
}

/* A refused key drops its whole array, as a failed set would. */
void
jsonw_list_begin(struct jsonw *w, const char *key)
{
	if (put_key(w, key) != 0) {
		w->skip = 1;
		return;
	}
	putc1(w, '[');
	w->comma = 0;
}

int
jsonw_list_strn(struct jsonw *w, const char *s, size_t len)
{
	size_t mark = w->len;

	if (s == NULL || w->skip)
		return -1;
	if (w->comma)
		putc1(w, ',');
	return put_value(w, s, len, mark);
}

int
jsonw_list_str(struct jsonw *w, const char *s)
{
	if (s == NULL)
		return -1;
	return jsonw_list_strn(w, s, strlen(s));
}

/*
 * An object member: the members inside are written with the setters
 * above, then jsonw_obj_end(). For keys the caller knows to be valid
 * (a refused key would leave the members without their object).
 */
void
jsonw_obj_begin(struct jsonw *w, const char *key)
{
	if (put_key(w, key) != 0)
		return;
	putc1(w, '{');
	w->comma = 0;
}

void
jsonw_obj_end(struct jsonw *w)
{
	putc1(w, '}');
	w->comma = 1;
}

void
jsonw_list_end(struct jsonw *w)
{
	if (w->skip) {
		w->skip = 0;
		return;
	}
	putc1(w, ']');
	w->comma = 1;
}
