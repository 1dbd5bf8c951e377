/*
 * GLINK over RPM message RAM (intentless): the exact bytes of the table of contents and
 * FIFO descriptors the remote lays out and of the first commands; then both roles in one
 * process (the receiving side's bus in a thread) trading checked messages of random sizes
 * larger than one FIFO write (continuation) both ways; then hostile tables of contents.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <rpmsg/transport.h>

#include "glink/glink_wire.h"
#include "gpair.h"
#include "memplat.h"
#include "seqmsg.h"
#include "testlib.h"

#define RAM 8192u
#define MAXLEN 3000
#define COUNT 1000

static uint8_t ram[RAM] __attribute__((aligned(4096)));

struct side {
	struct rpmsg_channel *ch;
	_Atomic uint32_t next, bad;
};
static struct side sm, sr;

static size_t make_msg(uint8_t *b, uint32_t seq, unsigned *st)
{
	size_t len = 8 + (size_t)(rand_r(st) % (MAXLEN - 8));
	uint32_t h;

	memcpy(b, &seq, 4);
	for (size_t i = 8; i < len; i++)
		b[i] = (uint8_t)(seq + i * 13);
	h = seqmsg_fnv(b + 8, len - 8);
	memcpy(b + 4, &h, 4);
	return len;
}

static int cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct side *s = priv;
	uint32_t seq, h;

	(void)ept; (void)src;
	memcpy(&seq, data, 4);
	memcpy(&h, (uint8_t *)data + 4, 4);
	if (len < 8 || len > MAXLEN || seq != s->next ||
	    h != seqmsg_fnv((uint8_t *)data + 8, len - 8))
		s->bad++;
	s->next = seq + 1;
	return 0;
}

static int probe_m(struct rpmsg_channel *ch) { sm.ch = ch; return 0; }
static int probe_r(struct rpmsg_channel *ch) { sr.ch = ch; return 0; }

static const char *const names[] = { "rpm_requests", NULL };

static void test_golden(void)
{
	/*
	 * The third entry is this library's own (id "lrst", 16 bytes after the FIFOs: the
	 * restart words, src/glink/glink_wire.h). Linux looks only for the two FIFO ids and
	 * skips it; the two FIFO entries and the FIFOs are laid out as before.
	 */
	static const uint8_t toc[44] = {
		0x30, 0x74, 0x72, 0x67, 3, 0, 0, 0,
		0x72, 0x32, 0x70, 0x61, 0, 0, 0, 0, 0x00, 0x04, 0, 0,     /* ap2r @0, 1024 */
		0x70, 0x61, 0x32, 0x72, 0x10, 0x04, 0, 0, 0x00, 0x04, 0, 0, /* r2ap @1040, 1024 */
		0x6c, 0x72, 0x73, 0x74, 0x20, 0x08, 0, 0, 0x10, 0, 0, 0,   /* restart words @2080, 16 */
	};
	static const uint8_t r2ap[16] = { 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0 };
	struct rpmsg_glink_config cfg = { .role = RPMSG_GLINK_REMOTE, .flavour = RPMSG_GLINK_RPM,
					  .format_smem = true, .fifo_size = 1024 };
	struct rpmsg_platform plat = memplat(ram, sizeof(ram), 0);
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	struct rpmsg_glink_stats st;

	memset(ram, 0xEE, sizeof(ram));
	CHECK_EQ(rpmsg_bus_create(&bus), 0);
	CHECK_EQ(rpmsg_glink_create(bus, &plat, &cfg, &link), 0);
	CHECK_MEM(ram + RAM - 256, toc, sizeof(toc));
	CHECK_EQ(ram[RAM - 256 + 44], 0);
	for (unsigned i = 0; i < 16; i++) /* no main CPU answering restarts yet */
		CHECK_EQ(ram[2080 + i], 0);
	/* ap2r descriptor: tail 0 (ours, reset), head 0 (the main CPU's, cleared by layout). */
	CHECK_EQ(glink_get32(ram + 0), 0);
	CHECK_EQ(glink_get32(ram + 4), 0);
	/* r2ap: our VERSION(1, no features): intentless. */
	CHECK_MEM(ram + 1040, r2ap, sizeof(r2ap));
	/* The main CPU's VERSION: answered with VERSION_ACK(1, 0). */
	glink_encode_hdr(ram + 8, GLINK_VERSION, 1, 1);
	glink_put32(ram + 4, 8);
	rpmsg_bus_poll(bus, 0);
	CHECK_EQ(glink_get32(ram + 0), 8);
	CHECK_EQ(glink_get32(ram + 1044), 16);
	CHECK_EQ(ram[1040 + 16], GLINK_VERSION_ACK);
	CHECK_EQ(glink_get32(ram + 1040 + 16 + 4), 0);
	CHECK_EQ(rpmsg_glink_get_stats(link, &st), 0);
	CHECK_EQ(st.features, 0);
	rpmsg_bus_destroy(bus);
}

