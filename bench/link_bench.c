/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The librpmsg cases, one transport at a time: the parent is the main CPU and creates the
 * POSIX link; the forked child attaches as the remote processor and offers the service the
 * way its transport does (virtio: an endpoint announced through the name service; GLINK and
 * SMD: a channel it opens; SCP: an IPI announced on the SCP's name service). The parent's
 * driver binds the channel and talks to the child's endpoint through the channel's default
 * endpoint, so every transport runs exactly the same loops.
 *
 * busy:     both sides loop on rpmsg_bus_poll(bus, 0); sends are rpmsg_trysend.
 * blocking: both sides sleep in rpmsg_bus_poll(bus, -1); sends are rpmsg_send.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rpmsg/capture.h>
#include <rpmsg/glink.h>
#include <rpmsg/platform.h>
#include <rpmsg/rpmsg.h>
#include <rpmsg/scp.h>
#include <rpmsg/smd.h>
#include <rpmsg/virtio.h>

#include "bench.h"

#define SERVICE "rpmsg-bench"
#define SCP_BENCH_IPI 0x10u

static const char *const services[] = { SERVICE, NULL };

const char *bench_capture_path;

/* ---- the transports: create a link in either role, offer the service as the remote ---- */

static int virtio_create_with(struct rpmsg_bus *bus, struct rpmsg_platform *plat, bool remote,
			      uint32_t features, int pact_us, struct rpmsg_link **out)
{
	struct rpmsg_virtio_config cfg = { .role = remote ? RPMSG_VIRTIO_DEVICE : RPMSG_VIRTIO_DRIVER,
					   .name = "bench", .features = features,
					   .fence_pact_us = pact_us };

	return rpmsg_virtio_create(bus, plat, &cfg, out);
}

/* The defaults (features: the name service only), which every peer understands. */
static int virtio_create(struct rpmsg_bus *bus, struct rpmsg_platform *plat, bool remote,
			 struct rpmsg_link **out)
{
	return virtio_create_with(bus, plat, remote, 0, 0, out);
}

/*
 * With VIRTIO_RING_F_EVENT_IDX offered and accepted (Linux and librpmsg understand it; see
 * virtio.h for the peers that do not): the peer's wish for a doorbell is then read from a
 * line of its own, not from the line its ring index is written to on every message.
 */
static int virtio_evidx_create(struct rpmsg_bus *bus, struct rpmsg_platform *plat, bool remote,
			       struct rpmsg_link **out)
{
	return virtio_create_with(bus, plat, remote, RPMSG_VIRTIO_F_NS | RPMSG_VIRTIO_F_EVENT_IDX,
				  0, out);
}

/* Without the fence pact (virtio.h): a full fence per publish, always. What the pact saves. */
static int virtio_fenced_create(struct rpmsg_bus *bus, struct rpmsg_platform *plat, bool remote,
				struct rpmsg_link **out)
{
	return virtio_create_with(bus, plat, remote, 0, -1, out);
}

static int virtio_serve(struct rpmsg_link *link, rpmsg_rx_cb cb, void *priv, struct rpmsg_endpoint **out)
{
	struct rpmsg_channel_info info = { .name = SERVICE, .src = RPMSG_ADDR_ANY, .dst = RPMSG_ADDR_ANY };
	int ret = rpmsg_create_ept(link, &info, cb, priv, out);

	return ret ? ret : rpmsg_ept_announce(*out);
}

static int virtio_counters(struct rpmsg_link *link, struct run_result *info)
{
	struct rpmsg_virtio_stats s;
	int ret = rpmsg_virtio_get_stats(link, &s);

	if (!ret) {
		info->notifies = s.notifies;
		info->tx_waits = s.tx_waits;
	}
	return ret;
}

/* GLINK and SMD: the remote opens the channel at start; an endpoint of that name takes it. */
static int p2p_serve(struct rpmsg_link *link, rpmsg_rx_cb cb, void *priv, struct rpmsg_endpoint **out)
{
	struct rpmsg_channel_info info = { .name = SERVICE, .src = RPMSG_ADDR_ANY, .dst = RPMSG_ADDR_ANY };

	return rpmsg_create_ept(link, &info, cb, priv, out);
}

static int glink_create(struct rpmsg_bus *bus, struct rpmsg_platform *plat, bool remote,
			struct rpmsg_link **out)
{
	struct rpmsg_glink_config cfg = { .role = remote ? RPMSG_GLINK_REMOTE : RPMSG_GLINK_MAIN,
					  .name = "bench", .format_smem = !remote,
					  .attach_timeout_ms = BENCH_SETUP_MS,
					  .channels = remote ? services : NULL };

	return rpmsg_glink_create(bus, plat, &cfg, out);
}

static int smd_create(struct rpmsg_bus *bus, struct rpmsg_platform *plat, bool remote,
		      struct rpmsg_link **out)
{
	struct rpmsg_smd_config cfg = { .role = remote ? RPMSG_SMD_REMOTE : RPMSG_SMD_MAIN,
					.name = "bench", .format_smem = !remote,
					.attach_timeout_ms = BENCH_SETUP_MS,
					.channels = remote ? services : NULL };

	return rpmsg_smd_create(bus, plat, &cfg, out);
}

static int scp_create(struct rpmsg_bus *bus, struct rpmsg_platform *plat, bool remote,
		      struct rpmsg_link **out)
{
	struct rpmsg_scp_config cfg = { .role = remote ? RPMSG_SCP_REMOTE : RPMSG_SCP_HOST, .name = "bench" };

	return rpmsg_scp_create(bus, plat, &cfg, out);
}

/* The SCP's services are IPI ids, announced on its name-service IPI. */
static int scp_serve(struct rpmsg_link *link, rpmsg_rx_cb cb, void *priv, struct rpmsg_endpoint **out)
{
	struct rpmsg_channel_info info = { .name = SERVICE, .src = SCP_BENCH_IPI, .dst = RPMSG_ADDR_ANY };
	int ret = rpmsg_create_ept(link, &info, cb, priv, out);

	return ret ? ret : rpmsg_scp_announce(link, SERVICE, SCP_BENCH_IPI);
}

static const struct bench_transport transports[] = {
	{ "virtio", 1u << 20, virtio_create, virtio_serve, virtio_counters, true },
	{ "virtio-evidx", 1u << 20, virtio_evidx_create, virtio_serve, virtio_counters, true },
	{ "virtio-fenced", 1u << 20, virtio_fenced_create, virtio_serve, virtio_counters, true },
	{ "glink", 1u << 20, glink_create, p2p_serve, NULL, false },
	{ "smd", 1u << 20, smd_create, p2p_serve, NULL, false },
	{ "scp", 1u << 16, scp_create, scp_serve, NULL, false },
};

const struct bench_transport *bench_transport(const char *name)
{
	for (size_t i = 0; i < sizeof(transports) / sizeof(transports[0]); i++)
		if (!strcmp(transports[i].name, name))
			return &transports[i];
	return NULL;
}

/* A trysend that found no room: virtio says -ENOMEM (as Linux), GLINK -EBUSY when the
 * remote has granted no intent that fits, the others -EAGAIN. */
static bool full(int r)
{
	return r == -ENOMEM || r == -EAGAIN || r == -EBUSY;
}

/* ---- the child (the remote processor) ---- */

struct vchild {
	bool busy, echo;
	volatile bool stop;
	int err;
	uint64_t count, t_end;
	uint32_t check;
	struct bench_ctl *ctl;
	struct win_clock wc;
	uint8_t sink[BENCH_MTU];
};

static int child_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct vchild *c = priv;

	if (len == BENCH_STOP_LEN) {
		c->t_end = bench_now();
		c->stop = true;
		return 0;
	}
	if (c->echo) {
		/* Point-to-point links (GLINK, SMD) deliver with src ANY: answer on the channel. */
		bool p2p = src == RPMSG_ADDR_ANY;
		int r = !c->busy ? -EAGAIN
			: p2p ? rpmsg_trysend(ept, data, len) : rpmsg_trysendto(ept, data, len, src);

		if (full(r)) /* or not busy: wait for room, as a blocking echo does */
			r = p2p ? rpmsg_send(ept, data, len) : rpmsg_sendto(ept, data, len, src);

		if (r)
			c->err = r;
		return 0;
	}
	if (len > sizeof(c->sink) || len == 0) {
		c->err = -EPROTO;
		return 0;
	}
	memcpy(c->sink, data, len);
	bench_keep(c->sink);
	c->check += c->sink[len - 1];
	c->count++;
	win_tick(c->ctl, &c->wc, c->count);
	return 0;
}

