/*
 * lwpcapcat: concatenates captures into one Ethernet pcap for the net
 * benchmark (tests/bench/net.sh).
 *
 *   lwpcapcat OUT.pcap REPEAT IN...
 *
 * Every input (pcap or pcapng) is read REPEAT times, in order, and its
 * Ethernet frames written as they are; raw-IP frames (lwflowgen's) get an
 * Ethernet header; other link types are skipped. Timestamps are rewritten
 * to rise by 1 us per frame so the result is one coherent capture.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

int
main(int argc, char **argv)
{
	static uint8_t buf[65536 + 14];
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h, oh;
	const u_char *data;
	pcap_dumper_t *d;
	pcap_t *dead, *in;
	uint64_t ts = 1700000000ULL * 1000000, n = 0;
	long rep, r;
	int i, dlt;

	if (argc < 4 || (rep = strtol(argv[2], NULL, 10)) < 1) {
		fprintf(stderr, "usage: lwpcapcat OUT.pcap REPEAT IN...\n");
		return 2;
	}
	if ((dead = pcap_open_dead(DLT_EN10MB, 65535)) == NULL ||
	    (d = pcap_dump_open(dead, argv[1])) == NULL) {
		fprintf(stderr, "lwpcapcat: cannot write %s\n", argv[1]);
		return 1;
	}
	for (r = 0; r < rep; r++) {
		for (i = 3; i < argc; i++) {
			if ((in = pcap_open_offline(argv[i], ebuf)) == NULL)
				continue;
			dlt = pcap_datalink(in);
			while (pcap_next_ex(in, &h, &data) == 1) {
				oh.ts.tv_sec = (time_t)(ts / 1000000);
				oh.ts.tv_usec = (suseconds_t)(ts % 1000000);
				ts++;
				if (dlt == DLT_EN10MB) {
					oh.caplen = h->caplen;
					oh.len = h->len;
					pcap_dump((u_char *)d, &oh, data);
				} else if (dlt == DLT_RAW &&
				    h->caplen <= sizeof(buf) - 14) {
					memset(buf, 0, 12);
					buf[12] = (data[0] >> 4) == 6 ? 0x86 : 0x08;
					buf[13] = (data[0] >> 4) == 6 ? 0xdd : 0x00;
					memcpy(buf + 14, data, h->caplen);
					oh.caplen = h->caplen + 14;
					oh.len = h->len + 14;
					pcap_dump((u_char *)d, &oh, buf);
				} else
					continue;
				n++;
			}
			pcap_close(in);
		}
	}
	pcap_dump_close(d);
	pcap_close(dead);
	fprintf(stderr, "lwpcapcat: %llu frames\n", (unsigned long long)n);
	return 0;
}
