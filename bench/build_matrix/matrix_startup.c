/*
 * Start-up of the build-matrix benchmark image (QEMU netduinoplus2): vector table, FPU on,
 * .data/.bss, main, then a semihosting exit with main's result. Benchmark only.
 */
#include <stdint.h>

extern uint32_t matrix_stack_top, matrix_data_load, matrix_data_start, matrix_data_end, matrix_bss_start,
    matrix_bss_end;
int main(void);
void matrix_reset(void);

typedef union {
    void (*handler)(void);
    const void *stack_top;
} matrix_vector_t;

__attribute__((section(".isr_vector"), used)) const matrix_vector_t matrix_vectors[2] = {
    {.stack_top = &matrix_stack_top},
    {.handler = matrix_reset},
};

static int semihost(int op, const void *arg)
{
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void matrix_write(const char *text)
{
    (void)semihost(0x04, text);   /* SYS_WRITE0 */
}

void matrix_reset(void)
{
    const uint32_t *source = &matrix_data_load;
    uint32_t *word;
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;   /* CPACR: CP10/CP11 full access (the FPU) */
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    for (word = &matrix_data_start; word < &matrix_data_end; ++word) {
        *word = *source++;
    }
    for (word = &matrix_bss_start; word < &matrix_bss_end; ++word) {
        *word = 0u;
    }
    {
        /* AArch32 SYS_EXIT takes the reason itself: application exit (QEMU exits 0) or run-time error (1) */
        const uintptr_t reason = main() == 0 ? 0x20026u : 0x20023u;
        for (;;) {
            (void)semihost(0x18, (const void *)reason);
        }
    }
}
