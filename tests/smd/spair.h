/* Test helper: an SMD remote and main CPU in one process, over POSIX shared memory. */
#ifndef RPMSG_TEST_SPAIR_H
#define RPMSG_TEST_SPAIR_H

#include <stdio.h>
#include <unistd.h>

#include <rpmsg/platform.h>
#include <rpmsg/rpmsg.h>
#include <rpmsg/smd.h>

struct spair {
	char name[48];
	struct rpmsg_bus *bm, *br; /* main CPU and remote buses */
	struct rpmsg_link *lm, *lr;
};

/* The remote first (it formats SMEM, as the boot loader would), then the main CPU. */
static inline int spair_open(struct spair *p, const char *tag, const struct rpmsg_smd_config *mcfg,
			     const struct rpmsg_smd_config *rcfg, size_t shm_size)
{
	struct rpmsg_smd_config m = { .role = RPMSG_SMD_MAIN }, r = { .role = RPMSG_SMD_REMOTE };
	struct rpmsg_platform *pm, *pr;
	int ret;

	if (mcfg)
		m = *mcfg;
	if (rcfg)
		r = *rcfg;
	m.role = RPMSG_SMD_MAIN;
	r.role = RPMSG_SMD_REMOTE;
	r.format_smem = true;
	snprintf(p->name, sizeof(p->name), "t-%s-%d", tag, (int)getpid());
	rpmsg_posix_unlink(p->name);
	if ((ret = rpmsg_posix_create(p->name, shm_size ? shm_size : (1u << 20), &pr)))
		return ret;
	if ((ret = rpmsg_bus_create(&p->br)) || (ret = rpmsg_bus_create(&p->bm)))
		return ret;
	if ((ret = rpmsg_smd_create(p->br, pr, &r, &p->lr)))
		return ret;
	if ((ret = rpmsg_posix_attach(p->name, &pm)))
		return ret;
	return rpmsg_smd_create(p->bm, pm, &m, &p->lm);
}

/* Poll both sides until neither has anything to do (or `rounds` passes). */
static inline int spair_pump(struct spair *p, int rounds)
{
	int total = 0;

	for (int i = 0; i < rounds; i++) {
		int n = rpmsg_bus_poll(p->br, 0) + rpmsg_bus_poll(p->bm, 0);

		total += n;
		if (n == 0 && i > 2)
			break;
	}
	return total;
}

static inline void spair_close(struct spair *p)
{
	rpmsg_bus_destroy(p->bm);
	rpmsg_bus_destroy(p->br);
	rpmsg_posix_unlink(p->name);
}

#endif
