/*
 * SCP crash and restart, as remoteproc recovery: the AP (this process) keeps one link while
 * SCPs (forked processes) come and go. Each SCP sends INIT, announces "echo" (IPI 10) and
 * echoes everything on 10 and on 20 (an endpoint the AP made with rpmsg_create_ept, which
 * lives across restarts), flagging a message that is not from its own cycle or comes out
 * of order. Each cycle: our driver is probed on the channel, messages go round (blocking
 * sends wait for the echo as their ack; trysends stream), a few are left in flight, the
 * SCP is killed with SIGKILL and the next one started; the driver sees remove, is probed
 * again and works. No echo comes twice, out of order, or from another cycle.
 *
 * Detection: the watchdog. A real SCP's watchdog raises bit 8 of SCP_TO_HOST when the
 * firmware stops; this test plays that hardware: once the killed SCP is reaped it raises
 * the bit and rings the AP's IPC doorbell, and the AP link takes itself down (see scp.c).
 * Every tenth cycle the SCP freezes first: one sender waits for its ack (the ack timeout is
 * 10 s) and another one behind it for the send lock; the watchdog must end both with
 * -EPIPE at once. Recovery alternates: in half the cycles as remoteproc, rpmsg_scp_reset
 * (hold, then release) before the next SCP starts; in the others the SCP restarts by
 * itself and its INIT brings the link back. Cycles 4, 14, ... have no watchdog (and
 * nothing left in flight): the AP must notice the restart from an INIT while it is up.
 * RPMSG_RESTART_CYCLES overrides the 100 cycles. Run it under ASan/LSan for the leak check.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"
#include "scp_util.h"

#define ID_ECHO 10u /* the announced channel */
#define ID_APP 20u  /* an application endpoint on both sides, not a channel */
#define ACK_MS 10000

struct echo_msg {
	uint32_t seq;
	uint32_t cycle;
	uint8_t cmd;  /* 'E' echo, 'F' freeze (stop polling) */
	uint8_t flag; /* set by the SCP: not from its cycle, or out of order */
	uint8_t fill[22];
};

/* ---- the SCP ---- */

static volatile int frozen;
static uint32_t scp_cycle, scp_last;

static int scp_rx(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct echo_msg m;

	(void)src; (void)priv;
	if (len != sizeof(m) || frozen)
		return 0; /* hung: what the poll that froze us still takes stays unanswered */
	memcpy(&m, data, sizeof(m));
	if (m.cycle != scp_cycle || m.seq <= scp_last)
		m.flag = 1; /* something the last SCP was sent, or a duplicate */
	scp_last = m.seq;
	if (m.cmd == 'F') {
		frozen = 1;
		return 0;
	}
	rpmsg_send(ept, &m, sizeof(m)); /* from the callback: never waits */
	return 0;
}

static const char *const ids[] = { "echo", NULL };

static int scp_main(const char *name, uint32_t cyc)
{
	struct rpmsg_scp_config cfg = { .role = RPMSG_SCP_REMOTE, .fw_version = "restart-scp" };
	struct rpmsg_driver drv = { .name = "echo-srv", .id_table = ids, .callback = scp_rx };
	struct rpmsg_channel_info ch = { .name = "echo", .src = ID_ECHO, .dst = RPMSG_ADDR_ANY };
	struct rpmsg_channel_info app = { .name = "", .src = ID_APP, .dst = RPMSG_ADDR_ANY };
	struct rpmsg_platform *plat;
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	struct rpmsg_endpoint *ept;

	scp_cycle = cyc;
	if (rpmsg_posix_attach(name, &plat) || rpmsg_bus_create(&bus) ||
	    rpmsg_register_driver(bus, &drv) || rpmsg_scp_create(bus, plat, &cfg, &link))
		return 10;
	/* 20 exists before 10 is announced, so before the AP sends on either. */
	if (rpmsg_create_ept(link, &app, scp_rx, NULL, &ept) || rpmsg_create_channel(link, &ch, NULL))
		return 11;
	while (!frozen)
		rpmsg_bus_poll(bus, 10);
	for (;;)
		pause(); /* hung, until killed */
}

