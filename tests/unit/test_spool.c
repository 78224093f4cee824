/*
 * Tests of agent/spool.c, the storage behind "the transport loses nothing":
 * records come back in seq order with their bytes; seq numbers, source
 * positions, acks and drop counts survive a reopen and a SIGKILL; acks
 * delete whole segments but never the active one; the size cap drops the
 * oldest events and the reader reports exactly that range once; torn tails
 * are cut, damage elsewhere is skipped and counted, and no seq is ever
 * issued twice. The tests build damaged files by hand from the record
 * layout documented at the top of spool.c (40-byte header; a checkpoint
 * with no sources is 56 bytes).
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>

#include "harness.h"
#include "../../agent/agent.h"

#define HDR	40	/* record header */
#define CP0	56	/* checkpoint without sources */

static char	 base[256];
static int	 ndirs;

/* A path for a new spool: spool_open() creates the directory itself. */
static void
newdir(char *buf, size_t len)
{
	if (base[0] == '\0')
		snprintf(base, sizeof(base), "%s", harness_tmpdir());
	if (snprintf(buf, len, "%s/s%d", base, ndirs++) >= (int)len)
		abort();
}

static struct spool *
open_sp(const char *dir, uint64_t max, uint64_t seg)
{
	struct spool *sp;
	char err[512];

	err[0] = '\0';
	if ((sp = spool_open(dir, max, seg, err, sizeof(err))) == NULL)
		FAILF("spool_open(%s): %s", dir, err);
	return sp;
}

/* Varying sizes, and the seq inside, so a mix-up cannot go unseen. */
static size_t
payload(uint64_t seq, char *buf, size_t len)
{
	int n;

	n = snprintf(buf, len, "{\"seq\":%" PRIu64 ",\"pad\":\"%.*s\"}", seq,
	    (int)(seq % 37), "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	if (n < 0 || (size_t)n >= len)
		abort();
	return (size_t)n;
}

/* Appends events until next_seq is `upto'+1; src 1 at position seq*10. */
static int
append_upto(struct spool *sp, uint64_t upto)
{
	struct spool_stats st;
	char buf[128];
	uint64_t seq, got;
	size_t n;

	spool_stats(sp, &st);
	for (seq = st.next_seq; seq <= upto; seq++) {
		n = payload(seq, buf, sizeof(buf));
		if (spool_append(sp, buf, n, 1, seq * 10, &got) != 0 ||
		    got != seq) {
			FAILF("append %" PRIu64 " failed or got %" PRIu64, seq,
			    got);
			return -1;
		}
	}
	return 0;
}

/*
 * Reads records from..to, each with its payload, then expects `then'
 * (SPOOL_EMPTY, or -1 to stop without reading on). 0 if all matched.
 */
static int
expect_records(struct spool *sp, uint64_t from, uint64_t to, int then)
{
	struct spool_rec rec;
	enum spool_read_result r;
	char buf[128];
	uint64_t seq;
	size_t n;

	for (seq = from; seq <= to; seq++) {
		r = spool_read(sp, &rec);
		n = payload(seq, buf, sizeof(buf));
		if (r != SPOOL_RECORD || rec.seq != seq || rec.len != n ||
		    memcmp(rec.data, buf, n) != 0) {
			FAILF("read %d seq %" PRIu64 " len %zu, expected "
			    "record %" PRIu64, (int)r, rec.seq, rec.len, seq);
			return -1;
		}
	}
	if (then >= 0 && (r = spool_read(sp, &rec)) != (enum
	    spool_read_result)then) {
		FAILF("read %d seq %" PRIu64 " after %" PRIu64 ", expected %d",
		    (int)r, rec.seq, to, then);
		return -1;
	}
	return 0;
}

static int
count_segs(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "seg-", 4) == 0)
			n++;
	closedir(d);
	return n;
}

/* The i-th segment file by name (0: oldest, -1: newest). */
static int
seg_path(const char *dir, int i, char *buf, size_t len)
{
	char names[256][32];
	struct dirent *de;
	DIR *d;
	int n = 0, a, b;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL && n < 256)
		if (strncmp(de->d_name, "seg-", 4) == 0 &&
		    strlen(de->d_name) < sizeof(names[0]))
			memcpy(names[n++], de->d_name, strlen(de->d_name) + 1);
	closedir(d);
	for (a = 0; a < n; a++)		/* few names: a plain sort */
		for (b = a + 1; b < n; b++)
			if (strcmp(names[a], names[b]) > 0) {
				char t[32];

				memcpy(t, names[a], sizeof(t));
				memcpy(names[a], names[b], sizeof(t));
				memcpy(names[b], t, sizeof(t));
			}
	if (i < 0)
		i += n;
	if (i < 0 || i >= n)
		return -1;
	snprintf(buf, len, "%s/%s", dir, names[i]);
	return 0;
}

static uint64_t
seg_first(const char *path)
{
	const char *p = strrchr(path, '/');

	return strtoull(p + 5, NULL, 16);
}

