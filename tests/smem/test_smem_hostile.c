/*
 * SMEM as hostile input: every header, table entry, partition header and item header
 * that a peer could have scribbled on is refused with -EPROTO (and counted), never
 * followed out of bounds or around in circles.
 */
#include <errno.h>
#include <stdlib.h>

#include "smem/smem.h"
#include "testlib.h"

#define SIZE 65536u
#define PRIV 0x5000u
#define TABLE (SIZE - 4096u)

static uint8_t region[SIZE] __attribute__((aligned(4096)));
static _Atomic uint32_t hwlock;

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void fresh(void)
{
	static const struct smem_part_cfg parts[] = {
		{ .host0 = SMEM_GLOBAL_HOST, .host1 = SMEM_GLOBAL_HOST, .size = 8192, .cacheline = 64 },
		{ .host0 = 0, .host1 = 1, .size = 16384, .cacheline = 64 },
	};
	struct smem_format_cfg cfg = { .version = 12, .parts = parts, .nparts = 2 };

	memset(region, 0, sizeof(region));
	smem_format(region, SIZE, &cfg);
}

static int attach(void)
{
	struct smem s;

	return smem_attach(&s, region, SIZE, &hwlock, 0);
}

static void test_attach(void)
{
	struct smem s;

	fresh();
	CHECK_EQ(attach(), 0);
	fresh(); put32(region + 192, 0);             CHECK_EQ(attach(), -EPROTO); /* not initialized */
	fresh(); put32(region + 204, 1);             CHECK_EQ(attach(), -EPROTO); /* reserved */
	fresh(); put32(region + 92, 13u << 16);      CHECK_EQ(attach(), -EPROTO); /* version */
	fresh(); put32(region + TABLE + 4, 2);       CHECK_EQ(attach(), -EPROTO); /* table version */
	fresh(); put32(region + TABLE + 8, 1000);    CHECK_EQ(attach(), -EPROTO); /* entries */
	fresh(); put32(region + TABLE + 8, 85);      CHECK_EQ(attach(), -EPROTO);
	fresh(); region[TABLE] = 'x';                CHECK_EQ(attach(), -EPROTO); /* v12: no global */
	/* Entry 1 (the private partition) made hostile in every field. */
	fresh(); put32(region + TABLE + 80, SIZE - 8);   CHECK_EQ(attach(), -EPROTO); /* offset: end */
	fresh(); put32(region + TABLE + 80, 0xFFFFF000); CHECK_EQ(attach(), -EPROTO);
	fresh(); put32(region + TABLE + 80, PRIV + 4);   CHECK_EQ(attach(), -EPROTO); /* misaligned */
	fresh(); put32(region + TABLE + 84, 0x80000000); CHECK_EQ(attach(), -EPROTO); /* size */
	fresh(); put32(region + TABLE + 84, 16);         CHECK_EQ(attach(), -EPROTO);
	fresh(); put32(region + TABLE + 96, 0);          CHECK_EQ(attach(), -EPROTO); /* cacheline */
	fresh(); put32(region + TABLE + 96, 48);         CHECK_EQ(attach(), -EPROTO);
	fresh(); put16(region + TABLE + 94, 30);         CHECK_EQ(attach(), -EPROTO); /* host >= 25 */
	fresh(); put16(region + TABLE + 94, 0);          CHECK_EQ(attach(), -EPROTO); /* 0 <-> 0 */
	fresh(); put16(region + TABLE + 94, 3);          CHECK_EQ(attach(), -EPROTO); /* != header */
	/* Partition header. */
	fresh(); region[PRIV] = '#';                 CHECK_EQ(attach(), -EPROTO);
	fresh(); put32(region + PRIV + 8, 8192);     CHECK_EQ(attach(), -EPROTO);
	fresh(); put32(region + PRIV + 12, 16385);   CHECK_EQ(attach(), -EPROTO);
	/* Two partitions for the same pair; two global ones. */
	fresh();
	put32(region + TABLE + 8, 3);
	memcpy(region + TABLE + 32 + 96, region + TABLE + 32 + 48, 48);
	CHECK_EQ(attach(), -EPROTO);
	fresh();
	put32(region + TABLE + 8, 3);
	memcpy(region + TABLE + 32 + 96, region + TABLE + 32, 48);
	CHECK_EQ(attach(), -EPROTO);
	/* A partition between two other hosts is ignored; an unused entry is skipped. */
	fresh(); put16(region + TABLE + 92, 2); put16(region + PRIV + 4, 2);
	CHECK_EQ(smem_attach(&s, region, SIZE, &hwlock, 0), 0);
	CHECK(!s.parts[1].valid && !s.parts[2].valid);
	fresh(); put32(region + TABLE + 84, 0);
	CHECK_EQ(smem_attach(&s, region, SIZE, &hwlock, 0), 0);
	CHECK(!s.parts[1].valid);
	/* Info block with a small item limit. */
	fresh();
	memcpy(region + TABLE + 32 + 96, "SIII", 4);
	put16(region + TABLE + 32 + 96 + 16, 20);
	CHECK_EQ(smem_attach(&s, region, SIZE, &hwlock, 0), 0);
	CHECK_EQ(s.item_limit, 20);
	CHECK_EQ(smem_alloc(&s, 1, 20, 8), -EINVAL);
	CHECK_EQ(smem_alloc(&s, 1, 19, 8), 0);
	/* Arguments. */
	CHECK_EQ(smem_attach(&s, region + 4, SIZE - 8, &hwlock, 0), -EINVAL);
	CHECK_EQ(smem_attach(&s, region, 4096, &hwlock, 0), -EINVAL);
	CHECK_EQ(smem_attach(&s, region, SIZE, NULL, 0), -EINVAL);
	CHECK_EQ(smem_attach(&s, region, SIZE, &hwlock, 25), -EINVAL);
}

