/* The per-link endpoint limit: -ENOSPC beyond it, room again after a destroy, -EBUSY when
 * lowering it below the current count; the default limit is RPMSG_MAX_ENDPOINTS. */
#include "core_util.h"

TDRV(drv)

static int try_create(struct rpmsg_link *link, uint32_t src, struct rpmsg_endpoint **out)
{
	static struct rec r;
	struct rpmsg_channel_info info = chinfo("", src, RPMSG_ADDR_ANY);

	*out = NULL;
	return rpmsg_create_ept(link, &info, rec_cb, &r, out);
}

int main(void)
{
	struct rpmsg_loopback_config nons = { .mtu = 0, .depth = 0, .name_service = false };
	struct pair p;
	struct rpmsg_endpoint *e[16], *x;
	static struct rpmsg_endpoint *big[RPMSG_MAX_ENDPOINTS + 1];
	int n;

	t_timeout(60);
	pair_open(&p, &nons);

	CHECK_EQ(rpmsg_link_set_max_endpoints(p.la, 8), 0);
	for (int i = 0; i < 8; i++)
		CHECK_EQ(try_create(p.la, RPMSG_ADDR_ANY, &e[i]), 0);
	CHECK_EQ(try_create(p.la, RPMSG_ADDR_ANY, &x), -ENOSPC);
	CHECK(x == NULL);
	CHECK_EQ(try_create(p.la, 3000, &x), -ENOSPC);     /* explicit addresses count too */
	CHECK_EQ(try_create(p.la, 5, &x), -ENOSPC);
	/* The limit is per link: the other side is not affected. */
	CHECK_EQ(try_create(p.lb, RPMSG_ADDR_ANY, &x), 0);
	rpmsg_destroy_ept(x);

	/* Destroying one makes room for exactly one. */
	rpmsg_destroy_ept(e[3]);
	CHECK_EQ(try_create(p.la, RPMSG_ADDR_ANY, &e[3]), 0);
	CHECK_EQ(rpmsg_ept_addr(e[3]), 1027);
	CHECK_EQ(try_create(p.la, RPMSG_ADDR_ANY, &x), -ENOSPC);

	/* Lowering below the count is refused and changes nothing; equal is fine. */
	CHECK_EQ(rpmsg_link_set_max_endpoints(p.la, 7), -EBUSY);
	CHECK_EQ(rpmsg_link_set_max_endpoints(p.la, 1), -EBUSY);
	CHECK_EQ(try_create(p.la, RPMSG_ADDR_ANY, &x), -ENOSPC);
	CHECK_EQ(rpmsg_link_set_max_endpoints(p.la, 8), 0);
	CHECK_EQ(rpmsg_link_set_max_endpoints(p.la, 0), -EINVAL);
	CHECK_EQ(rpmsg_link_set_max_endpoints(NULL, 8), -EINVAL);

	/* A driver's default endpoint counts as well: with no room the channel stays unbound and
	 * probe is not called (the endpoint is created before probe). */
	TDRV_INIT(drv, true, "svc");
	CHECK_EQ(rpmsg_register_driver(p.a, &drv.drv), 0);
	{
		struct rpmsg_channel_info ci = chinfo("svc", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY);
		struct rpmsg_channel *ch = NULL;

		CHECK_EQ(rpmsg_create_channel(p.la, &ci, &ch), 0);
		CHECK(ch != NULL);
		CHECK_EQ(atomic_load(&drv.probes), 0);
		CHECK(rpmsg_channel_ept(ch) == NULL);
		CHECK_EQ(rpmsg_release_channel(p.la, &ci), 0);
		/* With room it binds. */
		rpmsg_destroy_ept(e[0]);
		e[0] = NULL;
		CHECK_EQ(rpmsg_create_channel(p.la, &ci, &ch), 0);
		CHECK_EQ(atomic_load(&drv.probes), 1);
		CHECK_EQ(rpmsg_ept_addr(rpmsg_channel_ept(ch)), 1024);
		CHECK_EQ(try_create(p.la, RPMSG_ADDR_ANY, &x), -ENOSPC);
		CHECK_EQ(rpmsg_release_channel(p.la, &ci), 0);
		CHECK_EQ(atomic_load(&drv.removes), 1);
	}

	/* Raising the limit works with endpoints present. */
	CHECK_EQ(rpmsg_link_set_max_endpoints(p.la, 10), 0);
	CHECK_EQ(try_create(p.la, RPMSG_ADDR_ANY, &e[0]), 0);
	CHECK_EQ(try_create(p.la, RPMSG_ADDR_ANY, &e[8]), 0);
	CHECK_EQ(try_create(p.la, RPMSG_ADDR_ANY, &e[9]), 0);
	CHECK_EQ(try_create(p.la, RPMSG_ADDR_ANY, &x), -ENOSPC);
	for (int i = 0; i < 10; i++)
		rpmsg_destroy_ept(e[i]);

	/* On a link with the name service, its endpoint (53) is one of the link's endpoints. */
	pair_close(&p);
	pair_open(&p, NULL);
	CHECK_EQ(rpmsg_link_set_max_endpoints(p.lb, 3), 0);
	CHECK_EQ(try_create(p.lb, RPMSG_ADDR_ANY, &e[0]), 0);
	CHECK_EQ(try_create(p.lb, RPMSG_ADDR_ANY, &e[1]), 0);
	CHECK_EQ(try_create(p.lb, RPMSG_ADDR_ANY, &x), -ENOSPC);
	CHECK_EQ(rpmsg_link_set_max_endpoints(p.lb, 2), -EBUSY);

	/* The default limit. */
	pair_close(&p);
	pair_open(&p, &nons);
	for (n = 0; n <= RPMSG_MAX_ENDPOINTS; n++)
		if (try_create(p.lb, RPMSG_ADDR_ANY, &big[n]))
			break;
	CHECK_EQ(n, RPMSG_MAX_ENDPOINTS);
	CHECK_EQ(try_create(p.lb, RPMSG_ADDR_ANY, &x), -ENOSPC);
	CHECK_EQ(rpmsg_ept_addr(big[RPMSG_MAX_ENDPOINTS - 1]), 1024 + RPMSG_MAX_ENDPOINTS - 1);
	rpmsg_destroy_ept(big[100]);
	CHECK_EQ(try_create(p.lb, RPMSG_ADDR_ANY, &big[100]), 0);
	CHECK_EQ(rpmsg_ept_addr(big[100]), 1124);

	pair_close(&p);
	return t_done();
}
