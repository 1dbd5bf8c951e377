/* Test helper: a virtio driver and device in one process, over POSIX shared memory. */
#ifndef RPMSG_TEST_VPAIR_H
#define RPMSG_TEST_VPAIR_H

#include <stdio.h>
#include <unistd.h>

#include <rpmsg/platform.h>
#include <rpmsg/rpmsg.h>
#include <rpmsg/virtio.h>

struct vpair {
	char name[48];
	struct rpmsg_bus *bd, *bv;  /* driver (main CPU) and device (remote) buses */
	struct rpmsg_link *ld, *lv;
	struct rpmsg_platform *pv;  /* the device's platform (owned by its link once created) */
};

/* Device first (it writes the resource table), then the driver. Returns 0 or -errno. */
static inline int vpair_open(struct vpair *p, const char *tag, const struct rpmsg_virtio_config *dcfg,
			     const struct rpmsg_virtio_config *vcfg, size_t shm_size)
{
	struct rpmsg_virtio_config d = { .role = RPMSG_VIRTIO_DRIVER }, v = { .role = RPMSG_VIRTIO_DEVICE };
	struct rpmsg_platform *pd;
	int ret;

	if (dcfg)
		d = *dcfg;
	if (vcfg)
		v = *vcfg;
	d.role = RPMSG_VIRTIO_DRIVER;
	v.role = RPMSG_VIRTIO_DEVICE;
	snprintf(p->name, sizeof(p->name), "t-%s-%d", tag, (int)getpid());
	rpmsg_posix_unlink(p->name);
	if ((ret = rpmsg_posix_create(p->name, shm_size ? shm_size : (1u << 20), &p->pv)))
		return ret;
	if ((ret = rpmsg_bus_create(&p->bv)) || (ret = rpmsg_bus_create(&p->bd)))
		return ret;
	if ((ret = rpmsg_virtio_create(p->bv, p->pv, &v, &p->lv)))
		return ret;
	if ((ret = rpmsg_posix_attach(p->name, &pd)))
		return ret;
	if ((ret = rpmsg_virtio_create(p->bd, pd, &d, &p->ld)))
		return ret;
	/* The device notices DRIVER_OK on its next poll. */
	for (int i = 0; i < 100 && !rpmsg_link_is_up(p->lv); i++)
		rpmsg_bus_poll(p->bv, 10);
	return rpmsg_link_is_up(p->lv) ? 0 : -ETIMEDOUT;
}

/* Poll both sides until neither has anything to do (or `rounds` passes). */
static inline int vpair_pump(struct vpair *p, int rounds)
{
	int total = 0;

	for (int i = 0; i < rounds; i++) {
		int n = rpmsg_bus_poll(p->bv, 0) + rpmsg_bus_poll(p->bd, 0);

		total += n;
		if (n == 0)
			break;
	}
	return total;
}

static inline void vpair_close(struct vpair *p)
{
	rpmsg_bus_destroy(p->bd);
	rpmsg_bus_destroy(p->bv);
	rpmsg_posix_unlink(p->name);
}

#endif
