/*
 * The "db" source kind: a capture on the database ports (live on an
 * interface, or the cfg->read file offline) feeding the connection table
 * of db.c, whose events go to the agent's sink. "db:IFACE" captures on
 * IFACE, "db" on cfg->interface or, failing that, "any". The BPF filter
 * comes from the configured ports, with an 802.1Q clause on Ethernet
 * only (other link types refuse it); privileges are dropped right after
 * the capture is open, before the first packet is parsed.
 *
 * Time: idle connections are closed by packet time, so an offline read
 * times out exactly as the live capture would have; a live capture also
 * sweeps on a wall-clock timer, for quiet periods without packets. At the
 * end of an offline file every open connection is closed (and reports
 * what it holds) before the source says it is done.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <pcap/pcap.h>

#include "agent.h"
#include "leakwatch/event.h"
#include "leakwatch/log.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define SOURCE_DB_TICK_MS	1000	/* live: idle sweep */
#define SOURCE_DB_POLL_MS	10	/* offline: end-of-file check */

struct source_db {
	const struct agent_config *cfg;
	struct sink		 sink;
	uint32_t		 src_id;
	uint64_t		 pos;		/* events emitted */
	uint64_t		 emit_errors;
	struct capture		*cap;
	struct db_table		*db;
	struct event		*timer;
	int			 offline;
	int			 done;
};

/* db.c hands over each validated event; the sink owns it from here. */
static void
source_db_emit(void *arg, struct lw_event *ev)
{
	struct source_db *s = arg;

	s->pos++;
	if (s->sink.emit(s->sink.arg, ev, s->src_id, s->pos) != 0) {
		/* A spool I/O error: a live capture cannot wait, so the
		 * event is lost; count it and say so once. */
		if (s->emit_errors++ == 0)
			log_warnx("db: spool write failed; events lost");
	}
}

static void
source_db_packet(void *arg, const struct pkt *p)
{
	struct source_db *s = arg;

	db_packet(s->db, p);
}

/*
 * Live: sweep idle connections by the wall clock. Offline: once the file
 * is read, close every connection at the last packet's time, then done.
 */
static void
source_db_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct source_db *s = arg;
	struct db_stats st;

	(void)fd;
	(void)what;
	if (!s->offline) {
		db_expire(s->db, now_us());
		return;
	}
	if (s->done || !capture_done(s->cap))
		return;
	db_close_all(s->db, db_now(s->db));
	db_stats(s->db, &st);
	log_info("db: end of %s: %" PRIu64 " packets, %" PRIu64
	    " connections, %" PRIu64 " queries, %" PRIu64 " gaps (%" PRIu64
	    " bytes), %" PRIu64 " db.query events", s->cfg->read,
	    st.packets, st.sessions, st.queries, st.reasm.gaps,
	    st.reasm.gap_bytes, st.query_events);
	s->done = 1;
	event_del(s->timer);
}

/*
 * Opens the capture with the plain filter, then, on Ethernet only, adds
 * the same ports under one 802.1Q tag: libpcap refuses "vlan" on link
 * types that have no tags (BSD loopback, raw IP, Linux cooked on "any"),
 * and the link type is known only once the capture is open. No packet is
 * read before the loop runs, so none escapes the second filter.
 */
static int
source_db_open(struct source_db *s, struct event_base *base,
    const char *iface, char *filter, size_t flen, char *err, size_t errlen)
{
	if (db_bpf(s->db, 0, filter, flen) != 0) {
		snprintf(err, errlen, "db: filter too long");
		return -1;
	}
	if ((s->cap = capture_new(base, iface, filter, s->cfg,
	    source_db_packet, s, err, errlen)) == NULL)
		return -1;
	if (capture_datalink(s->cap) != DLT_EN10MB)
		return 0;
	if (db_bpf(s->db, 1, filter, flen) != 0) {
		snprintf(err, errlen, "db: filter too long");
		return -1;
	}
	return capture_set_filter(s->cap, filter, s->cfg, err, errlen);
}

