/*
 * GLINK senders that wait, in both flavours (SMEM with intents, RPM intentless):
 *
 *  1. Two single-threaded peers (each thread drives its own bus with rpmsg_bus_poll(), no
 *     bus thread) both send a burst of blocking sends at once, none polling in between. Each
 *     waits for FIFO room (and, over SMEM, intents) that only the other frees, so a waiting
 *     sender must read what the peer sent and give back what the peer waits for (FIFO room,
 *     intents, answers to intent requests) without delivering: every send succeeds, then
 *     polling delivers every message whole and in order.
 *  2. A blocking send times out while the FIFO has room for part of its message only: it
 *     must write nothing (a message that fits an empty FIFO is written all at once), so the
 *     peer never glues that part to the next, different message.
 *  3. A message larger than the whole FIFO, sent with a short timeout to a peer that starts
 *     reading later: once its first chunk is out it is finished (the send succeeds late),
 *     so again the peer gets each message whole and nothing glued.
 *  4. trysend on a full FIFO asks the peer to ring when it has read (READ_NOTIF) and
 *     succeeds once the peer has read.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rpmsg/transport.h>

#include "gpair.h"
#include "seqmsg.h"
#include "testlib.h"

#define BURST 150
#define MAXLEN 3000

static const char *const names[] = { "blk", NULL };

struct side {
	struct rpmsg_bus *bus;
	struct rpmsg_channel *ch;
	int dir;                 /* of the messages it sends */
	_Atomic uint32_t got;    /* messages received (the other direction) */
	uint32_t bad;
	uint32_t lens[8];        /* part 2 and 3: the lengths received */
	int send_err;            /* part 1: the first failed send */
	uint32_t sent;
	atomic_bool done;        /* part 1: its burst is over */
	struct side *peer;
};
static struct side sm, sr;
static pthread_barrier_t barrier;
static bool checked = true;  /* part 1 checks contents; parts 2 and 3 record lengths */

static size_t msg_len(int dir, uint32_t seq)
{
	uint32_t x = (seq + 1) * 2654435761u ^ (uint32_t)dir * 40503u;

	return 8 + (x >> 7) % (MAXLEN - 8);
}

/* seq, a checksum of the rest, and a pattern of (dir, seq). */
static void make(uint8_t *b, int dir, uint32_t seq, size_t len)
{
	uint32_t h;

	for (size_t i = 8; i < len; i++)
		b[i] = (uint8_t)(seq * 31 + (uint32_t)dir * 7 + i * 13);
	memcpy(b, &seq, 4);
	h = seqmsg_fnv(b + 8, len - 8);
	memcpy(b + 4, &h, 4);
}

static int cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct side *s = priv;
	const uint8_t *d = data;
	uint32_t seq, h;

	(void)ept; (void)src;
	if (!checked) {
		uint32_t n = s->got;

		if (n < 8)
			s->lens[n] = (uint32_t)len;
		s->got = n + 1;
		return 0;
	}
	if (len < 8) {
		s->bad++;
		s->got++;
		return 0;
	}
	memcpy(&seq, d, 4);
	memcpy(&h, d + 4, 4);
	if (seq != s->got || len != msg_len(1 - s->dir, seq) || h != seqmsg_fnv(d + 8, len - 8))
		s->bad++;
	s->got++;
	return 0;
}

static int probe_m(struct rpmsg_channel *ch) { sm.ch = ch; return 0; }
static int probe_r(struct rpmsg_channel *ch) { sr.ch = ch; return 0; }

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- 1: both peers block in sends at once ---- */

static void *burst(void *arg)
{
	struct side *s = arg;
	struct rpmsg_endpoint *e = rpmsg_channel_ept(s->ch);
	static uint8_t bufs[2][MAXLEN];
	uint8_t *b = bufs[s->dir];
	uint64_t end, now;

	pthread_barrier_wait(&barrier);
	for (uint32_t i = 0; i < BURST; i++) {
		size_t len = msg_len(s->dir, i);
		int r;

		make(b, s->dir, i, len);
		r = rpmsg_send_timeout(e, rpmsg_ept_addr(e), 0, b, len, 3000);
		if (r) {
			s->send_err = r;
			break;
		}
		s->sent++;
	}
	atomic_store(&s->done, true);
	/* Only now does this side poll: it receives the other's burst, and keeps polling until
	 * the other's sends are over (they may wait for what this side owes). */
	end = ms_now() + 10000;
	while ((now = ms_now()) < end && (s->got < BURST || !atomic_load(&s->peer->done))) {
		if (atomic_load(&s->peer->done) && s->peer->sent < BURST && end > now + 1000)
			end = now + 1000; /* it failed: what it sent is here by now */
		rpmsg_bus_poll(s->bus, 1);
	}
	return NULL;
}

