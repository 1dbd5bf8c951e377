/*
 * Virtio links created while their buses are being polled (tests/liverun.h): a device on
 * bus a, its driver on bus b, with an endpoint each at fixed addresses.
 */
#include <rpmsg/virtio.h>

#include "liverun.h"

#define DEV_ADDR 1024u
#define DRV_ADDR 1025u

/* The device first: the driver reads the resource table it publishes. */
static int vio_open(struct rpmsg_bus *a, struct rpmsg_bus *b, const char *shm, struct lr_pair *p)
{
	struct rpmsg_virtio_config vcfg = { .role = RPMSG_VIRTIO_DEVICE, .vring_num = 16 };
	struct rpmsg_virtio_config dcfg = { .role = RPMSG_VIRTIO_DRIVER };
	struct rpmsg_platform *pv, *pd;
	int ret;

	if ((ret = rpmsg_posix_create(shm, 1u << 20, &pv)))
		return ret;
	if ((ret = rpmsg_posix_attach(shm, &pd))) {
		pv->ops->destroy(pv);
		return ret;
	}
	if ((ret = rpmsg_virtio_create(a, pv, &vcfg, &p->la))) {
		pv->ops->destroy(pv);
		pd->ops->destroy(pd);
		return ret;
	}
	if ((ret = rpmsg_virtio_create(b, pd, &dcfg, &p->lb)))
		pd->ops->destroy(pd);
	return ret;
}

static bool vio_ready(struct lr_pair *p)
{
	struct rpmsg_channel_info vi = { .name = "live", .src = DEV_ADDR, .dst = DRV_ADDR };
	struct rpmsg_channel_info di = { .name = "live", .src = DRV_ADDR, .dst = DEV_ADDR };

	if (!rpmsg_link_is_up(p->la) || !rpmsg_link_is_up(p->lb))
		return false;
	CHECK_EQ(rpmsg_create_ept(p->la, &vi, lr_rx, &lr_got[0], &p->ea), 0);
	CHECK_EQ(rpmsg_create_ept(p->lb, &di, lr_rx, &lr_got[1], &p->eb), 0);
	return p->ea && p->eb;
}

static const struct lr_transport vio = { .name = "virtio", .open = vio_open, .ready = vio_ready };

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	t_timeout(100);
	lr_run(&vio, 40, 10, false);
	return t_done();
}
