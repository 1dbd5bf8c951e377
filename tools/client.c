/* The client commands: each sends one request to a running simulator and prints the answer. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rpmsg/rpmsg.h>

#include "capture/reader.h"

#include "plot.h"
#include "proto.h"
#include "tool.h"

struct copts {
	const char *sim;
	const char *plot; /* bench: SVG file */
	bool json, hex;
	long count, size;
	long burst;       /* bench: messages per send call */
	int timeout_ms;
};

static FILE *connect_sim(const char *name, const char *cmd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[256];
	FILE *f;
	int fd;

	proto_socket_path(path, sizeof(path), name);
	if (strlen(path) >= sizeof(sa.sun_path) || (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		fprintf(stderr, "rpmsg %s: cannot reach %s\n", cmd, path);
		return NULL;
	}
	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "rpmsg %s: no simulator '%s' is running (%s: %s); start one with 'rpmsg sim'\n",
			cmd, name, path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (!(f = fdopen(fd, "r+")))
		close(fd);
	return f;
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* Parse the final "err <errno> <text>" line: print it and map it to an exit code. */
static int report_err(const char *cmd, const char *line, bool json)
{
	int e = atoi(line + 4);
	const char *text = strchr(line + 4, ' ');

	text = text ? text + 1 : "";
	if (json) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%.*s", (int)strcspn(text, "\n"), text);
		printf("{\"error\":");
		json_str(msg);
		printf(",\"errno\":%d}\n", e);
	}
	fprintf(stderr, "rpmsg %s: %s", cmd, text);
	return proto_exit_code(-e);
}

static void print_payload(const uint8_t *d, long n, bool hex)
{
	bool text = !hex;
	char *h;

	for (long i = 0; i < n && text; i++)
		text = isprint(d[i]) || d[i] == '\t' || (d[i] == '\n' && i == n - 1);
	if (text) {
		fwrite(d, 1, (size_t)n, stdout);
		if (n == 0 || d[n - 1] != '\n')
			putchar('\n');
		return;
	}
	if ((h = malloc(2 * (size_t)n + 1))) {
		proto_hex_encode(h, d, (size_t)n);
		printf("%s\n", h);
	}
	free(h);
}

/* What bench --plot collects from the answer. */
struct samples {
	double *rtt, *t;
	long *done;
	int nrtt, nt, cap_rtt, cap_t;
};

static void add_rtt(struct samples *p, double v)
{
	if (p->nrtt == p->cap_rtt) {
		double *n = realloc(p->rtt, sizeof(double) * (size_t)(p->cap_rtt = p->cap_rtt ? 2 * p->cap_rtt : 256));

		if (!n)
			return;
		p->rtt = n;
	}
	p->rtt[p->nrtt++] = v;
}

static void add_progress(struct samples *p, double t, long done)
{
	if (p->nt == p->cap_t) {
		int cap = p->cap_t ? 2 * p->cap_t : 256;
		double *nt = realloc(p->t, sizeof(double) * (size_t)cap);
		long *nd = nt ? realloc(p->done, sizeof(long) * (size_t)cap) : NULL;

		if (nt)
			p->t = nt;
		if (!nd)
			return;
		p->done = nd;
		p->cap_t = cap;
	}
	p->t[p->nt] = t;
	p->done[p->nt++] = done;
}

static int run(const char *cmd, const struct copts *o, const char *request)
{
	struct samples smp = { 0 };
	char title[200] = "";
	static char line[PROTO_LINE_MAX + 64];
	bool first = true, progress_shown = false, tty = isatty(2), answered = false;
	FILE *f = connect_sim(o->sim, cmd);
	int ret = EXIT_FAIL;

	if (!f)
		return EXIT_NO_SIM;
	fprintf(f, "%s\n", request);
	fflush(f);
	if (!strcmp(cmd, "ls") && o->json)
		printf("{\"links\":[");
	if (!strcmp(cmd, "recv") && o->json)
		printf("[");
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *kind;

		if (!strncmp(line, "ok", 2)) {
			ret = EXIT_OK;
			answered = true;
			break;
		}
		if (!strncmp(line, "err ", 4)) {
			answered = true;
			if (progress_shown && tty)
				fputc('\n', stderr);
			ret = report_err(cmd, line, o->json);
			break;
		}
		kind = strtok_r(line, " \n", &save);
		if (!kind)
			continue;
		if (!strcmp(kind, "link")) {
			char *n = strtok_r(NULL, " \n", &save), *t = strtok_r(NULL, " \n", &save);
			char *st = strtok_r(NULL, " \n", &save);

			if (o->json)
				printf("%s{\"name\":\"%s\",\"transport\":\"%s\",\"up\":%s,\"channels\":[",
				       first ? "" : "]},", n, t, st && !strcmp(st, "up") ? "true" : "false");
			else
				printf("%s%s (%s, %s)\n", first ? "" : "\n", n, t, st);
			first = false;
		} else if (!strcmp(kind, "chan")) {
			char *l = strtok_r(NULL, " \n", &save), *n = strtok_r(NULL, " \n", &save);
			char *src = strtok_r(NULL, " \n", &save), *dst = strtok_r(NULL, " \n", &save);
			static bool chan_first = true;

			(void)l;
			if (o->json)
				printf("%s{\"name\":\"%s\",\"src\":%s,\"dst\":%s}", chan_first ? "" : ",", n,
				       strcmp(src, "-") ? src : "null", strcmp(dst, "-") ? dst : "null");
			else
				printf("  %-32s src %-6s dst %s\n", n, src, dst);
			chan_first = false;
			if (!o->json)
				continue;
		} else if (!strcmp(kind, "msg")) {
			char *src = strtok_r(NULL, " \n", &save), *hex = strtok_r(NULL, " \n", &save);
			static uint8_t data[PROTO_LINE_MAX / 2];
			long n = proto_hex_decode(data, sizeof(data), hex ? hex : "");

			if (n < 0)
				continue;
			if (o->json) {
				char *h = malloc(2 * (size_t)n + 1);

				if (!h)
					continue;
				proto_hex_encode(h, data, (size_t)n);
				printf("%s{\"src\":%s,\"len\":%ld,\"hex\":\"%s\"}", first ? "" : ",", src, n, h);
				free(h);
			} else {
				print_payload(data, n, o->hex);
			}
			first = false;
			fflush(stdout);
		} else if (!strcmp(kind, "progress")) {
			long done = atol(strtok_r(NULL, " \n", &save));
			long total = atol(strtok_r(NULL, " \n", &save));
			double secs = atof(strtok_r(NULL, " \n", &save));

			if (o->plot) {
				if (smp.nt == 0)
					add_progress(&smp, 0, 0);
				add_progress(&smp, secs, done);
			}
			if (tty && !o->json) {
				fprintf(stderr, "\r%ld/%ld messages, %.1f s, %.0f msgs/s ", done, total, secs,
					secs > 0 ? done / secs : 0.0);
				progress_shown = true;
			}
		} else if (!strcmp(kind, "rtt")) {
			for (char *v; (v = strtok_r(NULL, " \n", &save));)
				add_rtt(&smp, atof(v));
		} else if (!strcmp(kind, "ping")) {
			int n = atoi(strtok_r(NULL, " \n", &save));
			double v[4];

			for (int i = 0; i < 4; i++)
				v[i] = atof(strtok_r(NULL, " \n", &save));
			if (o->json)
				printf("{\"count\":%d,\"size\":%ld,\"min_us\":%.2f,\"median_us\":%.2f,"
				       "\"p99_us\":%.2f,\"max_us\":%.2f}\n", n, o->size, v[0], v[1], v[2], v[3]);
			else
				printf("%d round trips of %ld bytes: min %.1f us, median %.1f us, p99 %.1f us, max %.1f us\n",
				       n, o->size, v[0], v[1], v[2], v[3]);
		} else if (!strcmp(kind, "bench")) {
			long n = atol(strtok_r(NULL, " \n", &save));
			long size = atol(strtok_r(NULL, " \n", &save));
			double secs = atof(strtok_r(NULL, " \n", &save));
			double mps = atof(strtok_r(NULL, " \n", &save));
			double mbs = atof(strtok_r(NULL, " \n", &save));

			if (progress_shown)
				fputc('\n', stderr);
			snprintf(title, sizeof(title), "rpmsg bench %s: %ld messages of %ld bytes, %.0f msgs/s, %.1f MB/s",
				 request + 6, n, size, mps, mbs);
			if (o->json)
				printf("{\"messages\":%ld,\"size\":%ld,\"seconds\":%.6f,\"msgs_per_s\":%.0f,"
				       "\"mb_per_s\":%.3f}\n", n, size, secs, mps, mbs);
			else
				printf("%ld messages of %ld bytes in %.3f s: %.0f msgs/s, %.1f MB/s\n", n, size,
				       secs, mps, mbs);
		}
	}
	if (!strcmp(cmd, "ls") && o->json)
		printf("%s]}\n", first ? "" : "]}");
	if (!strcmp(cmd, "recv") && o->json)
		printf("]\n");
	if (ret == EXIT_OK && o->plot) {
		struct plot_data pd = { .title = title, .rtt_us = smp.rtt, .nrtt = smp.nrtt, .t_s = smp.t,
					.done = smp.done, .nt = smp.nt, .size = o->size };
		int e = plot_svg(o->plot, &pd);

		if (e) {
			fprintf(stderr, "rpmsg %s: %s: %s\n", cmd, o->plot, strerror(-e));
			ret = EXIT_FAIL;
		}
	}
	free(smp.rtt);
	free(smp.t);
	free(smp.done);
	if (!answered) {
		fprintf(stderr, "rpmsg %s: the simulator closed the connection\n", cmd);
		ret = EXIT_PEER_GONE;
	}
	fclose(f);
	return ret;
}

