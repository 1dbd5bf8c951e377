/*
 * Reading captures back (the tool's trace view, tests, fuzzing): a pcapng block parser
 * that trusts nothing in the bytes it is given.
 */
#ifndef RPMSG_CAPTURE_READER_H
#define RPMSG_CAPTURE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rpmsg/capture.h>

#define CAP_MAX_IFACES 64

struct cap_state {
	bool seen_shb;
	unsigned nifaces;
	char ifname[CAP_MAX_IFACES][RPMSG_NAME_SIZE];
	uint32_t linktype[CAP_MAX_IFACES];
};

enum cap_kind { CAP_OTHER, CAP_PACKET, CAP_STATS };

struct cap_event {
	enum cap_kind kind;
	const char *ifname;
	uint64_t time_ns;
	/* CAP_PACKET: the decoded record header and the captured payload */
	uint8_t event, dir, transport;
	uint32_t src, dst, flags, code, len;
	const uint8_t *data;
	uint32_t caplen;
	/* CAP_STATS */
	uint64_t received, dropped;
};

/*
 * Parse the block at buf[0..len): returns the bytes it took (> 0, ev filled), 0 when the
 * block is not all there yet, or a negative errno for bytes that are not our pcapng
 * (-EPROTO malformed, -ENOTSUP big-endian section or other link type, -ENOSPC interfaces).
 */
long cap_parse_block(struct cap_state *st, const uint8_t *buf, size_t len, struct cap_event *ev);

const char *cap_event_name(uint8_t event);
const char *cap_transport_name(uint8_t transport);

#endif
