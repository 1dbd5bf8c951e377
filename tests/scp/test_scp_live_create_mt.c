/*
 * SCP links created while their buses are being polled (tests/liverun.h): the SCP on bus a
 * creates channel "live" on IPI 10 and announces it, the AP on bus b learns it; a driver on
 * each bus binds the channel.
 */
#include <rpmsg/scp.h>

#include "liverun.h"

static int scp_open(struct rpmsg_bus *a, struct rpmsg_bus *b, const char *shm, struct lr_pair *p)
{
	struct rpmsg_scp_config rcfg = { .role = RPMSG_SCP_REMOTE };
	struct rpmsg_scp_config hcfg = { .role = RPMSG_SCP_HOST };
	struct rpmsg_channel_info ci = { .name = "live", .src = 10, .dst = RPMSG_ADDR_ANY };
	struct rpmsg_platform *pr, *ph;
	int ret;

	if ((ret = rpmsg_posix_create(shm, 64 * 1024, &ph)))
		return ret;
	if ((ret = rpmsg_posix_attach(shm, &pr))) {
		ph->ops->destroy(ph);
		return ret;
	}
	/* The AP first (it holds the SCP in reset until its link exists), then the SCP. */
	if ((ret = rpmsg_scp_create(b, ph, &hcfg, &p->lb))) {
		ph->ops->destroy(ph);
		pr->ops->destroy(pr);
		return ret;
	}
	if ((ret = rpmsg_scp_create(a, pr, &rcfg, &p->la))) {
		pr->ops->destroy(pr);
		return ret;
	}
	return rpmsg_create_channel(p->la, &ci, NULL);
}

static const struct lr_transport scp = { .name = "scp", .open = scp_open,
					 .ready = lr_channels_ready };

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	t_timeout(100);
	lr_run(&scp, 30, 8, true);
	return t_done();
}
