/*
 * libFuzzer: a hostile peer scribbling over the SCP share buffers and registers while both
 * roles of the SCP transport run on them. The input is a program: write bytes anywhere in
 * the shared block (objects, registers), raise a register, poll either side, send from
 * either side (trysend, raw IPI sends, announcements). Any out-of-bounds access, hang or
 * leak is a finding.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rpmsg/platform.h>
#include <rpmsg/rpmsg.h>
#include <rpmsg/scp.h>

#define SHM_SIZE 2048

static uint8_t shm[SHM_SIZE] __attribute__((aligned(4096)));

static int m_notify(struct rpmsg_platform *p, uint32_t id) { (void)p; (void)id; return 0; }
static int m_wait(struct rpmsg_platform *p, uint32_t id, int t) { (void)p; (void)id; (void)t; return -ETIMEDOUT; }
static int m_arm(struct rpmsg_platform *p, uint32_t id) { (void)p; (void)id; return 1; }
static int m_ack(struct rpmsg_platform *p, uint32_t id) { (void)p; (void)id; return 0; }
static int m_fd(struct rpmsg_platform *p, uint32_t id) { (void)p; (void)id; return -1; }
/* A clock that jumps 1 ms per look: waits for a busy slot or an ack end at once. */
static uint64_t fake_ns;
static uint64_t m_now(struct rpmsg_platform *p)
{
	(void)p;
	return fake_ns += 1000000u;
}
static void m_destroy(struct rpmsg_platform *p) { (void)p; }

static const struct rpmsg_platform_ops mem_ops = {
	.notify = m_notify, .wait = m_wait, .arm = m_arm, .ack = m_ack, .fd = m_fd,
	.now_ns = m_now, .destroy = m_destroy,
};

static int cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	volatile uint8_t sum = 0;

	(void)src; (void)priv;
	for (size_t i = 0; i < len; i++) /* touch every byte the transport claims is there */
		sum += ((uint8_t *)data)[i];
	(void)sum;
	if (len && ((uint8_t *)data)[0] == 'R')
		rpmsg_trysend(ept, data, len > 8 ? 8 : len); /* answer from the callback */
	return 0;
}

/* Channels come and go (watchdog, reset): track them through probe and remove. */
static struct rpmsg_channel *host_ch, *rch;

static int probe(struct rpmsg_channel *ch)
{
	host_ch = ch;
	return 0;
}

static void removed(struct rpmsg_channel *ch)
{
	if (host_ch == ch)
		host_ch = NULL;
}

static int rprobe(struct rpmsg_channel *ch)
{
	rch = ch;
	return 0;
}

static void rremoved(struct rpmsg_channel *ch)
{
	if (rch == ch)
		rch = NULL;
}

static const char *const ids[] = { "fuzz", "fz", NULL };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rpmsg_platform ph = { .ops = &mem_ops, .shm = { shm, 0, SHM_SIZE }, .side = 0 };
	struct rpmsg_platform pr = { .ops = &mem_ops, .shm = { shm, 0, SHM_SIZE }, .side = 1 };
	/* S = 288 at 0x100: objects at 0x100 and 0x228, registers at 0. */
	struct rpmsg_scp_config hc = { .role = RPMSG_SCP_HOST, .busy_timeout_ms = 1 };
	struct rpmsg_scp_config rc = { .role = RPMSG_SCP_REMOTE, .busy_timeout_ms = 1 };
	struct rpmsg_driver hd = { .name = "h", .id_table = ids, .probe = probe,
				   .remove = removed, .callback = cb };
	struct rpmsg_driver rd = { .name = "r", .id_table = ids, .probe = rprobe,
				   .remove = rremoved, .callback = cb };
	struct rpmsg_channel_info info = { .name = "fuzz", .src = 7, .dst = RPMSG_ADDR_ANY };
	struct rpmsg_bus *bh = NULL, *br = NULL;
	struct rpmsg_link *lh = NULL, *lr = NULL;
	uint8_t payload[700];

	memset(shm, 0, sizeof(shm));
	memset(payload, 'R', sizeof(payload));
	host_ch = rch = NULL;
	if (rpmsg_bus_create(&bh) || rpmsg_bus_create(&br))
		goto out;
	rpmsg_register_driver(bh, &hd);
	rpmsg_register_driver(br, &rd);
	if (rpmsg_scp_create(bh, &ph, &hc, &lh) || rpmsg_scp_create(br, &pr, &rc, &lr))
		goto out;
	rpmsg_create_channel(lr, &info, NULL);

	while (size >= 4) {
		uint8_t op = data[0];
		uint32_t off = ((uint32_t)data[1] | (uint32_t)data[2] << 8) % SHM_SIZE;
		size_t len = data[3];

		data += 4;
		size -= 4;
		switch (op % 9) {
		case 0: /* the peer writes bytes */
			if (len > size)
				len = size;
			if (len > SHM_SIZE - off)
				len = SHM_SIZE - off;
			memcpy(shm + off, data, len);
			data += len;
			size -= len;
			break;
		case 1: /* the peer raises a register (or the reset) */
			__atomic_store_n((uint32_t *)(void *)(shm + (off & 0x3C)), (uint32_t)len | (op & 0x80 ? 0x100 : 0),
					 __ATOMIC_RELEASE);
			break;
		case 2:
			rpmsg_bus_poll(bh, 0);
			break;
		case 3:
			rpmsg_bus_poll(br, 0);
			break;
		case 4:
			if (host_ch && rpmsg_channel_ept(host_ch))
				rpmsg_trysend(rpmsg_channel_ept(host_ch), payload, len * 3 % sizeof(payload));
			break;
		case 5:
			if (rch && rpmsg_channel_ept(rch))
				rpmsg_trysend(rpmsg_channel_ept(rch), payload, len * 3 % sizeof(payload));
			break;
		case 6:
			rpmsg_scp_ipi_send(op & 0x80 ? lr : lh, off & 0x1FF, payload,
					   len * 3 % sizeof(payload), 0);
			break;
		case 7: {
			char name[40];

			memset(name, 'a' + (op & 7), sizeof(name));
			name[len % sizeof(name)] = '\0';
			rpmsg_scp_announce(lr, name, off & 0x1FF);
			break;
		}
		case 8: { /* an endpoint on an id of the input's choosing, on either side */
			struct rpmsg_channel_info e = { .name = "", .src = off & 0x1FF, .dst = RPMSG_ADDR_ANY };
			struct rpmsg_endpoint *ept;

			if (!rpmsg_create_ept(op & 0x80 ? lr : lh, &e, cb, NULL, &ept) && (len & 1))
				rpmsg_destroy_ept(ept);
			break;
		}
		}
	}
out:
	rpmsg_bus_destroy(bh);
	rpmsg_bus_destroy(br);
	return 0;
}
