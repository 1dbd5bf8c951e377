/*
 * rpmsg tiny (the small remote) against the library's virtio driver, the main CPU role:
 * name-service announcements become channels with the right name and address, messages
 * go both ways byte for byte and in order while buffers cycle many times round the rings,
 * sends without a posted buffer fail cleanly, the link follows the main CPU's resets, and
 * all of it in little-endian, big-endian legacy order and with the event index.
 */
#include "rig.h"

#define MAX_CH 4

static struct rpmsg_channel *chans[MAX_CH];
static struct rpmsg_channel_info chinfo[MAX_CH];
static int nchans, removed;

/* What the main CPU received from the tiny side, checked against the generator. */
static unsigned main_rx, main_bad;
static uint32_t main_last_src;
/* What the tiny side received. */
static unsigned tiny_rx, tiny_bad;
static uint32_t tiny_last_src;

/* Message k: its length and bytes (deterministic, every length 0..496 appears). */
static size_t gen_len(unsigned k, size_t max) { return (k * 37u + 5u) % (max + 1); }
static void gen(unsigned k, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(k * 7u + i * 13u + (k >> 8));
}

static bool matches(unsigned k, const void *data, size_t len, size_t max)
{
	uint8_t want[512];

	if (len != gen_len(k, max))
		return false;
	gen(k, want, len);
	return memcmp(want, data, len) == 0;
}

static int main_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept;
	(void)priv;
	if (!matches(main_rx, data, len, 496))
		main_bad++;
	main_rx++;
	main_last_src = src;
	return 0;
}

static int probe(struct rpmsg_channel *ch)
{
	if (nchans < MAX_CH) {
		chinfo[nchans] = *rpmsg_channel_info(ch);
		chans[nchans++] = ch;
	}
	return 0;
}

static void remove_ch(struct rpmsg_channel *ch)
{
	for (int i = 0; i < nchans; i++)
		if (chans[i] == ch) {
			chans[i] = chans[--nchans];
			chinfo[i] = chinfo[nchans];
		}
	removed++;
}

static const char *const ids[] = { "tiny-a", "tiny-b", NULL };
static const struct rpmsg_driver drv = { .name = "tinytest", .id_table = ids, .probe = probe,
					 .remove = remove_ch, .callback = main_cb };

static void tiny_cb(struct rpmsg_tiny_ept *ept, const void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept;
	(void)priv;
	if (!matches(tiny_rx, data, len, 496))
		tiny_bad++;
	tiny_rx++;
	tiny_last_src = src;
}

static struct rpmsg_channel *chan(const char *name)
{
	for (int i = 0; i < nchans; i++)
		if (!strcmp(chinfo[i].name, name))
			return chans[i];
	return NULL;
}

static void reset_counts(void)
{
	nchans = removed = 0;
	main_rx = main_bad = tiny_rx = tiny_bad = 0;
}

