// SPDX-License-Identifier: BSD-3-Clause
/*
 * vhost-user device backend: the message state machine (see vu_proto.h).
 *
 * Ring life: a ring runs ("live") once it has a size, addresses, a kick fd, memory to
 * translate its addresses through and, when VHOST_USER_F_PROTOCOL_FEATURES was acked,
 * SET_VRING_ENABLE(1). GET_VRING_BASE stops it and answers where it stopped; it runs again
 * after the next SET_VRING_KICK. A new memory table restarts live rings in place (same
 * indices, new translation), or stops them when their addresses no longer translate.
 */
#include "vhost_user/vu_proto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static void wr32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void wr64(uint8_t *p, uint64_t v)
{
	wr32(p, (uint32_t)v);
	wr32(p + 4, (uint32_t)(v >> 32));
}

__attribute__((format(printf, 3, 4))) static int refuse(struct vu_dev *d, int err,
							  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->err, sizeof(d->err), fmt, ap);
	va_end(ap);
	d->rejected++;
	return err;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void unmap_regions(struct vu_region *reg, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (reg[i].map)
			munmap(reg[i].map, (size_t)reg[i].map_len);
}

void vu_dev_init(struct vu_dev *d, uint64_t features, uint64_t proto_features)
{
	memset(d, 0, sizeof(*d));
	d->offered = features;
	d->proto_offered = proto_features;
	d->backend_fd = -1;
	for (unsigned q = 0; q < VU_NUM_QUEUES; q++)
		d->ring[q].kick_fd = d->ring[q].call_fd = d->ring[q].err_fd = -1;
}

void vu_dev_reset(struct vu_dev *d)
{
	uint64_t f = d->offered, pf = d->proto_offered, rejected = d->rejected;
	char err[sizeof(d->err)];

	memcpy(err, d->err, sizeof(err));
	unmap_regions(d->reg, d->nreg);
	for (unsigned q = 0; q < VU_NUM_QUEUES; q++) {
		close_fd(&d->ring[q].kick_fd);
		close_fd(&d->ring[q].call_fd);
		close_fd(&d->ring[q].err_fd);
	}
	close_fd(&d->backend_fd);
	vu_dev_init(d, f, pf);
	d->rejected = rejected;
	memcpy(d->err, err, sizeof(err));
}

int vu_hdr_check(struct vu_dev *d, const struct vu_hdr *h)
{
	if ((h->flags & VU_VERSION_MASK) != VU_VERSION)
		return refuse(d, -EPROTO, "request %u: protocol version %u", h->request,
			      h->flags & VU_VERSION_MASK);
	if (h->flags & VU_FLAG_REPLY)
		return refuse(d, -EPROTO, "request %u: a reply sent to the backend", h->request);
	if (h->size > VU_MAX_PAYLOAD)
		return refuse(d, -EPROTO, "request %u: payload of %u bytes", h->request, h->size);
	return 0;
}

/* ---- address translation ---- */

static void *region_ptr(const struct vu_region *r, uint64_t base, uint64_t addr, uint64_t len)
{
	uint64_t off;

	if (addr < base || addr - base >= r->size)
		return NULL;
	off = addr - base;
	if (len > r->size - off)
		return NULL;
	return r->map + r->off + off;
}

void *vu_gpa_ptr(const struct vu_dev *d, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < d->nreg; i++) {
		void *p = region_ptr(&d->reg[i], d->reg[i].gpa, gpa, len);

		if (p)
			return p;
	}
	return NULL;
}

void *vu_uva_ptr(const struct vu_dev *d, uint64_t uva, uint64_t len)
{
	for (unsigned i = 0; i < d->nreg; i++) {
		void *p = region_ptr(&d->reg[i], d->reg[i].uva, uva, len);

		if (p)
			return p;
	}
	return NULL;
}

/* ---- rings ---- */

static void ring_stop(struct vu_dev *d, unsigned q)
{
	struct vu_ring *r = &d->ring[q];

	if (r->live)
		r->base = vq_avail_base(&r->vq);
	r->live = false;
}

