/*
 * TLS contexts for the agent <-> collector link. Both sides verify: the
 * agent checks the collector's certificate and name against its CA, the
 * collector checks client certificates against the agents' CA when one is
 * configured. There is no "TLS without checks" mode; the only way to turn
 * verification off is --insecure, which turns TLS off altogether.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/util.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "leakwatch/log.h"
#include "leakwatch/tls.h"

#define TLS12_CIPHERS	"ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL"

void
tls_errstr(unsigned long first, char *buf, size_t len)
{
	unsigned long e;
	size_t n = 0;

	buf[0] = '\0';
	if (first != 0) {
		ERR_error_string_n(first, buf, len);
		n = strlen(buf);
	}
	while ((e = ERR_get_error()) != 0 && n + 3 < len) {
		if (n > 0) {
			buf[n++] = ';';
			buf[n++] = ' ';
		}
		ERR_error_string_n(e, buf + n, len - n);
		n = strlen(buf);
	}
	if (n == 0)
		snprintf(buf, len, "unknown TLS error");
}

static SSL_CTX *
ctx_new(const SSL_METHOD *m, char *err, size_t errlen)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(m)) == NULL) {
		tls_errstr(0, err, errlen);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* TLS 1.2: forward-secret AEAD suites only, no CBC (TLS 1.3's
	 * suites are all AEAD already). */
	if (SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1) {
		tls_errstr(0, err, errlen);
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	return ctx;
}

static int
load_pair(SSL_CTX *ctx, const char *cert, const char *key, char *err,
    size_t errlen)
{
	char e[256];

	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		tls_errstr(0, e, sizeof(e));
		snprintf(err, errlen, "certificate %s: %s", cert, e);
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		tls_errstr(0, e, sizeof(e));
		snprintf(err, errlen, "key %s: %s", key, e);
		return -1;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "key %s does not match certificate %s",
		    key, cert);
		return -1;
	}
	return 0;
}

static int
load_ca(SSL_CTX *ctx, const char *ca, char *err, size_t errlen)
{
	char e[256];

	if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		tls_errstr(0, e, sizeof(e));
		snprintf(err, errlen, "CA file %s: %s", ca, e);
		return -1;
	}
	return 0;
}

/*
 * Every CRL in a PEM file, checked for the client's own certificate
 * (X509_V_FLAG_CRL_CHECK: the leaf; its issuer must have a CRL in the
 * file, or verification fails, which is the safe side).
 */
static int
load_crl(SSL_CTX *ctx, const char *path, char *err, size_t errlen)
{
	X509_STORE *st = SSL_CTX_get_cert_store(ctx);
	X509_CRL *crl;
	BIO *b;
	char e[256];
	int n = 0;

	if ((b = BIO_new_file(path, "r")) == NULL) {
		tls_errstr(0, e, sizeof(e));
		snprintf(err, errlen, "CRL file %s: %s", path, e);
		return -1;
	}
	while ((crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL)) != NULL) {
		X509_STORE_add_crl(st, crl);
		X509_CRL_free(crl);
		n++;
	}
	ERR_clear_error();	/* the end of the file reads as an error */
	BIO_free(b);
	if (n == 0) {
		snprintf(err, errlen, "CRL file %s: no CRL in it", path);
		return -1;
	}
	X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK);
	return 0;
}

