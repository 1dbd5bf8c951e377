/*
 * The GLINK transport (spec/20-glink.md) in both roles. See include/rpmsg/glink.h.
 *
 * Structure. The RX FIFO is parsed by drain() under rx_lock: it updates channel and intent
 * state, copies data into our intents, and only queues what needs more: control commands to
 * send (the ctl queue), messages and flow events to deliver (the ready queue), and channels
 * to add to or remove from the bus (flags). It never calls into the core and never waits, so
 * a sender waiting for FIFO space or an intent may run it too (that is how a single-threaded
 * application makes progress in a blocking send; see wait_step). process() then sends the
 * ctl queue, changes the bus, delivers, and queues the RX_DONEs of what it delivered.
 *
 * Trust: every word the peer writes (its head, the tail it writes for our FIFO, command
 * fields, lengths, ids) is read once into a local and checked. A head or tail out of range,
 * or a command that can never fit the FIFO, stops the parser for good (rx_broken, or sends
 * fail with -EIO); a bad command that can be skipped is skipped. Each is counted in rx_bad.
 *
 * Remote restart (main CPU, SMEM flavour). SMEM items outlive a remote (spec 20 §11), so a
 * restarted remote finds its FIFO item and the descriptor as its predecessor left them, and
 * the main CPU may be anywhere in the old streams: neither side can tell garbage from
 * commands if the remote just writes its indices back to 0. Nothing else tells us the remote
 * died (no remoteproc here, and a killed process leaves no mark in shared memory), so the
 * restarted remote says so itself, through the descriptor's unused words (glink_wire.h):
 * it increments RESTARTS and touches no index until the main CPU has written RESTART_ACK.
 * The main CPU sees the new count in drain() (any sender waiting) or process(): the old
 * session dies at once (session_down: senders and waiters get -EPIPE, no CLOSE is sent,
 * the new remote does not know those ids), then process() removes every channel from the
 * bus (drivers see remove), drops queued commands and undelivered messages, sets all four
 * indices to 0 as at start-up, queues VERSION, and acknowledges (restart()). The new remote
 * then starts from index 0 as on a first boot: it opens its channels again and drivers are
 * probed again. A remote that finds no magic (Linux's side of the edge is not ours) starts as
 * Linux expects, its indices 0, and relies on whoever restarted it to re-create the edge.
 *
 * The RPM flavour does the same with the same words, found elsewhere: message RAM survives
 * a restart as SMEM does, and the remote that lays it out adds a third TOC entry of our own
 * (GLINK_TOC_RESTART, which Linux skips) naming 16 bytes after the FIFOs. A remote that
 * finds its own layout there with the main CPU's magic restarted: it keeps the layout and
 * goes through remote_restart(); otherwise it lays the RAM out afresh. The main CPU answers
 * restarts whenever the TOC names those words (restart_pending() and restart() do not
 * care where they are). Destroying the main CPU's link clears the magic.
 *
 * Locks, in order: chan->send_lock, tx_lock (writing the TX FIFO), rx_lock (parsing the RX
 * FIFO), lock (channels, intents, queues). tx_lock and rx_lock are held together only by
 * restart(), in that order.
 */
#include <stdatomic.h>
#include <string.h>
#if !RPMSG_BAREMETAL
#include <time.h>
#endif

#include <rpmsg/capture.h>
#include <rpmsg/glink.h>
#include <rpmsg/transport.h>

#include "core/core.h" /* rpmsg_ept_get/put: a reference across a callback */
#include "core/os.h"
#include "glink/glink_wire.h"
#include "smem/smem.h"

#define MAX_CHANNELS 64
#define MAX_LINTENTS 32      /* our intents per channel */
#define MAX_RINTENTS 64      /* the peer's intents we remember per channel */
#define CTL_CAP 512          /* queued control commands */
#define CTL_RESERVE 64       /* drain stops when fewer are free */
#define READY_CAP 1024
#define RX_BUDGET 256        /* commands per drain */
#define DELIVER_BUDGET 256
#define WAIT_SLICE_MS 2
#define RERING_SLICES 25     /* a waiter rings again after this many quiet slices (~50 ms) */
#define REASK_MIN_MS 2       /* a refused request is asked again after this, doubling, */
#define REASK_MAX_MS 100     /* up to this (or as soon as the peer frees an intent) */
#define MIN_FIFO 256u
#define MAX_FIFO (1u << 24)
#define MAX_CHUNK 8192u
#define RX_ALLOC_BUDGET (64u << 20) /* bytes of intents the peer may make us allocate */

struct glink;

struct pipe {
	uint8_t *data;
	uint32_t len;
	uint32_t *head, *tail; /* little-endian words in shared memory */
};

struct lintent {          /* ours: a receive buffer the peer may fill */
	uint32_t id, size, fill;
	uint8_t *buf;
	bool valid, reuse, ready; /* ready: complete, waiting for delivery */
};

struct rintent {          /* the peer's: where we may send */
	uint32_t id, size;
	bool valid, used;
};

enum { ACK_GRANTED = 1, ACK_REFUSED = 2 };

struct chan {
	bool used;
	uint16_t gen;
	char name[GLINK_NAME_BUF];
	uint16_t lcid, rcid;
	bool open_acked;     /* the peer acked our OPEN */
	bool rcid_acked;     /* we acked the peer's OPEN */
	bool close_sent, peer_closed;
	bool has_dev, want_dev, want_undev;
	bool advertised;
	struct rpmsg_endpoint *ept;
	uint32_t ept_addr;
	int users;           /* senders and deliveries inside */
	rpmsg_mutex send_lock;
	struct lintent li[MAX_LINTENTS];
	uint32_t next_lid;
	struct rintent ri[MAX_RINTENTS];
	uint32_t intent_seq; /* bumped when the peer offers an intent */
	uint32_t free_seq;   /* bumped when the peer gives an intent back or offers one */
	uint32_t reqs_sent, acks_rcvd; /* RX_INTENT_REQ and their answers (in order) */
	uint8_t ack_res[8];  /* answer n at [(n - 1) % 8] */
	uint32_t req_size[8]; /* size asked in request n at [(n - 1) % 8] */
	/* intentless reassembly (a message complete moves to the ready queue) */
	uint8_t *ibuf;
	uint32_t isize, ifill;
	uint32_t try_req;    /* the RX_INTENT_REQ a trysend sent (its number; 0: none) */
	uint32_t try_size;   /* and the size it asked for */
};

struct ctl {
	uint8_t b[GLINK_HDR + GLINK_NAME_BUF];
	uint8_t len;
};

enum { RD_MSG, RD_FLOW };

struct ready {
	uint16_t slot, gen;
	uint8_t type;
	int16_t li;      /* intent index, -1 when buf holds the message */
	uint32_t val;
	uint8_t *buf;    /* a message of ours to free after delivery (intentless, or copied out
			  * of its intent by a waiting sender), `len` bytes of `alloc` */
	uint32_t len, alloc;
};

struct glink {
	struct rpmsg_link *link;
	struct rpmsg_platform *plat;
	struct rpmsg_glink_config cfg;
	bool remote, intentless, keep_plat;
	int watched;
	struct smem smem;
	int host;
	uint8_t *desc;
	uint8_t *rs;             /* the restart words (GLINK_RS_*); NULL: none on this edge */

	rpmsg_mutex tx_lock;
	struct pipe tx;
	uint32_t tx_head;        /* tx_lock */
	bool tx_broken;          /* tx_lock */
	uint32_t notif_tail;     /* tail when we last sent READ_NOTIF (tx_lock) */
	bool notif_sent;

	rpmsg_mutex rx_lock;
	struct pipe rx;          /* rx.data NULL until the peer's FIFO item exists */
	uint32_t rx_tail;        /* rx_lock */
	bool rx_item_bad;

	rpmsg_mutex lock;
	rpmsg_cond cond;         /* state changed: waiters look again */
	struct chan *ch[MAX_CHANNELS];
	uint16_t next_lcid;
	struct ctl ctlq[CTL_CAP];
	unsigned ctl_head, ctl_n;
	struct ready rdq[READY_CAP];
	unsigned rd_head, rd_n;
	uint32_t features;
	bool version_done, peer_seen;
	bool resync;             /* main CPU, SMEM: we answer remote restarts */
	bool down;               /* the remote restarted; restart() not done yet (lock) */
	_Atomic uint32_t restart_seen; /* the remote's restart count we answered */
	uint64_t rx_alloc;       /* bytes of intents allocated */
	atomic_bool rx_broken;
	atomic_bool kick;
	atomic_bool dev_work;

	struct rpmsg_glink_stats st;
};

static uint64_t now_ns(struct glink *s)
{
	return s->plat->ops->now_ns(s->plat);
}

static void ring(struct glink *s)
{
	rpmsg_stat_add(&s->st.notifies, 1);
	rpmsg_platform_notify(s->plat, s->cfg.doorbell);
}

static void bad(struct glink *s)
{
	rpmsg_stat_add(&s->st.rx_bad, 1);
}

static uint32_t ld32(const uint32_t *p)
{
	uint32_t v = __atomic_load_n(p, __ATOMIC_ACQUIRE);

	return glink_get32((const uint8_t *)&v);
}

static void st32(uint32_t *p, uint32_t v)
{
	uint32_t w;

	glink_put32((uint8_t *)&w, v);
	__atomic_store_n(p, w, __ATOMIC_RELEASE);
}

static void fifo_write(struct pipe *p, uint32_t at, const void *src, uint32_t len)
{
	uint32_t first = p->len - at < len ? p->len - at : len;

	memcpy(p->data + at, src, first);
	if (len > first)
		memcpy(p->data, (const uint8_t *)src + first, len - first);
}

static void fifo_read(const struct pipe *p, uint32_t at, void *dst, uint32_t len)
{
	uint32_t first;

	at %= p->len;
	first = p->len - at < len ? p->len - at : len;
	memcpy(dst, p->data + at, first);
	if (len > first)
		memcpy((uint8_t *)dst + first, p->data, len - first);
}

static void wake_bus(struct glink *s)
{
	atomic_store(&s->kick, true);
	rpmsg_bus_wake(rpmsg_link_bus(s->link));
}

/* ---- channels (lock held) ---- */

static struct chan *chan_by_lcid(struct glink *s, uint16_t lcid)
{
	for (unsigned i = 0; i < MAX_CHANNELS && lcid; i++)
		if (s->ch[i] && s->ch[i]->used && s->ch[i]->lcid == lcid)
			return s->ch[i];
	return NULL;
}

static struct chan *chan_by_rcid(struct glink *s, uint16_t rcid)
{
	for (unsigned i = 0; i < MAX_CHANNELS && rcid; i++)
		if (s->ch[i] && s->ch[i]->used && s->ch[i]->rcid == rcid)
			return s->ch[i];
	return NULL;
}

static unsigned slot_of(struct glink *s, struct chan *c)
{
	for (unsigned i = 0; i < MAX_CHANNELS; i++)
		if (s->ch[i] == c)
			return i;
	return 0;
}

static struct chan *chan_new(struct glink *s, const char *name)
{
	for (unsigned i = 0; i < MAX_CHANNELS; i++) {
		struct chan *c = s->ch[i];

		if (c && c->used)
			continue;
		if (!c) {
			c = rpmsg_os_zalloc(sizeof(*c));
			if (!c)
				return NULL;
			rpmsg_mutex_init(&c->send_lock, false);
			s->ch[i] = c;
		}
		c->used = true;
		rpmsg_name_copy(c->name, sizeof(c->name), name);
		c->next_lid = 1;
		return c;
	}
	return NULL;
}