static pid_t start_scp(const char *name, uint32_t cyc)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(scp_main(name, cyc));
	return pid;
}

/* ---- the AP ---- */

static int probes, removes;
static struct rpmsg_channel *chan;
static uint32_t cycle, last_seq, echoes, dup_or_reorder, stale, flagged, bad_src;

static int echo_rx(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct echo_msg m;

	(void)priv;
	if (len != sizeof(m))
		return 0;
	memcpy(&m, data, sizeof(m));
	if (src != rpmsg_ept_addr(ept))
		bad_src++;
	if (m.seq <= last_seq)
		dup_or_reorder++;
	/* The dying SCP's last echoes are taken before its watchdog: same cycle. */
	if (m.cycle != cycle)
		stale++;
	flagged += m.flag;
	last_seq = m.seq;
	echoes++;
	return 0;
}

static int on_probe(struct rpmsg_channel *ch)
{
	chan = ch;
	probes++;
	return 0;
}

static void on_remove(struct rpmsg_channel *ch)
{
	if (ch == chan)
		chan = NULL;
	removes++;
}

static const struct rpmsg_driver drv = { .name = "echo-client", .id_table = ids,
					 .probe = on_probe, .remove = on_remove, .callback = echo_rx };

static _Atomic uint32_t next_seq = 1;

static int send_echo(struct rpmsg_endpoint *ept, char cmd, int timeout_ms)
{
	struct echo_msg m = { .seq = atomic_fetch_add(&next_seq, 1), .cycle = cycle,
			      .cmd = (uint8_t)cmd };

	memset(m.fill, (int)m.seq, sizeof(m.fill));
	return rpmsg_send_timeout(ept, rpmsg_ept_addr(ept), rpmsg_ept_addr(ept), &m, sizeof(m),
				  timeout_ms);
}

struct blocked {
	struct rpmsg_endpoint *ept;
	_Atomic int done;
	int ret;
};

static void *blocked_sender(void *arg)
{
	struct blocked *b = arg;

	b->ret = send_echo(b->ept, 'E', 20000);
	atomic_store(&b->done, 1);
	return NULL;
}

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool poll_until(struct rpmsg_bus *bus, bool (*cond)(void), int ms)
{
	uint64_t end = ms_now() + (uint64_t)ms;

	while (!cond() && ms_now() < end)
		rpmsg_bus_poll(bus, 5);
	return cond();
}

static uint32_t want_echoes;
static struct blocked *blk[2];
static bool probed_now(void) { return chan != NULL && probes == (int)cycle + 1; }
static bool echoes_in(void) { return echoes >= want_echoes; }
static bool removed_now(void) { return removes == (int)cycle + 1; }
static bool unblocked(void) { return atomic_load(&blk[0]->done) && atomic_load(&blk[1]->done); }

/* The SCP's watchdog hardware: status bit 8 (a little-endian register), then the interrupt. */
static void watchdog_fires(struct rpmsg_platform *hw, uint8_t *shm)
{
	uint32_t bit;

	sp_p32((uint8_t *)&bit, RPMSG_SCP_WDT_BIT);
	__atomic_fetch_or((uint32_t *)(void *)(shm + RPMSG_SCP_REG_SCP_TO_HOST), bit,
			  __ATOMIC_ACQ_REL);
	rpmsg_platform_notify(hw, 0); /* bell 0: the IPC interrupt */
}

static struct rpmsg_scp_stats stats_of(struct rpmsg_link *l)
{
	struct rpmsg_scp_stats st;

	memset(&st, 0, sizeof(st));
	rpmsg_scp_get_stats(l, &st);
	return st;
}

