/*
 * Packet header decoding shared by every packet source: link layer
 * (Ethernet with 802.1Q/QinQ tags, MPLS and PPPoE, Linux cooked SLL and
 * SLL2, BSD NULL/LOOP, PPP and Cisco HDLC, raw IP), then IPv4 or IPv6
 * (with extension headers) and the TCP, UDP or ICMP header. It fills a struct pkt whose pointers point into
 * the caller's buffer; it allocates nothing and keeps no state, so it is
 * safe to call on any bytes at all (it is fuzzed).
 *
 * Lengths: the IP total length is what flows count (the brief: bytes are
 * IP bytes, the same on every link type), so Ethernet padding and
 * link-layer headers never reach the counters. Payload is bounded by both
 * what was captured and what the IP header says. It does not reassemble
 * IP fragments: a non-first fragment is reported with frag=1 and no L4
 * header (its first bytes are payload, not ports).
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <pcap/dlt.h>

#include "agent.h"

#define ETH_HLEN	14
#define SLL_HLEN	16
#define SLL2_HLEN	20
#define NULL_HLEN	4

#define ETYPE_IPV4	0x0800
#define ETYPE_IPV6	0x86dd
#define ETYPE_VLAN	0x8100
#define ETYPE_QINQ	0x88a8
#define ETYPE_QINQ_OLD	0x9100
#define ETYPE_PPPOE	0x8864	/* PPPoE session stage */
#define ETYPE_MPLS	0x8847
#define ETYPE_MPLS_MC	0x8848
#define PPP_IPV4	0x0021
#define PPP_IPV6	0x0057

#define LINKTYPE_RAW_	101	/* the file-format value, if ever passed */
#define MAX_TAGS	8	/* VLAN tags skipped before giving up */
#define MAX_EXTHDRS	16	/* IPv6 extension headers followed */

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t
rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | p[3];
}

/*
 * Whether the first end bytes are there: PKT_BAD when the packet's own
 * length (wire) cannot hold them, PKT_SHORT when only the capture (cap,
 * never more than wire) was cut before them, else PKT_OK.
 */
static enum pkt_result
fits(size_t end, size_t wire, size_t cap)
{
	if (end > wire)
		return PKT_BAD;
	if (end > cap)
		return PKT_SHORT;
	return PKT_OK;
}

/*
 * The L4 header at b (cap captured bytes, wire bytes by the IP length;
 * cap <= wire). TCP and UDP give ports, ICMP its type; other protocols
 * are counted by number with their whole payload.
 */
static enum pkt_result
decode_l4(struct pkt *p, const uint8_t *b, size_t cap, size_t wire)
{
	enum pkt_result r;
	size_t hl;

	/* The fixed part of the header first, for every protocol alike. */
	hl = p->proto == IPPROTO_TCP ? 20 : p->proto == IPPROTO_UDP ? 8 :
	    p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6 ? 4 : 0;
	if ((r = fits(hl, wire, cap)) != PKT_OK)
		return r;
	switch (p->proto) {
	case IPPROTO_TCP:
		p->sport = rd16(b);
		p->dport = rd16(b + 2);
		p->seq = rd32(b + 4);
		p->ack = rd32(b + 8);
		hl = (size_t)(b[12] >> 4) * 4;
		p->tcp_flags = b[13];
		if (hl < 20)
			return PKT_BAD;
		if ((r = fits(hl, wire, cap)) != PKT_OK)
			return r;
		break;
	case IPPROTO_UDP:
		p->sport = rd16(b);
		p->dport = rd16(b + 2);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		p->icmp_type = b[0];
		break;
	default:
		break;
	}
	p->payload = b + hl;
	p->payload_len = cap - hl;
	p->payload_wire = (uint32_t)(wire - hl);
	return PKT_OK;
}

/*
 * IPv4 at b, len captured bytes. The IP total length bounds everything
 * after it; a capture cut short inside the header is PKT_SHORT, a header
 * that contradicts itself PKT_BAD.
 */
static enum pkt_result
decode_ipv4(struct pkt *p, const uint8_t *b, size_t len)
{
	size_t hl, tot, cap;
	uint16_t off;

	if (len < 20)
		return PKT_SHORT;
	if ((b[0] >> 4) != 4)
		return PKT_BAD;
	hl = (size_t)(b[0] & 0x0f) * 4;
	tot = rd16(b + 2);
	if (hl < 20)
		return PKT_BAD;
	if (tot == 0 && len >= hl) {
		/* TSO on the capturing host: the kernel hands a
		 * super-segment whose length field it has not filled. */
		tot = len;
	}
	if (tot < hl)
		return PKT_BAD;
	p->ipver = 4;
	p->ip_len = (uint32_t)tot;
	p->proto = b[9];
	memcpy(p->src, b + 12, 4);
	memcpy(p->dst, b + 16, 4);
	p->l3 = b;
	p->l3_len = len < tot ? len : tot;
	if (hl > len)
		return PKT_SHORT;
	off = rd16(b + 6);
	if ((off & 0x1fff) != 0) {
		/* Not the first fragment: its bytes are not an L4 header. */
		p->frag = 1;
		p->payload = b + hl;
		p->payload_len = p->l3_len - hl;
		p->payload_wire = (uint32_t)(tot - hl);
		return PKT_OK;
	}
	if (off & 0x2000)
		p->frag_first = 1;
	cap = p->l3_len - hl;
	return decode_l4(p, b + hl, cap, tot - hl);
}

