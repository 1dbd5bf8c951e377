// SPDX-License-Identifier: BSD-3-Clause
/*
 * Split virtqueue, driver and device roles (spec 10-virtio.md §7, §8).
 *
 * Shared-memory access rules used throughout:
 *  - every ring field goes through ld16/ld32/st16/st32, which honour VQ_F_BIG_ENDIAN and are
 *    __atomic accesses, so each value the peer wrote is fetched exactly once into a local;
 *  - our producer index is stored with release order after the entries; the peer's index is
 *    loaded with acquire order before its entries are read;
 *  - a sequentially consistent fence separates publishing our index (or our event index /
 *    suppression flag) from reading the peer's suppression state (or the peer's index);
 *    the publishing side's may be left to the waiting side's membarrier instead while
 *    the peer's fence-pact word says so (vring.h).
 */
#include "virtio/vring.h"

#include <errno.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define HOST_BE 1
#else
#define HOST_BE 0
#endif

/* ---- field access ---- */

/* The ring is caller memory of any declared type: access it through aliasing-safe types. */
typedef uint16_t __attribute__((may_alias)) ring16;
typedef uint32_t __attribute__((may_alias)) ring32;

static inline bool swapped(const struct vq *vq)
{
	return ((vq->flags & VQ_F_BIG_ENDIAN) != 0) != HOST_BE;
}

/* The ring's own order is big-endian (decides the word order of a descriptor's address). */
static inline bool ring_be(bool sw)
{
	return sw != HOST_BE;
}

/*
 * The hot operations are written once with the byte order as their last argument (ORDERED)
 * and called through BY_ORDER, which expands them for both orders: each copy runs straight,
 * with no test of the order at every field. Size-optimized builds keep one copy that asks.
 */
#if defined(__OPTIMIZE_SIZE__)
#define ORDERED static inline
#define BY_ORDER(vq, fn, ...) fn(__VA_ARGS__, swapped(vq))
#else
#define ORDERED static inline __attribute__((always_inline))
#define BY_ORDER(vq, fn, ...) (swapped(vq) ? fn(__VA_ARGS__, true) : fn(__VA_ARGS__, false))
#endif

/*
 * The accessors take the byte-order answer as an argument: each ring operation works it out
 * once (BY_ORDER, or const bool sw = swapped(vq)). Asked at each access, vq->flags was read
 * and tested again after every atomic load.
 */
static inline uint16_t cv16(bool sw, uint16_t v)
{
	return sw ? __builtin_bswap16(v) : v;
}

static inline uint32_t cv32(bool sw, uint32_t v)
{
	return sw ? __builtin_bswap32(v) : v;
}

static inline uint16_t ld16(bool sw, const uint8_t *p)
{
	return cv16(sw, __atomic_load_n((const ring16 *)(const void *)p, __ATOMIC_RELAXED));
}

static inline uint16_t ld16_acquire(bool sw, const uint8_t *p)
{
	return cv16(sw, __atomic_load_n((const ring16 *)(const void *)p, __ATOMIC_ACQUIRE));
}

static inline uint32_t ld32(bool sw, const uint8_t *p)
{
	return cv32(sw, __atomic_load_n((const ring32 *)(const void *)p, __ATOMIC_RELAXED));
}

static inline void st16(bool sw, uint8_t *p, uint16_t v)
{
	__atomic_store_n((ring16 *)(void *)p, cv16(sw, v), __ATOMIC_RELAXED);
}

static inline void st16_release(bool sw, uint8_t *p, uint16_t v)
{
	__atomic_store_n((ring16 *)(void *)p, cv16(sw, v), __ATOMIC_RELEASE);
}

static inline void st32(bool sw, uint8_t *p, uint32_t v)
{
	__atomic_store_n((ring32 *)(void *)p, cv32(sw, v), __ATOMIC_RELAXED);
}

/*
 * Ring entries (descriptors, available and used elements) that a slot is given again with
 * the bytes it already holds are left alone: a store, even of the same value, takes the
 * line away from the peer, whose next read of it is then a cache miss. With a fixed buffer
 * pool the same descriptor carries the same buffer in the same ring slot lap after lap, so
 * in steady state these lines stay shared and only the indices and the payload move
 * between the CPUs. What we read back is only compared, never trusted: a peer that wrote
 * there gets our value written again, and one that writes after the comparison could as
 * well have written after a store.
 */
