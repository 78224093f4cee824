/*
 * The flow table of the net source. A flow is both directions of one
 * 5-tuple (plus up to two VLAN ids); it is found through a hash table
 * whose key puts the smaller (address, port) side first, so a packet and
 * its reply meet in the same entry.
 *
 * Direction (the settled contract, docs/events.md): `src` is the side in
 * the internal networks; when both or neither side is internal, `src` is
 * the side that opened the flow (the sender of the first SYN, or of a
 * SYN+ACK's peer, else of the first packet), and the scope says which
 * case it was. Byte counts are IP total lengths.
 *
 * Life of a flow: created by its first packet; TCP FIN in both directions
 * or an RST moves it to the closing list, where it lingers FLOW_LINGER_US
 * so the last ACKs still count, then ends; otherwise it ends after
 * flow_idle_timeout without packets or flow_active_timeout after it began
 * (a longer connection then starts a new flow with a new id). While it
 * lives, a record with final=false goes out every flow_update if its
 * bytes changed. At flow_max flows, the least recently used one is ended
 * early (evicted, counted), so memory is bounded by flow_max entries plus
 * the nDPI state of flows still being classified.
 *
 * When nDPI's detection of a flow ends, flow_claim() checks the server
 * against the name the flow announced (TLS/QUIC SNI): the certificate,
 * the DNS answers seen so far (UDP port 53 payloads go to dnscache.c
 * before anything else is done with a packet), nDPI's address lists.
 * The verdict rides on every later record of the flow.
 *
 * Time is packet time (so a capture file replays deterministically);
 * the live source also calls flow_expire() with the wall clock, so idle
 * flows end when the network goes quiet.
 *
 * Non-first IPv4 fragments are matched to their flow through a small
 * cache of first fragments (source, destination, protocol, IP id); a
 * fragment whose first one was not seen is counted under port 0 and in
 * frag_orphans.
 */
#include <sys/queue.h>
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>

#include "agent.h"
#include "leakwatch/hash.h"
#include "leakwatch/util.h"
#include "leakwatch/log.h"
#include "leakwatch/xmalloc.h"

#define FLOW_LINGER_US		(5 * 1000000LL)	/* after FIN/FIN or RST */
#define FLOW_TICK_US		(1000000LL)	/* expiry scan, packet time */
#define FLOW_FRAG_SLOTS		4096
#define FLOW_FRAG_TTL_US	(30 * 1000000LL)
#define FLOW_MAX_INTERNAL	256
#define FLOW_DNS_NAMES		4096	/* names the DNS cache holds */

/* Canonical key: side a is the smaller (address, port). No padding. */
struct flow_key {
	uint8_t		 a[16];
	uint8_t		 b[16];
	uint16_t	 pa;
	uint16_t	 pb;
	uint16_t	 vlan0;
	uint16_t	 vlan1;
	uint8_t		 proto;
	uint8_t		 ipver;
	uint8_t		 nvlan;
	uint8_t		 pad;
};

struct flow {
	struct flow_key		 key;
	struct flow		*hnext;
	TAILQ_ENTRY(flow)	 lru;	/* idle list or closing list */
	TAILQ_ENTRY(flow)	 upd;	/* by time of the last record */
	TAILQ_ENTRY(flow)	 age;	/* by creation */
	uint64_t		 id;
	int64_t			 first_us;
	int64_t			 last_us;
	int64_t			 report_us;
	uint64_t		 bytes[2];	/* [0] a->b, [1] b->a */
	uint64_t		 pkts[2];
	uint64_t		 rep_bytes[2];	/* at the last record */
	uint8_t			 src_is_b;
	uint8_t			 scope;
	uint8_t			 fin[2];
	uint8_t			 closing;
	uint8_t			 mismatch;	/* enum flow_mismatch */
	struct dpi_flow		*dpi;
	struct dpi_info		 info;
};

TAILQ_HEAD(flow_list, flow);

struct cidr {
	uint8_t		 ipver;
	uint8_t		 len;
	uint8_t		 addr[16];
};

struct frag_slot {
	uint8_t		 src[4];
	uint8_t		 dst[4];
	uint16_t	 ipid;
	uint8_t		 proto;
	uint8_t		 used;
	uint16_t	 sport;
	uint16_t	 dport;
	int64_t		 ts_us;
};

