/*
 * rpmsg tiny in a process of its own: a child runs an echo firmware on the tiny remote
 * over POSIX shared memory and doorbells (rpmsg_posix_attach: the memory, and the notify /
 * wait of the platform as its mailbox); this process is the library's virtio driver. The
 * echo channel appears by name service, 400 messages of every size come back intact and
 * in order, and "quit" makes the child exit with its bad-input count (0).
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rpmsg/platform.h>
#include <rpmsg/rpmsg.h>
#include <rpmsg/tiny.h>
#include <rpmsg/virtio.h>

#include "testlib.h"

#define SHM_SIZE (256 * 1024)
#define N 400

static char name[48];

static void fw_notify(void *arg, uint32_t id)
{
	rpmsg_platform_notify(arg, id);
}

static volatile int quit;

static void fw_echo(struct rpmsg_tiny_ept *ept, const void *data, size_t len, uint32_t src, void *priv)
{
	(void)priv;
	if (len == 4 && !memcmp(data, "quit", 4)) {
		quit = 1;
		return;
	}
	while (rpmsg_tiny_sendto(ept, src, data, len) == -EAGAIN)
		; /* the main CPU drains its receive ring from its own thread of control */
}

/* The firmware: static storage only, one endpoint, polling plus the doorbell. */
static int firmware(void)
{
	static struct rpmsg_tiny dev;
	static struct rpmsg_tiny_ept ept;
	struct rpmsg_platform *plat;
	struct rpmsg_tiny_config cfg;
	struct rpmsg_tiny_rsc_table *t;

	if (rpmsg_posix_attach(name, &plat))
		return 100;
	t = plat->shm.va;
	/* Rings right after the table space the driver leaves for it (4 KiB). */
	rpmsg_tiny_table_init(t, RPMSG_TINY_F_NS, 16, 16, (uint32_t)plat->shm.pa + 4096,
			      (uint32_t)plat->shm.pa + 8192, false);
	cfg = (struct rpmsg_tiny_config){ .table = t, .shm = plat->shm.va, .shm_pa = plat->shm.pa,
					  .shm_size = (uint32_t)plat->shm.size,
					  .notify = fw_notify, .notify_arg = plat };
	if (rpmsg_tiny_init(&dev, &cfg) || rpmsg_tiny_ept_create(&dev, &ept, 1024, fw_echo, NULL))
		return 101;
	rpmsg_tiny_announce(&ept, "tiny-echo");
	rpmsg_platform_notify(plat, 0); /* a driver waiting for the table: here it is */
	while (!quit)
		if (rpmsg_tiny_poll(&dev) == 0)
			rpmsg_platform_wait(plat, 1, 10);
	rpmsg_tiny_poll(&dev); /* return the last buffer */
	return (int)(dev.rx_bad > 99 ? 99 : dev.rx_bad);
}

static struct rpmsg_endpoint *echo_ept;
static unsigned rx, bad;

static size_t gen_len(unsigned k) { return (k * 53u + 1u) % 497u; }
static void gen(unsigned k, uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(k ^ (i * 31u));
}

static int main_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	uint8_t want[512];

	(void)ept, (void)src, (void)priv;
	gen(rx, want, gen_len(rx));
	if (len != gen_len(rx) || memcmp(want, data, len))
		bad++;
	rx++;
	return 0;
}

static int probe(struct rpmsg_channel *ch)
{
	echo_ept = rpmsg_channel_ept(ch);
	return 0;
}

static bool have_channel(void) { return echo_ept != NULL; }
static unsigned want_rx;
static bool have_rx(void) { return rx >= want_rx; }

static const char *const ids[] = { "tiny-echo", NULL };
static const struct rpmsg_driver drv = { .name = "echo-client", .id_table = ids, .probe = probe,
					 .callback = main_cb };

int main(void)
{
	struct rpmsg_virtio_config d = { .role = RPMSG_VIRTIO_DRIVER };
	struct rpmsg_platform *plat;
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	uint8_t buf[512];
	int status = -1;
	pid_t pid;

	t_timeout(60);
	snprintf(name, sizeof(name), "t-tiny-%d", (int)getpid());
	rpmsg_posix_unlink(name);
	CHECK_EQ(rpmsg_posix_create(name, SHM_SIZE, &plat), 0);
	pid = fork();
	if (pid == 0)
		_exit(firmware());
	CHECK_EQ(rpmsg_bus_create(&bus), 0);
	CHECK_EQ(rpmsg_register_driver(bus, &drv), 0);
	CHECK_EQ(rpmsg_virtio_create(bus, plat, &d, &link), 0); /* waits for the table */
	CHECK(t_poll_until(bus, have_channel, 5000));
	for (unsigned k = 0; echo_ept && k < N; k++) {
		size_t len = gen_len(k);

		gen(k, buf, len);
		CHECK_EQ(rpmsg_send(echo_ept, buf, len), 0);
		want_rx = k + 1 > 8 ? k + 1 - 8 : 0; /* at most 8 in flight */
		if (!t_poll_until(bus, have_rx, 5000))
			break;
	}
	want_rx = N;
	CHECK(t_poll_until(bus, have_rx, 5000));
	CHECK_EQ(rx, N);
	CHECK_EQ(bad, 0);
	if (echo_ept)
		CHECK_EQ(rpmsg_send(echo_ept, "quit", 4), 0);
	for (int i = 0; i < 500 && waitpid(pid, &status, WNOHANG) == 0; i++)
		rpmsg_bus_poll(bus, 10);
	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	rpmsg_bus_destroy(bus);
	rpmsg_posix_unlink(name);
	return t_done();
}
