/*
 * The config-file reader shared by the agent and the collector, and the
 * long options the same keys are on the command line. It knows the
 * syntax and the value kinds; which keys exist is each program's table.
 * Strict on purpose: an unknown key, a duplicate scalar or a bad value
 * stops start-up with file:line:col, because a security tool that
 * half-reads its config silently watches less than the operator thinks.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakwatch/conf.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define CONF_MAX_LINE	4096
#define CONF_MAX_WORDS	2
#define CONF_MAX_KEYS	128	/* per table; checked in conf_load() */

static const struct conf_key *
find_key(const struct conf_key *keys, const char *name)
{
	for (; keys->name != NULL; keys++)
		if (strcmp(keys->name, name) == 0)
			return keys;
	return NULL;
}

static int
parse_flag(const char *v, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };
	int i;

	for (i = 0; yes[i] != NULL; i++)
		if (strcmp(v, yes[i]) == 0)
			return *out = 1, 0;
	for (i = 0; no[i] != NULL; i++)
		if (strcmp(v, no[i]) == 0)
			return *out = 0, 0;
	return -1;
}

int
conf_set(const struct conf_key *keys, void *cfg, const char *name,
    const char *value, char *err, size_t errlen)
{
	const struct conf_key *k;
	char *base = cfg;
	long long v = 0;

	if ((k = find_key(keys, name)) == NULL) {
		snprintf(err, errlen, "unknown key \"%s\"", name);
		return -1;
	}
	switch (k->kind) {
	case CONF_STR: {
		char **p = (char **)(void *)(base + k->off);

		if (*value == '\0') {
			snprintf(err, errlen, "%s: empty value", name);
			return -1;
		}
		free(*p);
		*p = xstrdup(value);
		return 0;
	}
	case CONF_FLAG:
		if (parse_flag(value, (int *)(void *)(base + k->off)) != 0) {
			snprintf(err, errlen, "%s: expected yes or no", name);
			return -1;
		}
		return 0;
	case CONF_UINT:
		if (parse_ll(value, k->min, k->max, &v) != 0) {
			snprintf(err, errlen, "%s: expected a number from %lld "
			    "to %lld", name, k->min, k->max);
			return -1;
		}
		break;
	case CONF_SIZE:
		if (parse_size(value, &v) != 0 || v < k->min || v > k->max) {
			snprintf(err, errlen, "%s: expected a size from %lld "
			    "to %lld bytes (suffix K, M, G, T)", name, k->min,
			    k->max);
			return -1;
		}
		break;
	case CONF_DURATION:
		if (parse_duration(value, &v) != 0 || v < k->min ||
		    v > k->max) {
			snprintf(err, errlen, "%s: expected a duration from "
			    "%lldms to %lldms (suffix ms, s, m, h)", name,
			    k->min, k->max);
			return -1;
		}
		break;
	case CONF_LIST: {
		struct conf_list *l = (struct conf_list *)(void *)
		    (base + k->off);

		if (*value == '\0') {
			snprintf(err, errlen, "%s: empty value", name);
			return -1;
		}
		l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
		l->v[l->n++] = xstrdup(value);
		return 0;
	}
	}
	*(long long *)(void *)(base + k->off) = v;
	return 0;
}

/*
 * Every key becomes a long option whose val is base + its index, so the
 * table the config file is read with is also the command line's: a key
 * added to a program is an option the same day, with nothing to keep in
 * step.
 */
struct option *
conf_options(const struct option *fixed, const struct conf_key *keys,
    int base)
{
	struct option *o;
	size_t nf = 0, nk = 0, i;

	while (fixed != NULL && fixed[nf].name != NULL)
		nf++;
	while (keys[nk].name != NULL)
		nk++;
	o = xcalloc(nf + nk + 1, sizeof(*o));
	for (i = 0; i < nf; i++)
		o[i] = fixed[i];
	for (i = 0; i < nk; i++) {
		o[nf + i].name = keys[i].name;
		o[nf + i].has_arg = keys[i].kind == CONF_FLAG ?
		    optional_argument : required_argument;
		o[nf + i].flag = NULL;
		o[nf + i].val = base + (int)i;
	}
	return o;
}

/*
 * NULL when the long option `name` that getopt_long() has just returned
 * was written out in full, else the text it was given as. getopt_long()
 * has just used argv[ind - 1]: the option itself, or its value when that
 * was a separate element (optarg is then that very element, not a
 * pointer past an '=').
 */
static const char *
opt_abbrev(char *const *argv, int ind, const char *arg, const char *name)
{
	const char *text;
	size_t n = strlen(name);

	if (ind < 2)
		return NULL;
	text = arg != NULL && arg == argv[ind - 1] ? argv[ind - 2] :
	    argv[ind - 1];
	if (strncmp(text, "--", 2) == 0 && strncmp(text + 2, name, n) == 0 &&
	    (text[n + 2] == '\0' || text[n + 2] == '='))
		return NULL;
	return text;
}

