/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bare-metal platform: a firmware image on a Cortex-M/R core (or any core without an
 * operating system) talking to the main CPU through memory both see.
 *
 * The integrator gives two things: the shared memory (address and size, and the bus address
 * the peer uses for it) and a notify hook that rings the peer's doorbell (a mailbox or IPI
 * register write). In return the interrupt handler of the incoming doorbell calls
 * rpmsg_baremetal_irq(), which only records the ring; all rpmsg work happens in the
 * firmware's main loop (rpmsg_bus_poll), so the library needs no locks. Without an
 * interrupt, leave the doorbell unwired: rpmsg_bus_poll looks at the rings anyway (polling).
 *
 * Rules of a bare-metal build (RPMSG_BAREMETAL): call rpmsg_* only from one context (the
 * main loop or one RTOS task), never from an interrupt handler except rpmsg_baremetal_irq;
 * memory comes from a static arena of RPMSG_ARENA_SIZE bytes (no malloc); rpmsg_bus_fd and
 * the bus thread are not available.
 */
#ifndef RPMSG_BAREMETAL_H
#define RPMSG_BAREMETAL_H

#include <rpmsg/platform.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rpmsg_baremetal_config {
	void *shm;          /* where this core sees the shared memory */
	uint64_t shm_pa;    /* the bus address the peer uses for its first byte */
	size_t shm_size;
	int side;           /* 0 or 1: the other value from the peer's platform (GLINK and SMD
			     * use it to pick their half of a FIFO pair) */
	/* Ring the peer's doorbell `id` (required). */
	void (*notify)(void *arg, uint32_t id);
	void *notify_arg;
	/* Monotonic time in ns (optional: without it, each call counts as 1 ms passing). */
	uint64_t (*now_ns)(void *arg);
	void *now_arg;
};

/*
 * Make a platform over caller-provided storage (no allocation): `storage` must outlive the
 * platform. Returns 0 or -EINVAL.
 */
struct rpmsg_baremetal {
	struct rpmsg_platform plat;
	struct rpmsg_baremetal_config cfg;
	uint32_t rung;           /* bit per doorbell id, set by rpmsg_baremetal_irq (atomically) */
	uint64_t fake_ns;        /* the clock without a now_ns hook */
};
int rpmsg_baremetal_init(struct rpmsg_baremetal *storage, const struct rpmsg_baremetal_config *cfg,
			 struct rpmsg_platform **out);

/* From the doorbell's interrupt handler: the peer rang `id`. Safe against the main loop. */
void rpmsg_baremetal_irq(struct rpmsg_baremetal *bm, uint32_t id);

/* The static arena (bare-metal builds): bytes in use now, and the most ever in use. */
void rpmsg_baremetal_arena_usage(size_t *used, size_t *peak);

#ifdef __cplusplus
}
#endif
#endif