static int child_run(const struct bench_transport *t, const char *name, struct bench_ctl *ctl,
		     bool busy, bool echo)
{
	struct vchild c = { .busy = busy, .echo = echo, .ctl = ctl };
	struct rpmsg_platform *plat = NULL;
	struct rpmsg_bus *bus = NULL;
	struct rpmsg_link *link = NULL;
	struct rpmsg_endpoint *ept;
	uint64_t deadline = bench_now() + (uint64_t)BENCH_SETUP_MS * 1000000u;
	int ret;

	if ((ret = rpmsg_posix_attach(name, &plat)))
		goto out;
	if ((ret = rpmsg_bus_create(&bus)))
		goto out;
	if ((ret = t->create(bus, plat, true, &link)))
		goto out;
	plat = NULL; /* the link owns it */
	while (!rpmsg_link_is_up(link)) {
		if (bench_now() > deadline) {
			ret = -ETIMEDOUT;
			goto out;
		}
		rpmsg_bus_poll(bus, 10);
	}
	if ((ret = t->serve(link, child_cb, &c, &ept)))
		goto out;
	atomic_store(&ctl->ready, 1);
	bench_phase_begin(&ctl->phase);
	while (!c.stop && !c.err && rpmsg_link_is_up(link)) {
		int r = rpmsg_bus_poll(bus, busy ? 0 : -1);

		if (r < 0)
			c.err = r;
	}
	bench_phase_end(&ctl->phase);
	ret = c.err ? c.err : c.stop ? 0 : -ENOTCONN;
out:
	if (ret)
		fprintf(stderr, "rpmsg-bench: %s remote: %s\n", t->name, rpmsg_strerror(ret));
	ctl->err = ret;
	ctl->count = c.count;
	ctl->t_end = c.t_end;
	ctl->check = c.check;
	atomic_store(&ctl->done, 1);
	/* Virtio: leave when the main CPU resets the link (its bus destroy), or after a while.
	 * The others do not see the main CPU go, so they leave at once. */
	deadline = bench_now() + 3000000000u;
	while (t->sees_reset && link && rpmsg_link_is_up(link) && bench_now() < deadline)
		rpmsg_bus_poll(bus, 10);
	if (plat)
		plat->ops->destroy(plat);
	rpmsg_bus_destroy(bus);
	return ret ? 1 : 0;
}

