/*
 * A hostile GLINK remote (hand-driven, gpeer.h) against the main CPU: FIFO indices out of
 * range or unaligned, unknown and malformed commands, unknown channel and intent ids,
 * duplicate ids, intent overruns, impossible lengths, unsolicited answers, intent requests
 * beyond every limit, a bad FIFO item. Each is rejected and counted (rx_bad); fatal ones
 * stop the parser (rx_broken) and nothing hangs.
 */
#include <stdlib.h>

#include <rpmsg/transport.h>

#include "gpeer.h"
#include "testlib.h"

static uint8_t shm[GP_SHM] __attribute__((aligned(4096)));
static int msgs;
static struct rpmsg_channel *chan;

static int cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept; (void)data; (void)len; (void)src; (void)priv;
	msgs++;
	return 0;
}
static int probe(struct rpmsg_channel *ch) { chan = ch; return 0; }
static void removed(struct rpmsg_channel *ch) { (void)ch; chan = NULL; }

static const char *const names[] = { "hostile", "other", NULL };
static const struct rpmsg_driver drv = { .name = "h", .id_table = names, .probe = probe,
					 .remove = removed, .callback = cb };

struct env {
	struct rpmsg_platform plat;
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	struct rpmsg_endpoint *ept;
	struct gpeer g;
};

static uint64_t bad_count(struct env *e)
{
	struct rpmsg_glink_stats st;

	rpmsg_glink_get_stats(e->link, &st);
	return st.rx_bad;
}

static bool broken(struct env *e)
{
	struct rpmsg_glink_stats st;

	rpmsg_glink_get_stats(e->link, &st);
	return st.rx_broken;
}

static void drop_output(struct env *e)
{
	uint8_t junk[8192];

	gpeer_read(&e->g, junk, sizeof(junk));
}

/* A main CPU with channel "hostile" open both ways: its lcid 1, the peer's id 7. */
static int setup(struct env *e, bool open)
{
	struct rpmsg_glink_config cfg = { .role = RPMSG_GLINK_MAIN, .format_smem = true,
					  .remote_host = 1, .fifo_size = 4096, .max_rx_size = 65536 };
	uint8_t b[48];

	memset(shm, 0, sizeof(shm));
	memset(e, 0, sizeof(*e));
	chan = NULL;
	msgs = 0;
	e->plat = memplat(shm, sizeof(shm), 0);
	if (rpmsg_bus_create(&e->bus) || rpmsg_register_driver(e->bus, &drv) ||
	    rpmsg_glink_create(e->bus, &e->plat, &cfg, &e->link) ||
	    gpeer_attach(&e->g, shm, sizeof(shm), 4096))
		return -1;
	gpeer_cmd(&e->g, GLINK_VERSION, 1, 1);
	if (open) {
		gpeer_write(&e->g, b, glink_encode_open(b, 7, "hostile"));
		rpmsg_bus_poll(e->bus, 0); /* our OPEN(1) goes out: then its ACK */
		gpeer_cmd(&e->g, GLINK_OPEN_ACK, 1, 0);
	}
	rpmsg_bus_poll(e->bus, 0);
	rpmsg_bus_poll(e->bus, 0);
	drop_output(e);
	if (open && !chan)
		return -1;
	e->ept = open ? rpmsg_channel_ept(chan) : NULL;
	return bad_count(e) ? -1 : 0;
}

static void teardown(struct env *e)
{
	rpmsg_bus_destroy(e->bus);
}

/* After the bad input, a good message must still get through (unless the parser stopped). */
static void still_works(struct env *e)
{
	uint8_t d[24];
	int before = msgs;

	glink_encode_data_hdr(d, GLINK_TX_DATA, 7, 2, 4, 0);
	memcpy(d + 16, "good", 4);
	gpeer_write(&e->g, d, 20);
	rpmsg_bus_poll(e->bus, 0);
	CHECK_EQ(msgs, before + 1);
}

static void test_bad_head(void)
{
	struct env e;

	CHECK_EQ(setup(&e, true), 0);
	glink_put32(e.g.desc + GLINK_D_FIFO1_HEAD, 4096); /* == L */
	rpmsg_bus_poll(e.bus, 0);
	CHECK(broken(&e));
	CHECK_EQ(bad_count(&e), 1);
	rpmsg_bus_poll(e.bus, 0); /* stays stopped, counted once */
	CHECK_EQ(bad_count(&e), 1);
	teardown(&e);

	CHECK_EQ(setup(&e, true), 0);
	glink_put32(e.g.desc + GLINK_D_FIFO1_HEAD, e.g.head + 4); /* unaligned */
	rpmsg_bus_poll(e.bus, 0);
	CHECK(broken(&e));
	CHECK(!rpmsg_link_is_up(e.link));
	teardown(&e);
}

