/*
 * Test firmware for tests/firmware/test_qemu_smoke.py: brings the board up, waits for one byte from
 * the host, then moves the stack pointer below the stack (what a stack overflow does; the stack sits at
 * the bottom of RAM, so below it nothing is mapped) and faults. Stacking the exception frame fails, so
 * the HardFault handler must not read the frame: it reports the overflow instead of locking up.
 */
#include <stdint.h>

#include "tofhil_board.h"

int main(void)
{
    uint8_t byte;
    tofhil_board_init();
    while (!tofhil_board_read_byte(&byte)) {
        tofhil_board_wait_for_input();
    }
    /* interrupts off: no byte from the host can slip in between the two instructions (HardFault still runs) */
    __asm__ volatile("cpsid i\n\t"
                     "movw r0, #0xFFF0\n\t"
                     "movt r0, #0x1FFF\n\t"   /* 0x1FFFFFF0: 16 bytes below RAM */
                     "msr msp, r0\n\t"
                     "mvn r1, #15\n\t"        /* 0xFFFFFFF0: an unmapped address */
                     "str r1, [r1]\n\t" ::: "r0", "r1", "memory");
    return 0;
}
