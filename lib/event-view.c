/*
 * Field access without a DOM (see event-view.h for why). The validator
 * has already checked every token against the schema - strings are valid
 * UTF-8 with well-formed escapes, numbers are plain non-negative integers
 * of at most 16 digits, lists hold only strings - so decoding here needs
 * no error paths beyond what the validator leaves (it refuses reals,
 * objects and escaped keys, which then go the DOM way). Everything decoded
 * goes into one buffer sized up front, so pointers into it stay valid
 * until the next lw_event_view_init().
 */
#include <stdlib.h>
#include <string.h>

#include "leakwatch/event-view.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

static char *
put_utf8(char *o, unsigned int cp)
{
	if (cp < 0x80)
		*o++ = (char)cp;
	else if (cp < 0x800) {
		*o++ = (char)(0xc0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xe0 | cp >> 12);
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xf0 | cp >> 18);
		*o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}

/*
 * The string token at p (quotes included, validated) decoded to o, NUL
 * added; returns the end of the token. Decoding never grows a string, so
 * o needs at most the token's length.
 */
static const char *
decode_string(const char *p, const char *end, char **op)
{
	char *o = *op;
	unsigned int cp, lo;

	p++;	/* the opening quote */
	while (p < end && *p != '"') {
		if (*p != '\\') {
			*o++ = *p++;
			continue;
		}
		switch (p[1]) {
		case 'b': *o++ = '\b'; p += 2; continue;
		case 'f': *o++ = '\f'; p += 2; continue;
		case 'n': *o++ = '\n'; p += 2; continue;
		case 'r': *o++ = '\r'; p += 2; continue;
		case 't': *o++ = '\t'; p += 2; continue;
		case 'u': break;
		default: *o++ = p[1]; p += 2; continue;
		}
		(void)hex4((const unsigned char *)p + 2, &cp);	/* vouched */
		p += 6;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			(void)hex4((const unsigned char *)p + 2, &lo);
			p += 6;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		}
		o = put_utf8(o, cp);
	}
	*o++ = '\0';
	*op = o;
	return p + 1;
}

static double
decode_uint(const char *p, const char *end)
{
	double v = 0;

	while (p < end && *p >= '0' && *p <= '9')
		v = v * 10 + (*p++ - '0');
	return v;
}

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'))
		p++;
	return p;
}

/* A string list: the pointers first (aligned), then the strings. */
static void
decode_list(struct lw_view_value *val, const char *p, const char *end,
    char **op)
{
	const char *q;
	const char **ptrs;
	size_t n = 0, i;
	uintptr_t a;

	for (q = p; q < end; q++)	/* elements <= commas + 1 */
		if (*q == '"')
			n++;
	n = n / 2;
	a = ((uintptr_t)*op + sizeof(char *) - 1) & ~(uintptr_t)(sizeof(char *)
	    - 1);
	ptrs = (const char **)a;
	*op = (char *)(ptrs + n);
	p = skip_ws(p + 1, end);	/* past '[' */
	for (i = 0; i < n && p < end && *p == '"'; i++) {
		ptrs[i] = *op;
		p = skip_ws(decode_string(p, end, op), end);
		if (p < end && *p == ',')
			p = skip_ws(p + 1, end);
	}
	val->list = ptrs;
	val->nlist = i;
}

int
lw_event_view_init(struct lw_event_view *v, struct lw_event *ev,
    const char *raw, size_t len)
{
	struct lw_event_span spans[EVENT_SCAN_FIELDS];
	struct lw_event_scan sc;
	const char *p, *end;
	char *o;
	size_t need, i;
	uint64_t bit;

	json_decref(v->dom);
	v->dom = NULL;
	if (lw_event_scan_spans(raw, len, &sc, spans, &v->seen) != 0)
		return -1;
	/* strings shrink when decoded; lists add a pointer per element */
	need = len + (len / 2 + 2 + EVENT_SCAN_FIELDS) * sizeof(char *);
	if (need > v->cap) {
		free(v->buf);
		v->buf = xmalloc(need);
		v->cap = need;
	}
	v->raw = raw;
	v->len = len;
	v->tab = lw_event_fields(sc.type);
	o = v->buf;
	for (i = 0; i < EVENT_SCAN_FIELDS && v->tab[i].name != NULL; i++) {
		struct lw_view_value *val = &v->val[i];

		bit = (uint64_t)1 << i;
		memset(val, 0, sizeof(*val));
		if ((v->seen & bit) == 0)
			continue;
		p = raw + spans[i].off;
		end = p + spans[i].len;
		switch (v->tab[i].kind) {
		case FIELD_STR:
		case FIELD_ENUM:
		case FIELD_HEX:
		case FIELD_TS:
			val->kind = LW_STR;
			val->s = o;
			decode_string(p, end, &o);
			break;
		case FIELD_UINT:
		case FIELD_NUM:
			val->kind = LW_NUM;
			val->n = decode_uint(p, end);
			break;
		case FIELD_BOOL:
			val->kind = LW_BOOL;
			val->n = *p == 't';
			break;
		case FIELD_STRLIST:
			val->kind = LW_LIST;
			decode_list(val, p, end, &o);
			break;
		default:
			val->kind = LW_OTHER;	/* not reached: scan refuses */
			break;
		}
	}
	ev->type = sc.type;
	ev->ts_us = sc.ts_us;
	ev->obj = NULL;
	ev->view = v;
	return 0;
}

