/*
 * The example firmware's logic built as bare metal (RPMSG_BAREMETAL, remote role only,
 * static arena, no locks), run as a host process so a test can drive it: the shared memory
 * is a file descriptor it inherits, the mailbox is a pair of pipes. Its main loop is a
 * firmware's: poll the bus; when idle, "sleep until the interrupt" (poll the incoming pipe)
 * and let the "interrupt handler" call rpmsg_baremetal_irq.
 * usage: fw_host SHM_FD SHM_SIZE BELL_IN_FD BELL_OUT_FD
 * Echoes every message on "rpmsg-echo"; "quit" makes it print its arena use and exit 0.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rpmsg/baremetal.h>
#include <rpmsg/virtio.h>

static struct rpmsg_baremetal core;
static int bell_in, bell_out;
static int quit, announced;

static void ring(void *arg, uint32_t id)
{
	uint8_t b = (uint8_t)id;

	(void)arg;
	(void)!write(bell_out, &b, 1);
}

static int echo(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)priv;
	if (len == 4 && !memcmp(data, "quit", 4)) {
		quit = 1;
		return 0;
	}
	return rpmsg_sendto(ept, data, len, src);
}

int main(int argc, char **argv)
{
	struct rpmsg_baremetal_config bcfg = { .side = 0, .notify = ring };
	struct rpmsg_virtio_config vcfg = { .role = RPMSG_VIRTIO_DEVICE, .vring_num = 16 }; /* as examples/baremetal */
	struct rpmsg_channel_info info = { .name = "rpmsg-echo", .src = 1024, .dst = RPMSG_ADDR_ANY };
	struct rpmsg_virtio_config drv = { .role = RPMSG_VIRTIO_DRIVER };
	struct rpmsg_platform *plat;
	struct rpmsg_bus *bus;
	struct rpmsg_link *link, *other = NULL;
	struct rpmsg_endpoint *ept;
	size_t used, peak;
	int ret;

	if (argc != 5)
		return 2;
	bcfg.shm_size = (size_t)atol(argv[2]);
	bell_in = atoi(argv[3]);
	bell_out = atoi(argv[4]);
	bcfg.shm = mmap(NULL, bcfg.shm_size, PROT_READ | PROT_WRITE, MAP_SHARED, atoi(argv[1]), 0);
	if (bcfg.shm == MAP_FAILED)
		return 3;
	if ((ret = rpmsg_baremetal_init(&core, &bcfg, &plat)) || (ret = rpmsg_bus_create(&bus)) ||
	    (ret = rpmsg_virtio_create(bus, plat, &vcfg, &link)) ||
	    (ret = rpmsg_create_ept(link, &info, echo, NULL, &ept))) {
		fprintf(stderr, "fw: start: %s\n", rpmsg_strerror(ret));
		return 4;
	}
	/* This build carries the remote role only, and no OS services. */
	if (rpmsg_virtio_create(bus, plat, &drv, &other) != -ENOTSUP || rpmsg_bus_fd(bus) != -ENOTSUP) {
		fprintf(stderr, "fw: the main role or a bus fd is in a remote-only bare-metal build\n");
		return 5;
	}
	while (!quit) {
		struct pollfd p = { .fd = bell_in, .events = POLLIN };
		uint8_t ids[16];

		if (!announced && rpmsg_link_is_up(link)) { /* the main CPU set DRIVER_OK */
			if ((ret = rpmsg_ept_announce(ept))) {
				fprintf(stderr, "fw: announce: %s\n", rpmsg_strerror(ret));
				return 4;
			}
			announced = 1;
		}
		if (rpmsg_bus_poll(bus, 0) > 0 || rpmsg_bus_arm(bus) > 0)
			continue; /* busy, or work came while arming: do not sleep */
		if (poll(&p, 1, 1000) > 0) { /* "wfi", then the interrupt */
			ssize_t n = read(bell_in, ids, sizeof(ids));

			if (n <= 0)
				break; /* the main CPU went away */
			for (ssize_t i = 0; i < n; i++)
				rpmsg_baremetal_irq(&core, ids[i]);
		}
	}
	rpmsg_baremetal_arena_usage(&used, &peak);
	printf("fw: arena in use %zu bytes, peak %zu of %d\n", used, peak, RPMSG_ARENA_SIZE);
	rpmsg_destroy_ept(ept);
	rpmsg_bus_destroy(bus);
	rpmsg_baremetal_arena_usage(&used, NULL);
	if (used) {
		fprintf(stderr, "fw: %zu bytes still allocated after teardown\n", used);
		return 6;
	}
	return quit ? 0 : 7;
}
