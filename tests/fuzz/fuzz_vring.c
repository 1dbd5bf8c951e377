/*
 * libFuzzer target: a driver vq and a device vq of ours share one exactly-sized ring while a
 * hostile third party pokes arbitrary values into it. Exercises the device-side
 * vq_get_avail and driver-side vq_get_used paths against hostile ring contents, and checks
 * that neither side ever hands out a head it should not, never loops, never touches memory
 * outside the ring (ASan), and that "broken" is sticky until reset.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -Isrc \
 *         tests/fuzz/fuzz_vring.c src/virtio/vring.c -o /tmp/fz && /tmp/fz -max_total_time=20
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "virtio/vring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NEED(c)                                                                                    \
	do {                                                                                       \
		if (!(c))                                                                          \
			__builtin_trap();                                                          \
	} while (0)

struct in {
	const uint8_t *p;
	size_t n;
};

static unsigned take8(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static unsigned take16(struct in *in)
{
	unsigned lo = take8(in);

	return lo | take8(in) << 8;
}

static uint32_t take32(struct in *in)
{
	uint32_t lo = take16(in);

	return lo | (uint32_t)take16(in) << 16;
}

/* What the harness knows each side holds. */
static uint8_t drv_out[VQ_MAX_NUM], dev_taken[VQ_MAX_NUM];
static uint32_t drv_nout;

static void check_driver(struct vq *drv)
{
	NEED(drv->broken || vq_free_count(drv) == drv->num - drv_nout);
}

static void drv_get_used(struct vq *drv)
{
	uint32_t len;
	int h = vq_get_used(drv, &len);

	if (h >= 0) {
		NEED(!drv->broken && (uint32_t)h < drv->num && drv_out[h]);
		drv_out[h] = 0;
		drv_nout--;
	} else {
		NEED(h == -EAGAIN || h == -EIO);
		NEED(h != -EIO || drv->broken);
	}
	check_driver(drv);
}

static void drv_get_used_many(struct vq *drv, unsigned max)
{
	uint16_t ids[VQ_MAX_NUM];
	int n = vq_get_used_many(drv, ids, max);

	NEED(n == -EIO || (n >= 0 && (unsigned)n <= max));
	NEED(n != -EIO || drv->broken);
	for (int i = 0; i < n; i++) {
		NEED(!drv->broken && ids[i] < drv->num && drv_out[ids[i]]);
		drv_out[ids[i]] = 0;
		drv_nout--;
	}
	check_driver(drv);
}

