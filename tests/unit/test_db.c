/*
 * Tests of agent/db.c, the database connection table, with the real
 * PostgreSQL decoder and normaliser behind it: port entries are validated
 * with errors naming the entry; the BPF filter follows the ports; the
 * configured port decides which side is the server, also for a
 * connection picked up mid-stream; a conversation fed as packets (in
 * order, reordered, with a lost segment) becomes exactly the expected
 * db.session and db.query events with normalised statements, the
 * search_path's schema, the end user and partial marks; FIN/RST, idle
 * timeouts (by packet time) and the session cap close connections and
 * report their disconnect.
 */
#include <stdarg.h>

#include "harness.h"
#include "../../agent/agent.h"
#include "leakwatch/event.h"

#define MAXEV	64

static char	*events[MAXEV];
static int	 nevents;

static void
collect(void *arg, struct lw_event *ev)
{
	size_t len;

	(void)arg;
	if (nevents < MAXEV)
		events[nevents++] = lw_event_encode(ev, &len);
	lw_event_free(ev);
}

static void
reset_events(void)
{
	while (nevents > 0)
		free(events[--nevents]);
}

/* The events of one type, and whether any holds a text. */
static int
count(const char *needle)
{
	int i, n = 0;

	for (i = 0; i < nevents; i++)
		if (strstr(events[i], needle) != NULL)
			n++;
	return n;
}

static const char *
find(const char *needle)
{
	int i;

	for (i = 0; i < nevents; i++)
		if (strstr(events[i], needle) != NULL)
			return events[i];
	return "";
}

static char		*portv[4];
static struct agent_config cfg;

static void
config(int nports, ...)
{
	va_list ap;
	int i;

	memset(&cfg, 0, sizeof(cfg));
	agent_config_defaults(&cfg);
	va_start(ap, nports);
	for (i = 0; i < nports; i++)
		portv[i] = va_arg(ap, char *);
	va_end(ap);
	cfg.ports.v = portv;
	cfg.ports.n = (size_t)nports;
}

/* One endpoint pair and its sequence numbers. */
struct conv {
	uint8_t		 ipver;
	uint8_t		 cli[16];
	uint8_t		 srv[16];
	uint16_t	 cport;
	uint16_t	 sport;
	uint32_t	 cseq;
	uint32_t	 sseq;
	int64_t		 ts;
};

static void
conv_init(struct conv *c, uint8_t last, uint16_t cport)
{
	memset(c, 0, sizeof(*c));
	c->ipver = 4;
	c->cli[0] = 10; c->cli[3] = last;
	c->srv[0] = 10; c->srv[3] = 1;
	c->cport = cport;
	c->sport = 5432;
	c->cseq = 1000;
	c->sseq = 0xfffff000U;	/* wraps during the result */
	c->ts = 1700000000LL * 1000000;
}

/*
 * Sends len bytes from the client (dir 0) or server (dir 1) at offset
 * skip into the direction's stream, without advancing it when keep is
 * set (for reordering tests). Returns the sequence number used.
 */
static void
send_at(struct db_table *t, struct conv *c, int dir, uint8_t flags,
    const uint8_t *data, size_t len, uint32_t seq)
{
	struct pkt p;

	memset(&p, 0, sizeof(p));
	p.ts_us = c->ts += 100;
	p.ipver = c->ipver;
	p.proto = 6;
	memcpy(p.src, dir ? c->srv : c->cli, 16);
	memcpy(p.dst, dir ? c->cli : c->srv, 16);
	p.sport = dir ? c->sport : c->cport;
	p.dport = dir ? c->cport : c->sport;
	p.tcp_flags = flags;
	p.seq = seq;
	p.ack = dir ? c->cseq : c->sseq;
	p.payload = data;
	p.payload_len = len;
	p.payload_wire = (uint32_t)len;
	db_packet(t, &p);
}

