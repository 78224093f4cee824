/*
 * Unit tests for the net source's DNS answer cache (agent/dnscache.c):
 * answers and their window (TTL clamped to 5 min .. 1 h), CNAME chains
 * within one answer and across answers, names folded to lower case,
 * address families kept apart, the per-name and per-cache caps with
 * their counters, compression pointers, and malformed messages (cut
 * short, pointer loops, names too long, records past the end) that are
 * counted and keep what came before. Messages are built byte by byte.
 */
#include "harness.h"

#include <arpa/inet.h>

#include "../../agent/agent.h"

#define T0	1700000000000000LL
#define SEC	1000000LL

struct msg {
	uint8_t	 b[2048];
	size_t	 n;
};

static void
put8(struct msg *m, uint8_t v)
{
	m->b[m->n++] = v;
}

static void
put16(struct msg *m, uint16_t v)
{
	put8(m, (uint8_t)(v >> 8));
	put8(m, (uint8_t)v);
}

static void
put32(struct msg *m, uint32_t v)
{
	put16(m, (uint16_t)(v >> 16));
	put16(m, (uint16_t)v);
}

static void
put_name(struct msg *m, const char *name)
{
	const char *dot;
	size_t n;

	while (*name != '\0') {
		dot = strchr(name, '.');
		n = dot != NULL ? (size_t)(dot - name) : strlen(name);
		put8(m, (uint8_t)n);
		memcpy(m->b + m->n, name, n);
		m->n += n;
		name += n + (dot != NULL);
	}
	put8(m, 0);
}

/* A response header and its question; answers follow. */
static void
begin(struct msg *m, const char *qname, uint16_t nanswers)
{
	m->n = 0;
	put16(m, 0x1234);
	put16(m, 0x8180);
	put16(m, 1);
	put16(m, nanswers);
	put16(m, 0);
	put16(m, 0);
	put_name(m, qname);
	put16(m, 1);
	put16(m, 1);
}

static void
rr_a(struct msg *m, const char *owner, const char *addr, uint32_t ttl)
{
	put_name(m, owner);
	put16(m, 1);
	put16(m, 1);
	put32(m, ttl);
	put16(m, 4);
	if (inet_pton(AF_INET, addr, m->b + m->n) != 1)
		abort();
	m->n += 4;
}

static void
rr_aaaa(struct msg *m, const char *owner, const char *addr, uint32_t ttl)
{
	put_name(m, owner);
	put16(m, 28);
	put16(m, 1);
	put32(m, ttl);
	put16(m, 16);
	if (inet_pton(AF_INET6, addr, m->b + m->n) != 1)
		abort();
	m->n += 16;
}

static void
rr_cname(struct msg *m, const char *owner, const char *target, uint32_t ttl)
{
	size_t len_at;

	put_name(m, owner);
	put16(m, 5);
	put16(m, 1);
	put32(m, ttl);
	len_at = m->n;
	put16(m, 0);
	put_name(m, target);
	m->b[len_at] = (uint8_t)((m->n - len_at - 2) >> 8);
	m->b[len_at + 1] = (uint8_t)(m->n - len_at - 2);
}

/* dnscache_check() with a textual address. */
static enum dns_seen
seen(const struct dnscache *c, const char *name, const char *addr,
    int64_t t)
{
	uint8_t a[16];

	memset(a, 0, sizeof(a));
	if (inet_pton(AF_INET, addr, a) == 1)
		return dnscache_check(c, name, 4, a, t);
	if (inet_pton(AF_INET6, addr, a) == 1)
		return dnscache_check(c, name, 6, a, t);
	abort();
}

