/*
 * Lost doorbells and the bus's sweeps (rpmsg_bus_set_sweep), on every transport:
 *
 * - during link set-up: the first notifies of each side (the handshake's: GLINK's VERSION
 *   and OPEN, SMD's state changes, virtio's status and name service, SCP's announcement)
 *   are dropped, and nothing but the two bus threads runs. The channel must still come up
 *   on both sides and carry a message each way, within a bounded time;
 * - on an idle link: the one doorbell of a message is lost, nothing else happens; the
 *   message must still arrive;
 * - the remote's channel is created at once, before the main CPU is up: its announcement
 *   must wait for the link (virtio), not be lost;
 * - without sweeps the same set-up may stall (virtio and SCP do here), and
 *   turning them on then brings it up.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <rpmsg/glink.h>
#include <rpmsg/scp.h>
#include <rpmsg/smd.h>
#include <rpmsg/virtio.h>

#include "faultplat.h"
#include "testlib.h"

#define CHANNEL "setup"
#define DEADLINE_MS 5000

static const char *const names[] = { CHANNEL, NULL };

/* One side: its channel (set by probe), what it got. */
struct side {
	struct rpmsg_bus *bus;
	struct faultplat *fp;
	_Atomic(struct rpmsg_channel *) ch;
	atomic_int got;
};

static struct side sides[2]; /* 0: remote (creates the memory), 1: main CPU */

static int probe(struct rpmsg_channel *ch, struct side *s)
{
	atomic_store(&s->ch, ch);
	return 0;
}
static int probe0(struct rpmsg_channel *ch) { return probe(ch, &sides[0]); }
static int probe1(struct rpmsg_channel *ch) { return probe(ch, &sides[1]); }

static int rx(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct side *s = priv;

	(void)ept; (void)src;
	if (len == 5 && !memcmp(data, "hello", 5))
		atomic_fetch_add(&s->got, 1);
	return 0;
}

static const struct rpmsg_driver drv[2] = {
	{ .name = "r", .id_table = names, .probe = probe0, .callback = rx, .priv = &sides[0] },
	{ .name = "m", .id_table = names, .probe = probe1, .callback = rx, .priv = &sides[1] },
};

/* A transport: how each side's link is made (side 0 first: it lays the memory out). */
struct transport {
	const char *name;
	size_t shm_size;
	int (*create)(int side, struct rpmsg_bus *bus, struct rpmsg_platform *plat,
		      struct rpmsg_link **out);
};

static int glink_create(int side, struct rpmsg_bus *bus, struct rpmsg_platform *plat,
			struct rpmsg_link **out, enum rpmsg_glink_flavour flavour)
{
	struct rpmsg_glink_config cfg = { .role = side ? RPMSG_GLINK_MAIN : RPMSG_GLINK_REMOTE,
					  .flavour = flavour, .format_smem = !side,
					  .channels = side ? NULL : names };

	return rpmsg_glink_create(bus, plat, &cfg, out);
}
static int glink_smem(int side, struct rpmsg_bus *bus, struct rpmsg_platform *plat,
		      struct rpmsg_link **out)
{
	return glink_create(side, bus, plat, out, RPMSG_GLINK_SMEM);
}
static int glink_rpm(int side, struct rpmsg_bus *bus, struct rpmsg_platform *plat,
		     struct rpmsg_link **out)
{
	return glink_create(side, bus, plat, out, RPMSG_GLINK_RPM);
}

static int smd(int side, struct rpmsg_bus *bus, struct rpmsg_platform *plat,
	       struct rpmsg_link **out)
{
	struct rpmsg_smd_config cfg = { .role = side ? RPMSG_SMD_MAIN : RPMSG_SMD_REMOTE,
					.format_smem = !side, .channels = side ? NULL : names };

	return rpmsg_smd_create(bus, plat, &cfg, out);
}

