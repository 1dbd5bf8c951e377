/* Destroy against delivery in another thread: bus b runs its helper thread while this thread
 * creates an endpoint, has bus a send to it, and destroys it, over and over. The callback
 * touches per-endpoint heap memory that is freed right after destroy returns (ASan/TSan see
 * any late callback), sometimes sleeps inside (destroy must wait for it), and after destroy
 * returns the endpoint's callback count must never change again. */
#include <pthread.h>

#include "core_util.h"

#define MAGIC 0x5eed1234u

struct state {
	uint32_t magic;
	atomic_int calls;
	atomic_int inside;    /* a callback is running */
	atomic_bool destroyed; /* destroy returned */
	int slow;
};

static atomic_int late;     /* callbacks that started after destroy returned */
static atomic_int badmagic;
static atomic_int total;

static int cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct state *st = priv;

	atomic_fetch_add(&st->inside, 1);
	if (st->magic != MAGIC)
		atomic_fetch_add(&badmagic, 1);
	if (atomic_load(&st->destroyed))
		atomic_fetch_add(&late, 1);
	if (st->slow)
		sleep_ms(1);
	atomic_fetch_add(&st->calls, 1);
	atomic_fetch_add(&total, 1);
	atomic_fetch_sub(&st->inside, 1);
	return 0;
}

int main(void)
{
	struct pair p;
	struct rec r;
	struct rpmsg_endpoint *ea;
	long long end;
	int iters = 0, changed = 0, inside_after = 0;

	t_timeout(60);
	memset(&r, 0, sizeof(r));
	pair_open(&p, NULL);
	ea = mkept(p.la, "", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, rec_cb, &r);
	CHECK_EQ(rpmsg_bus_start_thread(p.b), 0);

	end = now_ms() + 2500;
	while (now_ms() < end || iters < 200) {
		struct state *st = calloc(1, sizeof(*st));
		struct rpmsg_endpoint *e;
		int calls, nmsg = iters % 5;

		st->magic = MAGIC;
		st->slow = iters % 7 == 0;
		e = mkept(p.lb, "", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, cb, st);
		for (int i = 0; i < nmsg; i++)
			(void)rpmsg_trysendto(ea, &i, sizeof(i), rpmsg_ept_addr(e));
		if (iters % 3 == 0) {
			/* Sometimes wait for a delivery, so destroy meets a callback in flight. */
			long long until = now_ms() + 20;

			while (nmsg && !atomic_load(&st->calls) && now_ms() < until)
				;
		}
		rpmsg_destroy_ept(e);
		if (atomic_load(&st->inside))
			inside_after++;
		atomic_store(&st->destroyed, true);
		calls = atomic_load(&st->calls);
		if (iters % 50 == 0)
			sleep_ms(2); /* give a late callback every chance to show up */
		if (atomic_load(&st->calls) != calls)
			changed++;
		st->magic = 0;
		free(st);
		iters++;
	}
	rpmsg_bus_stop_thread(p.b);

	CHECK_EQ(atomic_load(&late), 0);
	CHECK_EQ(changed, 0);
	CHECK_EQ(inside_after, 0);
	CHECK_EQ(atomic_load(&badmagic), 0);
	CHECK(atomic_load(&total) > 0); /* the race was actually exercised */
	printf("%d iterations, %d callbacks\n", iters, atomic_load(&total));

	pair_close(&p);
	return t_done();
}
