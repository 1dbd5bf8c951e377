/*
 * Test helper: the doorbell-fault scenarios every transport runs (see faultplat.h). Two
 * sides, each a bus with its own thread, an endpoint it sends on and a fault platform under
 * its link. Messages check themselves (fault_msg_*), carry a sequence number per direction
 * and must arrive exactly once, in order, intact, whatever the doorbells do.
 *
 *  fr_dup_spurious  both directions at once while notifies are duplicated, waits and arms
 *                   wake for nothing and a third thread rings both sides' bells for nothing;
 *  fr_single_drop   one scripted lost notify from an idle link: the next doorbell (a message
 *                   that rings, or a bare ring) delivers what was held back;
 *  fr_random        both directions with random drops, duplicates, delays and spurious
 *                   rings; every blocking send must succeed, and once the faults stop one
 *                   bare ring delivers whatever is still pending;
 *  fr_blackout      every notify one way is lost while the sender fills the ring/FIFO and
 *                   blocks, and for a while after; then the doorbells work again. The
 *                   blocked send must complete without any further help from the test (the
 *                   transport's own recovery).
 */
#ifndef RPMSG_TEST_FAULTRUN_H
#define RPMSG_TEST_FAULTRUN_H

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <rpmsg/platform.h>
#include <rpmsg/rpmsg.h>

#include "faultplat.h"
#include "testlib.h"

struct fr_side {
	const char *name;
	struct rpmsg_bus *bus;
	struct rpmsg_endpoint *ept; /* what this side sends on */
	struct faultplat *fp;       /* under this side's link */
	uint32_t data_bells;        /* the bells this side rings for a message it sends */
	uint32_t stream;            /* tags this side's messages */
	size_t max;                 /* largest message this side sends */
	int send_timeout_ms;        /* blocking sends (fr_random, fr_dup_spurious) */
	uint32_t sent;              /* next sequence number to send (sender thread only) */
	int send_errors;            /* sends that failed where they must not */
	int last_err;
	/* What this side received from the other (written by its bus thread only). */
	_Atomic uint32_t next, got, bad, reorder;
	struct fr_side *peer;
};