static long long
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static void
flip_byte(const char *path, long long off)
{
	unsigned char c;
	int fd;

	if ((fd = open(path, O_RDWR)) == -1 || pread(fd, &c, 1, off) != 1)
		abort();
	c ^= 0x5a;
	if (pwrite(fd, &c, 1, off) != 1)
		abort();
	close(fd);
}

static void
test_append_read(void)
{
	struct spool *sp;
	struct spool_stats st;
	char dir[300];

	newdir(dir, sizeof(dir));
	REQUIRE((sp = open_sp(dir, 1 << 20, 4096)) != NULL);
	spool_stats(sp, &st);
	CHECK_INT(st.next_seq, 1);
	CHECK_INT(st.events, 0);
	REQUIRE(append_upto(sp, 300) == 0);
	spool_stats(sp, &st);
	CHECK_INT(st.next_seq, 301);
	CHECK_INT(st.events, 300);
	CHECK(st.segments > 1);
	spool_rewind(sp, 1);
	CHECK(expect_records(sp, 1, 300, SPOOL_EMPTY) == 0);
	spool_free(sp);
}

/* A caught-up reader sees later appends, across rotations too. */
static void
test_read_follows_appends(void)
{
	struct spool *sp;
	struct spool_rec rec;
	char dir[300];
	uint64_t i;

	newdir(dir, sizeof(dir));
	REQUIRE((sp = open_sp(dir, 1 << 20, 512)) != NULL);
	CHECK_INT(spool_read(sp, &rec), SPOOL_EMPTY);
	for (i = 1; i <= 60; i++) {
		REQUIRE(append_upto(sp, i) == 0);
		REQUIRE(expect_records(sp, i, i, SPOOL_EMPTY) == 0);
	}
	CHECK(count_segs(dir) > 3);
	spool_free(sp);
}

static void
test_empty_payload(void)
{
	struct spool *sp;
	struct spool_rec rec;
	char dir[300];
	uint64_t seq = 0;

	newdir(dir, sizeof(dir));
	REQUIRE((sp = open_sp(dir, 1 << 20, 4096)) != NULL);
	CHECK_INT(spool_append(sp, NULL, 0, 0, 0, &seq), 0);
	CHECK_INT(seq, 1);
	CHECK_INT(spool_read(sp, &rec), SPOOL_RECORD);
	CHECK_INT(rec.seq, 1);
	CHECK_INT(rec.len, 0);
	spool_free(sp);
	spool_free(NULL);
}

static void
test_reopen(void)
{
	struct spool *sp;
	struct spool_stats st;
	char dir[300];

	newdir(dir, sizeof(dir));
	REQUIRE((sp = open_sp(dir, 1 << 20, 1024)) != NULL);
	REQUIRE(append_upto(sp, 50) == 0);
	CHECK(expect_records(sp, 1, 20, -1) == 0);
	spool_free(sp);

	REQUIRE((sp = open_sp(dir, 1 << 20, 1024)) != NULL);
	spool_stats(sp, &st);
	CHECK_INT(st.next_seq, 51);
	CHECK_INT(st.events, 50);
	CHECK_INT(st.acked, 0);
	CHECK_INT(st.corrupt, 0);
	/* Nothing was acked, so the cursor starts at 1. */
	CHECK(expect_records(sp, 1, 50, SPOOL_EMPTY) == 0);
	REQUIRE(append_upto(sp, 51) == 0);
	CHECK(expect_records(sp, 51, 51, SPOOL_EMPTY) == 0);
	spool_free(sp);
}

/* The child appends 1000 events and dies without spool_free(). */
static void
test_sigkill_after_append(void)
{
	struct spool *sp;
	struct spool_stats st;
	char dir[300];
	pid_t pid;
	int status;

	newdir(dir, sizeof(dir));
	fflush(stdout);
	if ((pid = fork()) == 0) {
		sp = spool_open(dir, 1 << 20, 8192, NULL, 0);
		if (sp == NULL || append_upto(sp, 1000) != 0)
			_exit(1);
		_exit(0);
	}
	REQUIRE(pid > 0);
	REQUIRE(waitpid(pid, &status, 0) == pid);
	REQUIRE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	REQUIRE((sp = open_sp(dir, 1 << 20, 8192)) != NULL);
	spool_stats(sp, &st);
	CHECK_INT(st.next_seq, 1001);
	CHECK_INT(st.events, 1000);
	CHECK_INT(spool_source_pos(sp, 1), 10000);
	CHECK(expect_records(sp, 1, 1000, SPOOL_EMPTY) == 0);
	spool_free(sp);
}

/*
 * kill -9 at an arbitrary point of a stream of appends: every append that
 * returned is there, in order, the position is that of the last record,
 * and next_seq follows it.
 */
