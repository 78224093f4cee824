/*
 * The statement normaliser shared by every source that sees SQL text (the
 * PostgreSQL and MySQL wire decoders, the log readers). One linear pass of
 * a small dialect-aware lexer feeds three consumers at once: the writer of
 * the normalised text (keywords upper case, identifiers as written, every
 * literal and placeholder `?`, IN lists and VALUES rows collapsed, comments
 * dropped, canonical spacing), the command finder and the table finder;
 * the lexer itself pulls the end user out of sqlcommenter comments. The
 * rules, with examples, are in docs/normalisation.md.
 *
 * The one promise that matters more than any other: no literal of the
 * input ever appears in the output. So the writer only ever copies
 * keywords, identifiers, operators and punctuation, and the lexer fails
 * closed (statement "<unparsed>") on anything it cannot classify with
 * certainty: unterminated strings, identifiers or comments, bytes that are
 * not UTF-8, characters that have no meaning outside a string, input over
 * the length bound. It is not a parser and does not check grammar; the
 * table finder is a best-effort state machine over the same tokens.
 *
 * No I/O, no global state, no recursion except one bounded level for the
 * text of a MySQL `PREPARE name FROM 'text'`.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakwatch/hash.h"
#include "leakwatch/sqllex.h"
#include "leakwatch/sqlnorm.h"
#include "leakwatch/util.h"

#define MAX_DEPTH	512	/* parentheses deeper than this: unparsed */
#define MAX_SIGNS	64	/* unary signs in a row, more: unparsed */
#define MAX_CAND	(2 * SQLNORM_MAX_TABLES)
#define MAX_CTE		32
#define NAME_MAX_LEN	255	/* a canonical table name (events.md) */
#define PART_MAX_LEN	127

/* Classes of emitted text, for spacing and the unary sign rule. */
enum cls {
	C_NONE,
	C_KW,
	C_KWF,		/* a keyword written like a call */
	C_IDENT,
	C_LIT,
	C_LPAREN,
	C_RPAREN,
	C_LBRACK,
	C_RBRACK,
	C_COMMA,
	C_SEMI,
	C_DOT,
	C_CAST,
	C_OP
};

/* VALUES row collapsing, per parenthesis level. */
enum vstate {
	V_NONE,
	V_FIRST,	/* after VALUES: the first row comes */
	V_IN_FIRST,	/* inside the first row */
	V_AFTER,	/* after a row: a comma may bring another */
	V_COMMA,	/* after that comma: written, taken back if ( */
	V_SKIPPING	/* inside a row that is not written */
};

/* Table finder states. */
enum tstate {
	T_NONE,
	T_EXPECT,	/* a table reference may come */
	T_NAME,		/* inside a dotted name */
	T_DOT,		/* after its dot */
	T_AFTER,	/* after a reference: alias, comma */
	T_ALIAS,	/* after AS */
	T_LISTSEP	/* after the alias: only a comma continues */
};

/* CTE name finder states. */
enum cstate {
	CT_OFF,
	CT_NAME,	/* after WITH [RECURSIVE] or a comma */
	CT_AFTER_NAME,	/* waiting for AS */
	CT_AS,		/* after AS [NOT] [MATERIALIZED]: the ( body */
	CT_BODY,
	CT_AFTER_BODY	/* a comma brings the next one */
};

struct level {
	size_t		 in_pos;	/* output length after "IN (" */
	uint8_t		 in_list;	/* literals, commas */
	uint8_t		 in_want_item;
	uint8_t		 values;	/* enum vstate */
	uint8_t		 func;		/* call arguments */
	uint8_t		 tbl_return;	/* table state after ")" */
	uint8_t		 tbl_list;
	uint8_t		 tbl_funcok;
};

struct cand {
	char		*name;		/* canonical */
	size_t		 tail;		/* the table part */
	size_t		 off;		/* where it was read */
	size_t		 end;
	int		 unqualified;
};

struct cte {
	char		 name[PART_MAX_LEN + 1];
	size_t		 visible;	/* names after: it */
};

struct outbuf {
	char		*p;
	size_t		 len;
	size_t		 cap;
	int		 oom;
};

struct ctx {
	const struct sqlnorm_opts *o;
	enum sql_dialect	 d;
	const char		*s;
	size_t			 len;
	struct sqllex		 lx;
	int			 inner;		/* tables only */
	int			 failed;
	int			 bs_seen;	/* backslash in a string */
	int			 disputed;	/* see alt_check() */
	struct sqlnorm		*out;
	struct outbuf		 ob;

	/* Writer. */
	enum cls		 prev;
	int			 prev_operand;
	enum sqlkw_role		 last_role;
	int			 last_ident;
	uint64_t		 signs;		/* unary, 1: - */
	unsigned int		 nsigns;
	int			 pending_semi;
	int			 skip;
	size_t			 skip_level;
	size_t			 rw_len;	/* VALUES comma undo */
	enum cls		 rw_prev;
	int			 rw_operand;
	size_t			 depth;
	int			 tbl_space;	/* "(" after a table */

	/* Command. */
	int			 stmt_no;	/* statements before */
	struct sqlcmd		 cmd;	/* of this statement */
	const char		*command_set;	/* in out->command */

	/* Tables. */
	enum tstate		 t_state;
	int			 t_list;
	int			 t_funcok;
	int			 t_noparen;
	struct sqltok		 parts[3];
	int			 nparts;
	int			 push_tbl;	/* for the next "(" */
	int			 push_list;
	int			 push_funcok;
	int			 stmt_start;	/* may start here */
	int			 prep_state;	/* PREPARE FROM */
	enum cstate		 c_state;
	size_t			 c_depth;
	int			 c_recursive;
	struct sqltok		 c_name;
	size_t			 c_name_off;
	size_t			 ncand;
	size_t			 ncte;

	/* Large arrays last: only the part above is zeroed per call. */
	struct cand		 cand[MAX_CAND];
	struct cte		 cte[MAX_CTE];
	struct level		 lev[MAX_DEPTH + 1];
};

static int	run(struct ctx *);

