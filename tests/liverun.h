/*
 * Test helper: links created while their buses are being polled, the scenario every
 * transport runs. Each bus has its helper thread before any link exists; pairs of links
 * (one end on bus a, the other on bus b, over POSIX shared memory) are then created, used
 * and destroyed, round after round.
 *
 *  busy:     a second thread busy-polls each bus as well. A link must not be polled before
 *            its transport has set it up: pollers see it only once the transport calls
 *            rpmsg_link_ready (RPMSG_LINK_F_SETUP). Before that, virtio pairs of the second
 *            round on never came up here.
 *  asleep:   only the helper threads, asleep in rpmsg_bus_poll with sweeps off. They armed
 *            the links they had; a new link's doorbells must get armed too (the bus wakes
 *            them for it), or nothing ever rings and the pair never comes up.
 *
 * Every round sends both ways and checks what arrived; ASan and TSan check the rest.
 */
#ifndef RPMSG_TEST_LIVERUN_H
#define RPMSG_TEST_LIVERUN_H

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rpmsg/platform.h>
#include <rpmsg/rpmsg.h>

#include "testlib.h"

#define LR_PER_ROUND 8

/* One pair of links; ea and eb are what each end sends on, once lr_transport.ready says so. */
struct lr_pair {
	struct rpmsg_link *la, *lb;
	struct rpmsg_endpoint *ea, *eb;
};

struct lr_transport {
	const char *name;
	size_t shm_size;
	/*
	 * Create la on bus a over platform *pa and lb on bus b over *pb (the POSIX memory, as
	 * created and as attached). A platform a link took is set to NULL (lr_took); the rest
	 * is destroyed by the caller.
	 */
	int (*open)(struct rpmsg_bus *a, struct rpmsg_bus *b, struct rpmsg_platform **pa,
		    struct rpmsg_platform **pb, struct lr_pair *p);
	/* Can both ends send? Sets ea and eb when they can. Asked every ms, for up to 3 s. */
	bool (*ready)(struct lr_pair *p);
};

static atomic_int lr_got[2], lr_bad; /* messages received on bus a, on bus b */

/* A link create's result; on success the link owns *plat, so the caller forgets it. */
static inline int lr_took(int ret, struct rpmsg_platform **plat)
{
	if (!ret)
		*plat = NULL;
	return ret;
}

/* Receive callback; priv is the receiving side's counter. */
static inline int lr_rx(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src,
			void *priv)
{
	(void)ept, (void)src;
	if (len != 4 || memcmp(data, "ping", 4))
		atomic_fetch_add(&lr_bad, 1);
	atomic_fetch_add((atomic_int *)priv, 1);
	return 0;
}

/*
 * Transports whose channels come up by name: a driver for channel "live" on each bus. Its
 * probe (under the bus lock) records the channel's link and endpoint; its remove forgets
 * them. The test reads only these records, never a channel another thread may free.
 */
static const char *const lr_names[] = { "live", NULL };
static _Atomic(struct rpmsg_link *) lr_link[2];
static _Atomic(struct rpmsg_endpoint *) lr_ept[2];

static inline void lr_probed(int side, struct rpmsg_channel *ch)
{
	atomic_store(&lr_ept[side], rpmsg_channel_ept(ch));
	atomic_store(&lr_link[side], rpmsg_channel_link(ch));
}

static inline void lr_removed(int side)
{
	atomic_store(&lr_link[side], NULL);
	atomic_store(&lr_ept[side], NULL);
}

static inline int lr_probe_a(struct rpmsg_channel *ch) { lr_probed(0, ch); return 0; }
static inline int lr_probe_b(struct rpmsg_channel *ch) { lr_probed(1, ch); return 0; }
static inline void lr_remove_a(struct rpmsg_channel *ch) { (void)ch; lr_removed(0); }
static inline void lr_remove_b(struct rpmsg_channel *ch) { (void)ch; lr_removed(1); }

static const struct rpmsg_driver lr_driver_a = { .name = "live-a", .id_table = lr_names,
						 .probe = lr_probe_a, .remove = lr_remove_a,
						 .callback = lr_rx, .priv = &lr_got[0] };
static const struct rpmsg_driver lr_driver_b = { .name = "live-b", .id_table = lr_names,
						 .probe = lr_probe_b, .remove = lr_remove_b,
						 .callback = lr_rx, .priv = &lr_got[1] };

/* lr_transport.ready for those: both drivers probed on this round's links. */
static inline bool lr_channels_ready(struct lr_pair *p)
{
	if (atomic_load(&lr_link[0]) != p->la || atomic_load(&lr_link[1]) != p->lb)
		return false;
	p->ea = atomic_load(&lr_ept[0]);
	p->eb = atomic_load(&lr_ept[1]);
	return p->ea && p->eb;
}

static inline bool lr_wait_count(atomic_int *v, int want, int ms)
{
	for (int i = 0; i < ms && atomic_load(v) < want; i++)
		usleep(1000);
	return atomic_load(v) >= want;
}