struct source_db *
source_db_new(struct event_base *base, const char *arg,
    const struct agent_config *cfg, uint32_t src_id, const struct sink *sink,
    char *err, size_t errlen)
{
	struct source_db *s;
	const char *iface;
	char filter[DB_MAX_PORTS * 40 + 64];

	s = xcalloc(1, sizeof(*s));
	s->cfg = cfg;
	s->sink = *sink;
	s->src_id = src_id;
	s->offline = cfg->read != NULL;
	if ((s->db = db_new(cfg, source_db_emit, s, err, errlen)) == NULL) {
		free(s);
		return NULL;
	}
	iface = arg != NULL && *arg != '\0' ? arg : cfg->interface;
	if (iface == NULL || *iface == '\0')
		iface = "any";
	if (source_db_open(s, base, iface, filter, sizeof(filter), err,
	    errlen) != 0) {
		capture_free(s->cap);
		db_free(s->db);
		free(s);
		return NULL;
	}
	/* main.c drops privileges once every source is open, before the
	 * loop runs: nothing parses a packet before that. */
	s->timer = ev_periodic(base, s->offline ? SOURCE_DB_POLL_MS :
	    SOURCE_DB_TICK_MS, source_db_timer_cb, s);
	if (!s->offline)
		log_info("db: capturing on %s, filter %s", iface, filter);
	return s;
}

int
source_db_done(const struct source_db *s)
{
	return s->done;
}

/* read: events emitted; errors: undecodable packets, malformed input the
 * decoders skipped and refused events. */
void
source_db_stats(const struct source_db *s, struct source_stats *st)
{
	struct capture_stats cs;
	struct db_stats ds;

	capture_stats(s->cap, &cs);
	db_stats(s->db, &ds);
	st->read = s->pos;
	st->errors = cs.decode_errors + ds.invalid + ds.normalise_errors +
	    ds.malformed;
	st->packets = cs.packets;
	st->kernel_drops = cs.kernel_drops;
	st->queue_drops = cs.queue_drops;
	st->evicted = ds.evicted;
	st->aggregated = ds.agg.folded;
	st->agg_evicted = ds.agg.evicted;
}

void
source_db_free(struct source_db *s)
{
	struct capture_stats cs;
	struct db_stats ds;

	if (s == NULL)
		return;
	ev_free(s->timer);
	/* Live: what was captured is decoded, then connections still
	 * open end with the agent. */
	capture_stop(s->cap);
	db_close_all(s->db, s->offline ? db_now(s->db) : now_us());
	capture_stats(s->cap, &cs);
	db_stats(s->db, &ds);
	if (cs.kernel_drops > 0 || cs.if_drops > 0 || cs.queue_drops > 0)
		log_warnx("db: the capture lost %" PRIu64 " packets in the "
		    "kernel, %" PRIu64 " at the interface and %" PRIu64
		    " in the capture queue: counts are lower bounds",
		    cs.kernel_drops, cs.if_drops, cs.queue_drops);
	log_info("db: %" PRIu64 " packets, %" PRIu64 " connections (%"
	    PRIu64 " evicted, %" PRIu64 " idle), %" PRIu64 " queries (%"
	    PRIu64 " db.query events, %" PRIu64 " folded), %" PRIu64
	    " session events, %" PRIu64 " malformed; reassembly: %"
	    PRIu64 " gaps (%" PRIu64 " bytes), %" PRIu64 " out of order, %"
	    PRIu64 " retransmitted bytes, %" PRIu64 " conflicts, %" PRIu64
	    " at caps", ds.packets, ds.sessions, ds.evicted, ds.idle_closed,
	    ds.queries, ds.query_events, ds.agg.folded, ds.session_events,
	    ds.malformed, ds.reasm.gaps,
	    ds.reasm.gap_bytes,
	    ds.reasm.ooo, ds.reasm.retrans_bytes, ds.reasm.conflicts,
	    ds.reasm.cap_stream + ds.reasm.cap_memory);
	db_free(s->db);
	capture_free(s->cap);
	free(s);
}
