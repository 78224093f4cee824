/*
 * The MySQL / MariaDB client/server protocol decoder (protocol 4.1, as
 * every server since 4.1 speaks it). db.c hands it each direction's
 * reassembled bytes in order, in chunks of any size; this file frames
 * packets (3-byte length, sequence id, 0xffffff continuations), follows
 * the handshake (greeting, HandshakeResponse41, SSLRequest, auth switch),
 * then pairs every command with its response and reports one struct
 * db_query per statement executed: COM_QUERY, COM_STMT_EXECUTE,
 * COM_STMT_FETCH, COM_STMT_BULK_EXECUTE (and a failed COM_STMT_PREPARE).
 *
 * What it keeps: packet headers, the first bytes of each server packet,
 * and the statement text (at most cfg->statement_max bytes); a MySQL 8
 * query attribute block before a COM_QUERY's text is read past as it
 * streams (decode-mysql-attrs.c), its names and values never kept.
 * Rows are counted and their bytes skipped, so a 10 GB result costs
 * nothing but time. It does not decode compressed (CLIENT_COMPRESS /
 * zstd) or TLS sessions: it reports the session and then ignores its
 * bytes.
 *
 * docs/wire-decoding.md ("MySQL") lists the choices made here: each
 * statement of a multi-statement query is its own query, error
 * numbers (never texts, never SQLSTATE) go into error_code, and so on.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent.h"
#include "leakwatch/log.h"
#include "leakwatch/util.h"
#include "decode-mysql.h"

static void	frame(struct mysql *, enum db_dir, const uint8_t *, size_t,
		    int64_t, size_t *);


static void	server_packet(struct mysql *, const uint8_t *, size_t,
		    uint64_t, int64_t);

/* Sessions */

static void
emit_session(struct mysql *s, const char *action, int64_t ts,
    const char *code)
{
	if (s->out != NULL && s->out->session != NULL)
		s->out->session(s->out->arg, s->info, action, ts, code);
}

static struct cmd *
q_at(struct mysql *s, size_t i)
{
	return &s->q[(s->q_head + i) % QUEUE_MAX];
}

static struct cmd *
q_head(struct mysql *s)
{
	return s->q_len ? q_at(s, 0) : NULL;
}

/* Reporting */

static void
report(struct mysql *s, struct cmd *c)
{
	struct db_query q;

	if (!c->report || s->out == NULL || s->out->query == NULL)
		return;
	memset(&q, 0, sizeof(q));
	q.sql = c->sql.data != NULL ? (const char *)c->sql.data : "";
	q.sql_len = c->sql.data != NULL ? c->sql.len : 0;
	if (c->npieces > 1) {
		/* This statement; the last result takes what is left. */
		size_t a = c->piece[c->cur], b = q.sql_len;
		if (c->cur + 1 < c->npieces && !c->last)
			b = c->piece[c->cur + 1];
		while (b > a && (q.sql[b - 1] == ';' || q.sql[b - 1] == ' ' ||
		    q.sql[b - 1] == '\n' || q.sql[b - 1] == '\t' ||
		    q.sql[b - 1] == '\r'))
			b--;
		q.sql += a;
		q.sql_len = b - a;
	}
	/* Out of memory: no text rather than a prefix. */
	if (c->cut && (c->npieces <= 1 || c->cur + 1 >= c->npieces ||
	    c->last) && str_cut_pad(&s->pad, s->statement_max, &q.sql,
	    &q.sql_len) != 0) {
		q.sql = "";
		q.sql_len = 0;
	}
	if (c->has_origin && c->origin_is_sql) {
		q.origin_sql = q.sql;
		q.origin_len = q.sql_len;
	} else if (c->has_origin && c->origin.data != NULL) {
		q.origin_sql = (const char *)c->origin.data;
		q.origin_len = c->origin.len;
	}
	q.command = c->command;
	q.rows_returned = c->rows;
	q.rows_affected = c->affected;
	q.has_affected = c->has_affected;
	q.bytes = c->bytes;
	q.start_us = c->start_us;
	q.end_us = c->end_us > c->start_us ? c->end_us : c->start_us;
	q.error = c->error;
	memcpy(q.error_code, c->error_code, sizeof(q.error_code));
	q.partial = c->partial;
	s->out->query(s->out->arg, s->info, &q);
}

/* The head's response ended (ok) or was given up (partial). */
static void
finish_head(struct mysql *s)
{
	struct cmd *c, *n;

	if ((c = q_head(s)) == NULL)
		return;
	c->last = 1;
	report(s, c);
	bytes_trim(&c->sql);
	bytes_trim(&c->origin);
	bytes_trim(&c->inner);
	s->q_head = (s->q_head + 1) % QUEUE_MAX;
	s->q_len--;
	s->rs = RS_FIRST;
	s->infile = 0;
	if ((n = q_head(s)) != NULL) {
		s->srv_expect = n->expect_seq;
		if (n->code == COM_STMT_EXECUTE ||
		    n->code == COM_STMT_BULK_EXECUTE ||
		    n->code == COM_STMT_FETCH) {
			if (n->stmt_id == 0xffffffffU)
				stmt_bind(s, n);
		}
	}
}

/* Every awaited response is given up: reported partial. */
static void
flush_queue(struct mysql *s)
{
	struct cmd *c;

	while ((c = q_head(s)) != NULL) {
		c->partial = 1;
		finish_head(s);
	}
}

static void
set_error(struct cmd *c, const uint8_t *p, size_t len)
{
	c->error = 1;
	if (len >= 3)
		snprintf(c->error_code, sizeof(c->error_code), "%u",
		    le16(p + 1));
	else
		snprintf(c->error_code, sizeof(c->error_code), "unknown");
}

