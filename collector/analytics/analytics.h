/*
 * The analytics (docs/analytics.md): identity -> features per employee
 * and hour/day -> baselines (own and peer) -> detectors -> rules ->
 * alerts and risk. analytics.c drives it; this header is the map of the
 * folder and holds the structs its files share.
 *
 * identity.c (who an event belongs to), sensitivity.c (which tables are
 * sensitive) and hmap.c (the deterministic map the entities, peers and
 * rule state live in) are here, not in the daemon, because only the
 * scoring calls them: the daemon hands events to analytics_event() and
 * never resolves an employee or a table class itself.
 *
 * Layering, top to bottom; a file calls only files below it, never one
 * that calls it back (tests/integration/layering.sh checks):
 *
 *	analytics.c	the pipeline: clock, bucket closes, state in SQLite
 *	views.c		readers' tables, from the figures below
 *	rules-eval.c	the rules, over figures, fields and risk
 *	rules-load.c	the rules directory, file by file
 *	rules-parse.c	the rules language (asks features.c for names)
 *	rules-lex.c	its tokens (rules-lex.h, private to the two)
 *	alert.c		alerts and risk (hands alerts to siem/)
 *	cases.c		cases: alerts filed per person, group cases
 *	detect.c	detectors: figures, drift, streaks, the day's close
 *	standing.c	peer standing, the mix of reads, the peers' routine
 *	features.c	what one event adds to an entity's buckets
 *	entities.c	entities, peer groups, first-seen names
 *	baseline.c	the slots' arithmetic and their storage
 *	state-compat.c	older versions' raw state, converted
 *	state.c		the saved state images (tagged sections)
 *	calendar.c	local days and hours, holidays
 *	identity.c, sensitivity.c, hmap.c
 *
 * The header lists them bottom-up. New code goes in the lowest file
 * whose callers are all above it; what two stages both need belongs in a
 * file below both, not in the one that drives them.
 */
#ifndef LEAKWATCH_ANALYTICS_H
#define LEAKWATCH_ANALYTICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

struct analytics;
struct collector_config;
struct conf_list;
struct entity;
struct fwd;
struct lw_event;
struct peer;
struct sqlite3;
struct sqlite3_stmt;

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
	int		 end_user_trusted; /* from an application account */
	int		 end_user_claim; /* untrusted, names someone else */
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

/* calendar.c: local days and hours, weekdays, holidays */
#define HOUR_US		(3600LL * 1000000)
#define DAY_US		(86400LL * 1000000)
int		 calendar_offset(const char *s, long long *min);
int		 calendar_holidays(struct hmap *, const struct conf_list *,
		    char *err, size_t errlen);
int64_t		 calendar_day(const struct analytics *, int64_t ts_us);
int64_t		 calendar_day_start(const struct analytics *, int64_t day);
int64_t		 calendar_hour_start(int64_t ts_us);
int		 calendar_holiday(const struct analytics *, int64_t day);
int		 calendar_hour(const struct analytics *, int64_t ts_us);
int		 calendar_bucket_hour(const struct analytics *, int64_t us);
int		 calendar_wday(int64_t day);

/* The features measured per employee and hour/day (features.c) */
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

/* baseline.c: online baselines, own and peer */
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
	uint32_t	 above;		/* active days over the peers' p95, */
					/* bit 0 the last (standing.c) */
	uint32_t	 trend_above;	/* ... with a trend far out (standing.c) */
};

/*
 * The rows a person read of each of their most-read sensitive tables
 * (features.c), day by day: the mix by table of standing.c ("top").
 * Bounded: TOP_TABLES tables; a new table takes the place of the one
 * with the fewest rows in the last 30 days.
 */
#define TOP_TABLES	6
struct tabring {
	uint32_t	 hash;		/* of the table's name, 0: free */
	uint32_t	 pad;
	float		 ring[CUM_DAYS];	/* rows read, day % 30 */
};