/* Start ring q if everything it needs is there. 0 (started or not ready yet) or -errno. */
static int ring_try_start(struct vu_dev *d, unsigned q)
{
	struct vu_ring *r = &d->ring[q];
	bool enabled = (d->features & VU_F_PROTOCOL_FEATURES) ? r->enabled : true;
	void *desc, *avail, *used;
	unsigned flags = 0;

	if (r->live || !r->num || !r->has_addr || !r->kicked || r->kick_fd < 0 || !enabled ||
	    !d->nreg)
		return 0;
	desc = vu_uva_ptr(d, r->desc, 16ull * r->num);
	avail = vu_uva_ptr(d, r->avail, 6ull + 2ull * r->num);
	used = vu_uva_ptr(d, r->used, 6ull + 8ull * r->num);
	if (!desc || !avail || !used)
		return refuse(d, -EFAULT, "vring %u: %s ring outside guest memory", q,
			      !desc ? "descriptor" : !avail ? "available" : "used");
	if (vq_init_parts(&r->vq, VQ_DEVICE, desc, avail, used, r->num, flags, r->base))
		return refuse(d, -EINVAL, "vring %u: misaligned ring addresses", q);
	r->live = true;
	return 0;
}

/* ---- messages ---- */

static int need_size(struct vu_dev *d, const struct vu_hdr *h, uint32_t size)
{
	if (h->size != size)
		return refuse(d, -EINVAL, "request %u: payload of %u bytes, expected %u",
			      h->request, h->size, size);
	return 0;
}

/* The ring index of a state / address message. */
static int ring_index(struct vu_dev *d, const struct vu_hdr *h, uint32_t idx)
{
	if (idx >= VU_NUM_QUEUES)
		return refuse(d, -EINVAL, "request %u: vring %u (the device has %u)", h->request,
			      idx, VU_NUM_QUEUES);
	return 0;
}

static int set_mem_table(struct vu_dev *d, const struct vu_hdr *h, const uint8_t *p, int *fds,
			 unsigned nfds)
{
	struct vu_region nr[VU_MAX_REGIONS];
	uint32_t n;
	bool was_live[VU_NUM_QUEUES];
	int ret = 0;

	if (h->size < 8)
		return refuse(d, -EINVAL, "mem table: payload of %u bytes", h->size);
	n = rd32(p);
	if (n == 0 || n > VU_MAX_REGIONS)
		return refuse(d, -EINVAL, "mem table: %u regions (1..%u)", n, VU_MAX_REGIONS);
	/* QEMU sends just the regions it has; UML its whole fixed-size table (2 slots). */
	if (h->size < 8 + n * VU_REGION_SIZE || h->size > 8 + VU_MAX_REGIONS * VU_REGION_SIZE)
		return refuse(d, -EINVAL, "mem table: %u regions in %u bytes", n, h->size);
	if (nfds != n)
		return refuse(d, -EINVAL, "mem table: %u regions but %u fds", n, nfds);
	memset(nr, 0, sizeof(nr));
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = p + 8 + i * VU_REGION_SIZE;
		struct vu_region *r = &nr[i];
		struct stat st;

		r->gpa = rd64(e);
		r->size = rd64(e + 8);
		r->uva = rd64(e + 16);
		r->off = rd64(e + 24);
		if (!r->size || r->gpa + r->size < r->gpa || r->uva + r->size < r->uva ||
		    r->off + r->size < r->off || r->off + r->size > (uint64_t)SIZE_MAX / 2) {
			ret = refuse(d, -EINVAL, "mem table: region %u: bad size or wraps", i);
			goto fail;
		}
		for (uint32_t j = 0; j < i; j++) {
			const struct vu_region *o = &nr[j];

			if ((r->gpa < o->gpa + o->size && o->gpa < r->gpa + r->size) ||
			    (r->uva < o->uva + o->size && o->uva < r->uva + r->size)) {
				ret = refuse(d, -EINVAL, "mem table: regions %u and %u overlap", j, i);
				goto fail;
			}
		}
		/* Mapping past the end of the file would fault on access: check it first. */
		if (fds[i] < 0 || fstat(fds[i], &st) || !S_ISREG(st.st_mode) ||
		    (uint64_t)st.st_size < r->off + r->size) {
			ret = refuse(d, -EINVAL, "mem table: region %u: fd not a file of %llu bytes",
				     i, (unsigned long long)(r->off + r->size));
			goto fail;
		}
		r->map_len = r->off + r->size;
		r->map = mmap(NULL, (size_t)r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fds[i], 0);
		if (r->map == MAP_FAILED) {
			r->map = NULL;
			ret = refuse(d, -errno, "mem table: region %u: mmap: %s", i, strerror(errno));
			goto fail;
		}
	}
	/* Take the new table; live rings restart over it, where they were. */
	for (unsigned q = 0; q < VU_NUM_QUEUES; q++) {
		was_live[q] = d->ring[q].live;
		ring_stop(d, q);
	}
	unmap_regions(d->reg, d->nreg);
	memcpy(d->reg, nr, sizeof(nr));
	d->nreg = n;
	for (uint32_t i = 0; i < n; i++)
		close_fd(&fds[i]);
	for (unsigned q = 0; q < VU_NUM_QUEUES; q++) {
		int r = ring_try_start(d, q);

		if (r && was_live[q] && !ret)
			ret = r; /* the table was taken, but this ring no longer translates */
	}
	return ret;