/* A command's OK: what the decoder itself learns from it. */
static void
command_ok(struct mysql *s, struct cmd *c)
{
	switch (c->code) {
	case COM_INIT_DB:
		snprintf(s->info->database, sizeof(s->info->database), "%s",
		    c->name);
		break;
	case COM_RESET_CONNECTION:
		stmt_clear(s);
		break;
	case COM_QUERY:
		if (c->sqlkind == SQ_USE)
			/* A `quoted` name may hold control bytes. */
			set_field(s->info->database, sizeof(s->info->database),
			    (const uint8_t *)c->name, strlen(c->name));
		else if (c->sqlkind == SQ_PREPARE)
			sqlprep_add(s, c->name, c->inner.data, c->inner.len,
			    c->inner_known);
		else if (c->sqlkind == SQ_DEALLOCATE)
			sqlprep_remove(s, c->name);
		break;
	default:
		break;
	}
}

/* Handshake */

/* Server greeting (protocol 10): capabilities and the thread id. */
static void
greeting(struct mysql *s, const uint8_t *p, size_t len, int64_t ts)
{
	size_t o;
	long vl;
	uint32_t caps;

	if (len >= 3 && p[0] == 0xff) {
		/* Refused before the handshake: too many connections... */
		char code[16];
		snprintf(code, sizeof(code), "%u", le16(p + 1));
		emit_session(s, "auth_failed", ts, code);
		s->phase = PH_IGNORE;
		return;
	}
	if (len < 1 || p[0] != 10 || (vl = cstr_len(p, len, 1)) == -1) {
		s->bad++;
		s->phase = PH_GREETING;
		return;
	}
	o = 1 + (size_t)vl + 1;
	if (len - o >= 4)
		snprintf(s->info->session_id, sizeof(s->info->session_id),
		    "%u", le32(p + o));
	o += 4 + 8 + 1;
	if (len >= o + 2) {
		caps = le16(p + o);
		if (len >= o + 2 + 1 + 2 + 2)
			caps |= le16(p + o + 5) << 16;
		s->server_caps = caps;
		s->server_caps_known = 1;
	}
	s->phase = PH_GREETING;
}

/*
 * HandshakeResponse41 (or the short SSLRequest before it): user, schema,
 * capabilities, connect attributes (program_name -> app_name).
 */
static void
handshake_response(struct mysql *s, const uint8_t *p, size_t len,
    int64_t ts)
{
	uint32_t flags;
	size_t o;
	long n;
	uint64_t v, end;

	if (len < 4) {
		s->bad++;
		return;
	}
	flags = le32(p);
	if (flags & CLIENT_SSL && len <= 32) {
		emit_session(s, "tls", ts, NULL);
		s->phase = PH_IGNORE;
		return;
	}
	if (!(flags & CLIENT_PROTOCOL_41) || len < 32) {
		/* Pre-4.1 clients: nothing current speaks it. */
		s->bad++;
		s->phase = PH_IGNORE;
		return;
	}
	s->caps = flags;
	if (s->server_caps_known)
		s->caps &= s->server_caps;
	s->caps_known = 1;
	s->phase = PH_AUTH;
	o = 32;
	if ((n = cstr_len(p, len, o)) == -1)
		return;
	set_field(s->info->db_user, sizeof(s->info->db_user), p + o,
	    (size_t)n);
	o += (size_t)n + 1;
	if (flags & CLIENT_PLUGIN_AUTH_LENENC) {
		if (lenenc(p, len, &o, &v) == -1 || v > len - o)
			return;
		o += v;
	} else if (flags & CLIENT_SECURE_CONNECTION) {
		if (o >= len || p[o] > len - o - 1)
			return;
		o += 1 + p[o];
	} else {
		if ((n = cstr_len(p, len, o)) == -1)
			return;
		o += (size_t)n + 1;
	}
	if (flags & CLIENT_CONNECT_WITH_DB) {
		if ((n = cstr_len(p, len, o)) == -1)
			return;
		set_field(s->info->database, sizeof(s->info->database),
		    p + o, (size_t)n);
		o += (size_t)n + 1;
	}
	if (flags & CLIENT_PLUGIN_AUTH) {
		if ((n = cstr_len(p, len, o)) == -1)
			return;
		o += (size_t)n + 1;
	}
	if (!(flags & CLIENT_CONNECT_ATTRS) || lenenc(p, len, &o, &v) == -1)
		return;
	end = v < len - o ? o + v : len;
	while (o < end) {
		uint64_t kl, vlen;
		size_t ko, vo;

		if (lenenc(p, end, &o, &kl) == -1 || kl > end - o)
			break;
		ko = o;
		o += kl;
		if (lenenc(p, end, &o, &vlen) == -1 || vlen > end - o)
			break;
		vo = o;
		o += vlen;
		if (kl == 12 && memcmp(p + ko, "program_name", 12) == 0)
			set_field(s->info->app_name, sizeof(s->info->app_name),
			    p + vo, vlen);
	}
}

/* Server packets during authentication (handshake or COM_CHANGE_USER). */
static int
auth_reply(struct mysql *s, const uint8_t *p, size_t len, int64_t ts)
{
	char code[16];

	if (len == 0)
		return 0;
	if (p[0] == 0x00) {
		s->connected = 1;
		emit_session(s, "connect", ts, NULL);
		return 1;
	}
	if (p[0] == 0xff) {
		snprintf(code, sizeof(code), "%u", len >= 3 ? le16(p + 1) : 0);
		emit_session(s, "auth_failed", ts, code);
		return -1;
	}
	/* 0xfe auth switch, 0x01 more data: the exchange goes on. */
	return 0;
}

