/*
 * tofhil test board: tofhil_board.h over memory (see tofhil_board_buffer.h). Host builds
 * only; the real host board (a pty) lives in firmware/host/.
 */
#include <stdlib.h>
#include <string.h>

#include "tofhil_board.h"
#include "tofhil_board_buffer.h"

#define TOFHIL_BUFFER_TICK 1000u /* each timer read advances 1000 "ns": durations are deterministic */

static const uint8_t *tofhil_buffer_input;
static size_t tofhil_buffer_input_length, tofhil_buffer_input_pos;
static uint8_t tofhil_buffer_output[TOFHIL_BOARD_BUFFER_OUTPUT_SIZE];
static size_t tofhil_buffer_output_length, tofhil_buffer_output_dropped;
static uint32_t tofhil_buffer_clock, tofhil_buffer_rx_overflows;
static uint32_t tofhil_buffer_isr_step, tofhil_buffer_isr_ticks, tofhil_buffer_isr_count;
static void (*tofhil_buffer_idle)(void);

void tofhil_board_buffer_reset(const uint8_t *input, size_t length)
{
    tofhil_buffer_input = input;
    tofhil_buffer_input_length = input == NULL ? 0u : length;
    tofhil_buffer_input_pos = 0u;
    tofhil_buffer_output_length = tofhil_buffer_output_dropped = 0u;
    tofhil_buffer_clock = 0u;
    tofhil_buffer_rx_overflows = 0u;
    tofhil_buffer_isr_step = tofhil_buffer_isr_ticks = tofhil_buffer_isr_count = 0u;
}

const uint8_t *tofhil_board_buffer_output(size_t *length)
{
    *length = tofhil_buffer_output_length;
    return tofhil_buffer_output;
}

size_t tofhil_board_buffer_dropped(void)
{
    return tofhil_buffer_output_dropped;
}

void tofhil_board_buffer_clear_output(void)
{
    tofhil_buffer_output_length = tofhil_buffer_output_dropped = 0u;
}

void tofhil_board_buffer_on_idle(void (*handler)(void))
{
    tofhil_buffer_idle = handler;
}

void tofhil_board_buffer_set_rx_overflows(uint32_t count)
{
    tofhil_buffer_rx_overflows = count;
}

void tofhil_board_buffer_set_isr_ticks(uint32_t ticks)
{
    tofhil_buffer_isr_step = ticks;
}

void tofhil_board_init(void)
{
}

void tofhil_board_write(const uint8_t *data, size_t length)
{
    const size_t room = sizeof tofhil_buffer_output - tofhil_buffer_output_length;
    const size_t n = length < room ? length : room;
    if (n > 0u) {
        memcpy(tofhil_buffer_output + tofhil_buffer_output_length, data, n);
    }
    tofhil_buffer_output_length += n;
    tofhil_buffer_output_dropped += length - n;
}

int tofhil_board_read_byte(uint8_t *byte)
{
    if (tofhil_buffer_input_pos >= tofhil_buffer_input_length) {
        return 0;
    }
    *byte = tofhil_buffer_input[tofhil_buffer_input_pos++];
    return 1;
}

void tofhil_board_wait_for_input(void)
{
    if (tofhil_buffer_input_pos < tofhil_buffer_input_length) {
        return;
    }
    if (tofhil_buffer_idle == NULL) {
        abort(); /* the script ran out and nobody asked to leave the loop */
    }
    tofhil_buffer_idle();
}

uint32_t tofhil_board_timer_now(void)
{
    tofhil_buffer_clock += TOFHIL_BUFFER_TICK;
    return tofhil_buffer_clock;
}

uint32_t tofhil_board_timer_elapsed(uint32_t start, uint32_t end)
{
    return end - start;
}

void tofhil_board_timed_mark(tofhil_timed_mark_t *mark)
{
    mark->ticks = tofhil_board_timer_now();
    mark->isr_ticks = tofhil_buffer_isr_ticks;
    mark->isr_count = tofhil_buffer_isr_count;
    /* an interrupt right after this mark: its ticks are inside the section that this mark opens */
    if (tofhil_buffer_isr_step != 0u) {
        tofhil_buffer_clock += tofhil_buffer_isr_step;
        tofhil_buffer_isr_ticks += tofhil_buffer_isr_step;
        ++tofhil_buffer_isr_count;
    }
}

uint8_t tofhil_board_timer_kind(void)
{
    return (uint8_t)TOFHIL_TIMER_HOST_NS;
}

uint32_t tofhil_board_timer_hz(void)
{
    return 1000000000u;
}

uint32_t tofhil_board_core_clock_hz(void)
{
    return 0u;
}

const char *tofhil_board_name(void)
{
    return "buffer";
}

uint32_t tofhil_board_stack_used(void)
{
    return 0u; /* not measured on the host */
}

uint32_t tofhil_board_stack_size(void)
{
    return 0u;
}

uint32_t tofhil_board_rx_overflows(void)
{
    return tofhil_buffer_rx_overflows;
}
