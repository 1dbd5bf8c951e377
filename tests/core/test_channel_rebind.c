/* A channel whose driver let go (refused probe or removal) must bind again later even when
 * its old dynamic address was taken meanwhile: a channel that asked for ANY gets a fresh
 * address, one created with a fixed src keeps that src. */
#include "core_util.h"

TDRV(drv)
TDRV(srv)

int main(void)
{
	struct pair p;
	struct rpmsg_channel_info ci, got;
	struct rpmsg_channel *ch, *fixed;
	struct rpmsg_endpoint *thief1, *thief2;
	struct rec r;

	t_timeout(30);
	memset(&r, 0, sizeof(r));
	pair_open(&p, NULL);
	TDRV_INIT(drv, true, "svc");
	TDRV_INIT(srv, true, "fixed");

	/* A refused probe: the endpoint it had is gone and the channel is as before. */
	ci = chinfo("svc", RPMSG_ADDR_ANY, 3000);
	CHECK_EQ(rpmsg_create_channel(p.lb, &ci, &ch), 0);
	drv.refuse = -ENODEV;
	CHECK_EQ(rpmsg_register_driver(p.b, &drv.drv), 0);
	CHECK_EQ(atomic_load(&drv.probes), 1);
	CHECK_EQ(drv.probed_ept_addr, 1024);
	CHECK(rpmsg_channel_ept(ch) == NULL);
	CHECK(find_channel(p.lb, "svc", 3000, &got));
	CHECK_EQ(got.src, RPMSG_ADDR_ANY);
	CHECK_EQ(rpmsg_channel_info(ch)->src, RPMSG_ADDR_ANY);

	/* Someone takes 1024; the driver, now willing, binds with another address. */
	thief1 = mkept(p.lb, "", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, rec_cb, &r);
	CHECK_EQ(rpmsg_ept_addr(thief1), 1024);
	rpmsg_unregister_driver(p.b, &drv.drv);
	drv.refuse = 0;
	CHECK_EQ(rpmsg_register_driver(p.b, &drv.drv), 0);
	CHECK_EQ(atomic_load(&drv.probes), 2);
	CHECK(rpmsg_channel_ept(ch) != NULL);
	CHECK_EQ(rpmsg_ept_addr(rpmsg_channel_ept(ch)), 1025);
	CHECK_EQ(rpmsg_channel_info(ch)->src, 1025);

	/* Removal: the address is given back; after it is taken, binding again still works. */
	rpmsg_unregister_driver(p.b, &drv.drv);
	CHECK_EQ(atomic_load(&drv.removes), 1);
	CHECK_EQ(rpmsg_channel_info(ch)->src, RPMSG_ADDR_ANY);
	thief2 = mkept(p.lb, "", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, rec_cb, &r);
	CHECK_EQ(rpmsg_ept_addr(thief2), 1025);
	CHECK_EQ(rpmsg_register_driver(p.b, &drv.drv), 0);
	CHECK_EQ(atomic_load(&drv.probes), 3);
	CHECK(rpmsg_channel_ept(ch) != NULL);
	CHECK_EQ(rpmsg_ept_addr(rpmsg_channel_ept(ch)), 1026);
	/* ... and it receives. */
	{
		struct rpmsg_endpoint *ea = mkept(p.la, "", 3000, RPMSG_ADDR_ANY, rec_cb, &r);

		CHECK_EQ(rpmsg_sendto(ea, "ok", 2, 1026), 0);
		CHECK_EQ(pump(&p), 1);
		CHECK_EQ(atomic_load(&drv.rx.count), 1);
		CHECK_EQ(atomic_load(&r.count), 0);
	}

	/* A channel with a fixed src keeps it across rebinding, and is announced again at it. */
	CHECK_EQ(rpmsg_register_driver(p.a, &srv.drv), 0);
	ci = chinfo("fixed", 1500, RPMSG_ADDR_ANY);
	CHECK_EQ(rpmsg_create_channel(p.la, &ci, &fixed), 0);
	CHECK_EQ(pump(&p), 1);
	CHECK(find_channel(p.lb, "fixed", 1500, NULL));
	rpmsg_unregister_driver(p.a, &srv.drv);
	CHECK_EQ(rpmsg_channel_info(fixed)->src, 1500);
	CHECK_EQ(pump(&p), 1);
	CHECK(!find_channel(p.lb, "fixed", RPMSG_ADDR_ANY, NULL));
	CHECK_EQ(rpmsg_register_driver(p.a, &srv.drv), 0);
	CHECK_EQ(rpmsg_ept_addr(rpmsg_channel_ept(fixed)), 1500);
	CHECK_EQ(pump(&p), 1);
	CHECK(find_channel(p.lb, "fixed", 1500, NULL));
	/* With its src taken, it cannot bind (the address was asked for explicitly). */
	rpmsg_unregister_driver(p.a, &srv.drv);
	thief1 = mkept(p.la, "", 1500, RPMSG_ADDR_ANY, rec_cb, &r);
	CHECK_EQ(rpmsg_register_driver(p.a, &srv.drv), 0);
	CHECK(rpmsg_channel_ept(fixed) == NULL);
	CHECK_EQ(atomic_load(&srv.probes), 2);
	CHECK_EQ(pump(&p), 1); /* only the DESTROY of the unregister */
	CHECK(!find_channel(p.lb, "fixed", RPMSG_ADDR_ANY, NULL));
	(void)thief1;

	pair_close(&p);
	return t_done();
}
