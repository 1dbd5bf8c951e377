/*
 * MediaTek SCP transport: the IPI share-buffer protocol (one slot per direction, a doorbell
 * register that doubles as the busy flag) and mtk_rpmsg on top of it (endpoint address =
 * IPI id, channels from 36-byte name-service messages on IPI 0xFF), in both roles.
 * include/rpmsg/scp.h describes the memory layout and the send rules; spec/40-mtk-scp.md
 * holds the facts. Everything read from shared memory is read once and checked.
 *
 * Locks:
 *   send_lock  ordinary sends, one at a time, held through the ack wait (one message in
 *              flight, as Linux). Sends from a receive callback of this link skip it.
 *   slot_lock  recursive: wait for the slot, write it, raise the doorbell; also the SCP's
 *              queue of INIT and announcements. Recursive because a thread waiting for
 *              the slot may dispatch a message whose callback sends (it then fills the
 *              slot first; the outer send waits again).
 *   mu         rx_busy (one receiver at a time: a bus poller or a sender waiting for its
 *              ack), the ack counters and the ack waiter, the queue, the INIT info; cv
 *              signals their changes.
 * Order: whoever owns rx_busy may take slot_lock; a slot_lock holder only tries rx_busy.
 *
 * Losing the SCP (AP role), as remoteproc's crash recovery. Detection: a watchdog status
 * (any SCP_TO_HOST bit but IPC; taken after a message raised with it, so what the SCP sent
 * before it died is still delivered), or an INIT while the link is up (the SCP restarted
 * unseen). host_stop then, before anything else, bumps `epoch` and sets `gone`: every
 * sender gives up with -EPIPE (a waiting one within a SLICE_MS wait slice; one queued on
 * send_lock sees the epoch change, so nothing sent for the old SCP reaches the next one);
 * an ack waiter whose ack had not come is marked lost, so a message of the next SCP on the
 * same id is no ack. Under slot_lock it clears our doorbell, send object and queued
 * answers (never delivered to the next firmware), then removes the channels (driver
 * remove; endpoints the application made stay). rpmsg_scp_reset() is remoteproc's stop and
 * start: hold in reset (incoming messages dropped), then clear both objects and registers
 * as a firmware load does and release; the link is up again at the next INIT.
 */
#include <stdatomic.h>
#include <string.h>
#if !RPMSG_BAREMETAL
#include <pthread.h> /* the timed wait */
#include <time.h>
#endif

#include <rpmsg/capture.h>
#include <rpmsg/scp.h>
#include <rpmsg/transport.h>

#include "core/os.h"

#define HDR RPMSG_SCP_OBJ_HDR
#define BELL_IPC 0u
#define BELL_TAKEN 1u
#define SLICE_MS 5
#define RERING_SLICES 10 /* a sender waiting for the slot rings again after this many quiet slices */
#define RX_BUDGET 64
#define MAX_CHANNELS 256 /* AP role: more announcements than this are refused */
/* Capture code of a watchdog status (IPI ids are 0..255); the record carries the status. */
#define SCP_CAP_WATCHDOG 0x100u
#define QMAX 512 /* queued messages: INIT, announcements, answers from callbacks */

/* A message waiting for the slot (allocated: the slot is rarely busy long). */
struct qmsg {
	struct qmsg *next;
	uint32_t id, len;
	uint8_t data[];
};

struct scp {
	struct rpmsg_link *link;
	struct rpmsg_platform *plat;
	struct rpmsg_scp_config cfg;
	bool host;
	uint32_t S;
	uint32_t in_off, out_off; /* shm offsets of the object we read / write */
	uint8_t *in_obj, *out_obj;
	uint32_t *reg_in, *reg_out, *reg_reset;
	_Atomic bool up, gone;
	_Atomic bool held;     /* AP role: we hold the SCP in reset (rpmsg_scp_reset) */
	atomic_uint epoch;     /* AP role: bumped each time the SCP is lost */

	rpmsg_mutex send_lock, slot_lock, mu;
	rpmsg_cond cv;
	bool rx_busy;
	uint32_t acks[RPMSG_SCP_IPI_MAX]; /* messages handled per id (mu) */
	/* The one sender waiting for an ack (send_lock makes it one), for host_stop (mu). */
	bool aw_on, aw_lost;
	uint32_t aw_id, aw_snap;
	struct qmsg *qhead, **qtail;       /* waiting for the slot, in order (mu) */
	atomic_uint qlen;
	bool flushing;                     /* a flush is running (slot_lock) */
	/* Someone waits for our slot to free: a send refused for it (trysend, poll_tx) or the
	 * bus, which slept while it was busy. process() reports the free slot once. */
	_Atomic bool tx_wanted;
	struct rpmsg_scp_info info;        /* mu */
	uint8_t *rxbuf;                    /* S bytes: the local copy of a received message */
	int watched[2];
	struct rpmsg_scp_stats stats;
};

/* The link whose receive callback this thread is running, if any. */
#if RPMSG_BAREMETAL
static struct scp *tl_rx; /* one context: no thread-local storage to ask a runtime for */
#else
static _Thread_local struct scp *tl_rx;
#endif

/* ---- shared-memory access: aligned 32-bit words only ---- */

static uint32_t rd32(const uint8_t *p)
{
	return __atomic_load_n((const uint32_t *)(const void *)p, __ATOMIC_RELAXED);
}

static void wr32(uint8_t *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)(void *)p, v, __ATOMIC_RELAXED);
}

/* Registers are little-endian like the SCP's MMIO; bit operations commute with the swap. */
static uint32_t reg_get(uint32_t *r)
{
	return rpmsg_le32(__atomic_load_n(r, __ATOMIC_ACQUIRE));
}

static void reg_set(uint32_t *r, uint32_t bits)
{
	__atomic_fetch_or(r, rpmsg_le32(bits), __ATOMIC_ACQ_REL);
}

