/* SPDX-License-Identifier: BSD-3-Clause */
/* rpmsg-bench: timing, samples, and the process plumbing every case shares. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rpmsg/platform.h>
#include <rpmsg/rpmsg.h>

#include "bench.h"

uint64_t bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void bench_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

void bench_keep(const void *p)
{
	__asm__ __volatile__("" : : "r"(p) : "memory");
}

/* ---- samples ---- */

int samples_reserve(struct samples *s, size_t more)
{
	if (s->n + more <= s->cap)
		return 0;
	size_t cap = s->cap ? s->cap : 4096;

	while (cap < s->n + more)
		cap *= 2;
	uint64_t *v = realloc(s->v, cap * sizeof(*v));

	if (!v)
		return -ENOMEM;
	s->v = v;
	s->cap = cap;
	return 0;
}

void samples_free(struct samples *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t samples_quantile(struct samples *s, double q)
{
	size_t i;

	if (!s->n)
		return 0;
	qsort(s->v, s->n, sizeof(s->v[0]), cmp_u64);
	i = (size_t)(q * (double)(s->n - 1) + 0.5);
	return s->v[i < s->n ? i : s->n - 1];
}

/* ---- shared memory ---- */

void *bench_shared_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void bench_shared_free(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}

/* ---- processes and clean-up ---- */

static volatile sig_atomic_t g_child;      /* pid of the live child, 0 if none */
static volatile sig_atomic_t g_child_dead; /* SIGCHLD seen since the fork */
static struct rpmsg_bus *volatile g_wake_bus;
static char g_shm_name[64];                /* POSIX link in use, "" if none */
static const char *g_watch_what = "";

static void cleanup(void)
{
	pid_t pid = (pid_t)g_child;

	if (pid > 0) {
		kill(pid, SIGKILL);
		g_child = 0;
	}
	if (g_shm_name[0]) {
		rpmsg_posix_unlink(g_shm_name);
		g_shm_name[0] = 0;
	}
}

static void on_fatal_signal(int sig)
{
	if (sig == SIGALRM) {
		static const char msg[] = "rpmsg-bench: watchdog: a case hung: ";

		(void)!write(2, msg, sizeof(msg) - 1);
		(void)!write(2, g_watch_what, strlen(g_watch_what));
		(void)!write(2, "\n", 1);
	}
	cleanup();
	if (sig == SIGALRM)
		_exit(3);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_sigchld(int sig)
{
	struct rpmsg_bus *bus = g_wake_bus;
	int saved = errno;

	(void)sig;
	g_child_dead = 1;
	if (bus)
		rpmsg_bus_wake(bus); /* one write(2) on an eventfd: async-signal-safe */
	errno = saved;
}

void bench_install_cleanup(void)
{
	static const int fatal[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGALRM };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_fatal_signal;
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* a dead socket peer shows up as EPIPE */
	atexit(cleanup);
}

void bench_watchdog(unsigned seconds, const char *what)
{
	g_watch_what = what ? what : "";
	alarm(seconds);
}

void bench_set_shm_name(const char *name)
{
	if (name)
		snprintf(g_shm_name, sizeof(g_shm_name), "%s", name);
	else
		g_shm_name[0] = 0;
}

void bench_set_wake_bus(struct rpmsg_bus *bus)
{
	g_wake_bus = bus;
}

bool bench_child_dead(void)
{
	return g_child_dead != 0;
}

pid_t bench_fork(unsigned watchdog_s)
{
	static const int reset[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGALRM, SIGCHLD, SIGPIPE };
	pid_t parent = getpid(), pid;

	fflush(NULL);
	g_child_dead = 0;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		g_child = pid;
		return pid;
	}
	/* The child: never touches the parent's clean-up state, dies with the parent. */
	g_child = 0;
	g_shm_name[0] = 0;
	g_wake_bus = NULL;
	for (size_t i = 0; i < sizeof(reset) / sizeof(reset[0]); i++)
		signal(reset[i], SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(99);
	alarm(watchdog_s);
	return 0;
}

static void sleep_us(unsigned us)
{
	struct timespec ts = { .tv_sec = us / 1000000u, .tv_nsec = (long)(us % 1000000u) * 1000L };

	nanosleep(&ts, NULL);
}

static uint64_t g_child_nivcsw; /* involuntary context switches of reaped children */

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void bench_phase_begin(struct bench_phase *p)
{
	p->cpu_ns = thread_cpu_ns();
	p->wall_ns = bench_now();
}

void bench_phase_end(struct bench_phase *p)
{
	p->cpu_ns = thread_cpu_ns() - p->cpu_ns;
	p->wall_ns = bench_now() - p->wall_ns;
}

void bench_phase_add(struct bench_phase *sum, const struct bench_phase *p)
{
	sum->cpu_ns += p->cpu_ns;
	sum->wall_ns += p->wall_ns;
}

static struct bench_phase g_phases[2]; /* noted since the last bench_take_phases */

void bench_phase_note(int side, const struct bench_phase *p)
{
	bench_phase_add(&g_phases[side], p);
}

void bench_take_phases(struct bench_phase out[2])
{
	memcpy(out, g_phases, sizeof(g_phases));
	memset(g_phases, 0, sizeof(g_phases));
}

uint64_t bench_take_nivcsw(void)
{
	static uint64_t self_seen;
	struct rusage ru;
	uint64_t self = 0, n;

	if (getrusage(RUSAGE_SELF, &ru) == 0)
		self = (uint64_t)ru.ru_nivcsw;
	n = g_child_nivcsw + (self - self_seen);
	self_seen = self;
	g_child_nivcsw = 0;
	return n;
}

int bench_reap(pid_t pid, int timeout_ms)
{
	uint64_t deadline = bench_now() + (uint64_t)timeout_ms * 1000000u;
	struct rusage ru;
	int status = 0;
	pid_t r;

	if (pid <= 0)
		return -1;
	memset(&ru, 0, sizeof(ru));
	while ((r = wait4(pid, &status, WNOHANG, &ru)) == 0 && bench_now() < deadline)
		sleep_us(200);
	if (r > 0)
		g_child_nivcsw += (uint64_t)ru.ru_nivcsw;
	if (r == 0) {
		kill(pid, SIGKILL);
		r = waitpid(pid, &status, 0);
		status = -1;
	} else if (r < 0) {
		status = -1;
	} else {
		status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	}
	if (g_child == pid)
		g_child = 0;
	return status;
}

int bench_wait_flag(_Atomic int *flag, int timeout_ms)
{
	uint64_t deadline = bench_now() + (uint64_t)timeout_ms * 1000000u;

	for (;;) {
		if (atomic_load(flag))
			return 0;
		if (g_child_dead)
			return atomic_load(flag) ? 0 : -ECHILD;
		if (bench_now() >= deadline)
			return -ETIMEDOUT;
		sleep_us(100);
	}
}

/* ---- the latency loop ---- */

unsigned bench_child_watchdog(const struct bench_budget *b)
{
	return (unsigned)(b->warmup + b->seconds) + 30u;
}

void lat_start(struct lat_loop *l, const struct bench_budget *b)
{
	uint64_t now = bench_now();

	l->warm_end = now + (uint64_t)(b->warmup * 1e9);
	l->end = l->warm_end + (uint64_t)(b->seconds * 1e9);
	l->prev = now;
	l->left = b->iters > 0 ? b->iters : -1;
}

/* Record the round trip that just ended; false when the run is over. */
bool lat_step(struct lat_loop *l, struct samples *s, int *err)
{
	uint64_t t = bench_now();

	if (t >= l->warm_end) {
		if (samples_reserve(s, 1)) {
			*err = -ENOMEM;
			return false;
		}
		s->v[s->n++] = t - l->prev;
		if (l->left > 0)
			l->left--;
	}
	l->prev = t;
	return t < l->end && l->left != 0;
}

/* ---- throughput windows ---- */

void win_tick(struct bench_ctl *ctl, struct win_clock *w, uint64_t count)
{
	uint64_t t;

	if (count & 63)
		return;
	t = bench_now();
	if (!w->t0) {
		w->t0 = t;
		w->n0 = count;
		return;
	}
	if (t - w->t0 < BENCH_WINDOW_NS)
		return;
	if (ctl->nwin < BENCH_WINDOWS) {
		ctl->win[ctl->nwin].msgs = count - w->n0;
		ctl->win[ctl->nwin].ns = t - w->t0;
		ctl->nwin++;
	}
	w->t0 = t;
	w->n0 = count;
}

int win_collect(const struct bench_ctl *ctl, struct samples *out)
{
	uint32_t n = ctl->nwin < BENCH_WINDOWS ? ctl->nwin : BENCH_WINDOWS;

	if (samples_reserve(out, n))
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		if (ctl->win[i].ns)
			out->v[out->n++] = (uint64_t)((double)ctl->win[i].msgs * 1e9 / (double)ctl->win[i].ns);
	return 0;
}
