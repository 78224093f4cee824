/*
 * leakwatch-agent: reads events from its sources, spools them on disk and
 * ships them to the collector. This header is the map of the program: every
 * file's prototypes under its banner, in the order the data flows
 * (source -> spool -> uplink).
 */
#ifndef LEAKWATCH_AGENT_H
#define LEAKWATCH_AGENT_H

#include <sys/types.h>
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
	long long	 pcap_buffer;	/* bytes: the kernel's ring */
	long long	 capture_queue;	/* bytes: capture thread -> decoder */
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
	/* Log and statistics sources (docs/log-sources.md). */
	char		*read_log;	/* FORMAT:FILE: decode, print, exit */
	char		*log_line_prefix; /* the server's, for pgaudit */
	long long	 stat_interval;	/* ms between polls */
	int		 log_dedup;	/* drop sessions the wire decoded */
	int		 stat_fill;	/* pgstat fills only the log's gaps */
	/* Folding repeated statements into one db.query (aggregate.c). */
	int		 aggregate;
	long long	 aggregate_interval;	/* ms; divides 15 minutes */
	long long	 aggregate_max_rows;	/* more: sent on its own */
	struct conf_list sensitive_tables;	/* globs: sent on their own */
};

extern const struct conf_key agent_keys[];
void	 agent_config_defaults(struct agent_config *);
int	 agent_config_check(const struct agent_config *, char *, size_t);
/* The checks that hold offline too (--read, --read-log). */
int	 agent_config_check_decode(const struct agent_config *, char *,
	    size_t);
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
int		 spool_active_fd(const struct spool *);
uint64_t	 spool_source_pos(const struct spool *, uint32_t src_id);
int		 spool_ack(struct spool *, uint64_t seq);
int		 spool_skip_to(struct spool *, uint64_t seq);
void		 spool_rewind(struct spool *, uint64_t seq);
enum spool_read_result spool_read(struct spool *, struct spool_rec *);
void		 spool_stats(const struct spool *, struct spool_stats *);

/*
 * syncer.c: the spool's periodic fdatasync on a thread of its own, so the
 * decoders never wait for the disk. syncer_request() hands over a dup of
 * fd and returns 1, or 0 when a sync is still running (skipped, counted),
 * or -1 when dup fails. `sync` is fdatasync, or a test's stand-in.
 */
struct syncer_stats {
	uint64_t	 requested;
	uint64_t	 done;
	uint64_t	 skipped;
	uint64_t	 failed;
	int		 last_errno;
	int		 busy;
	int64_t		 last_us;
	int64_t		 max_us;
};

struct syncer	*syncer_new(int (*sync)(int));
void		 syncer_free(struct syncer *);
int		 syncer_request(struct syncer *, int fd);
void		 syncer_stats(struct syncer *, struct syncer_stats *);

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
	/* Packet sources; zero for others (source_stats() clears). */
	uint64_t	 packets;	/* captured and decoded */
	uint64_t	 kernel_drops;	/* pcap_stats ps_drop */
	uint64_t	 queue_drops;	/* the capture queue was full */
	uint64_t	 evicted;	/* flows/sessions ended at the cap */
	/* Sources that fold statements (aggregate.c). */
	uint64_t	 aggregated;	/* statements folded into others */
	uint64_t	 agg_evicted;	/* aggregate keys dropped at the cap */
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

/* follow.c: a file followed like `tail -F`, for jsonl and log sources */
struct follow_cb {
	/* One line without its newline; end is the offset just after it.
	 * -1: refused (the sink failed); it is offered again later. */
	int	(*line)(void *arg, const char *, size_t, uint64_t end,
		    uint64_t lineno);
	void	(*bad)(void *arg, uint64_t lineno);	/* over line_max */
	void	(*flush)(void *arg);	/* no more data in this file for now */
	int	(*full)(void *arg);	/* the sink asks for a pause */
	void	 *arg;
};
struct follow;
struct follow	*follow_new(struct event_base *, const char *path,
		    uint64_t resume, int follow, size_t line_max,
		    const struct follow_cb *, char *err, size_t errlen);
int		 follow_done(const struct follow *);
const char	*follow_name(const struct follow *);
void		 follow_free(struct follow *);

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
 *             -> net.flow events; DNS answers -> dnscache.c, which
 *             flow.c asks whether a flow's server is its name's
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
	uint64_t	 captured;	/* live: taken from the kernel */
	uint64_t	 kernel_drops;	/* pcap_stats ps_drop */
	uint64_t	 if_drops;	/* pcap_stats ps_ifdrop */
	uint64_t	 queue_drops;	/* live: a frame never fit, or stopping */
	uint64_t	 queue_waits;	/* live: the queue was full, we waited */
	uint64_t	 decode_errors;	/* pkt_decode() != PKT_OK */
	uint64_t	 truncated;	/* caplen < wirelen */
};

