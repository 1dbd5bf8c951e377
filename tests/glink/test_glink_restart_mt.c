/*
 * Remote crash and restart over GLINK (SMEM), as remoteproc recovery: the main CPU (this
 * process) keeps one link while remotes (forked processes) come and go. SMEM is laid out
 * once, by the main CPU here (as a boot loader would), so every new remote finds the items
 * its predecessor left (spec 20 §11: they survive a restart).
 *
 * How the main CPU learns of a restart: a SIGKILLed process leaves no mark in shared memory
 * and the POSIX platform reports no "peer gone", so the new remote says it restarted. It
 * finds its FIFO item (480) already there, counts the restart in an unused descriptor word
 * and touches no index until the main CPU has acknowledged; the main CPU drops the old
 * session (drivers see remove, waiting senders get -EPIPE), sets the four indices to 0 and
 * acknowledges (src/glink/glink.c, top). The new remote then starts as on a first boot.
 *
 * Each remote opens "echo" (our driver binds it) and answers "echo-app", which this side
 * opens with rpmsg_create_ept() every cycle; it echoes every message. Each cycle: the
 * driver is probed on the new remote's channel, 8 messages go round on both channels, a few
 * more are left in flight, then the remote is killed and another started. The driver must
 * see remove before probe again; the old application endpoint must fail with -EPIPE; every
 * echo is seen at most once, in order, and none from an older remote once the new one is
 * up. Every tenth cycle the remote freezes first so that a sender blocks (alternately on a
 * full FIFO and on an intent never granted): the restart must end it with -EPIPE.
 * RPMSG_RESTART_CYCLES overrides the 100 cycles. Run under ASan/LSan for the leak check.
 *
 * Before the processes, the handshake byte by byte against a hand-driven remote (gpeer.h):
 * a restart while control commands wait for FIFO room and messages are parsed but not yet
 * delivered leaves FIFO_0 holding only the new VERSION, delivers nothing of the old session
 * (not even to a channel an application still holds), and the next session gets new ids.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rpmsg/glink.h>
#include <rpmsg/platform.h>
#include <rpmsg/rpmsg.h>

#include "gpeer.h"
#include "testlib.h"

#define SMALL 32u
#define BIG 1000u /* fits the remote's 1024-byte intents; four fill our 4 KiB FIFO */

/* ---- first, the handshake byte by byte against a hand-driven remote (one process) ---- */

static uint8_t gshm[GP_SHM] __attribute__((aligned(4096)));
static int h_msgs, h_probes, h_removes, a_msgs;
static struct rpmsg_channel *h_chan;

static int h_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept; (void)data; (void)len; (void)src; (void)priv;
	h_msgs++;
	return 0;
}

static int a_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept; (void)data; (void)len; (void)src; (void)priv;
	a_msgs++;
	return 0;
}

static int h_probe(struct rpmsg_channel *ch) { h_chan = ch; h_probes++; return 0; }
static void h_remove(struct rpmsg_channel *ch) { if (ch == h_chan) h_chan = NULL; h_removes++; }

static const char *const h_names[] = { "hs", NULL };
static const struct rpmsg_driver h_drv = { .name = "hs", .id_table = h_names, .probe = h_probe,
					   .remove = h_remove, .callback = h_cb };

/* The peer's session: VERSION, "hs" opened as its id 7, our OPEN acked, 16 intents. */
static void h_session(struct gpeer *g, struct rpmsg_bus *bus, uint16_t our_lcid)
{
	uint8_t b[8 + 8 * 16];

	gpeer_cmd(g, GLINK_VERSION, 1, 1);
	gpeer_write(g, b, glink_encode_open(b, 7, "hs"));
	rpmsg_bus_poll(bus, 0);
	gpeer_cmd(g, GLINK_OPEN_ACK, our_lcid, 0);
	glink_encode_hdr(b, GLINK_INTENT, 7, 16);
	for (uint32_t i = 0; i < 16; i++) {
		glink_put32(b + 8 + 8 * i, 128);
		glink_put32(b + 12 + 8 * i, i + 1);
	}
	gpeer_write(g, b, sizeof(b));
	rpmsg_bus_poll(bus, 0);
}

/* 8 bytes from the peer (channel `rcid`: its id) into our intent `iid`. */
static void h_data(struct gpeer *g, uint16_t rcid, uint32_t iid)
{
	uint8_t d[24];

	glink_encode_data_hdr(d, GLINK_TX_DATA, rcid, iid, 8, 0);
	memcpy(d + 16, "restart!", 8);
	gpeer_write(g, d, sizeof(d));
}

