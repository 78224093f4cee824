/*
 * TCP reassembly of one direction of one connection: segments go in as
 * the capture saw them (out of order, repeated, overlapping, truncated by
 * the snap length, with holes where the capture lost packets) and come
 * out as an in-order byte stream through two callbacks, data(bytes) and
 * gap(len). The protocol decoders above never see a sequence number.
 * This file knows nothing of connections or protocols: db.c owns two
 * reassemblers per connection and their idle timeouts.
 *
 * Rules, in the order a segment meets them:
 *   - Sequence numbers are compared with serial arithmetic (RFC 1982), so
 *     a stream that wraps at 2^32 is one stream.
 *   - The stream starts at the SYN (its sequence number + 1). Without a
 *     SYN (capture started mid-connection) it starts at the first segment
 *     that carries data; earlier bytes that show up later are old.
 *   - Bytes before the next expected byte are retransmissions and are
 *     dropped (counted). Where two copies of the same byte differ - an
 *     overlap with conflicting data - the FIRST copy received wins: bytes
 *     already delivered cannot be taken back, and buffered bytes are never
 *     replaced, so the two cases behave the same. Conflicts are counted.
 *   - A segment ahead of the next expected byte is buffered, within two
 *     bounds: ctx->stream_max bytes per direction and ctx->memory_max for
 *     every stream of the context together (and REASM_MAX_SEGS segments
 *     per direction, so an adversary cannot make the lists long). At a
 *     bound the reassembler does not wait: it declares the hole before
 *     the oldest buffered segment lost - gap(len) - and moves on.
 *   - A gap is also declared when it is clear that the bytes are not
 *     coming: the other side acknowledged data we never saw (the capture
 *     lost it, TCP did not), a hole stayed open REASM_HOLE_TIMEOUT_US,
 *     or the stream is flushed (FIN with a hole, idle timeout, end of
 *     capture). A segment cut by the snap length delivers its captured
 *     part, then a gap for the rest.
 *   - FIN ends the stream at its sequence number: bytes past it are
 *     dropped. RST ends it at once.
 * Every dropped byte or segment is counted in the context's statistics.
 */
#include <stdlib.h>
#include <string.h>

#include "agent.h"

/* Serial-number comparisons (RFC 1982) on 32-bit TCP sequence numbers. */
#define SEQ_LT(a, b)	((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b)	((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b)	((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_GEQ(a, b)	((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)

/* One buffered, out-of-order segment: covers [seq, seq + len) of which
 * the first caplen bytes were captured (the rest was cut by snaplen). */
struct reasm_seg {
	struct reasm_seg	*next;
	uint32_t		 seq;
	uint32_t		 len;
	uint32_t		 caplen;
	uint8_t			 data[];
};

struct reasm_ctx {
	size_t			 stream_max;
	size_t			 memory_max;
	size_t			 used;		/* charged by every stream */
	struct reasm_stats	 st;
};

struct reasm {
	struct reasm_ctx	*ctx;
	reasm_data_fn		*data;
	reasm_gap_fn		*gap;
	void			*arg;
	int			 synced;	/* next is meaningful */
	int			 fin_seen;
	int			 rst;
	uint32_t		 next;		/* next byte to deliver */
	uint32_t		 fin_seq;	/* sequence number of FIN */
	struct reasm_seg	*head;		/* sorted, disjoint, > next */
	struct reasm_seg	*tail;
	size_t			 buffered;	/* bytes charged */
	size_t			 nsegs;
	int64_t			 hole_since;	/* head != NULL since then */
};

static size_t
seg_charge(uint32_t caplen)
{
	return sizeof(struct reasm_seg) + caplen;
}

struct reasm_ctx *
reasm_ctx_new(size_t stream_max, size_t memory_max)
{
	struct reasm_ctx *ctx;

	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		return NULL;
	ctx->stream_max = stream_max;
	ctx->memory_max = memory_max;
	return ctx;
}

void
reasm_ctx_free(struct reasm_ctx *ctx)
{
	free(ctx);
}

void
reasm_ctx_stats(const struct reasm_ctx *ctx, struct reasm_stats *st)
{
	*st = ctx->st;
	st->buffered = ctx->used;
}

struct reasm *
reasm_new(struct reasm_ctx *ctx, reasm_data_fn *data, reasm_gap_fn *gap,
    void *arg)
{
	struct reasm *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->ctx = ctx;
	r->data = data;
	r->gap = gap;
	r->arg = arg;
	return r;
}

