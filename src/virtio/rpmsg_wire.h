/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The 16-byte rpmsg header of virtio buffers (spec 10-virtio.md §4), shared by the virtio
 * transport and the vhost-user backend: src, dst, reserved (written 0, ignored), len,
 * flags (written 0, ignored), in the link's byte order.
 */
#ifndef RPMSG_VIRTIO_WIRE_H
#define RPMSG_VIRTIO_WIRE_H

#include <stdbool.h>
#include <stdint.h>

#define RPMSG_HDR_SIZE 16u

struct rpmsg_hdr_fields {
	uint32_t src, dst;
	uint16_t len;
};

static inline void rpmsg_wire_put(uint8_t *p, unsigned n, uint32_t v, bool be)
{
	for (unsigned i = 0; i < n; i++)
		p[be ? n - 1 - i : i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t rpmsg_wire_get(const uint8_t *p, unsigned n, bool be)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint32_t)p[be ? n - 1 - i : i] << (8 * i);
	return v;
}

static inline void rpmsg_hdr_write(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t len, bool be)
{
	rpmsg_wire_put(buf + 0, 4, src, be);
	rpmsg_wire_put(buf + 4, 4, dst, be);
	rpmsg_wire_put(buf + 8, 4, 0, be);  /* reserved */
	rpmsg_wire_put(buf + 12, 2, len, be);
	rpmsg_wire_put(buf + 14, 2, 0, be); /* flags */
}

/* Parse a header copied out of shared memory (read it once: the peer may still write). */
static inline struct rpmsg_hdr_fields rpmsg_hdr_read(const uint8_t hdr[RPMSG_HDR_SIZE], bool be)
{
	struct rpmsg_hdr_fields f = {
		.src = rpmsg_wire_get(hdr, 4, be),
		.dst = rpmsg_wire_get(hdr + 4, 4, be),
		.len = (uint16_t)rpmsg_wire_get(hdr + 12, 2, be),
	};

	return f;
}

#endif
