/*
 * Tests of agent/reasm.c, the TCP reassembler: whatever order, repetition
 * or overlap the segments arrive in, the consumer gets the stream's bytes
 * exactly once and in order; the first copy of a conflicting byte wins and
 * the conflict is counted; sequence numbers wrap at 2^32; holes become
 * gap(len) of the exact length when the peer acknowledges past them, at
 * FIN/flush, after the hole timeout and at the memory caps; a snaplen-cut
 * segment delivers its captured part and a gap; memory returns to zero.
 */
#include "harness.h"
#include "../../agent/agent.h"

#define STREAM_LEN	4000

/* What the consumer saw: the bytes, and '#' for each gap byte. */
struct sink_buf {
	uint8_t		 out[1 << 16];
	size_t		 len;
	size_t		 ngaps;
	size_t		 gap_bytes;
	int64_t		 last_ts;
};

static void
on_data(void *arg, const uint8_t *p, size_t n, int64_t ts)
{
	struct sink_buf *b = arg;

	if (b->len + n > sizeof(b->out))
		abort();
	memcpy(b->out + b->len, p, n);
	b->len += n;
	b->last_ts = ts;
}

static void
on_gap(void *arg, size_t n, int64_t ts)
{
	struct sink_buf *b = arg;

	if (b->len + n > sizeof(b->out))
		abort();
	memset(b->out + b->len, '#', n);
	b->len += n;
	b->ngaps++;
	b->gap_bytes += n;
	b->last_ts = ts;
}

static uint8_t	stream[STREAM_LEN];

static void
make_stream(void)
{
	size_t i;

	for (i = 0; i < sizeof(stream); i++)
		stream[i] = (uint8_t)('a' + (i * 7 + i / 13) % 26);
}

struct fixture {
	struct reasm_ctx	*ctx;
	struct reasm		*r;
	struct sink_buf		*b;
};

static void
fx_open(struct fixture *f, size_t stream_max, size_t memory_max)
{
	make_stream();
	f->ctx = reasm_ctx_new(stream_max, memory_max);
	f->b = calloc(1, sizeof(*f->b));
	f->r = reasm_new(f->ctx, on_data, on_gap, f->b);
	if (f->ctx == NULL || f->b == NULL || f->r == NULL)
		abort();
}

static void
fx_close(struct fixture *f)
{
	struct reasm_stats st;

	reasm_free(f->r);
	reasm_ctx_stats(f->ctx, &st);
	CHECK_INT(st.buffered, 0);
	reasm_ctx_free(f->ctx);
	free(f->b);
}

/* Stream bytes [off, off + len) as a segment at isn + 1 + off. */
static void
seg(struct reasm *r, uint32_t isn, size_t off, size_t len, int64_t ts)
{
	reasm_segment(r, isn + 1 + (uint32_t)off, PKT_ACK, stream + off, len,
	    len, ts);
}

static int
out_is(const struct sink_buf *b, const uint8_t *want, size_t len)
{
	return b->len == len && memcmp(b->out, want, len) == 0;
}

static void
test_in_order(void)
{
	struct fixture f;
	uint32_t isn = 1000;

	fx_open(&f, 1 << 20, 1 << 20);
	reasm_segment(f.r, isn, PKT_SYN, NULL, 0, 0, 1);
	seg(f.r, isn, 0, 100, 2);
	seg(f.r, isn, 100, 1000, 3);
	seg(f.r, isn, 1100, 2900, 4);
	CHECK(!reasm_finished(f.r));
	reasm_segment(f.r, isn + 1 + STREAM_LEN, PKT_FIN | PKT_ACK, NULL, 0,
	    0, 5);
	CHECK(out_is(f.b, stream, STREAM_LEN));
	CHECK_INT(f.b->ngaps, 0);
	CHECK(reasm_finished(f.r));
	CHECK_INT(f.b->last_ts, 4);
	/* Bytes past the FIN are not part of the stream. */
	reasm_segment(f.r, isn + 1 + STREAM_LEN, PKT_ACK, stream, 10, 10, 6);
	CHECK_INT(f.b->len, STREAM_LEN);
	fx_close(&f);
}

