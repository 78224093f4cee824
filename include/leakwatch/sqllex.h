/*
 * The one SQL lexer of leakwatch, shared by the statement normaliser
 * (lib/sqlnorm.c) and every decoder that needs to know where a statement
 * ends or what it is (the PostgreSQL and MySQL wire decoders, the
 * PostgreSQL log reader): tokens in the PostgreSQL or MySQL dialect, the
 * keyword table, the splitting of a multi-statement text, the command of
 * a statement and the heads of the statements the decoders act on
 * (DECLARE ... CURSOR FOR, FETCH/CLOSE of a cursor). No I/O, no global
 * state, no allocation. Rules: docs/normalisation.md ("The lexer").
 */
#ifndef LEAKWATCH_SQLLEX_H
#define LEAKWATCH_SQLLEX_H

#include <stddef.h>

enum sql_dialect {
	SQL_POSTGRESQL,
	SQL_MYSQL
};

enum sqltok_type {
	SQLTOK_WORD = 1,	/* keyword or unquoted identifier */
	SQLTOK_QIDENT,		/* "quoted" (PostgreSQL), `quoted` (MySQL) */
	SQLTOK_VAR,		/* MySQL @var, @@var */
	SQLTOK_STRING,		/* every kind of string literal */
	SQLTOK_NUMBER,
	SQLTOK_PARAM,		/* $1, ?, :name */
	SQLTOK_PLUSLIST,	/* ?+ of a collapsed list, in sqlnorm output */
	SQLTOK_LPAREN,
	SQLTOK_RPAREN,
	SQLTOK_LBRACK,
	SQLTOK_RBRACK,
	SQLTOK_COMMA,
	SQLTOK_SEMI,
	SQLTOK_DOT,
	SQLTOK_CAST,		/* :: */
	SQLTOK_OP,
	SQLTOK_JUNK		/* lenient mode: what strict mode refuses */
};

/* What a keyword means to the normaliser's table and command finders. */
enum sqlkw_role {
	SQLKW_NONE,
	SQLKW_AS,
	SQLKW_COPY,
	SQLKW_DISTINCT,
	SQLKW_FROM,
	SQLKW_HANDLER,
	SQLKW_IN,
	SQLKW_INSERT,		/* INSERT, REPLACE */
	SQLKW_INTO,
	SQLKW_JOIN,
	SQLKW_MOD,		/* skipped before a table: ONLY, IF EXISTS */
	SQLKW_PREFIX,		/* EXPLAIN, ANALYZE, VERBOSE: more follows */
	SQLKW_PREPARE,
	SQLKW_RECURSIVE,
	SQLKW_TABLE,
	SQLKW_TRUNCATE,
	SQLKW_UPDATE,
	SQLKW_USING,
	SQLKW_VALUES,
	SQLKW_WITH
};

#define SQLKW_F_VALUE	0x01	/* an operand: a - after it is binary */
#define SQLKW_F_FUNC	0x02	/* written like a call: CAST( */

struct sqlkw {
	const char	*name;		/* upper case */
	enum sqlkw_role	 role;
	int		 flags;
};

struct sqltok {
	enum sqltok_type	 type;
	const char		*p;	/* into the lexed text */
	size_t			 len;
	const struct sqlkw	*kw;	/* a WORD that is a keyword */
};

/*
 * Strict mode (the normaliser's) refuses what it cannot classify with
 * certainty; lenient mode (the decoders') never refuses: an unterminated
 * string, quoted identifier or comment runs to the end of the text and
 * anything else the strict mode refuses becomes one SQLTOK_JUNK token, so
 * both modes find the same boundaries wherever the strict one succeeds.
 */
#define SQLLEX_LENIENT	0x01
/* No keyword lookup (kw stays NULL), for who only compares words. */
#define SQLLEX_NOKEYWORDS	0x02

