/*
 * lwjsondiff: compares two JSON Lines files of events field by field, for
 * the replay cases (tests/replay/run.sh).
 *
 *   lwjsondiff EXPECTED.jsonl ACTUAL.jsonl
 *
 * Each line is parsed as one JSON object (jansson); blank lines are
 * skipped. The two lists are aligned first, so that one event more or
 * less shows as that one event and not as every event after it shifted:
 * two events may pair when they have the same type and the same identity
 * fields (a query's or session's client and action, a flow's endpoints),
 * and the pairing keeps the order of both files and pairs as many events
 * as it can, preferring identical pairs (a weighted longest common
 * subsequence). Then every pair is compared key by key, nothing ignored:
 * one line per field that differs, naming the event (its position and
 * line in each file, its type and ts), the field, and both values, and
 * one line per event found on one side only, with the whole event.
 *
 * Exits 0 when the files hold the same events, 1 when they differ, 2 on
 * an unreadable file or a line that is not a JSON object (named with its
 * line number). Not a general JSON diff: nested values are compared and
 * printed whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "leakwatch/xmalloc.h"

/* Past this many cells the alignment is positional (a replay case holds
 * tens of events; this only bounds memory on a runaway output). */
#define ALIGN_MAX_CELLS	(4u << 20)

struct ev {
	json_t	*obj;
	int	 line;		/* 1-based line in its file */
};

struct evlist {
	const char	*path;
	struct ev	*ev;
	size_t		 n;
};

/* Fields that say which event this is, beside its type. */
static const char *const identity[] = {
	"client", "action", "src", "sport", "dst", "dport", "l4", NULL
};

/*
 * Reads path into l; returns 0, or -1 after naming the file and line
 * that could not be read.
 */
static int
load(const char *path, struct evlist *l)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0, alloc = 0;
	ssize_t len;
	json_error_t err;
	json_t *o;
	int lineno = 0, rc = 0;

	l->path = path;
	l->ev = NULL;
	l->n = 0;
	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "lwjsondiff: %s: cannot open\n", path);
		return -1;
	}
	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		o = json_loadb(line, (size_t)len, JSON_REJECT_DUPLICATES,
		    &err);
		if (o == NULL || !json_is_object(o)) {
			fprintf(stderr, "lwjsondiff: %s:%d: not a JSON "
			    "object: %s\n", path, lineno,
			    o == NULL ? err.text : "another value");
			json_decref(o);
			rc = -1;
			break;
		}
		if (l->n == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			l->ev = xreallocarray(l->ev, alloc, sizeof(*l->ev));
		}
		l->ev[l->n].obj = o;
		l->ev[l->n].line = lineno;
		l->n++;
	}
	if (rc == 0 && ferror(f)) {
		fprintf(stderr, "lwjsondiff: %s: read error\n", path);
		rc = -1;
	}
	free(line);
	fclose(f);
	return rc;
}

static void
evlist_clear(struct evlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		json_decref(l->ev[i].obj);
	free(l->ev);
	l->ev = NULL;
	l->n = 0;
}

/* 2: identical events, 1: the same event with other values, 0: others. */
static int
pair_score(const json_t *a, const json_t *b)
{
	size_t i;

	if (json_equal(a, b))
		return 2;
	if (!json_equal(json_object_get(a, "type"),
	    json_object_get(b, "type")))
		return 0;
	for (i = 0; identity[i] != NULL; i++) {
		const json_t *x = json_object_get(a, identity[i]);
		const json_t *y = json_object_get(b, identity[i]);

		if ((x == NULL) != (y == NULL))
			return 0;
		if (x != NULL && !json_equal(x, y))
			return 0;
	}
	return 1;
}

/*
 * Fills pair[i] with the index in b paired with a's event i, or -1:
 * the order-keeping pairing of the highest total score. Positional when
 * the table would be too large.
 */
