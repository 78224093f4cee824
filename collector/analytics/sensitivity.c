/*
 * Data sensitivity: which tables hold what kind of data. The operator
 * marks tables with shell-style patterns and a class name, in the config
 * (`sensitive "crm.customer*=customer_pii"`, repeatable) or on the command
 * line (`--sensitive ...`). The first pattern that matches decides; a
 * pattern without a `.` matches the table part of any schema. Matching is
 * case-insensitive (MySQL table names are, on some systems). Results are
 * cached per table name, since the same few hundred tables recur in every
 * query. This file knows nothing about rows or employees.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics.h"
#include "leakwatch/xmalloc.h"

#define CACHE_MAX	65536	/* distinct table names remembered */

struct sens_pattern {
	char	*glob;
	int	 cls;
	int	 qualified;	/* pattern has a '.' */
};

struct sensitivity {
	struct sens_pattern	*pat;
	size_t			 npat;
	char			*cls[SENS_MAX_CLASSES];
	int			 ncls;
	struct hmap		*cache;	/* table -> class + 2 (never NULL) */
};

struct sensitivity *
sensitivity_new(void)
{
	struct sensitivity *s = xcalloc(1, sizeof(*s));

	s->cache = hmap_new();
	return s;
}

void
sensitivity_free(struct sensitivity *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->npat; i++)
		free(s->pat[i].glob);
	free(s->pat);
	for (i = 0; i < (size_t)s->ncls; i++)
		free(s->cls[i]);
	hmap_free(s->cache, NULL);
	free(s);
}

static int
valid_class(const char *c, size_t n)
{
	size_t i;

	if (n == 0 || n > 48)
		return 0;
	for (i = 0; i < n; i++)
		if (!islower((unsigned char)c[i]) &&
		    !isdigit((unsigned char)c[i]) && c[i] != '_')
			return 0;
	return 1;
}

/* "pattern=class". The class list is small and fixed at load. */
int
sensitivity_add(struct sensitivity *s, const char *spec, char *err,
    size_t errlen)
{
	const char *eq = strrchr(spec, '=');
	size_t plen;
	int i;

	if (eq == NULL || eq == spec) {
		snprintf(err, errlen, "sensitive: expected PATTERN=CLASS");
		return -1;
	}
	plen = (size_t)(eq - spec);
	if (plen > 256) {
		snprintf(err, errlen, "sensitive: pattern longer than 256 "
		    "bytes");
		return -1;
	}
	if (!valid_class(eq + 1, strlen(eq + 1))) {
		snprintf(err, errlen, "sensitive: class must be 1-48 of "
		    "a-z, 0-9 and _");
		return -1;
	}
	if (strcmp(eq + 1, "sensitive") == 0) {
		snprintf(err, errlen, "sensitive: \"sensitive\" is reserved "
		    "(it is the sum of every class)");
		return -1;
	}
	for (i = 0; i < s->ncls; i++)
		if (strcmp(s->cls[i], eq + 1) == 0)
			break;
	if (i == s->ncls) {
		if (s->ncls == SENS_MAX_CLASSES) {
			snprintf(err, errlen, "sensitive: more than %d "
			    "classes", SENS_MAX_CLASSES);
			return -1;
		}
		s->cls[s->ncls++] = xstrdup(eq + 1);
	}
	s->pat = xreallocarray(s->pat, s->npat + 1, sizeof(*s->pat));
	s->pat[s->npat].glob = xstrndup(spec, plen);
	s->pat[s->npat].cls = i;
	s->pat[s->npat].qualified = memchr(spec, '.', plen) != NULL;
	s->npat++;
	return 0;
}

/* The class index of a table, or -1 when it is not sensitive. */
int
sensitivity_class(struct sensitivity *s, const char *table)
{
	const char *part;
	void *v;
	size_t i;
	int cls = -1;

	if (s == NULL || s->npat == 0)
		return -1;
	if ((v = hmap_get(s->cache, table)) != NULL)
		return (int)(intptr_t)v - 2;
	part = strrchr(table, '.');
	part = part != NULL ? part + 1 : table;
	for (i = 0; i < s->npat && cls < 0; i++)
		if (fnmatch(s->pat[i].glob, s->pat[i].qualified ? table : part,
		    FNM_CASEFOLD) == 0)
			cls = s->pat[i].cls;
	if (hmap_count(s->cache) < CACHE_MAX)
		hmap_put(s->cache, table, (void *)(intptr_t)(cls + 2));
	return cls;
}

int
sensitivity_nclasses(const struct sensitivity *s)
{
	return s == NULL ? 0 : s->ncls;
}

const char *
sensitivity_class_name(const struct sensitivity *s, int i)
{
	if (s == NULL || i < 0 || i >= s->ncls)
		return NULL;
	return s->cls[i];
}

/* The index of a class name, or -1. */
int
sensitivity_lookup(const struct sensitivity *s, const char *name)
{
	int i;

	for (i = 0; s != NULL && i < s->ncls; i++)
		if (strcmp(s->cls[i], name) == 0)
			return i;
	return -1;
}
