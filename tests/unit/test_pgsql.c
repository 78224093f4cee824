/*
 * Unit tests for agent/decode-pgsql.c: byte streams of real PostgreSQL
 * message sequences (built by the helpers below the way libpq and the
 * server write them) are fed to db_proto_pgsql the way db.c does, split
 * at every byte, at random places and whole, and the callbacks it makes
 * are compared exactly: statements, rows returned and affected, bytes,
 * SQLSTATEs, partial marks, session events, cursor and prepared-statement
 * origins, pipelining, COPY in both directions, capture gaps, mid-stream
 * pick-up, and constant memory on a result of millions of rows.
 */
#include "harness.h"

#include "../../agent/agent.h"

/* A growable byte buffer. */
struct buf {
	uint8_t	*b;
	size_t	 n;
	size_t	 cap;
};

static void
put(struct buf *f, const void *p, size_t n)
{
	if (f->n + n > f->cap) {
		f->cap = (f->n + n) * 2 + 64;
		if ((f->b = realloc(f->b, f->cap)) == NULL)
			abort();
	}
	if (n > 0)
		memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void
put8(struct buf *f, uint8_t v)
{
	put(f, &v, 1);
}

static void
put16(struct buf *f, uint16_t v)
{
	put8(f, (uint8_t)(v >> 8));
	put8(f, (uint8_t)v);
}

static void
put32(struct buf *f, uint32_t v)
{
	put16(f, (uint16_t)(v >> 16));
	put16(f, (uint16_t)v);
}

static void
putstr(struct buf *f, const char *s)
{
	put(f, s, strlen(s) + 1);
}

/* Message framing: type, length (counting itself), body. */
static void
msg(struct buf *f, char type, const struct buf *body)
{
	put8(f, (uint8_t)type);
	put32(f, (uint32_t)(body->n + 4));
	put(f, body->b, body->n);
}

static void
msg0(struct buf *f, char type)
{
	put8(f, (uint8_t)type);
	put32(f, 4);
}

static void
msgs(struct buf *f, char type, const char *s)
{
	struct buf b = { 0 };

	putstr(&b, s);
	msg(f, type, &b);
	free(b.b);
}

/* Client side. */

static void
m_startup_opts(struct buf *f, uint32_t version, const char *user,
    const char *db, const char *app, const char *options)
{
	struct buf b = { 0 };

	put32(&b, version);
	if (options != NULL) {
		putstr(&b, "options");
		putstr(&b, options);
	}
	putstr(&b, "user");
	putstr(&b, user);
	if (db != NULL) {
		putstr(&b, "database");
		putstr(&b, db);
	}
	if (app != NULL) {
		putstr(&b, "application_name");
		putstr(&b, app);
	}
	putstr(&b, "client_encoding");
	putstr(&b, "UTF8");
	put8(&b, 0);
	put32(f, (uint32_t)(b.n + 4));
	put(f, b.b, b.n);
	free(b.b);
}

static void
m_startup(struct buf *f, uint32_t version, const char *user, const char *db,
    const char *app)
{
	m_startup_opts(f, version, user, db, app, NULL);
}

static void
m_sslrequest(struct buf *f, uint32_t code)
{
	put32(f, 8);
	put32(f, code);
}

static void
m_query(struct buf *f, const char *sql)
{
	msgs(f, 'Q', sql);
}

static void
m_parse(struct buf *f, const char *name, const char *sql, int nparams)
{
	struct buf b = { 0 };
	int i;

	putstr(&b, name);
	putstr(&b, sql);
	put16(&b, (uint16_t)nparams);
	for (i = 0; i < nparams; i++)
		put32(&b, 23);
	msg(f, 'P', &b);
	free(b.b);
}

/* Bind with one text parameter (or none) and binary results. */
static void
m_bind(struct buf *f, const char *portal, const char *stmt, const char *param)
{
	struct buf b = { 0 };

	putstr(&b, portal);
	putstr(&b, stmt);
	put16(&b, 0);
	if (param != NULL) {
		put16(&b, 1);
		put32(&b, (uint32_t)strlen(param));
		put(&b, param, strlen(param));
	} else
		put16(&b, 0);
	put16(&b, 1);
	put16(&b, 1);
	msg(f, 'B', &b);
	free(b.b);
}

static void
m_describe(struct buf *f, char what, const char *name)
{
	struct buf b = { 0 };

	put8(&b, (uint8_t)what);
	putstr(&b, name);
	msg(f, 'D', &b);
	free(b.b);
}

static void
m_execute(struct buf *f, const char *portal, uint32_t limit)
{
	struct buf b = { 0 };

	putstr(&b, portal);
	put32(&b, limit);
	msg(f, 'E', &b);
	free(b.b);
}

static void
m_close(struct buf *f, char what, const char *name)
{
	struct buf b = { 0 };

	put8(&b, (uint8_t)what);
	putstr(&b, name);
	msg(f, 'C', &b);
	free(b.b);
}

static void
m_copydata(struct buf *f, const char *row)
{
	struct buf b = { 0 };

	put(&b, row, strlen(row));
	msg(f, 'd', &b);
	free(b.b);
}

/* Server side. */

static void
m_auth(struct buf *f, uint32_t code)
{
	struct buf b = { 0 };

	put32(&b, code);
	if (code == 5)
		put32(&b, 0x01020304);	/* md5 salt */
	msg(f, 'R', &b);
	free(b.b);
}

static void
m_param(struct buf *f, const char *k, const char *v)
{
	struct buf b = { 0 };

	putstr(&b, k);
	putstr(&b, v);
	msg(f, 'S', &b);
	free(b.b);
}

static void
m_keydata(struct buf *f, uint32_t pid, size_t keylen)
{
	struct buf b = { 0 };
	size_t i;

	put32(&b, pid);
	for (i = 0; i < keylen; i++)
		put8(&b, (uint8_t)(0xa0 + i));
	msg(f, 'K', &b);
	free(b.b);
}

static void
m_ready(struct buf *f, char status)
{
	struct buf b = { 0 };

	put8(&b, (uint8_t)status);
	msg(f, 'Z', &b);
	free(b.b);
}

static void
m_rowdesc(struct buf *f, int ncols)
{
	struct buf b = { 0 };
	int i;

	put16(&b, (uint16_t)ncols);
	for (i = 0; i < ncols; i++) {
		putstr(&b, "col");
		put32(&b, 16384);
		put16(&b, (uint16_t)(i + 1));
		put32(&b, 25);
		put16(&b, 0xffff);
		put32(&b, 0xffffffff);
		put16(&b, 0);
	}
	msg(f, 'T', &b);
	free(b.b);
}

/* A row of ncols columns; every third column NULL, the rest binary. */
static void
m_datarow(struct buf *f, int ncols)
{
	struct buf b = { 0 };
	int i;

	put16(&b, (uint16_t)ncols);
	for (i = 0; i < ncols; i++) {
		if (i % 3 == 2) {
			put32(&b, 0xffffffff);
			continue;
		}
		put32(&b, 6);
		put(&b, "\0\x01\xff" "abc", 6);
	}
	msg(f, 'D', &b);
	free(b.b);
}

static void
m_error(struct buf *f, char type, const char *sqlstate)
{
	struct buf b = { 0 };

	put8(&b, 'S');
	putstr(&b, "ERROR");
	put8(&b, 'V');
	putstr(&b, "ERROR");
	put8(&b, 'C');
	putstr(&b, sqlstate);
	put8(&b, 'M');
	putstr(&b, "secret value 4111111111111111 is wrong");
	put8(&b, 0);
	msg(f, type, &b);
	free(b.b);
}

static void
m_copyresp(struct buf *f, char type, int binary, int ncols)
{
	struct buf b = { 0 };
	int i;

	put8(&b, (uint8_t)binary);
	put16(&b, (uint16_t)ncols);
	for (i = 0; i < ncols; i++)
		put16(&b, (uint16_t)binary);
	msg(f, type, &b);
	free(b.b);
}

/* Rows and a tag: T, n x D, C "SELECT n" (tag may be overridden). */
static void
m_result(struct buf *f, int nrows, const char *tag)
{
	char t[64];
	int i;

	m_rowdesc(f, 4);
	for (i = 0; i < nrows; i++)
		m_datarow(f, 4);
	if (tag == NULL) {
		snprintf(t, sizeof(t), "SELECT %d", nrows);
		tag = t;
	}
	msgs(f, 'C', tag);
}

/* A conversation: segments in capture order, each of one direction. */
struct seg {
	int		 gap;	/* 0: data; else len bytes lost */
	enum db_dir	 dir;
	struct buf	 b;
	size_t		 gaplen;
	int64_t		 ts;
};

struct script {
	struct seg	 v[4096];
	size_t		 n;
};

static struct buf *
to(struct script *s, enum db_dir d)
{
	struct seg *g;

	if (s->n > 0 && !s->v[s->n - 1].gap && s->v[s->n - 1].dir == d)
		return &s->v[s->n - 1].b;
	if (s->n == sizeof(s->v) / sizeof(s->v[0]))
		abort();
	g = &s->v[s->n++];
	memset(g, 0, sizeof(*g));
	g->dir = d;
	g->ts = 1000000 + (int64_t)s->n * 1000;
	return &g->b;
}

#define CL(s)	to((s), DB_FROM_CLIENT)
#define SV(s)	to((s), DB_FROM_SERVER)

static void
sc_gap(struct script *s, enum db_dir d, size_t len)
{
	struct seg *g = &s->v[s->n++];

	memset(g, 0, sizeof(*g));
	g->gap = 1;
	g->dir = d;
	g->gaplen = len;
	g->ts = 1000000 + (int64_t)s->n * 1000;
}

static void
sc_free(struct script *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i].b.b);
	s->n = 0;
}

