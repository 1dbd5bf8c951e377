/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * librpmsg: the RPMsg remote-processor messaging bus.
 *
 * A bus is this processor's view of RPMsg. It holds links (one per remote processor, each
 * carried by a transport: virtio, GLINK, SMD, SCP, loopback), the channels that appear on
 * them, the drivers that bind to channels by name, and endpoints: 32-bit local addresses
 * with a receive callback.
 *
 * Threads: the library starts none unless asked (rpmsg_bus_start_thread). Received
 * messages are dispatched from rpmsg_bus_poll(), in the thread that calls it; callbacks
 * run there, one at a time per link. Sending is allowed from any thread, and from inside
 * callbacks (a blocking send there waits only for a transmit buffer, never for the bus).
 * Links may be created and destroyed while other threads poll the bus: pollers see a link
 * once its transport has set it up, and a destroy waits for any poll inside it.
 *
 * Errors: every call that can fail returns a negative errno (see rpmsg_strerror).
 */
#ifndef RPMSG_RPMSG_H
#define RPMSG_RPMSG_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RPMSG_ADDR_ANY 0xFFFFFFFFu       /* no address / allocate one */
#define RPMSG_NS_ADDR 53u                /* the name service endpoint */
#define RPMSG_RESERVED_ADDRESSES 1024u   /* 0..1023 are never allocated dynamically */
#define RPMSG_ADDR_MAX 0x7FFFFFFFu       /* highest address a bus hands out or binds */
#define RPMSG_NAME_SIZE 32               /* every name field, NUL included */
#define RPMSG_SEND_TIMEOUT_MS 15000      /* default wait for a transmit buffer (as Linux) */
#define RPMSG_MAX_ENDPOINTS 4096         /* default endpoints per link */

/* Name-service message flags (the wire values). */
#define RPMSG_NS_CREATE 0u
#define RPMSG_NS_DESTROY 1u

struct rpmsg_bus;
struct rpmsg_link;
struct rpmsg_channel;
struct rpmsg_endpoint;

/* A channel's identity: NUL-padded name, local and remote address (ANY when unknown). */
struct rpmsg_channel_info {
	char name[RPMSG_NAME_SIZE];
	uint32_t src;
	uint32_t dst;
};

/*
 * Receive callback. `data` is valid until the callback returns unless it calls
 * rpmsg_hold_rx_buffer(). `src` is the sender's address (RPMSG_ADDR_ANY on point-to-point
 * transports). The return value is ignored except by SMD-like transports, where a negative
 * value leaves the message queued.
 */
typedef int (*rpmsg_rx_cb)(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src,
			   void *priv);
/* The remote asks us to pause (true) or resume (false) sending on this endpoint. */
typedef void (*rpmsg_flow_cb)(struct rpmsg_endpoint *ept, bool pause, void *priv);

/* A driver binds to channels whose name is in its id table (as Linux's rpmsg_driver). */
struct rpmsg_driver {
	const char *name;
	const char *const *id_table;                /* channel names, NULL-terminated */
	int (*probe)(struct rpmsg_channel *ch);     /* nonzero: refuse the channel */
	void (*remove)(struct rpmsg_channel *ch);
	rpmsg_rx_cb callback;      /* if set, the channel gets a default endpoint with it */
	rpmsg_flow_cb flowcontrol; /* optional, attached to the default endpoint */
	void *priv;                /* handed to callback/flowcontrol as `priv` */
};

/* ---- bus ---- */
int rpmsg_bus_create(struct rpmsg_bus **out);
/* Unregisters every link (removing channels, destroying endpoints) and frees the bus. */
void rpmsg_bus_destroy(struct rpmsg_bus *bus);
/*
 * A file descriptor that becomes readable when rpmsg_bus_poll() has work (POSIX), once the
 * bus is armed: an event loop of its own calls rpmsg_bus_poll(bus, 0) until it returns 0,
 * then rpmsg_bus_arm(), and sleeps on the fd only if that returned 0, and for at most the
 * sweep interval below (or it misses what a lost doorbell announced).
 */
int rpmsg_bus_fd(struct rpmsg_bus *bus);
/*
 * Sweeps: a doorbell can be lost (rung before the peer listened, as at start-up, or dropped
 * by an interrupt line), and work would then wait in shared memory with nothing to wake
 * the bus. So rpmsg_bus_poll(), while it sleeps, looks at its links anyway: min_ms after it
 * fell asleep, then at doubling intervals up to max_ms. Default 10 and 1000 ms; 0, 0
 * turns sweeps off (a lost doorbell then waits for the next one). -EINVAL for bad values,
 * -ENOTSUP on bare metal (rpmsg_bus_poll never sleeps there).
 */
