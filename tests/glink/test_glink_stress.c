/*
 * Two processes over one SMEM region: the remote (child) formats SMEM and opens two
 * channels; the main CPU (parent) binds its driver to both by name. Then
 * RPMSG_GLINK_STRESS_MESSAGES (default 100,000) messages each way split over the two
 * channels, each with a sequence number and checksum: none lost, duplicated, reordered or
 * corrupted. Sizes are random, mostly up to 1500 bytes with one in 32 larger, so the 16 KiB
 * FIFOs wrap constantly and large messages need requested intents (the default ones are
 * 2 KiB). Channel a uses blocking sends with a short timeout (the large ones up to 64 KiB go
 * out in continuation chunks; once started such a message is finished past the timeout, and
 * one cut by the timeout before it starts is sent again); channel b trysend, whose large messages are up to
 * 8 KiB (trysend is all or nothing, so at most what an empty FIFO holds): -EAGAIN when no
 * intent is free or the FIFO is full, and trysend asks for an intent none of the peer's
 * could hold; either way a later trysend must succeed, and both channels must carry a fair
 * share of the messages, large ones included. Then the main CPU signals a pause, which the
 * remote's flow callback must see, and closes both channels; the remote reopens one by name
 * (rpmsg_create_ept, answered by the main CPU's re-registered driver) and sends on it.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <rpmsg/glink.h>
#include <rpmsg/transport.h>

#include "seqmsg.h"
#include "testlib.h"

#define MAXLEN 65536

#define TRY_MAXLEN 8192

static struct seqmsg_stream in[2];
static struct rpmsg_channel *chans[2];
static uint8_t buf[MAXLEN];
static uint64_t big_msgs, big_sent[2];
static int phase2_msgs, flows;
static bool phase2;

static int which_name(const char *n)
{
	return strcmp(n, "stress-a") ? 1 : 0;
}

static int stream_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)src; (void)priv;
	if (phase2) {
		phase2_msgs += len == 8 && !memcmp(data, "reopened", 8);
		return 0;
	}
	seqmsg_check(&in[which_name(rpmsg_ept_name(ept))], data, len, MAXLEN);
	return 0;
}

static void flow_cb(struct rpmsg_endpoint *ept, bool pause, void *priv)
{
	(void)ept; (void)priv;
	flows += pause;
}

static int on_probe(struct rpmsg_channel *ch)
{
	chans[which_name(rpmsg_channel_info(ch)->name)] = ch;
	return 0;
}

static void on_remove(struct rpmsg_channel *ch)
{
	chans[which_name(rpmsg_channel_info(ch)->name)] = NULL;
}

static const char *const names[] = { "stress-a", "stress-b", NULL };

static long count_of(void)
{
	const char *e = getenv("RPMSG_GLINK_STRESS_MESSAGES");

	return e ? atol(e) : 100000;
}

static size_t pick_len(unsigned *st, int c)
{
	if (rand_r(st) % 32 == 0) {
		big_msgs++;
		return 1 + (size_t)(rand_r(st) % (c == 0 ? MAXLEN : TRY_MAXLEN));
	}
	return 1 + (size_t)(rand_r(st) % 1500);
}

/* Both channels carried a fair share, large messages (needing requested intents) included. */
static bool fair(const uint32_t seq[2], long n)
{
	if (n < 1000)
		return true;
	if ((long)seq[1] * 10 < n || (long)seq[0] * 10 < n || !big_sent[1]) {
		fprintf(stderr, "unfair: a %u, b %u of %ld; large on b %llu\n", seq[0], seq[1], n,
			(unsigned long long)big_sent[1]);
		return false;
	}
	return true;
}

/* One round of sends on both channels; returns how many went, or -1 on a hard error. */
static int send_round(uint32_t seq[2], size_t pend[2], unsigned *st, long n)
{
	int sent = 0;

	for (int c = 0; c < 2 && (long)(seq[0] + seq[1]) < n; c++) {
		struct rpmsg_endpoint *e = chans[c] ? rpmsg_channel_ept(chans[c]) : NULL;
		int r;

		if (!e)
			return -1;
		if (!pend[c])
			pend[c] = pick_len(st, c);
		seqmsg_make(buf, seq[c], pend[c]);
		r = c == 0 ? rpmsg_send_timeout(e, rpmsg_ept_addr(e), 0, buf, pend[c], 20)
			   : rpmsg_trysend(e, buf, pend[c]);
		if (r == 0) {
			big_sent[c] += pend[c] > 2048;
			seq[c]++;
			pend[c] = 0;
			sent++;
		} else if (r != -EAGAIN && !(c == 0 && r == -ETIMEDOUT)) {
			fprintf(stderr, "send on %d: %d\n", c, r);
			return -1;
		}
	}
	return sent;
}

