/*
 * Two processes, the AP (main CPU) and the SCP, over the same POSIX shared memory. The SCP
 * announces two channels; the AP's drivers bind them by name. Then N messages each way
 * (RPMSG_STRESS_MESSAGES, default 100000), random sizes up to the full share buffer, each
 * with a sequence number and checksum: the first N/2 each acknowledged Linux's way (a
 * message on the same IPI id: the receiving driver answers from its callback) with the
 * senders waiting for the ack, both directions at once; the other N/2 streamed without
 * acks (trysend, both ways at once). None lost, duplicated, reordered or corrupted, no ack
 * missed. S = 288, then S = 600 (MT8188) with N/20 of each kind.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "seqmsg.h"
#include "testlib.h"
#include "scp_util.h"

#define ID_DOWN 10 /* AP -> SCP data, SCP -> AP acks */
#define ID_UP 11   /* SCP -> AP data, AP -> SCP acks */

struct stream {
	uint32_t next_seq; /* data received */
	uint32_t bad;
	uint32_t acks;     /* acks received for our own data */
};

static struct stream st;
static struct rpmsg_channel *ch_down, *ch_up;
static unsigned S = RPMSG_SCP_SHARE_BUF_SIZE;

/* data: 'D' (acked) or 'N' | seq (4) | fnv of the rest (4) | filler; ack: 'A' | seq (4). */
static size_t make_msg(uint8_t *buf, uint8_t type, uint32_t seq, size_t len)
{
	buf[0] = type;
	memcpy(buf + 1, &seq, 4);
	for (size_t i = 9; i < len; i++)
		buf[i] = (uint8_t)(seq * 31 + i);
	{
		uint32_t h = seqmsg_fnv(buf + 9, len - 9);

		memcpy(buf + 5, &h, 4);
	}
	return len;
}

static int cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	const uint8_t *m = data;
	uint32_t seq, h;

	(void)priv;
	if (src != rpmsg_ept_addr(ept))
		st.bad++;
	if (len == 5 && m[0] == 'A') {
		st.acks++;
		return 0;
	}
	if (len < 9 || (m[0] != 'D' && m[0] != 'N')) {
		st.bad++;
		return 0;
	}
	memcpy(&seq, m + 1, 4);
	memcpy(&h, m + 5, 4);
	if (seq != st.next_seq || h != seqmsg_fnv(m + 9, len - 9))
		st.bad++;
	st.next_seq = seq + 1;
	if (m[0] == 'D') {
		uint8_t ack[5] = { 'A' };

		memcpy(ack + 1, &seq, 4);
		/* From the callback: waits for the slot, never for an ack. */
		if (rpmsg_send(ept, ack, sizeof(ack)))
			st.bad++;
	}
	return 0;
}

static int on_probe(struct rpmsg_channel *ch)
{
	if (rpmsg_channel_info(ch)->src == ID_DOWN)
		ch_down = ch;
	else
		ch_up = ch;
	return 0;
}

static const char *const ids[] = { "stress-down", "stress-up", NULL };

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long count_of(void)
{
	const char *e = getenv("RPMSG_STRESS_MESSAGES");

	return e ? atol(e) : 100000;
}

static size_t rand_len(unsigned *state)
{
	return 9 + (size_t)(rand_r(state) % (S - 8)); /* 9 .. S */
}

/* Phase 1: each side sends n with acks; phase 2: n more each way, trysend, no acks. */
static int run_side(struct rpmsg_bus *bus, struct rpmsg_endpoint *out, long n, unsigned seed,
		    int *err)
{
	uint8_t buf[700];
	long sent = 0;

	/* Phase 1: blocking sends, each waits for its ack (inline reception meanwhile). */
	while (sent < n || st.next_seq < (uint32_t)n) {
		if (sent < n) {
			size_t len = make_msg(buf, 'D', (uint32_t)sent, rand_len(&seed));
			int r = rpmsg_send(out, buf, len);

			if (r) {
				*err = r;
				return 1;
			}
			sent++;
		} else {
			rpmsg_bus_poll(bus, 1);
		}
	}
	if (st.acks != (uint32_t)n || st.bad)
		return 2;
	return 0;
}

/* base: where both sides' sequence numbers continue (the peer may be ahead of us here). */
static int run_nowait(struct rpmsg_bus *bus, struct rpmsg_endpoint *out, uint32_t base, long n,
		      unsigned seed, int *err)
{
	uint8_t buf[700];
	long sent = 0;

	while (sent < n || st.next_seq < base + (uint32_t)n) {
		int r = -EAGAIN;

		if (sent < n) {
			size_t len = make_msg(buf, 'N', base + (uint32_t)sent, rand_len(&seed));

			r = rpmsg_trysend(out, buf, len);
			if (r == 0)
				sent++;
			else if (r != -EAGAIN) {
				*err = r;
				return 3;
			}
		}
		rpmsg_bus_poll(bus, r == 0 ? 0 : 1);
	}
	return st.bad ? 4 : 0;
}