static inline uint64_t fr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static inline void fr_sleep_ms(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The receive callback: priv is the receiving side. */
static inline int fr_rx(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct fr_side *s = priv;
	long seq = fault_msg_check(data, len, s->peer->max, s->peer->stream);

	(void)ept; (void)src;
	atomic_fetch_add(&s->got, 1);
	if (seq < 0) {
		atomic_fetch_add(&s->bad, 1);
		return 0;
	}
	if ((uint32_t)seq != atomic_load(&s->next))
		atomic_fetch_add(&s->reorder, 1);
	atomic_store(&s->next, (uint32_t)seq + 1);
	return 0;
}

static inline void fr_link(struct fr_side *a, struct fr_side *b)
{
	a->peer = b;
	b->peer = a;
}

static inline int fr_send_one(struct fr_side *s, int timeout_ms)
{
	uint8_t buf[1024];
	size_t len = fault_msg_fill(buf, s->max, s->stream, s->sent);
	int ret = rpmsg_send_timeout(s->ept, rpmsg_ept_addr(s->ept), rpmsg_ept_dst(s->ept), buf,
				     len, timeout_ms);

	if (!ret)
		s->sent++;
	return ret;
}

/* Wait (bounded) until `to` got everything `from` sent; then make sure nothing more comes. */
static inline bool fr_wait_delivered(struct fr_side *from, int ms)
{
	struct fr_side *to = from->peer;
	uint64_t end = fr_now_ms() + (uint64_t)ms;

	while (atomic_load(&to->got) < from->sent && fr_now_ms() < end)
		fr_sleep_ms(1);
	return atomic_load(&to->got) >= from->sent;
}

/* Exactly once, in order, intact: what `to` received from `from` so far. */
static inline void fr_check_stream(struct fr_side *from, const char *phase)
{
	struct fr_side *to = from->peer;

	fr_sleep_ms(20); /* a duplicate delivery would show up now */
	if (atomic_load(&to->got) != from->sent || atomic_load(&to->bad) ||
	    atomic_load(&to->reorder) || atomic_load(&to->next) != from->sent)
		fprintf(stderr, "%s %s->%s: sent %" PRIu32 " got %" PRIu32 " next %" PRIu32
			" bad %" PRIu32 " reorder %" PRIu32 "\n", phase, from->name, to->name,
			from->sent, atomic_load(&to->got), atomic_load(&to->next),
			atomic_load(&to->bad), atomic_load(&to->reorder));
	CHECK_EQ(atomic_load(&to->got), from->sent);
	CHECK_EQ(atomic_load(&to->next), from->sent);
	CHECK_EQ(atomic_load(&to->bad), 0);
	CHECK_EQ(atomic_load(&to->reorder), 0);
}

/* ---- fr_dup_spurious, fr_random: both directions, blocking sends ---- */

struct fr_sender {
	struct fr_side *s;
	uint32_t count;
	uint64_t worst_ms; /* the slowest single send */
};

static inline void *fr_sender_main(void *arg)
{
	struct fr_sender *t = arg;

	for (uint32_t i = 0; i < t->count; i++) {
		uint64_t t0 = fr_now_ms();
		int ret = fr_send_one(t->s, t->s->send_timeout_ms);
		uint64_t dt = fr_now_ms() - t0;

		if (dt > t->worst_ms)
			t->worst_ms = dt;
		if (ret) {
			t->s->send_errors++;
			t->s->last_err = ret;
			break; /* one is a failure already; a hung transport would take forever */
		}
	}
	return NULL;
}

struct fr_ringer {
	struct fr_side *a, *b;
	atomic_bool stop;
	unsigned rings;
};

/* Bare doorbells to both sides, on every bell id, for nothing. */
static inline void *fr_ringer_main(void *arg)
{
	struct fr_ringer *r = arg;

	while (!atomic_load(&r->stop)) {
		for (uint32_t id = 0; id < 2; id++) {
			faultplat_ring(r->a->fp, id);
			faultplat_ring(r->b->fp, id);
			r->rings += 2;
		}
		fr_sleep_ms(1);
	}
	return NULL;
}

static inline void fr_both_ways(struct fr_side *a, struct fr_side *b, uint32_t count,
				bool ringer, const char *phase)
{
	struct fr_sender ta = { a, count, 0 }, tb = { b, count, 0 };
	struct fr_ringer r = { .a = a, .b = b };
	pthread_t tha, thb, thr;

	a->send_errors = b->send_errors = 0;
	if (ringer)
		pthread_create(&thr, NULL, fr_ringer_main, &r);
	pthread_create(&tha, NULL, fr_sender_main, &ta);
	pthread_create(&thb, NULL, fr_sender_main, &tb);
	pthread_join(tha, NULL);
	pthread_join(thb, NULL);
	CHECK(fr_wait_delivered(a, 5000));
	CHECK(fr_wait_delivered(b, 5000));
	if (ringer) {
		atomic_store(&r.stop, true);
		pthread_join(thr, NULL);
	}
	printf("%s: %" PRIu32 " each way, slowest send %s->%s %" PRIu64 " ms, %s->%s %" PRIu64
	       " ms, send errors %d/%d (last %d/%d)\n", phase, count, a->name, b->name,
	       ta.worst_ms, b->name, a->name, tb.worst_ms, a->send_errors, b->send_errors,
	       a->last_err, b->last_err);
	CHECK_EQ(a->send_errors, 0);
	CHECK_EQ(b->send_errors, 0);
	fr_check_stream(a, phase);
	fr_check_stream(b, phase);
}

/*
 * The random faults above need doorbells to act on, and a busy pair may ring only a few
 * (a peer that is awake asks for none): too few, and "some were duplicated / dropped"
 * fails by chance. So, while the faults stay on, one message each way every 2 ms (each
 * side asleep in between: every one rings, every arm and wait counts) until seen() holds
 * for both sides' fault counters. Returns the rounds it took (at most 1000).
 */
static inline unsigned fr_paced_until(struct fr_side *a, struct fr_side *b,
				      bool (*seen)(const struct faultplat_stats *))
{
	unsigned rounds = 0;

	for (; rounds < 1000; rounds++) {
		struct faultplat_stats sa, sb;

		faultplat_get_stats(a->fp, &sa);
		faultplat_get_stats(b->fp, &sb);
		if (seen(&sa) && seen(&sb))
			break;
		fr_sleep_ms(2);
		if (fr_send_one(a, a->send_timeout_ms))
			a->send_errors++;
		if (fr_send_one(b, b->send_timeout_ms))
			b->send_errors++;
	}
	return rounds;
}

static inline bool fr_seen_dup_spurious(const struct faultplat_stats *st)
{
	return st->duplicated && st->spurious;
}

static inline bool fr_seen_drop(const struct faultplat_stats *st)
{
	return st->dropped;
}

/* Duplicated notifies, spurious wake-ups and bare rings: harmless. */
static inline void fr_dup_spurious(struct fr_side *a, struct fr_side *b, uint32_t count)
{
	struct faultplat_cfg cfg = { .dup_pm = 500, .spurious_pm = 200 };
	struct faultplat_stats sa, sb;
	unsigned paced;

	faultplat_set(a->fp, &cfg);
	faultplat_set(b->fp, &cfg);
	fr_both_ways(a, b, count, true, "dup+spurious");
	paced = fr_paced_until(a, b, fr_seen_dup_spurious);
	faultplat_set(a->fp, &(struct faultplat_cfg){ 0 });
	faultplat_set(b->fp, &(struct faultplat_cfg){ 0 });
	faultplat_get_stats(a->fp, &sa);
	faultplat_get_stats(b->fp, &sb);
	printf("dup+spurious: %s duplicated %" PRIu64 " spurious %" PRIu64 "; %s duplicated %" PRIu64
	       " spurious %" PRIu64 " (%u paced rounds)\n", a->name, sa.duplicated, sa.spurious,
	       b->name, sb.duplicated, sb.spurious, paced);
	CHECK(sa.duplicated > 0 && sb.duplicated > 0);
	CHECK(sa.spurious > 0 && sb.spurious > 0);
	CHECK_EQ(a->send_errors, 0);
	CHECK_EQ(b->send_errors, 0);
	CHECK(fr_wait_delivered(a, 2000));
	CHECK(fr_wait_delivered(b, 2000));
	fr_check_stream(a, "dup+spurious, paced");
	fr_check_stream(b, "dup+spurious, paced");
}

/*
 * One lost notify from `from` while the link is idle: the message stays in shared memory
 * until a doorbell brings it. how = 'm': the next message is sent (with working doorbells);
 * how = 'r': a bare ring. Returns, for the report and for transports to assert:
 *   FR_NOT_HELD   the message arrived anyway (the receiver was awake, or looked by itself)
 *   FR_NEXT_BELL  it waited for the next doorbell, which brought everything, in order
 *   FR_NO_BELL    'm' only: the next message rang no doorbell either (the peer had asked
 *                 for one ring only, as virtio's event index does); a bare ring brought both
 *   FR_NO_DROP    the transport rang no bell for the message (nothing to drop)
 */
enum { FR_NOT_HELD, FR_NEXT_BELL, FR_NO_BELL, FR_NO_DROP };

static inline int fr_single_drop(struct fr_side *from, char how)
{
	struct fr_side *to = from->peer;
	struct faultplat_cfg only_data = { .bells = from->data_bells };
	uint32_t before = atomic_load(&to->got);
	struct faultplat_stats st0, st1;
	int result = FR_NEXT_BELL;

	fr_sleep_ms(30); /* both sides idle, asleep in their bus threads */
	faultplat_get_stats(from->fp, &st0);
	faultplat_set(from->fp, &only_data);
	faultplat_script(from->fp, "x");
	CHECK_EQ(fr_send_one(from, 0), 0);
	faultplat_get_stats(from->fp, &st1);
	faultplat_script(from->fp, "");
	faultplat_set(from->fp, &(struct faultplat_cfg){ 0 });
	if (st1.dropped != st0.dropped + 1)
		result = FR_NO_DROP;
	fr_sleep_ms(50);
	if (atomic_load(&to->got) != before)
		result = FR_NOT_HELD;
	if (how == 'm') {
		CHECK_EQ(fr_send_one(from, 1000), 0);
		if (!fr_wait_delivered(from, 500) && result == FR_NEXT_BELL)
			result = FR_NO_BELL;
	}
	if (how == 'r' || result == FR_NO_BELL)
		CHECK_EQ(faultplat_ring(from->fp, (uint32_t)__builtin_ctz(from->data_bells)), 0);
	CHECK(fr_wait_delivered(from, 2000));
	fr_check_stream(from, how == 'm' ? "single drop, next message" : "single drop, bare ring");
	printf("single drop %s->%s, then %s: %s\n", from->name, to->name,
	       how == 'm' ? "a message" : "a bare ring",
	       (const char *[]){ "not held", "held until the next doorbell",
				 "held; the next message rang no bell, a bare ring brought both",
				 "no bell rung to drop" }[result]);
	return result;
}

/* What a transport promises for a single drop; a receiver that happened to be awake (a
 * loaded machine) sees it anyway, which is no failure: delivery was checked either way. */
#define fr_expect(result, want)                                                                    \
	do {                                                                                       \
		int _r = (result);                                                                 \
		if (_r != FR_NOT_HELD)                                                             \
			CHECK_EQ(_r, (want));                                                      \
	} while (0)

/* Random drops, duplicates, delays and spurious rings both ways; then one bare ring. */
static inline void fr_random(struct fr_side *a, struct fr_side *b, uint32_t count)
{
	struct faultplat_cfg cfg = { .drop_pm = 200, .dup_pm = 100, .delay_pm = 100,
				     .spurious_pm = 50 };
	struct fr_sender ta = { a, count, 0 }, tb = { b, count, 0 };
	struct faultplat_stats sa, sb;
	unsigned paced;
	pthread_t tha, thb;

	a->send_errors = b->send_errors = 0;
	faultplat_set(a->fp, &cfg);
	faultplat_set(b->fp, &cfg);
	pthread_create(&tha, NULL, fr_sender_main, &ta);
	pthread_create(&thb, NULL, fr_sender_main, &tb);
	pthread_join(tha, NULL);
	pthread_join(thb, NULL);
	paced = fr_paced_until(a, b, fr_seen_drop);
	faultplat_set(a->fp, &(struct faultplat_cfg){ 0 });
	faultplat_set(b->fp, &(struct faultplat_cfg){ 0 });
	faultplat_get_stats(a->fp, &sa);
	faultplat_get_stats(b->fp, &sb);
	/* What a lost doorbell left pending: the next one (here bare, for nothing) brings it. */
	faultplat_release(a->fp);
	faultplat_release(b->fp);
	for (uint32_t id = 0; id < 2; id++) {
		faultplat_ring(a->fp, id);
		faultplat_ring(b->fp, id);
	}
	CHECK(fr_wait_delivered(a, 2000));
	CHECK(fr_wait_delivered(b, 2000));
	printf("random: %" PRIu32 " each way; %s dropped %" PRIu64 "/%" PRIu64 " dup %" PRIu64
	       " delayed %" PRIu64 "; %s dropped %" PRIu64 "/%" PRIu64 " dup %" PRIu64
	       " delayed %" PRIu64 "; slowest send %" PRIu64 "/%" PRIu64
	       " ms; send errors %d/%d (last %d/%d); %u paced rounds\n", count, a->name, sa.dropped,
	       sa.notifies, sa.duplicated, sa.delayed, b->name, sb.dropped, sb.notifies,
	       sb.duplicated, sb.delayed, ta.worst_ms, tb.worst_ms, a->send_errors,
	       b->send_errors, a->last_err, b->last_err, paced);
	CHECK(sa.dropped > 0 && sb.dropped > 0);
	CHECK_EQ(a->send_errors, 0);
	CHECK_EQ(b->send_errors, 0);
	fr_check_stream(a, "random");
	fr_check_stream(b, "random");
}

/*
 * Every notify `from` rings is lost while it trysends until the peer's ring, FIFO or
 * intents are used up (at most `limit` messages), and for the first 50 ms of one blocking
 * send after that (timeout_ms), so that its own doorbells (an intent request, a "tell me
 * when you read") are lost too. Then doorbells work again. The blocked send must complete
 * without any further help from the test: the transport's own recovery. Returns the
 * blocking send's result and its duration in *ms.
 */
struct fr_lights {
	struct faultplat *fp;
	unsigned after_ms;
};

static inline void *fr_lights_on(void *arg)
{
	struct fr_lights *l = arg;

	fr_sleep_ms(l->after_ms);
	faultplat_set(l->fp, &(struct faultplat_cfg){ 0 });
	return NULL;
}

static inline int fr_blackout(struct fr_side *from, uint32_t limit, int timeout_ms, uint64_t *ms)
{
	struct faultplat_cfg all = { .drop_pm = 1000 };
	struct fr_lights lights = { from->fp, 50 };
	struct faultplat_stats st0, st1;
	uint32_t n = 0;
	pthread_t th;
	uint64_t t0;
	int ret;

	fr_sleep_ms(30);
	faultplat_get_stats(from->fp, &st0);
	faultplat_set(from->fp, &all);
	while (n < limit && fr_send_one(from, 0) == 0)
		n++;
	pthread_create(&th, NULL, fr_lights_on, &lights);
	t0 = fr_now_ms();
	ret = fr_send_one(from, timeout_ms);
	*ms = fr_now_ms() - t0;
	pthread_join(th, NULL);
	faultplat_get_stats(from->fp, &st1);
	if (!ret && *ms < lights.after_ms) /* done before the lights came on: its ring was lost */
		faultplat_ring(from->fp, (uint32_t)__builtin_ctz(from->data_bells));
	printf("blackout %s->%s: %" PRIu32 " sent unheard, then a blocking send: %d after %" PRIu64
	       " ms (%" PRIu64 " doorbells lost)\n", from->name, from->peer->name, n, ret, *ms,
	       st1.dropped - st0.dropped);
	if (ret) {
		/* Not recovered by the transport: a bare ring, so that the rest can be checked. */
		faultplat_ring(from->fp, (uint32_t)__builtin_ctz(from->data_bells));
		CHECK_EQ(fr_send_one(from, 2000), 0);
	}
	CHECK(fr_wait_delivered(from, 2000));
	fr_check_stream(from, "blackout");
	return ret;
}

/*
 * ---- the pair and the whole run: what every transport's doorbell-fault test shares ----
 * Every fault test opens two sides the same way and runs the scenarios above in the same
 * order; only the links on top (and what a transport promises) differ, so those stay in
 * the tests.
 */

/* Shared memory named t-<tag>-<pid> of `size` bytes, created for `first` (whose fault
 * platform gets `seed`) and attached for `second` (seed + 1); then a bus for each, first's
 * first. The links and endpoints are the caller's. `name` gets the shared memory's name. */
static inline void fr_pair_open(struct fr_side *first, struct fr_side *second, const char *tag,
				size_t size, uint64_t seed, char name[48])
{
	struct rpmsg_platform *pf, *ps;

	snprintf(name, 48, "t-%s-%d", tag, (int)getpid());
	rpmsg_posix_unlink(name);
	CHECK_EQ(rpmsg_posix_create(name, size, &pf), 0);
	CHECK_EQ(rpmsg_posix_attach(name, &ps), 0);
	CHECK_EQ(faultplat_wrap(pf, seed, &first->fp), 0);
	CHECK_EQ(faultplat_wrap(ps, seed + 1, &second->fp), 0);
	CHECK_EQ(rpmsg_bus_create(&first->bus), 0);
	CHECK_EQ(rpmsg_bus_create(&second->bus), 0);
	/* No sweeps: these scenarios pin what the transports themselves do about lost
	 * doorbells (faults/test_setup_faults_mt pins the bus's sweeps). */
	CHECK_EQ(rpmsg_bus_set_sweep(first->bus, 0, 0), 0);
	CHECK_EQ(rpmsg_bus_set_sweep(second->bus, 0, 0), 0);
}

/* Destroy both buses (a's first), free both fault platforms, remove the shared memory. */
static inline void fr_pair_close(struct fr_side *a, struct fr_side *b, const char *name)
{
	rpmsg_bus_destroy(a->bus);
	rpmsg_bus_destroy(b->bus);
	faultplat_free(a->fp);
	faultplat_free(b->fp);
	rpmsg_posix_unlink(name);
}

/*
 * The four scenarios, both ways each, in the order every transport runs them: duplicates
 * and spurious wake-ups (`count` messages each way), single drops (then a message: expect
 * `after_message`; then a bare ring: FR_NEXT_BELL), random faults (`count` each way), and a
 * blackout each way, whose blocking send must succeed.
 */
static inline void fr_run_scenarios(struct fr_side *a, struct fr_side *b, uint32_t count,
				    int after_message)
{
	uint64_t ms;

	fr_dup_spurious(a, b, count);

	/* Every message rings: the next one brings the lost one; so does a bare ring. */
	fr_expect(fr_single_drop(a, 'm'), after_message);
	fr_expect(fr_single_drop(b, 'm'), after_message);
	fr_expect(fr_single_drop(a, 'r'), FR_NEXT_BELL);
	fr_expect(fr_single_drop(b, 'r'), FR_NEXT_BELL);

	fr_random(a, b, count);

	CHECK_EQ(fr_blackout(a, 1000, 3000, &ms), 0);
	CHECK_EQ(fr_blackout(b, 1000, 3000, &ms), 0);
}

#endif