static inline void put16(bool sw, uint8_t *p, uint16_t v)
{
	if (ld16(sw, p) != v)
		st16(sw, p, v);
}

static inline void put32(bool sw, uint8_t *p, uint32_t v)
{
	if (ld32(sw, p) != v)
		st32(sw, p, v);
}

/* The fence pact's word is little-endian whatever the ring's order (vring.h). */
static inline uint32_t pact_le(uint32_t v)
{
	return HOST_BE ? __builtin_bswap32(v) : v;
}

static inline void full_fence(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Ring geometry. The 64-bit descriptor address is accessed as two 32-bit words (the ring
 * only promises 4-byte alignment here, and 32-bit targets may lack 64-bit atomics). */
static inline uint8_t *desc(const struct vq *vq, uint32_t i) { return vq->mem + 16u * i; }
static inline uint8_t *avail_flags(const struct vq *vq) { return vq->avail; }
static inline uint8_t *avail_idx(const struct vq *vq) { return vq->avail + 2; }
static inline uint8_t *avail_ring(const struct vq *vq, uint16_t slot) { return vq->avail + 4 + 2u * slot; }
static inline uint8_t *used_event(const struct vq *vq) { return vq->avail + 4 + 2u * vq->num; }
static inline uint8_t *used_flags(const struct vq *vq) { return vq->used; }
static inline uint8_t *used_idx(const struct vq *vq) { return vq->used + 2; }
static inline uint8_t *used_elem(const struct vq *vq, uint16_t slot) { return vq->used + 4 + 8u * slot; }
static inline uint8_t *avail_event(const struct vq *vq) { return vq->used + 4 + 8u * vq->num; }

static inline uint16_t slot_of(const struct vq *vq, uint16_t idx)
{
	return (uint16_t)(idx & (vq->num - 1));
}

/* 32-bit words: a store to one cannot alias struct vq's other fields, as a byte's could. */
static inline bool bit_test(const uint32_t *map, uint32_t i) { return map[i >> 5] & (1u << (i & 31)); }
static inline void bit_set(uint32_t *map, uint32_t i) { map[i >> 5] |= 1u << (i & 31); }
static inline void bit_clear(uint32_t *map, uint32_t i) { map[i >> 5] &= ~(1u << (i & 31)); }

/* Driver role? A constant in device-only builds, so the driver's branches drop out. */
#ifdef RPMSG_VQ_DEVICE_ONLY
#define DRIVER(vq) ((void)(vq), false)
#define VQ_DEVICE_ONLY 1
#else
#define VQ_DEVICE_ONLY 0
#define DRIVER(vq) ((vq)->role == VQ_DRIVER)
#endif

static inline bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

/* ---- set-up ---- */

size_t vring_size(uint32_t num, uint32_t align)
{
	uint64_t used;

	if (!is_pow2(num) || num > VQ_NUM_LIMIT || !is_pow2(align) || align < 4)
		return 0;
	used = 16ull * num + 6u + 2ull * num;
	used = (used + align - 1) & ~((uint64_t)align - 1);
	return (size_t)(used + 6u + 8ull * num);
}

/* Local state of a freshly zeroed ring. */
static void reset_local(struct vq *vq)
{
	vq->broken = false;
	vq->prod_idx = 0;
	vq->pub_idx = 0;
	vq->cons_idx = 0;
	vq->peer_idx = 0;
	vq->notify_on = true; /* zeroed flags / event index ask for notifications */
	memset(vq->out, 0, sizeof(vq->out));
	vq->count = 0;
#ifndef RPMSG_VQ_DEVICE_ONLY
	vq->free_head = 0;
	vq->free_tail = (uint16_t)(vq->num - 1);
	if (vq->role == VQ_DRIVER) {
		vq->count = vq->num;
		for (uint32_t i = 0; i < vq->num; i++)
			vq->next_free[i] = (uint16_t)(i + 1); /* the last one is never followed */
	}
#endif
}

int vq_init(struct vq *vq, enum vq_role role, void *mem, size_t mem_size, uint32_t num,
	    uint32_t align, unsigned flags)
{
	size_t size = vring_size(num, align);

	if (!vq || !mem || !size || num > VQ_MAX_NUM || size > mem_size ||
	    ((uintptr_t)mem & 3u) ||
	    (flags & ~(VQ_F_BIG_ENDIAN | VQ_F_EVENT_IDX | VQ_F_FIXED_HEADS)) ||
	    (role != VQ_DEVICE && (role != VQ_DRIVER || VQ_DEVICE_ONLY)) ||
	    ((flags & VQ_F_FIXED_HEADS) && role != VQ_DRIVER))
		return -EINVAL;
	memset(vq, 0, sizeof(*vq));
	vq->num = num;
	vq->role = role;
	vq->flags = flags;
	vq->align = align;
	vq->ring_size = size;
	vq->mem = mem;
	vq->avail = vq->mem + VRING_AVAIL_OFF(num);
	vq->used = vq->mem + VRING_USED_OFF(num, align);
	reset_local(vq);
	return 0;
}

void vq_reset(struct vq *vq)
{
	if (DRIVER(vq))
		memset(vq->mem, 0, vq->ring_size);
	reset_local(vq);
}

static int set_broken(struct vq *vq)
{
	vq->broken = true;
	return -EIO;
}

/* ---- driver role ---- */

#ifdef RPMSG_VQ_DEVICE_ONLY
int vq_add(struct vq *vq, uint64_t addr, uint32_t len, bool device_writes)
{
	(void)vq, (void)addr, (void)len, (void)device_writes;
	return -EINVAL;
}

int vq_add_at(struct vq *vq, uint16_t head, uint64_t addr, uint32_t len, bool device_writes)
{
	(void)vq, (void)head, (void)addr, (void)len, (void)device_writes;
	return -EINVAL;
}

int vq_get_used(struct vq *vq, uint32_t *len)
{
	(void)vq, (void)len;
	return -EINVAL;
}

int vq_get_used_many(struct vq *vq, uint16_t *restrict ids, unsigned max)
{
	(void)vq, (void)ids, (void)max;
	return -EINVAL;
}
#else
/* Fill descriptor `head` (free, ours) and put it in the next available slot. */
ORDERED void post(struct vq *vq, uint16_t head, uint64_t addr, uint32_t len, bool device_writes,
		  const bool sw)
{
	uint8_t *d = desc(vq, head);

	vq->count--;
	bit_set(vq->out, head);
	if (ring_be(sw)) {
		put32(sw, d + 0, (uint32_t)(addr >> 32));
		put32(sw, d + 4, (uint32_t)addr);
	} else {
		put32(sw, d + 0, (uint32_t)addr);
		put32(sw, d + 4, (uint32_t)(addr >> 32));
	}
	put32(sw, d + 8, len);
	put16(sw, d + 12, device_writes ? VRING_DESC_F_WRITE : 0);
	put16(sw, d + 14, 0); /* no chains: the free list is kept locally */

	put16(sw, avail_ring(vq, slot_of(vq, vq->prod_idx)), head);
	vq->prod_idx++;
}

int vq_add(struct vq *vq, uint64_t addr, uint32_t len, bool device_writes)
{
	uint16_t head;

	if (vq->role != VQ_DRIVER || (vq->flags & VQ_F_FIXED_HEADS))
		return -EINVAL;
	if (vq->broken)
		return -EIO;
	if (!vq->count)
		return -ENOSPC;
	head = vq->free_head;
	vq->free_head = vq->next_free[head];
	BY_ORDER(vq, post, vq, head, addr, len, device_writes);
	return head;
}

int vq_add_at(struct vq *vq, uint16_t head, uint64_t addr, uint32_t len, bool device_writes)
{
	if (vq->role != VQ_DRIVER || !(vq->flags & VQ_F_FIXED_HEADS))
		return -EINVAL;
	if (vq->broken)
		return -EIO;
	if (head >= vq->num || bit_test(vq->out, head))
		return -EINVAL;
	BY_ORDER(vq, post, vq, head, addr, len, device_writes);
	return 0;
}

/*
 * Entries the device has published past ours (re-reading its index only once we have taken
 * all it showed last time: the line stays with the writer while we work through a batch);
 * -EIO when that is more buffers than it holds.
 */
static inline int used_pending(struct vq *vq, bool sw)
{
	uint16_t pending;

	if (vq->peer_idx == vq->cons_idx)
		vq->peer_idx = ld16_acquire(sw, used_idx(vq));
	pending = (uint16_t)(vq->peer_idx - vq->cons_idx);
	/* Each pending entry must name a distinct buffer the device holds. */
	if (pending > vq->num - vq->count)
		return set_broken(vq);
	return pending;
}

/* Check and take the entry at cons_idx (there is one): its id, or -EIO. */
static inline int take_used(struct vq *vq, bool sw, uint32_t *len)
{
	uint8_t *e = used_elem(vq, slot_of(vq, vq->cons_idx));
	uint32_t id = ld32(sw, e);

	if (id >= vq->num || !bit_test(vq->out, id))
		return set_broken(vq);
	if (len)
		*len = ld32(sw, e + 4);
	/*
	 * Freed descriptors queue at the tail and vq_add takes from the head: a batch the
	 * device returned is posted again in the same order, each buffer in the descriptor and
	 * ring slot it had (see put16 above: those lines then stay unwritten). With fixed
	 * heads the caller keeps that order itself, and there is no list.
	 */
	bit_clear(vq->out, id);
	if (!(vq->flags & VQ_F_FIXED_HEADS)) {
		if (vq->count)
			vq->next_free[vq->free_tail] = (uint16_t)id;
		else
			vq->free_head = (uint16_t)id;
		vq->free_tail = (uint16_t)id;
	}
	vq->count++;
	vq->cons_idx++;
	return (int)id;
}

/* After taking entries: with EVENT_IDX, keep asking for an interrupt at the next one; the
 * barrier orders this store before our next read of used.idx. */
static inline void used_taken(struct vq *vq, bool sw)
{
	if ((vq->flags & VQ_F_EVENT_IDX) && vq->notify_on) {
		st16(sw, used_event(vq), vq->cons_idx);
		full_fence();
	}
}

int vq_get_used(struct vq *vq, uint32_t *len)
{
	const bool sw = swapped(vq);
	int n, id;

	if (vq->role != VQ_DRIVER)
		return -EINVAL;
	if (vq->broken)
		return -EIO;
	n = used_pending(vq, sw);
	if (n <= 0)
		return n ? n : -EAGAIN;
	id = take_used(vq, sw, len);
	if (id >= 0)
		used_taken(vq, sw);
	return id;
}

ORDERED int get_used_many(struct vq *vq, uint16_t *restrict ids, unsigned max, const bool sw)
{
	int n = used_pending(vq, sw), id;

	if (n <= 0)
		return n;
	if ((unsigned)n > max)
		n = (int)max;
	for (int i = 0; i < n; i++) {
		id = take_used(vq, sw, NULL);
		if (id < 0)
			return id;
		ids[i] = (uint16_t)id;
	}
	used_taken(vq, sw);
	return n;
}

int vq_get_used_many(struct vq *vq, uint16_t *restrict ids, unsigned max)
{
	if (vq->role != VQ_DRIVER)
		return -EINVAL;
	if (vq->broken)
		return -EIO;
	return BY_ORDER(vq, get_used_many, vq, ids, max);
}
#endif

/* ---- device role ---- */

ORDERED int get_avail(struct vq *vq, uint64_t *addr, uint32_t *len, uint16_t *flags,
		      const bool sw)
{
	uint16_t idx, pending, head, dflags;
	uint32_t w0, w1, dlen;
	uint8_t *d;

	/* As in vq_get_used: the driver's index only when the last batch is used up. */
	if (vq->peer_idx == vq->cons_idx)
		vq->peer_idx = ld16_acquire(sw, avail_idx(vq));
	idx = vq->peer_idx;
	pending = (uint16_t)(idx - vq->cons_idx);
	if (!pending)
		return -EAGAIN;
	if (pending > vq->num)
		return set_broken(vq);
	head = ld16(sw, avail_ring(vq, slot_of(vq, vq->cons_idx)));
	if (head >= vq->num || bit_test(vq->out, head))
		return set_broken(vq);
	d = desc(vq, head);
	w0 = ld32(sw, d + 0);
	w1 = ld32(sw, d + 4);
	dlen = ld32(sw, d + 8);
	dflags = ld16(sw, d + 12);
	if (dflags & (VRING_DESC_F_NEXT | VRING_DESC_F_INDIRECT))
		return set_broken(vq);

	bit_set(vq->out, head);
	vq->count++;
	vq->cons_idx++;
	if (addr)
		*addr = ring_be(sw) ? ((uint64_t)w0 << 32 | w1) : ((uint64_t)w1 << 32 | w0);
	if (len)
		*len = dlen;
	if (flags)
		*flags = dflags;
	if ((vq->flags & VQ_F_EVENT_IDX) && vq->notify_on) {
		/* Ask for a kick when the driver posts past what we have taken. */
		st16(sw, avail_event(vq), vq->cons_idx);
		full_fence();
	}
	return head;
}

int vq_get_avail(struct vq *vq, uint64_t *addr, uint32_t *len, uint16_t *flags)
{
	if (vq->role != VQ_DEVICE)
		return -EINVAL;
	if (vq->broken)
		return -EIO;
	return BY_ORDER(vq, get_avail, vq, addr, len, flags);
}

ORDERED void put_used(struct vq *vq, uint16_t head, uint32_t len, const bool sw)
{
	uint8_t *e = used_elem(vq, slot_of(vq, vq->prod_idx));

	bit_clear(vq->out, head);
	vq->count--;
	put32(sw, e, head);
	put32(sw, e + 4, len);
	vq->prod_idx++;
}

int vq_put_used(struct vq *vq, uint16_t head, uint32_t len)
{
	if (vq->role != VQ_DEVICE)
		return -EINVAL;
	if (vq->broken)
		return -EIO;
	if (head >= vq->num || !bit_test(vq->out, head))
		return -EINVAL;
	BY_ORDER(vq, put_used, vq, head, len);
	return 0;
}

#ifndef RPMSG_VQ_DEVICE_ONLY /* rpmsg tiny does not prefetch */
int vq_next_guess(const struct vq *vq, uint64_t *addr)
{
	const bool sw = swapped(vq);
	uint32_t head;
	uint8_t *d;

	if (DRIVER(vq)) {
		head = ld32(sw, used_elem(vq, slot_of(vq, vq->cons_idx)));
		return head < vq->num ? (int)head : -1;
	}
	head = ld16(sw, avail_ring(vq, slot_of(vq, vq->cons_idx)));
	if (head >= vq->num)
		return -1;
	d = desc(vq, head);
	*addr = (vq->flags & VQ_F_BIG_ENDIAN) ? ((uint64_t)ld32(sw, d) << 32 | ld32(sw, d + 4))
					      : ((uint64_t)ld32(sw, d + 4) << 32 | ld32(sw, d));
	return (int)head;
}
#endif

/* ---- both roles ---- */

/* Does the peer want a doorbell for entries old..now? (Read after our index is out.) */
static bool wants_notify(const struct vq *vq, uint16_t old, uint16_t now, bool sw)
{
	bool drv = DRIVER(vq);

	if (vq->flags & VQ_F_EVENT_IDX)
		return vring_need_event(ld16(sw, drv ? avail_event(vq) : used_event(vq)), now, old);
	if (drv)
		return !(ld16(sw, used_flags(vq)) & VRING_USED_F_NO_NOTIFY);
	return !(ld16(sw, avail_flags(vq)) & VRING_AVAIL_F_NO_INTERRUPT);
}

ORDERED bool publish(struct vq *vq, uint16_t old, uint16_t now, const bool sw)
{
	uint32_t pact = 0;

	if (vq->pact)
		pact = __atomic_load_n(vq->pact, __ATOMIC_ACQUIRE); /* before our index goes out */
	st16_release(sw, DRIVER(vq) ? avail_idx(vq) : used_idx(vq), now);
	__atomic_store_n(&vq->pub_idx, now, __ATOMIC_RELAXED); /* see vq_published */
	/*
	 * The peer's posted pact word, unchanged from before our store to after it: the peer
	 * has not slept since, and before it does its last look will see our index (vring.h).
	 * No fence, and no doorbell: nobody there waits for one. The peer's barrier lands
	 * between two of our instructions, so the second read must follow the store in the
	 * instruction stream (a compiler barrier), not in the order memory sees them.
	 */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if ((pact & pact_le(VQ_PACT_POSTED)) && __atomic_load_n(vq->pact, __ATOMIC_RELAXED) == pact) {
		__atomic_store_n(&vq->light_pubs, vq->light_pubs + 1, __ATOMIC_RELAXED);
		return false;
	}
	/* Our index before the peer's suppression state. */
	full_fence();
	return wants_notify(vq, old, now, sw);
}

bool vq_publish(struct vq *vq)
{
	uint16_t old = vq->pub_idx, now = vq->prod_idx;

	if (vq->broken || old == now)
		return false;
	return BY_ORDER(vq, publish, vq, old, now);
}

bool vq_pending(const struct vq *vq)
{
	const bool sw = swapped(vq);

	if (vq->broken)
		return false;
	return ld16_acquire(sw, DRIVER(vq) ? used_idx(vq) : avail_idx(vq)) != vq->cons_idx;
}

void vq_enable_notify(struct vq *vq)
{
	const bool sw = swapped(vq);

	vq->notify_on = true;
	if (vq->flags & VQ_F_EVENT_IDX)
		st16(sw, DRIVER(vq) ? used_event(vq) : avail_event(vq), vq->cons_idx);
	else if (DRIVER(vq))
		st16(sw, avail_flags(vq), 0);
	else
		st16(sw, used_flags(vq), 0);
	full_fence(); /* before the caller re-checks vq_pending */
}

/*
 * What "please do not notify me" looks like on the wire:
 *  - without EVENT_IDX: the NO_INTERRUPT (driver) / NO_NOTIFY (device) flag;
 *  - with EVENT_IDX the flags stay 0 and the event index says it:
 *    driver: used_event = 0, the placeholder Linux writes (a device may then interrupt once
 *            per 65536 entries, when used.idx steps past 0);
 *    device: avail_event = (taken - num - 1), one full ring behind what we took, which a
 *            well-behaved driver cannot pass before its index wraps.
 */
void vq_disable_notify(struct vq *vq)
{
	const bool sw = swapped(vq);

	vq->notify_on = false;
	if (vq->flags & VQ_F_EVENT_IDX) {
		if (DRIVER(vq))
			st16(sw, used_event(vq), 0);
		else
			st16(sw, avail_event(vq), (uint16_t)(vq->cons_idx - vq->num - 1));
	} else if (DRIVER(vq)) {
		st16(sw, avail_flags(vq), VRING_AVAIL_F_NO_INTERRUPT);
	} else {
		st16(sw, used_flags(vq), VRING_USED_F_NO_NOTIFY);
	}
}

uint32_t vq_free_count(const struct vq *vq)
{
	const bool sw = swapped(vq);
	uint16_t pending;

	if (DRIVER(vq))
		return vq->count;
	if (vq->broken)
		return 0;
	pending = (uint16_t)(ld16_acquire(sw, avail_idx(vq)) - vq->cons_idx);
	return pending > vq->num ? 0 : pending;
}

/* ---- rings whose three parts lie apart (vhost-user gives three addresses) ---- */
#ifndef RPMSG_VQ_DEVICE_ONLY

int vq_init_parts(struct vq *vq, enum vq_role role, void *desc_tbl, void *avail_ring_p,
		  void *used_ring_p, uint32_t num, unsigned flags, uint16_t avail_base)
{
	if (!vq || !desc_tbl || !avail_ring_p || !used_ring_p || !is_pow2(num) ||
	    num > VQ_MAX_NUM || ((uintptr_t)desc_tbl & 15u) || ((uintptr_t)avail_ring_p & 1u) ||
	    ((uintptr_t)used_ring_p & 3u) || (flags & ~(VQ_F_BIG_ENDIAN | VQ_F_EVENT_IDX)) ||
	    role != VQ_DEVICE)
		return -EINVAL;
	memset(vq, 0, sizeof(*vq));
	vq->num = num;
	vq->role = role;
	vq->flags = flags;
	vq->align = 4;
	vq->ring_size = 0; /* not one block: vq_reset never zeroes anything */
	vq->mem = desc_tbl;
	vq->avail = avail_ring_p;
	vq->used = used_ring_p;
	reset_local(vq);
	/* Resume where the driver says the device stopped; our used index is what the ring
	 * holds (any 16-bit value is a valid free-running index). Any local copy of the
	 * peer's index that struct vq may gain must start equal to cons_idx here. */
	vq->cons_idx = avail_base;
	vq->peer_idx = avail_base;
	vq->prod_idx = vq->pub_idx = ld16_acquire(swapped(vq), used_idx(vq));
	return 0;
}

uint16_t vq_avail_base(const struct vq *vq)
{
	return vq->cons_idx;
}
#endif
