/* Endpoints: the address table, create/destroy, dispatch and the send family. */
#include <string.h>

#include "core/core.h"

static unsigned hash_addr(uint32_t addr, unsigned nbuckets)
{
	return (addr * 2654435761u) & (nbuckets - 1);
}

static struct rpmsg_endpoint *lookup_locked(struct rpmsg_link *link, uint32_t addr)
{
	struct rpmsg_endpoint *e = link->buckets[hash_addr(addr, link->nbuckets)];

	while (e && e->addr != addr)
		e = e->hnext;
	return e;
}

/* Double the table when chains would get long: lookups stay O(1) on average. */
static void grow_locked(struct rpmsg_link *link)
{
	unsigned n = link->nbuckets * 2;
	/* n <= nepts and each endpoint takes more room than a bucket: the size cannot overflow. */
	struct rpmsg_endpoint **b = rpmsg_os_zalloc(n * sizeof(*b));

	if (!b)
		return; /* keep the old table: slower, still correct */
	for (unsigned i = 0; i < link->nbuckets; i++) {
		struct rpmsg_endpoint *e = link->buckets[i], *next;

		for (; e; e = next) {
			unsigned h = hash_addr(e->addr, n);

			next = e->hnext;
			e->hnext = b[h];
			b[h] = e;
		}
	}
	rpmsg_os_free(link->buckets);
	link->buckets = b;
	link->nbuckets = n;
}

static void unlink_locked(struct rpmsg_link *link, struct rpmsg_endpoint *ept)
{
	struct rpmsg_endpoint **pp = &link->buckets[hash_addr(ept->addr, link->nbuckets)];

	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == ept) {
			*pp = ept->hnext;
			link->nepts--;
			atomic_fetch_add(&link->ept_unlinks, 1); /* a cached rx_ept is looked up again */
			return;
		}
	}
}

struct rpmsg_endpoint *rpmsg_ept_get(struct rpmsg_link *link, uint32_t addr)
{
	struct rpmsg_endpoint *e;

	rpmsg_mutex_lock(&link->ept_lock);
	e = lookup_locked(link, addr);
	if (e)
		atomic_fetch_add(&e->refs, 1);
	rpmsg_mutex_unlock(&link->ept_lock);
	return e;
}

void rpmsg_ept_put(struct rpmsg_endpoint *ept)
{
	if (atomic_fetch_sub(&ept->refs, 1) == 1) {
		rpmsg_os_free(ept);
	}
}

int rpmsg_ept_create_internal(struct rpmsg_link *link, const struct rpmsg_channel_info *info,
			      rpmsg_rx_cb cb, void *priv, struct rpmsg_channel *ch,
			      struct rpmsg_endpoint **out)
{
	struct rpmsg_endpoint *ept;
	uint32_t addr = info->src;
	int ret;

	if (addr != RPMSG_ADDR_ANY && addr > RPMSG_ADDR_MAX)
		return -EINVAL;
	ept = rpmsg_os_zalloc(sizeof(*ept));
	if (!ept)
		return -ENOMEM;
	ept->link = link;
	ept->cb = cb;
	ept->priv = priv;
	ept->channel = ch;
	atomic_init(&ept->dst, info->dst);
	atomic_init(&ept->refs, 1);
	memcpy(ept->name, info->name, RPMSG_NAME_SIZE);
	ept->name[RPMSG_NAME_SIZE - 1] = '\0';

	/* A transport whose peer allocates addresses too (the kernel's char devices) may find
	 * a dynamic address taken there: take the next free one then. */
	for (uint32_t from = RPMSG_RESERVED_ADDRESSES;;) {
		rpmsg_mutex_lock(&link->ept_lock);
		if (link->dying) {
			ret = -ESHUTDOWN;
		} else if (link->nepts >= link->max_epts) {
			ret = -ENOSPC;
		} else if (info->src == RPMSG_ADDR_ANY) {
			/* The lowest free dynamic address, as Linux does. */
			ret = -ENOSPC;
			for (uint32_t a = from; a <= RPMSG_ADDR_MAX; a++) {
				if (!lookup_locked(link, a)) {
					addr = a;
					ret = 0;
					break;
				}
			}
		} else {
			ret = lookup_locked(link, addr) ? -EADDRINUSE : 0;
		}
		if (!ret) {
			unsigned h;

			ept->addr = addr;
			if (link->nepts + 1 > link->nbuckets * 2)
				grow_locked(link);
			h = hash_addr(addr, link->nbuckets);
			ept->hnext = link->buckets[h];
			link->buckets[h] = ept;
			link->nepts++;
		}
		rpmsg_mutex_unlock(&link->ept_lock);
		if (ret) {
			rpmsg_ept_put(ept);
			return ret;
		}
		if (!link->ops->create_ept)
			break;
		ret = link->ops->create_ept(link, ept);
		if (!ret)
			break;
		rpmsg_mutex_lock(&link->ept_lock);
		unlink_locked(link, ept);
		rpmsg_mutex_unlock(&link->ept_lock);
		if (ret != -EADDRINUSE || info->src != RPMSG_ADDR_ANY || addr >= RPMSG_ADDR_MAX) {
			rpmsg_ept_put(ept);
			return ret;
		}
		from = addr + 1;
	}
	*out = ept;
	return 0;
}

