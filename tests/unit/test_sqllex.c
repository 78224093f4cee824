/*
 * Unit tests for lib/sqllex.c, the one SQL lexer: tokens of both dialects
 * in strict and lenient mode, statement splitting, the command finder and
 * the statement heads, with exact expected values. Then the differential
 * test: for every statement of the test corpora (tests/data/sqlnorm-*.sql,
 * the sqlnorm fuzz seeds, the text in the pgsql, mysql and db fuzz seeds)
 * and every string literal of the decoders' unit tests (the statements
 * they send) the decoders' path (sqlsplit_next(), then the first word
 * each decoder acts on) and the normaliser's path (sqlnorm() of the
 * whole text) must agree on where statements end and what command each is; for
 * PostgreSQL, libpg_query's parser (Debian's libpg-query, linked into
 * this test only) is the oracle for where statements end.
 */
#include "harness.h"
#include <ctype.h>
#include <dirent.h>
#include <strings.h>

#include <pg_query.h>

#include "leakwatch/sqllex.h"
#include "leakwatch/sqlnorm.h"

#define MAX_PIECES	256

/* Tokens as "type:text|type:text", "!" for a strict refusal. */
static void
tokens(enum sql_dialect d, int flags, const char *in, char *out, size_t len)
{
	static const char letters[] = "?WQVSNPL()[],;.:OJ";
	struct sqllex lx;
	struct sqltok t;
	size_t o = 0;
	int r;

	out[0] = '\0';
	sqllex_init(&lx, in, strlen(in), d, flags);
	while ((r = sqllex_next(&lx, &t)) == 1 && o < len)
		o += (size_t)snprintf(out + o, len - o, "%s%c:%.*s",
		    o > 0 ? "|" : "", letters[t.type], (int)t.len, t.p);
	if (r == -1 && o < len)
		snprintf(out + o, len - o, "%s!", o > 0 ? "|" : "");
}

struct tcase {
	enum sql_dialect d;
	int		 flags;
	const char	*in;
	const char	*want;
};

static void
test_tokens(void)
{
	static const struct tcase c[] = {
		{ SQL_POSTGRESQL, 0, "SELECT $t$ a;'b $t$, $$x$$",
		  "W:SELECT|S:$t$ a;'b $t$|,:,|S:$$x$$" },
		{ SQL_POSTGRESQL, 0, "E'x\\';y' 'x\\' y",
		  "S:E'x\\';y'|S:'x\\'|W:y" },
		{ SQL_POSTGRESQL, 0, "a /* b /* c */ ; */ d -- e\n f",
		  "W:a|W:d|W:f" },
		{ SQL_POSTGRESQL, 0, "\"a\"\"b\".c $1 ? :n ::int",
		  "Q:\"a\"\"b\"|.:.|W:c|P:$1|P:?|P::n|::::|W:int" },
		{ SQL_POSTGRESQL, 0, "#x `y <-5 x?|y ?-- c",
		  "O:#|W:x|O:`|W:y|O:<|O:-|N:5|W:x|O:?||W:y|P:?" },
		{ SQL_POSTGRESQL, 0, "U&'a' u&\"b\" N'c' B'1' X'f'",
		  "S:U&'a'|Q:u&\"b\"|S:N'c'|S:B'1'|S:X'f'" },
		{ SQL_POSTGRESQL, 0, "1abc", "!" },
		{ SQL_POSTGRESQL, SQLLEX_LENIENT, "1abc.d x", "J:1abc.d|W:x" },
		{ SQL_POSTGRESQL, 0, "a 'open", "W:a|!" },
		{ SQL_POSTGRESQL, SQLLEX_LENIENT, "a 'open; b",
		  "W:a|J:'open; b" },
		{ SQL_POSTGRESQL, SQLLEX_LENIENT, "a /* open; b", "W:a" },
		{ SQL_POSTGRESQL, SQLLEX_LENIENT, "a \\ {b}",
		  "W:a|J:\\|J:{|W:b|J:}" },
		{ SQL_POSTGRESQL, SQLLEX_LENIENT, "$a b $1x",
		  "J:$|W:a|W:b|J:$|J:1x" },
		{ SQL_MYSQL, 0, "`a``b` \"s\\\"t\" 'a\\'b' x",
		  "Q:`a``b`|S:\"s\\\"t\"|S:'a\\'b'|W:x" },
		{ SQL_MYSQL, 0, "# c\nx -- c\ny --c",
		  "W:x|W:y|O:-|O:-|W:c" },
		{ SQL_MYSQL, 0, "/*!40101 SET x=1 */ /*M!100 y*/ z",
		  "W:SET|W:x|O:=|N:1|W:y|W:z" },
		{ SQL_MYSQL, 0, "/*!40101 x", "W:x" },
		{ SQL_MYSQL, 0, "@v @@g.h 2fa_codes 1e5 $x _utf8'a'",
		  "V:@v|V:@@g|.:.|W:h|W:2fa_codes|N:1e5|W:$x|S:_utf8'a'" },
		{ SQL_MYSQL, 0, "a<=>b :=c", "W:a|O:<=>|W:b|O::=|W:c" },
	};
	char got[512];
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		tokens(c[i].d, c[i].flags, c[i].in, got, sizeof(got));
		if (strcmp(got, c[i].want) != 0)
			FAILF("%s\n    got:  %s\n    want: %s", c[i].in, got,
			    c[i].want);
	}
}