static void
seg_free(struct reasm *r, struct reasm_seg *s)
{
	size_t c = seg_charge(s->caplen);

	r->buffered -= c;
	r->ctx->used -= c;
	r->nsegs--;
	free(s);
}

void
reasm_free(struct reasm *r)
{
	struct reasm_seg *s, *n;

	if (r == NULL)
		return;
	for (s = r->head; s != NULL; s = n) {
		n = s->next;
		seg_free(r, s);
	}
	free(r);
}

/* Declares len bytes at r->next lost and moves past them. */
static void
emit_gap(struct reasm *r, uint32_t len, int64_t ts)
{
	if (len == 0)
		return;
	r->ctx->st.gaps++;
	r->ctx->st.gap_bytes += len;
	r->next += len;
	r->gap(r->arg, len, ts);
}

/*
 * Delivers len sequence bytes at r->next: the first caplen were captured,
 * the rest were cut by the snap length and become a gap.
 */
static void
emit(struct reasm *r, const uint8_t *data, uint32_t caplen, uint32_t len,
    int64_t ts)
{
	if (caplen > 0) {
		r->ctx->st.bytes += caplen;
		r->next += caplen;
		r->data(r->arg, data, caplen, ts);
	}
	if (len > caplen)
		emit_gap(r, len - caplen, ts);
}

/* Counts an overlap whose two copies differ (compared where both exist). */
static void
compare(struct reasm *r, const struct reasm_seg *s, uint32_t soff,
    const uint8_t *data, uint32_t caplen, uint32_t len)
{
	uint32_t n = len;

	if (n > caplen)
		n = caplen;
	if (soff >= s->caplen)
		return;
	if (n > s->caplen - soff)
		n = s->caplen - soff;
	if (n > 0 && memcmp(s->data + soff, data, n) != 0)
		r->ctx->st.conflicts++;
}

/* Takes the head off the list and delivers what it has past r->next. */
static void
pop_deliver(struct reasm *r, int64_t ts)
{
	struct reasm_seg *s = r->head;
	uint32_t skip, cap;

	r->head = s->next;
	if (r->head == NULL)
		r->tail = NULL;
	if (SEQ_GT(s->seq + s->len, r->next)) {
		skip = r->next - s->seq;	/* 0 unless overlapped */
		cap = s->caplen > skip ? s->caplen - skip : 0;
		if (cap > s->len - skip)	/* cut at a FIN */
			cap = s->len - skip;
		emit(r, s->data + (s->caplen > skip ? skip : s->caplen), cap,
		    s->len - skip, ts);
	}
	seg_free(r, s);
}

/* Delivers every buffered segment that is now contiguous. */
static void
drain(struct reasm *r, int64_t ts)
{
	while (r->head != NULL && SEQ_LEQ(r->head->seq, r->next))
		pop_deliver(r, ts);
	if (r->head != NULL)
		r->hole_since = ts;
}

/* Gives up the hole before the oldest buffered segment. */
static void
skip_hole(struct reasm *r, int64_t ts)
{
	if (r->head == NULL)
		return;
	if (SEQ_GT(r->head->seq, r->next))
		emit_gap(r, r->head->seq - r->next, ts);
	drain(r, ts);
}

/*
 * In-order data at r->next. Where it overlaps buffered data, the buffered
 * copy (received first) is delivered and the overlapping new bytes are
 * only compared with it.
 */
static void
deliver_inorder(struct reasm *r, const uint8_t *data, uint32_t caplen,
    uint32_t len, int64_t ts)
{
	struct reasm_seg *h;
	uint32_t n, c, ov;

	while (len > 0) {
		h = r->head;
		if (h == NULL || SEQ_GEQ(h->seq, r->next + len)) {
			emit(r, data, caplen, len, ts);
			break;
		}
		if (h->seq != r->next) {
			n = h->seq - r->next;
			c = n < caplen ? n : caplen;
			emit(r, data, c, n, ts);
			data += c;
			caplen -= c;
			len -= n;
			continue;
		}
		ov = h->len < len ? h->len : len;
		compare(r, h, 0, data, caplen, ov);
		pop_deliver(r, ts);
		c = ov < caplen ? ov : caplen;
		data += c;
		caplen -= c;
		len -= ov;
	}
	drain(r, ts);
}

