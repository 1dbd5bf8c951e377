/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host side of the Qualcomm real-kernel test (tests/kernel/run.sh qcom): our remote
 * role of SMEM, GLINK and SMD, the library's own transports, facing the UML guest's
 * qcom_smem, qcom_glink_smem and qcom_smd drivers over the guest's RAM (umlplat.h).
 *
 * Guest physical layout (the devicetree tests/kernel/qcom.dts says the same):
 *   0x8000000  hardware mutex page (qcom,sfpb-mutex: lock N at 4 * N; SMEM uses lock 3)
 *   0x8001000  SMEM, 1 MiB (qcom,smem), laid out by us as a boot loader does
 *   0x8101000  GLINK edge's mailbox page (the kernel rings us at +0x10)
 *   0x8102000  SMD edge's mailbox page
 *   0x8103000  GLINK RPM edge's mailbox page
 *   0x8104000  RPM message RAM, 16 KiB (qcom,rpm-msg-ram), laid out by us as the RPM does
 *              (two 7 KiB FIFOs)
 * Host-irq lines: 0 rings the GLINK edge, 1 the SMD edge, 2 the GLINK RPM edge. The SMEM
 * edges are both remote host 1.
 *
 * Channels: GLINK "rpmsg-raw" (the guest's rpmsg_char binds it) and "bye" (closed by us
 * when the guest sends "close bye" on rpmsg-raw); GLINK RPM "rpmsg-raw"; SMD "rpmsg-raw"
 * and "smd-ept" (the guest opens it with CREATE_EPT). A channel the guest opens (GLINK "guest-ept") is answered by
 * the same echo driver. Everything echoes. Events are printed on "host:" lines, among
 * them every change of the kernel's side of an SMD channel (its open and close).
 *
 * usage: qcom_remote [--corrupt-smem | --corrupt-glink] UML_TMPDIR IRQ_FIFO READY_FILE
 *   Waits for UML's RAM file in UML_TMPDIR, lays SMEM out, starts both edges, then creates
 *   READY_FILE (the guest then probes SMEM). The negative runs break, before the kernel
 *   looks, SMEM's header (the kernel must refuse SMEM) or the first GLINK command we
 *   queued, our VERSION (the kernel must stop reading the edge: no GLINK channel appears).
 *   Exits on SIGTERM/SIGINT.
 */
#include <rpmsg/glink.h>
#include <rpmsg/rpmsg.h>
#include <rpmsg/smd.h>

#include "glink/glink_wire.h"
#include "smem/smem.h"
#include "umlplat.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RAM_BASE 0x8000000u
#define SMEM_OFFSET 0x1000u
#define SMEM_SIZE 0x100000u
#define GLINK_MBOX 0x101000u
#define SMD_MBOX 0x102000u
#define RPM_MBOX 0x103000u
#define RPM_RAM 0x104000u
#define RPM_RAM_SIZE 0x4000u
#define MAP_SIZE 0x108000u
#define MBOX_REG 0x10u /* msm8996 APCS: the IPC register */
#define REMOTE_HOST 1
#define SMD_EDGE 15

static atomic_int stop;
enum { LINK_GLINK, LINK_RPM, LINK_SMD, LINKS };
static const char *const link_names[LINKS] = { "glink", "glink-rpm", "smd" };
static atomic_ullong echoed[LINKS], echo_fail, rx_order;
static atomic_int close_bye;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&stop, 1);
}

static const char *link_of(struct rpmsg_channel *ch)
{
	return rpmsg_link_name(rpmsg_channel_link(ch));
}

static unsigned link_index(struct rpmsg_link *link)
{
	unsigned i = 0;

	while (i < LINKS - 1 && strcmp(rpmsg_link_name(link), link_names[i]))
		i++;
	return i;
}

/*
 * The guest numbers its messages per endpoint from 0 (the first 4 bytes): a gap or a
 * repeat seen here was lost or duplicated on the way in. Called from the bus thread only.
 */