static void	split_same(enum sql_dialect, const char *, size_t);

/* The pieces of in as "piece|piece". */
static void
pieces(enum sql_dialect d, const char *in, char *out, size_t len)
{
	size_t pos = 0, start, plen, o = 0;

	out[0] = '\0';
	while (o < len && sqlsplit_next(in, strlen(in), d, &pos, &start,
	    &plen))
		o += (size_t)snprintf(out + o, len - o, "%s%.*s",
		    o > 0 ? "|" : "", (int)plen, in + start);
}

static void
test_split(void)
{
	static const struct tcase c[] = {
		{ SQL_POSTGRESQL, 0, "BEGIN; SELECT 1;; /* c */ SELECT (2;3);"
		  "\n CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT "
		  "CASE WHEN true THEN 1 END; SELECT 2; END; COMMIT ;  ",
		  "BEGIN|SELECT 1|/* c */ SELECT (2;3)|CREATE FUNCTION f() "
		  "RETURNS int BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; "
		  "SELECT 2; END|COMMIT" },
		{ SQL_POSTGRESQL, 0, "SELECT ';', $$;$$, \";\" -- ;\n; x",
		  "SELECT ';', $$;$$, \";\" -- ;|x" },
		{ SQL_POSTGRESQL, 0, "SELECT 'a; SELECT 2",
		  "SELECT 'a; SELECT 2" },
		{ SQL_POSTGRESQL, 0, " ; -- only\n ; ", "" },
		{ SQL_MYSQL, 0, "SELECT 1; SELECT 'a;b\\';c'; # x\n SELECT 2;",
		  "SELECT 1|SELECT 'a;b\\';c'|# x\n SELECT 2" },
		{ SQL_MYSQL, 0, "SELECT (1;2)", "SELECT (1|2)" },
		{ SQL_MYSQL, 0, "/*!40101 SET a=1; SET b=2 */; SELECT `;`",
		  "/*!40101 SET a=1; SET b=2 */|SELECT `;`" },
		{ SQL_MYSQL, 0, "SELECT 1 -- x;\n; SELECT 2 --x;\n",
		  "SELECT 1 -- x;|SELECT 2 --x" },
		/* Plain text, the shortcut's, and what it leaves alone. */
		{ SQL_POSTGRESQL, 0, "select a, b[1] FROM t WHERE x = ? AND "
		  "y <> :p ; \n select 2\n", "select a, b[1] FROM t WHERE "
		  "x = ? AND y <> :p|select 2" },
		{ SQL_POSTGRESQL, 0, "\fSELECT 1;\v; SELECT 2",
		  "\fSELECT 1|SELECT 2" },
		{ SQL_POSTGRESQL, 0, "BEGIN ATOMIC SELECT 1; END; SELECT "
		  "Atomic;", "BEGIN ATOMIC SELECT 1; END|SELECT Atomic" },
		{ SQL_POSTGRESQL, 0, "begin atomic; end", "begin atomic; end" },
		{ SQL_MYSQL, 0, "SELECT @a;SELECT @@b",
		  "SELECT @a|SELECT @@b" },
	};
	char got[512];
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		pieces(c[i].d, c[i].in, got, sizeof(got));
		split_same(c[i].d, c[i].in, strlen(c[i].in));
		if (strcmp(got, c[i].want) != 0)
			FAILF("%s\n    got:  %s\n    want: %s", c[i].in, got,
			    c[i].want);
	}
}

