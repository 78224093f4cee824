/*
 * The agent's on-disk spool: every event is appended here with a sequence
 * number before the uplink sends it, and stays until the collector has
 * acknowledged it. This file owns the directory layout, the record format,
 * crash recovery, the size cap and the read cursor; it knows nothing of the
 * network or of what an event means. docs/spool.md is the operator's view.
 *
 * Directory layout (all files 0600, the directory 0700):
 *
 *	lock			flock(2)ed for the life of the spool, so two
 *				agents cannot share one directory
 *	instance		32 lowercase hex digits and a newline: 128
 *				random bits made with the spool
 *	acked			u64 highest acked seq + u32 CRC-32C of it
 *	seg-<16 hex>		append-only segments; the name is the
 *				next_seq at the moment the segment was made,
 *				so every event in it has seq >= that
 *
 * A segment is a sequence of records. Every integer is little-endian:
 *
 *	 0  4	magic "LWSP"
 *	 4  1	version (1)
 *	 5  1	kind: 1 checkpoint, 2 event
 *	 6  2	zero
 *	 8  4	len: bytes of data after the header
 *	12  4	src_id (events; zero in checkpoints)
 *	16  8	seq: the event's seq; in a checkpoint, next_seq when written
 *	24  8	src_pos (events; zero in checkpoints)
 *	32  4	CRC-32C of the data
 *	36  4	CRC-32C of bytes 0..35
 *	40  len	data
 *
 * The header checksum covers the data checksum, so together they cover the
 * whole record; they are split so that a scan looking for records after a
 * damaged one can test a candidate header in constant time.
 *
 * A checkpoint's data is u64 dropped, u32 nsrc, u32 zero, then nsrc
 * entries of { u32 src_id, u32 zero, u64 src_pos, u64 seq }: the complete
 * state that is not implied by the events themselves. Every segment starts
 * with one, so a segment stays self-describing once older ones are gone; one
 * is also appended after the size cap drops events, to persist `dropped'.
 *
 * Invariants: seq numbers in a segment strictly increase, are at least the
 * segment's name and are below the next segment's name; the last segment
 * (by name) is the active one, the only one written to, and is never
 * deleted. Hence next_seq can always be recovered from the active segment
 * alone, and seq numbers are never reused within an instance.
 *
 * Durability: one write(2) per record, never an fsync per record. The agent
 * syncs the active segment on a timer from a thread of its own (syncer.c,
 * on spool_active_fd()) and with spool_sync() at exit; a rotation fsyncs
 * the old segment, the new one and the directory, so only the active
 * segment can lose a tail to a power cut. Recovery on open therefore truncates a torn tail of the last
 * segment, but treats damage anywhere else as corruption: skipped, counted,
 * warned about, and seen by the reader as a gap.
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leakwatch/log.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#include "agent.h"

#define REC_HDRLEN	40
#define REC_VERSION	1
#define KIND_CHECKPOINT	1
#define KIND_EVENT	2
#define CP_FIXLEN	16
#define CP_ENTLEN	24
#define CP_MAXLEN	(CP_FIXLEN + SPOOL_MAX_SOURCES * CP_ENTLEN)

/*
 * Seq numbers and segment names stay below 2^62: far more than an agent
 * will ever issue, they fit the signed 64-bit integers of JSON and SQLite,
 * and seq + count arithmetic cannot overflow.
 */
#define SEQ_LIMIT	(UINT64_C(1) << 62)

#define RDBUF_INIT	((size_t)64 * 1024)
#define RDBUF_MAX	((size_t)REC_HDRLEN + (size_t)SPOOL_MAX_RECORD)
#define SEGNAME_LEN	20		/* "seg-" + 16 hex digits */
#define ACKED_LEN	12

static const uint8_t rec_magic[4] = { 'L', 'W', 'S', 'P' };

struct seg {
	TAILQ_ENTRY(seg) entry;
	uint64_t	 first;		/* from the name */
	uint64_t	 first_ev;	/* lowest valid event seq; 0: none */
	uint64_t	 last;		/* highest valid event seq; 0: none */
	uint64_t	 nev;		/* valid events */
	uint64_t	 size;		/* bytes in the file */
	uint64_t	 end;		/* records in [0, end) are valid */
	int		 bad;		/* damaged from end on; no appends */
};
TAILQ_HEAD(seglist, seg);

/*
 * A buffered sequential reader over one segment: buf[head..tail) holds the
 * file's bytes from offset `off'. It never reads past the limit it is
 * given (the segment's valid end), so the buffer never holds bytes that a
 * later append or truncation could change.
 */
struct rdr {
	int		 fd;
	struct seg	*seg;
	uint8_t		*buf;
	size_t		 cap;
	size_t		 head;
	size_t		 tail;
	uint64_t	 off;
};

struct rec {
	int		 kind;
	uint32_t	 len;
	uint32_t	 src_id;
	uint64_t	 seq;
	uint64_t	 src_pos;
	uint64_t	 off;		/* where the record starts */
	const uint8_t	*data;
};

enum rd_result {
	RD_OK,
	RD_END,		/* at the limit */
	RD_BAD,		/* damaged or incomplete record at rec->off */
	RD_IOERR
};

struct srcpos {
	uint32_t	 id;
	uint64_t	 pos;
	uint64_t	 seq;		/* event that set it; for eviction */
};

struct spool {
	char		*dir;
	int		 dirfd;
	int		 lockfd;
	int		 ackfd;
	int		 wfd;		/* active segment, O_APPEND */
	char		 instance[33];
	uint64_t	 max_bytes;
	uint64_t	 segment_bytes;

	struct seglist	 segs;		/* by name, oldest first */
	uint64_t	 nseg;
	uint64_t	 bytes;		/* sum of seg->size */
	uint64_t	 events;	/* sum of seg_unacked() */
	uint64_t	 next_seq;
	uint64_t	 acked;
	uint64_t	 dropped;
	uint64_t	 corrupt;