fail:
	unmap_regions(nr, n);
	return ret;
}

static int set_vring_fd(struct vu_dev *d, const struct vu_hdr *h, const uint8_t *p, int *fds,
			unsigned nfds)
{
	uint64_t v;
	unsigned q;
	int ret, *slot;

	if ((ret = need_size(d, h, 8)))
		return ret;
	v = rd64(p);
	q = (unsigned)(v & VU_VRING_IDX_MASK);
	if (v & ~(VU_VRING_IDX_MASK | VU_VRING_NOFD))
		return refuse(d, -EINVAL, "request %u: unknown bits in 0x%llx", h->request,
			      (unsigned long long)v);
	if ((ret = ring_index(d, h, q)))
		return ret;
	if (!(v & VU_VRING_NOFD) && (nfds < 1 || fds[0] < 0))
		return refuse(d, -EINVAL, "request %u: no fd", h->request);
	if (h->request == VU_SET_VRING_KICK && (v & VU_VRING_NOFD))
		return refuse(d, -EOPNOTSUPP, "vring %u: polling mode (no kick fd) unsupported", q);
	slot = h->request == VU_SET_VRING_KICK ? &d->ring[q].kick_fd
	       : h->request == VU_SET_VRING_CALL ? &d->ring[q].call_fd
						 : &d->ring[q].err_fd;
	if (h->request == VU_SET_VRING_KICK)
		ring_stop(d, q); /* a new kick fd (re)starts the ring */
	close_fd(slot);
	if (!(v & VU_VRING_NOFD)) {
		*slot = fds[0];
		fds[0] = -1;
	}
	if (h->request == VU_SET_VRING_KICK) {
		d->ring[q].kicked = true;
		return ring_try_start(d, q);
	}
	return 0;
}

static int get_config(struct vu_dev *d, const struct vu_hdr *h, const uint8_t *p,
		      struct vu_reply *r)
{
	uint32_t off, size;

	if (h->size < 12)
		return refuse(d, -EINVAL, "config: payload of %u bytes", h->size);
	off = rd32(p);
	size = rd32(p + 4);
	if (size > VU_CONFIG_MAX || h->size != 12 + size)
		return refuse(d, -EINVAL, "config: %u bytes in a payload of %u", size, h->size);
	if (off > VU_CONFIG_MAX || size > VU_CONFIG_MAX - off)
		return refuse(d, -EINVAL, "config: offset %u size %u", off, size);
	if (h->request == VU_SET_CONFIG)
		return 0; /* virtio-rpmsg has no writable config: accepted and ignored */
	memcpy(r->payload, p, 12);
	memset(r->payload + 12, 0, size);
	if (off < d->config_len)
		memcpy(r->payload + 12, d->config + off,
		       size < d->config_len - off ? size : d->config_len - off);
	r->size = 12 + size;
	r->send = true;
	return 0;
}