static void reg_clear(uint32_t *r, uint32_t bits)
{
	__atomic_fetch_and(r, ~rpmsg_le32(bits), __ATOMIC_ACQ_REL);
}

/* Payload with word stores (the last partial word read-modify-written), then len, then id. */
static void obj_write(uint8_t *obj, uint32_t id, const void *data, size_t len)
{
	const uint8_t *src = data;
	uint8_t *pl = obj + HDR;
	size_t full = len & ~(size_t)3;

	for (size_t i = 0; i < full; i += 4) {
		uint32_t w;

		memcpy(&w, src + i, 4);
		wr32(pl + i, w);
	}
	if (len & 3) {
		uint32_t w = rd32(pl + full);

		memcpy(&w, src + full, len & 3);
		wr32(pl + full, w);
	}
	wr32(obj + 4, rpmsg_le32((uint32_t)len));
	wr32(obj + 0, rpmsg_le32(id));
}

static void obj_zero(uint8_t *obj, uint32_t S)
{
	for (uint32_t i = 0; i < HDR + S; i += 4)
		wr32(obj + i, 0);
}

static uint64_t now_ns(struct scp *s)
{
	return s->plat->ops->now_ns(s->plat);
}

static void ring(struct scp *s, uint32_t bell)
{
	rpmsg_stat_add(&s->stats.notifies, 1);
	rpmsg_platform_notify(s->plat, bell);
}

/* Our outgoing slot is busy: AP role, the whole doorbell register; SCP role, the IPC bit. */
static bool slot_busy(struct scp *s)
{
	uint32_t v = reg_get(s->reg_out);

	return s->host ? v != 0 : (v & RPMSG_SCP_IPC_BIT) != 0;
}

static bool peer_gone(struct scp *s)
{
	if (atomic_load(&s->gone))
		return true;
	return !s->host && (reg_get(s->reg_reset) & 1u);
}

/* Slice of a wait towards `deadline`, in ms (at least 1). */
static int slice_ms(struct scp *s, uint64_t deadline)
{
	uint64_t now = now_ns(s);

	if (now >= deadline)
		return 0;
	if (deadline - now >= (uint64_t)SLICE_MS * 1000000u)
		return SLICE_MS;
	/* Below a slice: a 32-bit division (no libgcc call on 32-bit cores). */
	return (int)(((uint32_t)(deadline - now) + 999999u) / 1000000u);
}

static void cv_wait_ms(struct scp *s, int ms)
{
#if RPMSG_BAREMETAL
	rpmsg_cond_wait(&s->cv, &s->mu); /* one context: returns at once, the caller looks again */
#else
	struct timespec ts;

	/* os.h has no timed wait: rpmsg_cond is a pthread_cond_t here (CLOCK_MONOTONIC). */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += (long)ms * 1000000L;
	while (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&s->cv, &s->mu, &ts);
#endif
}

/* ---- receive ---- */

static void queue_drop(struct scp *s);

/*
 * AP role: the SCP is lost (crash, unseen restart, or we reset it). Senders give up first
 * (epoch, gone), then our half of the slot is cleared, then the channels go. Runs with
 * rx_busy owned by the caller, so no message is taken meanwhile.
 */
static void host_stop(struct scp *s)
{
	struct scp *prev = tl_rx;

	atomic_fetch_add(&s->epoch, 1);
	atomic_store(&s->gone, true);
	atomic_store(&s->up, false);
	/* A sender in wait_slot sees `gone` within a slice and lets go of the slot. */
	rpmsg_mutex_lock(&s->slot_lock);
	/* What the lost SCP did not take goes nowhere: the next one starts from a free slot. */
	__atomic_store_n(s->reg_out, 0u, __ATOMIC_RELEASE);
	obj_zero(s->out_obj, s->S);
	if (!s->flushing)
		queue_drop(s); /* else the flush up our stack fails (-EPIPE) and drops it */
	rpmsg_mutex_lock(&s->mu);
	s->info.up = false;
	/* Taken under slot_lock: a waiter's post (which registers it) is complete. */
	if (s->aw_on && s->acks[s->aw_id] == s->aw_snap)
		s->aw_lost = true;
	rpmsg_cond_broadcast(&s->cv);
	rpmsg_mutex_unlock(&s->mu);
	rpmsg_mutex_unlock(&s->slot_lock);
	/* As from a callback: sends from remove fail at once, rpmsg_scp_reset is refused. */
	tl_rx = s;
	rpmsg_link_remove_channels(s->link);
	tl_rx = prev;
}

static void host_init(struct scp *s, const uint8_t *m)
{
	uint32_t signaled;

	/* INIT while up: the SCP restarted without a watchdog seen; its old channels go. */
	if (atomic_load(&s->up)) {
		rpmsg_stat_add(&s->stats.reinits, 1);
		host_stop(s);
	}
	memcpy(&signaled, m, 4);
	rpmsg_mutex_lock(&s->mu);
	memcpy(s->info.fw_version, m + 4, sizeof(s->info.fw_version));
	s->info.fw_version[sizeof(s->info.fw_version) - 1] = '\0';
	memcpy(&s->info.dec_capability, m + 36, 4);
	memcpy(&s->info.enc_capability, m + 40, 4);
	s->info.dec_capability = rpmsg_le32(s->info.dec_capability);
	s->info.enc_capability = rpmsg_le32(s->info.enc_capability);
	s->info.up = rpmsg_le32(signaled) != 0;
	rpmsg_mutex_unlock(&s->mu);
	if (rpmsg_le32(signaled)) {
		atomic_store(&s->gone, false);
		atomic_store(&s->up, true);
	}
}

