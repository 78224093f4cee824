/*
 * libFuzzer target over the net source's packet path: decode-pkt.c, then
 * the flow table (flow.c) with nDPI (dpi.c) and the category map. The
 * input is a link-type byte and a series of packets, each as a 2-byte
 * length, a 1-byte time step (tens of milliseconds, so timeouts, TCP
 * lingers and periodic updates all happen) and the frame. The table is
 * capped at 8 flows so eviction runs too. Invariants checked on every
 * record: totals never below deltas, a flow's deltas add up to its final
 * totals, and every flow is reported and freed at the end.
 */
#include <pcap/dlt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../agent/agent.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const int dlts[] = {
	DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_NULL, DLT_RAW,
	DLT_IPV6
};

#define NSUMS	64

static struct dpi	*dpi;
static struct catmap	*map;
static struct {
	uint64_t	 id;
	uint64_t	 out;
	uint64_t	 in;
} sums[NSUMS];

static void
check_cb(void *arg, const struct flow_rec *r)
{
	struct cat_query q;
	char app[64];
	size_t i, slot = NSUMS;

	(void)arg;
	if (r->delta_out > r->bytes_out || r->delta_in > r->bytes_in)
		abort();
	if (r->pkts_out + r->pkts_in == 0)
		abort();
	for (i = 0; i < NSUMS; i++)
		if (sums[i].id == r->id || (sums[i].id == 0 && slot == NSUMS))
			slot = i;
	if (slot < NSUMS) {
		sums[slot].id = r->id;
		sums[slot].out += r->delta_out;
		sums[slot].in += r->delta_in;
		if (sums[slot].out != r->bytes_out ||
		    sums[slot].in != r->bytes_in)
			abort();
		if (r->final)
			memset(&sums[slot], 0, sizeof(sums[slot]));
	}
	if (r->dpi != NULL && r->dpi->done) {
		dpi_app_name(dpi, r->dpi, app, sizeof(app));
		memset(&q, 0, sizeof(q));
		q.app = app;
		q.master = dpi_master_name(dpi, r->dpi);
		q.ndpi_category = dpi_category_name(dpi, r->dpi);
		q.server_name = r->dpi->server_name;
		q.proto = r->proto;
		q.dport = r->dport;
		q.risks = r->dpi->risks;
		if (catmap_lookup(map, &q) == NULL)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *v[1] = { (char *)(uintptr_t)"10.0.0.0/8,fc00::/7" };
	struct agent_config cfg;
	struct flow_table *t;
	struct flow_stats st;
	struct pkt p;
	char err[256];
	int64_t ts = 1700000000000000LL;
	size_t off, n;
	uint8_t *b;
	int dlt;

	if (dpi == NULL) {
		if ((dpi = dpi_new(err, sizeof(err))) == NULL)
			abort();
		if ((map = catmap_load(NULL, err, sizeof(err))) == NULL)
			abort();
	}
	if (size < 1)
		return 0;
	memset(sums, 0, sizeof(sums));
	memset(&cfg, 0, sizeof(cfg));
	agent_config_defaults(&cfg);
	cfg.read = (char *)(uintptr_t)"fuzz";
	cfg.flow_max = 8;
	cfg.flow_idle_timeout = 2000;
	cfg.flow_active_timeout = 5000;
	cfg.flow_update = 1000;
	cfg.internal.v = v;
	cfg.internal.n = 1;
	if ((t = flow_table_new(&cfg, dpi, check_cb, NULL, err,
	    sizeof(err))) == NULL)
		abort();
	dlt = dlts[data[0] % (sizeof(dlts) / sizeof(dlts[0]))];
	off = 1;
	while (off + 3 <= size) {
		n = (size_t)data[off] << 8 | data[off + 1];
		ts += (int64_t)data[off + 2] * 10000;
		off += 3;
		if (n > size - off)
			n = size - off;
		/* An exactly-sized copy so ASan sees any over-read. */
		if ((b = malloc(n ? n : 1)) == NULL)
			break;
		memcpy(b, data + off, n);
		if (pkt_decode(dlt, b, n, n, &p) == PKT_OK) {
			p.ts_us = ts;
			flow_packet(t, &p);
		}
		free(b);
		off += n;
	}
	flow_flush(t);
	flow_table_stats(t, &st);
	if (st.active != 0 || st.evicted > st.flows)
		abort();
	flow_table_free(t);
	return 0;
}
