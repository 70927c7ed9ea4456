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

void tofhil_hard_fault_report(uint32_t pc, uint32_t lr);

/*
 * Take pc and lr from the exception frame (MSP or PSP, per EXC_RETURN bit 2), then move SP
 * to the top of the stack: the fault may come from a stack overflow. Never returns.
 */
__attribute__((naked)) void tofhil_hard_fault_handler(void)
{
    __asm__ volatile("tst lr, #4\n\t"
                     "ite eq\n\t"
                     "mrseq r3, msp\n\t"
                     "mrsne r3, psp\n\t"
                     "ldr r0, [r3, #24]\n\t"
                     "ldr r1, [r3, #20]\n\t"
                     "movw r2, #:lower16:tofhil_stack_top\n\t"
                     "movt r2, #:upper16:tofhil_stack_top\n\t"
                     "mov sp, r2\n\t"
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

void tofhil_hard_fault_report(uint32_t pc, uint32_t lr)
{
    uint8_t payload[2u + TOFHIL_FAULT_TEXT_MAX];
    uint8_t frame[TOFHIL_PROTO_MAX_ENCODED + 1u]; /* + the trailing delimiter */
    static const uint8_t delimiter = 0u;
    uint32_t length = 2u;
    size_t frame_length;
    length = tofhil_append_hex(payload, length, "hard fault pc=0x", pc);
    length = tofhil_append_hex(payload, length, " lr=0x", lr);
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
