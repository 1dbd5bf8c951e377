/* Listing links and channels: rpmsg_bus_links, names, transport, owning bus, and
 * rpmsg_link_channels with a buffer smaller than the list. The bus's link table is bounded:
 * a loopback that does not fit fails cleanly, leaving neither bus with half a pair. */
#include <rpmsg/transport.h>

#include "core_util.h"

#define NPEERS 3

int main(void)
{
	struct rpmsg_bus *hub, *peers[NPEERS];
	struct rpmsg_link *hl[NPEERS], *pl[NPEERS], *got[8];
	struct rpmsg_channel_info infos[4];
	int n;

	t_timeout(30);
	CHECK_EQ(rpmsg_bus_create(&hub), 0);
	CHECK_EQ(rpmsg_bus_links(hub, got, 8), 0);
	for (int i = 0; i < NPEERS; i++) {
		CHECK_EQ(rpmsg_bus_create(&peers[i]), 0);
		CHECK_EQ(rpmsg_loopback_create(hub, peers[i], NULL, &hl[i], &pl[i]), 0);
	}

	/* All of them, in creation order. */
	CHECK_EQ(rpmsg_bus_links(hub, got, 8), NPEERS);
	for (int i = 0; i < NPEERS; i++) {
		CHECK(got[i] == hl[i]);
		CHECK(!strcmp(rpmsg_link_name(hl[i]), "loopback0"));
		CHECK(!strcmp(rpmsg_link_name(pl[i]), "loopback1"));
		CHECK(!strcmp(rpmsg_link_transport(hl[i]), "loopback"));
		CHECK(!strcmp(rpmsg_link_transport(pl[i]), "loopback"));
		CHECK(rpmsg_link_bus(hl[i]) == hub);
		CHECK(rpmsg_link_bus(pl[i]) == peers[i]);
		CHECK(rpmsg_link_is_up(hl[i]));
		CHECK_EQ(rpmsg_bus_links(peers[i], got + 4, 1), 1);
		CHECK(got[4] == pl[i]);
	}
	/* A smaller buffer: the count is still the total, nothing written past max. */
	got[0] = got[1] = got[2] = NULL;
	CHECK_EQ(rpmsg_bus_links(hub, got, 2), NPEERS);
	CHECK(got[0] == hl[0] && got[1] == hl[1]);
	CHECK(got[2] == NULL);
	CHECK_EQ(rpmsg_bus_links(hub, NULL, 0), NPEERS);
	CHECK_EQ(rpmsg_bus_links(hub, NULL, 2), -EINVAL);
	CHECK_EQ(rpmsg_bus_links(NULL, got, 2), -EINVAL);

	/* Channels. */
	for (int i = 0; i < 3; i++) {
		char name[16];
		struct rpmsg_channel_info ci;

		snprintf(name, sizeof(name), "ch%d", i);
		ci = chinfo(name, RPMSG_ADDR_ANY, 100u + (uint32_t)i);
		CHECK_EQ(rpmsg_create_channel(hl[1], &ci, NULL), 0);
	}
	memset(infos, 0xEE, sizeof(infos));
	n = rpmsg_link_channels(hl[1], infos, 1);
	CHECK_EQ(n, 3);
	CHECK(!strcmp(infos[0].name, "ch0"));
	CHECK_EQ(infos[0].dst, 100);
	CHECK_EQ(infos[0].src, RPMSG_ADDR_ANY);
	CHECK_EQ((unsigned char)infos[1].name[0], 0xEE); /* untouched */
	CHECK_EQ(rpmsg_link_channels(hl[1], infos, 4), 3);
	CHECK(!strcmp(infos[1].name, "ch1") && infos[1].dst == 101);
	CHECK(!strcmp(infos[2].name, "ch2") && infos[2].dst == 102);
	CHECK_EQ((unsigned char)infos[3].name[0], 0xEE);
	CHECK_EQ(rpmsg_link_channels(hl[1], NULL, 0), 3);
	CHECK_EQ(rpmsg_link_channels(hl[1], NULL, 1), -EINVAL);
	CHECK_EQ(rpmsg_link_channels(hl[0], infos, 4), 0);
	CHECK_EQ(rpmsg_link_channels(pl[1], infos, 4), 0);

	/* Removing the middle link keeps the others, in order. */
	rpmsg_link_destroy(hl[1]);
	CHECK_EQ(rpmsg_bus_links(hub, got, 8), NPEERS - 1);
	CHECK(got[0] == hl[0] && got[1] == hl[2]);
	CHECK(!rpmsg_link_is_up(pl[1]));
	CHECK(rpmsg_link_is_up(pl[0]) && rpmsg_link_is_up(pl[2]));
	CHECK_EQ(rpmsg_bus_links(peers[1], got, 8), 1); /* the peer's side stays until destroyed */

	for (int i = 0; i < NPEERS; i++)
		rpmsg_bus_destroy(peers[i]);
	rpmsg_bus_destroy(hub);

	/* The link table is bounded: the 65th link fails and leaves nothing behind. */
	{
		struct rpmsg_bus *full, *other, *third;
		struct rpmsg_link *x = NULL, *y = NULL;
		int made = 0, ret = 0;

		CHECK_EQ(rpmsg_bus_create(&full), 0);
		CHECK_EQ(rpmsg_bus_create(&other), 0);
		CHECK_EQ(rpmsg_bus_create(&third), 0);
		for (int i = 0; i < 200 && !ret; i++) {
			ret = rpmsg_loopback_create(full, other, NULL, &x, &y);
			if (!ret)
				made++;
		}
		CHECK(ret < 0);
		CHECK(made >= 1 && made < 200);
		CHECK_EQ(rpmsg_bus_links(full, NULL, 0), made);
		CHECK_EQ(rpmsg_bus_links(other, NULL, 0), made);
		/* Full bus as the second side: the first side's link is undone. */
		x = y = NULL;
		CHECK(rpmsg_loopback_create(third, full, NULL, &x, &y) < 0);
		CHECK_EQ(rpmsg_bus_links(third, NULL, 0), 0);
		CHECK(x == NULL && y == NULL);
		/* Room again after one goes. */
		CHECK_EQ(rpmsg_bus_links(full, got, 1), made);
		rpmsg_link_destroy(got[0]);
		CHECK_EQ(rpmsg_loopback_create(third, full, NULL, &x, &y), 0);
		CHECK_EQ(rpmsg_bus_links(full, NULL, 0), made);
		rpmsg_bus_destroy(full);
		rpmsg_bus_destroy(other);
		rpmsg_bus_destroy(third);
	}
	return t_done();
}
