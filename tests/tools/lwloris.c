/*
 * A crowd of slow, unauthenticated peers for the collector's
 * pre-authentication limits (tests/integration/preauth.sh): N
 * connections from many loopback source addresses (PER of them per
 * address, 127.1.x.y), each trickling a few bytes every interval and
 * never finishing what it started - half a TLS ClientHello, half a HELLO
 * frame, or a HELLO header announcing a 1 MiB payload - or send a
 * whole ClientHello (made by OpenSSL) and then never answer the server's
 * flight, which leaves the collector mid-handshake. It reports how
 * the collector treated them: how many it closed, after how long at the
 * most, and how many are still open. Plain non-blocking sockets and
 * poll(2): it shares no code with the collector.
 *
 *   lwloris PORT N SECONDS MODE [PER] [INTERVAL_MS]
 *   MODE: tls | clienthello | hello | bighello
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "leakwatch/proto.h"

#define MAX_PEERS	20000

struct peer {
	int		 fd;
	size_t		 sent;		/* bytes of the script so far */
	long long	 opened_ms;
	long long	 closed_ms;	/* 0 while open */
};

/* The start of a TLS 1.2 ClientHello record, never finished. */
static const uint8_t tls_script[] = {
	0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
	0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
	0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a
};

/* A real ClientHello, written by OpenSSL into a memory BIO. */
static uint8_t	 hello_bytes[4096];
static size_t	 hello_len;

/* A decimal integer argument in [lo, hi], or -1. */
static int
int_arg(const char *s, int lo, int hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	return (int)v;
}

static int
make_clienthello(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl;
	BIO *rb, *wb;
	int n;

	if (ctx == NULL || (ssl = SSL_new(ctx)) == NULL)
		return -1;
	rb = BIO_new(BIO_s_mem());
	wb = BIO_new(BIO_s_mem());
	SSL_set_bio(ssl, rb, wb);
	SSL_set_connect_state(ssl);
	(void)SSL_do_handshake(ssl);
	n = BIO_read(wb, hello_bytes, sizeof(hello_bytes));
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (n <= 0)
		return -1;
	hello_len = (size_t)n;
	return 0;
}

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
peer_open(struct peer *p, int port, int i, int per)
{
	struct sockaddr_in src, dst;
	int a = i / per;

	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	src.sin_addr.s_addr = htonl(0x7f010000u | (uint32_t)(a / 250) << 8 |
	    (uint32_t)(a % 250 + 1));
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	dst.sin_port = htons((uint16_t)port);
	if ((p->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		return -1;
	if (bind(p->fd, (struct sockaddr *)&src, sizeof(src)) != 0 ||
	    (connect(p->fd, (struct sockaddr *)&dst, sizeof(dst)) != 0 &&
	    errno != EINPROGRESS)) {
		close(p->fd);
		p->fd = -1;
		return -1;
	}
	p->opened_ms = mono_ms();
	return 0;
}

/* The next piece of this mode's script: one byte, or a 4 KiB chunk. */
static void
peer_send(struct peer *p, const char *mode)
{
	uint8_t buf[4096], hdr[PROTO_HDRLEN];
	const uint8_t *b = buf;
	size_t n = 1;

	memset(buf, 'x', sizeof(buf));
	if (strcmp(mode, "clienthello") == 0) {
		if (p->sent > 0)
			return;
		b = hello_bytes;
		n = hello_len;
	} else if (strcmp(mode, "tls") == 0) {
		if (p->sent >= sizeof(tls_script))
			return;
		b = tls_script + p->sent;
	} else {
		if (p->sent == 0) {
			proto_header(hdr, PROTO_HELLO,
			    strcmp(mode, "bighello") == 0 ? 1 << 20 :
			    PROTO_HELLO_MAX);
			b = hdr;
			n = sizeof(hdr);
		} else if (strcmp(mode, "bighello") == 0)
			n = sizeof(buf);
		else if (p->sent >= PROTO_HDRLEN + PROTO_HELLO_MAX - 1)
			return;		/* one byte short, for ever */
	}
	if (write(p->fd, b, n) > 0)
		p->sent += n;
}

/* 1 when the collector has closed this peer's connection. */
static int
peer_gone(struct peer *p)
{
	uint8_t buf[512];
	ssize_t n;

	for (;;) {
		n = read(p->fd, buf, sizeof(buf));
		if (n > 0)
			continue;	/* ERROR frame, server flight: to EOF */
		if (n == 0)
			return 1;
		return errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != ENOTCONN;
	}
}

static void
raise_nofile(int n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)n + 64 ? rl.rlim_max :
		    (rlim_t)n + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
main(int argc, char **argv)
{
	static struct peer peers[MAX_PEERS];
	static struct pollfd pfd[MAX_PEERS];
	long long start, end, next_send, maxlife = 0, now;
	int port, n, secs, per, interval, i, failed = 0, closed = 0;
	const char *mode;

	if (argc < 5) {
		fprintf(stderr, "usage: lwloris port n seconds tls|hello|"
		    "bighello [per-address] [interval-ms]\n");
		return 2;
	}
	port = int_arg(argv[1], 1, 65535);
	n = int_arg(argv[2], 1, MAX_PEERS);
	secs = int_arg(argv[3], 0, 86400);
	mode = argv[4];
	per = argc > 5 ? int_arg(argv[5], 1, MAX_PEERS) : 8;
	interval = argc > 6 ? int_arg(argv[6], 1, 3600000) : 500;
	if (port < 0 || n < 0 || secs < 0 || per < 0 || interval < 0)
		return 2;
	if (strcmp(mode, "clienthello") == 0 && make_clienthello() != 0) {
		fprintf(stderr, "lwloris: cannot make a ClientHello\n");
		return 1;
	}
	raise_nofile(n);
	for (i = 0; i < n; i++)
		if (peer_open(&peers[i], port, i, per) != 0)
			failed++;
	start = mono_ms();
	end = start + (long long)secs * 1000;
	next_send = start;
	while ((now = mono_ms()) < end) {
		if (now >= next_send) {
			for (i = 0; i < n; i++)
				if (peers[i].fd != -1 && peers[i].closed_ms == 0)
					peer_send(&peers[i], mode);
			next_send = now + interval;
		}
		for (i = 0; i < n; i++) {
			pfd[i].fd = peers[i].closed_ms == 0 ? peers[i].fd : -1;
			pfd[i].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)n, 50) <= 0)
			continue;
		now = mono_ms();
		for (i = 0; i < n; i++) {
			if (pfd[i].fd == -1 || pfd[i].revents == 0 ||
			    !peer_gone(&peers[i]))
				continue;
			peers[i].closed_ms = now;
			if (now - peers[i].opened_ms > maxlife)
				maxlife = now - peers[i].opened_ms;
			closed++;
		}
	}
	printf("opened %d failed %d closed %d open %d maxlife_ms %lld\n",
	    n - failed, failed, closed, n - failed - closed, maxlife);
	for (i = 0; i < n; i++)
		if (peers[i].fd != -1)
			close(peers[i].fd);
	return 0;
}
