/*
 * The SMD transport (spec/30-smd.md) in both roles. See include/rpmsg/smd.h for the model.
 *
 * Trust: the peer can write any byte of SMEM at any time. Our own indices (the head we
 * write, the tail we write into the peer's record) are kept locally and only ever written
 * out; the peer's indices (its head, the tail it writes into our record) are loaded once per
 * use and checked against the FIFO size; packet lengths are checked against what a FIFO can
 * hold. A violation is counted (rx_bad) and the channel's receive side stops until the
 * channel is reset; a bad tail makes sends fail with -EIO.
 *
 * Locks, in order: chan->rx_lock (recursive: a callback may destroy its endpoint), then
 * chan->tx_lock (a callback may send), then smd->lock (channel list, local state, tables).
 * A sender waiting for room holds tx_lock but gives up when `closing` is set, so a close
 * never waits for it long. No lock is held across a call into the core that can bind or
 * unbind drivers.
 *
 * Remote crash and restart. SMD has no "link down" signal: a channel's session ends when the
 * remote's state leaves OPENING/OPENED. A remote that resets a channel (rpmsg_smd_reset(),
 * or its boot taking over a channel an earlier run created) writes RESET, zeroes its indices
 * and stays in RESET until the main CPU has left OPENED, so the main CPU cannot miss the
 * reset and no stale index is ever used. The main CPU's state worker then ends the session:
 * close first (blocked senders return -EPIPE, both of our indices go to 0), then remove the
 * rpmsg channel (drivers see remove); when the remote reopens (OPENING) the channel is added
 * again and drivers probe. A remote seen OPENED that goes back to OPENING has reset too. When
 * the remote dies without a word (remoteproc says so), the main CPU calls rpmsg_smd_reset():
 * it writes RESET into the dead remote's records, frees an SMEM lock the remote held, closes
 * its own side, and the next poll removes the channels.
 */
#include <stdatomic.h>
#include <string.h>
#if !RPMSG_BAREMETAL
#include <time.h>
#endif

#include <rpmsg/capture.h>
#include <rpmsg/smd.h>
#include <rpmsg/transport.h>

#include "core/core.h" /* rpmsg_ept_get/put: a reference across a callback that may destroy */
#include "core/os.h"
#include "smd/smd_wire.h"
#include "smem/smem.h"

#define MAX_CHANNELS (SMD_TABLES * SMD_TABLE_ENTRIES)
#define RX_BUDGET 64       /* messages per channel per process() */
#define WAIT_SLICE_MS 50   /* blocked senders re-check this often */
#define MIN_FIFO 64u
#define MAX_FIFO (1u << 24)

struct smd;

struct chan {
	struct smd *smd;
	char name[RPMSG_NAME_SIZE];
	unsigned table, pos, cid;
	bool word;
	uint8_t *own, *peer;   /* info records: ours (we write), the peer's */
	uint8_t *txf, *rxf;    /* FIFO halves: we write txf, we read rxf */
	uint32_t txn, rxn;     /* sizes, powers of two */

	_Atomic uint32_t local_state; /* what we last wrote (smd->lock for changes) */
	bool has_dev;                 /* main: an rpmsg channel exists (smd->lock) */
	bool reset;                   /* main: rpmsg_smd_reset() ended the session (smd->lock) */
	atomic_bool peer_opened;      /* main: the remote reached OPENED in this session */

	rpmsg_mutex tx_lock;
	uint32_t tx_head;             /* our write index (tx_lock) */
	bool tx_broken;               /* the peer wrote a bad tail (tx_lock) */
	atomic_bool closing;          /* a close is waiting for tx_lock: senders give up */

	rpmsg_mutex rx_lock;          /* recursive */
	struct rpmsg_endpoint *ept;   /* rx_lock */
	uint32_t ept_addr;
	uint32_t rx_tail;             /* our read index (rx_lock) */
	uint32_t remote_state;        /* last seen (rx_lock) */
	bool pkt_pending;             /* header consumed, payload not yet */
	uint32_t pkt_len;
	bool rx_broken;
	uint8_t *bounce;              /* rxn bytes, for packets that wrap */
};

struct smd {
	struct rpmsg_link *link;
	struct rpmsg_platform *plat;
	struct rpmsg_smd_config cfg;
	bool remote;
	int host;                     /* the host argument of our SMEM calls */
	struct smem smem;
	rpmsg_mutex lock;
	struct chan *ch[MAX_CHANNELS];
	_Atomic unsigned nch;
	uint64_t remembered[SMD_TABLES]; /* table positions turned into channels (or refused) */
	uint64_t refused[SMD_TABLES];    /* positions with unusable items, counted once */
	int64_t last_free;
	bool scanned;
	atomic_bool kick;             /* process() has work without a doorbell */
	int watched;
	bool keep_plat;               /* creation failed: the caller still owns the platform */
	struct rpmsg_smd_stats stats;
};

static uint64_t now_ns(struct smd *s)
{
	return s->plat->ops->now_ns(s->plat);
}

static void ring(struct smd *s)
{
	rpmsg_stat_add(&s->stats.notifies, 1);
	rpmsg_platform_notify(s->plat, s->cfg.doorbell);
}

/* ---- record fields (the info item is 4-byte aligned: checked when it is mapped) ---- */

static uint32_t rd(const struct chan *c, const uint8_t *rec, enum smd_field f)
{
	const uint8_t *p = rec + smd_field_off(f, c->word);

	if (!c->word && smd_field_is_flag(f))
		return __atomic_load_n(p, __ATOMIC_RELAXED);
	return rpmsg_le32(__atomic_load_n((const uint32_t *)(const void *)p, __ATOMIC_RELAXED));
}

static void wr(const struct chan *c, uint8_t *rec, enum smd_field f, uint32_t v)
{
	uint8_t *p = rec + smd_field_off(f, c->word);

	if (!c->word && smd_field_is_flag(f))
		__atomic_store_n(p, (uint8_t)v, __ATOMIC_RELAXED);
	else
		__atomic_store_n((uint32_t *)(void *)p, rpmsg_le32(v), __ATOMIC_RELAXED);
}

/* Indices: the producer's head store releases its data, the consumer's tail store its reads. */
static uint32_t rd_acq(const struct chan *c, const uint8_t *rec, enum smd_field f)
{
	const uint8_t *p = rec + smd_field_off(f, c->word);

	return rpmsg_le32(__atomic_load_n((const uint32_t *)(const void *)p, __ATOMIC_ACQUIRE));
}

