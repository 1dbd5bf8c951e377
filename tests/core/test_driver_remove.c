/* Driver removal: unregistering a driver runs remove on every channel it is bound to (the
 * channels stay, unbound, their endpoints gone); releasing a channel or destroying the bus
 * runs remove too; remove still sees the default endpoint and the driver data. */
#include "core_util.h"

TDRV(drv)
TDRV(other)

static struct pair p;

static struct rpmsg_channel *add(struct rpmsg_link *link, const char *name, uint32_t dst)
{
	struct rpmsg_channel_info ci = chinfo(name, RPMSG_ADDR_ANY, dst);
	struct rpmsg_channel *ch = NULL;

	CHECK_EQ(rpmsg_create_channel(link, &ci, &ch), 0);
	return ch;
}

int main(void)
{
	struct rpmsg_channel *c1, *c2, *c3, *c4;
	struct rpmsg_endpoint *ea;
	struct rec r;

	t_timeout(30);
	memset(&r, 0, sizeof(r));
	pair_open(&p, NULL);
	TDRV_INIT(drv, true, "one", "two");
	TDRV_INIT(other, true, "three");
	CHECK_EQ(rpmsg_register_driver(p.b, &drv.drv), 0);
	CHECK_EQ(rpmsg_register_driver(p.b, &other.drv), 0);
	c1 = add(p.lb, "one", 6000);
	c2 = add(p.lb, "two", 6001);
	c3 = add(p.lb, "three", 6002);
	CHECK_EQ(atomic_load(&drv.probes), 2);
	CHECK_EQ(atomic_load(&other.probes), 1);
	CHECK_EQ(rpmsg_ept_addr(rpmsg_channel_ept(c1)), 1024);
	CHECK_EQ(rpmsg_ept_addr(rpmsg_channel_ept(c2)), 1025);
	ea = mkept(p.la, "", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, rec_cb, &r);

	/* Unregister: remove for both channels, only this driver's. */
	rpmsg_unregister_driver(p.b, &drv.drv);
	CHECK_EQ(atomic_load(&drv.removes), 2);
	CHECK(drv.ept_in_remove);
	CHECK(drv.drvdata_in_remove == &drv);
	CHECK_EQ(atomic_load(&other.removes), 0);
	CHECK(rpmsg_channel_ept(c1) == NULL);
	CHECK(rpmsg_channel_ept(c2) == NULL);
	CHECK(rpmsg_channel_drvdata(c1) == NULL);
	CHECK(rpmsg_channel_ept(c3) != NULL);
	CHECK_EQ(nchannels(p.lb), 3);
	/* Their endpoints are gone: messages to them are dropped. */
	CHECK_EQ(rpmsg_sendto(ea, "x", 1, 1024), 0);
	CHECK_EQ(rpmsg_sendto(ea, "x", 1, 1025), 0);
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 2);
	CHECK_EQ(atomic_load(&drv.rx.count), 0);
	/* Unregistering again (or a driver never registered) does nothing. */
	rpmsg_unregister_driver(p.b, &drv.drv);
	rpmsg_unregister_driver(p.a, &other.drv);
	CHECK_EQ(atomic_load(&drv.removes), 2);
	CHECK_EQ(atomic_load(&other.removes), 0);
	/* An unregistered driver does not bind new channels. */
	c4 = add(p.lb, "one", 6003);
	CHECK_EQ(atomic_load(&drv.probes), 2);
	CHECK(rpmsg_channel_ept(c4) == NULL);

	/* Releasing a bound channel runs remove; releasing an unbound one does not. */
	{
		struct rpmsg_channel_info ci = chinfo("three", RPMSG_ADDR_ANY, 6002);
		struct rpmsg_channel_info cj = chinfo("two", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY);

		CHECK_EQ(rpmsg_release_channel(p.lb, &ci), 0);
		CHECK_EQ(atomic_load(&other.removes), 1);
		CHECK(other.ept_in_remove);
		CHECK_EQ(rpmsg_release_channel(p.lb, &cj), 0);
		CHECK_EQ(atomic_load(&drv.removes), 2);
		CHECK_EQ(nchannels(p.lb), 2);
	}
	(void)c3;

	/* Bus destruction: remove for what is still bound. */
	c3 = add(p.lb, "three", 6010);
	CHECK_EQ(atomic_load(&other.probes), 2);
	CHECK(rpmsg_channel_ept(c3) != NULL);
	/* A driver without remove: unregistering it is fine. */
	{
		static const char *const ids[] = { "noremove", NULL };
		static struct rpmsg_driver bare = { .name = "bare", .id_table = ids };
		struct rpmsg_channel *c5;

		CHECK_EQ(rpmsg_register_driver(p.b, &bare), 0);
		c5 = add(p.lb, "noremove", 7000);
		CHECK(rpmsg_channel_ept(c5) == NULL);
		rpmsg_unregister_driver(p.b, &bare);
		c5 = add(p.lb, "noremove", 7001);
		CHECK_EQ(rpmsg_register_driver(p.b, &bare), 0); /* bound again, then by bus destroy */
	}
	pair_close(&p);
	CHECK_EQ(atomic_load(&other.removes), 2);
	CHECK_EQ(atomic_load(&drv.removes), 2);
	return t_done();
}
