/* The bus: links, the poll loop, the optional helper thread. */
#include <stdint.h>
#include <string.h>
#if !RPMSG_BAREMETAL
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#endif

#include "core/core.h"

/*
 * A doorbell can be lost: rung before the peer listened (at set-up, or by a peer that
 * booted first), or dropped by an interrupt line. Nothing would then wake a sleeping bus,
 * although work waits in shared memory, and a handshake would stall for good. So a sleeping
 * bus looks at its links anyway now and then ("sweeps"): soon after it fell asleep, then
 * less and less often, at the longest every SWEEP_MAX_MS. A sweep that finds nothing costs
 * a few reads of shared memory.
 */
#define SWEEP_MIN_MS 10 /* the defaults (rpmsg_bus_set_sweep) */
#define SWEEP_MAX_MS 1000

/*
 * Spin-then-block: before it sleeps, rpmsg_bus_poll keeps looking for this long. A peer
 * that answers within it is seen without a sleep and a wake-up (an arm, a doorbell write
 * by the peer, epoll_wait and the drain: four system calls per hop); past it, the cost is
 * this much CPU per sleep.
 */
#define SPIN_NS 20000u

int rpmsg_bus_create(struct rpmsg_bus **out)
{
	struct rpmsg_bus *bus;

	if (!out)
		return -EINVAL;
	bus = rpmsg_os_zalloc(sizeof(*bus));
	if (!bus)
		return -ENOMEM;
#if !RPMSG_BAREMETAL
	struct epoll_event ev = { .events = EPOLLIN };

	bus->epfd = epoll_create1(EPOLL_CLOEXEC);
	bus->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ev.data.ptr = NULL; /* NULL marks the wake fd */
	if (bus->epfd < 0 || bus->wakefd < 0 ||
	    epoll_ctl(bus->epfd, EPOLL_CTL_ADD, bus->wakefd, &ev)) {
		int err = -errno;

		if (bus->epfd >= 0)
			close(bus->epfd);
		if (bus->wakefd >= 0)
			close(bus->wakefd);
		rpmsg_os_free(bus);
		return err;
	}
	atomic_store(&bus->sweep_min_ms, SWEEP_MIN_MS);
	atomic_store(&bus->sweep_max_ms, SWEEP_MAX_MS);
#endif
	/* Recursive: drivers' probe/remove may create or release channels. */
	rpmsg_mutex_init(&bus->lock, true);
	rpmsg_mutex_init(&bus->ns_tx_lock, false);
	rpmsg_mutex_init(&bus->links_lock, false);
	bus->ns_out_tail = &bus->ns_out;
	rpmsg_cond_init(&bus->idle);
	*out = bus;
	return 0;
}

void rpmsg_bus_destroy(struct rpmsg_bus *bus)
{
	if (!bus)
		return;
	rpmsg_bus_stop_thread(bus);
	for (;;) {
		struct rpmsg_link *link = NULL;

		rpmsg_mutex_lock(&bus->lock);
		if (bus->nlinks)
			link = bus->links[bus->nlinks - 1];
		rpmsg_mutex_unlock(&bus->lock);
		if (!link)
			break;
		rpmsg_link_destroy(link);
	}
	while (bus->drivers) {
		struct rpmsg_driver_node *n = bus->drivers;

		bus->drivers = n->next;
		rpmsg_os_free(n);
	}
#if !RPMSG_BAREMETAL
	close(bus->epfd);
	close(bus->wakefd);
#endif
	rpmsg_mutex_destroy(&bus->ns_tx_lock);
	rpmsg_mutex_destroy(&bus->links_lock);
	rpmsg_cond_destroy(&bus->idle);
	rpmsg_mutex_destroy(&bus->lock);
	rpmsg_os_free(bus);
}

#if !RPMSG_BAREMETAL
int rpmsg_bus_fd(struct rpmsg_bus *bus)
{
	return bus ? bus->epfd : -EINVAL;
}