static void wr_rel(const struct chan *c, uint8_t *rec, enum smd_field f, uint32_t v)
{
	uint8_t *p = rec + smd_field_off(f, c->word);

	__atomic_store_n((uint32_t *)(void *)p, rpmsg_le32(v), __ATOMIC_RELEASE);
}

static bool peer_open(uint32_t st)
{
	return st == RPMSG_SMD_OPENING || st == RPMSG_SMD_OPENED;
}

/* Set our state as Linux does: signals follow OPENED, then state, then fSTATE, then ring. */
static void set_state_locked(struct chan *c, uint32_t st)
{
	uint32_t sig = st == RPMSG_SMD_OPENED;

	if (atomic_load(&c->local_state) == st)
		return;
	wr(c, c->own, SMD_DSR, sig);
	wr(c, c->own, SMD_CTS, sig);
	wr(c, c->own, SMD_CD, sig);
	wr(c, c->own, SMD_STATE, st);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	wr(c, c->own, SMD_STATE_F, 1);
	atomic_store(&c->local_state, st);
	rpmsg_link_tap_control(c->smd->link, RPMSG_CAP_TX, (uint16_t)st, c->name, RPMSG_NAME_SIZE);
	ring(c->smd);
}

/*
 * Reset our side (discovery, after close): state `st` (CLOSED; RESET for a remote starting a
 * channel over), flags down, both of our indices at 0.
 * Caller holds rx_lock, tx_lock and smd->lock (or owns the channel alone).
 */