int rpmsg_create_ept(struct rpmsg_link *link, const struct rpmsg_channel_info *info,
		     rpmsg_rx_cb cb, void *priv, struct rpmsg_endpoint **out)
{
	if (!link || !info || !cb || !out)
		return -EINVAL;
	return rpmsg_ept_create_internal(link, info, cb, priv, NULL, out);
}

static void ept_destroy(struct rpmsg_endpoint *ept, bool announce)
{
	struct rpmsg_link *link = ept->link;

	if (announce && ept->announced)
		rpmsg_ns_send(link, ept->name, ept->addr, RPMSG_NS_DESTROY);
	rpmsg_mutex_lock(&link->ept_lock);
	unlink_locked(link, ept);
	rpmsg_mutex_unlock(&link->ept_lock);
	if (link->ops->destroy_ept)
		link->ops->destroy_ept(link, ept);
	/* Wait for a callback in flight (in another thread) and stop any later one. */
	rpmsg_rspin_lock(&ept->cb_lock);
	ept->cb = NULL;
	ept->flow_cb = NULL;
	rpmsg_rspin_unlock(&ept->cb_lock);
	rpmsg_ept_put(ept);
}

void rpmsg_destroy_ept(struct rpmsg_endpoint *ept)
{
	if (ept)
		ept_destroy(ept, true);
}

/* Link teardown: every endpoint left goes, without announcements (the link is going). */
void rpmsg_ept_destroy_all(struct rpmsg_link *link)
{
	for (;;) {
		struct rpmsg_endpoint *victim = NULL;

		rpmsg_mutex_lock(&link->ept_lock);
		for (unsigned i = 0; i < link->nbuckets && !victim; i++)
			victim = link->buckets[i];
		rpmsg_mutex_unlock(&link->ept_lock);
		if (!victim)
			break;
		ept_destroy(victim, false);
	}
}

uint32_t rpmsg_ept_addr(const struct rpmsg_endpoint *ept)
{
	return ept ? ept->addr : RPMSG_ADDR_ANY;
}

uint32_t rpmsg_ept_dst(const struct rpmsg_endpoint *ept)
{
	return ept ? atomic_load(&ept->dst) : RPMSG_ADDR_ANY;
}

void rpmsg_ept_set_dst(struct rpmsg_endpoint *ept, uint32_t dst)
{
	if (ept)
		atomic_store(&ept->dst, dst);
}

struct rpmsg_link *rpmsg_ept_link(const struct rpmsg_endpoint *ept)
{
	return ept ? ept->link : NULL;
}

const char *rpmsg_ept_name(const struct rpmsg_endpoint *ept)
{
	return ept ? ept->name : NULL;
}

void rpmsg_ept_set_tpriv(struct rpmsg_endpoint *ept, void *p)
{
	ept->tpriv = p;
}

void *rpmsg_ept_tpriv(const struct rpmsg_endpoint *ept)
{
	return ept->tpriv;
}

void rpmsg_ept_set_flow_cb(struct rpmsg_endpoint *ept, rpmsg_flow_cb cb)
{
	if (!ept)
		return;
	rpmsg_rspin_lock(&ept->cb_lock);
	ept->flow_cb = cb;
	rpmsg_rspin_unlock(&ept->cb_lock);
}

int rpmsg_ept_announce(struct rpmsg_endpoint *ept)
{
	int ret;

	if (!ept || !ept->name[0])
		return -EINVAL;
	ret = rpmsg_ns_send(ept->link, ept->name, ept->addr, RPMSG_NS_CREATE);
	if (!ret)
		ept->announced = true;
	return ret;
}

/* ---- receive dispatch ---- */

static int deliver(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src)
{
	int ret = 0;

	/* Learn the peer's address from its first message (OpenAMP does; harmless for Linux peers). */
	if (src != RPMSG_ADDR_ANY &&
	    atomic_load_explicit(&ept->dst, memory_order_relaxed) == RPMSG_ADDR_ANY) {
		uint32_t any = RPMSG_ADDR_ANY;

		/* Only then the locked compare-and-swap (it writes the line even when it fails). */
		atomic_compare_exchange_strong(&ept->dst, &any, src);
	}
	rpmsg_rspin_lock(&ept->cb_lock);
	if (ept->cb)
		ret = ept->cb(ept, data, len, src, ept->priv);
	rpmsg_rspin_unlock(&ept->cb_lock);
	return ret;
}

