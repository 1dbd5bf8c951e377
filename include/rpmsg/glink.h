/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Qualcomm GLINK transport (the native protocol, spec/20-glink.md) in both roles, over
 * SMEM FIFOs or RPM message RAM, on any platform.
 *
 * Memory, SMEM flavour: the platform's shared block is laid out as for SMD:
 *   offset 0     a 4 KiB hardware-mutex block (SMEM uses lock 3)
 *   offset 4096  SMEM (spec/35-smem.md), cfg.smem_size bytes (default: the rest)
 * The edge is SMEM items 478 (descriptor), 479 (main CPU -> remote FIFO, allocated by the main
 * CPU) and 480 (remote -> main CPU FIFO, allocated by the remote), for the host pair
 * (APPS, cfg.remote_host). Each side finds the peer's FIFO item when it appears.
 *
 * Memory, RPM flavour: the whole platform block is the message RAM; its last 256 bytes are
 * the table of contents naming the two FIFOs. The remote (the RPM) lays it out when
 * cfg.format_smem is set; the other side waits for it.
 *
 * The protocol is symmetric: each side may open channels. A channel the peer opens appears
 * on the bus (rpmsg_channel) under its name, so drivers bind by name; the driver's endpoint
 * (or rpmsg_create_ept() with that name) answers the open. rpmsg_create_ept() with a name no
 * channel has opens a new channel and waits up to cfg.open_timeout_ms for the peer to open
 * it too. The names in cfg.channels are opened at start-up and appear on this side's bus at
 * once. Destroying the endpoint closes the channel. Point to point: callbacks get
 * src = RPMSG_ADDR_ANY and the destination of a send is ignored.
 *
 * SMEM edges use intents: each side advertises cfg.intent_count receive buffers of
 * cfg.intent_size bytes on every channel once it is open, and grants requests for larger
 * ones (up to cfg.max_rx_size). send() requests an intent when none fits and waits for it
 * (and uses it: no other intent is taken meanwhile, so granted intents do not pile up in the
 * peer's slots); a refusal is asked again, when the peer gives an intent back or after a
 * pause, until the send's timeout or cfg.intent_timeout_ms, and only then fails (-EAGAIN).
 * A request is refused only when all 32 intent slots of the channel hold intents the peer
 * has not filled (complete messages not yet delivered are copied out to make room), or for
 * size or memory;
 * trysend() returns -EAGAIN when no intent is free or the FIFO is full (when none of the
 * peer's intents could hold the message it first asks the peer for one, so a later trysend
 * finds it; a refusal is reported once as -ENOMEM), and -EMSGSIZE when the message is more
 * than an empty FIFO holds (a blocking send can still send it). A trysend that finds the
 * FIFO full asks the peer to ring when it has read (READ_NOTIF), so rpmsg_bus_poll() wakes.
 * Messages larger than one FIFO write go out in continuation chunks. RPM edges are
 * intentless.
 *
 * No message is left half sent: a blocking send that times out has written nothing, except
 * that a message larger than the whole FIFO, once its first chunk is written, is finished
 * even past the timeout (as Linux does; the wire cannot take chunks back and the peer would
 * join them to the next message). It ends early only if the channel or the edge goes.
 *
 * rpmsg_set_flow_control() sends SIGNALS (DTR|RTS while paused); the peer's SIGNALS call
 * the endpoint's flow callback. Receive callbacks run in rpmsg_bus_poll(); their return
 * value is ignored (the message is consumed, as Linux does).
 *
 * Remote restart (both flavours, both roles of this library): SMEM is laid out once, by the
 * main CPU's side (cfg.format_smem there, as a boot loader does) or before either starts; a
 * remote started again on it (its FIFO item exists) announces its restart through the
 * descriptor's unused words and waits. RPM: the remote lays the message RAM out
 * (cfg.format_smem) with a third TOC entry of this library's own (Linux skips it) naming
 * restart words; a remote started again that finds that layout and a main CPU answering
 * keeps it and announces its restart there (a remote not laying the RAM out never does).
 * Either way it waits (up to cfg.attach_timeout_ms) until the main CPU has
 * answered, which it does from rpmsg_bus_poll(). The main CPU then drops the whole session
 * as remoteproc recovery does: every channel is removed from the bus (drivers see remove),
 * blocked senders and sends on the old channels return -EPIPE, undelivered messages are
 * dropped; endpoints an application created with rpmsg_create_ept() stay dead (-EPIPE)
 * until destroyed. The remote's channels then come back as on a first start and drivers
 * are probed again. A remote that formats SMEM itself, an RPM remote that does not lay the
 * message RAM out, or an RPM layout without the restart entry (not this library's) starts
 * afresh instead (the main CPU's link must be created again).
 *
 * Waiting: a blocking send (and rpmsg_create_ept() opening a channel first) parses the RX
 * FIFO itself while it waits, so intents, grants and acks arrive without another thread,
 * and it gives the peer what the peer may be waiting for: FIFO room, intents (a complete
 * message is copied out of its intent and the intent released) and answers to its intent
 * requests. So two single-threaded peers may both block in sends at once. Messages are
 * still delivered only by rpmsg_bus_poll(), never inside a send. Peers as Linux: kernels before 6.6
 * stall the edge on SIGNALS, so do not call rpmsg_set_flow_control() towards them; Linux
 * reads RPM FIFOs in whole words, so messages to it over RPM should be multiples of 4 bytes;
 * and Linux (6.1) keeps no reserve when it writes an RPM FIFO, so a write that fills it
 * completely reads as empty and is lost: size the RPM FIFOs (cfg.fifo_size) above what Linux
 * may have in flight towards us (make test-kernel-qcom loses messages otherwise).
 */
#ifndef RPMSG_GLINK_H
#define RPMSG_GLINK_H

#include <rpmsg/platform.h>
#include <rpmsg/rpmsg.h>

#ifdef __cplusplus
extern "C" {
#endif

enum rpmsg_glink_role {
	RPMSG_GLINK_MAIN = 0,   /* the main CPU (Linux's role, SMEM host 0 "APPS") */
	RPMSG_GLINK_REMOTE = 1, /* the remote processor (modem, DSP, RPM) */
};

enum rpmsg_glink_flavour {
	RPMSG_GLINK_SMEM = 0, /* FIFOs in SMEM items 478/479/480, intents */
	RPMSG_GLINK_RPM = 1,  /* FIFOs in RPM message RAM found by a table of contents, intentless */
};

#define RPMSG_GLINK_NAME_MAX 31 /* channel names, NUL excluded */

struct rpmsg_glink_config {
	enum rpmsg_glink_role role;
	const char *name;              /* link name (default "glink") */
	enum rpmsg_glink_flavour flavour;
	uint16_t remote_host;          /* SMEM host id of the remote, 1..24 (default 1) */
	uint32_t doorbell;             /* platform doorbell id of the edge (default 0) */

	/* Memory */
	bool format_smem;              /* lay the memory out first (SMEM as the boot loader
					  does; RPM flavour: the message RAM's TOC and FIFOs) */
	unsigned smem_version;         /* when formatting SMEM: 12 (default) or 11 */
	size_t smem_size;              /* SMEM bytes after the mutex page (0: all the rest) */
	int attach_timeout_ms;         /* wait for the memory to be laid out (default 5000) */
	uint32_t fifo_size;            /* this side's TX FIFO (SMEM) or both (RPM, formatting):
					  multiple of 8, 256 .. 16 MiB (default 16384; RPM 1024) */

	/* Channels opened at start-up (NULL-terminated names, may be NULL). */
	const char *const *channels;

	/* Intents (SMEM flavour) */
	uint32_t intent_size;          /* default intents per channel: size (default 1024) */
	uint32_t intent_count;         /* and count (default 5, at most 16) */
	uint32_t max_rx_size;          /* largest message sent or accepted, intent granted
					  (default 1 MiB) */

	int open_timeout_ms;           /* create_ept waiting for the peer (default 5000) */
	int intent_timeout_ms;         /* send waiting for a requested intent (default 10000) */
};

/* Create the link on `bus` over `plat` (which the link then owns and destroys). */
int rpmsg_glink_create(struct rpmsg_bus *bus, struct rpmsg_platform *plat,
		       const struct rpmsg_glink_config *cfg, struct rpmsg_link **out);

/* Counters of one link, for tools and tests. */
struct rpmsg_glink_stats {
	uint64_t tx_msgs, rx_msgs;
	uint64_t tx_bytes, rx_bytes;
	uint64_t tx_cmds, rx_cmds;   /* commands written / parsed */
	uint64_t rx_bad;             /* hostile or malformed input rejected */
	uint64_t intent_reqs;        /* RX_INTENT_REQ sent */
	uint64_t intent_refused;     /* refusals received */
	uint64_t read_notifs;        /* READ_NOTIF sent */
	uint64_t notifies;           /* doorbells rung */
	uint64_t tx_waits;           /* sends that had to wait (space or intent) */
	uint32_t channels;           /* channel slots in use */
	uint32_t features;           /* negotiated feature bits */
	bool version_done;           /* version negotiation finished */
	bool rx_broken;              /* the peer broke the RX FIFO: parsing stopped */
	uint64_t restarts;           /* main CPU: remote restarts answered */
};
int rpmsg_glink_get_stats(struct rpmsg_link *link, struct rpmsg_glink_stats *out);

#ifdef __cplusplus
}
#endif
#endif