/* Every order of 5 segments, each order also with a duplicate. */
static void
test_permutations(void)
{
	static const size_t cut[6] = { 0, 700, 1500, 1501, 3000, STREAM_LEN };
	struct reasm_stats st;
	struct fixture f;
	int perm[5], used, i, j, k, dup, count = 0, bad = 0;
	uint32_t isn = 77777;

	for (k = 0; k < 5 * 5 * 5 * 5 * 5; k++) {
		/* Decode k as 5 digits; keep those that are a permutation. */
		used = 0;
		for (i = 0, j = k; i < 5; i++, j /= 5) {
			perm[i] = j % 5;
			used |= 1 << perm[i];
		}
		if (used != 0x1f)
			continue;
		for (dup = 0; dup < 2; dup++) {
			fx_open(&f, 1 << 20, 1 << 20);
			reasm_segment(f.r, isn, PKT_SYN, NULL, 0, 0, 1);
			for (i = 0; i < 5; i++) {
				seg(f.r, isn, cut[perm[i]],
				    cut[perm[i] + 1] - cut[perm[i]], 2 + i);
				if (dup && i == 2)	/* resend one */
					seg(f.r, isn, cut[perm[0]],
					    cut[perm[0] + 1] - cut[perm[0]],
					    2 + i);
			}
			if (!out_is(f.b, stream, STREAM_LEN) ||
			    f.b->ngaps != 0 || reasm_buffered(f.r) != 0)
				bad++;
			reasm_ctx_stats(f.ctx, &st);
			if (st.conflicts != 0)
				bad++;
			fx_close(&f);
			count++;
		}
	}
	CHECK_INT(count, 240);
	CHECK_INT(bad, 0);
}

/* Overlapping retransmissions with other bytes: the first copy wins. */
static void
test_overlap_conflict(void)
{
	struct reasm_stats st;
	struct fixture f;
	uint8_t want[32], x[16];
	uint32_t isn = 5;

	fx_open(&f, 1 << 20, 1 << 20);
	memset(x, 'X', sizeof(x));
	reasm_segment(f.r, isn, PKT_SYN, NULL, 0, 0, 1);
	/* [8,16) buffered first; then [0,16) in order with X's in [8,16). */
	seg(f.r, isn, 8, 8, 2);
	memcpy(want, stream, 8);
	memcpy(want + 8, x, 8);
	reasm_segment(f.r, isn + 1, PKT_ACK, want, 16, 16, 3);
	CHECK(out_is(f.b, stream, 16));
	reasm_ctx_stats(f.ctx, &st);
	CHECK_INT(st.conflicts, 1);
	/* Buffered vs buffered: [24,32) first, then X's over [20,32). */
	seg(f.r, isn, 24, 8, 4);
	reasm_segment(f.r, isn + 1 + 20, PKT_ACK, x, 12, 12, 5);
	seg(f.r, isn, 16, 4, 6);
	memcpy(want, stream, 20);
	memset(want + 20, 'X', 4);
	memcpy(want + 24, stream + 24, 8);
	CHECK(out_is(f.b, want, 32));
	reasm_ctx_stats(f.ctx, &st);
	CHECK_INT(st.conflicts, 2);
	/* An identical retransmission is no conflict, just counted. */
	seg(f.r, isn, 0, 32, 7);
	reasm_ctx_stats(f.ctx, &st);
	CHECK_INT(st.conflicts, 2);
	CHECK(st.retrans_bytes >= 32);
	CHECK_INT(f.b->len, 32);
	fx_close(&f);
}

/* A stream whose sequence numbers cross 2^32, segments out of order. */
static void
test_wrap(void)
{
	struct fixture f;
	uint32_t isn = 0xffffffffU - 1000;

	fx_open(&f, 1 << 20, 1 << 20);
	reasm_segment(f.r, isn, PKT_SYN, NULL, 0, 0, 1);
	seg(f.r, isn, 1500, 2500, 2);	/* past the wrap */
	seg(f.r, isn, 990, 510, 3);	/* straddles it */
	seg(f.r, isn, 0, 995, 4);	/* overlaps the one above */
	CHECK(out_is(f.b, stream, STREAM_LEN));
	CHECK_INT(f.b->ngaps, 0);
	reasm_segment(f.r, isn + 1 + STREAM_LEN, PKT_FIN, NULL, 0, 0, 5);
	CHECK(reasm_finished(f.r));
	fx_close(&f);
}

/* Capture loss: the peer's ACK past a hole declares exactly that gap. */
static void
test_gap_by_ack(void)
{
	struct fixture f;
	uint8_t want[STREAM_LEN];
	uint32_t isn = 42;

	fx_open(&f, 1 << 20, 1 << 20);
	reasm_segment(f.r, isn, PKT_SYN, NULL, 0, 0, 1);
	seg(f.r, isn, 0, 1000, 2);
	seg(f.r, isn, 1500, 500, 3);	/* [1000,1500) lost */
	reasm_ack(f.r, isn + 1 + 1000, 4);	/* no news */
	CHECK_INT(f.b->len, 1000);
	reasm_ack(f.r, isn + 1 + 2000, 5);
	memcpy(want, stream, 2000);
	memset(want + 1000, '#', 500);
	CHECK(out_is(f.b, want, 2000));
	CHECK_INT(f.b->ngaps, 1);
	CHECK_INT(f.b->gap_bytes, 500);
	/* Nothing buffered: the gap runs to the ack; the late copy of the
	 * lost bytes is then old. */
	reasm_ack(f.r, isn + 1 + 2100, 6);
	seg(f.r, isn, 2000, 100, 7);
	seg(f.r, isn, 2100, 100, 8);
	memset(want + 2000, '#', 100);
	memcpy(want + 2100, stream + 2100, 100);
	CHECK(out_is(f.b, want, 2200));
	CHECK_INT(f.b->gap_bytes, 600);
	/* An ACK of the FIN is not a lost byte. */
	reasm_segment(f.r, isn + 1 + 2200, PKT_FIN, NULL, 0, 0, 9);
	reasm_ack(f.r, isn + 1 + 2201, 10);
	CHECK_INT(f.b->gap_bytes, 600);
	CHECK(reasm_finished(f.r));
	fx_close(&f);
}

