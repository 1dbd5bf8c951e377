/*
 * The bare-metal build at work: tests/baremetal/fw_host.c is the example firmware compiled
 * with RPMSG_BAREMETAL (remote role only, static arena, no locks), run as its own process;
 * this side is the ordinary library as the main CPU (virtio driver). They share a memfd and
 * ring each other through pipes, like two cores through a mailbox. Checks: the firmware's
 * table is accepted, its echo channel appears, 600 messages of every size come back intact
 * and in order, and on "quit" it exits cleanly with nothing left in its arena.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rpmsg/virtio.h>

#include "testlib.h"

#define SHM_SIZE (256 * 1024)

static int to_fw[2], from_fw[2];

static int hp_notify(struct rpmsg_platform *p, uint32_t id)
{
	uint8_t b = (uint8_t)id;

	(void)p;
	return write(to_fw[1], &b, 1) == 1 ? 0 : -EPIPE;
}

/* Any ring wakes every bell: the transport looks at its rings after a wake anyway. */
static int drain(void)
{
	uint8_t b[64];
	int got = 0;

	while (read(from_fw[0], b, sizeof(b)) > 0)
		got = 1;
	return got;
}

static int hp_wait(struct rpmsg_platform *p, uint32_t id, int timeout_ms)
{
	struct pollfd pfd = { .fd = from_fw[0], .events = POLLIN };

	(void)p;
	(void)id;
	if (poll(&pfd, 1, timeout_ms) > 0 && drain())
		return 0;
	return -ETIMEDOUT;
}

static int hp_arm(struct rpmsg_platform *p, uint32_t id)
{
	struct pollfd pfd = { .fd = from_fw[0], .events = POLLIN };

	(void)p;
	(void)id;
	return poll(&pfd, 1, 0) > 0;
}

static int hp_ack(struct rpmsg_platform *p, uint32_t id) { (void)p; (void)id; return drain(); }
static int hp_fd(struct rpmsg_platform *p, uint32_t id) { (void)p; (void)id; return from_fw[0]; }

static uint64_t hp_now(struct rpmsg_platform *p)
{
	struct timespec ts;

	(void)p;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void hp_destroy(struct rpmsg_platform *p) { (void)p; }

static const struct rpmsg_platform_ops hp_ops = {
	.notify = hp_notify, .wait = hp_wait, .arm = hp_arm, .ack = hp_ack, .fd = hp_fd,
	.now_ns = hp_now, .destroy = hp_destroy,
};

struct inbox {
	int n, bad;
};

static int on_echo(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct inbox *in = priv;
	const uint8_t *d = data;
	size_t want = (size_t)(in->n % 496) + 1;

	(void)ept;
	if (src != 1024 || len != want)
		in->bad++;
	for (size_t i = 0; i < len; i++)
		if (d[i] != (uint8_t)(in->n * 7 + i))
			in->bad++;
	in->n++;
	return 0;
}

int main(void)
{
	struct rpmsg_virtio_config cfg = { .role = RPMSG_VIRTIO_DRIVER, .attach_timeout_ms = 10000 };
	struct rpmsg_channel_info me = { .name = "", .src = RPMSG_ADDR_ANY, .dst = RPMSG_ADDR_ANY };
	struct rpmsg_platform plat = { .ops = &hp_ops, .side = 1 };
	struct rpmsg_channel_info ch[4];
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	struct rpmsg_endpoint *ept;
	struct inbox in = { 0 };
	uint8_t msg[496];
	int fd, status = -1, n = 0;
	pid_t pid;

	t_timeout(60);
	fd = memfd_create("rpmsg-fw", 0);
	CHECK(fd >= 0);
	CHECK_EQ(ftruncate(fd, SHM_SIZE), 0);
	CHECK_EQ(pipe(to_fw), 0);
	CHECK_EQ(pipe(from_fw), 0);
	fcntl(from_fw[0], F_SETFL, O_NONBLOCK);
	pid = fork();
	if (pid == 0) {
		char a[4][24];

		snprintf(a[0], sizeof(a[0]), "%d", fd);
		snprintf(a[1], sizeof(a[1]), "%d", SHM_SIZE);
		snprintf(a[2], sizeof(a[2]), "%d", to_fw[0]);
		snprintf(a[3], sizeof(a[3]), "%d", from_fw[1]);
		/* In a cross build the firmware runs under the same emulator as this test. */
		char emu[] = FW_EMULATOR, *argv[16];
		int k = 0;

		for (char *tok = strtok(emu, " "); tok && k < 10; tok = strtok(NULL, " "))
			argv[k++] = tok;
		argv[k++] = (char *)FW_HOST;
		for (int j = 0; j < 4; j++)
			argv[k++] = a[j];
		argv[k] = NULL;
		execvp(argv[0], argv);
		_exit(127);
	}
	close(to_fw[0]);
	close(from_fw[1]);
	plat.shm.va = mmap(NULL, SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	plat.shm.size = SHM_SIZE;
	CHECK(plat.shm.va != MAP_FAILED);

	CHECK_EQ(rpmsg_bus_create(&bus), 0);
	CHECK_EQ(rpmsg_virtio_create(bus, &plat, &cfg, &link), 0);
	if (t_failures) { /* no firmware: nothing more to check */
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return t_done();
	}
	for (int i = 0; i < 500 && n == 0; i++) {
		rpmsg_bus_poll(bus, 10);
		n = rpmsg_link_channels(link, ch, 4);
	}
	CHECK_EQ(n, 1);
	CHECK(n == 1 && !strcmp(ch[0].name, "rpmsg-echo") && ch[0].dst == 1024);
	CHECK_EQ(rpmsg_create_ept(link, &me, on_echo, &in, &ept), 0);

	for (int i = 0; i < 600 && n == 1; i++) {
		size_t len = (size_t)(i % 496) + 1;

		for (size_t k = 0; k < len; k++)
			msg[k] = (uint8_t)(i * 7 + k);
		CHECK_EQ(rpmsg_send_timeout(ept, rpmsg_ept_addr(ept), 1024, msg, len, 2000), 0);
		for (int w = 0; w < 2000 && in.n < i + 1; w++)
			rpmsg_bus_poll(bus, 5);
	}
	CHECK_EQ(in.n, 600);
	CHECK_EQ(in.bad, 0);

	CHECK_EQ(rpmsg_sendto(ept, "quit", 4, 1024), 0);
	for (int w = 0; w < 500 && waitpid(pid, &status, WNOHANG) == 0; w++)
		rpmsg_bus_poll(bus, 10);
	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	rpmsg_destroy_ept(ept);
	rpmsg_bus_destroy(bus);
	munmap(plat.shm.va, SHM_SIZE);
	close(fd);
	return t_done();
}
