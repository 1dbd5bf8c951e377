/*
 * SMD golden bytes: the allocation-table entry, both channel-info variants and the packet
 * header, as encoded and as found in SMEM while a remote and a main CPU open a channel
 * and exchange a packet; and where the items land in a fresh SMEM.
 */
#include <stdlib.h>

#include "memplat.h"
#include "smd/smd_wire.h"
#include "smem/smem.h"
#include "testlib.h"

#include <rpmsg/smd.h>

#define SHM (256u * 1024u)
#define SMEM_BASE 4096u
#define PRIV (12288u + 16384u) /* private partition offset inside SMEM */

static uint8_t shm[SHM] __attribute__((aligned(4096)));

static int cb_count;
static uint8_t cb_data[64];

static int cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept; (void)src; (void)priv;
	cb_count++;
	memcpy(cb_data, data, len < sizeof(cb_data) ? len : sizeof(cb_data));
	return 0;
}

static void test_encoders(void)
{
	static const uint8_t entry[32] = {
		'D', 'A', 'T', 'A', '1', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0x05, 0, 0, 0,          /* cid */
		0x03, 0x02, 0, 0,       /* edge 3 | PACKET */
		0x01, 0, 0, 0,          /* ref_count */
	};
	static const uint8_t hdr[20] = { 0x04, 0x03, 0x02, 0x01, [4 ... 19] = 0 };
	static const uint8_t rec_b[20] = {
		0x02, 0, 0, 0, 1, 1, 1, 0, 1, 0, 1, 1,
		0x10, 0x32, 0, 0, 0x20, 0x43, 0, 0,
	};
	static const uint8_t rec_w[44] = {
		0x02, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,
		1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0,
		0x10, 0x32, 0, 0, 0x20, 0x43, 0, 0,
	};
	struct smd_record r = { { 0 } };
	uint8_t buf[64];

	smd_encode_entry(buf, "DATA1", 5, 3 | SMD_F_PACKET, 1);
	CHECK_MEM(buf, entry, 32);
	smd_encode_entry(buf, "a-name-much-longer-than-nineteen", 0, 0, 0);
	CHECK_EQ(buf[18], '-');
	CHECK_EQ(buf[19], 0); /* at most 19 characters */
	smd_encode_pkt_header(buf, 0x01020304);
	CHECK_MEM(buf, hdr, 20);
	r.v[SMD_STATE] = RPMSG_SMD_OPENED;
	r.v[SMD_DSR] = r.v[SMD_CTS] = r.v[SMD_CD] = 1;
	r.v[SMD_HEAD_F] = 1;
	r.v[SMD_STATE_F] = 1;
	r.v[SMD_BLOCK_F] = 1;
	r.v[SMD_TAIL] = 0x3210;
	r.v[SMD_HEAD] = 0x4320;
	smd_encode_record(buf, &r, false);
	CHECK_MEM(buf, rec_b, 20);
	smd_encode_record(buf, &r, true);
	CHECK_MEM(buf, rec_w, 44);
}

