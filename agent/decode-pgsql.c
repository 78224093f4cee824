/*
 * The PostgreSQL frontend/backend protocol decoder (protocol 3.0 and 3.2),
 * one instance per TCP connection. db.c hands it each direction's bytes in
 * order, in whatever pieces TCP delivered them; it frames messages, follows
 * the conversation and reports each statement's outcome (rows, bytes,
 * SQLSTATE, timing) and the session's events through struct db_out.
 *
 * What it keeps: a few header bytes per direction, the text of statements
 * still waiting for their result (cut at cfg->statement_max), a bounded
 * table of prepared statements, portals and cursors, and a queue of the
 * requests the server has not answered yet. Row data (DataRow, CopyData)
 * is counted and skipped, never buffered, so a result of any size costs
 * the same memory. It is not a validator of the protocol: bytes that do
 * not frame as messages are skipped until a plausible message boundary
 * (resynchronisation), and everything reported across such a hole is
 * marked partial.
 *
 * Matching: the server answers requests strictly in order, so every
 * request that expects an answer (Query, Parse, Bind, Describe, Execute,
 * Close, Sync, FunctionCall) joins a FIFO when the client sends it, and
 * each response pops or feeds its head. A simple Query may hold several
 * statements: its text is split on top-level semicolons and the pieces
 * are paired in order with the CommandComplete / ErrorResponse messages.
 * Execute with a row limit reports each Execute (up to PortalSuspended or
 * CommandComplete) as a query of its own with its own rows.
 *
 * Never reported: row contents, parameter values, error and notice texts
 * (only the SQLSTATE). Statement text is passed to db.c raw, which
 * normalises it before anything leaves the host.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "leakwatch/log.h"
#include "leakwatch/util.h"
#include "decode-pgsql.h"

static void	pg_dir_feed(struct pg_conn *, enum db_dir, const uint8_t *,
		    size_t, int64_t);

/*
 * Reports one statement. sql/len is its text (NULL: unknown), cut says
 * the text was cut short; tag is the CommandComplete tag or NULL. The
 * row rules: rows_returned counts DataRow / CopyData sent to the client;
 * the tag's count wins when they disagree (bytes were lost); a tag count
 * of a statement that sent no rows (INSERT/UPDATE/DELETE/MERGE, COPY FROM,
 * COPY TO a file, SELECT INTO / CREATE TABLE AS) is rows_affected.
 */
static void
report(struct pg_conn *c, const char *sql, size_t len, int cut,
    const char *tag, const char *sqlstate, int partial, int64_t start,
    int64_t end)
{
	struct db_query q;
	struct pg_tag tg;
	struct pg_text *origin;
	struct pg_cur *cur = &c->cur;
	char cmd[32];
	size_t i;
	int is_move = 0;

	memset(&q, 0, sizeof(q));
	memset(&tg, 0, sizeof(tg));
	if (tag != NULL)
		pg_tag_parse(tag, &tg);
	if (sql == NULL) {
		sql = "";
		len = 0;
	}
	/* A cut text kept to stmt_max + 1 bytes is over the limit already. */
	if (cut && len < c->stmt_max + 1 &&
	    str_cut_pad(&c->pad, c->stmt_max, &sql, &len) != 0)
		return;
	q.sql = sql;
	q.sql_len = len;
	if (len > 0 && (origin = pg_origin_of(c, sql, len, &is_move)) != NULL) {
		q.origin_sql = origin->sql;
		q.origin_len = origin->len;
	}
	if (is_move)
		q.command = "MOVE";
	else if (len == 0) {
		/* Text unknown (picked up mid-stream): the tag's verb. */
		for (i = 0; tg.word[i] != '\0' && i + 1 < sizeof(cmd); i++)
			cmd[i] = tg.word[i];
		cmd[i] = '\0';
		q.command = i > 0 ? cmd : "UNKNOWN";
	}
	partial = partial || cur->partial;
	q.rows_returned = cur->rows;
	if (cur->copy_out) {
		if (cur->copy_binary)
			/* Header rides with the first row, trailer alone. */
			q.rows_returned = cur->copy_rows > 0 ?
			    cur->copy_rows - 1 : 0;
		else
			q.rows_returned = cur->copy_rows;
		if (tg.has_n && strcmp(tg.word, "COPY") == 0)
			q.rows_returned = tg.n;
	} else if (tg.has_n && (strcmp(tg.word, "INSERT") == 0 ||
	    strcmp(tg.word, "UPDATE") == 0 || strcmp(tg.word, "DELETE") == 0 ||
	    strcmp(tg.word, "MERGE") == 0 || strcmp(tg.word, "COPY") == 0)) {
		q.rows_affected = tg.n;
		q.has_affected = 1;
	} else if (tg.has_n && (strcmp(tg.word, "SELECT") == 0 ||
	    strcmp(tg.word, "FETCH") == 0)) {
		if (cur->rows > 0 || cur->rowdesc || partial)
			q.rows_returned = tg.n;
		else if (tg.n > 0) {
			q.rows_affected = tg.n;
			q.has_affected = 1;
		}
	}
	q.bytes = cur->bytes + c->prelude_bytes;
	c->prelude_bytes = 0;
	q.start_us = start;
	q.end_us = end < start ? start : end;
	if (sqlstate != NULL) {
		q.error = 1;
		pg_copy(q.error_code, sizeof(q.error_code),
		    (const uint8_t *)sqlstate, strlen(sqlstate));
	}
	q.partial = partial;
	c->queries++;
	if (c->out.query != NULL)
		c->out.query(c->out.arg, c->info, &q);
	if (sqlstate == NULL && len > 0 && !cut)
		pg_statement_effects(c, sql, len);
	if (sql == c->pad) {
		/* Rare: do not keep statement_max bytes per connection. */
		free(c->pad);
		c->pad = NULL;
	}
}

