/*
 * libFuzzer target for the statement normaliser (lib/sqlnorm.c). The
 * first byte picks the dialect and options (default schema, end-user tag,
 * a small length bound); the rest is the SQL text. Beyond "no crash, no
 * leak" it checks the promises the rest of leakwatch relies on:
 * - the result is "<unparsed>" exactly when unparsed is set, and the
 *   fingerprint is 16 lower-case hex digits;
 * - the statement is at most 2 * len + 1 bytes (the writer never
 *   expands a token by more than a space and one byte);
 * - outside quoted identifiers the statement holds no quote that starts
 *   a string, no comment starter, and no word made of digits only: no
 *   string or number literal can have survived;
 * - normalising the statement again gives the same statement (the text
 *   is a fixed point), so wire and log paths agree however often text
 *   passes through;
 * - tables are non-empty, bounded, and at most SQLNORM_MAX_TABLES;
 * - sqlnorm_memo() with a memo kept across inputs gives what sqlnorm()
 *   gives, field by field;
 * - sqlsplit_next()'s shortcut for plain text finds the statements the
 *   lexer finds, in both dialects;
 * - a text with every run of digits changed that keeps its shape
 *   (sqlnorm_shape()) normalises exactly as the text does.
 * Under gcc, tests/fuzz/driver.c replays the corpus.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "leakwatch/sqllex.h"
#include "leakwatch/sqlnorm.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
word_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '$' || c >= 0x80;
}

/* Aborts when s shows a trace of a literal or a comment. */
static void
check_clean(const char *s, enum sql_dialect d)
{
	size_t i = 0, j, n = strlen(s);
	char q = d == SQL_MYSQL ? '`' : '"';
	int digits;

	while (i < n) {
		if (s[i] == q) {
			/* A quoted identifier: skip it, doubled quotes too. */
			for (i++; i < n; i++) {
				if (s[i] == q && i + 1 < n && s[i + 1] == q)
					i++;
				else if (s[i] == q)
					break;
			}
			if (i == n)
				abort();	/* unterminated in the output */
			i++;
			continue;
		}
		if (s[i] == '\'' || (d == SQL_MYSQL && (s[i] == '"' ||
		    s[i] == '#')))
			abort();
		if (i + 1 < n && ((s[i] == '-' && s[i + 1] == '-') ||
		    (s[i] == '/' && s[i + 1] == '*')))
			abort();
		if (word_char((unsigned char)s[i]) && (i == 0 ||
		    !word_char((unsigned char)s[i - 1]))) {
			digits = 1;
			for (j = i; j < n && word_char((unsigned char)s[j]);
			    j++)
				if (s[j] < '0' || s[j] > '9')
					digits = 0;
			/* PostgreSQL's "$1" would be a placeholder that was
			 * not replaced (in MySQL $1 is a name, as is @123). */
			if ((digits && (i == 0 || s[i - 1] != '@')) ||
			    (d == SQL_POSTGRESQL && s[i] == '$' && j > i + 1 &&
			    s[i + 1] >= '0' && s[i + 1] <= '9'))
				abort();
			i = j;
			continue;
		}
		i++;
	}
}

/* The same pieces with and without the shortcut, or abort. */
static void
check_split(const char *s, size_t len, enum sql_dialect d)
{
	size_t p1 = 0, p2 = 0, s1 = 0, s2 = 0, l1 = 0, l2 = 0;
	int r1, r2;

	do {
		r1 = sqlsplit_next(s, len, d, &p1, &s1, &l1);
		r2 = sqlsplit_next_lexed(s, len, d, &p2, &s2, &l2);
		if (r1 != r2 || p1 != p2 || (r1 == 1 && (s1 != s2 ||
		    l1 != l2)))
			abort();
	} while (r1 == 1);
}

/* Field by field, or abort. */
static void
check_same(const struct sqlnorm *m, const struct sqlnorm *n)
{
	size_t i;

	if (strcmp(m->statement, n->statement) != 0 ||
	    strcmp(m->fingerprint, n->fingerprint) != 0 ||
	    strcmp(m->command, n->command) != 0 ||
	    m->unparsed != n->unparsed || m->ntables != n->ntables ||
	    (m->end_user == NULL) != (n->end_user == NULL) ||
	    (m->end_user != NULL && strcmp(m->end_user, n->end_user) != 0))
		abort();
	for (i = 0; i < m->ntables; i++)
		if (strcmp(m->tables[i], n->tables[i]) != 0)
			abort();
}

