/* The loopback transport: two links in one process joined by two bounded queues. */
#include <string.h>
#if !RPMSG_BAREMETAL
#include <pthread.h> /* the timed wait */
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#endif

#include <rpmsg/loopback.h>
#include <rpmsg/transport.h>

#include "core/os.h"

struct lb_msg {
	uint32_t src, dst;
	size_t len;
	unsigned char data[]; /* mtu bytes */
};

/* One direction: messages sent by side `from`, taken by the other side. */
struct lb_queue {
	unsigned char *slots; /* nslots slots of slot_size bytes */
	unsigned head, tail;  /* free-running; guarded by the pair's lock */
	int efd;              /* readable while the receiver has messages to take (-1: none) */
};

struct lb_pair {
	rpmsg_mutex lock;
	rpmsg_cond space;     /* a slot was freed */
	unsigned mtu, depth;
	unsigned nslots;       /* depth rounded up to a power of two: see slot() */
	size_t slot_size;
	struct lb_queue q[2];  /* q[s]: sent by side s */
	bool closed[2];        /* side s is gone */
	int refs;
};

struct lb_side {
	struct lb_pair *pair;
	int s; /* 0 or 1 */
};

/*
 * head/tail run freely and wrap at 2^32; `idx % depth` would jump there unless depth divides
 * 2^32 (two live messages in one slot). A power-of-two slot count keeps the mapping
 * continuous; at most `depth` of the slots are in use.
 */
static struct lb_msg *slot(struct lb_queue *q, struct lb_pair *p, unsigned idx)
{
	return (struct lb_msg *)(q->slots + (size_t)(idx & (p->nslots - 1)) * p->slot_size);
}

#if !RPMSG_BAREMETAL
/* The receiving bus watches an eventfd per queue. */
static void efd_signal(int efd)
{
	uint64_t one = 1;

	(void)!write(efd, &one, sizeof(one));
}

static void efd_clear(int efd)
{
	uint64_t v;

	(void)!read(efd, &v, sizeof(v));
}

static int deadline_of(int timeout_ms, struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += timeout_ms / 1000;
	ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
	return 0;
}
#else
/* No descriptors: the bus polls, and arm() sees a queue that is not empty. */
static void efd_signal(int efd)
{
	(void)efd;
}

static void efd_clear(int efd)
{
	(void)efd;
}
#endif

static int lb_send(struct rpmsg_link *link, struct rpmsg_endpoint *ept, uint32_t src,
		   uint32_t dst, const void *data, size_t len, int timeout_ms)
{
	struct lb_side *side = rpmsg_link_priv(link);
	struct lb_pair *p = side->pair;
	struct lb_queue *q = &p->q[side->s];
#if !RPMSG_BAREMETAL
	struct timespec deadline;
#endif
	struct lb_msg *m;
	int ret = 0;

	(void)ept;
	if (len > p->mtu)
		return -EMSGSIZE;
#if !RPMSG_BAREMETAL
	if (timeout_ms > 0)
		deadline_of(timeout_ms, &deadline);
#endif
	rpmsg_mutex_lock(&p->lock);
	while (!p->closed[!side->s] && q->head - q->tail == p->depth) {
		if (timeout_ms == 0) {
			ret = -EAGAIN;
			break;
		}
#if RPMSG_BAREMETAL
		/* One context: the receiver cannot run while we wait, so no wait can end well. */
		ret = -ETIMEDOUT;
		break;
#else
		if (timeout_ms < 0)
			rpmsg_cond_wait(&p->space, &p->lock);
		else if (pthread_cond_timedwait(&p->space, &p->lock, &deadline) == ETIMEDOUT) {
			ret = -ETIMEDOUT;
			break;
		}
#endif
	}
	if (!ret && p->closed[!side->s])
		ret = -EPIPE;
	if (!ret) {
		m = slot(q, p, q->head);
		m->src = src;
		m->dst = dst;
		m->len = len;
		if (len)
			memcpy(m->data, data, len);
		q->head++;
		efd_signal(q->efd);
	}
	rpmsg_mutex_unlock(&p->lock);
	return ret;
}

static int lb_get_mtu(struct rpmsg_link *link, struct rpmsg_endpoint *ept)
{
	struct lb_side *side = rpmsg_link_priv(link);

	(void)ept;
	return (int)side->pair->mtu;
}

static int lb_poll_tx(struct rpmsg_link *link, struct rpmsg_endpoint *ept)
{
	struct lb_side *side = rpmsg_link_priv(link);
	struct lb_pair *p = side->pair;
	int room;

	(void)ept;
	rpmsg_mutex_lock(&p->lock);
	room = p->q[side->s].head - p->q[side->s].tail < p->depth;
	rpmsg_mutex_unlock(&p->lock);
	return room;
}

/* Take what the peer sent us, in order; the slot is only reused after the callback. */
static int lb_process(struct rpmsg_link *link)
{
	struct lb_side *side = rpmsg_link_priv(link);
	struct lb_pair *p = side->pair;
	struct lb_queue *q = &p->q[!side->s];
	int n = 0;

	efd_clear(q->efd);
	for (unsigned budget = p->depth; budget; budget--) {
		struct lb_msg *m;

		rpmsg_mutex_lock(&p->lock);
		m = q->head != q->tail ? slot(q, p, q->tail) : NULL;
		rpmsg_mutex_unlock(&p->lock);
		if (!m)
			break;
		rpmsg_link_deliver(link, m->src, m->dst, m->data, m->len);
		rpmsg_mutex_lock(&p->lock);
		q->tail++;
		rpmsg_cond_broadcast(&p->space);
		rpmsg_mutex_unlock(&p->lock);
		n++;
	}
	if (n == (int)p->depth)
		efd_signal(q->efd); /* budget spent: make sure the bus comes back */
	return n;
}

