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
#include <stdio.h>

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
	long long	 score_delay;	/* ms scoring waits out a burst */
	long long	 clock_skew;	/* ms */
	int		 db_sync_full;
	long long	 shutdown_timeout; /* ms to wait for a failing store */
	/* SIEM forwarding (fwd.c, docs/siem.md). */
	struct conf_list forward;	/* udp|tcp|tls://HOST:PORT?... */
	long long	 forward_queue;	/* alerts kept for a slow SIEM */
	long long	 syslog_facility;
	char		*syslog_sd_id;
	char		*syslog_hostname;
	char		*control_socket; /* triage (control.c) */
	struct conf_list forward_events; /* raw event types also sent */
	/* Analytics (docs/analytics.md, docs/directory.md, docs/rules.md). */
	char		*directory;	/* employees CSV */
	struct conf_list dhcp_leases;	/* dhcpd.leases / dnsmasq files */
	struct conf_list sensitive;	/* PATTERN=CLASS */
	char		*rules;		/* directory of *.rules */
	struct conf_list holidays;	/* YYYY-MM-DD, not learnt from */
	long long	 risk_half_life; /* ms */
	long long	 risk_rule_cap;
	long long	 baseline_min_days;
	long long	 first_seen_bytes;
	char		*utc_offset;	/* "+07:00": local day and hours */
	long long	 retention;	/* ms; events older go (leakwatch-ctl vacuum) */
};

extern const struct conf_key collector_keys[];
void	 config_defaults(struct collector_config *);
int	 config_check(const struct collector_config *, char *, size_t);
int	 config_rules_default(struct collector_config *, char *, size_t);
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
/*
 * Live: writes move to a writer thread; store_commit() hands the batch
 * over. Returns a descriptor readable once a batch is written, or -1.
 */
int		 store_async(struct store *, char *err, size_t errlen);
/* Batches committed since last asked (cursors now committed), largest. */
int		 store_reap(struct store *, uint64_t *size);
/*
 * Shutdown: commit and wait; a store whose writes keep failing is given
 * up after the shutdown timeout (-1: not all stored). store_quit() is for
 * a signal handler: it starts that bound in a wait already under way.
 */
int		 store_drain(struct store *);
void		 store_set_shutdown_timeout(struct store *, long long ms);
void		 store_quit(struct store *);
uint64_t	 store_pending(const struct store *);
void		 store_stats(const struct store *, struct store_stats *);
struct sqlite3	*store_db(struct store *);
/* Other writers of the database (scorer.c) take turns with the store. */
void		 store_writer_enter(struct store *);
void		 store_writer_leave(struct store *);

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
	struct analytics	*analytics;	/* --replay: scores inline */
	struct scorer		*scorer;	/* live: told of each commit */
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
int		 server_free(struct server *);	/* -1: not all stored */

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
	int		 has_header;	/* else fwd.c adds fmt_header() */
};

extern const struct fwd_format fmt_rfc5424;
extern const struct fwd_format fmt_cef;
extern const struct fwd_format fmt_leef;
extern const struct fwd_format fmt_json;

const struct fwd_format *fmt_lookup(const char *name);
void		 fmt_header(struct buf *, const json_t *alert,
		    const struct fmt_opts *);
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
	uint64_t	 buffered;	/* bytes in output buffers, all */
	uint64_t	 events;	/* raw events queued */
};

struct fwd;
int		 fwd_parse_url(const char *, struct fwd_url *, char *err,
		    size_t errlen);
struct fwd	*fwd_new(struct event_base *, struct sqlite3 *db,
		    const struct conf_list *urls, const struct fmt_opts *,
		    long long max, char *err, size_t errlen);
int		 fwd_submit(struct fwd *, const json_t *alert);
void		 fwd_set_event_types(struct fwd *, const struct conf_list *);
void		 fwd_set_turn(struct fwd *, struct store *);
int		 fwd_event(struct fwd *, const json_t *ev,
		    const char *employee);
