/*
 * SMD against a hostile remote: the test plays the remote by writing SMEM directly. Bad
 * heads, impossible packet lengths, a bad tail in our record, unknown states and bad
 * allocation entries are refused and counted (rx_bad); nothing is read or written out of
 * bounds, nothing is delivered from a broken stream, and a close/reopen recovers.
 */
#include <stdlib.h>

#include "memplat.h"
#include "smd/smd_wire.h"
#include "smem/smem.h"
#include "testlib.h"

#include <rpmsg/smd.h>

#define SHM (256u * 1024u)
#define SMEM_BASE 4096u
#define FIFO 1024u

static uint8_t shm[SHM] __attribute__((aligned(4096)));
static struct smem rm; /* the fake remote's SMEM view (host 1) */
static uint8_t *table;

struct fake {
	uint8_t *info, *fifo;
	uint32_t head;
};

static int got, removes;
static size_t got_len;

static int cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	volatile uint8_t sum = 0;

	(void)ept; (void)src; (void)priv;
	for (size_t i = 0; i < len; i++)
		sum += ((uint8_t *)data)[i];
	got++;
	got_len = len;
	return 0;
}

static struct rpmsg_channel *bound;

static int probe(struct rpmsg_channel *ch)
{
	bound = ch;
	return 0;
}

static void remove_cb(struct rpmsg_channel *ch)
{
	(void)ch;
	bound = NULL;
	removes++;
}

static void format(void)
{
	static const struct smem_part_cfg parts[] = {
		{ .host0 = SMEM_GLOBAL_HOST, .host1 = SMEM_GLOBAL_HOST, .size = 16384, .cacheline = 64 },
		{ .host0 = 0, .host1 = 1, .size = 128 * 1024, .cacheline = 64 },
	};
	struct smem_format_cfg cfg = { .version = 12, .parts = parts, .nparts = 2 };
	void *p;
	size_t sz;

	memset(shm, 0, sizeof(shm));
	CHECK_EQ(smem_format(shm + SMEM_BASE, SHM - SMEM_BASE, &cfg), 0);
	CHECK_EQ(smem_attach(&rm, shm + SMEM_BASE, SHM - SMEM_BASE,
			     (_Atomic uint32_t *)(void *)(shm + 12), 1), 0);
	CHECK_EQ(smem_alloc(&rm, 0, 13, SMD_TABLE_BYTES), 0);
	CHECK_EQ(smem_get(&rm, 0, 13, &p, &sz), 0);
	table = p;
}

/* The remote's side of a channel: items, fresh records, the entry. */
static struct fake make_chan(unsigned pos, const char *name, uint32_t cid, uint32_t isz,
			     uint32_t fsz, uint32_t flags)
{
	struct smd_record r = { { 0 } };
	struct fake f = { 0 };
	void *p;
	size_t sz;

	if (isz && !smem_alloc(&rm, 0, 14 + cid, isz) && !smem_get(&rm, 0, 14 + cid, &p, &sz))
		f.info = p;
	if (fsz && !smem_alloc(&rm, 0, 338 + cid, fsz) && !smem_get(&rm, 0, 338 + cid, &p, &sz))
		f.fifo = p;
	r.v[SMD_BLOCK_F] = 1;
	if (f.info && isz == 40) {
		smd_encode_record(f.info, &r, false);
		r.v[SMD_STATE] = RPMSG_SMD_OPENING;
		smd_encode_record(f.info + 20, &r, false);
	}
	smd_encode_entry(table + pos * 32, name, cid, flags, 1);
	return f;
}

static void set32(uint8_t *p, uint32_t v)
{
	smd_put_le32(p, v);
}

/* The fake remote sends one packet (second FIFO half, its record's head at +36). */
static void fake_send(struct fake *f, uint32_t len, uint32_t claimed)
{
	uint8_t hdr[20];

	smd_encode_pkt_header(hdr, claimed);
	for (unsigned i = 0; i < 20; i++)
		f->fifo[FIFO + ((f->head + i) & (FIFO - 1))] = hdr[i];
	for (unsigned i = 0; i < len; i++)
		f->fifo[FIFO + ((f->head + 20 + i) & (FIFO - 1))] = (uint8_t)i;
	f->head = (f->head + 20 + len) & (FIFO - 1);
	set32(f->info + 20 + 16, f->head);
}

