/*
 * A streaming validator for events: one pass over the JSON bytes, each
 * top-level value checked against the type's schema table (event-schema.c)
 * as it is read, no allocation, no DOM. The collector's ingest runs it on
 * every EVENT frame; parsing each event into a jansson DOM only to check it
 * and throw it away cost more than the SQLite insert (docs/benchmarks.md).
 *
 * It is a fast path, not a second judge. lw_event_parse() - jansson's
 * parser plus lw_event_validate() - stays the reference. This scanner
 * answers 0 only for bytes that path accepts, with the same type and
 * timestamp; on anything else it answers -1 and the caller asks the
 * reference, which also words the error. So every shortcut below is a
 * refusal to decide, never a looser rule: jansson's grammar is followed
 * where the scanner accepts (whitespace set, number and literal syntax,
 * string escapes and surrogate pairs, UTF-8 of the input, duplicate keys,
 * nothing after the object), and what it does not handle - escaped keys,
 * reals, null, negative numbers, UINTMAP and OBJECT fields (agent.status
 * counters, alert evidence), enum/hex/timestamp strings written with
 * escapes - is passed on. tests/fuzz/fuzz_eventscan.c holds the scanner to
 * this against the reference on every input the fuzzer finds.
 */
#include <string.h>

#include "leakwatch/event-schema.h"
#include "leakwatch/event-scan.h"
#include "leakwatch/text.h"
#include "leakwatch/util.h"

/* 16 decimal digits hold every value up to 2^53 - 1. */
#define UINT_DIGITS	16

struct scan {
	const unsigned char	*p;
	const unsigned char	*end;
};

/* A string token: its raw bytes between the quotes, and what it decodes to. */
struct str {
	const char	*raw;
	size_t		 rawlen;
	size_t		 declen;	/* bytes after unescaping */
	int		 escaped;
	int		 ctl;		/* an escape decoding to a control */
};

static void
skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* The next byte after white space is c; consumes it. */
static int
expect(struct scan *s, unsigned char c)
{
	skip_ws(s);
	if (s->p >= s->end || *s->p != c)
		return -1;
	s->p++;
	return 0;
}

/*
 * A JSON string at s->p. Refuses (-1) what jansson refuses - a control
 * byte, a bad escape, a lone surrogate, ill-formed UTF-8 - and also
 * "\u0000", which jansson takes (JSON_ALLOW_NUL) but the validator
 * refuses in every string field. What it accepts thus decodes to valid
 * UTF-8 without NUL, which is all check_string() in event.c asks besides
 * the length.
 */
static int
scan_string(struct scan *s, struct str *out)
{
	const unsigned char *p = s->p, *end = s->end;
	unsigned int cp, lo;
	size_t n;

	if (p >= end || *p != '"')
		return -1;
	p++;
	out->raw = (const char *)p;
	out->declen = 0;
	out->escaped = 0;
	out->ctl = 0;
	for (;;) {
		/*
		 * The common case: a run of printable ASCII, eight bytes at a
		 * time while no byte is below 0x20, above 0x7f, '"' or '\\'
		 * (the word tests can only err towards the byte loop).
		 */
		while (end - p >= 8) {
			uint64_t w, q, b;

			memcpy(&w, p, 8);
			q = w ^ 0x2222222222222222ULL;
			b = w ^ 0x5c5c5c5c5c5c5c5cULL;
			if ((((w - 0x2020202020202020ULL) & ~w) |
			    ((q - 0x0101010101010101ULL) & ~q) |
			    ((b - 0x0101010101010101ULL) & ~b) | w) &
			    0x8080808080808080ULL)
				break;
			p += 8;
			out->declen += 8;
		}
		while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' &&
		    *p != '\\') {
			p++;
			out->declen++;
		}
		if (p >= end || *p < 0x20)
			return -1;
		if (*p == '"')
			break;
		if (*p >= 0x80) {
			if ((n = utf8_seq(p, end)) == 0)
				return -1;
			p += n;
			out->declen += n;
			continue;
		}
		/* A backslash. */
		out->escaped = 1;
		if (end - p < 2)
			return -1;
		switch (p[1]) {
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			out->ctl = 1;
			p += 2;
			out->declen++;
			continue;
		case 'u':
			break;
		default:
			return -1;
		}
		if (end - p < 6 || hex4(p + 2, &cp) != 0)
			return -1;
		p += 6;
		if (cp == 0 || (cp >= 0xdc00 && cp <= 0xdfff))
			return -1;
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			out->ctl = 1;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
			    hex4(p + 2, &lo) != 0 || lo < 0xdc00 ||
			    lo > 0xdfff)
				return -1;
			p += 6;
			out->declen += 4;
		} else if (cp < 0x80)
			out->declen += 1;
		else if (cp < 0x800)
			out->declen += 2;
		else
			out->declen += 3;
	}
	out->rawlen = (size_t)((const char *)p - out->raw);
	s->p = p + 1;
	return 0;
}

