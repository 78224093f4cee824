/*
 * Application detection with nDPI 4.2, and the only file that includes
 * nDPI: flow.c and source-net.c see struct dpi_info (protocol and category
 * ids, risks, server name) and ask here for names, so a newer nDPI changes
 * this file alone.
 *
 * Detection follows what Debian's ndpiReader does with the same library,
 * so both label a capture alike: each packet's IP header and payload go to
 * ndpi_detection_process_packet() until nDPI names an application (and
 * needs no extra packets, e.g. for a TLS certificate) or the flow has
 * passed DPI_TCP_PKTS / DPI_UDP_PKTS packets; then, if still unknown, the
 * detection is given up with port/IP guessing. The per-flow nDPI state
 * (about 700 bytes) is freed the moment detection ends, so long flows cost
 * only their small dpi_info.
 *
 * For flow.c's check of a flow's server against the name it announced,
 * this file says what nDPI knows: whether the flow names a server (TLS or
 * QUIC SNI), whether the certificate covered it (nDPI's own risk), and
 * whether nDPI's address lists put the server in the organisation whose
 * service the name is (the `owners` table below).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi_api.h>
#include <ndpi_main.h>

#include "agent.h"
#include "leakwatch/log.h"
#include "leakwatch/xmalloc.h"

#define DPI_TCP_PKTS	80	/* ndpiReader's max_num_tcp_dissected_pkts */
#define DPI_UDP_PKTS	24	/* ndpiReader's max_num_udp_dissected_pkts */

/*
 * Organisations whose addresses nDPI 4.2 lists (its ndpi_content_match.c.inc
 * and Azure tables), with the nDPI protocols they run. A server name nDPI
 * gives one of these protocols claims that organisation; nDPI's lookup of
 * the flow's address says which organisation holds the address. Services
 * without an address list (most of them) are not here, so their names
 * never make this evidence. A hosting cloud counts as its owner (Azure as
 * Microsoft, AWS as Amazon): Microsoft 365 and Amazon's own sites run in
 * those ranges, and nDPI cannot tell them from a tenant's server.
 */
enum owner {
	OWN_NONE = 0,
	OWN_MICROSOFT,
	OWN_GOOGLE,
	OWN_AMAZON,
	OWN_APPLE,
	OWN_META,
	OWN_DROPBOX
};

static const struct {
	uint16_t	 proto;
	uint8_t		 owner;
} owners[] = {
	{ NDPI_PROTOCOL_MICROSOFT, OWN_MICROSOFT },
	{ NDPI_PROTOCOL_MICROSOFT_365, OWN_MICROSOFT },
	{ NDPI_PROTOCOL_MICROSOFT_AZURE, OWN_MICROSOFT },
	{ NDPI_PROTOCOL_MS_ONE_DRIVE, OWN_MICROSOFT },
	{ NDPI_PROTOCOL_HOTMAIL, OWN_MICROSOFT },
	{ NDPI_PROTOCOL_SKYPE_TEAMS, OWN_MICROSOFT },
	{ NDPI_PROTOCOL_SKYPE_CALL, OWN_MICROSOFT },
	{ NDPI_PROTOCOL_MSTEAMS, OWN_MICROSOFT },
	{ NDPI_PROTOCOL_WINDOWS_UPDATE, OWN_MICROSOFT },
	{ NDPI_PROTOCOL_XBOX, OWN_MICROSOFT },
	{ NDPI_PROTOCOL_OCS, OWN_MICROSOFT },
	{ NDPI_PROTOCOL_GOOGLE, OWN_GOOGLE },
	{ NDPI_PROTOCOL_GMAIL, OWN_GOOGLE },
	{ NDPI_PROTOCOL_GOOGLE_MAPS, OWN_GOOGLE },
	{ NDPI_PROTOCOL_YOUTUBE, OWN_GOOGLE },
	{ NDPI_PROTOCOL_YOUTUBE_UPLOAD, OWN_GOOGLE },
	{ NDPI_PROTOCOL_GOOGLE_DRIVE, OWN_GOOGLE },
	{ NDPI_PROTOCOL_GOOGLE_DOCS, OWN_GOOGLE },
	{ NDPI_PROTOCOL_GOOGLE_SERVICES, OWN_GOOGLE },
	{ NDPI_PROTOCOL_GOOGLE_PLUS, OWN_GOOGLE },
	{ NDPI_PROTOCOL_GOOGLE_CLASSROOM, OWN_GOOGLE },
	{ NDPI_PROTOCOL_HANGOUT_DUO, OWN_GOOGLE },
	{ NDPI_PROTOCOL_PLAYSTORE, OWN_GOOGLE },
	{ NDPI_PROTOCOL_AMAZON, OWN_AMAZON },
	{ NDPI_PROTOCOL_AMAZON_AWS, OWN_AMAZON },
	{ NDPI_PROTOCOL_AMAZON_VIDEO, OWN_AMAZON },
	{ NDPI_PROTOCOL_AMAZON_ALEXA, OWN_AMAZON },
	{ NDPI_PROTOCOL_APPLE, OWN_APPLE },
	{ NDPI_PROTOCOL_APPLE_ICLOUD, OWN_APPLE },
	{ NDPI_PROTOCOL_APPLE_ITUNES, OWN_APPLE },
	{ NDPI_PROTOCOL_APPLE_PUSH, OWN_APPLE },
	{ NDPI_PROTOCOL_APPLE_SIRI, OWN_APPLE },
	{ NDPI_PROTOCOL_APPLESTORE, OWN_APPLE },
	{ NDPI_PROTOCOL_FACEBOOK, OWN_META },
	{ NDPI_PROTOCOL_FACEBOOK_VOIP, OWN_META },
	{ NDPI_PROTOCOL_INSTAGRAM, OWN_META },
	{ NDPI_PROTOCOL_MESSENGER, OWN_META },
	{ NDPI_PROTOCOL_WHATSAPP, OWN_META },
	{ NDPI_PROTOCOL_WHATSAPP_CALL, OWN_META },
	{ NDPI_PROTOCOL_WHATSAPP_FILES, OWN_META },
	{ NDPI_PROTOCOL_DROPBOX, OWN_DROPBOX },
};

