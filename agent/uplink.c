/*
 * The agent's link to the collector: connect (TLS unless --insecure),
 * HELLO, then stream spooled events as EVENT frames and let cumulative ACKs
 * delete them from the spool. The spool is the only queue: on every
 * (re)connect the collector's WELCOME says what it has stored and the
 * uplink rewinds the spool to the next event, so what was in flight when a
 * connection died is sent again and the collector drops what it already
 * had. Reconnects back off exponentially with jitter. A window of unacked
 * events and the output buffer's watermark bound what is in flight.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <jansson.h>
#include <openssl/ssl.h>

#include "agent.h"
#include "leakwatch/log.h"
#include "leakwatch/proto.h"
#include "leakwatch/text.h"
#include "leakwatch/tls.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define OUT_HIGH	(4u << 20)	/* stop filling the output above */
#define OUT_LOW		(1u << 20)	/* refill below */
#define WELCOME_MAX	4096

enum uplink_state {
	UL_IDLE,		/* waiting to (re)connect */
	UL_CONNECTING,		/* TCP and TLS handshakes */
	UL_HELLO,		/* HELLO sent, waiting for WELCOME */
	UL_READY		/* streaming */
};

struct uplink {
	struct event_base		*base;
	const struct agent_config	*cfg;
	struct spool			*spool;
	char				*secret;
	SSL_CTX				*ssl;
	char				 host[256];
	char				 port[16];
	enum uplink_state		 state;
	struct bufferevent		*bev;
	struct event			*retry;
	struct event			*watchdog;
	int				 attempts;
	uint64_t			 last_sent;
	uint64_t			 acked;
	int64_t				 last_ack_ms;
	struct uplink_stats		 st;
	void				(*ready_cb)(void *);
	void				*ready_arg;
};

static void	connect_now(struct uplink *);

static void
send_frame(struct uplink *u, enum proto_type t, const void *a, size_t alen,
    const void *b, size_t blen)
{
	uint8_t hdr[PROTO_HDRLEN];
	struct evbuffer *out = bufferevent_get_output(u->bev);

	proto_header(hdr, t, alen + blen);
	evbuffer_add(out, hdr, sizeof(hdr));
	if (alen > 0)
		evbuffer_add(out, a, alen);
	if (blen > 0)
		evbuffer_add(out, b, blen);
}

/*
 * Full jitter on an exponential step: spreads a fleet of agents that lost
 * the collector at the same moment.
 */
static long long
backoff_ms(struct uplink *u)
{
	long long d = u->cfg->backoff_min;
	uint32_t r;
	int i;

	for (i = 0; i < u->attempts && d < u->cfg->backoff_max; i++)
		d *= 2;
	if (d > u->cfg->backoff_max)
		d = u->cfg->backoff_max;
	if (random_bytes(&r, sizeof(r)) != 0)
		r = 0;
	return d / 2 + (long long)(r % (uint32_t)(d / 2 + 1));
}

static void
disconnect(struct uplink *u, const char *why)
{
	long long ms;
	struct timeval tv;

	if (u->bev != NULL) {
		bufferevent_free(u->bev);
		u->bev = NULL;
	}
	ms = backoff_ms(u);
	u->attempts++;
	if (u->state == UL_READY || u->attempts == 1 ||
	    log_getverbose() > 0)
		log_warnx("collector %s:%s: %s; retrying in %lld ms", u->host,
		    u->port, why, ms);
	u->state = UL_IDLE;
	u->st.ready = 0;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(u->retry, &tv);
}

/* Fills the output from the spool up to the window and the watermark. */
static void
pump(struct uplink *u)
{
	struct evbuffer *out;
	struct spool_rec rec;
	uint8_t b[16];
	enum spool_read_result r;

	if (u->state != UL_READY)
		return;
	out = bufferevent_get_output(u->bev);
	while (u->last_sent - u->acked < (uint64_t)u->cfg->window &&
	    evbuffer_get_length(out) < OUT_HIGH) {
		r = spool_read(u->spool, &rec);
		if (r == SPOOL_EMPTY)
			break;
		if (r == SPOOL_ERROR) {
			disconnect(u, "spool read error");
			return;
		}
		if (r == SPOOL_GAP) {
			proto_put_u64(b, rec.seq);
			proto_put_u64(b + 8, rec.gap_last);
			send_frame(u, PROTO_GAP, b, 16, NULL, 0);
			u->last_sent = rec.gap_last;
			continue;
		}
		proto_put_u64(b, rec.seq);
		send_frame(u, PROTO_EVENT, b, 8, rec.data, rec.len);
		if (u->last_sent == u->acked)
			u->last_ack_ms = mono_ms();
		u->last_sent = rec.seq;
		u->st.sent++;
	}
}

