/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The MediaTek SCP transport: the SCP IPI share-buffer protocol and mtk_rpmsg on top of it,
 * in both roles (the main CPU, "AP"/host, and the SCP itself, so the SCP can be simulated),
 * over any platform. Facts: spec/40-mtk-scp.md.
 *
 * Wire model. One message slot per direction, each a share-buffer object
 *     id (u32 LE) @0 | len (u32 LE) @4 | share_buf[S] @8        (8 + S bytes)
 * with S = 288 (every SoC in Linux 6.1; MT8183/86/92/95 today) or 600 (MT8188, current
 * mainline). The receive object (SCP -> AP) is at ipi_base, the send object (AP -> SCP) at
 * ipi_base + 8 + S. Every message carries an IPI id 0..255 that selects the handler on the
 * other side. An rpmsg endpoint address *is* an IPI id; the same id is used in both
 * directions. Channels come from 36-byte name-service messages the SCP sends on IPI 0xFF
 * (name[32] NUL-padded, addr u32 LE); the AP never announces anything. The SCP says it is
 * up with an INIT message on IPI 0 (signaled u32, fw version[32], dec cap u32, enc cap u32).
 *
 * Memory of the platform (plat->shm), as laid out by this transport:
 *     regs_base + 0x1C  SCP_TO_HOST  status: bit 0 IPC (a message is in the receive object),
 *                                    bit 8 watchdog; the AP clears what it read
 *     regs_base + 0x28  HOST_TO_SCP  doorbell: the AP sets bit 0; it reads non-zero until
 *                                    the SCP took the message (the AP's "busy" flag)
 *     regs_base + 0x3C  SIM_RESET    simulation only: 1 while the SCP is held in reset (the
 *                                    AP's link was destroyed, or rpmsg_scp_reset); the SCP
 *                                    role goes down
 *     ipi_base          receive object (SCP -> AP), 8 + S bytes
 *     ipi_base + 8 + S  send object (AP -> SCP), 8 + S bytes
 * The register offsets are MT8183's; registers hold native-endian words (little-endian on
 * every supported host). Objects are written with aligned 32-bit stores only, payload
 * first (a partial last word is read-modify-written, so the bytes after len up to the word
 * boundary keep their old value, as on the SRAM), then len, then id, then the doorbell.
 * Platform doorbells: bell 0 is the IPC interrupt (rung after raising the register), bell 1
 * is rung after a side cleared the register it received on (senders waiting for a busy
 * slot sleep on it instead of polling the register).
 *
 * Everything the peer writes is untrusted: id, len and the status register are read once;
 * len > S or id > 255 drops the message (rx_bad), a name-service message of any length
 * other than 36, with an empty name or with an address outside 1..254 is dropped (ns_bad),
 * and so is any announcement beyond 256 channels on the link.
 *
 * Sends (rpmsg_send and friends):
 *  - src must be the endpoint's address, an IPI id in 1..254; dst must equal src (MTK has no
 *    other addressing: -ENXIO otherwise, as Linux's missing sendto). Endpoints created with
 *    dst = RPMSG_ADDR_ANY get dst = their own id.
 *  - len > S: -EMSGSIZE (Linux's scp_ipi_send says -EINVAL; see rpmsg_scp_ipi_send).
 *  - the slot is busy until the peer takes the previous message: a send waits for that at
 *    most min(timeout, busy_timeout_ms) (-ETIMEDOUT); trysend does not wait (-EAGAIN).
 *  - with ack_timeout_ms > 0, a blocking send then waits for the peer's next message on the
 *    same IPI id (Linux's "ack": any message on that id counts) and fails with -ETIMEDOUT
 *    when none comes in time (Linux: -EIO). While it waits, the sending thread receives
 *    and dispatches this link's messages itself if no other thread is doing so (callbacks
 *    may then run in the sending thread, still one at a time per link).
 *  - sends made from a receive callback of the same link never wait, neither for the slot
 *    nor for an ack (the peer may be waiting for us to take its next message): when the
 *    slot is busy the message is queued (up to 512) and goes out, in order, as soon as the
 *    peer took what is before it (from rpmsg_bus_poll or a waiting sender); -EAGAIN when
 *    the queue is full. Every later send goes after what is queued.
 *  - get_mtu returns S (Linux offers no get_mtu for MTK; tools need the size).
 *  - -ENOTCONN before the SCP's INIT arrived (AP role); -EPIPE once the peer went away.
 * Receive callbacks get src = the IPI id (the endpoint's own address). A message on an id
 * with no endpoint is dropped (rx_dropped) and, as in Linux, is no ack.
 *
 * Losing the SCP (AP role), as remoteproc's recovery. A watchdog status (any SCP_TO_HOST
 * bit but IPC, bit 8 on MT8183; a message raised with it is taken first), or an INIT while
 * the link is up (the SCP restarted unseen: stats.reinits), takes the link down: senders
 * waiting for the slot or an ack, and sends queued behind them, return -EPIPE (a message
 * of the next SCP is never taken for an ack of the last one); what the lost SCP did not
 * take is dropped; the channels are removed (drivers' remove, their endpoints destroyed;
 * endpoints made with rpmsg_create_ept stay). Sends fail with -EPIPE until the next INIT,
 * which brings the link back (the SCP announces its channels again; drivers are probed
 * again). To restart the SCP as remoteproc does, hold it in reset and release it with
 * rpmsg_scp_reset. Nothing here polls for a hang: a caller that sees sends time out may
 * reset the SCP itself.
 *
 * Channels: AP role: each name-service message creates a channel (name, src = id,
 * dst = ANY) that drivers bind to by name; their default endpoint is the IPI handler.
 * SCP role: channels created locally (rpmsg_create_channel with src = IPI id) are announced
 * once a driver binds them; INIT and announcements are queued and go out, in order, before
 * any later message of the link.
 */
#ifndef RPMSG_SCP_H
#define RPMSG_SCP_H

#include <rpmsg/platform.h>
#include <rpmsg/rpmsg.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RPMSG_SCP_IPI_INIT 0u          /* SCP -> AP: firmware is up */
#define RPMSG_SCP_IPI_NS_SERVICE 0xFFu /* SCP -> AP: name service */
#define RPMSG_SCP_IPI_MAX 0x100u       /* ids are 0 .. 255 */

#define RPMSG_SCP_SHARE_BUF_SIZE 288u        /* S: default (and every SoC in Linux 6.1) */
#define RPMSG_SCP_SHARE_BUF_SIZE_MT8188 600u /* S: MT8188 with current mainline */
#define RPMSG_SCP_OBJ_HDR 8u                 /* id + len before the payload */
#define RPMSG_SCP_NS_MSG_SIZE 36u
#define RPMSG_SCP_INIT_MSG_SIZE 44u

/* Register block (offsets from regs_base; MT8183 numbering) and its size. */
#define RPMSG_SCP_REG_SCP_TO_HOST 0x1Cu
#define RPMSG_SCP_REG_HOST_TO_SCP 0x28u
#define RPMSG_SCP_REG_SIM_RESET 0x3Cu
#define RPMSG_SCP_REGS_SIZE 0x40u
#define RPMSG_SCP_IPC_BIT 0x1u   /* in both registers */
#define RPMSG_SCP_WDT_BIT 0x100u /* SCP_TO_HOST: watchdog */

#define RPMSG_SCP_DEFAULT_IPI_BASE 0x100u
#define RPMSG_SCP_BUSY_TIMEOUT_MS 2000 /* Linux: wait for the doorbell to clear */

enum rpmsg_scp_role {
	RPMSG_SCP_HOST = 0,   /* the main CPU (Linux's mtk_scp + mtk_rpmsg) */
	RPMSG_SCP_REMOTE = 1, /* the SCP firmware side */
};

struct rpmsg_scp_config {
	enum rpmsg_scp_role role;
	const char *name;         /* link name (default "scp0") */
	unsigned share_buf_size;  /* S: multiple of 4, 44..65536 (default 288) */
	uint32_t ipi_base;        /* shm offset of the two objects, multiple of 4 (0: 0x100) */
	uint32_t regs_base;       /* shm offset of the register block, multiple of 4 (default 0) */
	int busy_timeout_ms;      /* longest wait for a busy slot (0: 2000) */
	int ack_timeout_ms;       /* > 0: blocking rpmsg sends wait for the ack (default 0: no) */
	/* Remote role: what the INIT message says. */
	const char *fw_version;   /* up to 31 characters (default "librpmsg-scp") */
	uint32_t dec_capability, enc_capability;
};

/*
 * Create the link on `bus` over `plat` (which the link then owns and destroys). The AP
 * role clears its send object and doorbell and releases the SCP from (simulated) reset;
 * it leaves the receive object alone (Linux zeroes both at firmware load; here an SCP
 * started first may already have put INIT there, and fresh POSIX memory is zero anyway).
 * The AP link is up when the SCP's INIT (signaled != 0) arrives. The SCP role queues INIT
 * and is up at once; destroying the AP link holds it in reset (down, channels removed;
 * create a new SCP link to start again). Either side may be created first. -EINVAL bad
 * config, -ENOSPC the layout does not fit in plat->shm (or overlaps).
 */
int rpmsg_scp_create(struct rpmsg_bus *bus, struct rpmsg_platform *plat,
		     const struct rpmsg_scp_config *cfg, struct rpmsg_link **out);

/*
 * The raw IPI send (Linux's scp_ipi_send): put `len` bytes on IPI `id`, waiting up to
 * busy_timeout_ms for the slot, then, if wait_ms > 0, up to wait_ms for the peer's next
 * message on the same id. Linux's errors: -EINVAL (AP role: id 0, 0xFF or > 255; either
 * role: len > S), -ETIMEDOUT (slot stayed busy), -EIO (no ack in wait_ms); also -EPIPE
 * (peer gone). The SCP role may send on any id 0..255.
 */
int rpmsg_scp_ipi_send(struct rpmsg_link *link, uint32_t id, const void *data, size_t len,
		       int wait_ms);

/*
 * AP role: remoteproc's stop and start, for recovery. hold = true puts the SCP into reset
 * (simulation: SIM_RESET = 1; an SCP link sees it and goes down) and takes the link down as
 * a watchdog does; while held, whatever appears in the receive object is dropped. hold =
 * false clears both objects and both registers, as a firmware load leaves them, and
 * releases the SCP: sends return -ENOTCONN until its INIT brings the link up (bus poll;
 * the caller bounds that wait, Linux gives it 2 s). Load the firmware in between
 * (simulation: start the new SCP link after the release; one created while held goes
 * down at once). 0; -EOPNOTSUPP (SCP role); -EDEADLK from a callback of this link.
 */
int rpmsg_scp_reset(struct rpmsg_link *link, bool hold);

/* SCP role: announce a channel (36-byte message on IPI 0xFF, queued in order). */
int rpmsg_scp_announce(struct rpmsg_link *link, const char *name, uint32_t id);

/* Encode a name-service message; returns 36 or -EINVAL (empty or > 31 chars, id > 255). */
int rpmsg_scp_ns_encode(void *msg36, const char *name, uint32_t id);

/* What the link knows of the SCP (AP role: from its INIT; SCP role: what it sent). */
struct rpmsg_scp_info {
	bool up;
	char fw_version[32];
	uint32_t dec_capability, enc_capability;
	unsigned share_buf_size; /* S */
	uint32_t rx_obj, tx_obj; /* shm offsets of this side's receive and send objects */
};
int rpmsg_scp_get_info(struct rpmsg_link *link, struct rpmsg_scp_info *out);

struct rpmsg_scp_stats {
	uint64_t tx_msgs, rx_msgs;
	uint64_t rx_dropped;    /* no endpoint on that IPI id (no ack recorded, as Linux), or
				 * AP role: raised while we hold the SCP in reset */
	uint64_t rx_bad;        /* id > 255 or len > S in the object */
	uint64_t ns_bad;        /* malformed name-service messages */
	uint64_t busy_timeouts; /* the slot stayed busy past the timeout */
	uint64_t ack_timeouts;  /* no ack in time */
	uint64_t watchdogs;     /* AP role: watchdog status seen (channels removed, link down) */
	uint64_t notifies;      /* doorbells rung */
	uint64_t tx_deferred;   /* sends from callbacks queued behind a busy slot */
	uint64_t reinits;       /* AP role: INIT while up (the SCP restarted unseen: as a watchdog) */
};
int rpmsg_scp_get_stats(struct rpmsg_link *link, struct rpmsg_scp_stats *out);

#ifdef __cplusplus
}
#endif
#endif