static uint16_t alloc_lcid(struct glink *s)
{
	for (unsigned n = 0; n < 65535; n++) {
		uint16_t id = s->next_lcid;

		s->next_lcid = s->next_lcid == 65535 ? 1 : s->next_lcid + 1;
		if (id && !chan_by_lcid(s, id))
			return id;
	}
	return 0;
}

static void free_lintent(struct glink *s, struct lintent *li)
{
	if (li->valid) {
		s->rx_alloc -= li->size;
		rpmsg_os_free(li->buf);
	}
	memset(li, 0, sizeof(*li));
}

/* A channel nobody refers to any more goes back to the free slots. */
/* Free what a channel holds for receiving: our intents and a message being assembled. */
static void drop_rx_state(struct glink *s, struct chan *c)
{
	for (unsigned i = 0; i < MAX_LINTENTS; i++)
		free_lintent(s, &c->li[i]);
	if (c->ibuf)
		s->rx_alloc -= c->isize;
	rpmsg_os_free(c->ibuf);
	c->ibuf = NULL;
	c->isize = c->ifill = 0;
}

static void maybe_free(struct glink *s, struct chan *c)
{
	if (!c->used || c->lcid || c->rcid || c->ept || c->has_dev || c->want_dev ||
	    c->want_undev || c->users)
		return;
	drop_rx_state(s, c);
	memset(c->ri, 0, sizeof(c->ri));
	c->used = false;
	c->gen++;
	c->open_acked = c->rcid_acked = c->close_sent = c->peer_closed = false;
	c->advertised = false;
	c->reqs_sent = c->acks_rcvd = 0;
	c->try_req = c->try_size = 0;
	c->name[0] = 0;
}

/* ---- queues (lock held) ---- */

static unsigned ctl_free(const struct glink *s)
{
	return CTL_CAP - s->ctl_n;
}

static int ctl_push(struct glink *s, const uint8_t *b, uint32_t len)
{
	struct ctl *q;

	if (s->ctl_n == CTL_CAP) {
		bad(s);
		return -ENOSPC;
	}
	q = &s->ctlq[(s->ctl_head + s->ctl_n) % CTL_CAP];
	memcpy(q->b, b, len);
	q->len = (uint8_t)len;
	s->ctl_n++;
	return 0;
}

static int ctl_cmd(struct glink *s, uint16_t cmd, uint16_t p1, uint32_t p2)
{
	uint8_t b[GLINK_HDR];

	glink_encode_hdr(b, cmd, p1, p2);
	return ctl_push(s, b, GLINK_HDR);
}

static bool ready_push(struct glink *s, struct chan *c, uint8_t type, int li, uint32_t val)
{
	struct ready *r;

	if (s->rd_n == READY_CAP)
		return false;
	r = &s->rdq[(s->rd_head + s->rd_n) % READY_CAP];
	r->slot = (uint16_t)slot_of(s, c);
	r->gen = c->gen;
	r->type = type;
	r->li = (int16_t)li;
	r->val = val;
	r->buf = NULL;
	r->len = r->alloc = 0;
	s->rd_n++;
	return true;
}

/* Free the message a ready entry owns (lock held). */
static void ready_free(struct glink *s, struct ready *r)
{
	if (!r->buf)
		return;
	rpmsg_os_free(r->buf);
	s->rx_alloc -= r->alloc;
	r->buf = NULL;
}

/* Drop every queued message and event (lock held). */
static void ready_clear(struct glink *s)
{
	for (unsigned k = 0; k < s->rd_n; k++)
		ready_free(s, &s->rdq[(s->rd_head + k) % READY_CAP]);
	s->rd_head = s->rd_n = 0;
}

/* Advertise the default intents once the channel is open both ways and has an endpoint. */
static void check_open(struct glink *s, struct chan *c)
{
	if (!c->lcid || !c->open_acked || !c->rcid || !c->rcid_acked || !c->ept)
		return;
	rpmsg_cond_broadcast(&s->cond);
	if (c->advertised || s->intentless)
		return;
	c->advertised = true;
	for (uint32_t n = 0; n < s->cfg.intent_count; n++) {
		struct lintent *li = NULL;
		uint8_t b[16];

		for (unsigned i = 0; i < MAX_LINTENTS && !li; i++)
			if (!c->li[i].valid)
				li = &c->li[i];
		if (!li || s->rx_alloc + s->cfg.intent_size > RX_ALLOC_BUDGET)
			break;
		li->buf = rpmsg_os_zalloc(s->cfg.intent_size);
		if (!li->buf)
			break;
		li->valid = true;
		li->reuse = true;
		li->size = s->cfg.intent_size;
		li->id = c->next_lid++;
		s->rx_alloc += li->size;
		glink_encode_intent(b, c->lcid, li->size, li->id);
		ctl_push(s, b, 16);
	}
}

/* ---- TX FIFO ---- */

/* Free bytes after the reserve; -EIO if the peer's tail is out of range (tx_lock held). */
static int tx_room(struct glink *s, uint32_t *raw_out)
{
	uint32_t tail = ld32(s->tx.tail), raw;

	if (s->tx_broken)
		return -EIO;
	if (tail >= s->tx.len || (tail & 7)) {
		bad(s);
		s->tx_broken = true;
		return -EIO;
	}
	raw = tail <= s->tx_head ? s->tx.len - s->tx_head + tail : tail - s->tx_head;
	if (raw_out)
		*raw_out = raw;
	return raw < GLINK_SMEM_RESERVE ? 0 : (int)(raw - GLINK_SMEM_RESERVE);
}

/* Write one command (header + data) if it fits. 0, -EAGAIN, -EIO. tx_lock held. */
static int tx_write(struct glink *s, const uint8_t *hdr, uint32_t hlen, const void *data,
		    uint32_t dlen)
{
	static const uint8_t zero[8];
	uint32_t total = glink_round8(hlen + dlen), pad = total - hlen - dlen;
	int room = tx_room(s, NULL);

	if (room < 0)
		return room;
	if ((uint32_t)room < total)
		return -EAGAIN;
	fifo_write(&s->tx, s->tx_head, hdr, hlen);
	if (dlen)
		fifo_write(&s->tx, (s->tx_head + hlen) % s->tx.len, data, dlen);
	if (pad)
		fifo_write(&s->tx, (s->tx_head + hlen + dlen) % s->tx.len, zero, pad);
	s->tx_head = (s->tx_head + total) % s->tx.len;
	st32(s->tx.head, s->tx_head);
	s->notif_sent = false;
	rpmsg_stat_add(&s->st.tx_cmds, 1);
	rpmsg_link_tap_control(s->link, RPMSG_CAP_TX, glink_get16(hdr), hdr, hlen);
	return 0;
}

/* No room: ask the peer to ring us when it reads (once, until its tail moves). tx_lock held. */
static void tx_read_notif(struct glink *s)
{
	uint8_t b[GLINK_HDR];
	uint32_t raw = 0;

	if (tx_room(s, &raw) < 0 || raw < GLINK_SMEM_RESERVE)
		return;
	if (s->notif_sent && ld32(s->tx.tail) == s->notif_tail)
		return;
	glink_encode_hdr(b, GLINK_READ_NOTIF, 0, 0);
	fifo_write(&s->tx, s->tx_head, b, GLINK_HDR);
	s->tx_head = (s->tx_head + GLINK_HDR) % s->tx.len;
	st32(s->tx.head, s->tx_head);
	s->notif_sent = true;
	s->notif_tail = ld32(s->tx.tail);
	rpmsg_stat_add(&s->st.read_notifs, 1);
	rpmsg_stat_add(&s->st.tx_cmds, 1);
	rpmsg_link_tap_control(s->link, RPMSG_CAP_TX, GLINK_READ_NOTIF, b, GLINK_HDR);
	ring(s);
}

/* Send queued control commands while they fit. tx_lock held. Returns how many. */
static int flush_ctl_locked(struct glink *s)
{
	int n = 0;

	for (;;) {
		struct ctl q;
		int ret;

		rpmsg_mutex_lock(&s->lock);
		if (!s->ctl_n) {
			rpmsg_mutex_unlock(&s->lock);
			break;
		}
		q = s->ctlq[s->ctl_head];
		rpmsg_mutex_unlock(&s->lock);
		ret = tx_write(s, q.b, q.len, NULL, 0);
		if (ret == -EAGAIN)
			tx_read_notif(s);
		if (ret)
			break;
		rpmsg_mutex_lock(&s->lock);
		s->ctl_head = (s->ctl_head + 1) % CTL_CAP;
		s->ctl_n--;
		rpmsg_mutex_unlock(&s->lock);
		n++;
	}
	return n;
}

static void flush_ctl(struct glink *s)
{
	int n;

	rpmsg_mutex_lock(&s->tx_lock);
	n = flush_ctl_locked(s);
	rpmsg_mutex_unlock(&s->tx_lock);
	if (n)
		ring(s);
}

/* ---- remote restart (see the top) ---- */

static uint32_t *dword(struct glink *s, uint32_t off)
{
	return (uint32_t *)(void *)(s->rs + off);
}

/*
 * The remote counts a restart we have not answered yet (any thread, no lock). A firmware
 * build without the main role drops what follows from it (RPMSG_ROLE_MAIN 0).
 */
static bool restart_pending(struct glink *s)
{
	if (!RPMSG_ROLE_MAIN || !s->resync)
		return false;
	return ld32(dword(s, GLINK_RS_RESTARTS)) != atomic_load(&s->restart_seen);
}

/*
 * The old session dies (lock held; once per restart): every channel at once, so senders and
 * waiters return -EPIPE and nothing is answered on it any more. Its ids mean nothing to the
 * new remote, so no CLOSE goes out. Buffers in use go in restart(), where nobody reads them.
 */
static void session_down(struct glink *s)
{
	if (s->down)
		return;
	s->down = true;
	s->peer_seen = false;
	s->version_done = false;
	for (unsigned i = 0; i < MAX_CHANNELS; i++) {
		struct chan *c = s->ch[i];

		if (!c || !c->used)
			continue;
		c->lcid = c->rcid = 0;
		c->open_acked = c->rcid_acked = false;
		c->peer_closed = true;
		c->want_dev = false;
		memset(c->ri, 0, sizeof(c->ri));
		c->intent_seq++;
		maybe_free(s, c);
	}
	rpmsg_cond_broadcast(&s->cond);
}

/* ---- RX: the parser ---- */

static int find_rx(struct glink *s);

/* The peer's OPEN(rcid, name). */
static void rx_open(struct glink *s, uint16_t rcid, const char *name)
{
	struct chan *c = NULL;

	if (!rcid || chan_by_rcid(s, rcid)) {
		bad(s); /* as Linux: dropped, never acked */
		return;
	}
	for (unsigned i = 0; i < MAX_CHANNELS && !c; i++) {
		struct chan *x = s->ch[i];

		if (x && x->used && !x->rcid && !x->close_sent && !x->peer_closed &&
		    !strcmp(x->name, name))
			c = x;
	}
	if (!c) {
		c = chan_new(s, name);
		if (!c) {
			bad(s);
			return;
		}
		c->want_dev = true;
		atomic_store(&s->dev_work, true);
	}
	c->rcid = rcid;
	if (c->ept && !c->rcid_acked) {
		c->rcid_acked = true;
		ctl_cmd(s, GLINK_OPEN_ACK, rcid, 0);
	}
	check_open(s, c);
}

