/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host side of the real-kernel test (tests/kernel/run.sh): our remote role behind the
 * vhost-user virtio-rpmsg device that the UML guest's virtio_rpmsg_bus drives.
 *
 * It announces two channels once the guest's driver is up: "rpmsg-raw" at 0x400 (the
 * kernel's rpmsg_char binds it: /dev/rpmsgN in the guest) and "rpmsg-echo" at 0x401 (no
 * kernel driver: the guest's program reaches it through our chrdev transport). Both echo
 * what they get. A channel the guest announces gets a greeting "hello <addr>" from us.
 * Every event is printed on a line starting with "host:"; run.sh checks them.
 *
 * usage: kernel_remote [--no-announce] SOCKET   (exits on SIGTERM/SIGINT)
 */
#include <rpmsg/rpmsg.h>
#include <rpmsg/vhost_user.h>

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static atomic_int stop;
static atomic_ullong echoed;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&stop, 1);
}

static int echo_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	int ret = rpmsg_sendto(ept, data, len, src);

	if (ret)
		printf("host: echo to 0x%x failed: %s\n", src, rpmsg_strerror(ret));
	else
		atomic_fetch_add(&echoed, 1);
	return 0;
}

static int echo_probe(struct rpmsg_channel *ch)
{
	const struct rpmsg_channel_info *info = rpmsg_channel_info(ch);

	if (info->dst != RPMSG_ADDR_ANY) {
		/* The guest announced this one: greet it at its address. */
		char hello[32];
		int n = snprintf(hello, sizeof(hello), "hello 0x%x", info->dst);
		int ret = rpmsg_send(rpmsg_channel_ept(ch), hello, (size_t)n);

		printf("host: guest channel %s at 0x%x, greeting %s\n", info->name, info->dst,
		       ret ? rpmsg_strerror(ret) : "sent");
	} else {
		printf("host: local channel %s at 0x%x bound\n", info->name, info->src);
	}
	return 0;
}

static const char *const echo_ids[] = { "rpmsg-raw", "rpmsg-echo", NULL };
static const struct rpmsg_driver echo_drv = {
	.name = "kernel-test-echo",
	.id_table = echo_ids,
	.probe = echo_probe,
	.callback = echo_cb,
};

static void announce(struct rpmsg_link *link)
{
	static const struct rpmsg_channel_info local[] = {
		{ .name = "rpmsg-raw", .src = 0x400, .dst = RPMSG_ADDR_ANY },
		{ .name = "rpmsg-echo", .src = 0x401, .dst = RPMSG_ADDR_ANY },
	};

	for (unsigned i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
		int ret = rpmsg_create_channel(link, &local[i], NULL);

		if (ret && ret != -EEXIST)
			printf("host: cannot create %s: %s\n", local[i].name, rpmsg_strerror(ret));
	}
}

int main(int argc, char **argv)
{
	struct rpmsg_vhost_user_config cfg = { .name = "uml-guest" };
	struct rpmsg_vhost_user_stats st;
	struct rpmsg_link *link;
	struct rpmsg_bus *bus;
	bool no_announce = argc > 2 && !strcmp(argv[1], "--no-announce");
	const char *sock = argv[argc - 1];
	bool was_up = false;
	int ret;

	if (argc < 2) {
		fprintf(stderr, "usage: %s [--no-announce] SOCKET\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (rpmsg_bus_create(&bus) || rpmsg_register_driver(bus, &echo_drv))
		return 1;
	ret = rpmsg_vhost_user_create(bus, sock, &cfg, &link);
	if (ret) {
		fprintf(stderr, "host: cannot listen on %s: %s\n", sock, rpmsg_strerror(ret));
		return 1;
	}
	if (rpmsg_bus_start_thread(bus))
		return 1;
	printf("host: listening on %s\n", sock);

	while (!atomic_load(&stop)) {
		bool up = rpmsg_link_is_up(link);

		if (up != was_up) {
			printf("host: link %s\n", up ? "up" : "down");
			if (up && !no_announce)
				announce(link);
			was_up = up;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	}
	rpmsg_vhost_user_get_stats(link, &st);
	printf("host: echoed %llu, rx %llu, tx %llu, rx_bad %llu, rejected %llu%s%s\n",
	       (unsigned long long)atomic_load(&echoed), (unsigned long long)st.rx_msgs,
	       (unsigned long long)st.tx_msgs, (unsigned long long)st.rx_bad,
	       (unsigned long long)st.rejected, st.last_error[0] ? ", last error: " : "",
	       st.last_error);
	rpmsg_bus_stop_thread(bus);
	rpmsg_bus_destroy(bus);
	return 0;
}
