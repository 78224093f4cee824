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

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "leakwatch/tls.h"

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

SSL_CTX *
tls_server_ctx(const char *cert, const char *key, const char *client_ca,
    int require_cert, char *err, size_t errlen)
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
