/*
 * GLINK in one process, both roles over POSIX shared memory: version negotiation, a channel
 * the remote opens appearing on the main CPU's bus, default intents, trysend (-EBUSY when
 * no intent fits), flow control through SIGNALS, close by the main CPU and reopen by the
 * remote by name (rpmsg_create_ept, which waits for the main CPU's driver to answer).
 */
#include <stdlib.h>
#include <string.h>

#include <rpmsg/transport.h>

#include "gpair.h"
#include "testlib.h"

static const char *const names[] = { "ch-a", NULL };

struct side {
	struct rpmsg_channel *ch;
	int probes, removes, msgs, flows;
	bool last_pause;
	size_t last_len;
	uint8_t last[64];
};

static struct side sm, sr;

static int cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct side *s = priv;

	(void)ept;
	CHECK_EQ(src, RPMSG_ADDR_ANY);
	s->msgs++;
	s->last_len = len;
	memcpy(s->last, data, len < sizeof(s->last) ? len : sizeof(s->last));
	return 0;
}

static void flow(struct rpmsg_endpoint *ept, bool pause, void *priv)
{
	struct side *s = priv;

	(void)ept;
	s->flows++;
	s->last_pause = pause;
}

static int probe_m(struct rpmsg_channel *ch) { sm.ch = ch; sm.probes++; return 0; }
static void remove_m(struct rpmsg_channel *ch) { (void)ch; sm.ch = NULL; sm.removes++; }
static int probe_r(struct rpmsg_channel *ch) { sr.ch = ch; sr.probes++; return 0; }
static void remove_r(struct rpmsg_channel *ch) { (void)ch; sr.ch = NULL; sr.removes++; }

static const struct rpmsg_driver drv_m = { .name = "m", .id_table = names, .probe = probe_m,
					   .remove = remove_m, .callback = cb, .flowcontrol = flow,
					   .priv = &sm };
static const struct rpmsg_driver drv_r = { .name = "r", .id_table = names, .probe = probe_r,
					   .remove = remove_r, .callback = cb, .flowcontrol = flow,
					   .priv = &sr };

static int app_msgs;
static int app_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept; (void)data; (void)len; (void)src; (void)priv;
	app_msgs++;
	return 0;
}

