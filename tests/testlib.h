/* Minimal test helpers shared by every test: checks that report file:line and keep going. */
#ifndef RPMSG_TESTLIB_H
#define RPMSG_TESTLIB_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>

extern int t_failures;
extern int t_checks;

void t_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Print a hex dump of two buffers side by side where they differ (golden-byte tests). */
void t_hexdiff(const void *got, const void *want, size_t len);
/* Print the summary and return the process exit code (0 when every check passed). */
int t_done(void);
/* Abort the whole test (and its children) after `seconds`: tests are bounded in time. */
void t_timeout(unsigned seconds);
/* Monotonic time in nanoseconds. */
uint64_t t_now_ns(void);
struct rpmsg_bus;
/* Poll `bus` in 5 ms steps until cond() holds or about `ms` pass; returns cond(). */
bool t_poll_until(struct rpmsg_bus *bus, bool (*cond)(void), int ms);

/* A thread that busy-polls a bus (rpmsg_bus_poll(bus, 0) over and over) until stopped: a
 * second poller beside the bus's own. */
struct t_busy_poller {
	struct rpmsg_bus *bus;
	_Atomic bool stop;
	pthread_t th;
};
void t_busy_poller_start(struct t_busy_poller *p, struct rpmsg_bus *bus);
void t_busy_poller_stop(struct t_busy_poller *p);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		t_checks++;                                                                        \
		if (!(cond))                                                                       \
			t_fail(__FILE__, __LINE__, "%s", #cond);                                   \
	} while (0)

#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		long long _a = (long long)(a), _b = (long long)(b);                                \
		t_checks++;                                                                        \
		if (_a != _b)                                                                      \
			t_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, _a, _b);      \
	} while (0)

#define CHECK_MEM(got, want, len)                                                                  \
	do {                                                                                       \
		t_checks++;                                                                        \
		if (memcmp((got), (want), (len))) {                                                \
			t_fail(__FILE__, __LINE__, "bytes of %s differ from %s", #got, #want);     \
			t_hexdiff((got), (want), (len));                                           \
		}                                                                                  \
	} while (0)

#endif