/* ---- the parent (the main CPU) ---- */

struct vparent {
	char name[64];
	struct bench_ctl *ctl;
	pid_t pid;
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	struct rpmsg_endpoint *ept;
	volatile bool got;
	size_t got_len;
	uint64_t child_count, child_t_end; /* copied from the shared page at close */
	struct samples *win_rates;         /* throughput: where the child's windows go */
	struct bench_phase phase;          /* ours, from the child's ready to the stop message */
	uint64_t full;                     /* busy sends that found no transmit buffer */
	struct rpmsg_driver drv;           /* the bus keeps a pointer to it */
	uint8_t sink[BENCH_MTU];
};

static struct rpmsg_channel *g_probed;

static int on_probe(struct rpmsg_channel *ch)
{
	g_probed = ch;
	return 0;
}

static int parent_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct vparent *vp = priv;

	(void)ept;
	(void)src;
	if (len <= sizeof(vp->sink))
		memcpy(vp->sink, data, len);
	bench_keep(vp->sink);
	vp->got_len = len;
	vp->got = true;
	return 0;
}

static int vp_open(struct vparent *vp, const struct bench_transport *t, bool busy, bool echo,
		   const struct bench_budget *b)
{
	static unsigned seq;
	struct rpmsg_platform *plat;
	uint64_t deadline;
	int ret;

	memset(vp, 0, sizeof(*vp));
	vp->pid = -1;
	vp->drv = (struct rpmsg_driver){ .name = "rpmsg-bench", .id_table = services, .probe = on_probe,
					 .callback = parent_cb, .priv = vp };
	g_probed = NULL;
	snprintf(vp->name, sizeof(vp->name), "bench-%d-%u", (int)getpid(), seq++);
	vp->ctl = bench_shared_alloc(sizeof(*vp->ctl));
	if (!vp->ctl)
		return -ENOMEM;
	bench_set_shm_name(vp->name);
	if ((ret = rpmsg_posix_create(vp->name, t->shm_size, &plat)))
		return ret;
	vp->pid = bench_fork(bench_child_watchdog(b));
	if (vp->pid == 0) {
		plat->ops->destroy(plat); /* the parent's mapping; the child attaches its own */
		_exit(child_run(t, vp->name, vp->ctl, busy, echo));
	}
	if (vp->pid < 0) {
		plat->ops->destroy(plat);
		return vp->pid;
	}
	if ((ret = rpmsg_bus_create(&vp->bus))) {
		plat->ops->destroy(plat);
		return ret;
	}
	bench_set_wake_bus(vp->bus);
	if (bench_capture_path && (ret = rpmsg_capture_start(vp->bus, bench_capture_path, 64))) {
		plat->ops->destroy(plat);
		return ret;
	}
	if ((ret = rpmsg_register_driver(vp->bus, &vp->drv))) {
		plat->ops->destroy(plat);
		return ret;
	}
	/* Virtio waits here for the device's resource table (written when the child attaches). */
	if ((ret = t->create(vp->bus, plat, false, &vp->link))) {
		plat->ops->destroy(plat);
		return ret;
	}
	deadline = bench_now() + (uint64_t)BENCH_SETUP_MS * 1000000u;
	while (!g_probed) {
		if (bench_now() > deadline || bench_child_dead())
			return atomic_load(&vp->ctl->done) && vp->ctl->err ? vp->ctl->err : -ETIMEDOUT;
		rpmsg_bus_poll(vp->bus, 10);
	}
	/* Both sides have the memory and the FIFOs open: the names can go now. */
	rpmsg_posix_unlink(vp->name);
	bench_set_shm_name(NULL);
	vp->ept = rpmsg_channel_ept(g_probed);
	if (!vp->ept)
		return -ENOTCONN;
	/* Keep polling: GLINK and SMD finish their open handshakes with us meanwhile. */
	while (!atomic_load(&vp->ctl->ready)) {
		if (bench_now() > deadline || bench_child_dead())
			return atomic_load(&vp->ctl->done) && vp->ctl->err ? vp->ctl->err : -ETIMEDOUT;
		rpmsg_bus_poll(vp->bus, 1);
	}
	bench_phase_begin(&vp->phase);
	return 0;
}

