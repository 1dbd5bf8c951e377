/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The loopback transport: joins two buses in one process, with the virtio addressing
 * model (src/dst on every message) and the name service, but no shared memory. For tests,
 * demos and applications that want rpmsg semantics between threads.
 */
#ifndef RPMSG_LOOPBACK_H
#define RPMSG_LOOPBACK_H

#include <rpmsg/rpmsg.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rpmsg_loopback_config {
	unsigned mtu;      /* payload bytes per message (default 496) */
	unsigned depth;    /* messages queued per direction before senders wait (default 64) */
	bool name_service; /* carry NS announcements (default when zeroed: no; set true) */
};

/*
 * Create a link on each bus, joined to each other. cfg may be NULL for defaults
 * (mtu 496, depth 64, name service on).
 */
int rpmsg_loopback_create(struct rpmsg_bus *a, struct rpmsg_bus *b,
			  const struct rpmsg_loopback_config *cfg, struct rpmsg_link **link_a,
			  struct rpmsg_link **link_b);

#ifdef __cplusplus
}
#endif
#endif