/* Every tenth cycle: a hung SCP, two senders stuck behind it, then the watchdog. */
static void freeze_and_crash(struct rpmsg_bus *bus, struct rpmsg_link *link,
			     struct rpmsg_endpoint *ce, struct rpmsg_endpoint *app,
			     struct rpmsg_platform *hw, uint8_t *shm, pid_t pid, int *epipe)
{
	/* Both on the endpoint that outlives the crash (the channel's goes with remove). */
	struct blocked a = { .ept = app }, b = { .ept = app };
	uint64_t tx0 = stats_of(link).tx_msgs, t0;
	pthread_t ta, tb;
	int r, status;

	/* 'F' is no echo: trysend (no ack wait), again while the slot is busy. */
	while ((r = send_echo(ce, 'F', 0)) == -EAGAIN)
		rpmsg_bus_poll(bus, 1);
	CHECK_EQ(r, 0);
	blk[0] = &a;
	blk[1] = &b;
	pthread_create(&ta, NULL, blocked_sender, &a);
	/* a is in the slot, waiting for its ack, before b queues behind it. */
	for (int i = 0; i < 2000 && stats_of(link).tx_msgs < tx0 + 2; i++)
		usleep(1000);
	CHECK_EQ(stats_of(link).tx_msgs, tx0 + 2);
	pthread_create(&tb, NULL, blocked_sender, &b);
	usleep(20000);
	CHECK(!atomic_load(&a.done) && !atomic_load(&b.done)); /* really blocked */
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status));
	t0 = ms_now();
	watchdog_fires(hw, shm);
	CHECK(poll_until(bus, unblocked, 3000));
	CHECK(ms_now() - t0 < 3000); /* the watchdog ended the waits, not the 10 s ack timeout */
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	CHECK_EQ(a.ret, -EPIPE);
	CHECK_EQ(b.ret, -EPIPE); /* it got the locks after the loss: not sent to the next SCP */
	*epipe += (a.ret == -EPIPE) + (b.ret == -EPIPE);
}

