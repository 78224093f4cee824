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
 *
 * Before its HELLO is accepted a peer is "pending" and holds as little
 * as possible: a hard deadline from accept (hello-timeout, TLS handshake
 * included, however slowly the peer trickles bytes), a frame cap of
 * PROTO_HELLO_MAX checked on the header before any payload is buffered,
 * and a read watermark to match. Pending peers are limited in all
 * (max-pending) and per source address (max-pending-per-address); when
 * the table is full the oldest pending peer makes room for the newest,
 * so an attacker holding half-open connections delays a real agent by
 * one handshake at most, and never locks it out.
 */
#include <sys/queue.h>
#include <sys/resource.h>
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
#define FD_RESERVE	64	/* descriptors beyond max-connections */
#define ACCEPT_PAUSE_MS	250	/* out of descriptors: wait, then retry */
#define TLS_RECORD_MAX	(5 + 16384 + 2048)	/* header + TLSCiphertext */

/*
 * A message that may repeat at line rate (a flood of peers) is logged
 * through a token bucket: a burst, then a steady rate, and the next
 * line that gets through says how many were left out.
 */
struct ratelim {
	double		 tokens;
	int64_t		 last_us;
	uint64_t	 suppressed;
};

struct conn {
	TAILQ_ENTRY(conn)	 entry;
	struct server		*srv;
	struct bufferevent	*bev;
	struct event		*linger;
	struct event		*deadline;	/* pending: HELLO by then */
	struct event		*peek;		/* TLS: waiting for ClientHello */
	evutil_socket_t		 fd;
	struct ingest_peer	 peer;
	char			 host[INET6_ADDRSTRLEN + 2];
	uint64_t		 acked_sent;
	int			 tls_checked;
	int			 closing;
	int			 pending;	/* no HELLO accepted yet */
	int			 handshaking;	/* pending, with a TLS session */
};

struct server {
	struct event_base		*base;
	const struct collector_config	*cfg;
	struct ingest_ctx		*ingest;
	struct evconnlistener		*lev;
	struct event			*commit_ev;
	struct event			*written_ev;
	struct timeval			 commit_tv;
	struct event			*resume_ev;	/* accept again */
	int				 peek_et;	/* edge-triggered events */
	uint8_t				 peekbuf[TLS_RECORD_MAX];
	SSL_CTX				*ssl;
	TAILQ_HEAD(, conn)		 conns;	/* oldest first */
	size_t				 nconns;
	size_t				 npending;
	size_t				 nhandshaking;
	struct ratelim			 refused_rl;
	struct ratelim			 accept_rl;
	struct ratelim			 closed_rl;	/* pending peers */
	struct ratelim			 handshake_rl;
};

static void	conn_free(struct conn *);

/*
 * 1 when a message of this kind may be logged now (then *suppressed says
 * how many were left out since the last one), 0 when it must be left out.
 */
static int
ratelim_ok(struct ratelim *rl, double per_s, double burst,
    uint64_t *suppressed)
{
	int64_t now = now_us();

	if (rl->last_us == 0)
		rl->tokens = burst;
	else
		rl->tokens += (double)(now - rl->last_us) / 1e6 * per_s;
	if (rl->tokens > burst)
		rl->tokens = burst;
	rl->last_us = now;
	if (rl->tokens < 1) {
		rl->suppressed++;
		return 0;
	}
	rl->tokens -= 1;
	*suppressed = rl->suppressed;
	rl->suppressed = 0;
	return 1;
}