SSL_CTX *
tls_server_ctx(const char *cert, const char *key, const char *client_ca,
    const char *crl, int require_cert, char *err, size_t errlen)
{
	SSL_CTX *ctx;
	STACK_OF(X509_NAME) *names;

	if ((ctx = ctx_new(TLS_server_method(), err, errlen)) == NULL)
		return NULL;
	if (load_pair(ctx, cert, key, err, errlen) != 0)
		goto fail;
	if (client_ca != NULL) {
		if (load_ca(ctx, client_ca, err, errlen) != 0)
			goto fail;
		if (crl != NULL && load_crl(ctx, crl, err, errlen) != 0)
			goto fail;
		if ((names = SSL_load_client_CA_file(client_ca)) != NULL)
			SSL_CTX_set_client_CA_list(ctx, names);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (require_cert ?
		    SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

SSL_CTX *
tls_client_ctx(const char *ca, const char *cert, const char *key,
    char *err, size_t errlen)
{
	SSL_CTX *ctx;

	if ((ctx = ctx_new(TLS_client_method(), err, errlen)) == NULL)
		return NULL;
	if (load_ca(ctx, ca, err, errlen) != 0)
		goto fail;
	if (cert != NULL && load_pair(ctx, cert, key ? key : cert, err,
	    errlen) != 0)
		goto fail;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* An IP literal is checked against IP SANs, anything else as a DNS name. */
SSL *
tls_client_ssl(SSL_CTX *ctx, const char *name, char *err, size_t errlen)
{
	SSL *ssl;
	unsigned char addr[16];
	char sni[256];
	int isip;

	if ((ssl = SSL_new(ctx)) == NULL) {
		tls_errstr(0, err, errlen);
		return NULL;
	}
	isip = inet_pton(AF_INET, name, addr) == 1 ||
	    inet_pton(AF_INET6, name, addr) == 1;
	if (isip) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl),
		    name) != 1)
			goto fail;
	} else {
		/* The SNI macro takes a non-const pointer: give it a copy. */
		if (snprintf(sni, sizeof(sni), "%s", name) >= (int)sizeof(sni) ||
		    SSL_set1_host(ssl, name) != 1 ||
		    SSL_set_tlsext_host_name(ssl, sni) != 1)
			goto fail;
	}
	return ssl;
fail:
	snprintf(err, errlen, "cannot verify against name \"%s\"", name);
	SSL_free(ssl);
	return NULL;
}

struct bufferevent *
tls_client_bev(struct event_base *base, SSL_CTX *ctx, const char *name,
    char *err, size_t errlen)
{
	struct bufferevent *bev;
	SSL *ssl;

	if (ctx == NULL)
		bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	else {
		if ((ssl = tls_client_ssl(ctx, name, err, errlen)) == NULL)
			return NULL;
		bev = bufferevent_openssl_socket_new(base, -1, ssl,
		    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	}
	if (bev == NULL)
		fatalx("cannot allocate a bufferevent");
	return bev;
}

int
tls_client_addr(const char *host, const char *port, int socktype,
    int flags, struct evutil_addrinfo **ai)
{
	struct evutil_addrinfo hints;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = socktype;
	hints.ai_flags = EVUTIL_AI_NUMERICSERV | flags;
	*ai = NULL;
	return evutil_getaddrinfo(host, port, &hints, ai);
}

int
tls_bev_error(struct bufferevent *bev, int tls, char *buf, size_t len)
{
	unsigned long e;

	if (tls && (e = bufferevent_get_openssl_error(bev)) != 0) {
		tls_errstr(e, buf, len);
		return 1;
	}
	snprintf(buf, len, "%s", evutil_socket_error_to_string(
	    EVUTIL_SOCKET_ERROR()));
	return 0;
}

int
tls_peer_cn(SSL *ssl, char *buf, size_t len)
{
	X509 *cert;
	int n;

	if ((cert = SSL_get1_peer_certificate(ssl)) == NULL)
		return 0;
	if (SSL_get_verify_result(ssl) != X509_V_OK) {
		X509_free(cert);
		return -1;
	}
	n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert),
	    NID_commonName, buf, (int)len);
	X509_free(cert);
	if (n <= 0 || (size_t)n >= len || strlen(buf) != (size_t)n)
		return -1;
	return 1;
}

/*
 * Checks a live session's client certificate again, against ctx (a
 * context made after a reload: new CA file, new CRL). 0 when it still
 * verifies or the peer sent none; -1 with the reason when it does not.
 */
int
tls_peer_recheck(SSL *ssl, SSL_CTX *ctx, char *err, size_t errlen)
{
	X509 *cert = SSL_get0_peer_certificate(ssl);
	X509_STORE_CTX *vc;
	int ok;

	if (cert == NULL)
		return 0;
	if ((vc = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(vc, SSL_CTX_get_cert_store(ctx), cert,
	    SSL_get_peer_cert_chain(ssl)) != 1) {
		X509_STORE_CTX_free(vc);
		snprintf(err, errlen, "cannot check the certificate again");
		return -1;
	}
	X509_STORE_CTX_set_purpose(vc, X509_PURPOSE_SSL_CLIENT);
	ok = X509_verify_cert(vc) == 1;
	if (!ok)
		snprintf(err, errlen, "certificate no longer valid: %s",
		    X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(vc)));
	X509_STORE_CTX_free(vc);
	return ok ? 0 : -1;
}

/* Why the peer's certificate failed to verify, or NULL if it did not. */
const char *
tls_verify_result(const SSL *ssl)
{
	long r;

	if (ssl == NULL || (r = SSL_get_verify_result(ssl)) == X509_V_OK)
		return NULL;
	return X509_verify_cert_error_string(r);
}
