/*
 * The fence pact (rpmsg/platform.h, src/virtio/vring.h): two virtio sides over POSIX shared
 * memory send to each other in stretches with pauses between. During a stretch each
 * receiver stays awake, posts its word after fence_pact_us, and the sender's publishes then
 * skip their full fence (stats.light_publishes); in a pause the receiver falls asleep and
 * revokes first (stats.pact_revokes). A side that says never (fence_pact_us < 0), or whose
 * platform has no pact (its ops without pact_words and sleep_fence), neither posts nor
 * reads: then nobody skips a fence towards it or from it. Either way messages both ways
 * arrive exactly once and in order, with no sweeps to mend a lost wake-up: with EVENT_IDX
 * no later message rings again, so one would stall the stream and fail the test.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rpmsg/platform.h>
#include <rpmsg/rpmsg.h>
#include <rpmsg/virtio.h>

#include "testlib.h"

#define STRETCHES 30      /* at least */
#define MAX_STRETCHES 1000 /* at most: until each side has posted, revoked and gone light */
#define STRETCH_NS 3000000u /* messages sent back to back this long, then a pause */

struct side {
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	struct rpmsg_endpoint *ept;
	atomic_uint sent, next, bad; /* sent by this side; received (next expected) */
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

static bool want_pact; /* this run expects the pact to work */

/* Has each side posted and revoked, and published without a fence? How soon depends on
 * the scheduler (a receiver put off the CPU for 20 us falls asleep), so a loaded machine
 * may need more stretches. */
static bool pact_shown(void)
{
	struct rpmsg_virtio_stats a, b;

	return !rpmsg_virtio_get_stats(dev.link, &a) && !rpmsg_virtio_get_stats(drv.link, &b) &&
	       a.pact_revokes && b.pact_revokes && a.light_publishes && b.light_publishes;
}

static void *sender(void *arg)
{
	struct side *s = arg;
	unsigned seed = s == &dev ? 7 : 11;
	uint64_t until = t_now_ns() + STRETCH_NS;
	unsigned stretch = 0;

	for (uint32_t i = 0; stretch < STRETCHES || (want_pact && stretch < MAX_STRETCHES &&
						     !pact_shown()); i++) {
		int r;

		/* Mostly a busy sender; every third stretch one that sleeps when the ring is
		 * full (a sleeper of its side too: its wait revokes the side's post). */
		if (stretch % 3 == 2) {
			r = rpmsg_send(s->ept, &i, sizeof(i));
		} else {
			while ((r = rpmsg_trysend(s->ept, &i, sizeof(i))) == -EAGAIN || r == -ENOMEM)
				sched_yield();
		}
		if (r)
			atomic_fetch_add(&s->send_errors, 1);
		atomic_store(&s->sent, i + 1);
		if (t_now_ns() >= until) {
			seed = seed * 1103515245u + 12345u;
			usleep(200 + (seed >> 16) % 800); /* the receiver falls asleep */
			until = t_now_ns() + STRETCH_NS;
			stretch++;
		}
	}
	return NULL;
}

static void show(const char *who, struct rpmsg_link *link, struct rpmsg_virtio_stats *st)
{
	CHECK_EQ(rpmsg_virtio_get_stats(link, st), 0);
	printf("%s: %llu posts, %llu revokes, %llu of %llu publishes without a fence\n", who,
	       (unsigned long long)st->pact_posts, (unsigned long long)st->pact_revokes,
	       (unsigned long long)st->light_publishes, (unsigned long long)st->tx_msgs);
}

/* drv_us: the driver's fence_pact_us (the device's is 50); drv_plain: its platform has no pact. */
static void run(uint32_t features, int drv_us, bool drv_plain, bool pact)
{
	struct rpmsg_virtio_config vcfg = { .role = RPMSG_VIRTIO_DEVICE, .vring_num = 16,
					    .features = features, .fence_pact_us = 50 };
	struct rpmsg_virtio_config dcfg = { .role = RPMSG_VIRTIO_DRIVER, .features = features,
					    .fence_pact_us = drv_us };
	struct rpmsg_channel_info vi = { .name = "pact", .src = 1024, .dst = 1025 };
	struct rpmsg_channel_info di = { .name = "pact", .src = 1025, .dst = 1024 };
	struct rpmsg_platform *pv, *pd;
	struct rpmsg_virtio_stats sv, sd;
	pthread_t a, b;
	char name[48];

	want_pact = pact;
	printf("-- %s; the driver's fence_pact_us %d, its platform %s the pact\n",
	       features & RPMSG_VIRTIO_F_EVENT_IDX ? "EVENT_IDX" : "flags", drv_us,
	       drv_plain ? "lacks" : "has");
	snprintf(name, sizeof(name), "t-pact-%d-%d%d", (int)getpid(), drv_us, drv_plain);
	rpmsg_posix_unlink(name);
	memset(&dev, 0, sizeof(dev));
	memset(&drv, 0, sizeof(drv));
	CHECK_EQ(rpmsg_posix_create(name, 1u << 20, &pv), 0);
	CHECK_EQ(rpmsg_posix_attach(name, &pd), 0);
	if (drv_plain) {
		plain_ops = *pd->ops;
		plain_ops.pact_words = NULL;
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
	for (int i = 0; i < 5000 && (atomic_load(&dev.next) < atomic_load(&drv.sent) ||
				     atomic_load(&drv.next) < atomic_load(&dev.sent)); i++)
		usleep(1000);
	printf("received %u of %u and %u of %u, %u and %u out of order\n",
	       atomic_load(&dev.next), atomic_load(&drv.sent), atomic_load(&drv.next),
	       atomic_load(&dev.sent), atomic_load(&dev.bad), atomic_load(&drv.bad));
	CHECK_EQ(atomic_load(&dev.next), atomic_load(&drv.sent));
	CHECK_EQ(atomic_load(&drv.next), atomic_load(&dev.sent));
	CHECK_EQ(atomic_load(&dev.bad) + atomic_load(&drv.bad), 0);

	show("device", dev.link, &sv);
	show("driver", drv.link, &sd);
	if (pact) {
		/* Each side stayed awake through stretches and slept in pauses. */
		CHECK(sv.pact_posts > 0 && sd.pact_posts > 0);
		CHECK(sv.pact_revokes > 0 && sd.pact_revokes > 0);
		CHECK(sv.light_publishes > 0 && sd.light_publishes > 0);
	} else {
		CHECK_EQ(sv.pact_posts + sd.pact_posts, 0); /* the device's peer does not read */
		CHECK_EQ(sv.pact_revokes + sd.pact_revokes, 0);
		CHECK_EQ(sv.light_publishes + sd.light_publishes, 0);
		CHECK(!sv.fence_pact && !sd.fence_pact);
	}

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
	run(RPMSG_VIRTIO_F_NS, 50, false, membarrier);
	run(RPMSG_VIRTIO_F_NS | RPMSG_VIRTIO_F_EVENT_IDX, 50, false, membarrier);
	run(RPMSG_VIRTIO_F_NS, -1, false, false);
	run(RPMSG_VIRTIO_F_NS | RPMSG_VIRTIO_F_EVENT_IDX, 50, true, false);
	return t_done();
}