static void
test_command(void)
{
	static const struct tcase c[] = {
		{ SQL_POSTGRESQL, 0, "WITH x AS (SELECT 1) INSERT INTO t "
		  "SELECT * FROM x", "INSERT" },
		{ SQL_POSTGRESQL, 0, "with recursive r(n) AS (select 1 union "
		  "all select n + 1 from r) select * from r", "SELECT" },
		{ SQL_POSTGRESQL, 0, "((SELECT 1)) UNION SELECT 2", "SELECT" },
		{ SQL_POSTGRESQL, 0, "/* c */ copy t TO STDOUT; SELECT 1",
		  "COPY" },
		{ SQL_POSTGRESQL, 0, "fetch 10 from c", "FETCH" },
		{ SQL_POSTGRESQL, 0, "EXPLAIN ANALYZE SELECT 1", "EXPLAIN" },
		{ SQL_POSTGRESQL, 0, "DECLARE c CURSOR FOR SELECT 1",
		  "DECLARE" },
		{ SQL_POSTGRESQL, 0, "foo bar", "UNKNOWN" },
		{ SQL_POSTGRESQL, 0, "\\x", "UNKNOWN" },
		{ SQL_MYSQL, 0, "/*!40101 SET NAMES utf8 */", "SET" },
		{ SQL_MYSQL, 0, "# x\nPREPARE s FROM 'SELECT 1'", "PREPARE" },
		{ SQL_MYSQL, 0, "execute s using @a", "EXECUTE" },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		if (strcmp(sqllex_command(c[i].in, strlen(c[i].in), c[i].d),
		    c[i].want) != 0)
			FAILF("%s: command %s, want %s", c[i].in,
			    sqllex_command(c[i].in, strlen(c[i].in), c[i].d),
			    c[i].want);
}

static void
test_heads(void)
{
	const char *s;
	char name[64];
	size_t q;
	int hq, hold;

	s = "DECLARE \"My\"\"Cur\" BINARY CURSOR WITH HOLD FOR SELECT 1";
	CHECK_INT(sqlhead_declare(s, strlen(s), name, sizeof(name), &q, &hq,
	    &hold), 0);
	CHECK_STR(name, "My\"Cur");
	CHECK_INT(hq, 1);
	CHECK_INT(hold, 1);
	CHECK_STR(s + q, " SELECT 1");
	s = "declare C cursor /* for */ without hold for select hold, 'for'";
	CHECK_INT(sqlhead_declare(s, strlen(s), name, sizeof(name), &q, &hq,
	    &hold), 0);
	CHECK_STR(name, "c");
	CHECK_INT(hold, 0);
	CHECK_STR(s + q, " select hold, 'for'");
	s = "DECLARE c NO SCROLL";
	CHECK_INT(sqlhead_declare(s, strlen(s), name, sizeof(name), &q, &hq,
	    &hold), 0);
	CHECK_INT(hq, 0);
	s = "DECLARE 'c' CURSOR FOR SELECT 1";
	CHECK_INT(sqlhead_declare(s, strlen(s), name, sizeof(name), &q, &hq,
	    &hold), -1);
	s = "FETCH 10 FROM \"Cur\" -- x";
	CHECK_INT(sqlhead_last_ident(s, strlen(s), 5, name, sizeof(name)), 0);
	CHECK_STR(name, "Cur");
	s = "FETCH 10";
	CHECK_INT(sqlhead_last_ident(s, strlen(s), 5, name, sizeof(name)), -1);
}

/* The differential test. */

struct tally {
	size_t	texts;
	size_t	pieces;
	size_t	joined;		/* whole == pieces joined */
	size_t	first_words;	/* decoder word == sqlnorm command */
	size_t	oracle;		/* libpg_query agreed */
	size_t	oracle_skip;	/* libpg_query refused the text */
};

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

/* libpg_query's split (by its parser) against sqlsplit_next's. */
static void
oracle(const char *t, size_t n, size_t np, const size_t *ps,
    const size_t *pl, struct tally *ty)
{
	PgQuerySplitResult r;
	size_t i, a, e;
	char *z;

	if (memchr(t, '\0', n) != NULL || (z = strndup(t, n)) == NULL) {
		ty->oracle_skip++;
		return;
	}
	r = pg_query_split_with_parser(z);
	free(z);
	if (r.error != NULL) {
		ty->oracle_skip++;
		pg_query_free_split_result(r);
		return;
	}
	if ((size_t)r.n_stmts != np) {
		FAILF("libpg_query: %d statements, sqlsplit %zu: %.200s",
		    r.n_stmts, np, t);
		pg_query_free_split_result(r);
		return;
	}
	for (i = 0; i < np; i++) {
		a = (size_t)r.stmts[i]->stmt_location;
		e = a + (size_t)r.stmts[i]->stmt_len;
		if (r.stmts[i]->stmt_len == 0)
			e = n;		/* the last one, to the end */
		while (a < e && is_blank(t[a]))
			a++;
		while (e > a && is_blank(t[e - 1]))
			e--;
		if (e - a != pl[i] || memcmp(t + a, t + ps[i], pl[i]) != 0)
			FAILF("libpg_query: statement %zu is \"%.*s\", "
			    "sqlsplit's \"%.*s\"", i, (int)(e - a), t + a,
			    (int)pl[i], t + ps[i]);
	}
	ty->oracle++;
	pg_query_free_split_result(r);
}

/*
 * The decoders act on a statement's first word (FETCH, EXECUTE, USE,
 * DECLARE, ...): when it is a keyword other than WITH, the normaliser
 * must report it as the command, unless it refused the text before it.
 */
static void
first_word(enum sql_dialect d, const char *p, size_t n,
    const struct sqlnorm *pn, struct tally *ty)
{
	struct sqllex lx;
	struct sqltok t;

	sqllex_init(&lx, p, n, d, SQLLEX_LENIENT);
	if (sqllex_next(&lx, &t) != 1 || t.kw == NULL ||
	    t.kw->role == SQLKW_WITH)
		return;
	if (pn->unparsed && strcmp(pn->command, "UNKNOWN") == 0)
		return;
	if (strcmp(pn->command, t.kw->name) != 0)
		FAILF("%s: decoder reads %s, normaliser %s: %.*s",
		    d == SQL_MYSQL ? "mysql" : "pg", t.kw->name, pn->command,
		    (int)(n > 200 ? 200 : n), p);
	else
		ty->first_words++;
	if (strcmp(sqllex_command(p, n, d), pn->command) != 0)
		FAILF("sqllex_command %s, sqlnorm %s: %.*s",
		    sqllex_command(p, n, d), pn->command,
		    (int)(n > 200 ? 200 : n), p);
}

/*
 * sqlsplit_next()'s shortcut for plain text against the lexer alone,
 * statement by statement: the same pieces and the same positions.
 */
static void
split_same(enum sql_dialect d, const char *t, size_t n)
{
	size_t p1 = 0, p2 = 0, s1 = 0, s2 = 0, l1 = 0, l2 = 0;
	int r1, r2;

	do {
		r1 = sqlsplit_next(t, n, d, &p1, &s1, &l1);
		r2 = sqlsplit_next_lexed(t, n, d, &p2, &s2, &l2);
		if (r1 != r2 || p1 != p2 || (r1 == 1 && (s1 != s2 ||
		    l1 != l2))) {
			FAILF("%s: shortcut %d at %zu (%zu+%zu), lexer %d at "
			    "%zu (%zu+%zu): %.*s", d == SQL_MYSQL ? "mysql" :
			    "pg", r1, p1, s1, l1, r2, p2, s2, l2,
			    (int)(n > 200 ? 200 : n), t);
			return;
		}
	} while (r1 == 1);
}

static void
differ(enum sql_dialect d, const char *t, size_t n, struct tally *ty)
{
	struct sqlnorm_opts o = { d, NULL, NULL, 0 };
	struct sqlnorm whole, pn[MAX_PIECES];
	size_t ps[MAX_PIECES], pl[MAX_PIECES], np = 0, pos = 0, i, o2;
	char *joined;
	int anyfail = 0;

	split_same(SQL_POSTGRESQL, t, n);
	split_same(SQL_MYSQL, t, n);
	while (np < MAX_PIECES &&
	    sqlsplit_next(t, n, d, &pos, &ps[np], &pl[np]))
		np++;
	if (np == MAX_PIECES)
		return;
	ty->texts++;
	ty->pieces += np;
	if (sqlnorm(t, n, &o, &whole) != 0) {
		FAILF("sqlnorm failed");
		return;
	}
	for (i = 0; i < np; i++) {
		if (sqlnorm(t + ps[i], pl[i], &o, &pn[i]) != 0) {
			FAILF("sqlnorm failed");
			np = i;
			goto out;
		}
		anyfail |= pn[i].unparsed;
		first_word(d, t + ps[i], pl[i], &pn[i], ty);
	}
	if (np > 0 && strcmp(whole.command, pn[0].command) != 0)
		FAILF("command of the whole %s, of its first statement %s: "
		    "%.200s", whole.command, pn[0].command, t);
	if (whole.unparsed != anyfail && !(whole.unparsed && np == 0))
		FAILF("whole %s, pieces %s: %.200s", whole.unparsed ?
		    "unparsed" : "parsed", anyfail ? "not all parsed" :
		    "parsed", t);
	if (!whole.unparsed && !anyfail) {
		/* The writer ends each statement with "; ". */
		joined = calloc(1, strlen(whole.statement) + 4 * np + 2);
		REQUIRE(joined != NULL);
		for (i = o2 = 0; i < np; i++) {
			if (pn[i].statement[0] == '\0')
				continue;
			o2 += (size_t)sprintf(joined + o2, "%s%s",
			    o2 > 0 ? "; " : "", pn[i].statement);
		}
		if (strcmp(joined, whole.statement) != 0)
			FAILF("split then normalised: %s\n    normalised "
			    "whole: %s", joined, whole.statement);
		else
			ty->joined++;
		free(joined);
	}
	if (d == SQL_POSTGRESQL)
		oracle(t, n, np, ps, pl, ty);
 out:
	for (i = 0; i < np; i++)
		sqlnorm_clear(&pn[i]);
	sqlnorm_clear(&whole);
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f;
	char *b = NULL;
	long n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (b = malloc((size_t)n + 1)) != NULL) {
		*len = fread(b, 1, (size_t)n, f);
		b[*len] = '\0';
	}
	fclose(f);
	return b;
}

