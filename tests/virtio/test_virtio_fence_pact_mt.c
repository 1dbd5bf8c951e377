/*
 * The fence pact (rpmsg/platform.h, src/virtio/vring.h) between two processes, as it is
 * used: the device here, the driver in a forked child, over POSIX shared memory. Both keep
 * one clock of stretches and pauses. In a stretch each side sends to the other and its
 * poller busy-polls: it posts its word after fence_pact_us, and the peer's publishes then
 * skip their full fence (stats.light_publishes). In a pause the poller sleeps: it revokes
 * first (stats.pact_revokes), its membarrier reaching the other process, and the peer's
 * next stretch must wake it. A side that says never (fence_pact_us < 0), or whose platform
 * has no pact (its ops without pact_words and sleep_fence), neither posts nor reads: then
 * nobody skips a fence towards it or from it. Either way messages both ways arrive exactly
 * once and in order, and no sleep outlasts a pause: sweeps are off, so a lost wake-up
 * would keep a poller asleep until its 3 s timeout (with EVENT_IDX no later message rings
 * again), which the test counts as a stall.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rpmsg/platform.h>
#include <rpmsg/rpmsg.h>
#include <rpmsg/virtio.h>

#include "testlib.h"

#define STRETCHES 9
#define STRETCH_NS 20000000u /* sending and busy polling (long: a loaded machine is slow) */
#define PAUSE_NS 2000000u    /* nobody sends; the pollers sleep */
#define PERIOD_NS (STRETCH_NS + PAUSE_NS)
#define END_LEN 1 /* the message after the last: its receiver stops polling */

/* What each process tells the other (and the device's process checks): MAP_SHARED. */
struct report {
	atomic_uint sent, next, bad; /* sent by this side; received (next expected) */
	atomic_int send_errors, ready, sent_all, done;
	atomic_uint stalls; /* sleeps in a pause that the peer's next stretch did not end */
	atomic_ullong posts, revokes, light; /* this side's stats, as last looked at */
	atomic_bool fence_pact;
	atomic_bool ended; /* the peer's END_LEN message came */
	_Atomic uint64_t t0; /* [0] only: when the first stretch starts, both processes' clock */
};

static struct report *rep; /* [0] the device, [1] the driver */
static int me;             /* 0 in the device's process, 1 in the driver's */
static struct rpmsg_bus *bus_of_me;
static struct rpmsg_link *link_of_me;
static struct rpmsg_endpoint *ept_of_me;

static int rx(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct report *r = &rep[me];
	uint32_t seq;

	(void)ept, (void)src, (void)priv;
	if (len == END_LEN) {
		atomic_store(&r->ended, true);
		return 0;
	}
	memcpy(&seq, data, sizeof(seq));
	if (len != sizeof(seq) || seq != atomic_load(&r->next))
		atomic_fetch_add(&r->bad, 1);
	atomic_fetch_add(&r->next, 1);
	return 0;
}

static void publish_stats(void)
{
	struct rpmsg_virtio_stats st;
	struct report *r = &rep[me];

	if (rpmsg_virtio_get_stats(link_of_me, &st))
		return;
	atomic_store(&r->posts, st.pact_posts);
	atomic_store(&r->revokes, st.pact_revokes);
	atomic_store(&r->light, st.light_publishes);
	atomic_store(&r->fence_pact, st.fence_pact);
}

static bool pact_shown(void)
{
	for (int i = 0; i < 2; i++)
		if (!atomic_load(&rep[i].revokes) || !atomic_load(&rep[i].light))
			return false;
	return true;
}

/* Where the shared clock is: stretch k (true) or the pause after it (false). */
static bool in_stretch(uint64_t now, unsigned *k)
{
	uint64_t t = now - atomic_load(&rep[0].t0);

	*k = (unsigned)(t / PERIOD_NS);
	return t % PERIOD_NS < STRETCH_NS;
}

static void sleep_until(uint64_t t)
{
	for (uint64_t now; (now = t_now_ns()) < t;)
		usleep((useconds_t)((t - now) / 1000 + 1));
}

