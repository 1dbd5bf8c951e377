/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The virtio transport (virtio_rpmsg_bus), in both roles, over any platform.
 *
 * The shared memory is laid out as a remoteproc firmware would describe it:
 *   offset 0                  resource table: one VDEV entry (id 7) with two vrings
 *   vring[0].da, vring[1].da  the two split virtqueues (vq0 remote->main, vq1 main->remote)
 *   after the vrings          the driver's buffer pool (first half RX, second half TX)
 * The device (remote) role writes the table, as firmware carries it; the driver (main CPU)
 * role validates it, negotiates features, places the rings, posts its receive buffers and
 * sets DRIVER_OK, as Linux does.
 *
 * Features: by default only the name service. VIRTIO_RING_F_EVENT_IDX (offer it as a device,
 * accept it as a driver) may be added when the peer is Linux or librpmsg; OpenAMP's driver
 * claims it without using it and RPMsg-Lite never uses it, so it is not on by default.
 *
 * Received buffers go back to the peer in groups (up to 16, an eighth of the ring), and all
 * of them before the bus sleeps or a sender of ours waits for a buffer: a busy poller
 * publishes them without a fence and a peer's cache line per message.
 */
#ifndef RPMSG_VIRTIO_H
#define RPMSG_VIRTIO_H

#include <rpmsg/platform.h>
#include <rpmsg/rpmsg.h>

#ifdef __cplusplus
extern "C" {
#endif

enum rpmsg_virtio_role {
	RPMSG_VIRTIO_DRIVER = 0, /* the main CPU (Linux's role) */
	RPMSG_VIRTIO_DEVICE = 1, /* the remote processor (OpenAMP / RPMsg-Lite remote) */
};

#define RPMSG_VIRTIO_F_NS (1u << 0)        /* VIRTIO_RPMSG_F_NS */
#define RPMSG_VIRTIO_F_EVENT_IDX (1u << 29) /* VIRTIO_RING_F_EVENT_IDX */

struct rpmsg_virtio_config {
	enum rpmsg_virtio_role role;
	const char *name;      /* link name (default "virtio0") */
	/* Device role: what the resource table offers (0 = defaults below). */
	uint32_t features;     /* device: offered; driver: accepted (default RPMSG_VIRTIO_F_NS) */
	unsigned vring_num;    /* entries per vring, power of two (default 256) */
	unsigned vring_align;  /* used-ring alignment (default 4096) */
	/* Driver role: the buffer pool (defaults as Linux: min(vring_num, 256) each way, 512 B). */
	unsigned num_bufs;     /* RX + TX buffers; each half at most vring_num */
	unsigned buf_size;     /* bytes per buffer, header included (default 512) */
	bool big_endian;       /* legacy byte order of rings, headers and the table (default: little) */
	int attach_timeout_ms; /* driver: wait this long for the device's table (default 5000) */
	/*
	 * The fence pact (rpmsg/platform.h; POSIX on Linux with membarrier has it). A side
	 * that has stayed awake this many microseconds (0: 1000) lets its peer publish without
	 * the full fence the peer otherwise pays per message (one message per send at 16 B:
	 * about 1.3x the messages/s here), and pays one membarrier itself when it next goes to
	 * sleep: microseconds, and in a virtual machine whose vCPUs the host preempts sometimes
	 * 100 us or more. Negative: never (neither offer it nor use the peer's).
	 */
	int fence_pact_us;
};

/* Create the link on `bus` over `plat` (which the link then owns and destroys). */
int rpmsg_virtio_create(struct rpmsg_bus *bus, struct rpmsg_platform *plat,
			const struct rpmsg_virtio_config *cfg, struct rpmsg_link **out);

/* Counters of one link, for tools and tests. */
struct rpmsg_virtio_stats {
	uint64_t tx_msgs, rx_msgs;
	uint64_t rx_dropped;   /* no endpoint at dst */
	uint64_t rx_bad;       /* malformed by the peer (bad length, address outside memory) */
	uint64_t notifies;     /* doorbells rung */
	uint64_t tx_waits;     /* sends that had to wait for a buffer */
	/* The fence pact (rpmsg_virtio_config.fence_pact_us): */
	bool fence_pact;          /* the peer's offer stands now: we publish without a fence */
	uint64_t light_publishes; /* publishes without a fence, on this session's rings */
	uint64_t pact_posts;      /* our offers (each after a stretch awake) */
	uint64_t pact_revokes;    /* ... taken back before a sleep, one membarrier each */
};
int rpmsg_virtio_get_stats(struct rpmsg_link *link, struct rpmsg_virtio_stats *out);

#ifdef __cplusplus
}
#endif
#endif
