/*
 * The mirror of test_virtio_hostile_dev: a hostile main CPU. Corruptions of everything the
 * driver side writes (avail rings, descriptors, message headers, name-service payloads,
 * the status byte, the vring entries of the table). The remote side (the device) must
 * detect each one: count it in rx_bad and keep working (a bad buffer is handed back
 * unused), or ask for a reset (NEEDS_RESET) and go down until the driver sets DRIVER_OK
 * again; never read or write outside the shared block, hang or leak. The other pair on
 * the same buses keeps serving (checked after every case).
 */
#include "hostile.h"

static int ncases;
static uint8_t msg[64];

/* The driver posts one message on vq1; nothing polled. Returns its avail slot. */
static unsigned drv_send(size_t len)
{
	uint32_t v1 = ring_base(1);

	CHECK_EQ(rpmsg_trysendto(H.ed, msg, len, 1024), 0);
	return (uint16_t)(rd16(v1 + R_AVAIL_IDX) - 1) & (H_NUM - 1);
}

/* The descriptor of what sits in an avail slot of vq q. */
static uint32_t desc_of(unsigned q, unsigned slot)
{
	uint32_t base = ring_base(q);

	return base + R_DESC(rd16(base + R_AVAIL_RING(slot)) & (H_NUM - 1));
}

/* The device asked for a reset and went down; our driver answers by negotiating again. */
static void expect_dev_fault(uint64_t bad0, int nv)
{
	struct vio_diag d = diag(H.lv);

	CHECK(!rpmsg_link_is_up(H.lv));
	CHECK_EQ(d.faults, 1);
	CHECK(d.status & VIRTIO_STATUS_NEEDS_RESET);
	CHECK(rx_bad(H.lv) > bad0);
	CHECK_EQ(H.cv.n, nv);
	CHECK_EQ(rpmsg_trysendto(H.ev, msg, 4, 1024), -ENOTCONN);
	CHECK(works(&G)); /* the other link on the same buses, while H's device is down */
	pump();
	CHECK(rpmsg_link_is_up(H.lv));
	CHECK(rpmsg_link_is_up(H.ld));
	CHECK_EQ(diag(H.lv).ups, 2);
	CHECK_EQ(diag(H.ld).downs, 1);
	CHECK_EQ(removes, 1); /* the driver side dropped its channels on the way */
	CHECK(works(&H));
}

/* The bad buffer was counted and handed back unused; the link keeps working. */
static void expect_dev_dropped(uint64_t bad0, int nv)
{
	pump();
	CHECK_EQ(rx_bad(H.lv), bad0 + 1);
	CHECK_EQ(H.cv.n, nv);
	CHECK(rpmsg_link_is_up(H.lv));
	CHECK_EQ(diag(H.lv).downs, 0);
	CHECK(works(&H));
}

/* ---- vq1 avail ring ---- */

static void avail_idx_jump(void)
{
	uint64_t bad = rx_bad(H.lv);
	int nv = H.cv.n;
	uint32_t v1 = ring_base(1);

	drv_send(8);
	wr16(v1 + R_AVAIL_IDX, (uint16_t)(rd16(v1 + R_AVAIL_IDX) + 50));
	pump_dev();
	expect_dev_fault(bad, nv);
}

static void avail_idx_backwards(void)
{
	uint64_t bad = rx_bad(H.lv);
	int nv = H.cv.n;
	uint32_t v1 = ring_base(1);

	wr16(v1 + R_AVAIL_IDX, (uint16_t)(rd16(v1 + R_AVAIL_IDX) - 3));
	pump_dev();
	expect_dev_fault(bad, nv);
}

static void avail_head_out_of_range(void)
{
	uint64_t bad = rx_bad(H.lv);
	int nv = H.cv.n;

	wr16(ring_base(1) + R_AVAIL_RING(drv_send(8)), 0x77);
	pump_dev();
	expect_dev_fault(bad, nv);
}

