/* A driver's probe (and remove) may send, blocking, as Linux's rpmsg_client_sample does in
 * probe, while the buses are busy: bus a floods an echo server on bus b whose callback
 * answers with a blocking send, and a channel is created/released over and over on a with
 * a driver that sends from probe and remove. Probe runs with the bus lock held; the bus's
 * own poller must not need that lock to keep draining, or the two queues fill up and every
 * thread waits for another (until the 15 s send timeout). */
#include <pthread.h>

#include "core_util.h"

#define ROUNDS 300
#define FLOOD 6000

static struct pair p;
static atomic_int failures, echoes, probes, removes;

static int echo_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	if (rpmsg_sendto(ept, data, len, src))
		atomic_fetch_add(&failures, 1);
	return 0;
}

/* Echoes of the flood (to its endpoint); those to a channel may arrive after its release. */
static int count_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	atomic_fetch_add(&echoes, 1);
	return 0;
}

static int ignore_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	return 0;
}

static int hello_probe(struct rpmsg_channel *ch)
{
	atomic_fetch_add(&probes, 1);
	if (rpmsg_send(rpmsg_channel_ept(ch), "hello", 5))
		atomic_fetch_add(&failures, 1);
	return 0;
}

static void bye_remove(struct rpmsg_channel *ch)
{
	atomic_fetch_add(&removes, 1);
	if (rpmsg_send(rpmsg_channel_ept(ch), "bye", 3))
		atomic_fetch_add(&failures, 1);
}

static void *flood(void *arg)
{
	for (int i = 0; i < FLOOD; i++)
		if (rpmsg_send(arg, &i, sizeof(i)))
			atomic_fetch_add(&failures, 1);
	return NULL;
}

int main(void)
{
	static const char *const ids[] = { "hello", NULL };
	struct rpmsg_driver drv = { .name = "hello", .id_table = ids, .probe = hello_probe,
				    .remove = bye_remove, .callback = ignore_cb };
	struct rpmsg_loopback_config cfg = { .mtu = 0, .depth = 2, .name_service = false };
	struct rpmsg_channel_info ci = chinfo("hello", RPMSG_ADDR_ANY, 2000);
	struct rpmsg_endpoint *ea;
	pthread_t th;
	long long t0;

	t_timeout(90);
	pair_open(&p, &cfg);
	CHECK_EQ(rpmsg_register_driver(p.a, &drv), 0);
	ea = mkept(p.la, "", RPMSG_ADDR_ANY, 2000, count_cb, NULL);
	mkept(p.lb, "", 2000, RPMSG_ADDR_ANY, echo_cb, NULL);
	CHECK_EQ(rpmsg_bus_start_thread(p.a), 0);
	CHECK_EQ(rpmsg_bus_start_thread(p.b), 0);

	t0 = now_ms();
	pthread_create(&th, NULL, flood, ea);
	for (int i = 0; i < ROUNDS; i++) {
		if (rpmsg_create_channel(p.la, &ci, NULL) || rpmsg_release_channel(p.la, &ci))
			atomic_fetch_add(&failures, 1);
	}
	pthread_join(th, NULL);
	CHECK(now_ms() - t0 < 10000);
	CHECK_EQ(atomic_load(&failures), 0);
	CHECK_EQ(atomic_load(&probes), ROUNDS);
	CHECK_EQ(atomic_load(&removes), ROUNDS);
	t0 = now_ms();
	while (atomic_load(&echoes) < FLOOD && now_ms() - t0 < 10000)
		sleep_ms(5);
	CHECK_EQ(atomic_load(&echoes), FLOOD);

	pair_close(&p);
	return t_done();
}
