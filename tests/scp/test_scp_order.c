/*
 * Start order: the SCP may come first. It creates the memory, sends INIT and announces two
 * channels before any AP exists (the first goes into the slot, the rest wait in order);
 * an AP attaching later takes them all, comes up and binds its driver to both channels.
 * Then the AP leaves and the SCP sees the reset.
 */
#include <stdlib.h>

#include "testlib.h"
#include "scp_util.h"

static int probes;

static int cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept; (void)data; (void)len; (void)src; (void)priv;
	return 0;
}

static int on_probe(struct rpmsg_channel *ch)
{
	(void)ch;
	probes++;
	return 0;
}

static const char *const ids[] = { "first", "second", NULL };

int main(void)
{
	struct rpmsg_scp_config rc = { .role = RPMSG_SCP_REMOTE, .fw_version = "early" };
	struct rpmsg_scp_config hc = { .role = RPMSG_SCP_HOST };
	struct rpmsg_driver rd = { .name = "scp", .id_table = ids, .callback = cb };
	struct rpmsg_driver hd = { .name = "ap", .id_table = ids, .probe = on_probe, .callback = cb };
	struct rpmsg_channel_info c1 = { .name = "first", .src = 3, .dst = RPMSG_ADDR_ANY };
	struct rpmsg_channel_info c2 = { .name = "second", .src = 4, .dst = RPMSG_ADDR_ANY };
	struct rpmsg_channel_info list[4];
	struct rpmsg_platform *pr, *ph;
	struct rpmsg_bus *br, *bh;
	struct rpmsg_link *lr, *lh;
	struct rpmsg_scp_info info;
	char name[48];

	t_timeout(30);
	snprintf(name, sizeof(name), "t-scp-order-%d", (int)getpid());
	rpmsg_posix_unlink(name);
	CHECK_EQ(rpmsg_posix_create(name, 64 * 1024, &pr), 0);
	CHECK_EQ(rpmsg_bus_create(&br), 0);
	CHECK_EQ(rpmsg_register_driver(br, &rd), 0);
	CHECK_EQ(rpmsg_scp_create(br, pr, &rc, &lr), 0);
	CHECK_EQ(rpmsg_create_channel(lr, &c1, NULL), 0);
	CHECK_EQ(rpmsg_create_channel(lr, &c2, NULL), 0);
	CHECK_EQ(rpmsg_bus_poll(br, 0), 0); /* nothing to do: the slot holds INIT */

	CHECK_EQ(rpmsg_posix_attach(name, &ph), 0);
	CHECK_EQ(rpmsg_bus_create(&bh), 0);
	CHECK_EQ(rpmsg_register_driver(bh, &hd), 0);
	CHECK_EQ(rpmsg_scp_create(bh, ph, &hc, &lh), 0);
	for (int i = 0; i < 50 && probes < 2; i++) {
		rpmsg_bus_poll(bh, 0);
		rpmsg_bus_poll(br, 0);
	}
	CHECK(rpmsg_link_is_up(lh));
	CHECK_EQ(rpmsg_scp_get_info(lh, &info), 0);
	CHECK(!strcmp(info.fw_version, "early"));
	CHECK_EQ(probes, 2);
	CHECK_EQ(rpmsg_link_channels(lh, list, 4), 2);
	CHECK(!strcmp(list[0].name, "first"));
	CHECK_EQ(list[0].src, 3);
	CHECK(!strcmp(list[1].name, "second"));
	CHECK_EQ(list[1].src, 4);

	/* A blocking AP poll wakes for the SCP's message (doorbell through the bus fd). */
	{
		struct rpmsg_scp_stats st;

		CHECK_EQ(rpmsg_scp_ipi_send(lr, 3, "hey", 3, 0), 0);
		CHECK_EQ(rpmsg_bus_poll(bh, 1000), 1);
		CHECK_EQ(rpmsg_scp_get_stats(lh, &st), 0);
		CHECK_EQ(st.rx_msgs, 4);
	}

	rpmsg_bus_destroy(bh);
	CHECK_EQ(rpmsg_bus_poll(br, 1000), 1); /* the reset wakes the SCP's poll */
	CHECK(!rpmsg_link_is_up(lr));
	CHECK_EQ(rpmsg_link_channels(lr, NULL, 0), 0);
	rpmsg_bus_destroy(br);
	rpmsg_posix_unlink(name);
	return t_done();
}