/* Announcements, addresses, and N messages each way. */
static void exchange(bool be, uint32_t features, unsigned num, unsigned n)
{
	struct rig r;
	struct rpmsg_tiny_ept a, b, c;
	uint8_t buf[512];
	unsigned sent_main = 0, sent_tiny = 0, eagain = 0;
	struct rpmsg_channel_info li[MAX_CH];

	reset_counts();
	rig_tiny(&r, be, features, num);
	CHECK_EQ(rpmsg_tiny_ept_create(&r.dev, &a, RPMSG_TINY_ADDR_ANY, tiny_cb, NULL), 0);
	CHECK_EQ(a.addr, 1024);
	CHECK_EQ(rpmsg_tiny_ept_create(&r.dev, &b, 2000, tiny_cb, NULL), 0);
	CHECK_EQ(rpmsg_tiny_ept_create(&r.dev, &c, 2000, tiny_cb, NULL), -EADDRINUSE);
	CHECK_EQ(rpmsg_tiny_ept_create(&r.dev, &c, RPMSG_TINY_NS_ADDR, tiny_cb, NULL), -EINVAL);
	CHECK_EQ(rpmsg_tiny_ept_create(&r.dev, &c, RPMSG_TINY_ADDR_ANY, NULL, NULL), 0);
	CHECK_EQ(c.addr, 1025);
	/* Before DRIVER_OK: remembered, sent by poll once the link is up. */
	CHECK_EQ(rpmsg_tiny_announce(&a, "tiny-a"), -ENOTCONN);
	CHECK_EQ(rpmsg_tiny_announce(&b, "tiny-b"), -ENOTCONN);
	CHECK_EQ(rpmsg_tiny_announce(&c, ""), -EINVAL);
	CHECK_EQ(rpmsg_tiny_announce(&c, "0123456789abcdef0123456789abcdef"), -EINVAL);
	CHECK_EQ(rpmsg_tiny_sendto(&a, 1024, "x", 1), -ENOTCONN);
	CHECK_EQ(rpmsg_tiny_poll(&r.dev), 0);

	CHECK_EQ(rig_driver(&r, &drv), 0);
	CHECK(rpmsg_tiny_is_up(&r.dev));
	CHECK(rig_pump(&r) >= 2);
	CHECK(a.announced && b.announced);
	CHECK_EQ(nchans, 2);
	CHECK(chan("tiny-a") && chan("tiny-b"));
	CHECK_EQ(rpmsg_link_channels(r.ld, li, MAX_CH), 2);
	for (int i = 0; i < 2; i++) {
		if (!strcmp(li[i].name, "tiny-a"))
			CHECK_EQ(li[i].dst, 1024);
		else
			CHECK_EQ(li[i].dst, 2000);
	}
	if (!chan("tiny-a") || !chan("tiny-b")) {
		rig_close(&r);
		return;
	}
	/* Default destination: unknown until the main CPU writes first. */
	CHECK_EQ(rpmsg_tiny_send(&a, "x", 1), -EDESTADDRREQ);
	CHECK_EQ(rpmsg_tiny_sendto(&a, RPMSG_TINY_ADDR_ANY, "x", 1), -EINVAL);

	/* n messages each way, interleaved, the rings cycled n / num times. */
	while ((sent_main < n || sent_tiny < n) && eagain < 100000) {
		if (sent_main < n) {
			size_t len = gen_len(sent_main, 496);
			int ret;

			gen(sent_main, buf, len);
			ret = rpmsg_trysend(rpmsg_channel_ept(chan("tiny-a")), buf, len);
			if (!ret)
				sent_main++;
			else
				CHECK(ret == -ENOMEM || ret == -EAGAIN);
		}
		if (sent_tiny < n && tiny_rx > 0) {
			size_t len = gen_len(sent_tiny, 496);
			int ret;

			gen(sent_tiny, buf, len);
			ret = rpmsg_tiny_send(&a, buf, len);
			if (!ret) {
				sent_tiny++;
			} else {
				CHECK_EQ(ret, -EAGAIN);
				eagain++;
			}
		}
		if ((sent_main + sent_tiny) % 3 == 0)
			rig_pump(&r);
	}
	rig_pump(&r);
	CHECK_EQ(sent_main, n);
	CHECK_EQ(sent_tiny, n);
	CHECK_EQ(tiny_rx, n);
	CHECK_EQ(main_rx, n);
	CHECK_EQ(tiny_bad, 0);
	CHECK_EQ(main_bad, 0);
	CHECK_EQ(main_last_src, 1024);
	CHECK_EQ(tiny_last_src, rpmsg_ept_addr(rpmsg_channel_ept(chan("tiny-a"))));
	CHECK_EQ(r.dev.rx_bad, 0);
	CHECK_EQ(r.dev.rx_dropped, 0);
	CHECK(r.notified[0] > 0 || (features & RPMSG_VIRTIO_F_EVENT_IDX));

	/* Destroy sends NS DESTROY: the channel goes away on the main side. */
	rpmsg_tiny_ept_destroy(&b);
	rig_pump(&r);
	CHECK(chan("tiny-b") == NULL);
	CHECK(chan("tiny-a") != NULL);
	rig_close(&r);
}