static void
cur_reset(struct pg_conn *c)
{
	memset(&c->cur, 0, sizeof(c->cur));
}

/*
 * The request a result belongs to: the queue head, once Parse / Bind /
 * Describe / Close entries whose answers never came (lost bytes) are
 * stepped over. NULL: none known (the result is an orphan).
 */
static struct pg_req *
head_exec(struct pg_conn *c)
{
	struct pg_req *r;

	while ((r = pg_q_front(c)) != NULL) {
		if (r->kind == REQ_QUERY || r->kind == REQ_EXECUTE ||
		    r->kind == REQ_FUNC)
			return r;
		if (r->kind == REQ_SYNC || r->kind == REQ_LOST)
			return NULL;
		pg_q_pop(c);
	}
	return NULL;
}

/* A result message arrived: make sure a statement is open for it. */
static void
cur_begin(struct pg_conn *c, int64_t ts)
{
	struct pg_req *r;

	if (c->cur.active)
		return;
	c->cur.active = 1;
	c->cur.start_us = ts;
	if ((r = head_exec(c)) == NULL) {
		c->cur.orphan = 1;
		c->cur.partial = 1;
		return;
	}
	c->cur.partial = r->partial;
	if (r->kind == REQ_EXECUTE)
		c->cur.rowdesc = c->prelude_rowdesc;
}

/*
 * The statement open now ended: with a tag (CommandComplete), without
 * (PortalSuspended; EmptyQueryResponse, where empty says not to report),
 * or with an error.
 */
static void
cur_end(struct pg_conn *c, const char *tag, const char *sqlstate,
    int empty, int64_t ts)
{
	struct pg_req *r;
	size_t ps, pl;
	int64_t start;

	cur_begin(c, ts);
	if (c->cur.orphan) {
		if (!empty)
			report(c, NULL, 0, 0, tag, sqlstate, 1,
			    c->cur.start_us, ts);
		cur_reset(c);
		return;
	}
	r = head_exec(c);
	if (r == NULL) {
		cur_reset(c);
		return;
	}
	if (r->kind == REQ_QUERY) {
		start = r->start_us;
		if (!empty && r->text != NULL && pg_next_piece(r->text->sql,
		    r->text->len, &r->pos, &ps, &pl))
			report(c, r->text->sql + ps, pl, r->text->cut &&
			    ps + pl == r->text->len, tag, sqlstate,
			    r->partial, start, ts);
		else if (!empty)
			/* More results than statements we could split, or
			 * the text was dropped at a memory cap. */
			report(c, NULL, 0, 0, tag, sqlstate, r->text != NULL ||
			    r->partial, start, ts);
		/* The next statement of this Query starts now. */
		r->start_us = ts;
		r->pieces++;
		cur_reset(c);
		return;
	}
	if (r->kind == REQ_EXECUTE && !empty)
		report(c, r->text ? r->text->sql : NULL, r->text ?
		    r->text->len : 0, r->text != NULL && r->text->cut, tag,
		    sqlstate, r->partial, r->start_us, ts);
	pg_q_pop(c);
	cur_reset(c);
}

/* Drops queued requests up to (not including) the next Sync. */
static void
drop_to_sync(struct pg_conn *c)
{
	struct pg_req *r;

	while ((r = pg_q_front(c)) != NULL && r->kind != REQ_SYNC &&
	    r->kind != REQ_QUERY && r->kind != REQ_LOST)
		pg_q_pop(c);
	if (r == NULL)
		c->skip_to_sync = 1;
}

static void
on_error(struct pg_conn *c, const uint8_t *b, size_t n, int64_t ts)
{
	struct pg_req *r;
	char code[16];

	pg_error_code(b, n, code, sizeof(code));
	if (code[0] == '\0')
		memcpy(code, "XX000", 6);
	/* An error before the first ReadyForQuery refuses the login, even
	 * after AuthenticationOk (no such database, too many connections). */
	if (c->startup_seen && !c->ready && c->q_len == 0) {
		if (!c->auth_failed && c->out.session != NULL)
			c->out.session(c->out.arg, c->info, "auth_failed", ts,
			    code);
		c->auth_failed = 1;
		return;
	}
	r = pg_q_front(c);
	if (c->cur.active && c->cur.orphan) {
		cur_end(c, NULL, code, 0, ts);
		return;
	}
	if (r == NULL || r->kind == REQ_LOST || r->kind == REQ_SYNC) {
		/* FATAL at shutdown, or an error we cannot place. */
		if (r != NULL && r->kind == REQ_LOST) {
			cur_begin(c, ts);
			cur_end(c, NULL, code, 0, ts);
		}
		return;
	}
	if (r->kind == REQ_QUERY) {
		/* The rest of the Query's statements do not run. */
		cur_end(c, NULL, code, 0, ts);
		return;
	}
	if (r->kind == REQ_EXECUTE) {
		cur_end(c, NULL, code, 0, ts);	/* pops the Execute */
		drop_to_sync(c);
		return;
	}
	/* Parse, Bind, Describe, Close, FunctionCall: report with the text
	 * of the statement it concerned; the rest up to Sync is skipped. */
	cur_reset(c);
	report(c, r->text ? r->text->sql : NULL, r->text ? r->text->len : 0,
	    r->text != NULL && r->text->cut, NULL, code, r->partial,
	    r->start_us, ts);
	cur_reset(c);
	drop_to_sync(c);
}