static void *sender(void *arg)
{
	struct report *r = &rep[me];
	uint32_t i = 0;
	char end = 'e';

	(void)arg;
	for (unsigned k = 0; k < STRETCHES; k++) {
		uint64_t start = atomic_load(&rep[0].t0) + (uint64_t)k * PERIOD_NS;

		sleep_until(start);
		/* Mostly a busy sender; every third stretch one that sleeps when the ring is
		 * full (a sleeper of its side too: its wait holds off and revokes posts). */
		while (t_now_ns() < start + STRETCH_NS) {
			int ret;

			if (k % 3 == 2) {
				ret = rpmsg_send(ept_of_me, &i, sizeof(i));
			} else {
				while ((ret = rpmsg_trysend(ept_of_me, &i, sizeof(i))) == -EAGAIN ||
				       ret == -ENOMEM)
					sched_yield();
			}
			if (ret)
				atomic_fetch_add(&r->send_errors, 1);
			atomic_store(&r->sent, ++i);
		}
	}
	atomic_store(&r->sent_all, 1);
	if (rpmsg_send(ept_of_me, &end, END_LEN))
		atomic_fetch_add(&r->send_errors, 1);
	return NULL;
}

/* The side's poller: busy in stretches, asleep in pauses, until the peer's end message. */
static void poll_loop(struct rpmsg_bus *bus)
{
	struct report *r = &rep[me];
	unsigned k, idle = 0;

	while (!atomic_load(&r->ended)) {
		uint64_t now = t_now_ns();

		if (in_stretch(now, &k) || k >= STRETCHES) {
			/* Awake, but sharing the CPU: four threads spin on two here. */
			if (rpmsg_bus_poll(bus, 0) == 0 && !(++idle & 7))
				sched_yield();
			continue;
		}
		/* The pause: sleep until the peer's next stretch (or its end message) rings. */
		if (rpmsg_bus_poll(bus, 3000) == 0 && !atomic_load(&r->ended))
			atomic_fetch_add(&r->stalls, 1);
	}
}

/* Wait up to ms for *v to be set; false on timeout. */
static bool wait_u64(_Atomic uint64_t *v, int ms)
{
	for (int i = 0; i < ms && !atomic_load(v); i++)
		usleep(1000);
	return atomic_load(v) != 0;
}

/*
 * One side, in its own process: link up, stream both ways, then wait for everything the
 * peer sent. Returns 0, or which step failed (the driver's exit status).
 */
static int side(struct rpmsg_platform *plat, const struct rpmsg_virtio_config *cfg)
{
	struct rpmsg_channel_info ci = { .name = "pact", .src = me ? 1025u : 1024u,
					 .dst = me ? 1024u : 1025u };
	struct report *r = &rep[me], *peer = &rep[!me];
	struct rpmsg_bus *bus;
	pthread_t t;

	if (rpmsg_bus_create(&bus))
		return 1;
	bus_of_me = bus; /* destroyed by the caller */
	if (rpmsg_bus_set_sweep(bus, 0, 0) || rpmsg_virtio_create(bus, plat, cfg, &link_of_me))
		return 2;
	for (int i = 0; i < 3000 && !rpmsg_link_is_up(link_of_me); i++)
		rpmsg_bus_poll(bus, 1);
	if (rpmsg_create_ept(link_of_me, &ci, rx, NULL, &ept_of_me))
		return 3;
	atomic_store(&r->ready, 1);
	for (int i = 0; i < 5000 && !atomic_load(&peer->ready); i++)
		rpmsg_bus_poll(bus, 1); /* the device's bus brings the link up */
	if (!atomic_load(&peer->ready))
		return 4;
	if (!me)
		atomic_store(&rep[0].t0, t_now_ns() + 20000000u); /* both ready: start soon */
	else if (!wait_u64(&rep[0].t0, 5000))
		return 5;
	if (pthread_create(&t, NULL, sender, NULL))
		return 6;
	poll_loop(bus);
	pthread_join(t, NULL);
	publish_stats();
	atomic_store(&r->done, 1);
	/* Keep answering (buffers back to a sender that waits) until the peer is through. */
	for (int i = 0; i < 10000 && !atomic_load(&peer->done); i++)
		rpmsg_bus_poll(bus, 1);
	return atomic_load(&peer->done) ? 0 : 7;
}

static void show(const char *who, const struct report *r)
{
	printf("%s: sent %u, received %u (%u out of order), %u stalls; %llu posts, %llu revokes, "
	       "%llu publishes without a fence\n",
	       who, atomic_load(&r->sent), atomic_load(&r->next), atomic_load(&r->bad),
	       atomic_load(&r->stalls),
	       (unsigned long long)atomic_load(&r->posts),
	       (unsigned long long)atomic_load(&r->revokes),
	       (unsigned long long)atomic_load(&r->light));
}

