/*
 * The collector's network side: a libevent listener, one bufferevent per
 * agent connection (TLS through bufferevent_openssl unless --insecure),
 * frame splitting, per-connection limits, and acks after each commit -
 * which the store's writer thread makes (store_async()) while this one
 * reads on; its descriptor says when.
 * Policy lives in ingest.c; this file only moves bytes and enforces
 * bounds: a frame over max-frame, a stream that is not ours, a failed
 * handshake or an idle peer costs that peer its connection and nothing
 * else, with one log line naming the peer and the reason.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/ssl.h>

#include "collector.h"
#include "leakwatch/log.h"
#include "leakwatch/proto.h"
#include "leakwatch/tls.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define LINGER_MS	2000	/* time to deliver an ERROR before closing */

struct conn {
	TAILQ_ENTRY(conn)	 entry;
	struct server		*srv;
	struct bufferevent	*bev;
	struct event		*linger;
	struct ingest_peer	 peer;
	uint64_t		 acked_sent;
	int			 tls_checked;
	int			 closing;
};

struct server {
	struct event_base		*base;
	const struct collector_config	*cfg;
	struct ingest_ctx		*ingest;
	struct evconnlistener		*lev;
	struct event			*commit_ev;
	struct event			*written_ev;
	struct timeval			 commit_tv;
	SSL_CTX				*ssl;
	TAILQ_HEAD(, conn)		 conns;
	size_t				 nconns;
};

static void	conn_free(struct conn *);

static void
set_timeout(struct conn *c, long long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	bufferevent_set_timeouts(c->bev, &tv, NULL);
}

static void
send_frame(struct conn *c, enum proto_type type, const void *p, size_t len)
{
	uint8_t hdr[PROTO_HDRLEN];

	proto_header(hdr, type, len);
	bufferevent_write(c->bev, hdr, sizeof(hdr));
	if (len > 0)
		bufferevent_write(c->bev, p, len);
}

static void
linger_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_free(arg);
}

/* The peer closed (or failed) while we lingered: nothing more to say. */
static void
gone_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	conn_free(arg);
}

/* While lingering, what the peer still sends is read and dropped. */
static void
discard_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);

	(void)arg;
	evbuffer_drain(in, evbuffer_get_length(in));
}

/*
 * The ERROR frame is out. A socket closed with unread input resets, and
 * a reset can discard the ERROR before the peer reads it (a peer still
 * sending an oversized frame, say): so half-close instead, keep reading
 * and dropping, and free the connection when the peer closes its end or
 * LINGER_MS is up.
 */
static void
drained_cb(struct bufferevent *bev, void *arg)
{
	bufferevent_setcb(bev, discard_cb, NULL, gone_cb, arg);
	(void)shutdown(bufferevent_getfd(bev), SHUT_WR);
}

/*
 * Ends a connection for a reason worth telling the operator. With
 * tell_peer the agent gets an ERROR frame first (it logs the reason on its
 * side); the connection is freed once the peer has closed its end after
 * it, or after LINGER_MS.
 */
static void
conn_close(struct conn *c, const char *reason, int tell_peer)
{
	struct timeval tv = { LINGER_MS / 1000, 0 };

	if (c->closing)
		return;
	c->closing = 1;
	log_warnx("%s%s%s: closing connection: %s", c->peer.addr,
	    c->peer.agent[0] ? " agent " : "", c->peer.agent, reason);
	if (!tell_peer) {
		conn_free(c);
		return;
	}
	send_frame(c, PROTO_ERROR, reason, strlen(reason));
	bufferevent_setcb(c->bev, discard_cb, drained_cb, gone_cb, c);
	bufferevent_enable(c->bev, EV_READ);
	c->linger = evtimer_new(c->srv->base, linger_cb, c);
	evtimer_add(c->linger, &tv);
}

static void
conn_free(struct conn *c)
{
	struct server *srv = c->srv;

	if (c->peer.authenticated)
		store_agent_seen(srv->ingest->store, c->peer.agent,
		    c->peer.instance, c->peer.addr, 0, now_us());
	TAILQ_REMOVE(&srv->conns, c, entry);
	srv->nconns--;
	if (c->linger != NULL)
		event_free(c->linger);
	bufferevent_free(c->bev);
	free(c);
}

