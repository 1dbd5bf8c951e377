/*
 * virtio_rpmsg: the rpmsg bus over two split virtqueues, as driver (main CPU) or device
 * (remote). See include/rpmsg/virtio.h for the memory layout and spec/10-virtio.md for
 * the wire rules. Everything read from shared memory is read once and checked.
 *
 * Peer loss and recovery. Every receive pass (process) starts by looking at the peer:
 *  - driver: the status byte is ours to write; a value other than the one we last wrote
 *    means the device reset or restarted (a fresh table has status 0), asks for a reset
 *    (NEEDS_RESET) or plays games. The link goes down (generation + 1, every channel
 *    removed, blocked senders return -EPIPE) and, once the table is valid with status 0 or
 *    NEEDS_RESET, is negotiated again from scratch (rings zeroed, buffers re-posted), as
 *    remoteproc recovery does. A device that breaks the ring protocol (a broken vq) takes
 *    the link down with status FAILED, until the device publishes a fresh table.
 *  - device: DRIVER_OK lost takes the link down; a driver that breaks the ring protocol
 *    gets NEEDS_RESET and the link goes down until the driver sets DRIVER_OK again.
 * A device publishes its table with the version word zeroed first and written last, then
 * rings the driver (vq0's doorbell) so that a waiting driver notices the restart.
 */
#include <stdatomic.h>
#include <string.h>

#include <rpmsg/transport.h>
#include <rpmsg/virtio.h>

#include "core/biaslock.h"
#include "core/os.h"
#include "virtio/rpmsg_wire.h"
#include "virtio/rsc_table.h"
#include "virtio/virtio_diag.h"
#include "virtio/vring.h"

#define HDR_SIZE 16
#define TABLE_SPACE 4096u
#define PAGE 4096u

struct vbuf {
	uint8_t *va;
	uint64_t pa;
	uint32_t len;      /* usable bytes (descriptor length) */
	uint32_t used_len; /* receive: what the peer reported */
	uint16_t head;     /* descriptor head while it is with us */
	uint32_t gen;      /* link generation it belongs to (stale after a reset) */
};

struct vio {
	struct rpmsg_link *link;
	struct rpmsg_platform *plat;
	struct rpmsg_virtio_config cfg;
	bool device, be;
	unsigned rxq, txq; /* which vq receives / transmits for this role */
	struct rsc_vdev vdev;
	struct vq vq[2];
	uint32_t nid[2];   /* notify ids of vq0 and vq1 */
	uint8_t *used_idx_at[2]; /* device: where each ring's used.idx (ours to write) lives */
	uint32_t features; /* negotiated */
	_Atomic bool up;
	_Atomic uint32_t gen;  /* +1 each time the link goes down */
	_Atomic bool fault;    /* a send saw a broken vq: process takes the link down */
	bool ns;               /* the link carries the name service */
	int refused_status; /* device: a status we could not act on (bad table), -1 if none */
	_Atomic uint8_t status_written; /* driver: the status byte as we last wrote it */
	int stale_status;       /* driver, down: a status whose table was unusable, -1 if none */
	uint64_t downs, ups, faults;

	/* Device: per vq, per descriptor head, the buffer it named when last checked (dev_buf). */
	struct vbuf *slot[2];
	/*
	 * Driver: the pool, receive buffers first. Each buffer has a descriptor of its own for
	 * good (VQ_F_FIXED_HEADS): receive buffer i is head i of the receive vq, transmit
	 * buffer i head i of the transmit vq, so a head alone says which buffer (pool_buf).
	 */
	uint8_t *pool;
	uint64_t pool_pa;
	unsigned nrx, ntx, fresh_tx;
	/*
	 * Driver: heads of transmit buffers the device has given back, taken off the used ring
	 * all at once when we run out, oldest first (reclaimed[rc_first] is next). Sends in
	 * between then leave the used ring (a cache line the device writes) alone: that read
	 * was a cache miss on every send.
	 */
	uint16_t *reclaimed;
	unsigned rc_first, nreclaimed;
	/* Transmit buffers in hand but not sent (released zero-copy buffers, peeked device buffers). */
	struct vbuf *stash;
	unsigned nstash;
	/* Transmit buffers lent to the application (zero copy), found again by payload pointer. */
	struct vbuf *lent;
	unsigned nlent;
	uint32_t dev_tx_len; /* device: length of the last transmit buffer seen */
	/* Receive buffers the application holds past their callback (zero copy). */
	struct vbuf *held;
	unsigned nheld;
	/* Receive buffers done with in this pass, given back together at its end (so that a
	 * used id repeated within one pass names a buffer we do not hold: a broken vq). */
	struct vbuf *done;
	unsigned ndone;
	/*
	 * Receive buffers given back to the ring but not yet published (see rx_publish_due):
	 * publishing costs a fence and a read of the peer's suppression flag, which without
	 * EVENT_IDX shares a line with the index the peer writes per message.
	 */
	atomic_uint rx_unpublished; /* written under rx_lock, peeked at without it */
	unsigned idle_passes;       /* process only */
	/* The fence pact (vring.h): our word and the peer's, NULL if none (set at create). */
	uint32_t *pact_mine;
	const uint32_t *pact_peer;
	_Atomic uint32_t pact_word; /* ours as last stored, host order (stored under pact_lock) */
	uint64_t pact_awake;        /* under pact_lock: since when no sleep was seen, or PACT_ASLEEP */
	uint64_t pact_busy_ns;      /* post after this long awake */
	unsigned pact_tx_waiters;   /* under pact_lock: senders in wait_for_tx (no post then) */
	unsigned pact_looks;        /* process only: passes since pact_tick */
	const uint8_t *cur_rx; /* payload being delivered, for hold_rx_buffer */
	const uint8_t *rx_hint; /* process only: where the next message will likely land */
	uint32_t rx_hint_len;   /* process only: bytes of it to fetch (as the last message) */
	bool cur_held;

	rpmsg_biaslock tx_lock;  /* txq, stash, fresh_tx (its sender takes it with plain stores) */
	rpmsg_spinlock rx_lock;  /* rxq (process and late releases of held buffers) */
	rpmsg_spinlock pact_lock; /* innermost: posts and revokes of our pact word */
	int watched[2];          /* fds watched on the bus, -1 if none */
	struct rpmsg_virtio_stats stats;
};

/* Bare metal has one context, and Cortex-M no 64-bit atomics (nor a libatomic to call). */
/*
 * The role of this link. A build that carries one role only (RPMSG_ROLE_MAIN or _REMOTE set
 * to 0) makes this a constant, so the other role's code drops out of the image.
 */
static inline bool is_dev(const struct vio *v)
{
	return !RPMSG_ROLE_MAIN || (RPMSG_ROLE_REMOTE && v->device);
}

/* ---- byte order of headers ---- */

static uint32_t get32(const uint8_t *p, bool be)
{
	return rpmsg_wire_get(p, 4, be);
}

static void write_header(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t len, bool be)
{
	rpmsg_hdr_write(buf, src, dst, len, be);
}

/* A whole message into a transmit buffer: header, then the payload. */
static inline void write_msg(uint8_t *buf, uint32_t src, uint32_t dst, const void *data,
			     size_t len, bool be)
{
	write_header(buf, src, dst, (uint16_t)len, be);
	if (len)
		memcpy(buf + HDR_SIZE, data, len);
}

static uint64_t now_ns(struct vio *v)
{
	return v->plat->ops->now_ns(v->plat);
}

static void kick(struct vio *v, unsigned q)
{
	rpmsg_stat_add(&v->stats.notifies, 1);
	rpmsg_platform_notify(v->plat, v->nid[q]);
}

/*
 * The fence pact (vring.h). A side that has stayed awake for pact_busy_ns posts its word:
 * the peer's publishes then skip their full fence and their doorbell, and our next sleep
 * runs sleep_fence for them (one membarrier per stretch awake, not a fence per message).
 * Skipping the doorbell is sound because nobody here sleeps waiting for one while the
 * word is posted: a poller that sleeps revokes first, one that slept before the post had
 * its flag cleared by the awake poller (process, which the post follows), and senders
 * waiting for buffers hold off the post (pact_tx_waiters).
 */
#define PACT_ASLEEP UINT64_MAX

/* Caller holds pact_lock. */
static void pact_store(struct vio *v, uint32_t w, int order)
{
	atomic_store_explicit(&v->pact_word, w, memory_order_relaxed);
	__atomic_store_n(v->pact_mine, rpmsg_le32(w), order);
}

/* The peer's word, host order (only its bits are looked at: a peer that lies hurts itself). */
static uint32_t pact_peer_word(const struct vio *v)
{
	return v->pact_peer ? rpmsg_le32(__atomic_load_n(v->pact_peer, __ATOMIC_RELAXED)) : 0;
}

