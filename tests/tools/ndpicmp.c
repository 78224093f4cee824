/*
 * ndpicmp: compares the net source's flows with Debian's ndpiReader on the
 * same capture, for tests/integration/netflow.sh.
 *
 *   ndpicmp FILE.pcap NDPIREADER-V2-OUTPUT AGENT-JSONL
 *
 * Flows are matched by protocol, VLAN and the unordered pair of
 * endpoints; several records of one key (a flow split by a timeout on
 * either side, and the periodic updates of ours) are added up, ours by
 * summing only final records. For every ndpiReader flow it checks packets
 * in each direction, bytes in each direction (ndpiReader counts the
 * captured frame bytes, caplen, leakwatch IP bytes: the difference per
 * packet, link header plus Ethernet padding, is measured here from the
 * capture itself; not from the wire length, which also counts an FCS
 * the capture may not hold), and the
 * application name when ndpiReader classified the flow by payload
 * (Confidence: DPI). Prints one line per disagreement and a summary;
 * exits 0 only when everything agrees.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <pcap/pcap.h>

#include "../../agent/agent.h"

struct ent {
	char		 key[200];	/* "PROTO vlan ep1 ep2", ep1 < ep2 */
	uint64_t	 n_pkts[2];	/* ndpiReader, [0]: ep1 -> ep2 */
	uint64_t	 n_bytes[2];
	uint64_t	 o_pkts[2];	/* ours */
	uint64_t	 o_bytes[2];
	uint64_t	 ovh[2];	/* captured - IP bytes, from pcap */
	char		 n_app[64];
	char		 o_app[64];
	int		 n_dpi;		/* ndpiReader: Confidence: DPI */
	int		 in_ndpi;
	int		 in_ours;
};

static struct ent	*ents;
static size_t		 nents, capents;

/*
 * "[v6]:port" in one canonical spelling: ndpiReader writes "a:0:b" as
 * "a::b", inet_ntop does not (RFC 5952 keeps a lone zero group).
 */
static void
canon(const char *in, char *out, size_t len)
{
	char a[64], buf[64];
	const char *close;
	uint8_t addr[16];

	if (in[0] != '[' || (close = strchr(in, ']')) == NULL ||
	    (size_t)(close - in - 1) >= sizeof(a)) {
		snprintf(out, len, "%s", in);
		return;
	}
	memcpy(a, in + 1, (size_t)(close - in - 1));
	a[close - in - 1] = '\0';
	if (inet_pton(AF_INET6, a, addr) != 1 ||
	    inet_ntop(AF_INET6, addr, buf, sizeof(buf)) == NULL) {
		snprintf(out, len, "%s", in);
		return;
	}
	snprintf(out, len, "[%s]%s", buf, close + 1);
}

/* Finds or adds key; *swap set when a -> b is the entry's ep2 -> ep1. */
static struct ent *
lookup(const char *proto, unsigned vlan, const char *a0, const char *b0,
    int *swap)
{
	char key[200], a[80], b[80];
	size_t i;

	canon(a0, a, sizeof(a));
	canon(b0, b, sizeof(b));

	*swap = strcmp(a, b) > 0;
	snprintf(key, sizeof(key), "%s %u %s %s", proto, vlan,
	    *swap ? b : a, *swap ? a : b);
	for (i = 0; i < nents; i++)
		if (strcmp(ents[i].key, key) == 0)
			return &ents[i];
	if (nents == capents) {
		capents = capents ? capents * 2 : 256;
		ents = realloc(ents, capents * sizeof(*ents));
		if (ents == NULL)
			abort();
	}
	memset(&ents[nents], 0, sizeof(ents[0]));
	snprintf(ents[nents].key, sizeof(ents[0].key), "%s", key);
	return &ents[nents++];
}

static const char *
proto_name(unsigned p)
{
	switch (p) {
	case 6:
		return "TCP";
	case 17:
		return "UDP";
	case 1:
		return "ICMP";
	case 58:
		return "ICMPV6";
	default:
		return "OTHER";
	}
}

static void
endpoint(int ipver, const uint8_t *addr, unsigned port, char *buf,
    size_t len)
{
	char a[64];

	pkt_addr_str((uint8_t)ipver, addr, a, sizeof(a));
	if (ipver == 6)
		snprintf(buf, len, "[%s]:%u", a, port);
	else
		snprintf(buf, len, "%s:%u", a, port);
}

