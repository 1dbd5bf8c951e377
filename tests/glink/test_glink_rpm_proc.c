/*
 * GLINK over RPM message RAM (the RPM flavour) between two processes: the main CPU here, the
 * remote (the RPM) in a forked child, over one POSIX shared-memory region. The remote lays
 * the message RAM out (cfg.format_smem: the table of contents in the last 256 bytes and two
 * 1 KiB FIFOs, the size upstream RPM edges use); the main CPU waits for it.
 *
 *  1. Version negotiation completes on both sides (link up, VERSION/VERSION_ACK done,
 *     features 0: intentless); the main CPU sees the table of contents the remote wrote.
 *  2. A channel opened by each side: "rpm-r" by the remote at start-up (reaches the main CPU
 *     as a channel its driver probes by name), "rpm-m" by the main CPU with rpmsg_create_ept
 *     (reaches the remote as a channel on its bus, which it answers with rpmsg_create_ept).
 *  3. RPMSG_GLINK_RPM_MESSAGES (default 20,000) messages each way at once, spread over both
 *     channels, every one checked on arrival: its length (the lengths are a function of
 *     direction, channel and sequence number, so both sides know them), its sequence number,
 *     a checksum and every byte: none lost, duplicated, reordered, truncated or corrupted.
 *     Sizes are random: half up to 512 bytes, most of the rest 513..2048 (larger than the
 *     FIFO), one in 64 up to 16 KiB, and every thousandth exactly max_rx_size (64 KiB), so
 *     messages go out in many TX_DATA_CONT chunks, which the count of commands confirms.
 *  4. The main CPU closes "rpm-m" (rpmsg_destroy_ept): the remote sees the channel go and
 *     its endpoint dead (-EPIPE), destroys it; both sides forget the channel; the main CPU
 *     opens it again and the remote answers again.
 *  5. Messages again (a tenth as many) on the reopened channel and the other, and signals:
 *     each side pauses and resumes the other (rpmsg_set_flow_control, GLINK SIGNALS) in the
 *     middle of the stream; the peer's flow callback must see pause then resume, each after
 *     every message sent before it on that channel.
 *
 * What the RPM flavour allows, and how the test keeps to it:
 *  - It is intentless (as upstream): no intents, no RX_INTENT_REQ; the receiver assembles a
 *    message from its chunks and the only limit is max_rx_size (both sides 64 KiB here; a
 *    larger send is -EMSGSIZE). Linux reads message RAM in whole words, so sizes to a Linux
 *    peer should be multiples of 4; between two librpmsg sides any size works, and the
 *    random sizes here include odd ones on purpose.
 *  - Both sides are single-threaded and both sit in blocking sends at the same time: a
 *    waiting sender reads the peer's FIFO itself (complete messages wait for the next
 *    rpmsg_bus_poll(), never a callback inside the send), so neither waits for the other.
 *    Blocking sends and trysends mix: a token travels inside the messages (a flag), its
 *    holder sends everything with rpmsg_send() and hands the token over with its next
 *    message; the other side uses rpmsg_trysend() for messages up to 512 bytes and
 *    rpmsg_send() for the larger ones. (trysend is all or nothing, and over these 1 KiB
 *    FIFOs a message of more than 960 bytes never fits: -EMSGSIZE.)
 *  - Signals: the pause is only recorded, not obeyed (a paused side holding the token
 *    would stall the other).
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rpmsg/glink.h>
#include <rpmsg/platform.h>
#include <rpmsg/rpmsg.h>

#include "testlib.h"

#define FIFO 1024u            /* each FIFO's data bytes, as upstream RPM edges */
#define RAM 8192u             /* the message RAM (the platform block) */
#define MAX_MSG 65536u        /* max_rx_size on both sides */
#define TRY_MAX (FIFO / 2)    /* the largest message sent with trysend */
#define HDR 16u               /* seq, flags | phase << 8, length, checksum */
#define STREAM_SECONDS 30

enum { CH_R, CH_M };          /* opened by the remote, by the main CPU */
enum { TO_REMOTE, TO_MAIN };  /* directions */
enum { F_TOKEN = 1, F_EMPTY = 2 };

static const char *const chan_name[2] = { "rpm-r", "rpm-m" };
static const char *const remote_chans[] = { "rpm-r", NULL };
static int chan_idx[2] = { CH_R, CH_M };

