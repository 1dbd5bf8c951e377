/* Loopback configuration: limits are checked and a refused configuration leaves nothing
 * behind; large MTUs and odd queue depths carry messages intact and in order; both sides
 * may sit on one bus. */
#include "core_util.h"

struct seq {
	uint32_t next;
	int bad, count;
	size_t len;
};

static int seq_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct seq *s = priv;
	const unsigned char *d = data;
	uint32_t v;

	if (len != s->len) {
		s->bad++;
		return 0;
	}
	memcpy(&v, d, sizeof(v));
	if (v != s->next)
		s->bad++;
	for (size_t i = sizeof(v); i < len; i++)
		if (d[i] != (unsigned char)(v + i))
			s->bad++;
	s->next = v + 1;
	s->count++;
	return 0;
}

/* Push n messages of len bytes through a pair of the given config. */
static void stream(unsigned mtu, unsigned depth, size_t len, int n)
{
	struct rpmsg_loopback_config cfg = { .mtu = mtu, .depth = depth, .name_service = false };
	struct pair p;
	struct seq s = { 0, 0, 0, len };
	struct rpmsg_endpoint *ea;
	unsigned char *buf = malloc(len);
	int accepted_first_round = 0;

	pair_open(&p, &cfg);
	ea = mkept(p.la, "", RPMSG_ADDR_ANY, 2000, seq_cb, &s);
	mkept(p.lb, "", 2000, RPMSG_ADDR_ANY, seq_cb, &s);
	CHECK_EQ(rpmsg_get_mtu(ea), (int)(mtu ? mtu : 496));
	for (uint32_t v = 0; v < (uint32_t)n; v++) {
		int ret;

		memcpy(buf, &v, sizeof(v));
		for (size_t i = sizeof(v); i < len; i++)
			buf[i] = (unsigned char)(v + i);
		while ((ret = rpmsg_trysend(ea, buf, len)) == -EAGAIN) {
			if (!accepted_first_round)
				accepted_first_round = (int)v;
			rpmsg_bus_poll(p.b, 0);
		}
		CHECK_EQ(ret, 0);
	}
	pump(&p);
	CHECK_EQ(s.count, n);
	CHECK_EQ(s.bad, 0);
	CHECK_EQ(accepted_first_round, (int)(depth ? depth : 64)); /* exactly `depth` fit */
	pair_close(&p);
	free(buf);
}

int main(void)
{
	struct rpmsg_bus *a, *b;
	struct rpmsg_link *la = NULL, *lb = NULL;
	struct rpmsg_loopback_config cfg;

	t_timeout(60);
	CHECK_EQ(rpmsg_bus_create(&a), 0);
	CHECK_EQ(rpmsg_bus_create(&b), 0);

	cfg = (struct rpmsg_loopback_config){ .mtu = 65536, .depth = 4, .name_service = true };
	CHECK_EQ(rpmsg_loopback_create(a, b, &cfg, &la, &lb), -EINVAL);
	cfg = (struct rpmsg_loopback_config){ .mtu = 64, .depth = 65537, .name_service = true };
	CHECK_EQ(rpmsg_loopback_create(a, b, &cfg, &la, &lb), -EINVAL);
	CHECK(la == NULL && lb == NULL);
	CHECK_EQ(rpmsg_bus_links(a, NULL, 0), 0);
	CHECK_EQ(rpmsg_bus_links(b, NULL, 0), 0);
	rpmsg_bus_destroy(a);
	rpmsg_bus_destroy(b);

	stream(65535, 3, 65535, 50);    /* biggest MTU */
	stream(16, 1, 16, 300);         /* one-deep queue */
	stream(0, 3, 100, 1000);        /* depth not a power of two */
	stream(0, 7, 4, 1000);
	stream(0, 0, 496, 500);         /* defaults */
	stream(8, 1000, 8, 5000);

	/* Both ends on one bus: one poll serves both directions. */
	{
		struct rpmsg_bus *bus;
		struct rec r1, r2;
		struct rpmsg_endpoint *e1, *e2;

		memset(&r1, 0, sizeof(r1));
		memset(&r2, 0, sizeof(r2));
		CHECK_EQ(rpmsg_bus_create(&bus), 0);
		CHECK_EQ(rpmsg_loopback_create(bus, bus, NULL, &la, &lb), 0);
		CHECK(la != lb);
		CHECK_EQ(rpmsg_bus_links(bus, NULL, 0), 2);
		e1 = mkept(la, "", 1500, 1600, rec_cb, &r1);
		e2 = mkept(lb, "", 1600, 1500, rec_cb, &r2);
		CHECK_EQ(rpmsg_send(e1, "to2", 3), 0);
		CHECK_EQ(rpmsg_send(e2, "to1", 3), 0);
		CHECK_EQ(rpmsg_bus_poll(bus, 0), 2);
		CHECK_EQ(atomic_load(&r1.count), 1);
		CHECK_EQ(atomic_load(&r2.count), 1);
		CHECK_MEM(r1.last, "to1", 3);
		CHECK_MEM(r2.last, "to2", 3);
		/* The name service works too. */
		CHECK_EQ(rpmsg_ept_announce(e1), -EINVAL); /* no name */
		{
			struct rpmsg_endpoint *named = mkept(la, "svc", 1700, RPMSG_ADDR_ANY, rec_cb, &r1);

			CHECK_EQ(rpmsg_ept_announce(named), 0);
			CHECK_EQ(rpmsg_bus_poll(bus, 0), 1);
			CHECK(find_channel(lb, "svc", 1700, NULL));
			CHECK_EQ(nchannels(la), 0);
		}
		rpmsg_bus_destroy(bus);
	}
	return t_done();
}