static void test_stream(void)
{
	static const char *const ids[] = { "hostile", NULL };
	struct rpmsg_driver drv = { .name = "m", .id_table = ids, .probe = probe,
				    .remove = remove_cb, .callback = cb };
	struct rpmsg_platform pm = memplat(shm, SHM, 1);
	struct rpmsg_smd_config mc = { .role = RPMSG_SMD_MAIN, .remote_host = 1 };
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	struct rpmsg_smd_stats st;
	struct rpmsg_endpoint *e;
	struct fake f;
	uint8_t big[64] = { 0 };

	format();
	f = make_chan(0, "hostile", 0, 40, 2 * FIFO, SMD_F_PACKET);
	CHECK_EQ(rpmsg_bus_create(&bus), 0);
	CHECK_EQ(rpmsg_register_driver(bus, &drv), 0);
	CHECK_EQ(rpmsg_smd_create(bus, &pm, &mc, &link), 0);
	CHECK(bound != NULL);
	if (!bound)
		goto out;
	e = rpmsg_channel_ept(bound);
	/* We are OPENED; the remote goes OPENED too. */
	CHECK_EQ(f.info[0], RPMSG_SMD_OPENED);
	set32(f.info + 20, RPMSG_SMD_OPENED);
	rpmsg_bus_poll(bus, 0);

	/* A good packet, one that wraps, then a head outside the FIFO. */
	fake_send(&f, 10, 10);
	rpmsg_bus_poll(bus, 0);
	CHECK_EQ(got, 1);
	CHECK_EQ(got_len, 10);
	CHECK_EQ(rpmsg_smd_get_stats(link, &st), 0);
	CHECK_EQ(st.rx_bad, 0);

	/* Remote leaves and returns: the channel is offered again, the driver rebinds. */
	set32(f.info + 20, RPMSG_SMD_CLOSED);
	rpmsg_bus_poll(bus, 0);
	CHECK_EQ(removes, 1);
	f.head = 0;
	set32(f.info + 20 + 16, 0);
	set32(f.info + 20, RPMSG_SMD_OPENING);
	rpmsg_bus_poll(bus, 0);
	CHECK(bound != NULL);
	if (!bound)
		goto out;
	set32(f.info + 20, RPMSG_SMD_OPENED);
	e = rpmsg_channel_ept(bound);
	got = 0;
	for (int i = 0; i < 30; i++) { /* 30 x 100 bytes: wraps the 1 KiB FIFO */
		fake_send(&f, 80, 80);
		rpmsg_bus_poll(bus, 0);
	}
	CHECK_EQ(got, 30);
	CHECK_EQ(got_len, 80);

	fake_send(&f, 0, 0);
	set32(f.info + 20 + 16, FIFO + 4); /* head outside the FIFO */
	rpmsg_bus_poll(bus, 0);
	CHECK_EQ(got, 30);
	CHECK_EQ(rpmsg_smd_get_stats(link, &st), 0);
	CHECK_EQ(st.rx_bad, 1);
	set32(f.info + 20 + 16, f.head); /* the stream stays refused until a reset */
	rpmsg_bus_poll(bus, 0);
	CHECK_EQ(got, 30);

	/* Close and reopen (driver rebinding): the reset clears the refusal. */
	rpmsg_unregister_driver(bus, &drv);
	f.head = 0;
	set32(f.info + 20 + 16, 0);
	CHECK_EQ(rpmsg_register_driver(bus, &drv), 0);
	CHECK(bound != NULL);
	if (!bound)
		goto out;
	e = rpmsg_channel_ept(bound);
	fake_send(&f, 7, 7);
	rpmsg_bus_poll(bus, 0);
	CHECK_EQ(got, 31);

	/* A length no FIFO of this size can hold. */
	fake_send(&f, 0, FIFO - 20);
	rpmsg_bus_poll(bus, 0);
	CHECK_EQ(got, 31);
	CHECK_EQ(rpmsg_smd_get_stats(link, &st), 0);
	CHECK_EQ(st.rx_bad, 2);
	rpmsg_unregister_driver(bus, &drv);
	f.head = 0;
	set32(f.info + 20 + 16, 0);
	CHECK_EQ(rpmsg_register_driver(bus, &drv), 0);
	e = rpmsg_channel_ept(bound);

	/* The largest legal one is fine (it wraps). */
	fake_send(&f, FIFO - 21, FIFO - 21);
	rpmsg_bus_poll(bus, 0);
	CHECK_EQ(got, 32);
	CHECK_EQ(got_len, FIFO - 21);

	/* A bad tail in our record (the remote's read index): sends refuse, -EIO. */
	CHECK_EQ(rpmsg_send(e, big, 8), 0);
	set32(f.info + 12, 0x10000);
	CHECK_EQ(rpmsg_trysend(e, big, 8), -EIO);
	set32(f.info + 12, 28);
	CHECK_EQ(rpmsg_trysend(e, big, 8), -EIO); /* stays refused */
	CHECK_EQ(rpmsg_smd_get_stats(link, &st), 0);
	CHECK_EQ(st.rx_bad, 3);

	/* An unknown remote state: treated as "not open", the channel goes away. */
	set32(f.info + 20, 77);
	rpmsg_bus_poll(bus, 0);
	CHECK(bound == NULL);
	CHECK_EQ(f.info[0], RPMSG_SMD_CLOSED);
	CHECK_EQ(rpmsg_link_channels(link, NULL, 0), 0);
out:
	rpmsg_bus_destroy(bus);
}

