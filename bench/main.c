/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rpmsg-bench: round-trip latency and one-way throughput of librpmsg's transports
 * between two processes (POSIX platform), each reported as a ratio to a plain baseline
 * measured in the same run on the same machine:
 *
 *   busy-poll round trip   vs  cache-line ping-pong          target: at most 2x
 *   busy-poll throughput   vs  shared-memory SPSC ring       target: at least 0.5x msgs/s
 *   blocking round trip    vs  Unix socketpair ping-pong     target: at most 1x
 *
 * for 16-byte and MTU-sized (496-byte) payloads; GLINK, SMD and SCP run the same loops
 * with 16-byte payloads against the same baselines (information: no targets). Each case runs `--rounds` times, in a
 * fresh pair of processes each time, interleaved with its baseline so that a noisy
 * neighbour hurts both alike; round-trip samples are pooled (median, p99), throughput is
 * the median of the rounds. Nothing is pinned.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <rpmsg/rpmsg.h>

#include "bench.h"

#define MAX_ROUNDS 32
#define DEFAULT_ITERS_CAP 1000000L /* round trips kept per case and round (memory bound) */

enum metric { RTT, TPUT };
enum kind { K_CACHELINE, K_SOCKET, K_RING, K_BUSY, K_BLOCK, K_ONETHREAD };

struct bcase {
	const char *id;    /* JSON key */
	const char *label; /* table text */
	enum metric metric;
	enum kind kind;
	size_t size;
	const char *tp;    /* K_BUSY / K_BLOCK: the transport (NULL: virtio) */
	int burst;         /* busy throughput: messages per rpmsg_trysend_burst (0: single sends) */
	/* results */
	struct samples s;        /* RTT: round trips (ns); TPUT: ~1 ms window rates (msgs/s) */
	double rate[MAX_ROUNDS]; /* messages/s of each whole round */
	int nrate;
	int err;
	bool skipped;
	uint64_t preempt; /* involuntary context switches of both processes, all rounds */
	struct bench_phase phase[2]; /* spinning cases: parent's and child's measured phases, all rounds */
	double cpu_share; /* spinning cases: the lower of the two processes' CPU time / wall time */
	struct run_result info; /* summed over rounds */
	/* aggregated */
	double median_us, p99_us, msgs_s, mb_s;
	double mean_msgs_s; /* TPUT: median over rounds of (messages / whole run time) */
	size_t nsamples;
	/*
	 * Busy RTT: each round's median over a ping-pong measured just before that round. The
	 * host moves the two vCPUs now and then (the ping-pong goes from 0.55 to 0.16 us and
	 * back), so a ratio of pooled medians can set a subject measured at one placement
	 * against a baseline measured at the other; paired rounds cannot.
	 */
	double pair_ratio[MAX_ROUNDS];
	int npair;
	double paired; /* median of pair_ratio, 0 if none */
};