struct flow_table {
	struct flow		**buckets;
	size_t			 nbuckets;	/* power of two */
	size_t			 nflows;
	size_t			 max;
	int64_t			 idle_us;
	int64_t			 active_us;
	int64_t			 update_us;
	int64_t			 now;
	int64_t			 last_tick;
	uint64_t		 salt;
	uint64_t		 hkey;		/* random: bucket placement */
	uint64_t		 next_id;
	struct flow_list	 idle;
	struct flow_list	 closing;
	struct flow_list	 upd;
	struct flow_list	 age;
	struct cidr		 internal[FLOW_MAX_INTERNAL];
	size_t			 ninternal;
	struct frag_slot	 frags[FLOW_FRAG_SLOTS];
	struct dpi		*dpi;
	struct dnscache		*dns;
	flow_emit_fn		*emit;
	void			*arg;
	struct flow_stats	 st;
};

static void	flow_end(struct flow_table *, struct flow *, enum flow_end);
static void	flow_claim(struct flow_table *, struct flow *);

/*
 * Keyed with a random value per table: an outsider who picks addresses
 * and ports cannot aim many flows at one bucket, which would turn every
 * lookup into a list walk and the capture into kernel drops. Output does
 * not depend on bucket order (flows leave by their lists), so the key
 * need not be reproducible.
 */
static uint64_t
key_hash(uint64_t hkey, const struct flow_key *k)
{
	return hash_mix64_words(0xcbf29ce484222325ULL ^ hkey, k,
	    sizeof(*k) / 8);
}

const char *
flow_mismatch_str(enum flow_mismatch m)
{
	switch (m) {
	case MISMATCH_NONE:
		return NULL;
	case MISMATCH_CERTIFICATE:
		return "certificate";
	case MISMATCH_DNS:
		return "dns";
	case MISMATCH_ADDRESS_LIST:
		return "address_list";
	}
	return NULL;
}

const char *
flow_scope_str(enum flow_scope s)
{
	switch (s) {
	case FLOW_INTERNAL:
		return "internal";
	case FLOW_OUTBOUND:
		return "outbound";
	case FLOW_INBOUND:
		return "inbound";
	case FLOW_EXTERNAL:
		return "external";
	}
	return "external";
}

/* One "addr/len" (len optional: a host). */
static int
cidr_parse(const char *s, size_t n, struct cidr *c)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	long len;
	int max;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(c, 0, sizeof(*c));
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->ipver = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->ipver = 6;
		max = 128;
	} else
		return -1;
	len = max;
	if (slash != NULL) {
		if (*slash < '0' || *slash > '9')
			return -1;
		len = strtol(slash, &end, 10);
		if (*end != '\0' || len < 0 || len > max)
			return -1;
	}
	c->len = (uint8_t)len;
	return 0;
}

int
flow_add_internal(struct flow_table *t, const char *list, char *err,
    size_t errlen)
{
	const char *p = list, *e;
	size_t n;

	while (*p != '\0') {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e != '\0' && *e != ',' && *e != ' ' &&
		    *e != '\t'; e++)
			;
		n = (size_t)(e - p);
		if (t->ninternal == FLOW_MAX_INTERNAL) {
			snprintf(err, errlen, "internal: more than %d networks",
			    FLOW_MAX_INTERNAL);
			return -1;
		}
		if (cidr_parse(p, n, &t->internal[t->ninternal]) != 0) {
			snprintf(err, errlen, "internal: \"%.*s\" is not an "
			    "address or CIDR", (int)(n > 64 ? 64 : n), p);
			return -1;
		}
		t->ninternal++;
		p = e;
	}
	return 0;
}

static int
cidr_match(const struct cidr *c, uint8_t ipver, const uint8_t *a)
{
	unsigned full = c->len / 8, rest = c->len % 8;
	uint8_t mask;

	if (c->ipver != ipver)
		return 0;
	if (memcmp(c->addr, a, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - rest));
	return (c->addr[full] & mask) == (a[full] & mask);
}

/*
 * Addresses that never leave the local network count as internal
 * whatever the configuration says: broadcast, multicast and link-local
 * (a LAN-sync broadcast is not an upload to the Internet).
 */
static int
is_local_only(uint8_t ipver, const uint8_t *a)
{
	static const uint8_t bcast[4] = { 255, 255, 255, 255 };

	if (ipver == 4)
		return memcmp(a, bcast, 4) == 0 || (a[0] & 0xf0) == 224 ||
		    (a[0] == 169 && a[1] == 254);
	return a[0] == 0xff || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80);
}

