/*
 * libFuzzer target: rpmsg tiny's receive and transmit paths against a main CPU that writes
 * anything anywhere it may write: the resource table (status, features, vring addresses,
 * sizes), both rings and the buffers. The shared block is an exactly-sized allocation, so
 * ASan flags any access outside it; the callback checks that what it is given lies inside
 * the block, clear of the table and the rings, and is no longer than the buffer.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -Isrc \
 *         tests/fuzz/fuzz_tiny_rx.c src/tiny/tiny.c src/virtio/vring.c -o /tmp/fz
 */
#include <stdlib.h>
#include <string.h>

#include <rpmsg/tiny.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NEED(c)                                                                                    \
	do {                                                                                       \
		if (!(c))                                                                          \
			__builtin_trap();                                                          \
	} while (0)

#define SHM (16 * 1024)
#define PA 0x10000000u
#define BUFS 12288u /* rings at 4096 and 8192 (num 8, align 16), buffers from here */

static uint8_t *shm;
static unsigned delivered;

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

static void notify(void *arg, uint32_t id)
{
	(void)arg;
	(void)id;
}

static void cb(struct rpmsg_tiny_ept *ept, const void *d, size_t len, uint32_t src, void *priv)
{
	const uint8_t *p = d;
	volatile uint8_t sum = 0;

	(void)ept, (void)src, (void)priv;
	/* Past the table (88 bytes): the rings may be anywhere the table says, so only the
	 * block's bounds are certain here; ASan covers the rest. */
	NEED(p >= shm + sizeof(struct rpmsg_tiny_rsc_table) && p + len <= shm + SHM);
	NEED(len <= 0xFFFF);
	for (size_t i = 0; i < len; i++)
		sum += p[i];
	(void)sum;
	delivered++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	struct rpmsg_tiny dev;
	struct rpmsg_tiny_ept e[2];
	struct rpmsg_tiny_rsc_table *t;
	struct rpmsg_tiny_config cfg;
	bool be = size && (data[0] & 0x80);
	uint8_t msg[600];

	shm = calloc(1, SHM);
	if (!shm)
		return 0;
	t = (struct rpmsg_tiny_rsc_table *)(void *)shm;
	rpmsg_tiny_table_init(t, RPMSG_TINY_F_NS | (take8(&in) & 1 ? 1u << 29 : 0), 8, 16,
			      PA + 4096, PA + 8192, be);
	cfg = (struct rpmsg_tiny_config){ .table = t, .shm = shm, .shm_pa = PA, .shm_size = SHM,
					  .big_endian = be, .notify = notify };
	NEED(rpmsg_tiny_init(&dev, &cfg) == 0);
	NEED(rpmsg_tiny_ept_create(&dev, &e[0], 1024, cb, NULL) == 0);
	NEED(rpmsg_tiny_ept_create(&dev, &e[1], RPMSG_TINY_ADDR_ANY, cb, NULL) == 0);
	rpmsg_tiny_announce(&e[0], "fuzz");
	t->gfeatures = t->dfeatures;
	t->status = 7;
	memset(msg, 0x3c, sizeof(msg));

	for (unsigned step = 0; step < 256 && in.n; step++) {
		switch (take8(&in) & 7) {
		case 0: case 1: { /* a ring or buffer field */
			unsigned off = 4096 + take16(&in) % (SHM - 4096 - 2);

			off &= ~1u;
			shm[off] = (uint8_t)take8(&in);
			shm[off + 1] = (uint8_t)take8(&in);
			break;
		}
		case 2: { /* a descriptor pointing at a buffer (a plausible posting) */
			unsigned ring = take8(&in) & 1, d = take8(&in) & 7;
			uint8_t *p = shm + 4096 * (1 + ring) + 16 * d;
			uint32_t addr = PA + BUFS + 512 * (take8(&in) & 7);

			memcpy(p, &addr, 4);
			memset(p + 4, 0, 4);
			{
				uint32_t len = take16(&in) & 0x3ff;

				memcpy(p + 8, &len, 4);
			}
			break;
		}
		case 3: { /* a table word */
			unsigned w = take8(&in) % (sizeof(*t) / 4);

			((uint32_t *)(void *)t)[w] = take32(&in);
			break;
		}
		case 4:
			t->status = (uint8_t)take8(&in);
			break;
		case 5:
			rpmsg_tiny_poll(&dev);
			break;
		case 6:
			rpmsg_tiny_sendto(&e[take8(&in) & 1], take16(&in), msg, take16(&in) % sizeof(msg));
			break;
		case 7:
			(void)rpmsg_tiny_is_up(&dev);
			break;
		}
	}
	rpmsg_tiny_poll(&dev);
	rpmsg_tiny_ept_destroy(&e[1]);
	rpmsg_tiny_ept_destroy(&e[0]);
	free(shm);
	return 0;
}
