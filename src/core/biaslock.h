/*
 * A lock biased towards the thread that takes it most: a virtio ring's sending thread.
 *
 * Why: on x86 every locked instruction (a spinlock's exchange) first waits until all of the
 * thread's earlier stores have reached the cache. A sender's earlier stores are the last
 * message and ring index, lines its peer has just read: the exchange waits for them to come
 * back, once per message. The biased owner takes and gives back the lock with plain stores.
 *
 * How (an asymmetric Dekker): the owner raises its own `in` flag, then reads `revoke`,
 * ordered by nothing but a compiler barrier. Any other thread takes the inner spinlock,
 * raises `revoke`, then runs a barrier on every thread of the process (membarrier), then
 * waits for the owner's `in` to drop. The kernel's barrier orders the owner's store before
 * its load wherever it runs, so either the owner sees `revoke` and backs off, or the other
 * thread sees `in` and waits. Taking the lock from its owner also drops the bias, so one
 * membarrier is paid per change of hands, not per lock; a thread that then takes it
 * BIAS_AFTER times in a row through the slow path becomes the owner.
 *
 * Each thread that ever owned the lock has a slot of its own (its `in` flag): a thread that
 * read an old owner and comes late writes only its own flag, never the new owner's. Threads
 * beyond RPMSG_BIAS_SLOTS are never biased. Without membarrier (not Linux, an old kernel,
 * an emulator without it), under ThreadSanitizer (it cannot see the kernel's barrier) and on
 * bare metal this is a plain spinlock.
 */
#ifndef RPMSG_BIASLOCK_H
#define RPMSG_BIASLOCK_H

#include "core/os.h"

#if !RPMSG_BAREMETAL && defined(__linux__)
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#if defined(__SANITIZE_THREAD__)
#define RPMSG_BIAS_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RPMSG_BIAS_TSAN 1
#endif
#endif

#if RPMSG_BAREMETAL

typedef rpmsg_spinlock rpmsg_biaslock;
static inline void rpmsg_bias_init(rpmsg_biaslock *l) { (void)l; }
static inline int rpmsg_bias_lock(rpmsg_biaslock *l) { (void)l; return -1; }
static inline void rpmsg_bias_unlock(rpmsg_biaslock *l, int how) { (void)l; (void)how; }
static inline int rpmsg_bias_trylock(rpmsg_biaslock *l) { (void)l; return 0; }

#else

#define RPMSG_BIAS_SLOTS 4
#define RPMSG_BIAS_AFTER 16

typedef struct {
	rpmsg_spinlock inner;     /* held by every taker but the biased owner */
	atomic_int owner;         /* slot of the biased thread, -1 when none */
	atomic_int revoke;        /* a thread on the slow path holds or is taking `inner` */
	struct {
		_Atomic uintptr_t tag; /* the thread (rpmsg_bias_tag), 0 while free */
		atomic_int in;         /* that thread holds the lock by the fast path */
	} slot[RPMSG_BIAS_SLOTS];
	uintptr_t streak_tag;      /* under inner: who took it last through the slow path */
	unsigned streak;           /* and how many times in a row */
	bool no_bias;              /* under inner: membarrier failed, never bias again */
} rpmsg_biaslock;

/* A tag per live thread (a freed tag is reused by a later thread: the old one is gone). */
static inline uintptr_t rpmsg_bias_tag(void)
{
	static _Thread_local char anchor;

	return (uintptr_t)&anchor;
}

/*
 * Register this process for membarrier(PRIVATE_EXPEDITED): true when usable. Asked at each
 * bias (rare), not remembered: a process forked from a registered one is not registered.
 */
static inline bool rpmsg_bias_barrier_ok(void)
{
#if defined(__linux__) && !defined(RPMSG_BIAS_TSAN)
	return syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
#else
	return false;
#endif
}

static inline void rpmsg_bias_init(rpmsg_biaslock *l)
{
	atomic_init(&l->inner.held, 0);
	atomic_init(&l->owner, -1);
	atomic_init(&l->revoke, 0);
	for (int i = 0; i < RPMSG_BIAS_SLOTS; i++) {
		atomic_init(&l->slot[i].tag, 0);
		atomic_init(&l->slot[i].in, 0);
	}
	l->streak_tag = 0;
	l->streak = 0;
	l->no_bias = false;
}

