// SPDX-License-Identifier: BSD-3-Clause
/*
 * The vhost-user virtio-rpmsg device: a remote-role rpmsg link whose peer is a guest
 * kernel's virtio_rpmsg_bus, reached through a vhost-user front end (QEMU, UML).
 *
 * Queues (spec 10-virtio.md §2): vq0 carries empty guest receive buffers that we fill with
 * our messages; vq1 carries the guest's messages, which we deliver and hand back. Both are
 * device-role split rings (virtio/vring.c) over guest memory the front end shared with
 * SET_MEM_TABLE. One lock (v->lock) covers the protocol state, the memory map and both
 * rings; it is never held across a receive callback, so callbacks may send.
 *
 * Who runs what: rpmsg_bus_poll() calls vhu_process(), which accepts the front end, handles
 * its messages, drains the kick eventfds and delivers what the guest transmitted. Senders
 * (any thread) take a guest receive buffer under the lock and signal the call eventfd.
 * The link is up while both rings run; when either stops, the link goes down (every
 * channel removed) until the front end starts them again.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rpmsg/transport.h>
#include <rpmsg/vhost_user.h>

#include "vhost_user/vu_proto.h"
#include "virtio/rpmsg_wire.h"

#define HDR_SIZE RPMSG_HDR_SIZE
#define IO_TIMEOUT_MS 1000 /* the rest of a message that started arriving, or a reply */
#define MSG_BUDGET 64

struct txbuf {
	uint8_t *va;
	uint32_t len;
	uint16_t head;
	uint32_t gen;
};

struct vhu {
	struct rpmsg_link *link;
	pthread_mutex_t lock;
	struct vu_dev dev;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int lfd, cfd;
	int watched_kick[VU_NUM_QUEUES];
	_Atomic bool up;
	_Atomic uint32_t gen; /* +1 at every up/down change */
	_Atomic uint32_t tx_len;
	bool ns_offered;
	bool have_stash;      /* a guest buffer too small for the last message, kept for the next */
	struct txbuf stash;
	/*
	 * Rings live is not the guest's driver ready: Linux sets its rings up, then registers
	 * its name service and only then sets DRIVER_OK, and a message that comes in between
	 * is dropped ("no recipient"). vhost-user does not show DRIVER_OK, but Linux kicks vq0
	 * right after it when vq0 kicks are on: so they stay on until that kick (or a message
	 * from the guest, or READY_WAIT_MS for a front end that never kicks), then the link is up.
	 */
	bool ready;
	uint64_t live_since_ms; /* 0: rings not live */
	struct rpmsg_vhost_user_stats st;
};

static void cnt(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint32_t get32(const uint8_t *p)
{
	return rpmsg_wire_get(p, 4, false);
}

static void put32(uint8_t *p, uint32_t x)
{
	rpmsg_wire_put(p, 4, x, false);
}

/* Interrupt the guest about queue q (caller holds the lock: the fd stays put). */
static void call_guest(struct vhu *v, unsigned q)
{
	uint64_t one = 1;
	int fd = v->dev.ring[q].call_fd;

	if (fd >= 0 && write(fd, &one, sizeof(one)) == (ssize_t)sizeof(one))
		cnt(&v->st.calls);
}

/* The guest broke the ring protocol on queue q: stop the ring (the link goes down). */
static void ring_broken(struct vhu *v, unsigned q)
{
	struct vu_ring *r = &v->dev.ring[q];

	r->live = false;
	r->kicked = false;
	cnt(&v->st.rx_bad);
	snprintf(v->dev.err, sizeof(v->dev.err), "vring %u: the guest broke the ring protocol", q);
}

/* ---- transmit: fill the guest's receive buffers (vq0) ---- */

/* 0 with a buffer, -ENOMEM when the guest has none posted, -ENOTCONN when down. */
static int tx_take_locked(struct vhu *v, struct txbuf *b)
{
	struct vu_ring *r = &v->dev.ring[0];
	bool returned = false;
	int ret;

	if (!atomic_load(&v->up) || !r->live)
		return -ENOTCONN;
	if (v->have_stash) {
		v->have_stash = false;
		*b = v->stash;
		return 0;
	}
	ret = -ENOMEM;
	/* Bounded: a guest that keeps posting bad buffers does not keep us here. */
	for (uint32_t budget = r->num; budget; budget--) {
		uint64_t addr;
		uint32_t len;
		uint16_t flags;
		uint8_t *va;
		int head = vq_get_avail(&r->vq, &addr, &len, &flags);

		if (head == -EAGAIN) {
			ret = -ENOMEM;
			break;
		}
		if (head < 0) {
			ring_broken(v, 0);
			return -EPIPE;
		}
		va = (flags & VRING_DESC_F_WRITE) && len >= HDR_SIZE ? vu_gpa_ptr(&v->dev, addr, len)
								     : NULL;
		if (!va) {
			/* Read-only, too short for a header, or outside guest memory: give it
			 * back untouched. */
			cnt(&v->st.rx_bad);
			vq_put_used(&r->vq, (uint16_t)head, 0);
			returned = true;
			continue;
		}
		b->va = va;
		b->len = len;
		b->head = (uint16_t)head;
		b->gen = atomic_load(&v->gen);
		atomic_store(&v->tx_len, len);
		return 0;
	}
	if (returned && vq_publish(&r->vq))
		call_guest(v, 0);
	return ret;
}

static void sleep_us(unsigned us)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)us * 1000L };

	nanosleep(&ts, NULL);
}