static int
can_buffer(struct reasm *r, uint32_t caplen)
{
	size_t c = seg_charge(caplen);

	if (r->nsegs >= REASM_MAX_SEGS || r->buffered + c > r->ctx->stream_max) {
		r->ctx->st.cap_stream++;
		return 0;
	}
	if (r->ctx->used + c > r->ctx->memory_max) {
		r->ctx->st.cap_memory++;
		return 0;
	}
	return 1;
}

/* A new node for [seq, seq + len), inserted after prev (NULL: first). */
static struct reasm_seg *
insert(struct reasm *r, struct reasm_seg *prev, uint32_t seq,
    const uint8_t *data, uint32_t caplen, uint32_t len)
{
	struct reasm_seg *s;
	size_t c = seg_charge(caplen);

	/* The caller checked the caps for the whole segment; a split one
	 * needs extra headers, which must not break the bounds either. */
	if (r->buffered + c > r->ctx->stream_max ||
	    r->ctx->used + c > r->ctx->memory_max ||
	    (s = malloc(c)) == NULL) {
		r->ctx->st.nomem++;
		return NULL;
	}
	s->seq = seq;
	s->len = len;
	s->caplen = caplen;
	memcpy(s->data, data, caplen);
	r->buffered += c;
	r->ctx->used += c;
	r->nsegs++;
	if (prev == NULL) {
		s->next = r->head;
		r->head = s;
	} else {
		s->next = prev->next;
		prev->next = s;
	}
	if (s->next == NULL)
		r->tail = s;
	return s;
}

/*
 * Buffers [seq, seq + len) (seq > r->next): only the parts that no
 * buffered segment covers yet, so the list stays sorted and disjoint and
 * the first copy of every byte wins.
 */
static void
buffer_ooo(struct reasm *r, uint32_t seq, const uint8_t *data,
    uint32_t caplen, uint32_t len, int64_t ts)
{
	struct reasm_seg *prev = NULL, *h = r->head, *s;
	uint32_t n, c, ov, off;
	int was_empty = r->head == NULL;

	r->ctx->st.ooo++;
	/* The usual case: each new segment lands after the last one. */
	if (r->tail != NULL && SEQ_GEQ(seq, r->tail->seq + r->tail->len)) {
		prev = r->tail;
		h = NULL;
	}
	while (len > 0) {
		if (h == NULL || SEQ_GEQ(h->seq, seq + len)) {
			insert(r, prev, seq, data, caplen, len);
			break;
		}
		if (SEQ_LEQ(h->seq + h->len, seq)) {
			prev = h;
			h = h->next;
			continue;
		}
		if (SEQ_LT(seq, h->seq)) {
			n = h->seq - seq;
			c = n < caplen ? n : caplen;
			if ((s = insert(r, prev, seq, data, c, n)) == NULL)
				break;
			prev = s;
		} else {
			off = seq - h->seq;
			ov = h->len - off;
			n = ov < len ? ov : len;
			c = n < caplen ? n : caplen;
			r->ctx->st.retrans_bytes += n;
			compare(r, h, off, data, caplen, n);
			prev = h;
			h = h->next;
		}
		seq += n;
		data += c;
		caplen -= c;
		len -= n;
	}
	if (was_empty && r->head != NULL)
		r->hole_since = ts;
}

/* Payload bytes [seq, seq + len), caplen of them captured. */
static void
process(struct reasm *r, uint32_t seq, const uint8_t *data, uint32_t caplen,
    uint32_t len, int64_t ts)
{
	uint32_t off, c;

	if (r->fin_seen) {
		if (SEQ_GEQ(seq, r->fin_seq)) {
			r->ctx->st.after_fin++;
			return;
		}
		if (SEQ_GT(seq + len, r->fin_seq)) {
			r->ctx->st.after_fin++;
			len = r->fin_seq - seq;
			if (caplen > len)
				caplen = len;
		}
	}
	if (SEQ_GT(seq, r->next) && seq - r->next > REASM_WINDOW) {
		r->ctx->st.out_of_window++;
		return;
	}
	for (;;) {
		if (SEQ_LEQ(seq + len, r->next)) {
			r->ctx->st.retrans_bytes += len;
			return;
		}
		if (SEQ_LT(seq, r->next)) {
			off = r->next - seq;
			r->ctx->st.retrans_bytes += off;
			c = off < caplen ? off : caplen;
			data += c;
			caplen -= c;
			len -= off;
			seq = r->next;
		}
		if (seq == r->next) {
			deliver_inorder(r, data, caplen, len, ts);
			return;
		}
		if (can_buffer(r, caplen)) {
			buffer_ooo(r, seq, data, caplen, len, ts);
			return;
		}
		/* At a cap: the oldest hole is declared lost, not waited
		 * for. That is the hole before this segment when it comes
		 * first (its bytes are here: skipping to the buffered
		 * head would throw them away), else the hole before the
		 * oldest buffered segment. */
		if (r->head != NULL && SEQ_LT(r->head->seq, seq))
			skip_hole(r, ts);
		else
			emit_gap(r, seq - r->next, ts);
	}
}

