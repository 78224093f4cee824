/*
 * The database connection table: every TCP connection to a configured
 * database port gets one entry, with two reassembled directions
 * (reasm.c) and one protocol decoder (decode-pgsql.c, decode-mysql.c).
 * Which side is the server is decided by the configured ports
 * ("pgsql:5432", "mysql:3306"; both default ports when none is given),
 * not by who sent the SYN, so connections already open when the capture
 * starts are picked up too.
 *
 * The table is bounded: at db-sessions-max the least recently active
 * connection is closed (counted as evicted) to make room; a connection
 * silent for db-idle-timeout is closed; FIN in both directions or an RST
 * closes one at once, and the end of an offline capture closes them all.
 * Closing flushes both reassemblers (holes become gaps) before the
 * decoder's close(), so the decoder can report what it still holds.
 *
 * This file also implements struct db_out, the decoders' way out: a
 * statement is normalised with sqlnorm() here - so raw SQL never goes
 * past this file - and turned into a db.query event with exactly the
 * fields of docs/events.md, validated by the closed schema before it is
 * handed to the source's emit function.
 */
#include <sys/random.h>
#include <sys/queue.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "leakwatch/event.h"
#include "leakwatch/hash.h"
#include "leakwatch/jsonw.h"
#include "leakwatch/log.h"
#include "leakwatch/sqlnorm.h"
#include "leakwatch/text.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define DB_HASH_MIN		1024
#define DB_SWEEP_US		1000000LL	/* idle checks, packet time */
/* The wall clock's sweep flushes aggregates this late: packets of the
 * window's last moments may still be in the capture queue. */
#define DB_AGG_GRACE_US		1000000LL
#define DB_LOGGED		20		/* invalid events logged */
#define DB_COMMAND_MAX		32
#define DB_TABLE_MAX		256
#define DB_END_USER_MAX		256

/* The protocols the agent decodes, looked up by name for --port. */
static const struct db_proto *const db_protos[] = {
	&db_proto_pgsql,
	&db_proto_mysql,
};
#define DB_NPROTOS	(sizeof(db_protos) / sizeof(db_protos[0]))

struct db_conn;

/* What a reassembler callback needs: the connection and its direction. */
struct db_dirarg {
	struct db_conn	*c;
	enum db_dir	 dir;
};

/*
 * What a connection last noted for the log sources' dedup (wire_memo()
 * below): the slot its key maps to and the id the key was built from,
 * so that noting each query of a known session costs a compare instead
 * of formatting and hashing the key again.
 */
struct db_wire_memo {
	struct db_wire_slot	*slot;
	char			 id[64];
	char			 key[112];
};

struct db_conn {
	uint8_t			 ipver;
	uint8_t			 cli[16];
	uint8_t			 srv[16];
	uint16_t		 cport;
	uint16_t		 sport;
	uint32_t		 hash;
	struct db_conn		*hnext;
	TAILQ_ENTRY(db_conn)	 lru;		/* oldest activity first */
	struct db_table		*t;
	const struct db_proto	*proto;
	void			*dec;
	struct db_out		 out;
	struct db_session_info	 info;
	struct reasm		*r[2];
	struct db_dirarg	 da[2];
	int64_t			 first_ts;
	int64_t			 last_ts;
	int			 announced;	/* connect/tls reported */
	int			 disconnected;	/* disconnect reported */
	int			 has_data;
	struct db_wire_memo	 wmemo[2];	/* client, session id */
};

TAILQ_HEAD(db_lru, db_conn);

struct db_table {
	const struct agent_config *cfg;
	struct db_port		 ports[DB_MAX_PORTS];
	size_t			 nports;
	db_emit_fn		*emit;
	void			*emit_arg;
	struct reasm_ctx	*reasm;
	struct db_conn		**hash;
	size_t			 nbuckets;	/* power of two */
	uint64_t		 hkey;		/* random, see conn_hash() */
	size_t			 count;
	struct db_lru		 lru;
	int64_t			 last_sweep;
	int64_t			 now;		/* latest packet time */
	struct agg		*agg;		/* NULL: aggregate off */
	struct db_stats		 st;
};

const struct db_proto *
db_proto_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < DB_NPROTOS; i++)
		if (strcmp(db_protos[i]->name, name) == 0 ||
		    strcmp(db_protos[i]->db_system, name) == 0)
			return db_protos[i];
	return NULL;
}

/*
 * cfg->ports: "NAME:PORT" entries, e.g. "pgsql:5432". None: every
 * protocol on its default port. A bad entry is named in the error.
 */
