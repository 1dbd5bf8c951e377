/*
 * Remote crash and restart over GLINK's RPM flavour (message RAM), as remoteproc recovery:
 * the main CPU (this process) keeps one link while remotes (forked processes) come and go.
 * As on real hardware the remote (the RPM) lays the message RAM out (cfg.format_smem), and
 * the main CPU waits for it. Message RAM survives a restart as SMEM does, so every new
 * remote finds its predecessor's layout, whose table of contents names, besides the two
 * FIFOs, this library's restart words (a third entry Linux skips; src/glink/glink_wire.h).
 * The new remote keeps the layout, counts its restart there and touches no index until the
 * main CPU has acknowledged; the main CPU drops the old session (drivers see remove, waiting
 * senders get -EPIPE), sets the four indices to 0 and acknowledges. The same handshake as
 * SMEM's (test_glink_restart_mt), at another place.
 *
 * Each remote opens "echo" (our driver binds it) and answers "echo-app", which this side
 * opens with rpmsg_create_ept() every cycle; it echoes every message. Each cycle: the
 * driver is probed on the new remote's channel, 8 messages go round on both channels, a few
 * more are left in flight, then the remote is killed and another started. The driver must
 * see remove before probe again; the old application endpoint must fail with -EPIPE; every
 * echo is seen at most once, in order, and none from an older remote once the new one is
 * up. Every tenth cycle the remote freezes first so that a sender blocks on a full FIFO
 * (RPM is intentless: nothing else to wait for): the restart must end it with -EPIPE.
 * RPMSG_RESTART_CYCLES overrides the 20 cycles.
 *
 * First, the restart words byte by byte: zero as the remote lays them out, the main CPU's
 * magic and acknowledgement once it attached, the magic gone when its link is destroyed.
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

#include "glink/glink_wire.h"
#include "memplat.h"
#include "testlib.h"

#define SMALL 32u
#define BIG 1000u  /* one fills most of the 1024-byte FIFO: the second blocks */
#define FIFO 1024u /* as upstream RPM edges */
#define RAM 16384u

/* ---- first, the restart words (one process, no peer needed) ---- */

static uint8_t wram[RAM] __attribute__((aligned(4096)));

static uint32_t word(uint32_t off)
{
	return glink_get32(wram + off);
}

static void restart_words(void)
{
	struct rpmsg_glink_config rc = { .role = RPMSG_GLINK_REMOTE, .flavour = RPMSG_GLINK_RPM,
					 .format_smem = true, .fifo_size = FIFO };
	struct rpmsg_glink_config mc = { .role = RPMSG_GLINK_MAIN, .flavour = RPMSG_GLINK_RPM };
	struct rpmsg_platform pr = memplat(wram, sizeof(wram), 0);
	struct rpmsg_platform pm = memplat(wram, sizeof(wram), 0);
	const uint8_t *toc = wram + RAM - GLINK_TOC_SIZE;
	uint32_t rs = 2 * glink_round8(GLINK_RPM_DESC + FIFO + 8);
	struct rpmsg_glink_stats st;
	struct rpmsg_bus *br, *bm;
	struct rpmsg_link *lr, *lm;

	memset(wram, 0xEE, sizeof(wram));
	CHECK_EQ(rpmsg_bus_create(&br), 0);
	CHECK_EQ(rpmsg_bus_create(&bm), 0);
	CHECK_EQ(rpmsg_glink_create(br, &pr, &rc, &lr), 0);
	/* Our entry, after the two FIFO entries, naming 16 bytes after the FIFOs. */
	CHECK_EQ(glink_get32(toc + 4), 3);
	CHECK_EQ(glink_get32(toc + 32), GLINK_TOC_RESTART);
	CHECK_EQ(glink_get32(toc + 36), rs);
	CHECK_EQ(glink_get32(toc + 40), GLINK_RS_SIZE);
	for (uint32_t i = 0; i < GLINK_RS_SIZE; i += 4)
		CHECK_EQ(word(rs + i), 0);
	CHECK_EQ(rpmsg_glink_create(bm, &pm, &mc, &lm), 0);
	CHECK_EQ(word(rs + GLINK_RS_MAGIC), GLINK_RESTART_MAGIC);
	CHECK_EQ(word(rs + GLINK_RS_ACK), 0);
	CHECK_EQ(word(rs + GLINK_RS_RESTARTS), 0);
	rpmsg_bus_poll(bm, 0);
	rpmsg_bus_poll(br, 0);
	rpmsg_bus_poll(bm, 0);
	CHECK_EQ(rpmsg_glink_get_stats(lm, &st), 0);
	CHECK(st.version_done);
	CHECK_EQ(st.restarts, 0);
	CHECK_EQ(st.rx_bad, 0);
	rpmsg_link_destroy(lm);
	/* No main CPU answering: a remote created now lays the RAM out afresh, at once. */
	CHECK_EQ(word(rs + GLINK_RS_MAGIC), 0);
	rpmsg_bus_destroy(br);
	CHECK_EQ(rpmsg_bus_create(&br), 0);
	glink_put32(wram + rs + GLINK_RS_RESTARTS, 5);
	CHECK_EQ(rpmsg_glink_create(br, &pr, &rc, &lr), 0);
	CHECK_EQ(word(rs + GLINK_RS_RESTARTS), 0);
	rpmsg_bus_destroy(br);

	/*
	 * A main CPU attaching while a restarted remote waits (count 1, acknowledged 0; its
	 * old main CPU died without destroying its link): the remote's words go to 0 too
	 * (ap2r tail at 0, r2ap head at off1 + 4) before the acknowledgement.
	 */
	glink_put32(wram + rs + GLINK_RS_RESTARTS, 1);
	glink_put32(wram + rs + GLINK_RS_MAGIC, GLINK_RESTART_MAGIC);
	glink_put32(wram + 0, 64);
	glink_put32(wram + rs / 2 + 4, 64);
	CHECK_EQ(rpmsg_glink_create(bm, &pm, &mc, &lm), 0);
	CHECK_EQ(word(rs + GLINK_RS_ACK), 1);
	CHECK_EQ(word(0), 0);
	CHECK_EQ(word(rs / 2 + 4), 0);
	rpmsg_bus_destroy(bm);
}

