/*
 * A hostile peer writes the ring by hand: used ids out of range or never handed out, used
 * and avail index jumps, avail heads out of range or still held, chained and indirect
 * descriptors. Each must give -EIO, mark the vq broken (every later call -EIO), leave the
 * shared memory untouched, and vq_reset must recover.
 */
#include <errno.h>
#include <string.h>

#include "testlib.h"
#include "virtio/vring.h"

enum { NUM = 8, ALIGN = 16 };
#define RING 230 /* 128 + 22 -> used @160, + 6 + 64 */
#define AVAIL (VRING_AVAIL_OFF(NUM))
#define USED (VRING_USED_OFF(NUM, ALIGN))

static _Alignas(16) uint8_t mem[RING];
static uint8_t snap[RING];
static struct vq drv, dev;
static bool BE;
static unsigned FL;

static void wr16(size_t off, unsigned v)
{
	mem[off + (BE ? 1 : 0)] = (uint8_t)v;
	mem[off + (BE ? 0 : 1)] = (uint8_t)(v >> 8);
}

static void wr32(size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		mem[off + (BE ? 3 - i : i)] = (uint8_t)(v >> (8 * i));
}

/* Device side writes of a hostile device. */
static void used_entry(unsigned slot, uint32_t id, uint32_t len)
{
	wr32(USED + 4 + 8 * slot, id);
	wr32(USED + 8 + 8 * slot, len);
}

static void driver_fresh(unsigned nbufs)
{
	CHECK_EQ(vq_init(&drv, VQ_DRIVER, mem, RING, NUM, ALIGN, FL), 0);
	vq_reset(&drv);
	for (unsigned i = 0; i < nbufs; i++)
		CHECK_EQ(vq_add(&drv, 0x1000 + 0x100 * i, 0x100, true), (int)i);
	vq_publish(&drv);
}

static void expect_driver_broken(void)
{
	uint32_t len = 0xdeadbeef;

	memcpy(snap, mem, RING);
	CHECK_EQ(vq_get_used(&drv, &len), -EIO);
	CHECK(drv.broken);
	CHECK_EQ(len, 0xdeadbeef);
	CHECK_EQ(vq_get_used(&drv, &len), -EIO);
	CHECK_EQ(vq_add(&drv, 0x9000, 1, false), -EIO);
	CHECK(!vq_publish(&drv));
	CHECK(!vq_pending(&drv));
	CHECK_MEM(mem, snap, RING);
	vq_reset(&drv);
	CHECK(!drv.broken);
	CHECK_EQ(vq_add(&drv, 0x9000, 1, false), 0);
}

static void hostile_device(void)
{
	uint32_t len;

	/* id >= num */
	driver_fresh(4);
	used_entry(0, NUM, 4);
	wr16(USED + 2, 1);
	expect_driver_broken();

	/* id far out of range (would index anything) */
	driver_fresh(4);
	used_entry(0, 0xffffffffu, 4);
	wr16(USED + 2, 1);
	expect_driver_broken();

	/* an id in range that was never handed out */
	driver_fresh(4);
	used_entry(0, 6, 4);
	wr16(USED + 2, 1);
	expect_driver_broken();

	/* the same buffer returned twice */
	driver_fresh(4);
	used_entry(0, 2, 4);
	used_entry(1, 2, 4);
	wr16(USED + 2, 2);
	CHECK_EQ(vq_get_used(&drv, &len), 2);
	CHECK_EQ(len, 4);
	expect_driver_broken();

	/* used.idx ahead by more than the buffers outstanding */
	driver_fresh(2);
	used_entry(0, 0, 4);
	used_entry(1, 1, 4);
	used_entry(2, 0, 4);
	wr16(USED + 2, 3);
	expect_driver_broken();

	/* used.idx jumping by half the index space */
	driver_fresh(NUM);
	wr16(USED + 2, 0x8000);
	expect_driver_broken();

	/* used.idx going backwards */
	driver_fresh(NUM);
	wr16(USED + 2, 0xffff);
	expect_driver_broken();

	/* Exactly as many entries as outstanding is fine, any order, any length. */
	driver_fresh(3);
	used_entry(0, 1, 0xffffffffu);
	used_entry(1, 0, 0);
	used_entry(2, 2, 7);
	wr16(USED + 2, 3);
	CHECK_EQ(vq_get_used(&drv, &len), 1);
	CHECK_EQ(len, 0xffffffffu); /* raw: the caller checks it */
	CHECK_EQ(vq_get_used(&drv, &len), 0);
	CHECK_EQ(len, 0);
	CHECK_EQ(vq_get_used(&drv, &len), 2);
	CHECK_EQ(vq_get_used(&drv, &len), -EAGAIN);
	CHECK(!drv.broken);
}

/* Driver side writes of a hostile driver: descriptor `i`, avail slot, avail idx. */
static void desc(unsigned i, uint32_t addr, uint32_t len, unsigned flags, unsigned next)
{
	wr32(16 * i + (BE ? 4 : 0), addr);
	wr32(16 * i + (BE ? 0 : 4), 0);
	wr32(16 * i + 8, len);
	wr16(16 * i + 12, flags);
	wr16(16 * i + 14, next);
}