int
db_ports(const struct agent_config *cfg, struct db_port *out, size_t *n,
    char *err, size_t errlen)
{
	const struct db_proto *p;
	const char *e, *colon;
	char name[32];
	long long port;
	size_t i, j, k = 0;

	if (cfg->ports.n == 0) {
		for (i = 0; i < DB_NPROTOS; i++) {
			out[k].proto = db_protos[i];
			out[k++].port = db_protos[i]->default_port;
		}
		*n = k;
		return 0;
	}
	for (i = 0; i < cfg->ports.n; i++) {
		e = cfg->ports.v[i];
		if ((colon = strchr(e, ':')) == NULL ||
		    (size_t)(colon - e) >= sizeof(name) || colon == e) {
			snprintf(err, errlen, "port \"%s\": expected "
			    "PROTOCOL:PORT, e.g. pgsql:5432 or mysql:3306", e);
			return -1;
		}
		memcpy(name, e, (size_t)(colon - e));
		name[colon - e] = '\0';
		if ((p = db_proto_lookup(name)) == NULL) {
			snprintf(err, errlen, "port \"%s\": unknown protocol "
			    "\"%s\" (pgsql or mysql)", e, name);
			return -1;
		}
		if (parse_ll(colon + 1, 1, 65535, &port) != 0) {
			snprintf(err, errlen, "port \"%s\": port must be a "
			    "number from 1 to 65535", e);
			return -1;
		}
		for (j = 0; j < k; j++)
			if (out[j].port == port)
				break;
		if (j < k) {
			if (out[j].proto == p)
				continue;	/* repeated: harmless */
			snprintf(err, errlen, "port \"%s\": port %lld is "
			    "already %s", e, port, out[j].proto->name);
			return -1;
		}
		if (k == DB_MAX_PORTS) {
			snprintf(err, errlen, "port \"%s\": more than %d "
			    "database ports", e, DB_MAX_PORTS);
			return -1;
		}
		out[k].proto = p;
		out[k++].port = (uint16_t)port;
	}
	*n = k;
	return 0;
}

/* aggregate.c hands over each flushed aggregate: built here, emitted. */
static void
db_agg_emit(void *arg, const struct db_qfields *f)
{
	struct db_table *t = arg;
	struct lw_event *ev;
	char err[256];

	if ((ev = db_query_build(f, err, sizeof(err))) == NULL) {
		/* Only a bug here can produce an invalid event. */
		if (t->st.invalid++ < DB_LOGGED)
			log_warnx("db: event refused: %s", err);
		return;
	}
	t->st.query_events++;
	t->emit(t->emit_arg, ev);
}

/* Wire decoders alive in this agent: whether a log line can be beaten
 * by its own session's packets at all (db_wire_active()). */
static int db_wire_tables;

struct db_table *
db_new(const struct agent_config *cfg, db_emit_fn *emit, void *arg,
    char *err, size_t errlen)
{
	struct db_table *t;

	t = xcalloc(1, sizeof(*t));
	if (db_ports(cfg, t->ports, &t->nports, err, errlen) != 0) {
		free(t);
		return NULL;
	}
	t->cfg = cfg;
	t->emit = emit;
	t->emit_arg = arg;
	t->reasm = reasm_ctx_new((size_t)cfg->reasm_stream_max,
	    (size_t)cfg->reasm_memory);
	if (t->reasm == NULL)
		fatalx("reasm_ctx_new");
	t->nbuckets = DB_HASH_MIN;
	t->hash = xcalloc(t->nbuckets, sizeof(*t->hash));
	if (getrandom(&t->hkey, sizeof(t->hkey), 0) != sizeof(t->hkey))
		t->hkey = hash_mix64((uint64_t)getpid() ^ (uint64_t)now_us());
	TAILQ_INIT(&t->lru);
	t->agg = agg_new(cfg, 0, db_agg_emit, t);
	db_wire_tables++;
	return t;
}

/*
 * "tcp and (port 5432 or port 3306)", with vlan set also under one VLAN
 * tag (link types without VLAN support, such as Linux cooked captures on
 * "any", refuse that part).
 */