/* Client commands */

/* Puts a command at the queue's tail; the oldest is given up if full. */
static struct cmd *
enqueue(struct mysql *s, uint8_t code, enum kind kind, int64_t start,
    uint8_t expect)
{
	struct cmd *c;

	if (s->q_len == QUEUE_MAX) {
		q_head(s)->partial = 1;
		finish_head(s);
	}
	c = q_at(s, s->q_len);
	c->code = code;
	c->kind = kind;
	c->report = 0;
	c->flags = 0;
	c->stmt_id = 0;
	c->expect_seq = expect;
	c->sqlkind = SQ_OTHER;
	c->name[0] = '\0';
	c->sql.len = c->origin.len = c->inner.len = 0;
	c->cut = 0;
	c->has_origin = c->origin_is_sql = c->inner_known = 0;
	c->command = NULL;
	c->start_us = c->end_us = start;
	c->rows = c->affected = c->bytes = 0;
	c->has_affected = 0;
	c->error = 0;
	c->error_code[0] = '\0';
	c->partial = 0;
	c->started = 0;
	c->npieces = 0;
	c->cur = 0;
	c->cur_is_call = 0;
	c->last = 0;
	if (s->q_len++ == 0) {
		s->rs = RS_FIRST;
		s->srv_expect = expect;
	}
	return c;
}

/*
 * A COM_QUERY whose query attributes were read past as it was framed
 * (client_bytes()): its kept bytes are the command and the text. -1
 * when the block was malformed (the text is then unknown), told to
 * out->bad with the reason, never the bytes.
 */
static int
query_attrs_end(struct mysql *s)
{
	char why[160];

	if (!s->qa_pkt)
		return 0;
	s->qa_pkt = 0;
	if (myqa_end(&s->qa) == 0) {
		if (s->qa.state == MYQA_DONE && s->qa.probe)
			s->qa_learned = 1;
		return 0;
	}
	s->bad++;
	if (s->out->bad != NULL) {
		snprintf(why, sizeof(why), "COM_QUERY query attributes: %s; "
		    "the statement is not decoded", s->qa.err);
		s->out->bad(s->out->arg, s->info, why);
	}
	return -1;
}

static void
client_command(struct mysql *s, const uint8_t *p, size_t klen,
    int64_t start, uint8_t expect, int hole)
{
	struct cmd *c;
	size_t o, tl;
	uint8_t code;

	if (klen == 0) {
		s->bad++;
		return;
	}
	code = p[0];
	switch (code) {
	case COM_QUIT:
		if (s->connected && !s->disconnected) {
			s->disconnected = 1;
			emit_session(s, "disconnect", start, NULL);
		}
		s->phase = PH_IGNORE;
		return;
	case COM_STMT_CLOSE:
		if (klen >= 5)
			stmt_remove(s, le32(p + 1));
		return;
	case COM_STMT_SEND_LONG_DATA:
		return;			/* no response */
	case COM_BINLOG_DUMP:
	case COM_BINLOG_DUMP_GTID:
		s->phase = PH_IGNORE;	/* a replica: not a user */
		return;
	case COM_QUERY:
	case COM_STMT_PREPARE:
		c = enqueue(s, code, code == COM_QUERY ? K_RESULT : K_PREPARE,
		    start, expect);
		c->report = code == COM_QUERY;
		c->partial = hole;
		o = 1;
		if (code == COM_QUERY && query_attrs_end(s) == -1) {
			bytes_set(&c->sql, "", 0);
			c->command = "QUERY";
			break;
		}
		tl = klen - o;
		c->cut = hole || tl > s->statement_max;
		if (tl > s->statement_max)
			tl = s->statement_max;
		bytes_set(&c->sql, p + o, tl);
		if (code == COM_QUERY) {
			classify_sql(s, c);
			split_statements(c);
			c->cur_is_call = piece_is_call(c);
		}
		break;
	case COM_STMT_EXECUTE:
	case COM_STMT_BULK_EXECUTE:
	case COM_STMT_FETCH:
		c = enqueue(s, code, code == COM_STMT_FETCH ? K_FETCH :
		    K_RESULT, start, expect);
		c->report = 1;
		if (klen >= 5)
			c->stmt_id = le32(p + 1);
		if (code == COM_STMT_EXECUTE && klen >= 6)
			c->flags = p[5];
		if (c->stmt_id != 0xffffffffU || s->q_len == 1)
			stmt_bind(s, c);
		break;
	case COM_INIT_DB:
		c = enqueue(s, code, K_SIMPLE, start, expect);
		set_field(c->name, sizeof(c->name), p + 1, klen - 1);
		break;
	case COM_CHANGE_USER:
		c = enqueue(s, code, K_AUTH, start, expect);
		/* user NUL, auth data, schema NUL: applied on OK. */
		o = 1;
		{
			long n = cstr_len(p, klen, o);
			if (n == -1)
				break;
			set_field(c->name, sizeof(c->name), p + o, (size_t)n);
			bytes_set(&c->sql, c->name, strlen(c->name));
			o += (size_t)n + 1;
			if (s->caps & CLIENT_SECURE_CONNECTION) {
				if (o >= klen || p[o] > klen - o - 1)
					break;
				o += 1 + p[o];
			} else if ((n = cstr_len(p, klen, o)) != -1)
				o += (size_t)n + 1;
			else
				break;
			if ((n = cstr_len(p, klen, o)) == -1)
				break;
			bytes_set(&c->inner, p + o, (size_t)n);
			c->inner_known = 1;
		}
		break;
	case COM_FIELD_LIST:
		(void)enqueue(s, code, K_FIELDLIST, start, expect);
		break;
	case COM_PROCESS_INFO:
		(void)enqueue(s, code, K_RESULT, start, expect);
		break;
	default:
		/* PING, STATISTICS, SET_OPTION, RESET...: one packet back. */
		(void)enqueue(s, code, K_SIMPLE, start, expect);
		break;
	}
}

