/*
 * Test helper: messages that check themselves, for the stress tests (one copy instead of
 * one per transport). Payload: sequence number (4, little-endian) | FNV-1a of the rest (4)
 * | filler; messages shorter than 8 bytes carry only the low bytes of the sequence number.
 * A receiver keeps a seqmsg_stream per sender: anything lost, duplicated, reordered or
 * corrupted counts as bad.
 */
#ifndef RPMSG_TEST_SEQMSG_H
#define RPMSG_TEST_SEQMSG_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct seqmsg_stream {
	uint32_t next_seq;
	uint32_t bad;
};

/* 32-bit FNV-1a. */
static inline uint32_t seqmsg_fnv(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

/* Fill buf[0..len) with message `seq`; returns len. */
static inline size_t seqmsg_make(uint8_t *buf, uint32_t seq, size_t len)
{
	for (size_t i = 0; i < len && i < 4; i++) /* little-endian: short ones keep the low bytes */
		buf[i] = (uint8_t)(seq >> (8 * i));
	for (size_t i = 8; i < len; i++)
		buf[i] = (uint8_t)(seq * 131 + i * 7);
	if (len >= 8) {
		uint32_t h = seqmsg_fnv(buf + 8, len - 8);

		memcpy(buf + 4, &h, 4);
	}
	return len;
}

/* Check a received message against the stream (1..max bytes long); counts what is wrong. */
static inline void seqmsg_check(struct seqmsg_stream *s, const uint8_t *data, size_t len,
				size_t max)
{
	uint32_t seq = 0, h;

	if (len == 0 || len > max) {
		s->bad++;
		return;
	}
	for (size_t i = 0; i < len && i < 4; i++)
		seq |= (uint32_t)data[i] << (8 * i);
	if (len < 4) {
		uint32_t mask = len == 1 ? 0xFF : len == 2 ? 0xFFFF : 0xFFFFFF;

		if (seq != (s->next_seq & mask))
			s->bad++;
		s->next_seq++;
		return;
	}
	if (seq != s->next_seq)
		s->bad++;
	if (len >= 8) {
		memcpy(&h, data + 4, 4);
		if (h != seqmsg_fnv(data + 8, len - 8))
			s->bad++;
	}
	s->next_seq = seq + 1;
}

#endif
