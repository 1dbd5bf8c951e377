/*
 * remoteproc resource table (spec §11, §12): golden bytes of a built table in both orders,
 * the accessors' writes in place, and the parser's rejections (each a one-field change of a
 * good table, so each check can only pass for the reason it names).
 */
#include <errno.h>
#include <string.h>

#include "testlib.h"
#include "virtio/rsc_table.h"

#define TBL 88 /* 16 header + 4 offset + 28 vdev + 2 * 20 vrings */

static const struct rsc_vdev_cfg cfg = {
	.notifyid = 2,
	.dfeatures = 1u << VIRTIO_RPMSG_F_NS,
	.config_len = 0,
	.vring = { { .da = 0x10040000u, .align = 4096, .num = 256, .notifyid = 0 },
		   { .da = FW_RSC_ADDR_ANY, .align = 16, .num = 64, .notifyid = 1 } },
};

static const uint8_t gold_le[TBL] = {
	/* header: ver 1, num 1, reserved 0 0, offset[0] = 20 */
	0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x14, 0x00, 0x00, 0x00,
	/* @20 vdev: type 3, id 7, notifyid 2, dfeatures 1, gfeatures 0, config_len 0 */
	0x03, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* @44 status 0, num_of_vrings 2, reserved 0 0 */
	0x00, 0x02, 0x00, 0x00,
	/* @48 vring0: da 0x10040000, align 4096, num 256, notifyid 0, pa 0 */
	0x00, 0x00, 0x04, 0x10, 0x00, 0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	/* @68 vring1: da ANY, align 16, num 64, notifyid 1, pa 0 */
	0xff, 0xff, 0xff, 0xff, 0x10, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
};

static const uint8_t gold_be[TBL] = {
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x14,
	0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x02, 0x00, 0x00,
	0x10, 0x04, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x00,
};

static bool BE;

static void p32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[BE ? 3 - i : i] = (uint8_t)(v >> (8 * i));
}

