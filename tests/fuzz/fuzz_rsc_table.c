/*
 * libFuzzer target: hostile resource tables for the parser, in both byte orders, in an
 * exactly-sized copy (ASan flags any read or write outside it). An accepted table must yield
 * an entry wholly inside the table, and every accessor must stay inside that entry. A table
 * built from fuzzed parameters must parse back to the same values. Then the table as the
 * driver (main CPU) reads it when it attaches: the input is the first bytes of a shared
 * block that rpmsg_virtio_create (driver role) validates, places its rings and buffer pool
 * in, and later tears down; any access outside the block is a finding.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -Isrc \
 *         tests/fuzz/fuzz_rsc_table.c src/[a-z]*[a-z]/[a-z]*.c -lpthread -o /tmp/fzr && \
 *         /tmp/fzr tests/fuzz/corpus/fuzz_rsc_table
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include <rpmsg/platform.h>
#include <rpmsg/rpmsg.h>
#include <rpmsg/virtio.h>

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

/* ---- the driver attaching to a table (platform over plain memory, no doorbells) ---- */

static int m_notify(struct rpmsg_platform *p, uint32_t id) { (void)p; (void)id; return 0; }
static int m_wait(struct rpmsg_platform *p, uint32_t id, int t) { (void)p; (void)id; (void)t; return -ETIMEDOUT; }
static int m_arm(struct rpmsg_platform *p, uint32_t id) { (void)p; (void)id; return 1; }
static int m_ack(struct rpmsg_platform *p, uint32_t id) { (void)p; (void)id; return 0; }
static int m_fd(struct rpmsg_platform *p, uint32_t id) { (void)p; (void)id; return -1; }
static uint64_t m_now(struct rpmsg_platform *p)
{
	struct timespec ts;

	(void)p;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
static void m_destroy(struct rpmsg_platform *p) { (void)p; }
static const struct rpmsg_platform_ops mem_ops = {
	.notify = m_notify, .wait = m_wait, .arm = m_arm, .ack = m_ack, .fd = m_fd,
	.now_ns = m_now, .destroy = m_destroy,
};

#define ATTACH_SHM (64 * 1024)
static struct rpmsg_bus *bus;

static void attach(const uint8_t *data, size_t size, bool be)
{
	uint8_t *shm = aligned_alloc(4096, ATTACH_SHM);
	struct rpmsg_platform p = { .ops = &mem_ops, .shm = { shm, 0, ATTACH_SHM }, .side = 1 };
	struct rpmsg_virtio_config c = { .role = RPMSG_VIRTIO_DRIVER, .big_endian = be,
					 .attach_timeout_ms = -1 };
	struct rpmsg_link *link;

	NEED(shm);
	if (!bus)
		NEED(!rpmsg_bus_create(&bus));
	memset(shm, 0, ATTACH_SHM);
	memcpy(shm, data, size < 4096 ? size : 4096);
	if (size > 4096)
		c.num_bufs = data[4096] & 0x3e; /* else the default pool */
	if (!rpmsg_virtio_create(bus, &p, &c, &link)) {
		/* Accepted: rings and pool are inside the block; a pass and a teardown. */
		NEED(rpmsg_link_is_up(link));
		rpmsg_bus_poll(bus, 0);
		rpmsg_link_destroy(link);
	}
	free(shm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	attach(data, size, false);
	attach(data, size, true);
	parse(data, size, false);
	parse(data, size, true);
	build(data, size, false);
	build(data, size, true);
	return 0;
}
