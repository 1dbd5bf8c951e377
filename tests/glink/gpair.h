/* Test helper: a GLINK remote and main CPU in one process, over POSIX shared memory. */
#ifndef RPMSG_TEST_GPAIR_H
#define RPMSG_TEST_GPAIR_H

#include <stdio.h>
#include <unistd.h>

#include <rpmsg/glink.h>
#include <rpmsg/platform.h>
#include <rpmsg/rpmsg.h>

struct gpair {
	char name[48];
	struct rpmsg_bus *bm, *br; /* main CPU and remote buses */
	struct rpmsg_link *lm, *lr;
};

/* The remote first (it lays the memory out), then the main CPU. Drivers: register before. */
static inline int gpair_open(struct gpair *p, const char *tag, const struct rpmsg_glink_config *mcfg,
			     const struct rpmsg_glink_config *rcfg, size_t shm_size)
{
	struct rpmsg_glink_config m = { .role = RPMSG_GLINK_MAIN }, r = { .role = RPMSG_GLINK_REMOTE };
	struct rpmsg_platform *pm, *pr;
	int ret;

	if (mcfg)
		m = *mcfg;
	if (rcfg)
		r = *rcfg;
	m.role = RPMSG_GLINK_MAIN;
	r.role = RPMSG_GLINK_REMOTE;
	r.format_smem = true;
	snprintf(p->name, sizeof(p->name), "t-%s-%d", tag, (int)getpid());
	rpmsg_posix_unlink(p->name);
	if ((ret = rpmsg_posix_create(p->name, shm_size ? shm_size : (1u << 20), &pr)))
		return ret;
	if (!p->br && (ret = rpmsg_bus_create(&p->br)))
		return ret;
	if (!p->bm && (ret = rpmsg_bus_create(&p->bm)))
		return ret;
	if ((ret = rpmsg_glink_create(p->br, pr, &r, &p->lr)))
		return ret;
	if ((ret = rpmsg_posix_attach(p->name, &pm)))
		return ret;
	return rpmsg_glink_create(p->bm, pm, &m, &p->lm);
}

/* Poll both sides until neither has anything to do (or `rounds` passes). */
static inline int gpair_pump(struct gpair *p, int rounds)
{
	int total = 0, idle = 0;

	for (int i = 0; i < rounds; i++) {
		int n = rpmsg_bus_poll(p->br, 0) + rpmsg_bus_poll(p->bm, 0);

		total += n;
		idle = n == 0 ? idle + 1 : 0;
		if (idle > 3)
			break;
	}
	return total;
}

static inline void gpair_close(struct gpair *p)
{
	rpmsg_bus_destroy(p->bm);
	rpmsg_bus_destroy(p->br);
	rpmsg_posix_unlink(p->name);
}

#endif
