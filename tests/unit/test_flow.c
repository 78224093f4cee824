/*
 * Unit tests for the net source's flow table (agent/flow.c), category map
 * (agent/category.c) and nDPI wrapper (agent/dpi.c): direction and scope
 * from the internal networks, VLAN in the key, TCP end with its linger,
 * idle and active timeouts, periodic updates whose deltas add up to the
 * total, LRU eviction at the cap, IPv4 fragments, the category rules
 * (built-in copy equal to rules/categories.map, first match wins, errors
 * with file:line), the DNS-name heuristic, one real nDPI detection, and
 * the check of a TLS flow's server against the name it announces (DNS
 * answers seen earlier, nDPI's address lists). Packets are built by hand
 * and decoded by pkt_decode(), as on the wire.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <pcap/dlt.h>

#include "../../agent/agent.h"

#define MAXREC	64

struct rec {
	char		 src[64];
	char		 dst[64];
	uint16_t	 sport;
	uint16_t	 dport;
	struct flow_rec	 r;
	char		 app[64];
	char		 server_name[128];
};

static struct rec	 recs[MAXREC];
static int		 nrec;
static struct dpi	*cur_dpi;

static void
collect(void *arg, const struct flow_rec *r)
{
	struct rec *x;

	(void)arg;
	if (nrec == MAXREC)
		return;
	x = &recs[nrec++];
	memset(x, 0, sizeof(*x));
	x->r = *r;
	x->r.src = x->r.dst = NULL;
	x->r.dpi = NULL;
	pkt_addr_str(r->ipver, r->src, x->src, sizeof(x->src));
	pkt_addr_str(r->ipver, r->dst, x->dst, sizeof(x->dst));
	if (cur_dpi != NULL && r->dpi != NULL && r->dpi->done)
		dpi_app_name(cur_dpi, r->dpi, x->app, sizeof(x->app));
	if (r->dpi != NULL && r->dpi->server_name != NULL)
		snprintf(x->server_name, sizeof(x->server_name), "%s",
		    r->dpi->server_name);
}

/* A raw IPv4 packet: TCP or UDP, with `data` payload bytes. */
struct frame {
	uint8_t	 b[1600];
	size_t	 n;
};

static void
mk4(struct frame *f, const char *src, const char *dst, uint8_t proto,
    uint16_t sp, uint16_t dp, uint8_t flags, size_t data, uint16_t frag,
    uint16_t ipid)
{
	size_t l4 = proto == 6 ? 20 : 8, tot = 20 + l4 + data;

	memset(f->b, 0, sizeof(f->b));
	f->b[0] = 0x45;
	f->b[2] = (uint8_t)(tot >> 8);
	f->b[3] = (uint8_t)tot;
	f->b[4] = (uint8_t)(ipid >> 8);
	f->b[5] = (uint8_t)ipid;
	f->b[6] = (uint8_t)(frag >> 8);
	f->b[7] = (uint8_t)frag;
	f->b[8] = 64;
	f->b[9] = proto;
	if (inet_pton(AF_INET, src, f->b + 12) != 1 ||
	    inet_pton(AF_INET, dst, f->b + 16) != 1)
		abort();
	f->b[20] = (uint8_t)(sp >> 8);
	f->b[21] = (uint8_t)sp;
	f->b[22] = (uint8_t)(dp >> 8);
	f->b[23] = (uint8_t)dp;
	if (proto == 6) {
		f->b[32] = 0x50;
		f->b[33] = flags;
	} else {
		f->b[24] = (uint8_t)((8 + data) >> 8);
		f->b[25] = (uint8_t)(8 + data);
	}
	f->n = tot;
}

static struct flow_table *
table(long long max, long long idle_ms, long long active_ms,
    long long update_ms, const char *internal, struct dpi *dpi)
{
	static char *v[1];
	static char buf[128];
	struct agent_config cfg;
	struct flow_table *t;
	char err[256];

	memset(&cfg, 0, sizeof(cfg));
	agent_config_defaults(&cfg);
	cfg.read = (char *)(uintptr_t)"x.pcap";	/* deterministic ids */
	cfg.flow_max = max;
	cfg.flow_idle_timeout = idle_ms;
	cfg.flow_active_timeout = active_ms;
	cfg.flow_update = update_ms;
	snprintf(buf, sizeof(buf), "%s", internal);
	v[0] = buf;
	cfg.internal.v = v;
	cfg.internal.n = 1;
	nrec = 0;
	cur_dpi = dpi;
	t = flow_table_new(&cfg, dpi, collect, NULL, err, sizeof(err));
	if (t == NULL)
		FAILF("flow_table_new: %s", err);
	return t;
}

/* Decodes f as raw IP at time t_ms and feeds it to the table. */
static void
feed(struct flow_table *t, const struct frame *f, int64_t t_ms)
{
	struct pkt p;

	if (pkt_decode(DLT_RAW, f->b, f->n, f->n, &p) != PKT_OK)
		abort();
	p.ts_us = 1700000000000000LL + t_ms * 1000;
	flow_packet(t, &p);
}

