/*
 * Tests of agent/syncer.c, the spool sync that must never hold up the
 * decoders: a request returns at once and the sync happens on the
 * syncer's thread, on a descriptor of the same file even when the caller
 * closes its own (a rotation); a request while a sync runs is skipped and
 * counted, not queued or waited for; a failed sync is counted with its
 * errno; freeing waits for the sync in flight. The syncs are a stand-in
 * that records what it was given and can be held on a pipe.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include "harness.h"
#include "../../agent/agent.h"

/* What the stand-in saw; the test's own, read after the syncer is done. */
static int	 hold[2] = { -1, -1 };	/* read end blocks the sync */
static ino_t	 synced_ino;
static int	 synced_fd = -1;
static int	 nsyncs;
static int	 fail_with;

static int
stand_in(int fd)
{
	struct stat sb;
	char c;

	if (hold[0] != -1 && read(hold[0], &c, 1) != 1)
		return -1;
	synced_fd = fd;
	synced_ino = fstat(fd, &sb) == 0 ? sb.st_ino : 0;
	nsyncs++;
	if (fail_with != 0) {
		errno = fail_with;
		return -1;
	}
	return 0;
}

static void
reset(void)
{
	synced_ino = 0;
	synced_fd = -1;
	nsyncs = 0;
	fail_with = 0;
	hold[0] = hold[1] = -1;
}

/* A one-byte file in the test's directory; -1 (and a failure) if not. */
static int
tmpfile_fd(const char *name, ino_t *ino)
{
	struct stat sb;
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", harness_tmpdir(), name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || write(fd, "x", 1) != 1 || fstat(fd, &sb) != 0) {
		FAILF("%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	*ino = sb.st_ino;
	return fd;
}

/* Waits (bounded) until the syncer has finished n syncs. */
static void
wait_done(struct syncer *sy, uint64_t n)
{
	struct syncer_stats st;
	int i;

	for (i = 0; i < 5000; i++) {
		syncer_stats(sy, &st);
		if (st.done >= n && !st.busy)
			return;
		usleep(1000);
	}
	FAILF("the syncer did not finish %llu syncs in 5 s",
	    (unsigned long long)n);
}

static void
test_syncs_a_dup_of_the_file(void)
{
	struct syncer_stats st;
	struct syncer *sy;
	ino_t ino;
	int fd;

	reset();
	REQUIRE((fd = tmpfile_fd("seg", &ino)) != -1);
	REQUIRE((sy = syncer_new(stand_in)) != NULL);
	CHECK_INT(syncer_request(sy, fd), 1);
	/* The rotation case: the caller's descriptor goes away at once. */
	close(fd);
	wait_done(sy, 1);
	syncer_stats(sy, &st);
	CHECK_INT(st.requested, 1);
	CHECK_INT(st.done, 1);
	CHECK_INT(st.skipped, 0);
	CHECK_INT(st.failed, 0);
	syncer_free(sy);
	CHECK_INT(nsyncs, 1);
	CHECK(synced_ino == ino);
	CHECK(synced_fd >= 0 && synced_fd != fd);
	/* The syncer closed its dup. */
	CHECK(fcntl(synced_fd, F_GETFD) == -1 && errno == EBADF);
}

static void
test_busy_request_skipped(void)
{
	struct syncer_stats st;
	struct syncer *sy;
	ino_t ino;
	int fd;

	reset();
	REQUIRE((fd = tmpfile_fd("seg2", &ino)) != -1);
	REQUIRE(pipe(hold) == 0);
	/* A syncer that waited for the held sync would hang here: end it. */
	alarm(30);
	REQUIRE((sy = syncer_new(stand_in)) != NULL);
	CHECK_INT(syncer_request(sy, fd), 1);
	/* The first sync is held on the pipe: these must not wait for it. */
	CHECK_INT(syncer_request(sy, fd), 0);
	CHECK_INT(syncer_request(sy, fd), 0);
	syncer_stats(sy, &st);
	CHECK_INT(st.requested, 1);
	CHECK_INT(st.skipped, 2);
	CHECK_INT(st.done, 0);
	CHECK_INT(st.busy, 1);
	REQUIRE(write(hold[1], "g", 1) == 1);
	wait_done(sy, 1);
	/* Free again: the next request starts a sync. */
	CHECK_INT(syncer_request(sy, fd), 1);
	REQUIRE(write(hold[1], "g", 1) == 1);
	wait_done(sy, 2);
	syncer_stats(sy, &st);
	CHECK_INT(st.requested, 2);
	CHECK_INT(st.done, 2);
	CHECK_INT(st.skipped, 2);
	syncer_free(sy);
	CHECK_INT(nsyncs, 2);
	alarm(0);
	close(fd);
	close(hold[0]);
	close(hold[1]);
}

static void
test_failure_counted(void)
{
	struct syncer_stats st;
	struct syncer *sy;
	ino_t ino;
	int fd;

	reset();
	fail_with = EIO;
	REQUIRE((fd = tmpfile_fd("seg3", &ino)) != -1);
	REQUIRE((sy = syncer_new(stand_in)) != NULL);
	CHECK_INT(syncer_request(sy, fd), 1);
	wait_done(sy, 1);
	syncer_stats(sy, &st);
	CHECK_INT(st.failed, 1);
	CHECK_INT(st.last_errno, EIO);
	syncer_free(sy);
	/* A descriptor that cannot be duplicated fails at once, counted. */
	REQUIRE((sy = syncer_new(stand_in)) != NULL);
	CHECK_INT(syncer_request(sy, -1), -1);
	syncer_stats(sy, &st);
	CHECK_INT(st.failed, 1);
	CHECK_INT(st.last_errno, EBADF);
	CHECK_INT(st.requested, 0);
	syncer_free(sy);
	close(fd);
}

/* Freeing right after a request still syncs: nothing handed over is lost. */
static void
test_free_waits(void)
{
	struct syncer *sy;
	ino_t ino;
	int fd, i;

	reset();
	REQUIRE((fd = tmpfile_fd("seg4", &ino)) != -1);
	for (i = 0; i < 50; i++) {
		REQUIRE((sy = syncer_new(stand_in)) != NULL);
		CHECK_INT(syncer_request(sy, fd), 1);
		syncer_free(sy);
		CHECK_INT(nsyncs, i + 1);
	}
	close(fd);
}

/* The real fdatasync on a spool's active segment. */
static void
test_real_spool(void)
{
	struct syncer_stats st;
	struct spool *sp;
	struct syncer *sy;
	char dir[512], err[256];

	snprintf(dir, sizeof(dir), "%s/spool", harness_tmpdir());
	sp = spool_open(dir, 1 << 20, 1 << 16, err, sizeof(err));
	REQUIRE(sp != NULL);
	REQUIRE(spool_append(sp, "{}", 2, 0, 0, NULL) == 0);
	REQUIRE((sy = syncer_new(fdatasync)) != NULL);
	CHECK_INT(syncer_request(sy, spool_active_fd(sp)), 1);
	wait_done(sy, 1);
	syncer_stats(sy, &st);
	CHECK_INT(st.failed, 0);
	CHECK_INT(st.done, 1);
	syncer_free(sy);
	spool_free(sp);
}

static const struct test tests[] = {
	{ "syncs_a_dup_of_the_file", test_syncs_a_dup_of_the_file },
	{ "busy_request_skipped", test_busy_request_skipped },
	{ "failure_counted", test_failure_counted },
	{ "free_waits", test_free_waits },
	{ "real_spool", test_real_spool },
};

HARNESS_MAIN(tests)