/* A pending peer is pending no more: authenticated, or being freed. */
static void
conn_settle(struct conn *c)
{
	if (!c->pending)
		return;
	c->pending = 0;
	c->srv->npending--;
	if (c->handshaking) {
		c->handshaking = 0;
		c->srv->nhandshaking--;
	}
	if (c->deadline != NULL) {
		event_free(c->deadline);
		c->deadline = NULL;
	}
}

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
	uint64_t more = 0;
	char left[96] = "";

	if (c->closing)
		return;
	c->closing = 1;
	/* Anyone can make pending peers fail: their lines are bounded. */
	if (!c->pending || ratelim_ok(&c->srv->closed_rl, 10, 20, &more)) {
		if (more > 0)
			snprintf(left, sizeof(left), " (%llu such lines about "
			    "unauthenticated peers left out before this one)",
			    (unsigned long long)more);
		log_warnx("%s%s%s: closing connection: %s%s", c->peer.addr,
		    c->peer.agent[0] ? " agent " : "", c->peer.agent, reason,
		    left);
	}
	if (!tell_peer || c->bev == NULL) {
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
	conn_settle(c);
	TAILQ_REMOVE(&srv->conns, c, entry);
	srv->nconns--;
	ev_free(c->linger);
	ev_free(c->peek);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	else
		evutil_closesocket(c->fd);
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
		conn_settle(c);
		set_timeout(c, c->srv->cfg->idle_timeout);
		bufferevent_setwatermark(c->bev, EV_READ, 0,
		    (size_t)c->srv->cfg->read_buffer);
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
	size_t have, used, need, max;
	char err[256];
	int rc;

	if (check_tls_peer(c) != 0)
		return;
	while (!c->closing && (have = evbuffer_get_length(in)) >=
	    PROTO_HDRLEN) {
		/* A pending peer's frame is a HELLO: cap it before its
		 * payload is waited for, not after it is buffered. */
		max = c->pending ? PROTO_HELLO_MAX :
		    (size_t)c->srv->cfg->max_frame;
		evbuffer_copyout(in, hdr, sizeof(hdr));
		rc = proto_decode(hdr, sizeof(hdr), max, &f, &used, err,
		    sizeof(err));
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
		if (proto_decode(p, need, max, &f, &used, err,
		    sizeof(err)) != 1) {
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
	char err[512], why[700];
	const char *vr;
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
			vr = tls_verify_result(bufferevent_openssl_get_ssl(bev));
			snprintf(why, sizeof(why), "TLS: %s%s%s%s", err,
			    vr != NULL ? " (" : "", vr != NULL ? vr : "",
			    vr != NULL ? ")" : "");
		} else
			snprintf(why, sizeof(why), "%s",
			    evutil_socket_error_to_string(
			    EVUTIL_SOCKET_ERROR()));
		conn_close(c, why, 0);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		if (!c->peer.authenticated) {
			conn_close(c, "peer closed before its HELLO", 0);
			return;
		}
		log_info("%s: agent %s disconnected", c->peer.addr,
		    c->peer.agent);
		c->closing = 1;
		conn_free(c);
	}
}

/* "host:port" (or "[v6]:port") for logs, and the bare host for limits. */
static void
addr_strings(const struct sockaddr *sa, char *addr, size_t addrlen,
    char *host, size_t hostlen)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, host, hostlen);
		snprintf(addr, addrlen, "%s:%d", host, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, hostlen);
		snprintf(addr, addrlen, "[%s]:%d", host,
		    ntohs(in6->sin6_port));
	} else {
		snprintf(host, hostlen, "unknown");
		snprintf(addr, addrlen, "unknown");
	}
}

/* The HELLO deadline passed, however busy the peer kept the socket. */
static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	char why[128];

	(void)fd;
	(void)what;
	snprintf(why, sizeof(why), "no HELLO within %lld ms of connecting",
	    c->srv->cfg->hello_timeout);
	conn_close(c, why, 0);
}

static size_t
pending_from(const struct server *srv, const char *host)
{
	const struct conn *c;
	size_t n = 0;

	TAILQ_FOREACH(c, &srv->conns, entry)
		if (c->pending && strcmp(c->host, host) == 0)
			n++;
	return n;
}

/*
 * Room for one more connection from host: 1, and *why NULL, or *why the
 * limit that made the oldest pending peer give way; 0 (and why) when the
 * new one must be refused. Authenticated agents never give way.
 */