static void host_ns(struct scp *s, const uint8_t *m, uint32_t len)
{
	struct rpmsg_channel_info info;
	uint32_t addr;

	if (len != RPMSG_SCP_NS_MSG_SIZE) {
		rpmsg_stat_add(&s->stats.ns_bad, 1);
		return;
	}
	memset(&info, 0, sizeof(info));
	/* At most 31 characters, NUL-padded: the AP forces byte 31 to NUL. */
	memcpy(info.name, m, rpmsg_strnlen((const char *)m, RPMSG_NAME_SIZE - 1));
	memcpy(&addr, m + 32, 4);
	addr = rpmsg_le32(addr);
	if (!info.name[0] || addr == RPMSG_SCP_IPI_INIT || addr >= RPMSG_SCP_IPI_NS_SERVICE) {
		rpmsg_stat_add(&s->stats.ns_bad, 1);
		return;
	}
	if (rpmsg_link_channels(s->link, NULL, 0) >= MAX_CHANNELS) {
		rpmsg_stat_add(&s->stats.ns_bad, 1); /* a peer announcing without end */
		return;
	}
	info.src = addr;
	info.dst = RPMSG_ADDR_ANY;
	rpmsg_channel_add(s->link, &info, false, NULL); /* a duplicate is refused (-EEXIST) */
}

/* Take one message from our receive object, if there is one. Caller owns rx_busy. */
static int rx_one(struct scp *s)
{
	uint32_t st = reg_get(s->reg_in), id, len;
	bool handled = false;
	struct scp *prev;

	if (s->host) {
		if (!st)
			return 0;
		if (atomic_load(&s->held) || !(st & RPMSG_SCP_IPC_BIT)) {
			reg_clear(s->reg_in, st);
			if (atomic_load(&s->held)) {
				rpmsg_stat_add(&s->stats.rx_dropped, 1); /* a core in reset sends nothing */
			} else {
				/* A watchdog: the SCP crashed; its channels go, INIT brings it back.
				 * A message raised with it was taken first (the IPC bit is set). */
				uint8_t w[4] = { (uint8_t)st, (uint8_t)(st >> 8), (uint8_t)(st >> 16),
						 (uint8_t)(st >> 24) };

				rpmsg_stat_add(&s->stats.watchdogs, 1);
				rpmsg_link_tap_control(s->link, RPMSG_CAP_RX, SCP_CAP_WATCHDOG, w, sizeof(w));
				host_stop(s);
			}
			ring(s, BELL_TAKEN);
			return 1;
		}
	} else if (!(st & RPMSG_SCP_IPC_BIT)) {
		return 0;
	}
	/* Read id and len once; everything below uses the local copies. */
	id = rpmsg_le32(rd32(s->in_obj));
	len = rpmsg_le32(rd32(s->in_obj + 4));
	if (len > s->S || id >= RPMSG_SCP_IPI_MAX) {
		rpmsg_stat_add(&s->stats.rx_bad, 1);
		reg_clear(s->reg_in, RPMSG_SCP_IPC_BIT);
		ring(s, BELL_TAKEN);
		return 1;
	}
	for (uint32_t i = 0; i < len; i += 4) {
		uint32_t w = rd32(s->in_obj + HDR + i);

		memcpy(s->rxbuf + i, &w, len - i < 4 ? len - i : 4);
	}
	memset(s->rxbuf + len, 0, s->S - len);
	/*
	 * Taken: clear the status before the handler runs, so the peer may send again (a
	 * handler that answers must not wait for a peer that waits for us).
	 */
	reg_clear(s->reg_in, RPMSG_SCP_IPC_BIT);
	ring(s, BELL_TAKEN);
	rpmsg_stat_add(&s->stats.rx_msgs, 1);

	prev = tl_rx;
	tl_rx = s;
	if (s->host && (id == RPMSG_SCP_IPI_INIT || id == RPMSG_SCP_IPI_NS_SERVICE))
		rpmsg_link_tap_control(s->link, RPMSG_CAP_RX, (uint16_t)id, s->rxbuf, len);
	if (s->host && id == RPMSG_SCP_IPI_INIT) {
		host_init(s, s->rxbuf);
		handled = true;
	} else if (s->host && id == RPMSG_SCP_IPI_NS_SERVICE) {
		host_ns(s, s->rxbuf, len);
		handled = true;
	} else if (rpmsg_link_deliver(s->link, id, id, s->rxbuf, len) == 0) {
		handled = true;
	} else {
		rpmsg_stat_add(&s->stats.rx_dropped, 1);
	}
	tl_rx = prev;
	if (handled) {
		rpmsg_mutex_lock(&s->mu);
		s->acks[id]++;
		rpmsg_cond_broadcast(&s->cv);
		rpmsg_mutex_unlock(&s->mu);
	}
	return 1;
}

static int flush_try(struct scp *s);

/* Become the receiver if nobody is, and drain. Returns how many messages were taken. */
static int rx_try(struct scp *s)
{
	int n = 0;

	if (tl_rx == s)
		return 0; /* inside one of our callbacks: the receiver is up the stack */
	if (!reg_get(s->reg_in))
		return 0; /* nothing there (a peek; rx_one reads it again) */
	rpmsg_mutex_lock(&s->mu);
	if (s->rx_busy) {
		rpmsg_mutex_unlock(&s->mu);
		return 0;
	}
	s->rx_busy = true;
	rpmsg_mutex_unlock(&s->mu);
	for (int i = 0; i < RX_BUDGET; i++) {
		int r = rx_one(s);

		if (r <= 0)
			break;
		n += r;
		flush_try(s); /* answers the callback queued, now that the peer may take them */
	}
	rpmsg_mutex_lock(&s->mu);
	s->rx_busy = false;
	rpmsg_cond_broadcast(&s->cv);
	rpmsg_mutex_unlock(&s->mu);
	return n;
}

/* ---- send ---- */

