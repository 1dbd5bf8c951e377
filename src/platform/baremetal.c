/*
 * The bare-metal platform (include/rpmsg/baremetal.h): doorbells are bits an interrupt
 * handler sets and the main loop clears, notify is the integrator's hook. It has no OS
 * dependency, so the host build compiles it too and tests it in one process.
 */
#include <errno.h>
#include <string.h>

#include <rpmsg/baremetal.h>

#include "core/os.h"
#include "platform/arena.h"

static struct rpmsg_baremetal *to_bm(struct rpmsg_platform *p)
{
	return p->priv;
}

static uint32_t bit(uint32_t id)
{
	return id < RPMSG_PLATFORM_BELLS ? 1u << id : 0;
}

/* Take the ring of `id` if there is one. */
static int consume(struct rpmsg_baremetal *bm, uint32_t id)
{
	return (__atomic_fetch_and(&bm->rung, ~bit(id), __ATOMIC_ACQ_REL) & bit(id)) != 0;
}

static uint64_t bm_now(struct rpmsg_baremetal *bm)
{
	if (bm->cfg.now_ns)
		return bm->cfg.now_ns(bm->cfg.now_arg);
	return bm->fake_ns += 1000000u;
}

static int bm_notify(struct rpmsg_platform *p, uint32_t id)
{
	struct rpmsg_baremetal *bm = to_bm(p);

	if (id >= RPMSG_PLATFORM_BELLS)
		return -EINVAL;
	bm->cfg.notify(bm->cfg.notify_arg, id);
	return 0;
}

static int bm_wait(struct rpmsg_platform *p, uint32_t id, int timeout_ms)
{
	struct rpmsg_baremetal *bm = to_bm(p);
	uint64_t deadline = bm_now(bm) + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000u;

	if (id >= RPMSG_PLATFORM_BELLS)
		return -EINVAL;
	for (;;) {
		if (consume(bm, id))
			return 0;
		if (timeout_ms == 0 || (timeout_ms > 0 && bm_now(bm) >= deadline))
			return -ETIMEDOUT;
		rpmsg_os_yield();
	}
}

static int bm_arm(struct rpmsg_platform *p, uint32_t id)
{
	return (__atomic_load_n(&to_bm(p)->rung, __ATOMIC_ACQUIRE) & bit(id)) != 0;
}

static int bm_ack(struct rpmsg_platform *p, uint32_t id)
{
	return consume(to_bm(p), id);
}

static int bm_fd(struct rpmsg_platform *p, uint32_t id)
{
	(void)p;
	(void)id;
	return -1;
}

static uint64_t bm_now_ns(struct rpmsg_platform *p)
{
	return bm_now(to_bm(p));
}

static void bm_destroy(struct rpmsg_platform *p)
{
	(void)p; /* the storage is the caller's */
}

static const struct rpmsg_platform_ops bm_ops = {
	.notify = bm_notify,
	.wait = bm_wait,
	.arm = bm_arm,
	.ack = bm_ack,
	.fd = bm_fd,
	.now_ns = bm_now_ns,
	.destroy = bm_destroy,
};

#if RPMSG_BAREMETAL
static struct rpmsg_baremetal *clock_owner; /* the core's clock: the first platform's */
#endif

int rpmsg_baremetal_init(struct rpmsg_baremetal *bm, const struct rpmsg_baremetal_config *cfg,
			 struct rpmsg_platform **out)
{
	if (!bm || !cfg || !out || !cfg->shm || !cfg->shm_size || !cfg->notify ||
	    (cfg->side != 0 && cfg->side != 1))
		return -EINVAL;
	memset(bm, 0, sizeof(*bm));
	bm->cfg = *cfg;
	bm->plat.ops = &bm_ops;
	bm->plat.shm = (struct rpmsg_shm){ cfg->shm, cfg->shm_pa, cfg->shm_size };
	bm->plat.side = cfg->side;
	bm->plat.priv = bm;
#if RPMSG_BAREMETAL
	if (!clock_owner)
		clock_owner = bm;
#endif
	*out = &bm->plat;
	return 0;
}

void rpmsg_baremetal_irq(struct rpmsg_baremetal *bm, uint32_t id)
{
	__atomic_fetch_or(&bm->rung, bit(id), __ATOMIC_ACQ_REL);
}

#if RPMSG_BAREMETAL
#ifndef RPMSG_ARENA_SIZE
#define RPMSG_ARENA_SIZE 8192
#endif

static uint64_t arena_mem[RPMSG_ARENA_SIZE / sizeof(uint64_t)];
static struct bm_arena arena;

void *rpmsg_os_zalloc(size_t size)
{
	if (!arena.mem)
		bm_arena_init(&arena, arena_mem, sizeof(arena_mem));
	return bm_arena_zalloc(&arena, size);
}

void rpmsg_os_free(void *p)
{
	bm_arena_free(&arena, p);
}

void rpmsg_baremetal_arena_usage(size_t *used, size_t *peak)
{
	if (used)
		*used = arena.used;
	if (peak)
		*peak = arena.peak;
}

uint64_t rpmsg_os_now_ns(void)
{
	static uint64_t ticks;

	return clock_owner ? bm_now(clock_owner) : (ticks += 1000000u);
}
#endif