int		 fwd_event_wanted(const struct fwd *, const char *type);
int		 fwd_flush(struct fwd *, long long timeout_ms);
void		 fwd_stats(const struct fwd *, struct fwd_stats *);
void		 fwd_free(struct fwd *);

/*
 * Analytics (docs/analytics.md): identity -> features per employee and
 * hour/day -> baselines (own and peer) -> detectors -> rules -> alerts and
 * risk. analytics.c drives it; the structs below are shared by its files.
 */

/* hmap.c: string-keyed hash map, deterministic */
struct hmap;
struct hmap	*hmap_new(void);
void		*hmap_get(const struct hmap *, const char *key);
void		*hmap_put(struct hmap *, const char *key, void *val);
size_t		 hmap_count(const struct hmap *);
int		 hmap_next(const struct hmap *, size_t *iter, const char **key,
		    void **val);
void		 hmap_free(struct hmap *, void (*)(void *));

/* identity.c: directory CSV, DHCP leases, event -> employee */
struct person {
	char		*id;
	char		*name;
	char		*department;
	char		*role;
	char		*manager;
	char		*group;		/* peer group: department, or role */
	int		 service;	/* a service account, scored as one */
	int64_t		 start_us;	/* 0: not given */
	int64_t		 leave_us;	/* 0: current staff */
};

#define IDENTITY_MAX	300

struct identity {
	char		 employee[IDENTITY_MAX];  /* id or unknown:<key> */
	const struct person *person;	/* NULL when unknown */
	const struct person *by_end_user;
	const struct person *by_db_user;
	const struct person *by_ip;
	const char	*via;		/* end_user|db_user|ip|unknown */
	int		 mismatch;	/* two different people named */
};

struct directory;
struct directory *directory_new(void);
int		 directory_load(struct directory *, const char *path,
		    char *err, size_t errlen);
int		 directory_load_buf(struct directory *, const char *name,
		    const char *buf, size_t len, char *err, size_t errlen);
int		 directory_add_leases(struct directory *, const char *path,
		    char *err, size_t errlen);
int		 directory_leases_buf(struct directory *, const char *buf,
		    size_t len);
void		 directory_refresh(struct directory *);
const struct person *directory_find(const struct directory *,
		    const char *id);
const struct person *directory_ip_owner(const struct directory *,
		    const char *ip, int64_t ts_us);
size_t		 directory_bad(const struct directory *);
size_t		 directory_count(const struct directory *);
const struct person *directory_person(const struct directory *, size_t);
void		 directory_free(struct directory *);
void		 identity_resolve(const struct directory *,
		    const struct lw_event *, struct identity *);

/* sensitivity.c: table patterns -> sensitivity class */
#define SENS_MAX_CLASSES 8
struct sensitivity;
struct sensitivity *sensitivity_new(void);
int		 sensitivity_add(struct sensitivity *, const char *spec,
		    char *err, size_t errlen);
int		 sensitivity_class(struct sensitivity *, const char *table);
int		 sensitivity_nclasses(const struct sensitivity *);
const char	*sensitivity_class_name(const struct sensitivity *, int);
int		 sensitivity_lookup(const struct sensitivity *, const char *);
void		 sensitivity_free(struct sensitivity *);

/* features.c: what one event adds to its employee's hour and day */
enum feature {
	FT_ROWS,		/* rows read, any table */
	FT_ROWS_SENSITIVE,	/* rows read from sensitive tables */
	FT_QUERIES,
	FT_TABLES,		/* distinct tables */
	FT_RESULT_BYTES,
	FT_OUT_CLOUD,		/* bytes out per exfiltration category */
	FT_OUT_WEBMAIL,
	FT_OUT_FILE_TRANSFER,
	FT_OUT_UNKNOWN,
	FT_OUT_EXFIL,		/* the sum of the four */
	FT_OFFHOURS_ROWS,	/* sensitive rows read in unusual hours */
	FT_OFFHOURS_OUT,	/* exfil bytes sent in unusual hours */
	FT_OUT_RARE,		/* exfil bytes to destinations few peers use */
	FT_CLASS0,		/* rows read per sensitivity class */
	FT_MAX = FT_CLASS0 + SENS_MAX_CLASSES
};

