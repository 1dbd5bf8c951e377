/*
 * Doorbell faults on virtio: a driver and a device in one process over POSIX shared memory,
 * each link on a fault platform (tests/faultplat.h), each bus in its own thread. Duplicated
 * and spurious doorbells must be harmless, a lost one must never lose or corrupt a message
 * (the next doorbell brings it), and a sender blocked on a full ring whose kicks were lost
 * must get going again by itself. Run with and without VIRTIO_RING_F_EVENT_IDX, where a
 * lost kick matters most (the next messages do not kick again).
 */
#include <stdlib.h>
#include <unistd.h>

#include <rpmsg/virtio.h>

#include "faultrun.h"

#define DEV_ADDR 1024u
#define DRV_ADDR 1025u

static void run(uint32_t features, uint64_t seed)
{
	struct rpmsg_virtio_config dcfg = { .role = RPMSG_VIRTIO_DRIVER, .features = features };
	struct rpmsg_virtio_config vcfg = { .role = RPMSG_VIRTIO_DEVICE, .features = features,
					    .vring_num = 32 };
	struct fr_side drv = { .name = "driver", .stream = 1, .max = 200, .data_bells = 1u << 1,
			       .send_timeout_ms = 5000 };
	struct fr_side dev = { .name = "device", .stream = 2, .max = 300, .data_bells = 1u << 0,
			       .send_timeout_ms = 5000 };
	struct rpmsg_channel_info di = { .name = "fault", .src = DRV_ADDR, .dst = DEV_ADDR };
	struct rpmsg_channel_info vi = { .name = "fault", .src = DEV_ADDR, .dst = DRV_ADDR };
	struct rpmsg_platform *pv, *pd;
	struct rpmsg_link *ld = NULL, *lv = NULL;
	struct rpmsg_virtio_stats st;
	char name[48];
	uint64_t ms;
	int want, fails = t_failures;

	printf("-- virtio, features 0x%x\n", (unsigned)features);
	fr_link(&drv, &dev);
	snprintf(name, sizeof(name), "t-vfault-%d", (int)getpid());
	rpmsg_posix_unlink(name);
	CHECK_EQ(rpmsg_posix_create(name, 1u << 20, &pv), 0);
	CHECK_EQ(rpmsg_posix_attach(name, &pd), 0);
	CHECK_EQ(faultplat_wrap(pv, seed, &dev.fp), 0);
	CHECK_EQ(faultplat_wrap(pd, seed + 1, &drv.fp), 0);
	CHECK_EQ(rpmsg_bus_create(&dev.bus), 0);
	CHECK_EQ(rpmsg_bus_create(&drv.bus), 0);
	/* No sweeps: these scenarios pin what the transports themselves do about lost
	 * doorbells (test_setup_faults_mt pins the bus's sweeps). */
	CHECK_EQ(rpmsg_bus_set_sweep(dev.bus, 0, 0), 0);
	CHECK_EQ(rpmsg_bus_set_sweep(drv.bus, 0, 0), 0);
	CHECK_EQ(rpmsg_virtio_create(dev.bus, faultplat_platform(dev.fp), &vcfg, &lv), 0);
	CHECK_EQ(rpmsg_virtio_create(drv.bus, faultplat_platform(drv.fp), &dcfg, &ld), 0);
	for (int i = 0; i < 200 && lv && !rpmsg_link_is_up(lv); i++)
		rpmsg_bus_poll(dev.bus, 10);
	CHECK(lv && rpmsg_link_is_up(lv));
	CHECK_EQ(rpmsg_create_ept(ld, &di, fr_rx, &drv, &drv.ept), 0);
	CHECK_EQ(rpmsg_create_ept(lv, &vi, fr_rx, &dev, &dev.ept), 0);
	if (t_failures != fails)
		exit(t_done());
	CHECK_EQ(rpmsg_bus_start_thread(dev.bus), 0);
	CHECK_EQ(rpmsg_bus_start_thread(drv.bus), 0);

	fr_dup_spurious(&drv, &dev, 3000);

	/* Without the event index every message rings (unless the peer said it is awake): the
	 * next one brings the lost one. With it, the peer asked for one ring only: the next
	 * message rings nothing, a later doorbell brings both. */
	want = (features & RPMSG_VIRTIO_F_EVENT_IDX) ? FR_NO_BELL : FR_NEXT_BELL;
	fr_expect(fr_single_drop(&drv, 'm'), want);
	fr_expect(fr_single_drop(&dev, 'm'), want);
	fr_expect(fr_single_drop(&drv, 'r'), FR_NEXT_BELL);
	fr_expect(fr_single_drop(&dev, 'r'), FR_NEXT_BELL);

	fr_random(&drv, &dev, 3000);

	CHECK_EQ(fr_blackout(&drv, 1000, 3000, &ms), 0);
	CHECK_EQ(fr_blackout(&dev, 1000, 3000, &ms), 0);

	CHECK_EQ(rpmsg_virtio_get_stats(ld, &st), 0);
	CHECK_EQ(st.rx_bad, 0);
	CHECK_EQ(st.rx_dropped, 0);
	CHECK_EQ(rpmsg_virtio_get_stats(lv, &st), 0);
	CHECK_EQ(st.rx_bad, 0);
	CHECK_EQ(st.rx_dropped, 0);
	CHECK(rpmsg_link_is_up(ld) && rpmsg_link_is_up(lv));

	rpmsg_bus_destroy(drv.bus);
	rpmsg_bus_destroy(dev.bus);
	faultplat_free(drv.fp);
	faultplat_free(dev.fp);
	rpmsg_posix_unlink(name);
}

int main(void)
{
	uint64_t seed = faultplat_seed(0x5eed0001);

	setvbuf(stdout, NULL, _IOLBF, 0);
	t_timeout(100);
	run(RPMSG_VIRTIO_F_NS, seed);
	run(RPMSG_VIRTIO_F_NS | RPMSG_VIRTIO_F_EVENT_IDX, seed + 10);
	return t_done();
}
