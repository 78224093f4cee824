/*
 * leakwatch-agent: reads events from its sources, spools them on disk and
 * ships them to the collector. This header is the map of the program: every
 * file's prototypes under its banner, in the order the data flows
 * (source -> spool -> uplink).
 */
#ifndef LEAKWATCH_AGENT_H
#define LEAKWATCH_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "leakwatch/conf.h"

struct lw_event;
struct event_base;

/* config.c */

struct agent_config {
	char		*name;
	char		*collector;	/* ADDR:PORT */
	char		*spool;		/* directory */
	struct conf_list sources;	/* "jsonl:PATH" ... */
	int		 insecure;	/* plaintext, tests only */
	char		*tls_ca;
	char		*tls_cert;
	char		*tls_key;
	char		*server_name;	/* name to verify; default host */
	char		*secret_file;
	long long	 spool_max;
	long long	 spool_segment;
	long long	 spool_sync;	/* ms */
	long long	 heartbeat;	/* ms */
	long long	 backoff_min;	/* ms */
	long long	 backoff_max;	/* ms */
	long long	 ack_timeout;	/* ms */
	long long	 window;	/* events in flight */

	/* Packet sources (db:IFACE, net:IFACE) and offline mode. */
	char		*read;		/* pcap file: decode, print, exit */
	char		*interface;	/* default for "db" / "net" */
	char		*bpf;		/* extra filter, ANDed */
	long long	 snaplen;
	int		 promisc;
	long long	 pcap_buffer;	/* bytes */
	char		*user;		/* drop privileges to */
	struct conf_list ports;		/* "pgsql:5432", "mysql:3306" */
	struct conf_list internal;	/* CIDRs, "a/n[,b/m]" */
	/* Database decoding. */
	long long	 reasm_stream_max; /* bytes buffered per direction */
	long long	 reasm_memory;	/* bytes buffered, all streams */
	long long	 db_sessions_max;
	long long	 db_idle_timeout; /* ms */
	long long	 statement_max;	/* bytes of SQL kept per statement */
	char		*end_user_tag;	/* sqlcommenter key, "user" */
	int		 end_user_app_name; /* application_name is end_user */
	/* Flows. */
	long long	 flow_max;
	long long	 flow_idle_timeout;	/* ms */
	long long	 flow_active_timeout;	/* ms */
	long long	 flow_update;		/* ms */
	char		*flow_scope;	/* "all" | "outbound" */
	char		*categories;	/* category map file */
};

extern const struct conf_key agent_keys[];
void	 agent_config_defaults(struct agent_config *);
int	 agent_config_check(const struct agent_config *, char *, size_t);
char	*agent_secret_load(const char *path, char *err, size_t errlen);

/* spool.c */

/*
 * The on-disk spool: every event is written here, with a sequence number,
 * before it is sent, and removed only once the collector has acknowledged
 * it, so neither a collector outage nor a SIGKILL of the agent loses an
 * event. spool.c describes the file format.
 */
#define SPOOL_MAX_SOURCES	32	/* resumable source positions kept */
#define SPOOL_MAX_RECORD	(1024 * 1024)

struct spool;

struct spool_stats {
	uint64_t	 events;	/* records on disk not yet acked */
	uint64_t	 bytes;		/* bytes of all segment files */
	uint64_t	 dropped;	/* events lost to the size cap, ever */
	uint64_t	 next_seq;	/* seq the next append gets */
	uint64_t	 acked;		/* highest acked seq (0: none) */
	uint64_t	 segments;
	uint64_t	 corrupt;	/* records skipped as corrupt */
};

enum spool_read_result {
	SPOOL_ERROR = -1,
	SPOOL_EMPTY = 0,	/* nothing after the read cursor yet */
	SPOOL_RECORD = 1,	/* rec->seq, rec->data, rec->len */
	SPOOL_GAP = 2		/* rec->seq .. rec->gap_last were dropped */
};

struct spool_rec {
	uint64_t	 seq;
	uint64_t	 gap_last;
	const char	*data;	/* valid until the next spool_* call */
	size_t		 len;
};

struct spool	*spool_open(const char *dir, uint64_t max_bytes,
		    uint64_t segment_bytes, char *err, size_t errlen);
void		 spool_free(struct spool *);
const char	*spool_instance(const struct spool *);
int		 spool_append(struct spool *, const void *data, size_t len,
		    uint32_t src_id, uint64_t src_pos, uint64_t *seq);
int		 spool_sync(struct spool *);
uint64_t	 spool_source_pos(const struct spool *, uint32_t src_id);
int		 spool_ack(struct spool *, uint64_t seq);
int		 spool_skip_to(struct spool *, uint64_t seq);
void		 spool_rewind(struct spool *, uint64_t seq);
enum spool_read_result spool_read(struct spool *, struct spool_rec *);
void		 spool_stats(const struct spool *, struct spool_stats *);

/* source.c */

