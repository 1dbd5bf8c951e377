/*
 * rpmsg demo: a simulated SoC in a few seconds. One remote processor per transport, each
 * a separate process announcing its services through the transport's own discovery; the
 * main side finds the channels, pings the echo service and streams into the sink.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "soc.h"
#include "tool.h"

struct demo_row {
	const char *transport;
	int channels;
	struct ping_stats ping;
	struct stream_stats stream;
	char error[128];
};

static struct hchan *on_link(struct host *h, struct rpmsg_link *link, const char *name)
{
	char spec[80];
	struct hchan *c;

	snprintf(spec, sizeof(spec), "%s/%s", rpmsg_link_name(link), name);
	return host_find(h, spec, &c) ? NULL : c;
}

static void measure(struct soc *s, struct soc_remote *r, int pings, int msgs, struct demo_row *row)
{
	struct host *h = &s->host;
	struct hchan *echo, *sink;
	int n = 0, ret, mtu;
	struct rpmsg_endpoint *ept;

	while (r->services[n])
		n++;
	ret = host_wait_channels(h, r->link, n, 5000);
	row->channels = host_count_channels(h, r->link);
	if (ret) {
		snprintf(row->error, sizeof(row->error), "only %d of %d channels announced", row->channels, n);
		return;
	}
	echo = on_link(h, r->link, "rpmsg-echo");
	sink = on_link(h, r->link, "rpmsg-sink");
	if (!echo || !sink || host_ept(h, sink, &ept)) {
		snprintf(row->error, sizeof(row->error), "echo or sink service missing");
		return;
	}
	mtu = rpmsg_get_mtu(ept);
	if ((ret = host_ping(h, echo, pings, 16, &row->ping)) ||
	    (ret = host_stream(h, sink, echo, msgs, mtu > 0 ? (size_t)mtu : 496, 1, NULL, NULL, &row->stream)))
		snprintf(row->error, sizeof(row->error), "%s", rpmsg_strerror(ret));
}

static void print_table(const struct demo_row *rows, int n, bool json)
{
	if (json) {
		printf("[");
		for (int i = 0; i < n; i++) {
			printf("%s{\"transport\":\"%s\",\"channels\":%d,\"rtt_median_us\":%.2f,"
			       "\"rtt_p99_us\":%.2f,\"msgs_per_s\":%.0f,\"mb_per_s\":%.2f,\"error\":",
			       i ? "," : "", rows[i].transport, rows[i].channels, rows[i].ping.median_us,
			       rows[i].ping.p99_us, rows[i].stream.msgs_per_s, rows[i].stream.mb_per_s);
			printf(rows[i].error[0] ? "\"%s\"}" : "null}", rows[i].error);
		}
		printf("]\n");
		return;
	}
	printf("\n%-10s %8s %12s %12s %12s %10s\n", "transport", "channels", "rtt median", "rtt p99",
	       "msgs/s", "MB/s");
	for (int i = 0; i < n; i++) {
		if (rows[i].error[0])
			printf("%-10s %8d  error: %s\n", rows[i].transport, rows[i].channels, rows[i].error);
		else
			printf("%-10s %8d %9.1f us %9.1f us %12.0f %10.1f\n", rows[i].transport,
			       rows[i].channels, rows[i].ping.median_us, rows[i].ping.p99_us,
			       rows[i].stream.msgs_per_s, rows[i].stream.mb_per_s);
	}
}

int cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, 0, 'j' },
					      { "pings", required_argument, 0, 'p' },
					      { "messages", required_argument, 0, 'm' },
					      { "capture", required_argument, 0, 'w' },
					      { "help", no_argument, 0, 'h' },
					      { 0, 0, 0, 0 } };
	static struct soc soc;
	struct demo_row rows[SOC_MAX_REMOTES];
	int pings = 2000, msgs = 50000, c, failed = 0, ret;
	const char *capture = NULL;
	char err[256];
	bool json = false;

	while ((c = getopt_long(argc, argv, "jp:m:w:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'p': pings = atoi(optarg); break;
		case 'm': msgs = atoi(optarg); break;
		case 'w': capture = optarg; break;
		case 'h':
			printf("usage: rpmsg demo [--pings N] [--messages N] [--capture FILE] [--json]\n"
			       "Simulate a SoC: one remote processor per transport, each a separate\n"
			       "process announcing the built-in services; ping the echo service and\n"
			       "stream MTU-sized messages into the sink; print a table.\n"
			       "--capture writes the main CPU's bus traffic as pcapng.\n");
			return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (pings < 1 || msgs < 1) {
		fprintf(stderr, "rpmsg demo: --pings and --messages must be positive\n");
		return EXIT_USAGE;
	}
	memset(&soc, 0, sizeof(soc));
	snprintf(soc.name, sizeof(soc.name), "demo%d", (int)getpid());
	soc.capture = capture;
	for (int i = 0; tool_transport_at(i); i++)
		if (!tool_transport_at(i)->variant)
			soc_parse_remote(&soc, tool_transport_at(i)->name, err, sizeof(err));
	if (!json)
		printf("simulated SoC: main CPU (pid %d) + %d remote processors, one per transport\n",
		       (int)getpid(), soc.nremotes);
	memset(rows, 0, sizeof(rows));
	soc_cleanup_on_signals(&soc);
	ret = soc_start(&soc, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "rpmsg demo: %s\n", err);
		soc_stop(&soc);
		return EXIT_FAIL;
	}
	soc.host.budget_s = 3.0; /* per ping and per stream: the demo stays under a minute */
	for (int i = 0; i < soc.nremotes; i++) {
		rows[i].transport = soc.remotes[i].tp->name;
		measure(&soc, &soc.remotes[i], pings, msgs, &rows[i]);
		failed |= rows[i].error[0] != 0;
	}
	soc_stop(&soc);
	print_table(rows, soc.nremotes, json);
	return failed ? EXIT_FAIL : EXIT_OK;
}