static void rx_close(struct glink *s, struct chan *c)
{
	uint16_t rcid = c->rcid;

	/* Undelivered messages are dropped at delivery (no endpoint or closed). */
	c->rcid = 0;
	c->rcid_acked = false;
	c->peer_closed = true;
	memset(c->ri, 0, sizeof(c->ri));
	if (c->has_dev || c->want_dev) {
		c->want_undev = true;
		atomic_store(&s->dev_work, true);
	} else if (c->lcid && !c->ept && !c->close_sent) {
		c->close_sent = true;
		ctl_cmd(s, GLINK_CLOSE, c->lcid, 0);
	}
	ctl_cmd(s, GLINK_CLOSE_ACK, rcid, 0);
	rpmsg_cond_broadcast(&s->cond);
	maybe_free(s, c);
}

static void rx_intents(struct glink *s, struct chan *c, const uint8_t *pairs, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++) {
		uint32_t size = glink_get32(pairs + 8 * k), id = glink_get32(pairs + 8 * k + 4);
		struct rintent *slot = NULL;
		bool dup = false;

		if (!id || id >= 0x80000000u) {
			bad(s);
			continue;
		}
		for (unsigned i = 0; i < MAX_RINTENTS; i++) {
			if (c->ri[i].valid && c->ri[i].id == id)
				dup = true;
			else if (!c->ri[i].valid && !slot)
				slot = &c->ri[i];
		}
		if (dup || !slot) {
			bad(s);
			continue;
		}
		slot->valid = true;
		slot->used = false;
		slot->id = id;
		slot->size = size;
		c->intent_seq++;
		c->free_seq++;
	}
	rpmsg_cond_broadcast(&s->cond);
}

static void rx_done(struct glink *s, struct chan *c, uint32_t id, bool reuse)
{
	for (unsigned i = 0; i < MAX_RINTENTS; i++) {
		struct rintent *r = &c->ri[i];

		if (!r->valid || r->id != id)
			continue;
		c->free_seq++; /* a slot of the peer's came free either way */
		if (reuse) {
			r->used = false;
			c->intent_seq++;
		} else {
			r->valid = false;
		}
		rpmsg_cond_broadcast(&s->cond);
		return;
	}
	bad(s);
}

static void detach_ready(struct glink *s, const struct chan *only);

static struct lintent *free_lintent_slot(struct chan *c)
{
	for (unsigned i = 0; i < MAX_LINTENTS; i++)
		if (!c->li[i].valid)
			return &c->li[i];
	return NULL;
}

/*
 * The peer asks for an intent of `size` bytes: make it, advertise it, then grant. When
 * every slot of the channel is taken, those that hold complete messages not delivered yet
 * are copied out and released first (as a waiting sender does, detach_ready): a slow
 * rpmsg_bus_poll() alone is no reason to refuse. Refused only when all are still taken
 * (intents advertised and not filled yet), or size or memory forbid.
 */
static void rx_intent_req(struct glink *s, struct chan *c, uint32_t size)
{
	struct lintent *li;
	uint8_t b[16];

	/* Our OPEN went out before this answer will: the peer can resolve our lcid. */
	if (!c->lcid || c->close_sent || s->intentless) {
		bad(s);
		return;
	}
	li = free_lintent_slot(c);
	if (!li) {
		detach_ready(s, c);
		li = free_lintent_slot(c);
	}
	if (li && size <= s->cfg.max_rx_size && s->rx_alloc + size <= RX_ALLOC_BUDGET)
		li->buf = rpmsg_os_zalloc(size ? size : 1);
	if (!li || !li->buf) {
		ctl_cmd(s, GLINK_RX_INTENT_REQ_ACK, c->lcid, 0);
		return;
	}
	li->valid = true;
	li->reuse = false;
	li->size = size;
	li->fill = 0;
	li->id = c->next_lid++;
	if (c->next_lid >= 0x80000000u)
		c->next_lid = 1;
	s->rx_alloc += size;
	glink_encode_intent(b, c->lcid, size, li->id);
	ctl_push(s, b, 16);
	ctl_cmd(s, GLINK_RX_INTENT_REQ_ACK, c->lcid, 1);
}

/*
 * TX_DATA / TX_DATA_CONT whose whole command is in the FIFO at `at` (the header). Returns
 * false when it has to wait (intentless: the messages waiting for delivery already hold all
 * the memory the peer may make us allocate; delivering them frees it).
 */
static bool rx_data(struct glink *s, uint16_t cmd, uint16_t rcid, uint32_t iid, uint32_t chunk,
		    uint32_t left, uint32_t at)
{
	struct chan *c = chan_by_rcid(s, rcid);

	if (!c) {
		bad(s);
		return true;
	}
	if (s->intentless) {
		uint64_t total = (uint64_t)chunk + left;

		/*
		 * A chunk that does not continue the message being assembled (its sizes do not
		 * add up) is not glued to it. Linux treats both commands alike, so a TX_DATA that
		 * does add up continues the message; one that does not starts a new message and
		 * the old part is dropped. Our sender never leaves a message unfinished (see
		 * chan_send), but another peer, or a channel cut short, could.
		 */
		if (c->ibuf && total != (uint64_t)c->isize - c->ifill) {
			bad(s);
			if (cmd != GLINK_TX_DATA)
				return true; /* the chunk is dropped */
			s->rx_alloc -= c->isize;
			rpmsg_os_free(c->ibuf);
			c->ibuf = NULL;
		}
		if (!c->ibuf) {
			if (total > s->cfg.max_rx_size) {
				bad(s);
				return true;
			}
			if (s->rx_alloc && s->rx_alloc + total > RX_ALLOC_BUDGET)
				return false;
			c->ibuf = rpmsg_os_zalloc(total ? total : 1);
			if (!c->ibuf) {
				bad(s);
				return true;
			}
			c->isize = (uint32_t)total;
			c->ifill = 0;
			s->rx_alloc += c->isize;
		}
		fifo_read(&s->rx, at + GLINK_DATA_HDR, c->ibuf + c->ifill, chunk);
		c->ifill += chunk;
		if (!left) {
			/* Complete: it waits in the ready queue (room checked before parsing), so
			 * the FIFO behind it is read on, by a waiting sender too. */
			struct ready *r = &s->rdq[(s->rd_head + s->rd_n) % READY_CAP];

			if (ready_push(s, c, RD_MSG, -1, 0)) {
				r->buf = c->ibuf;
				r->len = c->ifill;
				r->alloc = c->isize;
			} else {
				bad(s);
				s->rx_alloc -= c->isize;
				rpmsg_os_free(c->ibuf);
			}
			c->ibuf = NULL;
			c->isize = c->ifill = 0;
		}
		return true;
	}
	for (int i = 0; i < MAX_LINTENTS; i++) {
		struct lintent *li = &c->li[i];

		if (!li->valid || li->id != iid)
			continue;
		if (li->ready || (uint64_t)li->fill + chunk > li->size) {
			bad(s); /* the chunk is dropped; the intent keeps its fill */
			return true;
		}
		fifo_read(&s->rx, at + GLINK_DATA_HDR, li->buf + li->fill, chunk);
		li->fill += chunk;
		if (!left) {
			li->ready = true;
			ready_push(s, c, RD_MSG, i, 0);
		}
		return true;
	}
	bad(s);
	return true;
}

