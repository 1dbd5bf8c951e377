/*
 * A sender refused because the one slot is busy (trysend -EAGAIN, or poll_tx 0) then waits
 * in rpmsg_bus_poll for the slot to free. The peer may take the message at any moment in
 * between: before the poll looks, while it looks, or while it sleeps. In every case the
 * poll must return > 0 once the slot is free, not sleep to its timeout (it returns 0 then).
 * Streaming into a service that never answers (the tool's sink) did exactly this: every
 * message the peer took "too early" cost the whole poll timeout.
 *
 * No wall-clock assertion: the poll timeouts are long, and only the return values and the
 * sends that follow are checked.
 */
#include "testlib.h"
#include "scp_util.h"

#define IPI 13
#define LONG_MS 3000

static int got_h, got_r;

static int host_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept; (void)data; (void)len; (void)src; (void)priv;
	got_h++;
	return 0;
}

static int remote_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept; (void)data; (void)len; (void)src; (void)priv;
	got_r++; /* a sink: never answers, so no message of the peer wakes the sender */
	return 0;
}

/* `tx` sends into the slot the `peer` bus takes from; `bus` is the sender's bus. */
static void one_direction(struct rpmsg_bus *bus, struct rpmsg_bus *peer, struct rpmsg_endpoint *tx,
			  int *peer_got)
{
	int before;

	/* 1. Refused, the peer takes it, then the sender polls: the slot is already free. */
	before = *peer_got;
	CHECK_EQ(rpmsg_trysend(tx, "a", 1), 0);
	CHECK_EQ(rpmsg_trysend(tx, "b", 1), -EAGAIN);
	CHECK(rpmsg_bus_poll(peer, 0) > 0);
	CHECK_EQ(*peer_got, before + 1);
	CHECK(rpmsg_bus_poll(bus, LONG_MS) > 0);
	CHECK_EQ(rpmsg_trysend(tx, "b", 1), 0);

	/* 2. Refused; a poll of the sender finds the slot still busy; the peer takes it; an
	 *    event loop of its own arms the bus: it must say "pending", not sleep. */
	CHECK_EQ(rpmsg_trysend(tx, "c", 1), -EAGAIN);
	CHECK_EQ(rpmsg_bus_poll(bus, 0), 0);
	CHECK(rpmsg_bus_poll(peer, 0) > 0);
	CHECK_EQ(*peer_got, before + 2);
	CHECK_EQ(rpmsg_bus_arm(bus), 1);
	CHECK(rpmsg_bus_poll(bus, LONG_MS) > 0);
	CHECK_EQ(rpmsg_trysend(tx, "c", 1), 0);

	/* 3. poll_tx says a send would wait; the peer takes it; the poll reports the room. */
	CHECK_EQ(rpmsg_poll_tx(tx), 0);
	CHECK(rpmsg_bus_poll(peer, 0) > 0);
	CHECK_EQ(*peer_got, before + 3);
	CHECK(rpmsg_bus_poll(bus, LONG_MS) > 0);
	CHECK_EQ(rpmsg_poll_tx(tx), 1);

	/* Reported once: with nothing refused since, an idle poll has nothing to say. */
	CHECK_EQ(rpmsg_bus_poll(bus, 0), 0);
	CHECK_EQ(rpmsg_bus_poll(peer, 0), 0);
}

int main(void)
{
	struct rpmsg_channel_info hi = { .name = "tx-wake", .src = IPI, .dst = RPMSG_ADDR_ANY };
	struct rpmsg_channel_info ri = hi;
	struct rpmsg_endpoint *he, *re;
	struct rpmsg_scp_stats st;
	struct spair p;

	t_timeout(60);
	CHECK_EQ(spair_open(&p, "txwake", NULL, NULL, 0, 1), 0);
	for (int i = 0; i < 100 && !rpmsg_link_is_up(p.lh); i++)
		spair_pump(&p, 10);
	CHECK(rpmsg_link_is_up(p.lh));
	CHECK_EQ(rpmsg_create_ept(p.lh, &hi, host_cb, NULL, &he), 0);
	CHECK_EQ(rpmsg_create_ept(p.lr, &ri, remote_cb, NULL, &re), 0);
	spair_pump(&p, 10);

	one_direction(p.bh, p.br, he, &got_r); /* AP -> SCP */
	one_direction(p.br, p.bh, re, &got_h); /* SCP -> AP */

	/* Nothing timed out, nothing was dropped on the way. */
	CHECK_EQ(rpmsg_scp_get_stats(p.lh, &st), 0);
	CHECK_EQ(st.busy_timeouts, 0);
	CHECK_EQ(st.ack_timeouts, 0);
	CHECK_EQ(st.rx_dropped, 0);
	CHECK_EQ(rpmsg_scp_get_stats(p.lr, &st), 0);
	CHECK_EQ(st.busy_timeouts, 0);
	CHECK_EQ(st.rx_dropped, 0);
	CHECK_EQ(got_r, 3);
	CHECK_EQ(got_h, 3);

	rpmsg_destroy_ept(he);
	rpmsg_destroy_ept(re);
	spair_close(&p);
	return t_done();
}