static void
tx(struct db_table *t, struct conv *c, int dir, uint8_t flags,
    const uint8_t *data, size_t len)
{
	uint32_t *seq = dir ? &c->sseq : &c->cseq;

	send_at(t, c, dir, flags, data, len, *seq);
	*seq += (uint32_t)len + ((flags & (PKT_SYN | PKT_FIN)) ? 1 : 0);
}

/* PostgreSQL messages. */
static size_t
msg(uint8_t *b, size_t off, char type, const void *body, size_t len)
{
	if (type != 0)
		b[off++] = (uint8_t)type;
	b[off] = (uint8_t)((len + 4) >> 24);
	b[off + 1] = (uint8_t)((len + 4) >> 16);
	b[off + 2] = (uint8_t)((len + 4) >> 8);
	b[off + 3] = (uint8_t)(len + 4);
	memcpy(b + off + 4, body, len);
	return off + 4 + len;
}

static void
handshake(struct db_table *t, struct conv *c, const char *user,
    const char *search_path)
{
	uint8_t b[512], body[256];
	size_t off, n;

	tx(t, c, 0, PKT_SYN, NULL, 0);
	tx(t, c, 1, PKT_SYN | PKT_ACK, NULL, 0);
	tx(t, c, 0, PKT_ACK, NULL, 0);
	body[0] = 0; body[1] = 3; body[2] = 0; body[3] = 0;
	n = 4 + (size_t)snprintf((char *)body + 4, sizeof(body) - 4,
	    "user%c%s%cdatabase%ccrm%capplication_name%calice%c%c", 0, user,
	    0, 0, 0, 0, 0, 0) ;
	off = msg(b, 0, 0, body, n);
	tx(t, c, 0, PKT_ACK | PKT_PSH, b, off);
	memset(body, 0, 4);
	off = msg(b, 0, 'R', body, 4);
	if (search_path != NULL) {
		n = (size_t)snprintf((char *)body, sizeof(body),
		    "search_path%c%s", 0, search_path) + 1;
		off = msg(b, off, 'S', body, n);
	}
	/* BackendKeyData: backend pid 31337, then the cancel key. */
	memcpy(body, "\0\0\x7a\x69\x12\x34\x56\x78", 8);
	off = msg(b, off, 'K', body, 8);
	off = msg(b, off, 'Z', "I", 1);
	tx(t, c, 1, PKT_ACK | PKT_PSH, b, off);
}

/* A simple query and a result of `rows` one-column rows. */
static size_t
result(uint8_t *b, int rows)
{
	uint8_t body[64];
	size_t off = 0;
	int i;

	memset(body, 0, sizeof(body));
	body[1] = 1;			/* one column */
	memcpy(body + 2, "id", 3);
	off = msg(b, off, 'T', body, 2 + 3 + 18);
	for (i = 0; i < rows; i++) {
		memset(body, 0, sizeof(body));
		body[1] = 1;
		body[5] = 4;		/* length 4 */
		memcpy(body + 6, "1234", 4);
		off = msg(b, off, 'D', body, 10);
	}
	off = msg(b, off, 'C', "SELECT 0", 9);
	b[off - 2] = (uint8_t)('0' + rows % 10);	/* "SELECT n", n < 10 */
	return msg(b, off, 'Z', "I", 1);
}

static size_t
query(uint8_t *b, const char *sql)
{
	return msg(b, 0, 'Q', sql, strlen(sql) + 1);
}

static void
close_conv(struct db_table *t, struct conv *c)
{
	uint8_t b[8];
	size_t off = msg(b, 0, 'X', "", 0);

	tx(t, c, 0, PKT_ACK | PKT_PSH, b, off);
	tx(t, c, 0, PKT_ACK | PKT_FIN, NULL, 0);
	tx(t, c, 1, PKT_ACK | PKT_FIN, NULL, 0);
	tx(t, c, 0, PKT_ACK, NULL, 0);
}