	struct srcpos	 src[SPOOL_MAX_SOURCES];
	size_t		 nsrc;
	int		 src_warned;
	int		 ack_warned;

	uint8_t		*wbuf;		/* one record being appended */
	size_t		 wcap;

	struct rdr	 rd;
	uint64_t	 rd_seq;	/* the seq the reader wants next */
	int		 rd_pending;	/* rd_rec follows a reported gap */
	struct rec	 rd_rec;
};

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void
seg_name(uint64_t first, char *buf, size_t len)
{
	int n;

	n = snprintf(buf, len, "seg-%016" PRIx64, first);
	if (n < 0 || (size_t)n >= len)
		fatalx("spool: segment name truncated");
}

/* "seg-" and exactly 16 lowercase hex digits; anything else is not ours. */
static int
seg_parse_name(const char *s, uint64_t *first)
{
	uint64_t v = 0;
	int i, c;

	if (strlen(s) != SEGNAME_LEN || strncmp(s, "seg-", 4) != 0)
		return -1;
	for (i = 4; i < SEGNAME_LEN; i++) {
		c = (unsigned char)s[i];
		if (c >= '0' && c <= '9')
			v = v << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint64_t)(c - 'a' + 10);
		else
			return -1;
	}
	if (v == 0 || v >= SEQ_LIMIT)
		return -1;
	*first = v;
	return 0;
}

/*
 * Events of `seg' above `acked'. Seq numbers in a segment are unique and
 * increasing and, except after a recovery, consecutive; so the count is
 * nev when none is acked and last - acked when some are, which is exact
 * for consecutive seqs and an upper bound otherwise.
 */
static uint64_t
seg_unacked(const struct seg *seg, uint64_t acked)
{
	uint64_t n;

	if (seg->nev == 0 || seg->last <= acked)
		return 0;
	if (seg->first_ev > acked)
		return seg->nev;
	n = seg->last - acked;
	return n < seg->nev ? n : seg->nev;
}

