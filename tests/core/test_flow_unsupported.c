/* What the loopback transport does not do: flow control and zero copy say -EOPNOTSUPP;
 * poll_tx says whether a send would wait. */
#include "core_util.h"

static int hold_ret = 1;
static int hold_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	hold_ret = rpmsg_hold_rx_buffer(ept, data);
	rpmsg_release_rx_buffer(ept, data); /* no-op, must not crash */
	return 0;
}

static int flow_calls;
static void flow_cb(struct rpmsg_endpoint *ept, bool pause, void *priv)
{
	flow_calls++;
}

int main(void)
{
	struct rpmsg_loopback_config cfg = { .mtu = 0, .depth = 2, .name_service = true };
	struct pair p;
	struct rec r;
	struct rpmsg_endpoint *ea, *eb;
	void *buf = (void *)&r;
	size_t size = 1234;
	char data[4] = "abc";

	t_timeout(30);
	memset(&r, 0, sizeof(r));
	pair_open(&p, &cfg);
	ea = mkept(p.la, "", RPMSG_ADDR_ANY, 2000, rec_cb, &r);
	eb = mkept(p.lb, "", 2000, RPMSG_ADDR_ANY, hold_cb, NULL);

	CHECK_EQ(rpmsg_set_flow_control(ea, true, 2000), -EOPNOTSUPP);
	CHECK_EQ(rpmsg_set_flow_control(ea, false, 2000), -EOPNOTSUPP);
	CHECK_EQ(rpmsg_set_flow_control(NULL, true, 2000), -EINVAL);
	rpmsg_ept_set_flow_cb(ea, flow_cb);
	rpmsg_ept_set_flow_cb(NULL, flow_cb);

	CHECK_EQ(rpmsg_get_tx_buffer(ea, &buf, &size, 0), -EOPNOTSUPP);
	CHECK_EQ(rpmsg_get_tx_buffer(ea, &buf, &size, 100), -EOPNOTSUPP);
	CHECK(buf == (void *)&r);
	CHECK_EQ(size, 1234);
	CHECK_EQ(rpmsg_get_tx_buffer(ea, NULL, &size, 0), -EINVAL);
	CHECK_EQ(rpmsg_get_tx_buffer(NULL, &buf, &size, 0), -EINVAL);
	CHECK_EQ(rpmsg_send_nocopy(ea, 2000, data, 3), -EOPNOTSUPP);
	CHECK_EQ(rpmsg_send_nocopy(ea, RPMSG_ADDR_ANY, data, 3), -EINVAL);
	CHECK_EQ(rpmsg_send_nocopy(NULL, 2000, data, 3), -EINVAL);
	rpmsg_release_tx_buffer(ea, data); /* no-op */
	rpmsg_release_tx_buffer(NULL, data);
	CHECK_EQ(rpmsg_hold_rx_buffer(NULL, data), -EINVAL);
	CHECK_EQ(rpmsg_hold_rx_buffer(eb, NULL), -EINVAL);
	CHECK_EQ(pump(&p), 0); /* none of that sent anything */

	/* hold_rx_buffer from inside a callback: unsupported. */
	CHECK_EQ(rpmsg_send(ea, data, 3), 0);
	CHECK_EQ(pump(&p), 1);
	CHECK_EQ(hold_ret, -EOPNOTSUPP);

	/* poll_tx follows the queue. */
	CHECK_EQ(rpmsg_poll_tx(ea), 1);
	CHECK_EQ(rpmsg_trysend(ea, data, 3), 0);
	CHECK_EQ(rpmsg_poll_tx(ea), 1);
	CHECK_EQ(rpmsg_trysend(ea, data, 3), 0);
	CHECK_EQ(rpmsg_poll_tx(ea), 0);
	CHECK_EQ(rpmsg_trysend(ea, data, 3), -EAGAIN);
	CHECK_EQ(rpmsg_poll_tx(eb), 1); /* the other direction is empty */
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 2);
	CHECK_EQ(rpmsg_poll_tx(ea), 1);

	/* The loopback never produces flow events. */
	CHECK_EQ(flow_calls, 0);
	pair_close(&p);
	return t_done();
}