/* Output buffer. */

static void
ob_put(struct outbuf *b, const char *s, size_t n)
{
	size_t ncap;
	char *np;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		ncap = b->cap ? b->cap : 64;
		while (ncap < b->len + n + 1) {
			if (ncap > SIZE_MAX / 2) {
				b->oom = 1;
				return;
			}
			ncap *= 2;
		}
		if ((np = realloc(b->p, ncap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
ob_truncate(struct outbuf *b, size_t len)
{
	if (b->p != NULL && len <= b->len) {
		b->len = len;
		b->p[len] = '\0';
	}
}

/*
 * Returns the length of the longest valid UTF-8 prefix of s, which is n
 * when all of it is valid. NUL counts as invalid (no event string may hold
 * one). Overlong forms, surrogates and code points over U+10FFFF are
 * refused, as RFC 3629 says.
 */
static size_t
utf8_valid_prefix(const unsigned char *s, size_t n)
{
	size_t i = 0, k, need;
	uint32_t cp, min;

	while (i < n) {
		unsigned char c = s[i];

		if (c >= 0x01 && c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
			min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else
			return i;
		if (n - i <= need)
			return i;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += need + 1;
	}
	return n;
}

/* sqlcommenter. */

/*
 * Decodes one sqlcommenter key or value: \' and \\ escapes first, then
 * %XX. Writes at most outlen - 1 bytes and a NUL; -1 when the text is
 * malformed or does not fit.
 */
static int
sc_decode(const char *p, size_t n, char *out, size_t outlen)
{
	size_t i, o = 0;
	int h, l;
	unsigned char ch;

	for (i = 0; i < n; i++) {
		ch = (unsigned char)p[i];
		if (ch == '\\') {
			if (++i == n)
				return -1;
			ch = (unsigned char)p[i];
		} else if (ch == '%') {
			if (n - i < 3 ||
			    (h = hexval((unsigned char)p[i + 1])) < 0 ||
			    (l = hexval((unsigned char)p[i + 2])) < 0)
				return -1;
			ch = (unsigned char)(h << 4 | l);
			i += 2;
		}
		if (o + 1 >= outlen)
			return -1;
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	return 0;
}

/*
 * Reads a comment body in sqlcommenter form, key='value' pairs separated
 * by commas, and keeps the value of the configured key as the end user.
 * Anything not in that form is ignored whole. The value must be printable
 * UTF-8 of 1 to 255 bytes: it goes into an event as it is.
 */
static void
sqlcommenter(struct ctx *c, const char *p, size_t n)
{
	const char *tag = c->o->end_user_tag != NULL ? c->o->end_user_tag :
	    "user";
	char key[128], val[256], found[256];
	size_t i = 0, ks, ke, vs, ve, k;
	int have = 0;

	if (c->out == NULL || c->out->end_user != NULL || c->inner)
		return;
	for (;;) {
		while (i < n && sqlchar_space((unsigned char)p[i]))
			i++;
		if (i == n)
			break;
		ks = i;
		while (i < n && p[i] != '=' && p[i] != '\'' && p[i] != ',' &&
		    !sqlchar_space((unsigned char)p[i]))
			i++;
		ke = i;
		if (i == n || p[i] != '=' || ke == ks || ++i == n ||
		    p[i] != '\'')
			return;
		vs = ++i;
		while (i < n && p[i] != '\'') {
			if (p[i] == '\\')
				i++;
			i++;
		}
		if (i >= n)
			return;
		ve = i++;
		while (i < n && sqlchar_space((unsigned char)p[i]))
			i++;
		if (i < n && p[i] != ',')
			return;
		if (i < n)
			i++;
		if (sc_decode(p + ks, ke - ks, key, sizeof(key)) == -1 ||
		    sc_decode(p + vs, ve - vs, val, sizeof(val)) == -1)
			return;
		if (!have && strcmp(key, tag) == 0) {
			memcpy(found, val, strlen(val) + 1);
			have = 1;
		}
	}
	if (!have || found[0] == '\0' ||
	    utf8_valid_prefix((const unsigned char *)found, strlen(found)) !=
	    strlen(found))
		return;
	for (k = 0; found[k] != '\0'; k++)
		if ((unsigned char)found[k] < 0x20 || found[k] == 0x7f)
			return;
	c->out->end_user = strdup(found);
	if (c->out->end_user == NULL)
		c->ob.oom = 1;
}

static void
sqlcommenter_cb(void *arg, const char *p, size_t n)
{
	sqlcommenter(arg, p, n);
}

/* Tables. */

static int
is_ident_tok(const struct sqltok *t)
{
	return (t->type == SQLTOK_WORD && t->kw == NULL) ||
	    t->type == SQLTOK_QIDENT;
}

/*
 * The canonical form of one name part: a quoted identifier loses its
 * quotes (a doubled quote inside becomes one), an unquoted one is folded
 * to lower case. Returns its length, or -1 when empty or too long.
 */
static int
canon_part(const struct sqltok *t, char *out, size_t outlen)
{
	const char *p = t->p;
	size_t n = t->len, i, o = 0;
	char q;

	if (t->type == SQLTOK_QIDENT) {
		if (p[0] == 'U' || p[0] == 'u') {	/* U&"..." */
			p += 2;
			n -= 2;
		}
		q = p[0];
		for (i = 1; i + 1 < n; i++) {
			if (p[i] == q)
				i++;
			if (o + 1 >= outlen)
				return -1;
			out[o++] = p[i];
		}
	} else {
		for (i = 0; i < n; i++) {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = (char)sqlchar_lower((unsigned char)p[i]);
		}
	}
	out[o] = '\0';
	return o == 0 ? -1 : (int)o;
}

static void
cand_add(struct ctx *c, const char *name, size_t tail, size_t off,
    size_t end, int unqualified)
{
	struct cand *k;
	size_t i;

	for (i = 0; i < c->ncand; i++)
		if (c->cand[i].unqualified == unqualified &&
		    strcmp(c->cand[i].name, name) == 0)
			return;
	if (c->ncand == MAX_CAND)
		return;
	k = &c->cand[c->ncand];
	if ((k->name = strdup(name)) == NULL) {
		c->ob.oom = 1;
		return;
	}
	k->tail = tail;
	k->off = off;
	k->end = end;
	k->unqualified = unqualified;
	c->ncand++;
}

/* The dotted name in c->parts is a table: keep its canonical name. */
static void
add_table(struct ctx *c)
{
	char schema[PART_MAX_LEN + 1], table[PART_MAX_LEN + 1];
	char name[NAME_MAX_LEN + 1];
	const char *sch = NULL;
	size_t ls;
	int lt, unq = 0;

	if ((lt = canon_part(&c->parts[c->nparts - 1], table,
	    sizeof(table))) == -1)
		return;
	if (c->nparts >= 2) {
		if (canon_part(&c->parts[c->nparts - 2], schema,
		    sizeof(schema)) == -1)
			return;
		sch = schema;
	} else {
		unq = 1;
		sch = c->o->default_schema;
		if (sch != NULL && sch[0] == '\0')
			sch = NULL;
		if (sch == NULL && c->d == SQL_POSTGRESQL)
			sch = "public";
	}
	/* Written by hand: a printf per table was a tenth of the time. */
	ls = sch != NULL ? strlen(sch) + 1 : 0;
	if (ls + (size_t)lt >= sizeof(name))
		return;
	if (sch != NULL) {
		memcpy(name, sch, ls - 1);
		name[ls - 1] = '.';
	}
	memcpy(name + ls, table, (size_t)lt + 1);
	cand_add(c, name, ls,
	    (size_t)(c->parts[0].p - c->s),
	    (size_t)(c->parts[c->nparts - 1].p + c->parts[c->nparts - 1].len -
	    c->s), unq);
}

/* Whether candidate k is a table, not a reference to a CTE. */
static int
cand_keep(const struct ctx *c, size_t k)
{
	const struct cand *cd = &c->cand[k];
	size_t i;

	if (!cd->unqualified)
		return 1;
	for (i = 0; i < c->ncte; i++)
		if (cd->off > c->cte[i].visible &&
		    strcmp(cd->name + cd->tail, c->cte[i].name) == 0)
			return 0;
	return 1;
}

static void
cand_free(struct ctx *c)
{
	size_t i;

	for (i = 0; i < c->ncand; i++)
		free(c->cand[i].name);
	c->ncand = 0;
}

/*
 * Collects the names of common table expressions, WITH [RECURSIVE] name
 * [(cols)] AS [NOT] [MATERIALIZED] (body), so that later references to
 * them are not taken for tables. A plain CTE is visible after its body;
 * a recursive one from its name on, its own body included. A real table
 * of the same name can still be read as schema.table, which is never
 * filtered.
 */
static void
cte_step(struct ctx *c, const struct sqltok *t, enum sqlkw_role role)
{
	struct cte *ct;

	switch (c->c_state) {
	case CT_OFF:
		if (role == SQLKW_WITH) {
			c->c_state = CT_NAME;
			c->c_depth = c->depth;
			c->c_recursive = 0;
		}
		break;
	case CT_NAME:
		if (role == SQLKW_RECURSIVE)
			c->c_recursive = 1;
		else if (is_ident_tok(t)) {
			c->c_name = *t;
			c->c_name_off = (size_t)(t->p - c->s);
			c->c_state = CT_AFTER_NAME;
		} else
			c->c_state = CT_OFF;
		break;
	case CT_AFTER_NAME:
		if (c->depth == c->c_depth && role == SQLKW_AS)
			c->c_state = CT_AS;
		else if (c->depth == c->c_depth && t->type != SQLTOK_LPAREN)
			c->c_state = CT_OFF;
		break;
	case CT_AS:
		if (role == SQLKW_MOD)
			break;
		if (t->type != SQLTOK_LPAREN) {
			c->c_state = CT_OFF;
			break;
		}
		c->c_state = CT_BODY;
		if (c->ncte == MAX_CTE)
			break;
		ct = &c->cte[c->ncte];
		if (canon_part(&c->c_name, ct->name, sizeof(ct->name)) == -1)
			break;
		ct->visible = c->c_recursive ? c->c_name_off : SIZE_MAX;
		c->ncte++;
		break;
	case CT_BODY:
		if (t->type == SQLTOK_RPAREN && c->depth == c->c_depth + 1) {
			if (!c->c_recursive && c->ncte > 0 &&
			    c->cte[c->ncte - 1].visible == SIZE_MAX)
				c->cte[c->ncte - 1].visible =
				    (size_t)(t->p - c->s);
			c->c_state = CT_AFTER_BODY;
		}
		break;
	case CT_AFTER_BODY:
		c->c_state = t->type == SQLTOK_COMMA && c->depth == c->c_depth ?
		    CT_NAME : CT_OFF;
		break;
	}
}

/*
 * The text of MySQL's PREPARE name FROM 'text' is a string literal to
 * the writer (it becomes ?), but the tables it reads are worth knowing:
 * run the table finder over the unescaped text, one level deep only.
 */
static void
prepare_text(struct ctx *c, const struct sqltok *t)
{
	struct ctx *ic;
	char *buf, q = t->p[0], ch;
	size_t i, o = 0, k;

	if (t->len < 2 || (buf = malloc(t->len)) == NULL)
		return;
	for (i = 1; i + 1 < t->len; i++) {
		ch = t->p[i];
		if (ch == '\\' && i + 2 < t->len) {
			ch = t->p[++i];
			ch = ch == 'n' ? '\n' : ch == 't' ? '\t' : ch == 'r' ?
			    '\r' : ch == '0' ? ' ' : ch;
		} else if (ch == q)
			i++;
		buf[o++] = ch;
	}
	if ((ic = malloc(sizeof(*ic))) == NULL) {
		free(buf);
		return;
	}
	memset(ic, 0, offsetof(struct ctx, cand));
	ic->o = c->o;
	ic->d = c->d;
	ic->s = buf;
	ic->len = utf8_valid_prefix((const unsigned char *)buf, o);
	ic->inner = 1;
	run(ic);
	for (k = 0; k < ic->ncand; k++)
		if (cand_keep(ic, k))
			cand_add(c, ic->cand[k].name, ic->cand[k].tail,
			    (size_t)(t->p - c->s),
			    (size_t)(t->p + t->len - c->s), 0);
	if (ic->ob.oom)
		c->ob.oom = 1;
	cand_free(ic);
	free(ic);
	free(buf);
}

static void
prepare_step(struct ctx *c, const struct sqltok *t, enum sqlkw_role role)
{
	if (c->d != SQL_MYSQL || c->inner)
		return;
	switch (c->prep_state) {
	case 0:
		if (role == SQLKW_PREPARE && c->stmt_start)
			c->prep_state = 1;
		break;
	case 1:
		c->prep_state = is_ident_tok(t) ? 2 : 0;
		break;
	case 2:
		c->prep_state = role == SQLKW_FROM ? 3 : 0;
		break;
	default:
		if (t->type == SQLTOK_STRING &&
		    (t->p[0] == '\'' || t->p[0] == '"'))
			prepare_text(c, t);
		c->prep_state = 0;
		break;
	}
}

static void
expect(struct ctx *c, int list, int funcok, int noparen)
{
	c->t_state = T_EXPECT;
	c->t_list = list;
	c->t_funcok = funcok;
	c->t_noparen = noparen;
	c->nparts = 0;
}

/*
 * The keywords a table reference may follow, by role: whether a comma
 * brings another (list), whether a name with "(" is a function
 * (funcok), whether "(" may open a subquery (not noparen), and whether
 * only at the start of a statement (at_start).
 */
static const struct table_intro {
	int	on, list, funcok, noparen, at_start;
} table_intros[] = {
	[SQLKW_FROM] =		{ 1, 1, 1, 0, 0 },
	[SQLKW_JOIN] =		{ 1, 0, 1, 0, 0 },
	[SQLKW_INTO] =		{ 1, 0, 0, 0, 0 },
	[SQLKW_USING] =		{ 1, 1, 1, 1, 0 },
	[SQLKW_TABLE] =		{ 1, 1, 0, 1, 0 },
	[SQLKW_UPDATE] =	{ 1, 1, 0, 0, 1 },
	[SQLKW_TRUNCATE] =	{ 1, 1, 0, 0, 1 },
	[SQLKW_INSERT] =	{ 1, 0, 0, 0, 1 },
	[SQLKW_COPY] =		{ 1, 0, 0, 0, 1 },
	[SQLKW_HANDLER] =	{ 1, 0, 0, 0, 1 },
	[SQLKW_WITH] =		{ 0, 0, 0, 0, 0 }	/* the last: sizes it */
};

/*
 * The table finder: a state machine over the tokens. A table reference
 * may follow FROM, JOIN, USING, INTO, TABLE(S), and, at the start of a
 * statement, UPDATE, INSERT/REPLACE, COPY, TRUNCATE and HANDLER. In list
 * contexts (FROM a, b; UPDATE a, b; TRUNCATE a, b) a comma brings the
 * next one. A name followed by "(" is a function after FROM/JOIN/USING
 * and a column list elsewhere. Sets c->tbl_space when this token is the
 * "(" right after a table name, so the writer spaces it like a clause.
 */
static void
tables(struct ctx *c, const struct sqltok *t)
{
	enum sqlkw_role role = t->kw != NULL ? t->kw->role : SQLKW_NONE;
	const struct table_intro *ti;
	int consumed = 0;

	c->tbl_space = 0;
	cte_step(c, t, role);
	prepare_step(c, t, role);

	switch (c->t_state) {
	case T_NONE:
		break;
	case T_EXPECT:
		if (role == SQLKW_MOD || role == SQLKW_TABLE ||
		    role == SQLKW_INTO)
			consumed = 1;
		else if (is_ident_tok(t)) {
			c->parts[0] = *t;
			c->nparts = 1;
			c->t_state = T_NAME;
			consumed = 1;
		} else if (t->type == SQLTOK_LPAREN && !c->t_noparen) {
			/* A subquery or a parenthesised join: "(a JOIN b)". */
			c->push_tbl = T_AFTER;
			c->push_list = c->t_list;
			c->push_funcok = c->t_funcok;
			consumed = 1;
		} else
			c->t_state = T_NONE;
		break;
	case T_DOT:
		if (is_ident_tok(t) && c->nparts < 3) {
			c->parts[c->nparts++] = *t;
			c->t_state = T_NAME;
			consumed = 1;
		} else
			c->t_state = T_NONE;
		break;
	case T_NAME:
		if (t->type == SQLTOK_DOT) {
			c->t_state = T_DOT;
			consumed = 1;
			break;
		}
		if (t->type == SQLTOK_LPAREN && c->t_funcok) {
			c->t_state = T_NONE;	/* FROM f(...) */
			consumed = 1;
			break;
		}
		add_table(c);
		if (t->type == SQLTOK_LPAREN) {
			c->tbl_space = 1;	/* INSERT INTO t (a, b) */
			c->t_state = T_NONE;
			consumed = 1;
			break;
		}
		c->t_state = T_AFTER;
		__attribute__((fallthrough));
	case T_AFTER:
		if (role == SQLKW_AS)
			c->t_state = T_ALIAS;
		else if (is_ident_tok(t))
			c->t_state = T_LISTSEP;
		else if (t->type == SQLTOK_OP && t->len == 1 && t->p[0] == '*')
			;	/* FROM parent * (with its children) */
		else if (t->type == SQLTOK_COMMA && c->t_list)
			expect(c, c->t_list, c->t_funcok, c->t_noparen);
		else {
			c->t_state = T_NONE;
			break;
		}
		consumed = 1;
		break;
	case T_ALIAS:
		if (is_ident_tok(t)) {
			c->t_state = T_LISTSEP;
			consumed = 1;
		} else
			c->t_state = T_NONE;
		break;
	case T_LISTSEP:
		if (t->type == SQLTOK_COMMA && c->t_list) {
			expect(c, c->t_list, c->t_funcok, c->t_noparen);
			consumed = 1;
		} else if (t->type == SQLTOK_LPAREN) {
			/* Column aliases: AS s (a, b), then maybe a comma. */
			c->push_tbl = T_LISTSEP;
			c->push_list = c->t_list;
			c->push_funcok = c->t_funcok;
			c->t_state = T_NONE;
			consumed = 1;
		} else
			c->t_state = T_NONE;
		break;
	}

	ti = &table_intros[role];
	/* FROM, but not EXTRACT(x FROM y), IS DISTINCT FROM, FETCH n FROM
	 * cursor, SHOW ... FROM, REVOKE ... FROM. */
	if (role == SQLKW_FROM && ((c->depth > 0 && c->lev[c->depth].func) ||
	    c->last_role == SQLKW_DISTINCT || c->cmd.nofrom))
		ti = &table_intros[SQLKW_NONE];
	if (!consumed && ti->on && (!ti->at_start || c->stmt_start))
		expect(c, ti->list, ti->funcok, ti->noparen);
	/*
	 * A "]" that closes a level counts as a ")" does: a VALUES row
	 * opened with "(" and closed with "]" is dropped from the output,
	 * and the ")" of the row before it is what a second reading sees
	 * there, so both must start a statement alike (idempotence).
	 */
	c->stmt_start = t->type == SQLTOK_LPAREN || role == SQLKW_AS ||
	    role == SQLKW_PREFIX || ((t->type == SQLTOK_RPAREN ||
	    t->type == SQLTOK_RBRACK) && c->depth == 1);
}

/* Writer. */

/*
 * Canonical spacing: one space between tokens, none before , ) ] ; . ::
 * and [, none after ( [ . ::, and none between a name and the "(" of a
 * call ("count(*)"); a table name before its column list is a clause,
 * not a call, and keeps its space ("INSERT INTO t (a)").
 */
static int
need_space(const struct ctx *c, enum cls next)
{
	enum cls p = c->prev;

	if (p == C_NONE || p == C_LPAREN || p == C_LBRACK || p == C_DOT ||
	    p == C_CAST)
		return 0;
	switch (next) {
	case C_DOT:
		/* "INTO .t": glued, the keyword would read as a name. */
		return p == C_KW || p == C_KWF;
	case C_COMMA:
	case C_RPAREN:
	case C_RBRACK:
	case C_SEMI:
	case C_CAST:
	case C_LBRACK:
		return 0;
	case C_LPAREN:
		return (p != C_IDENT && p != C_KWF) || c->tbl_space;
	default:
		return 1;
	}
}

/* An IN list stays collapsible while it alternates literal, comma. */
static void
in_list_see(struct ctx *c, enum cls cl)
{
	struct level *l = &c->lev[c->depth];

	if (c->depth == 0 || !l->in_list || cl == C_RPAREN || cl == C_RBRACK)
		return;
	if (cl == C_LIT && l->in_want_item)
		l->in_want_item = 0;
	else if (cl == C_COMMA && !l->in_want_item)
		l->in_want_item = 1;
	else
		l->in_list = 0;
}

static void
emit(struct ctx *c, enum cls cl, const char *p, size_t n, int operand)
{
	if (c->skip || c->inner)
		return;
	if (c->pending_semi) {
		c->pending_semi = 0;
		if (c->ob.len > 0) {
			ob_put(&c->ob, ";", 1);
			c->prev = C_SEMI;
		}
	}
	in_list_see(c, cl);
	/* Never glue what would lex differently when read again: a MySQL
	 * name starting with a digit after a dot ("t. 1x", not the number
	 * ".1"), an operator ":" before "::". */
	if (need_space(c, cl) || (c->prev == C_DOT && n > 0 &&
	    sqlchar_digit((unsigned char)p[0])) || (n > 0 && p[0] == ':' &&
	    c->ob.len > 0 && c->ob.p[c->ob.len - 1] == ':'))
		ob_put(&c->ob, " ", 1);
	ob_put(&c->ob, p, n);
	c->prev = cl;
	c->prev_operand = operand;
}

/* Unary signs that did not end up in a literal are operators after all. */
static void
flush_signs(struct ctx *c)
{
	unsigned int i, n = c->nsigns;
	uint64_t s = c->signs;

	c->nsigns = 0;
	c->signs = 0;
	for (i = 0; i < n; i++)
		emit(c, C_OP, (s >> i) & 1 ? "-" : "+", 1, 0);
}

static int
open_paren(struct ctx *c, const struct sqltok *t)
{
	struct level *l = &c->lev[c->depth], *nl;
	int br = t->type == SQLTOK_LBRACK;
	int func = c->last_ident && !c->tbl_space;

	if (c->depth == MAX_DEPTH)
		return -1;
	if (!br && !c->skip && l->values == V_COMMA) {
		/* Another VALUES row: take its comma back and write
		 * nothing until it closes. */
		ob_truncate(&c->ob, c->rw_len);
		c->prev = c->rw_prev;
		c->prev_operand = c->rw_operand;
		c->skip = 1;
		c->skip_level = c->depth + 1;
		l->values = V_SKIPPING;
	} else {
		if (!br && l->values == V_FIRST)
			l->values = V_IN_FIRST;
		emit(c, br ? C_LBRACK : C_LPAREN, br ? "[" : "(", 1, 0);
	}
	nl = &c->lev[++c->depth];
	memset(nl, 0, sizeof(*nl));
	if (!br && c->last_role == SQLKW_IN && !c->skip && !c->inner) {
		nl->in_list = 1;
		nl->in_want_item = 1;
		nl->in_pos = c->ob.len;
	}
	nl->func = (uint8_t)func;
	if (c->push_tbl) {
		nl->tbl_return = (uint8_t)c->push_tbl;
		nl->tbl_list = (uint8_t)c->push_list;
		nl->tbl_funcok = (uint8_t)c->push_funcok;
		c->push_tbl = 0;
	}
	return 0;
}

static void
close_paren(struct ctx *c, const struct sqltok *t)
{
	struct level *l = &c->lev[c->depth], *pl;
	int br = t->type == SQLTOK_RBRACK;

	if (c->depth == 0) {
		emit(c, br ? C_RBRACK : C_RPAREN, br ? "]" : ")", 1, 1);
		return;
	}
	if (!br && !c->skip && !c->inner && l->in_list && !l->in_want_item &&
	    l->in_pos <= c->ob.len) {
		ob_truncate(&c->ob, l->in_pos);
		ob_put(&c->ob, "?+", 2);
		c->prev = C_LIT;
	}
	emit(c, br ? C_RBRACK : C_RPAREN, br ? "]" : ")", 1, 1);
	c->depth--;
	if (c->skip && c->depth < c->skip_level)
		c->skip = 0;
	pl = &c->lev[c->depth];
	if (pl->values == V_IN_FIRST || pl->values == V_SKIPPING)
		pl->values = V_AFTER;
	if (l->tbl_return) {
		c->t_state = l->tbl_return;
		c->t_list = l->tbl_list;
		c->t_funcok = l->tbl_funcok;
		c->t_noparen = 0;
	}
}

/* out->command = s, cut to fit as snprintf() would cut it. */
static void
set_command(struct sqlnorm *out, const char *s)
{
	size_t n = strlen(s);

	if (n >= sizeof(out->command))
		n = sizeof(out->command) - 1;
	memcpy(out->command, s, n);
	out->command[n] = '\0';
}

/*
 * Command: the first statement's, found by the lexer's command finder
 * (lib/sqllex.c), as the decoders find it.
 */
static void
command(struct ctx *c, const struct sqltok *t)
{
	sqlcmd_step(&c->cmd, t, c->depth);
	/* The finder's words are static: a new pointer is a new word. */
	if (c->stmt_no == 0 && !c->inner && c->cmd.command != NULL &&
	    c->cmd.command != c->command_set) {
		set_command(c->out, c->cmd.command);
		c->command_set = c->cmd.command;
	}
}

/* A ";": the next statement starts afresh; a trailing one is dropped. */
static void
end_statement(struct ctx *c)
{
	if (c->t_state == T_NAME)
		add_table(c);	/* the name was the last word */
	flush_signs(c);
	if (!c->inner)
		c->pending_semi = 1;
	c->skip = 0;
	c->depth = 0;
	memset(&c->lev[0], 0, sizeof(c->lev[0]));
	c->t_state = T_NONE;
	c->push_tbl = 0;
	c->c_state = CT_OFF;
	c->prep_state = 0;
	c->stmt_start = 1;
	if (c->cmd.seen)
		c->stmt_no++;
	memset(&c->cmd, 0, sizeof(c->cmd));
	c->prev_operand = 0;
}

static int
step(struct ctx *c, const struct sqltok *t)
{
	struct level *l = &c->lev[c->depth];

	if (t->type == SQLTOK_SEMI) {
		end_statement(c);
		return 0;
	}
	command(c, t);
	tables(c, t);

	/* VALUES: anything but the awaited token ends the row list. */
	if ((l->values == V_FIRST && t->type != SQLTOK_LPAREN) ||
	    (l->values == V_AFTER && t->type != SQLTOK_COMMA) ||
	    (l->values == V_COMMA && t->type != SQLTOK_LPAREN))
		l->values = V_NONE;

	/* Unary + and -: held back; folded into a following literal. */
	if (t->type == SQLTOK_OP && t->len == 1 && (t->p[0] == '-' ||
	    t->p[0] == '+') && (c->nsigns > 0 || !c->prev_operand)) {
		if (c->nsigns == MAX_SIGNS)
			return -1;
		if (t->p[0] == '-')
			c->signs |= (uint64_t)1 << c->nsigns;
		c->nsigns++;
		return 0;
	}
	if (sqltok_is_literal(t)) {
		/* Signs before it fold into it. */
		c->nsigns = 0;
		c->signs = 0;
		if (t->type == SQLTOK_PLUSLIST)
			emit(c, C_LIT, "?+", 2, 1);
		else
			emit(c, C_LIT, "?", 1, 1);
		return 0;
	}
	flush_signs(c);
	switch (t->type) {
	case SQLTOK_WORD:
		if (t->kw != NULL) {
			emit(c, t->kw->flags & SQLKW_F_FUNC ? C_KWF : C_KW,
			    t->kw->name, strlen(t->kw->name),
			    (t->kw->flags & SQLKW_F_VALUE) != 0);
			if (t->kw->role == SQLKW_VALUES && !c->skip)
				l->values = V_FIRST;
		} else
			emit(c, C_IDENT, t->p, t->len, 1);
		break;
	case SQLTOK_QIDENT:
	case SQLTOK_VAR:
		emit(c, C_IDENT, t->p, t->len, 1);
		break;
	case SQLTOK_COMMA:
		if (l->values == V_AFTER && !c->skip) {
			c->rw_len = c->ob.len;
			c->rw_prev = c->prev;
			c->rw_operand = c->prev_operand;
			l->values = V_COMMA;
		}
		emit(c, C_COMMA, ",", 1, 0);
		break;
	case SQLTOK_DOT:
		emit(c, C_DOT, ".", 1, 0);
		break;
	case SQLTOK_CAST:
		emit(c, C_CAST, "::", 2, 0);
		break;
	case SQLTOK_OP:
		emit(c, C_OP, t->p, t->len, 0);
		break;
	case SQLTOK_LPAREN:
	case SQLTOK_LBRACK:
		return open_paren(c, t);
	case SQLTOK_RPAREN:
	case SQLTOK_RBRACK:
		close_paren(c, t);
		break;
	default:
		break;
	}
	return 0;
}

/* Lexes and feeds every token; sets c->failed when unsure. */
static int
run(struct ctx *c)
{
	struct sqltok t;
	int r;

	memset(&c->lev[0], 0, sizeof(c->lev[0]));
	c->stmt_start = 1;
	sqllex_init(&c->lx, c->s, c->len, c->d, 0);
	c->lx.comment = sqlcommenter_cb;
	c->lx.arg = c;
	while ((r = sqllex_next(&c->lx, &t)) == 1) {
		if (step(c, &t) == -1) {
			r = -1;
			break;
		}
		if (t.type == SQLTOK_STRING && memchr(t.p, '\\', t.len) != NULL)
			c->bs_seen = 1;
		c->last_role = t.kw != NULL ? t.kw->role : SQLKW_NONE;
		c->last_ident = is_ident_tok(&t);
	}
	if (r == -1 || c->lx.exec_comment)
		c->failed = 1;
	else
		flush_signs(c);
	if (c->t_state == T_NAME)
		add_table(c);
	return c->failed ? -1 : 0;
}

/*
 * The other reading. The lexer assumes the server defaults: MySQL strings
 * take backslash escapes, PostgreSQL standard strings do not. A server
 * with NO_BACKSLASH_ESCAPES (MySQL) or standard_conforming_strings off
 * (PostgreSQL) ends its strings elsewhere when a string holds a
 * backslash, and then what the lexer took for code can be the server's
 * string - customer data - with a comment hiding the rest. So when a
 * string held a backslash, the text is walked once more under the other
 * rule, collecting the bodies of strings and comments. If the text does
 * not lex that way (an unterminated string, a backslash outside one),
 * that reading cannot be the server's and the first stands. Otherwise no
 * word or operator the writer copied may lie in one of those bodies;
 * if one does, the statement is disputed and fails closed.
 */
struct region {
	size_t	start;
	size_t	end;
};

struct regions {
	struct region	*r;
	size_t		 n;
	size_t		 cap;
	int		 oom;
};

static void
region_add(struct regions *rs, size_t start, size_t end)
{
	struct region *nr;
	size_t ncap;

	if (rs->oom)
		return;
	if (rs->n == rs->cap) {
		ncap = rs->cap ? rs->cap * 2 : 16;
		if ((nr = reallocarray(rs->r, ncap, sizeof(*nr))) == NULL) {
			rs->oom = 1;
			return;
		}
		rs->r = nr;
		rs->cap = ncap;
	}
	rs->r[rs->n].start = start;
	rs->r[rs->n].end = end;
	rs->n++;
}

/* A quoted run at i under the other rule; its end, or 0 if open. */
static size_t
alt_quoted(const char *s, size_t n, size_t i, char q, int bs)
{
	for (i++; i < n; i++) {
		if (bs && s[i] == '\\') {
			i++;
			continue;
		}
		if (s[i] != q)
			continue;
		if (i + 1 < n && s[i + 1] == q) {
			i++;
			continue;
		}
		return i + 1;
	}
	return 0;
}

/*
 * Collects string and comment bodies as the other reading sees them;
 * -1 when the text does not lex under it (so it is not the server's).
 */
static int
alt_regions(const struct ctx *c, struct regions *rs)
{
	const char *s = c->s, *e;
	size_t n = c->len, i = 0, j, depth;
	int my = c->d == SQL_MYSQL, exec = 0;
	unsigned char ch, nx;

	while (i < n) {
		ch = (unsigned char)s[i];
		nx = i + 1 < n ? (unsigned char)s[i + 1] : '\0';
		if (sqlchar_space(ch)) {
			i++;
		} else if ((ch == '-' && nx == '-' && (!my || i + 2 >= n ||
		    (unsigned char)s[i + 2] <= ' ')) || (ch == '#' && my)) {
			e = memchr(s + i, '\n', n - i);
			j = e != NULL ? (size_t)(e - s) : n;
			region_add(rs, i, j);
			i = j;
		} else if (ch == '/' && nx == '*') {
			if (my && i + 2 < n && (s[i + 2] == '!' ||
			    (s[i + 2] == 'M' && i + 3 < n &&
			    s[i + 3] == '!'))) {
				if (exec)
					return -1;
				exec = 1;
				i += s[i + 2] == '!' ? 3 : 4;
				continue;
			}
			for (j = i + 2, depth = 1; j + 1 < n && depth > 0; ) {
				if (!my && s[j] == '/' && s[j + 1] == '*') {
					depth++;
					j += 2;
				} else if (s[j] == '*' && s[j + 1] == '/') {
					depth--;
					j += 2;
				} else
					j++;
			}
			if (depth > 0)
				return -1;
			region_add(rs, i, j);
			i = j;
		} else if (ch == '*' && nx == '/' && exec) {
			exec = 0;
			i += 2;
		} else if (ch == '\'' || (ch == '"' && my)) {
			/* The other rule: MySQL strings without escapes,
			 * PostgreSQL ones (E'' too) with them. */
			if ((j = alt_quoted(s, n, i, (char)ch, !my)) == 0)
				return -1;
			region_add(rs, i, j);
			i = j;
		} else if ((ch == '"' && !my) || (ch == '`' && my)) {
			if ((j = alt_quoted(s, n, i, (char)ch, 0)) == 0)
				return -1;
			i = j;
		} else if (ch == '$' && !my && !sqlchar_digit(nx)) {
			/* A dollar quote reads the same either way. */
			for (j = i + 1; j < n && s[j] != '$' &&
			    sqlchar_ident((unsigned char)s[j]); j++)
				;
			if (j >= n || s[j] != '$' ||
			    (e = memmem(s + j + 1, n - j - 1, s + i,
			    j + 1 - i)) == NULL)
				return -1;
			j = (size_t)(e - s) + (j + 1 - i);
			region_add(rs, i, j);
			i = j;
		} else if (sqlchar_ident(ch)) {
			while (i < n && sqlchar_ident((unsigned char)s[i]))
				i++;
		} else if (ch == '\\') {
			return -1;
		} else
			i++;
	}
	return exec ? -1 : 0;
}

/* Whether [start, end) meets a region; *k moves forward only. */
static int
region_hit(const struct regions *rs, size_t *k, size_t start, size_t end)
{
	while (*k < rs->n && rs->r[*k].end <= start)
		(*k)++;
	return *k < rs->n && rs->r[*k].start < end;
}

/*
 * Runs the check described above after a successful first reading.
 * Returns 1 when the statement is disputed: then tables read from a
 * disputed stretch are dropped, and so is the end user (its comment may
 * be the server's string). 0 otherwise, -1 on memory exhaustion.
 */
static int
alt_check(struct ctx *c)
{
	struct regions rs = { NULL, 0, 0, 0 };
	struct sqllex lx;
	struct sqltok t;
	size_t k = 0, i, o;
	int disputed = 0;

	if (alt_regions(c, &rs) == -1 || rs.n == 0) {
		free(rs.r);
		return rs.oom ? -1 : 0;
	}
	if (rs.oom) {
		free(rs.r);
		return -1;
	}
	/* Lex again, exactly as run() did, and look at what was copied. */
	sqllex_init(&lx, c->s, c->len, c->d, 0);
	while (!disputed && sqllex_next(&lx, &t) == 1) {
		if ((t.type == SQLTOK_WORD || t.type == SQLTOK_QIDENT ||
		    t.type == SQLTOK_VAR || t.type == SQLTOK_OP) &&
		    region_hit(&rs, &k, (size_t)(t.p - c->s),
		    (size_t)(t.p + t.len - c->s)))
			disputed = 1;
	}
	if (disputed) {
		/* Candidates are in text order, like the regions. */
		for (i = o = k = 0; i < c->ncand; i++) {
			if (region_hit(&rs, &k, c->cand[i].off,
			    c->cand[i].end)) {
				free(c->cand[i].name);
				continue;
			}
			c->cand[o++] = c->cand[i];
		}
		c->ncand = o;
		free(c->out->end_user);
		c->out->end_user = NULL;
	}
	free(rs.r);
	return disputed;
}

int
sqlnorm(const char *sql, size_t len, const struct sqlnorm_opts *opts,
    struct sqlnorm *out)
{
	return sqlnorm_memo(sql, len, opts, NULL, out);
}

int
sqlnorm_memo(const char *sql, size_t len, const struct sqlnorm_opts *opts,
    struct sqlnorm_fpmemo *memo, struct sqlnorm *out)
{
	static const struct sqlnorm_opts defaults = {
		SQL_POSTGRESQL, NULL, NULL, 0
	};
	struct ctx *c;
	size_t maxlen, valid, k, i;
	char hex[65];
	int over, r;

	if (out == NULL)
		return -1;
	memset(out, 0, sizeof(*out));
	set_command(out, "UNKNOWN");
	if (sql == NULL && len > 0)
		return -1;
	if (opts == NULL)
		opts = &defaults;
	if ((c = malloc(sizeof(*c))) == NULL)
		return -1;
	memset(c, 0, offsetof(struct ctx, cand));
	c->o = opts;
	c->d = opts->dialect == SQL_MYSQL ? SQL_MYSQL : SQL_POSTGRESQL;
	c->out = out;
	c->s = sql != NULL ? sql : "";

	/* Text framed as a C string may carry its terminator: not data. */
	while (len > 0 && sql[len - 1] == '\0')
		len--;
	maxlen = opts->max_len != 0 ? opts->max_len : SQLNORM_DEFAULT_MAX_LEN;
	over = len > maxlen;
	c->len = over ? maxlen : len;
	valid = utf8_valid_prefix((const unsigned char *)c->s, c->len);
	if (valid < c->len)
		over = 1;
	c->len = valid;
	run(c);
	if (over)
		c->failed = 1;
	else if (!c->failed && c->bs_seen) {
		if ((r = alt_check(c)) == -1)
			c->ob.oom = 1;
		else if (r == 1)
			c->failed = c->disputed = 1;
	}

	for (k = 0; k < c->ncand; k++) {
		if (!cand_keep(c, k) || out->ntables == SQLNORM_MAX_TABLES)
			continue;
		for (i = 0; i < out->ntables; i++)
			if (strcmp(out->tables[i], c->cand[k].name) == 0)
				break;
		if (i < out->ntables)
			continue;
		out->tables[out->ntables++] = c->cand[k].name;
		c->cand[k].name = NULL;
	}
	cand_free(c);

	if (c->ob.oom)
		goto fail;
	if (c->failed) {
		/*
		 * The fingerprint of what was read before the doubt, whose
		 * literals are already gone: never of the raw text.
		 */
		struct outbuf fb = { NULL, 0, 0, 0 };

		ob_put(&fb, SQLNORM_UNPARSED " ", strlen(SQLNORM_UNPARSED) + 1);
		if (c->disputed) {
			/* The text itself is in doubt: only what is sure. */
			ob_put(&fb, out->command, strlen(out->command));
			for (i = 0; i < out->ntables; i++) {
				ob_put(&fb, " ", 1);
				ob_put(&fb, out->tables[i],
				    strlen(out->tables[i]));
			}
		} else if (c->ob.p != NULL)
			ob_put(&fb, c->ob.p, c->ob.len);
		if (fb.oom) {
			free(fb.p);
			goto fail;
		}
		sha256_hex(fb.p, fb.len, hex);
		free(fb.p);
		memcpy(out->fingerprint, hex, 16);
		out->fingerprint[16] = '\0';
		out->unparsed = 1;
		if ((out->statement = strdup(SQLNORM_UNPARSED)) == NULL)
			goto fail;
	} else {
		out->statement = c->ob.p != NULL ? c->ob.p : strdup("");
		if (out->statement == NULL)
			goto fail;
		c->ob.p = NULL;
		sqlnorm_fingerprint(memo, out->statement, strlen(out->statement),
		    out->fingerprint);
	}
	free(c->ob.p);
	free(c);
	return 0;

 fail:
	free(c->ob.p);
	free(c);
	sqlnorm_clear(out);
	return -1;
}

void
sqlnorm_clear(struct sqlnorm *n)
{
	size_t i;

	if (n == NULL)
		return;
	free(n->statement);
	for (i = 0; i < n->ntables && i < SQLNORM_MAX_TABLES; i++)
		free(n->tables[i]);
	free(n->end_user);
	memset(n, 0, sizeof(*n));
}
