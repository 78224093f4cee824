/*
 * The event model: the validator that holds every event to its type's
 * schema table (event-schema.c), and the JSON parse/encode wrappers around
 * jansson. The collector runs every event from the network through
 * lw_event_parse(), so this file is the gate between untrusted bytes and the
 * store: it rejects anything the schema does not name (the model is closed
 * on purpose, so row contents cannot ride along in an extra field), bounds
 * every string, list and number, and words its errors so they name a field
 * and a problem but never repeat the offending value, which may be customer
 * data. It does no I/O and keeps no state. Bytes an agent wrote itself are
 * first offered to the streaming scanner (event-scan.c), which reads the
 * same tables; this file stays the reference it is held to.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "leakwatch/event.h"
#include "leakwatch/event-scan.h"
#include "leakwatch/text.h"
#include "leakwatch/util.h"

/* Field and type names are echoed in errors only when short and plain. */
#define NAME_ECHO_MAX	64

/*
 * Whether a name the sender chose (an unknown key, an unknown type) may be
 * repeated in an error. Schema-like names help whoever debugs an agent;
 * anything longer or with other bytes could be data, or could forge a log
 * line, so it stays out.
 */
static int
echo_safe(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > NAME_ECHO_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		    c == '-'))
			return 0;
	}
	return 1;
}

#define UTF8_OK		0
#define UTF8_NUL	1
#define UTF8_BAD	2

/*
 * Checks len bytes for a NUL byte and for well-formed UTF-8 (utf8_seq():
 * no overlong forms, no surrogates, nothing above U+10FFFF, the rules the
 * scanner and the JSON writer apply too). jansson's parser and its
 * checking constructors already refuse bad UTF-8, but an object built with
 * json_*_nocheck() reaches lw_event_from_json() unchecked, and a NUL byte is
 * legal JSON ("\u0000") that C consumers downstream would cut at. Runs of
 * eight ASCII bytes without a zero are skipped a word at a time, so the
 * usual all-ASCII statement costs little.
 */
static int
utf8_check(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		size_t n;

		if (len - i >= 8) {
			uint64_t w;

			memcpy(&w, s + i, 8);
			if ((w & 0x8080808080808080ULL) == 0 &&
			    ((w - 0x0101010101010101ULL) & ~w &
			    0x8080808080808080ULL) == 0) {
				i += 8;
				continue;
			}
		}
		if (s[i] == 0)
			return UTF8_NUL;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = utf8_seq(s + i, s + len)) == 0)
			return UTF8_BAD;
		i += n;
	}
	return UTF8_OK;
}

/* A string value: bound, NUL and UTF-8; what names the value in errors. */
static int
check_string(const json_t *v, size_t maxlen, const char *name,
    const char *what, char *err, size_t errlen)
{
	size_t len = json_string_length(v);

	if (len > maxlen) {
		seterr(err, errlen, "field \"%s\": %slonger than %zu bytes",
		    name, what, maxlen);
		return -1;
	}
	switch (utf8_check(json_string_value(v), len)) {
	case UTF8_NUL:
		seterr(err, errlen, "field \"%s\": %scontains a NUL byte",
		    name, what);
		return -1;
	case UTF8_BAD:
		seterr(err, errlen, "field \"%s\": %snot valid UTF-8", name,
		    what);
		return -1;
	}
	return 0;
}

/*
 * A name field (FIELD_TEXT) holds no control character: the agent
 * escapes them (lib/text.c) before it builds an event, so a raw ESC or
 * CR LF here comes from an agent that does not, and is refused rather
 * than stored for a terminal or a SIEM to obey.
 */
static int
check_text(const struct event_field *f, const json_t *v, char *err,
    size_t errlen)
{
	if (!(f->flags & FIELD_TEXT) ||
	    text_is_clean(json_string_value(v), json_string_length(v)))
		return 0;
	seterr(err, errlen, "field \"%s\": contains a control character",
	    f->name);
	return -1;
}