/* Allocation entries and items a hostile remote could publish. */
static void test_entries(void)
{
	struct rpmsg_platform pm = memplat(shm, SHM, 1);
	struct rpmsg_smd_config mc = { .role = RPMSG_SMD_MAIN, .remote_host = 1, .edge = 4 };
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	struct rpmsg_smd_stats st;
	struct rpmsg_channel_info infos[8];
	struct fake f;
	uint8_t *fifo_item;
	void *p;
	size_t sz;

	format();
	make_chan(0, "good", 0, 40, 2 * FIFO, 4 | SMD_F_PACKET);
	make_chan(1, "other-edge", 1, 40, 2 * FIFO, 5 | SMD_F_PACKET);         /* ignored */
	make_chan(2, "stream", 2, 40, 2 * FIFO, 4 | SMD_F_STREAM);             /* ignored */
	make_chan(3, "huge-cid", 0xFFFFFFF0u, 0, 0, 4 | SMD_F_PACKET);         /* bad */
	make_chan(4, "bad-info", 4, 48, 2 * FIFO, 4 | SMD_F_PACKET);           /* bad */
	make_chan(5, "bad-fifo", 5, 40, 3000, 4 | SMD_F_PACKET);               /* bad */
	make_chan(6, "good", 6, 40, 2 * FIFO, 4 | SMD_F_PACKET);               /* duplicate */
	make_chan(7, "no-fifo-yet", 7, 40, 0, 4 | SMD_F_PACKET);               /* later */
	make_chan(8, "tiny-fifo", 8, 40, 32, 4 | SMD_F_PACKET);               /* bad */
	memset(table + 9 * 32, 'x', 32);                                       /* no NUL */
	set32(table + 9 * 32 + 24, 4 | SMD_F_PACKET);
	CHECK_EQ(smem_alloc(&rm, 0, 14 + 0x78787878u % 65536, 40), -EINVAL);

	CHECK_EQ(rpmsg_bus_create(&bus), 0);
	CHECK_EQ(rpmsg_smd_create(bus, &pm, &mc, &link), 0);
	CHECK_EQ(rpmsg_smd_get_stats(link, &st), 0);
	CHECK_EQ(st.channels, 1);
	CHECK_EQ(st.rx_bad, 6); /* huge-cid, bad-info, bad-fifo, duplicate, tiny-fifo, xxx */
	CHECK_EQ(rpmsg_link_channels(link, infos, 8), 1); /* "good" is OPENING */
	CHECK(!strcmp(infos[0].name, "good"));

	/* The missing FIFO appears: the next scan (free space changed) takes the channel. */
	CHECK_EQ(smem_alloc(&rm, 0, 338 + 7, 2 * FIFO), 0);
	CHECK_EQ(smem_get(&rm, 0, 338 + 7, &p, &sz), 0);
	fifo_item = p;
	(void)fifo_item;
	rpmsg_bus_poll(bus, 0);
	CHECK_EQ(rpmsg_smd_get_stats(link, &st), 0);
	CHECK_EQ(st.channels, 2);
	CHECK_EQ(st.rx_bad, 6); /* refused entries are not counted twice */
	CHECK_EQ(rpmsg_link_channels(link, infos, 8), 2);
	f = make_chan(10, "late", 10, 40, 2 * FIFO, 4 | SMD_F_PACKET);
	(void)f;
	rpmsg_bus_poll(bus, 0);
	CHECK_EQ(rpmsg_link_channels(link, infos, 8), 3);
	rpmsg_bus_destroy(bus);
}

int main(void)
{
	t_timeout(30);
	test_stream();
	test_entries();
	return t_done();
}
