/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A link over the Linux kernel's rpmsg character devices (include/rpmsg/chrdev.h, spec
 * 50-uapi). The kernel is the transport here: we only map endpoints to /dev/rpmsgN nodes
 * and the edge's rpmsg devices in sysfs to channels.
 */
#include <rpmsg/chrdev.h>
#include <rpmsg/transport.h>

#include "core/os.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/netlink.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* The kernel's struct rpmsg_endpoint_info and ioctls (spec 50 §2), built with this
 * architecture's _IOC encoding. */
struct kernel_ept_info {
	char name[32];
	uint32_t src;
	uint32_t dst;
};
#define KERNEL_CREATE_EPT _IOW(0xb5, 1, struct kernel_ept_info)
#define KERNEL_DESTROY_EPT _IO(0xb5, 2)
#define KERNEL_SET_INCOMING_FLOW _IOR(0xb5, 6, int)

#define VIRTIO_MTU 496      /* 512-byte buffers less the 16-byte header: Linux's default */
#define RX_BUF_SIZE 65536   /* read() truncates to the buffer: room for any transport's message */
#define RX_BURST 64         /* messages read from one endpoint before the next gets a turn */
#define SCAN_MAX 256        /* channels on one edge */

/* One kernel endpoint behind one of our endpoints. */
struct kept {
	int fd;
	uint32_t addr, dst;
	bool ctrl_made; /* made through the control node: destroy it when we let go */
	bool dead;      /* the kernel took it away (read said so) */
};

/* One rpmsg device of the edge, as sysfs shows it. */
struct kchan {
	char dir[96]; /* its name in /sys/bus/rpmsg/devices */
	struct rpmsg_channel_info info;
	char node[24]; /* "rpmsgN" when rpmsg_char holds the channel, else "" */
};

struct chrdev {
	struct rpmsg_link *link;
	int ctrl_fd, uevent_fd;
	char name[RPMSG_NAME_SIZE];
	char sysfs[PATH_MAX], dev[PATH_MAX];
	char edge_dir[PATH_MAX]; /* the edge device, resolved (its rpmsg devices are children) */
	char ctrl_dir[PATH_MAX]; /* the control class device (endpoint nodes are children) */
	char edge[64];
	bool virtio;
	atomic_bool up;
	atomic_bool want_scan;

	rpmsg_mutex lock; /* epts, chans */
	struct kept **epts;
	unsigned nepts, cap;
	struct kchan *chans;
	unsigned nchans;
	rpmsg_mutex scan_lock; /* one scan at a time; not held by create_ept */

	uint8_t *rxbuf; /* used by process only (the bus runs one process per link at a time) */
	struct rpmsg_chrdev_stats stats;
};

/* ---- sysfs ---- */

/* out = a "/" b, in PATH_MAX bytes; false when it does not fit. */
static bool join(char *out, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la + 1 + lb >= PATH_MAX)
		return false;
	memcpy(out, a, la);
	out[la] = '/';
	memcpy(out + la + 1, b, lb + 1);
	return true;
}

static int read_attr(const char *dir, const char *attr, char *buf, size_t cap)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	if (!join(path, dir, attr))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return 0;
}

/* Addresses: hexadecimal "0x400" on rpmsg devices, signed decimal "-1" on endpoint nodes. */
static int read_addr(const char *dir, const char *attr, uint32_t *out)
{
	char buf[32], *end;
	long long v;

	if (read_attr(dir, attr, buf, sizeof(buf)))
		return -EIO;
	errno = 0;
	v = strtoll(buf, &end, 0);
	if (errno || end == buf || *end || v < -1 || v > (long long)UINT32_MAX)
		return -EINVAL;
	*out = v == -1 ? RPMSG_ADDR_ANY : (uint32_t)v;
	return 0;
}

static bool parent_is(const char *path, const char *parent)
{
	char real[PATH_MAX], *slash;

	if (!realpath(path, real))
		return false;
	slash = strrchr(real, '/');
	if (!slash)
		return false;
	*slash = '\0';
	return strcmp(real, parent) == 0;
}