/* ReadyForQuery: everything up to the first Sync/Query is answered. */
static void
on_ready(struct pg_conn *c)
{
	struct pg_req *r;
	enum pg_req_kind k;

	if (c->cur.active && c->cur.orphan)
		cur_reset(c);
	while ((r = pg_q_front(c)) != NULL) {
		k = r->kind;
		pg_q_pop(c);
		if (k == REQ_SYNC || k == REQ_QUERY || k == REQ_LOST)
			break;
	}
	cur_reset(c);
	c->prelude_bytes = 0;
	c->prelude_rowdesc = 0;
	c->authed = 1;
	c->ready = 1;
}

/*
 * The request an acknowledgement answers: ParseComplete, BindComplete,
 * CloseComplete, NoData (a Describe that has no rows to describe).
 */
static enum pg_req_kind
acked_kind(uint8_t type)
{
	return type == '1' ? REQ_PARSE : type == '2' ? REQ_BIND :
	    type == '3' ? REQ_CLOSE : REQ_DESCRIBE;
}

/* Pops the head if it is of kind k (stepping over unanswered ones). */
static void
pop_kind(struct pg_conn *c, enum pg_req_kind k)
{
	struct pg_req *r;
	size_t i;

	for (i = 0; i < c->q_len; i++) {
		r = pg_q_at(c, i);
		if (r->kind == k)
			break;
		if (r->kind == REQ_SYNC || r->kind == REQ_QUERY ||
		    r->kind == REQ_LOST || r->kind == REQ_EXECUTE)
			return;
	}
	if (i == c->q_len)
		return;
	while (i-- > 0)
		pg_q_pop(c);
	pg_q_pop(c);
}

static void
session_event(struct pg_conn *c, const char *action, int64_t ts,
    const char *code)
{
	if (c->out.session != NULL)
		c->out.session(c->out.arg, c->info, action, ts, code);
}

static void
go_tls(struct pg_conn *c, int64_t ts)
{
	c->tls = 1;
	c->dir[0].st = DS_OFF;
	c->dir[1].st = DS_OFF;
	session_event(c, "tls", ts, NULL);
}

/*
 * The start-up "options" (PGOPTIONS: "-c search_path=crm,public" or
 * "--search_path=crm"): backend switches separated by blanks, a
 * backslash escaping the next character. Only search_path matters here.
 */
static void
startup_options(struct pg_conn *c, const char *s, size_t n)
{
	static const char key[] = "search_path=";
	char arg[256];
	size_t i = 0, o;

	while (i < n) {
		while (i < n && s[i] == ' ')
			i++;
		for (o = 0; i < n && s[i] != ' '; i++) {
			if (s[i] == '\\' && i + 1 < n)
				i++;
			if (o + 1 < sizeof(arg))
				arg[o++] = s[i];
		}
		arg[o] = '\0';
		if (strncmp(arg, "--", 2) == 0 || strncmp(arg, "-c", 2) == 0)
			memmove(arg, arg + 2, strlen(arg + 2) + 1);
		if (strncmp(arg, key, sizeof(key) - 1) == 0)
			pg_copy(c->info->search_path,
			    sizeof(c->info->search_path),
			    (const uint8_t *)arg + sizeof(key) - 1,
			    strlen(arg + sizeof(key) - 1));
	}
}

/* StartupMessage parameters: user, database, application_name. */
static void
on_startup(struct pg_conn *c, const uint8_t *b, size_t n)
{
	const char *k;
	const uint8_t *v;
	size_t i = 0;
	long kl, vl;
	int have_db = 0;

	while (i < n && b[i] != '\0') {
		if ((kl = pg_cstr(b + i, n - i)) < 0)
			break;
		if ((vl = pg_cstr(b + i + kl + 1, n - i - (size_t)kl - 1)) < 0)
			break;
		k = (const char *)b + i;
		v = b + i + kl + 1;
		if (strcmp(k, "user") == 0)
			pg_copy(c->info->db_user, sizeof(c->info->db_user), v,
			    (size_t)vl);
		else if (strcmp(k, "database") == 0 && vl > 0) {
			pg_copy(c->info->database, sizeof(c->info->database),
			    v, (size_t)vl);
			have_db = 1;
		} else if (strcmp(k, "application_name") == 0)
			pg_copy(c->info->app_name, sizeof(c->info->app_name),
			    v, (size_t)vl);
		else if (strcmp(k, "options") == 0)
			startup_options(c, (const char *)v, (size_t)vl);
		i += (size_t)kl + 1 + (size_t)vl + 1;
	}
	/* The server's default database is the user's name. */
	if (!have_db)
		pg_copy(c->info->database, sizeof(c->info->database),
		    (const uint8_t *)c->info->db_user,
		    strlen(c->info->db_user));
}

