/* rpmsg_ept_announce: NS CREATE with the endpoint's name and address; destroying it then
 * sends NS DESTROY. Refused without a name or without a name service. */
#include "core_util.h"

TDRV(cli)

int main(void)
{
	struct rpmsg_loopback_config nons = { .mtu = 0, .depth = 0, .name_service = false };
	struct pair p;
	struct rec ra, rb;
	struct rpmsg_endpoint *server, *plain, *quiet;
	struct rpmsg_channel_info got;

	t_timeout(30);
	memset(&ra, 0, sizeof(ra));
	memset(&rb, 0, sizeof(rb));
	pair_open(&p, NULL);
	TDRV_INIT(cli, true, "echo");
	CHECK_EQ(rpmsg_register_driver(p.b, &cli.drv), 0);

	server = mkept(p.la, "echo", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, rec_cb, &ra);
	CHECK_EQ(rpmsg_ept_addr(server), 1024);
	CHECK_EQ(rpmsg_ept_announce(server), 0);
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 1);
	CHECK(find_channel(p.lb, "echo", 1024, &got));
	CHECK_EQ(atomic_load(&cli.probes), 1);

	/* The peer's driver and the announced endpoint talk. */
	CHECK_EQ(rpmsg_send(rpmsg_channel_ept(cli.last_ch), "hi", 2), 0);
	CHECK_EQ(rpmsg_bus_poll(p.a, 0), 1);
	CHECK_EQ(atomic_load(&ra.count), 1);
	CHECK_EQ(ra.last_src, got.src);
	CHECK_EQ(rpmsg_send(server, "yo", 2), 0); /* dst learned */
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 1);
	CHECK_EQ(atomic_load(&cli.rx.count), 1);

	/* Destroy withdraws it. */
	rpmsg_destroy_ept(server);
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 1);
	CHECK(!find_channel(p.lb, "echo", RPMSG_ADDR_ANY, NULL));
	CHECK_EQ(atomic_load(&cli.removes), 1);

	/* Not announced: destroy says nothing. */
	quiet = mkept(p.la, "echo", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, rec_cb, &ra);
	rpmsg_destroy_ept(quiet);
	CHECK_EQ(pump(&p), 0);

	/* No name. */
	plain = mkept(p.la, "", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, rec_cb, &ra);
	CHECK_EQ(rpmsg_ept_announce(plain), -EINVAL);
	CHECK_EQ(rpmsg_ept_announce(NULL), -EINVAL);
	CHECK_EQ(pump(&p), 0);
	rpmsg_destroy_ept(plain);

	/* Two announced endpoints of one name: two channels on the peer. */
	server = mkept(p.la, "echo", 4000, RPMSG_ADDR_ANY, rec_cb, &ra);
	quiet = mkept(p.la, "echo", 4001, RPMSG_ADDR_ANY, rec_cb, &ra);
	CHECK_EQ(rpmsg_ept_announce(server), 0);
	CHECK_EQ(rpmsg_ept_announce(quiet), 0);
	CHECK_EQ(pump(&p), 2);
	CHECK_EQ(nchannels(p.lb), 2);
	rpmsg_destroy_ept(quiet);
	CHECK_EQ(pump(&p), 1);
	CHECK(find_channel(p.lb, "echo", 4000, NULL));
	CHECK(!find_channel(p.lb, "echo", 4001, NULL));
	pair_close(&p);

	/* Without a name service. */
	pair_open(&p, &nons);
	server = mkept(p.la, "echo", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, rec_cb, &ra);
	CHECK_EQ(rpmsg_ept_announce(server), -EOPNOTSUPP);
	rpmsg_destroy_ept(server);
	CHECK_EQ(pump(&p), 0);
	pair_close(&p);
	return t_done();
}
