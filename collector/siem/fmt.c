/*
 * What the SIEM formats share: a growable output buffer, the severity
 * scales each format speaks (syslog, CEF, LEEF, ECS) and accessors for
 * the alert's fields. Each format lives in its own fmt-<name>.c and turns
 * one alert (a validated `alert` event) into one message without framing;
 * formats.c lists them by name; fwd.c frames and sends the message.
 * Nothing here does I/O, and nothing here knows the formats: they call
 * down into this file, never the other way.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "siem.h"
#include "leakwatch/xmalloc.h"

void
fmt_opts_defaults(struct fmt_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->hostname = "-";
	o->app_name = "leakwatch";
	o->facility = 13;	/* log audit */
	o->sd_id = "leakwatch@32473";
	o->procid = 0;
}

void
buf_reserve(struct buf *b, size_t more)
{
	size_t want;

	if (b->len + more + 1 <= b->cap)
		return;
	want = b->cap == 0 ? 256 : b->cap;
	while (want < b->len + more + 1)
		want *= 2;
	b->data = xreallocarray(b->data, want, 1);
	b->cap = want;
	/* A buffer is a string from its first byte on, even when empty:
	 * buf_release() of an untouched buffer hands out "" this way. */
	b->data[b->len] = '\0';
}

void
buf_add(struct buf *b, const void *p, size_t len)
{
	buf_reserve(b, len);
	memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Hands the bytes to the caller; the buffer is empty afterwards. */
char *
buf_release(struct buf *b, size_t *len)
{
	char *p;

	if (b->data == NULL)
		buf_reserve(b, 0);
	p = b->data;
	if (len != NULL)
		*len = b->len;
	memset(b, 0, sizeof(*b));
	return p;
}

/* A string field of the alert, or "" when absent. */
const char *
fmt_str(const json_t *alert, const char *key)
{
	const char *s = json_string_value(json_object_get(alert, key));

	return s == NULL ? "" : s;
}

double
fmt_num(const json_t *alert, const char *key)
{
	return json_number_value(json_object_get(alert, key));
}

/*
 * One severity, four scales. The mapping is docs/siem.md's table; keep
 * them in step. Unknown severities map to the lowest level, never fail.
 */
static const struct sev_map {
	const char	*name;
	int		 syslog;	/* RFC 5424 severity 0..7 */
	int		 cef;		/* 0..10 */
	int		 leef;		/* 1..10 */
	int		 ecs;		/* event.severity */
} sev_maps[] = {
	{ "low", 5, 3, 3, 21 },
	{ "medium", 4, 5, 5, 47 },
	{ "high", 3, 8, 8, 73 },
	{ "critical", 2, 10, 10, 99 },
};

static const struct sev_map *
sev_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(sev_maps) / sizeof(sev_maps[0]); i++)
		if (strcmp(sev_maps[i].name, name) == 0)
			return &sev_maps[i];
	return &sev_maps[0];
}

int
fmt_sev_syslog(const char *s)
{
	return sev_lookup(s)->syslog;
}

int
fmt_sev_cef(const char *s)
{
	return sev_lookup(s)->cef;
}

int
fmt_sev_leef(const char *s)
{
	return sev_lookup(s)->leef;
}

int
fmt_sev_ecs(const char *s)
{
	return sev_lookup(s)->ecs;
}

/*
 * The evidence object flattened to "key=value" pairs for the formats that
 * have no nesting: nested objects become dotted keys, arrays are joined
 * with commas. Calls fn once per leaf, in the object's order.
 */
static void
flatten(json_t *v, struct buf *key, void (*fn)(void *, const char *,
    const char *), void *arg)
{
	const char *k;
	json_t *child;
	size_t keylen = key->len, i;
	struct buf val = { NULL, 0, 0 };
	char *s;

	if (json_is_object(v)) {
		json_object_foreach(v, k, child) {
			if (keylen > 0)
				buf_addc(key, '.');
			buf_puts(key, k);
			flatten(child, key, fn, arg);
			key->len = keylen;
			key->data[keylen] = '\0';
		}
		return;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, child) {
			if (i > 0)
				buf_addc(&val, ',');
			if (json_is_string(child))
				buf_puts(&val, json_string_value(child));
			else if ((s = json_dumps(child, JSON_COMPACT |
			    JSON_ENCODE_ANY)) != NULL) {
				buf_puts(&val, s);
				free(s);
			}
		}
		s = buf_release(&val, NULL);
		fn(arg, key->data, s);
		free(s);
		return;
	}
	if (json_is_string(v)) {
		fn(arg, key->data, json_string_value(v));
		return;
	}
	if ((s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) != NULL) {
		fn(arg, key->data, s);
		free(s);
	}
}

void
fmt_evidence_foreach(const json_t *alert, void (*fn)(void *, const char *,
    const char *), void *arg)
{
	json_t *ev = json_object_get(alert, "evidence");
	struct buf key = { NULL, 0, 0 };

	if (!json_is_object(ev))
		return;
	buf_reserve(&key, 64);
	flatten(ev, &key, fn, arg);
	free(key.data);
}