/* From process, every 64 passes: post once awake long enough, if the peer reads posts. */
static void pact_tick(struct vio *v)
{
	uint64_t now;
	uint32_t w;

	if (!v->pact_mine || (atomic_load_explicit(&v->pact_word, memory_order_relaxed) & VQ_PACT_POSTED) ||
	    !(pact_peer_word(v) & VQ_PACT_READS))
		return;
	now = now_ns(v);
	rpmsg_spin_lock(&v->pact_lock);
	w = atomic_load_explicit(&v->pact_word, memory_order_relaxed);
	if (v->pact_awake == PACT_ASLEEP || now < v->pact_awake) {
		v->pact_awake = now; /* awake again (or a sleeper came by): count from here */
	} else if (!(w & VQ_PACT_POSTED) && !v->pact_tx_waiters &&
		   now - v->pact_awake >= v->pact_busy_ns) {
		pact_store(v, (w + VQ_PACT_STEP) | VQ_PACT_POSTED, __ATOMIC_RELAXED);
		rpmsg_stat_add(&v->stats.pact_posts, 1);
	}
	rpmsg_spin_unlock(&v->pact_lock);
}

/*
 * About to sleep: our "wake me" flag is set and fenced (vq_enable_notify), the last look
 * at the ring comes next. If we posted, revoke and run the barrier that the peer's
 * unfenced publishes rely on, under the lock: another sleeper of ours that finds the word
 * revoked must not make its last look before this barrier is through.
 */
static void pact_sleep(struct vio *v)
{
	uint32_t w;

	if (!v->pact_mine)
		return;
	rpmsg_spin_lock(&v->pact_lock);
	v->pact_awake = PACT_ASLEEP;
	w = atomic_load_explicit(&v->pact_word, memory_order_relaxed);
	if (w & VQ_PACT_POSTED) {
		pact_store(v, (w + VQ_PACT_STEP) & ~VQ_PACT_POSTED, __ATOMIC_RELAXED);
		v->plat->ops->sleep_fence(v->plat);
		rpmsg_stat_add(&v->stats.pact_revokes, 1);
	}
	rpmsg_spin_unlock(&v->pact_lock);
}

/* A sender starts (+1) or ends (-1) waiting for the peer to give buffers back. */
static void pact_tx_wait(struct vio *v, int delta)
{
	if (!v->pact_mine)
		return;
	rpmsg_spin_lock(&v->pact_lock);
	v->pact_tx_waiters += (unsigned)delta;
	rpmsg_spin_unlock(&v->pact_lock);
}

/* At create: our word says we read the peer's (and its sleep_fence reaches us). */
static void pact_init(struct vio *v)
{
	const struct rpmsg_platform_ops *ops = v->plat->ops;
	uint32_t *words;

	if (v->cfg.fence_pact_us < 0 || !ops->pact_words || !ops->sleep_fence ||
	    !(words = ops->pact_words(v->plat)))
		return;
	v->pact_mine = &words[v->plat->side ? 1 : 0];
	v->pact_peer = &words[v->plat->side ? 0 : 1];
	v->pact_busy_ns = (uint64_t)(v->cfg.fence_pact_us ? v->cfg.fence_pact_us : 1000) * 1000u;
	v->pact_awake = PACT_ASLEEP;
	pact_store(v, VQ_PACT_READS, __ATOMIC_RELEASE);
}

/* Do [a, a + alen) and [b, b + blen) overlap? */
static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Device: a buffer the driver posted, mapped if it lies in shared memory and clear of the
 * table and the rings (a driver must not make us write over the rings). */
static uint8_t *buf_ptr(struct vio *v, uint64_t pa, uint32_t len)
{
	const struct rpmsg_shm *shm = &v->plat->shm;

	if (overlaps(pa, len, shm->pa, TABLE_SPACE))
		return NULL;
	for (int i = 0; i < 2; i++)
		if (overlaps(pa, len, rpmsg_shm_pa(shm, v->vq[i].mem), v->vq[i].ring_size))
			return NULL;
	return rpmsg_shm_ptr(shm, pa, len);
}

/*
 * Device: buf_ptr for the buffer descriptor `head` of vq `q` names, remembered in slot[]
 * (zeroed at each link-up, like the ring mapping the check depends on). A driver's fixed
 * pool names the same buffer in the same descriptor lap after lap, so the checks run once
 * per buffer, not once per message.
 */
static uint8_t *dev_buf(struct vio *v, unsigned q, uint16_t head, uint64_t pa, uint32_t len)
{
	struct vbuf *s = &v->slot[q][head];

	if (!s->va || s->pa != pa || s->len != len) {
		s->va = buf_ptr(v, pa, len);
		s->pa = pa;
		s->len = len;
	}
	return s->va;
}

/* Device: the buffer dev_buf last checked for this descriptor, if the address is the same
 * and it spans at least len bytes; NULL otherwise. No check now: for prefetching only. */
static const uint8_t *dev_buf_seen(const struct vio *v, unsigned q, uint16_t head, uint64_t pa,
				   uint32_t len)
{
	const struct vbuf *s = &v->slot[q][head];

	return s->pa == pa && len <= s->len ? s->va : NULL;
}

/* The peer went away under a waiting sender (checked without taking the link down). */
static bool peer_gone(struct vio *v)
{
	uint8_t s = rsc_vdev_status(&v->vdev);

	if (is_dev(v))
		return !(s & VIRTIO_STATUS_DRIVER_OK);
	return s != v->status_written;
}

/* ---- receive buffers given back ---- */

/*
 * Given-back receive buffers are published in groups: once a few have gathered (at most 16,
 * an eighth of the ring), after a while with nothing received (RX_IDLE_PUBLISH empty
 * passes), before the bus sleeps (arm), and before one of our senders waits for a buffer
 * (the peer may need one of ours to answer first). The peer keeps the rest of the ring
 * meanwhile. Publishing once per message cost a busy round trip a cache miss on each side.
 */
#define RX_IDLE_PUBLISH 64u

static bool rx_publish_due(const struct vio *v, const struct vq *q)
{
	unsigned every = q->num / 8 > 16 ? 16 : q->num / 8;
	unsigned unpublished = atomic_load_explicit(&v->rx_unpublished, memory_order_relaxed);

	return unpublished && (unpublished >= (every ? every : 1) || v->idle_passes >= RX_IDLE_PUBLISH);
}

/* Publish what rx_recycle_locked gave back, if anything (caller holds rx_lock); true: kick
 * the peer. With nothing new it returns at once, without the fence. */
static bool rx_publish_locked(struct vio *v)
{
	atomic_store_explicit(&v->rx_unpublished, 0, memory_order_relaxed);
	return vq_publish(&v->vq[v->rxq]);
}

/* ---- transmit buffers ---- */

/*
 * The send path's steps (take, fill, queue), folded into each sender: as calls they cost
 * every message a dozen more stack stores and loads, and bursts of 16 ran a fifth slower
 * (bench/RESULTS.md, eighth session). Size-optimized builds (firmware) keep them out of line.
 * send_any's vbuf starts zeroed: GCC cannot see that wait_for_tx fills it.
 */
#if defined(__OPTIMIZE_SIZE__)
#define TX_STEP static
#else
#define TX_STEP static inline __attribute__((always_inline))
#endif

/* Driver: where in the pool the buffer in descriptor `head` of vq `q` lies (see pool). */
static inline size_t pool_off(const struct vio *v, unsigned q, unsigned head)
{
	return (size_t)(q == v->txq ? v->nrx + head : head) * v->cfg.buf_size;
}

/* Driver: that buffer, whole. */
static inline void pool_buf(const struct vio *v, unsigned q, unsigned head, struct vbuf *out)
{
	size_t off = pool_off(v, q, head);

	out->va = v->pool + off;
	out->pa = v->pool_pa + off;
	out->len = v->cfg.buf_size;
	out->head = (uint16_t)head;
}

/* Driver: the descriptor of a free transmit buffer (fresh, or one the device returned);
 * -ENOMEM: none; -EIO: the device broke the ring. The stash is the caller's business. */
TX_STEP int drv_tx_head_locked(struct vio *v)
{
	struct vq *q = &v->vq[v->txq];

	if (v->fresh_tx < v->ntx)
		return (int)v->fresh_tx++;
	if (!v->nreclaimed) {
		/* The device's used length is ignored on vq1. */
		int n = vq_get_used_many(q, v->reclaimed, q->num);

		if (n <= 0) {
			if (n == -EIO)
				atomic_store(&v->fault, true);
			return n ? n : -ENOMEM;
		}
		v->rc_first = 0;
		v->nreclaimed = (unsigned)n;
	}
	v->nreclaimed--;
	return v->reclaimed[v->rc_first++];
}