static struct rpmsg_glink_config base_cfg(void)
{
	struct rpmsg_glink_config c = { .remote_host = 2, .fifo_size = 16384, .intent_size = 2048,
					.intent_count = 8 };
	return c;
}

static int remote(const char *name, long n)
{
	struct rpmsg_glink_config cfg = base_cfg();
	struct rpmsg_driver drv = { .name = "r", .id_table = names, .probe = on_probe,
				    .remove = on_remove, .callback = stream_cb, .flowcontrol = flow_cb };
	struct rpmsg_channel_info info = { .name = "stress-a", .src = RPMSG_ADDR_ANY,
					   .dst = RPMSG_ADDR_ANY };
	struct rpmsg_endpoint *e;
	struct rpmsg_platform *plat;
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	uint32_t seq[2] = { 0, 0 };
	size_t pend[2] = { 0, 0 };
	unsigned st = 99;

	cfg.role = RPMSG_GLINK_REMOTE;
	cfg.format_smem = true;
	cfg.channels = names;
	if (rpmsg_posix_attach(name, &plat) || rpmsg_bus_create(&bus) ||
	    rpmsg_register_driver(bus, &drv) || rpmsg_glink_create(bus, plat, &cfg, &link))
		return 10;
	if (!chans[0] || !chans[1])
		return 11;
	while ((long)(seq[0] + seq[1]) < n || (long)(in[0].next_seq + in[1].next_seq) < n) {
		int sent = send_round(seq, pend, &st, n);

		if (sent < 0 || !chans[0] || !chans[1])
			return 12; /* (the main CPU gave up: its channels went) */
		rpmsg_bus_poll(bus, sent ? 0 : 1);
	}
	if (in[0].bad || in[1].bad)
		return 13;
	if (!fair(seq, n))
		return 19;
	/* The main CPU pauses us, then closes both: our channels go away. */
	for (int i = 0; i < 20000 && (chans[0] || chans[1]); i++)
		rpmsg_bus_poll(bus, 1);
	if (chans[0] || chans[1])
		return 14;
	if (flows != 1)
		return 15;
	/* Give the main CPU time to see its channels go (its test waits for that), then reopen
	 * one by name: this waits for the main CPU's driver to answer. */
	phase2 = true;
	{
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		do {
			rpmsg_bus_poll(bus, 1);
			clock_gettime(CLOCK_MONOTONIC, &t1);
		} while ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 300);
	}
	if (rpmsg_create_ept(link, &info, stream_cb, NULL, &e)) {
		struct rpmsg_glink_stats s;

		rpmsg_glink_get_stats(link, &s);
		fprintf(stderr, "remote: bad %llu broken %d channels %u rx_cmds %llu tx_cmds %llu\n",
			(unsigned long long)s.rx_bad, s.rx_broken, s.channels,
			(unsigned long long)s.rx_cmds, (unsigned long long)s.tx_cmds);
		return 16;
	}
	if (rpmsg_send(e, "reopened", 8))
		return 17;
	/* Until the main CPU closes it for good (signals then fail). */
	for (int i = 0; i < 5000 && rpmsg_set_flow_control(e, false, 0) == 0; i++)
		rpmsg_bus_poll(bus, 1);
	if (rpmsg_set_flow_control(e, false, 0) != -ENOTCONN)
		return 18;
	rpmsg_destroy_ept(e);
	rpmsg_bus_destroy(bus);
	return 0;
}