static void
send_hello(struct uplink *u)
{
	json_t *o;
	char *s;

	o = json_pack("{s:i, s:s, s:s, s:s}", "proto", PROTO_VERSION,
	    "agent", u->cfg->name, "instance", spool_instance(u->spool),
	    "version", LEAKWATCH_VERSION);
	if (o == NULL)
		fatalx("json_pack failed");
	if (u->secret != NULL)
		json_object_set_new(o, "secret", json_string(u->secret));
	if ((s = json_dumps(o, JSON_COMPACT)) == NULL)
		fatalx("json_dumps failed");
	send_frame(u, PROTO_HELLO, s, strlen(s), NULL, 0);
	/* The secret is in that buffer only; do not leave copies about. */
	OPENSSL_cleanse(s, strlen(s));
	free(s);
	json_decref(o);
	u->state = UL_HELLO;
}

static int
on_welcome(struct uplink *u, const uint8_t *p, size_t len)
{
	json_t *o;
	json_int_t acked = -1, proto = 0;
	struct spool_stats ss;

	if (len > WELCOME_MAX || (o = json_loadb((const char *)p, len, 0,
	    NULL)) == NULL)
		return -1;
	if (json_unpack(o, "{s:I, s:I}", "proto", &proto, "acked", &acked) !=
	    0 || proto != PROTO_VERSION || acked < 0) {
		json_decref(o);
		return -1;
	}
	json_decref(o);
	spool_stats(u->spool, &ss);
	if ((uint64_t)acked >= ss.next_seq) {
		/*
		 * The collector has more of this instance than the spool
		 * remembers issuing: the spool lost its newest records (power
		 * cut). Skip past them, or new events would reuse stored
		 * sequence numbers and be dropped as duplicates.
		 */
		log_warnx("collector has events up to %" JSON_INTEGER_FORMAT
		    " but the spool issued only up to %" PRIu64 " (lost in a "
		    "crash?); continuing after %" JSON_INTEGER_FORMAT, acked,
		    ss.next_seq - 1, acked);
		if (spool_skip_to(u->spool, (uint64_t)acked) != 0) {
			log_warn("spool: cannot skip ahead");
			return -1;
		}
		spool_stats(u->spool, &ss);
	}
	if ((uint64_t)acked > ss.acked)
		spool_ack(u->spool, (uint64_t)acked);
	u->acked = u->last_sent = (uint64_t)acked;
	spool_rewind(u->spool, (uint64_t)acked + 1);
	u->state = UL_READY;
	u->st.ready = 1;
	u->st.acked = u->acked;
	u->attempts = 0;
	u->last_ack_ms = mono_ms();
	log_info("connected to collector %s:%s; it has stored up to %"
	    PRIu64 ", sending from %" PRIu64, u->host, u->port, u->acked,
	    u->acked + 1);
	bufferevent_set_timeouts(u->bev, NULL, NULL);
	if (u->ready_cb != NULL)
		u->ready_cb(u->ready_arg);
	return 0;
}

static void
on_ack(struct uplink *u, uint64_t seq)
{
	if (seq <= u->acked)
		return;
	if (seq > u->last_sent) {
		log_warnx("collector acked %" PRIu64 " beyond the %" PRIu64
		    " sent; ignored", seq, u->last_sent);
		return;
	}
	spool_ack(u->spool, seq);
	u->acked = seq;
	u->st.acked = seq;
	u->last_ack_ms = mono_ms();
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct uplink *u = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct proto_frame f;
	uint8_t hdr[PROTO_HDRLEN], *p;
	size_t used, need;
	char err[256], why[600];

	while (u->bev != NULL && evbuffer_get_length(in) >= PROTO_HDRLEN) {
		evbuffer_copyout(in, hdr, sizeof(hdr));
		if (proto_decode(hdr, sizeof(hdr), WELCOME_MAX, &f, &used, err,
		    sizeof(err)) < 0) {
			disconnect(u, err);
			return;
		}
		need = 4 + ((size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 |
		    (size_t)hdr[2] << 8 | hdr[3]);
		if (evbuffer_get_length(in) < need)
			return;
		p = evbuffer_pullup(in, (ev_ssize_t)need);
		proto_decode(p, need, WELCOME_MAX, &f, &used, err,
		    sizeof(err));
		switch (f.type) {
		case PROTO_WELCOME:
			if (u->state != UL_HELLO || on_welcome(u, f.payload,
			    f.len) != 0) {
				disconnect(u, "bad WELCOME");
				return;
			}
			break;
		case PROTO_ACK:
			if (u->state != UL_READY) {
				disconnect(u, "ACK before WELCOME");
				return;
			}
			on_ack(u, proto_get_u64(f.payload));
			break;
		case PROTO_ERROR:
			str_vis(f.payload, f.len, err, sizeof(err));
			snprintf(why, sizeof(why), "refused: %s", err);
			disconnect(u, why);
			return;
		default:
			disconnect(u, "unexpected frame from the collector");
			return;
		}
		evbuffer_drain(in, used);
	}
	pump(u);
}

static void
write_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	pump(arg);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct uplink *u = arg;
	char err[512], why[600];
	int tls;

	if (what & BEV_EVENT_CONNECTED) {
		int one = 1;

		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY,
		    &one, sizeof(one));
		setsockopt(bufferevent_getfd(bev), SOL_SOCKET, SO_KEEPALIVE,
		    &one, sizeof(one));
		send_hello(u);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		disconnect(u, u->state == UL_HELLO ? "no WELCOME in time" :
		    "connect timed out");
		return;
	}
	if (what & BEV_EVENT_EOF) {
		disconnect(u, "connection closed by the collector");
		return;
	}
	tls = tls_bev_error(bev, u->ssl != NULL, err, sizeof(err));
	snprintf(why, sizeof(why), "%s%s", tls ? "TLS: " : "", err);
	disconnect(u, why);
}