/* A busy send found no room: count it, and poll so that the buffers the child returns are seen. */
static int vp_no_room(struct vparent *vp)
{
	int r;

	vp->full++;
	if (bench_child_dead())
		return -ECHILD;
	r = rpmsg_bus_poll(vp->bus, 0);
	return r < 0 ? r : 0;
}

static int vp_send(struct vparent *vp, bool busy, const void *data, size_t len)
{
	if (!busy) {
		/* rpmsg_send with a shorter wait, so that a dead child is noticed in time;
		 * the path is the same as rpmsg_send's unless the ring is full. */
		for (;;) {
			int r = rpmsg_send_timeout(vp->ept, rpmsg_ept_addr(vp->ept),
						   rpmsg_ept_dst(vp->ept), data, len, 200);

			if (r != -ETIMEDOUT)
				return r;
			if (bench_child_dead())
				return -ECHILD;
		}
	}
	for (;;) {
		int r = rpmsg_trysend(vp->ept, data, len);

		if (!full(r))
			return r;
		if ((r = vp_no_room(vp)))
			return r;
	}
}

/* Stop the child, collect the link's counters, tear down. Returns the first error. */
static int vp_close(struct vparent *vp, const struct bench_transport *t, bool busy, int err,
		    struct run_result *info)
{
	static const uint8_t stop[BENCH_STOP_LEN] = { 0 };
	int st;