static int
is_internal(const struct flow_table *t, uint8_t ipver, const uint8_t *a)
{
	size_t i;

	if (is_local_only(ipver, a))
		return 1;
	for (i = 0; i < t->ninternal; i++)
		if (cidr_match(&t->internal[i], ipver, a))
			return 1;
	return 0;
}

struct flow_table *
flow_table_new(const struct agent_config *cfg, struct dpi *dpi,
    flow_emit_fn *emit, void *arg, char *err, size_t errlen)
{
	struct flow_table *t;
	size_t i;

	t = xcalloc(1, sizeof(*t));
	t->max = cfg->flow_max > 0 ? (size_t)cfg->flow_max : 1000000;
	t->idle_us = cfg->flow_idle_timeout * 1000;
	t->active_us = cfg->flow_active_timeout * 1000;
	t->update_us = cfg->flow_update * 1000;
	for (t->nbuckets = 1024; t->nbuckets < t->max &&
	    t->nbuckets < (1U << 24); t->nbuckets <<= 1)
		;
	t->buckets = xcalloc(t->nbuckets, sizeof(*t->buckets));
	TAILQ_INIT(&t->idle);
	TAILQ_INIT(&t->closing);
	TAILQ_INIT(&t->upd);
	TAILQ_INIT(&t->age);
	t->dpi = dpi;
	t->dns = dnscache_new(FLOW_DNS_NAMES);
	t->emit = emit;
	t->arg = arg;
	/* Offline, ids are a pure function of the capture, so two runs over
	 * one file agree; live, a random salt keeps them unique across
	 * restarts. */
	if (cfg->read == NULL &&
	    getrandom(&t->salt, sizeof(t->salt), 0) != sizeof(t->salt))
		t->salt = (uint64_t)getpid() << 32;
	if (getrandom(&t->hkey, sizeof(t->hkey), 0) != sizeof(t->hkey))
		t->hkey = hash_mix64((uint64_t)getpid() ^ (uint64_t)now_us());
	for (i = 0; i < cfg->internal.n; i++)
		if (flow_add_internal(t, cfg->internal.v[i], err, errlen) != 0) {
			flow_table_free(t);
			return NULL;
		}
	return t;
}

static void
flow_unlink(struct flow_table *t, struct flow *f)
{
	struct flow **pp;

	pp = &t->buckets[key_hash(t->hkey, &f->key) & (t->nbuckets - 1)];
	while (*pp != NULL && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp == f)
		*pp = f->hnext;
	TAILQ_REMOVE(f->closing ? &t->closing : &t->idle, f, lru);
	TAILQ_REMOVE(&t->upd, f, upd);
	TAILQ_REMOVE(&t->age, f, age);
	t->nflows--;
}

/*
 * Once detection is over: does the flow's server belong to the name the
 * flow announced (TLS/QUIC SNI)? The strongest evidence that speaks
 * decides. (a) A certificate that does not cover the name proves a
 * mismatch; one that covers it proves nothing, since anyone can make a
 * certificate for any name and nothing here checks its chain. (b) DNS
 * answers seen on the capture around the flow's start: the name was
 * answered with the server's address (a match, which outweighs (c)) or
 * with other addresses only (a mismatch). (c) nDPI's address lists,
 * for names of services it has lists for: the address is in another
 * organisation's range or in none. Without evidence the flow is left
 * alone. The server is the side the flow was opened to: `dst`, except
 * on an inbound flow, where it is the internal `src`.
 */
static void
flow_claim(struct flow_table *t, struct flow *f)
{
	const char *name = f->info.server_name;
	const uint8_t *server;
	enum flow_mismatch why = MISMATCH_NONE;
	int src_is_server = f->scope == FLOW_INBOUND;

	if (!dpi_names_server(&f->info))
		return;
	if (src_is_server)
		server = f->src_is_b ? f->key.b : f->key.a;
	else
		server = f->src_is_b ? f->key.a : f->key.b;
	if (dpi_cert_mismatch(&f->info))
		why = MISMATCH_CERTIFICATE;
	else {
		switch (dnscache_check(t->dns, name, f->key.ipver, server,
		    f->first_us)) {
		case DNS_SEEN_MATCH:
			return;
		case DNS_SEEN_OTHER:
			why = MISMATCH_DNS;
			break;
		case DNS_UNSEEN:
			if (dpi_address_owner(t->dpi, name, f->key.ipver,
			    server) == DPI_OWNER_OTHER)
				why = MISMATCH_ADDRESS_LIST;
			break;
		}
	}
	if (why == MISMATCH_NONE)
		return;
	f->mismatch = (uint8_t)why;
	t->st.mismatches++;
}

