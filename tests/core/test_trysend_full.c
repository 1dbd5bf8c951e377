/* A full loopback queue: trysend says -EAGAIN, a bounded send -ETIMEDOUT, poll_tx 0; once the
 * receiver polls, sending works again; the order of messages is kept throughout. */
#include "core_util.h"

#define DEPTH 4

struct seqrec {
	uint32_t next;
	int bad;
	int count;
};

static int seq_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct seqrec *s = priv;
	uint32_t v;

	if (len != sizeof(v)) {
		s->bad++;
		return 0;
	}
	memcpy(&v, data, sizeof(v));
	if (v != s->next)
		s->bad++;
	s->next = v + 1;
	s->count++;
	return 0;
}

int main(void)
{
	struct rpmsg_loopback_config cfg = { .mtu = 0, .depth = DEPTH, .name_service = true };
	struct pair p;
	struct seqrec s = { 0, 0, 0 };
	struct rpmsg_endpoint *ea, *eb;
	uint32_t seq = 0;

	t_timeout(30);
	pair_open(&p, &cfg);
	ea = mkept(p.la, "", RPMSG_ADDR_ANY, 2000, seq_cb, &s);
	eb = mkept(p.lb, "", 2000, RPMSG_ADDR_ANY, seq_cb, &s);
	(void)eb;

	CHECK_EQ(rpmsg_poll_tx(ea), 1);
	for (int i = 0; i < DEPTH; i++, seq++)
		CHECK_EQ(rpmsg_trysend(ea, &seq, sizeof(seq)), 0);
	CHECK_EQ(rpmsg_poll_tx(ea), 0);
	CHECK_EQ(rpmsg_trysend(ea, &seq, sizeof(seq)), -EAGAIN);
	CHECK_EQ(rpmsg_trysendto(ea, &seq, sizeof(seq), 2000), -EAGAIN);
	CHECK_EQ(rpmsg_trysend_offchannel(ea, 1024, 2000, &seq, sizeof(seq)), -EAGAIN);
	CHECK_EQ(rpmsg_send_timeout(ea, 1024, 2000, &seq, sizeof(seq), 0), -EAGAIN);
	CHECK_EQ(rpmsg_send_timeout(ea, 1024, 2000, &seq, sizeof(seq), 50), -ETIMEDOUT);
	/* The other direction has its own queue. */
	CHECK_EQ(rpmsg_poll_tx(eb), 1);

	/* The receiver drains: exactly the DEPTH accepted messages, in order. */
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), DEPTH);
	CHECK_EQ(s.count, DEPTH);
	CHECK_EQ(s.bad, 0);
	CHECK_EQ(rpmsg_poll_tx(ea), 1);
	CHECK_EQ(rpmsg_trysend(ea, &seq, sizeof(seq)), 0);
	seq++;
	CHECK_EQ(rpmsg_send(ea, &seq, sizeof(seq)), 0);
	seq++;
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 2);

	/* Fill, overflow, drain partly, refill: nothing reordered, nothing lost, nothing extra. */
	for (int round = 0; round < 200; round++) {
		int sent = 0, ret;

		while ((ret = rpmsg_trysend(ea, &seq, sizeof(seq))) == 0) {
			seq++;
			sent++;
		}
		CHECK_EQ(ret, -EAGAIN);
		CHECK(sent >= 1 && sent <= DEPTH);
		if (round % 3 == 0)
			CHECK_EQ(rpmsg_send_timeout(ea, 1024, 2000, &seq, sizeof(seq), 1), -ETIMEDOUT);
		CHECK(rpmsg_bus_poll(p.b, 0) > 0);
	}
	pump(&p);
	CHECK_EQ(s.bad, 0);
	CHECK_EQ((uint32_t)s.count, seq);
	CHECK_EQ(s.next, seq);

	rpmsg_destroy_ept(ea);
	pair_close(&p);
	return t_done();
}