/*
 * Source kinds: "jsonl:PATH" (events from a file), "db:IFACE" (database
 * wire protocols, capture on IFACE) and "net:IFACE" (outbound flows). With
 * cfg->read set, a packet source reads that pcap file instead of IFACE and
 * is done at its end, after flushing every open session or flow.
 */

/*
 * Where a source delivers: the agent's emit() spools the event (taking
 * ownership) and returns -1 only on a spool I/O error; full() says the
 * spool is near its cap, so a source that can wait (a file) should.
 */
struct sink {
	int	(*emit)(void *arg, struct lw_event *, uint32_t src_id,
		    uint64_t pos);
	int	(*full)(void *arg);
	void	 *arg;
};

struct source_stats {
	uint64_t	 read;		/* events emitted */
	uint64_t	 errors;	/* bad input skipped */
};

struct source;
struct source	*source_new(struct event_base *, const char *spec,
		    const struct agent_config *, const struct sink *,
		    const struct spool *, int follow, char *err,
		    size_t errlen);
int		 source_done(const struct source *);
void		 source_stats(const struct source *, struct source_stats *);
const char	*source_spec(const struct source *);
void		 source_free(struct source *);

/* source-jsonl.c */
struct source_jsonl;
struct source_jsonl *jsonl_new(struct event_base *, const char *path,
		    uint32_t src_id, const struct sink *, uint64_t resume,
		    int follow, char *err, size_t errlen);
int		 jsonl_done(const struct source_jsonl *);
void		 jsonl_stats(const struct source_jsonl *,
		    struct source_stats *);
void		 jsonl_free(struct source_jsonl *);

/*
 * The packet path, in the order the bytes flow:
 *   capture.c (libpcap) -> decode-pkt.c (link, IP, L4 headers)
 *     db:  -> db.c (session table) -> reasm.c (TCP, per direction)
 *             -> decode-pgsql.c / decode-mysql.c -> db.query events
 *     net: -> flow.c (flow table) -> dpi.c (nDPI) -> category.c
 *             -> net.flow events
 */

/* decode-pkt.c */

#define PKT_MAX_VLAN	2

enum pkt_result {
	PKT_OK = 0,
	PKT_SHORT,		/* truncated below a header we need */
	PKT_UNSUPPORTED,	/* link type or ethertype we do not decode */
	PKT_BAD			/* malformed header */
};

/*
 * One decoded packet. Pointers point into the caller's buffer and live as
 * long as it does. Addresses are 16 bytes; IPv4 uses the first 4.
 */
struct pkt {
	int64_t		 ts_us;
	uint32_t	 caplen;
	uint32_t	 wirelen;
	uint16_t	 vlan[PKT_MAX_VLAN];
	int		 nvlan;
	uint8_t		 ipver;		/* 4 or 6 */
	uint8_t		 src[16];
	uint8_t		 dst[16];
	uint8_t		 proto;		/* L4 protocol number */
	uint32_t	 ip_len;	/* IP total length, header included */
	int		 frag;		/* IPv4/IPv6 fragment, not the first */
	int		 frag_first;	/* first fragment of several */
	const uint8_t	*l3;		/* IP header, for nDPI */
	size_t		 l3_len;	/* captured bytes from l3 */
	uint16_t	 sport;		/* TCP/UDP ports, host order */
	uint16_t	 dport;
	uint8_t		 tcp_flags;	/* TH_SYN ... */
	uint32_t	 seq;		/* TCP, host order */
	uint32_t	 ack;
	uint8_t		 icmp_type;
	const uint8_t	*payload;	/* L4 payload, captured part */
	size_t		 payload_len;	/* captured payload bytes */
	uint32_t	 payload_wire;	/* payload bytes by the IP length */
};

#define PKT_FIN		0x01
#define PKT_SYN		0x02
#define PKT_RST		0x04
#define PKT_PSH		0x08
#define PKT_ACK		0x10

enum pkt_result	 pkt_decode(int dlt, const uint8_t *buf, size_t caplen,
		    size_t wirelen, struct pkt *);
const char	*pkt_result_str(enum pkt_result);
/* "1.2.3.4" or "2001:db8::1" (no port); buf of at least 46 bytes. */
void		 pkt_addr_str(uint8_t ipver, const uint8_t *addr, char *buf,
		    size_t len);

/* capture.c */

struct capture_stats {
	uint64_t	 packets;	/* handed to the callback */
	uint64_t	 kernel_drops;	/* pcap_stats ps_drop */
	uint64_t	 if_drops;	/* pcap_stats ps_ifdrop */
	uint64_t	 decode_errors;	/* pkt_decode() != PKT_OK */
	uint64_t	 truncated;	/* caplen < wirelen */
};

typedef void	 capture_fn(void *arg, const struct pkt *);

/*
 * A live capture on cfg->interface (or the source's argument) or an
 * offline read of cfg->read, filtered by `filter` ANDed with cfg->bpf.
 * Live captures are non-blocking and driven by libevent; offline reads
 * are drained in batches from the event loop. The caller drops
 * privileges after capture_new() returns.
 */
