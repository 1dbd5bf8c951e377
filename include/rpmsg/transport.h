/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The transport seam: what a transport (virtio, GLINK, SMD, SCP, loopback, ...) gives the
 * core bus, and what the core gives back. Applications do not need this header; transport
 * writers do. A transport fills one ops table; the core never names a transport.
 */
#ifndef RPMSG_TRANSPORT_H
#define RPMSG_TRANSPORT_H

#include <rpmsg/rpmsg.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Every op gets the link; `ept` is the sending endpoint where one is involved. Optional ops
 * may be NULL; the core then answers as the Linux core does (-EOPNOTSUPP and friends).
 */
struct rpmsg_transport_ops {
	/* Send one message. timeout_ms: 0 = do not wait for a buffer, -1 = forever. */
	int (*send)(struct rpmsg_link *link, struct rpmsg_endpoint *ept, uint32_t src,
		    uint32_t dst, const void *data, size_t len, int timeout_ms);
	/* Optional: send msgs[0..n) (n >= 1) without waiting, published together; the number
	 * sent, or a negative errno when none was (see rpmsg_trysend_burst). */
	int (*send_burst)(struct rpmsg_link *link, struct rpmsg_endpoint *ept, uint32_t src,
			  uint32_t dst, const struct rpmsg_msg *msgs, int n);
	int (*get_mtu)(struct rpmsg_link *link, struct rpmsg_endpoint *ept);
	int (*poll_tx)(struct rpmsg_link *link, struct rpmsg_endpoint *ept);
	int (*set_flow_control)(struct rpmsg_link *link, struct rpmsg_endpoint *ept, bool pause,
				uint32_t dst);

	/* Zero copy. */
	int (*get_tx_buffer)(struct rpmsg_link *link, struct rpmsg_endpoint *ept, void **buf,
			     size_t *size, int timeout_ms);
	int (*send_nocopy)(struct rpmsg_link *link, struct rpmsg_endpoint *ept, uint32_t src,
			   uint32_t dst, void *buf, size_t len);
	void (*release_tx_buffer)(struct rpmsg_link *link, void *buf);
	int (*hold_rx_buffer)(struct rpmsg_link *link, void *data);
	void (*release_rx_buffer)(struct rpmsg_link *link, void *data);

	/* Endpoint life (GLINK/SMD open and close their channel here). */
	int (*create_ept)(struct rpmsg_link *link, struct rpmsg_endpoint *ept);
	void (*destroy_ept)(struct rpmsg_link *link, struct rpmsg_endpoint *ept);
	/* After a driver bound a channel / before it is removed (see spec 00 §3). */
	int (*announce_create)(struct rpmsg_link *link, struct rpmsg_channel *ch);
	void (*announce_destroy)(struct rpmsg_link *link, struct rpmsg_channel *ch);

	/*
	 * Receive side, called by rpmsg_bus_poll for one poller at a time per link:
	 * process: handle what is pending without blocking (deliver with rpmsg_link_deliver or
	 *          rpmsg_ept_deliver); return how much was handled or a negative errno.
	 * arm:     the bus is about to block on the link's fds; make sure a peer event wakes
	 *          them. Return > 0 if work is already pending (the bus will not block).
	 */
	int (*process)(struct rpmsg_link *link);
	int (*arm)(struct rpmsg_link *link);
	bool (*is_up)(struct rpmsg_link *link);

	/* Free the transport's state; called by rpmsg_link_destroy after the core let go. */
	void (*destroy)(struct rpmsg_link *link);
};

#define RPMSG_LINK_F_NS 0x1u         /* the link carries the name service at address 53 */
#define RPMSG_LINK_F_BIG_ENDIAN 0x2u /* name-service fields are big-endian on this link */
#define RPMSG_LINK_F_P2P 0x4u        /* point-to-point channels: callbacks get src = ANY */
#define RPMSG_LINK_F_SETUP 0x8u      /* not polled until rpmsg_link_ready (see below) */

