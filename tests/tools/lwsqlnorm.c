/*
 * lwsqlnorm: runs the statement normaliser (lib/sqlnorm.c) over a file of
 * statements, one per line (-0: separated by NUL bytes, so statements may
 * span lines), and prints one JSON object per statement with what a
 * db.query event would carry: statement, fingerprint, command, tables,
 * end_user, unparsed. With -b it prints a throughput figure instead (CPU
 * time over at least one second of repeated passes). For looking at what
 * the normaliser makes of real traffic, and for `make bench`-style
 * figures; not used by the programs.
 *
 *   lwsqlnorm [-0b] [-m] [-s schema] [-u tag] [file]
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "leakwatch/sqlnorm.h"

struct stmts {
	char	*buf;
	size_t	 len;
	size_t	*off;
	size_t	*slen;
	size_t	 n;
};

static void
usage(void)
{
	fprintf(stderr, "usage: lwsqlnorm [-0b] [-m] [-s schema] [-u tag] "
	    "[file]\n");
	exit(2);
}

static void
read_all(FILE *f, struct stmts *s)
{
	size_t cap = 65536, r;

	if ((s->buf = malloc(cap)) == NULL)
		exit(1);
	while ((r = fread(s->buf + s->len, 1, cap - s->len, f)) > 0) {
		s->len += r;
		if (s->len == cap) {
			cap *= 2;
			if ((s->buf = realloc(s->buf, cap)) == NULL)
				exit(1);
		}
	}
}

/* Splits the buffer at sep; empty records are skipped. */
static void
split(struct stmts *s, char sep)
{
	size_t i, start = 0, cap = 1024;

	if ((s->off = calloc(cap, sizeof(*s->off))) == NULL ||
	    (s->slen = calloc(cap, sizeof(*s->slen))) == NULL)
		exit(1);
	for (i = 0; i <= s->len; i++) {
		if (i < s->len && s->buf[i] != sep)
			continue;
		if (i > start) {
			if (s->n == cap) {
				cap *= 2;
				s->off = realloc(s->off, cap * sizeof(*s->off));
				s->slen = realloc(s->slen,
				    cap * sizeof(*s->slen));
				if (s->off == NULL || s->slen == NULL)
					exit(1);
			}
			s->off[s->n] = start;
			s->slen[s->n] = i - start;
			s->n++;
		}
		start = i + 1;
	}
}

static void
print_one(const struct sqlnorm *n)
{
	json_t *o, *t;
	char *js;
	size_t i;

	t = json_array();
	for (i = 0; i < n->ntables; i++)
		json_array_append_new(t, json_string(n->tables[i]));
	o = json_pack("{s:s, s:s, s:s, s:o, s:b}", "statement", n->statement,
	    "fingerprint", n->fingerprint, "command", n->command, "tables", t,
	    "unparsed", n->unparsed);
	if (o == NULL)
		exit(1);
	if (n->end_user != NULL)
		json_object_set_new(o, "end_user", json_string(n->end_user));
	js = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (js != NULL)
		puts(js);
	free(js);
	json_decref(o);
}

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
bench(const struct stmts *s, const struct sqlnorm_opts *o)
{
	struct sqlnorm n;
	size_t i, bytes = 0, count = 0, unparsed = 0;
	double t0 = cpu_now(), t;

	if (s->n == 0)
		return;
	do {
		for (i = 0; i < s->n; i++) {
			if (sqlnorm(s->buf + s->off[i], s->slen[i], o, &n) != 0)
				exit(1);
			unparsed += (size_t)n.unparsed;
			sqlnorm_clear(&n);
			bytes += s->slen[i];
			count++;
		}
		t = cpu_now() - t0;
	} while (t < 1.0);
	printf("sqlnorm: %zu statements (%zu unparsed), %.1f MB in %.2f s "
	    "CPU = %.1f MB/s, %.0f statements/s\n", count, unparsed,
	    (double)bytes / 1e6, t, (double)bytes / 1e6 / t,
	    (double)count / t);
}

int
main(int argc, char **argv)
{
	struct sqlnorm_opts o = { SQL_POSTGRESQL, NULL, NULL, 0 };
	struct stmts s;
	struct sqlnorm n;
	FILE *f = stdin;
	size_t i;
	char sep = '\n';
	int ch, bflag = 0, rc = 0;

	while ((ch = getopt(argc, argv, "0bms:u:")) != -1) {
		switch (ch) {
		case '0':
			sep = '\0';
			break;
		case 'b':
			bflag = 1;
			break;
		case 'm':
			o.dialect = SQL_MYSQL;
			break;
		case 's':
			o.default_schema = optarg;
			break;
		case 'u':
			o.end_user_tag = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		usage();
	if (argc == 1 && (f = fopen(argv[0], "rb")) == NULL) {
		perror(argv[0]);
		return 1;
	}
	memset(&s, 0, sizeof(s));
	read_all(f, &s);
	if (f != stdin)
		fclose(f);
	split(&s, sep);
	if (bflag)
		bench(&s, &o);
	else {
		for (i = 0; i < s.n; i++) {
			if (sqlnorm(s.buf + s.off[i], s.slen[i], &o, &n) != 0) {
				rc = 1;
				break;
			}
			print_one(&n);
			sqlnorm_clear(&n);
		}
	}
	free(s.buf);
	free(s.off);
	free(s.slen);
	return rc;
}
