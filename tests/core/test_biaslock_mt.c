/*
 * The biased lock (src/core/biaslock.h): a thread that keeps taking it becomes its owner
 * and then takes it without a locked instruction; any other thread still excludes it.
 * Threads add to a plain counter under the lock in bursts of random length, yielding in
 * between, so the bias moves from hand to hand; a lost update means a broken exclusion.
 * Six threads, more than the lock's four owner slots. One holder sleeps inside while the
 * others wait. (Under TSan the lock is a plain spinlock: TSan cannot see membarrier.)
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>

#include "core/biaslock.h"
#include "testlib.h"

#define THREADS 6
#define PER_THREAD 200000

static rpmsg_biaslock lock;
static unsigned long counter; /* plain: only the lock protects it */
static atomic_ulong fast_takes, slow_takes;
static atomic_int changed_under_sleeper; /* CHECK is for the main thread only */

static void *hammer(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u + 1;
	unsigned long fast = 0, slow = 0;

	for (int done = 0; done < PER_THREAD;) {
		int burst;

		seed = seed * 1103515245u + 12345u;
		burst = 1 + (int)((seed >> 16) % 100);
		for (int i = 0; i < burst && done < PER_THREAD; i++, done++) {
			int how = rpmsg_bias_lock(&lock);

			counter++;
			if (how >= 0)
				fast++;
			else
				slow++;
			rpmsg_bias_unlock(&lock, how);
		}
		sched_yield();
	}
	atomic_fetch_add(&fast_takes, fast);
	atomic_fetch_add(&slow_takes, slow);
	return NULL;
}

static void *sleeper(void *arg)
{
	struct timespec ms2 = { 0, 2000000 };

	(void)arg;
	for (int i = 0; i < 20; i++) {
		int how = rpmsg_bias_lock(&lock);
		unsigned long before = counter;

		nanosleep(&ms2, NULL); /* the others wait (spin, yield, nap) meanwhile */
		if (counter != before)
			atomic_fetch_add(&changed_under_sleeper, 1);
		counter++;
		rpmsg_bias_unlock(&lock, how);
		nanosleep(&ms2, NULL);
	}
	return NULL;
}

int main(void)
{
	pthread_t th[THREADS + 1];
	bool bias = rpmsg_bias_barrier_ok();
	int how, fast = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	t_timeout(60);
	rpmsg_bias_init(&lock);

	/* One thread: slow until RPMSG_BIAS_AFTER takes in a row, then fast (if membarrier). */
	for (int i = 0; i < 3 * RPMSG_BIAS_AFTER; i++) {
		how = rpmsg_bias_lock(&lock);
		fast += how >= 0;
		rpmsg_bias_unlock(&lock, how);
	}
	printf("membarrier %s; one thread: %d of %d takes fast\n", bias ? "usable" : "not usable",
	       fast, 3 * RPMSG_BIAS_AFTER);
	CHECK_EQ(fast, bias ? 2 * RPMSG_BIAS_AFTER : 0);

	/* Biased (and free): a trylock from anyone does not revoke. Unbiased and free: taken. */
	if (bias)
		CHECK(rpmsg_bias_trylock(&lock) != 0);
	how = rpmsg_bias_lock(&lock); /* still ours */
	rpmsg_bias_unlock(&lock, how);

	for (int i = 0; i < THREADS; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, hammer, (void *)(uintptr_t)(i + 1)), 0);
	CHECK_EQ(pthread_create(&th[THREADS], NULL, sleeper, NULL), 0);
	for (int i = 0; i <= THREADS; i++)
		pthread_join(th[i], NULL);
	printf("%d threads + a sleeper: counter %lu (want %lu), %lu fast and %lu slow takes\n",
	       THREADS, counter, (unsigned long)THREADS * PER_THREAD + 20,
	       atomic_load(&fast_takes), atomic_load(&slow_takes));
	CHECK_EQ(counter, (unsigned long)THREADS * PER_THREAD + 20);
	CHECK_EQ(atomic_load(&changed_under_sleeper), 0);
	if (bias)
		CHECK(atomic_load(&fast_takes) > 0);

	/* Unbiased after the others took it, free: trylock takes it. */
	how = rpmsg_bias_lock(&lock);
	rpmsg_bias_unlock(&lock, how);
	if (how < 0 && atomic_load_explicit(&lock.owner, memory_order_relaxed) < 0) {
		CHECK_EQ(rpmsg_bias_trylock(&lock), 0);
		rpmsg_bias_unlock(&lock, -1);
	}
	return t_done();
}