/* "rpmsgN": an endpoint node (not "rpmsg_ctrlN", not another attribute). */
static bool is_ept_node(const char *name)
{
	return !strncmp(name, "rpmsg", 5) && name[5] >= '0' && name[5] <= '9';
}

/* The char node rpmsg_char made for a channel, if any: <device>/rpmsg/rpmsgN. */
static void channel_node(const char *devdir, char *node, size_t cap)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	node[0] = '\0';
	if (!join(path, devdir, "rpmsg"))
		return;
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (is_ept_node(de->d_name) &&
		    strlen(de->d_name) < cap) {
			strcpy(node, de->d_name);
			break;
		}
	}
	closedir(d);
}

/* The edge's channels as sysfs shows them now. Returns how many, or -errno. */
static int list_channels(struct chrdev *c, struct kchan *out, unsigned max)
{
	char base[PATH_MAX], path[PATH_MAX], name[64];
	struct dirent *de;
	unsigned n = 0;
	DIR *d;

	if (!join(base, c->sysfs, "bus/rpmsg/devices"))
		return -ENAMETOOLONG;
	d = opendir(base);
	if (!d)
		return -errno;
	while ((de = readdir(d)) && n < max) {
		struct kchan *k = &out[n];

		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(k->dir))
			continue;
		if (!join(path, base, de->d_name))
			continue;
		if (!parent_is(path, c->edge_dir))
			continue; /* another edge's device */
		if (read_attr(path, "name", name, sizeof(name)) || !name[0] ||
		    strlen(name) >= RPMSG_NAME_SIZE)
			continue;
		/* The edge's own plumbing, not channels. */
		if (!strcmp(name, "rpmsg_ctrl") || !strcmp(name, "rpmsg_ns"))
			continue;
		memset(k, 0, sizeof(*k));
		strcpy(k->dir, de->d_name);
		strcpy(k->info.name, name);
		if (read_addr(path, "src", &k->info.src) || read_addr(path, "dst", &k->info.dst))
			continue;
		channel_node(path, k->node, sizeof(k->node));
		if (!k->node[0])
			k->info.src = RPMSG_ADDR_ANY; /* no kernel endpoint to share: we make our own */
		n++;
	}
	closedir(d);
	return (int)n;
}

static bool same_chan(const struct kchan *a, const struct kchan *b)
{
	return !strcmp(a->dir, b->dir) && !strcmp(a->node, b->node) &&
	       a->info.src == b->info.src && a->info.dst == b->info.dst &&
	       !strcmp(a->info.name, b->info.name);
}

static bool in_list(const struct kchan *k, const struct kchan *list, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (same_chan(k, &list[i]))
			return true;
	return false;
}

static int scan(struct chrdev *c)
{
	struct kchan *now, *old;
	unsigned nold;
	int n;

	now = calloc(SCAN_MAX, sizeof(*now));
	if (!now)
		return -ENOMEM;
	rpmsg_mutex_lock(&c->scan_lock);
	atomic_store(&c->want_scan, false);
	rpmsg_stat_add(&c->stats.rescans, 1);
	if (access(c->edge_dir, F_OK)) {
		atomic_store(&c->up, false); /* the edge (the remote processor) went away */
		n = 0;
	} else {
		n = list_channels(c, now, SCAN_MAX);
		if (n < 0) {
			rpmsg_mutex_unlock(&c->scan_lock);
			free(now);
			return n;
		}
	}
	rpmsg_mutex_lock(&c->lock);
	old = c->chans;
	nold = c->nchans;
	c->chans = now;
	c->nchans = (unsigned)n;
	rpmsg_mutex_unlock(&c->lock);

	/* Gone first (a channel that changed is removed and added again). */
	for (unsigned i = 0; i < nold; i++)
		if (!in_list(&old[i], now, (unsigned)n))
			rpmsg_channel_remove(c->link, &old[i].info);
	for (int i = 0; i < n; i++)
		if (!in_list(&now[i], old, nold))
			rpmsg_channel_add(c->link, &now[i].info, false, NULL);
	rpmsg_mutex_unlock(&c->scan_lock);
	free(old);
	return n;
}