/*
 * What survives a restart (an_entities.state), saved as a tagged image
 * (state.c). To add a member here, to struct fstate or to struct
 * tabring: append it, give it its initial value in baseline_init() if
 * that is not zero, and add one line for it to state.c's table
 * (entity_fields, fstate_fields or tab_fields) under a tag never used
 * before; test_state's coverage test fails until that line is there. An
 * older image then loads with the new member at its initial value.
 * Never change what an existing member means: give the new meaning a
 * new member (and tag).
 */
struct entity_state {
	int64_t		 last_day;	/* last local day index closed */
	double		 act[24];	/* decayed active-hour profile */
	double		 act_days;
	uint32_t	 days_mask;	/* active days: bit i = last_day - i */
	uint32_t	 days_seen;	/* active days closed, up to 32 */
	struct fstate	 f[FT_MAX];
	struct tabring	 tab[TOP_TABLES];	/* features.c */
};

/* state.c: the saved state images, tagged sections (docs/analytics.md) */
#define STATE_TAG_MAX	255
struct state_result {
	unsigned	 unknown;	/* sections skipped: not known here */
	const char	*layout;	/* state-compat.c: the old layout read */
	char		 error[80];	/* why an image was refused */
};
int		 state_feature_by_key(const char *key);
int		 state_feature_of(const struct sensitivity *, const char *tag,
		    size_t len);
uint8_t		*state_entity_encode(const struct entity_state *,
		    const struct sensitivity *, size_t *len);
int		 state_entity_decode(struct entity_state *,
		    const struct sensitivity *, const uint8_t *, size_t,
		    struct state_result *);
uint8_t		*state_peer_encode(const struct peer *,
		    const struct sensitivity *, size_t *len);
int		 state_peer_decode(struct peer *, const struct sensitivity *,
		    const uint8_t *, size_t, struct state_result *);
int		 state_is_image(const uint8_t *, size_t);
const char	*state_entity_check(const struct entity_state *);
size_t		 state_entity_carried(void);
/* state-compat.c: the raw layouts older versions saved */
int		 compat_entity(struct entity_state *, const uint8_t *, size_t,
		    struct state_result *);
int		 compat_peer(struct peer *, const uint8_t *, size_t,
		    struct state_result *);

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

/*
 * Where a person stands among their peers over a window of days
 * (standing.c): the figures of the last day close.
 */
#define STAND_WINDOWS	3	/* 1, 7 and 30 days */
enum stand_level { SL_NONE = -1, SL_ROLE, SL_DEPT, SL_ORG };
struct standing {
	double		 value;		/* per active day in the window */
	double		 lift;		/* the role's, when judged wider */
	double		 median;	/* the group's (lifted) median */
	float		 rank;		/* 1 = the highest */
	float		 n;		/* members with data */
	float		 pct;		/* percentile, 0-100 */
	float		 rz;		/* robust z, log scale */
	int		 level;		/* enum stand_level */
};

/*
 * The mix of a person's reads among their peers (standing.c): the share
 * of sensitive rows in all the rows they read, and their sensitive rows
 * per query, and the share of the one sensitive table they read most
 * ("top") in all their rows, over the last 7 and 30 days, placed in the
 * peer group. A theft made of extra look-ups moves the mix even where
 * the volume is within what the heaviest honest readers do; one made of
 * extra rows of one table moves "top" even where every table the role
 * reads is sensitive.
 */
enum mix_kind { MIX_SHARE, MIX_RPQ, MIX_TOP, MIX_MAX };
#define MIX_WINDOWS	2	/* 7 and 30 days */
struct mixstand {
	double		 value;		/* the share (%), or rows per query */
	double		 median;	/* the group's (lifted) */
	double		 rows;		/* sensitive rows per active day */
	float		 rz;		/* robust z, logit or log scale */
	float		 rank;		/* 1 = the highest */
	float		 n;		/* members with a mix */
	int		 level;		/* enum stand_level */
};