static void reset_locked(struct chan *c, uint32_t st)
{
	wr(c, c->own, SMD_STATE, st);
	/* The state before the indices: a reader that sees our head at 0 sees us closed. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (enum smd_field f = SMD_DSR; f <= SMD_TAIL_F; f++)
		wr(c, c->own, f, 0);
	wr(c, c->own, SMD_BLOCK_F, 1);
	wr(c, c->own, SMD_HEAD, 0);
	wr(c, c->peer, SMD_TAIL, 0);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	wr(c, c->own, SMD_STATE_F, 1);
	atomic_store(&c->local_state, st);
	atomic_store(&c->peer_opened, false);
	c->tx_head = 0;
	c->tx_broken = false;
	c->rx_tail = 0;
	c->pkt_pending = false;
	c->rx_broken = false;
	ring(c->smd);
}

/* Close our side: tell blocked senders, then CLOSED and reset. */
static void close_chan(struct chan *c, bool detach)
{
	struct smd *s = c->smd;

	atomic_store(&c->closing, true);
	rpmsg_mutex_lock(&c->rx_lock);
	rpmsg_mutex_lock(&c->tx_lock);
	if (detach)
		c->ept = NULL;
	rpmsg_mutex_lock(&s->lock);
	set_state_locked(c, RPMSG_SMD_CLOSED);
	reset_locked(c, RPMSG_SMD_CLOSED);
	rpmsg_mutex_unlock(&s->lock);
	rpmsg_mutex_unlock(&c->tx_lock);
	rpmsg_mutex_unlock(&c->rx_lock);
	atomic_store(&c->closing, false);
}

/*
 * Remote: start the channel's session over in RESET (our indices at 0, unread data gone);
 * the endpoint stays. follow_state() reopens once the main CPU has left OPENED.
 * Caller holds rx_lock. `force`: whatever the state; else only if still needed (recheck).
 */
static void restart_chan(struct chan *c, bool force)
{
	struct smd *s = c->smd;

	atomic_store(&c->closing, true);
	rpmsg_mutex_lock(&c->tx_lock);
	rpmsg_mutex_lock(&s->lock);
	{
		uint32_t ls = atomic_load(&c->local_state);

		if (force || rd(c, c->own, SMD_STATE) != ls ||
		    (ls == RPMSG_SMD_OPENED && !peer_open(rd(c, c->peer, SMD_STATE))))
			reset_locked(c, RPMSG_SMD_RESET);
	}
	rpmsg_mutex_unlock(&s->lock);
	rpmsg_mutex_unlock(&c->tx_lock);
	atomic_store(&c->closing, false);
	atomic_store(&s->kick, true); /* follow_state() takes it on from RESET */
}

/* ---- FIFO copies with wrap ---- */

static void fifo_write(uint8_t *fifo, uint32_t n, uint32_t at, const void *src, uint32_t len)
{
	uint32_t first = n - at < len ? n - at : len;

	memcpy(fifo + at, src, first);
	if (len > first)
		memcpy(fifo, (const uint8_t *)src + first, len - first);
}

static void fifo_read(const uint8_t *fifo, uint32_t n, uint32_t at, void *dst, uint32_t len)
{
	uint32_t first = n - at < len ? n - at : len;

	memcpy(dst, fifo + at, first);
	if (len > first)
		memcpy((uint8_t *)dst + first, fifo, len - first);
}

/* ---- channels ---- */

static struct chan *find_chan(struct smd *s, const char *name)
{
	unsigned n = atomic_load(&s->nch);

	for (unsigned i = 0; i < n; i++)
		if (!strncmp(s->ch[i]->name, name, RPMSG_NAME_SIZE))
			return s->ch[i];
	return NULL;
}

static void free_chan(struct chan *c)
{
	rpmsg_mutex_destroy(&c->tx_lock);
	rpmsg_mutex_destroy(&c->rx_lock);
	rpmsg_os_free(c->bounce);
	rpmsg_os_free(c);
}

/*
 * Map a channel's items (info and FIFO) and make its struct. 0 on success; -EAGAIN when an
 * item is missing (try again at the next scan); -EPROTO when an item is unusable.
 */
static int map_chan(struct smd *s, const char *name, unsigned table, unsigned pos, uint32_t cid,
		    struct chan **out)
{
	struct chan *c;
	void *info, *fifo;
	size_t isz, fsz;
	uint32_t half;
	int ret;

	if (cid > 0xFFFF)
		return -EPROTO;
	ret = smem_get(&s->smem, s->host, SMD_ITEM_INFO(table) + cid, &info, &isz);
	if (ret)
		return ret == -ENOENT ? -EAGAIN : -EPROTO;
	if ((isz != 2 * SMD_REC_BYTE && isz != 2 * SMD_REC_WORD) || ((uintptr_t)info & 3))
		return -EPROTO;
	ret = smem_get(&s->smem, s->host, SMD_ITEM_FIFO(table) + cid, &fifo, &fsz);
	if (ret)
		return ret == -ENOENT ? -EAGAIN : -EPROTO;
	half = (uint32_t)(fsz / 2);
	if (fsz > 2 * (size_t)MAX_FIFO || fsz != 2 * (size_t)half || half < MIN_FIFO ||
	    (half & (half - 1)))
		return -EPROTO;
	c = rpmsg_os_zalloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->bounce = rpmsg_os_zalloc(half);
	if (!c->bounce) {
		rpmsg_os_free(c);
		return -ENOMEM;
	}
	c->smd = s;
	rpmsg_name_copy(c->name, sizeof(c->name), name);
	c->table = table;
	c->pos = pos;
	c->cid = cid;
	c->word = isz == 2 * SMD_REC_WORD;
	/* First record and first half: the main CPU's direction. */
	c->own = (uint8_t *)info + (s->remote ? isz / 2 : 0);
	c->peer = (uint8_t *)info + (s->remote ? 0 : isz / 2);
	c->txf = (uint8_t *)fifo + (s->remote ? half : 0);
	c->rxf = (uint8_t *)fifo + (s->remote ? 0 : half);
	c->txn = c->rxn = half;
	rpmsg_mutex_init(&c->tx_lock, false);
	rpmsg_mutex_init(&c->rx_lock, true);
	c->remote_state = rd(c, c->peer, SMD_STATE);
	*out = c;
	return 0;
}

/* Main CPU: look for new entries in both allocation tables (smd->lock held). */
static int scan_locked(struct smd *s)
{
	int found = 0;

	rpmsg_stat_add(&s->stats.scans, 1);
	for (unsigned t = 0; t < SMD_TABLES; t++) {
		uint8_t *tab;
		size_t size;
		unsigned n;

		if (smem_get(&s->smem, s->host, SMD_ITEM_TABLE(t), (void **)&tab, &size))
			continue;
		n = size / SMD_ENTRY_SIZE < SMD_TABLE_ENTRIES ? size / SMD_ENTRY_SIZE
							      : SMD_TABLE_ENTRIES;
		for (unsigned pos = 0; pos < n; pos++) {
			uint8_t e[SMD_ENTRY_SIZE];
			char name[SMD_NAME_LEN];
			uint32_t flags;
			struct chan *c;
			int ret;

			if (s->remembered[t] & (1ull << pos))
				continue;
			memcpy(e, tab + pos * SMD_ENTRY_SIZE, sizeof(e)); /* read once */
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			flags = smd_get_le32(e + SMD_E_FLAGS);
			if (!smd_get_le32(e + SMD_E_REF) || !e[0] || !(flags & SMD_F_PACKET) ||
			    (flags & SMD_F_EDGE_MASK) != s->cfg.edge)
				continue;
			memcpy(name, e, SMD_NAME_LEN);
			name[SMD_NAME_LEN - 1] = '\0';
			if (find_chan(s, name) || atomic_load(&s->nch) == MAX_CHANNELS) {
				/* A second channel of one name cannot be told apart: refuse it. */
				rpmsg_stat_add(&s->stats.rx_bad, 1);
				s->remembered[t] |= 1ull << pos;
				continue;
			}
			ret = map_chan(s, name, t, pos, smd_get_le32(e + SMD_E_CID), &c);
			if (ret == -EPROTO && !(s->refused[t] & (1ull << pos))) {
				s->refused[t] |= 1ull << pos;
				rpmsg_stat_add(&s->stats.rx_bad, 1);
			}
			if (ret)
				continue; /* not remembered: retried at the next scan (as Linux) */
			s->remembered[t] |= 1ull << pos;
			reset_locked(c, RPMSG_SMD_CLOSED); /* not published yet: ours alone */
			s->ch[atomic_load(&s->nch)] = c;
			atomic_fetch_add(&s->nch, 1);
			found++;
		}
	}
	return found;
}

static void maybe_scan(struct smd *s)
{
	int64_t free_now = smem_free_space(&s->smem, s->host);

	rpmsg_mutex_lock(&s->lock);
	if (!s->scanned || free_now != s->last_free) {
		s->scanned = true;
		s->last_free = free_now;
		scan_locked(s);
	}
	rpmsg_mutex_unlock(&s->lock);
}

/*
 * Remote: take over a channel of this name that an earlier run of this remote created (SMEM
 * outlives a remote's crash, as on the SoC), as a restarting remote does: the same entry and
 * items, our record in RESET so that the main CPU ends the old session before we reopen.
 * -ENOENT if there is none. smd->lock held.
 */
static int adopt_chan_locked(struct smd *s, const char *name, struct chan **out)
{
	size_t isz = s->cfg.word_info ? 2 * SMD_REC_WORD : 2 * SMD_REC_BYTE;

	for (unsigned t = 0; t < SMD_TABLES; t++) {
		uint8_t *tab;
		size_t size;

		if (smem_get(&s->smem, s->host, SMD_ITEM_TABLE(t), (void **)&tab, &size) ||
		    size < SMD_TABLE_BYTES)
			continue;
		for (unsigned pos = 0; pos < SMD_TABLE_ENTRIES; pos++) {
			uint8_t e[SMD_ENTRY_SIZE];
			uint32_t cid, flags;
			void *p;
			size_t got;
			struct chan *c;
			int ret;

			if (s->remembered[t] & (1ull << pos))
				continue;
			memcpy(e, tab + pos * SMD_ENTRY_SIZE, sizeof(e));
			flags = smd_get_le32(e + SMD_E_FLAGS);
			if (!smd_get_le32(e + SMD_E_REF) || strncmp((char *)e, name, SMD_NAME_LEN) ||
			    !(flags & SMD_F_PACKET) || (flags & SMD_F_EDGE_MASK) != s->cfg.edge)
				continue;
			/* An earlier run may have died before allocating them (lock-free lookups). */
			cid = smd_get_le32(e + SMD_E_CID);
			if (cid > 0xFFFF)
				return -EPROTO;
			if (smem_get(&s->smem, s->host, SMD_ITEM_INFO(t) + cid, &p, &got) == -ENOENT) {
				ret = smem_alloc(&s->smem, s->host, SMD_ITEM_INFO(t) + cid, isz);
				if (ret && ret != -EEXIST)
					return ret;
			}
			if (smem_get(&s->smem, s->host, SMD_ITEM_FIFO(t) + cid, &p, &got) == -ENOENT) {
				ret = smem_alloc(&s->smem, s->host, SMD_ITEM_FIFO(t) + cid,
						 2 * (size_t)s->cfg.fifo_size);
				if (ret && ret != -EEXIST)
					return ret;
			}
			ret = map_chan(s, name, t, pos, cid, &c);
			if (ret)
				return ret == -EAGAIN ? -EPROTO : ret;
			s->remembered[t] |= 1ull << pos;
			reset_locked(c, RPMSG_SMD_RESET); /* not published yet: ours alone */
			s->ch[atomic_load(&s->nch)] = c;
			atomic_fetch_add(&s->nch, 1);
			atomic_store(&s->kick, true); /* leave RESET if the main CPU is not OPENED */
			*out = c;
			return 0;
		}
	}
	return -ENOENT;
}

/*
 * Remote: create a channel in SMEM. The main CPU rescans only when SMEM's free space
 * changes, so the last step must be an allocation: info item, records, the table entry
 * (its ref_count the publication point), then the FIFO item. A scan that sees the entry
 * before the FIFO exists retries at the next change, which the FIFO allocation is.
 * smd->lock held.
 */
static int create_chan_locked(struct smd *s, const char *name, struct chan **out)
{
	size_t len = strlen(name), isz = s->cfg.word_info ? 2 * SMD_REC_WORD : 2 * SMD_REC_BYTE;
	struct smd_record rec = { { 0 } };
	uint8_t e[SMD_ENTRY_SIZE];
	struct chan *c;
	int ret;

	if (!len || len > RPMSG_SMD_NAME_MAX)
		return -EINVAL;
	if (atomic_load(&s->nch) == MAX_CHANNELS)
		return -ENOSPC;
	ret = adopt_chan_locked(s, name, out);
	if (ret != -ENOENT)
		return ret;
	for (unsigned t = 0; t < SMD_TABLES; t++) {
		uint8_t *tab;
		size_t size;
		void *info, *fifo;
		size_t got;
		unsigned pos;

		ret = smem_alloc(&s->smem, s->host, SMD_ITEM_TABLE(t), SMD_TABLE_BYTES);
		if (ret && ret != -EEXIST)
			return ret;
		ret = smem_get(&s->smem, s->host, SMD_ITEM_TABLE(t), (void **)&tab, &size);
		if (ret)
			return ret;
		if (size < SMD_TABLE_BYTES)
			return -EPROTO;
		for (pos = 0; pos < SMD_TABLE_ENTRIES; pos++)
			if (!smd_get_le32(tab + pos * SMD_ENTRY_SIZE + SMD_E_REF) &&
			    !(s->remembered[t] & (1ull << pos)))
				break;
		if (pos == SMD_TABLE_ENTRIES)
			continue;
		/* cid = position: unique within the table, so are the items. */
		ret = smem_alloc(&s->smem, s->host, SMD_ITEM_INFO(t) + pos, isz);
		if (ret && ret != -EEXIST)
			return ret;
		if (smem_get(&s->smem, s->host, SMD_ITEM_INFO(t) + pos, &info, &got) || got != isz)
			return -EPROTO; /* an item left over with another size */
		/* Both records fresh: CLOSED, no flags, interrupts on read wanted. */
		rec.v[SMD_BLOCK_F] = 1;
		smd_encode_record(info, &rec, s->cfg.word_info);
		smd_encode_record((uint8_t *)info + isz / 2, &rec, s->cfg.word_info);
		smd_encode_entry(e, name, pos, (s->cfg.edge & SMD_F_EDGE_MASK) | SMD_F_PACKET, 0);
		memcpy(tab + pos * SMD_ENTRY_SIZE, e, SMD_E_REF);
		__atomic_thread_fence(__ATOMIC_RELEASE);
		__atomic_store_n((uint32_t *)(void *)(tab + pos * SMD_ENTRY_SIZE + SMD_E_REF),
				 rpmsg_le32(1), __ATOMIC_RELAXED);
		s->remembered[t] |= 1ull << pos; /* the position is taken, whatever follows */
		ret = smem_alloc(&s->smem, s->host, SMD_ITEM_FIFO(t) + pos, 2 * (size_t)s->cfg.fifo_size);
		if (ret && ret != -EEXIST)
			return ret;
		if (smem_get(&s->smem, s->host, SMD_ITEM_FIFO(t) + pos, &fifo, &got) ||
		    got != 2 * (size_t)s->cfg.fifo_size)
			return -EPROTO;
		ret = map_chan(s, name, t, pos, pos, &c);
		if (ret)
			return ret;
		atomic_store(&c->local_state, RPMSG_SMD_CLOSED);
		s->ch[atomic_load(&s->nch)] = c;
		atomic_fetch_add(&s->nch, 1);
		ring(s);
		*out = c;
		return 0;
	}
	return -ENOSPC;
}

/* ---- receive ---- */

static void rx_bad(struct chan *c)
{

	rpmsg_stat_add(&c->smd->stats.rx_bad, 1);
	c->rx_broken = true;
}

/* Deliver to the channel's endpoint, holding a reference across the callback. */
static int deliver(struct chan *c, void *data, uint32_t len)
{
	struct rpmsg_endpoint *e = rpmsg_ept_get(c->smd->link, c->ept_addr);
	int ret;

	if (!e)
		return -ENOENT;
	if (e != c->ept) {
		rpmsg_ept_put(e);
		return -ENOENT;
	}
	ret = rpmsg_ept_deliver(e, data, len, RPMSG_ADDR_ANY);
	rpmsg_ept_put(e);
	return ret;
}

/* State follow-up from the peer's record (rx_lock held). */
static int follow_state(struct chan *c)
{
	struct smd *s = c->smd;
	uint32_t rs = rd(c, c->peer, SMD_STATE), ls;
	int events = 0;

	if (rs != c->remote_state) {
		c->remote_state = rs;
		events = 1;
		/* Capture: code = the peer's new state (any value: the dissector names the known ones). */
		rpmsg_link_tap_control(s->link, RPMSG_CAP_RX, (uint16_t)rs, c->name, RPMSG_NAME_SIZE);
	}
	if (rd(c, c->peer, SMD_STATE_F))
		wr(c, c->peer, SMD_STATE_F, 0);
	if (s->remote) {
		bool restart;

		/*
		 * The main CPU closed while we were OPENED, or wrote our state itself (it took us
		 * for dead: rpmsg_smd_reset()): start over from RESET.
		 */
		rpmsg_mutex_lock(&s->lock);
		ls = atomic_load(&c->local_state);
		restart = rd(c, c->own, SMD_STATE) != ls ||
			  (ls == RPMSG_SMD_OPENED && !peer_open(rs));
		rpmsg_mutex_unlock(&s->lock);
		if (restart) {
			restart_chan(c, false);
			events = 1;
		}
		/* RESET lasts until the main CPU has left OPENED: it has seen the reset. */
		rpmsg_mutex_lock(&s->lock);
		if (atomic_load(&c->local_state) == RPMSG_SMD_RESET && rs != RPMSG_SMD_OPENED) {
			set_state_locked(c, c->ept ? RPMSG_SMD_OPENING : RPMSG_SMD_CLOSED);
			events = 1;
		}
		rpmsg_mutex_unlock(&s->lock);
	}
	ls = atomic_load(&c->local_state);
	if (ls == RPMSG_SMD_OPENING && peer_open(rs) && c->ept) {
		rpmsg_mutex_lock(&s->lock);
		set_state_locked(c, RPMSG_SMD_OPENED);
		rpmsg_mutex_unlock(&s->lock);
		events = 1;
	} else if (!s->remote && ls == RPMSG_SMD_OPENED && rs == RPMSG_SMD_OPENED) {
		atomic_store(&c->peer_opened, true); /* from now on, OPENING means it reset */
	}
	return events;
}

/* One channel's interrupt work. Returns messages and events handled. */
static int chan_rx(struct chan *c)
{
	struct smd *s = c->smd;
	uint32_t mask = c->rxn - 1;
	int n, budget = RX_BUDGET;
	bool moved = false;

	rpmsg_mutex_lock(&c->rx_lock);
	n = follow_state(c);
	if (atomic_load(&c->local_state) != RPMSG_SMD_OPENED || !c->ept || c->rx_broken)
		goto out;
	wr(c, c->peer, SMD_HEAD_F, 0);
	while (c->ept) {
		uint32_t head = rd_acq(c, c->peer, SMD_HEAD), avail;

		/*
		 * Data before head; and a head from before the peer's reset only while it is
		 * still OPENED (it writes its state before zeroing its indices). A peer that is
		 * not OPENED has nothing for us: its indices restart at 0.
		 */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (rd(c, c->peer, SMD_STATE) != RPMSG_SMD_OPENED)
			break;
		if (head >= c->rxn) {
			rx_bad(c);
			break;
		}
		avail = (head - c->rx_tail) & mask;
		if (!c->pkt_pending) {
			uint8_t hdr[SMD_PKT_HDR];

			if (avail < SMD_PKT_HDR)
				break;
			fifo_read(c->rxf, c->rxn, c->rx_tail, hdr, SMD_PKT_HDR);
			c->pkt_len = smd_get_le32(hdr);
			if (c->pkt_len > c->rxn - 1 - SMD_PKT_HDR) {
				rx_bad(c); /* can never fit: the stream is lost */
				break;
			}
			c->rx_tail = (c->rx_tail + SMD_PKT_HDR) & mask;
			wr_rel(c, c->peer, SMD_TAIL, c->rx_tail);
			c->pkt_pending = true;
			moved = true;
			continue;
		}
		if (avail < c->pkt_len || budget == 0)
			break;
		{
			uint32_t len = c->pkt_len;
			void *data;
			int r;

			if (c->rx_tail + len <= c->rxn) {
				data = c->rxf + c->rx_tail;
			} else {
				fifo_read(c->rxf, c->rxn, c->rx_tail, c->bounce, len);
				data = c->bounce;
			}
			r = deliver(c, data, len);
			if (r < 0 && r != -ENOENT) {
				rpmsg_stat_add(&s->stats.rx_held, 1);
				break; /* not consumed: stays until the next interrupt */
			}
			if (atomic_load(&c->local_state) != RPMSG_SMD_OPENED || !c->ept)
				break; /* closed from the callback: the reset emptied the FIFO */
			c->rx_tail = (c->rx_tail + len) & mask;
			wr_rel(c, c->peer, SMD_TAIL, c->rx_tail);
			c->pkt_pending = false;
			moved = true;
			budget--;
			n++;
			rpmsg_stat_add(&s->stats.rx_msgs, 1);
			rpmsg_stat_add(&s->stats.rx_bytes, len);
		}
	}
	if (budget == 0)
		atomic_store(&s->kick, true); /* come back for the rest */
	if (moved && atomic_load(&c->local_state) == RPMSG_SMD_OPENED) {
		wr(c, c->peer, SMD_TAIL_F, 1);
		/* Our tail store before the peer's "wake me" flag: pairs with the sender's fence. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (!rd(c, c->peer, SMD_BLOCK_F))
			ring(s);
	}
out:
	rpmsg_mutex_unlock(&c->rx_lock);
	return n;
}

/*
 * Main CPU: whether the remote ended the session we are OPENING/OPENED in: it is neither
 * OPENING nor OPENED (closed, reset, restarting, or an unknown state), or it went back to
 * OPENING after we saw it OPENED (a reset we did not see happen).
 */
static bool session_over(struct chan *c, uint32_t ls, uint32_t rs)
{
	if (ls != RPMSG_SMD_OPENING && ls != RPMSG_SMD_OPENED)
		return false;
	return !peer_open(rs) ||
	       (ls == RPMSG_SMD_OPENED && rs != RPMSG_SMD_OPENED && atomic_load(&c->peer_opened));
}

/*
 * Main CPU's state worker: a channel whose remote opened and that has no rpmsg channel
 * gets one; one whose remote left while we are open loses it. The channel is closed before
 * the rpmsg channel goes, so that blocked senders have returned (-EPIPE) when drivers see
 * remove. Runs in process() only (and at creation), so never twice at once.
 */
static void state_worker(struct smd *s)
{
	char add[MAX_CHANNELS][RPMSG_NAME_SIZE], del[MAX_CHANNELS][RPMSG_NAME_SIZE];
	struct chan *shut[MAX_CHANNELS];
	unsigned nadd = 0, ndel = 0, nshut = 0;

	rpmsg_mutex_lock(&s->lock);
	for (unsigned i = 0; i < atomic_load(&s->nch); i++) {
		struct chan *c = s->ch[i];
		uint32_t ls = atomic_load(&c->local_state), rs = rd(c, c->peer, SMD_STATE);

		if (c->reset || session_over(c, ls, rs)) {
			if (c->reset || rs == RPMSG_SMD_RESET || rs == RPMSG_SMD_RESET_OPENING ||
			    peer_open(rs))
				rpmsg_stat_add(&s->stats.resets, 1);
			c->reset = false;
			if (c->has_dev) {
				c->has_dev = false;
				memcpy(del[ndel++], c->name, RPMSG_NAME_SIZE);
			}
			if (ls == RPMSG_SMD_OPENED) /* an OPENING one is create_ept's to time out */
				shut[nshut++] = c;
		} else if (ls == RPMSG_SMD_CLOSED && !c->has_dev &&
			   (peer_open(rs) || !strcmp(c->name, "rpm_requests"))) {
			c->has_dev = true;
			memcpy(add[nadd++], c->name, RPMSG_NAME_SIZE);
		}
	}
	rpmsg_mutex_unlock(&s->lock);
	/* An endpoint some client created by name stays, closed: its sends fail with -EPIPE. */
	for (unsigned i = 0; i < nshut; i++) {
		struct chan *c = shut[i];

		if (session_over(c, atomic_load(&c->local_state), rd(c, c->peer, SMD_STATE)))
			close_chan(c, false);
	}
	for (unsigned i = 0; i < ndel; i++) {
		struct rpmsg_channel_info info = { .src = RPMSG_ADDR_ANY, .dst = RPMSG_ADDR_ANY };

		memcpy(info.name, del[i], RPMSG_NAME_SIZE);
		rpmsg_channel_remove(s->link, &info); /* unbinds: the endpoint lets go */
	}
	for (unsigned i = 0; i < nadd; i++) {
		struct rpmsg_channel_info info = { .src = RPMSG_ADDR_ANY, .dst = RPMSG_ADDR_ANY };

		memcpy(info.name, add[i], RPMSG_NAME_SIZE);
		rpmsg_channel_add(s->link, &info, false, NULL);
	}
}

static int smd_process(struct rpmsg_link *link)
{
	struct smd *s = rpmsg_link_priv(link);
	int n = 0;

	s->plat->ops->ack(s->plat, s->cfg.doorbell);
	atomic_store(&s->kick, false);
	for (unsigned i = 0; i < atomic_load(&s->nch); i++)
		n += chan_rx(s->ch[i]);
	if (!s->remote) {
		maybe_scan(s);
		state_worker(s);
	}
	return n;
}

static int smd_arm(struct rpmsg_link *link)
{
	struct smd *s = rpmsg_link_priv(link);

	if (atomic_load(&s->kick))
		return 1;
	return s->plat->ops->arm(s->plat, s->cfg.doorbell) > 0;
}

static bool smd_is_up(struct rpmsg_link *link)
{
	(void)link;
	return true; /* SMEM is attached; channels come and go on their own */
}

/* ---- transmit ---- */

static int chan_send(struct chan *c, const void *data, size_t len, int timeout_ms)
{
	struct smd *s = c->smd;
	uint64_t deadline = timeout_ms > 0 ? now_ns(s) + (uint64_t)timeout_ms * 1000000u : 0;
	uint32_t total, mask = c->txn - 1, tail;
	uint8_t hdr[SMD_PKT_HDR];
	bool blocked = false, waited = false;
	int ret = 0;

	if (len > c->txn - 1 - SMD_PKT_HDR)
		return -EMSGSIZE;
	if (c->word && (len & 3))
		return -EINVAL;
	total = (uint32_t)len + SMD_PKT_HDR;
	rpmsg_mutex_lock(&c->tx_lock);
	for (;;) {
		uint32_t st = atomic_load(&c->local_state), used;
		int slice = WAIT_SLICE_MS;

		if (atomic_load(&c->closing) || (st != RPMSG_SMD_OPENED && st != RPMSG_SMD_OPENING)) {
			ret = -EPIPE;
			break;
		}
		if (c->tx_broken) {
			ret = -EIO;
			break;
		}
		if (st == RPMSG_SMD_OPENED) {
			tail = rd_acq(c, c->own, SMD_TAIL);
			if (tail >= c->txn) {
				rpmsg_stat_add(&s->stats.rx_bad, 1);
				c->tx_broken = true;
				ret = -EIO;
				break;
			}
			used = (c->tx_head - tail) & mask;
			if (mask - used >= total)
				break;
		}
		/* No room (or the open handshake is not finished). */
		if (timeout_ms == 0) {
			ret = -EAGAIN;
			break;
		}
		if (!waited) {
			waited = true;
			rpmsg_stat_add(&s->stats.tx_waits, 1);
		}
		if (!blocked && st == RPMSG_SMD_OPENED) {
			/* Ask for a doorbell when the peer reads, then look again before sleeping. */
			wr(c, c->own, SMD_BLOCK_F, 0);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			blocked = true;
			continue;
		}
		if (timeout_ms > 0) {
			uint64_t now = now_ns(s);

			if (now >= deadline) {
				ret = -ETIMEDOUT;
				break;
			}
			/* Below a slice: a 32-bit division (no libgcc call on 32-bit cores). */
			if (deadline - now < (uint64_t)slice * 1000000u)
				slice = (int)((uint32_t)(deadline - now) / 1000000u) + 1;
		}
		if (rpmsg_platform_wait(s->plat, s->cfg.doorbell, slice) && slice == WAIT_SLICE_MS)
			/* A whole slice without a doorbell: the peer may have slept through the
			 * one that told it about our data (a lost interrupt), and nothing else
			 * would wake it to read. Ring again; if it was awake, it is spurious. */
			ring(s);
	}
	if (blocked)
		wr(c, c->own, SMD_BLOCK_F, 1);
	if (!ret) {
		wr(c, c->own, SMD_TAIL_F, 0);
		smd_encode_pkt_header(hdr, (uint32_t)len);
		fifo_write(c->txf, c->txn, c->tx_head, hdr, SMD_PKT_HDR);
		if (len)
			fifo_write(c->txf, c->txn, (c->tx_head + SMD_PKT_HDR) & mask, data,
				   (uint32_t)len);
		c->tx_head = (c->tx_head + total) & mask;
		__atomic_thread_fence(__ATOMIC_RELEASE); /* data before head */
		wr_rel(c, c->own, SMD_HEAD, c->tx_head);
		wr(c, c->own, SMD_HEAD_F, 1);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		rpmsg_stat_add(&s->stats.tx_msgs, 1);
		rpmsg_stat_add(&s->stats.tx_bytes, len);
	}
	rpmsg_mutex_unlock(&c->tx_lock);
	if (!ret)
		ring(s);
	return ret;
}

static int smd_send(struct rpmsg_link *link, struct rpmsg_endpoint *ept, uint32_t src,
		    uint32_t dst, const void *data, size_t len, int timeout_ms)
{
	struct chan *c = ept ? rpmsg_ept_tpriv(ept) : NULL;

	(void)link;
	(void)src;
	(void)dst; /* point to point: the channel is the destination */
	if (!c)
		return -ENOTCONN;
	return chan_send(c, data, len, timeout_ms);
}

static int smd_poll_tx(struct rpmsg_link *link, struct rpmsg_endpoint *ept)
{
	struct chan *c = rpmsg_ept_tpriv(ept);
	uint32_t tail, room;

	(void)link;
	if (!c || atomic_load(&c->local_state) != RPMSG_SMD_OPENED)
		return 0;
	if (rpmsg_mutex_trylock(&c->tx_lock))
		return 0; /* a sender is there, waiting for room */
	tail = rd(c, c->own, SMD_TAIL);
	room = tail < c->txn ? (c->txn - 1) - ((c->tx_head - tail) & (c->txn - 1)) : 0;
	rpmsg_mutex_unlock(&c->tx_lock);
	return room > SMD_PKT_HDR; /* as Linux: more than a header's worth */
}

/* ---- endpoints open and close channels ---- */

static int smd_create_ept(struct rpmsg_link *link, struct rpmsg_endpoint *ept)
{
	struct smd *s = rpmsg_link_priv(link);
	const char *name = rpmsg_ept_name(ept);
	uint64_t deadline = now_ns(s) + (uint64_t)s->cfg.open_timeout_ms * 1000000u;
	struct chan *c;
	uint32_t ls, rs;
	int ret = 0;

	if (!name || !name[0])
		return -EINVAL; /* an SMD endpoint is a channel: it needs the channel's name */
	if (strlen(name) > RPMSG_SMD_NAME_MAX)
		return -EINVAL;
	rpmsg_mutex_lock(&s->lock);
	c = find_chan(s, name);
	if (!c && s->remote)
		ret = create_chan_locked(s, name, &c);
	rpmsg_mutex_unlock(&s->lock);
	if (ret)
		return ret;
	/* Main: the remote may not have announced it yet; look for up to the open timeout. */
	while (!c) {
		rpmsg_mutex_lock(&s->lock);
		scan_locked(s);
		c = find_chan(s, name);
		rpmsg_mutex_unlock(&s->lock);
		if (c || now_ns(s) >= deadline)
			break;
		rpmsg_os_sleep_ms(10);
	}
	if (!c)
		return -ENOENT;

	rpmsg_mutex_lock(&c->rx_lock);
	ls = atomic_load(&c->local_state);
	/* A remote may open a channel it is starting over (RESET): it opens when it can. */
	if (c->ept || (ls != RPMSG_SMD_CLOSED && !(s->remote && ls == RPMSG_SMD_RESET))) {
		rpmsg_mutex_unlock(&c->rx_lock);
		return -EBUSY;
	}
	c->ept = ept;
	c->ept_addr = rpmsg_ept_addr(ept);
	rpmsg_ept_set_tpriv(ept, c);
	/* Point to point: the core wants a destination other than ANY for send(). */
	if (rpmsg_ept_dst(ept) == RPMSG_ADDR_ANY)
		rpmsg_ept_set_dst(ept, 0);
	rpmsg_mutex_lock(&s->lock);
	rs = rd(c, c->peer, SMD_STATE);
	if (s->remote && rs == RPMSG_SMD_OPENED) {
		/*
		 * The main CPU is still OPENED with us from before our close or restart: tell it
		 * (RESET) and wait until it has closed, or stale indices would be used.
		 */
		set_state_locked(c, RPMSG_SMD_RESET);
	} else {
		set_state_locked(c, RPMSG_SMD_OPENING);
		if (peer_open(rs))
			set_state_locked(c, RPMSG_SMD_OPENED);
	}
	rpmsg_mutex_unlock(&s->lock);
	rpmsg_mutex_unlock(&c->rx_lock);
	atomic_store(&s->kick, true); /* data sent before we opened: deliver it (announce_create) */

	/* Main: wait for the remote to be there (it usually is: that is how we found it). */
	while (!s->remote && atomic_load(&c->local_state) == RPMSG_SMD_OPENING) {
		rs = rd(c, c->peer, SMD_STATE);
		if (peer_open(rs)) {
			rpmsg_mutex_lock(&s->lock);
			if (atomic_load(&c->local_state) == RPMSG_SMD_OPENING)
				set_state_locked(c, RPMSG_SMD_OPENED);
			rpmsg_mutex_unlock(&s->lock);
			break;
		}
		if (now_ns(s) >= deadline) {
			close_chan(c, true);
			rpmsg_ept_set_tpriv(ept, NULL);
			return -ETIMEDOUT;
		}
		rpmsg_platform_wait(s->plat, s->cfg.doorbell, 10);
	}
	return 0;
}

static void smd_destroy_ept(struct rpmsg_link *link, struct rpmsg_endpoint *ept)
{
	struct chan *c = rpmsg_ept_tpriv(ept);

	(void)link;
	if (!c)
		return;
	close_chan(c, true);
	rpmsg_ept_set_tpriv(ept, NULL);
}

static void smd_destroy(struct rpmsg_link *link)
{
	struct smd *s = rpmsg_link_priv(link);

	for (unsigned i = 0; i < atomic_load(&s->nch); i++)
		free_chan(s->ch[i]);
	if (!s->keep_plat && s->plat->ops->destroy)
		s->plat->ops->destroy(s->plat);
	rpmsg_mutex_destroy(&s->lock);
	rpmsg_os_free(s);
}

static const struct rpmsg_transport_ops smd_ops = {
	.send = smd_send,
	.poll_tx = smd_poll_tx,
	.create_ept = smd_create_ept,
	.destroy_ept = smd_destroy_ept,
	.process = smd_process,
	.arm = smd_arm,
	.is_up = smd_is_up,
	.destroy = smd_destroy,
};

/* ---- set-up ---- */

static int attach_smem(struct smd *s)
{
	struct smem_setup_cfg sc = {
		.smem_size = s->cfg.smem_size, .format = s->cfg.format_smem,
		.version = s->cfg.smem_version, .remote_host = s->cfg.remote_host,
		.local_host = s->remote ? s->cfg.remote_host : SMEM_HOST_APPS,
		.timeout_ms = s->cfg.attach_timeout_ms,
	};

	return smem_setup(&s->smem, s->plat->shm.va, s->plat->shm.size, &sc);
}

int rpmsg_smd_create(struct rpmsg_bus *bus, struct rpmsg_platform *plat,
		     const struct rpmsg_smd_config *cfg, struct rpmsg_link **out)
{
	struct rpmsg_link_desc desc = { .transport = "smd", .ops = &smd_ops,
					.flags = RPMSG_LINK_F_P2P | RPMSG_LINK_F_SETUP };
	struct smd *s;
	int ret, fd;

	if (!bus || !plat || !plat->ops || !cfg || !out)
		return -EINVAL;
	if (cfg->role != RPMSG_SMD_MAIN && cfg->role != RPMSG_SMD_REMOTE)
		return -EINVAL;
	s = rpmsg_os_zalloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->plat = plat;
	s->cfg = *cfg;
	s->remote = cfg->role == RPMSG_SMD_REMOTE;
	s->watched = -1;
	if (!s->cfg.remote_host)
		s->cfg.remote_host = 1;
	if (!s->cfg.smem_version)
		s->cfg.smem_version = SMEM_PART_VERSION;
	if (!s->cfg.attach_timeout_ms)
		s->cfg.attach_timeout_ms = 5000;
	if (!s->cfg.fifo_size)
		s->cfg.fifo_size = 8192;
	if (!s->cfg.open_timeout_ms)
		s->cfg.open_timeout_ms = 1000;
	s->host = s->remote ? SMEM_HOST_APPS : s->cfg.remote_host;
	rpmsg_mutex_init(&s->lock, false);
	ret = -EINVAL;
	if (s->cfg.edge > 0xFF || s->cfg.remote_host >= SMEM_HOST_COUNT ||
	    s->cfg.doorbell >= RPMSG_PLATFORM_BELLS || s->cfg.fifo_size < MIN_FIFO ||
	    s->cfg.fifo_size > MAX_FIFO || (s->cfg.fifo_size & (s->cfg.fifo_size - 1)) ||
	    (s->cfg.smem_version != SMEM_HEAP_VERSION && s->cfg.smem_version != SMEM_PART_VERSION))
		goto fail;
	ret = attach_smem(s);
	if (ret)
		goto fail;
	desc.name = cfg->name ? cfg->name : "smd";
	desc.priv = s;
	ret = rpmsg_link_register(bus, &desc, &s->link);
	if (ret)
		goto fail;
	fd = plat->ops->fd ? plat->ops->fd(plat, s->cfg.doorbell) : -1;
	if (fd >= 0 && !rpmsg_link_watch_fd(s->link, fd))
		s->watched = fd;
	if (s->remote && cfg->channels) {
		for (const char *const *n = cfg->channels; *n; n++) {
			struct rpmsg_channel_info info = { .src = RPMSG_ADDR_ANY, .dst = RPMSG_ADDR_ANY };
			struct chan *c = NULL;

			rpmsg_mutex_lock(&s->lock);
			ret = find_chan(s, *n) ? -EEXIST : create_chan_locked(s, *n, &c);
			rpmsg_mutex_unlock(&s->lock);
			if (!ret) {
				rpmsg_name_copy(info.name, sizeof(info.name), *n);
				ret = rpmsg_channel_add(s->link, &info, false, NULL);
			}
			if (ret) {
				s->keep_plat = true;
				rpmsg_link_destroy(s->link); /* frees s */
				return ret;
			}
		}
	} else if (!s->remote) {
		maybe_scan(s);
		state_worker(s);
	}
	rpmsg_link_ready(s->link);
	*out = s->link;
	return 0;
fail:
	rpmsg_mutex_destroy(&s->lock);
	rpmsg_os_free(s);
	return ret;
}

int rpmsg_smd_channel_state(struct rpmsg_link *link, const char *name, uint32_t *local,
			    uint32_t *remote)
{
	struct smd *s;
	struct chan *c;

	if (!link || !name || strcmp(rpmsg_link_transport(link), "smd"))
		return -EINVAL;
	s = rpmsg_link_priv(link);
	rpmsg_mutex_lock(&s->lock);
	c = find_chan(s, name);
	if (c) {
		if (local)
			*local = atomic_load(&c->local_state);
		if (remote)
			*remote = rd(c, c->peer, SMD_STATE);
	}
	rpmsg_mutex_unlock(&s->lock);
	return c ? 0 : -ENOENT;
}

int rpmsg_smd_reset(struct rpmsg_link *link)
{
	struct smd *s;

	if (!link || strcmp(rpmsg_link_transport(link), "smd"))
		return -EINVAL;
	s = rpmsg_link_priv(link);
	if (!s->remote) {
		/* A lock the dead remote held would stop its successor's allocations. */
		uint32_t held = (uint32_t)s->cfg.remote_host + 1u;

		atomic_compare_exchange_strong(s->smem.lock, &held, 0);
	}
	for (unsigned i = 0; i < atomic_load(&s->nch); i++) {
		struct chan *c = s->ch[i];

		if (s->remote) {
			rpmsg_mutex_lock(&c->rx_lock);
			restart_chan(c, true);
			rpmsg_mutex_unlock(&c->rx_lock);
			continue;
		}
		/*
		 * The remote cannot say it is gone: say it in its record, so that its stale
		 * OPENED does not bring the channel back before it restarts.
		 */
		rpmsg_mutex_lock(&s->lock);
		wr(c, c->peer, SMD_STATE, RPMSG_SMD_RESET);
		/* A session to end (an idle channel has none: nothing to remove or count). */
		c->reset |= c->has_dev || atomic_load(&c->local_state) != RPMSG_SMD_CLOSED;
		rpmsg_mutex_unlock(&s->lock);
		if (atomic_load(&c->local_state) == RPMSG_SMD_OPENED)
			close_chan(c, false); /* an OPENING one is create_ept's to time out */
	}
	atomic_store(&s->kick, true); /* the next poll removes (main) or reopens (remote) */
	rpmsg_bus_wake(rpmsg_link_bus(link));
	return 0;
}

int rpmsg_smd_get_stats(struct rpmsg_link *link, struct rpmsg_smd_stats *out)
{
	struct smd *s;

	if (!link || !out || strcmp(rpmsg_link_transport(link), "smd"))
		return -EINVAL;
	s = rpmsg_link_priv(link);
	out->tx_msgs = rpmsg_stat_get(&s->stats.tx_msgs);
	out->rx_msgs = rpmsg_stat_get(&s->stats.rx_msgs);
	out->tx_bytes = rpmsg_stat_get(&s->stats.tx_bytes);
	out->rx_bytes = rpmsg_stat_get(&s->stats.rx_bytes);
	out->rx_bad = rpmsg_stat_get(&s->stats.rx_bad);
	out->rx_held = rpmsg_stat_get(&s->stats.rx_held);
	out->notifies = rpmsg_stat_get(&s->stats.notifies);
	out->tx_waits = rpmsg_stat_get(&s->stats.tx_waits);
	out->scans = rpmsg_stat_get(&s->stats.scans);
	out->channels = atomic_load(&s->nch);
	out->resets = rpmsg_stat_get(&s->stats.resets);
	return 0;
}
