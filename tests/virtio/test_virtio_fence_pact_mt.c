/*
 * The fence pact (rpmsg/platform.h): two virtio sides over POSIX shared memory that both
 * offer it (rpmsg_virtio_config.fence_pact) publish without a full fence (stats.fence_pact);
 * a side that does not offer it, or whose platform has no pact (here: its ops without
 * fence_pact and sleep_fence), makes both sides keep full fences. Either way, messages both ways arrive exactly once and in order
 * while each receiver keeps falling asleep (random pauses between sends, no sweeps: a
 * lost wake-up would stall the stream and fail the test).
 */
#include <linux/membarrier.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rpmsg/platform.h>
#include <rpmsg/rpmsg.h>
#include <rpmsg/virtio.h>

#include "testlib.h"

#define MSGS 3000

struct side {
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	struct rpmsg_endpoint *ept;
	atomic_uint next, bad;
	atomic_int send_errors; /* CHECK is for the main thread only */
};

static struct side dev, drv;

static int rx(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct side *s = priv;
	uint32_t seq;

	(void)ept, (void)src;
	memcpy(&seq, data, sizeof(seq));
	if (len != sizeof(seq) || seq != atomic_load(&s->next))
		atomic_fetch_add(&s->bad, 1);
	atomic_fetch_add(&s->next, 1);
	return 0;
}

/* A copy of a platform's ops without the pact: the side that has no membarrier. */
static struct rpmsg_platform_ops plain_ops;

static void *sender(void *arg)
{
	struct side *s = arg;
	unsigned seed = s == &dev ? 7 : 11;

	for (uint32_t i = 0; i < MSGS; i++) {
		if (rpmsg_send(s->ept, &i, sizeof(i)))
			atomic_fetch_add(&s->send_errors, 1);
		seed = seed * 1103515245u + 12345u;
		if ((seed >> 16) % 4 == 0)
			usleep((seed >> 20) % 200); /* the receiver falls asleep */
	}
	return NULL;
}

static void run(bool drv_offers, bool drv_plain, bool want_pact)
{
	struct rpmsg_virtio_config vcfg = { .role = RPMSG_VIRTIO_DEVICE, .vring_num = 16,
					    .fence_pact = true };
	struct rpmsg_virtio_config dcfg = { .role = RPMSG_VIRTIO_DRIVER, .fence_pact = drv_offers };
	struct rpmsg_channel_info vi = { .name = "pact", .src = 1024, .dst = 1025 };
	struct rpmsg_channel_info di = { .name = "pact", .src = 1025, .dst = 1024 };
	struct rpmsg_platform *pv, *pd;
	struct rpmsg_virtio_stats st;
	pthread_t a, b;
	char name[48];

	printf("-- the device offers the pact, the driver %s, its platform %s it\n",
	       drv_offers ? "too" : "not", drv_plain ? "lacks" : "has");
	snprintf(name, sizeof(name), "t-pact-%d-%d%d", (int)getpid(), drv_offers, drv_plain);
	rpmsg_posix_unlink(name);
	memset(&dev, 0, sizeof(dev));
	memset(&drv, 0, sizeof(drv));
	CHECK_EQ(rpmsg_posix_create(name, 1u << 20, &pv), 0);
	CHECK_EQ(rpmsg_posix_attach(name, &pd), 0);
	if (drv_plain) {
		plain_ops = *pd->ops;
		plain_ops.fence_pact = NULL;
		plain_ops.sleep_fence = NULL;
		pd->ops = &plain_ops;
	}
	CHECK_EQ(rpmsg_bus_create(&dev.bus), 0);
	CHECK_EQ(rpmsg_bus_create(&drv.bus), 0);
	CHECK_EQ(rpmsg_bus_set_sweep(dev.bus, 0, 0), 0);
	CHECK_EQ(rpmsg_bus_set_sweep(drv.bus, 0, 0), 0);
	CHECK_EQ(rpmsg_virtio_create(dev.bus, pv, &vcfg, &dev.link), 0);
	CHECK_EQ(rpmsg_virtio_create(drv.bus, pd, &dcfg, &drv.link), 0);
	CHECK_EQ(rpmsg_bus_start_thread(dev.bus), 0);
	CHECK_EQ(rpmsg_bus_start_thread(drv.bus), 0);
	for (int i = 0; i < 3000 && !(rpmsg_link_is_up(dev.link) && rpmsg_link_is_up(drv.link)); i++)
		usleep(1000);
	CHECK_EQ(rpmsg_create_ept(dev.link, &vi, rx, &dev, &dev.ept), 0);
	CHECK_EQ(rpmsg_create_ept(drv.link, &di, rx, &drv, &drv.ept), 0);
	if (t_failures)
		return;

	CHECK_EQ(pthread_create(&a, NULL, sender, &dev), 0);
	CHECK_EQ(pthread_create(&b, NULL, sender, &drv), 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	CHECK_EQ(atomic_load(&dev.send_errors) + atomic_load(&drv.send_errors), 0);
	for (int i = 0; i < 5000 && (atomic_load(&dev.next) < MSGS || atomic_load(&drv.next) < MSGS); i++)
		usleep(1000);
	printf("received %u and %u of %d each way, %u and %u out of order\n",
	       atomic_load(&dev.next), atomic_load(&drv.next), MSGS, atomic_load(&dev.bad),
	       atomic_load(&drv.bad));
	CHECK_EQ(atomic_load(&dev.next), MSGS);
	CHECK_EQ(atomic_load(&drv.next), MSGS);
	CHECK_EQ(atomic_load(&dev.bad) + atomic_load(&drv.bad), 0);

	/* By now both sides have looked at the pact (at up, before sleeping). */
	CHECK_EQ(rpmsg_virtio_get_stats(dev.link, &st), 0);
	printf("device: fence pact %s\n", st.fence_pact ? "on" : "off");
	CHECK_EQ(st.fence_pact, want_pact);
	CHECK_EQ(rpmsg_virtio_get_stats(drv.link, &st), 0);
	printf("driver: fence pact %s\n", st.fence_pact ? "on" : "off");
	CHECK_EQ(st.fence_pact, want_pact);

	rpmsg_bus_destroy(drv.bus); /* the driver's link first: the device sees the reset */
	rpmsg_bus_destroy(dev.bus);
	rpmsg_posix_unlink(name);
}

int main(void)
{
	bool membarrier = syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0) == 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	t_timeout(100);
	printf("membarrier %s here\n", membarrier ? "usable" : "not usable");
	run(true, false, membarrier);
	run(false, false, false);
	run(true, true, false);
	return t_done();
}
