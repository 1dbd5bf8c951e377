/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The split virtqueue (legacy / virtio 1.x split ring), both roles, in memory shared with an
 * untrusted peer. Layout, ordering and notification rules: spec 10-virtio.md §7 and §8.
 *
 *   driver (main CPU):   vq_add ... vq_publish          -> kick the device if it returns true
 *                        vq_get_used                    <- buffers the device gave back
 *   device (remote):     vq_get_avail                   <- buffers the driver posted
 *                        vq_put_used ... vq_publish     -> interrupt the driver if true
 *
 * Nothing the peer writes is trusted: every index, ring entry, descriptor field, flag and
 * event index is read once and checked. A peer that breaks the protocol (an id or head out
 * of range, a buffer returned twice or never handed out, an index jump larger than the
 * ring, chained or indirect descriptors) makes the virtqueue "broken": every later data
 * call returns -EIO until vq_reset. Descriptor addresses are returned raw: translating and
 * bounds-checking them is the caller's job.
 *
 * The driver's free-descriptor list (unless the caller numbers descriptors itself,
 * VQ_F_FIXED_HEADS) and the "outstanding" set live in struct vq (never in the ring's `next`
 * fields, which the peer could rewrite), so struct vq has fixed arrays of
 * VQ_MAX_NUM entries and vq_init refuses larger rings. No allocation anywhere.
 *
 * Not thread-safe: one caller at a time per vq (the two roles on the two sides of a ring
 * are independent and may run concurrently on different CPUs).
 */
#ifndef RPMSG_VIRTIO_VRING_H
#define RPMSG_VIRTIO_VRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vq_role { VQ_DRIVER, VQ_DEVICE };

#define VQ_F_BIG_ENDIAN 1u /* ring fields big-endian (legacy device with a big-endian driver); default little-endian */
#define VQ_F_EVENT_IDX 2u  /* VIRTIO_RING_F_EVENT_IDX negotiated */
/*
 * Driver: the caller gives each buffer a descriptor of its own for good and names it when it
 * posts (vq_add_at); vq_add is refused. A buffer the device returns is then known by its
 * head alone, with no table to look it up in, and its descriptor already holds its address.
 */
#define VQ_F_FIXED_HEADS 4u

/*
 * Largest ring vq_init accepts (vring_size accepts the virtio maximum, 32768). A firmware
 * build sets it to the rings it uses (RPMSG_VRING_MAX): the arrays below are 2.1 bytes per
 * entry, twice per link.
 */
#ifdef RPMSG_VRING_MAX
#define VQ_MAX_NUM ((unsigned)RPMSG_VRING_MAX)
#else
#define VQ_MAX_NUM 1024u
#endif
#define VQ_NUM_LIMIT 32768u

/*
 * RPMSG_VQ_DEVICE_ONLY (defined by the build, identically for every file that includes
 * this header): the device role only, for the smallest firmware (src/tiny). The driver's
 * free list leaves struct vq, vq_init refuses VQ_DRIVER, vq_add / vq_get_used only return
 * -EINVAL, and vq_init_parts / vq_avail_base (vhost-user's) are left out.
 */

/* Descriptor flags (§7). */
#define VRING_DESC_F_NEXT 1u
#define VRING_DESC_F_WRITE 2u
#define VRING_DESC_F_INDIRECT 4u
/* Suppression flags (§8). */
#define VRING_AVAIL_F_NO_INTERRUPT 1u
#define VRING_USED_F_NO_NOTIFY 1u

/* Byte offsets of the ring parts (§7), for tests and tools. */
#define VRING_DESC_SIZE 16u
#define VRING_AVAIL_OFF(num) (16u * (size_t)(num))
#define VRING_USED_OFF(num, align)                                                                 \
	((16u * (size_t)(num) + 6u + 2u * (size_t)(num) + (align) - 1u) & ~((size_t)(align) - 1u))

/* Bytes of a split ring per spec §7 (unrounded); 0 if num is not a power of two in
 * 1..32768 or align is not a power of two >= 4. */
