/*
 * GLINK golden bytes: every command layout as encoded, the SMEM items and descriptor of a
 * fresh edge, and every command the main CPU writes into FIFO_0 while a hand-driven remote
 * negotiates the version, opens a channel, trades intents and data (with continuation),
 * requests an intent, signals, and closes.
 */
#include <stdlib.h>

#include <rpmsg/capture.h>
#include <rpmsg/transport.h>

#include "gpeer.h"
#include "testlib.h"

static uint8_t shm[GP_SHM] __attribute__((aligned(4096)));

static int msgs;
static size_t last_len;
static uint8_t last[64];
static struct rpmsg_channel *chan;
static int ctl_tx, ctl_rx;

static int cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept; (void)src; (void)priv;
	msgs++;
	last_len = len;
	memcpy(last, data, len < sizeof(last) ? len : sizeof(last));
	return 0;
}

static int probe(struct rpmsg_channel *ch) { chan = ch; return 0; }
static void removed(struct rpmsg_channel *ch) { (void)ch; chan = NULL; }

static void tap(const struct rpmsg_cap_record *r, void *arg)
{
	(void)arg;
	if (r->event == RPMSG_CAP_CONTROL)
		*(r->dir == RPMSG_CAP_TX ? &ctl_tx : &ctl_rx) += 1;
}

static void test_encoders(void)
{
	static const uint8_t ver[8] = { 0, 0, 1, 0, 1, 0, 0, 0 };
	static const uint8_t open[16] = { 2, 0, 0x34, 0x12, 6, 0, 0, 0, 'a', 'b', 'c', 'd', 'e', 0 };
	static const uint8_t intent[16] = { 5, 0, 3, 0, 1, 0, 0, 0, 0, 4, 0, 0, 9, 0, 0, 0 };
	static const uint8_t data[16] = { 12, 0, 3, 0, 7, 0, 0, 0, 0x10, 0, 0, 0, 0x20, 0x01, 0, 0 };
	uint8_t b[48];

	CHECK_EQ(glink_encode_hdr(b, GLINK_VERSION, 1, GLINK_FEATURE_INTENT_REUSE), 8);
	CHECK_MEM(b, ver, 8);
	memset(b, 0, sizeof(b));
	CHECK_EQ(glink_encode_open(b, 0x1234, "abcde"), 14);
	CHECK_MEM(b, open, 16);
	CHECK_EQ(glink_encode_open(b, 1, "0123456789012345678901234567890123456789"), 40);
	CHECK_EQ(b[4], 32); /* 31 characters and the NUL */
	CHECK_EQ(b[39], 0);
	CHECK_EQ(glink_encode_intent(b, 3, 1024, 9), 16);
	CHECK_MEM(b, intent, 16);
	CHECK_EQ(glink_encode_data_hdr(b, GLINK_TX_DATA_CONT, 3, 7, 0x10, 0x120), 16);
	CHECK_MEM(b, data, 16);
}

/* Expect exactly these bytes from the main CPU next. */
#define EXPECT(g, ...)                                                                     \
	do {                                                                               \
		static const uint8_t want_[] = { __VA_ARGS__ };                            \
		uint8_t got_[512];                                                         \
		uint32_t n_ = gpeer_read((g), got_, sizeof(got_));                         \
		CHECK_EQ(n_, sizeof(want_));                                               \
		CHECK_MEM(got_, want_, n_ < sizeof(want_) ? n_ : sizeof(want_));           \
	} while (0)

