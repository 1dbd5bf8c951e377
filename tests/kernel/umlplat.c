/* SPDX-License-Identifier: BSD-3-Clause */
/* The UML-kernel platform: see umlplat.h. */
#include "umlplat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

/* ---- the RAM file ---- */

/* The fd number under /proc/<pid>/fd whose target starts with prefix, or -1. */
static int find_fd(pid_t pid, const char *prefix)
{
	char dir[64], link[PATH_MAX + 64], target[PATH_MAX];
	struct dirent *d;
	DIR *dp;
	int found = -1;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	dp = opendir(dir);
	if (!dp)
		return -1;
	while (found < 0 && (d = readdir(dp))) {
		ssize_t n;

		snprintf(link, sizeof(link), "%s/%s", dir, d->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		if (!strncmp(target, prefix, strlen(prefix)))
			found = atoi(d->d_name);
	}
	closedir(dp);
	return found;
}

/*
 * Scan every process for an open file under `prefix` at least `min_size` long (UML's RAM);
 * 0 with *pid and an open fd in *fd.
 */
static int scan_processes(const char *prefix, off_t min_size, pid_t *pid, int *fd)
{
	struct dirent *d;
	DIR *dp = opendir("/proc");

	if (!dp)
		return -errno;
	while ((d = readdir(dp))) {
		char path[96];
		pid_t p = (pid_t)atoi(d->d_name);
		struct stat st;
		int n;

		if (p <= 0 || (n = find_fd(p, prefix)) < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)p, n);
		*fd = open(path, O_RDWR | O_CLOEXEC);
		if (*fd < 0)
			continue;
		if (!fstat(*fd, &st) && st.st_size >= min_size) {
			*pid = p;
			closedir(dp);
			return 0;
		}
		close(*fd);
	}
	closedir(dp);
	return -ENOENT;
}

int uml_ram_open(const char *tmpdir, uint64_t pa, size_t size, int timeout_ms,
		 struct uml_ram *out)
{
	char prefix[PATH_MAX];
	uint64_t deadline = mono_ns() + (uint64_t)timeout_ms * 1000000u;
	long page = sysconf(_SC_PAGESIZE);
	int fd = -1, ret;
	pid_t pid = 0;
	void *va;

	if (!tmpdir || !out || !size || pa % (uint64_t)page)
		return -EINVAL;
	/* an O_TMPFILE ("<tmpdir>/#inode (deleted)") or an unlinked <tmpdir>/vm_file-XXXXXX */
	snprintf(prefix, sizeof(prefix), "%s/", tmpdir);
	while ((ret = scan_processes(prefix, (off_t)(pa + size), &pid, &fd)) == -ENOENT &&
	       mono_ns() < deadline)
		sleep_us(20000);
	if (ret)
		return ret;
	va = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)pa);
	ret = va == MAP_FAILED ? -errno : 0;
	close(fd); /* the mapping keeps the file */
	if (ret)
		return ret;
	*out = (struct uml_ram){ .va = va, .pa = pa, .size = size, .pid = pid };
	return 0;
}

void uml_ram_close(struct uml_ram *ram)
{
	if (ram && ram->va) {
		munmap(ram->va, ram->size);
		ram->va = NULL;
	}
}

/* ---- the platform ---- */

/* Each kind of waiter has its own flag and eventfd, so neither eats the other's ring. */
enum { WAITER_POLL, WAITER_SEND, WAITERS };

struct umlplat {
	struct rpmsg_platform plat;
	struct umlplat_config cfg;
	_Atomic uint32_t *mailbox;
	atomic_bool rung[WAITERS];
	int efd[WAITERS];
	atomic_bool stop;
	pthread_t watcher;
};

static struct umlplat *to_uml(struct rpmsg_platform *p)
{
	return p->priv;
}

/*
 * The kernel's mailbox write lands in RAM and nothing else: watch the word. Right after a
 * ring the kernel is likely to ring again soon, so yield-poll for a while, then sleep in
 * short steps.
 */