	if (vp->ept && !err) {
		bench_phase_end(&vp->phase);
		err = vp_send(vp, busy, stop, sizeof(stop));
		if (!err)
			err = bench_wait_flag(&vp->ctl->done, 5000);
		if (!err && vp->ctl->err)
			err = vp->ctl->err;
	}
	if (vp->ctl && atomic_load(&vp->ctl->done)) {
		vp->child_count = vp->ctl->count;
		vp->child_t_end = vp->ctl->t_end;
		if (!err) {
			bench_phase_note(0, &vp->phase);
			bench_phase_note(1, &vp->ctl->phase);
		}
		if (!err && vp->win_rates)
			err = win_collect(vp->ctl, vp->win_rates);
	}
	if (info && vp->link) {
		info->full = vp->full;
		if (t->counters)
			t->counters(vp->link, info);
	}
	bench_set_wake_bus(NULL);
	if (bench_capture_path)
		rpmsg_capture_stop(vp->bus);
	rpmsg_bus_destroy(vp->bus); /* resets the device: the child leaves */
	vp->bus = NULL;
	if (vp->pid > 0) {
		st = bench_reap(vp->pid, err ? 200 : 3000);
		if (!err && st)
			err = -ECHILD;
	}
	rpmsg_posix_unlink(vp->name); /* normally gone already */
	bench_set_shm_name(NULL);
	bench_shared_free(vp->ctl, sizeof(*vp->ctl));
	vp->ctl = NULL;
	return err;
}

int run_link_rtt(const struct bench_transport *t, bool busy, size_t size,
		 const struct bench_budget *b, struct samples *out, struct run_result *info)
{
	struct vparent vp;
	uint8_t buf[BENCH_MTU];
	struct lat_loop l;
	int err;

	if (size < 2 || size > sizeof(buf))
		return -EINVAL;
	memset(buf, 0xa5, size);
	err = vp_open(&vp, t, busy, true, b);
	if (!err) {
		lat_start(&l, b);
		do {
			vp.got = false;
			err = vp_send(&vp, busy, buf, size);
			while (!err && !vp.got) {
				int r = rpmsg_bus_poll(vp.bus, busy ? 0 : -1);

				if (r < 0)
					err = r;
				else if (bench_child_dead())
					err = -ECHILD;
			}
			if (!err && vp.got_len != size)
				err = -EPROTO;
			if (info)
				info->sent++;
		} while (!err && lat_step(&l, out, &err));
	}
	return vp_close(&vp, t, busy, err, info);
}

/* Busy, burst > 1: up to `burst` messages per rpmsg_trysend_burst; polls when none went. */
static int vp_send_burst(struct vparent *vp, const struct rpmsg_msg *m, int burst, uint64_t *sent)
{
	for (;;) {
		int r = rpmsg_trysend_burst(vp->ept, rpmsg_ept_dst(vp->ept), m, burst);

		if (r > 0) {
			*sent += (uint64_t)r;
			return 0;
		}
		if (!full(r))
			return r;
		if ((r = vp_no_room(vp)))
			return r;
	}
}

