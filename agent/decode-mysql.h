/*
 * The MySQL wire decoder's own header, shared by its three files and by
 * nothing else: decode-mysql.c (framing, the handshake, commands and
 * their responses, the queries reported), decode-mysql-session.c (what a
 * session remembers: binary-protocol and SQL-level prepared statements,
 * and the SQL text the decoder acts on, split and classified with
 * lib/sqllex.c) and decode-mysql-msg.c (packet fields and shapes). The
 * rest of the agent sees only db_proto_mysql (agent.h).
 */
#ifndef LEAKWATCH_DECODE_MYSQL_H
#define LEAKWATCH_DECODE_MYSQL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

/* Capability flags (lower 32 bits; MariaDB's extended ones are unused). */
#define CLIENT_CONNECT_WITH_DB		0x00000008U
#define CLIENT_COMPRESS			0x00000020U
#define CLIENT_PROTOCOL_41		0x00000200U
#define CLIENT_SSL			0x00000800U
#define CLIENT_SECURE_CONNECTION	0x00008000U
#define CLIENT_PLUGIN_AUTH		0x00080000U
#define CLIENT_CONNECT_ATTRS		0x00100000U
#define CLIENT_PLUGIN_AUTH_LENENC	0x00200000U
#define CLIENT_DEPRECATE_EOF		0x01000000U
#define CLIENT_ZSTD_COMPRESSION		0x04000000U
#define CLIENT_QUERY_ATTRIBUTES		0x08000000U

/* Server status flags. */
#define SERVER_MORE_RESULTS_EXISTS	0x0008
#define SERVER_STATUS_CURSOR_EXISTS	0x0040

/* Commands. */
#define COM_QUIT		0x01
#define COM_INIT_DB		0x02
#define COM_QUERY		0x03
#define COM_FIELD_LIST		0x04
#define COM_STATISTICS		0x09
#define COM_PROCESS_INFO	0x0a
#define COM_DEBUG		0x0d
#define COM_PING		0x0e
#define COM_CHANGE_USER		0x11
#define COM_BINLOG_DUMP		0x12
#define COM_STMT_PREPARE	0x16
#define COM_STMT_EXECUTE	0x17
#define COM_STMT_SEND_LONG_DATA	0x18
#define COM_STMT_CLOSE		0x19
#define COM_STMT_RESET		0x1a
#define COM_SET_OPTION		0x1b
#define COM_STMT_FETCH		0x1c
#define COM_BINLOG_DUMP_GTID	0x1e
#define COM_RESET_CONNECTION	0x1f
#define COM_STMT_BULK_EXECUTE	0xfa

#define MAX_PACKET		0xffffffU
#define SERVER_KEEP		1024	/* kept of a server packet */
#define PEEK_MAX		16	/* bytes looked at to resynchronise */
#define QUEUE_MAX		8	/* commands awaiting their response */
#define STMT_MAX		256	/* prepared statements per session */
#define STMT_BYTES_MAX		(1024 * 1024) /* their text */
#define STMT_MEMORY_MAX		(256U << 20) /* all sessions' statements */
#define SQLPREP_MAX		64	/* SQL-level PREPAREd names */
#define NAME_MAX_LEN		64
#define PIECES_MAX		64	/* statements in a COM_QUERY */

enum phase {
	PH_INIT = 0,		/* nothing seen yet */
	PH_GREETING,		/* greeting seen, awaiting response */
	PH_AUTH,		/* response seen, waiting for OK / ERR */
	PH_COMMAND,		/* command phase */
	PH_IGNORE		/* TLS, compressed, replication, ended */
};

/* What shape of response a command gets. */
enum kind {
	K_RESULT,		/* OK | ERR | LOCAL INFILE | result sets */
	K_PREPARE,		/* COM_STMT_PREPARE_OK + definitions | ERR */
	K_FETCH,		/* binary rows + terminator | ERR */
	K_SIMPLE,		/* exactly one packet */
	K_FIELDLIST,		/* definitions until a terminator */
	K_AUTH			/* auth exchange until OK | ERR */
};

