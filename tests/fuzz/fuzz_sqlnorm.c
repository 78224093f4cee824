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
 * - tables are non-empty, bounded, and at most SQLNORM_MAX_TABLES.
 * Under gcc, tests/fuzz/driver.c replays the corpus.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

	if (sqlnorm(sql, len, &o, &n) != 0)
		abort();
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