/*
 * A whole client packet (its kept prefix p[0..klen) of llen bytes). Only
 * a packet with sequence id 0 starts a command; the others are auth data
 * or LOCAL INFILE contents.
 */
static void
client_packet(struct mysql *s, const uint8_t *p, size_t klen, uint64_t llen,
    int64_t ts)
{
	struct dir *d = &s->dir[DB_FROM_CLIENT];
	uint8_t expect = (uint8_t)(d->last_seq + 1);

	switch (s->phase) {
	case PH_INIT:
	case PH_GREETING:
		handshake_response(s, p, klen, ts);
		return;
	case PH_AUTH:
		return;			/* auth switch responses */
	case PH_COMMAND:
		break;
	case PH_IGNORE:
		return;
	}
	if (s->infile) {
		/* File contents; an empty packet ends them. */
		if (llen == 0) {
			s->infile = 0;
			s->srv_expect = expect;
		}
		return;
	}
	if (d->first_seq != 0)
		return;
	if (!s->dir[DB_FROM_SERVER].sync) {
		/*
		 * The server side lost its place (gap, or joined
		 * mid-stream): a new command means the old responses are
		 * over, so its next byte starts this command's response.
		 */
		flush_queue(s);
		memset(&s->dir[DB_FROM_SERVER].hdr, 0, 4);
		s->dir[DB_FROM_SERVER].hdr_have = 0;
		s->dir[DB_FROM_SERVER].cont = 0;
		s->dir[DB_FROM_SERVER].peek_len = 0;
		s->dir[DB_FROM_SERVER].sync = 1;
		s->srv_resync_rows = 0;
	}
	client_command(s, p, klen, d->start_us, expect, d->hole);
}

/* Server responses */

/*
 * A result ended and more follow. In a multi-statement query that is
 * where one statement's outcome is complete (unless a CALL is still
 * sending its procedure's result sets: its own OK ends it): report it
 * and start counting for the next one, which started when this ended.
 */
static void
result_boundary(struct mysql *s, struct cmd *c, int was_ok)
{
	if (c->npieces < 2 || c->cur + 1 >= c->npieces ||
	    (c->cur_is_call && !was_ok))
		return;
	report(s, c);
	c->cur++;
	classify_sql(s, c);
	c->cur_is_call = piece_is_call(c);
	c->start_us = c->end_us;
	c->rows = c->affected = c->bytes = 0;
	c->has_affected = 0;
}

/* First packet of a K_RESULT response or of a further result set. */
static void
result_first(struct mysql *s, struct cmd *c, const uint8_t *p, size_t len,
    uint64_t llen)
{
	uint64_t aff, ncols;
	uint32_t status;
	size_t o = 0;

	switch (p[0]) {
	case 0x00:
		if (parse_ok(p, len, &aff, &status) == -1) {
			s->bad++;
			status = 0;
		}
		c->affected += aff;
		c->has_affected = 1;
		command_ok(s, c);
		if (!(status & SERVER_MORE_RESULTS_EXISTS))
			finish_head(s);
		else
			result_boundary(s, c, 1);
		return;
	case 0xff:
		set_error(c, p, len);
		finish_head(s);
		return;
	case 0xfb:
		if (c->code != COM_QUERY)
			break;
		s->rs = RS_INFILE;
		s->infile = 1;
		return;
	case 0xfe:
		if (llen < 9) {
			/* EOF as a whole response (SET_OPTION, DEBUG). */
			finish_head(s);
			return;
		}
		break;
	default:
		break;
	}
	if (lenenc(p, len, &o, &ncols) == -1 || ncols == 0) {
		s->bad++;
		c->partial = 1;
		finish_head(s);
		return;
	}
	/* A trailing byte: metadata follows (1) or is skipped (0). */
	if (llen > o && o < len && p[o] == 0) {
		s->rs = RS_META_EOF;
		return;
	}
	s->ndefs = ncols;
	s->rs = RS_COLDEFS;
}

/* COM_STMT_PREPARE_OK: remember the statement, then skip definitions. */
static void
prepare_ok(struct mysql *s, struct cmd *c, const uint8_t *p, size_t len)
{
	uint32_t ncols, nparams;
	int eof_blocks;

	if (p[0] == 0xff) {
		set_error(c, p, len);
		c->report = 1;	/* a refused PREPARE is worth seeing */
		finish_head(s);
		return;
	}
	if (p[0] != 0x00 || len < 12) {
		s->bad++;
		finish_head(s);
		return;
	}
	s->last_prepared = le32(p + 1);
	s->last_prepared_ok = 1;
	stmt_add(s, s->last_prepared, c->sql.data, c->sql.len, c->cut);
	ncols = le16(p + 5);
	nparams = le16(p + 7);
	if (len >= 13 && p[12] == 0)	/* MySQL 8: no metadata */
		ncols = nparams = 0;
	eof_blocks = (nparams > 0) + (ncols > 0);
	if (eof_blocks == 0) {
		finish_head(s);
		return;
	}
	s->prep_cols = nparams > 0 ? ncols : 0;
	s->ndefs = nparams > 0 ? nparams : ncols;
	s->prep_blocks = eof_blocks - 1;
	s->rs = RS_PREP_DEFS;
}

