/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Linux kernel's own rpmsg bus as a link (main-CPU role, Linux user space only): the
 * remote processor is driven by the kernel (remoteproc + virtio_rpmsg_bus, qcom_glink,
 * qcom_smd), and this transport reaches it through the kernel's character devices:
 * /dev/rpmsg_ctrlN for one edge, one /dev/rpmsgN per endpoint (spec 50-uapi).
 *
 * - Channels: the edge's rpmsg devices in /sys/bus/rpmsg/devices (minus the control and
 *   name-service devices) appear as channels of the link, and follow the kernel's: the
 *   kernel's uevents trigger a rescan (rpmsg_chrdev_rescan() does one on demand).
 * - Endpoints: each endpoint of the link is a kernel endpoint made through
 *   RPMSG_CREATE_EPT_IOCTL at the same address (a dynamic address the kernel already uses
 *   is skipped), or the channel's own /dev/rpmsgN where rpmsg_char holds the channel
 *   (rpmsg-raw). Closing it destroys the kernel endpoint.
 *
 * Limits the kernel's interface sets (each returns -EOPNOTSUPP, never a silent change):
 * - a kernel endpoint sends only to the destination fixed when it was made, from its own
 *   address: give the endpoint a dst at creation; sendto another dst, or an offchannel src,
 *   is refused;
 * - read() does not say who sent a message: callbacks get the endpoint's dst as src;
 * - the MTU is known only on virtio edges (496 bytes, the Linux default buffers);
 * - flow control needs RPMSG_SET_INCOMING_FLOWCONTROL (Linux 6.5 on, GLINK edges);
 * - local channels (rpmsg_create_channel) are not announced through this link.
 */
#ifndef RPMSG_CHRDEV_H
#define RPMSG_CHRDEV_H

#include <rpmsg/rpmsg.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rpmsg_chrdev_config {
	const char *name;  /* link name (default: the control node's name, "rpmsg_ctrl0") */
	const char *ctrl;  /* control node (default "/dev/rpmsg_ctrl0") */
	const char *sysfs; /* where sysfs is mounted (default "/sys") */
	const char *dev;   /* where the device nodes are (default "/dev") */
};

/*
 * Open the control node, find its edge in sysfs, register the link on `bus` with the
 * edge's channels. cfg may be NULL. -ENOENT (no such node), -EACCES, -ENODEV (the node
 * is not an rpmsg control device of a running kernel).
 */
int rpmsg_chrdev_create(struct rpmsg_bus *bus, const struct rpmsg_chrdev_config *cfg,
			struct rpmsg_link **out);

/* Bring the link's channels in line with sysfs now. Returns the number of channels. */
int rpmsg_chrdev_rescan(struct rpmsg_link *link);

struct rpmsg_chrdev_stats {
	uint64_t rx_msgs, tx_msgs;
	uint64_t rescans;
	uint64_t ept_opens;  /* kernel endpoints opened */
	uint64_t addr_taken; /* dynamic addresses the kernel had already given out */
	char edge[64];       /* the kernel device the edge hangs off ("virtio0", ...) */
};
int rpmsg_chrdev_get_stats(struct rpmsg_link *link, struct rpmsg_chrdev_stats *out);

#ifdef __cplusplus
}
#endif
#endif
