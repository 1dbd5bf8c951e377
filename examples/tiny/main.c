/*
 * The smallest remote-processor firmware on librpmsg: rpmsg tiny (include/rpmsg/tiny.h),
 * the virtio device role with one endpoint, announced to the main CPU as "rpmsg-echo",
 * answering every message. No core bus, no allocator: the device and the endpoint are
 * static structs. Built by `cmake -DRPMSG_TRANSPORTS=tiny` with a firmware toolchain;
 * vectors, reset code and linker script are examples/baremetal's.
 *
 * What a real board changes: SHM_BUS_ADDR (the shared window as the main CPU addresses
 * it), the mailbox register, and where the resource table goes (here: the first bytes of
 * the shared window, where librpmsg's main role looks for it; for Linux remoteproc, a
 * .resource_table section in the ELF image instead).
 */
#include <stdint.h>

#include <rpmsg/tiny.h>

extern uint8_t __shm_start[], __shm_end[];  /* firmware.ld: the shared window */
#define SHM_BUS_ADDR 0x80000000u             /* the same window as the main CPU addresses it */
#define MAILBOX_TX (*(volatile uint32_t *)0x40010000u) /* writing id rings the main CPU */
#define VRING_NUM 16u
#define VRING_ALIGN 16u

static struct rpmsg_tiny dev;
static struct rpmsg_tiny_ept echo_ept;

static void ring_main_cpu(void *arg, uint32_t id)
{
	(void)arg;
	MAILBOX_TX = id;
}

/* The mailbox interrupt (wired in startup.c): nothing to record, it only ends the wfi. */
void mailbox_irq(void);
void mailbox_irq(void)
{
}

static void echo(struct rpmsg_tiny_ept *ept, const void *data, size_t len, uint32_t src, void *priv)
{
	(void)priv;
	(void)rpmsg_tiny_sendto(ept, src, data, len); /* no buffer: the main CPU sees a loss */
}

int main(void)
{
	/* Table at the window's start, the two rings on the following 4 KiB pages. */
	struct rpmsg_tiny_rsc_table *table = (struct rpmsg_tiny_rsc_table *)(void *)__shm_start;
	const struct rpmsg_tiny_config cfg = {
		.table = table,
		.shm = __shm_start,
		.shm_pa = SHM_BUS_ADDR,
		.shm_size = (uint32_t)(__shm_end - __shm_start),
		.notify = ring_main_cpu,
	};

	rpmsg_tiny_table_init(table, RPMSG_TINY_F_NS, VRING_NUM, VRING_ALIGN,
			      SHM_BUS_ADDR + 0x1000u, SHM_BUS_ADDR + 0x2000u, false);
	if (rpmsg_tiny_init(&dev, &cfg) ||
	    rpmsg_tiny_ept_create(&dev, &echo_ept, 1024, echo, NULL))
		for (;;) /* a real image would report it */
			;
	(void)rpmsg_tiny_announce(&echo_ept, "rpmsg-echo"); /* sent once DRIVER_OK is set */
	for (;;)
		if (rpmsg_tiny_poll(&dev) == 0)
			__asm__ volatile("wfi"); /* vq1's doorbell (or any interrupt) wakes us */
}