static void
test_ports(void)
{
	struct db_port p[DB_MAX_PORTS];
	struct db_table *t;
	char err[256], bpf[512];
	size_t n;

	config(0);
	REQUIRE(db_ports(&cfg, p, &n, err, sizeof(err)) == 0);
	CHECK_INT(n, 2);
	CHECK_STR(p[0].proto->name, "pgsql");
	CHECK_INT(p[0].port, 5432);
	CHECK_STR(p[1].proto->name, "mysql");
	CHECK_INT(p[1].port, 3306);

	config(3, "pgsql:6432", "postgresql:5433", "pgsql:6432");
	REQUIRE((t = db_new(&cfg, collect, NULL, err, sizeof(err))) != NULL);
	REQUIRE(db_bpf(t, 1, bpf, sizeof(bpf)) == 0);
	CHECK_STR(bpf, "(tcp and (port 6432 or port 5433)) or "
	    "(vlan and tcp and (port 6432 or port 5433))");
	REQUIRE(db_bpf(t, 0, bpf, sizeof(bpf)) == 0);
	CHECK_STR(bpf, "tcp and (port 6432 or port 5433)");
	db_free(t);

	config(1, "pgsql:99999");
	CHECK(db_new(&cfg, collect, NULL, err, sizeof(err)) == NULL);
	CHECK_STR(err, "port \"pgsql:99999\": port must be a number from 1 "
	    "to 65535");
	config(2, "mysql:3306", "oracle:1521");
	CHECK(db_ports(&cfg, p, &n, err, sizeof(err)) != 0);
	CHECK_STR(err, "port \"oracle:1521\": unknown protocol \"oracle\" "
	    "(pgsql or mysql)");
	config(1, "5432");
	CHECK(db_ports(&cfg, p, &n, err, sizeof(err)) != 0);
	CHECK_CONTAINS(err, "port \"5432\": expected PROTOCOL:PORT");
	config(2, "pgsql:3306", "mysql:3306");
	CHECK(db_ports(&cfg, p, &n, err, sizeof(err)) != 0);
	CHECK_STR(err, "port \"mysql:3306\": port 3306 is already pgsql");
	config(1, "pgsql:");
	CHECK(db_ports(&cfg, p, &n, err, sizeof(err)) != 0);
	CHECK_CONTAINS(err, "port \"pgsql:\": port must be");
}

/* A whole conversation, in order: connect, two queries, disconnect. */
static void
test_conversation(void)
{
	struct db_table *t;
	struct db_stats st;
	struct conv c;
	uint8_t b[4096];
	char err[256];
	const char *e;
	size_t n;

	config(1, "pgsql:5432");
	cfg.end_user_app_name = 1;
	REQUIRE((t = db_new(&cfg, collect, NULL, err, sizeof(err))) != NULL);
	conv_init(&c, 7, 40001);
	handshake(t, &c, "support_ro", "\"$user\", sales");
	CHECK_INT(count("\"action\":\"connect\""), 1);
	/* The backend pid, not a hash: connect waits for BackendKeyData. */
	CHECK_CONTAINS(find("\"action\":\"connect\""),
	    "\"session_id\":\"31337\"");
	n = query(b, "SELECT id FROM orders WHERE id = 42 /* x */");
	tx(t, &c, 0, PKT_ACK | PKT_PSH, b, n);
	n = result(b, 3);
	tx(t, &c, 1, PKT_ACK | PKT_PSH, b, n);
	e = find("\"type\":\"db.query\"");
	CHECK_CONTAINS(e, "\"server\":\"10.0.0.1:5432\","
	    "\"client\":\"10.0.0.7:40001\"");
	CHECK_CONTAINS(e, "\"db_user\":\"support_ro\",\"database\":\"crm\","
	    "\"app_name\":\"alice\",\"end_user\":\"alice\","
	    "\"command\":\"SELECT\","
	    "\"statement\":\"SELECT id FROM orders WHERE id = ?\"");
	CHECK_CONTAINS(e, "\"tables\":[\"sales.orders\"],\"rows\":3,"
	    "\"rows_returned\":3,\"rows_affected\":0,");
	CHECK_CONTAINS(e, "\"duration_us\":100,\"status\":\"ok\","
	    "\"partial\":false,\"source\":\"wire\"}");
	CHECK_CONTAINS(e, "\"session_id\":\"31337\"");
	CHECK(strstr(e, "42") == NULL);
	CHECK(strstr(e, "1234") == NULL);
	/* An sqlcommenter tag names the end user over the app name. */
	reset_events();
	n = query(b, "SELECT id FROM orders WHERE id = 7 /*user='carl'*/");
	tx(t, &c, 0, PKT_ACK | PKT_PSH, b, n);
	n = result(b, 1);
	tx(t, &c, 1, PKT_ACK | PKT_PSH, b, n);
	CHECK_CONTAINS(find("db.query"), "\"end_user\":\"carl\"");
	CHECK_CONTAINS(find("db.query"), "\"fingerprint\":\"");
	db_stats(t, &st);
	CHECK_INT(st.active, 1);
	close_conv(t, &c);
	CHECK_INT(count("\"action\":\"disconnect\""), 1);
	CHECK_CONTAINS(find("disconnect"), "\"duration_us\":");
	db_stats(t, &st);
	CHECK_INT(st.active, 0);
	CHECK_INT(st.sessions, 1);
	CHECK_INT(st.queries, 2);
	CHECK_INT(st.invalid, 0);
	CHECK_INT(nevents, 2);	/* the query, then the disconnect */
	db_free(t);
	reset_events();
}

