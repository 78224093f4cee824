/*
 * MySQL 8 query attributes: the block a COM_QUERY carries before its
 * text when client and server negotiated CLIENT_QUERY_ATTRIBUTES
 * (`mysql --query-attributes`, connectors that tag their queries, and
 * every COM_QUERY of libmysqlclient 8 against MySQL 8, which sends an
 * empty block). The layout, from the MySQL protocol documentation
 * (COM_QUERY) and read the way the server's parser reads it:
 *
 *   int<lenenc>     parameter_count
 *   int<lenenc>     parameter_set_count    must be 1
 *   if parameter_count > 0:
 *     binary        null_bitmap            (count + 7) / 8 bytes, bit i
 *                                          of byte i / 8: parameter i
 *     int<1>        new_params_bind_flag   must not be 0
 *     per parameter:
 *       int<2>      type                   0x8000 is the unsigned flag
 *       string<lenenc> name
 *     per parameter not NULL, its value as COM_STMT_EXECUTE sends one:
 *       TINY 1 byte, SHORT 2, LONG and FLOAT 4, LONGLONG and DOUBLE 8,
 *       every other type (strings, DECIMAL, DATE, TIME, DATETIME,
 *       TIMESTAMP, YEAR, JSON, ...) a length-encoded length and that
 *       many bytes
 *   string<EOF>     the query
 *
 * The reader is fed the packet's payload after the command byte as it
 * streams past, in pieces of any size, and keeps neither names nor
 * values: it counts its way over them (a length is all it reads of
 * one), so no attribute value can reach an event and a large one costs
 * no memory. Of each attribute it keeps the NULL bit and the size of
 * its value, for at most MYQA_MAX attributes. A block with more, one
 * the server would refuse (a set count other than 1, a bind flag of 0,
 * a length byte of 0xff) or one that runs past its packet ends in
 * MYQA_BAD with a reason; the caller then reports the query without
 * its text. Where the server is lenient the reader is too (a bind flag
 * other than 1, 0xfb read as the length 251, the low 32 bits of an
 * 8-byte value length, a 32-bit count), so that no client can make
 * the agent read another text than the one the server runs.
 *
 * A session picked up mid-stream has no handshake to say whether the
 * block is there: in probe mode a first byte that SQL text can start
 * with (a printable character or white space) means no block (MYQA_NONE).
 */
#include <stdint.h>
#include <string.h>

#include "agent.h"

#define NULL_LENGTH	UINT64_MAX	/* 0xfb as a count: "NULL" */

/* The two ways the server reads a length-encoded integer. */
enum lenenc_kind {
	LE_COUNT,	/* counts and names: 0xfb is NULL, 0xff 8 bytes */
	LE_VALUE	/* a value's length: 0xfb is 251, 0xff refused */
};

static void
bad(struct myqa *q, const char *why)
{
	q->state = MYQA_BAD;
	q->err = why;
}

void
myqa_start(struct myqa *q, int probe)
{
	memset(q, 0, sizeof(*q));
	q->state = MYQA_COUNT;
	q->probe = probe;
}

void
myqa_fail(struct myqa *q, const char *why)
{
	if (q->state != MYQA_DONE && q->state != MYQA_NONE &&
	    q->state != MYQA_BAD)
		bad(q, why);
}

/*
 * One byte of a length-encoded integer. Returns 1 with *v when it is
 * complete, 0 while bytes are missing, -1 when the server would refuse
 * it.
 */
static int
lenenc_byte(struct myqa *q, uint8_t b, enum lenenc_kind kind, uint64_t *v)
{
	uint64_t x = 0;
	int i;

	if (q->lhave == 0) {
		if (b < 0xfb || (b == 0xfb && kind == LE_VALUE)) {
			*v = b;
			return 1;
		}
		if (b == 0xfb) {
			*v = NULL_LENGTH;
			return 1;
		}
		if (b == 0xff && kind == LE_VALUE)
			return -1;
		q->lneed = b == 0xfc ? 2 : b == 0xfd ? 3 : 8;
		q->lfirst = b;
		q->lhave = 1;
		return 0;
	}
	q->lb[q->lhave++ - 1] = b;
	if (q->lhave - 1 < q->lneed)
		return 0;
	for (i = 0; i < q->lneed; i++)
		x |= (uint64_t)q->lb[i] << (8 * i);
	q->lhave = 0;
	if (kind == LE_VALUE && q->lfirst == 0xfe)
		x &= 0xffffffffU;	/* the server reads 4 of the 8 */
	*v = x;
	return 1;
}

/* The bytes of a value of this type that are not a length: 0 for one
 * with a length-encoded length. */
static uint8_t
value_size(unsigned type)
{
	switch (type) {
	case 0x01:			/* TINY */
		return 1;
	case 0x02:			/* SHORT */
		return 2;
	case 0x03:			/* LONG */
	case 0x04:			/* FLOAT */
		return 4;
	case 0x05:			/* DOUBLE */
	case 0x08:			/* LONGLONG */
		return 8;
	default:
		return 0;
	}
}

