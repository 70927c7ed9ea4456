/*
 * Bare-metal start-up of the inference benchmark image (QEMU netduinoplus2, STM32F405):
 * vector table, FPU on, .data/.bss, main, then semihosting exit. Benchmark only.
 */
#include <stdint.h>

extern uint32_t bench_stack_top, bench_data_load, bench_data_start, bench_data_end, bench_bss_start, bench_bss_end;
int main(void);
void bench_reset(void);
void bench_exit(int code);

typedef union {
    void (*handler)(void);
    const void *stack_top;
} bench_vector_t;

__attribute__((section(".isr_vector"), used)) const bench_vector_t bench_vectors[2] = {
    {.stack_top = &bench_stack_top},
    {.handler = bench_reset},
};

static int semihost(int op, const void *arg)
{
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void bench_write(const char *text)
{
    (void)semihost(0x04, text);   /* SYS_WRITE0 */
}

void bench_exit(int code)
{
    /* AArch32 SYS_EXIT takes the reason itself: application exit (QEMU exits 0) or a run-time error (1) */
    const uintptr_t reason = code == 0 ? 0x20026u : 0x20023u;
    for (;;) {
        (void)semihost(0x18, (const void *)reason);
    }
}

void bench_reset(void)
{
    const uint32_t *source = &bench_data_load;
    uint32_t *word;
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;   /* CPACR: CP10/CP11 full access */
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    for (word = &bench_data_start; word < &bench_data_end; ++word) {
        *word = *source++;
    }
    for (word = &bench_bss_start; word < &bench_bss_end; ++word) {
        *word = 0u;
    }
    bench_exit(main());
}