static void test_bad_tail(void)
{
	struct env e;

	uint8_t b[16];

	CHECK_EQ(setup(&e, true), 0);
	glink_encode_intent(b, 7, 64, 1);
	gpeer_write(&e.g, b, 16);
	rpmsg_bus_poll(e.bus, 0);
	glink_put32(e.g.desc + GLINK_D_FIFO0_TAIL, 0xFFFFFFF8u);
	CHECK_EQ(rpmsg_trysend(e.ept, "x", 1), -EIO);
	CHECK_EQ(rpmsg_send_timeout(e.ept, rpmsg_ept_addr(e.ept), 0, "x", 1, 50), -EIO);
	CHECK(bad_count(&e) >= 1);
	teardown(&e);
}

static void test_unknown_cmds(void)
{
	static const uint16_t fatal[] = { GLINK_ZERO_COPY, 16, 17, 0xFFFF };

	for (unsigned i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
		struct env e;

		CHECK_EQ(setup(&e, true), 0);
		gpeer_cmd(&e.g, fatal[i], 7, 0);
		rpmsg_bus_poll(e.bus, 0);
		CHECK(broken(&e));
		CHECK_EQ(bad_count(&e), 1);
		teardown(&e);
	}
}

static void test_bad_open(void)
{
	struct env e;
	uint8_t b[64];

	CHECK_EQ(setup(&e, true), 0);
	/* Name length 0, 1 (empty), no NUL within the length, longer than 32. */
	gpeer_cmd(&e.g, GLINK_OPEN, 9, 0);
	glink_encode_open(b, 9, "");
	gpeer_write(&e.g, b, 9);
	glink_encode_hdr(b, GLINK_OPEN, 9, 4);
	memcpy(b + 8, "abcdefgh", 8);
	gpeer_write(&e.g, b, 16);
	glink_encode_hdr(b, GLINK_OPEN, 9, 40);
	memset(b + 8, 'x', 40);
	gpeer_write(&e.g, b, 48);
	/* rcid 0, and rcid 7 again (in use). */
	gpeer_write(&e.g, b, glink_encode_open(b, 0, "other"));
	gpeer_write(&e.g, b, glink_encode_open(b, 7, "other"));
	rpmsg_bus_poll(e.bus, 0);
	CHECK_EQ(bad_count(&e), 6);
	CHECK(!broken(&e));
	CHECK_EQ(rpmsg_link_channels(e.link, NULL, 0), 1);
	still_works(&e);
	/* A name length that can never fit the FIFO: the stream is lost. */
	gpeer_cmd(&e.g, GLINK_OPEN, 9, 0xFFFF);
	rpmsg_bus_poll(e.bus, 0);
	CHECK(broken(&e));
	teardown(&e);
}

static void test_unknown_ids(void)
{
	struct env e;
	uint8_t b[32];

	CHECK_EQ(setup(&e, true), 0);
	gpeer_cmd(&e.g, GLINK_OPEN_ACK, 99, 0);          /* unknown lcid */
	gpeer_cmd(&e.g, GLINK_CLOSE_ACK, 1, 0);          /* we did not close */
	gpeer_cmd(&e.g, GLINK_CLOSE, 99, 0);             /* unknown rcid */
	gpeer_cmd(&e.g, GLINK_RX_DONE, 99, 1);           /* unknown rcid */
	gpeer_cmd(&e.g, GLINK_RX_DONE, 7, 12345);        /* unknown intent */
	gpeer_cmd(&e.g, GLINK_RX_DONE_W_REUSE, 7, 0);    /* unknown intent */
	gpeer_cmd(&e.g, GLINK_RX_INTENT_REQ_ACK, 7, 1);  /* nothing asked */
	gpeer_cmd(&e.g, GLINK_RX_INTENT_REQ, 99, 64);    /* unknown rcid */
	gpeer_cmd(&e.g, GLINK_SIGNALS, 99, 0);           /* unknown rcid */
	glink_encode_intent(b, 99, 64, 1);               /* unknown rcid */
	gpeer_write(&e.g, b, 16);
	glink_encode_data_hdr(b, GLINK_TX_DATA, 99, 1, 4, 0); /* unknown rcid */
	gpeer_write(&e.g, b, 20);
	glink_encode_data_hdr(b, GLINK_TX_DATA, 7, 777, 4, 0); /* unknown intent */
	gpeer_write(&e.g, b, 20);
	rpmsg_bus_poll(e.bus, 0);
	CHECK_EQ(bad_count(&e), 12);
	CHECK(!broken(&e));
	CHECK(chan != NULL);
	still_works(&e);
	teardown(&e);
}