/*
 * A simple Query after server bytes were lost. Clients send one only
 * once every earlier answer has reached them (ReadyForQuery; the simple
 * protocol is not pipelined), so whatever is still open or queued was
 * answered in the lost bytes: it is reported partial now, and the
 * server's next byte starts this Query's answer. Without this, a lost
 * CommandComplete + ReadyForQuery would shift every later answer onto
 * the statement before it.
 */
static void
answers_lost(struct pg_conn *c, int64_t ts)
{
	struct pg_dir *dr = &c->dir[DB_FROM_SERVER];
	struct pg_req *r;

	c->srv_lost = 0;
	if (c->cur.active) {
		c->cur.partial = 1;
		cur_end(c, NULL, NULL, 0, ts);
	}
	while (c->q_len > 0) {
		if ((r = head_exec(c)) == NULL) {
			pg_q_pop(c);	/* Sync, lost marker */
			continue;
		}
		if (r->kind == REQ_EXECUTE || (r->kind == REQ_QUERY &&
		    r->pieces == 0)) {
			cur_begin(c, ts);
			c->cur.partial = 1;
			cur_end(c, NULL, NULL, 0, ts);	/* pops an Execute */
		}
		if (c->q_len > 0 && pg_q_front(c) == r)
			pg_q_pop(c);
	}
	cur_reset(c);
	c->prelude_bytes = 0;
	c->prelude_rowdesc = 0;
	c->skip_to_sync = 0;
	/* Out of sync: the server's next byte starts this Query's answer.
	 * (In sync, a message under way is an asynchronous one - a
	 * notification - and is left to finish.) */
	if (dr->st == DS_RESYNC) {
		dr->st = DS_MSG;
		dr->in_body = 0;
		dr->hdr_have = 0;
		dr->npush = 0;
		dr->buf_have = 0;
		dr->damaged = 0;
		free(dr->win);
		dr->win = NULL;
		dr->win_len = 0;
	}
}

/* Client messages. */

/*
 * The statement or portal name at b (a C string within have bytes) into
 * name; its length, or -1 when it is not terminated in the window.
 */
static long
name_at(const uint8_t *b, size_t have, char *name, size_t namelen)
{
	long l;

	if ((l = pg_cstr(b, have)) >= 0)
		pg_copy(name, namelen, b, (size_t)l);
	return l;
}

/*
 * The text of a statement the client sent (len bytes at p), kept to
 * statement_max bytes and one more, so that a text over the limit stays
 * over it and the normaliser fails closed on it; cut comes in set when
 * bytes are missing.
 */
static struct pg_text *
stmt_text(const struct pg_conn *c, const uint8_t *p, size_t len, int cut)
{
	if (len > c->stmt_max) {
		cut = 1;
		if (len > c->stmt_max + 1)
			len = c->stmt_max + 1;
	}
	return pg_text_new((const char *)p, len, cut);
}

static void
on_client(struct pg_conn *c, uint8_t type, const uint8_t *b, size_t have,
    size_t total, int damaged)
{
	struct pg_dir *dr = &c->dir[DB_FROM_CLIENT];
	struct pg_named *e;
	struct pg_text *text = NULL;
	char name[PG_NAME_KEEP], stmt[PG_NAME_KEEP];
	long l, l2;
	size_t qlen, i;
	uint32_t code;

	if (type == 0) {
		if (have < 4)
			return;
		code = pg_be32(b);
		if (code == PG_CODE_SSL || code == PG_CODE_GSS) {
			c->await_ssl = 1;
			return;
		}
		if (code == PG_CODE_CANCEL)
			return;
		if (code >> 16 == PG_MAJOR3) {
			on_startup(c, b + 4, have - 4);
			c->startup_seen = 1;
			dr->st = DS_MSG;
		}
		return;
	}
	if (c->skip_to_sync) {
		/* The server discards these until Sync after an error. */
		switch (type) {
		case 'Q':
		case 'P':
		case 'B':
		case 'D':
		case 'E':
		case 'C':
		case 'F':
		case 'H':
			return;
		default:
			break;
		}
	}
	if (type == 'P' || type == 'B' || type == 'D' || type == 'E' ||
	    type == 'C' || type == 'F') {
		if (!c->batch_open) {
			c->batch_open = 1;
			c->batch_start = dr->msg_ts;
		}
	}
	switch (type) {
	case 'Q':
		if (total == 0)
			break;
		if (c->srv_lost)
			answers_lost(c, dr->msg_ts);
		qlen = total - 1;
		text = stmt_text(c, b, have < qlen ? have : qlen,
		    damaged || qlen > c->stmt_max);
		pg_q_push(c, REQ_QUERY, text, dr->msg_ts);
		pg_text_unref(text);
		break;
	case 'P':
		if ((l = name_at(b, have, name, sizeof(name))) < 0)
			break;
		i = (size_t)l + 1;
		l2 = pg_cstr(b + i, have - i);
		text = stmt_text(c, b + i, l2 < 0 ? have - i : (size_t)l2,
		    damaged || l2 < 0);
		if (text != NULL)
			pg_table_put(c, &c->stmts, name, text);
		pg_q_push(c, REQ_PARSE, text, c->batch_start);
		pg_text_unref(text);
		break;
	case 'B':
		if ((l = name_at(b, have, name, sizeof(name))) < 0)
			break;
		i = (size_t)l + 1;
		if (name_at(b + i, have - i, stmt, sizeof(stmt)) < 0)
			break;
		e = pg_table_get(c, &c->stmts, stmt);
		text = e == NULL ? NULL : e->text;
		if (text != NULL)
			pg_table_put(c, &c->portals, name, text);
		else
			pg_table_del(&c->portals, name);
		pg_q_push(c, REQ_BIND, text, c->batch_start);
		break;
	case 'D':
		pg_q_push(c, REQ_DESCRIBE, NULL, c->batch_start);
		break;
	case 'E':
		if (name_at(b, have, name, sizeof(name)) < 0)
			break;
		e = pg_table_get(c, &c->portals, name);
		pg_q_push(c, REQ_EXECUTE, e == NULL ? NULL : e->text,
		    c->batch_start);
		c->batch_open = 0;
		break;
	case 'C':
		if (have >= 2 && name_at(b + 1, have - 1, name,
		    sizeof(name)) >= 0)
			pg_table_del(b[0] == 'S' ? &c->stmts : &c->portals,
			    name);
		pg_q_push(c, REQ_CLOSE, NULL, c->batch_start);
		break;
	case 'S':
		pg_q_push(c, REQ_SYNC, NULL, dr->msg_ts);
		c->skip_to_sync = 0;
		c->batch_open = 0;
		break;
	case 'F':
		pg_q_push(c, REQ_FUNC, NULL, c->batch_start);
		c->batch_open = 0;
		break;
	default:
		/* Flush, Terminate, CopyData/Done/Fail, passwords. */
		break;
	}
}