static int
make_room(struct server *srv, const char *host, const char **why)
{
	const struct collector_config *cfg = srv->cfg;
	struct conn *c;

	if (pending_from(srv, host) >= (size_t)cfg->max_pending_addr) {
		*why = "max-pending-per-address";
		return 0;
	}
	if (srv->nconns < (size_t)cfg->max_connections &&
	    srv->npending < (size_t)cfg->max_pending)
		return 1;
	TAILQ_FOREACH(c, &srv->conns, entry)
		if (c->pending && !c->closing)
			break;
	if (c == NULL) {
		*why = "max-connections";
		return 0;
	}
	*why = srv->nconns >= (size_t)cfg->max_connections ?
	    "max-connections" : "max-pending";
	c->closing = 1;		/* quietly: refused() says it, rate-limited */
	conn_free(c);
	return 1;
}

/* Connection floods log one line a second, with a count of the rest. */
static void
refused(struct server *srv, const char *addr, const char *why,
    int displaced)
{
	uint64_t more;

	if (ratelim_ok(&srv->refused_rl, 1, 1, &more))
		log_warnx("%s: %s: %s reached (%zu connections, %zu pending; "
		    "%llu more refused or displaced since the last message)",
		    addr, displaced ? "accepted, the oldest pending peer "
		    "closed" : "refused", why, srv->nconns, srv->npending,
		    (unsigned long long)more);
}

/* The bufferevent of a connection ready for bytes: TLS or plaintext. */
static int
conn_start(struct conn *c)
{
	struct server *srv = c->srv;
	SSL *ssl;

	if (srv->ssl != NULL) {
		if ((ssl = SSL_new(srv->ssl)) == NULL)
			return -1;
		c->bev = bufferevent_openssl_socket_new(srv->base, c->fd, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		if (c->bev != NULL)
			bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	} else
		c->bev = bufferevent_socket_new(srv->base, c->fd,
		    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		return -1;
	bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
	/* Until its HELLO, a peer's input is bounded by one HELLO frame. */
	bufferevent_setwatermark(c->bev, EV_READ, 0,
	    PROTO_HDRLEN + PROTO_HELLO_MAX);
	set_timeout(c, srv->cfg->hello_timeout);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	return 0;
}

/*
 * A peer in the middle of its TLS handshake holds a session (about 44
 * KiB in OpenSSL 3), so only max-handshakes of them may: the oldest
 * makes room for the newest. A real agent's handshake takes
 * milliseconds; a peer that stalls in it gives way to the next one.
 */
static void
handshake_room(struct server *srv)
{
	struct conn *c;
	uint64_t more;

	if (srv->nhandshaking < (size_t)srv->cfg->max_handshakes)
		return;
	TAILQ_FOREACH(c, &srv->conns, entry)
		if (c->handshaking && !c->closing)
			break;
	if (c == NULL)
		return;
	if (ratelim_ok(&srv->handshake_rl, 1, 1, &more))
		log_warnx("%s: closed: max-handshakes reached (%zu in the "
		    "TLS handshake; %llu more closed for it since the last "
		    "message)", c->peer.addr, srv->nhandshaking,
		    (unsigned long long)more);
	c->closing = 1;
	conn_free(c);
}

/*
 * A TLS session costs about 40 KiB once OpenSSL reads a record, and a
 * peer that trickles a ClientHello would hold that for the whole
 * deadline. So the session starts only when the first record, the
 * ClientHello, is complete in the kernel's buffer (looked at with
 * MSG_PEEK, edge-triggered, so a partial record costs no CPU): until
 * then the peer holds a socket and this struct.
 */
static void
peek_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	uint8_t *buf = c->srv->peekbuf;
	ssize_t n;
	size_t need;

	/* A FIN behind unread bytes is invisible to a peek: EV_CLOSED. */
	if (what & EV_CLOSED) {
		conn_close(c, "closed before the TLS handshake", 0);
		return;
	}
	n = recv(fd, buf, TLS_RECORD_MAX, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR)) {
		conn_close(c, "closed before the TLS handshake", 0);
		return;
	}
	if (n <= 0)
		return;
	if (buf[0] != 0x16) {	/* handshake */
		conn_close(c, "not a TLS handshake", 0);
		return;
	}
	if (n < 5)
		return;
	need = 5 + ((size_t)buf[3] << 8 | buf[4]);
	if (need > TLS_RECORD_MAX) {
		conn_close(c, "TLS record over the protocol's limit", 0);
		return;
	}
	if ((size_t)n < need)
		return;
	event_free(c->peek);
	c->peek = NULL;
	handshake_room(c->srv);
	if (conn_start(c) != 0) {
		conn_close(c, "cannot set up TLS", 0);
		return;
	}
	c->handshaking = 1;
	c->srv->nhandshaking++;
}