/* Is `addr` already an endpoint of the kernel on this edge (as far as sysfs tells)? */
static bool kernel_addr_taken(struct chrdev *c, uint32_t addr)
{
	char path[PATH_MAX];
	struct dirent *de;
	bool taken = false;
	DIR *d;

	rpmsg_mutex_lock(&c->lock);
	for (unsigned i = 0; i < c->nchans && !taken; i++)
		taken = c->chans[i].node[0] && c->chans[i].info.src == addr;
	rpmsg_mutex_unlock(&c->lock);
	d = taken ? NULL : opendir(c->ctrl_dir);
	while (d && !taken && (de = readdir(d))) {
		uint32_t src;

		if (!is_ept_node(de->d_name))
			continue;
		taken = join(path, c->ctrl_dir, de->d_name) && !read_addr(path, "src", &src) &&
			src == addr;
	}
	if (d)
		closedir(d);
	return taken;
}

/* The node the control device made for (name, src, dst), opened; -errno if none opens. */
static int open_made_node(struct chrdev *c, const struct kernel_ept_info *ki)
{
	char path[PATH_MAX], name[64];
	struct dirent *de;
	int fd = -ENOENT;
	DIR *d = opendir(c->ctrl_dir);

	if (!d)
		return -errno;
	while (fd < 0 && (de = readdir(d))) {
		uint32_t src, dst;

		if (!is_ept_node(de->d_name))
			continue;
		if (!join(path, c->ctrl_dir, de->d_name) || read_attr(path, "name", name, sizeof(name)) || strcmp(name, ki->name) ||
		    read_addr(path, "src", &src) || src != ki->src ||
		    read_addr(path, "dst", &dst) || dst != ki->dst)
			continue;
		if (!join(path, c->dev, de->d_name))
			continue;
		fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			fd = -errno; /* EBUSY: someone else's; EINVAL: the kernel refused the endpoint */
	}
	closedir(d);
	return fd;
}

/* ---- ops ---- */

static int chrdev_create_ept(struct rpmsg_link *link, struct rpmsg_endpoint *ept)
{
	struct chrdev *c = rpmsg_link_priv(link);
	struct kernel_ept_info ki = { .src = rpmsg_ept_addr(ept), .dst = rpmsg_ept_dst(ept) };
	char path[PATH_MAX], node[24] = "";
	struct kept *k;
	int fd;

	rpmsg_name_copy(ki.name, sizeof(ki.name), rpmsg_ept_name(ept));
	/* A channel rpmsg_char holds: share its endpoint (same address, same destination). */
	rpmsg_mutex_lock(&c->lock);
	for (unsigned i = 0; i < c->nchans; i++) {
		const struct kchan *ch = &c->chans[i];

		if (ch->node[0] && ch->info.src == ki.src && !strcmp(ch->info.name, ki.name)) {
			strcpy(node, ch->node);
			ki.dst = ch->info.dst;
			break;
		}
	}
	rpmsg_mutex_unlock(&c->lock);

	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	if (node[0]) {
		fd = join(path, c->dev, node) ? open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC) : -1;
		fd = fd < 0 ? -errno : fd;
	} else {
		if (ki.src >= 1024 && kernel_addr_taken(c, ki.src)) {
			rpmsg_stat_add(&c->stats.addr_taken, 1);
			free(k);
			return -EADDRINUSE;
		}
		if (ioctl(c->ctrl_fd, KERNEL_CREATE_EPT, &ki)) {
			int e = errno;

			free(k);
			/* ENOTTY: not an rpmsg control node (ENOSYS: the same under qemu-user) */
			return e == ENOTTY || e == ENOSYS ? -ENODEV : -e;
		}
		fd = open_made_node(c, &ki);
		k->ctrl_made = true;
		/* The kernel could not make the endpoint: an address it handed out itself. */
		if (fd == -EINVAL && ki.src >= 1024) {
			rpmsg_stat_add(&c->stats.addr_taken, 1);
			fd = -EADDRINUSE;
		}
	}
	if (fd < 0) {
		free(k);
		return fd;
	}
	k->fd = fd;
	k->addr = ki.src;
	k->dst = ki.dst;

	rpmsg_mutex_lock(&c->lock);
	if (c->nepts == c->cap) {
		unsigned cap = c->cap ? c->cap * 2 : 8;
		struct kept **grown = realloc(c->epts, cap * sizeof(*grown));

		if (!grown) {
			rpmsg_mutex_unlock(&c->lock);
			close(fd);
			free(k);
			return -ENOMEM;
		}
		c->epts = grown;
		c->cap = cap;
	}
	c->epts[c->nepts++] = k;
	rpmsg_stat_add(&c->stats.ept_opens, 1);
	rpmsg_mutex_unlock(&c->lock);
	rpmsg_ept_set_tpriv(ept, k);
	rpmsg_link_watch_fd(link, fd);
	return 0;
}