/* Wait until the peer took our previous message (slot_lock held). */
static int wait_slot(struct scp *s, int wait_ms, bool may_rx)
{
	uint64_t deadline = now_ns(s) + (uint64_t)(wait_ms > 0 ? wait_ms : 0) * 1000000u;
	unsigned quiet = 0; /* slices in a row without a doorbell */

	for (;;) {
		int ms;

		/* Gone first: host_stop frees the slot of a lost SCP (maybe from rx_try below). */
		if (peer_gone(s))
			return -EPIPE;
		if (!slot_busy(s))
			return 0;
		if (wait_ms == 0)
			return -EAGAIN;
		ms = slice_ms(s, deadline);
		if (!ms) {
			rpmsg_stat_add(&s->stats.busy_timeouts, 1);
			return -ETIMEDOUT;
		}
		/* Single-threaded peers take our message only if we take theirs. */
		if (may_rx && rx_try(s) > 0)
			continue;
		if (rpmsg_platform_wait(s->plat, BELL_TAKEN, ms) && ++quiet >= RERING_SLICES) {
			/* Our message still sits in the slot after ~50 ms: the peer may have
			 * slept through its IPC doorbell (a lost interrupt) and nothing else
			 * would wake it. Ring again; if it was only busy, it is spurious. */
			quiet = 0;
			ring(s, BELL_IPC);
		}
	}
}

/*
 * Fill the slot and ring (slot_lock held). snap: the caller will wait for the ack; it gets
 * the ack count of id before the ring and becomes the ack waiter.
 */
static int post(struct scp *s, uint32_t id, const void *data, size_t len, int wait_ms,
		bool may_rx, uint32_t *snap)
{
	int ret = wait_slot(s, wait_ms, may_rx);

	if (ret)
		return ret;
	obj_write(s->out_obj, id, data, len);
	if (id == RPMSG_SCP_IPI_INIT || id == RPMSG_SCP_IPI_NS_SERVICE) /* no endpoint records these */
		rpmsg_link_tap_control(s->link, RPMSG_CAP_TX, (uint16_t)id, data, len);
	if (snap) {
		rpmsg_mutex_lock(&s->mu);
		*snap = s->acks[id];
		s->aw_on = true;
		s->aw_lost = false;
		s->aw_id = id;
		s->aw_snap = *snap;
		rpmsg_mutex_unlock(&s->mu);
	}
	reg_set(s->reg_out, RPMSG_SCP_IPC_BIT);
	ring(s, BELL_IPC);
	rpmsg_stat_add(&s->stats.tx_msgs, 1);
	return 0;
}

/*
 * Send what is queued, in order (slot_lock held). A callback run while we wait for the
 * slot may queue more (appended) or flush too: only the outermost flush takes messages.
 */
static int flush_queue(struct scp *s, int wait_ms, bool may_rx)
{
	int ret = 0;

	if (s->flushing)
		return 0;
	s->flushing = true;
	while (atomic_load(&s->qlen)) {
		struct qmsg *m;

		rpmsg_mutex_lock(&s->mu);
		m = s->qhead;
		rpmsg_mutex_unlock(&s->mu);
		ret = post(s, m->id, m->data, m->len, wait_ms, may_rx, NULL);
		if (ret == -EPIPE && s->host)
			queue_drop(s); /* answers to a lost SCP (host_stop left them to us) */
		if (ret)
			break;
		rpmsg_mutex_lock(&s->mu);
		if (!(s->qhead = m->next))
			s->qtail = &s->qhead;
		atomic_fetch_sub(&s->qlen, 1);
		rpmsg_mutex_unlock(&s->mu);
		rpmsg_os_free(m);
	}
	s->flushing = false;
	return ret;
}

/* Forget what is queued (slot_lock held, no flush running). */
static void queue_drop(struct scp *s)
{
	struct qmsg *m;

	rpmsg_mutex_lock(&s->mu);
	m = s->qhead;
	s->qhead = NULL;
	s->qtail = &s->qhead;
	atomic_store(&s->qlen, 0);
	rpmsg_mutex_unlock(&s->mu);
	while (m) {
		struct qmsg *next = m->next;

		rpmsg_os_free(m);
		m = next;
	}
}

static bool queue_pending(struct scp *s)
{
	return atomic_load(&s->qlen) != 0;
}

/* Send what is queued if the slot is free now and nobody else is sending. */
static int flush_try(struct scp *s)
{
	int n = 0;

	while (queue_pending(s) && !rpmsg_mutex_trylock(&s->slot_lock)) {
		unsigned before = atomic_load(&s->qlen), sent;

		if (!s->flushing)
			flush_queue(s, 0, false);
		sent = before - atomic_load(&s->qlen);
		rpmsg_mutex_unlock(&s->slot_lock);
		n += (int)sent;
		if (!sent)
			break; /* slot busy: bell 1 tells us when it is free */
	}
	return n;
}

static int enqueue(struct scp *s, uint32_t id, const void *data, size_t len)
{
	struct qmsg *m;

	if (atomic_load(&s->qlen) >= QMAX)
		return -EAGAIN;
	m = rpmsg_os_zalloc(sizeof(*m) + len);
	if (!m)
		return -ENOMEM;
	m->next = NULL;
	m->id = id;
	m->len = (uint32_t)len;
	if (len)
		memcpy(m->data, data, len);
	rpmsg_mutex_lock(&s->mu);
	*s->qtail = m;
	s->qtail = &m->next;
	atomic_fetch_add(&s->qlen, 1);
	rpmsg_mutex_unlock(&s->mu);
	return 0;
}

static int queue_msg(struct scp *s, uint32_t id, const void *data, uint32_t len)
{
	int ret = enqueue(s, id, data, len);

	if (!ret)
		flush_try(s);
	return ret;
}