/* Only one live connection per agent: the newest wins. */
static void
close_others(struct server *srv, struct conn *keep)
{
	struct conn *c, *next;

	for (c = TAILQ_FIRST(&srv->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c != keep && c->peer.authenticated && !c->closing &&
		    strcmp(c->peer.agent, keep->peer.agent) == 0)
			conn_close(c, "replaced by a newer connection", 1);
	}
}

/*
 * Acks what the writer made durable and wakes the scorer for it; a full
 * batch tells the scorer a burst is on (it steps aside), one the timer
 * closed that the burst is over.
 */
static void
durable(struct server *srv)
{
	uint64_t size;

	if (store_reap(srv->ingest->store, &size) == 0)
		return;
	server_acks(srv);
	scorer_kick(srv->ingest->scorer,
	    size >= (uint64_t)srv->cfg->commit_events);
}

/*
 * Closes the open batch and hands it to the writer. A full batch also
 * restarts the commit timer: what arrives after it still waits at most
 * commit-interval, and a burst is committed in full batches only, not
 * cut by the timer every commit-interval.
 */
static void
flush(struct server *srv)
{
	uint64_t n = store_pending(srv->ingest->store);
	int full = n >= (uint64_t)srv->cfg->commit_events;

	if (n == 0)
		return;
	if (store_commit(srv->ingest->store) != 0)
		return;		/* logged; no acks until a commit works */
	if (full && srv->commit_ev != NULL)
		event_add(srv->commit_ev, &srv->commit_tv);
	/* the hand-over may have waited for the batch before: ack it */
	durable(srv);
}

void
server_acks(struct server *srv)
{
	struct conn *c;
	uint8_t seq[8];
	uint64_t committed;

	TAILQ_FOREACH(c, &srv->conns, entry) {
		if (!c->peer.authenticated || c->closing)
			continue;
		committed = stream_committed(c->peer.stream);
		if (committed <= c->acked_sent)
			continue;
		proto_put_u64(seq, committed);
		send_frame(c, PROTO_ACK, seq, sizeof(seq));
		c->acked_sent = committed;
	}
}

static int
check_tls_peer(struct conn *c)
{
	SSL *ssl;
	int rc;

	if (c->tls_checked || c->srv->ssl == NULL)
		return 0;
	c->tls_checked = 1;
	if ((ssl = bufferevent_openssl_get_ssl(c->bev)) == NULL)
		return 0;
	rc = tls_peer_cn(ssl, c->peer.cn, sizeof(c->peer.cn));
	if (rc < 0) {
		c->peer.cn[0] = '\0';
		conn_close(c, "client certificate did not verify", 0);
		return -1;
	}
	if (rc == 0)
		c->peer.cn[0] = '\0';
	return 0;
}