/* Each line of a file, and all of them as one multi-statement text. */
static void
lines_file(enum sql_dialect d, const char *path, struct tally *ty)
{
	char *b, *all, *p, *e;
	size_t n, o = 0;

	if ((b = slurp(path, &n)) == NULL) {
		FAILF("%s: cannot read", path);
		return;
	}
	REQUIRE((all = malloc(2 * n + 1)) != NULL);
	for (p = b; p < b + n; p = e + 1) {
		if ((e = memchr(p, '\n', (size_t)(b + n - p))) == NULL)
			e = b + n;
		if (e == p)
			continue;
		differ(d, p, (size_t)(e - p), ty);
		memcpy(all + o, p, (size_t)(e - p));
		o += (size_t)(e - p);
		all[o++] = ';';
		all[o++] = '\n';
	}
	differ(d, all, o, ty);
	free(all);
	free(b);
}

/*
 * Every file of a fuzz corpus: sqlnorm seeds are SQL after a byte whose
 * low bit is the dialect; wire seeds hold SQL among binary framing, and
 * their printable runs are taken as texts.
 */
static void
corpus_dir(const char *dir, int sqlnorm_seeds, enum sql_dialect d,
    struct tally *ty)
{
	DIR *dp;
	struct dirent *de;
	char path[512], *b;
	size_t n, i, j;

