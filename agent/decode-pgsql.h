/*
 * The PostgreSQL wire decoder's own header, shared by its three files
 * and by nothing else: decode-pgsql.c (the conversation: requests,
 * answers, statements reported), decode-pgsql-session.c (what a
 * connection remembers: statement texts, prepared statements, portals,
 * cursors, the request queue, and the SQL statements that change them)
 * and decode-pgsql-msg.c (what a message of each type may look like and
 * what its fields hold). The rest of the agent sees only db_proto_pgsql
 * (agent.h).
 */
#ifndef LEAKWATCH_DECODE_PGSQL_H
#define LEAKWATCH_DECODE_PGSQL_H

#include <stddef.h>
#include <stdint.h>

#include "agent.h"

#define PG_CODE_SSL		80877103
#define PG_CODE_GSS		80877104
#define PG_CODE_CANCEL		80877102
#define PG_MAJOR3		3

#define PG_STARTUP_MAX		10000	/* the server's own limit */
#define PG_MSG_MAX		0x7fffffffU
#define PG_NAME_KEEP		256	/* statement/portal name bytes */
#define PG_SMALL_KEEP		1024	/* ErrorResponse, ParameterStatus */
#define PG_STMTS_MAX		128	/* prepared statements remembered */
#define PG_PORTALS_MAX		64
#define PG_CURSORS_MAX		64
#define PG_PENDING_MAX		4096	/* requests awaiting an answer */
#define PG_PENDING_TEXT_MAX	(4U << 20)	/* their text, per connection */
#define PG_TEXT_MEMORY_MAX	(256U << 20)	/* all texts, all connections */
#define PG_WIN_MAX		16384	/* resynchronisation window */
#define PG_BUF_SHRINK		4096	/* larger buffers are freed after use */

enum pg_dstate {
	DS_FIRST = 0,		/* nothing seen yet */
	DS_STARTUP,		/* client: untyped start-up packets */
	DS_MSG,			/* typed messages, in sync */
	DS_RESYNC,		/* looking for a message boundary */
	DS_OFF			/* encrypted or given up: ignore */
};

/* A statement's text, shared by the tables and the request queue. */
struct pg_text {
	unsigned	 refs;
	int		 cut;	/* longer than statement_max, or damaged */
	size_t		 len;
	char		 sql[];	/* len bytes and a NUL */
};

struct pg_named {
	char		*name;
	struct pg_text	*text;
	uint64_t	 stamp;	/* last use, for eviction */
};

struct pg_table {
	struct pg_named	*v;
	size_t		 n;
	size_t		 max;
};

enum pg_req_kind {
	REQ_QUERY,
	REQ_PARSE,
	REQ_BIND,
	REQ_DESCRIBE,
	REQ_EXECUTE,
	REQ_CLOSE,
	REQ_SYNC,
	REQ_FUNC,
	REQ_LOST		/* client bytes lost: requests unknown */
};

struct pg_req {
	enum pg_req_kind kind;
	int		 partial;
	int64_t		 start_us;
	struct pg_text	*text;
	size_t		 pos;		/* Query: where the next piece starts */
	int		 pieces;	/* Query: pieces reported */
	size_t		 charge;	/* text bytes counted in q_text */
};

/* The statement whose result is streaming now. */
struct pg_cur {
	int		 active;
	int		 orphan;	/* no request known for it */
	int		 partial;
	int		 rowdesc;
	int		 copy_out;
	int		 copy_binary;
	int		 copy_in;
	uint64_t	 rows;		/* DataRow */
	uint64_t	 copy_rows;	/* CopyData from the server */
	uint64_t	 bytes;
	int64_t		 start_us;
};

