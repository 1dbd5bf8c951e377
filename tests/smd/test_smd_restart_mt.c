/*
 * Remote crash and restart over SMD, as remoteproc recovery: the main CPU (this process)
 * keeps one link over one SMEM region it formatted (as the boot loader does: SMEM outlives
 * a remote), while remotes (forked processes) come and go. A remote takes over the "echo"
 * channel an earlier one left in SMEM (its boot writes RESET), opens it and echoes every
 * message. Each cycle our driver is probed on the channel, 8 messages go round, 3 more are
 * left in flight, then one of:
 *   - kill: SIGKILL and a new remote; the new remote's RESET is the only sign of the crash;
 *   - reported kill: SIGKILL, rpmsg_smd_reset() as remoteproc would report the crash (the
 *     next poll removes the channel before any new remote exists), then a new remote;
 *   - live reset: the remote resets its channel mid-stream (rpmsg_smd_reset() from its
 *     receive callback, messages still queued behind it) and stays;
 *   - every tenth: the remote freezes first so that a sender blocks on the full FIFO; the
 *     crash (seen either way) must end that send with -EPIPE before the driver sees remove.
 * Every cycle the driver sees remove then probe exactly once, echoes work again, and no
 * message reaches either side twice or out of order (the remote flags any it sees). One
 * reset is counted per cycle, and the channel is never duplicated in SMEM.
 * RPMSG_RESTART_CYCLES overrides 100. Run it under ASan/LSan for the leak check.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rpmsg/platform.h>
#include <rpmsg/rpmsg.h>
#include <rpmsg/smd.h>

#include "testlib.h"

#define FIFO 1024u /* small: a frozen remote's FIFO fills after 19 messages */

struct echo_msg {
	uint32_t seq;
	uint32_t cycle;
	uint8_t cmd; /* 'E' echo, 'F' freeze (stop polling), 'R' reset the channel now */
	uint8_t bad; /* set by the remote: it saw this sequence number go backwards */
	uint8_t fill[22];
};

static const char *const names[] = { "echo", NULL };

static int send_msg(struct rpmsg_endpoint *ept, const struct echo_msg *m, int timeout_ms)
{
	return rpmsg_send_timeout(ept, rpmsg_ept_addr(ept), rpmsg_ept_dst(ept), m, sizeof(*m),
				  timeout_ms);
}

/* ---- the remote ---- */

static volatile int frozen;
static uint32_t r_last_seq;
static struct rpmsg_link *r_link;

static int remote_rx(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct echo_msg m;

	(void)src; (void)priv;
	if (len != sizeof(m))
		return 0;
	memcpy(&m, data, sizeof(m));
	if (m.cmd == 'F') {
		frozen = 1;
		return 0;
	}
	if (m.cmd == 'R') {
		rpmsg_smd_reset(r_link); /* what is queued behind it is lost */
		return 0;
	}
	if (m.seq <= r_last_seq)
		m.bad = 1;
	r_last_seq = m.seq;
	send_msg(ept, &m, 1000); /* fails with -EPIPE once the channel resets: fine */
	return 0;
}

static int remote(const char *name)
{
	struct rpmsg_smd_config cfg = { .role = RPMSG_SMD_REMOTE, .channels = names, .edge = 1,
					.remote_host = 1, .fifo_size = FIFO };
	struct rpmsg_driver drv = { .name = "echo-srv", .id_table = names, .callback = remote_rx };
	struct rpmsg_platform *plat;
	struct rpmsg_bus *bus;

	if (rpmsg_posix_attach(name, &plat) || rpmsg_bus_create(&bus) ||
	    rpmsg_register_driver(bus, &drv) || rpmsg_smd_create(bus, plat, &cfg, &r_link))
		return 10;
	while (!frozen)
		rpmsg_bus_poll(bus, 10);
	for (;;)
		pause(); /* frozen: a hung remote, until it is killed */
}

static pid_t start_remote(const char *name)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(remote(name));
	return pid;
}

/* ---- the main CPU ---- */

struct blocked {
	pthread_t thread;
	struct rpmsg_endpoint *ept;
	_Atomic int sent, done;
	int ret;
};

