/*
 * Qualcomm SMEM (spec/35-smem.md): format a fresh region, attach to one, allocate and look up
 * items. Every value read from the region after it was formatted is hostile: read once into
 * a local, bounds-checked against what attach validated, and refused with -EPROTO.
 */
#include <errno.h>
#include <string.h>

#include "core/os.h"
#include "smem/smem.h"

/* Global header offsets. */
#define H_VERSION 64u
#define H_VERSION_SBL (H_VERSION + 7u * 4u)
#define H_INITIALIZED 192u
#define H_FREE_OFFSET 196u
#define H_AVAILABLE 200u
#define H_RESERVED 204u
#define H_TOC 208u

/* TOC entry. */
#define T_ALLOCATED 0u
#define T_OFFSET 4u
#define T_SIZE 8u
#define T_AUX_BASE 12u

/* Partition table and entries. */
#define PT_MAGIC 0u
#define PT_VERSION 4u
#define PT_NUM 8u
#define PE_OFFSET 0u
#define PE_SIZE 4u
#define PE_FLAGS 8u
#define PE_HOST0 12u
#define PE_HOST1 14u
#define PE_CACHELINE 16u
#define INFO_SIZE 20u /* magic, size, base_addr, reserved, num_items (+2 pad) */

/* Partition header. */
#define P_MAGIC 0u
#define P_HOST0 4u
#define P_HOST1 6u
#define P_SIZE 8u
#define P_FREE_UNCACHED 12u
#define P_FREE_CACHED 16u

#define FIRST_PART_OFFSET 12288u /* the header (8400 bytes) rounded up to 4 KiB */
#define MAX_CACHELINE 4096u

static const uint8_t toc_magic[4] = { '$', 'T', 'O', 'C' };
static const uint8_t prt_magic[4] = { '$', 'P', 'R', 'T' };
static const uint8_t info_magic[4] = { 'S', 'I', 'I', 'I' };

/* ---- access to aligned little-endian fields (single loads: the peer may change them) ---- */

static uint32_t ld32(const uint8_t *p)
{
	return rpmsg_le32(__atomic_load_n((const uint32_t *)(const void *)p, __ATOMIC_RELAXED));
}

static void st32(uint8_t *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)(void *)p, rpmsg_le32(v), __ATOMIC_RELAXED);
}

static uint16_t ld16(const uint8_t *p)
{
	return rpmsg_le16(__atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_RELAXED));
}

static void st16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)(void *)p, rpmsg_le16(v), __ATOMIC_RELAXED);
}

/* Unaligned little-endian fields of a local copy. */
static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t round_up(uint32_t x, uint32_t a)
{
	return (x + a - 1) & ~(a - 1);
}

static bool pow2(uint32_t x)
{
	return x && !(x & (x - 1));
}

static void corrupt(struct smem *s)
{
#if RPMSG_BAREMETAL
	s->errors++; /* one context (see smem.h) */
#else
	atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
#endif
}

/* ---- the hardware mutex ---- */

int smem_lock(struct smem *s, int timeout_ms)
{
	/* In ns: no 64-bit division (a libgcc call on 32-bit cores). */
	uint64_t deadline = timeout_ms < 0 ? UINT64_MAX
					   : rpmsg_os_now_ns() + (uint64_t)timeout_ms * 1000000u;

	for (unsigned spins = 0;; spins++) {
		uint32_t expect = 0;

		/* The register takes our value only while it holds 0: "write, read back". */
		if (atomic_compare_exchange_weak_explicit(s->lock, &expect, s->owner,
							  memory_order_acquire, memory_order_relaxed))
			return 0;
		if (expect == s->owner)
			return -EDEADLK; /* ours already: a bug in the caller, not a wait */
		if ((spins & 63) == 63) {
			if (rpmsg_os_now_ns() >= deadline)
				return -ETIMEDOUT;
			rpmsg_os_yield();
		}
	}
}

void smem_unlock(struct smem *s)
{
	atomic_store_explicit(s->lock, 0, memory_order_release);
}

/* ---- format ---- */

