/*
 * A complete remote-processor firmware on librpmsg, for a Cortex-M or Cortex-R core: the
 * virtio device role over the bare-metal platform, announcing an echo service to the main
 * CPU (Linux's virtio_rpmsg_bus, or `rpmsg sim`) and answering every message.
 *
 * What a real board changes: SHM_* (where the shared memory is, and the address the main CPU
 * uses for it), the two mailbox registers and the interrupt that calls mailbox_irq().
 */
#include <stdbool.h>
#include <stdint.h>

#include <rpmsg/baremetal.h>
#include <rpmsg/virtio.h>

extern uint8_t __shm_start[], __shm_end[];  /* firmware.ld: the shared window */
#define SHM_BUS_ADDR 0x80000000u             /* the same window as the main CPU addresses it */
#define MAILBOX_TX (*(volatile uint32_t *)0x40010000u) /* writing id rings the main CPU */

static struct rpmsg_baremetal core;
static struct rpmsg_bus *bus;

static void ring_main_cpu(void *arg, uint32_t id)
{
	(void)arg;
	MAILBOX_TX = id;
}

/* The mailbox interrupt (wired in startup.c): only records the ring. */
void mailbox_irq(void);
void mailbox_irq(void)
{
	rpmsg_baremetal_irq(&core, 0);
	rpmsg_baremetal_irq(&core, 1);
}

static int echo(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)priv;
	return rpmsg_sendto(ept, data, len, src);
}

int main(void)
{
	const struct rpmsg_baremetal_config bcfg = {
		.shm = __shm_start,
		.shm_pa = SHM_BUS_ADDR,
		.shm_size = (size_t)(__shm_end - __shm_start),
		.side = 0,
		.notify = ring_main_cpu,
	};
	const struct rpmsg_virtio_config vcfg = { .role = RPMSG_VIRTIO_DEVICE, .vring_num = 16 };
	struct rpmsg_channel_info info = { .name = "rpmsg-echo", .src = 1024, .dst = RPMSG_ADDR_ANY };
	struct rpmsg_platform *plat;
	struct rpmsg_link *link;
	struct rpmsg_endpoint *ept;

	if (rpmsg_baremetal_init(&core, &bcfg, &plat) || rpmsg_bus_create(&bus) ||
	    rpmsg_virtio_create(bus, plat, &vcfg, &link) ||
	    rpmsg_create_ept(link, &info, echo, NULL, &ept))
		for (;;) /* nothing to talk over: a real image would report it */
			;
	for (bool announced = false;;) {
		if (!announced && rpmsg_link_is_up(link)) /* the main CPU set DRIVER_OK */
			announced = rpmsg_ept_announce(ept) == 0;
		/* Idle: ask the main CPU to ring again, then sleep until the mailbox interrupt
		 * (one that comes between the two ends the wfi at once). */
		if (rpmsg_bus_poll(bus, 0) == 0 && rpmsg_bus_arm(bus) == 0)
			__asm__ volatile("wfi");
	}
}