int
conf_getopt(int argc, char **argv, const char *shortopts,
    const struct option *opts, int *longindex)
{
	const char *ab;
	int c, li = -1;

	c = getopt_long(argc, argv, shortopts, opts, &li);
	if (li >= 0 && c != '?' && c != ':' && (ab = opt_abbrev(argv, optind,
	    optarg, opts[li].name)) != NULL) {
		if (opterr)
			fprintf(stderr, "%s: unrecognized option '%.*s'\n",
			    argv[0], (int)strcspn(ab, "="), ab);
		li = -1;
		c = '?';
	}
	if (longindex != NULL)
		*longindex = li;
	return c;
}

int
conf_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* The daemons' options besides the keys and their own (conf.h). */
enum { OPT_VERSION = 256, OPT_OWN = 512, OPT_KEY = 1024 };
#define DAEMON_SHORT	"c:htv"

/*
 * help and version, then the program's own (val OPT_OWN + i), then one
 * per key (val OPT_KEY + i): a key added to a program is an option the
 * same day. The array is the caller's to free().
 */
static struct option *
daemon_options(const struct conf_prog *p)
{
	struct option *fixed, *all;
	size_t n = 0, i;

	while (p->own != NULL && p->own[n].name != NULL)
		n++;
	if (n > CONF_OWN_MAX)
		n = CONF_OWN_MAX;
	fixed = xcalloc(n + 3, sizeof(*fixed));
	fixed[0].name = "help";
	fixed[0].has_arg = no_argument;
	fixed[0].val = 'h';
	fixed[1].name = "version";
	fixed[1].has_arg = no_argument;
	fixed[1].val = OPT_VERSION;
	for (i = 0; i < n; i++) {
		fixed[2 + i] = p->own[i];
		fixed[2 + i].flag = NULL;
		fixed[2 + i].val = OPT_OWN + (int)i;
	}
	all = conf_options(fixed, p->keys, OPT_KEY);
	free(fixed);
	return all;
}

/* The synopsis, then what every daemon's command line has. */
static void __attribute__((noreturn))
usage(const struct conf_prog *p, FILE *f, int status)
{
	fprintf(f, "usage: %s       %s --version\n"
	    "Every configuration key (docs/config.md) is also an option: "
	    "--key value.\n", p->synopsis, p->name);
	exit(status);
}

/*
 * The first pass: -c FILE, -h and --version, so that the file is read
 * before the command line, which the second pass then applies key by
 * key. Leaves getopt ready for the second pass.
 */
static const char *
first_pass(const struct conf_prog *p, int argc, char **argv,
    struct option *opts, void *cfg)
{
	const char *path = NULL;
	char err[512], *s;
	int c;

	/* getopt's messages start with argv[0]: the name, not the path */
	if (argc > 0 && (s = strrchr(argv[0], '/')) != NULL)
		argv[0] = s + 1;
	opterr = 0;
	while ((c = conf_getopt(argc, argv, DAEMON_SHORT, opts, NULL)) != -1) {
		if (c == 'c')
			path = optarg;
		else if (c == 'h') {
			free(opts);
			usage(p, stdout, 0);
		} else if (c == OPT_VERSION) {
			free(opts);
			printf("%s %s\n", p->name, LEAKWATCH_VERSION);
			exit(0);
		}
	}
	if (path != NULL && conf_load(path, p->keys, cfg, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", p->name, err);
		exit(1);
	}
	optind = 0;
	opterr = 1;
	return path;
}

void
conf_daemon_args(const struct conf_prog *p, int argc, char **argv,
    void *cfg, struct conf_args *a)
{
	struct option *opts;
	char err[512];
	int c, li;

	memset(a, 0, sizeof(*a));
	opts = daemon_options(p);
	a->path = first_pass(p, argc, argv, opts, cfg);
	while ((c = conf_getopt(argc, argv, DAEMON_SHORT, opts, &li)) != -1) {
		if (c == 't')
			a->check_only = 1;
		else if (c == 'v')
			a->verbose++;
		else if (c >= OPT_OWN && c < OPT_KEY)
			a->own[c - OPT_OWN] = optarg != NULL ? optarg : "yes";
		else if (c == '?' || (c >= OPT_KEY && conf_set(p->keys, cfg,
		    opts[li].name, optarg != NULL ? optarg : "yes", err,
		    sizeof(err)) != 0)) {
			if (c != '?')
				fprintf(stderr, "%s: %s\n", p->name, err);
			free(opts);
			usage(p, stderr, 2);
		}
	}
	free(opts);
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", p->name,
		    argv[optind]);
		usage(p, stderr, 2);
	}
}

/*
 * Splits one line into at most CONF_MAX_WORDS words, honouring double
 * quotes and the escapes \" and \\ inside them. Returns the word count or
 * -1 with *col at the offending character.
 */