/*
 * The remote's channel is a local service, created at once (before the main CPU is up) and
 * announced once its driver binds and the link is up. src: an address (virtio), or an IPI
 * id (SCP).
 */
static int announce(struct rpmsg_link *link, uint32_t src)
{
	struct rpmsg_channel_info ci = { .name = CHANNEL, .src = src, .dst = RPMSG_ADDR_ANY };

	return rpmsg_create_channel(link, &ci, NULL);
}

static int virtio(int side, struct rpmsg_bus *bus, struct rpmsg_platform *plat,
		  struct rpmsg_link **out)
{
	struct rpmsg_virtio_config cfg = { .role = side ? RPMSG_VIRTIO_DRIVER : RPMSG_VIRTIO_DEVICE,
					   .vring_num = 32 };
	int ret = rpmsg_virtio_create(bus, plat, &cfg, out);

	return ret || side ? ret : announce(*out, 1024);
}

static int scp(int side, struct rpmsg_bus *bus, struct rpmsg_platform *plat,
	       struct rpmsg_link **out)
{
	struct rpmsg_scp_config cfg = { .role = side ? RPMSG_SCP_HOST : RPMSG_SCP_REMOTE };
	int ret = rpmsg_scp_create(bus, plat, &cfg, out);

	return ret || side ? ret : announce(*out, 10);
}

