/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Runs inside the UML guest of make test-kernel-qcom (tests/kernel/run.sh qcom), against
 * the kernel's qcom_smem, qcom_glink_smem, qcom_smd, rpmsg_ctrl and rpmsg_char, with our
 * remote (qcom_remote.c) on the host:
 *
 * 1. SMEM: once the host says it laid SMEM out, the kernel's SMEM driver probes and binds;
 * 2. GLINK: our "rpmsg-raw" channel became /dev/rpmsgN; 1000 echoes of random sizes up to
 *    20 KiB (beyond one 8 KiB write, so continuation both ways, and beyond the default
 *    intents, so intent requests both ways), in order, byte for byte;
 * 3. GLINK: a channel the guest opens through its rpmsg_ctrl (CREATE_EPT "guest-ept")
 *    reaches our side and echoes; closing it closes the channel (the host reports it);
 * 4. GLINK: our side closes "bye" when asked; its device leaves the guest's bus;
 * 5. GLINK over RPM message RAM (intentless): our "rpmsg-raw" channel, 1000 echoes of
 *    whole words up to 2 KiB, 3 in flight (less than a FIFO: see below);
 * 6. SMD: our "rpmsg-raw" channel became /dev/rpmsgN; 1000 echoes up to 4 KiB;
 * 7. SMD: CREATE_EPT "smd-ept" opens our channel (the open handshake), echoes, closes.
 *
 * The host's readiness comes as a file (ktest_ready=PATH); "guest: waiting for the host"
 * tells run.sh that boot-time probing is over and SMEM may be written.
 * Prints "guest: ok ..." per check, "guest: FAIL ..." on failure, then one line
 * "KTEST RESULT PASS" or "KTEST RESULT FAIL".
 */
#include "guest_util.h"

#include <limits.h>

#define GLINK_DIR "/glink-test/" /* in the sysfs path of every GLINK SMEM device */
#define RPM_DIR "/rpm-glink/"    /* GLINK over RPM message RAM */
#define SMD_DIR "/smd/"
#define GLINK_MAX 20000
#define RPM_MAX 2048 /* whole words: Linux reads RPM FIFOs 4 bytes at a time */
#define SMD_MAX 4096

/* The rpmsg device named `name` whose sysfs path contains `edge`, within timeout_ms. */
static bool find_edge_device(const char *edge, const char *name, int timeout_ms, char *dir,
			     size_t cap)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;

	do {
		if (find_rpmsg_device(edge, name, 0xffffffffu, dir, cap))
			return true;
		sleep_ms(20);
	} while (now_ms() < end);
	return false;
}

/* Open the /dev/rpmsgN under sysfs directory `parent` (waiting for it), or -1. */
static int open_node(const char *parent, char *node, size_t cap)
{
	uint64_t end = now_ms() + 5000;

	while (!find_node(parent, node, cap) && now_ms() < end)
		sleep_ms(20);
	if (!find_node(parent, node, cap))
		return -1;
	for (int i = 0; i < 50; i++) { /* udev-less: devtmpfs makes it, maybe a moment later */
		int fd = open(node, O_RDWR);

		if (fd >= 0 || errno != ENOENT)
			return fd;
		sleep_ms(20);
	}
	return -1;
}

/* The sysfs directory of the edge's rpmsg_ctrl device. */
static bool find_ctrl(const char *edge, char *dir, size_t cap)
{
	for (int n = 0; n < 8; n++) {
		char path[64], real[PATH_MAX];

		snprintf(path, sizeof(path), "/sys/class/rpmsg/rpmsg_ctrl%d", n);
		if (realpath(path, real) && strstr(real, edge)) {
			snprintf(dir, cap, "%s", real);
			return true;
		}
	}
	return false;
}

/*
 * Echo `count` messages up to max_len (multiples of align), `window` in flight, through the
 * edge's rpmsg-raw.
 */
