/*
 * A hostile (or crashed, or buggy) remote: corruptions of everything the device side writes
 * (used rings, message headers, name-service payloads, the status byte, the resource table
 * of a restarted remote). The main CPU side (the driver) must detect each one: count it in
 * rx_bad and keep working, or take the link down cleanly (channels removed, status FAILED)
 * until the remote restarts; it must never read or write outside the shared block
 * (heap-allocated: ASan watches its edges), hang or leak, and the other pair on the same
 * buses keeps serving (checked after every case).
 */
#include "hostile.h"

static int ncases;
static uint8_t msg[64];

/* ---- helpers ---- */

/* The device sends one message to the driver's endpoint; nothing polled. Returns the used
 * slot it went into. */
static unsigned dev_send(size_t len)
{
	uint32_t v0 = ring_base(0);

	CHECK_EQ(rpmsg_trysendto(H.ev, msg, len, 1024), 0);
	return (uint16_t)(rd16(v0 + R_USED_IDX) - 1) & (H_NUM - 1);
}

/* Where the payload of a used element's buffer is (its descriptor, written by the driver). */
static uint32_t used_buf(unsigned slot)
{
	uint32_t v0 = ring_base(0), id = rd32(v0 + R_USED_ELEM(slot));

	return rd32(v0 + R_DESC(id));
}

/* The driver must have taken the link down as FAILED; a restarted remote brings it back. */
static void expect_fault_then_restart(uint64_t bad0, int nd)
{
	struct vio_diag d = diag(H.ld);

	CHECK(!rpmsg_link_is_up(H.ld));
	CHECK_EQ(d.faults, 1);
	CHECK_EQ(d.status, 0x83); /* FAILED | DRIVER | ACKNOWLEDGE */
	CHECK(rx_bad(H.ld) > bad0);
	CHECK_EQ(removes, 1);     /* the announced channel went, its driver saw remove */
	CHECK_EQ(H.cd.n, nd);
	CHECK_EQ(rpmsg_trysendto(H.ed, msg, 4, 1024), -ENOTCONN);
	CHECK(works(&G)); /* the other link on the same buses, while H is down */
	pump_dev();
	CHECK(!rpmsg_link_is_up(H.lv)); /* our device followed the reset */
	CHECK_EQ(dev_restart(), 0);
	CHECK(rpmsg_link_is_up(H.ld));
	CHECK_EQ(probes, 2);
	CHECK(works(&H));
	CHECK_EQ(diag(H.ld).ups, 2);
}

/* The bad message was counted and dropped; the link keeps working. */
static void expect_dropped(uint64_t bad0, int nd)
{
	CHECK_EQ(rx_bad(H.ld), bad0 + 1);
	CHECK_EQ(H.cd.n, nd);
	CHECK(rpmsg_link_is_up(H.ld));
	CHECK_EQ(diag(H.ld).downs, 0);
	CHECK(works(&H));
}

/* ---- vq0 used ring (messages to us) ---- */

static void used_idx_jump(void)
{
	uint64_t bad = rx_bad(H.ld);
	int nd = H.cd.n;
	uint32_t v0 = ring_base(0);

	dev_send(8);
	wr16(v0 + R_USED_IDX, (uint16_t)(rd16(v0 + R_USED_IDX) + 100));
	pump_drv();
	expect_fault_then_restart(bad, nd);
}

static void used_idx_backwards(void)
{
	uint64_t bad = rx_bad(H.ld);
	int nd = H.cd.n;
	uint32_t v0 = ring_base(0);

	wr16(v0 + R_USED_IDX, (uint16_t)(rd16(v0 + R_USED_IDX) - 2));
	pump_drv();
	expect_fault_then_restart(bad, nd);
}

static void used_id_out_of_range(void)
{
	uint64_t bad = rx_bad(H.ld);
	int nd = H.cd.n;

	wr32(ring_base(0) + R_USED_ELEM(dev_send(8)), H_NUM);
	pump_drv();
	expect_fault_then_restart(bad, nd);
}

static void used_id_huge(void)
{
	uint64_t bad = rx_bad(H.ld);
	int nd = H.cd.n;

	wr32(ring_base(0) + R_USED_ELEM(dev_send(8)), 0xffffffffu);
	pump_drv();
	expect_fault_then_restart(bad, nd);
}

static void used_id_not_in_flight(void)
{
	uint64_t bad = rx_bad(H.ld);
	int nd = H.cd.n;

	/* 4 RX buffers: ids 4..7 were never handed to the device on vq0. */
	wr32(ring_base(0) + R_USED_ELEM(dev_send(8)), 6);
	pump_drv();
	expect_fault_then_restart(bad, nd);
}