static void chrdev_destroy_ept(struct rpmsg_link *link, struct rpmsg_endpoint *ept)
{
	struct chrdev *c = rpmsg_link_priv(link);
	struct kept *k = rpmsg_ept_tpriv(ept);

	if (!k)
		return;
	rpmsg_mutex_lock(&c->lock);
	for (unsigned i = 0; i < c->nepts; i++) {
		if (c->epts[i] == k) {
			c->epts[i] = c->epts[--c->nepts];
			break;
		}
	}
	rpmsg_mutex_unlock(&c->lock);
	rpmsg_ept_set_tpriv(ept, NULL);
	if (!k->dead)
		rpmsg_link_unwatch_fd(link, k->fd);
	if (k->ctrl_made)
		ioctl(k->fd, KERNEL_DESTROY_EPT); /* removes the node; it may be gone already */
	close(k->fd);
	free(k);
}

static int chrdev_send(struct rpmsg_link *link, struct rpmsg_endpoint *ept, uint32_t src,
		       uint32_t dst, const void *data, size_t len, int timeout_ms)
{
	struct chrdev *c = rpmsg_link_priv(link);
	struct kept *k = ept ? rpmsg_ept_tpriv(ept) : NULL;
	uint64_t deadline = rpmsg_os_now_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000u;

	if (!k)
		return -EOPNOTSUPP; /* no endpoint of ours: nothing to write through */
	/* The kernel node sends from its address to the destination it was made with. */
	if (src != k->addr || (dst != k->dst && k->dst != RPMSG_ADDR_ANY))
		return -EOPNOTSUPP;
	if (k->dead)
		return -EPIPE;
	for (;;) {
		ssize_t n = write(k->fd, data, len);

		if (n == (ssize_t)len) {
			rpmsg_stat_add(&c->stats.tx_msgs, 1);
			return 0;
		}
		if (n >= 0)
			return -EIO; /* rpmsg_char writes all or nothing */
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return errno == ENOTCONN ? -EPIPE : -errno;
		if (timeout_ms == 0)
			return -EAGAIN;
		if (timeout_ms > 0 && rpmsg_os_now_ns() >= deadline)
			return -ETIMEDOUT;
		/* virtio's char node never reports POLLOUT: try again shortly. */
		rpmsg_os_sleep_ms(1);
	}
}

static int chrdev_get_mtu(struct rpmsg_link *link, struct rpmsg_endpoint *ept)
{
	struct chrdev *c = rpmsg_link_priv(link);

	return c->virtio ? VIRTIO_MTU : -EOPNOTSUPP;
}

static int chrdev_set_flow_control(struct rpmsg_link *link, struct rpmsg_endpoint *ept, bool pause,
				   uint32_t dst)
{
	struct kept *k = rpmsg_ept_tpriv(ept);

	if (!k)
		return -EOPNOTSUPP;
	/* The argument is the value itself, not a pointer (spec 50 §2). */
	if (ioctl(k->fd, KERNEL_SET_INCOMING_FLOW, (unsigned long)pause))
		return errno == EINVAL || errno == ENOTTY || errno == ENOSYS ? -EOPNOTSUPP : -errno;
	return 0;
}

