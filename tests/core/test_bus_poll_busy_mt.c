/* rpmsg_bus_poll keeps its timeout while another thread is inside the same link (running a
 * long callback with messages still queued behind it): it must not spin past the timeout
 * waiting for that thread. */
#include <pthread.h>

#include "core_util.h"

static struct pair p;
static atomic_bool entered, release;
static atomic_int calls;

static int slow_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	if (atomic_fetch_add(&calls, 1) == 0) {
		long long end = now_ms() + 20000;

		atomic_store(&entered, true);
		while (!atomic_load(&release) && now_ms() < end)
			sleep_ms(1);
	}
	return 0;
}

static void *poll_thread(void *arg)
{
	while (!atomic_load(&release))
		rpmsg_bus_poll(p.b, 100);
	return NULL;
}

static void *releaser(void *arg)
{
	sleep_ms(4000);
	atomic_store(&release, true);
	return NULL;
}

int main(void)
{
	struct rec r;
	struct rpmsg_endpoint *ea;
	pthread_t th, rel;
	long long t0, t1, t2;
	int r0, r1;

	t_timeout(60);
	memset(&r, 0, sizeof(r));
	pair_open(&p, NULL);
	ea = mkept(p.la, "", RPMSG_ADDR_ANY, 2000, rec_cb, &r);
	mkept(p.lb, "", 2000, RPMSG_ADDR_ANY, slow_cb, NULL);
	CHECK_EQ(rpmsg_send(ea, "1", 1), 0);
	CHECK_EQ(rpmsg_send(ea, "2", 1), 0);

	pthread_create(&th, NULL, poll_thread, NULL);
	while (!atomic_load(&entered))
		sleep_ms(1);
	pthread_create(&rel, NULL, releaser, NULL);

	/* The other thread holds the link; "2" is pending behind it. */
	t0 = now_ms();
	r0 = rpmsg_bus_poll(p.b, 0);
	t1 = now_ms();
	r1 = rpmsg_bus_poll(p.b, 50);
	t2 = now_ms();
	CHECK_EQ(r0, 0);
	CHECK(t1 - t0 < 1000);
	CHECK_EQ(r1, 0);
	CHECK(t2 - t1 < 3000); /* 50 ms asked; the other thread holds on for ~4 s */
	CHECK(!atomic_load(&release));
	CHECK_EQ(atomic_load(&calls), 1);

	pthread_join(rel, NULL);
	pthread_join(th, NULL);
	pump(&p);
	CHECK_EQ(atomic_load(&calls), 2);
	pair_close(&p);
	return t_done();
}
