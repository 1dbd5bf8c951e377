/*
 * The vhost-user virtio-rpmsg backend against an in-test front end that behaves as QEMU
 * (vhost-user messages) and a guest that behaves as Linux's virtio_rpmsg_bus (rings):
 * negotiation, our NS announcement in the guest's receive ring byte for byte, a guest
 * message delivered to our endpoint and echoed back, a guest NS announcement creating and
 * removing a channel on our bus, GET_VRING_BASE stopping the link and a restart, and a
 * front end that disconnects and a new one that connects.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rpmsg/rpmsg.h>
#include <rpmsg/vhost_user.h>

#include "fe.h"
#include "testlib.h"

static _Atomic int echoes;

static int echo_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)priv;
	atomic_fetch_add(&echoes, 1);
	return rpmsg_sendto(ept, data, len, src);
}

static const char *const echo_ids[] = { "rpmsg-echo", NULL };
static const struct rpmsg_driver echo_drv = {
	.name = "echo", .id_table = echo_ids, .callback = echo_cb,
};

static bool wait_up(struct rpmsg_link *link, bool up)
{
	for (int i = 0; i < 300; i++) {
		if (rpmsg_link_is_up(link) == up)
			return true;
		fe_sleep_ms(10);
	}
	return false;
}

static int channel_count(struct rpmsg_link *link, const char *name, uint32_t dst);

/* The transport reports the link down at once; the bus thread removes its
 * channels right after, so wait for that too. */
static bool wait_no_channels(struct rpmsg_link *link)
{
	for (int i = 0; i < 300; i++) {
		if (channel_count(link, "rpmsg-echo", RPMSG_ADDR_ANY) == 0)
			return true;
		fe_sleep_ms(10);
	}
	return false;
}

static int channel_count(struct rpmsg_link *link, const char *name, uint32_t dst)
{
	struct rpmsg_channel_info ch[16];
	int n = rpmsg_link_channels(link, ch, 16), hits = 0;

	for (int i = 0; i < n && i < 16; i++)
		if (!strcmp(ch[i].name, name) && (dst == RPMSG_ADDR_ANY || ch[i].dst == dst))
			hits++;
	return hits;
}

/* The expected NS CREATE for "rpmsg-echo" at 1024, header and payload. */
static void expect_ns(const uint8_t *got, int len, const char *name, uint32_t addr, uint32_t flags)
{
	uint8_t want[56] = { 0 };

	fe_w32(want, addr);      /* src: the announcing endpoint */
	fe_w32(want + 4, 53);    /* dst: the name service */
	want[12] = 40;           /* len */
	memcpy(want + 16, name, strlen(name));
	fe_w32(want + 16 + 32, addr);
	fe_w32(want + 16 + 36, flags);
	CHECK_EQ(len, 56);
	if (len == 56)
		CHECK_MEM(got, want, 56);
}

/* Our service comes up on the backend once the link is: the NS CREATE reaches the guest. */
static void serve_and_check_ns(struct fe *f, struct rpmsg_link *link)
{
	struct rpmsg_channel_info info = { .name = "rpmsg-echo", .src = 1024, .dst = RPMSG_ADDR_ANY };
	uint8_t buf[FE_BUF];
	int len;

	CHECK_EQ(rpmsg_create_channel(link, &info, NULL), 0);
	len = fe_rx(f, buf, sizeof(buf), 3000);
	expect_ns(buf, len, "rpmsg-echo", 1024, RPMSG_NS_CREATE);
}

static void echo_round(struct fe *f, uint32_t guest_addr, const char *text)
{
	uint8_t buf[FE_BUF];
	size_t n = strlen(text);
	int len;

	CHECK_EQ(fe_tx(f, guest_addr, 1024, text, (uint16_t)n), 0);
	len = fe_rx(f, buf, sizeof(buf), 3000);
	CHECK_EQ(len, (int)(16 + n));
	if (len == (int)(16 + n)) {
		CHECK_EQ(fe_r32(buf), 1024);
		CHECK_EQ(fe_r32(buf + 4), guest_addr);
		CHECK_EQ(fe_r32(buf + 8), 0);
		CHECK_EQ(buf[12] | buf[13] << 8, n);
		CHECK_EQ(buf[14] | buf[15] << 8, 0);
		CHECK_MEM(buf + 16, text, n);
	}
}