/* Common options; `extra` lists what this command accepts besides --sim/--json/--help. */
static int parse(int argc, char **argv, const char *cmd, const char *usage_text, const char *extra,
		 struct copts *o)
{
	static const struct option opts[] = { { "sim", required_argument, 0, 'S' },
					      { "json", no_argument, 0, 'j' },
					      { "hex", no_argument, 0, 'x' },
					      { "count", required_argument, 0, 'c' },
					      { "size", required_argument, 0, 's' },
					      { "timeout", required_argument, 0, 't' },
					      { "plot", required_argument, 0, 'p' },
					      { "burst", required_argument, 0, 'b' },
					      { "help", no_argument, 0, 'h' },
					      { 0, 0, 0, 0 } };
	int c;

	o->sim = proto_default_sim();
	while ((c = getopt_long(argc, argv, "S:jxc:s:t:p:b:h", opts, NULL)) != -1) {
		if (c != 'S' && c != 'j' && c != 'h' && c != '?' && !strchr(extra, c)) {
			fprintf(stderr, "rpmsg %s: option '%s' does not apply here\n", cmd, argv[optind - 1]);
			return EXIT_USAGE;
		}
		switch (c) {
		case 'S': o->sim = optarg; break;
		case 'j': o->json = true; break;
		case 'x': o->hex = true; break;
		case 'c': o->count = strtol(optarg, NULL, 10); break;
		case 's': o->size = strtol(optarg, NULL, 10); break;
		case 't': o->timeout_ms = (int)strtol(optarg, NULL, 10); break;
		case 'p': o->plot = optarg; break;
		case 'b': o->burst = strtol(optarg, NULL, 10); break;
		case 'h': printf("%s", usage_text); exit(EXIT_OK);
		default: fprintf(stderr, "%s", usage_text); return EXIT_USAGE;
		}
	}
	if (o->count < 1 || o->size < 0 || o->size > 65536 || o->timeout_ms < 0) {
		fprintf(stderr, "rpmsg %s: --count must be positive, --size 0..65536, --timeout >= 0\n", cmd);
		return EXIT_USAGE;
	}
	if (strchr(o->sim, '/') || strchr(o->sim, ' ')) {
		fprintf(stderr, "rpmsg %s: bad simulator name '%s'\n", cmd, o->sim);
		return EXIT_USAGE;
	}
	return -1;
}