static void used_id_duplicate(void)
{
	uint64_t bad = rx_bad(H.ld);
	int nd = H.cd.n;
	unsigned s1 = dev_send(8), s2 = dev_send(8);
	uint32_t v0 = ring_base(0);

	wr32(v0 + R_USED_ELEM(s2), rd32(v0 + R_USED_ELEM(s1)));
	pump_drv();
	/* The first is a good message: delivered once; the second names the same buffer. */
	expect_fault_then_restart(bad, nd + 1);
}

static void used_len_huge(void)
{
	uint64_t bad = rx_bad(H.ld);
	int nd = H.cd.n;

	wr32(ring_base(0) + R_USED_ELEM(dev_send(8)) + 4, 0x10000);
	pump_drv();
	expect_dropped(bad, nd);
}

static void used_len_zero(void)
{
	uint64_t bad = rx_bad(H.ld);
	int nd = H.cd.n;

	wr32(ring_base(0) + R_USED_ELEM(dev_send(8)) + 4, 0);
	pump_drv();
	expect_dropped(bad, nd);
}

static void used_len_below_header_len(void)
{
	uint64_t bad = rx_bad(H.ld);
	int nd = H.cd.n;

	/* Header says 40 bytes of payload; the used length covers 10 of them. */
	wr32(ring_base(0) + R_USED_ELEM(dev_send(40)) + 4, 16 + 10);
	pump_drv();
	expect_dropped(bad, nd);
}

static void header_len_huge(void)
{
	uint64_t bad = rx_bad(H.ld);
	int nd = H.cd.n;

	wr16(used_buf(dev_send(17)) + 12, 0xffff);
	pump_drv();
	expect_dropped(bad, nd);
}

static void header_len_zero(void)
{
	uint64_t bad = rx_bad(H.ld);
	int nd = H.cd.n;

	/* Not an error: an empty message is legal. Delivered with length 0. */
	wr16(used_buf(dev_send(17)) + 12, 0);
	pump_drv();
	CHECK_EQ(H.cd.n, nd + 1);
	CHECK_EQ(H.cd.last_len, 0);
	CHECK_EQ(rx_bad(H.ld), bad);
	CHECK(works(&H));
}

static void header_rewritten_during_delivery(void)
{
	uint64_t bad = rx_bad(H.ld);
	int nd = H.cd.n;
	uint32_t buf = used_buf(dev_send(17));

	/* dst of a message nobody listens to: dropped, not bad */
	wr32(buf + 4, 4242);
	pump_drv();
	CHECK_EQ(H.cd.n, nd);
	CHECK_EQ(rx_bad(H.ld), bad);
	CHECK(works(&H));
}

/* ---- vq1 used ring (our transmit buffers coming back) ---- */

/* Send until the driver must take its buffers back from the used ring. */
static void exhaust_fresh_tx(void)
{
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(rpmsg_trysendto(H.ed, msg, 8, 1024), 0);
		pump();
	}
}

static int send_until_error(void)
{
	int r = 0;

	for (int i = 0; i < 10 && !r; i++)
		r = rpmsg_trysendto(H.ed, msg, 8, 1024);
	return r;
}

#define NOT_IN_FLIGHT UINT32_MAX /* send_with_used_id: a head the driver holds */

/*
 * The driver takes transmit buffers back only when it runs out, all at once. So: send
 * until it has none (the device returns none meanwhile), then publish one used entry with
 * this id, as a hostile device would; the next send reads it.
 */
static int send_with_used_id(uint32_t id)
{
	uint32_t v1 = ring_base(1);
	uint16_t idx;
	int r = 0;

	for (int i = 0; i < 2 * H_NUM && !r; i++)
		r = rpmsg_trysendto(H.ed, msg, 8, 1024);
	if (r != -ENOMEM)
		return r ? r : -EALREADY;
	if (id == NOT_IN_FLIGHT) {
		/* The 4 transmit buffers live in descriptors 0-3 for good: 4 was never posted. */
		CHECK_EQ(rd16(v1 + R_AVAIL_RING((uint16_t)(rd16(v1 + R_AVAIL_IDX) - 1) & (H_NUM - 1))) < 4, 1);
		id = 4;
	}
	idx = rd16(v1 + R_USED_IDX);
	wr32(v1 + R_USED_ELEM(idx & (H_NUM - 1)), id);
	wr32(v1 + R_USED_ELEM(idx & (H_NUM - 1)) + 4, 8);
	wr16(v1 + R_USED_IDX, (uint16_t)(idx + 1));
	return send_until_error();
}