struct dpi {
	struct ndpi_detection_module_struct	*ndpi;
};

struct dpi_flow {
	struct ndpi_flow_struct	*nf;
	uint32_t		 pkts;
	uint8_t			 proto;
	ndpi_protocol		 last;
};

struct dpi *
dpi_new(char *err, size_t errlen)
{
	NDPI_PROTOCOL_BITMASK all;
	struct dpi *d;

	d = xcalloc(1, sizeof(*d));
	if ((d->ndpi = ndpi_init_detection_module(ndpi_no_prefs)) == NULL) {
		snprintf(err, errlen, "nDPI initialisation failed");
		free(d);
		return NULL;
	}
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(d->ndpi, &all);
	ndpi_finalize_initialization(d->ndpi);
	return d;
}

void
dpi_free(struct dpi *d)
{
	if (d == NULL)
		return;
	ndpi_exit_detection_module(d->ndpi);
	free(d);
}

size_t
dpi_flow_size(void)
{
	return sizeof(struct dpi_flow) + SIZEOF_FLOW_STRUCT;
}

/* NULL when nDPI cannot allocate: the flow then goes undetected. */
struct dpi_flow *
dpi_flow_new(struct dpi *d)
{
	struct dpi_flow *f;

	(void)d;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	if ((f->nf = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT)) == NULL) {
		free(f);
		return NULL;
	}
	memset(f->nf, 0, SIZEOF_FLOW_STRUCT);
	return f;
}

void
dpi_flow_free(struct dpi_flow *f)
{
	if (f == NULL)
		return;
	if (f->nf != NULL)
		ndpi_flow_free(f->nf);
	free(f);
}

void
dpi_info_clear(struct dpi_info *info)
{
	free(info->server_name);
	memset(info, 0, sizeof(*info));
}

/* Copies what nDPI learnt into info, then frees the nDPI state. */
static void
dpi_collect(struct dpi_flow **fp, ndpi_protocol proto, int guessed,
    struct dpi_info *info)
{
	struct dpi_flow *f = *fp;
	const char *name;
	size_t n;

	info->master = proto.master_protocol;
	info->app = proto.app_protocol;
	info->category = (uint16_t)proto.category;
	info->guessed = guessed ? 1 : 0;
	info->done = 1;
	info->risks = (uint64_t)f->nf->risk;
	name = (const char *)f->nf->host_server_name;
	n = strnlen(name, sizeof(f->nf->host_server_name));
	if (n > 0) {
		free(info->server_name);
		info->server_name = xmalloc(n + 1);
		memcpy(info->server_name, name, n);
		info->server_name[n] = '\0';
	}
	dpi_flow_free(f);
	*fp = NULL;
}

/*
 * One packet of the flow (any direction). Non-first fragments carry no
 * header nDPI could use and are not passed.
 */
int
dpi_packet(struct dpi *d, struct dpi_flow **fp, const struct pkt *p,
    struct dpi_info *info)
{
	struct dpi_flow *f = *fp;
	ndpi_protocol proto;
	uint8_t guessed = 0;
	size_t len;
	int enough;

	if (f == NULL || p->frag)
		return 0;
	len = p->l3_len > 65535 ? 65535 : p->l3_len;
	f->pkts++;
	f->proto = p->proto;
	proto = ndpi_detection_process_packet(d->ndpi, f->nf, p->l3,
	    (unsigned short)len, (uint64_t)(p->ts_us / 1000));
	f->last = proto;
	enough = (p->proto == IPPROTO_UDP && f->pkts > DPI_UDP_PKTS) ||
	    (p->proto == IPPROTO_TCP && f->pkts > DPI_TCP_PKTS);
	if (proto.app_protocol == NDPI_PROTOCOL_UNKNOWN && !enough)
		return 0;
	if (!enough && ndpi_extra_dissection_possible(d->ndpi, f->nf))
		return 0;	/* e.g. waiting for the certificate */
	if (proto.app_protocol == NDPI_PROTOCOL_UNKNOWN)
		proto = ndpi_detection_giveup(d->ndpi, f->nf, 1, &guessed);
	dpi_collect(fp, proto, guessed, info);
	return 1;
}