/*
 * IPv6 at b: the fixed header, then the extension-header chain up to the
 * upper-layer protocol. A fragment header with a non-zero offset ends the
 * walk as a non-first fragment.
 */
static enum pkt_result
decode_ipv6(struct pkt *p, const uint8_t *b, size_t len)
{
	enum pkt_result r;
	size_t tot, pos, cap, hl;
	uint16_t fo;
	uint8_t nh;
	int n;

	if (len < 40)
		return PKT_SHORT;
	if ((b[0] >> 4) != 6)
		return PKT_BAD;
	tot = 40 + (size_t)rd16(b + 4);
	if (tot == 40 && len > 40 && b[6] == 0) {
		/* Jumbogram (payload length 0 with hop-by-hop) or TSO:
		 * take what the link layer gave. */
		tot = len;
	}
	p->ipver = 6;
	p->ip_len = (uint32_t)tot;
	memcpy(p->src, b + 8, 16);
	memcpy(p->dst, b + 24, 16);
	p->l3 = b;
	p->l3_len = len < tot ? len : tot;
	cap = p->l3_len;
	nh = b[6];
	pos = 40;
	for (n = 0; n < MAX_EXTHDRS; n++) {
		switch (nh) {
		case 0:		/* hop-by-hop */
		case 43:	/* routing */
		case 60:	/* destination options */
		case 135:	/* mobility */
		case 51:	/* AH */
			if ((r = fits(pos + 2, tot, cap)) != PKT_OK)
				return r;
			/* AH counts 4-octet units minus 2, the others
			 * 8-octet units minus 1. */
			hl = nh == 51 ? ((size_t)b[pos + 1] + 2) * 4 :
			    ((size_t)b[pos + 1] + 1) * 8;
			break;
		case 44:	/* fragment */
			if ((r = fits(pos + 8, tot, cap)) != PKT_OK)
				return r;
			hl = 8;
			fo = rd16(b + pos + 2);
			if ((fo & 0xfff8) != 0) {
				p->proto = b[pos];
				p->frag = 1;
				p->payload = b + pos + 8;
				p->payload_len = cap - (pos + 8);
				p->payload_wire = (uint32_t)(tot - (pos + 8));
				return PKT_OK;
			}
			if (fo & 1)
				p->frag_first = 1;
			break;
		default:
			p->proto = nh;
			if (nh == 59) {	/* no next header */
				p->payload = b + pos;
				p->payload_len = cap - pos;
				p->payload_wire = (uint32_t)(tot - pos);
				return PKT_OK;
			}
			return decode_l4(p, b + pos, cap - pos, tot - pos);
		}
		if ((r = fits(pos + hl, tot, cap)) != PKT_OK)
			return r;
		nh = b[pos];
		pos += hl;
	}
	return PKT_BAD;		/* absurd chain */
}

/* By version nibble: raw IP links and BSD loopback both come here. */
static enum pkt_result
decode_ip(struct pkt *p, const uint8_t *b, size_t len)
{
	if (len < 1)
		return PKT_SHORT;
	switch (b[0] >> 4) {
	case 4:
		return decode_ipv4(p, b, len);
	case 6:
		return decode_ipv6(p, b, len);
	default:
		return PKT_UNSUPPORTED;
	}
}

/* The PPP protocol number at b (len >= 2 bytes), then the IP packet. */
static enum pkt_result
decode_ppp(struct pkt *p, const uint8_t *b, size_t len)
{
	switch (rd16(b)) {
	case PPP_IPV4:
		return decode_ipv4(p, b + 2, len - 2);
	case PPP_IPV6:
		return decode_ipv6(p, b + 2, len - 2);
	default:
		return PKT_UNSUPPORTED;
	}
}

/*
 * An ethertype `type` whose data starts at b + off: skip any VLAN tags (recording the
 * first PKT_MAX_VLAN VLAN ids, outermost first), then dispatch on IP.
 */
