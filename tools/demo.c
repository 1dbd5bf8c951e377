/*
 * rpmsg demo: a simulated SoC in a few seconds. For each transport, a remote processor
 * runs as a separate process announcing services through the transport's own discovery;
 * the main side finds the channels, pings the echo service and streams to the sink.
 */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rpmsg/platform.h>
#include <rpmsg/rpmsg.h>
#include <rpmsg/virtio.h>

#include "services.h"
#include "tool.h"

#define MAX_CH 8

struct main_side {
	struct rpmsg_channel *ch[MAX_CH];
	int nch;
	volatile int replies;
	size_t last_len;
};

static struct main_side g_main;

static int main_probe(struct rpmsg_channel *ch)
{
	if (g_main.nch < MAX_CH)
		g_main.ch[g_main.nch++] = ch;
	return 0;
}

static void main_remove(struct rpmsg_channel *ch)
{
	for (int i = 0; i < g_main.nch; i++)
		if (g_main.ch[i] == ch)
			g_main.ch[i] = g_main.ch[--g_main.nch];
}

static int main_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept;
	(void)data;
	(void)src;
	(void)priv;
	g_main.replies++;
	g_main.last_len = len;
	return 0;
}

static const char *const main_ids[] = { "rpmsg-echo", "rpmsg-sink", "rpmsg-client-sample", NULL };
static const struct rpmsg_driver main_drv = {
	.name = "demo", .id_table = main_ids, .probe = main_probe, .remove = main_remove,
	.callback = main_cb,
};

static struct rpmsg_channel *find_channel(const char *name)
{
	for (int i = 0; i < g_main.nch; i++)
		if (!strcmp(rpmsg_channel_info(g_main.ch[i])->name, name))
			return g_main.ch[i];
	return NULL;
}