static void avail_head_still_taken(void)
{
	uint64_t bad = rx_bad(H.lv);
	int nv = H.cv.n;
	uint32_t v1 = ring_base(1);
	unsigned slot;
	uint16_t head, idx;

	/* The device keeps the next message's buffer (zero copy); the driver posts that
	 * buffer again while the device still has it. */
	hold_next = true;
	slot = drv_send(8);
	head = rd16(v1 + R_AVAIL_RING(slot));
	pump_dev();
	CHECK(held_data != NULL);
	idx = rd16(v1 + R_AVAIL_IDX);
	wr16(v1 + R_AVAIL_RING(idx & (H_NUM - 1)), head);
	wr16(v1 + R_AVAIL_IDX, (uint16_t)(idx + 1));
	pump_dev();
	expect_dev_fault(bad, nv + 1);
	rpmsg_release_rx_buffer(H.ev, held_data); /* from before the reset: ignored */
	CHECK(works(&H));
}

/* ---- vq1 descriptors ---- */

static void desc_flags(uint16_t flags, bool next_self)
{
	uint64_t bad = rx_bad(H.lv);
	int nv = H.cv.n;
	uint32_t d = desc_of(1, drv_send(8));

	wr16(d + 12, flags);
	wr16(d + 14, next_self ? (uint16_t)((d - ring_base(1)) / 16) : 1);
	pump_dev();
	expect_dev_fault(bad, nv);
}

static void desc_chained(void) { desc_flags(VRING_DESC_F_NEXT, false); }
static void desc_loop(void) { desc_flags(VRING_DESC_F_NEXT, true); }
static void desc_indirect(void) { desc_flags(VRING_DESC_F_INDIRECT, false); }

static void desc_field(unsigned off, uint32_t val)
{
	uint64_t bad = rx_bad(H.lv);
	int nv = H.cv.n;

	wr32(desc_of(1, drv_send(33)) + off, val);
	expect_dev_dropped(bad, nv);
}

static void desc_addr_outside(void) { desc_field(0, 0x7fff0000u); }
static void desc_addr_high_word(void) { desc_field(4, 1); }
static void desc_addr_on_vring(void) { desc_field(0, 4096 + 16); }
static void desc_addr_on_table(void) { desc_field(0, 32); }
static void desc_addr_at_end(void) { desc_field(0, H_SHM - 20); }
static void desc_len_zero(void) { desc_field(8, 0); }
static void desc_len_huge(void) { desc_field(8, 0xffffff00u); }
static void desc_len_below_header_len(void) { desc_field(8, 16 + 4); }

/*
 * The same on a warm link: every descriptor has carried a good buffer first, so the device
 * has checked (and remembered) what each one named. A descriptor rewritten since must be
 * checked again, not taken for the buffer it named last time.
 */
static void warm_up(void)
{
	for (unsigned i = 0; i < 2 * H_NUM; i++)
		CHECK(works(&H));
}

static void desc_addr_outside_warm(void) { warm_up(); desc_field(0, 0x7fff0000u); }
static void desc_addr_on_vring_warm(void) { warm_up(); desc_field(0, 4096 + 16); }
static void desc_addr_on_table_warm(void) { warm_up(); desc_field(0, 32); }
static void desc_len_huge_warm(void) { warm_up(); desc_field(8, 0xffffff00u); }

static void header_len_huge(void)
{
	uint64_t bad = rx_bad(H.lv);
	int nv = H.cv.n;
	uint32_t d = desc_of(1, drv_send(33));

	wr16(rd32(d) + 12, 0xffff);
	expect_dev_dropped(bad, nv);
}

/* ---- vq0 descriptors (the empty buffers the device writes its messages into) ---- */

static void vq0_desc(unsigned off, uint32_t val)
{
	uint64_t bad = rx_bad(H.lv), dbad = rx_bad(H.ld);
	uint32_t v0 = ring_base(0);
	int r;

	for (unsigned i = 0; i < H_NUM; i++)
		wr32(v0 + R_DESC(i) + off, val);
	/* Every posted buffer is unusable: each is handed back unused, then no buffer. */
	r = rpmsg_trysendto(H.ev, msg, 8, 1024);
	CHECK_EQ(r, -ENOMEM);
	CHECK(rx_bad(H.lv) > bad);
	CHECK(rpmsg_link_is_up(H.lv));
	pump(); /* the driver gets them back empty (counted) and posts them again, intact */
	CHECK(rx_bad(H.ld) > dbad);
	CHECK(rpmsg_link_is_up(H.ld));
	CHECK(works(&H));
}

