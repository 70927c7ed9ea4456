/*
 * tofhil firmware, STM32F4: the HardFault handler. It reports the faulting pc, lr and CFSR
 * as a protocol ERROR frame (code HARD_FAULT, seq 0xFFFF) over the UART, then spins, so a
 * crash shows up on the host as a message instead of a silent timeout.
 * Part of the tofhil validation firmware - do not edit in a generated project.
 */
#include <stdint.h>

#include "tofhil_protocol.h"
#include "tofhil_stm32f4.h"

#define TOFHIL_FAULT_TEXT_MAX 64u

void tofhil_hard_fault_report(uint32_t pc, uint32_t lr, uint32_t frame_sp, uint32_t frame_ok);

/*
 * Take pc and lr from the exception frame (MSP or PSP, per EXC_RETURN bit 2) only when that
 * frame lies inside the stack: after a stack overflow the stacking itself failed and SP points
 * below the stack, where reading the frame would fault again and lock the core up. Then move SP
 * to the top of the stack and report. Never returns.
 */
__attribute__((naked)) void tofhil_hard_fault_handler(void)
{
    __asm__ volatile("tst lr, #4\n\t"
                     "ite eq\n\t"
                     "mrseq r2, msp\n\t"
                     "mrsne r2, psp\n\t"
                     "mov r0, #0\n\t"
                     "mov r1, #0\n\t"
                     "mov r3, #0\n\t"
                     "movw r12, #:lower16:tofhil_stack_bottom\n\t"
                     "movt r12, #:upper16:tofhil_stack_bottom\n\t"
                     "cmp r2, r12\n\t"
                     "blo 1f\n\t"
                     "movw r12, #:lower16:tofhil_stack_top\n\t"
                     "movt r12, #:upper16:tofhil_stack_top\n\t"
                     "sub r12, r12, #32\n\t"
                     "cmp r2, r12\n\t"
                     "bhi 1f\n\t"
                     "ldr r0, [r2, #24]\n\t"
                     "ldr r1, [r2, #20]\n\t"
                     "mov r3, #1\n"
                     "1:\n\t"
                     "movw r12, #:lower16:tofhil_stack_top\n\t"
                     "movt r12, #:upper16:tofhil_stack_top\n\t"
                     "mov sp, r12\n\t"
                     "b tofhil_hard_fault_report\n\t");
}

static uint32_t tofhil_append_hex(uint8_t *text, uint32_t at, const char *label, uint32_t value)
{
    static const char digits[] = "0123456789abcdef";
    int shift;
    while (*label != '\0') {
        text[at++] = (uint8_t)*label++;
    }
    for (shift = 28; shift >= 0; shift -= 4) {
        text[at++] = (uint8_t)digits[(value >> (uint32_t)shift) & 0xFu];
    }
    return at;
}

void tofhil_hard_fault_report(uint32_t pc, uint32_t lr, uint32_t frame_sp, uint32_t frame_ok)
{
    uint8_t payload[2u + TOFHIL_FAULT_TEXT_MAX];
    uint8_t frame[TOFHIL_PROTO_MAX_ENCODED + 1u]; /* + the trailing delimiter */
    static const uint8_t delimiter = 0u;
    uint32_t length = 2u;
    size_t frame_length;
    if (frame_ok != 0u) {
        length = tofhil_append_hex(payload, length, "hard fault pc=0x", pc);
        length = tofhil_append_hex(payload, length, " lr=0x", lr);
    } else {
        length = tofhil_append_hex(payload, length, "hard fault, stack overflow sp=0x", frame_sp);
    }
    length = tofhil_append_hex(payload, length, " cfsr=0x", TOFHIL_SCB_CFSR);
    payload[0] = (uint8_t)TOFHIL_STATUS_HARD_FAULT;
    payload[1] = (uint8_t)(length - 2u);
    frame_length = tofhil_encode_frame(TOFHIL_MSG_ERROR, TOFHIL_PROTO_SEQ_UNKNOWN, payload, (uint16_t)length, frame,
                                       sizeof frame);
    /* a leading delimiter ends whatever half-sent reply the fault interrupted */
    tofhil_uart_write_polled(&delimiter, 1u);
    tofhil_uart_write_polled(frame, (uint32_t)frame_length);
    for (;;) {
    }
}
