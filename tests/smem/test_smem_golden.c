/*
 * SMEM: the exact bytes of a freshly formatted region (global header, partition table with
 * its info block, partition headers) and of allocated items (uncached, cached, global heap),
 * and lookups from both hosts of a private partition.
 */
#include <errno.h>
#include <stdlib.h>

#include "smem/smem.h"
#include "testlib.h"

#define SIZE 65536u

static uint8_t region[SIZE] __attribute__((aligned(4096)));
static _Atomic uint32_t hwlock;

static void test_v12(void)
{
	static const struct smem_part_cfg parts[] = {
		{ .host0 = SMEM_GLOBAL_HOST, .host1 = SMEM_GLOBAL_HOST, .size = 8192, .cacheline = 64 },
		{ .host0 = 0, .host1 = 1, .size = 16384, .cacheline = 64 },
	};
	struct smem_format_cfg cfg = { .version = 12, .parts = parts, .nparts = 2, .num_items = 512 };
	static const uint8_t hdr_ver[4] = { 0x00, 0x00, 0x0c, 0x00 };
	static const uint8_t hdr_tail[16] = {
		0x01, 0, 0, 0,          /* initialized */
		0x00, 0x90, 0, 0,       /* free_offset 0x9000 */
		0x00, 0x60, 0, 0,       /* available 0x6000 */
		0, 0, 0, 0,             /* reserved */
	};
	static const uint8_t table[32 + 2 * 48 + 20] = {
		'$', 'T', 'O', 'C', 1, 0, 0, 0, 2, 0, 0, 0, [12 ... 31] = 0,
		/* entry 0: global partition */
		0x00, 0x30, 0, 0, 0x00, 0x20, 0, 0, 0, 0, 0, 0, 0xfe, 0xff, 0xfe, 0xff,
		0x40, 0, 0, 0, [52 ... 79] = 0,
		/* entry 1: apps <-> host 1 */
		0x00, 0x50, 0, 0, 0x00, 0x40, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x01, 0x00,
		0x40, 0, 0, 0, [100 ... 127] = 0,
		/* info block */
		'S', 'I', 'I', 'I', 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x02, 0, 0,
	};
	static const uint8_t prt_global[32] = {
		'$', 'P', 'R', 'T', 0xfe, 0xff, 0xfe, 0xff, 0x00, 0x20, 0, 0, 0x20, 0, 0, 0,
		0x00, 0x20, 0, 0, [20 ... 31] = 0,
	};
	static const uint8_t prt_private_after[32] = {
		'$', 'P', 'R', 'T', 0x00, 0x00, 0x01, 0x00, 0x00, 0x40, 0, 0, 0x48, 0, 0, 0,
		0x40, 0x3f, 0, 0, [20 ... 31] = 0,
	};
	static const uint8_t item13[16] = { 0xa5, 0xa5, 13, 0, 24, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0 };
	/* cached: header at end - 64, 100 bytes rounded to the 64-byte line = 128, pad 28 */
	static const uint8_t item20[16] = { 0xa5, 0xa5, 20, 0, 128, 0, 0, 0, 28, 0, 0, 0, 0, 0, 0, 0 };
	static uint8_t zeros[SMEM_HEADER_TOTAL];
	struct smem apps, modem;
	void *p, *q;
	size_t sz;

	memset(region, 0xEE, sizeof(region));
	CHECK_EQ(smem_format(region, SIZE, &cfg), 0);
	CHECK_MEM(region, zeros, 92);
	CHECK_MEM(region + 92, hdr_ver, 4);
	CHECK_MEM(region + 96, zeros, 96);
	CHECK_MEM(region + 192, hdr_tail, 16);
	CHECK_MEM(region + 208, zeros, SMEM_ITEM_COUNT * 16); /* the TOC: empty */
	CHECK_MEM(region + SIZE - 4096, table, sizeof(table));
	CHECK_MEM(region + 0x3000, prt_global, 32);

	CHECK_EQ(smem_attach(&apps, region, SIZE, &hwlock, 0), 0);
	CHECK_EQ(smem_attach(&modem, region, SIZE, &hwlock, 1), 0);
	CHECK_EQ(apps.version, 12);
	CHECK_EQ(apps.item_limit, 512);
	CHECK(apps.parts[1].valid && apps.parts[1].offset == 0x5000);
	CHECK(modem.parts[0].valid && modem.parts[0].offset == 0x5000);
	CHECK(!apps.parts[2].valid);
	CHECK_EQ(smem_free_space(&apps, 1), 16384 - 32);
	CHECK_EQ(smem_free_space(&apps, SMEM_HOST_ANY), 8192 - 32);

	/* An uncached item in the apps <-> modem partition. */
	CHECK_EQ(smem_alloc(&modem, 0, 13, 20), 0);
	CHECK_MEM(region + 0x5000 + 32, item13, 16);
	CHECK_EQ(smem_get(&apps, 1, 13, &p, &sz), 0);
	CHECK(p == region + 0x5000 + 48);
	CHECK_EQ(sz, 20);
	CHECK_EQ(smem_alloc(&apps, 1, 13, 20), -EEXIST);
	CHECK_EQ(smem_free_space(&apps, 1), 16384 - 32 - 40);

	/* A cached item from the top. */
	CHECK_EQ(smem_alloc_cached(&modem, 0, 20, 100), 0);
	CHECK_MEM(region + 0x5000 + 16384 - 64, item20, 16);
	CHECK_MEM(region + 0x5000, prt_private_after, 32);
	CHECK_EQ(smem_get(&apps, 1, 20, &q, &sz), 0);
	CHECK(q == region + 0x5000 + 16384 - 64 - 128);
	CHECK_EQ(sz, 100);
	CHECK_EQ(smem_alloc(&apps, 1, 21, 8), 0); /* uncached list continues */
	CHECK_EQ(smem_get(&modem, 0, 21, &q, &sz), 0);
	CHECK(q == region + 0x5000 + 72 + 16);
	CHECK_EQ(smem_alloc_cached(&apps, 1, 13, 8), -EEXIST); /* exists uncached */

	/* A host without a private partition, and "any", use the global partition. */
	CHECK_EQ(smem_alloc(&apps, 2, 13, 8), 0);
	CHECK_EQ(smem_get(&apps, SMEM_HOST_ANY, 13, &p, &sz), 0);
	CHECK(p == region + 0x3000 + 48);
	CHECK_EQ(sz, 8);
	CHECK_EQ(smem_get(&apps, 2, 14, &p, &sz), -ENOENT);

	/* Refusals. */
	CHECK_EQ(smem_alloc(&apps, 1, 7, 8), -EPERM);
	CHECK_EQ(smem_alloc(&apps, 1, 512, 8), -EINVAL);
	CHECK_EQ(smem_get(&apps, 1, 512, &p, &sz), -EINVAL);
	CHECK_EQ(smem_alloc(&apps, 1, 30, 1u << 20), -ENOSPC);
	CHECK_EQ(atomic_load(&apps.errors), 0);
	CHECK_EQ(atomic_load(&hwlock), 0);
}

