/*
 * Test driver of tofhil_app.c on the buffer board with a generated model. One command per
 * stdin line; the answer is the bytes the app wrote (tests/protocol/test_protocol_c.py decodes them):
 *   run HEX [RX_OVERFLOWS [ISR_TICKS]]  -> the bytes go through tofhil_app_run until the input is exhausted
 *                           (ISR_TICKS: an interrupt handler of that many ticks right after every timed mark)
 *   handle TYPE SEQ HEX     -> tofhil_app_handle on that packet, bypassing the decoder
 * each answered by "output HEX DROPPED".
 */
#include <setjmp.h>
#include <stdlib.h>

#include "driver_io.h"
#include "tofhil_app.h"
#include "tofhil_board_buffer.h"

static jmp_buf tofhil_driver_idle_exit;

static void tofhil_driver_leave_loop(void)
{
    longjmp(tofhil_driver_idle_exit, 1);
}

static void tofhil_driver_print_output(void)
{
    size_t length;
    const uint8_t *output = tofhil_board_buffer_output(&length);
    fputs("output ", stdout);
    tofhil_driver_print_hex(output, length);
    printf(" %lu\n", (unsigned long)tofhil_board_buffer_dropped());
}

static void tofhil_driver_run(char *args)
{
    const long length = tofhil_driver_hex(strtok(args, " "));
    const char *overflows = strtok(NULL, " ");
    const char *isr_ticks = overflows ? strtok(NULL, " ") : NULL;
    tofhil_board_buffer_reset(tofhil_driver_bytes, length < 0 ? 0u : (size_t)length);
    tofhil_board_buffer_set_rx_overflows(overflows ? (uint32_t)strtoul(overflows, NULL, 10) : 0u);
    tofhil_board_buffer_set_isr_ticks(isr_ticks ? (uint32_t)strtoul(isr_ticks, NULL, 10) : 0u);
    tofhil_board_buffer_on_idle(tofhil_driver_leave_loop);
    if (setjmp(tofhil_driver_idle_exit) == 0) {
        tofhil_app_run();
    }
    tofhil_driver_print_output();
}

static void tofhil_driver_handle(char *args)
{
    tofhil_packet_t packet;
    const long type = strtol(strtok(args, " "), NULL, 10), seq = strtol(strtok(NULL, " "), NULL, 10);
    const long length = tofhil_driver_hex(strtok(NULL, " "));
    tofhil_board_buffer_reset(NULL, 0u);
    tofhil_app_init();
    packet.type = (uint8_t)type;
    packet.seq = (uint16_t)seq;
    packet.length = (uint16_t)(length < 0 ? 0 : length);
    packet.payload = tofhil_driver_bytes;
    tofhil_app_handle(&packet);
    tofhil_driver_print_output();
}

int main(void)
{
    char *line;
    while ((line = tofhil_driver_read_line()) != NULL) {
        if (strncmp(line, "run ", 4) == 0) {
            tofhil_driver_run(line + 4);
        } else if (strncmp(line, "handle ", 7) == 0) {
            tofhil_driver_handle(line + 7);
        } else {
            printf("unknown-command %s\n", line);
        }
        fflush(stdout);
    }
    return 0;
}
