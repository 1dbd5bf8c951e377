/*
 * SMD in one process, both roles, both channel-info variants: the remote's channels appear
 * on the main CPU's bus once it opens them and drivers bind by name; messages both ways;
 * trysend on a full FIFO, blocking send timing out then succeeding; sizes at the limit;
 * a channel closed and reopened from each side, and reopened by the remote before the main
 * CPU saw the close (the remote waits in RESET until the main CPU has ended the session).
 */
#include <stdlib.h>

#include "spair.h"
#include "testlib.h"

#define FIFO 8192

struct rec {
	int count, probes, removes;
	size_t last_len;
	uint32_t last_src;
	uint8_t last[FIFO];
	struct rpmsg_channel *ch;
};

static struct rec mrec, rrec;

static int rec_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct rec *r = priv;

	(void)ept;
	r->count++;
	r->last_len = len;
	r->last_src = src;
	memcpy(r->last, data, len);
	return 0;
}

static int m_probe(struct rpmsg_channel *ch)
{
	mrec.probes++;
	mrec.ch = ch;
	return 0;
}

static void m_remove(struct rpmsg_channel *ch)
{
	(void)ch;
	mrec.removes++;
	mrec.ch = NULL;
}

static int r_probe(struct rpmsg_channel *ch)
{
	rrec.probes++;
	rrec.ch = ch;
	return 0;
}

static const char *const ids[] = { "DATA1", NULL };
static const char *const rchans[] = { "DATA1", "unopened", NULL };

