/*
 * Links created while their buses are being polled. Each bus has its helper thread before
 * any link exists; virtio pairs (a device on one bus, its driver on the other, over POSIX
 * shared memory) are then created, used and destroyed, round after round.
 *
 *  busy:     a second thread busy-polls each bus as well. A link must not be polled before
 *            its transport has set it up (rings, doorbells, its own pointer to the link):
 *            pollers see it only once rpmsg_virtio_create is about to return
 *            (RPMSG_LINK_F_SETUP, rpmsg_link_ready). Before that, the pairs of the second
 *            round on never came up here.
 *  asleep:   only the helper threads, asleep in rpmsg_bus_poll with sweeps off. They armed
 *            the links they had; a new link's doorbells must get armed too (the bus wakes
 *            them for it), or nothing ever rings and the pair never comes up.
 *
 * Every round sends both ways and checks what arrived; ASan and TSan check the rest.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rpmsg/platform.h>
#include <rpmsg/rpmsg.h>
#include <rpmsg/virtio.h>

#include "testlib.h"

#define BUSY_ROUNDS 40
#define ASLEEP_ROUNDS 10
#define PER_ROUND 8
#define DEV_ADDR 1024u
#define DRV_ADDR 1025u

static atomic_int got_dev, got_drv, bad;

static int count_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept, (void)src;
	if (len != 4 || memcmp(data, "ping", 4))
		atomic_fetch_add(&bad, 1);
	atomic_fetch_add((atomic_int *)priv, 1);
	return 0;
}

static bool wait_for(atomic_int *v, int want, int ms)
{
	for (int i = 0; i < ms && atomic_load(v) < want; i++)
		usleep(1000);
	return atomic_load(v) >= want;
}

static bool wait_up(struct rpmsg_link *a, struct rpmsg_link *b, int ms)
{
	for (int i = 0; i < ms && !(rpmsg_link_is_up(a) && rpmsg_link_is_up(b)); i++)
		usleep(1000);
	return rpmsg_link_is_up(a) && rpmsg_link_is_up(b);
}

/* One pair: created, up, PER_ROUND messages each way, destroyed. True when all went. */
static bool one_round(struct rpmsg_bus *dev_bus, struct rpmsg_bus *drv_bus, int r)
{
	struct rpmsg_virtio_config vcfg = { .role = RPMSG_VIRTIO_DEVICE, .vring_num = 16 };
	struct rpmsg_virtio_config dcfg = { .role = RPMSG_VIRTIO_DRIVER };
	struct rpmsg_channel_info vi = { .name = "live", .src = DEV_ADDR, .dst = DRV_ADDR };
	struct rpmsg_channel_info di = { .name = "live", .src = DRV_ADDR, .dst = DEV_ADDR };
	struct rpmsg_platform *pv = NULL, *pd = NULL;
	struct rpmsg_link *lv = NULL, *ld = NULL;
	struct rpmsg_endpoint *ev = NULL, *ed = NULL;
	int want_dev = atomic_load(&got_dev) + PER_ROUND;
	int want_drv = atomic_load(&got_drv) + PER_ROUND;
	int fails = t_failures;
	char name[48];

	snprintf(name, sizeof(name), "t-live-%d-%d", (int)getpid(), r);
	rpmsg_posix_unlink(name);
	CHECK_EQ(rpmsg_posix_create(name, 1u << 20, &pv), 0);
	CHECK_EQ(rpmsg_posix_attach(name, &pd), 0);
	/* The device first: the driver reads the resource table it publishes. */
	CHECK_EQ(rpmsg_virtio_create(dev_bus, pv, &vcfg, &lv), 0);
	CHECK_EQ(rpmsg_virtio_create(drv_bus, pd, &dcfg, &ld), 0);
	if (lv && ld) {
		CHECK(wait_up(lv, ld, 3000));
		CHECK_EQ(rpmsg_create_ept(lv, &vi, count_cb, &got_dev, &ev), 0);
		CHECK_EQ(rpmsg_create_ept(ld, &di, count_cb, &got_drv, &ed), 0);
		for (int i = 0; ev && ed && i < PER_ROUND; i++) {
			CHECK_EQ(rpmsg_send(ev, "ping", 4), 0);
			CHECK_EQ(rpmsg_send(ed, "ping", 4), 0);
		}
		CHECK(wait_for(&got_drv, want_drv, 3000));
		CHECK(wait_for(&got_dev, want_dev, 3000));
	}
	/* Torn down under the pollers' feet, in either order. */
	if (r & 1) {
		rpmsg_link_destroy(ld);
		rpmsg_link_destroy(lv);
	} else {
		rpmsg_link_destroy(lv);
		rpmsg_link_destroy(ld);
	}
	rpmsg_posix_unlink(name);
	return t_failures == fails;
}

int main(void)
{
	struct rpmsg_bus *dev_bus, *drv_bus;
	int busy = 0, asleep = 0, sent_each;
	struct t_busy_poller pollers[2];

	setvbuf(stdout, NULL, _IOLBF, 0);
	t_timeout(100);
	CHECK_EQ(rpmsg_bus_create(&dev_bus), 0);
	CHECK_EQ(rpmsg_bus_create(&drv_bus), 0);
	CHECK_EQ(rpmsg_bus_start_thread(dev_bus), 0);
	CHECK_EQ(rpmsg_bus_start_thread(drv_bus), 0);

	t_busy_poller_start(&pollers[0], dev_bus);
	t_busy_poller_start(&pollers[1], drv_bus);
	while (busy < BUSY_ROUNDS && one_round(dev_bus, drv_bus, busy))
		busy++;
	t_busy_poller_stop(&pollers[0]);
	t_busy_poller_stop(&pollers[1]);
	printf("busy: %d rounds, links created and destroyed under two pollers per bus\n", busy);

	/* Only the helper threads now, asleep; no sweep would find a link they did not arm. */
	CHECK_EQ(rpmsg_bus_set_sweep(dev_bus, 0, 0), 0);
	CHECK_EQ(rpmsg_bus_set_sweep(drv_bus, 0, 0), 0);
	while (!t_failures && asleep < ASLEEP_ROUNDS) {
		usleep(20000); /* both helpers asleep in epoll_wait */
		if (!one_round(dev_bus, drv_bus, BUSY_ROUNDS + asleep))
			break;
		asleep++;
	}
	printf("asleep: %d rounds, links created under sleeping pollers, no sweeps\n", asleep);

	rpmsg_bus_destroy(dev_bus);
	rpmsg_bus_destroy(drv_bus);
	sent_each = (busy + asleep) * PER_ROUND;
	printf("%d + %d messages of %d each way, %d bad\n", atomic_load(&got_dev),
	       atomic_load(&got_drv), sent_each, atomic_load(&bad));
	CHECK_EQ(busy, BUSY_ROUNDS);
	CHECK_EQ(asleep, ASLEEP_ROUNDS);
	CHECK_EQ(atomic_load(&got_dev), sent_each);
	CHECK_EQ(atomic_load(&got_drv), sent_each);
	CHECK_EQ(atomic_load(&bad), 0);
	return t_done();
}
