/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * POSIX platform: two processes (or two instances in one process) on one machine.
 *
 * The memory is the file /dev/shm/rpmsg-<name>: a 4 KiB control page, then the usable area
 * (bus address 0). A doorbell is a counter in the control page: notify increments it, the
 * peer compares it with the last value it saw. Counters cost no syscall, so a peer that
 * busy-polls is never slowed down. To block, a waiter raises an "armed" count next to the
 * counter and sleeps on a named FIFO; the notifier writes one byte there only while armed.
 * Two FIFOs per bell keep the two kinds of waiters apart: the bus (poll/epoll on fd(id),
 * armed by arm(), disarmed by ack()) and a sender blocked in wait().
 *
 * The control page is writable by the peer: nothing read from it is trusted beyond "it
 * changed" (counters) and "someone may be sleeping" (armed counts).
 */
#include <endian.h>
#ifdef __linux__
#include <linux/membarrier.h>
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rpmsg/platform.h>

#define CTRL_SIZE 4096u
#define CTRL_MAGIC 0x52504d53u /* "RPMS" */
#define CTRL_VERSION 1u
#define LINE 64
#define SPIN_NS 20000u /* how long wait() spins before it blocks */
#define ATTACH_WAIT_MS 1000

enum { FIFO_POLL, FIFO_WAIT, FIFO_KINDS };

/* One bell of one direction; every field on its own cache line (two writers). */
struct bell {
	_Alignas(LINE) _Atomic uint32_t seq;            /* rung count (notifier writes) */
	_Alignas(LINE) _Atomic uint32_t armed[FIFO_KINDS]; /* sleepers (waiter writes) */
};

/*
 * The header is little-endian, so that a process of the other byte order (a big-endian
 * remote under qemu-user, say) can attach; the bell words are only compared for change or
 * zero, which byte order does not affect.
 */
struct ctrl {
	_Alignas(LINE) _Atomic uint32_t magic; /* written last by the creator */
	uint32_t version;
	uint64_t size; /* usable bytes after the control page */
	struct bell bell[2][RPMSG_PLATFORM_BELLS]; /* [direction = notifier's side][id] */
	/* The fence pact's words (pact_words), [side]: the transport's, zeroed at attach. */
	_Alignas(LINE) uint32_t pact[2];
};

_Static_assert(sizeof(struct ctrl) <= CTRL_SIZE, "control page overflow");

struct posix {
	struct rpmsg_platform plat;
	struct ctrl *ctrl;
	size_t map_size;
	int in[RPMSG_PLATFORM_BELLS][FIFO_KINDS];  /* FIFOs the peer writes for us */
	int out[RPMSG_PLATFORM_BELLS][FIFO_KINDS]; /* FIFOs we write for the peer */
	_Atomic uint32_t seen[RPMSG_PLATFORM_BELLS][FIFO_KINDS]; /* last seq consumed, per waiter kind */
	_Atomic bool poll_armed[RPMSG_PLATFORM_BELLS];
	_Atomic int pact_reg; /* membarrier registration: 0 not tried, 1 done, -1 failed */
};

static struct posix *to_posix(struct rpmsg_platform *p)
{
	return p->priv;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- names ---- */

static int valid_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (name[i] == '/' || (name[i] == '.' && i == 0))
			return 0;
	return 1;
}

static const char *runtime_dir(void)
{
	const char *d = getenv("RPMSG_RUNTIME_DIR");

	return d && *d ? d : "/tmp";
}

static void shm_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "/rpmsg-%s", name);
}

static void fifo_dir(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/rpmsg-%s.bells", runtime_dir(), name);
}

static void fifo_path(char *buf, size_t len, const char *name, int dir, int id, int kind)
{
	char d[256];

	fifo_dir(d, sizeof(d), name);
	snprintf(buf, len, "%s/%d-%d-%c", d, dir, id, kind == FIFO_POLL ? 'p' : 'w');
}

/* ---- doorbells ---- */

static struct bell *bell_out(struct posix *x, uint32_t id)
{
	return &x->ctrl->bell[x->plat.side][id];
}

static struct bell *bell_in(struct posix *x, uint32_t id)
{
	return &x->ctrl->bell[!x->plat.side][id];
}

static void drain(int fd)
{
	char buf[64];

	/* A short read emptied it: no second call just to hear EAGAIN. */
	while (read(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf))
		;
}

