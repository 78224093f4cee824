/*
 * The "net" source: what leaves the network. Packets from capture.c go
 * into the flow table (flow.c), which classifies each flow with nDPI
 * (dpi.c) and reports it; this file turns each report into a net.flow
 * event (category from the category map, category.c), written as JSON
 * directly (lib/jsonw.c, no DOM: this runs once per flow record),
 * validates it against the closed event schema without a DOM either
 * (lw_event_from_encoded) and hands it to the sink.
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

#include "agent.h"
#include "leakwatch/event.h"
#include "leakwatch/jsonw.h"
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
	struct jsonw			 w;	/* keeps its ts cache */
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

/*
 * An address as inet_ntop() writes it. IPv4, nearly every record, is
 * formatted here: glibc's inet_ntop() goes through sprintf().
 */
static void
addr_str(uint8_t ipver, const uint8_t *a, char *buf, size_t len)
{
	char *p = buf;
	int i;

	if (ipver == 6 || len < 16) {
		pkt_addr_str(ipver, a, buf, len);
		return;
	}
	for (i = 0; i < 4; i++) {
		if (i > 0)
			*p++ = '.';
		if (a[i] >= 100)
			*p++ = (char)('0' + a[i] / 100);
		if (a[i] >= 10)
			*p++ = (char)('0' + a[i] / 10 % 10);
		*p++ = (char)('0' + a[i] % 10);
	}
	*p = '\0';
}

/* "%016" PRIx64, without printf. */
static void
flow_id_str(uint64_t id, char out[17])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 15; i >= 0; i--) {
		out[i] = hex[id & 0xf];
		id >>= 4;
	}
	out[16] = '\0';
}

/*
 * Writes the net.flow object of one record, fields in schema order,
 * straight to JSON (lib/jsonw.c). The bytes are those the jansson DOM
 * this replaced gave (json_object_set_new per field, json_dumps compact):
 * tests/integration/netflow.sh and the md5 comparison in
 * docs/benchmarks.md hold it to that. Returns the malloc'd text, or NULL
 * when memory ran out.
 */
static char *
net_record_json(struct source_net *n, const struct flow_rec *r, size_t *len)
{
	char addr[64], id[17], app[64], name[257];
	const struct dpi_info *info = r->dpi;
	struct jsonw *w = &n->w;
	struct cat_query q;
	const char *rn;
	int i, has_ports = r->proto == 6 || r->proto == 17;

	jsonw_begin(w);
	jsonw_str(w, "type", "net.flow");
	jsonw_ts(w, "ts", r->ts_us);
	flow_id_str(r->id, id);
	jsonw_str(w, "flow_id", id);
	addr_str(r->ipver, r->src, addr, sizeof(addr));
	jsonw_str(w, "src", addr);
	if (has_ports)
		jsonw_uint(w, "sport", r->sport);
	addr_str(r->ipver, r->dst, addr, sizeof(addr));
	jsonw_str(w, "dst", addr);
	if (has_ports)
		jsonw_uint(w, "dport", r->dport);
	jsonw_str(w, "l4", l4_name(r->proto));
	if (r->has_vlan)
		jsonw_uint(w, "vlan", r->vlan);
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
		q.mismatch = r->mismatch != MISMATCH_NONE;
		jsonw_str(w, "app", app);
		jsonw_str(w, "category", catmap_lookup(n->map, &q));
		jsonw_str(w, "ndpi_category", q.ndpi_category);
	}
	if (name[0] != '\0')
		jsonw_str(w, "server_name", name);
	/* json_integer() took these as signed: same digits up to 2^63. */
	jsonw_uint(w, "bytes_out", r->bytes_out);
	jsonw_uint(w, "bytes_in", r->bytes_in);
	jsonw_uint(w, "pkts_out", r->pkts_out);
	jsonw_uint(w, "pkts_in", r->pkts_in);
	jsonw_uint(w, "delta_bytes_out", r->delta_out);
	jsonw_uint(w, "delta_bytes_in", r->delta_in);
	jsonw_ts(w, "first_ts", r->first_us);
	jsonw_ts(w, "last_ts", r->last_us);
	if ((info != NULL && info->risks != 0) ||
	    r->mismatch != MISMATCH_NONE) {
		jsonw_list_begin(w, "risks");
		for (i = 1; info != NULL && i < 64; i++)
			if ((info->risks >> i) & 1 &&
			    (rn = dpi_risk_name(i)) != NULL)
				jsonw_list_str(w, rn);
		/* leakwatch's own risk, named unlike any of nDPI's. */
		if (r->mismatch != MISMATCH_NONE)
			jsonw_list_str(w, FLOW_RISK_MISMATCH);
		jsonw_list_end(w);
	}
	if (r->mismatch != MISMATCH_NONE) {
		jsonw_bool(w, "mismatch", 1);
		jsonw_str(w, "mismatch_by", flow_mismatch_str(r->mismatch));
	}
	jsonw_bool(w, "final", r->final);
	jsonw_str(w, "scope", flow_scope_str(r->scope));
	return jsonw_end(w, len);
}

/* flow.c reports here. */
static void
net_emit(void *arg, const struct flow_rec *r)
{
	struct source_net *n = arg;
	struct lw_event *ev;
	char err[256], *json;
	size_t len;

	if (n->boundary_only && (r->scope == FLOW_INTERNAL ||
	    r->scope == FLOW_EXTERNAL)) {
		n->skipped++;
		return;
	}
	if ((json = net_record_json(n, r, &len)) == NULL) {
		if (n->refused++ < NET_LOGGED)
			log_warnx("net: flow record lost: out of memory");
		return;
	}
	if ((ev = lw_event_from_encoded(json, len, err, sizeof(err))) ==
	    NULL) {
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
	    PRIu64 " truncated, %" PRIu64 " kernel drops, %" PRIu64
	    " queue drops), %" PRIu64 " flows, %" PRIu64 " records, %" PRIu64
	    " evicted, %" PRIu64 " orphan fragments", cs.packets,
	    cs.decode_errors, cs.truncated, cs.kernel_drops, cs.queue_drops,
	    fs.flows, fs.records, fs.evicted,
	    fs.frag_orphans);
	log_info("net: %" PRIu64 " flows whose server is not their name's; "
	    "DNS: %" PRIu64 " answers, %" PRIu64 " records, %" PRIu64
	    " names held, %" PRIu64 " evicted, %" PRIu64 " malformed",
	    fs.mismatches, fs.dns.answers, fs.dns.records, fs.dns.names,
	    fs.dns.evicted, fs.dns.malformed);
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

	n = xcalloc(1, sizeof(*n));
	jsonw_init(&n->w);
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
	n->tick = ev_periodic(base, n->offline ? NET_TICK_OFFLINE_MS :
	    NET_TICK_LIVE_MS, net_tick_cb, n);
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
		st->queue_drops = cs.queue_drops;
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
	/* Live: what was captured is counted before the flush. */
	capture_stop(n->cap);
	if (n->flows != NULL && !n->done && n->cap != NULL) {
		flow_flush(n->flows);
		net_log_stats(n);
	}
	ev_free(n->tick);
	capture_free(n->cap);
	flow_table_free(n->flows);
	dpi_free(n->dpi);
	catmap_free(n->map);
	jsonw_free(&n->w);
	free(n);
}