/* 0 acked, -EPIPE the SCP was lost before the ack came (AP role), 1 still waiting. */
static int ack_state(struct scp *s, uint32_t id, uint32_t snap)
{
	int r = 1;

	rpmsg_mutex_lock(&s->mu);
	if (s->aw_lost)
		r = -EPIPE; /* a later message on id is the next SCP's, not our ack */
	else if (s->acks[id] != snap)
		r = 0;
	rpmsg_mutex_unlock(&s->mu);
	return r;
}

/* Wait for the peer's next message on `id` (no lock but send_lock held). 0, -EIO, -EPIPE. */
static int wait_ack(struct scp *s, uint32_t id, uint32_t snap, int wait_ms)
{
	uint64_t deadline = now_ns(s) + (uint64_t)wait_ms * 1000000u;

	for (;;) {
		bool busy;
		int ms, got, r;

		if ((r = ack_state(s, id, snap)) <= 0)
			return r;
		ms = slice_ms(s, deadline); /* first: a peer that never stops sending ends too */
		got = rx_try(s);
		if ((r = ack_state(s, id, snap)) <= 0)
			return r;
		if (!got && peer_gone(s)) /* what it sent before it went away was taken above */
			return ack_state(s, id, snap) == 0 ? 0 : -EPIPE;
		if (!ms) {
			rpmsg_stat_add(&s->stats.ack_timeouts, 1);
			return -EIO;
		}
		if (got)
			continue;
		rpmsg_mutex_lock(&s->mu);
		busy = s->rx_busy && s->acks[id] == snap && !s->aw_lost;
		if (busy)
			cv_wait_ms(s, ms); /* another thread receives: it signals each message */
		rpmsg_mutex_unlock(&s->mu);
		if (!busy) {
			/* Answers our callbacks queued go out when the slot frees: look often. */
			if (queue_pending(s))
				ms = 1;
			rpmsg_platform_wait(s->plat, BELL_IPC, ms);
		}
	}
}

static int lock_for(rpmsg_mutex *m, int timeout_ms)
{
	if (timeout_ms == 0)
		return rpmsg_mutex_trylock(m) ? -EAGAIN : 0;
	rpmsg_mutex_lock(m);
	return 0;
}

/*
 * One message: queue first (SCP role), then ours; then the ack if asked. timeout_ms bounds
 * the wait for the slot (0: none, -1: busy_timeout_ms); ack_ms the wait for the ack.
 */
/*
 * From a receive callback of this link: never wait (the peer may be waiting for us to take
 * its next message). Straight into the slot if it is free and nothing is queued, else
 * queued behind the rest; it goes out, in order, once the peer took what is before it.
 */
static int send_from_cb(struct scp *s, uint32_t id, const void *data, size_t len)
{
	int ret = -EAGAIN;

	if (!rpmsg_mutex_trylock(&s->slot_lock)) {
		if (!queue_pending(s) && !slot_busy(s))
			ret = post(s, id, data, len, 0, false, NULL);
		rpmsg_mutex_unlock(&s->slot_lock);
	}
	if (ret == -EAGAIN) {
		ret = enqueue(s, id, data, len);
		if (!ret)
			rpmsg_stat_add(&s->stats.tx_deferred, 1);
	}
	return ret;
}

/*
 * One message: what is queued first, then ours; then the ack if asked. timeout_ms bounds
 * the wait for the slot (0: none, -1: busy_timeout_ms); ack_ms the wait for the ack.
 * ep: the epoch the caller checked the link in; a send that waited for the locks across
 * a loss of the SCP fails rather than reach the next one.
 */
static int do_send(struct scp *s, uint32_t id, const void *data, size_t len, int timeout_ms,
		   int ack_ms, unsigned ep)
{
	int busy_ms = s->cfg.busy_timeout_ms, ret;
	uint32_t snap = 0;

	if (tl_rx == s)
		return send_from_cb(s, id, data, len);
	if (timeout_ms >= 0 && timeout_ms < busy_ms)
		busy_ms = timeout_ms;
	if ((ret = lock_for(&s->send_lock, timeout_ms)))
		return ret;
	ret = lock_for(&s->slot_lock, timeout_ms);
	if (!ret) {
		if (atomic_load(&s->epoch) != ep)
			ret = -EPIPE;
		if (!ret)
			ret = flush_queue(s, busy_ms, true);
		if (!ret)
			ret = post(s, id, data, len, busy_ms, true, ack_ms > 0 ? &snap : NULL);
		if (ret == -EAGAIN)
			atomic_store(&s->tx_wanted, true); /* the slot was busy: report when it frees */
		rpmsg_mutex_unlock(&s->slot_lock);
		flush_try(s);
		if (!ret && ack_ms > 0) {
			ret = wait_ack(s, id, snap, ack_ms);
			rpmsg_mutex_lock(&s->mu);
			s->aw_on = false;
			rpmsg_mutex_unlock(&s->mu);
		}
	}
	rpmsg_mutex_unlock(&s->send_lock);
	return ret;
}

/* ---- transport ops ---- */

static int scp_send(struct rpmsg_link *link, struct rpmsg_endpoint *ept, uint32_t src,
		    uint32_t dst, const void *data, size_t len, int timeout_ms)
{
	struct scp *s = rpmsg_link_priv(link);
	unsigned ep = atomic_load(&s->epoch); /* before the checks: a loss after them counts */
	int ret;

	(void)ept;
	if (len > s->S)
		return -EMSGSIZE;
	if (src == RPMSG_SCP_IPI_INIT || src >= RPMSG_SCP_IPI_NS_SERVICE)
		return -EINVAL;
	if (dst != src)
		return -ENXIO;
	if (peer_gone(s))
		return -EPIPE;
	if (!atomic_load(&s->up))
		return -ENOTCONN;
	ret = do_send(s, src, data, len, timeout_ms, timeout_ms != 0 ? s->cfg.ack_timeout_ms : 0,
		      ep);
	return ret == -EIO ? -ETIMEDOUT : ret;
}