/*
 * A person's trend among their peers (standing.c, standing_trend()): the
 * slope of the log of their daily value over their active days of the
 * last TREND_DAYS, and where it stands among the slopes of the peers of
 * their role (or department). A ramp that only the person's own change
 * reveals, whatever the team as a whole does.
 */
#define TREND_DAYS	21
struct trendstand {
	double		 slope;		/* log units a day */
	double		 se;		/* its standard error (own days) */
	double		 median;	/* the group's median slope */
	float		 rz;		/* robust z among the group's */
	float		 n;		/* members with a trend */
	int		 level;		/* enum stand_level; SL_NONE: none */
};

/* entities.c: the scored entities and their peer groups, first-seen names */
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
	char		*glabel[3];	/* standing groups, for people */
	struct entity_state s;
	/* the open buckets */
	double		 hv[FT_MAX];
	double		 dv[FT_MAX];
	double		 tdv[TOP_TABLES];	/* rows of s.tab[i] today */
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
	char		*young_tables[NAMES_KEPT]; /* the same, sensitive, before
					   baseline-min-days (cohorts only) */
	int		 n_young_tables;
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
	float		 rsurge[2][FT_MAX]; /* role members spiking, hour/day */
	int		 ract[2];	/* ... and active (detect_surge()) */
	int		 cohort;	/* others of the group new to a table with
					   them today (detect.c), 0: none */
	const char	*cohort_table;	/* that table (one of new_tables or
					   young_tables), NULL: none */
	double		 cum30[FT_MAX];
	struct standing	 st[FT_MAX][STAND_WINDOWS];	/* standing.c */
	double		 routine[FT_MAX];	/* peers' p95 day, -1: unknown */
	struct mixstand	 mix[MIX_MAX][MIX_WINDOWS];	/* standing.c */
	struct trendstand tr[FT_MAX];		/* standing.c */
	void		**rstate;	/* per rule, rules-eval.c */
	int		 dirty;
};

/*
 * A peer group. What it learns survives a restart (an_peers.state) when
 * state.c's peer_fields or peer_ffields (per feature) has a line for the
 * member; the rule is entity_state's.
 */
struct peer {
	char		*name;
	struct slot	 hour[FT_MAX][HOUR_SLOTS];
	struct slot	 day[FT_MAX][DAY_SLOTS];
	double		 act[24];
	double		 act_days;
	struct hmap	*tables;	/* table -> members who read it */
	double		 zmed[FT_MAX];	/* today's median own z */
	double		 surge[2][FT_MAX]; /* members spiking, hour/day */
	double		 surge_med[FT_MAX]; /* their median day (detect.c) */
	int		 nact[2];	/* members active, hour/day */
	double		 cum30_med[FT_MAX];
	double		 el_k[FT_MAX];	/* member-days elevated, decayed */
	double		 el_n[FT_MAX];	/* member-days, decayed */
	/*
	 * The peers' reads by local hour of the day, per kind of day
	 * (standing.c): what members read in an hour when they read
	 * sensitive rows in it (each hour learnt into its own and its two
	 * neighbours' slots), those member-hours and the member-days
	 * (decayed).
	 */
	struct slot	 hpull[DAY_SLOTS][24];
	double		 hpull_k[DAY_SLOTS][24];
	double		 hpull_n[DAY_SLOTS];
	double		 lmed[FT_MAX];	/* today's median log1p over members */
	int		 nlmed;		/* ... of this many active (0: none) */
	int		 active;	/* members active today */
	int		 members;
};

struct entity	*entity_get(struct analytics *, const char *id,
		    const struct person *);
void		 entity_set_person(struct analytics *, struct entity *,
		    const struct person *);
void		 entity_seen_add(struct analytics *, struct entity *,
		    const char *key, int64_t ts_us);
struct entity	**entities_active(struct analytics *, int day, size_t *n);
void		 entity_free(struct entity *);
struct peer	*peer_get(struct analytics *, const char *group);
void		 peer_free(void *);

