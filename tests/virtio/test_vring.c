/*
 * Split virtqueue: sizes (spec §7), set-up rejections, driver <-> device round trips in one
 * buffer, 16-bit index wrap-around, exhaustion, double put, reset.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "virtio/vring.h"

static void test_sizes(void)
{
	/* The spec's examples. */
	CHECK_EQ(vring_size(256, 4096), 10246);
	CHECK_EQ(vring_size(16, 16), 438);
	/* By hand: num 1 align 4: 16 + 6 + 2 = 24 -> used @24, + 6 + 8 = 38. */
	CHECK_EQ(vring_size(1, 4), 38);
	/* num 4 align 16: avail ends at 78, used @80, total 118. */
	CHECK_EQ(vring_size(4, 16), 118);
	CHECK_EQ(VRING_USED_OFF(4, 16), 80);
	CHECK_EQ(VRING_USED_OFF(256, 4096), 8192);
	/* The largest ring: 16*32768 + 6 + 65536 = 589830 -> round to 4096: 593920; + 6 + 262144. */
	CHECK_EQ(vring_size(32768, 4096), 593920 + 6 + 262144);
	/* Rejections. */
	CHECK_EQ(vring_size(0, 16), 0);
	CHECK_EQ(vring_size(3, 16), 0);
	CHECK_EQ(vring_size(255, 4096), 0);
	CHECK_EQ(vring_size(65536, 4096), 0);
	CHECK_EQ(vring_size(0x80000000u, 4096), 0);
	CHECK_EQ(vring_size(16, 0), 0);
	CHECK_EQ(vring_size(16, 2), 0);
	CHECK_EQ(vring_size(16, 1), 0);
	CHECK_EQ(vring_size(16, 24), 0);
}

static void test_init(void)
{
	static _Alignas(4096) uint8_t mem[16384];
	struct vq q;

	CHECK_EQ(vq_init(&q, VQ_DRIVER, mem, sizeof(mem), 256, 4096, 0), 0);
	CHECK_EQ(q.num, 256);
	CHECK(!q.broken);
	CHECK_EQ(vq_free_count(&q), 256);
	CHECK_EQ(vq_init(&q, VQ_DRIVER, mem, 10246, 256, 4096, 0), 0);
	CHECK_EQ(vq_init(&q, VQ_DRIVER, mem, 10245, 256, 4096, 0), -EINVAL); /* too small */
	CHECK_EQ(vq_init(&q, VQ_DRIVER, mem, sizeof(mem), 3, 16, 0), -EINVAL);
	CHECK_EQ(vq_init(&q, VQ_DRIVER, mem, sizeof(mem), 0, 16, 0), -EINVAL);
	CHECK_EQ(vq_init(&q, VQ_DRIVER, mem, sizeof(mem), 16, 8 + 4, 0), -EINVAL);
	CHECK_EQ(vq_init(&q, VQ_DRIVER, mem, sizeof(mem), 16, 2, 0), -EINVAL);
	CHECK_EQ(vq_init(&q, VQ_DRIVER, mem + 2, sizeof(mem) - 2, 16, 16, 0), -EINVAL); /* misaligned */
	CHECK_EQ(vq_init(&q, VQ_DRIVER, NULL, sizeof(mem), 16, 16, 0), -EINVAL);
	CHECK_EQ(vq_init(&q, VQ_DRIVER, mem, sizeof(mem), 16, 16, 8u), -EINVAL); /* unknown flag */
	CHECK_EQ(vq_init(&q, VQ_DEVICE, mem, sizeof(mem), 16, 16, VQ_F_FIXED_HEADS), -EINVAL);
	CHECK_EQ(vq_init(&q, VQ_DEVICE, mem, sizeof(mem), 16, 16, VQ_F_EVENT_IDX | VQ_F_BIG_ENDIAN), 0);
	/* Above VQ_MAX_NUM: legal virtio, but more than our local tracking arrays. */
	{
		size_t big = vring_size(2 * VQ_MAX_NUM, 4);
		uint8_t *m = calloc(1, big);

		CHECK(big > 0);
		CHECK_EQ(vq_init(&q, VQ_DRIVER, m, big, VQ_MAX_NUM, 4, 0), 0);
		vq_reset(&q);
		CHECK_EQ(vq_free_count(&q), VQ_MAX_NUM);
		CHECK_EQ(vq_init(&q, VQ_DRIVER, m, big, 2 * VQ_MAX_NUM, 4, 0), -EINVAL);
		free(m);
	}
	/* Role mismatches. */
	CHECK_EQ(vq_init(&q, VQ_DEVICE, mem, sizeof(mem), 16, 16, 0), 0);
	CHECK_EQ(vq_add(&q, 0, 1, false), -EINVAL);
	CHECK_EQ(vq_get_used(&q, NULL), -EINVAL);
	CHECK_EQ(vq_init(&q, VQ_DRIVER, mem, sizeof(mem), 16, 16, 0), 0);
	CHECK_EQ(vq_get_avail(&q, NULL, NULL, NULL), -EINVAL);
	CHECK_EQ(vq_put_used(&q, 0, 0), -EINVAL);
}

