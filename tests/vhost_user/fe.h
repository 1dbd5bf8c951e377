/*
 * Test helper: a minimal vhost-user front end, as QEMU or UML would be, with the guest
 * side of virtio-rpmsg as Linux's virtio_rpmsg_bus drives it. Guest memory is a memfd
 * shared with the backend (one region, guest physical base FE_GPA, front-end "user"
 * addresses at FE_UVA: a made-up value, so the backend must translate, not guess). The
 * guest's rings are driver-role split rings (virtio/vring.c) in that memory: vq0 holds
 * posted 512-byte receive buffers, vq1 our transmit buffers.
 */
#ifndef RPMSG_TEST_VU_FE_H
#define RPMSG_TEST_VU_FE_H

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vhost_user/vu_proto.h"
#include "virtio/vring.h"

#define FE_GPA 0x40000000ull
#define FE_UVA 0x7f1200000000ull
#define FE_MEM (1u << 20)
#define FE_BUF 512u
#define FE_RING0 0x0000u
#define FE_RING1 0x4000u
#define FE_BUFS 0x10000u

struct fe {
	int sock;
	int memfd;
	uint8_t *mem;
	unsigned num;
	struct vq vq[2];
	int kick[2], call[2];
	int backend_req[2];
	uint16_t buf_of[2][VQ_MAX_NUM]; /* head -> buffer index */
	unsigned tx_fresh;
	bool two_regions; /* describe the memfd as two regions (rings | buffers), apart in user space */
	bool uml;         /* as User-Mode Linux: ack asked on SET_PROTOCOL_FEATURES, 2-slot mem table */
};

static inline uint64_t fe_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static inline void fe_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static inline void fe_w32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void fe_w64(uint8_t *p, uint64_t v)
{
	fe_w32(p, (uint32_t)v);
	fe_w32(p + 4, (uint32_t)(v >> 32));
}

static inline uint32_t fe_r32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t fe_r64(const uint8_t *p)
{
	return (uint64_t)fe_r32(p) | (uint64_t)fe_r32(p + 4) << 32;
}

/* Fresh guest memory and a connection to the backend. 0 or -errno. */
static inline int fe_open(struct fe *f, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(f, 0, sizeof(*f));
	f->kick[0] = f->kick[1] = f->call[0] = f->call[1] = -1;
	f->backend_req[0] = f->backend_req[1] = -1;
	f->memfd = memfd_create("fe-guest-ram", MFD_CLOEXEC);
	if (f->memfd < 0 || ftruncate(f->memfd, FE_MEM))
		return -errno;
	f->mem = mmap(NULL, FE_MEM, PROT_READ | PROT_WRITE, MAP_SHARED, f->memfd, 0);
	if (f->mem == MAP_FAILED)
		return -errno;
	f->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	for (int i = 0; i < 200; i++) {
		if (!connect(f->sock, (struct sockaddr *)&sa, sizeof(sa)))
			return 0;
		fe_sleep_ms(10);
	}
	return -errno;
}

static inline void fe_close(struct fe *f)
{
	if (f->sock >= 0)
		close(f->sock);
	f->sock = -1;
	for (int i = 0; i < 2; i++) {
		if (f->kick[i] >= 0)
			close(f->kick[i]);
		if (f->call[i] >= 0)
			close(f->call[i]);
		if (f->backend_req[i] >= 0)
			close(f->backend_req[i]);
		f->kick[i] = f->call[i] = f->backend_req[i] = -1;
	}
	if (f->mem && f->mem != MAP_FAILED)
		munmap(f->mem, FE_MEM);
	f->mem = NULL;
	if (f->memfd >= 0)
		close(f->memfd);
	f->memfd = -1;
}