int smem_format(void *base, size_t size, const struct smem_format_cfg *cfg)
{
	uint8_t *b = base, *pt;
	uint32_t off = FIRST_PART_OFFSET, table, nglobal = 0;

	if (!b || !cfg || ((uintptr_t)b & 7) || size > UINT32_MAX)
		return -EINVAL;
	if (cfg->version != SMEM_HEAP_VERSION && cfg->version != SMEM_PART_VERSION)
		return -EINVAL;
	if (size < FIRST_PART_OFFSET + SMEM_PTABLE_SIZE || cfg->nparts > SMEM_PTABLE_MAX - 1 ||
	    (cfg->nparts && !cfg->parts))
		return -EINVAL;
	table = (uint32_t)size - SMEM_PTABLE_SIZE;
	for (unsigned i = 0; i < cfg->nparts; i++) {
		const struct smem_part_cfg *p = &cfg->parts[i];
		uint32_t cl = p->cacheline ? p->cacheline : 64;

		if (p->size < SMEM_PART_HDR || (p->size & 7) || !pow2(cl) || cl > MAX_CACHELINE)
			return -EINVAL;
		if (p->host0 == SMEM_GLOBAL_HOST && p->host1 == SMEM_GLOBAL_HOST)
			nglobal++;
		off = round_up(off, 4096) + p->size;
		if (off > table)
			return -ENOSPC;
	}
	if (nglobal > 1 || (cfg->version == SMEM_PART_VERSION && nglobal != 1))
		return -EINVAL;

	memset(b, 0, size);
	st32(b + H_VERSION_SBL, (uint32_t)cfg->version << 16);
	st32(b + H_RESERVED, 0);

	pt = b + table;
	memcpy(pt + PT_MAGIC, toc_magic, 4);
	st32(pt + PT_VERSION, 1);
	st32(pt + PT_NUM, cfg->nparts);
	off = FIRST_PART_OFFSET;
	for (unsigned i = 0; i < cfg->nparts; i++) {
		const struct smem_part_cfg *p = &cfg->parts[i];
		uint8_t *e = pt + SMEM_PTABLE_HDR + i * SMEM_PTABLE_ENTRY, *ph;

		off = round_up(off, 4096);
		st32(e + PE_OFFSET, off);
		st32(e + PE_SIZE, p->size);
		st32(e + PE_FLAGS, 0);
		st16(e + PE_HOST0, p->host0);
		st16(e + PE_HOST1, p->host1);
		st32(e + PE_CACHELINE, p->cacheline ? p->cacheline : 64);
		ph = b + off;
		memcpy(ph + P_MAGIC, prt_magic, 4);
		st16(ph + P_HOST0, p->host0);
		st16(ph + P_HOST1, p->host1);
		st32(ph + P_SIZE, p->size);
		st32(ph + P_FREE_UNCACHED, SMEM_PART_HDR);
		st32(ph + P_FREE_CACHED, p->size);
		off += p->size;
	}
	if (cfg->num_items) {
		uint8_t *info = pt + SMEM_PTABLE_HDR + cfg->nparts * SMEM_PTABLE_ENTRY;

		memcpy(info, info_magic, 4);
		st32(info + 4, INFO_SIZE);
		st32(info + 8, 0);
		st32(info + 12, 0);
		st16(info + 16, cfg->num_items);
	}
	/* The global heap: what the partitions left before the table. */
	off = round_up(off, 8);
	st32(b + H_FREE_OFFSET, off);
	st32(b + H_AVAILABLE, table - off);
	/* Last: a reader that sees `initialized` sees everything above. */
	__atomic_store_n((uint32_t *)(void *)(b + H_INITIALIZED), rpmsg_le32(1), __ATOMIC_RELEASE);
	return 0;
}

bool smem_initialized(const void *base, size_t size)
{
	const uint8_t *b = base;

	if (!b || ((uintptr_t)b & 7) || size < SMEM_HEADER_TOTAL)
		return false;
	return rpmsg_le32(__atomic_load_n((const uint32_t *)(const void *)(b + H_INITIALIZED),
				    __ATOMIC_ACQUIRE)) == 1;
}

/* ---- attach ---- */

