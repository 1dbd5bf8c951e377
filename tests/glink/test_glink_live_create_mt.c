/*
 * GLINK links created while their buses are being polled (tests/liverun.h), both flavours:
 * the remote on bus a opens channel "live" at start-up, the main CPU on bus b answers it;
 * a driver on each bus binds the channel.
 */
#include <rpmsg/glink.h>

#include "liverun.h"

/* The remote first: it lays the memory out. */
static int open_flavour(struct rpmsg_bus *a, struct rpmsg_bus *b, struct rpmsg_platform **pa,
			struct rpmsg_platform **pb, struct lr_pair *p, enum rpmsg_glink_flavour flavour)
{
	struct rpmsg_glink_config rcfg = { .role = RPMSG_GLINK_REMOTE, .flavour = flavour,
					   .format_smem = true, .channels = lr_names };
	struct rpmsg_glink_config mcfg = { .role = RPMSG_GLINK_MAIN, .flavour = flavour };
	int ret = lr_took(rpmsg_glink_create(a, *pa, &rcfg, &p->la), pa);

	return ret ? ret : lr_took(rpmsg_glink_create(b, *pb, &mcfg, &p->lb), pb);
}

static int smem_open(struct rpmsg_bus *a, struct rpmsg_bus *b, struct rpmsg_platform **pa,
		     struct rpmsg_platform **pb, struct lr_pair *p)
{
	return open_flavour(a, b, pa, pb, p, RPMSG_GLINK_SMEM);
}

static int rpm_open(struct rpmsg_bus *a, struct rpmsg_bus *b, struct rpmsg_platform **pa,
		    struct rpmsg_platform **pb, struct lr_pair *p)
{
	return open_flavour(a, b, pa, pb, p, RPMSG_GLINK_RPM);
}

static const struct lr_transport smem = { .name = "glink-smem", .shm_size = 1u << 20,
					  .open = smem_open, .ready = lr_channels_ready };
static const struct lr_transport rpm = { .name = "glink-rpm", .shm_size = 16384,
					  .open = rpm_open, .ready = lr_channels_ready };

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	t_timeout(100);
	lr_run(&smem, 20, 5, true);
	lr_run(&rpm, 20, 5, true);
	return t_done();
}
