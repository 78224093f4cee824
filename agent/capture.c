/*
 * libpcap behind libevent, for every packet source. A live capture is
 * opened with pcap_create() so snaplen, promiscuous mode, the kernel
 * buffer and immediate mode can all be set before activation; it is put in
 * non-blocking mode and its selectable fd is watched by the event loop. An
 * offline capture (cfg->read: pcap or pcapng, whatever libpcap reads) is
 * drained CAPTURE_BATCH packets per loop turn through an event that
 * re-activates itself, so a big file never starves the rest of the loop,
 * and capture_done() turns true at its end.
 *
 * Each packet is decoded here (decode-pkt.c) and only decoded packets reach
 * the callback; decode failures and truncated frames are counted. Kernel
 * drops (pcap_stats) are polled every few seconds and logged loudly the
 * moment they rise: a drop means wrong counts downstream, and an operator
 * or a test must not mistake that for a quiet network.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <pcap/pcap.h>

#include "agent.h"
#include "leakwatch/log.h"
#include "leakwatch/xmalloc.h"

#define CAPTURE_BATCH		256	/* packets per loop turn */
#define CAPTURE_LIVE_TURNS	16	/* batches per readable event */
#define CAPTURE_STATS_SEC	5	/* kernel drop poll */
#define CAPTURE_LOGGED		20	/* decode errors logged one by one */

struct capture {
	struct event_base	*base;
	pcap_t			*pcap;
	int			 dlt;
	int			 offline;
	int			 eof;
	char			*name;		/* interface or file */
	capture_fn		*fn;
	void			*arg;
	struct event		*ev;		/* fd readable / next batch */
	struct event		*stats_ev;	/* live: drop poll */
	struct capture_stats	 st;
	uint64_t		 drops_warned;
};

static void	capture_read_cb(evutil_socket_t, short, void *);
static void	capture_stats_cb(evutil_socket_t, short, void *);

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

/* One frame from libpcap: decode, count, deliver. */
static void
capture_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct capture *c = (struct capture *)user;
	enum pkt_result r;
	struct pkt p;

	if (h->caplen < h->len)
		c->st.truncated++;
	r = pkt_decode(c->dlt, data, h->caplen, h->len, &p);
	if (r != PKT_OK) {
		c->st.decode_errors++;
		if (c->st.decode_errors <= CAPTURE_LOGGED)
			log_debug("%s: packet of %u bytes: %s", c->name,
			    h->caplen, pkt_result_str(r));
		return;
	}
	c->st.packets++;
	p.ts_us = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
	c->fn(c->arg, &p);
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
 */
int
capture_set_filter(struct capture *c, const char *filter,
    const struct agent_config *cfg, char *err, size_t errlen)
{
	return capture_filter(c, filter, cfg, err, errlen);
}

/* The link type (DLT_*) of an open capture. */
int
capture_datalink(const struct capture *c)
{
	return c->dlt;
}

/* pcap_create + options + activate; returns the handle or NULL. */
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
	if (pcap_set_immediate_mode(p, 1) != 0)
		goto fail;
	if (pcap_set_timeout(p, 100) != 0)
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
	struct timeval tv = { CAPTURE_STATS_SEC, 0 };
	int fd;

	c = xcalloc(1, sizeof(*c));
	c->base = base;
	c->fn = fn;
	c->arg = arg;
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
	} else {
		if ((fd = pcap_get_selectable_fd(c->pcap)) < 0) {
			snprintf(err, errlen, "%s: no selectable descriptor",
			    c->name);
			goto fail;
		}
		c->ev = event_new(base, fd, EV_READ | EV_PERSIST,
		    capture_read_cb, c);
		c->stats_ev = event_new(base, -1, EV_PERSIST,
		    capture_stats_cb, c);
		if (c->ev == NULL || c->stats_ev == NULL)
			fatalx("event_new");
		event_add(c->ev, NULL);
		event_add(c->stats_ev, &tv);
		log_info("%s: capturing, link type %s, snaplen %d", c->name,
		    pcap_datalink_val_to_name(c->dlt) ?
		    pcap_datalink_val_to_name(c->dlt) : "?",
		    pcap_snapshot(c->pcap));
	}
	return c;
fail:
	capture_free(c);
	return NULL;
}

/*
 * Offline: one batch, then yield to the loop and come back. Live: drain
 * what is buffered, bounded so one busy interface cannot starve the
 * uplink.
 */
static void
capture_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct capture *c = arg;
	int n, turns;

	(void)fd;
	(void)what;
	if (c->offline) {
		n = pcap_dispatch(c->pcap, CAPTURE_BATCH, capture_packet,
		    (u_char *)c);
		if (n == PCAP_ERROR) {
			log_warnx("%s: %s", c->name, pcap_geterr(c->pcap));
			c->st.decode_errors++;
			c->eof = 1;
		} else if (n == 0)
			c->eof = 1;
		if (!c->eof)
			capture_next_batch(c);
		return;
	}
	for (turns = 0; turns < CAPTURE_LIVE_TURNS; turns++) {
		n = pcap_dispatch(c->pcap, CAPTURE_BATCH, capture_packet,
		    (u_char *)c);
		if (n == PCAP_ERROR) {
			log_warnx("%s: %s", c->name, pcap_geterr(c->pcap));
			break;
		}
		if (n < CAPTURE_BATCH)
			break;
	}
}

/* Reads pcap_stats; a live handle only. */
static void
capture_poll_stats(struct capture *c)
{
	struct pcap_stat ps;

	if (c->offline || c->pcap == NULL)
		return;
	if (pcap_stats(c->pcap, &ps) != 0)
		return;
	c->st.kernel_drops = ps.ps_drop;
	c->st.if_drops = ps.ps_ifdrop;
	if (c->st.kernel_drops > c->drops_warned) {
		log_warnx("%s: WARNING: the kernel dropped %" PRIu64
		    " packets (%" PRIu64 " in total): flow and byte counts "
		    "are incomplete; raise pcap_buffer or narrow the filter",
		    c->name, c->st.kernel_drops - c->drops_warned,
		    c->st.kernel_drops);
		c->drops_warned = c->st.kernel_drops;
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

void
capture_free(struct capture *c)
{
	if (c == NULL)
		return;
	if (c->ev != NULL)
		event_free(c->ev);
	if (c->stats_ev != NULL)
		event_free(c->stats_ev);
	if (c->pcap != NULL) {
		capture_poll_stats(c);
		pcap_close(c->pcap);
	}
	free(c->name);
	free(c);
}