/* Validate one table entry and its partition header; fill *p. */
static int check_part(struct smem *s, const uint8_t *e, struct smem_part *p)
{
	uint8_t *ph;

	p->offset = ld32(e + PE_OFFSET);
	p->size = ld32(e + PE_SIZE);
	p->host0 = ld16(e + PE_HOST0);
	p->host1 = ld16(e + PE_HOST1);
	p->cacheline = ld32(e + PE_CACHELINE);
	if ((p->offset & 7) || p->size < SMEM_PART_HDR || p->offset > s->size ||
	    p->size > s->size - p->offset)
		return -EPROTO;
	if (!pow2(p->cacheline) || p->cacheline > MAX_CACHELINE)
		return -EPROTO;
	ph = s->base + p->offset;
	if (memcmp(ph + P_MAGIC, prt_magic, 4) || ld16(ph + P_HOST0) != p->host0 ||
	    ld16(ph + P_HOST1) != p->host1 || ld32(ph + P_SIZE) != p->size ||
	    ld32(ph + P_FREE_UNCACHED) > p->size)
		return -EPROTO;
	p->valid = true;
	return 0;
}

static int read_ptable(struct smem *s)
{
	const uint8_t *pt;
	uint32_t n;

	if (s->size < SMEM_HEADER_TOTAL + SMEM_PTABLE_SIZE)
		return 0;
	pt = s->base + s->size - SMEM_PTABLE_SIZE;
	if (memcmp(pt + PT_MAGIC, toc_magic, 4))
		return 0; /* no table: no private partitions */
	if (ld32(pt + PT_VERSION) != 1)
		return -EPROTO;
	n = ld32(pt + PT_NUM);
	if (n > SMEM_PTABLE_MAX)
		return -EPROTO;
	/* The optional info block after the last entry sets the item limit. */
	if (SMEM_PTABLE_HDR + n * SMEM_PTABLE_ENTRY + INFO_SIZE <= SMEM_PTABLE_SIZE) {
		const uint8_t *info = pt + SMEM_PTABLE_HDR + n * SMEM_PTABLE_ENTRY;

		if (!memcmp(info, info_magic, 4))
			s->item_limit = ld16(info + 16);
	}
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = pt + SMEM_PTABLE_HDR + i * SMEM_PTABLE_ENTRY;
		struct smem_part p = { 0 };
		unsigned remote;

		if (!ld32(e + PE_OFFSET) || !ld32(e + PE_SIZE))
			continue; /* unused entry */
		if (check_part(s, e, &p))
			return -EPROTO;
		if (p.host0 == SMEM_GLOBAL_HOST && p.host1 == SMEM_GLOBAL_HOST) {
			if (s->global.valid)
				return -EPROTO;
			s->global = p;
			continue;
		}
		if (p.host0 == s->local_host && p.host1 == s->local_host)
			return -EPROTO;
		if (p.host0 == s->local_host)
			remote = p.host1;
		else if (p.host1 == s->local_host)
			remote = p.host0;
		else
			continue; /* between two other hosts */
		if (remote >= SMEM_HOST_COUNT || s->parts[remote].valid)
			return -EPROTO;
		s->parts[remote] = p;
	}
	return 0;
}

int smem_attach(struct smem *s, void *base, size_t size, _Atomic uint32_t *lock,
		uint16_t local_host)
{
	uint8_t *b = base;
	unsigned ver;
	int ret;

	if (!s || !b || !lock || ((uintptr_t)b & 7) || size > UINT32_MAX ||
	    size < SMEM_HEADER_TOTAL || local_host >= SMEM_HOST_COUNT)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->base = b;
	s->size = size;
	s->lock = lock;
	s->owner = (uint32_t)local_host + 1;
	s->local_host = local_host;
	s->item_limit = SMEM_ITEM_COUNT;
	if (!smem_initialized(b, size) || ld32(b + H_RESERVED) != 0)
		goto bad;
	ver = ld32(b + H_VERSION_SBL) >> 16;
	if (ver != SMEM_HEAP_VERSION && ver != SMEM_PART_VERSION)
		goto bad;
	s->version = ver;
	ret = read_ptable(s);
	if (ret || (ver == SMEM_PART_VERSION && !s->global.valid))
		goto bad;
	return 0;
bad:
	memset(s, 0, sizeof(*s));
	return -EPROTO;
}

