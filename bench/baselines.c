/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The baselines, each between two processes made by fork over a MAP_SHARED anonymous
 * mapping (or a socketpair): what the hardware and the kernel give without librpmsg.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

#define SPIN_CHECK 0xFFFFu /* look at the clock and the child every this many spins */

/* ---- (a) cache-line ping-pong ---- */

int run_cacheline_rtt(const struct bench_budget *b, struct samples *out)
{
	struct bench_ctl *ctl = bench_shared_alloc(sizeof(*ctl));
	struct bench_phase ph;
	struct lat_loop l;
	uint64_t i = 0;
	int err = 0, st;
	pid_t pid;

	if (!ctl)
		return -ENOMEM;
	pid = bench_fork(bench_child_watchdog(b));
	if (pid < 0) {
		bench_shared_free(ctl, sizeof(*ctl));
		return pid;
	}
	if (pid == 0) {
		struct bench_phase mine;
		uint64_t last = 0;

		atomic_store(&ctl->ready, 1);
		bench_phase_begin(&mine);
		for (;;) {
			uint64_t v = atomic_load_explicit(&ctl->ping, memory_order_acquire);

			if (v == last)
				continue;
			if (v == UINT64_MAX)
				break;
			atomic_store_explicit(&ctl->pong, v, memory_order_release);
			last = v;
		}
		bench_phase_end(&mine);
		ctl->phase = mine; /* read once the parent has reaped us */
		_exit(0);
	}
	err = bench_wait_flag(&ctl->ready, BENCH_SETUP_MS);
	if (!err) {
		bench_phase_begin(&ph);
		lat_start(&l, b);
		do {
			unsigned spins = 0;

			atomic_store_explicit(&ctl->ping, ++i, memory_order_release);
			while (atomic_load_explicit(&ctl->pong, memory_order_acquire) != i) {
				if (!(++spins & SPIN_CHECK) &&
				    (bench_child_dead() || bench_now() > l.end + 5000000000u)) {
					err = -ECHILD;
					break;
				}
			}
		} while (!err && lat_step(&l, out, &err));
		bench_phase_end(&ph);
		bench_phase_note(0, &ph);
	}
	atomic_store(&ctl->ping, UINT64_MAX);
	st = bench_reap(pid, 2000);
	if (!st)
		bench_phase_note(1, &ctl->phase);
	bench_shared_free(ctl, sizeof(*ctl));
	return err ? err : st ? -ECHILD : 0;
}

/* ---- (b) single-producer single-consumer ring ---- */

#define RING_SLOTS 256u /* as the virtio pool: 256 transmit buffers of 512 bytes */
#define SLOT_SIZE 512u

struct ring {
	struct bench_ctl ctl;
	_Alignas(BENCH_LINE) _Atomic uint32_t head; /* producer: next slot to fill */
	_Alignas(BENCH_LINE) _Atomic uint32_t tail; /* consumer: next slot to empty */
	_Alignas(BENCH_LINE) struct {
		uint32_t len; /* BENCH_STOP_LEN ends the run */
		uint8_t data[SLOT_SIZE - 4];
	} slot[RING_SLOTS];
};

static void ring_consumer(struct ring *r)
{
	static uint8_t sink[SLOT_SIZE];
	uint32_t tail = 0, head = 0, check = 0;
	struct win_clock wc = { 0, 0 };
	uint64_t count = 0;
	struct bench_phase ph;

	atomic_store(&r->ctl.ready, 1);
	bench_phase_begin(&ph);
	for (;;) {
		uint32_t len;

		if (tail == head) {
			head = atomic_load_explicit(&r->head, memory_order_acquire);
			if (tail == head) {
				bench_relax();
				continue;
			}
		}
		len = r->slot[tail % RING_SLOTS].len;
		if (len == BENCH_STOP_LEN)
			break;
		if (len > sizeof(r->slot[0].data)) {
			r->ctl.err = -EPROTO;
			break;
		}
		memcpy(sink, r->slot[tail % RING_SLOTS].data, len);
		bench_keep(sink);
		check += sink[len - 1];
		count++;
		atomic_store_explicit(&r->tail, ++tail, memory_order_release);
		win_tick(&r->ctl, &wc, count);
	}
	r->ctl.t_end = bench_now();
	bench_phase_end(&ph);
	r->ctl.phase = ph;
	r->ctl.count = count;
	r->ctl.check = check;
	atomic_store(&r->ctl.done, 1);
}

