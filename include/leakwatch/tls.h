/*
 * OpenSSL set-up shared by both ends of the agent <-> collector link:
 * contexts with TLS 1.2 as the floor, peer verification on, and helpers to
 * name the verified peer. Connections themselves are libevent's
 * bufferevent_openssl; this file builds the SSL objects and, for the two
 * clients (the agent's uplink, the SIEM forwarder), their bufferevents.
 */
#ifndef LEAKWATCH_TLS_H
#define LEAKWATCH_TLS_H

#include <stddef.h>
#include <openssl/ssl.h>

/*
 * Server context. client_ca NULL: no client certificates asked for (agents
 * must then use secrets); crl (or NULL) lists revoked client certificates.
 * require_cert: refuse a handshake without one.
 */
SSL_CTX	*tls_server_ctx(const char *cert, const char *key,
	    const char *client_ca, const char *crl, int require_cert,
	    char *err, size_t errlen);
/* Why the peer's certificate did not verify, or NULL. */
const char *tls_verify_result(const SSL *);
/* A live session's client certificate against a newer context. */
int	 tls_peer_recheck(SSL *, SSL_CTX *, char *err, size_t errlen);
/* Client context verifying the server against ca; cert/key optional. */
SSL_CTX	*tls_client_ctx(const char *ca, const char *cert, const char *key,
	    char *err, size_t errlen);
/* A client SSL bound to the name (DNS name or IP literal) to verify. */
SSL	*tls_client_ssl(SSL_CTX *, const char *server_name, char *err,
	    size_t errlen);
/*
 * A client bufferevent, not yet connected: TLS over ctx verifying name,
 * or plain TCP when ctx is NULL. NULL with err set when the SSL object
 * cannot be made; running out of memory is fatal.
 */
struct event_base;
struct bufferevent;
struct bufferevent *tls_client_bev(struct event_base *, SSL_CTX *ctx,
	    const char *name, char *err, size_t errlen);
/*
 * The two clients' address lookup: host and a numeric port, socktype
 * SOCK_STREAM or SOCK_DGRAM, flags more EVUTIL_AI_ flags. 0 with *ai to
 * free (evutil_freeaddrinfo), or an error for evutil_gai_strerror().
 */
struct evutil_addrinfo;
int	 tls_client_addr(const char *host, const char *port, int socktype,
	    int flags, struct evutil_addrinfo **ai);
/*
 * Why a client bufferevent failed, into buf: the queued TLS errors when
 * tls and there are some (returns 1), else the socket's error (0).
 */
int	 tls_bev_error(struct bufferevent *, int tls, char *buf,
	    size_t len);
/* CN of the verified peer certificate: 1 found, 0 none, -1 error. */
int	 tls_peer_cn(SSL *, char *buf, size_t len);
/* The queued OpenSSL errors as one line (consumes them). */
void	 tls_errstr(unsigned long first, char *buf, size_t len);

#endif
