/* The name service: 40-byte announcements to and from address 53 (spec 10 §9). */
#include <string.h>

#include "core/core.h"

#define NS_MSG_SIZE 40

static void put32(uint8_t *p, uint32_t v, bool be)
{
	for (int i = 0; i < 4; i++)
		p[be ? 3 - i : i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p, bool be)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v |= (uint32_t)p[be ? 3 - i : i] << (8 * i);
	return v;
}

int rpmsg_ns_encode(void *msg40, const char *name, uint32_t addr, uint32_t flags, bool big_endian)
{
	uint8_t *m = msg40;
	size_t n;

	if (!m || !name)
		return -EINVAL;
	n = rpmsg_strnlen(name, RPMSG_NAME_SIZE);
	if (n == 0 || n >= RPMSG_NAME_SIZE)
		return -EINVAL;
	memset(m, 0, NS_MSG_SIZE);
	memcpy(m, name, n);
	put32(m + 32, addr, big_endian);
	put32(m + 36, flags, big_endian);
	return NS_MSG_SIZE;
}

int rpmsg_ns_send(struct rpmsg_link *link, const char *name, uint32_t addr, uint32_t flags)
{
	uint8_t msg[NS_MSG_SIZE];
	int ret;

	if (!(link->flags & RPMSG_LINK_F_NS))
		return -EOPNOTSUPP;
	ret = rpmsg_ns_encode(msg, name, addr, flags, link->flags & RPMSG_LINK_F_BIG_ENDIAN);
	if (ret < 0)
		return ret;
	/* Header src is the announcing endpoint, dst the name service (all stacks do this). */
	ret = link->ops->send(link, link->ns_ept, addr, RPMSG_NS_ADDR, msg, sizeof(msg),
			      RPMSG_SEND_TIMEOUT_MS);
	if (ret == 0)
		rpmsg_tap(link, RPMSG_CAP_MSG, RPMSG_CAP_TX, addr, RPMSG_NS_ADDR, msg, sizeof(msg));
	return ret;
}

struct rpmsg_ns_out {
	struct rpmsg_ns_out *next;
	struct rpmsg_link *link;
	char name[RPMSG_NAME_SIZE];
	uint32_t addr, flags;
};

int rpmsg_ns_queue(struct rpmsg_link *link, const char *name, uint32_t addr, uint32_t flags)
{
	struct rpmsg_bus *bus = link->bus;
	struct rpmsg_ns_out *m;

	if (!(link->flags & RPMSG_LINK_F_NS))
		return -EOPNOTSUPP;
	m = rpmsg_os_zalloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->link = link;
	strncpy(m->name, name, RPMSG_NAME_SIZE - 1);
	m->addr = addr;
	m->flags = flags;
	*bus->ns_out_tail = m;
	bus->ns_out_tail = &m->next;
	bus->ns_queued = true;
	return 0;
}

void rpmsg_ns_flush(struct rpmsg_bus *bus, bool wait)
{
	for (;;) {
		bool more;

		if (wait)
			rpmsg_mutex_lock(&bus->ns_tx_lock);
		else if (rpmsg_mutex_trylock(&bus->ns_tx_lock))
			return; /* its holder sends ours too: it looks again after letting go */
		for (;;) {
			struct rpmsg_ns_out *m;

			rpmsg_mutex_lock(&bus->lock);
			m = bus->ns_out;
			if (m && !(bus->ns_out = m->next))
				bus->ns_out_tail = &bus->ns_out;
			rpmsg_mutex_unlock(&bus->lock);
			if (!m)
				break;
			rpmsg_ns_send(m->link, m->name, m->addr, m->flags);
			rpmsg_os_free(m);
		}
		rpmsg_mutex_unlock(&bus->ns_tx_lock);
		rpmsg_mutex_lock(&bus->lock);
		more = bus->ns_out != NULL;
		rpmsg_mutex_unlock(&bus->lock);
		if (!more)
			return;
		wait = false;
	}
}

