/*
 * rpmsg tiny against a hostile main CPU: the library's driver posts real messages, then
 * the test rewrites what a hostile driver could (descriptor addresses and lengths, ring
 * indices and heads, descriptor flags, rpmsg headers, the resource table) before the tiny
 * side looks. Each must be rejected and counted without a callback seeing bad bytes, and
 * without a read or write outside the shared block (ASan); protocol breaks take the link
 * down with NEEDS_RESET, and the link comes back when the driver sets it up again.
 */
#include "rig.h"

#define ST_OK 0x07u
#define ST_NEEDS_RESET 0x40u

static int got;
static size_t got_len;

static void cb(struct rpmsg_tiny_ept *ept, const void *data, size_t len, uint32_t src, void *priv)
{
	volatile uint8_t sum = 0;

	(void)ept;
	(void)src;
	(void)priv;
	for (size_t i = 0; i < len; i++) /* touch every byte we were given */
		sum += ((const uint8_t *)data)[i];
	(void)sum;
	got++;
	got_len = len;
}

static struct rpmsg_endpoint *mept; /* the main CPU's endpoint, sending to 1024 */

static int main_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept, (void)data, (void)len, (void)src, (void)priv;
	return 0;
}

static void open_rig(struct rig *r, struct rpmsg_tiny_ept *e)
{
	struct rpmsg_channel_info info = { .name = "", .src = RPMSG_ADDR_ANY, .dst = 1024 };

	rig_tiny(r, false, RPMSG_TINY_F_NS, 8);
	CHECK_EQ(rpmsg_tiny_ept_create(&r->dev, e, 1024, cb, NULL), 0);
	CHECK_EQ(rig_driver(r, NULL), 0);
	CHECK(rpmsg_tiny_is_up(&r->dev));
	CHECK_EQ(rpmsg_create_ept(r->ld, &info, main_cb, NULL, &mept), 0);
	got = 0;
}

/* The main CPU posts one 32-byte message on vring1; returns its descriptor. */
static uint8_t *post(struct rig *r)
{
	uint8_t msg[32];

	memset(msg, 0x5a, sizeof(msg));
	CHECK_EQ(rpmsg_trysendto(mept, msg, sizeof(msg), 1024), 0);
	return rig_desc(r, 1, rig_last_head(r, 1));
}

static uint8_t *buf_of(struct rig *r, const uint8_t *desc)
{
	uint64_t pa = le_get(desc, 4) | (uint64_t)le_get(desc + 4, 4) << 32;

	return r->shm + (pa - RIG_PA);
}

