/*
 * Virtio links created while their buses are being polled (tests/liverun.h): a device on
 * bus a, its driver on bus b, with an endpoint each at fixed addresses.
 */
#include <rpmsg/virtio.h>

#include "liverun.h"

#define DEV_ADDR 1024u
#define DRV_ADDR 1025u

/* The device first: the driver reads the resource table it publishes. */
static int vio_open(struct rpmsg_bus *a, struct rpmsg_bus *b, struct rpmsg_platform **pa,
		    struct rpmsg_platform **pb, struct lr_pair *p)
{
	struct rpmsg_virtio_config vcfg = { .role = RPMSG_VIRTIO_DEVICE, .vring_num = 16 };
	struct rpmsg_virtio_config dcfg = { .role = RPMSG_VIRTIO_DRIVER };
	int ret = lr_took(rpmsg_virtio_create(a, *pa, &vcfg, &p->la), pa);

	return ret ? ret : lr_took(rpmsg_virtio_create(b, *pb, &dcfg, &p->lb), pb);
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

static const struct lr_transport vio = { .name = "virtio", .shm_size = 1u << 20,
					  .open = vio_open, .ready = vio_ready };

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	t_timeout(100);
	lr_run(&vio, 40, 10, false);
	return t_done();
}