/* ---- items in a partition ---- */

struct found {
	uint32_t data; /* offset of the data from the partition start */
	uint32_t size; /* visible size */
};

/*
 * Walk the uncached list. 1: found (in *f), 0: not there (*end = first free byte),
 * -EPROTO: a bad canary or an element past the free offset.
 */
static int walk_uncached(struct smem *s, const struct smem_part *p, unsigned item,
			 struct found *f, uint32_t *end)
{
	const uint8_t *pb = s->base + p->offset;
	uint32_t limit = ld32(pb + P_FREE_UNCACHED), off = SMEM_PART_HDR;

	__atomic_thread_fence(__ATOMIC_ACQUIRE); /* elements below `limit` are complete */
	if (limit > p->size || limit < SMEM_PART_HDR)
		return -EPROTO;
	while (off < limit) {
		uint8_t h[SMEM_ITEM_HDR];
		uint64_t next;
		uint32_t size;
		uint16_t pad_data, pad_hdr;

		if (limit - off < SMEM_ITEM_HDR)
			return -EPROTO;
		memcpy(h, pb + off, sizeof(h));
		if (get16(h) != SMEM_CANARY)
			return -EPROTO;
		size = get32(h + 4);
		pad_data = get16(h + 8);
		pad_hdr = get16(h + 10);
		next = (uint64_t)off + SMEM_ITEM_HDR + pad_hdr + size;
		if (next > limit || pad_data > size)
			return -EPROTO;
		if (get16(h + 2) == item) {
			f->data = off + SMEM_ITEM_HDR + pad_hdr;
			f->size = size - pad_data;
			return 1;
		}
		off = (uint32_t)next;
	}
	if (end)
		*end = limit;
	return 0;
}

/* Walk the cached list (down from the end). 1: found, 0: not there, -EPROTO. */
static int walk_cached(struct smem *s, const struct smem_part *p, unsigned item, struct found *f)
{
	const uint8_t *pb = s->base + p->offset;
	uint32_t lower = ld32(pb + P_FREE_CACHED), hsz = round_up(SMEM_ITEM_HDR, p->cacheline);
	int64_t off;

	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (lower > p->size)
		return -EPROTO;
	if (p->size < hsz)
		return 0;
	for (off = (int64_t)p->size - hsz; off > (int64_t)lower;) {
		uint8_t h[SMEM_ITEM_HDR];
		uint32_t size;
		uint16_t pad_data;

		memcpy(h, pb + off, sizeof(h));
		if (get16(h) != SMEM_CANARY)
			return -EPROTO;
		size = get32(h + 4);
		pad_data = get16(h + 8);
		if ((int64_t)size > off - (int64_t)lower || pad_data > size)
			return -EPROTO;
		if (get16(h + 2) == item) {
			f->data = (uint32_t)(off - size);
			f->size = size - pad_data;
			return 1;
		}
		off -= (int64_t)size + hsz;
	}
	return 0;
}

static struct smem_part *pick(struct smem *s, int host)
{
	if (host >= 0 && host < SMEM_HOST_COUNT && s->parts[host].valid)
		return &s->parts[host];
	return s->global.valid ? &s->global : NULL;
}

static int check_item(struct smem *s, unsigned item, bool alloc)
{
	if (!s || !s->base)
		return -EINVAL;
	if (alloc && item < SMEM_ITEM_LAST_FIXED)
		return -EPERM;
	return item >= s->item_limit ? -EINVAL : 0;
}

static int part_alloc(struct smem *s, struct smem_part *p, unsigned item, size_t size)
{
	uint8_t *pb = s->base + p->offset, h[SMEM_ITEM_HDR] = { 0 };
	struct found f;
	uint32_t end = 0, lower, need;
	int ret;

	ret = walk_uncached(s, p, item, &f, &end);
	if (ret)
		return ret > 0 ? -EEXIST : ret;
	lower = ld32(pb + P_FREE_CACHED);
	if (lower > p->size || lower < end)
		return -EPROTO;
	need = SMEM_ITEM_HDR + round_up((uint32_t)size, 8);
	if (need > lower - end)
		return -ENOSPC;
	put16(h, SMEM_CANARY);
	put16(h + 2, (uint16_t)item);
	put32(h + 4, round_up((uint32_t)size, 8));
	put16(h + 8, (uint16_t)(round_up((uint32_t)size, 8) - size));
	put16(h + 10, 0);
	memcpy(pb + end, h, sizeof(h));
	__atomic_thread_fence(__ATOMIC_RELEASE); /* the header before the free offset moves */
	st32(pb + P_FREE_UNCACHED, end + need);
	return 0;
}