/* A standard opening: start-up, trust auth, parameters, ready. */
static void
sc_login(struct script *s, const char *user, const char *db)
{
	m_startup(CL(s), 196608, user, db, "psql");
	m_auth(SV(s), 0);
	m_param(SV(s), "application_name", "psql");
	m_param(SV(s), "server_version", "15.5");
	m_keydata(SV(s), 4242, 4);
	m_ready(SV(s), 'I');
}

/* What the decoder reported. */
struct rq {
	char		 sql[2048];
	size_t		 sql_len;
	char		 origin[512];
	char		 command[32];
	uint64_t	 rows;
	uint64_t	 affected;
	int		 has_affected;
	uint64_t	 bytes;
	int64_t		 start;
	int64_t		 end;
	int		 error;
	char		 code[16];
	int		 partial;
	char		 user[128];
};

struct rec {
	struct rq	*q;
	size_t		 nq;
	size_t		 capq;
	char		 sess[16][16];
	char		 sess_code[16][16];
	char		 sess_id[16][64];	/* session_id when reported */
	int64_t		 sess_ts[16];
	size_t		 ns;
	struct db_session_info info;
};

static void
rec_query(void *arg, const struct db_session_info *info,
    const struct db_query *q)
{
	struct rec *r = arg;
	struct rq *o;
	size_t n;

	if (r->nq == r->capq) {
		r->capq = r->capq ? r->capq * 2 : 64;
		if ((r->q = realloc(r->q, r->capq * sizeof(*r->q))) == NULL)
			abort();
	}
	o = &r->q[r->nq++];
	memset(o, 0, sizeof(*o));
	if (q->sql == NULL)
		abort();
	n = q->sql_len < sizeof(o->sql) - 1 ? q->sql_len : sizeof(o->sql) - 1;
	memcpy(o->sql, q->sql, n);
	o->sql_len = q->sql_len;
	if (q->origin_sql != NULL) {
		n = q->origin_len < sizeof(o->origin) - 1 ? q->origin_len :
		    sizeof(o->origin) - 1;
		memcpy(o->origin, q->origin_sql, n);
	}
	if (q->command != NULL)
		snprintf(o->command, sizeof(o->command), "%s", q->command);
	o->rows = q->rows_returned;
	o->affected = q->rows_affected;
	o->has_affected = q->has_affected;
	o->bytes = q->bytes;
	o->start = q->start_us;
	o->end = q->end_us;
	o->error = q->error;
	snprintf(o->code, sizeof(o->code), "%s", q->error_code);
	o->partial = q->partial;
	snprintf(o->user, sizeof(o->user), "%s", info->db_user);
}

static void
rec_session(void *arg, const struct db_session_info *info,
    const char *action, int64_t ts, const char *code)
{
	struct rec *r = arg;

	if (r->ns == 16)
		abort();
	snprintf(r->sess[r->ns], sizeof(r->sess[0]), "%s", action);
	snprintf(r->sess_code[r->ns], sizeof(r->sess_code[0]), "%s",
	    code ? code : "");
	snprintf(r->sess_id[r->ns], sizeof(r->sess_id[0]), "%s",
	    info->session_id);
	r->sess_ts[r->ns] = ts;
	r->ns++;
}

static void
rec_free(struct rec *r)
{
	free(r->q);
	memset(r, 0, sizeof(*r));
}

/* Chunking modes: whole segments, 1 byte, random splits. */
#define MODES	5
static const char *mode_name[MODES] = { "whole", "bytes", "rand1",
    "rand2", "rand3" };

static uint32_t rng = 1;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static size_t stmt_max = 1024;

/* Feeds the script to a fresh decoder in mode m; closes at the end. */
static void
run(const struct script *s, int m, struct rec *r)
{
	struct agent_config cfg;
	struct db_out out;
	const struct seg *g;
	void *ctx;
	size_t i, off, k;

	memset(r, 0, sizeof(*r));
	agent_config_defaults(&cfg);
	cfg.statement_max = (long long)stmt_max;
	out.query = rec_query;
	out.session = rec_session;
	out.arg = r;
	snprintf(r->info.client, sizeof(r->info.client), "127.0.0.1:40000");
	ctx = db_proto_pgsql.new(&r->info, &out, &cfg);
	if (ctx == NULL)
		abort();
	rng = (uint32_t)(m * 7919 + 17);
	for (i = 0; i < s->n; i++) {
		g = &s->v[i];
		if (g->gap) {
			db_proto_pgsql.gap(ctx, g->dir, g->gaplen, g->ts);
			continue;
		}
		for (off = 0; off < g->b.n; off += k) {
			switch (m) {
			case 0:
				k = g->b.n;
				break;
			case 1:
				k = 1;
				break;
			default:
				k = 1 + rnd() % (m == 2 ? 7 : m == 3 ? 64 :
				    1500);
				break;
			}
			if (k > g->b.n - off)
				k = g->b.n - off;
			db_proto_pgsql.data(ctx, g->dir, g->b.b + off, k,
			    g->ts);
		}
	}
	db_proto_pgsql.close(ctx, 9000000);
	db_proto_pgsql.free(ctx);
}