/* Buffered bytes at or past the FIN are not part of the stream. */
static void
drop_after_fin(struct reasm *r)
{
	struct reasm_seg **pp = &r->head, *s;

	r->tail = NULL;
	while ((s = *pp) != NULL) {
		if (SEQ_GEQ(s->seq, r->fin_seq)) {
			*pp = s->next;
			r->ctx->st.after_fin++;
			seg_free(r, s);
			continue;
		}
		if (SEQ_GT(s->seq + s->len, r->fin_seq)) {
			r->ctx->st.after_fin++;
			s->len = r->fin_seq - s->seq;	/* charge unchanged */
		}
		r->tail = s;
		pp = &s->next;
	}
}

/* A hole open for too long is given up: retransmissions come sooner. */
void
reasm_tick(struct reasm *r, int64_t now_us)
{
	if (r->head != NULL && now_us - r->hole_since > REASM_HOLE_TIMEOUT_US) {
		r->ctx->st.hole_timeouts++;
		skip_hole(r, now_us);
	}
}

void
reasm_segment(struct reasm *r, uint32_t seq, uint8_t flags,
    const uint8_t *data, size_t caplen, size_t wirelen, int64_t ts)
{
	struct reasm_stats *st = &r->ctx->st;

	st->segments++;
	if (caplen > wirelen)
		caplen = wirelen;
	if (wirelen > REASM_MAX_SEGMENT) {
		st->bad_segments++;
		return;
	}
	if (r->rst) {
		if (wirelen > 0)
			st->after_fin++;
		return;
	}
	if (flags & PKT_RST) {
		r->rst = 1;
		return;
	}
	reasm_tick(r, ts);
	if (flags & PKT_SYN) {
		if (!r->synced) {
			r->synced = 1;
			r->next = seq + 1;
		}
		seq++;	/* the SYN takes one sequence number */
	}
	if (!r->synced) {
		if (wirelen == 0 && !(flags & PKT_FIN))
			return;	/* a bare ACK says nothing about our data */
		r->synced = 1;	/* mid-stream pickup */
		r->next = seq;
	}
	if (wirelen > 0)
		process(r, seq, data, (uint32_t)caplen, (uint32_t)wirelen, ts);
	if ((flags & PKT_FIN) && !r->fin_seen &&
	    SEQ_GEQ(seq + (uint32_t)wirelen, r->next)) {
		r->fin_seen = 1;
		r->fin_seq = seq + (uint32_t)wirelen;
		drop_after_fin(r);
	}
}

void
reasm_ack(struct reasm *r, uint32_t ack, int64_t ts)
{
	if (!r->synced || r->rst)
		return;
	/* The FIN takes one sequence number that is not a byte. */
	if (r->fin_seen && SEQ_GT(ack, r->fin_seq))
		ack = r->fin_seq;
	if (SEQ_LEQ(ack, r->next) || ack - r->next > REASM_WINDOW)
		return;
	/* The receiver has bytes we never saw: the capture lost them. */
	r->ctx->st.ack_gaps++;
	while (SEQ_LT(r->next, ack)) {
		if (r->head != NULL && SEQ_LT(r->head->seq, ack)) {
			skip_hole(r, ts);
			continue;
		}
		emit_gap(r, ack - r->next, ts);
	}
}

void
reasm_flush(struct reasm *r, int64_t ts)
{
	while (r->head != NULL)
		skip_hole(r, ts);
	if (r->fin_seen && !r->rst && SEQ_LT(r->next, r->fin_seq))
		emit_gap(r, r->fin_seq - r->next, ts);
}

int
reasm_finished(const struct reasm *r)
{
	return r->rst || (r->fin_seen && r->next == r->fin_seq);
}

size_t
reasm_buffered(const struct reasm *r)
{
	return r->buffered;
}
