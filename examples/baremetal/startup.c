/* Reset and vectors for the example image: set up .data and .bss, then main. */
#include <stdint.h>
#include <string.h>

extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[];
extern uint32_t __stack_top[];
int main(void);
void mailbox_irq(void);
void Reset_Handler(void);

void Reset_Handler(void)
{
	memcpy(__data_start, __data_load, (size_t)((char *)__data_end - (char *)__data_start));
	memset(__bss_start, 0, (size_t)((char *)__bss_end - (char *)__bss_start));
	main();
	for (;;)
		;
}

#if defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'M'
static void Default_Handler(void)
{
	for (;;)
		;
}

/* Cortex-M: initial stack, reset, 14 system exceptions, then IRQ 0 = the mailbox. */
__attribute__((section(".vectors"), used)) static void (*const vectors[17])(void) = {
	(void (*)(void))(uintptr_t)__stack_top, Reset_Handler,
	Default_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler,
	0, 0, 0, 0,
	Default_Handler, Default_Handler, 0, Default_Handler, Default_Handler,
	mailbox_irq,
};
#else
/* Cortex-R (ARM state): the exception table branches; IRQ goes to the mailbox. */
__attribute__((section(".vectors"), naked, used)) static void vectors(void)
{
	__asm__ volatile("ldr pc, =Reset_Handler\n"
			 "b .\n b .\n b .\n b .\n b .\n"
			 "ldr pc, =mailbox_irq\n"
			 "b .\n"
			 ".ltorg\n");
}
#endif