/*
 * A non-negative JSON integer of at most max. Leading zeros, a sign, a
 * fraction or an exponent are passed on: jansson refuses the first, and
 * "-0" or "1.0" would need the reference's view of what a number is.
 */
static int
scan_uint(struct scan *s, long long min, long long max)
{
	const unsigned char *p = s->p, *end = s->end;
	long long v = 0;
	int digits = 0;

	if (p >= end || *p < '0' || *p > '9')
		return -1;
	if (*p == '0') {
		p++;
		digits = 1;
	} else {
		while (p < end && *p >= '0' && *p <= '9') {
			if (++digits > UINT_DIGITS)
				return -1;
			v = v * 10 + (*p - '0');
			p++;
		}
	}
	if (p < end && (*p == '.' || *p == 'e' || *p == 'E' ||
	    (*p >= '0' && *p <= '9')))
		return -1;
	if (v < min || v > max)
		return -1;
	s->p = p;
	return 0;
}

static int
scan_literal(struct scan *s, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
		return -1;
	s->p += n;
	return 0;
}

static int
scan_bool(struct scan *s)
{
	if (s->p < s->end && *s->p == 't')
		return scan_literal(s, "true");
	return scan_literal(s, "false");
}

/*
 * Whether the C string name is exactly the raw bytes of v. Its bytes are
 * compared up to v's length first, so the NUL check never reads past it.
 */
static int
same(const char *name, const struct str *v)
{
	size_t i;

	/* By hand, not strncmp(): names are a few bytes, and a net.flow
	 * record looks up twenty of them. A NUL in name differs from any
	 * byte of v, which scan_string() let through only from 0x20 on. */
	for (i = 0; i < v->rawlen; i++)
		if (name[i] != v->raw[i])
			return 0;
	return name[v->rawlen] == '\0';
}

static int
check_enum(const struct event_field *f, const struct str *v)
{
	int i;

	if (v->escaped)
		return -1;
	for (i = 0; f->values[i] != NULL; i++)
		if (same(f->values[i], v))
			return 0;
	return -1;
}

static int
check_hex(const struct event_field *f, const struct str *v)
{
	size_t i;

	if (v->escaped || v->rawlen != f->maxlen)
		return -1;
	for (i = 0; i < v->rawlen; i++)
		if (!((v->raw[i] >= '0' && v->raw[i] <= '9') ||
		    (v->raw[i] >= 'a' && v->raw[i] <= 'f')))
			return -1;
	return 0;
}

/* ts_parse() wants a C string; the raw bytes hold no NUL (see above). */
static int
check_ts(const struct str *v, int64_t *us)
{
	char buf[EVENT_TS_MAXLEN + 1];

	if (v->escaped || v->rawlen > EVENT_TS_MAXLEN)
		return -1;
	memcpy(buf, v->raw, v->rawlen);
	buf[v->rawlen] = '\0';
	return ts_parse(buf, us) == 0 ? 0 : -1;
}