/* Response state of the command at the head of the queue. */
enum rstate {
	RS_FIRST,		/* first packet of a (further) result */
	RS_COLDEFS,		/* column definitions left: ndefs */
	RS_META_EOF,		/* an EOF may end the definitions */
	RS_ROWS,		/* rows until a terminator */
	RS_PREP_DEFS,		/* prepare: definitions of a block left */
	RS_PREP_EOF,		/* prepare: an EOF may end a block */
	RS_INFILE		/* LOCAL INFILE: waiting for OK / ERR */
};

/* SQL statements the decoder itself acts on. */
enum sqlkind {
	SQ_OTHER,
	SQ_USE,			/* USE db */
	SQ_PREPARE,		/* PREPARE name FROM 'text' */
	SQ_EXECUTE,		/* EXECUTE name */
	SQ_DEALLOCATE		/* DEALLOCATE / DROP PREPARE name */
};

/*
 * The decoder's own byte buffer: a packet's kept prefix, a statement's
 * text. Unlike leakwatch/buf.h its growth may fail - per-session state
 * never aborts the agent, the caller drops what does not fit - and a big
 * one goes back to the allocator when its statement is done.
 */
struct bytes {
	uint8_t		*data;
	size_t		 len;
	size_t		 cap;
};

/* One direction's packet framer. */
struct dir {
	int		 sync;		/* packet boundary known */
	uint8_t		 hdr[4];
	size_t		 hdr_have;
	uint32_t	 plen;		/* physical packet length */
	uint32_t	 poff;		/* payload bytes of it seen */
	uint8_t		 first_seq;	/* of the logical packet */
	uint8_t		 last_seq;	/* of its last physical part */
	int		 cont;	/* 0xffffff: more parts follow */
	uint64_t	 llen;		/* logical packet length so far */
	size_t		 keep;		/* bytes of it to keep */
	int		 hole;		/* a gap in the kept bytes */
	size_t		 hole_at;
	int64_t		 start_us;	/* first header byte's time */
	struct bytes	 pkt;		/* kept prefix of the packet */
	uint8_t		 peek[PEEK_MAX];
	size_t		 peek_len;
};

struct cmd {
	uint8_t		 code;
	enum kind	 kind;
	int		 report;	/* becomes a db_query */
	uint8_t		 flags;		/* cursor flags */
	uint32_t	 stmt_id;
	uint8_t		 expect_seq;	/* first response seq */
	enum sqlkind	 sqlkind;
	char		 name[NAME_MAX_LEN + 1]; /* USE db / PREPARE name */
	struct bytes	 sql;		/* text reported */
	int		 cut;		/* sql is cut short (cap or gap) */
	struct bytes	 origin;	/* PREPARE text of an EXECUTE */
	struct bytes	 inner;		/* PREPARE name FROM 'inner' */
	int		 has_origin;
	int		 origin_is_sql;	/* binary execute */
	int		 inner_known;
	const char	*command;
	int64_t		 start_us;
	int64_t		 end_us;
	uint64_t	 rows;
	uint64_t	 affected;
	int		 has_affected;
	uint64_t	 bytes;
	int		 error;
	char		 error_code[16];
	int		 partial;
	int		 started;	/* a response packet came */
	/* A multi-statement COM_QUERY: where each statement starts. */
	size_t		 piece[PIECES_MAX];
	int		 npieces;
	int		 cur;		/* statement being answered */
	int		 cur_is_call;	/* CALL: results until its OK */
	int		 last;		/* the final result */
};

struct stmt {
	uint32_t	 id;
	char		*sql;
	size_t		 len;
	int		 cut;
	uint64_t	 used;
};

struct sqlprep {
	char		 name[NAME_MAX_LEN + 1];
	char		*sql;		/* NULL: FROM @var */
	size_t		 len;
};

struct mysql {
	struct db_session_info	*info;
	const struct db_out	*out;
	size_t		 statement_max;
	enum phase	 phase;
	struct dir	 dir[2];
	uint32_t	 server_caps;
	int		 server_caps_known;
	uint32_t	 caps;		/* client's & server's */
	int		 caps_known;
	int		 picked_up;	/* joined mid-stream */
	int		 connected;	/* connect seen or picked up */
	int		 disconnected;
	int		 closed;

