/*
 * SIEM forwarding: every alert goes to each configured destination
 * (udp://, tcp://, tls:// URLs with ?format=rfc5424|cef|leef|json), in
 * order, none lost across SIEM outages and collector restarts. An alert is
 * first written to an outbox table in the collector's database; each
 * destination keeps a cursor (the last outbox row it handed to the
 * network) in the same database, so a restart resumes where it stopped.
 * Both live in the collector's database (tables of collector/schema.c,
 * there before the forwarder starts) and are written through its one
 * writer connection (see fwd_new()).
 * The outbox is bounded: rows every destination has sent are deleted, and
 * past `max` rows the oldest are dropped, counted and logged. It never
 * blocks the event loop on a slow receiver: a destination holds at most
 * OUT_HIGH bytes in its output buffer.
 *
 * Framing: UDP sends one message per datagram (RFC 5426), cut at
 * `maxsize` on a UTF-8 boundary; TCP and TLS use octet counting
 * (RFC 6587 / RFC 5425): the length in bytes, a space, the message.
 * TCP has no acknowledgement, so "sent" means written to the kernel.
 */
#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/util.h>
#include <jansson.h>
#include <openssl/ssl.h>
#include <sqlite3.h>

#include "../schema.h"
#include "siem.h"
#include "leakwatch/conf.h"
#include "leakwatch/log.h"
#include "leakwatch/tls.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define OUT_HIGH	(256 * 1024)	/* bytes queued per destination */
#define BATCH		256		/* outbox rows read per turn */
#define BACKOFF_MIN	250		/* ms */
#define BACKOFF_MAX	30000
#define UDP_MAXSIZE	2048		/* RFC 5426: receivers take 2048 */

enum dest_kind {
	DEST_UDP,
	DEST_TCP,
	DEST_TLS
};

enum dest_state {
	DS_IDLE,
	DS_CONNECTING,
	DS_READY
};

struct dest {
	struct fwd		*fwd;
	char			*url;	/* as configured, the cursor key */
	enum dest_kind		 kind;
	char			 host[256];
	char			 port[16];
	const struct fwd_format	*format;
	size_t			 maxsize;
	SSL_CTX			*ssl;
	char			*server_name;
	enum dest_state		 state;
	struct bufferevent	*bev;
	int			 udp;
	struct event		*retry;
	int			 attempts;
	int64_t			 cursor;	/* last outbox seq handed over */
	int64_t			 inflight;	/* last seq in the buffer */
	uint64_t		 sent;
	uint64_t		 errors;
};

struct fwd {
	struct event_base	*base;
	int			 own_base;
	sqlite3			*db;
	sqlite3_stmt		*ins;
	sqlite3_stmt		*sel;
	sqlite3_stmt		*setcur;
	struct dest		*dests;
	size_t			 ndests;
	struct fmt_opts		 opts;
	char			 hostname[256];
	int64_t			 max;
	uint64_t		 dropped;
	char			**event_types;	/* raw events forwarded, too */
	size_t			 nevent_types;
	uint64_t		 events;
	struct event		*pump;
	struct fwd_turn		 turn;	/* live: writes take turns */
};

static void	dest_pump(struct dest *);
static void	dest_connect(struct dest *);

static int
query_param(const char *q, const char *key, char *out, size_t outlen)
{
	size_t klen = strlen(key), n;
	const char *p = q, *end;

	while (p != NULL && *p != '\0') {
		end = strchr(p, '&');
		n = end == NULL ? strlen(p) : (size_t)(end - p);
		if (n > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			if (n - klen - 1 >= outlen)
				return -1;
			memcpy(out, p + klen + 1, n - klen - 1);
			out[n - klen - 1] = '\0';
			return 1;
		}
		p = end == NULL ? NULL : end + 1;
	}
	return 0;
}

/* Refuses any query key we do not know: a typo must not go unnoticed. */
static int
query_known(const char *q, char *err, size_t errlen)
{
	static const char *const keys[] = { "format", "ca", "cert", "key",
	    "name", "maxsize", NULL };
	const char *p = q, *end, *eq;
	size_t n, i;

	while (p != NULL && *p != '\0') {
		end = strchr(p, '&');
		eq = strchr(p, '=');
		n = (eq == NULL || (end != NULL && eq > end)) ?
		    (end == NULL ? strlen(p) : (size_t)(end - p)) :
		    (size_t)(eq - p);
		for (i = 0; keys[i] != NULL; i++)
			if (strlen(keys[i]) == n && strncmp(keys[i], p, n) == 0)
				break;
		if (keys[i] == NULL) {
			snprintf(err, errlen, "unknown parameter \"%.*s\"",
			    (int)(n > 32 ? 32 : n), p);
			return -1;
		}
		p = end == NULL ? NULL : end + 1;
	}
	return 0;
}

