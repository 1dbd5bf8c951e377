/*
 * GLINK links created while their buses are being polled (tests/liverun.h), both flavours:
 * the remote on bus a opens channel "live" at start-up, the main CPU on bus b answers it;
 * a driver on each bus binds the channel.
 */
#include <rpmsg/glink.h>

#include "liverun.h"

static int open_flavour(struct rpmsg_bus *a, struct rpmsg_bus *b, const char *shm,
			struct lr_pair *p, enum rpmsg_glink_flavour flavour, size_t size)
{
	struct rpmsg_glink_config rcfg = { .role = RPMSG_GLINK_REMOTE, .flavour = flavour,
					   .format_smem = true, .channels = lr_names };
	struct rpmsg_glink_config mcfg = { .role = RPMSG_GLINK_MAIN, .flavour = flavour };
	struct rpmsg_platform *pr, *pm;
	int ret;

	if ((ret = rpmsg_posix_create(shm, size, &pr)))
		return ret;
	if ((ret = rpmsg_posix_attach(shm, &pm))) {
		pr->ops->destroy(pr);
		return ret;
	}
	/* The remote first: it lays the memory out. */
	if ((ret = rpmsg_glink_create(a, pr, &rcfg, &p->la))) {
		pr->ops->destroy(pr);
		pm->ops->destroy(pm);
		return ret;
	}
	if ((ret = rpmsg_glink_create(b, pm, &mcfg, &p->lb)))
		pm->ops->destroy(pm);
	return ret;
}

static int smem_open(struct rpmsg_bus *a, struct rpmsg_bus *b, const char *shm, struct lr_pair *p)
{
	return open_flavour(a, b, shm, p, RPMSG_GLINK_SMEM, 1u << 20);
}

static int rpm_open(struct rpmsg_bus *a, struct rpmsg_bus *b, const char *shm, struct lr_pair *p)
{
	return open_flavour(a, b, shm, p, RPMSG_GLINK_RPM, 16384);
}

static const struct lr_transport smem = { .name = "glink-smem", .open = smem_open,
					  .ready = lr_channels_ready };
static const struct lr_transport rpm = { .name = "glink-rpm", .open = rpm_open,
					 .ready = lr_channels_ready };

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	t_timeout(100);
	lr_run(&smem, 20, 5, true);
	lr_run(&rpm, 20, 5, true);
	return t_done();
}
