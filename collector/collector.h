/*
 * leakwatch-collector: accepts agents, validates and deduplicates their
 * events and stores them in SQLite. This header is the map of the program:
 * the one context struct, then every file's prototypes under its banner in
 * the order the data flows (server -> ingest -> store).
 */
#ifndef LEAKWATCH_COLLECTOR_H
#define LEAKWATCH_COLLECTOR_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "leakwatch/conf.h"

struct lw_event;
struct event_base;
struct store;
struct server;
struct conn;
struct secrets;
struct stream;

/* config.c */

struct collector_config {
	char		*listen;	/* ADDR:PORT */
	char		*db;
	int		 insecure;	/* plaintext, tests only */
	char		*tls_cert;
	char		*tls_key;
	char		*tls_client_ca;	/* verify agents' certificates */
	char		*agent_secrets;	/* "name sha256hex" per line */
	long long	 max_frame;
	long long	 read_buffer;
	long long	 idle_timeout;	/* ms */
	long long	 hello_timeout;	/* ms */
	long long	 max_connections;
	long long	 commit_events;
	long long	 commit_interval; /* ms */
	long long	 clock_skew;	/* ms */
	int		 db_sync_full;
	/* SIEM forwarding (fwd.c, docs/siem.md). */
	struct conf_list forward;	/* udp|tcp|tls://HOST:PORT?... */
	long long	 forward_queue;	/* alerts kept for a slow SIEM */
	long long	 syslog_facility;
	char		*syslog_sd_id;
	char		*syslog_hostname;
};

extern const struct conf_key collector_keys[];
void	 config_defaults(struct collector_config *);
int	 config_check(const struct collector_config *, char *, size_t);
int	 config_check_forward(const struct collector_config *, char *,
	    size_t);

/* secrets.c */
struct secrets	*secrets_load(const char *path, char *err, size_t errlen);
int		 secrets_check(const struct secrets *, const char *agent,
		    const char *secret);
size_t		 secrets_count(const struct secrets *);
void		 secrets_free(struct secrets *);

/* store.c */

struct store_stats {
	uint64_t	 events;	/* rows inserted since open */
	uint64_t	 commits;
	uint64_t	 pending;	/* in the open transaction */
};

struct store	*store_open(const char *path, int sync_full, char *err,
		    size_t errlen);
void		 store_close(struct store *);
struct stream	*store_stream(struct store *, const char *agent,
		    const char *instance);
uint64_t	 stream_last(const struct stream *);	/* stored or batched */
uint64_t	 stream_committed(const struct stream *);
int		 store_event(struct store *, struct stream *, uint64_t seq,
		    const struct lw_event *, const char *json, size_t len,
		    int64_t recv_us);
int		 store_skip(struct store *, struct stream *, uint64_t seq);
int		 store_gap(struct store *, struct stream *, uint64_t first,
		    uint64_t last, int64_t now);
int		 store_agent_seen(struct store *, const char *agent,
		    const char *instance, const char *addr, int connected,
		    int64_t now);
int		 store_agent_status(struct store *, const char *agent,
		    const struct lw_event *, int64_t skew_ms, int64_t now);
int		 store_commit(struct store *);
uint64_t	 store_pending(const struct store *);
void		 store_stats(const struct store *, struct store_stats *);

/* ingest.c */

/* What a frame handler asks the connection to do next. */
enum ingest_result {
	INGEST_OK,
	INGEST_CLOSE		/* protocol or auth failure: error set */
};

struct ingest_peer {
	char		 addr[64];	/* "ip:port" for log lines */
	char		 cn[128];	/* verified certificate CN, or "" */
	int		 authenticated;
	char		 agent[65];
	char		 instance[33];
	struct stream	*stream;
	uint64_t	 rejected;	/* events refused by validation */
	uint64_t	 duplicates;
};

struct fwd;

struct ingest_ctx {
	struct store		*store;
	struct fwd		*fwd;		/* alerts go here, or NULL */
	const struct secrets	*secrets;
	int			 insecure;
	long long		 clock_skew;
	uint64_t		 events_rejected;
	uint64_t		 frames_bad;
};