static int
is_null(const struct myqa *q, uint64_t i)
{
	return (q->nulls[i / 8] >> (i % 8)) & 1;
}

/* The next value not NULL, or the end of the block. */
static void
next_value(struct myqa *q)
{
	while (q->i < q->count && is_null(q, q->i))
		q->i++;
	if (q->i == q->count) {
		q->state = MYQA_DONE;
		return;
	}
	q->values++;
	if (q->size[q->i] > 0) {
		q->skip = q->size[q->i];
		q->state = MYQA_SKIP;
	} else
		q->state = MYQA_VALUE;
}

/* A name or value was skipped. */
static void
skipped(struct myqa *q)
{
	q->i++;
	if (!q->in_values) {
		if (q->i < q->count) {
			q->state = MYQA_TYPE;
			return;
		}
		q->i = 0;
		q->in_values = 1;
	}
	next_value(q);
}

static void
got_length(struct myqa *q, uint64_t v)
{
	if (v == 0) {
		skipped(q);
		return;
	}
	q->skip = v;
	q->state = MYQA_SKIP;
}

/* One byte of the block in any state but MYQA_SKIP. */
static void
step(struct myqa *q, uint8_t b)
{
	uint64_t v;
	int r;

	switch (q->state) {
	case MYQA_COUNT:
		if (q->probe && q->lhave == 0 && (b >= 0x20 || b == '\t' ||
		    b == '\n' || b == '\r')) {
			q->state = MYQA_NONE;
			return;
		}
		if (lenenc_byte(q, b, LE_COUNT, &v) == 1) {
			/* The server reads it into 32 bits. */
			q->count = (uint32_t)v;
			q->state = MYQA_SETS;
		}
		return;
	case MYQA_SETS:
		if (lenenc_byte(q, b, LE_COUNT, &v) == 0)
			return;
		if ((uint32_t)v != 1)
			bad(q, "parameter_set_count is not 1 (the server "
			    "refuses the packet)");
		else if (q->count == 0)
			q->state = MYQA_DONE;
		else if (q->count > MYQA_MAX)
			bad(q, "more query attributes than the 1024 read");
		else
			q->state = MYQA_NULLS;
		return;
	case MYQA_NULLS:
		q->nulls[q->have++] = b;
		if (q->have == (q->count + 7) / 8)
			q->state = MYQA_BIND;
		return;
	case MYQA_BIND:
		if (b == 0) {
			bad(q, "new_params_bind_flag is 0 (the server refuses "
			    "the packet)");
			return;
		}
		q->i = 0;
		q->have = 0;
		q->state = MYQA_TYPE;
		return;
	case MYQA_TYPE:
		q->type[q->have++] = b;
		if (q->have < 2)
			return;
		q->have = 0;
		/* The server drops the unsigned flag and reads the rest
		 * as the type: an unknown one is length-encoded. */
		q->size[q->i] = value_size((q->type[0] |
		    (unsigned)q->type[1] << 8) & 0x7fff);
		q->state = MYQA_NAME;
		return;
	case MYQA_NAME:
		if (lenenc_byte(q, b, LE_COUNT, &v) == 0)
			return;
		if (v == NULL_LENGTH)
			bad(q, "an attribute name's length is NULL");
		else
			got_length(q, v);
		return;
	case MYQA_VALUE:
		if ((r = lenenc_byte(q, b, LE_VALUE, &v)) == 0)
			return;
		if (r < 0)
			bad(q, "an attribute value's length starts with 0xff");
		else
			got_length(q, v);
		return;
	default:
		return;
	}
}

/*
 * Reads the block from p[0..n). Returns the bytes that belong to it:
 * fewer than n once it ends (MYQA_DONE: the text follows; MYQA_NONE:
 * there was no block) or fails (MYQA_BAD).
 */
size_t
myqa_feed(struct myqa *q, const uint8_t *p, size_t n)
{
	size_t o = 0, k;

	while (o < n) {
		switch (q->state) {
		case MYQA_DONE:
		case MYQA_NONE:
		case MYQA_BAD:
			return o;
		case MYQA_SKIP:
			k = n - o;
			if (k > q->skip)
				k = (size_t)q->skip;
			q->skip -= k;
			o += k;
			if (q->skip == 0)
				skipped(q);
			break;
		default:
			step(q, p[o]);
			if (q->state != MYQA_NONE)
				o++;
			break;
		}
	}
	return o;
}

/*
 * The packet ended. 0 when its block was whole (or absent), else -1 and
 * the block is MYQA_BAD with the reason.
 */
int
myqa_end(struct myqa *q)
{
	if (q->state == MYQA_DONE || q->state == MYQA_NONE)
		return 0;
	if (q->probe && q->state == MYQA_COUNT && q->lhave == 0) {
		q->state = MYQA_NONE;	/* an empty query, no block */
		return 0;
	}
	if (q->state != MYQA_BAD)
		bad(q, "the query attributes run past the end of the packet");
	return -1;
}