void
lw_event_view_clear(struct lw_event_view *v)
{
	json_decref(v->dom);
	free(v->buf);
	memset(v, 0, sizeof(*v));
}

static void
view_get(const struct lw_event_view *v, const char *key,
    struct lw_view_value *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < EVENT_SCAN_FIELDS && v->tab[i].name != NULL; i++)
		if (v->tab[i].name[0] == key[0] &&
		    strcmp(v->tab[i].name, key) == 0) {
			if (v->seen & (uint64_t)1 << i)
				*out = v->val[i];
			return;
		}
}

static void
dom_get(const json_t *obj, const char *key, struct lw_view_value *out)
{
	const json_t *j = json_object_get(obj, key), *e;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (j == NULL)
		return;
	if (json_is_string(j)) {
		out->kind = LW_STR;
		out->s = json_string_value(j);
	} else if (json_is_number(j)) {
		out->kind = LW_NUM;
		out->n = json_number_value(j);
	} else if (json_is_boolean(j)) {
		out->kind = LW_BOOL;
		out->n = json_is_true(j);
	} else if (json_is_array(j)) {
		out->kind = LW_LIST;
		json_array_foreach(j, i, e)
			if (!json_is_string(e)) {
				out->kind = LW_OTHER;
				return;
			}
		out->nlist = json_array_size(j);
	} else
		out->kind = LW_OTHER;
}

void
lw_event_get(const struct lw_event *ev, const char *key,
    struct lw_view_value *out)
{
	if (ev->obj == NULL && ev->view != NULL)
		view_get(ev->view, key, out);
	else
		dom_get(ev->obj, key, out);
}

const char *
lw_event_str(const struct lw_event *ev, const char *key)
{
	struct lw_view_value v;

	lw_event_get(ev, key, &v);
	return v.kind == LW_STR ? v.s : NULL;
}

int
lw_event_num(const struct lw_event *ev, const char *key, double *out)
{
	struct lw_view_value v;

	lw_event_get(ev, key, &v);
	if (v.kind != LW_NUM)
		return 0;
	*out = v.n;
	return 1;
}

int
lw_event_true(const struct lw_event *ev, const char *key)
{
	struct lw_view_value v;

	lw_event_get(ev, key, &v);
	return v.kind == LW_BOOL && v.n != 0;
}

size_t
lw_event_list(const struct lw_event *ev, const char *key, const char **out,
    size_t max)
{
	struct lw_view_value v;
	const json_t *a;
	size_t i, n = 0;

	if (ev->obj == NULL && ev->view != NULL) {
		view_get(ev->view, key, &v);
		if (v.kind != LW_LIST)
			return 0;
		for (i = 0; i < v.nlist && n < max; i++)
			out[n++] = v.list[i];
		return n;
	}
	if ((a = json_object_get(ev->obj, key)) == NULL || !json_is_array(a))
		return 0;
	for (i = 0; i < json_array_size(a) && n < max; i++)
		if (json_is_string(json_array_get(a, i)))
			out[n++] = json_string_value(json_array_get(a, i));
	return n;
}

const json_t *
lw_event_dom(const struct lw_event *ev)
{
	struct lw_event_view *v = ev->view;

	if (ev->obj != NULL || v == NULL)
		return ev->obj;
	if (v->dom == NULL)
		v->dom = json_loadb(v->raw, v->len, 0, NULL);
	return v->dom;
}