static int px_notify(struct rpmsg_platform *p, uint32_t id)
{
	struct posix *x = to_posix(p);
	struct bell *b;

	if (id >= RPMSG_PLATFORM_BELLS)
		return -EINVAL;
	b = bell_out(x, id);
	/* seq_cst pairs with the waiter's "arm, then re-read seq": one of us sees the other. */
	atomic_fetch_add(&b->seq, 1);
	for (int k = 0; k < FIFO_KINDS; k++) {
		if (atomic_load(&b->armed[k]) && x->out[id][k] >= 0) {
			char one = 1;
			/* EAGAIN means the FIFO is full, hence readable already: nothing lost. */
			if (write(x->out[id][k], &one, 1) < 0 && errno != EAGAIN)
				return -errno;
		}
	}
	return 0;
}

/* Take a new ring for waiter kind k, if there is one. */
static int consume(struct posix *x, uint32_t id, int k)
{
	uint32_t now = atomic_load(&bell_in(x, id)->seq);

	/* Nothing new (a busy poller, nearly always): no locked instruction. */
	if (atomic_load_explicit(&x->seen[id][k], memory_order_relaxed) == now)
		return 0;
	return atomic_exchange(&x->seen[id][k], now) != now;
}

static int px_arm(struct rpmsg_platform *p, uint32_t id)
{
	struct posix *x = to_posix(p);
	struct bell *b;

	if (id >= RPMSG_PLATFORM_BELLS)
		return -EINVAL;
	b = bell_in(x, id);
	if (!atomic_exchange(&x->poll_armed[id], true))
		atomic_fetch_add(&b->armed[FIFO_POLL], 1);
	return atomic_load(&b->seq) != atomic_load(&x->seen[id][FIFO_POLL]);
}

static int px_ack(struct rpmsg_platform *p, uint32_t id)
{
	struct posix *x = to_posix(p);

	if (id >= RPMSG_PLATFORM_BELLS)
		return -EINVAL;
	/* Disarm first: a ring after this point is seen by the caller's processing. */
	if (atomic_load_explicit(&x->poll_armed[id], memory_order_relaxed) &&
	    atomic_exchange(&x->poll_armed[id], false)) {
		atomic_fetch_sub(&bell_in(x, id)->armed[FIFO_POLL], 1);
		/* Only an armed FIFO is written: a busy-polling side pays no syscall here. A byte
		 * landing after this drain costs one spurious wake-up, never a lost ring. */
		drain(x->in[id][FIFO_POLL]);
	}
	return consume(x, id, FIFO_POLL);
}

static int px_wait(struct rpmsg_platform *p, uint32_t id, int timeout_ms)
{
	struct posix *x = to_posix(p);
	struct bell *b;
	uint64_t start, deadline;
	int ret = -ETIMEDOUT;

	if (id >= RPMSG_PLATFORM_BELLS)
		return -EINVAL;
	b = bell_in(x, id);
	if (consume(x, id, FIFO_WAIT))
		return 0;
	if (timeout_ms == 0)
		return -ETIMEDOUT;
	start = mono_ns();
	deadline = timeout_ms < 0 ? UINT64_MAX : start + (uint64_t)timeout_ms * 1000000u;
	while (mono_ns() - start < SPIN_NS) {
		if (consume(x, id, FIFO_WAIT))
			return 0;
	}
	atomic_fetch_add(&b->armed[FIFO_WAIT], 1);
	for (;;) {
		struct pollfd pfd = { .fd = x->in[id][FIFO_WAIT], .events = POLLIN };
		uint64_t now;
		int ms;

		if (consume(x, id, FIFO_WAIT)) {
			ret = 0;
			break;
		}
		now = mono_ns();
		if (now >= deadline)
			break;
		ms = deadline == UINT64_MAX ? -1 : (int)((deadline - now + 999999u) / 1000000u);
		if (poll(&pfd, 1, ms) < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		drain(pfd.fd);
	}
	atomic_fetch_sub(&b->armed[FIFO_WAIT], 1);
	return ret;
}

static int px_fd(struct rpmsg_platform *p, uint32_t id)
{
	struct posix *x = to_posix(p);

	return id < RPMSG_PLATFORM_BELLS ? x->in[id][FIFO_POLL] : -1;
}

static uint64_t px_now_ns(struct rpmsg_platform *p)
{
	(void)p;
	return mono_ns();
}

static void close_all(struct posix *x)
{
	for (int i = 0; i < RPMSG_PLATFORM_BELLS; i++) {
		for (int k = 0; k < FIFO_KINDS; k++) {
			if (x->in[i][k] >= 0)
				close(x->in[i][k]);
			if (x->out[i][k] >= 0)
				close(x->out[i][k]);
			x->in[i][k] = x->out[i][k] = -1;
		}
	}
	if (x->ctrl)
		munmap(x->ctrl, x->map_size);
	x->ctrl = NULL;
}

static void px_destroy(struct rpmsg_platform *p)
{
	struct posix *x = to_posix(p);

	if (!x)
		return;
	for (uint32_t i = 0; i < RPMSG_PLATFORM_BELLS; i++)
		if (x->ctrl && atomic_load(&x->poll_armed[i]))
			atomic_fetch_sub(&bell_in(x, i)->armed[FIFO_POLL], 1);
	close_all(x);
	free(x);
}

/*
 * The fence pact (platform.h): membarrier(GLOBAL_EXPEDITED) reaches the threads of every
 * process registered for it, so a side registers before the transport sees the words (and
 * may rely on the peer's barrier). Without membarrier (not Linux, an old kernel, an
 * emulator) there are no words: full fences both ways.
 */
static bool membarrier_global_ok(void)
{
#ifdef __linux__
	return syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0) == 0;
#else
	return false;
#endif
}

