/*
 * The rules language's lexer (docs/rules.md): identifiers, numbers,
 * durations, strings and operators, each token with the line and column
 * it starts at, so that the parser (rules-parse.c) can say where a
 * mistake is. Comments run from '#' to the end of the line. An error
 * stops at the first one, with a message naming what was found.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules-lex.h"

void
rlex_err(struct parser *p, int line, int col, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (p->failed)
		return;
	p->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%d:%d: %s", p->name, line, col, msg);
}

static int
peekc(const struct parser *p, size_t off)
{
	return p->pos + off < p->len ? (unsigned char)p->buf[p->pos + off] :
	    -1;
}

static void
adv(struct parser *p)
{
	if (p->pos >= p->len)
		return;
	if (p->buf[p->pos] == '\n') {
		p->line++;
		p->col = 1;
	} else
		p->col++;
	p->pos++;
}

static int
is_ident0(int c)
{
	return c >= 0 && (isalpha(c) || c == '_');
}

static int
is_ident(int c)
{
	return c >= 0 && (isalnum(c) || c == '_' || c == '.');
}

/*
 * The second character of a two-character operator: when c follows,
 * takes it and returns the token both make, otherwise the token alone.
 */
static int
second(struct parser *p, int c, int both, int alone)
{
	if (peekc(p, 0) != c)
		return alone;
	adv(p);
	return both;
}

