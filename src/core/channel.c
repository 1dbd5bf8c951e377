/* Channels (rpmsg devices) and the drivers bound to them by channel name. */
#include <string.h>

#include "core/core.h"

void rpmsg_bus_lock(struct rpmsg_bus *bus)
{
	rpmsg_mutex_lock(&bus->lock);
	bus->lock_depth++;
}

void rpmsg_bus_unlock(struct rpmsg_bus *bus)
{
	bool flush = false;

	if (--bus->lock_depth == 0) {
		flush = bus->ns_queued;
		bus->ns_queued = false;
	}
	rpmsg_mutex_unlock(&bus->lock);
	if (flush)
		rpmsg_ns_flush(bus, false);
}

/* The Linux core's rule: names equal, and src/dst equal unless the query says ANY. */
static bool info_matches(const struct rpmsg_channel_info *have,
			 const struct rpmsg_channel_info *query)
{
	if (strncmp(have->name, query->name, RPMSG_NAME_SIZE))
		return false;
	if (query->src != RPMSG_ADDR_ANY && query->src != have->src)
		return false;
	return query->dst == RPMSG_ADDR_ANY || query->dst == have->dst;
}

bool rpmsg_driver_matches(const struct rpmsg_driver *drv, const char *name)
{
	if (!drv->id_table)
		return false;
	for (const char *const *id = drv->id_table; *id; id++)
		if (!strncmp(*id, name, RPMSG_NAME_SIZE))
			return true;
	return false;
}

static int bind_driver(struct rpmsg_channel *ch, const struct rpmsg_driver *drv)
{
	struct rpmsg_link *link = ch->link;
	struct rpmsg_endpoint *ept = NULL;
	int ret;

	if (drv->callback) {
		struct rpmsg_channel_info info = ch->info;

		ret = rpmsg_ept_create_internal(link, &info, drv->callback, drv->priv, ch, &ept);
		if (ret)
			return ret;
		ept->flow_cb = drv->flowcontrol;
		ch->info.src = ept->addr;
	}
	ch->drv = drv;
	ch->ept = ept;
	ret = drv->probe ? drv->probe(ch) : 0;
	if (ret)
		goto undo;
	if (ept && ch->announce && (link->flags & RPMSG_LINK_F_NS) && rpmsg_link_is_up(link)) {
		/* Sent when bus->lock is let go (see struct rpmsg_bus). A link not up yet
		 * announces it when it comes up (rpmsg_link_announce_local). */
		ret = rpmsg_ns_queue(link, ch->info.name, ept->addr, RPMSG_NS_CREATE);
		if (ret)
			goto remove;
		ch->announced = true;
	}
	if (ept && link->ops->announce_create) {
		ret = link->ops->announce_create(link, ch);
		if (ret)
			goto remove;
	}
	return 0;
remove:
	if (drv->remove)
		drv->remove(ch);
undo:
	ch->drv = NULL;
	ch->ept = NULL;
	ch->drvdata = NULL;
	ch->info.src = ch->req_src; /* the endpoint's address is no longer ours */
	rpmsg_destroy_ept(ept);
	return ret < 0 ? ret : -EINVAL;
}

void rpmsg_channel_probe_locked(struct rpmsg_channel *ch)
{
	for (struct rpmsg_driver_node *n = ch->link->bus->drivers; n && !ch->drv; n = n->next)
		if (rpmsg_driver_matches(n->drv, ch->info.name))
			bind_driver(ch, n->drv);
}

void rpmsg_link_announce_local(struct rpmsg_link *link)
{
	if (!link || !(link->flags & RPMSG_LINK_F_NS))
		return;
	rpmsg_bus_lock(link->bus);
	for (struct rpmsg_channel *ch = link->channels; ch; ch = ch->next)
		if (ch->ept && ch->announce && !ch->announced &&
		    !rpmsg_ns_queue(link, ch->info.name, ch->ept->addr, RPMSG_NS_CREATE))
			ch->announced = true;
	rpmsg_bus_unlock(link->bus); /* sends them */
}

void rpmsg_channel_unbind_locked(struct rpmsg_channel *ch)
{
	struct rpmsg_link *link = ch->link;
	struct rpmsg_endpoint *ept = ch->ept;

	if (!ch->drv)
		return;
	if (ept && ch->announced && !link->dying)
		rpmsg_ns_queue(link, ch->info.name, ept->addr, RPMSG_NS_DESTROY);
	ch->announced = false;
	if (ept && link->ops->announce_destroy)
		link->ops->announce_destroy(link, ch);
	if (ch->drv->remove)
		ch->drv->remove(ch);
	ch->drv = NULL;
	ch->ept = NULL;
	ch->drvdata = NULL;
	ch->info.src = ch->req_src; /* a later bind allocates again (or rebinds the fixed src) */
	rpmsg_destroy_ept(ept);
}

int rpmsg_channel_add(struct rpmsg_link *link, const struct rpmsg_channel_info *info,
		      bool announce, struct rpmsg_channel **out)
{
	struct rpmsg_bus *bus;
	struct rpmsg_channel *ch, **tail;
	int ret = 0;

	if (!link || !info || !info->name[0])
		return -EINVAL;
	bus = link->bus;
	ch = rpmsg_os_zalloc(sizeof(*ch));
	if (!ch)
		return -ENOMEM;
	ch->link = link;
	ch->info = *info;
	ch->info.name[RPMSG_NAME_SIZE - 1] = '\0';
	ch->req_src = info->src;
	ch->announce = announce;

	rpmsg_bus_lock(bus);
	for (tail = &link->channels; *tail; tail = &(*tail)->next)
		if (info_matches(&(*tail)->info, &ch->info))
			ret = -EEXIST;
	if (link->dying)
		ret = -ESHUTDOWN;
	if (!ret) {
		*tail = ch;
		rpmsg_tap(link, RPMSG_CAP_CHANNEL_ADD, RPMSG_CAP_RX, ch->info.src, ch->info.dst,
			  ch->info.name, RPMSG_NAME_SIZE);
		rpmsg_channel_probe_locked(ch);
		if (out)
			*out = ch;
	}
	rpmsg_bus_unlock(bus);
	if (ret)
		rpmsg_os_free(ch);
	return ret;
}

