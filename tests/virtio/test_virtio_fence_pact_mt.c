/*
 * The fence pact (rpmsg/platform.h, src/virtio/vring.h) between two processes, as it is
 * used: the device here, the driver in a forked child, over POSIX shared memory. Each side
 * sends to the other in stretches with pauses between. During a stretch each receiver
 * stays awake, posts its word after fence_pact_us, and the sender's publishes then skip
 * their full fence (stats.light_publishes); in a pause the receiver falls asleep and
 * revokes first (stats.pact_revokes), its membarrier reaching the other process. A side
 * that says never (fence_pact_us < 0), or whose platform has no pact (its ops without
 * pact_words and sleep_fence), neither posts nor reads: then nobody skips a fence towards
 * it or from it. Either way messages both ways arrive exactly once and in order, with no
 * sweeps to mend a lost wake-up: with EVENT_IDX no later message rings again, so one would
 * stall the stream and fail the test.
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

#define STRETCHES 30        /* at least */
#define MAX_STRETCHES 1000  /* at most: until each side has posted, revoked and gone light */
#define STRETCH_NS 10000000u /* messages sent back to back this long, then a pause */

/* What each process tells the other (and the device's process checks): MAP_SHARED. */
struct report {
	atomic_uint sent, next, bad; /* sent by this side; received (next expected) */
	atomic_int send_errors, ready, sent_all, done;
	atomic_ullong posts, revokes, light; /* this side's stats, as last looked at */
	atomic_bool fence_pact;
};

static struct report *rep; /* [0] the device, [1] the driver */
static int me;             /* 0 in the device's process, 1 in the driver's */
static bool want_pact;     /* this run expects the pact to work */
static struct rpmsg_bus *bus_of_me;
static struct rpmsg_link *link_of_me;
static struct rpmsg_endpoint *ept_of_me;

static int rx(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct report *r = &rep[me];
	uint32_t seq;

	(void)ept, (void)src, (void)priv;
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

/* Has each side revoked a post and published without a fence? How soon depends on the
 * scheduler (a receiver put off the CPU for 20 us falls asleep), so a loaded machine may
 * need more stretches. */
static bool pact_shown(void)
{
	for (int i = 0; i < 2; i++)
		if (!atomic_load(&rep[i].revokes) || !atomic_load(&rep[i].light))
			return false;
	return true;
}

static void *sender(void *arg)
{
	struct report *r = &rep[me];
	unsigned seed = me ? 11 : 7, stretch = 0;
	uint64_t until = t_now_ns() + STRETCH_NS;

	(void)arg;
	for (uint32_t i = 0; stretch < STRETCHES || (want_pact && stretch < MAX_STRETCHES &&
						     !pact_shown()); i++) {
		int ret;

		/* Mostly a busy sender; every third stretch one that sleeps when the ring is
		 * full (a sleeper of its side too: its wait revokes the side's post). */
		if (stretch % 3 == 2) {
			ret = rpmsg_send(ept_of_me, &i, sizeof(i));
		} else {
			while ((ret = rpmsg_trysend(ept_of_me, &i, sizeof(i))) == -EAGAIN || ret == -ENOMEM)
				sched_yield();
		}
		if (ret)
			atomic_fetch_add(&r->send_errors, 1);
		atomic_store(&r->sent, i + 1);
		if (t_now_ns() >= until) {
			publish_stats();
			seed = seed * 1103515245u + 12345u;
			usleep(200 + (seed >> 16) % 800); /* the receiver falls asleep */
			until = t_now_ns() + STRETCH_NS;
			stretch++;
		}
	}
	atomic_store(&r->sent_all, 1);
	return NULL;
}

/* Wait up to ms for *flag to be set; false on timeout. */
static bool wait_flag(atomic_int *flag, int ms)
{
	for (int i = 0; i < ms && !atomic_load(flag); i++)
		usleep(1000);
	return atomic_load(flag);
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
	if (rpmsg_bus_set_sweep(bus, 0, 0) || rpmsg_virtio_create(bus, plat, cfg, &link_of_me) ||
	    rpmsg_bus_start_thread(bus))
		return 2;
	for (int i = 0; i < 3000 && !rpmsg_link_is_up(link_of_me); i++)
		usleep(1000);
	if (rpmsg_create_ept(link_of_me, &ci, rx, NULL, &ept_of_me))
		return 3;
	atomic_store(&r->ready, 1);
	if (!wait_flag(&peer->ready, 5000))
		return 4;
	if (pthread_create(&t, NULL, sender, NULL))
		return 5;
	pthread_join(t, NULL);
	if (!wait_flag(&peer->sent_all, 10000))
		return 6;
	for (int i = 0; i < 5000 && atomic_load(&r->next) < atomic_load(&peer->sent); i++)
		usleep(1000);
	publish_stats();
	atomic_store(&r->done, 1);
	return wait_flag(&peer->done, 10000) ? 0 : 7;
}

static void show(const char *who, const struct report *r)
{
	printf("%s: sent %u, received %u (%u out of order); %llu posts, %llu revokes, %llu "
	       "publishes without a fence\n",
	       who, atomic_load(&r->sent), atomic_load(&r->next), atomic_load(&r->bad),
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

	want_pact = pact;
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
