/*
 * The bare-metal platform and its static arena, on the host: doorbell bits set by an
 * "interrupt" and taken by the main loop, and a virtio driver and device (two buses in one
 * process) talking through bare-metal platforms over one static block of memory, each
 * notify hook raising the other's interrupt, as two cores wired by a mailbox.
 */
#include <errno.h>
#include <stdlib.h>

#include <rpmsg/baremetal.h>
#include <rpmsg/virtio.h>

#include "platform/arena.h"
#include "testlib.h"

static void test_arena(void)
{
	static uint64_t mem[128]; /* 1 KiB */
	struct bm_arena a;
	void *p[64], *b, *big;
	int n = 0;

	bm_arena_init(&a, (uint8_t *)mem + 3, sizeof(mem) - 3); /* misaligned on purpose */
	CHECK(bm_arena_zalloc(&a, 0) == NULL);
	CHECK(bm_arena_zalloc(&a, 4096) == NULL);
	while (n < 64 && (p[n] = bm_arena_zalloc(&a, 40)) != NULL) {
		CHECK_EQ((uintptr_t)p[n] % 8, 0);
		CHECK_EQ(((uint8_t *)p[n])[39], 0);
		memset(p[n], 0xee, 40);
		n++;
	}
	CHECK(n >= 15 && n < 64); /* 48-byte blocks in about 1 KiB */
	CHECK_EQ(a.used, a.peak);
	/* A hole is reused for what fits in it, zeroed again. */
	b = p[3];
	bm_arena_free(&a, b);
	CHECK(bm_arena_zalloc(&a, 64) == NULL);
	p[3] = bm_arena_zalloc(&a, 33);
	CHECK(p[3] == b);
	CHECK_EQ(((uint8_t *)p[3])[0], 0);
	for (int i = 0; i < n; i++)
		bm_arena_free(&a, p[i]);
	CHECK_EQ(a.used, 0);
	/* Everything merged back: the whole arena in one block. */
	big = bm_arena_zalloc(&a, a.size - 8);
	CHECK(big != NULL);
	bm_arena_free(&a, big);
	bm_arena_free(&a, NULL);
}

/* ---- two cores ---- */

#define SHM_SIZE (256 * 1024)
static uint64_t shm[SHM_SIZE / 8];
static struct rpmsg_baremetal core_dev, core_drv;
static int rings[2];

static void ring_drv(void *arg, uint32_t id) { (void)arg; rings[0]++; rpmsg_baremetal_irq(&core_drv, id); }
static void ring_dev(void *arg, uint32_t id) { (void)arg; rings[1]++; rpmsg_baremetal_irq(&core_dev, id); }

static uint64_t clock_ns;
static uint64_t fake_now(void *arg) { (void)arg; return clock_ns += 1000; }

struct inbox {
	int n;
	char last[64];
	uint32_t src;
};

static int on_rx(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct inbox *in = priv;

	(void)ept;
	in->n++;
	in->src = src;
	memset(in->last, 0, sizeof(in->last));
	memcpy(in->last, data, len < sizeof(in->last) - 1 ? len : sizeof(in->last) - 1);
	return 0;
}

static int pump(struct rpmsg_bus *a, struct rpmsg_bus *b)
{
	int total = 0, n;

	do {
		n = rpmsg_bus_poll(a, 0) + rpmsg_bus_poll(b, 0);
		total += n;
	} while (n > 0);
	return total;
}

static void test_doorbells(void)
{
	struct rpmsg_baremetal_config cfg = { .shm = shm, .shm_size = SHM_SIZE, .notify = ring_dev };
	struct rpmsg_platform *p;

	CHECK_EQ(rpmsg_baremetal_init(&core_drv, &cfg, &p), 0);
	CHECK_EQ(p->ops->wait(p, 2, 0), -ETIMEDOUT);
	CHECK_EQ(p->ops->arm(p, 2), 0);
	rpmsg_baremetal_irq(&core_drv, 2);
	CHECK_EQ(p->ops->arm(p, 2), 1);  /* pending: do not sleep */
	CHECK_EQ(p->ops->arm(p, 1), 0);  /* other bells untouched */
	CHECK_EQ(p->ops->wait(p, 2, 10), 0);
	CHECK_EQ(p->ops->ack(p, 2), 0);  /* taken by the wait */
	rpmsg_baremetal_irq(&core_drv, 5);
	CHECK_EQ(p->ops->ack(p, 5), 1);
	CHECK_EQ(p->ops->wait(p, 5, 3), -ETIMEDOUT); /* fake clock: each look is 1 ms */
	CHECK_EQ(p->ops->fd(p, 0), -1);
	CHECK_EQ(p->ops->notify(p, RPMSG_PLATFORM_BELLS), -EINVAL);
	CHECK_EQ(rings[1], 0);
	CHECK_EQ(p->ops->notify(p, 1), 0);
	CHECK_EQ(rings[1], 1);
	rings[1] = 0;
	cfg.notify = NULL;
	CHECK_EQ(rpmsg_baremetal_init(&core_drv, &cfg, &p), -EINVAL);
	cfg.notify = ring_dev;
	cfg.side = 2;
	CHECK_EQ(rpmsg_baremetal_init(&core_drv, &cfg, &p), -EINVAL);
}

