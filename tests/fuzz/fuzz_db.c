/*
 * libFuzzer target for the database path behind the capture: the
 * connection table (agent/db.c), the reassembler and the real PostgreSQL
 * and MySQL decoders and normaliser, fed packets as db.c receives them.
 * The input is a list of TCP segments, each a 12-byte header -
 *   byte 0: bits 0-2 connection (8 client ports), bit 3 from the server,
 *           bit 4 MySQL (port 3306, else PostgreSQL on 5432), bit 5 two
 *           hours pass first (idle timeouts), bit 6 IPv6
 *   byte 1: TCP flags; bytes 2-5 seq, 6-9 ack (big-endian)
 *   bytes 10-11: payload length (cut to what is left)
 * - then the payload, so real captures convert into seeds directly. The
 * table is small (4 sessions, 64 KB of reassembly memory) so eviction and
 * the caps are reached. Every emitted event must encode; everything must
 * be freed. Under gcc, tests/fuzz/driver.c replays the corpus.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../agent/agent.h"
#include "leakwatch/event.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint64_t	 emitted;

static void
emit(void *arg, struct lw_event *ev)
{
	char *s;
	size_t len;

	(void)arg;
	if ((s = lw_event_encode(ev, &len)) == NULL || len == 0)
		abort();
	free(s);
	lw_event_free(ev);
	emitted++;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char pg[] = "pgsql:5432", my[] = "mysql:3306";
	static char *ports[] = { pg, my };
	struct agent_config cfg;
	struct db_table *t;
	struct db_stats st;
	struct pkt p;
	char err[256];
	int64_t ts = 1700000000LL * 1000000;
	size_t len;
	uint8_t h;

	memset(&cfg, 0, sizeof(cfg));
	agent_config_defaults(&cfg);
	cfg.ports.v = ports;
	cfg.ports.n = 2;
	cfg.db_sessions_max = 4;
	cfg.reasm_stream_max = 16384;
	cfg.reasm_memory = 65536;
	cfg.statement_max = 4096;
	if ((t = db_new(&cfg, emit, NULL, err, sizeof(err))) == NULL)
		abort();
	while (size >= 12) {
		h = data[0];
		memset(&p, 0, sizeof(p));
		ts += (h & 0x20) ? 2 * 3600 * 1000000LL : 1000;
		p.ts_us = ts;
		p.ipver = (h & 0x40) ? 6 : 4;
		p.proto = 6;
		p.src[0] = p.dst[0] = 10;
		p.src[3] = (h & 0x08) ? 1 : 2;
		p.dst[3] = (h & 0x08) ? 2 : 1;
		if (h & 0x40) {
			p.src[15] = p.src[3];
			p.dst[15] = p.dst[3];
		}
		p.sport = (h & 0x08) ? ((h & 0x10) ? 3306 : 5432) :
		    (uint16_t)(40000 + (h & 7));
		p.dport = (h & 0x08) ? (uint16_t)(40000 + (h & 7)) :
		    ((h & 0x10) ? 3306 : 5432);
		p.tcp_flags = data[1];
		p.seq = be32(data + 2);
		p.ack = be32(data + 6);
		len = (size_t)data[10] << 8 | data[11];
		data += 12;
		size -= 12;
		if (len > size)
			len = size;
		p.payload = len > 0 ? data : NULL;
		p.payload_len = len;
		p.payload_wire = (uint32_t)len;
		p.caplen = p.wirelen = (uint32_t)len + 40;
		db_packet(t, &p);
		data += len;
		size -= len;
	}
	db_close_all(t, ts);
	db_stats(t, &st);
	if (st.active != 0 || st.reasm.buffered != 0 || st.invalid != 0)
		abort();
	db_free(t);
	return 0;
}
