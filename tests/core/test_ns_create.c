/* Name-service CREATE: a local service channel (src != ANY) bound by a driver with a callback
 * is announced; the peer gets a channel (name, dst = our endpoint) and probes its driver; the
 * two default endpoints can talk. Channels that must not be announced are not. */
#include "core_util.h"

TDRV(srv) /* on bus a: owns the local service */
TDRV(cli) /* on bus b: binds the announced channel */
TDRV(nocb)

int main(void)
{
	struct pair p;
	struct rpmsg_channel *ch = NULL;
	struct rpmsg_channel_info ci = chinfo("my-service", 1500, RPMSG_ADDR_ANY), got;
	struct rpmsg_endpoint *eb;

	t_timeout(30);
	pair_open(&p, NULL);
	TDRV_INIT(srv, true, "my-service", "quiet", "late");
	TDRV_INIT(cli, true, "my-service", "late", "unused");
	TDRV_INIT(nocb, false, "no-callback");
	CHECK_EQ(rpmsg_register_driver(p.a, &srv.drv), 0);
	CHECK_EQ(rpmsg_register_driver(p.a, &nocb.drv), 0);
	CHECK_EQ(rpmsg_register_driver(p.b, &cli.drv), 0);

	CHECK_EQ(rpmsg_create_channel(p.la, &ci, &ch), 0);
	CHECK(ch != NULL);
	CHECK_EQ(atomic_load(&srv.probes), 1);
	CHECK(srv.last_ch == ch);
	CHECK_EQ(srv.probed_ept_addr, 1500); /* the default endpoint exists during probe */
	CHECK_EQ(rpmsg_ept_addr(rpmsg_channel_ept(ch)), 1500);
	CHECK_EQ(rpmsg_channel_info(ch)->src, 1500);
	CHECK(!strcmp(rpmsg_channel_info(ch)->name, "my-service"));
	CHECK(rpmsg_channel_link(ch) == p.la);
	CHECK(rpmsg_channel_drvdata(ch) == &srv);

	/* Nothing reaches b before it polls; then exactly one channel with our address. */
	CHECK_EQ(nchannels(p.lb), 0);
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 1);
	CHECK_EQ(nchannels(p.lb), 1);
	CHECK(find_channel(p.lb, "my-service", 1500, &got));
	CHECK_EQ(got.dst, 1500);
	CHECK_EQ(got.src, 1024); /* b's driver bound it with a dynamic address */
	CHECK_EQ(atomic_load(&cli.probes), 1);
	CHECK_EQ(cli.probed_info.dst, 1500);
	CHECK_EQ(cli.probed_ept_addr, 1024);
	eb = rpmsg_channel_ept(cli.last_ch);
	CHECK(eb != NULL);
	CHECK_EQ(rpmsg_ept_dst(eb), 1500);
	CHECK(rpmsg_channel_link(cli.last_ch) == p.lb);

	/* The two default endpoints talk: b first (a learns b's address), then a answers. */
	CHECK_EQ(rpmsg_send(eb, "ping", 4), 0);
	CHECK_EQ(rpmsg_bus_poll(p.a, 0), 1);
	CHECK_EQ(atomic_load(&srv.rx.count), 1);
	CHECK_EQ(srv.rx.last_src, 1024);
	CHECK_MEM(srv.rx.last, "ping", 4);
	CHECK(srv.rx.last_ept == rpmsg_channel_ept(ch));
	CHECK_EQ(rpmsg_send(rpmsg_channel_ept(ch), "pong", 4), 0);
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 1);
	CHECK_EQ(atomic_load(&cli.rx.count), 1);
	CHECK_MEM(cli.rx.last, "pong", 4);
	CHECK_EQ(cli.rx.last_src, 1500);

	/* Not announced: src = ANY (a client channel), ... */
	{
		struct rpmsg_channel_info q = chinfo("quiet", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY);
		struct rpmsg_channel *qch = NULL;

		CHECK_EQ(rpmsg_create_channel(p.la, &q, &qch), 0);
		CHECK_EQ(atomic_load(&srv.probes), 2);
		CHECK(rpmsg_channel_ept(qch) != NULL);
		CHECK_EQ(pump(&p), 0);
		CHECK(!find_channel(p.lb, "quiet", RPMSG_ADDR_ANY, NULL));
	}
	/* ... a driver without callback (no endpoint to announce), ... */
	{
		struct rpmsg_channel_info q = chinfo("no-callback", 1600, RPMSG_ADDR_ANY);
		struct rpmsg_channel *qch = NULL;

		CHECK_EQ(rpmsg_create_channel(p.la, &q, &qch), 0);
		CHECK_EQ(atomic_load(&nocb.probes), 1);
		CHECK(rpmsg_channel_ept(qch) == NULL);
		CHECK_EQ(pump(&p), 0);
		CHECK(!find_channel(p.lb, "no-callback", RPMSG_ADDR_ANY, NULL));
	}
	/* ... no driver at all: announced later, when one binds. */
	{
		struct rpmsg_channel_info q = chinfo("late", 1700, RPMSG_ADDR_ANY);
		struct rpmsg_channel_info u = chinfo("unbound", 1800, RPMSG_ADDR_ANY);

		CHECK_EQ(rpmsg_create_channel(p.la, &u, NULL), 0);
		CHECK_EQ(pump(&p), 0);
		CHECK(!find_channel(p.lb, "unbound", RPMSG_ADDR_ANY, NULL));

		rpmsg_unregister_driver(p.a, &srv.drv);
		CHECK_EQ(pump(&p), 1); /* "my-service" was withdrawn (NS DESTROY) */
		CHECK_EQ(rpmsg_create_channel(p.la, &q, NULL), 0);
		CHECK_EQ(pump(&p), 0);
		CHECK(!find_channel(p.lb, "late", RPMSG_ADDR_ANY, NULL));
		CHECK_EQ(rpmsg_register_driver(p.a, &srv.drv), 0); /* binds 3 channels, announces 2 */
		CHECK_EQ(rpmsg_bus_poll(p.b, 0), 2);
		CHECK(find_channel(p.lb, "late", 1700, NULL));
		CHECK(find_channel(p.lb, "my-service", 1500, NULL));
		CHECK_EQ(nchannels(p.lb), 2);
		CHECK_EQ(atomic_load(&cli.probes), 3);
	}

	/* An announced endpoint of a channel is the one at the address given. */
	CHECK(find_channel(p.la, "my-service", RPMSG_ADDR_ANY, &got));
	CHECK_EQ(got.src, 1500);

	pair_close(&p);
	CHECK_EQ(atomic_load(&srv.removes), atomic_load(&srv.probes));
	CHECK_EQ(atomic_load(&cli.removes), atomic_load(&cli.probes));
	return t_done();
}