/*
 * Parses "udp|tcp|tls://HOST:PORT[?format=F&ca=FILE&cert=FILE&key=FILE&
 * name=TLSNAME&maxsize=N]". The error names the URL and the part.
 */
int
fwd_parse_url(const char *url, struct fwd_url *u, char *err, size_t errlen)
{
	char hp[300], val[32];
	const char *rest, *q;
	size_t n;
	long long ll;

	memset(u, 0, sizeof(*u));
	if (strncmp(url, "udp://", 6) == 0)
		u->kind = DEST_UDP;
	else if (strncmp(url, "tcp://", 6) == 0)
		u->kind = DEST_TCP;
	else if (strncmp(url, "tls://", 6) == 0)
		u->kind = DEST_TLS;
	else {
		snprintf(err, errlen, "forward %s: scheme must be udp://, "
		    "tcp:// or tls://", url);
		return -1;
	}
	rest = url + 6;
	q = strchr(rest, '?');
	n = q == NULL ? strlen(rest) : (size_t)(q - rest);
	if (n == 0 || n >= sizeof(hp)) {
		snprintf(err, errlen, "forward %s: bad HOST:PORT", url);
		return -1;
	}
	memcpy(hp, rest, n);
	hp[n] = '\0';
	if (hostport_split(hp, u->host, sizeof(u->host), u->port,
	    sizeof(u->port)) != 0 || parse_ll(u->port, 1, 65535, &ll) != 0) {
		snprintf(err, errlen, "forward %s: bad HOST:PORT", url);
		return -1;
	}
	q = q == NULL ? "" : q + 1;
	if (query_known(q, val, sizeof(val)) != 0) {
		snprintf(err, errlen, "forward %s: %s", url, val);
		return -1;
	}
	snprintf(u->format, sizeof(u->format), "rfc5424");
	if (query_param(q, "format", u->format, sizeof(u->format)) < 0 ||
	    fmt_lookup(u->format) == NULL) {
		snprintf(err, errlen, "forward %s: format must be rfc5424, "
		    "cef, leef or json", url);
		return -1;
	}
	if (query_param(q, "ca", u->ca, sizeof(u->ca)) < 0 ||
	    query_param(q, "cert", u->cert, sizeof(u->cert)) < 0 ||
	    query_param(q, "key", u->key, sizeof(u->key)) < 0 ||
	    query_param(q, "name", u->name, sizeof(u->name)) < 0) {
		snprintf(err, errlen, "forward %s: parameter too long", url);
		return -1;
	}
	u->maxsize = UDP_MAXSIZE;
	if (query_param(q, "maxsize", val, sizeof(val)) == 1) {
		if (parse_ll(val, 480, 65000, &ll) != 0) {
			snprintf(err, errlen, "forward %s: maxsize must be "
			    "480..65000", url);
			return -1;
		}
		u->maxsize = (size_t)ll;
	}
	if (u->kind == DEST_TLS && u->ca[0] == '\0') {
		snprintf(err, errlen, "forward %s: tls needs ca=FILE to verify "
		    "the receiver", url);
		return -1;
	}
	if (u->kind != DEST_TLS && (u->ca[0] || u->cert[0] || u->key[0])) {
		snprintf(err, errlen, "forward %s: ca/cert/key are for tls://",
		    url);
		return -1;
	}
	if ((u->cert[0] == '\0') != (u->key[0] == '\0')) {
		snprintf(err, errlen, "forward %s: cert and key go together",
		    url);
		return -1;
	}
	return 0;
}

static int64_t
cursor_load(struct fwd *f, const char *url)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(f->db, "SELECT seq FROM fwd_cursors WHERE "
	    "dest = ?", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, url, -1, SQLITE_STATIC);
	return schema_int64(st, -1);
}

