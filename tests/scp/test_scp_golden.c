/*
 * Golden bytes of the SCP transport in shared memory: the INIT message the SCP sends, the
 * 36-byte name-service message, an AP -> SCP message (with the word-granular write that
 * keeps the bytes after len up to the word boundary), the registers, for S = 288 at the
 * default base and S = 600 at MT8183's default SRAM offset. Expected bytes are built here
 * from the spec's offsets, not from library code.
 */
#include <stdlib.h>

#include "testlib.h"
#include "scp_util.h"

static int got_len = -1;
static uint32_t got_src;
static uint8_t got[700];
static int probes;

static int rx_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept; (void)priv;
	got_len = (int)len;
	got_src = src;
	memcpy(got, data, len < sizeof(got) ? len : sizeof(got));
	return 0;
}

static struct rpmsg_channel *host_ch;

static int host_probe(struct rpmsg_channel *ch)
{
	host_ch = ch;
	probes++;
	return 0;
}

static const char *const ids[] = { "golden-svc", NULL };

static void run(unsigned S, uint32_t base, size_t shm_size)
{
	struct rpmsg_scp_config hc = { .share_buf_size = S, .ipi_base = base };
	struct rpmsg_scp_config rc = { .role = RPMSG_SCP_REMOTE, .share_buf_size = S, .ipi_base = base,
				       .fw_version = "scp-fw-1.0", .dec_capability = 0x11,
				       .enc_capability = 0x2233 };
	struct rpmsg_driver hdrv = { .name = "h", .id_table = ids, .probe = host_probe, .callback = rx_cb };
	struct rpmsg_driver rdrv = { .name = "r", .id_table = ids, .callback = rx_cb };
	struct rpmsg_channel_info ci = { .name = "golden-svc", .src = 13, .dst = RPMSG_ADDR_ANY };
	struct rpmsg_channel *rch;
	struct rpmsg_scp_info info;
	struct spair p;
	uint8_t want[8 + 600 + 8], buf[700], *rx, *tx, *regs;
	uint32_t objsz = 8 + S;

	host_ch = NULL;
	probes = 0;
	CHECK_EQ(spair_open(&p, S == 288 ? "g288" : "g600", &hc, &rc, shm_size, 0), 0);
	CHECK_EQ(rpmsg_register_driver(p.bh, &hdrv), 0);
	CHECK_EQ(rpmsg_register_driver(p.br, &rdrv), 0);
	rx = p.shm + base;          /* receive object: SCP -> AP */
	tx = p.shm + base + objsz;  /* send object: AP -> SCP */
	regs = p.shm;

	/* The AP alone: both objects and registers clear, link down until INIT. */
	memset(want, 0, sizeof(want));
	CHECK_MEM(rx, want, objsz);
	CHECK_MEM(tx, want, objsz);
	CHECK_MEM(regs, want, RPMSG_SCP_REGS_SIZE);
	CHECK(!rpmsg_link_is_up(p.lh));
	CHECK_EQ(rpmsg_scp_get_info(p.lh, &info), 0);
	CHECK_EQ(info.rx_obj, base);
	CHECK_EQ(info.tx_obj, base + objsz);
	CHECK_EQ(info.share_buf_size, S);

	/* The SCP starts: INIT on IPI 0, 44 bytes, in the receive object; IPC bit raised. */
	{
		struct rpmsg_platform *pr;

		CHECK_EQ(rpmsg_posix_attach(p.name, &pr), 0);
		CHECK_EQ(rpmsg_scp_create(p.br, pr, &rc, &p.lr), 0);
		regs = pr->shm.va; /* the SCP's view outlives the AP's below */
		rx = regs + base;
		tx = regs + base + objsz;
	}
	memset(want, 0, sizeof(want));
	sp_p32(want + 0, 0);      /* id: SCP_IPI_INIT */
	sp_p32(want + 4, 44);     /* len */
	sp_p32(want + 8, 1);      /* signaled */
	memcpy(want + 12, "scp-fw-1.0", 10);
	sp_p32(want + 8 + 36, 0x11);
	sp_p32(want + 8 + 40, 0x2233);
	CHECK_MEM(rx, want, objsz);
	CHECK_EQ(sp_g32(regs + 0x1C), 1);
	CHECK_EQ(sp_g32(regs + 0x28), 0);

	/* The AP takes it: up, status cleared, version known. */
	CHECK(spair_pump(&p, 10) > 0);
	CHECK(rpmsg_link_is_up(p.lh));
	CHECK_EQ(sp_g32(regs + 0x1C), 0);
	CHECK_EQ(rpmsg_scp_get_info(p.lh, &info), 0);
	CHECK(info.up);
	CHECK(!strcmp(info.fw_version, "scp-fw-1.0"));
	CHECK_EQ(info.dec_capability, 0x11);
	CHECK_EQ(info.enc_capability, 0x2233);

	/* The SCP announces "golden-svc" on IPI 13: 36 bytes on IPI 0xFF. Only len bytes are
	 * written, so INIT's last 8 payload bytes are still there after them. */
	CHECK_EQ(rpmsg_create_channel(p.lr, &ci, &rch), 0);
	want[0] = 0xFF;
	sp_p32(want + 4, 36);
	memset(want + 8, 0, 36);
	memcpy(want + 8, "golden-svc", 10);
	sp_p32(want + 8 + 32, 13);
	CHECK_MEM(rx, want, objsz);
	CHECK_EQ(sp_g32(regs + 0x1C), 1);

	/* The AP creates the channel (name, src = 13, dst = ANY) and binds its driver. */
	spair_pump(&p, 10);
	CHECK_EQ(probes, 1);
	CHECK(host_ch != NULL);
	if (!host_ch)
		goto out;
	CHECK(!strcmp(rpmsg_channel_info(host_ch)->name, "golden-svc"));
	CHECK_EQ(rpmsg_channel_info(host_ch)->src, 13);
	CHECK_EQ(rpmsg_channel_info(host_ch)->dst, RPMSG_ADDR_ANY);
	CHECK_EQ(rpmsg_ept_addr(rpmsg_channel_ept(host_ch)), 13);
	CHECK_EQ(rpmsg_get_mtu(rpmsg_channel_ept(host_ch)), S);

	/* AP -> SCP, 5 bytes on IPI 13, over a send object full of 0xEE: bytes 5..7 of the
	 * payload keep their value (read-modify-write of the last word), the rest untouched. */
	memset(tx, 0xEE, objsz);
	CHECK_EQ(rpmsg_send(rpmsg_channel_ept(host_ch), "\x01\x02\x03\x04\x05", 5), 0);
	memset(want, 0xEE, sizeof(want));
	sp_p32(want + 0, 13);
	sp_p32(want + 4, 5);
	memcpy(want + 8, "\x01\x02\x03\x04\x05", 5);
	CHECK_MEM(tx, want, objsz);
	CHECK_EQ(sp_g32(regs + 0x28), 1);
	/* The slot is busy until the SCP takes it: trysend does not wait. */
	CHECK_EQ(rpmsg_trysend(rpmsg_channel_ept(host_ch), "x", 1), -EAGAIN);
	CHECK_EQ(rpmsg_poll_tx(rpmsg_channel_ept(host_ch)), 0);

	/* The SCP takes it: its endpoint on 13 gets it with src = 13; the doorbell clears. */
	got_len = -1;
	spair_pump(&p, 10);
	CHECK_EQ(got_len, 5);
	CHECK_EQ(got_src, 13);
	CHECK_MEM(got, "\x01\x02\x03\x04\x05", 5);
	CHECK_EQ(sp_g32(regs + 0x28), 0);
	CHECK_EQ(rpmsg_poll_tx(rpmsg_channel_ept(host_ch)), 1);

	/* SCP -> AP, a full payload on IPI 13. */
	for (unsigned i = 0; i < S; i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	CHECK_EQ(rpmsg_send(rpmsg_channel_ept(rch), buf, S), 0);
	sp_p32(want + 0, 13);
	sp_p32(want + 4, S);
	memcpy(want + 8, buf, S);
	CHECK_MEM(rx, want, objsz);
	got_len = -1;
	spair_pump(&p, 10);
	CHECK_EQ(got_len, S);
	CHECK_MEM(got, buf, S);

	/* Oversize: -EMSGSIZE from rpmsg_send, Linux's -EINVAL from the raw IPI send. */
	CHECK_EQ(rpmsg_send(rpmsg_channel_ept(host_ch), buf, S + 1), -EMSGSIZE);
	CHECK_EQ(rpmsg_send(rpmsg_channel_ept(rch), buf, S + 1), -EMSGSIZE);
	CHECK_EQ(rpmsg_scp_ipi_send(p.lh, 13, buf, S + 1, 0), -EINVAL);
	/* The AP may not send on INIT, the name service or beyond 255. */
	CHECK_EQ(rpmsg_scp_ipi_send(p.lh, 0, buf, 1, 0), -EINVAL);
	CHECK_EQ(rpmsg_scp_ipi_send(p.lh, 0xFF, buf, 1, 0), -EINVAL);
	CHECK_EQ(rpmsg_scp_ipi_send(p.lh, 0x100, buf, 1, 0), -EINVAL);
	/* No sendto: the IPI id is the only address. */
	CHECK_EQ(rpmsg_sendto(rpmsg_channel_ept(host_ch), buf, 1, 14), -ENXIO);
	CHECK_EQ(sp_g32(regs + 0x28), 0); /* none of those touched the slot */
	/* Raw send on IPI 13 works too. */
	CHECK_EQ(rpmsg_scp_ipi_send(p.lh, 13, "raw", 3, 0), 0);
	CHECK_EQ(sp_g32(tx + 0), 13);
	CHECK_EQ(sp_g32(tx + 4), 3);
	spair_pump(&p, 10);
	CHECK_EQ(got_len, 3);

	out:
	/* The AP goes away: the SCP is held in reset and its link goes down. */
	rpmsg_bus_destroy(p.bh);
	p.bh = NULL;
	CHECK_EQ(sp_g32(regs + 0x3C), 1);
	rpmsg_bus_poll(p.br, 0);
	CHECK(!rpmsg_link_is_up(p.lr));
	CHECK_EQ(rpmsg_link_channels(p.lr, NULL, 0), 0);
	spair_close(&p);
}

static void check_ns_encode(void)
{
	uint8_t m[36], want[36];

	memset(want, 0, sizeof(want));
	memcpy(want, "cros-ec-rpmsg", 13);
	want[32] = 13;
	CHECK_EQ(rpmsg_scp_ns_encode(m, "cros-ec-rpmsg", 13), 36);
	CHECK_MEM(m, want, 36);
	CHECK_EQ(rpmsg_scp_ns_encode(m, "", 13), -EINVAL);
	CHECK_EQ(rpmsg_scp_ns_encode(m, "0123456789012345678901234567890123", 13), -EINVAL);
	CHECK_EQ(rpmsg_scp_ns_encode(m, "ok", 256), -EINVAL);
}

static void check_bad_config(void)
{
	struct rpmsg_scp_config c = { .role = RPMSG_SCP_HOST, .share_buf_size = 290 };
	struct rpmsg_platform *pl;
	struct rpmsg_bus *bus;
	struct rpmsg_link *l;
	char name[48];

	snprintf(name, sizeof(name), "t-scp-cfg-%d", (int)getpid());
	rpmsg_posix_unlink(name);
	CHECK_EQ(rpmsg_posix_create(name, 4096, &pl), 0);
	CHECK_EQ(rpmsg_bus_create(&bus), 0);
	CHECK_EQ(rpmsg_scp_create(bus, pl, &c, &l), -EINVAL);   /* S not a multiple of 4 */
	c.share_buf_size = 600;
	c.ipi_base = 0x7BDB0;
	CHECK_EQ(rpmsg_scp_create(bus, pl, &c, &l), -ENOSPC);   /* does not fit */
	c.ipi_base = 0x20;
	CHECK_EQ(rpmsg_scp_create(bus, pl, &c, &l), -ENOSPC);   /* overlaps the registers */
	c.ipi_base = 0x102;
	CHECK_EQ(rpmsg_scp_create(bus, pl, &c, &l), -EINVAL);   /* unaligned */
	c.ipi_base = 0;
	c.role = 7;
	CHECK_EQ(rpmsg_scp_create(bus, pl, &c, &l), -EINVAL);
	pl->ops->destroy(pl);
	rpmsg_bus_destroy(bus);
	rpmsg_posix_unlink(name);
}

int main(void)
{
	t_timeout(30);
	check_ns_encode();
	check_bad_config();
	run(RPMSG_SCP_SHARE_BUF_SIZE, RPMSG_SCP_DEFAULT_IPI_BASE, 64 * 1024);
	/* MT8188 (current mainline) payloads, at MT8183's default SRAM offset. */
	run(RPMSG_SCP_SHARE_BUF_SIZE_MT8188, 0x7BDB0, 0x7BDB0 + 4096);
	return t_done();
}
