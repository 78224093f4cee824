/*
 * A misbehaving peer for the collector's robustness tests: it connects
 * (optionally over TLS with or without a client certificate) and then
 * sends garbage, an oversized frame, a HELLO with given credentials, or
 * nothing at all, and reports how the collector answered. Plain blocking
 * sockets and OpenSSL: it must not share the code paths it tests.
 *
 *   lwpeer HOST PORT MODE [-ca F] [-cert F -key F] [-name N] [-secret S]
 *   MODE: garbage | oversize | halfopen | hello | tcponly
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "leakwatch/proto.h"
#include "leakwatch/text.h"
#include "leakwatch/util.h"

struct peer {
	int	 fd;
	SSL	*ssl;
	SSL_CTX	*ctx;
};

/* The tool's only state, so every exit path can release it. */
static struct peer p = { -1, NULL, NULL };

static void
release(void)
{
	fflush(stdout);
	SSL_free(p.ssl);
	SSL_CTX_free(p.ctx);
	if (p.fd != -1)
		close(p.fd);
}

static int
pwrite_all(struct peer *pp, const void *buf, size_t len)
{
	if (pp->ssl != NULL)
		return SSL_write(pp->ssl, buf, (int)len) == (int)len ? 0 : -1;
	return write(pp->fd, buf, len) == (ssize_t)len ? 0 : -1;
}

static ssize_t
pread_some(struct peer *pp, void *buf, size_t len)
{
	if (pp->ssl != NULL)
		return SSL_read(pp->ssl, buf, (int)len);
	return read(pp->fd, buf, len);
}

/* Reads until the collector closes; prints the ERROR text it sent. */
static void
await_close(struct peer *pp, int64_t start)
{
	uint8_t buf[65536];
	size_t have = 0;
	ssize_t n;
	char text[1024];

	while (have < sizeof(buf) && (n = pread_some(pp, buf + have,
	    sizeof(buf) - have)) > 0)
		have += (size_t)n;
	printf("closed after %lld ms", (long long)(mono_ms() - start));
	if (have >= PROTO_HDRLEN) {
		uint32_t l = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
		    (uint32_t)buf[2] << 8 | buf[3];

		if (l >= 1 && have >= 4 + (size_t)l) {
			str_vis(buf + 5, l - 1, text, sizeof(text));
			printf("; %s: %s", proto_type_name(buf[4]), text);
		}
	}
	printf("\n");
}

int
main(int argc, char **argv)
{
	const char *ca = NULL, *cert = NULL, *key = NULL, *name = "peer";
	const char *secret = NULL, *mode;
	struct addrinfo hints, *ai;
	struct timeval tv = { 30, 0 };
	uint8_t hdr[PROTO_HDRLEN], junk[4096];
	char hello[512];
	int i, n;
	int64_t start;

	if (argc < 4) {
		fprintf(stderr, "usage: lwpeer host port mode [options]\n");
		return 2;
	}
	mode = argv[3];
	for (i = 4; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "-ca") == 0)
			ca = argv[i + 1];
		else if (strcmp(argv[i], "-cert") == 0)
			cert = argv[i + 1];
		else if (strcmp(argv[i], "-key") == 0)
			key = argv[i + 1];
		else if (strcmp(argv[i], "-name") == 0)
			name = argv[i + 1];
		else if (strcmp(argv[i], "-secret") == 0)
			secret = argv[i + 1];
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	atexit(release);
	if (getaddrinfo(argv[1], argv[2], &hints, &ai) != 0)
		return 2;
	p.fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (connect(p.fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		perror("connect");
		freeaddrinfo(ai);
		return 2;
	}
	freeaddrinfo(ai);
	setsockopt(p.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	start = mono_ms();
	if (strcmp(mode, "tcponly") == 0) {
		await_close(&p, start);
		return 0;
	}
	if (ca != NULL) {
		p.ctx = SSL_CTX_new(TLS_client_method());
		SSL_CTX_load_verify_locations(p.ctx, ca, NULL);
		if (cert != NULL) {
			SSL_CTX_use_certificate_chain_file(p.ctx, cert);
			SSL_CTX_use_PrivateKey_file(p.ctx, key,
			    SSL_FILETYPE_PEM);
		}
		p.ssl = SSL_new(p.ctx);
		SSL_set_fd(p.ssl, p.fd);
		if (SSL_connect(p.ssl) != 1) {
			printf("handshake failed after %lld ms\n",
			    (long long)(mono_ms() - start));
			return 0;
		}
		/* TLS 1.3: a refused client certificate shows on first read. */
	}
	if (strcmp(mode, "garbage") == 0) {
		for (i = 0; i < (int)sizeof(junk); i++)
			junk[i] = (uint8_t)(i * 7 + 13);
		junk[4] = 0xee;
		pwrite_all(&p, junk, sizeof(junk));
	} else if (strcmp(mode, "oversize") == 0) {
		proto_header(hdr, PROTO_EVENT, 16 << 20);
		pwrite_all(&p, hdr, sizeof(hdr));
		pwrite_all(&p, junk, sizeof(junk));
	} else if (strcmp(mode, "hello") == 0) {
		n = snprintf(hello, sizeof(hello), "{\"proto\":1,\"agent\":"
		    "\"%s\",\"instance\":\"0123456789abcdef0123456789abcdef\""
		    "%s%s%s}", name, secret ? ",\"secret\":\"" : "",
		    secret ? secret : "", secret ? "\"" : "");
		proto_header(hdr, PROTO_HELLO, (size_t)n);
		pwrite_all(&p, hdr, sizeof(hdr));
		pwrite_all(&p, hello, (size_t)n);
		n = (int)pread_some(&p, junk, sizeof(junk));
		if (n >= PROTO_HDRLEN && junk[4] == PROTO_WELCOME) {
			printf("WELCOME %.*s\n", n - PROTO_HDRLEN,
			    (char *)junk + PROTO_HDRLEN);
			return 0;
		}
		if (n >= PROTO_HDRLEN) {
			char text[1024];

			str_vis(junk + 5, (size_t)n - 5, text, sizeof(text));
			printf("closed after %lld ms; %s: %s\n",
			    (long long)(mono_ms() - start),
			    proto_type_name(junk[4]), text);
			return 0;
		}
		printf("closed after %lld ms\n", (long long)(mono_ms() -
		    start));
		return 0;
	} else if (strcmp(mode, "halfopen") != 0) {
		fprintf(stderr, "lwpeer: unknown mode %s\n", mode);
		return 2;
	}
	await_close(&p, start);
	return 0;
}
