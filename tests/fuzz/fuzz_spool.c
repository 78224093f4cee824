/*
 * libFuzzer target for the spool's crash recovery (agent/spool.c): files on
 * disk are input too. The bytes become a segment file in a scratch spool,
 * which is opened, read to the end, appended to and closed - twice: once
 * as the only (active) segment, where a bad tail is truncated, and once as
 * an older segment before an empty active one, where damage is skipped.
 * Beyond "no crash, no hang, no leak" it checks that damaged files never
 * stop the spool from opening, that the reader never goes backwards or
 * past next_seq, and that a new append gets a seq never seen before and
 * reads back intact. Under gcc, tests/fuzz/driver.c replays the corpus.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../agent/agent.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	 dir[256];

/* Empties the scratch directory; the spool recreates what it needs. */
static void
clean_dir(void)
{
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		abort();
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) != 0)
			abort();
	}
	closedir(d);
}

static void
remove_dir(void)
{
	clean_dir();
	rmdir(dir);
}

/* One directory per process, on tmpfs when there is one: fsync is free. */
static void
setup(void)
{
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	if (access("/dev/shm", W_OK) == 0)
		base = "/dev/shm";
	if (snprintf(dir, sizeof(dir), "%s/lwfuzz-spool.XXXXXX", base) >=
	    (int)sizeof(dir) || mkdtemp(dir) == NULL)
		abort();
	atexit(remove_dir);
}

static void
put_file(const char *name, const void *data, size_t len)
{
	char path[512];
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		abort();
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		abort();
	if (len > 0 && write(fd, data, len) != (ssize_t)len)
		abort();
	close(fd);
}

/* Every payload byte is read into this, so ASan checks each read. */
static volatile unsigned touched;

static void
run(const uint8_t *data, size_t size, int older)
{
	static const char inst[] = "00112233445566778899aabbccddeeff\n";
	struct spool *sp;
	struct spool_stats st;
	struct spool_rec rec;
	enum spool_read_result r;
	char err[512];
	uint64_t prev = 0, seq = 0, n = 0;
	size_t i;

	clean_dir();
	put_file("instance", inst, sizeof(inst) - 1);
	put_file("seg-0000000000000001", data, size);
	if (older)
		put_file("seg-0000000100000000", "", 0);

	if ((sp = spool_open(dir, 1 << 16, 1 << 12, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "spool_open: %s\n", err);
		abort();
	}
	spool_stats(sp, &st);
	if (st.next_seq == 0 || st.acked >= st.next_seq)
		abort();

	spool_rewind(sp, 1);
	for (;;) {
		r = spool_read(sp, &rec);
		if (r == SPOOL_EMPTY)
			break;
		if (r != SPOOL_RECORD && r != SPOOL_GAP)
			abort();
		if (rec.seq <= prev || rec.seq >= st.next_seq)
			abort();
		if (r == SPOOL_GAP) {
			if (rec.gap_last < rec.seq ||
			    rec.gap_last >= st.next_seq)
				abort();
			prev = rec.gap_last;
		} else {
			if (rec.len > (size_t)SPOOL_MAX_RECORD)
				abort();
			for (i = 0; i < rec.len; i++)	/* ASan checks it */
				touched += (unsigned char)rec.data[i];
			prev = rec.seq;
		}
		/* A record takes 40 bytes or more; a gap precedes one. */
		if (++n > 2 * (size / 40 + 2))
			abort();
	}

	if (spool_append(sp, "fuzz", 4, 1, 4, &seq) == 0) {
		if (seq < st.next_seq || seq <= prev)
			abort();
		r = spool_read(sp, &rec);
		if (r == SPOOL_GAP) {
			if (rec.seq != prev + 1 || rec.gap_last != seq - 1)
				abort();
			r = spool_read(sp, &rec);
		}
		if (r != SPOOL_RECORD || rec.seq != seq || rec.len != 4 ||
		    memcmp(rec.data, "fuzz", 4) != 0)
			abort();
		if (spool_source_pos(sp, 1) != 4)
			abort();
	} else if (errno != EOVERFLOW) {
		/* Only a crafted seq near the limit may refuse appends. */
		abort();
	}
	spool_free(sp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (dir[0] == '\0')
		setup();
	run(data, size, 0);
	run(data, size, 1);
	return 0;
}