/* A copy of a platform's ops without the pact: the side that has no membarrier. */
static struct rpmsg_platform_ops plain_ops;

/* drv_us: the driver's fence_pact_us (the device's is 50); drv_plain: its platform has no pact. */
static void run(uint32_t features, int drv_us, bool drv_plain, bool pact)
{
	struct rpmsg_virtio_config vcfg = { .role = RPMSG_VIRTIO_DEVICE, .vring_num = 16,
					    .features = features, .fence_pact_us = 50 };
	struct rpmsg_virtio_config dcfg = { .role = RPMSG_VIRTIO_DRIVER, .features = features,
					    .fence_pact_us = drv_us };
	struct rpmsg_platform *pv;
	char name[48];
	int status = -1, ret;
	pid_t pid;

	printf("-- %s; the driver's fence_pact_us %d, its platform %s the pact\n",
	       features & RPMSG_VIRTIO_F_EVENT_IDX ? "EVENT_IDX" : "flags", drv_us,
	       drv_plain ? "lacks" : "has");
	snprintf(name, sizeof(name), "t-pact-%d-%d%d", (int)getpid(), drv_us, drv_plain);
	rpmsg_posix_unlink(name);
	memset(rep, 0, 2 * sizeof(*rep));
	CHECK_EQ(rpmsg_posix_create(name, 1u << 20, &pv), 0);
	if (t_failures)
		return;
	pid = fork();
	if (pid == 0) {
		struct rpmsg_platform *pd;

		me = 1;
		if (rpmsg_posix_attach(name, &pd))
			_exit(20);
		if (drv_plain) {
			plain_ops = *pd->ops;
			plain_ops.pact_words = NULL;
			plain_ops.sleep_fence = NULL;
			pd->ops = &plain_ops;
		}
		ret = side(pd, &dcfg);
		rpmsg_bus_destroy(bus_of_me); /* the driver's link first: the device sees the reset */
		_exit(ret);
	}
	CHECK(pid > 0);
	me = 0;
	ret = side(pv, &vcfg);
	CHECK_EQ(ret, 0);
	if (ret) /* the driver may be waiting for us: stop it */
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	rpmsg_bus_destroy(bus_of_me);
	bus_of_me = NULL;
	link_of_me = NULL;
	rpmsg_posix_unlink(name);

	show("device", &rep[0]);
	show("driver", &rep[1]);
	CHECK_EQ(atomic_load(&rep[0].send_errors) + atomic_load(&rep[1].send_errors), 0);
	CHECK_EQ(atomic_load(&rep[0].next), atomic_load(&rep[1].sent));
	CHECK_EQ(atomic_load(&rep[1].next), atomic_load(&rep[0].sent));
	CHECK_EQ(atomic_load(&rep[0].bad) + atomic_load(&rep[1].bad), 0);
	CHECK_EQ(atomic_load(&rep[0].stalls) + atomic_load(&rep[1].stalls), 0);
	if (pact) {
		/* Each side stayed awake through stretches and slept in pauses. */
		CHECK(atomic_load(&rep[0].posts) > 0 && atomic_load(&rep[1].posts) > 0);
		CHECK(pact_shown());
	} else {
		/* Nobody posts to a side that does not read, nor does that side post. */
		CHECK_EQ(atomic_load(&rep[0].posts) + atomic_load(&rep[1].posts), 0);
		CHECK_EQ(atomic_load(&rep[0].revokes) + atomic_load(&rep[1].revokes), 0);
		CHECK_EQ(atomic_load(&rep[0].light) + atomic_load(&rep[1].light), 0);
		CHECK(!atomic_load(&rep[0].fence_pact) && !atomic_load(&rep[1].fence_pact));
	}
}

int main(void)
{
	bool membarrier = syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0) == 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	t_timeout(100);
	rep = mmap(NULL, 2 * sizeof(*rep), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (rep == MAP_FAILED)
		return 1;
	printf("membarrier %s here\n", membarrier ? "usable" : "not usable");
	run(RPMSG_VIRTIO_F_NS, 50, false, membarrier);
	run(RPMSG_VIRTIO_F_NS | RPMSG_VIRTIO_F_EVENT_IDX, 50, false, membarrier);
	run(RPMSG_VIRTIO_F_NS, -1, false, false);
	run(RPMSG_VIRTIO_F_NS | RPMSG_VIRTIO_F_EVENT_IDX, 50, true, false);
	return t_done();
}