/* Parse what the peer has written. rx_lock held, lock not. Returns commands handled. */
static int drain(struct glink *s)
{
	int n = 0;
	bool rang = false;

	if (restart_pending(s)) {
		/* Nothing more of the old stream: what follows may be the new remote's. */
		bool first;

		rpmsg_mutex_lock(&s->lock);
		first = !s->down;
		session_down(s);
		rpmsg_mutex_unlock(&s->lock);
		if (first)
			wake_bus(s); /* process() finishes the restart */
		return 0;
	}
	if (atomic_load(&s->rx_broken))
		return 0;
	if (!s->rx.data && find_rx(s))
		return 0;
	rpmsg_mutex_lock(&s->lock);
	while (n < RX_BUDGET) {
		uint32_t L = s->rx.len, tail = s->rx_tail, head = ld32(s->rx.head), avail, need;
		uint8_t h[GLINK_DATA_HDR];
		uint16_t cmd, p1;
		uint32_t p2;
		struct chan *c;

		if (head >= L || (head & 7)) {
			bad(s);
			atomic_store(&s->rx_broken, true);
			break;
		}
		avail = head >= tail ? head - tail : L - tail + head;
		if (avail < GLINK_HDR)
			break;
		if (ctl_free(s) < CTL_RESERVE || s->rd_n >= READY_CAP - 1) {
			atomic_store(&s->kick, true); /* come back when process() made room */
			break;
		}
		fifo_read(&s->rx, tail, h, GLINK_HDR);
		cmd = glink_get16(h);
		p1 = glink_get16(h + 2);
		p2 = glink_get32(h + 4);
		need = GLINK_HDR;
		switch (cmd) {
		case GLINK_OPEN:
			if ((p2 & 0xFFFF) > 4096) {
				need = L; /* a name that long: not a stream we can follow */
				break;
			}
			need = GLINK_HDR + glink_round8(p2 & 0xFFFF);
			break;
		case GLINK_INTENT:
			need = p2 >= L / 8 ? L : GLINK_HDR + 8 * p2;
			break;
		case GLINK_TX_DATA:
		case GLINK_TX_DATA_CONT:
			if (avail < GLINK_DATA_HDR) {
				need = GLINK_DATA_HDR;
				break;
			}
			fifo_read(&s->rx, tail + GLINK_HDR, h + GLINK_HDR, 8);
			need = glink_get32(h + 8) >= L ? L : glink_round8(GLINK_DATA_HDR + glink_get32(h + 8));
			break;
		case GLINK_VERSION: case GLINK_VERSION_ACK: case GLINK_CLOSE: case GLINK_OPEN_ACK:
		case GLINK_RX_DONE: case GLINK_RX_INTENT_REQ: case GLINK_RX_INTENT_REQ_ACK:
		case GLINK_CLOSE_ACK: case GLINK_READ_NOTIF: case GLINK_RX_DONE_W_REUSE:
		case GLINK_SIGNALS:
			break;
		default:
			need = L; /* unknown size: the stream is lost */
		}
		if (need >= L) {
			bad(s);
			atomic_store(&s->rx_broken, true);
			break;
		}
		if (avail < need)
			break;
		rpmsg_link_tap_control(s->link, RPMSG_CAP_RX, cmd, h,
				       cmd == GLINK_TX_DATA || cmd == GLINK_TX_DATA_CONT ? GLINK_DATA_HDR
											  : GLINK_HDR);
		switch (cmd) {
		case GLINK_VERSION:
			s->peer_seen = true;
			if (p1 == 0)
				break;
			if (p1 == GLINK_VERSION_1)
				s->features &= p2;
			ctl_cmd(s, GLINK_VERSION_ACK, GLINK_VERSION_1, s->features);
			break;
		case GLINK_VERSION_ACK:
			s->peer_seen = true;
			if (p1 == 0)
				break;
			if (p1 == GLINK_VERSION_1 && p2 == s->features) {
				s->version_done = true;
				break;
			}
			if (p1 == GLINK_VERSION_1)
				s->features &= p2;
			ctl_cmd(s, GLINK_VERSION, GLINK_VERSION_1, s->features);
			break;
		case GLINK_OPEN: {
			char name[GLINK_NAME_BUF];
			uint32_t nl = p2 & 0xFFFF;
			const char *z;

			if (nl < 2 || nl > GLINK_NAME_BUF) {
				bad(s);
				break;
			}
			fifo_read(&s->rx, tail + GLINK_HDR, name, nl);
			z = memchr(name, 0, nl); /* the NUL within the length Linux names */
			if (!z || z == name) {
				bad(s);
				break;
			}
			rx_open(s, p1, name);
			break;
		}
		case GLINK_OPEN_ACK:
			c = chan_by_lcid(s, p1);
			if (!c || c->open_acked || c->close_sent) {
				bad(s);
				break;
			}
			c->open_acked = true;
			check_open(s, c);
			rpmsg_cond_broadcast(&s->cond);
			break;
		case GLINK_CLOSE:
			c = chan_by_rcid(s, p1);
			if (!c) {
				bad(s);
				break;
			}
			rx_close(s, c);
			break;
		case GLINK_CLOSE_ACK:
			c = chan_by_lcid(s, p1);
			if (!c || !c->close_sent) {
				bad(s);
				break;
			}
			c->lcid = 0;
			c->open_acked = false;
			if (c->has_dev || c->want_dev) {
				c->want_undev = true;
				atomic_store(&s->dev_work, true);
			}
			rpmsg_cond_broadcast(&s->cond);
			maybe_free(s, c);
			break;
		case GLINK_INTENT: {
			uint8_t pairs[8 * 32];
			uint32_t done = 0;

			c = chan_by_rcid(s, p1);
			if (!c) {
				bad(s);
				break;
			}
			while (done < p2) {
				uint32_t k = p2 - done < 32 ? p2 - done : 32;

				fifo_read(&s->rx, tail + GLINK_HDR + 8 * done, pairs, 8 * k);
				rx_intents(s, c, pairs, k);
				done += k;
			}
			break;
		}
		case GLINK_RX_DONE:
		case GLINK_RX_DONE_W_REUSE:
			c = chan_by_rcid(s, p1);
			if (!c) {
				bad(s);
				break;
			}
			rx_done(s, c, p2, cmd == GLINK_RX_DONE_W_REUSE);
			break;
		case GLINK_RX_INTENT_REQ:
			c = chan_by_rcid(s, p1);
			if (!c) {
				bad(s);
				break;
			}
			rx_intent_req(s, c, p2);
			break;
		case GLINK_RX_INTENT_REQ_ACK:
			c = chan_by_rcid(s, p1);
			if (!c || c->acks_rcvd == c->reqs_sent) {
				bad(s); /* nothing asked */
				break;
			}
			c->ack_res[c->acks_rcvd % 8] = p2 ? ACK_GRANTED : ACK_REFUSED;
			c->acks_rcvd++;
			if (!p2)
				rpmsg_stat_add(&s->st.intent_refused, 1);
			rpmsg_cond_broadcast(&s->cond);
			break;
		case GLINK_TX_DATA:
		case GLINK_TX_DATA_CONT:
			if (!rx_data(s, cmd, p1, p2, glink_get32(h + 8), glink_get32(h + 12), tail)) {
				atomic_store(&s->kick, true);
				goto stop; /* not consumed: after the delivery */
			}
			break;
		case GLINK_READ_NOTIF:
			rang = true;
			break;
		case GLINK_SIGNALS:
			c = chan_by_rcid(s, p1);
			if (!c) {
				bad(s);
				break;
			}
			ready_push(s, c, RD_FLOW, -1, p2);
			break;
		}
		s->rx_tail = (tail + need) % L;
		st32(s->rx.tail, s->rx_tail);
		rpmsg_stat_add(&s->st.rx_cmds, 1);
		n++;
	}
	if (n >= RX_BUDGET)
		atomic_store(&s->kick, true);
stop:
	rpmsg_mutex_unlock(&s->lock);
	if (rang)
		ring(s); /* the peer asked: it re-checks its room now */
	return n;
}

/*
 * A waiting sender's step: parse the RX FIFO if nobody else is, else wait a little for
 * the doorbell (and hand the ring on to the bus). -ETIMEDOUT past the deadline (0: none).
 *
 * Parsing here keeps two single-threaded peers that both block in a send from waiting for
 * each other: what the peer sent is read out of the FIFO (its room comes back), complete
 * messages are taken out of our intents (detach_ready: its intents come back) and requests
 * are answered, all without running a callback here.
 *
 * *quiet counts the caller's slices in a row that brought nothing: after RERING_SLICES of
 * them we ring the peer again. What we wait for (an intent, a grant, room, an OPEN_ACK)
 * comes from a peer that read our last commands; if it slept through that doorbell (a
 * lost interrupt), nothing else would wake it. A peer that was awake sees a spurious ring.
 */
static int wait_step(struct glink *s, uint64_t deadline, unsigned *quiet)
{
	int slice = WAIT_SLICE_MS;

	if (deadline) {
		uint64_t now = now_ns(s);

		if (now >= deadline)
			return -ETIMEDOUT;
		/* Below a slice: a 32-bit division (no libgcc call on 32-bit cores). */
		if (deadline - now < (uint64_t)slice * 1000000u)
			slice = (int)((uint32_t)(deadline - now) / 1000000u) + 1;
	}
	if (!rpmsg_mutex_trylock(&s->rx_lock)) {
		int n = drain(s);

		rpmsg_mutex_unlock(&s->rx_lock);
		rpmsg_mutex_lock(&s->lock);
		detach_ready(s, NULL);
		rpmsg_mutex_unlock(&s->lock);
		if (n > 0) {
			flush_ctl(s);
			wake_bus(s);
			*quiet = 0;
			return 0;
		}
	}
	flush_ctl(s);
	if (!rpmsg_platform_wait(s->plat, s->cfg.doorbell, slice)) {
		wake_bus(s);
		*quiet = 0;
	} else if (++*quiet >= RERING_SLICES) {
		*quiet = 0;
		ring(s);
	}
	return 0;
}

/* ---- the bus side: channels appear and go, messages are delivered ---- */

static void dev_work(struct glink *s)
{
	char names[MAX_CHANNELS][GLINK_NAME_BUF];
	struct chan *cs[MAX_CHANNELS];
	bool add[MAX_CHANNELS];
	unsigned n = 0;

	if (!atomic_exchange(&s->dev_work, false))
		return;
	rpmsg_mutex_lock(&s->lock);
	/* Removals first: a closed channel's device goes before a reopened one of that name comes. */
	for (unsigned k = 0; k < 2 * MAX_CHANNELS; k++) {
		struct chan *c = s->ch[k % MAX_CHANNELS];

		if (!c || !c->used || (k < MAX_CHANNELS && !c->want_undev))
			continue;
		if (c->want_undev) {
			c->want_undev = false;
			c->want_dev = false;
			if (!c->has_dev) {
				maybe_free(s, c);
				continue;
			}
			add[n] = false;
		} else if (c->want_dev) {
			c->want_dev = false;
			if (c->has_dev || c->ept)
				continue;
			c->has_dev = true;
			add[n] = true;
		} else {
			continue;
		}
		c->users++;
		cs[n] = c;
		memcpy(names[n], c->name, GLINK_NAME_BUF);
		n++;
	}
	rpmsg_mutex_unlock(&s->lock);
	for (unsigned i = 0; i < n; i++) {
		struct rpmsg_channel_info info = { .src = RPMSG_ADDR_ANY, .dst = RPMSG_ADDR_ANY };
		struct chan *c = cs[i];

		memcpy(info.name, names[i], GLINK_NAME_BUF);
		if (add[i]) {
			if (rpmsg_channel_add(s->link, &info, false, NULL)) {
				rpmsg_mutex_lock(&s->lock);
				c->has_dev = false;
				rpmsg_mutex_unlock(&s->lock);
			}
		} else {
			rpmsg_channel_remove(s->link, &info); /* unbinds: its endpoint closes */
			rpmsg_mutex_lock(&s->lock);
			c->has_dev = false;
			if (c->lcid && !c->ept && !c->close_sent) {
				c->close_sent = true;
				ctl_cmd(s, GLINK_CLOSE, c->lcid, 0);
			}
			rpmsg_mutex_unlock(&s->lock);
		}
		rpmsg_mutex_lock(&s->lock);
		c->users--;
		maybe_free(s, c);
		rpmsg_mutex_unlock(&s->lock);
	}
}

/* Our intent's message is consumed: the peer may fill it again, or forgets it (lock held). */
static void release_lintent(struct glink *s, struct chan *c, struct lintent *li)
{
	uint32_t id = li->id;

	if (!li->valid || !li->ready)
		return;
	if (li->reuse) {
		li->ready = false;
		li->fill = 0;
	} else {
		free_lintent(s, li);
	}
	if (c->lcid && !c->close_sent && c->rcid)
		ctl_cmd(s, li->valid ? GLINK_RX_DONE_W_REUSE : GLINK_RX_DONE, c->lcid, id);
}

/*
 * A sender waits (wait_step): messages complete in our intents are copied out and the
 * intents released now (RX_DONE goes out with the next flush), so a peer that waits for an
 * intent of ours goes on although nothing is delivered here: callbacks run only in
 * rpmsg_bus_poll() (include/rpmsg/rpmsg.h), never inside a send. The copies are delivered
 * from the ready queue, in order, by the next poll. Intentless messages already wait there
 * in a buffer of their own (rx_data). Only the messages of channel `only`, if not NULL.
 * lock held.
 */
static void detach_ready(struct glink *s, const struct chan *only)
{
	for (unsigned k = 0; k < s->rd_n; k++) {
		struct ready *r = &s->rdq[(s->rd_head + k) % READY_CAP];
		struct chan *c = s->ch[r->slot];
		struct lintent *li;

		if (r->type != RD_MSG || r->buf || r->li < 0 || !c || !c->used || c->gen != r->gen ||
		    (only && c != only))
			continue;
		li = &c->li[r->li];
		if (!li->valid || !li->ready || s->rx_alloc + li->fill > RX_ALLOC_BUDGET)
			continue;
		r->buf = rpmsg_os_zalloc(li->fill ? li->fill : 1);
		if (!r->buf)
			continue; /* it stays in the intent until delivered */
		memcpy(r->buf, li->buf, li->fill);
		r->len = r->alloc = li->fill;
		s->rx_alloc += r->alloc;
		r->li = -1;
		release_lintent(s, c, li);
	}
}