/* The prepare response after one block of definitions (and its EOF). */
static void
prepare_block_done(struct mysql *s)
{
	if (s->prep_blocks > 0) {
		s->prep_blocks--;
		s->ndefs = s->prep_cols;
		s->rs = RS_PREP_DEFS;
		return;
	}
	finish_head(s);
}

/* A row or the end of a result set. */
static void
rows_packet(struct mysql *s, struct cmd *c, const uint8_t *p, size_t len,
    uint64_t llen)
{
	uint32_t status;

	if (len > 0 && p[0] == 0xff) {
		set_error(c, p, len);
		finish_head(s);
		return;
	}
	if (!is_terminator(p, len, llen)) {
		c->rows++;
		return;
	}
	/* Its affected-rows field is 0 for a result set: not counted. */
	status = terminator_status(p, len);
	if (c->kind == K_RESULT && status & SERVER_MORE_RESULTS_EXISTS &&
	    !(status & SERVER_STATUS_CURSOR_EXISTS && c->flags & 0x07)) {
		s->rs = RS_FIRST;
		result_boundary(s, c, 0);
		return;
	}
	finish_head(s);
}

/*
 * A whole server packet: the head command's response state machine. The
 * sequence id must continue the exchange; a packet that does not is not
 * this command's (a response we mis-framed or one that overran): the
 * head is given up rather than handed rows that are not its own.
 */
static void
server_packet(struct mysql *s, const uint8_t *p, size_t len, uint64_t llen,
    int64_t ts)
{
	struct dir *d = &s->dir[DB_FROM_SERVER];
	struct cmd *c;
	uint32_t status;
	int r;

	switch (s->phase) {
	case PH_INIT:
		greeting(s, p, len, ts);
		return;
	case PH_GREETING:
		/* A second greeting-like packet: keep the last one. */
		if (d->first_seq == 0)
			greeting(s, p, len, ts);
		return;
	case PH_AUTH:
		r = auth_reply(s, p, len, ts);
		if (r == 1) {
			s->phase = PH_COMMAND;
			if (s->caps & (CLIENT_COMPRESS |
			    CLIENT_ZSTD_COMPRESSION)) {
				/* Compressed from here on: not decoded. */
				log_debug("mysql %s: compressed session, "
				    "not decoded", s->info->client);
				s->phase = PH_IGNORE;
			}
		} else if (r == -1)
			s->phase = PH_IGNORE;
		return;
	case PH_COMMAND:
		break;
	case PH_IGNORE:
		return;
	}
	if ((c = q_head(s)) == NULL) {
		s->bad++;		/* nothing asked for this */
		return;
	}
	if (c->kind != K_AUTH && s->rs != RS_INFILE &&
	    d->first_seq != s->srv_expect) {
		if (s->rs == RS_FIRST && !c->started) {
			/* A stray (a prepare's optional EOF, an overrun). */
			s->bad++;
			s->srv_expect = (uint8_t)(d->last_seq + 1);
			return;
		}
		c->partial = 1;
		finish_head(s);
		if ((c = q_head(s)) == NULL ||
		    d->first_seq != s->srv_expect) {
			s->bad++;
			return;
		}
	}
	s->srv_expect = (uint8_t)(d->last_seq + 1);
	c->started = 1;
	c->end_us = ts;
	if (len == 0) {
		s->bad++;
		return;
	}
	/*
	 * MariaDB's progress reports (LOAD DATA, ALTER TABLE... to clients
	 * with MARIADB_CLIENT_PROGRESS) are ERR packets with error number
	 * 0xffff; they end nothing. No real ERR, row or definition starts so.
	 */
	if (p[0] == 0xff && len >= 3 && le16(p + 1) == 0xffff)
		return;
	switch (c->kind) {
	case K_SIMPLE:
		if (p[0] == 0x00)
			command_ok(s, c);
		else if (p[0] == 0xff)
			set_error(c, p, len);
		finish_head(s);
		return;
	case K_AUTH:
		if (p[0] != 0x00 && p[0] != 0xff)
			return;		/* auth switch / more data */
		/* The session is the new user's (or its refusal is). */
		set_field(s->info->db_user, sizeof(s->info->db_user),
		    c->sql.data != NULL ? c->sql.data : (const uint8_t *)"",
		    c->sql.len);
		if (p[0] == 0x00) {
			if (c->inner_known)
				set_field(s->info->database,
				    sizeof(s->info->database), c->inner.data,
				    c->inner.len);
			stmt_clear(s);
		}
		(void)auth_reply(s, p, len, ts);
		finish_head(s);
		return;
	case K_PREPARE:
		break;
	case K_FETCH:
		rows_packet(s, c, p, len, llen);
		return;
	case K_FIELDLIST:
		if (p[0] == 0xff || is_terminator(p, len, llen))
			finish_head(s);
		return;
	case K_RESULT:
		break;
	}
	switch (s->rs) {
	case RS_FIRST:
		if (c->kind == K_PREPARE)
			prepare_ok(s, c, p, len);
		else
			result_first(s, c, p, len, llen);
		return;
	case RS_COLDEFS:
		if (p[0] == 0xff) {
			set_error(c, p, len);
			finish_head(s);
			return;
		}
		if (--s->ndefs == 0)
			s->rs = RS_META_EOF;
		return;
	case RS_META_EOF:
		/* A 5-byte EOF ends the definitions (no DEPRECATE_EOF). */
		if (p[0] == 0xfe && llen <= 5) {
			status = terminator_status(p, len);
			if (status & SERVER_STATUS_CURSOR_EXISTS &&
			    c->flags & 0x07) {
				finish_head(s);	/* rows come by FETCH */
				return;
			}
			s->rs = RS_ROWS;
			return;
		}
		s->rs = RS_ROWS;
		rows_packet(s, c, p, len, llen);
		return;
	case RS_ROWS:
		rows_packet(s, c, p, len, llen);
		return;
	case RS_PREP_DEFS:
		if (--s->ndefs == 0)
			s->rs = RS_PREP_EOF;
		if (s->ndefs == 0 && s->caps_known &&
		    s->caps & CLIENT_DEPRECATE_EOF)
			prepare_block_done(s);
		return;
	case RS_PREP_EOF:
		/*
		 * Whether an EOF ends each block of a prepare's definitions
		 * is known from the handshake; picked up mid-stream it is
		 * not, and the last block waits here for an EOF that may
		 * never come: the next response's first packet then breaks
		 * the sequence ids and closes the prepare (it was stored).
		 */
		if (p[0] == 0xfe && llen <= 5) {
			prepare_block_done(s);
			return;
		}
		/* No EOF: the next block's first definition. */
		prepare_block_done(s);
		if (q_head(s) == c && s->rs == RS_PREP_DEFS &&
		    --s->ndefs == 0)
			s->rs = RS_PREP_EOF;
		return;
	case RS_INFILE:
		if (p[0] == 0xff) {
			set_error(c, p, len);
			finish_head(s);
		} else if (p[0] == 0x00)
			result_first(s, c, p, len, llen);
		else
			s->bad++;
		return;
	}
}

