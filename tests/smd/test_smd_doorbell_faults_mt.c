/*
 * Doorbell faults on SMD: a main CPU and a remote in one process over POSIX shared memory,
 * each link on a fault platform (tests/faultplat.h), each bus in its own thread. Duplicated
 * and spurious doorbells must be harmless, a lost one must never lose or corrupt a message
 * (the next doorbell brings it), and a sender blocked on a full FIFO whose doorbells were
 * lost must get going again by itself.
 */
#include <stdlib.h>

#include <rpmsg/smd.h>

#include "faultrun.h"

static const char *const names[] = { "faults", NULL };

static struct fr_side sm, sr; /* main CPU, remote */
static struct rpmsg_channel *chm, *chr;

static int probe_m(struct rpmsg_channel *ch) { chm = ch; return 0; }
static int probe_r(struct rpmsg_channel *ch) { chr = ch; return 0; }
static void remove_m(struct rpmsg_channel *ch) { (void)ch; chm = NULL; }
static void remove_r(struct rpmsg_channel *ch) { (void)ch; chr = NULL; }

static const struct rpmsg_driver drv_m = { .name = "m", .id_table = names, .probe = probe_m,
					   .remove = remove_m, .callback = fr_rx, .priv = &sm };
static const struct rpmsg_driver drv_r = { .name = "r", .id_table = names, .probe = probe_r,
					   .remove = remove_r, .callback = fr_rx, .priv = &sr };

int main(void)
{
	struct rpmsg_smd_config mcfg = { .role = RPMSG_SMD_MAIN };
	struct rpmsg_smd_config rcfg = { .role = RPMSG_SMD_REMOTE, .format_smem = true,
					 .channels = names, .fifo_size = 1024 };
	uint64_t seed = faultplat_seed(0x5eed0003);
	struct rpmsg_link *lm = NULL, *lr = NULL;
	struct rpmsg_smd_stats st;
	char name[48];

	setvbuf(stdout, NULL, _IOLBF, 0);
	t_timeout(100);
	sm = (struct fr_side){ .name = "main", .stream = 1, .max = 300, .data_bells = 1u << 0,
			       .send_timeout_ms = 5000 };
	sr = (struct fr_side){ .name = "remote", .stream = 2, .max = 200, .data_bells = 1u << 0,
			       .send_timeout_ms = 5000 };
	fr_link(&sm, &sr);
	fr_pair_open(&sr, &sm, "sfault", 1u << 20, seed, name);
	CHECK_EQ(rpmsg_register_driver(sr.bus, &drv_r), 0);
	CHECK_EQ(rpmsg_register_driver(sm.bus, &drv_m), 0);
	CHECK_EQ(rpmsg_smd_create(sr.bus, faultplat_platform(sr.fp), &rcfg, &lr), 0);
	CHECK_EQ(rpmsg_smd_create(sm.bus, faultplat_platform(sm.fp), &mcfg, &lm), 0);
	for (int i = 0; i < 200 && !chm; i++) {
		rpmsg_bus_poll(sr.bus, 0);
		rpmsg_bus_poll(sm.bus, 5);
	}
	CHECK(chm && chr);
	if (t_failures)
		return t_done();
	sm.ept = rpmsg_channel_ept(chm);
	sr.ept = rpmsg_channel_ept(chr);
	/* The channel opens both ways (OPENING -> OPENED) on the buses' next passes. */
	for (int i = 0; i < 100; i++) {
		rpmsg_bus_poll(sr.bus, 0);
		rpmsg_bus_poll(sm.bus, 1);
	}
	CHECK_EQ(rpmsg_bus_start_thread(sr.bus), 0);
	CHECK_EQ(rpmsg_bus_start_thread(sm.bus), 0);

	/* Every message rings: a single drop waits for the next doorbell, message or bare. */
	fr_run_scenarios(&sm, &sr, 3000, FR_NEXT_BELL);

	CHECK_EQ(rpmsg_smd_get_stats(lm, &st), 0);
	CHECK_EQ(st.rx_bad, 0);
	CHECK_EQ(st.rx_held, 0);
	CHECK_EQ(st.resets, 0);
	CHECK_EQ(rpmsg_smd_get_stats(lr, &st), 0);
	CHECK_EQ(st.rx_bad, 0);
	CHECK_EQ(st.rx_held, 0);

	fr_pair_close(&sm, &sr, name);
	return t_done();
}