/* Kernel uevents for the rpmsg subsystem (devices added, bound, removed): rescan. */
static void drain_uevents(struct chrdev *c)
{
	char buf[4096];

	for (;;) {
		ssize_t n = recv(c->uevent_fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf[n] = '\0';
		/* Fields are NUL-separated: look at each. */
		for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1)
			if (!strcmp(buf + i, "SUBSYSTEM=rpmsg"))
				atomic_store(&c->want_scan, true);
	}
}

static int chrdev_process(struct rpmsg_link *link)
{
	struct chrdev *c = rpmsg_link_priv(link);
	int handled = 0;

	if (c->uevent_fd >= 0)
		drain_uevents(c);
	if (atomic_load(&c->want_scan))
		scan(c);

	for (unsigned i = 0;; i++) {
		for (int burst = 0; burst < RX_BURST; burst++) {
			uint32_t addr, src;
			ssize_t n;
			int err;

			rpmsg_mutex_lock(&c->lock);
			if (i >= c->nepts) {
				rpmsg_mutex_unlock(&c->lock);
				return handled;
			}
			struct kept *k = c->epts[i];

			n = k->dead ? -1 : read(k->fd, c->rxbuf, RX_BUF_SIZE);
			err = k->dead ? EAGAIN : errno;
			addr = k->addr;
			src = k->dst;
			if (n < 0 && err != EAGAIN && err != EINTR) {
				/* EPIPE: the kernel endpoint is gone (remote reset, channel removed). */
				k->dead = true;
				rpmsg_link_unwatch_fd(link, k->fd);
				atomic_store(&c->want_scan, true);
			}
			rpmsg_mutex_unlock(&c->lock);
			if (n < 0)
				break;
			rpmsg_stat_add(&c->stats.rx_msgs, 1);
			rpmsg_link_deliver(link, src, addr, c->rxbuf, (size_t)n);
			handled++;
		}
	}
}

static int chrdev_arm(struct rpmsg_link *link)
{
	struct chrdev *c = rpmsg_link_priv(link);

	return atomic_load(&c->want_scan) ? 1 : 0; /* the fds are level-triggered */
}

static bool chrdev_is_up(struct rpmsg_link *link)
{
	struct chrdev *c = rpmsg_link_priv(link);

	return atomic_load(&c->up);
}

static void chrdev_free(struct chrdev *c)
{
	if (c->uevent_fd >= 0)
		close(c->uevent_fd);
	if (c->ctrl_fd >= 0)
		close(c->ctrl_fd);
	rpmsg_mutex_destroy(&c->lock);
	rpmsg_mutex_destroy(&c->scan_lock);
	free(c->epts);
	free(c->chans);
	free(c->rxbuf);
	free(c);
}

static void chrdev_destroy(struct rpmsg_link *link)
{
	chrdev_free(rpmsg_link_priv(link));
}

static const struct rpmsg_transport_ops chrdev_ops = {
	.send = chrdev_send,
	.get_mtu = chrdev_get_mtu,
	.set_flow_control = chrdev_set_flow_control,
	.create_ept = chrdev_create_ept,
	.destroy_ept = chrdev_destroy_ept,
	.process = chrdev_process,
	.arm = chrdev_arm,
	.is_up = chrdev_is_up,
	.destroy = chrdev_destroy,
};

/* ---- set-up ---- */