static void test_bad_intents(void)
{
	struct env e;
	uint8_t b[32];

	CHECK_EQ(setup(&e, true), 0);
	glink_encode_intent(b, 7, 64, 0);            /* id 0 */
	gpeer_write(&e.g, b, 16);
	glink_encode_intent(b, 7, 64, 0x80000000u);  /* id >= 2^31 */
	gpeer_write(&e.g, b, 16);
	glink_encode_intent(b, 7, 64, 5);
	gpeer_write(&e.g, b, 16);
	glink_encode_intent(b, 7, 128, 5);           /* duplicate */
	gpeer_write(&e.g, b, 16);
	rpmsg_bus_poll(e.bus, 0);
	CHECK_EQ(bad_count(&e), 3);
	CHECK_EQ(rpmsg_trysend(e.ept, "abc", 3), 0); /* intent 5 (64 bytes) */
	CHECK_EQ(rpmsg_trysend(e.ept, "abc", 3), -EAGAIN); /* in use */
	/* More than we remember: the rest are refused, nothing overflows. */
	for (uint32_t i = 0; i < 100; i++) {
		glink_encode_intent(b, 7, 64, 1000 + i);
		gpeer_write(&e.g, b, 16);
		if (i % 32 == 31)
			rpmsg_bus_poll(e.bus, 0);
	}
	rpmsg_bus_poll(e.bus, 0);
	CHECK_EQ(bad_count(&e), 3 + 100 - 63);
	/* A count whose pairs can never fit the FIFO. */
	gpeer_cmd(&e.g, GLINK_INTENT, 7, 4096 / 8);
	rpmsg_bus_poll(e.bus, 0);
	CHECK(broken(&e));
	teardown(&e);
}

static void test_data_overrun(void)
{
	struct env e;
	uint8_t d[16 + 1100];

	CHECK_EQ(setup(&e, true), 0);
	memset(d, 'z', sizeof(d));
	/* 1100 bytes into a 1024-byte intent: dropped; the intent keeps its fill (0). */
	glink_encode_data_hdr(d, GLINK_TX_DATA, 7, 1, 1100, 0);
	gpeer_write(&e.g, d, 16 + 1100);
	/* 1000, then a continuation of 100 that overruns: the second chunk is dropped. */
	glink_encode_data_hdr(d, GLINK_TX_DATA, 7, 3, 1000, 100);
	gpeer_write(&e.g, d, 16 + 1000);
	rpmsg_bus_poll(e.bus, 0);
	glink_encode_data_hdr(d, GLINK_TX_DATA_CONT, 7, 3, 100, 0);
	gpeer_write(&e.g, d, 16 + 100);
	rpmsg_bus_poll(e.bus, 0);
	CHECK_EQ(msgs, 0);
	CHECK_EQ(bad_count(&e), 2);
	/* left_size that cannot be true does not matter to intents; a chunk >= L does. */
	glink_encode_data_hdr(d, GLINK_TX_DATA, 7, 1, 0xFFFFFFF0u, 0);
	gpeer_write(&e.g, d, 16);
	rpmsg_bus_poll(e.bus, 0);
	CHECK(broken(&e));
	CHECK_EQ(msgs, 0);
	teardown(&e);
}

static void test_truncated(void)
{
	struct env e;
	uint8_t d[32];

	CHECK_EQ(setup(&e, true), 0);
	/* A TX_DATA whose body is not there yet: nothing consumed, nothing counted. */
	glink_encode_data_hdr(d, GLINK_TX_DATA, 7, 1, 200, 0);
	gpeer_write(&e.g, d, 16);
	rpmsg_bus_poll(e.bus, 0);
	rpmsg_bus_poll(e.bus, 0);
	CHECK_EQ(glink_get32(e.g.desc + GLINK_D_FIFO1_TAIL), (e.g.head + 4096 - 16) % 4096);
	CHECK_EQ(bad_count(&e), 0);
	CHECK(!broken(&e));
	teardown(&e);
}