/* Reports the flow's current state. */
static void
flow_report(struct flow_table *t, struct flow *f, int final,
    enum flow_end why, int64_t ts)
{
	struct flow_rec r;
	int s = f->src_is_b, d = !f->src_is_b;

	memset(&r, 0, sizeof(r));
	r.id = hash_mix64(f->id ^ t->salt);
	r.ipver = f->key.ipver;
	r.proto = f->key.proto;
	r.has_vlan = f->key.nvlan > 0;
	/* The innermost tag names the customer/host VLAN (ndpiReader
	 * reports the same one). */
	r.vlan = f->key.nvlan > 1 ? f->key.vlan1 : f->key.vlan0;
	r.src = s ? f->key.b : f->key.a;
	r.dst = s ? f->key.a : f->key.b;
	r.sport = s ? f->key.pb : f->key.pa;
	r.dport = s ? f->key.pa : f->key.pb;
	r.scope = (enum flow_scope)f->scope;
	r.bytes_out = f->bytes[s];
	r.bytes_in = f->bytes[d];
	r.pkts_out = f->pkts[s];
	r.pkts_in = f->pkts[d];
	r.delta_out = f->bytes[s] - f->rep_bytes[s];
	r.delta_in = f->bytes[d] - f->rep_bytes[d];
	r.first_us = f->first_us;
	r.last_us = f->last_us;
	r.ts_us = ts > f->last_us ? ts : f->last_us;
	r.final = final;
	r.end = why;
	r.mismatch = (enum flow_mismatch)f->mismatch;
	r.dpi = &f->info;
	f->rep_bytes[0] = f->bytes[0];
	f->rep_bytes[1] = f->bytes[1];
	f->report_us = t->now;
	t->st.records++;
	if (!final)
		t->st.updates++;
	t->emit(t->arg, &r);
}

/*
 * Final record, then the flow is gone. A timeout's record carries the
 * time the flow timed out, not the time the scan noticed, so a replayed
 * capture with gaps still dates each end where it happened.
 */
static void
flow_end(struct flow_table *t, struct flow *f, enum flow_end why)
{
	int64_t ts = t->now;

	if (why == FLOW_END_TCP && f->last_us + FLOW_LINGER_US < ts)
		ts = f->last_us + FLOW_LINGER_US;
	else if (why == FLOW_END_IDLE && f->last_us + t->idle_us < ts)
		ts = f->last_us + t->idle_us;
	else if (why == FLOW_END_ACTIVE && f->first_us + t->active_us < ts)
		ts = f->first_us + t->active_us;
	if (f->dpi != NULL && t->dpi != NULL) {
		dpi_finish(t->dpi, &f->dpi, &f->info);
		t->st.dpi_done++;
		flow_claim(t, f);
	}
	flow_unlink(t, f);
	if (why == FLOW_END_EVICTED)
		t->st.evicted++;
	flow_report(t, f, 1, why, ts);
	dpi_flow_free(f->dpi);
	dpi_info_clear(&f->info);
	free(f);
}

/*
 * Ends what is due at `now`: lingering closed TCP flows, idle flows,
 * flows past the active timeout; sends the periodic updates.
 */
void
flow_expire(struct flow_table *t, int64_t now)
{
	struct flow *f;

	if (now > t->now)
		t->now = now;
	now = t->now;
	t->last_tick = now;
	/*
	 * flow_end() frees f after unlinking it with TAILQ_REMOVE, which
	 * moves each list's head through f's tqe_prev. clang's analyzer
	 * does not follow that pointer, keeps f as the head and reports a
	 * use after free on the next TAILQ_FIRST: a false positive, hence
	 * the NOLINT block (tests/lint.sh).
	 */
	/* NOLINTBEGIN(clang-analyzer-unix.Malloc) */
	while ((f = TAILQ_FIRST(&t->closing)) != NULL &&
	    now - f->last_us >= FLOW_LINGER_US)
		flow_end(t, f, FLOW_END_TCP);
	while ((f = TAILQ_FIRST(&t->idle)) != NULL &&
	    now - f->last_us >= t->idle_us)
		flow_end(t, f, FLOW_END_IDLE);
	while ((f = TAILQ_FIRST(&t->age)) != NULL &&
	    now - f->first_us >= t->active_us)
		flow_end(t, f, FLOW_END_ACTIVE);
	/* NOLINTEND(clang-analyzer-unix.Malloc) */
	while ((f = TAILQ_FIRST(&t->upd)) != NULL &&
	    now - f->report_us >= t->update_us) {
		TAILQ_REMOVE(&t->upd, f, upd);
		TAILQ_INSERT_TAIL(&t->upd, f, upd);
		if (f->bytes[0] != f->rep_bytes[0] ||
		    f->bytes[1] != f->rep_bytes[1])
			flow_report(t, f, 0, FLOW_UPDATE, now);
		else
			f->report_us = now;
	}
}