static enum ingest_result
handle_frame(struct conn *c, const struct proto_frame *f, char *err,
    size_t errlen)
{
	struct ingest_ctx *ctx = c->srv->ingest;
	char reply[512];
	enum ingest_result rc;

	switch (f->type) {
	case PROTO_HELLO:
		rc = ingest_hello(ctx, &c->peer, f->payload, f->len, reply,
		    sizeof(reply), err, errlen);
		if (rc != INGEST_OK)
			return rc;
		log_info("%s: agent %s connected (instance %s, acked %"
		    PRIu64 ")", c->peer.addr, c->peer.agent, c->peer.instance,
		    stream_committed(c->peer.stream));
		send_frame(c, PROTO_WELCOME, reply, strlen(reply));
		c->acked_sent = stream_committed(c->peer.stream);
		set_timeout(c, c->srv->cfg->idle_timeout);
		close_others(c->srv, c);
		return INGEST_OK;
	case PROTO_EVENT:
		return ingest_event(ctx, &c->peer, f->payload, f->len, err,
		    errlen);
	case PROTO_STATUS:
		return ingest_status(ctx, &c->peer, f->payload, f->len, err,
		    errlen);
	case PROTO_GAP:
		return ingest_gap(ctx, &c->peer, f->payload, f->len, err,
		    errlen);
	default:
		snprintf(err, errlen, "unexpected %s frame from an agent",
		    proto_type_name(f->type));
		return INGEST_CLOSE;
	}
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct proto_frame f;
	uint8_t hdr[PROTO_HDRLEN], *p;
	size_t have, used, need;
	char err[256];
	int rc;

	if (check_tls_peer(c) != 0)
		return;
	while (!c->closing && (have = evbuffer_get_length(in)) >=
	    PROTO_HDRLEN) {
		evbuffer_copyout(in, hdr, sizeof(hdr));
		rc = proto_decode(hdr, sizeof(hdr), (size_t)c->srv->cfg->max_frame,
		    &f, &used, err, sizeof(err));
		if (rc < 0) {
			c->srv->ingest->frames_bad++;
			conn_close(c, err, 1);
			return;
		}
		need = 4 + ((size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 |
		    (size_t)hdr[2] << 8 | hdr[3]);
		if (have < need)
			break;
		p = evbuffer_pullup(in, (ev_ssize_t)need);
		if (proto_decode(p, need, (size_t)c->srv->cfg->max_frame, &f,
		    &used, err, sizeof(err)) != 1) {
			conn_close(c, err, 1);
			return;
		}
		rc = handle_frame(c, &f, err, sizeof(err));
		evbuffer_drain(in, used);
		if (rc != INGEST_OK) {
			conn_close(c, err, 1);
			return;
		}
		if (store_pending(c->srv->ingest->store) >=
		    (uint64_t)c->srv->cfg->commit_events)
			flush(c->srv);
	}
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	char err[512], why[600];
	unsigned long e;

	if (what & BEV_EVENT_CONNECTED) {
		check_tls_peer(c);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		snprintf(why, sizeof(why), c->peer.authenticated ?
		    "idle for %lld ms" : "no HELLO within %lld ms",
		    c->peer.authenticated ? c->srv->cfg->idle_timeout :
		    c->srv->cfg->hello_timeout);
		conn_close(c, why, !c->peer.authenticated ? 0 : 1);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		if (c->srv->ssl != NULL &&
		    (e = bufferevent_get_openssl_error(bev)) != 0) {
			tls_errstr(e, err, sizeof(err));
			snprintf(why, sizeof(why), "TLS: %s", err);
		} else
			snprintf(why, sizeof(why), "%s",
			    evutil_socket_error_to_string(
			    EVUTIL_SOCKET_ERROR()));
		conn_close(c, why, 0);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		if (c->peer.authenticated)
			log_info("%s: agent %s disconnected", c->peer.addr,
			    c->peer.agent);
		else
			log_warnx("%s: closed before HELLO", c->peer.addr);
		c->closing = 1;
		conn_free(c);
	}
}

static void
addr_string(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(buf, len, "%s:%d", host, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(buf, len, "[%s]:%d", host, port);
	} else
		snprintf(buf, len, "unknown");
}

static void
accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct server *srv = arg;
	struct conn *c;
	SSL *ssl;
	char addr[64];
	int one = 1;

	(void)lev;
	(void)salen;
	addr_string(sa, addr, sizeof(addr));
	if (srv->nconns >= (size_t)srv->cfg->max_connections) {
		log_warnx("%s: refused: %zu connections already (max-"
		    "connections)", addr, srv->nconns);
		evutil_closesocket(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = xcalloc(1, sizeof(*c));
	c->srv = srv;
	memcpy(c->peer.addr, addr, sizeof(c->peer.addr));
	if (srv->ssl != NULL) {
		if ((ssl = SSL_new(srv->ssl)) == NULL) {
			log_warnx("%s: refused: SSL_new failed", addr);
			evutil_closesocket(fd);
			free(c);
			return;
		}
		c->bev = bufferevent_openssl_socket_new(srv->base, fd, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		if (c->bev != NULL)
			bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	} else
		c->bev = bufferevent_socket_new(srv->base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		log_warnx("%s: refused: cannot allocate a bufferevent", addr);
		evutil_closesocket(fd);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&srv->conns, c, entry);
	srv->nconns++;
	bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0,
	    (size_t)srv->cfg->read_buffer);
	set_timeout(c, srv->cfg->hello_timeout);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	log_debug("%s: connection accepted", addr);
}

static void
accept_error_cb(struct evconnlistener *lev, void *arg)
{
	(void)lev;
	(void)arg;
	/* EMFILE and friends: keep listening, the next accept may work. */
	log_warn("accept");
}

static void
commit_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	flush(arg);
}

static void
written_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	durable(arg);
}

