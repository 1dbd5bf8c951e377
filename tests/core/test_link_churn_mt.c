/* Links come and go while other threads busy-poll their buses: the poll pass takes no lock
 * (bus.c, struct rpmsg_link_slot), so what keeps it out of a link being destroyed is the
 * slot. Each round makes a loopback pair, sends across it, and destroys it under the
 * pollers' feet; a standing link keeps echoing all along. Then a receive callback of one
 * link destroys another link of the same bus: with every link held by the pass, as before,
 * that could only deadlock. ASan and TSan check the rest. */
#include <sched.h>

#include "core_util.h"

#define ROUNDS 200
#define PER_ROUND 20

static struct pair p;
static atomic_int round_got, ignored;
static struct rpmsg_link *victim_a, *victim_b;
static atomic_int destroyed_in_cb;

static int echo_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)priv;
	rpmsg_trysendto(ept, data, len, src);
	return 0;
}

static int count_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept, (void)data, (void)len, (void)src;
	atomic_fetch_add((atomic_int *)priv, 1);
	return 0;
}

/* Runs inside bus a's poll pass, on the standing link: destroys the victim pair. */
static int destroyer_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept, (void)data, (void)len, (void)src, (void)priv;
	if (victim_a) {
		rpmsg_link_destroy(victim_a);
		rpmsg_link_destroy(victim_b);
		victim_a = victim_b = NULL;
		atomic_fetch_add(&destroyed_in_cb, 1);
	}
	return 0;
}

static bool wait_for(atomic_int *v, int want, int ms)
{
	long long end = now_ms() + ms;

	while (atomic_load(v) < want && now_ms() < end)
		sched_yield();
	return atomic_load(v) >= want;
}

int main(void)
{
	struct t_busy_poller pa, pb;
	struct rpmsg_endpoint *pinger, *ponger, *destroyer;
	struct rec pongs;
	int rounds_ok = 0, sends_ok = 0;

	t_timeout(120);
	memset(&pongs, 0, sizeof(pongs));
	pair_open(&p, NULL);
	ponger = mkept(p.lb, "", 3000, RPMSG_ADDR_ANY, echo_cb, NULL);
	pinger = mkept(p.la, "", 2000, 3000, rec_cb, &pongs);
	(void)ponger;
	t_busy_poller_start(&pa, p.a);
	t_busy_poller_start(&pb, p.b);

	for (int r = 0; r < ROUNDS; r++) {
		struct rpmsg_link *la, *lb;
		struct rpmsg_endpoint *src, *dst;

		atomic_store(&round_got, 0);
		if (rpmsg_loopback_create(p.a, p.b, NULL, &la, &lb))
			break;
		dst = mkept(lb, "", 100, RPMSG_ADDR_ANY, count_cb, &round_got);
		src = mkept(la, "", 200, 100, count_cb, &ignored);
		(void)dst;
		for (int i = 0; i < PER_ROUND; i++)
			sends_ok += rpmsg_send(src, "churn", 5) == 0;
		rpmsg_send(pinger, "ping", 4); /* the standing link works on */
		if (wait_for(&round_got, PER_ROUND, 5000))
			rounds_ok++;
		/* Odd rounds leave messages in flight at the teardown. */
		if (r & 1)
			for (int i = 0; i < PER_ROUND; i++)
				rpmsg_trysend(src, "late", 4);
		rpmsg_link_destroy(la);
		rpmsg_link_destroy(lb);
	}
	CHECK_EQ(sends_ok, ROUNDS * PER_ROUND);
	CHECK_EQ(rounds_ok, ROUNDS);
	CHECK(wait_for(&pongs.count, ROUNDS, 5000));
	CHECK_EQ(rpmsg_bus_links(p.a, NULL, 0), 1);
	CHECK_EQ(rpmsg_bus_links(p.b, NULL, 0), 1);

	/* A callback of the standing link destroys another link of its bus. */
	CHECK_EQ(rpmsg_loopback_create(p.a, p.b, NULL, &victim_a, &victim_b), 0);
	destroyer = mkept(p.la, "", 2001, RPMSG_ADDR_ANY, destroyer_cb, NULL);
	{
		struct rpmsg_endpoint *trigger = mkept(p.lb, "", 3001, 2001, count_cb, &ignored);

		CHECK_EQ(rpmsg_send(trigger, "go", 2), 0);
	}
	(void)destroyer;
	CHECK(wait_for(&destroyed_in_cb, 1, 10000));
	CHECK_EQ(rpmsg_bus_links(p.a, NULL, 0), 1);
	CHECK_EQ(rpmsg_bus_links(p.b, NULL, 0), 1);
	/* And the standing link still answers. */
	{
		int before = atomic_load(&pongs.count);

		CHECK_EQ(rpmsg_send(pinger, "ping", 4), 0);
		CHECK(wait_for(&pongs.count, before + 1, 5000));
	}

	t_busy_poller_stop(&pa);
	t_busy_poller_stop(&pb);
	pair_close(&p);
	return t_done();
}
