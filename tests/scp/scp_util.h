/* Test helper: an SCP AP (host) and SCP (remote) pair in one process over POSIX shared memory. */
#ifndef RPMSG_TEST_SCP_UTIL_H
#define RPMSG_TEST_SCP_UTIL_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rpmsg/platform.h>
#include <rpmsg/rpmsg.h>
#include <rpmsg/scp.h>

struct spair {
	char name[48];
	struct rpmsg_bus *bh, *br;   /* host (AP) and remote (SCP) buses */
	struct rpmsg_link *lh, *lr;
	uint8_t *shm;                /* the host's view of the memory */
	size_t size;
};

/* Little-endian words, built here from the spec, not from library code. */
static inline void sp_p32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t sp_g32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Host first (it creates the memory), then optionally the remote. */
static inline int spair_open(struct spair *p, const char *tag, const struct rpmsg_scp_config *hcfg,
			     const struct rpmsg_scp_config *rcfg, size_t size, int with_remote)
{
	struct rpmsg_scp_config h = { .role = RPMSG_SCP_HOST }, r = { .role = RPMSG_SCP_REMOTE };
	struct rpmsg_platform *ph, *pr;
	int ret;

	memset(p, 0, sizeof(*p));
	if (hcfg)
		h = *hcfg;
	if (rcfg)
		r = *rcfg;
	h.role = RPMSG_SCP_HOST;
	r.role = RPMSG_SCP_REMOTE;
	p->size = size ? size : 64 * 1024;
	snprintf(p->name, sizeof(p->name), "t-scp-%s-%d", tag, (int)getpid());
	rpmsg_posix_unlink(p->name);
	if ((ret = rpmsg_posix_create(p->name, p->size, &ph)))
		return ret;
	p->shm = ph->shm.va;
	if ((ret = rpmsg_bus_create(&p->bh)) || (ret = rpmsg_bus_create(&p->br)))
		return ret;
	if ((ret = rpmsg_scp_create(p->bh, ph, &h, &p->lh)))
		return ret;
	if (!with_remote)
		return 0;
	if ((ret = rpmsg_posix_attach(p->name, &pr)))
		return ret;
	return rpmsg_scp_create(p->br, pr, &r, &p->lr);
}

/* Poll both sides until neither has anything to do. */
static inline int spair_pump(struct spair *p, int rounds)
{
	int total = 0;

	for (int i = 0; i < rounds; i++) {
		int n = rpmsg_bus_poll(p->br, 0) + rpmsg_bus_poll(p->bh, 0);

		total += n;
		if (n == 0)
			break;
	}
	return total;
}

static inline void spair_close(struct spair *p)
{
	rpmsg_bus_destroy(p->bh);
	rpmsg_bus_destroy(p->br);
	rpmsg_posix_unlink(p->name);
}

#endif