/* Server messages. */

static void
on_server(struct pg_conn *c, uint8_t type, const uint8_t *b, size_t have,
    size_t total, int damaged, int64_t ts)
{
	char tag[PG_SMALL_KEEP + 1];
	uint64_t msgbytes = 5 + (uint64_t)total;
	struct pg_req *r;
	long l, l2;

	if (damaged)
		c->cur.partial = 1;
	switch (type) {
	case 'R':
		/* Connect is reported at the first ReadyForQuery, after
		 * BackendKeyData: session_id is then the backend pid. */
		if (have >= 4 && pg_be32(b) == 0)
			c->auth_ok = 1;
		break;
	case 'S':
		if ((l = pg_cstr(b, have)) < 0)
			break;
		l2 = pg_cstr(b + l + 1, have - (size_t)l - 1);
		if (l2 < 0)
			break;
		if (strcmp((const char *)b, "application_name") == 0)
			pg_copy(c->info->app_name, sizeof(c->info->app_name),
			    b + l + 1, (size_t)l2);
		else if (strcmp((const char *)b, "search_path") == 0)
			pg_copy(c->info->search_path,
			    sizeof(c->info->search_path), b + l + 1,
			    (size_t)l2);
		break;
	case 'K':
		if (have >= 4 && c->info->session_id[0] == '\0')
			snprintf(c->info->session_id,
			    sizeof(c->info->session_id), "%u", pg_be32(b));
		break;
	case 'E':
		if (c->cur.active)
			c->cur.bytes += msgbytes;
		else
			c->prelude_bytes += msgbytes;
		on_error(c, b, have, ts);
		break;
	case 'Z':
		if (c->auth_ok && !c->connected) {
			c->connected = 1;
			session_event(c, "connect", ts, NULL);
		}
		on_ready(c);
		break;
	case '1':
	case '2':
	case '3':
	case 'n':
		c->prelude_bytes += msgbytes;
		pop_kind(c, acked_kind(type));
		break;
	case 't':
		c->prelude_bytes += msgbytes;
		break;
	case 'T':
		r = pg_q_front(c);
		if (!c->cur.active && r != NULL && r->kind == REQ_DESCRIBE) {
			c->prelude_bytes += msgbytes;
			c->prelude_rowdesc = 1;
			pg_q_pop(c);
			break;
		}
		cur_begin(c, ts);
		c->cur.rowdesc = 1;
		c->cur.bytes += msgbytes;
		break;
	case 'D':
		cur_begin(c, ts);
		c->cur.rows++;
		c->cur.bytes += msgbytes;
		break;
	case 'H':
		cur_begin(c, ts);
		c->cur.copy_out = 1;
		c->cur.copy_binary = have >= 1 && b[0] == 1;
		c->cur.bytes += msgbytes;
		break;
	case 'G':
		cur_begin(c, ts);
		c->cur.copy_in = 1;
		c->cur.bytes += msgbytes;
		break;
	case 'W':
	case 'c':
		cur_begin(c, ts);
		c->cur.bytes += msgbytes;
		break;
	case 'd':
		cur_begin(c, ts);
		if (c->cur.copy_out)
			c->cur.copy_rows++;
		c->cur.bytes += msgbytes;
		break;
	case 'C':
		cur_begin(c, ts);
		c->cur.bytes += msgbytes;
		pg_copy(tag, sizeof(tag), b, have);
		if (damaged || have < total)
			tag[0] = '\0';
		cur_end(c, tag, NULL, 0, ts);
		break;
	case 'I':
		cur_begin(c, ts);
		cur_end(c, NULL, NULL, 1, ts);
		break;
	case 's':
		cur_begin(c, ts);
		c->cur.bytes += msgbytes;
		cur_end(c, NULL, NULL, 0, ts);
		break;
	case 'V':
		pop_kind(c, REQ_FUNC);
		break;
	default:
		/* NoticeResponse, NotificationResponse,
		 * NegotiateProtocolVersion: nothing to report. */
		break;
	}
}