struct capture;
struct capture	*capture_new(struct event_base *, const char *iface,
		    const char *filter, const struct agent_config *,
		    capture_fn *, void *arg, char *err, size_t errlen);
int		 capture_done(const struct capture *);	/* offline EOF */
void		 capture_stats(struct capture *, struct capture_stats *);
void		 capture_free(struct capture *);

/* priv.c */
/* Drops to cfg->user (if set) and sets no_new_privs; fatal on failure. */
void		 priv_drop(const struct agent_config *);

/* db.c */

/*
 * The database side: a table of TCP connections to the configured
 * database ports, each with two reassembled directions and one protocol
 * decoder. A decoder sees each direction's bytes in order; it reports
 * what it found through struct db_out, and db.c turns that into events
 * (normalising statements on the way, so raw SQL never leaves).
 */
enum db_dir {
	DB_FROM_CLIENT = 0,
	DB_FROM_SERVER = 1
};

/* Session identity as the decoder learns it. */
struct db_session_info {
	const char	*db_system;	/* "postgresql" | "mysql" */
	char		 server[64];	/* "ip:port" */
	char		 client[64];
	char		 session_id[64];
	char		 db_user[128];
	char		 database[128];	/* or MySQL current schema */
	char		 app_name[256];
	char		 search_path[256];
};

/* One statement's outcome, at the end of its result. */
struct db_query {
	const char	*sql;		/* raw text; normalised by db.c */
	size_t		 sql_len;
	const char	*origin_sql;	/* DECLARE/PREPARE/Parse it came */
	size_t		 origin_len;	/* from: tables and command */
	const char	*command;	/* NULL: from the statement */
	uint64_t	 rows_returned;
	uint64_t	 rows_affected;
	int		 has_affected;
	uint64_t	 bytes;		/* result bytes on the wire */
	int64_t		 start_us;
	int64_t		 end_us;
	int		 error;
	char		 error_code[16];	/* SQLSTATE or errno */
	int		 partial;	/* bytes lost in a capture gap */
};

struct db_out {
	void	(*query)(void *arg, const struct db_session_info *,
		    const struct db_query *);
	void	(*session)(void *arg, const struct db_session_info *,
		    const char *action, int64_t ts_us, const char *error_code);
	void	 *arg;
};

/* A protocol decoder, one per wire protocol, registered in db.c. */
struct db_proto {
	const char	*name;		/* "pgsql", "mysql" (for --port) */
	const char	*db_system;	/* "postgresql", "mysql" */
	uint16_t	 default_port;
	void		*(*new)(struct db_session_info *, const struct db_out *,
			    const struct agent_config *);
	/* In-order bytes of one direction; ts of the packet. */
	void		 (*data)(void *, enum db_dir, const uint8_t *, size_t,
			    int64_t ts_us);
	/* len bytes of one direction were lost (capture gap). */
	void		 (*gap)(void *, enum db_dir, size_t len, int64_t ts_us);
	/* Connection ended (FIN/RST/timeout/end of capture). */
	void		 (*close)(void *, int64_t ts_us);
	void		 (*free)(void *);
};

extern const struct db_proto db_proto_pgsql;	/* decode-pgsql.c */
extern const struct db_proto db_proto_mysql;	/* decode-mysql.c */

/* source-db.c: the "db" source kind (capture -> db.c -> sink) */
struct source_db;
struct source_db *source_db_new(struct event_base *, const char *arg,
		    const struct agent_config *, uint32_t src_id,
		    const struct sink *, char *err, size_t errlen);
int		 source_db_done(const struct source_db *);
void		 source_db_stats(const struct source_db *,
		    struct source_stats *);
void		 source_db_free(struct source_db *);

/* source-net.c: the "net" source kind (capture -> flow.c -> sink) */
struct source_net;
struct source_net *source_net_new(struct event_base *, const char *arg,
		    const struct agent_config *, uint32_t src_id,
		    const struct sink *, char *err, size_t errlen);
int		 source_net_done(const struct source_net *);
void		 source_net_stats(const struct source_net *,
		    struct source_stats *);
void		 source_net_free(struct source_net *);

/* uplink.c */

struct uplink_stats {
	uint64_t	 sent;		/* EVENT frames written */
	uint64_t	 acked;		/* highest seq acked */
	uint64_t	 connects;
	int		 ready;
};

struct uplink;
struct uplink	*uplink_new(struct event_base *, const struct agent_config *,
		    struct spool *, const char *secret, char *err,
		    size_t errlen);
void		 uplink_on_ready(struct uplink *, void (*)(void *), void *);
void		 uplink_kick(struct uplink *);
void		 uplink_status(struct uplink *, const char *json, size_t len);
void		 uplink_stats(const struct uplink *, struct uplink_stats *);
void		 uplink_free(struct uplink *);

#endif