typedef void	 capture_fn(void *arg, const struct pkt *);

/*
 * A live capture on cfg->interface (or the source's argument) or an
 * offline read of cfg->read, filtered by `filter` ANDed with cfg->bpf.
 * A live capture is read by a thread of its own into a bounded queue
 * (cfg->capture_queue bytes) that the event loop drains: the callback
 * always runs on the main thread. Offline reads are drained in batches
 * from the event loop. The caller drops privileges after capture_new()
 * returns; the thread starts on the loop's first turn.
 */
struct capture;
struct capture	*capture_new(struct event_base *base, const char *iface,
		    const char *filter, const struct agent_config *cfg,
		    capture_fn *fn, void *arg, char *err, size_t errlen);
int		 capture_done(const struct capture *);	/* offline EOF */
int		 capture_datalink(const struct capture *);	/* DLT_* */
int		 capture_set_filter(struct capture *, const char *filter,
		    const struct agent_config *, char *err, size_t errlen);
void		 capture_stats(struct capture *, struct capture_stats *);
/* Live: stop the thread, deliver what it queued (before a flush). */
void		 capture_stop(struct capture *);
void		 capture_free(struct capture *);

/* priv.c */
/* Drops to cfg->user (if set) and sets no_new_privs; fatal on failure. */
struct passwd;
int		 priv_user(const struct agent_config *, int offline,
		    struct passwd *, char *err, size_t errlen);
void		 priv_drop(const struct agent_config *, int offline);
int		 priv_chown_dir(const char *dir, uid_t, gid_t, char *err,
		    size_t errlen);

/* reasm.c */

/*
 * TCP reassembly of one direction: segments in, in-order bytes out through
 * data() and gap() callbacks. A context holds the memory cap shared by all
 * its streams and the counters of every drop; reasm.c states the rules.
 */
#define REASM_MAX_SEGS		4096	/* buffered segments per direction */
#define REASM_WINDOW		(1U << 30)	/* farther ahead: bogus */
#define REASM_MAX_SEGMENT	(1U << 18)	/* larger wire length: bogus */
#define REASM_HOLE_TIMEOUT_US	(5 * 1000000LL)

struct reasm_stats {
	uint64_t	 segments;	/* segments offered */
	uint64_t	 bytes;		/* bytes delivered in order */
	uint64_t	 ooo;		/* segments buffered out of order */
	uint64_t	 retrans_bytes;	/* bytes seen before, dropped */
	uint64_t	 conflicts;	/* overlaps whose copies differed */
	uint64_t	 gaps;		/* gaps declared */
	uint64_t	 gap_bytes;
	uint64_t	 cap_stream;	/* buffering refused: stream cap */
	uint64_t	 cap_memory;	/* buffering refused: memory cap */
	uint64_t	 nomem;		/* part of a segment not buffered */
	uint64_t	 out_of_window;	/* segments too far ahead, dropped */
	uint64_t	 bad_segments;	/* impossible lengths, dropped */
	uint64_t	 after_fin;	/* data past FIN or after RST */
	uint64_t	 ack_gaps;	/* peer acked bytes we never saw */
	uint64_t	 hole_timeouts;	/* holes given up after a wait */
	uint64_t	 buffered;	/* bytes buffered now, all streams */
};

typedef void	 reasm_data_fn(void *arg, const uint8_t *, size_t,
		    int64_t ts_us);
typedef void	 reasm_gap_fn(void *arg, size_t len, int64_t ts_us);

struct reasm_ctx;
struct reasm;
struct reasm_ctx *reasm_ctx_new(size_t stream_max, size_t memory_max);
void		 reasm_ctx_stats(const struct reasm_ctx *,
		    struct reasm_stats *);
void		 reasm_ctx_free(struct reasm_ctx *);
struct reasm	*reasm_new(struct reasm_ctx *, reasm_data_fn *,
		    reasm_gap_fn *, void *arg);
/* One segment of this direction: flags PKT_*, wirelen from the IP
 * length, caplen <= wirelen of them captured. */
void		 reasm_segment(struct reasm *, uint32_t seq, uint8_t flags,
		    const uint8_t *, size_t caplen, size_t wirelen,
		    int64_t ts_us);