/* Reads fully unless at end of file; returns bytes read or -1. */
static ssize_t
pread_full(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = pread(fd, buf + done, len - done, (off_t)(off + done));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static void
rdr_close(struct rdr *r)
{
	if (r->fd != -1)
		close(r->fd);
	r->fd = -1;
	r->seg = NULL;
	r->head = r->tail = 0;
	r->off = 0;
}

static int
rdr_open(struct spool *sp, struct seg *seg)
{
	char name[32];

	rdr_close(&sp->rd);
	seg_name(seg->first, name, sizeof(name));
	if ((sp->rd.fd = openat(sp->dirfd, name, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	sp->rd.seg = seg;
	return 0;
}

/*
 * Makes `need' bytes available at buf[head], reading no further than file
 * offset `limit'. Returns 0, 1 if the file ended first, -1 on error.
 */
static int
rdr_fill(struct rdr *r, size_t need, uint64_t limit)
{
	uint64_t at;
	size_t want, ncap;
	ssize_t n;

	if (r->tail - r->head >= need)
		return 0;
	if (r->head > 0) {
		memmove(r->buf, r->buf + r->head, r->tail - r->head);
		r->tail -= r->head;
		r->head = 0;
	}
	if (need > r->cap) {
		ncap = r->cap;
		while (ncap < need)
			ncap *= 2;
		if (ncap > RDBUF_MAX)
			ncap = RDBUF_MAX;
		r->buf = xreallocarray(r->buf, 1, ncap);
		r->cap = ncap;
	}
	while (r->tail < need) {
		at = r->off + r->tail;
		if (at >= limit)
			return 1;
		want = r->cap - r->tail;
		if (want > limit - at)
			want = (size_t)(limit - at);
		n = pread(r->fd, r->buf + r->tail, want, (off_t)at);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			return 1;
		r->tail += (size_t)n;
	}
	return 0;
}

/*
 * Checks a header on its own. Everything is checked before anything is
 * believed: the magic, the header checksum, then each field's range, so a
 * length read from disk is never used unless it is at most the maximum.
 */
static int
hdr_parse(const uint8_t *p, struct rec *rec, const char **why)
{
	if (memcmp(p, rec_magic, sizeof(rec_magic)) != 0) {
		*why = "bad magic";
		return -1;
	}
	if (get32(p + 36) != crc32c(0, p, 36)) {
		*why = "bad header checksum";
		return -1;
	}
	rec->kind = p[5];
	rec->len = get32(p + 8);
	rec->src_id = get32(p + 12);
	rec->seq = get64(p + 16);
	rec->src_pos = get64(p + 24);
	if (p[4] != REC_VERSION || p[6] != 0 || p[7] != 0 ||
	    (rec->kind != KIND_CHECKPOINT && rec->kind != KIND_EVENT)) {
		*why = "unknown version or kind";
		return -1;
	}
	if (rec->len > SPOOL_MAX_RECORD || (rec->kind == KIND_CHECKPOINT &&
	    (rec->len > CP_MAXLEN || rec->src_id != 0 || rec->src_pos != 0))) {
		*why = "bad length or fields";
		return -1;
	}
	if (rec->seq == 0 || rec->seq >= SEQ_LIMIT) {
		*why = "sequence number out of range";
		return -1;
	}
	return 0;
}

/*
 * The next record below `limit'. On RD_BAD and RD_IOERR the reader stays
 * at the record's start (rec->off) and *why says what was wrong; on RD_OK
 * rec->data points into the buffer until the next call.
 */
static enum rd_result
rdr_next(struct rdr *r, uint64_t limit, struct rec *rec, const char **why)
{
	const uint8_t *p;
	int rc;

	rec->off = r->off;
	if (r->off >= limit)
		return RD_END;
	if (limit - r->off < REC_HDRLEN) {
		*why = "truncated header";
		return RD_BAD;
	}
	if ((rc = rdr_fill(r, REC_HDRLEN, limit)) != 0) {
		*why = rc == 1 ? "file shorter than expected" : strerror(errno);
		return rc == 1 ? RD_BAD : RD_IOERR;
	}
	if (hdr_parse(r->buf + r->head, rec, why) == -1)
		return RD_BAD;
	if (limit - r->off - REC_HDRLEN < rec->len) {
		*why = "truncated record";
		return RD_BAD;
	}
	if ((rc = rdr_fill(r, REC_HDRLEN + rec->len, limit)) != 0) {
		*why = rc == 1 ? "file shorter than expected" : strerror(errno);
		return rc == 1 ? RD_BAD : RD_IOERR;
	}
	p = r->buf + r->head;
	if (get32(p + 32) != crc32c(0, p + REC_HDRLEN, rec->len)) {
		*why = "bad data checksum";
		return RD_BAD;
	}
	rec->data = p + REC_HDRLEN;
	r->head += REC_HDRLEN + rec->len;
	r->off += REC_HDRLEN + rec->len;
	return RD_OK;
}

/*
 * Remembers where a source got to. The table is bounded: past
 * SPOOL_MAX_SOURCES, the source updated longest ago (lowest seq) is
 * forgotten. The rule depends only on the record order, so replaying the
 * records at open rebuilds exactly the table the writer had.
 */
static void
src_apply(struct spool *sp, uint32_t id, uint64_t pos, uint64_t seq)
{
	size_t i, old = 0;

	for (i = 0; i < sp->nsrc; i++) {
		if (sp->src[i].id == id) {
			sp->src[i].pos = pos;
			sp->src[i].seq = seq;
			return;
		}
	}
	if (sp->nsrc < SPOOL_MAX_SOURCES) {
		i = sp->nsrc++;
	} else {
		for (i = 1; i < sp->nsrc; i++)
			if (sp->src[i].seq < sp->src[old].seq)
				old = i;
		i = old;
		if (!sp->src_warned) {
			sp->src_warned = 1;
			log_warnx("spool %s: more than %d sources; forgetting "
			    "where the least recent one got to", sp->dir,
			    SPOOL_MAX_SOURCES);
		}
	}
	sp->src[i].id = id;
	sp->src[i].pos = pos;
	sp->src[i].seq = seq;
}

/*
 * Builds one record in the append buffer; the caller writes it with one
 * write(2), so a crash leaves either all of it or a torn tail.
 */
static size_t
rec_build(struct spool *sp, int kind, uint64_t seq, uint32_t src_id,
    uint64_t src_pos, const void *data, size_t len)
{
	size_t total = REC_HDRLEN + len;
	uint8_t *p;

	if (total > sp->wcap) {
		sp->wbuf = xreallocarray(sp->wbuf, 1, total);
		sp->wcap = total;
	}
	p = sp->wbuf;
	memcpy(p, rec_magic, sizeof(rec_magic));
	p[4] = REC_VERSION;
	p[5] = (uint8_t)kind;
	p[6] = p[7] = 0;
	put32(p + 8, (uint32_t)len);
	put32(p + 12, src_id);
	put64(p + 16, seq);
	put64(p + 24, src_pos);
	if (len > 0)
		memcpy(p + REC_HDRLEN, data, len);
	put32(p + 32, crc32c(0, p + REC_HDRLEN, len));
	put32(p + 36, crc32c(0, p, 36));
	return total;
}

static size_t
cp_build(struct spool *sp)
{
	uint8_t body[CP_MAXLEN], *e;
	size_t i;

	memset(body, 0, sizeof(body));
	put64(body, sp->dropped);
	put32(body + 8, (uint32_t)sp->nsrc);
	for (i = 0; i < sp->nsrc; i++) {
		e = body + CP_FIXLEN + i * CP_ENTLEN;
		put32(e, sp->src[i].id);
		put64(e + 8, sp->src[i].pos);
		put64(e + 16, sp->src[i].seq);
	}
	return rec_build(sp, KIND_CHECKPOINT, sp->next_seq, 0, 0, body,
	    CP_FIXLEN + sp->nsrc * CP_ENTLEN);
}

/*
 * Takes the state in a checkpoint: its source table replaces ours (it is
 * complete), `dropped' only ever grows. Validated in full before use.
 */
static int
cp_apply(struct spool *sp, const struct rec *rec)
{
	struct srcpos tab[SPOOL_MAX_SOURCES];
	const uint8_t *e;
	uint32_t n;
	size_t i, j;

	if (rec->len < CP_FIXLEN)
		return -1;
	n = get32(rec->data + 8);
	if (n > SPOOL_MAX_SOURCES || rec->len != CP_FIXLEN + n * CP_ENTLEN ||
	    get32(rec->data + 12) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		e = rec->data + CP_FIXLEN + i * CP_ENTLEN;
		tab[i].id = get32(e);
		tab[i].pos = get64(e + 8);
		tab[i].seq = get64(e + 16);
		if (get32(e + 4) != 0 || tab[i].seq >= rec->seq)
			return -1;
		for (j = 0; j < i; j++)
			if (tab[j].id == tab[i].id)
				return -1;
	}
	memcpy(sp->src, tab, n * sizeof(tab[0]));
	sp->nsrc = n;
	if (get64(rec->data) > sp->dropped)
		sp->dropped = get64(rec->data);
	return 0;
}

/*
 * Appends the record in wbuf to the active segment. A short write (disk
 * full) is cut back off so the segment stays well formed; if even that
 * fails, the segment is closed to appends and readers stop before the
 * garbage, and the next append starts a new segment.
 */
static int
active_write(struct spool *sp, size_t len)
{
	struct seg *seg = TAILQ_LAST(&sp->segs, seglist);
	ssize_t n;
	int saved;

	n = write(sp->wfd, sp->wbuf, len);
	if (n >= 0 && (size_t)n == len) {
		seg->size += len;
		if (!seg->bad)
			seg->end += len;
		sp->bytes += len;
		return 0;
	}
	saved = n == -1 ? errno : ENOSPC;
	if (n > 0 && ftruncate(sp->wfd, (off_t)seg->size) == -1) {
		log_warn("spool %s: cannot cut back a short write", sp->dir);
		seg->bad = 1;
		seg->size += (uint64_t)n;
		sp->bytes += (uint64_t)n;
	}
	errno = saved;
	return -1;
}

/*
 * Starts a new active segment named after next_seq. The old one is made
 * durable first and the new one (its checkpoint) and the directory entry
 * after, so at most the active segment can lose data to a power cut and
 * the name that carries next_seq survives one. On failure nothing changes.
 */
static int
seg_rotate(struct spool *sp)
{
	struct seg *seg;
	char name[32];
	size_t len;
	int fd, saved;

	if (sp->wfd != -1 && fdatasync(sp->wfd) == -1)
		return -1;
	seg_name(sp->next_seq, name, sizeof(name));
	fd = openat(sp->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND |
	    O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	len = cp_build(sp);
	errno = ENOSPC;		/* what a short write means */
	if (write(fd, sp->wbuf, len) != (ssize_t)len || fdatasync(fd) == -1 ||
	    fsync(sp->dirfd) == -1) {
		saved = errno;
		close(fd);
		unlinkat(sp->dirfd, name, 0);
		errno = saved;
		return -1;
	}
	if (sp->wfd != -1)
		close(sp->wfd);
	sp->wfd = fd;
	seg = xcalloc(1, sizeof(*seg));
	seg->first = sp->next_seq;
	seg->size = seg->end = len;
	TAILQ_INSERT_TAIL(&sp->segs, seg, entry);
	sp->nseg++;
	sp->bytes += len;
	return 0;
}

/* Forgets and unlinks a segment that is not the active one. */
static void
seg_delete(struct spool *sp, struct seg *seg)
{
	char name[32];

	seg_name(seg->first, name, sizeof(name));
	if (unlinkat(sp->dirfd, name, 0) == -1 && errno != ENOENT)
		log_warn("spool %s: unlink %s", sp->dir, name);
	if (sp->rd.seg == seg) {
		rdr_close(&sp->rd);
		sp->rd_pending = 0;
	}
	sp->events -= seg_unacked(seg, sp->acked);
	sp->bytes -= seg->size;
	sp->nseg--;
	TAILQ_REMOVE(&sp->segs, seg, entry);
	free(seg);
}

/*
 * Deletes segments all of whose records are acked. A segment's records are
 * all below the next segment's name, whatever state its contents are in.
 */
static void
ack_prune(struct spool *sp)
{
	struct seg *seg, *next;

	while ((seg = TAILQ_FIRST(&sp->segs)) != NULL &&
	    (next = TAILQ_NEXT(seg, entry)) != NULL &&
	    next->first - 1 <= sp->acked)
		seg_delete(sp, seg);
}

/*
 * The size cap: while the segments hold more than max_bytes, the oldest
 * goes, acked or not (never the active one). Its unacked events are
 * counted as dropped, logged, and persisted with a checkpoint; the reader
 * reports them as a gap because they are missing, not because of the count.
 */
static void
enforce_cap(struct spool *sp)
{
	struct seg *seg;
	uint64_t lost = 0, lo = 0, hi = 0, n;
	size_t len;

	while (sp->bytes > sp->max_bytes &&
	    (seg = TAILQ_FIRST(&sp->segs)) != TAILQ_LAST(&sp->segs, seglist)) {
		if ((n = seg_unacked(seg, sp->acked)) > 0) {
			if (lo == 0)
				lo = seg->first_ev > sp->acked ?
				    seg->first_ev : sp->acked + 1;
			hi = seg->last;
			lost += n;
		}
		seg_delete(sp, seg);
	}
	if (lost == 0)
		return;
	sp->dropped += lost;
	log_warnx("spool %s is over its %" PRIu64 "-byte cap: %" PRIu64
	    " unsent events (seq %" PRIu64 "-%" PRIu64 ") dropped, %"
	    PRIu64 " so far", sp->dir, sp->max_bytes, lost, lo, hi,
	    sp->dropped);
	len = cp_build(sp);
	if (active_write(sp, len) == -1)
		log_warn("spool %s: cannot record the drop count", sp->dir);
}

static void
ack_store(struct spool *sp)
{
	uint8_t b[ACKED_LEN];

	put64(b, sp->acked);
	put32(b + 8, crc32c(0, b, 8));
	if (pwrite(sp->ackfd, b, sizeof(b), 0) != (ssize_t)sizeof(b) &&
	    !sp->ack_warned) {
		/* Harmless: the collector sends its cursor on connect. */
		sp->ack_warned = 1;
		log_warn("spool %s: cannot save the acked seq", sp->dir);
	}
}

static uint64_t
ack_load(struct spool *sp)
{
	uint8_t b[ACKED_LEN];
	ssize_t n;

	n = pread_full(sp->ackfd, b, sizeof(b), 0);
	if (n == 0)
		return 0;
	if (n != (ssize_t)sizeof(b) || get32(b + 8) != crc32c(0, b, 8) ||
	    get64(b) >= SEQ_LIMIT) {
		log_warnx("spool %s: acked file damaged; starting from 0 (the "
		    "collector will tell us)", sp->dir);
		return 0;
	}
	return get64(b);
}

static int
instance_read(struct spool *sp)
{
	char buf[40];
	ssize_t n;
	int fd, i, c;

	if ((fd = openat(sp->dirfd, "instance", O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = pread_full(fd, (uint8_t *)buf, sizeof(buf), 0);
	close(fd);
	if (n != 32 && !(n == 33 && buf[32] == '\n'))
		return -1;
	for (i = 0; i < 32; i++) {
		c = (unsigned char)buf[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -1;
	}
	memcpy(sp->instance, buf, 32);
	sp->instance[32] = '\0';
	return 0;
}

/* Written to a temporary name and renamed, so it is never half there. */
static int
instance_make(struct spool *sp)
{
	uint8_t id[16];
	char line[34];
	int fd, ok;

	if (random_bytes(id, sizeof(id)) != 0) {
		errno = EIO;
		return -1;
	}
	hex_encode(id, sizeof(id), sp->instance);
	memcpy(line, sp->instance, 32);
	line[32] = '\n';
	fd = openat(sp->dirfd, "instance.tmp", O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	ok = write(fd, line, 33) == 33 && fsync(fd) == 0;
	close(fd);
	if (!ok || renameat(sp->dirfd, "instance.tmp", sp->dirfd,
	    "instance") == -1 || fsync(sp->dirfd) == -1)
		return -1;
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
list_segments(struct spool *sp, char *err, size_t errlen)
{
	struct dirent *de;
	struct seg *seg;
	uint64_t *v = NULL, first;
	size_t n = 0, cap = 0, i;
	DIR *d;
	int fd;

	if ((fd = fcntl(sp->dirfd, F_DUPFD_CLOEXEC, 0)) == -1 ||
	    (d = fdopendir(fd)) == NULL) {
		seterr(err, errlen, "spool %s: %s", sp->dir, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (seg_parse_name(de->d_name, &first) != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[n++] = first;
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), cmp_u64);
	for (i = 0; i < n; i++) {
		seg = xcalloc(1, sizeof(*seg));
		seg->first = v[i];
		TAILQ_INSERT_TAIL(&sp->segs, seg, entry);
		sp->nseg++;
	}
	free(v);
	return 0;
}

/*
 * The instance id belongs with the segments: without segments (a new or
 * wiped spool, or a crash while creating one) there is nothing the
 * collector could confuse, so a new id is made and the ack reset. Segments
 * without a valid id are kept and sent under a new id.
 */
static int
load_instance(struct spool *sp, char *err, size_t errlen)
{
	int have = instance_read(sp) == 0;

	sp->ackfd = openat(sp->dirfd, "acked", O_RDWR | O_CREAT | O_CLOEXEC,
	    0600);
	if (sp->ackfd == -1) {
		seterr(err, errlen, "spool %s: acked: %s", sp->dir,
		    strerror(errno));
		return -1;
	}
	if (have && sp->nseg > 0) {
		sp->acked = ack_load(sp);
		return 0;
	}
	if (sp->nseg > 0)
		log_warnx("spool %s: instance id missing or damaged; making a "
		    "new one, the spooled events go out as a new stream",
		    sp->dir);
	if (instance_make(sp) == -1) {
		seterr(err, errlen, "spool %s: cannot create the instance "
		    "id: %s", sp->dir, strerror(errno));
		return -1;
	}
	sp->acked = 0;
	ack_store(sp);
	return 0;
}

/*
 * Looks for evidence that events follow a damaged record in the last
 * segment: any header with a valid checksum for an event at or above
 * `floor'. A torn write leaves none; a damaged byte in the middle does.
 * Headers are checked in constant time, so this is linear in the file.
 * Returns the highest such seq, or 0.
 */
static uint64_t
resync_scan(struct spool *sp, struct seg *seg, uint64_t from,
    uint64_t floor)
{
	struct rec rec;
	const char *why;
	char name[32];
	uint8_t *buf;
	uint64_t off = from, best = 0;
	size_t i, cap = RDBUF_INIT;
	ssize_t n;
	int fd;

	seg_name(seg->first, name, sizeof(name));
	if ((fd = openat(sp->dirfd, name, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	buf = xmalloc(cap);
	while (off < seg->size && seg->size - off >= REC_HDRLEN) {
		n = pread_full(fd, buf, cap, off);
		if (n < REC_HDRLEN)
			break;
		for (i = 0; i + REC_HDRLEN <= (size_t)n; i++) {
			if (buf[i] != rec_magic[0] ||
			    hdr_parse(buf + i, &rec, &why) != 0)
				continue;
			if (rec.kind == KIND_EVENT && rec.seq >= floor &&
			    rec.seq > best)
				best = rec.seq;
		}
		if ((size_t)n < cap)
			break;
		off += (size_t)n - (REC_HDRLEN - 1);
	}
	free(buf);
	close(fd);
	return best;
}

/*
 * Checks one record of a segment being recovered against the ordering
 * invariants and takes its state. `floor' is the lowest seq the next
 * record may carry; `bound' the next segment's name, 0 for the last one.
 */
static enum rd_result
scan_apply(struct spool *sp, struct seg *seg, const struct rec *rec,
    uint64_t bound, uint64_t *floor, const char **why)
{
	if (rec->kind == KIND_EVENT) {
		if (rec->seq < *floor || (bound != 0 && rec->seq >= bound)) {
			*why = "sequence number out of order";
			return RD_BAD;
		}
		if (seg->nev++ == 0)
			seg->first_ev = rec->seq;
		seg->last = rec->seq;
		*floor = rec->seq + 1;
		src_apply(sp, rec->src_id, rec->src_pos, rec->seq);
		return RD_OK;
	}
	if (rec->seq < *floor || (bound != 0 && rec->seq > bound)) {
		*why = "checkpoint out of order";
		return RD_BAD;
	}
	if (cp_apply(sp, rec) == -1) {
		*why = "bad checkpoint";
		return RD_BAD;
	}
	*floor = rec->seq;
	return RD_OK;
}

/*
 * Recovers one segment at open: validates every record, counts events,
 * replays source positions and checkpoints, and applies the damage rules:
 *
 * - In an older segment (bound != 0) the rest after a bad record is
 *   skipped: we cannot find record boundaries past it, and it was fsynced
 *   at rotation, so this is real corruption. Its events (the seqs up to
 *   the next segment's name) are counted corrupt; readers see a gap.
 * - In the last segment, a bad record with no event after it is a torn
 *   write (crash, power cut): cut off. Its seq was never returned by
 *   spool_append, or was lost with the page cache.
 * - In the last segment, a bad record with events after it is damage:
 *   treated as in an older segment, and next_seq moves past every event
 *   header found so that no seq is ever issued twice; the caller then
 *   starts a new segment.
 *
 * Returns -1 only for I/O errors; sets *floorp to the next unissued seq
 * this segment implies.
 */
static int
scan_segment(struct spool *sp, struct seg *seg, uint64_t bound,
    uint64_t *floorp, char *err, size_t errlen)
{
	struct rdr *r = &sp->rd;
	struct stat st;
	struct rec rec;
	const char *why = "";
	char name[32];
	uint64_t floor = seg->first, lost, best;
	enum rd_result rc;
	int fd;

	seg_name(seg->first, name, sizeof(name));
	if (rdr_open(sp, seg) == -1 || fstat(r->fd, &st) == -1) {
		seterr(err, errlen, "spool %s: %s: %s", sp->dir, name,
		    strerror(errno));
		return -1;
	}
	seg->size = (uint64_t)st.st_size;
	sp->bytes += seg->size;
	for (;;) {
		rc = rdr_next(r, seg->size, &rec, &why);
		if (rc == RD_OK)
			rc = scan_apply(sp, seg, &rec, bound, &floor, &why);
		if (rc != RD_OK)
			break;
	}
	rdr_close(r);
	if (rc == RD_IOERR) {
		seterr(err, errlen, "spool %s: read %s: %s", sp->dir, name,
		    why);
		return -1;
	}
	seg->end = rec.off;
	*floorp = floor;
	if (rc == RD_END)
		return 0;

	if (bound != 0) {
		seg->bad = 1;
		lost = bound > floor ? bound - floor : 0;
		sp->corrupt += lost > 0 ? lost : 1;
		log_warnx("spool %s: %s: %s at offset %" PRIu64 "; skipping "
		    "the rest of the file (%" PRIu64 " events)", sp->dir, name,
		    why, rec.off, lost);
		return 0;
	}
	if ((best = resync_scan(sp, seg, rec.off + 1, floor)) != 0) {
		seg->bad = 1;
		sp->corrupt += best + 1 - floor;
		log_warnx("spool %s: %s: %s at offset %" PRIu64 " with events "
		    "after it; skipping the rest of the file (up to %" PRIu64
		    " events)", sp->dir, name, why, rec.off, best + 1 - floor);
		*floorp = best + 1;
		return 0;
	}
	log_warnx("spool %s: %s: %s at offset %" PRIu64 " (a write cut short "
	    "by a crash or power cut); truncating %" PRIu64 " bytes", sp->dir,
	    name, why, rec.off, seg->size - rec.off);
	sp->corrupt++;
	if ((fd = openat(sp->dirfd, name, O_WRONLY | O_CLOEXEC)) == -1 ||
	    ftruncate(fd, (off_t)rec.off) == -1) {
		/* Keep the garbage, but out of reach: a new segment follows. */
		log_warn("spool %s: truncate %s", sp->dir, name);
		seg->bad = 1;
	} else {
		sp->bytes -= seg->size - rec.off;
		seg->size = rec.off;
		/* Else a power cut could bring back the garbage under later
		 * appends, where it would read as damage, not a torn tail. */
		if (fdatasync(fd) == -1)
			log_warn("spool %s: fdatasync %s", sp->dir, name);
	}
	if (fd != -1)
		close(fd);
	return 0;
}

/*
 * Rebuilds the in-memory state from the segments, oldest first, so that
 * the newest checkpoint and the events after it win. next_seq is the
 * highest seq any segment implies, and above the ack: after a power cut
 * the collector may hold events the spool lost, and their seqs must not be
 * issued again.
 */
static int
recover(struct spool *sp, char *err, size_t errlen)
{
	struct seg *seg, *next, *last;
	char name[32];
	uint64_t floor = 0;
	size_t len;

	sp->next_seq = sp->acked + 1;
	for (seg = TAILQ_FIRST(&sp->segs); seg != NULL; seg = next) {
		next = TAILQ_NEXT(seg, entry);
		if (scan_segment(sp, seg, next != NULL ? next->first : 0,
		    &floor, err, errlen) == -1)
			return -1;
		if (floor > sp->next_seq)
			sp->next_seq = floor;
	}

	/*
	 * Appends continue in the last segment only if it is sound and
	 * next_seq follows its records; otherwise (damage, or an ack beyond
	 * what survived a power cut) a new segment starts at next_seq, so the
	 * events of a segment are always consecutive. An empty last segment
	 * holds nothing and is replaced rather than kept.
	 */
	last = TAILQ_LAST(&sp->segs, seglist);
	if (last != NULL && !last->bad && last->size == 0 &&
	    floor != sp->next_seq) {
		seg_delete(sp, last);
		last = NULL;
	}
	if (last != NULL && last->bad && sp->next_seq <= last->first)
		sp->next_seq = last->first + 1;	/* keep names unique */
	if (last == NULL || last->bad || floor != sp->next_seq) {
		if (seg_rotate(sp) == -1) {
			seterr(err, errlen, "spool %s: cannot create a "
			    "segment: %s", sp->dir, strerror(errno));
			return -1;
		}
	} else {
		seg_name(last->first, name, sizeof(name));
		sp->wfd = openat(sp->dirfd, name, O_WRONLY | O_APPEND |
		    O_CLOEXEC);
		if (sp->wfd == -1) {
			seterr(err, errlen, "spool %s: %s: %s", sp->dir, name,
			    strerror(errno));
			return -1;
		}
		if (last->size == 0) {
			len = cp_build(sp);
			if (active_write(sp, len) == -1 ||
			    fdatasync(sp->wfd) == -1) {
				seterr(err, errlen, "spool %s: %s: %s",
				    sp->dir, name, strerror(errno));
				return -1;
			}
		}
	}

	sp->events = 0;
	for (seg = TAILQ_FIRST(&sp->segs); seg != NULL;
	    seg = TAILQ_NEXT(seg, entry))
		sp->events += seg_unacked(seg, sp->acked);
	ack_prune(sp);
	enforce_cap(sp);
	sp->rd_seq = sp->acked + 1;
	return 0;
}

struct spool *
spool_open(const char *dir, uint64_t max_bytes, uint64_t segment_bytes,
    char *err, size_t errlen)
{
	struct spool *sp;

	if (dir == NULL || *dir == '\0' || max_bytes == 0 ||
	    segment_bytes == 0) {
		seterr(err, errlen, "spool: need a directory and non-zero "
		    "sizes");
		return NULL;
	}
	sp = xcalloc(1, sizeof(*sp));
	sp->dir = xstrdup(dir);
	sp->dirfd = sp->lockfd = sp->ackfd = sp->wfd = sp->rd.fd = -1;
	sp->max_bytes = max_bytes;
	sp->segment_bytes = segment_bytes;
	TAILQ_INIT(&sp->segs);
	sp->rd.cap = RDBUF_INIT;
	sp->rd.buf = xmalloc(sp->rd.cap);

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		seterr(err, errlen, "spool %s: mkdir: %s", dir,
		    strerror(errno));
		goto fail;
	}
	if ((sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1) {
		seterr(err, errlen, "spool %s: %s", dir, strerror(errno));
		goto fail;
	}
	sp->lockfd = openat(sp->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC,
	    0600);
	if (sp->lockfd == -1) {
		seterr(err, errlen, "spool %s: lock file: %s", dir,
		    strerror(errno));
		goto fail;
	}
	if (flock(sp->lockfd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			seterr(err, errlen, "spool %s is locked by another "
			    "process (another agent using the same spool?)",
			    dir);
		else
			seterr(err, errlen, "spool %s: lock: %s", dir,
			    strerror(errno));
		goto fail;
	}
	if (list_segments(sp, err, errlen) == -1 ||
	    load_instance(sp, err, errlen) == -1 ||
	    recover(sp, err, errlen) == -1)
		goto fail;
	return sp;

fail:
	spool_free(sp);
	return NULL;
}

void
spool_free(struct spool *sp)
{
	struct seg *seg;

	if (sp == NULL)
		return;
	rdr_close(&sp->rd);
	while ((seg = TAILQ_FIRST(&sp->segs)) != NULL) {
		TAILQ_REMOVE(&sp->segs, seg, entry);
		free(seg);
	}
	if (sp->wfd != -1)
		close(sp->wfd);
	if (sp->ackfd != -1)
		close(sp->ackfd);
	if (sp->lockfd != -1)
		close(sp->lockfd);	/* releases the flock */
	if (sp->dirfd != -1)
		close(sp->dirfd);
	free(sp->rd.buf);
	free(sp->wbuf);
	free(sp->dir);
	free(sp);
}

const char *
spool_instance(const struct spool *sp)
{
	return sp->instance;
}

/*
 * Appends one event: the data, its seq and its source's position go out
 * in one record and one write(2), so after a crash the event and the
 * position that follows it are both there or both gone.
 */
int
spool_append(struct spool *sp, const void *data, size_t len, uint32_t src_id,
    uint64_t src_pos, uint64_t *seqp)
{
	struct seg *active = TAILQ_LAST(&sp->segs, seglist);
	uint64_t seq = sp->next_seq, before;
	size_t reclen;

	if (len > (size_t)SPOOL_MAX_RECORD || (data == NULL && len > 0)) {
		errno = EMSGSIZE;
		return -1;
	}
	if (seq >= SEQ_LIMIT - 1) {
		errno = EOVERFLOW;
		return -1;
	}
	/* A lone oversized record still gets written, to a segment of its
	 * own, rather than rotating for ever. */
	if (active->bad || (active->nev > 0 &&
	    active->size + REC_HDRLEN + len > sp->segment_bytes)) {
		if (seg_rotate(sp) == -1)
			return -1;
		active = TAILQ_LAST(&sp->segs, seglist);
	}
	reclen = rec_build(sp, KIND_EVENT, seq, src_id, src_pos, data, len);
	if (active_write(sp, reclen) == -1)
		return -1;
	sp->next_seq++;
	/* Kept equal to the sum of seg_unacked() over the segments. */
	before = seg_unacked(active, sp->acked);
	if (active->nev++ == 0)
		active->first_ev = seq;
	active->last = seq;
	sp->events += seg_unacked(active, sp->acked) - before;
	src_apply(sp, src_id, src_pos, seq);
	enforce_cap(sp);
	if (seqp != NULL)
		*seqp = seq;
	return 0;
}

int
spool_sync(struct spool *sp)
{
	return fdatasync(sp->wfd);
}

/* The active segment's descriptor, for syncer.c to sync a dup of. */
int
spool_active_fd(const struct spool *sp)
{
	return sp->wfd;
}

uint64_t
spool_source_pos(const struct spool *sp, uint32_t src_id)
{
	size_t i;

	for (i = 0; i < sp->nsrc; i++)
		if (sp->src[i].id == src_id)
			return sp->src[i].pos;
	return 0;
}

/*
 * The collector has stored everything up to `seq'. Recorded with one
 * pwrite, not synced: a lost ack only means a resend, which the collector
 * drops by seq. Segments wholly at or below it go, and a read cursor left
 * behind moves past it: acked events are delivered, not lost, so they must
 * not come back as a gap.
 */
int
spool_ack(struct spool *sp, uint64_t seq)
{
	struct seg *seg;

	if (seq >= sp->next_seq)
		return -1;
	if (seq <= sp->acked)
		return 0;
	for (seg = TAILQ_FIRST(&sp->segs); seg != NULL;
	    seg = TAILQ_NEXT(seg, entry)) {
		if (seg->nev == 0)
			continue;
		if (seg->first_ev > seq)
			break;
		sp->events -= seg_unacked(seg, sp->acked) -
		    seg_unacked(seg, seq);
	}
	sp->acked = seq;
	ack_store(sp);
	ack_prune(sp);
	if (sp->rd_seq <= seq)
		spool_rewind(sp, seq + 1);
	return 0;
}

/*
 * The collector has stored up to `seq', beyond what this spool issued: the
 * spool lost its tail (a power cut took the newest records and the acked
 * file with them). Sequence numbers up to `seq' are taken, and reusing one
 * would make the collector drop a new event as a duplicate, so next_seq
 * jumps past it in a fresh segment whose checkpoint records the jump, and
 * everything older counts as acked.
 */
int
spool_skip_to(struct spool *sp, uint64_t seq)
{
	uint64_t old = sp->next_seq;

	if (seq < sp->next_seq)
		return 0;
	sp->next_seq = seq + 1;
	if (seg_rotate(sp) == -1) {
		sp->next_seq = old;
		return -1;
	}
	sp->events = 0;
	sp->acked = seq;
	ack_store(sp);
	ack_prune(sp);
	spool_rewind(sp, seq + 1);
	return 0;
}

/*
 * Moves the read cursor. The segment is found again by name on the next
 * read; records below `seq' in it are skipped then.
 */
void
spool_rewind(struct spool *sp, uint64_t seq)
{
	if (seq == 0)
		seq = 1;
	if (seq > sp->next_seq)
		seq = sp->next_seq;
	rdr_close(&sp->rd);
	sp->rd_pending = 0;
	sp->rd_seq = seq;
}

/* The segment that holds rd_seq if it exists: the last named at or below. */
static int
rd_locate(struct spool *sp)
{
	struct seg *seg;

	for (seg = TAILQ_LAST(&sp->segs, seglist); seg != NULL;
	    seg = TAILQ_PREV(seg, seglist, entry))
		if (seg->first <= sp->rd_seq)
			break;
	if (seg == NULL)
		seg = TAILQ_FIRST(&sp->segs);
	return rdr_open(sp, seg);
}

/*
 * Data that passed the checks at open fails them now: the file changed
 * under our lock, or the disk is failing. The rest of the segment is out of
 * reach; if it is the active one, the next append starts a new one.
 */
static void
rd_damaged(struct spool *sp, struct seg *seg, uint64_t off, const char *why)
{
	char name[32];

	seg_name(seg->first, name, sizeof(name));
	log_warnx("spool %s: %s: %s at offset %" PRIu64 " while reading; "
	    "skipping the rest of the file", sp->dir, name, why, off);
	seg->bad = 1;
	seg->end = off;
	sp->corrupt++;
}

enum spool_read_result
spool_read(struct spool *sp, struct spool_rec *out)
{
	struct seg *seg, *next;
	struct rec rec;
	const char *why = "";
	enum rd_result rc;

	memset(out, 0, sizeof(*out));
	if (sp->rd_pending) {
		sp->rd_pending = 0;
		rec = sp->rd_rec;
		goto deliver;
	}
	if (sp->rd_seq >= sp->next_seq)
		return SPOOL_EMPTY;
	if (sp->rd.seg == NULL && rd_locate(sp) == -1) {
		log_warn("spool %s: open for reading", sp->dir);
		return SPOOL_ERROR;
	}
	for (;;) {
		seg = sp->rd.seg;
		rc = rdr_next(&sp->rd, seg->end, &rec, &why);
		if (rc == RD_IOERR) {
			log_warnx("spool %s: read: %s", sp->dir, why);
			rdr_close(&sp->rd);
			return SPOOL_ERROR;
		}
		if (rc == RD_BAD)
			rd_damaged(sp, seg, rec.off, why);
		if (rc != RD_OK) {
			/* The end of a segment; the active one is where a
			 * reader waits for appends. */
			if ((next = TAILQ_NEXT(seg, entry)) == NULL)
				return SPOOL_EMPTY;
			if (rdr_open(sp, next) == -1) {
				log_warn("spool %s: open for reading",
				    sp->dir);
				return SPOOL_ERROR;
			}
			continue;
		}
		if (rec.kind != KIND_EVENT || rec.seq < sp->rd_seq)
			continue;
		if (rec.seq > sp->rd_seq) {
			/* Dropped or unreadable: say so once, then carry on
			 * from the record we found. */
			out->seq = sp->rd_seq;
			out->gap_last = rec.seq - 1;
			sp->rd_seq = rec.seq;
			sp->rd_rec = rec;
			sp->rd_pending = 1;
			return SPOOL_GAP;
		}
		break;
	}
deliver:
	out->seq = rec.seq;
	out->data = (const char *)rec.data;
	out->len = rec.len;
	sp->rd_seq = rec.seq + 1;
	return SPOOL_RECORD;
}

void
spool_stats(const struct spool *sp, struct spool_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->events = sp->events;
	st->bytes = sp->bytes;
	st->dropped = sp->dropped;
	st->next_seq = sp->next_seq;
	st->acked = sp->acked;
	st->segments = sp->nseg;
	st->corrupt = sp->corrupt;
}