static struct conn *
conn_new(struct server *srv, evutil_socket_t fd, const char *addr,
    const char *host)
{
	struct timeval tv = { srv->cfg->hello_timeout / 1000,
	    (srv->cfg->hello_timeout % 1000) * 1000 };
	struct conn *c;

	c = xcalloc(1, sizeof(*c));
	c->srv = srv;
	c->fd = fd;
	snprintf(c->peer.addr, sizeof(c->peer.addr), "%s", addr);
	snprintf(c->host, sizeof(c->host), "%s", host);
	c->deadline = evtimer_new(srv->base, deadline_cb, c);
	c->pending = 1;
	if (srv->ssl != NULL && srv->peek_et) {
		c->peek = event_new(srv->base, fd, EV_READ | EV_CLOSED |
		    EV_PERSIST | EV_ET, peek_cb, c);
		if (c->peek == NULL || event_add(c->peek, NULL) != 0)
			goto fail;
	} else if (conn_start(c) != 0)
		goto fail;
	evtimer_add(c->deadline, &tv);
	return c;
fail:
	ev_free(c->peek);
	event_free(c->deadline);
	free(c);
	return NULL;
}

static void
accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct server *srv = arg;
	struct conn *c;
	const char *why = NULL;
	char addr[64], host[INET6_ADDRSTRLEN + 2];
	int one = 1;

	(void)lev;
	(void)salen;
	addr_strings(sa, addr, sizeof(addr), host, sizeof(host));
	if (!make_room(srv, host, &why)) {
		refused(srv, addr, why, 0);
		evutil_closesocket(fd);
		return;
	}
	if (why != NULL)
		refused(srv, addr, why, 1);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((c = conn_new(srv, fd, addr, host)) == NULL) {
		log_warnx("%s: refused: cannot set up the connection", addr);
		evutil_closesocket(fd);
		return;
	}
	TAILQ_INSERT_TAIL(&srv->conns, c, entry);
	srv->nconns++;
	srv->npending++;
	log_debug("%s: connection accepted", addr);
}

static void
resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;

	(void)fd;
	(void)what;
	evconnlistener_enable(srv->lev);
}

/*
 * Out of descriptors (EMFILE, ENFILE) or buffers, accept() fails at once
 * and would fail again in a busy loop: stop accepting for a moment. The
 * connection that could not be accepted waits in the kernel's backlog.
 */
static void
accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct server *srv = arg;
	struct timeval tv = { 0, ACCEPT_PAUSE_MS * 1000 };
	int e = EVUTIL_SOCKET_ERROR();
	uint64_t more;

	if (ratelim_ok(&srv->accept_rl, 1, 1, &more))
		log_warnx("accept: %s; pausing %d ms (%zu connections)%s%llu "
		    "more since the last message",
		    evutil_socket_error_to_string(e), ACCEPT_PAUSE_MS,
		    srv->nconns, more ? "; " : "", (unsigned long long)more);
	evconnlistener_disable(lev);
	evtimer_add(srv->resume_ev, &tv);
}

/*
 * Every connection is a descriptor: raise the soft limit to what
 * max-connections needs, or refuse to start when the hard limit is
 * lower, rather than failing accept() later.
 */
