/*
 * Frame encoding and decoding for the agent <-> collector protocol
 * (docs/protocol.md). No I/O and no allocation: callers hand in the bytes
 * they have and get back a view of one frame, or "need more", or a reason
 * the stream is not ours. The first check rejects a stream that cannot be
 * leakwatch (TLS records sent to a plaintext port, HTTP, random bytes)
 * before a bogus length can make the caller wait for megabytes.
 */
#include <stdio.h>
#include <string.h>

#include "leakwatch/proto.h"

static const char *const type_names[] = {
	NULL, "HELLO", "WELCOME", "EVENT", "ACK", "STATUS", "GAP", "ERROR"
};

/*
 * The one rule for agent names, wherever a name comes from (HELLO, a
 * certificate's CN, the secrets file, leakwatch-ctl). ASCII ranges, not
 * isalnum(), so the verdict cannot depend on the process's locale. A
 * name is written into log lines, the store and file names unescaped,
 * so no space, quote, slash, colon or control byte may be in it.
 */
int
proto_valid_agent_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > PROTO_MAX_NAME)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    strchr("-_.@", s[i]) != NULL))
			return 0;
	return 1;
}

const char *
proto_type_name(enum proto_type t)
{
	if ((int)t < PROTO_HELLO || t > PROTO_ERROR)
		return "UNKNOWN";
	return type_names[t];
}

void
proto_put_u64(uint8_t out[8], uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		out[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

uint64_t
proto_get_u64(const uint8_t in[8])
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | in[i];
	return v;
}

void
proto_header(uint8_t hdr[PROTO_HDRLEN], enum proto_type type, size_t len)
{
	uint32_t n = (uint32_t)len + 1;

	hdr[0] = (uint8_t)(n >> 24);
	hdr[1] = (uint8_t)(n >> 16);
	hdr[2] = (uint8_t)(n >> 8);
	hdr[3] = (uint8_t)n;
	hdr[4] = (uint8_t)type;
}

/* Minimum payload length of each type, so handlers never read short. */
static size_t
min_payload(enum proto_type t)
{
	switch (t) {
	case PROTO_EVENT:
		return 8 + 2;		/* seq and at least "{}" */
	case PROTO_ACK:
		return 8;
	case PROTO_GAP:
		return 16;
	case PROTO_HELLO:
	case PROTO_WELCOME:
	case PROTO_STATUS:
		return 2;
	default:
		return 0;
	}
}

int
proto_decode(const uint8_t *buf, size_t len, size_t maxlen,
    struct proto_frame *frame, size_t *used, char *err, size_t errlen)
{
	uint32_t n;
	enum proto_type t;

	if (len < PROTO_HDRLEN)
		return 0;
	n = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
	    (uint32_t)buf[2] << 8 | buf[3];
	t = (enum proto_type)buf[4];
	if ((int)t < PROTO_HELLO || t > PROTO_ERROR) {
		snprintf(err, errlen, "unknown frame type %u", buf[4]);
		return -1;
	}
	if (n == 0) {
		snprintf(err, errlen, "%s frame with a zero length",
		    proto_type_name(t));
		return -1;
	}
	if ((size_t)n - 1 > maxlen) {
		snprintf(err, errlen, "%s frame of %u bytes over the %zu-byte "
		    "limit", proto_type_name(t), n - 1, maxlen);
		return -1;
	}
	if ((size_t)n - 1 < min_payload(t)) {
		snprintf(err, errlen, "%s frame of %u bytes is too short",
		    proto_type_name(t), n - 1);
		return -1;
	}
	if (len - 4 < n)
		return 0;
	frame->type = t;
	frame->payload = buf + PROTO_HDRLEN;
	frame->len = n - 1;
	*used = 4 + (size_t)n;
	return 1;
}