#define COMMON "  -S, --sim NAME   the simulator (default: $RPMSG_SIM or soc0)\n" \
	       "  -j, --json       machine-readable output\n"

static bool good_channel(const char *cmd, const char *ch)
{
	if (!ch || !*ch || strchr(ch, ' ') || strlen(ch) > 80) {
		fprintf(stderr, "rpmsg %s: missing or bad channel (NAME or LINK/NAME)\n", cmd);
		return false;
	}
	return true;
}

int cmd_ls(int argc, char **argv)
{
	struct copts o = { .count = 1 };
	int r = parse(argc, argv, "ls", "usage: rpmsg ls [--sim NAME] [--json]\n"
		      "List the links of a running simulator and the channels on each (with the\n"
		      "main CPU's local address src and the remote's address dst).\n" COMMON, "", &o);

	if (r >= 0)
		return r;
	if (optind != argc) {
		fprintf(stderr, "rpmsg ls: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	return run("ls", &o, "ls");
}

int cmd_send(int argc, char **argv)
{
	static char req[PROTO_LINE_MAX];
	struct copts o = { .count = 1 };
	const char *data, *ch;
	uint8_t bin[4000]; /* hex-encoded, it fits one request line */
	long n;
	int r = parse(argc, argv, "send", "usage: rpmsg send [--sim NAME] [--hex] CHANNEL DATA\n"
		      "Send one message (DATA as text, or as hex digits with --hex) to CHANNEL\n"
		      "(NAME or LINK/NAME; built-in services also by short name: echo, sink, ...).\n"
		      "  -x, --hex        DATA is hex\n" COMMON, "x", &o);

	if (r >= 0)
		return r;
	if (argc - optind != 2) {
		fprintf(stderr, "rpmsg send: expected CHANNEL DATA\n");
		return EXIT_USAGE;
	}
	ch = argv[optind];
	data = argv[optind + 1];
	if (!good_channel("send", ch))
		return EXIT_USAGE;
	if (o.hex) {
		n = proto_hex_decode(bin, sizeof(bin), data);
		if (n < 0) {
			fprintf(stderr, "rpmsg send: DATA is not an even number of hex digits (at most %zu bytes)\n",
				sizeof(bin));
			return EXIT_USAGE;
		}
	} else {
		n = (long)strlen(data);
		if ((size_t)n > sizeof(bin)) {
			fprintf(stderr, "rpmsg send: DATA longer than %zu bytes\n", sizeof(bin));
			return EXIT_USAGE;
		}
		memcpy(bin, data, (size_t)n);
	}
	proto_hex_encode(req + snprintf(req, sizeof(req), "send %s ", ch), bin, (size_t)n);
	return run("send", &o, req);
}

int cmd_recv(int argc, char **argv)
{
	struct copts o = { .count = 1, .timeout_ms = 5000 };
	char req[160];
	int r = parse(argc, argv, "recv",
		      "usage: rpmsg recv [--sim NAME] [--count N] [--timeout MS] [--hex] CHANNEL\n"
		      "Print the next N messages the remote sent on CHANNEL (text when printable,\n"
		      "else hex), waiting up to MS milliseconds for each (default 1, 5000).\n"
		      "  -c, --count N    messages to wait for\n"
		      "  -t, --timeout MS how long to wait for each\n"
		      "  -x, --hex        always print hex\n" COMMON, "ctx", &o);

	if (r >= 0)
		return r;
	if (argc - optind != 1 || !good_channel("recv", argv[optind]))
		return EXIT_USAGE;
	snprintf(req, sizeof(req), "recv %s %ld %d", argv[optind], o.count, o.timeout_ms);
	return run("recv", &o, req);
}

int cmd_ping(int argc, char **argv)
{
	struct copts o = { .count = 1000, .size = 16 };
	char req[160];
	int r = parse(argc, argv, "ping", "usage: rpmsg ping [--sim NAME] [--count N] [--size BYTES] CHANNEL\n"
		      "Round trips through an echo service: min, median, p99, max (default 1000 of 16 B).\n"
		      "  -c, --count N    round trips\n"
		      "  -s, --size BYTES payload size\n" COMMON, "cs", &o);

	if (r >= 0)
		return r;
	if (argc - optind != 1)
		return good_channel("ping", NULL), EXIT_USAGE;
	if (!good_channel("ping", argv[optind]))
		return EXIT_USAGE;
	snprintf(req, sizeof(req), "ping %s %ld %ld", argv[optind], o.count, o.size);
	return run("ping", &o, req);
}

int cmd_bench(int argc, char **argv)
{
	struct copts o = { .count = 100000, .size = 496, .burst = 1 };
	char req[160];
	int r = parse(argc, argv, "bench", "usage: rpmsg bench [--sim NAME] [--count N] [--size BYTES] [--burst N] [--plot FILE.svg] CHANNEL\n"
		      "Stream N messages into CHANNEL (a sink, or an echo: then the replies count too)\n"
		      "and report messages/s and MB/s, with a progress line while it runs\n"
		      "(default 100000 of 496 B, the virtio MTU).\n"
		      "  -c, --count N    messages\n"
		      "  -s, --size BYTES payload size\n"
		      "  -b, --burst N    messages per send call, 1 to " PROTO_STR(PROTO_BURST_MAX) " (default 1): rpmsg_trysend_burst,\n"
		      "                   one ring update and at most one doorbell for N messages\n"
		      "  -p, --plot FILE  also measure round trips, and draw a latency histogram and\n"
		      "                   the throughput over time as SVG\n" COMMON, "cspb", &o);

	if (r >= 0)
		return r;
	if (argc - optind != 1)
		return good_channel("bench", NULL), EXIT_USAGE;
	if (!good_channel("bench", argv[optind]))
		return EXIT_USAGE;
	if (o.burst < 1 || o.burst > PROTO_BURST_MAX) {
		fprintf(stderr, "rpmsg bench: --burst must be 1 to %d\n", PROTO_BURST_MAX);
		return EXIT_USAGE;
	}
	snprintf(req, sizeof(req), "bench %s %ld %ld%s burst=%ld", argv[optind], o.count, o.size,
		 o.plot ? " plot" : "", o.burst);
	return run("bench", &o, req);
}

int cmd_stop(int argc, char **argv)
{
	struct copts o = { .count = 1 };
	char path[256];
	int r = parse(argc, argv, "stop", "usage: rpmsg stop [--sim NAME]\n"
		      "Stop a running simulator (its remote processors exit).\n" COMMON, "", &o);

	if (r >= 0)
		return r;
	if (optind != argc) {
		fprintf(stderr, "rpmsg stop: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	r = run("stop", &o, "stop");
	/* Return once it is gone, so a new one may start with the same name. */
	proto_socket_path(path, sizeof(path), o.sim);
	for (int i = 0; r == EXIT_OK && i < 200 && access(path, F_OK) == 0; i++)
		usleep(50000);
	return r;
}

/* ---- trace ---- */

static volatile sig_atomic_t trace_stop;

static void on_trace_signal(int sig)
{
	(void)sig;
	trace_stop = 1;
}

static void print_record(const struct cap_event *ev)
{
	time_t secs = (time_t)(ev->time_ns / 1000000000u);
	struct tm tm;
	char when[32], addr[2][16];
	uint32_t a[2] = { ev->src, ev->dst };

	localtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	for (int i = 0; i < 2; i++) {
		if (a[i] == RPMSG_ADDR_ANY)
			snprintf(addr[i], sizeof(addr[i]), "ANY");
		else
			snprintf(addr[i], sizeof(addr[i]), "%u", a[i]);
	}
	printf("%s.%09llu %s %s ", when, (unsigned long long)(ev->time_ns % 1000000000u), ev->ifname,
	       ev->dir ? "rx" : "tx");
	if (ev->event == RPMSG_CAP_CHANNEL_ADD || ev->event == RPMSG_CAP_CHANNEL_REMOVE) {
		printf("%s \"%.*s\" src %s dst %s\n", cap_event_name(ev->event),
		       (int)strnlen((const char *)ev->data, ev->caplen), (const char *)ev->data, addr[0], addr[1]);
		return;
	}
	if (ev->event == RPMSG_CAP_CONTROL) {
		printf("%s control %u len %u\n", cap_transport_name(ev->transport), ev->code, ev->len);
		return;
	}
	printf("%s > %s len %u", addr[0], addr[1], ev->len);
	if (ev->dst == 53 && ev->caplen >= 40) {
		uint32_t na = ev->data[32] | ev->data[33] << 8 | ev->data[34] << 16 | (uint32_t)ev->data[35] << 24;
		uint32_t nf = ev->data[36] | ev->data[37] << 8 | ev->data[38] << 16 | (uint32_t)ev->data[39] << 24;

		printf(" NS %s \"%.*s\" addr %u", nf == 0 ? "create" : nf == 1 ? "destroy" : "?",
		       (int)strnlen((const char *)ev->data, 32), (const char *)ev->data, na);
	} else if (ev->caplen) {
		bool text = true;
		uint32_t show = ev->caplen < 32 ? ev->caplen : 32;

		for (uint32_t i = 0; i < show && text; i++)
			text = isprint(ev->data[i]);
		if (text) {
			printf(" \"%.*s\"%s", (int)show, (const char *)ev->data, show < ev->len ? "..." : "");
		} else {
			printf(" ");
			for (uint32_t i = 0; i < show && i < 16; i++)
				printf("%02x", ev->data[i]);
			printf("%s", ev->len > 16 ? "..." : "");
		}
	}
	putchar('\n');
}

int cmd_trace(int argc, char **argv)
{
	static const struct option opts[] = { { "sim", required_argument, 0, 'S' },
					      { "write", required_argument, 0, 'w' },
					      { "read", required_argument, 0, 'r' },
					      { "link", required_argument, 0, 'l' },
					      { "channel", required_argument, 0, 'C' },
					      { "addr", required_argument, 0, 'a' },
					      { "snaplen", required_argument, 0, 's' },
					      { "count", required_argument, 0, 'c' },
					      { "duration", required_argument, 0, 'd' },
					      { "help", no_argument, 0, 'h' },
					      { 0, 0, 0, 0 } };
	static const char usage_text[] =
		"usage: rpmsg trace [--sim NAME] [-w FILE] [--link L] [--channel C] [--addr N]\n"
		"                   [--snaplen BYTES] [--count N] [--duration SECONDS]\n"
		"       rpmsg trace -r FILE [--count N]\n"
		"Capture the bus traffic of a running simulator: every message sent and received\n"
		"on every link, name-service announcements and channel changes. With -w, write\n"
		"pcapng for Wireshark (dissector: tools/wireshark/rpmsg.lua); else print one line\n"
		"per record. Stops on Ctrl-C, after N records or SECONDS, and reports how many\n"
		"records were captured and dropped. -r prints a capture file instead.\n";
	const char *sim = proto_default_sim(), *path = NULL, *rpath = NULL;
	char req[256] = "trace", opt[96];
	static uint8_t buf[1 << 20];
	struct cap_state st = { 0 };
	struct sigaction sa = { .sa_handler = on_trace_signal };
	long count = 0, seen = 0;
	uint64_t dropped = 0;
	int c, duration = 0, ret = EXIT_OK;
	size_t have = 0;
	bool shut = false, announced = false;
	FILE *f, *out = NULL;

	while ((c = getopt_long(argc, argv, "S:w:r:l:C:a:s:c:d:h", opts, NULL)) != -1) {
		opt[0] = 0;
		switch (c) {
		case 'S': sim = optarg; break;
		case 'w': path = optarg; break;
		case 'r': rpath = optarg; break;
		case 'l': snprintf(opt, sizeof(opt), " link=%.64s", optarg); break;
		case 'C': snprintf(opt, sizeof(opt), " channel=%.80s", optarg); break;
		case 'a': snprintf(opt, sizeof(opt), " addr=%lu", strtoul(optarg, NULL, 0)); break;
		case 's': snprintf(opt, sizeof(opt), " snaplen=%lu", strtoul(optarg, NULL, 0)); break;
		case 'c': count = strtol(optarg, NULL, 10); break;
		case 'd': duration = atoi(optarg); break;
		case 'h': printf("%s", usage_text); return EXIT_OK;
		default: fprintf(stderr, "%s", usage_text); return EXIT_USAGE;
		}
		if (opt[0] && (strchr(opt + 1, ' ') || strlen(req) + strlen(opt) >= sizeof(req))) {
			fprintf(stderr, "rpmsg trace: bad option value\n");
			return EXIT_USAGE;
		}
		strcat(req, opt);
	}
	if (optind != argc || count < 0 || duration < 0) {
		fprintf(stderr, "%s", usage_text);
		return EXIT_USAGE;
	}
	if (rpath && path) {
		fprintf(stderr, "rpmsg trace: -r and -w do not go together\n");
		return EXIT_USAGE;
	}
	if (rpath && !(f = fopen(rpath, "rb"))) {
		fprintf(stderr, "rpmsg trace: %s: %s\n", rpath, strerror(errno));
		return EXIT_FAIL;
	}
	if (!rpath && !(f = connect_sim(sim, "trace")))
		return EXIT_NO_SIM;
	if (path && !(out = fopen(path, "wb"))) {
		fprintf(stderr, "rpmsg trace: %s: %s\n", path, strerror(errno));
		fclose(f);
		return EXIT_FAIL;
	}
	sigaction(SIGINT, &sa, NULL); /* no SA_RESTART: a blocked read returns */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	if (duration)
		alarm((unsigned)duration);
	if (!rpath)
		dprintf(fileno(f), "%s\n", req);
	if (!path)
		setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		ssize_t n;
		long used;
		struct cap_event ev;

		if (trace_stop && rpath)
			break;
		if (trace_stop && !shut) {
			shutdown(fileno(f), SHUT_WR); /* the simulator closes the capture */
			shut = true;
		}
		n = read(fileno(f), buf + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (have == 0 && !strncmp((char *)buf, "err ", 4)) {
			buf[n < (ssize_t)sizeof(buf) ? n : n - 1] = 0;
			ret = report_err("trace", (char *)buf, false);
			break;
		}
		if (out && fwrite(buf + have, 1, (size_t)n, out) != (size_t)n) {
			fprintf(stderr, "rpmsg trace: %s: %s\n", path, strerror(errno));
			ret = EXIT_FAIL;
			break;
		}
		have += (size_t)n;
		while ((used = cap_parse_block(&st, buf, have, &ev)) > 0) {
			if (!rpath && !announced) {
				/* the section header came: the tap is set, traffic from now on is ours */
				fprintf(stderr, "capturing on %s (Ctrl-C stops)\n", sim);
				announced = true;
			}
			if (ev.kind == CAP_PACKET) {
				seen++;
				if (!out && (!count || seen <= count))
					print_record(&ev);
				if (count && seen >= count)
					trace_stop = 1;
			} else if (ev.kind == CAP_STATS) {
				dropped += ev.dropped;
			}
			memmove(buf, buf + used, have - (size_t)used);
			have -= (size_t)used;
		}
		if (used < 0) {
			fprintf(stderr, "rpmsg trace: %s: malformed capture after %ld records (%s)\n",
				rpath ? rpath : "the simulator", seen, rpmsg_strerror((int)used));
			ret = EXIT_FAIL;
			break;
		}
		if (have == sizeof(buf)) {
			fprintf(stderr, "rpmsg trace: capture block too large\n");
			ret = EXIT_FAIL;
			break;
		}
	}
	if (out && fclose(out) && ret == EXIT_OK) {
		fprintf(stderr, "rpmsg trace: %s: %s\n", path, strerror(errno));
		ret = EXIT_FAIL;
	}
	if (ret == EXIT_OK && have) {
		fprintf(stderr, "rpmsg trace: %s: the capture ends inside a block (%zu bytes left)\n",
			rpath ? rpath : "the simulator", have);
		ret = EXIT_FAIL;
	}
	fclose(f);
	fprintf(stderr, "%ld records captured, %llu dropped\n", seen, (unsigned long long)dropped);
	return ret;
}