static int
fd_limit(const struct collector_config *cfg, char *err, size_t errlen)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)cfg->max_connections + FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		snprintf(err, errlen, "getrlimit: %s", strerror(errno));
		return -1;
	}
	if (rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		snprintf(err, errlen, "max-connections %lld needs %llu open "
		    "files, but the limit is %llu: lower max-connections or "
		    "raise the limit (LimitNOFILE= in the unit, ulimit -n)",
		    cfg->max_connections, (unsigned long long)need,
		    (unsigned long long)rl.rlim_max);
		return -1;
	}
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		snprintf(err, errlen, "setrlimit to %llu open files: %s",
		    (unsigned long long)need, strerror(errno));
		return -1;
	}
	log_info("open files limit raised to %llu for max-connections %lld",
	    (unsigned long long)need, cfg->max_connections);
	return 0;
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
	rc = evutil_getaddrinfo(host[0] != '\0' && strcmp(host, "*") != 0 ?
	    host : NULL, port, &hints, &ai);
	if (rc != 0) {
		snprintf(err, errlen, "listen %s: %s", cfg->listen,
		    evutil_gai_strerror(rc));
		return NULL;
	}
	if (fd_limit(cfg, err, errlen) != 0) {
		evutil_freeaddrinfo(ai);
		return NULL;
	}
	srv = xcalloc(1, sizeof(*srv));
	srv->base = base;
	srv->cfg = cfg;
	srv->peek_et = (event_base_get_features(base) & (EV_FEATURE_ET |
	    EV_FEATURE_EARLY_CLOSE)) == (EV_FEATURE_ET | EV_FEATURE_EARLY_CLOSE);
	srv->ingest = ingest;
	TAILQ_INIT(&srv->conns);
	if (!cfg->insecure) {
		srv->ssl = tls_server_ctx(cfg->tls_cert, cfg->tls_key,
		    cfg->tls_client_ca, cfg->tls_client_crl,
		    cfg->agent_secrets == NULL, err, errlen);
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
	srv->resume_ev = evtimer_new(base, resume_cb, srv);
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

/*
 * SIGHUP, after the new secrets are in place: new connections get a TLS
 * context built from the files as they are now (certificate, key, CA,
 * CRL), and every live agent whose secret was revoked or whose
 * certificate no longer verifies is told why and closed. Returns how
 * many were closed. When the TLS files do not load, err says why and the
 * old context stays for new connections and certificates; revoked
 * secrets are acted on all the same.
 */
int
server_reload(struct server *srv, const struct collector_config *nc,
    char *err, size_t errlen)
{
	struct conn *c, *next;
	SSL_CTX *ctx = NULL;
	SSL *ssl;
	char why[256];
	int closed = 0;

	err[0] = '\0';
	if (srv->ssl != NULL) {
		ctx = tls_server_ctx(nc->tls_cert, nc->tls_key,
		    nc->tls_client_ca, nc->tls_client_crl,
		    nc->agent_secrets == NULL, err, errlen);
		if (ctx != NULL) {
			/* Live sessions hold their own reference. */
			SSL_CTX_free(srv->ssl);
			srv->ssl = ctx;
		}
	}
	for (c = TAILQ_FIRST(&srv->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (!c->peer.authenticated || c->closing)
			continue;
		if (!ingest_peer_valid(srv->ingest, &c->peer, why,
		    sizeof(why))) {
			conn_close(c, why, 1);
			closed++;
			continue;
		}
		if (ctx != NULL && c->bev != NULL &&
		    (ssl = bufferevent_openssl_get_ssl(c->bev)) != NULL &&
		    tls_peer_recheck(ssl, ctx, why, sizeof(why)) != 0) {
			conn_close(c, why, 1);
			closed++;
		}
	}
	return closed;
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
	ev_free(srv->written_ev);
	ev_free(srv->commit_ev);
	ev_free(srv->resume_ev);
	if (srv->lev != NULL)
		evconnlistener_free(srv->lev);
	SSL_CTX_free(srv->ssl);
	free(srv);
	return rc;
}
