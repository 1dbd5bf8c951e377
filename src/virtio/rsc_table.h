/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The remoteproc resource table (spec 10-virtio.md §10–§12): building one as firmware
 * carries it, validating a live one as Linux does, and accessing the rpmsg VDEV entry.
 *
 * Every field is a u32 in the main CPU's order; `big_endian` selects it explicitly.
 * The table lives in memory shared with the peer: the parser reads each value once and
 * writes nothing; the accessors read or write single fields with __atomic accesses.
 */
#ifndef RPMSG_VIRTIO_RSC_TABLE_H
#define RPMSG_VIRTIO_RSC_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Resource types (§11). */
#define RSC_CARVEOUT 0u
#define RSC_DEVMEM 1u
#define RSC_TRACE 2u
#define RSC_VDEV 3u
#define RSC_LAST 4u

#define VIRTIO_ID_RPMSG 7u
#define FW_RSC_ADDR_ANY 0xFFFFFFFFu

/* Status byte (§12). */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01u
#define VIRTIO_STATUS_DRIVER 0x02u
#define VIRTIO_STATUS_DRIVER_OK 0x04u
#define VIRTIO_STATUS_FEATURES_OK 0x08u
#define VIRTIO_STATUS_NEEDS_RESET 0x40u
#define VIRTIO_STATUS_FAILED 0x80u

/* Feature bit numbers (§10). */
#define VIRTIO_RPMSG_F_NS 0
#define VIRTIO_RING_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

/* Layout (§11). */
#define RSC_HDR_SIZE 16u        /* ver, num, reserved[2]; offset[num] follows */
#define RSC_VDEV_HDR_SIZE 28u   /* type .. reserved, before the vrings */
#define RSC_VRING_SIZE 20u      /* da, align, num, notifyid, pa */
#define RSC_RPMSG_VRINGS 2u

struct rsc_vring_cfg {
	uint32_t da, align, num, notifyid;
};

struct rsc_vdev_cfg {
	uint32_t notifyid, dfeatures, config_len;
	struct rsc_vring_cfg vring[2];
};

/* Build a table with one VDEV entry (id 7, two vrings, config space zeroed) at offset 20,
 * as firmware carries it. Returns the bytes written (20 + 68 + config_len), -ENOSPC if
 * `size` is too small, -EINVAL for a NULL argument or a vring whose num is not a power of
 * two in 1..32768 or whose align is not a power of two >= 4. */
int rsc_table_build(void *buf, size_t size, const struct rsc_vdev_cfg *cfg, bool big_endian);

/* A validated view of a VDEV entry in a live table. */
struct rsc_vdev {
	uint8_t *entry;     /* the entry's `type` field */
	size_t entry_size;  /* 28 + 20 * num_of_vrings + config_len, inside the table */
	bool big_endian;
};

/*
 * Validate `table` (size bytes) as Linux does before using it: header ver 1 and reserved
 * words 0; the offset array fits; every offset >= 16 and leaves room for the entry's type;
 * every VDEV entry (with its config space) fits, has zero reserved bytes, at most 2 vrings,
 * and nonzero num and align in each. Returns 0 and fills *out with the first VDEV entry
 * whose id is VIRTIO_ID_RPMSG, which must have exactly 2 vrings; -ENOENT if there is none;
 * -EINVAL (and *out untouched) if anything is invalid, or if `table` is not 4-byte aligned.
 * Writes nothing to the table.
 */
int rsc_table_find_vdev(void *table, size_t size, bool big_endian, struct rsc_vdev *out);

/* Accessors of the live entry: each one reads or writes its field once, atomically. The
 * status byte is read with acquire and written with release order (the driver's feature and
 * vring writes happen before its status write). */
uint8_t rsc_vdev_status(const struct rsc_vdev *v);
void rsc_vdev_set_status(struct rsc_vdev *v, uint8_t s);
uint32_t rsc_vdev_id(const struct rsc_vdev *v);
uint32_t rsc_vdev_notifyid(const struct rsc_vdev *v);
uint32_t rsc_vdev_dfeatures(const struct rsc_vdev *v);
uint32_t rsc_vdev_gfeatures(const struct rsc_vdev *v);
void rsc_vdev_set_gfeatures(struct rsc_vdev *v, uint32_t f);
/* Read vring i (0 or 1) once; -EINVAL if i > 1, num is not a power of two in 1..32768, or
 * align is not a power of two >= 4 (*out is filled either way when i is valid). */
int rsc_vdev_vring(const struct rsc_vdev *v, unsigned i, struct rsc_vring_cfg *out);
void rsc_vdev_set_vring_da(struct rsc_vdev *v, unsigned i, uint32_t da);
void rsc_vdev_set_vring_notifyid(struct rsc_vdev *v, unsigned i, uint32_t notifyid);

#endif