int rpmsg_bus_set_sweep(struct rpmsg_bus *bus, int min_ms, int max_ms)
{
	if (!bus || min_ms < 0 || max_ms < min_ms || (min_ms == 0) != (max_ms == 0))
		return -EINVAL;
	atomic_store(&bus->sweep_min_ms, min_ms);
	atomic_store(&bus->sweep_max_ms, max_ms);
	return 0;
}

static void ring_wakefd(struct rpmsg_bus *bus)
{
	uint64_t one = 1;

	(void)!write(bus->wakefd, &one, sizeof(one));
}

/*
 * A link went live: a poller that armed the links before it did (between arming and
 * waking up) looks again, arms it and sleeps on; rpmsg_bus_poll does not return for this.
 * `live` and `sleepers` are both sequentially consistent: the poller sees the one, or we
 * see the other.
 */
static void rearm_sleepers(struct rpmsg_bus *bus)
{
	if (atomic_load(&bus->sleepers))
		ring_wakefd(bus);
}

void rpmsg_bus_wake(struct rpmsg_bus *bus)
{
	if (bus) {
		atomic_store(&bus->woken, true);
		ring_wakefd(bus);
	}
}
#else
/* Bare metal: no descriptors, and rpmsg_bus_poll never sleeps, so there is none to wake. */
int rpmsg_bus_fd(struct rpmsg_bus *bus)
{
	return bus ? -ENOTSUP : -EINVAL;
}

/* Bare metal: rpmsg_bus_poll never sleeps, it looks at every link on each pass anyway. */
int rpmsg_bus_set_sweep(struct rpmsg_bus *bus, int min_ms, int max_ms)
{
	(void)min_ms;
	(void)max_ms;
	return bus ? -ENOTSUP : -EINVAL;
}

void rpmsg_bus_wake(struct rpmsg_bus *bus)
{
	(void)bus;
}

static void rearm_sleepers(struct rpmsg_bus *bus)
{
	(void)bus;
}
#endif

/* Take the links out of the links lock: each is marked in use until put_links. */
static int get_links(struct rpmsg_bus *bus, struct rpmsg_link **links)
{
	int n;

	rpmsg_mutex_lock(&bus->links_lock);
	n = bus->nlinks;
	for (int i = 0; i < n; i++) {
		links[i] = bus->links[i];
		links[i]->users++;
	}
	rpmsg_mutex_unlock(&bus->links_lock);
	return n;
}

static void put_links(struct rpmsg_bus *bus, struct rpmsg_link **links, int n)
{
	rpmsg_mutex_lock(&bus->links_lock);
	for (int i = 0; i < n; i++)
		links[i]->users--;
	rpmsg_cond_broadcast(&bus->idle);
	rpmsg_mutex_unlock(&bus->links_lock);
}

/*
 * One look at every link, with no lock: a busy poller spends its time here, so its cost per
 * link is one exchange and one store (struct rpmsg_link_slot).
 */
static int process_all(struct rpmsg_bus *bus)
{
	int nslots = atomic_load_explicit(&bus->nslots, memory_order_acquire), total = 0;

	for (int i = 0; i < nslots; i++) {
		struct rpmsg_link_slot *slot = &bus->slots[i];
		struct rpmsg_link *link;

		if (!atomic_load_explicit(&slot->link, memory_order_relaxed))
			continue;
		/* Another thread is already draining this link: it will see our work too. */
		if (rpmsg_spin_trylock(&slot->busy))
			continue;
		link = atomic_load_explicit(&slot->link, memory_order_acquire);
		if (link && link->ops->process && !link->dying) {
			int r = link->ops->process(link);

			if (r > 0)
				total += r;
		}
		rpmsg_spin_unlock(&slot->busy);
	}
	return total;
}

/*
 * Arm every live link; 1 if one has work pending. A link's arm runs under its slot, like
 * its process: never both at once. A link another thread is processing is left to that
 * thread (*elsewhere = true): it sees the work now, or arms the link before it sleeps.
 */