static void
test_sigkill_midstream(void)
{
	struct spool *sp;
	struct spool_stats st;
	char dir[300];
	uint64_t seq, reported = 0;
	int p[2], status;
	pid_t pid;

	newdir(dir, sizeof(dir));
	REQUIRE(pipe(p) == 0);
	fflush(stdout);
	if ((pid = fork()) == 0) {
		close(p[0]);
		sp = spool_open(dir, 1 << 24, 16384, NULL, 0);
		if (sp == NULL)
			_exit(1);
		for (seq = 1; seq < 2000000; seq++) {
			if (append_upto(sp, seq) != 0)
				_exit(1);
			if (write(p[1], &seq, sizeof(seq)) != sizeof(seq))
				_exit(1);
		}
		_exit(0);
	}
	REQUIRE(pid > 0);
	close(p[1]);
	while (reported < 3000 &&
	    read(p[0], &seq, sizeof(seq)) == sizeof(seq))
		reported = seq;
	kill(pid, SIGKILL);
	while (read(p[0], &seq, sizeof(seq)) == sizeof(seq))
		reported = seq;
	close(p[0]);
	REQUIRE(waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	REQUIRE(reported >= 3000);

	REQUIRE((sp = open_sp(dir, 1 << 24, 16384)) != NULL);
	spool_stats(sp, &st);
	/* The child may have finished one more append than it reported. */
	CHECK(st.next_seq == reported + 1 || st.next_seq == reported + 2);
	CHECK_INT(st.events, st.next_seq - 1);
	CHECK_INT(st.corrupt, 0);
	CHECK_INT(spool_source_pos(sp, 1), (st.next_seq - 1) * 10);
	CHECK(expect_records(sp, 1, st.next_seq - 1, SPOOL_EMPTY) == 0);
	spool_free(sp);
}

static void
test_source_positions(void)
{
	struct spool *sp;
	char dir[300], buf[128];
	uint64_t i;
	size_t n;

	newdir(dir, sizeof(dir));
	REQUIRE((sp = open_sp(dir, 1 << 20, 2048)) != NULL);
	CHECK_INT(spool_source_pos(sp, 7), 0);
	for (i = 1; i <= 100; i++) {
		n = payload(i, buf, sizeof(buf));
		/* Two tailed files, interleaved unevenly. */
		if (i % 3 == 0)
			CHECK_INT(spool_append(sp, buf, n, 7, 1000 + i, NULL),
			    0);
		else
			CHECK_INT(spool_append(sp, buf, n, 0xdeadbeef, 5 * i,
			    NULL), 0);
	}
	CHECK_INT(spool_source_pos(sp, 7), 1099);
	CHECK_INT(spool_source_pos(sp, 0xdeadbeef), 500);
	spool_free(sp);

	REQUIRE((sp = open_sp(dir, 1 << 20, 2048)) != NULL);
	CHECK_INT(spool_source_pos(sp, 7), 1099);
	CHECK_INT(spool_source_pos(sp, 0xdeadbeef), 500);
	CHECK_INT(spool_source_pos(sp, 8), 0);
	spool_free(sp);
}

/*
 * A source whose last event is in a segment since deleted keeps its
 * position: every segment starts with a checkpoint of all positions.
 */
static void
test_source_position_in_checkpoint(void)
{
	struct spool *sp;
	char dir[300];

	newdir(dir, sizeof(dir));
	REQUIRE((sp = open_sp(dir, 1 << 20, 512)) != NULL);
	CHECK_INT(spool_append(sp, "a", 1, 42, 111, NULL), 0);
	REQUIRE(append_upto(sp, 50) == 0);
	CHECK_INT(spool_ack(sp, 50), 0);
	CHECK_INT(count_segs(dir), 1);
	spool_free(sp);

	REQUIRE((sp = open_sp(dir, 1 << 20, 512)) != NULL);
	CHECK_INT(spool_source_pos(sp, 42), 111);
	CHECK_INT(spool_source_pos(sp, 1), 500);
	spool_free(sp);
}

/* Past SPOOL_MAX_SOURCES the least recently updated are forgotten. */
static void
test_many_sources(void)
{
	struct spool *sp;
	char dir[300];
	uint32_t id, total = SPOOL_MAX_SOURCES + 8;
	int pass;

	newdir(dir, sizeof(dir));
	REQUIRE((sp = open_sp(dir, 1 << 20, 1024)) != NULL);
	for (id = 1; id <= total; id++)
		CHECK_INT(spool_append(sp, "e", 1, id, (uint64_t)id * 3, NULL),
		    0);
	for (pass = 0; pass < 2; pass++) {
		for (id = 1; id <= total; id++)
			CHECK_INT(spool_source_pos(sp, id),
			    id > total - SPOOL_MAX_SOURCES ? id * 3 : 0);
		spool_free(sp);
		REQUIRE((sp = open_sp(dir, 1 << 20, 1024)) != NULL);
	}
	spool_free(sp);
}

static void
test_ack_deletes_segments(void)
{
	struct spool *sp;
	struct spool_stats st;
	char dir[300], path[400];
	int before;

	newdir(dir, sizeof(dir));
	REQUIRE((sp = open_sp(dir, 1 << 20, 512)) != NULL);
	REQUIRE(append_upto(sp, 100) == 0);
	spool_stats(sp, &st);
	before = count_segs(dir);
	CHECK(before > 5);
	CHECK_INT(st.segments, before);

	CHECK_INT(spool_ack(sp, 50), 0);
	spool_stats(sp, &st);
	CHECK_INT(st.acked, 50);
	CHECK_INT(st.events, 50);
	CHECK(count_segs(dir) < before);
	CHECK_INT(st.segments, count_segs(dir));
	/* The oldest left holds 51; the one after it starts above 51. */
	REQUIRE(seg_path(dir, 0, path, sizeof(path)) == 0);
	CHECK(seg_first(path) <= 51);
	REQUIRE(seg_path(dir, 1, path, sizeof(path)) == 0);
	CHECK(seg_first(path) > 51);

	CHECK_INT(spool_ack(sp, 100), 0);
	spool_stats(sp, &st);
	CHECK_INT(st.events, 0);
	CHECK_INT(count_segs(dir), 1);	/* the active one stays */
	CHECK_INT(st.segments, 1);
	REQUIRE(append_upto(sp, 101) == 0);
	CHECK(expect_records(sp, 101, 101, SPOOL_EMPTY) == 0);
	spool_free(sp);
}

static void
test_ack_persists(void)
{
	struct spool *sp;
	struct spool_stats st;
	char dir[300];

	newdir(dir, sizeof(dir));
	REQUIRE((sp = open_sp(dir, 1 << 20, 512)) != NULL);
	REQUIRE(append_upto(sp, 40) == 0);
	CHECK_INT(spool_ack(sp, 30), 0);
	spool_free(sp);

	REQUIRE((sp = open_sp(dir, 1 << 20, 512)) != NULL);
	spool_stats(sp, &st);
	CHECK_INT(st.acked, 30);
	CHECK_INT(st.events, 10);
	CHECK_INT(st.next_seq, 41);
	/* The cursor starts after the ack, and a rewind there agrees. */
	CHECK(expect_records(sp, 31, 40, SPOOL_EMPTY) == 0);
	spool_rewind(sp, 31);
	CHECK(expect_records(sp, 31, 40, SPOOL_EMPTY) == 0);
	spool_free(sp);
}

static void
test_ack_bounds(void)
{
	struct spool *sp;
	struct spool_stats st;
	char dir[300];

	newdir(dir, sizeof(dir));
	REQUIRE((sp = open_sp(dir, 1 << 20, 4096)) != NULL);
	CHECK_INT(spool_ack(sp, 0), 0);
	CHECK_INT(spool_ack(sp, 1), -1);	/* nothing issued yet */
	REQUIRE(append_upto(sp, 5) == 0);
	CHECK_INT(spool_ack(sp, 6), -1);
	spool_stats(sp, &st);
	CHECK_INT(st.acked, 0);
	CHECK_INT(spool_ack(sp, 3), 0);
	CHECK_INT(spool_ack(sp, 2), 0);		/* lower: ignored */
	spool_stats(sp, &st);
	CHECK_INT(st.acked, 3);
	CHECK_INT(st.events, 2);
	CHECK_INT(spool_ack(sp, 5), 0);
	spool_stats(sp, &st);
	CHECK_INT(st.events, 0);
	spool_free(sp);
}

/* Everything acked and deleted: a reopen still continues the numbering. */
static void
test_seq_never_reused(void)
{
	struct spool *sp;
	struct spool_stats st;
	char dir[300];
	uint64_t seq = 0;
	int round;

	newdir(dir, sizeof(dir));
	for (round = 1; round <= 3; round++) {
		REQUIRE((sp = open_sp(dir, 1 << 20, 256)) != NULL);
		REQUIRE(append_upto(sp, (uint64_t)round * 20) == 0);
		CHECK_INT(spool_ack(sp, (uint64_t)round * 20), 0);
		CHECK_INT(count_segs(dir), 1);
		spool_free(sp);

		REQUIRE((sp = open_sp(dir, 1 << 20, 256)) != NULL);
		spool_stats(sp, &st);
		CHECK_INT(st.next_seq, round * 20 + 1);
		CHECK_INT(st.acked, round * 20);
		CHECK_INT(st.events, 0);
		CHECK_INT(spool_append(sp, "x", 1, 0, 0, &seq), 0);
		CHECK_INT(seq, round * 20 + 1);
		spool_free(sp);
	}
}

/*
 * The size cap: the oldest segments go unacked, `dropped' counts exactly
 * the events that cannot be read any more, and a reader from 1 gets one
 * gap for exactly that range, then the rest - again after each rewind.
 */
static void
test_size_cap(void)
{
	struct spool *sp;
	struct spool_stats st;
	struct spool_rec rec;
	char dir[300];
	uint64_t last;
	int pass;

	newdir(dir, sizeof(dir));
	REQUIRE((sp = open_sp(dir, 2048, 512)) != NULL);
	REQUIRE(append_upto(sp, 200) == 0);
	spool_stats(sp, &st);
	CHECK(st.dropped > 0);
	CHECK(st.bytes <= 2048 + 512);
	CHECK_INT(st.events, 200 - st.dropped);
	for (pass = 0; pass < 2; pass++) {
		spool_rewind(sp, 1);
		CHECK_INT(spool_read(sp, &rec), SPOOL_GAP);
		CHECK_INT(rec.seq, 1);
		CHECK_INT(rec.gap_last, st.dropped);
		last = rec.gap_last;
		CHECK(expect_records(sp, last + 1, 200, SPOOL_EMPTY) == 0);
	}
	spool_free(sp);

	/* The count is persisted. */
	REQUIRE((sp = open_sp(dir, 2048, 512)) != NULL);
	spool_stats(sp, &st);
	CHECK_INT(st.dropped, last);
	CHECK_INT(st.events, 200 - last);
	spool_free(sp);
}

/* Acked events that go with a segment are not counted as dropped. */
static void
test_size_cap_after_ack(void)
{
	struct spool *sp;
	struct spool_stats st;
	struct spool_rec rec;
	char dir[300];
	uint64_t first;

	newdir(dir, sizeof(dir));
	REQUIRE((sp = open_sp(dir, 2048, 512)) != NULL);
	REQUIRE(append_upto(sp, 4) == 0);
	CHECK_INT(spool_ack(sp, 4), 0);
	REQUIRE(append_upto(sp, 200) == 0);
	spool_stats(sp, &st);
	spool_rewind(sp, 5);
	CHECK_INT(spool_read(sp, &rec), SPOOL_GAP);
	CHECK_INT(rec.seq, 5);
	first = rec.gap_last + 1;
	CHECK_INT(st.dropped, first - 5);
	CHECK_INT(st.events, 200 - (first - 1));
	CHECK(expect_records(sp, first, 200, SPOOL_EMPTY) == 0);
	spool_free(sp);
}

/*
 * A write cut short at every interesting point of the last record: the
 * complete records survive, the seq of the torn one is issued again (it
 * was never returned), and new appends are readable.
 */
static void
test_torn_tail(void)
{
	static const long long cuts[] = { 1, 5, 20, HDR - 1, HDR, HDR + 1 };
	struct spool *sp;
	struct spool_stats st;
	char dir[300], path[400], buf[128];
	long long size;
	size_t i;

	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		newdir(dir, sizeof(dir));
		REQUIRE((sp = open_sp(dir, 1 << 20, 1 << 16)) != NULL);
		REQUIRE(append_upto(sp, 20) == 0);
		spool_free(sp);
		REQUIRE(seg_path(dir, -1, path, sizeof(path)) == 0);
		size = file_size(path);
		/* Record 20 is HDR + payload(20) bytes; cut inside it. */
		REQUIRE(cuts[i] < HDR + (long long)payload(20, buf,
		    sizeof(buf)));
		REQUIRE(truncate(path, size - cuts[i]) == 0);

		REQUIRE((sp = open_sp(dir, 1 << 20, 1 << 16)) != NULL);
		spool_stats(sp, &st);
		CHECK_INT(st.next_seq, 20);
		CHECK_INT(st.events, 19);
		CHECK_INT(st.corrupt, 1);
		CHECK_INT(spool_source_pos(sp, 1), 190);
		REQUIRE(append_upto(sp, 21) == 0);
		CHECK(expect_records(sp, 1, 21, SPOOL_EMPTY) == 0);
		spool_free(sp);

		REQUIRE((sp = open_sp(dir, 1 << 20, 1 << 16)) != NULL);
		spool_stats(sp, &st);
		CHECK_INT(st.corrupt, 0);
		CHECK_INT(st.next_seq, 22);
		spool_free(sp);
	}
}

