/*
 * The "net" source: what leaves the network. Packets from capture.c go
 * into the flow table (flow.c), which classifies each flow with nDPI
 * (dpi.c) and reports it; this file turns each report into a net.flow
 * event (category from the category map, category.c), validates it
 * against the closed event schema and hands it to the sink.
 *
 *   net:IFACE   live capture on IFACE (or the `interface` key)
 *   net         with --read FILE: decode the file, flush every flow
 *               still open at its end, then report done
 *
 * The source is not resumable (a capture cannot be rewound), so the
 * spool position it reports is just a record counter. Records of flows
 * that stay inside (scope internal) or outside (external) the internal
 * networks are skipped when `flow-scope` is `outbound`.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "agent.h"
#include "leakwatch/event.h"
#include "leakwatch/log.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define NET_TICK_LIVE_MS	1000
#define NET_TICK_OFFLINE_MS	10
#define NET_LOGGED		20	/* refused events logged one by one */

struct source_net {
	struct event_base		*base;
	struct sink			 sink;
	uint32_t			 src_id;
	int				 offline;
	int				 done;
	int				 boundary_only;	/* flow-scope outbound */
	struct capture			*cap;
	struct dpi			*dpi;
	struct catmap			*map;
	struct flow_table		*flows;
	struct event			*tick;
	uint64_t			 emitted;
	uint64_t			 refused;
	uint64_t			 skipped;
};

static const char *
l4_name(uint8_t proto)
{
	switch (proto) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 1:
		return "icmp";
	case 58:
		return "icmp6";
	default:
		return "other";
	}
}

/*
 * A server name comes from packet bytes: keep printable ASCII (names are
 * ASCII, IDNs are punycode), replace anything else, so the event is
 * always valid UTF-8 and never carries control characters.
 */
static void
clean_name(const char *in, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i + 1 < outlen; i++)
		out[i] = (in[i] > 0x20 && in[i] < 0x7f) ? in[i] : '?';
	out[i] = '\0';
}

static void
set_ts(json_t *o, const char *key, int64_t us)
{
	char ts[TS_STRLEN];

	if (ts_format(us, ts, sizeof(ts)) == 0)
		json_object_set_new(o, key, json_string(ts));
}

static void
set_uint(json_t *o, const char *key, uint64_t v)
{
	json_object_set_new(o, key, json_integer((json_int_t)v));
}

/* Builds the net.flow object of one record, fields in schema order. */
static json_t *
net_record_json(struct source_net *n, const struct flow_rec *r)
{
	char addr[64], id[32], app[64], name[257];
	const struct dpi_info *info = r->dpi;
	struct cat_query q;
	json_t *o, *risks;
	const char *rn;
	int i, has_ports = r->proto == 6 || r->proto == 17;

	o = json_object();
	json_object_set_new(o, "type", json_string("net.flow"));
	set_ts(o, "ts", r->ts_us);
	snprintf(id, sizeof(id), "%016" PRIx64, r->id);
	json_object_set_new(o, "flow_id", json_string(id));
	pkt_addr_str(r->ipver, r->src, addr, sizeof(addr));
	json_object_set_new(o, "src", json_string(addr));
	if (has_ports)
		set_uint(o, "sport", r->sport);
	pkt_addr_str(r->ipver, r->dst, addr, sizeof(addr));
	json_object_set_new(o, "dst", json_string(addr));
	if (has_ports)
		set_uint(o, "dport", r->dport);
	json_object_set_new(o, "l4", json_string(l4_name(r->proto)));
	if (r->has_vlan)
		set_uint(o, "vlan", r->vlan);
	name[0] = '\0';
	if (info != NULL && info->server_name != NULL)
		clean_name(info->server_name, name, sizeof(name));
	if (info != NULL && info->done && n->dpi != NULL) {
		dpi_app_name(n->dpi, info, app, sizeof(app));
		memset(&q, 0, sizeof(q));
		q.app = app;
		q.master = dpi_master_name(n->dpi, info);
		q.ndpi_category = dpi_category_name(n->dpi, info);
		q.server_name = name[0] != '\0' ? name : NULL;
		q.proto = r->proto;
		q.sport = r->sport;
		q.dport = r->dport;
		q.risks = info->risks;
		q.bytes_out = r->bytes_out;
		q.bytes_in = r->bytes_in;
		json_object_set_new(o, "app", json_string(app));
		json_object_set_new(o, "category",
		    json_string(catmap_lookup(n->map, &q)));
		json_object_set_new(o, "ndpi_category",
		    json_string(q.ndpi_category));
	}
	if (name[0] != '\0')
		json_object_set_new(o, "server_name", json_string(name));
	set_uint(o, "bytes_out", r->bytes_out);
	set_uint(o, "bytes_in", r->bytes_in);
	set_uint(o, "pkts_out", r->pkts_out);
	set_uint(o, "pkts_in", r->pkts_in);
	set_uint(o, "delta_bytes_out", r->delta_out);
	set_uint(o, "delta_bytes_in", r->delta_in);
	set_ts(o, "first_ts", r->first_us);
	set_ts(o, "last_ts", r->last_us);
	if (info != NULL && info->risks != 0) {
		risks = json_array();
		for (i = 1; i < 64; i++)
			if ((info->risks >> i) & 1 &&
			    (rn = dpi_risk_name(i)) != NULL)
				json_array_append_new(risks, json_string(rn));
		json_object_set_new(o, "risks", risks);
	}
	json_object_set_new(o, "final", r->final ? json_true() :
	    json_false());
	json_object_set_new(o, "scope", json_string(flow_scope_str(r->scope)));
	return o;
}

