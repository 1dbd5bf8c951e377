/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Runs inside the UML guest (tests/kernel/run.sh), against the real virtio_rpmsg_bus,
 * rpmsg_ctrl and rpmsg_char of Linux, with our remote (kernel_remote.c) on the other side:
 *
 * 1. our announced channels appear in /sys/bus/rpmsg/devices;
 * 2. rpmsg_char's /dev/rpmsgN for our "rpmsg-raw" channel: messages of random sizes up to
 *    the MTU go out and come back, in order, byte for byte;
 * 3. an endpoint made through /dev/rpmsg_ctrl0 (CREATE_EPT) talks to our echo at 0x401;
 * 4. a channel made through /dev/rpmsg_ctrl0 (CREATE_DEV, rpmsg-raw at 0x500) is announced
 *    to our remote, which greets it;
 * 5. our library over the kernel (the chrdev transport): channels found, a driver bound
 *    by name, 1000 echoes checked, the interface's limits reported as such.
 *
 * Prints "guest: ok ..." per check, "guest: FAIL ..." on failure, then one line
 * "KTEST RESULT PASS" or "KTEST RESULT FAIL".
 */
#include <rpmsg/chrdev.h>
#include <rpmsg/rpmsg.h>

#include "guest_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MTU 496

/* ---- 5: our library on top of the kernel ---- */

static atomic_int lib_got, lib_bad;
static atomic_int lib_bound;
static struct rpmsg_channel *lib_ch;

static int lib_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	int seq = atomic_load(&lib_got);
	uint8_t want[MTU];

	fill(want, len, (unsigned)seq);
	if (len < 4 || memcmp(data, want, len) || src != 0x401)
		atomic_fetch_add(&lib_bad, 1);
	atomic_fetch_add(&lib_got, 1);
	return 0;
}

static int lib_probe(struct rpmsg_channel *ch)
{
	lib_ch = ch;
	atomic_store(&lib_bound, 1);
	return 0;
}

static const char *const lib_ids[] = { "rpmsg-echo", NULL };
static const struct rpmsg_driver lib_drv = {
	.name = "guest-echo-client",
	.id_table = lib_ids,
	.probe = lib_probe,
	.callback = lib_cb,
};

static bool wait_for(atomic_int *v, int want, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;

	while (atomic_load(v) < want && now_ms() < end)
		sleep_ms(2);
	return atomic_load(v) >= want;
}