/* The flow ended before detection did: give up, guessing by port. */
void
dpi_finish(struct dpi *d, struct dpi_flow **fp, struct dpi_info *info)
{
	ndpi_protocol proto;
	uint8_t guessed = 0;

	if (*fp == NULL)
		return;
	proto = ndpi_detection_giveup(d->ndpi, (*fp)->nf, 1, &guessed);
	dpi_collect(fp, proto, guessed, info);
}

static ndpi_protocol
to_proto(const struct dpi_info *info)
{
	ndpi_protocol p;

	memset(&p, 0, sizeof(p));
	p.master_protocol = info->master;
	p.app_protocol = info->app;
	p.category = (ndpi_protocol_category_t)info->category;
	return p;
}

void
dpi_app_name(const struct dpi *d, const struct dpi_info *info, char *buf,
    size_t len)
{
	if (len == 0)
		return;
	buf[0] = '\0';
	ndpi_protocol2name(d->ndpi, to_proto(info), buf,
	    len > 0xffff ? 0xffff : (u_int)len);
	if (buf[0] == '\0')
		snprintf(buf, len, "Unknown");
}

const char *
dpi_master_name(const struct dpi *d, const struct dpi_info *info)
{
	const char *n;

	n = ndpi_get_proto_name(d->ndpi, info->master != 0 ? info->master :
	    info->app);
	return n != NULL ? n : "Unknown";
}

const char *
dpi_category_name(const struct dpi *d, const struct dpi_info *info)
{
	const char *n;

	n = ndpi_category_get_name(d->ndpi,
	    (ndpi_protocol_category_t)info->category);
	return n != NULL ? n : "Unspecified";
}

int
dpi_risk_max(void)
{
	return NDPI_MAX_RISK;
}

const char *
dpi_risk_name(int risk)
{
	if (risk <= 0 || risk >= NDPI_MAX_RISK)
		return NULL;
	return ndpi_risk2str((ndpi_risk_enum)risk);
}

/*
 * A name the flow announces for its server: the SNI of a TLS or QUIC
 * flow, unless it is an address. nDPI's host name of other flows is not
 * a server's (a DNS query, a DHCP client's name) or may be a proxy's
 * (HTTP Host), so it is left alone.
 */
int
dpi_names_server(const struct dpi_info *info)
{
	uint16_t m = info->master != 0 ? info->master : info->app;
	uint8_t a[16];

	if (info->server_name == NULL || info->server_name[0] == '\0')
		return 0;
	if (m != NDPI_PROTOCOL_TLS && m != NDPI_PROTOCOL_QUIC)
		return 0;
	/* Some clients put the address itself in the SNI: no name. */
	return inet_pton(AF_INET, info->server_name, a) != 1 &&
	    inet_pton(AF_INET6, info->server_name, a) != 1;
}

/* nDPI compares the certificate's subjectAltNames with the SNI (TLS 1.2
 * and earlier: TLS 1.3 encrypts the certificate). */
int
dpi_cert_mismatch(const struct dpi_info *info)
{
	return (info->risks >> NDPI_TLS_CERTIFICATE_MISMATCH) & 1;
}

static enum owner
owner_of(int proto)
{
	size_t i;

	for (i = 0; i < sizeof(owners) / sizeof(owners[0]); i++)
		if (owners[i].proto == proto)
			return (enum owner)owners[i].owner;
	return OWN_NONE;
}

/*
 * Does nDPI put addr in the organisation whose service `name` is? The
 * name goes through nDPI's host-name table (what names TLS.WindowsUpdate
 * from update.microsoft.com), the address through its IPv4 lists (nDPI
 * 4.2 has none for IPv6).
 */
enum dpi_owner
dpi_address_owner(const struct dpi *d, const char *name, uint8_t ipver,
    const uint8_t *addr)
{
	ndpi_protocol_match_result m;
	struct in_addr in;
	char buf[256];
	enum owner claimed;
	size_t n = strlen(name);
	int id;

	if (n > 0 && name[n - 1] == '.')
		n--;		/* the root's dot: the same name */
	if (ipver != 4 || n == 0 || n >= sizeof(buf))
		return DPI_OWNER_UNKNOWN;
	memcpy(buf, name, n);
	buf[n] = '\0';
	memset(&m, 0, sizeof(m));
	id = ndpi_match_string_subprotocol(d->ndpi, buf, (u_int)n, &m);
	if (id <= 0 || (claimed = owner_of(id)) == OWN_NONE)
		return DPI_OWNER_UNKNOWN;
	memcpy(&in.s_addr, addr, 4);
	if (owner_of(ndpi_network_ptree_match(d->ndpi, &in)) == claimed)
		return DPI_OWNER_SAME;
	return DPI_OWNER_OTHER;
}