static void test_bad_toc(void)
{
	struct rpmsg_glink_config cfg = { .role = RPMSG_GLINK_MAIN, .flavour = RPMSG_GLINK_RPM,
					  .attach_timeout_ms = 30 };
	struct rpmsg_platform plat = memplat(ram, sizeof(ram), 0);
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	uint8_t *toc = ram + RAM - 256;

	CHECK_EQ(rpmsg_bus_create(&bus), 0);
	memset(ram, 0, sizeof(ram));
	CHECK_EQ(rpmsg_glink_create(bus, &plat, &cfg, &link), -ENODEV); /* no magic */
	glink_put32(toc, GLINK_TOC_MAGIC);
	glink_put32(toc + 4, 21);
	CHECK_EQ(rpmsg_glink_create(bus, &plat, &cfg, &link), -EPROTO); /* too many entries */
	glink_put32(toc + 4, 2);
	glink_put32(toc + 8, GLINK_FIFO_AP2R);
	glink_put32(toc + 12, 0);
	glink_put32(toc + 16, 1024);
	glink_put32(toc + 20, GLINK_FIFO_R2AP);
	glink_put32(toc + 24, RAM - 512);  /* runs into the TOC */
	glink_put32(toc + 28, 1024);
	CHECK_EQ(rpmsg_glink_create(bus, &plat, &cfg, &link), -EPROTO);
	glink_put32(toc + 24, 512);        /* overlaps ap2r */
	CHECK_EQ(rpmsg_glink_create(bus, &plat, &cfg, &link), -EPROTO);
	glink_put32(toc + 24, 0xFFFFFFF8u); /* offset wraps */
	CHECK_EQ(rpmsg_glink_create(bus, &plat, &cfg, &link), -EPROTO);
	glink_put32(toc + 24, 2048);
	glink_put32(toc + 28, 1001);       /* not a multiple of 8 */
	CHECK_EQ(rpmsg_glink_create(bus, &plat, &cfg, &link), -EPROTO);
	glink_put32(toc + 28, 1024);
	CHECK_EQ(rpmsg_glink_create(bus, &plat, &cfg, &link), 0);
	rpmsg_bus_destroy(bus);
}

static int stream(struct rpmsg_bus *peer_bus, struct rpmsg_endpoint *e, struct side *to)
{
	static uint8_t b[MAXLEN];
	unsigned st = 7;
	int ret = 0;

	CHECK_EQ(rpmsg_bus_start_thread(peer_bus), 0);
	for (uint32_t i = 0; i < COUNT && !ret; i++) {
		size_t len = make_msg(b, i, &st);

		ret = rpmsg_send(e, b, len);
		CHECK_EQ(ret, 0);
	}
	for (int i = 0; i < 5000 && to->next < COUNT; i++) {
		struct timespec ts = { 0, 1000000 };

		nanosleep(&ts, NULL);
	}
	rpmsg_bus_stop_thread(peer_bus);
	CHECK_EQ(to->next, COUNT);
	CHECK_EQ(to->bad, 0);
	return ret;
}

static void test_pair(void)
{
	struct rpmsg_glink_config mc = { .flavour = RPMSG_GLINK_RPM };
	struct rpmsg_glink_config rc = { .flavour = RPMSG_GLINK_RPM, .channels = names,
					 .fifo_size = 1024 };
	struct rpmsg_driver dm = { .name = "m", .id_table = names, .probe = probe_m, .callback = cb,
				   .priv = &sm };
	struct rpmsg_driver dr = { .name = "r", .id_table = names, .probe = probe_r, .callback = cb,
				   .priv = &sr };
	struct rpmsg_glink_stats st;
	struct gpair p = { 0 };

	CHECK_EQ(rpmsg_bus_create(&p.bm), 0);
	CHECK_EQ(rpmsg_bus_create(&p.br), 0);
	CHECK_EQ(rpmsg_register_driver(p.bm, &dm), 0);
	CHECK_EQ(rpmsg_register_driver(p.br, &dr), 0);
	CHECK_EQ(gpair_open(&p, "glrpm", &mc, &rc, 16384), 0);
	gpair_pump(&p, 100);
	CHECK(sm.ch && sr.ch);
	if (!sm.ch || !sr.ch) {
		gpair_close(&p);
		return;
	}
	stream(p.br, rpmsg_channel_ept(sm.ch), &sr);
	stream(p.bm, rpmsg_channel_ept(sr.ch), &sm);
	CHECK_EQ(rpmsg_glink_get_stats(p.lm, &st), 0);
	CHECK_EQ(st.rx_bad, 0);
	CHECK_EQ(st.rx_msgs, COUNT);
	CHECK_EQ(st.intent_reqs, 0);
	CHECK(st.tx_cmds > COUNT * 3); /* 3000-byte messages in 480-byte chunks */
	CHECK_EQ(rpmsg_glink_get_stats(p.lr, &st), 0);
	CHECK_EQ(st.rx_bad, 0);
	CHECK_EQ(st.rx_msgs, COUNT);
	gpair_close(&p);
}

int main(void)
{
	t_timeout(100);
	test_golden();
	test_bad_toc();
	test_pair();
	return t_done();
}
