/*
 * The few operating-system services the core and the transports use: locks, one condition,
 * memory, time, yielding. POSIX maps them to pthreads and the C heap; a bare-metal build
 * (RPMSG_BAREMETAL) runs everything in one context (interrupt handlers only flag work, see
 * include/rpmsg/baremetal.h), so locks vanish and memory comes from a static arena.
 */
#ifndef RPMSG_OS_H
#define RPMSG_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The roles a build carries: a firmware build may leave one out (cmake/baremetal.cmake). */
#ifndef RPMSG_ROLE_MAIN
#define RPMSG_ROLE_MAIN 1
#endif
#ifndef RPMSG_ROLE_REMOTE
#define RPMSG_ROLE_REMOTE 1
#endif

/*
 * A lock's slow path, defined in a header: out of line and cold, so that the callers' fast
 * paths keep fewer registers (inlined, the slow path made every caller save and restore
 * more on each call); unused in some files.
 */
#define RPMSG_SLOW_PATH static __attribute__((noinline, cold, unused))

#if RPMSG_BAREMETAL

typedef struct { char unused; } rpmsg_mutex;
typedef struct { char unused; } rpmsg_cond;

static inline void rpmsg_mutex_init(rpmsg_mutex *m, bool recursive) { (void)m; (void)recursive; }
static inline void rpmsg_mutex_destroy(rpmsg_mutex *m) { (void)m; }
static inline void rpmsg_mutex_lock(rpmsg_mutex *m) { (void)m; }
static inline void rpmsg_mutex_unlock(rpmsg_mutex *m) { (void)m; }
static inline int rpmsg_mutex_trylock(rpmsg_mutex *m) { (void)m; return 0; }
static inline void rpmsg_cond_init(rpmsg_cond *c) { (void)c; }
static inline void rpmsg_cond_destroy(rpmsg_cond *c) { (void)c; }
static inline void rpmsg_cond_broadcast(rpmsg_cond *c) { (void)c; }
/* One context: nobody else can change what the caller waits for. */
static inline void rpmsg_cond_wait(rpmsg_cond *c, rpmsg_mutex *m) { (void)c; (void)m; }
static inline void rpmsg_os_yield(void) {}

typedef struct { char unused; } rpmsg_spinlock;
static inline void rpmsg_spin_lock(rpmsg_spinlock *l) { (void)l; }
static inline void rpmsg_spin_unlock(rpmsg_spinlock *l) { (void)l; }
static inline int rpmsg_spin_trylock(rpmsg_spinlock *l) { (void)l; return 0; }

typedef struct { char unused; } rpmsg_rspinlock;
static inline void rpmsg_rspin_lock(rpmsg_rspinlock *l) { (void)l; }
static inline void rpmsg_rspin_unlock(rpmsg_rspinlock *l) { (void)l; }

/* src/platform/baremetal.c: the static arena and the integrator's clock. */
void *rpmsg_os_zalloc(size_t size);
void rpmsg_os_free(void *p);
uint64_t rpmsg_os_now_ns(void);

#else /* POSIX */

#include <pthread.h>
#include <stdatomic.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

typedef pthread_mutex_t rpmsg_mutex;
typedef pthread_cond_t rpmsg_cond;

static inline void rpmsg_mutex_init(rpmsg_mutex *m, bool recursive)
{
	pthread_mutexattr_t attr;

	pthread_mutexattr_init(&attr);
	if (recursive)
		pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(m, &attr);
	pthread_mutexattr_destroy(&attr);
}
static inline void rpmsg_mutex_destroy(rpmsg_mutex *m) { pthread_mutex_destroy(m); }
static inline void rpmsg_mutex_lock(rpmsg_mutex *m) { pthread_mutex_lock(m); }
static inline void rpmsg_mutex_unlock(rpmsg_mutex *m) { pthread_mutex_unlock(m); }
/* 0 when taken, nonzero when another thread holds it. */
static inline int rpmsg_mutex_trylock(rpmsg_mutex *m) { return pthread_mutex_trylock(m); }
static inline void rpmsg_cond_init(rpmsg_cond *c) { pthread_cond_init(c, NULL); }
static inline void rpmsg_cond_destroy(rpmsg_cond *c) { pthread_cond_destroy(c); }
static inline void rpmsg_cond_broadcast(rpmsg_cond *c) { pthread_cond_broadcast(c); }
static inline void rpmsg_cond_wait(rpmsg_cond *c, rpmsg_mutex *m) { pthread_cond_wait(c, m); }
static inline void rpmsg_os_yield(void) { sched_yield(); }

/*
 * A lock for the few lines of work on the message path: taking it is one exchange and
 * giving it back a plain store, where a mutex pays a locked instruction and a library call
 * each way. A waiter spins a little, then yields the CPU (the holder may need it), then
 * naps: the lock may be held across a long wait (a virtio sender waiting for a buffer
 * keeps its ring's lock, so that the senders behind it stay behind). Zero means unlocked.
 */