/* Take a transmit buffer without waiting: stash, fresh pool, or what the peer returned. */
TX_STEP int tx_take_locked(struct vio *v, struct vbuf *out)
{
	struct vq *q = &v->vq[v->txq];
	int head;

	if (v->nstash) {
		*out = v->stash[--v->nstash];
		return 0;
	}
	if (!is_dev(v)) {
		head = drv_tx_head_locked(v);
		if (head < 0)
			return head;
		pool_buf(v, v->txq, (unsigned)head, out);
		out->gen = atomic_load(&v->gen);
		return 0;
	}
	/* Device: the next empty buffer the driver posted on vq0. */
	for (bool returned = false;; returned = true) {
		uint64_t addr;
		uint32_t len;
		uint16_t flags;
		uint8_t *va;

		head = vq_get_avail(q, &addr, &len, &flags);
		if (head < 0) {
			if (head == -EIO)
				atomic_store(&v->fault, true);
			/* Bad buffers handed back on the way: let the driver have them now. */
			if (returned && vq_publish(q))
				kick(v, v->txq);
			return head == -EAGAIN ? -ENOMEM : head;
		}
		va = len >= HDR_SIZE ? dev_buf(v, v->txq, (uint16_t)head, addr, len) : NULL;
		if (!va) {
			/* Outside our memory, over the rings or the table, or too short for a
			 * header: hand it back unused. */
			rpmsg_stat_add(&v->stats.rx_bad, 1);
			vq_put_used(q, (uint16_t)head, 0);
			continue;
		}
		out->va = va;
		out->pa = addr;
		out->len = len;
		out->head = (uint16_t)head;
		out->gen = atomic_load(&v->gen);
		v->dev_tx_len = len;
		return 0;
	}
}

static int wait_for_tx(struct vio *v, struct vbuf *out, int timeout_ms)
{
	int tl; /* how tx_lock was taken (rpmsg_bias_unlock) */
	uint64_t deadline = timeout_ms > 0 ? now_ns(v) + (uint64_t)timeout_ms * 1000000u : 0;
	struct vq *q = &v->vq[v->txq];
	uint32_t gen = atomic_load(&v->gen);
	int ret;

	tl = rpmsg_bias_lock(&v->tx_lock);
	ret = tx_take_locked(v, out);
	if (ret != -ENOMEM || timeout_ms == 0)
		goto out;
	rpmsg_stat_add(&v->stats.tx_waits, 1);
	/*
	 * Receive buffers we kept back go to the peer first: it may be waiting for one to
	 * answer before it frees ours (both sides sending from their callbacks).
	 */
	if (atomic_load(&v->rx_unpublished)) {
		bool notify;

		rpmsg_spin_lock(&v->rx_lock);
		notify = rx_publish_locked(v);
		rpmsg_spin_unlock(&v->rx_lock);
		if (notify)
			kick(v, v->rxq);
	}
	/* Ask the peer for a doorbell when it frees buffers, then sleep on it. */
	pact_tx_wait(v, 1);
	vq_enable_notify(q);
	for (;;) {
		int slice = 100;

		/* Our flag is set (and kept current by each take): behind the pact's barrier,
		 * if we posted, the last look before sleeping. */
		pact_sleep(v);
		ret = tx_take_locked(v, out);
		if (ret != -ENOMEM)
			break;
		if (atomic_load(&v->gen) != gen || peer_gone(v)) {
			ret = -EPIPE; /* the peer reset or went away while we waited */
			break;
		}
		if (!atomic_load(&v->up)) {
			ret = -ENOTCONN;
			break;
		}
		if (timeout_ms > 0) {
			uint64_t now = now_ns(v);

			if (now >= deadline) {
				ret = -ETIMEDOUT;
				break;
			}
			/* Under one slice left: it fits 32 bits (no 64-bit division on small cores). */
			if (deadline - now < (uint64_t)slice * 1000000u)
				slice = (int)((uint32_t)(deadline - now) / 1000000u) + 1;
		}
		/* The tx lock stays held: other senders queue behind us, in order. */
		if (rpmsg_platform_wait(v->plat, v->nid[v->txq], slice) && slice == 100)
			/* A whole slice without a ring: every buffer we could take is with the
			 * peer, which may have slept through our kick (a lost doorbell; with the
			 * event index no later message kicks again). Kick once more: if it was
			 * awake, it is only a spurious ring. */
			kick(v, v->txq);
	}
	vq_disable_notify(q);
	pact_tx_wait(v, -1);
out:
	rpmsg_bias_unlock(&v->tx_lock, tl);
	return ret;
}

/* What putting a buffer on the transmit ring returned, as a send's result. */
TX_STEP int tx_queued_locked(struct vio *v, int ret)
{
	if (ret) {
		if (ret == -EIO)
			atomic_store(&v->fault, true);
		return ret == -EIO ? -EIO : -ENOSPC;
	}
	rpmsg_stat_add_owned(&v->stats.tx_msgs, 1);
	return 0;
}

/* Put a filled buffer on the ring, not yet published (caller holds tx_lock). */
TX_STEP int tx_queue_locked(struct vio *v, struct vbuf *b, size_t len)
{
	struct vq *q = &v->vq[v->txq];
	int ret;

	if (b->gen != atomic_load(&v->gen) || !atomic_load(&v->up))
		return -EPIPE; /* taken before the link went down: its rings are gone */
	if (is_dev(v))
		ret = vq_put_used(q, b->head, (uint32_t)(HDR_SIZE + len));
	else
		ret = vq_add_at(q, b->head, b->pa, (uint32_t)(HDR_SIZE + len), false);
	return tx_queued_locked(v, ret);
}

/* Let go of tx_lock (taken as `tl` says); what was queued under it is published first,
 * and the peer rung if it asks. */
TX_STEP void tx_unlock_publish(struct vio *v, int tl, bool queued)
{
	bool notify = queued && vq_publish(&v->vq[v->txq]);

	rpmsg_bias_unlock(&v->tx_lock, tl);
	if (notify)
		kick(v, v->txq);
}

/* Hand a filled buffer to the peer. */
static int tx_submit(struct vio *v, struct vbuf *b, size_t len)
{
	int tl = rpmsg_bias_lock(&v->tx_lock); /* how it was taken (rpmsg_bias_unlock) */
	int ret = tx_queue_locked(v, b, len);

	tx_unlock_publish(v, tl, !ret);
	return ret;
}

static void tx_stash(struct vio *v, const struct vbuf *b)
{
	int tl = rpmsg_bias_lock(&v->tx_lock);

	if (b->gen == atomic_load(&v->gen) && v->nstash < v->vq[v->txq].num)
		v->stash[v->nstash++] = *b;
	rpmsg_bias_unlock(&v->tx_lock, tl);
}

static bool too_big(const struct vio *v, size_t len)
{
	return (!is_dev(v) && len > v->cfg.buf_size - HDR_SIZE) || len > 0xFFFF;
}

/* Fill a taken buffer and put it on the ring, unpublished (caller holds tx_lock). */
TX_STEP int tx_fill_locked(struct vio *v, struct vbuf *b, uint32_t src, uint32_t dst,
			   const void *data, size_t len)
{
	if (len > b->len - HDR_SIZE) {
		/* A device buffer too small for this one: keep it for the next. */
		if (b->gen == atomic_load(&v->gen) && v->nstash < v->vq[v->txq].num)
			v->stash[v->nstash++] = *b;
		return -EMSGSIZE;
	}
	write_msg(b->va, src, dst, data, len, v->be);
	return tx_queue_locked(v, b, len);
}

/*
 * The driver's send without a wait, nearly every send: no buffer record (a head names the
 * buffer) and no role tests, so it needs few registers and few stores. 1: not handled here
 * (a stashed buffer goes first); -ENOMEM: no buffer free, as send_any would find too.
 */
static inline __attribute__((always_inline)) int drv_send_fast(struct vio *v, uint32_t src,
							       uint32_t dst, const void *data,
							       size_t len)
{
	int tl = rpmsg_bias_lock(&v->tx_lock);
	int head, ret = 1;

	if (v->nstash) {
		/* send_any takes it */
	} else if ((head = drv_tx_head_locked(v)) < 0) {
		ret = head;
	} else {
		size_t off = pool_off(v, v->txq, (unsigned)head);

		write_msg(v->pool + off, src, dst, data, len, v->be);
		if (!atomic_load(&v->up)) /* down since vio_send looked: its rings are gone */
			ret = -EPIPE;
		else
			ret = tx_queued_locked(v, vq_add_at(&v->vq[v->txq], (uint16_t)head,
							    v->pool_pa + off,
							    (uint32_t)(HDR_SIZE + len), false));
	}
	tx_unlock_publish(v, tl, !ret);
	return ret;
}