/* Per flow and direction: captured frame bytes minus IP bytes. */
static int
read_pcap(const char *path)
{
	char ebuf[PCAP_ERRBUF_SIZE], a[80], b[80];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct pkt p;
	struct ent *e;
	pcap_t *pc;
	int dlt, rc, swap;

	if ((pc = pcap_open_offline(path, ebuf)) == NULL) {
		fprintf(stderr, "ndpicmp: %s\n", ebuf);
		return -1;
	}
	dlt = pcap_datalink(pc);
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		if (pkt_decode(dlt, data, h->caplen, h->len, &p) != PKT_OK)
			continue;
		endpoint(p.ipver, p.src, p.sport, a, sizeof(a));
		endpoint(p.ipver, p.dst, p.dport, b, sizeof(b));
		e = lookup(proto_name(p.proto), p.nvlan ? p.vlan[p.nvlan - 1] : 0, a, b,
		    &swap);
		if (h->caplen >= p.ip_len)
			e->ovh[swap] += h->caplen - p.ip_len;
	}
	pcap_close(pc);
	return 0;
}

/* "addr:port" or "[v6]:port" at s; returns the end. */
static const char *
take_word(const char *s, char *out, size_t len)
{
	size_t n = 0;

	while (*s == ' ')
		s++;
	while (*s != '\0' && *s != ' ' && n + 1 < len)
		out[n++] = *s++;
	out[n] = '\0';
	return s;
}

/*
 * ndpiReader's "P0 pkts/B0 bytes <-> P1 pkts/B1 bytes" (any word for the
 * arrow) into cnt[4]; 0, or -1 when s does not start with that.
 */
static int
parse_counts(const char *s, unsigned long long cnt[4])
{
	static const char *const unit[4] = {
		" pkts/", " bytes", " pkts/", " bytes"
	};
	char *end;
	size_t k;
	int i;

	for (i = 0; i < 4; i++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		errno = 0;
		cnt[i] = strtoull(s, &end, 10);
		k = strlen(unit[i]);
		if (errno != 0 || strncmp(end, unit[i], k) != 0)
			return -1;
		s = end + k;
		if (i == 1) {	/* blanks, the arrow, blanks */
			while (*s == ' ')
				s++;
			while (*s != '\0' && *s != ' ')
				s++;
			while (*s == ' ')
				s++;
		}
	}
	return 0;
}

static int
read_ndpi(const char *path)
{
	char line[8192], proto[16], a[80], arrow[8], b[80];
	const char *s, *q;
	unsigned long long p0, b0, p1, b1, cnt[4];
	unsigned vlan;
	struct ent *e;
	FILE *f;
	int swap;

	if ((f = fopen(path, "r")) == NULL) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		s = line;
		if (*s++ != '\t' || !isdigit((unsigned char)*s))
			continue;
		while (isdigit((unsigned char)*s))
			s++;
		if (*s++ != '\t')
			continue;
		s = take_word(s, proto, sizeof(proto));
		s = take_word(s, a, sizeof(a));
		s = take_word(s, arrow, sizeof(arrow));
		s = take_word(s, b, sizeof(b));
		if (strcmp(arrow, "<->") != 0 && strcmp(arrow, "->") != 0)
			continue;
		if (strcmp(proto, "TCP") != 0 && strcmp(proto, "UDP") != 0 &&
		    strcmp(proto, "ICMP") != 0 && strcmp(proto, "ICMPV6") != 0)
			snprintf(proto, sizeof(proto), "OTHER");
		vlan = 0;
		if ((q = strstr(s, "[VLAN: ")) != NULL)
			vlan = (unsigned)strtoul(q + 7, NULL, 10);
		q = strstr(s, " pkts/");
		while (q != NULL && q > s && isdigit((unsigned char)q[-1]))
			q--;
		if (q == NULL || parse_counts(q, cnt) != 0)
			continue;
		p0 = cnt[0];
		b0 = cnt[1];
		p1 = cnt[2];
		b1 = cnt[3];
		e = lookup(proto, vlan, a, b, &swap);
		e->in_ndpi = 1;
		e->n_pkts[swap] += p0;
		e->n_bytes[swap] += b0;
		e->n_pkts[!swap] += p1;
		e->n_bytes[!swap] += b1;
		if ((q = strstr(s, "[proto: ")) != NULL &&
		    (q = strchr(q, '/')) != NULL) {
			size_t n = strcspn(q + 1, "]");

			snprintf(e->n_app, sizeof(e->n_app), "%.*s", (int)n,
			    q + 1);
		}
		e->n_dpi = strstr(s, "[Confidence: DPI]") != NULL;
	}
	fclose(f);
	return 0;
}

