/*
 * Doorbell faults on GLINK, SMEM (intents) and RPM (intentless) flavours: a main CPU and a
 * remote in one process over POSIX shared memory, each link on a fault platform
 * (tests/faultplat.h), each bus in its own thread. Duplicated and spurious doorbells must be
 * harmless, a lost one must never lose or corrupt a message (the next doorbell brings it),
 * and a sender blocked on a full FIFO (or, SMEM, on intents) whose doorbells were lost must
 * get going again by itself.
 */
#include <stdlib.h>

#include <rpmsg/glink.h>

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

static void run(enum rpmsg_glink_flavour flavour, uint64_t seed)
{
	struct rpmsg_glink_config mcfg = { .role = RPMSG_GLINK_MAIN, .flavour = flavour };
	struct rpmsg_glink_config rcfg = { .role = RPMSG_GLINK_REMOTE, .flavour = flavour,
					   .format_smem = true, .channels = names,
					   .fifo_size = flavour == RPMSG_GLINK_RPM ? 2048 : 4096 };
	struct rpmsg_link *lm = NULL, *lr = NULL;
	struct rpmsg_glink_stats st;
	int fails = t_failures;
	char name[48];

	printf("-- glink, %s\n", flavour == RPMSG_GLINK_RPM ? "RPM" : "SMEM");
	sm = (struct fr_side){ .name = "main", .stream = 1, .max = 300, .data_bells = 1u << 0,
			       .send_timeout_ms = 5000 };
	sr = (struct fr_side){ .name = "remote", .stream = 2, .max = 500, .data_bells = 1u << 0,
			       .send_timeout_ms = 5000 };
	chm = chr = NULL;
	fr_link(&sm, &sr);
	fr_pair_open(&sr, &sm, "gfault", flavour == RPMSG_GLINK_RPM ? 16384 : (1u << 20), seed,
		     name);
	CHECK_EQ(rpmsg_register_driver(sr.bus, &drv_r), 0);
	CHECK_EQ(rpmsg_register_driver(sm.bus, &drv_m), 0);
	CHECK_EQ(rpmsg_glink_create(sr.bus, faultplat_platform(sr.fp), &rcfg, &lr), 0);
	CHECK_EQ(rpmsg_glink_create(sm.bus, faultplat_platform(sm.fp), &mcfg, &lm), 0);
	for (int i = 0; i < 200 && !chm; i++) {
		rpmsg_bus_poll(sr.bus, 0);
		rpmsg_bus_poll(sm.bus, 5);
	}
	CHECK(chm && chr);
	if (t_failures != fails)
		exit(t_done());
	sm.ept = rpmsg_channel_ept(chm);
	sr.ept = rpmsg_channel_ept(chr);
	CHECK_EQ(rpmsg_bus_start_thread(sr.bus), 0);
	CHECK_EQ(rpmsg_bus_start_thread(sm.bus), 0);

	/* Every message rings: a single drop waits for the next doorbell, message or bare. */
	fr_run_scenarios(&sm, &sr, 3000, FR_NEXT_BELL);

	/*
	 * Every blocking send succeeded (the scenarios check that). SMEM: no request was even
	 * refused: a sender uses the intent it asked for and a receiver releases delivered-late
	 * messages before it would refuse, so the 32 slots per channel never fill up.
	 */
	CHECK_EQ(rpmsg_glink_get_stats(lm, &st), 0);
	CHECK_EQ(st.rx_bad, 0);
	printf("main: %" PRIu64 " intent requests, %" PRIu64 " refused\n", st.intent_reqs,
	       st.intent_refused);
	CHECK_EQ(st.intent_refused, 0);
	CHECK_EQ(rpmsg_glink_get_stats(lr, &st), 0);
	CHECK_EQ(st.rx_bad, 0);
	printf("remote: %" PRIu64 " intent requests, %" PRIu64 " refused\n", st.intent_reqs,
	       st.intent_refused);
	CHECK_EQ(st.intent_refused, 0);
	CHECK(rpmsg_link_is_up(lm) && rpmsg_link_is_up(lr));

	fr_pair_close(&sm, &sr, name);
}

int main(void)
{
	uint64_t seed = faultplat_seed(0x5eed0002);

	setvbuf(stdout, NULL, _IOLBF, 0);
	t_timeout(100);
	run(RPMSG_GLINK_SMEM, seed);
	run(RPMSG_GLINK_RPM, seed + 10);
	return t_done();
}