/* The whole message (or as much as was kept) is in; act on it. */
static void
dispatch(struct pg_conn *c, enum db_dir d, int64_t ts)
{
	struct pg_dir *dr = &c->dir[d];
	static const uint8_t empty[1];
	const uint8_t *b = dr->buf_have > 0 ? dr->buf : empty;

	if (d == DB_FROM_CLIENT)
		on_client(c, dr->type, b, dr->buf_have, dr->total,
		    dr->damaged);
	else
		on_server(c, dr->type, b, dr->buf_have, dr->total, dr->damaged,
		    ts);
	if (dr->buf_cap > PG_BUF_SHRINK) {
		free(dr->buf);
		dr->buf = NULL;
		dr->buf_cap = 0;
	}
	dr->buf_have = 0;
	dr->damaged = 0;
}

/* Marks what was in flight as partial: a gap or garbage in direction d. */
static void
mark_lost(struct pg_conn *c, enum db_dir d)
{
	struct pg_req *r;
	size_t i;

	c->bad++;
	if (d == DB_FROM_SERVER) {
		c->srv_lost = 1;
		c->cur.partial = 1;
		for (i = 0; i < c->q_len; i++)
			pg_q_at(c, i)->partial = 1;
		return;
	}
	/* Requests may have been lost: answers to them are attributed to
	 * nothing until the next ReadyForQuery. */
	r = c->q_len > 0 ? pg_q_at(c, c->q_len - 1) : NULL;
	if (r == NULL || r->kind != REQ_LOST)
		pg_q_push(c, REQ_LOST, NULL, 0);
}

/*
 * Frames messages from buf while the direction is in sync. Returns the
 * bytes consumed; stops early when the direction leaves sync (garbage,
 * TLS), leaving header bytes to rescan in dr->push.
 */
static size_t
msg_feed(struct pg_conn *c, enum db_dir d, const uint8_t *buf, size_t len,
    int64_t ts)
{
	struct pg_dir *dr = &c->dir[d];
	size_t off = 0, need, n, want;
	uint32_t plen;
	uint8_t *nb;

	while (off < len && (dr->st == DS_MSG || dr->st == DS_STARTUP)) {
		if (dr->in_body) {
			n = len - off;
			if (n > dr->left)
				n = dr->left;
			if (dr->buf_have < dr->keep) {
				want = dr->keep - dr->buf_have;
				if (want > n)
					want = n;
				memcpy(dr->buf + dr->buf_have, buf + off, want);
				dr->buf_have += want;
			}
			dr->left -= (uint32_t)n;
			off += n;
			if (dr->left == 0) {
				dr->in_body = 0;
				dispatch(c, d, ts);
			}
			continue;
		}
		/* The server's one-byte answer to SSLRequest/GSSENCRequest. */
		if (d == DB_FROM_SERVER && c->await_ssl && dr->hdr_have == 0) {
			c->await_ssl = 0;
			if (buf[off] == 'S' || buf[off] == 'G') {
				go_tls(c, ts);
				return len;
			}
			if (buf[off] == 'N') {
				off++;
				continue;
			}
		}
		need = dr->st == DS_STARTUP ? 8 : 5;
		if (dr->hdr_have == 0)
			dr->msg_ts = ts;
		n = need - dr->hdr_have;
		if (n > len - off)
			n = len - off;
		memcpy(dr->hdr + dr->hdr_have, buf + off, n);
		dr->hdr_have += n;
		off += n;
		if (dr->hdr_have < need)
			break;
		if (dr->st == DS_STARTUP) {
			plen = pg_be32(dr->hdr);
			if (dr->hdr[0] == 0x16 && dr->hdr[1] == 0x03) {
				/* TLS ClientHello first: direct SSL. */
				go_tls(c, ts);
				return len;
			}
			if (plen < 8 || plen > PG_STARTUP_MAX ||
			    !(pg_be32(dr->hdr + 4) >> 16 == PG_MAJOR3 ||
			    ((pg_be32(dr->hdr + 4) == PG_CODE_SSL ||
			    pg_be32(dr->hdr + 4) == PG_CODE_GSS) &&
			    plen == 8) || (pg_be32(dr->hdr + 4) ==
			    PG_CODE_CANCEL && plen >= 12))) {
				/* Not a start-up packet: picked up mid-stream;
				 * rescan all of it as typed messages. */
				c->midstream = 1;
				memcpy(dr->push, dr->hdr, dr->hdr_have);
				dr->npush = dr->hdr_have;
				dr->hdr_have = 0;
				dr->st = DS_RESYNC;
				if (c->dir[DB_FROM_SERVER].st == DS_FIRST)
					c->dir[DB_FROM_SERVER].st = DS_RESYNC;
				return off;
			}
			dr->type = 0;
			dr->total = plen - 8;
			/* The code is part of the body for on_client(). */
			dr->total += 4;
		} else {
			plen = pg_be32(dr->hdr + 1);
			if (!pg_plausible(d, dr->hdr[0], plen)) {
				mark_lost(c, d);
				memcpy(dr->push, dr->hdr + 1, dr->hdr_have - 1);
				dr->npush = dr->hdr_have - 1;
				dr->hdr_have = 0;
				dr->st = DS_RESYNC;
				return off;
			}
			dr->type = dr->hdr[0];
			dr->total = plen - 4;
		}
		dr->hdr_have = 0;
		dr->keep = pg_keep_for(c, d, dr->type);
		if (dr->keep > dr->total)
			dr->keep = dr->total;
		if (dr->keep > dr->buf_cap) {
			if ((nb = realloc(dr->buf, dr->keep)) == NULL)
				dr->keep = dr->buf_cap;
			else {
				dr->buf = nb;
				dr->buf_cap = dr->keep;
			}
		}
		dr->buf_have = 0;
		dr->damaged = 0;
		if (dr->type == 0) {
			/* Put the code back in front of the parameters. */
			if (dr->keep >= 4) {
				memcpy(dr->buf, dr->hdr + 4, 4);
				dr->buf_have = 4;
			}
			dr->left = dr->total - 4;
		} else
			dr->left = dr->total;
		dr->in_body = 1;
		if (dr->left == 0) {
			dr->in_body = 0;
			dispatch(c, d, ts);
		}
	}
	return off;
}

