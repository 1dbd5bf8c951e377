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

struct ept_info {
	char name[32];
	uint32_t src, dst;
};
#define CREATE_EPT _IOW(0xb5, 1, struct ept_info)
#define DESTROY_EPT _IO(0xb5, 2)
#define CREATE_DEV _IOW(0xb5, 3, struct ept_info)

#define MTU 496
static int failures;

#define CHECK(cond, ...)                                                                  \
	do {                                                                              \
		if (!(cond)) {                                                            \
			printf("guest: FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);     \
			printf(__VA_ARGS__);                                              \
			printf("\n");                                                     \
			failures++;                                                       \
		}                                                                         \
	} while (0)

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	nanosleep(&(struct timespec){ .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L }, NULL);
}

static int read_text(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return -errno;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = 0;
	return 0;
}

/* The rpmsg device directory whose name attribute is `name` and dst `dst` (ANY: any). */
static bool find_device(const char *name, uint32_t dst, char *dir, size_t cap)
{
	DIR *d = opendir("/sys/bus/rpmsg/devices");
	struct dirent *de;
	bool found = false;

	while (d && !found && (de = readdir(d))) {
		char path[512], val[64];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/rpmsg/devices/%s/name", de->d_name);
		if (read_text(path, val, sizeof(val)) || strcmp(val, name))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/rpmsg/devices/%s/dst", de->d_name);
		if (dst != 0xffffffffu &&
		    (read_text(path, val, sizeof(val)) || strtoul(val, NULL, 0) != dst))
			continue;
		snprintf(dir, cap, "/sys/bus/rpmsg/devices/%s", de->d_name);
		found = true;
	}
	if (d)
		closedir(d);
	return found;
}

/* /dev/rpmsgN of the char device under `parent` (a device's or the control's sysfs dir). */
static bool find_node(const char *parent, char *node, size_t cap)
{
	DIR *d = opendir(parent);
	struct dirent *de;
	bool found = false;

	while (d && !found && (de = readdir(d))) {
		if (!strncmp(de->d_name, "rpmsg", 5) && de->d_name[5] >= '0' && de->d_name[5] <= '9' &&
		    strlen(de->d_name) + 6 <= cap) {
			strcpy(node, "/dev/");
			strcat(node, de->d_name);
			found = true;
		}
	}
	if (d)
		closedir(d);
	return found;
}

static int read_msg(int fd, void *buf, size_t cap, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, timeout_ms) != 1)
		return -ETIMEDOUT;
	ssize_t n = read(fd, buf, cap);

	return n < 0 ? -errno : (int)n;
}

static void fill(uint8_t *buf, size_t len, unsigned seq)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seq * 31 + i * 7);
	if (len >= 4)
		memcpy(buf, &seq, 4);
}

/* Echo `count` messages of random sizes through fd, `window` in flight, check each. */
static int echo_fd(int fd, int count, int window)
{
	uint8_t out[MTU], in[MTU + 16];
	int sent = 0, got = 0, bad = 0;

	srand(7);
	while (got < count && !bad) {
		while (sent < count && sent - got < window) {
			size_t len = 4 + (size_t)(rand() % (MTU - 3));

			fill(out, len, (unsigned)sent);
			if (write(fd, out, len) != (ssize_t)len) {
				printf("guest: write %d: %s\n", sent, strerror(errno));
				return -1;
			}
			sent++;
		}
		int n = read_msg(fd, in, sizeof(in), 5000);
		unsigned seq;

		if (n < 4) {
			printf("guest: echo %d: %s\n", got, n < 0 ? strerror(-n) : "short");
			return -1;
		}
		memcpy(&seq, in, 4);
		fill(out, (size_t)n, seq);
		if (seq != (unsigned)got || memcmp(in, out, (size_t)n))
			bad++;
		got++;
	}
	return bad ? -1 : got;
}

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

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#define BENCH_RTTS 5000
#define BENCH_STREAM 5000

static void report(const char *what, uint64_t *rtt, int n)
{
	qsort(rtt, (size_t)n, sizeof(*rtt), cmp_u64);
	printf("bench: %-34s min %6.1f us  median %6.1f us  p99 %6.1f us\n", what, rtt[0] / 1e3,
	       rtt[n / 2] / 1e3, rtt[n * 99 / 100] / 1e3);
}

/* The baseline: two guest processes bounce 16 bytes over a pair of pipes. */
static uint64_t pipe_median(uint64_t *rtt)
{
	int ab[2], ba[2];
	char b[16] = { 0 };
	pid_t pid;

	if (pipe(ab) || pipe(ba))
		return 0;
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < BENCH_RTTS; i++)
			if (read(ab[0], b, 16) != 16 || write(ba[1], b, 16) != 16)
				_exit(1);
		_exit(0);
	}
	for (int i = 0; i < BENCH_RTTS; i++) {
		uint64_t t = now_ns();

		if (write(ab[1], b, 16) != 16 || read(ba[0], b, 16) != 16)
			break;
		rtt[i] = now_ns() - t;
	}
	waitpid(pid, NULL, 0);
	report("pipe ping-pong in the guest (16 B)", rtt, BENCH_RTTS);
	return rtt[BENCH_RTTS / 2];
}

static int bench(void)
{
	static uint64_t rtt[BENCH_RTTS];
	char dir[512], path[600], node[64];
	uint8_t buf[MTU];
	uint64_t base, med, t0;
	int fd, got = 0, sent = 0;

	if (!find_device("rpmsg-raw", 0x400, dir, sizeof(dir)))
		return 1;
	snprintf(path, sizeof(path), "%s/rpmsg", dir);
	for (int i = 0; i < 250 && !find_node(path, node, sizeof(node)); i++)
		sleep_ms(20);
	if (!find_node(path, node, sizeof(node)) || (fd = open(node, O_RDWR)) < 0)
		return 1;
	base = pipe_median(rtt);
	memset(buf, 0x5a, sizeof(buf));
	for (int i = 0; i < BENCH_RTTS; i++) {
		uint64_t t = now_ns();

		if (write(fd, buf, 16) != 16 || read_msg(fd, buf, sizeof(buf), 5000) != 16)
			return 1;
		rtt[i] = now_ns() - t;
	}
	report("/dev/rpmsgN to our remote (16 B)", rtt, BENCH_RTTS);
	med = rtt[BENCH_RTTS / 2];
	printf("bench: round trip ratio rpmsg / pipe: %.2fx\n", base ? (double)med / (double)base : 0);
	t0 = now_ns();
	while (got < BENCH_STREAM) {
		while (sent < BENCH_STREAM && sent - got < 64) {
			if (write(fd, buf, 16) != 16)
				return 1;
			sent++;
		}
		if (read_msg(fd, buf, sizeof(buf), 5000) != 16)
			return 1;
		got++;
	}
	t0 = now_ns() - t0;
	printf("bench: stream of %d x 16 B echoed (64 in flight): %.0f msgs/s each way\n",
	       BENCH_STREAM, BENCH_STREAM / (t0 / 1e9));
	close(fd);
	return 0;
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
		n = echo_fd(fd, 500, 16);
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