static int
check_enum(const struct event_field *f, const json_t *v, char *err,
    size_t errlen)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v), off;
	int i, n;

	for (i = 0; f->values[i] != NULL; i++) {
		if (strlen(f->values[i]) == len &&
		    memcmp(f->values[i], s, len) == 0)
			return 0;
	}
	if (err == NULL || errlen == 0)
		return -1;
	n = snprintf(err, errlen, "field \"%s\": expected one of ", f->name);
	for (i = 0; n >= 0 && f->values[i] != NULL; i++) {
		off = (size_t)n;
		if (off >= errlen)
			break;
		n = snprintf(err + off, errlen - off, "%s%s", i ? "|" : "",
		    f->values[i]);
		if (n >= 0)
			n += (int)off;
	}
	return -1;
}

static int
check_hex(const struct event_field *f, const json_t *v, char *err,
    size_t errlen)
{
	const char *s = json_string_value(v);
	size_t i, len = json_string_length(v);

	if (len != f->maxlen)
		goto bad;
	for (i = 0; i < len; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			goto bad;
	}
	return 0;
bad:
	seterr(err, errlen, "field \"%s\": expected %zu lower-case hex digits",
	    f->name, f->maxlen);
	return -1;
}

static int
check_uint(const char *name, const json_t *v, long long max,
    const char *what, char *err, size_t errlen)
{
	json_int_t n;

	if (!json_is_integer(v)) {
		seterr(err, errlen, "field \"%s\": %sexpected unsigned integer",
		    name, what);
		return -1;
	}
	n = json_integer_value(v);
	if (n < 0) {
		seterr(err, errlen, "field \"%s\": %snegative", name, what);
		return -1;
	}
	if (n > max) {
		seterr(err, errlen, "field \"%s\": %sabove maximum %lld", name,
		    what, max);
		return -1;
	}
	return 0;
}

static int
check_num(const struct event_field *f, const json_t *v, char *err,
    size_t errlen)
{
	double d;

	if (!json_is_number(v)) {
		seterr(err, errlen, "field \"%s\": expected number", f->name);
		return -1;
	}
	d = json_number_value(v);
	/* jansson refuses inf and NaN, but the comparison must not pass one. */
	if (!isfinite(d) || d < 0 || d > (double)f->max) {
		seterr(err, errlen, "field \"%s\": out of range 0..%lld",
		    f->name, f->max);
		return -1;
	}
	return 0;
}

static int
check_ts(const struct event_field *f, const json_t *v, int64_t *us,
    char *err, size_t errlen)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);

	/* ts_parse() reads a C string: a NUL inside would hide a suffix. */
	if (len > f->maxlen || strlen(s) != len || ts_parse(s, us) != 0) {
		seterr(err, errlen, "field \"%s\": expected RFC 3339 UTC "
		    "timestamp", f->name);
		return -1;
	}
	return 0;
}

static int
check_strlist(const struct event_field *f, const json_t *v, char *err,
    size_t errlen)
{
	char what[48];
	size_t i, n = json_array_size(v);
	const json_t *e;

	if (!json_is_array(v)) {
		seterr(err, errlen, "field \"%s\": expected array of strings",
		    f->name);
		return -1;
	}
	if (n > (size_t)f->max) {
		seterr(err, errlen, "field \"%s\": more than %lld entries",
		    f->name, f->max);
		return -1;
	}
	for (i = 0; i < n; i++) {
		e = json_array_get(v, i);
		snprintf(what, sizeof(what), "entry %zu ", i);
		if (!json_is_string(e)) {
			seterr(err, errlen, "field \"%s\": %snot a string",
			    f->name, what);
			return -1;
		}
		if (check_string(e, f->maxlen, f->name, what, err,
		    errlen) != 0)
			return -1;
	}
	return 0;
}