static void vq0_desc_outside(void) { vq0_desc(0, 0x7fff0000u); }
static void vq0_desc_outside_warm(void) { warm_up(); vq0_desc(0, 0x7fff0000u); }
static void vq0_desc_on_vring_warm(void) { warm_up(); vq0_desc(0, 8192); }
static void vq0_desc_short(void) { vq0_desc(8, 8); }
static void vq0_desc_on_vring(void) { vq0_desc(0, 8192); }
static void vq0_desc_on_table(void) { vq0_desc(0, 0); }

/* ---- name service ---- */

static void ns_bad(const char *name, uint32_t addr, size_t len)
{
	uint8_t m[48] = { 0 };
	uint64_t bad = rx_bad(H.lv);

	memcpy(m, name, strlen(name));
	put_le32(m + 32, addr);
	CHECK_EQ(rpmsg_trysendto(H.ed, m, len, RPMSG_NS_ADDR), 0);
	pump();
	CHECK_EQ(rx_bad(H.lv), bad + 1);
	CHECK_EQ(rpmsg_link_channels(H.lv, NULL, 0), 0);
	CHECK(works(&H));
}

static void ns_short(void) { ns_bad("m1", 3000, 12); }
static void ns_long(void) { ns_bad("m2", 3000, 48); }
static void ns_addr_any(void) { ns_bad("m3", RPMSG_ADDR_ANY, 40); }

/* ---- the status byte and the vring entries ---- */

static void status_reset(void)
{
	uint8_t s = H.shm[T_STATUS];

	/* A reset: the device drops everything; DRIVER_OK again over rings that were not
	 * re-zeroed is a driver error the device may or may not notice, but never unsafely. */
	wr8(T_STATUS, 0);
	pump_dev();
	CHECK(!rpmsg_link_is_up(H.lv));
	CHECK_EQ(diag(H.lv).downs, 1);
	CHECK_EQ(rpmsg_trysendto(H.ev, msg, 4, 1024), -ENOTCONN);
	wr8(T_STATUS, s);
	pump_dev();
	CHECK(rpmsg_link_is_up(H.lv));
	pump();
	pump();
	/* Whatever state that left, a restarted remote brings a clean link. */
	CHECK_EQ(dev_restart(), 0);
	CHECK(works(&H));
}

static void status_driver_ok_only(void)
{
	/* DRIVER_OK alone (as OpenAMP's driver writes it) is fine: test the bit, not the byte. */
	wr8(T_STATUS, 0);
	pump_dev();
	wr8(T_STATUS, VIRTIO_STATUS_DRIVER_OK);
	pump_dev();
	CHECK(rpmsg_link_is_up(H.lv));
	CHECK_EQ(dev_restart(), 0);
	CHECK(works(&H));
}

static void driver_restart_unseen(void)
{
	struct rpmsg_channel_info di = { .name = "", .src = 1024, .dst = 1024 };
	int nv = H.cv.n;

	/* The main CPU restarts between two passes of the device: status 7 -> 0 -> 7 and the
	 * rings set up afresh, none of which the device saw happen. It must notice the rings
	 * were re-initialised (its used indices are gone), start over, and not deliver any old
	 * message again. */
	rpmsg_link_destroy(H.ld);
	H.pd = (struct rpmsg_platform){ .ops = &hm_ops, .shm = { H.shm, 0, H_SHM }, .side = 1 };
	CHECK_EQ(rpmsg_virtio_create(BD, &H.pd, &h_dcfg, &H.ld), 0);
	CHECK_EQ(rpmsg_create_ept(H.ld, &di, h_rx, &H.cd, &H.ed), 0);
	CHECK_EQ(H.shm[T_STATUS], 0x07);
	pump();
	CHECK(rpmsg_link_is_up(H.lv));
	CHECK_EQ(diag(H.lv).downs, 1);
	CHECK_EQ(diag(H.lv).ups, 2);
	CHECK_EQ(diag(H.lv).faults, 0);
	CHECK_EQ(H.cv.n, nv);
	CHECK(works(&H));
	CHECK(works(&H));
}