/*
 * Scans the resynchronisation window for a message boundary: a plausible
 * header whose body checks out, confirmed by the next header when the
 * body cannot prove itself. Returns the offset to resume at, or -1 to
 * wait for more bytes (after dropping what cannot start a message).
 */
static long
resync_scan(struct pg_conn *c, enum db_dir d)
{
	struct pg_dir *dr = &c->dir[d];
	size_t k, n = dr->win_len, end, have;
	uint32_t plen;
	int chk;

	for (k = 0; k + 5 <= n; k++) {
		uint8_t type = dr->win[k];

		plen = pg_be32(dr->win + k + 1);
		if (!pg_plausible(d, type, plen))
			continue;
		end = k + 1 + (size_t)plen;
		have = end <= n ? plen - 4 : n - k - 5;
		chk = pg_body_check(d, type, dr->win + k + 5, have, plen - 4);
		if (chk < 0)
			continue;
		if (end <= n) {
			if (chk == 1)
				return (long)k;
			if (end + 5 <= n) {
				if (pg_plausible(d, dr->win[end],
				    pg_be32(dr->win + end + 1)))
					return (long)k;
				continue;
			}
			/* Cannot tell yet: wait for the next header. */
			if (k == 0 && n == PG_WIN_MAX)
				return 0;
			break;
		}
		/* The message runs past the window. */
		if (d == DB_FROM_SERVER && type == 'D' && have >= 6)
			return (long)k;
		if (k == 0 && n == PG_WIN_MAX)
			return 0;
		break;
	}
	if (k + 5 > n && n >= 4)
		k = n - 4;
	if (k > 0) {
		memmove(dr->win, dr->win + k, n - k);
		dr->win_len = n - k;
	}
	return -1;
}

/*
 * Resynchronising: adds bytes to the window and rescans. On a boundary
 * the window's bytes from there are framed normally; if framing fails
 * again, the bytes left over go back into the window.
 */
static size_t
resync_feed(struct pg_conn *c, enum db_dir d, const uint8_t *buf,
    size_t len, int64_t ts)
{
	struct pg_dir *dr = &c->dir[d];
	size_t n, used;
	long k;

	if (dr->win == NULL && (dr->win = malloc(PG_WIN_MAX)) == NULL)
		return len;
	if (dr->npush > 0) {
		memcpy(dr->win + dr->win_len, dr->push, dr->npush);
		dr->win_len += dr->npush;
		dr->npush = 0;
	}
	n = PG_WIN_MAX - dr->win_len;
	if (n > len)
		n = len;
	memcpy(dr->win + dr->win_len, buf, n);
	dr->win_len += n;
	while (dr->st == DS_RESYNC && (k = resync_scan(c, d)) >= 0) {
		size_t n_rest;

		dr->st = DS_MSG;
		dr->hdr_have = 0;
		dr->in_body = 0;
		used = msg_feed(c, d, dr->win + k, dr->win_len - (size_t)k, ts);
		if (dr->st != DS_RESYNC) {
			/* All framed (or the connection went encrypted). */
			dr->win_len = 0;
			break;
		}
		/* Leftovers: pushed-back header bytes, then the rest. */
		n_rest = dr->win_len - (size_t)k - used;
		memmove(dr->win + dr->npush, dr->win + k + used, n_rest);
		memcpy(dr->win, dr->push, dr->npush);
		dr->win_len = dr->npush + n_rest;
		dr->npush = 0;
	}
	if (dr->st != DS_RESYNC) {
		free(dr->win);
		dr->win = NULL;
		dr->win_len = 0;
	}
	return n;
}