static uint32_t *px_pact_words(struct rpmsg_platform *p)
{
	struct posix *x = to_posix(p);
	int reg = atomic_load(&x->pact_reg);

	/* Per instance: a forked child is not registered as its parent was. */
	if (!reg) {
		reg = membarrier_global_ok() ? 1 : -1;
		atomic_store(&x->pact_reg, reg);
	}
	return reg > 0 ? x->ctrl->pact : NULL;
}

static void px_sleep_fence(struct rpmsg_platform *p)
{
	(void)p;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
#ifdef __linux__
	(void)syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0);
#endif
}

static const struct rpmsg_platform_ops posix_ops = {
	.notify = px_notify,
	.wait = px_wait,
	.arm = px_arm,
	.ack = px_ack,
	.fd = px_fd,
	.now_ns = px_now_ns,
	.destroy = px_destroy,
	.pact_words = px_pact_words,
	.sleep_fence = px_sleep_fence,
};

/* ---- set-up ---- */

static struct posix *px_new(int side)
{
	struct posix *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	for (int i = 0; i < RPMSG_PLATFORM_BELLS; i++)
		for (int k = 0; k < FIFO_KINDS; k++)
			x->in[i][k] = x->out[i][k] = -1;
	x->plat.ops = &posix_ops;
	x->plat.side = side;
	x->plat.priv = x;
	return x;
}

/* O_RDWR on a FIFO never blocks in open and keeps it open for both ends (Linux). */
static int open_fifos(struct posix *x, const char *name)
{
	char path[512];

	for (int i = 0; i < RPMSG_PLATFORM_BELLS; i++) {
		for (int k = 0; k < FIFO_KINDS; k++) {
			fifo_path(path, sizeof(path), name, !x->plat.side, i, k);
			x->in[i][k] = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
			if (x->in[i][k] < 0)
				return -errno;
			fifo_path(path, sizeof(path), name, x->plat.side, i, k);
			x->out[i][k] = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
			if (x->out[i][k] < 0)
				return -errno;
		}
	}
	return 0;
}

static void finish(struct posix *x, size_t usable)
{
	x->plat.shm.va = (char *)x->ctrl + CTRL_SIZE;
	x->plat.shm.pa = 0;
	x->plat.shm.size = usable;
	/* Rings counted since the region was made, even before we attached, are pending: a
	 * peer that rang before we came must not be lost (a spurious wake-up costs nothing). */
	for (uint32_t i = 0; i < RPMSG_PLATFORM_BELLS; i++)
		for (int k = 0; k < FIFO_KINDS; k++)
			atomic_store(&x->seen[i][k], 0);
}