static void
test_answer_window(void)
{
	struct dnscache_stats st;
	struct dnscache *c;
	struct msg m;

	c = dnscache_new(64);
	begin(&m, "Update.Microsoft.com", 2);
	rr_a(&m, "Update.Microsoft.com", "203.0.113.10", 60);
	rr_a(&m, "Update.Microsoft.com", "203.0.113.11", 60);
	CHECK_INT(dnscache_feed(c, m.b, m.n, T0), 0);
	CHECK_INT(seen(c, "update.microsoft.com", "203.0.113.10", T0),
	    DNS_SEEN_MATCH);
	CHECK_INT(seen(c, "UPDATE.microsoft.com.", "203.0.113.11", T0),
	    DNS_SEEN_MATCH);
	CHECK_INT(seen(c, "update.microsoft.com", "198.51.100.7", T0),
	    DNS_SEEN_OTHER);
	CHECK_INT(seen(c, "www.microsoft.com", "203.0.113.10", T0),
	    DNS_UNSEEN);
	CHECK_INT(seen(c, "microsoft.com", "203.0.113.10", T0), DNS_UNSEEN);
	/* A 60 s TTL is kept 5 minutes, then the name is unknown again. */
	CHECK_INT(seen(c, "update.microsoft.com", "198.51.100.7",
	    T0 + 299 * SEC), DNS_SEEN_OTHER);
	CHECK_INT(seen(c, "update.microsoft.com", "198.51.100.7",
	    T0 + 300 * SEC), DNS_UNSEEN);
	/* A day-long TTL is kept an hour. */
	begin(&m, "cdn.example.net", 1);
	rr_a(&m, "cdn.example.net", "192.0.2.1", 86400);
	CHECK_INT(dnscache_feed(c, m.b, m.n, T0), 0);
	CHECK_INT(seen(c, "cdn.example.net", "192.0.2.9", T0 + 3599 * SEC),
	    DNS_SEEN_OTHER);
	CHECK_INT(seen(c, "cdn.example.net", "192.0.2.9", T0 + 3600 * SEC),
	    DNS_UNSEEN);
	/* A later answer adds to the earlier one, it does not replace it. */
	begin(&m, "update.microsoft.com", 1);
	rr_a(&m, "update.microsoft.com", "203.0.113.12", 60);
	CHECK_INT(dnscache_feed(c, m.b, m.n, T0 + 10 * SEC), 0);
	CHECK_INT(seen(c, "update.microsoft.com", "203.0.113.10",
	    T0 + 20 * SEC), DNS_SEEN_MATCH);
	CHECK_INT(seen(c, "update.microsoft.com", "203.0.113.12",
	    T0 + 20 * SEC), DNS_SEEN_MATCH);
	dnscache_stats(c, &st);
	CHECK_INT(st.answers, 3);
	CHECK_INT(st.records, 4);
	CHECK_INT(st.names, 2);
	CHECK_INT(st.malformed, 0);
	CHECK_INT(st.evicted, 0);
	dnscache_free(c);
	dnscache_free(NULL);
}

static void
test_cname_chains(void)
{
	struct dnscache *c;
	struct msg m;

	c = dnscache_new(64);
	/* One answer with the whole chain, as a host's resolver library gets it. */
	begin(&m, "ios.nccp.netflix.com", 3);
	rr_cname(&m, "ios.nccp.netflix.com", "ios.nccp.geo.netflix.com", 60);
	rr_cname(&m, "ios.nccp.geo.netflix.com", "x.us-west-2.example", 60);
	rr_a(&m, "x.us-west-2.example", "54.191.17.51", 60);
	CHECK_INT(dnscache_feed(c, m.b, m.n, T0), 0);
	CHECK_INT(seen(c, "ios.nccp.netflix.com", "54.191.17.51", T0),
	    DNS_SEEN_MATCH);
	CHECK_INT(seen(c, "ios.nccp.netflix.com", "54.191.17.52", T0),
	    DNS_SEEN_OTHER);
	/* The chain over two answers, as a recursive resolver asks. */
	begin(&m, "a.example.org", 1);
	rr_cname(&m, "a.example.org", "b.cdn.example", 60);
	CHECK_INT(dnscache_feed(c, m.b, m.n, T0), 0);
	CHECK_INT(seen(c, "a.example.org", "192.0.2.5", T0), DNS_UNSEEN);
	begin(&m, "b.cdn.example", 1);
	rr_a(&m, "b.cdn.example", "192.0.2.5", 60);
	CHECK_INT(dnscache_feed(c, m.b, m.n, T0 + SEC), 0);
	CHECK_INT(seen(c, "a.example.org", "192.0.2.5", T0 + SEC),
	    DNS_SEEN_MATCH);
	/* A loop ends: no address anywhere. */
	begin(&m, "loop1.example", 2);
	rr_cname(&m, "loop1.example", "loop2.example", 60);
	rr_cname(&m, "loop2.example", "loop1.example", 60);
	CHECK_INT(dnscache_feed(c, m.b, m.n, T0), 0);
	CHECK_INT(seen(c, "loop1.example", "192.0.2.5", T0), DNS_UNSEEN);
	dnscache_free(c);
}

