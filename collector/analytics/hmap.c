/*
 * A string-keyed hash map for the analytics: employees, peer groups,
 * directory look-ups, per-table caches. Open addressing with linear
 * probing, keys copied, values are the caller's pointers. The hash has no
 * random seed on purpose: the analytics must give the same output for the
 * same input, and nothing here is keyed by attacker-chosen data at a scale
 * where flooding matters (the directory and the set of employees are
 * bounded by the organisation). Iteration order is the slot order; code
 * whose output depends on order sorts first.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analytics.h"
#include "leakwatch/hash.h"
#include "leakwatch/xmalloc.h"

struct hmap_slot {
	char		*key;		/* NULL: empty */
	void		*val;
	uint32_t	 hash;
};

struct hmap {
	struct hmap_slot *slots;
	size_t		  cap;		/* power of two */
	size_t		  n;
};

struct hmap *
hmap_new(void)
{
	struct hmap *m = xcalloc(1, sizeof(*m));

	m->cap = 16;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	return m;
}

static struct hmap_slot *
find(const struct hmap *m, const char *key, uint32_t h)
{
	size_t i = h & (m->cap - 1);

	for (;;) {
		struct hmap_slot *s = &m->slots[i];

		if (s->key == NULL || (s->hash == h &&
		    strcmp(s->key, key) == 0))
			return s;
		i = (i + 1) & (m->cap - 1);
	}
}

static void
grow(struct hmap *m)
{
	struct hmap_slot *old = m->slots, *s;
	size_t oldcap = m->cap, i;

	m->cap *= 2;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	for (i = 0; i < oldcap; i++) {
		if (old[i].key == NULL)
			continue;
		s = find(m, old[i].key, old[i].hash);
		*s = old[i];
	}
	free(old);
}

void *
hmap_get(const struct hmap *m, const char *key)
{
	struct hmap_slot *s;

	if (m == NULL)
		return NULL;
	s = find(m, key, hash_fnv1a(key));
	return s->key != NULL ? s->val : NULL;
}

/* Sets key to val; returns the old value (NULL if the key was new). */
void *
hmap_put(struct hmap *m, const char *key, void *val)
{
	uint32_t h = hash_fnv1a(key);
	struct hmap_slot *s;
	void *old;

	if ((m->n + 1) * 4 > m->cap * 3)
		grow(m);
	s = find(m, key, h);
	if (s->key != NULL) {
		old = s->val;
		s->val = val;
		return old;
	}
	s->key = xstrdup(key);
	s->hash = h;
	s->val = val;
	m->n++;
	return NULL;
}

size_t
hmap_count(const struct hmap *m)
{
	return m == NULL ? 0 : m->n;
}

/* Walks the map: start with *iter = 0; returns 0 at the end. */
int
hmap_next(const struct hmap *m, size_t *iter, const char **key, void **val)
{
	if (m == NULL)
		return 0;
	while (*iter < m->cap) {
		struct hmap_slot *s = &m->slots[(*iter)++];

		if (s->key != NULL) {
			if (key != NULL)
				*key = s->key;
			if (val != NULL)
				*val = s->val;
			return 1;
		}
	}
	return 0;
}

void
hmap_free(struct hmap *m, void (*freefn)(void *))
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->cap; i++) {
		if (m->slots[i].key == NULL)
			continue;
		if (freefn != NULL)
			freefn(m->slots[i].val);
		free(m->slots[i].key);
	}
	free(m->slots);
	free(m);
}
