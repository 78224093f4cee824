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
		    const struct sink *, const struct spool *, int follow,
		    char *err, size_t errlen);
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