static void
test_families(void)
{
	struct dnscache *c;
	struct msg m;
	char a[64];
	int i;

	c = dnscache_new(64);
	begin(&m, "dual.example", 2);
	rr_a(&m, "dual.example", "192.0.2.1", 60);
	rr_aaaa(&m, "dual.example", "2001:db8::1", 60);
	CHECK_INT(dnscache_feed(c, m.b, m.n, T0), 0);
	CHECK_INT(seen(c, "dual.example", "2001:db8::1", T0), DNS_SEEN_MATCH);
	CHECK_INT(seen(c, "dual.example", "2001:db8::2", T0), DNS_SEEN_OTHER);
	/* Only AAAA seen: says nothing of an IPv4 address. */
	begin(&m, "v6only.example", 1);
	rr_aaaa(&m, "v6only.example", "2001:db8::5", 60);
	CHECK_INT(dnscache_feed(c, m.b, m.n, T0), 0);
	CHECK_INT(seen(c, "v6only.example", "192.0.2.1", T0), DNS_UNSEEN);
	/* 30 AAAA answers take no room from the A ones; of 30 A answers
	 * the 24 most recent are kept. */
	for (i = 0; i < 30; i++) {
		snprintf(a, sizeof(a), "2001:db8::%x", 0x100 + i);
		begin(&m, "dual.example", 1);
		rr_aaaa(&m, "dual.example", a, 60);
		CHECK_INT(dnscache_feed(c, m.b, m.n, T0 + i), 0);
	}
	CHECK_INT(seen(c, "dual.example", "192.0.2.1", T0 + 30),
	    DNS_SEEN_MATCH);
	for (i = 0; i < 30; i++) {
		snprintf(a, sizeof(a), "198.51.100.%d", i);
		begin(&m, "dual.example", 1);
		rr_a(&m, "dual.example", a, 60);
		CHECK_INT(dnscache_feed(c, m.b, m.n, T0 + 100 + i), 0);
	}
	CHECK_INT(seen(c, "dual.example", "192.0.2.1", T0 + 200),
	    DNS_SEEN_OTHER);
	CHECK_INT(seen(c, "dual.example", "198.51.100.5", T0 + 200),
	    DNS_SEEN_OTHER);
	CHECK_INT(seen(c, "dual.example", "198.51.100.6", T0 + 200),
	    DNS_SEEN_MATCH);
	CHECK_INT(seen(c, "dual.example", "198.51.100.29", T0 + 200),
	    DNS_SEEN_MATCH);
	dnscache_free(c);
}

/* At the cap, the name updated longest ago makes room, and is counted. */
static void
test_name_cap(void)
{
	struct dnscache_stats st;
	struct dnscache *c;
	struct msg m;
	char name[64];
	int i;

	c = dnscache_new(4);
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "n%d.example", i);
		begin(&m, name, 1);
		rr_a(&m, name, "192.0.2.1", 60);
		CHECK_INT(dnscache_feed(c, m.b, m.n, T0 + i), 0);
	}
	/* n0 answered again: n1 is now the oldest. */
	begin(&m, "n0.example", 1);
	rr_a(&m, "n0.example", "192.0.2.2", 60);
	CHECK_INT(dnscache_feed(c, m.b, m.n, T0 + 10), 0);
	begin(&m, "n4.example", 1);
	rr_a(&m, "n4.example", "192.0.2.1", 60);
	CHECK_INT(dnscache_feed(c, m.b, m.n, T0 + 11), 0);
	CHECK_INT(seen(c, "n1.example", "192.0.2.1", T0 + 12), DNS_UNSEEN);
	CHECK_INT(seen(c, "n0.example", "192.0.2.1", T0 + 12),
	    DNS_SEEN_MATCH);
	CHECK_INT(seen(c, "n4.example", "192.0.2.1", T0 + 12),
	    DNS_SEEN_MATCH);
	for (i = 5; i < 100; i++) {
		snprintf(name, sizeof(name), "n%d.example", i);
		begin(&m, name, 1);
		rr_a(&m, name, "192.0.2.1", 60);
		CHECK_INT(dnscache_feed(c, m.b, m.n, T0 + 20 + i), 0);
	}
	dnscache_stats(c, &st);
	CHECK_INT(st.names, 4);
	CHECK_INT(st.evicted, 96);
	CHECK_INT(seen(c, "n99.example", "192.0.2.1", T0 + 200),
	    DNS_SEEN_MATCH);
	CHECK_INT(seen(c, "n95.example", "192.0.2.1", T0 + 200), DNS_UNSEEN);
	dnscache_free(c);
}

/* Compressed names, as real resolvers write them. */
static void
test_compression(void)
{
	struct dnscache *c;
	struct msg m;

	c = dnscache_new(64);
	begin(&m, "www.example.com", 2);
	/* www.example.com CNAME edge.example.com, both by pointers. */
	put16(&m, 0xc00c);
	put16(&m, 5);
	put16(&m, 1);
	put32(&m, 60);
	put16(&m, 7);
	put8(&m, 4);
	memcpy(m.b + m.n, "edge", 4);
	m.n += 4;
	put16(&m, 0xc010);			/* "example.com" */
	put16(&m, 0xc000 | 45);			/* the CNAME's target */
	put16(&m, 1);
	put16(&m, 1);
	put32(&m, 60);
	put16(&m, 4);
	put32(&m, 0xc0000207);			/* 192.0.2.7 */
	REQUIRE(m.n == 68);
	CHECK_INT(dnscache_feed(c, m.b, m.n, T0), 0);
	CHECK_INT(seen(c, "edge.example.com", "192.0.2.7", T0),
	    DNS_SEEN_MATCH);
	CHECK_INT(seen(c, "www.example.com", "192.0.2.7", T0),
	    DNS_SEEN_MATCH);
	dnscache_free(c);
}