/* Driver posts, device consumes and returns, driver reaps: many rounds, with wrap-around. */
static void test_round_trip(unsigned flags)
{
	enum { NUM = 8, ALIGN = 64 };
	static _Alignas(64) uint8_t mem[4096];
	size_t sz = vring_size(NUM, ALIGN);
	struct vq drv, dev;
	uint64_t addr;
	uint32_t len, total = 70000, sent = 0, got = 0;
	uint16_t fl;
	int bad = 0;

	CHECK_EQ(vq_init(&drv, VQ_DRIVER, mem, sz, NUM, ALIGN, flags), 0);
	CHECK_EQ(vq_init(&dev, VQ_DEVICE, mem, sz, NUM, ALIGN, flags), 0);
	vq_reset(&drv);
	vq_reset(&dev);
	CHECK(!vq_pending(&dev));
	CHECK(!vq_pending(&drv));
	while (got < total) {
		/* Driver: post up to 3 buffers; the address encodes the sequence number. */
		for (int i = 0; i < 3 && sent < total; i++) {
			int h = vq_add(&drv, 0x100000000ull + sent, sent & 0xffff, sent & 1);

			if (h == -ENOSPC)
				break;
			if (h < 0 || h >= NUM)
				bad++;
			sent++;
		}
		vq_publish(&drv);
		/* Device: take what is there, return it with len = address low bits + 1. */
		while (vq_pending(&dev)) {
			int h = vq_get_avail(&dev, &addr, &len, &fl);

			if (h < 0 || (addr >> 32) != 1 || len != (addr & 0xffff) ||
			    fl != ((addr & 1) ? VRING_DESC_F_WRITE : 0))
				bad++;
			if (h >= 0 && vq_put_used(&dev, (uint16_t)h, (uint32_t)addr + 1))
				bad++;
		}
		vq_publish(&dev);
		/* Driver: reap in order (the device returns in order). */
		for (;;) {
			int h = vq_get_used(&drv, &len);

			if (h == -EAGAIN)
				break;
			if (h < 0 || len != got + 1)
				bad++;
			got++;
			if (bad)
				break;
		}
		if (bad)
			break;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(got, total);
	CHECK_EQ(vq_free_count(&drv), NUM);
	CHECK_EQ(vq_free_count(&dev), 0);
	/* The free-running indices in shared memory wrapped: 70000 mod 65536 = 4464. */
	{
		const uint8_t *ai = mem + VRING_AVAIL_OFF(NUM) + 2;
		const uint8_t *ui = mem + VRING_USED_OFF(NUM, ALIGN) + 2;
		unsigned a = (flags & VQ_F_BIG_ENDIAN) ? (ai[0] << 8 | ai[1]) : (ai[1] << 8 | ai[0]);
		unsigned u = (flags & VQ_F_BIG_ENDIAN) ? (ui[0] << 8 | ui[1]) : (ui[1] << 8 | ui[0]);

		CHECK_EQ(a, 70000 % 65536);
		CHECK_EQ(u, 70000 % 65536);
	}
	CHECK(!drv.broken);
	CHECK(!dev.broken);
}

/* Out-of-order returns: the driver's local free list must follow. */
static void test_out_of_order(void)
{
	enum { NUM = 4 };
	static _Alignas(16) uint8_t mem[256];
	struct vq drv, dev;
	uint64_t addr;
	uint32_t len;
	int h[NUM];

	CHECK_EQ(vq_init(&drv, VQ_DRIVER, mem, sizeof(mem), NUM, 16, 0), 0);
	CHECK_EQ(vq_init(&dev, VQ_DEVICE, mem, sizeof(mem), NUM, 16, 0), 0);
	vq_reset(&drv);
	for (int i = 0; i < NUM; i++)
		CHECK_EQ(vq_add(&drv, 0xA000u + (unsigned)i, 10, true), i);
	CHECK_EQ(vq_add(&drv, 0xB000, 10, true), -ENOSPC); /* exhaustion */
	CHECK_EQ(vq_free_count(&drv), 0);
	CHECK(vq_publish(&drv));
	CHECK(!vq_publish(&drv)); /* nothing new */
	for (int i = 0; i < NUM; i++)
		h[i] = vq_get_avail(&dev, &addr, &len, NULL);
	CHECK_EQ(vq_get_avail(&dev, &addr, &len, NULL), -EAGAIN);
	/* Return 2, 0, 3 (keep 1). */
	CHECK_EQ(vq_put_used(&dev, (uint16_t)h[2], 2), 0);
	CHECK_EQ(vq_put_used(&dev, (uint16_t)h[0], 0), 0);
	CHECK_EQ(vq_put_used(&dev, (uint16_t)h[3], 3), 0);
	/* Double put, and a head never taken. */
	CHECK_EQ(vq_put_used(&dev, (uint16_t)h[2], 2), -EINVAL);
	CHECK_EQ(vq_put_used(&dev, 7, 0), -EINVAL);
	CHECK_EQ(vq_put_used(&dev, 0xffff, 0), -EINVAL);
	CHECK(!dev.broken);
	CHECK(vq_publish(&dev));
	CHECK(vq_pending(&drv));
	CHECK_EQ(vq_get_used(&drv, &len), 2);
	CHECK_EQ(vq_get_used(&drv, &len), 0);
	CHECK_EQ(vq_get_used(&drv, &len), 3);
	CHECK_EQ(len, 3);
	CHECK_EQ(vq_get_used(&drv, &len), -EAGAIN);
	CHECK(!vq_pending(&drv));
	CHECK_EQ(vq_free_count(&drv), 3);
	/* The freed descriptors are reused; the kept one (1) is not handed out again. */
	for (int i = 0; i < 3; i++) {
		int x = vq_add(&drv, 0xC000, 1, false);

		CHECK(x == 0 || x == 2 || x == 3);
	}
	CHECK_EQ(vq_add(&drv, 0xC000, 1, false), -ENOSPC);
	CHECK(vq_publish(&drv));
	CHECK_EQ(vq_free_count(&dev), 3);
	/* The device returns the one it kept. */
	CHECK_EQ(vq_put_used(&dev, (uint16_t)h[1], 1), 0);
	CHECK(vq_publish(&dev));
	CHECK_EQ(vq_get_used(&drv, &len), 1);
	CHECK_EQ(len, 1);
	CHECK_EQ(vq_free_count(&drv), 1);

	/* Reset: the driver zeroes the ring, everything is free again. */
	vq_reset(&drv);
	vq_reset(&dev);
	for (size_t i = 0; i < vring_size(NUM, 16); i++)
		if (mem[i]) {
			CHECK_EQ(mem[i], 0);
			break;
		}
	CHECK_EQ(vq_free_count(&drv), NUM);
	CHECK_EQ(vq_free_count(&dev), 0);
	CHECK_EQ(vq_get_used(&drv, &len), -EAGAIN);
	CHECK_EQ(vq_get_avail(&dev, &addr, &len, NULL), -EAGAIN);
}

/* Ring fields, little-endian (no VQ_F_BIG_ENDIAN). */
static uint32_t get_le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* VQ_F_FIXED_HEADS: the driver names each buffer's descriptor; returns free that one only. */
static void test_fixed_heads(void)
{
	enum { NUM = 4 };
	static _Alignas(16) uint8_t mem[256];
	struct vq drv, dev;
	uint64_t addr;
	uint32_t len;

	CHECK_EQ(vq_init(&drv, VQ_DRIVER, mem, sizeof(mem), NUM, 16, VQ_F_FIXED_HEADS), 0);
	CHECK_EQ(vq_init(&dev, VQ_DEVICE, mem, sizeof(mem), NUM, 16, 0), 0);
	vq_reset(&drv);
	CHECK_EQ(vq_add(&drv, 0xA000, 10, true), -EINVAL); /* the other way of posting */
	CHECK_EQ(vq_add_at(&drv, 2, 0xA200, 10, true), 0);
	CHECK_EQ(vq_add_at(&drv, 0, 0xA000, 11, false), 0);
	CHECK_EQ(vq_add_at(&drv, 2, 0xA200, 10, true), -EINVAL); /* still with the device */
	CHECK_EQ(vq_add_at(&drv, NUM, 0xA400, 10, true), -EINVAL);
	CHECK_EQ(vq_free_count(&drv), NUM - 2);
	/* The wire: descriptor 2 and 0, in that order in the available ring. */
	CHECK_EQ(get_le32(mem + 2 * 16), 0xA200);
	CHECK_EQ(get_le32(mem + 2 * 16 + 8), 10);
	CHECK_EQ(get_le16(mem + 2 * 16 + 12), VRING_DESC_F_WRITE);
	CHECK_EQ(get_le32(mem + 0 * 16), 0xA000);
	CHECK_EQ(get_le16(mem + 0 * 16 + 12), 0);
	CHECK_EQ(get_le16(mem + VRING_AVAIL_OFF(NUM) + 4), 2);
	CHECK_EQ(get_le16(mem + VRING_AVAIL_OFF(NUM) + 6), 0);
	CHECK(vq_publish(&drv));
	CHECK_EQ(vq_get_avail(&dev, &addr, &len, NULL), 2);
	CHECK_EQ(addr, 0xA200);
	CHECK_EQ(vq_get_avail(&dev, &addr, &len, NULL), 0);
	CHECK_EQ(len, 11);
	/* Returned out of order; each comes back under its own head and can be posted again
	 * there, the others staying busy. */
	CHECK_EQ(vq_put_used(&dev, 0, 5), 0);
	CHECK(vq_publish(&dev));
	CHECK_EQ(vq_get_used(&drv, &len), 0);
	CHECK_EQ(len, 5);
	CHECK_EQ(vq_get_used(&drv, &len), -EAGAIN);
	CHECK_EQ(vq_add_at(&drv, 2, 0xA200, 10, true), -EINVAL);
	CHECK_EQ(vq_add_at(&drv, 0, 0xA000, 12, false), 0);
	CHECK_EQ(get_le32(mem + 0 * 16 + 8), 12);
	CHECK_EQ(vq_free_count(&drv), NUM - 2);
	/* A hostile return of a head never posted breaks the vq, as in the other mode. */
	CHECK_EQ(vq_put_used(&dev, 2, 0), 0);
	CHECK(vq_publish(&dev));
	CHECK_EQ(vq_get_used(&drv, &len), 2);
	put_le32(mem + VRING_USED_OFF(NUM, 16) + 4 + 8 * 2, 3);
	put_le16(mem + VRING_USED_OFF(NUM, 16) + 2, 3);
	CHECK_EQ(vq_get_used(&drv, &len), -EIO);
	CHECK_EQ(vq_add_at(&drv, 1, 0xA100, 10, true), -EIO);
	vq_reset(&drv);
	CHECK_EQ(vq_free_count(&drv), NUM);
	CHECK_EQ(vq_add_at(&drv, 3, 0xA300, 10, true), 0);
}

/* vq_get_used_many: batches in ring order, at most `max`, the index read once per batch. */
static void test_used_many(unsigned flags)
{
	enum { NUM = 8 };
	static _Alignas(16) uint8_t mem[512];
	struct vq drv, dev;
	uint16_t ids[NUM];
	uint64_t addr;
	uint32_t len;
	const uint16_t back[] = { 2, 0, 3 };

	CHECK_EQ(vq_init(&drv, VQ_DRIVER, mem, sizeof(mem), NUM, 16, flags | VQ_F_FIXED_HEADS), 0);
	CHECK_EQ(vq_init(&dev, VQ_DEVICE, mem, sizeof(mem), NUM, 16, flags), 0);
	vq_reset(&drv);
	vq_reset(&dev);
	CHECK_EQ(vq_get_used_many(&drv, ids, NUM), 0); /* nothing yet */
	for (uint16_t h = 0; h < 4; h++)
		CHECK_EQ(vq_add_at(&drv, h, 0x1000u * h, 16, false), 0);
	vq_publish(&drv);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(vq_get_avail(&dev, &addr, &len, NULL), i);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(vq_put_used(&dev, back[i], 16), 0);
	vq_publish(&dev);
	CHECK_EQ(vq_get_used_many(&drv, ids, 2), 2);
	CHECK_EQ(ids[0], 2);
	CHECK_EQ(ids[1], 0);
	if (flags & VQ_F_EVENT_IDX) /* asks for the entry after the batch */
		CHECK_EQ(mem[VRING_AVAIL_OFF(NUM) + 4 + 2 * NUM], 2);
	/* The device's index moves on meanwhile: the third is taken without looking again. */
	CHECK_EQ(vq_put_used(&dev, 1, 16), 0);
	vq_publish(&dev);
	CHECK_EQ(vq_get_used_many(&drv, ids, NUM), 1);
	CHECK_EQ(ids[0], 3);
	CHECK_EQ(vq_get_used_many(&drv, ids, NUM), 1);
	CHECK_EQ(ids[0], 1);
	CHECK_EQ(vq_get_used_many(&drv, ids, NUM), 0);
	CHECK_EQ(vq_free_count(&drv), NUM);
	/* Hostile: a second entry for a buffer already back breaks the vq. */
	CHECK_EQ(vq_add_at(&drv, 5, 0x5000, 16, false), 0);
	vq_publish(&drv);
	CHECK_EQ(vq_get_avail(&dev, &addr, &len, NULL), 5);
	CHECK_EQ(vq_put_used(&dev, 5, 16), 0);
	vq_publish(&dev);
	put_le32(mem + VRING_USED_OFF(NUM, 16) + 4 + 8 * 4, 1); /* the fifth entry names 1, not 5 */
	CHECK_EQ(vq_get_used_many(&drv, ids, NUM), -EIO);
	CHECK(drv.broken);
	CHECK_EQ(vq_get_used_many(&drv, ids, NUM), -EIO);
}

/* Two rings in one memory block, as a transport lays them out: no cross-talk. */
static void test_two_rings(void)
{
	static _Alignas(4096) uint8_t mem[2 * 12288];
	struct vq d0, v0, d1, v1;
	uint64_t addr;
	uint32_t len;

	CHECK_EQ(vq_init(&d0, VQ_DRIVER, mem, 12288, 256, 4096, 0), 0);
	CHECK_EQ(vq_init(&d1, VQ_DRIVER, mem + 12288, 12288, 256, 4096, 0), 0);
	CHECK_EQ(vq_init(&v0, VQ_DEVICE, mem, 12288, 256, 4096, 0), 0);
	CHECK_EQ(vq_init(&v1, VQ_DEVICE, mem + 12288, 12288, 256, 4096, 0), 0);
	vq_reset(&d0);
	vq_reset(&d1);
	for (int i = 0; i < 256; i++)
		CHECK_EQ(vq_add(&d0, 0x10000u + 512u * (unsigned)i, 512, true), i);
	CHECK(vq_publish(&d0));
	CHECK_EQ(vq_free_count(&v0), 256);
	CHECK_EQ(vq_free_count(&v1), 0);
	CHECK_EQ(vq_add(&d1, 0x90000, 16 + 5, false), 0);
	CHECK(vq_publish(&d1));
	CHECK_EQ(vq_get_avail(&v1, &addr, &len, NULL), 0);
	CHECK_EQ(addr, 0x90000);
	CHECK_EQ(len, 21);
	CHECK_EQ(vq_get_avail(&v0, &addr, &len, NULL), 0);
	CHECK_EQ(addr, 0x10000);
	CHECK_EQ(vq_put_used(&v0, 0, 16 + 3), 0);
	CHECK_EQ(vq_put_used(&v1, 0, 21), 0);
	CHECK(vq_publish(&v0));
	CHECK(vq_publish(&v1));
	CHECK_EQ(vq_get_used(&d0, &len), 0);
	CHECK_EQ(len, 19);
	CHECK_EQ(vq_get_used(&d1, &len), 0);
	CHECK_EQ(len, 21);
	CHECK_EQ(vq_free_count(&v0), 255);
}

int main(void)
{
	t_timeout(60);
	test_sizes();
	test_init();
	test_round_trip(0);
	test_round_trip(VQ_F_BIG_ENDIAN);
	test_round_trip(VQ_F_EVENT_IDX);
	test_round_trip(VQ_F_EVENT_IDX | VQ_F_BIG_ENDIAN);
	test_out_of_order();
	test_fixed_heads();
	test_used_many(0);
	test_used_many(VQ_F_EVENT_IDX);
	test_two_rings();
	return t_done();
}