static void test_request_limits(void)
{
	struct env e;
	uint8_t out[4096];
	uint32_t n, grants = 0, refusals = 0;

	CHECK_EQ(setup(&e, true), 0);
	/* Larger than max_rx_size: refused. */
	gpeer_cmd(&e.g, GLINK_RX_INTENT_REQ, 7, 1u << 30);
	rpmsg_bus_poll(e.bus, 0);
	n = gpeer_read(&e.g, out, sizeof(out));
	CHECK_EQ(n, 8);
	CHECK_EQ(out[0], GLINK_RX_INTENT_REQ_ACK);
	CHECK_EQ(glink_get32(out + 4), 0);
	/* 40 requests: granted until our 32 intents per channel are taken (5 are defaults). */
	for (int i = 0; i < 40; i++) {
		gpeer_cmd(&e.g, GLINK_RX_INTENT_REQ, 7, 100);
		rpmsg_bus_poll(e.bus, 0);
		n = gpeer_read(&e.g, out, sizeof(out));
		for (uint32_t off = 0; off < n; off += out[off] == GLINK_INTENT ? 16 : 8) {
			if (out[off] == GLINK_RX_INTENT_REQ_ACK)
				(glink_get32(out + off + 4) ? &grants : &refusals)[0]++;
		}
	}
	CHECK_EQ(grants, 27);
	CHECK_EQ(refusals, 13);
	CHECK(!broken(&e));
	teardown(&e);
}

/*
 * Every slot taken, but by messages not delivered yet (nobody polled between them and the
 * request): they are copied out and their intents released, and the request is granted.
 */
static void test_request_reclaim(void)
{
	struct env e;
	uint8_t out[4096], d[24];
	uint32_t ids[32], nids = 0, n, grants = 0, refusals = 0, dones = 0;

	CHECK_EQ(setup(&e, true), 0);
	for (uint32_t i = 1; i <= 5; i++)
		ids[nids++] = i; /* the default intents */
	for (int i = 0; i < 27; i++)
		gpeer_cmd(&e.g, GLINK_RX_INTENT_REQ, 7, 100);
	rpmsg_bus_poll(e.bus, 0);
	n = gpeer_read(&e.g, out, sizeof(out));
	for (uint32_t off = 0; off < n; off += out[off] == GLINK_INTENT ? 16 : 8)
		if (out[off] == GLINK_INTENT && nids < 32)
			ids[nids++] = glink_get32(out + off + 12);
	CHECK_EQ(nids, 32);
	/* All 32 filled, then one more request, before the main CPU reads any of it. */
	memset(d, 'q', sizeof(d));
	for (uint32_t i = 0; i < nids; i++) {
		glink_encode_data_hdr(d, GLINK_TX_DATA, 7, ids[i], 8, 0);
		gpeer_write(&e.g, d, 24);
	}
	gpeer_cmd(&e.g, GLINK_RX_INTENT_REQ, 7, 100);
	rpmsg_bus_poll(e.bus, 0);
	CHECK_EQ(msgs, 32);
	n = gpeer_read(&e.g, out, sizeof(out));
	for (uint32_t off = 0; off < n; off += out[off] == GLINK_INTENT ? 16 : 8) {
		if (out[off] == GLINK_RX_INTENT_REQ_ACK)
			(glink_get32(out + off + 4) ? &grants : &refusals)[0]++;
		dones += out[off] == GLINK_RX_DONE || out[off] == GLINK_RX_DONE_W_REUSE;
	}
	CHECK_EQ(grants, 1);
	CHECK_EQ(refusals, 0);
	CHECK_EQ(dones, 32);
	CHECK_EQ(bad_count(&e), 0);
	teardown(&e);
}

/*
 * Our requests answered: a refusal is asked again (until the send's timeout, then -EAGAIN);
 * a grant after its intent sends.
 */