static void test_two_cores(void)
{
	struct rpmsg_baremetal_config dcfg = { .shm = shm, .shm_pa = 0x80000000u, .shm_size = SHM_SIZE,
					       .side = 0, .notify = ring_drv, .now_ns = fake_now };
	struct rpmsg_baremetal_config hcfg = dcfg;
	struct rpmsg_virtio_config vdev = { .role = RPMSG_VIRTIO_DEVICE, .vring_num = 16 };
	struct rpmsg_virtio_config vdrv = { .role = RPMSG_VIRTIO_DRIVER, .attach_timeout_ms = 1000 };
	struct rpmsg_channel_info fw = { .name = "fw-echo", .src = 1030, .dst = RPMSG_ADDR_ANY };
	struct rpmsg_channel_info host = { .name = "", .src = 2000, .dst = RPMSG_ADDR_ANY };
	struct rpmsg_platform *pdev, *pdrv;
	struct rpmsg_bus *bdev, *bdrv;
	struct rpmsg_link *ldev, *ldrv;
	struct rpmsg_endpoint *edev, *edrv;
	struct inbox at_dev = { 0 }, at_drv = { 0 };
	char msg[32];

	memset(shm, 0, sizeof(shm));
	hcfg.side = 1;
	hcfg.notify = ring_dev;
	CHECK_EQ(rpmsg_baremetal_init(&core_dev, &dcfg, &pdev), 0);
	CHECK_EQ(rpmsg_baremetal_init(&core_drv, &hcfg, &pdrv), 0);
	CHECK_EQ(rpmsg_bus_create(&bdev), 0);
	CHECK_EQ(rpmsg_bus_create(&bdrv), 0);
	CHECK_EQ(rpmsg_virtio_create(bdev, pdev, &vdev, &ldev), 0); /* the firmware's table */
	CHECK_EQ(rpmsg_virtio_create(bdrv, pdrv, &vdrv, &ldrv), 0); /* the host attaches */
	pump(bdev, bdrv);
	CHECK(rpmsg_link_is_up(ldev));
	CHECK(rpmsg_link_is_up(ldrv));
	CHECK_EQ(rpmsg_create_ept(ldev, &fw, on_rx, &at_dev, &edev), 0);
	CHECK_EQ(rpmsg_ept_announce(edev), 0);
	CHECK_EQ(rpmsg_create_ept(ldrv, &host, on_rx, &at_drv, &edrv), 0);
	pump(bdev, bdrv);
	CHECK_EQ(rpmsg_link_channels(ldrv, NULL, 0), 1); /* the host saw "fw-echo" */

	for (int i = 0; i < 100; i++) { /* several times round the 16-entry rings */
		snprintf(msg, sizeof(msg), "to fw %d", i);
		CHECK_EQ(rpmsg_trysendto(edrv, msg, strlen(msg), 1030), 0);
		pump(bdev, bdrv);
		CHECK_EQ(at_dev.n, i + 1);
		CHECK(!strcmp(at_dev.last, msg));
		CHECK_EQ(at_dev.src, 2000);
		snprintf(msg, sizeof(msg), "to host %d", i);
		CHECK_EQ(rpmsg_trysendto(edev, msg, strlen(msg), 2000), 0);
		pump(bdev, bdrv);
		CHECK_EQ(at_drv.n, i + 1);
		CHECK(!strcmp(at_drv.last, msg));
		CHECK_EQ(at_drv.src, 1030);
	}
	CHECK(rings[0] > 0 && rings[1] > 0); /* the mailboxes were used both ways */
	CHECK(core_dev.plat.shm.pa == 0x80000000u);

	rpmsg_destroy_ept(edrv);
	rpmsg_destroy_ept(edev);
	rpmsg_bus_destroy(bdrv);
	rpmsg_bus_destroy(bdev);
}

int main(void)
{
	t_timeout(60);
	test_arena();
	test_doorbells();
	test_two_cores();
	return t_done();
}
