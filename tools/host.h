/*
 * The main CPU's side of the tool: one bus, the channels remotes announce on it, a queue
 * of received messages per channel (what `rpmsg recv` reads), and the measurements
 * (`ping`, `bench`, the demo table).
 */
#ifndef RPMSG_TOOL_HOST_H
#define RPMSG_TOOL_HOST_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rpmsg/rpmsg.h>

#define HOST_MAX_CHANNELS 64
#define HOST_QUEUE_MAX 256 /* messages kept per channel for recv; the oldest are dropped */

struct hmsg {
	uint32_t src;
	uint32_t len;
	uint8_t data[];
};

struct hchan {
	struct rpmsg_link *link;
	struct rpmsg_channel *ch; /* while bound by our driver */
	struct rpmsg_endpoint *ept;
	bool own_ept;             /* created by us for a channel no driver of ours binds */
	bool gone;                /* the remote removed it */
	struct rpmsg_channel_info info;
	struct hmsg *queue[HOST_QUEUE_MAX];
	unsigned qhead, qcount;
	uint64_t dropped;
	volatile bool measuring;  /* replies are counted, not queued */
	volatile unsigned long replies;
};

struct host {
	struct rpmsg_bus *bus;
	pthread_mutex_t lock; /* channels and queues */
	pthread_cond_t cond;  /* a message was queued or a channel changed */
	struct hchan *chans[HOST_MAX_CHANNELS];
	int nchans;
	_Atomic bool threaded; /* the bus thread is running */
	volatile bool stopping; /* waiters give up (-ESHUTDOWN) */
	double budget_s;        /* > 0: a ping or stream stops early after this long (demo) */
};

int host_init(struct host *h);
void host_fini(struct host *h);
/* Run callbacks on a bus thread (for the sim's server) or from the caller's polls. */
int host_start_thread(struct host *h);
void host_stop_thread(struct host *h);

/* Find a channel by "name" or "link/name"; -ENOENT none, -EEXIST ambiguous. */
int host_find(struct host *h, const char *spec, struct hchan **out);
/* Wait until `link` shows at least n channels bound or announced; 0 or -ETIMEDOUT. */
int host_wait_channels(struct host *h, struct rpmsg_link *link, int n, int timeout_ms);
int host_count_channels(struct host *h, struct rpmsg_link *link);
/* Endpoint to send on (created on demand for channels our driver does not bind). */
int host_ept(struct host *h, struct hchan *c, struct rpmsg_endpoint **out);
/* Pop one queued message (caller frees), waiting up to timeout_ms. */
int host_recv(struct host *h, struct hchan *c, int timeout_ms, struct hmsg **out);

struct ping_stats {
	int count;
	double min_us, median_us, p99_us, max_us;
	double *samples; /* optional, caller's: filled with `count` round trips, sorted (us) */
};
int host_ping(struct host *h, struct hchan *echo, int count, size_t size, struct ping_stats *out);

struct stream_stats {
	long messages;
	size_t size;
	double seconds, msgs_per_s, mb_per_s;
};
/* Called about every 20 ms while streaming (and once at the end). */
typedef void (*progress_fn)(long done, long total, double seconds, void *arg);
/*
 * Stream `count` messages of `size` bytes into `target`; completion is known from the
 * echoes when target is an echo service, else from a ping through `sync` (an echo channel
 * on the same link: messages are handled in order). `burst` messages go per call: 1 with
 * rpmsg_trysend, more with rpmsg_trysend_burst (up to HOST_BURST_MAX).
 */
int host_stream(struct host *h, struct hchan *target, struct hchan *sync, long count, size_t size,
		int burst, progress_fn progress, void *arg, struct stream_stats *out);
#define HOST_BURST_MAX 64 /* host_stream: messages per rpmsg_trysend_burst at most */

bool host_is_echo(const struct hchan *c);
double host_now_s(void);

#endif
