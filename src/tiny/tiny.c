// SPDX-License-Identifier: BSD-3-Clause
/*
 * rpmsg tiny: virtio_rpmsg's device role with nothing but endpoints and the name service
 * (include/rpmsg/tiny.h). The split rings are src/virtio/vring.c; the rpmsg header is
 * src/virtio/rpmsg_wire.h. Wire rules: spec 10-virtio.md.
 *
 * Trust: the table fields, ring contents, descriptor addresses and lengths and the rpmsg
 * header all come from the main CPU. vring.c reads ring fields once and checks indices and
 * descriptor flags; here every descriptor address is mapped only if the whole buffer lies
 * in the shared memory and clear of the table and both rings, the header is copied out
 * before it is parsed, and its length is checked against the descriptor's.
 */
#include <string.h>

#include <rpmsg/tiny.h>

#include "virtio/rpmsg_wire.h"
#include "virtio/vring.h"

#define ST_DRIVER_OK 0x04u
#define ST_NEEDS_RESET 0x40u
#define F_EVENT_IDX (1u << 29)
#define NS_MSG_SIZE 40u
#define ADDR_FIRST 1024u
#define ADDR_MAX 0x7FFFFFFFu
#define NO_STASH 0xFFFFu

_Static_assert(sizeof(struct vq) <= sizeof(((struct rpmsg_tiny *)0)->vq[0]),
	       "RPMSG_TINY_VQ_WORDS is too small for struct vq: keep tiny.h and vring.h in step");
_Static_assert(sizeof(struct rpmsg_tiny_rsc_table) == 88, "resource table layout (spec §11)");
_Static_assert(offsetof(struct rpmsg_tiny_rsc_table, vring) == 20 + 28, "vdev entry at 20");

