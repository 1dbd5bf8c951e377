/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rpmsg tiny: the remote (virtio device) role of virtio_rpmsg for small firmware, without
 * the core bus. No allocation, no channels, no drivers, no locks: the caller gives the
 * storage (one struct rpmsg_tiny, one struct rpmsg_tiny_ept per endpoint) and calls
 * everything from one context (the main loop or one RTOS task). Interrupt handlers only
 * wake that context; rpmsg_tiny_poll looks at the rings itself.
 *
 *   rpmsg_tiny_table_init   fill the resource table the main CPU reads (or define your own)
 *   rpmsg_tiny_init         attach to that table and to the shared memory
 *   rpmsg_tiny_is_up        has the main CPU set DRIVER_OK? (maps the rings when it has)
 *   rpmsg_tiny_ept_create   an endpoint: fixed address, or the lowest free one >= 1024
 *   rpmsg_tiny_announce     name-service CREATE for it (sent now, or once the link allows)
 *   rpmsg_tiny_sendto       copy a message into a buffer the main CPU posted on vq0
 *   rpmsg_tiny_poll         take the messages the main CPU sent on vq1, call the endpoints
 *
 * Wire format as spec 10-virtio.md: rings, rpmsg headers, name-service messages and the
 * table in little-endian order, or big-endian for a legacy device whose main CPU is
 * big-endian (`big_endian`). The main CPU is not trusted: every index, length and address
 * read from shared memory is read once and checked; what fails is skipped and counted
 * (rx_bad), and a main CPU that breaks the ring protocol gets NEEDS_RESET and the link goes
 * down until it sets DRIVER_OK again.
 */
#ifndef RPMSG_TINY_H
#define RPMSG_TINY_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RPMSG_TINY_ADDR_ANY 0xFFFFFFFFu /* no address / allocate one */
#define RPMSG_TINY_NS_ADDR 53u          /* the name service */
#define RPMSG_TINY_NAME_SIZE 32         /* name field of an NS message, NUL included */
#define RPMSG_TINY_F_NS (1u << 0)       /* feature bit VIRTIO_RPMSG_F_NS */

/*
 * The resource table as firmware carries it (spec §11): header, one offset, one rpmsg VDEV
 * entry with two vrings and no config space. Every u32 is in the main CPU's byte order
 * (`big_endian` of the config); the main CPU writes gfeatures, status and the vrings' da
 * and notifyid. 88 bytes; put it where the main CPU looks for it (a .resource_table
 * section, or the start of the shared memory).
 */
struct rpmsg_tiny_vring {
	uint32_t da, align, num, notifyid, pa;
};
struct rpmsg_tiny_rsc_table {
	uint32_t ver, num, reserved[2], offset[1];
	uint32_t type, id, notifyid, dfeatures, gfeatures, config_len;
	uint8_t status, num_of_vrings, reserved_vdev[2];
	struct rpmsg_tiny_vring vring[2];
};

/*
 * Storage for one split virtqueue, as src/virtio/vring.h keeps it: a bound checked at
 * build time by the library. RPMSG_VRING_MAX (largest ring accepted) and
 * RPMSG_VQ_DEVICE_ONLY must be the library's own: the firmware build exports them.
 */
#ifdef RPMSG_VRING_MAX
#define RPMSG_TINY_VRING_MAX (RPMSG_VRING_MAX)
#else
#define RPMSG_TINY_VRING_MAX 1024
#endif
#ifdef RPMSG_VQ_DEVICE_ONLY
#define RPMSG_TINY_VQ_TRACK (RPMSG_TINY_VRING_MAX / 8)
#else
#define RPMSG_TINY_VQ_TRACK (RPMSG_TINY_VRING_MAX / 8 + 2 * RPMSG_TINY_VRING_MAX)
#endif
#define RPMSG_TINY_VQ_WORDS ((16 * sizeof(void *) + RPMSG_TINY_VQ_TRACK) / sizeof(void *))

struct rpmsg_tiny_ept;

/* Receive callback: `data` (len bytes) lies in shared memory and is valid until it returns.
 * It may send (on any endpoint); it must not call rpmsg_tiny_poll. */
typedef void (*rpmsg_tiny_cb)(struct rpmsg_tiny_ept *ept, const void *data, size_t len,
			      uint32_t src, void *priv);

struct rpmsg_tiny_config {
	struct rpmsg_tiny_rsc_table *table;
	void *shm;          /* where this core sees the memory the buffers and rings are in */
	uint64_t shm_pa;    /* the address the main CPU uses for its first byte */
	uint32_t shm_size;
	bool big_endian;    /* legacy byte order of a big-endian main CPU (default little) */
	/* Ring the main CPU's doorbell for the vring whose notify id is `id` (required). */
	void (*notify)(void *arg, uint32_t id);
	void *notify_arg;
};

