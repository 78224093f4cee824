/*
 * What a MySQL session remembers between commands, for the wire decoder
 * (decode-mysql.c): binary-protocol prepared statements by id (their
 * texts bounded for all sessions together), SQL-level PREPAREd names, and
 * the SQL text the decoder acts on: the statements of a multi-statement
 * COM_QUERY and USE / PREPARE / EXECUTE / DEALLOCATE, read with
 * lib/sqllex.c (lenient mode), the lexer the normaliser uses, so a
 * statement is split and named the way db.c's normaliser reads it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "leakwatch/log.h"
#include "leakwatch/sqllex.h"
#include "decode-mysql.h"

/*
 * Remembered statement texts (binary-protocol and SQL-level prepares) of
 * every session together, the agent being single-threaded: past
 * STMT_MEMORY_MAX a new one is not remembered (its executions report no
 * text) and counted, so many idle sessions full of prepared statements
 * cannot exhaust memory.
 */
static size_t	 my_stmt_mem;
static uint64_t	 my_stmt_refused;

/* A copy of a statement text, charged to my_stmt_mem; NULL at the cap. */
static char *
stmt_text_new(const uint8_t *sql, size_t len)
{
	char *copy;

	if (len > STMT_MEMORY_MAX - my_stmt_mem ||
	    (copy = malloc(len + 1)) == NULL) {
		if (my_stmt_refused++ == 0)
			log_warnx("mysql: prepared statement memory cap "
			    "reached: executions are reported without text");
		return NULL;
	}
	my_stmt_mem += len;
	if (len > 0)
		memcpy(copy, sql, len);
	copy[len] = '\0';
	return copy;
}

static void
stmt_text_free(char *sql, size_t len)
{
	if (sql != NULL) {
		my_stmt_mem -= len;
		free(sql);
	}
}

static struct stmt *
stmt_find(struct mysql *s, uint32_t id)
{
	size_t i;

	for (i = 0; i < s->nstmts; i++)
		if (s->stmts[i].id == id)
			return &s->stmts[i];
	return NULL;
}

void
stmt_remove(struct mysql *s, uint32_t id)
{
	struct stmt *st;

	if ((st = stmt_find(s, id)) == NULL)
		return;
	s->stmt_bytes -= st->len;
	stmt_text_free(st->sql, st->len);
	*st = s->stmts[--s->nstmts];
}

/*
 * Remembers statement id -> text. At the count or byte cap the least
 * recently used statement goes: its executions then report no text
 * ("EXECUTE"), which is better than refusing new ones.
 */
void
stmt_add(struct mysql *s, uint32_t id, const uint8_t *sql, size_t len,
    int cut)
{
	struct stmt *st;
	size_t i, lru;
	char *copy;

	stmt_remove(s, id);
	while (s->nstmts > 0 && (s->nstmts == STMT_MAX ||
	    s->stmt_bytes + len > STMT_BYTES_MAX)) {
		lru = 0;
		for (i = 1; i < s->nstmts; i++)
			if (s->stmts[i].used < s->stmts[lru].used)
				lru = i;
		stmt_remove(s, s->stmts[lru].id);
	}
	if (len > STMT_BYTES_MAX || (copy = stmt_text_new(sql, len)) == NULL)
		return;
	st = &s->stmts[s->nstmts++];
	st->id = id;
	st->sql = copy;
	st->len = len;
	st->cut = cut;
	st->used = ++s->stmt_clock;
	s->stmt_bytes += len;
}

void
stmt_clear(struct mysql *s)
{
	size_t i;

	for (i = 0; i < s->nstmts; i++)
		stmt_text_free(s->stmts[i].sql, s->stmts[i].len);
	s->nstmts = 0;
	s->stmt_bytes = 0;
	for (i = 0; i < s->nsqlprep; i++)
		stmt_text_free(s->sqlprep[i].sql, s->sqlprep[i].len);
	s->nsqlprep = 0;
}

/* Fills c->sql (and origin) from the statement the command names. */
void
stmt_bind(struct mysql *s, struct cmd *c)
{
	struct stmt *st;
	uint32_t id = c->stmt_id;

	if (id == 0xffffffffU && s->last_prepared_ok)
		id = s->last_prepared;
	if ((st = stmt_find(s, id)) == NULL) {
		bytes_set(&c->sql, "", 0);
		c->command = c->code == COM_STMT_FETCH ? "FETCH" : "EXECUTE";
		return;
	}
	st->used = ++s->stmt_clock;
	bytes_set(&c->sql, st->sql, st->len);
	c->cut = st->cut;
	c->has_origin = 1;
	c->origin_is_sql = 1;
}

/* SQL-level PREPARE names: case-insensitive identifiers. */
static struct sqlprep *
sqlprep_find(struct mysql *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nsqlprep; i++)
		if (strcasecmp(s->sqlprep[i].name, name) == 0)
			return &s->sqlprep[i];
	return NULL;
}

void
sqlprep_remove(struct mysql *s, const char *name)
{
	struct sqlprep *p;

	if ((p = sqlprep_find(s, name)) == NULL)
		return;
	stmt_text_free(p->sql, p->len);
	*p = s->sqlprep[--s->nsqlprep];
}