int vu_dev_handle(struct vu_dev *d, const struct vu_hdr *h, const uint8_t *p, int *fds,
		  unsigned nfds, struct vu_reply *r)
{
	bool get = false;
	uint64_t v;
	uint32_t idx, num;
	int ret = 0;

	r->send = false;
	r->size = 0;
	switch (h->request) {
	case VU_GET_FEATURES:
	case VU_GET_PROTOCOL_FEATURES:
	case VU_GET_QUEUE_NUM:
		get = true;
		if ((ret = need_size(d, h, 0)))
			break;
		v = h->request == VU_GET_FEATURES	    ? d->offered
		    : h->request == VU_GET_PROTOCOL_FEATURES ? d->proto_offered
							     : VU_NUM_QUEUES;
		wr64(r->payload, v);
		r->size = 8;
		r->send = true;
		return 0;
	case VU_SET_FEATURES:
		if ((ret = need_size(d, h, 8)))
			break;
		v = rd64(p);
		if (v & ~d->offered) {
			ret = refuse(d, -EINVAL, "features 0x%llx not offered",
				     (unsigned long long)(v & ~d->offered));
			break;
		}
		d->features = v;
		d->features_set = true;
		break;
	case VU_SET_PROTOCOL_FEATURES:
		if ((ret = need_size(d, h, 8)))
			break;
		v = rd64(p);
		if (v & ~d->proto_offered) {
			ret = refuse(d, -EINVAL, "protocol features 0x%llx not offered",
				     (unsigned long long)(v & ~d->proto_offered));
			break;
		}
		d->proto = v;
		break;
	case VU_SET_OWNER:
		ret = need_size(d, h, 0);
		break;
	case VU_RESET_OWNER:
		if ((ret = need_size(d, h, 0)))
			break;
		vu_dev_reset(d);
		break;
	case VU_SET_MEM_TABLE:
		ret = set_mem_table(d, h, p, fds, nfds);
		break;
	case VU_SET_VRING_NUM:
	case VU_SET_VRING_BASE:
	case VU_GET_VRING_BASE:
	case VU_SET_VRING_ENABLE:
		get = h->request == VU_GET_VRING_BASE;
		if ((ret = need_size(d, h, 8)))
			break;
		idx = rd32(p);
		num = rd32(p + 4);
		if ((ret = ring_index(d, h, idx)))
			break;
		if (h->request == VU_GET_VRING_BASE) {
			ring_stop(d, idx);
			d->ring[idx].kicked = false;
			wr32(r->payload, idx);
			wr32(r->payload + 4, d->ring[idx].base);
			r->size = 8;
			r->send = true;
			return 0;
		}
		if (h->request == VU_SET_VRING_ENABLE) {
			if (num > 1) {
				ret = refuse(d, -EINVAL, "vring %u: enable %u", idx, num);
				break;
			}
			d->ring[idx].enabled = num;
			if (num)
				ret = ring_try_start(d, idx);
			else
				ring_stop(d, idx);
			break;
		}
		if (d->ring[idx].live) {
			ret = refuse(d, -EBUSY, "vring %u: changed while running", idx);
			break;
		}
		if (h->request == VU_SET_VRING_BASE) {
			if (num > 0xffff) {
				ret = refuse(d, -EINVAL, "vring %u: base %u", idx, num);
				break;
			}
			d->ring[idx].base = (uint16_t)num;
			break;
		}
		if (!num || (num & (num - 1)) || num > VQ_MAX_NUM) {
			ret = refuse(d, -EINVAL, "vring %u: size %u (a power of two, at most %u)",
				     idx, num, VQ_MAX_NUM);
			break;
		}
		d->ring[idx].num = num;
		break;
	case VU_SET_VRING_ADDR:
		if ((ret = need_size(d, h, VU_ADDR_SIZE)))
			break;
		idx = rd32(p);
		if ((ret = ring_index(d, h, idx)))
			break;
		if (rd32(p + 4) & ~1u) { /* bit 0: logging, which we never do */
			ret = refuse(d, -EINVAL, "vring %u: address flags 0x%x", idx, rd32(p + 4));
			break;
		}
		if (d->ring[idx].live) {
			ret = refuse(d, -EBUSY, "vring %u: changed while running", idx);
			break;
		}
		d->ring[idx].desc = rd64(p + 8);
		d->ring[idx].used = rd64(p + 16);
		d->ring[idx].avail = rd64(p + 24);
		d->ring[idx].has_addr = true;
		ret = ring_try_start(d, idx);
		break;
	case VU_SET_VRING_KICK:
	case VU_SET_VRING_CALL:
	case VU_SET_VRING_ERR:
		ret = set_vring_fd(d, h, p, fds, nfds);
		break;
	case VU_SET_BACKEND_REQ_FD:
		if ((ret = need_size(d, h, 0)))
			break;
		if (nfds < 1 || fds[0] < 0) {
			ret = refuse(d, -EINVAL, "backend request channel without an fd");
			break;
		}
		close_fd(&d->backend_fd);
		d->backend_fd = fds[0];
		fds[0] = -1;
		break;
	case VU_GET_CONFIG:
	case VU_SET_CONFIG:
		get = h->request == VU_GET_CONFIG;
		if (!(d->proto & VU_PF_CONFIG)) {
			ret = refuse(d, -EOPNOTSUPP, "config access without the CONFIG feature");
			break;
		}
		ret = get_config(d, h, p, r);
		if (!ret && get)
			return 0;
		break;
	default:
		ret = refuse(d, -EOPNOTSUPP, "request %u not supported", h->request);
		break;
	}
	if (get) {
		/* A refused GET gets no answer: the caller drops the connection. */
		return ret;
	}
	/* Checked after the request: the front end (UML) may ask for the ack already on the
	 * SET_PROTOCOL_FEATURES that turns REPLY_ACK on, and waits for it. */
	if ((h->flags & VU_FLAG_NEED_REPLY) && (d->proto & VU_PF_REPLY_ACK)) {
		wr64(r->payload, ret ? 1u : 0u);
		r->size = 8;
		r->send = true;
	}
	return ret;
}
