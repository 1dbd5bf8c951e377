/* Argument checks of the send family, the MTU, and rpmsg_strerror. */
#include "core_util.h"

int main(void)
{
	struct rpmsg_loopback_config small = { .mtu = 64, .depth = 8, .name_service = true };
	struct pair p;
	struct rec ra, rb;
	struct rpmsg_endpoint *ea, *eb, *enodst;
	unsigned char buf[600];
	const int errs[] = { EINVAL, EMSGSIZE, ENOMEM, EAGAIN, ETIMEDOUT, EADDRINUSE, ENOSPC,
			     ENOENT, EEXIST, EOPNOTSUPP, ENXIO, ENOTCONN, EPIPE, EIO, EPROTO,
			     ESHUTDOWN, EBUSY, EALREADY };

	t_timeout(30);
	memset(&ra, 0, sizeof(ra));
	memset(&rb, 0, sizeof(rb));
	memset(buf, 0x5a, sizeof(buf));
	pair_open(&p, NULL);
	ea = mkept(p.la, "", RPMSG_ADDR_ANY, 2000, rec_cb, &ra);
	eb = mkept(p.lb, "", 2000, RPMSG_ADDR_ANY, rec_cb, &rb);
	enodst = mkept(p.la, "", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, rec_cb, &ra);

	/* NULL endpoint. */
	CHECK_EQ(rpmsg_send(NULL, buf, 1), -EINVAL);
	CHECK_EQ(rpmsg_sendto(NULL, buf, 1, 2000), -EINVAL);
	CHECK_EQ(rpmsg_send_offchannel(NULL, 1024, 2000, buf, 1), -EINVAL);
	CHECK_EQ(rpmsg_trysend(NULL, buf, 1), -EINVAL);
	CHECK_EQ(rpmsg_trysendto(NULL, buf, 1, 2000), -EINVAL);
	CHECK_EQ(rpmsg_trysend_offchannel(NULL, 1024, 2000, buf, 1), -EINVAL);
	CHECK_EQ(rpmsg_send_timeout(NULL, 1024, 2000, buf, 1, 0), -EINVAL);
	CHECK_EQ(rpmsg_get_mtu(NULL), -EINVAL);
	CHECK_EQ(rpmsg_poll_tx(NULL), -EINVAL);

	/* NULL data with a length. */
	CHECK_EQ(rpmsg_send(ea, NULL, 4), -EINVAL);
	CHECK_EQ(rpmsg_sendto(ea, NULL, 4, 2000), -EINVAL);
	CHECK_EQ(rpmsg_trysend(ea, NULL, 4), -EINVAL);
	CHECK_EQ(rpmsg_send_offchannel(ea, 1024, 2000, NULL, 4), -EINVAL);

	/* ANY is never a source or destination. */
	CHECK_EQ(rpmsg_send(enodst, buf, 1), -EINVAL); /* its dst is ANY */
	CHECK_EQ(rpmsg_trysend(enodst, buf, 1), -EINVAL);
	CHECK_EQ(rpmsg_sendto(ea, buf, 1, RPMSG_ADDR_ANY), -EINVAL);
	CHECK_EQ(rpmsg_trysendto(ea, buf, 1, RPMSG_ADDR_ANY), -EINVAL);
	CHECK_EQ(rpmsg_send_offchannel(ea, RPMSG_ADDR_ANY, 2000, buf, 1), -EINVAL);
	CHECK_EQ(rpmsg_send_offchannel(ea, 1024, RPMSG_ADDR_ANY, buf, 1), -EINVAL);
	CHECK_EQ(rpmsg_trysend_offchannel(ea, RPMSG_ADDR_ANY, 2000, buf, 1), -EINVAL);
	CHECK_EQ(rpmsg_send_timeout(ea, 1024, RPMSG_ADDR_ANY, buf, 1, 10), -EINVAL);

	/* MTU. */
	CHECK_EQ(rpmsg_get_mtu(ea), 496);
	CHECK_EQ(rpmsg_get_mtu(eb), 496);
	CHECK_EQ(rpmsg_send(ea, buf, 497), -EMSGSIZE);
	CHECK_EQ(rpmsg_trysend(ea, buf, 497), -EMSGSIZE);
	CHECK_EQ(rpmsg_sendto(ea, buf, 600, 2000), -EMSGSIZE);
	CHECK_EQ(rpmsg_send_offchannel(ea, 1024, 2000, buf, (size_t)-1), -EMSGSIZE);

	/* None of the refused sends reached the peer. */
	CHECK_EQ(pump(&p), 0);
	CHECK_EQ(atomic_load(&rb.count), 0);
	CHECK_EQ(rpmsg_send(ea, buf, 496), 0);
	CHECK_EQ(pump(&p), 1);
	CHECK_EQ(atomic_load(&rb.count), 1);
	CHECK_EQ(rb.last_len, 496);
	pair_close(&p);

	/* A configured MTU. */
	pair_open(&p, &small);
	memset(&rb, 0, sizeof(rb));
	ea = mkept(p.la, "", RPMSG_ADDR_ANY, 2000, rec_cb, &ra);
	eb = mkept(p.lb, "", 2000, RPMSG_ADDR_ANY, rec_cb, &rb);
	CHECK_EQ(rpmsg_get_mtu(ea), 64);
	CHECK_EQ(rpmsg_get_mtu(eb), 64);
	CHECK_EQ(rpmsg_send(ea, buf, 65), -EMSGSIZE);
	CHECK_EQ(rpmsg_send(ea, buf, 64), 0);
	CHECK_EQ(pump(&p), 1);
	CHECK_EQ(rb.last_len, 64);
	CHECK_MEM(rb.last, buf, 64);
	pair_close(&p);

	/* rpmsg_strerror: a text for every code the library returns, either sign. */
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		const char *neg = rpmsg_strerror(-errs[i]), *pos = rpmsg_strerror(errs[i]);

		CHECK(neg != NULL && neg[0] != '\0');
		CHECK(pos != NULL && neg != NULL && !strcmp(neg, pos));
	}
	CHECK(rpmsg_strerror(0) != NULL && rpmsg_strerror(0)[0]);
	CHECK(strcmp(rpmsg_strerror(-EINVAL), rpmsg_strerror(-EMSGSIZE)) != 0);
	CHECK(rpmsg_strerror(-12345) != NULL);

	/* Other NULL arguments. */
	{
		struct rpmsg_bus *bus = NULL;
		struct rpmsg_link *l1, *l2;
		struct rpmsg_channel_info ci = chinfo("x", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY);

		CHECK_EQ(rpmsg_bus_create(NULL), -EINVAL);
		CHECK_EQ(rpmsg_bus_poll(NULL, 0), -EINVAL);
		CHECK(rpmsg_bus_fd(NULL) < 0);
		CHECK_EQ(rpmsg_bus_start_thread(NULL), -EINVAL);
		rpmsg_bus_stop_thread(NULL);
		rpmsg_bus_wake(NULL);
		rpmsg_bus_destroy(NULL);
		CHECK_EQ(rpmsg_bus_create(&bus), 0);
		CHECK_EQ(rpmsg_loopback_create(NULL, bus, NULL, &l1, &l2), -EINVAL);
		CHECK_EQ(rpmsg_loopback_create(bus, NULL, NULL, &l1, &l2), -EINVAL);
		CHECK_EQ(rpmsg_loopback_create(bus, bus, NULL, NULL, &l2), -EINVAL);
		CHECK_EQ(rpmsg_bus_links(bus, NULL, 0), 0);
		CHECK_EQ(rpmsg_create_channel(NULL, &ci, NULL), -EINVAL);
		CHECK_EQ(rpmsg_release_channel(NULL, &ci), -EINVAL);
		CHECK_EQ(rpmsg_link_channels(NULL, NULL, 0), -EINVAL);
		CHECK_EQ(rpmsg_register_driver(bus, NULL), -EINVAL);
		CHECK_EQ(rpmsg_register_driver(NULL, NULL), -EINVAL);
		rpmsg_unregister_driver(bus, NULL);
		CHECK(!rpmsg_link_is_up(NULL));
		CHECK(rpmsg_link_name(NULL) == NULL);
		CHECK(rpmsg_channel_ept(NULL) == NULL);
		CHECK(rpmsg_channel_info(NULL) == NULL);
		rpmsg_link_destroy(NULL);
		rpmsg_bus_destroy(bus);
	}
	return t_done();
}
