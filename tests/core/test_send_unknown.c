/* A message to an address with no endpoint is dropped: no callback runs anywhere, and the
 * bus keeps working (also after many such messages). */
#include "core_util.h"

int main(void)
{
	struct pair p;
	struct rec ra, rb, rc;
	struct rpmsg_endpoint *ea, *eb, *ec;
	int n;

	t_timeout(30);
	memset(&ra, 0, sizeof(ra));
	memset(&rb, 0, sizeof(rb));
	memset(&rc, 0, sizeof(rc));
	pair_open(&p, NULL);
	ea = mkept(p.la, "", RPMSG_ADDR_ANY, 2000, rec_cb, &ra);
	eb = mkept(p.lb, "", 2000, RPMSG_ADDR_ANY, rec_cb, &rb);
	ec = mkept(p.lb, "", 7, RPMSG_ADDR_ANY, rec_cb, &rc);

	CHECK_EQ(rpmsg_sendto(ea, "lost", 4, 3000), 0);  /* sending succeeds: it is a datagram */
	CHECK_EQ(rpmsg_sendto(ea, "lost", 4, 8), 0);     /* reserved, unbound */
	CHECK_EQ(rpmsg_sendto(ea, "lost", 4, 1024), 0);  /* bound on a, not on b */
	CHECK_EQ(rpmsg_sendto(ea, "lost", 4, RPMSG_ADDR_MAX), 0);
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 4);              /* handled (dropped) */
	CHECK_EQ(pump(&p), 0);
	CHECK_EQ(atomic_load(&ra.count), 0);
	CHECK_EQ(atomic_load(&rb.count), 0);
	CHECK_EQ(atomic_load(&rc.count), 0);
	/* A dropped message teaches nothing. */
	CHECK_EQ(rpmsg_ept_dst(eb), RPMSG_ADDR_ANY);

	/* The bus still works, for known addresses interleaved with unknown ones. */
	CHECK_EQ(rpmsg_sendto(ea, "x", 1, 3000), 0);
	CHECK_EQ(rpmsg_send(ea, "ok", 2), 0);
	CHECK_EQ(rpmsg_sendto(ea, "x", 1, 3001), 0);
	CHECK_EQ(rpmsg_sendto(ea, "seven", 5, 7), 0);
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 4);
	CHECK_EQ(atomic_load(&rb.count), 1);
	CHECK_MEM(rb.last, "ok", 2);
	CHECK_EQ(atomic_load(&rc.count), 1);
	CHECK_MEM(rc.last, "seven", 5);

	/* Many more unknown messages than the queue holds. */
	for (int i = 0; i < 1000; i++) {
		int ret;

		while ((ret = rpmsg_trysendto(ea, &i, sizeof(i), 5000 + (uint32_t)i)) == -EAGAIN)
			rpmsg_bus_poll(p.b, 0);
		CHECK_EQ(ret, 0);
	}
	pump(&p);
	CHECK_EQ(atomic_load(&rb.count), 1);
	CHECK_EQ(atomic_load(&rc.count), 1);

	/* A destroyed endpoint's address is unknown again. */
	rpmsg_destroy_ept(ec);
	CHECK_EQ(rpmsg_sendto(ea, "gone", 4, 7), 0);
	CHECK_EQ(rpmsg_send(ea, "ok2", 3), 0);
	n = pump(&p);
	CHECK_EQ(n, 2);
	CHECK_EQ(atomic_load(&rc.count), 1);
	CHECK_EQ(atomic_load(&rb.count), 2);
	CHECK_MEM(rb.last, "ok2", 3);

	/* And the reverse direction too. */
	CHECK_EQ(rpmsg_sendto(eb, "nobody", 6, 4444), 0);
	CHECK_EQ(rpmsg_sendto(eb, "you", 3, rpmsg_ept_addr(ea)), 0);
	CHECK_EQ(rpmsg_bus_poll(p.a, 0), 2);
	CHECK_EQ(atomic_load(&ra.count), 1);
	CHECK_MEM(ra.last, "you", 3);

	rpmsg_destroy_ept(ea);
	rpmsg_destroy_ept(eb);
	pair_close(&p);
	return t_done();
}
