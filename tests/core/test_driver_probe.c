/* Drivers bind channels by the names in their id table. A refused probe leaves the channel
 * unbound and without endpoint; with two matching drivers the first registered that accepts
 * wins; a driver without callback gets no default endpoint. */
#include "core_util.h"

TDRV(multi)
TDRV(refuser)
TDRV(first)
TDRV(second)
TDRV(nocb)

static struct pair p;

static struct rpmsg_channel *add(const char *name)
{
	struct rpmsg_channel_info ci = chinfo(name, RPMSG_ADDR_ANY, 5000);
	struct rpmsg_channel *ch = NULL;

	CHECK_EQ(rpmsg_create_channel(p.lb, &ci, &ch), 0);
	CHECK(ch != NULL);
	return ch;
}

static void flow(struct rpmsg_endpoint *ept, bool pause, void *priv)
{
}

int main(void)
{
	struct rpmsg_channel *ch;
	struct rpmsg_endpoint *ept;
	struct rec r;

	t_timeout(30);
	memset(&r, 0, sizeof(r));
	pair_open(&p, NULL);
	TDRV_INIT(multi, true, "alpha", "beta", "gamma");
	multi.drv.flowcontrol = flow;
	TDRV_INIT(refuser, true, "refused", "fallback");
	refuser.refuse = -EPERM;
	TDRV_INIT(first, true, "shared", "fallback");
	TDRV_INIT(second, true, "shared", "fallback", "second-only");
	TDRV_INIT(nocb, false, "plain");
	CHECK_EQ(rpmsg_register_driver(p.b, &multi.drv), 0);
	CHECK_EQ(rpmsg_register_driver(p.b, &refuser.drv), 0);
	CHECK_EQ(rpmsg_register_driver(p.b, &first.drv), 0);
	CHECK_EQ(rpmsg_register_driver(p.b, &second.drv), 0);
	CHECK_EQ(rpmsg_register_driver(p.b, &nocb.drv), 0);

	/* Registration rules. */
	CHECK_EQ(rpmsg_register_driver(p.b, &multi.drv), -EEXIST);
	{
		struct rpmsg_driver bad = { .name = "bad", .id_table = NULL };

		CHECK_EQ(rpmsg_register_driver(p.b, &bad), -EINVAL);
	}

	/* Any id of the table matches; the default endpoint exists during probe, with the
	 * channel's dst and a dynamic address that becomes the channel's src. */
	ch = add("beta");
	CHECK_EQ(atomic_load(&multi.probes), 1);
	CHECK(multi.last_ch == ch);
	CHECK_EQ(multi.probed_info.dst, 5000);
	CHECK_EQ(multi.probed_ept_addr, 1024);
	ept = rpmsg_channel_ept(ch);
	CHECK(ept != NULL);
	CHECK_EQ(rpmsg_ept_addr(ept), 1024);
	CHECK_EQ(rpmsg_ept_dst(ept), 5000);
	CHECK_EQ(rpmsg_channel_info(ch)->src, 1024);
	CHECK(rpmsg_channel_drvdata(ch) == &multi);
	add("gamma");
	CHECK_EQ(atomic_load(&multi.probes), 2);
	/* Matching is by the whole name. */
	add("alph");
	add("alphabet");
	add("Alpha");
	CHECK_EQ(atomic_load(&multi.probes), 2);

	/* The default endpoint delivers to the driver's callback with the driver's priv. */
	{
		struct rpmsg_endpoint *ea = mkept(p.la, "", 5000, RPMSG_ADDR_ANY, rec_cb, &r);

		CHECK_EQ(rpmsg_sendto(ea, "hey", 3, 1024), 0);
		CHECK_EQ(rpmsg_bus_poll(p.b, 0), 1);
		CHECK_EQ(atomic_load(&multi.rx.count), 1);
		CHECK(multi.rx.last_ept == ept);
		CHECK_EQ(multi.rx.last_src, 5000);
		CHECK_EQ(rpmsg_send(ept, "back", 4), 0);
		CHECK_EQ(rpmsg_bus_poll(p.a, 0), 1);
		CHECK_EQ(atomic_load(&r.count), 1);
		CHECK_EQ(r.last_src, 1024);
		rpmsg_destroy_ept(ea);
	}

	/* A refused probe: channel stays, unbound, no endpoint, the address is free again. */
	ch = add("refused");
	CHECK_EQ(atomic_load(&refuser.probes), 1);
	CHECK_EQ(refuser.probed_ept_addr, 1026); /* 1024, 1025: beta, gamma */
	CHECK(rpmsg_channel_ept(ch) == NULL);
	CHECK(rpmsg_channel_drvdata(ch) == NULL);
	CHECK_EQ(atomic_load(&refuser.removes), 0);
	CHECK(find_channel(p.lb, "refused", 5000, NULL));
	{
		struct rpmsg_endpoint *e = mkept(p.lb, "", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, rec_cb, &r);
		struct rpmsg_endpoint *ea = mkept(p.la, "", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, rec_cb, &r);

		CHECK_EQ(rpmsg_ept_addr(e), 1026);
		rpmsg_destroy_ept(e);
		/* nothing listens at 1026 on b now */
		CHECK_EQ(rpmsg_sendto(ea, "x", 1, 1026), 0);
		CHECK_EQ(rpmsg_bus_poll(p.b, 0), 1);
		CHECK_EQ(atomic_load(&refuser.rx.count), 0);
		rpmsg_destroy_ept(ea);
	}

	/* Two drivers for one name: the first registered binds, the second is not asked. */
	ch = add("shared");
	CHECK_EQ(atomic_load(&first.probes), 1);
	CHECK_EQ(atomic_load(&second.probes), 0);
	CHECK(rpmsg_channel_drvdata(ch) == &first);
	/* The first refuses: the next matching one gets it. */
	ch = add("fallback");
	CHECK_EQ(atomic_load(&refuser.probes), 2);
	CHECK_EQ(atomic_load(&first.probes), 2);
	CHECK_EQ(atomic_load(&second.probes), 0);
	CHECK(rpmsg_channel_drvdata(ch) == &first);
	add("second-only");
	CHECK_EQ(atomic_load(&second.probes), 1);

	/* No callback: bound (probe ran), but no endpoint and no address taken. */
	ch = add("plain");
	CHECK_EQ(atomic_load(&nocb.probes), 1);
	CHECK(rpmsg_channel_ept(ch) == NULL);
	CHECK(rpmsg_channel_drvdata(ch) == &nocb);
	CHECK_EQ(nocb.probed_ept_addr, RPMSG_ADDR_ANY);
	CHECK_EQ(rpmsg_channel_info(ch)->src, RPMSG_ADDR_ANY);

	/* Drivers of one bus do not bind channels of another. */
	{
		struct rpmsg_channel_info ci = chinfo("alpha", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY);

		CHECK_EQ(rpmsg_create_channel(p.la, &ci, &ch), 0);
		CHECK_EQ(atomic_load(&multi.probes), 2);
		CHECK(rpmsg_channel_ept(ch) == NULL);
	}

	pair_close(&p);
	/* Every successful probe got its remove, refused ones none. */
	CHECK_EQ(atomic_load(&multi.removes), 2);
	CHECK_EQ(atomic_load(&refuser.removes), 0);
	CHECK_EQ(atomic_load(&first.removes), 2);
	CHECK_EQ(atomic_load(&second.removes), 1);
	CHECK_EQ(atomic_load(&nocb.removes), 1);
	return t_done();
}