int rpmsg_bus_set_sweep(struct rpmsg_bus *bus, int min_ms, int max_ms);
/*
 * About to sleep outside rpmsg_bus_poll (on rpmsg_bus_fd, or a firmware's wait for the
 * doorbell interrupt): ask every link's peer to ring again (transports stop asking while
 * the bus is being polled). Returns 1 if work is already pending or rpmsg_bus_wake was
 * called since the last look (poll again, do not sleep), 0 if sleeping is safe.
 * rpmsg_bus_poll with a timeout does this itself.
 */
int rpmsg_bus_arm(struct rpmsg_bus *bus);
/*
 * Process received messages and events, waiting up to timeout_ms for some (0: do not wait,
 * -1: forever). Returns how many were handled (0 on timeout) or a negative errno. Before it
 * sleeps it keeps looking for about 20 us (yielding the CPU in between): an answer that
 * comes that fast costs no sleep and no wake-up on either side.
 */
int rpmsg_bus_poll(struct rpmsg_bus *bus, int timeout_ms);
/* Wake a thread blocked in rpmsg_bus_poll() (it returns 0). Safe from any thread. */
void rpmsg_bus_wake(struct rpmsg_bus *bus);
/* Optional helper thread that calls rpmsg_bus_poll() until stopped. Stop returns once
 * the helper has left, also while other threads poll the bus (they may see a wake-up). */
int rpmsg_bus_start_thread(struct rpmsg_bus *bus);
void rpmsg_bus_stop_thread(struct rpmsg_bus *bus);

int rpmsg_register_driver(struct rpmsg_bus *bus, const struct rpmsg_driver *drv);
/* Removes the driver from every channel it is bound to. */
void rpmsg_unregister_driver(struct rpmsg_bus *bus, const struct rpmsg_driver *drv);

/* ---- links ---- */
/* Fill up to `max` links; returns how many the bus has (may exceed max). */
int rpmsg_bus_links(struct rpmsg_bus *bus, struct rpmsg_link **links, int max);
const char *rpmsg_link_name(const struct rpmsg_link *link);
const char *rpmsg_link_transport(const struct rpmsg_link *link);
/* Fill up to `max` channel infos; returns how many channels the link has. */
int rpmsg_link_channels(struct rpmsg_link *link, struct rpmsg_channel_info *out, int max);
/* Whether the link is up (the peer is there and the transport is ready to send). */
bool rpmsg_link_is_up(struct rpmsg_link *link);
/* Limit the endpoints on a link (default RPMSG_MAX_ENDPOINTS); -EBUSY if more exist. */
int rpmsg_link_set_max_endpoints(struct rpmsg_link *link, unsigned max);
/*
 * Tear the link down (its transport's destructor). Waits for a poller inside the link to
 * leave it. Allowed from a callback of another link, not from one of this link's own.
 */
void rpmsg_link_destroy(struct rpmsg_link *link);

/* ---- channels (rpmsg devices) ---- */
/*
 * Create a local channel (as Linux's rpmsg_ctrl CREATE_DEV). With src != ANY the channel
 * is a local service: once a driver binds it, it is announced to the remote through the
 * name service (where the transport has one). -EEXIST if an equal channel exists.
 */
int rpmsg_create_channel(struct rpmsg_link *link, const struct rpmsg_channel_info *info,
			 struct rpmsg_channel **out);
/* Remove the channel matching info (ANY src/dst match any); -ENOENT if none. */
int rpmsg_release_channel(struct rpmsg_link *link, const struct rpmsg_channel_info *info);
const struct rpmsg_channel_info *rpmsg_channel_info(const struct rpmsg_channel *ch);
struct rpmsg_link *rpmsg_channel_link(const struct rpmsg_channel *ch);
/* The endpoint created for the bound driver's callback, or NULL. */
struct rpmsg_endpoint *rpmsg_channel_ept(const struct rpmsg_channel *ch);
void rpmsg_channel_set_drvdata(struct rpmsg_channel *ch, void *data);
void *rpmsg_channel_drvdata(const struct rpmsg_channel *ch);

/* ---- endpoints ---- */
/*
 * Create an endpoint on a link: info->src is the local address (RPMSG_ADDR_ANY: the lowest
 * free address from 1024), info->dst the default destination (may be ANY; it is learned
 * from the first message received), info->name the service name (may be empty; GLINK and
 * SMD open the channel of that name). -EADDRINUSE, -ENOSPC (no free address or endpoint
 * limit), -EINVAL (address above RPMSG_ADDR_MAX, NULL arguments).
 */