/* The other side acknowledged up to ack: bytes before it are lost. */
void		 reasm_ack(struct reasm *, uint32_t ack, int64_t ts_us);
void		 reasm_tick(struct reasm *, int64_t now_us);
/* End of stream: every hole becomes a gap, everything is delivered. */
void		 reasm_flush(struct reasm *, int64_t ts_us);
int		 reasm_finished(const struct reasm *);	/* FIN reached, RST */
size_t		 reasm_buffered(const struct reasm *);
void		 reasm_free(struct reasm *);

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
	uint64_t	 count;		/* > 1: stands for this many calls,
					 * the numbers totals (pgstat) */
};

struct db_out {
	void	(*query)(void *arg, const struct db_session_info *,
		    const struct db_query *);
	void	(*session)(void *arg, const struct db_session_info *,
		    const char *action, int64_t ts_us, const char *error_code);
	void	 *arg;
	/* Optional (NULL: not told): client input the decoder could not
	 * read and skipped; why is a constant text. */
	void	(*bad)(void *arg, const struct db_session_info *,
		    const char *why);
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

/* decode-mysql-attrs.c: MySQL 8 query attributes, read past as they
 * stream; names and values are never kept */
#define MYQA_MAX	1024	/* attributes a query may carry to be read */

enum myqa_state {
	MYQA_COUNT,		/* parameter_count */
	MYQA_SETS,		/* parameter_set_count */
	MYQA_NULLS,		/* the NULL bitmap */
	MYQA_BIND,		/* new_params_bind_flag */
	MYQA_TYPE,		/* an attribute's type */
	MYQA_NAME,		/* the length of its name */
	MYQA_VALUE,		/* the length of a value */
	MYQA_SKIP,		/* bytes of a name or value */
	MYQA_DONE,		/* the block is over: the text follows */
	MYQA_NONE,		/* probe: no block, the text starts here */
	MYQA_BAD		/* malformed: err says why */
};

struct myqa {
	enum myqa_state	 state;
	int		 probe;		/* the block may be absent */
	int		 in_values;	/* past the types and names */
	uint64_t	 count;		/* attributes */
	uint64_t	 i;		/* the one at hand */
	uint64_t	 skip;		/* bytes of a name or value left */
	uint64_t	 values;	/* values not NULL */
	uint8_t		 lb[8];		/* a length-encoded integer */
	uint8_t		 lhave;
	uint8_t		 lneed;
	uint8_t		 lfirst;
	uint8_t		 type[2];
	uint32_t	 have;		/* bytes of nulls[] or type[] */
	uint8_t		 nulls[MYQA_MAX / 8];
	uint8_t		 size[MYQA_MAX];	/* value bytes, 0: lenenc */
	const char	*err;
};

void		 myqa_start(struct myqa *, int probe);
size_t		 myqa_feed(struct myqa *, const uint8_t *, size_t);
void		 myqa_fail(struct myqa *, const char *why);
int		 myqa_end(struct myqa *);

/* The connection table (db.c) behind the "db" source. */
#define DB_MAX_PORTS	32

struct db_port {
	const struct db_proto	*proto;
	uint16_t		 port;
};

/* aggregate.c's counters (below), part of db_stats. */
struct agg_stats {
	uint64_t	 offered;	/* statements agg_fold() saw */
	uint64_t	 folded;	/* of which folded */
	uint64_t	 events;	/* aggregate events flushed */
	uint64_t	 evicted;	/* keys dropped at the cap */
	uint64_t	 keys;		/* keys held now */
	uint64_t	 bytes;		/* memory they hold now */
};

struct db_stats {
	uint64_t	 packets;	/* TCP packets to/from a db port */
	uint64_t	 ignored;	/* not TCP, fragments, other ports */
	uint64_t	 sessions;	/* connections opened, ever */
	uint64_t	 active;	/* open now */
	uint64_t	 evicted;	/* closed at db-sessions-max */
	uint64_t	 idle_closed;	/* closed by db-idle-timeout */
	uint64_t	 gaps;		/* gaps handed to decoders */
	uint64_t	 queries;	/* statements decoded */
	uint64_t	 query_events;	/* db.query events emitted */
	uint64_t	 session_events;
	uint64_t	 normalise_errors;
	uint64_t	 malformed;	/* client input a decoder skipped */
	uint64_t	 invalid;	/* refused by the schema: a bug */
	struct reasm_stats reasm;
	struct agg_stats agg;
};

/* Receives each validated event; takes ownership. */
typedef void	 db_emit_fn(void *arg, struct lw_event *);

struct db_table;
const struct db_proto *db_proto_lookup(const char *name);
int		 db_ports(const struct agent_config *, struct db_port *,
		    size_t *n, char *err, size_t errlen);
struct db_table	*db_new(const struct agent_config *, db_emit_fn *emit,
		    void *arg, char *err, size_t errlen);
int		 db_bpf(const struct db_table *, int vlan, char *buf,
		    size_t len);
void		 db_packet(struct db_table *, const struct pkt *);
void		 db_expire(struct db_table *, int64_t now_us);
void		 db_close_all(struct db_table *, int64_t ts_us);
int64_t		 db_now(const struct db_table *);	/* latest packet */
void		 db_stats(const struct db_table *, struct db_stats *);
void		 db_free(struct db_table *);
#define DB_STATEMENT_MAX	16384	/* bytes of `statement`, docs/events.md */

/*
 * A db.query event's fields as its one builder, db_query_build(), takes
 * them: one statement's (db_query_event() fills them from the normaliser)
 * or a flushed aggregate's (aggregate.c). count 0 is one statement and
 * writes no count, first_ts or max_rows; count >= 2 writes all three,
 * the numbers being totals. NULL or "" strings are left out (db_user,
 * required, is written empty).
 */
struct db_qfields {
	const char	*db_system;
	const char	*server;
	const char	*client;
	const char	*session_id;
	const char	*db_user;
	const char	*database;
	const char	*app_name;
	const char	*end_user;
	const char	*command;
	const char	*statement;	/* NULL: no text, or refused */
	const char	*fingerprint;	/* NULL with statement */
	char *const	*tables;
	size_t		 ntables;
	int64_t		 ts_us;		/* the (last) statement's end */
	int64_t		 first_us;	/* count: the first one's end */
	uint64_t	 count;
	uint64_t	 rows_returned;
	uint64_t	 rows_affected;
	uint64_t	 max_rows;	/* UINT64_MAX: unknown, not written */
	uint64_t	 bytes;
	uint64_t	 duration_us;
	int		 error;
	const char	*error_code;
	int		 partial;
	const char	*source;	/* "wire", "log", "stats" */
};
struct lw_event	*db_query_build(const struct db_qfields *, char *err,
		    size_t errlen);
/* The db.query event of one statement, for every db source: "wire",
 * "log" or "stats" (statement normalised here; NULL: a bug, see err).
 * count > 1: the statement stands for count calls (pgstat). */
struct lw_event	*db_query_event(const struct agent_config *,
		    const struct db_session_info *, const struct db_query *,
		    const char *source, uint64_t *norm_errors, char *err,
		    size_t errlen);
/*
 * One statement of a session, offered to agg (NULL: none): folded into
 * an aggregate (*evp NULL, 0 returned), or its own event (*evp, 0).
 * -1 only on a bug (err says why).
 */
struct agg;
int		 db_query_report(const struct agent_config *,
		    const struct db_session_info *, const struct db_query *,
		    const char *source, struct agg *, uint64_t *norm_errors,
		    struct lw_event **evp, char *err, size_t errlen);
/* The db.session event, for every db source; duration_us < 0: none. */
struct lw_event	*db_session_event(const struct db_session_info *,
		    const char *action, int64_t ts_us, int64_t duration_us,
		    const char *error_code, const char *source, char *err,
		    size_t errlen);
/* A db source decoded this session (by client ip:port or the server's
 * session id) around ts: the log sources' dedup. */
int		 db_wire_seen(const char *db_system, const char *session_id,
		    const char *client, int64_t ts_us);
/* A db source decoded this session at ts (the decoders note every
 * statement's session themselves). */
void		 db_wire_note(const struct db_session_info *, int64_t ts_us);
/* Whether this agent has a db source decoding the wire at all. */
int		 db_wire_active(void);

/* aggregate.c: repeated statements of a session folded into one event */
#define AGG_KEYS_MAX	16384		/* keys held at once */
#define AGG_MEMORY_MAX	(32 << 20)	/* bytes they may hold */
/* Receives each flushed aggregate's fields, valid for the call, to build
 * with db_query_build() (the caller's: aggregate.c does not call back
 * into db.c). */
typedef void	 agg_emit_fn(void *arg, const struct db_qfields *);
/* NULL when cfg->aggregate is off. max_keys 0: AGG_KEYS_MAX. */
struct agg	*agg_new(const struct agent_config *, size_t max_keys,
		    agg_emit_fn *, void *arg);
/* 1: folded (nothing to send now); 0: the caller sends it alone. */
int		 agg_fold(struct agg *, const struct db_qfields *);
/* The event clock: aggregates whose window ended by now are flushed. */
void		 agg_clock(struct agg *, int64_t now_us);
/* A session ends: its aggregates are flushed, its keys forgotten. */
void		 agg_session_end(struct agg *, const char *db_system,
		    const char *server, const char *client,
		    const char *session_id);
void		 agg_flush(struct agg *);	/* everything, now */
void		 agg_stats(const struct agg *, struct agg_stats *);
void		 agg_free(struct agg *);	/* flushes first */
int		 agg_check_config(const struct agent_config *, char *err,
		    size_t errlen);

/* normcache.c: statements normalised once, for db_query_event() */
#define NORMCACHE_ENTRIES	4096	/* statement texts kept */
#define NORMCACHE_TEXT_MAX	4096	/* longer texts: never kept */
struct sqlnorm;
struct sqlnorm_opts;
struct normcache_stats {
	uint64_t	 hits;
	uint64_t	 misses;
	uint64_t	 evicted;
	uint64_t	 uncached;	/* over NORMCACHE_TEXT_MAX */
	uint64_t	 entries;	/* kept now */
};
struct normcache;
struct normcache *normcache_new(void);
/* The result stays valid for NORMCACHE_ENTRIES - 1 further lookups. */
const struct sqlnorm *normcache_get(struct normcache *, const char *sql,
		    size_t len, const struct sqlnorm_opts *,
		    struct sqlnorm *scratch);
void		 normcache_stats(const struct normcache *,
		    struct normcache_stats *);
void		 normcache_free(struct normcache *);

/* source-db.c: the "db" source kind (capture -> db.c -> sink) */
struct source_db;
struct source_db *source_db_new(struct event_base *, const char *arg,
		    const struct agent_config *, uint32_t src_id,
		    const struct sink *, char *err, size_t errlen);
int		 source_db_done(const struct source_db *);
void		 source_db_stats(const struct source_db *,
		    struct source_stats *);
void		 source_db_free(struct source_db *);

/* decode-pglog.c, decode-mylog.c */

/*
 * Database server logs (docs/log-sources.md): a format reader gets whole
 * lines, each with the byte offset just after it, and reports each
 * statement it completes with the offset after the record's last line -
 * the resume position at which nothing is re-read or skipped. Records
 * that need the next line to end (stderr continuation lines, slow-log
 * entries) are completed by the next record or by flush().
 */
struct dblog_out {
	void	(*query)(void *arg, const struct db_session_info *,
		    const struct db_query *, uint64_t pos);
	/* connect, disconnect (duration_us: the session's length, or -1),
	 * auth_failed (error_code or NULL) */
	void	(*session)(void *arg, const struct db_session_info *,
		    const char *action, int64_t ts_us, int64_t duration_us,
		    const char *error_code, uint64_t pos);
	void	(*bad)(void *arg, const char *why);
	void	 *arg;
	/* Optional (NULL: not told): calls of statement sql whose rows the
	 * log could not count, or counted elsewhere (statfill.c, op one of
	 * enum statfill_op). */
	void	(*fill)(void *arg, const struct db_session_info *,
		    const char *sql, int op, uint64_t calls);
	/* Optional: something the operator should know about the log
	 * (a log-line-prefix that does not fit it, and what was done). */
	void	(*note)(void *arg, const char *msg);
};

struct dblog_format {
	const char	*name;		/* "pgaudit", "mysql-slow", ... */
	const char	*db_system;	/* "postgresql" | "mysql" */
	void		*(*new)(const struct agent_config *,
			    const struct dblog_out *);
	void		 (*line)(void *, const char *, size_t, uint64_t end);
	void		 (*flush)(void *);	/* no more lines for now */
	void		 (*free)(void *);
};

#define DBLOG_RECORD_MAX	(1024 * 1024)	/* longer records skipped */

extern const struct dblog_format dblog_pgaudit;		/* stderr + prefix */
extern const struct dblog_format dblog_pgcsv;
extern const struct dblog_format dblog_pgjson;
extern const struct dblog_format dblog_mysql_slow;	/* decode-mylog.c */
extern const struct dblog_format dblog_mariadb_audit;
/* dblog-time.c: the log decoders' timestamps */
int		 dblog_ts(const char *, size_t, int local, int64_t *us);

/* pglog-prefix.c: log_line_prefix read back from a stderr log line */
#define PGLOG_PREFIX_MAX	256	/* bytes of a log-line-prefix */
long		 pglog_anchor_at(const char *line, size_t len, int *audit);
int		 pglog_prefix_infer(const char *text, size_t len, char *out,
		    size_t outlen, long *local_at, const char **why);

/* source-log.c: the "log" source kind, log:FORMAT:PATH */
const struct dblog_format *dblog_lookup(const char *name);
struct source_log;
struct source_log *source_log_new(struct event_base *, const char *arg,
		    const struct agent_config *, uint32_t src_id,
		    const struct sink *, uint64_t resume, int follow,
		    char *err, size_t errlen);
int		 source_log_done(const struct source_log *);
void		 source_log_stats(const struct source_log *,
		    struct source_stats *);
void		 source_log_free(struct source_log *);

/* statfill.c: what the log sources could not count, for pgstat to fill */
enum statfill_op {
	STATFILL_PENDING,		/* calls not decided yet */
	STATFILL_NEED,			/* calls only the statistics count */
	STATFILL_COUNTED,		/* calls the log counted elsewhere */
	STATFILL_PENDING_NEED,		/* pending calls now decided */
	STATFILL_PENDING_COUNTED
};
struct statfill_verdict {
	uint64_t	 need;
	uint64_t	 counted;
	uint64_t	 pending;
};
void		 statfill_enable(const char *db_system);
int		 statfill_enabled(const char *db_system);
void		 statfill_key(const char *db_system, const char *user,
		    const char *db, const char *fingerprint, char *key,
		    size_t len);
void		 statfill_note(const char *key, int op, uint64_t calls,
		    int64_t now_us);
void		 statfill_get(const char *key, int64_t now_us,
		    struct statfill_verdict *);
void		 statfill_take(const char *key, uint64_t need,
		    uint64_t counted, int64_t now_us);
int		 statfill_fingerprint(const struct lw_event *, char *out,
		    size_t len);
uint64_t	 statfill_dropped(void);
void		 statfill_reset(void);

/* source-stat.c: "pgstat:FILE" (pg_stat_statements, libpq) and
 * "mystat:FILE" (performance_schema, libmariadb) polling */

/* One counter set of one poll, as the server reports it. */
struct stat_row {
	const char	*user;
	const char	*db;		/* "" for mystat */
	const char	*id;		/* pg "queryid/toplevel"; my event */
	const char	*sql;		/* pg statement text; NULL for my */
	size_t		 sql_len;
	uint64_t	 calls;
	uint64_t	 rows;		/* pg rows; my rows sent */
	uint64_t	 rows2;		/* my rows affected */
	double		 time_us;	/* cumulative execution time */
};
struct stat_tab_stats {
	uint64_t	 tracked;	/* counter sets held now */
	uint64_t	 untracked;	/* rows over the cap, ignored */
	uint64_t	 resets;	/* counters that went down */
	uint64_t	 vanished;	/* counter sets gone (dealloc, reset) */
	uint64_t	 held;		/* fill: calls waiting for the log */
	uint64_t	 filled;	/* fill: calls reported for the log */
	uint64_t	 skipped;	/* fill: calls the log counted */
	uint64_t	 norm_errors;
	uint64_t	 invalid;
};
typedef void	 stat_emit_fn(void *arg, struct lw_event *);
struct stat_tab;
struct stat_tab	*stat_tab_new(const struct agent_config *, int mysql,
		    size_t max_keys);
/* One poll: the differences since the previous one become events
 * (none on the first poll, the baseline). epoch changes when the server
 * reset all its counters (pg_stat_statements_info.stats_reset). fill:
 * report only what the log sources asked for (statfill.c). */
int		 stat_tab_poll(struct stat_tab *, const struct stat_row *,
		    size_t n, const char *epoch, int64_t now_us, int fill,
		    stat_emit_fn *, void *arg);
void		 stat_tab_stats(const struct stat_tab *,
		    struct stat_tab_stats *);
void		 stat_tab_free(struct stat_tab *);
struct source_stat;
struct source_stat *source_stat_new(struct event_base *, const char *kind,
		    const char *arg, const struct agent_config *,
		    uint32_t src_id, const struct sink *, char *err,
		    size_t errlen);
int		 source_stat_done(const struct source_stat *);
void		 source_stat_stats(const struct source_stat *,
		    struct source_stats *);
void		 source_stat_free(struct source_stat *);

/* dpi.c */

/*
 * nDPI behind our own types: every nDPI call lives in dpi.c, so a newer
 * nDPI touches one file. A dpi_flow is the per-flow detection state
 * (freed as soon as detection is over); dpi_info is what is kept of it.
 */
struct dpi;
struct dpi_flow;

struct dpi_info {
	uint16_t	 master;	/* nDPI protocol ids, 0 unknown */
	uint16_t	 app;
	uint16_t	 category;	/* nDPI category id */
	uint8_t		 done;		/* detection over (result final) */
	uint8_t		 guessed;	/* by port/IP, not by payload */
	uint64_t	 risks;		/* bit n: nDPI risk n */
	char		*server_name;	/* owned (SNI/Host/DNS), or NULL */
};

struct dpi	*dpi_new(char *err, size_t errlen);
void		 dpi_free(struct dpi *);
struct dpi_flow	*dpi_flow_new(struct dpi *);
/* Returns 1 when detection just ended: info is filled, flow freed. */
int		 dpi_packet(struct dpi *, struct dpi_flow **, const struct pkt *,
		    struct dpi_info *);
/* Gives detection up (end of flow) and fills info; frees the flow. */
void		 dpi_finish(struct dpi *, struct dpi_flow **,
		    struct dpi_info *);
void		 dpi_flow_free(struct dpi_flow *);
void		 dpi_info_clear(struct dpi_info *);
/* "TLS.GoogleDrive", "DNS", "Unknown" */
void		 dpi_app_name(const struct dpi *, const struct dpi_info *,
		    char *, size_t);
const char	*dpi_master_name(const struct dpi *, const struct dpi_info *);
const char	*dpi_category_name(const struct dpi *,
		    const struct dpi_info *);
const char	*dpi_risk_name(int risk);	/* NULL past the last */
int		 dpi_risk_max(void);
size_t		 dpi_flow_size(void);
/*
 * The server a flow names (TLS/QUIC SNI) against nDPI's knowledge.
 * dpi_names_server: the flow announces a server name of its own (not a
 * DNS query's or an HTTP Host's). dpi_cert_mismatch: the certificate
 * the server sent (TLS <= 1.2) does not cover that name.
 * dpi_address_owner: DPI_OWNER_SAME when nDPI's address lists put addr
 * in the organisation whose service the name belongs to, DPI_OWNER_OTHER
 * when they put it elsewhere or nowhere, DPI_OWNER_UNKNOWN when nDPI has
 * no address list for the name's service (or for IPv6 at all).
 */
enum dpi_owner {
	DPI_OWNER_UNKNOWN = 0,
	DPI_OWNER_SAME,
	DPI_OWNER_OTHER
};
int		 dpi_names_server(const struct dpi_info *);
int		 dpi_cert_mismatch(const struct dpi_info *);
enum dpi_owner	 dpi_address_owner(const struct dpi *, const char *name,
		    uint8_t ipver, const uint8_t *addr);

/* dnscache.c */

/*
 * A bounded, time-limited map from names to the addresses DNS answers on
 * the capture gave them (dnscache.c states the rules).
 */
enum dns_seen {
	DNS_UNSEEN = 0,		/* no live answer for the name */
	DNS_SEEN_MATCH,		/* answered with this address */
	DNS_SEEN_OTHER		/* answered, with other addresses only */
};
struct dnscache_stats {
	uint64_t	 answers;	/* responses read to their end */
	uint64_t	 records;	/* A, AAAA and CNAME records kept */
	uint64_t	 malformed;	/* cut short or malformed; the
					 * records before the fault kept */
	uint64_t	 evicted;	/* names dropped at the cap */
	uint64_t	 names;		/* names held now */
};
struct dnscache;
struct dnscache	*dnscache_new(size_t max_names);
void		 dnscache_free(struct dnscache *);
/* One UDP payload from port 53; -1 when it is not a usable response. */
int		 dnscache_feed(struct dnscache *, const uint8_t *, size_t,
		    int64_t now_us);
enum dns_seen	 dnscache_check(const struct dnscache *, const char *name,
		    uint8_t ipver, const uint8_t *addr, int64_t now_us);
void		 dnscache_stats(const struct dnscache *,
		    struct dnscache_stats *);

/* category.c */

/*
 * leakwatch's exfiltration categories from an editable map file
 * (rules/categories.map; docs/network.md): first matching rule wins.
 */
struct catmap;
struct cat_query {
	const char	*app;		/* "TLS.GoogleDrive" */
	const char	*master;	/* "TLS" */
	const char	*ndpi_category;	/* "Cloud" */
	const char	*server_name;	/* or NULL */
	uint8_t		 proto;
	uint16_t	 sport;
	uint16_t	 dport;
	uint64_t	 risks;		/* dpi_info.risks */
	uint64_t	 bytes_out;	/* from src so far */
	uint64_t	 bytes_in;
	int		 mismatch;	/* flow_rec.mismatch != MISMATCH_NONE */
};
struct catmap	*catmap_load(const char *path, char *err, size_t errlen);
struct catmap	*catmap_parse(const char *buf, size_t len, const char *name,
		    char *err, size_t errlen);
void		 catmap_free(struct catmap *);
size_t		 catmap_rules(const struct catmap *);
const char	*catmap_lookup(const struct catmap *, const struct cat_query *);
int		 dns_name_suspicious(const char *name);
extern const char catmap_builtin[];

/* flow.c */

/*
 * The bidirectional flow table of the net source: 5-tuple plus VLAN,
 * direction from the internal networks, TCP end, idle/active timeouts,
 * periodic updates and a hard cap with LRU eviction. flow.c states the
 * model; docs/network.md describes it for operators.
 */
enum flow_scope {
	FLOW_INTERNAL = 0,
	FLOW_OUTBOUND,
	FLOW_INBOUND,
	FLOW_EXTERNAL
};

/*
 * Why the flow's server does not belong to the name it announced, the
 * strongest evidence first (flow.c decides; docs/network.md).
 */
enum flow_mismatch {
	MISMATCH_NONE = 0,
	MISMATCH_CERTIFICATE,	/* the server's certificate */
	MISMATCH_DNS,		/* DNS answers seen on the capture */
	MISMATCH_ADDRESS_LIST	/* nDPI's address lists */
};
#define FLOW_RISK_MISMATCH	"sni_mismatch"

enum flow_end {
	FLOW_UPDATE = 0,	/* not an end: periodic record */
	FLOW_END_TCP,		/* FIN both ways or RST, then a linger */
	FLOW_END_IDLE,
	FLOW_END_ACTIVE,
	FLOW_END_EVICTED,
	FLOW_END_FLUSH		/* end of capture or shutdown */
};

/* One record of a flow, as the table reports it. */
struct flow_rec {
	uint64_t		 id;
	uint8_t			 ipver;
	uint8_t			 proto;
	int			 has_vlan;
	uint16_t		 vlan;
	const uint8_t		*src;	/* 16 bytes; the internal side */
	const uint8_t		*dst;
	uint16_t		 sport;
	uint16_t		 dport;
	enum flow_scope		 scope;
	uint64_t		 bytes_out;
	uint64_t		 bytes_in;
	uint64_t		 pkts_out;
	uint64_t		 pkts_in;
	uint64_t		 delta_out;
	uint64_t		 delta_in;
	int64_t			 first_us;
	int64_t			 last_us;
	int64_t			 ts_us;		/* time of the record */
	int			 final;
	enum flow_end		 end;
	enum flow_mismatch	 mismatch;
	const struct dpi_info	*dpi;
};

struct flow_stats {
	uint64_t	 packets;	/* packets counted in flows */
	uint64_t	 bytes;
	uint64_t	 flows;		/* flows created */
	uint64_t	 active;	/* flows in the table now */
	uint64_t	 evicted;	/* ended early at the cap */
	uint64_t	 records;	/* records reported */
	uint64_t	 updates;	/* of which periodic */
	uint64_t	 frag_orphans;	/* fragments without a first one */
	uint64_t	 dpi_done;	/* flows whose detection ended */
	uint64_t	 mismatches;	/* flows whose server is not their name's */
	struct dnscache_stats dns;
};

typedef void	 flow_emit_fn(void *arg, const struct flow_rec *);

struct flow_table;
struct flow_table *flow_table_new(const struct agent_config *cfg,
		    struct dpi *dpi, flow_emit_fn *emit, void *arg, char *err,
		    size_t errlen);
void		 flow_packet(struct flow_table *, const struct pkt *);
void		 flow_expire(struct flow_table *, int64_t now_us);
void		 flow_flush(struct flow_table *);
int64_t		 flow_now(const struct flow_table *);
void		 flow_table_stats(const struct flow_table *,
		    struct flow_stats *);
void		 flow_table_free(struct flow_table *);
const char	*flow_scope_str(enum flow_scope);
const char	*flow_mismatch_str(enum flow_mismatch);	/* NULL for NONE */
/* "10.0.0.0/8,fc00::/7" into the table's internal list; -1 on error. */
int		 flow_add_internal(struct flow_table *, const char *,
		    char *err, size_t errlen);

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