/* End of capture or shutdown: every flow's final record, oldest first. */
void
flow_flush(struct flow_table *t)
{
	struct flow *f;

	while ((f = TAILQ_FIRST(&t->age)) != NULL)
		flow_end(t, f, FLOW_END_FLUSH);
}

int64_t
flow_now(const struct flow_table *t)
{
	return t->now;
}

/*
 * Ports for a fragment. A first fragment is remembered; a later one
 * takes the ports of its first, if that was seen.
 */
static void
frag_ports(struct flow_table *t, const struct pkt *p, uint16_t *sp,
    uint16_t *dp)
{
	struct frag_slot *s;
	uint16_t ipid;
	uint32_t h;

	*sp = p->sport;
	*dp = p->dport;
	if (p->ipver != 4 || p->l3 == NULL || p->l3_len < 20) {
		if (p->frag)
			t->st.frag_orphans++;
		return;
	}
	ipid = (uint16_t)((p->l3[4] << 8) | p->l3[5]);
	h = (uint32_t)hash_mix64(((uint64_t)ipid << 40) ^ ((uint64_t)p->proto <<
	    32) ^ ((uint64_t)p->src[0] << 24 | (uint64_t)p->src[1] << 16 |
	    (uint64_t)p->src[2] << 8 | p->src[3]) ^ ((uint64_t)p->dst[3] <<
	    56) ^ ((uint64_t)p->dst[2] << 48)) % FLOW_FRAG_SLOTS;
	s = &t->frags[h];
	if (p->frag_first) {
		memcpy(s->src, p->src, 4);
		memcpy(s->dst, p->dst, 4);
		s->ipid = ipid;
		s->proto = p->proto;
		s->sport = p->sport;
		s->dport = p->dport;
		s->ts_us = p->ts_us;
		s->used = 1;
		return;
	}
	if (s->used && s->ipid == ipid && s->proto == p->proto &&
	    memcmp(s->src, p->src, 4) == 0 && memcmp(s->dst, p->dst, 4) == 0 &&
	    p->ts_us - s->ts_us < FLOW_FRAG_TTL_US) {
		*sp = s->sport;
		*dp = s->dport;
		return;
	}
	t->st.frag_orphans++;
}

/* Decides `src` and the scope from the first packet of a flow. */
static void
flow_direction(struct flow_table *t, struct flow *f, const struct pkt *p,
    int pkt_from_a)
{
	int opener_is_a, a_int, b_int;

	opener_is_a = pkt_from_a;
	if (p->proto == IPPROTO_TCP && (p->tcp_flags & PKT_SYN) &&
	    (p->tcp_flags & PKT_ACK))
		opener_is_a = !pkt_from_a;	/* SYN+ACK: the peer opened */
	a_int = is_internal(t, f->key.ipver, f->key.a);
	b_int = is_internal(t, f->key.ipver, f->key.b);
	if (a_int != b_int) {
		f->src_is_b = b_int;
		f->scope = (a_int == opener_is_a) ? FLOW_OUTBOUND :
		    FLOW_INBOUND;
	} else {
		f->src_is_b = !opener_is_a;
		f->scope = a_int ? FLOW_INTERNAL : FLOW_EXTERNAL;
	}
}

