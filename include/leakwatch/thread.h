/*
 * The programs' helper threads: started with every signal blocked, so
 * signals stay with the main thread and its libevent loop, and, for a
 * worker that sleeps on a condition until it has work or is told to stop,
 * the start and the stop in one place. What a thread does and what its
 * lock protects beyond the stop flag stay with its owner.
 */
#ifndef LEAKWATCH_THREAD_H
#define LEAKWATCH_THREAD_H

#include <pthread.h>

/*
 * pthread_create(3) with every signal blocked in the new thread. Returns
 * 0 or pthread_create()'s error number.
 */
int	 thread_start(pthread_t *, void *(*)(void *), void *);

/*
 * A thread that waits on cv under mu for work or for stop. Its owner
 * takes mu to hand work over and signals cv; the thread's loop reads stop
 * under mu.
 */
struct worker {
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 stop;
};

/* Initialises w and starts fn(arg); 0, or an error number and w unset. */
int	 worker_start(struct worker *w, void *(*fn)(void *), void *arg);
/* Sets stop, wakes the thread, waits for it to return, frees mu and cv. */
void	 worker_stop(struct worker *w);

#endif
