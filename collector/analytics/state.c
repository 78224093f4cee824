/*
 * The saved state images: what a person (an_entities.state) and a peer
 * group (an_peers.state) have learnt, written so that a later version
 * can read them. baseline.c stores and fetches the blobs; this file only
 * turns a struct into bytes and back, and state-compat.c converts the
 * raw struct dumps older versions wrote.
 *
 * An image is a header and a list of tagged sections, all integers and
 * floats little-endian and fixed-width whatever the machine:
 *
 *	image	= "LWSI" u16 format (1) u16 kind (1 person, 2 peer group)
 *		  u32 len (of the sections that follow) section*
 *	section	= u8 taglen (1-255) tag u32 len payload[len]
 *
 * A section is a field (an array of one element type: f64, f32, u32,
 * i32, i64, or a baseline slot written as m f64, v f64, n u32) or a group
 * of field sections: one per feature, tagged "f:" and the feature's
 * storage key ("f:rows.sensitive") or "k:" and the sensitivity class's
 * name ("k:customer_pii"; "k#2" when the class has no name here), and
 * one per tracked table of the mix by table ("t#0".."t#5"). Features are
 * keyed by name, not by their index, so the feature list may grow or be
 * reordered and a class may move in the configuration.
 *
 * The loader fills what it knows, counts and skips what it does not (a
 * section a newer version added, a class no longer configured), and
 * leaves what is missing at baseline_init()'s values: adding a field is
 * one line in a table below and a new section, never a lost baseline.
 * A known field whose length is not a whole number of elements refuses
 * the image; one with fewer elements than today fills those, one with
 * more keeps the first (an array whose length changes its meaning needs
 * a new tag). The header holds the sections' length, so an image cut
 * short anywhere is refused. The blob comes from the database, but it is
 * read like network input: every length is checked before the bytes it
 * covers, a refused image leaves the state as it was, and a value the
 * detectors index with (the last day closed) is range-checked.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics.h"
#include "leakwatch/xmalloc.h"

#define IMAGE_MAGIC	"LWSI"
#define IMAGE_FORMAT	1
#define KIND_ENTITY	1
#define KIND_PEER	2
#define HEADER_LEN	12
#define LAST_DAY_MAX	(1LL << 31)	/* day index; year 5.8 million */

enum ftype { T_F64, T_F32, T_U32, T_I32, T_I64, T_SLOT };

/* In memory and on the wire, by type. */
#define CSZ(ty)		CSZ_##ty
#define CSZ_T_F64	sizeof(double)
#define CSZ_T_F32	sizeof(float)
#define CSZ_T_U32	sizeof(uint32_t)
#define CSZ_T_I32	sizeof(int32_t)
#define CSZ_T_I64	sizeof(int64_t)
#define CSZ_T_SLOT	sizeof(struct slot)
static const size_t wsize[] = { 8, 4, 4, 4, 8, 20 };

/*
 * On a little-endian machine with IEEE 754 doubles, an array of any type
 * but a slot (whose padding the image leaves out) is its own encoding:
 * copied whole, the fast path that keeps an image about as cheap as the
 * raw struct was.
 */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && \
    defined(__STDC_IEC_559__)
#define LE_HOST		1
#else
#define LE_HOST		0
#endif
#define SAME_BYTES(ty)	(LE_HOST && (ty) != T_SLOT)

/*
 * One field: its tag, where instance 0 is in the struct, the distance to
 * the next instance (a feature's, a table's; 0 at the top level), its
 * number of elements and their type.
 */
struct field {
	const char	*tag;
	size_t		 off;
	size_t		 stride;
	size_t		 count;
	enum ftype	 type;
};

#define MSZ(t, m)	sizeof(((t *)NULL)->m)
#define FIELD(t, tag, m, stride, ty) \
	{ tag, offsetof(t, m), stride, MSZ(t, m) / CSZ(ty), ty }

/*
 * The tables. To keep a new member of struct entity_state, struct
 * fstate, struct tabring or struct peer across a restart, add one line
 * here with a tag of its own that was never used before (docs/
 * analytics.md). Never reuse or rename a tag: an older image's section
 * of that name would be read as the new field.
 */
