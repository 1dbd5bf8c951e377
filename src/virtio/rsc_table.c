// SPDX-License-Identifier: BSD-3-Clause
/*
 * remoteproc resource table: build (firmware side), validate (as Linux does), and access the
 * rpmsg VDEV entry in place. Layout in spec 10-virtio.md §11.
 */
#include "virtio/rsc_table.h"

#include <errno.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define HOST_BE 1
#else
#define HOST_BE 0
#endif

/* Offsets inside a VDEV entry. */
#define V_TYPE 0
#define V_ID 4
#define V_NOTIFYID 8
#define V_DFEATURES 12
#define V_GFEATURES 16
#define V_CONFIG_LEN 20
#define V_STATUS 24
#define V_NUM_VRINGS 25
#define V_RESERVED 26
#define V_VRING(i) (RSC_VDEV_HDR_SIZE + RSC_VRING_SIZE * (size_t)(i))
/* Offsets inside a vring entry. */
#define VR_DA 0
#define VR_ALIGN 4
#define VR_NUM 8
#define VR_NOTIFYID 12
#define VR_PA 16

#define RSC_TABLE_VER 1u
#define BUILD_OFFSET (RSC_HDR_SIZE + 4u) /* the single entry follows offset[0] */
#define RPMSG_ENTRY_SIZE (RSC_VDEV_HDR_SIZE + RSC_RPMSG_VRINGS * RSC_VRING_SIZE)

/* The table is caller memory of any declared type: access it through an aliasing-safe type. */
typedef uint32_t __attribute__((may_alias)) tbl32;

/*
 * Single reads and writes of a u32 field in the table. Entry offsets come from the table, so
 * a field may be misaligned: then it is accessed byte by byte (each byte still read once).
 */
static uint32_t ld32(const uint8_t *p, bool be)
{
	uint32_t v;

	if (!((uintptr_t)p & 3u)) {
		v = __atomic_load_n((const tbl32 *)(const void *)p, __ATOMIC_RELAXED);
		return (be != HOST_BE) ? __builtin_bswap32(v) : v;
	}
	v = 0;
	for (int i = 0; i < 4; i++) {
		uint32_t b = __atomic_load_n(p + i, __ATOMIC_RELAXED);

		v |= b << (be ? 8 * (3 - i) : 8 * i);
	}
	return v;
}

static void st32(uint8_t *p, uint32_t v, bool be)
{
	if (!((uintptr_t)p & 3u)) {
		__atomic_store_n((tbl32 *)(void *)p, (be != HOST_BE) ? __builtin_bswap32(v) : v,
				 __ATOMIC_RELAXED);
		return;
	}
	for (int i = 0; i < 4; i++)
		__atomic_store_n(p + i, (uint8_t)(v >> (be ? 8 * (3 - i) : 8 * i)), __ATOMIC_RELAXED);
}

static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static bool vring_params_ok(uint32_t num, uint32_t align)
{
	return is_pow2(num) && num <= 32768u && is_pow2(align) && align >= 4;
}

/* ---- build ---- */

int rsc_table_build(void *buf, size_t size, const struct rsc_vdev_cfg *cfg, bool big_endian)
{
	uint8_t *t = buf, *e;
	uint64_t total;

	if (!buf || !cfg)
		return -EINVAL;
	for (unsigned i = 0; i < RSC_RPMSG_VRINGS; i++)
		if (!vring_params_ok(cfg->vring[i].num, cfg->vring[i].align))
			return -EINVAL;
	total = (uint64_t)BUILD_OFFSET + RPMSG_ENTRY_SIZE + cfg->config_len;
	if (total > (uint64_t)INT32_MAX)
		return -EINVAL;
	if (total > size)
		return -ENOSPC;

	memset(t, 0, (size_t)total);
	st32(t + 0, RSC_TABLE_VER, big_endian);
	st32(t + 4, 1, big_endian); /* one entry */
	/* t + 8, t + 12: reserved, zero */
	st32(t + RSC_HDR_SIZE, BUILD_OFFSET, big_endian);

	e = t + BUILD_OFFSET;
	st32(e + V_TYPE, RSC_VDEV, big_endian);
	st32(e + V_ID, VIRTIO_ID_RPMSG, big_endian);
	st32(e + V_NOTIFYID, cfg->notifyid, big_endian);
	st32(e + V_DFEATURES, cfg->dfeatures, big_endian);
	/* gfeatures 0: the driver writes it */
	st32(e + V_CONFIG_LEN, cfg->config_len, big_endian);
	e[V_STATUS] = 0;
	e[V_NUM_VRINGS] = RSC_RPMSG_VRINGS;
	for (unsigned i = 0; i < RSC_RPMSG_VRINGS; i++) {
		uint8_t *r = e + V_VRING(i);

		st32(r + VR_DA, cfg->vring[i].da, big_endian);
		st32(r + VR_ALIGN, cfg->vring[i].align, big_endian);
		st32(r + VR_NUM, cfg->vring[i].num, big_endian);
		st32(r + VR_NOTIFYID, cfg->vring[i].notifyid, big_endian);
		/* pa: zero, unused for vrings */
	}
	/* config space: zero */
	return (int)total;
}

/* ---- parse ---- */

/*
 * Check one VDEV entry at `off` (off + 4 <= size already holds). Returns 0 and its size, or
 * -EINVAL. `nvr_out` receives num_of_vrings, `id_out` the virtio id.
 */
