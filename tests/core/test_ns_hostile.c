/* Hostile or broken name-service traffic from the peer: wrong lengths, unterminated names,
 * addr = ANY, empty names, duplicates, DESTROY for unknown channels, random bytes. The bus
 * must neither crash nor create what it should not, and must keep working. */
#include <rpmsg/transport.h>

#include "core_util.h"

TDRV(drv)

static struct pair p;
static struct rpmsg_endpoint *raw;

/* Send `len` bytes of `msg` to b's name service and let b handle it. */
static void ns_raw(const void *msg, size_t len)
{
	CHECK_EQ(rpmsg_sendto(raw, msg, len, RPMSG_NS_ADDR), 0);
	CHECK_EQ(rpmsg_bus_poll(p.b, 0), 1);
}

static void ns_msg(unsigned char *m, const char *name, uint32_t addr, uint32_t flags)
{
	CHECK_EQ(rpmsg_ns_encode(m, name, addr, flags, false), 40);
}

int main(void)
{
	unsigned char m[64];
	struct rpmsg_channel_info got;
	struct rec r;
	char want[RPMSG_NAME_SIZE];
	uint32_t seed = 12345;

	t_timeout(60);
	memset(&r, 0, sizeof(r));
	pair_open(&p, NULL);
	TDRV_INIT(drv, true, "svc", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" /* 31 */, "x");
	CHECK_EQ(rpmsg_register_driver(p.b, &drv.drv), 0);
	raw = mkept(p.la, "", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, rec_cb, &r);

	/* Wrong lengths: dropped. */
	ns_msg(m, "svc", 3000, RPMSG_NS_CREATE);
	memset(m + 40, 0, sizeof(m) - 40);
	ns_raw(m, 39);
	ns_raw(m, 41);
	ns_raw(m, 0);
	ns_raw(m, 1);
	ns_raw(m, 64);
	CHECK_EQ(nchannels(p.lb), 0);
	CHECK_EQ(atomic_load(&drv.probes), 0);

	/* A good one, then the same again: one channel, one probe. */
	ns_raw(m, 40);
	CHECK_EQ(nchannels(p.lb), 1);
	CHECK(find_channel(p.lb, "svc", 3000, NULL));
	CHECK_EQ(atomic_load(&drv.probes), 1);
	ns_raw(m, 40);
	CHECK_EQ(nchannels(p.lb), 1);
	CHECK_EQ(atomic_load(&drv.probes), 1);
	/* Same name, other address: another channel (as Linux). */
	ns_msg(m, "svc", 3001, RPMSG_NS_CREATE);
	ns_raw(m, 40);
	CHECK_EQ(nchannels(p.lb), 2);
	CHECK_EQ(atomic_load(&drv.probes), 2);

	/* addr = ANY and an empty name: refused. */
	ns_msg(m, "svc", RPMSG_ADDR_ANY, RPMSG_NS_CREATE);
	ns_raw(m, 40);
	memset(m, 0, 40);
	m[1] = 'z'; /* name "" followed by junk */
	m[32] = 0x10;
	ns_raw(m, 40);
	CHECK_EQ(nchannels(p.lb), 2);

	/* 32 name bytes without a NUL: cut at 31 characters. */
	memset(m, 'A', 32);
	memset(m + 32, 0, 8);
	m[32] = 0xB8, m[33] = 0x0B; /* 3000 */
	ns_raw(m, 40);
	CHECK_EQ(nchannels(p.lb), 3);
	memset(want, 0, sizeof(want));
	memset(want, 'A', 31);
	CHECK(find_channel(p.lb, want, 3000, &got));
	CHECK_MEM(got.name, want, RPMSG_NAME_SIZE);
	CHECK_EQ(atomic_load(&drv.probes), 3); /* and it matches the 31-character id */

	/* A name with junk after its NUL: the channel's name is NUL-padded. */
	memset(m, 0x7F, 40);
	memcpy(m, "x", 2);
	memset(m + 32, 0, 8);
	m[32] = 0x22;
	ns_raw(m, 40);
	CHECK(find_channel(p.lb, "x", 0x22, &got));
	memset(want, 0, sizeof(want));
	want[0] = 'x';
	CHECK_MEM(got.name, want, RPMSG_NAME_SIZE);
	CHECK_EQ(nchannels(p.lb), 4);

	/* DESTROY for channels that do not exist: nothing happens. */
	ns_msg(m, "nope", 3000, RPMSG_NS_DESTROY);
	ns_raw(m, 40);
	ns_msg(m, "svc", 4000, RPMSG_NS_DESTROY);
	ns_raw(m, 40);
	ns_msg(m, "svc", RPMSG_ADDR_ANY, RPMSG_NS_DESTROY); /* ANY must not act as a wildcard */
	ns_raw(m, 40);
	CHECK_EQ(nchannels(p.lb), 4);
	CHECK_EQ(atomic_load(&drv.removes), 0);

	/* Only bit 0 of flags counts. */
	ns_msg(m, "svc", 3001, 0xFFFFFFFEu);   /* bit 0 clear: CREATE, a duplicate */
	ns_raw(m, 40);
	CHECK_EQ(nchannels(p.lb), 4);
	ns_msg(m, "svc", 3001, 0x80000001u);   /* bit 0 set: DESTROY */
	ns_raw(m, 40);
	CHECK_EQ(nchannels(p.lb), 3);
	CHECK(!find_channel(p.lb, "svc", 3001, NULL));
	CHECK(find_channel(p.lb, "svc", 3000, NULL));
	CHECK_EQ(atomic_load(&drv.removes), 1);
	/* A second DESTROY of the same: nothing. */
	ns_raw(m, 40);
	CHECK_EQ(nchannels(p.lb), 3);
	CHECK_EQ(atomic_load(&drv.removes), 1);

	/* Announcing an address that is b's own endpoint, or 53, is just data. */
	ns_msg(m, "svc", RPMSG_NS_ADDR, RPMSG_NS_CREATE);
	ns_raw(m, 40);
	CHECK(find_channel(p.lb, "svc", RPMSG_NS_ADDR, NULL));
	ns_msg(m, "svc", RPMSG_NS_ADDR, RPMSG_NS_DESTROY);
	ns_raw(m, 40);
	CHECK(!find_channel(p.lb, "svc", RPMSG_NS_ADDR, NULL));

	/* Random garbage of every length 0..64: no crash; then clean up what it made. */
	for (int i = 0; i < 3000; i++) {
		size_t len = (size_t)(i % 65);

		for (size_t k = 0; k < sizeof(m); k++) {
			seed = seed * 1103515245u + 12345u;
			m[k] = (unsigned char)(seed >> 16);
		}
		if (i % 3 == 0)
			m[5] = 0; /* short names, so some are valid */
		if (i % 2 == 0)
			m[36] &= 0xFE; /* CREATE */
		CHECK_EQ(rpmsg_sendto(raw, m, len, RPMSG_NS_ADDR), 0);
		if (i % 32 == 31)
			pump(&p);
	}
	pump(&p);
	CHECK(nchannels(p.lb) >= 2);

	/* The bus still works. */
	{
		struct rec rb;
		struct rpmsg_endpoint *eb;

		memset(&rb, 0, sizeof(rb));
		eb = mkept(p.lb, "", 9999, RPMSG_ADDR_ANY, rec_cb, &rb);
		CHECK_EQ(rpmsg_sendto(raw, "alive", 5, 9999), 0);
		pump(&p);
		CHECK_EQ(atomic_load(&rb.count), 1);
		rpmsg_destroy_ept(eb);
	}
	/* Nothing came back to the sender: the name service never answers. */
	CHECK_EQ(atomic_load(&r.count), 0);

	pair_close(&p);
	CHECK_EQ(atomic_load(&drv.removes), atomic_load(&drv.probes));
	return t_done();
}
