/*
 * Unit tests for agent/decode-pkt.c on hand-built frames: every link type
 * (Ethernet, 802.1Q, QinQ, Linux SLL and SLL2, BSD NULL and LOOP in both
 * byte orders, raw IP), IPv4 with options and fragments, IPv6 extension
 * header chains and fragments, Ethernet padding (which must not count),
 * and truncated or malformed frames, which must be refused with the right
 * result and never read out of bounds (run under ASan by make check).
 * Also agent/capture.c offline: a pcap file written here with libpcap is
 * read through the event loop, with filters and counters checked.
 */
#include "harness.h"

#include <pcap/pcap.h>
#include <event2/event.h>

#include "../../agent/agent.h"

/* A frame under construction. */
struct fb {
	uint8_t	 b[2048];
	size_t	 n;
};

static void
put(struct fb *f, const void *p, size_t n)
{
	if (f->n + n > sizeof(f->b))
		abort();
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void
put8(struct fb *f, uint8_t v)
{
	put(f, &v, 1);
}

static void
put16(struct fb *f, uint16_t v)
{
	put8(f, (uint8_t)(v >> 8));
	put8(f, (uint8_t)v);
}

static void
put32(struct fb *f, uint32_t v)
{
	put16(f, (uint16_t)(v >> 16));
	put16(f, (uint16_t)v);
}

static void
zeros(struct fb *f, size_t n)
{
	uint8_t z[256];

	memset(z, 0, sizeof(z));
	while (n > 0) {
		size_t k = n < sizeof(z) ? n : sizeof(z);

		put(f, z, k);
		n -= k;
	}
}

static void
eth(struct fb *f, uint16_t type)
{
	static const uint8_t mac[12] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };

	put(f, mac, 12);
	put16(f, type);
}

/*
 * IPv4 header with optlen bytes of options (NOPs) for an L4 segment of
 * l4len bytes; frag is the whole flags+offset field.
 */
static void
ipv4(struct fb *f, uint8_t proto, size_t optlen, size_t l4len, uint16_t frag)
{
	size_t i;

	put8(f, (uint8_t)(0x40 | ((20 + optlen) / 4)));
	put8(f, 0);
	put16(f, (uint16_t)(20 + optlen + l4len));
	put16(f, 0x1234);
	put16(f, frag);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);
	put32(f, 0x0a000001);		/* 10.0.0.1 */
	put32(f, 0xc0000202);		/* 192.0.2.2 */
	for (i = 0; i < optlen; i++)
		put8(f, 1);
}