/* Point-to-point transports deliver to the endpoint directly. */
int rpmsg_ept_deliver(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src)
{
	rpmsg_tap(ept->link, RPMSG_CAP_MSG, RPMSG_CAP_RX, src, ept->addr, data, len);
	return deliver(ept, data, len, src);
}

/*
 * The endpoint at dst, looked up in the table and remembered in link->rx_ept (with the
 * reference rpmsg_ept_get took); NULL if none. Out of line: rare, and inlined it made every
 * delivery save more registers.
 */
static __attribute__((noinline)) struct rpmsg_endpoint *rx_ept_lookup(struct rpmsg_link *link,
								       uint32_t dst, unsigned gen)
{
	struct rpmsg_endpoint *ept = link->rx_ept;

	link->rx_ept = NULL;
	if (ept)
		rpmsg_ept_put(ept);
	ept = rpmsg_ept_get(link, dst);
	if (ept) {
		link->rx_ept = ept;
		link->rx_ept_gen = gen;
	}
	return ept;
}

int rpmsg_link_deliver(struct rpmsg_link *link, uint32_t src, uint32_t dst, void *data,
		       size_t len)
{
	struct rpmsg_endpoint *ept = link->rx_ept;
	unsigned gen = atomic_load_explicit(&link->ept_unlinks, memory_order_acquire);

	rpmsg_tap(link, RPMSG_CAP_MSG, RPMSG_CAP_RX, src, dst, data, len); /* even if nobody is at dst */
	/*
	 * The same endpoint as last time, unless one left the table since: then it is still in
	 * the table now (as after a lookup, it may leave while we deliver; its callback lock
	 * settles that).
	 */
	if ((!ept || ept->addr != dst || link->rx_ept_gen != gen) &&
	    !(ept = rx_ept_lookup(link, dst, gen)))
		return -ENOENT;
	deliver(ept, data, len, (link->flags & RPMSG_LINK_F_P2P) ? RPMSG_ADDR_ANY : src);
	return 0;
}

void rpmsg_ept_flow(struct rpmsg_endpoint *ept, bool pause)
{
	rpmsg_rspin_lock(&ept->cb_lock);
	if (ept->flow_cb)
		ept->flow_cb(ept, pause, ept->priv);
	rpmsg_rspin_unlock(&ept->cb_lock);
}

/* ---- send family ---- */

int rpmsg_send_timeout(struct rpmsg_endpoint *ept, uint32_t src, uint32_t dst, const void *data,
		       size_t len, int timeout_ms)
{
	int ret;

	if (!ept || (!data && len))
		return -EINVAL;
	if (src == RPMSG_ADDR_ANY || dst == RPMSG_ADDR_ANY)
		return -EINVAL;
	if (!ept->link->ops->send)
		return -ENXIO;
	/* Not capturing (nearly always): straight to the transport, keeping nothing for
	 * afterwards, so no registers are saved around the call. A busy sender's stores
	 * queue behind each such save (bench/RESULTS.md, eighth session). */
	if (!rpmsg_tap_on(ept->link))
		return ept->link->ops->send(ept->link, ept, src, dst, data, len, timeout_ms);
	/*
	 * Capturing: try the send and record it under the tap lock, so the peer's answer
	 * cannot be recorded first. Only a send that has to wait for room goes on without
	 * the lock (the poller may need it to make room).
	 */
	rpmsg_mutex_lock(&ept->link->tap_lock);
	ret = ept->link->ops->send(ept->link, ept, src, dst, data, len, 0);
	if (ret == 0)
		rpmsg_tap_emit(ept->link, RPMSG_CAP_MSG, RPMSG_CAP_TX, src, dst, data, len);
	rpmsg_mutex_unlock(&ept->link->tap_lock);
	if (timeout_ms == 0 || (ret != -ENOMEM && ret != -EAGAIN && ret != -EBUSY))
		return ret;
	ret = ept->link->ops->send(ept->link, ept, src, dst, data, len, timeout_ms);
	if (ret == 0)
		rpmsg_tap(ept->link, RPMSG_CAP_MSG, RPMSG_CAP_TX, src, dst, data, len);
	return ret;
}

int rpmsg_trysend_burst(struct rpmsg_endpoint *ept, uint32_t dst, const struct rpmsg_msg *msgs,
			int n)
{
	uint32_t src;
	int sent = 0, ret = 0;

	if (!ept || n < 0 || (n && !msgs))
		return -EINVAL;
	for (int i = 0; i < n; i++)
		if (!msgs[i].data && msgs[i].len)
			return -EINVAL;
	if (!n)
		return 0;
	src = rpmsg_ept_addr(ept);
	/* One by one where the transport has no burst path, and while capturing (each message
	 * is recorded as it is sent, as rpmsg_send_timeout does). */
	if (!ept->link->ops->send_burst || rpmsg_tap_on(ept->link)) {
		for (; sent < n && !ret; sent += !ret)
			ret = rpmsg_send_timeout(ept, src, dst, msgs[sent].data, msgs[sent].len, 0);
		return sent ? sent : ret;
	}
	if (src == RPMSG_ADDR_ANY || dst == RPMSG_ADDR_ANY)
		return -EINVAL;
	return ept->link->ops->send_burst(ept->link, ept, src, dst, msgs, n);
}

