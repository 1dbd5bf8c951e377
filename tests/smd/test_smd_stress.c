/*
 * Two processes over one SMEM region: the remote (child) formats SMEM and creates two
 * channels; the main CPU (parent) discovers them and its driver binds both by name. Then
 * RPMSG_SMD_STRESS_MESSAGES (default 100,000) messages each way, split over the two
 * channels, of random sizes 1..1500 in 8 KiB FIFOs (so packets wrap constantly), each with
 * a sequence number and checksum: none lost, duplicated, reordered or corrupted. The main
 * CPU uses trysend (-EAGAIN when full), the remote blocking send on one channel and trysend
 * on the other.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <rpmsg/transport.h>

#include "seqmsg.h"
#include "spair.h"
#include "testlib.h"

#define MAXLEN 1500

static struct seqmsg_stream in[2];
static struct rpmsg_channel *chans[2];
static volatile int remote_done; /* main: the remote got everything (closing loses what is unread) */

static int which(struct rpmsg_endpoint *ept)
{
	return strcmp(rpmsg_ept_name(ept), "stress-a") ? 1 : 0;
}

static int stream_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)src; (void)priv;
	if (len == MAXLEN + 1) {
		remote_done = 1;
		return 0;
	}
	seqmsg_check(&in[which(ept)], data, len, MAXLEN);
	return 0;
}

static int on_probe(struct rpmsg_channel *ch)
{
	chans[strcmp(rpmsg_channel_info(ch)->name, "stress-a") ? 1 : 0] = ch;
	return 0;
}

static const char *const names[] = { "stress-a", "stress-b", NULL };

/* When nothing moves for 5 s, say where each side stands (once per stall). */
static void stall_report(const char *who, struct rpmsg_link *link, const uint32_t *seq,
			 time_t *last, uint64_t *last_sum)
{
	uint64_t sum = (uint64_t)seq[0] + seq[1] + in[0].next_seq + in[1].next_seq;
	time_t now = time(NULL);

	if (sum != *last_sum) {
		*last_sum = sum;
		*last = now;
		return;
	}
	if (now - *last >= 5) {
		struct rpmsg_smd_stats st;

		*last = now;
		rpmsg_smd_get_stats(link, &st);
		fprintf(stderr, "%s stalled: sent %u/%u got %u/%u rx %llu tx %llu bad %llu\n", who,
			seq[0], seq[1], in[0].next_seq, in[1].next_seq,
			(unsigned long long)st.rx_msgs, (unsigned long long)st.tx_msgs,
			(unsigned long long)st.rx_bad);
		for (int c = 0; c < 2; c++) {
			uint32_t ls = 9, rs = 9;

			rpmsg_smd_channel_state(link, names[c], &ls, &rs);
			fprintf(stderr, "  %s local %u remote %u\n", names[c], ls, rs);
		}
	}
}

static long count_of(void)
{
	const char *e = getenv("RPMSG_SMD_STRESS_MESSAGES");

	return e ? atol(e) : 100000;
}

static int remote(const char *name, long n)
{
	struct rpmsg_smd_config cfg = { .role = RPMSG_SMD_REMOTE, .format_smem = true,
					.channels = names, .edge = 1, .remote_host = 1 };
	struct rpmsg_driver drv = { .name = "r", .id_table = names, .probe = on_probe,
				    .callback = stream_cb };
	struct rpmsg_platform *plat;
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	uint32_t seq[2] = { 0, 0 };
	unsigned st = 99;
	uint8_t buf[MAXLEN];
	size_t pend_len[2] = { 0, 0 };
	uint32_t ls, rs;
	time_t last = time(NULL);
	uint64_t last_sum = 0;

	if (rpmsg_posix_attach(name, &plat) || rpmsg_bus_create(&bus) ||
	    rpmsg_register_driver(bus, &drv) || rpmsg_smd_create(bus, plat, &cfg, &link))
		return 10;
	if (!chans[0] || !chans[1])
		return 11;
	while ((long)(seq[0] + seq[1]) < n || (long)(in[0].next_seq + in[1].next_seq) < n) {
		int sent = 0;

		for (int c = 0; c < 2; c++) {
			struct rpmsg_endpoint *e = rpmsg_channel_ept(chans[c]);
			int r;

			if ((long)(seq[0] + seq[1]) >= n)
				break;
			if (!pend_len[c])
				pend_len[c] = 1 + (size_t)(rand_r(&st) % MAXLEN);
			seqmsg_make(buf, seq[c], pend_len[c]);
			/* Channel a blocks for room; b tries. Both need the main CPU open first. */
			r = c == 0 ? rpmsg_send_timeout(e, rpmsg_ept_addr(e), 0, buf, pend_len[c], 2000)
				   : rpmsg_trysend(e, buf, pend_len[c]);
			if (r == 0) {
				seq[c]++;
				pend_len[c] = 0;
				sent++;
			} else if (r != -EAGAIN && r != -ETIMEDOUT) {
				return 12;
			}
		}
		rpmsg_bus_poll(bus, sent ? 0 : 1);
		stall_report("remote", link, seq, &last, &last_sum);
	}
	if (in[0].bad || in[1].bad)
		return 13;
	/* Everything is in: tell the main CPU, which may close now. */
	memset(buf, 0, sizeof(buf));
	for (int r = -EAGAIN; r;) {
		struct rpmsg_endpoint *e = rpmsg_channel_ept(chans[0]);
		uint8_t done[MAXLEN + 1] = { 0 };

		r = rpmsg_send_timeout(e, rpmsg_ept_addr(e), 0, done, sizeof(done), 100);
		if (r && r != -ETIMEDOUT)
			return 14;
		rpmsg_bus_poll(bus, 0);
	}
	/* Wait for the main CPU to close, then leave. */
	for (int i = 0; i < 10000; i++) {
		rpmsg_bus_poll(bus, 1);
		if (!rpmsg_smd_channel_state(link, "stress-a", &ls, &rs) && rs == RPMSG_SMD_CLOSED)
			break;
	}
	rpmsg_bus_destroy(bus);
	return 0;
}

