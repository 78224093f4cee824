/*
 * Writes a synthetic PostgreSQL capture with many sessions open at once,
 * for the agent's memory benchmark (tests/bench/db.sh): every session
 * connects first (TCP handshake, StartupMessage, AuthenticationOk,
 * BackendKeyData, ReadyForQuery), then the sessions take turns running
 * simple queries, each answered with rows, so all of them are open and
 * mid-conversation at the same time; only then do they all terminate.
 * The packets are Ethernet/IPv4/TCP, in order, with no loss.
 *
 *   pgsessions FILE.pcap SESSIONS QUERIES ROWS
 *
 * The agent should report SESSIONS*QUERIES db.query events of ROWS rows.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNAPLEN		262144

struct sess {
	uint32_t	 cli_ip;
	uint16_t	 cli_port;
	uint32_t	 cseq;		/* next client sequence number */
	uint32_t	 sseq;		/* next server sequence number */
};

static FILE	*out;
static uint64_t	 ts_us = 1700000000ULL * 1000000ULL;
static uint8_t	 pkt[70000];
static const uint32_t srv_ip = 0x0a000001;	/* 10.0.0.1 */
static const uint16_t srv_port = 5432;

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
le32(uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 24) };

	fwrite(b, 1, 4, out);
}

static uint16_t
ip_csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* One frame from the client (dir 0) or the server (dir 1). */
static void
frame(struct sess *s, int dir, uint8_t flags, const uint8_t *data,
    size_t len)
{
	uint8_t *e = pkt, *ip = pkt + 14, *tcp = pkt + 34;
	size_t total = 54 + len;

	memset(pkt, 0, 54);
	e[5] = dir ? 1 : 2;
	e[11] = dir ? 2 : 1;
	put16(e + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + 20 + len));
	ip[8] = 64;
	ip[9] = 6;
	put32(ip + 12, dir ? srv_ip : s->cli_ip);
	put32(ip + 16, dir ? s->cli_ip : srv_ip);
	put16(ip + 10, ip_csum(ip, 20));
	put16(tcp, dir ? srv_port : s->cli_port);
	put16(tcp + 2, dir ? s->cli_port : srv_port);
	put32(tcp + 4, dir ? s->sseq : s->cseq);
	put32(tcp + 8, dir ? s->cseq : s->sseq);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	put16(tcp + 14, 65535);
	if (len > 0)
		memcpy(pkt + 54, data, len);
	if (dir)
		s->sseq += (uint32_t)len + ((flags & 0x03) ? 1 : 0);
	else
		s->cseq += (uint32_t)len + ((flags & 0x03) ? 1 : 0);
	ts_us += 7;
	le32((uint32_t)(ts_us / 1000000));
	le32((uint32_t)(ts_us % 1000000));
	le32((uint32_t)total);
	le32((uint32_t)total);
	fwrite(pkt, 1, total, out);
}

/* Appends one PostgreSQL message: type (0: none), then body. */
static size_t
msg(uint8_t *b, size_t off, char type, const void *body, size_t len)
{
	if (type != 0)
		b[off++] = (uint8_t)type;
	put32(b + off, (uint32_t)(len + 4));
	memcpy(b + off + 4, body, len);
	return off + 4 + len;
}