static int arm_all(struct rpmsg_bus *bus, bool *elsewhere)
{
	struct rpmsg_link *links[RPMSG_MAX_LINKS];
	int n = get_links(bus, links), pending = 0;

	for (int i = 0; i < n; i++) {
		struct rpmsg_link *link = links[i];
		struct rpmsg_link_slot *slot;

		if (!link->ops->arm || !atomic_load(&link->live) || link->dying)
			continue;
		slot = &bus->slots[link->slot];
		if (rpmsg_spin_trylock(&slot->busy)) {
			*elsewhere = true;
			continue;
		}
		if (link->ops->arm(link) > 0)
			pending = 1;
		rpmsg_spin_unlock(&slot->busy);
	}
	put_links(bus, links, n);
	return pending;
}

int rpmsg_bus_arm(struct rpmsg_bus *bus)
{
	bool woken = false;

	if (!bus)
		return -EINVAL;
#if !RPMSG_BAREMETAL
	{
		uint64_t v;

		/* Whoever sleeps on rpmsg_bus_fd next: the wake-ups so far are seen. */
		(void)!read(bus->wakefd, &v, sizeof(v));
		woken = atomic_exchange(&bus->woken, false);
	}
#endif
	return arm_all(bus, &(bool){ false }) || woken;
}

#if !RPMSG_BAREMETAL
static int64_t now_ms(void)
{
	return (int64_t)(rpmsg_os_now_ns() / 1000000u);
}

int rpmsg_bus_poll(struct rpmsg_bus *bus, int timeout_ms)
{
	int64_t deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
	int sweep_ms, sweep_max;
	bool spun = false;

	if (!bus)
		return -EINVAL;
	sweep_ms = atomic_load(&bus->sweep_min_ms);
	sweep_max = atomic_load(&bus->sweep_max_ms);
	for (;;) {
		struct epoll_event evs[16];
		int n = process_all(bus), wait_ms;
		bool elsewhere = false;

		if (n > 0 || timeout_ms == 0)
			return n;
		if (!spun) {
			uint64_t until = rpmsg_os_now_ns() + SPIN_NS;

			spun = true;
			while (rpmsg_os_now_ns() < until) {
				if ((n = process_all(bus)) > 0)
					return n;
				rpmsg_os_yield(); /* the peer may need this CPU to answer */
			}
		}
		wait_ms = timeout_ms < 0 ? -1 : (int)(deadline - now_ms());
		if (timeout_ms > 0 && wait_ms <= 0)
			return 0;
		if (sweep_ms > 0 && (wait_ms < 0 || wait_ms > sweep_ms))
			wait_ms = sweep_ms;
		/* Counted before arming: a link going live after arm_all looked rings us. */
		atomic_fetch_add(&bus->sleepers, 1);
		if (arm_all(bus, &elsewhere)) {
			atomic_fetch_sub(&bus->sleepers, 1);
			/* Pending, but another thread is inside that link: retry until the
			 * deadline (checked above), letting that thread run. */
			rpmsg_os_yield();
			continue;
		}
		/* Links left to another poller: look again soon, in case it went away. */
		if (elsewhere && (wait_ms < 0 || wait_ms > 1))
			wait_ms = 1;
		n = epoll_wait(bus->epfd, evs, 16, wait_ms);
		atomic_fetch_sub(&bus->sleepers, 1);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n == 0 && sweep_ms > 0 && sweep_ms < sweep_max)
			sweep_ms = sweep_ms * 2 < sweep_max ? sweep_ms * 2 : sweep_max;
		for (int i = 0; i < n; i++) {
			if (!evs[i].data.ptr) {
				uint64_t v;

				(void)!read(bus->wakefd, &v, sizeof(v));
				if (!atomic_exchange(&bus->woken, false))
					break; /* a link went live: arm it, then sleep on */
				n = process_all(bus);
				return n; /* woken on purpose: let the caller look around */
			}
		}
	}
}
#else
/* Nothing to sleep on (interrupts only flag work): look at the links until the deadline. */
int rpmsg_bus_poll(struct rpmsg_bus *bus, int timeout_ms)
{
	uint64_t deadline = 0;

	if (!bus)
		return -EINVAL;
	if (timeout_ms > 0)
		deadline = rpmsg_os_now_ns() + (uint64_t)timeout_ms * 1000000u;
	for (;;) {
		int n = process_all(bus);

		if (n > 0 || timeout_ms == 0)
			return n;
		if (timeout_ms > 0 && rpmsg_os_now_ns() >= deadline)
			return 0;
		arm_all(bus, &(bool){ false }); /* what it reports pending, the next pass handles */
		rpmsg_os_yield();
	}
}
#endif

