/*
 * tofhil firmware, STM32F4: the vector table (in C) and the reset handler. The reset handler
 * turns the FPU on, copies .data, zeroes .bss, paints the stack for the high-water mark,
 * clears the debugger's low-power bits, sets up the clocks and calls main.
 * Part of the tofhil validation firmware - do not edit in a generated project.
 */
#include <stdint.h>

#include "tofhil_board_config.h"
#include "tofhil_stm32f4.h"

/* A vector is a handler, except entry 0: the initial stack pointer */
typedef union {
    void (*handler)(void);
    const void *stack_top;
} tofhil_vector_t;

void tofhil_reset_handler(void);
static void tofhil_default_handler(void);

/* System exceptions, then the device interrupts up to the UART's (the only one enabled) */
#define TOFHIL_VECTOR_COUNT (16u + TOFHIL_UART_IRQ + 1u)

__attribute__((section(".isr_vector"), used)) const tofhil_vector_t tofhil_vectors[TOFHIL_VECTOR_COUNT] = {
    [0] = {.stack_top = &tofhil_stack_top},
    [1] = {.handler = tofhil_reset_handler},
    [2] = {.handler = tofhil_default_handler},    /* NMI */
    [3] = {.handler = tofhil_hard_fault_handler},
    [4] = {.handler = tofhil_default_handler},    /* MemManage (disabled: escalates to HardFault) */
    [5] = {.handler = tofhil_default_handler},    /* BusFault */
    [6] = {.handler = tofhil_default_handler},    /* UsageFault */
    [11] = {.handler = tofhil_default_handler},   /* SVCall */
    [12] = {.handler = tofhil_default_handler},   /* DebugMonitor */
    [14] = {.handler = tofhil_default_handler},   /* PendSV */
    [15] = {.handler = tofhil_default_handler},   /* SysTick (its interrupt stays off) */
    [16u + TOFHIL_UART_IRQ] = {.handler = tofhil_uart_irq_handler},
};

/* Fill the unused part of the stack with a pattern; tofhil_board_stack_used finds the deepest write. */
static void tofhil_paint_stack(void)
{
    uint32_t *word = &tofhil_stack_bottom;
    uintptr_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    /* keep clear of this function's own frame */
    while ((uintptr_t)word + 64u < sp) {
        *word++ = TOFHIL_STACK_PAINT;
    }
}

void tofhil_reset_handler(void)
{
    const uint32_t *source = &tofhil_data_load;
    uint32_t *word;
    /* CP10/CP11 full access before any floating-point instruction runs */
    TOFHIL_SCB_CPACR |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    for (word = &tofhil_data_start; word < &tofhil_data_end; ++word) {
        *word = *source++;
    }
    for (word = &tofhil_bss_start; word < &tofhil_bss_end; ++word) {
        *word = 0u;
    }
    tofhil_paint_stack();
    tofhil_debug_low_power_init();
    tofhil_clock_init();
    (void)main();
    for (;;) {
    }
}

/* An exception nobody expects: stop here, where a debugger shows it */
static void tofhil_default_handler(void)
{
    for (;;) {
    }
}
