/*
 * A hostile vhost-user front end and guest: malformed messages (sizes, unknown requests,
 * bad versions, oversized payloads, too many fds), memory tables that overlap, wrap, lie
 * about their files or carry too many regions, ring sizes and addresses that are wrong,
 * and a guest that writes bad descriptors, loops chains, jumps indices and lies in rpmsg
 * headers. Each is refused (an error reply, a dropped connection or a stopped ring) and
 * the backend keeps serving: a well-behaved front end afterwards gets a working link.
 */
#include <pthread.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rpmsg/rpmsg.h>
#include <rpmsg/vhost_user.h>

#include "fe.h"
#include "testlib.h"

static _Atomic int received;

static int count_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept; (void)data; (void)len; (void)src; (void)priv;
	atomic_fetch_add(&received, 1);
	return 0;
}

static struct rpmsg_link *vlink;
static const char *path;

static uint64_t rejected(void)
{
	struct rpmsg_vhost_user_stats st;

	rpmsg_vhost_user_get_stats(vlink, &st);
	return st.rejected;
}

static uint64_t rx_bad(void)
{
	struct rpmsg_vhost_user_stats st;

	rpmsg_vhost_user_get_stats(vlink, &st);
	return st.rx_bad;
}

static bool wait_up(bool up)
{
	for (int i = 0; i < 300; i++) {
		if (rpmsg_link_is_up(vlink) == up)
			return true;
		fe_sleep_ms(10);
	}
	return false;
}

/* The connection still answers. */
static bool alive(struct fe *f)
{
	uint64_t v = 0;

	return fe_get_u64(f, VU_GET_FEATURES, &v) == 0 && (v & VU_F_VERSION_1);
}

/* The backend hung up on us. */
static bool hung_up(struct fe *f)
{
	uint8_t b[8];

	return fe_recv(f, VU_GET_FEATURES, b, sizeof(b), 2000) == -ECONNRESET;
}

/* A refused request: an error answer, one more rejection counted, connection kept. */
#define REFUSED(f, expr)                                                                           \
	do {                                                                                       \
		uint64_t _before = rejected();                                                     \
		int64_t _r = (expr);                                                               \
		CHECK(_r > 0);                                                                     \
		CHECK_EQ(rejected(), _before + 1);                                                 \
		CHECK(alive(f));                                                                   \
	} while (0)