/* The SCP: announce both channels (drivers bound first), then stream. */
static int scp_side(const char *name, long n, long n2)
{
	struct rpmsg_scp_config cfg = { .role = RPMSG_SCP_REMOTE, .share_buf_size = S,
					.ack_timeout_ms = 2000, .fw_version = "stress-scp" };
	struct rpmsg_driver drv = { .name = "scp", .id_table = ids, .probe = on_probe, .callback = cb };
	struct rpmsg_channel_info down = { .name = "stress-down", .src = ID_DOWN, .dst = RPMSG_ADDR_ANY };
	struct rpmsg_channel_info up = { .name = "stress-up", .src = ID_UP, .dst = RPMSG_ADDR_ANY };
	struct rpmsg_platform *plat;
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	int err = 0, r;

	if (rpmsg_posix_attach(name, &plat) || rpmsg_bus_create(&bus) ||
	    rpmsg_register_driver(bus, &drv) || rpmsg_scp_create(bus, plat, &cfg, &link))
		return 10;
	if (rpmsg_create_channel(link, &down, NULL) || rpmsg_create_channel(link, &up, NULL))
		return 11;
	if (!ch_down || !ch_up)
		return 12;
	r = run_side(bus, rpmsg_channel_ept(ch_up), n, 77, &err);
	if (r) {
		fprintf(stderr, "scp: phase 1 failed %d (err %d, seq %u, acks %u, bad %u)\n", r, err,
			st.next_seq, st.acks, st.bad);
		return 20 + r;
	}
	r = run_nowait(bus, rpmsg_channel_ept(ch_up), (uint32_t)n, n2, 78, &err);
	if (r) {
		fprintf(stderr, "scp: phase 2 failed %d (err %d)\n", r, err);
		return 20 + r;
	}
	/* Until the AP destroys its link (the SCP is then held in reset). */
	while (rpmsg_link_is_up(link))
		rpmsg_bus_poll(bus, 10);
	rpmsg_bus_destroy(bus);
	return 0;
}

static void run(unsigned size, long n, long n2)
{
	struct rpmsg_scp_config cfg = { .role = RPMSG_SCP_HOST, .share_buf_size = size,
					.ack_timeout_ms = 2000 };
	struct rpmsg_driver drv = { .name = "ap", .id_table = ids, .probe = on_probe, .callback = cb };
	struct rpmsg_platform *plat;
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	struct rpmsg_scp_stats stats;
	struct rpmsg_scp_info info;
	char name[48];
	int status = -1, err = 0;
	pid_t pid;

	S = size;
	memset(&st, 0, sizeof(st));
	ch_down = ch_up = NULL;
	snprintf(name, sizeof(name), "t-scp-stress-%d", (int)getpid());
	rpmsg_posix_unlink(name);
	CHECK_EQ(rpmsg_posix_create(name, 64 * 1024, &plat), 0);
	CHECK_EQ(rpmsg_bus_create(&bus), 0);
	CHECK_EQ(rpmsg_register_driver(bus, &drv), 0);
	CHECK_EQ(rpmsg_scp_create(bus, plat, &cfg, &link), 0);
	pid = fork();
	if (pid == 0)
		_exit(scp_side(name, n, n2));


	for (int i = 0; i < 500 && (!ch_down || !ch_up); i++)
		rpmsg_bus_poll(bus, 10);
	CHECK(ch_down && ch_up);
	CHECK(rpmsg_link_is_up(link));
	CHECK_EQ(rpmsg_scp_get_info(link, &info), 0);
	CHECK(!strcmp(info.fw_version, "stress-scp"));
	if (ch_down && ch_up) {
		double t0 = now_s(), t1;

		CHECK_EQ(rpmsg_channel_info(ch_down)->src, ID_DOWN);
		CHECK_EQ(rpmsg_channel_info(ch_up)->src, ID_UP);
		CHECK_EQ(run_side(bus, rpmsg_channel_ept(ch_down), n, 5, &err), 0);
		CHECK_EQ(err, 0);
		CHECK((long)st.next_seq >= n); /* the SCP may have started phase 2 already */
		CHECK_EQ(st.acks, n);
		t1 = now_s();
		printf("S=%u: with acks %.2f s (%.0f round trips/s each way)\n", size, t1 - t0,
		       (double)n / (t1 - t0));
		CHECK_EQ(run_nowait(bus, rpmsg_channel_ept(ch_down), (uint32_t)n, n2, 6, &err), 0);
		CHECK_EQ(err, 0);
		CHECK_EQ(st.next_seq, n + n2);
		printf("S=%u: without acks %.2f s (%.0f messages/s each way)\n", size, now_s() - t1,
		       (double)n2 / (now_s() - t1));
		CHECK_EQ(st.bad, 0);
	}
	CHECK_EQ(rpmsg_scp_get_stats(link, &stats), 0);
	CHECK_EQ(stats.rx_bad, 0);
	CHECK_EQ(stats.ns_bad, 0);
	CHECK_EQ(stats.rx_dropped, 0);
	CHECK_EQ(stats.ack_timeouts, 0);
	CHECK_EQ(stats.busy_timeouts, 0);
	/* INIT + 2 announcements + n data + n acks + n2 data */
	CHECK_EQ(stats.rx_msgs, 3 + 2 * n + n2);
	CHECK_EQ(stats.tx_msgs, 2 * n + n2);
	printf("S=%u: %ld messages each way with acks, %ld without; %llu doorbells\n", size, n, n2,
	       (unsigned long long)stats.notifies);

	rpmsg_bus_destroy(bus); /* holds the SCP in reset: the child sees it and exits */
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	rpmsg_posix_unlink(name);
}

int main(void)
{
	long n = count_of();

	t_timeout(110);
	run(RPMSG_SCP_SHARE_BUF_SIZE, n / 2, n - n / 2);
	run(RPMSG_SCP_SHARE_BUF_SIZE_MT8188, n / 20, n / 20); /* the MT8188 layout, shorter */
	return t_done();
}