/* An array of at most f->max strings of at most f->maxlen bytes each. */
static int
scan_strlist(struct scan *s, const struct event_field *f)
{
	struct str v;
	long long n = 0;

	if (expect(s, '[') != 0)
		return -1;
	skip_ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return 0;
	}
	for (;;) {
		skip_ws(s);
		if (scan_string(s, &v) != 0 || v.declen > f->maxlen ||
		    ++n > f->max)
			return -1;
		skip_ws(s);
		if (s->p >= s->end)
			return -1;
		if (*s->p == ']') {
			s->p++;
			return 0;
		}
		if (*s->p != ',')
			return -1;
		s->p++;
	}
}

/* One top-level value against its schema entry, as check_field() does. */
static int
scan_field(struct scan *s, const struct event_field *f, size_t idx,
    struct lw_event_scan *out)
{
	struct str v;
	int64_t scratch;

	switch (f->kind) {
	case FIELD_STR:
	case FIELD_ENUM:
	case FIELD_HEX:
	case FIELD_TS:
		if (scan_string(s, &v) != 0)
			return -1;
		if (f->kind == FIELD_ENUM)
			return check_enum(f, &v);
		if (f->kind == FIELD_HEX)
			return check_hex(f, &v);
		if (f->kind == FIELD_TS)
			return check_ts(&v, idx == EVENT_FIELD_TS ?
			    &out->ts_us : &scratch);
		if (v.declen > f->maxlen)
			return -1;
		/*
		 * A name holds no control character (FIELD_TEXT): none
		 * escaped, and none raw (DEL, C1), which the raw bytes show
		 * since every escape is printable ASCII.
		 */
		if ((f->flags & FIELD_TEXT) && (v.ctl ||
		    !text_is_clean(v.raw, v.rawlen)))
			return -1;
		if (idx == EVENT_FIELD_AGENT && !v.escaped) {
			out->agent = v.raw;
			out->agent_len = v.rawlen;
		}
		return 0;
	case FIELD_UINT:
	case FIELD_NUM:
		return scan_uint(s, (f->flags & FIELD_NONZERO) ? 1 : 0, f->max);
	case FIELD_BOOL:
		return scan_bool(s);
	case FIELD_STRLIST:
		return scan_strlist(s, f);
	case FIELD_UINTMAP:
	case FIELD_OBJECT:
		return -1;
	}
	return -1;
}

/*
 * Skips one value without judging it, only to find where it ends: the
 * pre-pass that looks for `type` when it is not the first key. Every
 * value is read again, strictly, by scan_field(); a value this skips
 * wrongly can only be invalid JSON, which the strict pass refuses.
 */
static int
skip_value(struct scan *s)
{
	int depth = 0;

	do {
		skip_ws(s);
		if (s->p >= s->end)
			return -1;
		switch (*s->p) {
		case '"':
			for (s->p++; s->p < s->end && *s->p != '"'; s->p++)
				if (*s->p == '\\')
					s->p++;
			if (s->p >= s->end)
				return -1;
			s->p++;
			break;
		case '{':
		case '[':
			depth++;
			s->p++;
			break;
		case '}':
		case ']':
			if (--depth < 0)
				return -1;
			s->p++;
			break;
		case ',':
		case ':':
			if (depth == 0)
				return -1;
			s->p++;
			break;
		default:
			while (s->p < s->end && *s->p != ',' && *s->p != '}' &&
			    *s->p != ']' && *s->p != ':' && *s->p != '"' &&
			    *s->p != ' ' && *s->p != '\n' && *s->p != '\t' &&
			    *s->p != '\r')
				s->p++;
			break;
		}
	} while (depth > 0);
	return 0;
}

/* The entry named k, searched from entry `from' round to it again. */
static const struct event_field *
find_field(const struct event_field *tab, size_t from, const struct str *k,
    size_t *idx)
{
	size_t i;

	for (i = from; tab[i].name != NULL; i++)
		if (tab[i].name[0] == k->raw[0] && same(tab[i].name, k))
			goto found;
	for (i = 0; i < from; i++)
		if (tab[i].name[0] == k->raw[0] && same(tab[i].name, k))
			goto found;
	return NULL;
found:
	*idx = i;
	return &tab[i];
}

/*
 * A key without escapes (a schema name never needs one) and its colon,
 * with the white space around them.
 */