	if ((dp = opendir(dir)) == NULL) {
		FAILF("%s: cannot open", dir);
		return;
	}
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((b = slurp(path, &n)) == NULL)
			continue;
		if (sqlnorm_seeds && n > 0)
			differ(b[0] & 1 ? SQL_MYSQL : SQL_POSTGRESQL, b + 1,
			    n - 1, ty);
		for (i = 0; !sqlnorm_seeds && i < n; i = j + 1) {
			for (j = i; j < n && (b[j] == '\t' || b[j] == '\n' ||
			    b[j] == '\r' || (b[j] >= 0x20 && b[j] < 0x7f));
			    j++)
				;
			if (j - i >= 6)
				differ(d, b + i, j - i, ty);
		}
		free(b);
	}
	closedir(dp);
}

/* The value of the C escape at p (after the backslash); *n: its length. */
static char
c_escape(const char *p, size_t left, size_t *n)
{
	size_t i = 0;
	int v = 0;

	*n = 1;
	switch (p[0]) {
	case 'n':
		return '\n';
	case 't':
		return '\t';
	case 'r':
		return '\r';
	case 'f':
		return '\f';
	case 'v':
		return '\v';
	case 'x':
		for (i = 1; i < left && i < 3 && isxdigit((unsigned char)p[i]);
		    i++)
			v = v * 16 + (isdigit((unsigned char)p[i]) ? p[i] - '0' :
			    (tolower((unsigned char)p[i]) - 'a' + 10));
		*n = i;
		return (char)v;
	default:
		for (i = 0; i < left && i < 3 && p[i] >= '0' && p[i] <= '7';
		    i++)
			v = v * 8 + (p[i] - '0');
		if (i > 0) {
			*n = i;
			return (char)v;
		}
		return p[0];
	}
}

