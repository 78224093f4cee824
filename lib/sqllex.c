/*
 * The one SQL lexer, shared by the statement normaliser (lib/sqlnorm.c),
 * the PostgreSQL and MySQL wire decoders and the PostgreSQL log reader,
 * so that where a statement ends and what command it is are decided by
 * the same code that normalises it. It knows the two dialects the
 * servers speak: PostgreSQL's nested comments, dollar quotes, E'' strings
 * (backslash escapes only there: standard_conforming_strings on), $1
 * placeholders, operator runs and :: casts; MySQL's backslash escapes in
 * every string, "double-quoted" strings, `backticks`, # and "-- "
 * comments, executable comments (which MySQL runs), @variables and names
 * that start with digits. The rules are in docs/normalisation.md ("The
 * lexer").
 *
 * Two modes. Strict (the normaliser's) refuses anything it cannot
 * classify with certainty, so the normaliser can fail closed; lenient
 * (the decoders') never refuses: an unterminated quote or comment runs
 * to the end of the text, any other refused byte becomes a JUNK token,
 * and lexing goes on. Both modes give the same tokens wherever the strict
 * one succeeds. Above the tokens: the keyword table, statement splitting,
 * the command finder and the heads of DECLARE / FETCH statements.
 *
 * It is not a parser: it checks no grammar. No I/O, no global state, no
 * allocation.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "leakwatch/sqllex.h"

/* Lexer results below the public interface. */
#define LX_REFUSE	(-1)	/* not a token the strict mode accepts */
#define LX_OPEN		(-2)	/* an unterminated quote, comment */

/*
 * Words written in upper case by the normaliser and the words the command
 * and table finders look for, one array per first letter, each sorted
 * (sqllex_keyword() picks the array by the first letter, then searches
 * it). Common column names (name, type, value, status, data, level, ...)
 * are left out on purpose, so they keep the case they were written in;
 * the choice only has to be the same on every call, since wire and log
 * text go through this table.
 */
