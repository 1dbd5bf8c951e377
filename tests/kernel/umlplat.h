/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A platform (include/rpmsg/platform.h) whose peer is a User-Mode Linux kernel: the memory
 * is the kernel's own RAM, doorbells are its mailbox and interrupt controller
 * (kernel/patches/0002).
 *
 * - Memory: UML keeps its RAM in an unlinked file in $TMPDIR that its process holds open;
 *   the file offset is the guest physical address. uml_ram_open() finds it under
 *   /proc/<pid>/fd and maps a range of it shared.
 * - Kernel -> us: the kernel's mailbox (qcom,msm8996-apcs-hmss-global) writes bit N to the
 *   register at offset 0x10 of a page of that RAM. A thread of ours watches the word
 *   (short sleeps: nothing in RAM can wake us) and turns a ring into an eventfd.
 * - Us -> kernel: a byte N written to the host FIFO of the guest's "librpmsg,uml-host-irq"
 *   controller raises its line N.
 * One bell per platform instance (every id is that bell); one instance per edge.
 */
#ifndef RPMSG_TEST_UMLPLAT_H
#define RPMSG_TEST_UMLPLAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <rpmsg/platform.h>

/* A mapped range of a UML guest's RAM. */
struct uml_ram {
	uint8_t *va;
	uint64_t pa;
	size_t size;
	pid_t pid; /* the UML process holding the file */
};

/*
 * Find the RAM file of the UML kernel started with TMPDIR=tmpdir (waiting up to timeout_ms
 * for it to appear) and map guest physical [pa, pa + size). 0 or a negative errno.
 */
int uml_ram_open(const char *tmpdir, uint64_t pa, size_t size, int timeout_ms,
		 struct uml_ram *out);
void uml_ram_close(struct uml_ram *ram);

struct umlplat_config {
	struct rpmsg_shm shm;          /* the part of the RAM the transport lays out */
	volatile uint32_t *mailbox;    /* the register the kernel rings us through */
	int irq_fd;                    /* the host FIFO of the guest's interrupt controller */
	uint8_t irq_line;              /* the line our notify raises */
};

/* A platform instance over cfg (which it does not own: the RAM mapping and FIFO stay open). */
int umlplat_create(const struct umlplat_config *cfg, struct rpmsg_platform **out);

#endif