static int probes, removes;
static struct rpmsg_channel *chan;
static uint32_t last_seq, echoes, dup_or_reorder, stale, remote_bad, wrong_ept;
static uint32_t cycle, next_seq = 1;
static struct blocked *blocked; /* a sender the next remove must find returned */
static int blocked_late;

static int echo_rx(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct echo_msg m;

	(void)src; (void)priv;
	if (len != sizeof(m))
		return 0;
	memcpy(&m, data, sizeof(m));
	if (!chan || ept != rpmsg_channel_ept(chan))
		wrong_ept++;
	if (m.seq <= last_seq)
		dup_or_reorder++;
	remote_bad += m.bad;
	/* This cycle's, or the last one's before its channel went (never after the probe). */
	if (m.cycle != cycle && !(m.cycle + 1 == cycle && probes == (int)cycle))
		stale++;
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
	if (blocked) {
		/* The channel was closed before its removal: the sender is out already. */
		for (int i = 0; i < 2000 && !blocked->done; i++)
			usleep(1000);
		if (blocked->done) {
			pthread_join(blocked->thread, NULL);
			blocked = NULL;
		} else {
			blocked_late++;
		}
	}
	if (ch == chan)
		chan = NULL;
	removes++;
}

static const struct rpmsg_driver drv = { .name = "echo-client", .id_table = names,
					 .probe = on_probe, .remove = on_remove,
					 .callback = echo_rx };

static int send_echo(struct rpmsg_endpoint *ept, char cmd, int timeout_ms)
{
	struct echo_msg m = { .seq = next_seq, .cycle = cycle, .cmd = (uint8_t)cmd };
	int r;

	memset(m.fill, (int)(m.seq & 0xFF), sizeof(m.fill));
	r = send_msg(ept, &m, timeout_ms);
	if (!r && cmd == 'E')
		next_seq++;
	return r;
}

/* Fill the frozen remote's FIFO, then block in a send until the crash ends it. */
static void *blocked_sender(void *arg)
{
	struct blocked *b = arg;

	for (;;) {
		int r = send_echo(b->ept, 'E', 20000);

		if (r) {
			b->ret = r;
			break;
		}
		b->sent++;
	}
	b->done = 1;
	return NULL;
}

static struct rpmsg_bus *bus;

static bool poll_until(bool (*cond)(void), int ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!cond()) {
		rpmsg_bus_poll(bus, 5);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > ms)
			break;
	}
	return cond();
}

static uint32_t want_echoes;
static bool probed_now(void) { return chan != NULL && probes == (int)cycle + 1; }
static bool removed_now(void) { return removes == (int)cycle + 1; }
static bool echoes_in(void) { return echoes >= want_echoes; }