#define FOR_MODES(s, r)							\
	for (int _m = 0; _m < MODES && (run((s), _m, (r)), 1);		\
	    rec_free(r), _m++)

#define CHECK_MODE(c) do {						\
	if (!(c))							\
		FAILF("[%s] CHECK(%s)", mode_name[_m], #c);		\
} while (0)

/* Does query i have these figures? */
static int
q_is(const struct rec *r, size_t i, const char *sql, uint64_t rows,
    int has_aff, uint64_t aff, const char *code, int partial)
{
	const struct rq *q;

	if (i >= r->nq) {
		printf("  no query %zu (have %zu)\n", i, r->nq);
		return 0;
	}
	q = &r->q[i];
	if ((sql != NULL && strcmp(q->sql, sql) != 0) || q->rows != rows ||
	    q->has_affected != has_aff || q->affected != aff ||
	    q->error != (code != NULL) || strcmp(q->code, code ? code : "")
	    != 0 || q->partial != partial) {
		printf("  query %zu: sql \"%s\" rows %llu aff %d/%llu err %d "
		    "\"%s\" partial %d\n", i, q->sql,
		    (unsigned long long)q->rows, q->has_affected,
		    (unsigned long long)q->affected, q->error, q->code,
		    q->partial);
		return 0;
	}
	return 1;
}

static void
test_login_select(void)
{
	struct script s = { .n = 0 };
	struct rec r;
	struct buf res = { 0 };

	sc_login(&s, "alice", "crm");
	m_query(CL(&s), "SELECT * FROM crm.customers");
	m_result(&res, 3, NULL);
	put(SV(&s), res.b, res.n);
	m_ready(SV(&s), 'I');
	msg0(CL(&s), 'X');
	FOR_MODES(&s, &r) {
		CHECK_MODE(r.nq == 1);
		CHECK_MODE(q_is(&r, 0, "SELECT * FROM crm.customers", 3, 0, 0,
		    NULL, 0));
		CHECK_MODE(r.nq == 1 && r.q[0].bytes == res.n);
		CHECK_MODE(r.nq == 1 && r.q[0].command[0] == '\0');
		CHECK_MODE(r.nq == 1 && r.q[0].origin[0] == '\0');
		/* Request segment 3, result segment 4 (1000 us apart). */
		CHECK_MODE(r.nq == 1 && r.q[0].start == 1003000 &&
		    r.q[0].end == 1004000);
		CHECK_MODE(strcmp(r.q[0].user, "alice") == 0);
		CHECK_MODE(r.ns == 2 && strcmp(r.sess[0], "connect") == 0 &&
		    strcmp(r.sess[1], "disconnect") == 0);
		/* Connect at the first ReadyForQuery, after BackendKeyData:
		 * its session_id is the backend pid, not a hash. */
		CHECK_MODE(r.sess_ts[0] == 1002000);
		CHECK_MODE(strcmp(r.sess_id[0], "4242") == 0);
		CHECK_MODE(strcmp(r.info.db_user, "alice") == 0);
		CHECK_MODE(strcmp(r.info.database, "crm") == 0);
		CHECK_MODE(strcmp(r.info.app_name, "psql") == 0);
		CHECK_MODE(strcmp(r.info.session_id, "4242") == 0);
		CHECK_MODE(strcmp(r.info.db_system, "postgresql") == 0);
	}
	free(res.b);
	sc_free(&s);
}

/* Protocol 3.2: 196610, a long cancel key; no database: the user's. */
static void
test_protocol_32(void)
{
	struct script s = { .n = 0 };
	struct rec r;

	m_startup_opts(CL(&s), 196610, "bob", "", NULL,
	    "-c statement_timeout=5s -c search_path=crm,\\ public");
	/* A 3.0-only server answers NegotiateProtocolVersion first. */
	put(SV(&s), "v\0\0\0\x0c\0\x03\0\0\0\0\0\0", 13);
	m_auth(SV(&s), 10);	/* SASL */
	msgs(CL(&s), 'p', "SCRAM-SHA-256");
	m_auth(SV(&s), 11);
	m_auth(SV(&s), 12);
	m_auth(SV(&s), 0);
	m_keydata(SV(&s), 77, 32);
	m_ready(SV(&s), 'I');
	m_query(CL(&s), "DELETE FROM t WHERE id = 9");
	msgs(SV(&s), 'C', "DELETE 4");
	m_ready(SV(&s), 'I');
	FOR_MODES(&s, &r) {
		CHECK_MODE(q_is(&r, 0, "DELETE FROM t WHERE id = 9", 0, 1, 4,
		    NULL, 0));
		CHECK_MODE(strcmp(r.info.database, "bob") == 0);
		CHECK_MODE(strcmp(r.info.search_path, "crm, public") == 0);
		CHECK_MODE(strcmp(r.info.session_id, "77") == 0);
		CHECK_MODE(r.ns == 2 && strcmp(r.sess[0], "connect") == 0);
		CHECK_MODE(strcmp(r.sess_id[0], "77") == 0);
	}
	sc_free(&s);
}

