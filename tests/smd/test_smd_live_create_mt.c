/*
 * SMD links created while their buses are being polled (tests/liverun.h): the remote on
 * bus a creates channel "live" at start-up, the main CPU on bus b finds it; a driver on
 * each bus binds the channel.
 */
#include <rpmsg/smd.h>

#include "liverun.h"

static int smd_open(struct rpmsg_bus *a, struct rpmsg_bus *b, const char *shm, struct lr_pair *p)
{
	struct rpmsg_smd_config rcfg = { .role = RPMSG_SMD_REMOTE, .format_smem = true,
					 .channels = lr_names };
	struct rpmsg_smd_config mcfg = { .role = RPMSG_SMD_MAIN };
	struct rpmsg_platform *pr, *pm;
	int ret;

	if ((ret = rpmsg_posix_create(shm, 1u << 20, &pr)))
		return ret;
	if ((ret = rpmsg_posix_attach(shm, &pm))) {
		pr->ops->destroy(pr);
		return ret;
	}
	/* The remote first: it lays SMEM out, as the boot loader would. */
	if ((ret = rpmsg_smd_create(a, pr, &rcfg, &p->la))) {
		pr->ops->destroy(pr);
		pm->ops->destroy(pm);
		return ret;
	}
	if ((ret = rpmsg_smd_create(b, pm, &mcfg, &p->lb)))
		pm->ops->destroy(pm);
	return ret;
}

static const struct lr_transport smd = { .name = "smd", .open = smd_open,
					 .ready = lr_channels_ready };

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	t_timeout(100);
	lr_run(&smd, 30, 8, true);
	return t_done();
}