/* Every send but the driver's fast one: any role, any buffer, waiting if need be. */
static __attribute__((noinline)) int send_any(struct vio *v, uint32_t src, uint32_t dst,
					      const void *data, size_t len, int timeout_ms)
{
	int tl; /* how tx_lock was taken (rpmsg_bias_unlock) */
	struct vbuf b = { 0 };
	int ret;

	/* Take, fill and submit in one hold of the lock; with none free, wait first if asked. */
	tl = rpmsg_bias_lock(&v->tx_lock);
	ret = tx_take_locked(v, &b);
	if (ret == -ENOMEM && timeout_ms != 0) {
		rpmsg_bias_unlock(&v->tx_lock, tl);
		ret = wait_for_tx(v, &b, timeout_ms);
		if (ret)
			return ret;
		tl = rpmsg_bias_lock(&v->tx_lock); /* tx_queue_locked sees if the link went down */
	}
	if (!ret)
		ret = tx_fill_locked(v, &b, src, dst, data, len);
	tx_unlock_publish(v, tl, !ret);
	return ret;
}

static int vio_send(struct rpmsg_link *link, struct rpmsg_endpoint *ept, uint32_t src,
		    uint32_t dst, const void *data, size_t len, int timeout_ms)
{
	struct vio *v = rpmsg_link_priv(link);
	int ret;

	(void)ept;
	if (too_big(v, len))
		return -EMSGSIZE;
	if (!atomic_load(&v->up))
		return -ENOTCONN;
	if (is_dev(v))
		return send_any(v, src, dst, data, len, timeout_ms);
	ret = drv_send_fast(v, src, dst, data, len);
	/* None free: a trysend says so at once; a send waits (send_any looks again first). */
	if (ret == 1 || (ret == -ENOMEM && timeout_ms != 0))
		return send_any(v, src, dst, data, len, timeout_ms);
	return ret;
}

/* The burst: every message queued, then one publish (one fence, at most one doorbell). */
static int vio_send_burst(struct rpmsg_link *link, struct rpmsg_endpoint *ept, uint32_t src,
			  uint32_t dst, const struct rpmsg_msg *msgs, int n)
{
	int tl; /* how tx_lock was taken (rpmsg_bias_unlock) */
	struct vio *v = rpmsg_link_priv(link);
	int sent = 0, ret = 0;

	(void)ept;
	if (!atomic_load(&v->up))
		return -ENOTCONN;
	tl = rpmsg_bias_lock(&v->tx_lock);
	for (; sent < n; sent++) {
		struct vbuf b;

		if (too_big(v, msgs[sent].len)) {
			ret = -EMSGSIZE;
			break;
		}
		ret = tx_take_locked(v, &b);
		if (!ret)
			ret = tx_fill_locked(v, &b, src, dst, msgs[sent].data, msgs[sent].len);
		if (ret)
			break;
	}
	tx_unlock_publish(v, tl, sent > 0);
	return sent ? sent : ret;
}

static int vio_get_tx_buffer(struct rpmsg_link *link, struct rpmsg_endpoint *ept, void **buf,
			     size_t *size, int timeout_ms)
{
	int tl; /* how tx_lock was taken (rpmsg_bias_unlock) */
	struct vio *v = rpmsg_link_priv(link);
	struct vbuf b;
	int ret;

	(void)ept;
	if (!atomic_load(&v->up))
		return -ENOTCONN;
	ret = wait_for_tx(v, &b, timeout_ms);
	if (ret)
		return ret;
	tl = rpmsg_bias_lock(&v->tx_lock);
	if (b.gen != atomic_load(&v->gen) || v->nlent >= v->vq[v->txq].num) {
		rpmsg_bias_unlock(&v->tx_lock, tl);
		return -EPIPE;
	}
	v->lent[v->nlent++] = b;
	rpmsg_bias_unlock(&v->tx_lock, tl);
	*buf = b.va + HDR_SIZE;
	*size = b.len - HDR_SIZE;
	return 0;
}

/* Find and forget a lent buffer by its payload pointer. */
static int take_lent(struct vio *v, const void *payload, struct vbuf *out)
{
	int tl; /* how tx_lock was taken (rpmsg_bias_unlock) */
	int ret = -EINVAL;

	tl = rpmsg_bias_lock(&v->tx_lock);
	for (unsigned i = 0; i < v->nlent; i++) {
		if (v->lent[i].va + HDR_SIZE == payload) {
			*out = v->lent[i];
			v->lent[i] = v->lent[--v->nlent];
			ret = 0;
			break;
		}
	}
	rpmsg_bias_unlock(&v->tx_lock, tl);
	return ret;
}

static int vio_send_nocopy(struct rpmsg_link *link, struct rpmsg_endpoint *ept, uint32_t src,
			   uint32_t dst, void *buf, size_t len)
{
	struct vio *v = rpmsg_link_priv(link);
	struct vbuf b;

	(void)ept;
	if (take_lent(v, buf, &b))
		return -EINVAL;
	if (len > b.len - HDR_SIZE || src == RPMSG_ADDR_ANY) {
		tx_stash(v, &b);
		return len > b.len - HDR_SIZE ? -EMSGSIZE : -EINVAL;
	}
	write_header(b.va, src, dst, (uint16_t)len, v->be);
	return tx_submit(v, &b, len);
}

static void vio_release_tx_buffer(struct rpmsg_link *link, void *buf)
{
	struct vio *v = rpmsg_link_priv(link);
	struct vbuf b;

	if (!take_lent(v, buf, &b))
		tx_stash(v, &b);
}

static int vio_get_mtu(struct rpmsg_link *link, struct rpmsg_endpoint *ept)
{
	struct vio *v = rpmsg_link_priv(link);

	(void)ept;
	if (is_dev(v))
		return (int)__atomic_load_n(&v->dev_tx_len, __ATOMIC_RELAXED) - HDR_SIZE;
	return (int)v->cfg.buf_size - HDR_SIZE;
}

static int vio_poll_tx(struct rpmsg_link *link, struct rpmsg_endpoint *ept)
{
	int tl; /* how tx_lock was taken (rpmsg_bias_unlock) */
	struct vio *v = rpmsg_link_priv(link);
	struct vbuf b;
	int ret;

	(void)ept;
	if (!atomic_load(&v->up))
		return 0;
	tl = rpmsg_bias_lock(&v->tx_lock);
	ret = tx_take_locked(v, &b);
	if (!ret && v->nstash < v->vq[v->txq].num)
		v->stash[v->nstash++] = b; /* just looking: keep it for the next send */
	rpmsg_bias_unlock(&v->tx_lock, tl);
	return ret == 0 ? 1 : ret == -ENOMEM ? 0 : ret;
}

/* ---- receive ---- */

/* Give a receive buffer back to the peer (caller holds rx_lock). */
static void rx_recycle_locked(struct vio *v, struct vbuf *b)
{
	struct vq *q = &v->vq[v->rxq];

	if (is_dev(v)) {
		vq_put_used(q, b->head, b->used_len);
	} else {
		vq_add_at(q, b->head, b->pa, v->cfg.buf_size, true);
	}
}

/*
 * Take the next received buffer whose length fields make sense. 1: got one, 0: none.
 * `taken`: buffers this pass holds besides done[] (they go there later).
 */
static int rx_next_locked(struct vio *v, struct vbuf *b, unsigned taken)
{
	struct vq *q = &v->vq[v->rxq];
	int head;

	for (;;) {
		uint64_t addr;
		uint32_t len;
		uint16_t flags;

		if (v->ndone + taken >= q->num)
			return 0; /* cannot happen (each buffer is taken once): stop the pass */
		if (is_dev(v)) {
			head = vq_get_avail(q, &addr, &len, &flags);
			if (head < 0)
				return head == -EAGAIN ? 0 : head;
			b->va = dev_buf(v, v->rxq, (uint16_t)head, addr, len);
			b->pa = addr;
			b->len = len;
			b->used_len = len; /* a consumed buffer goes back with its full length */
			b->head = (uint16_t)head;
			if (b->va && len >= HDR_SIZE)
				return 1;
			/* A descriptor pointing outside shared memory (or over the rings or the
			 * table), or too short: skip it. */
			rpmsg_stat_add(&v->stats.rx_bad, 1);
			b->used_len = 0;
			v->done[v->ndone++] = *b;
			continue;
		}
		head = vq_get_used(q, &len);
		if (head < 0)
			return head == -EAGAIN ? 0 : head;
		pool_buf(v, v->rxq, (unsigned)head, b);
		b->used_len = len;
		if (len >= HDR_SIZE && len <= v->cfg.buf_size)
			return 1;
		/* A used length no buffer of ours can have: drop the message, keep the buffer. */
		rpmsg_stat_add(&v->stats.rx_bad, 1);
		v->done[v->ndone++] = *b;
	}
}

