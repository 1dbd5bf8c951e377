/*
 * Transmit-buffer exhaustion, both roles: while the peer does not consume, trysend fails
 * at once with -ENOMEM after exactly the buffers there are, a blocking send with a timeout
 * returns -ETIMEDOUT, and once the peer consumes, both work again, in order.
 */
#include <pthread.h>
#include <string.h>

#include "testlib.h"
#include "vpair.h"

static int received[2];
static uint32_t last_seq[2];
static int order_bad;

static int rx_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	int side = (int)(intptr_t)priv;
	uint32_t seq;

	(void)ept; (void)src;
	if (len != 4)
		return 0;
	memcpy(&seq, data, 4);
	if (received[side] && seq != last_seq[side] + 1)
		order_bad++;
	last_seq[side] = seq;
	received[side]++;
	return 0;
}

struct waiter {
	struct rpmsg_endpoint *ept;
	uint32_t seq;
	int ret;
};

static void *blocking_send(void *arg)
{
	struct waiter *w = arg;

	w->ret = rpmsg_send_timeout(w->ept, rpmsg_ept_addr(w->ept), rpmsg_ept_dst(w->ept), &w->seq,
				    4, 5000);
	return NULL;
}

int main(void)
{
	/* 8 vring entries: the driver has 8 RX and 8 TX buffers. */
	struct rpmsg_virtio_config cfg = { .vring_num = 8, .vring_align = 16 };
	struct rpmsg_channel_info di = { .name = "d", .src = 1024, .dst = 1024 };
	struct rpmsg_channel_info vi = { .name = "v", .src = 1024, .dst = 1024 };
	struct rpmsg_endpoint *de, *ve;
	struct vpair p;
	uint32_t seq = 0;
	int ret;

	t_timeout(60);
	CHECK_EQ(vpair_open(&p, "exh", &cfg, &cfg, 64 * 1024), 0);
	CHECK_EQ(rpmsg_create_ept(p.ld, &di, rx_cb, (void *)0, &de), 0);
	CHECK_EQ(rpmsg_create_ept(p.lv, &vi, rx_cb, (void *)1, &ve), 0);

	/* Driver -> device: 8 TX buffers, then -ENOMEM (as Linux's trysend). */
	for (int i = 0; i < 8; i++, seq++)
		CHECK_EQ(rpmsg_trysend(de, &seq, 4), 0);
	CHECK_EQ(rpmsg_trysend(de, &seq, 4), -ENOMEM);
	CHECK_EQ(rpmsg_poll_tx(de), 0);
	CHECK_EQ(rpmsg_send_timeout(de, 1024, 1024, &seq, 4, 50), -ETIMEDOUT);
	/* A blocked sender is woken when the device consumes. */
	{
		struct waiter w = { .ept = de, .seq = seq, .ret = 1 };
		pthread_t t;

		pthread_create(&t, NULL, blocking_send, &w);
		usleep(20000);
		CHECK_EQ(rpmsg_bus_poll(p.bv, 100), 8);
		pthread_join(t, NULL);
		CHECK_EQ(w.ret, 0);
		seq++;
	}
	vpair_pump(&p, 10);
	CHECK_EQ(received[1], 9);
	CHECK_EQ(rpmsg_poll_tx(de), 1);

	/* Device -> driver: the driver posted 8 RX buffers; the 9th send has none. */
	seq = 100;
	received[0] = 0;
	for (int i = 0; i < 8; i++, seq++)
		CHECK_EQ(rpmsg_trysend(ve, &seq, 4), 0);
	ret = rpmsg_trysend(ve, &seq, 4);
	CHECK_EQ(ret, -ENOMEM);
	CHECK_EQ(rpmsg_send_timeout(ve, 1024, 1024, &seq, 4, 50), -ETIMEDOUT);
	CHECK_EQ(rpmsg_bus_poll(p.bd, 100), 8); /* the driver consumes and re-posts */
	CHECK_EQ(rpmsg_trysend(ve, &seq, 4), 0);
	vpair_pump(&p, 10);
	CHECK_EQ(received[0], 9);
	CHECK_EQ(order_bad, 0);

	/* Oversize and bad addresses. */
	{
		char big[600] = { 0 };

		CHECK_EQ(rpmsg_get_mtu(de), 496);
		CHECK_EQ(rpmsg_get_mtu(ve), 496);
		CHECK_EQ(rpmsg_trysend(de, big, 497), -EMSGSIZE);
		CHECK_EQ(rpmsg_trysend(ve, big, 497), -EMSGSIZE);
		CHECK_EQ(rpmsg_trysend(de, big, 496), 0);
		CHECK_EQ(rpmsg_trysendto(de, big, 4, RPMSG_ADDR_ANY), -EINVAL);
	}
	vpair_close(&p);
	return t_done();
}
