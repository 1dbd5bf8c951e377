/*
 * libFuzzer: a hostile peer scribbling over shared memory while both roles of the virtio
 * transport run on it. The input is a program: write bytes anywhere in the shared block
 * (rings, descriptors, buffers, the resource table, the status byte), poll either side,
 * send from either side, restart the remote (a fresh device writes a fresh table over the
 * same memory: the driver must renegotiate), or play status-byte games. Both roles are
 * exercised as receivers of hostile input. Any out-of-bounds access, hang or leak is a
 * finding. The input is a list of 4-byte ops: op, offset (2 bytes), length/value.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rpmsg/platform.h>
#include <rpmsg/rpmsg.h>
#include <rpmsg/virtio.h>

#define SHM_SIZE (64 * 1024)

static uint8_t shm[SHM_SIZE] __attribute__((aligned(4096)));

static int m_notify(struct rpmsg_platform *p, uint32_t id) { (void)p; (void)id; return 0; }
static int m_wait(struct rpmsg_platform *p, uint32_t id, int t) { (void)p; (void)id; (void)t; return -ETIMEDOUT; }
static int m_arm(struct rpmsg_platform *p, uint32_t id) { (void)p; (void)id; return 1; }
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
	for (size_t i = 0; i < len; i++) /* touch every byte the transport claims is there */
		sum += ((uint8_t *)data)[i];
	(void)sum;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rpmsg_platform pd = { .ops = &mem_ops, .shm = { shm, 0, SHM_SIZE }, .side = 0 };
	struct rpmsg_platform pv = { .ops = &mem_ops, .shm = { shm, 0, SHM_SIZE }, .side = 1 };
	struct rpmsg_virtio_config dc = { .role = RPMSG_VIRTIO_DRIVER, .vring_num = 8,
					  .vring_align = 16, .attach_timeout_ms = 1 };
	struct rpmsg_virtio_config vc = { .role = RPMSG_VIRTIO_DEVICE, .vring_num = 8,
					  .vring_align = 16 };
	struct rpmsg_channel_info info = { .name = "fuzz", .src = 1024, .dst = 1024 };
	struct rpmsg_bus *bd = NULL, *bv = NULL;
	struct rpmsg_link *ld = NULL, *lv = NULL;
	struct rpmsg_endpoint *ed = NULL, *ev = NULL;
	uint8_t payload[600];

	memset(shm, 0, sizeof(shm));
	memset(payload, 0x5a, sizeof(payload));
	if (rpmsg_bus_create(&bd) || rpmsg_bus_create(&bv))
		goto out;
	if (rpmsg_virtio_create(bv, &pv, &vc, &lv) || rpmsg_virtio_create(bd, &pd, &dc, &ld))
		goto out;
	rpmsg_bus_poll(bv, 0);
	rpmsg_create_ept(ld, &info, cb, NULL, &ed);
	rpmsg_create_ept(lv, &info, cb, NULL, &ev);

	while (size >= 4) {
		uint8_t op = data[0];
		uint32_t off = ((uint32_t)data[1] | (uint32_t)data[2] << 8) % SHM_SIZE;
		size_t len = data[3];

		data += 4;
		size -= 4;
		switch (op % 8) {
		case 0: /* the peer writes bytes */
			if (len > size)
				len = size;
			if (len > SHM_SIZE - off)
				len = SHM_SIZE - off;
			memcpy(shm + off, data, len);
			data += len;
			size -= len;
			break;
		case 1:
			rpmsg_bus_poll(bd, 0);
			break;
		case 2:
			rpmsg_bus_poll(bv, 0);
			break;
		case 3:
			if (ed)
				rpmsg_trysend(ed, payload, len * 2 % sizeof(payload));
			break;
		case 4:
			if (ev)
				rpmsg_trysend(ev, payload, len * 2 % sizeof(payload));
			break;
		case 5: { /* zero copy both ways */
			void *b;
			size_t bs;

			if (ev && !rpmsg_get_tx_buffer(ev, &b, &bs, 0)) {
				memset(b, 1, bs);
				if (rpmsg_send_nocopy(ev, 1024, b, len))
					rpmsg_release_tx_buffer(ev, b);
			}
			break;
		}
		case 6: /* the remote crashes and a new one starts over the same memory */
			rpmsg_link_destroy(lv);
			lv = NULL;
			ev = NULL;
			if (rpmsg_virtio_create(bv, &pv, &vc, &lv)) {
				lv = NULL;
				break;
			}
			rpmsg_create_ept(lv, &info, cb, NULL, &ev);
			break;
		case 7: /* either side writes the status byte (driver's, or a hostile device) */
			shm[20 + 24] = (uint8_t)len;
			break;
		}
	}
out:
	rpmsg_bus_destroy(bd);
	rpmsg_bus_destroy(bv);
	return 0;
}