static void test_build(bool be)
{
	_Alignas(8) uint8_t buf[256], want[256];
	struct rsc_vdev_cfg c = cfg;
	struct rsc_vdev v;
	struct rsc_vring_cfg r;

	BE = be;
	memset(buf, 0xAA, sizeof(buf));
	CHECK_EQ(rsc_table_build(buf, sizeof(buf), &cfg, be), TBL);
	CHECK_MEM(buf, be ? gold_be : gold_le, TBL);
	CHECK_EQ(buf[TBL], 0xAA); /* nothing past the table */

	/* Too small by one byte; exact size. */
	CHECK_EQ(rsc_table_build(buf, TBL - 1, &cfg, be), -ENOSPC);
	CHECK_EQ(rsc_table_build(buf, TBL, &cfg, be), TBL);
	/* Config space follows the vrings, zeroed, counted in the size. */
	c.config_len = 8;
	memset(buf, 0xAA, sizeof(buf));
	CHECK_EQ(rsc_table_build(buf, sizeof(buf), &c, be), TBL + 8);
	memcpy(want, be ? gold_be : gold_le, TBL);
	p32(want + 40, 8);
	memset(want + TBL, 0, 8);
	CHECK_MEM(buf, want, TBL + 8);
	CHECK_EQ(rsc_table_build(buf, TBL + 7, &c, be), -ENOSPC);
	c.config_len = 0xfffffff0u;
	CHECK_EQ(rsc_table_build(buf, sizeof(buf), &c, be), -EINVAL);
	/* Bad vring parameters. */
	c = cfg;
	c.vring[1].num = 0;
	CHECK_EQ(rsc_table_build(buf, sizeof(buf), &c, be), -EINVAL);
	c = cfg;
	c.vring[0].num = 100;
	CHECK_EQ(rsc_table_build(buf, sizeof(buf), &c, be), -EINVAL);
	c = cfg;
	c.vring[0].align = 2;
	CHECK_EQ(rsc_table_build(buf, sizeof(buf), &c, be), -EINVAL);
	CHECK_EQ(rsc_table_build(NULL, sizeof(buf), &cfg, be), -EINVAL);
	CHECK_EQ(rsc_table_build(buf, sizeof(buf), NULL, be), -EINVAL);

	/* Parse what we built, then play the driver and the device through the accessors. */
	CHECK_EQ(rsc_table_build(buf, sizeof(buf), &cfg, be), TBL);
	CHECK_EQ(rsc_table_find_vdev(buf, TBL, be, &v), 0);
	CHECK(v.entry == buf + 20);
	CHECK_EQ(v.entry_size, 68);
	CHECK_EQ(v.big_endian, be);
	CHECK_EQ(rsc_vdev_id(&v), VIRTIO_ID_RPMSG);
	CHECK_EQ(rsc_vdev_notifyid(&v), 2);
	CHECK_EQ(rsc_vdev_status(&v), 0);
	CHECK_EQ(rsc_vdev_dfeatures(&v), 1);
	CHECK_EQ(rsc_vdev_gfeatures(&v), 0);
	CHECK_EQ(rsc_vdev_vring(&v, 0, &r), 0);
	CHECK_EQ(r.da, 0x10040000u);
	CHECK_EQ(r.align, 4096);
	CHECK_EQ(r.num, 256);
	CHECK_EQ(r.notifyid, 0);
	CHECK_EQ(rsc_vdev_vring(&v, 1, &r), 0);
	CHECK_EQ(r.da, FW_RSC_ADDR_ANY);
	CHECK_EQ(r.align, 16);
	CHECK_EQ(r.num, 64);
	CHECK_EQ(r.notifyid, 1);
	CHECK_EQ(rsc_vdev_vring(&v, 2, &r), -EINVAL);

	rsc_vdev_set_status(&v, VIRTIO_STATUS_ACKNOWLEDGE);
	rsc_vdev_set_status(&v, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	rsc_vdev_set_gfeatures(&v, 1u << VIRTIO_RPMSG_F_NS);
	rsc_vdev_set_vring_da(&v, 1, 0x10080000u);
	rsc_vdev_set_vring_da(&v, 2, 0x12345678u); /* ignored */
	rsc_vdev_set_vring_notifyid(&v, 0, 5);
	rsc_vdev_set_status(&v, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
					VIRTIO_STATUS_DRIVER_OK);
	memcpy(want, be ? gold_be : gold_le, TBL);
	p32(want + 36, 1);         /* gfeatures */
	want[44] = 0x07;           /* status */
	p32(want + 48 + 12, 5);    /* vring0 notifyid */
	p32(want + 68, 0x10080000u); /* vring1 da */
	CHECK_MEM(buf, want, TBL);
	CHECK_EQ(rsc_vdev_status(&v), 7);
	CHECK_EQ(rsc_vdev_gfeatures(&v), 1);
	CHECK_EQ(rsc_vdev_vring(&v, 1, &r), 0);
	CHECK_EQ(r.da, 0x10080000u);

	/* rsc_vdev_vring re-reads the live entry and checks it. */
	p32(buf + 48 + 8, 100); /* vring0 num, not a power of two */
	CHECK_EQ(rsc_vdev_vring(&v, 0, &r), -EINVAL);
	CHECK_EQ(r.num, 100);
	p32(buf + 48 + 8, 65536); /* beyond the virtio maximum */
	CHECK_EQ(rsc_vdev_vring(&v, 0, &r), -EINVAL);
	p32(buf + 48 + 8, 256);
	p32(buf + 48 + 4, 2); /* align below 4 */
	CHECK_EQ(rsc_vdev_vring(&v, 0, &r), -EINVAL);
	p32(buf + 48 + 4, 48); /* align not a power of two */
	CHECK_EQ(rsc_vdev_vring(&v, 0, &r), -EINVAL);
	p32(buf + 48 + 4, 4);
	CHECK_EQ(rsc_vdev_vring(&v, 0, &r), 0);
}

/* A good table, then one change: the parser must say -EINVAL and leave *out alone. */
static _Alignas(8) uint8_t t[512];

static void fresh(void)
{
	memset(t, 0, sizeof(t));
	CHECK_EQ(rsc_table_build(t, sizeof(t), &cfg, BE), TBL);
}

static uint8_t dummy;

static void reject(size_t size, int want, int line)
{
	struct rsc_vdev v = { .entry = &dummy, .entry_size = 99, .big_endian = !BE };
	uint8_t before[sizeof(t)];
	int got;

	memcpy(before, t, sizeof(t));
	got = rsc_table_find_vdev(t, size, BE, &v);
	if (got != want)
		t_fail(__FILE__, line, "find_vdev returned %d, want %d", got, want);
	t_checks++;
	if (v.entry != &dummy || v.entry_size != 99 || v.big_endian == BE)
		t_fail(__FILE__, line, "*out was written on failure");
	if (memcmp(before, t, sizeof(t)))
		t_fail(__FILE__, line, "the table was written");
}
#define REJECT(size) reject((size), -EINVAL, __LINE__)

static void accept(size_t size, size_t entry_off, int line)
{
	struct rsc_vdev v;
	int got = rsc_table_find_vdev(t, size, BE, &v);

	t_checks++;
	if (got || v.entry != t + entry_off)
		t_fail(__FILE__, line, "find_vdev returned %d, entry at %td, want 0 at %zu", got,
		       got ? 0 : v.entry - t, entry_off);
}
#define ACCEPT(size, off) accept((size), (off), __LINE__)

static void test_parse(bool be)
{
	BE = be;
	fresh();
	ACCEPT(TBL, 20);
	ACCEPT(sizeof(t), 20);
	REJECT(TBL - 1); /* the vdev entry no longer fits */
	REJECT(15);      /* not even a header */
	REJECT(0);
	{
		struct rsc_vdev v;

		CHECK_EQ(rsc_table_find_vdev(NULL, TBL, be, &v), -EINVAL);
		CHECK_EQ(rsc_table_find_vdev(t, TBL, be, NULL), -EINVAL);
		/* Misaligned table. */
		memmove(t + 1, t, TBL);
		CHECK_EQ(rsc_table_find_vdev(t + 1, TBL, be, &v), -EINVAL);
	}

	fresh(); p32(t + 0, 2); REJECT(TBL);            /* ver 2 */
	fresh(); p32(t + 0, 0); REJECT(TBL);            /* ver 0 */
	fresh(); p32(t + 8, 1); REJECT(TBL);            /* reserved[0] */
	fresh(); p32(t + 12, 0x80000000u); REJECT(TBL); /* reserved[1] */
	fresh(); p32(t + 4, 0x40000000u); REJECT(TBL);  /* offset array beyond the table */
	fresh(); p32(t + 4, 18); REJECT(TBL);           /* 16 + 4*18 = 88 fits, but offset[1..] = garbage */
	/* Offset array one word longer than the table, every offset otherwise good. */
	memset(t, 0, sizeof(t));
	p32(t + 0, 1);
	for (int i = 0; i < 5; i++)
		p32(t + 16 + 4 * i, 16); /* type 16: an unknown type, skipped */
	p32(t + 4, 4);
	reject(32, -ENOENT, __LINE__);
	p32(t + 4, 5);
	REJECT(32);
	fresh(); p32(t + 16, 12); REJECT(TBL);          /* offset inside the header */
	fresh(); p32(t + 16, 0); REJECT(TBL);
	fresh(); p32(t + 16, TBL); REJECT(TBL);         /* offset at the end */
	fresh(); p32(t + 16, TBL - 3); REJECT(TBL);     /* type does not fit */
	fresh(); p32(t + 16, 0xfffffffcu); REJECT(TBL); /* far past the end */
	fresh(); p32(t + 16, 64); reject(TBL, -ENOENT, __LINE__); /* type 0 at 64: no vdev */
	fresh(); p32(t + 64, RSC_VDEV); p32(t + 16, 64); REJECT(TBL); /* vdev at 64 does not fit */

	/* VDEV entry checks. */
	fresh(); p32(t + 40, 1); REJECT(TBL);           /* config space does not fit */
	fresh(); p32(t + 40, 0xffffffffu); REJECT(TBL); /* (and must not wrap) */
	fresh(); p32(t + 40, 1); ACCEPT(TBL + 1, 20);   /* it does with one more byte */
	fresh(); t[46] = 1; REJECT(TBL);                /* reserved byte 0 */
	fresh(); t[47] = 0x80; REJECT(TBL);             /* reserved byte 1 */
	fresh(); t[45] = 3; REJECT(sizeof(t));          /* 3 vrings */
	fresh(); t[45] = 255; REJECT(sizeof(t));
	fresh(); t[45] = 1; REJECT(TBL);                /* rpmsg needs exactly 2 */
	fresh(); t[45] = 0; REJECT(TBL);
	fresh(); p32(t + 48 + 8, 0); REJECT(TBL);       /* vring0 num 0 */
	fresh(); p32(t + 68 + 8, 0); REJECT(TBL);       /* vring1 num 0 */
	fresh(); p32(t + 48 + 4, 0); REJECT(TBL);       /* vring0 align 0 */
	fresh(); p32(t + 68 + 4, 0); REJECT(TBL);       /* vring1 align 0 */
	/* Linux only checks nonzero: the power-of-two check is rsc_vdev_vring's. */
	fresh(); p32(t + 48 + 8, 100); ACCEPT(TBL, 20);
	/* The driver's fields are not checked: status, gfeatures, da, notifyid, pa. */
	fresh(); t[44] = 0xff; p32(t + 36, 0xffffffffu); p32(t + 48 + 16, 9); ACCEPT(TBL, 20);

	/* No VDEV at all; a VDEV with another id is not ours. */
	fresh(); p32(t + 20, RSC_TRACE); reject(TBL, -ENOENT, __LINE__);
	fresh(); p32(t + 24, 3); reject(TBL, -ENOENT, __LINE__);
	fresh(); p32(t + 4, 0); reject(TBL, -ENOENT, __LINE__);
}

/* A table with several entries, as firmware often has: carveout, trace, vdevs. */
static void test_multi(bool be)
{
	BE = be;
	memset(t, 0, sizeof(t));
	p32(t + 0, 1);
	p32(t + 4, 4);
	p32(t + 16, 32);   /* carveout at 32: type + 52 bytes -> 88 */
	p32(t + 20, 88);   /* trace at 88: type + 44 -> 136 */
	p32(t + 24, 136);  /* vdev id 3 (console), one vring: 28 + 20 = 48 -> 184 */
	p32(t + 28, 184);  /* rpmsg vdev: 68 -> 252 */
	p32(t + 32, RSC_CARVEOUT);
	p32(t + 88, RSC_TRACE);
	p32(t + 136, RSC_VDEV);
	p32(t + 140, 3);
	t[136 + 25] = 1;
	p32(t + 136 + 28 + 4, 16);
	p32(t + 136 + 28 + 8, 8);
	{
		uint8_t one[TBL];

		CHECK_EQ(rsc_table_build(one, sizeof(one), &cfg, be), TBL);
		memcpy(t + 184, one + 20, 68);
	}
	ACCEPT(252, 184);
	REJECT(251);
	/* The other vdev is validated too, as Linux does. */
	t[136 + 26] = 1;
	REJECT(252);
	t[136 + 26] = 0;
	p32(t + 136 + 28 + 8, 0);
	REJECT(252);
	p32(t + 136 + 28 + 8, 8);
	/* A vendor type or unknown type is skipped. */
	p32(t + 88, 200);
	ACCEPT(252, 184);
	/* Unaligned entry offsets are legal (fields read byte by byte). */
	memmove(t + 185, t + 184, 68);
	p32(t + 28, 185);
	ACCEPT(253, 185);
	{
		struct rsc_vdev v;
		struct rsc_vring_cfg r;

		CHECK_EQ(rsc_table_find_vdev(t, 253, be, &v), 0);
		CHECK_EQ(rsc_vdev_dfeatures(&v), 1);
		CHECK_EQ(rsc_vdev_vring(&v, 0, &r), 0);
		CHECK_EQ(r.da, 0x10040000u);
		CHECK_EQ(r.num, 256);
		rsc_vdev_set_vring_da(&v, 1, 0xA1B2C3D4u);
		CHECK_EQ(rsc_vdev_vring(&v, 1, &r), 0);
		CHECK_EQ(r.da, 0xA1B2C3D4u);
		CHECK_EQ(t[185 + 48 + (be ? 0 : 3)], 0xA1);
		rsc_vdev_set_gfeatures(&v, 0x20000001u);
		CHECK_EQ(t[185 + 16 + (be ? 0 : 3)], 0x20);
		CHECK_EQ(rsc_vdev_gfeatures(&v), 0x20000001u);
	}
	/* First rpmsg vdev wins. */
	memset(t, 0, sizeof(t));
	p32(t + 0, 1);
	p32(t + 4, 2);
	{
		uint8_t one[TBL];

		CHECK_EQ(rsc_table_build(one, sizeof(one), &cfg, be), TBL);
		memcpy(t + 24, one + 20, 68);
		memcpy(t + 92, one + 20, 68);
	}
	p32(t + 16, 92);
	p32(t + 20, 24);
	ACCEPT(160, 92);
}

int main(void)
{
	t_timeout(30);
	for (int be = 0; be < 2; be++) {
		test_build(be);
		test_parse(be);
		test_multi(be);
	}
	return t_done();
}
