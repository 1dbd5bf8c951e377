/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Qualcomm SMD transport (Shared Memory Driver), in both roles, over any platform.
 *
 * Memory: the platform's shared block is laid out as on the SoC:
 *   offset 0     a 4 KiB hardware-mutex block (32-bit registers; SMEM uses lock 3)
 *   offset 4096  SMEM (spec/35-smem.md), cfg.smem_size bytes (default: the rest)
 * SMD channels live in SMEM: two allocation tables (items 13 and 266), and per channel an
 * info item (two records: main CPU's, remote's) and a FIFO item (two halves). The remote
 * creates channels; the main CPU finds them by scanning the tables when SMEM's free space
 * changes. Doorbell cfg.doorbell carries every interrupt of the edge, both ways.
 *
 * Each SMD channel is one rpmsg channel with one endpoint (point to point: callbacks get
 * src = RPMSG_ADDR_ANY, and the destination of a send is ignored). On the main CPU a
 * channel appears on the bus when the remote opens it (state OPENING or OPENED), so drivers
 * bind to it by name; the driver's endpoint opens it. On the remote, the channels named in
 * cfg.channels are created at start-up and appear on its bus at once; rpmsg_create_ept() with
 * another name creates that channel too. Destroying the endpoint closes the channel.
 *
 * Receive callbacks run in rpmsg_bus_poll(); a negative return leaves the message in the
 * FIFO and stops that channel until the peer's next interrupt (as Linux).
 * send() waits up to the timeout for FIFO space; trysend() returns -EAGAIN when it is full.
 * Messages larger than FIFO size - 21 fail with -EMSGSIZE (Linux: -EINVAL).
 *
 * Remote reset and restart: when the remote's state of a channel leaves OPENING/OPENED
 * (RESET, CLOSED, ...), the main CPU closes its side first (blocked senders return -EPIPE)
 * and then removes the rpmsg channel (drivers see remove); when the remote opens again the
 * channel comes back and drivers probe again. Unread data of the old session is dropped.
 * A remote that starts over (rpmsg_smd_reset(), or a restarted remote whose channel an
 * earlier run left in SMEM: it takes that channel over) sits in RESET until the main CPU has
 * closed, then reopens by itself.
 */
#ifndef RPMSG_SMD_H
#define RPMSG_SMD_H

#include <rpmsg/platform.h>
#include <rpmsg/rpmsg.h>

#ifdef __cplusplus
extern "C" {
#endif

enum rpmsg_smd_role {
	RPMSG_SMD_MAIN = 0,   /* the main CPU (Linux's role, SMEM host 0 "APPS") */
	RPMSG_SMD_REMOTE = 1, /* the remote processor (modem, DSP, Wi-Fi core) */
};

/* Channel states (the wire values). */
enum rpmsg_smd_state {
	RPMSG_SMD_CLOSED = 0,
	RPMSG_SMD_OPENING = 1,
	RPMSG_SMD_OPENED = 2,
	RPMSG_SMD_FLUSHING = 3,
	RPMSG_SMD_CLOSING = 4,
	RPMSG_SMD_RESET = 5,
	RPMSG_SMD_RESET_OPENING = 6,
};

#define RPMSG_SMD_NAME_MAX 19 /* channel names: 20-byte field, NUL included */

struct rpmsg_smd_config {
	enum rpmsg_smd_role role;
	const char *name;        /* link name (default "smd") */
	uint32_t edge;           /* edge id, 0..255, in allocation entries (qcom,smd-edge) */
	uint16_t remote_host;    /* SMEM host id of the remote, 1..24 (default 1, the modem) */
	uint32_t doorbell;       /* platform doorbell id of the edge (default 0) */

	/* SMEM */
	bool format_smem;        /* this side lays SMEM out first, as the boot loader does */
	unsigned smem_version;   /* when formatting: 12 (partitions, default) or 11 (heap) */
	size_t smem_size;        /* bytes of SMEM after the mutex page (0: all the rest) */
	int attach_timeout_ms;   /* wait for SMEM to be formatted by the peer (default 5000) */

	/* Remote role: the channels it creates. */
	const char *const *channels; /* NULL-terminated names (may be NULL) */
	uint32_t fifo_size;      /* bytes per direction, power of two >= 64 (default 8192) */
	bool word_info;          /* 32-bit-word variant of the channel info (default: bytes) */

	/* Main role: how long opening waits for the remote's OPENING (default 1000 ms). */
	int open_timeout_ms;
};

/* Create the link on `bus` over `plat` (which the link then owns and destroys). */
int rpmsg_smd_create(struct rpmsg_bus *bus, struct rpmsg_platform *plat,
		     const struct rpmsg_smd_config *cfg, struct rpmsg_link **out);

/* Local and remote state of a channel (RPMSG_SMD_*); -ENOENT if no such channel. */
int rpmsg_smd_channel_state(struct rpmsg_link *link, const char *name, uint32_t *local,
			    uint32_t *remote);

/* Counters of one link, for tools and tests. */
struct rpmsg_smd_stats {
	uint64_t tx_msgs, rx_msgs;
	uint64_t tx_bytes, rx_bytes;
	uint64_t rx_bad;    /* hostile input: bad index, impossible length, bad table entry */
	uint64_t rx_held;   /* messages a callback refused (left in the FIFO) */
	uint64_t notifies;  /* doorbells rung */
	uint64_t tx_waits;  /* sends that had to wait for FIFO space */
	uint64_t scans;     /* allocation-table scans */
	uint32_t channels;  /* channels known on this edge */
	uint64_t resets;    /* main: sessions the remote ended by a reset or restart */
};
int rpmsg_smd_get_stats(struct rpmsg_link *link, struct rpmsg_smd_stats *out);

/*
 * Start every channel of the link over, as after a remote crash.
 * Main CPU: the remote stopped (crashed or was shut down, as remoteproc reports it); call it
 * before the remote restarts. Its channels are marked RESET on its behalf (a stale OPENED
 * would bring them back), an SMEM lock it held is freed, our side is closed (blocked
 * senders return -EPIPE) and the next rpmsg_bus_poll() removes the rpmsg channels.
 * Remote: reset mid-stream, as a rebooting remote does: every channel goes to RESET (data in
 * flight is lost; sends fail with -EPIPE), endpoints stay, and each reopens once the main
 * CPU has closed its side. Either role may call it from a receive callback: what is queued
 * behind that message is dropped.
 */
int rpmsg_smd_reset(struct rpmsg_link *link);

#ifdef __cplusplus
}
#endif
#endif