static void
test_malformed(void)
{
	static const uint8_t query[] = {
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		1, 'a', 0, 0, 1, 0, 1
	};
	struct dnscache_stats st;
	struct dnscache *c;
	struct msg m;
	size_t i, full;
	char big[300];

	c = dnscache_new(64);
	/* A query is not an answer, and not an error either. */
	CHECK_INT(dnscache_feed(c, query, sizeof(query), T0), -1);
	CHECK_INT(dnscache_feed(c, query, 5, T0), -1);
	/* Every prefix of a good answer: no read past it, and the first
	 * record is kept once the message holds it. */
	begin(&m, "p.example", 2);
	rr_a(&m, "p.example", "192.0.2.1", 60);
	rr_a(&m, "p.example", "192.0.2.2", 60);
	full = m.n;
	for (i = 0; i < full; i++) {
		uint8_t *b = malloc(i ? i : 1);

		REQUIRE(b != NULL);
		memcpy(b, m.b, i);
		CHECK_INT(dnscache_feed(c, b, i, T0), -1);
		free(b);
	}
	CHECK_INT(seen(c, "p.example", "192.0.2.1", T0), DNS_SEEN_MATCH);
	CHECK_INT(seen(c, "p.example", "192.0.2.2", T0), DNS_SEEN_OTHER);
	/* A pointer loop in the answer's owner name. */
	begin(&m, "q.example", 1);
	put16(&m, (uint16_t)(0xc000 | m.n));
	put16(&m, 1);
	CHECK_INT(dnscache_feed(c, m.b, m.n, T0), -1);
	/* A name longer than 253 bytes. */
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	for (i = 60; i < sizeof(big) - 1; i += 61)
		big[i] = '.';
	begin(&m, "r.example", 1);
	rr_a(&m, big, "192.0.2.1", 60);
	CHECK_INT(dnscache_feed(c, m.b, m.n, T0), -1);
	/* rdlength past the end. */
	begin(&m, "s.example", 1);
	rr_a(&m, "s.example", "192.0.2.1", 60);
	m.b[m.n - 5] = 0xff;
	CHECK_INT(dnscache_feed(c, m.b, m.n, T0), -1);
	CHECK_INT(seen(c, "s.example", "192.0.2.1", T0), DNS_UNSEEN);
	/* Other classes, odd lengths and other types are skipped. */
	begin(&m, "t.example", 3);
	rr_a(&m, "t.example", "192.0.2.1", 60);
	m.b[m.n - 11] = 3;			/* class CH */
	put_name(&m, "t.example");
	put16(&m, 1);
	put16(&m, 1);
	put32(&m, 60);
	put16(&m, 5);
	put32(&m, 0xc0000201);
	put8(&m, 0);
	put_name(&m, "t.example");
	put16(&m, 16);				/* TXT */
	put16(&m, 1);
	put32(&m, 60);
	put16(&m, 2);
	put16(&m, 0x0141);
	CHECK_INT(dnscache_feed(c, m.b, m.n, T0), 0);
	CHECK_INT(seen(c, "t.example", "192.0.2.1", T0), DNS_UNSEEN);
	/* A non-standard opcode is not ours to read. */
	begin(&m, "u.example", 1);
	rr_a(&m, "u.example", "192.0.2.1", 60);
	m.b[2] |= 0x10;
	CHECK_INT(dnscache_feed(c, m.b, m.n, T0), -1);
	CHECK_INT(seen(c, "u.example", "192.0.2.1", T0), DNS_UNSEEN);
	/* Names the cache cannot hold are simply unknown. */
	CHECK_INT(seen(c, "", "192.0.2.1", T0), DNS_UNSEEN);
	CHECK_INT(seen(c, big, "192.0.2.1", T0), DNS_UNSEEN);
	dnscache_stats(c, &st);
	CHECK_INT(st.malformed, full + 4);
	CHECK_INT(st.answers, 1);
	dnscache_free(c);
}

static const struct test tests[] = {
	{ "answer_window", test_answer_window },
	{ "cname_chains", test_cname_chains },
	{ "families", test_families },
	{ "name_cap", test_name_cap },
	{ "compression", test_compression },
	{ "malformed", test_malformed },
};

HARNESS_MAIN(tests)
