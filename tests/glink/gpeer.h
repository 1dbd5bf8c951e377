/*
 * Test helper: a hand-driven GLINK peer over SMEM in a plain buffer. The link under test is
 * the main CPU (it formats SMEM); the "peer" is the test itself, writing commands into
 * FIFO_1 (item 480) and reading FIFO_0 (item 479) through the descriptor (item 478).
 */
#ifndef RPMSG_TEST_GPEER_H
#define RPMSG_TEST_GPEER_H

#include <stdlib.h>
#include <string.h>

#include "glink/glink_wire.h"
#include "../memplat.h" /* by path: tests/fuzz includes this header without -Itests */
#include "smem/smem.h"

#include <rpmsg/glink.h>

#define GP_SHM (256u * 1024u)

struct gpeer {
	struct smem smem;
	uint8_t *desc, *rxf, *txf; /* peer view: reads FIFO_0 (rxf), writes FIFO_1 (txf) */
	uint32_t rxn, txn;
	uint32_t head;             /* our write index in FIFO_1 */
};

/* Descriptor words as the link reads and writes them (atomic: a peer may run in a thread). */
static inline uint32_t gp_word(const struct gpeer *g, uint32_t off)
{
	uint32_t w = __atomic_load_n((const uint32_t *)(const void *)(g->desc + off), __ATOMIC_ACQUIRE);

	return glink_get32((const uint8_t *)&w);
}

static inline void gp_set_word(struct gpeer *g, uint32_t off, uint32_t v)
{
	uint32_t w;

	glink_put32((uint8_t *)&w, v);
	__atomic_store_n((uint32_t *)(void *)(g->desc + off), w, __ATOMIC_RELEASE);
}

/* Attach as the remote host and make FIFO_1 (after the main CPU made 478 and 479). */
static inline int gpeer_attach(struct gpeer *g, uint8_t *shm, size_t shm_size, uint32_t fifo1)
{
	void *p;
	size_t n;
	int ret;

	memset(g, 0, sizeof(*g));
	ret = smem_attach(&g->smem, shm + 4096, shm_size - 4096,
			  (_Atomic uint32_t *)(void *)(shm + 12), 1);
	if (ret)
		return ret;
	if ((ret = smem_get(&g->smem, SMEM_HOST_APPS, GLINK_ITEM_DESC, &p, &n)) || n != 32)
		return ret ? ret : -EPROTO;
	g->desc = p;
	if ((ret = smem_get(&g->smem, SMEM_HOST_APPS, GLINK_ITEM_FIFO0, &p, &n)))
		return ret;
	g->rxf = p;
	g->rxn = (uint32_t)n;
	ret = smem_alloc(&g->smem, SMEM_HOST_APPS, GLINK_ITEM_FIFO1, fifo1);
	if (ret && ret != -EEXIST)
		return ret;
	if ((ret = smem_get(&g->smem, SMEM_HOST_APPS, GLINK_ITEM_FIFO1, &p, &n)))
		return ret;
	g->txf = p;
	g->txn = (uint32_t)n;
	g->head = 0;
	glink_put32(g->desc + GLINK_D_FIFO1_HEAD, 0);
	glink_put32(g->desc + GLINK_D_FIFO0_TAIL, 0);
	return 0;
}

/* Write a command (padded to 8 with zeros) and publish the head. */
static inline void gpeer_write(struct gpeer *g, const void *cmd, uint32_t len)
{
	uint32_t total = glink_round8(len);

	for (uint32_t i = 0; i < total; i++)
		g->txf[(g->head + i) % g->txn] = i < len ? ((const uint8_t *)cmd)[i] : 0;
	g->head = (g->head + total) % g->txn;
	gp_set_word(g, GLINK_D_FIFO1_HEAD, g->head);
}

static inline void gpeer_cmd(struct gpeer *g, uint16_t cmd, uint16_t p1, uint32_t p2)
{
	uint8_t b[8];

	glink_encode_hdr(b, cmd, p1, p2);
	gpeer_write(g, b, 8);
}

/* Read everything the main CPU wrote (up to max bytes); returns the count. */
static inline uint32_t gpeer_read(struct gpeer *g, uint8_t *out, uint32_t max)
{
	uint32_t tail = gp_word(g, GLINK_D_FIFO0_TAIL) % g->rxn, n = 0;
	uint32_t head = gp_word(g, GLINK_D_FIFO0_HEAD) % g->rxn; /* the fuzzer scribbles both */

	while (tail != head && n < max) {
		out[n++] = g->rxf[tail];
		tail = (tail + 1) % g->rxn;
	}
	gp_set_word(g, GLINK_D_FIFO0_TAIL, tail);
	return n;
}

#endif