static int scp_get_mtu(struct rpmsg_link *link, struct rpmsg_endpoint *ept)
{
	struct scp *s = rpmsg_link_priv(link);

	(void)ept;
	return (int)s->S;
}

static int scp_poll_tx(struct rpmsg_link *link, struct rpmsg_endpoint *ept)
{
	struct scp *s = rpmsg_link_priv(link);

	(void)ept;
	if (!atomic_load(&s->up) || peer_gone(s))
		return 0;
	if (!slot_busy(s) && !queue_pending(s))
		return 1;
	atomic_store(&s->tx_wanted, true); /* the caller polls the bus for the free slot */
	return 0;
}

static int scp_create_ept(struct rpmsg_link *link, struct rpmsg_endpoint *ept)
{
	uint32_t id = rpmsg_ept_addr(ept);

	(void)link;
	/* The address is the IPI id: 1..254 (0 and 0xFF are INIT and the name service). */
	if (id >= RPMSG_SCP_IPI_MAX)
		return -EINVAL;
	if (id == RPMSG_SCP_IPI_INIT || id == RPMSG_SCP_IPI_NS_SERVICE)
		return -EADDRINUSE;
	if (rpmsg_ept_dst(ept) == RPMSG_ADDR_ANY)
		rpmsg_ept_set_dst(ept, id); /* the same id both ways */
	return 0;
}

static int scp_announce_create(struct rpmsg_link *link, struct rpmsg_channel *ch)
{
	struct scp *s = rpmsg_link_priv(link);
	struct rpmsg_endpoint *ept = rpmsg_channel_ept(ch);

	if (s->host || !ept)
		return 0; /* the AP never announces */
	return rpmsg_scp_announce(link, rpmsg_channel_info(ch)->name, rpmsg_ept_addr(ept));
}

static void go_down(struct scp *s)
{
	atomic_store(&s->gone, true);
	atomic_store(&s->up, false);
	rpmsg_mutex_lock(&s->mu);
	s->info.up = false;
	rpmsg_cond_broadcast(&s->cv);
	rpmsg_mutex_unlock(&s->mu);
	rpmsg_link_remove_channels(s->link);
}

static int scp_process(struct rpmsg_link *link)
{
	struct scp *s = rpmsg_link_priv(link);
	int n = 0;

	s->plat->ops->ack(s->plat, BELL_IPC);
	s->plat->ops->ack(s->plat, BELL_TAKEN);
	/*
	 * The slot a sender waits for is free: report it, a trysend may go on now. Judged by
	 * the register, not by a ring seen here: the peer may have taken the message (and
	 * rung) before this poll, even before the send that was refused returned.
	 */
	if (atomic_load(&s->tx_wanted) && !slot_busy(s) && !queue_pending(s) &&
	    atomic_exchange(&s->tx_wanted, false))
		n++;
	if (!atomic_load(&s->gone))
		n += flush_try(s);
	n += rx_try(s); /* what the peer sent before it went away is still delivered */
	if (!s->host && !atomic_load(&s->gone) && peer_gone(s)) {
		go_down(s); /* the AP put us back into reset */
		n++;
	}
	return n;
}

static int scp_arm(struct rpmsg_link *link)
{
	struct scp *s = rpmsg_link_priv(link);
	int pending = 0;

	if (s->plat->ops->arm(s->plat, BELL_IPC) > 0)
		pending = 1;
	if (s->host ? reg_get(s->reg_in) != 0 : (reg_get(s->reg_in) & RPMSG_SCP_IPC_BIT))
		pending = 1;
	if (!atomic_load(&s->gone)) {
		if (peer_gone(s))
			pending = 1;
		if (queue_pending(s)) {
			if (s->plat->ops->arm(s->plat, BELL_TAKEN) > 0 || !slot_busy(s))
				pending = 1;
		} else if (atomic_load(&s->tx_wanted) || slot_busy(s)) {
			/* Wake when the peer takes our message (for a sender waiting to trysend);
			 * armed before looking, so a take after the look rings us. Already free:
			 * process() reports it, do not sleep. */
			atomic_store(&s->tx_wanted, true);
			s->plat->ops->arm(s->plat, BELL_TAKEN);
			if (!slot_busy(s))
				pending = 1;
		}
	}
	return pending;
}

static bool scp_is_up(struct rpmsg_link *link)
{
	struct scp *s = rpmsg_link_priv(link);

	return atomic_load(&s->up) && !peer_gone(s);
}

static void scp_free(struct scp *s)
{
	while (s->qhead) {
		struct qmsg *m = s->qhead;

		s->qhead = m->next;
		rpmsg_os_free(m);
	}
	rpmsg_mutex_destroy(&s->send_lock);
	rpmsg_mutex_destroy(&s->slot_lock);
	rpmsg_mutex_destroy(&s->mu);
	rpmsg_cond_destroy(&s->cv);
	rpmsg_os_free(s->rxbuf);
	rpmsg_os_free(s);
}

static void scp_destroy(struct rpmsg_link *link)
{
	struct scp *s = rpmsg_link_priv(link);

	if (s->host) {
		/* Hold the SCP in reset, as remoteproc does when it stops. */
		__atomic_store_n(s->reg_reset, rpmsg_le32(1u), __ATOMIC_RELEASE);
		ring(s, BELL_IPC);
	}
	if (s->plat->ops->destroy)
		s->plat->ops->destroy(s->plat);
	scp_free(s);
}

static const struct rpmsg_transport_ops scp_ops = {
	.send = scp_send,
	.get_mtu = scp_get_mtu,
	.poll_tx = scp_poll_tx,
	.create_ept = scp_create_ept,
	.announce_create = scp_announce_create,
	.process = scp_process,
	.arm = scp_arm,
	.is_up = scp_is_up,
	.destroy = scp_destroy,
};

/* ---- public ---- */

static struct scp *scp_of(struct rpmsg_link *link)
{
	const char *t = rpmsg_link_transport(link);

