/* Sending from inside receive callbacks: an echo server answers every message from its
 * callback (ping-pong over both buses), a callback may create endpoints, and trysend from a
 * callback on a full queue says -EAGAIN instead of blocking. */
#include "core_util.h"

#define ROUNDS 2000

static struct pair p;
static uint32_t last_seen;
static int pongs, bad;

static int echo_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	if (rpmsg_sendto(ept, data, len, src))
		bad++;
	return 0;
}

static int client_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src,
		     void *priv)
{
	uint32_t v;

	memcpy(&v, data, sizeof(v));
	if (len != sizeof(v) || v != last_seen + 1 || src != 2000)
		bad++;
	last_seen = v;
	pongs++;
	if (v < ROUNDS) {
		v++;
		if (rpmsg_send(ept, &v, sizeof(v)))
			bad++;
	}
	return 0;
}

static struct rpmsg_endpoint *spawned;
static struct rec spawned_rec;
static int spawner_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src,
		      void *priv)
{
	struct rpmsg_channel_info ci = chinfo("", RPMSG_ADDR_ANY, src);

	if (!spawned && rpmsg_create_ept(rpmsg_ept_link(ept), &ci, rec_cb, &spawned_rec, &spawned))
		bad++;
	return 0;
}

static int flood_ret[8];
static int flooder_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src,
		      void *priv)
{
	for (int i = 0; i < 8; i++)
		flood_ret[i] = rpmsg_trysendto(ept, "f", 1, src);
	return 0;
}

int main(void)
{
	struct rpmsg_loopback_config small = { .mtu = 0, .depth = 4, .name_service = true };
	struct rpmsg_endpoint *client, *spawner, *flooder;
	struct rec r;
	uint32_t v = 1;

	t_timeout(30);
	memset(&r, 0, sizeof(r));
	pair_open(&p, NULL);
	mkept(p.lb, "", 2000, RPMSG_ADDR_ANY, echo_cb, NULL);
	client = mkept(p.la, "", RPMSG_ADDR_ANY, 2000, client_cb, NULL);

	CHECK_EQ(rpmsg_send(client, &v, sizeof(v)), 0);
	pump(&p);
	CHECK_EQ(bad, 0);
	CHECK_EQ(pongs, ROUNDS);
	CHECK_EQ(last_seen, ROUNDS);

	/* An endpoint created inside a callback works right away. */
	spawner = mkept(p.lb, "", 2001, RPMSG_ADDR_ANY, spawner_cb, NULL);
	CHECK_EQ(rpmsg_sendto(client, "s", 1, 2001), 0);
	pump(&p);
	CHECK(spawned != NULL);
	CHECK_EQ(rpmsg_ept_dst(spawned), rpmsg_ept_addr(client));
	CHECK_EQ(rpmsg_sendto(client, "t", 1, rpmsg_ept_addr(spawned)), 0);
	pump(&p);
	CHECK_EQ(atomic_load(&spawned_rec.count), 1);
	CHECK_EQ(bad, 0);
	(void)spawner;
	pair_close(&p);

	/* trysend from a callback: a 4-deep queue takes 4, then -EAGAIN (no deadlock). */
	pair_open(&p, &small);
	flooder = mkept(p.lb, "", 2000, RPMSG_ADDR_ANY, flooder_cb, NULL);
	client = mkept(p.la, "", RPMSG_ADDR_ANY, 2000, rec_cb, &r);
	CHECK_EQ(rpmsg_send(client, "go", 2), 0);
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 1);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(flood_ret[i], 0);
	for (int i = 4; i < 8; i++)
		CHECK_EQ(flood_ret[i], -EAGAIN);
	CHECK_EQ(rpmsg_bus_poll(p.a, 0), 4);
	CHECK_EQ(atomic_load(&r.count), 4);
	(void)flooder;
	pair_close(&p);
	return t_done();
}
