/* The helper thread delivers while many threads send in parallel: every sender's sequence
 * arrives complete and in order. Callbacks run in the helper thread, one at a time. Also
 * start/stop rules of the helper thread, with another thread asleep on the bus too. */
#include <pthread.h>
#include <sched.h>

#include "core_util.h"

#define NSENDERS 6
#define PER_SENDER 4000

struct msg {
	uint32_t sender, seq;
};

static struct pair p;
static uint32_t next_seq[NSENDERS]; /* touched by callbacks only (one thread) */
static atomic_int received, bad, concurrent, max_concurrent;
static pthread_t helper_tid;
static atomic_bool helper_known;
static atomic_int wrong_thread;

static int cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct msg m;
	int c = atomic_fetch_add(&concurrent, 1) + 1;

	if (c > atomic_load(&max_concurrent))
		atomic_store(&max_concurrent, c);
	if (!atomic_load(&helper_known)) {
		helper_tid = pthread_self();
		atomic_store(&helper_known, true);
	} else if (!pthread_equal(helper_tid, pthread_self())) {
		atomic_fetch_add(&wrong_thread, 1);
	}
	if (len != sizeof(m)) {
		atomic_fetch_add(&bad, 1);
	} else {
		memcpy(&m, data, sizeof(m));
		if (m.sender >= NSENDERS || m.seq != next_seq[m.sender] ||
		    src != 1024 + m.sender)
			atomic_fetch_add(&bad, 1);
		else
			next_seq[m.sender]++;
	}
	atomic_fetch_add(&received, 1);
	atomic_fetch_sub(&concurrent, 1);
	return 0;
}

static struct rpmsg_endpoint *senders[NSENDERS];
static atomic_bool other_run, other_done;

/* Another thread asleep on the same bus, until told to stop. */
static void *other_poller(void *arg)
{
	while (atomic_load(&other_run))
		rpmsg_bus_poll(arg, -1);
	atomic_store(&other_done, true);
	return NULL;
}

static void *send_thread(void *arg)
{
	uint32_t id = (uint32_t)(uintptr_t)arg;

	for (uint32_t i = 0; i < PER_SENDER; i++) {
		struct msg m = { id, i };
		int ret;

		if (i % 3 == 0)
			ret = rpmsg_send(senders[id], &m, sizeof(m));
		else if (i % 3 == 1)
			ret = rpmsg_sendto(senders[id], &m, sizeof(m), 2000);
		else
			while ((ret = rpmsg_trysend(senders[id], &m, sizeof(m))) == -EAGAIN)
				sched_yield();
		if (ret) {
			atomic_fetch_add(&bad, 1);
			break;
		}
	}
	return NULL;
}

int main(void)
{
	struct rec r;
	pthread_t th[NSENDERS];
	long long end;

	t_timeout(90);
	memset(&r, 0, sizeof(r));
	pair_open(&p, NULL);
	mkept(p.lb, "", 2000, RPMSG_ADDR_ANY, cb, NULL);
	for (int i = 0; i < NSENDERS; i++) {
		senders[i] = mkept(p.la, "", RPMSG_ADDR_ANY, 2000, rec_cb, &r);
		CHECK_EQ(rpmsg_ept_addr(senders[i]), 1024 + i);
	}

	CHECK_EQ(rpmsg_bus_start_thread(p.b), 0);
	CHECK_EQ(rpmsg_bus_start_thread(p.b), -EALREADY);
	for (int i = 0; i < NSENDERS; i++)
		pthread_create(&th[i], NULL, send_thread, (void *)(uintptr_t)i);
	for (int i = 0; i < NSENDERS; i++)
		pthread_join(th[i], NULL);
	end = now_ms() + 30000;
	while (atomic_load(&received) < NSENDERS * PER_SENDER && now_ms() < end)
		sleep_ms(1);
	rpmsg_bus_stop_thread(p.b);

	CHECK_EQ(atomic_load(&received), NSENDERS * PER_SENDER);
	CHECK_EQ(atomic_load(&bad), 0);
	CHECK_EQ(atomic_load(&max_concurrent), 1);
	CHECK_EQ(atomic_load(&wrong_thread), 0);
	for (int i = 0; i < NSENDERS; i++)
		CHECK_EQ(next_seq[i], PER_SENDER);
	CHECK(atomic_load(&helper_known));
	CHECK(!pthread_equal(helper_tid, pthread_self()));

	/* Stopped: nothing is delivered until someone polls. */
	{
		struct msg m = { 0, PER_SENDER };

		CHECK_EQ(rpmsg_send(senders[0], &m, sizeof(m)), 0);
		sleep_ms(50);
		CHECK_EQ(atomic_load(&received), NSENDERS * PER_SENDER);
		CHECK_EQ(rpmsg_bus_poll(p.b, 0), 1);
		CHECK_EQ(atomic_load(&received), NSENDERS * PER_SENDER + 1);
	}
	/* Stop again: nothing to do. Start again: delivers again (in a new thread). */
	rpmsg_bus_stop_thread(p.b);
	atomic_store(&helper_known, false);
	CHECK_EQ(rpmsg_bus_start_thread(p.b), 0);
	{
		struct msg m = { 0, PER_SENDER + 1 };

		CHECK_EQ(rpmsg_send(senders[0], &m, sizeof(m)), 0);
		end = now_ms() + 10000;
		while (atomic_load(&received) < NSENDERS * PER_SENDER + 2 && now_ms() < end)
			sleep_ms(1);
		CHECK_EQ(atomic_load(&received), NSENDERS * PER_SENDER + 2);
	}
	CHECK_EQ(atomic_load(&bad), 0);

	/* Stop while another thread sleeps in rpmsg_bus_poll(-1) on the same bus: the stop's
	 * wake may go to that thread; the helper still ends, and stop returns soon. */
	rpmsg_bus_stop_thread(p.b);
	for (int i = 0; i < 5; i++) {
		pthread_t other;
		long long t0;

		atomic_store(&other_run, true);
		pthread_create(&other, NULL, other_poller, p.b);
		CHECK_EQ(rpmsg_bus_start_thread(p.b), 0);
		sleep_ms(30); /* both asleep in epoll_wait */
		t0 = now_ms();
		rpmsg_bus_stop_thread(p.b);
		CHECK(now_ms() - t0 < 2000);
		atomic_store(&other_run, false);
		while (!atomic_load(&other_done)) {
			rpmsg_bus_wake(p.b);
			sleep_ms(1);
		}
		pthread_join(other, NULL);
		atomic_store(&other_done, false);
	}
	CHECK_EQ(rpmsg_bus_start_thread(p.b), 0);
	/* Destroying the bus stops its thread. */
	pair_close(&p);
	return t_done();
}