	return t && !strcmp(t, "scp") ? rpmsg_link_priv(link) : NULL;
}

int rpmsg_scp_ns_encode(void *msg36, const char *name, uint32_t id)
{
	uint8_t *m = msg36;
	size_t n;

	if (!m || !name || id >= RPMSG_SCP_IPI_MAX)
		return -EINVAL;
	n = rpmsg_strnlen(name, RPMSG_NAME_SIZE);
	if (n == 0 || n >= RPMSG_NAME_SIZE)
		return -EINVAL;
	memset(m, 0, RPMSG_SCP_NS_MSG_SIZE);
	memcpy(m, name, n);
	id = rpmsg_le32(id);
	memcpy(m + 32, &id, 4);
	return RPMSG_SCP_NS_MSG_SIZE;
}

int rpmsg_scp_announce(struct rpmsg_link *link, const char *name, uint32_t id)
{
	struct scp *s = link ? scp_of(link) : NULL;
	uint8_t msg[RPMSG_SCP_NS_MSG_SIZE];
	int ret;

	if (!s)
		return -EINVAL;
	if (s->host)
		return -EOPNOTSUPP;
	ret = rpmsg_scp_ns_encode(msg, name, id);
	if (ret < 0)
		return ret;
	return queue_msg(s, RPMSG_SCP_IPI_NS_SERVICE, msg, sizeof(msg));
}

int rpmsg_scp_ipi_send(struct rpmsg_link *link, uint32_t id, const void *data, size_t len,
		       int wait_ms)
{
	struct scp *s = link ? scp_of(link) : NULL;
	unsigned ep;

	if (!s || (!data && len) || id >= RPMSG_SCP_IPI_MAX || len > s->S)
		return -EINVAL;
	if (s->host && (id == RPMSG_SCP_IPI_INIT || id == RPMSG_SCP_IPI_NS_SERVICE))
		return -EINVAL;
	ep = atomic_load(&s->epoch);
	if (peer_gone(s))
		return -EPIPE;
	return do_send(s, id, data, len, -1, wait_ms, ep);
}

/* Become the receiver, waiting for the current one (never from our own callbacks). */
static void rx_claim(struct scp *s)
{
	rpmsg_mutex_lock(&s->mu);
	while (s->rx_busy)
		cv_wait_ms(s, SLICE_MS);
	s->rx_busy = true;
	rpmsg_mutex_unlock(&s->mu);
}

static void rx_unclaim(struct scp *s)
{
	rpmsg_mutex_lock(&s->mu);
	s->rx_busy = false;
	rpmsg_cond_broadcast(&s->cv);
	rpmsg_mutex_unlock(&s->mu);
}

int rpmsg_scp_reset(struct rpmsg_link *link, bool hold)
{
	struct scp *s = link ? scp_of(link) : NULL;

	if (!s)
		return -EINVAL;
	if (!s->host)
		return -EOPNOTSUPP;
	if (tl_rx == s)
		return -EDEADLK; /* our receiver is up the stack: it would wait for itself */
	if (hold) {
		/* remoteproc's stop: reset first, so the SCP sends nothing more. */
		atomic_store(&s->held, true);
		__atomic_store_n(s->reg_reset, rpmsg_le32(1u), __ATOMIC_RELEASE);
		ring(s, BELL_IPC); /* a simulated SCP polls the register: wake it */
		rx_claim(s);
		host_stop(s);
		rx_unclaim(s);
		return 0;
	}
	if (!atomic_load(&s->held))
		return 0;
	/* remoteproc's start: both objects and registers clear, as a firmware load leaves them. */
	rx_claim(s);
	rpmsg_mutex_lock(&s->slot_lock);
	obj_zero(s->in_obj, s->S);
	obj_zero(s->out_obj, s->S);
	__atomic_store_n(s->reg_in, 0u, __ATOMIC_RELEASE);
	__atomic_store_n(s->reg_out, 0u, __ATOMIC_RELEASE);
	queue_drop(s);
	atomic_store(&s->gone, false); /* -ENOTCONN until INIT */
	atomic_store(&s->held, false);
	rpmsg_mutex_unlock(&s->slot_lock);
	rx_unclaim(s);
	__atomic_store_n(s->reg_reset, 0u, __ATOMIC_RELEASE);
	ring(s, BELL_IPC);
	return 0;
}

int rpmsg_scp_get_info(struct rpmsg_link *link, struct rpmsg_scp_info *out)
{
	struct scp *s = link ? scp_of(link) : NULL;

	if (!s || !out)
		return -EINVAL;
	rpmsg_mutex_lock(&s->mu);
	*out = s->info;
	rpmsg_mutex_unlock(&s->mu);
	out->up = scp_is_up(link);
	return 0;
}

int rpmsg_scp_get_stats(struct rpmsg_link *link, struct rpmsg_scp_stats *out)
{
	struct scp *s = link ? scp_of(link) : NULL;
	const uint64_t *in;
	uint64_t *o;

	if (!s || !out)
		return -EINVAL;
	in = (const uint64_t *)&s->stats;
	o = (uint64_t *)out;
	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		o[i] = rpmsg_stat_get(&in[i]);
	return 0;
}

static void watch(struct scp *s, int i, uint32_t bell)
{
	int fd = s->plat->ops->fd ? s->plat->ops->fd(s->plat, bell) : -1;

	if (fd >= 0 && !rpmsg_link_watch_fd(s->link, fd))
		s->watched[i] = fd;
}