static int vhu_send(struct rpmsg_link *link, struct rpmsg_endpoint *ept, uint32_t src,
		    uint32_t dst, const void *data, size_t len, int timeout_ms)
{
	struct vhu *v = rpmsg_link_priv(link);
	uint64_t deadline = timeout_ms > 0 ? now_ms() + (uint64_t)timeout_ms : 0;
	uint32_t gen = atomic_load(&v->gen);
	bool waited = false;

	(void)ept;
	if (len > 0xFFFFu)
		return -EMSGSIZE;
	if (!atomic_load(&v->up))
		return -ENOTCONN;
	for (;;) {
		struct txbuf b;
		int ret;

		pthread_mutex_lock(&v->lock);
		if (atomic_load(&v->gen) != gen) {
			pthread_mutex_unlock(&v->lock);
			return waited ? -EPIPE : -ENOTCONN;
		}
		if (dst == RPMSG_NS_ADDR && !(v->dev.features & VU_F_RPMSG_NS)) {
			pthread_mutex_unlock(&v->lock);
			return -EOPNOTSUPP; /* the guest did not take the name service */
		}
		ret = tx_take_locked(v, &b);
		if (!ret) {
			if (len > b.len - HDR_SIZE) {
				v->stash = b;
				v->have_stash = true;
				pthread_mutex_unlock(&v->lock);
				return -EMSGSIZE;
			}
			rpmsg_hdr_write(b.va, src, dst, (uint16_t)len, false);
			if (len)
				memcpy(b.va + HDR_SIZE, data, len);
			/* The used length is what we wrote: header plus payload. */
			vq_put_used(&v->dev.ring[0].vq, b.head, (uint32_t)(HDR_SIZE + len));
			if (vq_publish(&v->dev.ring[0].vq))
				call_guest(v, 0);
			pthread_mutex_unlock(&v->lock);
			cnt(&v->st.tx_msgs);
			return 0;
		}
		pthread_mutex_unlock(&v->lock);
		if (ret == -ENOTCONN && waited)
			return -EPIPE; /* the guest went away while we waited */
		if (ret != -ENOMEM || timeout_ms == 0)
			return ret;
		if (timeout_ms > 0 && now_ms() >= deadline)
			return -ETIMEDOUT;
		/* The guest refills its receive ring without telling us (we keep vq0's kicks
		 * off): look again shortly. */
		waited = true;
		sleep_us(200);
	}
}

static int vhu_get_mtu(struct rpmsg_link *link, struct rpmsg_endpoint *ept)
{
	struct vhu *v = rpmsg_link_priv(link);

	(void)ept;
	return (int)atomic_load(&v->tx_len) - (int)HDR_SIZE;
}

static int vhu_poll_tx(struct rpmsg_link *link, struct rpmsg_endpoint *ept)
{
	struct vhu *v = rpmsg_link_priv(link);
	struct txbuf b;
	int ret;

	(void)ept;
	pthread_mutex_lock(&v->lock);
	ret = tx_take_locked(v, &b);
	if (!ret) {
		v->stash = b; /* just looking: keep it for the next send */
		v->have_stash = true;
	}
	pthread_mutex_unlock(&v->lock);
	return ret == 0 ? 1 : (ret == -ENOMEM || ret == -ENOTCONN) ? 0 : ret;
}

