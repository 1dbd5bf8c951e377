/* Announcements must not hold up the bus: with a tiny queue and helper threads on both
 * buses, (1) both sides create and release announced channels as fast as they can, and
 * (2) one side announces while the other echoes every data message back with a blocking
 * send from its callback. Sending an announcement while holding the bus lock deadlocked
 * both cases (until the 15 s send timeout). Every call must succeed, quickly, and the
 * peers must end up agreeing on the channels. */
#include <pthread.h>

#include "core_util.h"

#define ROUNDS 300

TDRV(da)
TDRV(db)

static struct pair p;
static atomic_int failures;

struct churn_arg {
	struct rpmsg_link *link;
	const char *name;
	uint32_t src;
};

static void *churn(void *arg)
{
	struct churn_arg *c = arg;
	struct rpmsg_channel_info ci = chinfo(c->name, c->src, RPMSG_ADDR_ANY);

	for (int i = 0; i < ROUNDS; i++) {
		if (rpmsg_create_channel(c->link, &ci, NULL) ||
		    rpmsg_release_channel(c->link, &ci))
			atomic_fetch_add(&failures, 1);
	}
	/* Leave one up, for the final check. */
	if (rpmsg_create_channel(c->link, &ci, NULL))
		atomic_fetch_add(&failures, 1);
	return NULL;
}

static int echo_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	if (rpmsg_sendto(ept, data, len, src))
		atomic_fetch_add(&failures, 1);
	return 0;
}

static atomic_int echoes;
static int count_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	atomic_fetch_add(&echoes, 1);
	return 0;
}

static void *flood(void *arg)
{
	struct rpmsg_endpoint *ept = arg;

	for (int i = 0; i < 20 * ROUNDS; i++)
		if (rpmsg_send(ept, &i, sizeof(i)))
			atomic_fetch_add(&failures, 1);
	return NULL;
}

/* Wait until both sides are quiet and see what they should. */
static bool settle(const char *on_b, uint32_t on_b_dst, const char *on_a, uint32_t on_a_dst)
{
	long long end = now_ms() + 10000;

	while (now_ms() < end) {
		bool ok = (!on_b || (nchannels(p.lb) == 1 + (on_a ? 1 : 0) &&
				     find_channel(p.lb, on_b, on_b_dst, NULL))) &&
			  (!on_a || find_channel(p.la, on_a, on_a_dst, NULL));

		if (ok)
			return true;
		sleep_ms(5);
	}
	return false;
}

int main(void)
{
	struct rpmsg_loopback_config cfg = { .mtu = 0, .depth = 2, .name_service = true };
	struct churn_arg ca, cb;
	pthread_t t1, t2;
	long long t0;

	t_timeout(90);

	/* (1) Both directions at once. */
	pair_open(&p, &cfg);
	TDRV_INIT(da, true, "from-a", "from-b");
	TDRV_INIT(db, true, "from-a", "from-b");
	CHECK_EQ(rpmsg_register_driver(p.a, &da.drv), 0);
	CHECK_EQ(rpmsg_register_driver(p.b, &db.drv), 0);
	CHECK_EQ(rpmsg_bus_start_thread(p.a), 0);
	CHECK_EQ(rpmsg_bus_start_thread(p.b), 0);
	ca = (struct churn_arg){ p.la, "from-a", 1500 };
	cb = (struct churn_arg){ p.lb, "from-b", 1600 };
	t0 = now_ms();
	pthread_create(&t1, NULL, churn, &ca);
	pthread_create(&t2, NULL, churn, &cb);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	CHECK(now_ms() - t0 < 10000); /* a stall means a send waited out its 15 s */
	CHECK_EQ(atomic_load(&failures), 0);
	CHECK(settle("from-a", 1500, "from-b", 1600));
	CHECK_EQ(nchannels(p.la), 2);
	CHECK_EQ(nchannels(p.lb), 2);
	pair_close(&p);
	CHECK_EQ(atomic_load(&da.probes), atomic_load(&da.removes));
	CHECK_EQ(atomic_load(&db.probes), atomic_load(&db.removes));

	/* (2) a announces while flooding b, whose callback echoes with a blocking send. */
	pair_open(&p, &cfg);
	TDRV_INIT(da, true, "from-a");
	TDRV_INIT(db, true, "from-a");
	CHECK_EQ(rpmsg_register_driver(p.a, &da.drv), 0);
	CHECK_EQ(rpmsg_register_driver(p.b, &db.drv), 0);
	{
		struct rpmsg_endpoint *ea = mkept(p.la, "", 3000, 2000, count_cb, NULL);

		mkept(p.lb, "", 2000, RPMSG_ADDR_ANY, echo_cb, NULL);
		CHECK_EQ(rpmsg_bus_start_thread(p.a), 0);
		CHECK_EQ(rpmsg_bus_start_thread(p.b), 0);
		ca.link = p.la;
		t0 = now_ms();
		pthread_create(&t1, NULL, churn, &ca);
		pthread_create(&t2, NULL, flood, ea);
		pthread_join(t1, NULL);
		pthread_join(t2, NULL);
		CHECK(now_ms() - t0 < 10000);
		CHECK_EQ(atomic_load(&failures), 0);
		CHECK(settle("from-a", 1500, NULL, 0));
		t0 = now_ms();
		while (atomic_load(&echoes) < 20 * ROUNDS && now_ms() - t0 < 10000)
			sleep_ms(5);
		CHECK_EQ(atomic_load(&echoes), 20 * ROUNDS);
	}
	pair_close(&p);
	CHECK_EQ(atomic_load(&da.probes), ROUNDS + 1);
	CHECK_EQ(atomic_load(&da.probes), atomic_load(&da.removes));
	CHECK_EQ(atomic_load(&db.probes), atomic_load(&db.removes));
	return t_done();
}