/* FIN with a hole: flush declares it; a cut segment gaps its tail. */
static void
test_fin_hole_and_snaplen(void)
{
	struct fixture f;
	uint8_t want[STREAM_LEN];
	uint32_t isn = 9;

	fx_open(&f, 1 << 20, 1 << 20);
	reasm_segment(f.r, isn, PKT_SYN, NULL, 0, 0, 1);
	/* 300 bytes on the wire, 100 captured. */
	reasm_segment(f.r, isn + 1, PKT_ACK, stream, 100, 300, 2);
	seg(f.r, isn, 400, 100, 3);		/* [300,400) missing */
	reasm_segment(f.r, isn + 1 + 500, PKT_FIN, NULL, 0, 0, 4);
	CHECK(!reasm_finished(f.r));
	reasm_flush(f.r, 5);
	memcpy(want, stream, 500);
	memset(want + 100, '#', 300);
	CHECK(out_is(f.b, want, 500));
	CHECK_INT(f.b->ngaps, 2);
	CHECK(reasm_finished(f.r));
	fx_close(&f);
}

/* No SYN: start at the first data; older bytes are retransmissions. */
static void
test_midstream(void)
{
	struct fixture f;

	fx_open(&f, 1 << 20, 1 << 20);
	reasm_segment(f.r, 123456, PKT_ACK, NULL, 0, 0, 1);	/* bare ACK */
	reasm_segment(f.r, 200000, PKT_ACK | PKT_PSH, stream + 100, 50, 50,
	    2);
	reasm_segment(f.r, 199900, PKT_ACK, stream, 100, 100, 3);
	reasm_segment(f.r, 200050, PKT_ACK, stream + 150, 50, 50, 4);
	CHECK(out_is(f.b, stream + 100, 100));
	CHECK_INT(f.b->ngaps, 0);
	fx_close(&f);
}

/* The per-stream cap: past it, the oldest hole becomes a gap. */
static void
test_stream_cap(void)
{
	struct reasm_stats st;
	struct fixture f;
	uint8_t want[STREAM_LEN];
	uint32_t isn = 1;

	fx_open(&f, 1500, 1 << 20);
	reasm_segment(f.r, isn, PKT_SYN, NULL, 0, 0, 1);
	seg(f.r, isn, 0, 100, 2);
	seg(f.r, isn, 200, 1000, 3);	/* buffered, [100,200) missing */
	CHECK_INT(f.b->len, 100);
	seg(f.r, isn, 1300, 1000, 4);	/* over 1500: give up [100,200) */
	memcpy(want, stream, 1200);
	memset(want + 100, '#', 100);
	CHECK(out_is(f.b, want, 1200));
	CHECK(reasm_buffered(f.r) > 1000);	/* [1300,2300) waits */
	reasm_ctx_stats(f.ctx, &st);
	CHECK_INT(st.cap_stream, 1);
	/* A segment bigger than the cap cannot wait at all. */
	seg(f.r, isn, 2400, 1600, 5);
	memset(want + 1200, '#', 100);
	memcpy(want + 1300, stream + 1300, 1000);
	memset(want + 2300, '#', 100);
	memcpy(want + 2400, stream + 2400, 1600);
	CHECK(out_is(f.b, want, STREAM_LEN));
	CHECK_INT(reasm_buffered(f.r), 0);
	fx_close(&f);
}

/*
 * Regression: at the cap, a segment that lands before everything
 * buffered is delivered; only the hole before it is given up. (It used
 * to give up the hole up to the buffered head, dropping this segment's
 * bytes as retransmissions.)
 */
static void
test_stream_cap_before_head(void)
{
	struct fixture f;
	uint8_t want[2000];
	uint32_t isn = 77;

	fx_open(&f, 1500, 1 << 20);
	reasm_segment(f.r, isn, PKT_SYN, NULL, 0, 0, 1);
	seg(f.r, isn, 0, 100, 2);
	seg(f.r, isn, 1000, 1000, 3);	/* buffered: [100,1000) missing */
	seg(f.r, isn, 200, 700, 4);	/* no room: before the head */
	memcpy(want, stream, 900);
	memset(want + 100, '#', 100);
	CHECK(out_is(f.b, want, 900));
	CHECK(reasm_buffered(f.r) > 1000);	/* [1000,2000) still waits */
	reasm_flush(f.r, 5);
	memset(want + 900, '#', 100);
	memcpy(want + 1000, stream + 1000, 1000);
	CHECK(out_is(f.b, want, 2000));
	CHECK_INT(f.b->ngaps, 2);
	fx_close(&f);
}