/* Sends with no buffer posted, too big, and the buffer kept for the next send. */
static void no_buffer(void)
{
	struct rig r;
	struct rpmsg_tiny_ept a;
	uint8_t big[600] = { 0 };
	int i, ret = 0;

	reset_counts();
	rig_tiny(&r, false, RPMSG_TINY_F_NS, 8);
	CHECK_EQ(rpmsg_tiny_ept_create(&r.dev, &a, 1024, tiny_cb, NULL), 0);
	CHECK_EQ(rig_driver(&r, &drv), 0);
	CHECK(rpmsg_tiny_is_up(&r.dev));
	/* No NS here: every posted buffer is ours to fill. The driver posted 8. */
	for (i = 0; i < 20; i++) {
		size_t len = gen_len((unsigned)i, 496);

		gen((unsigned)i, big, len);
		ret = rpmsg_tiny_sendto(&a, 1024, big, len);
		if (ret)
			break;
	}
	CHECK_EQ(i, 8);
	CHECK_EQ(ret, -EAGAIN);
	CHECK_EQ(rpmsg_tiny_sendto(&a, 1024, big, 1), -EAGAIN); /* and again: still none */
	CHECK_EQ(r.dev.rx_bad, 0);
	/* The main CPU takes them (no endpoint at 1024 there: dropped) and posts them again. */
	rpmsg_bus_poll(r.bd, 0);
	CHECK_EQ(rpmsg_tiny_sendto(&a, 1024, big, 497), -EMSGSIZE);
	CHECK_EQ(rpmsg_tiny_sendto(&a, 1024, big, 70000), -EMSGSIZE);
	CHECK_EQ(rpmsg_tiny_sendto(&a, 1024, big, 496), 0); /* the buffer kept above */
	for (i = 0; i < 20 && !rpmsg_tiny_sendto(&a, 1024, big, 0); i++)
		;
	CHECK_EQ(i, 7);
	CHECK_EQ(r.dev.rx_bad, 0);
	rig_close(&r);
}

/* The main CPU resets (status 0) and comes back: the link follows, endpoints re-announced. */
static void restart(void)
{
	struct rig r;
	struct rpmsg_tiny_ept a;

	reset_counts();
	rig_tiny(&r, false, RPMSG_TINY_F_NS, 8);
	CHECK_EQ(rpmsg_tiny_ept_create(&r.dev, &a, 1024, tiny_cb, NULL), 0);
	CHECK_EQ(rig_driver(&r, &drv), 0);
	rpmsg_tiny_announce(&a, "tiny-a");
	rig_pump(&r);
	CHECK_EQ(nchans, 1);
	CHECK_EQ(rpmsg_trysend(rpmsg_channel_ept(chan("tiny-a")), "", 0), 0);
	rig_pump(&r);
	CHECK_EQ(tiny_rx, 1);

	/* Reset seen: down, sends refused. */
	rpmsg_link_destroy(r.ld);
	CHECK(!rpmsg_tiny_is_up(&r.dev));
	CHECK_EQ(rpmsg_tiny_send(&a, "x", 1), -ENOTCONN);
	CHECK_EQ(rpmsg_tiny_poll(&r.dev), 0);
	CHECK_EQ(rig_driver(&r, NULL), 0);
	rig_pump(&r);
	CHECK_EQ(nchans, 1); /* announced again on the new link */
	tiny_rx = 0;
	CHECK_EQ(rpmsg_trysend(rpmsg_channel_ept(chan("tiny-a")), "", 0), 0);
	rig_pump(&r);
	CHECK_EQ(tiny_rx, 1);

	/* Reset and set up again between two looks (7 -> 0 -> 7): the zeroed rings tell. */
	rpmsg_link_destroy(r.ld);
	nchans = 0;
	CHECK_EQ(rig_driver(&r, NULL), 0);
	rig_pump(&r);
	CHECK_EQ(nchans, 1);
	tiny_rx = 0;
	main_rx = 0;
	CHECK_EQ(rpmsg_trysend(rpmsg_channel_ept(chan("tiny-a")), "", 0), 0);
	rig_pump(&r);
	CHECK_EQ(tiny_rx, 1);
	CHECK_EQ(rpmsg_tiny_send(&a, "", 0), 0);
	rig_pump(&r);
	CHECK_EQ(main_rx, 1);
	CHECK_EQ(r.dev.rx_bad, 0);
	rig_close(&r);
}

int main(void)
{
	t_timeout(60);
	exchange(false, RPMSG_TINY_F_NS, 16, 3000);
	exchange(true, RPMSG_TINY_F_NS, 16, 1000);
	exchange(false, RPMSG_TINY_F_NS | RPMSG_VIRTIO_F_EVENT_IDX, 8, 1000);
	exchange(true, RPMSG_TINY_F_NS | RPMSG_VIRTIO_F_EVENT_IDX, 4, 500);
	no_buffer();
	restart();
	return t_done();
}
