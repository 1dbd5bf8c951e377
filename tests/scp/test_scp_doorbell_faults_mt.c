/*
 * Doorbell faults on SCP: an AP and an SCP in one process over POSIX shared memory, each
 * link on a fault platform (tests/faultplat.h), each bus in its own thread. Duplicated and
 * spurious doorbells (both bells: IPC and "slot taken") must be harmless, a lost one must
 * never lose or corrupt a message (the next doorbell brings it), and a sender waiting for
 * the slot behind a message whose doorbell was lost must get going again by itself.
 * Then acks (ack_timeout_ms): a lost ack doorbell, and a lost doorbell of the message
 * itself, which ends in the documented -ETIMEDOUT; the link keeps working afterwards.
 */
#include <stdlib.h>

#include <rpmsg/scp.h>

#include "faultrun.h"

#define ID 20
#define BELL_IPC 0u /* scp.h: bell 0 is the IPC interrupt, bell 1 "slot taken" */

static const char *const ids[] = { "faults", NULL };

static struct fr_side sh, sr; /* AP (host), SCP (remote) */
static struct rpmsg_channel *chh, *chr;
static atomic_bool echo;      /* the SCP answers every message (the ack); read by the bus threads */
static _Atomic uint32_t echoes, echo_bad;

static int probe_h(struct rpmsg_channel *ch) { chh = ch; return 0; }
static int probe_r(struct rpmsg_channel *ch) { chr = ch; return 0; }
static void remove_h(struct rpmsg_channel *ch) { (void)ch; chh = NULL; }
static void remove_r(struct rpmsg_channel *ch) { (void)ch; chr = NULL; }

/* AP: the SCP's stream, or with echo on, the echoes of our own messages, in order. */
static int rx_h(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	if (!atomic_load(&echo))
		return fr_rx(ept, data, len, src, priv);
	if (fault_msg_check(data, len, sh.max, sh.stream) != (long)atomic_load(&echoes))
		atomic_fetch_add(&echo_bad, 1);
	atomic_fetch_add(&echoes, 1);
	return 0;
}

/* SCP: check it; with echo on, send it back from the callback (never waits: queued). */
static int rx_r(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	fr_rx(ept, data, len, src, priv);
	if (atomic_load(&echo) && rpmsg_send(ept, data, len))
		atomic_fetch_add(&echo_bad, 1);
	return 0;
}

static const struct rpmsg_driver drv_h = { .name = "ap", .id_table = ids, .probe = probe_h,
					   .remove = remove_h, .callback = rx_h, .priv = &sh };
static const struct rpmsg_driver drv_r = { .name = "scp", .id_table = ids, .probe = probe_r,
					   .remove = remove_r, .callback = rx_r, .priv = &sr };

static bool echoes_done(uint32_t want, int ms)
{
	uint64_t end = fr_now_ms() + (uint64_t)ms;

	while (atomic_load(&echoes) < want && fr_now_ms() < end)
		fr_sleep_ms(1);
	return atomic_load(&echoes) == want;
}

/* Acks: the AP's blocking sends wait for the SCP's echo. */
static struct rpmsg_link *lh, *lr;

