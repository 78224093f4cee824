/*
 * What a PostgreSQL connection remembers between messages: statement
 * texts (reference counted, bounded for all connections together), the
 * named prepared statements, portals and cursors, the queue of requests
 * the server has not answered, and the SQL statements that change that
 * state (DECLARE, CLOSE, PREPARE, DEALLOCATE, DISCARD, SET search_path)
 * or inherit from it (FETCH, MOVE, EXECUTE). Statement texts are lexed by
 * lib/sqllex.c (lenient mode), the lexer the normaliser uses, so a Query
 * is split and a cursor or prepared statement is named the way db.c's
 * normaliser reads the same text. No I/O; the conversation itself is
 * decode-pgsql.c's.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakwatch/log.h"
#include "leakwatch/sqllex.h"
#include "decode-pgsql.h"

/*
 * Statement texts of every connection together (the agent is single-
 * threaded): at PG_TEXT_MEMORY_MAX a new text is refused - its statement
 * is then reported without text - and counted, so many connections full
 * of prepared statements and pipelined queries cannot exhaust memory.
 */
static size_t	 pg_text_mem;
static uint64_t	 pg_caps_hit;	/* texts refused, queue overflows */

/* Counts a cap reached; says so on the first one. */
static void
cap_hit(const char *cap, const char *effect)
{
	if (pg_caps_hit++ == 0)
		log_warnx("pgsql: %s reached: %s", cap, effect);
}


struct pg_text *
pg_text_new(const char *s, size_t len, int cut)
{
	struct pg_text *t;

	if (len > PG_TEXT_MEMORY_MAX - pg_text_mem ||
	    (t = malloc(sizeof(*t) + len + 1)) == NULL) {
		cap_hit("statement text memory cap",
		    "statements are reported without their text");
		return NULL;
	}
	pg_text_mem += len;
	t->refs = 1;
	t->cut = cut;
	t->len = len;
	if (len > 0)
		memcpy(t->sql, s, len);
	t->sql[len] = '\0';
	return t;
}

struct pg_text *
pg_text_ref(struct pg_text *t)
{
	if (t != NULL)
		t->refs++;
	return t;
}

void
pg_text_unref(struct pg_text *t)
{
	if (t != NULL && --t->refs == 0) {
		pg_text_mem -= t->len;
		free(t);
	}
}

struct pg_named *
pg_table_get(struct pg_conn *c, struct pg_table *tb, const char *name)
{
	size_t i;

	for (i = 0; i < tb->n; i++) {
		if (strcmp(tb->v[i].name, name) == 0) {
			tb->v[i].stamp = ++c->stamp;
			return &tb->v[i];
		}
	}
	return NULL;
}

static void
table_del_at(struct pg_table *tb, size_t i)
{
	free(tb->v[i].name);
	pg_text_unref(tb->v[i].text);
	tb->v[i] = tb->v[--tb->n];
}

void
pg_table_del(struct pg_table *tb, const char *name)
{
	size_t i;

	for (i = 0; i < tb->n; i++) {
		if (strcmp(tb->v[i].name, name) == 0) {
			table_del_at(tb, i);
			return;
		}
	}
}

void
pg_table_clear(struct pg_table *tb)
{
	while (tb->n > 0)
		table_del_at(tb, tb->n - 1);
}

/* Binds name to text (a new reference); evicts the least used at cap. */
void
pg_table_put(struct pg_conn *c, struct pg_table *tb, const char *name,
    struct pg_text *text)
{
	struct pg_named *e;
	size_t i, old;
	char *dup;

	if ((e = pg_table_get(c, tb, name)) != NULL) {
		pg_text_unref(e->text);
		e->text = pg_text_ref(text);
		return;
	}
	if (tb->v == NULL) {
		if ((tb->v = calloc(tb->max, sizeof(*tb->v))) == NULL)
			return;
	}
	if (tb->n == tb->max) {
		old = 0;
		for (i = 1; i < tb->n; i++)
			if (tb->v[i].stamp < tb->v[old].stamp)
				old = i;
		table_del_at(tb, old);
	}
	if ((dup = strdup(name)) == NULL)
		return;
	e = &tb->v[tb->n++];
	e->name = dup;
	e->text = pg_text_ref(text);
	e->stamp = ++c->stamp;
}

struct pg_req *
pg_q_at(struct pg_conn *c, size_t i)
{
	return &c->q[(c->q_head + i) % c->q_cap];
}

struct pg_req *
pg_q_front(struct pg_conn *c)
{
	return c->q_len == 0 ? NULL : pg_q_at(c, 0);
}

void
pg_q_pop(struct pg_conn *c)
{
	struct pg_req *r;

	if (c->q_len == 0)
		return;
	r = pg_q_at(c, 0);
	c->q_text -= r->charge;
	r->charge = 0;
	pg_text_unref(r->text);
	r->text = NULL;
	c->q_head = (c->q_head + 1) % c->q_cap;
	c->q_len--;
}

