/* The bare-metal heap: see arena.h. */
#include <string.h>

#include "platform/arena.h"

#define ALIGN 8u
#define HDR 8u
#define MIN_SPLIT (HDR + 16u) /* a leftover smaller than this stays with the block */

/* Header of every block: its size (header included) and whether it is free. */
struct blk {
	uint32_t size;
	uint32_t free;
};

static struct blk *at(struct bm_arena *a, size_t off)
{
	return (struct blk *)(void *)(a->mem + off);
}

void bm_arena_init(struct bm_arena *a, void *mem, size_t size)
{
	uintptr_t start = ((uintptr_t)mem + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1);

	size -= start - (uintptr_t)mem;
	size &= ~(size_t)(ALIGN - 1);
	if (size > UINT32_MAX)
		size = UINT32_MAX & ~(size_t)(ALIGN - 1);
	a->mem = (uint8_t *)start;
	a->size = size < HDR ? 0 : size;
	a->used = a->peak = 0;
	if (a->size)
		*at(a, 0) = (struct blk){ (uint32_t)a->size, 1 };
}

void *bm_arena_zalloc(struct bm_arena *a, size_t size)
{
	size_t need;

	if (size == 0 || size > a->size)
		return NULL;
	need = (size + HDR + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	for (size_t off = 0; off < a->size; off += at(a, off)->size) {
		struct blk *b = at(a, off);

		if (!b->free || b->size < need)
			continue;
		if (b->size - need >= MIN_SPLIT) {
			*at(a, off + need) = (struct blk){ (uint32_t)(b->size - need), 1 };
			b->size = (uint32_t)need;
		}
		b->free = 0;
		a->used += b->size;
		if (a->used > a->peak)
			a->peak = a->used;
		memset(b + 1, 0, b->size - HDR);
		return b + 1;
	}
	return NULL;
}

void bm_arena_free(struct bm_arena *a, void *p)
{
	struct blk *b;

	if (!p)
		return;
	b = (struct blk *)p - 1;
	b->free = 1;
	a->used -= b->size;
	/* Merge runs of free blocks; the arena holds a few dozen blocks, so one pass is cheap. */
	for (size_t off = 0; off < a->size; off += at(a, off)->size) {
		struct blk *c = at(a, off);

		while (c->free && off + c->size < a->size && at(a, off + c->size)->free)
			c->size += at(a, off + c->size)->size;
	}
}