/* The remote processor: device role, announces its services, serves until reset. */
static int run_remote(const char *shm_name, const char *const *svcs)
{
	struct rpmsg_virtio_config cfg = { .role = RPMSG_VIRTIO_DEVICE, .name = "virtio0" };
	struct rpmsg_platform *plat;
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	struct rpmsg_endpoint *epts[MAX_CH] = { 0 };
	int ret, n = 0;
	bool was_up = false;

	if ((ret = rpmsg_posix_attach(shm_name, &plat)) ||
	    (ret = rpmsg_bus_create(&bus)) ||
	    (ret = rpmsg_virtio_create(bus, plat, &cfg, &link))) {
		fprintf(stderr, "remote: %s\n", rpmsg_strerror(ret));
		return 1;
	}
	for (int spins = 0; spins < 600; spins++) {
		rpmsg_bus_poll(bus, 50);
		if (rpmsg_link_is_up(link)) {
			if (!was_up)
				for (const char *const *s = svcs; *s && n < MAX_CH; s++)
					service_start(link, service_find(*s), &epts[n++]);
			was_up = true;
			spins = 0;
		} else if (was_up) {
			break; /* the main side reset us: done */
		}
	}
	for (int i = 0; i < n; i++)
		rpmsg_destroy_ept(epts[i]);
	rpmsg_bus_destroy(bus);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct demo_row {
	const char *transport;
	int channels;
	double rtt_med_us, rtt_p99_us, msgs_s, mb_s;
	const char *error;
};

/* Round trips through the echo channel; returns 0 or a negative errno. */
static int ping(struct rpmsg_bus *bus, struct rpmsg_channel *ch, int count, struct demo_row *row)
{
	struct rpmsg_endpoint *ept = rpmsg_channel_ept(ch);
	double *rtt = calloc((size_t)count, sizeof(double));
	char msg[16] = "ping";

	if (!rtt)
		return -ENOMEM;
	for (int i = 0; i < count; i++) {
		int want = g_main.replies + 1, ret;
		double t0 = now_s();

		ret = rpmsg_send(ept, msg, sizeof(msg));
		if (ret) {
			free(rtt);
			return ret;
		}
		while (g_main.replies < want)
			if (rpmsg_bus_poll(bus, 1000) == 0 && g_main.replies < want) {
				free(rtt);
				return -ETIMEDOUT;
			}
		rtt[i] = (now_s() - t0) * 1e6;
	}
	qsort(rtt, (size_t)count, sizeof(double), cmp_double);
	row->rtt_med_us = rtt[count / 2];
	row->rtt_p99_us = rtt[(int)(count * 0.99)];
	free(rtt);
	return 0;
}

/* One-way stream of MTU-sized messages into the sink, closed by a ping through echo. */
static int stream(struct rpmsg_bus *bus, struct rpmsg_channel *sink, struct rpmsg_channel *echo,
		  int count, struct demo_row *row)
{
	struct rpmsg_endpoint *ept = rpmsg_channel_ept(sink);
	int mtu = rpmsg_get_mtu(ept), ret;
	char buf[65536] = { 0 };
	double t0 = now_s(), dt;
	struct demo_row tail;

	if (mtu <= 0)
		mtu = 496;
	for (int i = 0; i < count; i++) {
		ret = rpmsg_send(ept, buf, (size_t)mtu);
		if (ret)
			return ret;
	}
	ret = ping(bus, echo, 1, &tail); /* in order: when it answers, the sink has everything */
	if (ret)
		return ret;
	dt = now_s() - t0;
	row->msgs_s = count / dt;
	row->mb_s = count * (double)mtu / dt / 1e6;
	return 0;
}

static void run_virtio(int pings, int msgs, struct demo_row *row)
{
	static const char *const svcs[] = { "rpmsg-echo", "rpmsg-sink", "rpmsg-client-sample", NULL };
	struct rpmsg_virtio_config cfg = { .role = RPMSG_VIRTIO_DRIVER, .name = "virtio0" };
	char name[64];
	struct rpmsg_platform *plat;
	struct rpmsg_bus *bus = NULL;
	struct rpmsg_link *link = NULL;
	pid_t pid;
	int ret;

	row->transport = "virtio";
	snprintf(name, sizeof(name), "demo-%d", (int)getpid());
	ret = rpmsg_posix_create(name, 1 << 20, &plat);
	if (ret) {
		row->error = rpmsg_strerror(ret);
		return;
	}
	pid = fork();
	if (pid == 0) {
		/* the child attaches on its own (side 1); the parent's mapping is just inherited */
		_exit(run_remote(name, svcs));
	}
	memset(&g_main, 0, sizeof(g_main));
	if ((ret = rpmsg_bus_create(&bus)) || (ret = rpmsg_register_driver(bus, &main_drv)) ||
	    (ret = rpmsg_virtio_create(bus, plat, &cfg, &link))) {
		row->error = rpmsg_strerror(ret);
		goto out;
	}
	/* Discovery: the remote announces through the name service. */
	for (double t0 = now_s(); g_main.nch < 3 && now_s() - t0 < 5;)
		rpmsg_bus_poll(bus, 100);
	row->channels = g_main.nch;
	if (!find_channel("rpmsg-echo") || !find_channel("rpmsg-sink")) {
		row->error = "services not announced";
		goto out;
	}
	ret = ping(bus, find_channel("rpmsg-echo"), pings, row);
	if (!ret)
		ret = stream(bus, find_channel("rpmsg-sink"), find_channel("rpmsg-echo"), msgs, row);
	if (ret)
		row->error = rpmsg_strerror(ret);
out:
	if (bus)
		rpmsg_bus_destroy(bus); /* resets the device: the remote exits */
	else
		plat->ops->destroy(plat);
	if (pid > 0) {
		int status;

		for (int i = 0; i < 50 && waitpid(pid, &status, WNOHANG) == 0; i++)
			usleep(100000);
		if (waitpid(pid, &status, WNOHANG) == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
		}
	}
	rpmsg_posix_unlink(name);
}

static void print_table(const struct demo_row *rows, int n, bool json)
{
	if (json) {
		printf("[");
		for (int i = 0; i < n; i++)
			printf("%s{\"transport\":\"%s\",\"channels\":%d,\"rtt_median_us\":%.2f,"
			       "\"rtt_p99_us\":%.2f,\"msgs_per_s\":%.0f,\"mb_per_s\":%.2f,\"error\":%s%s%s}",
			       i ? "," : "", rows[i].transport, rows[i].channels, rows[i].rtt_med_us,
			       rows[i].rtt_p99_us, rows[i].msgs_s, rows[i].mb_s,
			       rows[i].error ? "\"" : "", rows[i].error ? rows[i].error : "null",
			       rows[i].error ? "\"" : "");
		printf("]\n");
		return;
	}
	printf("\n%-10s %8s %12s %12s %12s %10s\n", "transport", "channels", "rtt median", "rtt p99",
	       "msgs/s", "MB/s");
	for (int i = 0; i < n; i++) {
		if (rows[i].error) {
			printf("%-10s %8d  error: %s\n", rows[i].transport, rows[i].channels,
			       rows[i].error);
			continue;
		}
		printf("%-10s %8d %9.1f us %9.1f us %12.0f %10.1f\n", rows[i].transport,
		       rows[i].channels, rows[i].rtt_med_us, rows[i].rtt_p99_us, rows[i].msgs_s,
		       rows[i].mb_s);
	}
}

int cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, 0, 'j' },
					      { "pings", required_argument, 0, 'p' },
					      { "messages", required_argument, 0, 'm' },
					      { "help", no_argument, 0, 'h' },
					      { 0, 0, 0, 0 } };
	struct demo_row rows[4] = { 0 };
	int pings = 2000, msgs = 50000, n = 0, c, failed = 0;
	bool json = false;

	while ((c = getopt_long(argc, argv, "jp:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'p': pings = atoi(optarg); break;
		case 'm': msgs = atoi(optarg); break;
		case 'h':
			printf("usage: rpmsg demo [--pings N] [--messages N] [--json]\n"
			       "Simulate a SoC: one remote processor per transport, each a separate\n"
			       "process announcing rpmsg-echo, rpmsg-sink and rpmsg-client-sample;\n"
			       "ping the echo service and stream MTU-sized messages into the sink.\n");
			return 0;
		default: return 2;
		}
	}
	if (pings < 1 || msgs < 1) {
		fprintf(stderr, "rpmsg demo: --pings and --messages must be positive\n");
		return 2;
	}
	if (!json)
		printf("simulated SoC: main CPU (pid %d) + remote processors, one per transport\n",
		       (int)getpid());
	run_virtio(pings, msgs, &rows[n++]);
	print_table(rows, n, json);
	for (int i = 0; i < n; i++)
		failed |= rows[i].error != NULL;
	return failed ? 1 : 0;
}