/* features.c: what one event adds to its employee's hour and day */
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
	int			 shared;	/* half the group sends there */
	int			 rare;		/* few of the group send there */
	int			 first_host;	/* service account, new client */
	int			 hour;		/* local hour of day */
	int			 wday;		/* 0 = Sunday */
};

const char	*feature_name(const struct analytics *, int f, char *buf,
		    size_t len);
/* below it, a day is never a spike; the excess that makes it elevated;
 * the excess that may feed the drift statistic */
enum min_kind { MK_SPIKE, MK_STREAK, MK_DRIFT };
double		 feature_min(int f, enum min_kind);
int		 feature_lookup(const struct sensitivity *, const char *name);
int		 features_event(struct analytics *, struct evctx *);
void		 features_day_reset(struct entity *);
void		 features_day_tables(struct entity *, int64_t day);
void		 features_registrable(const char *host, char *out, size_t len);
int		 features_read_like(const char *command, const char *statement);
double		 features_count(const struct lw_event *);
double		 features_max_rows(const struct lw_event *, double rows_read);

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
int		 detect_day_close(struct analytics *, struct entity **,
		    size_t n, int64_t day);
double		 detect_cusum_step(double s, double z, double k);
double		 detect_streak_p(double own_k, double own_n, double peer_k,
		    double peer_n);
double		 detect_streak_step(double s, int elevated, double p);
void		 detect_day_learn(struct analytics *, struct entity *,
		    int64_t day);
void		 detect_hour_learn(struct analytics *, struct entity *);
double		 detect_cum30(const struct entity *, int f, int64_t day);
double		 detect_own_max(const struct entity *, int f, int64_t day);
void		 detect_surge(struct analytics *, struct entity **, size_t n,
		    enum period);
void		 detect_hour_close(struct analytics *, struct entity **,
		    size_t n);
int		 detect_peer_unusual(struct analytics *, struct entity *,
		    const char *key);
double		 detect_team(struct analytics *, struct entity *, int f,
		    enum period);

/* standing.c: peer standing and the peers' routine (detect.c runs it
 * last at each day's close; the rules read the figures) */
void		 standing_seen(struct entity *, int64_t day);
int		 standing_routine(struct analytics *, int64_t day);
int		 standing_day(struct analytics *, int64_t day);
int		 standing_days_above(const struct entity *, int f, int n);
int		 standing_trend_days(const struct entity *, int f, int n);
double		 standing_chance(const struct standing *);
int		 standing_apart(double v, double med, double other);
double		 standing_hour_routine(const struct peer *, int kind,
		    int hour);
void		 standing_hour(struct analytics *, struct entity **,
		    size_t n);
void		 standing_hour_learn(struct analytics *, struct entity *);
void		 standing_hour_day(struct analytics *, struct entity *,
		    int kind);
void		 standing_hour_decay(struct peer *);
double		 standing_quantile(double *v, size_t n, double q);

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
	FN_STREAK_DAYS, FN_TEAM_USUAL, FN_TEAM_RATIO, FN_TEAM_Z,
	FN_PEER_RANK, FN_PEER_N, FN_PEER_PCT, FN_PEER_MRATIO, FN_PEER_RZ,
	FN_PEER_MEDIAN, FN_PEER_GROUP, FN_PEER_DAYS, FN_PEER_ROUTINE,
	FN_DAYS_SEEN, FN_MIX, FN_MIX_MEDIAN, FN_MIX_RZ, FN_MIX_RANK,
	FN_MIX_N, FN_MIX_ROWS, FN_MIX_GROUP, FN_ALERTED, FN_OWN_MAX, FN_IF,
	FN_PEER_CHANCE, FN_DAY_PARTS, FN_TREND, FN_TREND_MEDIAN, FN_TREND_RZ,
	FN_TREND_N, FN_TREND_GROUP, FN_TREND_DAYS, FN_NFN
};

/*
 * The fields a rule names, resolved once at load (rules-parse.c) so the
 * evaluator dispatches on a number. From RF_TYPE on they are event rules'
 * only; RF_EVENT is any other field of the event, read by its name.
 */