static void handshake_golden(void)
{
	static const uint8_t session2[40] = {
		0, 0, 1, 0, 1, 0, 0, 0,          /* VERSION(1, INTENT_REUSE) from the restart */
		1, 0, 1, 0, 1, 0, 0, 0,          /* VERSION_ACK to the new remote's VERSION */
		4, 0, 7, 0, 0, 0, 0, 0,          /* OPEN_ACK(7) */
		2, 0, 3, 0, 3, 0, 0, 0, 'h', 's', 0, 0, 0, 0, 0, 0, /* OPEN(3, "hs"): a new id */
	};
	struct rpmsg_glink_config cfg = { .role = RPMSG_GLINK_MAIN, .format_smem = true,
					  .remote_host = 1, .fifo_size = 1024 };
	struct rpmsg_channel_info ai = { .name = "hs-app", .src = RPMSG_ADDR_ANY,
					 .dst = RPMSG_ADDR_ANY };
	struct rpmsg_platform plat = memplat(gshm, sizeof(gshm), 0);
	struct rpmsg_glink_stats st;
	struct rpmsg_endpoint *ept, *app = NULL;
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	struct gpeer g;
	uint8_t msg[100], got[64];

	CHECK_EQ(rpmsg_bus_create(&bus), 0);
	CHECK_EQ(rpmsg_register_driver(bus, &h_drv), 0);
	CHECK_EQ(rpmsg_glink_create(bus, &plat, &cfg, &link), 0);
	CHECK_EQ(gpeer_attach(&g, gshm, sizeof(gshm), 1024), 0);
	/* The main CPU answers restarts (its magic) and has answered count 0. */
	CHECK_EQ(gp_word(&g, GLINK_D_MAGIC), GLINK_RESTART_MAGIC);
	CHECK_EQ(gp_word(&g, GLINK_D_RESTART_ACK), 0);
	h_session(&g, bus, 1);
	CHECK(h_chan != NULL);
	if (!h_chan)
		goto out;
	ept = rpmsg_channel_ept(h_chan);
	/* An application channel too (its id 8, ours 2): it outlives the session, dead. */
	{
		uint8_t b[48];

		gpeer_write(&g, b, glink_encode_open(b, 8, "hs-app"));
		rpmsg_bus_poll(bus, 0);
		CHECK_EQ(rpmsg_create_ept(link, &ai, a_cb, NULL, &app), 0);
		gpeer_cmd(&g, GLINK_OPEN_ACK, 2, 0);
		rpmsg_bus_poll(bus, 0);
	}

	/* FIFO_0 full (the peer never reads it): 100-byte messages, then 1-byte ones. */
	memset(msg, 'm', sizeof(msg));
	while (rpmsg_trysend(ept, msg, sizeof(msg)) == 0)
		;
	while (rpmsg_trysend(ept, msg, 1) == 0)
		;
	CHECK_EQ(rpmsg_trysend(ept, msg, 1), -EAGAIN);
	/* Five messages delivered: their RX_DONEs wait for room. */
	for (uint32_t i = 1; i <= 5; i++)
		h_data(&g, 7, i);
	rpmsg_bus_poll(bus, 0);
	CHECK_EQ(h_msgs, 5);
	/* More parsed by a waiting sender (it drains), not delivered yet. */
	h_data(&g, 7, 1);
	h_data(&g, 7, 2);
	h_data(&g, 8, 1);
	CHECK_EQ(rpmsg_send_timeout(ept, rpmsg_ept_addr(ept), 0, msg, 1, 30), -ETIMEDOUT);
	CHECK_EQ(h_msgs, 5);
	CHECK_EQ(a_msgs, 0);

	/* The peer restarts: count 1. One poll answers it. */
	glink_put32(g.desc + GLINK_D_RESTARTS, 1);
	rpmsg_bus_poll(bus, 0);
	CHECK_EQ(h_removes, 1);
	CHECK(h_chan == NULL);
	CHECK_EQ(h_msgs, 5); /* nothing of the old session delivered after it */
	CHECK_EQ(a_msgs, 0);
	CHECK(!rpmsg_link_is_up(link));
	/* The application's endpoint is dead; destroying it sends nothing (no ids left). */
	if (app) {
		CHECK_EQ(rpmsg_trysend(app, msg, 1), -EPIPE);
		CHECK_EQ(rpmsg_send(app, msg, 1), -EPIPE);
		CHECK_EQ(rpmsg_set_flow_control(app, true, 0), -ENOTCONN);
		rpmsg_destroy_ept(app);
	}
	/* All four indices 0 but our VERSION's head, the count answered, the magic kept. */
	CHECK_EQ(gp_word(&g, GLINK_D_FIFO0_TAIL), 0);
	CHECK_EQ(gp_word(&g, GLINK_D_FIFO0_HEAD), 8);
	CHECK_EQ(gp_word(&g, GLINK_D_FIFO1_TAIL), 0);
	CHECK_EQ(gp_word(&g, GLINK_D_FIFO1_HEAD), 0);
	CHECK_EQ(gp_word(&g, GLINK_D_RESTART_ACK), 1);
	CHECK_EQ(gp_word(&g, GLINK_D_MAGIC), GLINK_RESTART_MAGIC);
	/* FIFO_0 starts afresh with VERSION: no RX_DONE or data of the old session. */
	CHECK_MEM(g.rxf, session2, 8);
	CHECK_EQ(rpmsg_glink_get_stats(link, &st), 0);
	CHECK_EQ(st.restarts, 1);
	CHECK_EQ(st.channels, 0);

	/* The new remote's session from index 0: probed again, messages flow. */
	g.head = 0;
	h_session(&g, bus, 3);
	CHECK_EQ(h_probes, 2);
	CHECK(rpmsg_link_is_up(link));
	CHECK_EQ(gpeer_read(&g, got, sizeof(session2)), sizeof(session2));
	CHECK_MEM(got, session2, sizeof(session2));
	h_data(&g, 7, 1);
	rpmsg_bus_poll(bus, 0);
	CHECK_EQ(h_msgs, 6);
	if (h_chan)
		CHECK_EQ(rpmsg_trysend(rpmsg_channel_ept(h_chan), msg, 8), 0);
	CHECK_EQ(rpmsg_glink_get_stats(link, &st), 0);
	CHECK_EQ(st.rx_bad, 0);
out:
	rpmsg_bus_destroy(bus);
}

