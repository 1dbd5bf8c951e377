/*
 * libFuzzer target: hostile resource tables for the parser, in both byte orders, in an
 * exactly-sized copy (ASan flags any read or write outside it). An accepted table must yield
 * an entry wholly inside the table, and every accessor must stay inside that entry. A table
 * built from fuzzed parameters must parse back to the same values.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -Isrc \
 *         tests/fuzz/fuzz_rsc_table.c src/virtio/rsc_table.c -o /tmp/fzr && /tmp/fzr -max_total_time=20
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "virtio/rsc_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NEED(c)                                                                                    \
	do {                                                                                       \
		if (!(c))                                                                          \
			__builtin_trap();                                                          \
	} while (0)

static void parse(const uint8_t *data, size_t size, bool be)
{
	uint8_t *t = malloc(size ? size : 1);
	struct rsc_vdev v;
	struct rsc_vring_cfg r;
	int ret;

	NEED(t);
	memcpy(t, data, size);
	ret = rsc_table_find_vdev(t, size, be, &v);
	NEED(ret == 0 || ret == -EINVAL || ret == -ENOENT);
	NEED(!memcmp(t, data, size)); /* the parser writes nothing */
	if (!ret) {
		NEED(v.entry >= t + 16 && v.entry_size >= 68);
		NEED((size_t)(v.entry - t) <= size && v.entry_size <= size - (size_t)(v.entry - t));
		NEED(v.big_endian == be);
		NEED(rsc_vdev_id(&v) == VIRTIO_ID_RPMSG);
		(void)rsc_vdev_notifyid(&v);
		(void)rsc_vdev_status(&v);
		(void)rsc_vdev_dfeatures(&v);
		(void)rsc_vdev_gfeatures(&v);
		for (unsigned i = 0; i < 3; i++) {
			ret = rsc_vdev_vring(&v, i, &r);
			NEED(ret == 0 || ret == -EINVAL);
			NEED(ret || (r.num && !(r.num & (r.num - 1)) && r.num <= 32768 && r.align >= 4 &&
				     !(r.align & (r.align - 1))));
			rsc_vdev_set_vring_da(&v, i, 0x12345678u);
			rsc_vdev_set_vring_notifyid(&v, i, i);
			if (i < 2) {
				r.da = 0;
				(void)rsc_vdev_vring(&v, i, &r);
				NEED(r.da == 0x12345678u);
			}
		}
		rsc_vdev_set_gfeatures(&v, 0xA5A5A5A5u);
		NEED(rsc_vdev_gfeatures(&v) == 0xA5A5A5A5u);
		rsc_vdev_set_status(&v, 7);
		NEED(rsc_vdev_status(&v) == 7);
		/* (Entries may legally overlap other parts of the table, so after these writes
		 * the table need not parse the same way again; it must still parse safely.) */
		ret = rsc_table_find_vdev(t, size, be, &v);
		NEED(ret == 0 || ret == -EINVAL || ret == -ENOENT);
	}
	free(t);
}

/* Build from fuzzed parameters: either a clean error, or a table that parses back. */
static void build(const uint8_t *data, size_t size, bool be)
{
	struct rsc_vdev_cfg c;
	struct rsc_vdev v;
	struct rsc_vring_cfg r;
	size_t bufsize;
	uint8_t *buf;
	int n;

	if (size < sizeof(c) + 2)
		return;
	memcpy(&c, data, sizeof(c));
	c.config_len &= 0x3ff;
	bufsize = (size_t)data[sizeof(c)] << 2 | (data[sizeof(c) + 1] & 3);
	buf = malloc(bufsize ? bufsize : 1);
	NEED(buf);
	n = rsc_table_build(buf, bufsize, &c, be);
	if (n >= 0) {
		NEED((size_t)n == 88 + c.config_len && (size_t)n <= bufsize);
		NEED(rsc_table_find_vdev(buf, (size_t)n, be, &v) == 0);
		NEED(rsc_vdev_notifyid(&v) == c.notifyid && rsc_vdev_dfeatures(&v) == c.dfeatures);
		NEED(rsc_vdev_gfeatures(&v) == 0 && rsc_vdev_status(&v) == 0);
		for (unsigned i = 0; i < 2; i++) {
			NEED(rsc_vdev_vring(&v, i, &r) == 0);
			NEED(!memcmp(&r, &c.vring[i], sizeof(r)));
		}
		NEED(rsc_table_find_vdev(buf, (size_t)n - 1, be, &v) == -EINVAL);
	} else {
		NEED(n == -EINVAL || n == -ENOSPC);
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse(data, size, false);
	parse(data, size, true);
	build(data, size, false);
	build(data, size, true);
	return 0;
}