int main(void)
{
	struct rpmsg_glink_config rc = { .channels = names };
	struct rpmsg_glink_stats st;
	struct gpair p = { 0 };
	struct rpmsg_endpoint *em, *er, *e2;
	struct rpmsg_channel_info info = { .name = "ch-a", .src = RPMSG_ADDR_ANY,
					   .dst = RPMSG_ADDR_ANY };
	uint8_t big[2000];

	t_timeout(60);
	CHECK_EQ(rpmsg_bus_create(&p.bm), 0);
	CHECK_EQ(rpmsg_bus_create(&p.br), 0);
	CHECK_EQ(rpmsg_register_driver(p.bm, &drv_m), 0);
	CHECK_EQ(rpmsg_register_driver(p.br, &drv_r), 0);
	CHECK_EQ(gpair_open(&p, "glbasic", NULL, &rc, 0), 0);
	CHECK_EQ(sr.probes, 1); /* the remote's own channel appears at once */
	gpair_pump(&p, 100);
	CHECK_EQ(sm.probes, 1);
	CHECK(sm.ch && sr.ch);
	if (!sm.ch || !sr.ch)
		return t_done();
	CHECK(rpmsg_link_is_up(p.lm));
	CHECK(rpmsg_link_is_up(p.lr));
	CHECK_EQ(rpmsg_glink_get_stats(p.lm, &st), 0);
	CHECK(st.version_done);
	CHECK_EQ(st.features, 1);
	CHECK_EQ(st.channels, 1);

	em = rpmsg_channel_ept(sm.ch);
	er = rpmsg_channel_ept(sr.ch);
	CHECK_EQ(rpmsg_trysend(em, "hello", 5), 0);
	CHECK_EQ(rpmsg_trysend(er, "world!", 6), 0);
	gpair_pump(&p, 100);
	CHECK_EQ(sr.msgs, 1);
	CHECK_EQ(sr.last_len, 5);
	CHECK_MEM(sr.last, "hello", 5);
	CHECK_EQ(sm.msgs, 1);
	CHECK_MEM(sm.last, "world!", 6);

	/* Five default intents of 1024 bytes: a sixth trysend before RX_DONE finds none free
	 * (-EAGAIN: they come back). One larger than any intent asks the remote for one
	 * (RX_INTENT_REQ) and says -EAGAIN too; a later trysend takes the granted intent. */
	for (int i = 0; i < 5; i++)
		CHECK_EQ(rpmsg_trysend(em, big, 1024), 0);
	CHECK_EQ(rpmsg_trysend(em, big, 10), -EAGAIN);
	CHECK_EQ(rpmsg_trysend(em, big, sizeof(big)), -EAGAIN); /* larger than any intent */
	CHECK_EQ(rpmsg_trysend(em, big, sizeof(big)), -EAGAIN); /* asked, not answered yet */
	gpair_pump(&p, 100);
	CHECK_EQ(sr.msgs, 6);
	CHECK_EQ(rpmsg_trysend(em, big, 10), 0); /* reused */
	CHECK_EQ(rpmsg_trysend(em, big, sizeof(big)), 0); /* the intent it asked for */
	gpair_pump(&p, 100);
	CHECK_EQ(sr.msgs, 8);
	CHECK_EQ(sr.last_len, sizeof(big));
	CHECK_EQ(rpmsg_glink_get_stats(p.lm, &st), 0);
	CHECK_EQ(st.intent_reqs, 1);
	CHECK_EQ(rpmsg_poll_tx(em), 1);

	/* Flow control: the main CPU pauses, the remote's driver hears it. */
	CHECK_EQ(rpmsg_set_flow_control(em, true, 0), 0);
	gpair_pump(&p, 100);
	CHECK_EQ(sr.flows, 1);
	CHECK(sr.last_pause);
	CHECK_EQ(rpmsg_set_flow_control(em, false, 0), 0);
	gpair_pump(&p, 100);
	CHECK_EQ(sr.flows, 2);
	CHECK(!sr.last_pause);
	CHECK_EQ(rpmsg_set_flow_control(er, true, 0), 0);
	gpair_pump(&p, 100);
	CHECK_EQ(sm.flows, 1);
	CHECK(sm.last_pause);

	/* The main CPU lets go: its driver goes, CLOSE; the remote's channel goes too. */
	rpmsg_unregister_driver(p.bm, &drv_m);
	CHECK_EQ(sm.removes, 1);
	gpair_pump(&p, 100);
	CHECK_EQ(sr.removes, 1);
	CHECK_EQ(rpmsg_link_channels(p.lr, NULL, 0), 0);
	CHECK_EQ(rpmsg_link_channels(p.lm, NULL, 0), 0);
	CHECK_EQ(rpmsg_glink_get_stats(p.lm, &st), 0);
	CHECK_EQ(st.channels, 0);
	CHECK_EQ(rpmsg_glink_get_stats(p.lr, &st), 0);
	CHECK_EQ(st.channels, 0);

	/* Reopen from the remote by name; the main CPU's driver comes back and binds it. */
	CHECK_EQ(rpmsg_register_driver(p.bm, &drv_m), 0);
	/* Opening waits for the main CPU's answer: its bus runs in a thread meanwhile. */
	CHECK_EQ(rpmsg_bus_start_thread(p.bm), 0);
	CHECK_EQ(rpmsg_create_ept(p.lr, &info, app_cb, NULL, &e2), 0);
	rpmsg_bus_stop_thread(p.bm);
	gpair_pump(&p, 100);
	CHECK_EQ(sm.probes, 2);
	CHECK(sm.ch != NULL);
	if (sm.ch) {
		CHECK_EQ(rpmsg_trysend(e2, "again", 5), 0);
		CHECK_EQ(rpmsg_trysend(rpmsg_channel_ept(sm.ch), "back", 4), 0);
		gpair_pump(&p, 100);
		CHECK_EQ(app_msgs, 1);
		CHECK_MEM(sm.last, "again", 5);
	}
	rpmsg_destroy_ept(e2);
	gpair_pump(&p, 100);
	CHECK(sm.ch == NULL);

	CHECK_EQ(rpmsg_glink_get_stats(p.lm, &st), 0);
	CHECK_EQ(st.rx_bad, 0);
	CHECK_EQ(rpmsg_glink_get_stats(p.lr, &st), 0);
	CHECK_EQ(st.rx_bad, 0);
	gpair_close(&p);
	return t_done();
}