/* Written by the child, read by the parent (an anonymous shared page). */
struct shared {
	_Atomic int remote_done;
};

struct flow {
	bool pause;
	uint32_t at; /* messages received on that channel when it came */
};

/* One process's side of the test. */
struct side {
	bool remote;
	int dir_out, dir_in;
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	struct rpmsg_channel *dch;       /* "rpm-r" bound to our driver */
	struct rpmsg_endpoint *ept[2];
	int phase;
	bool token;
	/* sending */
	uint32_t tx_k, tx_seq[2];
	long sent, blocking, tries, eagain, must_split, token_out, token_only_out;
	uint64_t bytes_out;
	/* receiving */
	uint32_t rx_next[2], rx_total[2]; /* per channel: expected next, how many in the phase */
	long got, bad, token_in, token_only_in, stale;
	uint64_t bytes_in;
	struct flow flows[8];
	int nflows;
	/* signals this side sends in phase 2: after message sig_k[0] (pause), sig_k[1] (resume) */
	uint32_t sig_k[2];
	int sig_ch;
};

static struct side S;
static uint8_t txbuf[MAX_MSG + 1], expbuf[MAX_MSG];

/* ---- message contents: all a function of (phase, direction, channel, sequence) ---- */

static uint32_t mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

static uint32_t rnd(int phase, int dir, int ch, uint32_t seq, uint32_t salt)
{
	return mix32(mix32((uint32_t)phase * 0x9E3779B9u ^ (uint32_t)dir << 8 ^ (uint32_t)ch << 16 ^
			   salt << 24) ^ seq);
}

static size_t msg_len(int phase, int dir, int ch, uint32_t seq)
{
	uint32_t r = rnd(phase, dir, ch, seq, 1) % 64, v = rnd(phase, dir, ch, seq, 2);

	if (seq % 1000 == 999)
		return MAX_MSG;
	if (r == 0)
		return 2049 + v % (16384 - 2048);
	if (r < 32)
		return 1 + v % TRY_MAX;
	return TRY_MAX + 1 + v % (2048 - TRY_MAX);
}

/* The channel of a direction's k-th message. */
static int msg_chan(int phase, int dir, uint32_t k)
{
	return rnd(phase, dir, 7, k, 3) & 1;
}

