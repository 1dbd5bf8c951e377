/* White-box: the loopback's ring indices are free-running 32-bit counters. Start them just
 * below 2^32 and stream across the wrap with a queue depth that does not divide 2^32: every
 * message must arrive intact and in order (no two live messages may share a slot).
 * The transport is compiled into this test so its private state can be reached; the static
 * library's copy is then not linked. */
#include "loopback/loopback.c"

#include "core_util.h"

struct seq {
	uint32_t next;
	int bad, count;
};

static int seq_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct seq *s = priv;
	uint32_t v[8];

	if (len != sizeof(v)) {
		s->bad++;
		return 0;
	}
	memcpy(v, data, sizeof(v));
	for (int i = 0; i < 8; i++)
		if (v[i] != s->next)
			s->bad++;
	s->next++;
	s->count++;
	return 0;
}

static void run(unsigned depth, uint32_t start)
{
	struct rpmsg_loopback_config cfg = { .mtu = 64, .depth = depth, .name_service = false };
	struct pair p;
	struct seq s = { 0, 0, 0 };
	struct rpmsg_endpoint *ea;
	struct lb_side *side;
	const int n = 10 * (int)depth + 7;

	pair_open(&p, &cfg);
	side = rpmsg_link_priv(p.la);
	for (int i = 0; i < 2; i++)
		side->pair->q[i].head = side->pair->q[i].tail = start;
	ea = mkept(p.la, "", RPMSG_ADDR_ANY, 2000, seq_cb, &s);
	mkept(p.lb, "", 2000, RPMSG_ADDR_ANY, seq_cb, &s);
	for (uint32_t v = 0; v < (uint32_t)n; v++) {
		uint32_t msg[8];
		int ret;

		for (int i = 0; i < 8; i++)
			msg[i] = v;
		/* Keep the queue full: drain only when it refuses. */
		while ((ret = rpmsg_trysend(ea, msg, sizeof(msg))) == -EAGAIN)
			rpmsg_bus_poll(p.b, 0);
		CHECK_EQ(ret, 0);
	}
	pump(&p);
	CHECK_EQ(s.count, n);
	CHECK_EQ(s.bad, 0);
	CHECK(side->pair->q[0].head < start); /* it did wrap */
	pair_close(&p);
}

int main(void)
{
	t_timeout(30);
	run(3, 0xFFFFFFFFu - 10);
	run(5, 0xFFFFFFFFu - 2);
	run(7, 0xFFFFFFFFu - 20);
	run(64, 0xFFFFFFFFu - 100);
	run(1, 0xFFFFFFFFu - 1);
	run(1000, 0xFFFFFFFFu - 500);
	return t_done();
}