static void dev_get_avail(struct vq *dev)
{
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	int h = vq_get_avail(dev, &addr, &len, &flags);

	if (h >= 0) {
		NEED(!dev->broken && (uint32_t)h < dev->num && !dev_taken[h]);
		NEED(!(flags & (VRING_DESC_F_NEXT | VRING_DESC_F_INDIRECT)));
		dev_taken[h] = 1;
	} else {
		NEED(h == -EAGAIN || h == -EIO);
		NEED(h != -EIO || dev->broken);
	}
	NEED(vq_free_count(dev) <= dev->num);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t aligns[4] = { 4, 16, 64, 256 };
	struct in in = { data, size };
	struct vq drv, dev;
	unsigned cfg = take8(&in), fl;
	bool fixed = cfg & 128; /* the driver names descriptors itself (vq_add_at) */
	uint32_t num = 1u << (cfg & 7), align = aligns[(cfg >> 5) & 3];
	size_t rsize;
	uint8_t *mem;

	if (num > 64)
		num = 64;
	fl = ((cfg & 8) ? VQ_F_BIG_ENDIAN : 0) | ((cfg & 16) ? VQ_F_EVENT_IDX : 0);
	rsize = vring_size(num, align);
	NEED(rsize);
	mem = malloc(rsize); /* exactly the ring: ASan flags any byte outside */
	NEED(mem);
	memset(mem, 0, rsize);
	if (take8(&in) & 1) {
		/* Start from hostile content. */
		size_t n = in.n < rsize ? in.n : rsize;

		memcpy(mem, in.p, n);
		in.p += n;
		in.n -= n;
	}
	NEED(vq_init(&drv, VQ_DRIVER, mem, rsize, num, align, fl | (fixed ? VQ_F_FIXED_HEADS : 0)) == 0);
	NEED(vq_init(&dev, VQ_DEVICE, mem, rsize, num, align, fl) == 0);
	NEED(vq_init(&dev, VQ_DEVICE, mem, rsize - 1, num, align, fl) == -EINVAL);
	NEED(vq_init(&dev, VQ_DEVICE, mem, rsize, num, align, fl) == 0);
	memset(drv_out, 0, sizeof(drv_out));
	memset(dev_taken, 0, sizeof(dev_taken));
	drv_nout = 0;

	while (in.n) {
		unsigned op = take8(&in);

		switch (op % 12) {
		case 0: { /* driver posts a buffer */
			uint32_t addr = take32(&in);
			int h;

			if (fixed) {
				unsigned want = take16(&in);
				int r;

				if (op & 0x40)
					want %= num;
				r = vq_add_at(&drv, (uint16_t)want, addr, take16(&in), op & 0x80);
				if (r == 0) {
					NEED(want < num && !drv_out[want]);
					h = (int)want;
				} else {
					NEED(r == (drv.broken ? -EIO : -EINVAL));
					NEED(drv.broken || want >= num || drv_out[want]);
					break;
				}
			} else {
				h = vq_add(&drv, addr, take16(&in), op & 0x80);
			}
			if (h >= 0) {
				NEED(!drv.broken && (uint32_t)h < num && !drv_out[h]);
				drv_out[h] = 1;
				drv_nout++;
			} else {
				NEED(h == (drv.broken ? -EIO : -ENOSPC));
				NEED(drv.broken || drv_nout == num);
			}
			check_driver(&drv);
			break;
		}
		case 1:
			(void)vq_publish(&drv);
			break;
		case 2:
			if (op & 0x80)
				drv_get_used_many(&drv, take8(&in));
			else
				drv_get_used(&drv);
			break;
		case 3:
			dev_get_avail(&dev);
			break;
		case 4: { /* device returns a head: one it holds, or anything */
			unsigned h = take16(&in);
			int r;

			if (op & 0x80)
				h %= num;
			r = vq_put_used(&dev, (uint16_t)h, take32(&in));
			if (dev.broken) {
				NEED(r == -EIO);
			} else if (h < num && dev_taken[h]) {
				NEED(r == 0);
				dev_taken[h] = 0;
			} else {
				NEED(r == -EINVAL);
			}
			break;
		}
		case 5:
			(void)vq_publish(&dev);
			break;
		case 6: { /* hostile 16-bit write anywhere in the ring */
			size_t off = (take16(&in) % rsize) & ~(size_t)1;
			unsigned v = take16(&in);

			memcpy(mem + off, &v, 2);
			break;
		}
		case 7: { /* hostile 32-bit write */
			size_t off = (take16(&in) % rsize) & ~(size_t)3;
			uint32_t v = take32(&in);

			if (off + 4 <= rsize)
				memcpy(mem + off, &v, 4);
			break;
		}
		case 8: {
			unsigned a = take8(&in);
			struct vq *q = (a & 1) ? &dev : &drv;

			if (a & 2)
				vq_enable_notify(q);
			else
				vq_disable_notify(q);
			break;
		}
		case 9:
			(void)vq_pending(&drv);
			(void)vq_pending(&dev);
			check_driver(&drv);
			NEED(vq_free_count(&dev) <= num);
			break;
		case 10:
			if (op & 0x80) {
				vq_reset(&drv); /* zeroes the ring */
				memset(drv_out, 0, sizeof(drv_out));
				drv_nout = 0;
				NEED(!drv.broken && vq_free_count(&drv) == num);
			} else {
				vq_reset(&dev);
				memset(dev_taken, 0, sizeof(dev_taken));
				NEED(!dev.broken);
			}
			break;
		case 11: { /* drain both sides: bounded by the ring size */
			unsigned i;

			/* A side can never have more than num entries to take. */
			for (i = 0; i <= num && vq_pending(&dev); i++)
				dev_get_avail(&dev);
			NEED(!vq_pending(&dev));
			for (i = 0; i <= num && vq_pending(&drv); i++)
				drv_get_used(&drv);
			NEED(!vq_pending(&drv));
			break;
		}
		}
		/* Broken is sticky. */
		if (drv.broken) {
			uint32_t len;

			NEED(vq_get_used(&drv, &len) == -EIO);
			NEED(!vq_pending(&drv));
		}
		if (dev.broken) {
			NEED(vq_get_avail(&dev, NULL, NULL, NULL) == -EIO);
			NEED(!vq_publish(&dev));
		}
	}
	free(mem);
	return 0;
}