static int device_check_status(struct vio *v);
static int driver_check_status(struct vio *v);
static void link_fault(struct vio *v);

/* A name-service message must be exactly 40 bytes, name non-empty, address not ANY. */
static bool ns_msg_ok(struct vio *v, const uint8_t *payload, uint16_t len)
{
	uint8_t msg[40];

	if (len != sizeof(msg))
		return false;
	memcpy(msg, payload, sizeof(msg));
	return msg[0] != 0 && get32(msg + 32, v->be) != RPMSG_ADDR_ANY;
}

/*
 * The buffer the peer's next message most likely comes in: the one the next ring slot
 * named a lap ago (a fixed pool goes round in the same order). Only ever prefetched.
 */
static void rx_guess_locked(struct vio *v)
{
	struct vq *q = &v->vq[v->rxq];
	uint64_t addr = 0;
	int head = vq_next_guess(q, &addr);

	if (head < 0)
		v->rx_hint = NULL;
	else if (is_dev(v))
		v->rx_hint = dev_buf_seen(v, v->rxq, (uint16_t)head, addr, v->rx_hint_len);
	else if ((unsigned)head < v->nrx && v->rx_hint_len <= v->cfg.buf_size)
		v->rx_hint = v->pool + pool_off(v, v->rxq, (unsigned)head);
	else
		v->rx_hint = NULL;
}

/*
 * Received buffers taken from the ring per hold of rx_lock (delivered without it). Bare
 * metal has no locks to save and small stacks: one at a time there.
 */
#if RPMSG_BAREMETAL
#define RX_BATCH 1
#else
#define RX_BATCH 8
#endif

/* Check and deliver one received message; true when the application holds its buffer. */
static bool rx_deliver(struct vio *v, struct vbuf *b)
{
	uint8_t hdr[HDR_SIZE];
	struct rpmsg_hdr_fields hf;

	memcpy(hdr, b->va, HDR_SIZE); /* the peer may still scribble: read the header once */
	hf = rpmsg_hdr_read(hdr, v->be);
	v->cur_held = false;
	if (hf.len > b->used_len - HDR_SIZE ||
	    (v->ns && hf.dst == RPMSG_NS_ADDR && !ns_msg_ok(v, b->va + HDR_SIZE, hf.len))) {
		rpmsg_stat_add(&v->stats.rx_bad, 1);
		return false;
	}
	rpmsg_stat_add_owned(&v->stats.rx_msgs, 1); /* process is one thread at a time */
	/* The next one is likely as long (what we fetch ahead: at most 8 lines). */
	v->rx_hint_len = hf.len <= 512 - HDR_SIZE ? HDR_SIZE + hf.len : 512;
	v->cur_rx = b->va + HDR_SIZE;
	if (rpmsg_link_deliver(v->link, hf.src, hf.dst, b->va + HDR_SIZE, hf.len))
		rpmsg_stat_add_owned(&v->stats.rx_dropped, 1);
	v->cur_rx = NULL;
	return v->cur_held;
}

static int vio_process(struct rpmsg_link *link)
{
	struct vio *v = rpmsg_link_priv(link);
	struct vq *q = &v->vq[v->rxq];
	struct vbuf batch[RX_BATCH];
	bool held[RX_BATCH];
	unsigned nb = 0;
	int n = 0;
	bool notify;

	n = is_dev(v) ? device_check_status(v) : driver_check_status(v);
	if (n < 0)
		return n;
	if (!atomic_load(&v->up))
		return n;
	v->plat->ops->ack(v->plat, v->nid[v->rxq]);
	if (!(++v->pact_looks & 63))
		pact_tick(v);
	if (q->notify_on) {
		/* Awake and looking: the peer need not ring until arm() says we will sleep. */
		rpmsg_spin_lock(&v->rx_lock);
		vq_disable_notify(q);
		rpmsg_spin_unlock(&v->rx_lock);
	}
	/*
	 * Nothing new and nothing to give back (a busy poller, nearly always): no lock. Only
	 * this pass moves the receive ring's consumer side and done[] (process runs one
	 * thread at a time), so both are ours to read here.
	 */
	/*
	 * Fetch the buffer the next message will most likely land in while we look at the
	 * index: then the two cache misses of a message overlap instead of following each
	 * other. Only a hint (see rx_guess_locked).
	 */
	if (v->rx_hint)
		for (uint32_t off = 0; off < v->rx_hint_len; off += 64)
			__builtin_prefetch(v->rx_hint + off);
	if (!v->ndone && q->peer_idx == q->cons_idx && !vq_pending(q) && !q->broken &&
	    !atomic_load(&v->fault)) {
		if (!atomic_load_explicit(&v->rx_unpublished, memory_order_relaxed) ||
		    ++v->idle_passes < RX_IDLE_PUBLISH)
			return n;
	}
	rpmsg_spin_lock(&v->rx_lock);
	for (uint32_t budget = q->num;;) {
		/* File the batch just delivered, then take the next one. */
		for (unsigned i = 0; i < nb; i++) {
			if (held[i] && v->nheld < q->num)
				v->held[v->nheld++] = batch[i]; /* the application gives it back later */
			else
				v->done[v->ndone++] = batch[i];
		}
		for (nb = 0; nb < RX_BATCH && budget; nb++, budget--)
			if (rx_next_locked(v, &batch[nb], nb) <= 0)
				break;
		if (!nb)
			break;
		rpmsg_spin_unlock(&v->rx_lock);
		for (unsigned i = 0; i < nb; i++)
			held[i] = rx_deliver(v, &batch[i]);
		n += (int)nb;
		v->idle_passes = 0;
		rpmsg_spin_lock(&v->rx_lock);
	}
	for (unsigned i = 0; i < v->ndone; i++)
		rx_recycle_locked(v, &v->done[i]);
	atomic_store_explicit(&v->rx_unpublished,
			      atomic_load_explicit(&v->rx_unpublished, memory_order_relaxed) + v->ndone,
			      memory_order_relaxed);
	v->ndone = 0;
	notify = false;
	if (rx_publish_due(v, q)) {
		notify = rx_publish_locked(v);
		v->idle_passes = 0;
	}
	rx_guess_locked(v);
	rpmsg_spin_unlock(&v->rx_lock);
	if (notify)
		kick(v, v->rxq);
	if (v->vq[0].broken || v->vq[1].broken || atomic_load(&v->fault)) {
		link_fault(v);
		n++;
	}
	return n;
}

static int vio_hold_rx_buffer(struct rpmsg_link *link, void *data)
{
	struct vio *v = rpmsg_link_priv(link);

	/* Only from inside the receive callback, for the message being delivered. */
	if (!v->cur_rx || v->cur_rx != data)
		return -EINVAL;
	v->cur_held = true;
	return 0;
}

static void vio_release_rx_buffer(struct rpmsg_link *link, void *data)
{
	struct vio *v = rpmsg_link_priv(link);
	bool notify = false;

	rpmsg_spin_lock(&v->rx_lock);
	for (unsigned i = 0; i < v->nheld; i++) {
		if (v->held[i].va + HDR_SIZE == data) {
			struct vbuf b = v->held[i];

			v->held[i] = v->held[--v->nheld];
			rx_recycle_locked(v, &b);
			notify = rx_publish_locked(v);
			break;
		}
	}
	rpmsg_spin_unlock(&v->rx_lock);
	if (notify)
		kick(v, v->rxq);
}

static int vio_arm(struct rpmsg_link *link)
{
	struct vio *v = rpmsg_link_priv(link);
	int pending = 0;
	bool notify;

	if (atomic_load(&v->fault))
		return 1;
	if (!is_dev(v)) {
		uint8_t s = rsc_vdev_status(&v->vdev);

		/* A restarted device rings vq0's doorbell after publishing its table. */
		if (v->plat->ops->arm(v->plat, v->nid[0]) > 0)
			pending = 1;
		if (!atomic_load(&v->up)) {
			pact_sleep(v); /* every sleep revokes: one rule, whatever the link's state */
			return pending || (s != v->status_written && (int)s != v->stale_status);
		}
		if (s == v->status_written) {
			rpmsg_spin_lock(&v->rx_lock); /* a renegotiation may be re-mapping it */
			/* About to sleep: doorbells again. The fence in vq_enable_notify orders it
			 * before vq_pending(): a message published earlier is seen here, a later
			 * one rings the bell armed above. */
			vq_enable_notify(&v->vq[0]);
			pact_sleep(v);
			pending = pending || vq_pending(&v->vq[0]);
			/* None kept back while we sleep. */
			notify = rx_publish_locked(v);
			rpmsg_spin_unlock(&v->rx_lock);
			if (notify)
				kick(v, v->rxq);
		}
		return pending || s != v->status_written;
	}
	if (!atomic_load(&v->up)) {
		/* Device waiting for DRIVER_OK: the driver's first vq0 kick wakes us. */
		if (v->plat->ops->arm(v->plat, v->nid[0]) > 0)
			pending = 1;
		pact_sleep(v);
		/* process() brings the link up; here we only look. */
		return pending || ((rsc_vdev_status(&v->vdev) & VIRTIO_STATUS_DRIVER_OK) &&
				   rsc_vdev_status(&v->vdev) != v->refused_status);
	}
	if (v->plat->ops->arm(v->plat, v->nid[v->rxq]) > 0)
		pending = 1;
	if (!(rsc_vdev_status(&v->vdev) & VIRTIO_STATUS_DRIVER_OK))
		pending = 1; /* reset by the driver: process() takes the link down */
	rpmsg_spin_lock(&v->rx_lock);
	vq_enable_notify(&v->vq[v->rxq]); /* about to sleep: as in the driver branch above */
	pact_sleep(v);
	pending = pending || vq_pending(&v->vq[v->rxq]);
	notify = rx_publish_locked(v);
	rpmsg_spin_unlock(&v->rx_lock);
	if (notify)
		kick(v, v->rxq);
	return pending;
}