/* ---- receive: the guest's transmit queue (vq1) ---- */

static int rx_pass(struct vhu *v)
{
	struct vu_ring *r = &v->dev.ring[1];
	int n = 0;

	for (uint32_t budget = VQ_MAX_NUM; budget; budget--) {
		uint64_t addr;
		uint32_t dlen, src, dst;
		uint16_t flags, len;
		uint8_t hdr[HDR_SIZE], *va;
		int head;

		pthread_mutex_lock(&v->lock);
		if (!r->live || !atomic_load(&v->up)) {
			pthread_mutex_unlock(&v->lock);
			break;
		}
		head = vq_get_avail(&r->vq, &addr, &dlen, &flags);
		if (head < 0) {
			if (head != -EAGAIN)
				ring_broken(v, 1);
			pthread_mutex_unlock(&v->lock);
			break;
		}
		n++;
		va = !(flags & VRING_DESC_F_WRITE) && dlen >= HDR_SIZE
			     ? vu_gpa_ptr(&v->dev, addr, dlen)
			     : NULL;
		if (!va) {
			cnt(&v->st.rx_bad);
			vq_put_used(&r->vq, (uint16_t)head, 0);
			pthread_mutex_unlock(&v->lock);
			continue;
		}
		pthread_mutex_unlock(&v->lock);

		/* The guest may still scribble: read the header once. The memory map only
		 * changes in process(), which is here, so va stays mapped until we are done. */
		memcpy(hdr, va, HDR_SIZE);
		{
			struct rpmsg_hdr_fields hf = rpmsg_hdr_read(hdr, false);

			src = hf.src;
			dst = hf.dst;
			len = hf.len;
		}
		if (len > dlen - HDR_SIZE) {
			cnt(&v->st.rx_bad);
		} else {
			cnt(&v->st.rx_msgs);
			if (rpmsg_link_deliver(v->link, src, dst, va + HDR_SIZE, len))
				cnt(&v->st.rx_dropped);
		}

		pthread_mutex_lock(&v->lock);
		if (r->live)
			vq_put_used(&r->vq, (uint16_t)head, 0); /* nothing written into it */
		pthread_mutex_unlock(&v->lock);
	}
	pthread_mutex_lock(&v->lock);
	if (r->live && vq_publish(&r->vq))
		call_guest(v, 1);
	pthread_mutex_unlock(&v->lock);
	return n;
}

/* ---- the front end's socket ---- */

/* Empty a kick eventfd; true if it had been kicked. */
static bool drain(int fd)
{
	bool kicked = false;
	uint64_t x;

	while (fd >= 0 && read(fd, &x, sizeof(x)) == (ssize_t)sizeof(x))
		kicked = true;
	return kicked;
}

#define READY_WAIT_MS 100

/* Rings live (caller holds lock): has the guest's driver shown it is ready? */
static bool guest_ready_locked(struct vhu *v)
{
	if (!v->live_since_ms) {
		v->live_since_ms = now_ms();
		v->ready = false;
		vq_enable_notify(&v->dev.ring[0].vq); /* so that the kick after DRIVER_OK comes */
	}
	if (drain(v->dev.ring[0].kick_fd) || vq_pending(&v->dev.ring[1].vq) ||
	    now_ms() - v->live_since_ms >= READY_WAIT_MS)
		v->ready = true;
	return v->ready;
}

static void unwatch_kicks(struct vhu *v)
{
	for (unsigned q = 0; q < VU_NUM_QUEUES; q++) {
		if (v->watched_kick[q] >= 0)
			rpmsg_link_unwatch_fd(v->link, v->watched_kick[q]);
		v->watched_kick[q] = -1;
	}
}

/* Watch the kick fds the front end gave (kicks on vq1 wake rpmsg_bus_poll). */
static void watch_kicks(struct vhu *v)
{
	for (unsigned q = 0; q < VU_NUM_QUEUES; q++) {
		int fd = v->dev.ring[q].kick_fd;

		if (fd >= 0 && v->watched_kick[q] != fd) {
			int fl = fcntl(fd, F_GETFL);

			if (fl >= 0 && !(fl & O_NONBLOCK))
				fcntl(fd, F_SETFL, fl | O_NONBLOCK);
			if (!rpmsg_link_watch_fd(v->link, fd))
				v->watched_kick[q] = fd;
		}
	}
}

