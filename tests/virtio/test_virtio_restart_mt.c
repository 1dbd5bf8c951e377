/*
 * Remote crash and restart, as remoteproc recovery: the main CPU (this process, virtio
 * driver) keeps one link while remotes (forked processes, virtio device) come and go. Each
 * remote writes a fresh resource table, announces "echo" and echoes every message back.
 * Each cycle: the driver is probed on the remote's channel, messages go round, a few more
 * are left in flight, then the remote is killed with SIGKILL and another one started. The
 * driver must see its channel removed (driver remove), renegotiate, be probed again and
 * work, with every echo seen at most once and in order (nothing accepted before a crash is
 * delivered twice). Every tenth cycle the remote freezes first so that a sender blocks on
 * a full ring: the restart must wake it with -EPIPE. RPMSG_RESTART_CYCLES overrides 100.
 * Run it under ASan/LSan for the leak check.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"
#include "virtio/virtio_diag.h"
#include "vpair.h"

#define ECHO_ADDR 1024u
#define APP_ADDR 1100u

struct echo_msg {
	uint32_t seq;
	uint32_t cycle;
	uint8_t cmd; /* 'E' echo, 'F' freeze (stop polling) */
	uint8_t fill[23];
};

/* ---- the remote ---- */

static volatile int frozen;

static int remote_rx(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct echo_msg m;

	(void)priv;
	if (len != sizeof(m))
		return 0;
	memcpy(&m, data, sizeof(m));
	if (m.cmd == 'F') {
		frozen = 1;
		return 0;
	}
	rpmsg_sendto(ept, &m, sizeof(m), src);
	return 0;
}

