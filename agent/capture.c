/*
 * libpcap for every packet source. A live capture is opened with
 * pcap_create() so snaplen, promiscuous mode and the kernel buffer can be
 * set before activation, and is read by a thread of its own; an offline
 * capture (cfg->read: pcap or pcapng, whatever libpcap reads) is drained
 * CAPTURE_BATCH packets per loop turn through an event that re-activates
 * itself, so a big file never starves the rest of the loop, and
 * capture_done() turns true at its end. There is no thread offline: the
 * file waits for us, and --read stays the same program it was.
 *
 * Live, the capture thread owns the pcap handle and the producing end of
 * a hand-off ring (struct capq): it does nothing but move frames from the
 * kernel's ring into ours, so nothing the main thread does - decoding,
 * spool writes and fsync, TLS to the collector - can make it wait. The
 * main thread owns the consuming end and everything after it: it is told
 * through an eventfd, decodes the frames (decode-pkt.c) and hands them to
 * the source's callback. When the ring is full the capture thread waits
 * for room rather than drop: the kernel's ring behind it keeps filling, so
 * a burst is held by both buffers, not only by ours. Only what the kernel
 * then drops is lost (a kernel drop); a frame is dropped by us (a queue
 * drop) only if it could never fit or the capture is stopping. Either way
 * it becomes a gap in the TCP stream, so the queries it touched are
 * reported partial. The kernel ring is filled in blocks (no immediate
 * mode), which holds far more small frames in the same memory than one
 * fixed-size slot per frame.
 *
 * Decode failures and truncated frames are counted. Kernel drops
 * (pcap_stats, read by the capture thread, which owns the handle) and
 * queue drops are polled every few seconds and logged loudly the moment
 * they rise: a drop means wrong counts downstream, and an operator or a
 * test must not mistake that for a quiet network.
 */
#include <sys/eventfd.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <pcap/pcap.h>

#include "agent.h"
#include "leakwatch/log.h"
#include "leakwatch/thread.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define CAPTURE_BATCH		256	/* packets per loop turn */
#define CAPTURE_LIVE_TURNS	16	/* batches per main-loop turn */
#define CAPTURE_STATS_SEC	5	/* drop poll and warning */
#define CAPTURE_LOGGED		20	/* decode errors logged one by one */
/*
 * The kernel's block timeout: how late a frame may reach the decoders at
 * a low rate. Short, because a log source's dedup asks whether the wire
 * saw a session, and a psql -c session lasts about 10 ms: with 50 ms the
 * log line could be judged before the wire had its session.
 */
#define CAPTURE_TIMEOUT_MS	10
#define CAPTURE_THREAD_STATS_MS	1000	/* pcap_stats from the thread */

/*
 * The hand-off ring between the capture thread (the only producer) and
 * the main thread (the only consumer). head and tail count bytes written
 * and consumed since the start, so head - tail is what is queued and
 * neither ever wraps in practice (2^64 bytes). A record is a struct
 * capq_rec followed by the frame, padded to CAPQ_ALIGN; a record that
 * does not fit before the end of the buffer is preceded by a CAPQ_WRAP
 * header that sends the reader back to offset 0. The producer publishes
 * head with release order after writing the bytes, the consumer tail
 * after it is done with them, so each side sees whole records only.
 */
#define CAPQ_ALIGN	16
#define CAPQ_WRAP	UINT32_MAX
#define CAPQ_PUBLISH	256	/* records consumed between tail updates */
#define CAPQ_WAIT_MS	100	/* longest wait for room between looks */

struct capq_rec {
	int64_t		 ts_us;
	uint32_t	 caplen;	/* CAPQ_WRAP: back to offset 0 */
	uint32_t	 wirelen;
};

struct capq {
	uint8_t		*buf;
	uint64_t	 size;		/* a multiple of CAPQ_ALIGN */
	_Atomic uint64_t head;		/* written by the capture thread */
	_Atomic uint64_t tail;		/* written by the main thread */
	_Atomic int	 waiting;	/* the capture thread waits for room */
};