static void device_fresh(void)
{
	memset(mem, 0, RING);
	for (unsigned i = 0; i < NUM; i++)
		desc(i, 0x1000 + 0x100 * i, 0x100, VRING_DESC_F_WRITE, 0);
	CHECK_EQ(vq_init(&dev, VQ_DEVICE, mem, RING, NUM, ALIGN, FL), 0);
}

static void post(unsigned slot, unsigned head)
{
	wr16(AVAIL + 4 + 2 * slot, head);
}

static void expect_device_broken(void)
{
	uint64_t addr = 77;

	memcpy(snap, mem, RING);
	CHECK_EQ(vq_get_avail(&dev, &addr, NULL, NULL), -EIO);
	CHECK(dev.broken);
	CHECK_EQ(addr, 77);
	CHECK_EQ(vq_get_avail(&dev, &addr, NULL, NULL), -EIO);
	CHECK_EQ(vq_put_used(&dev, 0, 0), -EIO);
	CHECK(!vq_publish(&dev));
	CHECK(!vq_pending(&dev));
	CHECK_EQ(vq_free_count(&dev), 0);
	CHECK_MEM(mem, snap, RING);
	vq_reset(&dev); /* device reset: local state only */
	CHECK(!dev.broken);
	CHECK_MEM(mem, snap, RING);
}

static void hostile_driver(void)
{
	uint64_t addr;
	uint32_t len;
	uint16_t fl;

	/* head >= num */
	device_fresh();
	post(0, NUM);
	wr16(AVAIL + 2, 1);
	expect_device_broken();

	device_fresh();
	post(0, 0xffff);
	wr16(AVAIL + 2, 1);
	expect_device_broken();

	/* avail.idx more than num ahead */
	device_fresh();
	for (unsigned i = 0; i < NUM; i++)
		post(i, i);
	wr16(AVAIL + 2, NUM + 1);
	CHECK_EQ(vq_free_count(&dev), 0);
	expect_device_broken();

	/* avail.idx going backwards */
	device_fresh();
	wr16(AVAIL + 2, 0xffff);
	expect_device_broken();

	/* chained and indirect descriptors */
	device_fresh();
	desc(3, 0x5000, 16, VRING_DESC_F_NEXT, 4);
	post(0, 3);
	wr16(AVAIL + 2, 1);
	expect_device_broken();

	device_fresh();
	desc(3, 0x5000, 16, VRING_DESC_F_INDIRECT, 0);
	post(0, 3);
	wr16(AVAIL + 2, 1);
	expect_device_broken();

	/* a head re-posted while the device still holds it */
	device_fresh();
	post(0, 5);
	post(1, 5);
	wr16(AVAIL + 2, 2);
	CHECK_EQ(vq_get_avail(&dev, &addr, &len, &fl), 5);
	expect_device_broken();

	/* ... but re-posting after the device returned it is legal */
	device_fresh();
	post(0, 5);
	wr16(AVAIL + 2, 1);
	CHECK_EQ(vq_get_avail(&dev, &addr, &len, &fl), 5);
	CHECK_EQ(vq_put_used(&dev, 5, 1), 0);
	CHECK(vq_publish(&dev));
	post(1, 5);
	wr16(AVAIL + 2, 2);
	CHECK_EQ(vq_get_avail(&dev, &addr, &len, &fl), 5);
	CHECK(!dev.broken);

	/* Exactly num entries, the device's own ring in reverse order; raw fields. */
	device_fresh();
	for (unsigned i = 0; i < NUM; i++)
		post(i, NUM - 1 - i);
	desc(0, 0xffffffffu, 0xffffffffu, 0x8000 | VRING_DESC_F_WRITE, 0xffff);
	wr16(AVAIL + 2, NUM);
	CHECK_EQ(vq_free_count(&dev), NUM);
	for (unsigned i = 0; i < NUM; i++)
		CHECK_EQ(vq_get_avail(&dev, &addr, &len, &fl), (int)(NUM - 1 - i));
	CHECK_EQ(addr, 0xffffffffu);
	CHECK_EQ(len, 0xffffffffu);
	CHECK_EQ(fl, 0x8000 | VRING_DESC_F_WRITE); /* unknown bits passed through, `next` ignored */
	CHECK_EQ(vq_get_avail(&dev, &addr, &len, &fl), -EAGAIN);
	CHECK(!dev.broken);

	/* Entries published with a stale (smaller) index are simply not seen yet. */
	device_fresh();
	post(0, 1);
	post(1, 2);
	wr16(AVAIL + 2, 1);
	CHECK_EQ(vq_get_avail(&dev, &addr, &len, &fl), 1);
	CHECK_EQ(vq_get_avail(&dev, &addr, &len, &fl), -EAGAIN);
	CHECK(!dev.broken);
}

int main(void)
{
	t_timeout(30);
	CHECK_EQ(vring_size(NUM, ALIGN), RING);
	for (int be = 0; be < 2; be++) {
		for (int ev = 0; ev < 2; ev++) {
			BE = be;
			FL = (be ? VQ_F_BIG_ENDIAN : 0) | (ev ? VQ_F_EVENT_IDX : 0);
			hostile_device();
			hostile_driver();
		}
	}
	return t_done();
}