static int heap_alloc(struct smem *s, unsigned item, size_t size)
{
	uint8_t *t = s->base + H_TOC + item * SMEM_TOC_ENTRY_SIZE;
	uint32_t sz = round_up((uint32_t)size, 8), avail, fo;

	if (ld32(t + T_ALLOCATED))
		return -EEXIST;
	avail = ld32(s->base + H_AVAILABLE);
	fo = ld32(s->base + H_FREE_OFFSET);
	if (sz > avail)
		return -ENOSPC;
	if (fo < SMEM_HEADER_TOTAL || fo > s->size || sz > s->size - fo)
		return -EPROTO;
	st32(t + T_OFFSET, fo);
	st32(t + T_SIZE, sz);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	st32(t + T_ALLOCATED, 1);
	st32(s->base + H_FREE_OFFSET, fo + sz);
	st32(s->base + H_AVAILABLE, avail - sz);
	return 0;
}

int smem_alloc(struct smem *s, int host, unsigned item, size_t size)
{
	struct smem_part *p;
	int ret = check_item(s, item, true);

	if (ret)
		return ret;
	if (size > UINT32_MAX - 64)
		return -ENOSPC;
	ret = smem_lock(s, SMEM_LOCK_TIMEOUT_MS);
	if (ret)
		return ret;
	p = pick(s, host);
	ret = p ? part_alloc(s, p, item, size) : heap_alloc(s, item, size);
	smem_unlock(s);
	if (ret == -EPROTO)
		corrupt(s);
	return ret;
}

int smem_alloc_cached(struct smem *s, int host, unsigned item, size_t size)
{
	struct smem_part *p;
	struct found f;
	uint8_t *pb, h[SMEM_ITEM_HDR] = { 0 };
	uint32_t end = 0, lower, hsz, sz;
	int ret = check_item(s, item, true);

	if (ret)
		return ret;
	p = pick(s, host);
	if (!p)
		return -ENODEV;
	if (size > UINT32_MAX / 2)
		return -ENOSPC;
	pb = s->base + p->offset;
	hsz = round_up(SMEM_ITEM_HDR, p->cacheline);
	sz = round_up(size ? (uint32_t)size : 1, p->cacheline);
	ret = smem_lock(s, SMEM_LOCK_TIMEOUT_MS);
	if (ret)
		return ret;
	ret = walk_uncached(s, p, item, &f, &end);
	if (!ret)
		ret = walk_cached(s, p, item, &f);
	if (ret) {
		ret = ret > 0 ? -EEXIST : ret;
		goto out;
	}
	lower = ld32(pb + P_FREE_CACHED);
	if (lower > p->size || lower < end) {
		ret = -EPROTO;
		goto out;
	}
	if ((uint64_t)hsz + sz > lower - end) {
		ret = -ENOSPC;
		goto out;
	}
	put16(h, SMEM_CANARY);
	put16(h + 2, (uint16_t)item);
	put32(h + 4, sz);
	put16(h + 8, (uint16_t)(sz - size));
	memcpy(pb + lower - hsz, h, sizeof(h));
	__atomic_thread_fence(__ATOMIC_RELEASE);
	st32(pb + P_FREE_CACHED, lower - hsz - sz);
out:
	smem_unlock(s);
	if (ret == -EPROTO)
		corrupt(s);
	return ret;
}

