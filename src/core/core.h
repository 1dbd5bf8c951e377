/* Internal structures of the core bus. Transports use include/rpmsg/transport.h instead. */
#ifndef RPMSG_CORE_H
#define RPMSG_CORE_H

#include <pthread.h>
#include <stdatomic.h>

#include <rpmsg/transport.h>

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
	pthread_mutex_t cb_lock;  /* recursive: a callback may destroy its own endpoint */
	atomic_int refs;
	bool announced;
	struct rpmsg_endpoint *hnext; /* hash chain */
};

struct rpmsg_channel {
	struct rpmsg_link *link;
	struct rpmsg_channel_info info;
	bool announce;
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
	pthread_mutex_t ept_lock;
	struct rpmsg_endpoint **buckets;
	unsigned nbuckets; /* power of two */
	unsigned nepts;
	unsigned max_epts;

	struct rpmsg_channel *channels; /* guarded by bus->lock */
	struct rpmsg_endpoint *ns_ept;

	pthread_mutex_t rx_lock; /* one poller inside ops->process at a time */
	int users;               /* pollers using the link outside bus->lock */
	bool dying;
	int fds[4];
	int nfds;
};

struct rpmsg_driver_node {
	const struct rpmsg_driver *drv;
	struct rpmsg_driver_node *next;
};

struct rpmsg_bus {
	pthread_mutex_t lock;  /* links, channels, drivers */
	pthread_cond_t idle;   /* a link's users dropped to 0 */
	struct rpmsg_link *links[RPMSG_MAX_LINKS];
	int nlinks;
	struct rpmsg_driver_node *drivers;
	int epfd;   /* epoll set: links' fds + wakefd */
	int wakefd; /* eventfd for rpmsg_bus_wake */
	pthread_t thread;
	atomic_bool thread_run;
	bool thread_started;
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

/* Name service (ns.c). */
int rpmsg_ns_start(struct rpmsg_link *link);
int rpmsg_ns_send(struct rpmsg_link *link, const char *name, uint32_t addr, uint32_t flags);

#endif