/*
 * The text with each run of digits replaced by other digits ("90", or
 * "7" for a "90"): where its shape stays the same, so must its result.
 */
static void
check_shape(const char *sql, size_t len, const struct sqlnorm_opts *o,
    const struct sqlnorm *n)
{
	struct sqlnorm m;
	char *v, *ka, *kb;
	size_t i, j, vl = 0, la, lb;

	if ((v = malloc(2 * len + 1)) == NULL || (ka = malloc(len + 1)) ==
	    NULL || (kb = malloc(2 * len + 1)) == NULL)
		abort();
	for (i = 0; i < len; i = j) {
		if (sql[i] < '0' || sql[i] > '9') {
			v[vl++] = sql[i];
			j = i + 1;
			continue;
		}
		for (j = i; j < len && sql[j] >= '0' && sql[j] <= '9'; j++)
			;
		if (j - i == 2 && sql[i] == '9' && sql[i + 1] == '0')
			v[vl++] = '7';
		else {
			v[vl++] = '9';
			v[vl++] = '0';
		}
	}
	if (sqlnorm_shape(sql, len, o, ka, &la) == 0 &&
	    sqlnorm_shape(v, vl, o, kb, &lb) == 0 && la == lb &&
	    memcmp(ka, kb, la) == 0) {
		if (sqlnorm(v, vl, o, &m) != 0)
			abort();
		check_same(&m, n);
		sqlnorm_clear(&m);
	}
	free(v);
	free(ka);
	free(kb);
}

/* The memo's result against the plain one, or abort. */
static void
check_memo(const char *sql, size_t len, const struct sqlnorm_opts *o,
    const struct sqlnorm *n)
{
	/* Kept across inputs on purpose: hits, collisions, replacements. */
	static struct sqlnorm_fpmemo *memo;
	struct sqlnorm m;

	if (memo == NULL && (memo = sqlnorm_fpmemo_new(1)) == NULL)
		abort();
	if (sqlnorm_memo(sql, len, o, memo, &m) != 0)
		abort();
	check_same(&m, n);
	sqlnorm_clear(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sqlnorm_opts o = { SQL_POSTGRESQL, NULL, NULL, 0 };
	struct sqlnorm n, again;
	const char *sql;
	size_t len, i;

	if (size == 0)
		return 0;
	o.dialect = data[0] & 1 ? SQL_MYSQL : SQL_POSTGRESQL;
	if (data[0] & 2)
		o.default_schema = "crm";
	if (data[0] & 4)
		o.end_user_tag = "end_user";
	if (data[0] & 8)
		o.max_len = 64;
	sql = (const char *)data + 1;
	len = size - 1;

	check_split(sql, len, SQL_POSTGRESQL);
	check_split(sql, len, SQL_MYSQL);
	if (sqlnorm(sql, len, &o, &n) != 0)
		abort();
	check_memo(sql, len, &o, &n);
	check_shape(sql, len, &o, &n);
	if (n.statement == NULL || strlen(n.fingerprint) != 16)
		abort();
	for (i = 0; i < 16; i++)
		if (strchr("0123456789abcdef", n.fingerprint[i]) == NULL)
			abort();
	if (n.unparsed != (strcmp(n.statement, SQLNORM_UNPARSED) == 0))
		abort();
	if (!n.unparsed && strlen(n.statement) > 2 * len + 1)
		abort();
	if (n.ntables > SQLNORM_MAX_TABLES || n.command[0] == '\0')
		abort();
	for (i = 0; i < n.ntables; i++)
		if (n.tables[i] == NULL || n.tables[i][0] == '\0' ||
		    strlen(n.tables[i]) > 255)
			abort();
	if (n.end_user != NULL && (n.end_user[0] == '\0' ||
	    strlen(n.end_user) > 255))
		abort();
	if (!n.unparsed) {
		check_clean(n.statement, o.dialect);
		o.max_len = 0;
		if (sqlnorm(n.statement, strlen(n.statement), &o, &again) != 0)
			abort();
		if (again.unparsed ||
		    strcmp(again.statement, n.statement) != 0 ||
		    strcmp(again.fingerprint, n.fingerprint) != 0)
			abort();
		sqlnorm_clear(&again);
	}
	sqlnorm_clear(&n);
	return 0;
}
