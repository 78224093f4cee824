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

struct event_base;
struct agent;

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
void		 spool_rewind(struct spool *, uint64_t seq);
enum spool_read_result spool_read(struct spool *, struct spool_rec *);
void		 spool_stats(const struct spool *, struct spool_stats *);

#endif