enum period { PER_HOUR, PER_DAY };

#define HOUR_SLOTS	8	/* weekday/weekend x 4 bands of 6 hours */
#define DAY_SLOTS	2	/* weekday, weekend or holiday */
#define CUM_DAYS	30
#define NAMES_KEPT	8	/* first-seen names kept per day */

/* Robust EWMA of log1p(x): mean, variance, count of updates. */
struct slot {
	double		 m;
	double		 v;
	uint32_t	 n;
};

struct fstate {
	struct slot	 hour[HOUR_SLOTS];
	struct slot	 day[DAY_SLOTS];
	struct slot	 snap[DAY_SLOTS];	/* taken every 14 days ... */
	struct slot	 lag[DAY_SLOTS];	/* ... and the one before */
	double		 cusum;
	float		 ring[CUM_DAYS];	/* daily values, day % 30 */
	double		 streak;	/* surprise of the run of elevated days */
	int32_t		 streak_days;
	double		 el_k, el_n;	/* elevated days / days, decayed */
	struct slot	 rel[DAY_SLOTS];	/* log1p(value) - team's that day */
	int64_t		 surge_day;	/* day[] last learnt a team surge */
};

/* What survives a restart (an_entities.state): plain data, versioned. */
struct entity_state {
	uint32_t	 magic;
	uint32_t	 size;
	int64_t		 last_day;	/* last local day index closed */
	double		 act[24];	/* decayed active-hour profile */
	double		 act_days;
	struct fstate	 f[FT_MAX];
};

struct entity {
	char		*id;		/* employee or unknown:<key> */
	char		*name;
	char		*group;
	char		*department;
	char		*role;
	int		 service;
	int		 known;
	int64_t		 start_us;	/* 0: not given */
	int64_t		 leave_us;
	struct entity_state s;
	/* the open buckets */
	double		 hv[FT_MAX];
	double		 dv[FT_MAX];
	int		 active_hour;
	int		 active_day;
	uint32_t	 day_hours;	/* local hours active today, bits */
	int		 alerted_hour;
	int		 alerted_day;
	uint32_t	 htab[64];	/* distinct table hashes, hour */
	int		 nhtab;
	uint32_t	 dtab[256];	/* ... and day */
	int		 ndtab;
	char		*new_tables[NAMES_KEPT];  /* first seen today */
	int		 n_new_tables;
	int		 unusual_tables; /* of those, few peers read (day close) */
	char		*new_dests[NAMES_KEPT];
	int		 n_new_dests;
	int		 unusual_dests;
	char		*new_hosts[NAMES_KEPT];	/* service accounts only */
	int		 n_new_hosts;
	struct hmap	*dest_bytes;	/* today: domain -> double * */
	struct hmap	*seen;		/* "t:table", "d:domain" ever seen */
	char		 fps[NAMES_KEPT][17];	/* sensitive fingerprints */
	int		 nfps;
	/* day close */
	double		 dz[FT_MAX];	/* own z today */
	signed char	 elev[FT_MAX];	/* today elevated: 1, not: 0, unknown -1 */
	double		 rz[FT_MAX];	/* today's team-relative z (detect.c) */
	double		 rexp[FT_MAX];	/* ... the value it expects, -1: none */
	double		 cum30[FT_MAX];
	void		**rstate;	/* per rule, rules-eval.c */
	int		 dirty;
};

struct peer {
	char		*name;
	struct slot	 hour[FT_MAX][HOUR_SLOTS];
	struct slot	 day[FT_MAX][DAY_SLOTS];
	double		 act[24];
	double		 act_days;
	struct hmap	*tables;	/* table -> members who read it */
	double		 zmed[FT_MAX];	/* today's median own z */
	double		 surge[2][FT_MAX]; /* members spiking, hour/day */
	int		 nact[2];	/* members active, hour/day */
	double		 cum30_med[FT_MAX];
	double		 el_k[FT_MAX];	/* member-days elevated, decayed */
	double		 el_n[FT_MAX];	/* member-days, decayed */
	double		 lmed[FT_MAX];	/* today's median log1p over members */
	int		 nlmed;		/* ... of this many active (0: none) */
	int		 active;	/* members active today */
	int		 members;
};

