/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The forked echo remote and the main CPU's side of the GLINK restart tests, shared by the
 * SMEM flavour (test_glink_restart_mt.c) and the RPM flavour (test_glink_rpm_restart_mt.c).
 * The including file defines SMALL, BIG and REMOTE_CONFIG (the remote's struct
 * rpmsg_glink_config initializer, which may name echo_names), and includes the headers
 * these use. restart_cycles() and restart_teardown() are the main CPU's whole run
 * after its link is up, the same for both flavours.
 */
#ifndef GLINK_RESTART_ECHO_H
#define GLINK_RESTART_ECHO_H

struct echo_msg {
	uint32_t seq;
	uint32_t cycle;
	uint32_t rbad;  /* the remote's rx_bad when it echoed */
	uint8_t cmd;    /* 'E' echo, 'F' freeze (stop polling) */
	uint8_t pad[3];
};

static const char *const echo_names[] = { "echo", NULL };
static const char *const remote_names[] = { "echo", "echo-app", NULL };

static volatile int frozen;
static struct rpmsg_link *rlink;

static int remote_rx(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	uint8_t buf[BIG];
	struct echo_msg m;
	struct rpmsg_glink_stats st;

	(void)src; (void)priv;
	if (frozen || len < sizeof(m) || len > sizeof(buf))
		return 0;
	memcpy(buf, data, len);
	memcpy(&m, buf, sizeof(m));
	if (m.cmd == 'F') {
		frozen = 1;
		return 0;
	}
	rpmsg_glink_get_stats(rlink, &st);
	m.rbad = (uint32_t)st.rx_bad;
	memcpy(buf, &m, sizeof(m));
	rpmsg_send(ept, buf, len);
	return 0;
}