int rpmsg_create_ept(struct rpmsg_link *link, const struct rpmsg_channel_info *info,
		     rpmsg_rx_cb cb, void *priv, struct rpmsg_endpoint **out);
/* No callback of the endpoint runs after this returns (unless called from that callback). NULL is ignored. */
void rpmsg_destroy_ept(struct rpmsg_endpoint *ept);
uint32_t rpmsg_ept_addr(const struct rpmsg_endpoint *ept);
uint32_t rpmsg_ept_dst(const struct rpmsg_endpoint *ept);
void rpmsg_ept_set_dst(struct rpmsg_endpoint *ept, uint32_t dst);
struct rpmsg_link *rpmsg_ept_link(const struct rpmsg_endpoint *ept);
void rpmsg_ept_set_flow_cb(struct rpmsg_endpoint *ept, rpmsg_flow_cb cb);
/* Announce the endpoint's name and address (NS CREATE); destroy then sends NS DESTROY. */
int rpmsg_ept_announce(struct rpmsg_endpoint *ept);

/*
 * Sending. send* wait for a transmit buffer up to the link's send timeout
 * (RPMSG_SEND_TIMEOUT_MS); trysend* never wait (-EAGAIN or -ENOMEM, as the transport
 * says). -EINVAL: src or dst is RPMSG_ADDR_ANY; -EMSGSIZE: len > MTU; -ETIMEDOUT;
 * -ENOTCONN: the link is down; -EPIPE: the peer went away.
 */
int rpmsg_send(struct rpmsg_endpoint *ept, const void *data, size_t len);
int rpmsg_sendto(struct rpmsg_endpoint *ept, const void *data, size_t len, uint32_t dst);
int rpmsg_send_offchannel(struct rpmsg_endpoint *ept, uint32_t src, uint32_t dst,
			  const void *data, size_t len);
int rpmsg_trysend(struct rpmsg_endpoint *ept, const void *data, size_t len);
int rpmsg_trysendto(struct rpmsg_endpoint *ept, const void *data, size_t len, uint32_t dst);
int rpmsg_trysend_offchannel(struct rpmsg_endpoint *ept, uint32_t src, uint32_t dst,
			     const void *data, size_t len);
/* The general form: timeout_ms 0 = try, -1 = forever. */
int rpmsg_send_timeout(struct rpmsg_endpoint *ept, uint32_t src, uint32_t dst, const void *data,
		       size_t len, int timeout_ms);
/*
 * A stream's send: msgs[0..n) to dst, in order, without waiting, handed to the peer together
 * (virtio: one update of the ring's index, one fence, at most one doorbell, where n sends pay
 * n of each). Returns how many went (1..n; fewer when room ran out or msgs[k] was refused,
 * which then was not sent), or, when none went, the error rpmsg_trysendto would give for
 * msgs[0]. n == 0 returns 0. Transports without a burst path send them one by one.
 */
struct rpmsg_msg {
	const void *data;
	size_t len;
};
int rpmsg_trysend_burst(struct rpmsg_endpoint *ept, uint32_t dst, const struct rpmsg_msg *msgs,
			int n);
/* Largest payload of one message; -EOPNOTSUPP where the transport has no fixed MTU. */
int rpmsg_get_mtu(struct rpmsg_endpoint *ept);
/* Ask the remote to pause/resume sending to us (GLINK); -EOPNOTSUPP elsewhere. */
int rpmsg_set_flow_control(struct rpmsg_endpoint *ept, bool pause, uint32_t dst);
/* 1 if a send would not wait now, 0 if it would, negative errno. */
int rpmsg_poll_tx(struct rpmsg_endpoint *ept);

/* Zero copy: borrow a transmit buffer, fill it, send it (or give it back). */
int rpmsg_get_tx_buffer(struct rpmsg_endpoint *ept, void **buf, size_t *size, int timeout_ms);
int rpmsg_send_nocopy(struct rpmsg_endpoint *ept, uint32_t dst, void *buf, size_t len);
void rpmsg_release_tx_buffer(struct rpmsg_endpoint *ept, void *buf);
/* Keep a received buffer past its callback (call from the callback), then release it. */
int rpmsg_hold_rx_buffer(struct rpmsg_endpoint *ept, void *data);
void rpmsg_release_rx_buffer(struct rpmsg_endpoint *ept, void *data);

/* A short English text for a (negative or positive) errno value returned by this library. */
const char *rpmsg_strerror(int err);

#ifdef __cplusplus
}
#endif
#endif