/* The newest row queued for any destination (0: none), -1 on error. */
static int64_t
outbox_newest(struct fwd *f)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(f->db, "SELECT COALESCE(MAX(seq), 0) FROM "
	    "fwd_outbox", -1, &st, NULL) != SQLITE_OK)
		return -1;
	return schema_int64(st, 0);
}

static void
cursor_save(struct dest *d)
{
	struct fwd *f = d->fwd;

	if (f->turn.enter != NULL)
		f->turn.enter(f->turn.arg);
	sqlite3_reset(f->setcur);
	sqlite3_bind_text(f->setcur, 1, d->url, -1, SQLITE_STATIC);
	sqlite3_bind_int64(f->setcur, 2, d->cursor);
	if (sqlite3_step(f->setcur) != SQLITE_DONE)
		log_warnx("forward %s: cannot save cursor: %s", d->url,
		    sqlite3_errmsg(f->db));
	sqlite3_reset(f->setcur);
	if (f->turn.leave != NULL)
		f->turn.leave(f->turn.arg);
}

/*
 * Live, the forwarder writes through the scorer's connection while the
 * store writes through its own: cursor updates take their turn (the
 * collector's store_writer_enter(), handed in as t).
 */
void
fwd_set_turn(struct fwd *f, const struct fwd_turn *t)
{
	if (f != NULL)
		f->turn = *t;
}

static long long
backoff_ms(struct dest *d)
{
	long long ms = BACKOFF_MIN;
	uint32_t r = 0;
	int i;

	for (i = 0; i < d->attempts && ms < BACKOFF_MAX; i++)
		ms *= 2;
	if (ms > BACKOFF_MAX)
		ms = BACKOFF_MAX;
	random_bytes(&r, sizeof(r));
	return ms / 2 + (long long)(r % (uint32_t)(ms / 2 + 1));
}

/*
 * Drops the connection and schedules a retry. What was in the output
 * buffer but not yet taken by the kernel is resent: the cursor only moves
 * once the buffer drained.
 */
static void
dest_fail(struct dest *d, const char *why)
{
	struct timeval tv;
	long long ms = backoff_ms(d);

	if (d->bev != NULL) {
		if (d->kind == DEST_TLS)
			SSL_shutdown(bufferevent_openssl_get_ssl(d->bev));
		bufferevent_free(d->bev);
		d->bev = NULL;
	}
	if (d->udp != -1) {
		close(d->udp);
		d->udp = -1;
	}
	if (d->state == DS_READY || d->attempts == 0)
		log_warnx("forward %s: %s; retrying in %lld ms", d->url, why,
		    ms);
	d->errors++;
	d->attempts++;
	d->state = DS_IDLE;
	d->inflight = d->cursor;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(d->retry, &tv);
}

static void
write_cb(struct bufferevent *bev, void *arg)
{
	struct dest *d = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0 &&
	    d->inflight > d->cursor) {
		d->cursor = d->inflight;
		cursor_save(d);
	}
	dest_pump(d);
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	(void)arg;
	/* Receivers send nothing; discard whatever comes. */
	evbuffer_drain(bufferevent_get_input(bev),
	    evbuffer_get_length(bufferevent_get_input(bev)));
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct dest *d = arg;
	char buf[256];

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		if (d->state == DS_CONNECTING && d->attempts > 0)
			log_info("forward %s: connected", d->url);
		d->state = DS_READY;
		d->attempts = 0;
		dest_pump(d);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		dest_fail(d, "closed by the receiver");
		return;
	}
	(void)tls_bev_error(d->bev, d->kind == DEST_TLS, buf, sizeof(buf));
	dest_fail(d, buf);
}