static enum pkt_result
decode_ethertype(struct pkt *p, const uint8_t *b, size_t len, size_t off,
    uint16_t type)
{
	int tags = 0;

	while (type == ETYPE_VLAN || type == ETYPE_QINQ ||
	    type == ETYPE_QINQ_OLD) {
		if (++tags > MAX_TAGS)
			return PKT_BAD;
		if (off + 4 > len)
			return PKT_SHORT;
		if (p->nvlan < PKT_MAX_VLAN)
			p->vlan[p->nvlan++] = rd16(b + off) & 0x0fff;
		type = rd16(b + off + 2);
		off += 4;
	}
	switch (type) {
	case ETYPE_IPV4:
		return decode_ipv4(p, b + off, len - off);
	case ETYPE_IPV6:
		return decode_ipv6(p, b + off, len - off);
	case ETYPE_MPLS:
	case ETYPE_MPLS_MC:
		/* Label stack entries until the bottom-of-stack bit; the
		 * payload's version nibble says which IP follows. */
		for (tags = 0; tags < MAX_TAGS; tags++) {
			if (off + 4 > len)
				return PKT_SHORT;
			off += 4;
			if (b[off - 2] & 0x01)
				return decode_ip(p, b + off, len - off);
		}
		return PKT_BAD;
	case ETYPE_PPPOE:
		/* PPPoE session: 6-byte header, then the PPP protocol. */
		if (off + 8 > len)
			return PKT_SHORT;
		return decode_ppp(p, b + off + 6, len - off - 6);
	default:
		return PKT_UNSUPPORTED;
	}
}

/*
 * BSD loopback: a 4-byte address family in the capturing host's byte
 * order (DLT_NULL) or network order (DLT_LOOP). Files travel between
 * hosts, so both orders are accepted; AF_INET6 is 24, 28 or 30 depending
 * on the BSD.
 */
static enum pkt_result
decode_null(struct pkt *p, const uint8_t *b, size_t len)
{
	uint32_t be, le, af;

	if (len < NULL_HLEN)
		return PKT_SHORT;
	be = rd32(b);
	le = (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) |
	    ((uint32_t)b[3] << 24);
	af = be < 256 ? be : le;
	switch (af) {
	case 2:
		return decode_ipv4(p, b + NULL_HLEN, len - NULL_HLEN);
	case 24:
	case 28:
	case 30:
		return decode_ipv6(p, b + NULL_HLEN, len - NULL_HLEN);
	default:
		return PKT_UNSUPPORTED;
	}
}

/*
 * Decodes one captured frame into *p, which it resets first (ts_us too:
 * the capture sets the time after decoding). On a result other than
 * PKT_OK the fields decoded so far are still filled in, which helps
 * diagnostics, but callers must not count the packet as a flow packet.
 */
enum pkt_result
pkt_decode(int dlt, const uint8_t *buf, size_t caplen, size_t wirelen,
    struct pkt *p)
{
	size_t off;

	memset(p, 0, sizeof(*p));
	p->caplen = (uint32_t)caplen;
	p->wirelen = (uint32_t)wirelen;
	if (buf == NULL)
		return PKT_SHORT;
	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < ETH_HLEN)
			return PKT_SHORT;
		return decode_ethertype(p, buf, caplen, ETH_HLEN,
		    rd16(buf + 12));
	case DLT_LINUX_SLL:
		if (caplen < SLL_HLEN)
			return PKT_SHORT;
		return decode_ethertype(p, buf, caplen, SLL_HLEN,
		    rd16(buf + 14));
	case DLT_LINUX_SLL2:
		if (caplen < SLL2_HLEN)
			return PKT_SHORT;
		/* The protocol type is the first field of SLL2. */
		return decode_ethertype(p, buf, caplen, SLL2_HLEN, rd16(buf));
	case DLT_C_HDLC:
		/* Cisco HDLC: address, control, then an ethertype. */
		if (caplen < 4)
			return PKT_SHORT;
		return decode_ethertype(p, buf, caplen, 4, rd16(buf + 2));
	case DLT_PPP:
	case DLT_PPP_SERIAL:
		/* PPP in HDLC framing (ff 03 PROTO); plain DLT_PPP may omit
		 * the ff 03. */
		off = 2;
		if (dlt == DLT_PPP && caplen >= 2 && buf[0] != 0xff)
			off = 0;
		if (caplen < off + 2)
			return PKT_SHORT;
		return decode_ppp(p, buf + off, caplen - off);
	case DLT_NULL:
	case DLT_LOOP:
		return decode_null(p, buf, caplen);
	case DLT_RAW:
	case LINKTYPE_RAW_:
		return decode_ip(p, buf, caplen);
	case DLT_IPV4:
		if (caplen >= 1 && (buf[0] >> 4) != 4)
			return PKT_BAD;
		return decode_ipv4(p, buf, caplen);
	case DLT_IPV6:
		if (caplen >= 1 && (buf[0] >> 4) != 6)
			return PKT_BAD;
		return decode_ipv6(p, buf, caplen);
	default:
		return PKT_UNSUPPORTED;
	}
}

const char *
pkt_result_str(enum pkt_result r)
{
	switch (r) {
	case PKT_OK:
		return "ok";
	case PKT_SHORT:
		return "truncated";
	case PKT_UNSUPPORTED:
		return "unsupported";
	case PKT_BAD:
		return "malformed";
	}
	return "unknown";
}

void
pkt_addr_str(uint8_t ipver, const uint8_t *addr, char *buf, size_t len)
{
	if (len == 0)
		return;
	if (inet_ntop(ipver == 6 ? AF_INET6 : AF_INET, addr, buf,
	    (socklen_t)len) == NULL)
		buf[0] = '\0';
}