/* Garbage after the last record (a torn write of something) is cut. */
static void
test_garbage_tail(void)
{
	struct spool *sp;
	struct spool_stats st;
	char dir[300], path[400], junk[100];
	long long size;
	int fd;

	newdir(dir, sizeof(dir));
	REQUIRE((sp = open_sp(dir, 1 << 20, 1 << 16)) != NULL);
	REQUIRE(append_upto(sp, 20) == 0);
	spool_free(sp);
	REQUIRE(seg_path(dir, -1, path, sizeof(path)) == 0);
	size = file_size(path);
	memset(junk, 0xa5, sizeof(junk));
	junk[0] = 'L';			/* looks like a record, is not */
	junk[1] = 'W';
	junk[2] = 'S';
	junk[3] = 'P';
	REQUIRE((fd = open(path, O_WRONLY | O_APPEND)) != -1);
	REQUIRE(write(fd, junk, sizeof(junk)) == (ssize_t)sizeof(junk));
	close(fd);

	REQUIRE((sp = open_sp(dir, 1 << 20, 1 << 16)) != NULL);
	CHECK_INT(file_size(path), size);
	spool_stats(sp, &st);
	CHECK_INT(st.next_seq, 21);
	CHECK_INT(st.events, 20);
	REQUIRE(append_upto(sp, 22) == 0);
	CHECK(expect_records(sp, 1, 22, SPOOL_EMPTY) == 0);
	spool_free(sp);

	/* A zero-filled tail, as some file systems leave after a crash. */
	REQUIRE(truncate(path, file_size(path) + 4096) == 0);
	REQUIRE((sp = open_sp(dir, 1 << 20, 1 << 16)) != NULL);
	spool_stats(sp, &st);
	CHECK_INT(st.next_seq, 23);
	CHECK(expect_records(sp, 1, 22, SPOOL_EMPTY) == 0);
	spool_free(sp);
}