static bool vio_is_up(struct rpmsg_link *link)
{
	struct vio *v = rpmsg_link_priv(link);

	return atomic_load(&v->up);
}

/* ---- set-up ---- */

static uint32_t page_up(uint64_t x)
{
	return (uint32_t)((x + PAGE - 1) & ~(uint64_t)(PAGE - 1));
}

static void watch(struct vio *v, unsigned i, uint32_t nid)
{
	int fd = v->plat->ops->fd ? v->plat->ops->fd(v->plat, nid) : -1;

	if (v->watched[i] >= 0)
		rpmsg_link_unwatch_fd(v->link, v->watched[i]);
	v->watched[i] = -1;
	if (fd >= 0 && !rpmsg_link_watch_fd(v->link, fd))
		v->watched[i] = fd;
}

/* num is a mapped ring's size (vq_init: at most VQ_MAX_NUM), so num * size cannot overflow. */
static int alloc_tracking(struct vio *v, unsigned num)
{
	size_t size = num * sizeof(struct vbuf);

	for (int i = 0; i < 2; i++) {
		rpmsg_os_free(v->slot[i]);
		v->slot[i] = is_dev(v) ? rpmsg_os_zalloc(size) : NULL;
	}
	rpmsg_os_free(v->stash);
	rpmsg_os_free(v->lent);
	rpmsg_os_free(v->held);
	rpmsg_os_free(v->done);
	rpmsg_os_free(v->reclaimed);
	v->stash = rpmsg_os_zalloc(size);
	v->lent = rpmsg_os_zalloc(size);
	v->held = rpmsg_os_zalloc(size);
	v->done = rpmsg_os_zalloc(size);
	v->reclaimed = is_dev(v) ? NULL : rpmsg_os_zalloc(num * sizeof(*v->reclaimed));
	v->nstash = v->nlent = v->nheld = v->ndone = 0;
	v->rc_first = v->nreclaimed = v->idle_passes = 0;
	atomic_store(&v->rx_unpublished, 0);
	if ((is_dev(v) && (!v->slot[0] || !v->slot[1])) || !v->stash || !v->lent || !v->held ||
	    !v->done)
		return -ENOMEM;
	return is_dev(v) || v->reclaimed ? 0 : -ENOMEM;
}

/* Read one vring entry of the live table and map it, checking it lies in our memory. */
static int map_vring(struct vio *v, unsigned i, enum vq_role role)
{
	struct rsc_vring_cfg rc;
	void *mem;
	size_t size;
	int ret;

	ret = rsc_vdev_vring(&v->vdev, i, &rc);
	if (ret)
		return -EPROTO;
	size = vring_size(rc.num, rc.align);
	if (!size || rc.notifyid >= RPMSG_PLATFORM_BELLS)
		return -EPROTO;
	/* Not over the resource table, nor over the other ring (mapped first). */
	if (overlaps(rc.da, size, v->plat->shm.pa, TABLE_SPACE) ||
	    (i == 1 && overlaps(rc.da, size, rpmsg_shm_pa(&v->plat->shm, v->vq[0].mem),
				v->vq[0].ring_size)))
		return -EPROTO;
	mem = rpmsg_shm_ptr(&v->plat->shm, rc.da, size);
	if (!mem)
		return -EPROTO;
	ret = vq_init(&v->vq[i], role, mem, size, rc.num, rc.align,
		      (v->be ? VQ_F_BIG_ENDIAN : 0) |
			      ((v->features & RPMSG_VIRTIO_F_EVENT_IDX) ? VQ_F_EVENT_IDX : 0) |
			      (role == VQ_DRIVER ? VQ_F_FIXED_HEADS : 0));
	if (ret)
		return -EPROTO;
	v->vq[i].pact = v->pact_peer;
	v->nid[i] = rc.notifyid;
	v->used_idx_at[i] = (uint8_t *)mem + VRING_USED_OFF(rc.num, rc.align) + 2;
	return 0;
}

static uint16_t used_idx_now(const struct vio *v, unsigned i)
{
	uint16_t raw = __atomic_load_n((uint16_t *)(void *)v->used_idx_at[i], __ATOMIC_ACQUIRE);
	uint8_t b[2];

	memcpy(b, &raw, 2);
	return (uint16_t)rpmsg_wire_get(b, 2, v->be);
}

/*
 * Device: is each ring's used.idx still what we last published? A driver that restarted
 * and set the rings up again without our seeing its reset (status went 7 -> 0 -> 7 between
 * two passes) has zeroed them. Asked on every pass, so the answer "yes" takes no lock; a
 * difference is looked at again under the ring's lock, since a sender or releaser may be
 * between publishing and recording it (a busy lock: look next time).
 */
static bool device_rings_intact(struct vio *v)
{
	bool intact = true;

	for (unsigned i = 0; i < 2; i++) {
		bool tx = i == v->txq;

		if (used_idx_now(v, i) == vq_published(&v->vq[i]) ||
		    (tx ? rpmsg_bias_trylock(&v->tx_lock) : rpmsg_spin_trylock(&v->rx_lock)))
			continue;
		if (used_idx_now(v, i) != v->vq[i].pub_idx)
			intact = false;
		if (tx)
			rpmsg_bias_unlock(&v->tx_lock, -1);
		else
			rpmsg_spin_unlock(&v->rx_lock);
	}
	return intact;
}

/*
 * The link goes down (called from process only): senders see it at once (-ENOTCONN for
 * new ones, -EPIPE for waiting ones and for buffers taken before), then every channel is
 * removed (drivers see remove; announced local services are gone with their channel).
 */
static void link_down(struct vio *v)
{
	if (!atomic_load(&v->up))
		return;
	atomic_store(&v->up, false);
	atomic_fetch_add(&v->gen, 1);
	v->rx_hint = NULL;
	v->downs++;
	rpmsg_link_remove_channels(v->link);
}

/* The peer broke the ring protocol (a broken vq): count it and go down. */
static void link_fault(struct vio *v)
{
	atomic_store(&v->fault, false);
	if (!atomic_load(&v->up))
		return;
	rpmsg_stat_add(&v->stats.rx_bad, 1);
	v->faults++;
	if (is_dev(v)) {
		/* Ask the driver for a reset; we come back when it sets DRIVER_OK again. */
		uint8_t s = rsc_vdev_status(&v->vdev) | VIRTIO_STATUS_NEEDS_RESET;

		rsc_vdev_set_status(&v->vdev, s);
		v->refused_status = s;
		link_down(v);
		watch(v, 0, v->nid[0]);
	} else {
		/* As Linux on a failed device: FAILED, and wait for the remote to restart. */
		link_down(v);
		v->status_written = VIRTIO_STATUS_FAILED | VIRTIO_STATUS_ACKNOWLEDGE |
				    VIRTIO_STATUS_DRIVER;
		rsc_vdev_set_status(&v->vdev, v->status_written);
	}
}

/*
 * Device: follow the driver's status byte. DRIVER_OK brings the link up (rings mapped
 * from the table as the driver left it); losing it (reset) takes it down, and every
 * channel with it. Returns > 0 when the state changed.
 */
