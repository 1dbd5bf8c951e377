/*
 * GLINK intent requests (SMEM flavour), deterministic:
 *
 *  unused_grants  A sender asks for an intent, and before the answer one of the peer's
 *                 default intents comes back. The send must use the intent it asked for:
 *                 had it taken the returned one, the granted intent would sit unused in
 *                 one of the receiver's 32 slots per channel for as long as no later
 *                 message fits it. With growing sizes none ever does, so after 27 rounds
 *                 every slot was taken and each further request was refused (a blocking
 *                 send then failed with -EAGAIN). 40 rounds here: no refusal, and a large
 *                 message still gets its intent at the end.
 *  refusals       A hand-driven peer (gpeer.h, in a thread) refuses a request and grants
 *                 the next: a blocking send asks again and succeeds. A peer that always
 *                 refuses: the send returns -EAGAIN after cfg.intent_timeout_ms, having
 *                 asked a bounded number of times.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <rpmsg/transport.h>

#include "gpair.h"
#include "gpeer.h"
#include "testlib.h"

static const char *const names[] = { "intents", NULL };

static struct rpmsg_channel *chm, *chr;
static atomic_int got_r;
static uint32_t next_len, bad_len;

static int cb_r(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept; (void)data; (void)src; (void)priv;
	if (len != next_len)
		bad_len++;
	atomic_fetch_add(&got_r, 1);
	return 0;
}
static int cb_m(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept; (void)data; (void)len; (void)src; (void)priv;
	return 0;
}
static int probe_m(struct rpmsg_channel *ch) { chm = ch; return 0; }
static int probe_r(struct rpmsg_channel *ch) { chr = ch; return 0; }

static const struct rpmsg_driver drv_m = { .name = "m", .id_table = names, .probe = probe_m,
					   .callback = cb_m };
static const struct rpmsg_driver drv_r = { .name = "r", .id_table = names, .probe = probe_r,
					   .callback = cb_r };

static uint8_t buf[4096];

struct sender {
	struct rpmsg_endpoint *ept;
	size_t len;
	int timeout_ms;
	int ret;
};

static void *send_main(void *arg)
{
	struct sender *t = arg;

	t->ret = rpmsg_send_timeout(t->ept, rpmsg_ept_addr(t->ept), 0, buf, t->len, t->timeout_ms);
	return NULL;
}

/* Poll the remote until it received `n` messages in all (bounded). */
static bool remote_got(struct gpair *p, int n)
{
	for (int i = 0; i < 2000 && atomic_load(&got_r) < n; i++)
		rpmsg_bus_poll(p->br, 1);
	return atomic_load(&got_r) >= n;
}

static void test_unused_grants(void)
{
	struct rpmsg_glink_config mcfg = { .fifo_size = 16384 }, rcfg = { .channels = names };
	struct rpmsg_glink_stats st;
	struct gpair p = { 0 };
	struct rpmsg_endpoint *e;
	int total = 0;

	chm = chr = NULL;
	atomic_store(&got_r, 0);
	CHECK_EQ(rpmsg_bus_create(&p.bm), 0);
	CHECK_EQ(rpmsg_bus_create(&p.br), 0);
	CHECK_EQ(rpmsg_register_driver(p.bm, &drv_m), 0);
	CHECK_EQ(rpmsg_register_driver(p.br, &drv_r), 0);
	CHECK_EQ(gpair_open(&p, "gintents", &mcfg, &rcfg, 0), 0);
	gpair_pump(&p, 200);
	CHECK(chm && chr);
	if (!chm || !chr)
		goto out;
	e = rpmsg_channel_ept(chm);
	for (int round = 0; round < 40; round++) {
		size_t len = 100 + 10 * (size_t)round; /* each larger than any earlier one */
		struct sender t = { e, len, 5000, -1 };
		pthread_t th;

		next_len = (uint32_t)len;
		/* The remote's five default intents, filled without asking. */
		for (int i = 0; i < 5; i++)
			CHECK_EQ(rpmsg_send_timeout(e, rpmsg_ept_addr(e), 0, buf, len, 1000), 0);
		total += 5;
		/* It delivers them: their RX_DONE_W_REUSE wait in our RX FIFO, unread. */
		CHECK(remote_got(&p, total));
		/*
		 * The sixth finds no intent free (the returns are not read yet) and asks; reading
		 * the FIFO while it waits, it finds the returns before the answer.
		 */
		pthread_create(&th, NULL, send_main, &t);
		CHECK(remote_got(&p, total + 1)); /* it answers the request; the message comes */
		pthread_join(th, NULL);
		CHECK_EQ(t.ret, 0);
		total++;
		gpair_pump(&p, 20);
	}
	/* A message larger than every default intent still gets one. */
	{
		struct sender t = { e, 3000, 5000, -1 };
		pthread_t th;

		next_len = 3000;
		pthread_create(&th, NULL, send_main, &t);
		CHECK(remote_got(&p, total + 1));
		pthread_join(th, NULL);
		CHECK_EQ(t.ret, 0);
	}
	CHECK_EQ(bad_len, 0);
	CHECK_EQ(rpmsg_glink_get_stats(p.lm, &st), 0);
	printf("unused grants: %llu requests, %llu refused\n", (unsigned long long)st.intent_reqs,
	       (unsigned long long)st.intent_refused);
	CHECK_EQ(st.intent_refused, 0);
	CHECK_EQ(st.intent_reqs, 41);
	CHECK_EQ(st.rx_bad, 0);
out:
	gpair_close(&p);
}