int main(void)
{
	long n = count_of();
	struct rpmsg_smd_config cfg = { .role = RPMSG_SMD_MAIN, .edge = 1, .remote_host = 1 };
	struct rpmsg_driver drv = { .name = "m", .id_table = names, .probe = on_probe,
				    .callback = stream_cb };
	struct rpmsg_smd_stats s;
	struct rpmsg_platform *plat;
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	char name[48];
	uint32_t seq[2] = { 0, 0 };
	size_t pend_len[2] = { 0, 0 };
	unsigned st = 1;
	uint8_t buf[MAXLEN];
	int status = -1;
	pid_t pid;
	time_t last = time(NULL);
	uint64_t last_sum = 0;

	t_timeout(110);
	snprintf(name, sizeof(name), "t-smdstress-%d", (int)getpid());
	rpmsg_posix_unlink(name);
	CHECK_EQ(rpmsg_posix_create(name, 1 << 20, &plat), 0);
	pid = fork();
	if (pid == 0)
		_exit(remote(name, n));

	CHECK_EQ(rpmsg_bus_create(&bus), 0);
	CHECK_EQ(rpmsg_register_driver(bus, &drv), 0);
	CHECK_EQ(rpmsg_smd_create(bus, plat, &cfg, &link), 0);
	for (int i = 0; i < 500 && (!chans[0] || !chans[1]); i++)
		rpmsg_bus_poll(bus, 10);
	CHECK(chans[0] && chans[1]);
	if (!chans[0] || !chans[1])
		goto out;
	while ((long)(seq[0] + seq[1]) < n || (long)(in[0].next_seq + in[1].next_seq) < n ||
	       !remote_done) {
		int sent = 0;

		for (int c = 0; c < 2 && (long)(seq[0] + seq[1]) < n; c++) {
			int r;

			if (!pend_len[c])
				pend_len[c] = 1 + (size_t)(rand_r(&st) % MAXLEN);
			seqmsg_make(buf, seq[c], pend_len[c]);
			r = rpmsg_trysend(rpmsg_channel_ept(chans[c]), buf, pend_len[c]);
			if (r == 0) {
				seq[c]++;
				pend_len[c] = 0;
				sent++;
			} else if (r != -EAGAIN) {
				CHECK_EQ(r, -EAGAIN);
				goto out;
			}
		}
		if (rpmsg_bus_poll(bus, sent ? 0 : 1) < 0)
			break;
		stall_report("main", link, seq, &last, &last_sum);
	}
	CHECK_EQ(in[0].bad + in[1].bad, 0);
	CHECK_EQ(in[0].next_seq + in[1].next_seq, n);
	CHECK_EQ(rpmsg_smd_get_stats(link, &s), 0);
	CHECK_EQ(s.rx_bad, 0);
	CHECK_EQ(s.rx_msgs, n + 1); /* and "done" */
	CHECK_EQ(s.tx_msgs, n);
	CHECK_EQ(s.channels, 2);
	printf("%ld messages each way; rx %llu bytes, tx %llu bytes, notifies %llu, tx waits %llu, scans %llu\n",
	       n, (unsigned long long)s.rx_bytes, (unsigned long long)s.tx_bytes,
	       (unsigned long long)s.notifies, (unsigned long long)s.tx_waits,
	       (unsigned long long)s.scans);
out:
	rpmsg_bus_destroy(bus); /* closes both channels: the remote sees it and leaves */
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	rpmsg_posix_unlink(name);
	return t_done();
}