int rpmsg_posix_create(const char *name, size_t size, struct rpmsg_platform **out)
{
	char path[512];
	struct posix *x;
	size_t usable;
	int fd, ret;

	if (!out || !valid_name(name) || size == 0 || size > SIZE_MAX / 2)
		return -EINVAL;
	usable = (size + CTRL_SIZE - 1) & ~(size_t)(CTRL_SIZE - 1);
	shm_path(path, sizeof(path), name);
	fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	x = px_new(0);
	if (!x) {
		ret = -ENOMEM;
		goto fail_unlink;
	}
	x->map_size = CTRL_SIZE + usable;
	if (ftruncate(fd, (off_t)x->map_size) < 0) {
		ret = -errno;
		goto fail_unlink;
	}
	x->ctrl = mmap(NULL, x->map_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (x->ctrl == MAP_FAILED) {
		x->ctrl = NULL;
		ret = -errno;
		goto fail_unlink;
	}
	close(fd);
	fd = -1;

	fifo_dir(path, sizeof(path), name);
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		ret = -errno;
		goto fail_unlink;
	}
	for (int d = 0; d < 2; d++) {
		for (int i = 0; i < RPMSG_PLATFORM_BELLS; i++) {
			for (int k = 0; k < FIFO_KINDS; k++) {
				fifo_path(path, sizeof(path), name, d, i, k);
				if (mkfifo(path, 0600) < 0 && errno != EEXIST) {
					ret = -errno;
					goto fail_unlink;
				}
			}
		}
	}
	if ((ret = open_fifos(x, name)))
		goto fail_unlink;
	x->ctrl->version = htole32(CTRL_VERSION);
	x->ctrl->size = htole64(usable);
	finish(x, usable);
	atomic_store(&x->ctrl->magic, htole32(CTRL_MAGIC)); /* the peer may attach from here on */
	*out = &x->plat;
	return 0;

fail_unlink:
	if (fd >= 0)
		close(fd);
	if (x) {
		close_all(x);
		free(x);
	}
	rpmsg_posix_unlink(name);
	return ret;
}

int rpmsg_posix_attach(const char *name, struct rpmsg_platform **out)
{
	char path[512];
	struct posix *x;
	struct stat st;
	uint64_t deadline = mono_ns() + (uint64_t)ATTACH_WAIT_MS * 1000000u;
	int fd, ret;

	if (!out || !valid_name(name))
		return -EINVAL;
	shm_path(path, sizeof(path), name);
	fd = shm_open(path, O_RDWR | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* The creator sizes the file right after making it: give it a moment. */
	while ((ret = fstat(fd, &st)) == 0 && (size_t)st.st_size <= CTRL_SIZE && mono_ns() < deadline)
		usleep(1000);
	if (ret < 0 || (size_t)st.st_size <= CTRL_SIZE) {
		ret = ret < 0 ? -errno : -EPROTO;
		close(fd);
		return ret;
	}
	x = px_new(1);
	if (!x) {
		close(fd);
		return -ENOMEM;
	}
	x->map_size = (size_t)st.st_size;
	x->ctrl = mmap(NULL, x->map_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (x->ctrl == MAP_FAILED) {
		x->ctrl = NULL;
		ret = -errno;
		goto fail;
	}
	while (le32toh(atomic_load(&x->ctrl->magic)) != CTRL_MAGIC && mono_ns() < deadline)
		usleep(1000);
	if (le32toh(atomic_load(&x->ctrl->magic)) != CTRL_MAGIC ||
	    le32toh(x->ctrl->version) != CTRL_VERSION ||
	    le64toh(x->ctrl->size) != x->map_size - CTRL_SIZE) {
		ret = -EPROTO;
		goto fail;
	}
	if ((ret = open_fifos(x, name)))
		goto fail;
	/* A side attached afresh has promised nothing yet (an earlier attacher may have). */
	__atomic_store_n(&x->ctrl->pact[1], 0, __ATOMIC_RELAXED);
	finish(x, x->map_size - CTRL_SIZE);
	*out = &x->plat;
	return 0;
fail:
	close_all(x);
	free(x);
	return ret;
}

int rpmsg_posix_unlink(const char *name)
{
	char path[512];
	int ret = 0;

	if (!valid_name(name))
		return -EINVAL;
	shm_path(path, sizeof(path), name);
	if (shm_unlink(path) < 0)
		ret = -errno;
	for (int d = 0; d < 2; d++) {
		for (int i = 0; i < RPMSG_PLATFORM_BELLS; i++) {
			for (int k = 0; k < FIFO_KINDS; k++) {
				fifo_path(path, sizeof(path), name, d, i, k);
				unlink(path);
			}
		}
	}
	fifo_dir(path, sizeof(path), name);
	rmdir(path);
	return ret;
}
