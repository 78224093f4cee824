/*
 * libFuzzer target for the net source's DNS answer cache
 * (agent/dnscache.c). The input is a series of messages, each a 2-byte
 * length, a 1-byte time step (seconds, so answers also expire) and the
 * message, fed to a cache of 8 names; after each one a few names are
 * looked up, among them one cut from the input's own bytes. Invariants:
 * the cache never holds more names than its cap, and every message is
 * counted once at most (an answer, or malformed, or neither for a query).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../agent/agent.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const names[] = {
	"a", "example.com", "www.example.com", "update.microsoft.com", NULL
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dnscache_stats st;
	struct dnscache *c;
	int64_t ts = 1700000000000000LL;
	uint8_t addr[16], *b;
	char own[65];
	size_t off = 0, n, i, msgs = 0;

	c = dnscache_new(8);
	memset(addr, 0, sizeof(addr));
	while (off + 3 <= size) {
		n = (size_t)data[off] << 8 | data[off + 1];
		ts += (int64_t)data[off + 2] * 1000000;
		off += 3;
		if (n > size - off)
			n = size - off;
		/* An exactly-sized copy so ASan sees any over-read. */
		if ((b = malloc(n ? n : 1)) == NULL)
			break;
		memcpy(b, data + off, n);
		dnscache_feed(c, b, n, ts);
		free(b);
		msgs++;
		if (n >= 4)
			memcpy(addr, data + off + n - 4, 4);
		for (i = 0; names[i] != NULL; i++) {
			(void)dnscache_check(c, names[i], 4, addr, ts);
			(void)dnscache_check(c, names[i], 6, addr, ts);
		}
		i = n < sizeof(own) - 1 ? n : sizeof(own) - 1;
		memcpy(own, data + off, i);
		own[i] = '\0';
		(void)dnscache_check(c, own, 4, addr, ts);
		off += n;
	}
	dnscache_stats(c, &st);
	if (st.names > 8 || st.answers + st.malformed > msgs)
		abort();
	dnscache_free(c);
	return 0;
}
