/*
 * Helper threads (thread.h): the signal mask they start with and the
 * stop handshake of a worker sleeping on a condition. The agent's capture
 * and spool-sync threads, the collector's scorer and checkpoint threads
 * start here; their loops and their locking beyond the stop flag are
 * their own.
 */
#include <pthread.h>
#include <signal.h>

#include "leakwatch/thread.h"

int
thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int rc;

	/* The mask is inherited: blocked here, blocked in the new thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int
worker_start(struct worker *w, void *(*fn)(void *), void *arg)
{
	int rc;

	w->stop = 0;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if ((rc = thread_start(&w->thread, fn, arg)) != 0) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
	}
	return rc;
}

void
worker_stop(struct worker *w)
{
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
}
