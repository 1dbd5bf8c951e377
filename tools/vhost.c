/* rpmsg vhost-user: be the remote processor of a virtual machine or User-Mode Linux guest. */
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rpmsg/vhost_user.h>

#include "proto.h"
#include "services.h"
#include "tool.h"

#define MAX_SERVICES 8

static atomic_int stop;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&stop, 1);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rpmsg vhost-user SOCKET [--services svc,...] [--name NAME]\n"
		"Serve a virtio-rpmsg device (virtio id 7) over vhost-user on the Unix socket\n"
		"SOCKET: a guest kernel's virtio_rpmsg_bus is the main CPU, this process the remote\n"
		"processor. User-Mode Linux: virtio_uml.device=SOCKET:7 on its command line.\n"
		"The services are announced each time the guest's driver comes up.\n\n"
		"  -s, --services LIST  default echo,raw; raw is an echo named rpmsg-raw, which the\n"
		"                       guest's rpmsg_char turns into /dev/rpmsgN; others: %s\n"
		"  -n, --name NAME      link name (default vhost-user0)\n"
		"Runs until interrupted; prints the link going up and down, and counters at the end.\n",
		service_names());
}

/* "raw" is the echo under the name the kernel's rpmsg_char binds to. */
static int parse_services(char *list, struct service *out, int max)
{
	int n = 0;

	for (char *save = NULL, *s = strtok_r(list, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		const struct service *svc = service_find(!strcmp(s, "raw") ? "echo" : s);

		if (!svc) {
			fprintf(stderr, "rpmsg vhost-user: unknown service '%s' (%s, raw)\n", s,
				service_names());
			return -1;
		}
		if (n == max) {
			fprintf(stderr, "rpmsg vhost-user: at most %d services\n", max);
			return -1;
		}
		out[n] = *svc;
		if (!strcmp(s, "raw"))
			out[n].name = "rpmsg-raw";
		n++;
	}
	return n;
}

int cmd_vhost_user(int argc, char **argv)
{
	static const struct option opts[] = { { "services", required_argument, 0, 's' },
					      { "name", required_argument, 0, 'n' },
					      { "help", no_argument, 0, 'h' },
					      { 0, 0, 0, 0 } };
	struct rpmsg_endpoint *epts[MAX_SERVICES] = { 0 };
	struct rpmsg_vhost_user_config cfg = { .name = "vhost-user0" };
	struct service svcs[MAX_SERVICES];
	struct rpmsg_vhost_user_stats st;
	char list[256] = "echo,raw";
	struct rpmsg_link *link;
	struct rpmsg_bus *bus;
	bool was_up = false;
	int c, n, ret;

	while ((c = getopt_long(argc, argv, "s:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': snprintf(list, sizeof(list), "%s", optarg); break;
		case 'n': cfg.name = optarg; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((n = parse_services(list, svcs, MAX_SERVICES)) < 0)
		return EXIT_USAGE;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if ((ret = rpmsg_bus_create(&bus))) {
		fprintf(stderr, "rpmsg vhost-user: %s\n", rpmsg_strerror(ret));
		return EXIT_FAIL;
	}
	if ((ret = rpmsg_vhost_user_create(bus, argv[optind], &cfg, &link)) ||
	    (ret = rpmsg_bus_start_thread(bus))) {
		fprintf(stderr, "rpmsg vhost-user: %s: %s\n", argv[optind], rpmsg_strerror(ret));
		rpmsg_bus_destroy(bus);
		return EXIT_FAIL;
	}
	printf("%s: serving a virtio-rpmsg device on %s\n", cfg.name, argv[optind]);
	while (!atomic_load(&stop)) {
		bool up = rpmsg_link_is_up(link);

		if (up && !was_up) {
			printf("%s: guest driver up; announcing", cfg.name);
			for (int i = 0; i < n; i++) {
				rpmsg_destroy_ept(epts[i]); /* of the guest before, if any */
				epts[i] = NULL;
				ret = service_start(link, &svcs[i], &epts[i]);
				printf(" %s%s%s", svcs[i].name, ret ? ": " : "", ret ? rpmsg_strerror(ret) : "");
			}
			printf("\n");
		} else if (!up && was_up) {
			printf("%s: guest driver gone\n", cfg.name);
		}
		was_up = up;
		nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
	}
	rpmsg_vhost_user_get_stats(link, &st);
	printf("%s: %llu connections, %llu messages in, %llu out, %llu refused requests%s%s\n",
	       cfg.name, (unsigned long long)st.connects, (unsigned long long)st.rx_msgs,
	       (unsigned long long)st.tx_msgs, (unsigned long long)st.rejected,
	       st.last_error[0] ? " (last: " : "", st.last_error[0] ? st.last_error : "");
	if (st.last_error[0])
		printf(")\n");
	rpmsg_bus_stop_thread(bus);
	for (int i = 0; i < n; i++)
		rpmsg_destroy_ept(epts[i]);
	rpmsg_bus_destroy(bus);
	return EXIT_OK;
}