static void
test_tls(void)
{
	struct script s = { .n = 0 };
	struct rec r;
	static const uint32_t codes[2] = { 80877103, 80877104 };
	static const char ans[2] = { 'S', 'G' };
	int i;

	for (i = 0; i < 2; i++) {
		m_sslrequest(CL(&s), codes[i]);
		put8(SV(&s), (uint8_t)ans[i]);
		/* A TLS ClientHello and some records. */
		put(CL(&s), "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03Q"
		    "\0\0\0\x20SELECT * FROM x", 31);
		put(SV(&s), "\x16\x03\x03\x00\x7a\x02Z\0\0\0\x05I", 12);
		put(CL(&s), "\x17\x03\x03\x00\x20Q\0\0\0\x0bSELECT 1\0", 20);
		FOR_MODES(&s, &r) {
			CHECK_MODE(r.nq == 0);
			CHECK_MODE(r.ns == 1 && strcmp(r.sess[0], "tls") == 0);
		}
		sc_free(&s);
	}
	/* Direct TLS (sslnegotiation=direct): a ClientHello first. */
	put(CL(&s), "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
	put(SV(&s), "\x16\x03\x03\x00\x7a\x02", 6);
	FOR_MODES(&s, &r) {
		CHECK_MODE(r.nq == 0);
		CHECK_MODE(r.ns == 1 && strcmp(r.sess[0], "tls") == 0);
	}
	sc_free(&s);
	/* Refused ('N'): the start-up follows in clear. */
	m_sslrequest(CL(&s), 80877103);
	put8(SV(&s), 'N');
	sc_login(&s, "carol", "crm");
	m_query(CL(&s), "SELECT 1");
	m_result(SV(&s), 1, NULL);
	m_ready(SV(&s), 'I');
	FOR_MODES(&s, &r) {
		CHECK_MODE(q_is(&r, 0, "SELECT 1", 1, 0, 0, NULL, 0));
		CHECK_MODE(r.ns == 2 && strcmp(r.sess[0], "connect") == 0);
		CHECK_MODE(strcmp(r.info.db_user, "carol") == 0);
	}
	sc_free(&s);
}

static void
test_auth_failed(void)
{
	struct script s = { .n = 0 };
	struct rec r;

	m_startup(CL(&s), 196608, "mallory", "crm", NULL);
	m_auth(SV(&s), 5);
	msgs(CL(&s), 'p', "md5deadbeefdeadbeefdeadbeefdeadbeef");
	m_error(SV(&s), 'E', "28P01");
	FOR_MODES(&s, &r) {
		CHECK_MODE(r.nq == 0);
		CHECK_MODE(r.ns == 1 && strcmp(r.sess[0], "auth_failed") == 0 &&
		    strcmp(r.sess_code[0], "28P01") == 0);
	}
	sc_free(&s);
	/* Authenticated, but the database does not exist: the login is
	 * refused before any ReadyForQuery, so it never connected. */
	m_startup(CL(&s), 196608, "alice", "nodb", NULL);
	m_auth(SV(&s), 0);
	m_error(SV(&s), 'E', "3D000");
	FOR_MODES(&s, &r) {
		CHECK_MODE(r.nq == 0);
		CHECK_MODE(r.ns == 1 && strcmp(r.sess[0], "auth_failed") == 0 &&
		    strcmp(r.sess_code[0], "3D000") == 0);
	}
	sc_free(&s);
}

static void
test_multi_statement(void)
{
	struct script s = { .n = 0 };
	struct rec r;

	sc_login(&s, "alice", "crm");
	m_query(CL(&s), "BEGIN; INSERT INTO t VALUES ('x;y', E'\\';'); "
	    "UPDATE t SET a = $$;$$ WHERE b = $q$ ; $q$;;\n"
	    "DELETE FROM \"we;ird\" -- gone;\n; SELECT 1 /* ; /* ; */ */ ;"
	    "CREATE RULE r AS ON INSERT TO t DO ALSO (DELETE FROM u; "
	    "DELETE FROM v); COMMIT");
	msgs(SV(&s), 'C', "BEGIN");
	msgs(SV(&s), 'C', "INSERT 0 1");
	msgs(SV(&s), 'C', "UPDATE 2");
	msgs(SV(&s), 'C', "DELETE 3");
	m_result(SV(&s), 1, NULL);
	msgs(SV(&s), 'C', "CREATE RULE");
	msgs(SV(&s), 'C', "COMMIT");
	m_ready(SV(&s), 'I');
	/* An error aborts the rest of the message. */
	m_query(CL(&s), "SELECT 1; SELECT * FROM nosuch; SELECT 2");
	m_result(SV(&s), 1, NULL);
	m_error(SV(&s), 'E', "42P01");
	m_ready(SV(&s), 'I');
	/* Empty queries answer EmptyQueryResponse, reported as nothing. */
	m_query(CL(&s), "");
	msg0(SV(&s), 'I');
	m_ready(SV(&s), 'I');
	m_query(CL(&s), " ; -- nothing\n");
	msg0(SV(&s), 'I');
	m_ready(SV(&s), 'I');
	FOR_MODES(&s, &r) {
		CHECK_MODE(r.nq == 9);
		CHECK_MODE(q_is(&r, 0, "BEGIN", 0, 0, 0, NULL, 0));
		CHECK_MODE(q_is(&r, 1, "INSERT INTO t VALUES ('x;y', E'\\';')",
		    0, 1, 1, NULL, 0));
		CHECK_MODE(q_is(&r, 2, "UPDATE t SET a = $$;$$ WHERE b = "
		    "$q$ ; $q$", 0, 1, 2, NULL, 0));
		CHECK_MODE(q_is(&r, 3, "DELETE FROM \"we;ird\" -- gone;", 0, 1,
		    3, NULL, 0));
		CHECK_MODE(q_is(&r, 4, "SELECT 1 /* ; /* ; */ */", 1, 0, 0,
		    NULL, 0));
		CHECK_MODE(q_is(&r, 5, "CREATE RULE r AS ON INSERT TO t DO "
		    "ALSO (DELETE FROM u; DELETE FROM v)", 0, 0, 0, NULL, 0));
		CHECK_MODE(q_is(&r, 6, "COMMIT", 0, 0, 0, NULL, 0));
		CHECK_MODE(q_is(&r, 7, "SELECT 1", 1, 0, 0, NULL, 0));
		CHECK_MODE(q_is(&r, 8, "SELECT * FROM nosuch", 0, 0, 0,
		    "42P01", 0));
	}
	sc_free(&s);
}

/* Pipelined simple queries: both sent before any answer. */
static void
test_pipelined_simple(void)
{
	struct script s = { .n = 0 };
	struct rec r;

	sc_login(&s, "alice", "crm");
	m_query(CL(&s), "SELECT a FROM t");
	m_query(CL(&s), "SELECT b FROM u");
	m_result(SV(&s), 5, NULL);
	m_ready(SV(&s), 'I');
	m_result(SV(&s), 7, NULL);
	m_ready(SV(&s), 'I');
	FOR_MODES(&s, &r) {
		CHECK_MODE(r.nq == 2);
		CHECK_MODE(q_is(&r, 0, "SELECT a FROM t", 5, 0, 0, NULL, 0));
		CHECK_MODE(q_is(&r, 1, "SELECT b FROM u", 7, 0, 0, NULL, 0));
	}
	sc_free(&s);
}

/* Extended protocol: three unnamed pipelines sent at once. */
static void
test_extended_pipeline(void)
{
	struct script s = { .n = 0 };
	struct rec r;
	static const char *sqls[3] = { "SELECT * FROM t WHERE id = $1",
	    "UPDATE t SET x = 1 WHERE id = $1", "SELECT name FROM u" };
	int i;

	sc_login(&s, "alice", "crm");
	for (i = 0; i < 3; i++) {
		m_parse(CL(&s), "", sqls[i], i == 2 ? 0 : 1);
		m_bind(CL(&s), "", "", i == 2 ? NULL : "42");
		m_describe(CL(&s), 'P', "");
		m_execute(CL(&s), "", 0);
		msg0(CL(&s), 'S');
	}
	for (i = 0; i < 3; i++) {
		msg0(SV(&s), '1');
		msg0(SV(&s), '2');
		if (i == 1) {
			msg0(SV(&s), 'n');
			msgs(SV(&s), 'C', "UPDATE 6");
		} else {
			m_rowdesc(SV(&s), 4);
			m_datarow(SV(&s), 4);
			if (i == 2)
				m_datarow(SV(&s), 4);
			msgs(SV(&s), 'C', i == 2 ? "SELECT 2" : "SELECT 1");
		}
		m_ready(SV(&s), 'I');
	}
	FOR_MODES(&s, &r) {
		CHECK_MODE(r.nq == 3);
		CHECK_MODE(q_is(&r, 0, sqls[0], 1, 0, 0, NULL, 0));
		CHECK_MODE(q_is(&r, 1, sqls[1], 0, 1, 6, NULL, 0));
		CHECK_MODE(q_is(&r, 2, sqls[2], 2, 0, 0, NULL, 0));
		/* The answers to Parse/Bind/Describe count as result bytes. */
		CHECK_MODE(r.nq == 3 && r.q[1].bytes == 5 + 5 + 5 + 14);
	}
	sc_free(&s);
}

/* A named statement parsed once, executed 500 times (pgbench -M prepared). */
static void
test_prepared_500(void)
{
	struct script s = { .n = 0 };
	struct rec r;
	const char *sql = "SELECT * FROM crm.customers WHERE id = $1";
	size_t i;
	int ok;

	sc_login(&s, "bench", "crm");
	m_parse(CL(&s), "P0_1", sql, 1);
	m_describe(CL(&s), 'S', "P0_1");
	msg0(CL(&s), 'S');
	msg0(SV(&s), '1');
	put(SV(&s), "t\0\0\0\x0a\0\x01\0\0\0\x17", 11);
	m_rowdesc(SV(&s), 4);
	m_ready(SV(&s), 'I');
	for (i = 0; i < 500; i++) {
		m_bind(CL(&s), "", "P0_1", "17");
		m_describe(CL(&s), 'P', "");
		m_execute(CL(&s), "", 0);
		msg0(CL(&s), 'S');
		msg0(SV(&s), '2');
		m_rowdesc(SV(&s), 4);
		m_datarow(SV(&s), 4);
		msgs(SV(&s), 'C', "SELECT 1");
		m_ready(SV(&s), 'I');
	}
	FOR_MODES(&s, &r) {
		CHECK_MODE(r.nq == 500);
		for (ok = 1, i = 0; i < r.nq; i++)
			ok &= q_is(&r, i, sql, 1, 0, 0, NULL, 0);
		CHECK_MODE(ok);
	}
	sc_free(&s);
}

/* Execute with a row limit: each Execute is a query with its own rows. */
static void
test_execute_limit(void)
{
	struct script s = { .n = 0 };
	struct rec r;
	const char *sql = "SELECT * FROM big";

	sc_login(&s, "jdbc", "crm");
	m_query(CL(&s), "BEGIN");
	msgs(SV(&s), 'C', "BEGIN");
	m_ready(SV(&s), 'T');
	m_parse(CL(&s), "S_1", sql, 0);
	m_bind(CL(&s), "C_1", "S_1", NULL);
	m_describe(CL(&s), 'P', "C_1");
	m_execute(CL(&s), "C_1", 2);
	msg0(CL(&s), 'S');
	msg0(SV(&s), '1');
	msg0(SV(&s), '2');
	m_rowdesc(SV(&s), 3);
	m_datarow(SV(&s), 3);
	m_datarow(SV(&s), 3);
	msg0(SV(&s), 's');
	m_ready(SV(&s), 'T');
	m_execute(CL(&s), "C_1", 2);
	msg0(CL(&s), 'S');
	m_datarow(SV(&s), 3);
	m_datarow(SV(&s), 3);
	msg0(SV(&s), 's');
	m_ready(SV(&s), 'T');
	m_execute(CL(&s), "C_1", 2);
	msg0(CL(&s), 'S');
	m_datarow(SV(&s), 3);
	msgs(SV(&s), 'C', "SELECT 1");
	m_ready(SV(&s), 'T');
	m_close(CL(&s), 'P', "C_1");
	msg0(CL(&s), 'S');
	msg0(SV(&s), '3');
	m_ready(SV(&s), 'T');
	FOR_MODES(&s, &r) {
		CHECK_MODE(r.nq == 4);
		CHECK_MODE(q_is(&r, 1, sql, 2, 0, 0, NULL, 0));
		CHECK_MODE(q_is(&r, 2, sql, 2, 0, 0, NULL, 0));
		CHECK_MODE(q_is(&r, 3, sql, 1, 0, 0, NULL, 0));
	}
	sc_free(&s);
}

/* Errors in the extended protocol skip to Sync; the next pipeline works. */
static void
test_extended_error(void)
{
	struct script s = { .n = 0 };
	struct rec r;

	sc_login(&s, "alice", "crm");
	m_parse(CL(&s), "", "SELECT * FROM nosuch", 0);
	m_bind(CL(&s), "", "", NULL);
	m_describe(CL(&s), 'P', "");
	m_execute(CL(&s), "", 0);
	msg0(CL(&s), 'S');
	m_parse(CL(&s), "", "SELECT 1", 0);
	m_bind(CL(&s), "", "", NULL);
	m_execute(CL(&s), "", 0);
	msg0(CL(&s), 'S');
	m_error(SV(&s), 'E', "42P01");
	m_ready(SV(&s), 'I');
	msg0(SV(&s), '1');
	msg0(SV(&s), '2');
	m_datarow(SV(&s), 1);
	msgs(SV(&s), 'C', "SELECT 1");
	m_ready(SV(&s), 'I');
	/* An error at Execute, after rows went out (division by zero). */
	m_parse(CL(&s), "", "SELECT 1 / (x - 3) FROM t", 0);
	m_bind(CL(&s), "", "", NULL);
	m_execute(CL(&s), "", 0);
	msg0(CL(&s), 'S');
	msg0(SV(&s), '1');
	msg0(SV(&s), '2');
	m_datarow(SV(&s), 1);
	m_datarow(SV(&s), 1);
	m_error(SV(&s), 'E', "22012");
	m_ready(SV(&s), 'I');
	FOR_MODES(&s, &r) {
		CHECK_MODE(r.nq == 3);
		CHECK_MODE(q_is(&r, 0, "SELECT * FROM nosuch", 0, 0, 0, "42P01",
		    0));
		CHECK_MODE(q_is(&r, 1, "SELECT 1", 1, 0, 0, NULL, 0));
		CHECK_MODE(q_is(&r, 2, "SELECT 1 / (x - 3) FROM t", 2, 0, 0,
		    "22012", 0));
	}
	sc_free(&s);
}

/*
 * After an error the server skips everything up to Sync, including
 * requests the client sends after the error went out; FunctionCall is
 * answered but is not a statement.
 */
static void
test_skip_to_sync(void)
{
	struct script s = { .n = 0 };
	struct rec r;

	sc_login(&s, "alice", "crm");
	m_parse(CL(&s), "", "SELECT nosuch", 0);
	m_bind(CL(&s), "", "", NULL);
	m_execute(CL(&s), "", 0);
	m_error(SV(&s), 'E', "42703");
	m_parse(CL(&s), "", "SELECT 2", 0);
	m_bind(CL(&s), "", "", NULL);
	m_execute(CL(&s), "", 0);
	m_query(CL(&s), "SELECT 3");
	msg0(CL(&s), 'S');
	m_ready(SV(&s), 'I');
	put(CL(&s), "F\0\0\0\x0e\0\0\x04\x02\0\0\0\0\0\0", 15);
	put(SV(&s), "V\0\0\0\x08\xff\xff\xff\xff", 9);
	m_ready(SV(&s), 'I');
	m_query(CL(&s), "SELECT 4");
	m_result(SV(&s), 1, NULL);
	m_ready(SV(&s), 'I');
	FOR_MODES(&s, &r) {
		CHECK_MODE(r.nq == 2);
		CHECK_MODE(q_is(&r, 0, "SELECT nosuch", 0, 0, 0, "42703", 0));
		CHECK_MODE(q_is(&r, 1, "SELECT 4", 1, 0, 0, NULL, 0));
	}
	sc_free(&s);
}

/* DECLARE / FETCH / MOVE / CLOSE, and SQL PREPARE / EXECUTE. */
static void
test_cursors(void)
{
	struct script s = { .n = 0 };
	struct rec r;
	const char *q = "SELECT * FROM crm.customers WHERE region = 'EU'";
	char decl[256];
	size_t i;
	int ok;

	snprintf(decl, sizeof(decl), "DECLARE \"Cur\" NO SCROLL CURSOR WITH "
	    "HOLD FOR %s", q);
	sc_login(&s, "alice", "crm");
	m_query(CL(&s), "BEGIN");
	msgs(SV(&s), 'C', "BEGIN");
	m_ready(SV(&s), 'T');
	m_query(CL(&s), decl);
	msgs(SV(&s), 'C', "DECLARE CURSOR");
	m_ready(SV(&s), 'T');
	for (i = 0; i < 70; i++) {
		m_query(CL(&s), "FETCH 3 FROM \"Cur\"");
		m_result(SV(&s), 3, "FETCH 3");
		m_ready(SV(&s), 'T');
	}
	m_query(CL(&s), "MOVE FORWARD 5 IN \"Cur\"");
	msgs(SV(&s), 'C', "MOVE 5");
	m_ready(SV(&s), 'T');
	m_query(CL(&s), "CLOSE \"Cur\"; FETCH 1 FROM \"Cur\"");
	msgs(SV(&s), 'C', "CLOSE CURSOR");
	m_error(SV(&s), 'E', "34000");
	m_ready(SV(&s), 'E');
	m_query(CL(&s), "ROLLBACK");
	msgs(SV(&s), 'C', "ROLLBACK");
	m_ready(SV(&s), 'I');
	m_query(CL(&s), "PREPARE p1 (int) AS SELECT * FROM t WHERE id = $1");
	msgs(SV(&s), 'C', "PREPARE");
	m_ready(SV(&s), 'I');
	m_query(CL(&s), "EXECUTE p1(5)");
	m_result(SV(&s), 2, NULL);
	m_ready(SV(&s), 'I');
	FOR_MODES(&s, &r) {
		CHECK_MODE(r.nq == 78);
		for (ok = 1, i = 2; i < 72 && i < r.nq; i++)
			ok &= q_is(&r, i, "FETCH 3 FROM \"Cur\"", 3, 0, 0, NULL,
			    0) && strcmp(r.q[i].origin, q) == 0;
		CHECK_MODE(ok);
		CHECK_MODE(r.nq == 78 && strcmp(r.q[72].command, "MOVE") == 0 &&
		    strcmp(r.q[72].origin, q) == 0 && r.q[72].rows == 0);
		CHECK_MODE(q_is(&r, 74, "FETCH 1 FROM \"Cur\"", 0, 0, 0, "34000",
		    0) && r.q[74].origin[0] == '\0');
		CHECK_MODE(q_is(&r, 77, "EXECUTE p1(5)", 2, 0, 0, NULL, 0) &&
		    strcmp(r.q[77].origin, "SELECT * FROM t WHERE id = $1") ==
		    0);
	}
	sc_free(&s);
}

static void
test_copy(void)
{
	struct script s = { .n = 0 };
	struct rec r;
	int i;

	sc_login(&s, "alice", "crm");
	/* COPY TO STDOUT, text: one CopyData per row. */
	m_query(CL(&s), "COPY crm.customers TO STDOUT");
	m_copyresp(SV(&s), 'H', 0, 3);
	for (i = 0; i < 5; i++)
		m_copydata(SV(&s), "1\tAlice\t\\N\n");
	msg0(SV(&s), 'c');
	msgs(SV(&s), 'C', "COPY 5");
	m_ready(SV(&s), 'I');
	/* Binary: the header rides with the first row, the trailer alone. */
	m_query(CL(&s), "COPY crm.customers TO STDOUT (FORMAT binary)");
	m_copyresp(SV(&s), 'H', 1, 3);
	m_copydata(SV(&s), "PGCOPY\n\377\r\n row1");
	m_copydata(SV(&s), "row2");
	m_copydata(SV(&s), "\377\377");
	msg0(SV(&s), 'c');
	msgs(SV(&s), 'C', "COPY 2");
	m_ready(SV(&s), 'I');
	/* COPY FROM STDIN: the client's CopyData are not requests. */
	m_query(CL(&s), "COPY t FROM STDIN");
	m_copyresp(SV(&s), 'G', 0, 2);
	for (i = 0; i < 3; i++)
		m_copydata(CL(&s), "Q\t7\n");
	msg0(CL(&s), 'c');
	msgs(SV(&s), 'C', "COPY 3");
	m_ready(SV(&s), 'I');
	/* Server-side COPY to a file and CREATE TABLE AS read silently. */
	m_query(CL(&s), "COPY t TO '/tmp/x.csv'");
	msgs(SV(&s), 'C', "COPY 9");
	m_ready(SV(&s), 'I');
	m_query(CL(&s), "CREATE TABLE c2 AS SELECT * FROM crm.customers");
	msgs(SV(&s), 'C', "SELECT 70000");
	m_ready(SV(&s), 'I');
	m_query(CL(&s), "INSERT INTO a SELECT * FROM b RETURNING id");
	m_result(SV(&s), 2, "INSERT 0 2");
	m_ready(SV(&s), 'I');
	FOR_MODES(&s, &r) {
		CHECK_MODE(r.nq == 6);
		CHECK_MODE(q_is(&r, 0, "COPY crm.customers TO STDOUT", 5, 0, 0,
		    NULL, 0));
		CHECK_MODE(q_is(&r, 1, NULL, 2, 0, 0, NULL, 0));
		CHECK_MODE(q_is(&r, 2, "COPY t FROM STDIN", 0, 1, 3, NULL, 0));
		CHECK_MODE(q_is(&r, 3, NULL, 0, 1, 9, NULL, 0));
		CHECK_MODE(q_is(&r, 4, NULL, 0, 1, 70000, NULL, 0));
		CHECK_MODE(q_is(&r, 5, NULL, 2, 1, 2, NULL, 0));
	}
	sc_free(&s);
}

/* Session state: application_name, search_path; notices ignored. */
static void
test_session_state(void)
{
	struct script s = { .n = 0 };
	struct rec r;

	sc_login(&s, "alice", "crm");
	m_query(CL(&s), "SET application_name = 'etl'");
	msgs(SV(&s), 'C', "SET");
	m_param(SV(&s), "application_name", "etl");
	m_ready(SV(&s), 'I');
	m_query(CL(&s), "SET search_path TO crm, \"Sales\", public");
	msgs(SV(&s), 'C', "SET");
	m_ready(SV(&s), 'I');
	m_query(CL(&s), "SELECT * FROM customers");
	m_rowdesc(SV(&s), 2);
	m_error(SV(&s), 'N', "01000");
	m_datarow(SV(&s), 2);
	msgs(SV(&s), 'C', "SELECT 1");
	m_ready(SV(&s), 'I');
	FOR_MODES(&s, &r) {
		CHECK_MODE(r.nq == 3);
		CHECK_MODE(q_is(&r, 2, "SELECT * FROM customers", 1, 0, 0, NULL,
		    0));
		CHECK_MODE(strcmp(r.info.app_name, "etl") == 0);
		CHECK_MODE(strcmp(r.info.search_path, "crm,Sales,public") == 0);
	}
	sc_free(&s);
}

/* Capture gaps: inside one DataRow (framing survives), across many. */
static void
test_gaps(void)
{
	struct script s = { .n = 0 };
	struct rec r;
	struct buf rows = { 0 };
	size_t one, i;

	sc_login(&s, "alice", "crm");
	m_query(CL(&s), "SELECT * FROM crm.customers");
	m_rowdesc(SV(&s), 4);
	for (i = 0; i < 100; i++)
		m_datarow(&rows, 4);
	one = rows.n / 100;
	/* Rows 0-9, then 30 bytes of row 10 lost, then the rest. */
	put(SV(&s), rows.b, one * 10 + 5);
	sc_gap(&s, DB_FROM_SERVER, 30);
	put(SV(&s), rows.b + one * 10 + 35, rows.n - one * 10 - 35);
	msgs(SV(&s), 'C', "SELECT 100");
	m_ready(SV(&s), 'I');
	/* Rows 20..59 and their framing lost entirely. */
	m_query(CL(&s), "SELECT * FROM crm.orders");
	m_rowdesc(SV(&s), 4);
	put(SV(&s), rows.b, one * 20 + 3);
	sc_gap(&s, DB_FROM_SERVER, one * 40);
	put(SV(&s), rows.b + one * 60 + 3, rows.n - one * 60 - 3);
	msgs(SV(&s), 'C', "SELECT 100");
	m_ready(SV(&s), 'I');
	/* The next statement is whole again. */
	m_query(CL(&s), "SELECT 2");
	m_result(SV(&s), 2, NULL);
	m_ready(SV(&s), 'I');
	/* A client gap: the request is lost; its answer is not attributed
	 * to the next statement. */
	sc_gap(&s, DB_FROM_CLIENT, 40);
	m_result(SV(&s), 4, NULL);
	m_ready(SV(&s), 'I');
	m_query(CL(&s), "SELECT 3");
	m_result(SV(&s), 3, NULL);
	m_ready(SV(&s), 'I');
	FOR_MODES(&s, &r) {
		CHECK_MODE(r.nq == 5);
		CHECK_MODE(q_is(&r, 0, "SELECT * FROM crm.customers", 100, 0, 0,
		    NULL, 1));
		CHECK_MODE(q_is(&r, 1, "SELECT * FROM crm.orders", 100, 0, 0,
		    NULL, 1));
		CHECK_MODE(q_is(&r, 2, "SELECT 2", 2, 0, 0, NULL, 0));
		CHECK_MODE(q_is(&r, 3, "", 4, 0, 0, NULL, 1) &&
		    strcmp(r.q[3].command, "SELECT") == 0);
		CHECK_MODE(q_is(&r, 4, "SELECT 3", 3, 0, 0, NULL, 0));
	}
	free(rows.b);
	sc_free(&s);
}

/* Joined mid-stream: no start-up, the first bytes are inside a row. */
static void
test_midstream(void)
{
	struct script s = { .n = 0 };
	struct rec r;
	struct buf res = { 0 };

	m_result(&res, 10, NULL);
	put(SV(&s), res.b + 57, res.n - 57);
	m_ready(SV(&s), 'I');
	m_query(CL(&s), "SELECT * FROM t");
	m_result(SV(&s), 2, NULL);
	m_ready(SV(&s), 'I');
	msg0(CL(&s), 'X');
	FOR_MODES(&s, &r) {
		CHECK_MODE(r.nq == 2);
		CHECK_MODE(q_is(&r, 0, "", 10, 0, 0, NULL, 1));
		CHECK_MODE(q_is(&r, 1, "SELECT * FROM t", 2, 0, 0, NULL, 0));
		CHECK_MODE(r.info.db_user[0] == '\0');
		CHECK_MODE(r.ns == 1 && strcmp(r.sess[0], "disconnect") == 0);
	}
	free(res.b);
	sc_free(&s);
	/* The client speaks first mid-stream, aligned on a message. */
	m_parse(CL(&s), "", "SELECT 5", 0);
	m_bind(CL(&s), "", "", NULL);
	m_execute(CL(&s), "", 0);
	msg0(CL(&s), 'S');
	msg0(SV(&s), '1');
	msg0(SV(&s), '2');
	m_datarow(SV(&s), 1);
	msgs(SV(&s), 'C', "SELECT 1");
	m_ready(SV(&s), 'I');
	FOR_MODES(&s, &r) {
		CHECK_MODE(r.nq == 1);
		CHECK_MODE(q_is(&r, 0, "SELECT 5", 1, 0, 0, NULL, 0));
	}
	sc_free(&s);
}

/* A statement longer than statement_max is handed over cut, longer than
 * statement_max, so the normaliser fails closed on it. */
static void
test_long_statement(void)
{
	struct script s = { .n = 0 };
	struct rec r;
	char *big;
	size_t n = 3000;

	big = malloc(n + 1);
	memset(big, 'x', n);
	memcpy(big, "SELECT 1; SELECT '", 18);
	big[n] = '\0';
	sc_login(&s, "alice", "crm");
	m_query(CL(&s), big);
	m_result(SV(&s), 1, NULL);
	m_result(SV(&s), 1, NULL);
	m_ready(SV(&s), 'I');
	m_parse(CL(&s), "", big, 0);
	m_bind(CL(&s), "", "", NULL);
	m_execute(CL(&s), "", 0);
	msg0(CL(&s), 'S');
	msg0(SV(&s), '1');
	msg0(SV(&s), '2');
	msgs(SV(&s), 'C', "SELECT 0");
	m_ready(SV(&s), 'I');
	FOR_MODES(&s, &r) {
		CHECK_MODE(r.nq == 3);
		CHECK_MODE(q_is(&r, 0, "SELECT 1", 1, 0, 0, NULL, 0));
		CHECK_MODE(r.nq == 3 && r.q[1].sql_len == stmt_max + 1 &&
		    r.q[2].sql_len == stmt_max + 1);
	}
	free(big);
	sc_free(&s);
}

/* The connection ends mid-result: reported partial, then disconnect. */
static void
test_close_midresult(void)
{
	struct script s = { .n = 0 };
	struct rec r;

	sc_login(&s, "alice", "crm");
	m_query(CL(&s), "SELECT * FROM crm.customers");
	m_rowdesc(SV(&s), 4);
	m_datarow(SV(&s), 4);
	m_datarow(SV(&s), 4);
	FOR_MODES(&s, &r) {
		CHECK_MODE(q_is(&r, 0, "SELECT * FROM crm.customers", 2, 0, 0,
		    NULL, 1));
		CHECK_MODE(r.ns == 2 && strcmp(r.sess[1], "disconnect") == 0);
	}
	sc_free(&s);
}

static long
rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, rss = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	fclose(f);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Three million rows (about 130 MB) through a decoder: memory stays flat. */
static void
test_huge_result(void)
{
	struct agent_config cfg;
	struct db_out out;
	struct rec r;
	struct buf chunk = { 0 }, b = { 0 };
	void *ctx;
	size_t per = 0, i, fed = 0, tlen;
	long before, after;
	const size_t total = 3000000;

	memset(&r, 0, sizeof(r));
	agent_config_defaults(&cfg);
	out.query = rec_query;
	out.session = rec_session;
	out.arg = &r;
	ctx = db_proto_pgsql.new(&r.info, &out, &cfg);
	REQUIRE(ctx != NULL);
	m_startup(&b, 196608, "alice", "crm", NULL);
	db_proto_pgsql.data(ctx, DB_FROM_CLIENT, b.b, b.n, 1);
	b.n = 0;
	m_auth(&b, 0);
	m_ready(&b, 'I');
	db_proto_pgsql.data(ctx, DB_FROM_SERVER, b.b, b.n, 2);
	b.n = 0;
	m_query(&b, "SELECT * FROM crm.customers");
	db_proto_pgsql.data(ctx, DB_FROM_CLIENT, b.b, b.n, 3);
	b.n = 0;
	m_rowdesc(&b, 7);
	tlen = b.n;
	db_proto_pgsql.data(ctx, DB_FROM_SERVER, b.b, b.n, 4);
	for (i = 0; i < 1000; i++)
		m_datarow(&chunk, 7);
	per = 1000;
	before = rss_kb();
	/* Odd-sized pieces so rows straddle every call. */
	while (fed < total) {
		size_t off, k;

		for (off = 0; off < chunk.n; off += k) {
			k = chunk.n - off < 65521 ? chunk.n - off : 65521;
			db_proto_pgsql.data(ctx, DB_FROM_SERVER, chunk.b + off,
			    k, 5);
		}
		fed += per;
	}
	after = rss_kb();
	b.n = 0;
	msgs(&b, 'C', "SELECT 3000000");
	m_ready(&b, 'I');
	db_proto_pgsql.data(ctx, DB_FROM_SERVER, b.b, b.n, 6);
	db_proto_pgsql.close(ctx, 7);
	db_proto_pgsql.free(ctx);
	CHECK(r.nq == 1);
	CHECK(q_is(&r, 0, "SELECT * FROM crm.customers", total, 0, 0, NULL,
	    0));
	CHECK(r.nq == 1 && r.q[0].bytes == (uint64_t)chunk.n * (total / per) +
	    b.n - 6 + tlen);
	CHECK(after - before < 4096);
	if (after - before >= 4096)
		printf("  rss grew %ld kB\n", after - before);
	free(chunk.b);
	free(b.b);
	rec_free(&r);
}

/*
 * Regression: a plausible header in the last 5 bytes of a full
 * resynchronisation window has no body bytes in the window; checking its
 * body read one byte past the window (ASan: heap-buffer-overflow).
 */
static void
test_resync_window_edge(void)
{
	struct script s = { .n = 0 };
	struct rec r;
	struct buf *b;
	static const char type[3] = { 'Z', 'C', 'D' };
	int i;

	for (i = 0; i < 3; i++) {
		/* Mid-stream: the server speaks first, garbage then the
		 * header at window offset 16379. */
		b = i == 0 ? SV(&s) : CL(&s);
		if (i > 0) {
			/* Client garbage first puts both sides in resync. */
			put8(SV(&s), 0);
			b = CL(&s);
		}
		while (b->n < 16379)
			put8(b, 0);
		put8(b, (uint8_t)type[i]);
		put32(b, i == 0 ? 5 : 64);
		run(&s, 0, &r);
		CHECK(r.nq == 0);
		rec_free(&r);
		sc_free(&s);
	}
}

/*
 * A client that pipelines more query text than the per-connection cap
 * before the server answers: the requests keep their places (every
 * answer goes to the right statement), the ones past the cap lose their
 * text, so memory stays bounded.
 */
static void
test_pipelined_text_cap(void)
{
	struct script s = { .n = 0 };
	struct rec r;
	char *big;
	size_t n = 60000, old = stmt_max;
	int i;

	stmt_max = 65536;
	sc_login(&s, "alice", "crm");
	big = malloc(n + 1);
	REQUIRE(big != NULL);
	memset(big, 'x', n);
	memcpy(big + n - 2, "*/", 3);
	for (i = 0; i < 100; i++) {
		snprintf(big, 32, "SELECT %03d /*", i);
		big[strlen(big)] = 'x';
		m_query(CL(&s), big);
	}
	for (i = 0; i < 100; i++) {
		m_result(SV(&s), 1, NULL);
		m_ready(SV(&s), 'I');
	}
	run(&s, 0, &r);
	stmt_max = old;
	CHECK_INT(r.nq, 100);
	if (r.nq == 100) {
		CHECK(strncmp(r.q[0].sql, "SELECT 000 /*", 13) == 0);
		CHECK(r.q[0].sql_len == n);
		/* 4 MB / 60 kB: the 70th query and later have no text. */
		CHECK(r.q[60].sql_len == n);
		CHECK(r.q[99].sql_len == 0);
		CHECK_STR(r.q[99].command, "SELECT");
		CHECK_INT(r.q[99].rows, 1);
	}
	rec_free(&r);
	free(big);
	sc_free(&s);
}

/*
 * Regression: a server-side gap that swallows a CommandComplete and the
 * ReadyForQuery after it. The client's next simple Query proves every
 * earlier answer reached it, so the lost statement is closed (partial)
 * there and the following answers go to their own statements, instead
 * of each being attributed to the statement before it for good.
 */
static void
test_gap_loses_ready(void)
{
	struct script s = { .n = 0 };
	struct rec r;
	struct buf tail = { 0 };

	sc_login(&s, "alice", "crm");
	m_query(CL(&s), "SELECT 1");
	m_rowdesc(SV(&s), 1);
	m_datarow(SV(&s), 1);
	msgs(&tail, 'C', "SELECT 1");
	m_ready(&tail, 'I');
	sc_gap(&s, DB_FROM_SERVER, tail.n);
	m_query(CL(&s), "SELECT 2");
	m_result(SV(&s), 2, NULL);
	m_ready(SV(&s), 'I');
	m_query(CL(&s), "SELECT 3");
	m_result(SV(&s), 3, NULL);
	m_ready(SV(&s), 'I');
	FOR_MODES(&s, &r) {
		CHECK_MODE(r.nq == 3);
		CHECK_MODE(q_is(&r, 0, "SELECT 1", 1, 0, 0, NULL, 1));
		CHECK_MODE(q_is(&r, 1, "SELECT 2", 2, 0, 0, NULL, 0));
		CHECK_MODE(q_is(&r, 2, "SELECT 3", 3, 0, 0, NULL, 0));
	}
	free(tail.b);
	sc_free(&s);
}

/* Only a five-character SQLSTATE becomes error_code; else XX000. */
static void
test_sqlstate_shape(void)
{
	struct script s = { .n = 0 };
	struct rec r;

	sc_login(&s, "alice", "crm");
	m_query(CL(&s), "SELECT 1");
	m_error(SV(&s), 'E', "4111111111111111");
	m_ready(SV(&s), 'I');
	m_query(CL(&s), "SELECT 2");
	m_error(SV(&s), 'E', "42P01");
	m_ready(SV(&s), 'I');
	FOR_MODES(&s, &r) {
		CHECK_MODE(q_is(&r, 0, "SELECT 1", 0, 0, 0, "XX000", 0));
		CHECK_MODE(q_is(&r, 1, "SELECT 2", 0, 0, 0, "42P01", 0));
	}
	sc_free(&s);
}

static const struct test tests[] = {
	{ "login_select", test_login_select },
	{ "protocol_32", test_protocol_32 },
	{ "tls", test_tls },
	{ "auth_failed", test_auth_failed },
	{ "multi_statement", test_multi_statement },
	{ "pipelined_simple", test_pipelined_simple },
	{ "extended_pipeline", test_extended_pipeline },
	{ "prepared_500", test_prepared_500 },
	{ "execute_limit", test_execute_limit },
	{ "extended_error", test_extended_error },
	{ "skip_to_sync", test_skip_to_sync },
	{ "cursors", test_cursors },
	{ "copy", test_copy },
	{ "session_state", test_session_state },
	{ "gaps", test_gaps },
	{ "midstream", test_midstream },
	{ "long_statement", test_long_statement },
	{ "close_midresult", test_close_midresult },
	{ "huge_result", test_huge_result },
	{ "resync_window_edge", test_resync_window_edge },
	{ "pipelined_text_cap", test_pipelined_text_cap },
	{ "gap_loses_ready", test_gap_loses_ready },
	{ "sqlstate_shape", test_sqlstate_shape },
};

HARNESS_MAIN(tests)
