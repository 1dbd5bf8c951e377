/*
 * Notification suppression (spec §8): flags without EVENT_IDX, the event-index rule with it,
 * what enable/disable write on the wire, and vq_publish's answer checked against the rule
 * (computed here independently).
 */
#include <errno.h>
#include <string.h>

#include "testlib.h"
#include "virtio/vring.h"

enum { NUM = 8, ALIGN = 16 };
static _Alignas(16) uint8_t mem[512];
static struct vq drv, dev;
static bool BE;

#define AVAIL (VRING_AVAIL_OFF(NUM))
#define USED (VRING_USED_OFF(NUM, ALIGN))
#define USED_EVENT (AVAIL + 4 + 2 * NUM)
#define AVAIL_EVENT (USED + 4 + 8 * NUM)

static unsigned rd16(size_t off)
{
	return BE ? (unsigned)(mem[off] << 8 | mem[off + 1]) : (unsigned)(mem[off + 1] << 8 | mem[off]);
}

static void wr16(size_t off, unsigned v)
{
	mem[off + (BE ? 1 : 0)] = (uint8_t)v;
	mem[off + (BE ? 0 : 1)] = (uint8_t)(v >> 8);
}

/* The §8 rule, written out here rather than taken from the library. */
static bool rule(unsigned event, unsigned new_idx, unsigned old_idx)
{
	return ((new_idx - event - 1) & 0xffffu) < ((new_idx - old_idx) & 0xffffu);
}

static void setup(unsigned flags)
{
	BE = flags & VQ_F_BIG_ENDIAN;
	memset(mem, 0xEE, sizeof(mem));
	CHECK_EQ(vq_init(&drv, VQ_DRIVER, mem, sizeof(mem), NUM, ALIGN, flags), 0);
	CHECK_EQ(vq_init(&dev, VQ_DEVICE, mem, sizeof(mem), NUM, ALIGN, flags), 0);
	vq_reset(&drv);
	vq_reset(&dev);
}

/* Device takes everything available and returns it. */
static int device_echo(void)
{
	int n = 0, h;
	uint32_t len;

	while ((h = vq_get_avail(&dev, NULL, &len, NULL)) >= 0) {
		CHECK_EQ(vq_put_used(&dev, (uint16_t)h, len), 0);
		n++;
	}
	CHECK_EQ(h, -EAGAIN);
	return n;
}

static int driver_reap(void)
{
	int n = 0, h;

	while ((h = vq_get_used(&drv, NULL)) >= 0)
		n++;
	CHECK_EQ(h, -EAGAIN);
	return n;
}

static void test_flags(bool be)
{
	setup(be ? VQ_F_BIG_ENDIAN : 0);
	/* Fresh rings: both sides want notifications. */
	CHECK_EQ(vq_add(&drv, 0x1000, 8, true), 0);
	CHECK(vq_publish(&drv));
	CHECK(!vq_publish(&drv)); /* nothing new, no kick */

	/* Device: no kicks please -> used.flags = NO_NOTIFY (1). */
	vq_disable_notify(&dev);
	CHECK_EQ(rd16(USED), 1);
	CHECK_EQ(mem[USED + (be ? 1 : 0)], 1);
	CHECK_EQ(vq_add(&drv, 0x2000, 8, true), 1);
	CHECK(!vq_publish(&drv));
	vq_enable_notify(&dev);
	CHECK_EQ(rd16(USED), 0);
	CHECK_EQ(vq_add(&drv, 0x3000, 8, true), 2);
	CHECK(vq_publish(&drv));

	/* Driver: no interrupts please -> avail.flags = NO_INTERRUPT (1). */
	vq_disable_notify(&drv);
	CHECK_EQ(rd16(AVAIL), 1);
	CHECK_EQ(mem[AVAIL + (be ? 1 : 0)], 1);
	CHECK_EQ(device_echo(), 3);
	CHECK(!vq_publish(&dev));
	CHECK_EQ(driver_reap(), 3);
	vq_enable_notify(&drv);
	CHECK_EQ(rd16(AVAIL), 0);
	CHECK_EQ(vq_add(&drv, 0x4000, 8, true), 3); /* free descriptors are taken in order */
	CHECK(vq_publish(&drv));
	CHECK_EQ(device_echo(), 1);
	CHECK(vq_publish(&dev));
	CHECK(!vq_publish(&dev));
	/* Without EVENT_IDX the event fields are never written. */
	CHECK_EQ(rd16(USED_EVENT), 0);
	CHECK_EQ(rd16(AVAIL_EVENT), 0);
	/* A flag the peer set by hand is honoured; other bits of the field are ignored. */
	wr16(USED, 0xfffe);
	CHECK_EQ(vq_add(&drv, 0x5000, 8, true) >= 0, 1);
	CHECK(vq_publish(&drv));
	wr16(USED, 0xffff);
	CHECK_EQ(vq_add(&drv, 0x5000, 8, true) >= 0, 1);
	CHECK(!vq_publish(&drv));
	/* With flags mode, event fields written by the peer are ignored. */
	wr16(USED, 0);
	wr16(AVAIL_EVENT, 0x1234);
	CHECK_EQ(vq_add(&drv, 0x5000, 8, true) >= 0, 1);
	CHECK(vq_publish(&drv));
}