static const struct transport transports[] = {
	{ "glink-smem", 1u << 20, glink_smem },
	{ "glink-rpm", 16384, glink_rpm },
	{ "smd", 1u << 20, smd },
	{ "virtio", 1u << 20, virtio },
	{ "scp", 64 * 1024, scp },
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool wait_until(bool (*cond)(void), uint64_t deadline)
{
	while (!cond() && now_ms() < deadline)
		usleep(1000);
	return cond();
}

static bool both_bound(void)
{
	return atomic_load(&sides[0].ch) && atomic_load(&sides[1].ch);
}

static bool remote_got(void)
{
	return atomic_load(&sides[0].got) == 1;
}

static bool both_got(void)
{
	return atomic_load(&sides[0].got) == 1 && atomic_load(&sides[1].got) == 1;
}

static bool remote_got_two(void)
{
	return atomic_load(&sides[0].got) == 2;
}

/*
 * Set a link up with the first `plan` notifies of each side lost; then one message each
 * way; then, the link idle, one more from the main CPU whose doorbell is lost.
 * sweeps == false: the buses start without sweeps, the set-up must stall, and turning
 * sweeps on must then bring it up.
 */
static void run(const struct transport *t, const char *plan, bool sweeps)
{
	struct rpmsg_platform *plat[2];
	struct rpmsg_link *link[2] = { NULL, NULL };
	struct faultplat_stats st[2];
	char name[48];
	uint64_t t0, deadline;
	bool stalled = false;
	int fails = t_failures;

	snprintf(name, sizeof(name), "t-setupfault-%d", (int)getpid());
	rpmsg_posix_unlink(name);
	CHECK_EQ(rpmsg_posix_create(name, t->shm_size, &plat[0]), 0);
	CHECK_EQ(rpmsg_posix_attach(name, &plat[1]), 0);
	if (t_failures != fails)
		return;
	t0 = now_ms();
	for (int i = 0; i < 2; i++) {
		sides[i] = (struct side){ 0 };
		CHECK_EQ(faultplat_wrap(plat[i], 7 + (uint64_t)i, &sides[i].fp), 0);
		faultplat_script(sides[i].fp, plan);
		CHECK_EQ(rpmsg_bus_create(&sides[i].bus), 0);
		if (!sweeps)
			CHECK_EQ(rpmsg_bus_set_sweep(sides[i].bus, 0, 0), 0);
		CHECK_EQ(rpmsg_register_driver(sides[i].bus, &drv[i]), 0);
	}
	/*
	 * As at boot: the remote starts first and waits, asleep in its bus thread; the main
	 * CPU comes later. Each link is made before a thread polls its bus (rpmsg.h). What
	 * each side then rings the other during the handshake is lost (the plan), while the
	 * other side sleeps.
	 */
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(t->create(i, sides[i].bus, faultplat_platform(sides[i].fp), &link[i]), 0);
		CHECK_EQ(rpmsg_bus_start_thread(sides[i].bus), 0);
		if (i == 0)
			usleep(50000);
	}
	if (!sweeps) {
		/* Nothing rings again: most transports stall here (SMD's open handshake retries
		 * by itself). Then sweeps, and a wake to take them up. */
		stalled = !wait_until(both_bound, now_ms() + 300);
		for (int i = 0; i < 2; i++) {
			CHECK_EQ(rpmsg_bus_set_sweep(sides[i].bus, 10, 1000), 0);
			rpmsg_bus_wake(sides[i].bus);
		}
		t0 = now_ms();
	}
	deadline = t0 + DEADLINE_MS;
	CHECK(wait_until(both_bound, deadline));
	if (both_bound()) {
		/* the main CPU first: a virtio service learns its peer's address from it */
		CHECK_EQ(rpmsg_send(rpmsg_channel_ept(atomic_load(&sides[1].ch)), "hello", 5), 0);
		CHECK(wait_until(remote_got, deadline));
		CHECK_EQ(rpmsg_send(rpmsg_channel_ept(atomic_load(&sides[0].ch)), "hello", 5), 0);
		CHECK(wait_until(both_got, deadline));
		/* idle a while (the sweeps back off), then a message whose doorbell is lost */
		usleep(100000);
		faultplat_script(sides[1].fp, "x");
		CHECK_EQ(rpmsg_send(rpmsg_channel_ept(atomic_load(&sides[1].ch)), "hello", 5), 0);
		CHECK(wait_until(remote_got_two, now_ms() + 2500));
	}
	for (int i = 0; i < 2; i++)
		faultplat_get_stats(sides[i].fp, &st[i]);
	printf("%-10s plan %-8s%s: %s in %llu ms (notifies dropped: %llu and %llu)\n", t->name,
	       plan, sweeps ? "" : stalled ? " (stalled until sweeps)" : " (up before sweeps)",
	       remote_got_two() ? "up, both messages through" : "NOT UP",
	       (unsigned long long)(now_ms() - t0), (unsigned long long)st[0].dropped,
	       (unsigned long long)st[1].dropped);
	for (int i = 1; i >= 0; i--) {
		rpmsg_bus_stop_thread(sides[i].bus);
		rpmsg_bus_destroy(sides[i].bus); /* the link destroyed the wrapped platform */
		faultplat_free(sides[i].fp);
	}
	rpmsg_posix_unlink(name);
}

int main(void)
{
	static const char *const plans[] = { "", "x", "xxxx", "xxxxxxxx" };

	struct rpmsg_bus *bus;

	CHECK_EQ(rpmsg_bus_create(&bus), 0);
	CHECK_EQ(rpmsg_bus_set_sweep(bus, -1, 10), -EINVAL);
	CHECK_EQ(rpmsg_bus_set_sweep(bus, 20, 10), -EINVAL);
	CHECK_EQ(rpmsg_bus_set_sweep(bus, 0, 10), -EINVAL);
	CHECK_EQ(rpmsg_bus_set_sweep(NULL, 10, 10), -EINVAL);
	CHECK_EQ(rpmsg_bus_set_sweep(bus, 5, 5), 0);
	CHECK_EQ(rpmsg_bus_set_sweep(bus, 0, 0), 0);
	rpmsg_bus_destroy(bus);

	for (unsigned t = 0; t < sizeof(transports) / sizeof(transports[0]); t++) {
		for (unsigned p = 0; p < sizeof(plans) / sizeof(plans[0]); p++)
			run(&transports[t], plans[p], true);
		run(&transports[t], "xx", false);
	}
	return t_done();
}