enum rfield {
	RF_EMPLOYEE, RF_NAME, RF_DEPARTMENT, RF_ROLE, RF_GROUP, RF_SERVICE,
	RF_KNOWN, RF_LEAVER, RF_DAYS_TO_LEAVE, RF_LEAVE_WHEN, RF_HOUR,
	RF_WEEKDAY, RF_WEEKEND, RF_HOLIDAY,
	RF_TYPE, RF_ROWS_READ, RF_ROWS_SENSITIVE, RF_MAX_ROWS, RF_COUNT,
	RF_SENSITIVE, RF_CLASS, RF_OUT_BYTES, RF_EXFIL, RF_OFFHOURS,
	RF_MISMATCH, RF_END_USER_CLAIM, RF_VIA, RF_IP_OWNER,
	RF_DB_USER_OWNER, RF_END_USER_OWNER, RF_FIRST_TABLE,
	RF_FIRST_DESTINATION, RF_FIRST_HOST, RF_SHARED, RF_RARE, RF_EVENT
};

enum rule_on { ON_EVENT, ON_HOUR, ON_DAY };

struct rnode {
	enum rnode_kind	 kind;
	int		 op;		/* RN_BIN */
	int		 fn;		/* RN_CALL */
	int		 field;		/* RN_FIELD: enum rfield */
	double		 num;
	char		*str;		/* RN_STR value, RN_FIELD name */
	int		 feature;	/* RN_FEATURE, feature arguments */
	int		 period;	/* PER_HOUR or PER_DAY */
	int64_t		 window_us;	/* count/sum/distinct */
	int		 agg;		/* aggregate index in the rule */
	int		 what;		/* first_seen: 0 table, 1 dest., 2 host;
					   peer_*: the window; peer_days: N */
	struct rnode	*a, *b, *where;	/* if(): where ? a : b */
	struct rnode	**list;
	int		 nlist;
	char		*text;		/* source of a call, for evidence */
	size_t		 num_start;	/* where that source starts */
	int		 line, col;
	int		 height;	/* levels below and with it */
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
#define RULES_MAX_BYTES	(4 << 20)	/* one rules file */
/* rules-load.c */
int		 rules_load_dir(struct ruleset *, const char *dir,
		    const struct sensitivity *, char *err, size_t errlen);
/* rules-parse.c */
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

/* cases.c: one open case per person, group cases, case messages */
struct cases;
struct cases	*cases_new(void);
void		 cases_free(struct cases *);
int		 cases_alert(struct analytics *, const char *alert_id,
		    const struct alert_in *);
void		 cases_touch(struct analytics *, const char *alert_id,
		    int64_t ts_us, double score);
void		 cases_hold(struct analytics *);
int		 cases_release(struct analytics *, int64_t day_start_us);
void		 cases_tick(struct analytics *);
double		 case_score_add(double old, double alert_score);
json_t		*case_message(const char *ts, const char *case_id,
		    const char *kind, const char *subject,
		    const char *members, const char *department,
		    const char *severity, double score, int alerts,
		    int64_t first_ts, int64_t last_ts, const char *story,
		    const char *status, const char *update);

/* views.c: tables for readers (employees, an_daily) */
void		 views_employees(struct sqlite3 *, const struct directory *);
void		 views_day(struct analytics *, struct sqlite3 *,
		    struct entity *, int64_t day_start_us);

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
	int			 forward_alerts; /* alerts to SIEMs too */
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
	struct cases		*cases;
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
	unsigned		 state_logged;	/* baseline.c: told once */
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
/* backlog: events stored and not yet scored (they move the clock). */
void		 analytics_tick(struct analytics *, int64_t now_us,
		    int backlog);
int		 analytics_reload(struct analytics *,
		    const struct collector_config *);
int		 analytics_db_begin(struct analytics *);
int		 analytics_db_end(struct analytics *, int began);
void		 analytics_free(struct analytics *);
const char	*replay_sorted(const char *path, char *tmp, size_t tmplen,
		    char *err, size_t errlen);

#endif