static int device_check_status(struct vio *v)
{
	int tl; /* how tx_lock was taken (rpmsg_bias_unlock) */
	uint8_t status = rsc_vdev_status(&v->vdev);
	bool ok = status & VIRTIO_STATUS_DRIVER_OK;

	if (ok && atomic_load(&v->up) && !device_rings_intact(v)) {
		/* Set up again behind our back: down, then map the rings afresh below. */
		link_down(v);
	} else if (ok == atomic_load(&v->up) || status == v->refused_status) {
		return 0;
	}
	v->refused_status = -1;
	if (!ok) {
		link_down(v);
		watch(v, 0, v->nid[0]);
		return 1;
	}
	v->features = rsc_vdev_gfeatures(&v->vdev) & rsc_vdev_dfeatures(&v->vdev);
	tl = rpmsg_bias_lock(&v->tx_lock);
	rpmsg_spin_lock(&v->rx_lock);
	if (map_vring(v, 0, VQ_DEVICE) || map_vring(v, 1, VQ_DEVICE) ||
	    v->vq[0].num != v->vq[1].num || alloc_tracking(v, v->vq[0].num)) {
		rpmsg_spin_unlock(&v->rx_lock);
		rpmsg_bias_unlock(&v->tx_lock, tl);
		/* A table we cannot use: stay down rather than touch bad memory. */
		status |= VIRTIO_STATUS_NEEDS_RESET;
		rsc_vdev_set_status(&v->vdev, status);
		v->refused_status = status;
		rpmsg_stat_add(&v->stats.rx_bad, 1);
		return -EPROTO;
	}
	vq_reset(&v->vq[0]);
	vq_reset(&v->vq[1]);
	vq_disable_notify(&v->vq[0]); /* no kicks for refilled RX buffers unless we wait */
	vq_enable_notify(&v->vq[1]);  /* but tell us about every message */
	atomic_store(&v->fault, false);
	rpmsg_spin_unlock(&v->rx_lock);
	rpmsg_bias_unlock(&v->tx_lock, tl);
	watch(v, 0, v->nid[1]);
	watch(v, 1, v->nid[1]);
	v->ups++;
	atomic_store(&v->up, true);
	rpmsg_link_announce_local(v->link); /* services set up before the driver was */
	return 1;
}