/*
 * The result arrives out of order and duplicated: the same events. A
 * lost segment the client acknowledges makes the query partial.
 */
static void
test_reorder_and_loss(void)
{
	struct db_table *t;
	struct db_stats st;
	struct conv c;
	uint8_t b[4096];
	char err[256];
	size_t n, half;
	uint32_t s0;

	config(0);
	REQUIRE((t = db_new(&cfg, collect, NULL, err, sizeof(err))) != NULL);
	conv_init(&c, 8, 40002);
	handshake(t, &c, "u1", NULL);
	n = query(b, "SELECT id FROM t WHERE id > 0");
	tx(t, &c, 0, PKT_ACK | PKT_PSH, b, n);
	n = result(b, 5);
	half = n / 2;
	s0 = c.sseq;
	send_at(t, &c, 1, PKT_ACK, b + half, n - half, s0 + (uint32_t)half);
	send_at(t, &c, 1, PKT_ACK, b + half, n - half, s0 + (uint32_t)half);
	CHECK_INT(count("db.query"), 0);
	send_at(t, &c, 1, PKT_ACK, b, half, s0);
	c.sseq += (uint32_t)n;
	CHECK_INT(count("db.query"), 1);
	CHECK_CONTAINS(find("db.query"), "\"rows_returned\":5,");
	CHECK_CONTAINS(find("db.query"), "\"tables\":[\"public.t\"]");
	CHECK_CONTAINS(find("db.query"), "\"partial\":false");
	reset_events();

	/* The first half of the next result is never captured, but the
	 * client acknowledges it: a gap, and a partial query. */
	n = query(b, "SELECT id FROM t WHERE id > 0");
	tx(t, &c, 0, PKT_ACK | PKT_PSH, b, n);
	n = result(b, 5);
	s0 = c.sseq;
	c.sseq += (uint32_t)half;
	tx(t, &c, 0, PKT_ACK, NULL, 0);
	send_at(t, &c, 1, PKT_ACK, b + half, n - half, s0 + (uint32_t)half);
	c.sseq = s0 + (uint32_t)n;
	close_conv(t, &c);
	db_stats(t, &st);
	CHECK_INT(st.reasm.gaps, 1);
	CHECK_INT(st.reasm.gap_bytes, half);
	CHECK_INT(st.gaps, 1);
	CHECK_INT(st.reasm.retrans_bytes, n - half);
	CHECK_CONTAINS(find("db.query"), "\"partial\":true");
	CHECK_INT(count("disconnect"), 1);
	db_free(t);
	reset_events();
}

/*
 * Mid-stream pickup: the first packet seen is the server's. The side on
 * the configured port is still the server; IPv6 addresses are bracketed.
 */