#define ES(tag, m, ty)	FIELD(struct entity_state, tag, m, 0, ty)
static const struct field entity_fields[] = {
	ES("last_day", last_day, T_I64),
	ES("act", act, T_F64),
	ES("act_days", act_days, T_F64),
	ES("days_mask", days_mask, T_U32),
	ES("days_seen", days_seen, T_U32),
};

#define FS(tag, m, ty)	FIELD(struct entity_state, tag, f[0].m, \
			    sizeof(struct fstate), ty)
static const struct field fstate_fields[] = {
	FS("hour", hour, T_SLOT),
	FS("day", day, T_SLOT),
	FS("snap", snap, T_SLOT),
	FS("lag", lag, T_SLOT),
	FS("cusum", cusum, T_F64),
	FS("ring", ring, T_F32),
	FS("streak", streak, T_F64),
	FS("streak_days", streak_days, T_I32),
	FS("el_k", el_k, T_F64),
	FS("el_n", el_n, T_F64),
	FS("rel", rel, T_SLOT),
	FS("surge_day", surge_day, T_I64),
	FS("above", above, T_U32),
	FS("trend_above", trend_above, T_U32),
};

#define TS(tag, m, ty)	FIELD(struct entity_state, tag, tab[0].m, \
			    sizeof(struct tabring), ty)
static const struct field tab_fields[] = {
	TS("hash", hash, T_U32),
	TS("ring", ring, T_F32),
};

#define PS(tag, m, ty)	FIELD(struct peer, tag, m, 0, ty)
static const struct field peer_fields[] = {
	PS("act", act, T_F64),
	PS("act_days", act_days, T_F64),
	PS("hpull", hpull, T_SLOT),
	PS("hpull_k", hpull_k, T_F64),
	PS("hpull_n", hpull_n, T_F64),
};

/* m[0] is a member designator: offsetof() takes no parentheses there */
#define PF(tag, m, ty) \
	/* NOLINTNEXTLINE(bugprone-macro-parentheses) */ \
	FIELD(struct peer, tag, m[0], MSZ(struct peer, m[0]), ty)