/* Framing */

/* Keeps up to d->keep bytes of the packet being framed. */
static void
keep_bytes(struct dir *d, const uint8_t *p, size_t n)
{
	size_t k;

	if (d->pkt.len >= d->keep)
		return;
	k = d->keep - d->pkt.len;
	if (k > n)
		k = n;
	if (bytes_reserve(&d->pkt, d->pkt.len + k + 1) == 0) {
		memcpy(d->pkt.data + d->pkt.len, p, k);
		d->pkt.len += k;
	} else
		d->keep = d->pkt.len;
}

/*
 * May this client packet be a COM_QUERY with query attributes: a
 * command of a session that negotiated CLIENT_QUERY_ATTRIBUTES, or of
 * one picked up mid-stream (then the reader probes for the block).
 */
static int
attrs_possible(const struct mysql *s, const struct dir *d)
{
	if (d->first_seq != 0 || s->phase != PH_COMMAND || s->infile)
		return 0;
	if (s->caps_known)
		return (s->caps & CLIENT_QUERY_ATTRIBUTES) != 0;
	return s->picked_up;
}

/*
 * Payload bytes of a client packet (d->llen of it seen before). Of a
 * COM_QUERY that may carry query attributes, the block is read past
 * (decode-mysql-attrs.c) and dropped as it streams, so what is kept is
 * the command byte and the text, bounded as any text is.
 */
static void
client_bytes(struct mysql *s, struct dir *d, const uint8_t *p, size_t n)
{
	size_t used;

	if (n == 0)
		return;
	if (d->llen == 0) {
		s->qa_pkt = p[0] == COM_QUERY && attrs_possible(s, d);
		if (s->qa_pkt)
			myqa_start(&s->qa, !s->caps_known && !s->qa_learned);
		keep_bytes(d, p, 1);
		p++;
		n--;
	}
	if (s->qa_pkt) {
		used = myqa_feed(&s->qa, p, n);
		p += used;
		n -= used;
		if (s->qa.state != MYQA_DONE && s->qa.state != MYQA_NONE)
			return;		/* in the block, or it failed */
	}
	keep_bytes(d, p, n);
}

/* Bytes of a packet to keep, decided when its header is complete. */
static size_t
keep_for(struct mysql *s, enum db_dir dir)
{
	if (dir == DB_FROM_SERVER)
		return SERVER_KEEP;
	if (s->infile)
		return 0;
	return s->statement_max + 64 > 8192 ? s->statement_max + 64 : 8192;
}

static void
packet_done(struct mysql *s, enum db_dir dir, int64_t ts)
{
	struct dir *d = &s->dir[dir];
	const uint8_t *p = d->pkt.data != NULL ? d->pkt.data :
	    (const uint8_t *)"";
	size_t klen = d->pkt.len;

	if (d->hole && d->hole_at < klen)
		klen = d->hole_at;
	if (dir == DB_FROM_CLIENT)
		client_packet(s, p, klen, d->llen, ts);
	else
		server_packet(s, p, klen, d->llen, ts);
	d->hole = 0;
	if (d->pkt.cap > 65536)
		bytes_trim(&d->pkt);
	d->pkt.len = 0;
}

/*
 * Frames in-sync bytes. Each physical packet is a 4-byte header and plen
 * payload bytes; a payload of exactly 0xffffff continues in the next
 * packet, and the logical packet is what the state machines see.
 * Server bytes (headers included) count towards the head's result.
 * Stops early when the session stops being decoded or loses sync.
 */