static int
check_uintmap(const struct event_field *f, const json_t *v, char *err,
    size_t errlen)
{
	const char *key;
	size_t klen;
	json_t *val;

	if (!json_is_object(v)) {
		seterr(err, errlen, "field \"%s\": expected object", f->name);
		return -1;
	}
	if (json_object_size(v) > (size_t)f->max) {
		seterr(err, errlen, "field \"%s\": more than %lld keys",
		    f->name, f->max);
		return -1;
	}
	/* json_object_keylen_foreach wants a non-const object. */
	json_object_keylen_foreach((json_t *)(uintptr_t)v, key, klen, val) {
		if (klen == 0 || klen > f->maxlen) {
			seterr(err, errlen, "field \"%s\": key length not in "
			    "1..%zu", f->name, f->maxlen);
			return -1;
		}
		if (utf8_check(key, klen) != UTF8_OK) {
			seterr(err, errlen, "field \"%s\": key not valid "
			    "UTF-8 or contains a NUL byte", f->name);
			return -1;
		}
		if (check_uint(f->name, val, EVENT_UINT_MAX, "value ", err,
		    errlen) != 0)
			return -1;
	}
	return 0;
}

/*
 * Walks a free-form object (alert evidence): depth is 1 for the field's
 * own object and grows by one per nested object or array. Strings and keys
 * get the same NUL and UTF-8 check as top-level fields. The recursion is
 * bounded by EVENT_MAX_DEPTH, so the stack is too.
 */
static int
walk_object(const struct event_field *f, const json_t *v, int depth,
    char *err, size_t errlen)
{
	const char *key;
	size_t i, klen;
	json_t *e;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
	case JSON_ARRAY:
		if (depth > EVENT_MAX_DEPTH) {
			seterr(err, errlen, "field \"%s\": nested deeper than "
			    "%d levels", f->name, EVENT_MAX_DEPTH);
			return -1;
		}
		break;
	case JSON_STRING:
		return check_string(v, f->maxlen, f->name, "string ", err,
		    errlen);
	default:
		return 0;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			if (walk_object(f, e, depth + 1, err, errlen) != 0)
				return -1;
		}
		return 0;
	}
	json_object_keylen_foreach((json_t *)(uintptr_t)v, key, klen, e) {
		if (utf8_check(key, klen) != UTF8_OK) {
			seterr(err, errlen, "field \"%s\": key not valid "
			    "UTF-8 or contains a NUL byte", f->name);
			return -1;
		}
		if (walk_object(f, e, depth + 1, err, errlen) != 0)
			return -1;
	}
	return 0;
}

struct dump_count {
	size_t	n;
	size_t	max;
};

static int
dump_count_cb(const char *buf, size_t len, void *arg)
{
	struct dump_count *dc = arg;

	(void)buf;
	dc->n += len;
	return dc->n > dc->max ? -1 : 0;	/* stop as soon as it is over */
}

static int
check_object(const struct event_field *f, const json_t *v, char *err,
    size_t errlen)
{
	struct dump_count dc = { 0, f->maxlen };

	if (!json_is_object(v)) {
		seterr(err, errlen, "field \"%s\": expected object", f->name);
		return -1;
	}
	if (walk_object(f, v, 1, err, errlen) != 0)
		return -1;
	/*
	 * The bound is on the compact encoding, the form stored and
	 * forwarded, counted without building the string.
	 */
	if (json_dump_callback(v, dump_count_cb, &dc, JSON_COMPACT) != 0) {
		seterr(err, errlen, "field \"%s\": encoded size over %zu "
		    "bytes", f->name, f->maxlen);
		return -1;
	}
	return 0;
}

