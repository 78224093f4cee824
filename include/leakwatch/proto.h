/*
 * The agent <-> collector wire protocol (docs/protocol.md). A frame is a
 * 4-byte big-endian length, a 1-byte type and a payload of length-1 bytes.
 * This header is the whole contract; proto.c only encodes and decodes, it
 * does no I/O, so it is fuzzed and unit-tested on plain buffers.
 */
#ifndef LEAKWATCH_PROTO_H
#define LEAKWATCH_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION		1
#define PROTO_HDRLEN		5	/* length (4) + type (1) */
#define PROTO_MAX_FRAME		(1024 * 1024)	/* default payload cap */
#define PROTO_MIN_FRAME		1024		/* smallest configurable cap */
#define PROTO_HELLO_MAX		4096	/* a HELLO's payload, before auth */
#define PROTO_MAX_NAME		64	/* agent names */
#define PROTO_INSTANCE_LEN	32	/* hex characters of an instance id */

enum proto_type {
	PROTO_HELLO	= 1,	/* agent: JSON {proto, agent, instance, ...} */
	PROTO_WELCOME	= 2,	/* collector: JSON {proto, agent, acked} */
	PROTO_EVENT	= 3,	/* agent: u64 seq + event JSON */
	PROTO_ACK	= 4,	/* collector: u64 seq, cumulative */
	PROTO_STATUS	= 5,	/* agent: agent.status event JSON */
	PROTO_GAP	= 6,	/* agent: u64 first, u64 last lost seq */
	PROTO_ERROR	= 7	/* collector: reason text, then close */
};

struct proto_frame {
	enum proto_type	 type;
	const uint8_t	*payload;	/* points into the caller's buffer */
	size_t		 len;		/* payload length */
};

/*
 * Decodes the frame at the start of buf. Returns 1 with *frame and *used
 * filled, 0 if more bytes are needed, -1 with err set if the stream is not
 * leakwatch protocol or a frame is over maxlen.
 */
int	 proto_decode(const uint8_t *buf, size_t len, size_t maxlen,
	    struct proto_frame *frame, size_t *used, char *err, size_t errlen);

/* Writes the 5-byte header for a payload of len bytes. */
void	 proto_header(uint8_t hdr[PROTO_HDRLEN], enum proto_type, size_t len);

/*
 * Whether s is an agent name: 1 to PROTO_MAX_NAME bytes, each an ASCII
 * letter or digit or one of "-_.@" (docs/protocol.md, "Agent names").
 * 1 if it is, 0 if not.
 */
int	 proto_valid_agent_name(const char *s);

/* EVENT, ACK, GAP payload helpers. */
void	 proto_put_u64(uint8_t out[8], uint64_t);
uint64_t proto_get_u64(const uint8_t in[8]);
const char *proto_type_name(enum proto_type);

#endif