typedef struct { atomic_int held; } rpmsg_spinlock;

/* One step of waiting for a lock's holder, the n-th (from 1): spin, yield, then nap. */
static inline void rpmsg_os_backoff(unsigned n)
{
	if (n < 64) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
	} else if (n < 1024) {
		sched_yield();
	} else {
		struct timespec nap = { .tv_nsec = 100000 };

		nanosleep(&nap, NULL);
	}
}

/* Waiting for a held lock (the fast path is one exchange). */
RPMSG_SLOW_PATH void rpmsg_spin_wait(rpmsg_spinlock *l)
{
	unsigned n = 0;

	do {
		while (atomic_load_explicit(&l->held, memory_order_relaxed))
			rpmsg_os_backoff(++n);
	} while (atomic_exchange_explicit(&l->held, 1, memory_order_acquire));
}

static inline void rpmsg_spin_lock(rpmsg_spinlock *l)
{
	if (atomic_exchange_explicit(&l->held, 1, memory_order_acquire))
		rpmsg_spin_wait(l);
}
static inline void rpmsg_spin_unlock(rpmsg_spinlock *l)
{
	atomic_store_explicit(&l->held, 0, memory_order_release);
}
/* 0 when taken, nonzero when another thread holds it. */
static inline int rpmsg_spin_trylock(rpmsg_spinlock *l)
{
	return atomic_exchange_explicit(&l->held, 1, memory_order_acquire);
}

/* The same, taken again by its holder without waiting (a callback that destroys its own
 * endpoint, under the lock its caller holds). Zero means unlocked. */
typedef struct {
	rpmsg_spinlock lock;
	_Atomic(pthread_t) owner; /* valid while depth > 0; read by others only to compare */
	unsigned depth;
} rpmsg_rspinlock;

static inline void rpmsg_rspin_lock(rpmsg_rspinlock *l)
{
	pthread_t self = pthread_self();

	if (atomic_load_explicit(&l->lock.held, memory_order_relaxed) &&
	    pthread_equal(atomic_load_explicit(&l->owner, memory_order_relaxed), self)) {
		l->depth++;
		return;
	}
	rpmsg_spin_lock(&l->lock);
	atomic_store_explicit(&l->owner, self, memory_order_relaxed);
	l->depth = 1;
}
static inline void rpmsg_rspin_unlock(rpmsg_rspinlock *l)
{
	if (--l->depth)
		return;
	atomic_store_explicit(&l->owner, (pthread_t)0, memory_order_relaxed);
	rpmsg_spin_unlock(&l->lock);
}

static inline void *rpmsg_os_zalloc(size_t size) { return calloc(1, size); }
static inline void rpmsg_os_free(void *p) { free(p); }

static inline uint64_t rpmsg_os_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
/* ---- the same on every build ---- */

/* Pause the calling thread (bare metal: spin on the clock, there is nothing to sleep on). */
static inline void rpmsg_os_sleep_ms(unsigned ms)
{
#if RPMSG_BAREMETAL
	uint64_t end = rpmsg_os_now_ns() + (uint64_t)ms * 1000000u;

	while (rpmsg_os_now_ns() < end)
		rpmsg_os_yield();
#else
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
#endif
}

/* Statistics counters: one context on bare metal, where 64-bit atomics are libgcc calls. */
static inline void rpmsg_stat_add(uint64_t *c, uint64_t n)
{
#if RPMSG_BAREMETAL
	*c += n;
#else
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
#endif
}

/*
 * The same for a counter whose writers are serialized by a lock (or one context): a plain
 * increment, without the locked instruction, still race-free for readers.
 */
static inline void rpmsg_stat_add_owned(uint64_t *c, uint64_t n)
{
#if RPMSG_BAREMETAL
	*c += n;
#else
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
#endif
}

static inline uint64_t rpmsg_stat_get(const uint64_t *c)
{
#if RPMSG_BAREMETAL
	return *c;
#else
	return __atomic_load_n(c, __ATOMIC_RELAXED);
#endif
}

/* strnlen, which a freestanding C library need not have. */
static inline size_t rpmsg_strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

/* snprintf("%s") without stdio: at most cap - 1 bytes, always terminated. */
static inline void rpmsg_name_copy(char *dst, size_t cap, const char *src)
{
	size_t n = rpmsg_strnlen(src, cap - 1);

	for (size_t i = 0; i < n; i++)
		dst[i] = src[i];
	dst[n] = '\0';
}

/* Little-endian <-> this CPU (each its own inverse); <endian.h> is glibc's. */
static inline uint32_t rpmsg_le32(uint32_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap32(v);
#else
	return v;
#endif
}

static inline uint16_t rpmsg_le16(uint16_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap16(v);
#else
	return v;
#endif
}

#endif