/* ---- a hand-driven peer answering our requests ---- */

static uint8_t shm[GP_SHM] __attribute__((aligned(4096)));
static struct rpmsg_channel *chan;
static int probe_h(struct rpmsg_channel *ch) { chan = ch; return 0; }
static const struct rpmsg_driver drv_h = { .name = "h", .id_table = names, .probe = probe_h,
					   .callback = cb_m };

struct responder {
	struct gpeer *g;
	int grant_after;     /* refuse this many requests, then grant (-1: refuse all) */
	atomic_bool stop;
	atomic_int reqs, data;
};

/* Read what the main CPU wrote and answer its requests. */
static void respond_once(struct responder *r)
{
	uint8_t out[8192];
	uint32_t n = gpeer_read(r->g, out, sizeof(out));

	for (uint32_t off = 0; off + 8 <= n;) {
		uint16_t cmd = glink_get16(out + off);
		uint32_t p2 = glink_get32(out + off + 4);

		if (cmd == GLINK_RX_INTENT_REQ) {
			int k = atomic_fetch_add(&r->reqs, 1);

			if (r->grant_after >= 0 && k >= r->grant_after) {
				uint8_t in[16];

				glink_encode_intent(in, 7, p2, 100 + (uint32_t)k);
				gpeer_write(r->g, in, 16);
				gpeer_cmd(r->g, GLINK_RX_INTENT_REQ_ACK, 7, 1);
			} else {
				gpeer_cmd(r->g, GLINK_RX_INTENT_REQ_ACK, 7, 0);
			}
			off += 8;
		} else if (cmd == GLINK_TX_DATA) {
			atomic_fetch_add(&r->data, 1);
			off += glink_round8(16 + glink_get32(out + off + 8));
		} else {
			off += 8;
		}
	}
}

static void *respond_main(void *arg)
{
	struct responder *r = arg;

	while (!atomic_load(&r->stop)) {
		struct timespec ts = { 0, 500000 };

		respond_once(r);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void refusals(int grant_after, int expect_ret)
{
	struct rpmsg_glink_config cfg = { .role = RPMSG_GLINK_MAIN, .format_smem = true,
					  .remote_host = 1, .fifo_size = 4096,
					  .intent_timeout_ms = 400 };
	struct rpmsg_platform plat;
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	struct rpmsg_glink_stats st;
	struct responder r = { 0 };
	struct gpeer g;
	pthread_t th;
	uint8_t b[48];
	int ret;

	memset(shm, 0, sizeof(shm));
	chan = NULL;
	plat = memplat(shm, sizeof(shm), 0);
	CHECK_EQ(rpmsg_bus_create(&bus), 0);
	CHECK_EQ(rpmsg_register_driver(bus, &drv_h), 0);
	CHECK_EQ(rpmsg_glink_create(bus, &plat, &cfg, &link), 0);
	CHECK_EQ(gpeer_attach(&g, shm, sizeof(shm), 4096), 0);
	gpeer_cmd(&g, GLINK_VERSION, 1, 1);
	gpeer_write(&g, b, glink_encode_open(b, 7, "intents"));
	rpmsg_bus_poll(bus, 0);
	gpeer_cmd(&g, GLINK_OPEN_ACK, 1, 0);
	rpmsg_bus_poll(bus, 0);
	rpmsg_bus_poll(bus, 0);
	gpeer_read(&g, buf, sizeof(buf));
	CHECK(chan != NULL);
	if (!chan)
		goto out;
	r.g = &g;
	r.grant_after = grant_after;
	pthread_create(&th, NULL, respond_main, &r);
	/* No intent of the peer's at all: the send asks. */
	ret = rpmsg_send_timeout(rpmsg_channel_ept(chan), rpmsg_ept_addr(rpmsg_channel_ept(chan)), 0,
				 buf, 200, 5000);
	atomic_store(&r.stop, true);
	pthread_join(th, NULL);
	respond_once(&r); /* the message, if it went */
	CHECK_EQ(ret, expect_ret);
	rpmsg_glink_get_stats(link, &st);
	printf("grant after %d: send %d, %d requests, %llu refused, %d data\n", grant_after, ret,
	       atomic_load(&r.reqs), (unsigned long long)st.intent_refused, atomic_load(&r.data));
	if (grant_after >= 0) {
		CHECK_EQ(atomic_load(&r.reqs), grant_after + 1);
		CHECK_EQ(st.intent_refused, (uint64_t)grant_after);
		CHECK_EQ(atomic_load(&r.data), 1);
	} else {
		/* 2, 4, ... 100 ms apart within 400 ms: a handful, not a flood. */
		CHECK(atomic_load(&r.reqs) >= 3 && atomic_load(&r.reqs) <= 12);
		CHECK_EQ(atomic_load(&r.data), 0);
	}
	CHECK_EQ(st.rx_bad, 0);
out:
	rpmsg_bus_destroy(bus);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	t_timeout(60);
	test_unused_grants();
	refusals(1, 0);
	refusals(3, 0);
	refusals(-1, -EAGAIN);
	return t_done();
}
