/*
 * Golden bytes of the virtio transport in shared memory, in both byte orders: the resource
 * table the device publishes (and the driver's writes into it), vq0 after the driver posted
 * its receive buffers, vq1 after the first send, an rpmsg header and a name-service message.
 * Expected bytes are built here from the spec's offsets, not from library code.
 */
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "vpair.h"

static bool BE;

static void p16(uint8_t *p, uint16_t v) { p[BE ? 1 : 0] = (uint8_t)v; p[BE ? 0 : 1] = (uint8_t)(v >> 8); }
static void p32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[BE ? 3 - i : i] = (uint8_t)(v >> (8 * i)); }
static void p64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[BE ? 7 - i : i] = (uint8_t)(v >> (8 * i)); }

/* Layout with vring num 4, align 16: a ring is 16*4 + 6+2*4 -> 78, used at 80, total 118. */
#define NUM 4
#define VQ0 4096u
#define VQ1 8192u
#define POOL 12288u
#define USED_OFF 80u

static int got_len;
static uint8_t got[64];

static int rx_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept; (void)src; (void)priv;
	got_len = (int)len;
	memcpy(got, data, len < sizeof(got) ? len : sizeof(got));
	return 0;
}

static void check_order(bool big)
{
	struct rpmsg_virtio_config cfg = { .vring_num = NUM, .vring_align = 16, .big_endian = big };
	struct vpair p;
	uint8_t *shm, want[256];
	struct rpmsg_endpoint *dev_ept, *drv_ept;
	struct rpmsg_channel_info si = { .name = "rpmsg-echo", .src = RPMSG_ADDR_ANY, .dst = RPMSG_ADDR_ANY };
	struct rpmsg_channel_info ci = { .name = "cli", .src = 2000, .dst = RPMSG_ADDR_ANY };

	BE = big;
	CHECK_EQ(vpair_open(&p, big ? "gbe" : "gle", &cfg, &cfg, 64 * 1024), 0);
	shm = p.pv->shm.va;

	/* Resource table: header, one offset, the VDEV entry with two vrings. */
	memset(want, 0, sizeof(want));
	p32(want + 0, 1);          /* ver */
	p32(want + 4, 1);          /* num */
	p32(want + 16, 20);        /* offset[0] */
	p32(want + 20, 3);         /* type VDEV */
	p32(want + 24, 7);         /* id rpmsg */
	p32(want + 28, 2);         /* notifyid */
	p32(want + 32, 1);         /* dfeatures: F_NS */
	p32(want + 36, 1);         /* gfeatures: written by the driver */
	p32(want + 40, 0);         /* config_len */
	want[44] = 0x07;           /* status: ACKNOWLEDGE | DRIVER | DRIVER_OK */
	want[45] = 2;              /* num_of_vrings */
	p32(want + 48, VQ0);       /* vring0 da */
	p32(want + 52, 16);        /* align */
	p32(want + 56, NUM);       /* num */
	p32(want + 60, 0);         /* notifyid */
	p32(want + 68, VQ1);
	p32(want + 72, 16);
	p32(want + 76, NUM);
	p32(want + 80, 1);
	CHECK_MEM(shm, want, 88);

	/* vq0 after the driver posted 4 receive buffers of 512 bytes (device-writable). */
	memset(want, 0, sizeof(want));
	for (int i = 0; i < NUM; i++) {
		p64(want + 16 * i, POOL + 512u * i);
		p32(want + 16 * i + 8, 512);
		p16(want + 16 * i + 12, 2); /* VRING_DESC_F_WRITE */
	}
	p16(want + 64, 0);  /* avail.flags: interrupts wanted */
	p16(want + 66, 4);  /* avail.idx */
	for (int i = 0; i < NUM; i++)
		p16(want + 68 + 2 * i, (uint16_t)i);
	CHECK_MEM(shm + VQ0, want, USED_OFF);
	/* vq1: nothing posted; the driver does not want tx-complete interrupts; the device,
	 * polling, asks not to be kicked until it is about to sleep (a hint either side may give). */
	memset(want, 0, sizeof(want));
	p16(want + 64, 1);  /* VRING_AVAIL_F_NO_INTERRUPT */
	p16(want + USED_OFF, 1); /* VRING_USED_F_NO_NOTIFY */
	CHECK_MEM(shm + VQ1, want, 118);

	/* The device announces a service: one NS message in the first vq0 buffer. */
	CHECK_EQ(rpmsg_create_ept(p.lv, &si, rx_cb, NULL, &dev_ept), 0);
	CHECK_EQ(rpmsg_ept_addr(dev_ept), 1024);
	CHECK_EQ(rpmsg_ept_announce(dev_ept), 0);
	memset(want, 0, sizeof(want));
	p32(want + 0, 1024);  /* src: the announcing endpoint */
	p32(want + 4, 53);    /* dst: name service */
	p16(want + 12, 40);   /* len */
	memcpy(want + 16, "rpmsg-echo", 10);
	p32(want + 16 + 32, 1024);
	p32(want + 16 + 36, 0); /* CREATE */
	CHECK_MEM(shm + POOL, want, 56);
	/* Its used entry: id 0, len 16 + 40; used.idx 1; the device asked not to be kicked on vq0. */
	memset(want, 0, sizeof(want));
	p16(want + 0, 1);   /* VRING_USED_F_NO_NOTIFY */
	p16(want + 2, 1);
	p32(want + 4, 0);
	p32(want + 8, 56);
	CHECK_MEM(shm + VQ0 + USED_OFF, want, 12);

	vpair_pump(&p, 10);
	{
		struct rpmsg_channel_info chans[4];

		CHECK_EQ(rpmsg_link_channels(p.ld, chans, 4), 1);
		CHECK(!strcmp(chans[0].name, "rpmsg-echo"));
		CHECK_EQ(chans[0].dst, 1024);
	}

	/* The driver sends "hello" from 2000 to 1024: first TX buffer (second pool half), vq1 desc 0. */
	CHECK_EQ(rpmsg_create_ept(p.ld, &ci, rx_cb, NULL, &drv_ept), 0);
	CHECK_EQ(rpmsg_sendto(drv_ept, "hello", 5, 1024), 0);
	memset(want, 0, sizeof(want));
	p32(want + 0, 2000);
	p32(want + 4, 1024);
	p16(want + 12, 5);
	memcpy(want + 16, "hello", 5);
	CHECK_MEM(shm + POOL + NUM * 512, want, 21);
	memset(want, 0, sizeof(want));
	p64(want + 0, POOL + NUM * 512);
	p32(want + 8, 21);  /* 16 + payload, device-readable */
	p16(want + 64, 1);  /* still NO_INTERRUPT */
	p16(want + 66, 1);  /* avail.idx */
	p16(want + 68, 0);  /* ring[0] = head 0 */
	CHECK_MEM(shm + VQ1, want, USED_OFF);

	got_len = -1;
	vpair_pump(&p, 10);
	CHECK_EQ(got_len, 5);
	CHECK_MEM(got, "hello", 5);
	/* The device returned the buffer: vq1 used entry id 0, used.idx 1 (still polling). */
	memset(want, 0, sizeof(want));
	p16(want + 0, 1);   /* VRING_USED_F_NO_NOTIFY */
	p16(want + 2, 1);
	CHECK_MEM(shm + VQ1 + USED_OFF, want, 8);

	vpair_close(&p);
}

int main(void)
{
	t_timeout(30);
	check_order(false);
	check_order(true);
	return t_done();
}