void rpmsg_ns_purge(struct rpmsg_link *link)
{
	struct rpmsg_bus *bus = link->bus;
	struct rpmsg_ns_out **pp;

	rpmsg_mutex_lock(&bus->ns_tx_lock); /* none of ours is being sent after this */
	rpmsg_mutex_lock(&bus->lock);
	for (pp = &bus->ns_out; *pp;) {
		struct rpmsg_ns_out *m = *pp;

		if (m->link == link) {
			*pp = m->next;
			rpmsg_os_free(m);
		} else {
			pp = &m->next;
		}
	}
	bus->ns_out_tail = pp;
	rpmsg_mutex_unlock(&bus->lock);
	rpmsg_mutex_unlock(&bus->ns_tx_lock);
}

/*
 * An announcement from the peer. The payload is untrusted: exactly 40 bytes or dropped,
 * the name is cut at byte 31, only bit 0 of flags counts.
 */
static int ns_rx(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct rpmsg_link *link = ept->link;
	bool be = link->flags & RPMSG_LINK_F_BIG_ENDIAN;
	struct rpmsg_channel_info info;
	uint8_t msg[NS_MSG_SIZE];
	uint32_t flags;

	(void)src;
	(void)priv;
	if (len != NS_MSG_SIZE)
		return -EINVAL;
	memcpy(msg, data, sizeof(msg)); /* read the shared buffer once */
	memset(&info, 0, sizeof(info));
	/* Up to 31 characters, then NUL padding (as Linux's strscpy_pad): junk after the NUL
	 * must not end up in the channel's name. */
	memcpy(info.name, msg, rpmsg_strnlen((const char *)msg, RPMSG_NAME_SIZE - 1));
	info.src = RPMSG_ADDR_ANY;
	info.dst = get32(msg + 32, be);
	flags = get32(msg + 36, be);
	if (!info.name[0] || info.dst == RPMSG_ADDR_ANY)
		return -EINVAL;

	if (flags & RPMSG_NS_DESTROY) {
		/* Unbind any local endpoint bound to the service (OpenAMP), then drop the channel. */
		rpmsg_mutex_lock(&link->ept_lock);
		for (unsigned i = 0; i < link->nbuckets; i++) {
			for (struct rpmsg_endpoint *e = link->buckets[i]; e; e = e->hnext) {
				/* A failed exchange writes the current value into `expected`: use a
				 * copy, info.dst must stay the announced address. */
				uint32_t expected = info.dst;

				if (!e->channel && e != ept &&
				    !strncmp(e->name, info.name, RPMSG_NAME_SIZE))
					atomic_compare_exchange_strong(&e->dst, &expected,
								       RPMSG_ADDR_ANY);
			}
		}
		rpmsg_mutex_unlock(&link->ept_lock);
		return rpmsg_channel_remove(link, &info);
	}

	/* Bind a local endpoint of that name still waiting for its peer (OpenAMP's rule). */
	rpmsg_mutex_lock(&link->ept_lock);
	for (unsigned i = 0; i < link->nbuckets; i++) {
		for (struct rpmsg_endpoint *e = link->buckets[i]; e; e = e->hnext) {
			uint32_t any = RPMSG_ADDR_ANY;

			if (!e->channel && e != ept && !strncmp(e->name, info.name, RPMSG_NAME_SIZE))
				atomic_compare_exchange_strong(&e->dst, &any, info.dst);
		}
	}
	rpmsg_mutex_unlock(&link->ept_lock);
	/* A duplicate (same name and remote address, any src) is refused, as Linux does. */
	return rpmsg_channel_add(link, &info, false, NULL);
}

int rpmsg_ns_start(struct rpmsg_link *link)
{
	struct rpmsg_channel_info info = { .name = "name_service", .src = RPMSG_NS_ADDR,
					   .dst = RPMSG_NS_ADDR };

	if (!(link->flags & RPMSG_LINK_F_NS))
		return 0;
	return rpmsg_ept_create_internal(link, &info, ns_rx, NULL, NULL, &link->ns_ept);
}
