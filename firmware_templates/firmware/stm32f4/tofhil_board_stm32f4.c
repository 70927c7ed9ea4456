/*
 * tofhil firmware, STM32F4: the board layer's entry points (tofhil_board.h): init, the
 * cycle counter (DWT on silicon, SysTick under QEMU), sleeping until input, stack use.
 * Part of the tofhil validation firmware - do not edit in a generated project.
 */
#include <stdint.h>

#include "tofhil_board.h"
#include "tofhil_board_config.h"
#include "tofhil_stm32f4.h"

extern uint32_t tofhil_clock_hz;

static void tofhil_timer_init(void)
{
#if TOFHIL_TIMER_KIND == TOFHIL_TIMER_DWT_CYCLES
    TOFHIL_DEMCR |= TOFHIL_DEMCR_TRCENA;
    TOFHIL_DWT_CYCCNT = 0u;
    TOFHIL_DWT_CTRL |= TOFHIL_DWT_CTRL_CYCCNTENA;
#else
    /* 24-bit down-counter on the processor clock (CLKSOURCE = 1), no interrupt */
    TOFHIL_SYSTICK_LOAD = TOFHIL_SYSTICK_MAX;
    TOFHIL_SYSTICK_VAL = 0u;
    TOFHIL_SYSTICK_CTRL = (1u << 2) | 1u;
#endif
}

void tofhil_board_init(void)
{
    /* tofhil_clock_init already ran in the reset handler */
    tofhil_timer_init();
    tofhil_uart_init();
}

/*
 * The debugger's low-power bits. OpenOCD (stm32f4x.cfg, examine-end) and pyOCD set DBGMCU_CR
 * DBG_SLEEP/STOP/STANDBY, and only a power-on reset clears them, so they are still set after
 * flashing. With DBG_SLEEP set, the instruction fetched from flash right after a WFI may be wrong
 * on wake-up (HardFault, or a wrong path; errata "Debugging Sleep/Stop mode with WFE/WFI entry").
 * Cleared at boot unless the build asks to debug the idle loop (TOFHIL_DEBUG_LOW_POWER=1, e.g.
 * make EXTRA_CFLAGS=-DTOFHIL_DEBUG_LOW_POWER=1): a debugger then stays connected through WFI.
 */
#ifndef TOFHIL_DEBUG_LOW_POWER
#define TOFHIL_DEBUG_LOW_POWER 0
#endif

void tofhil_debug_low_power_init(void)
{
#if !TOFHIL_DEBUG_LOW_POWER
    TOFHIL_DBGMCU_CR &= ~(TOFHIL_DBGMCU_CR_DBG_SLEEP | TOFHIL_DBGMCU_CR_DBG_STOP | TOFHIL_DBGMCU_CR_DBG_STANDBY);
#endif
}

void tofhil_board_wait_for_input(void)
{
    /* with interrupts masked, a byte arriving between the check and WFI still wakes the core */
    __asm__ volatile("cpsid i" ::: "memory");
    if (tofhil_uart_rx_empty()) {
        /* the ISB right after WFI refetches what follows it: the errata's workaround for a
         * debugger's DBG_SLEEP (above), kept even when the bit is cleared */
        __asm__ volatile("dsb\n\twfi\n\tisb" ::: "memory");
    }
    __asm__ volatile("cpsie i" ::: "memory");
}

uint32_t tofhil_board_timer_now(void)
{
#if TOFHIL_TIMER_KIND == TOFHIL_TIMER_DWT_CYCLES
    tofhil_dwt_keep_running(); /* the flasher's debug session may have stopped it */
    return TOFHIL_DWT_CYCCNT;
#else
    return TOFHIL_SYSTICK_MAX - (TOFHIL_SYSTICK_VAL & TOFHIL_SYSTICK_MAX);
#endif
}

uint32_t tofhil_board_timer_elapsed(uint32_t start, uint32_t end)
{
#if TOFHIL_TIMER_KIND == TOFHIL_TIMER_DWT_CYCLES
    return end - start;
#else
    /* correct for intervals shorter than one SysTick period (2^24 ticks, 0.1 s at 168 MHz) */
    return (end - start) & TOFHIL_SYSTICK_MAX;
#endif
}

void tofhil_board_timed_mark(tofhil_timed_mark_t *mark)
{
    /* masked so no receive interrupt falls between the two readings; the caller runs unmasked */
    __asm__ volatile("cpsid i" ::: "memory");
    mark->ticks = tofhil_board_timer_now();
    mark->isr_ticks = tofhil_uart_isr_ticks;
    mark->isr_count = tofhil_uart_isr_count;
    __asm__ volatile("cpsie i" ::: "memory");
}

uint8_t tofhil_board_timer_kind(void)
{
    return (uint8_t)TOFHIL_TIMER_KIND;
}

uint32_t tofhil_board_timer_hz(void)
{
    return tofhil_clock_hz;
}

uint32_t tofhil_board_core_clock_hz(void)
{
    return tofhil_clock_hz;
}

const char *tofhil_board_name(void)
{
    return TOFHIL_BOARD_NAME;
}

uint32_t tofhil_board_stack_used(void)
{
    const uint32_t *word = &tofhil_stack_bottom;
    while (word < &tofhil_stack_top && *word == TOFHIL_STACK_PAINT) {
        ++word;
    }
    return (uint32_t)((uintptr_t)&tofhil_stack_top - (uintptr_t)word);
}

uint32_t tofhil_board_stack_size(void)
{
    return (uint32_t)((uintptr_t)&tofhil_stack_top - (uintptr_t)&tofhil_stack_bottom);
}