/* Run order: every subject right after its baseline, so drift hits both. */
static struct bcase cases[] = {
	{ .id = "cacheline_rtt", .label = "cache-line ping-pong", .metric = RTT, .kind = K_CACHELINE, .size = 0 },
	{ .id = "virtio_busy_rtt_16", .label = "virtio busy-poll RTT 16 B", .metric = RTT, .kind = K_BUSY, .size = 16 },
	{ .id = "glink_busy_rtt_16", .label = "GLINK busy-poll RTT 16 B", .metric = RTT, .kind = K_BUSY, .size = 16, .tp = "glink" },
	{ .id = "smd_busy_rtt_16", .label = "SMD busy-poll RTT 16 B", .metric = RTT, .kind = K_BUSY, .size = 16, .tp = "smd" },
	{ .id = "scp_busy_rtt_16", .label = "SCP busy-poll RTT 16 B", .metric = RTT, .kind = K_BUSY, .size = 16, .tp = "scp" },
	{ .id = "virtio_busy_rtt_496", .label = "virtio busy-poll RTT 496 B", .metric = RTT, .kind = K_BUSY, .size = 496 },
	{ .id = "virtio_evidx_busy_rtt_16", .label = "virtio EVENT_IDX busy-poll RTT 16 B", .metric = RTT, .kind = K_BUSY, .size = 16, .tp = "virtio-evidx" },
	{ .id = "virtio_evidx_busy_rtt_496", .label = "virtio EVENT_IDX busy-poll RTT 496 B", .metric = RTT, .kind = K_BUSY, .size = 496, .tp = "virtio-evidx" },
	{ .id = "virtio_fenced_busy_rtt_16", .label = "virtio full-fence busy-poll RTT 16 B", .metric = RTT, .kind = K_BUSY, .size = 16, .tp = "virtio-fenced" },
	{ .id = "virtio_onethread_rtt_16", .label = "virtio one-thread RTT 16 B", .metric = RTT, .kind = K_ONETHREAD, .size = 16 },
	{ .id = "unix_rtt_16", .label = "unix socket RTT 16 B", .metric = RTT, .kind = K_SOCKET, .size = 16 },
	{ .id = "virtio_block_rtt_16", .label = "virtio blocking RTT 16 B", .metric = RTT, .kind = K_BLOCK, .size = 16 },
	{ .id = "virtio_fenced_block_rtt_16", .label = "virtio full-fence blocking RTT 16 B", .metric = RTT, .kind = K_BLOCK, .size = 16, .tp = "virtio-fenced" },
	{ .id = "glink_block_rtt_16", .label = "GLINK blocking RTT 16 B", .metric = RTT, .kind = K_BLOCK, .size = 16, .tp = "glink" },
	{ .id = "smd_block_rtt_16", .label = "SMD blocking RTT 16 B", .metric = RTT, .kind = K_BLOCK, .size = 16, .tp = "smd" },
	{ .id = "scp_block_rtt_16", .label = "SCP blocking RTT 16 B", .metric = RTT, .kind = K_BLOCK, .size = 16, .tp = "scp" },
	{ .id = "unix_rtt_496", .label = "unix socket RTT 496 B", .metric = RTT, .kind = K_SOCKET, .size = 496 },
	{ .id = "virtio_block_rtt_496", .label = "virtio blocking RTT 496 B", .metric = RTT, .kind = K_BLOCK, .size = 496 },
	{ .id = "ring_tput_16", .label = "shm ring 16 B", .metric = TPUT, .kind = K_RING, .size = 16 },
	{ .id = "virtio_busy_tput_16", .label = "virtio busy-poll tput 16 B", .metric = TPUT, .kind = K_BUSY, .size = 16 },
	{ .id = "virtio_fenced_busy_tput_16", .label = "virtio full-fence busy-poll tput 16 B", .metric = TPUT, .kind = K_BUSY, .size = 16, .tp = "virtio-fenced" },
	{ .id = "virtio_onethread_tput_16", .label = "virtio one-thread tput 16 B", .metric = TPUT, .kind = K_ONETHREAD, .size = 16 },
	{ .id = "virtio_burst_tput_16", .label = "virtio busy-poll tput 16 B, bursts", .metric = TPUT, .kind = K_BUSY, .size = 16, .burst = 16 },
	{ .id = "virtio_block_tput_16", .label = "virtio blocking tput 16 B", .metric = TPUT, .kind = K_BLOCK, .size = 16 },
	{ .id = "glink_busy_tput_16", .label = "GLINK busy-poll tput 16 B", .metric = TPUT, .kind = K_BUSY, .size = 16, .tp = "glink" },
	{ .id = "smd_busy_tput_16", .label = "SMD busy-poll tput 16 B", .metric = TPUT, .kind = K_BUSY, .size = 16, .tp = "smd" },
	{ .id = "scp_busy_tput_16", .label = "SCP busy-poll tput 16 B", .metric = TPUT, .kind = K_BUSY, .size = 16, .tp = "scp" },
	{ .id = "glink_block_tput_16", .label = "GLINK blocking tput 16 B", .metric = TPUT, .kind = K_BLOCK, .size = 16, .tp = "glink" },
	{ .id = "smd_block_tput_16", .label = "SMD blocking tput 16 B", .metric = TPUT, .kind = K_BLOCK, .size = 16, .tp = "smd" },
	{ .id = "scp_block_tput_16", .label = "SCP blocking tput 16 B", .metric = TPUT, .kind = K_BLOCK, .size = 16, .tp = "scp" },
	{ .id = "ring_tput_496", .label = "shm ring 496 B", .metric = TPUT, .kind = K_RING, .size = 496 },
	{ .id = "virtio_busy_tput_496", .label = "virtio busy-poll tput 496 B", .metric = TPUT, .kind = K_BUSY, .size = 496 },
	{ .id = "virtio_fenced_busy_tput_496", .label = "virtio full-fence busy-poll tput 496 B", .metric = TPUT, .kind = K_BUSY, .size = 496, .tp = "virtio-fenced" },
	{ .id = "virtio_burst_tput_496", .label = "virtio busy-poll tput 496 B, bursts", .metric = TPUT, .kind = K_BUSY, .size = 496, .burst = 16 },
	{ .id = "virtio_block_tput_496", .label = "virtio blocking tput 496 B", .metric = TPUT, .kind = K_BLOCK, .size = 496 },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

static struct bcase *find(const char *id)
{
	for (size_t i = 0; i < NCASES; i++)
		if (!strcmp(cases[i].id, id))
			return &cases[i];
	return NULL;
}

struct opts {
	bool quick, json, strict, verbose;
	const char *filter; /* run only cases whose id contains it (profiling) */
	double seconds; /* per case, all rounds together */
	long iters;     /* per case, all rounds together; 0 = time only */
	int rounds;
};

/* Does id contain one of the comma-separated substrings in filter? */
static bool filter_match(const char *filter, const char *id)
{
	char sub[64];

	for (const char *p = filter; *p;) {
		size_t n = strcspn(p, ",");

		if (n && n < sizeof(sub)) {
			memcpy(sub, p, n);
			sub[n] = '\0';
			if (strstr(id, sub))
				return true;
		}
		p += n + (p[n] == ',');
	}
	return false;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rpmsg-bench [--quick] [--json] [--seconds S] [--iters N] [--rounds R]\n"
		"                   [--strict] [--verbose]\n"
		"  --quick      short run (about a second in all; CI smoke)\n"
		"  --json       print the results as JSON on stdout (the table is not printed)\n"
		"  --seconds S  measured time per case, all rounds together (default 1.5)\n"
		"  --iters N    at most N round trips / messages per case, all rounds together\n"
		"               (alone, it lifts the time limit to 30 s per case)\n"
		"  --rounds R   runs of each case, interleaved with its baseline (default 5)\n"
		"  --strict     exit 1 when a target is missed (default: only errors fail)\n"
		"  --verbose    progress and link counters on stderr\n"
		"  --filter SUB run only the cases whose id contains SUB, or one of a comma-\n"
		"               separated list (for profiling and A/B runs; rows\n"
		"               whose cases did not run say \"skip\")\n"
		"  --capture F  capture the main CPU's bus to pcapng file F (64-byte snap) while\n"
		"               the librpmsg cases run: what capturing costs\n"
		"Exit status: 0 ran (targets may miss), 1 a target missed with --strict, 2 a case failed.\n");
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "quick", no_argument, NULL, 'q' },	 { "json", no_argument, NULL, 'j' },
		{ "seconds", required_argument, NULL, 's' }, { "iters", required_argument, NULL, 'n' },
		{ "rounds", required_argument, NULL, 'r' }, { "strict", no_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },	 { "help", no_argument, NULL, 'h' },
		{ "filter", required_argument, NULL, 'f' },
		{ "capture", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_s = false, have_r = false;
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "qjs:n:r:Svhf:c:", lo, NULL)) != -1) {
		switch (c) {
		case 'q': o->quick = true; break;
		case 'j': o->json = true; break;
		case 'S': o->strict = true; break;
		case 'v': o->verbose = true; break;
		case 'f': o->filter = optarg; break;
		case 'c': bench_capture_path = optarg; break;
		case 's':
			o->seconds = strtod(optarg, &end);
			if (*end || !(o->seconds > 0) || o->seconds > 3600) {
				fprintf(stderr, "rpmsg-bench: bad --seconds '%s'\n", optarg);
				return -1;
			}
			have_s = true;
			break;
		case 'n':
			o->iters = strtol(optarg, &end, 10);
			if (*end || o->iters <= 0) {
				fprintf(stderr, "rpmsg-bench: bad --iters '%s'\n", optarg);
				return -1;
			}
			break;
		case 'r':
			o->rounds = (int)strtol(optarg, &end, 10);
			if (*end || o->rounds < 1 || o->rounds > MAX_ROUNDS) {
				fprintf(stderr, "rpmsg-bench: --rounds must be 1..%d\n", MAX_ROUNDS);
				return -1;
			}
			have_r = true;
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return -1;
	}
	if (!have_r)
		o->rounds = o->quick ? 1 : 5;
	if (!have_s)
		o->seconds = o->quick ? 0.06 : o->iters ? 30.0 : 1.5;
	return 0;
}