/* Item headers after attach: canaries, sizes, paddings, free offsets. */
static void test_items(void)
{
	struct smem s;
	void *p;
	size_t sz;
	uint8_t *h = region + PRIV + 32;

	fresh();
	CHECK_EQ(smem_attach(&s, region, SIZE, &hwlock, 0), 0);
	CHECK_EQ(smem_alloc(&s, 1, 13, 24), 0);
	CHECK_EQ(smem_alloc(&s, 1, 14, 24), 0);

	h[0] = 0x5a; /* canary */
	CHECK_EQ(smem_get(&s, 1, 14, &p, &sz), -EPROTO);
	CHECK_EQ(smem_alloc(&s, 1, 15, 8), -EPROTO);
	CHECK_EQ(atomic_load(&s.errors), 2);
	h[0] = 0xa5;
	put32(h + 4, 0xFFFFFFF0); /* size wraps */
	CHECK_EQ(smem_get(&s, 1, 14, &p, &sz), -EPROTO);
	put32(h + 4, 16384); /* past the free offset */
	CHECK_EQ(smem_get(&s, 1, 14, &p, &sz), -EPROTO);
	put32(h + 4, 24);
	put16(h + 10, 0xFFFF); /* header padding past the end */
	CHECK_EQ(smem_get(&s, 1, 14, &p, &sz), -EPROTO);
	put16(h + 10, 0);
	put16(h + 8, 25); /* data padding larger than the data */
	CHECK_EQ(smem_get(&s, 1, 13, &p, &sz), -EPROTO);
	put16(h + 8, 0);
	CHECK_EQ(smem_get(&s, 1, 14, &p, &sz), 0);
	/* Free offsets. */
	put32(region + PRIV + 12, 16388);
	CHECK_EQ(smem_get(&s, 1, 14, &p, &sz), -EPROTO);
	CHECK_EQ(smem_free_space(&s, 1), -EPROTO);
	put32(region + PRIV + 12, 4);
	CHECK_EQ(smem_get(&s, 1, 14, &p, &sz), -EPROTO);
	put32(region + PRIV + 12, 32 + 40 + 20); /* inside the second element */
	CHECK_EQ(smem_get(&s, 1, 14, &p, &sz), -EPROTO);
	put32(region + PRIV + 12, 32 + 80);
	put32(region + PRIV + 16, 50); /* cached area below the uncached one */
	CHECK_EQ(smem_alloc(&s, 1, 15, 8), -EPROTO);
	CHECK_EQ(smem_free_space(&s, 1), -EPROTO);
	put32(region + PRIV + 16, 20000);
	CHECK_EQ(smem_get(&s, 1, 15, &p, &sz), -EPROTO);
	put32(region + PRIV + 16, 16384);
	CHECK_EQ(smem_get(&s, 1, 15, &p, &sz), -ENOENT);

	/* Cached headers. */
	CHECK_EQ(smem_alloc_cached(&s, 1, 40, 64), 0);
	CHECK_EQ(smem_alloc_cached(&s, 1, 41, 64), 0);
	CHECK_EQ(smem_get(&s, 1, 41, &p, &sz), 0);
	CHECK(p == region + PRIV + 16384 - 64 - 64 - 64 - 64);
	h = region + PRIV + 16384 - 64;
	put32(h + 4, 16000); /* data below the cached bound */
	CHECK_EQ(smem_get(&s, 1, 41, &p, &sz), -EPROTO);
	put32(h + 4, 64);
	h[1] = 0;
	CHECK_EQ(smem_get(&s, 1, 41, &p, &sz), -EPROTO);
	h[1] = 0xa5;
	CHECK_EQ(smem_get(&s, 1, 41, &p, &sz), 0);
}

/* Random scribbles over a formatted region: whatever comes back stays inside it. */
static void test_random(void)
{
	unsigned seed = 1;

	for (int round = 0; round < 2000; round++) {
		struct smem s;

		fresh();
		if (smem_attach(&s, region, SIZE, &hwlock, 0))
			continue;
		for (int i = 0; i < 6; i++)
			smem_alloc(&s, (i & 1) ? 1 : SMEM_HOST_ANY, 8 + (unsigned)i, (size_t)(rand_r(&seed) % 200));
		for (int i = 0; i < 20; i++) {
			unsigned off = (unsigned)rand_r(&seed) % 0x9000;

			region[off] = (uint8_t)rand_r(&seed);
		}
		for (unsigned item = 0; item < 20; item++) {
			void *p;
			size_t sz;

			for (int host = -1; host < 3; host++) {
				if (!smem_get(&s, host, item, &p, &sz)) {
					CHECK((uint8_t *)p >= region && (uint8_t *)p + sz <= region + SIZE);
				}
			}
		}
		smem_free_space(&s, 1);
		CHECK_EQ(atomic_load(&hwlock), 0);
	}
}

int main(void)
{
	t_timeout(60);
	test_attach();
	test_items();
	test_random();
	return t_done();
}