/* Version 11: the global heap, one TOC slot per item. */
static void test_v11(void)
{
	struct smem_format_cfg cfg = { .version = 11 };
	static const uint8_t toc16[16] = { 1, 0, 0, 0, 0x00, 0x30, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t ver[4] = { 0x00, 0x00, 0x0b, 0x00 };
	struct smem s;
	void *p;
	size_t sz;

	CHECK_EQ(smem_format(region, SIZE, &cfg), 0);
	CHECK_MEM(region + 92, ver, 4);
	CHECK_EQ(smem_attach(&s, region, SIZE, &hwlock, 0), 0);
	CHECK_EQ(s.version, 11);
	CHECK_EQ(smem_free_space(&s, 1), SIZE - 4096 - 0x3000);
	CHECK_EQ(smem_alloc(&s, 1, 16, 13), 0);
	CHECK_MEM(region + 208 + 16 * 16, toc16, 16);
	CHECK_EQ(smem_get(&s, 1, 16, &p, &sz), 0);
	CHECK(p == region + 0x3000);
	CHECK_EQ(sz, 16);
	CHECK_EQ(smem_free_space(&s, 1), SIZE - 4096 - 0x3000 - 16);
	CHECK_EQ(smem_alloc(&s, 1, 16, 13), -EEXIST);
	CHECK_EQ(smem_alloc_cached(&s, 1, 17, 8), -ENODEV);
	CHECK_EQ(smem_get(&s, 1, 17, &p, &sz), -ENOENT);
	/* Another region (aux_base): not ours to map. */
	region[208 + 16 * 16 + 12] = 0x04;
	region[208 + 16 * 16 + 13] = 0x10;
	CHECK_EQ(smem_get(&s, 1, 16, &p, &sz), -ENOENT);
	region[208 + 16 * 16 + 12] = 0;
	region[208 + 16 * 16 + 13] = 0;
	/* Offset past the region. */
	region[208 + 16 * 16 + 7] = 0x7f;
	CHECK_EQ(smem_get(&s, 1, 16, &p, &sz), -EPROTO);
	CHECK_EQ(atomic_load(&s.errors), 1);
	/* free_offset pointing past the region: allocation refused, nothing written. */
	region[196 + 3] = 0x10;
	CHECK_EQ(smem_alloc(&s, 1, 18, 8), -EPROTO);
	CHECK_EQ(region[208 + 18 * 16], 0);
}

/* The lock held by another host: allocation gives up after the hardware timeout. */
static void test_lock(void)
{
	static const struct smem_part_cfg parts[] = {
		{ .host0 = SMEM_GLOBAL_HOST, .host1 = SMEM_GLOBAL_HOST, .size = 8192 },
	};
	struct smem_format_cfg cfg = { .version = 12, .parts = parts, .nparts = 1 };
	struct smem s;

	CHECK_EQ(smem_format(region, SIZE, &cfg), 0);
	CHECK_EQ(smem_attach(&s, region, SIZE, &hwlock, 0), 0);
	CHECK_EQ(s.item_limit, 512); /* no info block */
	atomic_store(&hwlock, 3);    /* host 2 holds it */
	CHECK_EQ(smem_alloc(&s, 1, 100, 8), -ETIMEDOUT);
	atomic_store(&hwlock, 0);
	CHECK_EQ(smem_alloc(&s, 1, 100, 8), 0);
	CHECK_EQ(smem_lock(&s, 0), 0);
	CHECK_EQ(atomic_load(&hwlock), 1); /* apps' owner value: host id + 1 */
	smem_unlock(&s);
}

/* Bad format requests. */
static void test_format_args(void)
{
	struct smem_part_cfg bad_cl = { .host0 = SMEM_GLOBAL_HOST, .host1 = SMEM_GLOBAL_HOST,
					.size = 8192, .cacheline = 48 };
	struct smem_part_cfg big = { .host0 = SMEM_GLOBAL_HOST, .host1 = SMEM_GLOBAL_HOST,
				     .size = SIZE };
	struct smem_format_cfg c12 = { .version = 12 };
	struct smem_format_cfg c = { .version = 12, .parts = &bad_cl, .nparts = 1 };

	CHECK_EQ(smem_format(region, SIZE, &c12), -EINVAL); /* v12 without a global partition */
	CHECK_EQ(smem_format(region, SIZE, &c), -EINVAL);
	c.parts = &big;
	CHECK_EQ(smem_format(region, SIZE, &c), -ENOSPC);
	c.version = 10;
	CHECK_EQ(smem_format(region, SIZE, &c), -EINVAL);
	CHECK_EQ(smem_format(region + 1, SIZE - 8, &c12), -EINVAL);
	CHECK_EQ(smem_format(region, 8192, &c12), -EINVAL);
}

int main(void)
{
	t_timeout(30);
	test_v12();
	test_v11();
	test_lock();
	test_format_args();
	return t_done();
}
