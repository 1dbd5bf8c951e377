/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vhost-user protocol, device-backend side: message framing, the per-message state
 * machine (features, memory table, vrings) and guest address translation. No sockets and
 * no rpmsg here: the transport (vhost_user.c) reads messages off the socket, hands them to
 * vu_dev_handle() and writes back what it asks for; the fuzz target drives it directly.
 *
 * Everything in a message is hostile input. vu_dev_handle checks the size of every payload
 * against its request, every region against the others and against the file behind its fd,
 * every ring address against the regions, and refuses (negative errno, with a reason in
 * d->err) rather than trust. Numbers follow QEMU's docs/interop/vhost-user.rst.
 */
#ifndef RPMSG_VHOST_USER_PROTO_H
#define RPMSG_VHOST_USER_PROTO_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/vring.h"

/* Requests (front end -> backend). */
enum {
	VU_GET_FEATURES = 1,
	VU_SET_FEATURES = 2,
	VU_SET_OWNER = 3,
	VU_RESET_OWNER = 4,
	VU_SET_MEM_TABLE = 5,
	VU_SET_LOG_BASE = 6,
	VU_SET_LOG_FD = 7,
	VU_SET_VRING_NUM = 8,
	VU_SET_VRING_ADDR = 9,
	VU_SET_VRING_BASE = 10,
	VU_GET_VRING_BASE = 11,
	VU_SET_VRING_KICK = 12,
	VU_SET_VRING_CALL = 13,
	VU_SET_VRING_ERR = 14,
	VU_GET_PROTOCOL_FEATURES = 15,
	VU_SET_PROTOCOL_FEATURES = 16,
	VU_GET_QUEUE_NUM = 17,
	VU_SET_VRING_ENABLE = 18,
	VU_SET_BACKEND_REQ_FD = 21,
	VU_GET_CONFIG = 24,
	VU_SET_CONFIG = 25,
};

/* Header flags. */
#define VU_VERSION 0x1u
#define VU_VERSION_MASK 0x3u
#define VU_FLAG_REPLY 0x4u
#define VU_FLAG_NEED_REPLY 0x8u

/* Feature bits. */
#define VU_F_RPMSG_NS (1ull << 0)                /* VIRTIO_RPMSG_F_NS */
#define VU_F_PROTOCOL_FEATURES (1ull << 30)      /* VHOST_USER_F_PROTOCOL_FEATURES */
#define VU_F_VERSION_1 (1ull << 32)              /* VIRTIO_F_VERSION_1 */
#define VU_PF_MQ (1ull << 0)
#define VU_PF_REPLY_ACK (1ull << 3)
#define VU_PF_BACKEND_REQ (1ull << 5)
#define VU_PF_CONFIG (1ull << 9)

/* vring index word of SET_VRING_KICK/CALL/ERR */
#define VU_VRING_IDX_MASK 0xffull
#define VU_VRING_NOFD 0x100ull

#define VU_HDR_SIZE 12u
#define VU_MAX_PAYLOAD 4096u     /* larger messages break the connection */
#define VU_MAX_REGIONS 8u        /* as the baseline protocol (no CONFIGURE_MEM_SLOTS) */
#define VU_MAX_FDS 8u
#define VU_NUM_QUEUES 2u         /* virtio-rpmsg: vq0 (guest receive), vq1 (guest transmit) */
#define VU_CONFIG_MAX 256u       /* largest config read/write */
#define VU_REGION_SIZE 32u       /* gpa, size, uva, mmap offset */
#define VU_ADDR_SIZE 40u         /* index, flags, desc, used, avail, log */

struct vu_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
};

struct vu_region {
	uint64_t gpa, size, uva, off;
	uint8_t *map;     /* mmap of [0, off + size) of the fd */
	uint64_t map_len;
};

struct vu_ring {
	uint32_t num;      /* 0: not set */
	uint16_t base;     /* next available entry when (re)started */
	bool has_addr;
	uint64_t desc, used, avail; /* front-end user addresses */
	int kick_fd, call_fd, err_fd;
	bool kicked;       /* SET_VRING_KICK seen since the ring last stopped */
	bool enabled;
	bool live;         /* vq below is valid and running */
	struct vq vq;
};

struct vu_dev {
	uint64_t offered, features;       /* virtio features offered / acked */
	uint64_t proto_offered, proto;    /* protocol features offered / acked */
	bool features_set;
	struct vu_region reg[VU_MAX_REGIONS];
	unsigned nreg;
	struct vu_ring ring[VU_NUM_QUEUES];
	int backend_fd;                   /* backend request channel (kept, unused) */
	uint8_t config[VU_CONFIG_MAX];    /* device config space (virtio-rpmsg has none: zeros) */
	uint32_t config_len;
	uint64_t rejected;                /* messages refused */
	char err[160];                    /* why the last one was refused */
};

struct vu_reply {
	bool send;
	uint32_t size;
	uint8_t payload[VU_HDR_SIZE + VU_CONFIG_MAX];
};

/* A fresh device offering these features (no memory, no rings, no fds). */
void vu_dev_init(struct vu_dev *d, uint64_t features, uint64_t proto_features);
/* Back to the fresh state: unmap every region, close every fd (the front end went away). */
void vu_dev_reset(struct vu_dev *d);
/* Header check before reading a payload: version, reply bit, size. 0 or -EPROTO. */
int vu_hdr_check(struct vu_dev *d, const struct vu_hdr *h);
/*
 * Handle one message (header checked). fds[0..nfds) came with it: those the message uses
 * are taken (set to -1); the caller closes the rest. Fills *r when a reply is due (a GET,
 * or NEED_REPLY with REPLY_ACK negotiated: then a u64, 0 = success). Returns 0, or a
 * negative errno when the message was refused (d->err says why). A refused message leaves
 * the state as it was, except that a ring which cannot start (its addresses do not
 * translate) keeps the settings that were given and simply stays stopped.
 */
int vu_dev_handle(struct vu_dev *d, const struct vu_hdr *h, const uint8_t *payload, int *fds,
		  unsigned nfds, struct vu_reply *r);
/* Guest physical / front-end user address -> pointer, if all `len` bytes lie in one region. */
void *vu_gpa_ptr(const struct vu_dev *d, uint64_t gpa, uint64_t len);
void *vu_uva_ptr(const struct vu_dev *d, uint64_t uva, uint64_t len);
/* Do both rings run? */
static inline bool vu_dev_live(const struct vu_dev *d)
{
	return d->ring[0].live && d->ring[1].live;
}

#endif