/* Deliver what drain() completed, then release the intents. Returns messages delivered. */
static int deliver_ready(struct glink *s)
{
	int n = 0;

	rpmsg_mutex_lock(&s->lock);
	while (s->rd_n && n < DELIVER_BUDGET) {
		struct ready r = s->rdq[s->rd_head];
		struct chan *c = s->ch[r.slot];
		struct rpmsg_endpoint *ept, *e;
		uint32_t addr;
		void *data;
		uint32_t len;

		s->rd_head = (s->rd_head + 1) % READY_CAP;
		s->rd_n--;
		if (!c || !c->used || c->gen != r.gen) {
			ready_free(s, &r);
			continue;
		}
		ept = c->ept;
		addr = c->ept_addr;
		if (r.type == RD_MSG) {
			if (r.buf) {
				data = r.buf;
				len = r.len;
			} else {
				data = c->li[r.li].buf;
				len = c->li[r.li].fill;
			}
		} else {
			data = NULL;
			len = 0;
		}
		c->users++;
		rpmsg_mutex_unlock(&s->lock);
		e = ept ? rpmsg_ept_get(s->link, addr) : NULL;
		if (e && e == ept) {
			if (r.type == RD_MSG) {
				rpmsg_ept_deliver(e, data, len, RPMSG_ADDR_ANY);
				rpmsg_stat_add(&s->st.rx_msgs, 1);
				rpmsg_stat_add(&s->st.rx_bytes, len);
				n++;
			} else {
				rpmsg_ept_flow(e, (r.val & (GLINK_SIG_DTR | GLINK_SIG_RTS)) != 0);
			}
		}
		if (e)
			rpmsg_ept_put(e);
		rpmsg_mutex_lock(&s->lock);
		c->users--;
		if (r.buf)
			ready_free(s, &r);
		else if (r.type == RD_MSG && r.li >= 0)
			release_lintent(s, c, &c->li[r.li]);
		maybe_free(s, c);
	}
	if (s->rd_n)
		atomic_store(&s->kick, true);
	rpmsg_mutex_unlock(&s->lock);
	return n;
}

static int open_startup_channels(struct glink *s);

/*
 * The remote restarted (process() only): finish the old session (drivers see remove), start
 * a new one from index 0 as at start-up, and acknowledge, which lets the new remote go on.
 */
static void restart(struct glink *s)
{
	uint32_t count;

	rpmsg_mutex_lock(&s->lock);
	session_down(s);
	rpmsg_mutex_unlock(&s->lock);
	/* Unbinding closes the drivers' endpoints; their channels have no ids left to close. */
	rpmsg_link_remove_channels(s->link);

	/* All three locks: no writer, parser or queue user sees the indices move under it. */
	rpmsg_mutex_lock(&s->tx_lock);
	rpmsg_mutex_lock(&s->rx_lock);
	rpmsg_mutex_lock(&s->lock);
	count = ld32(dword(s, GLINK_RS_RESTARTS));
	for (unsigned i = 0; i < MAX_CHANNELS; i++) {
		struct chan *c = s->ch[i];

		if (!c || !c->used)
			continue;
		c->has_dev = c->want_dev = c->want_undev = false;
		drop_rx_state(s, c);
		maybe_free(s, c); /* a dead channel an application holds stays until destroyed */
	}
	s->ctl_head = s->ctl_n = 0; /* commands and messages of the old session */
	ready_clear(s);
	s->features = s->intentless ? 0 : GLINK_FEATURE_INTENT_REUSE;
	/* The remote's two words too: it does not touch them until it sees our ack. */
	s->tx_head = 0;
	st32(s->tx.head, 0);
	st32(s->tx.tail, 0);
	s->tx_broken = false;
	s->notif_sent = false;
	s->rx_tail = 0;
	st32(s->rx.tail, 0);
	st32(s->rx.head, 0);
	atomic_store(&s->rx_broken, false);
	ctl_cmd(s, GLINK_VERSION, GLINK_VERSION_1, s->features);
	s->down = false;
	atomic_store(&s->restart_seen, count);
	st32(dword(s, GLINK_RS_ACK), count); /* release: after the indices */
	rpmsg_stat_add(&s->st.restarts, 1);
	rpmsg_mutex_unlock(&s->lock);
	rpmsg_mutex_unlock(&s->rx_lock);
	rpmsg_mutex_unlock(&s->tx_lock);
	open_startup_channels(s); /* ours come back as at start-up (a failure: they stay closed) */
	flush_ctl(s);
	ring(s);
}

static int glink_process(struct rpmsg_link *link)
{
	struct glink *s = rpmsg_link_priv(link);
	int n = 0;

	s->plat->ops->ack(s->plat, s->cfg.doorbell);
	atomic_store(&s->kick, false);
	if (restart_pending(s)) {
		restart(s);
		n = 1;
	}
	rpmsg_mutex_lock(&s->rx_lock);
	n += drain(s);
	rpmsg_mutex_unlock(&s->rx_lock);
	flush_ctl(s);
	/* Deliveries (and flow events) first: what came before a CLOSE reaches the endpoint. */
	n += deliver_ready(s);
	dev_work(s);
	flush_ctl(s);
	return n;
}

static int glink_arm(struct rpmsg_link *link)
{
	struct glink *s = rpmsg_link_priv(link);

	if (atomic_load(&s->kick) || atomic_load(&s->dev_work) || restart_pending(s))
		return 1;
	return s->plat->ops->arm(s->plat, s->cfg.doorbell) > 0;
}

static bool glink_is_up(struct rpmsg_link *link)
{
	struct glink *s = rpmsg_link_priv(link);
	bool up;

	rpmsg_mutex_lock(&s->lock);
	up = s->peer_seen && !atomic_load(&s->rx_broken);
	rpmsg_mutex_unlock(&s->lock);
	return up;
}

/* ---- transmit ---- */

static uint32_t max_chunk(struct glink *s)
{
	uint32_t m = ((s->tx.len - 2 * GLINK_SMEM_RESERVE) / 2) & ~7u;

	m = m > GLINK_DATA_HDR ? m - GLINK_DATA_HDR : 8;
	return m < MAX_CHUNK ? m : MAX_CHUNK;
}

/* Find (and take) the smallest free intent of the peer that fits. lock held. */
static struct rintent *take_intent(struct chan *c, uint32_t len)
{
	struct rintent *best = NULL;

	for (unsigned i = 0; i < MAX_RINTENTS; i++) {
		struct rintent *r = &c->ri[i];

		if (!r->valid || r->used || r->size < len)
			continue;
		if (!best || r->size < best->size)
			best = r;
		if (r->size == len)
			break;
	}
	if (best)
		best->used = true;
	return best;
}

/* FIFO bytes a message of `len` takes in chunks of at most `chunk`. */
static uint64_t msg_need(uint64_t len, uint32_t chunk)
{
	uint64_t full = len / chunk, last = len % chunk;
	uint64_t need = full * glink_round8(GLINK_DATA_HDR + chunk);

	if (last || !len)
		need += glink_round8(GLINK_DATA_HDR + (uint32_t)last);
	return need;
}

/* Queue RX_INTENT_REQ(len); its number, or 0 if the control queue is full. lock held. */
static uint32_t request_intent(struct glink *s, struct chan *c, uint32_t len)
{
	if (ctl_cmd(s, GLINK_RX_INTENT_REQ, c->lcid, len))
		return 0;
	rpmsg_stat_add(&s->st.intent_reqs, 1);
	c->req_size[c->reqs_sent % 8] = len;
	return ++c->reqs_sent;
}

/*
 * An unanswered request of this channel for at least `len` bytes (an earlier send's that
 * timed out, or a trysend's): its number, or 0. Its intent has not come yet (the peer
 * sends it before the grant, and take_intent found nothing), so waiting for it instead of
 * asking again leaves no granted intent unused in the peer's slots. lock held.
 */
static uint32_t pending_request(const struct chan *c, uint32_t len)
{
	for (uint32_t n = c->acks_rcvd + 1; (int32_t)(c->reqs_sent - n) >= 0; n++)
		if (c->reqs_sent - n < 8 && c->req_size[(n - 1) % 8] >= len)
			return n;
	return 0;
}

/* The answer to request n, once acks_rcvd has passed it (older than 8: taken as granted). */
static uint8_t request_result(const struct chan *c, uint32_t n)
{
	return c->acks_rcvd - n < 8 ? c->ack_res[(n - 1) % 8] : ACK_GRANTED;
}

/*
 * trysend found no free intent of the peer that fits (lock held): -EAGAIN, back-pressure as
 * for a full FIFO, and a later trysend succeeds once the peer has given an intent back
 * (RX_DONE_W_REUSE, read by rpmsg_bus_poll(), whose doorbell wakes a poller). When none of
 * the peer's intents could ever hold the message (all smaller), none comes back for it, so
 * trysend does what a blocking send would do first: it asks the peer for one of that size
 * (RX_INTENT_REQ) without waiting for the answer; a later trysend takes the intent. One such
 * request per channel at a time: while it is unanswered, -EAGAIN again. A refusal is
 * reported once, as -ENOMEM (the next call asks again). Linux's trysend returns -EBUSY
 * in both cases and never asks, so there a message larger than every intent the peer
 * advertised can never go with trysend.
 */
static int try_request(struct glink *s, struct chan *c, uint32_t len)
{
	for (unsigned i = 0; i < MAX_RINTENTS; i++)
		if (c->ri[i].valid && c->ri[i].size >= len)
			return -EAGAIN; /* in use: it comes back */
	if (c->try_req) {
		bool refused;

		if ((int32_t)(c->acks_rcvd - c->try_req) < 0)
			return -EAGAIN; /* asked, not answered yet */
		refused = request_result(c, c->try_req) == ACK_REFUSED;
		c->try_req = 0;
		if (refused && c->try_size <= len)
			return -ENOMEM;
		/* granted, but the intent went to another message (or was too small): again */
	}
	c->try_req = request_intent(s, c, len);
	c->try_size = len;
	return -EAGAIN;
}

/*
 * A blocking send with no intent of the peer's free that fits asks for one (RX_INTENT_REQ)
 * and uses what it asked for: while its request is unanswered it takes no other intent (one
 * given back meanwhile would leave the granted intent unused, holding one of the peer's
 * slots until some later message happens to fit it), and an unanswered request of an
 * earlier send that fits is waited for rather than asked again. A refusal is transient as
 * far as the wire says (the peer's slots or memory are taken until it delivers; Linux
 * refuses when an allocation fails): the send asks again as soon as the peer gives an
 * intent back or offers one, or after a pause (REASK_MIN_MS doubling to REASK_MAX_MS),
 * within its timeout and cfg.intent_timeout_ms. When either runs out after a refusal the
 * send returns -EAGAIN (Linux 6.12 returns -EAGAIN at the first refusal), else -ETIMEDOUT.
 */
