/*
 * SMD wire format (spec/30-smd.md): SMEM item numbers, the allocation-table entry, the two
 * channel-info variants and the packet header. Encoders write little-endian bytes; the
 * transport and the golden tests share them.
 */
#ifndef RPMSG_SMD_WIRE_H
#define RPMSG_SMD_WIRE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define SMD_TABLES 2
#define SMD_TABLE_ENTRIES 64
#define SMD_ENTRY_SIZE 32
#define SMD_NAME_LEN 20
#define SMD_TABLE_BYTES (SMD_TABLE_ENTRIES * SMD_ENTRY_SIZE)

/* Items per table: allocation table, channel info base, FIFO base (+ cid). */
#define SMD_ITEM_TABLE(t) ((t) ? 266u : 13u)
#define SMD_ITEM_INFO(t) ((t) ? 138u : 14u)
#define SMD_ITEM_FIFO(t) ((t) ? 202u : 338u)

/* Allocation entry fields. */
#define SMD_E_NAME 0
#define SMD_E_CID 20
#define SMD_E_FLAGS 24
#define SMD_E_REF 28
#define SMD_F_EDGE_MASK 0xFFu
#define SMD_F_STREAM (1u << 8)
#define SMD_F_PACKET (1u << 9)

/* Channel info record sizes. */
#define SMD_REC_BYTE 20
#define SMD_REC_WORD 44

/* Record fields, in order; offsets depend on the variant. */
enum smd_field {
	SMD_STATE,
	SMD_DSR,
	SMD_CTS,
	SMD_CD,
	SMD_RI,
	SMD_HEAD_F, /* fHEAD */
	SMD_TAIL_F, /* fTAIL */
	SMD_STATE_F, /* fSTATE */
	SMD_BLOCK_F, /* fBLOCKREADINTR */
	SMD_TAIL,
	SMD_HEAD,
	SMD_NFIELDS
};

/* Whether a field is one byte wide in the byte variant (flags) or 32 bits (the rest). */
static inline bool smd_field_is_flag(enum smd_field f)
{
	return f >= SMD_DSR && f <= SMD_BLOCK_F;
}

/* Offset of a field in a record: the word variant has every field 4 bytes wide. */
static inline unsigned smd_field_off(enum smd_field f, bool word)
{
	if (word)
		return 4u * (unsigned)f;
	if (f == SMD_STATE)
		return 0;
	if (smd_field_is_flag(f))
		return 4u + (unsigned)(f - SMD_DSR);
	return f == SMD_TAIL ? 12u : 16u;
}

#define SMD_PKT_HDR 20

static inline void smd_put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t smd_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Encode an allocation entry (32 bytes). */
static inline void smd_encode_entry(uint8_t *e, const char *name, uint32_t cid, uint32_t flags,
				    uint32_t ref_count)
{
	size_t n = strlen(name);

	memset(e, 0, SMD_ENTRY_SIZE);
	memcpy(e + SMD_E_NAME, name, n < SMD_NAME_LEN - 1 ? n : SMD_NAME_LEN - 1);
	smd_put_le32(e + SMD_E_CID, cid);
	smd_put_le32(e + SMD_E_FLAGS, flags);
	smd_put_le32(e + SMD_E_REF, ref_count);
}

/* Encode a packet header (20 bytes): the payload length, then 16 reserved zero bytes. */
static inline void smd_encode_pkt_header(uint8_t *h, uint32_t len)
{
	memset(h, 0, SMD_PKT_HDR);
	smd_put_le32(h, len);
}

/* Encode one channel-info record in either variant (a fresh copy, for tests and init). */
struct smd_record {
	uint32_t v[SMD_NFIELDS];
};

static inline void smd_encode_record(uint8_t *r, const struct smd_record *rec, bool word)
{
	memset(r, 0, word ? SMD_REC_WORD : SMD_REC_BYTE);
	for (int f = 0; f < SMD_NFIELDS; f++) {
		unsigned off = smd_field_off((enum smd_field)f, word);

		if (!word && smd_field_is_flag((enum smd_field)f))
			r[off] = (uint8_t)rec->v[f];
		else
			smd_put_le32(r + off, rec->v[f]);
	}
}

#endif
