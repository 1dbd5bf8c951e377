/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The chrdev transport against a made-up sysfs and /dev (the real kernel is in
 * tests/kernel/run.sh): which rpmsg devices become channels, rescans, the channel node
 * shared with rpmsg_char (a FIFO stands in for /dev/rpmsgN), the refusals the kernel's
 * interface forces, and the errors of a wrong control node.
 */
#include "testlib.h"

#include <rpmsg/chrdev.h>
#include <rpmsg/rpmsg.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[64];

static void mkdirs(const char *rel)
{
	char path[512], *p;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = 0;
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
}

static void put(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

#define EDGE "sys/devices/virtio-uml.0/virtio0"

/* An rpmsg device under `edge`, linked from /sys/bus/rpmsg/devices like the kernel does. */
static void device(const char *edge, const char *dir, const char *name, const char *src,
		   const char *dst)
{
	char rel[256], target[512], link[512];

	snprintf(rel, sizeof(rel), "%s/%s", edge, dir);
	mkdirs(rel);
	snprintf(target, sizeof(target), "%s/name", rel);
	put(target, name);
	snprintf(target, sizeof(target), "%s/src", rel);
	put(target, src);
	snprintf(target, sizeof(target), "%s/dst", rel);
	put(target, dst);
	snprintf(target, sizeof(target), "../../../%s", rel + 4);
	snprintf(link, sizeof(link), "%s/sys/bus/rpmsg/devices/%s", root, dir);
	CHECK_EQ(symlink(target, link), 0);
}

static void undevice(const char *edge, const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s/%s/%s' '%s/sys/bus/rpmsg/devices/%s'", root, edge,
		 dir, root, dir);
	CHECK_EQ(system(cmd), 0);
}

static int find(const struct rpmsg_channel_info *ch, int n, const char *name, uint32_t dst)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(ch[i].name, name) && ch[i].dst == dst)
			return i;
	return -1;
}

static int got_len, probes, removes;
static uint32_t got_src;
static char got[64];
static struct rpmsg_channel *raw_ch;

static int raw_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	got_len = (int)len;
	got_src = src;
	memcpy(got, data, len < sizeof(got) ? len : sizeof(got));
	return 0;
}

static int raw_probe(struct rpmsg_channel *ch)
{
	raw_ch = ch;
	probes++;
	return 0;
}

static void raw_remove(struct rpmsg_channel *ch)
{
	removes++;
}

static const char *const raw_ids[] = { "rpmsg-raw", NULL };
static const struct rpmsg_driver raw_drv = {
	.name = "raw-client",
	.id_table = raw_ids,
	.probe = raw_probe,
	.remove = raw_remove,
	.callback = raw_cb,
};