/* Remote and main CPU over one buffer; word selects the info variant. */
static void test_live(bool word)
{
	static const char *const chans[] = { "DATA1", NULL };
	struct rpmsg_platform pr = memplat(shm, SHM, 0), pm = memplat(shm, SHM, 1);
	struct rpmsg_smd_config rc = { .role = RPMSG_SMD_REMOTE, .format_smem = true, .edge = 3,
				       .remote_host = 2, .fifo_size = 1024, .word_info = word,
				       .channels = chans };
	struct rpmsg_smd_config mc = { .role = RPMSG_SMD_MAIN, .edge = 3, .remote_host = 2 };
	struct rpmsg_channel_info info = { .name = "DATA1", .src = RPMSG_ADDR_ANY,
					   .dst = RPMSG_ADDR_ANY };
	struct rpmsg_bus *br, *bm;
	struct rpmsg_link *lr, *lm;
	struct rpmsg_endpoint *er = NULL, *em = NULL;
	uint8_t *priv = shm + SMEM_BASE + PRIV, *table, *inf, *fifo, want[88];
	unsigned rs = word ? 44 : 20; /* record size */
	struct smd_record r;
	struct smem sm;
	void *p;
	size_t sz;

	memset(shm, 0xEE, sizeof(shm));
	cb_count = 0;
	CHECK_EQ(rpmsg_bus_create(&br), 0);
	CHECK_EQ(rpmsg_bus_create(&bm), 0);
	CHECK_EQ(rpmsg_smd_create(br, &pr, &rc, &lr), 0);

	/* Items in the private partition, in allocation order: table, info, FIFO. */
	table = priv + 48;
	inf = table + 2048 + 16;
	fifo = inf + 2 * rs + 16;
	CHECK_EQ(smem_attach(&sm, shm + SMEM_BASE, SHM - SMEM_BASE,
			     (_Atomic uint32_t *)(void *)(shm + 12), 0), 0);
	CHECK_EQ(smem_get(&sm, 2, 13, &p, &sz), 0);
	CHECK(p == table);
	CHECK_EQ(sz, 2048);
	CHECK_EQ(smem_get(&sm, 2, 14, &p, &sz), 0);
	CHECK(p == inf);
	CHECK_EQ(sz, 2 * rs);
	CHECK_EQ(smem_get(&sm, 2, 338, &p, &sz), 0);
	CHECK(p == fifo);
	CHECK_EQ(sz, 2048);
	CHECK_EQ(smem_get(&sm, 2, 266, &p, &sz), -ENOENT); /* table 1 unused */

	smd_encode_entry(want, "DATA1", 0, 3 | SMD_F_PACKET, 1);
	CHECK_MEM(table, want, 32);
	CHECK_EQ(table[32 + 28], 0); /* the next entry is free */

	/* Both records fresh and closed. */
	memset(&r, 0, sizeof(r));
	r.v[SMD_BLOCK_F] = 1;
	smd_encode_record(want, &r, word);
	CHECK_MEM(inf, want, rs);
	CHECK_MEM(inf + rs, want, rs);

	/* The remote opens: OPENING in its record (the second), fSTATE up. */
	CHECK_EQ(rpmsg_create_ept(lr, &info, cb, NULL, &er), 0);
	r.v[SMD_STATE] = RPMSG_SMD_OPENING;
	r.v[SMD_STATE_F] = 1;
	smd_encode_record(want, &r, word);
	CHECK_MEM(inf + rs, want, rs);

	/* The main CPU finds it and opens: OPENED at once, signals up. */
	CHECK_EQ(rpmsg_smd_create(bm, &pm, &mc, &lm), 0);
	CHECK_EQ(rpmsg_create_ept(lm, &info, cb, NULL, &em), 0);
	r.v[SMD_STATE] = RPMSG_SMD_OPENED;
	r.v[SMD_DSR] = r.v[SMD_CTS] = r.v[SMD_CD] = 1;
	smd_encode_record(want, &r, word);
	CHECK_MEM(inf, want, rs);

	/* A packet from the main CPU: header + payload in the first FIFO half, head moved. */
	CHECK_EQ(rpmsg_send(em, "hi!!", 4), 0);
	smd_encode_pkt_header(want, 4);
	memcpy(want + 20, "hi!!", 4);
	CHECK_MEM(fifo, want, 24);
	r.v[SMD_HEAD] = 24;
	r.v[SMD_HEAD_F] = 1;
	smd_encode_record(want, &r, word);
	CHECK_MEM(inf, want, rs);

	/* The remote reads it: our tail = 24, fTAIL up, fHEAD and fSTATE cleared; it is OPENED. */
	rpmsg_bus_poll(br, 0);
	CHECK_EQ(cb_count, 1);
	CHECK_MEM(cb_data, "hi!!", 4);
	r.v[SMD_TAIL] = 24;
	r.v[SMD_TAIL_F] = 1;
	r.v[SMD_HEAD_F] = 0;
	r.v[SMD_STATE_F] = 0;
	smd_encode_record(want, &r, word);
	CHECK_MEM(inf, want, rs);
	memset(&r, 0, sizeof(r));
	r.v[SMD_STATE] = RPMSG_SMD_OPENED;
	r.v[SMD_DSR] = r.v[SMD_CTS] = r.v[SMD_CD] = 1;
	r.v[SMD_STATE_F] = 1;
	r.v[SMD_BLOCK_F] = 1;
	smd_encode_record(want, &r, word);
	CHECK_MEM(inf + rs, want, rs);

	/*
	 * Close from the main CPU: its record back to the reset values, except the tail that
	 * the remote owns (it zeroes it in its own reset, once it sees us closed).
	 */
	rpmsg_destroy_ept(em);
	memset(&r, 0, sizeof(r));
	r.v[SMD_STATE_F] = 1;
	r.v[SMD_BLOCK_F] = 1;
	r.v[SMD_TAIL] = 24;
	smd_encode_record(want, &r, word);
	CHECK_MEM(inf, want, rs);
	/* The remote resets (tail 0) and offers the channel again (OPENING). */
	rpmsg_bus_poll(br, 0);
	r.v[SMD_TAIL] = 0;
	r.v[SMD_STATE_F] = 0;
	smd_encode_record(want, &r, word);
	CHECK_MEM(inf, want, rs);
	memset(&r, 0, sizeof(r));
	r.v[SMD_STATE] = RPMSG_SMD_OPENING;
	r.v[SMD_STATE_F] = 1;
	r.v[SMD_BLOCK_F] = 1;
	smd_encode_record(want, &r, word);
	CHECK_MEM(inf + rs, want, rs);

	rpmsg_bus_destroy(bm);
	rpmsg_bus_destroy(br);
}

int main(void)
{
	t_timeout(30);
	test_encoders();
	test_live(false);
	test_live(true);
	return t_done();
}