/*
 * Regression: the server's CommandComplete + ReadyForQuery are never
 * captured; the client's next Query acknowledges them. That ACK must
 * declare the hole before the Query is decoded, so the lost statement is
 * closed partial and each later answer goes to its own statement.
 */
static void
test_lost_ready(void)
{
	struct db_table *t;
	struct conv c;
	uint8_t b[4096];
	char err[256];
	size_t n;

	config(0);
	REQUIRE((t = db_new(&cfg, collect, NULL, err, sizeof(err))) != NULL);
	conv_init(&c, 9, 40003);
	handshake(t, &c, "u1", NULL);
	n = query(b, "SELECT a FROM t1");
	tx(t, &c, 0, PKT_ACK | PKT_PSH, b, n);
	n = result(b, 1);
	tx(t, &c, 1, PKT_ACK | PKT_PSH, b, n - 20);	/* T, D */
	c.sseq += 20;				/* C, Z: lost */
	n = query(b, "SELECT b FROM t2");
	tx(t, &c, 0, PKT_ACK | PKT_PSH, b, n);
	n = result(b, 2);
	tx(t, &c, 1, PKT_ACK | PKT_PSH, b, n);
	n = query(b, "SELECT c FROM t3");
	tx(t, &c, 0, PKT_ACK | PKT_PSH, b, n);
	n = result(b, 3);
	tx(t, &c, 1, PKT_ACK | PKT_PSH, b, n);
	CHECK_INT(count("\"type\":\"db.query\""), 3);
	CHECK_CONTAINS(find("public.t1"), "\"rows_returned\":1,");
	CHECK_CONTAINS(find("public.t1"), "\"partial\":true");
	CHECK_CONTAINS(find("public.t2"), "\"rows_returned\":2,");
	CHECK_CONTAINS(find("public.t2"), "\"partial\":false");
	CHECK_CONTAINS(find("public.t3"), "\"rows_returned\":3,");
	CHECK_CONTAINS(find("public.t3"), "\"partial\":false");
	close_conv(t, &c);
	db_free(t);
	reset_events();
}

static void
test_midstream_ipv6(void)
{
	struct db_table *t;
	struct db_stats st;
	struct conv c;
	uint8_t b[4096];
	char err[256];
	const char *e;
	size_t n;

	config(0);
	REQUIRE((t = db_new(&cfg, collect, NULL, err, sizeof(err))) != NULL);
	conv_init(&c, 9, 40003);
	c.ipver = 6;
	memset(c.cli, 0, 16);
	memset(c.srv, 0, 16);
	c.cli[0] = 0x20; c.cli[1] = 0x01; c.cli[15] = 9;
	c.srv[15] = 1;
	n = result(b, 2);	/* the tail of something we never saw */
	tx(t, &c, 1, PKT_ACK | PKT_PSH, b, n);
	n = query(b, "SELECT 1");
	tx(t, &c, 0, PKT_ACK | PKT_PSH, b, n);
	n = result(b, 1);
	tx(t, &c, 1, PKT_ACK | PKT_PSH, b, n);
	tx(t, &c, 0, PKT_RST, NULL, 0);
	db_stats(t, &st);
	CHECK_INT(st.sessions, 1);
	CHECK_INT(st.active, 0);
	/* The tail is reported as what it is: partial. */
	CHECK_INT(count("db.query"), 2);
	CHECK_CONTAINS(find("db.query"), "\"partial\":true");
	e = find("\"statement\":\"SELECT ?\"");
	CHECK_CONTAINS(e, "\"server\":\"[::1]:5432\","
	    "\"client\":\"[2001::9]:40003\"");
	CHECK_CONTAINS(e, "\"db_user\":\"\"");
	CHECK_CONTAINS(e, "\"rows_returned\":1,");
	CHECK_CONTAINS(e, "\"partial\":false");
	db_free(t);
	reset_events();
}

/* The session cap evicts the least recently active; idle ones time out
 * by packet time; the end closes the rest. */