int main(void)
{
	static const char *const names[] = { "golden", NULL };
	struct rpmsg_driver drv = { .name = "g", .id_table = names, .probe = probe,
				    .remove = removed, .callback = cb };
	struct rpmsg_glink_config cfg = { .role = RPMSG_GLINK_MAIN, .format_smem = true,
					  .remote_host = 1, .fifo_size = 1024 };
	struct rpmsg_platform plat = memplat(shm, sizeof(shm), 0);
	struct rpmsg_glink_stats st;
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	struct rpmsg_endpoint *ept;
	struct gpeer g;
	uint8_t b[64], big[200];

	t_timeout(30);
	test_encoders();
	memset(big, 0x5A, sizeof(big));
	CHECK_EQ(rpmsg_bus_create(&bus), 0);
	CHECK_EQ(rpmsg_bus_set_tap(bus, tap, NULL), 0);
	CHECK_EQ(rpmsg_register_driver(bus, &drv), 0);
	CHECK_EQ(rpmsg_glink_create(bus, &plat, &cfg, &link), 0);

	/* Items 478 (32 bytes) and 479 exist; the descriptor holds our VERSION's head and, in
	 * Linux's unused bytes, the restart handshake: count 0 answered (@20), magic (@24). */
	CHECK_EQ(gpeer_attach(&g, shm, sizeof(shm), 1024), 0);
	{
		static const uint8_t desc[32] = { 0, 0, 0, 0, 8, 0, 0, 0, [24] = 'G', 'L', 'R', 'S' };

		CHECK_MEM(g.desc, desc, 32);
		CHECK_EQ(g.rxn, 1024);
	}
	EXPECT(&g, 0, 0, 1, 0, 1, 0, 0, 0); /* VERSION(1, INTENT_REUSE) */
	CHECK_EQ(gp_word(&g, GLINK_D_FIFO0_TAIL), 8);

	/* Negotiation: the peer's VERSION gets VERSION_ACK; its ACK ends it. */
	gpeer_cmd(&g, GLINK_VERSION, 1, 3);
	rpmsg_bus_poll(bus, 0);
	EXPECT(&g, 1, 0, 1, 0, 1, 0, 0, 0);
	gpeer_cmd(&g, GLINK_VERSION_ACK, 1, 1);
	rpmsg_bus_poll(bus, 0);
	CHECK_EQ(rpmsg_glink_get_stats(link, &st), 0);
	CHECK(st.version_done);
	CHECK_EQ(gp_word(&g, GLINK_D_FIFO1_TAIL), 16); /* consumed both */

	/* The peer opens "golden" as its id 7: our driver binds; OPEN_ACK(7) then our OPEN(1). */
	gpeer_write(&g, b, glink_encode_open(b, 7, "golden"));
	rpmsg_bus_poll(bus, 0);
	CHECK(chan != NULL);
	if (!chan)
		return t_done();
	ept = rpmsg_channel_ept(chan);
	EXPECT(&g, 4, 0, 7, 0, 0, 0, 0, 0,
	       2, 0, 1, 0, 7, 0, 0, 0, 'g', 'o', 'l', 'd', 'e', 'n', 0, 0);
	CHECK_EQ(rpmsg_trysend(ept, "x", 1), -EAGAIN); /* our OPEN is not acked yet */

	/* Its OPEN_ACK(1): open both ways, five default intents of 1024 bytes, ids 1..5. */
	gpeer_cmd(&g, GLINK_OPEN_ACK, 1, 0);
	rpmsg_bus_poll(bus, 0);
	EXPECT(&g, 5, 0, 1, 0, 1, 0, 0, 0, 0, 4, 0, 0, 1, 0, 0, 0,
	       5, 0, 1, 0, 1, 0, 0, 0, 0, 4, 0, 0, 2, 0, 0, 0,
	       5, 0, 1, 0, 1, 0, 0, 0, 0, 4, 0, 0, 3, 0, 0, 0,
	       5, 0, 1, 0, 1, 0, 0, 0, 0, 4, 0, 0, 4, 0, 0, 0,
	       5, 0, 1, 0, 1, 0, 0, 0, 0, 4, 0, 0, 5, 0, 0, 0);

	/* No intent from the peer yet: trysend asks for one, RX_INTENT_REQ(1, 3), and says
	 * -EAGAIN. The peer sends two in one INTENT command (and never answers the request). */
	CHECK_EQ(rpmsg_trysend(ept, "abc", 3), -EAGAIN);
	EXPECT(&g, 7, 0, 1, 0, 3, 0, 0, 0);
	{
		uint8_t in[24];

		glink_encode_hdr(in, GLINK_INTENT, 7, 2);
		glink_put32(in + 8, 4096);
		glink_put32(in + 12, 101);
		glink_put32(in + 16, 64);
		glink_put32(in + 20, 100);
		gpeer_write(&g, in, 24);
	}
	rpmsg_bus_poll(bus, 0);
	/* The smallest that fits: 64 bytes, id 100. Padding is zeros. */
	CHECK_EQ(rpmsg_trysend(ept, "abc", 3), 0);
	EXPECT(&g, 9, 0, 1, 0, 100, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 'a', 'b', 'c', 0, 0, 0, 0, 0);
	/* 200 bytes: only 4096 (id 101) fits. */
	CHECK_EQ(rpmsg_trysend(ept, big, sizeof(big)), 0);
	{
		uint8_t got[512];

		CHECK_EQ(gpeer_read(&g, got, sizeof(got)), 16 + 200);
		CHECK_EQ(glink_get32(got + 4), 101);
		CHECK_EQ(glink_get32(got + 8), 200);
		CHECK_EQ(glink_get32(got + 12), 0);
		CHECK_MEM(got + 16, big, 200);
	}
	/* Both in use: trysend -EAGAIN (they come back, so no request); send asks with
	 * RX_INTENT_REQ(1, 5) and times out. */
	CHECK_EQ(rpmsg_trysend(ept, "hello", 5), -EAGAIN);
	CHECK_EQ(rpmsg_send_timeout(ept, rpmsg_ept_addr(ept), 0, "hello", 5, 30), -ETIMEDOUT);
	EXPECT(&g, 7, 0, 1, 0, 5, 0, 0, 0);
	/* The peer refuses (late): matched to the oldest request (trysend's), not an error. */
	gpeer_cmd(&g, GLINK_RX_INTENT_REQ_ACK, 7, 0);
	/* Intent 100 released for good, 101 for reuse: the next send goes to 101. */
	gpeer_cmd(&g, GLINK_RX_DONE, 7, 100);
	gpeer_cmd(&g, GLINK_RX_DONE_W_REUSE, 7, 101);
	rpmsg_bus_poll(bus, 0);
	CHECK_EQ(rpmsg_trysend(ept, "hello", 5), 0);
	EXPECT(&g, 9, 0, 1, 0, 101, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 'h', 'e', 'l', 'l', 'o', 0, 0, 0);

	/* Data in two chunks into our intent 1: delivered whole, then RX_DONE_W_REUSE(1, 1). */
	{
		uint8_t d[24];

		glink_encode_data_hdr(d, GLINK_TX_DATA, 7, 1, 3, 2);
		memcpy(d + 16, "hel", 3);
		gpeer_write(&g, d, 19);
		glink_encode_data_hdr(d, GLINK_TX_DATA_CONT, 7, 1, 2, 0);
		memcpy(d + 16, "lo", 2);
		gpeer_write(&g, d, 18);
	}
	rpmsg_bus_poll(bus, 0);
	CHECK_EQ(msgs, 1);
	CHECK_EQ(last_len, 5);
	CHECK_MEM(last, "hello", 5);
	EXPECT(&g, 14, 0, 1, 0, 1, 0, 0, 0);

	/* An intent on request: INTENT(1, 3000, id 6), then the grant. */
	gpeer_cmd(&g, GLINK_RX_INTENT_REQ, 7, 3000);
	rpmsg_bus_poll(bus, 0);
	EXPECT(&g, 5, 0, 1, 0, 1, 0, 0, 0, 0xB8, 0x0B, 0, 0, 6, 0, 0, 0,
	       8, 0, 1, 0, 1, 0, 0, 0);
	/* Filled and delivered: a requested intent is not reusable, RX_DONE(1, 6). */
	{
		uint8_t d[16 + 900];

		memset(d, 0x33, sizeof(d));
		for (uint32_t off = 0; off < 3000; off += 900) {
			uint32_t k = 3000 - off < 900 ? 3000 - off : 900;

			glink_encode_data_hdr(d, off ? GLINK_TX_DATA_CONT : GLINK_TX_DATA, 7, 6, k,
					      3000 - off - k);
			gpeer_write(&g, d, 16 + k); /* FIFO_1 is 1 KiB: one chunk at a time */
			rpmsg_bus_poll(bus, 0);
		}
	}
	CHECK_EQ(msgs, 2);
	CHECK_EQ(last_len, 3000);
	CHECK_EQ(last[63], 0x33);
	EXPECT(&g, 6, 0, 1, 0, 6, 0, 0, 0);

	/* Signals: pause is DTR|RTS, resume is 0. */
	CHECK_EQ(rpmsg_set_flow_control(ept, true, 0), 0);
	CHECK_EQ(rpmsg_set_flow_control(ept, false, 0), 0);
	EXPECT(&g, 15, 0, 1, 0, 0, 0, 0, 0xC0, 15, 0, 1, 0, 0, 0, 0, 0);

	/* READ_NOTIF is consumed; then the peer closes: CLOSE_ACK(7), our CLOSE(1). */
	gpeer_cmd(&g, GLINK_READ_NOTIF, 0, 0);
	gpeer_cmd(&g, GLINK_CLOSE, 7, 0);
	rpmsg_bus_poll(bus, 0);
	CHECK(chan == NULL);
	EXPECT(&g, 11, 0, 7, 0, 0, 0, 0, 0, 3, 0, 1, 0, 0, 0, 0, 0);
	gpeer_cmd(&g, GLINK_CLOSE_ACK, 1, 0);
	rpmsg_bus_poll(bus, 0);
	CHECK_EQ(rpmsg_glink_get_stats(link, &st), 0);
	CHECK_EQ(st.channels, 0);
	CHECK_EQ(st.rx_bad, 0);
	CHECK(ctl_tx > 10);
	CHECK(ctl_rx > 10);
	rpmsg_bus_set_tap(bus, NULL, NULL);
	rpmsg_bus_destroy(bus);
	return t_done();
}