static int check_raw(const char *what, const char *edge, int count, int window,
		     size_t max_len, size_t align)
{
	char dir[PATH_MAX], sub[PATH_MAX + 8], node[64];
	int fd, n;

	if (!find_edge_device(edge, "rpmsg-raw", 8000, dir, sizeof(dir))) {
		CHECK(0, "%s: our rpmsg-raw channel never appeared", what);
		return -1;
	}
	printf("guest: ok %s: our channel appeared as %s\n", what, dir);
	snprintf(sub, sizeof(sub), "%s/rpmsg", dir);
	fd = open_node(sub, node, sizeof(node));
	CHECK(fd >= 0, "%s: no char device for rpmsg-raw: %s", what, strerror(errno));
	if (fd < 0)
		return -1;
	n = echo_fd(fd, count, window, max_len, align);
	CHECK(n == count, "%s: echo over %s", what, node);
	if (n == count)
		printf("guest: ok %s: %s echoed %d messages of 4..%zu bytes%s in order\n", what,
		       node, count, max_len, align > 1 ? " (whole words)" : "");
	return fd;
}

/*
 * CREATE_EPT `name` on the edge's rpmsg_ctrl, echo `count` messages through the new node,
 * then close it (which closes the channel) and destroy the endpoint device.
 */
static void check_ctrl_ept(const char *what, const char *edge, const char *name, int count,
			   size_t max_len)
{
	char dir[PATH_MAX], ctrl_node[64], node[64];
	struct ept_info info = { .src = 0xffffffffu, .dst = 0xffffffffu };
	int ctrl, fd, n;

	if (!find_ctrl(edge, dir, sizeof(dir))) {
		CHECK(0, "%s: no rpmsg_ctrl for the edge", what);
		return;
	}
	snprintf(ctrl_node, sizeof(ctrl_node), "/dev/%s", strrchr(dir, '/') + 1);
	ctrl = open(ctrl_node, O_RDWR);
	CHECK(ctrl >= 0, "%s: open %s: %s", what, ctrl_node, strerror(errno));
	if (ctrl < 0)
		return;
	snprintf(info.name, sizeof(info.name), "%s", name);
	CHECK(!ioctl(ctrl, CREATE_EPT, &info), "%s: CREATE_EPT %s: %s", what, name, strerror(errno));
	fd = open_node(dir, node, sizeof(node));
	CHECK(fd >= 0, "%s: no node for %s: %s", what, name, strerror(errno));
	if (fd >= 0) {
		n = echo_fd(fd, count, 4, max_len, 1);
		CHECK(n == count, "%s: echo over %s (%s)", what, node, name);
		if (n == count)
			printf("guest: ok %s: %s opened with CREATE_EPT, %d echoes through %s\n", what,
			       name, count, node);
		CHECK(!ioctl(fd, DESTROY_EPT), "%s: DESTROY_EPT: %s", what, strerror(errno));
		close(fd);
	}
	close(ctrl);
}

/* Ask our side to close "bye" (over rpmsg-raw's fd) and see its device go. */
static void check_remote_close(int raw_fd)
{
	char dir[PATH_MAX], buf[64];
	uint64_t end;
	int n;

	CHECK(find_edge_device(GLINK_DIR, "bye", 5000, dir, sizeof(dir)),
	      "glink: our channel bye never appeared");
	CHECK(write(raw_fd, "close bye", 9) == 9, "write: %s", strerror(errno));
	n = read_msg(raw_fd, buf, sizeof(buf), 5000);
	CHECK(n == 9, "glink: close request not echoed (%d)", n);
	end = now_ms() + 5000;
	while (find_edge_device(GLINK_DIR, "bye", 0, dir, sizeof(dir)) && now_ms() < end)
		sleep_ms(20);
	CHECK(!find_edge_device(GLINK_DIR, "bye", 0, dir, sizeof(dir)),
	      "glink: bye still on the bus after our side closed it");
	if (!find_edge_device(GLINK_DIR, "bye", 0, dir, sizeof(dir)))
		printf("guest: ok glink: our side closed bye, its device left the bus\n");
}

