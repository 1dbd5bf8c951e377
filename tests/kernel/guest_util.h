/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers of the programs that run inside the UML guest of the real-kernel tests
 * (guest_check.c, guest_qcom.c): rpmsg_ctrl's ioctls, sysfs look-ups, timed reads and an
 * echo check through a /dev/rpmsgN.
 */
#ifndef RPMSG_TEST_GUEST_UTIL_H
#define RPMSG_TEST_GUEST_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct ept_info {
	char name[32];
	uint32_t src, dst;
};
#define CREATE_EPT _IOW(0xb5, 1, struct ept_info)
#define DESTROY_EPT _IO(0xb5, 2)
#define CREATE_DEV _IOW(0xb5, 3, struct ept_info)

static int failures;

#define CHECK(cond, ...)                                                                  \
	do {                                                                              \
		if (!(cond)) {                                                            \
			printf("guest: FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);     \
			printf(__VA_ARGS__);                                              \
			printf("\n");                                                     \
			failures++;                                                       \
		}                                                                         \
	} while (0)

static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline void sleep_ms(int ms)
{
	nanosleep(&(struct timespec){ .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L }, NULL);
}

static inline int read_text(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return -errno;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = 0;
	return 0;
}

/*
 * The sysfs directory (resolved) of the rpmsg device whose name attribute is `name`, whose
 * dst is `dst` (ANY: any) and whose resolved path contains `edge` (NULL: any edge).
 */
static inline bool find_rpmsg_device(const char *edge, const char *name, uint32_t dst,
				     char *dir, size_t cap)
{
	DIR *d = opendir("/sys/bus/rpmsg/devices");
	struct dirent *de;
	bool found = false;

	while (d && !found && (de = readdir(d))) {
		char path[PATH_MAX + 16], real[PATH_MAX], val[64];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/rpmsg/devices/%s", de->d_name);
		if (!realpath(path, real) || (edge && !strstr(real, edge)))
			continue;
		snprintf(path, sizeof(path), "%s/name", real);
		if (read_text(path, val, sizeof(val)) || strcmp(val, name))
			continue;
		snprintf(path, sizeof(path), "%s/dst", real);
		if (dst != 0xffffffffu &&
		    (read_text(path, val, sizeof(val)) || strtoul(val, NULL, 0) != dst))
			continue;
		if (strlen(real) >= cap)
			continue; /* would not fit: never a match */
		memcpy(dir, real, strlen(real) + 1);
		found = true;
	}
	if (d)
		closedir(d);
	return found;
}

static inline bool find_device(const char *name, uint32_t dst, char *dir, size_t cap)
{
	return find_rpmsg_device(NULL, name, dst, dir, cap);
}

/* /dev/rpmsgN of the char device under `parent` (a device's or the control's sysfs dir). */
static inline bool find_node(const char *parent, char *node, size_t cap)
{
	DIR *d = opendir(parent);
	struct dirent *de;
	bool found = false;

	while (d && !found && (de = readdir(d))) {
		if (!strncmp(de->d_name, "rpmsg", 5) && de->d_name[5] >= '0' && de->d_name[5] <= '9' &&
		    strlen(de->d_name) + 6 <= cap) {
			strcpy(node, "/dev/");
			strcat(node, de->d_name);
			found = true;
		}
	}
	if (d)
		closedir(d);
	return found;
}

static inline int read_msg(int fd, void *buf, size_t cap, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, timeout_ms) != 1)
		return -ETIMEDOUT;
	ssize_t n = read(fd, buf, cap);

	return n < 0 ? -errno : (int)n;
}

static inline void fill(uint8_t *buf, size_t len, unsigned seq)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seq * 31 + i * 7);
	if (len >= 4)
		memcpy(buf, &seq, 4);
}

/*
 * Echo `count` messages of random sizes 4..max_len (multiples of `align`) through fd,
 * `window` in flight, and check each: in order, byte for byte. Returns count, or -1 (the
 * reason is printed).
 */