/* The figures one event adds, and what rules see of it. */
struct evctx {
	const struct lw_event	*ev;
	struct identity		 id;
	struct entity		*ent;
	double			 rows_read;
	double			 rows_sensitive;
	double			 rows_class[SENS_MAX_CLASSES];
	const char		*first_class;	/* or NULL */
	double			 out_bytes;	/* delta bytes out */
	int			 exfil;		/* one of the four categories */
	int			 offhours;
	int			 first_table;	/* first-seen sensitive table */
	int			 first_dest;	/* first-seen destination */
	int			 first_host;	/* service account, new client */
	int			 hour;		/* local hour of day */
	int			 wday;		/* 0 = Sunday */
};

struct analytics;
const char	*feature_name(const struct analytics *, int f, char *buf,
		    size_t len);
int		 feature_lookup(const struct sensitivity *, const char *name);
int		 features_event(struct analytics *, struct evctx *);
void		 features_day_reset(struct entity *);
void		 features_registrable(const char *host, char *out, size_t len);
int		 features_read_like(const char *command, const char *statement);

/* baseline.c: online baselines, own and peer */
double		 slot_z(const struct slot *, double x, double floor);
void		 slot_band(const struct slot *, double floor, double *lo,
		    double *hi);
void		 slot_learn(struct slot *, double x, double alpha,
		    double floor);
void		 slot_learn_log(struct slot *, double lx, double alpha,
		    double floor);
double		 slot_typical(const struct slot *);
int		 baseline_hour_slot(int wday, int hour, int holiday);
int		 baseline_day_slot(int wday, int holiday);
void		 baseline_init(struct entity_state *);
int		 baseline_save(struct analytics *, struct entity *);
int		 baseline_load(struct analytics *, struct entity *);
int		 baseline_save_peer(struct analytics *, struct peer *);
int		 baseline_load_peer(struct analytics *, struct peer *);

/* detect.c: detectors over the closed (or open) buckets */
struct figure {
	double		 value;
	double		 z;		/* own, or peer before convergence */
	double		 zpeer;
	double		 typical;	/* own typical (≈ median) */
	double		 peer_typical;
	int		 converged;
	double		 band_lo;	/* the baseline's expected range, */
	double		 band_hi;	/* 2 sd either side (log scale) */
	double		 sd;		/* its spread (log units, floored) */
};
void		 detect_figure(struct analytics *, struct entity *, int f,
		    enum period, struct figure *);
void		 detect_figure_at(struct analytics *, struct entity *, int f,
		    enum period, double value, struct figure *);
double		 detect_day_score(struct analytics *, struct entity *,
		    json_t *why);
void		 detect_day_close(struct analytics *, struct entity **,
		    size_t n, int64_t day);
double		 detect_cusum_step(double s, double z, double k);
double		 detect_streak_p(double own_k, double own_n, double peer_k,
		    double peer_n);
double		 detect_streak_step(double s, int elevated, double p);
void		 detect_day_learn(struct analytics *, struct entity *,
		    int64_t day);
void		 detect_hour_learn(struct analytics *, struct entity *);
double		 detect_cum30(const struct entity *, int f, int64_t day);
void		 detect_surge(struct analytics *, struct entity **, size_t n,
		    enum period);
int		 detect_peer_unusual(struct analytics *, struct entity *,
		    const char *key);
double		 detect_team(struct analytics *, struct entity *, int f,
		    enum period);

/* rules-parse.c / rules-eval.c: the rules language (docs/rules.md) */
enum rnode_kind {
	RN_NUM, RN_STR, RN_FIELD, RN_FEATURE, RN_CALL, RN_BIN, RN_NOT,
	RN_NEG, RN_LIST
};

enum rop {
	OP_OR, OP_AND, OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_MATCH,
	OP_NMATCH, OP_IN, OP_ADD, OP_SUB, OP_MUL, OP_DIV
};