/* One field's value against its schema entry. */
static int
check_field(const struct event_field *f, const json_t *v, int64_t *ts,
    char *err, size_t errlen)
{
	switch (f->kind) {
	case FIELD_STR:
	case FIELD_ENUM:
	case FIELD_HEX:
	case FIELD_TS:
		if (!json_is_string(v)) {
			seterr(err, errlen, "field \"%s\": expected string",
			    f->name);
			return -1;
		}
		if (f->kind == FIELD_ENUM)
			return check_enum(f, v, err, errlen);
		if (f->kind == FIELD_HEX)
			return check_hex(f, v, err, errlen);
		if (f->kind == FIELD_TS)
			return check_ts(f, v, ts, err, errlen);
		if (check_string(v, f->maxlen, f->name, "", err, errlen) != 0)
			return -1;
		return check_text(f, v, err, errlen);
	case FIELD_UINT:
		if (check_uint(f->name, v, f->max, "", err, errlen) != 0)
			return -1;
		if ((f->flags & FIELD_NONZERO) && json_integer_value(v) == 0) {
			seterr(err, errlen, "field \"%s\": zero", f->name);
			return -1;
		}
		return 0;
	case FIELD_NUM:
		return check_num(f, v, err, errlen);
	case FIELD_BOOL:
		if (!json_is_boolean(v)) {
			seterr(err, errlen, "field \"%s\": expected boolean",
			    f->name);
			return -1;
		}
		return 0;
	case FIELD_STRLIST:
		return check_strlist(f, v, err, errlen);
	case FIELD_UINTMAP:
		return check_uintmap(f, v, err, errlen);
	case FIELD_OBJECT:
		return check_object(f, v, err, errlen);
	}
	seterr(err, errlen, "field \"%s\": bad schema kind", f->name);
	return -1;
}

/*
 * One pass over the object's keys, each looked up in the type's table (a
 * linear scan of at most ~30 names, first byte compared before strcmp).
 * Keys come in the sender's order, so the first bad field in the event is
 * the one reported. Required fields are checked afterwards against the
 * bitmask of fields seen. Nothing here allocates except the evidence size
 * count of an alert.
 */
int
lw_event_validate(const json_t *obj, enum event_type *type, int64_t *ts_us,
    char *err, size_t errlen)
{
	const struct event_field *tab, *f;
	const json_t *tv;
	const char *key, *tname;
	json_t *v;
	enum event_type t;
	uint64_t seen = 0, bit;
	int64_t ts_val = 0, scratch;
	size_t klen, i;

	if (!json_is_object(obj)) {
		seterr(err, errlen, "event is not a JSON object");
		return -1;
	}
	if ((tv = json_object_get(obj, "type")) == NULL) {
		seterr(err, errlen, "missing field \"type\"");
		return -1;
	}
	if (!json_is_string(tv)) {
		seterr(err, errlen, "field \"type\": expected string");
		return -1;
	}
	tname = json_string_value(tv);
	if (strlen(tname) != json_string_length(tv) ||
	    lw_event_type_lookup(tname, &t) != 0) {
		if (echo_safe(tname, json_string_length(tv)))
			seterr(err, errlen, "unknown event type \"%s\"",
			    tname);
		else
			seterr(err, errlen, "unknown event type");
		return -1;
	}
	tab = lw_event_fields(t);

	json_object_keylen_foreach((json_t *)(uintptr_t)obj, key, klen, v) {
		f = NULL;
		/* A key with a NUL inside must not match its prefix. */
		if (strlen(key) == klen) {
			for (i = 0; tab[i].name != NULL; i++) {
				if (tab[i].name[0] == key[0] &&
				    strcmp(tab[i].name, key) == 0) {
					f = &tab[i];
					break;
				}
			}
		}
		if (f == NULL) {
			if (echo_safe(key, klen))
				seterr(err, errlen, "unknown field \"%s\" for "
				    "%s", key, lw_event_type_name(t));
			else
				seterr(err, errlen, "unknown field for %s",
				    lw_event_type_name(t));
			return -1;
		}
		if (check_field(f, v, i == EVENT_FIELD_TS ? &ts_val : &scratch,
		    err, errlen) != 0)
			return -1;
		seen |= (uint64_t)1 << i;
	}
	for (i = 0; tab[i].name != NULL; i++) {
		bit = (uint64_t)1 << i;
		if ((tab[i].flags & FIELD_REQUIRED) && (seen & bit) == 0) {
			seterr(err, errlen, "missing required field \"%s\" for "
			    "%s", tab[i].name, lw_event_type_name(t));
			return -1;
		}
	}
	if (type != NULL)
		*type = t;
	if (ts_us != NULL)
		*ts_us = ts_val;
	return 0;
}