static void check_seq(struct rpmsg_endpoint *ept, unsigned link, const void *data, size_t len)
{
	static struct { struct rpmsg_endpoint *ept; uint32_t next; } seen[16];
	uint32_t seq;
	unsigned i = 0;

	if (len < 4 || (len == 9 && !memcmp(data, "close bye", 9)))
		return;
	while (i < 16 && seen[i].ept && seen[i].ept != ept)
		i++;
	if (i == 16)
		return;
	memcpy(&seq, data, 4);
	if (!seen[i].ept)
		seen[i].ept = ept;
	if (seq != seen[i].next) {
		printf("host: %s received message %u where %u was next\n", link_names[link], seq,
		       seen[i].next);
		atomic_fetch_add(&rx_order, 1);
	}
	seen[i].next = seq + 1;
}

static int echo_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	unsigned link = link_index(rpmsg_ept_link(ept));
	int ret;

	(void)src;
	(void)priv;
	check_seq(ept, link, data, len);
	if (len == 9 && !memcmp(data, "close bye", 9))
		atomic_store(&close_bye, 1);
	ret = rpmsg_send(ept, data, len);
	if (ret) {
		printf("host: %s echo of %zu bytes failed: %s\n", link_names[link], len,
		       rpmsg_strerror(ret));
		atomic_fetch_add(&echo_fail, 1);
	} else {
		atomic_fetch_add(&echoed[link], 1);
	}
	return 0;
}

static int echo_probe(struct rpmsg_channel *ch)
{
	printf("host: %s channel %s up\n", link_of(ch), rpmsg_channel_info(ch)->name);
	return 0;
}

static void echo_remove(struct rpmsg_channel *ch)
{
	printf("host: %s channel %s removed\n", link_of(ch), rpmsg_channel_info(ch)->name);
}

static const char *const echo_ids[] = { "rpmsg-raw", "bye", "guest-ept", "smd-ept", NULL };
static const struct rpmsg_driver echo_drv = {
	.name = "qcom-test-echo",
	.id_table = echo_ids,
	.probe = echo_probe,
	.remove = echo_remove,
	.callback = echo_cb,
};

/* Report the kernel's side of each SMD channel when it changes (open handshake, close). */
static void watch_smd(struct rpmsg_link *smd, const char *const *names, uint32_t *seen)
{
	static const char *const state[] = { "CLOSED", "OPENING", "OPENED", "FLUSHING",
					     "CLOSING", "RESET", "RESET_OPENING" };

	for (unsigned i = 0; names[i]; i++) {
		uint32_t ours, kernel;

		if (rpmsg_smd_channel_state(smd, names[i], &ours, &kernel) || kernel == seen[i])
			continue;
		seen[i] = kernel;
		printf("host: smd channel %s: the kernel's side is %s (ours %s)\n", names[i],
		       kernel < 7 ? state[kernel] : "?", ours < 7 ? state[ours] : "?");
	}
}

/* Our TX FIFO's first command (VERSION, queued at start) becomes one nobody knows. */
static int corrupt_first_command(const struct uml_ram *ram)
{
	_Atomic uint32_t lock = 0; /* lookups take no lock */
	struct smem smem;
	uint8_t *fifo;
	size_t size;
	void *p;

	if (smem_attach(&smem, ram->va + SMEM_OFFSET, SMEM_SIZE, &lock, REMOTE_HOST) ||
	    smem_get(&smem, SMEM_HOST_APPS, GLINK_ITEM_FIFO1, &p, &size) || size < GLINK_HDR) {
		printf("host: no GLINK FIFO to corrupt\n");
		return -1;
	}
	fifo = p;
	if (fifo[0] != GLINK_VERSION || fifo[1] != 0) {
		printf("host: the first GLINK command is %u, not VERSION\n", fifo[0] | fifo[1] << 8);
		return -1;
	}
	fifo[0] = 0x7f; /* an unknown command id, little-endian */
	printf("host: GLINK command corrupted on purpose (VERSION became 0x7f)\n");
	return 0;
}