/*
 * A damaged byte in an older segment: the rest of that segment is
 * skipped and counted, the reader reports it as a gap, later segments are
 * read as usual.
 */
static void
test_corrupt_older_segment(void)
{
	struct spool *sp;
	struct spool_stats st;
	struct spool_rec rec;
	char dir[300], path[400], next[400], buf[128];
	uint64_t second;

	newdir(dir, sizeof(dir));
	REQUIRE((sp = open_sp(dir, 1 << 20, 1024)) != NULL);
	REQUIRE(append_upto(sp, 60) == 0);
	spool_free(sp);
	REQUIRE(seg_path(dir, 0, path, sizeof(path)) == 0);
	REQUIRE(seg_path(dir, 1, next, sizeof(next)) == 0);
	second = seg_first(next);
	REQUIRE(seg_first(path) == 1 && second > 4);
	/* The data of event 3: after the checkpoint and events 1 and 2. */
	flip_byte(path, CP0 + 2 * HDR + (long long)payload(1, buf,
	    sizeof(buf)) + (long long)payload(2, buf, sizeof(buf)) + HDR + 3);

	REQUIRE((sp = open_sp(dir, 1 << 20, 1024)) != NULL);
	spool_stats(sp, &st);
	CHECK_INT(st.corrupt, second - 3);
	CHECK_INT(st.events, 60 - (second - 3));
	CHECK_INT(st.next_seq, 61);
	CHECK(expect_records(sp, 1, 2, -1) == 0);
	CHECK_INT(spool_read(sp, &rec), SPOOL_GAP);
	CHECK_INT(rec.seq, 3);
	CHECK_INT(rec.gap_last, second - 1);
	CHECK(expect_records(sp, second, 60, SPOOL_EMPTY) == 0);
	/* Acking past it deletes the damaged file like any other. */
	CHECK_INT(spool_ack(sp, second - 1), 0);
	CHECK(seg_path(dir, 0, path, sizeof(path)) == 0 &&
	    seg_first(path) == second);
	spool_free(sp);
}

