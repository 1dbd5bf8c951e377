/*
 * SCP links created while their buses are being polled (tests/liverun.h): the SCP on bus a
 * creates channel "live" on IPI 10 and announces it, the AP on bus b learns it; a driver on
 * each bus binds the channel.
 */
#include <rpmsg/scp.h>

#include "liverun.h"

/* The SCP first, then the AP (either order works); the SCP's channel is announced once up. */
static int scp_open(struct rpmsg_bus *a, struct rpmsg_bus *b, struct rpmsg_platform **pa,
		    struct rpmsg_platform **pb, struct lr_pair *p)
{
	struct rpmsg_scp_config rcfg = { .role = RPMSG_SCP_REMOTE };
	struct rpmsg_scp_config hcfg = { .role = RPMSG_SCP_HOST };
	struct rpmsg_channel_info ci = { .name = "live", .src = 10, .dst = RPMSG_ADDR_ANY };
	int ret = lr_took(rpmsg_scp_create(a, *pa, &rcfg, &p->la), pa);

	if (!ret)
		ret = rpmsg_create_channel(p->la, &ci, NULL);
	return ret ? ret : lr_took(rpmsg_scp_create(b, *pb, &hcfg, &p->lb), pb);
}

static const struct lr_transport scp = { .name = "scp", .shm_size = 64 * 1024,
					  .open = scp_open, .ready = lr_channels_ready };

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	t_timeout(100);
	lr_run(&scp, 30, 8, true);
	return t_done();
}