int main(void)
{
	const char *e = getenv("RPMSG_RESTART_CYCLES");
	uint32_t cycles = e ? (uint32_t)atoi(e) : 100;
	struct rpmsg_scp_config cfg = { .role = RPMSG_SCP_HOST, .ack_timeout_ms = ACK_MS };
	struct rpmsg_channel_info app = { .name = "", .src = ID_APP, .dst = RPMSG_ADDR_ANY };
	struct rpmsg_endpoint *app_ept;
	struct rpmsg_platform *plat, *hw;
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	struct rpmsg_scp_stats st;
	uint32_t wdts = 0, resets = 0, reinits = 0;
	int epipe = 0;
	uint64_t t_start = ms_now();
	uint8_t *shm;
	char name[48];
	pid_t pid;

	t_timeout(110);
	snprintf(name, sizeof(name), "t-scp-restart-%d", (int)getpid());
	rpmsg_posix_unlink(name);
	CHECK_EQ(rpmsg_posix_create(name, 64 * 1024, &plat), 0);
	shm = plat->shm.va;
	/* The SCP side's wires that outlive any firmware: the watchdog's interrupt line. */
	CHECK_EQ(rpmsg_posix_attach(name, &hw), 0);
	CHECK_EQ(rpmsg_bus_create(&bus), 0);
	CHECK_EQ(rpmsg_register_driver(bus, &drv), 0);
	CHECK_EQ(rpmsg_scp_create(bus, plat, &cfg, &link), 0);
	CHECK_EQ(rpmsg_create_ept(link, &app, echo_rx, NULL, &app_ept), 0);
	pid = start_scp(name, 0);

	for (cycle = 0; cycle < cycles && !t_failures; cycle++) {
		struct rpmsg_endpoint *ce;
		bool quiet = cycle % 10 == 4, freeze = cycle % 10 == 9;
		int status, r;

		/* The SCP of this cycle is up and announced; our driver bound its channel. */
		CHECK(poll_until(bus, probed_now, 5000));
		if (!chan)
			break;
		CHECK_EQ(removes, (int)cycle);
		CHECK(rpmsg_link_is_up(link));
		ce = rpmsg_channel_ept(chan);
		/* Round trips: each blocking send returns once its echo (the ack) was delivered. */
		for (int i = 0; i < 6; i++) {
			want_echoes = echoes + 1;
			CHECK_EQ(send_echo(i & 1 ? app_ept : ce, 'E', 1000), 0);
			CHECK_EQ(echoes, want_echoes);
		}
		/* Streamed: trysend, no ack wait. */
		want_echoes = echoes + 6;
		for (int i = 0; i < 6; i++) {
			while ((r = send_echo(i & 1 ? app_ept : ce, 'E', 0)) == -EAGAIN)
				rpmsg_bus_poll(bus, 1);
			CHECK_EQ(r, 0);
		}
		CHECK(poll_until(bus, echoes_in, 5000));

		if (quiet) {
			/* No watchdog: the AP learns of the restart from the INIT (nothing in flight). */
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			CHECK(WIFSIGNALED(status));
			pid = start_scp(name, cycle + 1);
			CHECK(poll_until(bus, removed_now, 5000));
			reinits++;
			continue;
		}
		if (freeze) {
			freeze_and_crash(bus, link, ce, app_ept, hw, shm, pid, &epipe);
		} else {
			/* A few in flight (echoed or not, or not even taken), then the crash. */
			for (int i = 0; i < 3; i++)
				send_echo(i & 1 ? app_ept : ce, 'E', 0);
			rpmsg_bus_poll(bus, 0);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			CHECK(WIFSIGNALED(status));
			watchdog_fires(hw, shm);
		}
		wdts++;
		/* The AP took the link down: driver remove, sends refused. */
		CHECK(poll_until(bus, removed_now, 5000));
		CHECK(!rpmsg_link_is_up(link));
		CHECK_EQ(send_echo(app_ept, 'E', 100), -EPIPE);
		if (cycle % 4 < 2) {
			/* remoteproc's recovery: stop (hold in reset), load, start (release). */
			CHECK_EQ(rpmsg_scp_reset(link, true), 0);
			CHECK_EQ(sp_g32(shm + RPMSG_SCP_REG_SIM_RESET), 1);
			CHECK_EQ(rpmsg_scp_reset(link, false), 0);
			CHECK_EQ(sp_g32(shm + RPMSG_SCP_REG_SIM_RESET), 0);
			CHECK_EQ(send_echo(app_ept, 'E', 100), -ENOTCONN); /* until INIT */
			resets++;
		}
		pid = start_scp(name, cycle + 1);
	}
	CHECK_EQ(cycle, cycles);
	CHECK(poll_until(bus, probed_now, 5000));
	CHECK_EQ(removes, (int)cycles);
	CHECK_EQ(probes, (int)cycles + 1);
	CHECK_EQ(dup_or_reorder, 0);
	CHECK_EQ(stale, 0);
	CHECK_EQ(flagged, 0);
	CHECK_EQ(bad_src, 0);
	/* The last SCP works too. */
	if (chan) {
		want_echoes = echoes + 1;
		CHECK_EQ(send_echo(rpmsg_channel_ept(chan), 'E', 1000), 0);
		CHECK_EQ(echoes, want_echoes);
	}
	st = stats_of(link);
	CHECK_EQ(st.watchdogs, wdts);
	CHECK_EQ(st.reinits, reinits);
	CHECK_EQ(st.rx_bad, 0);
	CHECK_EQ(st.ns_bad, 0);
	CHECK_EQ(st.rx_dropped, 0);
	CHECK_EQ(st.ack_timeouts, 0);
	printf("%u cycles in %.2f s: %u echoes, %u watchdogs (%u with reset, hold and release), "
	       "%u restarts seen by INIT, %d blocked senders ended with -EPIPE\n", cycles,
	       (double)(ms_now() - t_start) / 1000.0, echoes, wdts, resets, reinits, epipe);

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	rpmsg_bus_destroy(bus);
	hw->ops->destroy(hw);
	rpmsg_posix_unlink(name);
	return t_done();
}