/*
 * A damaged byte early in the last segment, with good records after it:
 * not a torn tail, so nothing is truncated, the skipped events are
 * counted, and their seq numbers are not issued again.
 */
static void
test_corrupt_last_segment(void)
{
	struct spool *sp;
	struct spool_stats st;
	struct spool_rec rec;
	char dir[300], path[400], buf[128];
	long long off = CP0, size;
	uint64_t i;

	newdir(dir, sizeof(dir));
	REQUIRE((sp = open_sp(dir, 1 << 20, 1 << 16)) != NULL);
	REQUIRE(append_upto(sp, 20) == 0);
	spool_free(sp);
	REQUIRE(seg_path(dir, -1, path, sizeof(path)) == 0);
	size = file_size(path);
	for (i = 1; i < 5; i++)
		off += HDR + (long long)payload(i, buf, sizeof(buf));
	flip_byte(path, off + 17);	/* event 5's seq, in its header */

	REQUIRE((sp = open_sp(dir, 1 << 20, 1 << 16)) != NULL);
	CHECK_INT(file_size(path), size);
	spool_stats(sp, &st);
	CHECK_INT(st.next_seq, 21);
	CHECK_INT(st.corrupt, 16);
	CHECK_INT(st.events, 4);
	CHECK_INT(count_segs(dir), 2);
	REQUIRE(append_upto(sp, 21) == 0);
	CHECK(expect_records(sp, 1, 4, -1) == 0);
	CHECK_INT(spool_read(sp, &rec), SPOOL_GAP);
	CHECK_INT(rec.seq, 5);
	CHECK_INT(rec.gap_last, 20);
	CHECK(expect_records(sp, 21, 21, SPOOL_EMPTY) == 0);
	spool_free(sp);
}

static void
test_lock(void)
{
	struct spool *a, *b;
	char dir[300], err[256];

	newdir(dir, sizeof(dir));
	REQUIRE((a = open_sp(dir, 1 << 20, 4096)) != NULL);
	err[0] = '\0';
	b = spool_open(dir, 1 << 20, 4096, err, sizeof(err));
	CHECK(b == NULL);
	CHECK_CONTAINS(err, "locked");
	spool_free(b);
	spool_free(a);
	REQUIRE((b = open_sp(dir, 1 << 20, 4096)) != NULL);
	spool_free(b);
}