/* The global cap across streams: one stream's backlog limits another. */
static void
test_memory_cap(void)
{
	struct reasm_stats st;
	struct fixture f;
	struct sink_buf *b2;
	struct reasm *r2;
	uint8_t want[STREAM_LEN];

	fx_open(&f, 1 << 20, 3000);
	b2 = calloc(1, sizeof(*b2));
	r2 = reasm_new(f.ctx, on_data, on_gap, b2);
	reasm_segment(f.r, 0, PKT_SYN, NULL, 0, 0, 1);
	reasm_segment(r2, 0, PKT_SYN, NULL, 0, 0, 1);
	seg(f.r, 0, 1000, 2000, 2);		/* 2000 buffered in r */
	seg(r2, 0, 1000, 1500, 3);		/* no room: r2 gaps */
	reasm_ctx_stats(f.ctx, &st);
	CHECK_INT(st.cap_memory, 1);
	memset(want, '#', 1000);
	memcpy(want + 1000, stream + 1000, 1500);
	CHECK(out_is(b2, want, 2500));
	CHECK_INT(f.b->len, 0);
	seg(f.r, 0, 0, 1000, 4);		/* fills r's hole */
	CHECK(out_is(f.b, stream, 3000));
	reasm_ctx_stats(f.ctx, &st);
	CHECK_INT(st.buffered, 0);
	reasm_free(r2);
	free(b2);
	fx_close(&f);
}

/* RST ends the stream; a hole older than the timeout is given up. */
static void
test_rst_and_hole_timeout(void)
{
	struct reasm_stats st;
	struct fixture f;
	uint8_t want[300];

	fx_open(&f, 1 << 20, 1 << 20);
	reasm_segment(f.r, 0, PKT_SYN, NULL, 0, 0, 1);
	seg(f.r, 0, 0, 100, 10);
	seg(f.r, 0, 200, 100, 20);
	reasm_tick(f.r, 20 + REASM_HOLE_TIMEOUT_US);
	CHECK_INT(f.b->len, 100);
	reasm_tick(f.r, 21 + REASM_HOLE_TIMEOUT_US);
	memcpy(want, stream, 300);
	memset(want + 100, '#', 100);
	CHECK(out_is(f.b, want, 300));
	reasm_ctx_stats(f.ctx, &st);
	CHECK_INT(st.hole_timeouts, 1);
	reasm_segment(f.r, 301, PKT_RST, NULL, 0, 0, 30);
	CHECK(reasm_finished(f.r));
	seg(f.r, 0, 300, 100, 31);
	CHECK_INT(f.b->len, 300);
	fx_close(&f);
}

/* Nonsense is counted and dropped, never buffered. */
static void
test_bogus(void)
{
	struct reasm_stats st;
	struct fixture f;

	fx_open(&f, 1 << 20, 1 << 20);
	reasm_segment(f.r, 0, PKT_SYN, NULL, 0, 0, 1);
	seg(f.r, 0, 0, 10, 2);
	reasm_segment(f.r, 1 + 10 + (1U << 30) + 1, PKT_ACK, stream, 10, 10,
	    3);
	reasm_segment(f.r, 11, PKT_ACK, stream, 10, REASM_MAX_SEGMENT + 1,
	    4);
	reasm_ack(f.r, 11 + (1U << 31), 5);	/* "behind": ignored */
	reasm_ctx_stats(f.ctx, &st);
	CHECK_INT(st.out_of_window, 1);
	CHECK_INT(st.bad_segments, 1);
	CHECK_INT(f.b->len, 10);
	CHECK_INT(reasm_buffered(f.r), 0);
	fx_close(&f);
}

static const struct test tests[] = {
	{ "in_order", test_in_order },
	{ "permutations", test_permutations },
	{ "overlap_conflict", test_overlap_conflict },
	{ "wrap", test_wrap },
	{ "gap_by_ack", test_gap_by_ack },
	{ "fin_hole_and_snaplen", test_fin_hole_and_snaplen },
	{ "midstream", test_midstream },
	{ "stream_cap", test_stream_cap },
	{ "stream_cap_before_head", test_stream_cap_before_head },
	{ "memory_cap", test_memory_cap },
	{ "rst_and_hole_timeout", test_rst_and_hole_timeout },
	{ "bogus", test_bogus },
};

HARNESS_MAIN(tests)