int rpmsg_channel_remove(struct rpmsg_link *link, const struct rpmsg_channel_info *info)
{
	struct rpmsg_bus *bus;
	struct rpmsg_channel **pp, *victim = NULL;

	if (!link || !info)
		return -EINVAL;
	bus = link->bus;
	rpmsg_bus_lock(bus);
	for (pp = &link->channels; *pp; pp = &(*pp)->next) {
		if (info_matches(&(*pp)->info, info)) {
			victim = *pp;
			*pp = victim->next;
			rpmsg_channel_unbind_locked(victim);
			rpmsg_tap(link, RPMSG_CAP_CHANNEL_REMOVE, RPMSG_CAP_RX, victim->info.src,
				  victim->info.dst, victim->info.name, RPMSG_NAME_SIZE);
			break;
		}
	}
	rpmsg_bus_unlock(bus);
	rpmsg_os_free(victim);
	return victim ? 0 : -ENOENT;
}

void rpmsg_link_remove_channels(struct rpmsg_link *link)
{
	struct rpmsg_bus *bus = link->bus;

	rpmsg_bus_lock(bus);
	while (link->channels) {
		struct rpmsg_channel *ch = link->channels;

		link->channels = ch->next;
		rpmsg_channel_unbind_locked(ch);
		rpmsg_tap(link, RPMSG_CAP_CHANNEL_REMOVE, RPMSG_CAP_RX, ch->info.src, ch->info.dst,
			  ch->info.name, RPMSG_NAME_SIZE);
		rpmsg_os_free(ch);
	}
	rpmsg_bus_unlock(bus);
}

int rpmsg_create_channel(struct rpmsg_link *link, const struct rpmsg_channel_info *info,
			 struct rpmsg_channel **out)
{
	if (!info)
		return -EINVAL;
	return rpmsg_channel_add(link, info, info->src != RPMSG_ADDR_ANY, out);
}

int rpmsg_release_channel(struct rpmsg_link *link, const struct rpmsg_channel_info *info)
{
	return rpmsg_channel_remove(link, info);
}

int rpmsg_link_channels(struct rpmsg_link *link, struct rpmsg_channel_info *out, int max)
{
	int n = 0;

	if (!link || (max && !out))
		return -EINVAL;
	rpmsg_bus_lock(link->bus);
	for (struct rpmsg_channel *ch = link->channels; ch; ch = ch->next, n++)
		if (n < max)
			out[n] = ch->info;
	rpmsg_bus_unlock(link->bus);
	return n;
}

const struct rpmsg_channel_info *rpmsg_channel_info(const struct rpmsg_channel *ch)
{
	return ch ? &ch->info : NULL;
}

struct rpmsg_link *rpmsg_channel_link(const struct rpmsg_channel *ch)
{
	return ch ? ch->link : NULL;
}

struct rpmsg_endpoint *rpmsg_channel_ept(const struct rpmsg_channel *ch)
{
	return ch ? ch->ept : NULL;
}

void rpmsg_channel_set_drvdata(struct rpmsg_channel *ch, void *data)
{
	if (ch)
		ch->drvdata = data;
}

void *rpmsg_channel_drvdata(const struct rpmsg_channel *ch)
{
	return ch ? ch->drvdata : NULL;
}

int rpmsg_register_driver(struct rpmsg_bus *bus, const struct rpmsg_driver *drv)
{
	struct rpmsg_driver_node *node, **tail;

	if (!bus || !drv || !drv->id_table)
		return -EINVAL;
	node = rpmsg_os_zalloc(sizeof(*node));
	if (!node)
		return -ENOMEM;
	node->drv = drv;
	rpmsg_bus_lock(bus);
	for (tail = &bus->drivers; *tail; tail = &(*tail)->next) {
		if ((*tail)->drv == drv) {
			rpmsg_bus_unlock(bus);
			rpmsg_os_free(node);
			return -EEXIST;
		}
	}
	*tail = node;
	for (int i = 0; i < bus->nlinks; i++)
		for (struct rpmsg_channel *ch = bus->links[i]->channels; ch; ch = ch->next)
			if (!ch->drv && rpmsg_driver_matches(drv, ch->info.name))
				bind_driver(ch, drv);
	rpmsg_bus_unlock(bus);
	return 0;
}

void rpmsg_unregister_driver(struct rpmsg_bus *bus, const struct rpmsg_driver *drv)
{
	struct rpmsg_driver_node **pp, *victim = NULL;

	if (!bus || !drv)
		return;
	rpmsg_bus_lock(bus);
	for (int i = 0; i < bus->nlinks; i++)
		for (struct rpmsg_channel *ch = bus->links[i]->channels; ch; ch = ch->next)
			if (ch->drv == drv)
				rpmsg_channel_unbind_locked(ch);
	for (pp = &bus->drivers; *pp; pp = &(*pp)->next) {
		if ((*pp)->drv == drv) {
			victim = *pp;
			*pp = victim->next;
			break;
		}
	}
	rpmsg_bus_unlock(bus);
	rpmsg_os_free(victim);
}
