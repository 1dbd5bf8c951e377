/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The platform seam: shared memory and doorbells between this processor and one peer.
 *
 * A transport (virtio, GLINK, ...) talks to its peer through one platform instance. The
 * platform knows nothing of rpmsg; it only moves "rings" of numbered doorbells across and
 * tells where the shared memory is. Doorbells are directional: notify(id) rings the peer's
 * bell `id`; wait/arm/ack/fd(id) concern the bell `id` that the peer rings for us. For
 * virtio the id is the vring notify id of the resource table.
 */
#ifndef RPMSG_PLATFORM_H
#define RPMSG_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How many doorbell ids a platform must support at least (ids 0 .. RPMSG_PLATFORM_BELLS-1). */
#define RPMSG_PLATFORM_BELLS 8

/* A block of memory both sides see. */
struct rpmsg_shm {
	void *va;    /* where this process sees the first byte */
	uint64_t pa; /* the bus address of the first byte (what goes into vring descriptors) */
	size_t size; /* bytes */
};

struct rpmsg_platform;

struct rpmsg_platform_ops {
	/* Ring the peer's doorbell `id`. Cheap when the peer is busy-polling (no syscall). */
	int (*notify)(struct rpmsg_platform *plat, uint32_t id);
	/*
	 * Wait until the peer rings `id`, at most timeout_ms (-1: forever, 0: just check).
	 * Spins briefly, then blocks. Consumes the ring. Returns 0 when rung, -ETIMEDOUT.
	 */
	int (*wait)(struct rpmsg_platform *plat, uint32_t id, int timeout_ms);
	/*
	 * Declare that the caller is about to block on fd(id) (in poll/epoll): after this the
	 * peer's notify will wake the fd. Returns 1 if a ring is already pending (do not block),
	 * 0 otherwise.
	 */
	int (*arm)(struct rpmsg_platform *plat, uint32_t id);
	/* Consume any pending ring of `id` (and make fd(id) not readable). Returns 1 if one was pending. */
	int (*ack)(struct rpmsg_platform *plat, uint32_t id);
	/* A pollable file descriptor that becomes readable when `id` is rung while armed; -1 if none. */
	int (*fd)(struct rpmsg_platform *plat, uint32_t id);
	/* Monotonic time in nanoseconds. */
	uint64_t (*now_ns)(struct rpmsg_platform *plat);
	/* Unmap and close everything this instance holds (never removes what a peer still uses). */
	void (*destroy)(struct rpmsg_platform *plat);
	/*
	 * Optional, both or neither (NULL: full fences both ways). A sender publishes an index
	 * and then reads the peer's "wake me" flag; a waiter sets its flag and then reads the
	 * index. Each pair must be ordered: a full fence on each side, the sender's once per
	 * message. The fence pact lets a waiter that has been polling for a while take the
	 * sender's fence over: it runs sleep_fence before its next sleep (the transport keeps
	 * the protocol; see src/virtio/vring.h).
	 * pact_words: registers this process as one sleep_fence reaches and returns two words
	 *             both sides map, [0] for side 0 and [1] for side 1, each zeroed when its
	 *             side attaches; NULL if sleep_fence cannot reach this process.
	 * sleep_fence: a full barrier that also runs on every thread of the peer (membarrier).
	 */
	uint32_t *(*pact_words)(struct rpmsg_platform *plat);
	void (*sleep_fence)(struct rpmsg_platform *plat);
};

struct rpmsg_platform {
	const struct rpmsg_platform_ops *ops;
	struct rpmsg_shm shm; /* the memory the transport may lay out as it likes */
	int side;             /* 0 for the side that created the link, 1 for the one that attached */
	void *priv;           /* the platform's own state */
};

static inline int rpmsg_platform_notify(struct rpmsg_platform *p, uint32_t id)
{
	return p->ops->notify(p, id);
}

static inline int rpmsg_platform_wait(struct rpmsg_platform *p, uint32_t id, int timeout_ms)
{
	return p->ops->wait(p, id, timeout_ms);
}

/* Bus address <-> pointer in this process, with bounds checks: NULL / UINT64_MAX when outside. */
static inline void *rpmsg_shm_ptr(const struct rpmsg_shm *shm, uint64_t pa, size_t len)
{
	if (pa < shm->pa || pa - shm->pa > shm->size || len > shm->size - (pa - shm->pa))
		return NULL;
	return (char *)shm->va + (pa - shm->pa);
}

static inline uint64_t rpmsg_shm_pa(const struct rpmsg_shm *shm, const void *va)
{
	uintptr_t off = (uintptr_t)va - (uintptr_t)shm->va;
	return off < shm->size ? shm->pa + off : UINT64_MAX;
}

/*
 * POSIX processes on one machine: the memory is a file in /dev/shm ("/rpmsg-<name>"),
 * doorbells are counters in a control page of that file plus named FIFOs for blocking,
 * so a waiter that spins never costs the notifier a syscall. On Linux with membarrier it
 * has the fence pact (its words are in the control page).
 *
 * create: make a new link memory of at least `size` usable bytes (side 0). Fails with
 *         -EEXIST if the name is in use.
 * attach: open a link a running peer created (side 1). -ENOENT if there is none.
 * unlink: remove the names (memory and FIFOs) from the file system; mapped users keep working.
 */
int rpmsg_posix_create(const char *name, size_t size, struct rpmsg_platform **out);
int rpmsg_posix_attach(const char *name, struct rpmsg_platform **out);
int rpmsg_posix_unlink(const char *name);

#ifdef __cplusplus
}
#endif
#endif
