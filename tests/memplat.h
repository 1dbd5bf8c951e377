/* Test helper: a platform over a plain buffer (no doorbells), for golden and hostile tests.
 * Shared by the GLINK and SMD suites (found through the tests/ include directory). */
#ifndef RPMSG_TEST_MEMPLAT_H
#define RPMSG_TEST_MEMPLAT_H

#include <errno.h>
#include <time.h>

#include <rpmsg/platform.h>

static int mp_notify(struct rpmsg_platform *p, uint32_t id) { (void)p; (void)id; return 0; }
static int mp_wait(struct rpmsg_platform *p, uint32_t id, int t)
{
	struct timespec ts = { 0, 1000000 };

	(void)p; (void)id;
	if (t)
		nanosleep(&ts, NULL);
	return -ETIMEDOUT;
}
static int mp_arm(struct rpmsg_platform *p, uint32_t id) { (void)p; (void)id; return 0; }
static int mp_ack(struct rpmsg_platform *p, uint32_t id) { (void)p; (void)id; return 0; }
static int mp_fd(struct rpmsg_platform *p, uint32_t id) { (void)p; (void)id; return -1; }
static uint64_t mp_now(struct rpmsg_platform *p)
{
	struct timespec ts;

	(void)p;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
static void mp_destroy(struct rpmsg_platform *p) { (void)p; }

static const struct rpmsg_platform_ops memplat_ops = {
	.notify = mp_notify, .wait = mp_wait, .arm = mp_arm, .ack = mp_ack, .fd = mp_fd,
	.now_ns = mp_now, .destroy = mp_destroy,
};

static inline struct rpmsg_platform memplat(void *buf, size_t size, int side)
{
	struct rpmsg_platform p = { .ops = &memplat_ops, .shm = { buf, 0, size }, .side = side };

	return p;
}

#endif