struct sqllex {
	const char		*s;
	size_t			 len;
	size_t			 pos;
	enum sql_dialect	 d;
	int			 flags;
	int			 exec_comment;	/* in a MySQL one that runs */
	enum sqltok_type	 last;		/* previous token, or 0 */
	/* Called with the body of every block comment that is not nested
	 * and not executable (sqlcommenter), when set. */
	void			(*comment)(void *, const char *, size_t);
	void			*arg;
};

void	sqllex_init(struct sqllex *, const char *, size_t, enum sql_dialect,
	    int flags);
/* 1 and a token, 0 at the end, -1 when strict and unsure (never lenient). */
int	sqllex_next(struct sqllex *, struct sqltok *);
/* The keyword spelled by p/n in any case, or NULL. */
const struct sqlkw *sqllex_keyword(const char *, size_t);
/* The i-th keyword in alphabetical order, or NULL past the last. */
const struct sqlkw *sqllex_keyword_nth(size_t);

/* The lexer's character classes, for whoever reads SQL text around it. */
int	sqlchar_space(unsigned char);
int	sqlchar_digit(unsigned char);
int	sqlchar_ident(unsigned char);	/* a name's letters, digits, _, $ */
unsigned char sqlchar_lower(unsigned char);

int	sqltok_is(const struct sqltok *, const char *word);
int	sqltok_is_literal(const struct sqltok *);
/*
 * An identifier token (WORD or QIDENT) as the server resolves it: quotes
 * removed and doubled quotes undoubled; a WORD folded to lower case when
 * fold. Writes at most outlen - 1 bytes and a NUL; returns the full
 * length (more than outlen - 1: cut short), or -1 when not an identifier.
 */
int	sqltok_ident(const struct sqltok *, int fold, char *out,
	    size_t outlen);

/*
 * Splitting a text of several statements (a PostgreSQL simple Query, a
 * MySQL multi-statement COM_QUERY): the next statement from *pos, as the
 * offset (*pstart) and length (*plen) of its text (leading comments
 * kept, blanks trimmed), skipping statements without a token. 1, or 0
 * when none is left. A statement ends at a ';' outside quotes, comments
 * and MySQL executable comments; in PostgreSQL also outside parentheses
 * and BEGIN ATOMIC bodies.
 */
int	sqlsplit_next(const char *, size_t, enum sql_dialect, size_t *pos,
	    size_t *pstart, size_t *plen);
/* The same without the shortcut for plain text: what tests hold it to. */
int	sqlsplit_next_lexed(const char *, size_t, enum sql_dialect,
	    size_t *pos, size_t *pstart, size_t *plen);

/*
 * The command of one statement, fed its tokens in order with the depth
 * of parentheses each is at: the first keyword ("UNKNOWN" when the first
 * word is none), leading parentheses skipped; for WITH the main
 * statement's (SELECT, INSERT, ...). nofrom is set for statements whose
 * FROM names no table (FETCH, MOVE, REVOKE, SHOW).
 */
struct sqlcmd {
	const char	*command;	/* static storage, NULL: none yet */
	int		 seen;		/* a first token was seen */
	int		 with;		/* still looking past WITH */
	int		 nofrom;
};

void	sqlcmd_step(struct sqlcmd *, const struct sqltok *, size_t depth);
/* The command of the text's first statement, as sqlnorm() finds it. */
const char *sqllex_command(const char *, size_t, enum sql_dialect);

/*
 * PostgreSQL statement heads. sqlhead_declare(): "DECLARE name ...
 * CURSOR ... FOR query": the cursor's name (folded unless quoted), the
 * offset of its query (0 when there is no FOR: *has_query says) and
 * whether WITH HOLD was given; -1 when not a DECLARE with a name.
 * sqlhead_last_ident(): the last identifier of the text from offset
 * from on (the cursor of FETCH/MOVE/CLOSE); -1 when none.
 */
int	sqlhead_declare(const char *, size_t, char *name, size_t namelen,
	    size_t *query, int *has_query, int *hold);
int	sqlhead_last_ident(const char *, size_t, size_t from, char *name,
	    size_t namelen);

#endif