static const struct field peer_ffields[] = {
	PF("hour", hour, T_SLOT),
	PF("day", day, T_SLOT),
	PF("el_k", el_k, T_F64),
	PF("el_n", el_n, T_F64),
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * The storage keys of the features before the classes. They are the
 * rules' names today, but frozen here: renaming a feature in the rules
 * language must not lose its baseline. A new feature gets a new key.
 */
static const char *const feature_keys[FT_CLASS0] = {
	"rows", "rows.sensitive", "queries", "tables", "result_bytes",
	"out.cloud_storage", "out.webmail", "out.file_transfer",
	"out.unknown_encrypted", "out.exfil", "offhours.rows",
	"offhours.out", "out.rare"
};

/* Today's feature of a storage key (of the features before the
 * classes), or -1. */
int
state_feature_by_key(const char *key)
{
	int f;

	for (f = 0; f < FT_CLASS0; f++)
		if (feature_keys[f] != NULL &&
		    strcmp(feature_keys[f], key) == 0)
			return f;
	return -1;
}

/* The group tag of feature f; 0, or -1 when it has none. */
static int
feature_tag(const struct sensitivity *sens, int f, char *buf, size_t len)
{
	const char *name;
	int n;

	if (f < FT_CLASS0)
		n = feature_keys[f] == NULL ? -1 :
		    snprintf(buf, len, "f:%s", feature_keys[f]);
	else if ((name = sensitivity_class_name(sens, f - FT_CLASS0)) != NULL)
		n = snprintf(buf, len, "k:%s", name);
	else
		n = snprintf(buf, len, "k#%d", f - FT_CLASS0);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* The number 0..max-1 written in decimal in p[0..n-1], or -1. */
static int
tag_number(const char *p, size_t n, int max)
{
	size_t i;
	int v = 0;

	if (n == 0 || n > 3 || (n > 1 && p[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v < max ? v : -1;
}

/* The feature a group tag names, or -1. */
int
state_feature_of(const struct sensitivity *sens, const char *tag,
    size_t len)
{
	char name[STATE_TAG_MAX + 1];
	int c;

	if (len < 3 || len > STATE_TAG_MAX)
		return -1;
	memcpy(name, tag + 2, len - 2);
	name[len - 2] = '\0';
	if (strlen(name) != len - 2)
		return -1;
	if (memcmp(tag, "f:", 2) == 0)
		return state_feature_by_key(name);
	if (memcmp(tag, "k:", 2) == 0) {
		c = sensitivity_lookup(sens, name);
		return c < 0 ? -1 : FT_CLASS0 + c;
	}
	if (memcmp(tag, "k#", 2) == 0 &&
	    (c = tag_number(tag + 2, len - 2, SENS_MAX_CLASSES)) >= 0)
		return FT_CLASS0 + c;
	return -1;
}

/* The writer: a growing buffer, fatal on OOM (control plane). */
struct wbuf {
	uint8_t		*p;
	size_t		 len;
	size_t		 cap;
};

static uint8_t *
wb_room(struct wbuf *w, size_t n)
{
	uint8_t *at;

	if (w->cap - w->len < n) {
		while (w->cap - w->len < n)
			w->cap = w->cap == 0 ? 16384 : w->cap * 2;
		w->p = xreallocarray(w->p, w->cap, 1);
	}
	at = w->p + w->len;
	w->len += n;
	return at;
}

static void
put_le(uint8_t *at, uint64_t v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		at[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
get_le(const uint8_t *at, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)at[i] << (8 * i);
	return v;
}

static uint64_t
f64_bits(double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	return u;
}

static double
bits_f64(uint64_t u)
{
	double d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

/* Opens a section; returns where its length goes (patched at the end). */
static size_t
wb_open(struct wbuf *w, const char *tag)
{
	size_t n = strlen(tag);
	uint8_t *at = wb_room(w, 1 + n + 4);

	at[0] = (uint8_t)n;
	/* a tag is counted on the wire, never terminated */
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result) */
	memcpy(at + 1, tag, n);
	return w->len - 4;
}

static void
wb_close(struct wbuf *w, size_t lenat)
{
	put_le(w->p + lenat, w->len - lenat - 4, 4);
}

static void
put_elem(uint8_t *at, const uint8_t *mem, enum ftype ty)
{
	uint32_t u32;
	float f32;
	int64_t i64;
	double f64;
	const struct slot *s;

	switch (ty) {
	case T_F64:
		memcpy(&f64, mem, sizeof(f64));
		put_le(at, f64_bits(f64), 8);
		break;
	case T_F32:
		memcpy(&f32, mem, sizeof(f32));
		memcpy(&u32, &f32, sizeof(u32));
		put_le(at, u32, 4);
		break;
	case T_U32:
	case T_I32:
		memcpy(&u32, mem, sizeof(u32));
		put_le(at, u32, 4);
		break;
	case T_I64:
		memcpy(&i64, mem, sizeof(i64));
		put_le(at, (uint64_t)i64, 8);
		break;
	case T_SLOT:
		s = (const struct slot *)(const void *)mem;
		if (LE_HOST) {
			memcpy(at, &s->m, 8);
			memcpy(at + 8, &s->v, 8);
			memcpy(at + 16, &s->n, 4);
			break;
		}
		put_le(at, f64_bits(s->m), 8);
		put_le(at + 8, f64_bits(s->v), 8);
		put_le(at + 16, s->n, 4);
		break;
	}
}

static void
get_elem(uint8_t *mem, const uint8_t *at, enum ftype ty)
{
	uint32_t u32;
	float f32;
	int64_t i64;
	double f64;
	struct slot *s;

	switch (ty) {
	case T_F64:
		f64 = bits_f64(get_le(at, 8));
		memcpy(mem, &f64, sizeof(f64));
		break;
	case T_F32:
		u32 = (uint32_t)get_le(at, 4);
		memcpy(&f32, &u32, sizeof(f32));
		memcpy(mem, &f32, sizeof(f32));
		break;
	case T_U32:
	case T_I32:
		u32 = (uint32_t)get_le(at, 4);
		memcpy(mem, &u32, sizeof(u32));
		break;
	case T_I64:
		i64 = (int64_t)get_le(at, 8);
		memcpy(mem, &i64, sizeof(i64));
		break;
	case T_SLOT:
		s = (struct slot *)(void *)mem;
		if (LE_HOST) {
			memcpy(&s->m, at, 8);
			memcpy(&s->v, at + 8, 8);
			memcpy(&s->n, at + 16, 4);
			break;
		}
		s->m = bits_f64(get_le(at, 8));
		s->v = bits_f64(get_le(at + 8, 8));
		s->n = (uint32_t)get_le(at + 16, 4);
		break;
	}
}

static size_t
csize(enum ftype ty)
{
	static const size_t c[] = { CSZ(T_F64), CSZ(T_F32), CSZ(T_U32),
	    CSZ(T_I32), CSZ(T_I64), CSZ(T_SLOT) };

	return c[ty];
}

/* The fields of a table, of instance i of obj, as sections. */
static void
put_fields(struct wbuf *w, const void *obj, const struct field *fl,
    size_t n, size_t i)
{
	const uint8_t *base = obj;
	size_t k, e, lenat;
	uint8_t *at;

	for (k = 0; k < n; k++) {
		lenat = wb_open(w, fl[k].tag);
		at = wb_room(w, fl[k].count * wsize[fl[k].type]);
		if (SAME_BYTES(fl[k].type)) {
			memcpy(at, base + fl[k].off + i * fl[k].stride,
			    fl[k].count * wsize[fl[k].type]);
			wb_close(w, lenat);
			continue;
		}
		for (e = 0; e < fl[k].count; e++)
			put_elem(at + e * wsize[fl[k].type], base + fl[k].off +
			    i * fl[k].stride + e * csize(fl[k].type),
			    fl[k].type);
		wb_close(w, lenat);
	}
}

static void
put_header(struct wbuf *w, int kind)
{
	uint8_t *at = wb_room(w, HEADER_LEN);

	/* the magic is four bytes, not a string */
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result) */
	memcpy(at, IMAGE_MAGIC, 4);
	put_le(at + 4, IMAGE_FORMAT, 2);
	put_le(at + 6, (uint64_t)kind, 2);
}

/* The header's length of the sections, once they are all written. */
static void
put_length(struct wbuf *w)
{
	put_le(w->p + 8, w->len - HEADER_LEN, 4);
}

/* The features' groups of obj, each with the fields of fl. */
static void
put_features(struct wbuf *w, const void *obj, const struct sensitivity *sens,
    const struct field *fl, size_t n)
{
	char tag[STATE_TAG_MAX + 1];
	size_t lenat;
	int f;

	for (f = 0; f < FT_MAX; f++) {
		if (feature_tag(sens, f, tag, sizeof(tag)) != 0)
			continue;
		lenat = wb_open(w, tag);
		put_fields(w, obj, fl, n, (size_t)f);
		wb_close(w, lenat);
	}
}

uint8_t *
state_entity_encode(const struct entity_state *s,
    const struct sensitivity *sens, size_t *len)
{
	struct wbuf w = { NULL, 0, 0 };
	char tag[16];
	size_t lenat;
	int t;

	put_header(&w, KIND_ENTITY);
	put_fields(&w, s, entity_fields, NELEM(entity_fields), 0);
	put_features(&w, s, sens, fstate_fields, NELEM(fstate_fields));
	for (t = 0; t < TOP_TABLES; t++) {
		snprintf(tag, sizeof(tag), "t#%d", t);
		lenat = wb_open(&w, tag);
		put_fields(&w, s, tab_fields, NELEM(tab_fields), (size_t)t);
		wb_close(&w, lenat);
	}
	put_length(&w);
	*len = w.len;
	return w.p;
}

uint8_t *
state_peer_encode(const struct peer *p, const struct sensitivity *sens,
    size_t *len)
{
	struct wbuf w = { NULL, 0, 0 };

	put_header(&w, KIND_PEER);
	put_fields(&w, p, peer_fields, NELEM(peer_fields), 0);
	put_features(&w, p, sens, peer_ffields, NELEM(peer_ffields));
	put_length(&w);
	*len = w.len;
	return w.p;
}

/* The reader: one section at a time, every length checked first. */
struct section {
	const char	*tag;
	size_t		 taglen;
	const uint8_t	*p;
	size_t		 len;
};

/* The next section of buf at *off: 1, 0 at the end, -1 truncated. */
static int
next_section(const uint8_t *buf, size_t len, size_t *off, struct section *s)
{
	size_t left = len - *off;

	if (left == 0)
		return 0;
	s->taglen = buf[*off];
	if (s->taglen == 0 || left < 1 + s->taglen + 4)
		return -1;
	s->tag = (const char *)buf + *off + 1;
	s->len = (size_t)get_le(buf + *off + 1 + s->taglen, 4);
	if (s->len > left - 1 - s->taglen - 4)
		return -1;
	s->p = buf + *off + 1 + s->taglen + 4;
	*off += 1 + s->taglen + 4 + s->len;
	return 1;
}

/* A tag on the wire may hold any byte, a NUL too: compared as bytes. */
static int
tag_is(const struct field *f, const struct section *s)
{
	return strlen(f->tag) == s->taglen &&
	    memcmp(f->tag, s->tag, s->taglen) == 0;
}

/*
 * The field a section names. Sections come in the table's order when
 * this version wrote them, so *next (the one after the last found) is
 * tried first: one comparison a field, not a search.
 */
static const struct field *
find_field(const struct field *fl, size_t n, const struct section *s,
    size_t *next)
{
	size_t k;

	if (*next < n && tag_is(&fl[*next], s))
		return &fl[(*next)++];
	for (k = 0; k < n; k++)
		if (tag_is(&fl[k], s)) {
			*next = k + 1;
			return &fl[k];
		}
	return NULL;
}

static int
refuse(struct state_result *r, const char *why)
{
	snprintf(r->error, sizeof(r->error), "%s", why);
	return -1;
}

/* One field section into instance i of obj. */
static int
get_field(void *obj, const struct field *f, size_t i, const struct section *s,
    struct state_result *r)
{
	size_t ws = wsize[f->type], n, e;
	uint8_t *base = obj;

	if (s->len % ws != 0)
		return refuse(r, "a field's length is not whole elements");
	n = s->len / ws;
	if (n > f->count)
		n = f->count;
	if (SAME_BYTES(f->type)) {
		memcpy(base + f->off + i * f->stride, s->p, n * ws);
		return 0;
	}
	for (e = 0; e < n; e++)
		get_elem(base + f->off + i * f->stride + e * csize(f->type),
		    s->p + e * ws, f->type);
	return 0;
}

/* The field sections of one group (or the top level) into instance i. */
static int
get_fields(void *obj, const struct field *fl, size_t n, size_t i,
    const uint8_t *buf, size_t len, struct state_result *r)
{
	struct section s;
	const struct field *f;
	size_t off = 0, next = 0;
	int rc;

	while ((rc = next_section(buf, len, &off, &s)) == 1) {
		if ((f = find_field(fl, n, &s, &next)) == NULL)
			r->unknown++;
		else if (get_field(obj, f, i, &s, r) != 0)
			return -1;
	}
	return rc < 0 ? refuse(r, "a section runs past its end") : 0;
}

/* 1 when the section is a group tag of this prefix. */
static int
is_group(const struct section *s, const char *prefix)
{
	return s->taglen > 2 && memcmp(s->tag, prefix, 2) == 0;
}

/* The table index of a "t#N" tag, or -1. */
static int
tab_index(const struct section *s)
{
	return tag_number(s->tag + 2, s->taglen - 2, TOP_TABLES);
}

/* Checks the header; the offset of the first section, or -1. */
static int
check_header(const uint8_t *buf, size_t len, int kind,
    struct state_result *r)
{
	if (len < HEADER_LEN || memcmp(buf, IMAGE_MAGIC, 4) != 0)
		return refuse(r, "not a state image");
	if (get_le(buf + 4, 2) != IMAGE_FORMAT)
		return refuse(r, "a state image of another format");
	if (get_le(buf + 6, 2) != (uint64_t)kind)
		return refuse(r, "a state image of another kind");
	if (get_le(buf + 8, 4) != len - HEADER_LEN)
		return refuse(r, "a state image cut short (or with a tail)");
	return HEADER_LEN;
}

int
state_is_image(const uint8_t *buf, size_t len)
{
	return len >= 4 && memcmp(buf, IMAGE_MAGIC, 4) == 0;
}

/* One top-level section of a person's image. */
static int
entity_section(struct entity_state *s, const struct sensitivity *sens,
    const struct section *sec, struct state_result *r)
{
	const struct field *f;
	size_t next = 0;
	int i;

	if (is_group(sec, "f:") || is_group(sec, "k:") ||
	    is_group(sec, "k#")) {
		if ((i = state_feature_of(sens, sec->tag, sec->taglen)) < 0) {
			r->unknown++;
			return 0;
		}
		return get_fields(s, fstate_fields, NELEM(fstate_fields),
		    (size_t)i, sec->p, sec->len, r);
	}
	if (is_group(sec, "t#")) {
		if ((i = tab_index(sec)) < 0) {
			r->unknown++;
			return 0;
		}
		return get_fields(s, tab_fields, NELEM(tab_fields),
		    (size_t)i, sec->p, sec->len, r);
	}
	if ((f = find_field(entity_fields, NELEM(entity_fields), sec,
	    &next)) == NULL) {
		r->unknown++;
		return 0;
	}
	return get_field(s, f, 0, sec, r);
}

/*
 * The days the detectors index rings with and subtract from today: in
 * range, or why not. Any other value is only a number to them.
 */
const char *
state_entity_check(const struct entity_state *s)
{
	int f;

	if (s->last_day < -1 || s->last_day > LAST_DAY_MAX)
		return "the last day closed is out of range";
	for (f = 0; f < FT_MAX; f++)
		if (s->f[f].surge_day < -LAST_DAY_MAX ||
		    s->f[f].surge_day > LAST_DAY_MAX)
			return "a surge's day is out of range";
	return NULL;
}

/*
 * An image into *s, which holds baseline_init()'s values (or what an
 * older image left): 0, or -1 with r->error set and *s untouched.
 */
int
state_entity_decode(struct entity_state *s, const struct sensitivity *sens,
    const uint8_t *buf, size_t len, struct state_result *r)
{
	struct entity_state *tmp;
	struct section sec;
	const char *why;
	size_t off;
	int rc, h;

	memset(r, 0, sizeof(*r));
	if ((h = check_header(buf, len, KIND_ENTITY, r)) < 0)
		return -1;
	tmp = xmalloc(sizeof(*tmp));
	*tmp = *s;
	off = (size_t)h;
	while ((rc = next_section(buf, len, &off, &sec)) == 1)
		if (entity_section(tmp, sens, &sec, r) != 0)
			break;
	if (rc < 0)
		refuse(r, "a section runs past its end");
	else if (rc == 0 && (why = state_entity_check(tmp)) != NULL)
		rc = refuse(r, why);
	if (rc == 0)
		*s = *tmp;
	free(tmp);
	return rc == 0 ? 0 : -1;
}

int
state_peer_decode(struct peer *p, const struct sensitivity *sens,
    const uint8_t *buf, size_t len, struct state_result *r)
{
	struct peer *tmp;
	struct section sec;
	const struct field *f;
	size_t off, next = 0;
	int rc = 0, h, i, bad = 0;

	memset(r, 0, sizeof(*r));
	if ((h = check_header(buf, len, KIND_PEER, r)) < 0)
		return -1;
	tmp = xmalloc(sizeof(*tmp));
	*tmp = *p;
	off = (size_t)h;
	while (!bad && (rc = next_section(buf, len, &off, &sec)) == 1) {
		if (is_group(&sec, "f:") || is_group(&sec, "k:") ||
		    is_group(&sec, "k#")) {
			i = state_feature_of(sens, sec.tag, sec.taglen);
			if (i < 0)
				r->unknown++;
			else
				bad = get_fields(tmp, peer_ffields,
				    NELEM(peer_ffields), (size_t)i, sec.p,
				    sec.len, r) != 0;
		} else if ((f = find_field(peer_fields, NELEM(peer_fields),
		    &sec, &next)) == NULL)
			r->unknown++;
		else
			bad = get_field(tmp, f, 0, &sec, r) != 0;
	}
	if (!bad && rc < 0)
		bad = refuse(r, "a section runs past its end") != 0;
	if (!bad)
		*p = *tmp;
	free(tmp);
	return bad ? -1 : 0;
}

/*
 * The bytes of struct entity_state the tables carry (a slot's 20, not
 * its padding), for the test that
 * holds the tables to the struct: a member without a line above is
 * neither carried nor counted here.
 */
size_t
state_entity_carried(void)
{
	size_t k, n = 0;

	for (k = 0; k < NELEM(entity_fields); k++)
		n += entity_fields[k].count * wsize[entity_fields[k].type];
	for (k = 0; k < NELEM(fstate_fields); k++)
		n += FT_MAX * fstate_fields[k].count *
		    wsize[fstate_fields[k].type];
	for (k = 0; k < NELEM(tab_fields); k++)
		n += TOP_TABLES * tab_fields[k].count *
		    wsize[tab_fields[k].type];
	return n;
}
