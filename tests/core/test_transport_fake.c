/* The transport seam, seen from a minimal fake transport: what the core hands to ops->send
 * (the name-service messages byte for byte, big-endian on a big-endian link), what it does
 * with optional ops left NULL, the endpoint and announce hooks, delivery with
 * rpmsg_link_deliver (point-to-point links give src = ANY), and process/destroy calls. */
#include <rpmsg/transport.h>

#include "core_util.h"

struct sent {
	uint32_t src, dst;
	size_t len;
	unsigned char data[64];
	int timeout_ms;
};

static struct sent log_[32];
static int nsent, create_calls, destroy_ept_calls, ann_create, ann_destroy, destroy_calls;
static int process_calls, create_fail;
static uint32_t taken_lo, taken_hi;
static int taken_refusals; /* addresses the fake's own side already uses */
static const char *events[32];
static int nevents;

static void event(const char *e)
{
	if (nevents < 32)
		events[nevents++] = e;
}

static int f_send(struct rpmsg_link *link, struct rpmsg_endpoint *ept, uint32_t src, uint32_t dst,
		  const void *data, size_t len, int timeout_ms)
{
	struct sent *s = &log_[nsent++ % 32];

	s->src = src, s->dst = dst, s->len = len, s->timeout_ms = timeout_ms;
	memcpy(s->data, data, len < sizeof(s->data) ? len : sizeof(s->data));
	return 0;
}

static int f_create_ept(struct rpmsg_link *link, struct rpmsg_endpoint *ept)
{
	if (rpmsg_ept_addr(ept) >= taken_lo && rpmsg_ept_addr(ept) < taken_hi) {
		taken_refusals++;
		return -EADDRINUSE;
	}
	create_calls++;
	if (create_fail)
		return -EIO;
	rpmsg_ept_set_tpriv(ept, &create_calls);
	return 0;
}

static void f_destroy_ept(struct rpmsg_link *link, struct rpmsg_endpoint *ept)
{
	if (rpmsg_ept_tpriv(ept) == &create_calls)
		destroy_ept_calls++;
}

static int f_ann_create(struct rpmsg_link *link, struct rpmsg_channel *ch)
{
	ann_create++;
	event("announce_create");
	return 0;
}

static void f_ann_destroy(struct rpmsg_link *link, struct rpmsg_channel *ch)
{
	ann_destroy++;
	event("announce_destroy");
}

static int f_process(struct rpmsg_link *link)
{
	process_calls++;
	return 0;
}

static void f_destroy(struct rpmsg_link *link)
{
	destroy_calls++;
	CHECK(rpmsg_link_priv(link) == &destroy_calls);
}

static const struct rpmsg_transport_ops full_ops = {
	.send = f_send,
	.create_ept = f_create_ept,
	.destroy_ept = f_destroy_ept,
	.announce_create = f_ann_create,
	.announce_destroy = f_ann_destroy,
	.process = f_process,
	.destroy = f_destroy,
};
static const struct rpmsg_transport_ops empty_ops = { .destroy = NULL };

static int probe(struct rpmsg_channel *ch)
{
	event("probe");
	return 0;
}

static void remove_(struct rpmsg_channel *ch)
{
	event("remove");
}

static int p2p_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	return rec_cb(ept, data, len, src, priv) + 7; /* rpmsg_ept_deliver returns this */
}