static void
align(const struct evlist *a, const struct evlist *b, long *pair)
{
	size_t n = a->n, m = b->n, i, j;
	unsigned *t;
	int s;

	for (i = 0; i < n; i++)
		pair[i] = -1;
	if ((n + 1) * (m + 1) > ALIGN_MAX_CELLS) {
		for (i = 0; i < n && i < m; i++)
			pair[i] = (long)i;
		return;
	}
	/* t[i][j]: best score of a[i..] against b[j..]. */
	t = xcalloc((n + 1) * (m + 1), sizeof(*t));
#define T(i, j)	t[(i) * (m + 1) + (j)]
	for (i = n; i-- > 0;)
		for (j = m; j-- > 0;) {
			unsigned best = T(i + 1, j) > T(i, j + 1) ?
			    T(i + 1, j) : T(i, j + 1);

			s = pair_score(a->ev[i].obj, b->ev[j].obj);
			if (s > 0 && T(i + 1, j + 1) + (unsigned)s > best)
				best = T(i + 1, j + 1) + (unsigned)s;
			T(i, j) = best;
		}
	for (i = 0, j = 0; i < n && j < m;) {
		s = pair_score(a->ev[i].obj, b->ev[j].obj);
		if (s > 0 && T(i, j) == T(i + 1, j + 1) + (unsigned)s) {
			pair[i++] = (long)j++;
		} else if (T(i, j) == T(i + 1, j))
			i++;
		else
			j++;
	}
#undef T
	free(t);
}

/* The compact encoding of v, or "(absent)"; the caller frees it. */
static char *
enc(const json_t *v)
{
	char *s;

	if (v == NULL)
		return xstrdup("(absent)");
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	return s != NULL ? s : xstrdup("(unencodable)");
}

/* "expected line 3 / output line 4 (db.query 2026-...Z)" */
static void
label(char *buf, size_t len, const json_t *o, int la, int lb)
{
	const char *type = json_string_value(json_object_get(o, "type"));
	const char *ts = json_string_value(json_object_get(o, "ts"));

	snprintf(buf, len, "expected line %d / output line %d (%s %s)", la,
	    lb, type ? type : "?", ts ? ts : "?");
}

/* Prints every key of either event whose value differs; returns how many. */
static size_t
diff_pair(const struct ev *x, const struct ev *y)
{
	char lab[256];
	const char *key;
	json_t *v;
	size_t n = 0;
	int pass;

	label(lab, sizeof(lab), x->obj, x->line, y->line);
	/* Expected's keys first, in its order; then keys only output has. */
	for (pass = 0; pass < 2; pass++) {
		json_t *from = pass == 0 ? x->obj : y->obj;
		json_t *other = pass == 0 ? y->obj : x->obj;

		json_object_foreach(from, key, v) {
			json_t *w = json_object_get(other, key);
			char *e, *g;

			if (pass == 1 && w != NULL)
				continue;
			if (w != NULL && json_equal(v, w))
				continue;
			e = enc(pass == 0 ? v : w);
			g = enc(pass == 0 ? w : v);
			printf("%s: field \"%s\": expected %s, got %s\n", lab,
			    key, e, g);
			free(e);
			free(g);
			n++;
		}
	}
	return n;
}

/* One event on one side only. */
static void
diff_alone(const char *what, const struct ev *e)
{
	char *s = enc(e->obj);

	printf("%s line %d: %s\n", what, e->line, s);
	free(s);
}

/*
 * Walks the alignment in file order, printing each difference; returns
 * the number of events that differ or are on one side only.
 */
static size_t
report(const struct evlist *a, const struct evlist *b, const long *pair)
{
	size_t i = 0, j = 0, bad = 0;

	while (i < a->n || j < b->n) {
		if (i < a->n && pair[i] < 0) {
			diff_alone("missing from the output: expected",
			    &a->ev[i++]);
			bad++;
		} else if (j < b->n && (i == a->n || (long)j < pair[i])) {
			diff_alone("not expected: output", &b->ev[j++]);
			bad++;
		} else {
			if (diff_pair(&a->ev[i], &b->ev[j]) > 0)
				bad++;
			i++;
			j++;
		}
	}
	return bad;
}

int
main(int argc, char **argv)
{
	struct evlist a, b;
	long *pair;
	size_t bad;

	if (argc != 3) {
		fprintf(stderr, "usage: lwjsondiff expected.jsonl "
		    "actual.jsonl\n");
		return 2;
	}
	if (load(argv[1], &a) != 0)
		return 2;
	if (load(argv[2], &b) != 0) {
		evlist_clear(&a);
		return 2;
	}
	pair = xcalloc(a.n + 1, sizeof(*pair));
	align(&a, &b, pair);
	bad = report(&a, &b, pair);
	if (bad > 0)
		printf("%zu events differ or are on one side only (%zu "
		    "expected, %zu in the output)\n", bad, a.n, b.n);
	free(pair);
	evlist_clear(&a);
	evlist_clear(&b);
	return bad > 0 ? 1 : 0;
}