int
db_bpf(const struct db_table *t, int vlan, char *buf, size_t len)
{
	char ports[DB_MAX_PORTS * 16];
	size_t i, off = 0;
	int n;

	ports[0] = '\0';
	for (i = 0; i < t->nports; i++) {
		n = snprintf(ports + off, sizeof(ports) - off, "%sport %u",
		    i ? " or " : "", (unsigned)t->ports[i].port);
		if (n < 0 || (size_t)n >= sizeof(ports) - off)
			return -1;
		off += (size_t)n;
	}
	if (vlan)
		n = snprintf(buf, len, "(tcp and (%s)) or (vlan and tcp and "
		    "(%s))", ports, ports);
	else
		n = snprintf(buf, len, "tcp and (%s)", ports);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static const struct db_proto *
port_proto(const struct db_table *t, uint16_t port)
{
	size_t i;

	for (i = 0; i < t->nports; i++)
		if (t->ports[i].port == port)
			return t->ports[i].proto;
	return NULL;
}

/*
 * Keyed with a random value per table (t->hkey): CRC-32C is linear, so
 * an insider who controls a block of addresses could have aimed every
 * connection at one bucket and made each packet's lookup a list walk -
 * kernel drops, an evasion. Output does not depend on bucket order.
 */
static uint32_t
conn_hash(uint64_t hkey, uint8_t ipver, const uint8_t *cli, uint16_t cport,
    const uint8_t *srv, uint16_t sport)
{
	uint8_t key[40];
	size_t alen = ipver == 6 ? 16 : 4;
	uint64_t h = hkey ^ ipver;

	memset(key, 0, sizeof(key));
	memcpy(key, cli, alen);
	memcpy(key + alen, srv, alen);
	key[2 * alen] = (uint8_t)(cport >> 8);
	key[2 * alen + 1] = (uint8_t)cport;
	key[2 * alen + 2] = (uint8_t)(sport >> 8);
	key[2 * alen + 3] = (uint8_t)sport;
	/* Whole words: the zeroed tail of key pads the last one. */
	h = hash_mix64_words(h, key, (2 * alen + 4 + 7) / 8);
	return (uint32_t)(h ^ (h >> 32));
}

static struct db_conn *
conn_find(struct db_table *t, uint32_t h, uint8_t ipver, const uint8_t *cli,
    uint16_t cport, const uint8_t *srv, uint16_t sport)
{
	struct db_conn *c;

	for (c = t->hash[h & (t->nbuckets - 1)]; c != NULL; c = c->hnext)
		if (c->hash == h && c->ipver == ipver && c->cport == cport &&
		    c->sport == sport && memcmp(c->cli, cli, 16) == 0 &&
		    memcmp(c->srv, srv, 16) == 0)
			return c;
	return NULL;
}

static void
hash_grow(struct db_table *t)
{
	struct db_conn **nh, *c, *next;
	size_t i, nb = t->nbuckets * 2;

	nh = xcalloc(nb, sizeof(*nh));
	for (i = 0; i < t->nbuckets; i++)
		for (c = t->hash[i]; c != NULL; c = next) {
			next = c->hnext;
			c->hnext = nh[c->hash & (nb - 1)];
			nh[c->hash & (nb - 1)] = c;
		}
	free(t->hash);
	t->hash = nh;
	t->nbuckets = nb;
}

static void
hash_remove(struct db_table *t, struct db_conn *c)
{
	struct db_conn **pp = &t->hash[c->hash & (t->nbuckets - 1)];

	while (*pp != c)
		pp = &(*pp)->hnext;
	*pp = c->hnext;
}

/* Writes "1.2.3.4:5432" or "[2001:db8::1]:5432". */
static void
endpoint_str(uint8_t ipver, const uint8_t *addr, uint16_t port, char *buf,
    size_t len)
{
	char a[48];	/* INET6_ADDRSTRLEN and then some */

	pkt_addr_str(ipver, addr, a, sizeof(a));
	if (ipver == 6)
		snprintf(buf, len, "[%s]:%u", a, (unsigned)port);
	else
		snprintf(buf, len, "%s:%u", a, (unsigned)port);
}

/*
 * The events are written straight to JSON (lib/jsonw.c): building a
 * jansson DOM per statement only to check and dump it was most of the
 * per-query cost (docs/benchmarks.md). The bytes are those of the DOM
 * this replaced - json_object_set_new() per field, json_dumps() compact -
 * which tests/integration/pgsql.sh and mysql.sh compare through. One
 * writer serves every db event (only the main thread decodes, like
 * db_wire below): it keeps its timestamp cache and size hint.
 */
static struct jsonw db_w;

/* The longest text field put_text() escapes (app_name, end_user). */
#define DB_TEXT_VIS_MAX		256

/*
 * The statements seen, normalised once (normcache.c): the same text
 * comes back with nearly every query. One cache for every db source,
 * like db_w, and like db_w used by the main thread only.
 */
static struct normcache *db_nc;

/* Cut at max bytes on a character boundary, so the schema bound holds. */
static size_t
wire_cut(const char *s, size_t len, size_t max)
{
	if (len > max) {
		len = max;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	return len;
}

/* Invalid UTF-8 replaced byte by byte with '?' (and NUL, never seen). */
static char *
wire_ascii(const char *s, size_t len)
{
	char *copy;
	size_t i;

	copy = xmalloc(len + 1);
	for (i = 0; i < len; i++)
		copy[i] = ((unsigned char)s[i] < 0x80 && s[i] != '\0') ?
		    s[i] : '?';
	copy[len] = '\0';
	return copy;
}

/*
 * A string from bytes that came off the wire, as a member (key) or an
 * array element (key NULL): cut to max, and when not valid UTF-8
 * written as its ASCII-only copy.
 */
static void
put_wire(struct jsonw *w, const char *key, const char *s, size_t len,
    size_t max)
{
	char *copy;

	len = wire_cut(s, len, max);
	if (jsonw_utf8_valid(s, len)) {
		if (key != NULL)
			jsonw_strn(w, key, s, len);
		else
			jsonw_list_strn(w, s, len);
		return;
	}
	copy = wire_ascii(s, len);
	if (key != NULL)
		jsonw_strn(w, key, copy, len);
	else
		jsonw_list_strn(w, copy, len);
	free(copy);
}

/*
 * A name or label taken from the wire or a log (user, database,
 * application, client attributes, a failed login's user name) made safe
 * before it enters the event: control characters and invalid UTF-8 are
 * escaped by text_vis() (lib/text.c), cut to max with "..." if the
 * escapes make it longer. So an ESC or a CR LF never reaches a terminal
 * or a syslog message, and the event is kept: the collector refuses raw
 * control characters in these fields (docs/events.md). Clean text, all
 * but a hostile client's, is written as it is.
 */
static void
put_text(struct jsonw *w, const char *key, const char *s, size_t len,
    size_t max)
{
	char vis[DB_TEXT_VIS_MAX + 1];
	size_t n;

	if (text_is_clean(s, len)) {
		put_wire(w, key, s, len, max);
		return;
	}
	n = text_vis(s, len, vis, (max < DB_TEXT_VIS_MAX ? max :
	    DB_TEXT_VIS_MAX) + 1, 0);
	jsonw_strn(w, key, vis, n);
}

static void
set_str(struct jsonw *w, const char *key, const char *s, size_t max)
{
	if (s == NULL || *s == '\0')
		return;
	put_text(w, key, s, strlen(s), max);
}

static void
set_uint(struct jsonw *w, const char *key, uint64_t v)
{
	if (v > (1ULL << 53) - 1)
		v = (1ULL << 53) - 1;
	jsonw_uint(w, key, v);
}

static void
set_ts(struct jsonw *w, int64_t us)
{
	if (us < 0)
		us = 0;
	jsonw_ts(w, "ts", us);
}

/* The finished text as a validated event; NULL (err set) on a bug. */
static struct lw_event *
db_event_end(struct jsonw *w, char *err, size_t errlen)
{
	char *json;
	size_t len;

	if ((json = jsonw_end(w, &len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return lw_event_from_encoded(json, len, err, errlen);
}

/*
 * The schema for unqualified tables: PostgreSQL's first search_path
 * entry that is not "$user" (sqlnorm falls back to public), MySQL's
 * current database.
 */
static const char *
default_schema(const struct db_session_info *info, int mysql, char *buf,
    size_t len)
{
	const char *p = info->search_path, *e;
	size_t n;

	if (mysql)
		return info->database[0] != '\0' ? info->database : NULL;
	while (*p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		e = p;
		while (*e != '\0' && *e != ',')
			e++;
		n = (size_t)(e - p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
			p++;
			n -= 2;
		}
		if (n > 0 && n < len && !(n == 5 && memcmp(p, "$user", 5) == 0)) {
			memcpy(buf, p, n);
			buf[n] = '\0';
			return buf;
		}
		p = e;
	}
	return NULL;
}

/*
 * The decoders fill session_id from the protocol (PostgreSQL backend pid,
 * MySQL thread id) when they see it. A connection picked up mid-stream
 * never shows it, so the first event of a connection without one pins a
 * hash of the 4-tuple and the first packet's time: every event of one
 * connection carries the same id either way.
 */
static void
pin_session_id(struct db_conn *c)
{
	uint8_t idbuf[48];
	char hex[65];
	int i;

	if (c->info.session_id[0] != '\0')
		return;
	memcpy(idbuf, c->cli, 16);
	memcpy(idbuf + 16, c->srv, 16);
	idbuf[32] = (uint8_t)(c->cport >> 8);
	idbuf[33] = (uint8_t)c->cport;
	idbuf[34] = (uint8_t)(c->sport >> 8);
	idbuf[35] = (uint8_t)c->sport;
	for (i = 0; i < 8; i++)
		idbuf[36 + i] = (uint8_t)((uint64_t)c->first_ts >> (8 * i));
	sha256_hex(idbuf, 44, hex);
	snprintf(c->info.session_id, sizeof(c->info.session_id), "%.16s",
	    hex);
}

/*
 * The db.query builder, the only code that writes the type (docs/events.md):
 * one statement's fields, or an aggregate's (aggregate.c), written in the
 * order of the schema and validated by it. NULL only if the schema
 * refuses the event, which only a bug can cause (err says why).
 */
/* A SQLSTATE or MySQL error number: 1-16 letters and digits. */
static int
error_code_ok(const char *code)
{
	size_t i;

	if (code == NULL || *code == '\0' || strlen(code) > 16)
		return 0;
	for (i = 0; code[i] != '\0'; i++)
		if (!((code[i] >= '0' && code[i] <= '9') ||
		    (code[i] >= 'A' && code[i] <= 'Z')))
			return 0;
	return 1;
}

struct lw_event *
db_query_build(const struct db_qfields *f, char *err, size_t errlen)
{
	struct jsonw *w = &db_w;
	const char *user = f->db_user != NULL ? f->db_user : "";
	size_t i;

	jsonw_begin(w);
	jsonw_str(w, "type", "db.query");
	set_ts(w, f->ts_us);
	jsonw_str(w, "db_system", f->db_system);
	set_str(w, "server", f->server, 64);
	set_str(w, "client", f->client, 64);
	set_str(w, "session_id", f->session_id, 64);
	/* Required: empty when the start-up message was not captured. */
	put_text(w, "db_user", user, strlen(user), 128);
	set_str(w, "database", f->database, 128);
	set_str(w, "app_name", f->app_name, 256);
	set_str(w, "end_user", f->end_user, DB_END_USER_MAX);
	put_wire(w, "command", f->command, strlen(f->command),
	    DB_COMMAND_MAX);
	if (f->statement != NULL) {
		put_wire(w, "statement", f->statement, strlen(f->statement),
		    DB_STATEMENT_MAX);
		jsonw_str(w, "fingerprint", f->fingerprint);
	}
	if (f->ntables > 0) {
		jsonw_list_begin(w, "tables");
		for (i = 0; i < f->ntables; i++)
			if (strlen(f->tables[i]) <= DB_TABLE_MAX)
				put_wire(w, NULL, f->tables[i],
				    strlen(f->tables[i]), DB_TABLE_MAX);
		jsonw_list_end(w);
	}
	set_uint(w, "rows", f->rows_returned);
	set_uint(w, "rows_returned", f->rows_returned);
	set_uint(w, "rows_affected", f->rows_affected);
	set_uint(w, "bytes", f->bytes);
	set_uint(w, "duration_us", f->duration_us);
	if (f->count > 1) {
		set_uint(w, "count", f->count);
		jsonw_ts(w, "first_ts", f->first_us > 0 ? f->first_us : 0);
		if (f->max_rows != UINT64_MAX)
			set_uint(w, "max_rows", f->max_rows);
	}
	jsonw_str(w, "status", f->error ? "error" : "ok");
	if (f->error)
		set_str(w, "error_code", f->error_code, 16);
	/* The contract's map of error code to count: an aggregate holds
	 * the errors of one code (aggregate.c keys on it). */
	if (f->count > 1 && f->error && error_code_ok(f->error_code)) {
		jsonw_obj_begin(w, "errors");
		jsonw_uint(w, f->error_code, f->count);
		jsonw_obj_end(w);
	}
	jsonw_bool(w, "partial", f->partial);
	jsonw_str(w, "source", f->source);
	return db_event_end(w, err, errlen);
}

/*
 * One statement's fields, the statement normalised here (through the
 * cache; the results live in *sn and *son, which the caller clears, or
 * in the cache). Shared by every db source - wire, log, stats - so each
 * builds the same fields the same way. Counts statements the normaliser
 * refused in *norm_errors.
 */
static void
query_fields(const struct agent_config *cfg,
    const struct db_session_info *info, const struct db_query *q,
    const char *source, uint64_t *norm_errors, struct sqlnorm *sn,
    struct sqlnorm *son, struct db_qfields *f)
{
	const struct sqlnorm *n = NULL, *on = NULL, *tn;
	struct sqlnorm_opts opts;
	const char *command = NULL, *end_user = NULL;
	char schema[128];
	int mysql;

	if (db_nc == NULL)
		db_nc = normcache_new();
	mysql = strcmp(info->db_system, "mysql") == 0;
	memset(&opts, 0, sizeof(opts));
	opts.dialect = mysql ? SQL_MYSQL : SQL_POSTGRESQL;
	opts.default_schema = default_schema(info, mysql, schema,
	    sizeof(schema));
	opts.end_user_tag = cfg->end_user_tag;
	opts.max_len = (size_t)cfg->statement_max;
	/* Two lookups at most: both results stay valid (normcache.c). */
	if (q->sql != NULL && q->sql_len > 0 && (n = normcache_get(db_nc,
	    q->sql, q->sql_len, &opts, sn)) == NULL)
		(*norm_errors)++;
	if (q->origin_sql != NULL && q->origin_len > 0 &&
	    (on = normcache_get(db_nc, q->origin_sql, q->origin_len, &opts,
	    son)) == NULL)
		(*norm_errors)++;
	/* Tables and command from where the statement came from (a cursor's
	 * DECLARE, a prepared statement's PREPARE/Parse), if known. */
	tn = on != NULL ? on : n;
	if (q->command != NULL && *q->command != '\0')
		command = q->command;
	else if (tn != NULL)
		command = tn->command;
	if (command == NULL || *command == '\0')
		command = "UNKNOWN";
	if (n != NULL && n->end_user != NULL)
		end_user = n->end_user;
	else if (on != NULL && on->end_user != NULL)
		end_user = on->end_user;
	else if (cfg->end_user_app_name && info->app_name[0] != '\0')
		end_user = info->app_name;

	memset(f, 0, sizeof(*f));
	f->db_system = info->db_system;
	f->server = info->server;
	f->client = info->client;
	f->session_id = info->session_id;
	f->db_user = info->db_user;
	f->database = info->database;
	f->app_name = info->app_name;
	f->end_user = end_user;
	f->command = command;
	if (n != NULL) {
		f->statement = n->statement;
		f->fingerprint = n->fingerprint;
	}
	if (tn != NULL) {
		f->tables = tn->tables;
		f->ntables = tn->ntables;
	}
	f->ts_us = f->first_us = q->end_us;
	f->count = q->count > 1 ? q->count : 0;
	f->rows_returned = q->rows_returned;
	f->rows_affected = q->has_affected ? q->rows_affected : 0;
	/* Calls counted by the server (pgstat): the largest is unknown. */
	f->max_rows = q->count > 1 ? UINT64_MAX : q->rows_returned;
	f->bytes = q->bytes;
	f->duration_us = q->end_us > q->start_us ?
	    (uint64_t)(q->end_us - q->start_us) : 0;
	f->error = q->error;
	f->error_code = q->error_code;
	f->partial = q->partial;
	f->source = source;
}

/*
 * One statement, offered to the aggregator agg (NULL: none) and folded
 * there (*evp NULL), or built into its own event (*evp). The fold works
 * on the normalised result and the numbers: no JSON is written for a
 * statement that folds. -1 only if the schema refuses the event, which
 * only a bug can cause (err says why).
 */
int
db_query_report(const struct agent_config *cfg,
    const struct db_session_info *info, const struct db_query *q,
    const char *source, struct agg *agg, uint64_t *norm_errors,
    struct lw_event **evp, char *err, size_t errlen)
{
	struct sqlnorm sn, son;
	struct db_qfields f;
	int rc = 0;

	memset(&sn, 0, sizeof(sn));
	memset(&son, 0, sizeof(son));
	query_fields(cfg, info, q, source, norm_errors, &sn, &son, &f);
	*evp = NULL;
	if (!agg_fold(agg, &f) && (*evp = db_query_build(&f, err,
	    errlen)) == NULL)
		rc = -1;
	sqlnorm_clear(&sn);
	sqlnorm_clear(&son);
	return rc;
}

/*
 * One statement's outcome as a validated db.query event of its own: the
 * log and statistics sources' way for what is never folded, and the
 * tests'. NULL only on a bug (err says why).
 */
struct lw_event *
db_query_event(const struct agent_config *cfg,
    const struct db_session_info *info, const struct db_query *q,
    const char *source, uint64_t *norm_errors, char *err, size_t errlen)
{
	struct lw_event *ev;

	if (db_query_report(cfg, info, q, source, NULL, norm_errors, &ev,
	    err, errlen) != 0)
		return NULL;
	return ev;
}

/*
 * Sessions decoded from the wire, for the log sources' dedup, under two
 * keys: the client's ip:port (PostgreSQL logs carry it) and the server's
 * own session id (MySQL thread id, PostgreSQL backend pid; the logs carry
 * those too; a hash pinned for a connection picked up mid-stream matches
 * nothing). A fixed table, one agent-wide: a slot is overwritten by a
 * newer session, and an entry answers only within DB_WIRE_WINDOW_US of
 * its session's activity, so a recycled port or pid is not mistaken for
 * an old session. Main thread only, like all decoding.
 */
#define DB_WIRE_SLOTS		4096
#define DB_WIRE_WINDOW_US	(600 * 1000000LL)

struct db_wire_slot {
	char		 key[112];	/* "postgresql/cli/1.2.3.4:5" */
	int64_t		 first_us;
	int64_t		 last_us;
};
static struct db_wire_slot db_wire[DB_WIRE_SLOTS];

static struct db_wire_slot *
wire_slot(const char *db_system, const char *kind, const char *id,
    char *key, size_t len)
{
	snprintf(key, len, "%s/%s/%s", db_system, kind, id);
	return &db_wire[crc32c(0, key, strlen(key)) % DB_WIRE_SLOTS];
}

static void
wire_note1(const char *db_system, const char *kind, const char *id,
    int64_t ts)
{
	struct db_wire_slot *w;
	char key[112];

	w = wire_slot(db_system, kind, id, key, sizeof(key));
	if (strcmp(w->key, key) != 0 || ts - w->last_us > DB_WIRE_WINDOW_US) {
		snprintf(w->key, sizeof(w->key), "%s", key);
		w->first_us = ts;
	}
	if (ts > w->last_us)
		w->last_us = ts;
}

/*
 * wire_note1() for a connection's own ids, remembering the key and slot
 * between calls: the same key, the same slot, the same update.
 */
static void
wire_memo(struct db_wire_memo *m, const char *db_system, const char *kind,
    const char *id, int64_t ts)
{
	struct db_wire_slot *w;

	if (m->slot == NULL || strcmp(m->id, id) != 0) {
		m->slot = wire_slot(db_system, kind, id, m->key,
		    sizeof(m->key));
		snprintf(m->id, sizeof(m->id), "%s", id);
	}
	w = m->slot;
	if (strcmp(w->key, m->key) != 0 ||
	    ts - w->last_us > DB_WIRE_WINDOW_US) {
		memcpy(w->key, m->key, sizeof(w->key));
		w->first_us = ts;
	}
	if (ts > w->last_us)
		w->last_us = ts;
}

/* Every query notes its session, so the memo matters here. */
static void
db_wire_note_conn(struct db_conn *c, const struct db_session_info *info,
    int64_t ts)
{
	wire_memo(&c->wmemo[0], info->db_system, "cli", info->client, ts);
	if (info->session_id[0] != '\0')
		wire_memo(&c->wmemo[1], info->db_system, "sid",
		    info->session_id, ts);
}

void
db_wire_note(const struct db_session_info *info, int64_t ts)
{
	wire_note1(info->db_system, "cli", info->client, ts);
	if (info->session_id[0] != '\0')
		wire_note1(info->db_system, "sid", info->session_id, ts);
}

static int
wire_seen1(const char *db_system, const char *kind, const char *id,
    int64_t ts)
{
	struct db_wire_slot *w;
	char key[112];

	if (id == NULL || *id == '\0')
		return 0;
	w = wire_slot(db_system, kind, id, key, sizeof(key));
	return strcmp(w->key, key) == 0 &&
	    ts >= w->first_us - DB_WIRE_WINDOW_US &&
	    ts <= w->last_us + DB_WIRE_WINDOW_US;
}

int
db_wire_active(void)
{
	return db_wire_tables > 0;
}

/*
 * Did a db source decode this session's statements around ts? By the
 * client's ip:port (only with a port: a bare IP is many sessions) or by
 * the server's session id.
 */
int
db_wire_seen(const char *db_system, const char *session_id,
    const char *client, int64_t ts)
{
	const char *colon = client == NULL ? NULL : strrchr(client, ':');

	return (colon != NULL && colon[1] != '\0' &&
	    wire_seen1(db_system, "cli", client, ts)) ||
	    wire_seen1(db_system, "sid", session_id, ts);
}

/* struct db_out: one statement's outcome becomes a db.query event of its
 * own or folds into an aggregate (aggregate.c). */
static void
out_query(void *arg, const struct db_session_info *info,
    const struct db_query *q)
{
	struct db_conn *c = arg;
	struct db_table *t = c->t;
	struct lw_event *ev;
	char err[256];

	db_wire_note_conn(c, info, q->end_us);
	pin_session_id(c);
	t->st.queries++;
	if (db_query_report(t->cfg, info, q, "wire", t->agg,
	    &t->st.normalise_errors, &ev, err, sizeof(err)) != 0) {
		/* Only a bug here can produce an invalid event. */
		if (t->st.invalid++ < DB_LOGGED)
			log_warnx("db: event refused: %s", err);
		return;
	}
	if (ev == NULL)
		return;		/* folded into an aggregate */
	t->st.query_events++;
	t->emit(t->emit_arg, ev);
}

/*
 * A db.session event (connect, disconnect, tls, auth_failed), shared by
 * the wire decoders and the log sources like db_query_event();
 * duration_us < 0 leaves the field out. NULL only on a bug.
 */
struct lw_event *
db_session_event(const struct db_session_info *info, const char *action,
    int64_t ts, int64_t duration_us, const char *error_code,
    const char *source, char *err, size_t errlen)
{
	struct jsonw *w = &db_w;

	jsonw_begin(w);
	jsonw_str(w, "type", "db.session");
	set_ts(w, ts);
	jsonw_str(w, "db_system", info->db_system);
	jsonw_str(w, "action", action);
	set_str(w, "server", info->server, 64);
	set_str(w, "client", info->client, 64);
	set_str(w, "session_id", info->session_id, 64);
	set_str(w, "db_user", info->db_user, 128);
	set_str(w, "database", info->database, 128);
	set_str(w, "app_name", info->app_name, 256);
	if (duration_us >= 0)
		set_uint(w, "duration_us", (uint64_t)duration_us);
	set_str(w, "error_code", error_code, 16);
	jsonw_str(w, "source", source);
	return db_event_end(w, err, errlen);
}

static void
session_event(struct db_conn *c, const struct db_session_info *info,
    const char *action, int64_t ts, const char *error_code)
{
	struct lw_event *ev;
	char err[256];

	pin_session_id(c);
	c->t->st.session_events++;
	if ((ev = db_session_event(info, action, ts,
	    strcmp(action, "disconnect") == 0 ? (ts > c->first_ts ?
	    ts - c->first_ts : 0) : -1, error_code, "wire", err,
	    sizeof(err))) == NULL) {
		if (c->t->st.invalid++ < DB_LOGGED)
			log_warnx("db: event refused: %s", err);
		return;
	}
	c->t->emit(c->t->emit_arg, ev);
}

static void
out_session(void *arg, const struct db_session_info *info,
    const char *action, int64_t ts_us, const char *error_code)
{
	struct db_conn *c = arg;

	/* Noted at connect already, before any log line of the session;
	 * a TLS session (MySQL shows its thread id before the upgrade)
	 * is not, since its statements are the log's to report. */
	if (strcmp(action, "connect") == 0)
		db_wire_note(info, ts_us);
	if (strcmp(action, "disconnect") == 0) {
		if (c->disconnected)
			return;
		c->disconnected = 1;
		/* The session's aggregates come before its disconnect. */
		agg_session_end(c->t->agg, info->db_system, info->server,
		    info->client, info->session_id);
	} else
		c->announced = 1;
	session_event(c, info, action, ts_us, error_code);
}

/*
 * struct db_out: client input the decoder could not read (a malformed
 * MySQL query attribute block): counted, the first few logged with the
 * session, never the input itself.
 */
static void
out_bad(void *arg, const struct db_session_info *info, const char *why)
{
	struct db_conn *c = arg;
	struct db_table *t = c->t;

	if (t->st.malformed++ < DB_LOGGED)
		log_warnx("db: %s session of %s (id %s): %s", info->db_system,
		    info->client, info->session_id[0] != '\0' ?
		    info->session_id : "unknown", why);
	if (t->st.malformed == DB_LOGGED)
		log_warnx("db: further malformed input is counted, not "
		    "logged");
}

static void
dir_data(void *arg, const uint8_t *p, size_t n, int64_t ts)
{
	struct db_dirarg *da = arg;

	da->c->proto->data(da->c->dec, da->dir, p, n, ts);
}

static void
dir_gap(void *arg, size_t n, int64_t ts)
{
	struct db_dirarg *da = arg;

	da->c->t->st.gaps++;
	da->c->proto->gap(da->c->dec, da->dir, n, ts);
}

/*
 * Ends a connection: both directions flushed (holes reported as gaps),
 * the decoder closed (it reports what it still holds), a disconnect
 * reported if the decoder did not, then freed.
 */
static void
conn_close(struct db_table *t, struct db_conn *c, int64_t ts)
{
	reasm_flush(c->r[DB_FROM_CLIENT], ts);
	reasm_flush(c->r[DB_FROM_SERVER], ts);
	c->proto->close(c->dec, ts);
	if (c->announced && !c->disconnected)
		out_session(c, &c->info, "disconnect", ts, NULL);
	/* A session without a disconnect event (never announced, or
	 * statements after it) still ends its aggregates here. */
	agg_session_end(t->agg, c->info.db_system, c->info.server,
	    c->info.client, c->info.session_id);
	c->proto->free(c->dec);
	reasm_free(c->r[0]);
	reasm_free(c->r[1]);
	hash_remove(t, c);
	TAILQ_REMOVE(&t->lru, c, lru);
	t->count--;
	free(c);
}

static struct db_conn *
conn_new(struct db_table *t, uint32_t h, const struct pkt *p, int from_cli,
    const struct db_proto *proto)
{
	struct db_conn *c;
	size_t alen = p->ipver == 6 ? 16 : 4;
	int i;

	if (t->count >= (size_t)t->cfg->db_sessions_max) {
		t->st.evicted++;
		conn_close(t, TAILQ_FIRST(&t->lru), p->ts_us);
	}
	c = xcalloc(1, sizeof(*c));
	c->t = t;
	c->proto = proto;
	c->ipver = p->ipver;
	memcpy(c->cli, from_cli ? p->src : p->dst, alen);
	memcpy(c->srv, from_cli ? p->dst : p->src, alen);
	c->cport = from_cli ? p->sport : p->dport;
	c->sport = from_cli ? p->dport : p->sport;
	c->hash = h;
	c->first_ts = c->last_ts = p->ts_us;
	c->info.db_system = proto->db_system;
	endpoint_str(c->ipver, c->srv, c->sport, c->info.server,
	    sizeof(c->info.server));
	endpoint_str(c->ipver, c->cli, c->cport, c->info.client,
	    sizeof(c->info.client));
	c->out.query = out_query;
	c->out.session = out_session;
	c->out.bad = out_bad;
	c->out.arg = c;
	for (i = 0; i < 2; i++) {
		c->da[i].c = c;
		c->da[i].dir = (enum db_dir)i;
		if ((c->r[i] = reasm_new(t->reasm, dir_data, dir_gap,
		    &c->da[i])) == NULL)
			fatalx("reasm_new");
	}
	c->dec = proto->new(&c->info, &c->out, t->cfg);
	if (t->count + 1 > t->nbuckets)
		hash_grow(t);
	c->hnext = t->hash[h & (t->nbuckets - 1)];
	t->hash[h & (t->nbuckets - 1)] = c;
	TAILQ_INSERT_TAIL(&t->lru, c, lru);
	t->count++;
	t->st.sessions++;
	return c;
}

/* Closes every connection silent since before now - idle timeout. */
void
db_expire(struct db_table *t, int64_t now_us)
{
	struct db_conn *c;
	int64_t idle = t->cfg->db_idle_timeout * 1000;

	t->last_sweep = now_us;
	while ((c = TAILQ_FIRST(&t->lru)) != NULL &&
	    now_us - c->last_ts > idle) {
		t->st.idle_closed++;
		conn_close(t, c, now_us);
	}
	agg_clock(t->agg, now_us - DB_AGG_GRACE_US);
}

void
db_packet(struct db_table *t, const struct pkt *p)
{
	const struct db_proto *proto;
	struct db_conn *c;
	const uint8_t *cli, *srv;
	uint16_t cport, sport;
	uint32_t h;
	int from_cli, dir;

	if (p->proto != 6 || p->frag) {
		t->st.ignored++;
		return;
	}
	if ((proto = port_proto(t, p->dport)) != NULL)
		from_cli = 1;
	else if ((proto = port_proto(t, p->sport)) != NULL)
		from_cli = 0;
	else {
		t->st.ignored++;
		return;
	}
	t->st.packets++;
	if (p->ts_us > t->now)
		t->now = p->ts_us;
	agg_clock(t->agg, t->now);
	if (t->now - t->last_sweep >= DB_SWEEP_US)
		db_expire(t, t->now);

	cli = from_cli ? p->src : p->dst;
	srv = from_cli ? p->dst : p->src;
	cport = from_cli ? p->sport : p->dport;
	sport = from_cli ? p->dport : p->sport;
	{
		uint8_t a[16], b[16];

		/* Keys compare 16 bytes; IPv4 leaves the rest zero. */
		memset(a, 0, sizeof(a));
		memset(b, 0, sizeof(b));
		memcpy(a, cli, p->ipver == 6 ? 16 : 4);
		memcpy(b, srv, p->ipver == 6 ? 16 : 4);
		h = conn_hash(t->hkey, p->ipver, a, cport, b, sport);
		c = conn_find(t, h, p->ipver, a, cport, b, sport);
	}
	if (c != NULL && from_cli && (p->tcp_flags & (PKT_SYN | PKT_ACK)) ==
	    PKT_SYN && c->has_data) {
		/* A new connection on the same 4-tuple: end the old one. */
		conn_close(t, c, p->ts_us);
		c = NULL;
	}
	if (c == NULL) {
		/* A stray RST or ACK of a connection we never saw carries
		 * nothing worth a table entry. */
		if ((p->tcp_flags & PKT_RST) || (!(p->tcp_flags & PKT_SYN) &&
		    p->payload_wire == 0))
			return;
		c = conn_new(t, h, p, from_cli, proto);
	}
	c->last_ts = p->ts_us;
	TAILQ_REMOVE(&t->lru, c, lru);
	TAILQ_INSERT_TAIL(&t->lru, c, lru);
	if (p->payload_wire > 0)
		c->has_data = 1;
	dir = from_cli ? DB_FROM_CLIENT : DB_FROM_SERVER;
	/* The ACK first: it covers what the sender had received before it
	 * sent this payload, so a hole it declares in the other direction
	 * comes before this payload (a request after a lost answer). */
	if (p->tcp_flags & PKT_ACK)
		reasm_ack(c->r[!dir], p->ack, p->ts_us);
	reasm_segment(c->r[dir], p->seq, p->tcp_flags, p->payload,
	    p->payload_len, p->payload_wire, p->ts_us);
	if ((p->tcp_flags & PKT_RST) || (reasm_finished(c->r[0]) &&
	    reasm_finished(c->r[1])))
		conn_close(t, c, p->ts_us);
}

/* End of capture (or of the agent): every connection ends now. */
void
db_close_all(struct db_table *t, int64_t ts_us)
{
	struct db_conn *c;

	if (ts_us == 0)
		ts_us = t->now;
	/*
	 * conn_close() frees c after TAILQ_REMOVE, which moves the head
	 * through c's tqe_prev; clang's analyzer does not follow that and
	 * reports a use after free here, a false positive (tests/lint.sh).
	 */
	/* NOLINTBEGIN(clang-analyzer-unix.Malloc) */
	while ((c = TAILQ_FIRST(&t->lru)) != NULL)
		conn_close(t, c, ts_us);
	/* NOLINTEND(clang-analyzer-unix.Malloc) */
	agg_flush(t->agg);
}

int64_t
db_now(const struct db_table *t)
{
	return t->now;
}

void
db_stats(const struct db_table *t, struct db_stats *st)
{
	*st = t->st;
	st->active = t->count;
	reasm_ctx_stats(t->reasm, &st->reasm);
	agg_stats(t->agg, &st->agg);
}

void
db_free(struct db_table *t)
{
	if (t == NULL)
		return;
	db_close_all(t, t->now);
	agg_free(t->agg);
	db_wire_tables--;
	reasm_ctx_free(t->reasm);
	free(t->hash);
	free(t);
}