int run_ring_tput(size_t size, const struct bench_budget *b, struct run_result *out,
		  struct samples *win_rates)
{
	struct ring *r = bench_shared_alloc(sizeof(*r));
	uint8_t payload[SLOT_SIZE];
	struct bench_phase ph;
	uint64_t t_start, end, sent = 0;
	uint32_t head = 0, tail = 0;
	int err = 0, st;
	pid_t pid;

	if (!r)
		return -ENOMEM;
	if (size < 2 || size > sizeof(r->slot[0].data)) {
		bench_shared_free(r, sizeof(*r));
		return -EINVAL;
	}
	for (size_t i = 0; i < size; i++)
		payload[i] = (uint8_t)i;
	pid = bench_fork(bench_child_watchdog(b));
	if (pid < 0) {
		bench_shared_free(r, sizeof(*r));
		return pid;
	}
	if (pid == 0) {
		ring_consumer(r);
		_exit(0);
	}
	err = bench_wait_flag(&r->ctl.ready, BENCH_SETUP_MS);
	bench_phase_begin(&ph);
	t_start = bench_now();
	end = t_start + (uint64_t)(b->seconds * 1e9);
	/* Fill, then one more slot carrying the stop length. */
	for (bool stop = false; !err;) {
		if (head - tail == RING_SLOTS) {
			unsigned spins = 0;

			while ((tail = atomic_load_explicit(&r->tail, memory_order_acquire)) + RING_SLOTS == head) {
				bench_relax();
				if (!(++spins & SPIN_CHECK) && bench_child_dead()) {
					err = -ECHILD;
					break;
				}
			}
			if (err)
				break;
		}
		r->slot[head % RING_SLOTS].len = stop ? BENCH_STOP_LEN : (uint32_t)size;
		if (!stop)
			memcpy(r->slot[head % RING_SLOTS].data, payload, size);
		atomic_store_explicit(&r->head, ++head, memory_order_release);
		if (stop)
			break;
		sent++;
		if ((!(sent & 255) && bench_now() >= end) || (b->iters > 0 && (long)sent >= b->iters))
			stop = true;
	}
	bench_phase_end(&ph);
	if (!err)
		err = bench_wait_flag(&r->ctl.done, 5000);
	if (!err) {
		bench_phase_note(0, &ph);
		bench_phase_note(1, &r->ctl.phase);
	}
	if (!err && r->ctl.err)
		err = r->ctl.err;
	if (!err && r->ctl.count != sent)
		err = -EPROTO;
	if (!err) {
		out->msgs = r->ctl.count;
		out->ns = r->ctl.t_end - t_start;
		err = win_collect(&r->ctl, win_rates);
	}
	st = bench_reap(pid, 2000);
	bench_shared_free(r, sizeof(*r));
	return err ? err : st ? -ECHILD : 0;
}

/* ---- (c) Unix socket ping-pong ---- */

int run_socket_rtt(size_t size, const struct bench_budget *b, struct samples *out)
{
	uint8_t buf[SLOT_SIZE], back[SLOT_SIZE];
	struct bench_ctl *ctl;
	struct lat_loop l;
	int sv[2], err = 0, st;
	pid_t pid;

	if (size < 2 || size > sizeof(buf))
		return -EINVAL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	ctl = bench_shared_alloc(sizeof(*ctl));
	if (!ctl) {
		close(sv[0]);
		close(sv[1]);
		return -ENOMEM;
	}
	pid = bench_fork(bench_child_watchdog(b));
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		bench_shared_free(ctl, sizeof(*ctl));
		return pid;
	}
	if (pid == 0) {
		close(sv[0]);
		atomic_store(&ctl->ready, 1);
		for (;;) {
			ssize_t n = read(sv[1], buf, sizeof(buf));

			if (n <= BENCH_STOP_LEN)
				_exit(n == BENCH_STOP_LEN ? 0 : 2);
			if (write(sv[1], buf, (size_t)n) != n)
				_exit(3);
		}
	}
	close(sv[1]);
	memset(buf, 0x5a, size);
	err = bench_wait_flag(&ctl->ready, BENCH_SETUP_MS);
	if (!err) {
		lat_start(&l, b);
		do {
			ssize_t n;

			if (write(sv[0], buf, size) != (ssize_t)size) {
				err = -EPIPE;
				break;
			}
			n = read(sv[0], back, sizeof(back));
			if (n != (ssize_t)size) {
				err = n < 0 ? -errno : -EPIPE;
				break;
			}
		} while (lat_step(&l, out, &err));
	}
	(void)!write(sv[0], buf, BENCH_STOP_LEN);
	close(sv[0]);
	st = bench_reap(pid, 2000);
	bench_shared_free(ctl, sizeof(*ctl));
	return err ? err : st ? -ECHILD : 0;
}