static int remote(const char *name)
{
	struct rpmsg_glink_config cfg = REMOTE_CONFIG;
	struct rpmsg_driver drv = { .name = "echo-server", .id_table = remote_names,
				    .callback = remote_rx };
	struct rpmsg_platform *plat;
	struct rpmsg_bus *bus;

	if (rpmsg_posix_attach(name, &plat) || rpmsg_bus_create(&bus) ||
	    rpmsg_register_driver(bus, &drv) || rpmsg_glink_create(bus, plat, &cfg, &rlink))
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

static int probes, removes, probe_unordered;
static struct rpmsg_channel *chan;
static uint32_t last_seq, echoes, dup_or_reorder, stale, remote_bad;
static uint32_t cycle;

static int echo_rx(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct echo_msg m;

	(void)ept; (void)src; (void)priv;
	if (len < sizeof(m))
		return 0;
	memcpy(&m, data, sizeof(m));
	if (m.seq <= last_seq)
		dup_or_reorder++;
	/* This cycle's remote; the last one's only until this one's channel is up. */
	if (m.cycle != cycle && (m.cycle + 1 != cycle || probes == (int)cycle + 1))
		stale++;
	remote_bad += m.rbad;
	last_seq = m.seq;
	echoes++;
	return 0;
}

static int on_probe(struct rpmsg_channel *ch)
{
	if (chan || probes != removes)
		probe_unordered++; /* the old remote's channel must be gone first */
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

static const struct rpmsg_driver drv = { .name = "echo-client", .id_table = echo_names,
					 .probe = on_probe, .remove = on_remove, .callback = echo_rx };

static _Atomic uint32_t next_seq = 1;

static int send_echo(struct rpmsg_endpoint *ept, char cmd, uint32_t len, int timeout_ms)
{
	uint8_t buf[BIG];
	struct echo_msg m = { .seq = next_seq, .cycle = cycle, .cmd = (uint8_t)cmd };
	int r;

	memset(buf, (int)m.seq, len);
	memcpy(buf, &m, sizeof(m));
	r = rpmsg_send_timeout(ept, rpmsg_ept_addr(ept), 0, buf, len, timeout_ms);
	if (!r && cmd == 'E')
		next_seq++;
	return r;
}

struct blocked {
	struct rpmsg_endpoint *ept;
	uint32_t len;
	_Atomic int sent, done;
	int ret;
};

/* Send to the frozen remote until a send blocks, and return what ends it. */
static void *blocked_sender(void *arg)
{
	struct blocked *b = arg;

	for (;;) {
		int r = send_echo(b->ept, 'E', b->len, 20000);

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

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A frozen remote: fill its FIFO or use up its intents until a sender blocks, then restart. */
static pid_t freeze_and_restart(struct rpmsg_bus *bus, struct rpmsg_link *link,
				struct rpmsg_endpoint *ce, struct rpmsg_endpoint *app, pid_t pid,
				const char *name, bool fifo, int *epipe)
{
	struct blocked b = { .ept = app, .len = fifo ? BIG : SMALL };
	struct rpmsg_glink_stats st0, st;
	pthread_t t;
	int status;

	rpmsg_glink_get_stats(link, &st0);
	CHECK_EQ(send_echo(ce, 'F', SMALL, 1000), 0);
	CHECK_EQ(pthread_create(&t, NULL, blocked_sender, &b), 0);
	for (int i = 0; i < 5000 && !b.done; i++) {
		rpmsg_glink_get_stats(link, &st);
		/* Full FIFO: a READ_NOTIF went out. No intent: a request went unanswered. */
		if (st.tx_waits > st0.tx_waits &&
		    (fifo ? st.read_notifs > st0.read_notifs : st.intent_reqs > st0.intent_reqs))
			break;
		usleep(1000);
	}
	usleep(20000);
	CHECK(!b.done); /* really blocked */
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status));
	pid = start_remote(name);
	/* The new remote announces itself; the poller ends the old session and the send. */
	for (int i = 0; i < 2000 && !b.done; i++)
		rpmsg_bus_poll(bus, 5);
	pthread_join(t, NULL);
	CHECK_EQ(b.ret, -EPIPE);
	*epipe += b.ret == -EPIPE;
	return pid;
}

/* ---- the main CPU's run: the cycle loop and the checks both flavours make after it ---- */

/* What a run counted, for the test's report. */
struct restart_counts {
	int blocked_cycles; /* freeze cycles: a sender blocked until the restart */
	int epipe;          /* ... and got -EPIPE from it */
	int app_epipe;      /* the dead remote's application endpoint failed with -EPIPE */
};

/* The last remote's application endpoint must have died with it: -EPIPE, then gone. */
static void app_died(struct rpmsg_endpoint **app, struct restart_counts *n)
{
	if (*app) {
		int r = send_echo(*app, 'E', SMALL, 1000);

		CHECK_EQ(r, -EPIPE);
		n->app_epipe += r == -EPIPE;
		rpmsg_destroy_ept(*app);
		*app = NULL;
	}
}

/*
 * `cycles` remotes, the first already started (pid), on `link` (polled on `bus`): each
 * cycle the new remote's "echo" is bound, "echo-app" opened, 8 echoes go round, then the
 * remote is killed (a few messages in flight) or, every tenth cycle, frozen until a sender
 * blocks and then restarted. Intentless (RPM), a freeze always fills the FIFO; over SMEM it
 * alternates a full FIFO and an intent never granted. Then the last remote must work too,
 * and the counts and the link's stats (*st) must add up. Returns the last remote's pid.
 */
static pid_t restart_cycles(struct rpmsg_bus *bus, struct rpmsg_link *link, const char *name,
			    pid_t pid, uint32_t cycles, bool intentless, struct restart_counts *n,
			    struct rpmsg_glink_stats *st)
{
	struct rpmsg_channel_info app_info = { .name = "echo-app", .src = RPMSG_ADDR_ANY,
					       .dst = RPMSG_ADDR_ANY };
	struct rpmsg_endpoint *app = NULL;

	for (cycle = 0; cycle < cycles && !t_failures; cycle++) {
		struct rpmsg_endpoint *ce;
		int status;

		/* The remote of this cycle opened "echo" and our driver bound it. */
		CHECK(t_poll_until(bus, probed_now, 10000));
		if (!chan)
			break;
		CHECK_EQ(removes, (int)cycle);
		CHECK(rpmsg_link_is_up(link));
		ce = rpmsg_channel_ept(chan);
		app_died(&app, n);
		CHECK_EQ(rpmsg_create_ept(link, &app_info, echo_rx, NULL, &app), 0);
		if (!app)
			break;
		/* Messages round the remote on both channels. */
		want_echoes = echoes + 8;
		for (int i = 0; i < 8; i++)
			CHECK_EQ(send_echo(i & 1 ? app : ce, 'E', SMALL, 5000), 0);
		CHECK(t_poll_until(bus, echoes_in, 5000));
		CHECK_EQ(echoes, want_echoes);

		if (cycle % 10 == 9) {
			pid = freeze_and_restart(bus, link, ce, app, pid, name,
						 intentless || cycle % 20 == 9, &n->epipe);
			n->blocked_cycles++;
			continue;
		}
		/* A few left in flight (some echoed, some not), then the crash. */
		for (int i = 0; i < 3; i++)
			send_echo(i & 1 ? app : ce, 'E', SMALL, 0);
		rpmsg_bus_poll(bus, 0);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		CHECK(WIFSIGNALED(status)); /* not an early exit: it ran until killed */
		pid = start_remote(name);
	}
	CHECK_EQ(cycle, cycles);
	/* The last remote works too; the application channel died with the one before. */
	CHECK(t_poll_until(bus, probed_now, 10000));
	app_died(&app, n);
	if (chan) {
		want_echoes = echoes + 4;
		for (int i = 0; i < 4; i++)
			CHECK_EQ(send_echo(rpmsg_channel_ept(chan), 'E', SMALL, 5000), 0);
		CHECK(t_poll_until(bus, echoes_in, 5000));
	}
	CHECK_EQ(removes, (int)cycles);
	CHECK_EQ(probes, (int)cycles + 1);
	CHECK_EQ(probe_unordered, 0);
	CHECK_EQ(dup_or_reorder, 0);
	CHECK_EQ(stale, 0);
	CHECK_EQ(remote_bad, 0);
	CHECK_EQ(rpmsg_glink_get_stats(link, st), 0);
	CHECK_EQ(st->restarts, cycles);
	CHECK_EQ(st->rx_bad, 0);
	CHECK(!st->rx_broken);
	return pid;
}

/* The end of a run: the main CPU and the last remote go; nothing may be left behind (the
 * memory and the doorbells' directory). */
static void restart_teardown(struct rpmsg_bus *bus, pid_t pid, const char *name)
{
	const char *dir = getenv("RPMSG_RUNTIME_DIR");
	char path[320];

	rpmsg_bus_destroy(bus);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	rpmsg_posix_unlink(name);
	snprintf(path, sizeof(path), "/dev/shm/rpmsg-%s", name);
	CHECK(access(path, F_OK) != 0);
	snprintf(path, sizeof(path), "%s/rpmsg-%s.bells", dir && *dir ? dir : "/tmp", name);
	CHECK(access(path, F_OK) != 0);
}

#endif
