/*
 * Test firmware for tests/firmware/test_qemu_smoke.py: brings the board up, waits for one byte
 * from the host (so the host is listening), then stores to an unmapped address. The HardFault
 * handler must report it as an ERROR frame.
 */
#include <stdint.h>

#include "tofhil_board.h"

int main(void)
{
    volatile uint32_t *unmapped = (volatile uint32_t *)0xFFFFFFF0u;
    uint8_t byte;
    tofhil_board_init();
    while (!tofhil_board_read_byte(&byte)) {
        tofhil_board_wait_for_input();
    }
    *unmapped = byte;
    return 0;
}