static const struct sqlkw kw_a[] = {
	{ "ABORT", SQLKW_NONE, 0 },
	{ "ABSOLUTE", SQLKW_NONE, 0 },
	{ "ADD", SQLKW_NONE, 0 },
	{ "AFTER", SQLKW_NONE, 0 },
	{ "ALL", SQLKW_NONE, 0 },
	{ "ALTER", SQLKW_NONE, 0 },
	{ "ALWAYS", SQLKW_NONE, 0 },
	{ "ANALYSE", SQLKW_PREFIX, 0 },
	{ "ANALYZE", SQLKW_PREFIX, 0 },
	{ "AND", SQLKW_NONE, 0 },
	{ "ANY", SQLKW_NONE, 0 },
	{ "ARRAY", SQLKW_NONE, SQLKW_F_FUNC },
	{ "AS", SQLKW_AS, 0 },
	{ "ASC", SQLKW_NONE, 0 },
	{ "ASENSITIVE", SQLKW_NONE, 0 },
	{ "ASYMMETRIC", SQLKW_NONE, 0 },
	{ "AT", SQLKW_NONE, 0 },
	{ "ATOMIC", SQLKW_NONE, 0 },
	{ "AUTHORIZATION", SQLKW_NONE, 0 },
	{ "AUTO_INCREMENT", SQLKW_NONE, 0 },
};
static const struct sqlkw kw_b[] = {
	{ "BACKWARD", SQLKW_NONE, 0 },
	{ "BEFORE", SQLKW_NONE, 0 },
	{ "BEGIN", SQLKW_NONE, 0 },
	{ "BETWEEN", SQLKW_NONE, 0 },
	{ "BIGINT", SQLKW_NONE, SQLKW_F_FUNC },
	{ "BINARY", SQLKW_NONE, 0 },
	{ "BINLOG", SQLKW_NONE, 0 },
	{ "BOOLEAN", SQLKW_NONE, 0 },
	{ "BOTH", SQLKW_NONE, 0 },
	{ "BY", SQLKW_NONE, 0 },
};
static const struct sqlkw kw_c[] = {
	{ "CALL", SQLKW_NONE, 0 },
	{ "CASCADE", SQLKW_NONE, 0 },
	{ "CASE", SQLKW_NONE, 0 },
	{ "CAST", SQLKW_NONE, SQLKW_F_FUNC },
	{ "CHANGE", SQLKW_NONE, 0 },
	{ "CHAR", SQLKW_NONE, SQLKW_F_FUNC },
	{ "CHARACTER", SQLKW_NONE, SQLKW_F_FUNC },
	{ "CHARSET", SQLKW_NONE, 0 },
	{ "CHECK", SQLKW_NONE, 0 },
	{ "CHECKPOINT", SQLKW_NONE, 0 },
	{ "CHECKSUM", SQLKW_NONE, 0 },
	{ "CLOSE", SQLKW_NONE, 0 },
	{ "CLUSTER", SQLKW_NONE, 0 },
	{ "COALESCE", SQLKW_NONE, SQLKW_F_FUNC },
	{ "COLLATE", SQLKW_NONE, 0 },
	{ "COLUMN", SQLKW_NONE, 0 },
	{ "COLUMNS", SQLKW_NONE, 0 },
	{ "COMMENT", SQLKW_NONE, 0 },
	{ "COMMIT", SQLKW_NONE, 0 },
	{ "COMMITTED", SQLKW_NONE, 0 },
	{ "CONCURRENTLY", SQLKW_NONE, 0 },
	{ "CONFLICT", SQLKW_NONE, 0 },
	{ "CONSTRAINT", SQLKW_NONE, 0 },
	{ "CONSTRAINTS", SQLKW_NONE, 0 },
	{ "COPY", SQLKW_COPY, 0 },
	{ "CREATE", SQLKW_NONE, 0 },
	{ "CROSS", SQLKW_NONE, 0 },
	{ "CSV", SQLKW_NONE, 0 },
	{ "CUBE", SQLKW_NONE, 0 },
	{ "CURRENT", SQLKW_NONE, 0 },
	{ "CURRENT_DATE", SQLKW_NONE, SQLKW_F_VALUE },
	{ "CURRENT_ROLE", SQLKW_NONE, SQLKW_F_VALUE },
	{ "CURRENT_SCHEMA", SQLKW_NONE, SQLKW_F_VALUE },
	{ "CURRENT_TIME", SQLKW_NONE, SQLKW_F_VALUE },
	{ "CURRENT_TIMESTAMP", SQLKW_NONE, SQLKW_F_VALUE },
	{ "CURRENT_USER", SQLKW_NONE, SQLKW_F_VALUE },
	{ "CURSOR", SQLKW_NONE, 0 },
	{ "CYCLE", SQLKW_NONE, 0 },
};
static const struct sqlkw kw_d[] = {
	{ "DATABASE", SQLKW_NONE, 0 },
	{ "DATABASES", SQLKW_NONE, 0 },
	{ "DEALLOCATE", SQLKW_NONE, 0 },
	{ "DECIMAL", SQLKW_NONE, SQLKW_F_FUNC },
	{ "DECLARE", SQLKW_NONE, 0 },
	{ "DEFAULT", SQLKW_NONE, SQLKW_F_VALUE },
	{ "DEFERRABLE", SQLKW_NONE, 0 },
	{ "DEFERRED", SQLKW_NONE, 0 },
	{ "DELAYED", SQLKW_MOD, 0 },
	{ "DELETE", SQLKW_NONE, 0 },
	{ "DELIMITER", SQLKW_NONE, 0 },
	{ "DESC", SQLKW_NONE, 0 },
	{ "DESCRIBE", SQLKW_NONE, 0 },
	{ "DISCARD", SQLKW_NONE, 0 },
	{ "DISTINCT", SQLKW_DISTINCT, 0 },
	{ "DISTINCTROW", SQLKW_NONE, 0 },
	{ "DIV", SQLKW_NONE, 0 },
	{ "DO", SQLKW_NONE, 0 },
	{ "DOUBLE", SQLKW_NONE, 0 },
	{ "DROP", SQLKW_NONE, 0 },
	{ "DUAL", SQLKW_NONE, 0 },
	{ "DUMPFILE", SQLKW_NONE, 0 },
	{ "DUPLICATE", SQLKW_NONE, 0 },
};
static const struct sqlkw kw_e[] = {
	{ "ELSE", SQLKW_NONE, 0 },
	{ "ELSEIF", SQLKW_NONE, 0 },
	{ "ENCLOSED", SQLKW_NONE, 0 },
	{ "ENCODING", SQLKW_NONE, 0 },
	{ "END", SQLKW_NONE, SQLKW_F_VALUE },
	{ "ENGINE", SQLKW_NONE, 0 },
	{ "ESCAPE", SQLKW_NONE, 0 },
	{ "ESCAPED", SQLKW_NONE, 0 },
	{ "EXCEPT", SQLKW_NONE, 0 },
	{ "EXCLUSIVE", SQLKW_NONE, 0 },
	{ "EXECUTE", SQLKW_NONE, 0 },
	{ "EXISTS", SQLKW_MOD, 0 },
	{ "EXPLAIN", SQLKW_PREFIX, 0 },
};
static const struct sqlkw kw_f[] = {
	{ "FALSE", SQLKW_NONE, SQLKW_F_VALUE },
	{ "FETCH", SQLKW_NONE, 0 },
	{ "FIELDS", SQLKW_NONE, 0 },
	{ "FILTER", SQLKW_NONE, 0 },
	{ "FIRST", SQLKW_NONE, 0 },
	{ "FLOAT", SQLKW_NONE, SQLKW_F_FUNC },
	{ "FLUSH", SQLKW_NONE, 0 },
	{ "FOLLOWING", SQLKW_NONE, 0 },
	{ "FOR", SQLKW_NONE, 0 },
	{ "FORCE", SQLKW_NONE, 0 },
	{ "FOREIGN", SQLKW_NONE, 0 },
	{ "FORMAT", SQLKW_NONE, 0 },
	{ "FORWARD", SQLKW_NONE, 0 },
	{ "FREEZE", SQLKW_NONE, 0 },
	{ "FROM", SQLKW_FROM, 0 },
	{ "FULL", SQLKW_NONE, 0 },
	{ "FUNCTION", SQLKW_NONE, 0 },
};
static const struct sqlkw kw_g[] = {
	{ "GRANT", SQLKW_NONE, 0 },
	{ "GROUP", SQLKW_NONE, 0 },
	{ "GROUPING", SQLKW_NONE, SQLKW_F_FUNC },
};
static const struct sqlkw kw_h[] = {
	{ "HANDLER", SQLKW_HANDLER, 0 },
	{ "HAVING", SQLKW_NONE, 0 },
	{ "HEADER", SQLKW_NONE, 0 },
	{ "HIGH_PRIORITY", SQLKW_MOD, 0 },
	{ "HOLD", SQLKW_NONE, 0 },
};
static const struct sqlkw kw_i[] = {
	{ "IF", SQLKW_MOD, 0 },
	{ "IGNORE", SQLKW_MOD, 0 },
	{ "ILIKE", SQLKW_NONE, 0 },
	{ "IMPORT", SQLKW_NONE, 0 },
	{ "IN", SQLKW_IN, 0 },
	{ "INDEX", SQLKW_NONE, 0 },
	{ "INFILE", SQLKW_NONE, 0 },
	{ "INNER", SQLKW_NONE, 0 },
	{ "INSENSITIVE", SQLKW_NONE, 0 },
	{ "INSERT", SQLKW_INSERT, 0 },
	{ "INSTEAD", SQLKW_NONE, 0 },
	{ "INT", SQLKW_NONE, SQLKW_F_FUNC },
	{ "INTEGER", SQLKW_NONE, SQLKW_F_FUNC },
	{ "INTERSECT", SQLKW_NONE, 0 },
	{ "INTERVAL", SQLKW_NONE, 0 },
	{ "INTO", SQLKW_INTO, 0 },
	{ "IS", SQLKW_NONE, 0 },
	{ "ISNULL", SQLKW_NONE, 0 },
	{ "ISOLATION", SQLKW_NONE, 0 },
};
static const struct sqlkw kw_j[] = {
	{ "JOIN", SQLKW_JOIN, 0 },
};
static const struct sqlkw kw_k[] = {
	{ "KEY", SQLKW_NONE, 0 },
	{ "KILL", SQLKW_NONE, 0 },
};
static const struct sqlkw kw_l[] = {
	{ "LANGUAGE", SQLKW_NONE, 0 },
	{ "LAST", SQLKW_NONE, 0 },
	{ "LATERAL", SQLKW_MOD, 0 },
	{ "LEADING", SQLKW_NONE, 0 },
	{ "LEFT", SQLKW_NONE, SQLKW_F_FUNC },
	{ "LIKE", SQLKW_NONE, 0 },
	{ "LIMIT", SQLKW_NONE, 0 },
	{ "LINES", SQLKW_NONE, 0 },
	{ "LISTEN", SQLKW_NONE, 0 },
	{ "LOAD", SQLKW_NONE, 0 },
	{ "LOCAL", SQLKW_NONE, 0 },
	{ "LOCALTIME", SQLKW_NONE, SQLKW_F_VALUE },
	{ "LOCALTIMESTAMP", SQLKW_NONE, SQLKW_F_VALUE },
	{ "LOCK", SQLKW_NONE, 0 },
	{ "LOCKED", SQLKW_NONE, 0 },
	{ "LOW_PRIORITY", SQLKW_MOD, 0 },
};
static const struct sqlkw kw_m[] = {
	{ "MATCHED", SQLKW_NONE, 0 },
	{ "MATERIALIZED", SQLKW_MOD, 0 },
	{ "MERGE", SQLKW_NONE, 0 },
	{ "MOVE", SQLKW_NONE, 0 },
};
static const struct sqlkw kw_n[] = {
	{ "NATURAL", SQLKW_NONE, 0 },
	{ "NEXT", SQLKW_NONE, 0 },
	{ "NO", SQLKW_NONE, 0 },
	{ "NOT", SQLKW_MOD, 0 },
	{ "NOTHING", SQLKW_NONE, 0 },
	{ "NOTIFY", SQLKW_NONE, 0 },
	{ "NOTNULL", SQLKW_NONE, 0 },
	{ "NOWAIT", SQLKW_NONE, 0 },
	{ "NULL", SQLKW_NONE, SQLKW_F_VALUE },
	{ "NULLS", SQLKW_NONE, 0 },
	{ "NUMERIC", SQLKW_NONE, SQLKW_F_FUNC },
};
static const struct sqlkw kw_o[] = {
	{ "OF", SQLKW_NONE, 0 },
	{ "OFFSET", SQLKW_NONE, 0 },
	{ "ON", SQLKW_NONE, 0 },
	{ "ONLY", SQLKW_MOD, 0 },
	{ "OPERATOR", SQLKW_NONE, 0 },
	{ "OPTIMIZE", SQLKW_NONE, 0 },
	{ "OPTION", SQLKW_NONE, 0 },
	{ "OR", SQLKW_NONE, 0 },
	{ "ORDER", SQLKW_NONE, 0 },
	{ "ORDINALITY", SQLKW_NONE, 0 },
	{ "OUTER", SQLKW_NONE, 0 },
	{ "OUTFILE", SQLKW_NONE, 0 },
	{ "OVER", SQLKW_NONE, 0 },
	{ "OVERRIDING", SQLKW_NONE, 0 },
};
static const struct sqlkw kw_p[] = {
	{ "PARTITION", SQLKW_NONE, 0 },
	{ "PRECEDING", SQLKW_NONE, 0 },
	{ "PRECISION", SQLKW_NONE, 0 },
	{ "PREPARE", SQLKW_PREPARE, 0 },
	{ "PRIMARY", SQLKW_NONE, 0 },
	{ "PROCEDURE", SQLKW_NONE, 0 },
	{ "PURGE", SQLKW_NONE, 0 },
};
static const struct sqlkw kw_q[] = {
	{ "QUICK", SQLKW_MOD, 0 },
};
static const struct sqlkw kw_r[] = {
	{ "RANGE", SQLKW_NONE, 0 },
	{ "READ", SQLKW_NONE, 0 },
	{ "REAL", SQLKW_NONE, 0 },
	{ "RECURSIVE", SQLKW_RECURSIVE, 0 },
	{ "REFERENCES", SQLKW_NONE, 0 },
	{ "REFRESH", SQLKW_NONE, 0 },
	{ "REGEXP", SQLKW_NONE, 0 },
	{ "REINDEX", SQLKW_NONE, 0 },
	{ "RELEASE", SQLKW_NONE, 0 },
	{ "RENAME", SQLKW_NONE, 0 },
	{ "REPAIR", SQLKW_NONE, 0 },
	{ "REPEATABLE", SQLKW_NONE, 0 },
	{ "REPLACE", SQLKW_INSERT, SQLKW_F_FUNC },
	{ "RESET", SQLKW_NONE, 0 },
	{ "RESTART", SQLKW_NONE, 0 },
	{ "RESTRICT", SQLKW_NONE, 0 },
	{ "RETURNING", SQLKW_NONE, 0 },
	{ "RETURNS", SQLKW_NONE, 0 },
	{ "REVOKE", SQLKW_NONE, 0 },
	{ "RIGHT", SQLKW_NONE, SQLKW_F_FUNC },
	{ "RLIKE", SQLKW_NONE, 0 },
	{ "ROLLBACK", SQLKW_NONE, 0 },
	{ "ROLLUP", SQLKW_NONE, 0 },
	{ "ROW", SQLKW_NONE, SQLKW_F_FUNC },
	{ "ROWS", SQLKW_NONE, 0 },
};
static const struct sqlkw kw_s[] = {
	{ "SAVEPOINT", SQLKW_NONE, 0 },
	{ "SCHEMA", SQLKW_NONE, 0 },
	{ "SCROLL", SQLKW_NONE, 0 },
	{ "SECURITY", SQLKW_NONE, 0 },
	{ "SELECT", SQLKW_NONE, 0 },
	{ "SERIALIZABLE", SQLKW_NONE, 0 },
	{ "SESSION_USER", SQLKW_NONE, SQLKW_F_VALUE },
	{ "SET", SQLKW_NONE, 0 },
	{ "SETS", SQLKW_NONE, 0 },
	{ "SHARE", SQLKW_NONE, 0 },
	{ "SHOW", SQLKW_NONE, 0 },
	{ "SIGNAL", SQLKW_NONE, 0 },
	{ "SIMILAR", SQLKW_NONE, 0 },
	{ "SKIP", SQLKW_NONE, 0 },
	{ "SMALLINT", SQLKW_NONE, SQLKW_F_FUNC },
	{ "SOME", SQLKW_NONE, 0 },
	{ "SQL_BIG_RESULT", SQLKW_NONE, 0 },
	{ "SQL_BUFFER_RESULT", SQLKW_NONE, 0 },
	{ "SQL_CACHE", SQLKW_NONE, 0 },
	{ "SQL_CALC_FOUND_ROWS", SQLKW_NONE, 0 },
	{ "SQL_NO_CACHE", SQLKW_NONE, 0 },
	{ "SQL_SMALL_RESULT", SQLKW_NONE, 0 },
	{ "START", SQLKW_NONE, 0 },
	{ "STDIN", SQLKW_NONE, 0 },
	{ "STDOUT", SQLKW_NONE, 0 },
	{ "STOP", SQLKW_NONE, 0 },
	{ "STRAIGHT_JOIN", SQLKW_JOIN, 0 },
	{ "SYMMETRIC", SQLKW_NONE, 0 },
};
static const struct sqlkw kw_t[] = {
	{ "TABLE", SQLKW_TABLE, 0 },
	{ "TABLES", SQLKW_TABLE, 0 },
	{ "TABLESAMPLE", SQLKW_NONE, 0 },
	{ "TEMP", SQLKW_MOD, 0 },
	{ "TEMPORARY", SQLKW_MOD, 0 },
	{ "TERMINATED", SQLKW_NONE, 0 },
	{ "THEN", SQLKW_NONE, 0 },
	{ "TIES", SQLKW_NONE, 0 },
	{ "TIMESTAMP", SQLKW_NONE, SQLKW_F_FUNC },
	{ "TO", SQLKW_NONE, 0 },
	{ "TRAILING", SQLKW_NONE, 0 },
	{ "TRANSACTION", SQLKW_NONE, 0 },
	{ "TRUE", SQLKW_NONE, SQLKW_F_VALUE },
	{ "TRUNCATE", SQLKW_TRUNCATE, 0 },
};
static const struct sqlkw kw_u[] = {
	{ "UNBOUNDED", SQLKW_NONE, 0 },
	{ "UNCOMMITTED", SQLKW_NONE, 0 },
	{ "UNION", SQLKW_NONE, 0 },
	{ "UNIQUE", SQLKW_NONE, 0 },
	{ "UNKNOWN", SQLKW_NONE, SQLKW_F_VALUE },
	{ "UNLISTEN", SQLKW_NONE, 0 },
	{ "UNLOCK", SQLKW_NONE, 0 },
	{ "UNLOGGED", SQLKW_MOD, 0 },
	{ "UNSIGNED", SQLKW_NONE, 0 },
	{ "UPDATE", SQLKW_UPDATE, 0 },
	{ "USE", SQLKW_NONE, 0 },
	{ "USING", SQLKW_USING, 0 },
};
static const struct sqlkw kw_v[] = {
	{ "VACUUM", SQLKW_NONE, 0 },
	{ "VALUES", SQLKW_VALUES, 0 },
	{ "VARCHAR", SQLKW_NONE, SQLKW_F_FUNC },
	{ "VARYING", SQLKW_NONE, 0 },
	{ "VERBOSE", SQLKW_PREFIX, 0 },
	{ "VIEW", SQLKW_NONE, 0 },
};
static const struct sqlkw kw_w[] = {
	{ "WHEN", SQLKW_NONE, 0 },
	{ "WHERE", SQLKW_NONE, 0 },
	{ "WINDOW", SQLKW_NONE, 0 },
	{ "WITH", SQLKW_WITH, 0 },
	{ "WITHIN", SQLKW_NONE, 0 },
	{ "WITHOUT", SQLKW_NONE, 0 },
	{ "WORK", SQLKW_NONE, 0 },
	{ "WRITE", SQLKW_NONE, 0 },
};
static const struct sqlkw kw_x[] = {
	{ "XA", SQLKW_NONE, 0 },
	{ "XOR", SQLKW_NONE, 0 },
};
static const struct sqlkw kw_z[] = {
	{ "ZONE", SQLKW_NONE, 0 },
};