static void acks(void)
{
	struct faultplat_cfg cfg = { .dup_pm = 300, .drop_pm = 100, .spurious_pm = 100 };
	struct rpmsg_scp_stats st0, st1;
	uint64_t t0, dt;
	int ret, errs = 0, timeouts = 0;

	fr_sleep_ms(30);
	atomic_store(&echo, true);
	atomic_store(&echoes, sh.sent);

	/* A lost ack doorbell (SCP -> AP): the waiting sender reads the status register
	 * every slice, so the ack is taken anyway, long before ack_timeout_ms. */
	faultplat_set(sr.fp, &(struct faultplat_cfg){ .bells = 1u << BELL_IPC });
	faultplat_script(sr.fp, "x");
	t0 = fr_now_ms();
	ret = fr_send_one(&sh, 5000);
	dt = fr_now_ms() - t0;
	printf("ack: lost ack doorbell: send %d after %" PRIu64 " ms\n", ret, dt);
	CHECK_EQ(ret, 0);
	CHECK(dt < 300);
	CHECK_EQ(faultplat_script_left(sr.fp), 0);
	faultplat_set(sr.fp, &(struct faultplat_cfg){ 0 });
	CHECK(echoes_done(sh.sent, 2000));
	fr_check_stream(&sh, "ack, lost ack doorbell");

	/* A lost doorbell of the message itself (AP -> SCP): the SCP never hears of it, no
	 * ack comes: -ETIMEDOUT after ack_timeout_ms (the message stays accepted in the
	 * slot). The next send finds the slot still busy, rings again and goes out after it:
	 * both arrive once, in order, and both are answered. */
	fr_sleep_ms(30);
	CHECK_EQ(rpmsg_scp_get_stats(lh, &st0), 0);
	faultplat_set(sh.fp, &(struct faultplat_cfg){ .bells = 1u << BELL_IPC });
	faultplat_script(sh.fp, "x");
	t0 = fr_now_ms();
	ret = fr_send_one(&sh, 5000);
	dt = fr_now_ms() - t0;
	faultplat_set(sh.fp, &(struct faultplat_cfg){ 0 });
	printf("ack: lost message doorbell: send %d after %" PRIu64 " ms\n", ret, dt);
	CHECK_EQ(rpmsg_scp_get_stats(lh, &st1), 0);
	if (ret == 0) {
		/* The SCP was awake anyway (a loaded or emulated machine) and took the message
		 * without its doorbell: no failure, delivery is checked below either way. */
		printf("ack: the SCP was awake: acked without the doorbell\n");
	} else {
		CHECK_EQ(ret, -ETIMEDOUT);
		CHECK(dt >= 290 && dt < 2000);
		CHECK_EQ(st1.ack_timeouts, st0.ack_timeouts + 1);
		sh.sent++; /* it was accepted: it is still to arrive, before the next */
	}
	t0 = fr_now_ms();
	ret = fr_send_one(&sh, 5000);
	printf("ack: the next send: %d after %" PRIu64 " ms\n", ret, fr_now_ms() - t0);
	CHECK_EQ(ret, 0);
	CHECK(fr_wait_delivered(&sh, 2000));
	fr_check_stream(&sh, "ack, lost message doorbell");
	CHECK(echoes_done(sh.sent, 2000));

	/* The same through the raw IPI send: Linux's -EIO, then the link works on. */
	fr_sleep_ms(30);
	{
		uint8_t buf[RPMSG_SCP_SHARE_BUF_SIZE];
		size_t len = fault_msg_fill(buf, sh.max, sh.stream, sh.sent);

		faultplat_set(sh.fp, &(struct faultplat_cfg){ .bells = 1u << BELL_IPC });
		faultplat_script(sh.fp, "x");
		ret = rpmsg_scp_ipi_send(lh, ID, buf, len, 100);
		if (ret == 0) /* as above: the SCP was awake anyway */
			printf("ipi send: the SCP was awake: acked without the doorbell\n");
		else
			CHECK_EQ(ret, -EIO);
		faultplat_set(sh.fp, &(struct faultplat_cfg){ 0 });
		sh.sent++;
		CHECK_EQ(fr_send_one(&sh, 5000), 0);
		CHECK(fr_wait_delivered(&sh, 2000));
		fr_check_stream(&sh, "ipi send, lost message doorbell");
		CHECK(echoes_done(sh.sent, 2000));
	}

	/* Random faults, one way with acks: every send acked or timed out, never hung; what
	 * was sent arrives once, in order, and is answered once, in order. */
	faultplat_set(sh.fp, &cfg);
	faultplat_set(sr.fp, &cfg);
	for (int i = 0; i < 300; i++) {
		ret = fr_send_one(&sh, 5000);
		if (ret == -ETIMEDOUT) {
			sh.sent++; /* accepted, not acked in time */
			timeouts++;
		} else if (ret) {
			errs++;
		}
	}
	faultplat_set(sh.fp, &(struct faultplat_cfg){ 0 });
	faultplat_set(sr.fp, &(struct faultplat_cfg){ 0 });
	faultplat_release(sh.fp);
	faultplat_release(sr.fp);
	faultplat_ring(sh.fp, BELL_IPC);
	faultplat_ring(sr.fp, BELL_IPC);
	printf("ack, random: 300 sends, %d ack timeouts, %d other errors\n", timeouts, errs);
	CHECK_EQ(errs, 0);
	CHECK(fr_wait_delivered(&sh, 3000));
	fr_check_stream(&sh, "ack, random");
	CHECK(echoes_done(sh.sent, 3000));
	CHECK_EQ(atomic_load(&echoes), sh.sent);
	CHECK_EQ(atomic_load(&echo_bad), 0);
	atomic_store(&echo, false);
}