/*
 * Every string literal of a C source (adjacent ones joined, escapes
 * read) as a text: the statements the decoder tests send.
 */
static void
c_strings(enum sql_dialect d, const char *path, struct tally *ty)
{
	char *b, *lit;
	size_t n, i, o = 0, k;
	int in = 0;

	if ((b = slurp(path, &n)) == NULL) {
		FAILF("%s: cannot read", path);
		return;
	}
	REQUIRE((lit = malloc(n + 1)) != NULL);
	for (i = 0; i < n; i++) {
		if (in) {
			if (b[i] == '"')
				in = 0;
			else if (b[i] == '\\' && i + 1 < n) {
				lit[o++] = c_escape(b + i + 1, n - i - 1, &k);
				i += k;
			} else
				lit[o++] = b[i];
			continue;
		}
		if (b[i] == '"') {
			in = 1;
			continue;
		}
		if (b[i] == '/' && i + 1 < n && b[i + 1] == '*') {
			char *e = strstr(b + i + 2, "*/");

			i = e != NULL ? (size_t)(e - b) + 1 : n;
			continue;
		}
		if (b[i] == '\'') {	/* a character constant */
			i += i + 1 < n && b[i + 1] == '\\' ? 3 : 2;
			continue;
		}
		if (isspace((unsigned char)b[i]))
			continue;
		if (o >= 6)
			differ(d, lit, o, ty);
		o = 0;
	}
	free(lit);
	free(b);
}

static void
test_differential(void)
{
	struct tally ty;

	memset(&ty, 0, sizeof(ty));
	lines_file(SQL_POSTGRESQL, "tests/data/sqlnorm-pg.sql", &ty);
	lines_file(SQL_MYSQL, "tests/data/sqlnorm-mysql.sql", &ty);
	corpus_dir("tests/fuzz/corpus/sqlnorm", 1, SQL_POSTGRESQL, &ty);
	corpus_dir("tests/fuzz/corpus/pgsql", 0, SQL_POSTGRESQL, &ty);
	corpus_dir("tests/fuzz/corpus/db", 0, SQL_POSTGRESQL, &ty);
	corpus_dir("tests/fuzz/corpus/mysql", 0, SQL_MYSQL, &ty);
	c_strings(SQL_POSTGRESQL, "tests/unit/test_pgsql.c", &ty);
	c_strings(SQL_POSTGRESQL, "tests/unit/test_pglog.c", &ty);
	c_strings(SQL_MYSQL, "tests/unit/test_mysql.c", &ty);
	c_strings(SQL_MYSQL, "tests/unit/test_mylog.c", &ty);
	printf("sqllex: %zu texts, %zu statements; %zu joined texts equal "
	    "the whole, %zu first words agree; libpg_query agreed on %zu, "
	    "refused %zu\n", ty.texts, ty.pieces, ty.joined, ty.first_words,
	    ty.oracle, ty.oracle_skip);
	/* Guards against a corpus that went missing. */
	CHECK(ty.texts > 500);
	CHECK(ty.oracle > 40);
}

