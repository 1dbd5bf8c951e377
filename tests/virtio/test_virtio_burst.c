/*
 * rpmsg_trysend_burst over virtio, both roles: a burst reaches the peer whole and in order
 * behind one ring publication (one doorbell where n sends ring n times), stops where the
 * buffers run out or a message is refused, and reports how many went.
 */
#include <string.h>

#include "testlib.h"
#include "vpair.h"

struct rec {
	int n;
	uint32_t last;
	int order_bad, content_bad;
};

static int rx_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct rec *r = priv;
	uint32_t seq;

	(void)ept, (void)src;
	if (len < 4) {
		r->content_bad++;
		return 0;
	}
	memcpy(&seq, data, 4);
	for (size_t i = 4; i < len; i++)
		if (((uint8_t *)data)[i] != (uint8_t)(seq + i))
			r->content_bad++;
	if (r->n && seq != r->last + 1)
		r->order_bad++;
	r->last = seq;
	r->n++;
	return 0;
}

static uint8_t store[16][64];
static uint32_t next_seq[2];

/* n messages of `len` bytes, numbered on from the side's last one. */
static struct rpmsg_msg *make(struct rpmsg_msg *m, int side, int n, size_t len)
{
	for (int i = 0; i < n; i++) {
		uint32_t seq = next_seq[side] + (uint32_t)i;

		memcpy(store[i], &seq, 4);
		for (size_t k = 4; k < len; k++)
			store[i][k] = (uint8_t)(seq + k);
		m[i].data = store[i];
		m[i].len = len;
	}
	return m;
}

static uint64_t notifies(struct rpmsg_link *l)
{
	struct rpmsg_virtio_stats s;

	return rpmsg_virtio_get_stats(l, &s) ? 0 : s.notifies;
}

int main(void)
{
	/* 8 vring entries: the driver has 8 RX and 8 TX buffers. */
	struct rpmsg_virtio_config cfg = { .vring_num = 8, .vring_align = 16 };
	struct rpmsg_channel_info di = { .name = "d", .src = 1024, .dst = 1024 };
	struct rpmsg_channel_info vi = { .name = "v", .src = 1024, .dst = 1024 };
	struct rpmsg_endpoint *de, *ve;
	struct rec at_dev = { 0 }, at_drv = { 0 };
	struct rpmsg_msg m[16];
	uint8_t big[600] = { 0 };
	uint64_t before;
	struct vpair p;

	t_timeout(60);
	CHECK_EQ(vpair_open(&p, "burst", &cfg, &cfg, 64 * 1024), 0);
	CHECK_EQ(rpmsg_create_ept(p.ld, &di, rx_cb, &at_drv, &de), 0);
	CHECK_EQ(rpmsg_create_ept(p.lv, &vi, rx_cb, &at_dev, &ve), 0);

	/* The device sleeps (armed): a burst of 5 rings it once, 5 trysends 5 times. */
	CHECK_EQ(rpmsg_bus_arm(p.bv), 0);
	before = notifies(p.ld);
	CHECK_EQ(rpmsg_trysend_burst(de, 1024, make(m, 0, 5, 16), 5), 5);
	next_seq[0] += 5;
	CHECK_EQ(notifies(p.ld) - before, 1);
	vpair_pump(&p, 100);
	CHECK_EQ(at_dev.n, 5);
	CHECK_EQ(rpmsg_bus_arm(p.bv), 0);
	before = notifies(p.ld);
	make(m, 0, 5, 16);
	for (int i = 0; i < 5; i++)
		CHECK_EQ(rpmsg_trysendto(de, m[i].data, m[i].len, 1024), 0);
	next_seq[0] += 5;
	CHECK_EQ(notifies(p.ld) - before, 5);
	vpair_pump(&p, 100);
	CHECK_EQ(at_dev.n, 10);

	/* More than there are buffers: the 8 there are go, then nothing (-ENOMEM). */
	CHECK_EQ(rpmsg_trysend_burst(de, 1024, make(m, 0, 12, 32), 12), 8);
	next_seq[0] += 8;
	CHECK_EQ(rpmsg_trysend_burst(de, 1024, make(m, 0, 3, 32), 3), -ENOMEM);
	vpair_pump(&p, 100);
	CHECK_EQ(at_dev.n, 18);

	/* A refused message ends the burst there; refused first, the burst returns why. */
	make(m, 0, 4, 8);
	m[2].data = big;
	m[2].len = sizeof(big);
	CHECK_EQ(rpmsg_trysend_burst(de, 1024, m, 4), 2);
	next_seq[0] += 2;
	CHECK_EQ(rpmsg_trysend_burst(de, 1024, &m[2], 2), -EMSGSIZE);
	vpair_pump(&p, 100);
	CHECK_EQ(at_dev.n, 20);

	/* Arguments. */
	CHECK_EQ(rpmsg_trysend_burst(de, 1024, m, 0), 0);
	CHECK_EQ(rpmsg_trysend_burst(de, 1024, NULL, 1), -EINVAL);
	CHECK_EQ(rpmsg_trysend_burst(de, RPMSG_ADDR_ANY, make(m, 0, 1, 8), 1), -EINVAL);
	CHECK_EQ(rpmsg_trysend_burst(NULL, 1024, m, 1), -EINVAL);
	CHECK_EQ(rpmsg_trysend_burst(de, 1024, m, -1), -EINVAL);

	/* Device -> driver, all sizes up to the MTU. */
	CHECK_EQ(rpmsg_trysend_burst(ve, 1024, make(m, 1, 3, 4), 3), 3);
	next_seq[1] += 3;
	CHECK_EQ(rpmsg_trysend_burst(ve, 1024, make(m, 1, 2, 64), 2), 2);
	next_seq[1] += 2;
	vpair_pump(&p, 100);
	CHECK_EQ(at_drv.n, 5);

	CHECK_EQ(at_dev.n, 20);
	CHECK_EQ(at_dev.order_bad + at_drv.order_bad, 0);
	CHECK_EQ(at_dev.content_bad + at_drv.content_bad, 0);
	CHECK_EQ(at_dev.last, next_seq[0] - 1);
	CHECK_EQ(at_drv.last, next_seq[1] - 1);
	vpair_close(&p);
	return t_done();
}