static void test_event_idx(bool be)
{
	unsigned flags = VQ_F_EVENT_IDX | (be ? VQ_F_BIG_ENDIAN : 0);

	setup(flags);
	/* The initial kick on fresh rings is always due (avail_event 0, idx 0 -> n). */
	for (int i = 0; i < 3; i++)
		CHECK_EQ(vq_add(&drv, 0x1000u * (unsigned)i, 8, true), i);
	CHECK(vq_publish(&drv));
	/* The device has not moved avail_event: the next publish is not kicked. */
	CHECK_EQ(vq_add(&drv, 0x9000, 8, true), 3);
	CHECK(!vq_publish(&drv));
	/* Device consumes with notifications on: avail_event follows what it took. */
	CHECK_EQ(device_echo(), 4);
	CHECK_EQ(rd16(AVAIL_EVENT), 4);
	CHECK_EQ(rd16(USED), 0); /* flags untouched in event mode */
	CHECK(vq_publish(&dev)); /* used_event 0 (fresh), 0 -> 4 passes it */
	CHECK_EQ(driver_reap(), 4);
	CHECK_EQ(rd16(USED_EVENT), 4); /* refreshed while enabled */
	CHECK_EQ(vq_add(&drv, 0x1000, 8, true) >= 0, 1);
	CHECK(vq_publish(&drv)); /* 4 -> 5 passes avail_event 4 */

	/* Flags are ignored in event mode: NO_NOTIFY set by hand changes nothing. */
	wr16(USED, 1);
	CHECK_EQ(device_echo(), 1);
	CHECK_EQ(vq_add(&drv, 0x1000, 8, true) >= 0, 1);
	CHECK(vq_publish(&drv)); /* 5 -> 6 passes avail_event 5 */
	wr16(USED, 0);

	/* Disable on the device side: avail_event = taken - num - 1, no flag. */
	CHECK_EQ(device_echo(), 1); /* taken = 6 */
	vq_disable_notify(&dev);
	CHECK_EQ(rd16(AVAIL_EVENT), (6u - NUM - 1) & 0xffff);
	CHECK_EQ(rd16(USED), 0);
	CHECK_EQ(rd16(USED_EVENT), 4); /* the driver's last refresh */
	CHECK(vq_publish(&dev));  /* 4 -> 6 passes 4 */
	CHECK_EQ(driver_reap(), 2);
	for (int i = 0; i < NUM; i++)
		CHECK_EQ(vq_add(&drv, 0x1000, 8, true) >= 0, 1);
	CHECK(!vq_publish(&drv)); /* a full ring posted, still no kick */
	vq_enable_notify(&dev);
	CHECK_EQ(rd16(AVAIL_EVENT), 6);
	CHECK_EQ(device_echo(), NUM);

	/* Disable on the driver side: the placeholder used_event = 0, flags stay 0. */
	vq_disable_notify(&drv);
	CHECK_EQ(rd16(USED_EVENT), 0);
	CHECK_EQ(rd16(AVAIL), 0);
	CHECK_EQ(vq_publish(&dev), rule(0, 14, 6));
	CHECK(!rule(0, 14, 6));
	CHECK_EQ(driver_reap(), NUM);
	CHECK_EQ(rd16(USED_EVENT), 0); /* not refreshed while disabled */
	vq_enable_notify(&drv);
	CHECK_EQ(rd16(USED_EVENT), 14);

	/* Sweep: the peer's event index at every offset around the publish window. */
	unsigned yes = 0, no = 0;

	for (unsigned delta = 0; delta < 40; delta++) {
		for (unsigned batch = 1; batch <= 3; batch++) {
			unsigned old = (unsigned)drv.pub_idx, ev = (old + delta - 20) & 0xffff;
			bool want = rule(ev, old + batch, old);

			wr16(AVAIL_EVENT, ev);
			for (unsigned i = 0; i < batch; i++)
				CHECK_EQ(vq_add(&drv, 0x1000, 8, true) >= 0, 1);
			CHECK_EQ(vq_publish(&drv), want);
			yes += want;
			no += !want;
			vq_disable_notify(&dev); /* device_echo must not move avail_event now */
			CHECK_EQ(device_echo(), (int)batch);
			old = (unsigned)dev.pub_idx;
			ev = (old + delta - 20) & 0xffff;
			wr16(USED_EVENT, ev);
			CHECK_EQ(vq_publish(&dev), rule(ev, old + batch, old));
			vq_disable_notify(&drv);
			CHECK_EQ(driver_reap(), (int)batch);
		}
	}
	/* The sweep must have seen both answers. */
	CHECK(yes > 0 && no > 0);
}

