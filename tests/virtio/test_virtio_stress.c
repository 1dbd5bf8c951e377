/*
 * Two processes, one per role, over the same shared memory: name-service announcements
 * both ways, a driver probed on each announced channel, then a million messages of random
 * sizes 1..MTU from the main CPU to two endpoints of the remote's channel (and a stream
 * back), each with a sequence number and checksum: none lost, duplicated or reordered.
 * RPMSG_STRESS_MESSAGES overrides the count.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "testlib.h"
#include "vpair.h"

struct stream {
	uint32_t next_seq;
	uint32_t bad;
};

static uint32_t fnv(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

/* payload: seq (4) | checksum of the rest (4) | filler; at least 8 bytes, else seq only. */
static size_t make_msg(uint8_t *buf, uint32_t seq, size_t len)
{
	for (size_t i = 0; i < len && i < 4; i++) /* little-endian: short ones keep the low bytes */
		buf[i] = (uint8_t)(seq >> (8 * i));
	for (size_t i = 8; i < len; i++)
		buf[i] = (uint8_t)(seq * 31 + i);
	if (len >= 8) {
		uint32_t h = fnv(buf + 8, len - 8);

		memcpy(buf + 4, &h, 4);
	}
	return len;
}

static void check_msg(struct stream *s, const uint8_t *data, size_t len)
{
	uint32_t seq = 0, h;

	if (len < 4) {
		/* 1..3 byte messages carry the low bytes of the sequence */
		for (size_t i = 0; i < len; i++)
			seq |= (uint32_t)data[i] << (8 * i);
		uint32_t mask = len == 1 ? 0xFF : len == 2 ? 0xFFFF : 0xFFFFFF;

		if (seq != (s->next_seq & mask))
			s->bad++;
		s->next_seq++;
		return;
	}
	seq = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
	if (seq != s->next_seq)
		s->bad++;
	if (len >= 8) {
		memcpy(&h, data + 4, 4);
		if (h != fnv(data + 8, len - 8))
			s->bad++;
	}
	s->next_seq = seq + 1;
}

static size_t rand_len(unsigned *state, int mtu)
{
	return 1 + (size_t)(rand_r(state) % mtu);
}

static struct stream streams[3]; /* device: two endpoints; driver: one */
static struct rpmsg_channel *probed;     /* the peer's announced channel */
static volatile int remote_done;

static int done_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept; (void)data; (void)len; (void)src; (void)priv;
	remote_done = 1;
	return 0;
}

static int stream_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept; (void)src;
	check_msg(priv, data, len);
	return 0;
}

static int on_probe(struct rpmsg_channel *ch)
{
	probed = ch;
	return 0;
}

static const char *const main_ids[] = { "stress", NULL };
static const char *const own_ids[] = { "from-main", NULL };
static const char *const remote_ids[] = { "from-main", NULL };

static long count_of(void)
{
	const char *e = getenv("RPMSG_STRESS_MESSAGES");

	return e ? atol(e) : 1000000;
}

/* The remote: announce "stress" (two endpoints), bind "from-main", stream back to it. */
static int remote(const char *name, long n_in, long n_out)
{
	struct rpmsg_virtio_config cfg = { .role = RPMSG_VIRTIO_DEVICE };
	struct rpmsg_driver drv = { .name = "r", .id_table = remote_ids, .probe = on_probe,
				    .callback = stream_cb, .priv = &streams[2] };
	struct rpmsg_channel_info i1 = { .name = "stress", .src = RPMSG_ADDR_ANY, .dst = RPMSG_ADDR_ANY };
	struct rpmsg_channel_info i2 = { .name = "", .src = 4000, .dst = RPMSG_ADDR_ANY };
	struct rpmsg_platform *plat;
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	struct rpmsg_endpoint *e1, *e2;
	unsigned st = 7;
	uint8_t buf[512];
	long sent = 0;
	int mtu;

	if (rpmsg_posix_attach(name, &plat) || rpmsg_bus_create(&bus) ||
	    rpmsg_register_driver(bus, &drv) || rpmsg_virtio_create(bus, plat, &cfg, &link))
		return 10;
	while (!rpmsg_link_is_up(link))
		rpmsg_bus_poll(bus, 10);
	if (rpmsg_create_ept(link, &i1, stream_cb, &streams[0], &e1) ||
	    rpmsg_create_ept(link, &i2, stream_cb, &streams[1], &e2) || rpmsg_ept_announce(e1))
		return 11;
	while (!probed)
		rpmsg_bus_poll(bus, 10);
	mtu = rpmsg_get_mtu(rpmsg_channel_ept(probed));
	if (mtu != 496)
		return 12;
	while (sent < n_out || (long)(streams[0].next_seq + streams[1].next_seq) < n_in) {
		int r = -ENOMEM;

		if (sent < n_out) {
			size_t len = make_msg(buf, (uint32_t)sent, rand_len(&st, mtu));

			r = rpmsg_trysend(rpmsg_channel_ept(probed), buf, len);
			if (r == 0)
				sent++;
			else if (r != -ENOMEM)
				return 13;
		}
		rpmsg_bus_poll(bus, r == 0 ? 0 : 1);
	}
	if (streams[0].bad || streams[1].bad)
		return 14;
	if (rpmsg_sendto(e1, "done", 4, 6000))
		return 15;
	/* Wait for the main CPU to reset us (its link destroy), then leave. */
	while (rpmsg_link_is_up(link))
		rpmsg_bus_poll(bus, 10);
	rpmsg_bus_destroy(bus);
	return 0;
}

