/*
 * libFuzzer target for the TCP reassembler (agent/reasm.c). The input is
 * a script of segment, ACK, FIN, RST, SYN, timer and flush operations on
 * two streams of one context with small caps (one stream opened by a SYN,
 * one picked up mid-stream), starting from an initial sequence number the
 * input chooses, so wrap-around is reached. Segment bytes are a function
 * of their stream position, so beyond "no crash, no leak" the target
 * checks that every delivered byte is the byte at that position (unless
 * the script sent conflicting copies), that nothing is delivered past
 * what was sent, and that all buffered memory is released. Under gcc,
 * tests/fuzz/driver.c replays the corpus.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../agent/agent.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define OP_LEN		6
#define MAX_OFF		70000

struct fstream {
	struct reasm	*r;
	uint32_t	 base;		/* sequence number of position 0 */
	int		 synced;	/* mirrors the reassembler's rule */
	uint64_t	 pos;		/* next position delivered */
	uint64_t	 sent_end;	/* highest position + 1 ever sent */
	int		 corrupt;	/* conflicting copies were sent */
};

static uint8_t
byte_at(uint64_t pos)
{
	return (uint8_t)(pos * 131 + (pos >> 8));
}

static void
on_data(void *arg, const uint8_t *p, size_t n, int64_t ts)
{
	struct fstream *s = arg;
	size_t i;

	(void)ts;
	for (i = 0; i < n; i++)
		if (!s->corrupt && p[i] != byte_at(s->pos + i))
			abort();
	s->pos += n;
	if (s->pos > s->sent_end)
		abort();
}

static void
on_gap(void *arg, size_t n, int64_t ts)
{
	struct fstream *s = arg;

	(void)ts;
	if (n == 0)
		abort();
	s->pos += n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[2048];
	struct reasm_ctx *ctx;
	struct reasm_stats st;
	struct fstream s[2];
	uint32_t isn, off, len, cap, ack_end;
	int64_t ts = 1;
	size_t i, k;
	uint8_t op, misc;
	struct fstream *f;

	if (size < 4)
		return 0;
	isn = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 |
	    (uint32_t)data[2] << 8 | data[3];
	data += 4;
	size -= 4;
	if ((ctx = reasm_ctx_new(4096, 6144)) == NULL)
		abort();
	memset(s, 0, sizeof(s));
	for (k = 0; k < 2; k++) {
		s[k].base = isn + 1 + (uint32_t)k * 0x10000000U;
		if ((s[k].r = reasm_new(ctx, on_data, on_gap, &s[k])) == NULL)
			abort();
	}
	/* Stream 0 opens with a SYN; stream 1 is picked up mid-stream. */
	reasm_segment(s[0].r, s[0].base - 1, PKT_SYN, NULL, 0, 0, ts);
	s[0].synced = 1;

	for (; size >= OP_LEN; data += OP_LEN, size -= OP_LEN) {
		op = data[0];
		f = &s[op & 1];
		off = ((uint32_t)data[1] << 8 | data[2]) * 2 % MAX_OFF;
		len = ((uint32_t)data[3] << 8 | data[4]) % sizeof(buf);
		misc = data[5];
		ts += misc & 0x0f;
		switch ((op >> 1) % 8) {
		case 0:
		case 1:
		case 2:
			/* A segment [off, off + len), maybe cut, maybe not
			 * the stream's bytes. */
			cap = misc & 0x40 ? len / 2 : len;
			for (i = 0; i < len; i++)
				buf[i] = byte_at(off + i);
			if ((misc & 0x80) && len > 0) {
				buf[0] ^= 0xff;
				f->corrupt = 1;
			}
			if (len > 0 && !f->synced) {
				/* Mid-stream pickup starts here: positions
				 * count from this segment on. */
				f->synced = 1;
				f->base += off;
				off = 0;
				for (i = 0; i < len; i++)
					buf[i] = byte_at(i);
				if (misc & 0x80)
					buf[0] ^= 0xff;
			}
			if (f->synced && off + len > f->sent_end)
				f->sent_end = off + len;
			reasm_segment(f->r, f->base + off, PKT_ACK, buf, cap,
			    len, ts);
			break;
		case 3:
			/* The peer acknowledges: nothing past it may have
			 * been sent yet, so delivery must not run ahead. */
			ack_end = off;
			if (f->synced && ack_end > f->sent_end)
				f->sent_end = ack_end;
			reasm_ack(f->r, f->base + ack_end, ts);
			break;
		case 4:
			if (f->synced) {
				if (off > f->sent_end)
					f->sent_end = off;
				reasm_segment(f->r, f->base + off, PKT_FIN |
				    PKT_ACK, NULL, 0, 0, ts);
			}
			break;
		case 5:
			if (misc & 0x20)
				reasm_segment(f->r, f->base + off, PKT_RST,
				    NULL, 0, 0, ts);
			else {
				reasm_segment(f->r, f->base - 1, PKT_SYN, NULL,
				    0, 0, ts);
				f->synced = 1;
			}
			break;
		case 6:
			ts += (int64_t)misc * 100000;
			reasm_tick(f->r, ts);
			break;
		default:
			reasm_flush(f->r, ts);
			break;
		}
		if (f->pos > f->sent_end)
			abort();
	}
	for (k = 0; k < 2; k++) {
		reasm_flush(s[k].r, ts);
		if (reasm_buffered(s[k].r) != 0)
			abort();
		reasm_free(s[k].r);
	}
	reasm_ctx_stats(ctx, &st);
	if (st.buffered != 0)
		abort();
	reasm_ctx_free(ctx);
	return 0;
}