int main(void)
{
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	struct rpmsg_vhost_user_stats st;
	struct rpmsg_vhost_user_config cfg = { .name = "vu-test" };
	char path[64];
	struct fe f;
	uint64_t v;
	int base;

	t_timeout(90);
	snprintf(path, sizeof(path), "/tmp/rpmsg-vu-%d.sock", (int)getpid());
	CHECK_EQ(rpmsg_bus_create(&bus), 0);
	CHECK_EQ(rpmsg_register_driver(bus, &echo_drv), 0);
	CHECK_EQ(rpmsg_vhost_user_create(bus, path, &cfg, &link), 0);
	CHECK(!strcmp(rpmsg_link_transport(link), "vhost-user"));
	CHECK(!strcmp(rpmsg_link_name(link), "vu-test"));
	CHECK(!rpmsg_link_is_up(link));
	CHECK_EQ(rpmsg_bus_start_thread(bus), 0);

	/* ---- negotiation ---- */
	CHECK_EQ(fe_open(&f, path), 0);
	CHECK_EQ(fe_get_u64(&f, VU_GET_FEATURES, &v), 0);
	CHECK(v & VU_F_VERSION_1);
	CHECK(v & VU_F_RPMSG_NS);
	CHECK(v & VU_F_PROTOCOL_FEATURES);
	CHECK_EQ(fe_negotiate(&f), 0);
	CHECK_EQ(fe_get_u64(&f, VU_GET_QUEUE_NUM, &v), 0);
	CHECK_EQ(v, 2);
	{
		/* GET_CONFIG: virtio-rpmsg has no config space; zeros of the asked size. */
		uint8_t p[12 + 8] = { 0 }, r[12 + 8];

		fe_w32(p + 4, 8);
		CHECK_EQ(fe_send(&f, VU_GET_CONFIG, VU_VERSION, p, sizeof(p), NULL, 0), 0);
		CHECK_EQ(fe_recv(&f, VU_GET_CONFIG, r, sizeof(r), 2000), 20);
		CHECK_EQ(fe_r32(r + 4), 8);
	}
	CHECK_EQ(fe_guest_init(&f, 64), 0);
	CHECK_EQ(fe_ring_setup(&f, 0), 0);
	CHECK(!rpmsg_link_is_up(link)); /* one ring is not a link */
	CHECK_EQ(fe_ring_setup(&f, 1), 0);
	CHECK(wait_up(link, true));
	CHECK_EQ(rpmsg_vhost_user_get_stats(link, &st), 0);
	CHECK(st.connected);
	CHECK_EQ(st.connects, 1);
	CHECK_EQ(st.rejected, 0);

	/* ---- our announcement, byte for byte, in the guest's receive ring ---- */
	serve_and_check_ns(&f, link);
	CHECK_EQ(channel_count(link, "rpmsg-echo", RPMSG_ADDR_ANY), 1);

	/* ---- guest -> our endpoint -> echo back ---- */
	echo_round(&f, 0x400, "hello");
	echo_round(&f, 0x401, "a second message, from another guest endpoint");
	for (int i = 0; i < 200; i++) { /* more than the rings hold: buffers cycle */
		char msg[32];

		snprintf(msg, sizeof(msg), "msg %d", i);
		echo_round(&f, 0x400, msg);
	}
	CHECK_EQ(atomic_load(&echoes), 202);
	{
		/* A 496-byte payload fits (the MTU), as in Linux. */
		char big[496];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = 0;
		echo_round(&f, 0x400, big);
	}

	/* ---- a guest announcement makes a channel here; its DESTROY removes it ---- */
	{
		uint8_t ns[40] = { 0 };

		memcpy(ns, "guest-svc", 9);
		fe_w32(ns + 32, 0x402);
		fe_w32(ns + 36, RPMSG_NS_CREATE);
		CHECK_EQ(fe_tx(&f, 0x402, 53, ns, 40), 0);
		for (int i = 0; i < 300 && !channel_count(link, "guest-svc", 0x402); i++)
			fe_sleep_ms(10);
		CHECK_EQ(channel_count(link, "guest-svc", 0x402), 1);
		fe_w32(ns + 36, RPMSG_NS_DESTROY);
		CHECK_EQ(fe_tx(&f, 0x402, 53, ns, 40), 0);
		for (int i = 0; i < 300 && channel_count(link, "guest-svc", 0x402); i++)
			fe_sleep_ms(10);
		CHECK_EQ(channel_count(link, "guest-svc", 0x402), 0);
	}

	/* ---- GET_VRING_BASE stops the ring: the link goes down, channels go ---- */
	base = fe_get_base(&f, 1);
	CHECK_EQ(base, 205); /* every guest transmission was taken */
	CHECK(wait_up(link, false));
	CHECK(wait_no_channels(link));
	/* A restart (new kick fd) resumes where the ring stopped. */
	close(f.kick[1]);
	f.kick[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	CHECK_EQ(fe_req_u64(&f, VU_SET_VRING_KICK, 1, f.kick[1]), 0);
	CHECK(wait_up(link, true));
	serve_and_check_ns(&f, link);
	echo_round(&f, 0x400, "after restart");

	/* ---- the front end goes away; another one comes ---- */
	fe_close(&f);
	CHECK(wait_up(link, false));
	CHECK(wait_no_channels(link));
	for (int i = 0; i < 300; i++) {
		rpmsg_vhost_user_get_stats(link, &st);
		if (!st.connected)
			break;
		fe_sleep_ms(10);
	}
	CHECK(!st.connected);
	CHECK_EQ(st.disconnects, 1);
	{
		struct rpmsg_endpoint *e = NULL;
		struct rpmsg_channel_info info = { .name = "x", .src = 2000, .dst = 0x400 };

		/* While down, sending fails cleanly. */
		CHECK_EQ(rpmsg_create_ept(link, &info, echo_cb, NULL, &e), 0);
		CHECK_EQ(rpmsg_send(e, "x", 1), -ENOTCONN);
		rpmsg_destroy_ept(e);
	}
	CHECK_EQ(fe_open(&f, path), 0);
	f.uml = true; /* the second front end speaks as User-Mode Linux does */
	CHECK_EQ(fe_setup(&f, 128), 0);
	CHECK(wait_up(link, true));
	serve_and_check_ns(&f, link);
	echo_round(&f, 0x405, "second front end");
	rpmsg_vhost_user_get_stats(link, &st);
	CHECK_EQ(st.connects, 2);
	CHECK_EQ(st.rejected, 0);
	CHECK_EQ(st.rx_bad, 0);
	CHECK(st.calls > 0);
	/* Every guest message but its two announcements was echoed; we announced three times. */
	CHECK_EQ(st.tx_msgs, st.rx_msgs - 2 + 3);

	/* ---- guest memory in two regions (rings in one, buffers in the other) ---- */
	fe_close(&f);
	CHECK(wait_up(link, false));
	CHECK_EQ(fe_open(&f, path), 0);
	f.two_regions = true;
	CHECK_EQ(fe_setup(&f, 64), 0);
	CHECK(wait_up(link, true));
	serve_and_check_ns(&f, link);
	for (int i = 0; i < 100; i++)
		echo_round(&f, 0x406, "two regions");
	{
		/* A buffer straddling the two regions is refused (each lies in one mapping). */
		uint64_t bad;
		int head;

		uint32_t ul;

		rpmsg_vhost_user_get_stats(link, &st);
		bad = st.rx_bad;
		while (vq_get_used(&f.vq[1], &ul) >= 0)
			; /* take back the transmit descriptors (their buffers are not reused) */
		head = vq_add(&f.vq[1], FE_GPA + FE_BUFS - 8, 32, false);
		CHECK(head >= 0);
		vq_publish(&f.vq[1]);
		fe_kick(&f, 1);
		for (int i = 0; i < 300 && st.rx_bad == bad; i++) {
			fe_sleep_ms(10);
			rpmsg_vhost_user_get_stats(link, &st);
		}
		CHECK_EQ(st.rx_bad, bad + 1);
		CHECK(rpmsg_link_is_up(link));
	}

	rpmsg_bus_stop_thread(bus);
	rpmsg_bus_destroy(bus);
	fe_close(&f);
	CHECK(access(path, F_OK) != 0); /* the socket file is gone */
	return t_done();
}
