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
#include <string.h>

#define RPMSG_HDR_SIZE 16u

struct rpmsg_hdr_fields {
	uint32_t src, dst;
	uint16_t len;
};

/*
 * Byte order of this CPU, when the compiler says: then a field is one load or store (and a
 * swap when the link's order differs), not a byte loop.
 */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define RPMSG_WIRE_HOST_BE 0
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define RPMSG_WIRE_HOST_BE 1
#endif

static inline void rpmsg_wire_put(uint8_t *p, unsigned n, uint32_t v, bool be)
{
#ifdef RPMSG_WIRE_HOST_BE
	if (n == 4) {
		uint32_t x = be != RPMSG_WIRE_HOST_BE ? __builtin_bswap32(v) : v;

		memcpy(p, &x, 4);
		return;
	}
	if (n == 2) {
		uint16_t x = be != RPMSG_WIRE_HOST_BE ? __builtin_bswap16((uint16_t)v) : (uint16_t)v;

		memcpy(p, &x, 2);
		return;
	}
#endif
	for (unsigned i = 0; i < n; i++)
		p[be ? n - 1 - i : i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t rpmsg_wire_get(const uint8_t *p, unsigned n, bool be)
{
	uint32_t v = 0;

#ifdef RPMSG_WIRE_HOST_BE
	if (n == 4) {
		memcpy(&v, p, 4);
		return be != RPMSG_WIRE_HOST_BE ? __builtin_bswap32(v) : v;
	}
	if (n == 2) {
		uint16_t x;

		memcpy(&x, p, 2);
		return be != RPMSG_WIRE_HOST_BE ? __builtin_bswap16(x) : x;
	}
#endif
	for (unsigned i = 0; i < n; i++)
		v |= (uint32_t)p[be ? n - 1 - i : i] << (8 * i);
	return v;
}

/* Built aside and stored at once: the peer's buffer line is written in one go. */
static inline void rpmsg_hdr_write(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t len, bool be)
{
	uint8_t h[RPMSG_HDR_SIZE];

	rpmsg_wire_put(h + 0, 4, src, be);
	rpmsg_wire_put(h + 4, 4, dst, be);
	rpmsg_wire_put(h + 8, 4, 0, be);  /* reserved */
	rpmsg_wire_put(h + 12, 2, len, be);
	rpmsg_wire_put(h + 14, 2, 0, be); /* flags */
	memcpy(buf, h, sizeof(h));
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