static int heap_get(struct smem *s, unsigned item, void **ptr, size_t *size)
{
	const uint8_t *t = s->base + H_TOC + item * SMEM_TOC_ENTRY_SIZE;
	uint32_t off, sz, aux;

	if (!ld32(t + T_ALLOCATED))
		return -ENOENT;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	off = ld32(t + T_OFFSET);
	sz = ld32(t + T_SIZE);
	aux = ld32(t + T_AUX_BASE) & ~3u;
	if (aux)
		return -ENOENT; /* in another region (RPM message RAM): not mapped here */
	if (off > s->size || sz > s->size - off)
		return -EPROTO;
	*ptr = s->base + off;
	*size = sz;
	return 0;
}

int smem_get(struct smem *s, int host, unsigned item, void **ptr, size_t *size)
{
	struct smem_part *p;
	struct found f;
	void *dummy_ptr;
	size_t dummy_size;
	int ret = check_item(s, item, false);

	if (ret)
		return ret;
	if (!ptr)
		ptr = &dummy_ptr;
	if (!size)
		size = &dummy_size;
	p = pick(s, host);
	if (!p) {
		ret = heap_get(s, item, ptr, size);
	} else {
		ret = walk_uncached(s, p, item, &f, NULL);
		if (!ret)
			ret = walk_cached(s, p, item, &f);
		if (ret > 0) {
			*ptr = s->base + p->offset + f.data;
			*size = f.size;
			ret = 0;
		} else if (ret == 0) {
			ret = -ENOENT;
		}
	}
	if (ret == -EPROTO)
		corrupt(s);
	return ret;
}

int64_t smem_free_space(struct smem *s, int host)
{
	struct smem_part *p;
	uint32_t lo, hi;

	if (!s || !s->base)
		return -EINVAL;
	p = pick(s, host);
	if (!p)
		return ld32(s->base + H_AVAILABLE);
	lo = ld32(s->base + p->offset + P_FREE_UNCACHED);
	hi = ld32(s->base + p->offset + P_FREE_CACHED);
	if (hi > p->size || lo > hi) {
		corrupt(s);
		return -EPROTO;
	}
	return hi - lo;
}

static int format_for_pair(void *base, size_t size, unsigned version, uint16_t remote_host)
{
	struct smem_part_cfg parts[2] = {
		{ .host0 = SMEM_GLOBAL_HOST, .host1 = SMEM_GLOBAL_HOST, .size = 16384, .cacheline = 64 },
		{ .host0 = SMEM_HOST_APPS, .host1 = remote_host, .cacheline = 64 },
	};
	struct smem_format_cfg fc = { .version = version, .parts = parts, .nparts = 2 };
	size_t room = size & ~(size_t)4095;

	if (version == SMEM_HEAP_VERSION) {
		fc.nparts = 0;
		return smem_format(base, size, &fc);
	}
	/* Header (12 KiB), global partition, private partition, 4 KiB heap, the table. */
	if (room < 12288 + 16384 + 4096 + 4096 + 16384)
		return -ENOSPC;
	parts[1].size = (uint32_t)(room - 12288 - 16384 - 4096 - 4096);
	return smem_format(base, size, &fc);
}

int smem_setup(struct smem *s, void *block, size_t size, const struct smem_setup_cfg *cfg)
{
	uint8_t *base = (uint8_t *)block + SMEM_MUTEX_PAGE;
	size_t n = cfg->smem_size ? cfg->smem_size : size - SMEM_MUTEX_PAGE;
	_Atomic uint32_t *lock = (_Atomic uint32_t *)((uint8_t *)block + SMEM_LOCK_ID * 4);
	uint64_t deadline = rpmsg_os_now_ns() + (uint64_t)cfg->timeout_ms * 1000000u;
	int ret;

	if (size < SMEM_MUTEX_PAGE || n > size - SMEM_MUTEX_PAGE || n > UINT32_MAX)
		return -EINVAL;
	if (cfg->format) {
		atomic_store(lock, 0);
		ret = format_for_pair(base, n, cfg->version, cfg->remote_host);
		if (ret)
			return ret;
	}
	while (!smem_initialized(base, n) && rpmsg_os_now_ns() < deadline)
		rpmsg_os_sleep_ms(1);
	ret = smem_attach(s, base, n, lock, cfg->local_host);
	return ret == -EPROTO && !smem_initialized(base, n) ? -ENODEV : ret;
}