enum ingest_result ingest_hello(struct ingest_ctx *, struct ingest_peer *,
		    const uint8_t *, size_t, char *reply, size_t replylen,
		    char *err, size_t errlen);
enum ingest_result ingest_event(struct ingest_ctx *, struct ingest_peer *,
		    const uint8_t *, size_t, char *err, size_t errlen);
enum ingest_result ingest_status(struct ingest_ctx *, struct ingest_peer *,
		    const uint8_t *, size_t, char *err, size_t errlen);
enum ingest_result ingest_gap(struct ingest_ctx *, struct ingest_peer *,
		    const uint8_t *, size_t, char *err, size_t errlen);
int		 ingest_replay(struct ingest_ctx *, const char *path,
		    uint64_t *stored, uint64_t *rejected);

/* server.c */
struct server	*server_new(struct event_base *,
		    const struct collector_config *, struct ingest_ctx *,
		    char *err, size_t errlen);
void		 server_acks(struct server *);	/* after each commit */
size_t		 server_nconns(const struct server *);
void		 server_free(struct server *);

/* fmt.c, fmt-rfc5424.c, fmt-cef.c, fmt-leef.c, fmt-json.c: SIEM formats */

/* A growable byte buffer, always NUL-terminated once used. */
struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

void		 buf_reserve(struct buf *, size_t more);
void		 buf_add(struct buf *, const void *, size_t);
void		 buf_puts(struct buf *, const char *);
void		 buf_addc(struct buf *, char);
void		 buf_printf(struct buf *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
char		*buf_release(struct buf *, size_t *len);

struct fmt_opts {
	const char	*hostname;	/* RFC 5424 HOSTNAME */
	const char	*app_name;	/* APP-NAME, "leakwatch" */
	int		 facility;	/* 0..23 */
	const char	*sd_id;		/* "leakwatch@32473" */
	long		 procid;	/* 0: "-" */
};

/* One SIEM format: one alert event in, one unframed message out. */
struct fwd_format {
	const char	*name;
	char		*(*format)(const json_t *alert,
			    const struct fmt_opts *, size_t *len);
};

extern const struct fwd_format fmt_rfc5424;
extern const struct fwd_format fmt_cef;
extern const struct fwd_format fmt_leef;
extern const struct fwd_format fmt_json;

const struct fwd_format *fmt_lookup(const char *name);
void		 fmt_opts_defaults(struct fmt_opts *);
const char	*fmt_str(const json_t *alert, const char *key);
double		 fmt_num(const json_t *alert, const char *key);
int		 fmt_sev_syslog(const char *severity);
int		 fmt_sev_cef(const char *severity);
int		 fmt_sev_leef(const char *severity);
int		 fmt_sev_ecs(const char *severity);
void		 fmt_evidence_foreach(const json_t *alert,
		    void (*)(void *, const char *key, const char *value),
		    void *);

/* fwd.c: alerts to SIEMs over syslog, queued in the database */

struct fwd_url {
	int		 kind;		/* udp, tcp, tls */
	char		 host[256];
	char		 port[16];
	char		 format[16];
	char		 ca[512];
	char		 cert[512];
	char		 key[512];
	char		 name[256];	/* TLS name to verify */
	size_t		 maxsize;	/* UDP datagram bound */
};

struct fwd_stats {
	uint64_t	 sent;		/* messages handed to the network */
	uint64_t	 errors;	/* connection failures */
	uint64_t	 dropped;	/* outbox overflow */
};

struct fwd;
int		 fwd_parse_url(const char *, struct fwd_url *, char *err,
		    size_t errlen);
struct fwd	*fwd_new(struct event_base *, const char *dbpath,
		    const struct conf_list *urls, const struct fmt_opts *,
		    long long max, char *err, size_t errlen);
int		 fwd_submit(struct fwd *, const json_t *alert);
int		 fwd_flush(struct fwd *, long long timeout_ms);
void		 fwd_stats(const struct fwd *, struct fwd_stats *);
void		 fwd_free(struct fwd *);

#endif
