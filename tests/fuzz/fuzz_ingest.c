/*
 * libFuzzer target for the collector's per-frame rules: the input is a
 * stream of frames as an agent would send after TLS, split by
 * proto_decode() and handed to ingest_hello/event/status/gap exactly as
 * server.c does, against a real store in a temporary directory. Whatever
 * the bytes, nothing may crash, leak, or store an event before a HELLO.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../collector/collector.h"
#include "leakwatch/proto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* One store per process, removed at exit. */
static struct {
	struct store	*s;
	char		 dir[64];
	char		 path[128];
} fz;

static void
fuzz_cleanup(void)
{
	char p[160];

	store_close(fz.s);
	unlink(fz.path);
	snprintf(p, sizeof(p), "%s-wal", fz.path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", fz.path);
	unlink(p);
	rmdir(fz.dir);
}

static struct store *
fuzz_store(void)
{
	char err[256];

	if (fz.s != NULL)
		return fz.s;
	snprintf(fz.dir, sizeof(fz.dir), "/tmp/lwfuzz-ingest.XXXXXX");
	if (mkdtemp(fz.dir) == NULL)
		abort();
	snprintf(fz.path, sizeof(fz.path), "%s/f.db", fz.dir);
	if ((fz.s = store_open(fz.path, 0, err, sizeof(err))) == NULL)
		abort();
	atexit(fuzz_cleanup);
	return fz.s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ingest_ctx ctx;
	struct ingest_peer peer;
	struct proto_frame f;
	struct store_stats before, after;
	size_t used, off = 0;
	char err[256], reply[512];
	enum ingest_result rc = INGEST_OK;

	memset(&ctx, 0, sizeof(ctx));
	memset(&peer, 0, sizeof(peer));
	ctx.store = fuzz_store();
	ctx.insecure = 1;
	ctx.clock_skew = 30000;
	snprintf(peer.addr, sizeof(peer.addr), "fuzz");
	store_stats(ctx.store, &before);
	while (rc == INGEST_OK && off < size && proto_decode(data + off,
	    size - off, 65536, &f, &used, err, sizeof(err)) == 1) {
		switch (f.type) {
		case PROTO_HELLO:
			rc = ingest_hello(&ctx, &peer, f.payload, f.len, reply,
			    sizeof(reply), err, sizeof(err));
			break;
		case PROTO_EVENT:
			rc = ingest_event(&ctx, &peer, f.payload, f.len, err,
			    sizeof(err));
			break;
		case PROTO_STATUS:
			rc = ingest_status(&ctx, &peer, f.payload, f.len, err,
			    sizeof(err));
			break;
		case PROTO_GAP:
			rc = ingest_gap(&ctx, &peer, f.payload, f.len, err,
			    sizeof(err));
			break;
		default:
			rc = INGEST_CLOSE;
		}
		off += used;
		store_stats(ctx.store, &after);
		if (!peer.authenticated && after.events != before.events)
			abort();	/* stored before authentication */
	}
	store_commit(ctx.store);
	return 0;
}