static inline int echo_fd(int fd, int count, int window, size_t max_len, size_t align)
{
	uint8_t *out = malloc(max_len), *in = malloc(max_len + 16);
	int sent = 0, got = 0, bad = 0;

	if (!out || !in || max_len < 4) {
		free(out);
		free(in);
		return -1;
	}
	srand(7);
	while (got < count && !bad) {
		while (sent < count && sent - got < window) {
			size_t len = 4 + (size_t)rand() % (max_len - 3);

			len -= len % align;

			fill(out, len, (unsigned)sent);
			if (write(fd, out, len) != (ssize_t)len) {
				printf("guest: write %d (%zu bytes): %s\n", sent, len, strerror(errno));
				bad = -1;
				break;
			}
			sent++;
		}
		if (bad)
			break;
		int n = read_msg(fd, in, max_len + 16, 5000);
		unsigned seq;

		if (n < 4) {
			printf("guest: echo %d: %s\n", got, n < 0 ? strerror(-n) : "short");
			bad = -1;
			break;
		}
		memcpy(&seq, in, 4);
		fill(out, (size_t)n, seq);
		if (seq != (unsigned)got || memcmp(in, out, (size_t)n)) {
			printf("guest: echo %d: got message %u of %d bytes, wrong\n", got, seq, n);
			bad++;
		}
		got++;
	}
	free(out);
	free(in);
	return bad ? -1 : got;
}

/* ---- ktest_mode=bench: round trips and a stream through /dev/rpmsgN, beside a pipe ---- */

#define BENCH_RTTS 5000
#define BENCH_STREAM 5000

static inline int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Sorts rtt; returns the median. */
static inline uint64_t bench_report(const char *what, uint64_t *rtt, int n)
{
	qsort(rtt, (size_t)n, sizeof(*rtt), cmp_u64);
	printf("bench: %-36s min %6.1f us  median %6.1f us  p99 %6.1f us\n", what, rtt[0] / 1e3,
	       rtt[n / 2] / 1e3, rtt[n * 99 / 100] / 1e3);
	return rtt[n / 2];
}

/* The baseline: two guest processes bounce 16 bytes over a pair of pipes; the median. */
static inline uint64_t bench_pipe_median(void)
{
	static uint64_t rtt[BENCH_RTTS];
	int ab[2], ba[2];
	char b[16] = { 0 };
	pid_t pid;

	if (pipe(ab) || pipe(ba))
		return 0;
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < BENCH_RTTS; i++)
			if (read(ab[0], b, 16) != 16 || write(ba[1], b, 16) != 16)
				_exit(1);
		_exit(0);
	}
	for (int i = 0; i < BENCH_RTTS; i++) {
		uint64_t t = now_ns();

		if (write(ab[1], b, 16) != 16 || read(ba[0], b, 16) != 16)
			break;
		rtt[i] = now_ns() - t;
	}
	waitpid(pid, NULL, 0);
	close(ab[0]);
	close(ab[1]);
	close(ba[0]);
	close(ba[1]);
	return bench_report("pipe ping-pong in the guest (16 B)", rtt, BENCH_RTTS);
}

/* 16-byte round trips through an echoing node, then a stream with 64 in flight. */
static inline int bench_node(int fd, const char *transport, uint64_t pipe_median)
{
	static uint64_t rtt[BENCH_RTTS];
	char what[64];
	uint8_t buf[64];
	uint64_t med, t0;
	int got = 0, sent = 0;

	memset(buf, 0x5a, sizeof(buf));
	for (int i = 0; i < BENCH_RTTS; i++) {
		uint64_t t = now_ns();

		if (write(fd, buf, 16) != 16 || read_msg(fd, buf, sizeof(buf), 5000) != 16)
			return 1;
		rtt[i] = now_ns() - t;
	}
	snprintf(what, sizeof(what), "/dev/rpmsgN, %s, our remote (16 B)", transport);
	med = bench_report(what, rtt, BENCH_RTTS);
	printf("bench: %s round trip ratio rpmsg / pipe: %.2fx\n", transport,
	       pipe_median ? (double)med / (double)pipe_median : 0);
	t0 = now_ns();
	while (got < BENCH_STREAM) {
		while (sent < BENCH_STREAM && sent - got < 64) {
			if (write(fd, buf, 16) != 16)
				return 1;
			sent++;
		}
		if (read_msg(fd, buf, sizeof(buf), 5000) != 16)
			return 1;
		got++;
	}
	t0 = now_ns() - t0;
	printf("bench: %s stream of %d x 16 B echoed (64 in flight): %.0f msgs/s each way\n",
	       transport, BENCH_STREAM, BENCH_STREAM / (t0 / 1e9));
	return 0;
}

#endif