static void disconnect(struct vhu *v)
{
	if (v->cfd < 0)
		return;
	pthread_mutex_lock(&v->lock);
	unwatch_kicks(v);
	rpmsg_link_unwatch_fd(v->link, v->cfd);
	close(v->cfd);
	v->cfd = -1;
	v->have_stash = false;
	vu_dev_reset(&v->dev);
	v->st.connected = false;
	cnt(&v->st.disconnects);
	pthread_mutex_unlock(&v->lock);
}

/* Read exactly n bytes, waiting up to IO_TIMEOUT_MS for the rest. */
static int read_full(int fd, uint8_t *p, size_t n)
{
	uint64_t deadline = now_ms() + IO_TIMEOUT_MS;

	while (n) {
		ssize_t got = read(fd, p, n);

		if (got > 0) {
			p += got;
			n -= (size_t)got;
			continue;
		}
		if (got == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		{
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			uint64_t now = now_ms();

			if (now >= deadline)
				return -ETIMEDOUT;
			poll(&pfd, 1, (int)(deadline - now));
		}
	}
	return 0;
}

static int write_full(int fd, const uint8_t *p, size_t n)
{
	uint64_t deadline = now_ms() + IO_TIMEOUT_MS;

	while (n) {
		ssize_t put = send(fd, p, n, MSG_NOSIGNAL);

		if (put > 0) {
			p += put;
			n -= (size_t)put;
			continue;
		}
		if (put < 0 && errno == EINTR)
			continue;
		if (put < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		{
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			uint64_t now = now_ms();

			if (now >= deadline)
				return -ETIMEDOUT;
			poll(&pfd, 1, (int)(deadline - now));
		}
	}
	return 0;
}

static bool is_get(uint32_t req)
{
	return req == VU_GET_FEATURES || req == VU_GET_PROTOCOL_FEATURES ||
	       req == VU_GET_QUEUE_NUM || req == VU_GET_VRING_BASE || req == VU_GET_CONFIG;
}

/* One message: 1 handled, 0 none waiting, < 0 the connection must go. */
static int read_one(struct vhu *v)
{
	uint8_t hb[VU_HDR_SIZE], payload[VU_MAX_PAYLOAD];
	union {
		char buf[CMSG_SPACE(sizeof(int) * VU_MAX_FDS)];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { .iov_base = hb, .iov_len = sizeof(hb) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf,
			     .msg_controllen = sizeof(cbuf.buf) };
	int fds[VU_MAX_FDS];
	unsigned nfds = 0;
	struct vu_hdr h;
	struct vu_reply rep;
	ssize_t got;
	int ret;

	got = recvmsg(v->cfd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (got < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -errno;
	if (got == 0)
		return -ECONNRESET;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (nfds < VU_MAX_FDS)
				fds[nfds++] = fd;
			else
				close(fd);
		}
	}
	ret = 0;
	if (mh.msg_flags & MSG_CTRUNC) {
		pthread_mutex_lock(&v->lock);
		snprintf(v->dev.err, sizeof(v->dev.err), "more fds than %u with one message", VU_MAX_FDS);
		v->dev.rejected++;
		pthread_mutex_unlock(&v->lock);
		ret = -EPROTO;
	}
	if (!ret && got < (ssize_t)sizeof(hb))
		ret = read_full(v->cfd, hb + got, sizeof(hb) - (size_t)got);
	if (!ret) {
		h.request = get32(hb);
		h.flags = get32(hb + 4);
		h.size = get32(hb + 8);
		pthread_mutex_lock(&v->lock);
		ret = vu_hdr_check(&v->dev, &h);
		pthread_mutex_unlock(&v->lock);
	}
	if (!ret && h.size)
		ret = read_full(v->cfd, payload, h.size);
	if (ret) {
		/* Framing broken (counted where refused) or the peer stalled: hang up. */
		for (unsigned i = 0; i < nfds; i++)
			close(fds[i]);
		return ret;
	}

	pthread_mutex_lock(&v->lock);
	/* Kick fds may be replaced and the memory map changed: let go of both first. */
	unwatch_kicks(v);
	v->have_stash = false; /* (that buffer is lost to the guest: rare, see doc) */
	ret = vu_dev_handle(&v->dev, &h, payload, fds, nfds, &rep);
	watch_kicks(v);
	pthread_mutex_unlock(&v->lock);
	for (unsigned i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	cnt(&v->st.requests);
	if (rep.send) {
		uint8_t out[VU_HDR_SIZE + sizeof(rep.payload)];

		put32(out, h.request);
		put32(out + 4, VU_VERSION | VU_FLAG_REPLY);
		put32(out + 8, rep.size);
		memcpy(out + VU_HDR_SIZE, rep.payload, rep.size);
		if (write_full(v->cfd, out, VU_HDR_SIZE + rep.size))
			return -EPIPE;
	} else if (ret && is_get(h.request)) {
		return -EPROTO; /* it waits for an answer we will not give */
	}
	return 1;
}

static int accept_front_end(struct vhu *v)
{
	int fd = accept4(v->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return 0;
	if (v->cfd >= 0) {
		close(fd); /* one front end at a time */
		return 1;
	}
	if (rpmsg_link_watch_fd(v->link, fd)) {
		close(fd);
		return 1;
	}
	pthread_mutex_lock(&v->lock);
	v->cfd = fd;
	v->st.connected = true;
	cnt(&v->st.connects);
	pthread_mutex_unlock(&v->lock);
	return 1;
}

/* Bring the link up or down to match the rings. > 0 when it changed. */
static int sync_link(struct vhu *v)
{
	bool live;

	pthread_mutex_lock(&v->lock);
	live = vu_dev_live(&v->dev);
	if (!live)
		v->live_since_ms = 0;
	if (live && !atomic_load(&v->up) && guest_ready_locked(v)) {
		/* Our receive buffers come back to us; their refills need no kick. */
		vq_disable_notify(&v->dev.ring[0].vq);
		vq_enable_notify(&v->dev.ring[1].vq);
		v->have_stash = false;
		atomic_fetch_add(&v->gen, 1);
		atomic_store(&v->up, true);
		pthread_mutex_unlock(&v->lock);
		rpmsg_link_announce_local(v->link); /* services set up before the guest was */
		return 1;
	}
	if (!live && atomic_load(&v->up)) {
		atomic_fetch_add(&v->gen, 1);
		atomic_store(&v->up, false);
		v->have_stash = false;
		pthread_mutex_unlock(&v->lock);
		rpmsg_link_remove_channels(v->link);
		return 1;
	}
	pthread_mutex_unlock(&v->lock);
	return 0;
}

static int vhu_process(struct rpmsg_link *link)
{
	struct vhu *v = rpmsg_link_priv(link);
	int n = 0;

	/* The current front end first: one that hung up is gone before a new one is let in. */
	for (int i = 0; v->cfd >= 0 && i < MSG_BUDGET; i++) {
		int r = read_one(v);

		if (r < 0) {
			disconnect(v);
			n++;
			break;
		}
		if (r == 0)
			break;
		n++;
	}
	if (v->cfd < 0 && (n += accept_front_end(v)) && v->cfd >= 0) {
		for (int i = 0; v->cfd >= 0 && i < MSG_BUDGET; i++) {
			int r = read_one(v);

			if (r < 0)
				disconnect(v);
			if (r <= 0)
				break;
			n++;
		}
	} else if (v->cfd >= 0) {
		n += accept_front_end(v); /* a second one is turned away */
	}
	n += sync_link(v);
	pthread_mutex_lock(&v->lock);
	if (drain(v->dev.ring[0].kick_fd) && v->live_since_ms)
		v->ready = true; /* the kick after DRIVER_OK (see struct vhu) */
	drain(v->dev.ring[1].kick_fd);
	pthread_mutex_unlock(&v->lock);
	if (atomic_load(&v->up))
		n += rx_pass(v);
	n += sync_link(v); /* a ring the guest broke in rx_pass */
	return n;
}

static int vhu_arm(struct rpmsg_link *link)
{
	struct vhu *v = rpmsg_link_priv(link);
	int pending = 0;

	pthread_mutex_lock(&v->lock);
	if (atomic_load(&v->up) ? !vu_dev_live(&v->dev)
				: vu_dev_live(&v->dev) && v->live_since_ms &&
					  now_ms() - v->live_since_ms >= READY_WAIT_MS)
		pending = 1; /* a kick on vq0 wakes the bus by itself; the wait's end does not */
	else if (v->dev.ring[1].live && vq_pending(&v->dev.ring[1].vq))
		pending = 1;
	pthread_mutex_unlock(&v->lock);
	return pending;
}

static bool vhu_is_up(struct rpmsg_link *link)
{
	struct vhu *v = rpmsg_link_priv(link);

	return atomic_load(&v->up);
}

static void vhu_free(struct vhu *v)
{
	if (v->cfd >= 0)
		close(v->cfd);
	if (v->lfd >= 0) {
		close(v->lfd);
		unlink(v->path);
	}
	vu_dev_reset(&v->dev);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

static void vhu_destroy(struct rpmsg_link *link)
{
	vhu_free(rpmsg_link_priv(link));
}

static const struct rpmsg_transport_ops vhu_ops = {
	.send = vhu_send,
	.get_mtu = vhu_get_mtu,
	.poll_tx = vhu_poll_tx,
	.process = vhu_process,
	.arm = vhu_arm,
	.is_up = vhu_is_up,
	.destroy = vhu_destroy,
};

static int listen_on(struct vhu *v, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		unlink(path); /* a stale socket of an earlier run */
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 1)) {
		int err = -errno;

		close(fd);
		return err;
	}
	strcpy(v->path, path);
	v->lfd = fd;
	return 0;
}

int rpmsg_vhost_user_create(struct rpmsg_bus *bus, const char *socket_path,
			    const struct rpmsg_vhost_user_config *cfg, struct rpmsg_link **out)
{
	struct rpmsg_link_desc desc = { .transport = "vhost-user", .ops = &vhu_ops };
	struct vhu *v;
	uint64_t features;
	int ret;

	if (!bus || !socket_path || !socket_path[0] || !out)
		return -EINVAL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->lfd = v->cfd = -1;
	v->watched_kick[0] = v->watched_kick[1] = -1;
	v->ns_offered = !(cfg && (cfg->flags & RPMSG_VHOST_USER_NO_NS));
	atomic_store(&v->tx_len, 512u);
	features = VU_F_VERSION_1 | VU_F_PROTOCOL_FEATURES | (v->ns_offered ? VU_F_RPMSG_NS : 0);
	/* The backend request channel is offered because UML's front end will not set up its
	 * interrupts without it; we never send on it. */
	vu_dev_init(&v->dev, features, VU_PF_MQ | VU_PF_REPLY_ACK | VU_PF_BACKEND_REQ | VU_PF_CONFIG);
	pthread_mutex_init(&v->lock, NULL);
	ret = listen_on(v, socket_path);
	if (ret) {
		vhu_free(v);
		return ret;
	}
	desc.name = cfg && cfg->name ? cfg->name : "vhost-user0";
	desc.priv = v;
	desc.flags = RPMSG_LINK_F_SETUP | (v->ns_offered ? RPMSG_LINK_F_NS : 0);
	ret = rpmsg_link_register(bus, &desc, &v->link);
	if (ret) {
		vhu_free(v);
		return ret;
	}
	ret = rpmsg_link_watch_fd(v->link, v->lfd);
	if (ret) {
		rpmsg_link_destroy(v->link);
		return ret;
	}
	rpmsg_link_ready(v->link);
	*out = v->link;
	return 0;
}

int rpmsg_vhost_user_get_stats(struct rpmsg_link *link, struct rpmsg_vhost_user_stats *out)
{
	struct vhu *v;

	if (!link || !out || strcmp(rpmsg_link_transport(link), "vhost-user"))
		return -EINVAL;
	v = rpmsg_link_priv(link);
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&v->lock);
#define LD(f) out->f = __atomic_load_n(&v->st.f, __ATOMIC_RELAXED)
	LD(connects);
	LD(disconnects);
	LD(requests);
	LD(tx_msgs);
	LD(rx_msgs);
	LD(rx_dropped);
	LD(rx_bad);
	LD(calls);
#undef LD
	out->connected = v->st.connected;
	out->rejected = v->dev.rejected;
	snprintf(out->last_error, sizeof(out->last_error), "%s", v->dev.err);
	pthread_mutex_unlock(&v->lock);
	return 0;
}