static int
q_grow(struct pg_conn *c)
{
	struct pg_req *nq;
	size_t ncap, i;

	ncap = c->q_cap == 0 ? 8 : c->q_cap * 2;
	if (ncap > PG_PENDING_MAX)
		return -1;
	if ((nq = calloc(ncap, sizeof(*nq))) == NULL)
		return -1;
	for (i = 0; i < c->q_len; i++)
		nq[i] = *pg_q_at(c, i);
	free(c->q);
	c->q = nq;
	c->q_cap = ncap;
	c->q_head = 0;
	return 0;
}

/*
 * Queues a request. At the cap the newest entry becomes a LOST marker:
 * answers are then attributed to nothing rather than to the wrong
 * statement.
 */
void
pg_q_push(struct pg_conn *c, enum pg_req_kind kind, struct pg_text *text,
    int64_t start)
{
	struct pg_req *r;
	size_t i;
	int partial = 0;

	for (i = 0; i < c->q_len; i++)
		if (pg_q_at(c, i)->kind == REQ_LOST)
			partial = 1;
	if (c->q_len == c->q_cap && q_grow(c) == -1) {
		cap_hit("request queue cap", "answers are attributed to "
		    "nothing until the next ReadyForQuery");
		/* The first allocation failed: no entry to mark lost, and
		 * the answers find none (reported partial, as orphans). */
		if (c->q_len == 0)
			return;
		r = pg_q_at(c, c->q_len - 1);
		c->q_text -= r->charge;
		pg_text_unref(r->text);
		memset(r, 0, sizeof(*r));
		r->kind = REQ_LOST;
		r->partial = 1;
		return;
	}
	/* A client that pipelines megabytes of text the server has not
	 * answered yet: the request keeps its place, not its text. */
	if (text != NULL && text->len > PG_PENDING_TEXT_MAX - c->q_text) {
		cap_hit("per-connection pipelined text cap",
		    "statements are reported without their text");
		text = NULL;
	}
	r = pg_q_at(c, c->q_len++);
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->text = pg_text_ref(text);
	r->charge = text != NULL ? text->len : 0;
	c->q_text += r->charge;
	r->start_us = start;
	r->partial = partial;
}

/* The next statement of a simple Query's text from *pos (sqllex.h). */
int
pg_next_piece(const char *s, size_t len, size_t *pos, size_t *pstart,
    size_t *plen)
{
	return sqlsplit_next(s, len, SQL_POSTGRESQL, pos, pstart, plen);
}

/*
 * A lexer over s from its start, and its first token in t. What reads
 * statement heads here compares words (sqltok_is()) and never asks
 * whether one is a keyword, so the lexer skips that lookup.
 */
static int
first_token(struct sqllex *lx, const char *s, size_t len, struct sqltok *t)
{
	sqllex_init(lx, s, len, SQL_POSTGRESQL,
	    SQLLEX_LENIENT | SQLLEX_NOKEYWORDS);
	return sqllex_next(lx, t);
}

/* The next token as a name (folded unless quoted) into out; 0 or -1. */
static int
next_name(struct sqllex *lx, struct sqltok *t, char *out, size_t outlen)
{
	if (sqllex_next(lx, t) != 1 || sqltok_ident(t, 1, out, outlen) < 0)
		return -1;
	return 0;
}

/*
 * What a FETCH / MOVE / EXECUTE statement inherits from: the text its
 * cursor or prepared statement was declared with. NULL when unknown.
 */
struct pg_text *
pg_origin_of(struct pg_conn *c, const char *s, size_t len, int *is_move)
{
	struct pg_named *e;
	struct sqllex lx;
	struct sqltok t;
	char name[PG_NAME_KEEP];

	*is_move = 0;
	if (first_token(&lx, s, len, &t) != 1)
		return NULL;
	if (sqltok_is(&t, "fetch") || sqltok_is(&t, "move")) {
		*is_move = sqltok_is(&t, "move");
		if (sqlhead_last_ident(s, len, lx.pos, name,
		    sizeof(name)) == -1)
			return NULL;
		e = pg_table_get(c, &c->cursors, name);
		return e == NULL ? NULL : e->text;
	}
	if (sqltok_is(&t, "execute")) {
		if (next_name(&lx, &t, name, sizeof(name)) == -1)
			return NULL;
		e = pg_table_get(c, &c->stmts, name);
		return e == NULL ? NULL : e->text;
	}
	return NULL;
}