static int chan_send(struct glink *s, struct chan *c, struct rpmsg_endpoint *ept,
		     const void *data, size_t len, int timeout_ms)
{
	enum { REQ_NONE, REQ_ASKED, REQ_REFUSED } req = REQ_NONE;
	uint64_t deadline = 0, ideadline = 0, reask_at = 0, need;
	struct rintent *ri = NULL;
	uint32_t iid = 0, chunk = max_chunk(s), sent = 0, seq = 0, target = 0, free_seen = 0;
	uint32_t pause_ms = REASK_MIN_MS;
	bool waited = false, refused = false, whole, started = false, flush = false;
	unsigned quiet = 0;
	uint16_t lcid;
	int ret = 0;

	if (timeout_ms > 0)
		deadline = now_ns(s) + (uint64_t)timeout_ms * 1000000u;
	rpmsg_mutex_lock(&c->send_lock);
	rpmsg_mutex_lock(&s->lock);
	c->users++;
	for (;;) {
		if (c->ept != ept || c->close_sent || c->peer_closed) {
			ret = -EPIPE;
			break;
		}
		if (c->lcid && c->open_acked) {
			if (s->intentless)
				break;
			if (req != REQ_ASKED) {
				ri = take_intent(c, (uint32_t)len);
				if (ri)
					break;
			}
			if (timeout_ms == 0) {
				ret = try_request(s, c, (uint32_t)len);
				flush = true;
				break;
			}
			if (req == REQ_ASKED && (int32_t)(c->acks_rcvd - target) >= 0) {
				/* Answered (6.12 rules): a grant waits for an intent. */
				if (request_result(c, target) == ACK_REFUSED) {
					req = REQ_REFUSED;
					refused = true;
					free_seen = c->free_seq;
					reask_at = now_ns(s) + (uint64_t)pause_ms * 1000000u;
					pause_ms = pause_ms * 2 > REASK_MAX_MS ? REASK_MAX_MS : pause_ms * 2;
					continue;
				}
				refused = false;
				ri = take_intent(c, (uint32_t)len);
				if (ri)
					break;
				if (c->intent_seq != seq) {
					req = REQ_NONE; /* what came does not fit: ask again */
					continue;
				}
			} else if (req == REQ_ASKED) {
				/* wait for the answer */
			} else if (req == REQ_REFUSED && c->free_seq == free_seen && now_ns(s) < reask_at) {
				/* refused: wait until the peer frees an intent, or a while */
			} else {
				target = pending_request(c, (uint32_t)len);
				if (!target)
					target = request_intent(s, c, (uint32_t)len);
				if (target) {
					req = REQ_ASKED;
					seq = c->intent_seq;
					if (!ideadline)
						ideadline = now_ns(s) +
							    (uint64_t)s->cfg.intent_timeout_ms * 1000000u;
					continue;
				}
				/* control queue full: wait for it to drain, then ask */
			}
		} else if (timeout_ms == 0) {
			ret = -EAGAIN; /* not open yet */
			break;
		}
		if (!waited) {
			waited = true;
			rpmsg_stat_add(&s->st.tx_waits, 1);
		}
		rpmsg_mutex_unlock(&s->lock);
		ret = wait_step(s, deadline, &quiet);
		if (!ret && ideadline && now_ns(s) >= ideadline)
			ret = -ETIMEDOUT;
		rpmsg_mutex_lock(&s->lock);
		if (ret) {
			if (refused)
				ret = -EAGAIN; /* the peer's last word was no */
			break; /* a late answer still matches its request */
		}
	}
	lcid = c->lcid;
	if (ri)
		iid = ri->id;
	rpmsg_mutex_unlock(&s->lock);
	if (flush)
		flush_ctl(s);
	if (ret)
		goto out;

	/*
	 * No message is left unfinished on the wire: nothing can take back chunks written
	 * already, and an intentless receiver (Linux included, spec 20 §8) joins the next
	 * message's chunks to them (an intent-based one keeps the intent half filled for
	 * good). So a message that an empty FIFO holds is written all at once, when there is
	 * room for all of it: the wait for that room keeps to the timeout and, on a timeout,
	 * nothing was written. A larger message cannot be held back that way: it waits within
	 * the timeout for its first chunk only; once that is written the message is finished
	 * whatever the timeout (as Linux always finishes a blocking send: spec 20 §9), and it
	 * ends early only if the channel or the edge goes (-EPIPE, -EIO: the receiver's part
	 * goes with the channel). How long that takes depends on the peer reading its FIFO,
	 * which a waiting peer does (wait_step). trysend is all or nothing.
	 */
	need = msg_need(len, chunk);
	whole = need <= s->tx.len - GLINK_SMEM_RESERVE;
	rpmsg_mutex_lock(&s->tx_lock);
	flush_ctl_locked(s);
	/* The remote restarted since we looked: the id and intent are of the old session. */
	rpmsg_mutex_lock(&s->lock);
	if (c->lcid != lcid || c->peer_closed)
		ret = -EPIPE;
	rpmsg_mutex_unlock(&s->lock);
	if (!ret && !whole && timeout_ms == 0)
		ret = -EMSGSIZE; /* more than an empty FIFO holds: never at once */
	while (!ret) {
		uint32_t k = len - sent < chunk ? (uint32_t)(len - sent) : chunk;
		uint64_t want = whole && !started ? need : glink_round8(GLINK_DATA_HDR + k);
		int room = tx_room(s, NULL);

		if (room < 0) {
			ret = room;
			break;
		}
		if ((uint64_t)room >= want) {
			uint8_t h[GLINK_DATA_HDR];

			glink_encode_data_hdr(h, sent ? GLINK_TX_DATA_CONT : GLINK_TX_DATA, lcid, iid,
					      k, (uint32_t)(len - sent - k));
			ret = tx_write(s, h, GLINK_DATA_HDR, (const uint8_t *)data + sent, k);
			if (ret)
				break;
			started = true;
			sent += k;
			if (sent == len)
				break;
			if (!whole)
				ring(s); /* the peer reads this chunk while we wait for room */
			continue;
		}
		tx_read_notif(s); /* the peer rings us when it has read */
		if (timeout_ms == 0) {
			ret = -EAGAIN;
			break;
		}
		if (!waited) {
			waited = true;
			rpmsg_stat_add(&s->st.tx_waits, 1);
		}
		rpmsg_mutex_unlock(&s->tx_lock);
		ret = wait_step(s, started ? 0 : deadline, &quiet);
		rpmsg_mutex_lock(&s->tx_lock);
		if (!ret) {
			rpmsg_mutex_lock(&s->lock);
			if (c->ept != ept || c->close_sent || c->peer_closed)
				ret = -EPIPE;
			rpmsg_mutex_unlock(&s->lock);
		}
	}
	rpmsg_mutex_unlock(&s->tx_lock);
	if (started)
		ring(s);
	if (ret && ri && !started) {
		rpmsg_mutex_lock(&s->lock);
		if (ri->valid && ri->id == iid)
			ri->used = false; /* never touched: still the peer's to give */
		rpmsg_mutex_unlock(&s->lock);
	}
	if (!ret) {
		rpmsg_stat_add(&s->st.tx_msgs, 1);
		rpmsg_stat_add(&s->st.tx_bytes, len);
	}
out:
	rpmsg_mutex_lock(&s->lock);
	c->users--;
	maybe_free(s, c);
	rpmsg_mutex_unlock(&s->lock);
	rpmsg_mutex_unlock(&c->send_lock);
	return ret;
}

static int glink_send(struct rpmsg_link *link, struct rpmsg_endpoint *ept, uint32_t src,
		      uint32_t dst, const void *data, size_t len, int timeout_ms)
{
	struct glink *s = rpmsg_link_priv(link);
	struct chan *c = ept ? rpmsg_ept_tpriv(ept) : NULL;

	(void)src;
	(void)dst; /* point to point */
	if (!c)
		return -ENOTCONN;
	if (len > s->cfg.max_rx_size)
		return -EMSGSIZE;
	return chan_send(s, c, ept, data, len, timeout_ms);
}

static int glink_poll_tx(struct rpmsg_link *link, struct rpmsg_endpoint *ept)
{
	struct glink *s = rpmsg_link_priv(link);
	struct chan *c = rpmsg_ept_tpriv(ept);
	int room, ok;

	if (!c)
		return 0;
	rpmsg_mutex_lock(&s->lock);
	ok = c->ept == ept && c->lcid && c->open_acked && !c->peer_closed;
	if (ok && !s->intentless) {
		ok = 0;
		for (unsigned i = 0; i < MAX_RINTENTS; i++)
			if (c->ri[i].valid && !c->ri[i].used)
				ok = 1;
	}
	rpmsg_mutex_unlock(&s->lock);
	if (!ok)
		return 0;
	if (rpmsg_mutex_trylock(&s->tx_lock))
		return 0;
	room = tx_room(s, NULL);
	rpmsg_mutex_unlock(&s->tx_lock);
	if (room < 0)
		return room;
	return room > (int)GLINK_DATA_HDR;
}

static int glink_set_flow(struct rpmsg_link *link, struct rpmsg_endpoint *ept, bool pause,
			  uint32_t dst)
{
	struct glink *s = rpmsg_link_priv(link);
	struct chan *c = rpmsg_ept_tpriv(ept);
	int ret = 0;

	(void)dst;
	if (!c)
		return -ENOTCONN;
	rpmsg_mutex_lock(&s->lock);
	if (c->ept != ept || !c->lcid || !c->open_acked || c->close_sent || c->peer_closed)
		ret = -ENOTCONN;
	else
		ret = ctl_cmd(s, GLINK_SIGNALS, c->lcid, pause ? GLINK_SIG_DTR | GLINK_SIG_RTS : 0);
	rpmsg_mutex_unlock(&s->lock);
	if (!ret)
		flush_ctl(s);
	return ret;
}

/* ---- endpoints open and close channels ---- */

static int glink_create_ept(struct rpmsg_link *link, struct rpmsg_endpoint *ept)
{
	struct glink *s = rpmsg_link_priv(link);
	const char *name = rpmsg_ept_name(ept);
	struct chan *c = NULL;
	bool fresh = false;
	uint64_t deadline;
	unsigned quiet = 0;
	int ret = 0;

	if (!name || !name[0] || strlen(name) > RPMSG_GLINK_NAME_MAX)
		return -EINVAL;
	rpmsg_mutex_lock(&s->lock);
	if (s->down) {
		rpmsg_mutex_unlock(&s->lock);
		return -ECONNRESET; /* the remote restarted: no OPEN until the new session */
	}
	for (unsigned i = 0; i < MAX_CHANNELS && !c; i++) {
		struct chan *x = s->ch[i];

		if (x && x->used && !x->close_sent && !x->peer_closed && !strcmp(x->name, name))
			c = x;
	}
	if (c && c->ept) {
		rpmsg_mutex_unlock(&s->lock);
		return -EBUSY;
	}
	if (!c) {
		c = chan_new(s, name);
		fresh = true;
	}
	if (!c) {
		rpmsg_mutex_unlock(&s->lock);
		return -ENOSPC;
	}
	c->ept = ept;
	c->ept_addr = rpmsg_ept_addr(ept);
	rpmsg_ept_set_tpriv(ept, c);
	if (rpmsg_ept_dst(ept) == RPMSG_ADDR_ANY)
		rpmsg_ept_set_dst(ept, 0); /* point to point: the core wants some destination */
	if (c->rcid && !c->rcid_acked) {
		c->rcid_acked = true;
		ctl_cmd(s, GLINK_OPEN_ACK, c->rcid, 0);
	}
	if (!c->lcid) {
		uint8_t b[GLINK_HDR + GLINK_NAME_BUF];

		c->lcid = alloc_lcid(s);
		ctl_push(s, b, glink_encode_open(b, c->lcid, c->name));
	}
	check_open(s, c);
	fresh = fresh && !c->rcid;
	c->users++;
	rpmsg_mutex_unlock(&s->lock);
	flush_ctl(s);

	/* Opened here first: wait for the peer's OPEN_ACK and its own OPEN. */
	deadline = now_ns(s) + (uint64_t)s->cfg.open_timeout_ms * 1000000u;
	rpmsg_mutex_lock(&s->lock);
	while (fresh && !(c->open_acked && c->rcid)) {
		if (c->ept != ept || c->peer_closed) {
			ret = -ECONNRESET;
			break;
		}
		rpmsg_mutex_unlock(&s->lock);
		ret = wait_step(s, deadline, &quiet);
		rpmsg_mutex_lock(&s->lock);
		if (ret)
			break;
	}
	if (ret) {
		/* As Linux: forget our id, send no CLOSE. */
		if (c->ept == ept)
			c->ept = NULL;
		c->lcid = 0;
		c->open_acked = false;
		rpmsg_ept_set_tpriv(ept, NULL);
	}
	c->users--;
	maybe_free(s, c);
	rpmsg_mutex_unlock(&s->lock);
	return ret;
}

