/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A virtio-rpmsg device (virtio device id 7) served over vhost-user: the remote side of the
 * bus, for a guest kernel whose virtio_rpmsg_bus driver is the main CPU (QEMU with a
 * vhost-user device, or User-Mode Linux with virtio_uml.device=<socket>:7).
 *
 * The link listens on a Unix socket and serves one front end at a time. The link is up
 * while both virtqueues run (memory table given, rings set up, kicked and enabled); it goes
 * down, removing every channel, when the front end stops a ring (GET_VRING_BASE), resets or
 * disconnects, and comes up again with the next one. Create your channels once
 * rpmsg_link_is_up() says so (as for a virtio device link): with src != ANY and a bound
 * driver they are announced to the guest through the name service; the guest's
 * announcements create channels on this bus.
 *
 * Everything runs inside rpmsg_bus_poll(): accepting the front end, its messages (memory
 * regions mapped, replies sent) and the guest's kicks. Sending is allowed from any thread.
 * Only little-endian guests (VERSION_1, or a legacy little-endian guest) are supported.
 */
#ifndef RPMSG_VHOST_USER_H
#define RPMSG_VHOST_USER_H

#include <rpmsg/rpmsg.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RPMSG_VHOST_USER_NO_NS 0x1u /* do not offer VIRTIO_RPMSG_F_NS */

struct rpmsg_vhost_user_config {
	const char *name; /* link name (default "vhost-user0") */
	unsigned flags;   /* RPMSG_VHOST_USER_* */
};

/*
 * Listen on `socket_path` (a stale socket file there is replaced; any other file is left
 * alone: -EEXIST) and register the link on `bus`. cfg may be NULL. rpmsg_link_destroy()
 * closes the connection and removes the socket file.
 */
int rpmsg_vhost_user_create(struct rpmsg_bus *bus, const char *socket_path,
			    const struct rpmsg_vhost_user_config *cfg, struct rpmsg_link **out);

struct rpmsg_vhost_user_stats {
	uint64_t connects, disconnects;
	uint64_t requests;   /* vhost-user messages handled */
	uint64_t rejected;   /* refused (bad size, region, address, ring size, ...) */
	uint64_t tx_msgs, rx_msgs;
	uint64_t rx_dropped; /* no endpoint at dst */
	uint64_t rx_bad;     /* malformed buffers or messages from the guest */
	uint64_t calls;      /* interrupts sent to the guest */
	bool connected;
	char last_error[160]; /* why the last message was refused ("" if none) */
};
int rpmsg_vhost_user_get_stats(struct rpmsg_link *link, struct rpmsg_vhost_user_stats *out);

#ifdef __cplusplus
}
#endif
#endif
