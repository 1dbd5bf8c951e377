/* Destroying endpoints and releasing channels from inside receive callbacks: the endpoint
 * destroying itself gets no further callback, later messages to its address are dropped,
 * and the address can be reused. */
#include "core_util.h"

static struct pair p;
static int self_calls, victim_calls, killer_calls;
static struct rpmsg_endpoint *victim;

static int self_destroy(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src,
			void *priv)
{
	self_calls++;
	rpmsg_destroy_ept(ept);
	return 0;
}

static int victim_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src,
		     void *priv)
{
	victim_calls++;
	return 0;
}

static int killer_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src,
		     void *priv)
{
	killer_calls++;
	rpmsg_destroy_ept(victim);
	victim = NULL;
	return 0;
}

/* A driver whose callback releases its own channel on "bye". */
static int drv_calls, drv_removes;
static int bye_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	drv_calls++;
	if (len == 3 && !memcmp(data, "bye", 3)) {
		struct rpmsg_channel_info ci = chinfo("byebye", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY);

		CHECK_EQ(rpmsg_release_channel(p.lb, &ci), 0);
		/* The endpoint is destroyed but this callback may finish. */
		CHECK(data != NULL);
	}
	return 0;
}

static void bye_remove(struct rpmsg_channel *ch)
{
	drv_removes++;
}

int main(void)
{
	static const char *const ids[] = { "byebye", NULL };
	struct rpmsg_driver drv = { .name = "bye", .id_table = ids, .remove = bye_remove,
				    .callback = bye_cb };
	struct rpmsg_endpoint *ea, *e, *killer;
	struct rec r;

	t_timeout(30);
	memset(&r, 0, sizeof(r));
	pair_open(&p, NULL);
	ea = mkept(p.la, "", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, rec_cb, &r);

	/* Self-destruction: three messages queued, the first callback destroys the endpoint. */
	e = mkept(p.lb, "", 2000, RPMSG_ADDR_ANY, self_destroy, NULL);
	(void)e;
	for (int i = 0; i < 3; i++)
		CHECK_EQ(rpmsg_sendto(ea, &i, sizeof(i), 2000), 0);
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 3);
	CHECK_EQ(self_calls, 1);
	CHECK_EQ(rpmsg_sendto(ea, "late", 4, 2000), 0);
	CHECK_EQ(pump(&p), 1);
	CHECK_EQ(self_calls, 1);
	/* The address is free again, and a new endpoint there gets only new messages. */
	{
		struct rec r2;
		struct rpmsg_endpoint *e2;

		memset(&r2, 0, sizeof(r2));
		e2 = mkept(p.lb, "", 2000, RPMSG_ADDR_ANY, rec_cb, &r2);
		CHECK_EQ(rpmsg_sendto(ea, "new", 3, 2000), 0);
		CHECK_EQ(pump(&p), 1);
		CHECK_EQ(atomic_load(&r2.count), 1);
		CHECK_MEM(r2.last, "new", 3);
		CHECK_EQ(self_calls, 1);
		rpmsg_destroy_ept(e2);
	}

	/* Dynamic addresses: destroyed in its callback, 1024 is handed out again. */
	e = mkept(p.lb, "", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, self_destroy, NULL);
	CHECK_EQ(rpmsg_ept_addr(e), 1024);
	CHECK_EQ(rpmsg_sendto(ea, "x", 1, 1024), 0);
	CHECK_EQ(pump(&p), 1);
	CHECK_EQ(self_calls, 2);
	e = mkept(p.lb, "", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, victim_cb, NULL);
	CHECK_EQ(rpmsg_ept_addr(e), 1024);
	rpmsg_destroy_ept(e);

	/* One callback destroys another endpoint whose messages are queued behind. */
	victim = mkept(p.lb, "", 3000, RPMSG_ADDR_ANY, victim_cb, NULL);
	killer = mkept(p.lb, "", 3001, RPMSG_ADDR_ANY, killer_cb, NULL);
	CHECK_EQ(rpmsg_sendto(ea, "v", 1, 3000), 0);
	CHECK_EQ(rpmsg_sendto(ea, "k", 1, 3001), 0);
	CHECK_EQ(rpmsg_sendto(ea, "v", 1, 3000), 0);
	CHECK_EQ(rpmsg_sendto(ea, "v", 1, 3000), 0);
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 4);
	CHECK_EQ(victim_calls, 1);
	CHECK_EQ(killer_calls, 1);
	rpmsg_destroy_ept(killer);

	/* A driver's callback releases its own channel. */
	CHECK_EQ(rpmsg_register_driver(p.b, &drv), 0);
	{
		struct rpmsg_channel_info ci = chinfo("byebye", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY);
		struct rpmsg_channel *ch;
		uint32_t addr;

		CHECK_EQ(rpmsg_create_channel(p.lb, &ci, &ch), 0);
		addr = rpmsg_ept_addr(rpmsg_channel_ept(ch));
		CHECK_EQ(rpmsg_sendto(ea, "hi", 2, addr), 0);
		CHECK_EQ(rpmsg_sendto(ea, "bye", 3, addr), 0);
		CHECK_EQ(rpmsg_sendto(ea, "after", 5, addr), 0);
		CHECK_EQ(rpmsg_bus_poll(p.b, 0), 3);
		CHECK_EQ(drv_calls, 2);
		CHECK_EQ(drv_removes, 1);
		CHECK_EQ(nchannels(p.lb), 0);
	}

	CHECK_EQ(atomic_load(&r.count), 0);
	pair_close(&p);
	CHECK_EQ(drv_removes, 1);
	return t_done();
}