/* Suppressed for a whole wrap: the only kicks are where the rule says (computed here). */
static void test_event_wrap(bool be)
{
	unsigned kicks_drv = 0, kicks_dev = 0;

	setup(VQ_F_EVENT_IDX | (be ? VQ_F_BIG_ENDIAN : 0));
	vq_disable_notify(&dev); /* avail_event = 0 - 8 - 1 = 65527, never refreshed */
	vq_disable_notify(&drv); /* used_event = 0 */
	for (unsigned n = 0; n < 70000; n++) {
		bool k;

		CHECK_EQ(vq_add(&drv, n, 1, false) >= 0, 1);
		k = vq_publish(&drv);
		CHECK_EQ(k, rule(65527, (n + 1) & 0xffff, n & 0xffff));
		kicks_drv += k;
		CHECK_EQ(device_echo(), 1);
		k = vq_publish(&dev);
		CHECK_EQ(k, rule(0, (n + 1) & 0xffff, n & 0xffff));
		kicks_dev += k;
		CHECK_EQ(driver_reap(), 1);
		if (t_failures)
			break;
	}
	CHECK_EQ(kicks_drv, 1);  /* when avail.idx steps past 65527 */
	CHECK_EQ(kicks_dev, 2);  /* when used.idx steps past 0: at the start and after the wrap */
	CHECK_EQ(rd16(AVAIL + 2), 70000 % 65536);
	CHECK_EQ(rd16(USED + 2), 70000 % 65536);

	/* Enabled for a whole wrap: every single-entry publish notifies. */
	vq_enable_notify(&dev);
	vq_enable_notify(&drv);
	kicks_drv = kicks_dev = 0;
	for (unsigned n = 0; n < 70000; n++) {
		CHECK_EQ(vq_add(&drv, n, 1, false) >= 0, 1);
		kicks_drv += vq_publish(&drv);
		device_echo();
		kicks_dev += vq_publish(&dev);
		driver_reap();
		if (t_failures)
			break;
	}
	CHECK_EQ(kicks_drv, 70000);
	CHECK_EQ(kicks_dev, 70000);
}

int main(void)
{
	t_timeout(60);
	/* The rule itself, on the spec's terms. */
	CHECK(vring_need_event(0, 1, 0));
	CHECK(!vring_need_event(1, 1, 0));
	CHECK(vring_need_event(0xffff, 0, 0xfffe));   /* wrapped window containing the event */
	CHECK(!vring_need_event(0xfffd, 0, 0xfffe));
	CHECK(vring_need_event(2, 5, 0));
	CHECK(!vring_need_event(5, 5, 0));
	for (int be = 0; be < 2; be++) {
		test_flags(be);
		test_event_idx(be);
		test_event_wrap(be);
	}
	return t_done();
}
