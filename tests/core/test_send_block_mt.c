/* A blocking send on a full queue waits for the receiver (and then succeeds, in order), and
 * fails with -EPIPE when the peer link is torn down while it waits. */
#include <pthread.h>

#include "core_util.h"

#define DEPTH 2

static struct pair p;
static atomic_int received;
static atomic_uint bad;
static uint32_t expect;

static int seq_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	uint32_t v;

	memcpy(&v, data, sizeof(v));
	if (len != sizeof(v) || v != expect)
		atomic_fetch_add(&bad, 1);
	expect = v + 1;
	atomic_fetch_add(&received, 1);
	return 0;
}

/* Poll bus b slowly until `target` messages arrived. */
static void *slow_receiver(void *arg)
{
	int target = *(int *)arg;
	long long end = now_ms() + 20000;

	while (atomic_load(&received) < target && now_ms() < end) {
		sleep_ms(5);
		rpmsg_bus_poll(p.b, 0);
	}
	return NULL;
}

static void *destroyer(void *arg)
{
	sleep_ms(100);
	rpmsg_link_destroy(p.lb);
	return NULL;
}

int main(void)
{
	struct rpmsg_loopback_config cfg = { .mtu = 0, .depth = DEPTH, .name_service = true };
	struct rpmsg_endpoint *ea;
	pthread_t th;
	int target = 200;
	uint32_t seq;

	t_timeout(60);
	pair_open(&p, &cfg);
	ea = mkept(p.la, "", RPMSG_ADDR_ANY, 2000, seq_cb, NULL);
	mkept(p.lb, "", 2000, RPMSG_ADDR_ANY, seq_cb, NULL);

	/* Blocking sends always succeed while a (slow) receiver drains. */
	pthread_create(&th, NULL, slow_receiver, &target);
	for (seq = 0; seq < (uint32_t)target; seq++)
		CHECK_EQ(rpmsg_send(ea, &seq, sizeof(seq)), 0);
	pthread_join(th, NULL);
	CHECK_EQ(atomic_load(&received), target);
	CHECK_EQ(atomic_load(&bad), 0);

	/* Fill the queue, then block: the peer goes away while we wait. */
	CHECK_EQ(rpmsg_trysend(ea, &seq, sizeof(seq)), 0);
	CHECK_EQ(rpmsg_trysend(ea, &seq, sizeof(seq)), 0);
	CHECK_EQ(rpmsg_trysend(ea, &seq, sizeof(seq)), -EAGAIN);
	pthread_create(&th, NULL, destroyer, NULL);
	CHECK_EQ(rpmsg_send(ea, &seq, sizeof(seq)), -EPIPE);
	pthread_join(th, NULL);
	CHECK(!rpmsg_link_is_up(p.la));
	CHECK_EQ(rpmsg_trysend(ea, &seq, sizeof(seq)), -EPIPE);
	CHECK_EQ(rpmsg_send_timeout(ea, 1024, 2000, &seq, sizeof(seq), -1), -EPIPE);

	pair_close(&p);
	return t_done();
}