static int open_pair(struct gpair *p, const char *tag, bool rpm, uint32_t fifo,
		     uint32_t intent_size)
{
	struct rpmsg_glink_config mc = { .flavour = rpm ? RPMSG_GLINK_RPM : RPMSG_GLINK_SMEM,
					 .fifo_size = fifo };
	struct rpmsg_glink_config rc = mc;
	static struct rpmsg_driver dm = { .name = "m", .id_table = names, .probe = probe_m,
					  .callback = cb, .priv = &sm };
	static struct rpmsg_driver dr = { .name = "r", .id_table = names, .probe = probe_r,
					  .callback = cb, .priv = &sr };

	rc.channels = names;
	rc.intent_size = intent_size;
	rc.intent_count = intent_size ? 8 : 0;
	memset(&sm, 0, sizeof(sm));
	memset(&sr, 0, sizeof(sr));
	sm.dir = 0;
	sr.dir = 1;
	sm.peer = &sr;
	sr.peer = &sm;
	memset(p, 0, sizeof(*p));
	if (rpmsg_bus_create(&p->bm) || rpmsg_bus_create(&p->br) ||
	    rpmsg_register_driver(p->bm, &dm) || rpmsg_register_driver(p->br, &dr) ||
	    gpair_open(p, tag, &mc, &rc, rpm ? 16384 : 0))
		return -1;
	sm.bus = p->bm;
	sr.bus = p->br;
	gpair_pump(p, 200);
	return sm.ch && sr.ch ? 0 : -1;
}

static void test_both_block(bool rpm)
{
	struct rpmsg_glink_stats st;
	struct gpair p;
	pthread_t tm, tr;

	/* Small FIFOs (and over SMEM 1 KiB intents): most messages need the peer. */
	CHECK_EQ(open_pair(&p, rpm ? "blkr" : "blks", rpm, rpm ? 1024 : 2048, 0), 0);
	if (!sm.ch || !sr.ch) {
		gpair_close(&p);
		return;
	}
	checked = true;
	pthread_barrier_init(&barrier, NULL, 2);
	pthread_create(&tm, NULL, burst, &sm);
	pthread_create(&tr, NULL, burst, &sr);
	pthread_join(tm, NULL);
	pthread_join(tr, NULL);
	pthread_barrier_destroy(&barrier);
	if (sm.send_err || sr.send_err)
		fprintf(stderr, "%s: send errors %d (after %u) %d (after %u)\n", rpm ? "rpm" : "smem",
			sm.send_err, sm.sent, sr.send_err, sr.sent);
	CHECK_EQ(sm.send_err, 0);
	CHECK_EQ(sr.send_err, 0);
	CHECK_EQ(sm.got, BURST);
	CHECK_EQ(sr.got, BURST);
	CHECK_EQ(sm.bad + sr.bad, 0);
	CHECK_EQ(rpmsg_glink_get_stats(p.lm, &st), 0);
	CHECK_EQ(st.rx_bad, 0);
	CHECK(st.tx_waits > 0); /* the sends did wait */
	CHECK_EQ(rpmsg_glink_get_stats(p.lr, &st), 0);
	CHECK_EQ(st.rx_bad, 0);
	gpair_close(&p);
}

/* ---- 2: a send that times out writes nothing ---- */

static void test_timeout_fits(bool rpm)
{
	static uint8_t b[1024];
	struct rpmsg_glink_stats st;
	struct rpmsg_endpoint *e;
	struct gpair p;

	/* 1 KiB FIFOs; SMEM: 16 KiB intents, so every message has one. */
	CHECK_EQ(open_pair(&p, rpm ? "tfr" : "tfs", rpm, 1024, rpm ? 0 : 16384), 0);
	if (!sm.ch || !sr.ch) {
		gpair_close(&p);
		return;
	}
	checked = false;
	e = rpmsg_channel_ept(sm.ch);
	memset(b, 0x5A, sizeof(b));
	/* The remote does not read: 2 x 216 bytes in the FIFO leave 576 of its 1008. */
	CHECK_EQ(rpmsg_trysend(e, b, 200), 0);
	CHECK_EQ(rpmsg_trysend(e, b, 200), 0);
	/* 900 bytes are two chunks (496 + 440 bytes): the first fits, both do not. */
	CHECK_EQ(rpmsg_send_timeout(e, rpmsg_ept_addr(e), 0, b, 900, 30), -ETIMEDOUT);
	CHECK_EQ(rpmsg_trysend(e, b, 900), -EAGAIN);
	gpair_pump(&p, 100);
	CHECK_EQ(sr.got, 2);
	/* A different message next: the peer gets it alone, not glued to part of the other. */
	CHECK_EQ(rpmsg_send_timeout(e, rpmsg_ept_addr(e), 0, b, 300, 1000), 0);
	gpair_pump(&p, 100);
	CHECK_EQ(sr.got, 3);
	CHECK_EQ(sr.lens[0], 200);
	CHECK_EQ(sr.lens[1], 200);
	CHECK_EQ(sr.lens[2], 300);
	CHECK_EQ(rpmsg_glink_get_stats(p.lr, &st), 0);
	CHECK_EQ(st.rx_bad, 0);
	gpair_close(&p);
}

