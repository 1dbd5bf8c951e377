/*
 * Test harness for hostile-peer tests: two virtio pairs (driver and device in one process)
 * over plain heap memory, so that AddressSanitizer flags any access outside a pair's shared
 * block. The driver ends of both pairs live on one bus (BD), the device ends on another
 * (BV): pair H is the one a test corrupts, pair G must keep serving throughout.
 *
 * The test plays the hostile peer by writing the shared memory directly, exactly where the
 * peer would write (ring indices and entries, descriptors, message headers, the resource
 * table, the status byte), then polls one side or both and checks what that side did.
 * Layout (ring size 8, align 16, little-endian): table at 0, vring0 at 4096, vring1 at 8192
 * (unless a test moves them), buffer pool after them.
 */
#ifndef RPMSG_TEST_HOSTILE_H
#define RPMSG_TEST_HOSTILE_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rpmsg/platform.h>
#include <rpmsg/rpmsg.h>
#include <rpmsg/virtio.h>

#include "testlib.h"
#include "virtio/rsc_table.h"
#include "virtio/virtio_diag.h"
#include "virtio/vring.h"

#define H_SHM (64 * 1024)
#define H_NUM 8
#define H_ALIGN 16
/* Offsets inside a ring of H_NUM entries, align H_ALIGN. */
#define R_DESC(i) (16u * (i))
#define R_AVAIL_FLAGS (16u * H_NUM)
#define R_AVAIL_IDX (16u * H_NUM + 2)
#define R_AVAIL_RING(s) (16u * H_NUM + 4 + 2u * (s))
#define R_USED ((unsigned)VRING_USED_OFF(H_NUM, H_ALIGN))
#define R_USED_IDX (R_USED + 2)
#define R_USED_ELEM(s) (R_USED + 4 + 8u * (s))
/* The resource table our device writes: one VDEV entry at 20. */
#define T_ENTRY 20u
#define T_STATUS (T_ENTRY + 24)
#define T_VRING(i) (T_ENTRY + 28 + 20u * (i))

/* ---- a platform over plain memory: no doorbells (tests poll with timeout 0) ---- */

