/*
 * tofhil firmware, STM32F4: the link UART. Receive is interrupt driven into a ring buffer
 * (power-of-two size, bytes lost to a full ring or a hardware overrun are counted), so the
 * host can send the next request while the firmware computes; transmit is blocking.
 * Part of the tofhil validation firmware - do not edit in a generated project.
 */
#include <stddef.h>
#include <stdint.h>

#include "tofhil_board.h"
#include "tofhil_board_config.h"
#include "tofhil_stm32f4.h"

#define TOFHIL_RX_MASK (TOFHIL_RX_BUFFER_SIZE - 1u)
/* A byte takes ~10 us at 921600 baud; far longer means the USART is not clocked */
#define TOFHIL_TX_WAIT_LIMIT 100000u

#if (TOFHIL_RX_BUFFER_SIZE & TOFHIL_RX_MASK) != 0
#error "TOFHIL_RX_BUFFER_SIZE must be a power of two"
#endif

extern uint32_t tofhil_clock_hz;

/* head is written only by the interrupt, tail only by the main loop: no lock needed */
static volatile uint8_t tofhil_rx_ring[TOFHIL_RX_BUFFER_SIZE];
static volatile uint32_t tofhil_rx_head;
static volatile uint32_t tofhil_rx_tail;
static volatile uint32_t tofhil_rx_lost;
volatile uint32_t tofhil_uart_isr_ticks, tofhil_uart_isr_count;

static void tofhil_gpio_alternate(uint32_t port, uint32_t pin)
{
    tofhil_rcc_enable(TOFHIL_RCC_AHB1ENR_ADDRESS, port);
    TOFHIL_GPIO_MODER(port) = (TOFHIL_GPIO_MODER(port) & ~(3u << (2u * pin))) | (2u << (2u * pin));
    TOFHIL_GPIO_OSPEEDR(port) |= 2u << (2u * pin);
    TOFHIL_GPIO_AFR(port, pin) = (TOFHIL_GPIO_AFR(port, pin) & ~(0xFu << (4u * (pin % 8u)))) |
                                 ((uint32_t)TOFHIL_UART_AF << (4u * (pin % 8u)));
}

/*
 * Oversampling by 16 (OVER8 = 0: the wider receiver tolerance, RM0368 19.3.5, suits the HSI's
 * +-1 %). baud = f / (16 * USARTDIV) (RM0368 19.3.4) and BRR holds USARTDIV in sixteenths
 * (mantissa << 4 | fraction), so BRR = f / baud, rounded to the nearest divisor.
 * 42 MHz / 921,600 baud: BRR 0x2E, 913,043 baud (-0.93 %).
 */
static uint32_t tofhil_uart_brr(uint32_t bus_hz, uint32_t baud)
{
    uint32_t brr = (bus_hz + baud / 2u) / baud;
    return brr < 16u ? 16u : brr; /* a mantissa of 0 is not a divisor (RM0368 19.6.3) */
}

/*
 * The rate the USART runs at. The board file's baud was checked against the board file's clock;
 * on any other clock (a PLL that did not lock leaves the 16 MHz HSI, APB1 8 MHz, where 921,600
 * baud would need BRR 9, mantissa 0: no byte the host can read) the firmware talks at
 * TOFHIL_UART_FALLBACK_BAUD, a rate the host tries (hil doctor, and hil run on a silent board),
 * and HELLO's core clock tells the host why.
 */
uint32_t tofhil_uart_baud(void)
{
    return tofhil_clock_hz == TOFHIL_CORE_CLOCK_HZ ? TOFHIL_UART_BAUD : TOFHIL_UART_FALLBACK_BAUD;
}

void tofhil_uart_init(void)
{
    tofhil_gpio_alternate(TOFHIL_UART_TX_PORT, TOFHIL_UART_TX_PIN);
    tofhil_gpio_alternate(TOFHIL_UART_RX_PORT, TOFHIL_UART_RX_PIN);
    tofhil_rcc_enable(TOFHIL_UART_RCC_ENR, TOFHIL_UART_RCC_BIT);
    /* the divisor comes from the clock actually running, not the board file's */
    TOFHIL_USART_BRR(TOFHIL_UART_BASE) = tofhil_uart_brr(tofhil_clock_hz / TOFHIL_UART_BUS_DIV, tofhil_uart_baud());
    TOFHIL_USART_CR1(TOFHIL_UART_BASE) = TOFHIL_USART_CR1_UE | TOFHIL_USART_CR1_TE | TOFHIL_USART_CR1_RE |
                                         TOFHIL_USART_CR1_RXNEIE;
    TOFHIL_NVIC_ISER(TOFHIL_UART_IRQ / 32u) = 1u << (TOFHIL_UART_IRQ % 32u);
}

void tofhil_uart_irq_handler(void)
{
    const uint32_t entered = tofhil_board_timer_now();
    uint32_t status = TOFHIL_USART_SR(TOFHIL_UART_BASE);
    if ((status & (TOFHIL_USART_SR_RXNE | TOFHIL_USART_SR_ORE)) != 0u) {
        /* reading DR after SR clears RXNE and ORE */
        uint8_t byte = (uint8_t)TOFHIL_USART_DR(TOFHIL_UART_BASE);
        uint32_t head = tofhil_rx_head;
        if ((status & TOFHIL_USART_SR_ORE) != 0u) {
            ++tofhil_rx_lost;
        }
        if (head - tofhil_rx_tail < TOFHIL_RX_BUFFER_SIZE) {
            tofhil_rx_ring[head & TOFHIL_RX_MASK] = byte;
            tofhil_rx_head = head + 1u;
        } else {
            ++tofhil_rx_lost;
        }
    }
    tofhil_uart_isr_ticks += tofhil_board_timer_elapsed(entered, tofhil_board_timer_now());
    ++tofhil_uart_isr_count;
}

void tofhil_uart_write_polled(const uint8_t *data, uint32_t length)
{
    uint32_t index;
    for (index = 0u; index < length; ++index) {
        uint32_t spins = 0u;
        while ((TOFHIL_USART_SR(TOFHIL_UART_BASE) & TOFHIL_USART_SR_TXE) == 0u) {
            if (++spins == TOFHIL_TX_WAIT_LIMIT) {
                return;
            }
        }
        TOFHIL_USART_DR(TOFHIL_UART_BASE) = data[index];
    }
}

int tofhil_uart_rx_empty(void)
{
    return tofhil_rx_head == tofhil_rx_tail;
}

void tofhil_board_write(const uint8_t *data, size_t length)
{
    tofhil_uart_write_polled(data, (uint32_t)length);
}

int tofhil_board_read_byte(uint8_t *byte)
{
    uint32_t tail = tofhil_rx_tail;
    if (tail == tofhil_rx_head) {
        return 0;
    }
    *byte = tofhil_rx_ring[tail & TOFHIL_RX_MASK];
    tofhil_rx_tail = tail + 1u;
    return 1;
}

uint32_t tofhil_board_rx_overflows(void)
{
    return tofhil_rx_lost;
}