int main(void)
{
	struct rpmsg_chrdev_config cfg = { 0 };
	struct rpmsg_channel_info ch[8];
	struct rpmsg_chrdev_stats st;
	struct rpmsg_endpoint *ept;
	struct rpmsg_link *link;
	struct rpmsg_bus *bus;
	char ctrl[128], sysfs[128], dev[128], fifo[128], buf[160];
	int n, fd;

	t_timeout(30);
	snprintf(root, sizeof(root), "/tmp/rpmsg-chrdev-%d", (int)getpid());
	CHECK_EQ(mkdir(root, 0700), 0);
	mkdirs("dev");
	mkdirs("sys/bus/rpmsg/devices");
	mkdirs("sys/class/rpmsg");
	mkdirs(EDGE "/virtio0.rpmsg_ctrl.0.0/rpmsg/rpmsg_ctrl0");
	CHECK_EQ(symlink("../../devices/virtio-uml.0/virtio0/virtio0.rpmsg_ctrl.0.0/rpmsg/rpmsg_ctrl0",
			 (snprintf(buf, sizeof(buf), "%s/sys/class/rpmsg/rpmsg_ctrl0", root), buf)), 0);
	device(EDGE, "virtio0.rpmsg_ctrl.0.0", "rpmsg_ctrl", "0x0", "0x0");
	device(EDGE, "virtio0.rpmsg_ns.53.53", "rpmsg_ns", "0x35", "0x35");
	device(EDGE, "virtio0.rpmsg-echo.-1.1025", "rpmsg-echo", "0xffffffff", "0x401");
	device(EDGE, "virtio0.rpmsg-raw.-1.1024", "rpmsg-raw", "0x400", "0x400");
	mkdirs(EDGE "/virtio0.rpmsg-raw.-1.1024/rpmsg/rpmsg0");
	/* Not channels of this edge, or not readable ones. */
	device("sys/devices/virtio-uml.1/virtio1", "virtio1.other.-1.1030", "other", "0xffffffff",
	       "0x406");
	device(EDGE, "virtio0.bad-addr.-1.1", "bad-addr", "0xffffffff", "zzz");
	device(EDGE, "virtio0.long.-1.2", "a-name-longer-than-thirty-one-bytes", "0x1", "0x2");

	snprintf(ctrl, sizeof(ctrl), "%s/dev/rpmsg_ctrl0", root);
	snprintf(sysfs, sizeof(sysfs), "%s/sys", root);
	snprintf(dev, sizeof(dev), "%s/dev", root);
	snprintf(fifo, sizeof(fifo), "%s/dev/rpmsg0", root);
	put("dev/rpmsg_ctrl0", ""); /* a plain file: every ioctl on it fails with ENOTTY */
	CHECK_EQ(mkfifo(fifo, 0600), 0);
	cfg.ctrl = ctrl;
	cfg.sysfs = sysfs;
	cfg.dev = dev;

	CHECK_EQ(rpmsg_bus_create(&bus), 0);
	CHECK_EQ(rpmsg_register_driver(bus, &raw_drv), 0);

	/* ---- wrong control nodes ---- */
	{
		struct rpmsg_chrdev_config bad = cfg;
		char missing[160];

		snprintf(missing, sizeof(missing), "%s/dev/rpmsg_ctrl9", root);
		bad.ctrl = missing;
		CHECK_EQ(rpmsg_chrdev_create(bus, &bad, &link), -ENOENT);
		put("dev/rpmsg_ctrl9", ""); /* exists, but sysfs knows no such control device */
		CHECK_EQ(rpmsg_chrdev_create(bus, &bad, &link), -ENODEV);
		CHECK_EQ(rpmsg_chrdev_create(NULL, &bad, &link), -EINVAL);
	}

	/* ---- the edge's channels ---- */
	CHECK_EQ(rpmsg_chrdev_create(bus, &cfg, &link), 0);
	CHECK(!strcmp(rpmsg_link_transport(link), "chrdev"));
	CHECK(!strcmp(rpmsg_link_name(link), "rpmsg_ctrl0"));
	CHECK(rpmsg_link_is_up(link));
	CHECK_EQ(rpmsg_chrdev_get_stats(link, &st), 0);
	CHECK(!strcmp(st.edge, "virtio0"));
	n = rpmsg_link_channels(link, ch, 8);
	CHECK_EQ(n, 2);
	CHECK(find(ch, n, "rpmsg-echo", 0x401) >= 0);
	CHECK(find(ch, n, "rpmsg-raw", 0x400) >= 0);
	if (find(ch, n, "rpmsg-echo", 0x401) >= 0)
		CHECK_EQ(ch[find(ch, n, "rpmsg-echo", 0x401)].src, RPMSG_ADDR_ANY);

	/* ---- rpmsg_char's node of rpmsg-raw is shared by our driver's endpoint ---- */
	CHECK_EQ(probes, 1);
	CHECK(raw_ch != NULL);
	ept = raw_ch ? rpmsg_channel_ept(raw_ch) : NULL;
	CHECK(ept != NULL);
	if (ept) {
		CHECK_EQ(rpmsg_ept_addr(ept), 0x400);
		CHECK_EQ(rpmsg_get_mtu(ept), 496);
		CHECK_EQ(rpmsg_send(ept, "out", 3), 0);
		fd = open(fifo, O_RDONLY | O_NONBLOCK);
		CHECK(fd >= 0);
		CHECK_EQ(read(fd, buf, sizeof(buf)), 3);
		CHECK_MEM(buf, "out", 3);
		close(fd);
		CHECK_EQ(rpmsg_sendto(ept, "x", 1, 0x999), -EOPNOTSUPP);
		CHECK_EQ(rpmsg_send_offchannel(ept, 0x401, 0x400, "x", 1), -EOPNOTSUPP);
		CHECK_EQ(rpmsg_set_flow_control(ept, true, 0x400), -EOPNOTSUPP);

		fd = open(fifo, O_WRONLY | O_NONBLOCK);
		CHECK(fd >= 0);
		CHECK_EQ(write(fd, "in!", 3), 3);
		close(fd);
		for (int i = 0; i < 100 && !got_len; i++)
			rpmsg_bus_poll(bus, 10);
		CHECK_EQ(got_len, 3);
		CHECK_MEM(got, "in!", 3);
		CHECK_EQ(got_src, 0x400); /* read() does not say: the endpoint's dst */
	}

	/* ---- endpoints the control node has to make: its ioctl fails here ---- */
	{
		struct rpmsg_channel_info info = { .name = "ctrl-ept", .src = RPMSG_ADDR_ANY,
						   .dst = 0x401 };

		CHECK_EQ(rpmsg_create_ept(link, &info, raw_cb, NULL, &ept), -ENODEV);
	}

	/* ---- rescans follow sysfs ---- */
	device(EDGE, "virtio0.rpmsg-raw.-1.1027", "rpmsg-raw", "0xffffffff", "0x403");
	CHECK_EQ(rpmsg_chrdev_rescan(link), 3);
	/* Our driver matched the new one, but it has no kernel node: the endpoint the
	 * control node should make fails (plain-file ioctl), so the probe is refused. */
	n = rpmsg_link_channels(link, ch, 8);
	CHECK(find(ch, n, "rpmsg-raw", 0x403) >= 0);
	undevice(EDGE, "virtio0.rpmsg-raw.-1.1024");
	CHECK_EQ(rpmsg_chrdev_rescan(link), 2);
	CHECK_EQ(removes, 1);
	n = rpmsg_link_channels(link, ch, 8);
	CHECK(find(ch, n, "rpmsg-raw", 0x400) < 0);
	CHECK_EQ(rpmsg_chrdev_get_stats(link, &st), 0);
	CHECK(st.rescans >= 3);
	CHECK_EQ(st.tx_msgs, 1);
	CHECK_EQ(st.rx_msgs, 1);
	CHECK_EQ(rpmsg_chrdev_rescan(NULL), -EINVAL);

	/* ---- the edge goes away: the link goes down, channels go ---- */
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s/" EDGE "'", root);
		CHECK_EQ(system(cmd), 0);
	}
	CHECK_EQ(rpmsg_chrdev_rescan(link), 0);
	CHECK(!rpmsg_link_is_up(link));
	CHECK_EQ(rpmsg_link_channels(link, ch, 8), 0);

	rpmsg_bus_destroy(bus);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		CHECK_EQ(system(cmd), 0);
	}
	return t_done();
}