#if !RPMSG_BAREMETAL
static void *bus_thread(void *arg)
{
	struct rpmsg_bus *bus = arg;

	while (atomic_load(&bus->thread_run))
		rpmsg_bus_poll(bus, -1);
	atomic_store(&bus->thread_done, true);
	return NULL;
}

int rpmsg_bus_start_thread(struct rpmsg_bus *bus)
{
	int err;

	if (!bus)
		return -EINVAL;
	if (bus->thread_started)
		return -EALREADY;
	atomic_store(&bus->thread_run, true);
	atomic_store(&bus->thread_done, false);
	err = pthread_create(&bus->thread, NULL, bus_thread, bus);
	if (err) {
		atomic_store(&bus->thread_run, false);
		return -err;
	}
	bus->thread_started = true;
	return 0;
}

void rpmsg_bus_stop_thread(struct rpmsg_bus *bus)
{
	if (!bus || !bus->thread_started)
		return;
	atomic_store(&bus->thread_run, false);
	/* Another thread asleep on the bus may take a wake meant for the helper: wake until
	 * the helper has left (once, nearly always). */
	for (int i = 0; !atomic_load(&bus->thread_done); i++) {
		if (i == 0 || (i > 100 && i % 10 == 0))
			rpmsg_bus_wake(bus); /* then every 10 ms */
		if (i < 100) {
			rpmsg_os_yield();
		} else {
			struct timespec ms = { .tv_nsec = 1000000 };

			nanosleep(&ms, NULL);
		}
	}
	pthread_join(bus->thread, NULL);
	bus->thread_started = false;
}
#else
/* One context on bare metal: the integrator's main loop calls rpmsg_bus_poll itself. */
int rpmsg_bus_start_thread(struct rpmsg_bus *bus)
{
	return bus ? -ENOTSUP : -EINVAL;
}

void rpmsg_bus_stop_thread(struct rpmsg_bus *bus)
{
	(void)bus;
}
#endif

/* ---- links ---- */

/*
 * Give the link a slot (caller holds links_lock): pollers see it from here on. There is
 * one: a slot holds a registered link, and nlinks < RPMSG_MAX_LINKS slots exist.
 */
static void go_live_locked(struct rpmsg_bus *bus, struct rpmsg_link *link)
{
	int i = 0;

	while (atomic_load(&bus->slots[i].link))
		i++;
	link->slot = i;
	atomic_store(&link->live, true);
	atomic_store_explicit(&bus->slots[i].link, link, memory_order_release);
	if (i >= atomic_load(&bus->nslots))
		atomic_store_explicit(&bus->nslots, i + 1, memory_order_release);
}

void rpmsg_link_ready(struct rpmsg_link *link)
{
	struct rpmsg_bus *bus = link->bus;
	bool woke = false;

	rpmsg_mutex_lock(&bus->links_lock);
	if (!atomic_load(&link->live) && !link->dying) {
		go_live_locked(bus, link);
		woke = true;
	}
	rpmsg_mutex_unlock(&bus->links_lock);
	if (woke)
		rearm_sleepers(bus);
}

int rpmsg_link_register(struct rpmsg_bus *bus, const struct rpmsg_link_desc *desc,
			struct rpmsg_link **out)
{
	struct rpmsg_link *link;
	int ret;