/*
 * What the capture thread publishes to the main thread: plain counters,
 * each written by the thread alone, read with atomic loads.
 */
struct capture_shared {
	_Atomic uint64_t captured;	/* frames taken from the kernel */
	_Atomic uint64_t queue_drops;	/* frames the ring had no room for */
	_Atomic uint64_t queue_waits;	/* times the thread waited for room */
	_Atomic uint64_t kernel_drops;	/* pcap_stats ps_drop */
	_Atomic uint64_t if_drops;	/* pcap_stats ps_ifdrop */
	_Atomic int	 failed;	/* the thread ended on an error */
	_Atomic int	 stop;		/* set by the main thread */
	char		 error[PCAP_ERRBUF_SIZE + 64]; /* before failed */
};

struct capture {
	struct event_base	*base;
	pcap_t			*pcap;
	int			 dlt;
	int			 offline;
	int			 eof;
	char			*name;		/* interface or file */
	capture_fn		*fn;
	void			*arg;
	struct event		*ev;		/* next batch / ring notified */
	struct event		*stats_ev;	/* live: drop poll */
	struct event		*start_ev;	/* live: starts the thread */
	struct event		*more_ev;	/* live: ring not drained yet */
	struct capture_stats	 st;
	uint64_t		 drops_warned;
	uint64_t		 qdrops_warned;
	int			 failed_logged;
	/* Live only. */
	struct capq		 q;
	struct capture_shared	 sh;
	int			 notify_fd;	/* eventfd: frames queued */
	int			 stop_fd;	/* eventfd: wakes the thread */
	int			 room_fd;	/* eventfd: the ring has room */
	int			 pcap_fd;
	pthread_t		 thread;
	int			 running;	/* thread started, not joined */
};

static void	capture_read_cb(evutil_socket_t, short, void *);
static void	capture_stats_cb(evutil_socket_t, short, void *);
static void	capture_start_cb(evutil_socket_t, short, void *);
static void	capture_ring_cb(evutil_socket_t, short, void *);

/*
 * The next offline batch, as a zero timeout rather than event_active():
 * an activated event runs again in the same loop pass, which would drain
 * the whole file before any socket got a turn.
 */
static void
capture_next_batch(struct capture *c)
{
	struct timeval tv = { 0, 0 };

	evtimer_add(c->ev, &tv);
}

/* One frame: decode, count, deliver (main thread, live and offline). */
static void
capture_deliver(struct capture *c, const uint8_t *data, uint32_t caplen,
    uint32_t wirelen, int64_t ts_us)
{
	enum pkt_result r;
	struct pkt p;

	if (caplen < wirelen)
		c->st.truncated++;
	r = pkt_decode(c->dlt, data, caplen, wirelen, &p);
	if (r != PKT_OK) {
		c->st.decode_errors++;
		if (c->st.decode_errors <= CAPTURE_LOGGED)
			log_debug("%s: packet of %u bytes: %s", c->name,
			    caplen, pkt_result_str(r));
		return;
	}
	c->st.packets++;
	p.ts_us = ts_us;
	c->fn(c->arg, &p);
}

/* One frame from libpcap, offline. */
static void
capture_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct capture *c = (struct capture *)user;

	capture_deliver(c, data, h->caplen, h->len,
	    (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec);
}

static uint64_t
capq_need(uint32_t caplen)
{
	return sizeof(struct capq_rec) +
	    (((uint64_t)caplen + CAPQ_ALIGN - 1) & ~(uint64_t)(CAPQ_ALIGN - 1));
}

static void	capture_notify(int);

/*
 * Capture thread: until the consumer frees room. `waiting` is raised
 * before the last look at tail, so a consumer that frees room after that
 * look sees it raised and writes room_fd; the timeout only bounds a
 * wake-up lost some other way.
 */