static void
test_direction_scope(void)
{
	struct flow_table *t;
	struct frame f;

	REQUIRE((t = table(1000, 60000, 3600000, 60000,
	    "10.0.0.0/8, 192.168.1.0/24", NULL)) != NULL);
	/* Outbound: internal client opens with a SYN. */
	mk4(&f, "10.0.0.5", "8.8.8.8", 6, 40000, 443, PKT_SYN, 0, 0, 1);
	feed(t, &f, 0);
	mk4(&f, "8.8.8.8", "10.0.0.5", 6, 443, 40000, PKT_SYN | PKT_ACK, 0,
	    0, 2);
	feed(t, &f, 1);
	mk4(&f, "10.0.0.5", "8.8.8.8", 6, 40000, 443, PKT_ACK, 1000, 0, 3);
	feed(t, &f, 2);
	/* Inbound: the outside connects to an internal server. */
	mk4(&f, "203.0.113.9", "192.168.1.25", 6, 5555, 25, PKT_SYN, 0, 0, 4);
	feed(t, &f, 3);
	mk4(&f, "192.168.1.25", "203.0.113.9", 6, 25, 5555, PKT_ACK, 100, 0,
	    5);
	feed(t, &f, 4);
	/* Internal: first seen packet is a SYN+ACK, so the peer opened. */
	mk4(&f, "10.0.0.6", "10.0.0.5", 6, 80, 4000, PKT_SYN | PKT_ACK, 0,
	    0, 6);
	feed(t, &f, 5);
	/* External: neither side internal; first packet's sender. */
	mk4(&f, "198.51.100.7", "198.51.100.1", 17, 9999, 53, 0, 10, 0, 7);
	feed(t, &f, 6);
	/* Outside the /24: 192.168.2.1 is not internal. */
	mk4(&f, "192.168.2.1", "10.1.2.3", 17, 1, 2, 0, 0, 0, 8);
	feed(t, &f, 7);
	/* A broadcast never leaves the LAN: internal to internal. */
	mk4(&f, "10.0.0.9", "255.255.255.255", 17, 17500, 17500, 0, 0, 0, 9);
	feed(t, &f, 8);
	flow_flush(t);
	REQUIRE(nrec == 6);
	CHECK_STR(recs[5].src, "10.0.0.9");
	CHECK_INT(recs[5].r.scope, FLOW_INTERNAL);
	/* Flushed oldest first. */
	CHECK_STR(recs[0].src, "10.0.0.5");
	CHECK_STR(recs[0].dst, "8.8.8.8");
	CHECK_INT(recs[0].r.sport, 40000);
	CHECK_INT(recs[0].r.dport, 443);
	CHECK_INT(recs[0].r.scope, FLOW_OUTBOUND);
	CHECK_INT(recs[0].r.pkts_out, 2);
	CHECK_INT(recs[0].r.pkts_in, 1);
	CHECK_INT(recs[0].r.bytes_out, 40 + 1040);
	CHECK_INT(recs[0].r.bytes_in, 40);
	CHECK_INT(recs[0].r.delta_out, 1080);
	CHECK(recs[0].r.final);
	CHECK_INT(recs[0].r.end, FLOW_END_FLUSH);
	CHECK_INT(recs[0].r.first_us, 1700000000000000LL);
	CHECK_INT(recs[0].r.last_us, 1700000000002000LL);
	CHECK_STR(recs[1].src, "192.168.1.25");
	CHECK_INT(recs[1].r.sport, 25);
	CHECK_INT(recs[1].r.scope, FLOW_INBOUND);
	CHECK_INT(recs[1].r.bytes_out, 140);
	CHECK_INT(recs[1].r.bytes_in, 40);
	CHECK_STR(recs[2].src, "10.0.0.5");
	CHECK_INT(recs[2].r.sport, 4000);
	CHECK_INT(recs[2].r.scope, FLOW_INTERNAL);
	CHECK_INT(recs[2].r.pkts_in, 1);
	CHECK_STR(recs[3].src, "198.51.100.7");
	CHECK_INT(recs[3].r.scope, FLOW_EXTERNAL);
	CHECK_STR(recs[4].src, "10.1.2.3");
	CHECK_INT(recs[4].r.scope, FLOW_INBOUND);
	CHECK(recs[0].r.id != recs[1].r.id);
	CHECK_STR(flow_scope_str(FLOW_OUTBOUND), "outbound");
	flow_table_free(t);
}

static void
test_vlan_key(void)
{
	uint8_t b[128];
	struct flow_table *t;
	struct frame f;
	struct pkt p;
	int v;

	REQUIRE((t = table(1000, 60000, 3600000, 60000, "10.0.0.0/8",
	    NULL)) != NULL);
	mk4(&f, "10.0.0.1", "1.1.1.1", 17, 1000, 53, 0, 0, 0, 1);
	for (v = 10; v <= 20; v += 10) {
		memset(b, 0, 12);
		b[12] = 0x81; b[13] = 0x00;
		b[14] = 0; b[15] = (uint8_t)v;
		b[16] = 0x08; b[17] = 0x00;
		memcpy(b + 18, f.b, f.n);
		REQUIRE(pkt_decode(DLT_EN10MB, b, 18 + f.n, 18 + f.n, &p) ==
		    PKT_OK);
		p.ts_us = 1700000000000000LL;
		flow_packet(t, &p);
		flow_packet(t, &p);
	}
	flow_flush(t);
	REQUIRE(nrec == 2);
	CHECK_INT(recs[0].r.vlan, 10);
	CHECK_INT(recs[0].r.has_vlan, 1);
	CHECK_INT(recs[0].r.pkts_out, 2);
	CHECK_INT(recs[1].r.vlan, 20);
	flow_table_free(t);
}