int
main(int argc, char **argv)
{
	static uint8_t b[65000], body[4096];
	struct sess *ss;
	long n, q, rows, i, r, k;
	size_t off, bl;
	int len;

	if (argc != 5 || (n = strtol(argv[2], NULL, 10)) <= 0 ||
	    n > 1000000 || (q = strtol(argv[3], NULL, 10)) < 0 ||
	    (rows = strtol(argv[4], NULL, 10)) < 0 || rows > 500) {
		fprintf(stderr, "usage: pgsessions file.pcap sessions "
		    "queries rows(<=500)\n");
		return 2;
	}
	if ((out = fopen(argv[1], "wb")) == NULL) {
		perror(argv[1]);
		return 1;
	}
	le32(0xa1b2c3d4);
	fputc(2, out); fputc(0, out); fputc(4, out); fputc(0, out);
	le32(0);
	le32(0);
	le32(SNAPLEN);
	le32(1);	/* DLT_EN10MB */
	if ((ss = calloc((size_t)n, sizeof(*ss))) == NULL)
		return 1;

	for (i = 0; i < n; i++) {
		struct sess *s = &ss[i];

		/* 10.1.0.1 onwards, 250 clients per /24. */
		s->cli_ip = 0x0a010000 + (uint32_t)(i / 250) * 256 +
		    (uint32_t)(i % 250 + 1);
		s->cli_port = (uint16_t)(30000 + i % 30000);
		s->cseq = 1000 + (uint32_t)i * 7919;
		s->sseq = 0x70000000 + (uint32_t)i * 104729;
		frame(s, 0, 0x02, NULL, 0);		/* SYN */
		frame(s, 1, 0x12, NULL, 0);		/* SYN-ACK */
		frame(s, 0, 0x10, NULL, 0);
		len = snprintf((char *)body + 4, sizeof(body) - 4,
		    "user%cu%ld%cdatabase%ccrm%capplication_name%cbench%c%c",
		    0, i % 50, 0, 0, 0, 0, 0, 0);
		put32(body, 196608);
		off = msg(b, 0, 0, body, (size_t)len + 4);
		frame(s, 0, 0x18, b, off);
		put32(body, 0);
		off = msg(b, 0, 'R', body, 4);
		bl = (size_t)snprintf((char *)body, sizeof(body),
		    "server_version%c15.0", 0) + 1;
		off = msg(b, off, 'S', body, bl);
		put32(body, (uint32_t)(10000 + i));
		put32(body + 4, 12345);
		off = msg(b, off, 'K', body, 8);
		off = msg(b, off, 'Z', "I", 1);
		frame(s, 1, 0x18, b, off);
		frame(s, 0, 0x10, NULL, 0);
	}
	for (r = 0; r < q; r++) {
		for (i = 0; i < n; i++) {
			struct sess *s = &ss[i];

			len = snprintf((char *)body, sizeof(body),
			    "SELECT id, name, phone FROM crm.customers "
			    "WHERE id > %ld LIMIT %ld", i * 100 + r, rows);
			off = msg(b, 0, 'Q', body, (size_t)len + 1);
			frame(s, 0, 0x18, b, off);
			/* RowDescription: three text columns. */
			put16(body, 3);
			bl = 2;
			for (k = 0; k < 3; k++) {
				bl += (size_t)snprintf((char *)body + bl, 16,
				    "%s", k == 0 ? "id" : k == 1 ? "name" :
				    "phone") + 1;
				memset(body + bl, 0, 18);
				put32(body + bl + 6, 25);	/* text */
				put16(body + bl + 10, 0xffff);
				put32(body + bl + 12, 0xffffffff);
				bl += 18;
			}
			off = msg(b, 0, 'T', body, bl);
			for (k = 0; k < rows; k++) {
				put16(body, 3);
				put32(body + 2, 6);
				/* Column values: bytes with a length, no NUL. */
				/* NOLINTNEXTLINE(bugprone-not-null-terminated-result) */
				memcpy(body + 6, "123456", 6);
				put32(body + 12, 10);
				/* NOLINTNEXTLINE(bugprone-not-null-terminated-result) */
				memcpy(body + 16, "customerNN", 10);
				put32(body + 26, 0xffffffff);	/* NULL */
				off = msg(b, off, 'D', body, 30);
			}
			bl = (size_t)snprintf((char *)body, sizeof(body),
			    "SELECT %ld", rows) + 1;
			off = msg(b, off, 'C', body, bl);
			off = msg(b, off, 'Z', "I", 1);
			frame(s, 1, 0x18, b, off);
			frame(s, 0, 0x10, NULL, 0);
		}
	}
	for (i = 0; i < n; i++) {
		struct sess *s = &ss[i];

		off = msg(b, 0, 'X', "", 0);
		frame(s, 0, 0x18, b, off);
		frame(s, 0, 0x11, NULL, 0);		/* FIN */
		frame(s, 1, 0x11, NULL, 0);
		frame(s, 0, 0x10, NULL, 0);
	}
	free(ss);
	if (fclose(out) != 0) {
		perror(argv[1]);
		return 1;
	}
	return 0;
}