static void
pg_dir_feed(struct pg_conn *c, enum db_dir d, const uint8_t *buf,
    size_t len, int64_t ts)
{
	struct pg_dir *dr = &c->dir[d];
	size_t used;

	if (dr->st == DS_FIRST) {
		if (d == DB_FROM_CLIENT)
			dr->st = DS_STARTUP;
		else if (c->dir[DB_FROM_CLIENT].st == DS_FIRST ||
		    c->midstream) {
			/* The server spoke first: we joined mid-stream. */
			c->midstream = 1;
			dr->st = DS_RESYNC;
		} else
			dr->st = DS_MSG;
	}
	while (len > 0) {
		switch (dr->st) {
		case DS_OFF:
			return;
		case DS_RESYNC:
			used = resync_feed(c, d, buf, len, ts);
			break;
		default:
			used = msg_feed(c, d, buf, len, ts);
			break;
		}
		if (used == 0 && dr->st == DS_RESYNC) {
			/* Cannot happen (the scan always frees room); never
			 * spin if it does. */
			dr->win_len = 0;
			continue;
		}
		buf += used;
		len -= used;
	}
}

static void *
pgsql_new(struct db_session_info *info, const struct db_out *out,
    const struct agent_config *cfg)
{
	struct pg_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->info = info;
	if (info->db_system == NULL)
		info->db_system = "postgresql";
	c->out = *out;
	c->stmt_max = cfg != NULL && cfg->statement_max > 0 ?
	    (size_t)cfg->statement_max : 65536;
	c->stmts.max = PG_STMTS_MAX;
	c->portals.max = PG_PORTALS_MAX;
	c->cursors.max = PG_CURSORS_MAX;
	return c;
}

static void
pgsql_data(void *arg, enum db_dir d, const uint8_t *buf, size_t len,
    int64_t ts)
{
	struct pg_conn *c = arg;

	if (c == NULL || c->closed || (d != DB_FROM_CLIENT &&
	    d != DB_FROM_SERVER) || buf == NULL)
		return;
	pg_dir_feed(c, d, buf, len, ts);
}

/*
 * len bytes of direction d are missing. Inside a message body whose
 * length we know, the framing survives (the message is only marked
 * damaged); otherwise the direction resynchronises.
 */
static void
pgsql_gap(void *arg, enum db_dir d, size_t len, int64_t ts)
{
	struct pg_conn *c = arg;
	struct pg_dir *dr;

	if (c == NULL || c->closed || (d != DB_FROM_CLIENT &&
	    d != DB_FROM_SERVER) || len == 0)
		return;
	dr = &c->dir[d];
	if (dr->st == DS_OFF)
		return;
	if (d == DB_FROM_SERVER) {
		c->cur.partial = 1;
		if (c->cur.active == 0 && c->q_len > 0)
			pg_q_at(c, 0)->partial = 1;
	}
	if ((dr->st == DS_MSG || dr->st == DS_STARTUP) && dr->in_body &&
	    len <= dr->left) {
		dr->left -= (uint32_t)len;
		dr->damaged = 1;
		dr->keep = dr->buf_have;	/* what follows is shifted */
		if (dr->left == 0) {
			dr->in_body = 0;
			dispatch(c, d, ts);
		}
		return;
	}
	if (dr->st == DS_FIRST) {
		c->midstream = 1;
		if (d == DB_FROM_CLIENT && c->dir[DB_FROM_SERVER].st ==
		    DS_FIRST)
			c->dir[DB_FROM_SERVER].st = DS_RESYNC;
	}
	if (dr->st != DS_RESYNC)
		mark_lost(c, d);
	dr->st = DS_RESYNC;
	dr->in_body = 0;
	dr->hdr_have = 0;
	dr->npush = 0;
	dr->win_len = 0;
	dr->buf_have = 0;
	dr->damaged = 0;
}

static void
pgsql_close(void *arg, int64_t ts)
{
	struct pg_conn *c = arg;

	if (c == NULL || c->closed)
		return;
	if (!c->tls) {
		struct pg_req *r;

		/* A result cut off by the end of the connection, or a
		 * statement still waiting for its first answer. */
		if (c->cur.active) {
			c->cur.partial = 1;
			cur_end(c, NULL, NULL, 0, ts);
		} else if ((r = head_exec(c)) != NULL && (r->kind ==
		    REQ_EXECUTE || (r->kind == REQ_QUERY && r->pieces == 0))) {
			cur_begin(c, ts);
			c->cur.partial = 1;
			cur_end(c, NULL, NULL, 0, ts);
		}
		if (c->authed || c->queries > 0)
			session_event(c, "disconnect", ts, NULL);
	}
	c->closed = 1;
}

static void
pgsql_free(void *arg)
{
	struct pg_conn *c = arg;
	int i;

	if (c == NULL)
		return;
	while (c->q_len > 0)
		pg_q_pop(c);
	free(c->q);
	pg_table_clear(&c->stmts);
	pg_table_clear(&c->portals);
	pg_table_clear(&c->cursors);
	free(c->stmts.v);
	free(c->portals.v);
	free(c->cursors.v);
	for (i = 0; i < 2; i++) {
		free(c->dir[i].buf);
		free(c->dir[i].win);
	}
	free(c->pad);
	free(c);
}

const struct db_proto db_proto_pgsql = {
	.name = "pgsql",
	.db_system = "postgresql",
	.default_port = 5432,
	.new = pgsql_new,
	.data = pgsql_data,
	.gap = pgsql_gap,
	.close = pgsql_close,
	.free = pgsql_free
};