static void *watch(void *arg)
{
	struct umlplat *u = arg;
	uint64_t busy_until = 0;

	while (!atomic_load(&u->stop)) {
		if (atomic_exchange(u->mailbox, 0)) {
			for (int w = 0; w < WAITERS; w++) {
				uint64_t one = 1;

				atomic_store(&u->rung[w], true);
				(void)!write(u->efd[w], &one, sizeof(one));
			}
			busy_until = mono_ns() + 2000000u;
		}
		if (mono_ns() < busy_until)
			sched_yield();
		else
			sleep_us(50);
	}
	return NULL;
}

static void drain(int fd)
{
	uint64_t v;

	(void)!read(fd, &v, sizeof(v));
}

static int uml_notify(struct rpmsg_platform *p, uint32_t id)
{
	struct umlplat *u = to_uml(p);

	(void)id;
	/* a full FIFO (EAGAIN) already holds rings the guest has yet to take */
	if (write(u->cfg.irq_fd, &u->cfg.irq_line, 1) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

static int uml_wait(struct rpmsg_platform *p, uint32_t id, int timeout_ms)
{
	struct umlplat *u = to_uml(p);
	uint64_t deadline = mono_ns() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms) * 1000000u;

	(void)id;
	for (;;) {
		struct pollfd pfd = { .fd = u->efd[WAITER_SEND], .events = POLLIN };
		uint64_t now;

		if (atomic_exchange(&u->rung[WAITER_SEND], false)) {
			drain(u->efd[WAITER_SEND]);
			return 0;
		}
		now = mono_ns();
		if (timeout_ms == 0 || (timeout_ms > 0 && now >= deadline))
			return -ETIMEDOUT;
		poll(&pfd, 1, timeout_ms < 0 ? 100 : (int)((deadline - now) / 1000000u) + 1);
	}
}

static int uml_arm(struct rpmsg_platform *p, uint32_t id)
{
	(void)id;
	return atomic_load(&to_uml(p)->rung[WAITER_POLL]) ? 1 : 0;
}

static int uml_ack(struct rpmsg_platform *p, uint32_t id)
{
	struct umlplat *u = to_uml(p);
	bool was = atomic_exchange(&u->rung[WAITER_POLL], false);

	(void)id;
	drain(u->efd[WAITER_POLL]);
	return was;
}

static int uml_fd(struct rpmsg_platform *p, uint32_t id)
{
	(void)id;
	return to_uml(p)->efd[WAITER_POLL];
}

static uint64_t uml_now(struct rpmsg_platform *p)
{
	(void)p;
	return mono_ns();
}

static void uml_destroy(struct rpmsg_platform *p)
{
	struct umlplat *u = to_uml(p);

	atomic_store(&u->stop, true);
	pthread_join(u->watcher, NULL);
	for (int w = 0; w < WAITERS; w++)
		close(u->efd[w]);
	free(u);
}

static const struct rpmsg_platform_ops uml_ops = {
	.notify = uml_notify, .wait = uml_wait, .arm = uml_arm, .ack = uml_ack,
	.fd = uml_fd, .now_ns = uml_now, .destroy = uml_destroy,
};

int umlplat_create(const struct umlplat_config *cfg, struct rpmsg_platform **out)
{
	struct umlplat *u;
	int ret;

	if (!cfg || !out || !cfg->shm.va || !cfg->mailbox || cfg->irq_fd < 0)
		return -EINVAL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->cfg = *cfg;
	u->mailbox = (_Atomic uint32_t *)(uintptr_t)cfg->mailbox;
	u->plat = (struct rpmsg_platform){ .ops = &uml_ops, .shm = cfg->shm, .side = 1, .priv = u };
	for (int w = 0; w < WAITERS; w++) {
		u->efd[w] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (u->efd[w] < 0) {
			ret = -errno;
			while (w--)
				close(u->efd[w]);
			free(u);
			return ret;
		}
	}
	ret = -pthread_create(&u->watcher, NULL, watch, u);
	if (ret) {
		for (int w = 0; w < WAITERS; w++)
			close(u->efd[w]);
		free(u);
		return ret;
	}
	*out = &u->plat;
	return 0;
}