/* Send one message (header + payload in one sendmsg, fds attached). */
static inline int fe_send(struct fe *f, uint32_t req, uint32_t flags, const void *payload,
			  uint32_t size, const int *fds, unsigned nfds)
{
	uint8_t buf[VU_HDR_SIZE + 8192];
	union {
		char b[CMSG_SPACE(sizeof(int) * 16)];
		struct cmsghdr a;
	} cb;
	struct iovec iov = { .iov_base = buf, .iov_len = VU_HDR_SIZE + size };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (size > sizeof(buf) - VU_HDR_SIZE)
		return -E2BIG;
	fe_w32(buf, req);
	fe_w32(buf + 4, flags);
	fe_w32(buf + 8, size);
	if (size)
		memcpy(buf + VU_HDR_SIZE, payload, size);
	if (nfds) {
		struct cmsghdr *c;

		memset(&cb, 0, sizeof(cb));
		mh.msg_control = cb.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	return sendmsg(f->sock, &mh, MSG_NOSIGNAL) == (ssize_t)(VU_HDR_SIZE + size) ? 0 : -EIO;
}

/* Read one reply: its payload size, or -ETIMEDOUT, or -ECONNRESET when the backend hung up. */
static inline int fe_recv(struct fe *f, uint32_t req, void *payload, uint32_t max, int timeout_ms)
{
	uint8_t h[VU_HDR_SIZE];
	size_t got = 0;
	uint32_t size;

	while (got < sizeof(h)) {
		struct pollfd p = { .fd = f->sock, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, timeout_ms) <= 0)
			return -ETIMEDOUT;
		n = read(f->sock, h + got, sizeof(h) - got);
		if (n <= 0)
			return -ECONNRESET;
		got += (size_t)n;
	}
	size = fe_r32(h + 8);
	if (fe_r32(h) != req || fe_r32(h + 4) != (VU_VERSION | VU_FLAG_REPLY) || size > max)
		return -EPROTO;
	for (got = 0; got < size;) {
		ssize_t n = read(f->sock, (uint8_t *)payload + got, size - got);

		if (n <= 0)
			return -ECONNRESET;
		got += (size_t)n;
	}
	return (int)size;
}

/* A request with NEED_REPLY: the backend's u64 answer (0 = accepted), or -errno. */
static inline int64_t fe_req(struct fe *f, uint32_t req, const void *payload, uint32_t size,
			     const int *fds, unsigned nfds)
{
	uint8_t r[8];
	int ret = fe_send(f, req, VU_VERSION | VU_FLAG_NEED_REPLY, payload, size, fds, nfds);

	if (ret)
		return ret;
	ret = fe_recv(f, req, r, sizeof(r), 2000);
	if (ret < 0)
		return ret;
	return ret == 8 ? (int64_t)fe_r64(r) : -EPROTO;
}

static inline int64_t fe_req_u64(struct fe *f, uint32_t req, uint64_t v, int fd)
{
	uint8_t p[8];

	fe_w64(p, v);
	return fe_req(f, req, p, 8, &fd, fd >= 0 ? 1 : 0);
}

static inline int64_t fe_req_state(struct fe *f, uint32_t req, uint32_t idx, uint32_t num)
{
	uint8_t p[8];

	fe_w32(p, idx);
	fe_w32(p + 4, num);
	return fe_req(f, req, p, 8, NULL, 0);
}

/* GET_* with no payload: the u64, or -errno. */
static inline int fe_get_u64(struct fe *f, uint32_t req, uint64_t *out)
{
	uint8_t r[8];
	int ret = fe_send(f, req, VU_VERSION, NULL, 0, NULL, 0);

	if (ret)
		return ret;
	ret = fe_recv(f, req, r, sizeof(r), 2000);
	if (ret < 0)
		return ret;
	if (ret != 8)
		return -EPROTO;
	*out = fe_r64(r);
	return 0;
}

/* GET_VRING_BASE: the backend's next avail index for ring q, or -errno. */
static inline int fe_get_base(struct fe *f, uint32_t q)
{
	uint8_t p[8], r[8];
	int ret;

	fe_w32(p, q);
	fe_w32(p + 4, 0);
	ret = fe_send(f, VU_GET_VRING_BASE, VU_VERSION, p, 8, NULL, 0);
	if (ret)
		return ret;
	ret = fe_recv(f, VU_GET_VRING_BASE, r, sizeof(r), 2000);
	if (ret < 0)
		return ret;
	return ret == 8 && fe_r32(r) == q ? (int)fe_r32(r + 4) : -EPROTO;
}

/* Two regions, as QEMU often sends: the rings' 64 KiB, then the buffers. They touch in guest
 * physical space but lie far apart in the front end's user space, and the second one maps
 * the file from an offset. */
