/*
 * Qualcomm SMEM: the allocate-only heap in memory shared by every processor of the SoC
 * (spec/35-smem.md). Internal to the library: the Qualcomm transports (SMD, GLINK) use it.
 *
 * Two halves:
 *   smem_format  lays out a fresh region as the boot loader does: global header, table of
 *                contents, partition table at the last 4 KiB, partition headers.
 *   smem_attach  validates an existing region (every field read from it is hostile input)
 *                and remembers the partitions this host shares with others.
 * Items are allocated and looked up by number for a remote host, in the private partition
 * shared with that host, else the global partition, else the global heap (version 11).
 *
 * The hardware spinlock (a TCSR mutex register) is a 32-bit word the caller places in
 * memory all processors see: a host takes it by moving it from 0 to its owner value
 * (host id + 1), as the hardware's "write, read back" protocol does, and frees it with 0.
 */
#ifndef RPMSG_SMEM_H
#define RPMSG_SMEM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMEM_ITEM_COUNT 512          /* default item limit */
#define SMEM_ITEM_LAST_FIXED 8       /* items 0..7 belong to the boot loader */
#define SMEM_HOST_APPS 0
#define SMEM_HOST_ANY (-1)
#define SMEM_GLOBAL_HOST 0xFFFEu
#define SMEM_HOST_COUNT 25
#define SMEM_HEAP_VERSION 11
#define SMEM_PART_VERSION 12
#define SMEM_CANARY 0xA5A5u
#define SMEM_LOCK_TIMEOUT_MS 1000

/* Layout constants (bytes). */
#define SMEM_HEADER_SIZE 208u               /* before the TOC */
#define SMEM_TOC_ENTRY_SIZE 16u
#define SMEM_HEADER_TOTAL (SMEM_HEADER_SIZE + SMEM_ITEM_COUNT * SMEM_TOC_ENTRY_SIZE) /* 8400 */
#define SMEM_PTABLE_SIZE 4096u              /* the partition table: last 4 KiB */
#define SMEM_PTABLE_HDR 32u
#define SMEM_PTABLE_ENTRY 48u
#define SMEM_PTABLE_MAX ((SMEM_PTABLE_SIZE - SMEM_PTABLE_HDR) / SMEM_PTABLE_ENTRY)
#define SMEM_PART_HDR 32u
#define SMEM_ITEM_HDR 16u

/* One partition a creator lays out. */
struct smem_part_cfg {
	uint16_t host0, host1; /* SMEM_GLOBAL_HOST twice for the global partition */
	uint32_t size;         /* bytes, header included; multiple of 8 */
	uint32_t cacheline;    /* alignment of cached item headers; power of two (0: 64) */
};

struct smem_format_cfg {
	unsigned version;    /* SMEM_HEAP_VERSION or SMEM_PART_VERSION */
	const struct smem_part_cfg *parts; /* version 12 needs one global partition */
	unsigned nparts;
	uint16_t num_items;  /* nonzero: write the "SIII" info block with this item limit */
};

/* A partition as validated at attach time (the table's values, which the header matched). */
struct smem_part {
	uint32_t offset, size, cacheline;
	uint16_t host0, host1;
	bool valid;
};

struct smem {
	uint8_t *base;
	size_t size;
	_Atomic uint32_t *lock; /* the hardware mutex register */
	uint32_t owner;         /* our value in it: local host + 1 */
	uint16_t local_host;
	unsigned version;
	unsigned item_limit;
	struct smem_part global;
	struct smem_part parts[SMEM_HOST_COUNT]; /* by remote host */
#if RPMSG_BAREMETAL
	uint64_t errors;         /* as below; plain: one context, no 64-bit atomics on Cortex-M */
#else
	_Atomic uint64_t errors; /* corruption seen after attach (bad canary, bounds) */
#endif
};

/*
 * The Qualcomm transports' memory (SMD, GLINK over SMEM) on a platform block laid out as on
 * the SoC: a 4 KiB page of hardware-mutex registers (32-bit, lock N at 4 * N; SMEM uses lock
 * 3), then SMEM.
 */
#define SMEM_MUTEX_PAGE 4096u
#define SMEM_LOCK_ID 3u

struct smem_setup_cfg {
	size_t smem_size;     /* SMEM bytes after the mutex page (0: all the rest) */
	bool format;          /* lay SMEM out first, as the boot loader does */
	unsigned version;     /* when formatting: SMEM_PART_VERSION or SMEM_HEAP_VERSION */
	uint16_t remote_host; /* when formatting: the private partition is (APPS, remote_host) */
	uint16_t local_host;  /* who attaches */
	int timeout_ms;       /* how long to wait for a peer's layout */
};

/*
 * Set SMEM up in a platform block of `size` bytes at `block`: format it when asked (version
 * 12: a 16 KiB global partition and the (APPS, remote_host) partition taking the rest but a
 * 4 KiB heap; version 11: the global heap), wait for it to be initialized, attach. -EINVAL
 * (block too small for the size asked), -ENOSPC (too small to format), -ENODEV (nobody laid
 * it out in time), -EPROTO (laid out wrong).
 */
int smem_setup(struct smem *s, void *block, size_t size, const struct smem_setup_cfg *cfg);

/*
 * Format a fresh region of `size` bytes at `base` (all of it is overwritten). The
 * `initialized` word is written last, with release order: a reader that sees it sees the
 * rest. Partitions are placed after the header, 4 KiB aligned, in the order given; the
 * version-11 global heap takes what is left before the partition table.
 */
int smem_format(void *base, size_t size, const struct smem_format_cfg *cfg);
/* Whether the region looks initialized (cheap; attach does the real checks). */
bool smem_initialized(const void *base, size_t size);
/*
 * Attach to a region: -EPROTO with nothing remembered if any header, table entry or
 * partition header is wrong (as Linux refuses to probe).
 */
int smem_attach(struct smem *s, void *base, size_t size, _Atomic uint32_t *lock,
		uint16_t local_host);

/* Take/give the hardware spinlock (-ETIMEDOUT after timeout_ms). */
int smem_lock(struct smem *s, int timeout_ms);
void smem_unlock(struct smem *s);

/*
 * Allocate `item` of `size` bytes for `host` (SMEM_HOST_ANY: the global area). -EEXIST if
 * it exists (callers treat that as success), -EPERM for items below 8, -EINVAL at or above
 * the item limit, -ENOSPC when full, -EPROTO on corruption, -ETIMEDOUT on the lock.
 */
int smem_alloc(struct smem *s, int host, unsigned item, size_t size);
/*
 * A cached item (growing down from the partition end), as some firmware allocates; Linux
 * never does. Private or global partitions only (-ENODEV on a version-11 heap).
 */
int smem_alloc_cached(struct smem *s, int host, unsigned item, size_t size);
/* Look an item up: 0 with *ptr and *size (the visible size), -ENOENT, -EINVAL, -EPROTO. */
int smem_get(struct smem *s, int host, unsigned item, void **ptr, size_t *size);
/* Free bytes in the area `host` allocates from (negative errno on corruption). */
int64_t smem_free_space(struct smem *s, int host);

#endif