/* ---- the remote ---- */

/* Many intents, so that a sender to a frozen remote can fill our FIFO first. */
#define REMOTE_CONFIG                                                                         \
	{ .role = RPMSG_GLINK_REMOTE, .remote_host = 2, .channels = echo_names,                \
	  .intent_count = 16, .intent_size = 1024, .attach_timeout_ms = 20000 }
#include "restart_echo.h"

int main(void)
{
	const char *e = getenv("RPMSG_RESTART_CYCLES");
	uint32_t cycles = e ? (uint32_t)atoi(e) : 100;
	struct rpmsg_glink_config cfg = { .role = RPMSG_GLINK_MAIN, .format_smem = true,
					  .remote_host = 2, .fifo_size = 4096,
					  .open_timeout_ms = 20000 };
	struct rpmsg_glink_stats st;
	struct rpmsg_platform *plat;
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	struct restart_counts n = { 0 };
	char name[48];
	uint64_t t0 = ms_now();
	pid_t pid;

	t_timeout(115);
	handshake_golden();
	snprintf(name, sizeof(name), "t-glrestart-%d", (int)getpid());
	rpmsg_posix_unlink(name);
	CHECK_EQ(rpmsg_posix_create(name, 1 << 20, &plat), 0);
	CHECK_EQ(rpmsg_bus_create(&bus), 0);
	CHECK_EQ(rpmsg_register_driver(bus, &drv), 0);
	/* The main CPU lays SMEM out first: remotes only ever attach to it. */
	CHECK_EQ(rpmsg_glink_create(bus, plat, &cfg, &link), 0);
	pid = start_remote(name);

	pid = restart_cycles(bus, link, name, pid, cycles, false, &n, &st);
	printf("%u cycles in %llu ms: %u echoes, %d blocked senders (%d -EPIPE), %d dead app "
	       "endpoints (-EPIPE), restarts %llu, intent requests %llu, read notifs %llu, "
	       "rx_bad %llu\n", cycles, (unsigned long long)(ms_now() - t0), echoes,
	       n.blocked_cycles, n.epipe, n.app_epipe, (unsigned long long)st.restarts,
	       (unsigned long long)st.intent_reqs, (unsigned long long)st.read_notifs,
	       (unsigned long long)st.rx_bad);
	restart_teardown(bus, pid, name);
	return t_done();
}
