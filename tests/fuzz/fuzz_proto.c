/*
 * libFuzzer target for the frame layer (lib/proto.c), the first code to
 * see the bytes of every connection. The input is read as a stream, the
 * way server.c and uplink.c read their buffers: decode a frame, step over
 * it, repeat until proto_decode() wants more bytes or refuses the stream.
 * Beyond "no crash, no overread" it checks the contract every caller
 * relies on: a frame lies wholly inside the bytes given (used <= len,
 * payload within the buffer, len == used - 5), its type is known, its
 * payload is within maxlen and at least the type's minimum, a refusal
 * always comes with a message, and "need more" is only said when the
 * header really asks for more than there is. Under gcc,
 * tests/fuzz/driver.c replays the corpus.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "leakwatch/proto.h"

#define MAXLEN	65536

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static size_t
min_payload(enum proto_type t)
{
	switch (t) {
	case PROTO_EVENT:
		return 10;
	case PROTO_ACK:
		return 8;
	case PROTO_GAP:
		return 16;
	case PROTO_ERROR:
		return 0;
	default:
		return 2;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_frame f;
	size_t off = 0, left, used, used2;
	uint32_t n;
	char err[256];
	volatile unsigned sum = 0;
	int rc;

	for (;;) {
		left = size - off;
		used = (size_t)-1;
		err[0] = '\0';
		rc = proto_decode(data + off, left, MAXLEN, &f, &used, err,
		    sizeof(err));
		if (rc == -1) {
			if (err[0] == '\0' || memchr(err, '\0', sizeof(err)) ==
			    NULL || used != (size_t)-1)
				abort();
			break;
		}
		if (rc == 0) {
			/* Only a header that asks for more than there is. */
			if (used != (size_t)-1)
				abort();
			if (left >= PROTO_HDRLEN) {
				n = (uint32_t)data[off] << 24 |
				    (uint32_t)data[off + 1] << 16 |
				    (uint32_t)data[off + 2] << 8 |
				    data[off + 3];
				if ((uint64_t)n + 4 <= left)
					abort();
			}
			break;
		}
		if (rc != 1)
			abort();
		if (used > left || used < PROTO_HDRLEN ||
		    f.len != used - PROTO_HDRLEN)
			abort();
		if (f.payload != data + off + PROTO_HDRLEN ||
		    f.payload + f.len > data + size)
			abort();
		if ((int)f.type < PROTO_HELLO || f.type > PROTO_ERROR ||
		    f.len > MAXLEN || f.len < min_payload(f.type))
			abort();
		if (data[off + 4] != (uint8_t)f.type)
			abort();
		if (f.len > 0)	/* ASan checks every payload byte is ours */
			sum += f.payload[0] + f.payload[f.len - 1];

		/* One byte short is "need more", and so is the header alone. */
		if (proto_decode(data + off, used - 1, MAXLEN, &f, &used2, err,
		    sizeof(err)) != 0)
			abort();
		if (used > PROTO_HDRLEN && proto_decode(data + off,
		    PROTO_HDRLEN, MAXLEN, &f, &used2, err, sizeof(err)) != 0)
			abort();
		off += used;
	}
	(void)sum;
	return 0;
}
