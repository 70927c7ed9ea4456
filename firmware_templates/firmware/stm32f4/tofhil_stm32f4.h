/*
 * tofhil firmware, STM32F4 board layer: the few registers it touches (RM0368 / RM0090,
 * ARMv7-M ARM), and the functions its files share. Private to firmware/stm32f4/.
 * Part of the tofhil validation firmware - do not edit in a generated project.
 */
#ifndef TOFHIL_STM32F4_H
#define TOFHIL_STM32F4_H

#include <stdint.h>

/* A host test (tests/firmware/test_board_layer_host.py) maps registers onto memory instead */
#ifndef TOFHIL_REG
#define TOFHIL_REG(address) (*(volatile uint32_t *)(address))
#endif
#ifndef TOFHIL_DATA_BARRIER
#define TOFHIL_DATA_BARRIER() __asm__ volatile("dsb" ::: "memory")
#endif

/* Reset and clock control, flash interface */
#define TOFHIL_RCC_BASE 0x40023800u
#define TOFHIL_RCC_CR TOFHIL_REG(TOFHIL_RCC_BASE + 0x00u)
#define TOFHIL_RCC_PLLCFGR TOFHIL_REG(TOFHIL_RCC_BASE + 0x04u)
#define TOFHIL_RCC_CFGR TOFHIL_REG(TOFHIL_RCC_BASE + 0x08u)
#define TOFHIL_RCC_AHB1ENR_ADDRESS (TOFHIL_RCC_BASE + 0x30u)
#define TOFHIL_RCC_APB1ENR_ADDRESS (TOFHIL_RCC_BASE + 0x40u)
#define TOFHIL_RCC_APB2ENR_ADDRESS (TOFHIL_RCC_BASE + 0x44u)
#define TOFHIL_RCC_CR_HSION (1u << 0)
#define TOFHIL_RCC_CR_HSIRDY (1u << 1)
#define TOFHIL_RCC_CR_PLLON (1u << 24)
#define TOFHIL_RCC_CR_PLLRDY (1u << 25)
#define TOFHIL_RCC_CFGR_SW_PLL 2u
#define TOFHIL_RCC_CFGR_SWS_SHIFT 2u
#define TOFHIL_FLASH_ACR TOFHIL_REG(0x40023C00u)
#define TOFHIL_FLASH_ACR_LATENCY_MASK 0x7u
#define TOFHIL_FLASH_ACR_PRFTEN (1u << 8)
#define TOFHIL_FLASH_ACR_ICEN (1u << 9)
#define TOFHIL_FLASH_ACR_DCEN (1u << 10)

/* GPIO port x at 0x40020000 + 0x400 * x */
#define TOFHIL_GPIO_BASE(port) (0x40020000u + 0x400u * (uint32_t)(port))
#define TOFHIL_GPIO_MODER(port) TOFHIL_REG(TOFHIL_GPIO_BASE(port) + 0x00u)
#define TOFHIL_GPIO_OSPEEDR(port) TOFHIL_REG(TOFHIL_GPIO_BASE(port) + 0x08u)
#define TOFHIL_GPIO_AFR(port, pin) TOFHIL_REG(TOFHIL_GPIO_BASE(port) + 0x20u + 4u * ((uint32_t)(pin) / 8u))

/* USART (F401 and F405 share the layout) */
#define TOFHIL_USART_SR(base) TOFHIL_REG((base) + 0x00u)
#define TOFHIL_USART_DR(base) TOFHIL_REG((base) + 0x04u)
#define TOFHIL_USART_BRR(base) TOFHIL_REG((base) + 0x08u)
#define TOFHIL_USART_CR1(base) TOFHIL_REG((base) + 0x0Cu)
#define TOFHIL_USART_SR_ORE (1u << 3)
#define TOFHIL_USART_SR_RXNE (1u << 5)
#define TOFHIL_USART_SR_TXE (1u << 7)
#define TOFHIL_USART_CR1_RE (1u << 2)
#define TOFHIL_USART_CR1_TE (1u << 3)
#define TOFHIL_USART_CR1_RXNEIE (1u << 5)
#define TOFHIL_USART_CR1_UE (1u << 13)
#define TOFHIL_USART_CR1_OVER8 (1u << 15)

