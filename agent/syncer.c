/*
 * The spool's periodic fdatasync(2), off the main thread. The main thread
 * decodes every captured packet; a sync on a disk that the database itself
 * keeps busy can take seconds, and while the main thread waited the
 * capture buffers behind it filled and the kernel dropped. So the tick
 * hands this thread a dup(2) of the active segment's descriptor, which it
 * syncs and closes: a rotation on the main thread may close the original
 * meanwhile without harm. One sync is in flight at a time; a tick that
 * finds it still running skips (the running sync is already late and the
 * next one covers the writes since), and counts the skip. Rotation and
 * exit still sync on the main thread: they are rare, and the order of
 * their syncs is what crash recovery relies on (spool.c).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "agent.h"
#include "leakwatch/thread.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

struct syncer {
	struct worker		 w;	/* w.mu guards the fields below */
	int			 (*sync)(int);
	int			 fd;	/* handed over, not yet taken; or -1 */
	int			 busy;	/* a request not yet finished */
	struct syncer_stats	 st;
};

static void *
syncer_main(void *arg)
{
	struct syncer *sy = arg;
	int64_t t0, us;
	int fd, rc, err;

	pthread_mutex_lock(&sy->w.mu);
	for (;;) {
		while (sy->fd == -1 && !sy->w.stop)
			pthread_cond_wait(&sy->w.cv, &sy->w.mu);
		if (sy->fd == -1)
			break;	/* stopping, nothing left to sync */
		fd = sy->fd;
		sy->fd = -1;
		pthread_mutex_unlock(&sy->w.mu);
		t0 = now_us();
		rc = sy->sync(fd);
		err = errno;
		us = now_us() - t0;
		close(fd);
		pthread_mutex_lock(&sy->w.mu);
		sy->busy = 0;
		sy->st.done++;
		if (rc != 0) {
			sy->st.failed++;
			sy->st.last_errno = err;
		}
		sy->st.last_us = us;
		if (us > sy->st.max_us)
			sy->st.max_us = us;
	}
	pthread_mutex_unlock(&sy->w.mu);
	return NULL;
}

struct syncer *
syncer_new(int (*sync)(int))
{
	struct syncer *sy;

	sy = xcalloc(1, sizeof(*sy));
	sy->sync = sync;
	sy->fd = -1;
	if (worker_start(&sy->w, syncer_main, sy) != 0) {
		free(sy);
		return NULL;
	}
	return sy;
}

/* Waits for the sync in flight, and does the one handed over but untaken. */
void
syncer_free(struct syncer *sy)
{
	if (sy == NULL)
		return;
	worker_stop(&sy->w);
	free(sy);
}

int
syncer_request(struct syncer *sy, int fd)
{
	int dfd;

	pthread_mutex_lock(&sy->w.mu);
	if (sy->busy) {
		sy->st.skipped++;
		pthread_mutex_unlock(&sy->w.mu);
		return 0;
	}
	if ((dfd = dup(fd)) == -1) {
		sy->st.failed++;
		sy->st.last_errno = errno;
		pthread_mutex_unlock(&sy->w.mu);
		return -1;
	}
	sy->fd = dfd;
	sy->busy = 1;
	sy->st.requested++;
	pthread_cond_signal(&sy->w.cv);
	pthread_mutex_unlock(&sy->w.mu);
	return 1;
}

void
syncer_stats(struct syncer *sy, struct syncer_stats *st)
{
	pthread_mutex_lock(&sy->w.mu);
	*st = sy->st;
	st->busy = sy->busy;
	pthread_mutex_unlock(&sy->w.mu);
}
