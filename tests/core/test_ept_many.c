/* Thousands of endpoints on one link (the address table grows): every message still reaches
 * exactly the endpoint it was sent to, before and after half of them are destroyed. */
#include "core_util.h"

#define NANY 3000
#define NFIXED 1500
#define N (NANY + NFIXED)

struct slot {
	int index;
	atomic_int got;
	int bad;
};

static struct slot slots[N];
static struct rpmsg_endpoint *epts[N];

static int cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct slot *s = priv;
	int idx;

	if (len != sizeof(idx) || ept != epts[s->index]) {
		s->bad++;
		return 0;
	}
	memcpy(&idx, data, sizeof(idx));
	if (idx != s->index || src != 1024)
		s->bad++;
	atomic_fetch_add(&s->got, 1);
	return 0;
}

static uint32_t fixed_addr(int i)
{
	return 100000u + (uint32_t)i * 7919u; /* scattered, far from the ANY range */
}

/* Send the index of every endpoint to its address; the queue is pumped as it fills. */
static void send_all(struct pair *p, struct rpmsg_endpoint *sender, const uint32_t *addrs)
{
	for (int i = 0; i < N; i++) {
		int ret;

		while ((ret = rpmsg_trysendto(sender, &i, sizeof(i), addrs[i])) == -EAGAIN)
			rpmsg_bus_poll(p->b, 0);
		CHECK_EQ(ret, 0);
	}
	pump(p);
}

int main(void)
{
	struct pair p;
	struct rec r;
	struct rpmsg_endpoint *sender;
	static uint32_t addrs[N];
	int bad = 0;

	t_timeout(60);
	memset(&r, 0, sizeof(r));
	pair_open(&p, NULL);
	CHECK_EQ(rpmsg_link_set_max_endpoints(p.lb, N + 10), 0);
	sender = mkept(p.la, "", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, rec_cb, &r);

	for (int i = 0; i < N; i++) {
		uint32_t want = i < NANY ? RPMSG_ADDR_ANY : fixed_addr(i);

		slots[i].index = i;
		epts[i] = mkept(p.lb, "", want, RPMSG_ADDR_ANY, cb, &slots[i]);
		addrs[i] = rpmsg_ept_addr(epts[i]);
		if (i < NANY)
			CHECK_EQ(addrs[i], 1024 + i);
		else
			CHECK_EQ(addrs[i], want);
	}

	send_all(&p, sender, addrs);
	for (int i = 0; i < N; i++) {
		bad += slots[i].bad;
		if (atomic_load(&slots[i].got) != 1)
			bad++;
	}
	CHECK_EQ(bad, 0);

	/* Destroy every other endpoint; messages to them are dropped, the rest still arrive. */
	for (int i = 0; i < N; i += 2) {
		rpmsg_destroy_ept(epts[i]);
		epts[i] = NULL;
	}
	send_all(&p, sender, addrs);
	for (int i = 0; i < N; i++) {
		bad += slots[i].bad;
		if (atomic_load(&slots[i].got) != (i % 2 ? 2 : 1))
			bad++;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(atomic_load(&r.count), 0);

	/* Freed ANY addresses come back lowest first. */
	{
		struct rpmsg_endpoint *e1 = mkept(p.lb, "", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, rec_cb, &r);
		struct rpmsg_endpoint *e2 = mkept(p.lb, "", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, rec_cb, &r);

		CHECK_EQ(rpmsg_ept_addr(e1), 1024);
		CHECK_EQ(rpmsg_ept_addr(e2), 1026);
	}

	pair_close(&p);
	return t_done();
}
