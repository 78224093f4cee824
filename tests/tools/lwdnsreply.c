/*
 * lwdnsreply: sends one DNS response, as a resolver would, so that a
 * capture holds the answer a test needs (tests/integration/netflow.sh).
 *
 *   lwdnsreply FROM TO PORT NAME ADDR
 *
 * One UDP datagram from FROM port 53 to TO:PORT: the answer to "A? NAME"
 * with the single A record ADDR, TTL 300. Nobody asked for it, and
 * nobody needs to: the agent reads answers, not queries. Binding port 53
 * needs root (or CAP_NET_BIND_SERVICE).
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* name as DNS labels at b; returns the length, 0 if it does not fit. */
static size_t
labels(uint8_t *b, size_t room, const char *name)
{
	const char *dot;
	size_t n, p = 0;

	while (*name != '\0') {
		dot = strchr(name, '.');
		n = dot != NULL ? (size_t)(dot - name) : strlen(name);
		if (n == 0 || n > 63 || p + n + 2 > room)
			return 0;
		b[p++] = (uint8_t)n;
		memcpy(b + p, name, n);
		p += n;
		name += n + (dot != NULL);
	}
	b[p++] = 0;
	return p;
}

int
main(int argc, char **argv)
{
	static const uint8_t hdr[] = {
		0x4c, 0x57, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0
	};
	static const uint8_t qtail[] = { 0, 1, 0, 1 };
	static const uint8_t rr[] = {
		0xc0, 12, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4
	};
	struct sockaddr_in from, to;
	uint8_t m[512];
	size_t p, n;
	long port;
	char *end;
	int s, one = 1;

	if (argc != 6) {
		fprintf(stderr, "usage: lwdnsreply FROM TO PORT NAME ADDR\n");
		return 2;
	}
	memset(&from, 0, sizeof(from));
	memset(&to, 0, sizeof(to));
	from.sin_family = to.sin_family = AF_INET;
	from.sin_port = htons(53);
	port = strtol(argv[3], &end, 10);
	if (*end != '\0' || port < 1 || port > 65535 ||
	    inet_pton(AF_INET, argv[1], &from.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[2], &to.sin_addr) != 1) {
		fprintf(stderr, "lwdnsreply: bad address or port\n");
		return 2;
	}
	to.sin_port = htons((uint16_t)port);
	memcpy(m, hdr, sizeof(hdr));
	p = sizeof(hdr);
	if ((n = labels(m + p, sizeof(m) - p - 32, argv[4])) == 0) {
		fprintf(stderr, "lwdnsreply: bad name\n");
		return 2;
	}
	p += n;
	memcpy(m + p, qtail, sizeof(qtail));
	p += sizeof(qtail);
	memcpy(m + p, rr, sizeof(rr));
	p += sizeof(rr);
	if (inet_pton(AF_INET, argv[5], m + p) != 1) {
		fprintf(stderr, "lwdnsreply: bad answer address\n");
		return 2;
	}
	p += 4;
	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(s, (struct sockaddr *)&from, sizeof(from)) == -1 ||
	    sendto(s, m, p, 0, (struct sockaddr *)&to, sizeof(to)) !=
	    (ssize_t)p) {
		perror("lwdnsreply");
		return 1;
	}
	close(s);
	return 0;
}