/*
 * Tell the host boot is over, wait for its SMEM and RPM message RAM, and have the kernel
 * probe them again.
 */
static bool smem_up(void)
{
	const char *ready = getenv("ktest_ready");
	uint64_t end = now_ms() + 60000;
	int fd;

	printf("guest: waiting for the host\n");
	while (ready && access(ready, F_OK) && now_ms() < end)
		sleep_ms(20);
	CHECK(ready && !access(ready, F_OK), "the host never laid SMEM out (%s)",
	      ready ? ready : "no ktest_ready");
	/* both failed at boot: SMEM was empty, the RPM message RAM had no table yet */
	for (int i = 0; i < 2; i++) {
		static const char *const dev[] = { "smem", "rpm-glink" };

		fd = open("/sys/bus/platform/drivers_probe", O_WRONLY);
		CHECK(fd >= 0 && write(fd, dev[i], strlen(dev[i])) == (ssize_t)strlen(dev[i]),
		      "drivers_probe %s: %s", dev[i], strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	if (access("/sys/bus/platform/drivers/qcom-smem/smem", F_OK)) {
		CHECK(0, "SMEM not accepted: the kernel's SMEM driver did not bind");
		return false;
	}
	printf("guest: ok SMEM: the kernel's qcom-smem driver accepted our layout\n");
	return true;
}

/* ktest_mode=bench: round trips and a stream on each edge's rpmsg-raw, beside a pipe. */
static void bench(void)
{
	static const struct { const char *name, *edge; } edges[] = {
		{ "glink", GLINK_DIR }, { "glink-rpm", RPM_DIR }, { "smd", SMD_DIR } };
	uint64_t pipe_med = bench_pipe_median();

	for (unsigned i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		char dir[PATH_MAX], sub[PATH_MAX + 8], node[64];
		int fd = -1;

		if (find_edge_device(edges[i].edge, "rpmsg-raw", 15000, dir, sizeof(dir))) {
			snprintf(sub, sizeof(sub), "%s/rpmsg", dir);
			fd = open_node(sub, node, sizeof(node));
		}
		CHECK(fd >= 0, "%s: no rpmsg-raw node", edges[i].name);
		if (fd >= 0) {
			CHECK(!bench_node(fd, edges[i].name, pipe_med), "%s: bench failed", edges[i].name);
			close(fd);
		}
	}
}

int main(void)
{
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!smem_up())
		goto done;
	if (getenv("ktest_mode") && !strcmp(getenv("ktest_mode"), "bench")) {
		bench();
		goto done;
	}

	fd = check_raw("glink", GLINK_DIR, 1000, 8, GLINK_MAX, 1);
	if (fd >= 0) {
		check_ctrl_ept("glink", GLINK_DIR, "guest-ept", 200, GLINK_MAX);
		check_remote_close(fd);
		close(fd);
	}
	/* 6.1's GLINK has no SIGNALS command and its rpmsg_char no TIOCMGET/TIOCMSET */
	printf("guest: skip glink signals: Linux 6.1 has none (no SIGNALS, no TIOCMGET/TIOCMSET)\n");

	/*
	 * Linux 6.1 keeps no reserve when it writes an RPM FIFO: a write that fills it
	 * completely brings the head onto the tail, which reads as empty, and what it wrote is
	 * lost (seen here at 8 in flight). So less than one FIFO (7 KiB) is ever in flight.
	 */
	fd = check_raw("glink-rpm", RPM_DIR, 1000, 3, RPM_MAX, 4);
	if (fd >= 0)
		close(fd);

	fd = check_raw("smd", SMD_DIR, 1000, 8, SMD_MAX, 1);
	if (fd >= 0) {
		check_ctrl_ept("smd", SMD_DIR, "smd-ept", 200, SMD_MAX);
		close(fd);
	}
done:
	printf("KTEST RESULT %s\n", failures ? "FAIL" : "PASS");
	return failures ? 1 : 0;
}