/* Longer words are never keywords (the longest has 19 letters). */
#define KW_MAX_LEN	31

#define KW_LETTER(l)	{ kw_##l, sizeof(kw_##l) / sizeof(kw_##l[0]) }

/* The keywords by first letter, A to Z; a letter none starts with: 0. */
static const struct {
	const struct sqlkw	*kw;
	size_t			 n;
} kw_letters[26] = {
	KW_LETTER(a),
	KW_LETTER(b),
	KW_LETTER(c),
	KW_LETTER(d),
	KW_LETTER(e),
	KW_LETTER(f),
	KW_LETTER(g),
	KW_LETTER(h),
	KW_LETTER(i),
	KW_LETTER(j),
	KW_LETTER(k),
	KW_LETTER(l),
	KW_LETTER(m),
	KW_LETTER(n),
	KW_LETTER(o),
	KW_LETTER(p),
	KW_LETTER(q),
	KW_LETTER(r),
	KW_LETTER(s),
	KW_LETTER(t),
	KW_LETTER(u),
	KW_LETTER(v),
	KW_LETTER(w),
	KW_LETTER(x),
	{ NULL, 0 },
	KW_LETTER(z),
};

/* Character classes, shared with the normaliser (sqlnorm.c). */

int
sqlchar_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

int
sqlchar_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_hex(unsigned char c)
{
	return sqlchar_digit(c) || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* Letters, _ and every byte of a multibyte UTF-8 character. */
static int
is_ident_start(unsigned char c)
{
	return is_alpha(c) || c == '_' || c >= 0x80;
}

int
sqlchar_ident(unsigned char c)
{
	return is_ident_start(c) || sqlchar_digit(c) || c == '$';
}

static int
is_pg_opchar(unsigned char c)
{
	return c != '\0' && strchr("+-*/<>=~!@#%^&|`?", c) != NULL;
}

static unsigned char
to_upper(unsigned char c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

unsigned char
sqlchar_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/*
 * Compares the word p/n, folded to upper case as it is read, with a
 * keyword as strcmp() would compare the folded word: below, at or above
 * 0. Only the characters up to the first difference are looked at, and
 * a word with a NUL or a byte from 0x80 on never compares equal (no
 * keyword holds one), so such words need no check of their own.
 */
static int
kw_compare(const char *p, size_t n, const char *name)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = to_upper((unsigned char)p[i]);
		if ((unsigned char)name[i] != c)
			return c - (unsigned char)name[i];
		if (c == '\0')
			return 1;	/* the name ended, the word did not */
	}
	return name[n] == '\0' ? 0 : -1;
}