/* jansson's own messages quote the input near the error: never pass them on. */
static const char *
json_error_what(const json_error_t *je)
{
	switch (json_error_code(je)) {
	case json_error_out_of_memory:
		return "out of memory";
	case json_error_stack_overflow:
		return "nested too deeply";
	case json_error_invalid_utf8:
		return "invalid UTF-8";
	case json_error_premature_end_of_input:
		return "truncated";
	case json_error_end_of_input_expected:
		return "trailing data after the object";
	case json_error_null_character:
		return "NUL byte";
	case json_error_null_byte_in_key:
		return "NUL byte in a key";
	case json_error_duplicate_key:
		return "duplicate key";
	case json_error_numeric_overflow:
		return "number out of range";
	default:
		return "syntax error";
	}
}

struct lw_event *
lw_event_parse(const char *buf, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *obj;

	if (buf == NULL) {
		seterr(err, errlen, "no input");
		return NULL;
	}
	if (len > EVENT_MAX_LEN) {
		seterr(err, errlen, "event longer than %d bytes",
		    EVENT_MAX_LEN);
		return NULL;
	}
	/*
	 * DECODE_ANY so a bare scalar gets our "not an object" message;
	 * ALLOW_NUL so "\u0000" reaches the validator, which names the
	 * field, instead of failing here anonymously.
	 */
	obj = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY |
	    JSON_ALLOW_NUL, &je);
	if (obj == NULL) {
		seterr(err, errlen, "invalid JSON: %s at line %d column %d",
		    json_error_what(&je), je.line, je.column);
		return NULL;
	}
	return lw_event_from_json(obj, err, errlen);
}

/* An event holding obj or enc, the other NULL; NULL when out of memory. */
static struct lw_event *
event_new(enum event_type t, int64_t ts, json_t *obj, char *enc,
    size_t enclen, char *err, size_t errlen)
{
	struct lw_event *ev;

	if ((ev = calloc(1, sizeof(*ev))) == NULL) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	ev->type = t;
	ev->ts_us = ts;
	ev->obj = obj;
	ev->enc = enc;
	ev->enclen = enclen;
	return ev;
}

struct lw_event *
lw_event_from_json(json_t *obj, char *err, size_t errlen)
{
	struct lw_event *ev;
	enum event_type t;
	int64_t ts;

	if (obj == NULL) {
		seterr(err, errlen, "no input");
		return NULL;
	}
	if (lw_event_validate(obj, &t, &ts, err, errlen) != 0) {
		json_decref(obj);
		return NULL;
	}
	if ((ev = event_new(t, ts, obj, NULL, 0, err, errlen)) == NULL)
		json_decref(obj);
	return ev;
}

/*
 * The scanner vouches only for what lw_event_parse() accepts, with the
 * same type and ts (lib/event-scan.c, held to it by fuzz_eventscan), so
 * an event taken here is one the DOM path would have taken. JSON allows
 * a raw line break only as white space between tokens; bytes with one go
 * the DOM way, whose encoding is one line.
 */
struct lw_event *
lw_event_from_encoded(char *buf, size_t len, char *err, size_t errlen)
{
	struct lw_event_scan sc;
	struct lw_event *ev;

	if (buf == NULL) {
		seterr(err, errlen, "no input");
		return NULL;
	}
	if (lw_event_scan(buf, len, &sc) != 0 ||
	    memchr(buf, '\n', len) != NULL || memchr(buf, '\r', len) != NULL) {
		ev = lw_event_parse(buf, len, err, errlen);
		free(buf);
		return ev;
	}
	if ((ev = event_new(sc.type, sc.ts_us, NULL, buf, len, err,
	    errlen)) == NULL)
		free(buf);
	return ev;
}