static void test_request_answers(void)
{
	struct env e;
	uint8_t out[1024], big[600], in[16];
	uint32_t n;

	CHECK_EQ(setup(&e, true), 0);
	memset(big, 7, sizeof(big));
	/*
	 * Written ahead: the send only parses it while it waits, after asking. It asks again
	 * and gets no answer: -EAGAIN at its timeout (the peer's last word was no).
	 */
	gpeer_cmd(&e.g, GLINK_RX_INTENT_REQ_ACK, 7, 0);
	CHECK_EQ(rpmsg_send_timeout(e.ept, rpmsg_ept_addr(e.ept), 0, big, sizeof(big), 200), -EAGAIN);
	/* The answer to the second request: the next send waits for it rather than asking. */
	glink_encode_intent(in, 7, 600, 50);
	gpeer_write(&e.g, in, 16);
	gpeer_cmd(&e.g, GLINK_RX_INTENT_REQ_ACK, 7, 1);
	CHECK_EQ(rpmsg_send_timeout(e.ept, rpmsg_ept_addr(e.ept), 0, big, sizeof(big), 1000), 0);
	n = gpeer_read(&e.g, out, sizeof(out));
	CHECK_EQ(n, 8 + 8 + 16 + 600);
	CHECK_EQ(out[0], GLINK_RX_INTENT_REQ);
	CHECK_EQ(glink_get32(out + 4), 600);
	CHECK_EQ(out[8], GLINK_RX_INTENT_REQ);
	CHECK_EQ(out[16], GLINK_TX_DATA);
	CHECK_EQ(glink_get32(out + 20), 50);
	CHECK_EQ(bad_count(&e), 0);
	/* The peer pauses us: the flow callback is the driver's (none here): no harm. */
	gpeer_cmd(&e.g, GLINK_SIGNALS, 7, GLINK_SIG_DTR | GLINK_SIG_RTS);
	rpmsg_bus_poll(e.bus, 0);
	CHECK_EQ(bad_count(&e), 0);
	teardown(&e);
}

static void test_bad_fifo_item(void)
{
	struct rpmsg_glink_config cfg = { .role = RPMSG_GLINK_MAIN, .format_smem = true,
					  .remote_host = 1, .fifo_size = 4096 };
	struct rpmsg_platform plat;
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	struct rpmsg_glink_stats st;
	struct smem sm;

	memset(shm, 0, sizeof(shm));
	plat = memplat(shm, sizeof(shm), 0);
	CHECK_EQ(rpmsg_bus_create(&bus), 0);
	CHECK_EQ(rpmsg_glink_create(bus, &plat, &cfg, &link), 0);
	CHECK_EQ(smem_attach(&sm, shm + 4096, sizeof(shm) - 4096, (_Atomic uint32_t *)(void *)(shm + 12), 1), 0);
	CHECK_EQ(smem_alloc(&sm, SMEM_HOST_APPS, GLINK_ITEM_FIFO1, 100), 0); /* not a FIFO size */
	rpmsg_bus_poll(bus, 0);
	rpmsg_bus_poll(bus, 0);
	rpmsg_glink_get_stats(link, &st);
	CHECK_EQ(st.rx_bad, 1);
	CHECK(!rpmsg_link_is_up(link));
	rpmsg_bus_destroy(bus);

	/* A descriptor item of the wrong size: the edge does not come up. */
	memset(shm, 0, sizeof(shm));
	cfg.format_smem = false;
	{
		struct smem_part_cfg parts[2] = {
			{ .host0 = SMEM_GLOBAL_HOST, .host1 = SMEM_GLOBAL_HOST, .size = 16384, .cacheline = 64 },
			{ .host0 = SMEM_HOST_APPS, .host1 = 1, .size = 65536, .cacheline = 64 },
		};
		struct smem_format_cfg fc = { .version = SMEM_PART_VERSION, .parts = parts, .nparts = 2 };

		CHECK_EQ(smem_format(shm + 4096, sizeof(shm) - 4096, &fc), 0);
		CHECK_EQ(smem_attach(&sm, shm + 4096, sizeof(shm) - 4096, (_Atomic uint32_t *)(void *)(shm + 12), 1), 0);
		CHECK_EQ(smem_alloc(&sm, SMEM_HOST_APPS, GLINK_ITEM_DESC, 64), 0);
	}
	plat = memplat(shm, sizeof(shm), 0);
	CHECK_EQ(rpmsg_bus_create(&bus), 0);
	CHECK_EQ(rpmsg_glink_create(bus, &plat, &cfg, &link), -EPROTO);
	rpmsg_bus_destroy(bus);
}

int main(void)
{
	t_timeout(60);
	test_bad_head();
	test_bad_tail();
	test_unknown_cmds();
	test_bad_open();
	test_unknown_ids();
	test_bad_intents();
	test_data_overrun();
	test_truncated();
	test_request_limits();
	test_request_reclaim();
	test_request_answers();
	test_bad_fifo_item();
	return t_done();
}