/*
 * Every word of every statement comes through here, more than once (the
 * decoders' command finding, then the normaliser), so it is kept cheap:
 * the first letter picks a dozen or so keywords, a binary search over
 * them compares a character or two of each, and nothing is copied.
 */
const struct sqlkw *
sqllex_keyword(const char *p, size_t n)
{
	const struct sqlkw *kw;
	size_t lo, hi, mid, l;
	int r;

	if (n == 0 || n > KW_MAX_LEN)
		return NULL;
	l = to_upper((unsigned char)p[0]);
	if (l < 'A' || l > 'Z')
		return NULL;
	kw = kw_letters[l - 'A'].kw;
	lo = 0;
	hi = kw_letters[l - 'A'].n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((r = kw_compare(p, n, kw[mid].name)) == 0)
			return &kw[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* The i-th keyword in alphabetical order, NULL past the last (tests). */
const struct sqlkw *
sqllex_keyword_nth(size_t i)
{
	size_t l;

	for (l = 0; l < 26; l++) {
		if (i < kw_letters[l].n)
			return &kw_letters[l].kw[i];
		i -= kw_letters[l].n;
	}
	return NULL;
}

/* Tokens. */

void
sqllex_init(struct sqllex *lx, const char *s, size_t len, enum sql_dialect d,
    int flags)
{
	memset(lx, 0, sizeof(*lx));
	lx->s = s != NULL ? s : "";
	lx->len = s != NULL ? len : 0;
	lx->d = d == SQL_MYSQL ? SQL_MYSQL : SQL_POSTGRESQL;
	lx->flags = flags;
}

/* The end of the run of bytes from i that in() accepts. */
static size_t
span(const struct sqllex *lx, size_t i, int (*in)(unsigned char))
{
	while (i < lx->len && in((unsigned char)lx->s[i]))
		i++;
	return i;
}

/*
 * A block comment at lx->pos ("/" "*" seen). PostgreSQL nests them;
 * MySQL does not, and runs what is inside its executable comments (a
 * "!" or "M!" after the opener, then an optional version number): the
 * opener is skipped and the body lexed as code until its closer.
 */
static int
lex_block_comment(struct sqllex *lx)
{
	const char *s = lx->s, *e;
	size_t n = lx->len, i = lx->pos + 2, start = i, end = 0, depth = 1;
	int nested = 0, closed = 0;

	if (lx->d == SQL_MYSQL && i < n && (s[i] == '!' ||
	    (s[i] == 'M' && i + 1 < n && s[i + 1] == '!'))) {
		if (lx->exec_comment)
			return LX_REFUSE;	/* they do not nest */
		i += s[i] == '!' ? 1 : 2;
		for (start = i; i < n && i - start < 6 &&
		    sqlchar_digit((unsigned char)s[i]); i++)
			;
		lx->exec_comment = 1;
		lx->pos = i;
		return 0;
	}
	if (lx->d == SQL_POSTGRESQL) {
		while (i + 1 < n) {
			if (s[i] == '/' && s[i + 1] == '*') {
				depth++;
				nested = 1;
				i += 2;
			} else if (s[i] == '*' && s[i + 1] == '/') {
				if (--depth == 0) {
					closed = 1;
					end = i;
					break;
				}
				i += 2;
			} else
				i++;
		}
	} else if (i < n && (e = memmem(s + i, n - i, "*/", 2)) != NULL) {
		closed = 1;
		end = (size_t)(e - s);
	}
	if (!closed)
		return LX_OPEN;
	if (!nested && lx->comment != NULL)
		lx->comment(lx->arg, s + start, end - start);
	lx->pos = end + 2;
	return 0;
}

/* A quoted run from `from` (the opening quote q); escapes by \ if bs. */
static int
lex_quoted(struct sqllex *lx, size_t from, char q, int bs)
{
	const char *s = lx->s, *e;
	size_t n = lx->len, i = from + 1;

	for (;;) {
		if (!bs) {
			if (i >= n || (e = memchr(s + i, q, n - i)) == NULL)
				return LX_OPEN;
			i = (size_t)(e - s);
		} else {
			while (i < n && s[i] != q) {
				if (s[i] == '\\')
					i++;
				i++;
			}
			if (i >= n)
				return LX_OPEN;
		}
		/* s[i] == q: doubled means an escaped quote. */
		if (i + 1 < n && s[i + 1] == q) {
			i += 2;
			continue;
		}
		lx->pos = i + 1;
		return 0;
	}
}

/* PostgreSQL $tag$ ... $tag$ at lx->pos. */
static int
lex_dollar(struct sqllex *lx)
{
	const char *s = lx->s, *e;
	size_t n = lx->len, i = lx->pos + 1, taglen;

	if (i < n && s[i] != '$') {
		if (!is_ident_start((unsigned char)s[i]))
			return LX_REFUSE;
		while (i < n && s[i] != '$' &&
		    sqlchar_ident((unsigned char)s[i]))
			i++;
		if (i >= n || s[i] != '$')
			return LX_REFUSE;
	}
	if (i >= n)
		return LX_REFUSE;
	taglen = i + 1 - lx->pos;
	i++;
	if (i >= n || (e = memmem(s + i, n - i, s + lx->pos, taglen)) == NULL)
		return LX_OPEN;
	lx->pos = (size_t)(e - s) + taglen;
	return 0;
}

static int
radix_digit(int radix, unsigned char ch)
{
	if (radix == 16)
		return is_hex(ch);
	if (radix == 8)
		return ch >= '0' && ch <= '7';
	return ch == '0' || ch == '1';
}

/*
 * A number at lx->pos: 12, 1.5, .5, 1e-3, 0x1F, 0b101, 0o17 and, in
 * PostgreSQL 16, 1_000. Returns SQLTOK_NUMBER, or SQLTOK_WORD when MySQL
 * reads it as an identifier (MySQL names may start with digits:
 * 2fa_codes, 0xZZ), or LX_REFUSE when letters follow a PostgreSQL number
 * (PostgreSQL 15 refuses "trailing junk" too).
 */
static int
lex_number(struct sqllex *lx)
{
	const unsigned char *s = (const unsigned char *)lx->s;
	size_t n = lx->len, i = lx->pos, j;
	int dot = 0, radix = 0, my = lx->d == SQL_MYSQL;

	if (s[i] == '0' && i + 1 < n && strchr("xXbBoO", s[i + 1]) != NULL &&
	    (s[i + 1] != 'o' && s[i + 1] != 'O' ? 1 : !my)) {
		radix = s[i + 1] == 'x' || s[i + 1] == 'X' ? 16 :
		    s[i + 1] == 'b' || s[i + 1] == 'B' ? 2 : 8;
		/* MySQL scans 0b with hex digits, then refuses the value:
		 * a number either way, never a name. */
		if (radix == 2 && my)
			radix = 16;
		j = i + 2;
		while (j < n && (radix_digit(radix, s[j]) ||
		    (s[j] == '_' && !my && j > i + 2 && j + 1 < n &&
		    radix_digit(radix, s[j + 1]))))
			j++;
		if (j > i + 2 && (j == n || !sqlchar_ident(s[j]))) {
			lx->pos = j;
			return SQLTOK_NUMBER;
		}
		goto ident;
	}
	while (i < n && (sqlchar_digit(s[i]) || (s[i] == '_' && !my &&
	    i > lx->pos && i + 1 < n && sqlchar_digit(s[i + 1]))))
		i++;
	if (i < n && s[i] == '.' && !(i + 1 < n && s[i + 1] == '.')) {
		dot = 1;
		i++;
		i = span(lx, i, sqlchar_digit);
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		j = i + 1;
		if (j < n && (s[j] == '+' || s[j] == '-'))
			j++;
		if (j < n && sqlchar_digit(s[j])) {
			i = span(lx, j, sqlchar_digit);
			/* MySQL reads 1e5abc as the number 1e5 and the name
			 * abc; PostgreSQL refuses it (below). */
			if (my) {
				lx->pos = i;
				return SQLTOK_NUMBER;
			}
		}
	}
	if (i == n || !sqlchar_ident(s[i])) {
		lx->pos = i;
		return SQLTOK_NUMBER;
	}
	if (dot)
		return LX_REFUSE;
 ident:
	if (!my)
		return LX_REFUSE;
	lx->pos = span(lx, lx->pos, sqlchar_ident);
	return SQLTOK_WORD;
}

/* An operator at lx->pos. */
static void
lex_op(struct sqllex *lx)
{
	static const char *const my_ops[] = {
		"<=>", "->>", "<=", ">=", "<>", "!=", "<<", ">>", "&&", "||",
		":=", "->", NULL
	};
	const char *s = lx->s;
	size_t n = lx->len, i = lx->pos, k, l;

	if (lx->d == SQL_MYSQL) {
		for (k = 0; my_ops[k] != NULL; k++) {
			l = strlen(my_ops[k]);
			if (n - i >= l && memcmp(s + i, my_ops[k], l) == 0) {
				lx->pos = i + l;
				return;
			}
		}
		lx->pos = i + 1;
		return;
	}
	/*
	 * PostgreSQL: the longest run of operator characters, cut before a
	 * comment start; a run that ends in + or - and has none of
	 * ~!@#%^&|`? loses its trailing signs ("<-5" is "<" and "-5").
	 */
	if (!is_pg_opchar((unsigned char)s[i])) {
		lx->pos = i + 1;	/* ":" alone, as in a[1:2] */
		return;
	}
	while (i < n && is_pg_opchar((unsigned char)s[i])) {
		if (i > lx->pos && i + 1 < n &&
		    ((s[i] == '-' && s[i + 1] == '-') ||
		    (s[i] == '/' && s[i + 1] == '*')))
			break;
		i++;
	}
	l = i - lx->pos;
	if (l > 1) {
		for (k = 0; k < l; k++)
			if (strchr("~!@#%^&|`?", s[lx->pos + k]) != NULL)
				break;
		if (k == l)
			while (l > 1 && (s[lx->pos + l - 1] == '+' ||
			    s[lx->pos + l - 1] == '-'))
				l--;
	}
	lx->pos += l;
}

/* Whether the token before a "." makes it a qualifier dot, not ".5". */
static int
ends_name(enum sqltok_type t)
{
	return t == SQLTOK_WORD || t == SQLTOK_QIDENT || t == SQLTOK_VAR ||
	    t == SQLTOK_RPAREN || t == SQLTOK_RBRACK;
}

/*
 * Skips blanks and comments up to the next token: 1 when one is there,
 * 0 at the end, or an LX_ code at a comment the strict mode refuses.
 */
static int
skip_blanks(struct sqllex *lx)
{
	const unsigned char *s = (const unsigned char *)lx->s;
	size_t n = lx->len, i;
	const char *e;
	unsigned char ch, nx;
	int r;

	for (;;) {
		while (lx->pos < n && sqlchar_space(s[lx->pos]))
			lx->pos++;
		if (lx->pos >= n)
			return 0;
		i = lx->pos;
		ch = s[i];
		nx = i + 1 < n ? s[i + 1] : '\0';
		if ((ch == '-' && nx == '-' && (lx->d == SQL_POSTGRESQL ||
		    i + 2 >= n || s[i + 2] <= ' ')) ||
		    (ch == '#' && lx->d == SQL_MYSQL)) {
			e = memchr(s + i, '\n', n - i);
			lx->pos = e != NULL ? (size_t)(e - lx->s) + 1 : n;
			continue;
		}
		if (ch == '/' && nx == '*') {
			if ((r = lex_block_comment(lx)) < 0)
				return r;
			continue;
		}
		if (ch == '*' && nx == '/' && lx->exec_comment) {
			lx->pos += 2;
			lx->exec_comment = 0;
			continue;
		}
		return 1;
	}
}

/*
 * A word at i: prefixed strings (E'' B'' X'' N'' U&'' and MySQL
 * _charset''), else a keyword or a name. A word next to a dot is a name
 * part, never a keyword.
 */
static int
lex_word(struct sqllex *lx, struct sqltok *t, size_t i)
{
	const unsigned char *s = (const unsigned char *)lx->s;
	size_t n = lx->len;
	unsigned char ch = s[i], nx = i + 1 < n ? s[i + 1] : '\0';
	int my = lx->d == SQL_MYSQL;

	if (nx == '\'' && (((ch == 'E' || ch == 'e') && !my) || ch == 'B' ||
	    ch == 'b' || ch == 'X' || ch == 'x' || ch == 'N' || ch == 'n')) {
		t->type = SQLTOK_STRING;
		return lex_quoted(lx, i + 1, '\'', my || ch == 'E' ||
		    ch == 'e');
	}
	if ((ch == 'U' || ch == 'u') && nx == '&' && !my && i + 2 < n &&
	    (s[i + 2] == '\'' || s[i + 2] == '"')) {
		t->type = s[i + 2] == '\'' ? SQLTOK_STRING : SQLTOK_QIDENT;
		return lex_quoted(lx, i + 2, (char)s[i + 2], 0);
	}
	lx->pos = span(lx, i + 1, sqlchar_ident);
	if (my && ch == '_' && lx->pos < n &&
	    (s[lx->pos] == '\'' || s[lx->pos] == '"')) {
		t->type = SQLTOK_STRING;
		return lex_quoted(lx, lx->pos, (char)s[lx->pos], 1);
	}
	t->type = SQLTOK_WORD;
	if (lx->last != SQLTOK_DOT && !(lx->pos < n && s[lx->pos] == '.') &&
	    !(lx->flags & SQLLEX_NOKEYWORDS))
		t->kw = sqllex_keyword(t->p, lx->pos - i);
	return 0;
}

/* A PostgreSQL "$": a placeholder $1 or a dollar-quoted string. */
static int
lex_pg_dollar(struct sqllex *lx, struct sqltok *t, size_t i)
{
	const unsigned char *s = (const unsigned char *)lx->s;
	size_t n = lx->len;

	if (i + 1 < n && sqlchar_digit(s[i + 1])) {
		t->type = SQLTOK_PARAM;
		lx->pos = span(lx, i + 1, sqlchar_digit);
		return lx->pos < n && sqlchar_ident(s[lx->pos]) ?
		    LX_REFUSE : 0;
	}
	t->type = SQLTOK_STRING;
	return lex_dollar(lx);
}

/* A MySQL "@": a user @var or a system @@var, else an operator. */
static int
lex_at(struct sqllex *lx, struct sqltok *t, size_t i)
{
	const unsigned char *s = (const unsigned char *)lx->s;
	size_t n = lx->len, j = i + 1;

	if (lx->d != SQL_MYSQL)
		return 0;
	if (j < n && s[j] == '@')
		j++;
	if (j >= n || !sqlchar_ident(s[j]))
		return 0;
	t->type = SQLTOK_VAR;
	lx->pos = span(lx, j, sqlchar_ident);
	return 1;
}

static int
lex_simple(enum sqltok_type type, struct sqllex *lx, struct sqltok *t)
{
	t->type = type;
	lx->pos++;
	return 0;
}

/*
 * One token at i (not a blank, not a comment) into t. Returns 0, or an
 * LX_ code when the strict mode refuses it.
 */
static int
lex_token(struct sqllex *lx, struct sqltok *t, size_t i)
{
	const unsigned char *s = (const unsigned char *)lx->s;
	size_t n = lx->len;
	unsigned char ch = s[i], nx = i + 1 < n ? s[i + 1] : '\0';
	int my = lx->d == SQL_MYSQL, r;

	switch (ch) {
	case '(':
		return lex_simple(SQLTOK_LPAREN, lx, t);
	case ')':
		return lex_simple(SQLTOK_RPAREN, lx, t);
	case '[':
		return lex_simple(SQLTOK_LBRACK, lx, t);
	case ']':
		return lex_simple(SQLTOK_RBRACK, lx, t);
	case ',':
		return lex_simple(SQLTOK_COMMA, lx, t);
	case ';':
		return lex_simple(SQLTOK_SEMI, lx, t);
	case '\'':
		t->type = SQLTOK_STRING;
		return lex_quoted(lx, i, '\'', my);
	case '"':
		t->type = my ? SQLTOK_STRING : SQLTOK_QIDENT;
		return lex_quoted(lx, i, '"', my);
	case '`':
		if (!my)
			break;
		t->type = SQLTOK_QIDENT;
		return lex_quoted(lx, i, '`', 0);
	case '$':
		if (my)
			return lex_word(lx, t, i);
		return lex_pg_dollar(lx, t, i);
	case '.':
		if (sqlchar_digit(nx) && !ends_name(lx->last))
			goto number;
		return lex_simple(SQLTOK_DOT, lx, t);
	case ':':
		if (nx == ':') {
			t->type = SQLTOK_CAST;
			lx->pos += 2;
			return 0;
		}
		if (!is_ident_start(nx))
			break;
		t->type = SQLTOK_PARAM;
		lx->pos = span(lx, lx->pos + 1, sqlchar_ident);
		return 0;
	case '?':
		/* "?+)": the collapsed list of sqlnorm's own output. */
		if (nx == '+' && i + 2 < n && s[i + 2] == ')') {
			t->type = SQLTOK_PLUSLIST;
			lx->pos += 2;
			return 0;
		}
		/*
		 * PostgreSQL has operators made of ? (jsonb's ?, ?|, ?&);
		 * a ? that an operator run would leave alone (a comment
		 * starts right after it) is a placeholder, as it is when
		 * read again from sqlnorm's output ("S + + ?" once made
		 * two fingerprints of one statement).
		 */
		if (!my && is_pg_opchar(nx) && !(i + 2 < n &&
		    ((nx == '-' && s[i + 2] == '-') ||
		    (nx == '/' && s[i + 2] == '*'))))
			break;
		return lex_simple(SQLTOK_PARAM, lx, t);
	case '@':
		if (lex_at(lx, t, i))
			return 0;
		break;
	default:
		if (sqlchar_digit(ch))
			goto number;
		if (is_ident_start(ch))
			return lex_word(lx, t, i);
		if (!is_pg_opchar(ch))
			return LX_REFUSE;	/* \ { } control characters */
		break;
	}
	t->type = SQLTOK_OP;
	lex_op(lx);
	return 0;

 number:
	if ((r = lex_number(lx)) < 0)
		return r;
	t->type = (enum sqltok_type)r;
	return 0;
}

/*
 * Where a refused token ends in lenient mode: an unterminated quote runs
 * to the end of the text; a PostgreSQL number with letters glued to it
 * takes them along (and dots: "1.2.3"); anything else is one byte.
 */
static size_t
junk_end(const struct sqllex *lx, size_t i, int r)
{
	const unsigned char *s = (const unsigned char *)lx->s;
	size_t e;

	if (r == LX_OPEN)
		return lx->len;
	if (sqlchar_digit(s[i]) || (s[i] == '.' && i + 1 < lx->len)) {
		for (e = i + 1; e < lx->len && (sqlchar_ident(s[e]) ||
		    s[e] == '.'); e++)
			;
		return e;
	}
	return i + 1;
}

/*
 * Reads the next token into t: 1, 0 at the end, -1 when the strict lexer
 * is not sure what it sees (the caller fails closed). Comments are
 * consumed here, their bodies handed to lx->comment.
 */
int
sqllex_next(struct sqllex *lx, struct sqltok *t)
{
	size_t i;
	int r;

	if ((r = skip_blanks(lx)) == 0)
		return 0;
	i = lx->pos;
	if (r < 0) {
		if (!(lx->flags & SQLLEX_LENIENT))
			return -1;
		if (r == LX_OPEN) {
			lx->pos = lx->len;	/* a comment to the end */
			return 0;
		}
		lx->pos = i + 2;	/* a nested executable opener */
		t->type = SQLTOK_JUNK;
		t->p = lx->s + i;
		t->len = 2;
		t->kw = NULL;
		lx->last = t->type;
		return 1;
	}
	t->p = lx->s + i;
	t->kw = NULL;
	if ((r = lex_token(lx, t, i)) < 0) {
		if (!(lx->flags & SQLLEX_LENIENT))
			return -1;
		t->type = SQLTOK_JUNK;
		t->kw = NULL;
		lx->pos = junk_end(lx, i, r);
	}
	t->len = lx->pos - i;
	lx->last = t->type;
	return 1;
}

/* Token helpers. */

/* Whether t is the word w (w in lower or upper case, t in any case). */
int
sqltok_is(const struct sqltok *t, const char *w)
{
	size_t n = strlen(w), i;

	if (t->type != SQLTOK_WORD || t->len != n)
		return 0;
	for (i = 0; i < n; i++)
		if (sqlchar_lower((unsigned char)t->p[i]) !=
		    sqlchar_lower((unsigned char)w[i]))
			return 0;
	return 1;
}

/* Literal classes: what the normaliser writes as "?". */
int
sqltok_is_literal(const struct sqltok *t)
{
	return t->type == SQLTOK_STRING || t->type == SQLTOK_NUMBER ||
	    t->type == SQLTOK_PARAM || t->type == SQLTOK_PLUSLIST;
}

int
sqltok_ident(const struct sqltok *t, int fold, char *out, size_t outlen)
{
	const char *p = t->p;
	size_t n = t->len, i, o = 0;
	char q, ch;

	if (t->type != SQLTOK_WORD && t->type != SQLTOK_QIDENT)
		return -1;
	if (t->type == SQLTOK_QIDENT && (p[0] == 'U' || p[0] == 'u')) {
		p += 2;		/* U&"..." */
		n -= 2;
	}
	q = t->type == SQLTOK_QIDENT ? p[0] : '\0';
	for (i = q != '\0' ? 1 : 0; i < n; i++) {
		ch = p[i];
		if (q != '\0' && ch == q) {
			if (i + 1 >= n)
				break;	/* the closing quote */
			i++;		/* a doubled one */
		} else if (q == '\0' && fold)
			ch = (char)sqlchar_lower((unsigned char)ch);
		if (o + 1 < outlen)
			out[o] = ch;
		o++;
	}
	if (outlen > 0)
		out[o < outlen ? o : outlen - 1] = '\0';
	return (int)(o > INT32_MAX ? INT32_MAX : o);
}

/* Splitting. */

static int
is_trim(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * PostgreSQL's statements end at a ';' outside parentheses and outside
 * the body of BEGIN ATOMIC ... END (SQL-standard function bodies), whose
 * CASE ... END pairs are counted so the body's END is found. MySQL ends
 * one at any ';' outside quotes and comments: its parser refuses one
 * inside parentheses (an error, after which it runs no statement of the
 * rest), and its compound statements' bodies are left alone. Neither
 * dialect ends one inside a MySQL executable comment, whose text the
 * normaliser reads as one piece of code.
 */
struct split_state {
	size_t		 depth;
	size_t		 atomic;
	struct sqltok	 prev;
};

static void
split_see(struct split_state *st, const struct sqltok *t, enum sql_dialect d)
{
	if (d == SQL_MYSQL)
		return;
	if (t->type == SQLTOK_LPAREN)
		st->depth++;
	else if (t->type == SQLTOK_RPAREN && st->depth > 0)
		st->depth--;
	else if (sqltok_is(t, "atomic") && sqltok_is(&st->prev, "begin"))
		st->atomic++;
	else if (st->atomic > 0 && sqltok_is(t, "case"))
		st->atomic++;
	else if (st->atomic > 0 && sqltok_is(t, "end"))
		st->atomic--;
	st->prev = *t;
}

/*
 * Bytes of plain text: letters, digits, the blanks both trims agree on
 * (sqlchar_space() also takes \f and \v, is_trim() does not) and the
 * operator and punctuation characters that open no quote, comment,
 * dollar quote, parenthesis or MySQL variable reference that could
 * matter: all but ' " ` $ ( ) - / # \ { } and control characters. Bytes
 * from 0x80 on are letters of names to the lexer.
 */
static int
split_plain_byte(unsigned char c)
{
	if (c >= 0x80 || is_alpha(c) || sqlchar_digit(c))
		return 1;
	switch (c) {
	case ' ': case '\t': case '\n': case '\r':
	case '_': case '.': case ',': case ':': case ';': case '=': case '<':
	case '>': case '+': case '*': case '!': case '~': case '%': case '^':
	case '&': case '|': case '@': case '?': case '[': case ']':
		return 1;
	default:
		return 0;
	}
}

/*
 * The shortcut for the common text, the statement the lexer would find
 * without running it: from *pos to the first ';' (or the end) every
 * byte is plain and no word ATOMIC appears (BEGIN ATOMIC bodies hold
 * ';'), so that ';' is a token at depth 0 and nothing before it is a
 * quote or comment. 1 with the statement, -1 when the text needs the
 * lexer (also when the statement is empty: the lexer skips those).
 */
static int
split_plain(const char *s, size_t len, size_t *pos, size_t *pstart,
    size_t *plen)
{
	size_t i, start, end;
	unsigned char c;

	for (i = *pos; i < len && s[i] != ';'; i++) {
		c = (unsigned char)s[i];
		if (c < 0x80 && !split_plain_byte(c))
			return -1;
		if ((c == 'a' || c == 'A') && len - i >= 6 &&
		    sqlchar_lower((unsigned char)s[i + 1]) == 't' &&
		    sqlchar_lower((unsigned char)s[i + 2]) == 'o' &&
		    sqlchar_lower((unsigned char)s[i + 3]) == 'm' &&
		    sqlchar_lower((unsigned char)s[i + 4]) == 'i' &&
		    sqlchar_lower((unsigned char)s[i + 5]) == 'c')
			return -1;
	}
	for (start = *pos; start < i && is_trim(s[start]); start++)
		;
	for (end = i; end > start && is_trim(s[end - 1]); end--)
		;
	if (end == start)
		return -1;
	*pstart = start;
	*plen = end - start;
	*pos = i < len ? i + 1 : len;
	return 1;
}

int
sqlsplit_next(const char *s, size_t len, enum sql_dialect d, size_t *pos,
    size_t *pstart, size_t *plen)
{
	if (s != NULL && *pos < len &&
	    split_plain(s, len, pos, pstart, plen) == 1)
		return 1;
	return sqlsplit_next_lexed(s, len, d, pos, pstart, plen);
}

int
sqlsplit_next_lexed(const char *s, size_t len, enum sql_dialect d,
    size_t *pos, size_t *pstart, size_t *plen)
{
	struct sqllex lx;
	struct sqltok t;
	struct split_state st;
	size_t base, start = 0, end;
	int r, ntok = 0;

	if (s == NULL || *pos >= len) {
		*pos = len;
		return 0;
	}
	memset(&st, 0, sizeof(st));
	sqllex_init(&lx, s, len, d, SQLLEX_LENIENT | SQLLEX_NOKEYWORDS);
	lx.pos = base = *pos;
	for (;;) {
		r = sqllex_next(&lx, &t);
		if (r == 0 || (t.type == SQLTOK_SEMI && st.depth == 0 &&
		    st.atomic == 0 && !lx.exec_comment)) {
			if (ntok == 0) {
				if (r == 0) {
					*pos = len;
					return 0;
				}
				base = lx.pos;	/* an empty statement */
				continue;
			}
			end = r == 0 ? len : (size_t)(t.p - s);
			while (end > start && is_trim(s[end - 1]))
				end--;
			*pstart = start;
			*plen = end - start;
			*pos = r == 0 ? len : lx.pos;
			return 1;
		}
		if (ntok++ == 0) {
			/* Keep leading comments (sqlcommenter), not blanks. */
			start = base;
			while (start < (size_t)(t.p - s) && is_trim(s[start]))
				start++;
		}
		split_see(&st, &t, d);
	}
}

/* Commands. */

/*
 * Fed each token of one statement: the first keyword is the command
 * (leading parentheses skipped); after WITH, the first of the main
 * statement's keywords at depth 0 replaces it.
 */
void
sqlcmd_step(struct sqlcmd *c, const struct sqltok *t, size_t depth)
{
	static const char *const main_kw[] = {
		"SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "VALUES",
		"TABLE", "REPLACE", NULL
	};
	static const char *const nofrom_kw[] = {
		"FETCH", "MOVE", "REVOKE", "SHOW", NULL
	};
	size_t i;

	if (!c->seen) {
		if (t->type == SQLTOK_LPAREN)
			return;
		c->seen = 1;
		if (t->kw == NULL)
			return;
		for (i = 0; nofrom_kw[i] != NULL; i++)
			if (strcmp(t->kw->name, nofrom_kw[i]) == 0)
				c->nofrom = 1;
		c->command = t->kw->name;
		c->with = t->kw->role == SQLKW_WITH;
		return;
	}
	if (!c->with || depth != 0 || t->kw == NULL)
		return;
	for (i = 0; main_kw[i] != NULL; i++) {
		if (strcmp(t->kw->name, main_kw[i]) == 0) {
			c->command = t->kw->name;
			c->with = 0;
			return;
		}
	}
}

/*
 * The command of the first statement of s, found as sqlnorm() finds it:
 * strict lexing, stopping where the strict lexer stops.
 */
const char *
sqllex_command(const char *s, size_t len, enum sql_dialect d)
{
	struct sqllex lx;
	struct sqltok t;
	struct sqlcmd c;
	size_t depth = 0;

	memset(&c, 0, sizeof(c));
	sqllex_init(&lx, s, len, d, 0);
	while (sqllex_next(&lx, &t) == 1 && t.type != SQLTOK_SEMI) {
		if (t.type == SQLTOK_RPAREN || t.type == SQLTOK_RBRACK) {
			if (depth > 0)
				depth--;
		}
		sqlcmd_step(&c, &t, depth);
		if (t.type == SQLTOK_LPAREN || t.type == SQLTOK_LBRACK)
			depth++;
	}
	return c.command != NULL ? c.command : "UNKNOWN";
}

/* Statement heads (PostgreSQL). */

int
sqlhead_declare(const char *s, size_t len, char *name, size_t namelen,
    size_t *query, int *has_query, int *hold)
{
	struct sqllex lx;
	struct sqltok t, prev;
	int r, cursor = 0;

	*query = 0;
	*has_query = *hold = 0;
	sqllex_init(&lx, s, len, SQL_POSTGRESQL, SQLLEX_LENIENT);
	if (sqllex_next(&lx, &t) != 1 || !sqltok_is(&t, "declare") ||
	    sqllex_next(&lx, &t) != 1 ||
	    (r = sqltok_ident(&t, 1, name, namelen)) < 0 ||
	    (size_t)r >= namelen || r == 0)
		return -1;
	memset(&prev, 0, sizeof(prev));
	while (sqllex_next(&lx, &t) == 1) {
		if (!cursor && sqltok_is(&t, "cursor"))
			cursor = 1;
		else if (sqltok_is(&t, "hold"))
			*hold = sqltok_is(&prev, "with");
		else if (cursor && sqltok_is(&t, "for")) {
			*query = lx.pos;
			*has_query = 1;
			return 0;
		}
		prev = t;
	}
	return 0;
}

int
sqlhead_last_ident(const char *s, size_t len, size_t from, char *name,
    size_t namelen)
{
	struct sqllex lx;
	struct sqltok t, last;
	int found = 0, r;

	sqllex_init(&lx, s, len, SQL_POSTGRESQL, SQLLEX_LENIENT);
	lx.pos = from < len ? from : len;
	while (sqllex_next(&lx, &t) == 1) {
		if (t.type == SQLTOK_WORD || t.type == SQLTOK_QIDENT) {
			last = t;
			found = 1;
		}
	}
	if (!found || (r = sqltok_ident(&last, 1, name, namelen)) <= 0 ||
	    (size_t)r >= namelen)
		return -1;
	return 0;
}
