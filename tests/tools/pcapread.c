/*
 * The ceiling for the database decoding benchmark (tests/bench/db.sh): a
 * bare libpcap read loop over a capture file - pcap_next_ex() and a sum of
 * the captured bytes, nothing else - so the agent's decoding rate can be
 * shown next to the rate at which the same machine can merely read the
 * same file in the same run.
 *
 *   pcapread FILE   prints "PACKETS BYTES SECONDS"
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <pcap/pcap.h>

int
main(int argc, char **argv)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct timespec t0, t1;
	uint64_t packets = 0, bytes = 0, sum = 0;
	pcap_t *p;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: pcapread file.pcap\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((p = pcap_open_offline(argv[1], ebuf)) == NULL) {
		fprintf(stderr, "pcapread: %s\n", ebuf);
		return 1;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		packets++;
		bytes += h->caplen;
		/* Touch the packet like a decoder would touch its headers. */
		if (h->caplen > 0)
			sum += data[h->caplen - 1];
	}
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "pcapread: %s\n", pcap_geterr(p));
		pcap_close(p);
		return 1;
	}
	pcap_close(p);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%llu %llu %.3f\n", (unsigned long long)packets,
	    (unsigned long long)bytes, (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9 + (double)(sum & 0) );
	return 0;
}
