/*
 * lwflowgen: writes a synthetic capture of many distinct flows, for the
 * flow-table cap test and the benchmark.
 *
 *   lwflowgen OUT.pcap NFLOWS [PKTS_PER_FLOW]
 *
 * Flow i is UDP from 10.(i>>16).(i>>8).(i) port 1024+(i%50000) to
 * 198.51.100.1 port 53 or 443 (raw IPv4 link type, 32 payload bytes per
 * packet, one microsecond apart), so every flow is new to the table and
 * the file is as small as a capture of N flows can be.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

int
main(int argc, char **argv)
{
	struct pcap_pkthdr h;
	pcap_dumper_t *d;
	pcap_t *dead;
	uint8_t b[60];
	unsigned long n, per, i, k;
	uint64_t ts;
	char *end;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: lwflowgen OUT.pcap NFLOWS "
		    "[PKTS_PER_FLOW]\n");
		return 2;
	}
	n = strtoul(argv[2], &end, 10);
	if (*end != '\0' || n == 0 || n > (1UL << 24)) {
		fprintf(stderr, "lwflowgen: bad NFLOWS\n");
		return 2;
	}
	per = argc == 4 ? strtoul(argv[3], &end, 10) : 1;
	if (per == 0 || per > 1000) {
		fprintf(stderr, "lwflowgen: bad PKTS_PER_FLOW\n");
		return 2;
	}
	if ((dead = pcap_open_dead(DLT_RAW, 65535)) == NULL)
		return 1;
	if ((d = pcap_dump_open(dead, argv[1])) == NULL) {
		fprintf(stderr, "lwflowgen: cannot write %s\n", argv[1]);
		pcap_close(dead);
		return 1;
	}
	memset(b, 0, sizeof(b));
	ts = 1700000000ULL * 1000000;
	for (k = 0; k < per; k++) {
		for (i = 0; i < n; i++) {
			b[0] = 0x45;
			b[2] = 0;
			b[3] = 60;		/* 20 + 8 + 32 */
			b[8] = 64;
			b[9] = 17;
			b[12] = 10;
			b[13] = (uint8_t)(i >> 16);
			b[14] = (uint8_t)(i >> 8);
			b[15] = (uint8_t)i;
			b[16] = 198;
			b[17] = 51;
			b[18] = 100;
			b[19] = 1;
			b[20] = (uint8_t)((1024 + i % 50000) >> 8);
			b[21] = (uint8_t)(1024 + i % 50000);
			b[22] = 0x01;		/* 443 or 53 */
			b[23] = (i & 1) ? 0xbb : 0x35;
			if (!(i & 1))
				b[22] = 0;
			b[24] = 0;
			b[25] = 40;
			h.ts.tv_sec = (time_t)(ts / 1000000);
			h.ts.tv_usec = (suseconds_t)(ts % 1000000);
			h.caplen = h.len = 60;
			pcap_dump((u_char *)d, &h, b);
			ts++;
		}
	}
	pcap_dump_close(d);
	pcap_close(dead);
	return 0;
}