void
sqlprep_add(struct mysql *s, const char *name, const uint8_t *sql,
    size_t len, int known)
{
	struct sqlprep *p;

	sqlprep_remove(s, name);
	if (s->nsqlprep == SQLPREP_MAX) {
		/* Full: the oldest goes (index 0 is as good as any). */
		stmt_text_free(s->sqlprep[0].sql, s->sqlprep[0].len);
		s->sqlprep[0] = s->sqlprep[--s->nsqlprep];
	}
	p = &s->sqlprep[s->nsqlprep++];
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->sql = NULL;
	p->len = 0;
	if (known && (p->sql = stmt_text_new(sql, len)) != NULL)
		p->len = len;
}

/* Where the statement being answered starts in c->sql. */
static size_t
piece_start(const struct cmd *c)
{
	return c->npieces > 0 ? c->piece[c->cur] : 0;
}

/* A lexer over c->sql from the current statement, and its first token. */
static int
piece_token(const struct cmd *c, struct sqllex *lx, struct sqltok *t)
{
	sqllex_init(lx, (const char *)c->sql.data, c->sql.len, SQL_MYSQL,
	    SQLLEX_LENIENT);
	lx->pos = piece_start(c);
	return sqllex_next(lx, t);
}

/* The next token as a name, plain or `quoted`, into name; 0 or -1. */
static int
next_name(struct sqllex *lx, char *name, size_t namesz)
{
	struct sqltok t;
	int n;

	if (sqllex_next(lx, &t) != 1 ||
	    (n = sqltok_ident(&t, 0, name, namesz)) <= 0 ||
	    (size_t)n >= namesz || memchr(name, '\0', (size_t)n) != NULL)
		return -1;
	return 0;
}

/*
 * The next token, a quoted string literal, unescaped into out: '' and \x
 * escapes. Used only for the text of PREPARE ... FROM '...', which serves
 * as the origin of its EXECUTEs (tables and command); db.c normalises it.
 */
static int
next_string(struct sqllex *lx, struct bytes *out)
{
	struct sqltok t;
	size_t i, n = 0;
	uint8_t q, c;

	if (sqllex_next(lx, &t) != 1 || t.type != SQLTOK_STRING ||
	    (t.p[0] != '\'' && t.p[0] != '"'))
		return -1;
	q = (uint8_t)t.p[0];
	if (bytes_reserve(out, t.len) == -1)
		return -1;
	for (i = 1; i + 1 < t.len; i++) {
		c = (uint8_t)t.p[i];
		if (c == q)
			i++;		/* a doubled quote */
		else if (c == '\\') {
			c = (uint8_t)t.p[++i];
			if (c == 'n')
				c = '\n';
			else if (c == 't')
				c = '\t';
			else if (c == 'r')
				c = '\r';
			else if (c == '0')
				c = ' ';
		}
		out->data[n++] = c;
	}
	out->data[n] = '\0';
	out->len = n;
	return 0;
}

/*
 * Classifies the statement being answered (the first one of a
 * COM_QUERY, then each next one) for the statements acted on here.
 */
void
classify_sql(struct mysql *s, struct cmd *c)
{
	struct sqllex lx;
	struct sqltok t;
	struct sqlprep *sp;

	c->sqlkind = SQ_OTHER;
	c->has_origin = 0;
	c->inner_known = 0;
	if (c->sql.data == NULL || piece_token(c, &lx, &t) != 1)
		return;
	if (sqltok_is(&t, "use")) {
		if (next_name(&lx, c->name, sizeof(c->name)) == 0)
			c->sqlkind = SQ_USE;
	} else if (sqltok_is(&t, "prepare")) {
		if (next_name(&lx, c->name, sizeof(c->name)) == -1 ||
		    sqllex_next(&lx, &t) != 1 || !sqltok_is(&t, "from"))
			return;
		c->sqlkind = SQ_PREPARE;
		c->inner_known = next_string(&lx, &c->inner) == 0;
	} else if (sqltok_is(&t, "execute")) {
		if (next_name(&lx, c->name, sizeof(c->name)) == -1)
			return;
		c->sqlkind = SQ_EXECUTE;
		if ((sp = sqlprep_find(s, c->name)) != NULL &&
		    sp->sql != NULL) {
			bytes_set(&c->origin, sp->sql, sp->len);
			c->has_origin = 1;
		}
	} else if (sqltok_is(&t, "deallocate") || sqltok_is(&t, "drop")) {
		if (sqllex_next(&lx, &t) == 1 && sqltok_is(&t, "prepare") &&
		    next_name(&lx, c->name, sizeof(c->name)) == 0)
			c->sqlkind = SQ_DEALLOCATE;
	}
}

/*
 * Where the statements of a multi-statement COM_QUERY start (sqllex.h:
 * at each ';' outside quotes and comments, statements without a token
 * skipped; comments before a statement belong to it). The server answers
 * each statement with its own result (SERVER_MORE_RESULTS_EXISTS between
 * them), so each is reported as a query of its own; a CALL's result sets
 * all belong to it.
 */
void
split_statements(struct cmd *c)
{
	size_t pos = 0, start, len;

	c->npieces = 1;
	c->piece[0] = 0;
	c->cur = 0;
	if (c->sql.data == NULL ||
	    !sqlsplit_next((const char *)c->sql.data, c->sql.len, SQL_MYSQL,
	    &pos, &start, &len))
		return;
	while (c->npieces < PIECES_MAX &&
	    sqlsplit_next((const char *)c->sql.data, c->sql.len, SQL_MYSQL,
	    &pos, &start, &len))
		c->piece[c->npieces++] = start;
}

int
piece_is_call(const struct cmd *c)
{
	struct sqllex lx;
	struct sqltok t;

	return c->sql.data != NULL && piece_token(c, &lx, &t) == 1 &&
	    sqltok_is(&t, "call");
}