static void
ipv6(struct fb *f, uint8_t nh, size_t plen)
{
	static const uint8_t src[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t dst[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 2 };

	put32(f, 0x60000000);
	put16(f, (uint16_t)plen);
	put8(f, nh);
	put8(f, 64);
	put(f, src, 16);
	put(f, dst, 16);
}

/* TCP header (20 bytes + optlen) and datalen bytes of 'x'. */
static void
tcp(struct fb *f, uint16_t sp, uint16_t dp, uint8_t flags, size_t optlen,
    size_t datalen)
{
	size_t i;

	put16(f, sp);
	put16(f, dp);
	put32(f, 1000);
	put32(f, 2000);
	put8(f, (uint8_t)(((20 + optlen) / 4) << 4));
	put8(f, flags);
	put16(f, 65535);
	put32(f, 0);
	zeros(f, optlen);
	for (i = 0; i < datalen; i++)
		put8(f, 'x');
}

static void
udp(struct fb *f, uint16_t sp, uint16_t dp, size_t datalen)
{
	put16(f, sp);
	put16(f, dp);
	put16(f, (uint16_t)(8 + datalen));
	put16(f, 0);
	zeros(f, datalen);
}

static enum pkt_result
dec(int dlt, const struct fb *f, struct pkt *p)
{
	return pkt_decode(dlt, f->b, f->n, f->n, p);
}

static void
test_ethernet_ipv4_tcp(void)
{
	struct fb f = { .n = 0 };
	struct pkt p;
	char a[64];

	eth(&f, 0x0800);
	ipv4(&f, 6, 0, 20 + 100, 0x4000);
	tcp(&f, 40000, 443, PKT_SYN | PKT_ACK, 0, 100);
	p.ts_us = 424242;
	REQUIRE(dec(DLT_EN10MB, &f, &p) == PKT_OK);
	CHECK_INT(p.ts_us, 0);		/* the capture sets it */
	CHECK_INT(p.ipver, 4);
	CHECK_INT(p.proto, 6);
	CHECK_INT(p.ip_len, 140);
	CHECK_INT(p.l3_len, 140);
	CHECK(p.l3 == f.b + 14);
	CHECK_INT(p.sport, 40000);
	CHECK_INT(p.dport, 443);
	CHECK_INT(p.tcp_flags, PKT_SYN | PKT_ACK);
	CHECK_INT(p.seq, 1000);
	CHECK_INT(p.ack, 2000);
	CHECK_INT(p.payload_len, 100);
	CHECK_INT(p.payload_wire, 100);
	CHECK(p.payload == f.b + 54);
	CHECK_INT(p.nvlan, 0);
	CHECK_INT(p.frag, 0);
	CHECK_INT(p.frag_first, 0);
	CHECK_INT(p.caplen, 154);
	pkt_addr_str(p.ipver, p.src, a, sizeof(a));
	CHECK_STR(a, "10.0.0.1");
	pkt_addr_str(p.ipver, p.dst, a, sizeof(a));
	CHECK_STR(a, "192.0.2.2");
}

/* A 28-byte UDP datagram in a 60-byte minimum Ethernet frame. */
static void
test_ethernet_padding(void)
{
	struct fb f = { .n = 0 };
	struct pkt p;

	eth(&f, 0x0800);
	ipv4(&f, 17, 0, 8, 0);
	udp(&f, 53, 5353, 0);
	zeros(&f, 60 - f.n);
	REQUIRE(dec(DLT_EN10MB, &f, &p) == PKT_OK);
	CHECK_INT(p.ip_len, 28);
	CHECK_INT(p.l3_len, 28);
	CHECK_INT(p.payload_len, 0);
	CHECK_INT(p.payload_wire, 0);
	CHECK_INT(p.sport, 53);
	CHECK_INT(p.dport, 5353);
}

/* A snaplen cut inside the payload: headers fine, payload bounded. */
static void
test_snaplen_cut(void)
{
	struct fb f = { .n = 0 };
	struct pkt p;

	eth(&f, 0x0800);
	ipv4(&f, 6, 0, 20 + 1000, 0);
	tcp(&f, 1, 2, PKT_ACK, 0, 1000);
	REQUIRE(pkt_decode(DLT_EN10MB, f.b, 96, f.n, &p) == PKT_OK);
	CHECK_INT(p.ip_len, 1040);
	CHECK_INT(p.l3_len, 82);
	CHECK_INT(p.payload_len, 42);
	CHECK_INT(p.payload_wire, 1000);
	CHECK_INT(p.wirelen, f.n);
}

static void
test_vlan(void)
{
	struct fb f = { .n = 0 };
	struct pkt p;

	eth(&f, 0x8100);
	put16(&f, 0x2000 | 100);	/* PCP 1, VID 100 */
	put16(&f, 0x0800);
	ipv4(&f, 17, 0, 8 + 4, 0);
	udp(&f, 1000, 2000, 4);
	REQUIRE(dec(DLT_EN10MB, &f, &p) == PKT_OK);
	CHECK_INT(p.nvlan, 1);
	CHECK_INT(p.vlan[0], 100);
	CHECK_INT(p.ip_len, 32);
	CHECK_INT(p.payload_len, 4);
}

static void
test_qinq(void)
{
	struct fb f = { .n = 0 };
	struct pkt p;

	eth(&f, 0x88a8);
	put16(&f, 200);
	put16(&f, 0x8100);
	put16(&f, 100);
	put16(&f, 0x86dd);
	ipv6(&f, 17, 8);
	udp(&f, 1, 2, 0);
	REQUIRE(dec(DLT_EN10MB, &f, &p) == PKT_OK);
	CHECK_INT(p.nvlan, 2);
	CHECK_INT(p.vlan[0], 200);
	CHECK_INT(p.vlan[1], 100);
	CHECK_INT(p.ipver, 6);
	CHECK_INT(p.ip_len, 48);

	/* Old-style 0x9100 outer tag and three tags: two are kept. */
	f.n = 0;
	eth(&f, 0x9100);
	put16(&f, 300);
	put16(&f, 0x88a8);
	put16(&f, 200);
	put16(&f, 0x8100);
	put16(&f, 100);
	put16(&f, 0x0800);
	ipv4(&f, 17, 0, 8, 0);
	udp(&f, 7, 9, 0);
	REQUIRE(dec(DLT_EN10MB, &f, &p) == PKT_OK);
	CHECK_INT(p.nvlan, 2);
	CHECK_INT(p.vlan[0], 300);
	CHECK_INT(p.vlan[1], 200);
	CHECK_INT(p.sport, 7);

	/* A tag cut short. */
	f.n = 0;
	eth(&f, 0x8100);
	put8(&f, 0);
	CHECK(dec(DLT_EN10MB, &f, &p) == PKT_SHORT);
	/* Endless tags are refused, not looped over. */
	f.n = 0;
	eth(&f, 0x8100);
	for (int i = 0; i < 20; i++) {
		put16(&f, 5);
		put16(&f, 0x8100);
	}
	zeros(&f, 40);
	CHECK(dec(DLT_EN10MB, &f, &p) == PKT_BAD);
}

static void
test_pppoe(void)
{
	struct fb f = { .n = 0 };
	struct pkt p;

	eth(&f, 0x8100);
	put16(&f, 785);
	put16(&f, 0x8864);
	put16(&f, 0x1100);		/* version/type, code: session */
	put16(&f, 0x556a);		/* session id */
	put16(&f, 2 + 20 + 8);		/* PPPoE payload length */
	put16(&f, 0x0021);		/* PPP: IPv4 */
	ipv4(&f, 17, 0, 8, 0);
	udp(&f, 47255, 53, 0);
	REQUIRE(dec(DLT_EN10MB, &f, &p) == PKT_OK);
	CHECK_INT(p.vlan[0], 785);
	CHECK_INT(p.dport, 53);
	CHECK_INT(p.ip_len, 28);
	CHECK(p.l3 == f.b + 18 + 8);
	f.n = 18 + 7;
	CHECK(dec(DLT_EN10MB, &f, &p) == PKT_SHORT);
	f.n = 0;
	eth(&f, 0x8864);
	put16(&f, 0x1100); put16(&f, 1); put16(&f, 2);
	put16(&f, 0xc021);		/* LCP */
	zeros(&f, 20);
	CHECK(dec(DLT_EN10MB, &f, &p) == PKT_UNSUPPORTED);
}

static void
test_mpls_ppp_hdlc(void)
{
	struct fb f = { .n = 0 };
	struct pkt p;

	/* Two MPLS labels, the second with bottom-of-stack. */
	eth(&f, 0x8847);
	put32(&f, (16 << 12) | 64);
	put32(&f, (18 << 12) | 0x100 | 254);
	ipv4(&f, 6, 0, 20, 0);
	tcp(&f, 179, 63535, PKT_ACK, 0, 0);
	REQUIRE(dec(DLT_EN10MB, &f, &p) == PKT_OK);
	CHECK_INT(p.sport, 179);
	CHECK(p.l3 == f.b + 22);
	/* No bottom of stack before the end. */
	f.n = 0;
	eth(&f, 0x8847);
	put32(&f, 16 << 12);
	CHECK(dec(DLT_EN10MB, &f, &p) == PKT_SHORT);

	/* PPP in HDLC framing, and without the ff 03. */
	f.n = 0;
	put8(&f, 0xff); put8(&f, 0x03); put16(&f, 0x0021);
	ipv4(&f, 17, 0, 8, 0);
	udp(&f, 44083, 443, 0);
	REQUIRE(dec(DLT_PPP, &f, &p) == PKT_OK);
	CHECK_INT(p.dport, 443);
	REQUIRE(dec(DLT_PPP_SERIAL, &f, &p) == PKT_OK);
	f.n = 0;
	put16(&f, 0x0057);
	ipv6(&f, 17, 8);
	udp(&f, 1, 2, 0);
	REQUIRE(dec(DLT_PPP, &f, &p) == PKT_OK);
	CHECK_INT(p.ipver, 6);

	/* Cisco HDLC carries an ethertype. */
	f.n = 0;
	put8(&f, 0x0f); put8(&f, 0); put16(&f, 0x0800);
	ipv4(&f, 6, 0, 20, 0);
	tcp(&f, 179, 18324, PKT_ACK, 0, 0);
	REQUIRE(dec(DLT_C_HDLC, &f, &p) == PKT_OK);
	CHECK_INT(p.dport, 18324);
	/* ... including MPLS. */
	f.n = 0;
	put8(&f, 0x0f); put8(&f, 0); put16(&f, 0x8847);
	put32(&f, (18 << 12) | 0x100 | 254);
	ipv4(&f, 6, 0, 20, 0);
	tcp(&f, 179, 63535, PKT_ACK, 0, 0);
	REQUIRE(dec(DLT_C_HDLC, &f, &p) == PKT_OK);
	CHECK_INT(p.dport, 63535);
	f.n = 0;
	put8(&f, 0x8f); put8(&f, 0); put16(&f, 0x8035);	/* SLARP */
	zeros(&f, 20);
	CHECK(dec(DLT_C_HDLC, &f, &p) == PKT_UNSUPPORTED);
}

static void
test_sll(void)
{
	struct fb f = { .n = 0 };
	struct pkt p;

	put16(&f, 0);			/* packet type: to us */
	put16(&f, 1);			/* ARPHRD_ETHER */
	put16(&f, 6);
	zeros(&f, 8);
	put16(&f, 0x86dd);
	ipv6(&f, 17, 8 + 10);
	udp(&f, 5000, 53, 10);
	REQUIRE(dec(DLT_LINUX_SLL, &f, &p) == PKT_OK);
	CHECK_INT(p.ipver, 6);
	CHECK_INT(p.ip_len, 58);
	CHECK_INT(p.dport, 53);
	CHECK_INT(p.payload_len, 10);
	CHECK(p.l3 == f.b + 16);

	/* VLAN tag left in by the capturing kernel. */
	f.n = 0;
	zeros(&f, 14);
	put16(&f, 0x8100);
	put16(&f, 42);
	put16(&f, 0x0800);
	ipv4(&f, 17, 0, 8, 0);
	udp(&f, 1, 2, 0);
	REQUIRE(dec(DLT_LINUX_SLL, &f, &p) == PKT_OK);
	CHECK_INT(p.nvlan, 1);
	CHECK_INT(p.vlan[0], 42);
}

static void
test_sll2(void)
{
	struct fb f = { .n = 0 };
	struct pkt p;

	put16(&f, 0x0800);		/* protocol first in SLL2 */
	zeros(&f, 18);
	ipv4(&f, 1, 0, 8, 0);
	put8(&f, 8);			/* echo request */
	zeros(&f, 7);
	REQUIRE(dec(DLT_LINUX_SLL2, &f, &p) == PKT_OK);
	CHECK_INT(p.proto, 1);
	CHECK_INT(p.icmp_type, 8);
	CHECK_INT(p.ip_len, 28);
	CHECK(p.l3 == f.b + 20);
	CHECK_INT(p.payload_wire, 4);

	f.n = 0;
	put16(&f, 0x0806);		/* ARP */
	zeros(&f, 18 + 28);
	CHECK(dec(DLT_LINUX_SLL2, &f, &p) == PKT_UNSUPPORTED);
	f.n = 10;
	CHECK(dec(DLT_LINUX_SLL2, &f, &p) == PKT_SHORT);
}

/* BSD loopback: the family in either byte order, three AF_INET6s. */
static void
test_null_loop(void)
{
	static const uint32_t af6[] = { 24, 28, 30 };
	struct fb f = { .n = 0 };
	struct pkt p;
	size_t i;

	put8(&f, 2); put8(&f, 0); put8(&f, 0); put8(&f, 0);	/* LE */
	ipv4(&f, 17, 0, 8, 0);
	udp(&f, 1, 2, 0);
	REQUIRE(dec(DLT_NULL, &f, &p) == PKT_OK);
	CHECK_INT(p.ipver, 4);
	CHECK_INT(p.ip_len, 28);
	CHECK(dec(DLT_LOOP, &f, &p) == PKT_OK);

	for (i = 0; i < 3; i++) {
		f.n = 0;
		put32(&f, af6[i]);				/* BE */
		ipv6(&f, 6, 20);
		tcp(&f, 80, 8080, PKT_FIN, 0, 0);
		REQUIRE(dec(DLT_LOOP, &f, &p) == PKT_OK);
		CHECK_INT(p.ipver, 6);
		CHECK_INT(p.dport, 8080);
		CHECK_INT(p.tcp_flags, PKT_FIN);
		f.n = 0;
		put8(&f, (uint8_t)af6[i]); zeros(&f, 3);	/* LE */
		ipv6(&f, 6, 20);
		tcp(&f, 80, 8080, PKT_FIN, 0, 0);
		REQUIRE(dec(DLT_NULL, &f, &p) == PKT_OK);
		CHECK_INT(p.ipver, 6);
	}
	f.n = 0;
	put32(&f, 7);			/* AF_LOCAL? not IP */
	zeros(&f, 40);
	CHECK(dec(DLT_NULL, &f, &p) == PKT_UNSUPPORTED);
}

static void
test_raw(void)
{
	struct fb f = { .n = 0 };
	struct pkt p;
	char a[64];

	ipv4(&f, 6, 0, 20, 0);
	tcp(&f, 22, 50000, PKT_RST, 0, 0);
	REQUIRE(dec(DLT_RAW, &f, &p) == PKT_OK);
	CHECK_INT(p.tcp_flags, PKT_RST);
	CHECK(p.l3 == f.b);
	REQUIRE(dec(DLT_IPV4, &f, &p) == PKT_OK);
	CHECK(dec(DLT_IPV6, &f, &p) == PKT_BAD);

	f.n = 0;
	ipv6(&f, 58, 8);
	put8(&f, 128);			/* echo request */
	zeros(&f, 7);
	REQUIRE(dec(DLT_RAW, &f, &p) == PKT_OK);
	CHECK_INT(p.proto, 58);
	CHECK_INT(p.icmp_type, 128);
	REQUIRE(dec(DLT_IPV6, &f, &p) == PKT_OK);
	pkt_addr_str(p.ipver, p.src, a, sizeof(a));
	CHECK_STR(a, "2001:db8::1");
	CHECK(dec(DLT_IPV4, &f, &p) == PKT_BAD);
}

static void
test_ipv4_options(void)
{
	struct fb f = { .n = 0 };
	struct pkt p;

	/* IHL 8 (12 bytes of IP options), TCP data offset 8 (12 bytes
	 * of TCP options), 5 bytes of data. */
	eth(&f, 0x0800);
	ipv4(&f, 6, 12, 32 + 5, 0);
	tcp(&f, 1234, 80, PKT_PSH | PKT_ACK, 12, 5);
	REQUIRE(dec(DLT_EN10MB, &f, &p) == PKT_OK);
	CHECK_INT(p.ip_len, 32 + 32 + 5);
	CHECK_INT(p.sport, 1234);
	CHECK_INT(p.dport, 80);
	CHECK_INT(p.payload_len, 5);
	CHECK(p.payload == f.b + 14 + 32 + 32);
}

static void
test_ipv4_fragments(void)
{
	struct fb f = { .n = 0 };
	struct pkt p;

	/* First of several: MF set, offset 0: ports are there. */
	eth(&f, 0x0800);
	ipv4(&f, 17, 0, 8 + 1472, 0x2000);
	udp(&f, 4444, 53, 1472);
	REQUIRE(dec(DLT_EN10MB, &f, &p) == PKT_OK);
	CHECK_INT(p.frag_first, 1);
	CHECK_INT(p.frag, 0);
	CHECK_INT(p.sport, 4444);
	CHECK_INT(p.dport, 53);

	/* A later one: its first bytes look like ports but are not. */
	f.n = 0;
	eth(&f, 0x0800);
	ipv4(&f, 17, 0, 100, 185);	/* offset 1480 bytes, last */
	put16(&f, 9999);
	put16(&f, 9999);
	zeros(&f, 96);
	REQUIRE(dec(DLT_EN10MB, &f, &p) == PKT_OK);
	CHECK_INT(p.frag, 1);
	CHECK_INT(p.frag_first, 0);
	CHECK_INT(p.sport, 0);
	CHECK_INT(p.dport, 0);
	CHECK_INT(p.proto, 17);
	CHECK_INT(p.ip_len, 120);
	CHECK_INT(p.payload_wire, 100);

	/* Non-first with MF too. */
	f.n = 0;
	ipv4(&f, 6, 0, 8, 0x2000 | 1);
	zeros(&f, 8);
	REQUIRE(dec(DLT_RAW, &f, &p) == PKT_OK);
	CHECK_INT(p.frag, 1);
	CHECK_INT(p.tcp_flags, 0);
}

static void
test_ipv6_ext(void)
{
	struct fb f = { .n = 0 };
	struct pkt p;

	/* hop-by-hop (8) -> routing (24) -> dest opts (16) -> TCP */
	ipv6(&f, 0, 8 + 24 + 16 + 20 + 3);
	put8(&f, 43); put8(&f, 0); zeros(&f, 6);
	put8(&f, 60); put8(&f, 2); zeros(&f, 22);
	put8(&f, 6); put8(&f, 1); zeros(&f, 14);
	tcp(&f, 5555, 443, PKT_ACK, 0, 3);
	REQUIRE(dec(DLT_RAW, &f, &p) == PKT_OK);
	CHECK_INT(p.proto, 6);
	CHECK_INT(p.sport, 5555);
	CHECK_INT(p.dport, 443);
	CHECK_INT(p.payload_len, 3);
	CHECK_INT(p.ip_len, 40 + 48 + 23);

	/* AH (len 4 -> 24 bytes) -> UDP */
	f.n = 0;
	ipv6(&f, 51, 24 + 8);
	put8(&f, 17); put8(&f, 4); zeros(&f, 22);
	udp(&f, 500, 4500, 0);
	REQUIRE(dec(DLT_RAW, &f, &p) == PKT_OK);
	CHECK_INT(p.proto, 17);
	CHECK_INT(p.dport, 4500);

	/* Fragment header, first fragment (M=1, offset 0). */
	f.n = 0;
	ipv6(&f, 44, 8 + 8 + 16);
	put8(&f, 17); put8(&f, 0); put16(&f, 0x0001); put32(&f, 77);
	udp(&f, 6000, 7000, 16);
	REQUIRE(dec(DLT_RAW, &f, &p) == PKT_OK);
	CHECK_INT(p.frag_first, 1);
	CHECK_INT(p.frag, 0);
	CHECK_INT(p.sport, 6000);

	/* Fragment header, later fragment. */
	f.n = 0;
	ipv6(&f, 44, 8 + 16);
	put8(&f, 17); put8(&f, 0); put16(&f, 1448); put32(&f, 77);
	zeros(&f, 16);
	REQUIRE(dec(DLT_RAW, &f, &p) == PKT_OK);
	CHECK_INT(p.frag, 1);
	CHECK_INT(p.proto, 17);
	CHECK_INT(p.sport, 0);
	CHECK_INT(p.payload_wire, 16);

	/* No next header. */
	f.n = 0;
	ipv6(&f, 59, 4);
	zeros(&f, 4);
	REQUIRE(dec(DLT_RAW, &f, &p) == PKT_OK);
	CHECK_INT(p.proto, 59);

	/* An extension header running past the payload length. */
	f.n = 0;
	ipv6(&f, 0, 8);
	put8(&f, 6); put8(&f, 3); zeros(&f, 6 + 24);
	CHECK(dec(DLT_RAW, &f, &p) == PKT_BAD);
	/* ... or past the capture. */
	f.n = 0;
	ipv6(&f, 0, 64);
	put8(&f, 6); put8(&f, 3); zeros(&f, 6);
	CHECK(dec(DLT_RAW, &f, &p) == PKT_SHORT);
	/* An endless chain of empty options. */
	f.n = 0;
	ipv6(&f, 60, 8 * 40);
	for (int i = 0; i < 40; i++) {
		put8(&f, 60); put8(&f, 0); zeros(&f, 6);
	}
	CHECK(dec(DLT_RAW, &f, &p) == PKT_BAD);
}

static void
test_malformed(void)
{
	struct fb f = { .n = 0 };
	struct pkt p;

	/* IHL below 5 */
	ipv4(&f, 6, 0, 20, 0);
	f.b[0] = 0x44;
	tcp(&f, 1, 2, 0, 0, 0);
	CHECK(dec(DLT_RAW, &f, &p) == PKT_BAD);
	/* total length below the header */
	f.n = 0;
	ipv4(&f, 6, 0, 20, 0);
	tcp(&f, 1, 2, 0, 0, 0);
	f.b[2] = 0; f.b[3] = 10;
	CHECK(dec(DLT_RAW, &f, &p) == PKT_BAD);
	/* TCP data offset 4 */
	f.n = 0;
	ipv4(&f, 6, 0, 20, 0);
	tcp(&f, 1, 2, 0, 0, 0);
	f.b[20 + 12] = 0x40;
	CHECK(dec(DLT_RAW, &f, &p) == PKT_BAD);
	/* TCP data offset past the IP length */
	f.b[20 + 12] = 0xf0;
	CHECK(dec(DLT_RAW, &f, &p) == PKT_BAD);
	/* UDP inside an IP length of 4 */
	f.n = 0;
	ipv4(&f, 17, 0, 4, 0);
	zeros(&f, 4);
	CHECK(dec(DLT_RAW, &f, &p) == PKT_BAD);
	/* version 5 on a raw link, ARP on Ethernet, unknown DLT */
	f.n = 0;
	put8(&f, 0x50);
	zeros(&f, 40);
	CHECK(dec(DLT_RAW, &f, &p) == PKT_UNSUPPORTED);
	f.n = 0;
	eth(&f, 0x0806);
	zeros(&f, 28);
	CHECK(dec(DLT_EN10MB, &f, &p) == PKT_UNSUPPORTED);
	CHECK(dec(147, &f, &p) == PKT_UNSUPPORTED);
	CHECK(pkt_decode(DLT_EN10MB, NULL, 0, 0, &p) == PKT_SHORT);
	CHECK_STR(pkt_result_str(PKT_OK), "ok");
	CHECK_STR(pkt_result_str(PKT_SHORT), "truncated");
	CHECK_STR(pkt_result_str(PKT_UNSUPPORTED), "unsupported");
	CHECK_STR(pkt_result_str(PKT_BAD), "malformed");
}

/*
 * Every prefix of good frames: headers cut short are PKT_SHORT, cuts in
 * the payload still decode, and ASan sees no read past the prefix (each
 * prefix is copied into an exactly-sized heap block).
 */
static void
prefixes(int dlt, const struct fb *f, size_t hdrs)
{
	struct pkt p;
	uint8_t *b;
	size_t n;
	enum pkt_result r;

	for (n = 0; n <= f->n; n++) {
		b = malloc(n ? n : 1);
		REQUIRE(b != NULL);
		memcpy(b, f->b, n);
		r = pkt_decode(dlt, b, n, f->n, &p);
		if (n < hdrs && r != PKT_SHORT)
			FAILF("dlt %d prefix %zu: %s", dlt, n,
			    pkt_result_str(r));
		if (n >= hdrs && r != PKT_OK)
			FAILF("dlt %d prefix %zu: %s", dlt, n,
			    pkt_result_str(r));
		if (r == PKT_OK && p.payload_len > 0 &&
		    p.payload + p.payload_len > b + n)
			FAILF("dlt %d prefix %zu: payload past capture", dlt,
			    n);
		free(b);
	}
}

static void
test_truncated(void)
{
	struct fb f = { .n = 0 };

	eth(&f, 0x8100);
	put16(&f, 10);
	put16(&f, 0x0800);
	ipv4(&f, 6, 8, 20 + 10, 0);
	tcp(&f, 1, 2, PKT_ACK, 0, 10);
	prefixes(DLT_EN10MB, &f, 18 + 28 + 20);

	f.n = 0;
	zeros(&f, 14);
	put16(&f, 0x86dd);
	ipv6(&f, 0, 8 + 8 + 4);
	put8(&f, 17); put8(&f, 0); zeros(&f, 6);
	udp(&f, 1, 2, 4);
	prefixes(DLT_LINUX_SLL, &f, 16 + 40 + 8 + 8);
}

/* Counts what the capture hands over. */
struct seen {
	int	n;
	int	tcp;
	int64_t	last_ts;
};

static void
seen_cb(void *arg, const struct pkt *p)
{
	struct seen *s = arg;

	s->n++;
	if (p->proto == 6)
		s->tcp++;
	s->last_ts = p->ts_us;
}

/* Writes frames to dir/name.pcap; the third frame claims a longer wire
 * length than captured. */
static void
write_pcap(const char *path)
{
	struct pcap_pkthdr h;
	pcap_dumper_t *d;
	pcap_t *dead;
	struct fb f;
	int i;

	dead = pcap_open_dead(DLT_EN10MB, 65535);
	if (dead == NULL || (d = pcap_dump_open(dead, path)) == NULL)
		abort();
	for (i = 0; i < 600; i++) {
		f.n = 0;
		eth(&f, 0x0800);
		if (i % 3 == 0) {
			ipv4(&f, 6, 0, 20, 0);
			tcp(&f, 1, 2, PKT_SYN, 0, 0);
		} else {
			ipv4(&f, 17, 0, 8, 0);
			udp(&f, 1, 2, 0);
		}
		h.ts.tv_sec = 1700000000 + i;
		h.ts.tv_usec = 5;
		h.caplen = (bpf_u_int32)f.n;
		h.len = (bpf_u_int32)f.n + (i == 2 ? 100 : 0);
		pcap_dump((u_char *)d, &h, f.b);
	}
	f.n = 0;
	eth(&f, 0x0806);		/* ARP: a decode error */
	zeros(&f, 28);
	h.caplen = h.len = (bpf_u_int32)f.n;
	pcap_dump((u_char *)d, &h, f.b);
	pcap_dump_close(d);
	pcap_close(dead);
}

static void
run_capture(const char *path, const char *filter, const char *bpf,
    struct seen *s, struct capture_stats *st)
{
	struct agent_config cfg;
	struct event_base *base;
	struct capture *c;
	char err[256];
	int turns = 0;

	memset(&cfg, 0, sizeof(cfg));
	agent_config_defaults(&cfg);
	cfg.read = (char *)(uintptr_t)path;
	cfg.bpf = (char *)(uintptr_t)bpf;
	memset(s, 0, sizeof(*s));
	base = event_base_new();
	REQUIRE(base != NULL);
	c = capture_new(base, NULL, filter, &cfg, seen_cb, s, err,
	    sizeof(err));
	if (c == NULL) {
		FAILF("capture_new: %s", err);
		event_base_free(base);
		return;
	}
	while (!capture_done(c) && turns++ < 100)
		event_base_loop(base, EVLOOP_ONCE);
	CHECK(capture_done(c));
	/* Batches yield to the loop: 601 packets are not read in one
	 * pass (the loop polls its sockets in between). */
	if (turns < 2)
		FAILF("turns %d", turns);
	capture_stats(c, st);
	capture_free(c);
	event_base_free(base);
}

static void
test_capture_offline(void)
{
	char path[512], err[256];
	struct capture_stats st;
	struct agent_config cfg;
	struct seen s;

	snprintf(path, sizeof(path), "%s/t.pcap", harness_tmpdir());
	write_pcap(path);
	run_capture(path, NULL, NULL, &s, &st);
	CHECK_INT(s.n, 600);
	CHECK_INT(s.tcp, 200);
	CHECK_INT(st.packets, 600);
	CHECK_INT(st.decode_errors, 1);
	CHECK_INT(st.truncated, 1);
	CHECK_INT(st.kernel_drops, 0);
	CHECK_INT(s.last_ts, 1700000599000005LL);

	/* The source's filter ANDed with the configured one. */
	run_capture(path, "ip", "tcp", &s, &st);
	CHECK_INT(s.n, 200);
	CHECK_INT(s.tcp, 200);
	CHECK_INT(st.decode_errors, 0);
	run_capture(path, "udp", NULL, &s, &st);
	CHECK_INT(s.n, 400);
	CHECK_INT(s.tcp, 0);

	/* Refusals come back as messages. */
	memset(&cfg, 0, sizeof(cfg));
	agent_config_defaults(&cfg);
	cfg.read = path;
	cfg.bpf = (char *)(uintptr_t)"no such primitive (";
	CHECK(capture_new(NULL, NULL, NULL, &cfg, seen_cb, &s, err,
	    sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "filter");
	cfg.bpf = NULL;
	cfg.read = (char *)(uintptr_t)"/nonexistent/x.pcap";
	CHECK(capture_new(NULL, NULL, NULL, &cfg, seen_cb, &s, err,
	    sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "nonexistent");
}

static const struct test tests[] = {
	{ "ethernet_ipv4_tcp", test_ethernet_ipv4_tcp },
	{ "ethernet_padding", test_ethernet_padding },
	{ "snaplen_cut", test_snaplen_cut },
	{ "vlan", test_vlan },
	{ "qinq", test_qinq },
	{ "pppoe", test_pppoe },
	{ "mpls_ppp_hdlc", test_mpls_ppp_hdlc },
	{ "sll", test_sll },
	{ "sll2", test_sll2 },
	{ "null_loop", test_null_loop },
	{ "raw", test_raw },
	{ "ipv4_options", test_ipv4_options },
	{ "ipv4_fragments", test_ipv4_fragments },
	{ "ipv6_ext", test_ipv6_ext },
	{ "malformed", test_malformed },
	{ "truncated", test_truncated },
	{ "capture_offline", test_capture_offline },
};

HARNESS_MAIN(tests)
