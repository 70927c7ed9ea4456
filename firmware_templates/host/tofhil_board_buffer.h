/*
 * tofhil test board: a tofhil_board.h implementation over memory, for host tests and the
 * fuzzer. Input comes from a script of bytes, output goes into a buffer; the timer is a
 * deterministic counter. Host builds only; not part of any firmware.
 */
#ifndef TOFHIL_BOARD_BUFFER_H
#define TOFHIL_BOARD_BUFFER_H

#include <stddef.h>
#include <stdint.h>

/* Capacity of the output buffer; bytes beyond it are counted in tofhil_board_buffer_dropped(). */
#define TOFHIL_BOARD_BUFFER_OUTPUT_SIZE 65536u

/* Clear the output and the counters, and make `input` (not copied) the bytes to read. */
void tofhil_board_buffer_reset(const uint8_t *input, size_t length);
/* The bytes written so far, and their count. */
const uint8_t *tofhil_board_buffer_output(size_t *length);
size_t tofhil_board_buffer_dropped(void);
/* Forget the output written so far (the input and counters stay). */
void tofhil_board_buffer_clear_output(void);
/* Called by tofhil_board_wait_for_input once the input is exhausted (e.g. to longjmp out of the loop). */
void tofhil_board_buffer_on_idle(void (*handler)(void));
/* What tofhil_board_rx_overflows() reports (a real board counts bytes lost to a full ring). */
void tofhil_board_buffer_set_rx_overflows(uint32_t count);
/* Simulate an interrupt handler of `ticks` right after every timed mark (0: none) */
void tofhil_board_buffer_set_isr_ticks(uint32_t ticks);

#endif /* TOFHIL_BOARD_BUFFER_H */