/* How many of a direction's first k messages go on channel ch. */
static uint32_t chan_count(int phase, int dir, int ch, uint32_t k)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < k; i++)
		n += msg_chan(phase, dir, i) == ch;
	return n;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t fnv(uint32_t h, const uint8_t *p, size_t n)
{
	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

/* Messages of HDR bytes or more carry a header; shorter ones are the pattern alone. */
static void build(uint8_t *b, int phase, int dir, int ch, uint32_t seq, size_t len, uint32_t flags)
{
	uint8_t base = (uint8_t)(seq * 131 + (uint32_t)ch * 29 + (uint32_t)dir * 53 +
				 (uint32_t)phase);

	for (size_t i = len < HDR ? 0 : HDR; i < len; i++)
		b[i] = (uint8_t)(base + i * 7 + (i >> 8));
	if (len >= HDR) {
		put32(b, seq);
		put32(b + 4, flags | (uint32_t)phase << 8);
		put32(b + 8, (uint32_t)len);
		put32(b + 12, fnv(fnv(2166136261u, b, 12), b + HDR, len - HDR));
	}
}

/* ---- receiving ---- */

static int on_rx(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	const uint8_t *d = data;
	int ch = *(int *)priv;
	uint32_t seq = S.rx_next[ch], flags = len >= HDR ? get32(d + 4) : 0;
	size_t want;

	(void)ept;
	(void)src;
	if (len == HDR && (flags & F_EMPTY)) {
		/* The token alone: built the same way, it must match byte for byte. */
		build(expbuf, (int)(flags >> 8), S.dir_in, ch, 0xFFFFFFFFu, HDR, flags & 0xFF);
		if (memcmp(d, expbuf, HDR) || ch != CH_R || !(flags & F_TOKEN)) {
			S.bad++;
			return 0;
		}
		if ((int)(flags >> 8) != S.phase) {
			S.stale++; /* a hand-over the previous phase no longer needed */
			return 0;
		}
		S.token_only_in++;
		goto token;
	}
	want = msg_len(S.phase, S.dir_in, ch, seq);
	build(expbuf, S.phase, S.dir_in, ch, seq, want, flags & F_TOKEN);
	if (len != want || memcmp(d, expbuf, len)) {
		uint32_t other = len >= HDR ? get32(d) : seq;
		size_t at = 0;

		while (at < len && at < want && d[at] == expbuf[at])
			at++;
		if (S.bad++ < 5)
			fprintf(stderr, "%s: bad message on %s: len %zu (want %zu), "
				"seq %u (want %u), first difference at byte %zu\n",
				S.remote ? "remote" : "main", chan_name[ch], len, want,
				len >= 4 ? get32(d) : 0, seq, at);
		/* An intact message of another number: messages lost (or this one again). */
		if (other != seq && other < S.rx_total[ch] &&
		    len == msg_len(S.phase, S.dir_in, ch, other)) {
			build(expbuf, S.phase, S.dir_in, ch, other, len, flags & F_TOKEN);
			if (!memcmp(d, expbuf, len))
				seq = other > seq ? other : seq - 1;
		}
	}
	S.rx_next[ch] = seq + 1;
	S.got++;
	S.bytes_in += len;
	if (!(flags & F_TOKEN) || len < HDR)
		return 0;
token:
	if (S.token)
		S.bad++; /* two tokens: the protocol of this test broke */
	S.token = true;
	S.token_in++;
	return 0;
}

static void on_flow(struct rpmsg_endpoint *ept, bool pause, void *priv)
{
	int ch = *(int *)priv;

	(void)ept;
	if (S.nflows < (int)(sizeof(S.flows) / sizeof(S.flows[0])))
		S.flows[S.nflows] = (struct flow){ .pause = pause, .at = S.rx_next[ch] };
	S.nflows++;
}

static int on_probe(struct rpmsg_channel *ch)
{
	S.dch = ch;
	return 0;
}

static void on_remove(struct rpmsg_channel *ch)
{
	(void)ch;
	S.dch = NULL;
	S.ept[CH_R] = NULL;
}

static const char *const drv_ids[] = { "rpm-r", NULL };
static struct rpmsg_driver drv = { .name = "rpm-test", .id_table = drv_ids, .probe = on_probe,
				   .remove = on_remove, .callback = on_rx, .flowcontrol = on_flow,
				   .priv = &chan_idx[CH_R] };

/* ---- helpers ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool has_channel(struct rpmsg_link *link, const char *name)
{
	struct rpmsg_channel_info info[8];
	int n = rpmsg_link_channels(link, info, 8);

	for (int i = 0; i < n && i < 8; i++)
		if (!strcmp(info[i].name, name))
			return true;
	return false;
}

/* Poll until cond(arg) holds or ms pass; returns whether it holds. */
static bool poll_until(bool (*cond)(void *), void *arg, int ms)
{
	double end = now_s() + ms / 1000.0;

	while (!cond(arg)) {
		if (now_s() > end)
			return false;
		rpmsg_bus_poll(S.bus, 1);
	}
	return true;
}

static bool c_version(void *a)
{
	struct rpmsg_glink_stats st;

	(void)a;
	return !rpmsg_glink_get_stats(S.link, &st) && st.version_done && rpmsg_link_is_up(S.link);
}

static bool c_probed(void *a)
{
	(void)a;
	return S.dch && c_version(NULL);
}

static bool c_chan(void *name)
{
	return has_channel(S.link, name);
}

static bool c_no_chan(void *name)
{
	return !has_channel(S.link, name);
}

static bool c_slots(void *n)
{
	struct rpmsg_glink_stats st;

	return !rpmsg_glink_get_stats(S.link, &st) && st.channels == *(uint32_t *)n;
}

static bool c_no_chans(void *a)
{
	(void)a;
	return rpmsg_link_channels(S.link, NULL, 0) == 0;
}

static void dump(const char *why)
{
	struct rpmsg_glink_stats st;

	rpmsg_glink_get_stats(S.link, &st);
	fprintf(stderr, "%s: %s: phase %d sent %ld got %ld token %d bad %ld | rx_bad %llu "
		"broken %d channels %u rx_msgs %llu tx_msgs %llu rx_cmds %llu tx_cmds %llu\n",
		S.remote ? "remote" : "main", why, S.phase, S.sent, S.got, S.token, S.bad,
		(unsigned long long)st.rx_bad, st.rx_broken, st.channels,
		(unsigned long long)st.rx_msgs, (unsigned long long)st.tx_msgs,
		(unsigned long long)st.rx_cmds, (unsigned long long)st.tx_cmds);
}

/* ---- one phase of traffic: n messages each way ---- */

static int stream(long n, int phase)
{
	/* A long run (RPMSG_GLINK_RPM_MESSAGES) gets time in proportion. */
	double end = now_s() + STREAM_SECONDS + (double)n / 2000.0;

	S.phase = phase;
	S.token = !S.remote; /* the main CPU starts with it */
	S.tx_k = 0;
	S.sent = S.got = 0;
	memset(S.tx_seq, 0, sizeof(S.tx_seq));
	memset(S.rx_next, 0, sizeof(S.rx_next));
	for (int ch = 0; ch < 2; ch++)
		S.rx_total[ch] = chan_count(phase, S.dir_in, ch, (uint32_t)n);
	S.nflows = 0;
	/* Until all sent and each channel's last message came (a loss shows in S.got). */
	while (S.sent < n || S.rx_next[CH_R] < S.rx_total[CH_R] ||
	       S.rx_next[CH_M] < S.rx_total[CH_M]) {
		bool did = false;
		int r;

		if (now_s() > end) {
			dump("stream stalled");
			return -1;
		}
		if (S.sent < n) {
			int ch = msg_chan(phase, S.dir_out, S.tx_k);
			uint32_t seq = S.tx_seq[ch];
			size_t len = msg_len(phase, S.dir_out, ch, seq);
			bool pass = S.token && len >= HDR;

			if (!S.ept[ch]) {
				dump("no endpoint");
				return -1;
			}
			{
				build(txbuf, phase, S.dir_out, ch, seq, len, pass ? F_TOKEN : 0);
				if (S.token || len > TRY_MAX) {
					r = rpmsg_send(S.ept[ch], txbuf, len);
					S.blocking++;
				} else {
					r = rpmsg_trysend(S.ept[ch], txbuf, len);
					S.tries++;
				}
				if (r == 0) {
					S.tx_seq[ch]++;
					S.tx_k++;
					S.sent++;
					S.bytes_out += len;
					/* No single command can hold it: */
					S.must_split += len + HDR > FIFO;
					if (pass) {
						S.token = false;
						S.token_out++;
					}
					did = true;
				} else if (r == -EAGAIN) {
					S.eagain++;
				} else {
					fprintf(stderr, "%s: send of %zu bytes on %s: %s\n",
						S.remote ? "remote" : "main", len, chan_name[ch],
						rpmsg_strerror(r));
					dump("send failed");
					return -1;
				}
				for (int i = 0; r == 0 && phase == 2 && i < 2; i++) {
					if (S.tx_k != S.sig_k[i])
						continue;
					r = rpmsg_set_flow_control(S.ept[S.sig_ch], i == 0, 0);
					CHECK_EQ(r, 0);
				}
			}
		} else if (S.token && (S.rx_next[CH_R] < S.rx_total[CH_R] ||
					S.rx_next[CH_M] < S.rx_total[CH_M])) {
			/* Done, but the peer is not: hand the token over on its own. */
			build(txbuf, phase, S.dir_out, CH_R, 0xFFFFFFFFu, HDR, F_TOKEN | F_EMPTY);
			r = rpmsg_trysend(S.ept[CH_R], txbuf, HDR);
			if (r == 0) {
				S.token = false;
				S.token_only_out++;
				did = true;
			} else if (r != -EAGAIN) {
				dump("token send failed");
				return -1;
			}
		}
		rpmsg_bus_poll(S.bus, did ? 0 : 1);
	}
	return 0;
}

/* After a phase: every message of the peer arrived, on each channel as many as it sent. */
static void check_stream(long n)
{
	CHECK_EQ(S.bad, 0);
	S.bad = 0; /* reported: the next check counts afresh */
	CHECK_EQ(S.got, n);
	CHECK_EQ(S.sent, n);
	for (int ch = 0; ch < 2; ch++)
		CHECK_EQ(S.rx_next[ch], S.rx_total[ch]);
}

/* The peer paused then resumed us on `ch`, each after what it had sent before. */
static void check_flows(int ch, const uint32_t k[2])
{
	CHECK_EQ(S.nflows, 2);
	if (S.nflows != 2)
		return;
	CHECK(S.flows[0].pause);
	CHECK(!S.flows[1].pause);
	CHECK(S.flows[0].at >= chan_count(2, S.dir_in, ch, k[0]));
	CHECK(S.flows[1].at >= chan_count(2, S.dir_in, ch, k[1]));
	CHECK(S.flows[1].at >= S.flows[0].at);
	printf("%s: pause came after message %u on %s (sent before it: %u), resume after %u (%u)\n",
	       S.remote ? "remote" : "main", S.flows[0].at, chan_name[ch],
	       chan_count(2, S.dir_in, ch, k[0]), S.flows[1].at, chan_count(2, S.dir_in, ch, k[1]));
}

static struct rpmsg_glink_config config(bool remote)
{
	struct rpmsg_glink_config c = { .flavour = RPMSG_GLINK_RPM, .max_rx_size = MAX_MSG };

	c.role = remote ? RPMSG_GLINK_REMOTE : RPMSG_GLINK_MAIN;
	if (remote) {
		c.format_smem = true;
		c.fifo_size = FIFO;
		c.channels = remote_chans;
	}
	return c;
}

static long count_of(void)
{
	const char *e = getenv("RPMSG_GLINK_RPM_MESSAGES");
	long n = e ? atol(e) : 20000;

	return n > 0 ? n : 20000;
}

static long count2_of(long n)
{
	return n / 10 > 30 ? n / 10 : 30;
}

static void sig_points(long n2, bool remote)
{
	S.sig_k[0] = (uint32_t)(n2 / 3);
	S.sig_k[1] = (uint32_t)(2 * n2 / 3);
	S.sig_ch = remote ? CH_R : CH_M;
}

static void print_stats(double t[4])
{
	struct rpmsg_glink_stats st;

	rpmsg_glink_get_stats(S.link, &st);
	printf("%s: %.2f s stream, %.2f s close/reopen, %.2f s stream + signals; out %.1f MB "
	       "(%ld blocking, %ld trysend, %ld -EAGAIN, %ld needing continuation), in %.1f MB; "
	       "tokens out %ld (+%ld alone) in %ld (+%ld alone); cmds tx %llu rx %llu, "
	       "read notifs %llu, notifies %llu, waits %llu\n",
	       S.remote ? "remote" : "main", t[1] - t[0], t[2] - t[1], t[3] - t[2],
	       (double)S.bytes_out / 1e6, S.blocking, S.tries, S.eagain, S.must_split,
	       (double)S.bytes_in / 1e6, S.token_out, S.token_only_out, S.token_in, S.token_only_in,
	       (unsigned long long)st.tx_cmds, (unsigned long long)st.rx_cmds,
	       (unsigned long long)st.read_notifs, (unsigned long long)st.notifies,
	       (unsigned long long)st.tx_waits);
}

/* The link's own counters: intentless, nothing rejected, and continuation used. */
static void check_link(long msgs, long tokens_alone_out, long tokens_alone_in)
{
	struct rpmsg_glink_stats st;

	CHECK_EQ(S.bad, 0); /* nothing bad came after the last stream either */
	CHECK_EQ(rpmsg_glink_get_stats(S.link, &st), 0);
	CHECK_EQ(st.rx_bad, 0);
	CHECK(!st.rx_broken);
	CHECK_EQ(st.features, 0);
	CHECK_EQ(st.intent_reqs, 0);
	CHECK_EQ(st.tx_msgs, msgs + tokens_alone_out);
	CHECK_EQ(st.rx_msgs, msgs + tokens_alone_in + S.stale);
	CHECK(st.tx_cmds >= st.tx_msgs + (uint64_t)S.must_split);
}

/* ---- the remote (child) ---- */

static int remote(const char *name, long n, struct shared *sh)
{
	struct rpmsg_glink_config cfg = config(true);
	struct rpmsg_channel_info info = { .src = RPMSG_ADDR_ANY, .dst = RPMSG_ADDR_ANY };
	struct rpmsg_platform *plat;
	long n2 = count2_of(n);
	uint32_t main_sig[2];
	double t[4];
	int r;

	S.remote = true;
	S.dir_out = TO_MAIN;
	S.dir_in = TO_REMOTE;
	if (rpmsg_posix_attach(name, &plat) || rpmsg_bus_create(&S.bus) ||
	    rpmsg_register_driver(S.bus, &drv) || rpmsg_glink_create(S.bus, plat, &cfg, &S.link)) {
		fprintf(stderr, "remote: set-up failed\n");
		return 10;
	}
	/* Our start-up channel is on our bus at once, bound to our driver. */
	CHECK(S.dch != NULL);
	CHECK(poll_until(c_version, NULL, 5000));
	/* The main CPU's open reaches us as a channel; an endpoint of that name answers it. */
	CHECK(poll_until(c_chan, (void *)chan_name[CH_M], 5000));
	strcpy(info.name, chan_name[CH_M]);
	CHECK_EQ(rpmsg_create_ept(S.link, &info, on_rx, &chan_idx[CH_M], &S.ept[CH_M]), 0);
	if (!S.dch || !S.ept[CH_M]) {
		fflush(NULL);
		return 11;
	}
	rpmsg_ept_set_flow_cb(S.ept[CH_M], on_flow);
	S.ept[CH_R] = rpmsg_channel_ept(S.dch);

	t[0] = now_s();
	r = stream(n, 1);
	CHECK_EQ(r, 0);
	check_stream(n);
	t[1] = now_s();

	/* The main CPU closes "rpm-m": it leaves our bus, our endpoint is dead until destroyed. */
	CHECK(poll_until(c_no_chan, (void *)chan_name[CH_M], 5000));
	CHECK_EQ(rpmsg_send(S.ept[CH_M], "x", 1), -EPIPE);
	rpmsg_destroy_ept(S.ept[CH_M]);
	S.ept[CH_M] = NULL;
	/* And opens it again. */
	CHECK(poll_until(c_chan, (void *)chan_name[CH_M], 5000));
	CHECK_EQ(rpmsg_create_ept(S.link, &info, on_rx, &chan_idx[CH_M], &S.ept[CH_M]), 0);
	if (!S.ept[CH_M]) {
		fflush(NULL);
		return 12;
	}
	rpmsg_ept_set_flow_cb(S.ept[CH_M], on_flow);
	t[2] = now_s();

	sig_points(n2, true);
	r = stream(n2, 2);
	CHECK_EQ(r, 0);
	check_stream(n2);
	main_sig[0] = (uint32_t)(n2 / 3);
	main_sig[1] = (uint32_t)(2 * n2 / 3);
	check_flows(CH_M, main_sig);
	t[3] = now_s();
	check_link(n + n2, S.token_only_out, S.token_only_in);
	print_stats(t);

	/* Done: wait for the main CPU to close both channels, then leave. */
	atomic_store(&sh->remote_done, t_failures ? 2 : 1);
	CHECK(poll_until(c_no_chans, NULL, 10000));
	rpmsg_destroy_ept(S.ept[CH_M]);
	rpmsg_bus_destroy(S.bus);
	printf("remote: %d checks, %d failed\n", t_checks, t_failures);
	fflush(NULL);
	return t_failures ? 1 : 0;
}

/* ---- the main CPU (parent) ---- */

static bool c_remote_done(void *sh)
{
	return atomic_load(&((struct shared *)sh)->remote_done) != 0;
}

int main(void)
{
	long n = count_of(), n2 = count2_of(n);
	struct rpmsg_glink_config cfg = config(false);
	struct rpmsg_channel_info info = { .src = RPMSG_ADDR_ANY, .dst = RPMSG_ADDR_ANY };
	struct shared *sh;
	struct rpmsg_platform *plat;
	uint32_t one = 1, remote_sig[2];
	const uint8_t *toc;
	char name[48];
	int status = -1, r;
	double t[4];
	pid_t pid;

	t_timeout(60);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	snprintf(name, sizeof(name), "t-glrpmproc-%d", (int)getpid());
	rpmsg_posix_unlink(name);
	r = rpmsg_posix_create(name, RAM, &plat);
	CHECK_EQ(r, 0);
	if (r)
		return t_done();
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		_exit(remote(name, n, sh));
	CHECK(pid > 0);

	S.dir_out = TO_REMOTE;
	S.dir_in = TO_MAIN;
	CHECK_EQ(rpmsg_bus_create(&S.bus), 0);
	CHECK_EQ(rpmsg_register_driver(S.bus, &drv), 0);
	/* Waits for the remote to lay the message RAM out. */
	r = rpmsg_glink_create(S.bus, plat, &cfg, &S.link);
	CHECK_EQ(r, 0);
	if (r)
		goto out;
	toc = (const uint8_t *)plat->shm.va + plat->shm.size - 256;
	CHECK_EQ(get32(toc), 0x67727430u); /* "grt0" */
	/* The two FIFOs, and our own restart-words entry, which Linux skips (glink_wire.h). */
	CHECK_EQ(get32(toc + 4), 3);
	CHECK_EQ(get32(toc + 16), FIFO);
	CHECK_EQ(get32(toc + 28), FIFO);
	CHECK_EQ(get32(toc + 32), 0x7473726Cu); /* "lrst" */
	CHECK_EQ(get32(toc + 40), 16);

	/* Version negotiation, and the remote's channel probed here by name. */
	CHECK(poll_until(c_probed, NULL, 5000));
	if (!S.dch)
		goto out;
	/* Both sides have the memory and the bells open: the names can go now (a timeout kill
	 * then leaves nothing behind). */
	rpmsg_posix_unlink(name);
	S.ept[CH_R] = rpmsg_channel_ept(S.dch);
	/* Ours: waits until the remote answers. */
	strcpy(info.name, chan_name[CH_M]);
	CHECK_EQ(rpmsg_create_ept(S.link, &info, on_rx, &chan_idx[CH_M], &S.ept[CH_M]), 0);
	if (!S.ept[CH_M] || !S.ept[CH_R])
		goto out;
	rpmsg_ept_set_flow_cb(S.ept[CH_M], on_flow);
	/* The size limit of the edge. */
	CHECK_EQ(rpmsg_send(S.ept[CH_M], txbuf, MAX_MSG + 1), -EMSGSIZE);
	/* More than the 1 KiB FIFO holds at once: never without waiting (not -EAGAIN forever). */
	CHECK_EQ(rpmsg_trysend(S.ept[CH_M], txbuf, 2000), -EMSGSIZE);

	t[0] = now_s();
	r = stream(n, 1);
	CHECK_EQ(r, 0);
	check_stream(n);
	t[1] = now_s();
	if (r)
		goto out;

	/* Close "rpm-m" and wait until both sides forgot it (only "rpm-r" holds a slot). */
	rpmsg_destroy_ept(S.ept[CH_M]);
	S.ept[CH_M] = NULL;
	CHECK(poll_until(c_slots, &one, 5000));
	/* Open it again: the remote answers again. */
	CHECK_EQ(rpmsg_create_ept(S.link, &info, on_rx, &chan_idx[CH_M], &S.ept[CH_M]), 0);
	if (!S.ept[CH_M])
		goto out;
	rpmsg_ept_set_flow_cb(S.ept[CH_M], on_flow);
	t[2] = now_s();

	sig_points(n2, false);
	r = stream(n2, 2);
	CHECK_EQ(r, 0);
	check_stream(n2);
	remote_sig[0] = (uint32_t)(n2 / 3);
	remote_sig[1] = (uint32_t)(2 * n2 / 3);
	check_flows(CH_R, remote_sig);
	t[3] = now_s();

	/* The remote checks its side, then we close everything. */
	CHECK(poll_until(c_remote_done, sh, 10000));
	check_link(n + n2, S.token_only_out, S.token_only_in);
	CHECK(S.token_in + S.token_out > 0);
	print_stats(t);
	printf("%ld + %ld messages each way over %u-byte RPM FIFOs in %.2f s\n", n, n2, FIFO,
	       t[3] - t[0]);
out:
	rpmsg_bus_destroy(S.bus); /* closes the channels: the remote sees it and leaves */
	for (int i = 0; i < 1000 && pid > 0; i++) {
		struct timespec ts = { 0, 10000000 };

		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		nanosleep(&ts, NULL);
		if (i == 999) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
		}
	}
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	rpmsg_posix_unlink(name);
	munmap(sh, sizeof(*sh));
	return t_done();
}
