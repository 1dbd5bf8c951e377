/*
 * Threads on both sides of one SCP link (one process, POSIX shared memory): each side has a
 * bus helper thread; the AP has two sender threads and the SCP one, all sending with acks
 * on two IPI ids while the callbacks answer from whichever thread receives (the bus thread,
 * or a sender receiving while it waits for its ack). Every message arrives once, in order,
 * and gets exactly one answer; no send fails. Run under TSan too.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "testlib.h"
#include "scp_util.h"

#define ID_A 30
#define ID_B 31

static long M = 3000;

struct side {
	atomic_uint data[2];  /* data messages received per channel (A, B) */
	atomic_uint acks[2];  /* answers received */
	atomic_uint bad;
	struct rpmsg_channel *_Atomic ch[2];
};

static struct side host, scp;

static int cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct side *sd = priv;
	const uint8_t *m = data;
	int i = rpmsg_ept_addr(ept) == ID_A ? 0 : 1;
	uint32_t seq;

	if (src != rpmsg_ept_addr(ept) || len < 5) {
		atomic_fetch_add(&sd->bad, 1);
		return 0;
	}
	if (m[0] == 'A') {
		atomic_fetch_add(&sd->acks[i], 1);
		return 0;
	}
	memcpy(&seq, m + 1, 4);
	if (m[0] != 'D' || seq != atomic_load(&sd->data[i]))
		atomic_fetch_add(&sd->bad, 1);
	atomic_fetch_add(&sd->data[i], 1);
	{
		uint8_t ack[5] = { 'A' };

		memcpy(ack + 1, &seq, 4);
		if (rpmsg_send(ept, ack, sizeof(ack)))
			atomic_fetch_add(&sd->bad, 1);
	}
	return 0;
}

static int host_probe(struct rpmsg_channel *ch)
{
	atomic_store(&host.ch[rpmsg_channel_info(ch)->src == ID_A ? 0 : 1], ch);
	return 0;
}

static int scp_probe(struct rpmsg_channel *ch)
{
	atomic_store(&scp.ch[rpmsg_channel_info(ch)->src == ID_A ? 0 : 1], ch);
	return 0;
}

static const char *const ids[] = { "thr-a", "thr-b", NULL };

struct sender {
	struct rpmsg_endpoint *ept;
	int failures, last_err;
};

static void *send_thread(void *arg)
{
	struct sender *s = arg;
	uint8_t buf[64];

	for (long n = 0; n < M; n++) {
		uint32_t seq = (uint32_t)n;
		size_t len = 5 + (size_t)(n % 50);
		int r;

		buf[0] = 'D';
		memcpy(buf + 1, &seq, 4);
		memset(buf + 5, (int)n, len - 5);
		r = rpmsg_send(s->ept, buf, len);
		if (r) {
			s->failures++;
			s->last_err = r;
		}
	}
	return NULL;
}

static int wait_for(atomic_uint *v, unsigned want)
{
	for (int i = 0; i < 2000 && atomic_load(v) < want; i++)
		usleep(5000);
	return (int)atomic_load(v);
}

int main(void)
{
	struct rpmsg_scp_config hc = { .ack_timeout_ms = 2000 }, rc = { .ack_timeout_ms = 2000 };
	struct rpmsg_driver hd = { .name = "ap", .id_table = ids, .probe = host_probe,
				   .callback = cb, .priv = &host };
	struct rpmsg_driver rd = { .name = "scp", .id_table = ids, .probe = scp_probe,
				   .callback = cb, .priv = &scp };
	struct rpmsg_channel_info a = { .name = "thr-a", .src = ID_A, .dst = RPMSG_ADDR_ANY };
	struct rpmsg_channel_info b = { .name = "thr-b", .src = ID_B, .dst = RPMSG_ADDR_ANY };
	struct sender hs[2] = { { 0 } }, rs = { 0 };
	pthread_t th[3];
	struct rpmsg_scp_stats st;
	struct spair p;

	t_timeout(100);
	if (getenv("RPMSG_STRESS_MESSAGES"))
		M = atol(getenv("RPMSG_STRESS_MESSAGES")) / 10;
	CHECK_EQ(spair_open(&p, "mt", &hc, &rc, 0, 1), 0);
	CHECK_EQ(rpmsg_register_driver(p.bh, &hd), 0);
	CHECK_EQ(rpmsg_register_driver(p.br, &rd), 0);
	CHECK_EQ(rpmsg_create_channel(p.lr, &a, NULL), 0);
	CHECK_EQ(rpmsg_create_channel(p.lr, &b, NULL), 0);
	CHECK_EQ(rpmsg_bus_start_thread(p.br), 0);
	CHECK_EQ(rpmsg_bus_start_thread(p.bh), 0);
	for (int i = 0; i < 500 && !(atomic_load(&host.ch[0]) && atomic_load(&host.ch[1])); i++)
		usleep(10000);
	CHECK(atomic_load(&host.ch[0]) && atomic_load(&host.ch[1]));
	if (!atomic_load(&host.ch[0]) || !atomic_load(&host.ch[1]))
		goto out;

	hs[0].ept = rpmsg_channel_ept(atomic_load(&host.ch[0]));
	hs[1].ept = rpmsg_channel_ept(atomic_load(&host.ch[1]));
	rs.ept = rpmsg_channel_ept(atomic_load(&scp.ch[1]));
	pthread_create(&th[0], NULL, send_thread, &hs[0]);
	pthread_create(&th[1], NULL, send_thread, &hs[1]);
	pthread_create(&th[2], NULL, send_thread, &rs);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(hs[0].failures, 0);
	CHECK_EQ(hs[1].failures, 0);
	CHECK_EQ(rs.failures, 0);
	if (hs[0].failures + hs[1].failures + rs.failures)
		fprintf(stderr, "last errors %d %d %d\n", hs[0].last_err, hs[1].last_err, rs.last_err);

	/* Everything arrives and is answered exactly once. */
	CHECK_EQ(wait_for(&scp.data[0], M), M);
	CHECK_EQ(wait_for(&scp.data[1], M), M);
	CHECK_EQ(wait_for(&host.data[1], M), M);
	CHECK_EQ(wait_for(&host.acks[0], M), M);
	CHECK_EQ(wait_for(&host.acks[1], M), M);
	CHECK_EQ(wait_for(&scp.acks[1], M), M);
	usleep(20000);
	CHECK_EQ(atomic_load(&host.data[0]), 0);
	CHECK_EQ(atomic_load(&scp.acks[0]), 0);
	CHECK_EQ(atomic_load(&host.bad), 0);
	CHECK_EQ(atomic_load(&scp.bad), 0);
	CHECK_EQ(rpmsg_scp_get_stats(p.lh, &st), 0);
	CHECK_EQ(st.rx_bad + st.ns_bad + st.rx_dropped + st.ack_timeouts + st.busy_timeouts, 0);
	CHECK_EQ(rpmsg_scp_get_stats(p.lr, &st), 0);
	CHECK_EQ(st.rx_bad + st.rx_dropped + st.ack_timeouts + st.busy_timeouts, 0);
out:
	/* The AP goes first: the SCP's thread sees the reset and drops its channels. */
	rpmsg_bus_destroy(p.bh);
	p.bh = NULL;
	for (int i = 0; i < 200 && rpmsg_link_is_up(p.lr); i++)
		usleep(5000);
	CHECK(!rpmsg_link_is_up(p.lr));
	spair_close(&p);
	return t_done();
}