#define FE_UVA2 (FE_UVA + 0x40000000ull)
static inline int64_t fe_mem_table2(struct fe *f)
{
	uint8_t p[8 + 64] = { 0 };
	int fds[2] = { f->memfd, f->memfd };

	fe_w32(p, 2);
	fe_w64(p + 8, FE_GPA);
	fe_w64(p + 16, FE_BUFS);
	fe_w64(p + 24, FE_UVA);
	fe_w64(p + 32, 0);
	fe_w64(p + 40, FE_GPA + FE_BUFS);
	fe_w64(p + 48, FE_MEM - FE_BUFS);
	fe_w64(p + 56, FE_UVA2);
	fe_w64(p + 64, FE_BUFS);
	return fe_req(f, VU_SET_MEM_TABLE, p, sizeof(p), fds, 2);
}

/* The memory table: one region, the whole memfd (or two, see above). */
static inline int64_t fe_mem_table(struct fe *f)
{
	uint8_t p[8 + 64] = { 0 };

	if (f->two_regions)
		return fe_mem_table2(f);

	fe_w32(p, 1);
	fe_w64(p + 8, FE_GPA);
	fe_w64(p + 16, FE_MEM);
	fe_w64(p + 24, FE_UVA);
	fe_w64(p + 32, 0);
	return fe_req(f, VU_SET_MEM_TABLE, p, f->uml ? 8 + 64 : 8 + 32, &f->memfd, 1);
}

static inline int64_t fe_ring_addr(struct fe *f, uint32_t q, uint64_t desc, uint64_t used,
				   uint64_t avail)
{
	uint8_t p[40] = { 0 };

	fe_w32(p, q);
	fe_w64(p + 8, desc);
	fe_w64(p + 16, used);
	fe_w64(p + 24, avail);
	return fe_req(f, VU_SET_VRING_ADDR, p, sizeof(p), NULL, 0);
}

static inline uint32_t fe_ring_off(unsigned q)
{
	return q ? FE_RING1 : FE_RING0;
}

/* Ring q's addresses as the front end's user addresses. */
static inline int64_t fe_ring_addr_default(struct fe *f, uint32_t q)
{
	uint64_t base = FE_UVA + fe_ring_off(q);

	return fe_ring_addr(f, q, base, base + VRING_USED_OFF(f->num, 4096), base + VRING_AVAIL_OFF(f->num));
}

static inline uint64_t fe_buf_gpa(unsigned i)
{
	return FE_GPA + FE_BUFS + (uint64_t)i * FE_BUF;
}

static inline uint8_t *fe_buf(struct fe *f, unsigned i)
{
	return f->mem + FE_BUFS + (size_t)i * FE_BUF;
}

/* The guest side before the rings start: zeroed rings, every RX buffer posted on vq0. */
static inline int fe_guest_init(struct fe *f, unsigned num)
{
	f->num = num;
	f->tx_fresh = 0;
	for (unsigned q = 0; q < 2; q++) {
		if (vq_init(&f->vq[q], VQ_DRIVER, f->mem + fe_ring_off(q), 0x4000, num, 4096, 0))
			return -EINVAL;
		vq_reset(&f->vq[q]);
	}
	for (unsigned i = 0; i < num; i++) {
		int head = vq_add(&f->vq[0], fe_buf_gpa(i), FE_BUF, true);

		if (head < 0)
			return head;
		f->buf_of[0][head] = (uint16_t)i;
	}
	vq_publish(&f->vq[0]);
	vq_disable_notify(&f->vq[1]); /* as Linux: no tx-complete interrupts */
	return 0;
}

