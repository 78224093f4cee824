/*
 * The rules language's tokens, shared by its lexer (rules-lex.c) and its
 * parser (rules-parse.c) and by nothing else: the parser's state, since
 * the lexer reads from and reports errors into it. Private to those two
 * files; analytics.h is the analytics' public map.
 */
#ifndef LEAKWATCH_RULES_LEX_H
#define LEAKWATCH_RULES_LEX_H

#include <stddef.h>
#include <stdint.h>

#define TOK_MAX		1024	/* identifier or string, bytes */

struct rule;
struct sensitivity;

enum tok {
	T_EOF, T_IDENT, T_NUM, T_DUR, T_STR, T_LBRACE, T_RBRACE, T_LPAREN,
	T_RPAREN, T_COMMA, T_SEMI, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE,
	T_MATCH, T_NMATCH, T_PLUS, T_MINUS, T_STAR, T_SLASH, T_BAD
};

struct parser {
	const char	*name;
	const char	*buf;
	size_t		 len;
	size_t		 pos;
	int		 line, col;	/* of buf[pos] */
	/* the current token */
	int		 t;
	char		 text[TOK_MAX + 1];
	double		 num;
	int64_t		 dur_us;
	int		 tline, tcol;
	size_t		 tstart, tend;
	int		 depth;
	const struct sensitivity *sens;
	struct rule	*rule;
	char		*err;
	size_t		 errlen;
	int		 failed;
};

/*
 * rlex_err() records the first error as "file:line:column: message" and
 * marks the parse failed; later ones are dropped. rlex_next() reads the
 * next token into p->t and its attributes (text, num, dur_us, tline,
 * tcol, tstart, tend). rlex_is() says whether the token is the word w;
 * rlex_desc() describes it for a message, in a static buffer.
 */
void	 rlex_err(struct parser *, int line, int col, const char *, ...)
	    __attribute__((format(printf, 4, 5)));
void	 rlex_next(struct parser *);
int	 rlex_is(const struct parser *, const char *w);
const char *rlex_desc(const struct parser *);

#endif
