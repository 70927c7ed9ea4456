/*
 * tofhil firmware: the board layer. One implementation per board family
 * (stm32f4/, host/); everything above it (protocol, app, main loop) is shared.
 * Part of the tofhil validation firmware - do not edit in a generated project.
 */
#ifndef TOFHIL_BOARD_H
#define TOFHIL_BOARD_H

#include <stddef.h>
#include <stdint.h>

/* Timer kinds reported in HELLO (docs/protocol.md). */
#define TOFHIL_TIMER_DWT_CYCLES 0u
#define TOFHIL_TIMER_SYSTICK_ICOUNT 1u
#define TOFHIL_TIMER_HOST_NS 2u

/* Clocks, UART, timer, stack painting. Returns only when the board is ready to talk. */
void tofhil_board_init(void);
/* Blocking write of `length` bytes to the link. */
void tofhil_board_write(const uint8_t *data, size_t length);
/* Non-blocking: 1 and *byte set when a received byte was waiting, else 0. */
int tofhil_board_read_byte(uint8_t *byte);
/* Sleep until input may be available (WFI on a core; a blocking poll on the host). */
void tofhil_board_wait_for_input(void);
/* Free-running timer in the unit of tofhil_board_timer_kind(). */
uint32_t tofhil_board_timer_now(void);
/* Ticks from `start` to `end`, wrap-safe for the timer's width. */
uint32_t tofhil_board_timer_elapsed(uint32_t start, uint32_t end);
/* The timer and the totals of the interrupt handlers so far (ticks spent in them, entries), read together with
 * no interrupt in between: a timed section subtracts the handlers that ran inside it (the next request's bytes
 * arrive during an inference when the host keeps two requests in flight). Entry and exit of each handler, a
 * few cycles the handler cannot time itself, are not in isr_ticks. */
typedef struct {
    uint32_t ticks;
    uint32_t isr_ticks;
    uint32_t isr_count;
} tofhil_timed_mark_t;
void tofhil_board_timed_mark(tofhil_timed_mark_t *mark);
uint8_t tofhil_board_timer_kind(void);
uint32_t tofhil_board_timer_hz(void);
uint32_t tofhil_board_core_clock_hz(void);
const char *tofhil_board_name(void);
/* Deepest stack use so far (painted stack), and the stack's size, in bytes. */
uint32_t tofhil_board_stack_used(void);
uint32_t tofhil_board_stack_size(void);
/* Bytes lost because the receive ring was full. */
uint32_t tofhil_board_rx_overflows(void);

#endif /* TOFHIL_BOARD_H */
