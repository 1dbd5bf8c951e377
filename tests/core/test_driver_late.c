/* A driver registered after the channels exist probes every matching one (local channels
 * and channels the peer announced), and again after unregister/register cycles. */
#include "core_util.h"

TDRV(drv)
TDRV(srv)

int main(void)
{
	struct pair p;
	struct rpmsg_channel_info ci;
	struct rpmsg_channel *local = NULL, *ann;

	t_timeout(30);
	pair_open(&p, NULL);
	TDRV_INIT(drv, true, "svc", "local");
	TDRV_INIT(srv, true, "svc");

	/* Channels on b before any driver: one announced by a, one local, one unmatched. */
	CHECK_EQ(rpmsg_register_driver(p.a, &srv.drv), 0);
	ci = chinfo("svc", 1500, RPMSG_ADDR_ANY);
	CHECK_EQ(rpmsg_create_channel(p.la, &ci, &ann), 0);
	CHECK_EQ(pump(&p), 1);
	ci = chinfo("local", RPMSG_ADDR_ANY, 9000);
	CHECK_EQ(rpmsg_create_channel(p.lb, &ci, &local), 0);
	ci = chinfo("unmatched", RPMSG_ADDR_ANY, 9001);
	CHECK_EQ(rpmsg_create_channel(p.lb, &ci, NULL), 0);
	CHECK_EQ(nchannels(p.lb), 3);
	CHECK(rpmsg_channel_ept(local) == NULL);

	CHECK_EQ(rpmsg_register_driver(p.b, &drv.drv), 0);
	CHECK_EQ(atomic_load(&drv.probes), 2);
	CHECK(rpmsg_channel_ept(local) != NULL);
	CHECK(rpmsg_channel_drvdata(local) == &drv);
	CHECK(find_channel(p.lb, "svc", 1500, &ci));
	CHECK(ci.src != RPMSG_ADDR_ANY); /* bound: it has a local address now */

	/* The late-bound endpoints work both ways. */
	{
		struct rpmsg_endpoint *srv_ept = rpmsg_channel_ept(ann);

		CHECK_EQ(rpmsg_sendto(srv_ept, "to-b", 4, ci.src), 0);
		CHECK_EQ(pump(&p), 1);
		CHECK_EQ(atomic_load(&drv.rx.count), 1);
		CHECK_EQ(drv.rx.last_src, 1500);
	}

	/* Cycles. */
	for (int i = 0; i < 5; i++) {
		rpmsg_unregister_driver(p.b, &drv.drv);
		CHECK_EQ(atomic_load(&drv.removes), 2 * (i + 1));
		CHECK(rpmsg_channel_ept(local) == NULL);
		CHECK_EQ(rpmsg_register_driver(p.b, &drv.drv), 0);
		CHECK_EQ(atomic_load(&drv.probes), 2 * (i + 2));
		CHECK(rpmsg_channel_ept(local) != NULL);
	}
	CHECK_EQ(nchannels(p.lb), 3);

	/* A channel announced after registration is probed at once. */
	ci = chinfo("svc", 1501, RPMSG_ADDR_ANY);
	CHECK_EQ(rpmsg_create_channel(p.la, &ci, NULL), 0);
	CHECK_EQ(pump(&p), 1);
	CHECK_EQ(atomic_load(&drv.probes), 13);

	pair_close(&p);
	CHECK_EQ(atomic_load(&drv.removes), 13);
	return t_done();
}