/* Everything below is private except the counters. */
struct rpmsg_tiny {
	uint32_t rx_bad;     /* malformed by the main CPU (bad length, address, table) */
	uint32_t rx_dropped; /* no endpoint at the destination */
	struct rpmsg_tiny_rsc_table *table;
	uint8_t *shm;
	uint64_t shm_pa;
	uint32_t shm_size;
	void (*notify)(void *arg, uint32_t id);
	void *notify_arg;
	struct rpmsg_tiny_ept *epts;
	uint32_t features;   /* negotiated */
	uint32_t nid[2];
	uint8_t *stash;      /* a transmit buffer taken but not used (too small) */
	uint32_t stash_len;
	uint16_t stash_head;
	uint8_t be, up, refused;
	void *vq[2][RPMSG_TINY_VQ_WORDS];
};

struct rpmsg_tiny_ept {
	struct rpmsg_tiny_ept *next;
	struct rpmsg_tiny *dev;
	uint32_t addr;       /* local address */
	uint32_t dst;        /* default destination: ANY until the first message arrives */
	rpmsg_tiny_cb cb;
	void *priv;
	const char *name;    /* announced name (rpmsg_tiny_announce), NULL if none */
	bool announced;
};

/*
 * Fill `t` as firmware carries it: ver 1, one rpmsg VDEV (id 7) offering `features`
 * (usually RPMSG_TINY_F_NS), two vrings of `num` entries (a power of two) whose used ring is
 * aligned to `align`, at device addresses da0 and da1 (0xFFFFFFFF: the main CPU places
 * them), notify ids 0 and 1. The version word is written last, so a main CPU watching the
 * memory never takes a half-written table.
 */
void rpmsg_tiny_table_init(struct rpmsg_tiny_rsc_table *t, uint32_t features, uint32_t num,
			   uint32_t align, uint32_t da0, uint32_t da1, bool big_endian);

/* Attach `dev` to the table and the shared memory. 0, or -EINVAL (a NULL or zero field). */
int rpmsg_tiny_init(struct rpmsg_tiny *dev, const struct rpmsg_tiny_config *cfg);

/*
 * Follow the status byte: true once the main CPU has set DRIVER_OK and the vrings in the
 * table are usable (inside the shared memory, clear of the table and of each other, equal
 * sizes, at most RPMSG_VRING_MAX entries). A table that fails gets NEEDS_RESET (counted in
 * rx_bad) and is not looked at again until the status changes. Losing DRIVER_OK takes the
 * link down: endpoints stay, and announced ones are announced again when it comes back.
 */
bool rpmsg_tiny_is_up(struct rpmsg_tiny *dev);

/*
 * Register `ept` (caller storage, which must stay valid until rpmsg_tiny_ept_destroy) at
 * `addr`, or at the lowest free address >= 1024 if addr is RPMSG_TINY_ADDR_ANY. 0;
 * -EINVAL (53 or above 0x7FFFFFFF, NULL); -EADDRINUSE.
 */
int rpmsg_tiny_ept_create(struct rpmsg_tiny *dev, struct rpmsg_tiny_ept *ept, uint32_t addr,
			  rpmsg_tiny_cb cb, void *priv);
/* Unregister (an announced endpoint sends NS DESTROY first, if it can). */
void rpmsg_tiny_ept_destroy(struct rpmsg_tiny_ept *ept);

/*
 * Announce `name` (kept by pointer, at most 31 characters) with NS CREATE (src = the
 * endpoint's address, dst 53, 40-byte payload: name NUL-padded to 32, addr, flags 0).
 * 0: sent. -ENOTCONN or -EAGAIN: not yet (link down, or no buffer posted): rpmsg_tiny_poll
 * sends it when it can. -ENOTSUP: the main CPU did not accept the name-service feature.
 * -EINVAL: empty or too long a name.
 */
int rpmsg_tiny_announce(struct rpmsg_tiny_ept *ept, const char *name);

/*
 * Copy `len` bytes into the next buffer the main CPU posted on vq0 and hand it over
 * (never waits). 0; -EAGAIN: no buffer posted now (poll, then try again); -EMSGSIZE: more
 * than the buffer holds (len + 16 > its length; the buffer is kept for the next send);
 * -ENOTCONN: link down; -EINVAL: dst is ANY; -EIO: the main CPU broke the ring protocol.
 * rpmsg_tiny_send sends to the endpoint's default destination (-EDESTADDRREQ if unknown).
 */
int rpmsg_tiny_sendto(struct rpmsg_tiny_ept *ept, uint32_t dst, const void *data, size_t len);
int rpmsg_tiny_send(struct rpmsg_tiny_ept *ept, const void *data, size_t len);

/*
 * Receive: follow the status byte, send pending announcements, then take every message
 * the main CPU posted on vq1 (at most one ring's worth), call the endpoint at its dst
 * (unknown dst: dropped and counted), and return the buffers (one doorbell for the batch
 * unless the main CPU suppressed it). Returns the number of buffers taken and
 * announcements sent (0: nothing to do, or link down), or -EIO if the main CPU broke the
 * ring protocol (link down with NEEDS_RESET).
 */
int rpmsg_tiny_poll(struct rpmsg_tiny *dev);

#ifdef __cplusplus
}
#endif
#endif