static void check_library(void)
{
	struct rpmsg_chrdev_config cfg = { .ctrl = "/dev/rpmsg_ctrl0" };
	struct rpmsg_chrdev_stats st;
	struct rpmsg_channel_info chans[16];
	struct rpmsg_endpoint *ept;
	struct rpmsg_link *link;
	struct rpmsg_bus *bus;
	uint8_t msg[MTU];
	int n, ret, sent = 0;
	bool seen = false;

	CHECK(!rpmsg_bus_create(&bus), "bus");
	CHECK(!rpmsg_register_driver(bus, &lib_drv), "driver");
	ret = rpmsg_chrdev_create(bus, &cfg, &link);
	CHECK(!ret, "rpmsg_chrdev_create: %s", rpmsg_strerror(ret));
	if (ret)
		return;
	CHECK(!rpmsg_bus_start_thread(bus), "bus thread");
	n = rpmsg_link_channels(link, chans, 16);
	for (int i = 0; i < n && i < 16; i++) {
		printf("guest: library sees channel %s src 0x%x dst 0x%x\n", chans[i].name,
		       chans[i].src, chans[i].dst);
		seen |= !strcmp(chans[i].name, "rpmsg-echo") && chans[i].dst == 0x401;
	}
	CHECK(seen, "rpmsg-echo at 0x401 not among the link's %d channels", n);
	CHECK(wait_for(&lib_bound, 1, 3000), "driver not bound to rpmsg-echo");
	if (!atomic_load(&lib_bound))
		goto out;
	ept = rpmsg_channel_ept(lib_ch);
	CHECK(rpmsg_ept_addr(ept) >= 1024, "endpoint address 0x%x", rpmsg_ept_addr(ept));
	CHECK(rpmsg_get_mtu(ept) == MTU, "mtu %d", rpmsg_get_mtu(ept));
	ret = rpmsg_sendto(ept, "x", 1, 0x402);
	CHECK(ret == -EOPNOTSUPP, "sendto another dst: %d", ret);
	ret = rpmsg_set_flow_control(ept, true, 0x401);
	CHECK(ret == -EOPNOTSUPP, "flow control on virtio: %d", ret);

	srand(11);
	for (sent = 0; sent < 1000; sent++) {
		size_t len = 4 + (size_t)(rand() % (MTU - 3));

		/* at most 64 in flight: the guest's buffers are shared with everyone */
		while (sent - atomic_load(&lib_got) >= 64 && wait_for(&lib_got, sent - 63, 5000))
			;
		fill(msg, len, (unsigned)sent);
		ret = rpmsg_send(ept, msg, len);
		if (ret) {
			CHECK(!ret, "send %d: %s", sent, rpmsg_strerror(ret));
			break;
		}
	}
	CHECK(wait_for(&lib_got, sent, 10000), "echoes: %d of %d", atomic_load(&lib_got), sent);
	CHECK(atomic_load(&lib_bad) == 0, "%d echoes wrong", atomic_load(&lib_bad));
	rpmsg_chrdev_get_stats(link, &st);
	printf("guest: library edge %s: tx %llu rx %llu, kernel endpoints opened %llu, rescans %llu\n",
	       st.edge, (unsigned long long)st.tx_msgs, (unsigned long long)st.rx_msgs,
	       (unsigned long long)st.ept_opens, (unsigned long long)st.rescans);
	if (!failures)
		printf("guest: ok library over /dev/rpmsg: 1000 echoes in order\n");
out:
	rpmsg_bus_stop_thread(bus);
	rpmsg_bus_destroy(bus);
}


/* ---- ktest_mode=bench: round trips and a stream through /dev/rpmsgN, beside a pipe ---- */

static int bench(void)
{
	char dir[512], path[600], node[64];
	int fd, ret;

	if (!find_device("rpmsg-raw", 0x400, dir, sizeof(dir)))
		return 1;
	snprintf(path, sizeof(path), "%s/rpmsg", dir);
	for (int i = 0; i < 250 && !find_node(path, node, sizeof(node)); i++)
		sleep_ms(20);
	if (!find_node(path, node, sizeof(node)) || (fd = open(node, O_RDWR)) < 0)
		return 1;
	ret = bench_node(fd, "virtio", bench_pipe_median());
	close(fd);
	return ret;
}