/* The keyword whose name is p/n in any case by a plain scan of them all. */
static const struct sqlkw *
keyword_scan(const char *p, size_t n)
{
	const struct sqlkw *kw;
	size_t i;

	for (i = 0; (kw = sqllex_keyword_nth(i)) != NULL; i++)
		if (strlen(kw->name) == n && strncasecmp(kw->name, p, n) == 0 &&
		    memchr(p, '\0', n) == NULL)
			return kw;
	return NULL;
}

/*
 * The keyword lookup (one sorted array per first letter) against a plain
 * scan: every keyword in upper, lower and mixed case, every prefix of
 * one and every one with a letter, digit or underscore added, and words
 * that are none.
 */
static void
test_keywords(void)
{
	static const char *none[] = { "", "name", "users", "_select",
	    "select_", "SELEC", "Y", "YEAR", "ZZZ", "a", "\xc3\x84S",
	    "$1", "1AS" };
	const struct sqlkw *kw, *prev = NULL;
	char w[64];
	size_t i, k, n, count = 0;

	for (i = 0; (kw = sqllex_keyword_nth(i)) != NULL; i++, count++) {
		n = strlen(kw->name);
		REQUIRE(n + 2 < sizeof(w));
		if (prev != NULL && strcmp(prev->name, kw->name) >= 0)
			FAILF("%s before %s", prev->name, kw->name);
		prev = kw;
		CHECK(sqllex_keyword(kw->name, n) == kw);
		for (k = 0; k < n; k++)
			w[k] = (char)(k % 2 ?
			    tolower((unsigned char)kw->name[k]) : kw->name[k]);
		CHECK(sqllex_keyword(w, n) == kw);
		for (k = 0; k < n; k++)
			w[k] = (char)tolower((unsigned char)kw->name[k]);
		CHECK(sqllex_keyword(w, n) == kw);
		for (k = 0; k < n; k++)
			if (sqllex_keyword(kw->name, k) !=
			    keyword_scan(kw->name, k))
				FAILF("prefix %.*s of %s", (int)k, kw->name,
				    kw->name);
		memcpy(w, kw->name, n);
		for (k = 0; k < 4; k++) {
			w[n] = "AZ_9"[k];
			if (sqllex_keyword(w, n + 1) != keyword_scan(w, n + 1))
				FAILF("%.*s", (int)n + 1, w);
		}
	}
	CHECK_INT(count, 300);
	CHECK(sqllex_keyword_nth(count) == NULL);
	for (i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		CHECK(sqllex_keyword(none[i], strlen(none[i])) == NULL);
	CHECK(sqllex_keyword("AS\0", 3) == NULL);
	CHECK(sqllex_keyword("ASx", 2) == keyword_scan("AS", 2));
	CHECK_STR(sqllex_keyword("zone", 4)->name, "ZONE");
	CHECK_STR(sqllex_keyword("Abort", 5)->name, "ABORT");
	CHECK_INT(sqllex_keyword("select", 6)->role, SQLKW_NONE);
	CHECK_INT(sqllex_keyword("from", 4)->role, SQLKW_FROM);
}

static const struct test tests[] = {
	{ "keywords", test_keywords },
	{ "tokens", test_tokens },
	{ "split", test_split },
	{ "command", test_command },
	{ "heads", test_heads },
	{ "differential", test_differential },
};

HARNESS_MAIN(tests)