static int lb_arm(struct rpmsg_link *link)
{
	struct lb_side *side = rpmsg_link_priv(link);
	struct lb_pair *p = side->pair;
	int pending;

	rpmsg_mutex_lock(&p->lock);
	pending = p->q[!side->s].head != p->q[!side->s].tail;
	rpmsg_mutex_unlock(&p->lock);
	return pending;
}

static bool lb_is_up(struct rpmsg_link *link)
{
	struct lb_side *side = rpmsg_link_priv(link);
	bool up;

	rpmsg_mutex_lock(&side->pair->lock);
	up = !side->pair->closed[!side->s];
	rpmsg_mutex_unlock(&side->pair->lock);
	return up;
}

static void pair_put(struct lb_pair *p)
{
	bool last;

	rpmsg_mutex_lock(&p->lock);
	last = --p->refs == 0;
	rpmsg_mutex_unlock(&p->lock);
	if (!last)
		return;
	for (int i = 0; i < 2; i++) {
		rpmsg_os_free(p->q[i].slots);
#if !RPMSG_BAREMETAL
		if (p->q[i].efd >= 0)
			close(p->q[i].efd);
#endif
	}
	rpmsg_cond_destroy(&p->space);
	rpmsg_mutex_destroy(&p->lock);
	rpmsg_os_free(p);
}

static void lb_destroy(struct rpmsg_link *link)
{
	struct lb_side *side = rpmsg_link_priv(link);
	struct lb_pair *p = side->pair;

	rpmsg_mutex_lock(&p->lock);
	p->closed[side->s] = true;
	rpmsg_cond_broadcast(&p->space); /* blocked senders of the other side: -EPIPE */
	rpmsg_mutex_unlock(&p->lock);
	rpmsg_os_free(side);
	pair_put(p);
}

static const struct rpmsg_transport_ops lb_ops = {
	.send = lb_send,
	.get_mtu = lb_get_mtu,
	.poll_tx = lb_poll_tx,
	.process = lb_process,
	.arm = lb_arm,
	.is_up = lb_is_up,
	.destroy = lb_destroy,
};

int rpmsg_loopback_create(struct rpmsg_bus *a, struct rpmsg_bus *b,
			  const struct rpmsg_loopback_config *cfg, struct rpmsg_link **link_a,
			  struct rpmsg_link **link_b)
{
	struct rpmsg_loopback_config def = { .mtu = 496, .depth = 64, .name_service = true };
	struct rpmsg_bus *buses[2] = { a, b };
	struct rpmsg_link *links[2] = { NULL, NULL };
	struct lb_pair *p;
#if !RPMSG_BAREMETAL
	pthread_condattr_t ca;
#endif
	int ret = 0;

	if (!a || !b || !link_a || !link_b)
		return -EINVAL;
	if (!cfg)
		cfg = &def;
	if (cfg->mtu > 65535 || cfg->depth > 65536)
		return -EINVAL;
	p = rpmsg_os_zalloc(sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->mtu = cfg->mtu ? cfg->mtu : def.mtu;
	p->depth = cfg->depth ? cfg->depth : def.depth;
	for (p->nslots = 1; p->nslots < p->depth; p->nslots *= 2)
		;
	p->slot_size = (sizeof(struct lb_msg) + p->mtu + 7) & ~(size_t)7;
	p->refs = 2;
	rpmsg_mutex_init(&p->lock, false);
#if RPMSG_BAREMETAL
	rpmsg_cond_init(&p->space);
#else
	/* lb_send's timed wait is on the monotonic clock (rpmsg_cond_init takes the default). */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->space, &ca);
	pthread_condattr_destroy(&ca);
#endif
	for (int i = 0; i < 2; i++) {
#if RPMSG_BAREMETAL
		p->q[i].efd = -1;
#else
		p->q[i].efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (p->q[i].efd < 0)
			ret = -ENOMEM;
#endif
		/* calloc's overflow check: up to 4 GiB, too much for a 32-bit size_t. */
		if (p->slot_size <= SIZE_MAX / p->nslots)
			p->q[i].slots = rpmsg_os_zalloc(p->nslots * p->slot_size);
		if (!p->q[i].slots)
			ret = -ENOMEM;
	}
	for (int s = 0; s < 2 && !ret; s++) {
		struct lb_side *side = rpmsg_os_zalloc(sizeof(*side));
		struct rpmsg_link_desc desc = {
			.name = s ? "loopback1" : "loopback0",
			.transport = "loopback",
			.ops = &lb_ops,
			.priv = side,
			.flags = RPMSG_LINK_F_SETUP | (cfg->name_service ? RPMSG_LINK_F_NS : 0),
		};

		if (!side) {
			ret = -ENOMEM;
			break;
		}
		side->pair = p;
		side->s = s;
		ret = rpmsg_link_register(buses[s], &desc, &links[s]);
		if (ret) {
			rpmsg_os_free(side);
			break;
		}
#if !RPMSG_BAREMETAL
		ret = rpmsg_link_watch_fd(links[s], p->q[!s].efd);
#endif
	}
	if (ret) {
		int owned = 0;

		for (int s = 0; s < 2; s++) {
			if (links[s]) {
				rpmsg_link_destroy(links[s]); /* drops one pair reference each */
				owned++;
			}
		}
		while (owned++ < 2)
			pair_put(p);
		return ret;
	}
	rpmsg_link_ready(links[0]);
	rpmsg_link_ready(links[1]);
	*link_a = links[0];
	*link_b = links[1];
	return 0;
}
