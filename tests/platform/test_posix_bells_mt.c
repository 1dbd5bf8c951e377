/*
 * Doorbells between threads under TSan: a ping-pong where one side takes each ring by the
 * poller's path (arm, sleep on the fd, ack) and the other by wait() (spin, then sleep on
 * the FIFO), then the other way round on two more bells, so both paths race with the
 * notifier. No ring may be lost: a lost one would stall a round for seconds.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>

#include <rpmsg/platform.h>

#include "testlib.h"

#define ROUNDS 10000

static struct rpmsg_platform *pa, *pb;

/* Block until bell `id` of p rings, by the poller's path (arm, poll the fd, ack). */
static int poll_path(struct rpmsg_platform *p, uint32_t id)
{
	for (int tries = 0; tries < 2000; tries++) {
		struct pollfd f = { .fd = p->ops->fd(p, id), .events = POLLIN };

		if (p->ops->arm(p, id) == 0)
			poll(&f, 1, 10);
		if (p->ops->ack(p, id))
			return 0;
	}
	return -1;
}

static void *side_b(void *arg)
{
	long bad = 0;

	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		bool swap = i >= ROUNDS / 2;
		int r = swap ? pb->ops->wait(pb, 2, 5000) : poll_path(pb, 0);

		bad += r != 0;
		pb->ops->notify(pb, swap ? 3 : 1);
	}
	return (void *)bad;
}

int main(void)
{
	char name[64];
	pthread_t t;
	void *bad;
	long lost = 0;

	t_timeout(100);
	snprintf(name, sizeof(name), "t-bellsmt-%d", (int)getpid());
	rpmsg_posix_unlink(name);
	CHECK_EQ(rpmsg_posix_create(name, 4096, &pa), 0);
	CHECK_EQ(rpmsg_posix_attach(name, &pb), 0);
	CHECK_EQ(pthread_create(&t, NULL, side_b, NULL), 0);
	for (int i = 0; i < ROUNDS; i++) {
		bool swap = i >= ROUNDS / 2;

		pa->ops->notify(pa, swap ? 2 : 0);
		lost += (swap ? poll_path(pa, 3) : pa->ops->wait(pa, 1, 5000)) != 0;
	}
	pthread_join(t, &bad);
	CHECK_EQ(lost, 0);
	CHECK_EQ((long)bad, 0);
	pa->ops->destroy(pa);
	pb->ops->destroy(pb);
	rpmsg_posix_unlink(name);
	return t_done();
}