/* SET search_path TO a, "B" / SET SCHEMA 'x': into info->search_path. */
static void
set_search_path(struct pg_conn *c, struct sqllex *lx)
{
	struct sqltok t;
	char out[sizeof(c->info->search_path)], id[128];
	size_t o = 0, n;
	int schema = 0, r;

	r = sqllex_next(lx, &t);
	if (r == 1 && (sqltok_is(&t, "session") || sqltok_is(&t, "local")))
		r = sqllex_next(lx, &t);
	if (r == 1 && sqltok_is(&t, "schema"))
		schema = 1;
	else if (r != 1 || !sqltok_is(&t, "search_path"))
		return;
	if (!schema && (sqllex_next(lx, &t) != 1 || (!sqltok_is(&t, "to") &&
	    !(t.type == SQLTOK_OP && t.len == 1 && t.p[0] == '='))))
		return;
	out[0] = '\0';
	while (sqllex_next(lx, &t) == 1) {
		if (t.type == SQLTOK_COMMA)
			continue;
		if (sqltok_is(&t, "default")) {
			o = 0;
			break;
		}
		if (t.type == SQLTOK_STRING && t.p[0] == '\'' && t.len >= 2) {
			n = t.len - 2;
			if (n >= sizeof(id))
				n = sizeof(id) - 1;
			memcpy(id, t.p + 1, n);
			id[n] = '\0';
		} else if (sqltok_ident(&t, 1, id, sizeof(id)) < 0)
			return;
		n = strlen(id);
		if (o + n + 2 > sizeof(out))
			break;
		if (o > 0)
			out[o++] = ',';
		memcpy(out + o, id, n);
		o += n;
		out[o] = '\0';
	}
	out[o] = '\0';
	pg_copy(c->info->search_path, sizeof(c->info->search_path),
	    (const uint8_t *)out, o);
}

/* The text from i on, without leading blanks (a DECLARE's query). */
static struct pg_text *
text_tail(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
	    s[i] == '\r'))
		i++;
	return pg_text_new(s + i, len - i, 0);
}

/* DECLARE name ... CURSOR ... FOR query: the cursor reads the query. */
static void
effect_declare(struct pg_conn *c, const char *s, size_t len)
{
	struct pg_text *text;
	char name[PG_NAME_KEEP];
	size_t query;
	int has_query, hold;

	if (sqlhead_declare(s, len, name, sizeof(name), &query, &has_query,
	    &hold) == -1 || !has_query)
		return;
	if ((text = text_tail(s, len, query)) == NULL)
		return;
	pg_table_put(c, &c->cursors, name, text);
	pg_text_unref(text);
}

/* PREPARE name [(types)] AS statement. */
static void
effect_prepare(struct pg_conn *c, const char *s, size_t len,
    struct sqllex *lx)
{
	struct pg_text *text;
	struct sqltok t;
	char name[PG_NAME_KEEP];
	int depth = 0;

	if (next_name(lx, &t, name, sizeof(name)) == -1)
		return;
	for (;;) {
		if (sqllex_next(lx, &t) != 1)
			return;
		if (t.type == SQLTOK_LPAREN)
			depth++;
		else if (t.type == SQLTOK_RPAREN)
			depth--;
		else if (depth == 0 && sqltok_is(&t, "as"))
			break;
	}
	if ((text = text_tail(s, len, lx->pos)) == NULL)
		return;
	pg_table_put(c, &c->stmts, name, text);
	pg_text_unref(text);
}

/*
 * Session state a successful statement changes: cursors (DECLARE,
 * CLOSE), SQL-level prepared statements (PREPARE, DEALLOCATE), DISCARD
 * ALL, and the search_path.
 */
void
pg_statement_effects(struct pg_conn *c, const char *s, size_t len)
{
	struct sqllex lx;
	struct sqltok t, a;
	char name[PG_NAME_KEEP];
	int more;

	if (first_token(&lx, s, len, &t) != 1)
		return;
	if (sqltok_is(&t, "declare")) {
		effect_declare(c, s, len);
		return;
	}
	if (sqltok_is(&t, "prepare")) {
		effect_prepare(c, s, len, &lx);
		return;
	}
	if (sqltok_is(&t, "set")) {
		set_search_path(c, &lx);
		return;
	}
	more = sqllex_next(&lx, &a) == 1;
	if (more && sqltok_is(&t, "deallocate") && sqltok_is(&a, "prepare"))
		more = sqllex_next(&lx, &a) == 1;
	if (!more)
		return;
	if (sqltok_is(&t, "close")) {
		if (sqltok_is(&a, "all"))
			pg_table_clear(&c->cursors);
		else if (sqltok_ident(&a, 1, name, sizeof(name)) >= 0)
			pg_table_del(&c->cursors, name);
	} else if (sqltok_is(&t, "deallocate")) {
		if (sqltok_is(&a, "all"))
			pg_table_clear(&c->stmts);
		else if (sqltok_ident(&a, 1, name, sizeof(name)) >= 0)
			pg_table_del(&c->stmts, name);
	} else if (sqltok_is(&t, "discard") && sqltok_is(&a, "all")) {
		pg_table_clear(&c->stmts);
		pg_table_clear(&c->portals);
		pg_table_clear(&c->cursors);
		c->info->search_path[0] = '\0';
	} else if (sqltok_is(&t, "reset") && (sqltok_is(&a, "all") ||
	    sqltok_is(&a, "search_path")))
		c->info->search_path[0] = '\0';
}