static int remote(const char *name)
{
	struct rpmsg_virtio_config cfg = { .role = RPMSG_VIRTIO_DEVICE, .vring_num = 16 };
	struct rpmsg_channel_info info = { .name = "echo", .src = ECHO_ADDR, .dst = RPMSG_ADDR_ANY };
	struct rpmsg_platform *plat;
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	struct rpmsg_endpoint *ept;

	if (rpmsg_posix_attach(name, &plat) || rpmsg_bus_create(&bus) ||
	    rpmsg_virtio_create(bus, plat, &cfg, &link))
		return 10;
	for (int i = 0; i < 1000 && !rpmsg_link_is_up(link); i++)
		rpmsg_bus_poll(bus, 10);
	if (!rpmsg_link_is_up(link))
		return 11;
	if (rpmsg_create_ept(link, &info, remote_rx, NULL, &ept) || rpmsg_ept_announce(ept))
		return 12;
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

static int probes, removes;
static struct rpmsg_channel *chan;
static uint32_t last_seq, echoes, dup_or_reorder, stale;
static uint32_t cycle;

static int echo_rx(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct echo_msg m;

	(void)ept; (void)src; (void)priv;
	if (len != sizeof(m))
		return 0;
	memcpy(&m, data, sizeof(m));
	if (m.seq <= last_seq)
		dup_or_reorder++;
	/* An echo from the remote of this cycle, or of the last one just before it died. */
	if (m.cycle != cycle && m.cycle + 1 != cycle)
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
	if (ch == chan)
		chan = NULL;
	removes++;
}

static const char *const ids[] = { "echo", NULL };
static const struct rpmsg_driver drv = { .name = "echo-client", .id_table = ids,
					 .probe = on_probe, .remove = on_remove, .callback = echo_rx };

static uint32_t next_seq = 1;

static int send_echo(struct rpmsg_endpoint *ept, char cmd, int timeout_ms)
{
	struct echo_msg m = { .seq = next_seq, .cycle = cycle, .cmd = (uint8_t)cmd };
	int r;

	memset(m.fill, (int)m.seq, sizeof(m.fill));
	r = rpmsg_send_timeout(ept, rpmsg_ept_addr(ept), ECHO_ADDR, &m, sizeof(m), timeout_ms);
	if (!r && cmd == 'E')
		next_seq++;
	return r;
}

struct blocked {
	struct rpmsg_endpoint *ept;
	_Atomic int sent, done;
	int ret;
};

/* Fill the frozen remote's ring, then block in a send until the restart ends it. */
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

static uint32_t want_echoes;
static bool probed_now(void) { return chan != NULL && probes == (int)cycle + 1; }
static bool echoes_in(void) { return echoes >= want_echoes; }

int main(void)
{
	const char *e = getenv("RPMSG_RESTART_CYCLES");
	uint32_t cycles = e ? (uint32_t)atoi(e) : 100;
	struct rpmsg_virtio_config cfg = { .role = RPMSG_VIRTIO_DRIVER };
	struct rpmsg_channel_info app = { .name = "", .src = APP_ADDR, .dst = ECHO_ADDR };
	struct rpmsg_endpoint *app_ept;
	struct rpmsg_platform *plat;
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	char name[48];
	int blocked_cycles = 0, epipe = 0;
	pid_t pid;

	t_timeout(115);
	snprintf(name, sizeof(name), "t-restart-%d", (int)getpid());
	rpmsg_posix_unlink(name);
	CHECK_EQ(rpmsg_posix_create(name, 1 << 20, &plat), 0);
	pid = start_remote(name);
	CHECK_EQ(rpmsg_bus_create(&bus), 0);
	CHECK_EQ(rpmsg_register_driver(bus, &drv), 0);
	CHECK_EQ(rpmsg_virtio_create(bus, plat, &cfg, &link), 0);
	/* An application endpoint (not a channel's): it lives across restarts. */
	CHECK_EQ(rpmsg_create_ept(link, &app, echo_rx, NULL, &app_ept), 0);

	for (cycle = 0; cycle < cycles && !t_failures; cycle++) {
		struct rpmsg_endpoint *ce;
		int status;

		/* The remote of this cycle announced itself and our driver bound it. */
		CHECK(t_poll_until(bus, probed_now, 5000));
		if (!chan)
			break;
		CHECK_EQ(removes, (int)cycle);
		ce = rpmsg_channel_ept(chan);
		CHECK(rpmsg_link_is_up(link));
		/* Messages round the remote, from the channel and from the app endpoint. */
		want_echoes = echoes + 8;
		for (int i = 0; i < 8; i++)
			CHECK_EQ(send_echo(i & 1 ? app_ept : ce, 'E', 1000), 0);
		CHECK(t_poll_until(bus, echoes_in, 5000));
		CHECK_EQ(echoes, want_echoes);

		if (cycle % 10 == 9) {
			/* A hung remote: a sender blocks on the full ring until the restart. */
			struct blocked b = { .ept = app_ept };
			struct rpmsg_virtio_stats st0;
			pthread_t t;

			CHECK_EQ(send_echo(ce, 'F', 1000), 0);
			rpmsg_virtio_get_stats(link, &st0);
			pthread_create(&t, NULL, blocked_sender, &b);
			/* Until it waits for a buffer: the ring is full (the frozen remote may
			 * also keep a few it had not handed back yet). */
			for (int i = 0; i < 2000 && !b.done; i++) {
				struct rpmsg_virtio_stats st;

				rpmsg_virtio_get_stats(link, &st);
				if (b.sent >= 8 && st.tx_waits > st0.tx_waits)
					break;
				usleep(1000);
			}
			usleep(20000);
			CHECK(!b.done); /* really blocked */
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			pid = start_remote(name);
			/* The poller sees the fresh table; the blocked sender gives up. */
			for (int i = 0; i < 1000 && !b.done; i++)
				rpmsg_bus_poll(bus, 5);
			pthread_join(t, NULL);
			CHECK(b.ret == -EPIPE || b.ret == -ENOTCONN);
			epipe += b.ret == -EPIPE;
			blocked_cycles++;
			continue;
		}
		/* A few left in flight (some echoed, some not), then the crash. */
		for (int i = 0; i < 3; i++)
			send_echo(ce, 'E', 0);
		rpmsg_bus_poll(bus, 0);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		CHECK(WIFSIGNALED(status));
		pid = start_remote(name);
	}
	CHECK_EQ(cycle, cycles);
	CHECK(t_poll_until(bus, probed_now, 5000));
	CHECK_EQ(removes, (int)cycles);
	CHECK_EQ(dup_or_reorder, 0);
	CHECK_EQ(stale, 0);
	{
		struct vio_diag d;
		struct rpmsg_virtio_stats st;

		CHECK_EQ(vio_get_diag(link, &d), 0);
		CHECK_EQ(rpmsg_virtio_get_stats(link, &st), 0);
		CHECK_EQ(d.faults, 0);
		CHECK(d.downs >= cycles);
		printf("%u cycles, %u echoes, %d blocked senders (%d -EPIPE), downs %llu ups %llu, "
		       "rx_bad %llu\n", cycles, echoes, blocked_cycles, epipe,
		       (unsigned long long)d.downs, (unsigned long long)d.ups,
		       (unsigned long long)st.rx_bad);
	}
	rpmsg_bus_destroy(bus);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	rpmsg_posix_unlink(name);
	return t_done();
}