static inline struct vq *vqp(struct rpmsg_tiny *d, unsigned i)
{
	return (struct vq *)(void *)d->vq[i];
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define HOST_BE 1
#else
#define HOST_BE 0
#endif

/* A u32 between our order and the link's (table fields are naturally aligned u32s). */
static uint32_t conv32(uint32_t v, bool be)
{
	return be != HOST_BE ? __builtin_bswap32(v) : v;
}

/* A table field, read once (the main CPU writes some of them). */
static uint32_t tget(const struct rpmsg_tiny *d, const uint32_t *f)
{
	return conv32(__atomic_load_n(f, __ATOMIC_RELAXED), d->be);
}

static void tput(uint32_t *f, uint32_t v, bool be)
{
	__atomic_store_n(f, conv32(v, be), __ATOMIC_RELAXED);
}

void rpmsg_tiny_table_init(struct rpmsg_tiny_rsc_table *t, uint32_t features, uint32_t num,
			   uint32_t align, uint32_t da0, uint32_t da1, bool big_endian)
{
	uint32_t *w = &t->ver;

	__atomic_store_n(&t->ver, 0u, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	memset(w + 1, 0, sizeof(*t) - 4);
	t->num = 1;
	t->offset[0] = 20;
	t->type = 3; /* VDEV */
	t->id = 7;   /* rpmsg */
	t->dfeatures = features;
	for (unsigned i = 0; i < 2; i++) {
		t->vring[i].da = i ? da1 : da0;
		t->vring[i].align = align;
		t->vring[i].num = num;
		t->vring[i].notifyid = i;
	}
	/* Into the main CPU's order (the status word is still zero), then the byte fields. */
	for (unsigned i = 1; i < sizeof(*t) / 4; i++)
		w[i] = conv32(w[i], big_endian);
	t->num_of_vrings = 2;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	tput(&t->ver, 1, big_endian);
}

int rpmsg_tiny_init(struct rpmsg_tiny *dev, const struct rpmsg_tiny_config *cfg)
{
	if (!dev || !cfg || !cfg->table || !cfg->shm || !cfg->shm_size || !cfg->notify)
		return -EINVAL;
	memset(dev, 0, sizeof(*dev));
	dev->table = cfg->table;
	dev->shm = cfg->shm;
	dev->shm_pa = cfg->shm_pa;
	dev->shm_size = cfg->shm_size;
	dev->be = cfg->big_endian;
	dev->notify = cfg->notify;
	dev->notify_arg = cfg->notify_arg;
	dev->stash_head = NO_STASH;
	return 0;
}

/* ---- memory ---- */

static bool overlaps(const void *a, size_t alen, const void *b, size_t blen)
{
	uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;

	return x < y + blen && y < x + alen;
}

/*
 * The main CPU's address `pa` for `len` bytes, as we see it: NULL unless all of it lies in
 * the shared memory, clear of the resource table and of the rings mapped so far.
 */
static uint8_t *map(struct rpmsg_tiny *d, uint64_t pa, size_t len)
{
	uint64_t off = pa - d->shm_pa;
	uint8_t *p;

	if (pa < d->shm_pa || off > d->shm_size || len > d->shm_size - off)
		return NULL;
	p = d->shm + off;
	if (overlaps(p, len, d->table, sizeof(*d->table)))
		return NULL;
	for (unsigned i = 0; i < 2; i++)
		if (overlaps(p, len, vqp(d, i)->mem, vqp(d, i)->ring_size))
			return NULL;
	return p;
}

/* ---- link state ---- */

static void set_status(struct rpmsg_tiny *d, uint8_t s)
{
	__atomic_store_n(&d->table->status, s, __ATOMIC_RELEASE);
}

static void go_down(struct rpmsg_tiny *d)
{
	d->up = 0;
	for (struct rpmsg_tiny_ept *e = d->epts; e; e = e->next)
		e->announced = false;
}

/* The main CPU broke the ring protocol: ask it for a reset and stay down until then. */
static int fault(struct rpmsg_tiny *d)
{
	uint8_t s = (uint8_t)(__atomic_load_n(&d->table->status, __ATOMIC_ACQUIRE) | ST_NEEDS_RESET);

	set_status(d, s);
	d->refused = s;
	d->rx_bad++;
	go_down(d);
	return -EIO;
}

/* DRIVER_OK is set: map both rings from the table as the main CPU left it. */
static int link_up(struct rpmsg_tiny *d)
{
	struct rpmsg_tiny_rsc_table *t = d->table;
	unsigned flags;

	d->features = tget(d, &t->gfeatures) & tget(d, &t->dfeatures);
	flags = (d->be ? VQ_F_BIG_ENDIAN : 0) | ((d->features & F_EVENT_IDX) ? VQ_F_EVENT_IDX : 0);
	memset(d->vq, 0, sizeof(d->vq));
	for (unsigned i = 0; i < 2; i++) {
		uint32_t da = tget(d, &t->vring[i].da), align = tget(d, &t->vring[i].align);
		uint32_t num = tget(d, &t->vring[i].num);
		size_t size = vring_size(num, align);
		uint8_t *mem = size ? map(d, da, size) : NULL;

		if (!mem || vq_init(vqp(d, i), VQ_DEVICE, mem, size, num, align, flags))
			return -1;
		d->nid[i] = tget(d, &t->vring[i].notifyid);
	}
	if (vqp(d, 0)->num != vqp(d, 1)->num)
		return -1;
	vq_disable_notify(vqp(d, 0)); /* refilled receive buffers need no doorbell */
	vq_enable_notify(vqp(d, 1));  /* every message does */
	d->stash_head = NO_STASH;
	d->up = 1;
	return 0;
}

/*
 * Is each ring's used.idx (ours to write) still what we published? A main CPU that reset
 * and set the rings up again between two looks (status 7 -> 0 -> 7) has zeroed them: map
 * them afresh rather than call its new rings hostile.
 */
static bool rings_intact(struct rpmsg_tiny *d)
{
	for (unsigned i = 0; i < 2; i++) {
		struct vq *q = vqp(d, i);
		uint16_t raw = __atomic_load_n((const uint16_t *)(const void *)(q->used + 2),
					       __ATOMIC_RELAXED);

		if ((d->be != HOST_BE ? __builtin_bswap16(raw) : raw) != q->pub_idx)
			return false;
	}
	return true;
}

bool rpmsg_tiny_is_up(struct rpmsg_tiny *d)
{
	uint8_t s = __atomic_load_n(&d->table->status, __ATOMIC_ACQUIRE);

	if (!(s & ST_DRIVER_OK)) {
		go_down(d);
		d->refused = 0;
		return false;
	}
	if (d->up) {
		if (rings_intact(d))
			return true;
		go_down(d);
	}
	if (s == d->refused)
		return false;
	if (link_up(d)) {
		s |= ST_NEEDS_RESET;
		set_status(d, s);
		d->refused = s;
		d->rx_bad++;
		memset(d->vq, 0, sizeof(d->vq));
		return false;
	}
	return true;
}

/* ---- endpoints ---- */

static struct rpmsg_tiny_ept *find(struct rpmsg_tiny *d, uint32_t addr)
{
	struct rpmsg_tiny_ept *e = d->epts;

	while (e && e->addr != addr)
		e = e->next;
	return e;
}

int rpmsg_tiny_ept_create(struct rpmsg_tiny *dev, struct rpmsg_tiny_ept *ept, uint32_t addr,
			  rpmsg_tiny_cb cb, void *priv)
{
	if (!dev || !ept || (addr > ADDR_MAX && addr != RPMSG_TINY_ADDR_ANY) ||
	    addr == RPMSG_TINY_NS_ADDR)
		return -EINVAL;
	if (addr == RPMSG_TINY_ADDR_ANY)
		for (addr = ADDR_FIRST; find(dev, addr); addr++)
			;
	else if (find(dev, addr))
		return -EADDRINUSE;
	memset(ept, 0, sizeof(*ept));
	ept->dev = dev;
	ept->addr = addr;
	ept->dst = RPMSG_TINY_ADDR_ANY;
	ept->cb = cb;
	ept->priv = priv;
	ept->next = dev->epts;
	dev->epts = ept;
	return 0;
}

/* ---- transmit ---- */

/* Hand a filled vq0 buffer (header and `len` payload bytes written) to the main CPU. */
static int tx_put(struct rpmsg_tiny *d, uint16_t head, uint32_t len)
{
	if (vq_put_used(vqp(d, 0), head, RPMSG_HDR_SIZE + len))
		return fault(d);
	if (vq_publish(vqp(d, 0)))
		d->notify(d->notify_arg, d->nid[0]);
	return 0;
}

/*
 * Take the next vq0 buffer that can carry `len` payload bytes and write its header.
 * Buffers that are not ours to write are given back empty and counted.
 */
static int tx_get(struct rpmsg_tiny *d, uint32_t src, uint32_t dst, uint32_t len,
		  uint8_t **buf, uint16_t *head)
{
	struct vq *q = vqp(d, 0);
	uint32_t blen;
	uint8_t *p;
	int h;

	if (!rpmsg_tiny_is_up(d))
		return -ENOTCONN;
	if (d->stash_head != NO_STASH) {
		h = d->stash_head;
		p = d->stash;
		blen = d->stash_len;
	} else {
		for (;;) {
			uint64_t addr;
			uint16_t fl;

			h = vq_get_avail(q, &addr, &blen, &fl);
			if (h == -EAGAIN)
				return -EAGAIN;
			if (h < 0)
				return fault(d);
			p = blen >= RPMSG_HDR_SIZE ? map(d, addr, blen) : NULL;
			if (p)
				break;
			d->rx_bad++;
			vq_put_used(q, (uint16_t)h, 0);
		}
	}
	if (len > 0xFFFFu || len > blen - RPMSG_HDR_SIZE) {
		d->stash_head = (uint16_t)h;
		d->stash = p;
		d->stash_len = blen;
		return -EMSGSIZE;
	}
	d->stash_head = NO_STASH;
	rpmsg_hdr_write(p, src, dst, (uint16_t)len, d->be);
	*buf = p + RPMSG_HDR_SIZE;
	*head = (uint16_t)h;
	return 0;
}

int rpmsg_tiny_sendto(struct rpmsg_tiny_ept *ept, uint32_t dst, const void *data, size_t len)
{
	uint8_t *buf;
	uint16_t head;
	int ret;

	if (dst == RPMSG_TINY_ADDR_ANY || (len && !data))
		return -EINVAL;
	if (len > 0xFFFFu)
		return -EMSGSIZE;
	ret = tx_get(ept->dev, ept->addr, dst, (uint32_t)len, &buf, &head);
	if (ret)
		return ret;
	if (len)
		memcpy(buf, data, len);
	return tx_put(ept->dev, head, (uint32_t)len);
}

int rpmsg_tiny_send(struct rpmsg_tiny_ept *ept, const void *data, size_t len)
{
	if (ept->dst == RPMSG_TINY_ADDR_ANY)
		return -EDESTADDRREQ;
	return rpmsg_tiny_sendto(ept, ept->dst, data, len);
}

/* ---- name service ---- */

static int ns_send(struct rpmsg_tiny_ept *ept, uint32_t flags)
{
	struct rpmsg_tiny *d = ept->dev;
	const char *name = ept->name;
	uint8_t *m;
	uint16_t head;
	int ret;

	if (!rpmsg_tiny_is_up(d))
		return -ENOTCONN;
	if (!(d->features & RPMSG_TINY_F_NS))
		return -ENOTSUP;
	ret = tx_get(d, ept->addr, RPMSG_TINY_NS_ADDR, NS_MSG_SIZE, &m, &head);
	if (ret)
		return ret;
	for (unsigned i = 0; i < RPMSG_TINY_NAME_SIZE; i++) {
		m[i] = (uint8_t)*name;
		name += *name != 0; /* NUL-padded after the end */
	}
	rpmsg_wire_put(m + 32, 4, ept->addr, d->be);
	rpmsg_wire_put(m + 36, 4, flags, d->be);
	return tx_put(d, head, NS_MSG_SIZE);
}

int rpmsg_tiny_announce(struct rpmsg_tiny_ept *ept, const char *name)
{
	size_t n = 0;
	int ret;

	if (!ept || !name)
		return -EINVAL;
	while (n < RPMSG_TINY_NAME_SIZE && name[n])
		n++;
	if (!n || n >= RPMSG_TINY_NAME_SIZE)
		return -EINVAL;
	ept->name = name;
	ret = ns_send(ept, 0);
	ept->announced = ret == 0;
	return ret;
}

void rpmsg_tiny_ept_destroy(struct rpmsg_tiny_ept *ept)
{
	struct rpmsg_tiny_ept **pp;

	if (!ept || !ept->dev)
		return;
	if (ept->announced)
		(void)ns_send(ept, 1); /* DESTROY: best effort, nothing waits for a buffer */
	for (pp = &ept->dev->epts; *pp; pp = &(*pp)->next) {
		if (*pp == ept) {
			*pp = ept->next;
			break;
		}
	}
	ept->dev = NULL;
}

/* ---- receive ---- */

int rpmsg_tiny_poll(struct rpmsg_tiny *d)
{
	struct vq *q = vqp(d, 1);
	int n = 0;

	if (!rpmsg_tiny_is_up(d))
		return 0;
	for (struct rpmsg_tiny_ept *e = d->epts; e; e = e->next)
		if (e->name && !e->announced && !ns_send(e, 0)) {
			e->announced = true;
			n++;
		}
	for (uint32_t budget = q->num; budget && d->up; budget--) {
		uint8_t hdr[RPMSG_HDR_SIZE];
		struct rpmsg_hdr_fields f;
		struct rpmsg_tiny_ept *e;
		uint64_t addr;
		uint32_t blen;
		uint16_t fl;
		uint8_t *p;
		int h = vq_get_avail(q, &addr, &blen, &fl);

		if (h == -EAGAIN)
			break;
		if (h < 0)
			return fault(d);
		n++;
		p = blen >= RPMSG_HDR_SIZE ? map(d, addr, blen) : NULL;
		if (!p) {
			d->rx_bad++;
			vq_put_used(q, (uint16_t)h, 0);
			continue;
		}
		memcpy(hdr, p, RPMSG_HDR_SIZE); /* once: the main CPU may still write */
		f = rpmsg_hdr_read(hdr, d->be);
		e = find(d, f.dst);
		if (f.len > blen - RPMSG_HDR_SIZE) {
			d->rx_bad++;
		} else if (!e || !e->cb) {
			d->rx_dropped++;
		} else {
			if (e->dst == RPMSG_TINY_ADDR_ANY)
				e->dst = f.src;
			e->cb(e, p + RPMSG_HDR_SIZE, f.len, f.src, e->priv);
		}
		vq_put_used(q, (uint16_t)h, blen);
	}
	if (d->up && vq_publish(q))
		d->notify(d->notify_arg, d->nid[1]);
	return n;
}
