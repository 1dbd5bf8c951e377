/* Internal structures of the core bus. Transports use include/rpmsg/transport.h instead. */
#ifndef RPMSG_CORE_H
#define RPMSG_CORE_H

#include <stdatomic.h>

#include <rpmsg/capture.h>
#include <rpmsg/transport.h>

#include "core/os.h"

#ifndef ESHUTDOWN
#define ESHUTDOWN 110 /* newlib's value; it hides it behind __LINUX_ERRNO_EXTENSIONS__ */
#endif

#define RPMSG_MAX_LINKS 64

struct rpmsg_endpoint {
	struct rpmsg_link *link;
	uint32_t addr;
	_Atomic uint32_t dst;
	char name[RPMSG_NAME_SIZE];
	rpmsg_rx_cb cb;           /* NULL once destroyed; guarded by cb_lock */
	rpmsg_flow_cb flow_cb;
	void *priv;
	void *tpriv;              /* the transport's */
	struct rpmsg_channel *channel; /* set for a channel's default endpoint */
	rpmsg_rspinlock cb_lock;  /* recursive: a callback may destroy its own endpoint */
	atomic_int refs;
	bool announced;
	struct rpmsg_endpoint *hnext; /* hash chain */
};

struct rpmsg_channel {
	struct rpmsg_link *link;
	struct rpmsg_channel_info info;
	uint32_t req_src;               /* info.src as created (ANY: allocate at each bind) */
	bool announce;
	bool announced;                 /* its NS CREATE is queued or sent (bus->lock) */
	const struct rpmsg_driver *drv; /* bound driver or NULL */
	struct rpmsg_endpoint *ept;     /* the driver's default endpoint */
	void *drvdata;
	struct rpmsg_channel *next;
};

struct rpmsg_link {
	struct rpmsg_bus *bus;
	char name[RPMSG_NAME_SIZE];
	const char *transport;
	const struct rpmsg_transport_ops *ops;
	void *priv;
	unsigned flags;

	/* Endpoint table: address -> endpoint, chained hash, grown to keep chains short. */
	rpmsg_mutex ept_lock;
	struct rpmsg_endpoint **buckets;
	unsigned nbuckets; /* power of two */
	unsigned nepts;
	unsigned max_epts;

	struct rpmsg_channel *channels; /* guarded by bus->lock */
	struct rpmsg_endpoint *ns_ept;

	int slot;                /* its place in bus->slots; -1 until live */
	atomic_bool live;        /* polled: set up (RPMSG_LINK_F_SETUP: rpmsg_link_ready) */
	/*
	 * The endpoint the last message went to, with a reference: the next message to the
	 * same address skips the table (its lock and the reference count). Valid while
	 * ept_unlinks has not moved. rx_ept and rx_ept_gen belong to the holder of the link's
	 * slot (deliveries happen inside ops->process).
	 */
	struct rpmsg_endpoint *rx_ept;
	unsigned rx_ept_gen;
	atomic_uint ept_unlinks; /* +1 each time an endpoint leaves the table */
	/*
	 * While a tap is set: a send and its TX record happen under this lock, and RX records
	 * wait for it, so a capture never shows an answer before the message it answers.
	 */
	rpmsg_mutex tap_lock;
	int users;               /* arm passes using the link (guarded by bus->links_lock) */
	atomic_bool dying;       /* set under bus->lock, read without it by pollers */
	int fds[4];
	int nfds;
};

struct rpmsg_driver_node {
	const struct rpmsg_driver *drv;
	struct rpmsg_driver_node *next;
};

struct rpmsg_ns_out;

/*
 * Where a process pass finds a link, without taking a lock: the slot outlives the link in
 * it. Holding `busy` (tried, never waited for: the pass's only locked instruction per link)
 * makes the holder the one poller inside that link's ops->process; unregistering empties
 * `link` and then takes `busy` once, waiting for a pass inside to leave.
 */
struct rpmsg_link_slot {
	rpmsg_spinlock busy;
	struct rpmsg_link *_Atomic link;
};

