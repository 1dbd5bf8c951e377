/* Tearing a link down while everything runs: helper threads poll both buses, senders send in
 * both directions, announced channels come and go (name-service traffic probing and removing
 * a driver on the other bus). The peer's sender then fails with -EPIPE and stops; nothing
 * crashes, races or leaks. Repeated a few times, ending once with whole-bus destruction. */
#include <pthread.h>

#include "core_util.h"

TDRV(cli)
TDRV(srv)

static struct pair p;
static struct rpmsg_endpoint *ea, *eb;
static atomic_bool stop_a, stop_b;
static atomic_int ret_a, ret_b, churns;
static atomic_int got_a, got_b;

static int count_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	atomic_fetch_add((atomic_int *)priv, 1);
	return 0;
}

static void *sender_a(void *arg)
{
	int ret = 0;

	while (!atomic_load(&stop_a) && !ret)
		ret = rpmsg_send(ea, "a", 1);
	atomic_store(&ret_a, ret);
	return NULL;
}

static void *sender_b(void *arg)
{
	int ret = 0;

	while (!ret)
		ret = rpmsg_send(eb, "b", 1);
	atomic_store(&ret_b, ret);
	return NULL;
}

static void *churn_a(void *arg)
{
	struct rpmsg_channel_info ci = chinfo("svc", 1500, RPMSG_ADDR_ANY);

	while (!atomic_load(&stop_a)) {
		if (rpmsg_create_channel(p.la, &ci, NULL) == 0)
			rpmsg_release_channel(p.la, &ci);
		atomic_fetch_add(&churns, 1);
	}
	return NULL;
}

/* b announces too: a's poller may be adding channels while a's link goes away. */
static void *churn_b(void *arg)
{
	struct rpmsg_channel_info ci = chinfo("svc2", 1600, RPMSG_ADDR_ANY);

	while (!atomic_load(&stop_b)) {
		if (rpmsg_create_channel(p.lb, &ci, NULL) == 0)
			rpmsg_release_channel(p.lb, &ci);
		atomic_fetch_add(&churns, 1);
	}
	return NULL;
}

static void round_(int i)
{
	pthread_t t1, t2, t3, t4;

	atomic_store(&stop_a, false);
	atomic_store(&stop_b, false);
	atomic_store(&ret_a, 1);
	atomic_store(&ret_b, 1);
	pair_open(&p, NULL);
	TDRV_INIT(cli, true, "svc", "svc2");
	TDRV_INIT(srv, true, "svc", "svc2");
	CHECK_EQ(rpmsg_register_driver(p.a, &srv.drv), 0);
	CHECK_EQ(rpmsg_register_driver(p.b, &cli.drv), 0);
	ea = mkept(p.la, "", 3000, 2000, count_cb, &got_a);
	eb = mkept(p.lb, "", 2000, 3000, count_cb, &got_b);
	CHECK_EQ(rpmsg_bus_start_thread(p.a), 0);
	CHECK_EQ(rpmsg_bus_start_thread(p.b), 0);
	pthread_create(&t1, NULL, sender_a, NULL);
	pthread_create(&t2, NULL, sender_b, NULL);
	pthread_create(&t3, NULL, churn_a, NULL);
	pthread_create(&t4, NULL, churn_b, NULL);
	sleep_ms(200);

	/* a's own users stop first (their endpoint and link are about to go), b keeps sending. */
	atomic_store(&stop_a, true);
	pthread_join(t1, NULL);
	pthread_join(t3, NULL);
	CHECK_EQ(atomic_load(&ret_a), 0);
	if (i % 2 == 0) {
		rpmsg_link_destroy(p.la);
		p.la = NULL;
		CHECK_EQ(rpmsg_bus_links(p.a, NULL, 0), 0);
	} else {
		rpmsg_bus_destroy(p.a);
		p.a = NULL;
	}
	pthread_join(t2, NULL);
	atomic_store(&stop_b, true);
	pthread_join(t4, NULL);
	CHECK_EQ(atomic_load(&ret_b), -EPIPE);
	CHECK(!rpmsg_link_is_up(p.lb));
	/* Every probe on either side is matched by a remove once all is gone. */
	pair_close(&p);
	CHECK_EQ(atomic_load(&srv.probes), atomic_load(&srv.removes));
	CHECK_EQ(atomic_load(&cli.probes), atomic_load(&cli.removes));
}

int main(void)
{
	t_timeout(90);
	for (int i = 0; i < 6; i++)
		round_(i);
	CHECK(atomic_load(&got_a) > 0);
	CHECK(atomic_load(&got_b) > 0);
	CHECK(atomic_load(&churns) > 0);
	printf("%d churns, %d/%d messages\n", atomic_load(&churns), atomic_load(&got_a),
	       atomic_load(&got_b));
	return t_done();
}
