/*
 * lib/thread.c: a helper thread starts with every signal blocked (the
 * main thread keeps its own mask), and a worker's stop wakes a thread
 * sleeping on its condition and waits for it to return.
 */
#include <pthread.h>
#include <signal.h>

#include "harness.h"
#include "leakwatch/thread.h"

static void *
mask_main(void *arg)
{
	sigset_t *seen = arg;

	pthread_sigmask(SIG_BLOCK, NULL, seen);
	return NULL;
}

static void
test_signals_blocked(void)
{
	sigset_t seen, mine;
	pthread_t t;

	sigemptyset(&seen);
	CHECK(thread_start(&t, mask_main, &seen) == 0);
	pthread_join(t, NULL);
	CHECK(sigismember(&seen, SIGTERM) == 1);
	CHECK(sigismember(&seen, SIGHUP) == 1);
	CHECK(sigismember(&seen, SIGINT) == 1);
	/* The caller's mask is as it was. */
	pthread_sigmask(SIG_BLOCK, NULL, &mine);
	CHECK(sigismember(&mine, SIGTERM) == 0);
}

struct job {
	struct worker	 w;
	int		 todo;
	int		 done;
	int		 exited;
};

/* Counts the work handed over until told to stop. */
static void *
job_main(void *arg)
{
	struct job *j = arg;

	pthread_mutex_lock(&j->w.mu);
	for (;;) {
		while (j->todo == 0 && !j->w.stop)
			pthread_cond_wait(&j->w.cv, &j->w.mu);
		if (j->todo == 0)
			break;
		j->done += j->todo;
		j->todo = 0;
	}
	j->exited = 1;
	pthread_mutex_unlock(&j->w.mu);
	return NULL;
}

static void
test_worker_stop(void)
{
	struct job j = { .todo = 0 };

	CHECK(worker_start(&j.w, job_main, &j) == 0);
	pthread_mutex_lock(&j.w.mu);
	j.todo = 3;
	pthread_cond_signal(&j.w.cv);
	pthread_mutex_unlock(&j.w.mu);
	worker_stop(&j.w);
	/* Joined: the thread saw the stop after doing the work handed over. */
	CHECK(j.exited == 1);
	CHECK(j.done == 3);
	CHECK(j.w.stop == 1);
}

static const struct test tests[] = {
	{ "signals_blocked", test_signals_blocked },
	{ "worker_stop", test_worker_stop },
};

HARNESS_MAIN(tests)