/* Reset, rewrite a vring entry field, DRIVER_OK: the device must refuse (NEEDS_RESET). */
static void bad_vring_entry(unsigned i, unsigned off, uint32_t val)
{
	uint64_t bad = rx_bad(H.lv);

	wr8(T_STATUS, 0);
	pump_dev();
	wr32(T_VRING(i) + off, val);
	wr8(T_STATUS, 0x07);
	pump_dev();
	CHECK(!rpmsg_link_is_up(H.lv));
	CHECK(diag(H.lv).status & VIRTIO_STATUS_NEEDS_RESET);
	CHECK_EQ(rx_bad(H.lv), bad + 1);
	pump_dev(); /* refused once, not again and again */
	CHECK_EQ(rx_bad(H.lv), bad + 1);
	CHECK_EQ(rpmsg_trysendto(H.ev, msg, 4, 1024), -ENOTCONN);
	CHECK(works(&G));
	CHECK_EQ(dev_restart(), 0);
	CHECK(works(&H));
}

static void vring_da_outside(void) { bad_vring_entry(1, 0, 0x7fff0000u); }
static void vring_da_straddle(void) { bad_vring_entry(0, 0, H_SHM - 100); }
static void vring_da_overlap(void) { bad_vring_entry(1, 0, 4096); }
static void vring_da_on_table(void) { bad_vring_entry(0, 0, 0); }
static void vring_num_too_big(void) { bad_vring_entry(0, 8, 4096); }
static void vring_num_not_pow2(void) { bad_vring_entry(1, 8, 12); }
static void vring_num_differ(void) { bad_vring_entry(1, 8, 4); }
static void vring_align_bad(void) { bad_vring_entry(0, 4, 3); }
static void vring_notifyid(void) { bad_vring_entry(1, 12, 1000); }

int main(void)
{
	t_timeout(100);
	memset(msg, 0x5c, sizeof(msg));

	RUN(avail_idx_jump);
	RUN(avail_idx_backwards);
	RUN(avail_head_out_of_range);
	RUN(avail_head_still_taken);
	RUN(desc_chained);
	RUN(desc_loop);
	RUN(desc_indirect);
	RUN(desc_addr_outside);
	RUN(desc_addr_high_word);
	RUN(desc_addr_on_vring);
	RUN(desc_addr_on_table);
	RUN(desc_addr_at_end);
	RUN(desc_len_zero);
	RUN(desc_len_huge);
	RUN(desc_len_below_header_len);
	RUN(desc_addr_outside_warm);
	RUN(desc_addr_on_vring_warm);
	RUN(desc_addr_on_table_warm);
	RUN(desc_len_huge_warm);
	RUN(header_len_huge);
	RUN(vq0_desc_outside);
	RUN(vq0_desc_short);
	RUN(vq0_desc_on_vring);
	RUN(vq0_desc_on_table);
	RUN(vq0_desc_outside_warm);
	RUN(vq0_desc_on_vring_warm);
	RUN(ns_short);
	RUN(ns_long);
	RUN(ns_addr_any);
	RUN(status_reset);
	RUN(status_driver_ok_only);
	RUN(driver_restart_unseen);
	RUN(vring_da_outside);
	RUN(vring_da_straddle);
	RUN(vring_da_overlap);
	RUN(vring_da_on_table);
	RUN(vring_num_too_big);
	RUN(vring_num_not_pow2);
	RUN(vring_num_differ);
	RUN(vring_align_bad);
	RUN(vring_notifyid);
	printf("%d cases\n", ncases);
	return t_done();
}