/* Cortex-M4 system control space */
#define TOFHIL_NVIC_ISER(n) TOFHIL_REG(0xE000E100u + 4u * (uint32_t)(n))
#define TOFHIL_SCB_CPACR TOFHIL_REG(0xE000ED88u)
#define TOFHIL_SCB_CFSR TOFHIL_REG(0xE000ED28u)
#define TOFHIL_SCB_HFSR TOFHIL_REG(0xE000ED2Cu)
#define TOFHIL_SYSTICK_CTRL TOFHIL_REG(0xE000E010u)
#define TOFHIL_SYSTICK_LOAD TOFHIL_REG(0xE000E014u)
#define TOFHIL_SYSTICK_VAL TOFHIL_REG(0xE000E018u)
#define TOFHIL_SYSTICK_MAX 0x00FFFFFFu
#define TOFHIL_DEMCR TOFHIL_REG(0xE000EDFCu)
#define TOFHIL_DEMCR_TRCENA (1u << 24)
#define TOFHIL_DWT_CTRL TOFHIL_REG(0xE0001000u)
#define TOFHIL_DWT_CYCCNT TOFHIL_REG(0xE0001004u)
#define TOFHIL_DWT_CTRL_CYCCNTENA (1u << 0)

/* MCU debug component (RM0368 23.16.3): DBGMCU_CR keeps the clocks running in Sleep/Stop/Standby for a debugger */
#define TOFHIL_DBGMCU_CR TOFHIL_REG(0xE0042004u)
#define TOFHIL_DBGMCU_CR_DBG_SLEEP (1u << 0)
#define TOFHIL_DBGMCU_CR_DBG_STOP (1u << 1)
#define TOFHIL_DBGMCU_CR_DBG_STANDBY (1u << 2)

/* The value the reset handler paints the stack with (high-water mark) */
#define TOFHIL_STACK_PAINT 0xA5A5A5A5u

/*
 * Turn a peripheral's clock on, then read the enable register back and wait for the write to
 * complete: the first access right after an RCC enable may be lost ("Delay after an RCC
 * peripheral clock enabling": STM32F401xB/C/D/E errata sheet ES0222 for the NUCLEO's chip,
 * STM32F405/407 errata sheet ES0182 for the emulated board's).
 */
static inline void tofhil_rcc_enable(uint32_t enable_register, uint32_t bit)
{
    TOFHIL_REG(enable_register) |= 1u << bit;
    (void)TOFHIL_REG(enable_register);
    TOFHIL_DATA_BARRIER();
}

/*
 * Keep the DWT cycle counter running. A debugger that disconnects may clear DEMCR (pyOCD's
 * CortexM.disconnect writes DEMCR = 0 after `pyocd load` / `pyocd reset`): TRCENA off freezes
 * CYCCNT and every measured interval would read 0. Re-arm whatever was cleared.
 */
static inline void tofhil_dwt_keep_running(void)
{
    if ((TOFHIL_DEMCR & TOFHIL_DEMCR_TRCENA) == 0u) {
        TOFHIL_DEMCR |= TOFHIL_DEMCR_TRCENA;
    }
    if ((TOFHIL_DWT_CTRL & TOFHIL_DWT_CTRL_CYCCNTENA) == 0u) {
        TOFHIL_DWT_CTRL |= TOFHIL_DWT_CTRL_CYCCNTENA;
    }
}

/* Symbols of the linker script (tofhil_<board>.ld) */
extern uint32_t tofhil_stack_bottom, tofhil_stack_top;
extern uint32_t tofhil_data_start, tofhil_data_end, tofhil_data_load;
extern uint32_t tofhil_bss_start, tofhil_bss_end;

/* Shared by the board layer's files */
void tofhil_clock_init(void);
void tofhil_debug_low_power_init(void);
void tofhil_uart_init(void);
uint32_t tofhil_uart_baud(void);
void tofhil_uart_write_polled(const uint8_t *data, uint32_t length);
void tofhil_uart_irq_handler(void);
/* Timer ticks spent in the UART interrupt and its entries (tofhil_board_timed_mark reads them) */
extern volatile uint32_t tofhil_uart_isr_ticks, tofhil_uart_isr_count;
int tofhil_uart_rx_empty(void);
void tofhil_hard_fault_handler(void);
int main(void);

#endif /* TOFHIL_STM32F4_H */
