/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rpmsg-bench internals: timing, sample sets, the parent/child process plumbing shared by
 * every case, and the case runners (baselines.c: plain shared memory and Unix sockets;
 * link_bench.c: librpmsg's transports over the POSIX platform).
 */
#ifndef RPMSG_BENCH_H
#define RPMSG_BENCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BENCH_LINE 64
#define BENCH_MTU 496       /* virtio payload with the default 512-byte buffers */
#define BENCH_STOP_LEN 1    /* a 1-byte message ends a run (payloads are 16 or 496 bytes) */
#define BENCH_SETUP_MS 5000 /* how long set-up (fork, attach, name service) may take */
#define BENCH_WINDOWS 16384 /* throughput windows kept per run */
#define BENCH_WINDOW_NS 1000000u /* throughput window length (the clock is read every 64 messages) */

/* How long one run of one case may go on, and how many iterations it may take. */
struct bench_budget {
	double seconds;   /* measured time */
	double warmup;    /* seconds run first and not measured (latency cases) */
	long iters;       /* at most this many measured iterations (round trips / messages) */
};

/* Round-trip times in nanoseconds. */
struct samples {
	uint64_t *v;
	size_t n, cap;
};

int samples_reserve(struct samples *s, size_t more);
void samples_free(struct samples *s);
/* Sorts in place; q in [0,1]. */
uint64_t samples_quantile(struct samples *s, double q);

/* The result of one run of one case. */
struct run_result {
	uint64_t msgs;     /* throughput: messages the consumer received */
	uint64_t ns;       /* throughput: first send to last receive */
	uint64_t notifies; /* virtio: doorbells rung by the parent's link (info) */
	uint64_t tx_waits; /* virtio: parent sends that had to wait for a buffer (info) */
	uint64_t sent;     /* virtio: messages the parent sent, warm-up included (info) */
	uint64_t full;     /* virtio busy throughput: trysend found no buffer (the consumer lags) */
};

/*
 * One process's CPU time and wall time over the measured part of a run, set-up and
 * tear-down left out (those sleep: fork, attach, the name service, reaping).
 */
struct bench_phase {
	uint64_t cpu_ns, wall_ns;
};
/* Start the phase (the calling thread's CPU clock and CLOCK_MONOTONIC), and end it. */
void bench_phase_begin(struct bench_phase *p);
void bench_phase_end(struct bench_phase *p);
/* Add an ended phase to a sum of them. */
void bench_phase_add(struct bench_phase *sum, const struct bench_phase *p);
/* Count an ended phase towards the case running now: side 0 the parent's, 1 the child's
 * (as the child left it in struct bench_ctl). */
void bench_phase_note(int side, const struct bench_phase *p);
/* The phases noted since the last call, summed per side (zeroes where none was noted). */
void bench_take_phases(struct bench_phase out[2]);

/*
 * A page both processes of a case share (MAP_SHARED | MAP_ANONYMOUS, made before fork).
 * Every field the two sides write is on its own cache line.
 */
struct bench_ctl {
	_Alignas(BENCH_LINE) _Atomic uint64_t ping; /* parent writes (cache-line ping-pong) */
	_Alignas(BENCH_LINE) _Atomic uint64_t pong; /* child writes */
	_Alignas(BENCH_LINE) _Atomic int ready;     /* child: set up and waiting */
	_Atomic int done;                           /* child: finished, results below valid */
	int err;                                    /* child: 0 or a negative errno / code */
	uint64_t count;                             /* child: messages received */
	uint64_t t_end;                             /* child: CLOCK_MONOTONIC at the stop message */
	uint32_t check;                             /* child: folds the received bytes (kept live) */
	struct bench_phase phase;                   /* child: its measured phase (spinning cases) */
	/* child, throughput: messages and nanoseconds of each ~1 ms window of the run */
	uint32_t nwin;
	struct bench_window {
		uint64_t msgs, ns;
	} win[BENCH_WINDOWS];
};

/* The consumer's window clock: call after each message with the running count. */
struct win_clock {
	uint64_t t0, n0;
};
void win_tick(struct bench_ctl *ctl, struct win_clock *w, uint64_t count);
/* Append the window rates (messages/s) the child recorded to `out`. */
int win_collect(const struct bench_ctl *ctl, struct samples *out);

/* The measurement loop of the latency cases: stop on time or on the iteration cap. */
struct lat_loop {
	uint64_t warm_end, end, prev;
	long left;
};
void lat_start(struct lat_loop *l, const struct bench_budget *b);
/* Record the round trip that just ended (after the warm-up); false when the run is over. */
bool lat_step(struct lat_loop *l, struct samples *s, int *err);
/* Seconds a child of a case may live (its alarm). */
unsigned bench_child_watchdog(const struct bench_budget *b);

uint64_t bench_now(void);
void bench_relax(void);
/* Keeps the compiler from dropping a copy into `p`. */
void bench_keep(const void *p);

/* Shared anonymous mapping of `size` bytes (zeroed), or NULL. */
void *bench_shared_alloc(size_t size);
void bench_shared_free(void *p, size_t size);

/*
 * Fork the child of one case. In the child: default signal dispositions, SIGKILL when the
 * parent dies, a watchdog alarm; the function returns 0 there. In the parent it returns the
 * pid (remembered for clean-up) or a negative errno.
 */
pid_t bench_fork(unsigned watchdog_s);
/* Wait up to timeout_ms for the child to exit, then kill it. Returns its exit code, or -1. */
int bench_reap(pid_t pid, int timeout_ms);
/*
 * Involuntary context switches (preemptions) of this process and of the children reaped
 * since the last call: a busy-poll run that was preempted measured the scheduler.
 */
uint64_t bench_take_nivcsw(void);
/* True once the current child has died (SIGCHLD seen). */
bool bench_child_dead(void);
/* Wait until *flag != 0, the child dies, or timeout_ms passes. 0, -ECHILD or -ETIMEDOUT. */
int bench_wait_flag(_Atomic int *flag, int timeout_ms);
/* Name of the POSIX platform link in use (unlinked on every exit path); NULL when none. */
void bench_set_shm_name(const char *name);
/* Called from bench_wait_* and by SIGCHLD: a bus to wake when the child dies. */
struct rpmsg_bus;
void bench_set_wake_bus(struct rpmsg_bus *bus);
/* Signal handlers and atexit clean-up (kill the child, unlink the link names). */
void bench_install_cleanup(void);
/* Arm (seconds > 0) or disarm (0) the parent's watchdog for the case `what`. */
void bench_watchdog(unsigned seconds, const char *what);

/* ---- the cases; each returns 0 or a negative errno ---- */

/* (a) one cache line each way, spinning: round trip. */
int run_cacheline_rtt(const struct bench_budget *b, struct samples *out);
/* (b) single-producer single-consumer ring of 256 x 512-byte slots: one-way throughput. */
int run_ring_tput(size_t size, const struct bench_budget *b, struct run_result *out,
		  struct samples *win_rates);
/* (c) socketpair(AF_UNIX, SOCK_SEQPACKET), blocking read/write: round trip. */
int run_socket_rtt(size_t size, const struct bench_budget *b, struct samples *out);

/* One librpmsg transport as the cases drive it (link_bench.c). */
struct rpmsg_bus;
struct rpmsg_link;
struct rpmsg_platform;
struct rpmsg_endpoint;
struct bench_transport {
	const char *name;
	size_t shm_size;
	/* remote: the remote processor's role, else the main CPU's */
	int (*create)(struct rpmsg_bus *bus, struct rpmsg_platform *plat, bool remote,
		      struct rpmsg_link **out);
	/* remote: offer the bench service with this callback */
	int (*serve)(struct rpmsg_link *link,
		     int (*cb)(struct rpmsg_endpoint *, void *, size_t, uint32_t, void *), void *priv,
		     struct rpmsg_endpoint **out);
	/* optional: the link's doorbell and wait counters */
	int (*counters)(struct rpmsg_link *link, struct run_result *info);
	bool sees_reset; /* the remote sees the main CPU's bus go (virtio's status reset) */
};
const struct bench_transport *bench_transport(const char *name);
/* --capture FILE: the parent's bus captures to FILE (pcapng) while a case runs. */
extern const char *bench_capture_path;

/* busy = rpmsg_bus_poll(bus, 0) + trysend; otherwise poll(-1) + blocking send. */
int run_link_rtt(const struct bench_transport *t, bool busy, size_t size,
		 const struct bench_budget *b, struct samples *out, struct run_result *info);
/* burst > 1 (busy only): the parent sends with rpmsg_trysend_burst, `burst` at a time. */
#define BENCH_MAX_BURST 64
int run_link_tput(const struct bench_transport *t, bool busy, size_t size, int burst,
		  const struct bench_budget *b, struct run_result *out, struct samples *win_rates);
/* Both sides in this thread, polled in turn (busy): what the library's code costs per round
 * trip when no cache line has to cross to another CPU. */
int run_link_onethread_rtt(const struct bench_transport *t, size_t size, const struct bench_budget *b,
			   struct samples *out);
int run_link_onethread_tput(const struct bench_transport *t, size_t size, const struct bench_budget *b,
			    struct run_result *out);

#endif