static void
test_tcp_end(void)
{
	struct flow_table *t;
	struct frame f;
	struct flow_stats st;

	REQUIRE((t = table(1000, 60000, 3600000, 60000, "10.0.0.0/8",
	    NULL)) != NULL);
	mk4(&f, "10.0.0.1", "1.1.1.1", 6, 1000, 80, PKT_SYN, 0, 0, 1);
	feed(t, &f, 0);
	mk4(&f, "10.0.0.1", "1.1.1.1", 6, 1000, 80, PKT_FIN | PKT_ACK, 0, 0,
	    2);
	feed(t, &f, 100);
	mk4(&f, "1.1.1.1", "10.0.0.1", 6, 80, 1000, PKT_FIN | PKT_ACK, 0, 0,
	    3);
	feed(t, &f, 200);
	/* The last ACK still belongs to the flow. */
	mk4(&f, "10.0.0.1", "1.1.1.1", 6, 1000, 80, PKT_ACK, 0, 0, 4);
	feed(t, &f, 300);
	CHECK_INT(nrec, 0);
	/* RST ends another one. */
	mk4(&f, "10.0.0.2", "1.1.1.1", 6, 1001, 80, PKT_RST, 0, 0, 5);
	feed(t, &f, 400);
	flow_expire(t, 1700000000000000LL + 5299 * 1000);
	CHECK_INT(nrec, 0);
	flow_expire(t, 1700000000000000LL + 5400 * 1000);
	REQUIRE(nrec == 2);
	CHECK_INT(recs[0].r.end, FLOW_END_TCP);
	CHECK_INT(recs[0].r.pkts_out, 3);
	CHECK_INT(recs[0].r.pkts_in, 1);
	CHECK_INT(recs[0].r.ts_us, 1700000000000000LL + 5300 * 1000);
	CHECK_INT(recs[1].r.end, FLOW_END_TCP);
	flow_table_stats(t, &st);
	CHECK_INT(st.active, 0);
	CHECK_INT(st.records, 2);
	flow_table_free(t);
}

static void
test_timeouts(void)
{
	struct flow_table *t;
	struct frame f;
	int i;

	/* idle 2 s, active 5 s */
	REQUIRE((t = table(1000, 2000, 5000, 60000, "10.0.0.0/8", NULL)) !=
	    NULL);
	mk4(&f, "10.0.0.1", "1.1.1.1", 17, 1000, 53, 0, 0, 0, 1);
	feed(t, &f, 0);
	mk4(&f, "10.0.0.2", "1.1.1.1", 17, 1000, 53, 0, 0, 0, 1);
	for (i = 0; i <= 7; i++)
		feed(t, &f, i * 1000);
	/* Flow 1 went idle at 2 s; flow 2 hit the active timeout at 5 s
	 * and a new flow (new id) took its later packets. */
	REQUIRE(nrec == 2);
	CHECK_INT(recs[0].r.end, FLOW_END_IDLE);
	CHECK_INT(recs[0].r.ts_us, 1700000000000000LL + 2000 * 1000);
	CHECK_STR(recs[1].src, "10.0.0.2");
	CHECK_INT(recs[1].r.end, FLOW_END_ACTIVE);
	CHECK_INT(recs[1].r.ts_us, 1700000000000000LL + 5000 * 1000);
	CHECK_INT(recs[1].r.pkts_out, 5);
	flow_flush(t);
	REQUIRE(nrec == 3);
	CHECK_INT(recs[2].r.pkts_out, 3);
	CHECK(recs[2].r.id != recs[1].r.id);
	flow_table_free(t);
}

static void
test_updates(void)
{
	struct flow_table *t;
	struct frame f;
	uint64_t sum_out = 0, sum_in = 0;
	int i, updates = 0;

	REQUIRE((t = table(1000, 60000, 3600000, 1000, "10.0.0.0/8", NULL)) !=
	    NULL);
	for (i = 0; i < 20; i++) {
		mk4(&f, "10.0.0.1", "1.1.1.1", 6, 1000, 443, PKT_ACK,
		    (size_t)(100 + i), 0, 1);
		feed(t, &f, i * 500);
		if (i % 4 == 0) {
			mk4(&f, "1.1.1.1", "10.0.0.1", 6, 443, 1000, PKT_ACK, 0,
			    0, 2);
			feed(t, &f, i * 500 + 1);
		}
	}
	/* Quiet for 3 s: no update without new bytes. */
	flow_expire(t, 1700000000000000LL + 13000 * 1000);
	flow_flush(t);
	REQUIRE(nrec >= 2);
	for (i = 0; i < nrec; i++) {
		sum_out += recs[i].r.delta_out;
		sum_in += recs[i].r.delta_in;
		if (!recs[i].r.final) {
			updates++;
			CHECK_INT(recs[i].r.end, FLOW_UPDATE);
		}
		if (i > 0)
			CHECK_INT(recs[i].r.id, recs[0].r.id);
	}
	CHECK(recs[nrec - 1].r.final);
	CHECK(updates >= 8 && updates <= 10);
	CHECK_INT(sum_out, recs[nrec - 1].r.bytes_out);
	CHECK_INT(sum_in, recs[nrec - 1].r.bytes_in);
	CHECK_INT(recs[nrec - 1].r.bytes_out, 20 * 40 + 2000 + 190);
	CHECK_INT(recs[nrec - 1].r.bytes_in, 5 * 40);
	flow_table_free(t);
}

