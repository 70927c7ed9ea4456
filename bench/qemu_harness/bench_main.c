/*
 * Inference benchmark on the emulated board: SysTick ticks of tofhil_preprocess and
 * tofhil_model_invoke (and of each op, when built with TOFHIL_OP_DONE), and a bit-exact
 * check of every output against the reference in bench_data.h. Under -icount shift=0
 * SysTick counts 0.168 ticks per instruction. Output goes through semihosting.
 */
#include <stdint.h>

#include "bench_data.h"
#include "tofhil_model.h"
#include "tofhil_preprocess.h"

void bench_write(const char *text);

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

static uint32_t op_ticks[BENCH_MAX_OPS];
static uint32_t op_mark;

static uint32_t now(void)
{
    return SYST_CVR;
}

static uint32_t since(uint32_t start)
{
    return (start - SYST_CVR) & 0xFFFFFFu;   /* SysTick counts down, 24 bits */
}

void bench_op_done(int index)
{
    const uint32_t t = now();
    op_ticks[index] += (op_mark - t) & 0xFFFFFFu;
    op_mark = now();
}

static void write_number(const char *label, uint32_t value)
{
    char text[48];
    char digits[12];
    int n = 0, i = 0;
    while (label[i] != '\0' && i < 32) {
        text[i] = label[i];
        ++i;
    }
    do {
        digits[n++] = (char)('0' + value % 10u);
        value /= 10u;
    } while (value != 0u);
    while (n > 0) {
        text[i++] = digits[--n];
    }
    text[i++] = '\n';
    text[i] = '\0';
    bench_write(text);
}

int main(void)
{
    uint32_t frame, pre_ticks = 0, inf_ticks = 0, mismatches = 0, rejected = 0;
    int k;
    SYST_RVR = 0xFFFFFFu;
    SYST_CVR = 0u;
    SYST_CSR = 5u;   /* enable, processor clock, no interrupt */
    for (frame = 0; frame < BENCH_FRAMES; ++frame) {
        uint32_t start = now();
        const tofhil_status_t status = tofhil_preprocess(bench_distance[frame], bench_signal[frame],
                                                         bench_status[frame], tofhil_model_input());
        pre_ticks += since(start);
        if (status != TOFHIL_STATUS_OK) {
            ++rejected;
            continue;
        }
        op_mark = now();
        start = now();
        (void)tofhil_model_invoke();
        inf_ticks += since(start);
        for (k = 0; k < (int)TOFHIL_MODEL_OUTPUT_SIZE; ++k) {
            if (tofhil_model_output()[k] != bench_expected[frame][k]) {
                ++mismatches;
                break;
            }
        }
    }
    write_number("frames ", BENCH_FRAMES);
    write_number("rejected ", rejected);
    write_number("mismatches ", mismatches);
    write_number("preprocess_ticks ", pre_ticks);
    write_number("inference_ticks ", inf_ticks);
    for (k = 0; k < BENCH_MAX_OPS; ++k) {
        write_number("op_index ", (uint32_t)k);
        write_number("op_ticks ", op_ticks[k]);
    }
    return mismatches == 0u ? 0 : 1;
}
