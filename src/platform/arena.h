/*
 * A first-fit allocator over one caller-given block of memory: the bare-metal build's
 * "heap", sized at compile time (RPMSG_ARENA_SIZE). Blocks carry an 8-byte header; free
 * neighbours merge. Deterministic and small; not thread-safe (one context, see baremetal.h).
 */
#ifndef RPMSG_ARENA_H
#define RPMSG_ARENA_H

#include <stddef.h>
#include <stdint.h>

struct bm_arena {
	uint8_t *mem;
	size_t size;
	size_t used, peak; /* bytes handed out, headers included */
};

void bm_arena_init(struct bm_arena *a, void *mem, size_t size);
void *bm_arena_zalloc(struct bm_arena *a, size_t size); /* zeroed; NULL when full */
void bm_arena_free(struct bm_arena *a, void *p);

#endif