int main(void)
{
	long n = count_of(), n_back = n / 4;
	struct rpmsg_virtio_config cfg = { .role = RPMSG_VIRTIO_DRIVER };
	struct rpmsg_driver drv = { .name = "m", .id_table = main_ids, .probe = on_probe,
				    .callback = stream_cb, .priv = &streams[2] };
	struct rpmsg_driver own_drv = { .name = "own", .id_table = own_ids,
					.callback = stream_cb, .priv = &streams[2] };
	struct rpmsg_channel_info svc = { .name = "from-main", .src = 5000, .dst = RPMSG_ADDR_ANY };
	struct rpmsg_channel_info done = { .name = "done", .src = 6000, .dst = RPMSG_ADDR_ANY };
	struct rpmsg_endpoint *done_ept;
	struct rpmsg_platform *plat;
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	struct rpmsg_channel *own;
	char name[48];
	uint32_t seq[2] = { 0, 0 };
	unsigned st = 1;
	uint8_t buf[512];
	long sent = 0;
	int status = -1;
	pid_t pid;

	t_timeout(110);
	snprintf(name, sizeof(name), "t-stress-%d", (int)getpid());
	rpmsg_posix_unlink(name);
	CHECK_EQ(rpmsg_posix_create(name, 1 << 20, &plat), 0);
	pid = fork();
	if (pid == 0)
		_exit(remote(name, n, n_back));

	CHECK_EQ(rpmsg_bus_create(&bus), 0);
	CHECK_EQ(rpmsg_register_driver(bus, &drv), 0);
	CHECK_EQ(rpmsg_register_driver(bus, &own_drv), 0);
	CHECK_EQ(rpmsg_virtio_create(bus, plat, &cfg, &link), 0);
	CHECK_EQ(rpmsg_create_ept(link, &done, done_cb, NULL, &done_ept), 0);
	/* Remote -> main announcement: our driver is probed on "stress". */
	for (int i = 0; i < 500 && !probed; i++)
		rpmsg_bus_poll(bus, 10);
	CHECK(probed != NULL);
	if (!probed)
		goto out;
	CHECK_EQ(rpmsg_channel_info(probed)->dst, 1024);
	/* Main -> remote announcement: a local service with a fixed address. */
	CHECK_EQ(rpmsg_create_channel(link, &svc, &own), 0);
	CHECK_EQ(rpmsg_ept_addr(rpmsg_channel_ept(own)), 5000);

	while (sent < n || (long)streams[2].next_seq < n_back || !remote_done) {
		int r = -ENOMEM;

		if (sent < n) {
			int which = (int)(sent & 1);
			size_t len = make_msg(buf, seq[which], rand_len(&st, 496));

			r = rpmsg_trysendto(rpmsg_channel_ept(probed), buf, len, which ? 4000 : 1024);
			if (r == 0) {
				seq[which]++;
				sent++;
			} else if (r != -ENOMEM) {
				CHECK_EQ(r, -ENOMEM);
				break;
			}
		}
		rpmsg_bus_poll(bus, r == 0 ? 0 : 1);
	}
	CHECK_EQ(streams[2].bad, 0);
	CHECK_EQ(streams[2].next_seq, n_back);
	{
		struct rpmsg_virtio_stats s;

		CHECK_EQ(rpmsg_virtio_get_stats(link, &s), 0);
		CHECK_EQ(s.rx_bad, 0);
		CHECK_EQ(s.rx_dropped, 0);
		printf("sent %ld, received %u, notifies %llu, tx waits %llu\n", sent,
		       streams[2].next_seq, (unsigned long long)s.notifies,
		       (unsigned long long)s.tx_waits);
		/* Both sides poll most of the time: the fence pact (on by default) comes and goes. */
		printf("fence pact: %llu posts, %llu revokes, %llu publishes without a fence\n",
		       (unsigned long long)s.pact_posts, (unsigned long long)s.pact_revokes,
		       (unsigned long long)s.light_publishes);
	}
out:
	rpmsg_bus_destroy(bus); /* resets the device: the remote checks and exits */
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	rpmsg_posix_unlink(name);
	return t_done();
}
