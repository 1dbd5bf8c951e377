/* Endpoint addresses: ANY takes the lowest free address from 1024; explicit addresses are bound
 * exactly (reserved ones too, but those are never handed out); duplicates and out-of-range
 * addresses are refused. */
#include "core_util.h"

static int create(struct rpmsg_link *link, uint32_t src, struct rpmsg_endpoint **out,
		  struct rec *r)
{
	struct rpmsg_channel_info info = chinfo("", src, RPMSG_ADDR_ANY);

	*out = NULL;
	return rpmsg_create_ept(link, &info, rec_cb, r, out);
}

int main(void)
{
	struct pair p;
	struct rec r;
	struct rpmsg_endpoint *e[8], *x = NULL, *sender;
	struct rpmsg_channel_info info = chinfo("", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY);
	uint32_t seen[8];

	t_timeout(30);
	memset(&r, 0, sizeof(r));
	pair_open(&p, NULL);

	/* ANY: 1024, 1025, 1026 in order. */
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(create(p.lb, RPMSG_ADDR_ANY, &e[i], &r), 0);
		CHECK_EQ(rpmsg_ept_addr(e[i]), 1024 + i);
		CHECK(rpmsg_ept_link(e[i]) == p.lb);
		CHECK_EQ(rpmsg_ept_dst(e[i]), RPMSG_ADDR_ANY);
	}
	/* A freed address is the lowest free one again. */
	rpmsg_destroy_ept(e[1]);
	CHECK_EQ(create(p.lb, RPMSG_ADDR_ANY, &e[1], &r), 0);
	CHECK_EQ(rpmsg_ept_addr(e[1]), 1025);

	/* Explicit addresses are bound exactly and skipped by the allocator. */
	CHECK_EQ(create(p.lb, 5000, &e[3], &r), 0);
	CHECK_EQ(rpmsg_ept_addr(e[3]), 5000);
	CHECK_EQ(create(p.lb, 1028, &e[4], &r), 0);
	CHECK_EQ(rpmsg_ept_addr(e[4]), 1028);
	CHECK_EQ(create(p.lb, RPMSG_ADDR_ANY, &e[5], &r), 0);
	CHECK_EQ(rpmsg_ept_addr(e[5]), 1027);
	CHECK_EQ(create(p.lb, RPMSG_ADDR_ANY, &e[6], &r), 0);
	CHECK_EQ(rpmsg_ept_addr(e[6]), 1029);

	/* Duplicates. */
	CHECK_EQ(create(p.lb, 5000, &x, &r), -EADDRINUSE);
	CHECK(x == NULL);
	CHECK_EQ(create(p.lb, 1024, &x, &r), -EADDRINUSE);
	/* The name service owns 53 on a link with the name service. */
	CHECK_EQ(create(p.lb, RPMSG_NS_ADDR, &x, &r), -EADDRINUSE);

	/* Reserved addresses (< 1024) are bindable explicitly, once. */
	CHECK_EQ(create(p.lb, 7, &e[7], &r), 0);
	CHECK_EQ(rpmsg_ept_addr(e[7]), 7);
	CHECK_EQ(create(p.lb, 7, &x, &r), -EADDRINUSE);
	CHECK_EQ(create(p.lb, 0, &x, &r), 0);
	CHECK_EQ(rpmsg_ept_addr(x), 0);
	rpmsg_destroy_ept(x);
	x = NULL;

	/* Out of range: above RPMSG_ADDR_MAX is refused, RPMSG_ADDR_MAX itself is fine. */
	CHECK_EQ(create(p.lb, 0x80000000u, &x, &r), -EINVAL);
	CHECK_EQ(create(p.lb, 0xFFFFFFFEu, &x, &r), -EINVAL);
	CHECK(x == NULL);
	CHECK_EQ(create(p.lb, RPMSG_ADDR_MAX, &x, &r), 0);
	CHECK_EQ(rpmsg_ept_addr(x), RPMSG_ADDR_MAX);

	/* Bad arguments. */
	{
		struct rpmsg_endpoint *y = NULL;

		CHECK_EQ(rpmsg_create_ept(NULL, &info, rec_cb, &r, &y), -EINVAL);
		CHECK_EQ(rpmsg_create_ept(p.lb, NULL, rec_cb, &r, &y), -EINVAL);
		CHECK_EQ(rpmsg_create_ept(p.lb, &info, NULL, &r, &y), -EINVAL);
		CHECK_EQ(rpmsg_create_ept(p.lb, &info, rec_cb, &r, NULL), -EINVAL);
		CHECK(y == NULL);
		CHECK_EQ(rpmsg_ept_addr(NULL), RPMSG_ADDR_ANY);
		CHECK_EQ(rpmsg_ept_dst(NULL), RPMSG_ADDR_ANY);
		CHECK(rpmsg_ept_link(NULL) == NULL);
		rpmsg_destroy_ept(NULL); /* ignored */
	}

	/* Every endpoint created above receives what is sent to its own address only. */
	sender = mkept(p.la, "", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, rec_cb, &r);
	{
		struct rpmsg_endpoint *all[] = { e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7], x };

		for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
			uint32_t a = rpmsg_ept_addr(all[i]);

			CHECK_EQ(rpmsg_sendto(sender, &a, sizeof(a), a), 0);
			CHECK_EQ(rpmsg_bus_poll(p.b, 0), 1);
			CHECK_EQ(atomic_load(&r.count), (int)i + 1);
			CHECK(r.last_ept == all[i]);
			CHECK_EQ(r.last_len, sizeof(a));
			CHECK_MEM(r.last, &a, sizeof(a));
		}
	}

	/* Nothing below 1024 is ever allocated: with 1024.. taken, ANY goes above them. */
	for (int i = 0; i < 8; i++) {
		rpmsg_destroy_ept(e[i]);
		e[i] = NULL;
	}
	for (int i = 0; i < 8; i++) {
		CHECK_EQ(create(p.lb, RPMSG_ADDR_ANY, &e[i], &r), 0);
		seen[i] = rpmsg_ept_addr(e[i]);
		CHECK(seen[i] >= RPMSG_RESERVED_ADDRESSES);
	}
	for (int i = 0; i < 8; i++)
		CHECK_EQ(seen[i], 1024 + i);

	/* The same addresses are independent on the other bus's link. */
	{
		struct rpmsg_endpoint *ya;

		CHECK_EQ(create(p.la, 1024, &ya, &r), -EADDRINUSE); /* `sender` took 1024 on a */
		CHECK_EQ(create(p.la, 1025, &ya, &r), 0);
		rpmsg_destroy_ept(ya);
	}

	pair_close(&p); /* destroys what is left */
	return t_done();
}