struct rpmsg_bus {
	rpmsg_mutex lock;      /* links, channels, drivers */
	/*
	 * Name-service messages of channels bound/unbound under `lock` are queued and sent once
	 * the thread lets go of `lock` (never with it held: a blocking send there would stop
	 * this bus's pollers, and the peer's sends to us with them). See ns.c.
	 */
	int lock_depth;                    /* holds of `lock` by its owner (bus_lock) */
	bool ns_queued;                    /* the owner queued something in this hold */
	struct rpmsg_ns_out *ns_out, **ns_out_tail; /* guarded by `lock` */
	rpmsg_mutex ns_tx_lock;            /* one thread sends the queue at a time */
	/*
	 * links[]/nlinks and slots[] change under both `lock` and links_lock. An arm pass takes
	 * links_lock (with links' `users`); a process pass takes no lock, it goes through
	 * slots[0, nslots). Neither takes `lock`, so a thread holding it (a driver's probe or
	 * remove sending, blocking) does not stop this bus from draining its links.
	 */
	rpmsg_mutex links_lock;
	rpmsg_cond idle;       /* a link's users dropped to 0 (with links_lock) */
	struct rpmsg_link *links[RPMSG_MAX_LINKS];
	int nlinks;
	struct rpmsg_link_slot slots[RPMSG_MAX_LINKS];
	atomic_int nslots;     /* slots ever used: later ones are all empty */
	struct rpmsg_driver_node *drivers;
#if !RPMSG_BAREMETAL
	int epfd;   /* epoll set: links' fds + wakefd */
	int wakefd; /* eventfd for rpmsg_bus_wake, and for pollers to arm a new link */
	atomic_bool woken; /* rpmsg_bus_wake was called: the sleeping poll returns */
	atomic_int sleepers; /* pollers between arming the links and waking up */
	pthread_t thread;
	atomic_bool thread_run;
	atomic_bool thread_done; /* the helper left its loop */
	bool thread_started;
	_Atomic int sweep_min_ms, sweep_max_ms; /* rpmsg_bus_set_sweep (0: no sweeps) */
#endif
	/* Capture tap (tap.c): fn is read on every message, so it stands alone. */
	_Atomic(rpmsg_tap_fn) tap_fn;
	void *tap_arg;
	atomic_int tap_users;
};

/* Endpoint table (endpoint.c). */
void rpmsg_ept_put(struct rpmsg_endpoint *ept);
struct rpmsg_endpoint *rpmsg_ept_get(struct rpmsg_link *link, uint32_t addr);
int rpmsg_ept_create_internal(struct rpmsg_link *link, const struct rpmsg_channel_info *info,
			      rpmsg_rx_cb cb, void *priv, struct rpmsg_channel *ch,
			      struct rpmsg_endpoint **out);
void rpmsg_ept_destroy_all(struct rpmsg_link *link);

/* Channels and drivers (channel.c); called with bus->lock held. */
void rpmsg_channel_probe_locked(struct rpmsg_channel *ch);
void rpmsg_channel_unbind_locked(struct rpmsg_channel *ch);
bool rpmsg_driver_matches(const struct rpmsg_driver *drv, const char *name);

/* Capture (tap.c): the check is inline, the work out of line. */
void rpmsg_tap_emit(struct rpmsg_link *link, uint8_t event, uint8_t dir, uint32_t src, uint32_t dst,
		    const void *data, size_t len);
static inline bool rpmsg_tap_on(const struct rpmsg_link *link)
{
#if RPMSG_NO_TAP /* a build without capture, to measure what the tap costs when off */
	(void)link;
	return false;
#else
	return __builtin_expect(atomic_load_explicit(&link->bus->tap_fn, memory_order_relaxed) != NULL, 0);
#endif
}

static inline void rpmsg_tap(struct rpmsg_link *link, uint8_t event, uint8_t dir, uint32_t src,
			     uint32_t dst, const void *data, size_t len)
{
	if (rpmsg_tap_on(link))
		rpmsg_tap_emit(link, event, dir, src, dst, data, len);
}

/* Name service (ns.c). */
int rpmsg_ns_start(struct rpmsg_link *link);
int rpmsg_ns_send(struct rpmsg_link *link, const char *name, uint32_t addr, uint32_t flags);
/* Queue a message (bus->lock held); sent when the holder lets go (rpmsg_bus_unlock). */
int rpmsg_ns_queue(struct rpmsg_link *link, const char *name, uint32_t addr, uint32_t flags);
/* Send the queue in order (bus->lock not held). wait: else leave it to a thread sending. */
void rpmsg_ns_flush(struct rpmsg_bus *bus, bool wait);
/* Drop what is queued for a link going away (after a waiting flush). */
void rpmsg_ns_purge(struct rpmsg_link *link);

/* bus->lock for code that may bind or unbind drivers: unlock sends queued NS messages. */
void rpmsg_bus_lock(struct rpmsg_bus *bus);
void rpmsg_bus_unlock(struct rpmsg_bus *bus);

#endif
