/*
 * leakwatch-collector: accepts agents, validates and deduplicates their
 * events and stores them in SQLite, then scores them and forwards alerts.
 * This header is the map of the daemon: every file's prototypes under its
 * banner in the order the data flows (server -> ingest -> store ->
 * scorer), with the configuration in config.h (the TUI and leakwatch-ctl
 * read the same file). The scoring and the SIEM forwarding are folders of
 * their own with their own maps: analytics/analytics.h and siem/siem.h;
 * a daemon file includes those only when it calls into them.
 */
#ifndef LEAKWATCH_COLLECTOR_H
#define LEAKWATCH_COLLECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct analytics;
struct event_base;
struct fwd;
struct lw_event;
struct scorer;
struct secrets;
struct server;
struct sqlite3;
struct store;
struct stream;

/* secrets.c */
struct secrets	*secrets_load(const char *path, char *err, size_t errlen);
int		 secrets_check(const struct secrets *, const char *agent,
		    const char *secret);
int		 secrets_has(const struct secrets *, const char *agent,
		    const char *hash);
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
	char		 secret_hash[65]; /* when a secret authenticated it */
	int		 authenticated;
	char		 agent[65];
	char		 instance[33];
	struct stream	*stream;
	uint64_t	 rejected;	/* events refused by validation */
	uint64_t	 duplicates;
};

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
int		 ingest_peer_valid(const struct ingest_ctx *,
		    const struct ingest_peer *, char *err, size_t errlen);
enum ingest_result ingest_gap(struct ingest_ctx *, struct ingest_peer *,
		    const uint8_t *, size_t, char *err, size_t errlen);
int		 ingest_replay(struct ingest_ctx *, const char *path,
		    uint64_t *stored, uint64_t *rejected);

/* server.c */
struct server	*server_new(struct event_base *,
		    const struct collector_config *, struct ingest_ctx *,
		    char *err, size_t errlen);
void		 server_acks(struct server *);	/* after each commit */
int		 server_reload(struct server *,
		    const struct collector_config *, char *err,
		    size_t errlen);
size_t		 server_nconns(const struct server *);
int		 server_free(struct server *);	/* -1: not all stored */

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
struct control	*control_new(struct event_base *, const char *path,
		    const char *dbpath, char *err, size_t errlen);
void		 control_free(struct control *);

#endif