enum rfn {
	FN_VALUE, FN_BASELINE, FN_PEER_Z, FN_RATIO, FN_MEDIAN, FN_PEER,
	FN_PEER_RATIO, FN_CUSUM, FN_CUM30, FN_PEER_CUM30, FN_CUM30_RATIO,
	FN_CONVERGED, FN_FIRST_SEEN, FN_DAY_SCORE, FN_RISK, FN_COUNT,
	FN_SUM, FN_DISTINCT, FN_MAX, FN_MIN, FN_TEAM, FN_STREAK,
	FN_STREAK_DAYS, FN_TEAM_USUAL, FN_TEAM_RATIO, FN_TEAM_Z, FN_NFN
};

enum rule_on { ON_EVENT, ON_HOUR, ON_DAY };

struct rnode {
	enum rnode_kind	 kind;
	int		 op;		/* RN_BIN */
	int		 fn;		/* RN_CALL */
	double		 num;
	char		*str;		/* RN_STR value, RN_FIELD name */
	int		 feature;	/* RN_FEATURE, feature arguments */
	int		 period;	/* PER_HOUR or PER_DAY */
	int64_t		 window_us;	/* count/sum/distinct */
	int		 agg;		/* aggregate index in the rule */
	int		 what;		/* first_seen: 0 table, 1 dest., 2 host */
	struct rnode	*a, *b, *where;
	struct rnode	**list;
	int		 nlist;
	char		*text;		/* source of a call, for evidence */
	size_t		 num_start;	/* where that source starts */
	int		 line, col;
};

struct tpl_part {
	char		*lit;		/* or NULL */
	struct rnode	*expr;
	int		 fmt;		/* 0 number, 1 bytes */
};

struct rule {
	char		*name;
	char		*file;
	int		 line;
	int		 on;		/* enum rule_on */
	int		 evtype;	/* -1: every type */
	struct rnode	*when;
	struct rnode	*then;		/* sequences */
	int64_t		 within_us;
	char		*severity;
	struct rnode	*score;
	struct tpl_part	*summary;
	int		 nsummary;
	int64_t		 suppress_us;
	int		 attribute;	/* 0 resolved, 1 ip, 2 db_user, 3 end_user */
	struct rnode	**aggs;
	int		 naggs;
	struct rnode	**calls;	/* figures for the evidence */
	int		 ncalls;
};

struct ruleset {
	struct rule	**r;
	size_t		  n;
};

struct ruleset;
struct ruleset	*rules_new(void);
void		 rnode_free(struct rnode *);
void		 rule_free(struct rule *);
int		 rules_load_dir(struct ruleset *, const char *dir,
		    const struct sensitivity *, char *err, size_t errlen);
int		 rules_load_buf(struct ruleset *, const char *name,
		    const char *buf, size_t len, const struct sensitivity *,
		    char *err, size_t errlen);
size_t		 rules_count(const struct ruleset *);
void		 rules_free(struct ruleset *);
void		 rules_event(struct analytics *, struct evctx *);
void		 rules_bucket(struct analytics *, struct entity *,
		    enum period, int64_t start_us);
void		 rules_entity_free(const struct ruleset *, struct entity *);

/* alert.c: alerts (merged, stored, printed) and per-employee risk */
struct alert_in {
	const char	*employee;
	const char	*rule;
	const char	*severity;
	double		 score;
	int64_t		 ts_us;
	int64_t		 bucket_us;	/* the time bucket of the id */
	int64_t		 suppress_us;	/* merge window */
	const char	*summary;
	json_t		*evidence;	/* borrowed */
};
struct alerts;
struct alerts	*alerts_new(struct analytics *);
int		 alert_raise(struct analytics *, const struct alert_in *);
double		 risk_get(struct analytics *, const char *employee,
		    int64_t ts_us);
void		 alert_id(const char *employee, const char *rule,
		    int64_t bucket_us, char out[17]);
void		 alerts_free(struct alerts *);