/* ---- 3: a message larger than the FIFO is finished once started ---- */

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void *late_reader(void *arg)
{
	sleep_ms(200);
	rpmsg_bus_start_thread(arg);
	return NULL;
}

static void test_timeout_larger(bool rpm)
{
	static uint8_t b[6000];
	struct rpmsg_glink_stats st;
	struct rpmsg_endpoint *e;
	struct gpair p;
	pthread_t t;
	uint64_t t0;
	int r1, r2;

	CHECK_EQ(open_pair(&p, rpm ? "tlr" : "tls", rpm, 1024, rpm ? 0 : 16384), 0);
	if (!sm.ch || !sr.ch) {
		gpair_close(&p);
		return;
	}
	checked = false;
	e = rpmsg_channel_ept(sm.ch);
	memset(b, 0xA5, sizeof(b));
	pthread_create(&t, NULL, late_reader, p.br);
	t0 = ms_now();
	r1 = rpmsg_send_timeout(e, rpmsg_ept_addr(e), 0, b, sizeof(b), 30);
	/* Started at once (the FIFO was empty), so finished although the timeout passed. */
	CHECK_EQ(r1, 0);
	CHECK(ms_now() - t0 >= 150);
	r2 = rpmsg_send_timeout(e, rpmsg_ept_addr(e), 0, b, 100, 2000);
	CHECK_EQ(r2, 0);
	pthread_join(t, NULL);
	for (int i = 0; i < 400; i++) {
		uint32_t want = (r1 == 0) + (r2 == 0);

		rpmsg_bus_poll(p.bm, 1); /* RX_DONEs, over SMEM */
		if (sr.got >= want)
			break;
	}
	rpmsg_bus_stop_thread(p.br);
	/* Whatever the sends returned, the peer got exactly the messages that were sent, whole. */
	CHECK_EQ(sr.got, (uint32_t)(r1 == 0) + (r2 == 0));
	if (r1 == 0 && sr.got == 2) {
		CHECK_EQ(sr.lens[0], sizeof(b));
		CHECK_EQ(sr.lens[1], 100);
	} else if (sr.got >= 1) {
		CHECK_EQ(sr.lens[0], 100);
	}
	CHECK_EQ(rpmsg_glink_get_stats(p.lr, &st), 0);
	CHECK_EQ(st.rx_bad, 0);
	gpair_close(&p);
}

/* ---- 4: trysend on a full FIFO ---- */

static void test_trysend_full(bool rpm)
{
	static uint8_t b[200];
	struct rpmsg_glink_stats st;
	struct rpmsg_endpoint *e;
	struct gpair p;
	uint32_t n = 0;
	int r = 0;

	CHECK_EQ(open_pair(&p, rpm ? "tsr" : "tss", rpm, 1024, rpm ? 0 : 16384), 0);
	if (!sm.ch || !sr.ch) {
		gpair_close(&p);
		return;
	}
	checked = false;
	e = rpmsg_channel_ept(sm.ch);
	memset(b, 1, sizeof(b));
	while (n < 10 && (r = rpmsg_trysend(e, b, sizeof(b))) == 0)
		n++;
	CHECK_EQ(r, -EAGAIN);
	CHECK(n >= 3);
	/* It asked the peer to ring once it has read. */
	CHECK_EQ(rpmsg_glink_get_stats(p.lm, &st), 0);
	CHECK(st.read_notifs >= 1);
	gpair_pump(&p, 100);
	CHECK_EQ(sr.got, n);
	CHECK_EQ(rpmsg_trysend(e, b, sizeof(b)), 0);
	gpair_pump(&p, 100);
	CHECK_EQ(sr.got, n + 1);
	CHECK_EQ(rpmsg_glink_get_stats(p.lr, &st), 0);
	CHECK_EQ(st.rx_bad, 0);
	gpair_close(&p);
}

int main(void)
{
	t_timeout(100);
	for (int rpm = 0; rpm < 2; rpm++) {
		test_both_block(rpm);
		test_timeout_fits(rpm);
		test_timeout_larger(rpm);
		test_trysend_full(rpm);
	}
	return t_done();
}
