/*
 * Test rig for rpmsg tiny: the tiny remote and the library's own virtio driver (main CPU
 * role) in one process, over one block of heap memory (so AddressSanitizer sees any access
 * outside it) with no doorbells: both sides are polled. Layout: the tiny table at 0, vring0
 * at 4096, vring1 at 8192, the driver's buffers after them; the main CPU's bus address of
 * the block is RIG_PA, so every descriptor address is translated.
 */
#ifndef RPMSG_TEST_TINY_RIG_H
#define RPMSG_TEST_TINY_RIG_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rpmsg/platform.h>
#include <rpmsg/rpmsg.h>
#include <rpmsg/tiny.h>
#include <rpmsg/virtio.h>

#include "testlib.h"
#include "virtio/vring.h"

#define RIG_SHM (64 * 1024)
#define RIG_PA 0x80000000ull
#define RIG_ALIGN 16u
#define RIG_VR(i) (4096u * (1u + (i)))

static int rm_notify(struct rpmsg_platform *p, uint32_t id) { (void)p; (void)id; return 0; }
static int rm_wait(struct rpmsg_platform *p, uint32_t id, int t) { (void)p; (void)id; (void)t; return -ETIMEDOUT; }
static int rm_arm(struct rpmsg_platform *p, uint32_t id) { (void)p; (void)id; return 1; }
static int rm_ack(struct rpmsg_platform *p, uint32_t id) { (void)p; (void)id; return 0; }
static int rm_fd(struct rpmsg_platform *p, uint32_t id) { (void)p; (void)id; return -1; }
static uint64_t rm_now(struct rpmsg_platform *p)
{
	struct timespec ts;

	(void)p;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
static void rm_destroy(struct rpmsg_platform *p) { (void)p; }
static const struct rpmsg_platform_ops rm_ops = {
	.notify = rm_notify, .wait = rm_wait, .arm = rm_arm, .ack = rm_ack, .fd = rm_fd,
	.now_ns = rm_now, .destroy = rm_destroy,
};

struct rig {
	uint8_t *shm;
	struct rpmsg_tiny_rsc_table *table;
	struct rpmsg_tiny dev;
	bool be;
	uint32_t features;
	unsigned num;
	int notified[2];
	struct rpmsg_platform pd;
	struct rpmsg_bus *bd;
	struct rpmsg_link *ld;
};

static void rig_notify(void *arg, uint32_t id)
{
	struct rig *r = arg;

	if (id < 2)
		r->notified[id]++;
}

/* The tiny side: table written, device attached, not up yet. */
static inline void rig_tiny(struct rig *r, bool be, uint32_t features, unsigned num)
{
	struct rpmsg_tiny_config cfg;

	memset(r, 0, sizeof(*r));
	r->shm = aligned_alloc(4096, RIG_SHM);
	memset(r->shm, 0, RIG_SHM);
	r->table = (struct rpmsg_tiny_rsc_table *)(void *)r->shm;
	r->be = be;
	r->features = features;
	r->num = num;
	rpmsg_tiny_table_init(r->table, features, num, RIG_ALIGN, (uint32_t)(RIG_PA + RIG_VR(0)),
			      (uint32_t)(RIG_PA + RIG_VR(1)), be);
	cfg = (struct rpmsg_tiny_config){ .table = r->table, .shm = r->shm, .shm_pa = RIG_PA,
					  .shm_size = RIG_SHM, .big_endian = be,
					  .notify = rig_notify, .notify_arg = r };
	CHECK_EQ(rpmsg_tiny_init(&r->dev, &cfg), 0);
	CHECK(!rpmsg_tiny_is_up(&r->dev));
}

/* The main CPU: the library's virtio driver over the same memory (sets DRIVER_OK). */
static inline int rig_driver(struct rig *r, const struct rpmsg_driver *drv)
{
	struct rpmsg_virtio_config d = { .role = RPMSG_VIRTIO_DRIVER, .features = r->features,
					 .big_endian = r->be, .attach_timeout_ms = -1 };

	r->pd = (struct rpmsg_platform){ .ops = &rm_ops, .shm = { r->shm, RIG_PA, RIG_SHM }, .side = 1 };
	if (!r->bd) {
		CHECK_EQ(rpmsg_bus_create(&r->bd), 0);
		if (drv)
			CHECK_EQ(rpmsg_register_driver(r->bd, drv), 0);
	}
	return rpmsg_virtio_create(r->bd, &r->pd, &d, &r->ld);
}

/* Poll both sides until neither has anything to do. */
static inline int rig_pump(struct rig *r)
{
	int total = 0;

	for (int i = 0; i < 100; i++) {
		int a = rpmsg_tiny_poll(&r->dev), b = rpmsg_bus_poll(r->bd, 0);

		if (a < 0)
			return a;
		total += a + b;
		if (!a && !b)
			break;
	}
	return total;
}

static inline void rig_close(struct rig *r)
{
	if (r->bd)
		rpmsg_bus_destroy(r->bd);
	free(r->shm);
	r->bd = NULL;
	r->shm = NULL;
}

/* Ring parts of vring i (num entries, align RIG_ALIGN). */
static inline uint8_t *rig_desc(struct rig *r, unsigned i, unsigned d) { return r->shm + RIG_VR(i) + 16u * d; }
static inline uint8_t *rig_avail(struct rig *r, unsigned i) { return r->shm + RIG_VR(i) + 16u * r->num; }
static inline uint8_t *rig_used(struct rig *r, unsigned i) { return r->shm + RIG_VR(i) + VRING_USED_OFF(r->num, RIG_ALIGN); }

static inline uint32_t le_get(const uint8_t *p, unsigned n)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static inline void le_put(uint8_t *p, unsigned n, uint32_t v)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The head descriptor of the last buffer the driver made available on vring i (LE). */
static inline unsigned rig_last_head(struct rig *r, unsigned i)
{
	uint16_t idx = (uint16_t)le_get(rig_avail(r, i) + 2, 2);

	return le_get(rig_avail(r, i) + 4 + 2u * ((idx - 1u) & (r->num - 1)), 2);
}

#endif