int rpmsg_send(struct rpmsg_endpoint *ept, const void *data, size_t len)
{
	return rpmsg_send_timeout(ept, rpmsg_ept_addr(ept), rpmsg_ept_dst(ept), data, len,
				  RPMSG_SEND_TIMEOUT_MS);
}

int rpmsg_sendto(struct rpmsg_endpoint *ept, const void *data, size_t len, uint32_t dst)
{
	return rpmsg_send_timeout(ept, rpmsg_ept_addr(ept), dst, data, len, RPMSG_SEND_TIMEOUT_MS);
}

int rpmsg_send_offchannel(struct rpmsg_endpoint *ept, uint32_t src, uint32_t dst,
			  const void *data, size_t len)
{
	return rpmsg_send_timeout(ept, src, dst, data, len, RPMSG_SEND_TIMEOUT_MS);
}

int rpmsg_trysend(struct rpmsg_endpoint *ept, const void *data, size_t len)
{
	return rpmsg_send_timeout(ept, rpmsg_ept_addr(ept), rpmsg_ept_dst(ept), data, len, 0);
}

int rpmsg_trysendto(struct rpmsg_endpoint *ept, const void *data, size_t len, uint32_t dst)
{
	return rpmsg_send_timeout(ept, rpmsg_ept_addr(ept), dst, data, len, 0);
}

int rpmsg_trysend_offchannel(struct rpmsg_endpoint *ept, uint32_t src, uint32_t dst,
			     const void *data, size_t len)
{
	return rpmsg_send_timeout(ept, src, dst, data, len, 0);
}

int rpmsg_get_mtu(struct rpmsg_endpoint *ept)
{
	if (!ept)
		return -EINVAL;
	if (!ept->link->ops->get_mtu)
		return -EOPNOTSUPP;
	return ept->link->ops->get_mtu(ept->link, ept);
}

int rpmsg_set_flow_control(struct rpmsg_endpoint *ept, bool pause, uint32_t dst)
{
	if (!ept)
		return -EINVAL;
	if (!ept->link->ops->set_flow_control)
		return -EOPNOTSUPP;
	return ept->link->ops->set_flow_control(ept->link, ept, pause, dst);
}

int rpmsg_poll_tx(struct rpmsg_endpoint *ept)
{
	if (!ept)
		return -EINVAL;
	if (!ept->link->ops->poll_tx)
		return -EOPNOTSUPP;
	return ept->link->ops->poll_tx(ept->link, ept);
}

int rpmsg_get_tx_buffer(struct rpmsg_endpoint *ept, void **buf, size_t *size, int timeout_ms)
{
	if (!ept || !buf || !size)
		return -EINVAL;
	if (!ept->link->ops->get_tx_buffer)
		return -EOPNOTSUPP;
	return ept->link->ops->get_tx_buffer(ept->link, ept, buf, size, timeout_ms);
}

int rpmsg_send_nocopy(struct rpmsg_endpoint *ept, uint32_t dst, void *buf, size_t len)
{
	if (!ept || !buf || dst == RPMSG_ADDR_ANY)
		return -EINVAL;
	if (!ept->link->ops->send_nocopy)
		return -EOPNOTSUPP;
	/* Before: once sent, the buffer is the peer's to read and ours no more. */
	rpmsg_tap(ept->link, RPMSG_CAP_MSG, RPMSG_CAP_TX, ept->addr, dst, buf, len);
	return ept->link->ops->send_nocopy(ept->link, ept, ept->addr, dst, buf, len);
}

void rpmsg_release_tx_buffer(struct rpmsg_endpoint *ept, void *buf)
{
	if (ept && buf && ept->link->ops->release_tx_buffer)
		ept->link->ops->release_tx_buffer(ept->link, buf);
}

int rpmsg_hold_rx_buffer(struct rpmsg_endpoint *ept, void *data)
{
	if (!ept || !data)
		return -EINVAL;
	if (!ept->link->ops->hold_rx_buffer)
		return -EOPNOTSUPP;
	return ept->link->ops->hold_rx_buffer(ept->link, data);
}

void rpmsg_release_rx_buffer(struct rpmsg_endpoint *ept, void *data)
{
	if (ept && data && ept->link->ops->release_rx_buffer)
		ept->link->ops->release_rx_buffer(ept->link, data);
}