	if (!bus || !desc || !desc->ops || !out)
		return -EINVAL;
	if ((desc->flags & RPMSG_LINK_F_NS) && !desc->ops->send)
		return -EINVAL;
	link = rpmsg_os_zalloc(sizeof(*link));
	if (!link)
		return -ENOMEM;
	link->nbuckets = 64;
	link->buckets = rpmsg_os_zalloc(link->nbuckets * sizeof(*link->buckets));
	if (!link->buckets) {
		rpmsg_os_free(link);
		return -ENOMEM;
	}
	link->bus = bus;
	rpmsg_name_copy(link->name, sizeof(link->name), desc->name ? desc->name : "link");
	link->transport = desc->transport ? desc->transport : "unknown";
	link->ops = desc->ops;
	link->priv = desc->priv;
	link->flags = desc->flags;
	link->max_epts = RPMSG_MAX_ENDPOINTS;
	rpmsg_mutex_init(&link->ept_lock, false);
	rpmsg_mutex_init(&link->tap_lock, false);

	rpmsg_mutex_lock(&bus->lock);
	rpmsg_mutex_lock(&bus->links_lock);
	if (bus->nlinks == RPMSG_MAX_LINKS) {
		rpmsg_mutex_unlock(&bus->links_lock);
		rpmsg_mutex_unlock(&bus->lock);
		ret = -ENOSPC;
		goto fail;
	}
	bus->links[bus->nlinks++] = link;
	link->slot = -1;
	if (!(link->flags & RPMSG_LINK_F_SETUP))
		go_live_locked(bus, link);
	rpmsg_mutex_unlock(&bus->links_lock);
	rpmsg_mutex_unlock(&bus->lock);

	ret = rpmsg_ns_start(link);
	if (ret) {
		rpmsg_link_unregister(link);
		goto fail;
	}
	*out = link;
	return 0;
fail:
	rpmsg_mutex_destroy(&link->ept_lock);
	rpmsg_mutex_destroy(&link->tap_lock);
	rpmsg_os_free(link->buckets);
	rpmsg_os_free(link);
	return ret;
}

void rpmsg_link_unregister(struct rpmsg_link *link)
{
	struct rpmsg_bus *bus = link->bus;
	int i;

	/* Channels first, while the link still works: drivers may say goodbye. */
	rpmsg_link_remove_channels(link);
	rpmsg_ns_flush(bus, true); /* the goodbyes go out now, even if another thread sends */

	rpmsg_mutex_lock(&bus->lock);
	rpmsg_mutex_lock(&bus->links_lock);
	link->dying = true;
	for (i = 0; i < bus->nlinks && bus->links[i] != link; i++)
		;
	if (i < bus->nlinks) {
		memmove(&bus->links[i], &bus->links[i + 1],
			(size_t)(bus->nlinks - i - 1) * sizeof(bus->links[0]));
		bus->nlinks--;
	}
	if (link->slot >= 0 && bus->slots[link->slot].link == link)
		atomic_store(&bus->slots[link->slot].link, NULL);
	rpmsg_mutex_unlock(&bus->lock); /* pollers may need it to finish (NS messages) */
	while (link->users)
		rpmsg_cond_wait(&bus->idle, &bus->links_lock);
	rpmsg_mutex_unlock(&bus->links_lock);
	/* A process pass inside the link holds its slot; one that takes it later finds no link. */
	if (link->slot >= 0) {
		rpmsg_spin_lock(&bus->slots[link->slot].busy);
		rpmsg_spin_unlock(&bus->slots[link->slot].busy);
	}

	/* A poller may have added a channel (NS CREATE) after the first sweep and before
	 * `dying` was set; none can be added now. */
	rpmsg_link_remove_channels(link);
	rpmsg_ns_purge(link);
	rpmsg_ept_destroy_all(link);
	link->ns_ept = NULL;
	if (link->rx_ept) { /* no poller is left to use it */
		rpmsg_ept_put(link->rx_ept);
		link->rx_ept = NULL;
	}
	while (link->nfds)
		rpmsg_link_unwatch_fd(link, link->fds[0]);
}

void rpmsg_link_destroy(struct rpmsg_link *link)
{
	if (!link)
		return;
	if (!link->dying)
		rpmsg_link_unregister(link);
	if (link->ops->destroy)
		link->ops->destroy(link);
	rpmsg_mutex_destroy(&link->ept_lock);
	rpmsg_mutex_destroy(&link->tap_lock);
	rpmsg_os_free(link->buckets);
	rpmsg_os_free(link);
}

