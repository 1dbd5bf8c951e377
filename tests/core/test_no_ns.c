/* A loopback without the name service: address 53 is an ordinary address, nothing is
 * announced, and messages to 53 are plain data. */
#include <rpmsg/transport.h>

#include "core_util.h"

TDRV(srv)
TDRV(cli)

int main(void)
{
	struct rpmsg_loopback_config nons = { .mtu = 0, .depth = 0, .name_service = false };
	struct pair p;
	struct rec ra, r53;
	struct rpmsg_endpoint *ea, *e53;
	struct rpmsg_channel *ch;
	struct rpmsg_channel_info ci;
	unsigned char m[40];

	t_timeout(30);
	memset(&ra, 0, sizeof(ra));
	memset(&r53, 0, sizeof(r53));
	pair_open(&p, &nons);
	TDRV_INIT(srv, true, "svc");
	TDRV_INIT(cli, true, "svc");
	CHECK_EQ(rpmsg_register_driver(p.a, &srv.drv), 0);
	CHECK_EQ(rpmsg_register_driver(p.b, &cli.drv), 0);

	/* Defaults of a zeroed config. */
	ea = mkept(p.la, "", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, rec_cb, &ra);
	CHECK_EQ(rpmsg_get_mtu(ea), 496);
	for (int i = 0; i < 64; i++)
		CHECK_EQ(rpmsg_trysendto(ea, "x", 1, 9), 0);
	CHECK_EQ(rpmsg_trysendto(ea, "x", 1, 9), -EAGAIN);
	pump(&p);

	/* 53 is free on both sides, and gets raw data. */
	e53 = mkept(p.lb, "", RPMSG_NS_ADDR, RPMSG_ADDR_ANY, rec_cb, &r53);
	CHECK_EQ(rpmsg_ept_addr(e53), 53);
	mkept(p.la, "", RPMSG_NS_ADDR, RPMSG_ADDR_ANY, rec_cb, &ra);
	CHECK_EQ(rpmsg_ns_encode(m, "svc", 1500, RPMSG_NS_CREATE, false), 40);
	CHECK_EQ(rpmsg_sendto(ea, m, sizeof(m), RPMSG_NS_ADDR), 0);
	CHECK_EQ(pump(&p), 1);
	CHECK_EQ(atomic_load(&r53.count), 1);
	CHECK_EQ(r53.last_len, 40);
	CHECK_MEM(r53.last, m, 40);
	CHECK_EQ(nchannels(p.lb), 0);
	CHECK_EQ(atomic_load(&cli.probes), 0);

	/* A local service channel binds locally but is not announced. */
	ci = chinfo("svc", 1500, RPMSG_ADDR_ANY);
	CHECK_EQ(rpmsg_create_channel(p.la, &ci, &ch), 0);
	CHECK_EQ(atomic_load(&srv.probes), 1);
	CHECK_EQ(rpmsg_ept_addr(rpmsg_channel_ept(ch)), 1500);
	CHECK_EQ(pump(&p), 0);
	CHECK_EQ(nchannels(p.lb), 0);
	CHECK_EQ(rpmsg_release_channel(p.la, &ci), 0);
	CHECK_EQ(atomic_load(&srv.removes), 1);
	CHECK_EQ(pump(&p), 0);

	/* Endpoints talk as usual. */
	CHECK_EQ(rpmsg_sendto(e53, "back", 4, rpmsg_ept_addr(ea)), 0);
	CHECK_EQ(pump(&p), 1);
	CHECK_EQ(atomic_load(&ra.count), 1);
	CHECK_EQ(ra.last_src, 53);

	pair_close(&p);
	return t_done();
}
