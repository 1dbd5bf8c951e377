/*
 * Test helper: doorbell fault injection. A fault platform wraps any rpmsg_platform and hands
 * the transport a platform whose doorbells misbehave under the test's control:
 *
 *  - outgoing notify(): dropped (the peer never hears it), duplicated (rung twice) or
 *    delayed (held back and rung later, after the next notify that goes through or at
 *    faultplat_release), by seeded random rates or by an explicit script;
 *  - incoming wait()/arm(): a spurious ring, i.e. wait() returns "rung" and arm() returns
 *    "pending" although the peer rang nothing;
 *  - faultplat_ring(): a bare doorbell to the peer with no state change behind it.
 *
 * Shared memory, fd, ack and time go straight to the wrapped platform. Everything is
 * deterministic for a given seed and sequence of calls, and safe to call from several
 * threads. The library never sees any of this: it is a platform like any other.
 */
#ifndef RPMSG_TEST_FAULTPLAT_H
#define RPMSG_TEST_FAULTPLAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rpmsg/platform.h>

struct faultplat;

struct faultplat_cfg {
	/* Of each outgoing notify, in per mille: drop, duplicate, delay (disjoint: their sum
	 * must stay <= 1000; the rest pass unchanged). */
	unsigned drop_pm, dup_pm, delay_pm;
	/* Of each wait() and arm(): report a ring that never happened, in per mille. */
	unsigned spurious_pm;
	/* Which doorbell ids the faults above apply to (bit i: id i); 0 means all. */
	uint32_t bells;
};

struct faultplat_stats {
	uint64_t notifies;   /* notify() calls by the transport */
	uint64_t passed;     /* ... that reached the peer once, unchanged */
	uint64_t dropped;    /* ... that never reached it */
	uint64_t duplicated; /* ... that reached it twice */
	uint64_t delayed;    /* ... held back (and later released) */
	uint64_t spurious;   /* wait()/arm() calls that reported a ring that never happened */
	uint64_t rings;      /* bare doorbells from faultplat_ring() */
};

/* Wrap `inner` (the fault platform then owns it: destroying the wrapper destroys it). */
int faultplat_wrap(struct rpmsg_platform *inner, uint64_t seed, struct faultplat **out);
/* The platform to hand to the transport. */
struct rpmsg_platform *faultplat_platform(struct faultplat *f);
/* New rates (from the next call on). A zeroed cfg turns random faults off. */
void faultplat_set(struct faultplat *f, const struct faultplat_cfg *cfg);
/*
 * The fates of the next notifies (of the bells in cfg.bells), one character each, before
 * the random rates apply again: '.' pass, 'x' drop, 'd' duplicate, 'l' delay. Replaces
 * what is left of an earlier script. At most 63 characters.
 */
void faultplat_script(struct faultplat *f, const char *plan);
/* How many script characters are still unused. */
unsigned faultplat_script_left(struct faultplat *f);
/* Ring the peer's bell `id` with no state change behind it (a spurious ring for the peer). */
int faultplat_ring(struct faultplat *f, uint32_t id);
/* Ring every delayed doorbell now; returns how many. */
int faultplat_release(struct faultplat *f);
void faultplat_get_stats(struct faultplat *f, struct faultplat_stats *out);
/*
 * Free the wrapper. The transport's link destroys the platform it was given (the inner one
 * with it); call this after that. If no link ever took it, this destroys the inner one.
 */
void faultplat_free(struct faultplat *f);

/* The seed tests use: RPMSG_FAULT_SEED from the environment, else `dflt`. Printed. */
uint64_t faultplat_seed(uint64_t dflt);

/*
 * Messages that check themselves: seq (u32 LE), then a pattern derived from seq and the
 * stream id. fault_msg_fill returns the length (between 8 and max, varying with seq).
 */
static inline size_t fault_msg_fill(uint8_t *buf, size_t max, uint32_t stream, uint32_t seq)
{
	size_t len = 8 + (size_t)((seq * 2654435761u) % (uint32_t)(max - 8 + 1));

	for (int i = 0; i < 4; i++) {
		buf[i] = (uint8_t)(seq >> (8 * i));
		buf[4 + i] = (uint8_t)(stream >> (8 * i));
	}
	for (size_t i = 8; i < len; i++)
		buf[i] = (uint8_t)(seq * 31u + stream * 7u + i);
	return len;
}

/* The sequence number of a message, or -1 if it is not an intact message of `stream`. */
static inline long fault_msg_check(const uint8_t *buf, size_t len, size_t max, uint32_t stream)
{
	uint8_t want[1024];
	uint32_t seq;

	if (len < 8 || max > sizeof(want))
		return -1;
	seq = (uint32_t)buf[0] | (uint32_t)buf[1] << 8 | (uint32_t)buf[2] << 16 |
	      (uint32_t)buf[3] << 24;
	if (fault_msg_fill(want, max, stream, seq) != len || memcmp(want, buf, len))
		return -1;
	return (long)seq;
}

#endif
