/*
 * Zero copy on both roles: borrow a transmit buffer, fill it in place, send it without a
 * copy (the bytes land in shared memory where the peer reads them); give one back unsent;
 * hold a received buffer past the callback and release it later (until then the peer
 * cannot reuse it).
 */
#include <string.h>

#include "testlib.h"
#include "vpair.h"

static void *held;
static size_t held_len;
static int rx_count;
static int hold_next;

static int rx_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)src; (void)priv;
	rx_count++;
	if (hold_next) {
		CHECK_EQ(rpmsg_hold_rx_buffer(ept, data), 0);
		held = data;
		held_len = len;
		hold_next = 0;
	}
	return 0;
}

static void one_way(struct rpmsg_endpoint *tx, struct rpmsg_bus *rxbus,
		    struct rpmsg_endpoint *rx)
{
	void *buf, *buf2;
	size_t size;

	/* Borrow, fill, send. */
	CHECK_EQ(rpmsg_get_tx_buffer(tx, &buf, &size, 0), 0);
	CHECK_EQ(size, 496);
	CHECK(buf != NULL);
	memcpy(buf, "zero-copy!", 10);
	CHECK_EQ(rpmsg_send_nocopy(tx, rpmsg_ept_addr(rx), buf, 10), 0);
	/* A pointer we never lent is refused. */
	CHECK_EQ(rpmsg_send_nocopy(tx, rpmsg_ept_addr(rx), (char *)buf + 1, 4), -EINVAL);
	/* Borrow and give back: the next borrow may hand the same buffer again. */
	CHECK_EQ(rpmsg_get_tx_buffer(tx, &buf2, &size, 0), 0);
	rpmsg_release_tx_buffer(tx, buf2);
	CHECK_EQ(rpmsg_get_tx_buffer(tx, &buf, &size, 0), 0);
	CHECK(buf == buf2);
	CHECK_EQ(rpmsg_send_nocopy(tx, rpmsg_ept_addr(rx), buf, 497), -EMSGSIZE);
	CHECK_EQ(rpmsg_get_tx_buffer(tx, &buf, &size, 0), 0);
	CHECK(buf == buf2); /* the refused buffer came back to us */
	rpmsg_release_tx_buffer(tx, buf);

	/* Hold the received buffer: its bytes stay ours after the callback. */
	rx_count = 0;
	hold_next = 1;
	CHECK_EQ(rpmsg_bus_poll(rxbus, 100), 1);
	CHECK_EQ(rx_count, 1);
	CHECK(held != NULL);
	CHECK_EQ(held_len, 10);
	CHECK_MEM(held, "zero-copy!", 10);
	/* Holding outside the callback is refused. */
	CHECK_EQ(rpmsg_hold_rx_buffer(rx, held), -EINVAL);
	rpmsg_release_rx_buffer(rx, held);
	held = NULL;
}

int main(void)
{
	struct rpmsg_virtio_config cfg = { .vring_num = 4, .vring_align = 16 };
	struct rpmsg_channel_info di = { .name = "d", .src = 1024, .dst = 1024 };
	struct rpmsg_channel_info vi = { .name = "v", .src = 1024, .dst = 1024 };
	struct rpmsg_endpoint *de, *ve;
	struct vpair p;

	t_timeout(30);
	CHECK_EQ(vpair_open(&p, "zc", &cfg, &cfg, 64 * 1024), 0);
	CHECK_EQ(rpmsg_create_ept(p.ld, &di, rx_cb, NULL, &de), 0);
	CHECK_EQ(rpmsg_create_ept(p.lv, &vi, rx_cb, NULL, &ve), 0);
	one_way(de, p.bv, ve);
	one_way(ve, p.bd, de);

	/* A held driver RX buffer is not re-posted: with 4 RX buffers and one held, the
	 * device can send only 3 more before it runs out. */
	hold_next = 1;
	CHECK_EQ(rpmsg_trysend(ve, "a", 1), 0);
	CHECK_EQ(rpmsg_bus_poll(p.bd, 100), 1);
	CHECK(held != NULL);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(rpmsg_trysend(ve, "b", 1), 0);
	CHECK_EQ(rpmsg_trysend(ve, "c", 1), -ENOMEM);
	vpair_pump(&p, 10);
	CHECK_EQ(rpmsg_trysend(ve, "c", 1), 0); /* three came back */
	CHECK_EQ(rpmsg_trysend(ve, "c", 1), 0);
	CHECK_EQ(rpmsg_trysend(ve, "c", 1), 0);
	CHECK_EQ(rpmsg_trysend(ve, "c", 1), -ENOMEM);
	rpmsg_release_rx_buffer(de, held);     /* and now the fourth */
	vpair_pump(&p, 10);
	CHECK_EQ(rpmsg_trysend(ve, "d", 1), 0);
	vpair_close(&p);
	return t_done();
}