static void
dest_connect(struct dest *d)
{
	struct evutil_addrinfo *ai;
	char err[512];
	int rc;

	if ((rc = tls_client_addr(d->host, d->port, d->kind == DEST_UDP ?
	    SOCK_DGRAM : SOCK_STREAM, 0, &ai)) != 0) {
		dest_fail(d, evutil_gai_strerror(rc));
		return;
	}
	if (d->kind == DEST_UDP) {
		d->udp = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (d->udp == -1 || connect(d->udp, ai->ai_addr,
		    ai->ai_addrlen) != 0) {
			evutil_freeaddrinfo(ai);
			dest_fail(d, strerror(errno));
			return;
		}
		evutil_freeaddrinfo(ai);
		d->state = DS_READY;
		return;
	}
	if ((d->bev = tls_client_bev(d->fwd->base, d->kind == DEST_TLS ?
	    d->ssl : NULL, d->server_name != NULL ? d->server_name : d->host,
	    err, sizeof(err))) == NULL) {
		evutil_freeaddrinfo(ai);
		dest_fail(d, err);
		return;
	}
	bufferevent_setcb(d->bev, read_cb, write_cb, event_cb, d);
	bufferevent_enable(d->bev, EV_READ | EV_WRITE);
	d->state = DS_CONNECTING;
	rc = bufferevent_socket_connect(d->bev, ai->ai_addr,
	    (int)ai->ai_addrlen);
	evutil_freeaddrinfo(ai);
	if (rc != 0)
		dest_fail(d, "connect failed");
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dest *d = arg;

	(void)fd;
	(void)what;
	dest_connect(d);
	if (d->state == DS_READY)
		dest_pump(d);
}

/* Cuts s to at most max bytes without splitting a UTF-8 sequence. */
static size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/* One message onto the wire; 0, or -1 when the destination failed. */
static int
dest_send(struct dest *d, const char *msg, size_t len)
{
	char hdr[32];
	ssize_t n;
	int hl;

	if (d->kind == DEST_UDP) {
		len = utf8_cut(msg, len, d->maxsize);
		n = send(d->udp, msg, len, 0);
		if (n == -1 && errno != ECONNREFUSED) {
			dest_fail(d, strerror(errno));
			return -1;
		}
		/* A refused datagram (no receiver yet) is lost, as UDP
		 * is; it still counts as handed over. */
		return 0;
	}
	hl = snprintf(hdr, sizeof(hdr), "%zu ", len);
	if (bufferevent_write(d->bev, hdr, (size_t)hl) != 0 ||
	    bufferevent_write(d->bev, msg, len) != 0) {
		dest_fail(d, "write failed");
		return -1;
	}
	return 0;
}

/*
 * One alert as the destination's format, inside an RFC 5424 header with
 * no structured data ("-") when the format has no header of its own.
 */
static char *
format(struct dest *d, const json_t *alert, size_t *len)
{
	struct buf b = { NULL, 0, 0 };
	char *body;
	size_t blen;

	if ((body = d->format->format(alert, &d->fwd->opts, &blen)) == NULL)
		return NULL;
	if (d->format->has_header) {
		*len = blen;
		return body;
	}
	fmt_header(&b, alert, &d->fwd->opts);
	buf_puts(&b, " - ");
	buf_add(&b, body, blen);
	free(body);
	return buf_release(&b, len);
}

/*
 * Moves outbox rows after the destination's in-flight mark into its
 * output, up to OUT_HIGH bytes queued, so a receiver that never reads
 * costs at most that much memory; the rest waits in the outbox.
 */
static void
dest_pump(struct dest *d)
{
	struct fwd *f = d->fwd;
	const char *json;
	json_t *alert;
	json_error_t je;
	char *msg;
	size_t len;
	int64_t seq;
	int rows = 0;

	if (d->state != DS_READY)
		return;
	if (d->bev != NULL && evbuffer_get_length(bufferevent_get_output(
	    d->bev)) > OUT_HIGH)
		return;
	sqlite3_reset(f->sel);
	sqlite3_bind_int64(f->sel, 1, d->inflight);
	sqlite3_bind_int(f->sel, 2, BATCH);
	while (sqlite3_step(f->sel) == SQLITE_ROW) {
		seq = sqlite3_column_int64(f->sel, 0);
		json = (const char *)sqlite3_column_text(f->sel, 1);
		rows++;
		alert = json == NULL ? NULL : json_loads(json, 0, &je);
		msg = alert == NULL ? NULL : format(d, alert, &len);
		json_decref(alert);
		if (msg != NULL) {
			if (dest_send(d, msg, len) != 0) {
				free(msg);
				break;
			}
			d->sent++;
		} else
			log_warnx("forward %s: outbox row %lld unreadable; "
			    "skipped", d->url, (long long)seq);
		free(msg);
		d->inflight = seq;
		if (d->bev != NULL && evbuffer_get_length(
		    bufferevent_get_output(d->bev)) > OUT_HIGH)
			break;
	}
	sqlite3_reset(f->sel);
	if (d->state == DS_READY && d->kind == DEST_UDP &&
	    d->inflight > d->cursor) {
		d->cursor = d->inflight;
		cursor_save(d);
	}
	/* More rows than one batch: continue on the next loop turn. */
	if (rows == BATCH && d->kind == DEST_UDP)
		event_active(f->pump, EV_TIMEOUT, 0);
}