int main(void)
{
	static const char *const ids[] = { "svc", NULL };
	struct rpmsg_driver drv = { .name = "d", .id_table = ids, .probe = probe,
				    .remove = remove_, .callback = rec_cb };
	struct rpmsg_link_desc desc = { .name = "fake-remote", .transport = "fake",
					.ops = &full_ops, .priv = &destroy_calls,
					.flags = RPMSG_LINK_F_NS | RPMSG_LINK_F_BIG_ENDIAN };
	struct rpmsg_bus *bus;
	struct rpmsg_link *link, *bare, *p2p;
	struct rpmsg_channel_info ci;
	struct rpmsg_channel *ch;
	struct rpmsg_endpoint *e;
	struct rec r;
	unsigned char want[40];

	t_timeout(30);
	memset(&r, 0, sizeof(r));
	CHECK_EQ(rpmsg_bus_create(&bus), 0);
	CHECK_EQ(rpmsg_register_driver(bus, &drv), 0);
	CHECK_EQ(rpmsg_link_register(bus, &desc, &link), 0);
	CHECK(!strcmp(rpmsg_link_name(link), "fake-remote"));
	CHECK(!strcmp(rpmsg_link_transport(link), "fake"));
	CHECK(rpmsg_link_is_up(link)); /* no is_up op: up */
	CHECK_EQ(create_calls, 1);     /* the name service's endpoint */
	CHECK_EQ(nsent, 0);

	/* A local service: probe, announce_create, and the NS CREATE on the wire (big-endian,
	 * header src = the endpoint, dst = 53, sent with the default send timeout). */
	ci = chinfo("svc", 0x01020304u, RPMSG_ADDR_ANY);
	CHECK_EQ(rpmsg_create_channel(link, &ci, &ch), 0);
	CHECK_EQ(create_calls, 2);
	CHECK_EQ(ann_create, 1);
	CHECK_EQ(nevents, 2);
	CHECK(nevents >= 2 && !strcmp(events[0], "probe") && !strcmp(events[1], "announce_create"));
	CHECK_EQ(nsent, 1);
	CHECK_EQ(log_[0].src, 0x01020304u);
	CHECK_EQ(log_[0].dst, RPMSG_NS_ADDR);
	CHECK_EQ(log_[0].len, 40);
	CHECK_EQ(log_[0].timeout_ms, RPMSG_SEND_TIMEOUT_MS);
	memset(want, 0, sizeof(want));
	memcpy(want, "svc", 3);
	want[32] = 1, want[33] = 2, want[34] = 3, want[35] = 4;
	CHECK_MEM(log_[0].data, want, 40);

	/* Release: NS DESTROY, announce_destroy before remove. */
	nevents = 0;
	CHECK_EQ(rpmsg_release_channel(link, &ci), 0);
	CHECK_EQ(ann_destroy, 1);
	CHECK_EQ(destroy_ept_calls, 1);
	CHECK(nevents == 2 && !strcmp(events[0], "announce_destroy") && !strcmp(events[1], "remove"));
	CHECK_EQ(nsent, 2);
	want[39] = 1;
	CHECK_MEM(log_[1].data, want, 40);
	CHECK_EQ(log_[1].src, 0x01020304u);
	CHECK_EQ(log_[1].dst, RPMSG_NS_ADDR);

	/* Inbound NS CREATE, big-endian: a channel with the decoded address. */
	CHECK_EQ(rpmsg_ns_encode(want, "svc", 0x0A0B0C0Du, RPMSG_NS_CREATE, true), 40);
	CHECK_EQ(rpmsg_link_deliver(link, 0x0A0B0C0Du, RPMSG_NS_ADDR, want, 40), 0);
	CHECK(find_channel(link, "svc", 0x0A0B0C0Du, NULL));
	/* Little-endian bytes on this link: a little-endian DESTROY reads as flags 0x01000000
	 * (bit 0 clear: CREATE) of the byte-swapped address. */
	CHECK_EQ(rpmsg_ns_encode(want, "svc", 0x0A0B0C0Du, RPMSG_NS_DESTROY, false), 40);
	CHECK_EQ(rpmsg_link_deliver(link, 1, RPMSG_NS_ADDR, want, 40), 0);
	CHECK(find_channel(link, "svc", 0x0A0B0C0Du, NULL));
	CHECK(find_channel(link, "svc", 0x0D0C0B0Au, NULL));
	CHECK_EQ(nchannels(link), 2);
	CHECK_EQ(rpmsg_ns_encode(want, "svc", 0x0A0B0C0Du, RPMSG_NS_DESTROY, true), 40);
	CHECK_EQ(rpmsg_link_deliver(link, 1, RPMSG_NS_ADDR, want, 40), 0);
	CHECK_EQ(rpmsg_ns_encode(want, "svc", 0x0D0C0B0Au, RPMSG_NS_DESTROY, true), 40);
	CHECK_EQ(rpmsg_link_deliver(link, 1, RPMSG_NS_ADDR, want, 40), 0);
	CHECK_EQ(nchannels(link), 0);

	/* Delivery by address. */
	e = mkept(link, "", 3000, RPMSG_ADDR_ANY, rec_cb, &r);
	CHECK_EQ(rpmsg_link_deliver(link, 77, 3000, "abc", 3), 0);
	CHECK_EQ(atomic_load(&r.count), 1);
	CHECK_EQ(r.last_src, 77);
	CHECK_EQ(rpmsg_ept_dst(e), 77);
	CHECK_EQ(rpmsg_link_deliver(link, 77, 3001, "abc", 3), -ENOENT);
	CHECK_EQ(atomic_load(&r.count), 1);
	CHECK(!strcmp(rpmsg_ept_name(e), ""));
	/* Sends carry exactly what was asked. */
	CHECK_EQ(rpmsg_trysendto(e, "xyz", 3, 4000), 0);
	CHECK_EQ(log_[nsent - 1].src, 3000);
	CHECK_EQ(log_[nsent - 1].dst, 4000);
	CHECK_EQ(log_[nsent - 1].timeout_ms, 0);
	CHECK_EQ(rpmsg_send_timeout(e, 5, 6, "xyz", 3, 123), 0);
	CHECK_EQ(log_[nsent - 1].timeout_ms, 123);
	/* No get_mtu/poll_tx/flow ops. */
	CHECK_EQ(rpmsg_get_mtu(e), -EOPNOTSUPP);
	CHECK_EQ(rpmsg_poll_tx(e), -EOPNOTSUPP);
	CHECK_EQ(rpmsg_set_flow_control(e, true, 1), -EOPNOTSUPP);

	/* create_ept refusing: the error comes back, the address stays free. */
	create_fail = 1;
	{
		struct rpmsg_channel_info ei = chinfo("", 3100, RPMSG_ADDR_ANY);
		struct rpmsg_endpoint *x = NULL;

		CHECK_EQ(rpmsg_create_ept(link, &ei, rec_cb, &r, &x), -EIO);
		CHECK(x == NULL);
		CHECK_EQ(rpmsg_link_deliver(link, 1, 3100, "a", 1), -ENOENT);
		create_fail = 0;
		CHECK_EQ(rpmsg_create_ept(link, &ei, rec_cb, &r, &x), 0);
		rpmsg_destroy_ept(x);
	}
	/* The transport's side has taken dynamic addresses: the core skips them; a fixed
	 * address it refuses is refused to the caller. */
	{
		struct rpmsg_channel_info any = chinfo("", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY);
		struct rpmsg_channel_info fixed = chinfo("", 1030, RPMSG_ADDR_ANY);
		struct rpmsg_endpoint *x = NULL;

		taken_lo = 0, taken_hi = 1100;
		CHECK_EQ(rpmsg_create_ept(link, &any, rec_cb, &r, &x), 0);
		CHECK(x != NULL);
		CHECK(rpmsg_ept_addr(x) >= 1100);
		CHECK(taken_refusals >= 1100 - 1024 - 8); /* a few low ones are ours already */
		struct rpmsg_endpoint *y = NULL;

		CHECK_EQ(rpmsg_create_ept(link, &fixed, rec_cb, &r, &y), -EADDRINUSE);
		CHECK(y == NULL);
		taken_lo = taken_hi = 0;
		rpmsg_destroy_ept(x);
	}

	/* The bus polls the link through ops->process. */
	CHECK_EQ(rpmsg_bus_poll(bus, 0), 0);
	CHECK(process_calls >= 1);

	/* A link with no ops at all (and no name service). */
	{
		struct rpmsg_link_desc d2 = { .name = NULL, .transport = NULL, .ops = &empty_ops,
					      .flags = 0 };
		struct rpmsg_link_desc bad = { .name = "x", .ops = &empty_ops,
					       .flags = RPMSG_LINK_F_NS };
		struct rpmsg_link *y = NULL;

		CHECK_EQ(rpmsg_link_register(bus, &bad, &y), -EINVAL); /* NS needs send */
		CHECK(y == NULL);
		CHECK_EQ(rpmsg_link_register(bus, NULL, &y), -EINVAL);
		CHECK_EQ(rpmsg_link_register(bus, &d2, &bare), 0);
		CHECK(rpmsg_link_name(bare) != NULL);
		CHECK(rpmsg_link_transport(bare) != NULL);
		e = mkept(bare, "named", RPMSG_NS_ADDR, 1, rec_cb, &r); /* 53 is free here */
		CHECK_EQ(rpmsg_send(e, "x", 1), -ENXIO);
		CHECK_EQ(rpmsg_ept_announce(e), -EOPNOTSUPP);
		CHECK_EQ(rpmsg_bus_poll(bus, 0), 0);
	}

	/* Point-to-point: callbacks get src = ANY, dst is not learned. */
	{
		struct rpmsg_link_desc d3 = { .name = "p2p", .transport = "fake", .ops = &empty_ops,
					      .flags = RPMSG_LINK_F_P2P };

		CHECK_EQ(rpmsg_link_register(bus, &d3, &p2p), 0);
		memset(&r, 0, sizeof(r));
		e = mkept(p2p, "chan", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, p2p_cb, &r);
		CHECK(!strcmp(rpmsg_ept_name(e), "chan"));
		CHECK_EQ(rpmsg_link_deliver(p2p, 1234, rpmsg_ept_addr(e), "q", 1), 0);
		CHECK_EQ(atomic_load(&r.count), 1);
		CHECK_EQ(r.last_src, RPMSG_ADDR_ANY);
		CHECK_EQ(rpmsg_ept_dst(e), RPMSG_ADDR_ANY);
		CHECK_EQ(rpmsg_ept_deliver(e, "w", 1, RPMSG_ADDR_ANY), 7);
		CHECK_EQ(atomic_load(&r.count), 2);
	}
	CHECK_EQ(rpmsg_bus_links(bus, NULL, 0), 3);

	/* Destroy: each transport's destroy once; endpoints' destroy_ept for the full link. */
	rpmsg_link_destroy(link);
	CHECK_EQ(destroy_calls, 1);
	CHECK_EQ(destroy_ept_calls, create_calls - 1); /* all but the refused one */
	rpmsg_bus_destroy(bus);
	CHECK_EQ(destroy_calls, 1);
	return t_done();
}