static void
frame(struct mysql *s, enum db_dir dir, const uint8_t *p, size_t len,
    int64_t ts, size_t *used)
{
	struct dir *d = &s->dir[dir];
	struct cmd *c;
	size_t n, o = 0;

	while (o < len && d->sync && s->phase != PH_IGNORE) {
		if (d->hdr_have < 4) {
			if (d->hdr_have == 0 && !d->cont)
				d->start_us = ts;
			n = 4 - d->hdr_have;
			if (n > len - o)
				n = len - o;
			memcpy(d->hdr + d->hdr_have, p + o, n);
			d->hdr_have += n;
			o += n;
			if (dir == DB_FROM_SERVER && (c = q_head(s)) != NULL) {
				c->bytes += n;
				c->end_us = ts;
			}
			if (d->hdr_have < 4)
				break;
			d->plen = le24(d->hdr);
			d->poff = 0;
			if (!d->cont) {
				d->first_seq = d->hdr[3];
				d->llen = 0;
				d->pkt.len = 0;
				d->hole = 0;
				d->keep = keep_for(s, dir);
				if (dir == DB_FROM_CLIENT)
					s->qa_pkt = 0;
			}
			d->last_seq = d->hdr[3];
		} else {
			n = d->plen - d->poff;
			if (n > len - o)
				n = len - o;
			if (dir == DB_FROM_CLIENT)
				client_bytes(s, d, p + o, n);
			else
				keep_bytes(d, p + o, n);
			d->poff += (uint32_t)n;
			d->llen += n;
			o += n;
			if (dir == DB_FROM_SERVER && (c = q_head(s)) != NULL) {
				c->bytes += n;
				c->end_us = ts;
			}
		}
		if (d->hdr_have == 4 && d->poff == d->plen) {
			d->hdr_have = 0;
			if (d->plen == MAX_PACKET) {
				d->cont = 1;
				continue;
			}
			d->cont = 0;
			packet_done(s, dir, ts);
		}
	}
	*used = o;
}

/*
 * The client side has no packet boundary (joined mid-stream, or a gap):
 * a new command starts at a segment boundary, so a candidate header is
 * looked for only where a chunk begins, collected across chunks into
 * peek[] until it can be judged. Returns the bytes consumed; on success
 * the collected bytes have been framed.
 */
static size_t
client_resync(struct mysql *s, const uint8_t *p, size_t len, int chunk_start,
    int64_t ts)
{
	struct dir *d = &s->dir[DB_FROM_CLIENT];
	size_t need, n, used;
	uint8_t peek[PEEK_MAX];
	size_t peek_len;

	if (d->peek_len == 0 && !chunk_start)
		return len;
	need = 5;
	if (d->peek_len >= 4) {
		need = 4 + (size_t)le24(d->peek);
		if (need > PEEK_MAX)
			need = PEEK_MAX;
	}
	n = 0;
	while (d->peek_len < need && n < len) {
		d->peek[d->peek_len++] = p[n++];
		if (d->peek_len == 4) {
			need = 4 + (size_t)le24(d->peek);
			if (need > PEEK_MAX)
				need = PEEK_MAX;
			if (need < 5)
				need = 5;
		}
	}
	if (d->peek_len < need)
		return n;
	peek_len = d->peek_len;
	memcpy(peek, d->peek, peek_len);
	d->peek_len = 0;
	if (!plausible_command(peek, peek_len))
		return n;
	d->sync = 1;
	d->hdr_have = 0;
	d->cont = 0;
	s->infile = 0;
	frame(s, DB_FROM_CLIENT, peek, peek_len, ts, &used);
	return n;
}

/*
 * The server side lost its place inside a stream of rows: a place where
 * three packet headers chain (sequence ids +1, lengths that fit), or two
 * that end exactly at the chunk's end, is taken as a packet boundary so
 * the rows after a gap are still counted (the query stays partial).
 * Otherwise the bytes wait for the client's next command.
 */
static size_t
server_resync(struct mysql *s, const uint8_t *p, size_t len)
{
	struct dir *d = &s->dir[DB_FROM_SERVER];
	size_t i, j, k;
	uint32_t l1, l2, l3;

	if (!s->srv_resync_rows || len < 8)
		return len;
	for (i = 0; i + 8 <= len; i++) {
		l1 = le24(p + i);
		if (l1 == 0 || l1 >= MAX_PACKET || l1 > len - i - 8)
			continue;
		j = i + 4 + l1;
		if (p[j + 3] != (uint8_t)(p[i + 3] + 1))
			continue;
		l2 = le24(p + j);
		if (l2 == 0 || l2 >= MAX_PACKET || l2 > len - j - 4)
			continue;
		k = j + 4 + l2;
		if (k != len) {
			if (k + 4 > len || p[k + 3] != (uint8_t)(p[j + 3] + 1))
				continue;
			l3 = le24(p + k);
			if (l3 >= MAX_PACKET || l3 > len - k - 4)
				continue;
		}
		d->sync = 1;
		d->hdr_have = 0;
		d->cont = 0;
		s->srv_resync_rows = 0;
		s->srv_expect = p[i + 3];
		return i;
	}
	return len;
}

/*
 * Bytes of one direction after the first ones: framed when in sync,
 * else used to find a packet boundary again. chunk_start says p is where
 * a chunk (a TCP segment, in practice) began.
 */
static void
feed(struct mysql *s, enum db_dir dir, const uint8_t *p, size_t len,
    int64_t ts, int chunk_start)
{
	struct dir *d = &s->dir[dir];
	size_t n, o = 0;

	while (o < len && s->phase != PH_IGNORE) {
		if (d->sync)
			frame(s, dir, p + o, len - o, ts, &n);
		else if (dir == DB_FROM_CLIENT)
			n = client_resync(s, p + o, len - o,
			    chunk_start && o == 0, ts);
		else
			n = server_resync(s, p + o, len - o);
		if (n == 0)
			break;		/* cannot happen; never spin */
		o += n;
	}
}

/*
 * The first bytes of a connection decide whether it started here (a
 * greeting from the server, a handshake response from the client) or
 * was joined mid-stream: then both sides resynchronise. Returns the
 * bytes of p consumed.
 */
