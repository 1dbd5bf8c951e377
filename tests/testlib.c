#include "testlib.h"

#include <rpmsg/rpmsg.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int t_failures;
int t_checks;

void t_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	t_failures++;
	fprintf(stderr, "FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void t_hexdiff(const void *got, const void *want, size_t len)
{
	const uint8_t *g = got, *w = want;

	for (size_t row = 0; row < len; row += 16) {
		size_t n = len - row < 16 ? len - row : 16;

		if (!memcmp(g + row, w + row, n))
			continue;
		fprintf(stderr, "  %04zx got :", row);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, " %02x", g[row + i]);
		fprintf(stderr, "\n  %04zx want:", row);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, " %02x", w[row + i]);
		fputc('\n', stderr);
	}
}

int t_done(void)
{
	printf("%d checks, %d failed\n", t_checks, t_failures);
	return t_failures ? 1 : 0;
}

static void on_alarm(int sig)
{
	static const char msg[] = "FAIL: test timed out\n";

	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	kill(0, SIGKILL); /* the whole process group: children too */
	_exit(124);
}

void t_timeout(unsigned seconds)
{
	const char *e = getenv("RPMSG_TEST_TIMEOUT"); /* longer runs (scripts/soak.sh) */

	if (e && atoi(e) > 0)
		seconds = (unsigned)atoi(e);
	setpgid(0, 0); /* our own group, so the timeout kills our children and not ctest */
	signal(SIGALRM, on_alarm);
	alarm(seconds);
}

uint64_t t_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool t_poll_until(struct rpmsg_bus *bus, bool (*cond)(void), int ms)
{
	for (int i = 0; i < ms / 5 && !cond(); i++)
		rpmsg_bus_poll(bus, 5);
	return cond();
}

static void *busy_poller_main(void *arg)
{
	struct t_busy_poller *p = arg;

	while (!atomic_load(&p->stop))
		rpmsg_bus_poll(p->bus, 0);
	return NULL;
}

void t_busy_poller_start(struct t_busy_poller *p, struct rpmsg_bus *bus)
{
	p->bus = bus;
	atomic_store(&p->stop, false);
	if (pthread_create(&p->th, NULL, busy_poller_main, p)) {
		t_fail(__FILE__, __LINE__, "pthread_create");
		exit(t_done());
	}
}

void t_busy_poller_stop(struct t_busy_poller *p)
{
	atomic_store(&p->stop, true);
	pthread_join(p->th, NULL);
}
