/*
 * The POSIX platform: names and errors, the usable memory both sides see, and the doorbell
 * contract (notify / wait / arm / ack / fd) within a process and across a fork.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rpmsg/platform.h>

#include "testlib.h"

static int readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) > 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int main(void)
{
	struct rpmsg_platform *a, *b, *x;
	char name[64], path[128];
	uint64_t t0;
	pid_t pid;
	int status;

	t_timeout(60);
	snprintf(name, sizeof(name), "t-bells-%d", (int)getpid());
	rpmsg_posix_unlink(name);

	/* names and errors */
	CHECK_EQ(rpmsg_posix_attach(name, &x), -ENOENT);
	CHECK_EQ(rpmsg_posix_create("", 4096, &x), -EINVAL);
	CHECK_EQ(rpmsg_posix_create("a/b", 4096, &x), -EINVAL);
	CHECK_EQ(rpmsg_posix_create(name, 0, &x), -EINVAL);
	CHECK_EQ(rpmsg_posix_create(name, 4096, NULL), -EINVAL);
	CHECK_EQ(rpmsg_posix_unlink(NULL), -EINVAL);

	CHECK_EQ(rpmsg_posix_create(name, 10000, &a), 0);
	CHECK_EQ(rpmsg_posix_create(name, 10000, &x), -EEXIST);
	/* A ring before the peer attaches is not lost: the peer finds it pending. */
	CHECK_EQ(a->ops->notify(a, 7), 0);
	CHECK_EQ(rpmsg_posix_attach(name, &b), 0);
	CHECK_EQ(b->ops->wait(b, 7, 0), 0);
	CHECK_EQ(b->ops->wait(b, 7, 0), -ETIMEDOUT);
	CHECK_EQ(a->side, 0);
	CHECK_EQ(b->side, 1);
	CHECK_EQ(a->shm.size, 12288); /* rounded up to pages */
	CHECK_EQ(b->shm.size, 12288);
	CHECK_EQ(a->shm.pa, 0);
	/* the same memory */
	memcpy(a->shm.va, "shared", 7);
	CHECK_MEM(b->shm.va, "shared", 7);
	((char *)b->shm.va)[12287] = 'z';
	CHECK_EQ(((char *)a->shm.va)[12287], 'z');
	/* bounds helpers */
	CHECK(rpmsg_shm_ptr(&a->shm, 0, 12288) == a->shm.va);
	CHECK(rpmsg_shm_ptr(&a->shm, 1, 12288) == NULL);
	CHECK(rpmsg_shm_ptr(&a->shm, 12288, 1) == NULL);
	CHECK(rpmsg_shm_ptr(&a->shm, UINT64_MAX, 1) == NULL);
	CHECK_EQ(rpmsg_shm_pa(&a->shm, (char *)a->shm.va + 100), 100);
	CHECK_EQ(rpmsg_shm_pa(&a->shm, (char *)a->shm.va + 12288), UINT64_MAX);

	/* bad bell ids */
	CHECK_EQ(a->ops->notify(a, RPMSG_PLATFORM_BELLS), -EINVAL);
	CHECK_EQ(a->ops->wait(a, RPMSG_PLATFORM_BELLS, 0), -EINVAL);
	CHECK_EQ(a->ops->fd(a, RPMSG_PLATFORM_BELLS), -1);

	/* nothing rung yet */
	CHECK_EQ(b->ops->wait(b, 3, 0), -ETIMEDOUT);
	CHECK_EQ(b->ops->ack(b, 3), 0);
	t0 = now_ms();
	CHECK_EQ(b->ops->wait(b, 3, 50), -ETIMEDOUT);
	CHECK(now_ms() - t0 >= 45);

	/* a ring is seen once by each kind of waiter, and only on its own id and direction */
	CHECK_EQ(a->ops->notify(a, 3), 0);
	CHECK_EQ(a->ops->wait(a, 3, 0), -ETIMEDOUT); /* our own ring is for the peer */
	CHECK_EQ(b->ops->wait(b, 2, 0), -ETIMEDOUT);
	CHECK_EQ(b->ops->wait(b, 3, 0), 0);
	CHECK_EQ(b->ops->wait(b, 3, 0), -ETIMEDOUT);
	CHECK_EQ(b->ops->arm(b, 3), 1); /* the poller has not consumed it yet */
	CHECK_EQ(b->ops->ack(b, 3), 1);
	CHECK_EQ(b->ops->ack(b, 3), 0);

	/* the fd: silent while not armed (no syscall for the notifier), readable when armed */
	CHECK(b->ops->fd(b, 1) >= 0);
	CHECK_EQ(a->ops->notify(a, 1), 0);
	CHECK(!readable(b->ops->fd(b, 1), 0));
	CHECK_EQ(b->ops->arm(b, 1), 1); /* pending: do not block */
	CHECK_EQ(b->ops->ack(b, 1), 1);
	CHECK_EQ(b->ops->arm(b, 1), 0);
	CHECK(!readable(b->ops->fd(b, 1), 0));
	CHECK_EQ(a->ops->notify(a, 1), 0);
	CHECK(readable(b->ops->fd(b, 1), 100));
	CHECK_EQ(b->ops->ack(b, 1), 1);
	CHECK(!readable(b->ops->fd(b, 1), 0)); /* ack drained it */
	/* the other direction */
	CHECK_EQ(a->ops->arm(a, 1), 0);
	CHECK_EQ(b->ops->notify(b, 1), 0);
	CHECK(readable(a->ops->fd(a, 1), 100));
	CHECK_EQ(a->ops->ack(a, 1), 1);

	/* across processes: the child waits (blocking), the parent rings after a while */
	pid = fork();
	if (pid == 0) {
		struct rpmsg_platform *c;
		int ok = rpmsg_posix_attach(name, &c) == 0 && c->side == 1;

		for (int i = 0; ok && i < 200; i++) {
			ok = c->ops->wait(c, 5, 10000) == 0; /* generous: emulated and loaded CI runs */
			if (ok)
				ok = c->ops->notify(c, 6) == 0;
		}
		_exit(ok ? 0 : 1);
	}
	for (int i = 0; i < 200; i++) {
		if (i % 50 == 0)
			usleep(20000); /* let the child fall asleep on the FIFO sometimes */
		CHECK_EQ(a->ops->notify(a, 5), 0);
		CHECK_EQ(a->ops->wait(a, 6, 10000), 0);
		if (t_failures)
			break; /* the child has given up too */
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* unlink removes the names; mapped users keep working */
	b->ops->destroy(b);
	CHECK_EQ(rpmsg_posix_unlink(name), 0);
	CHECK_EQ(rpmsg_posix_attach(name, &x), -ENOENT);
	snprintf(path, sizeof(path), "/dev/shm/rpmsg-%s", name);
	CHECK(access(path, F_OK) != 0);
	snprintf(path, sizeof(path), "/tmp/rpmsg-%s.bells", name);
	CHECK(access(path, F_OK) != 0);
	memcpy(a->shm.va, "still", 6);
	CHECK_MEM(a->shm.va, "still", 6);
	a->ops->destroy(a);
	return t_done();
}