/* Bad buffers: skipped, counted, returned; the link stays up and the next message works. */
static void bad_buffers(void)
{
	struct rig r;
	struct rpmsg_tiny_ept e;
	struct {
		const char *what;
		uint64_t addr;   /* 0: keep */
		uint32_t len;    /* 0: keep */
		uint16_t hlen;   /* 0: keep */
	} cases[] = {
		{ "outside the block", RIG_PA + RIG_SHM, 0, 0 },
		{ "straddling the end", RIG_PA + RIG_SHM - 16, 0, 0 },
		{ "below the block", RIG_PA - 4096, 0, 0 },
		{ "wrapping 64 bits", UINT64_MAX - 8, 0, 0 },
		{ "over the table", RIG_PA + 64, 0, 0 },
		{ "over vring0", RIG_PA + RIG_VR(0) + 8, 0, 0 },
		{ "over vring1", RIG_PA + RIG_VR(1), 0, 0 },
		{ "len 0xffffffff", 0, 0xFFFFFFFFu, 0 },
		{ "len below a header", 0, 15, 0 },
		{ "header len past the buffer", 0, 0, 33 },
		{ "header len 0xffff", 0, 0, 0xFFFF },
	};

	open_rig(&r, &e);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *d = post(&r);
		uint32_t bad = r.dev.rx_bad;
		uint16_t used = (uint16_t)le_get(rig_used(&r, 1) + 2, 2);

		if (cases[i].addr) {
			le_put(d, 4, (uint32_t)cases[i].addr);
			le_put(d + 4, 4, (uint32_t)(cases[i].addr >> 32));
		}
		if (cases[i].len)
			le_put(d + 8, 4, cases[i].len);
		if (cases[i].hlen)
			le_put(buf_of(&r, d) + 12, 2, cases[i].hlen);
		CHECK_EQ(rpmsg_tiny_poll(&r.dev), 1);
		if (got || r.dev.rx_bad != bad + 1)
			t_fail(__FILE__, __LINE__, "case '%s' not rejected", cases[i].what);
		CHECK(rpmsg_tiny_is_up(&r.dev));
		/* The buffer went back to the main CPU all the same. */
		CHECK_EQ((uint16_t)le_get(rig_used(&r, 1) + 2, 2), (uint16_t)(used + 1));
		rpmsg_bus_poll(r.bd, 0);
		post(&r);
		CHECK_EQ(rpmsg_tiny_poll(&r.dev), 1);
		CHECK_EQ(got, 1);
		CHECK_EQ(got_len, 32);
		got = 0;
		rpmsg_bus_poll(r.bd, 0);
	}
	/* A message for nobody: dropped and counted, not bad. */
	CHECK_EQ(rpmsg_trysendto(mept, "x", 1, 4242), 0);
	CHECK_EQ(rpmsg_tiny_poll(&r.dev), 1);
	CHECK_EQ(r.dev.rx_dropped, 1);
	CHECK_EQ(got, 0);
	/* Nor does a message to the name-service address reach anyone here. */
	CHECK_EQ(rpmsg_trysendto(mept, "x", 1, RPMSG_TINY_NS_ADDR), 0);
	CHECK_EQ(rpmsg_tiny_poll(&r.dev), 1);
	CHECK_EQ(r.dev.rx_dropped, 2);

	/* Transmit side: the main CPU's empty buffers on vring0 point outside, then too short:
	 * each is handed back unused and counted, and the send finds no buffer. */
	for (unsigned k = 0; k < r.num; k++) {
		uint8_t *d = rig_desc(&r, 0, k);

		if (k & 1) {
			le_put(d + 8, 4, 8);
		} else {
			le_put(d, 4, (uint32_t)(RIG_PA + RIG_VR(1)));
			le_put(d + 4, 4, 0);
		}
	}
	{
		uint32_t bad = r.dev.rx_bad;

		CHECK_EQ(rpmsg_tiny_sendto(&e, 1024, "x", 1), -EAGAIN);
		CHECK_EQ(r.dev.rx_bad, bad + r.num);
		CHECK(rpmsg_tiny_is_up(&r.dev));
	}
	rig_close(&r);
}