static int hm_notify(struct rpmsg_platform *p, uint32_t id) { (void)p; (void)id; return 0; }
static int hm_wait(struct rpmsg_platform *p, uint32_t id, int t) { (void)p; (void)id; (void)t; return -ETIMEDOUT; }
static int hm_arm(struct rpmsg_platform *p, uint32_t id) { (void)p; (void)id; return 1; }
static int hm_ack(struct rpmsg_platform *p, uint32_t id) { (void)p; (void)id; return 0; }
static int hm_fd(struct rpmsg_platform *p, uint32_t id) { (void)p; (void)id; return -1; }
static uint64_t hm_now(struct rpmsg_platform *p)
{
	struct timespec ts;

	(void)p;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
static void hm_destroy(struct rpmsg_platform *p) { (void)p; }

static const struct rpmsg_platform_ops hm_ops = {
	.notify = hm_notify, .wait = hm_wait, .arm = hm_arm, .ack = hm_ack, .fd = hm_fd,
	.now_ns = hm_now, .destroy = hm_destroy,
};

/* ---- pairs ---- */

struct counter {
	int n;
	size_t last_len;
	uint32_t last_src;
};

struct hpair {
	uint8_t *shm;
	struct rpmsg_platform pd, pv;
	struct rpmsg_link *ld, *lv;
	struct rpmsg_endpoint *ed, *ev; /* address 1024 on each side */
	struct counter cd, cv;          /* received by the driver / by the device */
};

static struct rpmsg_bus *BD, *BV;
static struct hpair H, G;
static struct rpmsg_virtio_config h_dcfg, h_vcfg;
static int probes, removes;
static bool hold_next;   /* H's device callback keeps the next buffer (zero copy) */
static void *held_data;

static int h_rx(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct counter *c = priv;
	volatile uint8_t sum = 0;

	for (size_t i = 0; i < len; i++) /* touch every byte the transport says is there */
		sum += ((uint8_t *)data)[i];
	(void)sum;
	c->n++;
	c->last_len = len;
	c->last_src = src;
	if (hold_next && c == &H.cv && !rpmsg_hold_rx_buffer(ept, data)) {
		held_data = data;
		hold_next = false;
	}
	return 0;
}

static int h_probe(struct rpmsg_channel *ch) { (void)ch; probes++; return 0; }
static void h_remove(struct rpmsg_channel *ch) { (void)ch; removes++; }
static const char *const h_ids[] = { "hsvc", NULL };
static const struct rpmsg_driver h_drv = { .name = "h", .id_table = h_ids, .probe = h_probe,
					   .remove = h_remove, .callback = h_rx };

static int pump_n(int rounds, bool dev, bool drv)
{
	int total = 0;

	for (int i = 0; i < rounds; i++) {
		int n = (dev ? rpmsg_bus_poll(BV, 0) : 0) + (drv ? rpmsg_bus_poll(BD, 0) : 0);

		total += n;
		if (n == 0)
			break;
	}
	return total;
}
static inline void pump(void) { pump_n(50, true, true); }
static inline void pump_dev(void) { pump_n(50, true, false); }
static inline void pump_drv(void) { pump_n(50, false, true); }

static int dev_start(struct hpair *p, bool announce)
{
	struct rpmsg_channel_info vi = { .name = "hsvc", .src = 1024, .dst = 1024 };
	int ret;

	p->pv = (struct rpmsg_platform){ .ops = &hm_ops, .shm = { p->shm, 0, H_SHM }, .side = 0 };
	ret = rpmsg_virtio_create(BV, &p->pv, &h_vcfg, &p->lv);
	if (ret)
		return ret;
	ret = rpmsg_create_ept(p->lv, &vi, h_rx, &p->cv, &p->ev);
	if (ret)
		return ret;
	pump(); /* the driver sees the fresh table and negotiates; we come up */
	if (announce) {
		ret = rpmsg_ept_announce(p->ev);
		pump();
	}
	return ret;
}

static int pair_open(struct hpair *p, bool announce)
{
	struct rpmsg_channel_info di = { .name = "", .src = 1024, .dst = 1024 };
	int ret;

	memset(p, 0, sizeof(*p));
	p->shm = aligned_alloc(4096, H_SHM);
	if (!p->shm)
		return -ENOMEM;
	memset(p->shm, 0, H_SHM);
	p->pd = (struct rpmsg_platform){ .ops = &hm_ops, .shm = { p->shm, 0, H_SHM }, .side = 1 };
	p->pv = (struct rpmsg_platform){ .ops = &hm_ops, .shm = { p->shm, 0, H_SHM }, .side = 0 };
	ret = rpmsg_virtio_create(BV, &p->pv, &h_vcfg, &p->lv);
	if (ret)
		return ret;
	ret = rpmsg_virtio_create(BD, &p->pd, &h_dcfg, &p->ld);
	if (ret)
		return ret;
	pump();
	if ((ret = rpmsg_create_ept(p->ld, &di, h_rx, &p->cd, &p->ed)))
		return ret;
	{
		struct rpmsg_channel_info vi = { .name = "hsvc", .src = 1024, .dst = 1024 };

		if ((ret = rpmsg_create_ept(p->lv, &vi, h_rx, &p->cv, &p->ev)))
			return ret;
	}
	if (announce && (ret = rpmsg_ept_announce(p->ev)))
		return ret;
	pump();
	return 0;
}

/* One message each way on a pair; true if both arrived intact. */
static bool works(struct hpair *p)
{
	int nd = p->cd.n, nv = p->cv.n;
	uint8_t msg[64];

	memset(msg, 0xa5, sizeof(msg));
	if (!rpmsg_link_is_up(p->ld) || !rpmsg_link_is_up(p->lv))
		return false;
	if (rpmsg_trysendto(p->ed, msg, 33, 1024) || rpmsg_trysendto(p->ev, msg, 17, 1024))
		return false;
	pump();
	return p->cd.n == nd + 1 && p->cd.last_len == 17 && p->cv.n == nv + 1 && p->cv.last_len == 33;
}

static void h_setup(void)
{
	memset(&h_dcfg, 0, sizeof(h_dcfg));
	memset(&h_vcfg, 0, sizeof(h_vcfg));
	h_dcfg.role = RPMSG_VIRTIO_DRIVER;
	h_dcfg.num_bufs = H_NUM; /* 4 RX + 4 TX: half of the ring ids are never in flight */
	h_dcfg.attach_timeout_ms = -1;
	h_vcfg.role = RPMSG_VIRTIO_DEVICE;
	h_vcfg.vring_num = H_NUM;
	h_vcfg.vring_align = H_ALIGN;
	probes = removes = 0;
	hold_next = false;
	held_data = NULL;
	CHECK_EQ(rpmsg_bus_create(&BD), 0);
	CHECK_EQ(rpmsg_bus_create(&BV), 0);
	CHECK_EQ(rpmsg_register_driver(BD, &h_drv), 0);
	CHECK_EQ(pair_open(&G, false), 0);
	CHECK_EQ(pair_open(&H, true), 0);
	CHECK_EQ(probes, 1); /* the driver side bound H's announced "hsvc" */
	CHECK(works(&H));
	CHECK(works(&G));
}

static void h_teardown(void)
{
	/* The other pair kept serving through whatever happened to H. */
	CHECK(works(&G));
	CHECK(works(&G));
	rpmsg_bus_destroy(BD);
	rpmsg_bus_destroy(BV);
	free(H.shm);
	free(G.shm);
	BD = BV = NULL;
}

/* Kill H's device (no goodbye: its link object just goes) and start a fresh one, which
 * writes a fresh table over the same memory, as a restarted remote does. */
static void dev_kill(void)
{
	rpmsg_link_destroy(H.lv);
	H.lv = NULL;
	H.ev = NULL;
}

static int dev_restart(void)
{
	int ret;

	if (H.lv)
		dev_kill();
	ret = dev_start(&H, true);
	pump();
	return ret;
}

/* ---- raw access to H's shared memory, as the peer writes it (little-endian) ---- */

static inline void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline uint16_t rd16(uint32_t off) { return (uint16_t)(H.shm[off] | H.shm[off + 1] << 8); }
static inline uint32_t rd32(uint32_t off) { return rd16(off) | (uint32_t)rd16(off + 2) << 16; }
static inline void wr16(uint32_t off, uint16_t v) { H.shm[off] = (uint8_t)v; H.shm[off + 1] = (uint8_t)(v >> 8); }
static inline void wr32(uint32_t off, uint32_t v) { wr16(off, (uint16_t)v); wr16(off + 2, (uint16_t)(v >> 16)); }

static uint32_t ring_base(unsigned q)
{
	return rd32(T_VRING(q));
}

static inline void wr8(uint32_t off, uint8_t v) { H.shm[off] = v; }

static struct vio_diag diag(struct rpmsg_link *l)
{
	struct vio_diag d = { 0 };

	CHECK_EQ(vio_get_diag(l, &d), 0);
	return d;
}

static uint64_t rx_bad(struct rpmsg_link *l)
{
	struct rpmsg_virtio_stats s = { 0 };

	CHECK_EQ(rpmsg_virtio_get_stats(l, &s), 0);
	return s.rx_bad;
}

#define RUN(fn)                                                                                    \
	do {                                                                                       \
		int before = t_failures;                                                           \
		h_setup();                                                                         \
		fn();                                                                              \
		h_teardown();                                                                      \
		printf("%-40s %s\n", #fn, t_failures == before ? "ok" : "FAILED");                 \
		ncases++;                                                                          \
	} while (0)

#endif
