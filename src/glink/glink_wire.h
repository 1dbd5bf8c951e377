/*
 * GLINK wire format (spec/20-glink.md): command ids and layouts, SMEM items and descriptor
 * words, the RPM message-RAM table of contents. Encoders write little-endian bytes; the
 * transport, the golden tests and the fuzz target share them.
 */
#ifndef RPMSG_GLINK_WIRE_H
#define RPMSG_GLINK_WIRE_H

#include <stdint.h>
#include <string.h>

enum glink_cmd {
	GLINK_VERSION = 0,
	GLINK_VERSION_ACK = 1,
	GLINK_OPEN = 2,
	GLINK_CLOSE = 3,
	GLINK_OPEN_ACK = 4,
	GLINK_INTENT = 5,
	GLINK_RX_DONE = 6,
	GLINK_RX_INTENT_REQ = 7,
	GLINK_RX_INTENT_REQ_ACK = 8,
	GLINK_TX_DATA = 9,
	GLINK_ZERO_COPY = 10,
	GLINK_CLOSE_ACK = 11,
	GLINK_TX_DATA_CONT = 12,
	GLINK_READ_NOTIF = 13,
	GLINK_RX_DONE_W_REUSE = 14,
	GLINK_SIGNALS = 15,
};

#define GLINK_VERSION_1 1u
#define GLINK_FEATURE_INTENT_REUSE 0x1u
#define GLINK_HDR 8u          /* cmd, param1, param2 */
#define GLINK_DATA_HDR 16u    /* + chunk_size, left_size */
#define GLINK_NAME_BUF 32u    /* names: 31 characters and the NUL */
#define GLINK_SIG_DTR (1u << 31)
#define GLINK_SIG_RTS (1u << 30)

/* SMEM flavour. */
#define GLINK_ITEM_DESC 478u
#define GLINK_ITEM_FIFO0 479u /* main -> remote */
#define GLINK_ITEM_FIFO1 480u /* remote -> main */
#define GLINK_DESC_SIZE 32u
#define GLINK_SMEM_RESERVE 16u
/* Descriptor words (byte offsets), named from the main CPU's side. */
#define GLINK_D_FIFO0_TAIL 0u
#define GLINK_D_FIFO0_HEAD 4u
#define GLINK_D_FIFO1_TAIL 8u
#define GLINK_D_FIFO1_HEAD 12u
/*
 * Restart handshake (this library's extension, in the descriptor's unused bytes 16..31,
 * which Linux neither reads nor writes). The main CPU writes the magic and, in ACK, the
 * last restart count it handled; a remote that restarts increments RESTARTS and waits until
 * ACK equals it: by then the main CPU dropped the old session and set all four indices to 0.
 */
#define GLINK_D_RS 16u                  /* the restart words in the descriptor */
#define GLINK_D_RESTARTS (GLINK_D_RS + GLINK_RS_RESTARTS)
#define GLINK_D_RESTART_ACK (GLINK_D_RS + GLINK_RS_ACK)
#define GLINK_D_MAGIC (GLINK_D_RS + GLINK_RS_MAGIC)
/* The restart words, as offsets from their start (SMEM: GLINK_D_RS; RPM: GLINK_TOC_RESTART). */
#define GLINK_RS_RESTARTS 0u            /* remote restart count (written by the remote) */
#define GLINK_RS_ACK 4u                 /* the count the main CPU handled (written by it) */
#define GLINK_RS_MAGIC 8u               /* the main CPU answers restarts: */
#define GLINK_RS_SIZE 16u               /* the three words and one reserved */
#define GLINK_RESTART_MAGIC 0x53524C47u /* "GLRS" in memory */

/* RPM flavour. */
#define GLINK_TOC_SIZE 256u
#define GLINK_TOC_MAGIC 0x67727430u /* "grt0" */
#define GLINK_TOC_MAX 20u
#define GLINK_TOC_ENTRY 12u
#define GLINK_FIFO_AP2R 0x61703272u /* main -> RPM */
#define GLINK_FIFO_R2AP 0x72326170u /* RPM -> main */
#define GLINK_RPM_DESC 8u           /* tail, head; data follows */
/*
 * Restart handshake over RPM (this library's extension): a third TOC entry with an id of
 * our own, naming GLINK_RS_SIZE bytes of message RAM after the two FIFOs that hold the same
 * restart words as the SMEM descriptor's bytes 16..31. Linux looks only for the two FIFO
 * ids and passes over any other entry, as it must on real RPM tables, which also name the
 * FIFOs of the RPM's other peers (ours lies inside the region, so it is not even warned
 * about), and never touches those bytes.
 */
#define GLINK_TOC_RESTART 0x7473726Cu /* "lrst" in memory */

static inline uint32_t glink_round8(uint32_t n)
{
	return (n + 7u) & ~7u;
}

static inline void glink_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void glink_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline uint16_t glink_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t glink_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The 8-byte header every command starts with. Returns 8. */
static inline uint32_t glink_encode_hdr(uint8_t *p, uint16_t cmd, uint16_t param1, uint32_t param2)
{
	glink_put16(p, cmd);
	glink_put16(p + 2, param1);
	glink_put32(p + 4, param2);
	return GLINK_HDR;
}

/* strnlen(name, GLINK_NAME_BUF - 1): strnlen is POSIX, not in a freestanding C library. */
static inline uint32_t glink_name_len(const char *name)
{
	uint32_t n = 0;

	while (n < GLINK_NAME_BUF - 1 && name[n])
		n++;
	return n;
}

/* OPEN: header (name length with its NUL, priority 0) and the name. Returns the bytes (unpadded). */
static inline uint32_t glink_encode_open(uint8_t *p, uint16_t lcid, const char *name)
{
	uint32_t n = glink_name_len(name) + 1;

	glink_encode_hdr(p, GLINK_OPEN, lcid, n);
	memcpy(p + GLINK_HDR, name, n - 1);
	p[GLINK_HDR + n - 1] = 0;
	return GLINK_HDR + n;
}

/* INTENT with one {size, id} pair (as Linux sends them). Returns 16. */
static inline uint32_t glink_encode_intent(uint8_t *p, uint16_t lcid, uint32_t size, uint32_t id)
{
	glink_encode_hdr(p, GLINK_INTENT, lcid, 1);
	glink_put32(p + 8, size);
	glink_put32(p + 12, id);
	return 16;
}

/* TX_DATA / TX_DATA_CONT header. Returns 16. */
static inline uint32_t glink_encode_data_hdr(uint8_t *p, uint16_t cmd, uint16_t lcid, uint32_t iid,
					     uint32_t chunk, uint32_t left)
{
	glink_encode_hdr(p, cmd, lcid, iid);
	glink_put32(p + 8, chunk);
	glink_put32(p + 12, left);
	return GLINK_DATA_HDR;
}

#endif