static void tx_used_idx_jump(void)
{
	uint64_t bad = rx_bad(H.ld);
	int nd = H.cd.n;
	uint32_t v1 = ring_base(1);

	exhaust_fresh_tx();
	wr16(v1 + R_USED_IDX, (uint16_t)(rd16(v1 + R_USED_IDX) + 1000));
	CHECK_EQ(send_until_error(), -EIO);
	pump_drv();
	expect_fault_then_restart(bad, nd);
}

static void tx_used_id_out_of_range(void)
{
	uint64_t bad = rx_bad(H.ld);
	int nd = H.cd.n;

	exhaust_fresh_tx();
	CHECK_EQ(send_with_used_id(0x99), -EIO);
	pump_drv();
	expect_fault_then_restart(bad, nd);
}

static void tx_used_id_not_in_flight(void)
{
	uint64_t bad = rx_bad(H.ld);
	int nd = H.cd.n;

	exhaust_fresh_tx();
	/* 4 TX buffers, all with the device once the driver runs out: a used entry naming a
	 * descriptor in range that the driver never posted. */
	CHECK_EQ(send_with_used_id(NOT_IN_FLIGHT), -EIO);
	pump_drv();
	expect_fault_then_restart(bad, nd);
}

/* ---- name service (payloads to address 53) ---- */

static void ns_send(const char *name, size_t namelen, uint32_t addr, uint32_t flags, size_t len)
{
	uint8_t m[48] = { 0 };

	memcpy(m, name, namelen);
	put_le32(m + 32, addr);
	put_le32(m + 36, flags);
	CHECK_EQ(rpmsg_trysendto(H.ev, m, len, RPMSG_NS_ADDR), 0);
	pump();
}

static void ns_bad(const char *name, uint32_t addr, size_t len)
{
	uint64_t bad = rx_bad(H.ld);
	int before = rpmsg_link_channels(H.ld, NULL, 0);

	ns_send(name, strlen(name), addr, 0, len);
	CHECK_EQ(rx_bad(H.ld), bad + 1);
	CHECK_EQ(rpmsg_link_channels(H.ld, NULL, 0), before);
	CHECK(works(&H));
}

static void ns_short(void) { ns_bad("x1", 2000, 39); }
static void ns_long(void) { ns_bad("x2", 2000, 41); }
static void ns_empty_name(void) { ns_bad("", 2000, 40); }
static void ns_addr_any(void) { ns_bad("x3", RPMSG_ADDR_ANY, 40); }