/* Ring protocol breaks: -EIO, NEEDS_RESET, down; back once the driver starts over. */
static void protocol(void)
{
	static const char *const what[] = { "avail idx leaps", "head out of range",
					    "chained descriptor", "indirect descriptor",
					    "head posted twice" };

	for (unsigned c = 0; c < sizeof(what) / sizeof(what[0]); c++) {
		struct rig r;
		struct rpmsg_tiny_ept e;
		uint8_t *avail, *d;
		uint16_t idx;

		open_rig(&r, &e);
		d = post(&r);
		avail = rig_avail(&r, 1);
		idx = (uint16_t)le_get(avail + 2, 2);
		switch (c) {
		case 0:
			le_put(avail + 2, 2, (uint16_t)(idx + 9));
			break;
		case 1:
			le_put(avail + 4 + 2u * ((idx - 1u) & 7), 2, 8);
			break;
		case 2:
			le_put(d + 12, 2, 1);
			break;
		case 3:
			le_put(d + 12, 2, 4);
			break;
		case 4: /* a second entry naming the same head before we returned it */
			le_put(avail + 4 + 2u * (idx & 7), 2, rig_last_head(&r, 1));
			le_put(avail + 2, 2, (uint16_t)(idx + 1));
			break;
		}
		if (c == 4) {
			/* Unlike the library's transport, tiny returns each buffer as soon as its
			 * callback is done, so the second entry names a head it no longer holds:
			 * the same bytes delivered twice, nothing broken. */
			CHECK_EQ(rpmsg_tiny_poll(&r.dev), 2);
			CHECK_EQ(got, 2);
			CHECK(rpmsg_tiny_is_up(&r.dev));
			CHECK_EQ(r.dev.rx_bad, 0);
			rig_close(&r);
			continue;
		}
		CHECK_EQ(rpmsg_tiny_poll(&r.dev), -EIO);
		CHECK_EQ(got, 0);
		if (!(r.table->status & ST_NEEDS_RESET))
			t_fail(__FILE__, __LINE__, "'%s': no NEEDS_RESET", what[c]);
		CHECK(!rpmsg_tiny_is_up(&r.dev));
		CHECK_EQ(rpmsg_tiny_sendto(&e, 1024, "x", 1), -ENOTCONN);
		CHECK_EQ(rpmsg_tiny_poll(&r.dev), 0);
		CHECK_EQ(r.dev.rx_bad, 1);
		/* The driver sees NEEDS_RESET and negotiates again: we come back. */
		rpmsg_bus_poll(r.bd, 0);
		CHECK(rpmsg_tiny_is_up(&r.dev));
		got = 0;
		post(&r);
		CHECK_EQ(rpmsg_tiny_poll(&r.dev), 1);
		CHECK_EQ(got, 1);
		CHECK_EQ(rpmsg_tiny_sendto(&e, 1024, "y", 1), 0);
		rig_close(&r);
	}
}

/* The table as the driver leaves it at DRIVER_OK: bad vrings refused, once. */
static void table(void)
{
	for (unsigned c = 0; c < 8; c++) {
		struct rig r;
		struct rpmsg_tiny_ept e;

		rig_tiny(&r, false, RPMSG_TINY_F_NS, 8);
		CHECK_EQ(rpmsg_tiny_ept_create(&r.dev, &e, 1024, cb, NULL), 0);
		switch (c) {
		case 0: r.table->vring[0].da = (uint32_t)(RIG_PA + RIG_SHM - 64); break; /* past the end */
		case 1: r.table->vring[1].da = (uint32_t)RIG_PA; break;                  /* over the table */
		case 2: r.table->vring[1].da = (uint32_t)(RIG_PA + RIG_VR(0) + 128); break; /* over vring0 */
		case 3: r.table->vring[0].num = 6; break;                                /* not a power of 2 */
		case 4: r.table->vring[1].num = 4; break;                                /* sizes differ */
		case 5: r.table->vring[0].num = r.table->vring[1].num = 2048; break;     /* above the maximum */
		case 6: r.table->vring[0].align = 3; break;
		case 7: r.table->vring[1].da = 0x1000; break;                            /* below the block */
		}
		r.table->status = ST_OK;
		CHECK(!rpmsg_tiny_is_up(&r.dev));
		CHECK_EQ(r.table->status, ST_OK | ST_NEEDS_RESET);
		CHECK_EQ(r.dev.rx_bad, 1);
		CHECK(!rpmsg_tiny_is_up(&r.dev));
		CHECK_EQ(rpmsg_tiny_poll(&r.dev), 0);
		CHECK_EQ(r.dev.rx_bad, 1); /* counted once per status */
		CHECK_EQ(rpmsg_tiny_sendto(&e, 1024, "x", 1), -ENOTCONN);
		/* A good table and a fresh DRIVER_OK: up. */
		rpmsg_tiny_table_init(r.table, RPMSG_TINY_F_NS, 8, RIG_ALIGN,
				      (uint32_t)(RIG_PA + RIG_VR(0)), (uint32_t)(RIG_PA + RIG_VR(1)), false);
		CHECK_EQ(rig_driver(&r, NULL), 0);
		CHECK(rpmsg_tiny_is_up(&r.dev));
		rig_close(&r);
	}
}

int main(void)
{
	t_timeout(60);
	bad_buffers();
	protocol();
	table();
	return t_done();
}