int run_link_tput(const struct bench_transport *t, bool busy, size_t size, int burst,
		  const struct bench_budget *b, struct run_result *out, struct samples *win_rates)
{
	struct rpmsg_msg m[BENCH_MAX_BURST];
	struct vparent vp;
	uint8_t buf[BENCH_MTU];
	uint64_t t_start = 0, end, sent = 0, checked = 0;
	int err;

	if (size < 2 || size > sizeof(buf) || burst < 1 || burst > BENCH_MAX_BURST || (burst > 1 && !busy))
		return -EINVAL;
	for (int i = 0; i < burst; i++)
		m[i] = (struct rpmsg_msg){ .data = buf, .len = size };
	for (size_t i = 0; i < size; i++)
		buf[i] = (uint8_t)i;
	err = vp_open(&vp, t, busy, false, b);
	vp.win_rates = win_rates;
	if (!err) {
		t_start = bench_now();
		end = t_start + (uint64_t)(b->seconds * 1e9);
		for (;;) {
			int k = burst;

			if (b->iters > 0 && b->iters - (long)sent < k)
				k = (int)(b->iters - (long)sent);
			if (burst > 1) {
				err = vp_send_burst(&vp, m, k, &sent);
			} else {
				err = vp_send(&vp, busy, buf, size);
				sent += !err;
			}
			if (err)
				break;
			if (sent - checked >= 64) {
				checked = sent;
				if (bench_now() >= end)
					break;
			}
			if (b->iters > 0 && (long)sent >= b->iters)
				break;
		}
	}
	err = vp_close(&vp, t, busy, err, out);
	if (!err && vp.child_count != sent)
		err = -EPROTO; /* lost or duplicated messages */
	if (!err) {
		out->msgs = vp.child_count;
		out->sent = sent;
		out->ns = vp.child_t_end - t_start;
	}
	return err;
}

/* ---- one thread plays both sides: the library's own cost, no cache line crosses CPUs ---- */

struct onethread {
	const struct bench_transport *t;
	const char *name;
	struct rpmsg_bus *bus; /* the remote's */
	struct rpmsg_link *link;
	struct rpmsg_endpoint *ept;
	rpmsg_rx_cb serve_cb;
	volatile bool got;
	uint64_t count; /* stream: messages the remote received */
	int err;
};

static int onethread_echo(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)priv;
	return src == RPMSG_ADDR_ANY ? rpmsg_trysend(ept, data, len) : rpmsg_trysendto(ept, data, len, src);
}

static int onethread_got(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept, (void)data, (void)len, (void)src;
	((struct onethread *)priv)->got = true;
	return 0;
}

/* Set-up only: the remote attaches, comes up and offers the service, then hands over. */
static void *onethread_remote(void *arg)
{
	struct onethread *o = arg;
	struct rpmsg_platform *plat;
	uint64_t deadline = bench_now() + (uint64_t)BENCH_SETUP_MS * 1000000u;

	if ((o->err = rpmsg_posix_attach(o->name, &plat)))
		return NULL;
	if ((o->err = rpmsg_bus_create(&o->bus)) || (o->err = o->t->create(o->bus, plat, true, &o->link))) {
		plat->ops->destroy(plat);
		return NULL;
	}
	while (!rpmsg_link_is_up(o->link) && bench_now() < deadline)
		rpmsg_bus_poll(o->bus, 1);
	o->err = rpmsg_link_is_up(o->link) ? o->t->serve(o->link, o->serve_cb, o, &o->ept) : -ETIMEDOUT;
	return NULL;
}

struct onethread_pair {
	char name[64];
	struct onethread o;
	struct rpmsg_driver drv;
	struct rpmsg_bus *bus; /* the main CPU's */
	struct rpmsg_endpoint *ept;
};

/*
 * Both sides in this thread: the remote serves `serve_cb`, the main side's driver gets
 * `got_cb`. Returns 0 with p->ept bound to the remote's service; onethread_close always.
 */