static void crash(pid_t pid)
{
	int status = 0;

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

int main(void)
{
	const char *e = getenv("RPMSG_RESTART_CYCLES");
	uint32_t cycles = e ? (uint32_t)atoi(e) : 100;
	struct rpmsg_smd_config cfg = { .role = RPMSG_SMD_MAIN, .format_smem = true, .edge = 1,
					.remote_host = 1 };
	struct rpmsg_smd_stats st;
	struct rpmsg_platform *plat;
	struct rpmsg_link *link;
	struct timespec t0, t1;
	char name[48];
	int kinds[4] = { 0 }, epipe = 0;
	pid_t pid;

	t_timeout(110);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	snprintf(name, sizeof(name), "t-smdrestart-%d", (int)getpid());
	rpmsg_posix_unlink(name);
	CHECK_EQ(rpmsg_posix_create(name, 256 * 1024, &plat), 0);
	CHECK_EQ(rpmsg_bus_create(&bus), 0);
	CHECK_EQ(rpmsg_register_driver(bus, &drv), 0);
	CHECK_EQ(rpmsg_smd_create(bus, plat, &cfg, &link), 0);
	if (t_failures)
		return t_done();
	pid = start_remote(name);

	for (cycle = 0; cycle < cycles && !t_failures; cycle++) {
		struct rpmsg_endpoint *ce;

		/* This cycle's remote opened the channel and our driver bound it. */
		CHECK(poll_until(probed_now, 5000));
		if (!chan)
			break;
		CHECK_EQ(removes, (int)cycle);
		ce = rpmsg_channel_ept(chan);
		want_echoes = echoes + 8;
		for (int i = 0; i < 8; i++)
			CHECK_EQ(send_echo(ce, 'E', 1000), 0);
		CHECK(poll_until(echoes_in, 5000));
		CHECK_EQ(echoes, want_echoes);

		if (cycle % 10 == 9) {
			/* A hung remote: a sender blocks on the full FIFO until the crash. */
			static struct blocked b;
			uint64_t waits0;

			memset(&b, 0, sizeof(b));
			b.ept = ce;
			CHECK_EQ(rpmsg_smd_get_stats(link, &st), 0);
			waits0 = st.tx_waits;
			CHECK_EQ(send_echo(ce, 'F', 1000), 0);
			CHECK_EQ(pthread_create(&b.thread, NULL, blocked_sender, &b), 0);
			for (int i = 0; i < 2000 && !b.done; i++) {
				rpmsg_smd_get_stats(link, &st);
				if (b.sent >= 10 && st.tx_waits > waits0)
					break;
				usleep(1000);
			}
			usleep(20000);
			CHECK(!b.done); /* really blocked */
			blocked = &b;
			crash(pid);
			if (cycle % 20 == 19) {
				CHECK_EQ(rpmsg_smd_reset(link), 0); /* reported: ends the send */
				CHECK(poll_until(removed_now, 5000));
			}
			pid = start_remote(name); /* else its RESET ends the send */
			CHECK(poll_until(removed_now, 5000));
			CHECK(blocked == NULL); /* the driver's remove found the sender out */
			CHECK_EQ(b.ret, -EPIPE);
			epipe += b.ret == -EPIPE;
			kinds[3]++;
			continue;
		}
		/* A few left in flight (some echoed, some not), then the crash or reset. */
		for (int i = 0; i < 3; i++)
			send_echo(ce, 'E', 0);
		rpmsg_bus_poll(bus, 0);
		if (cycle % 3 == 1) {
			/* Live reset mid-stream: the messages behind 'R' are lost. */
			CHECK_EQ(send_echo(ce, 'R', 1000), 0);
			for (int i = 0; i < 3; i++)
				send_echo(ce, 'E', 0);
			kinds[1]++;
			continue;
		}
		crash(pid);
		if (cycle % 3 == 2) {
			CHECK_EQ(rpmsg_smd_reset(link), 0);
			CHECK(poll_until(removed_now, 5000));
			kinds[2]++;
		} else {
			kinds[0]++;
		}
		pid = start_remote(name);
	}
	CHECK_EQ(cycle, cycles);
	CHECK(poll_until(probed_now, 5000));
	CHECK_EQ(removes, (int)cycles);
	CHECK_EQ(probes, (int)cycles + 1);
	CHECK_EQ(dup_or_reorder, 0);
	CHECK_EQ(stale, 0);
	CHECK_EQ(remote_bad, 0);
	CHECK_EQ(wrong_ept, 0);
	CHECK_EQ(blocked_late, 0);
	/* The last remote works too. */
	if (chan) {
		want_echoes = echoes + 4;
		for (int i = 0; i < 4; i++)
			CHECK_EQ(send_echo(rpmsg_channel_ept(chan), 'E', 1000), 0);
		CHECK(poll_until(echoes_in, 5000));
	}
	CHECK_EQ(rpmsg_smd_get_stats(link, &st), 0);
	CHECK_EQ(st.resets, cycles);
	CHECK_EQ(st.rx_bad, 0);
	CHECK_EQ(st.channels, 1);
	CHECK_EQ(rpmsg_smd_reset(NULL), -EINVAL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%u cycles (%d killed, %d killed+reported, %d live resets, %d frozen), %u echoes, "
	       "%d blocked senders -EPIPE, resets %llu, %.2f s\n", cycle, kinds[0], kinds[2],
	       kinds[1], kinds[3], echoes, epipe, (unsigned long long)st.resets,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	rpmsg_bus_destroy(bus);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	rpmsg_posix_unlink(name);
	return t_done();
}
