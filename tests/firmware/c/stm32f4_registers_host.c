/*
 * Host test of the STM32F4 board layer's register helpers (tofhil_stm32f4.h): registers are mapped onto
 * a small table and every access is logged, so the order of reads, writes and barriers can be checked.
 * Prints one line per scenario for tests/firmware/test_board_layer_host.py.
 */
#include <stdint.h>
#include <stdio.h>

static uint32_t fake_address[16];
static uint32_t fake_value[16];
static char trace[256];
static unsigned trace_length;

static void note(char what)
{
    if (trace_length + 1u < sizeof trace) {
        trace[trace_length++] = what;
        trace[trace_length] = '\0';
    }
}

/* Every register expression goes through this pointer: one 'a' per expression (|= is one) */
static volatile uint32_t *fake_register(uint32_t address)
{
    unsigned slot;
    note('a');
    for (slot = 0u; slot < 16u; ++slot) {
        if (fake_address[slot] == address || fake_address[slot] == 0u) {
            fake_address[slot] = address;
            return &fake_value[slot];
        }
    }
    return &fake_value[15];
}

static uint32_t value_at(uint32_t address)
{
    unsigned slot;
    for (slot = 0u; slot < 16u; ++slot) {
        if (fake_address[slot] == address) {
            return fake_value[slot];
        }
    }
    return 0xDEADBEEFu;
}

#define TOFHIL_REG(address) (*fake_register((uint32_t)(address)))
#define TOFHIL_DATA_BARRIER() note('B')
#include "tofhil_stm32f4.h"

int main(void)
{
    /* a debugger cleared DEMCR (pyOCD's disconnect) and CYCCNTENA: both come back */
    *fake_register(0xE000EDFCu) = 0u;
    *fake_register(0xE0001000u) = 0u;
    tofhil_dwt_keep_running();
    printf("rearmed demcr=0x%08x dwt_ctrl=0x%08x\n", (unsigned)value_at(0xE000EDFCu), (unsigned)value_at(0xE0001000u));

    /* already running: the values stay as they were */
    *fake_register(0xE000EDFCu) = 0x01000001u;
    *fake_register(0xE0001000u) = 0x40000001u;
    tofhil_dwt_keep_running();
    printf("running demcr=0x%08x dwt_ctrl=0x%08x\n", (unsigned)value_at(0xE000EDFCu), (unsigned)value_at(0xE0001000u));

    /* RCC enable: the read-modify-write, one read back, then the barrier */
    trace_length = 0u;
    trace[0] = '\0';
    tofhil_rcc_enable(TOFHIL_RCC_APB1ENR_ADDRESS, 17u);
    printf("rcc apb1enr=0x%08x trace=%s\n", (unsigned)value_at(0x40023840u), trace);
    return 0;
}