static void ns_unterminated_name(void)
{
	struct rpmsg_channel_info infos[4];
	int n;

	/* Tolerated as Linux does: the name is cut at 31 characters, nothing read past 40. */
	ns_send("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", 32, 3000, 0, 40);
	n = rpmsg_link_channels(H.ld, infos, 4);
	CHECK_EQ(n, 2);
	CHECK_EQ(strlen(infos[n - 1].name), 31);
	CHECK(!memcmp(infos[n - 1].name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ01234", 32));
	CHECK(works(&H));
}

static void ns_flag_junk(void)
{
	/* Receivers test bit 0 only (spec §9): junk above it changes nothing. */
	ns_send("junk", 4, 3001, 0xfffffffeu, 40);
	CHECK_EQ(rpmsg_link_channels(H.ld, NULL, 0), 2);
	ns_send("junk", 4, 3001, 0x80000001u, 40);
	CHECK_EQ(rpmsg_link_channels(H.ld, NULL, 0), 1);
	CHECK(works(&H));
}

/* ---- the status byte (the driver's to write; a device may only add NEEDS_RESET) ---- */

static void status_reset_by_device(void)
{
	/* Status 0 with the table intact: a device that reset. Down (channels removed),
	 * then negotiated again from scratch; our device follows. */
	wr8(T_STATUS, 0);
	pump();
	CHECK(rpmsg_link_is_up(H.ld));
	CHECK(rpmsg_link_is_up(H.lv));
	CHECK_EQ(diag(H.ld).downs, 1);
	CHECK_EQ(diag(H.ld).ups, 2);
	CHECK_EQ(removes, 1);
	CHECK(works(&H));
}

static void status_needs_reset(void)
{
	/* (Our device did not really reset: it finds the rings re-zeroed under it, asks for a
	 * reset in turn, and the driver negotiates once more.) */
	wr8(T_STATUS, 0x47);
	pump();
	CHECK(diag(H.ld).downs >= 1);
	CHECK_EQ(diag(H.ld).status, 0x07);
	CHECK(works(&H));
}

static void status_junk(void)
{
	uint64_t bad = rx_bad(H.ld);

	wr8(T_STATUS, 0x2b); /* bits a driver would never write, and no NEEDS_RESET */
	pump_drv();
	CHECK(!rpmsg_link_is_up(H.ld));
	CHECK_EQ(diag(H.ld).status, 0x83);
	CHECK_EQ(rpmsg_trysendto(H.ed, msg, 4, 1024), -ENOTCONN);
	pump(); /* stays down: nothing but a fresh table brings it back */
	CHECK(!rpmsg_link_is_up(H.ld));
	CHECK(works(&G));
	CHECK_EQ(dev_restart(), 0);
	CHECK(works(&H));
	CHECK_EQ(rx_bad(H.ld), bad);
}

/* ---- the resource table of a restarted remote ---- */

typedef void (*table_mut)(uint8_t *t);

static void tm_version(uint8_t *t) { uint32_t v = 2; put_le32(t, v); }
static void tm_num_huge(uint8_t *t) { uint32_t v = 0x40000000u; put_le32(t + 4, v); }
static void tm_reserved(uint8_t *t) { t[9] = 1; }
static void tm_offset_out(uint8_t *t) { uint32_t v = 0xfff0u; put_le32(t + 16, v); }
static void tm_offset_low(uint8_t *t) { uint32_t v = 8; put_le32(t + 16, v); }
static void tm_no_vdev(uint8_t *t) { uint32_t v = RSC_CARVEOUT; put_le32(t + T_ENTRY, v); }
static void tm_vdev_id(uint8_t *t) { uint32_t v = 5; put_le32(t + T_ENTRY + 4, v); }
static void tm_vdev_reserved(uint8_t *t) { t[T_ENTRY + 27] = 1; }
static void tm_nvrings_3(uint8_t *t) { t[T_ENTRY + 25] = 3; }
static void tm_nvrings_1(uint8_t *t) { t[T_ENTRY + 25] = 1; }
static void tm_config_len(uint8_t *t) { uint32_t v = 0xffffff00u; put_le32(t + T_ENTRY + 20, v); }
static void tm_num_not_pow2(uint8_t *t) { uint32_t v = 7; put_le32(t + T_VRING(0) + 8, v); }
static void tm_num_zero(uint8_t *t) { uint32_t v = 0; put_le32(t + T_VRING(1) + 8, v); }
static void tm_num_too_big(uint8_t *t) { uint32_t v = 4096; put_le32(t + T_VRING(0) + 8, v); put_le32(t + T_VRING(1) + 8, v); }
static void tm_num_differ(uint8_t *t) { uint32_t v = 16; put_le32(t + T_VRING(1) + 8, v); }
static void tm_align_zero(uint8_t *t) { uint32_t v = 0; put_le32(t + T_VRING(0) + 4, v); }
static void tm_align_odd(uint8_t *t) { uint32_t v = 24; put_le32(t + T_VRING(1) + 4, v); }
static void tm_da_outside(uint8_t *t) { uint32_t v = 0x7fff0000u; put_le32(t + T_VRING(1), v); }
static void tm_da_straddle(uint8_t *t) { uint32_t v = H_SHM - 64; put_le32(t + T_VRING(0), v); }
static void tm_da_overlap(uint8_t *t) { uint32_t v = 4096 + 64; put_le32(t + T_VRING(1), v); }
static void tm_da_on_table(uint8_t *t) { uint32_t v = 0; put_le32(t + T_VRING(0), v); }
static void tm_notifyid(uint8_t *t) { uint32_t v = 9; put_le32(t + T_VRING(0) + 12, v); }
static void tm_no_pool_room(uint8_t *t) { uint32_t v = H_SHM - 4096; put_le32(t + T_VRING(1), v); }

static const struct { const char *name; table_mut fn; } table_muts[] = {
	{ "bad version", tm_version }, { "num entries huge", tm_num_huge },
	{ "header reserved", tm_reserved }, { "entry offset out of range", tm_offset_out },
	{ "entry offset in header", tm_offset_low }, { "no vdev entry", tm_no_vdev },
	{ "vdev id not rpmsg", tm_vdev_id }, { "vdev reserved", tm_vdev_reserved },
	{ "3 vrings", tm_nvrings_3 }, { "1 vring", tm_nvrings_1 },
	{ "config_len huge", tm_config_len }, { "vring num not pow2", tm_num_not_pow2 },
	{ "vring num 0", tm_num_zero }, { "vring num too big", tm_num_too_big },
	{ "vring nums differ", tm_num_differ }, { "vring align 0", tm_align_zero },
	{ "vring align not pow2", tm_align_odd }, { "vring da outside", tm_da_outside },
	{ "vring da straddles end", tm_da_straddle }, { "vrings overlap", tm_da_overlap },
	{ "vring over table", tm_da_on_table }, { "vring notifyid", tm_notifyid },
	{ "no room for buffers", tm_no_pool_room },
};
#define NMUTS (sizeof(table_muts) / sizeof(table_muts[0]))

/* A table as our device writes it (vrings at 4096 and 8192), then corrupted. */
static void write_table(uint8_t *shm, table_mut fn)
{
	struct rsc_vdev_cfg rc = { .notifyid = 2, .dfeatures = RPMSG_VIRTIO_F_NS };

	for (unsigned i = 0; i < 2; i++)
		rc.vring[i] = (struct rsc_vring_cfg){ .da = 4096 * (i + 1), .align = H_ALIGN,
						      .num = H_NUM, .notifyid = i };
	memset(shm, 0, 4096);
	CHECK(rsc_table_build(shm, 4096, &rc, false) > 0);
	fn(shm);
}

static size_t cur_mut;

static void restart_with_bad_table(void)
{
	const char *what = table_muts[cur_mut].name;
	uint64_t bad = rx_bad(H.ld);

	dev_kill();
	write_table(H.shm, table_muts[cur_mut].fn);
	pump();
	if (rpmsg_link_is_up(H.ld))
		fprintf(stderr, "  table corruption accepted: %s\n", what);
	CHECK(!rpmsg_link_is_up(H.ld));
	CHECK(rx_bad(H.ld) > bad);
	CHECK(diag(H.ld).status != 0x07);
	CHECK_EQ(removes, 1);
	CHECK_EQ(rpmsg_trysendto(H.ed, msg, 4, 1024), -ENOTCONN);
	CHECK(works(&G));
	/* a good remote starts again: back up */
	CHECK_EQ(dev_restart(), 0);
	CHECK(works(&H));
}

/* The same tables at first attach: rpmsg_virtio_create fails with an error. */
static void attach_to_bad_tables(void)
{
	for (size_t i = 0; i < NMUTS; i++) {
		uint8_t *shm = aligned_alloc(4096, H_SHM);
		struct rpmsg_platform p = { .ops = &hm_ops, .shm = { shm, 0, H_SHM }, .side = 1 };
		struct rpmsg_link *l = NULL;
		int ret;

		memset(shm, 0, H_SHM);
		write_table(shm, table_muts[i].fn);
		ret = rpmsg_virtio_create(BD, &p, &h_dcfg, &l);
		if (ret >= 0)
			fprintf(stderr, "  accepted at attach: %s\n", table_muts[i].name);
		CHECK(ret < 0);
		CHECK(ret == -ENODEV || ret == -EPROTO || ret == -ENOSPC || ret == -EINVAL);
		free(shm);
	}
}

int main(void)
{
	t_timeout(100);
	memset(msg, 0x3c, sizeof(msg));

	RUN(used_idx_jump);
	RUN(used_idx_backwards);
	RUN(used_id_out_of_range);
	RUN(used_id_huge);
	RUN(used_id_not_in_flight);
	RUN(used_id_duplicate);
	RUN(used_len_huge);
	RUN(used_len_zero);
	RUN(used_len_below_header_len);
	RUN(header_len_huge);
	RUN(header_len_zero);
	RUN(header_rewritten_during_delivery);
	RUN(tx_used_idx_jump);
	RUN(tx_used_id_out_of_range);
	RUN(tx_used_id_not_in_flight);
	RUN(ns_short);
	RUN(ns_long);
	RUN(ns_empty_name);
	RUN(ns_addr_any);
	RUN(ns_unterminated_name);
	RUN(ns_flag_junk);
	RUN(status_reset_by_device);
	RUN(status_needs_reset);
	RUN(status_junk);
	for (cur_mut = 0; cur_mut < NMUTS; cur_mut++) {
		printf("table: %s\n", table_muts[cur_mut].name);
		RUN(restart_with_bad_table);
	}
	RUN(attach_to_bad_tables);
	printf("%d cases\n", ncases);
	return t_done();
}
