/* The send family delivers the payload bytes, the length and the source address exactly;
 * send uses the endpoint's dst, which is learned from the first message when it was ANY. */
#include "core_util.h"

int main(void)
{
	struct pair p;
	struct rec ra, rb;
	struct rpmsg_endpoint *ea, *eb;
	unsigned char big[496], buf[16];

	t_timeout(30);
	memset(&ra, 0, sizeof(ra));
	memset(&rb, 0, sizeof(rb));
	pair_open(&p, NULL);
	ea = mkept(p.la, "client", RPMSG_ADDR_ANY, 2000, rec_cb, &ra);
	eb = mkept(p.lb, "server", 2000, RPMSG_ADDR_ANY, rec_cb, &rb);
	CHECK_EQ(rpmsg_ept_addr(ea), 1024);
	CHECK_EQ(rpmsg_ept_dst(ea), 2000);

	/* send: to the endpoint's dst, from its address. */
	CHECK_EQ(rpmsg_send(ea, "hello", 5), 0);
	CHECK_EQ(atomic_load(&rb.count), 0); /* nothing before the receiver polls */
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 1);
	CHECK_EQ(atomic_load(&rb.count), 1);
	CHECK(rb.last_ept == eb);
	CHECK_EQ(rb.last_len, 5);
	CHECK_MEM(rb.last, "hello", 5);
	CHECK_EQ(rb.last_src, 1024);
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 0);

	/* The receiver learned its peer from the first message. */
	CHECK_EQ(rpmsg_ept_dst(eb), 1024);
	CHECK_EQ(rpmsg_send(eb, "world!", 6), 0);
	CHECK_EQ(rpmsg_bus_poll(p.a, 0), 1);
	CHECK_EQ(atomic_load(&ra.count), 1);
	CHECK(ra.last_ept == ea);
	CHECK_EQ(ra.last_len, 6);
	CHECK_MEM(ra.last, "world!", 6);
	CHECK_EQ(ra.last_src, 2000);

	/* sendto / trysendto: explicit destination. */
	CHECK_EQ(rpmsg_sendto(ea, "to", 2, 2000), 0);
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 1);
	CHECK_EQ(rb.last_len, 2);
	CHECK_MEM(rb.last, "to", 2);
	CHECK_EQ(rb.last_src, 1024);
	CHECK_EQ(rpmsg_trysendto(ea, "try", 3, 2000), 0);
	CHECK_EQ(rpmsg_trysend(ea, "try2", 4), 0);
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 2);
	CHECK_EQ(atomic_load(&rb.count), 4);
	CHECK_MEM(rb.last, "try2", 4);

	/* Off-channel: the header source is whatever the caller says. */
	CHECK_EQ(rpmsg_send_offchannel(ea, 777, 2000, "off", 3), 0);
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 1);
	CHECK_EQ(rb.last_src, 777);
	CHECK_MEM(rb.last, "off", 3);
	CHECK_EQ(rpmsg_trysend_offchannel(ea, 5, 2000, "o2", 2), 0);
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 1);
	CHECK_EQ(rb.last_src, 5);
	/* Learning happens only while dst is ANY: eb still answers 1024. */
	CHECK_EQ(rpmsg_ept_dst(eb), 1024);
	CHECK_EQ(rpmsg_send_timeout(ea, 1024, 2000, "tmo", 3, 100), 0);
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 1);
	CHECK_EQ(rb.last_src, 1024);

	/* An off-channel source can be answered. */
	{
		struct rec rc;
		struct rpmsg_endpoint *ec;

		memset(&rc, 0, sizeof(rc));
		ec = mkept(p.la, "", 3333, RPMSG_ADDR_ANY, rec_cb, &rc);
		CHECK_EQ(rpmsg_send_offchannel(ea, 3333, 2000, "x", 1), 0);
		CHECK_EQ(rpmsg_bus_poll(p.b, 0), 1);
		CHECK_EQ(rpmsg_sendto(eb, "reply", 5, rb.last_src), 0);
		CHECK_EQ(rpmsg_bus_poll(p.a, 0), 1);
		CHECK_EQ(atomic_load(&rc.count), 1);
		CHECK_EQ(atomic_load(&ra.count), 1);
		CHECK_EQ(rc.last_src, 2000);
		rpmsg_destroy_ept(ec);
	}

	/* set_dst redirects send. */
	{
		struct rec rd;
		struct rpmsg_endpoint *ed;

		memset(&rd, 0, sizeof(rd));
		ed = mkept(p.lb, "", 2001, RPMSG_ADDR_ANY, rec_cb, &rd);
		rpmsg_ept_set_dst(ea, 2001);
		CHECK_EQ(rpmsg_ept_dst(ea), 2001);
		CHECK_EQ(rpmsg_send(ea, "moved", 5), 0);
		CHECK_EQ(rpmsg_bus_poll(p.b, 0), 1);
		CHECK_EQ(atomic_load(&rd.count), 1);
		CHECK_MEM(rd.last, "moved", 5);
		rpmsg_ept_set_dst(ea, 2000);
		rpmsg_destroy_ept(ed);
	}

	/* Zero-length and MTU-sized payloads. */
	CHECK_EQ(rpmsg_send(ea, "", 0), 0);
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 1);
	CHECK_EQ(rb.last_len, 0);
	CHECK_EQ(rb.last_src, 1024);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 31 + 7);
	CHECK_EQ(rpmsg_send(ea, big, sizeof(big)), 0);
	memset(big, 0, sizeof(big)); /* the message was copied at send time */
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 1);
	CHECK_EQ(rb.last_len, 496);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 31 + 7);
	CHECK_MEM(rb.last, big, sizeof(big));

	/* Several queued messages: handled in order, poll returns how many. */
	for (int i = 0; i < 10; i++) {
		memset(buf, i, sizeof(buf));
		CHECK_EQ(rpmsg_send(ea, buf, (size_t)i + 1), 0);
	}
	{
		int before = atomic_load(&rb.count);

		CHECK_EQ(rpmsg_bus_poll(p.b, 0), 10);
		CHECK_EQ(atomic_load(&rb.count), before + 10);
		CHECK_EQ(rb.last_len, 10);
		memset(buf, 9, sizeof(buf));
		CHECK_MEM(rb.last, buf, 10);
	}

	/* Nothing leaked to the wrong side. */
	CHECK_EQ(atomic_load(&ra.count), 1);
	CHECK_EQ(pump(&p), 0);

	rpmsg_destroy_ept(ea);
	rpmsg_destroy_ept(eb);
	pair_close(&p);
	return t_done();
}
