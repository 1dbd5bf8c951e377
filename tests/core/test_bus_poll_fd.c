/* rpmsg_bus_fd is readable exactly while rpmsg_bus_poll has work; poll(0) does not wait;
 * poll with a timeout returns 0 when nothing comes. */
#include <poll.h>

#include "core_util.h"

static int readable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n = poll(&pfd, 1, timeout_ms);

	return n > 0 && (pfd.revents & POLLIN);
}

int main(void)
{
	struct pair p;
	struct rec rb;
	struct rpmsg_endpoint *ea, *eb;
	int fda, fdb;

	t_timeout(30);
	memset(&rb, 0, sizeof(rb));
	pair_open(&p, NULL);
	ea = mkept(p.la, "", RPMSG_ADDR_ANY, 2000, rec_cb, &rb);
	eb = mkept(p.lb, "", 2000, RPMSG_ADDR_ANY, rec_cb, &rb);
	fda = rpmsg_bus_fd(p.a);
	fdb = rpmsg_bus_fd(p.b);
	CHECK(fda >= 0);
	CHECK(fdb >= 0);
	CHECK(fda != fdb);
	CHECK_EQ(rpmsg_bus_fd(p.b), fdb); /* stable */

	/* Idle. */
	CHECK(!readable(fdb, 0));
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 0);
	CHECK_EQ(rpmsg_bus_poll(p.b, 30), 0);

	/* A message makes b's fd readable (not a's); handling it makes it quiet again. */
	CHECK_EQ(rpmsg_send(ea, "m", 1), 0);
	CHECK(readable(fdb, 1000));
	CHECK(!readable(fda, 0));
	CHECK(readable(fdb, 0)); /* still, until handled */
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 1);
	CHECK_EQ(atomic_load(&rb.count), 1);
	CHECK(!readable(fdb, 0));
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 0);

	/* Several messages: one wake-up is enough to handle them all. */
	for (int i = 0; i < 5; i++)
		CHECK_EQ(rpmsg_send(ea, "m", 1), 0);
	CHECK(readable(fdb, 1000));
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 5);
	CHECK(!readable(fdb, 0));

	/* A full queue's worth (the loopback handles at most a queue depth per call, then stays
	 * readable for the rest). */
	for (int i = 0; i < 64; i++)
		CHECK_EQ(rpmsg_trysend(ea, &i, sizeof(i)), 0);
	CHECK(readable(fdb, 1000));
	CHECK(rpmsg_bus_poll(p.b, 0) > 0);
	while (rpmsg_bus_poll(p.b, 0) > 0)
		;
	CHECK_EQ(atomic_load(&rb.count), 70);
	CHECK(!readable(fdb, 0));

	/* Timeouts: nothing pending -> 0 after the wait; pending -> handled without waiting. */
	CHECK_EQ(rpmsg_bus_poll(p.b, 50), 0);
	CHECK_EQ(rpmsg_send(ea, "m", 1), 0);
	CHECK_EQ(rpmsg_bus_poll(p.b, 5000), 1);
	CHECK_EQ(rpmsg_send(ea, "m", 1), 0);
	CHECK_EQ(rpmsg_bus_poll(p.b, -1), 1);

	/* The other direction, and name-service traffic, also wake the right bus. */
	CHECK_EQ(rpmsg_send(eb, "r", 1), 0);
	CHECK(readable(fda, 1000));
	CHECK(!readable(fdb, 0));
	CHECK_EQ(rpmsg_bus_poll(p.a, 0), 1);
	{
		struct rpmsg_endpoint *named = mkept(p.la, "svc", 1500, RPMSG_ADDR_ANY, rec_cb, &rb);

		CHECK_EQ(rpmsg_ept_announce(named), 0);
		CHECK(readable(fdb, 1000));
		CHECK_EQ(rpmsg_bus_poll(p.b, 0), 1);
		CHECK_EQ(nchannels(p.lb), 1);
		CHECK(!readable(fdb, 0));
	}

	/* A bus without links: poll and fd still behave. */
	{
		struct rpmsg_bus *lone;

		CHECK_EQ(rpmsg_bus_create(&lone), 0);
		CHECK(rpmsg_bus_fd(lone) >= 0);
		CHECK(!readable(rpmsg_bus_fd(lone), 0));
		CHECK_EQ(rpmsg_bus_poll(lone, 0), 0);
		CHECK_EQ(rpmsg_bus_poll(lone, 20), 0);
		rpmsg_bus_destroy(lone);
	}

	pair_close(&p);
	return t_done();
}