/* Reads the next token into p->t and its attributes. */
void
rlex_next(struct parser *p)
{
	int c;
	size_t n = 0;

	for (;;) {
		c = peekc(p, 0);
		if (c == '#') {
			while ((c = peekc(p, 0)) >= 0 && c != '\n')
				adv(p);
			continue;
		}
		if (c >= 0 && isspace(c)) {
			adv(p);
			continue;
		}
		break;
	}
	p->tline = p->line;
	p->tcol = p->col;
	p->tstart = p->pos;
	p->text[0] = '\0';
	if (c < 0) {
		p->t = T_EOF;
		p->tend = p->pos;
		return;
	}
	if (c == 0) {
		rlex_err(p, p->line, p->col, "NUL byte");
		p->t = T_BAD;
		return;
	}
	if (is_ident0(c)) {
		while (is_ident(peekc(p, 0))) {
			if (n == TOK_MAX) {
				rlex_err(p, p->tline, p->tcol, "name longer than "
				    "%d bytes", TOK_MAX);
				p->t = T_BAD;
				return;
			}
			p->text[n++] = (char)peekc(p, 0);
			adv(p);
		}
		p->text[n] = '\0';
		p->t = T_IDENT;
		p->tend = p->pos;
		return;
	}
	if (isdigit(c) || (c == '.' && peekc(p, 1) >= 0 &&
	    isdigit(peekc(p, 1)))) {
		char num[64];
		char *end;
		int unit;

		while ((c = peekc(p, 0)) >= 0 && (isdigit(c) || c == '.') &&
		    n < sizeof(num) - 1) {
			num[n++] = (char)c;
			adv(p);
		}
		num[n] = '\0';
		p->num = strtod(num, &end);
		if (*end != '\0' || !isfinite(p->num)) {
			rlex_err(p, p->tline, p->tcol, "bad number");
			p->t = T_BAD;
			return;
		}
		p->t = T_NUM;
		unit = peekc(p, 0);
		if (unit >= 0 && strchr("KMGTsmhdw", unit) != NULL &&
		    !is_ident(peekc(p, 1))) {
			adv(p);
			switch (unit) {
			case 'K': p->num *= 1e3; break;
			case 'M': p->num *= 1e6; break;
			case 'G': p->num *= 1e9; break;
			case 'T': p->num *= 1e12; break;
			default: {
				double us = p->num * 1e6 * (unit == 's' ? 1 :
				    unit == 'm' ? 60 : unit == 'h' ? 3600 :
				    unit == 'd' ? 86400 : 604800);

				/* checked before it becomes an integer */
				if (us > 1e17) {
					rlex_err(p, p->tline, p->tcol, "duration too "
					    "large");
					p->t = T_BAD;
					return;
				}
				p->t = T_DUR;
				p->dur_us = (int64_t)us;
				break;
			}
			}
		} else if (is_ident(unit)) {
			rlex_err(p, p->line, p->col, "unknown unit after a number "
			    "(K M G T for 10^3.. 10^12; s m h d w for time)");
			p->t = T_BAD;
			return;
		}
		if (p->num > 1e15) {
			rlex_err(p, p->tline, p->tcol, "number too large");
			p->t = T_BAD;
			return;
		}
		p->tend = p->pos;
		return;
	}
	if (c == '"') {
		adv(p);
		for (;;) {
			c = peekc(p, 0);
			if (c < 0 || c == '\n') {
				rlex_err(p, p->tline, p->tcol, "unterminated "
				    "string");
				p->t = T_BAD;
				return;
			}
			adv(p);
			if (c == '"')
				break;
			if (c == '\\') {
				c = peekc(p, 0);
				if (c != '"' && c != '\\') {
					rlex_err(p, p->line, p->col, "only \\\" and "
					    "\\\\ escape in a string");
					p->t = T_BAD;
					return;
				}
				adv(p);
			}
			if (c < 0x20) {
				rlex_err(p, p->line, p->col, "control character "
				    "in a string");
				p->t = T_BAD;
				return;
			}
			if (n == TOK_MAX) {
				rlex_err(p, p->tline, p->tcol, "string longer than "
				    "%d bytes", TOK_MAX);
				p->t = T_BAD;
				return;
			}
			p->text[n++] = (char)c;
		}
		p->text[n] = '\0';
		p->t = T_STR;
		p->tend = p->pos;
		return;
	}
	adv(p);
	switch (c) {
	case '{': p->t = T_LBRACE; break;
	case '}': p->t = T_RBRACE; break;
	case '(': p->t = T_LPAREN; break;
	case ')': p->t = T_RPAREN; break;
	case ',': p->t = T_COMMA; break;
	case ';': p->t = T_SEMI; break;
	case '+': p->t = T_PLUS; break;
	case '-': p->t = T_MINUS; break;
	case '*': p->t = T_STAR; break;
	case '/': p->t = T_SLASH; break;
	case '~': p->t = T_MATCH; break;
	case '=':
		if ((p->t = second(p, '=', T_EQ, T_BAD)) == T_BAD)
			rlex_err(p, p->tline, p->tcol, "'=' is not an operator; "
			    "did you mean '=='?");
		break;
	case '!':
		if ((p->t = second(p, '=', T_NE, T_BAD)) == T_BAD &&
		    (p->t = second(p, '~', T_NMATCH, T_BAD)) == T_BAD)
			rlex_err(p, p->tline, p->tcol, "unexpected '!' (use "
			    "'not', '!=' or '!~')");
		break;
	case '<':
		p->t = second(p, '=', T_LE, T_LT);
		break;
	case '>':
		p->t = second(p, '=', T_GE, T_GT);
		break;
	default:
		if (c >= 0x20 && c < 0x7f)
			rlex_err(p, p->tline, p->tcol, "unexpected character "
			    "'%c'", c);
		else
			rlex_err(p, p->tline, p->tcol, "unexpected byte 0x%02x",
			    (unsigned)c);
		p->t = T_BAD;
		break;
	}
	p->tend = p->pos;
}

int
rlex_is(const struct parser *p, const char *w)
{
	return p->t == T_IDENT && strcmp(p->text, w) == 0;
}

const char *
rlex_desc(const struct parser *p)
{
	static char buf[80];

	switch (p->t) {
	case T_EOF:
		return "end of file";
	case T_IDENT:
		snprintf(buf, sizeof(buf), "'%.60s'", p->text);
		return buf;
	case T_NUM:
	case T_DUR:
		return "a number";
	case T_STR:
		return "a string";
	default:
		snprintf(buf, sizeof(buf), "'%.*s'", (int)(p->tend -
		    p->tstart > 8 ? 8 : p->tend - p->tstart),
		    p->buf + p->tstart);
		return buf;
	}
}