static void
test_eviction(void)
{
	struct flow_table *t;
	struct flow_stats st;
	struct frame f;
	char a[32];
	int i;

	REQUIRE((t = table(4, 60000, 3600000, 60000, "10.0.0.0/8", NULL)) !=
	    NULL);
	for (i = 1; i <= 4; i++) {
		snprintf(a, sizeof(a), "10.0.0.%d", i);
		mk4(&f, a, "1.1.1.1", 17, 1000, 53, 0, 0, 0, 1);
		feed(t, &f, i);
	}
	/* Touch flow 1: flow 2 is now least recently used. */
	mk4(&f, "10.0.0.1", "1.1.1.1", 17, 1000, 53, 0, 0, 0, 1);
	feed(t, &f, 10);
	CHECK_INT(nrec, 0);
	mk4(&f, "10.0.0.5", "1.1.1.1", 17, 1000, 53, 0, 0, 0, 1);
	feed(t, &f, 11);
	REQUIRE(nrec == 1);
	CHECK_STR(recs[0].src, "10.0.0.2");
	CHECK_INT(recs[0].r.end, FLOW_END_EVICTED);
	CHECK(recs[0].r.final);
	flow_table_stats(t, &st);
	CHECK_INT(st.evicted, 1);
	CHECK_INT(st.active, 4);
	CHECK_INT(st.flows, 5);
	flow_flush(t);
	CHECK_INT(nrec, 5);
	flow_table_free(t);
}

static void
test_fragments(void)
{
	struct flow_table *t;
	struct flow_stats st;
	struct frame f;

	REQUIRE((t = table(1000, 60000, 3600000, 60000, "10.0.0.0/8", NULL)) !=
	    NULL);
	mk4(&f, "10.0.0.1", "1.1.1.1", 17, 4444, 53, 0, 1472, 0x2000, 77);
	feed(t, &f, 0);
	mk4(&f, "10.0.0.1", "1.1.1.1", 17, 0, 0, 0, 92, 185, 77);
	feed(t, &f, 1);
	/* A later fragment whose first one never came. */
	mk4(&f, "10.0.0.1", "1.1.1.1", 17, 0, 0, 0, 92, 185, 78);
	feed(t, &f, 2);
	flow_flush(t);
	REQUIRE(nrec == 2);
	CHECK_INT(recs[0].r.sport, 4444);
	CHECK_INT(recs[0].r.pkts_out, 2);
	CHECK_INT(recs[0].r.bytes_out, 1500 + 120);
	CHECK_INT(recs[1].r.sport, 0);
	flow_table_stats(t, &st);
	CHECK_INT(st.frag_orphans, 1);
	flow_table_free(t);
}