static void
connect_now(struct uplink *u)
{
	struct evutil_addrinfo *ai;
	struct timeval tv = { 10, 0 };
	char err[512];
	int rc;

	if ((rc = tls_client_addr(u->host, u->port, SOCK_STREAM,
	    EVUTIL_AI_ADDRCONFIG, &ai)) != 0) {
		disconnect(u, evutil_gai_strerror(rc));
		return;
	}
	if ((u->bev = tls_client_bev(u->base, u->ssl, u->cfg->server_name ?
	    u->cfg->server_name : u->host, err, sizeof(err))) == NULL) {
		evutil_freeaddrinfo(ai);
		disconnect(u, err);
		return;
	}
	if (u->ssl != NULL)
		bufferevent_openssl_set_allow_dirty_shutdown(u->bev, 1);
	bufferevent_setcb(u->bev, read_cb, write_cb, event_cb, u);
	bufferevent_setwatermark(u->bev, EV_WRITE, OUT_LOW, 0);
	bufferevent_set_timeouts(u->bev, &tv, NULL);
	bufferevent_enable(u->bev, EV_READ | EV_WRITE);
	u->state = UL_CONNECTING;
	u->st.connects++;
	rc = bufferevent_socket_connect(u->bev, ai->ai_addr,
	    (int)ai->ai_addrlen);
	evutil_freeaddrinfo(ai);
	if (rc != 0)
		disconnect(u, "connect failed");
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	connect_now(arg);
}

/* A collector that takes our events but never acks is as good as gone. */
static void
watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	struct uplink *u = arg;

	(void)fd;
	(void)what;
	if (u->state == UL_READY && u->last_sent > u->acked &&
	    mono_ms() - u->last_ack_ms > u->cfg->ack_timeout)
		disconnect(u, "no ACK within ack-timeout");
}

struct uplink *
uplink_new(struct event_base *base, const struct agent_config *cfg,
    struct spool *spool, const char *secret, char *err, size_t errlen)
{
	struct uplink *u;
	struct timeval tv = { 1, 0 };

	u = xcalloc(1, sizeof(*u));
	u->base = base;
	u->cfg = cfg;
	u->spool = spool;
	if (hostport_split(cfg->collector, u->host, sizeof(u->host), u->port,
	    sizeof(u->port)) != 0 || u->host[0] == '\0') {
		snprintf(err, errlen, "collector: expected HOST:PORT, got "
		    "\"%s\"", cfg->collector);
		free(u);
		return NULL;
	}
	if (!cfg->insecure && (u->ssl = tls_client_ctx(cfg->tls_ca,
	    cfg->tls_cert, cfg->tls_key, err, errlen)) == NULL) {
		free(u);
		return NULL;
	}
	if (secret != NULL)
		u->secret = xstrdup(secret);
	u->retry = evtimer_new(base, retry_cb, u);
	u->watchdog = event_new(base, -1, EV_PERSIST, watchdog_cb, u);
	event_add(u->watchdog, &tv);
	connect_now(u);
	return u;
}

/*
 * Called once per successful WELCOME, before any event is sent: the agent
 * sends its status there, so the collector knows its version and spool
 * depth from the first moment of every connection.
 */
void
uplink_on_ready(struct uplink *u, void (*cb)(void *), void *arg)
{
	u->ready_cb = cb;
	u->ready_arg = arg;
}

void
uplink_kick(struct uplink *u)
{
	pump(u);
}

/* Heartbeats go out only on a live link; they are not spooled. */
void
uplink_status(struct uplink *u, const char *json, size_t len)
{
	if (u->state != UL_READY)
		return;
	send_frame(u, PROTO_STATUS, json, len, NULL, 0);
}

void
uplink_stats(const struct uplink *u, struct uplink_stats *st)
{
	*st = u->st;
}

void
uplink_free(struct uplink *u)
{
	if (u == NULL)
		return;
	if (u->bev != NULL)
		bufferevent_free(u->bev);
	event_free(u->retry);
	event_free(u->watchdog);
	SSL_CTX_free(u->ssl);
	if (u->secret != NULL) {
		OPENSSL_cleanse(u->secret, strlen(u->secret));
		free(u->secret);
	}
	free(u);
}