static void glink_destroy_ept(struct rpmsg_link *link, struct rpmsg_endpoint *ept)
{
	struct glink *s = rpmsg_link_priv(link);
	struct chan *c = rpmsg_ept_tpriv(ept);

	if (!c)
		return;
	rpmsg_mutex_lock(&s->lock);
	if (c->ept == ept) {
		c->ept = NULL;
		if (c->lcid && !c->close_sent) {
			c->close_sent = true;
			ctl_cmd(s, GLINK_CLOSE, c->lcid, 0);
		}
		rpmsg_cond_broadcast(&s->cond);
		maybe_free(s, c);
	}
	rpmsg_mutex_unlock(&s->lock);
	rpmsg_ept_set_tpriv(ept, NULL);
	flush_ctl(s);
}

static void glink_destroy(struct rpmsg_link *link)
{
	struct glink *s = rpmsg_link_priv(link);

	/* A remote restarting from now on finds no main CPU answering: it starts afresh. */
	if (s->resync)
		st32(dword(s, GLINK_RS_MAGIC), 0);
	ready_clear(s);
	for (unsigned i = 0; i < MAX_CHANNELS; i++) {
		struct chan *c = s->ch[i];

		if (!c)
			continue;
		for (unsigned k = 0; k < MAX_LINTENTS; k++)
			free_lintent(s, &c->li[k]);
		rpmsg_os_free(c->ibuf);
		rpmsg_mutex_destroy(&c->send_lock);
		rpmsg_os_free(c);
	}
	if (!s->keep_plat && s->plat->ops->destroy)
		s->plat->ops->destroy(s->plat);
	rpmsg_mutex_destroy(&s->lock);
	rpmsg_mutex_destroy(&s->tx_lock);
	rpmsg_mutex_destroy(&s->rx_lock);
	rpmsg_cond_destroy(&s->cond);
	rpmsg_os_free(s);
}

static const struct rpmsg_transport_ops glink_ops = {
	.send = glink_send,
	.poll_tx = glink_poll_tx,
	.set_flow_control = glink_set_flow,
	.create_ept = glink_create_ept,
	.destroy_ept = glink_destroy_ept,
	.process = glink_process,
	.arm = glink_arm,
	.is_up = glink_is_up,
	.destroy = glink_destroy,
};

/* ---- set-up: SMEM ---- */

static bool fifo_size_ok(size_t n)
{
	return n >= MIN_FIFO && n <= MAX_FIFO && !(n & 7);
}

/* The peer's FIFO item, looked up until it exists (rx_lock held). */
static int find_rx(struct glink *s)
{
	void *p;
	size_t n;

	if (s->cfg.flavour != RPMSG_GLINK_SMEM)
		return -ENODEV;
	if (smem_get(&s->smem, s->host, s->remote ? GLINK_ITEM_FIFO0 : GLINK_ITEM_FIFO1, &p, &n))
		return -ENOENT;
	if (!fifo_size_ok(n) || ((uintptr_t)p & 7)) {
		if (!s->rx_item_bad)
			bad(s);
		s->rx_item_bad = true;
		return -EPROTO;
	}
	s->rx.len = (uint32_t)n;
	s->rx.data = p;
	return 0;
}

/*
 * Remote: we restarted (our FIFO item was there) and the main CPU answers restarts. Count
 * it, ring, and wait until the main CPU acknowledges: it then dropped the old session and
 * set all four indices to 0 (see the top). Until then we touch no index.
 */
static int remote_restart(struct glink *s)
{
	uint64_t deadline = now_ns(s) + (uint64_t)s->cfg.attach_timeout_ms * 1000000u, bell = 0;
	uint32_t count = ld32(dword(s, GLINK_RS_RESTARTS)) + 1;

	st32(dword(s, GLINK_RS_RESTARTS), count);
	while (ld32(dword(s, GLINK_RS_ACK)) != count) {
		uint64_t now = now_ns(s);

		if (now >= deadline)
			return -ETIMEDOUT; /* no main CPU answering */
		if (now >= bell) {
			ring(s); /* now and then: a ring may meet a poller going to sleep */
			bell = now + 50000000u;
		}
		rpmsg_os_sleep_ms(1);
	}
	return 0;
}

/*
 * Main CPU, at start-up: answer restarts from the count as it is now (a remote may be
 * running already). A count not acknowledged yet is a restarted remote waiting for us (its
 * main CPU went away without destroying its link): its two words go to 0 as well, as
 * restart() would have set them, before the acknowledgement lets it go on.
 */
static void answer_restarts(struct glink *s)
{
	uint32_t count = ld32(dword(s, GLINK_RS_RESTARTS));

	if (count != ld32(dword(s, GLINK_RS_ACK))) {
		st32(s->tx.tail, 0);
		st32(s->rx.head, 0);
	}
	atomic_store(&s->restart_seen, count);
	st32(dword(s, GLINK_RS_ACK), count);
	st32(dword(s, GLINK_RS_MAGIC), GLINK_RESTART_MAGIC);
	s->resync = true;
}

static int setup_smem(struct glink *s)
{
	struct smem_setup_cfg sc = {
		.smem_size = s->cfg.smem_size, .format = s->cfg.format_smem,
		.version = s->cfg.smem_version, .remote_host = s->cfg.remote_host,
		.local_host = s->remote ? s->cfg.remote_host : SMEM_HOST_APPS,
		.timeout_ms = s->cfg.attach_timeout_ms,
	};
	unsigned txitem = s->remote ? GLINK_ITEM_FIFO1 : GLINK_ITEM_FIFO0;
	bool existed;
	void *p;
	size_t n;
	int ret;

	ret = smem_setup(&s->smem, s->plat->shm.va, s->plat->shm.size, &sc);
	if (ret)
		return ret;
	ret = smem_alloc(&s->smem, s->host, GLINK_ITEM_DESC, GLINK_DESC_SIZE);
	if (ret && ret != -EEXIST)
		return ret;
	ret = smem_get(&s->smem, s->host, GLINK_ITEM_DESC, &p, &n);
	if (ret)
		return ret;
	if (n != GLINK_DESC_SIZE || ((uintptr_t)p & 3))
		return -EPROTO;
	s->desc = p;
	ret = smem_alloc(&s->smem, s->host, txitem, s->cfg.fifo_size);
	if (ret && ret != -EEXIST)
		return ret;
	existed = ret == -EEXIST;
	ret = smem_get(&s->smem, s->host, txitem, &p, &n);
	if (ret)
		return ret;
	if (!fifo_size_ok(n) || ((uintptr_t)p & 7))
		return -EPROTO;
	s->tx.data = p;
	s->tx.len = (uint32_t)n;
	if (s->remote) {
		s->rx.tail = (uint32_t *)(void *)(s->desc + GLINK_D_FIFO0_TAIL);
		s->rx.head = (uint32_t *)(void *)(s->desc + GLINK_D_FIFO0_HEAD);
		s->tx.tail = (uint32_t *)(void *)(s->desc + GLINK_D_FIFO1_TAIL);
		s->tx.head = (uint32_t *)(void *)(s->desc + GLINK_D_FIFO1_HEAD);
	} else {
		s->tx.tail = (uint32_t *)(void *)(s->desc + GLINK_D_FIFO0_TAIL);
		s->tx.head = (uint32_t *)(void *)(s->desc + GLINK_D_FIFO0_HEAD);
		s->rx.tail = (uint32_t *)(void *)(s->desc + GLINK_D_FIFO1_TAIL);
		s->rx.head = (uint32_t *)(void *)(s->desc + GLINK_D_FIFO1_HEAD);
	}
	s->rs = s->desc + GLINK_D_RS;
	if (!s->remote) {
		answer_restarts(s);
	} else if (existed && ld32(dword(s, GLINK_RS_MAGIC)) == GLINK_RESTART_MAGIC) {
		/* Restarted, facing our main CPU: it sets every index, then acknowledges. */
		ret = remote_restart(s);
		if (ret)
			return ret;
		goto found;
	}
	/* Our own words start at 0 (the peer's stay: it may have written already). */
	st32(s->tx.head, 0);
	st32(s->rx.tail, 0);
found:
	rpmsg_mutex_lock(&s->rx_lock);
	find_rx(s);
	rpmsg_mutex_unlock(&s->rx_lock);
	return 0;
}

/* ---- set-up: RPM message RAM ---- */

/*
 * The layout the remote writes, into `toc` (the whole table, magic included): ap2r at 0,
 * r2ap after it (each a descriptor and L data bytes, 8 bytes apart), then, when there is
 * room, the restart words (GLINK_RS_SIZE bytes) named by a third entry with our own id
 * (GLINK_TOC_RESTART). Linux reads only the two FIFO entries and skips any other id, so the
 * third entry and its bytes change nothing for it; the first two entries are as before.
 * *end: the bytes of message RAM the layout uses.
 */
static int rpm_layout(struct glink *s, size_t size, uint8_t *toc, uint32_t *end)
{
	uint32_t L = s->cfg.fifo_size, off1 = glink_round8(GLINK_RPM_DESC + L + 8), rs = 2 * off1;

	if ((uint64_t)off1 * 2 > size - GLINK_TOC_SIZE)
		return -ENOSPC;
	memset(toc, 0, GLINK_TOC_SIZE);
	glink_put32(toc, GLINK_TOC_MAGIC);
	glink_put32(toc + 4, 2);
	glink_put32(toc + 8, GLINK_FIFO_AP2R);
	glink_put32(toc + 12, 0);
	glink_put32(toc + 16, L);
	glink_put32(toc + 20, GLINK_FIFO_R2AP);
	glink_put32(toc + 24, off1);
	glink_put32(toc + 28, L);
	*end = rs;
	if ((uint64_t)rs + GLINK_RS_SIZE <= size - GLINK_TOC_SIZE) {
		glink_put32(toc + 4, 3);
		glink_put32(toc + 32, GLINK_TOC_RESTART);
		glink_put32(toc + 36, rs);
		glink_put32(toc + 40, GLINK_RS_SIZE);
		*end = rs + GLINK_RS_SIZE;
	}
	return 0;
}

static int format_rpm(struct glink *s, uint8_t *ram, size_t size)
{
	uint8_t *toc = ram + size - GLINK_TOC_SIZE, t[GLINK_TOC_SIZE];
	uint32_t end;
	int ret = rpm_layout(s, size, t, &end);

	if (ret)
		return ret;
	st32((uint32_t *)(void *)toc, 0);
	memset(ram, 0, end);
	memcpy(toc + 4, t + 4, GLINK_TOC_SIZE - 4);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	st32((uint32_t *)(void *)toc, GLINK_TOC_MAGIC);
	return 0;
}

/*
 * Remote: did we restart? The message RAM holds exactly the layout we would write, restart
 * words included, and a main CPU of ours answers restarts there (its magic). Then the
 * layout stays as it is (the main CPU may be anywhere in the old streams) and we go through
 * the handshake as over SMEM; otherwise we lay the RAM out afresh.
 */