static int open_uevents(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 /* kernel events */ };
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			NETLINK_KOBJECT_UEVENT);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* From /dev/rpmsg_ctrlN to the edge device in sysfs. */
static int find_edge(struct chrdev *c, const char *ctrl)
{
	const char *base = strrchr(ctrl, '/') ? strrchr(ctrl, '/') + 1 : ctrl;
	char path[PATH_MAX], *slash;

	char cls[PATH_MAX];

	if (!join(cls, c->sysfs, "class/rpmsg") || !join(path, cls, base))
		return -ENAMETOOLONG;
	if (!realpath(path, c->ctrl_dir))
		return -ENODEV;
	/* <edge>/<edge>.rpmsg_ctrl.0.0/rpmsg/rpmsg_ctrlN: the edge is three levels up. */
	strcpy(c->edge_dir, c->ctrl_dir);
	for (int up = 0; up < 3; up++) {
		slash = strrchr(c->edge_dir, '/');
		if (!slash || slash == c->edge_dir)
			return -ENODEV;
		*slash = '\0';
	}
	slash = strrchr(c->edge_dir, '/');
	rpmsg_name_copy(c->edge, sizeof(c->edge), slash + 1);
	c->virtio = !strncmp(c->edge, "virtio", 6);
	return 0;
}

int rpmsg_chrdev_create(struct rpmsg_bus *bus, const struct rpmsg_chrdev_config *cfg,
			struct rpmsg_link **out)
{
	const char *ctrl = cfg && cfg->ctrl ? cfg->ctrl : "/dev/rpmsg_ctrl0";
	struct rpmsg_link_desc desc = { .transport = "chrdev", .ops = &chrdev_ops,
					.flags = RPMSG_LINK_F_SETUP };
	struct chrdev *c;
	int ret;

	if (!bus || !out)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->uevent_fd = -1;
	rpmsg_mutex_init(&c->lock, false);
	rpmsg_mutex_init(&c->scan_lock, false);
	rpmsg_name_copy(c->sysfs, sizeof(c->sysfs), cfg && cfg->sysfs ? cfg->sysfs : "/sys");
	rpmsg_name_copy(c->dev, sizeof(c->dev), cfg && cfg->dev ? cfg->dev : "/dev");
	rpmsg_name_copy(c->name, sizeof(c->name),
			cfg && cfg->name ? cfg->name : (strrchr(ctrl, '/') ? strrchr(ctrl, '/') + 1 : ctrl));
	c->rxbuf = malloc(RX_BUF_SIZE);
	c->ctrl_fd = open(ctrl, O_RDWR | O_CLOEXEC);
	if (!c->rxbuf || c->ctrl_fd < 0) {
		ret = c->rxbuf ? -errno : -ENOMEM;
		goto fail;
	}
	ret = find_edge(c, ctrl);
	if (ret)
		goto fail;
	rpmsg_name_copy(c->stats.edge, sizeof(c->stats.edge), c->edge);
	c->uevent_fd = open_uevents(); /* without it, rescans happen on demand only */
	atomic_init(&c->up, true);

	desc.name = c->name;
	desc.priv = c;
	ret = rpmsg_link_register(bus, &desc, &c->link);
	if (ret)
		goto fail;
	if (c->uevent_fd >= 0)
		rpmsg_link_watch_fd(c->link, c->uevent_fd);
	scan(c);
	rpmsg_link_ready(c->link);
	*out = c->link;
	return 0;
fail:
	chrdev_free(c);
	return ret;
}

int rpmsg_chrdev_rescan(struct rpmsg_link *link)
{
	if (!link || strcmp(rpmsg_link_transport(link), "chrdev"))
		return -EINVAL;
	return scan(rpmsg_link_priv(link));
}

int rpmsg_chrdev_get_stats(struct rpmsg_link *link, struct rpmsg_chrdev_stats *out)
{
	struct chrdev *c;

	if (!link || !out || strcmp(rpmsg_link_transport(link), "chrdev"))
		return -EINVAL;
	c = rpmsg_link_priv(link);
	memset(out, 0, sizeof(*out));
	out->rx_msgs = rpmsg_stat_get(&c->stats.rx_msgs);
	out->tx_msgs = rpmsg_stat_get(&c->stats.tx_msgs);
	out->rescans = rpmsg_stat_get(&c->stats.rescans);
	out->ept_opens = rpmsg_stat_get(&c->stats.ept_opens);
	out->addr_taken = rpmsg_stat_get(&c->stats.addr_taken);
	memcpy(out->edge, c->edge, sizeof(out->edge));
	return 0;
}
