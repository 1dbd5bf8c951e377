/*
 * SMD with threads: both buses run their helper thread; on the main CPU two threads send
 * with blocking send on two channels while the remote echoes every message back from its
 * receive callback (a blocking send inside a callback). Small FIFOs keep every sender
 * waiting for room often (fBLOCKREADINTR wake-ups). Everything comes back, in order.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <rpmsg/transport.h>

#include "spair.h"
#include "testlib.h"

#define PER_CHANNEL 20000

static const char *const names[] = { "t0", "t1", NULL };
static struct rpmsg_channel *mch[2];
static atomic_uint echoed[2];
static atomic_uint bad;
static atomic_int send_err;

static int idx(struct rpmsg_endpoint *ept)
{
	return strcmp(rpmsg_ept_name(ept), "t0") ? 1 : 0;
}

/* Remote: send it back (blocking, from the callback). */
static int echo_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	int r;

	(void)src; (void)priv;
	r = rpmsg_send(ept, data, len);
	if (r)
		atomic_store(&send_err, r);
	return 0;
}

/* Main: the echo arrives in order. */
static int back_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	int i = idx(ept);
	uint32_t seq;

	(void)src; (void)priv;
	memcpy(&seq, data, sizeof(seq));
	if (len < 4 || seq != atomic_load(&echoed[i]))
		atomic_fetch_add(&bad, 1);
	atomic_fetch_add(&echoed[i], 1);
	return 0;
}

static int m_probe(struct rpmsg_channel *ch)
{
	mch[strcmp(rpmsg_channel_info(ch)->name, "t0") ? 1 : 0] = ch;
	return 0;
}

static void *sender(void *arg)
{
	int i = (int)(intptr_t)arg;
	struct rpmsg_endpoint *e = rpmsg_channel_ept(mch[i]);
	uint8_t buf[200];

	memset(buf, i, sizeof(buf));
	for (uint32_t seq = 0; seq < PER_CHANNEL; seq++) {
		int r;

		memcpy(buf, &seq, 4);
		r = rpmsg_send(e, buf, 4 + seq % 190);
		if (r) {
			atomic_store(&send_err, r);
			break;
		}
	}
	return NULL;
}

int main(void)
{
	struct rpmsg_smd_config rc = { .channels = names, .fifo_size = 512 };
	struct rpmsg_smd_config mc = { 0 };
	struct rpmsg_driver rdrv = { .name = "r", .id_table = names, .callback = echo_cb };
	struct rpmsg_driver mdrv = { .name = "m", .id_table = names, .probe = m_probe,
				     .callback = back_cb };
	struct rpmsg_smd_stats st;
	pthread_t th[2];
	struct spair p;

	t_timeout(100);
	CHECK_EQ(spair_open(&p, "smdmt", &mc, &rc, 0), 0);
	CHECK_EQ(rpmsg_register_driver(p.br, &rdrv), 0);
	CHECK_EQ(rpmsg_register_driver(p.bm, &mdrv), 0);
	spair_pump(&p, 50);
	CHECK(mch[0] && mch[1]);
	if (!mch[0] || !mch[1])
		goto out;
	CHECK_EQ(rpmsg_bus_start_thread(p.br), 0);
	CHECK_EQ(rpmsg_bus_start_thread(p.bm), 0);
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, sender, (void *)(intptr_t)i);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 9000 && atomic_load(&echoed[0]) + atomic_load(&echoed[1]) < 2 * PER_CHANNEL; i++) {
		struct timespec ts = { 0, 10000000 };

		nanosleep(&ts, NULL);
	}
	rpmsg_bus_stop_thread(p.bm);
	rpmsg_bus_stop_thread(p.br);
	CHECK_EQ(atomic_load(&send_err), 0);
	CHECK_EQ(atomic_load(&bad), 0);
	CHECK_EQ(atomic_load(&echoed[0]), PER_CHANNEL);
	CHECK_EQ(atomic_load(&echoed[1]), PER_CHANNEL);
	CHECK_EQ(rpmsg_smd_get_stats(p.lm, &st), 0);
	CHECK_EQ(st.rx_bad, 0);
	CHECK(st.tx_waits > 0);
	printf("tx waits: main %llu", (unsigned long long)st.tx_waits);
	CHECK_EQ(rpmsg_smd_get_stats(p.lr, &st), 0);
	CHECK_EQ(st.rx_bad, 0);
	printf(", remote %llu\n", (unsigned long long)st.tx_waits);
out:
	spair_close(&p);
	return t_done();
}