static int check_vdev(const uint8_t *t, size_t size, size_t off, bool be, size_t *entry_size,
		      unsigned *nvr_out, uint32_t *id_out)
{
	const uint8_t *e = t + off;
	size_t room = size - off;
	uint32_t config_len, id;
	uint64_t need;
	uint8_t nvr, r0, r1;

	if (room < RSC_VDEV_HDR_SIZE)
		return -EINVAL;
	id = ld32(e + V_ID, be);
	config_len = ld32(e + V_CONFIG_LEN, be);
	nvr = __atomic_load_n(e + V_NUM_VRINGS, __ATOMIC_RELAXED);
	r0 = __atomic_load_n(e + V_RESERVED, __ATOMIC_RELAXED);
	r1 = __atomic_load_n(e + V_RESERVED + 1, __ATOMIC_RELAXED);
	need = (uint64_t)RSC_VDEV_HDR_SIZE + (uint64_t)RSC_VRING_SIZE * nvr + config_len;
	if (need > room || r0 || r1 || nvr > RSC_RPMSG_VRINGS)
		return -EINVAL;
	for (unsigned i = 0; i < nvr; i++) {
		const uint8_t *r = e + V_VRING(i);

		if (!ld32(r + VR_NUM, be) || !ld32(r + VR_ALIGN, be))
			return -EINVAL;
	}
	*entry_size = (size_t)need;
	*nvr_out = nvr;
	*id_out = id;
	return 0;
}

int rsc_table_find_vdev(void *table, size_t size, bool big_endian, struct rsc_vdev *out)
{
	const uint8_t *t = table;
	struct rsc_vdev found = { 0 };
	uint32_t num;

	if (!table || !out || size < RSC_HDR_SIZE || ((uintptr_t)table & 3u))
		return -EINVAL;
	if (ld32(t + 0, big_endian) != RSC_TABLE_VER || ld32(t + 8, big_endian) ||
	    ld32(t + 12, big_endian))
		return -EINVAL;
	num = ld32(t + 4, big_endian);
	if (num > (size - RSC_HDR_SIZE) / 4)
		return -EINVAL;

	for (uint32_t i = 0; i < num; i++) {
		uint32_t off = ld32(t + RSC_HDR_SIZE + 4u * (size_t)i, big_endian);
		size_t esize;
		unsigned nvr;
		uint32_t type, id;

		if (off < RSC_HDR_SIZE || off > size || size - off < 4)
			return -EINVAL;
		type = ld32(t + off, big_endian);
		if (type != RSC_VDEV)
			continue; /* other types are not ours to judge */
		if (check_vdev(t, size, off, big_endian, &esize, &nvr, &id))
			return -EINVAL;
		if (found.entry || id != VIRTIO_ID_RPMSG)
			continue;
		if (nvr != RSC_RPMSG_VRINGS)
			return -EINVAL;
		found.entry = (uint8_t *)table + off;
		found.entry_size = esize;
		found.big_endian = big_endian;
	}
	if (!found.entry)
		return -ENOENT;
	*out = found;
	return 0;
}

/* ---- accessors ---- */

uint8_t rsc_vdev_status(const struct rsc_vdev *v)
{
	return __atomic_load_n(v->entry + V_STATUS, __ATOMIC_ACQUIRE);
}

void rsc_vdev_set_status(struct rsc_vdev *v, uint8_t s)
{
	__atomic_store_n(v->entry + V_STATUS, s, __ATOMIC_RELEASE);
}

uint32_t rsc_vdev_id(const struct rsc_vdev *v)
{
	return ld32(v->entry + V_ID, v->big_endian);
}

uint32_t rsc_vdev_notifyid(const struct rsc_vdev *v)
{
	return ld32(v->entry + V_NOTIFYID, v->big_endian);
}

uint32_t rsc_vdev_dfeatures(const struct rsc_vdev *v)
{
	return ld32(v->entry + V_DFEATURES, v->big_endian);
}

uint32_t rsc_vdev_gfeatures(const struct rsc_vdev *v)
{
	return ld32(v->entry + V_GFEATURES, v->big_endian);
}

void rsc_vdev_set_gfeatures(struct rsc_vdev *v, uint32_t f)
{
	st32(v->entry + V_GFEATURES, f, v->big_endian);
}

int rsc_vdev_vring(const struct rsc_vdev *v, unsigned i, struct rsc_vring_cfg *out)
{
	const uint8_t *r;

	if (i >= RSC_RPMSG_VRINGS || !out)
		return -EINVAL;
	r = v->entry + V_VRING(i);
	out->da = ld32(r + VR_DA, v->big_endian);
	out->align = ld32(r + VR_ALIGN, v->big_endian);
	out->num = ld32(r + VR_NUM, v->big_endian);
	out->notifyid = ld32(r + VR_NOTIFYID, v->big_endian);
	return vring_params_ok(out->num, out->align) ? 0 : -EINVAL;
}

void rsc_vdev_set_vring_da(struct rsc_vdev *v, unsigned i, uint32_t da)
{
	if (i < RSC_RPMSG_VRINGS)
		st32(v->entry + V_VRING(i) + VR_DA, da, v->big_endian);
}

void rsc_vdev_set_vring_notifyid(struct rsc_vdev *v, unsigned i, uint32_t notifyid)
{
	if (i < RSC_RPMSG_VRINGS)
		st32(v->entry + V_VRING(i) + VR_NOTIFYID, notifyid, v->big_endian);
}