/* ---- the remote ---- */

/* The RPM lays the message RAM out; after a restart it finds its own layout. */
#define REMOTE_CONFIG                                                                         \
	{ .role = RPMSG_GLINK_REMOTE, .flavour = RPMSG_GLINK_RPM, .format_smem = true,         \
	  .fifo_size = FIFO, .channels = echo_names, .attach_timeout_ms = 20000 }
#include "restart_echo.h"

int main(void)
{
	const char *e = getenv("RPMSG_RESTART_CYCLES");
	uint32_t cycles = e ? (uint32_t)atoi(e) : 20;
	struct rpmsg_glink_config cfg = { .role = RPMSG_GLINK_MAIN, .flavour = RPMSG_GLINK_RPM,
					  .open_timeout_ms = 20000, .attach_timeout_ms = 10000 };
	struct rpmsg_glink_stats st;
	struct rpmsg_platform *plat;
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	struct restart_counts n = { 0 };
	char name[48];
	uint64_t t0 = ms_now();
	pid_t pid;

	t_timeout(115);
	restart_words();
	snprintf(name, sizeof(name), "t-glrpmrestart-%d", (int)getpid());
	rpmsg_posix_unlink(name);
	CHECK_EQ(rpmsg_posix_create(name, RAM, &plat), 0);
	CHECK_EQ(rpmsg_bus_create(&bus), 0);
	CHECK_EQ(rpmsg_register_driver(bus, &drv), 0);
	/* The first remote lays the message RAM out; the main CPU waits for it. */
	pid = start_remote(name);
	CHECK_EQ(rpmsg_glink_create(bus, plat, &cfg, &link), 0);

	pid = restart_cycles(bus, link, name, pid, cycles, true, &n, &st);
	printf("%u cycles in %llu ms: %u echoes, %d blocked senders (%d -EPIPE), %d dead app "
	       "endpoints (-EPIPE), restarts %llu, read notifs %llu, rx_bad %llu\n", cycles,
	       (unsigned long long)(ms_now() - t0), echoes, n.blocked_cycles, n.epipe, n.app_epipe,
	       (unsigned long long)st.restarts, (unsigned long long)st.read_notifs,
	       (unsigned long long)st.rx_bad);
	restart_teardown(bus, pid, name);
	return t_done();
}