static void
test_internal_parse(void)
{
	struct flow_table *t;
	char err[256];

	REQUIRE((t = table(16, 60000, 3600000, 60000,
	    "10.0.0.0/8,fc00::/7 192.0.2.1", NULL)) != NULL);
	CHECK(flow_add_internal(t, "10.0.0.0/33", err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "10.0.0.0/33");
	CHECK(flow_add_internal(t, "example.com", err, sizeof(err)) == -1);
	CHECK(flow_add_internal(t, "10.0.0.0/", err, sizeof(err)) == -1);
	CHECK(flow_add_internal(t, "::1/128,,", err, sizeof(err)) == 0);
	flow_table_free(t);
}

/* One DNS query through the real nDPI. */
static void
test_dpi_dns(void)
{
	static const uint8_t q[] = {
		0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o',
		'm', 0, 0x00, 0x01, 0x00, 0x01
	};
	struct flow_table *t;
	struct dpi *d;
	struct frame f;
	char err[256];

	REQUIRE((d = dpi_new(err, sizeof(err))) != NULL);
	t = table(1000, 60000, 3600000, 60000, "10.0.0.0/8", d);
	if (t == NULL) {
		dpi_free(d);
		return;
	}
	mk4(&f, "10.0.0.1", "1.1.1.1", 17, 40000, 53, 0, sizeof(q), 0, 1);
	memcpy(f.b + 28, q, sizeof(q));
	feed(t, &f, 0);
	flow_flush(t);
	REQUIRE(nrec == 1);
	CHECK_STR(recs[0].app, "DNS");
	CHECK_STR(recs[0].server_name, "example.com");
	flow_table_free(t);
	dpi_free(d);
	CHECK(dpi_risk_name(23) != NULL);
	CHECK(dpi_risk_name(0) == NULL);
	CHECK(dpi_risk_name(dpi_risk_max()) == NULL);
}

/* Appends name as DNS labels at b[p]; returns the new end. */
static size_t
put_name(uint8_t *b, size_t p, const char *name)
{
	const char *dot;
	size_t n;

	while (*name != '\0') {
		dot = strchr(name, '.');
		n = dot != NULL ? (size_t)(dot - name) : strlen(name);
		b[p++] = (uint8_t)n;
		memcpy(b + p, name, n);
		p += n;
		name += n + (dot != NULL);
	}
	b[p++] = 0;
	return p;
}

/*
 * A resolver's answer to "A? name": name CNAME cname (when cname is not
 * NULL), then the last name A addr, TTL 60 s.
 */
static size_t
dns_answer(uint8_t *b, const char *name, const char *cname,
    const char *addr)
{
	static const uint8_t rr_a[] = { 0, 1, 0, 1, 0, 0, 0, 60, 0, 4 };
	static const uint8_t rr_cname[] = { 0, 5, 0, 1, 0, 0, 0, 60 };
	size_t p = 0, rd;

	memset(b, 0, 12);
	b[0] = 0x12; b[1] = 0x34;
	b[2] = 0x81; b[3] = 0x80;	/* response, recursion */
	b[5] = 1;			/* one question */
	b[7] = cname != NULL ? 2 : 1;
	p = put_name(b, 12, name);
	b[p++] = 0; b[p++] = 1; b[p++] = 0; b[p++] = 1;
	if (cname != NULL) {
		p = put_name(b, p, name);
		memcpy(b + p, rr_cname, sizeof(rr_cname));
		p += sizeof(rr_cname);
		rd = put_name(b, p + 2, cname);
		b[p] = (uint8_t)((rd - p - 2) >> 8);
		b[p + 1] = (uint8_t)(rd - p - 2);
		p = rd;
		name = cname;
	}
	p = put_name(b, p, name);
	memcpy(b + p, rr_a, sizeof(rr_a));
	p += sizeof(rr_a);
	if (inet_pton(AF_INET, addr, b + p) != 1)
		abort();
	return p + 4;
}

/* A TLS 1.2 ClientHello announcing sni: one suite, one extension. */
static size_t
client_hello(uint8_t *b, const char *sni)
{
	size_t n = strlen(sni), ext = 9 + n, hs = 43 + ext, p = 0;

	b[p++] = 0x16; b[p++] = 3; b[p++] = 1;		/* handshake record */
	b[p++] = (uint8_t)((hs + 4) >> 8); b[p++] = (uint8_t)(hs + 4);
	b[p++] = 1;					/* ClientHello */
	b[p++] = 0; b[p++] = (uint8_t)(hs >> 8); b[p++] = (uint8_t)hs;
	b[p++] = 3; b[p++] = 3;				/* TLS 1.2 */
	memset(b + p, 0x5a, 32);			/* random */
	p += 32;
	b[p++] = 0;					/* no session id */
	b[p++] = 0; b[p++] = 2; b[p++] = 0xc0; b[p++] = 0x2f;
	b[p++] = 1; b[p++] = 0;				/* no compression */
	b[p++] = (uint8_t)(ext >> 8); b[p++] = (uint8_t)ext;
	b[p++] = 0; b[p++] = 0;				/* server_name */
	b[p++] = (uint8_t)((n + 5) >> 8); b[p++] = (uint8_t)(n + 5);
	b[p++] = (uint8_t)((n + 3) >> 8); b[p++] = (uint8_t)(n + 3);
	b[p++] = 0;					/* host_name */
	b[p++] = (uint8_t)(n >> 8); b[p++] = (uint8_t)n;
	memcpy(b + p, sni, n);
	return p + n;
}

/* The resolver at 10.0.0.53 answers 10.0.0.5 at time t_ms. */
static void
feed_dns(struct flow_table *t, const char *name, const char *cname,
    const char *addr, int64_t t_ms)
{
	uint8_t m[512];
	struct frame f;
	size_t n = dns_answer(m, name, cname, addr);

	mk4(&f, "10.0.0.53", "10.0.0.5", 17, 53, 33333, 0, n, 0, 1);
	memcpy(f.b + 28, m, n);
	feed(t, &f, t_ms);
}

/* 10.0.0.5:sport opens a TLS connection to dst announcing sni. */
static void
feed_tls(struct flow_table *t, uint16_t sport, const char *dst,
    const char *sni, int64_t t_ms)
{
	uint8_t ch[512];
	struct frame f;
	size_t n = client_hello(ch, sni);

	mk4(&f, "10.0.0.5", dst, 6, sport, 443, PKT_SYN, 0, 0, 1);
	feed(t, &f, t_ms);
	mk4(&f, dst, "10.0.0.5", 6, 443, sport, PKT_SYN | PKT_ACK, 0, 0, 2);
	feed(t, &f, t_ms + 1);
	mk4(&f, "10.0.0.5", dst, 6, sport, 443, PKT_ACK | PKT_PSH, n, 0, 3);
	memcpy(f.b + 40, ch, n);
	feed(t, &f, t_ms + 2);
}

/* The record of the flow to dst:443 from sport, or NULL. */
static const struct rec *
rec_of(uint16_t sport)
{
	int i;

	for (i = 0; i < nrec; i++)
		if (recs[i].r.sport == sport && recs[i].r.dport == 443)
			return &recs[i];
	return NULL;
}

/*
 * update.microsoft.com, the name of the finding: nDPI names it
 * TLS.WindowsUpdate. A DNS answer seen earlier gave 203.0.113.10 (not a
 * Microsoft address in nDPI's lists, through a CNAME): a flow there is
 * vouched for, a flow to 198.51.100.7 is a mismatch by DNS, whatever
 * the case of the name. Once the answer is out of its window, nDPI's
 * lists decide: 198.51.100.7 and 203.0.113.10 are nobody's, 13.107.4.50
 * is in Microsoft's list. A name nDPI has no list for, never resolved,
 * is left alone, and so is an address as SNI.
 */
static void
test_sni_mismatch(void)
{
	const struct rec *x;
	struct flow_stats st;
	struct flow_table *t;
	struct dpi *d;
	char err[256];

	REQUIRE((d = dpi_new(err, sizeof(err))) != NULL);
	t = table(1000, 60000, 3600000, 60000, "10.0.0.0/8", d);
	if (t == NULL) {
		dpi_free(d);
		return;
	}
	feed_dns(t, "update.microsoft.com", "update.ms.akadns.example",
	    "203.0.113.10", 0);
	feed_tls(t, 40001, "198.51.100.7", "update.microsoft.com", 100);
	feed_tls(t, 40002, "203.0.113.10", "update.microsoft.com", 200);
	feed_tls(t, 40003, "198.51.100.7", "update.Microsoft.com.", 300);
	feed_tls(t, 40004, "198.51.100.7", "files.example.org", 400);
	feed_tls(t, 40005, "198.51.100.7", "198.51.100.8", 500);
	/* Later than the DNS answer's window (300 s): the lists decide. */
	feed_tls(t, 40006, "203.0.113.10", "update.microsoft.com", 400000);
	feed_tls(t, 40007, "13.107.4.50", "update.microsoft.com", 400100);
	feed_tls(t, 40008, "198.51.100.7", "www.google.com", 400200);
	feed_tls(t, 40009, "198.51.100.7", "update.microsoft.com.", 400300);
	flow_flush(t);
	REQUIRE((x = rec_of(40001)) != NULL);
	CHECK_STR(x->app, "TLS.WindowsUpdate");
	CHECK_STR(x->server_name, "update.microsoft.com");
	CHECK_INT(x->r.mismatch, MISMATCH_DNS);
	REQUIRE((x = rec_of(40002)) != NULL);
	CHECK_INT(x->r.mismatch, MISMATCH_NONE);
	REQUIRE((x = rec_of(40003)) != NULL);
	CHECK_INT(x->r.mismatch, MISMATCH_DNS);
	REQUIRE((x = rec_of(40004)) != NULL);
	CHECK_INT(x->r.mismatch, MISMATCH_NONE);
	REQUIRE((x = rec_of(40005)) != NULL);
	CHECK_INT(x->r.mismatch, MISMATCH_NONE);
	REQUIRE((x = rec_of(40006)) != NULL);
	CHECK_INT(x->r.mismatch, MISMATCH_ADDRESS_LIST);
	REQUIRE((x = rec_of(40007)) != NULL);
	CHECK_INT(x->r.mismatch, MISMATCH_NONE);
	REQUIRE((x = rec_of(40008)) != NULL);
	CHECK_STR(x->app, "TLS.Google");
	CHECK_INT(x->r.mismatch, MISMATCH_ADDRESS_LIST);
	/* nDPI keeps the root's dot and so names no service; the check
	 * drops it. */
	REQUIRE((x = rec_of(40009)) != NULL);
	CHECK_STR(x->app, "TLS");
	CHECK_INT(x->r.mismatch, MISMATCH_ADDRESS_LIST);
	flow_table_stats(t, &st);
	CHECK_INT(st.mismatches, 5);
	CHECK_INT(st.dns.answers, 1);
	CHECK_INT(st.dns.records, 2);
	CHECK_INT(st.dns.names, 2);
	CHECK_STR(flow_mismatch_str(MISMATCH_ADDRESS_LIST), "address_list");
	CHECK(flow_mismatch_str(MISMATCH_NONE) == NULL);
	flow_table_free(t);
	dpi_free(d);
}

/* The server of an inbound flow is its internal src. */
static void
test_sni_mismatch_inbound(void)
{
	struct flow_table *t;
	struct dpi *d;
	char err[256];
	uint8_t ch[512];
	struct frame f;
	size_t n;

	REQUIRE((d = dpi_new(err, sizeof(err))) != NULL);
	t = table(1000, 60000, 3600000, 60000, "10.0.0.0/8", d);
	if (t == NULL) {
		dpi_free(d);
		return;
	}
	/* The resolver says www.google.com is 10.0.0.5 (split horizon). */
	feed_dns(t, "www.google.com", NULL, "10.0.0.5", 0);
	n = client_hello(ch, "www.google.com");
	mk4(&f, "198.51.100.7", "10.0.0.5", 6, 40000, 443, PKT_SYN, 0, 0, 1);
	feed(t, &f, 10);
	mk4(&f, "198.51.100.7", "10.0.0.5", 6, 40000, 443,
	    PKT_ACK | PKT_PSH, n, 0, 2);
	memcpy(f.b + 40, ch, n);
	feed(t, &f, 11);
	flow_flush(t);
	REQUIRE(nrec == 2);
	CHECK_STR(recs[1].src, "10.0.0.5");
	CHECK_INT(recs[1].r.scope, FLOW_INBOUND);
	CHECK_INT(recs[1].r.mismatch, MISMATCH_NONE);
	flow_table_free(t);
	dpi_free(d);
}

static const char *
cat(const struct catmap *m, const char *app, const char *master,
    const char *ncat, const char *sn, uint8_t proto, uint16_t dport,
    uint64_t risks, uint64_t out, uint64_t in)
{
	struct cat_query q;

	memset(&q, 0, sizeof(q));
	q.app = app;
	q.master = master;
	q.ndpi_category = ncat;
	q.server_name = sn;
	q.proto = proto;
	q.sport = 40000;
	q.dport = dport;
	q.risks = risks;
	q.bytes_out = out;
	q.bytes_in = in;
	return catmap_lookup(m, &q);
}

static void
check_map(const struct catmap *m)
{
	CHECK_STR(cat(m, "TLS.Dropbox", "TLS", "Cloud", NULL, 6, 443, 0, 1, 1),
	    "cloud_storage");
	CHECK_STR(cat(m, "DNS.Dropbox", "DNS", "Cloud", "client.dropbox.com",
	    17, 53, 0, 1, 1), "other");
	CHECK_STR(cat(m, "Dropbox", "Dropbox", "Cloud", NULL, 17, 17500, 0,
	    1, 1), "other");
	CHECK_STR(cat(m, "TLS", "TLS", "Web", "content.dropboxapi.com", 6, 443,
	    0, 1, 1), "cloud_storage");
	CHECK_STR(cat(m, "TLS", "TLS", "Web", "notdropboxapi.com", 6, 443, 0,
	    1, 1), "unknown_encrypted");
	CHECK_STR(cat(m, "TLS.Google", "TLS", "Web", "www.google.com", 6, 443,
	    0, 1, 1), "other");
	CHECK_STR(cat(m, "Unknown", "Unknown", "Unspecified", NULL, 6, 9999,
	    0, 1, 1), "unknown_encrypted");
	CHECK_STR(cat(m, "DNS", "DNS", "Network", "vaaaakardli.pirate.sea", 17,
	    53, 1ULL << 23, 1, 1), "dns_tunnel");
	CHECK_STR(cat(m, "DNS", "DNS", "Network",
	    "e1aa8f8fdb1bbe8d5e04952141f7d4f82c7e3b06dcc8b87fad7a.x.com", 17,
	    53, 0, 1, 1), "dns_tunnel");
	CHECK_STR(cat(m, "DNS", "DNS", "Network", "www.example.com", 17, 53, 0,
	    1, 1), "other");
	CHECK_STR(cat(m, "HTTP", "HTTP", "Web", "upload.example.com", 6, 80, 0,
	    20 << 20, 100000), "file_transfer");
	CHECK_STR(cat(m, "HTTP", "HTTP", "Web", "www.example.com", 6, 80, 0,
	    2000, 5 << 20), "other");
	CHECK_STR(cat(m, "SSH", "SSH", "RemoteAccess", NULL, 6, 22, 0, 5000,
	    5000), "remote_access");
	CHECK_STR(cat(m, "SSH", "SSH", "RemoteAccess", NULL, 6, 22, 0,
	    50 << 20, 1 << 20), "file_transfer");
	CHECK_STR(cat(m, "TLS.GMail", "TLS", "Email", "mail.google.com", 6,
	    443, 0, 1, 1), "webmail");
	CHECK_STR(cat(m, "TLS.Telegram", "TLS", "Chat", NULL, 6, 443, 0, 1, 1),
	    "messaging");
	CHECK_STR(cat(m, "TLS.Tor", "TLS", "VPN", NULL, 6, 443, 0, 1, 1),
	    "remote_access");
	CHECK_STR(cat(m, "NTP", "NTP", "System", NULL, 17, 123, 0, 1, 1),
	    "other");
}

/* A flow whose server is not its name's counts as unknown_encrypted
 * before any rule, even one naming the service. */
static void
check_mismatch_category(const struct catmap *m)
{
	struct cat_query q;

	memset(&q, 0, sizeof(q));
	q.app = "TLS.Dropbox";
	q.master = "TLS";
	q.ndpi_category = "Cloud";
	q.server_name = "content.dropboxapi.com";
	q.proto = 6;
	q.dport = 443;
	CHECK_STR(catmap_lookup(m, &q), "cloud_storage");
	q.mismatch = 1;
	CHECK_STR(catmap_lookup(m, &q), "unknown_encrypted");
	q.app = "TLS.WindowsUpdate";
	q.ndpi_category = "SoftwareUpdate";
	q.server_name = "update.microsoft.com";
	CHECK_STR(catmap_lookup(m, &q), "unknown_encrypted");
	q.mismatch = 0;
	CHECK_STR(catmap_lookup(m, &q), "other");
}

static void
test_category_map(void)
{
	struct catmap *b, *f;
	char err[256];

	b = catmap_load(NULL, err, sizeof(err));
	if (b == NULL)
		FAILF("built-in map: %s", err);
	f = catmap_load("rules/categories.map", err, sizeof(err));
	if (f == NULL)
		FAILF("rules/categories.map: %s", err);
	if (b == NULL || f == NULL) {
		catmap_free(b);
		catmap_free(f);
		return;
	}
	/* The built-in copy is the file without comments. */
	CHECK_INT(catmap_rules(b), catmap_rules(f));
	CHECK(catmap_rules(b) > 50);
	check_map(b);
	check_map(f);
	check_mismatch_category(b);
	check_mismatch_category(f);
	catmap_free(b);
	catmap_free(f);
}

static void
bad_map(const char *text, const char *want)
{
	char err[256];
	struct catmap *m;

	err[0] = '\0';
	m = catmap_parse(text, strlen(text), "t.map", err, sizeof(err));
	if (m != NULL) {
		FAILF("accepted: %s", text);
		catmap_free(m);
		return;
	}
	CHECK_CONTAINS(err, want);
}

static void
test_category_errors(void)
{
	struct catmap *m;
	char err[256];
	const char *ok = "# c\n\nhost .Example.COM cloud_storage # x\n"
	    "risk \"suspicious dns traffic\" dns_tunnel\nany - other\n";

	bad_map("bogus x other\n", "t.map:1: unknown kind");
	bad_map("\napp X nocat\n", "t.map:2: unknown category");
	bad_map("port tcp/99999 other\n", "bad port");
	bad_map("port sctp/5 other\n", "tcp/N");
	bad_map("risk \"No such risk\" other\n", "no nDPI risk");
	bad_map("risk \"unterminated other\n", "unterminated quote");
	bad_map("app X\n", "expected KIND PATTERN CATEGORY");
	bad_map("app X other extra\n", "expected KIND PATTERN CATEGORY");
	bad_map("dns-name long dns_tunnel\n", "suspicious");
	bad_map("any x other\n", "\"-\"");
	m = catmap_parse(ok, strlen(ok), "t.map", err, sizeof(err));
	REQUIRE(m != NULL);
	CHECK_INT(catmap_rules(m), 3);
	CHECK_STR(cat(m, "TLS", "TLS", "Web", "a.example.com", 6, 443, 0, 1,
	    1), "cloud_storage");
	CHECK_STR(cat(m, "TLS", "TLS", "Web", "example.com", 6, 443, 0, 1, 1),
	    "cloud_storage");
	CHECK_STR(cat(m, "DNS", "DNS", "Network", "x.org", 17, 53, 1ULL << 23,
	    1, 1), "dns_tunnel");
	CHECK_STR(cat(m, "TLS", "TLS", "Web", "xexample.com", 6, 443, 0, 1, 1),
	    "other");
	catmap_free(m);
	CHECK(catmap_load("/nonexistent.map", err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "/nonexistent.map");
}

static void
test_dns_names(void)
{
	CHECK(!dns_name_suspicious("www.google.com"));
	CHECK(!dns_name_suspicious("vaaaakardli.pirate.sea"));
	CHECK(!dns_name_suspicious("client.dropbox.com."));
	CHECK(!dns_name_suspicious("mail.corp.internal.example.co.uk"));
	CHECK(!dns_name_suspicious(""));
	CHECK(dns_name_suspicious(
	    "e1aa8f8fdb1bbe8d5e04952141f7d4f82c7e3b06dcc8b87fad7a."
	    "19e4d098dc8c618f8d81cfeb02"));
	CHECK(dns_name_suspicious("aGVsbG8gd29ybGQgdGhpcyBp.cyBkYXRh.t.io"));
	CHECK(dns_name_suspicious(
	    "aaaa.bbbb.cccc.dddd.eeee.ffff.gggg.hhhh.iiii.jjjj.kkkk.llll."
	    "mmmm.example.com"));
}

static const struct test tests[] = {
	{ "direction_scope", test_direction_scope },
	{ "vlan_key", test_vlan_key },
	{ "tcp_end", test_tcp_end },
	{ "timeouts", test_timeouts },
	{ "updates", test_updates },
	{ "eviction", test_eviction },
	{ "fragments", test_fragments },
	{ "internal_parse", test_internal_parse },
	{ "dpi_dns", test_dpi_dns },
	{ "sni_mismatch", test_sni_mismatch },
	{ "sni_mismatch_inbound", test_sni_mismatch_inbound },
	{ "category_map", test_category_map },
	{ "category_errors", test_category_errors },
	{ "dns_names", test_dns_names },
};

HARNESS_MAIN(tests)