static void loadavg(char *buf, size_t n)
{
	FILE *f = fopen("/proc/loadavg", "r");

	snprintf(buf, n, "?");
	if (f) {
		if (fgets(buf, (int)n, f))
			buf[strcspn(buf, " ")] = 0; /* the 1-minute figure */
		fclose(f);
	}
}

static int cpus_usable(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		return CPU_COUNT(&set);
	return (int)sysconf(_SC_NPROCESSORS_ONLN);
}

static int run_one(struct bcase *c, const struct bench_budget *b)
{
	struct run_result r = { 0 };
	int err;

	switch (c->kind) {
	case K_CACHELINE:
		err = run_cacheline_rtt(b, &c->s);
		break;
	case K_SOCKET:
		err = run_socket_rtt(c->size, b, &c->s);
		break;
	case K_RING:
		err = run_ring_tput(c->size, b, &r, &c->s);
		break;
	case K_ONETHREAD:
		err = c->metric == RTT ? run_link_onethread_rtt(bench_transport(c->tp ? c->tp : "virtio"), c->size, b, &c->s)
				       : run_link_onethread_tput(bench_transport(c->tp ? c->tp : "virtio"), c->size, b, &r);
		break;
	default: {
		const struct bench_transport *t = bench_transport(c->tp ? c->tp : "virtio");

		err = c->metric == RTT ? run_link_rtt(t, c->kind == K_BUSY, c->size, b, &c->s, &r)
				       : run_link_tput(t, c->kind == K_BUSY, c->size, c->burst ? c->burst : 1, b,
						       &r, &c->s);
		break;
	}
	}
	if (err)
		return err;
	if (c->metric == TPUT) {
		if (!r.ns || !r.msgs)
			return -EPROTO;
		c->rate[c->nrate++] = (double)r.msgs * 1e9 / (double)r.ns;
	}
	c->info.notifies += r.notifies;
	c->info.tx_waits += r.tx_waits;
	c->info.sent += r.sent;
	c->info.full += r.full;
	c->info.msgs += r.msgs;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median_of(const double *in, int n)
{
	double v[MAX_ROUNDS];

	memcpy(v, in, (size_t)n * sizeof(double));
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Busy round trips get a ping-pong of their own before each round (struct bcase). */
static bool paired(const struct bcase *c)
{
	return c->kind == K_BUSY && c->metric == RTT;
}

/* A short cache-line ping-pong now: its median in us (0 if it failed). */
static double pingpong_now_us(const struct bench_budget *b)
{
	struct bench_budget pb = { .seconds = b->seconds / 4, .warmup = b->warmup / 4, .iters = b->iters };
	struct samples s = { 0 };
	double us = 0;

	if (!run_cacheline_rtt(&pb, &s) && s.n)
		us = (double)samples_quantile(&s, 0.5) / 1e3;
	samples_free(&s);
	return us;
}

/* Median (us) of the samples from index n0 on: the round just run. */
static double round_median_us(struct samples *s, size_t n0)
{
	struct samples part = { .v = s->v + n0, .n = s->n - n0, .cap = s->n - n0 };

	return (double)samples_quantile(&part, 0.5) / 1e3;
}

/* Spinning cases: did both processes have a CPU of their own? */
static bool spins(const struct bcase *c)
{
	return c->kind == K_CACHELINE || c->kind == K_RING || c->kind == K_BUSY;
}

#define MIN_CPU_SHARE 0.75 /* below this a spinning pair shared a CPU: the scheduler was measured */
#define MAX_SPIN_RTT_US 20.0 /* a spinning round trip slower than this waited for a CPU */

/*
 * Whether a spinning case measured the scheduler rather than the code. Throughput needs the
 * pair to run side by side for the whole run (CPU share). A median round trip stays honest
 * when the pair shares CPUs part of the time, since time-slicing adds a few long samples and
 * the co-running stretches add very many short ones. It does not when the pair hardly ever
 * ran side by side, and then the median itself is a time slice.
 */
static bool noisy(const struct bcase *c)
{
	if (!spins(c))
		return false;
	if (c->metric == TPUT)
		return c->cpu_share < MIN_CPU_SHARE;
	return c->median_us > MAX_SPIN_RTT_US;
}

static void aggregate(struct bcase *c)
{
	if (c->phase[0].wall_ns && c->phase[1].wall_ns) {
		double p = (double)c->phase[0].cpu_ns / (double)c->phase[0].wall_ns;
		double ch = (double)c->phase[1].cpu_ns / (double)c->phase[1].wall_ns;

		c->cpu_share = p < ch ? p : ch;
	}
	if (c->err)
		return;
	if (c->npair)
		c->paired = median_of(c->pair_ratio, c->npair);
	if (c->metric == RTT) {
		c->nsamples = c->s.n;
		c->median_us = (double)samples_quantile(&c->s, 0.5) / 1e3;
		c->p99_us = (double)samples_quantile(&c->s, 0.99) / 1e3;
	} else if (c->nrate) {
		c->mean_msgs_s = median_of(c->rate, c->nrate);
		/* The median window: robust to the slices where the scheduler took a CPU away.
		 * Runs too short for a whole window fall back to the whole-run rate. */
		c->nsamples = c->s.n;
		c->msgs_s = c->s.n ? (double)samples_quantile(&c->s, 0.5) : c->mean_msgs_s;
		c->mb_s = c->msgs_s * (double)c->size / 1e6;
	}
}

/* ---- the comparisons ---- */

enum verdict { INFO = -1, MISS = 0, PASS = 1, ERROR = 2, SKIP = 3, NOISY = 4 };

struct row {
	const char *name;
	const char *id;
	const char *sid, *bid; /* the subject's and the baseline's case ids */
	struct bcase *subj, *base;
	bool p99;           /* latency rows: p99 instead of the median */
	double limit;       /* the target ratio; 0 = information only */
	bool higher_better; /* throughput */
	/* computed */
	double value, baseline, ratio;
	enum verdict v;
};

static struct row rows[] = {
	{ .name = "busy RTT 16 B median", .id = "busy_rtt_16_median", .sid = "virtio_busy_rtt_16", .bid = "cacheline_rtt", .p99 = false, .limit = 2.0, .higher_better = false },
	{ .name = "busy RTT 16 B p99", .id = "busy_rtt_16_p99", .sid = "virtio_busy_rtt_16", .bid = "cacheline_rtt", .p99 = true, .limit = 0, .higher_better = false },
	{ .name = "busy RTT 496 B median", .id = "busy_rtt_496_median", .sid = "virtio_busy_rtt_496", .bid = "cacheline_rtt", .p99 = false, .limit = 2.0, .higher_better = false },
	{ .name = "busy RTT 496 B p99", .id = "busy_rtt_496_p99", .sid = "virtio_busy_rtt_496", .bid = "cacheline_rtt", .p99 = true, .limit = 0, .higher_better = false },
	{ .name = "busy RTT 16 B median, EVENT_IDX", .id = "evidx_busy_rtt_16_median", .sid = "virtio_evidx_busy_rtt_16", .bid = "cacheline_rtt", .p99 = false, .limit = 2.0, .higher_better = false },
	{ .name = "busy RTT 496 B median, EVENT_IDX", .id = "evidx_busy_rtt_496_median", .sid = "virtio_evidx_busy_rtt_496", .bid = "cacheline_rtt", .p99 = false, .limit = 2.0, .higher_better = false },
	{ .name = "busy RTT 16 B median, full fences", .id = "fenced_busy_rtt_16_median", .sid = "virtio_fenced_busy_rtt_16", .bid = "cacheline_rtt", .p99 = false, .limit = 0, .higher_better = false },
	{ .name = "one-thread RTT 16 B median", .id = "onethread_rtt_16_median", .sid = "virtio_onethread_rtt_16", .bid = "cacheline_rtt", .p99 = false, .limit = 0, .higher_better = false },
	{ .name = "blocking RTT 16 B median", .id = "block_rtt_16_median", .sid = "virtio_block_rtt_16", .bid = "unix_rtt_16", .p99 = false, .limit = 1.0, .higher_better = false },
	{ .name = "blocking RTT 16 B p99", .id = "block_rtt_16_p99", .sid = "virtio_block_rtt_16", .bid = "unix_rtt_16", .p99 = true, .limit = 0, .higher_better = false },
	{ .name = "blocking RTT 16 B p99, full fences", .id = "fenced_block_rtt_16_p99", .sid = "virtio_fenced_block_rtt_16", .bid = "unix_rtt_16", .p99 = true, .limit = 0, .higher_better = false },
	{ .name = "blocking RTT 496 B median", .id = "block_rtt_496_median", .sid = "virtio_block_rtt_496", .bid = "unix_rtt_496", .p99 = false, .limit = 1.0, .higher_better = false },
	{ .name = "blocking RTT 496 B p99", .id = "block_rtt_496_p99", .sid = "virtio_block_rtt_496", .bid = "unix_rtt_496", .p99 = true, .limit = 0, .higher_better = false },
	{ .name = "busy tput 16 B", .id = "busy_tput_16", .sid = "virtio_busy_tput_16", .bid = "ring_tput_16", .p99 = false, .limit = 0.5, .higher_better = true },
	{ .name = "busy tput 496 B", .id = "busy_tput_496", .sid = "virtio_busy_tput_496", .bid = "ring_tput_496", .p99 = false, .limit = 0.5, .higher_better = true },
	{ .name = "busy tput 16 B, full fences", .id = "fenced_busy_tput_16", .sid = "virtio_fenced_busy_tput_16", .bid = "ring_tput_16", .p99 = false, .limit = 0, .higher_better = true },
	{ .name = "busy tput 496 B, full fences", .id = "fenced_busy_tput_496", .sid = "virtio_fenced_busy_tput_496", .bid = "ring_tput_496", .p99 = false, .limit = 0, .higher_better = true },
	{ .name = "one-thread tput 16 B", .id = "onethread_tput_16", .sid = "virtio_onethread_tput_16", .bid = "ring_tput_16", .p99 = false, .limit = 0, .higher_better = true },
	{ .name = "busy tput 16 B, bursts of 16", .id = "burst_tput_16", .sid = "virtio_burst_tput_16", .bid = "ring_tput_16", .p99 = false, .limit = 0.5, .higher_better = true },
	{ .name = "busy tput 496 B, bursts of 16", .id = "burst_tput_496", .sid = "virtio_burst_tput_496", .bid = "ring_tput_496", .p99 = false, .limit = 0.5, .higher_better = true },
	{ .name = "blocking tput 16 B", .id = "block_tput_16", .sid = "virtio_block_tput_16", .bid = "ring_tput_16", .p99 = false, .limit = 0, .higher_better = true },
	{ .name = "blocking tput 496 B", .id = "block_tput_496", .sid = "virtio_block_tput_496", .bid = "ring_tput_496", .p99 = false, .limit = 0, .higher_better = true },
	{ .name = "GLINK busy RTT 16 B median", .id = "glink_busy_rtt_16_median", .sid = "glink_busy_rtt_16", .bid = "cacheline_rtt", .limit = 0 },
	{ .name = "GLINK blocking RTT 16 B median", .id = "glink_block_rtt_16_median", .sid = "glink_block_rtt_16", .bid = "unix_rtt_16", .limit = 0 },
	{ .name = "GLINK busy tput 16 B", .id = "glink_busy_tput_16", .sid = "glink_busy_tput_16", .bid = "ring_tput_16", .limit = 0, .higher_better = true },
	{ .name = "GLINK blocking tput 16 B", .id = "glink_block_tput_16", .sid = "glink_block_tput_16", .bid = "ring_tput_16", .limit = 0, .higher_better = true },
	{ .name = "SMD busy RTT 16 B median", .id = "smd_busy_rtt_16_median", .sid = "smd_busy_rtt_16", .bid = "cacheline_rtt", .limit = 0 },
	{ .name = "SMD blocking RTT 16 B median", .id = "smd_block_rtt_16_median", .sid = "smd_block_rtt_16", .bid = "unix_rtt_16", .limit = 0 },
	{ .name = "SMD busy tput 16 B", .id = "smd_busy_tput_16", .sid = "smd_busy_tput_16", .bid = "ring_tput_16", .limit = 0, .higher_better = true },
	{ .name = "SMD blocking tput 16 B", .id = "smd_block_tput_16", .sid = "smd_block_tput_16", .bid = "ring_tput_16", .limit = 0, .higher_better = true },
	{ .name = "SCP busy RTT 16 B median", .id = "scp_busy_rtt_16_median", .sid = "scp_busy_rtt_16", .bid = "cacheline_rtt", .limit = 0 },
	{ .name = "SCP blocking RTT 16 B median", .id = "scp_block_rtt_16_median", .sid = "scp_block_rtt_16", .bid = "unix_rtt_16", .limit = 0 },
	{ .name = "SCP busy tput 16 B", .id = "scp_busy_tput_16", .sid = "scp_busy_tput_16", .bid = "ring_tput_16", .limit = 0, .higher_better = true },
	{ .name = "SCP blocking tput 16 B", .id = "scp_block_tput_16", .sid = "scp_block_tput_16", .bid = "ring_tput_16", .limit = 0, .higher_better = true },
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

static void wire_rows(void)
{
	for (size_t i = 0; i < NROWS; i++) {
		struct row *r = &rows[i];

		r->subj = find(r->sid);
		r->base = find(r->bid);
		if (r->subj->skipped || r->subj->err || r->base->err) {
			r->v = r->subj->skipped ? SKIP : ERROR;
			continue;
		}
		if (r->higher_better) {
			r->value = r->subj->msgs_s;
			r->baseline = r->base->msgs_s;
		} else {
			r->value = r->p99 ? r->subj->p99_us : r->subj->median_us;
			r->baseline = r->p99 ? r->base->p99_us : r->base->median_us;
		}
		if (r->base->skipped) {
			r->v = SKIP; /* the value alone, for profiling */
			continue;
		}
		r->ratio = r->baseline > 0 ? r->value / r->baseline : 0;
		if (!r->p99 && r->base->kind == K_CACHELINE && r->subj->paired > 0)
			r->ratio = r->subj->paired; /* the placement-proof ratio (struct bcase) */
		if (!r->limit)
			r->v = INFO;
		else if (noisy(r->subj) || noisy(r->base))
			r->v = NOISY; /* a spinner had no CPU of its own: no verdict */
		else if (r->higher_better)
			r->v = r->ratio >= r->limit ? PASS : MISS;
		else
			r->v = r->ratio <= r->limit ? PASS : MISS;
	}
}

static const char *verdict_str(enum verdict v)
{
	return v == PASS ? "PASS" : v == MISS ? "MISS" : v == ERROR ? "ERROR" : v == SKIP ? "skip"
	       : v == NOISY ? "NOISY" : "info";
}

static void fmt_value(char *buf, size_t n, const struct row *r, double v)
{
	if (r->higher_better)
		snprintf(buf, n, "%.3f Mmsg/s %6.1f MB/s", v / 1e6, v * (double)r->subj->size / 1e6);
	else
		snprintf(buf, n, "%.3f us", v);
}

static char load_before[32], load_after[32];
static bool nproc_warning;

static void print_table(const struct opts *o, const char *machine)
{
	char a[64], b[64], t[16];

	printf("rpmsg-bench: %s, load average %s before, %s after\n", machine, load_before,
	       load_after);
	printf("%d round(s) per case, %.2f s measured per case%s; CLOCK_MONOTONIC; nothing pinned\n\n",
	       o->rounds, o->seconds, o->iters ? " (or the --iters cap)" : "");
	printf("baselines (two processes, MAP_SHARED memory or a socketpair):\n");
	for (size_t i = 0; i < NCASES; i++) {
		struct bcase *c = &cases[i];

		if (c->kind != K_CACHELINE && c->kind != K_SOCKET && c->kind != K_RING)
			continue;
		if (c->skipped)
			printf("  %-28s skip\n", c->label);
		else if (c->err)
			printf("  %-28s ERROR %s\n", c->label, rpmsg_strerror(c->err));
		else if (c->metric == RTT)
			printf("  %-28s median %8.3f us  p99 %8.3f us  (%zu round trips)\n", c->label,
			       c->median_us, c->p99_us, c->nsamples);
		else
			printf("  %-28s %8.3f Mmsg/s  %8.1f MB/s  (whole-run mean %.3f Mmsg/s)\n",
			       c->label, c->msgs_s / 1e6, c->mb_s, c->mean_msgs_s / 1e6);
	}
	printf("CPU share of the spinning pairs (CPU time / wall time while measuring, the lower of the\n"
	       "two processes; throughput below %.2f, or a median round trip above %.0f us, says NOISY):\n ",
	       MIN_CPU_SHARE, MAX_SPIN_RTT_US);
	for (size_t i = 0, col = 0; i < NCASES; i++) {
		if (cases[i].skipped || !spins(&cases[i]))
			continue;
		printf(" %s %.2f", cases[i].id, cases[i].cpu_share);
		if (++col % 4 == 0)
			printf("\n ");
	}
	printf("\n");
	printf("preemptions (involuntary context switches of both processes, all rounds):\n ");
	for (size_t i = 0, col = 0; i < NCASES; i++) {
		if (cases[i].skipped)
			continue;
		printf(" %s %llu%s", cases[i].id, (unsigned long long)cases[i].preempt,
		       i + 1 < NCASES ? "," : "");
		if (++col % 4 == 0 && i + 1 < NCASES)
			printf("\n ");
	}
	printf("\n");
	printf("\n%-32s %-27s %-27s %7s %7s %s\n", "case", "value", "baseline", "ratio", "target",
	       "result");
	for (size_t i = 0; i < NROWS; i++) {
		struct row *r = &rows[i];

		if (r->v == ERROR || (r->v == SKIP && r->subj->skipped)) {
			printf("%-32s %-27s %-27s %7s %7s %s\n", r->name, "-", "-", "-", "-",
			       verdict_str(r->v));
			continue;
		}
		fmt_value(a, sizeof(a), r, r->value);
		if (r->v == SKIP) {
			printf("%-32s %-27s %-27s %7s %7s %s\n", r->name, a, "-", "-", "-", "skip");
			continue;
		}
		fmt_value(b, sizeof(b), r, r->baseline);
		if (r->limit)
			snprintf(t, sizeof(t), "%s%.1fx", r->higher_better ? ">=" : "<=", r->limit);
		else
			snprintf(t, sizeof(t), "-");
		printf("%-32s %-27s %-27s %6.2fx %7s %s\n", r->name, a, b, r->ratio, t, verdict_str(r->v));
	}
	printf("\nbusy RTT medians: the ratio is the median over rounds of (the round's median / a\n"
	       "ping-pong measured just before it), so a vCPU move between cases cannot pair a\n"
	       "subject at one placement with a baseline at the other. Per-round ratios:\n");
	for (size_t i = 0; i < NCASES; i++) {
		if (!cases[i].npair)
			continue;
		printf("  %-28s", cases[i].label);
		for (int k = 0; k < cases[i].npair; k++)
			printf(" %.2f", cases[i].pair_ratio[k]);
		printf("\n");
	}
	printf("\nbaselines: busy RTT vs cache-line ping-pong, blocking RTT vs unix socket of the same\n"
	       "size, throughput (messages/s) vs the shm ring of the same size. Throughput is the\n"
	       "median of ~1 ms windows at the consumer. Targets apply to the median RTT and to\n"
	       "busy-poll throughput; p99 and blocking throughput are information. NOISY: a\n"
	       "spinning pair (subject or baseline) did not have two CPUs, so no verdict.\n");
	if (!o->json && nproc_warning)
		printf("warning: fewer than 2 CPUs: busy-poll figures mean little\n");
}

static void print_json(const struct opts *o, const struct utsname *u, int ncpu)
{
	printf("{\n  \"machine\": {\"cpus\": %d, \"kernel\": \"%s\", \"arch\": \"%s\", "
	       "\"loadavg_before\": \"%s\", \"loadavg_after\": \"%s\"},\n",
	       ncpu, u->release, u->machine, load_before, load_after);
	printf("  \"config\": {\"rounds\": %d, \"seconds_per_case\": %g, \"iters\": %ld, \"quick\": %s},\n",
	       o->rounds, o->seconds, o->iters, o->quick ? "true" : "false");
	printf("  \"cases\": {\n");
	for (size_t i = 0; i < NCASES; i++) {
		struct bcase *c = &cases[i];

		printf("    \"%s\": {\"size\": %zu, ", c->id, c->size);
		if (c->skipped)
			printf("\"skipped\": true");
		else if (c->err)
			printf("\"error\": \"%s\"", rpmsg_strerror(c->err));
		else if (c->metric == RTT)
			printf("\"median_us\": %.4f, \"p99_us\": %.4f, \"samples\": %zu", c->median_us,
			       c->p99_us, c->nsamples);
		else
			printf("\"msgs_per_s\": %.1f, \"mb_per_s\": %.2f, \"mean_msgs_per_s\": %.1f, "
			       "\"windows\": %zu", c->msgs_s, c->mb_s, c->mean_msgs_s, c->nsamples);
		printf(", \"preemptions\": %llu, \"cpu_share\": %.3f", (unsigned long long)c->preempt,
		       c->cpu_share);
		if (c->npair)
			printf(", \"paired_ratio\": %.4f", c->paired);
		if (c->kind == K_BUSY || c->kind == K_BLOCK)
			printf(", \"parent_notifies\": %llu, \"parent_sent\": %llu, \"parent_tx_waits\": %llu"
			       ", \"parent_tx_full\": %llu",
			       (unsigned long long)c->info.notifies, (unsigned long long)c->info.sent,
			       (unsigned long long)c->info.tx_waits, (unsigned long long)c->info.full);
		printf("}%s\n", i + 1 < NCASES ? "," : "");
	}
	printf("  },\n  \"results\": [\n");
	for (size_t i = 0; i < NROWS; i++) {
		struct row *r = &rows[i];

		printf("    {\"case\": \"%s\", \"subject\": \"%s\", \"baseline_case\": \"%s\", ", r->id,
		       r->subj->id, r->base->id);
		if (r->v == ERROR || r->v == SKIP) {
			printf("\"result\": \"%s\"}", verdict_str(r->v));
		} else {
			printf("\"unit\": \"%s\", \"value\": %.4f, \"baseline\": %.4f, \"ratio\": %.4f, ",
			       r->higher_better ? "msgs/s" : "us", r->value, r->baseline, r->ratio);
			if (r->limit)
				printf("\"target\": \"%s%g\", ", r->higher_better ? ">=" : "<=", r->limit);
			else
				printf("\"target\": null, ");
			printf("\"result\": \"%s\"}", verdict_str(r->v));
		}
		printf("%s\n", i + 1 < NROWS ? "," : "");
	}
	printf("  ]\n}\n");
}

int main(int argc, char **argv)
{
	struct opts o;
	struct bench_budget b;
	struct utsname u;
	char machine[256];
	int ncpu, failed = 0, missed = 0;

	if (parse(argc, argv, &o))
		return 2;
	bench_install_cleanup();
	uname(&u);
	ncpu = cpus_usable();
	snprintf(machine, sizeof(machine), "%d CPU(s), Linux %s %s", ncpu, u.release, u.machine);
	nproc_warning = ncpu < 2;
	if (ncpu < 2)
		fprintf(stderr, "rpmsg-bench: warning: only %d CPU usable; two spinning processes will "
				"share it and busy-poll numbers mean little\n", ncpu);

	loadavg(load_before, sizeof(load_before));
	if (atof(load_before) >= 1.0)
		fprintf(stderr, "rpmsg-bench: warning: load average %s on %d CPU(s) before the run: other "
				"processes compete for the CPUs and busy-poll figures will suffer\n",
			load_before, ncpu);
	b.seconds = o.seconds / o.rounds;
	b.warmup = b.seconds * 0.1 < 0.05 ? b.seconds * 0.1 : 0.05;
	b.iters = o.iters ? (o.iters + o.rounds - 1) / o.rounds : DEFAULT_ITERS_CAP;

	for (size_t i = 0; i < NCASES; i++)
		cases[i].skipped = o.filter && !filter_match(o.filter, cases[i].id);
	for (int round = 0; round < o.rounds; round++) {
		for (size_t i = 0; i < NCASES; i++) {
			struct bcase *c = &cases[i];
			int err;

			if (c->err || c->skipped)
				continue;
			if (o.verbose)
				fprintf(stderr, "round %d: %s\n", round + 1, c->label);
			bench_watchdog((unsigned)(b.warmup + b.seconds) + 60u, c->label);
			struct bench_phase ph[2];

			double pp_us = paired(c) ? pingpong_now_us(&b) : 0;
			size_t n0 = c->s.n;

			(void)bench_take_nivcsw();
			bench_take_phases(ph);
			err = run_one(c, &b);
			if (!err && pp_us > 0 && c->s.n > n0)
				c->pair_ratio[c->npair++] = round_median_us(&c->s, n0) / pp_us;
			c->preempt += bench_take_nivcsw();
			bench_take_phases(ph);
			for (int side = 0; side < 2; side++)
				bench_phase_add(&c->phase[side], &ph[side]);
			bench_watchdog(0, NULL);
			if (err) {
				c->err = err;
				fprintf(stderr, "rpmsg-bench: %s: %s\n", c->label, rpmsg_strerror(err));
			}
		}
	}
	for (size_t i = 0; i < NCASES; i++) {
		aggregate(&cases[i]);
		if (cases[i].err)
			failed = 1;
		if (o.verbose && (cases[i].kind == K_BUSY || cases[i].kind == K_BLOCK) && cases[i].info.sent)
			fprintf(stderr, "%-28s parent: %llu sent, %.3f doorbells/msg, %llu tx waits, "
				"%llu busy sends found no buffer\n",
				cases[i].label, (unsigned long long)cases[i].info.sent,
				(double)cases[i].info.notifies / (double)cases[i].info.sent,
				(unsigned long long)cases[i].info.tx_waits,
				(unsigned long long)cases[i].info.full);
	}
	loadavg(load_after, sizeof(load_after));
	wire_rows();
	for (size_t i = 0; i < NROWS; i++)
		if (rows[i].v == MISS)
			missed = 1;
	if (o.json)
		print_json(&o, &u, ncpu);
	else
		print_table(&o, machine);
	for (size_t i = 0; i < NCASES; i++)
		samples_free(&cases[i].s);
	return failed ? 2 : (missed && o.strict) ? 1 : 0;
}
