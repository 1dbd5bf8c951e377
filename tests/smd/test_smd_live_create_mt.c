/*
 * SMD links created while their buses are being polled (tests/liverun.h): the remote on
 * bus a creates channel "live" at start-up, the main CPU on bus b finds it; a driver on
 * each bus binds the channel.
 */
#include <rpmsg/smd.h>

#include "liverun.h"

/* The remote first: it lays SMEM out, as the boot loader would. */
static int smd_open(struct rpmsg_bus *a, struct rpmsg_bus *b, struct rpmsg_platform **pa,
		    struct rpmsg_platform **pb, struct lr_pair *p)
{
	struct rpmsg_smd_config rcfg = { .role = RPMSG_SMD_REMOTE, .format_smem = true,
					 .channels = lr_names };
	struct rpmsg_smd_config mcfg = { .role = RPMSG_SMD_MAIN };
	int ret = lr_took(rpmsg_smd_create(a, *pa, &rcfg, &p->la), pa);

	return ret ? ret : lr_took(rpmsg_smd_create(b, *pb, &mcfg, &p->lb), pb);
}

static const struct lr_transport smd = { .name = "smd", .shm_size = 1u << 20,
					  .open = smd_open, .ready = lr_channels_ready };

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	t_timeout(100);
	lr_run(&smd, 30, 8, true);
	return t_done();
}
