/* Tearing one side down: its drivers are removed, the peer's link is no longer up and its
 * sends fail with -EPIPE, what was sent before the teardown is still delivered; destroying a
 * bus with everything still in place frees it all (ASan checks for leaks). */
#include "core_util.h"

TDRV(srv)
TDRV(cli)
TDRV(local)

int main(void)
{
	struct pair p;
	struct rec ra, rb;
	struct rpmsg_endpoint *ea, *eb, *cli_ept;
	struct rpmsg_channel_info ci;
	struct rpmsg_link *links[4];

	t_timeout(30);
	memset(&ra, 0, sizeof(ra));
	memset(&rb, 0, sizeof(rb));
	pair_open(&p, NULL);
	TDRV_INIT(srv, true, "svc");
	TDRV_INIT(cli, true, "svc");
	TDRV_INIT(local, false, "local");
	CHECK_EQ(rpmsg_register_driver(p.a, &srv.drv), 0);
	CHECK_EQ(rpmsg_register_driver(p.a, &local.drv), 0);
	CHECK_EQ(rpmsg_register_driver(p.b, &cli.drv), 0);
	ci = chinfo("svc", 1500, RPMSG_ADDR_ANY);
	CHECK_EQ(rpmsg_create_channel(p.la, &ci, NULL), 0);
	ci = chinfo("local", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY);
	CHECK_EQ(rpmsg_create_channel(p.la, &ci, NULL), 0);
	ea = mkept(p.la, "", 2000, 3000, rec_cb, &ra);
	eb = mkept(p.lb, "", 3000, 2000, rec_cb, &rb);
	CHECK_EQ(pump(&p), 1);
	CHECK_EQ(atomic_load(&cli.probes), 1);
	cli_ept = rpmsg_channel_ept(cli.last_ch);
	CHECK(rpmsg_link_is_up(p.la));
	CHECK(rpmsg_link_is_up(p.lb));

	/* Last words from a, then a's side goes. */
	CHECK_EQ(rpmsg_send(ea, "last", 4), 0);
	rpmsg_link_destroy(p.la);
	p.la = NULL;
	CHECK_EQ(atomic_load(&srv.removes), 1);
	CHECK_EQ(atomic_load(&local.removes), 1);
	CHECK_EQ(rpmsg_bus_links(p.a, NULL, 0), 0);

	/* b's link is down; sends fail with -EPIPE; nothing blocks. */
	CHECK(!rpmsg_link_is_up(p.lb));
	CHECK_EQ(rpmsg_send(eb, "x", 1), -EPIPE);
	CHECK_EQ(rpmsg_trysend(eb, "x", 1), -EPIPE);
	CHECK_EQ(rpmsg_sendto(eb, "x", 1, 2000), -EPIPE);
	CHECK_EQ(rpmsg_send_timeout(eb, 3000, 2000, "x", 1, -1), -EPIPE);
	CHECK_EQ(rpmsg_send(cli_ept, "x", 1), -EPIPE);
	/* Oversized is still oversized. */
	{
		unsigned char big[600] = { 0 };

		CHECK_EQ(rpmsg_send(eb, big, sizeof(big)), -EMSGSIZE);
	}

	/* What a sent before going is delivered: its message and the NS DESTROY of "svc". */
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 2);
	CHECK_EQ(atomic_load(&rb.count), 1);
	CHECK_MEM(rb.last, "last", 4);
	CHECK_EQ(atomic_load(&cli.removes), 1);
	CHECK_EQ(nchannels(p.lb), 0);
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 0);
	CHECK_EQ(atomic_load(&ra.count), 0);

	/* b can still manage its own endpoints and channels on the dead link. */
	{
		struct rpmsg_endpoint *e = mkept(p.lb, "", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, rec_cb, &rb);

		rpmsg_destroy_ept(e);
		ci = chinfo("svc", RPMSG_ADDR_ANY, 77);
		CHECK_EQ(rpmsg_create_channel(p.lb, &ci, NULL), 0);
		CHECK_EQ(atomic_load(&cli.probes), 2);
		CHECK_EQ(rpmsg_release_channel(p.lb, &ci), 0);
		CHECK_EQ(atomic_load(&cli.removes), 2);
	}
	rpmsg_destroy_ept(eb);
	CHECK_EQ(rpmsg_bus_links(p.b, links, 4), 1);
	rpmsg_link_destroy(p.lb);
	CHECK_EQ(rpmsg_bus_links(p.b, links, 4), 0);
	pair_close(&p);

	/* Destroying whole buses with everything in place: endpoints, channels, drivers, queued
	 * messages in both directions, a running helper thread. */
	pair_open(&p, NULL);
	memset(&srv, 0, sizeof(srv));
	TDRV_INIT(srv, true, "svc");
	TDRV_INIT(cli, true, "svc");
	CHECK_EQ(rpmsg_register_driver(p.a, &srv.drv), 0);
	CHECK_EQ(rpmsg_register_driver(p.b, &cli.drv), 0);
	ci = chinfo("svc", 1500, RPMSG_ADDR_ANY);
	CHECK_EQ(rpmsg_create_channel(p.la, &ci, NULL), 0);
	CHECK_EQ(pump(&p), 1);
	ea = mkept(p.la, "named", 2000, 3000, rec_cb, &ra);
	CHECK_EQ(rpmsg_ept_announce(ea), 0);
	eb = mkept(p.lb, "", 3000, 2000, rec_cb, &rb);
	for (int i = 0; i < 10; i++) {
		CHECK_EQ(rpmsg_send(ea, "q", 1), 0);
		CHECK_EQ(rpmsg_send(eb, "q", 1), 0);
	}
	CHECK_EQ(rpmsg_bus_start_thread(p.a), 0);
	rpmsg_bus_destroy(p.b); /* b first this time */
	CHECK_EQ(atomic_load(&cli.removes), 1);
	CHECK_EQ(rpmsg_send(ea, "q", 1), -EPIPE);
	CHECK(!rpmsg_link_is_up(p.la));
	rpmsg_bus_destroy(p.a);
	CHECK_EQ(atomic_load(&srv.removes), 1);
	return t_done();
}