/* flow.c reports here. */
static void
net_emit(void *arg, const struct flow_rec *r)
{
	struct source_net *n = arg;
	struct lw_event *ev;
	char err[256];

	if (n->boundary_only && (r->scope == FLOW_INTERNAL ||
	    r->scope == FLOW_EXTERNAL)) {
		n->skipped++;
		return;
	}
	if ((ev = lw_event_from_json(net_record_json(n, r), err,
	    sizeof(err))) == NULL) {
		/* Our own bug, not bad input: say so, but keep going. */
		if (n->refused++ < NET_LOGGED)
			log_warnx("net: flow record refused: %s", err);
		return;
	}
	n->emitted++;
	if (n->sink.emit(n->sink.arg, ev, n->src_id, n->emitted) != 0)
		log_warnx("net: spool write failed; flow record lost");
}

static void
net_packet(void *arg, const struct pkt *p)
{
	struct source_net *n = arg;

	flow_packet(n->flows, p);
}

static void
net_log_stats(struct source_net *n)
{
	struct capture_stats cs;
	struct flow_stats fs;

	capture_stats(n->cap, &cs);
	flow_table_stats(n->flows, &fs);
	log_info("net: %" PRIu64 " packets (%" PRIu64 " undecodable, %"
	    PRIu64 " truncated, %" PRIu64 " kernel drops), %" PRIu64
	    " flows, %" PRIu64 " records, %" PRIu64 " evicted, %" PRIu64
	    " orphan fragments", cs.packets, cs.decode_errors, cs.truncated,
	    cs.kernel_drops, fs.flows, fs.records, fs.evicted,
	    fs.frag_orphans);
}

/*
 * Offline: once the file is read, flush every flow and report done.
 * Live: expire flows by the wall clock, for when no packet comes.
 */
static void
net_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct source_net *n = arg;

	(void)fd;
	(void)what;
	if (n->done)
		return;
	if (n->offline) {
		if (!capture_done(n->cap))
			return;
		flow_flush(n->flows);
		net_log_stats(n);
		n->done = 1;
		event_del(n->tick);
		return;
	}
	flow_expire(n->flows, now_us());
}

struct source_net *
source_net_new(struct event_base *base, const char *arg,
    const struct agent_config *cfg, uint32_t src_id, const struct sink *sink,
    char *err, size_t errlen)
{
	struct source_net *n;
	struct timeval tv;
	long ms;

	n = xcalloc(1, sizeof(*n));
	n->base = base;
	n->sink = *sink;
	n->src_id = src_id;
	n->offline = cfg->read != NULL;
	if (cfg->flow_scope != NULL && strcmp(cfg->flow_scope, "all") != 0) {
		if (strcmp(cfg->flow_scope, "outbound") != 0) {
			snprintf(err, errlen, "flow-scope: expected all or "
			    "outbound");
			goto fail;
		}
		n->boundary_only = 1;
	}
	if (cfg->internal.n == 0)
		log_warnx("net: no internal networks configured (key "
		    "`internal`): every flow is reported with scope external");
	if ((n->map = catmap_load(cfg->categories, err, errlen)) == NULL)
		goto fail;
	if ((n->dpi = dpi_new(err, errlen)) == NULL)
		goto fail;
	if ((n->flows = flow_table_new(cfg, n->dpi, net_emit, n, err,
	    errlen)) == NULL)
		goto fail;
	/* Capture last: privileges are dropped right after it opens. */
	if ((n->cap = capture_new(base, arg, NULL, cfg, net_packet, n, err,
	    errlen)) == NULL)
		goto fail;
	ms = n->offline ? NET_TICK_OFFLINE_MS : NET_TICK_LIVE_MS;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if ((n->tick = event_new(base, -1, EV_PERSIST, net_tick_cb, n)) ==
	    NULL)
		fatalx("event_new");
	event_add(n->tick, &tv);
	return n;
fail:
	source_net_free(n);
	return NULL;
}

int
source_net_done(const struct source_net *n)
{
	return n->done;
}

void
source_net_stats(const struct source_net *n, struct source_stats *st)
{
	struct capture_stats cs;
	struct flow_stats fs;

	memset(st, 0, sizeof(*st));
	st->read = n->emitted;
	if (n->cap != NULL) {
		capture_stats(n->cap, &cs);
		st->errors = cs.decode_errors;
		st->packets = cs.packets;
		st->kernel_drops = cs.kernel_drops;
	}
	if (n->flows != NULL) {
		flow_table_stats(n->flows, &fs);
		st->evicted = fs.evicted;
	}
}

/* Live shutdown flushes open flows as final, so none is lost. */
void
source_net_free(struct source_net *n)
{
	if (n == NULL)
		return;
	if (n->flows != NULL && !n->done && n->cap != NULL) {
		flow_flush(n->flows);
		net_log_stats(n);
	}
	if (n->tick != NULL)
		event_free(n->tick);
	capture_free(n->cap);
	flow_table_free(n->flows);
	dpi_free(n->dpi);
	catmap_free(n->map);
	free(n);
}
