/* The capture tap: one optional function per bus, called for every event. */
#include <errno.h>
#if !RPMSG_BAREMETAL
#include <time.h>
#endif

#include "core.h"

int rpmsg_bus_set_tap(struct rpmsg_bus *bus, rpmsg_tap_fn fn, void *arg)
{
	rpmsg_tap_fn none = NULL;

	if (!bus)
		return -EINVAL;
	if (fn) {
		rpmsg_bus_lock(bus);
		if (atomic_load(&bus->tap_fn)) {
			rpmsg_bus_unlock(bus);
			return -EBUSY;
		}
		bus->tap_arg = arg;
		atomic_compare_exchange_strong(&bus->tap_fn, &none, fn);
		rpmsg_bus_unlock(bus);
		return 0;
	}
	atomic_store(&bus->tap_fn, NULL);
	/* An emitter that saw the old tap either holds a use (we wait) or re-reads NULL. */
	while (atomic_load(&bus->tap_users))
		rpmsg_os_yield();
	return 0;
}

/* Call the tap, if one is still set, holding a use so that removal waits for us. */
static void emit(struct rpmsg_bus *bus, struct rpmsg_cap_record *rec)
{
	rpmsg_tap_fn fn;

	atomic_fetch_add(&bus->tap_users, 1);
	fn = atomic_load(&bus->tap_fn);
	if (fn) {
#if RPMSG_BAREMETAL
		rec->time_ns = rpmsg_os_now_ns(); /* no wall clock: the integrator's own */
#else
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		rec->time_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
		fn(rec, bus->tap_arg);
	}
	atomic_fetch_sub(&bus->tap_users, 1);
}

void rpmsg_tap_emit(struct rpmsg_link *link, uint8_t event, uint8_t dir, uint32_t src, uint32_t dst,
		    const void *data, size_t len)
{
	struct rpmsg_cap_record rec = {
		.link = link, .event = event, .dir = dir, .src = src, .dst = dst,
		.data = data, .len = (uint32_t)len,
	};

	if (dir == RPMSG_CAP_RX && event == RPMSG_CAP_MSG) {
		rpmsg_mutex_lock(&link->tap_lock); /* after a send still recording its TX */
		emit(link->bus, &rec);
		rpmsg_mutex_unlock(&link->tap_lock);
	} else {
		emit(link->bus, &rec);
	}
}

void rpmsg_link_tap_control(struct rpmsg_link *link, int dir, uint16_t code, const void *data,
			    size_t len)
{
	struct rpmsg_cap_record rec = {
		.link = link, .event = RPMSG_CAP_CONTROL, .dir = (uint8_t)dir, .code = code,
		.src = RPMSG_ADDR_ANY, .dst = RPMSG_ADDR_ANY, .data = data, .len = (uint32_t)len,
	};

	if (link && rpmsg_tap_on(link))
		emit(link->bus, &rec);
}
