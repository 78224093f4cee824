/*
 * libFuzzer target for agent/decode-pkt.c, the first code to touch every
 * captured byte. The first input byte picks the link type, the rest is
 * the frame. Beyond "no crash, no out-of-bounds read" it checks the
 * invariants the flow table relies on: a decoded packet's L3 and payload
 * lie inside the frame and the IP length bounds the captured L3 bytes.
 */
#include <pcap/dlt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../agent/agent.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const int dlts[] = {
	DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_NULL, DLT_LOOP,
	DLT_RAW, DLT_IPV4, DLT_IPV6, DLT_PPP, DLT_PPP_SERIAL, DLT_C_HDLC
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt p;
	uint8_t *b;
	size_t n;
	int dlt;

	if (size < 1)
		return 0;
	dlt = dlts[data[0] % (sizeof(dlts) / sizeof(dlts[0]))];
	n = size - 1;
	/* An exactly-sized copy so ASan sees any over-read. */
	if ((b = malloc(n ? n : 1)) == NULL)
		return 0;
	memcpy(b, data + 1, n);
	if (pkt_decode(dlt, b, n, n + (data[0] >> 4), &p) == PKT_OK) {
		if (p.l3 == NULL || p.l3 < b || p.l3 + p.l3_len > b + n)
			abort();
		if (p.l3_len > p.ip_len)
			abort();
		if (p.payload != NULL &&
		    (p.payload < p.l3 || p.payload + p.payload_len >
		    p.l3 + p.l3_len))
			abort();
		if (p.payload_len > p.payload_wire)
			abort();
		if (p.ipver != 4 && p.ipver != 6)
			abort();
		if (p.nvlan < 0 || p.nvlan > PKT_MAX_VLAN)
			abort();
	}
	free(b);
	return 0;
}