	/* Commands awaiting a response, oldest first. */
	struct cmd	 q[QUEUE_MAX];
	size_t		 q_head;
	size_t		 q_len;
	enum rstate	 rs;
	uint64_t	 ndefs;		/* definitions left */
	int		 prep_blocks;	/* prepare: blocks after this */
	uint64_t	 prep_cols;	/* prepare: columns block size */
	uint8_t		 srv_expect;	/* next server seq */
	int		 infile;	/* client streams a LOCAL INFILE */
	int		 srv_resync_rows; /* lost in rows: re-frame */

	/* Prepared statements (binary protocol) and SQL-level PREPAREs. */
	struct stmt	 stmts[STMT_MAX];
	size_t		 nstmts;
	size_t		 stmt_bytes;
	uint64_t	 stmt_clock;
	uint32_t	 last_prepared;
	int		 last_prepared_ok;
	struct sqlprep	 sqlprep[SQLPREP_MAX];
	size_t		 nsqlprep;

	char		*pad;		/* cut statements, padded */
	uint64_t	 bad;		/* malformed packets skipped */

	/* MySQL 8 query attributes of the client packet being framed
	 * (decode-mysql-attrs.c): qa_pkt when it is a COM_QUERY that may
	 * carry them; qa_learned once a session picked up mid-stream
	 * (no handshake seen) showed it sends them. */
	struct myqa	 qa;
	int		 qa_pkt;
	int		 qa_learned;
};

/* The growable buffer of packet prefixes and texts (NUL-terminated). */

/* Grows b to hold at least n bytes; 0 or -1 (no memory: caller copes). */
static inline int
bytes_reserve(struct bytes *b, size_t n)
{
	size_t cap;
	uint8_t *d;

	if (n <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < n)
		cap *= 2;
	if ((d = realloc(b->data, cap)) == NULL)
		return -1;
	b->data = d;
	b->cap = cap;
	return 0;
}

/* Sets b to p[0..len); keeps it NUL-terminated for the callbacks. */
static inline void
bytes_set(struct bytes *b, const void *p, size_t len)
{
	if (bytes_reserve(b, len + 1) == -1) {
		b->len = 0;
		return;
	}
	if (len > 0)
		memcpy(b->data, p, len);
	b->data[len] = '\0';
	b->len = len;
}

/* Big buffers go back to the allocator once the statement is done. */
static inline void
bytes_trim(struct bytes *b)
{
	if (b->cap > 16384) {
		free(b->data);
		b->data = NULL;
		b->cap = 0;
	}
	b->len = 0;
}

static inline void
bytes_free(struct bytes *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* decode-mysql-session.c */
void	stmt_remove(struct mysql *s, uint32_t id);
void	stmt_add(struct mysql *s, uint32_t id, const uint8_t *sql,
	    size_t len, int cut);
void	stmt_clear(struct mysql *s);
void	stmt_bind(struct mysql *s, struct cmd *c);
void	sqlprep_remove(struct mysql *s, const char *name);
void	sqlprep_add(struct mysql *s, const char *name, const uint8_t *sql,
	    size_t len, int known);
void	classify_sql(struct mysql *s, struct cmd *c);
void	split_statements(struct cmd *c);
int	piece_is_call(const struct cmd *c);

/* decode-mysql-msg.c */
uint32_t	le16(const uint8_t *p);
uint32_t	le24(const uint8_t *p);
uint32_t	le32(const uint8_t *p);
int	lenenc(const uint8_t *p, size_t len, size_t *off, uint64_t *v);
void	set_field(char *dst, size_t dstsz, const uint8_t *p, size_t len);
long	cstr_len(const uint8_t *p, size_t len, size_t off);
int	parse_ok(const uint8_t *p, size_t len, uint64_t *affected,
	    uint32_t *status);
uint32_t	terminator_status(const uint8_t *p, size_t len);
int	is_terminator(const uint8_t *p, size_t len, uint64_t llen);
int	plausible_command(const uint8_t *h, size_t have);

#endif
