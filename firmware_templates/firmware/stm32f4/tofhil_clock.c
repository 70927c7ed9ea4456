/*
 * tofhil firmware, STM32F4: the core clock from the board description. With source hsi_pll:
 * HSI 16 MHz / PLL_M * PLL_N / PLL_P, flash wait states with prefetch and caches, APB
 * prescalers. Every wait on a ready bit is bounded: QEMU models none of them, and a board
 * whose PLL does not lock keeps running on the HSI (tofhil_clock_hz says which).
 * Part of the tofhil validation firmware - do not edit in a generated project.
 */
#include <stdint.h>

#include "tofhil_board_config.h"
#include "tofhil_stm32f4.h"

#define TOFHIL_READY_WAIT_LIMIT 200000u
/* the flash interface takes a new latency within a few cycles; a short wait is plenty */
#define TOFHIL_ACR_WAIT_LIMIT 1000u
#define TOFHIL_HSI_HZ 16000000u

/* test-only: behave as a PLL that never locks (make EXTRA_CFLAGS=-DTOFHIL_TEST_PLL_NO_LOCK=1) */
#ifndef TOFHIL_TEST_PLL_NO_LOCK
#define TOFHIL_TEST_PLL_NO_LOCK 0
#endif

/* The core clock actually running (set by tofhil_clock_init) */
uint32_t tofhil_clock_hz = TOFHIL_CORE_CLOCK_HZ;

#if TOFHIL_CLOCK_USE_PLL
static int tofhil_wait_ready(volatile uint32_t *reg, uint32_t mask, uint32_t value, uint32_t limit)
{
    uint32_t spins;
    for (spins = 0u; spins < limit; ++spins) {
        if ((*reg & mask) == value) {
            return 1;
        }
    }
    return 0;
}

void tofhil_clock_init(void)
{
    int flash_ready;
    tofhil_clock_hz = TOFHIL_HSI_HZ;
    TOFHIL_RCC_CR |= TOFHIL_RCC_CR_HSION;
    (void)tofhil_wait_ready(&TOFHIL_RCC_CR, TOFHIL_RCC_CR_HSIRDY, TOFHIL_RCC_CR_HSIRDY, TOFHIL_READY_WAIT_LIMIT);
    /* wait states first: the flash must keep up before the clock rises; RM0368 3.5.1 ("Increasing
     * the CPU frequency") then has the latency read back from FLASH_ACR before SW is written */
    TOFHIL_FLASH_ACR = TOFHIL_FLASH_LATENCY | TOFHIL_FLASH_ACR_PRFTEN | TOFHIL_FLASH_ACR_ICEN |
                       TOFHIL_FLASH_ACR_DCEN;
    flash_ready = tofhil_wait_ready(&TOFHIL_FLASH_ACR, TOFHIL_FLASH_ACR_LATENCY_MASK, TOFHIL_FLASH_LATENCY,
                                    TOFHIL_ACR_WAIT_LIMIT);
    TOFHIL_RCC_CFGR = (TOFHIL_APB1_PPRE << 10) | (TOFHIL_APB2_PPRE << 13);
    /* PLLSRC (bit 22) = 0: HSI; PLLP encodes 2, 4, 6, 8 as 0..3 */
    TOFHIL_RCC_PLLCFGR = TOFHIL_PLL_M | (TOFHIL_PLL_N << 6) | (((TOFHIL_PLL_P / 2u) - 1u) << 16) |
                         (TOFHIL_PLL_Q << 24);
    TOFHIL_RCC_CR |= TOFHIL_RCC_CR_PLLON;
    /* a PLL that does not lock, or wait states that did not take, leave the core on the HSI: the
     * UART then takes its divisor from tofhil_clock_hz (tofhil_uart.c) */
    if (TOFHIL_TEST_PLL_NO_LOCK ||
        !tofhil_wait_ready(&TOFHIL_RCC_CR, TOFHIL_RCC_CR_PLLRDY, TOFHIL_RCC_CR_PLLRDY, TOFHIL_READY_WAIT_LIMIT) ||
        !flash_ready) {
        return;
    }
    TOFHIL_RCC_CFGR = (TOFHIL_RCC_CFGR & ~3u) | TOFHIL_RCC_CFGR_SW_PLL;
    if (tofhil_wait_ready(&TOFHIL_RCC_CFGR, 3u << TOFHIL_RCC_CFGR_SWS_SHIFT,
                          TOFHIL_RCC_CFGR_SW_PLL << TOFHIL_RCC_CFGR_SWS_SHIFT, TOFHIL_READY_WAIT_LIMIT)) {
        tofhil_clock_hz = TOFHIL_CORE_CLOCK_HZ;
    }
}
#else
/* Keep the reset clock: the emulator ignores the clock tree, and reports TOFHIL_CORE_CLOCK_HZ */
void tofhil_clock_init(void)
{
    TOFHIL_RCC_CFGR = (TOFHIL_APB1_PPRE << 10) | (TOFHIL_APB2_PPRE << 13);
}
#endif