static void
pump_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fwd *f = arg;
	size_t i;

	(void)fd;
	(void)what;
	for (i = 0; i < f->ndests; i++)
		dest_pump(&f->dests[i]);
}

static int
dest_init(struct fwd *f, struct dest *d, const char *url, char *err,
    size_t errlen)
{
	struct fwd_url u;
	int64_t cur;

	if (fwd_parse_url(url, &u, err, errlen) != 0)
		return -1;
	d->fwd = f;
	d->url = xstrdup(url);
	d->kind = u.kind;
	memcpy(d->host, u.host, sizeof(d->host));
	memcpy(d->port, u.port, sizeof(d->port));
	d->format = fmt_lookup(u.format);
	d->maxsize = u.maxsize;
	d->udp = -1;
	if (u.name[0] != '\0')
		d->server_name = xstrdup(u.name);
	if (u.kind == DEST_TLS && (d->ssl = tls_client_ctx(u.ca,
	    u.cert[0] ? u.cert : NULL, u.key[0] ? u.key : NULL, err,
	    errlen)) == NULL)
		return -1;
	d->retry = evtimer_new(f->base, retry_cb, d);
	/* A new destination starts at the end: it gets alerts raised from
	 * now on, not the whole history. */
	if ((cur = cursor_load(f, url)) < 0) {
		if ((cur = outbox_newest(f)) < 0)
			cur = 0;
		d->cursor = cur;
		cursor_save(d);
	}
	d->cursor = d->inflight = cur;
	return 0;
}

/*
 * db is the collector's one writer connection (not owned): an alert's
 * outbox row is written in the same transaction as the alert, so an
 * alert is stored and queued for the SIEMs together or not at all. A
 * crash after a row was sent but before its transaction committed makes
 * the alert come again (same id) when its events are redelivered; the
 * SIEM sees a duplicate id rather than a gap.
 */