/* An encoded event as a DOM, for the rare edit the bytes cannot take. */
static int
enc_to_dom(struct lw_event *ev)
{
	json_t *obj;

	obj = json_loadb(ev->enc, ev->enclen, JSON_REJECT_DUPLICATES, NULL);
	if (obj == NULL)
		return -1;
	free(ev->enc);
	ev->enc = NULL;
	ev->enclen = 0;
	ev->obj = obj;
	return 0;
}

/*
 * `agent` appended to encoded bytes that have none, just before the
 * closing brace: the bytes json_object_set_new() and json_dumps() give
 * for the same event as a DOM, where a new key goes last. The name is
 * printable ASCII (checked by the caller); jansson escapes '"' and '\\'
 * of those, and nothing else.
 */
static int
enc_append_agent(struct lw_event *ev, const char *agent, size_t len)
{
	size_t end = ev->enclen, i;
	char *p;

	while (end > 0 && ev->enc[end - 1] != '}')
		end--;
	if (end == 0)
		return -1;
	end--;
	if ((p = realloc(ev->enc, end + 12 + 2 * len + 2)) == NULL)
		return -1;
	ev->enc = p;
	memcpy(p + end, ",\"agent\":\"", 10);
	end += 10;
	for (i = 0; i < len; i++) {
		if (agent[i] == '"' || agent[i] == '\\')
			p[end++] = '\\';
		p[end++] = agent[i];
	}
	p[end++] = '"';
	p[end++] = '}';
	p[end] = '\0';
	ev->enclen = end;
	return 0;
}

/*
 * The collector calls this with the authenticated agent name, so the
 * `agent` of a stored event is never the sender's claim. json_object_set
 * on an existing key replaces the value in place: the key keeps its
 * position and the encoding stays stable.
 */
int
lw_event_set_agent(struct lw_event *ev, const char *agent)
{
	size_t i, len;
	json_t *s;

	if (ev == NULL || agent == NULL)
		return -1;
	len = strlen(agent);
	if (len == 0 || len > EVENT_AGENT_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		if (agent[i] < 0x20 || agent[i] > 0x7e)
			return -1;
	}
	/*
	 * Encoded bytes without the key get it appended in place. With the
	 * key already there (no producer of encoded events writes one), the
	 * event becomes a DOM and the replacement below keeps its position.
	 */
	if (ev->obj == NULL) {
		if (ev->enc == NULL)
			return -1;
		if (memmem(ev->enc, ev->enclen, "\"agent\"", 7) == NULL)
			return enc_append_agent(ev, agent, len);
		if (enc_to_dom(ev) != 0)
			return -1;
	}
	if ((s = json_stringn(agent, len)) == NULL)
		return -1;
	if (json_object_set_new(ev->obj, "agent", s) != 0)
		return -1;
	return 0;
}

/*
 * jansson keeps insertion order, so an event encodes with its fields in
 * the order they were parsed or set, and parse-then-encode of a compact
 * line gives the same bytes back. No EVENT_MAX_LEN check here: a producer
 * compares *len with it before sending (the collector would refuse more).
 * The string comes from jansson's allocator, which is malloc() in this
 * project, so callers free() it.
 */
char *
lw_event_encode(const struct lw_event *ev, size_t *len)
{
	char *s;

	if (ev == NULL)
		return NULL;
	if (ev->obj == NULL) {
		if (ev->enc == NULL || (s = malloc(ev->enclen + 1)) == NULL)
			return NULL;
		memcpy(s, ev->enc, ev->enclen);
		s[ev->enclen] = '\0';
		if (len != NULL)
			*len = ev->enclen;
		return s;
	}
	if ((s = json_dumps(ev->obj, JSON_COMPACT)) == NULL)
		return NULL;
	if (len != NULL)
		*len = strlen(s);
	return s;
}

void
lw_event_free(struct lw_event *ev)
{
	if (ev == NULL)
		return;
	json_decref(ev->obj);
	free(ev->enc);
	free(ev);
}