struct rpmsg_link_desc {
	const char *name;      /* e.g. "virtio0" or "remote-dsp" (copied) */
	const char *transport; /* e.g. "virtio" (not copied: a string literal) */
	const struct rpmsg_transport_ops *ops;
	void *priv;
	unsigned flags;        /* RPMSG_LINK_F_* */
};

/*
 * Attach a transport instance to a bus. Pollers call its ops from here on, unless the
 * desc has RPMSG_LINK_F_SETUP: then from rpmsg_link_ready on. A transport that still sets
 * the link up after registering (doorbells, rings, its own pointer to the link) uses the
 * flag, so that a bus polled by other threads meanwhile never sees it half made.
 */
int rpmsg_link_register(struct rpmsg_bus *bus, const struct rpmsg_link_desc *desc,
			struct rpmsg_link **out);
/* The link is set up: poll it (and wake a poller asleep, to arm it). Idempotent. */
void rpmsg_link_ready(struct rpmsg_link *link);
/*
 * Detach: removes every channel (drivers' remove), destroys every endpoint, waits until no
 * poll is inside the link. Does not call ops->destroy (rpmsg_link_destroy does both).
 */
void rpmsg_link_unregister(struct rpmsg_link *link);
void *rpmsg_link_priv(const struct rpmsg_link *link);
struct rpmsg_bus *rpmsg_link_bus(const struct rpmsg_link *link);
/* Make rpmsg_bus_fd() readable on behalf of this link (-1 removes nothing). */
int rpmsg_link_watch_fd(struct rpmsg_link *link, int fd);
void rpmsg_link_unwatch_fd(struct rpmsg_link *link, int fd);

/*
 * Hand a received message to the endpoint bound to `dst`. Returns 0 when delivered,
 * -ENOENT when no endpoint has that address (the message is dropped). The transport may
 * recycle `data` when this returns unless the callback held it (ops->hold_rx_buffer).
 * Called from ops->process (the link's receive lock held), like rpmsg_ept_deliver.
 */
int rpmsg_link_deliver(struct rpmsg_link *link, uint32_t src, uint32_t dst, void *data,
		       size_t len);
/* Deliver to a known endpoint (point-to-point transports). Returns the callback's value. */
int rpmsg_ept_deliver(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src);
/* The remote asked for a flow change on this endpoint. */
void rpmsg_ept_flow(struct rpmsg_endpoint *ept, bool pause);
const char *rpmsg_ept_name(const struct rpmsg_endpoint *ept);
/* Transport-private pointer per endpoint (for create_ept/destroy_ept). */
void rpmsg_ept_set_tpriv(struct rpmsg_endpoint *ept, void *p);
void *rpmsg_ept_tpriv(const struct rpmsg_endpoint *ept);

/*
 * Channels the transport discovers (GLINK/SMD open requests, SCP fixed channels) or that
 * the name service announces: create and probe drivers; remove and unbind. announce: the
 * channel is a local service to announce once a driver binds it.
 */
int rpmsg_channel_add(struct rpmsg_link *link, const struct rpmsg_channel_info *info,
		      bool announce, struct rpmsg_channel **out);
int rpmsg_channel_remove(struct rpmsg_link *link, const struct rpmsg_channel_info *info);
/* Remove every channel of the link (the peer was reset). */
void rpmsg_link_remove_channels(struct rpmsg_link *link);
/*
 * The link just came up: announce the local services whose drivers bound while it was
 * down (their announcements wait until then). Not from inside a bus lock.
 */
void rpmsg_link_announce_local(struct rpmsg_link *link);

/*
 * The name service on links with RPMSG_LINK_F_NS: a transport that learns its peer
 * supports it calls this once the link is up; encoding of the 40-byte message.
 */
int rpmsg_ns_encode(void *msg40, const char *name, uint32_t addr, uint32_t flags, bool big_endian);

#ifdef __cplusplus
}
#endif
#endif