static void bad_messages(void)
{
	struct fe f;
	uint8_t p[8 + 32 * 10] = { 0 };
	int fds[10];

	CHECK_EQ(fe_open(&f, path), 0);
	CHECK_EQ(fe_negotiate(&f), 0);

	/* Sizes that do not match the request. */
	REFUSED(&f, fe_req(&f, VU_SET_FEATURES, p, 4, NULL, 0));
	REFUSED(&f, fe_req(&f, VU_SET_VRING_NUM, p, 12, NULL, 0));
	REFUSED(&f, fe_req(&f, VU_SET_VRING_ADDR, p, 32, NULL, 0));
	REFUSED(&f, fe_req(&f, VU_SET_VRING_KICK, p, 0, NULL, 0));
	REFUSED(&f, fe_req(&f, VU_SET_OWNER, p, 8, NULL, 0));
	/* Features never offered; unknown requests; unknown bits in a vring fd word. */
	REFUSED(&f, fe_req_u64(&f, VU_SET_FEATURES, 1ull << 5, -1));
	REFUSED(&f, fe_req_u64(&f, VU_SET_PROTOCOL_FEATURES, 1ull << 1, -1));
	REFUSED(&f, fe_req(&f, 77, NULL, 0, NULL, 0));
	REFUSED(&f, fe_req(&f, VU_SET_LOG_BASE, p, 16, NULL, 0));
	REFUSED(&f, fe_req_u64(&f, VU_SET_VRING_CALL, 0x200, -1));
	REFUSED(&f, fe_req_u64(&f, VU_SET_VRING_KICK, 0 | VU_VRING_NOFD, -1)); /* polling */
	REFUSED(&f, fe_req_u64(&f, VU_SET_VRING_CALL, 0, -1)); /* no fd */
	/* Ring indices and sizes. */
	REFUSED(&f, fe_req_state(&f, VU_SET_VRING_NUM, 2, 64));
	REFUSED(&f, fe_req_state(&f, VU_SET_VRING_NUM, 0, 0));
	REFUSED(&f, fe_req_state(&f, VU_SET_VRING_NUM, 0, 3));
	REFUSED(&f, fe_req_state(&f, VU_SET_VRING_NUM, 0, 2048));
	REFUSED(&f, fe_req_state(&f, VU_SET_VRING_NUM, 1, 0x80000000u));
	REFUSED(&f, fe_req_state(&f, VU_SET_VRING_BASE, 0, 0x10000));
	REFUSED(&f, fe_req_state(&f, VU_SET_VRING_ENABLE, 0, 2));
	REFUSED(&f, fe_req_u64(&f, VU_SET_VRING_KICK, 7, f.memfd));
	/* Config beyond its space. */
	{
		uint8_t c[12] = { 0 };

		fe_w32(c, 0);
		fe_w32(c + 4, 300);
		REFUSED(&f, fe_req(&f, VU_SET_CONFIG, c, 12, NULL, 0));
	}

	/* Memory tables. */
	for (int i = 0; i < 10; i++)
		fds[i] = f.memfd;
	memset(p, 0, sizeof(p));
	fe_w32(p, 0); /* no region */
	REFUSED(&f, fe_req(&f, VU_SET_MEM_TABLE, p, 8, NULL, 0));
	fe_w32(p, 9); /* too many regions (fds limited to 8 per message) */
	for (int i = 0; i < 9; i++) {
		fe_w64(p + 8 + 32 * i, FE_GPA + 0x1000ull * i);
		fe_w64(p + 16 + 32 * i, 0x1000);
		fe_w64(p + 24 + 32 * i, FE_UVA + 0x1000ull * i);
		fe_w64(p + 32 + 32 * i, 0x1000ull * i);
	}
	REFUSED(&f, fe_req(&f, VU_SET_MEM_TABLE, p, 8 + 32 * 9, fds, 8));
	fe_w32(p, 2); /* size says 1 region, count says 2 */
	REFUSED(&f, fe_req(&f, VU_SET_MEM_TABLE, p, 8 + 32, fds, 1));
	REFUSED(&f, fe_req(&f, VU_SET_MEM_TABLE, p, 8 + 64, fds, 1)); /* fds != regions */
	/* Overlap in guest physical space, then in user space. */
	fe_w64(p + 8 + 32, FE_GPA + 0x800);
	REFUSED(&f, fe_req(&f, VU_SET_MEM_TABLE, p, 8 + 64, fds, 2));
	fe_w64(p + 8 + 32, FE_GPA + 0x100000);
	fe_w64(p + 24 + 32, FE_UVA + 0xfff);
	REFUSED(&f, fe_req(&f, VU_SET_MEM_TABLE, p, 8 + 64, fds, 2));
	/* One region: zero size; wrapping; larger than its file; an offset past the file. */
	fe_w32(p, 1);
	fe_w64(p + 16, 0);
	REFUSED(&f, fe_req(&f, VU_SET_MEM_TABLE, p, 8 + 32, fds, 1));
	fe_w64(p + 8, ~0ull - 0xfff);
	fe_w64(p + 16, 0x2000);
	REFUSED(&f, fe_req(&f, VU_SET_MEM_TABLE, p, 8 + 32, fds, 1));
	fe_w64(p + 8, FE_GPA);
	fe_w64(p + 16, 2ull * FE_MEM);
	REFUSED(&f, fe_req(&f, VU_SET_MEM_TABLE, p, 8 + 32, fds, 1));
	fe_w64(p + 16, 0x1000);
	fe_w64(p + 32, FE_MEM);
	REFUSED(&f, fe_req(&f, VU_SET_MEM_TABLE, p, 8 + 32, fds, 1));
	fe_w64(p + 32, 0);
	{
		int sp[2];

		/* Not a file at all. */
		CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
		REFUSED(&f, fe_req(&f, VU_SET_MEM_TABLE, p, 8 + 32, sp, 1));
		close(sp[0]);
		close(sp[1]);
	}

	/* Ring addresses outside the (valid) memory, and misaligned: the ring never starts. */
	CHECK_EQ(fe_mem_table(&f), 0);
	CHECK_EQ(fe_guest_init(&f, 64), 0);
	CHECK_EQ(fe_ring_setup(&f, 0), 0);
	CHECK_EQ(fe_req_state(&f, VU_SET_VRING_NUM, 1, 64), 0);
	f.kick[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	f.call[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	CHECK_EQ(fe_req_u64(&f, VU_SET_VRING_CALL, 1, f.call[1]), 0);
	CHECK_EQ(fe_req_state(&f, VU_SET_VRING_ENABLE, 1, 1), 0);
	CHECK_EQ(fe_ring_addr(&f, 1, FE_UVA + FE_MEM - 0x100, FE_UVA + 0x5000, FE_UVA + 0x4400), 0);
	REFUSED(&f, fe_req_u64(&f, VU_SET_VRING_KICK, 1, f.kick[1])); /* desc table runs off the end */
	REFUSED(&f, fe_ring_addr(&f, 1, FE_GPA + FE_RING1, FE_UVA + 0x5000, FE_UVA + 0x4400)); /* a GPA, not a user address */
	REFUSED(&f, fe_ring_addr(&f, 1, FE_UVA + FE_RING1 + 8, FE_UVA + 0x5000, FE_UVA + 0x4400)); /* misaligned */
	REFUSED(&f, fe_ring_addr(&f, 1, FE_UVA + FE_RING1, FE_UVA + FE_MEM - 4, FE_UVA + 0x4400)); /* used off the end */
	CHECK(!rpmsg_link_is_up(vlink));
	/* The right addresses: now it starts. */
	CHECK_EQ(fe_ring_addr_default(&f, 1), 0);
	CHECK(wait_up(true));
	/* A running ring refuses changes. */
	REFUSED(&f, fe_req_state(&f, VU_SET_VRING_NUM, 1, 32));
	REFUSED(&f, fe_ring_addr_default(&f, 1));
	/* A new memory table that no longer holds the rings stops them: the vlink goes down. */
	{
		uint8_t m[8 + 32] = { 0 };

		fe_w32(m, 1);
		fe_w64(m + 8, FE_GPA + FE_BUFS);
		fe_w64(m + 16, FE_MEM - FE_BUFS);
		fe_w64(m + 24, FE_UVA + FE_BUFS);
		fe_w64(m + 32, FE_BUFS);
		uint64_t before = rejected();

		CHECK(fe_req(&f, VU_SET_MEM_TABLE, m, sizeof(m), &f.memfd, 1) > 0);
		CHECK(rejected() > before);
		CHECK(wait_up(false));
		CHECK(alive(&f));
	}
	/* Given the full table again, the rings restart where they were. */
	CHECK_EQ(fe_mem_table(&f), 0);
	CHECK(wait_up(true));

	/* A GET the backend cannot answer: it hangs up rather than leave us waiting. */
	{
		uint8_t s[8] = { 9, 0, 0, 0, 0, 0, 0, 0 };

		CHECK_EQ(fe_send(&f, VU_GET_VRING_BASE, VU_VERSION, s, 8, NULL, 0), 0);
		CHECK(hung_up(&f));
	}
	fe_close(&f);
	CHECK(wait_up(false));
}

/* Framing that cannot be trusted: the backend drops the connection. */
static void bad_framing(void)
{
	static uint8_t big[VU_MAX_PAYLOAD + 16];
	struct fe f;
	int fds[12];

	CHECK_EQ(fe_open(&f, path), 0);
	CHECK_EQ(fe_send(&f, VU_GET_FEATURES, 0x2, NULL, 0, NULL, 0), 0); /* version 2 */
	CHECK(hung_up(&f));
	fe_close(&f);

	CHECK_EQ(fe_open(&f, path), 0);
	CHECK_EQ(fe_send(&f, VU_SET_FEATURES, VU_VERSION | VU_FLAG_REPLY, big, 8, NULL, 0), 0);
	CHECK(hung_up(&f));
	fe_close(&f);

	CHECK_EQ(fe_open(&f, path), 0);
	CHECK_EQ(fe_send(&f, VU_SET_CONFIG, VU_VERSION, big, VU_MAX_PAYLOAD + 8, NULL, 0), 0);
	CHECK(hung_up(&f));
	fe_close(&f);

	/* More fds than a message may carry. */
	CHECK_EQ(fe_open(&f, path), 0);
	for (int i = 0; i < 12; i++)
		fds[i] = f.memfd;
	CHECK_EQ(fe_send(&f, VU_SET_MEM_TABLE, VU_VERSION, big, 8, fds, 12), 0);
	CHECK(hung_up(&f));
	fe_close(&f);

	/* Half a header, then silence: hung up after the I/O timeout. */
	CHECK_EQ(fe_open(&f, path), 0);
	CHECK_EQ(write(f.sock, "\x01\x00\x00", 3), 3);
	CHECK(hung_up(&f));
	fe_close(&f);

	/* A header promising a payload that never comes. */
	CHECK_EQ(fe_open(&f, path), 0);
	{
		uint8_t h[12];

		fe_w32(h, VU_SET_FEATURES);
		fe_w32(h + 4, VU_VERSION);
		fe_w32(h + 8, 8);
		CHECK_EQ(write(f.sock, h, 12), 12);
	}
	CHECK(hung_up(&f));
	fe_close(&f);
}

/* Set up a good vlink, then misbehave in the rings. */
static void bad_guest(void)
{
	struct fe f;
	uint64_t bad0;
	uint8_t *d;
	int head;

	CHECK_EQ(fe_open(&f, path), 0);
	CHECK_EQ(fe_setup(&f, 64), 0);
	CHECK(wait_up(true));
	atomic_store(&received, 0);

	/* A header whose len is larger than the buffer: dropped, buffer returned. */
	bad0 = rx_bad();
	{
		uint8_t *b = fe_buf(&f, f.num); /* a transmit buffer not yet used */

		memset(b, 0, 20);
		fe_w32(b, 0x400);
		fe_w32(b + 4, 1024);
		b[12] = 200; /* len 200 in a 20-byte buffer */
		head = vq_add(&f.vq[1], fe_buf_gpa(f.num), 20, false);
		CHECK(head >= 0);
		vq_publish(&f.vq[1]);
		fe_kick(&f, 1);
	}
	for (int i = 0; i < 300 && rx_bad() == bad0; i++)
		fe_sleep_ms(10);
	CHECK_EQ(rx_bad(), bad0 + 1);

	/* A buffer outside guest memory; a device-writable one on the transmit queue; one
	 * shorter than a header. Each is handed back unused. */
	head = vq_add(&f.vq[1], FE_GPA + FE_MEM - 8, 64, false);
	CHECK(head >= 0);
	head = vq_add(&f.vq[1], fe_buf_gpa(f.num), 64, true);
	CHECK(head >= 0);
	head = vq_add(&f.vq[1], fe_buf_gpa(f.num), 8, false);
	CHECK(head >= 0);
	vq_publish(&f.vq[1]);
	fe_kick(&f, 1);
	for (int i = 0; i < 300 && rx_bad() < bad0 + 4; i++)
		fe_sleep_ms(10);
	CHECK_EQ(rx_bad(), bad0 + 4);
	CHECK(rpmsg_link_is_up(vlink));
	CHECK_EQ(atomic_load(&received), 0);
	{
		uint32_t ul;
		int n = 0;

		while (vq_get_used(&f.vq[1], &ul) >= 0)
			n++;
		CHECK_EQ(n, 4); /* all four came back */
	}

	/* A descriptor chain that loops on itself: the ring is broken, the vlink goes down,
	 * nothing is followed. */
	head = vq_add(&f.vq[1], fe_buf_gpa(f.num), 32, false);
	CHECK(head >= 0);
	d = f.mem + FE_RING1 + 16u * (unsigned)head;
	d[12] = VRING_DESC_F_NEXT;
	d[14] = (uint8_t)head;
	vq_publish(&f.vq[1]);
	fe_kick(&f, 1);
	CHECK(wait_up(false));
	CHECK(alive(&f)); /* the connection stays: the front end may reset the ring */
	fe_close(&f);

	/* An available index far ahead of the ring. */
	CHECK_EQ(fe_open(&f, path), 0);
	CHECK_EQ(fe_setup(&f, 64), 0);
	CHECK(wait_up(true));
	fe_w32(f.mem + FE_RING1 + VRING_AVAIL_OFF(64), 0x7fff0000u); /* flags 0, idx 0x7fff */
	fe_kick(&f, 1);
	CHECK(wait_up(false));
	fe_close(&f);

	/* A guest receive descriptor pointing outside memory: our send skips it. */
	CHECK_EQ(fe_open(&f, path), 0);
	CHECK_EQ(fe_negotiate(&f), 0);
	CHECK_EQ(fe_guest_init(&f, 64), 0);
	fe_w32(f.mem + FE_RING0 + 0, 0xdead0000u); /* descriptor 0's address (the first posted) */
	CHECK_EQ(fe_ring_setup(&f, 0), 0);
	CHECK_EQ(fe_ring_setup(&f, 1), 0);
	CHECK(wait_up(true));
	{
		struct rpmsg_endpoint *e;
		struct rpmsg_channel_info info = { .name = "t", .src = 3000, .dst = 0x400 };
		uint8_t buf[FE_BUF];

		bad0 = rx_bad();
		CHECK_EQ(rpmsg_create_ept(vlink, &info, count_cb, NULL, &e), 0);
		CHECK_EQ(rpmsg_send(e, "ok", 2), 0);
		CHECK_EQ(rx_bad(), bad0 + 1);
		CHECK_EQ(fe_rx(&f, buf, sizeof(buf), 2000), 0);  /* the bad one, returned empty */
		CHECK_EQ(fe_rx(&f, buf, sizeof(buf), 2000), 18); /* the message */
		CHECK_MEM(buf + 16, "ok", 2);
		/* Larger than the MTU: refused before any buffer is spent. */
		{
			static char huge[600];

			CHECK_EQ(rpmsg_send(e, huge, sizeof(huge)), -EMSGSIZE);
		}
		rpmsg_destroy_ept(e);
	}
	fe_close(&f);
	CHECK(wait_up(false));
}

struct sender {
	struct rpmsg_endpoint *ept;
	int ret;
	_Atomic bool done;
};

static void *send_thread(void *arg)
{
	struct sender *s = arg;

	s->ret = rpmsg_send(s->ept, "wait", 4); /* up to 15 s for a buffer */
	atomic_store(&s->done, true);
	return NULL;
}

/* A guest that posts no receive buffers: try fails, a timeout expires, and a sender that
 * waits is released (-EPIPE) when the front end goes away, not after its 15 s. */
static void starved_sender(void)
{
	struct rpmsg_channel_info info = { .name = "t", .src = 3002, .dst = 0x400 };
	struct sender s = { 0 };
	pthread_t th;
	struct fe f;
	uint64_t t0;

	CHECK_EQ(fe_open(&f, path), 0);
	CHECK_EQ(fe_negotiate(&f), 0);
	CHECK_EQ(fe_guest_init(&f, 64), 0);
	memset(f.mem + FE_RING0 + VRING_AVAIL_OFF(64), 0, 4); /* take the posted buffers back */
	CHECK_EQ(fe_ring_setup(&f, 0), 0);
	CHECK_EQ(fe_ring_setup(&f, 1), 0);
	CHECK(wait_up(true));
	CHECK_EQ(rpmsg_create_ept(vlink, &info, count_cb, NULL, &s.ept), 0);
	CHECK_EQ(rpmsg_trysend(s.ept, "x", 1), -ENOMEM);
	CHECK_EQ(rpmsg_send_timeout(s.ept, 3002, 0x400, "x", 1, 50), -ETIMEDOUT);
	CHECK_EQ(rpmsg_poll_tx(s.ept), 0);
	CHECK_EQ(pthread_create(&th, NULL, send_thread, &s), 0);
	fe_sleep_ms(100);
	CHECK(!atomic_load(&s.done));
	t0 = fe_now_ms();
	fe_close(&f);
	pthread_join(th, NULL);
	CHECK_EQ(s.ret, -EPIPE);
	CHECK(fe_now_ms() - t0 < 3000);
	CHECK(wait_up(false));
	rpmsg_destroy_ept(s.ept);
}

/* Afterwards, a good front end gets a working link. */
static void still_works(void)
{
	struct fe f;
	struct rpmsg_endpoint *e;
	struct rpmsg_channel_info info = { .name = "t", .src = 3001, .dst = RPMSG_ADDR_ANY };

	CHECK_EQ(fe_open(&f, path), 0);
	CHECK_EQ(fe_setup(&f, 256), 0);
	CHECK(wait_up(true));
	atomic_store(&received, 0);
	CHECK_EQ(rpmsg_create_ept(vlink, &info, count_cb, NULL, &e), 0);
	CHECK_EQ(fe_tx(&f, 0x400, 3001, "hi", 2), 0);
	for (int i = 0; i < 300 && !atomic_load(&received); i++)
		fe_sleep_ms(10);
	CHECK_EQ(atomic_load(&received), 1);
	rpmsg_destroy_ept(e);
	fe_close(&f);
}

int main(void)
{
	struct rpmsg_bus *bus;
	char p[64];

	t_timeout(100);
	snprintf(p, sizeof(p), "/tmp/rpmsg-vuh-%d.sock", (int)getpid());
	path = p;
	CHECK_EQ(rpmsg_bus_create(&bus), 0);
	CHECK_EQ(rpmsg_vhost_user_create(bus, path, NULL, &vlink), 0);
	CHECK_EQ(rpmsg_bus_start_thread(bus), 0);

	bad_messages();
	bad_framing();
	bad_guest();
	starved_sender();
	still_works();

	rpmsg_bus_stop_thread(bus);
	rpmsg_bus_destroy(bus);
	return t_done();
}