struct pg_dir {
	enum pg_dstate	 st;
	uint8_t		 hdr[8];
	size_t		 hdr_have;
	int		 in_body;
	uint8_t		 type;		/* 0: untyped start-up packet */
	uint32_t	 total;		/* body bytes */
	uint32_t	 left;		/* body bytes still to come */
	size_t		 keep;		/* body bytes worth keeping */
	uint8_t		*buf;
	size_t		 buf_have;
	size_t		 buf_cap;
	int		 damaged;	/* a gap fell inside this message */
	int64_t		 msg_ts;	/* ts of the message's first byte */
	uint8_t		*win;		/* DS_RESYNC: bytes being scanned */
	size_t		 win_len;
	uint8_t		 push[8];	/* header bytes handed back */
	size_t		 npush;
};

struct pg_conn {
	struct db_session_info	*info;
	struct db_out		 out;
	size_t			 stmt_max;

	struct pg_dir		 dir[2];
	int			 startup_seen;
	int			 midstream;
	int			 await_ssl;	/* server's S/N/G answer next */
	int			 authed;	/* logged in, or picked up */
	int			 auth_ok;	/* AuthenticationOk seen */
	int			 connected;	/* connect reported */
	int			 ready;		/* a ReadyForQuery was seen */
	int			 tls;
	int			 auth_failed;
	int			 srv_lost;	/* server bytes lost */
	int			 closed;
	int			 queries;	/* statements reported */

	struct pg_req		*q;		/* ring of pending requests */
	size_t			 q_head;
	size_t			 q_len;
	size_t			 q_cap;
	size_t			 q_text;	/* text bytes the queue holds */
	int			 skip_to_sync;	/* server discards until Sync */
	int			 batch_open;
	int64_t			 batch_start;

	struct pg_cur		 cur;
	uint64_t		 prelude_bytes;	/* Parse/Bind/Describe answers */
	int			 prelude_rowdesc;

	struct pg_table		 stmts;
	struct pg_table		 portals;
	struct pg_table		 cursors;
	uint64_t		 stamp;

	char			*pad;		/* cut statements, padded */
	uint64_t		 bad;		/* resynchronisations */
};

/* A CommandComplete tag: its first word and its last number. */
struct pg_tag {
	char		 word[32];
	uint64_t	 n;
	int		 has_n;
};

/* decode-pgsql-session.c */
struct pg_text	*pg_text_new(const char *s, size_t len, int cut);
struct pg_text	*pg_text_ref(struct pg_text *t);
void	pg_text_unref(struct pg_text *t);
struct pg_named	*pg_table_get(struct pg_conn *c, struct pg_table *tb,
	    const char *name);
void	pg_table_del(struct pg_table *tb, const char *name);
void	pg_table_clear(struct pg_table *tb);
void	pg_table_put(struct pg_conn *c, struct pg_table *tb, const char *name,
	    struct pg_text *text);
struct pg_req	*pg_q_at(struct pg_conn *c, size_t i);
struct pg_req	*pg_q_front(struct pg_conn *c);
void	pg_q_pop(struct pg_conn *c);
void	pg_q_push(struct pg_conn *c, enum pg_req_kind kind, struct pg_text *text,
	    int64_t start);
int	pg_next_piece(const char *s, size_t len, size_t *pos, size_t *pstart,
	    size_t *plen);
struct pg_text	*pg_origin_of(struct pg_conn *c, const char *s, size_t len,
	    int *is_move);
void	pg_statement_effects(struct pg_conn *c, const char *s, size_t len);

/* decode-pgsql-msg.c */
uint32_t	pg_be32(const uint8_t *p);
void	pg_copy(char *dst, size_t dstlen, const uint8_t *src, size_t srclen);
long	pg_cstr(const uint8_t *p, size_t n);
void	pg_tag_parse(const char *tag, struct pg_tag *tg);
void	pg_error_code(const uint8_t *b, size_t n, char *out, size_t outlen);
size_t	pg_keep_for(const struct pg_conn *c, enum db_dir d, uint8_t type);
int	pg_plausible(enum db_dir d, uint8_t type, uint32_t len);
int	pg_body_check(enum db_dir d, uint8_t type, const uint8_t *b, size_t have,
	    size_t total);

#endif