#if !RPMSG_BAREMETAL
int rpmsg_link_watch_fd(struct rpmsg_link *link, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = link };

	if (!link || fd < 0)
		return -EINVAL;
	if (link->nfds == (int)(sizeof(link->fds) / sizeof(link->fds[0])))
		return -ENOSPC;
	if (epoll_ctl(link->bus->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	link->fds[link->nfds++] = fd;
	return 0;
}

void rpmsg_link_unwatch_fd(struct rpmsg_link *link, int fd)
{
	for (int i = 0; i < link->nfds; i++) {
		if (link->fds[i] == fd) {
			epoll_ctl(link->bus->epfd, EPOLL_CTL_DEL, fd, NULL);
			link->fds[i] = link->fds[--link->nfds];
			return;
		}
	}
}
#else
/* No epoll set to add to: a bare-metal link is found by polling (ops->process). */
int rpmsg_link_watch_fd(struct rpmsg_link *link, int fd)
{
	(void)fd;
	return link ? -ENOTSUP : -EINVAL;
}

void rpmsg_link_unwatch_fd(struct rpmsg_link *link, int fd)
{
	(void)link;
	(void)fd;
}
#endif

void *rpmsg_link_priv(const struct rpmsg_link *link)
{
	return link ? link->priv : NULL;
}

struct rpmsg_bus *rpmsg_link_bus(const struct rpmsg_link *link)
{
	return link ? link->bus : NULL;
}

const char *rpmsg_link_name(const struct rpmsg_link *link)
{
	return link ? link->name : NULL;
}

const char *rpmsg_link_transport(const struct rpmsg_link *link)
{
	return link ? link->transport : NULL;
}

bool rpmsg_link_is_up(struct rpmsg_link *link)
{
	if (!link || link->dying)
		return false;
	return link->ops->is_up ? link->ops->is_up(link) : true;
}

int rpmsg_link_set_max_endpoints(struct rpmsg_link *link, unsigned max)
{
	int ret = 0;

	if (!link || !max)
		return -EINVAL;
	rpmsg_mutex_lock(&link->ept_lock);
	if (link->nepts > max)
		ret = -EBUSY;
	else
		link->max_epts = max;
	rpmsg_mutex_unlock(&link->ept_lock);
	return ret;
}

int rpmsg_bus_links(struct rpmsg_bus *bus, struct rpmsg_link **links, int max)
{
	int n;

	if (!bus || (max && !links))
		return -EINVAL;
	rpmsg_mutex_lock(&bus->lock);
	n = bus->nlinks;
	for (int i = 0; i < n && i < max; i++)
		links[i] = bus->links[i];
	rpmsg_mutex_unlock(&bus->lock);
	return n;
}

const char *rpmsg_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case 0: return "success";
	case EINVAL: return "invalid argument (NULL pointer, or RPMSG_ADDR_ANY as source or destination)";
	case EMSGSIZE: return "message larger than the link's MTU";
	case ENOMEM: return "no transmit buffer free (or out of memory)";
	case EAGAIN: return "no room to send now; try again";
	case ETIMEDOUT: return "timed out waiting for the peer";
	case EADDRINUSE: return "endpoint address already in use";
	case ENOSPC: return "no free endpoint address or slot";
	case ENOENT: return "no such endpoint or channel";
	case EEXIST: return "already exists";
	case EOPNOTSUPP: return "not supported by this transport";
	case ENXIO: return "operation not implemented by this transport";
	case ENOTCONN: return "link is not up (the peer is not ready)";
	case EPIPE: return "the peer went away";
	case EIO: return "the peer broke the protocol (link marked broken)";
	case EPROTO: return "bad data in shared memory";
	case ESHUTDOWN: return "link is being torn down";
	case EBUSY: return "busy";
#if ENOTSUP != EOPNOTSUPP
	case ENOTSUP: return "not supported in this build";
#endif
#if RPMSG_BAREMETAL
	default: return "unknown error"; /* strerror would pull in the C library's message table */
#else
	default: return strerror(err < 0 ? -err : err);
#endif
	}
}