/* The platform of one edge: its memory (offset, size in the map), mailbox and line. */
static int edge_platform(const struct uml_ram *ram, uint32_t off, uint32_t size, int irq_fd,
			 uint32_t mbox, uint8_t line, struct rpmsg_platform **out)
{
	struct umlplat_config cfg = {
		.shm = { .va = ram->va + off, .pa = ram->pa + off, .size = size },
		.mailbox = (volatile uint32_t *)(ram->va + mbox + MBOX_REG),
		.irq_fd = irq_fd,
		.irq_line = line,
	};

	return umlplat_create(&cfg, out);
}

int main(int argc, char **argv)
{
	static const char *const glink_channels[] = { "rpmsg-raw", "bye", NULL };
	static const char *const smd_channels[] = { "rpmsg-raw", "smd-ept", NULL };
	static const char *const rpm_channels[] = { "rpmsg-raw", NULL };
	bool corrupt_smem = argc > 1 && !strcmp(argv[1], "--corrupt-smem");
	bool corrupt_glink = argc > 1 && !strcmp(argv[1], "--corrupt-glink");
	int corrupt = corrupt_smem || corrupt_glink;
	struct rpmsg_glink_config gcfg = {
		.role = RPMSG_GLINK_REMOTE, .name = "glink", .flavour = RPMSG_GLINK_SMEM,
		.remote_host = REMOTE_HOST, .format_smem = true, .smem_size = SMEM_SIZE,
		.channels = glink_channels, .max_rx_size = 65536,
	};
	struct rpmsg_glink_config rcfg = {
		.role = RPMSG_GLINK_REMOTE, .name = "glink-rpm", .flavour = RPMSG_GLINK_RPM,
		.format_smem = true, .fifo_size = 7168, .channels = rpm_channels,
	};
	struct rpmsg_smd_config scfg = {
		.role = RPMSG_SMD_REMOTE, .name = "smd", .edge = SMD_EDGE,
		.remote_host = REMOTE_HOST, .smem_size = SMEM_SIZE, .channels = smd_channels,
	};
	struct rpmsg_platform *gplat, *splat, *rplat;
	struct rpmsg_link *glink, *smd, *rpm;
	struct rpmsg_glink_stats gst, rst;
	struct rpmsg_smd_stats sst;
	struct rpmsg_bus *bus;
	struct uml_ram ram;
	uint32_t smd_seen[3] = { UINT32_MAX, UINT32_MAX, UINT32_MAX };
	int irq_fd, ret, fd;

	if (argc != 4 + corrupt) {
		fprintf(stderr, "usage: %s [--corrupt-smem | --corrupt-glink] UML_TMPDIR IRQ_FIFO "
			"READY_FILE\n", argv[0]);
		return 2;
	}
	argv += corrupt;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	ret = uml_ram_open(argv[1], RAM_BASE, MAP_SIZE, 60000, &ram);
	if (ret) {
		printf("host: no UML memory in %s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	printf("host: mapped guest RAM 0x%x..0x%x of UML process %d\n", RAM_BASE,
	       RAM_BASE + MAP_SIZE, (int)ram.pid);
	irq_fd = open(argv[2], O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (irq_fd < 0) {
		printf("host: cannot open %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	if (rpmsg_bus_create(&bus) || rpmsg_register_driver(bus, &echo_drv))
		return 1;
	/* GLINK lays SMEM out (as the boot loader would) and allocates its items; SMD then
	 * attaches and creates its channels: all before the kernel looks, since the hardware
	 * mutex is plain RAM here and gives no exclusion against the kernel. */
	if ((ret = edge_platform(&ram, 0, SMEM_OFFSET + SMEM_SIZE, irq_fd, GLINK_MBOX, 0,
				 &gplat)) ||
	    (ret = rpmsg_glink_create(bus, gplat, &gcfg, &glink))) {
		printf("host: GLINK remote: %s\n", rpmsg_strerror(ret));
		return 1;
	}
	if ((ret = edge_platform(&ram, 0, SMEM_OFFSET + SMEM_SIZE, irq_fd, SMD_MBOX, 1,
				 &splat)) ||
	    (ret = rpmsg_smd_create(bus, splat, &scfg, &smd))) {
		printf("host: SMD remote: %s\n", rpmsg_strerror(ret));
		return 1;
	}
	/* The RPM lays its message RAM out (table of contents, FIFOs) before Linux reads it. */
	if ((ret = edge_platform(&ram, RPM_RAM, RPM_RAM_SIZE, irq_fd, RPM_MBOX, 2, &rplat)) ||
	    (ret = rpmsg_glink_create(bus, rplat, &rcfg, &rpm))) {
		printf("host: GLINK RPM remote: %s\n", rpmsg_strerror(ret));
		return 1;
	}
	if (corrupt_smem) {
		/* SMEM's version word of the boot loader: the kernel accepts only 11 and 12 */
		uint32_t *version = (uint32_t *)(ram.va + SMEM_OFFSET + 64 + 7 * 4);

		*version = 0x00ff0000u;
		printf("host: SMEM header corrupted on purpose\n");
	}
	if (corrupt_glink && corrupt_first_command(&ram))
		return 1;
	if (rpmsg_bus_start_thread(bus))
		return 1;
	fd = open(argv[3], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		printf("host: cannot create %s: %s\n", argv[3], strerror(errno));
		return 1;
	}
	close(fd);
	printf("host: SMEM and RPM message RAM laid out, GLINK, GLINK RPM and SMD edges up on "
	       "our side\n");

	while (!atomic_load(&stop)) {
		if (atomic_exchange(&close_bye, 0)) {
			struct rpmsg_channel_info bye = { .name = "bye", .src = RPMSG_ADDR_ANY,
							  .dst = RPMSG_ADDR_ANY };

			ret = rpmsg_release_channel(glink, &bye);
			printf("host: glink channel bye closed by us: %s\n",
			       ret ? rpmsg_strerror(ret) : "ok");
		}
		watch_smd(smd, smd_channels, smd_seen);
		nanosleep(&(struct timespec){ .tv_nsec = 5000000 }, NULL);
	}
	rpmsg_glink_get_stats(glink, &gst);
	rpmsg_glink_get_stats(rpm, &rst);
	rpmsg_smd_get_stats(smd, &sst);
	printf("host: glink echoed %llu, rx %llu, tx %llu, rx_bad %llu, intent requests %llu, "
	       "refused %llu, version %s, features 0x%x\n",
	       (unsigned long long)atomic_load(&echoed[LINK_GLINK]), (unsigned long long)gst.rx_msgs,
	       (unsigned long long)gst.tx_msgs, (unsigned long long)gst.rx_bad,
	       (unsigned long long)gst.intent_reqs, (unsigned long long)gst.intent_refused,
	       gst.version_done ? "done" : "not done", gst.features);
	printf("host: glink-rpm echoed %llu, rx %llu, tx %llu, rx_bad %llu, version %s\n",
	       (unsigned long long)atomic_load(&echoed[LINK_RPM]), (unsigned long long)rst.rx_msgs,
	       (unsigned long long)rst.tx_msgs, (unsigned long long)rst.rx_bad,
	       rst.version_done ? "done" : "not done");
	printf("host: smd echoed %llu, rx %llu, tx %llu, rx_bad %llu\n",
	       (unsigned long long)atomic_load(&echoed[LINK_SMD]), (unsigned long long)sst.rx_msgs,
	       (unsigned long long)sst.tx_msgs, (unsigned long long)sst.rx_bad);
	printf("host: echo failures %llu, out of order %llu\n",
	       (unsigned long long)atomic_load(&echo_fail), (unsigned long long)atomic_load(&rx_order));
	rpmsg_bus_stop_thread(bus);
	rpmsg_bus_destroy(bus);
	close(irq_fd);
	uml_ram_close(&ram);
	return 0;
}
