/* A thread blocked in rpmsg_bus_poll(-1) is woken by rpmsg_bus_wake (returns 0) and by a
 * message (returns 1); a wake that comes just before the poll is not lost. */
#include <pthread.h>

#include "core_util.h"

static struct pair p;
static struct rpmsg_endpoint *ea;
static atomic_int phase;
static atomic_int send_ret = -999; /* checked by the main thread: CHECK is not thread-safe */

static void *waker(void *arg)
{
	sleep_ms(100);
	atomic_store(&phase, 1);
	rpmsg_bus_wake(p.b);
	return NULL;
}

static void *sender(void *arg)
{
	sleep_ms(100);
	atomic_store(&phase, 2);
	atomic_store(&send_ret, rpmsg_send(ea, "wake", 4));
	return NULL;
}

struct poll_result {
	int ret;
	atomic_bool done;
};

static void *poller(void *arg)
{
	struct poll_result *res = arg;

	res->ret = rpmsg_bus_poll(p.b, -1);
	atomic_store(&res->done, true);
	return NULL;
}

int main(void)
{
	struct rec rb;
	pthread_t th;
	int ret;

	t_timeout(30);
	memset(&rb, 0, sizeof(rb));
	pair_open(&p, NULL);
	ea = mkept(p.la, "", RPMSG_ADDR_ANY, 2000, rec_cb, &rb);
	mkept(p.lb, "", 2000, RPMSG_ADDR_ANY, rec_cb, &rb);

	/* Woken on purpose: returns 0, nothing handled. */
	pthread_create(&th, NULL, waker, NULL);
	ret = rpmsg_bus_poll(p.b, -1);
	CHECK_EQ(ret, 0);
	CHECK_EQ(atomic_load(&phase), 1);
	pthread_join(th, NULL);

	/* Woken by a message: handled. */
	pthread_create(&th, NULL, sender, NULL);
	ret = rpmsg_bus_poll(p.b, -1);
	CHECK_EQ(ret, 1);
	CHECK_EQ(atomic_load(&phase), 2);
	CHECK_EQ(atomic_load(&rb.count), 1);
	pthread_join(th, NULL);
	CHECK_EQ(atomic_load(&send_ret), 0);

	/* A wake before the poll is kept for it (no lost wake-up), and used up once. */
	rpmsg_bus_wake(p.b);
	CHECK_EQ(rpmsg_bus_poll(p.b, -1), 0);
	CHECK_EQ(rpmsg_bus_poll(p.b, 30), 0);

	/* Waking from the main thread a poller in another thread; also with a timeout. */
	for (int i = 0; i < 20; i++) {
		struct poll_result res = { .ret = -999 };

		pthread_create(&th, NULL, poller, &res);
		if (i % 2)
			sleep_ms(5);
		rpmsg_bus_wake(p.b);
		pthread_join(th, NULL);
		CHECK(atomic_load(&res.done));
		CHECK_EQ(res.ret, 0);
	}

	/* The helper thread is woken and stopped promptly by rpmsg_bus_stop_thread. */
	CHECK_EQ(rpmsg_bus_start_thread(p.b), 0);
	sleep_ms(20);
	rpmsg_bus_stop_thread(p.b);

	pair_close(&p);
	return t_done();
}