static void
test_record_size_limit(void)
{
	struct spool *sp;
	struct spool_stats st;
	struct spool_rec rec;
	const size_t max = (size_t)SPOOL_MAX_RECORD;
	char dir[300], *big;
	uint64_t seq = 0;
	size_t i;

	newdir(dir, sizeof(dir));
	big = malloc(max + 1);
	REQUIRE(big != NULL);
	for (i = 0; i < max + 1; i++)
		big[i] = (char)('a' + i % 26);
	if ((sp = open_sp(dir, 8 << 20, 1 << 16)) == NULL) {
		free(big);
		return;
	}
	CHECK_INT(spool_append(sp, big, max + 1, 0, 0, &seq), -1);
	spool_stats(sp, &st);
	CHECK_INT(st.next_seq, 1);
	CHECK_INT(spool_append(sp, "s", 1, 0, 0, &seq), 0);
	CHECK_INT(spool_append(sp, big, max, 0, 0, &seq), 0);
	CHECK_INT(seq, 2);
	CHECK_INT(spool_append(sp, "t", 1, 0, 0, &seq), 0);
	spool_free(sp);

	/* Read back after a reopen: the scan and the reader both grow. */
	if ((sp = open_sp(dir, 8 << 20, 1 << 16)) != NULL) {
		CHECK_INT(spool_read(sp, &rec), SPOOL_RECORD);
		CHECK_INT(spool_read(sp, &rec), SPOOL_RECORD);
		CHECK_INT(rec.seq, 2);
		CHECK_INT(rec.len, max);
		CHECK(rec.len == max && memcmp(rec.data, big, max) == 0);
		CHECK_INT(spool_read(sp, &rec), SPOOL_RECORD);
		CHECK_INT(rec.seq, 3);
		CHECK_INT(spool_read(sp, &rec), SPOOL_EMPTY);
		spool_free(sp);
	}
	free(big);
}

static void
test_rewind(void)
{
	struct spool *sp;
	struct spool_rec rec;
	char dir[300], path[400];

	newdir(dir, sizeof(dir));
	REQUIRE((sp = open_sp(dir, 1 << 20, 512)) != NULL);
	REQUIRE(append_upto(sp, 100) == 0);
	/* 37 lies inside an older segment, not at its start. */
	REQUIRE(seg_path(dir, 1, path, sizeof(path)) == 0);
	CHECK(seg_first(path) < 37);
	spool_rewind(sp, 37);
	CHECK(expect_records(sp, 37, 45, -1) == 0);
	spool_rewind(sp, 5);
	CHECK(expect_records(sp, 5, 100, SPOOL_EMPTY) == 0);
	spool_rewind(sp, 100);
	CHECK(expect_records(sp, 100, 100, SPOOL_EMPTY) == 0);
	spool_rewind(sp, 0);
	CHECK(expect_records(sp, 1, 2, -1) == 0);
	spool_rewind(sp, 1000);		/* beyond: waits for 101 */
	CHECK_INT(spool_read(sp, &rec), SPOOL_EMPTY);
	REQUIRE(append_upto(sp, 101) == 0);
	CHECK(expect_records(sp, 101, 101, SPOOL_EMPTY) == 0);
	spool_free(sp);
}

/*
 * An ack past the read cursor, deleting the segment the reader is in:
 * reading goes on after the ack (acked events are delivered, not a gap).
 * A rewind below the ack shows what is really gone: a gap, not made-up or
 * out-of-order records.
 */
static void
test_ack_past_reader(void)
{
	struct spool *sp;
	struct spool_rec rec;
	enum spool_read_result r;
	char dir[300];

	newdir(dir, sizeof(dir));
	REQUIRE((sp = open_sp(dir, 1 << 20, 512)) != NULL);
	REQUIRE(append_upto(sp, 60) == 0);
	CHECK(expect_records(sp, 1, 10, -1) == 0);
	CHECK_INT(spool_ack(sp, 40), 0);
	CHECK(expect_records(sp, 41, 60, SPOOL_EMPTY) == 0);

	spool_rewind(sp, 11);
	r = spool_read(sp, &rec);
	CHECK_INT(r, SPOOL_GAP);
	CHECK_INT(rec.seq, 11);
	CHECK(rec.gap_last >= 11 && rec.gap_last <= 40);
	CHECK(expect_records(sp, rec.gap_last + 1, 60, SPOOL_EMPTY) == 0);
	spool_free(sp);
}

