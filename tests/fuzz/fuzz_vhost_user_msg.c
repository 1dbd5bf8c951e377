/*
 * libFuzzer target: the vhost-user message parser and state machine of the virtio-rpmsg
 * backend (src/vhost_user/vu_proto.c), driven by a hostile front end. The input is a list
 * of messages: request (one byte, so that real requests come up often), flags byte,
 * payload size (two bytes), fd count (0..3, each a fresh fd of guest memory or an eventfd),
 * then the payload. Request 0xFF instead pokes 8 bytes into guest memory (so the rings the
 * front end points at hold hostile values). After every message the live rings are pulled
 * as the backend would: every buffer translated and touched, bounds checked against the
 * regions. Nothing may crash, leak an fd or a mapping, or touch memory outside a region.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -Isrc \
 *         tests/fuzz/fuzz_vhost_user_msg.c src/vhost_user/vu_proto.c src/virtio/vring.c \
 *         -o /tmp/fzvu && /tmp/fzvu -max_total_time=20
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vhost_user/vu_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NEED(c)                                                                                    \
	do {                                                                                       \
		if (!(c))                                                                          \
			__builtin_trap();                                                          \
	} while (0)

#define MEM (256u * 1024u)

static int memfd = -1;
static uint8_t *mem;

static void setup(void)
{
	if (memfd >= 0)
		return;
	memfd = memfd_create("fuzz-guest", MFD_CLOEXEC);
	NEED(memfd >= 0 && !ftruncate(memfd, MEM));
	mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	NEED(mem != MAP_FAILED);
}

/* p..p+len lies inside one mapped region. */
static bool inside(const struct vu_dev *d, const uint8_t *p, uint64_t len)
{
	for (unsigned i = 0; i < d->nreg; i++) {
		const uint8_t *lo = d->reg[i].map + d->reg[i].off, *hi = d->reg[i].map + d->reg[i].map_len;

		if (p >= lo && p <= hi && len <= (uint64_t)(hi - p))
			return true;
	}
	return false;
}

static void pull_rings(struct vu_dev *d)
{
	for (unsigned q = 0; q < VU_NUM_QUEUES; q++) {
		struct vu_ring *r = &d->ring[q];

		if (!r->live)
			continue;
		for (unsigned n = 0; n < 8; n++) {
			uint64_t addr;
			uint32_t len;
			uint16_t flags;
			volatile uint8_t *p;
			int head = vq_get_avail(&r->vq, &addr, &len, &flags);

			if (head < 0) {
				NEED(head == -EAGAIN || head == -EIO);
				break;
			}
			p = vu_gpa_ptr(d, addr, len);
			if (p && len) {
				NEED(inside(d, (const uint8_t *)p, len));
				(void)p[0];
				(void)p[len - 1];
				if (flags & VRING_DESC_F_WRITE)
					p[0] = 0x5a;
			}
			NEED(!vq_put_used(&r->vq, (uint16_t)head, 0));
		}
		vq_publish(&r->vq);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t payload[VU_MAX_PAYLOAD];
	struct vu_dev d;

	setup();
	memset(mem, 0, 8192);
	vu_dev_init(&d, VU_F_VERSION_1 | VU_F_RPMSG_NS | VU_F_PROTOCOL_FEATURES,
		    VU_PF_MQ | VU_PF_REPLY_ACK | VU_PF_BACKEND_REQ | VU_PF_CONFIG);
	while (size >= 5) {
		struct vu_hdr h;
		struct vu_reply rep;
		int fds[3];
		unsigned nfds, n;
		int ret;

		if (data[0] == 0xFF) {
			unsigned off = ((unsigned)data[1] | (unsigned)data[2] << 8) * 8u % MEM;

			n = size - 3 < 8 ? (unsigned)size - 3 : 8;
			memcpy(mem + off, data + 3, n);
			data += 3 + n;
			size -= 3 + n;
			continue;
		}
		h.request = data[0];
		h.flags = data[1] & 0x0f;
		h.size = (uint32_t)data[2] | (uint32_t)data[3] << 8;
		nfds = data[4] % 4;
		data += 5;
		size -= 5;
		if (vu_hdr_check(&d, &h))
			break; /* the backend hangs up: the input ends here */
		n = h.size < size ? h.size : (unsigned)size;
		memset(payload, 0, h.size);
		memcpy(payload, data, n);
		data += n;
		size -= n;
		for (unsigned i = 0; i < nfds; i++)
			fds[i] = (h.request == VU_SET_MEM_TABLE) ? dup(memfd)
								 : eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ret = vu_dev_handle(&d, &h, payload, fds, nfds, &rep);
		for (unsigned i = 0; i < nfds; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		NEED(ret <= 0);
		NEED(!rep.send || rep.size <= sizeof(rep.payload));
		NEED(d.nreg <= VU_MAX_REGIONS);
		for (unsigned q = 0; q < VU_NUM_QUEUES; q++)
			NEED(!d.ring[q].live || (d.ring[q].num && d.ring[q].kick_fd >= 0 && d.nreg));
		pull_rings(&d);
	}
	vu_dev_reset(&d);
	return 0;
}