static size_t
first_bytes(struct mysql *s, enum db_dir dir, const uint8_t *p, size_t len,
    int64_t ts)
{
	struct dir *d = &s->dir[dir];
	size_t n = 0, need = dir == DB_FROM_SERVER ? 5 : 8;
	uint8_t peek[PEEK_MAX];
	size_t peek_len;
	uint32_t plen;
	int start;

	while (d->peek_len < need && n < len)
		d->peek[d->peek_len++] = p[n++];
	if (d->peek_len < need)
		return n;
	peek_len = d->peek_len;
	memcpy(peek, d->peek, peek_len);
	d->peek_len = 0;
	plen = le24(peek);
	if (dir == DB_FROM_SERVER)
		start = peek[3] == 0 && (peek[4] == 10 || peek[4] == 0xff) &&
		    plen >= 3 && plen < 4096;
	else
		start = peek[3] == 1 && plen >= 32 && plen < 65536 &&
		    (le32(peek + 4) & CLIENT_PROTOCOL_41) != 0;
	if (start) {
		s->dir[0].sync = s->dir[1].sync = 1;
		if (dir == DB_FROM_CLIENT)
			s->phase = PH_GREETING;
	} else {
		/* Joined mid-stream: commands from the next plausible one. */
		s->phase = PH_COMMAND;
		s->picked_up = 1;
		s->connected = 1;
	}
	feed(s, dir, peek, peek_len, ts, 1);
	return n;
}

/* db_proto entry points */

static void *
mysql_new(struct db_session_info *info, const struct db_out *out,
    const struct agent_config *cfg)
{
	struct mysql *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->info = info;
	s->out = out;
	s->statement_max = 64 << 10;
	if (cfg != NULL && cfg->statement_max > 0)
		s->statement_max = (size_t)cfg->statement_max;
	if (info->db_system == NULL)
		info->db_system = "mysql";
	s->phase = PH_INIT;
	return s;
}

static void
mysql_data(void *arg, enum db_dir dir, const uint8_t *p, size_t len,
    int64_t ts)
{
	struct mysql *s = arg;
	size_t n = 0;

	if (s == NULL || s->closed || (dir != DB_FROM_CLIENT &&
	    dir != DB_FROM_SERVER) || s->phase == PH_IGNORE)
		return;
	if (s->phase == PH_INIT && !s->dir[dir].sync) {
		n = first_bytes(s, dir, p, len, ts);
		if (n == len)
			return;
	}
	feed(s, dir, p + n, len - n, ts, n == 0);
}

/*
 * len bytes of one direction were lost. Inside the current packet's
 * payload the framing survives (the bytes are skipped); otherwise that
 * direction resynchronises. Either way the statement in flight is
 * partial: its counts are lower bounds.
 */
static void
mysql_gap(void *arg, enum db_dir dir, size_t len, int64_t ts)
{
	struct mysql *s = arg;
	struct dir *d;
	struct cmd *c;
	uint64_t left;

	if (s == NULL || s->closed || s->phase == PH_IGNORE ||
	    (dir != DB_FROM_CLIENT && dir != DB_FROM_SERVER) || len == 0)
		return;
	d = &s->dir[dir];
	if ((c = q_head(s)) != NULL) {
		c->partial = 1;
		c->end_us = ts;
	}
	if (s->phase != PH_COMMAND) {
		/* Lost in the handshake: carry on as if joined mid-stream. */
		s->phase = PH_COMMAND;
		s->picked_up = 1;
		s->connected = 1;
		s->dir[0].sync = s->dir[1].sync = 0;
		s->dir[0].peek_len = s->dir[1].peek_len = 0;
		return;
	}
	if (d->sync && d->hdr_have == 4) {
		left = d->plen - d->poff;
		if (len <= left) {
			/* Lost inside a query attribute block: the text's
			 * start is lost with it. */
			if (dir == DB_FROM_CLIENT && s->qa_pkt)
				myqa_fail(&s->qa, "a capture gap in them");
			if (!d->hole) {
				d->hole = 1;
				d->hole_at = d->pkt.len;
			}
			d->poff += (uint32_t)len;
			d->llen += len;
			if (dir == DB_FROM_SERVER && c != NULL)
				c->bytes += len;
			if (d->poff == d->plen) {
				d->hdr_have = 0;
				if (d->plen == MAX_PACKET)
					d->cont = 1;
				else {
					d->cont = 0;
					packet_done(s, dir, ts);
				}
			}
			return;
		}
	}
	d->sync = 0;
	d->peek_len = 0;
	d->hdr_have = 0;
	d->cont = 0;
	d->pkt.len = 0;
	if (dir == DB_FROM_SERVER)
		s->srv_resync_rows = c != NULL && (s->rs == RS_ROWS ||
		    c->kind == K_FETCH);
	else
		s->infile = 0;
}

static void
mysql_close(void *arg, int64_t ts)
{
	struct mysql *s = arg;
	struct cmd *c;

	if (s == NULL || s->closed)
		return;
	while ((c = q_head(s)) != NULL) {
		if (c->end_us < c->start_us)
			c->end_us = ts;
		c->partial = 1;
		finish_head(s);
	}
	if (s->connected && !s->disconnected) {
		s->disconnected = 1;
		emit_session(s, "disconnect", ts, NULL);
	}
	s->closed = 1;
}

static void
mysql_free(void *arg)
{
	struct mysql *s = arg;
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < QUEUE_MAX; i++) {
		bytes_free(&s->q[i].sql);
		bytes_free(&s->q[i].origin);
		bytes_free(&s->q[i].inner);
	}
	bytes_free(&s->dir[0].pkt);
	bytes_free(&s->dir[1].pkt);
	stmt_clear(s);
	free(s->pad);
	free(s);
}

const struct db_proto db_proto_mysql = {
	.name = "mysql",
	.db_system = "mysql",
	.default_port = 3306,
	.new = mysql_new,
	.data = mysql_data,
	.gap = mysql_gap,
	.close = mysql_close,
	.free = mysql_free
};
