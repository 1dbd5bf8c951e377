/*
 * Internal view of a virtio link's state, for tests and tools inside this tree (not part of
 * the public API, not exported from the shared library).
 */
#ifndef RPMSG_VIRTIO_DIAG_H
#define RPMSG_VIRTIO_DIAG_H

#include <stdbool.h>
#include <stdint.h>

#include <rpmsg/rpmsg.h>

struct vio_diag {
	bool up;
	uint8_t status;   /* the live status byte */
	uint32_t gen;     /* link generation: +1 each time the link goes down */
	uint64_t downs;   /* times the link went down (peer reset, restart, protocol error) */
	uint64_t ups;     /* times it came up (the first included) */
	uint64_t faults;  /* protocol violations that took the link down (a broken vq) */
};

int vio_get_diag(struct rpmsg_link *link, struct vio_diag *out);

#endif