static int
split_line(char *line, char **words, int *cols, int *col)
{
	char *p = line, *o;
	int n = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			return n;
		if (n == CONF_MAX_WORDS) {
			*col = (int)(p - line) + 1;
			return -1;
		}
		cols[n] = (int)(p - line) + 1;
		if (*p != '"') {
			words[n++] = p;
			while (*p != '\0' && *p != ' ' && *p != '\t' &&
			    *p != '#')
				p++;
			if (*p == '#') {
				*p = '\0';
				return n;
			}
			if (*p != '\0')
				*p++ = '\0';
			continue;
		}
		words[n++] = o = ++p;
		for (;;) {
			if (*p == '\0') {
				*col = cols[n - 1];
				return -1;
			}
			if (*p == '"')
				break;
			if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
				p++;
			*o++ = *p++;
		}
		*o = '\0';
		p++;
		if (*p != '\0' && *p != ' ' && *p != '\t' && *p != '#') {
			*col = (int)(p - line) + 1;
			return -1;
		}
	}
}

int
conf_load(const char *path, const struct conf_key *keys, void *cfg,
    char *err, size_t errlen)
{
	FILE *f;
	char line[CONF_MAX_LINE + 2], msg[512];
	char *words[CONF_MAX_WORDS];
	int cols[CONF_MAX_WORDS], col = 1, lineno = 0, n, rc = 0;
	int seen[CONF_MAX_KEYS] = { 0 };	/* line a scalar was set on */
	const struct conf_key *k;
	size_t len, nkeys;

	for (nkeys = 0; keys[nkeys].name != NULL; nkeys++)
		;
	if (nkeys > CONF_MAX_KEYS) {
		snprintf(err, errlen, "%s: key table too large", path);
		return -1;
	}
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		len = strlen(line);
		if (len > CONF_MAX_LINE && line[CONF_MAX_LINE] != '\n') {
			snprintf(err, errlen, "%s:%d:1: line longer than %d "
			    "bytes", path, lineno, CONF_MAX_LINE);
			rc = -1;
			break;
		}
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if ((n = split_line(line, words, cols, &col)) < 0) {
			snprintf(err, errlen, "%s:%d:%d: %s", path, lineno,
			    col, "syntax error (one key and one value per "
			    "line; quote values with spaces)");
			rc = -1;
			break;
		}
		if (n == 0)
			continue;
		if (n == 1) {
			snprintf(err, errlen, "%s:%d:%d: %s: missing value",
			    path, lineno, cols[0], words[0]);
			rc = -1;
			break;
		}
		/* A scalar set twice is a mistake; only lists repeat. */
		if ((k = find_key(keys, words[0])) != NULL &&
		    k->kind != CONF_LIST) {
			if (seen[k - keys] != 0) {
				snprintf(err, errlen, "%s:%d:%d: %s: already set "
				    "on line %d", path, lineno, cols[0],
				    words[0], seen[k - keys]);
				rc = -1;
				break;
			}
			seen[k - keys] = lineno;
		}
		if (conf_set(keys, cfg, words[0], words[1], msg,
		    sizeof(msg)) != 0) {
			snprintf(err, errlen, "%s:%d:%d: %s", path, lineno,
			    find_key(keys, words[0]) ? cols[1] : cols[0], msg);
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		rc = -1;
	}
	fclose(f);
	return rc;
}

void
conf_clear(const struct conf_key *keys, void *cfg)
{
	char *base = cfg;

	for (; keys->name != NULL; keys++) {
		if (keys->kind == CONF_STR) {
			char **p = (char **)(void *)(base + keys->off);

			free(*p);
			*p = NULL;
		} else if (keys->kind == CONF_LIST) {
			struct conf_list *l = (struct conf_list *)(void *)
			    (base + keys->off);

			strv_free(l->v, l->n);
			l->v = NULL;
			l->n = 0;
		}
	}
}

/* Writes a value quoted so that conf_load() reads it back unchanged. */
static void
dump_quoted(FILE *f, const char *name, const char *v)
{
	fprintf(f, "%s \"", name);
	for (; *v != '\0'; v++) {
		if (*v == '"' || *v == '\\')
			fputc('\\', f);
		fputc(*v, f);
	}
	fputs("\"\n", f);
}

void
conf_dump(const struct conf_key *keys, const void *cfg, void *fp)
{
	const char *base = cfg;
	FILE *f = fp;
	size_t i;

	for (; keys->name != NULL; keys++) {
		const void *p = base + keys->off;

		switch (keys->kind) {
		case CONF_STR:
			if (*(char *const *)p != NULL)
				dump_quoted(f, keys->name, *(char *const *)p);
			break;
		case CONF_FLAG:
			fprintf(f, "%s %s\n", keys->name,
			    *(const int *)p ? "yes" : "no");
			break;
		case CONF_UINT:
		case CONF_SIZE:
			fprintf(f, "%s %lld\n", keys->name,
			    *(const long long *)p);
			break;
		case CONF_DURATION:
			fprintf(f, "%s %lldms\n", keys->name,
			    *(const long long *)p);
			break;
		case CONF_LIST:
			for (i = 0; i < ((const struct conf_list *)p)->n; i++)
				dump_quoted(f, keys->name,
				    ((const struct conf_list *)p)->v[i]);
			break;
		}
	}
}