static void run(bool word)
{
	struct rpmsg_smd_config rc = { .channels = rchans, .edge = 3, .remote_host = 2,
				       .fifo_size = FIFO, .word_info = word };
	struct rpmsg_smd_config mc = { .edge = 3, .remote_host = 2 };
	struct rpmsg_driver mdrv = { .name = "m", .id_table = ids, .probe = m_probe,
				     .remove = m_remove, .callback = rec_cb, .priv = &mrec };
	struct rpmsg_driver rdrv = { .name = "r", .id_table = ids, .probe = r_probe,
				     .callback = rec_cb, .priv = &rrec };
	struct rpmsg_channel_info infos[4];
	struct rpmsg_endpoint *me, *re;
	struct rpmsg_smd_stats st;
	struct spair p;
	uint8_t big[FIFO];
	uint32_t ls, rs;
	int n;

	memset(&mrec, 0, sizeof(mrec));
	memset(&rrec, 0, sizeof(rrec));
	memset(big, 0x5c, sizeof(big));

	/* The remote's driver is there from the start; the main CPU's too. */
	CHECK_EQ(rpmsg_bus_create(&p.br) == 0, 1);
	rpmsg_bus_destroy(p.br);
	CHECK_EQ(spair_open(&p, word ? "smdw" : "smdb", &mc, &rc, 0), 0);
	CHECK_EQ(rpmsg_register_driver(p.bm, &mdrv), 0);
	CHECK_EQ(rpmsg_link_channels(p.lr, infos, 4), 2); /* both exist on the remote */
	CHECK_EQ(rpmsg_register_driver(p.br, &rdrv), 0);   /* binds: the remote opens DATA1 */
	CHECK_EQ(rrec.probes, 1);
	CHECK_EQ(rpmsg_smd_channel_state(p.lr, "DATA1", &ls, &rs), 0);
	CHECK_EQ(ls, RPMSG_SMD_OPENING);
	spair_pump(&p, 20);
	CHECK_EQ(mrec.probes, 1);
	if (!mrec.ch)
		goto out;
	/* Only the opened channel appears on the main side. */
	CHECK_EQ(rpmsg_link_channels(p.lm, infos, 4), 1);
	CHECK(!strcmp(infos[0].name, "DATA1"));
	CHECK_EQ(infos[0].dst, RPMSG_ADDR_ANY);
	CHECK(infos[0].src >= 1024);
	CHECK_EQ(rpmsg_smd_channel_state(p.lm, "DATA1", &ls, &rs), 0);
	CHECK_EQ(ls, RPMSG_SMD_OPENED);
	CHECK_EQ(rpmsg_smd_channel_state(p.lr, "DATA1", &ls, &rs), 0);
	CHECK_EQ(ls, RPMSG_SMD_OPENED);
	CHECK_EQ(rs, RPMSG_SMD_OPENED);
	CHECK_EQ(rpmsg_smd_channel_state(p.lm, "unopened", &ls, &rs), 0);
	CHECK_EQ(rs, RPMSG_SMD_CLOSED);
	CHECK_EQ(rpmsg_smd_channel_state(p.lm, "nope", &ls, &rs), -ENOENT);

	me = rpmsg_channel_ept(mrec.ch);
	re = rpmsg_channel_ept(rrec.ch);
	CHECK_EQ(rpmsg_get_mtu(me), -EOPNOTSUPP);
	CHECK_EQ(rpmsg_send(me, "helo", 4), 0);
	spair_pump(&p, 20);
	CHECK_EQ(rrec.count, 1);
	CHECK_EQ(rrec.last_len, 4);
	CHECK_MEM(rrec.last, "helo", 4);
	CHECK_EQ(rrec.last_src, RPMSG_ADDR_ANY);
	CHECK_EQ(rpmsg_sendto(re, "wrld", 4, 77), 0); /* dst ignored */
	spair_pump(&p, 20);
	CHECK_EQ(mrec.count, 1);
	CHECK_MEM(mrec.last, "wrld", 4);
	CHECK_EQ(mrec.last_src, RPMSG_ADDR_ANY);
	if (word)
		CHECK_EQ(rpmsg_send(me, "abc", 3), -EINVAL);
	else
		CHECK_EQ(rpmsg_send(me, "abc", 3), 0);
	CHECK_EQ(rpmsg_send(me, "", 0), 0); /* an empty packet */
	spair_pump(&p, 20);
	CHECK_EQ(rrec.count, word ? 2 : 3);
	CHECK_EQ(rrec.last_len, 0);

	/* Full FIFO: 100-byte messages take 120 bytes; 8191 usable -> 68 fit. */
	CHECK_EQ(rpmsg_poll_tx(me), 1);
	for (n = 0; n < 1000 && rpmsg_trysend(me, big, 100) == 0; n++)
		;
	CHECK_EQ(n, 68);
	CHECK_EQ(rpmsg_trysend(me, big, 100), -EAGAIN);
	CHECK_EQ(rpmsg_poll_tx(me), 1); /* 31 bytes left: more than a header (Linux's rule) */
	CHECK_EQ(rpmsg_send_timeout(me, rpmsg_ept_addr(me), 0, big, 100, 50), -ETIMEDOUT);
	CHECK_EQ(rpmsg_trysend(me, big, 8), 0); /* 28 bytes still fit */
	rrec.count = 0;
	spair_pump(&p, 20);
	CHECK_EQ(rrec.count, 69);
	CHECK_EQ(rpmsg_send_timeout(me, rpmsg_ept_addr(me), 0, big, 100, 50), 0);
	/* Size limits: FIFO - 1 - 20 is the largest packet. */
	CHECK_EQ(rpmsg_trysend(me, big, FIFO - 20), -EMSGSIZE);
	spair_pump(&p, 20);
	CHECK_EQ(rpmsg_send(me, big, FIFO - 24), 0);
	spair_pump(&p, 20);
	CHECK_EQ(rrec.last_len, FIFO - 24);
	CHECK_MEM(rrec.last, big, FIFO - 24);

	/* Main closes (driver goes), the remote offers the channel again, main reopens. */
	rpmsg_unregister_driver(p.bm, &mdrv);
	CHECK_EQ(rpmsg_smd_channel_state(p.lm, "DATA1", &ls, &rs), 0);
	CHECK_EQ(ls, RPMSG_SMD_CLOSED);
	rpmsg_send(re, "lost", 4); /* may or may not go out: nobody reads it */
	spair_pump(&p, 20);
	CHECK_EQ(rpmsg_smd_channel_state(p.lr, "DATA1", &ls, &rs), 0);
	CHECK_EQ(ls, RPMSG_SMD_OPENING);
	CHECK_EQ(rs, RPMSG_SMD_CLOSED);
	CHECK_EQ(rpmsg_trysend(re, "xxxx", 4), -EAGAIN); /* not open yet */
	mrec.count = 0;
	CHECK_EQ(rpmsg_register_driver(p.bm, &mdrv), 0);
	CHECK_EQ(mrec.probes, 2);
	spair_pump(&p, 20);
	CHECK_EQ(rpmsg_smd_channel_state(p.lr, "DATA1", &ls, &rs), 0);
	CHECK_EQ(ls, RPMSG_SMD_OPENED);
	CHECK_EQ(rs, RPMSG_SMD_OPENED);
	me = rpmsg_channel_ept(mrec.ch);
	CHECK_EQ(rpmsg_send(re, "again!!!", 8), 0);
	CHECK_EQ(rpmsg_send(me, "back", 4), 0);
	spair_pump(&p, 20);
	CHECK_EQ(mrec.count, 1);
	CHECK_MEM(mrec.last, "again!!!", 8);
	CHECK_MEM(rrec.last, "back", 4);

	/* The remote closes: the main CPU's channel goes away, and comes back on reopen. */
	rpmsg_unregister_driver(p.br, &rdrv);
	spair_pump(&p, 20);
	CHECK_EQ(mrec.removes, 2);
	CHECK_EQ(rpmsg_link_channels(p.lm, infos, 4), 0);
	CHECK_EQ(rpmsg_register_driver(p.br, &rdrv), 0);
	spair_pump(&p, 20);
	CHECK_EQ(mrec.probes, 3);
	CHECK_EQ(rpmsg_link_channels(p.lm, infos, 4), 1);
	if (mrec.ch && rrec.ch) {
		CHECK_EQ(rpmsg_send(rpmsg_channel_ept(mrec.ch), "third!!!", 8), 0);
		spair_pump(&p, 20);
		CHECK_MEM(rrec.last, "third!!!", 8);
	}

	/*
	 * The remote closes and reopens before the main CPU looked: it waits in RESET until the
	 * main CPU has ended the old session, so that no stale index is used.
	 */
	rpmsg_unregister_driver(p.br, &rdrv);
	CHECK_EQ(rpmsg_register_driver(p.br, &rdrv), 0);
	CHECK_EQ(rpmsg_smd_channel_state(p.lr, "DATA1", &ls, &rs), 0);
	CHECK_EQ(ls, RPMSG_SMD_RESET);
	CHECK_EQ(rs, RPMSG_SMD_OPENED);
	CHECK_EQ(rpmsg_trysend(rpmsg_channel_ept(rrec.ch), "xxxx", 4), -EPIPE);
	spair_pump(&p, 20);
	CHECK_EQ(mrec.removes, 3);
	CHECK_EQ(mrec.probes, 4);
	CHECK_EQ(rpmsg_smd_channel_state(p.lr, "DATA1", &ls, &rs), 0);
	CHECK_EQ(ls, RPMSG_SMD_OPENED);
	CHECK_EQ(rs, RPMSG_SMD_OPENED);
	if (mrec.ch && rrec.ch) {
		mrec.count = 0;
		CHECK_EQ(rpmsg_send(rpmsg_channel_ept(mrec.ch), "fourth!!", 8), 0);
		CHECK_EQ(rpmsg_send(rpmsg_channel_ept(rrec.ch), "4th back", 8), 0);
		spair_pump(&p, 20);
		CHECK_MEM(rrec.last, "fourth!!", 8);
		CHECK_EQ(mrec.count, 1);
		CHECK_MEM(mrec.last, "4th back", 8);
	}

	/* An endpoint created by name on the main side opens a channel without a driver. */
	{
		struct rpmsg_channel_info i = { .name = "unopened", .src = RPMSG_ADDR_ANY,
						.dst = RPMSG_ADDR_ANY };
		struct rpmsg_channel_info none = { .name = "absent", .src = RPMSG_ADDR_ANY,
						   .dst = RPMSG_ADDR_ANY };
		struct rpmsg_endpoint *e = NULL;

		/* The remote never opens it: open times out (1 s). */
		CHECK_EQ(rpmsg_create_ept(p.lm, &i, rec_cb, &mrec, &e), -ETIMEDOUT);
		CHECK_EQ(rpmsg_create_ept(p.lm, &none, rec_cb, &mrec, &e), -ENOENT);
		CHECK_EQ(rpmsg_smd_channel_state(p.lm, "unopened", &ls, &rs), 0);
		CHECK_EQ(ls, RPMSG_SMD_CLOSED);
	}

	CHECK_EQ(rpmsg_smd_get_stats(p.lm, &st), 0);
	CHECK_EQ(st.rx_bad, 0);
	CHECK_EQ(st.resets, 1); /* the remote's RESET above; its plain closes are not resets */
	CHECK_EQ(st.channels, 2);
	CHECK(st.tx_waits >= 1);
	CHECK_EQ(rpmsg_smd_get_stats(p.lr, &st), 0);
	CHECK_EQ(st.rx_bad, 0);
out:
	spair_close(&p);
}

int main(void)
{
	t_timeout(60);
	run(false);
	run(true);
	return t_done();
}