static int device_init(struct vio *v)
{
	struct rpmsg_shm *shm = &v->plat->shm;
	uint32_t num = v->cfg.vring_num, align = v->cfg.vring_align;
	size_t vsize = vring_size(num, align);
	struct rsc_vdev_cfg rc = { 0 };
	uint8_t table[TABLE_SPACE];
	uint32_t ver;
	int len;

	if (!vsize)
		return -EINVAL;
	if (shm->size < TABLE_SPACE + 2 * (size_t)page_up(vsize))
		return -ENOSPC;
	rc.notifyid = 2;
	rc.dfeatures = v->cfg.features;
	rc.config_len = 0;
	for (unsigned i = 0; i < 2; i++) {
		rc.vring[i].da = (uint32_t)(shm->pa + TABLE_SPACE + i * page_up(vsize));
		rc.vring[i].align = align;
		rc.vring[i].num = num;
		rc.vring[i].notifyid = i;
	}
	len = rsc_table_build(table, sizeof(table), &rc, v->be);
	if (len < 0)
		return len;
	/*
	 * Publish the table with its version word zeroed first and written last: a driver
	 * never takes half of it, and a driver that used the previous table (we restarted)
	 * sees the status byte go to 0.
	 */
	__atomic_store_n((uint32_t *)shm->va, 0u, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	memset((uint8_t *)shm->va + 4, 0, TABLE_SPACE - 4);
	memcpy((uint8_t *)shm->va + 4, table + 4, (size_t)len - 4);
	memcpy(&ver, table, sizeof(ver));
	__atomic_store_n((uint32_t *)shm->va, ver, __ATOMIC_RELEASE);
	v->nid[0] = 0;
	v->nid[1] = 1;
	v->dev_tx_len = v->cfg.buf_size;
	len = rsc_table_find_vdev(shm->va, TABLE_SPACE, v->be, &v->vdev);
	if (!len)
		rpmsg_platform_notify(v->plat, v->nid[0]); /* a driver waiting for us: here we are */
	return len;
}

static size_t table_size(struct vio *v)
{
	return v->plat->shm.size < TABLE_SPACE ? v->plat->shm.size : TABLE_SPACE;
}

/*
 * Driver: negotiate with the device whose table is in v->vdev (status 0 or NEEDS_RESET):
 * reset, features, rings placed and zeroed, receive buffers posted. Does not set
 * DRIVER_OK. Caller holds tx_lock and rx_lock (or is alone).
 */
static int driver_negotiate(struct vio *v)
{
	struct rpmsg_shm *shm = &v->plat->shm;
	uint64_t end = 0;
	uint32_t pool_at;
	int ret;

	rsc_vdev_set_status(&v->vdev, 0);
	rsc_vdev_set_status(&v->vdev, VIRTIO_STATUS_ACKNOWLEDGE);
	rsc_vdev_set_status(&v->vdev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	v->status_written = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
	v->features = rsc_vdev_dfeatures(&v->vdev) & v->cfg.features &
		      (RPMSG_VIRTIO_F_NS | RPMSG_VIRTIO_F_EVENT_IDX);
	rsc_vdev_set_gfeatures(&v->vdev, v->features);

	memset(v->vq, 0, sizeof(v->vq));
	for (unsigned i = 0; i < 2; i++) {
		struct rsc_vring_cfg rc;

		ret = rsc_vdev_vring(&v->vdev, i, &rc);
		if (ret)
			return -EPROTO;
		if (rc.da == FW_RSC_ADDR_ANY) {
			/* Place it ourselves, after the table and any ring placed before. */
			uint64_t at = end > TABLE_SPACE ? end : shm->pa + TABLE_SPACE;

			rsc_vdev_set_vring_da(&v->vdev, i, (uint32_t)page_up(at));
		}
		ret = map_vring(v, i, VQ_DRIVER);
		if (ret)
			return ret;
		end = rpmsg_shm_pa(shm, v->vq[i].mem) + v->vq[i].ring_size > end
			      ? rpmsg_shm_pa(shm, v->vq[i].mem) + v->vq[i].ring_size
			      : end;
	}
	if (v->vq[0].num != v->vq[1].num)
		return -EPROTO;

	/* The pool: as Linux, min(num, 256) buffers each way unless configured. */
	if (v->cfg.num_bufs) {
		v->nrx = v->ntx = v->cfg.num_bufs / 2;
	} else {
		v->nrx = v->ntx = v->vq[0].num < 256 ? v->vq[0].num : 256;
	}
	if (!v->nrx || v->nrx > v->vq[0].num)
		return -EINVAL;
	pool_at = page_up(end - shm->pa);
	if (pool_at > shm->size ||
	    (uint64_t)(v->nrx + v->ntx) * v->cfg.buf_size > shm->size - pool_at)
		return -ENOSPC;
	v->pool = (uint8_t *)shm->va + pool_at;
	v->pool_pa = rpmsg_shm_pa(shm, v->pool);
	ret = alloc_tracking(v, v->vq[0].num);
	if (ret)
		return ret;
	v->fresh_tx = 0;

	vq_reset(&v->vq[0]);
	vq_reset(&v->vq[1]);
	for (unsigned i = 0; i < v->nrx; i++) {
		struct vbuf b;

		pool_buf(v, v->rxq, i, &b);
		ret = vq_add_at(&v->vq[v->rxq], (uint16_t)i, b.pa, b.len, true);
		if (ret)
			return ret;
	}
	vq_publish(&v->vq[0]);
	vq_enable_notify(&v->vq[0]);
	vq_disable_notify(&v->vq[1]);
	atomic_store(&v->fault, false);
	return 0;
}

/* Driver: DRIVER_OK and the initial kick (RX buffers are there; RPMsg-Lite waits for it). */
static void driver_go(struct vio *v)
{
	watch(v, 0, v->nid[0]);
	v->stale_status = -1;
	v->ups++;
	atomic_store(&v->up, true);
	v->status_written = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			    VIRTIO_STATUS_DRIVER_OK;
	rsc_vdev_set_status(&v->vdev, v->status_written);
	kick(v, 0);
	rpmsg_link_announce_local(v->link);
}

static void driver_failed(struct vio *v)
{
	v->status_written = VIRTIO_STATUS_FAILED | VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
	rsc_vdev_set_status(&v->vdev, v->status_written);
}

/*
 * Driver, at the start of every receive pass: has the device reset, restarted or asked for
 * a reset? Then down, and negotiate again once its table allows. Returns > 0 on a change.
 */
static int driver_check_status(struct vio *v)
{
	int tl; /* how tx_lock was taken (rpmsg_bias_unlock) */
	uint8_t s = rsc_vdev_status(&v->vdev);
	struct rsc_vdev vdev;
	int ret;

	v->plat->ops->ack(v->plat, v->nid[0]); /* a ring after this makes us look again */
	if (atomic_load(&v->up) &&
	    (atomic_load(&v->fault) || v->vq[0].broken || v->vq[1].broken)) {
		link_fault(v);
		return 1;
	}
	if (s == v->status_written)
		return 0;
	if (atomic_load(&v->up)) {
		link_down(v);
		ret = 1;
	} else {
		ret = 0;
	}
	/* A fresh table (status 0), or the device asks for a reset: start over. */
	if (s != 0 && !(s & VIRTIO_STATUS_NEEDS_RESET)) {
		driver_failed(v); /* anything else is not the device's to write */
		return 1;
	}
	(void)__atomic_load_n((uint32_t *)v->plat->shm.va, __ATOMIC_ACQUIRE); /* version word */
	if (rsc_table_find_vdev(v->plat->shm.va, table_size(v), v->be, &vdev)) {
		/* Half written, or bad: look again when rung (counted once per status). */
		if ((int)s != v->stale_status)
			rpmsg_stat_add(&v->stats.rx_bad, 1);
		v->stale_status = s;
		return ret;
	}
	tl = rpmsg_bias_lock(&v->tx_lock);
	rpmsg_spin_lock(&v->rx_lock);
	v->vdev = vdev;
	ret = driver_negotiate(v);
	rpmsg_spin_unlock(&v->rx_lock);
	rpmsg_bias_unlock(&v->tx_lock, tl);
	if (ret) {
		rpmsg_stat_add(&v->stats.rx_bad, 1);
		driver_failed(v);
		return 1;
	}
	driver_go(v);
	return 1;
}

static int driver_init(struct vio *v)
{
	uint64_t deadline = now_ns(v);
	int ret;

	if (v->cfg.attach_timeout_ms > 0)
		deadline += (uint64_t)v->cfg.attach_timeout_ms * 1000000u;
	/* The device publishes its table; wait for it as remoteproc waits for firmware. */
	for (;;) {
		(void)__atomic_load_n((uint32_t *)v->plat->shm.va, __ATOMIC_ACQUIRE);
		ret = rsc_table_find_vdev(v->plat->shm.va, table_size(v), v->be, &v->vdev);
		if (!ret || now_ns(v) >= deadline)
			break;
		rpmsg_os_sleep_ms(1);
	}
	if (ret)
		return ret == -ENOENT || ret == -EINVAL ? -ENODEV : ret;
	ret = driver_negotiate(v);
	if (ret)
		driver_failed(v);
	return ret;
}

static void vio_destroy(struct rpmsg_link *link)
{
	struct vio *v = rpmsg_link_priv(link);

	if (!is_dev(v) && v->vdev.entry)
		rsc_vdev_set_status(&v->vdev, 0); /* reset: the device drops every channel */
	if (v->plat->ops->destroy)
		v->plat->ops->destroy(v->plat);
	for (int i = 0; i < 2; i++)
		rpmsg_os_free(v->slot[i]);
	rpmsg_os_free(v->reclaimed);
	rpmsg_os_free(v->stash);
	rpmsg_os_free(v->lent);
	rpmsg_os_free(v->held);
	rpmsg_os_free(v->done);
	rpmsg_os_free(v);
}

static const struct rpmsg_transport_ops vio_ops = {
	.send = vio_send,
	.send_burst = vio_send_burst,
	.get_mtu = vio_get_mtu,
	.poll_tx = vio_poll_tx,
	.get_tx_buffer = vio_get_tx_buffer,
	.send_nocopy = vio_send_nocopy,
	.release_tx_buffer = vio_release_tx_buffer,
	.hold_rx_buffer = vio_hold_rx_buffer,
	.release_rx_buffer = vio_release_rx_buffer,
	.process = vio_process,
	.arm = vio_arm,
	.is_up = vio_is_up,
	.destroy = vio_destroy,
};

int rpmsg_virtio_create(struct rpmsg_bus *bus, struct rpmsg_platform *plat,
			const struct rpmsg_virtio_config *cfg, struct rpmsg_link **out)
{
	struct rpmsg_link_desc desc = { .transport = "virtio", .ops = &vio_ops,
					.flags = RPMSG_LINK_F_SETUP };
	struct vio *v;
	int ret;

	if (!bus || !plat || !plat->ops || !cfg || !out)
		return -EINVAL;
	if ((cfg->role == RPMSG_VIRTIO_DRIVER && !RPMSG_ROLE_MAIN) ||
	    (cfg->role == RPMSG_VIRTIO_DEVICE && !RPMSG_ROLE_REMOTE))
		return -ENOTSUP; /* a firmware build without this role */
	if (cfg->role != RPMSG_VIRTIO_DRIVER && cfg->role != RPMSG_VIRTIO_DEVICE)
		return -EINVAL;
	v = rpmsg_os_zalloc(sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->plat = plat;
	v->cfg = *cfg;
	rpmsg_bias_init(&v->tx_lock);
	v->device = cfg->role == RPMSG_VIRTIO_DEVICE; /* (read through is_dev) */
	v->be = cfg->big_endian;
	v->rxq = is_dev(v) ? 1 : 0;
	v->txq = is_dev(v) ? 0 : 1;
	v->watched[0] = v->watched[1] = -1;
	v->refused_status = -1;
	v->stale_status = -1;
	if (!v->cfg.features)
		v->cfg.features = RPMSG_VIRTIO_F_NS;
	if (!v->cfg.vring_num)
		v->cfg.vring_num = 256;
	if (!v->cfg.vring_align)
		v->cfg.vring_align = 4096;
	if (!v->cfg.buf_size)
		v->cfg.buf_size = 512;
	if (!v->cfg.attach_timeout_ms)
		v->cfg.attach_timeout_ms = 5000;
	if (v->cfg.buf_size <= HDR_SIZE || v->cfg.buf_size > 65536 + HDR_SIZE) {
		ret = -EINVAL;
		goto fail;
	}

	pact_init(v); /* before the rings are mapped: they read the peer's word */
	ret = is_dev(v) ? device_init(v) : driver_init(v);
	if (ret)
		goto fail;
	desc.name = cfg->name ? cfg->name : "virtio0";
	desc.priv = v;
	if (is_dev(v) ? (v->cfg.features & RPMSG_VIRTIO_F_NS) : (v->features & RPMSG_VIRTIO_F_NS))
		desc.flags |= RPMSG_LINK_F_NS;
	v->ns = desc.flags & RPMSG_LINK_F_NS;
	if (v->be)
		desc.flags |= RPMSG_LINK_F_BIG_ENDIAN;
	ret = rpmsg_link_register(bus, &desc, &v->link);
	if (ret)
		goto fail;
	if (is_dev(v)) {
		watch(v, 0, v->nid[0]);
		watch(v, 1, v->nid[1]);
	} else {
		driver_go(v);
	}
	rpmsg_link_ready(v->link);
	*out = v->link;
	return 0;
fail:
	for (int i = 0; i < 2; i++)
		rpmsg_os_free(v->slot[i]);
	rpmsg_os_free(v->stash);
	rpmsg_os_free(v->lent);
	rpmsg_os_free(v->held);
	rpmsg_os_free(v->done);
	rpmsg_os_free(v);
	return ret;
}

int rpmsg_virtio_get_stats(struct rpmsg_link *link, struct rpmsg_virtio_stats *out)
{
	struct vio *v;

	if (!link || !out || strcmp(rpmsg_link_transport(link), "virtio"))
		return -EINVAL;
	v = rpmsg_link_priv(link);
	out->tx_msgs = rpmsg_stat_get(&v->stats.tx_msgs);
	out->rx_msgs = rpmsg_stat_get(&v->stats.rx_msgs);
	out->rx_dropped = rpmsg_stat_get(&v->stats.rx_dropped);
	out->rx_bad = rpmsg_stat_get(&v->stats.rx_bad);
	out->notifies = rpmsg_stat_get(&v->stats.notifies);
	out->tx_waits = rpmsg_stat_get(&v->stats.tx_waits);
	out->fence_pact = pact_peer_word(v) & VQ_PACT_POSTED;
	out->pact_posts = rpmsg_stat_get(&v->stats.pact_posts);
	out->pact_revokes = rpmsg_stat_get(&v->stats.pact_revokes);
	/* The current session's rings (a new session maps them afresh). */
	out->light_publishes = __atomic_load_n(&v->vq[0].light_pubs, __ATOMIC_RELAXED) +
			       (uint64_t)__atomic_load_n(&v->vq[1].light_pubs, __ATOMIC_RELAXED);
	return 0;
}

int vio_get_diag(struct rpmsg_link *link, struct vio_diag *out)
{
	struct vio *v;

	if (!link || !out || strcmp(rpmsg_link_transport(link), "virtio"))
		return -EINVAL;
	v = rpmsg_link_priv(link);
	out->up = atomic_load(&v->up);
	out->status = rsc_vdev_status(&v->vdev);
	out->gen = atomic_load(&v->gen);
	out->downs = v->downs;
	out->ups = v->ups;
	out->faults = v->faults;
	return 0;
}