static void
capq_wait_room(struct capture *c)
{
	struct pollfd pfd[2];
	uint64_t v;

	pfd[0].fd = c->room_fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = c->stop_fd;
	pfd[1].events = POLLIN;
	if (poll(pfd, 2, CAPQ_WAIT_MS) > 0 && (pfd[0].revents & POLLIN) &&
	    read(c->room_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
}

static void
capq_write(struct capq *q, uint64_t off, const struct capq_rec *rec,
    const uint8_t *data)
{
	memcpy(q->buf + off, rec, sizeof(*rec));
	if (data != NULL)
		memcpy(q->buf + off + sizeof(*rec), data, rec->caplen);
}

/*
 * Capture thread: one frame into the ring, waiting while the ring is
 * full. A record that does not fit before the end of the buffer is
 * preceded by a CAPQ_WRAP header, published on its own, so the consumer
 * can free the end of the buffer while the frame waits for the start.
 * Dropped and counted only when the frame is larger than the whole ring
 * or the main thread is stopping the capture.
 */
static void
capq_put(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct capture *c = (struct capture *)user;
	struct capq *q = &c->q;
	struct capq_rec rec;
	uint64_t head, tail, off, need;

	atomic_fetch_add_explicit(&c->sh.captured, 1, memory_order_relaxed);
	need = capq_need(h->caplen);
	if (need > q->size) {
		atomic_fetch_add_explicit(&c->sh.queue_drops, 1,
		    memory_order_relaxed);
		return;
	}
	head = atomic_load_explicit(&q->head, memory_order_relaxed);
	for (;;) {
		tail = atomic_load_explicit(&q->tail, memory_order_acquire);
		off = head % q->size;
		if (need > q->size - off &&
		    q->size - off <= q->size - (head - tail)) {
			memset(&rec, 0, sizeof(rec));
			rec.caplen = CAPQ_WRAP;
			capq_write(q, off, &rec, NULL);
			head += q->size - off;
			atomic_store_explicit(&q->head, head,
			    memory_order_release);
			continue;
		}
		if (need <= q->size - off && need <= q->size - (head - tail))
			break;
		if (atomic_load_explicit(&c->sh.stop, memory_order_acquire)) {
			atomic_fetch_add_explicit(&c->sh.queue_drops, 1,
			    memory_order_relaxed);
			return;
		}
		/* Frames queued so far must reach the consumer to free room. */
		capture_notify(c->notify_fd);
		atomic_store_explicit(&q->waiting, 1, memory_order_seq_cst);
		if (atomic_load_explicit(&q->tail, memory_order_seq_cst) !=
		    tail)
			continue;
		atomic_fetch_add_explicit(&c->sh.queue_waits, 1,
		    memory_order_relaxed);
		capq_wait_room(c);
	}
	rec.ts_us = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
	rec.caplen = h->caplen;
	rec.wirelen = h->len;
	capq_write(q, off, &rec, data);
	atomic_store_explicit(&q->head, head + need, memory_order_release);
}

/*
 * Wakes the other thread. A failed write is harmless: the counter is
 * already non-zero (the reader has not read it yet) or the reader is
 * gone.
 */
static void
capture_notify(int fd)
{
	uint64_t one = 1;
	ssize_t w;

	w = write(fd, &one, sizeof(one));
	(void)w;
}

/* Capture thread: pcap_stats into the shared counters. */
static void
capture_thread_stats(struct capture *c)
{
	struct pcap_stat ps;

	if (pcap_stats(c->pcap, &ps) != 0)
		return;
	atomic_store_explicit(&c->sh.kernel_drops, ps.ps_drop,
	    memory_order_relaxed);
	atomic_store_explicit(&c->sh.if_drops, ps.ps_ifdrop,
	    memory_order_relaxed);
}

/*
 * The capture thread: frames from the kernel into the ring until told to
 * stop, telling the main thread after every round that queued some. The
 * handle is non-blocking; poll() waits for the next kernel block or the
 * stop eventfd. On a capture error the thread records it and ends; the
 * main thread logs it.
 */
static void *
capture_thread(void *arg)
{
	struct capture *c = arg;
	struct pollfd pfd[2];
	uint64_t before;
	int64_t stats_at = 0, now;
	int n;

	pthread_setname_np(pthread_self(), "lw-capture");
	pfd[0].fd = c->pcap_fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = c->stop_fd;
	pfd[1].events = POLLIN;
	while (!atomic_load_explicit(&c->sh.stop, memory_order_acquire)) {
		before = atomic_load_explicit(&c->q.head,
		    memory_order_relaxed);
		n = pcap_dispatch(c->pcap, -1, capq_put, (u_char *)c);
		if (n == PCAP_ERROR) {
			snprintf(c->sh.error, sizeof(c->sh.error), "%s",
			    pcap_geterr(c->pcap));
			atomic_store_explicit(&c->sh.failed, 1,
			    memory_order_release);
			capture_notify(c->notify_fd);
			break;
		}
		if (atomic_load_explicit(&c->q.head, memory_order_relaxed) !=
		    before)
			capture_notify(c->notify_fd);
		now = mono_ms();
		if (now - stats_at >= CAPTURE_THREAD_STATS_MS) {
			capture_thread_stats(c);
			stats_at = now;
		}
		if (n == 0 && poll(pfd, 2, CAPTURE_THREAD_STATS_MS) < 0 &&
		    errno != EINTR)
			break;
	}
	capture_thread_stats(c);
	return NULL;
}

/*
 * Main thread: frees the consumed bytes and wakes the capture thread if
 * it waits for room. Sequentially consistent, with the thread's own
 * `waiting` then `tail`: one of the two always sees the other's store.
 */
static void
capq_publish(struct capture *c, uint64_t tail)
{
	atomic_store_explicit(&c->q.tail, tail, memory_order_seq_cst);
	if (atomic_exchange_explicit(&c->q.waiting, 0, memory_order_seq_cst))
		capture_notify(c->room_fd);
}

/*
 * Main thread: up to `max` queued frames through the decoder. Returns
 * 1 when frames are left in the ring.
 */
static int
capq_drain(struct capture *c, int max)
{
	struct capq *q = &c->q;
	struct capq_rec rec;
	uint64_t head, tail, off;
	int n = 0;

	tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	head = atomic_load_explicit(&q->head, memory_order_acquire);
	while (tail != head && (max < 0 || n < max)) {
		off = tail % q->size;
		memcpy(&rec, q->buf + off, sizeof(rec));
		if (rec.caplen == CAPQ_WRAP) {
			tail += q->size - off;
			continue;
		}
		capture_deliver(c, q->buf + off + sizeof(rec), rec.caplen,
		    rec.wirelen, rec.ts_us);
		tail += capq_need(rec.caplen);
		if (++n % CAPQ_PUBLISH == 0)
			capq_publish(c, tail);
	}
	capq_publish(c, tail);
	return tail != head ||
	    atomic_load_explicit(&q->head, memory_order_acquire) != tail;
}

/*
 * Builds "(filter) and (cfg->bpf)" from whichever of the two is set and
 * installs it. Returns -1 with err set when libpcap refuses it.
 */
static int
capture_filter(struct capture *c, const char *filter,
    const struct agent_config *cfg, char *err, size_t errlen)
{
	struct bpf_program prog;
	const char *extra = cfg->bpf;
	char *expr;
	size_t n;

	if (filter != NULL && *filter == '\0')
		filter = NULL;
	if (extra != NULL && *extra == '\0')
		extra = NULL;
	if (filter == NULL && extra == NULL)
		return 0;
	n = (filter ? strlen(filter) : 0) + (extra ? strlen(extra) : 0) + 16;
	expr = xmalloc(n);
	if (filter != NULL && extra != NULL)
		snprintf(expr, n, "(%s) and (%s)", filter, extra);
	else
		snprintf(expr, n, "%s", filter != NULL ? filter : extra);
	if (pcap_compile(c->pcap, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, errlen, "%s: filter \"%s\": %s", c->name, expr,
		    pcap_geterr(c->pcap));
		free(expr);
		return -1;
	}
	if (pcap_setfilter(c->pcap, &prog) != 0) {
		snprintf(err, errlen, "%s: filter \"%s\": %s", c->name, expr,
		    pcap_geterr(c->pcap));
		pcap_freecode(&prog);
		free(expr);
		return -1;
	}
	log_debug("%s: filter %s", c->name, expr);
	pcap_freecode(&prog);
	free(expr);
	return 0;
}

/*
 * Replaces the filter of an open capture (cfg->bpf still ANDed in): for
 * a filter that depends on the link type, known only once it is open.
 * Only before the event loop runs: the capture thread, once started,
 * owns the handle.
 */
int
capture_set_filter(struct capture *c, const char *filter,
    const struct agent_config *cfg, char *err, size_t errlen)
{
	if (c->running) {
		snprintf(err, errlen, "%s: filter set while capturing",
		    c->name);
		return -1;
	}
	return capture_filter(c, filter, cfg, err, errlen);
}

/* The link type (DLT_*) of an open capture. */
int
capture_datalink(const struct capture *c)
{
	return c->dlt;
}

/*
 * pcap_create + options + activate; returns the handle or NULL. No
 * immediate mode: the kernel then fills its ring in blocks, handed over
 * when full or after CAPTURE_TIMEOUT_MS, so the buffer holds frames at
 * their own size instead of one snaplen-sized slot each, and a burst
 * costs one wake-up per block rather than one per frame.
 */
static pcap_t *
capture_open_live(const char *iface, const struct agent_config *cfg,
    char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *p;
	int rc;

	ebuf[0] = '\0';
	if ((p = pcap_create(iface, ebuf)) == NULL) {
		snprintf(err, errlen, "%s: %s", iface, ebuf);
		return NULL;
	}
	if (cfg->snaplen > 0 && pcap_set_snaplen(p, (int)cfg->snaplen) != 0)
		goto fail;
	if (pcap_set_promisc(p, cfg->promisc ? 1 : 0) != 0)
		goto fail;
	if (cfg->pcap_buffer > 0 && pcap_set_buffer_size(p,
	    cfg->pcap_buffer > INT_MAX ? INT_MAX : (int)cfg->pcap_buffer) != 0)
		goto fail;
	if (pcap_set_timeout(p, CAPTURE_TIMEOUT_MS) != 0)
		goto fail;
	rc = pcap_activate(p);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s: %s", iface, pcap_statustostr(rc),
		    pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	if (rc > 0)
		log_warnx("%s: %s: %s", iface, pcap_statustostr(rc),
		    pcap_geterr(p));
	if (pcap_setnonblock(p, 1, ebuf) != 0) {
		snprintf(err, errlen, "%s: %s", iface, ebuf);
		pcap_close(p);
		return NULL;
	}
	return p;
fail:
	snprintf(err, errlen, "%s: cannot set capture options: %s", iface,
	    pcap_geterr(p));
	pcap_close(p);
	return NULL;
}

/*
 * The live half of capture_new(): the ring, the two eventfds and the
 * events that start the thread (on the loop's first turn, so after main
 * has dropped privileges: the thread inherits the dropped credentials
 * and no_new_privs, which are per thread on Linux), drain the ring and
 * poll the drop counters.
 */
static int
capture_live_setup(struct capture *c, const struct agent_config *cfg,
    char *err, size_t errlen)
{
	struct timeval tv = { CAPTURE_STATS_SEC, 0 }, zero = { 0, 0 };

	if ((c->pcap_fd = pcap_get_selectable_fd(c->pcap)) < 0) {
		snprintf(err, errlen, "%s: no selectable descriptor", c->name);
		return -1;
	}
	c->q.size = (uint64_t)cfg->capture_queue & ~(uint64_t)(CAPQ_ALIGN - 1);
	c->q.buf = xmalloc(c->q.size);
	c->notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	c->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	c->room_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (c->notify_fd < 0 || c->stop_fd < 0 || c->room_fd < 0) {
		snprintf(err, errlen, "%s: eventfd: %s", c->name,
		    strerror(errno));
		return -1;
	}
	c->ev = event_new(c->base, c->notify_fd, EV_READ | EV_PERSIST,
	    capture_read_cb, c);
	c->more_ev = event_new(c->base, -1, 0, capture_ring_cb, c);
	c->start_ev = event_new(c->base, -1, 0, capture_start_cb, c);
	c->stats_ev = event_new(c->base, -1, EV_PERSIST, capture_stats_cb, c);
	if (c->ev == NULL || c->more_ev == NULL || c->start_ev == NULL ||
	    c->stats_ev == NULL)
		fatalx("event_new");
	event_add(c->ev, NULL);
	event_add(c->stats_ev, &tv);
	evtimer_add(c->start_ev, &zero);
	return 0;
}

/*
 * Opens the capture: cfg->read when set (offline), else iface, falling
 * back to cfg->interface. Privileges are still held here; the caller
 * drops them once this returns.
 */
struct capture *
capture_new(struct event_base *base, const char *iface, const char *filter,
    const struct agent_config *cfg, capture_fn *fn, void *arg, char *err,
    size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct capture *c;

	c = xcalloc(1, sizeof(*c));
	c->base = base;
	c->fn = fn;
	c->arg = arg;
	c->notify_fd = c->stop_fd = c->room_fd = -1;
	if (cfg->read != NULL) {
		c->offline = 1;
		c->name = xstrdup(cfg->read);
		ebuf[0] = '\0';
		c->pcap = pcap_open_offline_with_tstamp_precision(cfg->read,
		    PCAP_TSTAMP_PRECISION_MICRO, ebuf);
		if (c->pcap == NULL) {
			snprintf(err, errlen, "%s", ebuf);
			goto fail;
		}
	} else {
		if (iface == NULL || *iface == '\0')
			iface = cfg->interface;
		if (iface == NULL || *iface == '\0') {
			snprintf(err, errlen, "no capture interface given "
			    "(source KIND:IFACE or interface key)");
			goto fail;
		}
		c->name = xstrdup(iface);
		if ((c->pcap = capture_open_live(iface, cfg, err,
		    errlen)) == NULL)
			goto fail;
	}
	c->dlt = pcap_datalink(c->pcap);
	if (capture_filter(c, filter, cfg, err, errlen) != 0)
		goto fail;
	if (c->offline) {
		c->ev = event_new(base, -1, 0, capture_read_cb, c);
		if (c->ev == NULL)
			fatalx("event_new");
		capture_next_batch(c);
		return c;
	}
	if (capture_live_setup(c, cfg, err, errlen) != 0)
		goto fail;
	log_info("%s: capturing, link type %s, snaplen %d, kernel buffer "
	    "%lld bytes, queue %" PRIu64 " bytes", c->name,
	    pcap_datalink_val_to_name(c->dlt) ?
	    pcap_datalink_val_to_name(c->dlt) : "?", pcap_snapshot(c->pcap),
	    cfg->pcap_buffer, c->q.size);
	return c;
fail:
	capture_free(c);
	return NULL;
}

/* Starts the capture thread with every signal blocked in it. */
static void
capture_start_cb(evutil_socket_t fd, short what, void *arg)
{
	struct capture *c = arg;
	int rc;

	(void)fd;
	(void)what;
	if ((rc = thread_start(&c->thread, capture_thread, c)) != 0)
		fatalx("%s: cannot start the capture thread: %s", c->name,
		    strerror(rc));
	c->running = 1;
}

/*
 * Live: one bounded share of the ring per loop turn, so a burst cannot
 * starve the uplink; what is left is taken on the next turn.
 */
static void
capture_ring_cb(evutil_socket_t fd, short what, void *arg)
{
	struct capture *c = arg;
	struct timeval tv = { 0, 0 };

	(void)fd;
	(void)what;
	if (capq_drain(c, CAPTURE_BATCH * CAPTURE_LIVE_TURNS))
		evtimer_add(c->more_ev, &tv);
}

/*
 * Offline: one batch, then yield to the loop and come back. Live: the
 * capture thread queued frames; clear the eventfd, then drain.
 */
static void
capture_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct capture *c = arg;
	uint64_t v;
	int n;

	if (!c->offline) {
		if (read(c->notify_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			log_warn("%s: eventfd", c->name);
		capture_ring_cb(fd, what, arg);
		return;
	}
	n = pcap_dispatch(c->pcap, CAPTURE_BATCH, capture_packet, (u_char *)c);
	if (n == PCAP_ERROR) {
		log_warnx("%s: %s", c->name, pcap_geterr(c->pcap));
		c->st.decode_errors++;
		c->eof = 1;
	} else if (n == 0)
		c->eof = 1;
	if (!c->eof)
		capture_next_batch(c);
}

/* Main thread: the thread's counters into c->st, warning as they rise. */
static void
capture_poll_stats(struct capture *c)
{
	if (c->offline || c->pcap == NULL)
		return;
	c->st.captured = atomic_load_explicit(&c->sh.captured,
	    memory_order_relaxed);
	c->st.kernel_drops = atomic_load_explicit(&c->sh.kernel_drops,
	    memory_order_relaxed);
	c->st.if_drops = atomic_load_explicit(&c->sh.if_drops,
	    memory_order_relaxed);
	c->st.queue_drops = atomic_load_explicit(&c->sh.queue_drops,
	    memory_order_relaxed);
	c->st.queue_waits = atomic_load_explicit(&c->sh.queue_waits,
	    memory_order_relaxed);
	if (c->st.kernel_drops > c->drops_warned) {
		log_warnx("%s: WARNING: the kernel dropped %" PRIu64
		    " packets (%" PRIu64 " in total): flow and byte counts "
		    "are incomplete; raise pcap-buffer or narrow the filter",
		    c->name, c->st.kernel_drops - c->drops_warned,
		    c->st.kernel_drops);
		c->drops_warned = c->st.kernel_drops;
	}
	if (c->st.queue_drops > c->qdrops_warned) {
		log_warnx("%s: WARNING: %" PRIu64 " packets did not fit "
		    "the capture queue (%" PRIu64 " in total): counts are "
		    "incomplete; raise capture-queue", c->name,
		    c->st.queue_drops - c->qdrops_warned, c->st.queue_drops);
		c->qdrops_warned = c->st.queue_drops;
	}
	if (!c->failed_logged && atomic_load_explicit(&c->sh.failed,
	    memory_order_acquire)) {
		log_warnx("%s: capture ended: %s", c->name, c->sh.error);
		c->failed_logged = 1;
	}
}

static void
capture_stats_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	capture_poll_stats(arg);
}

int
capture_done(const struct capture *c)
{
	return c->offline && c->eof;
}

void
capture_stats(struct capture *c, struct capture_stats *st)
{
	capture_poll_stats(c);
	*st = c->st;
}

/*
 * Live: stops the capture thread and decodes what it had queued, so a
 * source can close its sessions on everything that was captured. Safe
 * to call twice, and a no-op offline.
 */
void
capture_stop(struct capture *c)
{
	if (c == NULL || !c->running)
		return;
	atomic_store_explicit(&c->sh.stop, 1, memory_order_release);
	capture_notify(c->stop_fd);
	pthread_join(c->thread, NULL);
	c->running = 0;
	capq_drain(c, -1);
	capture_poll_stats(c);
	log_info("%s: %" PRIu64 " packets captured, %" PRIu64 " decoded, %"
	    PRIu64 " kernel drops, %" PRIu64 " interface drops, %" PRIu64
	    " queue drops, %" PRIu64 " waits for queue room", c->name,
	    c->st.captured, c->st.packets, c->st.kernel_drops,
	    c->st.if_drops, c->st.queue_drops, c->st.queue_waits);
}

void
capture_free(struct capture *c)
{
	if (c == NULL)
		return;
	capture_stop(c);
	ev_free(c->ev);
	ev_free(c->stats_ev);
	ev_free(c->start_ev);
	ev_free(c->more_ev);
	if (c->pcap != NULL)
		pcap_close(c->pcap);
	if (c->notify_fd >= 0)
		close(c->notify_fd);
	if (c->stop_fd >= 0)
		close(c->stop_fd);
	if (c->room_fd >= 0)
		close(c->room_fd);
	free(c->q.buf);
	free(c->name);
	free(c);
}