static void
test_instance(void)
{
	struct spool *sp;
	struct spool_stats st;
	char dir[300], dir2[300], path[400], id[33];
	const char *s;
	size_t i;

	newdir(dir, sizeof(dir));
	newdir(dir2, sizeof(dir2));
	REQUIRE((sp = open_sp(dir, 1 << 20, 512)) != NULL);
	s = spool_instance(sp);
	REQUIRE(s != NULL && strlen(s) == 32);
	for (i = 0; i < 32; i++)
		CHECK(strchr("0123456789abcdef", s[i]) != NULL);
	snprintf(id, sizeof(id), "%s", s);
	REQUIRE(append_upto(sp, 30) == 0);
	spool_free(sp);

	REQUIRE((sp = open_sp(dir, 1 << 20, 512)) != NULL);
	CHECK_STR(spool_instance(sp), id);
	spool_free(sp);
	REQUIRE((sp = open_sp(dir2, 1 << 20, 512)) != NULL);
	CHECK(strcmp(spool_instance(sp), id) != 0);
	spool_free(sp);

	/* Wiped segments: a new stream, from seq 1, under a new id. */
	while (seg_path(dir, 0, path, sizeof(path)) == 0)
		REQUIRE(unlink(path) == 0);
	REQUIRE((sp = open_sp(dir, 1 << 20, 512)) != NULL);
	CHECK(strcmp(spool_instance(sp), id) != 0);
	spool_stats(sp, &st);
	CHECK_INT(st.next_seq, 1);
	CHECK_INT(st.acked, 0);
	spool_free(sp);
}

/* bytes and segments agree with the directory. */
static void
test_stats_match_disk(void)
{
	struct spool *sp;
	struct spool_stats st;
	char dir[300], path[400];
	long long total = 0;
	int i;

	newdir(dir, sizeof(dir));
	REQUIRE((sp = open_sp(dir, 1 << 20, 700)) != NULL);
	REQUIRE(append_upto(sp, 77) == 0);
	CHECK_INT(spool_ack(sp, 20), 0);
	CHECK_INT(spool_sync(sp), 0);
	spool_stats(sp, &st);
	for (i = 0; seg_path(dir, i, path, sizeof(path)) == 0; i++)
		total += file_size(path);
	CHECK_INT(st.bytes, total);
	CHECK_INT(st.segments, i);
	CHECK_INT(st.events, 57);
	spool_free(sp);
	REQUIRE((sp = open_sp(dir, 1 << 20, 700)) != NULL);
	spool_stats(sp, &st);
	CHECK_INT(st.bytes, total);
	CHECK_INT(st.events, 57);
	spool_free(sp);
}

/*
 * A spool that lost its tail while the collector kept it: skipping to the
 * collector's cursor continues the numbering after it, survives a reopen,
 * and leaves nothing unacked behind.
 */
static void
test_skip_to(void)
{
	struct spool *sp;
	struct spool_stats st;
	struct spool_rec rec;
	uint64_t seq;
	char dir[300];

	newdir(dir, sizeof(dir));
	REQUIRE((sp = open_sp(dir, 1 << 20, 4096)) != NULL);
	REQUIRE(append_upto(sp, 10) == 0);
	CHECK_INT(spool_skip_to(sp, 5), 0);	/* behind: nothing to do */
	spool_stats(sp, &st);
	CHECK_INT(st.next_seq, 11);
	CHECK_INT(spool_skip_to(sp, 500), 0);
	spool_stats(sp, &st);
	CHECK_INT(st.next_seq, 501);
	CHECK_INT(st.acked, 500);
	CHECK_INT(st.events, 0);
	CHECK_INT(spool_read(sp, &rec), SPOOL_EMPTY);
	REQUIRE(spool_append(sp, "{}", 2, 0, 0, &seq) == 0);
	CHECK_INT(seq, 501);
	spool_free(sp);
	REQUIRE((sp = open_sp(dir, 1 << 20, 4096)) != NULL);
	spool_stats(sp, &st);
	CHECK_INT(st.next_seq, 502);
	CHECK_INT(st.acked, 500);
	spool_rewind(sp, 501);
	CHECK_INT(spool_read(sp, &rec), SPOOL_RECORD);
	CHECK_INT(rec.seq, 501);
	spool_free(sp);
}

static const struct test tests[] = {
	{ "skip_to", test_skip_to },
	{ "append_read", test_append_read },
	{ "read_follows_appends", test_read_follows_appends },
	{ "empty_payload", test_empty_payload },
	{ "reopen", test_reopen },
	{ "sigkill_after_append", test_sigkill_after_append },
	{ "sigkill_midstream", test_sigkill_midstream },
	{ "source_positions", test_source_positions },
	{ "source_position_in_checkpoint", test_source_position_in_checkpoint },
	{ "many_sources", test_many_sources },
	{ "ack_deletes_segments", test_ack_deletes_segments },
	{ "ack_persists", test_ack_persists },
	{ "ack_bounds", test_ack_bounds },
	{ "seq_never_reused", test_seq_never_reused },
	{ "size_cap", test_size_cap },
	{ "size_cap_after_ack", test_size_cap_after_ack },
	{ "torn_tail", test_torn_tail },
	{ "garbage_tail", test_garbage_tail },
	{ "corrupt_older_segment", test_corrupt_older_segment },
	{ "corrupt_last_segment", test_corrupt_last_segment },
	{ "lock", test_lock },
	{ "record_size_limit", test_record_size_limit },
	{ "rewind", test_rewind },
	{ "ack_past_reader", test_ack_past_reader },
	{ "instance", test_instance },
	{ "stats_match_disk", test_stats_match_disk },
};

HARNESS_MAIN(tests)