/* Ring q: size, base, addresses, kick, call, enable. 0 or the first failure. */
static inline int64_t fe_ring_setup(struct fe *f, uint32_t q)
{
	int64_t r;

	if (f->kick[q] < 0)
		f->kick[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (f->call[q] < 0)
		f->call[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if ((r = fe_req_state(f, VU_SET_VRING_NUM, q, f->num)) ||
	    (r = fe_req_state(f, VU_SET_VRING_BASE, q, 0)) || (r = fe_ring_addr_default(f, q)) ||
	    (r = fe_req_u64(f, VU_SET_VRING_KICK, q, f->kick[q])) ||
	    (r = fe_req_u64(f, VU_SET_VRING_CALL, q, f->call[q])) ||
	    (r = fe_req_state(f, VU_SET_VRING_ENABLE, q, 1)))
		return r;
	return 0;
}

#define FE_FEATURES (VU_F_VERSION_1 | VU_F_RPMSG_NS | VU_F_PROTOCOL_FEATURES)
#define FE_PROTO (VU_PF_REPLY_ACK | VU_PF_BACKEND_REQ | VU_PF_CONFIG)

/* Negotiation as QEMU does it, up to (not including) the rings. 0 or a failure. */
static inline int64_t fe_negotiate(struct fe *f)
{
	uint64_t feat, proto;
	int64_t r;

	if (fe_send(f, VU_SET_OWNER, VU_VERSION, NULL, 0, NULL, 0))
		return -EIO;
	if (fe_get_u64(f, VU_GET_FEATURES, &feat) || (feat & FE_FEATURES) != FE_FEATURES)
		return -EPROTO;
	{
		uint8_t p[8];

		fe_w64(p, FE_FEATURES);
		if (fe_send(f, VU_SET_FEATURES, VU_VERSION, p, 8, NULL, 0))
			return -EIO;
	}
	if (fe_get_u64(f, VU_GET_PROTOCOL_FEATURES, &proto) || (proto & FE_PROTO) != FE_PROTO)
		return -EPROTO;
	{
		uint8_t p[8];

		fe_w64(p, FE_PROTO);
		if (f->uml) {
			int64_t r2 = fe_req(f, VU_SET_PROTOCOL_FEATURES, p, 8, NULL, 0);

			if (r2)
				return r2;
		} else if (fe_send(f, VU_SET_PROTOCOL_FEATURES, VU_VERSION, p, 8, NULL, 0)) {
			return -EIO;
		}
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, f->backend_req))
		return -errno;
	if ((r = fe_req(f, VU_SET_BACKEND_REQ_FD, NULL, 0, &f->backend_req[1], 1)))
		return r;
	return fe_mem_table(f);
}

/* Everything: negotiation, guest rings, both vrings started. */
static inline int64_t fe_setup(struct fe *f, unsigned num)
{
	int64_t r;

	if ((r = fe_negotiate(f)))
		return r;
	if (fe_guest_init(f, num))
		return -EINVAL;
	if ((r = fe_ring_setup(f, 0)) || (r = fe_ring_setup(f, 1)))
		return r;
	return 0;
}

static inline void fe_kick(struct fe *f, unsigned q)
{
	uint64_t one = 1;

	(void)!write(f->kick[q], &one, sizeof(one));
}

/* Guest transmit, as virtio_rpmsg_bus: header + payload, one read-only descriptor of 16 + len. */
static inline int fe_tx(struct fe *f, uint32_t src, uint32_t dst, const void *data, uint16_t len)
{
	unsigned b;
	uint32_t ul;
	uint8_t *p;
	int head;

	if (f->tx_fresh < f->num) {
		b = f->num + f->tx_fresh++;
	} else {
		head = vq_get_used(&f->vq[1], &ul);
		if (head < 0)
			return -ENOMEM;
		b = f->buf_of[1][head];
	}
	p = fe_buf(f, b);
	fe_w32(p, src);
	fe_w32(p + 4, dst);
	fe_w32(p + 8, 0);
	p[12] = (uint8_t)len;
	p[13] = (uint8_t)(len >> 8);
	p[14] = p[15] = 0;
	memcpy(p + 16, data, len);
	head = vq_add(&f->vq[1], fe_buf_gpa(b), 16u + len, false);
	if (head < 0)
		return head;
	f->buf_of[1][head] = (uint16_t)b;
	if (vq_publish(&f->vq[1]))
		fe_kick(f, 1);
	return 0;
}

/*
 * Guest receive: wait up to timeout_ms for a used vq0 buffer; copy the raw buffer (used
 * length bytes) to out, re-post it and kick. Returns the used length, -ETIMEDOUT or -EIO.
 */
static inline int fe_rx(struct fe *f, uint8_t *out, size_t max, int timeout_ms)
{
	uint64_t deadline = fe_now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		uint32_t ul;
		int head = vq_get_used(&f->vq[0], &ul);

		if (head >= 0) {
			unsigned b = f->buf_of[0][head];
			int nh;

			if (ul > FE_BUF)
				return -EIO;
			memcpy(out, fe_buf(f, b), ul < max ? ul : max);
			nh = vq_add(&f->vq[0], fe_buf_gpa(b), FE_BUF, true);
			if (nh < 0)
				return nh;
			f->buf_of[0][nh] = (uint16_t)b;
			if (vq_publish(&f->vq[0]))
				fe_kick(f, 0);
			return (int)ul;
		}
		if (head != -EAGAIN)
			return -EIO;
		if (fe_now_ms() >= deadline)
			return -ETIMEDOUT;
		fe_sleep_ms(1);
	}
}

#endif