struct server *
server_new(struct event_base *base, const struct collector_config *cfg,
    struct ingest_ctx *ingest, char *err, size_t errlen)
{
	struct server *srv;
	struct evutil_addrinfo hints, *ai = NULL;
	char host[256], port[16];
	struct timeval tv = { cfg->commit_interval / 1000,
	    (cfg->commit_interval % 1000) * 1000 };
	int rc, fd;

	if (hostport_split(cfg->listen, host, sizeof(host), port,
	    sizeof(port)) != 0) {
		snprintf(err, errlen, "listen: expected ADDR:PORT, got \"%s\"",
		    cfg->listen);
		return NULL;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = EVUTIL_AI_PASSIVE | EVUTIL_AI_NUMERICSERV;
	rc = evutil_getaddrinfo(host[0] && strcmp(host, "*") ? host : NULL,
	    port, &hints, &ai);
	if (rc != 0) {
		snprintf(err, errlen, "listen %s: %s", cfg->listen,
		    evutil_gai_strerror(rc));
		return NULL;
	}
	srv = xcalloc(1, sizeof(*srv));
	srv->base = base;
	srv->cfg = cfg;
	srv->ingest = ingest;
	TAILQ_INIT(&srv->conns);
	if (!cfg->insecure) {
		srv->ssl = tls_server_ctx(cfg->tls_cert, cfg->tls_key,
		    cfg->tls_client_ca, cfg->agent_secrets == NULL, err,
		    errlen);
		if (srv->ssl == NULL)
			goto fail;
	}
	srv->lev = evconnlistener_new_bind(base, accept_cb, srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    1024, ai->ai_addr, (int)ai->ai_addrlen);
	if (srv->lev == NULL) {
		snprintf(err, errlen, "listen %s: %s", cfg->listen,
		    strerror(errno));
		goto fail;
	}
	evconnlistener_set_error_cb(srv->lev, accept_error_cb);
	srv->commit_ev = event_new(base, -1, EV_PERSIST, commit_cb, srv);
	srv->commit_tv = tv;
	event_add(srv->commit_ev, &tv);
	if ((fd = store_async(ingest->store, err, errlen)) == -1)
		goto fail;
	srv->written_ev = event_new(base, fd, EV_READ | EV_PERSIST,
	    written_cb, srv);
	event_add(srv->written_ev, NULL);
	evutil_freeaddrinfo(ai);
	return srv;
fail:
	evutil_freeaddrinfo(ai);
	server_free(srv);
	return NULL;
}

size_t
server_nconns(const struct server *srv)
{
	return srv->nconns;
}

/*
 * Commits what is pending, acks it, and drops every connection. Returns
 * -1 if the store gave something up (store_drain(): shutdown-timeout),
 * so the exit status tells. After one give-up the store writes no more,
 * so the second drain returns at once.
 */
int
server_free(struct server *srv)
{
	struct conn *c;
	uint64_t size;
	int rc = 0;

	if (srv == NULL)
		return 0;
	if (store_drain(srv->ingest->store) != 0)
		rc = -1;
	durable(srv);
	while ((c = TAILQ_FIRST(&srv->conns)) != NULL) {
		c->closing = 1;
		conn_free(c);
	}
	if (store_drain(srv->ingest->store) != 0)
		rc = -1;
	store_reap(srv->ingest->store, &size);
	scorer_kick(srv->ingest->scorer, 0);
	if (srv->written_ev != NULL)
		event_free(srv->written_ev);
	if (srv->commit_ev != NULL)
		event_free(srv->commit_ev);
	if (srv->lev != NULL)
		evconnlistener_free(srv->lev);
	SSL_CTX_free(srv->ssl);
	free(srv);
	return rc;
}