static int check_layout(struct scp *s)
{
	uint64_t size = s->plat->shm.size;
	uint64_t objs = 2 * ((uint64_t)HDR + s->S);
	uint64_t ib = s->cfg.ipi_base, rb = s->cfg.regs_base;

	if (s->S < RPMSG_SCP_INIT_MSG_SIZE || s->S > 65536 || (s->S & 3) || (ib & 3) || (rb & 3))
		return -EINVAL;
	if (!s->plat->shm.va || ib + objs > size || rb + RPMSG_SCP_REGS_SIZE > size)
		return -ENOSPC;
	if (ib < rb + RPMSG_SCP_REGS_SIZE && rb < ib + objs)
		return -ENOSPC; /* overlap */
	return 0;
}

int rpmsg_scp_create(struct rpmsg_bus *bus, struct rpmsg_platform *plat,
		     const struct rpmsg_scp_config *cfg, struct rpmsg_link **out)
{
	struct rpmsg_link_desc desc = { .transport = "scp", .ops = &scp_ops,
					.flags = RPMSG_LINK_F_SETUP };
#if !RPMSG_BAREMETAL
	pthread_condattr_t ca;
#endif
	struct scp *s;
	uint8_t *base, *regs;
	int ret;

	if (!bus || !plat || !plat->ops || !plat->ops->now_ns || !cfg || !out)
		return -EINVAL;
	if (cfg->role != RPMSG_SCP_HOST && cfg->role != RPMSG_SCP_REMOTE)
		return -EINVAL;
	if (cfg->busy_timeout_ms < 0 || cfg->ack_timeout_ms < 0)
		return -EINVAL;
	s = rpmsg_os_zalloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->plat = plat;
	s->cfg = *cfg;
	s->host = cfg->role == RPMSG_SCP_HOST;
	s->watched[0] = s->watched[1] = -1;
	if (!s->cfg.share_buf_size)
		s->cfg.share_buf_size = RPMSG_SCP_SHARE_BUF_SIZE;
	if (!s->cfg.ipi_base)
		s->cfg.ipi_base = RPMSG_SCP_DEFAULT_IPI_BASE;
	if (!s->cfg.busy_timeout_ms)
		s->cfg.busy_timeout_ms = RPMSG_SCP_BUSY_TIMEOUT_MS;
	if (!s->cfg.name)
		s->cfg.name = "scp0";
	s->S = s->cfg.share_buf_size;
	s->qtail = &s->qhead;
	rpmsg_mutex_init(&s->slot_lock, true);
	rpmsg_mutex_init(&s->send_lock, false);
	rpmsg_mutex_init(&s->mu, false);
#if RPMSG_BAREMETAL
	rpmsg_cond_init(&s->cv);
#else
	/* cv_wait_ms waits on the monotonic clock (rpmsg_cond_init takes the default). */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
#endif
	ret = check_layout(s);
	if (ret)
		goto fail;
	s->rxbuf = rpmsg_os_zalloc(s->S);
	if (!s->rxbuf) {
		ret = -ENOMEM;
		goto fail;
	}

	base = (uint8_t *)plat->shm.va + s->cfg.ipi_base;
	regs = (uint8_t *)plat->shm.va + s->cfg.regs_base;
	/* Receive object (SCP -> AP) at base, send object (AP -> SCP) after it. */
	s->in_off = s->cfg.ipi_base + (s->host ? 0 : HDR + s->S);
	s->out_off = s->cfg.ipi_base + (s->host ? HDR + s->S : 0);
	s->in_obj = (uint8_t *)plat->shm.va + s->in_off;
	s->out_obj = (uint8_t *)plat->shm.va + s->out_off;
	s->reg_in = (uint32_t *)(void *)(regs + (s->host ? RPMSG_SCP_REG_SCP_TO_HOST : RPMSG_SCP_REG_HOST_TO_SCP));
	s->reg_out = (uint32_t *)(void *)(regs + (s->host ? RPMSG_SCP_REG_HOST_TO_SCP : RPMSG_SCP_REG_SCP_TO_HOST));
	s->reg_reset = (uint32_t *)(void *)(regs + RPMSG_SCP_REG_SIM_RESET);
	(void)base;
	s->info.share_buf_size = s->S;
	s->info.rx_obj = s->in_off;
	s->info.tx_obj = s->out_off;

	if (s->host) {
		/* As when the firmware is loaded: our object and doorbell start clear. */
		obj_zero(s->out_obj, s->S);
		__atomic_store_n(s->reg_out, 0u, __ATOMIC_RELEASE);
		__atomic_store_n(s->reg_reset, 0u, __ATOMIC_RELEASE);
	} else {
		uint8_t init[RPMSG_SCP_INIT_MSG_SIZE] = { 0 };
		const char *fw = s->cfg.fw_version ? s->cfg.fw_version : "librpmsg-scp";
		uint32_t v;

		if (!slot_busy(s))
			obj_zero(s->out_obj, s->S);
		v = rpmsg_le32(1);
		memcpy(init, &v, 4);
		memcpy(init + 4, fw, rpmsg_strnlen(fw, 31));
		v = rpmsg_le32(s->cfg.dec_capability);
		memcpy(init + 36, &v, 4);
		v = rpmsg_le32(s->cfg.enc_capability);
		memcpy(init + 40, &v, 4);
		memcpy(s->info.fw_version, init + 4, 32);
		s->info.dec_capability = s->cfg.dec_capability;
		s->info.enc_capability = s->cfg.enc_capability;
		s->info.up = true;
		ret = enqueue(s, RPMSG_SCP_IPI_INIT, init, sizeof(init));
		if (ret)
			goto fail;
	}

	desc.name = s->cfg.name;
	desc.priv = s;
	ret = rpmsg_link_register(bus, &desc, &s->link);
	if (ret)
		goto fail;
	watch(s, 0, BELL_IPC);
	watch(s, 1, BELL_TAKEN);
	if (!s->host) {
		atomic_store(&s->up, true);
		flush_try(s); /* INIT goes out now if the slot is free */
	}
	rpmsg_link_ready(s->link);
	*out = s->link;
	return 0;
fail:
	scp_free(s);
	return ret;
}