/* The slow path: inner taken, the owner (if any) out and unbiased. Caller holds nothing. */
RPMSG_SLOW_PATH void rpmsg_bias_lock_slow(rpmsg_biaslock *l)
{
	int o;

	rpmsg_spin_lock(&l->inner);
	o = atomic_load_explicit(&l->owner, memory_order_relaxed);
	if (o < 0)
		return;
	atomic_store_explicit(&l->revoke, 1, memory_order_seq_cst);
#if defined(__linux__) && !defined(RPMSG_BIAS_TSAN)
	/* An owner exists only where this succeeded once: it does again. */
	(void)syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
#endif
	/* The owner may hold it long (a sender waiting for a buffer): as rpmsg_spin_lock. */
	for (unsigned n = 0; atomic_load_explicit(&l->slot[o].in, memory_order_acquire);)
		rpmsg_os_backoff(++n);
	atomic_store_explicit(&l->owner, -1, memory_order_relaxed);
}

/* Take the lock; give the result to rpmsg_bias_unlock (the owner's slot, -1: slow path). */
static inline int rpmsg_bias_lock(rpmsg_biaslock *l)
{
	int o = atomic_load_explicit(&l->owner, memory_order_relaxed);

	if (o >= 0 && atomic_load_explicit(&l->slot[o].tag, memory_order_relaxed) == rpmsg_bias_tag()) {
		atomic_store_explicit(&l->slot[o].in, 1, memory_order_relaxed);
		atomic_signal_fence(memory_order_seq_cst); /* the other half is the taker's membarrier */
		if (!atomic_load_explicit(&l->revoke, memory_order_acquire) &&
		    atomic_load_explicit(&l->owner, memory_order_relaxed) == o)
			return o;
		atomic_store_explicit(&l->slot[o].in, 0, memory_order_release);
	}
	rpmsg_bias_lock_slow(l);
	return -1;
}

/* Unlock after the slow path. */
RPMSG_SLOW_PATH void rpmsg_bias_unlock_slow(rpmsg_biaslock *l)
{
	uintptr_t me;

	/*
	 * A thread that keeps coming the slow way becomes the owner, if it has or finds a slot
	 * and membarrier works (tried once per streak: never a syscall per lock).
	 */
	me = rpmsg_bias_tag();
	l->streak = l->streak_tag == me ? l->streak + 1 : 1;
	l->streak_tag = me;
	if (l->streak >= RPMSG_BIAS_AFTER && !l->no_bias) {
		int s = -1;

		l->streak = 0;
		for (int i = 0; i < RPMSG_BIAS_SLOTS && s < 0; i++)
			if (atomic_load_explicit(&l->slot[i].tag, memory_order_relaxed) == me)
				s = i;
		for (int i = 0; i < RPMSG_BIAS_SLOTS && s < 0; i++)
			if (!atomic_load_explicit(&l->slot[i].tag, memory_order_relaxed))
				atomic_store_explicit(&l->slot[s = i].tag, me, memory_order_relaxed);
		if (s >= 0 && !(l->no_bias = !rpmsg_bias_barrier_ok()))
			atomic_store_explicit(&l->owner, s, memory_order_relaxed);
	}
	/* Published by the release: an owner that reads revoke == 0 sees the new owner too. */
	atomic_store_explicit(&l->revoke, 0, memory_order_release);
	rpmsg_spin_unlock(&l->inner);
}

static inline void rpmsg_bias_unlock(rpmsg_biaslock *l, int how)
{
	if (how >= 0)
		atomic_store_explicit(&l->slot[how].in, 0, memory_order_release);
	else
		rpmsg_bias_unlock_slow(l);
}

/* Take it only if that needs no waiting: 0 taken (unlock with how = -1), else busy. */
static inline int rpmsg_bias_trylock(rpmsg_biaslock *l)
{
	if (rpmsg_spin_trylock(&l->inner))
		return 1;
	if (atomic_load_explicit(&l->owner, memory_order_relaxed) >= 0) {
		/* Biased: revoking costs a membarrier and may wait; a trylock does not. */
		rpmsg_spin_unlock(&l->inner);
		return 1;
	}
	return 0;
}

#endif
#endif