int main(void)
{
	long n = count_of();
	struct rpmsg_glink_config cfg = base_cfg();
	struct rpmsg_driver drv = { .name = "m", .id_table = names, .probe = on_probe,
				    .remove = on_remove, .callback = stream_cb };
	struct rpmsg_glink_stats s;
	struct rpmsg_platform *plat;
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	char name[48];
	uint32_t seq[2] = { 0, 0 };
	size_t pend[2] = { 0, 0 };
	unsigned st = 1;
	int status = -1;
	pid_t pid;

	t_timeout(115);
	snprintf(name, sizeof(name), "t-glstress-%d", (int)getpid());
	rpmsg_posix_unlink(name);
	CHECK_EQ(rpmsg_posix_create(name, 1 << 20, &plat), 0);
	pid = fork();
	if (pid == 0)
		_exit(remote(name, n));

	cfg.role = RPMSG_GLINK_MAIN;
	CHECK_EQ(rpmsg_bus_create(&bus), 0);
	CHECK_EQ(rpmsg_register_driver(bus, &drv), 0);
	CHECK_EQ(rpmsg_glink_create(bus, plat, &cfg, &link), 0);
	for (int i = 0; i < 500 && (!chans[0] || !chans[1]); i++)
		rpmsg_bus_poll(bus, 10);
	CHECK(chans[0] && chans[1]);
	if (!chans[0] || !chans[1])
		goto out;
	while ((long)(seq[0] + seq[1]) < n || (long)(in[0].next_seq + in[1].next_seq) < n) {
		int sent = send_round(seq, pend, &st, n);

		if (sent < 0) {
			CHECK(sent >= 0);
			goto out;
		}
		if (rpmsg_bus_poll(bus, sent ? 0 : 1) < 0)
			break;
	}
	CHECK_EQ(in[0].bad + in[1].bad, 0);
	CHECK_EQ(in[0].next_seq + in[1].next_seq, n);
	CHECK(fair(seq, n));
	CHECK_EQ(rpmsg_glink_get_stats(link, &s), 0);
	CHECK_EQ(s.rx_bad, 0);
	CHECK_EQ(s.rx_msgs, n);
	CHECK_EQ(s.tx_msgs, n);
	CHECK_EQ(s.channels, 2);
	CHECK(s.intent_reqs > 0);

	/* Pause the remote, close both channels, wait until they are gone. */
	CHECK_EQ(rpmsg_set_flow_control(rpmsg_channel_ept(chans[0]), true, 0), 0);
	phase2 = true;
	rpmsg_unregister_driver(bus, &drv);
	for (int i = 0; i < 5000 && rpmsg_link_channels(link, NULL, 0) > 0; i++)
		rpmsg_bus_poll(bus, 1);
	CHECK_EQ(rpmsg_link_channels(link, NULL, 0), 0);
	if (rpmsg_link_channels(link, NULL, 0)) {
		rpmsg_glink_get_stats(link, &s);
		fprintf(stderr, "main: bad %llu broken %d channels %u rx_cmds %llu tx_cmds %llu\n",
			(unsigned long long)s.rx_bad, s.rx_broken, s.channels,
			(unsigned long long)s.rx_cmds, (unsigned long long)s.tx_cmds);
	}
	/* The remote reopens "stress-a": our driver, registered again, binds it. */
	CHECK_EQ(rpmsg_register_driver(bus, &drv), 0);
	for (int i = 0; i < 5000 && !phase2_msgs; i++)
		rpmsg_bus_poll(bus, 1);
	CHECK(chans[0] != NULL);
	CHECK_EQ(phase2_msgs, 1);
	CHECK_EQ(rpmsg_glink_get_stats(link, &s), 0);
	CHECK_EQ(s.rx_bad, 0);
	printf("%ld messages each way (%llu large sent here); rx %llu bytes, tx %llu bytes, "
	       "cmds tx %llu rx %llu, intent requests %llu (refused %llu), read notifs %llu, "
	       "notifies %llu, waits %llu\n",
	       n, (unsigned long long)big_msgs, (unsigned long long)s.rx_bytes,
	       (unsigned long long)s.tx_bytes, (unsigned long long)s.tx_cmds,
	       (unsigned long long)s.rx_cmds, (unsigned long long)s.intent_reqs,
	       (unsigned long long)s.intent_refused, (unsigned long long)s.read_notifs,
	       (unsigned long long)s.notifies, (unsigned long long)s.tx_waits);
out:
	rpmsg_bus_destroy(bus); /* closes both channels: the remote sees it and leaves */
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	rpmsg_posix_unlink(name);
	return t_done();
}