static int onethread_open(struct onethread_pair *p, const struct bench_transport *t,
			  rpmsg_rx_cb serve_cb, rpmsg_rx_cb got_cb)
{
	static unsigned seq;
	struct rpmsg_platform *plat;
	struct rpmsg_link *link;
	pthread_t th;
	uint64_t deadline;
	int err;

	memset(p, 0, sizeof(*p));
	p->o = (struct onethread){ .t = t, .name = p->name, .serve_cb = serve_cb };
	p->drv = (struct rpmsg_driver){ .name = "rpmsg-bench", .id_table = services, .probe = on_probe,
					.callback = got_cb, .priv = &p->o };
	g_probed = NULL;
	snprintf(p->name, sizeof(p->name), "bench-%d-1t%u", (int)getpid(), seq++);
	bench_set_shm_name(p->name);
	if ((err = rpmsg_posix_create(p->name, t->shm_size, &plat)))
		return err;
	if ((err = -pthread_create(&th, NULL, onethread_remote, &p->o))) {
		plat->ops->destroy(plat);
		return err;
	}
	err = rpmsg_bus_create(&p->bus);
	if (!err)
		err = rpmsg_register_driver(p->bus, &p->drv);
	if (!err) {
		err = t->create(p->bus, plat, false, &link);
		plat = NULL; /* the link owns it, or it is gone with the failure */
	}
	if (plat)
		plat->ops->destroy(plat);
	pthread_join(th, NULL);
	if (!err)
		err = p->o.err;
	deadline = bench_now() + (uint64_t)BENCH_SETUP_MS * 1000000u;
	while (!err && !g_probed) {
		if (bench_now() > deadline)
			err = -ETIMEDOUT;
		rpmsg_bus_poll(p->o.bus, 0);
		rpmsg_bus_poll(p->bus, 1);
	}
	rpmsg_posix_unlink(p->name);
	if (!err && !(p->ept = rpmsg_channel_ept(g_probed)))
		err = -ENOTCONN;
	return err;
}

static void onethread_close(struct onethread_pair *p)
{
	rpmsg_bus_destroy(p->bus);
	rpmsg_bus_destroy(p->o.bus);
	rpmsg_posix_unlink(p->name);
	bench_set_shm_name(NULL);
}

int run_link_onethread_rtt(const struct bench_transport *t, size_t size, const struct bench_budget *b,
			   struct samples *out)
{
	struct onethread_pair p;
	uint8_t buf[BENCH_MTU];
	struct lat_loop l;
	int err;

	if (size < 2 || size > sizeof(buf))
		return -EINVAL;
	memset(buf, 0xa5, size);
	err = onethread_open(&p, t, onethread_echo, onethread_got);
	if (!err) {
		lat_start(&l, b);
		do {
			p.o.got = false;
			err = rpmsg_trysend(p.ept, buf, size);
			for (uint64_t n = 0; !err && !p.o.got; n++) {
				if (rpmsg_bus_poll(p.o.bus, 0) < 0 || rpmsg_bus_poll(p.bus, 0) < 0 || n > 1000000)
					err = -EPROTO;
			}
		} while (!err && lat_step(&l, out, &err));
	}
	onethread_close(&p);
	return err;
}

static int onethread_count(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct onethread *o = priv;

	(void)ept, (void)len, (void)src;
	bench_keep(data);
	o->count++;
	return 0;
}

/*
 * One-way stream, both sides in this thread: up to ONETHREAD_BATCH single sends, then one
 * poll of the remote (it receives them all) and one of the main side. What a message costs
 * the library, send and receive, when the receiver works through a backlog.
 */
#define ONETHREAD_BATCH 64

int run_link_onethread_tput(const struct bench_transport *t, size_t size, const struct bench_budget *b,
			    struct run_result *out)
{
	struct onethread_pair p;
	uint8_t buf[BENCH_MTU];
	uint64_t t_start, end, sent = 0;
	int err;

	if (size < 2 || size > sizeof(buf))
		return -EINVAL;
	memset(buf, 0xa5, size);
	err = onethread_open(&p, t, onethread_count, onethread_got);
	t_start = bench_now();
	end = t_start + (uint64_t)(b->seconds * 1e9);
	while (!err) {
		int k = 0;

		while (k < ONETHREAD_BATCH && !(err = rpmsg_trysend(p.ept, buf, size)))
			k++;
		if (full(err))
			err = 0;
		sent += (uint64_t)k;
		if (!err && (rpmsg_bus_poll(p.o.bus, 0) < 0 || rpmsg_bus_poll(p.bus, 0) < 0))
			err = -EPROTO;
		if (!err && p.o.count != sent)
			err = -EPROTO; /* the remote's poll takes everything sent so far */
		if ((b->iters > 0 && (long)sent >= b->iters) || bench_now() >= end)
			break;
	}
	if (!err) {
		out->msgs = sent;
		out->sent = sent;
		out->ns = bench_now() - t_start;
	}
	onethread_close(&p);
	return err;
}
