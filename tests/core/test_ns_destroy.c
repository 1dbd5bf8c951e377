/* Name-service DESTROY: releasing an announced channel (or unbinding its driver, or tearing
 * the link down) withdraws it; the peer's driver is removed and its channel disappears. */
#include "core_util.h"

TDRV(srv)
TDRV(cli)

static struct rpmsg_channel *announce(struct pair *p, const char *name, uint32_t src)
{
	struct rpmsg_channel_info ci = chinfo(name, src, RPMSG_ADDR_ANY);
	struct rpmsg_channel *ch = NULL;

	CHECK_EQ(rpmsg_create_channel(p->la, &ci, &ch), 0);
	return ch;
}

int main(void)
{
	struct pair p;
	struct rpmsg_channel_info ci = chinfo("svc", 1500, RPMSG_ADDR_ANY);
	struct rpmsg_endpoint *probe_ept;
	struct rec r;

	t_timeout(30);
	memset(&r, 0, sizeof(r));
	pair_open(&p, NULL);
	TDRV_INIT(srv, true, "svc", "svc2");
	TDRV_INIT(cli, true, "svc", "svc2");
	CHECK_EQ(rpmsg_register_driver(p.a, &srv.drv), 0);
	CHECK_EQ(rpmsg_register_driver(p.b, &cli.drv), 0);

	announce(&p, "svc", 1500);
	announce(&p, "svc2", 1501);
	CHECK_EQ(pump(&p), 2);
	CHECK_EQ(nchannels(p.lb), 2);
	CHECK_EQ(atomic_load(&cli.probes), 2);

	/* Release on a: a's driver removed, its endpoint gone; b is told. */
	CHECK_EQ(rpmsg_release_channel(p.la, &ci), 0);
	CHECK_EQ(atomic_load(&srv.removes), 1);
	CHECK(srv.ept_in_remove);                 /* removed before its endpoint went */
	CHECK(srv.drvdata_in_remove == &srv);
	CHECK(!find_channel(p.la, "svc", RPMSG_ADDR_ANY, NULL));
	CHECK_EQ(atomic_load(&cli.removes), 0);   /* b has not polled yet */
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 1);
	CHECK_EQ(atomic_load(&cli.removes), 1);
	CHECK(!find_channel(p.lb, "svc", RPMSG_ADDR_ANY, NULL));
	CHECK(find_channel(p.lb, "svc2", 1501, NULL));
	CHECK_EQ(nchannels(p.lb), 1);
	/* Address 1500 on a is free: a message to it is dropped, a new endpoint may take it. */
	probe_ept = mkept(p.la, "", 1500, RPMSG_ADDR_ANY, rec_cb, &r);
	rpmsg_destroy_ept(probe_ept);

	/* Releasing again: nothing there. */
	CHECK_EQ(rpmsg_release_channel(p.la, &ci), -ENOENT);
	CHECK_EQ(pump(&p), 0);

	/* Announce again: it comes back, b probes again. */
	announce(&p, "svc", 1500);
	CHECK_EQ(pump(&p), 1);
	CHECK(find_channel(p.lb, "svc", 1500, NULL));
	CHECK_EQ(atomic_load(&cli.probes), 3);

	/* Unregistering a's driver withdraws both announced channels (they stay on a, unbound). */
	rpmsg_unregister_driver(p.a, &srv.drv);
	CHECK_EQ(atomic_load(&srv.removes), 3);
	CHECK_EQ(nchannels(p.la), 2);
	CHECK_EQ(pump(&p), 2);
	CHECK_EQ(nchannels(p.lb), 0);
	CHECK_EQ(atomic_load(&cli.removes), 3);

	/* Re-registering announces them again. */
	CHECK_EQ(rpmsg_register_driver(p.a, &srv.drv), 0);
	CHECK_EQ(pump(&p), 2);
	CHECK_EQ(nchannels(p.lb), 2);
	CHECK_EQ(atomic_load(&cli.probes), 5);

	/* Tearing a's link down says goodbye for every announced channel: b removes them. */
	rpmsg_link_destroy(p.la);
	p.la = NULL;
	CHECK_EQ(atomic_load(&srv.removes), 5);
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 2);
	CHECK_EQ(nchannels(p.lb), 0);
	CHECK_EQ(atomic_load(&cli.removes), 5);

	pair_close(&p);
	CHECK_EQ(atomic_load(&srv.removes), 5);
	CHECK_EQ(atomic_load(&cli.removes), 5);
	return t_done();
}