size_t vring_size(uint32_t num, uint32_t align);

/*
 * The fence pact (rpmsg/platform.h, pact_words). Each side owns one 32-bit word, stored
 * little-endian, which the peer reads each time it publishes:
 *   VQ_PACT_READS   the owner is registered for the peer's sleep_fence, so posting to it
 *                   is worth while;
 *   VQ_PACT_POSTED  the owner will run sleep_fence before it next sleeps: while the word
 *                   stays the same, the peer may order its publish with a compiler barrier;
 *   bits 2..31      a count the owner steps at every post and every revoke.
 * A sender reads the word before it stores its index and again after the store (in the
 * instruction stream). When both reads return the same posted word it publishes with no
 * fence and no doorbell. A waiter that posted revokes (clears POSTED, steps the count) and
 * runs sleep_fence before it sleeps: after its flag is set and fenced, before its last
 * look at the index. Then either the sender's second read comes after that barrier and
 * sees the revoke (the sender fences, reads the flag and rings as usual), or its store
 * came before the barrier and the last look sees it. The owner posts only while none of
 * its threads sleeps waiting for a doorbell from this peer (see virtio_rpmsg.c).
 */
#define VQ_PACT_POSTED 1u
#define VQ_PACT_READS 2u
#define VQ_PACT_STEP 4u

struct vq {
	/* Public: callers may read these. */
	uint32_t num;
	bool broken;

	/* Private. */
	enum vq_role role;
	unsigned flags;          /* VQ_F_* */
	uint32_t align;
	size_t ring_size;        /* vring_size(num, align) */
	uint8_t *mem;            /* descriptor table (start of the ring) */
	uint8_t *avail;          /* available ring */
	uint8_t *used;           /* used ring */
	uint16_t prod_idx;       /* our producer index, not yet published (driver: avail, device: used) */
	uint16_t pub_idx;        /* producer index as last published */
	uint16_t cons_idx;       /* next entry of the peer's ring to take (driver: used, device: avail) */
	uint16_t peer_idx;       /* the peer's producer index as last read (checked when read) */
	bool notify_on;          /* we asked the peer to notify us (vq_enable_notify) */
	const uint32_t *pact;    /* the peer's fence-pact word (below); NULL: always fence */
	uint32_t light_pubs;     /* publishes that skipped the fence (owner writes, any reads) */
	uint32_t count;          /* driver: descriptors not with the device; device: heads taken, not yet returned */
#ifndef RPMSG_VQ_DEVICE_ONLY
	uint16_t free_head;      /* driver: first free descriptor (valid while count > 0) */
	uint16_t free_tail;      /* driver: last free descriptor (valid while count > 0) */
	uint16_t next_free[VQ_MAX_NUM];     /* driver: local free list, first in first out */
#endif
	uint32_t out[(VQ_MAX_NUM + 31) / 32]; /* driver: with the device; device: taken, not returned */
};

/* The producer index as last published, readable by a thread other than the publisher's
 * (a hint: the publisher may be between the ring's store and this one). */
static inline uint16_t vq_published(const struct vq *vq)
{
	return __atomic_load_n(&vq->pub_idx, __ATOMIC_RELAXED);
}

/* Set up `vq` over `mem` (mem_size >= vring_size, 4-byte aligned). -EINVAL for bad num
 * (not a power of two, or above VQ_MAX_NUM), bad align, unknown flags, too small or
 * misaligned memory. Does not touch the memory: local state is that of freshly zeroed
 * rings (a driver calls vq_reset to zero them; a device attaches to a live ring). */
int vq_init(struct vq *vq, enum vq_role role, void *mem, size_t mem_size, uint32_t num,
	    uint32_t align, unsigned flags);
/* Driver: zero the ring bytes (vring_size) and reset local state. Device: local state only.
 * Clears `broken`. */
void vq_reset(struct vq *vq);

/* Driver role. */
/* Post one buffer as a single descriptor. >= 0: its head descriptor index; -ENOSPC: no free
 * descriptor; -EIO: broken. Not visible to the device until vq_publish. */
