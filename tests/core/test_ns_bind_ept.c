/* Name service and plain named endpoints (OpenAMP's rule): an endpoint with a service's name
 * still waiting for its peer (dst ANY) is bound to an announced address, and unbound on
 * DESTROY; endpoints bound elsewhere are left alone, and the DESTROY still removes exactly
 * the channel it names. */
#include <rpmsg/transport.h>

#include "core_util.h"

static struct pair p;
static struct rpmsg_endpoint *raw;

static void ns_send(const char *name, uint32_t addr, uint32_t flags)
{
	unsigned char m[40];

	CHECK_EQ(rpmsg_ns_encode(m, name, addr, flags, false), 40);
	CHECK_EQ(rpmsg_sendto(raw, m, sizeof(m), RPMSG_NS_ADDR), 0);
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 1);
}

int main(void)
{
	struct rec r;
	struct rpmsg_endpoint *waiting, *bound, *other;

	t_timeout(30);
	memset(&r, 0, sizeof(r));
	pair_open(&p, NULL);
	raw = mkept(p.la, "", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, rec_cb, &r);

	/* A waiting endpoint is bound by CREATE and unbound by DESTROY. */
	waiting = mkept(p.lb, "svc", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, rec_cb, &r);
	other = mkept(p.lb, "other", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, rec_cb, &r);
	ns_send("svc", 1500, RPMSG_NS_CREATE);
	CHECK_EQ(rpmsg_ept_dst(waiting), 1500);
	CHECK_EQ(rpmsg_ept_dst(other), RPMSG_ADDR_ANY);
	CHECK(find_channel(p.lb, "svc", 1500, NULL));
	/* A second announcement does not rebind it. */
	ns_send("svc", 1600, RPMSG_NS_CREATE);
	CHECK_EQ(rpmsg_ept_dst(waiting), 1500);
	CHECK_EQ(nchannels(p.lb), 2);
	/* DESTROY of the other address leaves it bound, and removes only that channel. */
	ns_send("svc", 1600, RPMSG_NS_DESTROY);
	CHECK_EQ(rpmsg_ept_dst(waiting), 1500);
	CHECK(find_channel(p.lb, "svc", 1500, NULL));
	CHECK(!find_channel(p.lb, "svc", 1600, NULL));
	ns_send("svc", 1500, RPMSG_NS_DESTROY);
	CHECK_EQ(rpmsg_ept_dst(waiting), RPMSG_ADDR_ANY);
	CHECK_EQ(nchannels(p.lb), 0);
	rpmsg_destroy_ept(waiting);

	/* An endpoint of that name bound to some other address must not disturb a DESTROY: the
	 * announced channel goes, the endpoint keeps its destination. */
	bound = mkept(p.lb, "svc", RPMSG_ADDR_ANY, 7777, rec_cb, &r);
	ns_send("svc", 1500, RPMSG_NS_CREATE);
	CHECK_EQ(rpmsg_ept_dst(bound), 7777);
	CHECK(find_channel(p.lb, "svc", 1500, NULL));
	ns_send("svc", 1500, RPMSG_NS_DESTROY);
	CHECK(!find_channel(p.lb, "svc", 1500, NULL));
	CHECK_EQ(nchannels(p.lb), 0);
	CHECK_EQ(rpmsg_ept_dst(bound), 7777);

	/* With a waiting endpoint around, DESTROY of one address must not remove a channel of
	 * another address. */
	ns_send("svc", 1500, RPMSG_NS_CREATE);
	waiting = mkept(p.lb, "svc", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, rec_cb, &r);
	ns_send("svc", 1600, RPMSG_NS_CREATE);
	CHECK_EQ(rpmsg_ept_dst(waiting), 1600);
	rpmsg_ept_set_dst(waiting, RPMSG_ADDR_ANY);
	ns_send("svc", 1600, RPMSG_NS_DESTROY);
	CHECK(find_channel(p.lb, "svc", 1500, NULL));
	CHECK(!find_channel(p.lb, "svc", 1600, NULL));
	CHECK_EQ(nchannels(p.lb), 1);
	CHECK_EQ(rpmsg_ept_dst(waiting), RPMSG_ADDR_ANY);
	CHECK_EQ(rpmsg_ept_dst(bound), 7777);

	/* The name service's own endpoint is not a named service endpoint to rebind. */
	ns_send("name_service", 4242, RPMSG_NS_DESTROY);
	ns_send("name_service", 4242, RPMSG_NS_CREATE);
	ns_send("svc", 1700, RPMSG_NS_CREATE);
	CHECK(find_channel(p.lb, "svc", 1700, NULL));

	/* A bound endpoint talks to the announcer. */
	{
		struct rec ra;
		struct rpmsg_endpoint *server;

		memset(&ra, 0, sizeof(ra));
		server = mkept(p.la, "echo", 1800, RPMSG_ADDR_ANY, rec_cb, &ra);
		waiting = mkept(p.lb, "echo", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, rec_cb, &r);
		CHECK_EQ(rpmsg_ept_announce(server), 0);
		CHECK_EQ(rpmsg_bus_poll(p.b, 0), 1);
		CHECK_EQ(rpmsg_ept_dst(waiting), 1800);
		CHECK_EQ(rpmsg_send(waiting, "hi", 2), 0);
		CHECK_EQ(rpmsg_bus_poll(p.a, 0), 1);
		CHECK_EQ(atomic_load(&ra.count), 1);
		CHECK_EQ(ra.last_src, rpmsg_ept_addr(waiting));
		rpmsg_destroy_ept(server); /* announced: says DESTROY */
		CHECK_EQ(rpmsg_bus_poll(p.b, 0), 1);
		CHECK_EQ(rpmsg_ept_dst(waiting), RPMSG_ADDR_ANY);
		CHECK(!find_channel(p.lb, "echo", RPMSG_ADDR_ANY, NULL));
	}

	pair_close(&p);
	return t_done();
}
