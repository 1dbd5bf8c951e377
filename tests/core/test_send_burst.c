/* rpmsg_trysend_burst on a transport without a burst path (loopback): the core sends the
 * messages one by one, in order, and stops where the queue is full. */
#include "core_util.h"

static uint32_t got[16];
static int ngot;

static int cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept, (void)src, (void)priv;
	if (len == 4 && ngot < 16)
		memcpy(&got[ngot++], data, 4);
	return 0;
}

int main(void)
{
	struct rpmsg_loopback_config cfg = { .mtu = 64, .depth = 4, .name_service = true };
	uint32_t v[6] = { 10, 11, 12, 13, 14, 15 };
	struct rpmsg_msg m[6];
	struct rpmsg_endpoint *a;
	struct pair p;

	t_timeout(30);
	pair_open(&p, &cfg);
	a = mkept(p.la, "", 2000, RPMSG_ADDR_ANY, cb, NULL);
	mkept(p.lb, "", 3000, RPMSG_ADDR_ANY, cb, NULL);
	for (int i = 0; i < 6; i++)
		m[i] = (struct rpmsg_msg){ .data = &v[i], .len = 4 };
	CHECK_EQ(rpmsg_trysend_burst(a, 3000, m, 3), 3);
	CHECK_EQ(pump(&p), 3);
	/* Queue of 4: the fifth and sixth do not fit. */
	CHECK_EQ(rpmsg_trysend_burst(a, 3000, &m[3], 3), 3);
	CHECK_EQ(rpmsg_trysend_burst(a, 3000, m, 2), 1);
	CHECK_EQ(rpmsg_trysend_burst(a, 3000, m, 2) < 0, 1); /* full: trysend's error */
	CHECK_EQ(pump(&p), 4);
	CHECK_EQ(ngot, 7);
	{
		uint32_t want[7] = { 10, 11, 12, 13, 14, 15, 10 };

		CHECK_MEM(got, want, sizeof(want));
	}
	CHECK_EQ(rpmsg_trysend_burst(a, 3000, m, 0), 0);
	CHECK_EQ(rpmsg_trysend_burst(a, RPMSG_ADDR_ANY, m, 1), -EINVAL);
	pair_close(&p);
	return t_done();
}