static void
test_cap_and_idle(void)
{
	struct db_table *t;
	struct db_stats st;
	struct conv c[3];
	char err[256];
	int i;

	config(0);
	cfg.db_sessions_max = 2;
	cfg.db_idle_timeout = 60000;
	REQUIRE((t = db_new(&cfg, collect, NULL, err, sizeof(err))) != NULL);
	for (i = 0; i < 3; i++) {
		conv_init(&c[i], (uint8_t)(20 + i), (uint16_t)(41000 + i));
		c[i].ts += i * 1000;
		handshake(t, &c[i], "u", NULL);
	}
	db_stats(t, &st);
	CHECK_INT(st.evicted, 1);
	CHECK_INT(st.active, 2);
	CHECK_INT(count("\"action\":\"disconnect\""), 1);
	CHECK_CONTAINS(find("disconnect"), "\"client\":\"10.0.0.20:41000\"");
	/* One connection speaks after 30 s and 61 s: the other has then
	 * been idle for more than the timeout. */
	c[2].ts += 30 * 1000000LL;
	tx(t, &c[2], 0, PKT_ACK, NULL, 0);
	db_stats(t, &st);
	CHECK_INT(st.idle_closed, 0);
	c[2].ts += 31 * 1000000LL;
	tx(t, &c[2], 0, PKT_ACK, NULL, 0);
	db_stats(t, &st);
	CHECK_INT(st.idle_closed, 1);
	CHECK_INT(st.active, 1);
	CHECK_CONTAINS(events[nevents - 1], "\"client\":\"10.0.0.21:41001\"");
	db_close_all(t, 0);
	db_stats(t, &st);
	CHECK_INT(st.active, 0);
	CHECK_INT(count("\"action\":\"disconnect\""), 3);
	/* A stray RST or bare ACK opens nothing. */
	tx(t, &c[0], 0, PKT_RST, NULL, 0);
	tx(t, &c[0], 1, PKT_ACK, NULL, 0);
	db_stats(t, &st);
	CHECK_INT(st.sessions, 3);
	db_free(t);
	reset_events();
}

/*
 * A client chooses its user name: ESC, CR LF with a forged syslog header
 * and a C1 CSI in the start-up message reach the connect and query
 * events escaped (lib/text.c), and both events are kept.
 */
static void
test_wire_names_escaped(void)
{
	struct db_table *t;
	struct db_stats st;
	struct conv c;
	uint8_t b[4096];
	char err[256];
	size_t n, i;
	int k;

	config(1, "pgsql:5432");
	REQUIRE((t = db_new(&cfg, collect, NULL, err, sizeof(err))) != NULL);
	conv_init(&c, 9, 40009);
	handshake(t, &c, "m\x1b[2J\r\n<13>1 - forged\xc2\x9b" "31m", NULL);
	n = query(b, "SELECT id FROM orders");
	tx(t, &c, 0, PKT_ACK | PKT_PSH, b, n);
	n = result(b, 1);
	tx(t, &c, 1, PKT_ACK | PKT_PSH, b, n);
	CHECK_INT(nevents, 2);
	for (k = 0; k < nevents; k++) {
		CHECK_CONTAINS(events[k], "\"db_user\":\"m\\\\x1b[2J"
		    "\\\\x0d\\\\x0a<13>1 - forged\\\\u009b31m\"");
		for (i = 0; events[k][i] != '\0'; i++)
			CHECK((unsigned char)events[k][i] >= 0x20);
		CHECK(strstr(events[k], "\\u001b") == NULL);
	}
	db_stats(t, &st);
	CHECK_INT(st.invalid, 0);
	db_free(t);
	reset_events();
}

static const struct test tests[] = {
	{ "ports", test_ports },
	{ "conversation", test_conversation },
	{ "reorder_and_loss", test_reorder_and_loss },
	{ "lost_ready", test_lost_ready },
	{ "midstream_ipv6", test_midstream_ipv6 },
	{ "cap_and_idle", test_cap_and_idle },
	{ "wire_names_escaped", test_wire_names_escaped },
};

HARNESS_MAIN(tests)
