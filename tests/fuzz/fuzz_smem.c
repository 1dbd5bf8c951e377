/*
 * libFuzzer: the SMEM reader on hostile memory. A region is formatted (version 11 or 12,
 * with private partitions), then the input patches bytes anywhere in it, interleaved with
 * attaches, lookups and allocations from both hosts of a partition. Every pointer handed
 * out must lie inside the region; any out-of-bounds access or hang is a finding.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "smem/smem.h"

#define SIZE (64 * 1024)

static uint8_t region[SIZE] __attribute__((aligned(4096)));
static _Atomic uint32_t hwlock;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct smem_part_cfg parts[] = {
		{ .host0 = SMEM_GLOBAL_HOST, .host1 = SMEM_GLOBAL_HOST, .size = 8192, .cacheline = 64 },
		{ .host0 = 0, .host1 = 1, .size = 16384, .cacheline = 128 },
		{ .host0 = 2, .host1 = 0, .size = 4096, .cacheline = 32 },
	};
	struct smem_format_cfg cfg = { .version = 12, .parts = parts, .nparts = 3, .num_items = 600 };
	struct smem s[2];
	bool up[2] = { false, false };

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		cfg.version = 11;
		cfg.nparts = 0;
	}
	if (data[0] & 2)
		cfg.num_items = 0;
	data++;
	size--;
	atomic_store(&hwlock, 0);
	if (smem_format(region, SIZE, &cfg))
		abort();
	up[0] = !smem_attach(&s[0], region, SIZE, &hwlock, 0);
	up[1] = !smem_attach(&s[1], region, SIZE, &hwlock, 1);
	if (!up[0] || !up[1])
		abort(); /* a fresh region must be accepted */

	while (size >= 4) {
		uint8_t op = data[0];
		unsigned off = (unsigned)(data[1] | data[2] << 8) % SIZE;
		unsigned arg = data[3];
		int who = (op >> 4) & 1, host = who ? 0 : (int)(arg % 4) - 1;

		data += 4;
		size -= 4;
		switch (op % 6) {
		case 0: { /* the peer writes bytes (low offsets and the table are the good places) */
			size_t len = arg % 16;

			if (op & 0x80)
				off = SIZE - 4096 + off % 4096;
			if (len > size)
				len = size;
			if (len > SIZE - off)
				len = SIZE - off;
			memcpy(region + off, data, len);
			data += len;
			size -= len;
			break;
		}
		case 1:
			up[who] = !smem_attach(&s[who], region, SIZE, &hwlock, (uint16_t)who);
			break;
		case 2:
		case 3: {
			void *p;
			size_t sz;

			if (up[who] && !smem_get(&s[who], host, off % 700, &p, &sz)) {
				if ((uint8_t *)p < region || sz > SIZE ||
				    (uint8_t *)p + sz > region + SIZE)
					abort();
				memset(p, 0x33, sz);
			}
			break;
		}
		case 4:
			if (up[who]) {
				if (op & 0x40)
					smem_alloc_cached(&s[who], host, off % 700, arg * 4);
				else
					smem_alloc(&s[who], host, off % 700, arg * 4);
			}
			break;
		case 5:
			if (up[who])
				smem_free_space(&s[who], host);
			break;
		}
		if (atomic_load(&hwlock))
			abort(); /* never left held */
	}
	return 0;
}