static char shm_name[48];

static void open_pair(int ack_ms, uint64_t seed)
{
	struct rpmsg_scp_config hcfg = { .role = RPMSG_SCP_HOST, .ack_timeout_ms = ack_ms };
	struct rpmsg_scp_config rcfg = { .role = RPMSG_SCP_REMOTE };
	struct rpmsg_channel_info ci = { .name = "faults", .src = ID, .dst = RPMSG_ADDR_ANY };

	sh = (struct fr_side){ .name = "ap", .stream = 1, .max = RPMSG_SCP_SHARE_BUF_SIZE,
			       .data_bells = 1u << BELL_IPC, .send_timeout_ms = 5000 };
	sr = (struct fr_side){ .name = "scp", .stream = 2, .max = 200,
			       .data_bells = 1u << BELL_IPC, .send_timeout_ms = 5000 };
	fr_link(&sh, &sr);
	chh = chr = NULL;
	fr_pair_open(&sh, &sr, "scpfault", 64 * 1024, seed, shm_name);
	CHECK_EQ(rpmsg_register_driver(sh.bus, &drv_h), 0);
	CHECK_EQ(rpmsg_register_driver(sr.bus, &drv_r), 0);
	CHECK_EQ(rpmsg_scp_create(sh.bus, faultplat_platform(sh.fp), &hcfg, &lh), 0);
	CHECK_EQ(rpmsg_scp_create(sr.bus, faultplat_platform(sr.fp), &rcfg, &lr), 0);
	CHECK_EQ(rpmsg_create_channel(lr, &ci, NULL), 0);
	for (int i = 0; i < 200 && !chh; i++) {
		rpmsg_bus_poll(sr.bus, 0);
		rpmsg_bus_poll(sh.bus, 5);
	}
	CHECK(chh && chr);
	if (t_failures)
		exit(t_done());
	sh.ept = rpmsg_channel_ept(chh);
	sr.ept = rpmsg_channel_ept(chr);
	CHECK_EQ(rpmsg_bus_start_thread(sh.bus), 0);
	CHECK_EQ(rpmsg_bus_start_thread(sr.bus), 0);
}

static void close_pair(void)
{
	struct rpmsg_scp_stats st;

	CHECK_EQ(rpmsg_scp_get_stats(lh, &st), 0);
	CHECK_EQ(st.rx_bad + st.ns_bad + st.rx_dropped + st.watchdogs + st.reinits, 0);
	CHECK_EQ(rpmsg_scp_get_stats(lr, &st), 0);
	CHECK_EQ(st.rx_bad + st.ns_bad + st.rx_dropped, 0);
	CHECK(rpmsg_link_is_up(lh) && rpmsg_link_is_up(lr));
	fr_pair_close(&sh, &sr, shm_name);
}

int main(void)
{
	uint64_t seed = faultplat_seed(0x5eed0004);

	setvbuf(stdout, NULL, _IOLBF, 0);
	t_timeout(100);

	/* No acks: messages both ways. Every message rings: a single drop waits for the next
	 * doorbell, message or bare. The next message waits for the slot first, and rings
	 * again (wait_slot) to get it. */
	open_pair(0, seed);
	fr_run_scenarios(&sh, &sr, 1000, FR_NEXT_BELL);
	close_pair();

	/* The AP's sends wait for the SCP's answer (ack_timeout_ms). */
	open_pair(300, seed + 10);
	acks();
	close_pair();
	return t_done();
}