static bool rpm_restarted(struct glink *s, const uint8_t *ram, size_t size)
{
	const uint8_t *toc = ram + size - GLINK_TOC_SIZE;
	uint8_t t[GLINK_TOC_SIZE];
	uint32_t end, rs;

	if (!RPMSG_ROLE_REMOTE || rpm_layout(s, size, t, &end) || glink_get32(t + 4) != 3)
		return false;
	if (ld32((const uint32_t *)(const void *)toc) != GLINK_TOC_MAGIC)
		return false;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (memcmp(toc, t, GLINK_TOC_SIZE))
		return false;
	rs = glink_get32(t + 36);
	return ld32((const uint32_t *)(const void *)(ram + rs + GLINK_RS_MAGIC)) ==
	       GLINK_RESTART_MAGIC;
}

static int setup_rpm(struct glink *s)
{
	struct rpmsg_shm *shm = &s->plat->shm;
	uint8_t *ram = shm->va, *toc;
	size_t size = shm->size;
	uint64_t deadline = now_ns(s) + (uint64_t)s->cfg.attach_timeout_ms * 1000000u;
	uint32_t count, off[3] = { 0, 0, 0 }, len[3] = { 0, 0, 0 };
	bool found[3] = { false, false, false }, restarted = false;
	int ret;

	if (size < GLINK_TOC_SIZE + 2 * (MIN_FIFO + 16) || size > UINT32_MAX || ((uintptr_t)ram & 7))
		return -EINVAL;
	toc = ram + size - GLINK_TOC_SIZE;
	if (s->cfg.format_smem) {
		restarted = s->remote && rpm_restarted(s, ram, size);
		ret = restarted ? 0 : format_rpm(s, ram, size);
		if (ret)
			return ret;
	}
	while (ld32((uint32_t *)(void *)toc) != GLINK_TOC_MAGIC && now_ns(s) < deadline)
		rpmsg_os_sleep_ms(1);
	if (ld32((uint32_t *)(void *)toc) != GLINK_TOC_MAGIC)
		return -ENODEV;
	count = ld32((uint32_t *)(void *)(toc + 4));
	if (count > GLINK_TOC_MAX)
		return -EPROTO;
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *e = toc + 8 + GLINK_TOC_ENTRY * i;
		uint32_t id = glink_get32(e), o = glink_get32(e + 4), l = glink_get32(e + 8);
		int k = id == GLINK_FIFO_AP2R ? 0 : id == GLINK_FIFO_R2AP ? 1 :
			id == GLINK_TOC_RESTART ? 2 : -1;

		if (k < 0)
			continue;
		/* Descriptor and data (restart words) must lie inside the RAM, before the TOC. */
		if (k == 2 ? (o & 7) || l < GLINK_RS_SIZE ||
			     (uint64_t)o + l > size - GLINK_TOC_SIZE :
			     (o & 7) || !fifo_size_ok(l) ||
			     (uint64_t)o + GLINK_RPM_DESC + l > size - GLINK_TOC_SIZE) {
			bad(s);
			continue;
		}
		off[k] = o;
		len[k] = l;
		found[k] = true;
	}
	if (!found[0] || !found[1])
		return -EPROTO;
	{
		int t = s->remote ? 1 : 0, r = 1 - t;

		s->tx.tail = (uint32_t *)(void *)(ram + off[t]);
		s->tx.head = (uint32_t *)(void *)(ram + off[t] + 4);
		s->tx.data = ram + off[t] + GLINK_RPM_DESC;
		s->tx.len = len[t];
		s->rx.tail = (uint32_t *)(void *)(ram + off[r]);
		s->rx.head = (uint32_t *)(void *)(ram + off[r] + 4);
		s->rx.data = ram + off[r] + GLINK_RPM_DESC;
		s->rx.len = len[r];
		/* Overlapping FIFOs would let the peer's writes be our reads' undoing. */
		if (off[t] < off[r] + GLINK_RPM_DESC + len[r] && off[r] < off[t] + GLINK_RPM_DESC + len[t])
			return -EPROTO;
		/* The restart words likewise (overlapping: this edge does without them). */
		for (int k = 0; k < 2 && found[2]; k++) {
			if (off[2] < off[k] + GLINK_RPM_DESC + len[k] &&
			    off[k] < off[2] + GLINK_RS_SIZE) {
				bad(s);
				found[2] = false;
			}
		}
	}
	if (found[2])
		s->rs = ram + off[2];
	if (s->rs && !s->remote) {
		answer_restarts(s);
	} else if (restarted && s->rs) {
		/* As over SMEM: the main CPU sets every index, then acknowledges. */
		return remote_restart(s);
	}
	st32(s->tx.head, 0);
	st32(s->rx.tail, 0);
	return 0;
}

/* ---- create ---- */

static int open_startup_channels(struct glink *s)
{
	for (const char *const *n = s->cfg.channels; n && *n; n++) {
		struct rpmsg_channel_info info = { .src = RPMSG_ADDR_ANY, .dst = RPMSG_ADDR_ANY };
		uint8_t b[GLINK_HDR + GLINK_NAME_BUF];
		struct chan *c;
		int ret;

		if (!**n || strlen(*n) > RPMSG_GLINK_NAME_MAX)
			return -EINVAL;
		rpmsg_mutex_lock(&s->lock);
		c = chan_new(s, *n);
		if (c) {
			c->lcid = alloc_lcid(s);
			c->has_dev = true;
			ctl_push(s, b, glink_encode_open(b, c->lcid, c->name));
		}
		rpmsg_mutex_unlock(&s->lock);
		if (!c)
			return -ENOSPC;
		flush_ctl(s);
		rpmsg_name_copy(info.name, sizeof(info.name), *n);
		ret = rpmsg_channel_add(s->link, &info, false, NULL);
		if (ret)
			return ret;
	}
	return 0;
}

int rpmsg_glink_create(struct rpmsg_bus *bus, struct rpmsg_platform *plat,
		       const struct rpmsg_glink_config *cfg, struct rpmsg_link **out)
{
	struct rpmsg_link_desc desc = { .transport = "glink", .ops = &glink_ops,
					.flags = RPMSG_LINK_F_P2P | RPMSG_LINK_F_SETUP };
	struct glink *s;
	int ret, fd;

	if (!bus || !plat || !plat->ops || !cfg || !out)
		return -EINVAL;
	if ((cfg->role != RPMSG_GLINK_MAIN && cfg->role != RPMSG_GLINK_REMOTE) ||
	    (cfg->flavour != RPMSG_GLINK_SMEM && cfg->flavour != RPMSG_GLINK_RPM))
		return -EINVAL;
	s = rpmsg_os_zalloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->plat = plat;
	s->cfg = *cfg;
	s->remote = cfg->role == RPMSG_GLINK_REMOTE;
	s->intentless = cfg->flavour == RPMSG_GLINK_RPM;
	s->watched = -1;
	s->next_lcid = 1;
	if (!s->cfg.remote_host)
		s->cfg.remote_host = 1;
	if (!s->cfg.smem_version)
		s->cfg.smem_version = SMEM_PART_VERSION;
	if (!s->cfg.attach_timeout_ms)
		s->cfg.attach_timeout_ms = 5000;
	if (!s->cfg.fifo_size)
		s->cfg.fifo_size = s->intentless ? 1024 : 16384;
	if (!s->cfg.intent_size)
		s->cfg.intent_size = 1024;
	if (!s->cfg.intent_count)
		s->cfg.intent_count = 5;
	if (!s->cfg.max_rx_size)
		s->cfg.max_rx_size = 1u << 20;
	if (!s->cfg.open_timeout_ms)
		s->cfg.open_timeout_ms = 5000;
	if (!s->cfg.intent_timeout_ms)
		s->cfg.intent_timeout_ms = 10000;
	s->host = s->remote ? SMEM_HOST_APPS : s->cfg.remote_host;
	s->features = s->intentless ? 0 : GLINK_FEATURE_INTENT_REUSE;
	rpmsg_mutex_init(&s->lock, false);
	rpmsg_mutex_init(&s->tx_lock, false);
	rpmsg_mutex_init(&s->rx_lock, false);
	rpmsg_cond_init(&s->cond);
	ret = -EINVAL;
	if (s->cfg.remote_host >= SMEM_HOST_COUNT || s->cfg.doorbell >= RPMSG_PLATFORM_BELLS ||
	    !fifo_size_ok(s->cfg.fifo_size) || s->cfg.intent_count > 16 ||
	    s->cfg.intent_size > s->cfg.max_rx_size || s->cfg.max_rx_size > (64u << 20) ||
	    (s->cfg.smem_version != SMEM_HEAP_VERSION && s->cfg.smem_version != SMEM_PART_VERSION))
		goto fail;
	ret = s->intentless ? setup_rpm(s) : setup_smem(s);
	if (ret)
		goto fail;
	desc.name = cfg->name ? cfg->name : "glink";
	desc.priv = s;
	ret = rpmsg_link_register(bus, &desc, &s->link);
	if (ret)
		goto fail;
	fd = plat->ops->fd ? plat->ops->fd(plat, s->cfg.doorbell) : -1;
	if (fd >= 0 && !rpmsg_link_watch_fd(s->link, fd))
		s->watched = fd;
	rpmsg_mutex_lock(&s->lock);
	ctl_cmd(s, GLINK_VERSION, GLINK_VERSION_1, s->features);
	rpmsg_mutex_unlock(&s->lock);
	flush_ctl(s);
	ret = open_startup_channels(s);
	if (ret) {
		s->keep_plat = true;
		rpmsg_link_destroy(s->link); /* frees s */
		return ret;
	}
	atomic_store(&s->kick, true);
	rpmsg_link_ready(s->link);
	*out = s->link;
	return 0;
fail:
	rpmsg_mutex_destroy(&s->lock);
	rpmsg_mutex_destroy(&s->tx_lock);
	rpmsg_mutex_destroy(&s->rx_lock);
	rpmsg_cond_destroy(&s->cond);
	rpmsg_os_free(s);
	return ret;
}

int rpmsg_glink_get_stats(struct rpmsg_link *link, struct rpmsg_glink_stats *out)
{
	struct glink *s;
	uint32_t n = 0;

	if (!link || !out || strcmp(rpmsg_link_transport(link), "glink"))
		return -EINVAL;
	s = rpmsg_link_priv(link);
	out->tx_msgs = rpmsg_stat_get(&s->st.tx_msgs);
	out->rx_msgs = rpmsg_stat_get(&s->st.rx_msgs);
	out->tx_bytes = rpmsg_stat_get(&s->st.tx_bytes);
	out->rx_bytes = rpmsg_stat_get(&s->st.rx_bytes);
	out->tx_cmds = rpmsg_stat_get(&s->st.tx_cmds);
	out->rx_cmds = rpmsg_stat_get(&s->st.rx_cmds);
	out->rx_bad = rpmsg_stat_get(&s->st.rx_bad);
	out->intent_reqs = rpmsg_stat_get(&s->st.intent_reqs);
	out->intent_refused = rpmsg_stat_get(&s->st.intent_refused);
	out->read_notifs = rpmsg_stat_get(&s->st.read_notifs);
	out->notifies = rpmsg_stat_get(&s->st.notifies);
	out->tx_waits = rpmsg_stat_get(&s->st.tx_waits);
	out->restarts = rpmsg_stat_get(&s->st.restarts);
	rpmsg_mutex_lock(&s->lock);
	for (unsigned i = 0; i < MAX_CHANNELS; i++)
		if (s->ch[i] && s->ch[i]->used)
			n++;
	out->channels = n;
	out->features = s->features;
	out->version_done = s->version_done;
	rpmsg_mutex_unlock(&s->lock);
	out->rx_broken = atomic_load(&s->rx_broken);
	return 0;
}
