/*
 * What the SIEM formats share: the severity scales each format speaks
 * (syslog, CEF, LEEF, ECS), accessors for the alert's fields and the
 * evidence flattened for the formats without nesting; messages are built
 * in a struct buf (leakwatch/buf.h). Each format lives in its own fmt-<name>.c and turns
 * one alert (a validated `alert` event) into one message without framing;
 * formats.c lists them by name; fwd.c frames and sends the message.
 * Nothing here does I/O, and nothing here knows the formats: they call
 * down into this file, never the other way.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "siem.h"
#include "leakwatch/text.h"
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

/* A string field of the alert, or "" when absent. */
const char *
fmt_str(const json_t *alert, const char *key)
{
	const char *s = json_string_value(json_object_get(alert, key));

	return s == NULL ? "" : s;
}

/*
 * One key=value of CEF's extension or LEEF's attributes: nothing for an
 * empty value, and sep before it unless it is the first, right after the
 * header's last '|'. The key and the value are written as fmt_escaped()
 * writes them, with kone and vone the format's own rules for each byte.
 */
void
fmt_kv(struct buf *b, char sep, const char *key, const char *value,
    void (*kone)(struct buf *, char), void (*vone)(struct buf *, char))
{
	if (value == NULL || *value == '\0')
		return;
	if (b->data[b->len - 1] != '|')
		buf_addc(b, sep);
	fmt_escaped(b, key, kone);
	buf_addc(b, '=');
	fmt_escaped(b, value, vone);
}

/*
 * Text in a format's escaping: control characters and invalid UTF-8
 * escaped first (lib/text.c), then each byte written by the format's
 * one(), which knows the format's own special characters.
 */
void
fmt_escaped(struct buf *b, const char *text, void (*one)(struct buf *, char))
{
	char *v = text_vis_dup(text, 0), *s;

	for (s = v; *s != '\0'; s++)
		one(b, *s);
	free(v);
}

/*
 * What a message is, by its type: an alert (type "alert", or none), a
 * case opened or updated (type "case", docs/siem.md "Cases"), else a
 * forwarded raw event. RFC 5424 MSGID and the JSON dataset follow it.
 */
const char *
fmt_msgid(const json_t *alert)
{
	const char *t = fmt_str(alert, "type");

	if (*t == '\0' || strcmp(t, "alert") == 0)
		return "ALERT";
	if (strcmp(t, "case") == 0)
		return "CASE";
	return "EVENT";
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
			buf_truncate(key, keylen);
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
	buf_free(&key);
}