int main(void)
{
	char raw_dir[512], node[64], path[600], buf[MTU + 16];
	struct ept_info info;
	int fd, ctrl, n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getenv("ktest_mode") && !strcmp(getenv("ktest_mode"), "bench")) {
		/* wait for our channels as the checks do */
		for (int i = 0; i < 750 && !find_device("rpmsg-raw", 0x400, raw_dir, sizeof(raw_dir)); i++)
			sleep_ms(20);
		n = bench();
		printf("KTEST RESULT %s\n", n ? "FAIL" : "PASS");
		return n;
	}

	/* 1: our announcements made devices. */
	uint64_t end = now_ms() + 15000;
	bool raw = false, echo = false;

	while (now_ms() < end && !(raw && echo)) {
		raw = find_device("rpmsg-raw", 0x400, raw_dir, sizeof(raw_dir));
		echo = find_device("rpmsg-echo", 0x401, path, sizeof(path));
		if (!(raw && echo))
			sleep_ms(20);
	}
	CHECK(raw && echo, "announced channels missing (rpmsg-raw %d, rpmsg-echo %d)", raw, echo);
	if (!(raw && echo))
		goto done;
	printf("guest: ok our channels appeared: %s\n", raw_dir);

	/* 2: rpmsg_char's node for rpmsg-raw. */
	snprintf(path, sizeof(path), "%s/rpmsg", raw_dir);
	end = now_ms() + 5000;
	while (!find_node(path, node, sizeof(node)) && now_ms() < end)
		sleep_ms(20);
	fd = open(node, O_RDWR);
	CHECK(fd >= 0, "open %s: %s", node, strerror(errno));
	if (fd >= 0) {
		n = echo_fd(fd, 500, 16, MTU, 1);
		CHECK(n == 500, "echo over %s", node);
		if (n == 500)
			printf("guest: ok %s (rpmsg-raw): 500 echoes of random sizes in order\n", node);
		close(fd);
	}

	/* 3: an endpoint made through the control node, to our echo at 0x401. */
	ctrl = open("/dev/rpmsg_ctrl0", O_RDWR);
	CHECK(ctrl >= 0, "open /dev/rpmsg_ctrl0: %s", strerror(errno));
	if (ctrl < 0)
		goto done;
	memset(&info, 0, sizeof(info));
	strcpy(info.name, "ctrl-ept");
	info.src = 0xffffffffu;
	info.dst = 0x401;
	CHECK(!ioctl(ctrl, CREATE_EPT, &info), "CREATE_EPT: %s", strerror(errno));
	snprintf(path, sizeof(path), "/sys/class/rpmsg/rpmsg_ctrl0");
	{
		/* the new node is a child of the control device */
		char ctrl_dir[512];
		ssize_t l = readlink(path, ctrl_dir, sizeof(ctrl_dir) - 1);

		CHECK(l > 0, "readlink %s", path);
		if (l > 0) {
			ctrl_dir[l] = 0;
			snprintf(path, sizeof(path), "/sys/class/rpmsg/%s", ctrl_dir);
		}
	}
	CHECK(find_node(path, node, sizeof(node)), "no node under %s", path);
	fd = open(node, O_RDWR);
	CHECK(fd >= 0, "open %s: %s", node, strerror(errno));
	if (fd >= 0) {
		CHECK(write(fd, "via ctrl", 8) == 8, "write: %s", strerror(errno));
		n = read_msg(fd, buf, sizeof(buf), 5000);
		CHECK(n == 8 && !memcmp(buf, "via ctrl", 8), "echo via ctrl endpoint: %d", n);
		if (n == 8)
			printf("guest: ok endpoint made with CREATE_EPT echoes through %s\n", node);
		CHECK(!ioctl(fd, DESTROY_EPT), "DESTROY_EPT: %s", strerror(errno));
		close(fd);
	}

	/* 4: a channel made with CREATE_DEV is announced; our remote greets it. */
	memset(&info, 0, sizeof(info));
	strcpy(info.name, "rpmsg-raw");
	info.src = 0x500;
	info.dst = 0xffffffffu;
	CHECK(!ioctl(ctrl, CREATE_DEV, &info), "CREATE_DEV: %s", strerror(errno));
	{
		char dev_dir[512] = "";
		DIR *d = opendir("/sys/bus/rpmsg/devices");
		struct dirent *de;

		while (d && (de = readdir(d)))
			if (strstr(de->d_name, ".rpmsg-raw.1280."))
				snprintf(dev_dir, sizeof(dev_dir), "/sys/bus/rpmsg/devices/%s/rpmsg",
					 de->d_name);
		if (d)
			closedir(d);
		CHECK(dev_dir[0], "no device for the CREATE_DEV channel");
		end = now_ms() + 5000;
		while (dev_dir[0] && !find_node(dev_dir, node, sizeof(node)) && now_ms() < end)
			sleep_ms(20);
		fd = dev_dir[0] ? open(node, O_RDWR) : -1;
		CHECK(fd >= 0, "open %s: %s", node, strerror(errno));
		if (fd >= 0) {
			n = read_msg(fd, buf, sizeof(buf) - 1, 5000);
			buf[n > 0 ? n : 0] = 0;
			CHECK(n > 0 && !strcmp(buf, "hello 0x500"), "greeting: %d '%s'", n, buf);
			if (n > 0)
				printf("guest: ok CREATE_DEV channel announced; remote said '%s'\n", buf);
			close(fd);
		}
	}
	close(ctrl);

	/* 5: the library. */
	check_library();
done:
	printf("KTEST RESULT %s\n", failures ? "FAIL" : "PASS");
	return failures ? 1 : 0;
}
