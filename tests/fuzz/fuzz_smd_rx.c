/*
 * libFuzzer: a hostile remote scribbling over SMEM while both roles of the SMD transport
 * run on it. The input is a program: write bytes or 32-bit words into the channel items
 * (allocation table, info records, FIFOs) or anywhere in SMEM, poll either side, send from
 * either side, close and reopen, create channels. Any out-of-bounds access, hang or leak
 * is a finding; the receive callback touches every byte it is given.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rpmsg/platform.h>
#include <rpmsg/rpmsg.h>
#include <rpmsg/smd.h>

#define SHM_SIZE (128 * 1024)
#define SMEM_BASE 4096u
#define HOT (SMEM_BASE + 12288u + 16384u) /* the private partition: every channel item */
#define HOT_SPAN 8192u

static uint8_t shm[SHM_SIZE] __attribute__((aligned(4096)));

static int m_notify(struct rpmsg_platform *p, uint32_t id) { (void)p; (void)id; return 0; }
static int m_wait(struct rpmsg_platform *p, uint32_t id, int t) { (void)p; (void)id; (void)t; return -ETIMEDOUT; }
static int m_arm(struct rpmsg_platform *p, uint32_t id) { (void)p; (void)id; return 0; }
static int m_ack(struct rpmsg_platform *p, uint32_t id) { (void)p; (void)id; return 0; }
static int m_fd(struct rpmsg_platform *p, uint32_t id) { (void)p; (void)id; return -1; }
static uint64_t m_now(struct rpmsg_platform *p)
{
	struct timespec ts;

	(void)p;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
static void m_destroy(struct rpmsg_platform *p) { (void)p; }

static const struct rpmsg_platform_ops mem_ops = {
	.notify = m_notify, .wait = m_wait, .arm = m_arm, .ack = m_ack, .fd = m_fd,
	.now_ns = m_now, .destroy = m_destroy,
};

static int cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	volatile uint8_t sum = 0;

	(void)ept; (void)src; (void)priv;
	for (size_t i = 0; i < len; i++)
		sum += ((uint8_t *)data)[i];
	return (int)(len % 7) == 3 ? -1 : 0; /* sometimes "not consumed" */
}

static struct rpmsg_channel *bound;

static int probe(struct rpmsg_channel *ch)
{
	bound = ch;
	return 0;
}

static void unprobe(struct rpmsg_channel *ch)
{
	(void)ch;
	bound = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const chans[] = { "fz", "fz2", NULL };
	static const char *const ids[] = { "fz", "fz2", "new", NULL };
	struct rpmsg_platform pr = { .ops = &mem_ops, .shm = { shm, 0, SHM_SIZE }, .side = 0 };
	struct rpmsg_platform pm = { .ops = &mem_ops, .shm = { shm, 0, SHM_SIZE }, .side = 1 };
	struct rpmsg_smd_config rc = { .role = RPMSG_SMD_REMOTE, .format_smem = true,
				       .channels = chans, .fifo_size = 256 };
	struct rpmsg_smd_config mc = { .role = RPMSG_SMD_MAIN, .open_timeout_ms = 1 };
	struct rpmsg_driver mdrv = { .name = "m", .id_table = ids, .probe = probe,
				     .remove = unprobe, .callback = cb };
	struct rpmsg_driver rdrv = { .name = "r", .id_table = ids, .callback = cb };
	struct rpmsg_channel_info ni = { .name = "new", .src = RPMSG_ADDR_ANY, .dst = RPMSG_ADDR_ANY };
	struct rpmsg_bus *bm = NULL, *br = NULL;
	struct rpmsg_link *lm = NULL, *lr = NULL;
	struct rpmsg_endpoint *extra = NULL;
	bool registered = true;
	uint8_t payload[300];

	if (size > 0 && (data[0] & 1))
		rc.word_info = true;
	bound = NULL;
	memset(shm, 0, sizeof(shm));
	memset(payload, 0x5a, sizeof(payload));
	if (rpmsg_bus_create(&bm) || rpmsg_bus_create(&br))
		goto out;
	if (rpmsg_register_driver(br, &rdrv) || rpmsg_register_driver(bm, &mdrv))
		goto out;
	if (rpmsg_smd_create(br, &pr, &rc, &lr) || rpmsg_smd_create(bm, &pm, &mc, &lm))
		goto out;
	rpmsg_bus_poll(br, 0);

	while (size >= 4) {
		uint8_t op = data[0];
		uint32_t off = (uint32_t)data[1] | (uint32_t)data[2] << 8;
		size_t len = data[3];

		data += 4;
		size -= 4;
		switch (op % 9) {
		case 0: /* the remote writes bytes among the channel items */
		case 1: {
			uint32_t at = (op & 0x80) ? SMEM_BASE + off % (SHM_SIZE - SMEM_BASE)
						  : HOT + off % HOT_SPAN;

			len %= 16;
			if (len > size)
				len = size;
			if (len > SHM_SIZE - at)
				len = SHM_SIZE - at;
			memcpy(shm + at, data, len);
			data += len;
			size -= len;
			break;
		}
		case 2: { /* a whole aligned word: heads, tails, states */
			uint32_t at = HOT + (off % HOT_SPAN & ~3u), v = 0;

			if (size < 4)
				break;
			memcpy(&v, data, 4);
			memcpy(shm + at, &v, 4);
			data += 4;
			size -= 4;
			break;
		}
		case 3:
			rpmsg_bus_poll(bm, 0);
			break;
		case 4:
			rpmsg_bus_poll(br, 0);
			break;
		case 5:
			if (bound)
				rpmsg_trysend(rpmsg_channel_ept(bound), payload, (len * 4) % sizeof(payload));
			break;
		case 6: {
			struct rpmsg_link *l = lr;
			struct rpmsg_channel_info infos[4];
			int n = rpmsg_link_channels(l, infos, 4);

			(void)n;
			if (extra)
				rpmsg_trysend(extra, payload, (len * 4) % sizeof(payload));
			break;
		}
		case 7: /* the main CPU closes and reopens */
			if (registered)
				rpmsg_unregister_driver(bm, &mdrv);
			else
				rpmsg_register_driver(bm, &mdrv);
			registered = !registered;
			break;
		case 8: /* the remote opens (or closes) one more channel */
			if (extra) {
				rpmsg_destroy_ept(extra);
				extra = NULL;
			} else {
				rpmsg_create_ept(lr, &ni, cb, NULL, &extra);
			}
			break;
		}
	}
out:
	rpmsg_bus_destroy(bm);
	rpmsg_bus_destroy(br);
	return 0;
}