/* One pair: created, ready, LR_PER_ROUND messages each way, destroyed. True when all went. */
static inline bool lr_round(const struct lr_transport *t, struct rpmsg_bus *a, struct rpmsg_bus *b,
			    int r)
{
	struct rpmsg_platform *pa = NULL, *pb = NULL;
	struct lr_pair p = { 0 };
	int want_a = atomic_load(&lr_got[0]) + LR_PER_ROUND;
	int want_b = atomic_load(&lr_got[1]) + LR_PER_ROUND;
	int fails = t_failures;
	bool ready = false;
	char name[48];

	snprintf(name, sizeof(name), "t-live-%s-%d-%d", t->name, (int)getpid(), r);
	rpmsg_posix_unlink(name);
	CHECK_EQ(rpmsg_posix_create(name, t->shm_size, &pa), 0);
	CHECK_EQ(rpmsg_posix_attach(name, &pb), 0);
	if (pa && pb)
		CHECK_EQ(t->open(a, b, &pa, &pb, &p), 0);
	if (pa) /* not taken by a link */
		pa->ops->destroy(pa);
	if (pb)
		pb->ops->destroy(pb);
	if (p.la && p.lb) {
		for (int i = 0; i < 3000 && !(ready = t->ready(&p)); i++)
			usleep(1000);
		CHECK(ready);
	}
	for (int i = 0; ready && i < LR_PER_ROUND; i++) {
		CHECK_EQ(rpmsg_send(p.ea, "ping", 4), 0);
		CHECK_EQ(rpmsg_send(p.eb, "ping", 4), 0);
	}
	if (ready) {
		CHECK(lr_wait_count(&lr_got[1], want_b, 3000));
		CHECK(lr_wait_count(&lr_got[0], want_a, 3000));
	}
	/*
	 * Torn down under the pollers' feet, in either order. A link that sees its peer go
	 * frees its channels' endpoints, which this thread used: the shared memory orders that
	 * for the CPUs, but TSan cannot see it (the memory is mapped twice here, at two
	 * addresses). Taking each bus lock, which such a removal holds, shows TSan that order.
	 */
	rpmsg_bus_links(a, NULL, 0);
	rpmsg_bus_links(b, NULL, 0);
	if (r & 1) {
		rpmsg_link_destroy(p.lb);
		rpmsg_link_destroy(p.la);
	} else {
		rpmsg_link_destroy(p.la);
		rpmsg_link_destroy(p.lb);
	}
	rpmsg_posix_unlink(name);
	if (t_failures != fails)
		printf("%s: round %d failed\n", t->name, r);
	return t_failures == fails;
}

/*
 * The whole scenario on two fresh buses: busy_rounds with two pollers per bus, then
 * asleep_rounds with the helper threads alone. drv: register lr_driver_a and _b first.
 */
static inline void lr_run(const struct lr_transport *t, int busy_rounds, int asleep_rounds,
			  bool drv)
{
	struct rpmsg_bus *a, *b;
	int busy = 0, asleep = 0, sent_each;
	int got0 = atomic_load(&lr_got[0]), got1 = atomic_load(&lr_got[1]);
	struct t_busy_poller pollers[2];

	printf("-- %s\n", t->name);
	CHECK_EQ(rpmsg_bus_create(&a), 0);
	CHECK_EQ(rpmsg_bus_create(&b), 0);
	if (drv) {
		CHECK_EQ(rpmsg_register_driver(a, &lr_driver_a), 0);
		CHECK_EQ(rpmsg_register_driver(b, &lr_driver_b), 0);
	}
	CHECK_EQ(rpmsg_bus_start_thread(a), 0);
	CHECK_EQ(rpmsg_bus_start_thread(b), 0);

	t_busy_poller_start(&pollers[0], a);
	t_busy_poller_start(&pollers[1], b);
	while (busy < busy_rounds && lr_round(t, a, b, busy))
		busy++;
	t_busy_poller_stop(&pollers[0]);
	t_busy_poller_stop(&pollers[1]);
	printf("busy: %d rounds, links created and destroyed under two pollers per bus\n", busy);

	/* Only the helper threads now, asleep; no sweep would find a link they did not arm. */
	CHECK_EQ(rpmsg_bus_set_sweep(a, 0, 0), 0);
	CHECK_EQ(rpmsg_bus_set_sweep(b, 0, 0), 0);
	while (busy == busy_rounds && asleep < asleep_rounds) {
		usleep(20000); /* both helpers asleep in epoll_wait */
		if (!lr_round(t, a, b, busy_rounds + asleep))
			break;
		asleep++;
	}
	printf("asleep: %d rounds, links created under sleeping pollers, no sweeps\n", asleep);

	rpmsg_bus_destroy(a);
	rpmsg_bus_destroy(b);
	sent_each = (busy + asleep) * LR_PER_ROUND;
	printf("%d + %d messages of %d each way, %d bad\n", atomic_load(&lr_got[0]) - got0,
	       atomic_load(&lr_got[1]) - got1, sent_each, atomic_load(&lr_bad));
	CHECK_EQ(busy, busy_rounds);
	CHECK_EQ(asleep, asleep_rounds);
	CHECK_EQ(atomic_load(&lr_got[0]) - got0, sent_each);
	CHECK_EQ(atomic_load(&lr_got[1]) - got1, sent_each);
	CHECK_EQ(atomic_load(&lr_bad), 0);
}

#endif