struct fwd *
fwd_new(struct event_base *base, struct sqlite3 *db,
    const struct conf_list *urls, const struct fmt_opts *opts,
    long long max, char *err, size_t errlen)
{
	struct fwd *f = xcalloc(1, sizeof(*f));
	size_t i;

	f->max = max > 0 ? max : 100000;
	f->opts = *opts;
	if (f->opts.hostname == NULL || strcmp(f->opts.hostname, "-") == 0) {
		if (gethostname(f->hostname, sizeof(f->hostname)) != 0)
			snprintf(f->hostname, sizeof(f->hostname), "-");
		f->hostname[sizeof(f->hostname) - 1] = '\0';
		f->opts.hostname = f->hostname;
	}
	if (f->opts.procid == 0)
		f->opts.procid = (long)getpid();
	if (base == NULL) {
		f->base = event_base_new();
		f->own_base = 1;
	} else
		f->base = base;
	f->db = db;
	if (sqlite3_prepare_v2(f->db, "INSERT INTO fwd_outbox(ts, json) "
	    "VALUES (?, ?)", -1, &f->ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(f->db, "SELECT seq, json FROM fwd_outbox "
	    "WHERE seq > ? ORDER BY seq LIMIT ?", -1, &f->sel, NULL) !=
	    SQLITE_OK ||
	    sqlite3_prepare_v2(f->db, "INSERT INTO fwd_cursors(dest, seq) "
	    "VALUES (?, ?) ON CONFLICT(dest) DO UPDATE SET seq = "
	    "excluded.seq", -1, &f->setcur, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "forward queue: %s",
		    sqlite3_errmsg(f->db));
		fwd_free(f);
		return NULL;
	}
	f->pump = event_new(f->base, -1, 0, pump_cb, f);
	f->dests = xcalloc(urls->n == 0 ? 1 : urls->n, sizeof(*f->dests));
	for (i = 0; i < urls->n; i++) {
		f->dests[i].udp = -1;
		f->ndests++;
		if (dest_init(f, &f->dests[i], urls->v[i], err, errlen) != 0) {
			fwd_free(f);
			return NULL;
		}
	}
	for (i = 0; i < f->ndests; i++)
		dest_connect(&f->dests[i]);
	event_active(f->pump, EV_TIMEOUT, 0);
	return f;
}

/* The oldest row any destination still needs. */
static int64_t
min_cursor(const struct fwd *f)
{
	int64_t m = INT64_MAX;
	size_t i;

	for (i = 0; i < f->ndests; i++)
		if (f->dests[i].cursor < m)
			m = f->dests[i].cursor;
	return m;
}

/* Deletes rows every destination has sent, then enforces the bound. */
static void
trim(struct fwd *f, int64_t newest)
{
	sqlite3_stmt *st;
	int64_t cut = min_cursor(f), over;
	size_t i;

	if (newest - cut > f->max) {
		over = newest - cut - f->max;
		/* Logged at 1, 2, 4, 8 ... drops: a stuck SIEM must not
		 * flood the log with one line per alert. */
		if ((f->dropped & (f->dropped + (uint64_t)over)) == 0 ||
		    f->dropped == 0)
			log_warnx("forward queue over %lld alerts: oldest "
			    "dropped (%llu in all)", (long long)f->max,
			    (unsigned long long)(f->dropped + (uint64_t)over));
		f->dropped += (uint64_t)over;
		cut += over;
		for (i = 0; i < f->ndests; i++)
			if (f->dests[i].cursor < cut) {
				f->dests[i].cursor = cut;
				if (f->dests[i].inflight < cut)
					f->dests[i].inflight = cut;
				cursor_save(&f->dests[i]);
			}
	}
	if (sqlite3_prepare_v2(f->db, "DELETE FROM fwd_outbox WHERE seq <= ?",
	    -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, cut);
	sqlite3_step(st);
	sqlite3_finalize(st);
}

int
fwd_submit(struct fwd *f, const json_t *alert)
{
	char *json;
	int64_t seq;
	int rc = 0;

	if (f == NULL || f->ndests == 0)
		return 0;
	if ((json = json_dumps(alert, JSON_COMPACT | JSON_PRESERVE_ORDER)) ==
	    NULL)
		return -1;
	sqlite3_reset(f->ins);
	sqlite3_bind_text(f->ins, 1, fmt_str(alert, "ts"), -1,
	    SQLITE_TRANSIENT);
	sqlite3_bind_text(f->ins, 2, json, -1, SQLITE_STATIC);
	if (sqlite3_step(f->ins) != SQLITE_DONE) {
		log_warnx("forward queue: %s", sqlite3_errmsg(f->db));
		rc = -1;
	}
	sqlite3_reset(f->ins);
	free(json);
	if (rc == 0) {
		seq = sqlite3_last_insert_rowid(f->db);
		if (seq % 64 == 0 || seq - min_cursor(f) > f->max)
			trim(f, seq);
		event_active(f->pump, EV_TIMEOUT, 0);
	}
	return rc;
}

/*
 * Raw events, off unless forward-events names their type ("all" for
 * every type). They travel as alert-shaped messages so every format
 * carries them unchanged: rule = the event type, severity low, score 0,
 * employee = who the collector resolved, evidence = the event's fields;
 * MSGID is EVENT instead of ALERT and ECS event.kind is "event".
 */
void
fwd_set_event_types(struct fwd *f, const struct conf_list *types)
{
	size_t i;

	if (f == NULL)
		return;
	strv_free(f->event_types, f->nevent_types);
	f->event_types = xcalloc(types->n + 1, sizeof(char *));
	for (i = 0; i < types->n; i++)
		f->event_types[i] = xstrdup(types->v[i]);
	f->nevent_types = types->n;
}

static int
event_wanted(const struct fwd *f, const char *type)
{
	size_t i;

	for (i = 0; i < f->nevent_types; i++)
		if (strcmp(f->event_types[i], "all") == 0 ||
		    strcmp(f->event_types[i], type) == 0)
			return 1;
	return 0;
}

/* Whether fwd_event() would forward events of this type (no DOM needed). */
int
fwd_event_wanted(const struct fwd *f, const char *type)
{
	return f != NULL && f->ndests > 0 && event_wanted(f, type);
}

/*
 * The message of one forwarded raw event: an alert-shaped object whose
 * evidence is the event's own fields, so every format maps them as it
 * maps evidence (a db.query aggregate's count, first_ts and max_rows
 * among them, docs/siem.md). The summary says how many queries an
 * aggregate stands for. NULL if it cannot be built.
 */
json_t *
fwd_event_message(const json_t *ev, const char *employee)
{
	const char *type, *k;
	char summary[128];
	json_t *evidence, *v, *n;

	if (ev == NULL ||
	    (type = json_string_value(json_object_get(ev, "type"))) == NULL)
		return NULL;
	evidence = json_object();
	json_object_foreach((json_t *)(uintptr_t)ev, k, v)
		if (strcmp(k, "type") != 0 && strcmp(k, "ts") != 0)
			json_object_set(evidence, k, v);
	if (strcmp(type, "db.query") == 0 &&
	    json_is_integer(n = json_object_get(ev, "count")))
		snprintf(summary, sizeof(summary), "%s event, %lld queries",
		    type, (long long)json_integer_value(n));
	else
		snprintf(summary, sizeof(summary), "%s event", type);
	return json_pack("{s:s, s:O, s:s, s:s, s:s, s:s, s:i, s:s, s:o}",
	    "type", type, "ts", json_object_get(ev, "ts"), "id", "",
	    "employee", employee != NULL ? employee : "", "rule", type,
	    "severity", "low", "score", 0, "summary", summary,
	    "evidence", evidence);
}

int
fwd_event(struct fwd *f, const json_t *ev, const char *employee)
{
	const char *type;
	json_t *m;
	int rc;

	if (f == NULL || f->nevent_types == 0 || ev == NULL ||
	    (type = json_string_value(json_object_get(ev, "type"))) == NULL ||
	    !event_wanted(f, type))
		return 0;
	if ((m = fwd_event_message(ev, employee)) == NULL)
		return -1;
	rc = fwd_submit(f, m);
	json_decref(m);
	if (rc == 0)
		f->events++;
	return rc;
}

/* Every destination has taken every queued row (TCP/TLS: kernel). */
static int
fwd_idle(struct fwd *f)
{
	int64_t newest;
	size_t i;

	if ((newest = outbox_newest(f)) < 0)
		return 1;
	for (i = 0; i < f->ndests; i++)
		if (f->dests[i].cursor < newest)
			return 0;
	return 1;
}

/*
 * For --replay: runs the loop until every destination has sent every
 * alert or timeout_ms passed; what is left stays queued for next time.
 */
int
fwd_flush(struct fwd *f, long long timeout_ms)
{
	int64_t until = mono_ms() + timeout_ms;
	struct timeval tv = { 0, 20000 };

	if (f == NULL)
		return 0;
	while (!fwd_idle(f) && mono_ms() < until) {
		event_active(f->pump, EV_TIMEOUT, 0);
		event_base_loopexit(f->base, &tv);
		event_base_dispatch(f->base);
	}
	return fwd_idle(f) ? 0 : -1;
}

void
fwd_stats(const struct fwd *f, struct fwd_stats *st)
{
	size_t i;

	memset(st, 0, sizeof(*st));
	if (f == NULL)
		return;
	st->dropped = f->dropped;
	st->events = f->events;
	for (i = 0; i < f->ndests; i++) {
		st->sent += f->dests[i].sent;
		st->errors += f->dests[i].errors;
		if (f->dests[i].bev != NULL)
			st->buffered += evbuffer_get_length(
			    bufferevent_get_output(f->dests[i].bev));
	}
}

void
fwd_free(struct fwd *f)
{
	struct dest *d;
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->ndests; i++) {
		d = &f->dests[i];
		if (d->bev != NULL) {
			/* close_notify, so the receiver knows nothing was
			 * cut (RFC 5425). */
			if (d->kind == DEST_TLS)
				SSL_shutdown(bufferevent_openssl_get_ssl(
				    d->bev));
			bufferevent_free(d->bev);
		}
		if (d->udp != -1)
			close(d->udp);
		ev_free(d->retry);
		SSL_CTX_free(d->ssl);
		free(d->server_name);
		free(d->url);
	}
	free(f->dests);
	strv_free(f->event_types, f->nevent_types);
	ev_free(f->pump);
	sqlite3_finalize(f->ins);
	sqlite3_finalize(f->sel);
	sqlite3_finalize(f->setcur);
	if (f->own_base)
		event_base_free(f->base);
	free(f);
}