static int
read_ours(const char *path)
{
	char line[70000], a[80], b[80], proto[16];
	const char *src, *dst, *l4, *app;
	json_t *o;
	json_error_t je;
	struct ent *e;
	FILE *f;
	int swap, v6;

	if ((f = fopen(path, "r")) == NULL) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if ((o = json_loads(line, 0, &je)) == NULL)
			continue;
		if (!json_is_true(json_object_get(o, "final")) ||
		    strcmp(json_string_value(json_object_get(o, "type")) ?
		    json_string_value(json_object_get(o, "type")) : "",
		    "net.flow") != 0) {
			json_decref(o);
			continue;
		}
		src = json_string_value(json_object_get(o, "src"));
		dst = json_string_value(json_object_get(o, "dst"));
		l4 = json_string_value(json_object_get(o, "l4"));
		app = json_string_value(json_object_get(o, "app"));
		if (src == NULL || dst == NULL || l4 == NULL) {
			json_decref(o);
			continue;
		}
		v6 = strchr(src, ':') != NULL;
		snprintf(a, sizeof(a), v6 ? "[%s]:%lld" : "%s:%lld", src,
		    (long long)json_integer_value(json_object_get(o, "sport")));
		snprintf(b, sizeof(b), v6 ? "[%s]:%lld" : "%s:%lld", dst,
		    (long long)json_integer_value(json_object_get(o, "dport")));
		snprintf(proto, sizeof(proto), "%s",
		    strcmp(l4, "tcp") == 0 ? "TCP" : strcmp(l4, "udp") == 0 ?
		    "UDP" : strcmp(l4, "icmp") == 0 ? "ICMP" :
		    strcmp(l4, "icmp6") == 0 ? "ICMPV6" : "OTHER");
		e = lookup(proto, (unsigned)json_integer_value(
		    json_object_get(o, "vlan")), a, b, &swap);
		e->in_ours = 1;
		e->o_pkts[swap] += (uint64_t)json_integer_value(
		    json_object_get(o, "pkts_out"));
		e->o_bytes[swap] += (uint64_t)json_integer_value(
		    json_object_get(o, "bytes_out"));
		e->o_pkts[!swap] += (uint64_t)json_integer_value(
		    json_object_get(o, "pkts_in"));
		e->o_bytes[!swap] += (uint64_t)json_integer_value(
		    json_object_get(o, "bytes_in"));
		if (app != NULL)
			snprintf(e->o_app, sizeof(e->o_app), "%s", app);
		json_decref(o);
	}
	fclose(f);
	return 0;
}

int
main(int argc, char **argv)
{
	size_t i, flows = 0, bad_pkts = 0, bad_bytes = 0, bad_app = 0,
	    missing = 0, apps = 0;
	struct ent *e;
	int d;

	if (argc != 4) {
		fprintf(stderr, "usage: ndpicmp FILE.pcap NDPI.txt OURS.jsonl\n");
		return 2;
	}
	if (read_pcap(argv[1]) != 0 || read_ndpi(argv[2]) != 0 ||
	    read_ours(argv[3]) != 0)
		return 2;
	for (i = 0; i < nents; i++) {
		e = &ents[i];
		if (!e->in_ndpi)
			continue;
		flows++;
		if (!e->in_ours) {
			missing++;
			printf("missing: %s\n", e->key);
			continue;
		}
		for (d = 0; d < 2; d++) {
			if (e->n_pkts[d] != e->o_pkts[d]) {
				bad_pkts++;
				printf("pkts: %s dir %d: ndpiReader %" PRIu64
				    " leakwatch %" PRIu64 "\n", e->key, d,
				    e->n_pkts[d], e->o_pkts[d]);
			} else if (e->n_bytes[d] - e->ovh[d] != e->o_bytes[d]) {
				bad_bytes++;
				printf("bytes: %s dir %d: ndpiReader %" PRIu64
				    " - overhead %" PRIu64 " != leakwatch %"
				    PRIu64 "\n", e->key, d, e->n_bytes[d],
				    e->ovh[d], e->o_bytes[d]);
			}
		}
		if (e->n_dpi) {
			apps++;
			if (strcmp(e->n_app, e->o_app) != 0) {
				bad_app++;
				printf("app: %s: ndpiReader %s leakwatch %s\n",
				    e->key, e->n_app, e->o_app);
			}
		}
	}
	printf("flows %zu missing %zu pkt-mismatch %zu byte-mismatch %zu "
	    "app-compared %zu app-mismatch %zu\n", flows, missing, bad_pkts,
	    bad_bytes, apps, bad_app);
	free(ents);
	return (missing || bad_pkts || bad_bytes || bad_app) ? 1 : 0;
}