static struct flow *
flow_create(struct flow_table *t, const struct flow_key *k, uint64_t h,
    const struct pkt *p, int from_a)
{
	struct flow *f, *victim;

	while (t->nflows >= t->max) {
		victim = TAILQ_FIRST(&t->closing);
		if (victim == NULL)
			victim = TAILQ_FIRST(&t->idle);
		if (victim == NULL)
			break;
		/* A false positive, as in flow_expire(). */
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
		flow_end(t, victim, FLOW_END_EVICTED);
	}
	f = xcalloc(1, sizeof(*f));
	f->key = *k;
	f->id = ++t->next_id;
	f->first_us = f->last_us = f->report_us = p->ts_us;
	flow_direction(t, f, p, from_a);
	if (t->dpi != NULL)
		f->dpi = dpi_flow_new(t->dpi);
	f->hnext = t->buckets[h & (t->nbuckets - 1)];
	t->buckets[h & (t->nbuckets - 1)] = f;
	TAILQ_INSERT_TAIL(&t->idle, f, lru);
	TAILQ_INSERT_TAIL(&t->upd, f, upd);
	TAILQ_INSERT_TAIL(&t->age, f, age);
	t->nflows++;
	t->st.flows++;
	return f;
}

/* Counts one decoded packet into its flow, creating the flow if new. */
void
flow_packet(struct flow_table *t, const struct pkt *p)
{
	struct flow_key k;
	struct flow *f;
	uint16_t sp, dp;
	uint64_t h;
	int from_a, c;

	if (p->ipver != 4 && p->ipver != 6)
		return;
	if (p->ts_us > t->now)
		t->now = p->ts_us;
	if (t->now - t->last_tick >= FLOW_TICK_US)
		flow_expire(t, t->now);
	/* DNS answers first: a flow's check asks the cache later. */
	if (p->proto == IPPROTO_UDP && p->sport == 53 && !p->frag &&
	    p->payload != NULL)
		dnscache_feed(t->dns, p->payload, p->payload_len, p->ts_us);
	sp = p->sport;
	dp = p->dport;
	if (p->frag || p->frag_first)
		frag_ports(t, p, &sp, &dp);
	memset(&k, 0, sizeof(k));
	k.proto = p->proto;
	k.ipver = p->ipver;
	k.nvlan = (uint8_t)p->nvlan;
	k.vlan0 = p->nvlan > 0 ? p->vlan[0] : 0;
	k.vlan1 = p->nvlan > 1 ? p->vlan[1] : 0;
	c = memcmp(p->src, p->dst, 16);
	from_a = c < 0 || (c == 0 && sp <= dp);
	if (from_a) {
		memcpy(k.a, p->src, 16);
		memcpy(k.b, p->dst, 16);
		k.pa = sp;
		k.pb = dp;
	} else {
		memcpy(k.a, p->dst, 16);
		memcpy(k.b, p->src, 16);
		k.pa = dp;
		k.pb = sp;
	}
	h = key_hash(t->hkey, &k);
	for (f = t->buckets[h & (t->nbuckets - 1)]; f != NULL; f = f->hnext)
		if (memcmp(&f->key, &k, sizeof(k)) == 0)
			break;
	if (f == NULL)
		f = flow_create(t, &k, h, p, from_a);
	f->bytes[!from_a] += p->ip_len;
	f->pkts[!from_a]++;
	t->st.packets++;
	t->st.bytes += p->ip_len;
	if (p->ts_us > f->last_us)
		f->last_us = p->ts_us;
	/* Most recently used goes to the tail of its list. */
	TAILQ_REMOVE(f->closing ? &t->closing : &t->idle, f, lru);
	if (p->proto == IPPROTO_TCP && !p->frag) {
		if (p->tcp_flags & PKT_FIN)
			f->fin[!from_a] = 1;
		if ((p->tcp_flags & PKT_RST) || (f->fin[0] && f->fin[1]))
			f->closing = 1;
	}
	TAILQ_INSERT_TAIL(f->closing ? &t->closing : &t->idle, f, lru);
	if (f->dpi != NULL && dpi_packet(t->dpi, &f->dpi, p, &f->info)) {
		t->st.dpi_done++;
		flow_claim(t, f);
	}
}

void
flow_table_stats(const struct flow_table *t, struct flow_stats *st)
{
	*st = t->st;
	st->active = t->nflows;
	dnscache_stats(t->dns, &st->dns);
}

/* Frees every flow without reporting (flow_flush() reports). */
void
flow_table_free(struct flow_table *t)
{
	struct flow *f;

	if (t == NULL)
		return;
	while ((f = TAILQ_FIRST(&t->age)) != NULL) {
		flow_unlink(t, f);
		dpi_flow_free(f->dpi);
		dpi_info_clear(&f->info);
		free(f);
	}
	dnscache_free(t->dns);
	free(t->buckets);
	free(t);
}
