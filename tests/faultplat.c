/* Doorbell fault injection for tests: see faultplat.h. */
#include "faultplat.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define SCRIPT_MAX 64

struct faultplat {
	struct rpmsg_platform plat; /* what the transport sees; priv points back here */
	struct rpmsg_platform *inner;
	bool inner_gone;
	pthread_mutex_t mu;
	uint64_t rng;
	struct faultplat_cfg cfg;
	char script[SCRIPT_MAX];
	unsigned script_pos, script_len;
	uint32_t held[RPMSG_PLATFORM_BELLS]; /* delayed rings per bell id, not yet rung */
	struct faultplat_stats st;
};

static struct faultplat *to_fp(struct rpmsg_platform *p)
{
	return p->priv;
}

/* splitmix64: small, good enough, and the same sequence everywhere. */
static uint64_t next_rand(struct faultplat *f)
{
	uint64_t z = (f->rng += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static bool applies(const struct faultplat *f, uint32_t id)
{
	return !f->cfg.bells || (id < 32 && (f->cfg.bells & (1u << id)));
}

/* Ring what was held back, under the lock (the inner notify is cheap and never blocks). */
static int release_locked(struct faultplat *f)
{
	int n = 0;

	for (uint32_t id = 0; id < RPMSG_PLATFORM_BELLS; id++) {
		while (f->held[id]) {
			f->held[id]--;
			f->inner->ops->notify(f->inner, id);
			n++;
		}
	}
	return n;
}

static int fp_notify(struct rpmsg_platform *p, uint32_t id)
{
	struct faultplat *f = to_fp(p);
	char fate = '.';
	int ret = 0;

	pthread_mutex_lock(&f->mu);
	f->st.notifies++;
	if (applies(f, id)) {
		if (f->script_pos < f->script_len) {
			fate = f->script[f->script_pos++];
		} else {
			unsigned r = (unsigned)(next_rand(f) % 1000u);

			if (r < f->cfg.drop_pm)
				fate = 'x';
			else if (r < f->cfg.drop_pm + f->cfg.dup_pm)
				fate = 'd';
			else if (r < f->cfg.drop_pm + f->cfg.dup_pm + f->cfg.delay_pm)
				fate = 'l';
		}
	}
	switch (fate) {
	case 'x':
		f->st.dropped++;
		break;
	case 'l':
		if (id < RPMSG_PLATFORM_BELLS) {
			f->held[id]++;
			f->st.delayed++;
			break;
		}
		__attribute__((fallthrough)); /* an id we cannot hold passes */
	default:
		release_locked(f); /* the late ones first: they were due before this one */
		ret = f->inner->ops->notify(f->inner, id);
		if (fate == 'd') {
			f->inner->ops->notify(f->inner, id);
			f->st.duplicated++;
		} else {
			f->st.passed++;
		}
		break;
	}
	pthread_mutex_unlock(&f->mu);
	return ret;
}

/* Should this wait()/arm() report a ring the peer never made? */
static bool spurious(struct faultplat *f, uint32_t id)
{
	bool yes = false;

	pthread_mutex_lock(&f->mu);
	if (f->cfg.spurious_pm && applies(f, id) &&
	    next_rand(f) % 1000u < f->cfg.spurious_pm) {
		f->st.spurious++;
		yes = true;
	}
	pthread_mutex_unlock(&f->mu);
	return yes;
}

static int fp_wait(struct rpmsg_platform *p, uint32_t id, int timeout_ms)
{
	struct faultplat *f = to_fp(p);

	if (spurious(f, id))
		return 0;
	return f->inner->ops->wait(f->inner, id, timeout_ms);
}

static int fp_arm(struct rpmsg_platform *p, uint32_t id)
{
	struct faultplat *f = to_fp(p);
	int r = f->inner->ops->arm(f->inner, id);

	if (r <= 0 && spurious(f, id))
		return 1;
	return r;
}

static int fp_ack(struct rpmsg_platform *p, uint32_t id)
{
	struct faultplat *f = to_fp(p);

	return f->inner->ops->ack(f->inner, id);
}

static int fp_fd(struct rpmsg_platform *p, uint32_t id)
{
	struct faultplat *f = to_fp(p);

	return f->inner->ops->fd ? f->inner->ops->fd(f->inner, id) : -1;
}

static uint64_t fp_now(struct rpmsg_platform *p)
{
	struct faultplat *f = to_fp(p);

	return f->inner->ops->now_ns(f->inner);
}

static void fp_destroy(struct rpmsg_platform *p)
{
	struct faultplat *f = to_fp(p);

	pthread_mutex_lock(&f->mu);
	if (!f->inner_gone) {
		f->inner_gone = true;
		if (f->inner->ops->destroy)
			f->inner->ops->destroy(f->inner);
	}
	pthread_mutex_unlock(&f->mu);
}

/* The fence pact passes through: the fault scenarios run with the peer's lighter publish. */
static uint32_t *fp_pact_words(struct rpmsg_platform *p)
{
	struct faultplat *f = to_fp(p);

	return f->inner->ops->pact_words ? f->inner->ops->pact_words(f->inner) : NULL;
}

static void fp_sleep_fence(struct rpmsg_platform *p)
{
	struct faultplat *f = to_fp(p);

	if (f->inner->ops->sleep_fence)
		f->inner->ops->sleep_fence(f->inner);
	else
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static const struct rpmsg_platform_ops faultplat_ops = {
	.notify = fp_notify, .wait = fp_wait, .arm = fp_arm, .ack = fp_ack, .fd = fp_fd,
	.now_ns = fp_now, .destroy = fp_destroy, .pact_words = fp_pact_words,
	.sleep_fence = fp_sleep_fence,
};

int faultplat_wrap(struct rpmsg_platform *inner, uint64_t seed, struct faultplat **out)
{
	struct faultplat *f;

	if (!inner || !inner->ops || !out)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	pthread_mutex_init(&f->mu, NULL);
	f->inner = inner;
	f->rng = seed;
	f->plat.ops = &faultplat_ops;
	f->plat.shm = inner->shm;
	f->plat.side = inner->side;
	f->plat.priv = f;
	*out = f;
	return 0;
}

struct rpmsg_platform *faultplat_platform(struct faultplat *f)
{
	return &f->plat;
}

void faultplat_set(struct faultplat *f, const struct faultplat_cfg *cfg)
{
	pthread_mutex_lock(&f->mu);
	f->cfg = *cfg;
	pthread_mutex_unlock(&f->mu);
}

void faultplat_script(struct faultplat *f, const char *plan)
{
	size_t n = strlen(plan);

	if (n >= SCRIPT_MAX)
		n = SCRIPT_MAX - 1;
	pthread_mutex_lock(&f->mu);
	memcpy(f->script, plan, n);
	f->script_len = (unsigned)n;
	f->script_pos = 0;
	pthread_mutex_unlock(&f->mu);
}

unsigned faultplat_script_left(struct faultplat *f)
{
	unsigned n;

	pthread_mutex_lock(&f->mu);
	n = f->script_len - f->script_pos;
	pthread_mutex_unlock(&f->mu);
	return n;
}

int faultplat_ring(struct faultplat *f, uint32_t id)
{
	int ret;

	pthread_mutex_lock(&f->mu);
	f->st.rings++;
	ret = f->inner_gone ? -EPIPE : f->inner->ops->notify(f->inner, id);
	pthread_mutex_unlock(&f->mu);
	return ret;
}

int faultplat_release(struct faultplat *f)
{
	int n = 0;

	pthread_mutex_lock(&f->mu);
	if (!f->inner_gone)
		n = release_locked(f);
	pthread_mutex_unlock(&f->mu);
	return n;
}

void faultplat_get_stats(struct faultplat *f, struct faultplat_stats *out)
{
	pthread_mutex_lock(&f->mu);
	*out = f->st;
	pthread_mutex_unlock(&f->mu);
}

void faultplat_free(struct faultplat *f)
{
	if (!f)
		return;
	fp_destroy(&f->plat);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

uint64_t faultplat_seed(uint64_t dflt)
{
	const char *e = getenv("RPMSG_FAULT_SEED");
	uint64_t seed = e && *e ? strtoull(e, NULL, 0) : dflt;

	printf("fault seed %" PRIu64 " (RPMSG_FAULT_SEED overrides)\n", seed);
	return seed;
}