int vq_add(struct vq *vq, uint64_t addr, uint32_t len, bool device_writes);
/* The same in descriptor `head`, with VQ_F_FIXED_HEADS. 0; -EINVAL: head out of range, still
 * with the device, or not that mode; -EIO: broken. */
int vq_add_at(struct vq *vq, uint16_t head, uint64_t addr, uint32_t len, bool device_writes);
/* >= 0: head index of a buffer the device returned (*len = used length, raw); -EAGAIN: none;
 * -EIO: hostile entry (id >= num or not outstanding, or more entries than outstanding
 * buffers): the vq becomes broken. */
int vq_get_used(struct vq *vq, uint32_t *len);
/* The same for up to `max` buffers at once, their lengths left unread: how many were taken
 * (0: none), their heads in ids[] in ring order; -EIO as vq_get_used. */
int vq_get_used_many(struct vq *vq, uint16_t *restrict ids, unsigned max);

/* Device role. */
/* >= 0: head of the next available buffer, its raw address, length and flags; -EAGAIN:
 * none; -EIO: hostile (head >= num, head still taken, avail idx more than num ahead,
 * NEXT or INDIRECT flags set): the vq becomes broken. */
int vq_get_avail(struct vq *vq, uint64_t *addr, uint32_t *len, uint16_t *flags);
/* Return a taken buffer with `len` bytes written. 0; -EINVAL if head was not taken by
 * vq_get_avail or was already returned; -EIO: broken. Not visible until vq_publish. */
int vq_put_used(struct vq *vq, uint16_t head, uint32_t len);

/*
 * A guess, for prefetching only: the head (device: and the address) of the buffer the
 * peer's next entry will most likely name, read from the slot's previous lap. -1 if that
 * is out of range. Nothing is taken or checked beyond the range; never trust the answer.
 * Not in RPMSG_VQ_DEVICE_ONLY builds.
 */
int vq_next_guess(const struct vq *vq, uint64_t *addr);

/* Both roles. */
/* Make added/used entries visible (entries, then idx with release order). True if the peer
 * must be notified (§8: flags, or the event-index rule with VQ_F_EVENT_IDX). False when
 * nothing new was published since the last call, or when broken. A full fence orders the
 * index before the peer's flags, unless the peer's posted pact word (above) makes both the
 * fence and the doorbell needless. */
bool vq_publish(struct vq *vq);
/* Is there something to take (driver: used.idx moved; device: avail.idx moved)? Acquire
 * load; false when broken. */
bool vq_pending(const struct vq *vq);
/* Ask the peer to notify us of new entries, then a full barrier: callers re-check
 * vq_pending afterwards to close the race with entries published just before. */
void vq_enable_notify(struct vq *vq);
/* Ask the peer not to notify us (a hint: the peer may still do so). */
void vq_disable_notify(struct vq *vq);
/* Driver: free descriptors. Device: available entries not yet taken (0 if the driver's
 * index is implausible). */
uint32_t vq_free_count(const struct vq *vq);

/*
 * Device role over a ring whose descriptor table, available ring and used ring lie at
 * separate addresses (vhost-user). desc 16-byte, avail 2-byte, used 4-byte aligned; the
 * caller checked that 16*num, 6+2*num and 6+8*num bytes are mapped there. avail_base is
 * the next available entry to take (vhost-user SET_VRING_BASE); our used index starts at
 * the ring's current used.idx. vq_reset on such a vq resets local state only.
 */
int vq_init_parts(struct vq *vq, enum vq_role role, void *desc_tbl, void *avail_ring_p,
		  void *used_ring_p, uint32_t num, unsigned flags, uint16_t avail_base);
/* Device: the next available entry we would take (vhost-user GET_VRING_BASE). */
uint16_t vq_avail_base(const struct vq *vq);

/* The §8 event-index rule: notify iff (uint16)(new - event - 1) < (uint16)(new - old). */
static inline bool vring_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

#endif