/* analytics.c: the pipeline, its clock and its state in SQLite */
struct analytics_params {
	const char		*directory;
	const struct conf_list	*leases;
	const struct conf_list	*sensitive;
	const char		*rules;
	const struct conf_list	*holidays;
	long long		 half_life_ms;
	long long		 rule_cap;
	long long		 min_days;
	long long		 first_seen_bytes;
	long long		 utc_offset_min;
	int			 replay;	/* print alerts on out */
};

struct analytics {
	struct analytics_params	 p;
	struct sqlite3		*db;
	FILE			*out;
	struct fwd		*fwd;
	struct directory	*dir;
	struct sensitivity	*sens;
	struct ruleset		*rules;
	struct alerts		*alerts;
	struct hmap		*entities;
	struct hmap		*peers;
	struct hmap		*flows;		/* flows without deltas */
	struct hmap		*holidays;
	struct sqlite3_stmt	*ident_st;	/* event_identity insert */
	int64_t			 clock;		/* newest event time, us */
	int64_t			 hour_open;	/* start of open hour, us */
	int64_t			 day_open;	/* local day index */
	int			 warming;	/* re-counting: rules muted */
	uint64_t		 events;
	uint64_t		 unknowns;	/* unknown:... entities */
	uint64_t		 alerts_raised;
	uint64_t		 alerts_merged;
};

int		 analytics_check(const struct collector_config *, int strict,
		    char *err, size_t errlen);
struct analytics *analytics_new(const struct collector_config *,
		    struct sqlite3 *, FILE *out, int replay, char *err,
		    size_t errlen);
/* Call right after store_event() inserted ev: its rowid is events.id. */
int		 analytics_event(struct analytics *, const struct lw_event *,
		    const char *raw, size_t rawlen);
int		 analytics_event_row(struct analytics *,
		    const struct lw_event *, const char *raw, size_t rawlen,
		    int64_t rowid);
int		 analytics_flush(struct analytics *);
int64_t		 analytics_warm(struct analytics *, int on);
void		 analytics_tick(struct analytics *, int64_t now_us);
int		 analytics_reload(struct analytics *,
		    const struct collector_config *);
struct entity	*analytics_entity(struct analytics *, const char *id,
		    const struct person *);
struct peer	*analytics_peer(struct analytics *, const char *group);
int64_t		 analytics_day(const struct analytics *, int64_t ts_us);
int		 analytics_holiday(const struct analytics *, int64_t day);
void		 analytics_seen_add(struct analytics *, struct entity *,
		    const char *key, int64_t ts_us);
int		 analytics_db_begin(struct analytics *);
int		 analytics_db_end(struct analytics *, int began);
void		 analytics_free(struct analytics *);
const char	*replay_sorted(const char *path, char *tmp, size_t tmplen,
		    char *err, size_t errlen);

/* scorer.c: live scoring on its own thread, behind the store */
struct scorer;
struct scorer	*scorer_new(const struct collector_config *, struct store *,
		    char *err, size_t errlen);
struct event_base *scorer_base(struct scorer *);
struct sqlite3	*scorer_db(struct scorer *);
int		 scorer_start(struct scorer *, struct fwd *, char *err,
		    size_t errlen);
void		 scorer_kick(struct scorer *, int burst);
int64_t		 scorer_defer(int64_t delay_ms, int64_t now, int64_t full_us,
		    int64_t pending_us);
void		 scorer_reload(struct scorer *);
void		 scorer_free(struct scorer *);

/* control.c: the triage socket (SO_PEERCRED names the analyst) */
struct control;
struct sqlite3;
struct control	*control_new(struct event_base *, const char *path,
		    const char *dbpath, char *err, size_t errlen);
int		 control_triage(struct sqlite3 *, const char *id,
		    const char *action, const char *analyst, const char *note,
		    const char *assignee, char *err, size_t errlen);
void		 control_free(struct control *);

/* views.c: tables for readers (employees, an_daily) */
int		 views_init(struct sqlite3 *, char *err, size_t errlen);
void		 views_employees(struct sqlite3 *, const struct directory *);
void		 views_day(struct analytics *, struct sqlite3 *,
		    struct entity *, int64_t day_start_us);

#endif
