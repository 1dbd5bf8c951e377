/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Capture: see every message and control event on a bus, and write them to pcapng for
 * Wireshark (with the dissector in tools/wireshark/rpmsg.lua).
 *
 * A tap is one function the bus calls for each event, in the thread where the event
 * happens (a sender's thread, or the one polling the bus): keep it short and never block.
 * With no tap set, the cost on the hot paths is one load and one predictable branch.
 */
#ifndef RPMSG_CAPTURE_H
#define RPMSG_CAPTURE_H

#include <stdint.h>
#include <stdio.h>

#include <rpmsg/rpmsg.h>

#ifdef __cplusplus
extern "C" {
#endif

enum rpmsg_cap_event {
	RPMSG_CAP_MSG = 1,            /* a message: src, dst, payload */
	RPMSG_CAP_CHANNEL_ADD = 2,    /* a channel appeared: src, dst, name */
	RPMSG_CAP_CHANNEL_REMOVE = 3, /* a channel went away */
	RPMSG_CAP_CONTROL = 4,        /* a transport's own control traffic: code, payload */
};

enum rpmsg_cap_dir {
	RPMSG_CAP_TX = 0, /* from this processor */
	RPMSG_CAP_RX = 1, /* to this processor */
};

struct rpmsg_cap_record {
	uint64_t time_ns;        /* CLOCK_REALTIME */
	struct rpmsg_link *link;
	uint8_t event;           /* enum rpmsg_cap_event */
	uint8_t dir;             /* enum rpmsg_cap_dir */
	uint16_t code;           /* CONTROL: the transport's command code */
	uint32_t src, dst;
	uint32_t flags;          /* message flags where the wire has them */
	const void *data;        /* payload (MSG, CONTROL) or the NUL-padded name (CHANNEL_*) */
	uint32_t len;
};

typedef void (*rpmsg_tap_fn)(const struct rpmsg_cap_record *rec, void *arg);

/*
 * Set the bus's tap (NULL removes it). After removal returns, the old tap is not running
 * and will not be called again. -EBUSY if another tap is set.
 */
int rpmsg_bus_set_tap(struct rpmsg_bus *bus, rpmsg_tap_fn fn, void *arg);

/* For transports: report control traffic (GLINK commands, SMD state changes, SCP acks...). */
void rpmsg_link_tap_control(struct rpmsg_link *link, int dir, uint16_t code, const void *data,
			    size_t len);

/*
 * pcapng writer. One interface per link (named after the link, described by its
 * transport), enhanced packet blocks with nanosecond timestamps, link type USER0 (147)
 * carrying a 24-byte record header (see doc/capture.md) and up to `snaplen` payload bytes.
 * Writes are serialized inside; rpmsg_pcapng_write may be called from a tap.
 */
struct rpmsg_pcapng;

#define RPMSG_PCAPNG_LINKTYPE 147u
#define RPMSG_CAP_HEADER_SIZE 24u

int rpmsg_pcapng_open(FILE *f, uint32_t snaplen, struct rpmsg_pcapng **out);
int rpmsg_pcapng_write(struct rpmsg_pcapng *w, const struct rpmsg_cap_record *rec);
/* Count a record that could not be written (a writer that fell behind); reported at close. */
void rpmsg_pcapng_drop(struct rpmsg_pcapng *w, struct rpmsg_link *link, uint64_t n);
uint64_t rpmsg_pcapng_written(const struct rpmsg_pcapng *w);
/* Writes the statistics (captured, dropped per interface), flushes; does not close f. */
int rpmsg_pcapng_finish(struct rpmsg_pcapng *w);

/* The record header as bytes (what the writer puts before the payload). */
void rpmsg_cap_header_encode(uint8_t out[RPMSG_CAP_HEADER_SIZE], const struct rpmsg_cap_record *rec);

/* Convenience: capture everything on `bus` into a pcapng file until stopped. */
int rpmsg_capture_start(struct rpmsg_bus *bus, const char *path, uint32_t snaplen);
/* Stop, finish and close the file; returns the records written (or a negative errno). */
long rpmsg_capture_stop(struct rpmsg_bus *bus);

#ifdef __cplusplus
}
#endif
#endif