static int
scan_key(struct scan *s, struct str *k)
{
	skip_ws(s);
	if (scan_string(s, k) != 0 || k->escaped || k->rawlen == 0 ||
	    expect(s, ':') != 0)
		return -1;
	skip_ws(s);
	return 0;
}

/* Which type the object names, wherever its `type` member is. */
static int
find_type(struct scan s, enum event_type *t)
{
	struct str k, v;
	char name[16];

	if (expect(&s, '{') != 0)
		return -1;
	for (;;) {
		if (scan_key(&s, &k) != 0)
			return -1;
		if (k.rawlen == 4 && memcmp(k.raw, "type", 4) == 0) {
			if (scan_string(&s, &v) != 0 || v.escaped ||
			    v.rawlen >= sizeof(name))
				return -1;
			memcpy(name, v.raw, v.rawlen);
			name[v.rawlen] = '\0';
			return lw_event_type_lookup(name, t);
		}
		if (skip_value(&s) != 0 || expect(&s, ',') != 0)
			return -1;
	}
}

/*
 * The scan itself; with spans not NULL it also notes where each field's
 * value token is (event-view.c reads fields from there), and *seenp which
 * schema entries the event has.
 */
static int
scan_event(const char *buf, size_t len, struct lw_event_scan *out,
    struct lw_event_span *spans, uint64_t *seenp)
{
	struct scan s;
	const struct event_field *tab, *f;
	struct str k;
	enum event_type t;
	uint64_t seen = 0, bit;
	const unsigned char *v;
	size_t i, next = 0;

	if (buf == NULL || len > EVENT_MAX_LEN)
		return -1;
	s.p = (const unsigned char *)buf;
	s.end = s.p + len;
	if (find_type(s, &t) != 0)
		return -1;
	tab = lw_event_fields(t);
	out->type = t;
	out->ts_us = 0;
	out->agent = NULL;
	out->agent_len = 0;

	if (expect(&s, '{') != 0)
		return -1;
	for (;;) {
		if (scan_key(&s, &k) != 0)
			return -1;
		/*
		 * Agents write the fields in the table's order (jsonw.c), so
		 * the search starts after the last entry found and wraps
		 * round; any order is still accepted.
		 */
		f = find_field(tab, next, &k, &i);
		next = f != NULL ? i + 1 : 0;
		/* Unknown, or a duplicate (jansson refuses those). */
		if (f == NULL || i >= 64 || (seen & (uint64_t)1 << i) != 0)
			return -1;
		seen |= (uint64_t)1 << i;
		v = s.p;
		if (i == EVENT_FIELD_TYPE) {
			/* The pre-pass chose the table: same name, or pass. */
			if (scan_string(&s, &k) != 0 || k.escaped ||
			    !same(lw_event_type_name(t), &k))
				return -1;
		} else if (scan_field(&s, f, i, out) != 0)
			return -1;
		if (spans != NULL) {
			spans[i].off = (uint32_t)(v - (const unsigned char *)buf);
			spans[i].len = (uint32_t)(s.p - v);
		}
		skip_ws(&s);
		if (s.p >= s.end)
			return -1;
		if (*s.p == '}')
			break;
		if (*s.p != ',')
			return -1;
		s.p++;
	}
	s.p++;
	skip_ws(&s);
	if (s.p != s.end)
		return -1;
	for (i = 0; tab[i].name != NULL; i++) {
		bit = (uint64_t)1 << i;
		if ((tab[i].flags & FIELD_REQUIRED) && (seen & bit) == 0)
			return -1;
	}
	if (seenp != NULL)
		*seenp = seen;
	return 0;
}

int
lw_event_scan(const char *buf, size_t len, struct lw_event_scan *out)
{
	return scan_event(buf, len, out, NULL, NULL);
}

int
lw_event_scan_spans(const char *buf, size_t len, struct lw_event_scan *out,
    struct lw_event_span spans[EVENT_SCAN_FIELDS], uint64_t *seen)
{
	return scan_event(buf, len, out, spans, seen);
}
